//! Detail pages of issue 7: one result (`/results/{id}`), one ruleset (`/standards/{id}`) and one
//! key supervised enterprise (`/enterprises/{uscc}`). Each reads through the same functions as its
//! JSON route (`GET /api/v1/results/{id}/history` with the sample, `GET /api/v1/standards/{id}`,
//! `GET /api/v1/enterprises/{uscc}` and `/disclosures`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::Utc;
use soilwatch_core::AnalyteCatalogue;
use soilwatch_standards::{Ruleset, ThresholdValue, ValueType};
use soilwatch_store::registry::parse_uscc;
use soilwatch_store::{Entity, FindQuery};

use super::i18n::{named, Lang};
use super::sample::{evaluation_view, EvalItem};
use super::{demo_present, or_dash, render, PageError, PageResult};
use crate::api::samples::EvaluationQuery;
use crate::auth::{Actor, MaybeActor};
use crate::error::ApiError;
use crate::AppState;

/// A JSON scalar of a stored version as text ("—" for none).
fn js(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) if s.is_empty() => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A version of a result.
pub struct ResultVersion {
    pub version: i64,
    pub operation: String,
    pub at: String,
    pub actor: String,
    pub reason: String,
    pub value: String,
    pub unit: String,
    pub dl: String,
    pub qualifier: String,
}

#[derive(Template)]
#[template(path = "result.html")]
pub struct ResultPage {
    pub demo: bool,
    pub l: Lang,
    pub id: i64,
    pub sample_id: i64,
    pub sample_code: String,
    pub point_code: Option<String>,
    pub division: String,
    pub medium: String,
    pub sampled_on: String,
    pub analyte: String,
    pub value: String,
    pub unit: String,
    pub dl: String,
    pub qualifier: String,
    pub method: String,
    pub version: i64,
    /// Whether the result is no longer in its sample (only its history remains).
    pub removed: bool,
    pub ruleset: String,
    pub eval_error: Option<String>,
    pub eval_class: String,
    pub eval_items: Vec<EvalItem>,
    pub history: Vec<ResultVersion>,
}

fn qualifier_text(l: Lang, non_detect: bool) -> String {
    if non_detect {
        l.t("未检出", "not detected").into()
    } else {
        l.t("检出", "detected").into()
    }
}

/// `/results/{id}`: a result with its sample and point, its value, unit, qualifier and detection
/// limit, its evaluation against the sample's standard and every version (signed-in users; the
/// sharing catalogue's check of its sample, as on `GET /api/v1/results/{id}/history`).
pub async fn result_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(q): Query<EvaluationQuery>,
) -> PageResult {
    let l = Lang::current();
    let versions = state.store.history(Entity::Result, &id.to_string()).await?;
    let Some(last) = versions.last() else {
        return Err(PageError(ApiError::NotFound(format!(
            "未找到 / not found: result '{id}'"
        ))));
    };
    let code = versions
        .iter()
        .rev()
        .find_map(|v| v.data["sample_code"].as_str())
        .unwrap_or_default()
        .to_owned();
    let stored = state.store.get_sample(&code).await?;
    crate::api::catalogue::guard_sample(&state, &actor, &format!("GET /results/{id}"), &stored)
        .await?;
    let current = stored.results.iter().find(|r| r.id == id);
    let catalogue = AnalyteCatalogue::builtin();
    let analyte_code = current
        .map(|r| r.result.analyte.clone())
        .unwrap_or_else(|| js(&last.data["analyte"]));
    let view = evaluation_view(&stored, &q);
    let history = versions
        .iter()
        .map(|v| ResultVersion {
            version: v.version,
            operation: v.operation.clone(),
            at: v.at.format("%Y-%m-%d %H:%M").to_string(),
            actor: v.actor.clone(),
            reason: v.reason.clone(),
            value: js(&v.data["value"]),
            unit: js(&v.data["unit"]),
            dl: js(&v.data["detection_limit"]),
            qualifier: match v.data["qualifier"].as_str() {
                Some("not_detected") => qualifier_text(l, true),
                Some(_) => qualifier_text(l, false),
                None => "—".into(),
            },
        })
        .collect();
    let s = &stored.sample;
    render(&ResultPage {
        demo: demo_present(&state).await?,
        l,
        id,
        sample_id: stored.id,
        sample_code: s.code.clone(),
        point_code: s.point_code.clone(),
        division: s.division.to_string(),
        medium: named(s.medium.name_cn(), s.medium.code()),
        sampled_on: s.sampled_on.to_string(),
        analyte: catalogue
            .by_code(&analyte_code)
            .map(|a| format!("{} {}", a.name_cn, a.code))
            .unwrap_or_else(|| analyte_code.clone()),
        value: or_dash(current.and_then(|r| r.result.value.map(|v| v.to_string()))),
        unit: current
            .map(|r| r.result.unit.symbol().to_owned())
            .unwrap_or_else(|| js(&last.data["unit"])),
        dl: or_dash(current.and_then(|r| r.result.detection_limit.map(|v| v.to_string()))),
        qualifier: current
            .map(|r| qualifier_text(l, r.result.is_non_detect()))
            .unwrap_or_else(|| "—".into()),
        method: or_dash(current.and_then(|r| r.result.method.clone())),
        version: current.map_or(last.version, |r| r.version),
        removed: current.is_none(),
        ruleset: view.ruleset,
        eval_error: view.error,
        eval_class: view.class,
        eval_items: view
            .items
            .into_iter()
            .filter(|i| i.analyte.as_deref() == Some(analyte_code.as_str()))
            .collect(),
        history,
    })
}

