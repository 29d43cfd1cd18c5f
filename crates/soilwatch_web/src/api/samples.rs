//! Samples, results (finding them with filters and paging, in several formats) and the
//! evaluation of a stored sample.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Medium, VersionRecord};
use soilwatch_standards::water::{evaluate_water, WaterEvaluation, WaterOptions, WaterResult};
use soilwatch_standards::{
    LandClass, Method, RulesetRegistry, SoilEngine, SoilEvaluation, SoilSampleContext,
};
use soilwatch_store::{Entity, StoredSample};
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{guard_rows, guard_sample};
use super::find::{respond, FindParams};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Results with their samples and points: filters (division, point type, control level, risk
/// category, medium, point code, sample code, analyte or alias, year or date range, bbox), sort,
/// cursor paging; JSON, CSV (UTF-8 with BOM), GeoJSON or XLSX.
#[utoipa::path(get, path = "/api/v1/results", tag = "samples", params(FindParams),
    responses((status = 200, description = "Results (next page in the Link and X-Next-Cursor headers)", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse)))]
pub async fn list_results(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(q): Query<FindParams>,
) -> ApiResult<Response> {
    let format = q.format(&headers)?;
    let query = q.query(format)?;
    let mut page = state.store.find_results(&query).await?;
    // Issue 9: rows of datasets the sharing catalogue does not open to the user are withheld.
    let path = format!("GET {uri}");
    page.items = guard_rows(&state, &actor, &path, query.medium, page.items, |r| {
        (r.row.sample_id, r.row.medium)
    })
    .await?;
    respond(page, format, &uri, "results")
}

/// Samples with the location and kind of their point, with the same filters as results (an
/// analyte selects samples that have a result of it).
#[utoipa::path(get, path = "/api/v1/samples", tag = "samples", params(FindParams),
    responses((status = 200, description = "Samples (next page in the Link and X-Next-Cursor headers)", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse)))]
pub async fn list_samples(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(q): Query<FindParams>,
) -> ApiResult<Response> {
    let format = q.format(&headers)?;
    let query = q.query(format)?;
    let mut page = state.store.find_samples(&query).await?;
    // Issue 9: rows of datasets the sharing catalogue does not open to the user are withheld.
    let path = format!("GET {uri}");
    page.items = guard_rows(&state, &actor, &path, query.medium, page.items, |s| {
        (s.id, s.sample.medium)
    })
    .await?;
    respond(page, format, &uri, "samples")
}

/// One sample with its results (checked against the sharing catalogue and logged; 403 when its
/// dataset is not open to the user, or it belongs to another department's submission that is
/// not accepted yet).
#[utoipa::path(get, path = "/api/v1/samples/{id}", tag = "samples",
    params(("id" = i64, Path, description = "Sample id")),
    responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_sample(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
) -> ApiResult<Json<StoredSample>> {
    let stored = state.store.get_sample_by_id(id).await?;
    guard_sample(&state, &actor, &format!("GET {uri}"), &stored).await?;
    Ok(Json(stored))
}

/// Every version of a result, oldest first.
#[utoipa::path(get, path = "/api/v1/results/{id}/history", tag = "samples",
    params(("id" = i64, Path, description = "Result id")),
    responses((status = 200, body = [Object]), (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_result_history(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    let h = state.store.history(Entity::Result, &id.to_string()).await?;
    if h.is_empty() {
        return Err(ApiError::NotFound(format!(
            "未找到 / not found: result '{id}'"
        )));
    }
    // Issue 9: the versions of a result are its sample's data (the sharing catalogue's check).
    if let Some(code) = h.iter().rev().find_map(|v| v.data["sample_code"].as_str()) {
        let stored = state.store.get_sample(code).await?;
        guard_sample(&state, &actor, &format!("GET {uri}"), &stored).await?;
    }
    Ok(Json(h))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct EvaluationQuery {
    /// Ruleset id; default by medium: soil `gb15618-2018`, groundwater `gb14848-2017`,
    /// surface water `gb3838-2002`, irrigation water `gb5084-2021`.
    pub ruleset: Option<String>,
    /// `gb15618` (default) or `pollution-index`.
    pub method: Option<String>,
    /// GB 36600 land class, 1 or 2 (default 1).
    pub land_class: Option<u8>,
    /// GB 5084 crop type: `paddy`, `dryland` or `vegetable` (default from the land use).
    pub crop_type: Option<String>,
}

/// A sample's evaluation: every item's value, thresholds, table and the rule that decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct SampleEvaluationResponse {
    pub sample_id: i64,
    pub sample_code: String,
    pub medium: String,
    pub ruleset: String,
    #[schema(value_type = Object)]
    pub evaluation: serde_json::Value,
}

fn to_json<T: Serialize>(v: &T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

fn unprocessable(e: soilwatch_standards::StandardsError) -> ApiError {
    ApiError::Unprocessable(e.to_string())
}

/// Evaluate a stored sample against a standard.
#[utoipa::path(get, path = "/api/v1/samples/{id}/evaluation", tag = "samples",
    params(("id" = i64, Path, description = "Sample id"), EvaluationQuery),
    responses((status = 200, body = SampleEvaluationResponse),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 422, description = "The sample cannot be evaluated with this ruleset", body = crate::error::ErrorResponse)))]
