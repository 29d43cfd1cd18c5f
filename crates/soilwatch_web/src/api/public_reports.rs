//! 公众举报 — public reports (issue 10, work-plan item 41): the public submits a report (multipart
//! form: location by coordinates or by address and county, description, up to three JPEG or PNG
//! photos, optional contact) and gets a tracking number to follow it; the county bureau handles it
//! and replies publicly, linking plots or enterprises.
//!
//! - Photos are checked by their bytes (JPEG or PNG signature), not by the name or the declared
//!   type, and limited to [`MAX_PHOTO_BYTES`] each.
//! - At most [`RateLimit::default`] reports per network address and hour (a keyed hash of the
//!   address is stored, not the address): 429 beyond.
//! - The contact is shown only to the handling department: a data officer or reviewer of a
//!   department of the report's county. Nobody else, administrators included, sees it.
//! - Stored text is never trusted: templates escape it, JSON carries it as strings.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo::Contains;
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, DivisionLevel};
use soilwatch_store::auth_secret::secret_hash;
use soilwatch_store::public_reports::{
    Handling, HandlingEvent, NewPublicReport, Photo, PublicReport, PublicReportView, RateLimit,
    ReportStatus, MAX_PHOTOS,
};
use soilwatch_store::{Role, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{body, division};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Largest photo, bytes: three photos and the text stay within the server's ordinary body
/// limit (2 MiB by default, `limits.rs`), which refuses a larger form with a 413.
pub const MAX_PHOTO_BYTES: usize = 600 * 1024;

/// The reporter's network address as a keyed hash (for the rate limit).
#[derive(Debug, Clone)]
pub struct ClientKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = crate::auth::client_ip(&parts.extensions).unwrap_or_else(|| "unknown".into());
        Ok(ClientKey(secret_hash(&format!(
            "public-report-address:{ip}"
        ))))
    }
}

fn unprocessable(field: &str, cn: &str, en: &str) -> ApiError {
    ApiError::Unprocessable(format!("字段 {field}: {cn} / field {field}: {en}"))
}

/// The kind of image the bytes are, by signature.
fn image_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// The county containing a point, among the stored boundaries.
pub async fn county_at(state: &AppState, lon: f64, lat: f64) -> ApiResult<DivisionCode> {
    let p = geo::Point::new(lon, lat);
    state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .find(|d| d.boundary.as_ref().is_some_and(|b| b.contains(&p)))
        .map(|d| d.code)
        .ok_or_else(|| {
            unprocessable(
                "lon/lat",
                &format!("坐标 ({lon}, {lat}) 不在本州任何县（市）内"),
                &format!("({lon}, {lat}) is not inside any county of the prefecture"),
            )
        })
}

/// The report form as sent: its text fields as typed (kept to show the form again after an
/// error or a click on the map), the photos that passed their checks, and the first photo error.
#[derive(Debug, Default)]
pub struct ReportFields {
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub division: Option<String>,
    pub address: Option<String>,
    pub description: String,
    pub contact: Option<String>,
    pub photos: Vec<Photo>,
    pub photo_error: Option<ApiError>,
    /// Pixel clicked on the form's map (`map.x`, `map.y` of its `<input type="image" name="map">`).
    pub map_click: Option<(f64, f64)>,
}

/// Read the report form (`lon`, `lat`, `address`, `division`, `description`, `contact`,
/// `photo` ×3, and `map.x`/`map.y` from the page's map). Only an unreadable body is an error
/// here; the fields are judged by [`check_report`].
pub async fn read_report_fields(mut form: Multipart) -> ApiResult<ReportFields> {
    let bad = |e: String| ApiError::BadRequest(format!("表单无法读取 / unreadable form: {e}"));
    let mut r = ReportFields::default();
    let (mut map_x, mut map_y) = (None::<f64>, None::<f64>);
    let mut n = 0;
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.to_string()))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let mut bytes = Vec::new();
            let mut too_big = false;
            while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.to_string()))? {
                if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
                    too_big = true; // read on, keep nothing more
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if bytes.is_empty() && !too_big {
                continue; // an empty file input
            }
            n += 1;
            let error = if too_big {
                Some(unprocessable(
                    "photo",
                    &format!("第 {n} 张照片超过 {} KB", MAX_PHOTO_BYTES / 1024),
                    &format!("photo {n} is larger than {} KB", MAX_PHOTO_BYTES / 1024),
                ))
            } else if r.photos.len() == MAX_PHOTOS {
                Some(unprocessable(
                    "photo",
                    &format!("最多 {MAX_PHOTOS} 张照片"),
                    &format!("at most {MAX_PHOTOS} photos"),
                ))
            } else {
                match image_type(&bytes) {
                    Some(content_type) => {
                        r.photos.push(Photo {
                            content_type: content_type.to_owned(),
                            bytes,
                        });
                        None
                    }
                    None => Some(unprocessable(
                        "photo",
                        &format!("第 {n} 张照片不是 JPEG 或 PNG 图片"),
                        &format!("photo {n} is not a JPEG or PNG image"),
                    )),
                }
            };
            if r.photo_error.is_none() {
                r.photo_error = error;
            }
            continue;
        }
        let text = field.text().await.map_err(|e| bad(e.to_string()))?;
        let text = Some(text).filter(|t| !t.trim().is_empty());
        match name.as_str() {
            "lon" => r.lon = text,
            "lat" => r.lat = text,
            "division" => r.division = text,
            "address" => r.address = text,
            "description" => r.description = text.unwrap_or_default(),
            "contact" => r.contact = text,
            "map.x" => map_x = text.and_then(|t| t.trim().parse().ok()),
            "map.y" => map_y = text.and_then(|t| t.trim().parse().ok()),
            _ => {}
        }
    }
    r.map_click = map_x.zip(map_y);
    Ok(r)
}

