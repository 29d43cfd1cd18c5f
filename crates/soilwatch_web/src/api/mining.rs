//! 矿区 — mining areas with the yearly radiation monitoring of mines with associated
//! radioactivity (伴生放射性矿; issue 8, work-plan item 22). The monitoring results are ordinary
//! samples on the area's points; the rule of present / missing years is
//! `soilwatch_store::registry_mining`'s.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, Uscc, VersionRecord};
use soilwatch_store::registry::{KeysetPage, RegistryQuery, Versioned};
use soilwatch_store::registry_mining::{
    radiation_monitoring, MiningArea, MiningStatus, RadiationMonitoring,
};
use soilwatch_store::RegistryEntity;
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{check_rows, RowVisibility};
use super::registry_support::{
    body, change, code_filter, cut, division, history, keyset, lon_lat, may_write, paged,
    public_or_signed_in, same_key, uscc_filter,
};
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Filters of the mining-area lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct MiningListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    /// `operating` 在产, `suspended` 停产, `closed` 闭坑, `abandoned` 废弃.
    pub status: Option<String>,
    /// The mining enterprise's USCC.
    pub enterprise: Option<String>,
    /// `true`: only mines with associated radioactivity; `false`: only those without.
    pub radioactive: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

pub(crate) fn mining_query(q: &MiningListQuery) -> ApiResult<(RegistryQuery, Option<bool>)> {
    let radioactive = match q
        .radioactive
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some("true" | "1" | "是") => Some(true),
        Some("false" | "0" | "否") => Some(false),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "参数 radioactive：'{other}' 应为 true 或 false / parameter radioactive: '{other}' \
                 must be true or false"
            )))
        }
    };
    Ok((
        RegistryQuery {
            division: division(q.division.as_deref())?,
            status: code_filter::<MiningStatus>(q.status.as_deref())?,
            enterprise: uscc_filter("enterprise", q.enterprise.as_deref())?,
            radioactive,
            ..Default::default()
        },
        radioactive,
    ))
}

/// The areas of a list query on one keyset page (the pages: `page` as they read it).
pub async fn find_mining_areas(
    state: &AppState,
    q: &MiningListQuery,
    page: KeysetPage,
) -> ApiResult<Vec<Versioned<MiningArea>>> {
    let (mut rq, _) = mining_query(q)?;
    rq.page = page;
    Ok(state.store.list_mining_areas(&rq).await?)
}

/// One keyset page of the areas of a list query (`limit`, `cursor`), with the next cursor.
async fn mining_page(
    state: &AppState,
    q: &MiningListQuery,
) -> ApiResult<(Vec<Versioned<MiningArea>>, Option<String>)> {
    let (mut rq, _) = mining_query(q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    Ok(cut(
        state.store.list_mining_areas(&rq).await?,
        &rq.page,
        |a| a.item.code.clone(),
    ))
}

/// The radiation monitoring of an area as of `today` (every sample on its points).
pub async fn area_monitoring(
    state: &AppState,
    area: &MiningArea,
    today: NaiveDate,
) -> ApiResult<RadiationMonitoring> {
    let samples = state
        .store
        .samples_of_points(&area.point_codes, None)
        .await?;
    Ok(radiation_monitoring(area, &samples, today))
}

/// The radiation monitoring of each of `areas` as of `today`, in their order: the samples on all
/// their points read at once (the statements do not grow with the areas or their samples).
pub async fn areas_monitoring(
    state: &AppState,
    areas: &[&MiningArea],
    today: NaiveDate,
) -> ApiResult<Vec<RadiationMonitoring>> {
    let mut points: Vec<String> = areas
        .iter()
        .flat_map(|a| a.point_codes.iter().cloned())
        .collect();
    points.sort();
    points.dedup();
    let samples = state.store.samples_of_points(&points, None).await?;
    Ok(areas
        .iter()
        .map(|a| radiation_monitoring(a, &samples, today))
        .collect())
}

/// Mining areas with every field, by code.
#[utoipa::path(get, path = "/api/v1/mining-areas", tag = "tailings", params(MiningListQuery),
    responses((status = 200, description = "Mining areas by code (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_mining_areas(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<MiningListQuery>,
) -> ApiResult<Response> {
    let (items, next) = mining_page(&state, &q).await?;
    Ok(paged(&items, next.as_deref(), &uri))
}

/// The public view of mining areas: code, name, enterprise, mineral, county, status, associated
/// radioactivity and each year's monitoring state (`present`, `missing`, `pending`) — no
/// location, points, samples, results or note. Without sign-in while the sharing catalogue
/// marks `tailings_ponds` (尾矿库及其年度辐射监测) public, else 401.
#[utoipa::path(get, path = "/api/v1/public/mining-areas", tag = "tailings", params(MiningListQuery),
    responses((status = 200, description = "Public fields of the mining areas (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in and `tailings_ponds` is not marked public", body = crate::error::ErrorResponse)))]
