//! `/points/{code}`: a point, its samples over time with a chart per analyte (the GB 15618
//! screening value drawn for soil), and its history.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use soilwatch_core::{AnalyteCatalogue, Medium, MonitoringPoint, Unit};
use soilwatch_standards::{PhBand, SoilEngine};
use soilwatch_store::{Entity, FindQuery, FindSort, FoundResult};

use super::i18n::{named, t};
use super::svg::{time_series, ChartPoint};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::catalogue::guard_rows;
use crate::auth::Actor;
use crate::AppState;

pub struct SampleRow {
    pub id: i64,
    pub code: String,
    pub medium: String,
    pub date: String,
    pub crop: String,
    pub lab: String,
}

pub struct HistoryRow {
    pub version: i64,
    pub operation: String,
    pub at: String,
    pub actor: String,
    pub reason: String,
    pub location: String,
}

pub struct Chart {
    pub svg: String,
    pub caption: String,
}

#[derive(Template)]
#[template(path = "point.html")]
pub struct PointPage {
    pub demo: bool,
    pub p: MonitoringPoint,
    pub kind: String,
    pub level: String,
    pub county: String,
    pub lon: String,
    pub lat: String,
    pub land_use: String,
    pub risk: String,
    pub watched: String,
    pub established: String,
    pub moved: String,
    pub version: i64,
    pub charts: Vec<Chart>,
    pub samples: Vec<SampleRow>,
    pub history: Vec<HistoryRow>,
    /// Whether the reader may edit the point (administrators, data officers).
    pub can_edit: bool,
}

/// Mean pH of the point's soil results, as a GB 15618 band.
fn ph_band(results: &[FoundResult]) -> Option<PhBand> {
    let ph: Vec<Decimal> = results
        .iter()
        .filter(|r| r.row.medium == Medium::Soil && r.row.result.analyte == "pH")
        .filter_map(|r| r.row.result.value.map(|v| v.get()))
        .collect();
    if ph.is_empty() {
        return None;
    }
    let n = Decimal::from(ph.len());
    Some(PhBand::of(ph.iter().sum::<Decimal>() / n))
}

fn charts(point: &MonitoringPoint, results: &[FoundResult]) -> Vec<Chart> {
    let catalogue = AnalyteCatalogue::builtin();
    let band = ph_band(results);
    let group = point.land_use.and_then(|l| l.farmland_group());
    let engine = SoilEngine::builtin("gb15618-2018").ok();
    let mut series: BTreeMap<(Medium, String), Vec<&FoundResult>> = BTreeMap::new();
    for r in results {
        if r.row.result.analyte == "pH" {
            continue;
        }
        series
            .entry((r.row.medium, r.row.result.analyte.clone()))
            .or_default()
            .push(r);
    }
    series
        .into_iter()
        .map(|((medium, analyte), rows)| {
            let name = catalogue
                .by_code(&analyte)
                .map(|a| format!("{} {}", a.name_cn, a.code))
                .unwrap_or_else(|| analyte.clone());
            let unit = rows
                .first()
                .map(|r| r.row.result.unit)
                .unwrap_or(Unit::MgPerKg);
            let pts: Vec<ChartPoint> = rows
                .iter()
                .filter_map(|r| {
                    let a = &r.row.result;
                    let v = a.value.or(a.detection_limit)?.get().to_f64()?;
                    Some(ChartPoint {
                        date: r.row.sampled_on,
                        value: v,
                        non_detect: a.is_non_detect(),
                    })
                })
                .collect();
            let mut refs = Vec::new();
            let mut caption = format!(
                "{}, {} ({} {})",
                named(medium.name_cn(), medium.code()),
                name,
                pts.len(),
                t("个结果", "results")
            );
            let same_unit = rows.iter().all(|r| r.row.result.unit == Unit::MgPerKg);
            if let (Medium::Soil, Some(g), Some(e), true) = (medium, group, engine, same_unit) {
                if let Some((Some(s), intervention)) = e.farmland_thresholds(&analyte, g, band) {
                    if let Some(s) = s.to_f64() {
                        refs.push((t("筛选值", "screening value").to_owned(), s, "#c62828"));
                    }
                    let max = pts.iter().map(|p| p.value).fold(0.0, f64::max);
                    if let Some(i) = intervention.and_then(|i| i.to_f64()) {
                        if max > refs.first().map_or(f64::MAX, |r| r.1) {
                            refs.push((t("管制值", "intervention value").to_owned(), i, "#4a148c"));
                        }
                    }
                    caption.push_str(&format!(
                        "{} ({}, {})",
                        t(
                            "；红色虚线为 GB 15618-2018 风险筛选值",
                            "; the red dashed line is the GB 15618-2018 risk screening value"
                        ),
                        g.code(),
                        band.map_or(
                            t(
                                "pH 缺失，取各 pH 段最低值",
                                "no pH: the lowest of the pH bands"
                            )
                            .to_owned(),
                            |b| format!("pH {}", b.label())
                        )
                    ));
                }
            }
            Chart {
                svg: time_series(&name, unit.symbol(), &pts, &refs),
                caption,
            }
        })
        .collect()
}

