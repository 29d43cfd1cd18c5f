//! Rulesets: the national standards as data, with every value and its source, and the local
//! rulesets (地方标准) a prefecture files over them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use soilwatch_standards::overlay::overlay_from_csv;
use soilwatch_standards::{Ruleset, RulesetRegistry, RulesetSummary};
use soilwatch_store::{LocalRulesetRecord, Role, StoreError};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Compile a filed local ruleset over its national base (refusing laxer values).
fn compile(rec: &LocalRulesetRecord) -> ApiResult<Ruleset> {
    let base = RulesetRegistry::builtin().get(&rec.base).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "未知的基准标准 / unknown base ruleset '{}' (gb15618-2018 or gb36600-2018)",
            rec.base
        ))
    })?;
    overlay_from_csv(base, &rec.id, &rec.name, &rec.version, &rec.csv)
        .map_err(|e| ApiError::Unprocessable(e.to_string()))
}

/// The local ruleset with this id, compiled, or `None` when the id names no local ruleset.
pub async fn local_ruleset(state: &AppState, id: &str) -> ApiResult<Option<Ruleset>> {
    if RulesetRegistry::builtin().get(id).is_some() {
        return Ok(None);
    }
    match state.store.get_local_ruleset(id).await {
        Ok(rec) => compile(&rec).map(Some),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Every ruleset (id, standard, version, counts): the national ones, then the local ones.
#[utoipa::path(get, path = "/api/v1/standards", tag = "standards",
    responses((status = 200, body = [Object])))]
pub async fn list_standards(State(state): State<AppState>) -> ApiResult<Json<Vec<RulesetSummary>>> {
    let mut list: Vec<RulesetSummary> = RulesetRegistry::builtin()
        .list()
        .iter()
        .map(Ruleset::summary)
        .collect();
    for rec in state.store.list_local_rulesets().await? {
        list.push(compile(&rec)?.summary());
    }
    Ok(Json(list))
}

/// One ruleset with every value, its table, scope, confidence and source.
#[utoipa::path(get, path = "/api/v1/standards/{id}", tag = "standards",
    params(("id" = String, Path, description = "Ruleset id, e.g. gb15618-2018")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_standard(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Ruleset>> {
    if let Some(r) = RulesetRegistry::builtin().get(&id) {
        return Ok(Json(r.clone()));
    }
    local_ruleset(&state, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("未找到 / not found: ruleset '{id}'")))
}

/// A local ruleset to file.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LocalRulesetRequest {
    /// New id, lower case letters, digits and `-`, e.g. `liangshan-2026`; never a national id.
    pub id: String,
    /// `gb15618-2018` or `gb36600-2018`.
    pub base: String,
    pub name: String,
    pub version: String,
    /// CSV `analyte,land_use,ph_band,land_class,value_type,value,unit,source`.
    pub csv: String,
    /// Why it is filed (the local document).
    pub reason: String,
}

/// File a local ruleset over a national one. Values laxer than the national value they would
/// replace are refused (422, naming the item, band and both values). Administrators and reviewers
/// (the prefecture's environment bureau) may file one.
#[utoipa::path(post, path = "/api/v1/standards", tag = "standards",
    request_body = LocalRulesetRequest,
    responses((status = 201, description = "Filed; the compiled ruleset", body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_standard(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<LocalRulesetRequest>,
) -> ApiResult<(StatusCode, Json<Ruleset>)> {
    // Local standards are the prefecture's: its environment bureau (reviewers) and administrators.
    actor.require(&[Role::Administrator, Role::Reviewer])?;
    let valid_id = (3..=64).contains(&req.id.len())
        && req
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_id {
        return Err(ApiError::Unprocessable(format!(
            "字段 id / field id: '{}' 应为3–64位小写字母、数字或连字符 / must be 3–64 lower-case letters, digits or '-'",
            req.id
        )));
    }
    if RulesetRegistry::builtin().get(&req.id).is_some() {
        return Err(ApiError::Conflict(format!(
            "'{}' 是国家标准的编号 / '{}' is the id of a national ruleset",
            req.id, req.id
        )));
    }
    let rec = LocalRulesetRecord {
        id: req.id,
        base: req.base,
        name: req.name,
        version: req.version,
        csv: req.csv,
        created_by: actor.username().to_owned(),
        reason: req.reason,
        created_at: chrono::Utc::now(),
    };
    let compiled = compile(&rec)?;
    state.store.create_local_ruleset(&rec).await?;
    Ok((StatusCode::CREATED, Json(compiled)))
}
