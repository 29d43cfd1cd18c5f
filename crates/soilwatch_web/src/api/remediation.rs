//! 修复工程 and 转运联单 — remediation projects and contaminated-soil transfer manifests
//! (issue 8): manifests filed before departure, visible to the origin and destination county
//! bureaus, receipts reconciled with what was sent, a project's totals per destination.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Amount, DivisionCode, VersionRecord};
use soilwatch_store::registry::{Filing, RegistryQuery, Versioned};
use soilwatch_store::registry_remediation::{
    totals_per_destination, DestinationTotal, ManifestQuery, ProjectEvaluation, ProjectMode,
    QuantityUnit, Receipt, RemediationProject, TransferManifest, TransportMode,
};
use soilwatch_store::{RegistryEntity, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::registry_support::{
    amount, body, change, cut, division, history, keyset, may_write, paged, same_key,
};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::AppState;

/// Filters of the project list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProjectListQuery {
    /// County or prefecture code (the plot's).
    pub division: Option<String>,
    /// Projects of a plot.
    pub plot: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Remediation projects, by code.
#[utoipa::path(get, path = "/api/v1/remediation-projects", tag = "remediation", params(ProjectListQuery),
    responses((status = 200, description = "Remediation projects by code (next page in the Link and X-Next-Cursor headers)", body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_projects(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ProjectListQuery>,
) -> ApiResult<Response> {
    let rq = RegistryQuery {
        page: keyset(q.limit, q.cursor.as_deref())?,
        ..project_query(&q)?
    };
    let (items, next) = cut(state.store.list_projects(&rq).await?, &rq.page, |p| {
        p.item.code.clone()
    });
    Ok(paged(&items, next.as_deref(), &uri))
}

/// The registry query of a project list (every row: the pages).
pub(crate) fn project_query(q: &ProjectListQuery) -> ApiResult<RegistryQuery> {
    Ok(RegistryQuery {
        division: division(q.division.as_deref())?,
        plot: q.plot.clone().filter(|s| !s.trim().is_empty()),
        ..Default::default()
    })
}

/// One project.
#[utoipa::path(get, path = "/api/v1/remediation-projects/{code}", tag = "remediation",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_project(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Versioned<RemediationProject>>> {
    Ok(Json(state.store.get_project(&code).await?))
}

/// Every version of a project, oldest first.
#[utoipa::path(get, path = "/api/v1/remediation-projects/{code}/history", tag = "remediation",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_project_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::RemediationProject, &code).await
}

/// A project as written by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectWriteRequest {
    /// Project code (create; on update the path's is used).
    pub code: Option<String>,
    pub name: String,
    /// The registered plot.
    pub plot_code: String,
    /// `remediation` 治理修复 or `risk_control` 风险管控.
    #[schema(value_type = String)]
    pub mode: ProjectMode,
    pub responsible_unit: String,
    pub technique: String,
    /// `{bureau, filed_on, number?}` — the plan's filing.
    #[schema(value_type = Option<Object>)]
    pub plan_filing: Option<Filing>,
    #[schema(value_type = Option<String>)]
    pub started_on: Option<NaiveDate>,
    #[schema(value_type = Option<String>)]
    pub finished_on: Option<NaiveDate>,
    /// Supervisors (two for important plots).
    #[serde(default)]
    pub supervisors: Vec<String>,
    /// Text of the public notice board.
    pub notice_board: Option<String>,
    /// `{evaluator, concluded_on, conclusion, passed}` — third-party effect evaluation.
    #[schema(value_type = Option<Object>)]
    pub effect_evaluation: Option<ProjectEvaluation>,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

/// The county of a registered plot; None when there is no such plot.
async fn plot_division(state: &AppState, plot: &str) -> ApiResult<Option<DivisionCode>> {
    match state.store.get_plot(plot).await {
        Ok(p) => Ok(Some(p.item.division)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn to_project(code: String, r: ProjectWriteRequest) -> RemediationProject {
    RemediationProject {
        code,
        name: r.name,
        plot_code: r.plot_code,
        // Set by the store from the plot.
        division: DivisionCode::new(513_400).expect("a valid division code"),
        mode: r.mode,
        responsible_unit: r.responsible_unit,
        technique: r.technique,
        plan_filing: r.plan_filing,
        started_on: r.started_on,
        finished_on: r.finished_on,
        supervisors: r.supervisors,
        notice_board: r.notice_board,
        effect_evaluation: r.effect_evaluation,
    }
}

/// Register a project on a registered plot; 201, 409 if the code exists, 422 naming the field.
#[utoipa::path(post, path = "/api/v1/remediation-projects", tag = "remediation", request_body = ProjectWriteRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_project(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<ProjectWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Versioned<RemediationProject>>)> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let code = r.code.clone().unwrap_or_default();
    let project = to_project(code, r);
    // The project's county is its plot's (an unknown plot is the store's 422, naming plot_code).
    let divisions: Vec<_> = plot_division(&state, &project.plot_code)
        .await?
        .into_iter()
        .collect();
    may_write(&state, &actor, &divisions).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_project(&project, &change).await?),
    ))
}

