//! Accounts over the API (issue 7): who am I, my API tokens (create, list, revoke), and the audit
//! log for administrators. Signing in with a password is a page (`/login`); machines use tokens.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use soilwatch_store::auth::{ApiToken, AuditEntry, AuditQuery, NewApiToken};
use soilwatch_store::auth_secret::{new_api_token, secret_hash};
use soilwatch_store::{Role, User};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub username: String,
    pub display_name: String,
    /// `administrator`, `data_officer`, `reviewer` or `viewer`.
    pub role: String,
    pub role_cn: String,
    pub department: Option<String>,
    /// `session` or `token`.
    pub via: String,
}

impl MeResponse {
    pub fn of(a: &Actor) -> Self {
        let u: &User = &a.user;
        Self {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().into(),
            role_cn: u.role.name_cn().into(),
            department: u.department.clone(),
            via: match a.via {
                crate::auth::Via::Session { .. } => "session".into(),
                crate::auth::Via::Token => "token".into(),
            },
        }
    }
}

/// Who is signed in (session cookie or Bearer token).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::ErrorResponse)))]
pub async fn get_me(actor: Actor) -> Json<MeResponse> {
    Json(MeResponse::of(&actor))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenCreateRequest {
    /// What the token is for (`nightly export`).
    pub name: String,
}

/// A new token: the secret is shown this once and never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreateResponse {
    /// `swt_…`: send as `Authorization: Bearer swt_…`.
    pub token: String,
    #[schema(value_type = Object)]
    pub record: ApiToken,
}

/// Create an API token for the signed-in user; the token is in this response only.
pub async fn issue_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
) -> ApiResult<TokenCreateResponse> {
    let token = new_api_token()?;
    let record = state
        .store
        .create_api_token(&NewApiToken {
            user_id: actor.user.id,
            name: name.to_owned(),
            token_hash: secret_hash(&token),
            prefix: token.chars().take(10).collect(),
        })
        .await?;
    Ok(TokenCreateResponse { token, record })
}

/// Create an API token (the secret is returned once; only its hash is kept).
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenCreateRequest,
    responses((status = 201, body = TokenCreateResponse), (status = 401, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<TokenCreateRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let Json(req) = req.map_err(|e| {
        ApiError::Unprocessable(format!(
            "请求体无效 / invalid request body: {}",
            e.body_text()
        ))
    })?;
    let created = issue_token(&state, &actor, &req.name).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// The signed-in user's API tokens (never the secrets), revoked ones too.
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(state.store.list_api_tokens(actor.user.id).await?))
}

/// Revoke one of the signed-in user's tokens (404 for another user's).
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(state.store.revoke_api_token(actor.user.id, id).await?))
}

/// Filters of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditListQuery {
    /// Username (`-` for the public).
    pub actor: Option<String>,
    /// `sign_in`, `sign_in_failed`, `sign_in_throttled`, `sign_out`, `write`, `export`, `read`,
    /// `denied`.
    pub action: Option<String>,
    /// Entries older than this id (paging).
    pub before: Option<i64>,
    /// At most this many, default 200.
    pub limit: Option<u32>,
}

impl AuditListQuery {
    pub fn query(&self) -> AuditQuery {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        AuditQuery {
            actor: nonempty(&self.actor),
            action: nonempty(&self.action),
            before_id: self.before,
            limit: self.limit.unwrap_or(200).min(10_000),
        }
    }
}

/// Read the audit log (administrators).
pub async fn audit_entries(
    state: &AppState,
    actor: &Actor,
    q: &AuditListQuery,
) -> ApiResult<Vec<AuditEntry>> {
    actor.require(&[Role::Administrator])?;
    Ok(state.store.list_audit(&q.query()).await?)
}

/// The audit log, newest first: every sign-in, write, export, read of non-public data and
/// refused request (administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "auth", params(AuditListQuery),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse)))]
pub async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<AuditListQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(audit_entries(&state, &actor, &q).await?))
}
