//! 尾矿库 — the tailings-pond registry (issue 8, work-plan item 22).

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use soilwatch_core::{DivisionCode, Uscc, VersionRecord};
use soilwatch_store::registry::{Filing, RegistryQuery, Versioned};
use soilwatch_store::registry_enterprise::{PondAssessment, TailingsPond, TailingsStatus};
use soilwatch_store::RegistryEntity;
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{
    body, change, code_filter, cut, division, history, keyset, lon_lat, may_write, paged, same_key,
    uscc_filter,
};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::AppState;

/// Filters of the pond list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TailingsListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    /// `operating` 在用, `idle` 停用, `closed` 闭库, `decommissioned` 销库.
    pub status: Option<String>,
    /// The operating enterprise's USCC.
    pub enterprise: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

pub(crate) fn tailings_query(q: &TailingsListQuery) -> ApiResult<RegistryQuery> {
    Ok(RegistryQuery {
        division: division(q.division.as_deref())?,
        status: code_filter::<TailingsStatus>(q.status.as_deref())?,
        enterprise: uscc_filter("enterprise", q.enterprise.as_deref())?,
        ..Default::default()
    })
}

/// Tailings ponds, by code.
#[utoipa::path(get, path = "/api/v1/tailings-ponds", tag = "tailings", params(TailingsListQuery),
    responses((status = 200, description = "Tailings ponds by code (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_tailings_ponds(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<TailingsListQuery>,
) -> ApiResult<Response> {
    let mut rq = tailings_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (items, next) = cut(state.store.list_tailings_ponds(&rq).await?, &rq.page, |t| {
        t.item.code.clone()
    });
    Ok(paged(&items, next.as_deref(), &uri))
}

/// One tailings pond.
#[utoipa::path(get, path = "/api/v1/tailings-ponds/{code}", tag = "tailings",
    params(("code" = String, Path, description = "Pond code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_tailings_pond(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Versioned<TailingsPond>>> {
    Ok(Json(state.store.get_tailings_pond(&code).await?))
}

/// Every version of a pond, oldest first.
#[utoipa::path(get, path = "/api/v1/tailings-ponds/{code}/history", tag = "tailings",
    params(("code" = String, Path, description = "Pond code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_tailings_pond_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::TailingsPond, &code).await
}

/// A pond as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TailingsWriteRequest {
    /// Pond code (create; on update the path's is used).
    pub code: Option<String>,
    pub name: String,
    /// The operating enterprise's USCC (check character verified).
    #[schema(value_type = Option<String>)]
    pub enterprise_uscc: Option<Uscc>,
    pub enterprise_name: Option<String>,
    /// County code.
    #[schema(value_type = String)]
    pub division: DivisionCode,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `operating` 在用, `idle` 停用, `closed` 闭库, `decommissioned` 销库.
    #[schema(value_type = String)]
    pub status: TailingsStatus,
    /// `{done_on, conclusion, report?}`.
    #[schema(value_type = Option<Object>)]
    pub risk_assessment: Option<PondAssessment>,
    /// `{bureau, filed_on, number?}` — the emergency plan's filing.
    #[schema(value_type = Option<Object>)]
    pub emergency_plan: Option<Filing>,
    pub note: Option<String>,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

fn to_pond(code: String, r: TailingsWriteRequest) -> ApiResult<TailingsPond> {
    let location = lon_lat(r.lon, r.lat)?;
    Ok(TailingsPond {
        code,
        name: r.name,
        enterprise_uscc: r.enterprise_uscc,
        enterprise_name: r.enterprise_name,
        division: r.division,
        location,
        status: r.status,
        risk_assessment: r.risk_assessment,
        emergency_plan: r.emergency_plan,
        note: r.note,
    })
}

/// Register a tailings pond; 201, 409 if the code exists, 422 naming the field.
#[utoipa::path(post, path = "/api/v1/tailings-ponds", tag = "tailings", request_body = TailingsWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_tailings_pond(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<TailingsWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<TailingsPond>>)> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let code = r.code.clone().unwrap_or_default();
    let t = to_pond(code, r)?;
    may_write(&state, &actor, &[t.division]).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_tailings_pond(&t, &change).await?),
    ))
}

/// Replace a tailings pond.
#[utoipa::path(put, path = "/api/v1/tailings-ponds/{code}", tag = "tailings", request_body = TailingsWriteRequest,
    params(("code" = String, Path, description = "Pond code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_tailings_pond(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<TailingsWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<TailingsPond>>> {
    let r = body(req)?;
    same_key(&code, r.code.as_deref(), "code")?;
    let change = change(&actor, r.reason.as_deref())?;
    let version = r.version;
    let t = to_pond(code, r)?;
    let current = state.store.get_tailings_pond(&t.code).await?;
    may_write(&state, &actor, &[current.item.division, t.division]).await?;
    Ok(Json(
        state
            .store
            .update_tailings_pond(&t, version, &change)
            .await?,
    ))
}