/// A value of a ruleset as the standard page shows it.
pub struct StandardRow {
    pub table: String,
    pub item: String,
    pub analyte: String,
    pub value_type: &'static str,
    pub scope: String,
    pub value: String,
    pub unit: String,
    pub confidence: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "standard.html")]
pub struct StandardPage {
    pub demo: bool,
    pub l: Lang,
    pub r: Ruleset,
    pub name: String,
    pub media: String,
    pub rows: Vec<StandardRow>,
}

fn value_type(l: Lang, t: ValueType) -> &'static str {
    match t {
        ValueType::Screening => l.t("风险筛选值", "risk screening value"),
        ValueType::Intervention => l.t("风险管制值", "risk intervention value"),
        ValueType::ClassLimit => l.t("分类限值", "class limit"),
        ValueType::SourceWaterLimit => l.t("水源地标准限值", "source-water limit"),
        ValueType::Limit => l.t("控制限值", "limit"),
        ValueType::MaximumLevel => l.t("限量", "maximum level"),
    }
}

/// Where a value applies, in the page's language: land use, pH band, land class, water class and
/// body, crop, variant and basis.
fn scope(l: Lang, v: &ThresholdValue) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(u) = &v.land_use {
        parts.push(
            match u.as_str() {
                "paddy" => l.t("水田", "paddy"),
                "other" => l.t("其他", "other"),
                "orchard" => l.t("果园", "orchard"),
                "all" => l.t("全部", "all"),
                other => other,
            }
            .to_owned(),
        );
    }
    if let Some(b) = v.ph_band {
        parts.push(b.label().to_owned());
    }
    if let Some(c) = v.land_class {
        parts.push(match l {
            Lang::Zh => format!("第{c}类用地"),
            Lang::En => format!("class {c} land"),
        });
    }
    if let Some(c) = v.water_class {
        parts.push(match l {
            Lang::Zh => format!("{}类", c.label()),
            Lang::En => format!("class {}", c.code()),
        });
    }
    if let Some(w) = &v.water_body {
        parts.push(
            match w.as_str() {
                "river" => l.t("河流", "river"),
                "lake" => l.t("湖库", "lake or reservoir"),
                other => other,
            }
            .to_owned(),
        );
    }
    match (l, &v.crop, &v.crop_en) {
        (Lang::En, _, Some(en)) => parts.push(en.clone()),
        (_, Some(c), _) => parts.push(c.clone()),
        _ => {}
    }
    if let Some(x) = &v.variant {
        parts.push(x.clone());
    }
    if let Some(x) = &v.basis {
        parts.push(x.clone());
    }
    if parts.is_empty() {
        l.t("全部", "all").to_owned()
    } else {
        parts.join(", ")
    }
}

