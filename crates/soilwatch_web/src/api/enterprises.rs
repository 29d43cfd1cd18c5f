//! 重点监管企业 — key supervised enterprises (issue 8): the registry, the public list per county
//! (public fields only), and the yearly self-monitoring disclosures with overdue and missing
//! years flagged.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, Uscc, VersionRecord};
use soilwatch_store::registry::{parse_uscc, RegistryQuery, Versioned};
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_demolition::DemolitionPlan;
use soilwatch_store::registry_enterprise::{
    disclosure_calendar, Contact, DisclosedPollutant, Disclosure, DisclosureState, DisclosureYear,
    Enterprise, EnterprisePublic, EnterpriseStatus, ResponsibilityLetter,
};
use soilwatch_store::RegistryEntity;
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{
    body, change, code_filter, cut, division, history, keyset, lon_lat, may_write, paged,
    public_or_signed_in, same_key,
};
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Filters of the enterprise lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct EnterpriseListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    /// `operating` 在产, `suspended` 停产, `closed` 关闭, `relocated` 搬迁, `removed` 移出名录.
    pub status: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

pub(crate) fn enterprise_query(q: &EnterpriseListQuery) -> ApiResult<RegistryQuery> {
    Ok(RegistryQuery {
        division: division(q.division.as_deref())?,
        status: code_filter::<EnterpriseStatus>(q.status.as_deref())?,
        ..Default::default()
    })
}

/// Enterprises with every field (for the bureaus), by county and name.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(EnterpriseListQuery),
    responses((status = 200, description = "Enterprises by county, name and code (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_enterprises(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<EnterpriseListQuery>,
) -> ApiResult<Response> {
    let mut rq = enterprise_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (items, next) = cut(state.store.list_enterprises(&rq).await?, &rq.page, |e| {
        e.item.uscc.to_string()
    });
    Ok(paged(&items, next.as_deref(), &uri))
}

/// The public list (重点监管企业名录): public fields only, per county.
pub async fn public_enterprises(
    state: &AppState,
    q: &EnterpriseListQuery,
) -> ApiResult<Vec<EnterprisePublic>> {
    Ok(state
        .store
        .list_enterprises(&enterprise_query(q)?)
        .await?
        .iter()
        .map(|e| e.item.public())
        .collect())
}

/// The public list of key supervised enterprises: name, code, industry (with GB/T 4754 codes),
/// county, address, listed year, status and responsibility letter; no contact or location.
/// Without sign-in while the sharing catalogue marks `key_enterprises` public (as the portal's
/// `/public/enterprises`), else 401.
#[utoipa::path(get, path = "/api/v1/public/enterprises", tag = "enterprises", params(EnterpriseListQuery),
    responses((status = 200, description = "Public fields of the enterprises (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in and `key_enterprises` is not marked public", body = crate::error::ErrorResponse)))]
pub async fn list_public_enterprises(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<EnterpriseListQuery>,
) -> ApiResult<Response> {
    public_or_signed_in(&state, actor.as_ref(), "key_enterprises").await?;
    let mut rq = enterprise_query(&q)?;
    rq.page = keyset(q.limit, q.cursor.as_deref())?;
    let (rows, next) = cut(state.store.list_enterprises(&rq).await?, &rq.page, |e| {
        e.item.uscc.to_string()
    });
    let items: Vec<EnterprisePublic> = rows.iter().map(|e| e.item.public()).collect();
    Ok(paged(&items, next.as_deref(), &uri))
}

fn path_uscc(s: &str) -> ApiResult<Uscc> {
    parse_uscc("uscc", s).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// An enterprise with its demolition plans.
#[derive(Debug, Serialize)]
pub struct EnterpriseDetail {
    #[serde(flatten)]
    pub enterprise: Versioned<Enterprise>,
    /// 拆除活动污染防治方案 of the enterprise, by filing date (`/api/v1/demolition-plans`).
    pub demolition_plans: Vec<Versioned<DemolitionPlan>>,
}

/// One enterprise with every field, and its demolition plans (`demolition_plans`).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = Object), (status = 400, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_enterprise(
    State(state): State<AppState>,
    _actor: Actor,
    Path(uscc): Path<String>,
) -> ApiResult<Json<EnterpriseDetail>> {
    let u = path_uscc(&uscc)?;
    let enterprise = state.store.get_enterprise(u.as_str()).await?;
    let demolition_plans = state
        .store
        .list_demolition_plans(&RegistryQuery {
            enterprise: Some(u.to_string()),
            ..Default::default()
        })
        .await?;
    Ok(Json(EnterpriseDetail {
        enterprise,
        demolition_plans,
    }))
}

