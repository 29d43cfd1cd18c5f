//! Monitoring points: find (filters, paging, JSON/CSV/GeoJSON/XLSX), one point, its history, and
//! writes (create, update or move, retire).
//!
//! Writes need a signed-in administrator, or a data officer whose department's area holds the
//! point (issue 7); every write needs a reason and is kept in the point's history.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use soilwatch_core::{
    ChangeMeta, ControlLevel, DivisionCode, LandUse, LonLat, MonitoringPoint, PointType,
    VersionRecord,
};
use soilwatch_store::{Entity, NetworkPoint, PointRecord, RiskAreaCategory, Role};
use utoipa::ToSchema;

use super::find::{respond, FindParams};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Monitoring points with filters, sorted by code, paged by cursor; JSON, CSV, GeoJSON or XLSX.
#[utoipa::path(get, path = "/api/v1/points", tag = "points", params(FindParams),
    responses((status = 200, description = "Points (next page in the Link and X-Next-Cursor headers)", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_points(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(q): Query<FindParams>,
) -> ApiResult<Response> {
    let format = q.format(&headers)?;
    let page = state.store.find_points(&q.query(format)?).await?;
    respond(page, format, &uri, "points")
}

/// One point by code, with what it watches, when it moved and its version.
#[utoipa::path(get, path = "/api/v1/points/{code}", tag = "points",
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_point(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<PointRecord>> {
    Ok(Json(state.store.get_point_record(&code).await?))
}

/// Every version of a point, oldest first (who, when, why); a move keeps the old location here.
#[utoipa::path(get, path = "/api/v1/points/{code}/history", tag = "points",
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_point_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    state.store.get_point(&code).await?;
    Ok(Json(state.store.history(Entity::Point, &code).await?))
}

/// A point as written by a client. Codes of enums may be given in English or Chinese.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PointWriteRequest {
    /// Point code (create only; on update the path's code is used).
    pub code: Option<String>,
    pub name: String,
    /// `background` 背景点, `basic` 基础点, `risk` 风险点, `detailed_survey` 详查点,
    /// `enterprise_self_monitoring`, `irrigation_intake`, `groundwater_well`, `surface_water_section`.
    pub point_type: String,
    /// `national` 国控, `provincial` 省控, `prefecture` 州控, `county` 县控.
    pub control_level: String,
    /// County code (GB/T 2260); the location must lie inside its boundary.
    pub division: String,
    /// Longitude, CGCS2000.
    pub lon: f64,
    /// Latitude, CGCS2000.
    pub lat: f64,
    /// GB/T 21010 code or name (`0101`, 水田).
    pub land_use: Option<String>,
    /// Risk-area category of the work plan (`mining_area`, 矿区, …); see
    /// `GET /api/v1/network/risk-categories`.
    pub risk_category: Option<String>,
    /// Enterprise watched (code, free text for now).
    pub watched_enterprise: Option<String>,
    /// Plot watched (code, free text for now).
    pub watched_plot: Option<String>,
    /// YYYY-MM-DD.
    pub established_on: Option<String>,
    /// YYYY-MM-DD of a move (update; default today when the location changes).
    pub moved_on: Option<String>,
    /// Why (required on update; default "新建点位 / point registered" on create).
    pub reason: Option<String>,
}

/// Retiring a point.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PointRetireRequest {
    /// Why the point is retired (required).
    pub reason: String,
    /// YYYY-MM-DD, default today.
    pub retired_on: Option<String>,
}

fn field_err(field: &str, e: impl std::fmt::Display) -> String {
    format!("字段 {field} / field {field}: {e}")
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(|e| {
        ApiError::Unprocessable(format!(
            "请求体无效 / invalid request body: {}",
            e.body_text()
        ))
    })
}

fn reason(r: Option<String>, default: Option<&str>) -> ApiResult<String> {
    match r.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(r) => Ok(r),
        None => default.map(str::to_owned).ok_or_else(|| {
            ApiError::Unprocessable(field_err(
                "reason",
                "每次修改须注明原因 / every change needs a reason",
            ))
        }),
    }
}

fn opt_date(field: &str, s: &Option<String>, errors: &mut Vec<String>) -> Option<NaiveDate> {
    let s = s.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(field_err(
                field,
                format!(
                    "应为日期 YYYY-MM-DD，收到 '{s}' / expected a date YYYY-MM-DD, found '{s}'"
                ),
            ));
            None
        }
    }
}