/// Replace a project.
#[utoipa::path(put, path = "/api/v1/remediation-projects/{code}", tag = "remediation", request_body = ProjectWriteRequest,
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_project(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<ProjectWriteRequest>, JsonRejection>,
) -> ApiResult<Json<Versioned<RemediationProject>>> {
    let r = body(req)?;
    same_key(&code, r.code.as_deref(), "code")?;
    let change = change(&actor, r.reason.as_deref())?;
    let version = r.version;
    let current = state.store.get_project(&code).await?;
    let project = to_project(code, r);
    let mut divisions = vec![current.item.division];
    divisions.extend(plot_division(&state, &project.plot_code).await?);
    may_write(&state, &actor, &divisions).await?;
    Ok(Json(
        state
            .store
            .update_project(&project, version, &change)
            .await?,
    ))
}

/// A project's transport: its manifests and the totals per destination.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectTotalsResponse {
    pub project: String,
    /// Per destination facility and unit: loads, sent, received, difference, loads in transit
    /// and the manifests whose received quantity differs from the sent one.
    #[schema(value_type = [Object])]
    pub destinations: Vec<DestinationTotal>,
    #[schema(value_type = [Object])]
    pub manifests: Vec<ManifestView>,
}

/// The totals of a project, shared by the JSON and the page.
pub async fn project_totals(state: &AppState, code: &str) -> ApiResult<ProjectTotalsResponse> {
    state.store.get_project(code).await?;
    let manifests = state
        .store
        .list_manifests(&ManifestQuery {
            project: Some(code.to_owned()),
            ..Default::default()
        })
        .await?;
    let items: Vec<TransferManifest> = manifests.iter().map(|m| m.item.clone()).collect();
    Ok(ProjectTotalsResponse {
        project: code.to_owned(),
        destinations: totals_per_destination(&items),
        manifests: manifests.into_iter().map(ManifestView::from).collect(),
    })
}

/// A project's manifests and totals per destination, with differences between received and sent
/// flagged.
#[utoipa::path(get, path = "/api/v1/remediation-projects/{code}/totals", tag = "remediation",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = ProjectTotalsResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_project_totals(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<ProjectTotalsResponse>> {
    Ok(Json(project_totals(&state, &code).await?))
}

/// A manifest with its reconciliation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManifestView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub manifest: Versioned<TransferManifest>,
    /// Received minus sent (once received).
    #[schema(value_type = Option<String>)]
    pub difference: Option<Decimal>,
    /// Received quantity differs from the sent one.
    pub flagged: bool,
}

