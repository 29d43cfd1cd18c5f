//! The monitoring network (issue 5): coverage per county and the risk-area categories.

use axum::extract::{Query, State};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use soilwatch_store::{CoverageReport, RiskAreaCategory};
use utoipa::{IntoParams, ToSchema};

use super::find::years_ago;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CoverageQuery {
    /// Points without a sample in this many years are listed as stale (default 3, 1–50).
    pub years: Option<u32>,
}

/// The coverage report for the last `years` years (shared by the JSON endpoint and the page).
pub async fn coverage(state: &AppState, q: &CoverageQuery) -> ApiResult<CoverageReport> {
    let years = q.years.unwrap_or(3);
    if !(1..=50).contains(&years) {
        return Err(ApiError::BadRequest(format!(
            "参数 years 应在 1–50 之间，收到 {years} / parameter years must be between 1 and 50, found {years}"
        )));
    }
    let since = years_ago(Utc::now().date_naive(), years);
    Ok(state.store.network_coverage(since).await?)
}

/// Network coverage: per county the active points by type and control level, counties without a
/// point of a type, risk-area categories without a point, points with no sample in N years.
#[utoipa::path(get, path = "/api/v1/network/coverage", tag = "network", params(CoverageQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorResponse)))]
pub async fn get_coverage(
    State(state): State<AppState>,
    Query(q): Query<CoverageQuery>,
) -> ApiResult<Json<CoverageReport>> {
    Ok(Json(coverage(&state, &q).await?))
}

/// A risk-area category of the work plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskCategoryResponse {
    pub code: String,
    pub name_cn: String,
    pub name_en: String,
}

/// The risk-area categories a risk point may be laid in (work plan).
#[utoipa::path(get, path = "/api/v1/network/risk-categories", tag = "network",
    responses((status = 200, body = [RiskCategoryResponse])))]
pub async fn list_risk_categories() -> Json<Vec<RiskCategoryResponse>> {
    Json(
        RiskAreaCategory::ALL
            .iter()
            .map(|c| RiskCategoryResponse {
                code: c.code().to_owned(),
                name_cn: c.name_cn().to_owned(),
                name_en: c.name_en().to_owned(),
            })
            .collect(),
    )
}
