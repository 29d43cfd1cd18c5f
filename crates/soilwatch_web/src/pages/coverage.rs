//! `/network/coverage`: the coverage report as a page with the county map.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use soilwatch_core::{ControlLevel, DivisionCode, PointType};
use soilwatch_store::CoverageReport;

use super::i18n::{named, t};
use super::svg::{county_map, coverage_fill, MapCounty};
use super::{demo_present, render, PageResult};
use crate::api::network::{coverage, CoverageQuery};
use crate::AppState;

pub struct CountyRow {
    pub code: String,
    pub name: String,
    pub total: i64,
    pub by_type: Vec<i64>,
    pub by_level: Vec<i64>,
    pub missing: String,
}

pub struct StaleRow {
    pub code: String,
    pub name: String,
    pub county: String,
    pub kind: String,
    pub last: String,
}

#[derive(Template)]
#[template(path = "coverage.html")]
pub struct CoveragePage {
    pub demo: bool,
    pub years: u32,
    pub report: CoverageReport,
    pub map_svg: String,
    pub type_names: Vec<String>,
    pub level_names: Vec<String>,
    pub rows: Vec<CountyRow>,
    pub gaps: Vec<(String, String)>,
    pub stale: Vec<StaleRow>,
    pub stale_more: usize,
}

const STALE_SHOWN: usize = 300;

/// The network coverage page.
pub async fn coverage_page(
    State(state): State<AppState>,
    Query(q): Query<CoverageQuery>,
) -> PageResult {
    let report = coverage(&state, &q).await?;
    let divisions = state.store.list_divisions().await?;
    let names: HashMap<DivisionCode, String> =
        divisions.iter().map(|d| (d.code, d.name.clone())).collect();
    let name = |c: DivisionCode| names.get(&c).cloned().unwrap_or_else(|| c.to_string());
    let map_counties: Vec<MapCounty<'_>> = report
        .counties
        .iter()
        .filter_map(|c| {
            let d = divisions.iter().find(|d| d.code == c.code)?;
            Some(MapCounty {
                code: c.code.to_string(),
                name: &d.name,
                boundary: d.boundary.as_ref()?,
                fill: coverage_fill(c.core_types_missing.len()),
                label: c.total.to_string(),
            })
        })
        .collect();
    let map_svg = county_map(&map_counties, 640.0);
    let rows = report
        .counties
        .iter()
        .map(|c| CountyRow {
            code: c.code.to_string(),
            name: c.name.clone(),
            total: c.total,
            by_type: PointType::ALL
                .iter()
                .map(|t| c.by_type.get(t.code()).copied().unwrap_or(0))
                .collect(),
            by_level: ControlLevel::ALL
                .iter()
                .map(|l| c.by_control_level.get(l.code()).copied().unwrap_or(0))
                .collect(),
            missing: c
                .core_types_missing
                .iter()
                .map(|t| named(t.name_cn(), t.code()))
                .collect::<Vec<_>>()
                .join(t("、", ", ")),
        })
        .collect();
    let gaps = report
        .counties_without_type
        .iter()
        .map(|g| {
            (
                named(g.point_type.name_cn(), g.point_type.code()),
                g.counties
                    .iter()
                    .map(|c| name(*c))
                    .collect::<Vec<_>>()
                    .join("、"),
            )
        })
        .collect();
    let stale = report
        .stale_points
        .iter()
        .take(STALE_SHOWN)
        .map(|p| StaleRow {
            code: p.code.clone(),
            name: p.name.clone(),
            county: name(p.division),
            kind: named(p.point_type.name_cn(), p.point_type.code()),
            last: p
                .last_sampled_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| t("从未采样", "never").into()),
        })
        .collect();
    let page = CoveragePage {
        demo: demo_present(&state).await?,
        years: q.years.unwrap_or(3),
        stale_more: report.stale_points.len().saturating_sub(STALE_SHOWN),
        map_svg,
        type_names: PointType::ALL
            .iter()
            .map(|p| named(p.name_cn(), p.code()))
            .collect(),
        level_names: ControlLevel::ALL
            .iter()
            .map(|c| named(c.name_cn(), c.code()))
            .collect(),
        rows,
        gaps,
        stale,
        report,
    };
    render(&page)
}
