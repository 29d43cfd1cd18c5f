//! Farmland classification (issue 6): runs, their units with evidence, the classification list
//! (分类清单) as JSON, CSV or GeoJSON, the changes since the previous run, reviews, and the areas
//! recorded toward the work plan's targets.
//!
//! Writes need a signed-in user (issue 7, `docs/ROLES.md`): runs an administrator, a reviewer or
//! a data officer of the area; reviews (confirm or override a class) a reviewer or an
//! administrator; areas toward targets an administrator or a data officer of the unit's county.

use axum::extract::rejection::JsonRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use soilwatch_classify::list::{list_csv, units_csv, units_geojson, ListUnit};
use soilwatch_classify::{Aggregation, ClassifySettings, Interpolation, Measure, UnitClass};
use soilwatch_core::{ChangeMeta, DivisionCode};
use soilwatch_store::classification_service::{
    run_changes, run_classification, run_list, scope, unit_geometries, RunChanges, RunList,
    RunRequest,
};
use soilwatch_store::{
    NewTargetArea, Review, ReviewAction, Role, RunRecord, RunUnit, TargetArea, TargetAreaQuery,
};
use utoipa::{IntoParams, ToSchema};

use super::catalogue::guard_dataset;
use crate::auth::{Actor, MaybeActor};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// 403 unless the actor may run a classification of `division` (None: the prefecture): an
/// administrator, a reviewer of the environment bureau, or a data officer whose department's
/// area covers it.
async fn may_run(state: &AppState, actor: &Actor, division: Option<DivisionCode>) -> ApiResult<()> {
    actor.require(&[Role::Administrator, Role::Reviewer, Role::DataOfficer])?;
    if actor.role() == Role::DataOfficer {
        let scope = scope(state.store.as_ref(), division).await?;
        actor.require_division(state, scope.code).await?;
    }
    Ok(())
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(|e| {
        ApiError::Unprocessable(format!(
            "请求体无效 / invalid request body: {}",
            e.body_text()
        ))
    })
}

fn field(name: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::Unprocessable(format!("字段 {name} / field {name}: {e}"))
}

fn division(s: Option<&str>, name: &str) -> ApiResult<Option<DivisionCode>> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e: soilwatch_core::CoreError| field(name, e))
        })
        .transpose()
}

/// A classification run to make. Every setting has a default (shown in the stored run).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClassificationRunRequest {
    /// Year classified (samples of `sample_years` years ending with it).
    pub year: i32,
    /// County code; default the prefecture.
    pub county: Option<String>,
    /// `gb15618` (default) or `pollution-index`.
    pub method: Option<String>,
    /// `worst` (default) or `share:P`.
    pub aggregation: Option<String>,
    pub sample_years: Option<u32>,
    /// Multiple of the GB 2762 limit (default "2").
    pub crop_multiple: Option<String>,
    /// Share (0–1] of exceeding crop samples (default none).
    pub crop_exceedance_rate: Option<String>,
    /// Years of crops within limits (default 2).
    pub crop_years: Option<u32>,
    /// `idw` (default) or `ok`.
    pub interpolation: Option<String>,
    pub neighbors: Option<usize>,
    pub search_radius_m: Option<f64>,
    pub grid_cell_m: Option<f64>,
}

fn settings(r: &ClassificationRunRequest) -> ApiResult<ClassifySettings> {
    let d = ClassifySettings::default();
    Ok(ClassifySettings {
        method: r.method.clone().unwrap_or(d.method),
        aggregation: match &r.aggregation {
            Some(a) => a
                .parse::<Aggregation>()
                .map_err(|e| field("aggregation", e))?,
            None => d.aggregation,
        },
        sample_years: r.sample_years.unwrap_or(d.sample_years),
        crop_multiple: match &r.crop_multiple {
            Some(m) => m.trim().parse().map_err(|e| {
                field(
                    "crop_multiple",
                    format!("'{m}': {e} (expected a number such as 2)"),
                )
            })?,
            None => d.crop_multiple,
        },
        crop_exceedance_rate: r
            .crop_exceedance_rate
            .as_deref()
            .map(|m| {
                m.trim().parse().map_err(|e| {
                    field("crop_exceedance_rate", format!("'{m}': {e} (expected 0–1)"))
                })
            })
            .transpose()?,
        crop_years: r.crop_years.unwrap_or(d.crop_years),
        interpolation: match &r.interpolation {
            Some(i) => i
                .parse::<Interpolation>()
                .map_err(|e| field("interpolation", e))?,
            None => d.interpolation,
        },
        neighbors: r.neighbors.unwrap_or(d.neighbors),
        search_radius_m: r.search_radius_m.unwrap_or(d.search_radius_m),
        grid_cell_m: r.grid_cell_m.unwrap_or(d.grid_cell_m),
        ..d
    })
}

