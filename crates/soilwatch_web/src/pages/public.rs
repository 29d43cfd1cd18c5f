//! 信息公开 — the public portal under `/public` (issue 10, work-plan item 40), without sign-in:
//! county soil status summaries, the indicators against their targets, the key-enterprise list
//! with their self-monitoring disclosures, the contaminated-plot list with its negative lists,
//! and the remediation notice boards.
//!
//! # What is public: the sharing catalogue decides
//! Every list and every per-county number comes from one dataset of the sharing catalogue
//! (`/catalogue`, issue 9) and is shown only while that dataset is marked 向社会公开 (`public`)
//! there ([`PortalDataset`]): a section of a dataset that is not marked answers 404 with a
//! notice, and a county column counted from one is left out. The indicators are the work plan's
//! own disclosure items (its targets) and are always shown, as values without their items.
//!
//! Per-county counts follow the same rule, with no exception: the number of monitoring points
//! is shown while `monitoring_points` is public, the number of soil samples while
//! `soil_quality` is public (the shipped catalogue does not mark it, so by default the portal
//! shows no sample counts and its map no sample shading), the class areas while
//! `farmland_classification` is. A count is small, but it is still drawn from the dataset, and
//! one rule the administrator can see and change in one place is easier to keep than
//! exceptions.
//!
//! Within a public dataset only public fields are shown: an enterprise's public view is
//! [`Enterprise::public`](soilwatch_store::registry_enterprise::Enterprise::public) (no contact,
//! no location); for plots and projects the views below keep the listed facts and leave out
//! boundaries, sample and point codes, the responsible party, filings and reports, and the
//! transfer manifests. No coordinate of a sample point is ever shown, whatever the catalogue
//! says: monitoring appears as counts per county, the map as county outlines.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use soilwatch_core::DivisionLevel;
use soilwatch_store::indicators::{compute, CountySummary};
use soilwatch_store::registry::RegistryQuery;
use soilwatch_store::registry_enterprise::disclosure_calendar;
use soilwatch_store::registry_plot::PlotStage;

use super::svg::{county_map, MapCounty};
use super::targets::IndicatorRow;
use super::{render, PageResult};
use crate::api::registry_support::division;
use crate::api::targets::default_year;
use crate::AppState;

/// A dataset of the sharing catalogue the portal reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalDataset {
    /// `key_enterprises`: `/public/enterprises` and the enterprise column.
    KeyEnterprises,
    /// `contaminated_plots`: `/public/plots` and the plot column.
    ContaminatedPlots,
    /// `remediation_projects`: `/public/remediation`.
    RemediationProjects,
    /// `monitoring_points`: the points column (counts only).
    MonitoringPoints,
    /// `soil_quality`: the soil-sample column and the map's shading (counts only).
    SoilQuality,
    /// `farmland_classification`: the class-area columns.
    FarmlandClassification,
}

impl PortalDataset {
    /// The dataset's code in the catalogue.
    pub fn code(self) -> &'static str {
        match self {
            PortalDataset::KeyEnterprises => "key_enterprises",
            PortalDataset::ContaminatedPlots => "contaminated_plots",
            PortalDataset::RemediationProjects => "remediation_projects",
            PortalDataset::MonitoringPoints => "monitoring_points",
            PortalDataset::SoilQuality => "soil_quality",
            PortalDataset::FarmlandClassification => "farmland_classification",
        }
    }
}

/// The datasets the catalogue marks public (向社会公开), read from the sharing catalogue.
#[derive(Debug, Clone, Default)]
pub struct PublicMarks(HashSet<String>);

impl PublicMarks {
    pub async fn read(state: &AppState) -> Result<Self, super::PageError> {
        Ok(PublicMarks(
            state
                .store
                .list_catalogue()
                .await?
                .into_iter()
                .filter(|e| e.public)
                .map(|e| e.dataset)
                .collect(),
        ))
    }

    pub fn public(&self, d: PortalDataset) -> bool {
        self.0.contains(d.code())
    }
}

#[derive(Template)]
#[template(path = "public_withheld.html")]
pub struct WithheldPage {
    pub title: &'static str,
    pub dataset: &'static str,
}

