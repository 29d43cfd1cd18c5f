//! 污染地块 — contaminated plots (issue 8): the registry, the lifecycle steps, the plot's survey
//! samples against GB 36600 and the land-use gate. Page and JSON handlers share [`plot_gate`]
//! and [`plot_evaluation`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{NaiveDate, Utc};
use geo::MultiPolygon;
use serde::Deserialize;
use soilwatch_core::{DivisionCode, VersionRecord};
use soilwatch_store::registry::{Party, RegistryQuery, Versioned};
use soilwatch_store::registry_codes::{Industry, IntendedUse};
use soilwatch_store::registry_plot::{
    evaluate_plot, gate, geojson_multipolygon, ControlArea, GateAnswer, Plot, PlotEvaluation,
    PlotStage, PlotStep, Succession,
};
use soilwatch_store::RegistryEntity;
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{
    body, change, cut, division, history, keyset, may_write, paged, same_key,
};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Filters of the plot list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PlotListQuery {
    /// County or prefecture code (a prefecture covers its counties).
    pub division: Option<String>,
    /// Lifecycle stage: `suspected`, `preliminary_survey`, `detailed_survey`, `risk_assessment`,
    /// `listed`, `risk_control`, `remediation`, `effect_evaluation`, `delisted` (or Chinese).
    pub status: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The registry query of a plot list.
pub(crate) fn plot_query(q: &PlotListQuery) -> ApiResult<RegistryQuery> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<PlotStage>()
                .map_err(|e| ApiError::BadRequest(e.to_string()))?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    Ok(RegistryQuery {
        division: division(q.division.as_deref())?,
        status,
        ..Default::default()
    })
}

