//! `/` (the dashboard) and `/counties/{code}` (a county's page): indicator tiles, a map drawn on
//! the server coloured by a chosen measure, charts and tables. What the public sees and what a
//! signed-in user sees more is in `docs/ROLES.md`; the numbers come from [`super::overview`].

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, Utc};
use serde::Deserialize;
use soilwatch_classify::UnitClass;
use soilwatch_core::{DivisionCode, DivisionLevel, PointType};
use soilwatch_store::{FindQuery, FindSort, PointRecord};

use super::charts::{bars, shares, Bar, Share};
use super::i18n::Lang;
use super::overview::{overview, CountyStats, Overview};
use super::svg::{
    breaks, choropleth, choropleth_legend, draw_map, plain, MapArea, MapDot, MapSpec,
};
use super::{demo_present, render, PageError, PageResult};
use crate::auth::{encode_next, MaybeActor};
use crate::error::ApiError;
use crate::AppState;

/// What the map and the bars show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// 在用监测点位数 (public).
    Points,
    /// 本年样品数 (signed-in users).
    Samples,
    /// 土壤样品超筛选值比例 (signed-in users).
    Exceedance,
    /// 严格管控类耕地面积 (public).
    StrictControl,
    /// 安全利用类耕地面积 (public).
    SafeUtilization,
    /// 污染地块数 (public).
    Plots,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Points,
        Measure::Samples,
        Measure::Exceedance,
        Measure::StrictControl,
        Measure::SafeUtilization,
        Measure::Plots,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Measure::Points => "points",
            Measure::Samples => "samples",
            Measure::Exceedance => "exceedance",
            Measure::StrictControl => "strict_control",
            Measure::SafeUtilization => "safe_utilization",
            Measure::Plots => "plots",
        }
    }

    pub fn name(self, l: Lang) -> &'static str {
        match self {
            Measure::Points => l.t("在用监测点位数", "Active monitoring points"),
            Measure::Samples => l.t("本年度样品数", "Samples of the year"),
            Measure::Exceedance => l.t(
                "农用地土壤样品超筛选值比例（%）",
                "Farmland soil samples above a screening value (%)",
            ),
            Measure::StrictControl => l.t("严格管控类面积（亩）", "Strict control area (mu)"),
            Measure::SafeUtilization => l.t("安全利用类面积（亩）", "Safe utilization area (mu)"),
            Measure::Plots => l.t("污染地块数", "Contaminated plots"),
        }
    }

    /// Not public: needs a signed-in user.
    pub fn needs_sign_in(self) -> bool {
        matches!(self, Measure::Samples | Measure::Exceedance)
    }

    fn parse(s: &str) -> Result<Measure, PageError> {
        Measure::ALL
            .into_iter()
            .find(|m| m.code() == s.trim())
            .ok_or_else(|| {
                PageError(ApiError::BadRequest(format!(
                    "参数 measure：无法识别 '{s}'（应为 points、samples、exceedance、strict_control、\
                     safe_utilization 或 plots）/ parameter measure: unknown '{s}' (expected points, \
                     samples, exceedance, strict_control, safe_utilization or plots)"
                )))
            })
    }

    /// A county's value (none: no data).
    pub fn value(self, c: &CountyStats) -> Option<f64> {
        match self {
            Measure::Points => Some(c.points as f64),
            Measure::Samples => c.samples.map(|n| n as f64),
            Measure::Exceedance => c.exceedance_pct(),
            Measure::StrictControl => c.classes.map(|k| k.0.strict_control.area_mu),
            Measure::SafeUtilization => c.classes.map(|k| k.0.safe_utilization.area_mu),
            Measure::Plots => Some(c.plots as f64),
        }
    }

    /// A value as written on the page.
    pub fn text(self, v: Option<f64>) -> String {
        match (self, v) {
            (_, None) => "—".into(),
            (Measure::Exceedance, Some(v)) => format!("{v:.1}%"),
            (Measure::StrictControl | Measure::SafeUtilization, Some(v)) => format!("{v:.1}"),
            (_, Some(v)) => format!("{v:.0}"),
        }
    }
}

/// Query of the dashboard and the county page.
#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    /// `points` (default), `samples`, `exceedance`, `strict_control`, `safe_utilization`, `plots`.
    pub measure: Option<String>,
    /// Year of the sample counts and the exceedance (default: this year).
    pub year: Option<String>,
    /// `zh` or `en` (see `pages::i18n`).
    pub lang: Option<String>,
}

