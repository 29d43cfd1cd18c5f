//! `/classification/runs/{id}`: the classification list (分类清单) of a run — a server-drawn SVG
//! map of the units coloured by final class (green / yellow / red) over the county boundaries,
//! the county × class table (units, mu) and the units with their rules. The JSON and CSV of the
//! same list come from `api::classification`, through the same service functions.

use std::fmt::Write;

use askama::Template;
use axum::extract::{Path, State};
use geo::BoundingRect;
use soilwatch_classify::list::CountyList;
use soilwatch_classify::UnitClass;
use soilwatch_store::classification_service::{run_changes, run_list, unit_geometries};
use soilwatch_store::RunRecord;

use super::svg::esc;
use super::{demo_present, render, PageResult};
use crate::AppState;

pub struct UnitRow {
    pub code: String,
    pub county: String,
    pub land_use: String,
    pub area_mu: String,
    pub class: String,
    pub final_class: String,
    pub basis: String,
    pub review: String,
    pub rule: String,
}

#[derive(Template)]
#[template(path = "classification.html")]
pub struct ClassificationPage {
    pub demo: bool,
    pub run: RunRecord,
    pub map_svg: String,
    pub counties: Vec<(String, [String; 4], String)>,
    pub units: Vec<UnitRow>,
    pub units_more: usize,
    pub changes: usize,
}

const UNITS_SHOWN: usize = 500;

fn cell(c: &CountyList, k: Option<UnitClass>) -> String {
    let a = match k {
        Some(k) => c.of(k),
        None => &c.unclassified,
    };
    format!("{} / {:.1}", a.units, a.area_mu)
}

/// Units coloured by class over the county outlines (equirectangular, longitude × cos latitude).
fn unit_map(
    counties: &[&geo::MultiPolygon<f64>],
    units: &[(&geo::MultiPolygon<f64>, &'static str, String)],
    width: f64,
) -> String {
    let rects: Vec<geo::Rect<f64>> = counties
        .iter()
        .filter_map(|c| c.bounding_rect())
        .chain(units.iter().filter_map(|u| u.0.bounding_rect()))
        .collect();
    let Some(first) = rects.first() else {
        return "<p>没有单元 / no units</p>".into();
    };
    let (mut x0, mut y0, mut x1, mut y1) =
        (first.min().x, first.min().y, first.max().x, first.max().y);
    for r in &rects {
        x0 = x0.min(r.min().x);
        y0 = y0.min(r.min().y);
        x1 = x1.max(r.max().x);
        y1 = y1.max(r.max().y);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let scale = width / ((x1 - x0) * k).max(1e-9);
    let height = (y1 - y0) * scale;
    let path = |g: &geo::MultiPolygon<f64>| {
        let mut d = String::new();
        for poly in &g.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for (i, p) in ring.0.iter().enumerate() {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1} ",
                        if i == 0 { "M" } else { "L" },
                        (p.x - x0) * k * scale,
                        (y1 - p.y) * scale
                    );
                }
                d.push('Z');
            }
        }
        d
    };
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="-5 -5 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{label}">"#,
        w = width + 10.0,
        h = height + 10.0,
        label = super::i18n::t("评价单元分类图", "Map of the evaluation units by class")
    );
    for c in counties {
        let _ = write!(
            out,
            r##"<path d="{}" fill="#f5f5f5" stroke="#555" stroke-width="0.8"/>"##,
            path(c)
        );
    }
    for (g, fill, title) in units {
        let _ = write!(
            out,
            r##"<path class="unit" d="{}" fill="{fill}" stroke="#666" stroke-width="0.2"><title>{}</title></path>"##,
            path(g),
            esc(title)
        );
    }
    out.push_str("</svg>");
    out
}