/// Run a classification and store it (201 with the run: inputs, settings, summary).
#[utoipa::path(post, path = "/api/v1/classification/runs", tag = "classification",
    request_body = ClassificationRunRequest,
    responses((status = 201, body = Object), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_run(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<ClassificationRunRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<RunRecord>)> {
    let r = body(b)?;
    let county = division(r.county.as_deref(), "county")?;
    may_run(&state, &actor, county).await?;
    let req = RunRequest {
        year: r.year,
        division: county,
        settings: settings(&r)?,
        actor: actor.username().to_owned(),
    };
    let run = run_classification(state.store.as_ref(), &req).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// What an upload of evaluation units stored.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct UnitsUploaded {
    pub file: String,
    /// Units in the file.
    pub units: usize,
    pub added: usize,
    /// Stored units whose geometry or land use changed: a new version each (the old one kept).
    pub changed: usize,
    pub unchanged: usize,
}

/// Upload evaluation units (parcels) as GeoJSON or GeoPackage (multipart form: `file`; optional
/// `layer` of a GeoPackage with several, `id_field`, `land_use_field`, `division`, `reason`). The
/// file is checked whole — identifiers unique, GB/T 21010 land use, polygons in CGCS2000 or WGS 84
/// (any other CRS is refused naming it), each unit inside a county — and stored all or nothing.
/// An administrator stores any county's units, a data officer those of their department's area.
#[utoipa::path(post, path = "/api/v1/classification/units", tag = "classification",
    request_body(content_type = "multipart/form-data",
        description = "file (.geojson/.json or .gpkg), layer, id_field, land_use_field, division, reason"),
    responses((status = 201, body = UnitsUploaded),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 422, description = "The file is refused; the message names the feature and field", body = crate::error::ErrorResponse)))]
pub async fn upload_units(
    State(state): State<AppState>,
    actor: Actor,
    mut form: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<UnitsUploaded>)> {
    use soilwatch_classify::units::UnitFileOptions;
    use soilwatch_store::classification_service::{check_units_features, check_units_geojson};

    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut opts = UnitFileOptions::default();
    let (mut layer, mut reason) = (None, None);
    while let Some(f) = form
        .next_field()
        .await
        .map_err(|e| super::imports::upload_error(&state, e))?
    {
        let name = f.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = f.file_name().unwrap_or("units").to_owned();
            let bytes = f
                .bytes()
                .await
                .map_err(|e| super::imports::upload_error(&state, e))?;
            file = Some((fname, bytes.to_vec()));
            continue;
        }
        let text = f
            .text()
            .await
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let text = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        match name.as_str() {
            "layer" => layer = text,
            "id_field" => opts.id_field = text,
            "land_use_field" => opts.land_use_field = text,
            "division" => opts.division = division(text.as_deref(), "division")?,
            "reason" => reason = text,
            _ => {}
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| {
        ApiError::BadRequest("缺少文件 / the form has no `file` field".to_owned())
    })?;
    let lower = file_name.to_lowercase();
    let units = if lower.ends_with(".gpkg") {
        let features = crate::ogc::gpkg_read::read_gpkg_features(&bytes, layer.as_deref())
            .await
            .map_err(|e| field("file", format!("{file_name}: {e}")))?;
        check_units_features(state.store.as_ref(), features, &opts).await
    } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
        check_units_geojson(state.store.as_ref(), &bytes, &opts).await
    } else {
        return Err(field(
            "file",
            format!(
                "{file_name}: 应为 GeoJSON（.geojson）或 GeoPackage（.gpkg）文件 / expected a \
                 GeoJSON (.geojson) or GeoPackage (.gpkg) file"
            ),
        ));
    }
    .map_err(|e| match e {
        soilwatch_store::StoreError::Invalid(m) => field("file", format!("{file_name}: {m}")),
        other => other.into(),
    })?;
    // A data officer may store only units of their department's area (every one of them).
    let counties: std::collections::BTreeSet<DivisionCode> =
        units.iter().map(|u| u.division).collect();
    for c in counties {
        actor.require_division(&state, c).await?;
    }
    let reason = reason.unwrap_or_else(|| format!("上传评价单元 / units uploaded: {file_name}"));
    let written = state
        .store
        .put_units(
            &units,
            &file_name,
            &ChangeMeta::new(actor.username(), reason),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UnitsUploaded {
            file: file_name,
            units: units.len(),
            added: written.added,
            changed: written.changed,
            unchanged: written.unchanged,
        }),
    ))
}