struct Params {
    measure: Measure,
    year: i32,
}

/// The measure and year asked for; a measure that needs sign-in sends the public to sign in.
fn params(
    q: &DashboardQuery,
    signed_in: bool,
    path: &str,
    raw: Option<&str>,
) -> Result<Result<Params, axum::response::Response>, PageError> {
    let measure = match q.measure.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(m) => Measure::parse(m)?,
        None => Measure::Points,
    };
    if measure.needs_sign_in() && !signed_in {
        let next = match raw {
            Some(r) => format!("{path}?{r}"),
            None => path.to_owned(),
        };
        return Ok(Err(Redirect::to(&format!(
            "/login?next={}",
            encode_next(&next)
        ))
        .into_response()));
    }
    let this_year = Utc::now().year();
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => this_year,
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .ok_or_else(|| {
                PageError(ApiError::BadRequest(format!(
                    "参数 year：'{y}' 不是 1990–2100 之间的年份 / parameter year: '{y}' is not a \
                     year between 1990 and 2100"
                )))
            })?,
    };
    Ok(Ok(Params { measure, year }))
}

/// An indicator tile.
pub struct Tile {
    pub label: String,
    pub value: String,
    pub note: String,
    /// Where the value links to.
    pub href: Option<String>,
}

/// A row of the county table.
pub struct CountyRow {
    pub code: String,
    pub name: String,
    pub points: i64,
    pub samples: String,
    pub exceedance: String,
    pub classes: [String; 3],
    pub plots: usize,
    pub enterprises: usize,
}

/// A measure in the form.
pub struct MeasureOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
    pub locked: bool,
}

fn class_colour(c: UnitClass) -> &'static str {
    match c {
        UnitClass::PriorityProtection => "#2e7d32",
        UnitClass::SafeUtilization => "#f9a825",
        UnitClass::StrictControl => "#c62828",
    }
}

fn class_name(c: UnitClass, l: Lang) -> &'static str {
    match l {
        Lang::Zh => c.name_cn(),
        Lang::En => c.name_en(),
    }
}

const CLASSES: [UnitClass; 3] = [
    UnitClass::PriorityProtection,
    UnitClass::SafeUtilization,
    UnitClass::StrictControl,
];

fn tiles(o: &Overview, l: Lang) -> Vec<Tile> {
    let mut t = vec![Tile {
        href: None,
        label: l.t("在用监测点位", "Active monitoring points").into(),
        value: o.points().to_string(),
        note: l
            .t(
                "背景点、基础点、风险点等",
                "background, basic, risk and other points",
            )
            .into(),
    }];
    t.push(Tile {
        href: None,
        label: format!("{} {}", o.year, l.t("年样品", "samples")),
        value: o.samples().map_or_else(
            || l.t("登录后可见", "sign in to see").into(),
            |n| n.to_string(),
        ),
        note: match o.soil() {
            Some((n, over)) if n > 0 => format!(
                "{} {n}，{} {over}（{:.1}%）",
                l.t("农用地土壤样品", "farmland soil samples"),
                l.t("超筛选值", "above screening"),
                100.0 * over as f64 / n as f64
            ),
            Some(_) => l
                .t("本年无农用地土壤样品", "no farmland soil sample this year")
                .into(),
            None => String::new(),
        },
    });
    for c in CLASSES.into_iter().filter(|_| o.classes_visible) {
        let a = o.classes.of(c);
        t.push(Tile {
            href: None,
            label: class_name(c, l).into(),
            value: format!(
                "{} {}",
                plain((a.area_mu * 10.0).round() / 10.0),
                l.t("亩", "mu")
            ),
            note: format!(
                "{} {} {}",
                a.units,
                l.t("个单元", "units"),
                l.t("（最新分类批次）", "(newest classification run)")
            ),
        });
    }
    let plots: Vec<String> = o
        .plots_by_stage
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            format!(
                "{} {n}",
                match l {
                    Lang::Zh => s.name_cn(),
                    Lang::En => s.name_en(),
                }
            )
        })
        .collect();
    if let Some((overdue, owed)) = o.overdue {
        t.push(Tile {
            href: Some(format!("/submissions/reminders?year={}", o.year)),
            label: format!("{} {}", o.year, l.t("年逾期未报送", "overdue submissions")),
            value: overdue.to_string(),
            note: format!(
                "{} {owed} {}",
                l.t("应报送", "of"),
                l.t("项；点击查看催报清单", "owed; open the reminders")
            ),
        });
    }
    t.push(Tile {
        href: None,
        label: l.t("污染地块", "Contaminated plots").into(),
        value: o.plots.len().to_string(),
        note: if plots.is_empty() {
            l.t("无登记地块", "none registered").into()
        } else {
            plots.join("，")
        },
    });
    t
}