/// Every version of an enterprise, oldest first.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/history", tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_enterprise_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    let u = path_uscc(&uscc)?;
    history(&state, RegistryEntity::Enterprise, u.as_str()).await
}

/// An enterprise as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseWriteRequest {
    /// 统一社会信用代码 (create; the check character is verified). On update the path's is used.
    pub uscc: Option<String>,
    pub name: String,
    /// Industry of the work plan (see `GET /api/v1/registry/codes`).
    #[schema(value_type = String)]
    pub industry: Industry,
    /// County code (GB/T 2260).
    #[schema(value_type = String)]
    pub division: DivisionCode,
    pub address: Option<String>,
    /// CGCS2000 longitude (not public).
    pub lon: Option<f64>,
    /// CGCS2000 latitude (not public).
    pub lat: Option<f64>,
    pub listed_year: i32,
    /// `{signed_on, public_text}`.
    #[schema(value_type = Option<Object>)]
    pub responsibility_letter: Option<ResponsibilityLetter>,
    /// `operating` 在产, `suspended` 停产, `closed` 关闭, `relocated` 搬迁, `removed` 移出名录.
    #[schema(value_type = String)]
    pub status: EnterpriseStatus,
    /// `{person, phone?}` (not public).
    #[schema(value_type = Option<Object>)]
    pub contact: Option<Contact>,
    /// Self-monitoring point codes.
    #[serde(default)]
    pub point_codes: Vec<String>,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

fn to_enterprise(uscc: Uscc, r: EnterpriseWriteRequest) -> ApiResult<Enterprise> {
    let location = lon_lat(r.lon, r.lat)?;
    Ok(Enterprise {
        uscc,
        name: r.name,
        industry: r.industry,
        division: r.division,
        address: r.address,
        location,
        listed_year: r.listed_year,
        responsibility_letter: r.responsibility_letter,
        status: r.status,
        contact: r.contact,
        point_codes: r.point_codes,
    })
}

/// Register an enterprise; 201, 409 if the code exists, 422 naming the field (a wrong check
/// character is named with the expected one).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises", request_body = EnterpriseWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_enterprise(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<EnterpriseWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<Enterprise>>)> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let uscc = parse_uscc("uscc", r.uscc.as_deref().unwrap_or_default())?;
    let e = to_enterprise(uscc, r)?;
    may_write(&state, &actor, &[e.division]).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_enterprise(&e, &change).await?),
    ))
}

/// Replace an enterprise.
#[utoipa::path(put, path = "/api/v1/enterprises/{uscc}", tag = "enterprises", request_body = EnterpriseWriteRequest,
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_enterprise(
    State(state): State<AppState>,
    Path(uscc): Path<String>,
    actor: Actor,
    req: Result<Json<EnterpriseWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<Enterprise>>> {
    let u = path_uscc(&uscc)?;
    let r = body(req)?;
    same_key(u.as_str(), r.uscc.as_deref(), "uscc")?;
    let change = change(&actor, r.reason.as_deref())?;
    let version = r.version;
    let e = to_enterprise(u, r)?;
    let current = state.store.get_enterprise(e.uscc.as_str()).await?;
    may_write(&state, &actor, &[current.item.division, e.division]).await?;
    Ok(Json(
        state.store.update_enterprise(&e, version, &change).await?,
    ))
}

/// An enterprise's disclosures with the state of every year since it was listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosuresResponse {
    pub uscc: String,
    pub listed_year: i32,
    /// Every year from the listed year to this one: on_time, late, overdue or pending.
    #[schema(value_type = [Object])]
    pub years: Vec<DisclosureYear>,
    /// Years due and not disclosed.
    pub overdue_years: Vec<i32>,
    /// Years disclosed after they were due.
    pub late_years: Vec<i32>,
    #[schema(value_type = [Object])]
    pub disclosures: Vec<Versioned<Disclosure>>,
}

