//! Exchange packages through the API (issue 9, work-plan items 3 and 20): the same packages as
//! `soilwatch export-package` / `import-package` (`soilwatch_store::exchange`: a zip with CSV per
//! table, GeoJSON for the points, a manifest with row counts, SHA-256 per file and the schema
//! version). Downloading is a read of observation data: it goes through the sharing catalogue's
//! read check and is logged.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use soilwatch_core::{DivisionCode, Medium};
use soilwatch_store::exchange::{export_package, import_package, PackageOutcome};
use soilwatch_store::network::FindQuery;
use soilwatch_store::Role;
use utoipa::IntoParams;

use super::catalogue::{check_rows, RowVisibility};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PackageQuery {
    /// Year of the samples (required).
    pub year: Option<i32>,
    /// One county (GB/T 2260); default: every division the user may export.
    pub county: Option<String>,
}

/// The division a user exports: administrators and reviewers any (or every division); a data
/// officer a division inside their department's area (default: that area).
async fn scope(
    state: &AppState,
    actor: &Actor,
    county: Option<DivisionCode>,
) -> ApiResult<Option<DivisionCode>> {
    actor.require(&[Role::Administrator, Role::Reviewer, Role::DataOfficer])?;
    if actor.role() != Role::DataOfficer {
        return Ok(county);
    }
    match county {
        Some(c) => {
            actor.require_division(state, c).await?;
            Ok(Some(c))
        }
        None => {
            let dept = actor.user.department.as_deref().ok_or_else(|| {
                ApiError::Forbidden(
                    "无权限：账户未归属部门 / forbidden: the account has no department".into(),
                )
            })?;
            Ok(Some(state.store.get_department(dept).await?.division))
        }
    }
}

/// Download a year's exchange package (zip): administrators and reviewers, and data officers
/// for their own department's area. Every sample in it passes the sharing catalogue's read
/// check (the read is logged per dataset with its rows); 403 when any of it is not open to the
/// user.
#[utoipa::path(get, path = "/api/v1/packages", tag = "packages", params(PackageQuery),
    responses((status = 200, description = "The package", content_type = "application/zip"),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn get_package(
    State(state): State<AppState>,
    actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PackageQuery>,
) -> ApiResult<Response> {
    let year = q.year.ok_or_else(|| {
        ApiError::BadRequest(
            "缺少参数 year（数据年度）/ the parameter year (the data year) is required".into(),
        )
    })?;
    if !(1900..=2100).contains(&year) {
        return Err(ApiError::BadRequest(format!(
            "参数 year: 应在 1900–2100 之间，实为 {year} / parameter year: expected 1900–2100, \
             found {year}"
        )));
    }
    let county = match q.county.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(c.parse::<DivisionCode>().map_err(|e| {
            ApiError::BadRequest(format!("参数 county / parameter county: '{c}': {e}"))
        })?),
    };
    let division = scope(&state, &actor, county).await?;

    // The samples the package will hold, through the read check.
    let mut fq = FindQuery {
        division,
        from: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        to: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
        limit: 10_000,
        ..FindQuery::default()
    };
    let mut rows: Vec<(i64, Medium)> = Vec::new();
    loop {
        let page = state.store.find_samples(&fq).await?;
        rows.extend(page.items.iter().map(|s| (s.id, s.sample.medium)));
        match page.next_cursor {
            Some(c) => fq.cursor = Some(c),
            None => break,
        }
    }
    let seen = check_rows(&state, &actor.user, &format!("GET {uri}"), None, &rows).await?;
    let refused = seen.iter().filter(|v| **v != RowVisibility::Shown).count();
    if refused > 0 {
        return Err(ApiError::Forbidden(format!(
            "无权限：该交换包中有 {refused} 个样品的数据未向您的部门共享或尚未通过审核 / \
             forbidden: {refused} samples of this package are not shared with your department or \
             belong to submissions not accepted yet"
        )));
    }

    let (bytes, manifest) = export_package(state.store.as_ref(), year, division).await?;
    let file = match division {
        Some(c) => format!("soilwatch-package-{year}-{c}.zip"),
        None => format!("soilwatch-package-{year}.zip"),
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&manifest.content_checksum()) {
        h.insert("x-package-checksum", v);
    }
    Ok(r)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PackageUploadQuery {
    /// The package's file name, recorded on the import batch (default `package.zip`).
    pub name: Option<String>,
}

/// Load an exchange package (the zip as the request body, `Content-Type: application/zip`):
/// administrators. Every file's checksum and row count is verified before anything is stored; a
/// tampered or truncated package is refused (422, naming the file; nothing stored); the same
/// content again changes nothing (200 `unchanged`); 201 `imported` with the batch and manifest.
#[utoipa::path(post, path = "/api/v1/packages", tag = "packages", params(PackageUploadQuery),
    request_body(content_type = "application/zip", description = "The package written by GET /api/v1/packages or soilwatch export-package"),
    responses((status = 201, description = "Imported", body = Object),
        (status = 200, description = "Unchanged: the same content was imported before", body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 422, description = "Refused, nothing stored", body = crate::error::ErrorResponse)))]
pub async fn post_package(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PackageUploadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    actor.require(&[Role::Administrator])?;
    let name = q
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "package.zip".into());
    let outcome = import_package(state.store.as_ref(), &body, &name, actor.username()).await?;
    let status = match &outcome {
        PackageOutcome::Imported { .. } => StatusCode::CREATED,
        PackageOutcome::Unchanged { .. } => StatusCode::OK,
    };
    Ok((status, Json(outcome)).into_response())
}

/// The OpenAPI part of this module, merged into the document by `openapi::get_openapi`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_package, post_package))]
pub struct PackagesApi;