/// `/standards/{id}`: every value of a ruleset with its table, scope (pH band, land use, land
/// class …), confidence and source — the data of `GET /api/v1/standards/{id}` (public).
pub async fn standard_page(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let l = Lang::current();
    let Json(r) = crate::api::standards::get_standard(State(state.clone()), Path(id)).await?;
    let rows = r
        .values
        .iter()
        .map(|v| StandardRow {
            table: v.table.clone(),
            item: match l {
                Lang::En if !v.item_en.is_empty() => v.item_en.clone(),
                _ => v.item_cn.clone(),
            },
            analyte: or_dash(v.analyte.clone()),
            value_type: value_type(l, v.value_type),
            scope: scope(l, v),
            value: if v.value_as_written.is_empty() {
                "—".into()
            } else {
                v.value_as_written.clone()
            },
            unit: or_dash(Some(v.unit.clone())),
            confidence: v.confidence.clone(),
            source: v.source.clone(),
        })
        .collect();
    render(&StandardPage {
        demo: demo_present(&state).await?,
        l,
        name: l.t(&r.name_cn, &r.name).to_owned(),
        media: r
            .media
            .iter()
            .map(|m| named(m.name_cn(), m.code()))
            .collect::<Vec<_>>()
            .join(", "),
        rows,
        r,
    })
}

/// A year of the disclosure calendar.
pub struct YearRow {
    pub year: i32,
    pub due_on: String,
    pub state: &'static str,
    pub disclosed_on: String,
}

/// A disclosure.
pub struct DisclosureRow {
    pub year: i32,
    pub disclosed_on: String,
    pub pollutants: String,
    pub facilities: String,
    pub published_at: String,
    pub samples: String,
}

/// A demolition plan on the enterprise page (the public fields; `number` and `note` for
/// signed-in readers only).
pub struct DemolitionRow {
    pub code: String,
    pub facilities: String,
    pub cleanup_plan: String,
    pub filed: String,
    pub planned_start: String,
    pub status: &'static str,
    pub steps: String,
    pub number: String,
    pub note: String,
}