pub async fn list_public_mining_areas(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<MiningListQuery>,
) -> ApiResult<Response> {
    public_or_signed_in(&state, actor.as_ref(), "tailings_ponds").await?;
    let today = Utc::now().date_naive();
    let (areas, next) = mining_page(&state, &q).await?;
    let items: Vec<&MiningArea> = areas.iter().map(|a| &a.item).collect();
    let monitoring = areas_monitoring(&state, &items, today).await?;
    let out: Vec<_> = items
        .iter()
        .zip(&monitoring)
        .map(|(a, m)| a.public(m))
        .collect();
    Ok(paged(&out, next.as_deref(), &uri))
}

/// A mining area with its radiation monitoring.
#[derive(Debug, Serialize)]
pub struct MiningAreaDetail {
    #[serde(flatten)]
    pub area: Versioned<MiningArea>,
    pub radiation: RadiationMonitoring,
    /// Results left out of `radiation.latest_results` because the sharing catalogue does not
    /// open their dataset to the reader.
    pub withheld_results: usize,
}

/// An area with its radiation monitoring as of `today`, the latest results passed through the
/// sharing catalogue's read check (shared by the API and the page).
pub async fn mining_area_detail(
    state: &AppState,
    actor: &Actor,
    code: &str,
    today: NaiveDate,
) -> ApiResult<MiningAreaDetail> {
    let area = state.store.get_mining_area(code).await?;
    let mut radiation = area_monitoring(state, &area.item, today).await?;
    let mut rows: Vec<_> = radiation
        .latest_results
        .iter()
        .map(|r| (r.sample_id, r.medium))
        .collect();
    rows.sort_unstable_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    let seen = check_rows(
        state,
        &actor.user,
        &format!("GET /api/v1/mining-areas/{code}"),
        None,
        &rows,
    )
    .await?;
    let hidden: Vec<i64> = rows
        .iter()
        .zip(&seen)
        .filter(|(_, v)| **v != RowVisibility::Shown)
        .map(|(r, _)| r.0)
        .collect();
    let before = radiation.latest_results.len();
    radiation
        .latest_results
        .retain(|r| !hidden.contains(&r.sample_id));
    let withheld_results = before - radiation.latest_results.len();
    Ok(MiningAreaDetail {
        area,
        radiation,
        withheld_results,
    })
}

