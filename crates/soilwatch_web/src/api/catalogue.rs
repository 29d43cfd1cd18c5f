//! The sharing catalogue (issue 9, 资源共享目录): the datasets with their owner, sharing level,
//! fields, update frequency and access methods; access requests and the owner's decisions; the
//! log of reads of non-public data; and [`check_rows`], the read check of every path to samples
//! and results — lists, exports, a sample and its evaluation, pages, OGC items — through the
//! store's one check, `sharing::authorize_read`, hiding data of submissions not yet accepted
//! from other departments.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::sharing::{
    authorize_read, authorize_reads, dataset_of_medium, decide_read, AccessRequest, CatalogueEntry,
    CatalogueVersion, CatalogueWrite, DataAccess, GrantDecision, NewDataAccess, ReadDecision,
};
use soilwatch_store::{Role, SampleVisibility, StoredSample, User};
use utoipa::{IntoParams, ToSchema};

use super::submissions::today;
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::ogc::collection::Feature;
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

/// What the read check decided for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowVisibility {
    Shown,
    /// Part of a submission the reviewer has not accepted: only the submitting department,
    /// reviewers and administrators see it.
    Unaccepted,
    /// Its dataset is not open to the user (the sharing catalogue and its grants).
    Refused,
}

/// Whether the user sees data of a submission that is not accepted yet.
fn sees_unaccepted(user: &User, department: &str) -> bool {
    matches!(user.role, Role::Administrator | Role::Reviewer)
        || user.department.as_deref() == Some(department)
}

/// The read check of rows of observation data, each a sample id and its medium: rows a
/// department submitted are always its own to read (logged with the basis `own submission`);
/// rows of a submission not accepted yet are hidden from other departments (reviewers and
/// administrators see them); each dataset among the other rows (by medium) is checked once with
/// `authorize_read`, which logs the read (who, dataset, path, rows, basis). When the request named a medium (`asked`) whose dataset is refused, the
/// whole request is refused (403, saying how to ask for access).
pub async fn check_rows(
    state: &AppState,
    user: &User,
    path: &str,
    asked: Option<Medium>,
    rows: &[(i64, Medium)],
) -> ApiResult<Vec<RowVisibility>> {
    let mut out = vec![RowVisibility::Shown; rows.len()];
    // Rows a department submitted itself: shown to it whatever the catalogue says.
    let mut own = vec![false; rows.len()];
    if user.role != Role::Administrator && !rows.is_empty() {
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let submitted = state.store.submitted_samples(&ids).await?;
        for ((v, o), (id, _)) in out.iter_mut().zip(own.iter_mut()).zip(rows) {
            let Some((dept, accepted)) = submitted.get(id) else {
                continue;
            };
            if user.department.as_deref() == Some(dept.as_str()) {
                *o = true;
            } else if !accepted && !sees_unaccepted(user, dept) {
                *v = RowVisibility::Unaccepted;
            }
        }
    }
    let mut counts: BTreeMap<&'static str, i64> = BTreeMap::new();
    let mut own_counts: BTreeMap<&'static str, i64> = BTreeMap::new();
    for ((v, o), (_, m)) in out.iter().zip(&own).zip(rows) {
        if *o {
            *own_counts.entry(dataset_of_medium(*m)).or_default() += 1;
        } else if *v == RowVisibility::Shown {
            *counts.entry(dataset_of_medium(*m)).or_default() += 1;
        }
    }
    if let Some(m) = asked {
        counts.entry(dataset_of_medium(m)).or_default();
    }
    let mut refused: Vec<&'static str> = Vec::new();
    // Issue 12: the datasets of the page decided together (one catalogue read, the log lines in
    // one statement), as `authorize_read` of each would.
    let reads: Vec<(&str, i64)> = counts.iter().map(|(d, n)| (*d, *n)).collect();
    let decisions = authorize_reads(state.store.as_ref(), user, &reads, path).await?;
    for ((dataset, n), d) in counts.into_iter().zip(decisions) {
        if let ReadDecision::Denied(reason) = d {
            let only_own = own_counts.contains_key(dataset) && n == 0;
            if asked.map(dataset_of_medium) == Some(dataset) && !only_own {
                return Err(ApiError::Forbidden(reason));
            }
            refused.push(dataset);
        }
    }
    let own_lines: Vec<NewDataAccess> = own_counts
        .into_iter()
        .map(|(dataset, n)| NewDataAccess {
            actor: user.username.clone(),
            department: user.department.clone(),
            dataset: dataset.to_owned(),
            path: path.to_owned(),
            row_count: n,
            outcome: "ok".into(),
            basis: "own submission".into(),
        })
        .collect();
    state.store.log_data_accesses(&own_lines).await?;
    for ((v, o), (_, m)) in out.iter_mut().zip(&own).zip(rows) {
        if !*o && *v == RowVisibility::Shown && refused.contains(&dataset_of_medium(*m)) {
            *v = RowVisibility::Refused;
        }
    }
    Ok(out)
}

/// Whether the farmland classes (county areas by class) may be shown to this reader on the
/// dashboard and the county pages: while the catalogue marks `farmland_classification` public,
/// or to a signed-in user the catalogue lets read it (decided as [`authorize_read`] would, not
/// logged: the pages show aggregates, the reads of the classification itself are logged).
pub async fn classes_visible(state: &AppState, actor: Option<&Actor>) -> ApiResult<bool> {
    const DATASET: &str = soilwatch_store::sharing::REVIEWED_DATASET;
    if super::registry_support::catalogue_public(state, DATASET).await? {
        return Ok(true);
    }
    Ok(match actor {
        None => false,
        Some(a) => matches!(
            decide_read(state.store.as_ref(), &a.user, DATASET).await?,
            ReadDecision::Allowed(_)
        ),
    })
}