/// A coordinate typed in the form, as a finite number.
pub fn coordinate(field: &str, s: &str) -> ApiResult<f64> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            unprocessable(
                field,
                &format!("'{s}' 不是数字"),
                &format!("'{s}' is not a number"),
            )
        })
}

/// Judge the form: a photo error, the location (both coordinates inside a county of the
/// prefecture, or no coordinates and at most a county code) and the rest as
/// [`NewPublicReport`] (the description is checked by the store).
pub async fn check_report(
    state: &AppState,
    f: ReportFields,
    client: &ClientKey,
) -> ApiResult<NewPublicReport> {
    if let Some(e) = f.photo_error {
        return Err(e);
    }
    let mut r = NewPublicReport {
        client_key: client.0.clone(),
        address: f.address,
        description: f.description,
        contact: f.contact,
        photos: f.photos,
        ..NewPublicReport::default()
    };
    match (f.lon, f.lat) {
        (Some(x), Some(y)) => {
            let (x, y) = (coordinate("lon", &x)?, coordinate("lat", &y)?);
            r.division = Some(county_at(state, x, y).await?);
            r.lon = Some(x);
            r.lat = Some(y);
        }
        (None, None) => {
            r.division = f
                .division
                .as_deref()
                .map(|c| {
                    c.trim().parse().map_err(|e: soilwatch_core::CoreError| {
                        unprocessable("division", "县（市）代码无效", &e.to_string())
                    })
                })
                .transpose()?;
        }
        _ => {
            return Err(unprocessable(
                "lon/lat",
                "经度和纬度须同时填写",
                "give both longitude and latitude",
            ))
        }
    }
    Ok(r)
}

/// Store a report (the rate limit is a 429).
pub async fn submit(state: &AppState, r: &NewPublicReport) -> ApiResult<PublicReport> {
    match state
        .store
        .create_public_report(r, RateLimit::default())
        .await
    {
        Err(StoreError::Conflict { constraint, detail }) if constraint == "rate_limit" => {
            Err(ApiError::TooManyRequests(detail))
        }
        other => Ok(other?),
    }
}

/// The answer to a report: its tracking number.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCreatedResponse {
    /// 受理编号 — keep it to follow the report.
    pub tracking: String,
    pub status: String,
    /// The county bureau it went to.
    pub division: String,
}

/// Report a soil pollution problem (no sign-in): multipart form with `description` (required),
/// the location as `lon` + `lat` (CGCS2000) or `address` + `division` (county code), up to three
/// `photo` files (JPEG or PNG, 600 KB each) and an optional `contact` (seen only by the handling
/// county bureau). Answers with the tracking number. At most 5 reports per address and hour.
#[utoipa::path(post, path = "/api/v1/public/reports", tag = "public",
    request_body(content_type = "multipart/form-data", description = "description, lon, lat, address, division, contact, photo"),
    responses((status = 201, body = ReportCreatedResponse), (status = 422, body = crate::error::ErrorResponse),
        (status = 429, body = crate::error::ErrorResponse)))]
pub async fn create_report(
    State(state): State<AppState>,
    client: ClientKey,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<ReportCreatedResponse>)> {
    let fields = read_report_fields(form).await?;
    let r = check_report(&state, fields, &client).await?;
    let saved = submit(&state, &r).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReportCreatedResponse {
            tracking: saved.tracking,
            status: saved.status.code().to_owned(),
            division: saved.division.to_string(),
        }),
    ))
}