/// Filters of the run list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RunListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    pub year: Option<i32>,
    /// At most this many, newest first (default 50).
    pub limit: Option<u32>,
}

/// Classification runs, newest first.
#[utoipa::path(get, path = "/api/v1/classification/runs", tag = "classification",
    params(RunListQuery), responses((status = 200, body = [Object]),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn list_runs(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<RunListQuery>,
) -> ApiResult<Json<Vec<RunRecord>>> {
    let d = division(q.division.as_deref(), "division")?;
    let mut runs = state
        .store
        .list_runs(d, q.year, q.limit.unwrap_or(50))
        .await?;
    guard_runs(&state, actor.as_ref(), &uri, &mut runs).await?;
    Ok(Json(runs))
}

/// Issue 9: runs are county-level figures of `farmland_classification` (class areas per
/// division): signed out only while the catalogue marks it public, and then without the inputs
/// (the sample, result and unit versions behind them); signed in through the catalogue's read
/// check.
async fn guard_runs(
    state: &AppState,
    actor: Option<&Actor>,
    uri: &axum::http::Uri,
    runs: &mut [RunRecord],
) -> ApiResult<()> {
    let path = format!("GET {uri}");
    guard_dataset(state, actor, DATASET, &path, runs.len(), true).await?;
    if actor.is_none() {
        for r in runs {
            r.inputs = serde_json::Value::Null;
        }
    }
    Ok(())
}

/// The catalogue's dataset of classification results.
const DATASET: &str = "farmland_classification";

/// One run: inputs (sample, result and unit versions, ruleset), settings and summary.
#[utoipa::path(get, path = "/api/v1/classification/runs/{id}", tag = "classification",
    params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn get_run(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
) -> ApiResult<Json<RunRecord>> {
    let mut run = [state.store.get_run(id).await?];
    guard_runs(&state, actor.as_ref(), &uri, &mut run).await?;
    let [run] = run;
    Ok(Json(run))
}

/// Output format of the unit and list endpoints.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `json` (default), `csv` (UTF-8 with BOM), `xlsx` or `geojson` (units only).
    pub f: Option<String>,
}

/// An Excel workbook of one of our CSV tables: the bilingual header in bold and frozen, counts and
/// areas (columns `units`, `area_mu`, `area_ha`) as numbers, codes (division, land use) as text so
/// that `0101` keeps its zero.
fn xlsx_of_csv(csv_bytes: &[u8], sheet: &str) -> ApiResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let text = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes);
    let mut r = csv::Reader::from_reader(text);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let numeric: Vec<bool> = header
        .iter()
        .map(|h| h.ends_with(" units") || h.ends_with("area_mu") || h.ends_with("area_ha"))
        .collect();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(internal)?;
        ws.set_column_width(c as u16, 16).map_err(internal)?;
    }
    ws.set_freeze_panes(1, 0).map_err(internal)?;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| ApiError::Internal(e.to_string()))?;
        let row = i as u32 + 1;
        for (c, v) in rec.iter().enumerate() {
            match (numeric.get(c), v.parse::<f64>()) {
                (Some(true), Ok(n)) => ws.write_number(row, c as u16, n).map_err(internal)?,
                _ => ws.write_string(row, c as u16, v).map_err(internal)?,
            };
        }
    }
    book.save_to_buffer().map_err(internal)
}

fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The units of a run with computed class, review and final class; JSON, CSV or GeoJSON.
#[utoipa::path(get, path = "/api/v1/classification/runs/{id}/units", tag = "classification",
    params(("id" = i64, Path, description = "Run id"), FormatQuery),
    responses((status = 200, body = [Object]), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn list_run_units(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
    Query(q): Query<FormatQuery>,
) -> ApiResult<Response> {
    let units = state.store.run_units(id, false).await?;
    let path = format!("GET {uri}");
    guard_dataset(&state, actor.as_ref(), DATASET, &path, units.len(), false).await?;
    let listed: Vec<ListUnit> = units.iter().map(|u| u.unit.clone()).collect();
    match q.f.as_deref().unwrap_or("json") {
        "json" => Ok(Json(units).into_response()),
        "csv" => Ok(csv_response(
            &format!("classification-run-{id}-units.csv"),
            units_csv(&listed),
        )),
        "xlsx" => Ok(xlsx_response(
            &format!("classification-run-{id}-units.xlsx"),
            xlsx_of_csv(&units_csv(&listed), "评价单元")?,
        )),
        "geojson" => {
            let run = state.store.get_run(id).await?;
            let geoms = unit_geometries(state.store.as_ref(), run.division).await?;
            Ok((
                [(header::CONTENT_TYPE, "application/geo+json")],
                Json(units_geojson(&listed, &geoms)),
            )
                .into_response())
        }
        other => Err(ApiError::BadRequest(format!(
            "字段 f: 无法识别的格式 '{other}' / field f: unknown format '{other}' (expected json, \
             csv, xlsx or geojson)"
        ))),
    }
}

/// One unit of a run with its evidence: samples, values, thresholds, decisions with settings.
#[utoipa::path(get, path = "/api/v1/classification/runs/{id}/units/{code}", tag = "classification",
    params(("id" = i64, Path, description = "Run id"), ("code" = String, Path, description = "Unit code")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn get_run_unit(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Path((id, code)): Path<(i64, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let unit: RunUnit = state.store.run_unit(id, &code).await?;
    let path = format!("GET {uri}");
    guard_dataset(&state, actor.as_ref(), DATASET, &path, 1, false).await?;
    let reviews: Vec<Review> = state.store.unit_reviews(id, &code).await?;
    Ok(Json(
        serde_json::json!({ "unit": unit, "reviews": reviews }),
    ))
}

/// The classification list (分类清单): per county and class, units and area (mu, ha); JSON or CSV.
#[utoipa::path(get, path = "/api/v1/classification/runs/{id}/list", tag = "classification",
    params(("id" = i64, Path, description = "Run id"), FormatQuery),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn get_run_list(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
    Query(q): Query<FormatQuery>,
) -> ApiResult<Response> {
    let RunList { run, list, .. } = run_list(state.store.as_ref(), id).await?;
    let mut runs = [run];
    guard_runs(&state, actor.as_ref(), &uri, &mut runs).await?;
    let [run] = runs;
    match q.f.as_deref().unwrap_or("json") {
        "json" => Ok(Json(serde_json::json!({ "run": run, "list": list })).into_response()),
        "csv" => Ok(csv_response(
            &format!("classification-run-{id}-list.csv"),
            list_csv(&list),
        )),
        "xlsx" => Ok(xlsx_response(
            &format!("classification-run-{id}-list.xlsx"),
            xlsx_of_csv(&list_csv(&list), "分类清单")?,
        )),
        other => Err(ApiError::BadRequest(format!(
            "字段 f: 无法识别的格式 '{other}' / field f: unknown format '{other}' (expected json, csv or xlsx)"
        ))),
    }
}

/// Units whose class changed since the previous run of the same division, and why.
#[utoipa::path(get, path = "/api/v1/classification/runs/{id}/changes", tag = "classification",
    params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorResponse),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn get_run_changes(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<i64>,
) -> ApiResult<Json<RunChanges>> {
    let changes = run_changes(state.store.as_ref(), id).await?;
    let path = format!("GET {uri}");
    guard_dataset(
        &state,
        actor.as_ref(),
        DATASET,
        &path,
        changes.changes.len(),
        false,
    )
    .await?;
    Ok(Json(changes))
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitReviewRequest {
    /// `confirm` (the computed class stands) or `override`.
    pub action: String,
    /// The class for an override (`priority_protection`, `safe_utilization`, `strict_control`).
    pub class: Option<String>,
    /// Why (required).
    pub reason: String,
}

/// Confirm or override a unit's class with a reason; kept apart from the computed class.
#[utoipa::path(post, path = "/api/v1/classification/runs/{id}/units/{code}/review", tag = "classification",
    request_body = UnitReviewRequest,
    params(("id" = i64, Path, description = "Run id"), ("code" = String, Path, description = "Unit code")),
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 404, body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn review_unit(
    State(state): State<AppState>,
    Path((id, code)): Path<(i64, String)>,
    actor: Actor,
    b: Result<Json<UnitReviewRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Review>)> {
    // The environment bureau confirms classifications (issue 7).
    actor.require(&[Role::Administrator, Role::Reviewer])?;
    let r = body(b)?;
    let action: ReviewAction = r.action.parse()?;
    let class = r
        .class
        .as_deref()
        .map(|c| c.parse::<UnitClass>().map_err(|e| field("class", e)))
        .transpose()?;
    let review = state
        .store
        .review_unit(
            id,
            &code,
            action,
            class,
            &ChangeMeta::new(actor.username(), r.reason),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// An area toward a target.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TargetAreaRequest {
    pub unit_code: String,
    pub year: i32,
    /// `safe_use_agronomic`, `safe_use_substitute_crops`, `strict_restructured`,
    /// `strict_returned_forest_grass`, `remediated`.
    pub measure: String,
    /// Area in mu (亩), at most the unit's area.
    pub area_mu: f64,
    pub note: Option<String>,
    /// Why (required).
    pub reason: String,
}

/// Record an area of a unit under a measure in a year (the newest record counts; earlier ones stay).
#[utoipa::path(post, path = "/api/v1/classification/target-areas", tag = "classification",
    request_body = TargetAreaRequest,
    responses((status = 201, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_target_area(
    State(state): State<AppState>,
    actor: Actor,
    b: Result<Json<TargetAreaRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<TargetArea>)> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let r = body(b)?;
    // An unknown unit is the store's 422 (naming unit_code); a known one needs its county.
    if let Some(county) = state.store.unit_division(&r.unit_code).await? {
        actor.require_division(&state, county).await?;
    }
    let measure: Measure = r.measure.parse().map_err(|e| field("measure", e))?;
    let area = NewTargetArea {
        unit_code: r.unit_code,
        year: r.year,
        measure,
        area_mu: r.area_mu,
        note: r.note,
    };
    let t = state
        .store
        .record_target_area(&area, &ChangeMeta::new(actor.username(), r.reason))
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Filters of the target areas.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TargetAreaListQuery {
    /// County or prefecture code.
    pub division: Option<String>,
    pub year: Option<i32>,
    pub unit: Option<String>,
}

/// The current areas toward the targets (newest per unit, year and measure), with the target each
/// counts toward.
#[utoipa::path(get, path = "/api/v1/classification/target-areas", tag = "classification",
    params(TargetAreaListQuery), responses((status = 200, body = [Object]),
        (status = 401, description = "Not signed in (and, for county-level views, `farmland_classification` not marked public)", body = crate::error::ErrorResponse),
        (status = 403, description = "The sharing catalogue does not open `farmland_classification` to the user's department", body = crate::error::ErrorResponse)))]
pub async fn list_target_areas(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<TargetAreaListQuery>,
) -> ApiResult<Json<Vec<TargetArea>>> {
    let query = TargetAreaQuery {
        division: division(q.division.as_deref(), "division")?,
        year: q.year,
        unit_code: q.unit.filter(|u| !u.trim().is_empty()),
    };
    let areas = state.store.list_target_areas(&query).await?;
    let path = format!("GET {uri}");
    guard_dataset(&state, actor.as_ref(), DATASET, &path, areas.len(), false).await?;
    Ok(Json(areas))
}