/// Plots, by code.
#[utoipa::path(get, path = "/api/v1/plots", tag = "plots", params(PlotListQuery),
    responses((status = 200, description = "Plots with their versions (next page in the Link and X-Next-Cursor headers)", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_plots(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PlotListQuery>,
) -> ApiResult<Response> {
    let mut rq = plot_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (items, next) = cut(state.store.list_plots(&rq).await?, &rq.page, |p| {
        p.item.code.clone()
    });
    Ok(paged(&items, next.as_deref(), &uri))
}

/// One plot: facts, boundary (GeoJSON), land class, negative list, control area, lifecycle.
#[utoipa::path(get, path = "/api/v1/plots/{code}", tag = "plots",
    params(("code" = String, Path, description = "Plot code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_plot(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Versioned<Plot>>> {
    Ok(Json(state.store.get_plot(&code).await?))
}

/// Every version of a plot, oldest first (who, when, why; each step is a version).
#[utoipa::path(get, path = "/api/v1/plots/{code}/history", tag = "plots",
    params(("code" = String, Path, description = "Plot code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_plot_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::Plot, &code).await
}

/// A plot as written by a client. Enum values in English codes or Chinese.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlotWriteRequest {
    /// Plot code (create; on update the path's code is used).
    pub code: Option<String>,
    pub name: String,
    /// County code (GB/T 2260).
    #[schema(value_type = String)]
    pub division: DivisionCode,
    pub address: Option<String>,
    /// GeoJSON Polygon or MultiPolygon, CGCS2000 longitude/latitude; must lie in the county.
    #[serde(default, with = "geojson_multipolygon")]
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<MultiPolygon<f64>>,
    /// Former use (原用途).
    pub former_use: Option<String>,
    /// Industry of the work plan: `nonferrous_smelting` 有色金属冶炼, `coking` 焦化, … (see
    /// `GET /api/v1/registry/codes`).
    #[schema(value_type = Option<String>)]
    pub industry: Option<Industry>,
    /// `{name, uscc?}` — the responsible party.
    #[schema(value_type = Option<Object>)]
    pub responsible_party: Option<Party>,
    /// `[{party: {name, uscc?}, since, basis}]`, oldest first.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub successors: Vec<Succession>,
    /// GB 50137-2011 code of the planned use (R2, A33, M1 …); gives the GB 36600 class.
    pub planned_use: Option<String>,
    /// Uses the plot may not be put to (`residential`, `school`, 医疗卫生用地, …).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub negative_list: Vec<IntendedUse>,
    /// `{since, signs, notice?, monitoring?}` — held as a control area.
    #[schema(value_type = Option<Object>)]
    pub control_area: Option<ControlArea>,
    /// Survey sample codes of the basic database.
    #[serde(default)]
    pub sample_codes: Vec<String>,
    /// Monitoring point codes of the plot.
    #[serde(default)]
    pub point_codes: Vec<String>,
    /// Create: YYYY-MM-DD the plot was identified as suspected (default today).
    #[schema(value_type = Option<String>)]
    pub identified_on: Option<NaiveDate>,
    /// Update: the version read; a newer stored version makes the write a 409.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

fn to_plot(code: String, r: PlotWriteRequest) -> Plot {
    let mut p = Plot::new(&code, &r.name, r.division);
    p.address = r.address;
    p.boundary = r.boundary;
    p.former_use = r.former_use;
    p.industry = r.industry;
    p.responsible_party = r.responsible_party;
    p.successors = r.successors;
    p.planned_use = r.planned_use;
    p.negative_list = r.negative_list;
    p.control_area = r.control_area;
    p.sample_codes = r.sample_codes;
    p.point_codes = r.point_codes;
    p
}

/// Register a (suspected) plot; 201 with the record, 409 if the code exists, 422 naming the field.
#[utoipa::path(post, path = "/api/v1/plots", tag = "plots", request_body = PlotWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_plot(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<PlotWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<Plot>>)> {
    let rec = create_plot_record(&state, &actor, body(req)?).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// Replace a plot's facts (its steps stay); `version` guards against lost updates.
#[utoipa::path(put, path = "/api/v1/plots/{code}", tag = "plots", request_body = PlotWriteRequest,
    params(("code" = String, Path, description = "Plot code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_plot(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<PlotWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<Plot>>> {
    Ok(Json(
        update_plot_record(&state, &actor, &code, body(req)?).await?,
    ))
}

/// Register a plot (the API and the `/plots/new` form): the writer's area must hold its county;
/// a reason is required.
pub async fn create_plot_record(
    state: &AppState,
    actor: &Actor,
    r: PlotWriteRequest,
) -> ApiResult<Versioned<Plot>> {
    let change = change(actor, r.reason.as_deref())?;
    let code = r.code.clone().unwrap_or_default();
    let identified_on = r.identified_on.unwrap_or_else(|| Utc::now().date_naive());
    let plot = to_plot(code, r);
    may_write(state, actor, &[plot.division]).await?;
    Ok(state
        .store
        .create_plot(&plot, identified_on, &change)
        .await?)
}

/// Replace a plot's facts (the API and the `/plots/{code}/edit` form): the writer's area must
/// hold its county before and after; `version` guards against lost updates.
pub async fn update_plot_record(
    state: &AppState,
    actor: &Actor,
    code: &str,
    r: PlotWriteRequest,
) -> ApiResult<Versioned<Plot>> {
    same_key(code, r.code.as_deref(), "code")?;
    let change = change(actor, r.reason.as_deref())?;
    let version = r.version;
    let current = state.store.get_plot(code).await?;
    let plot = to_plot(code.to_owned(), r);
    may_write(state, actor, &[current.item.division, plot.division]).await?;
    Ok(state.store.update_plot(&plot, version, &change).await?)
}

/// A lifecycle step as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlotStepRequest {
    /// `preliminary_survey` 初步调查, `detailed_survey` 详细调查, `risk_assessment` 风险评估,
    /// `listed` 列入名录, `risk_control` 风险管控, `remediation` 治理修复, `effect_evaluation`
    /// 效果评估, `delisted` 移出名录.
    #[schema(value_type = String)]
    pub stage: PlotStage,
    /// YYYY-MM-DD; not before the previous step.
    #[schema(value_type = String)]
    pub date: NaiveDate,
    /// `{title, number?, organisation?, issued_on?, file?}`; required for surveys, assessment,
    /// risk control or remediation and effect evaluation.
    #[schema(value_type = Option<Object>)]
    pub report: Option<soilwatch_store::registry::ReportDoc>,
    /// `{bureau, filed_on, number?}`; required for risk assessment, risk control or remediation
    /// and effect evaluation.
    #[schema(value_type = Option<Object>)]
    pub filing: Option<soilwatch_store::registry::Filing>,
    /// Effect evaluation: whether the targets were reached (required there).
    pub passed: Option<bool>,
    pub note: Option<String>,
    /// Why (required).
    pub reason: Option<String>,
}

/// Take the next lifecycle step. 409 when the step is out of order (the message names the
/// missing steps, e.g. delisting before effect evaluation), 422 when it is malformed.
#[utoipa::path(post, path = "/api/v1/plots/{code}/steps", tag = "plots", request_body = PlotStepRequest,
    params(("code" = String, Path, description = "Plot code")),
    responses((status = 200, description = "The plot after the step", body = Object),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn add_plot_step(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<PlotStepRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<Plot>>> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let current = state.store.get_plot(&code).await?;
    may_write(&state, &actor, &[current.item.division]).await?;
    let step = PlotStep {
        stage: r.stage,
        date: r.date,
        report: r.report,
        filing: r.filing,
        passed: r.passed,
        note: r.note,
        recorded_by: String::new(),
        recorded_at: String::new(),
    };
    Ok(Json(
        state.store.add_plot_step(&code, &step, &change).await?,
    ))
}

/// The plot's survey samples against GB 36600 for its planned use's class.
pub async fn plot_evaluation(state: &AppState, code: &str) -> ApiResult<PlotEvaluation> {
    let plot = state.store.get_plot(code).await?.item;
    let samples = state.store.plot_samples(code).await?;
    Ok(evaluate_plot(&plot, &samples, plot.planned_class()))
}

/// The gate's answer for a plot and a use given as a code, Chinese name or GB 50137 code.
pub async fn plot_gate(state: &AppState, code: &str, intended_use: &str) -> ApiResult<GateAnswer> {
    let u =
        IntendedUse::parse_any(intended_use).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let plot = state.store.get_plot(code).await?.item;
    let samples = state.store.plot_samples(code).await?;
    Ok(gate(&plot, u, &samples))
}

/// The plot's survey samples (soil, from the basic database) judged against GB 36600-2018 for
/// the class of its planned use.
#[utoipa::path(get, path = "/api/v1/plots/{code}/evaluation", tag = "plots",
    params(("code" = String, Path, description = "Plot code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_plot_evaluation(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<PlotEvaluation>> {
    Ok(Json(plot_evaluation(&state, &code).await?))
}

/// The gate's query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GateQuery {
    /// The intended use: `residential`, `school`, `hospital`, `welfare`, `community_park`,
    /// `industrial`, `logistics`, `commercial`, `transport`, `utilities`, `public_service`,
    /// `green_space`, a Chinese name (住宅, 学校 …) or a GB 50137 code (R2, A33, M1 …).
    #[serde(rename = "use")]
    #[param(rename = "use")]
    pub intended_use: Option<String>,
}

/// 准入判定 — may the plot be transferred or developed for this use? `allowed`, or every reason
/// for refusing with the missing steps: no survey or assessment on file, results above the
/// screening value of the use's class without a risk assessment, above the intervention value
/// without finished remediation and effect evaluation, the plot on the negative list for the use.
#[utoipa::path(get, path = "/api/v1/plots/{code}/gate", tag = "plots",
    params(("code" = String, Path, description = "Plot code"), GateQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_plot_gate(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
    Query(q): Query<GateQuery>,
) -> ApiResult<Json<GateAnswer>> {
    let u = q.intended_use.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "缺少参数 use（拟用途）/ the use parameter is required (one of {})",
            IntendedUse::expected()
        ))
    })?;
    Ok(Json(plot_gate(&state, &code, &u).await?))
}

/// One entry of a code table.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CodeEntry {
    pub code: String,
    pub name_cn: String,
    pub name_en: String,
    /// GB/T 4754-2017 codes (industries) or the GB 50137 code (uses).
    pub codes: Vec<String>,
    /// GB 36600 land class (uses).
    pub land_class: Option<u8>,
}

/// The registries' code tables.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RegistryCodesResponse {
    pub industries: Vec<CodeEntry>,
    pub uses: Vec<CodeEntry>,
    pub stages: Vec<CodeEntry>,
}

