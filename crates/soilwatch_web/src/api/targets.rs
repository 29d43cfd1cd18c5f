//! 指标、目标与考核 — indicators computed from the stored data with their formulas and the items
//! behind them, targets per division and year over the work plan's defaults (set by
//! administrators and reviewers, every version kept), and the yearly assessment of every county
//! (JSON, CSV with BOM, XLSX). Issue 10. The computation is `soilwatch_store::indicators`,
//! shared with the pages and `soilwatch report`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{ChangeMeta, DivisionCode, VersionRecord};
use soilwatch_store::indicators::{assessment_table, compute, Assessment, IndicatorValue};
use soilwatch_store::targets::{target_in_force, Indicator, NewTarget, Target, TargetInForce};
use soilwatch_store::Role;
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{body, division};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The year and division of an indicator request.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct IndicatorQuery {
    /// County or prefecture code; default the prefecture.
    pub division: Option<String>,
    /// Year; default last year.
    pub year: Option<i32>,
}

/// The year assessed unless one is given: last year.
pub fn default_year() -> i32 {
    Utc::now().year() - 1
}

pub(crate) fn parse_indicator(s: &str) -> ApiResult<Indicator> {
    s.parse::<Indicator>()
        .map_err(|e| ApiError::NotFound(e.to_string()))
}

/// Every indicator of a division and year.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsResponse {
    #[schema(value_type = String)]
    pub division: DivisionCode,
    pub division_name: String,
    pub year: i32,
    /// Each with formula, numerator, denominator, value, target in force and verdict.
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<IndicatorValue>,
}

/// The indicators of a division and year (what the pages and the report show).
pub async fn indicators(state: &AppState, q: &IndicatorQuery) -> ApiResult<IndicatorsResponse> {
    let d = division(q.division.as_deref())?;
    let year = q.year.unwrap_or_else(default_year);
    let data = compute(state.store.as_ref(), d, year).await?;
    let code = data.scope.code;
    Ok(IndicatorsResponse {
        division: code,
        division_name: data.scope.name.clone(),
        year,
        indicators: data.values(code),
    })
}