/// Follow a report by its tracking number: status, description, the public reply (no contact,
/// no coordinates, no internal notes).
#[utoipa::path(get, path = "/api/v1/public/reports/{tracking}", tag = "public",
    params(("tracking" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_report_status(
    State(state): State<AppState>,
    Path(tracking): Path<String>,
) -> ApiResult<Json<PublicReportView>> {
    Ok(Json(
        state
            .store
            .find_public_report(&tracking)
            .await?
            .public_view(),
    ))
}

/// Whether the user handles reports of a county: a data officer or reviewer of a department
/// of that county.
pub async fn handles(state: &AppState, actor: &Actor, county: DivisionCode) -> ApiResult<bool> {
    if !matches!(actor.role(), Role::DataOfficer | Role::Reviewer) {
        return Ok(false);
    }
    let Some(d) = &actor.user.department else {
        return Ok(false);
    };
    Ok(state.store.get_department(d).await?.division == county)
}

/// A report as staff see it: the contact only for the handling department.
async fn for_staff(
    state: &AppState,
    actor: &Actor,
    mut r: PublicReport,
) -> ApiResult<PublicReport> {
    if !handles(state, actor, r.division).await? {
        r.contact = None;
    }
    Ok(r)
}

/// Staff only: administrators, reviewers and data officers.
pub fn require_staff(actor: &Actor) -> ApiResult<()> {
    actor.require(&[Role::Administrator, Role::Reviewer, Role::DataOfficer])
}

/// Filters of the staff list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
}

/// Reports of a division, newest first (staff); the contact only for the handling department.
#[utoipa::path(get, path = "/api/v1/public-reports", tag = "public", params(ReportListQuery),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse)))]
pub async fn list_reports(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ReportListQuery>,
) -> ApiResult<Json<Vec<PublicReport>>> {
    require_staff(&actor)?;
    let mut out = Vec::new();
    for r in state
        .store
        .list_public_reports(division(q.division.as_deref())?)
        .await?
    {
        out.push(for_staff(&state, &actor, r).await?);
    }
    Ok(Json(out))
}

/// A report with its handling steps (staff).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetailResponse {
    #[schema(value_type = Object)]
    pub report: PublicReport,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<HandlingEvent>,
    /// Whether you handle it (and so see the contact).
    pub handling_department: bool,
}

/// One report with its handling (staff); the contact only for the handling department.
#[utoipa::path(get, path = "/api/v1/public-reports/{id}", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, body = ReportDetailResponse), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_report(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReportDetailResponse>> {
    require_staff(&actor)?;
    let r = state.store.get_public_report(id).await?;
    let handling_department = handles(&state, &actor, r.division).await?;
    Ok(Json(ReportDetailResponse {
        report: for_staff(&state, &actor, r).await?,
        events: state.store.public_report_events(id).await?,
        handling_department,
    }))
}

/// A handling step.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HandlingRequest {
    /// `received`, `handling`, `closed` (needs a reply) or `rejected`.
    pub status: String,
    /// Internal note (not public).
    pub note: Option<String>,
    /// Public reply (shown with the tracking number).
    pub reply: Option<String>,
    pub plot_code: Option<String>,
    pub enterprise_uscc: Option<String>,
}

/// Record handling and the public reply (the county bureau's data officers and reviewers).
#[utoipa::path(post, path = "/api/v1/public-reports/{id}/handling", tag = "public",
    params(("id" = i64, Path)), request_body = HandlingRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn handle_report(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    b: Result<Json<HandlingRequest>, JsonRejection>,
) -> ApiResult<Json<PublicReport>> {
    require_staff(&actor)?;
    let r = state.store.get_public_report(id).await?;
    if !handles(&state, &actor, r.division).await? {
        return Err(ApiError::Forbidden(format!(
            "无权限：举报由 {} 的生态环境部门办理 / forbidden: the report is handled by a \
             department of {}",
            r.division, r.division
        )));
    }
    let h = body(b)?;
    let status: ReportStatus = h.status.parse()?;
    let saved = state
        .store
        .handle_public_report(
            id,
            &Handling {
                status,
                note: h.note,
                reply: h.reply,
                plot_code: h.plot_code,
                enterprise_uscc: h.enterprise_uscc,
            },
            actor.username(),
        )
        .await?;
    Ok(Json(saved))
}

/// A photo of a report (staff), served with the checked image type and `nosniff`.
#[utoipa::path(get, path = "/api/v1/public-reports/{id}/photos/{seq}", tag = "public",
    params(("id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_report_photo(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, seq)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    require_staff(&actor)?;
    let p = state.store.public_report_photo(id, seq).await?;
    let ct = image_type(&p.bytes).unwrap_or("application/octet-stream");
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        p.bytes,
    )
        .into_response())
}

/// The OpenAPI part of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_report,
        get_report_status,
        list_reports,
        get_report,
        handle_report,
        get_report_photo
    ),
    components(schemas(ReportCreatedResponse, ReportDetailResponse, HandlingRequest))
)]
pub struct PublicReportsApi;