/// A point that watches the enterprise or is one of its self-monitoring points.
pub struct WatchRow {
    pub code: String,
    pub name: String,
    pub relation: &'static str,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
pub struct EnterprisePage {
    pub demo: bool,
    pub l: Lang,
    /// Whether the non-public fields are shown (signed-in users).
    pub full: bool,
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub division: String,
    pub address: String,
    pub listed_year: i32,
    pub status: &'static str,
    pub letter: String,
    pub location: String,
    pub contact: String,
    pub version: i64,
    pub years: Vec<YearRow>,
    pub overdue: String,
    pub disclosures: Vec<DisclosureRow>,
    pub points: Vec<WatchRow>,
    pub demolitions: Vec<DemolitionRow>,
}

/// `/enterprises/{uscc}`: an enterprise of the registry with its disclosures (years flagged on
/// time, late, overdue) and the monitoring points that watch it. The public sees the public
/// fields (those of `GET /api/v1/public/enterprises`); signed-in users also see the location, the
/// contact and the samples of each disclosure.
pub async fn enterprise_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(uscc): Path<String>,
) -> PageResult {
    let l = Lang::current();
    let u =
        parse_uscc("uscc", &uscc).map_err(|e| PageError(ApiError::BadRequest(e.to_string())))?;
    let rec = state.store.get_enterprise(u.as_str()).await?;
    let full = actor.is_some();
    let e = &rec.item;
    let pub_ = e.public();
    let d = crate::api::enterprises::enterprise_disclosures(&state, &u, Utc::now().date_naive())
        .await?;
    let state_name =
        |s: soilwatch_store::registry_enterprise::DisclosureState| l.t(s.name_cn(), s.name_en());
    let years = d
        .years
        .iter()
        .map(|y| YearRow {
            year: y.year,
            due_on: y.due_on.to_string(),
            state: state_name(y.state),
            disclosed_on: or_dash(y.disclosed_on.map(|x| x.to_string())),
        })
        .collect();
    let disclosures = d
        .disclosures
        .iter()
        .map(|v| {
            let x = &v.item;
            DisclosureRow {
                year: x.year,
                disclosed_on: x.disclosed_on.to_string(),
                pollutants: or_dash(Some(
                    x.pollutants
                        .iter()
                        .map(|p| {
                            [
                                Some(p.name.clone()),
                                p.discharge_mode.clone(),
                                p.concentration.clone(),
                                p.total.clone(),
                            ]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ")
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                facilities: or_dash(x.facilities.clone()),
                published_at: or_dash(x.published_at.clone()),
                samples: or_dash(Some(x.sample_codes.join(", "))),
            }
        })
        .collect();
    // The points that watch it (the network's `watched_enterprise`) and its own self-monitoring
    // points, from the points of its county.
    let query = FindQuery {
        division: Some(e.division),
        limit: 100_000,
        ..FindQuery::default()
    };
    let found = state.store.find_points(&query).await?;
    let mut points: Vec<WatchRow> = found
        .items
        .iter()
        .filter(|p| p.point.watched_enterprise.as_deref() == Some(u.as_str()))
        .map(|p| WatchRow {
            code: p.point.point.code.clone(),
            name: p.point.point.name.clone(),
            relation: l.t("监测该企业", "watches it"),
        })
        .collect();
    for code in &e.point_codes {
        if !points.iter().any(|p| &p.code == code) {
            let name = found
                .items
                .iter()
                .find(|p| &p.point.point.code == code)
                .map(|p| p.point.point.name.clone())
                .unwrap_or_default();
            points.push(WatchRow {
                code: code.clone(),
                name,
                relation: l.t("企业自行监测点", "self-monitoring point"),
            });
        }
    }
    let demolitions = state
        .store
        .list_demolition_plans(&soilwatch_store::RegistryQuery {
            enterprise: Some(u.to_string()),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|v| {
            let p = v.item;
            let public = p.public();
            DemolitionRow {
                code: p.code.clone(),
                facilities: public.facilities.join("、"),
                cleanup_plan: match &public.cleanup_plan_organisation {
                    Some(o) => format!("{}（{o}）", public.cleanup_plan_title),
                    None => public.cleanup_plan_title.clone(),
                },
                filed: format!("{} {}", public.filed_with, public.filed_on),
                planned_start: public.planned_start.to_string(),
                status: l.t(p.status.name_cn(), p.status.name_en()),
                steps: public
                    .steps
                    .iter()
                    .map(|s| format!("{} {}", l.t(s.status.name_cn(), s.status.name_en()), s.date))
                    .collect::<Vec<_>>()
                    .join(" → "),
                number: or_dash(p.filing.number.clone()),
                note: or_dash(p.note.clone()),
            }
        })
        .collect();
    render(&EnterprisePage {
        demo: demo_present(&state).await?,
        l,
        full,
        uscc: u.to_string(),
        name: e.name.clone(),
        industry: format!(
            "{} (GB/T 4754: {})",
            l.t(e.industry.name_cn(), e.industry.name_en()),
            pub_.gbt4754.join(", ")
        ),
        division: e.division.to_string(),
        address: or_dash(e.address.clone()),
        listed_year: e.listed_year,
        status: l.t(e.status.name_cn(), e.status.name_en()),
        letter: or_dash(
            e.responsibility_letter
                .as_ref()
                .map(|r| format!("{} {}", r.signed_on, r.public_text)),
        ),
        location: or_dash(
            e.location
                .as_ref()
                .map(|p| format!("{:.5}, {:.5}", p.lon(), p.lat())),
        ),
        contact: or_dash(e.contact.as_ref().map(|c| match &c.phone {
            Some(p) => format!("{} {p}", c.person),
            None => c.person.clone(),
        })),
        version: rec.version,
        overdue: d
            .overdue_years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        years,
        disclosures,
        points,
        demolitions,
    })
}