/// The work plan's indicators for a county or the prefecture and a year, computed from the
/// stored data: each with its formula (Chinese and English), numerator, denominator, value, the
/// target in force and whether it is met.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "targets", params(IndicatorQuery),
    responses((status = 200, body = IndicatorsResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn list_indicators(
    State(state): State<AppState>,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<IndicatorsResponse>> {
    Ok(Json(indicators(&state, &q).await?))
}

/// One indicator with the items behind it.
pub async fn indicator(
    state: &AppState,
    code: &str,
    q: &IndicatorQuery,
) -> ApiResult<IndicatorValue> {
    let indicator = parse_indicator(code)?;
    let d = division(q.division.as_deref())?;
    let year = q.year.unwrap_or_else(default_year);
    let data = compute(state.store.as_ref(), d, year).await?;
    Ok(data.value(indicator, data.scope.code, true))
}

/// One indicator traced to the units, target areas, plots, enterprises or counties behind it
/// (`items`: each with its numerator and denominator contribution; their sums are the
/// indicator's).
#[utoipa::path(get, path = "/api/v1/indicators/{indicator}", tag = "targets",
    params(("indicator" = String, Path, description = "farmland_safe_use_rate, plot_safe_use_rate, \
        safe_utilization_area, strict_control_area, remediation_area, monitoring_coverage, disclosure_rate"),
        IndicatorQuery),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_indicator(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<IndicatorValue>> {
    Ok(Json(indicator(&state, &code, &q).await?))
}

/// The targets of a division in force in a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetsResponse {
    pub year: i32,
    /// The division and each of its counties, every indicator: the target in force (none when
    /// neither set nor a work-plan default).
    #[schema(value_type = Vec<Object>)]
    pub in_force: Vec<DivisionTargets>,
    /// Every target set for the division and its counties (current versions).
    #[schema(value_type = Vec<Object>)]
    pub set: Vec<Target>,
}

/// The targets in force of one division.
#[derive(Debug, Serialize)]
pub struct DivisionTargets {
    pub division: DivisionCode,
    pub division_name: String,
    pub targets: Vec<IndicatorTarget>,
}

/// An indicator and its target in force.
#[derive(Debug, Serialize)]
pub struct IndicatorTarget {
    pub indicator: Indicator,
    pub name_cn: String,
    pub unit: String,
    pub target: Option<TargetInForce>,
}

/// The targets in force for a division (and its counties) and year.
pub async fn targets(state: &AppState, q: &IndicatorQuery) -> ApiResult<TargetsResponse> {
    let d = division(q.division.as_deref())?;
    let year = q.year.unwrap_or_else(default_year);
    let scope = soilwatch_store::classification_service::scope(state.store.as_ref(), d).await?;
    let set = state.store.list_targets(Some(scope.code), None).await?;
    let mut divisions: Vec<(DivisionCode, String)> = vec![(scope.code, scope.name.clone())];
    divisions.extend(
        state
            .store
            .list_divisions()
            .await?
            .into_iter()
            .filter(|c| c.code != scope.code && scope.code.contains(c.code))
            .map(|c| (c.code, c.name)),
    );
    let in_force = divisions
        .into_iter()
        .map(|(code, name)| DivisionTargets {
            division: code,
            division_name: name,
            targets: Indicator::ALL
                .into_iter()
                .map(|i| IndicatorTarget {
                    indicator: i,
                    name_cn: i.name_cn().to_owned(),
                    unit: i.unit().to_owned(),
                    target: target_in_force(i, code, year, &set),
                })
                .collect(),
        })
        .collect();
    Ok(TargetsResponse {
        year,
        in_force,
        set,
    })
}

/// The targets in force in a year for a division and its counties (set ones and the work plan's
/// defaults: 94 % / 90 % by 2020 and 95 % / 95 % by 2030 for the farmland and plot safe-use
/// rates, 50.9 / 24.2 / 12.7 ×10⁴ mu by 2020 for the prefecture's areas, every county monitored
/// by 2020), and every target set.
#[utoipa::path(get, path = "/api/v1/targets", tag = "targets", params(IndicatorQuery),
    responses((status = 200, body = TargetsResponse)))]
pub async fn list_targets(
    State(state): State<AppState>,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<TargetsResponse>> {
    Ok(Json(targets(&state, &q).await?))
}

/// A target to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TargetWriteRequest {
    /// % for rates (0–100), ×10⁴ mu for areas.
    pub value: f64,
    pub note: Option<String>,
    /// Why (required; kept in the history).
    pub reason: Option<String>,
}

/// Set a target (administrator or reviewer).
pub async fn set_target(
    state: &AppState,
    actor: &Actor,
    division: &str,
    year: i32,
    indicator: &str,
    r: TargetWriteRequest,
) -> ApiResult<Target> {
    actor.require(&[Role::Administrator, Role::Reviewer])?;
    let division = super::parse_division(division)?;
    let indicator = parse_indicator(indicator)?;
    let reason = r
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::Unprocessable(
                "字段 reason / field reason: 每次修改须注明原因 / every change needs a reason"
                    .into(),
            )
        })?;
    Ok(state
        .store
        .put_target(
            &NewTarget {
                division,
                year,
                indicator,
                value: r.value,
                note: r.note,
            },
            &ChangeMeta::new(actor.username(), reason),
        )
        .await?)
}