/// Parse every field, collecting every problem (422 with all of them, each naming its field).
fn to_point(
    code: String,
    r: &PointWriteRequest,
    current: Option<&NetworkPoint>,
) -> ApiResult<NetworkPoint> {
    let mut errors = Vec::new();
    let mut take = |field: &str, res: Result<(), String>| {
        if let Err(e) = res {
            errors.push(field_err(field, e));
        }
    };
    let mut point_type = PointType::Basic;
    take(
        "point_type",
        r.point_type
            .parse()
            .map(|v| point_type = v)
            .map_err(|e: soilwatch_core::CoreError| e.to_string()),
    );
    let mut control_level = ControlLevel::County;
    take(
        "control_level",
        r.control_level
            .parse()
            .map(|v| control_level = v)
            .map_err(|e: soilwatch_core::CoreError| e.to_string()),
    );
    let mut division: Option<DivisionCode> = None;
    take(
        "division",
        r.division
            .parse()
            .map(|v| division = Some(v))
            .map_err(|e: soilwatch_core::CoreError| e.to_string()),
    );
    let mut location = None;
    take(
        "location",
        LonLat::new(r.lon, r.lat)
            .map(|v| location = Some(v))
            .map_err(|e| e.to_string()),
    );
    let mut land_use = None;
    if let Some(l) = r.land_use.as_deref().filter(|s| !s.trim().is_empty()) {
        take(
            "land_use",
            l.parse::<LandUse>()
                .map(|v| land_use = Some(v))
                .map_err(|e| e.to_string()),
        );
    }
    if let Some(c) = r.risk_category.as_deref().filter(|s| !s.trim().is_empty()) {
        take(
            "risk_category",
            c.parse::<RiskAreaCategory>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    }
    let established_on = opt_date("established_on", &r.established_on, &mut errors);
    let moved_on = opt_date("moved_on", &r.moved_on, &mut errors);
    if r.name.trim().is_empty() {
        errors.push(field_err("name", "点位名称不能为空 / a point needs a name"));
    }
    let (Some(division), Some(location), true) = (division, location, errors.is_empty()) else {
        return Err(ApiError::Unprocessable(errors.join("; ")));
    };
    Ok(NetworkPoint {
        point: MonitoringPoint {
            code,
            name: r.name.clone(),
            point_type,
            control_level,
            division,
            location,
            land_use,
            risk_category: r.risk_category.clone(),
            established_on,
            retired_on: current.and_then(|c| c.point.retired_on),
        },
        watched_enterprise: r.watched_enterprise.clone(),
        watched_plot: r.watched_plot.clone(),
        moved_on: moved_on.or_else(|| current.and_then(|c| c.moved_on)),
    })
}

/// Register a point (the API and the `/points/new` form): administrators, or a data officer whose
/// area holds the county; the reason defaults to "point registered".
pub async fn create_record(
    state: &AppState,
    actor: &Actor,
    req: PointWriteRequest,
) -> ApiResult<PointRecord> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let code = req.code.clone().unwrap_or_default();
    let why = reason(req.reason.clone(), Some("新建点位 / point registered"))?;
    let p = to_point(code, &req, None)?;
    actor.require_division(state, p.point.division).await?;
    Ok(state
        .store
        .create_point(&p, &ChangeMeta::new(actor.username(), why))
        .await?)
}

/// Replace a point (the API and the `/points/{code}/edit` form): the writer's area must hold it
/// before and after; a reason is required.
pub async fn update_record(
    state: &AppState,
    actor: &Actor,
    code: &str,
    req: PointWriteRequest,
) -> ApiResult<PointRecord> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let current = state.store.get_point_record(code).await?;
    actor
        .require_division(state, current.point.point.division)
        .await?;
    let why = reason(req.reason.clone(), None)?;
    let p = to_point(code.to_owned(), &req, Some(&current.point))?;
    actor.require_division(state, p.point.division).await?;
    Ok(state
        .store
        .update_network_point(&p, &ChangeMeta::new(actor.username(), why))
        .await?)
}

/// Register a point. The location must lie inside the county's boundary (422 otherwise).
#[utoipa::path(post, path = "/api/v1/points", tag = "points", request_body = PointWriteRequest,
    responses((status = 201, description = "Registered", body = Object),
        (status = 401, description = "Not signed in", body = crate::error::ErrorResponse),
        (status = 403, description = "Not an administrator or a data officer of the county", body = crate::error::ErrorResponse),
        (status = 409, description = "The code exists", body = crate::error::ErrorResponse),
        (status = 422, description = "A field is invalid (the message names it)", body = crate::error::ErrorResponse)))]
pub async fn create_point(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<PointWriteRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let rec = create_record(&state, &actor, body(req)?).await?;
    let location = format!("/api/v1/points/{}", rec.point.point.code);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(rec),
    )
        .into_response())
}

/// Replace a point (a new location is a move: the old one stays in the history). Body needs a
/// `reason`.
#[utoipa::path(put, path = "/api/v1/points/{code}", tag = "points", request_body = PointWriteRequest,
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_point(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<PointWriteRequest>, JsonRejection>,
) -> ApiResult<Json<PointRecord>> {
    Ok(Json(
        update_record(&state, &actor, &code, body(req)?).await?,
    ))
}

/// Retire a point (it stays registered with its history; retiring twice is a 409).
#[utoipa::path(post, path = "/api/v1/points/{code}/retire", tag = "points", request_body = PointRetireRequest,
    params(("code" = String, Path, description = "Point code")),
    responses((status = 200, body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn retire_point(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<PointRetireRequest>, JsonRejection>,
) -> ApiResult<Json<PointRecord>> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let current = state.store.get_point_record(&code).await?;
    actor
        .require_division(&state, current.point.point.division)
        .await?;
    let req = body(req)?;
    let why = reason(Some(req.reason), None)?;
    let mut errors = Vec::new();
    let on = opt_date("retired_on", &req.retired_on, &mut errors)
        .unwrap_or_else(|| Utc::now().date_naive());
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors.join("; ")));
    }
    Ok(Json(
        state
            .store
            .retire_point(&code, on, &ChangeMeta::new(actor.username(), why))
            .await?,
    ))
}