fn county_rows(o: &Overview) -> Vec<CountyRow> {
    o.counties
        .iter()
        .map(|c| CountyRow {
            code: c.code.to_string(),
            name: c.name.clone(),
            points: c.points,
            samples: c.samples.map_or_else(|| "—".into(), |n| n.to_string()),
            exceedance: match c.soil {
                Some((n, over)) if n > 0 => {
                    format!("{over}/{n}（{:.1}%）", 100.0 * over as f64 / n as f64)
                }
                Some(_) => "0".into(),
                None => "—".into(),
            },
            classes: CLASSES.map(|k| {
                c.classes
                    .map_or_else(|| "—".into(), |(x, _)| format!("{:.1}", x.of(k).area_mu))
            }),
            plots: c.plots,
            enterprises: c.enterprises,
        })
        .collect()
}

fn class_shares(o: &Overview, l: Lang, title: &str) -> String {
    shares(
        title,
        l.t("亩", "mu"),
        &CLASSES.map(|c| Share {
            label: class_name(c, l).into(),
            value: (o.classes.of(c).area_mu * 10.0).round() / 10.0,
            colour: class_colour(c),
        }),
    )
}

fn measure_options(m: Measure, signed_in: bool, l: Lang) -> Vec<MeasureOption> {
    Measure::ALL
        .iter()
        .map(|x| MeasureOption {
            code: x.code(),
            name: x.name(l),
            selected: *x == m,
            locked: x.needs_sign_in() && !signed_in,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub demo: bool,
    pub l: Lang,
    pub title: String,
    pub year: i32,
    pub signed_in: bool,
    /// The farmland classes may be shown (the catalogue); else a notice.
    pub classes_visible: bool,
    pub tiles: Vec<Tile>,
    pub measure: &'static str,
    pub measure_name: &'static str,
    pub measures: Vec<MeasureOption>,
    pub map_svg: String,
    pub bars_svg: String,
    pub shares_svg: String,
    pub rows: Vec<CountyRow>,
    pub runs: Vec<(i64, String)>,
}

/// `/`: the dashboard of the prefecture.
pub async fn dashboard_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Query(q): Query<DashboardQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let signed_in = actor.is_some();
    let p = match params(&q, signed_in, "/", raw.as_deref())? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let divisions = state.store.list_divisions().await?;
    let visible = crate::api::catalogue::classes_visible(&state, actor.as_ref()).await?;
    let o = overview(&state, None, p.year, signed_in, visible).await?;
    let prefecture = divisions
        .iter()
        .find(|d| d.level == DivisionLevel::Prefecture)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let values: Vec<Option<f64>> = o.counties.iter().map(|c| p.measure.value(c)).collect();
    let b = breaks(values.iter().flatten().copied().fold(0.0, f64::max));
    let areas: Vec<MapArea<'_>> = o
        .counties
        .iter()
        .zip(&values)
        .filter_map(|(c, v)| {
            let d = divisions.iter().find(|d| d.code == c.code)?;
            Some(MapArea {
                boundary: d.boundary.as_ref()?,
                fill: choropleth(*v, &b).into(),
                label: Some((c.name.clone(), p.measure.text(*v))),
                href: Some(format!("/counties/{}", c.code)),
                title: format!("{} {}", c.name, p.measure.text(*v)),
                emphasis: false,
            })
        })
        .collect();
    let measure_name = p.measure.name(l);
    let map_svg = draw_map(&MapSpec {
        label: format!("{prefecture} {measure_name}"),
        areas,
        dots: Vec::new(),
        extent: None,
        legend_title: measure_name.to_owned(),
        legend: choropleth_legend(&b, l),
        width: 720.0,
        lang: l,
        marker: None,
    });
    let mut bar_rows: Vec<Bar> = o
        .counties
        .iter()
        .zip(&values)
        .map(|(c, v)| Bar {
            label: c.name.clone(),
            value: v.unwrap_or(0.0),
            text: p.measure.text(*v),
            href: Some(format!("/counties/{}", c.code)),
        })
        .collect();
    bar_rows.sort_by(|a, b| b.value.total_cmp(&a.value));
    let title = format!(
        "{prefecture}{}",
        l.t("土壤环境概况", " — soil environment overview")
    );
    let page = DashboardPage {
        demo: demo_present(&state).await?,
        l,
        year: p.year,
        signed_in,
        classes_visible: o.classes_visible,
        tiles: tiles(&o, l),
        measure: p.measure.code(),
        measure_name,
        measures: measure_options(p.measure, signed_in, l),
        map_svg,
        bars_svg: bars(
            &format!("{}{measure_name}", l.t("各县（市）：", "Counties: ")),
            &bar_rows,
            "#3182bd",
        ),
        shares_svg: class_shares(&o, l, l.t("农用地分类面积占比", "Farmland area by class")),
        rows: county_rows(&o),
        runs: o
            .runs
            .iter()
            .map(|r| (r.id, format!("{} {} ({})", r.division, r.year, r.method)))
            .collect(),
        title,
    };
    render(&page)
}

/// A point of the county page.
pub struct PointRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub level: &'static str,
}

