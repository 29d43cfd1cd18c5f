//! Departments (organisations).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResponse {
    pub code: String,
    pub name: String,
    /// `prefecture` or `county`.
    pub level: String,
    pub division: String,
}

/// Every department.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    responses((status = 200, body = [DepartmentResponse])))]
pub async fn list_departments(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<DepartmentResponse>>> {
    let list = state.store.list_departments().await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DepartmentResponse {
                code: d.code,
                name: d.name,
                level: format!("{:?}", d.level).to_lowercase(),
                division: d.division.to_string(),
            })
            .collect(),
    ))
}