pub async fn get_sample_evaluation(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
    Query(q): Query<EvaluationQuery>,
) -> ApiResult<Json<SampleEvaluationResponse>> {
    let stored = state.store.get_sample_by_id(id).await?;
    guard_sample(&state, &actor, &format!("GET {uri}"), &stored).await?;
    let local = match &q.ruleset {
        Some(id) => super::standards::local_ruleset(&state, id).await?,
        None => None,
    };
    let (ruleset, evaluation) = evaluate_stored_with(&stored, &q, local.as_ref())?;
    Ok(Json(SampleEvaluationResponse {
        sample_id: stored.id,
        sample_code: stored.sample.code.clone(),
        medium: stored.sample.medium.code().to_owned(),
        ruleset,
        evaluation: to_json(&evaluation)?,
    }))
}

/// The evaluation of a stored sample: soil (GB 15618 / GB 36600) or water.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Evaluation {
    Soil(SoilEvaluation),
    Water(WaterEvaluation),
}

/// Evaluate a stored sample against a standard; the JSON endpoint and the sample page share
/// this. Returns the ruleset id and the evaluation.
pub fn evaluate_stored(
    stored: &StoredSample,
    q: &EvaluationQuery,
) -> ApiResult<(String, Evaluation)> {
    evaluate_stored_with(stored, q, None)
}

/// [`evaluate_stored`] with a local ruleset (地方标准) that `q.ruleset` may name.
pub fn evaluate_stored_with(
    stored: &StoredSample,
    q: &EvaluationQuery,
    local: Option<&soilwatch_standards::Ruleset>,
) -> ApiResult<(String, Evaluation)> {
    let s = &stored.sample;
    let results: Vec<_> = stored.results.iter().map(|r| r.result.clone()).collect();
    let default_ruleset = match s.medium {
        Medium::Groundwater => "gb14848-2017",
        Medium::SurfaceWater => "gb3838-2002",
        Medium::IrrigationWater => "gb5084-2021",
        _ => "gb15618-2018",
    };
    let ruleset_id = q
        .ruleset
        .clone()
        .unwrap_or_else(|| default_ruleset.to_owned());
    let local = local.filter(|r| r.id == ruleset_id);
    let ruleset = RulesetRegistry::builtin()
        .get(&ruleset_id)
        .or(local)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "未知的标准 / unknown ruleset '{ruleset_id}' (see GET /api/v1/standards)"
            ))
        })?;
    let evaluation = if s.medium.is_water() {
        let water: Vec<WaterResult> = results
            .iter()
            .filter_map(|r| {
                let v = r.value.or(r.detection_limit)?.get();
                let v = if r.is_non_detect() {
                    v / rust_decimal::Decimal::TWO
                } else {
                    v
                };
                Some(WaterResult {
                    item: r.analyte.clone(),
                    value: v,
                    unit: Some(r.unit),
                })
            })
            .collect();
        let crop_type = q.crop_type.clone().or_else(|| {
            s.land_use
                .and_then(|l| l.farmland_group())
                .map(|g| match g {
                    soilwatch_core::FarmlandGroup::Paddy => "paddy".to_owned(),
                    _ => "dryland".to_owned(),
                })
        });
        let opts = WaterOptions {
            crop_type,
            ..WaterOptions::default()
        };
        Evaluation::Water(evaluate_water(ruleset, &water, &opts).map_err(unprocessable)?)
    } else {
        let method = match q.method.as_deref() {
            None | Some("gb15618") => Method::Gb15618,
            Some("pollution-index") => Method::PollutionIndex,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                "未知的评价方法 / unknown method '{other}' (expected gb15618 or pollution-index)"
            )))
            }
        };
        let land_class = match q.land_class {
            None | Some(1) => LandClass::Class1,
            Some(2) => LandClass::Class2,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "用地类别应为1或2 / land_class must be 1 or 2, found {other}"
                )))
            }
        };
        let owned;
        let engine = match local {
            Some(r) => {
                owned = SoilEngine::new(r).map_err(unprocessable)?;
                &owned
            }
            None => SoilEngine::builtin(&ruleset_id).map_err(unprocessable)?,
        };
        let ctx = SoilSampleContext {
            land_use: s.land_use,
            ph: None,
            method,
            land_class,
        };
        Evaluation::Soil(engine.evaluate(&ctx, &results).map_err(unprocessable)?)
    };
    Ok((ruleset_id, evaluation))
}