/// The answer for a section whose dataset is not marked public: 404 with a notice.
fn withheld(title: &'static str, d: PortalDataset) -> PageResult {
    let mut res = render(&WithheldPage {
        title,
        dataset: d.code(),
    })?;
    *res.status_mut() = StatusCode::NOT_FOUND;
    Ok(res)
}

/// `?year=&division=` of the portal.
#[derive(Debug, Default, Deserialize)]
pub struct PublicQuery {
    pub year: Option<i32>,
    pub division: Option<String>,
}

fn mu(v: f64) -> String {
    format!("{v:.1}")
}

/// A county's line on the portal.
pub struct CountyLine {
    pub code: String,
    pub name: String,
    pub points: String,
    pub samples: String,
    pub pp: String,
    pub su: String,
    pub sc: String,
    pub run_year: String,
    pub plots: String,
    pub enterprises: String,
}

fn county_line(s: &CountySummary) -> CountyLine {
    let c = s.classes;
    CountyLine {
        code: s.division.to_string(),
        name: s.name.clone(),
        points: s.active_points.to_string(),
        samples: s.soil_samples.to_string(),
        pp: c
            .map(|c| mu(c.priority_protection))
            .unwrap_or_else(|| "—".into()),
        su: c
            .map(|c| mu(c.safe_utilization))
            .unwrap_or_else(|| "—".into()),
        sc: c
            .map(|c| mu(c.strict_control))
            .unwrap_or_else(|| "—".into()),
        run_year: c
            .map(|c| c.run_year.to_string())
            .unwrap_or_else(|| "—".into()),
        plots: format!("{}/{}", s.safe_plots, s.listed_plots),
        enterprises: format!("{}/{}", s.enterprises_disclosed, s.enterprises_due),
    }
}

#[derive(Template)]
#[template(path = "public_index.html")]
pub struct PublicIndexPage {
    pub year: i32,
    pub division_name: String,
    pub indicators: Vec<IndicatorRow>,
    pub counties: Vec<CountyLine>,
    pub map_svg: String,
    /// Which county columns the catalogue lets the portal show.
    pub show_points: bool,
    pub show_samples: bool,
    pub show_classes: bool,
    pub show_plots: bool,
    pub show_enterprises: bool,
}

/// `/public?year=`: the prefecture's indicators and every county's summary.
pub async fn public_index(
    State(state): State<AppState>,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(default_year);
    let marks = PublicMarks::read(&state).await?;
    let show_samples = marks.public(PortalDataset::SoilQuality);
    let data = compute(state.store.as_ref(), division(q.division.as_deref())?, year).await?;
    let summaries = data.county_summaries();
    let divisions = state.store.list_divisions().await?;
    let map_counties: Vec<MapCounty<'_>> = summaries
        .iter()
        .filter_map(|s| {
            let d = divisions
                .iter()
                .find(|d| d.code == s.division && d.level == DivisionLevel::County)?;
            // Shaded by soil samples only while the catalogue marks soil_quality public.
            Some(MapCounty {
                code: s.division.to_string(),
                name: &d.name,
                boundary: d.boundary.as_ref()?,
                fill: match (show_samples, s.soil_samples > 0) {
                    (true, true) => "#a5d6a7",
                    (true, false) => "#e0e0e0",
                    (false, _) => "#eef3f8",
                },
                label: if show_samples {
                    format!("样品 {}", s.soil_samples)
                } else {
                    String::new()
                },
            })
        })
        .collect();
    // County outlines only; each links to the county's line on this page (not to the points).
    let map_svg = if map_counties.is_empty() {
        String::new()
    } else {
        county_map(&map_counties, 560.0).replace("href=\"/api/v1/points?division=", "href=\"#c")
    };
    render(&PublicIndexPage {
        year,
        division_name: data.scope.name.clone(),
        indicators: data
            .values(data.scope.code)
            .iter()
            .map(IndicatorRow::from)
            .collect(),
        counties: summaries.iter().map(county_line).collect(),
        map_svg,
        show_points: marks.public(PortalDataset::MonitoringPoints),
        show_samples,
        show_classes: marks.public(PortalDataset::FarmlandClassification),
        show_plots: marks.public(PortalDataset::ContaminatedPlots),
        show_enterprises: marks.public(PortalDataset::KeyEnterprises),
    })
}

/// A disclosure as shown to the public.
pub struct DisclosureLine {
    pub year: i32,
    pub state: &'static str,
    pub disclosed_on: String,
    pub pollutants: String,
    pub facilities: String,
    pub published_at: String,
}