/// The disclosures of an enterprise with the year flags, as of `today`.
pub async fn enterprise_disclosures(
    state: &AppState,
    uscc: &Uscc,
    today: NaiveDate,
) -> ApiResult<DisclosuresResponse> {
    let e = state.store.get_enterprise(uscc.as_str()).await?;
    let disclosures = state.store.list_disclosures(uscc.as_str()).await?;
    let items: Vec<Disclosure> = disclosures.iter().map(|d| d.item.clone()).collect();
    let years = disclosure_calendar(e.item.listed_year, &items, today);
    let of = |s: DisclosureState| {
        years
            .iter()
            .filter(|y| y.state == s)
            .map(|y| y.year)
            .collect()
    };
    Ok(DisclosuresResponse {
        uscc: uscc.to_string(),
        listed_year: e.item.listed_year,
        overdue_years: of(DisclosureState::Overdue),
        late_years: of(DisclosureState::Late),
        years,
        disclosures,
    })
}

/// The yearly self-monitoring disclosures, with overdue (due, not disclosed) and late years
/// flagged. A year is due by 31 December of the year. Public information (the portal shows it):
/// without sign-in while the sharing catalogue marks `key_enterprises` public, and then without
/// the codes of the samples behind a disclosure (as on the portal); else 401.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/disclosures", tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code")),
    responses((status = 200, body = DisclosuresResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in and `key_enterprises` is not marked public", body = crate::error::ErrorResponse)))]
pub async fn list_disclosures(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Path(uscc): Path<String>,
) -> ApiResult<Json<DisclosuresResponse>> {
    public_or_signed_in(&state, actor.as_ref(), "key_enterprises").await?;
    let u = path_uscc(&uscc)?;
    let mut r = enterprise_disclosures(&state, &u, Utc::now().date_naive()).await?;
    if actor.is_none() {
        for d in &mut r.disclosures {
            d.item.sample_codes.clear();
        }
    }
    Ok(Json(r))
}

/// Every version of an enterprise's disclosure for a year, oldest first: each replacement
/// (`PUT …/disclosures/{year}`, or an import of disclosures that changes the year's record)
/// keeps the one before, with who made the change, when and why. Signed-in users only (the
/// versions carry the sample codes, which the public view leaves out).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/disclosures/{year}/history", tag = "enterprises",
    params(("uscc" = String, Path, description = "Unified social credit code"),
        ("year" = i32, Path, description = "Monitoring year")),
    responses((status = 200, body = [Object]),
        (status = 404, description = "No disclosure of that enterprise for that year", body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_disclosure_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path((uscc, year)): Path<(String, i32)>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    let u = path_uscc(&uscc)?;
    history(
        &state,
        RegistryEntity::Disclosure,
        &Disclosure::key_of(&u, year),
    )
    .await
}

/// A year's disclosure as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureWriteRequest {
    /// YYYY-MM-DD it was made public.
    #[schema(value_type = String)]
    pub disclosed_on: NaiveDate,
    /// `[{name, discharge_mode?, concentration?, total?}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub pollutants: Vec<DisclosedPollutant>,
    /// Pollution-control facilities and how they ran.
    pub facilities: Option<String>,
    /// Self-monitoring sample codes of the year.
    #[serde(default)]
    pub sample_codes: Vec<String>,
    /// Where it was published.
    pub published_at: Option<String>,
    /// Why (required).
    pub reason: Option<String>,
}

/// Record (or replace, as a new version) an enterprise's disclosure for a year.
#[utoipa::path(put, path = "/api/v1/enterprises/{uscc}/disclosures/{year}", tag = "enterprises",
    request_body = DisclosureWriteRequest,
    params(("uscc" = String, Path, description = "Unified social credit code"),
        ("year" = i32, Path, description = "Monitoring year")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn put_disclosure(
    State(state): State<AppState>,
    Path((uscc, year)): Path<(String, i32)>,
    actor: Actor,
    req: Result<Json<DisclosureWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<Disclosure>>> {
    let u = path_uscc(&uscc)?;
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let current = state.store.get_enterprise(u.as_str()).await?;
    may_write(&state, &actor, &[current.item.division]).await?;
    let d = Disclosure {
        uscc: u,
        year,
        disclosed_on: r.disclosed_on,
        pollutants: r.pollutants,
        facilities: r.facilities,
        sample_codes: r.sample_codes,
        published_at: r.published_at,
    };
    Ok(Json(state.store.put_disclosure(&d, &change).await?))
}
