//! 拆除活动污染防治方案 — demolition plans of key supervised enterprises (issue 8, work-plan item
//! 21): filed with the residual-pollutant clean-up plan, then `filed` → `in_progress` →
//! `completed`, or `withdrawn`; the list per county filterable by status, the public view, and
//! every version in the history.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use soilwatch_core::{DivisionCode, VersionRecord};
use soilwatch_store::registry::{parse_uscc, Filing, RegistryQuery, ReportDoc, Versioned};
use soilwatch_store::registry_demolition::{
    DemolitionPlan, DemolitionPlanPublic, DemolitionStatus, DemolitionTransition,
};
use soilwatch_store::{RegistryEntity, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{
    body, change, code_filter, cut, division, history, keyset, may_write, paged,
    public_or_signed_in, same_key, uscc_filter,
};
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Filters of the demolition-plan lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DemolitionListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    /// `filed` 已备案, `in_progress` 拆除中, `completed` 已完成, `withdrawn` 已撤回.
    pub status: Option<String>,
    /// The enterprise's USCC.
    pub enterprise: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

pub(crate) fn demolition_query(q: &DemolitionListQuery) -> ApiResult<RegistryQuery> {
    Ok(RegistryQuery {
        division: division(q.division.as_deref())?,
        status: code_filter::<DemolitionStatus>(q.status.as_deref())?,
        enterprise: uscc_filter("enterprise", q.enterprise.as_deref())?,
        ..Default::default()
    })
}

/// Demolition plans with every field, by filing date.
#[utoipa::path(get, path = "/api/v1/demolition-plans", tag = "enterprises", params(DemolitionListQuery),
    responses((status = 200, description = "Demolition plans by filing date and code (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_demolition_plans(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<DemolitionListQuery>,
) -> ApiResult<Response> {
    let mut rq = demolition_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (items, next) = cut(
        state.store.list_demolition_plans(&rq).await?,
        &rq.page,
        |p| p.item.code.clone(),
    );
    Ok(paged(&items, next.as_deref(), &uri))
}

/// The public fields of demolition plans (the list with the same filters).
pub async fn public_demolition_plans(
    state: &AppState,
    q: &DemolitionListQuery,
) -> ApiResult<Vec<DemolitionPlanPublic>> {
    Ok(state
        .store
        .list_demolition_plans(&demolition_query(q)?)
        .await?
        .iter()
        .map(|p| p.item.public())
        .collect())
}

/// The public view of demolition plans: enterprise, facilities, the clean-up plan's title and
/// author, filing date and bureau, planned start, status and the dates of its steps; no filing
/// number, document location, notes or recorders. Without sign-in while the sharing catalogue
/// marks `key_enterprises` public (the enterprise registry the plans belong to), else 401.
#[utoipa::path(get, path = "/api/v1/public/demolition-plans", tag = "enterprises", params(DemolitionListQuery),
    responses((status = 200, description = "Public fields of the demolition plans (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in and `key_enterprises` is not marked public", body = crate::error::ErrorResponse)))]
pub async fn list_public_demolition_plans(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<DemolitionListQuery>,
) -> ApiResult<Response> {
    public_or_signed_in(&state, actor.as_ref(), "key_enterprises").await?;
    let mut rq = demolition_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (rows, next) = cut(
        state.store.list_demolition_plans(&rq).await?,
        &rq.page,
        |p| p.item.code.clone(),
    );
    let items: Vec<DemolitionPlanPublic> = rows.iter().map(|p| p.item.public()).collect();
    Ok(paged(&items, next.as_deref(), &uri))
}

/// One demolition plan with every field.
#[utoipa::path(get, path = "/api/v1/demolition-plans/{code}", tag = "enterprises",
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_demolition_plan(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Versioned<DemolitionPlan>>> {
    Ok(Json(state.store.get_demolition_plan(&code).await?))
}

/// Every version of a demolition plan, oldest first.
#[utoipa::path(get, path = "/api/v1/demolition-plans/{code}/history", tag = "enterprises",
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_demolition_plan_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::DemolitionPlan, &code).await
}

/// A demolition plan as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemolitionWriteRequest {
    /// Plan code (create; on update the path's is used).
    pub code: Option<String>,
    /// The enterprise's USCC (a registered key supervised enterprise).
    pub enterprise_uscc: String,
    /// Facilities, equipment and buildings to be demolished (at least one).
    pub facilities: Vec<String>,
    /// 残留污染物清理和安全处置方案: `{title, number?, organisation?, issued_on?, file?}`.
    #[schema(value_type = Object)]
    pub cleanup_plan: ReportDoc,
    /// `{bureau, filed_on, number?}` — the filing (备案); `filed_on` is the filing date.
    #[schema(value_type = Object)]
    pub filing: Filing,
    /// YYYY-MM-DD the demolition is planned to start (not before the filing date).
    #[schema(value_type = String)]
    pub planned_start: NaiveDate,
    /// Not public.
    pub note: Option<String>,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

