//! Administrative divisions with boundaries and areas.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Division, DivisionLevel};
use utoipa::{IntoParams, ToSchema};

use super::parse_division;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A division as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionResponse {
    /// GB/T 2260 code, six digits.
    pub code: String,
    pub name: String,
    /// `province`, `prefecture` or `county`.
    pub level: String,
    pub parent: Option<String>,
    /// Seat of government, [longitude, latitude] (CGCS2000).
    pub center: Option<[f64; 2]>,
    /// Area in km², computed from the boundary in its 3° Gauss–Krüger zone (CGCS2000); approximate.
    pub area_km2: Option<f64>,
    /// GeoJSON geometry (MultiPolygon, longitude/latitude, CGCS2000); omitted with `boundary=false`.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<serde_json::Value>,
    /// Where the boundary comes from.
    pub boundary_source: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DivisionListQuery {
    /// Include boundaries (default true).
    pub boundary: Option<bool>,
}

fn level(l: DivisionLevel) -> &'static str {
    match l {
        DivisionLevel::Province => "province",
        DivisionLevel::Prefecture => "prefecture",
        DivisionLevel::County => "county",
    }
}

pub(crate) fn to_response(d: Division, with_boundary: bool) -> DivisionResponse {
    let boundary = if with_boundary {
        d.boundary.as_ref().map(|b| {
            serde_json::to_value(geojson::Geometry::new(geojson::Value::from(b)))
                .unwrap_or(serde_json::Value::Null)
        })
    } else {
        None
    };
    DivisionResponse {
        code: d.code.to_string(),
        name: d.name,
        level: level(d.level).into(),
        parent: d.parent.map(|p| p.to_string()),
        center: d.center.map(|(x, y)| [x, y]),
        area_km2: d.area_km2.map(|a| (a * 100.0).round() / 100.0),
        boundary,
        boundary_source: d.boundary_source,
    }
}

/// Every division: the prefecture and its counties.
#[utoipa::path(get, path = "/api/v1/divisions", tag = "divisions", params(DivisionListQuery),
    responses((status = 200, body = [DivisionResponse])))]
pub async fn list_divisions(
    State(state): State<AppState>,
    Query(q): Query<DivisionListQuery>,
) -> ApiResult<Json<Vec<DivisionResponse>>> {
    let with = q.boundary.unwrap_or(true);
    let list = state.store.list_divisions().await?;
    Ok(Json(
        list.into_iter().map(|d| to_response(d, with)).collect(),
    ))
}

/// One division by its GB/T 2260 code.
#[utoipa::path(get, path = "/api/v1/divisions/{code}", tag = "divisions",
    params(("code" = String, Path, description = "GB/T 2260 code, e.g. 513402")),
    responses(
        (status = 200, body = DivisionResponse),
        (status = 400, description = "Malformed code", body = crate::error::ErrorResponse),
        (status = 404, description = "No such division", body = crate::error::ErrorResponse)))]
pub async fn get_division(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<DivisionResponse>> {
    let code = parse_division(&code)?;
    let d = state
        .store
        .get_division(code)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(to_response(d, true)))
}