/// The classification list page of a run.
pub async fn classification_page(
    State(state): State<AppState>,
    actor: crate::auth::Actor,
    Path(id): Path<i64>,
) -> PageResult {
    let store = state.store.as_ref();
    let rl = run_list(store, id).await?;
    // Issue 9: unit-level results with evidence, through the sharing catalogue's read check.
    let path = format!("GET /classification/runs/{id}");
    let units = rl.units.len();
    crate::api::catalogue::guard_dataset(
        &state,
        Some(&actor),
        "farmland_classification",
        &path,
        units,
        false,
    )
    .await?;
    let changes = run_changes(store, id).await?.changes.len();
    let geoms = unit_geometries(store, rl.run.division).await?;
    let divisions = store.list_divisions().await?;
    let county_shapes: Vec<&geo::MultiPolygon<f64>> = divisions
        .iter()
        .filter(|d| {
            d.level == soilwatch_core::DivisionLevel::County && rl.run.division.contains(d.code)
        })
        .filter_map(|d| d.boundary.as_ref())
        .collect();
    let drawn: Vec<(&geo::MultiPolygon<f64>, &'static str, String)> = rl
        .units
        .iter()
        .filter_map(|u| {
            let g = geoms.get(&u.unit.unit_code)?;
            let fc = u.unit.final_class();
            Some((
                g,
                fc.map(|c| c.colour()).unwrap_or("#bdbdbd"),
                format!(
                    "{} {}",
                    u.unit.unit_code,
                    fc.map(|c| super::i18n::t(c.name_cn(), c.name_en()))
                        .unwrap_or(super::i18n::t("未分类", "unclassified"))
                ),
            ))
        })
        .collect();
    let map_svg = unit_map(&county_shapes, &drawn, 720.0);
    let counties = rl
        .list
        .counties
        .iter()
        .chain(std::iter::once(&rl.list.total))
        .map(|c| {
            (
                format!("{} {}", c.division, c.county),
                [
                    cell(c, Some(UnitClass::PriorityProtection)),
                    cell(c, Some(UnitClass::SafeUtilization)),
                    cell(c, Some(UnitClass::StrictControl)),
                    cell(c, None),
                ],
                format!("{} / {:.1}", c.total.units, c.total.area_mu),
            )
        })
        .collect();
    let name = |c: Option<UnitClass>| {
        c.map(|c| super::i18n::t(c.name_cn(), c.name_en()))
            .unwrap_or("—")
            .to_owned()
    };
    let units = rl
        .units
        .iter()
        .take(UNITS_SHOWN)
        .map(|u| UnitRow {
            code: u.unit.unit_code.clone(),
            county: u.unit.county.clone(),
            land_use: u.unit.land_use.clone().unwrap_or_else(|| "—".into()),
            area_mu: format!("{:.1}", u.unit.area_mu),
            class: name(u.unit.class),
            final_class: name(u.unit.final_class()),
            basis: u.unit.basis.name_cn().to_owned(),
            review: match (&u.unit.review_action, &u.unit.review_reason) {
                (Some(a), Some(r)) => format!("{a}: {r}"),
                _ => String::new(),
            },
            rule: u.unit.rule.clone(),
        })
        .collect();
    let page = ClassificationPage {
        demo: demo_present(&state).await?,
        units_more: rl.units.len().saturating_sub(UNITS_SHOWN),
        run: rl.run,
        map_svg,
        counties,
        units,
        changes,
    };
    render(&page)
}

/// One run in the list of runs.
pub struct RunRow {
    pub id: i64,
    pub year: i32,
    pub division: String,
    pub method: String,
    pub ruleset: String,
    pub units: String,
    /// Units / mu per class as computed when the run was made: priority protection, safe
    /// utilization, strict control, unclassified.
    pub classes: [String; 4],
    pub actor: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "classification_runs.html")]
pub struct RunsPage {
    pub demo: bool,
    pub runs: Vec<RunRow>,
    pub division: String,
    pub year: String,
    pub divisions: Vec<(String, String)>,
}

/// Filters of the runs page.
#[derive(Debug, serde::Deserialize)]
pub struct RunsQuery {
    pub division: Option<String>,
    pub year: Option<String>,
}

/// `/classification`: the classification runs, newest first, with their class areas as computed,
/// filtered by division and year; each links to its list page.
pub async fn runs_page(
    State(state): State<AppState>,
    crate::auth::MaybeActor(actor): crate::auth::MaybeActor,
    axum::extract::Query(q): axum::extract::Query<RunsQuery>,
) -> PageResult {
    let store = state.store.as_ref();
    // Issue 9: county-level class areas: signed out only while the catalogue marks
    // `farmland_classification` public; signed in through its read check.
    let path = "GET /classification";
    crate::api::catalogue::guard_dataset(
        &state,
        actor.as_ref(),
        "farmland_classification",
        path,
        0,
        true,
    )
    .await?;
    let bad = |field: &str, v: &str| {
        crate::error::ApiError::BadRequest(format!(
            "参数 {field}: 无效的值 '{v}' / parameter {field}: invalid value '{v}'"
        ))
    };
    let division_text = q.division.clone().unwrap_or_default();
    let division = match division_text.trim() {
        "" => None,
        d => Some(
            d.parse::<soilwatch_core::DivisionCode>()
                .map_err(|_| bad("division", d))?,
        ),
    };
    let year_text = q.year.clone().unwrap_or_default();
    let year = match year_text.trim() {
        "" => None,
        y => Some(y.parse::<i32>().map_err(|_| bad("year", y))?),
    };
    let divisions = store.list_divisions().await?;
    let name_of = |code: soilwatch_core::DivisionCode| {
        divisions
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| format!("{} {}", d.code, d.name))
    };
    let runs = store
        .list_runs(division, year, 500)
        .await?
        .into_iter()
        .map(|r| {
            let list: Option<soilwatch_classify::list::ClassificationList> =
                serde_json::from_value(r.summary["list"].clone()).ok();
            let classes = match &list {
                Some(l) => [
                    cell(&l.total, Some(UnitClass::PriorityProtection)),
                    cell(&l.total, Some(UnitClass::SafeUtilization)),
                    cell(&l.total, Some(UnitClass::StrictControl)),
                    cell(&l.total, None),
                ],
                None => Default::default(),
            };
            RunRow {
                id: r.id,
                year: r.year,
                division: name_of(r.division),
                method: r.method.clone(),
                ruleset: r.ruleset.clone(),
                units: r.summary["units"].to_string(),
                classes,
                actor: r.actor.clone(),
                created_at: r
                    .created_at
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            }
        })
        .collect();
    render(&RunsPage {
        demo: demo_present(&state).await?,
        runs,
        division: division_text,
        year: year_text,
        divisions: divisions
            .iter()
            .filter(|d| d.level != soilwatch_core::DivisionLevel::Province)
            .map(|d| (d.code.to_string(), d.name.clone()))
            .collect(),
    })
}
