//! `/samples/{id}`: a sample's results, its evaluation (the same function as
//! `GET /api/v1/samples/{id}/evaluation`) and its provenance (who entered it, when, why).

use askama::Template;
use axum::extract::{Path, Query, State};
use soilwatch_core::{AnalyteCatalogue, Sample};
use soilwatch_store::{Entity, StoredSample};

use super::i18n::{named, t};
use super::{demo_present, or_dash, render, PageResult};
use crate::api::samples::{evaluate_stored, Evaluation, EvaluationQuery};
use crate::auth::Actor;
use crate::AppState;

pub struct ResultRow {
    pub id: i64,
    pub name: String,
    pub value: String,
    pub unit: String,
    pub dl: String,
    pub qualifier: String,
    pub method: String,
    pub version: i64,
}

pub struct ProvenanceRow {
    pub version: i64,
    pub operation: String,
    pub at: String,
    pub actor: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "sample.html")]
pub struct SamplePage {
    pub demo: bool,
    pub id: i64,
    pub s: Sample,
    pub medium: String,
    pub land_use: String,
    pub crop: String,
    pub depth: String,
    pub lab: String,
    pub results: Vec<ResultRow>,
    pub ruleset: String,
    pub eval_error: Option<String>,
    pub eval_class: String,
    pub eval_rule: String,
    /// (item, value, limits, verdict)
    pub eval_items: Vec<(String, String, String, String)>,
    pub provenance: Vec<ProvenanceRow>,
    /// The import batch that brought the sample in.
    pub batch: Option<soilwatch_store::ImportBatch>,
}

/// The page of one sample.
pub async fn sample_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(q): Query<EvaluationQuery>,
) -> PageResult {
    let stored = state.store.get_sample_by_id(id).await?;
    // Issue 9: the sharing catalogue's read check, as on the API.
    crate::api::catalogue::guard_sample(&state, &actor, &format!("GET /samples/{id}"), &stored)
        .await?;
    let catalogue = AnalyteCatalogue::builtin();
    let mut page = SamplePage {
        demo: demo_present(&state).await?,
        id,
        medium: named(stored.sample.medium.name_cn(), stored.sample.medium.code()),
        land_use: or_dash(stored.sample.land_use.map(|l| {
            format!("{} {}", l.code(), t(l.name_cn(), ""))
                .trim_end()
                .to_owned()
        })),
        crop: or_dash(stored.sample.crop.clone()),
        depth: or_dash(stored.sample.depth_cm.map(|(a, b)| format!("{a}–{b} cm"))),
        lab: or_dash(stored.sample.lab.clone()),
        results: stored
            .results
            .iter()
            .map(|r| ResultRow {
                id: r.id,
                name: catalogue
                    .by_code(&r.result.analyte)
                    .map(|a| format!("{} {}", a.name_cn, a.code))
                    .unwrap_or_else(|| r.result.analyte.clone()),
                value: or_dash(r.result.value.map(|v| v.to_string())),
                unit: r.result.unit.symbol().to_owned(),
                dl: or_dash(r.result.detection_limit.map(|v| v.to_string())),
                qualifier: if r.result.is_non_detect() {
                    t("未检出", "not detected").to_owned()
                } else {
                    t("检出", "detected").to_owned()
                },
                method: or_dash(r.result.method.clone()),
                version: r.version,
            })
            .collect(),
        ruleset: String::new(),
        eval_error: None,
        eval_class: String::new(),
        eval_rule: String::new(),
        eval_items: Vec::new(),
        batch: match stored.batch {
            Some(b) => Some(state.store.get_import(b).await?),
            None => None,
        },
        provenance: state
            .store
            .history(Entity::Sample, &stored.sample.code)
            .await?
            .into_iter()
            .map(|h| ProvenanceRow {
                version: h.version,
                operation: h.operation,
                at: h.at.format("%Y-%m-%d %H:%M").to_string(),
                actor: h.actor,
                reason: h.reason,
            })
            .collect(),
        s: stored.sample.clone(),
    };
    let view = evaluation_view(&stored, &q);
    page.ruleset = view.ruleset;
    page.eval_error = view.error;
    page.eval_class = view.class;
    page.eval_rule = view.rule;
    page.eval_items = view
        .items
        .into_iter()
        .map(|i| (i.item, i.value, i.limits, i.verdict))
        .collect();
    render(&page)
}

/// One item of an evaluation as the pages show it.
pub struct EvalItem {
    /// The catalogue code of the analyte, where the item maps to one.
    pub analyte: Option<String>,
    pub item: String,
    pub value: String,
    pub limits: String,
    pub verdict: String,
}

/// A sample's evaluation as the pages show it (the same function as
/// `GET /api/v1/samples/{id}/evaluation`).
#[derive(Default)]
pub struct EvalView {
    pub ruleset: String,
    pub error: Option<String>,
    pub class: String,
    pub rule: String,
    pub items: Vec<EvalItem>,
}

/// Evaluate a stored sample for a page.
pub fn evaluation_view(stored: &StoredSample, q: &EvaluationQuery) -> EvalView {
    let mut v = EvalView::default();
    match evaluate_stored(stored, q) {
        Ok((ruleset, Evaluation::Soil(e))) => {
            v.ruleset = ruleset;
            v.class = e
                .class
                .map(|c| named(c.name_cn(), c.code()))
                .unwrap_or_else(|| t("无法分类", "cannot be classed").into());
            v.rule = e.rule;
            v.items = e
                .items
                .into_iter()
                .map(|i| {
                    let limits = match (i.screening, i.intervention) {
                        (Some(s), Some(iv)) => format!(
                            "{} {s}, {} {iv}",
                            t("筛选值", "screening"),
                            t("管制值", "intervention")
                        ),
                        (Some(s), None) => format!("{} {s}", t("筛选值", "screening")),
                        _ => "—".into(),
                    };
                    let verdict = if i.exceeds_intervention {
                        t("超管制值", "above intervention")
                    } else if i.exceeds_screening {
                        t("超筛选值", "above screening")
                    } else if i.screening.is_some() {
                        t("未超标", "below")
                    } else {
                        "—"
                    };
                    EvalItem {
                        item: format!("{} {}", i.name_cn, i.analyte),
                        value: format!("{} mg/kg", i.value_mg_kg),
                        limits,
                        verdict: verdict.to_owned(),
                        analyte: Some(i.analyte),
                    }
                })
                .collect();
        }
        Ok((ruleset, Evaluation::Water(e))) => {
            v.ruleset = ruleset;
            v.class = e
                .class
                .map(|c| c.label().to_owned())
                .or(e.compliant.map(|c| {
                    if c {
                        t("达标", "compliant")
                    } else {
                        t("不达标", "not compliant")
                    }
                    .to_owned()
                }))
                .unwrap_or_default();
            v.rule = e.rule;
            v.items = e
                .items
                .into_iter()
                .map(|i| {
                    let verdict = i
                        .class
                        .map(|c| c.label().to_owned())
                        .or(i.compliant.map(|c| {
                            if c {
                                t("达标", "compliant")
                            } else {
                                t("超标", "above limit")
                            }
                            .to_owned()
                        }))
                        .or(i.note)
                        .unwrap_or_default();
                    EvalItem {
                        item: i.standard_item,
                        value: format!("{} {}", i.value, i.unit),
                        limits: i.limits.join("；"),
                        verdict,
                        analyte: i.analyte,
                    }
                })
                .collect();
        }
        Err(e) => v.error = Some(super::message(&e).to_owned()),
    }
    v
}
