//! `GET /healthz`: liveness with the database kind and schema version.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Version of the newest applied migration.
    pub schema_version: i64,
    /// soilwatch version.
    pub version: String,
}

/// Health of the service and its database.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The service and its database answer", body = HealthResponse)))]
pub async fn get_health(State(state): State<AppState>) -> ApiResult<Json<HealthResponse>> {
    let schema_version = state.store.schema_version().await?;
    Ok(Json(HealthResponse {
        status: "ok".into(),
        database: state.store.kind().name().into(),
        schema_version,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
