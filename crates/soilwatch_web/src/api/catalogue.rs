//! The sharing catalogue (issue 9, 资源共享目录): the datasets with their owner, sharing level,
//! fields, update frequency and access methods; access requests and the owner's decisions; the
//! log of reads of non-public data; and [`guard_rows`], the read check applied to the samples
//! and results lists (through the store's one check, `sharing::authorize_read`).

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::sharing::{
    authorize_read, dataset_of_medium, AccessRequest, CatalogueEntry, CatalogueVersion,
    CatalogueWrite, DataAccess, GrantDecision, ReadDecision,
};
use soilwatch_store::Role;
use utoipa::{IntoParams, ToSchema};

use super::submissions::today;
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The catalogue: every entry for signed-in users, the public entries (向社会公开) for the
/// public.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue",
    responses((status = 200, body = [Object])))]
pub async fn list_catalogue(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
) -> ApiResult<Json<Vec<CatalogueEntry>>> {
    let all = state.store.list_catalogue().await?;
    Ok(Json(match actor {
        Some(_) => all,
        None => all.into_iter().filter(|e| e.public).collect(),
    }))
}

/// Every version of an entry, oldest first (signed-in users).
#[utoipa::path(get, path = "/api/v1/catalogue/{dataset}/history", tag = "catalogue",
    params(("dataset" = String, Path, description = "Dataset code")),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_catalogue_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(dataset): Path<String>,
) -> ApiResult<Json<Vec<CatalogueVersion>>> {
    Ok(Json(state.store.catalogue_history(&dataset).await?))
}

/// A catalogue entry as written, with why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CatalogueWriteRequest {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub entry: CatalogueWrite,
    pub reason: Option<String>,
}

/// Create or replace a catalogue entry (administrators); the previous version is kept.
#[utoipa::path(put, path = "/api/v1/catalogue/{dataset}", tag = "catalogue",
    params(("dataset" = String, Path, description = "Dataset code")),
    request_body = CatalogueWriteRequest,
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn put_catalogue_entry(
    State(state): State<AppState>,
    actor: Actor,
    Path(dataset): Path<String>,
    body: Result<Json<CatalogueWriteRequest>, JsonRejection>,
) -> ApiResult<Json<CatalogueEntry>> {
    actor.require(&[Role::Administrator])?;
    let Json(r) = body.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let reason = r
        .reason
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "修改共享目录 / catalogue edited".into());
    Ok(Json(
        state
            .store
            .put_catalogue_entry(
                &dataset,
                &r.entry,
                &ChangeMeta::new(actor.username(), reason),
            )
            .await?,
    ))
}

/// A request for a conditional dataset.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccessRequestCreate {
    /// What the data is for.
    pub purpose: String,
}