/// The page of one point.
pub async fn point_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    let rec = state.store.get_point_record(&code).await?;
    let p = rec.point.point.clone();
    let county = state
        .store
        .get_division(p.division)
        .await
        .map(|d| d.name)
        .unwrap_or_else(|_| p.division.to_string());
    let base = FindQuery {
        point_code: Some(code.clone()),
        sort: FindSort::Date,
        limit: 100_000,
        ..FindQuery::default()
    };
    // Issue 9: the point's samples and results through the sharing catalogue's read check.
    let path = format!("GET /points/{code}");
    let samples = state.store.find_samples(&base).await?.items;
    let samples = guard_rows(&state, &actor, &path, None, samples, |s| {
        (s.id, s.sample.medium)
    })
    .await?;
    let results = state.store.find_results(&base).await?.items;
    let results = guard_rows(&state, &actor, &path, None, results, |r| {
        (r.row.sample_id, r.row.medium)
    })
    .await?;
    let history = state.store.history(Entity::Point, &code).await?;
    let page = PointPage {
        demo: demo_present(&state).await?,
        can_edit: matches!(
            actor.role(),
            soilwatch_store::Role::Administrator | soilwatch_store::Role::DataOfficer
        ),
        kind: named(p.point_type.name_cn(), p.point_type.code()),
        level: named(p.control_level.name_cn(), p.control_level.code()),
        county,
        lon: format!("{:.6}", p.location.lon()),
        lat: format!("{:.6}", p.location.lat()),
        land_use: or_dash(p.land_use.map(|l| {
            format!("{} {}", l.code(), t(l.name_cn(), ""))
                .trim_end()
                .to_owned()
        })),
        risk: or_dash(
            rec.point
                .risk_area()
                .map(|c| t(c.name_cn(), c.name_en()).to_owned()),
        ),
        watched: or_dash(
            [
                rec.point.watched_enterprise.clone(),
                rec.point.watched_plot.clone(),
            ]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a} / {b}")),
        ),
        established: or_dash(p.established_on.map(|d| d.to_string())),
        moved: or_dash(rec.point.moved_on.map(|d| d.to_string())),
        version: rec.version,
        charts: charts(&p, &results),
        samples: samples
            .into_iter()
            .map(|s| SampleRow {
                id: s.id,
                code: s.sample.code,
                medium: named(s.sample.medium.name_cn(), s.sample.medium.code()),
                date: s.sample.sampled_on.to_string(),
                crop: or_dash(s.sample.crop),
                lab: or_dash(s.sample.lab),
            })
            .collect(),
        history: history
            .into_iter()
            .map(|h| HistoryRow {
                version: h.version,
                operation: h.operation,
                at: h.at.format("%Y-%m-%d %H:%M").to_string(),
                actor: h.actor,
                reason: h.reason,
                location: format!(
                    "{}, {}",
                    h.data["location"][0]
                        .as_f64()
                        .map(|v| format!("{v:.6}"))
                        .unwrap_or_default(),
                    h.data["location"][1]
                        .as_f64()
                        .map(|v| format!("{v:.6}"))
                        .unwrap_or_default()
                ),
            })
            .collect(),
        p,
    };
    render(&page)
}
