//! Layer exports as files (issue 11): `GET /api/v1/exports/{layer}.gpkg|geojson|csv`, every
//! feature of an OGC collection (or those matching the same filters as its `/items`): GeoPackage
//! (CGCS2000, EPSG:4490, with an R-tree index), GeoJSON (RFC 7946) and CSV with WKT (UTF-8 with
//! BOM).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::auth::MaybeActor;
use crate::error::{ApiError, ApiResult};
use crate::ogc::{collection, encode, gpkg, params};
use crate::AppState;

/// File format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    GeoPackage,
    GeoJson,
    Csv,
}

impl ExportFormat {
    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::GeoPackage => "application/geopackage+sqlite3",
            ExportFormat::GeoJson => "application/geo+json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// `points.gpkg` → (`points`, GeoPackage), or a 404 naming the formats.
pub fn parse_file(file: &str) -> ApiResult<(&str, ExportFormat)> {
    let not_found = || {
        ApiError::NotFound(format!(
            "没有这个导出 / no such export: '{file}' (expected {{layer}}.gpkg, .geojson or .csv)"
        ))
    };
    let (layer, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let format = match ext {
        "gpkg" => ExportFormat::GeoPackage,
        "geojson" | "json" => ExportFormat::GeoJson,
        "csv" => ExportFormat::Csv,
        _ => return Err(not_found()),
    };
    Ok((layer, format))
}

/// Every feature of a layer (the OGC collection of the same id) as a GeoPackage, GeoJSON or CSV
/// file. Takes the filters of the layer's `/ogc/collections/{layer}/items` (bbox, datetime,
/// queryables; `limit` and `offset` cut a window).
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "exports",
    params(("file" = String, Path, description = "`{layer}.gpkg`, `{layer}.geojson` or `{layer}.csv`; layers: divisions, points, samples, plots, enterprises, tailings_ponds")),
    responses(
        (status = 200, description = "The file", content_type = "application/geopackage+sqlite3"),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "The layer needs a signed-in user (samples)", body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_export(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let (layer, format) = parse_file(&file)?;
    let c = collection::find(layer)?;
    collection::check_access(c.meta(), actor.is_some())?;
    let q = params::parse_items(&pairs, c, false)?;
    let mut page = c.items(state.store.as_ref(), &q).await?;
    // Issue 9: samples through the sharing catalogue's read check (rows withheld, read logged).
    page.features = crate::api::catalogue::guard_features(
        &state,
        actor.as_ref(),
        layer,
        &format!("GET /api/v1/exports/{file}"),
        page.features,
    )
    .await?;
    let meta = c.meta();
    let body = match format {
        ExportFormat::GeoPackage => gpkg::write_gpkg(meta, &page.features)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        ExportFormat::GeoJson => encode::feature_collection(&page.features)
            .to_string()
            .into_bytes(),
        ExportFormat::Csv => encode::csv_bytes(meta, &page.features)
            .map_err(|e| ApiError::Internal(format!("csv: {e}")))?,
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&page.features.len().to_string()) {
        h.insert("x-feature-count", v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert!(matches!(
            parse_file("points.gpkg"),
            Ok(("points", ExportFormat::GeoPackage))
        ));
        assert!(matches!(
            parse_file("samples.geojson"),
            Ok(("samples", ExportFormat::GeoJson))
        ));
        assert!(parse_file("points.shp").is_err());
        assert!(parse_file("points").is_err());
    }
}