/// The samples `user` may see, as [`check_rows`] decides them, for a query to count and page
/// only those (OGC `numberMatched`); `None` for administrators, who see everything. A dataset
/// refused is logged here as a denied read of `path` (its rows are left out of the query, so
/// [`check_rows`] never meets them); the rows read still go through [`check_rows`].
pub async fn sample_visibility(
    state: &AppState,
    user: &User,
    path: &str,
) -> ApiResult<Option<SampleVisibility>> {
    if user.role == Role::Administrator {
        return Ok(None);
    }
    let mut media = Vec::new();
    let mut decided: BTreeMap<&'static str, bool> = BTreeMap::new();
    for m in Medium::ALL {
        let dataset = dataset_of_medium(m);
        let open = match decided.get(dataset) {
            Some(o) => *o,
            None => {
                let o = matches!(
                    decide_read(state.store.as_ref(), user, dataset).await?,
                    ReadDecision::Allowed(_)
                );
                if !o {
                    authorize_read(state.store.as_ref(), user, dataset, path, 0).await?;
                }
                decided.insert(dataset, o);
                o
            }
        };
        if open {
            media.push(m);
        }
    }
    Ok(Some(SampleVisibility {
        media,
        department: user.department.clone(),
        sees_unaccepted: user.role == Role::Reviewer,
    }))
}

/// The read check of a list of samples or results ([`check_rows`]): the rows the user may not
/// see are withheld.
pub async fn guard_rows<T>(
    state: &AppState,
    actor: &Actor,
    path: &str,
    asked: Option<Medium>,
    items: Vec<T>,
    row: impl Fn(&T) -> (i64, Medium),
) -> ApiResult<Vec<T>> {
    let rows: Vec<(i64, Medium)> = items.iter().map(&row).collect();
    let seen = check_rows(state, &actor.user, path, asked, &rows).await?;
    Ok(items
        .into_iter()
        .zip(seen)
        .filter(|(_, v)| *v == RowVisibility::Shown)
        .map(|(it, _)| it)
        .collect())
}

/// The read check of one sample (its page, `GET /api/v1/samples/{id}`, its evaluation): 403
/// when its dataset is not open to the user or it belongs to a submission not accepted yet of
/// another department; the read is logged.
pub async fn guard_sample(
    state: &AppState,
    actor: &Actor,
    path: &str,
    stored: &StoredSample,
) -> ApiResult<()> {
    let m = stored.sample.medium;
    let v = check_rows(state, &actor.user, path, Some(m), &[(stored.id, m)]).await?;
    if v.first() == Some(&RowVisibility::Unaccepted) {
        let code = &stored.sample.code;
        return Err(ApiError::Forbidden(format!(
            "样品 {code} 属于尚未通过审核的报送，审核通过前仅报送部门、审核员和管理员可见 / sample \
             {code} belongs to a submission that is not accepted yet: until the reviewer accepts \
             it only the submitting department, reviewers and administrators see it"
        )));
    }
    Ok(())
}

/// The read check of features of an OGC collection or a layer export: the samples collection
/// goes through [`check_rows`] (rows withheld), the classification units through
/// [`guard_dataset`] (`farmland_classification`: 403 when refused); other collections are not
/// catalogued observation data and pass unchanged.
pub async fn guard_features(
    state: &AppState,
    actor: Option<&Actor>,
    collection: &str,
    path: &str,
    features: Vec<Feature>,
) -> ApiResult<Vec<Feature>> {
    // Issue 9: the classification units are the farmland classification's unit-level records.
    if let (Some(a), "classification_units") = (actor, collection) {
        let n = features.len();
        guard_dataset(state, Some(a), "farmland_classification", path, n, false).await?;
        return Ok(features);
    }
    let Some(actor) = actor.filter(|_| collection == "samples") else {
        return Ok(features);
    };
    let row = |f: &Feature| {
        let medium = f
            .properties
            .get("medium")
            .and_then(|v| v.as_str())
            .and_then(|c| c.parse::<Medium>().ok())
            .unwrap_or(Medium::Other);
        (f.id.parse::<i64>().unwrap_or(-1), medium)
    };
    guard_rows(state, actor, path, None, features, row).await
}

/// The 403 of a feature the read check withheld.
pub fn withheld(collection: &str, id: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "无权限：要素 {collection}/{id} 的数据未向您的部门共享，或属于尚未通过审核的报送 / \
         forbidden: feature {collection}/{id} is not shared with your department, or belongs to \
         a submission that is not accepted yet"
    ))
}

/// The read check of a catalogued dataset read as a whole (issue 9: the farmland
/// classification). Signed out, only a public view (`public_view`: county-level figures, not
/// unit-level records with their evidence) of a dataset the catalogue marks 向社会公开 answers —
/// the portal's rule — else 401; signed in, [`authorize_read`] decides and logs the read (who,
/// dataset, path, `rows`): 403 saying how to ask for access when the dataset is not open to the
/// user's department.
pub async fn guard_dataset(
    state: &AppState,
    actor: Option<&Actor>,
    dataset: &str,
    path: &str,
    rows: usize,
    public_view: bool,
) -> ApiResult<()> {
    let Some(actor) = actor else {
        if public_view && super::registry_support::catalogue_public(state, dataset).await? {
            return Ok(());
        }
        return Err(ApiError::Unauthorized(format!(
            "“{dataset}”不向社会公开，请先登录 / '{dataset}' is not public: sign in first"
        )));
    };
    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
    match authorize_read(state.store.as_ref(), &actor.user, dataset, path, rows).await? {
        ReadDecision::Allowed(_) => Ok(()),
        ReadDecision::Denied(reason) => Err(ApiError::Forbidden(reason)),
    }
}
