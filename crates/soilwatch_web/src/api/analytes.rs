//! The analyte catalogue.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use soilwatch_core::{Analyte, Medium};
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::AppState;

/// An analyte with its names, aliases and canonical unit per medium.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyteResponse {
    /// Stable code used across the platform (`Cd`, `BaP`, `benzene`, …).
    pub code: String,
    pub name_cn: String,
    pub name_en: String,
    /// CAS number(s); empty where none applies.
    pub cas: String,
    pub group: String,
    /// Every spelling that resolves to this analyte on import.
    pub aliases: Vec<String>,
    /// Canonical unit per medium (`soil`, `groundwater`, …).
    #[schema(value_type = Object)]
    pub units: std::collections::BTreeMap<String, String>,
}

pub(crate) fn to_response(a: Analyte) -> AnalyteResponse {
    let units = Medium::ALL
        .iter()
        .map(|m| {
            (
                m.code().to_owned(),
                a.canonical_unit(*m).symbol().to_owned(),
            )
        })
        .collect();
    let group = serde_json::to_value(a.group)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    AnalyteResponse {
        code: a.code,
        name_cn: a.name_cn,
        name_en: a.name_en,
        cas: a.cas,
        group,
        aliases: a.aliases,
        units,
    }
}

/// The analyte catalogue.
#[utoipa::path(get, path = "/api/v1/analytes", tag = "analytes",
    responses((status = 200, body = [AnalyteResponse])))]
pub async fn list_analytes(State(state): State<AppState>) -> ApiResult<Json<Vec<AnalyteResponse>>> {
    let list = state.store.list_analytes().await?;
    Ok(Json(list.into_iter().map(to_response).collect()))
}

/// One analyte by code.
#[utoipa::path(get, path = "/api/v1/analytes/{code}", tag = "analytes",
    params(("code" = String, Path, description = "Analyte code, e.g. Cd")),
    responses((status = 200, body = AnalyteResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_analyte(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<AnalyteResponse>> {
    Ok(Json(to_response(state.store.get_analyte(&code).await?)))
}