/// The plan of a request, with the enterprise's county (422 naming `enterprise_uscc` when the
/// enterprise is not registered).
async fn to_plan(
    state: &AppState,
    code: String,
    r: DemolitionWriteRequest,
) -> ApiResult<DemolitionPlan> {
    let uscc = parse_uscc("enterprise_uscc", &r.enterprise_uscc)?;
    let division: DivisionCode = match state.store.get_enterprise(uscc.as_str()).await {
        Ok(e) => e.item.division,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::Unprocessable(format!(
                "字段 enterprise_uscc: 企业 '{uscc}' 未登记为重点监管企业 / field enterprise_uscc: \
                 enterprise '{uscc}' is not registered as a key supervised enterprise"
            )))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(DemolitionPlan {
        code,
        enterprise_uscc: uscc,
        enterprise_name: String::new(),
        division,
        facilities: r.facilities,
        cleanup_plan: r.cleanup_plan,
        filing: r.filing,
        planned_start: r.planned_start,
        status: DemolitionStatus::Filed,
        steps: Vec::new(),
        note: r.note,
    })
}

/// File a demolition plan (status `filed` on the filing date); 201, 409 if the code exists,
/// 422 naming the field. Officers of the enterprise's county and administrators.
#[utoipa::path(post, path = "/api/v1/demolition-plans", tag = "enterprises", request_body = DemolitionWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_demolition_plan(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<DemolitionWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<DemolitionPlan>>)> {
    let r = body(req)?;
    Ok((
        StatusCode::CREATED,
        Json(create_demolition_record(&state, &actor, r).await?),
    ))
}

/// File a demolition plan (the API and the `/demolition-plans/new` form): officers of the
/// enterprise's county and administrators, with a reason.
pub async fn create_demolition_record(
    state: &AppState,
    actor: &Actor,
    r: DemolitionWriteRequest,
) -> ApiResult<Versioned<DemolitionPlan>> {
    let change = change(actor, r.reason.as_deref())?;
    actor.require(&[
        soilwatch_store::Role::Administrator,
        soilwatch_store::Role::DataOfficer,
    ])?;
    let code = r.code.clone().unwrap_or_default();
    let p = to_plan(state, code, r).await?;
    may_write(state, actor, &[p.division]).await?;
    Ok(state.store.create_demolition_plan(&p, &change).await?)
}

/// Replace a plan's filed facts (its status and steps stay).
#[utoipa::path(put, path = "/api/v1/demolition-plans/{code}", tag = "enterprises", request_body = DemolitionWriteRequest,
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_demolition_plan(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<DemolitionWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<DemolitionPlan>>> {
    let r = body(req)?;
    Ok(Json(
        update_demolition_record(&state, &actor, &code, r).await?,
    ))
}

/// Replace a plan's filed facts (the API and the `/demolition-plans/{code}/edit` form): the
/// writer's area must hold the county before and after; `version` guards against lost updates.
pub async fn update_demolition_record(
    state: &AppState,
    actor: &Actor,
    code: &str,
    r: DemolitionWriteRequest,
) -> ApiResult<Versioned<DemolitionPlan>> {
    same_key(code, r.code.as_deref(), "code")?;
    let change = change(actor, r.reason.as_deref())?;
    actor.require(&[
        soilwatch_store::Role::Administrator,
        soilwatch_store::Role::DataOfficer,
    ])?;
    let version = r.version;
    let current = state.store.get_demolition_plan(code).await?;
    let p = to_plan(state, code.to_owned(), r).await?;
    may_write(state, actor, &[current.item.division, p.division]).await?;
    Ok(state
        .store
        .update_demolition_plan(&p, version, &change)
        .await?)
}

/// A status change as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemolitionStatusRequest {
    /// `in_progress` 拆除中, `completed` 已完成 or `withdrawn` 已撤回.
    #[schema(value_type = String)]
    pub status: DemolitionStatus,
    /// YYYY-MM-DD it happened (not before the previous step).
    #[schema(value_type = String)]
    pub date: NaiveDate,
    /// Not public.
    pub note: Option<String>,
    /// Why (required).
    pub reason: Option<String>,
}

/// Change a plan's status: `filed` → `in_progress` → `completed`, or `withdrawn` from `filed` or
/// `in_progress`. Any other transition is a 409 naming the missing step (completing a plan never
/// recorded as started names `in_progress`); a date before the previous step is a 422.
#[utoipa::path(post, path = "/api/v1/demolition-plans/{code}/status", tag = "enterprises", request_body = DemolitionStatusRequest,
    params(("code" = String, Path, description = "Plan code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn set_demolition_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<DemolitionStatusRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<DemolitionPlan>>> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let current = state.store.get_demolition_plan(&code).await?;
    may_write(&state, &actor, &[current.item.division]).await?;
    let t = DemolitionTransition {
        status: r.status,
        date: r.date,
        note: r.note,
    };
    Ok(Json(
        state
            .store
            .set_demolition_status(&code, &t, &change)
            .await?,
    ))
}
