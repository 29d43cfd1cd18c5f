//! Monitoring points.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use soilwatch_core::{MonitoringPoint, VersionRecord};
use soilwatch_store::{Entity, PointQuery};
use utoipa::IntoParams;

use super::parse_division;
use crate::error::ApiResult;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct PointListQuery {
    /// Division code; a prefecture includes its counties.
    pub division: Option<String>,
}

/// Monitoring points, optionally within a division.
#[utoipa::path(get, path = "/api/v1/points", tag = "points", params(PointListQuery),
    responses((status = 200, description = "Points", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse)))]
pub async fn list_points(
    State(state): State<AppState>,
    Query(q): Query<PointListQuery>,
) -> ApiResult<Json<Vec<MonitoringPoint>>> {
    let division = q.division.as_deref().map(parse_division).transpose()?;
    Ok(Json(
        state.store.list_points(&PointQuery { division }).await?,
    ))
}

/// One point by code.
#[utoipa::path(get, path = "/api/v1/points/{code}", tag = "points",
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_point(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<MonitoringPoint>> {
    Ok(Json(state.store.get_point(&code).await?))
}

/// Every version of a point, oldest first (who, when, why).
#[utoipa::path(get, path = "/api/v1/points/{code}/history", tag = "points",
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_point_history(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    state.store.get_point(&code).await?;
    Ok(Json(state.store.history(Entity::Point, &code).await?))
}