/// An enterprise as shown to the public.
pub struct EnterpriseLine {
    pub name: String,
    pub uscc: String,
    pub industry: String,
    pub county: String,
    pub address: String,
    pub listed_year: i32,
    pub status: &'static str,
    pub letter: String,
    pub disclosures: Vec<DisclosureLine>,
}

#[derive(Template)]
#[template(path = "public_enterprises.html")]
pub struct PublicEnterprisesPage {
    pub enterprises: Vec<EnterpriseLine>,
}

async fn county_names(state: &AppState) -> Result<Vec<(String, String)>, super::PageError> {
    Ok(state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .map(|d| (d.code.to_string(), d.name))
        .collect())
}

fn name_of(names: &[(String, String)], code: &str) -> String {
    names
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// `/public/enterprises`: 重点监管企业名录 with their yearly disclosures (public fields only).
pub async fn public_enterprises(
    State(state): State<AppState>,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    if !PublicMarks::read(&state)
        .await?
        .public(PortalDataset::KeyEnterprises)
    {
        return withheld("重点监管企业名录", PortalDataset::KeyEnterprises);
    }
    let names = county_names(&state).await?;
    let list = state
        .store
        .list_enterprises(&RegistryQuery {
            division: division(q.division.as_deref())?,
            ..RegistryQuery::default()
        })
        .await?;
    let today = Utc::now().date_naive();
    let mut enterprises = Vec::new();
    for e in list {
        let p = e.item.public();
        let ds: Vec<_> = state
            .store
            .list_disclosures(p.uscc.as_str())
            .await?
            .into_iter()
            .map(|d| d.item)
            .collect();
        let calendar = disclosure_calendar(p.listed_year, &ds, today);
        let disclosures = calendar
            .iter()
            .rev()
            .map(|y| {
                let d = ds.iter().find(|d| d.year == y.year);
                DisclosureLine {
                    year: y.year,
                    state: y.state.name_cn(),
                    disclosed_on: y.disclosed_on.map(|d| d.to_string()).unwrap_or_default(),
                    pollutants: d
                        .map(|d| {
                            d.pollutants
                                .iter()
                                .map(|p| {
                                    let mut s = p.name.clone();
                                    for x in [&p.discharge_mode, &p.concentration, &p.total]
                                        .into_iter()
                                        .flatten()
                                    {
                                        s.push(' ');
                                        s.push_str(x);
                                    }
                                    s
                                })
                                .collect::<Vec<_>>()
                                .join("；")
                        })
                        .unwrap_or_default(),
                    facilities: d.and_then(|d| d.facilities.clone()).unwrap_or_default(),
                    published_at: d.and_then(|d| d.published_at.clone()).unwrap_or_default(),
                }
            })
            .collect();
        enterprises.push(EnterpriseLine {
            name: p.name.clone(),
            uscc: p.uscc.to_string(),
            industry: p.industry_name_cn.clone(),
            county: name_of(&names, &p.division.to_string()),
            address: p.address.clone().unwrap_or_default(),
            listed_year: p.listed_year,
            status: p.status.name_cn(),
            letter: p
                .responsibility_letter
                .as_ref()
                .map(|l| format!("{} 签订：{}", l.signed_on, l.public_text))
                .unwrap_or_default(),
            disclosures,
        });
    }
    render(&PublicEnterprisesPage { enterprises })
}

/// A plot of the list as shown to the public.
pub struct PlotLine {
    pub code: String,
    pub name: String,
    pub county: String,
    pub address: String,
    pub former_use: String,
    pub industry: String,
    pub status: &'static str,
    pub listed_on: String,
    pub planned_use: String,
    pub land_class: u8,
    pub negative_list: String,
    pub control_area: String,
}

#[derive(Template)]
#[template(path = "public_plots.html")]
pub struct PublicPlotsPage {
    pub plots: Vec<PlotLine>,
    pub negative: Vec<PlotLine>,
}

/// `/public/plots`: 污染地块名录 (plots listed, including those since delisted) and 负面清单.
pub async fn public_plots(
    State(state): State<AppState>,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    if !PublicMarks::read(&state)
        .await?
        .public(PortalDataset::ContaminatedPlots)
    {
        return withheld("污染地块名录", PortalDataset::ContaminatedPlots);
    }
    let names = county_names(&state).await?;
    let list = state
        .store
        .list_plots(&RegistryQuery {
            division: division(q.division.as_deref())?,
            ..RegistryQuery::default()
        })
        .await?;
    let plots: Vec<PlotLine> = list
        .into_iter()
        .map(|p| p.item)
        .filter(|p| p.status.rank() >= PlotStage::Listed.rank())
        .map(|p| PlotLine {
            listed_on: p
                .last_step(PlotStage::Listed)
                .map(|s| s.date.to_string())
                .unwrap_or_default(),
            code: p.code.clone(),
            name: p.name.clone(),
            county: name_of(&names, &p.division.to_string()),
            address: p.address.clone().unwrap_or_default(),
            former_use: p.former_use.clone().unwrap_or_default(),
            industry: p
                .industry
                .map(|i| i.name_cn().to_owned())
                .unwrap_or_default(),
            status: p.status.name_cn(),
            planned_use: p.planned_use.clone().unwrap_or_default(),
            land_class: p.land_class,
            negative_list: p
                .negative_list
                .iter()
                .map(|u| u.name_cn())
                .collect::<Vec<_>>()
                .join("、"),
            control_area: p
                .control_area
                .as_ref()
                .map(|c| {
                    format!(
                        "{} 起{}{}",
                        c.since,
                        if c.signs { "，已设立标识" } else { "" },
                        c.notice
                            .as_deref()
                            .map(|n| format!("；公告：{n}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let negative = plots
        .iter()
        .filter(|p| !p.negative_list.is_empty())
        .map(|p| PlotLine {
            code: p.code.clone(),
            name: p.name.clone(),
            county: p.county.clone(),
            address: p.address.clone(),
            former_use: p.former_use.clone(),
            industry: p.industry.clone(),
            status: p.status,
            listed_on: p.listed_on.clone(),
            planned_use: p.planned_use.clone(),
            land_class: p.land_class,
            negative_list: p.negative_list.clone(),
            control_area: p.control_area.clone(),
        })
        .collect();
    render(&PublicPlotsPage { plots, negative })
}

/// A remediation project's notice board as shown to the public.
pub struct BoardLine {
    pub code: String,
    pub name: String,
    pub plot_code: String,
    pub county: String,
    pub mode: &'static str,
    pub technique: String,
    pub responsible_unit: String,
    pub supervisors: String,
    pub period: String,
    pub notice_board: String,
    pub evaluation: String,
}

#[derive(Template)]
#[template(path = "public_remediation.html")]
pub struct PublicRemediationPage {
    pub boards: Vec<BoardLine>,
}

/// `/public/remediation`: 修复工程信息公示 — the notice boards of remediation projects.
pub async fn public_remediation(
    State(state): State<AppState>,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    if !PublicMarks::read(&state)
        .await?
        .public(PortalDataset::RemediationProjects)
    {
        return withheld("修复工程信息公示", PortalDataset::RemediationProjects);
    }
    let names = county_names(&state).await?;
    let list = state
        .store
        .list_projects(&RegistryQuery {
            division: division(q.division.as_deref())?,
            ..RegistryQuery::default()
        })
        .await?;
    let boards = list
        .into_iter()
        .map(|p| p.item)
        .map(|p| BoardLine {
            code: p.code.clone(),
            name: p.name.clone(),
            plot_code: p.plot_code.clone(),
            county: name_of(&names, &p.division.to_string()),
            mode: p.mode.name_cn(),
            technique: p.technique.clone(),
            responsible_unit: p.responsible_unit.clone(),
            supervisors: p.supervisors.join("、"),
            period: format!(
                "{} — {}",
                p.started_on.map(|d| d.to_string()).unwrap_or_default(),
                p.finished_on.map(|d| d.to_string()).unwrap_or_default()
            ),
            notice_board: p.notice_board.clone().unwrap_or_default(),
            evaluation: p
                .effect_evaluation
                .as_ref()
                .map(|e| {
                    format!(
                        "{}（{}，{}）",
                        e.conclusion,
                        e.evaluator,
                        if e.passed {
                            "达到目标"
                        } else {
                            "未达到目标"
                        }
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    render(&PublicRemediationPage { boards })
}
