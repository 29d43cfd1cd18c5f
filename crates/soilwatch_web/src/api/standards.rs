//! Rulesets: the national standards as data, with every value and its source.

use axum::extract::Path;
use axum::Json;
use soilwatch_standards::{Ruleset, RulesetRegistry, RulesetSummary};

use crate::error::{ApiError, ApiResult};

/// Every ruleset (id, standard, version, counts).
#[utoipa::path(get, path = "/api/v1/standards", tag = "standards",
    responses((status = 200, body = [Object])))]
pub async fn list_standards() -> Json<Vec<RulesetSummary>> {
    Json(
        RulesetRegistry::builtin()
            .list()
            .iter()
            .map(Ruleset::summary)
            .collect(),
    )
}

/// One ruleset with every value, its table, scope, confidence and source.
#[utoipa::path(get, path = "/api/v1/standards/{id}", tag = "standards",
    params(("id" = String, Path, description = "Ruleset id, e.g. gb15618-2018")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_standard(Path(id): Path<String>) -> ApiResult<Json<&'static Ruleset>> {
    RulesetRegistry::builtin()
        .get(&id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("未找到 / not found: ruleset '{id}'")))
}