/// One mining area with every field and its radiation monitoring (`radiation`): for a mine with
/// associated radioactivity, every year from `monitoring_since` to this one as `present` (a
/// sample on the area's points that year has a radiation result: U, Th, ²³⁸U, ²³²Th, ²²⁶Ra,
/// ⁴⁰K, gross α/β, γ dose rate), `missing` (the year is over without one) or `pending`, with
/// `missing_years`, and the results of the latest monitored year.
#[utoipa::path(get, path = "/api/v1/mining-areas/{code}", tag = "tailings",
    params(("code" = String, Path, description = "Mining-area code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_mining_area(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<MiningAreaDetail>> {
    Ok(Json(
        mining_area_detail(&state, &actor, &code, Utc::now().date_naive()).await?,
    ))
}

/// Every version of a mining area, oldest first.
#[utoipa::path(get, path = "/api/v1/mining-areas/{code}/history", tag = "tailings",
    params(("code" = String, Path, description = "Mining-area code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_mining_area_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::MiningArea, &code).await
}

/// A mining area as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MiningAreaWriteRequest {
    /// Area code (create; on update the path's is used).
    pub code: Option<String>,
    pub name: String,
    /// The mining enterprise's USCC (check character verified).
    #[schema(value_type = Option<String>)]
    pub enterprise_uscc: Option<Uscc>,
    pub enterprise_name: Option<String>,
    /// Mineral mined (稀土, 铅锌, 钒钛磁铁矿 …).
    pub mineral: String,
    /// County code.
    #[schema(value_type = String)]
    pub division: DivisionCode,
    /// CGCS2000 longitude (not public).
    pub lon: Option<f64>,
    /// CGCS2000 latitude (not public).
    pub lat: Option<f64>,
    /// `operating` 在产, `suspended` 停产, `closed` 闭坑, `abandoned` 废弃.
    #[schema(value_type = String)]
    pub status: MiningStatus,
    /// 伴生放射性矿: whether the mine has associated radioactivity (it then owes yearly
    /// radiation monitoring from `monitoring_since`).
    pub associated_radioactivity: bool,
    /// First year whose radiation monitoring is due (required with associated radioactivity).
    pub monitoring_since: Option<i32>,
    /// Radiation monitoring point codes (not public).
    #[serde(default)]
    pub point_codes: Vec<String>,
    /// Not public.
    pub note: Option<String>,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

fn to_area(code: String, r: MiningAreaWriteRequest) -> ApiResult<MiningArea> {
    let location = lon_lat(r.lon, r.lat)?;
    Ok(MiningArea {
        code,
        name: r.name,
        enterprise_uscc: r.enterprise_uscc,
        enterprise_name: r.enterprise_name,
        mineral: r.mineral,
        division: r.division,
        location,
        status: r.status,
        associated_radioactivity: r.associated_radioactivity,
        monitoring_since: r.monitoring_since,
        point_codes: r.point_codes,
        note: r.note,
    })
}

/// Register a mining area; 201, 409 if the code exists, 422 naming the field.
#[utoipa::path(post, path = "/api/v1/mining-areas", tag = "tailings", request_body = MiningAreaWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_mining_area(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<MiningAreaWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<MiningArea>>)> {
    let r = body(req)?;
    Ok((
        StatusCode::CREATED,
        Json(create_mining_record(&state, &actor, r).await?),
    ))
}

/// Register a mining area (the API and the `/mining-areas/new` form): officers of its county and
/// administrators, with a reason.
pub async fn create_mining_record(
    state: &AppState,
    actor: &Actor,
    r: MiningAreaWriteRequest,
) -> ApiResult<Versioned<MiningArea>> {
    let change = change(actor, r.reason.as_deref())?;
    let code = r.code.clone().unwrap_or_default();
    let a = to_area(code, r)?;
    may_write(state, actor, &[a.division]).await?;
    Ok(state.store.create_mining_area(&a, &change).await?)
}

/// Replace a mining area.
#[utoipa::path(put, path = "/api/v1/mining-areas/{code}", tag = "tailings", request_body = MiningAreaWriteRequest,
    params(("code" = String, Path, description = "Mining-area code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_mining_area(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<MiningAreaWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<MiningArea>>> {
    let r = body(req)?;
    Ok(Json(update_mining_record(&state, &actor, &code, r).await?))
}

/// Replace a mining area (the API and the `/mining-areas/{code}/edit` form): the writer's area
/// must hold its county before and after; `version` guards against lost updates.
pub async fn update_mining_record(
    state: &AppState,
    actor: &Actor,
    code: &str,
    r: MiningAreaWriteRequest,
) -> ApiResult<Versioned<MiningArea>> {
    same_key(code, r.code.as_deref(), "code")?;
    let change = change(actor, r.reason.as_deref())?;
    let version = r.version;
    let a = to_area(code.to_owned(), r)?;
    let current = state.store.get_mining_area(&a.code).await?;
    may_write(state, actor, &[current.item.division, a.division]).await?;
    Ok(state.store.update_mining_area(&a, version, &change).await?)
}