/// A plot of the county page.
pub struct PlotRow {
    pub code: String,
    pub name: String,
    pub stage: &'static str,
}

/// An enterprise of the county page (public fields only).
pub struct EnterpriseRow {
    pub name: String,
    pub industry: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "county.html")]
pub struct CountyPage {
    pub demo: bool,
    pub l: Lang,
    pub code: String,
    pub name: String,
    pub year: i32,
    pub signed_in: bool,
    /// The farmland classes may be shown (the catalogue); else a notice.
    pub classes_visible: bool,
    pub tiles: Vec<Tile>,
    pub map_svg: String,
    pub shares_svg: String,
    pub years_svg: String,
    pub classes: Vec<(&'static str, String, String)>,
    pub run_id: Option<i64>,
    pub points: Vec<PointRow>,
    pub points_more: usize,
    pub plots: Vec<PlotRow>,
    pub enterprises: Vec<EnterpriseRow>,
}

const POINTS_SHOWN: usize = 300;

fn point_colour(t: PointType) -> &'static str {
    match t.code() {
        "background" => "#2e7d32",
        "basic" => "#1565c0",
        "risk" => "#c62828",
        _ => "#6a1b9a",
    }
}

/// `/counties/{code}`: one county — its points on the map, farmland by class, plots,
/// enterprises; 404 for a code that is not a county.
pub async fn county_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(code): Path<String>,
    Query(q): Query<DashboardQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let not_found = || {
        PageError(ApiError::NotFound(format!(
            "没有这个县（市）：'{code}' / no such county: '{code}'"
        )))
    };
    let county: DivisionCode = code.parse().map_err(|_| not_found())?;
    let divisions = state.store.list_divisions().await?;
    let Some(division) = divisions
        .iter()
        .find(|d| d.code == county && d.level == DivisionLevel::County)
    else {
        return Err(not_found());
    };
    let signed_in = actor.is_some();
    let p = match params(&q, signed_in, &format!("/counties/{code}"), raw.as_deref())? {
        Ok(p) => p,
        Err(redirect) => return Ok(redirect),
    };
    let visible = crate::api::catalogue::classes_visible(&state, actor.as_ref()).await?;
    let o = overview(&state, Some(county), p.year, signed_in, visible).await?;
    let points: Vec<PointRecord> = state
        .store
        .find_points(&FindQuery {
            division: Some(county),
            active: Some(true),
            sort: FindSort::Key,
            limit: 100_000,
            ..FindQuery::default()
        })
        .await?
        .items;
    // Zoom to the county with a margin; the neighbours are drawn pale for context.
    let extent = division.boundary.as_ref().and_then(|b| {
        use geo::BoundingRect;
        let r = b.bounding_rect()?;
        let (dx, dy) = (r.width() * 0.06, r.height() * 0.06);
        Some(geo::Rect::new(
            geo::coord! { x: r.min().x - dx, y: r.min().y - dy },
            geo::coord! { x: r.max().x + dx, y: r.max().y + dy },
        ))
    });
    let areas: Vec<MapArea<'_>> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .filter_map(|d| {
            let own = d.code == county;
            Some(MapArea {
                boundary: d.boundary.as_ref()?,
                fill: if own { "#fffde7" } else { "#eeeeee" }.into(),
                label: (!own).then(|| (d.name.clone(), String::new())),
                href: (!own).then(|| format!("/counties/{}", d.code)),
                title: d.name.clone(),
                emphasis: own,
            })
        })
        .collect();
    // Where a point lies is for signed-in users (issue 13, docs/ROLES.md): no dots signed out.
    let dots = points
        .iter()
        .filter(|_| signed_in)
        .map(|r| {
            let pt = &r.point.point;
            MapDot {
                lon: pt.location.lon(),
                lat: pt.location.lat(),
                href: format!("/points/{}", pt.code),
                title: format!("{} {} {}", pt.code, pt.name, pt.point_type.name_cn()),
                fill: point_colour(pt.point_type),
            }
        })
        .collect();
    let legend = PointType::ALL
        .iter()
        .map(|t| {
            (
                point_colour(*t).to_owned(),
                match l {
                    Lang::Zh => t.name_cn().to_owned(),
                    Lang::En => t.code().replace('_', " "),
                },
            )
        })
        .collect::<Vec<_>>();
    let map_svg = draw_map(&MapSpec {
        label: format!(
            "{} {}",
            division.name,
            l.t("监测点位图", "monitoring points")
        ),
        areas,
        dots,
        extent,
        legend_title: l
            .t("在用监测点位（点击查看）", "Active points (click to open)")
            .into(),
        legend,
        width: 720.0,
        lang: l,
        marker: None,
    });
    let stats = o.counties.first();
    let classes = CLASSES
        .iter()
        .map(|c| {
            let a = stats
                .and_then(|s| s.classes)
                .map(|(k, _)| *k.of(*c))
                .unwrap_or_default();
            (
                class_name(*c, l),
                a.units.to_string(),
                format!("{:.1}", a.area_mu),
            )
        })
        .collect();
    // Samples per year over the last ten years (signed-in users).
    let years_svg = if signed_in {
        let mut rows = Vec::new();
        for y in (p.year - 9)..=p.year {
            let (from, to) = super::overview::year_range(y);
            let mut fq = FindQuery {
                division: Some(county),
                from,
                to,
                limit: 100_000,
                ..FindQuery::default()
            };
            let mut n = 0usize;
            loop {
                let page = state.store.find_samples(&fq).await?;
                n += page.items.len();
                match page.next_cursor {
                    Some(c) => fq.cursor = Some(c),
                    None => break,
                }
            }
            rows.push(Bar {
                label: y.to_string(),
                value: n as f64,
                text: n.to_string(),
                href: None,
            });
        }
        bars(l.t("各年样品数", "Samples per year"), &rows, "#3182bd")
    } else {
        String::new()
    };
    let page = CountyPage {
        demo: demo_present(&state).await?,
        l,
        code: county.to_string(),
        name: division.name.clone(),
        year: p.year,
        signed_in,
        classes_visible: o.classes_visible,
        tiles: tiles(&o, l),
        map_svg,
        shares_svg: class_shares(&o, l, l.t("农用地分类面积占比", "Farmland area by class")),
        years_svg,
        classes,
        run_id: stats.and_then(|s| s.classes).map(|(_, id)| id),
        points_more: points.len().saturating_sub(POINTS_SHOWN),
        points: points
            .iter()
            .take(POINTS_SHOWN)
            .map(|r| PointRow {
                code: r.point.point.code.clone(),
                name: r.point.point.name.clone(),
                kind: r.point.point.point_type.name_cn(),
                level: r.point.point.control_level.name_cn(),
            })
            .collect(),
        plots: o
            .plots
            .iter()
            .map(|p| PlotRow {
                code: p.code.clone(),
                name: p.name.clone(),
                stage: match l {
                    Lang::Zh => p.status.name_cn(),
                    Lang::En => p.status.name_en(),
                },
            })
            .collect(),
        enterprises: o
            .enterprises
            .iter()
            .map(|e| EnterpriseRow {
                name: e.name.clone(),
                industry: e.industry_name_cn.clone(),
                status: match l {
                    Lang::Zh => e.status.name_cn(),
                    Lang::En => e.status.name_en(),
                },
            })
            .collect(),
    };
    render(&page)
}