/// Ask for a conditional dataset for the user's own department (users with a department).
#[utoipa::path(post, path = "/api/v1/catalogue/{dataset}/requests", tag = "catalogue",
    params(("dataset" = String, Path, description = "Dataset code")),
    request_body = AccessRequestCreate,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, description = "Not a conditional dataset, or the department owns it", body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_access_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(dataset): Path<String>,
    body: Result<Json<AccessRequestCreate>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    let Json(r) = body.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let dept = actor.user.department.clone().ok_or_else(|| {
        ApiError::Forbidden(
            "无权限：账户未归属部门，不能申请共享 / forbidden: an account without a department \
             cannot request access"
                .into(),
        )
    })?;
    let req = state
        .store
        .request_access(&dataset, &dept, &r.purpose, actor.username())
        .await?;
    Ok((StatusCode::CREATED, Json(req)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AccessRequestQuery {
    pub dataset: Option<String>,
    /// The requesting department.
    pub department: Option<String>,
}

/// Access requests, newest first (signed-in users).
#[utoipa::path(get, path = "/api/v1/access-requests", tag = "catalogue",
    params(AccessRequestQuery),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_access_requests(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<AccessRequestQuery>,
) -> ApiResult<Json<Vec<AccessRequest>>> {
    Ok(Json(
        state
            .store
            .list_access_requests(q.dataset.as_deref(), q.department.as_deref())
            .await?,
    ))
}

/// The owner's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccessDecisionRequest {
    /// `grant`, `refuse` or `revoke`.
    pub decision: String,
    /// The last day of a grant (none: no end).
    pub expires_on: Option<NaiveDate>,
    /// Conditions of use, or why refused (required to refuse).
    #[serde(default)]
    pub note: String,
}

/// Grant or refuse a pending request, or revoke a grant: the owner department's data officers
/// and reviewers, and administrators.
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/decision", tag = "catalogue",
    params(("id" = i64, Path, description = "Request id")),
    request_body = AccessDecisionRequest,
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn decide_access_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    body: Result<Json<AccessDecisionRequest>, JsonRejection>,
) -> ApiResult<Json<AccessRequest>> {
    let Json(r) = body.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let req = state.store.get_access_request(id).await?;
    let entry = state.store.get_catalogue_entry(&req.dataset).await?;
    let owner = actor.user.department.as_deref() == Some(entry.owner_department.as_str())
        && matches!(actor.role(), Role::DataOfficer | Role::Reviewer);
    if !owner && actor.role() != Role::Administrator {
        return Err(ApiError::Forbidden(format!(
            "无权限：只有提供部门 {} 可以审批 / forbidden: only the owner department {} decides",
            entry.owner_department, entry.owner_department
        )));
    }
    let decision = match r.decision.trim() {
        "grant" | "同意" => GrantDecision::Grant {
            expires_on: r.expires_on,
        },
        "refuse" | "拒绝" => GrantDecision::Refuse,
        "revoke" | "撤销" => GrantDecision::Revoke,
        other => {
            return Err(ApiError::Unprocessable(format!(
                "字段 decision: 应为 grant、refuse 或 revoke，实为 '{other}' / field decision: \
                 expected grant, refuse or revoke, found '{other}'"
            )))
        }
    };
    Ok(Json(
        state
            .store
            .decide_access(id, decision, &r.note, actor.username(), today())
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct DataAccessQuery {
    pub dataset: Option<String>,
    /// At most this many (default 500).
    pub limit: Option<u32>,
}

/// The log of reads of catalogued non-public data, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/data-access-log", tag = "catalogue",
    params(DataAccessQuery),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse)))]
pub async fn list_data_access(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<DataAccessQuery>,
) -> ApiResult<Json<Vec<DataAccess>>> {
    actor.require(&[Role::Administrator])?;
    Ok(Json(
        state
            .store
            .list_data_access(q.dataset.as_deref(), q.limit.unwrap_or(500))
            .await?,
    ))
}

/// The read check of a list of samples or results: each dataset among the rows (by medium) is
/// checked once with `authorize_read`, which logs the read with its row count; rows of datasets
/// the user may not read are withheld. When the request named a medium whose dataset is refused,
/// the whole request is refused (403, saying how to ask for access).
pub async fn guard_rows<T>(
    state: &AppState,
    actor: &Actor,
    path: &str,
    asked: Option<Medium>,
    items: Vec<T>,
    medium: impl Fn(&T) -> Medium,
) -> ApiResult<Vec<T>> {
    let mut counts: BTreeMap<&'static str, i64> = BTreeMap::new();
    for it in &items {
        *counts.entry(dataset_of_medium(medium(it))).or_default() += 1;
    }
    if let Some(m) = asked {
        counts.entry(dataset_of_medium(m)).or_default();
    }
    let mut refused: Vec<&'static str> = Vec::new();
    for (dataset, rows) in counts {
        let d = authorize_read(state.store.as_ref(), &actor.user, dataset, path, rows).await?;
        if let ReadDecision::Denied(reason) = d {
            if asked.map(dataset_of_medium) == Some(dataset) {
                return Err(ApiError::Forbidden(reason));
            }
            refused.push(dataset);
        }
    }
    Ok(items
        .into_iter()
        .filter(|it| !refused.contains(&dataset_of_medium(medium(it))))
        .collect())
}