impl From<Versioned<TransferManifest>> for ManifestView {
    fn from(m: Versioned<TransferManifest>) -> Self {
        ManifestView {
            difference: m.item.difference(),
            flagged: m.item.flagged(),
            manifest: m,
        }
    }
}

/// Filters of the manifest list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ManifestListQuery {
    pub project: Option<String>,
    /// A county bureau's view: manifests leaving from or arriving in this division.
    pub division: Option<String>,
    /// Page size, 1–10000 (default 1000). While more rows follow, the response carries the next
    /// page in `Link: <…>; rel="next"` and `X-Next-Cursor` (keyset paging, issue 12).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `X-Next-Cursor` of the previous page (the key of its last row).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Manifests by departure time: of a project, or those whose origin or destination lies in a
/// division (what the county bureaus see).
#[utoipa::path(get, path = "/api/v1/manifests", tag = "remediation", params(ManifestListQuery),
    responses((status = 200, description = "Manifests by departure and number (next page in the Link and X-Next-Cursor headers)", body = [ManifestView]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn list_manifests(
    State(state): State<AppState>,
    _actor: Actor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ManifestListQuery>,
) -> ApiResult<Response> {
    let mq = ManifestQuery {
        page: keyset(q.limit, q.cursor.as_deref())?,
        ..manifest_query(&q)?
    };
    let (rows, next) = cut(state.store.list_manifests(&mq).await?, &mq.page, |m| {
        m.item.code.clone()
    });
    let items: Vec<ManifestView> = rows.into_iter().map(ManifestView::from).collect();
    Ok(paged(&items, next.as_deref(), &uri))
}

/// The store query of a manifest list (every row: the pages).
pub(crate) fn manifest_query(q: &ManifestListQuery) -> ApiResult<ManifestQuery> {
    Ok(ManifestQuery {
        project: q.project.clone().filter(|s| !s.trim().is_empty()),
        division: division(q.division.as_deref())?,
        ..Default::default()
    })
}

/// One manifest with its reconciliation.
#[utoipa::path(get, path = "/api/v1/manifests/{code}", tag = "remediation",
    params(("code" = String, Path, description = "Manifest number")),
    responses((status = 200, body = ManifestView), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_manifest(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<ManifestView>> {
    Ok(Json(state.store.get_manifest(&code).await?.into()))
}

/// Every version of a manifest (filed, changed, received), oldest first.
#[utoipa::path(get, path = "/api/v1/manifests/{code}/history", tag = "remediation",
    params(("code" = String, Path, description = "Manifest number")),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (a registry record: sign-in needed, issue 13)", body = crate::error::ErrorResponse)))]
pub async fn get_manifest_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<VersionRecord>>> {
    history(&state, RegistryEntity::Manifest, &code).await
}

/// A manifest as written by a client. Times are RFC 3339 with an offset (Beijing time
/// `+08:00`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestWriteRequest {
    /// Manifest number (create; on update the path's is used).
    pub code: Option<String>,
    pub project_code: String,
    /// Quantity, a decimal (`"30.5"` or `30.5`).
    #[serde(deserialize_with = "amount")]
    #[schema(value_type = String)]
    pub quantity: Amount,
    /// `t` 吨 or `m3` 立方米.
    #[schema(value_type = String)]
    pub unit: QuantityUnit,
    /// `road` 公路, `rail` 铁路, `water` 水路, `other`.
    #[schema(value_type = String)]
    pub transport_mode: TransportMode,
    pub route: String,
    pub carrier: String,
    pub vehicle: String,
    /// Must be later than the filing (now).
    #[schema(value_type = String)]
    pub departure_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>)]
    pub arrival_at: Option<DateTime<FixedOffset>>,
    pub destination_facility: String,
    /// County of the destination.
    #[schema(value_type = String)]
    pub destination_division: DivisionCode,
    /// Final disposal.
    pub disposal: String,
    /// Update: the version read.
    pub version: Option<i64>,
    /// Why (required).
    pub reason: Option<String>,
}

fn to_manifest(code: String, r: ManifestWriteRequest) -> TransferManifest {
    TransferManifest {
        code,
        project_code: r.project_code,
        // Set by the store from the project.
        origin_division: r.destination_division,
        quantity: r.quantity,
        unit: r.unit,
        transport_mode: r.transport_mode,
        route: r.route,
        carrier: r.carrier,
        vehicle: r.vehicle,
        departure_at: r.departure_at,
        arrival_at: r.arrival_at,
        destination_facility: r.destination_facility,
        destination_division: r.destination_division,
        disposal: r.disposal,
        filed_at: chrono::Utc::now(),
        received: None,
    }
}

/// File a manifest before the load leaves (a departure time not after now is a 422).
#[utoipa::path(post, path = "/api/v1/manifests", tag = "remediation", request_body = ManifestWriteRequest,
    responses((status = 201, body = ManifestView), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 409, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_manifest(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<ManifestWriteRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<ManifestView>)> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    let code = r.code.clone().unwrap_or_default();
    let manifest = to_manifest(code, r);
    // The load leaves the project's county: its officers file the manifest.
    // (An unknown project is the store's 422, naming project_code.)
    let divisions: Vec<_> = match state.store.get_project(&manifest.project_code).await {
        Ok(p) => vec![p.item.division],
        Err(StoreError::NotFound { .. }) => vec![],
        Err(e) => return Err(e.into()),
    };
    may_write(&state, &actor, &divisions).await?;
    let m = state.store.create_manifest(&manifest, &change).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Change a manifest before its departure (after departure or receipt, a 409).
#[utoipa::path(put, path = "/api/v1/manifests/{code}", tag = "remediation", request_body = ManifestWriteRequest,
    params(("code" = String, Path, description = "Manifest number")),
    responses((status = 200, body = ManifestView), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_manifest(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<ManifestWriteRequest>, JsonRejection>,
) -> ApiResult<Json<ManifestView>> {
    let r = body(req)?;
    same_key(&code, r.code.as_deref(), "code")?;
    let change = change(&actor, r.reason.as_deref())?;
    let version = r.version;
    let current = state.store.get_manifest(&code).await?;
    may_write(&state, &actor, &[current.item.origin_division]).await?;
    let m = state
        .store
        .update_manifest(&to_manifest(code, r), version, &change)
        .await?;
    Ok(Json(m.into()))
}

/// What the destination received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// Received quantity in the manifest's unit (`"27.5"` or `27.5`).
    #[serde(deserialize_with = "amount")]
    #[schema(value_type = String)]
    pub quantity: Amount,
    #[schema(value_type = String)]
    pub arrived_at: DateTime<FixedOffset>,
    pub note: Option<String>,
    /// Why (required).
    pub reason: Option<String>,
}

/// Record the receipt at the destination (once; again is a 409); a difference from the sent
/// quantity is flagged.
#[utoipa::path(post, path = "/api/v1/manifests/{code}/receive", tag = "remediation", request_body = ReceiptRequest,
    params(("code" = String, Path, description = "Manifest number")),
    responses((status = 200, body = ManifestView), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn receive_manifest(
    State(state): State<AppState>,
    Path(code): Path<String>,
    actor: Actor,
    req: Result<Json<ReceiptRequest>, JsonRejection>,
) -> ApiResult<Json<ManifestView>> {
    let r = body(req)?;
    let change = change(&actor, r.reason.as_deref())?;
    // The destination county records what arrived.
    let current = state.store.get_manifest(&code).await?;
    may_write(&state, &actor, &[current.item.destination_division]).await?;
    let receipt = Receipt {
        quantity: r.quantity,
        arrived_at: r.arrived_at,
        received_by: String::new(),
        note: r.note,
    };
    let m = state
        .store
        .receive_manifest(&code, &receipt, &change)
        .await?;
    Ok(Json(m.into()))
}