/// The code tables: industries of the work plan with their GB/T 4754 codes, uses with their
/// GB 50137 code and GB 36600 class, lifecycle stages.
#[utoipa::path(get, path = "/api/v1/registry/codes", tag = "plots",
    responses((status = 200, body = RegistryCodesResponse)))]
pub async fn get_registry_codes() -> Json<RegistryCodesResponse> {
    Json(RegistryCodesResponse {
        industries: Industry::ALL
            .iter()
            .map(|i| CodeEntry {
                code: i.code().into(),
                name_cn: i.name_cn().into(),
                name_en: i.name_en().into(),
                codes: i.gbt4754().iter().map(|s| (*s).to_owned()).collect(),
                land_class: None,
            })
            .collect(),
        uses: IntendedUse::ALL
            .iter()
            .map(|u| CodeEntry {
                code: u.code().into(),
                name_cn: u.name_cn().into(),
                name_en: u.name_en().into(),
                codes: vec![u.gb50137().into()],
                land_class: Some(u.land_class().number()),
            })
            .collect(),
        stages: PlotStage::ALL
            .iter()
            .map(|s| CodeEntry {
                code: s.code().into(),
                name_cn: s.name_cn().into(),
                name_en: s.name_en().into(),
                codes: Vec::new(),
                land_class: None,
            })
            .collect(),
    })
}
