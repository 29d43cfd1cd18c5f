//! Samples, results and the evaluation of a stored sample.

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Medium, VersionRecord};
use soilwatch_standards::water::{evaluate_water, WaterOptions, WaterResult};
use soilwatch_standards::{LandClass, Method, RulesetRegistry, SoilEngine, SoilSampleContext};
use soilwatch_store::{Entity, ResultQuery, ResultRow, StoredSample};
use utoipa::{IntoParams, ToSchema};

use super::parse_division;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ResultListQuery {
    /// Division code; a prefecture includes its counties.
    pub division: Option<String>,
    /// `soil`, `agricultural_product`, `irrigation_water`, `groundwater`, `surface_water`, `sediment`.
    pub medium: Option<String>,
    /// Analyte code or any alias (`Cd`, `镉`).
    pub analyte: Option<String>,
    /// Sampled on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Sampled on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// At most this many rows (default 1000, at most 10000).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

fn parse_date(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "参数 {field} 应为日期 YYYY-MM-DD / parameter {field} must be a date YYYY-MM-DD, found '{s}'"
        ))
    })
}

/// Results with their samples, filtered by division, medium, analyte and time.
#[utoipa::path(get, path = "/api/v1/results", tag = "samples", params(ResultListQuery),
    responses((status = 200, body = [Object]), (status = 400, body = crate::error::ErrorResponse)))]
pub async fn list_results(
    State(state): State<AppState>,
    Query(q): Query<ResultListQuery>,
) -> ApiResult<Json<Vec<ResultRow>>> {
    let medium = q
        .medium
        .as_deref()
        .map(|m| {
            m.parse::<Medium>()
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()?;
    let analyte = q
        .analyte
        .as_deref()
        .map(|a| {
            soilwatch_core::AnalyteCatalogue::builtin()
                .require(a)
                .map(|a| a.code.clone())
                .map_err(|e| ApiError::BadRequest(e.to_string()))
        })
        .transpose()?;
    let query = ResultQuery {
        division: q.division.as_deref().map(parse_division).transpose()?,
        medium,
        analyte,
        from: q
            .from
            .as_deref()
            .map(|s| parse_date("from", s))
            .transpose()?,
        to: q.to.as_deref().map(|s| parse_date("to", s)).transpose()?,
        limit: Some(q.limit.unwrap_or(1000).min(10_000)),
        offset: q.offset,
    };
    Ok(Json(state.store.query_results(&query).await?))
}

/// One sample with its results.
#[utoipa::path(get, path = "/api/v1/samples/{id}", tag = "samples",
    params(("id" = i64, Path, description = "Sample id")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_sample(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<StoredSample>> {
    Ok(Json(state.store.get_sample_by_id(id).await?))
}

/// Every version of a result, oldest first.
#[utoipa::path(get, path = "/api/v1/results/{id}/history", tag = "samples",
    params(("id" = i64, Path, description = "Result id")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_result_history(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    let h = state.store.history(Entity::Result, &id.to_string()).await?;
    if h.is_empty() {
        return Err(ApiError::NotFound(format!(
            "未找到 / not found: result '{id}'"
        )));
    }
    Ok(Json(h))
}

#[derive(Debug, Deserialize, IntoParams)]
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
        (status = 404, body = crate::error::ErrorResponse),
        (status = 422, description = "The sample cannot be evaluated with this ruleset", body = crate::error::ErrorResponse)))]
pub async fn get_sample_evaluation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<EvaluationQuery>,
) -> ApiResult<Json<SampleEvaluationResponse>> {
    let stored = state.store.get_sample_by_id(id).await?;
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
    let ruleset = RulesetRegistry::builtin().get(&ruleset_id).ok_or_else(|| {
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
        to_json(&evaluate_water(ruleset, &water, &opts).map_err(unprocessable)?)?
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
        let engine = SoilEngine::builtin(&ruleset_id).map_err(unprocessable)?;
        let ctx = SoilSampleContext {
            land_use: s.land_use,
            ph: None,
            method,
            land_class,
        };
        to_json(&engine.evaluate(&ctx, &results).map_err(unprocessable)?)?
    };
    Ok(Json(SampleEvaluationResponse {
        sample_id: stored.id,
        sample_code: s.code.clone(),
        medium: s.medium.code().to_owned(),
        ruleset: ruleset_id,
        evaluation,
    }))
}