/// Set or change the target of an indicator for a division and year; the previous version stays
/// in the history. Administrators and reviewers.
#[utoipa::path(put, path = "/api/v1/targets/{division}/{year}/{indicator}", tag = "targets",
    request_body = TargetWriteRequest,
    params(("division" = String, Path), ("year" = i32, Path), ("indicator" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn put_target(
    State(state): State<AppState>,
    actor: Actor,
    Path((division, year, indicator)): Path<(String, i32, String)>,
    b: Result<Json<TargetWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Target>> {
    let r = body(b)?;
    Ok(Json(
        set_target(&state, &actor, &division, year, &indicator, r).await?,
    ))
}

/// Every version of a target, oldest first.
#[utoipa::path(get, path = "/api/v1/targets/{division}/{year}/{indicator}/history", tag = "targets",
    params(("division" = String, Path), ("year" = i32, Path), ("indicator" = String, Path)),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_target_history(
    State(state): State<AppState>,
    Path((division, year, indicator)): Path<(String, i32, String)>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    let division = super::parse_division(&division)?;
    let indicator = parse_indicator(&indicator)?;
    Ok(Json(
        state
            .store
            .target_history(division, year, indicator)
            .await?,
    ))
}

/// The assessment's year, division and format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AssessmentQuery {
    /// The year assessed (required).
    pub year: Option<i32>,
    /// Prefecture (default) or county.
    pub division: Option<String>,
    /// `json` (default), `csv` (UTF-8 with BOM) or `xlsx`.
    pub f: Option<String>,
}

/// The assessment of a year.
pub async fn assessment(
    state: &AppState,
    year: i32,
    division_code: Option<&str>,
) -> ApiResult<Assessment> {
    let d = division(division_code)?;
    Ok(compute(state.store.as_ref(), d, year).await?.assessment())
}

/// The assessment as CSV (UTF-8 with BOM).
pub fn assessment_csv(a: &Assessment) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for row in assessment_table(a) {
        w.write_record(&row)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The assessment as XLSX: numbers as numbers.
pub fn assessment_xlsx(a: &Assessment) -> ApiResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(format!("{}年度考核", a.year))
        .map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in assessment_table(a).iter().enumerate() {
        let r = u32::try_from(r).map_err(|e| ApiError::Internal(e.to_string()))?;
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| ApiError::Internal(e.to_string()))?;
            // Numeric columns: numerator, denominator, value, target.
            match (r, c, v.parse::<f64>()) {
                (0, _, _) => ws.write_string_with_format(r, c, v, &bold),
                (_, 6..=9, Ok(n)) => ws.write_number(r, c, n),
                _ => ws.write_string(r, c, v),
            }
            .map_err(internal)?;
        }
    }
    ws.autofit();
    book.save_to_buffer().map_err(internal)
}

/// 年度考核 — the yearly assessment (work-plan item 46): every county and the prefecture, every
/// indicator with its value, target in force and verdict (met / not met / no data / no target);
/// `?f=csv` or `?f=xlsx` to export.
#[utoipa::path(get, path = "/api/v1/assessment", tag = "targets", params(AssessmentQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    Query(q): Query<AssessmentQuery>,
) -> ApiResult<Response> {
    let year = q.year.ok_or_else(|| {
        ApiError::BadRequest("缺少参数 year（考核年度）/ the parameter year is required".into())
    })?;
    let a = assessment(&state, year, q.division.as_deref()).await?;
    let name = format!("assessment-{}-{}", a.division, a.year);
    Ok(match q.f.as_deref().unwrap_or("json") {
        "json" => Json(a).into_response(),
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            assessment_csv(&a)?,
        )
            .into_response(),
        "xlsx" => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            assessment_xlsx(&a)?,
        )
            .into_response(),
        other => {
            return Err(ApiError::BadRequest(format!(
                "参数 f: 不支持的格式 '{other}' / parameter f: unknown format '{other}' (expected \
                 json, csv or xlsx)"
            )))
        }
    })
}

/// The OpenAPI part of this module, merged into the document by `openapi::get_openapi`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_indicators,
        get_indicator,
        list_targets,
        put_target,
        get_target_history,
        get_assessment
    ),
    components(schemas(IndicatorsResponse, TargetsResponse, TargetWriteRequest))
)]
pub struct TargetsApi;
