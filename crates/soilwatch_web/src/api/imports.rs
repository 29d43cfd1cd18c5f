//! Imports: upload a file (multipart), get its batch and report; download templates.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use soilwatch_ingest::{
    template, KindHint, ParseOptions, TemplateFormat, TemplateKind, TextEncoding,
};
use soilwatch_store::importer::{import_bytes, ImportOutcome};
use soilwatch_store::registry_import::{
    import_registry_bytes, RegistryImportOutcome, RegistryKind,
};
use soilwatch_store::{ImportBatch, Role};
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Largest upload accepted (bytes).
pub const MAX_UPLOAD: usize = 512 * 1024 * 1024;

/// The body limit layer for the upload route.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD)
}

/// An upload form as read: the file and the options.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// `kind` as given (a [`KindHint`] or a [`RegistryKind`]).
    pub kind: String,
    pub department: Option<String>,
    pub encoding: Option<TextEncoding>,
    pub sheet: Option<String>,
}

impl Upload {
    fn options(&self, state: &AppState) -> ParseOptions {
        let mut opts = ParseOptions::new(self.file_name.clone(), chrono::Local::now().date_naive());
        opts.encoding = self.encoding;
        opts.sheet = self.sheet.clone();
        opts.max_rows = state.limits.max_rows;
        opts
    }
}

/// Read an upload form (`file`, `kind`, `department`, `encoding`, `sheet`) as an administrator
/// or data officer (other roles 403).
pub async fn read_upload(
    state: &AppState,
    actor: &Actor,
    mut form: Multipart,
) -> ApiResult<Upload> {
    actor.require(&[Role::Administrator, Role::DataOfficer])?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut kind = String::new();
    let mut department = None;
    let mut encoding = None;
    let mut sheet = None;
    let bad = |e: String| ApiError::BadRequest(e);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| upload_error(state, e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|e| upload_error(state, e))?;
                file = Some((fname, bytes.to_vec()));
            }
            _ => {
                let text = field.text().await.map_err(|e| bad(e.to_string()))?;
                match name.as_str() {
                    "kind" => kind = text,
                    "department" if !text.is_empty() => department = Some(text),
                    "encoding" if !text.is_empty() => {
                        encoding = Some(
                            text.parse::<TextEncoding>()
                                .map_err(|e| bad(format!("encoding: {e}")))?,
                        )
                    }
                    "sheet" if !text.is_empty() => sheet = Some(text),
                    _ => {}
                }
            }
        }
    }
    let (file_name, bytes) =
        file.ok_or_else(|| bad("缺少文件 / the form has no `file` field".to_owned()))?;
    Ok(Upload {
        file_name,
        bytes,
        kind,
        department,
        encoding,
        sheet,
    })
}

/// Import an upload of points or results as the signed-in user: an administrator for any
/// department, a data officer for their own (the default when `department` is empty).
async fn import_upload(state: &AppState, actor: &Actor, up: Upload) -> ApiResult<ImportOutcome> {
    let mut opts = up.options(state);
    opts.kind = up
        .kind
        .parse::<KindHint>()
        .map_err(|e| ApiError::BadRequest(format!("kind: {e}")))?;
    let department = up.department.or_else(|| actor.user.department.clone());
    if let Some(d) = &department {
        actor.require_department(d)?;
    }
    let uploader = actor.username().to_owned();
    Ok(import_bytes(
        state.store.as_ref(),
        &up.bytes,
        &opts,
        &uploader,
        department.as_deref(),
    )
    .await?)
}

/// Read an upload form of points or results and import it (the API and the upload page).
pub async fn import_form(
    state: &AppState,
    actor: &Actor,
    form: Multipart,
) -> ApiResult<FormOutcome> {
    let up = read_upload(state, actor, form).await?;
    if let Ok(kind) = up.kind.parse::<RegistryKind>() {
        return Ok(FormOutcome::Registry(
            import_registry_upload(state, actor, kind, up).await?,
        ));
    }
    Ok(FormOutcome::Data(import_upload(state, actor, up).await?))
}

/// What the `/imports` form's upload did: points and results, or a registry (issue 8).
pub enum FormOutcome {
    Data(ImportOutcome),
    Registry(RegistryImportOutcome),
}

/// Import an upload of a registry (issue 8): an administrator anywhere; a data officer only
/// records of their department's area (records outside it are errors of the report).
async fn import_registry_upload(
    state: &AppState,
    actor: &Actor,
    kind: RegistryKind,
    up: Upload,
) -> ApiResult<RegistryImportOutcome> {
    let opts = up.options(state);
    let department = up
        .department
        .clone()
        .or_else(|| actor.user.department.clone());
    if let Some(d) = &department {
        actor.require_department(d)?;
    }
    let scope = if actor.user.role == Role::Administrator {
        None
    } else {
        let own = actor.user.department.as_deref().ok_or_else(|| {
            ApiError::Forbidden(
                "无权限：账户未归属部门，不能导入登记记录 / forbidden: your account has no department, so it may not import registry records".into(),
            )
        })?;
        Some(state.store.get_department(own).await?.division)
    };
    Ok(import_registry_bytes(
        state.store.as_ref(),
        kind,
        &up.bytes,
        &opts,
        actor.username(),
        department.as_deref(),
        scope,
    )
    .await?)
}

/// A multipart error: 413 with the limit when the upload is over it (issue 13), 400 otherwise.
pub(crate) fn upload_error(
    state: &AppState,
    e: axum::extract::multipart::MultipartError,
) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = state.limits.max_upload_bytes;
        let h = crate::limits::human_bytes(limit);
        ApiError::PayloadTooLarge(format!(
            "上传文件过大：上限为 {h}（{limit} 字节） / the upload is too large: at most {h} \
             ({limit} bytes)"
        ))
    } else {
        ApiError::BadRequest(e.to_string())
    }
}

/// Upload a file of points or results (multipart form: `file`, optional `kind`, `department`,
/// `encoding`, `sheet`) as the signed-in administrator or data officer (for their own
/// department). 201 with the batch and its report when stored; 200 when the same file was imported
/// before (nothing changed); 422 with the report when rejected (nothing stored).
///
/// With `kind` one of `enterprises`, `plots`, `tailings-ponds`, `remediation-projects`,
/// `manifests`, `mining-areas`, `demolition-plans`, `disclosures`: a registry file, one record
/// per row (a disclosure: one pollutant per row, the rows of one enterprise and year making one
/// record) (issue 8). Every record created or updated in
/// one transaction, each change a new version in the record's history naming the batch (201,
/// with `records`: row, key, `created`/`updated`/`unchanged`, version); 200 when the same file
/// was imported before or every record equals the stored one; 422 with the report when any
/// cell or record is refused. A data officer imports only records of their department's area.
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports",
    request_body(content_type = "multipart/form-data", description = "file, kind, department, encoding, sheet"),
    responses((status = 201, description = "Imported", body = Object),
        (status = 200, description = "Unchanged: already imported", body = Object),
        (status = 422, description = "Rejected, nothing stored; the body holds the report", body = Object),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse)))]
pub async fn create_import(
    State(state): State<AppState>,
    actor: Actor,
    form: Multipart,
) -> ApiResult<Response> {
    let up = read_upload(&state, &actor, form).await?;
    if let Ok(kind) = up.kind.parse::<RegistryKind>() {
        let outcome = import_registry_upload(&state, &actor, kind, up).await?;
        let status = match &outcome {
            RegistryImportOutcome::Imported { .. } => StatusCode::CREATED,
            RegistryImportOutcome::Unchanged { .. } => StatusCode::OK,
            RegistryImportOutcome::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut body =
            serde_json::to_value(&outcome).map_err(|e| ApiError::Internal(e.to_string()))?;
        body["summary"] = serde_json::Value::String(outcome.summary_line());
        return Ok((status, Json(body)).into_response());
    }
    let outcome = import_upload(&state, &actor, up).await?;
    let status = match &outcome {
        ImportOutcome::Imported { .. } => StatusCode::CREATED,
        ImportOutcome::Unchanged { .. } => StatusCode::OK,
        ImportOutcome::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut body = serde_json::to_value(&outcome).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["summary"] = serde_json::Value::String(outcome.summary_line());
    Ok((status, Json(body)).into_response())
}

/// Filters of the import batches (all optional; each narrows).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ImportListQuery {
    /// Department code the batch was imported for.
    pub department: Option<String>,
    /// `clean` (no warning in its report), `warnings` (its report has warnings) or `corrections`
    /// (it changed stored results).
    pub status: Option<String>,
    /// Imported on or after this day (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Imported on or before this day (YYYY-MM-DD, UTC).
    pub to: Option<String>,
    /// Part of the file name (case-insensitive).
    pub file: Option<String>,
}

/// The statuses a batch is filtered by.
pub const IMPORT_STATUSES: [(&str, &str, &str); 3] = [
    ("clean", "无警告", "no warnings"),
    ("warnings", "有警告", "with warnings"),
    ("corrections", "含更正", "with corrections"),
];

/// Warnings in a batch's report.
pub fn batch_warnings(b: &ImportBatch) -> u64 {
    b.report["warnings"].as_u64().unwrap_or(0)
}

/// The batches the filters select, newest first (the API and the `/imports` page).
pub async fn find_imports(state: &AppState, q: &ImportListQuery) -> ApiResult<Vec<ImportBatch>> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let status = given(&q.status);
    if let Some(s) = &status {
        if !IMPORT_STATUSES.iter().any(|(c, _, _)| *c == s.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "参数 status：未知状态 '{s}'（应为 clean、warnings 或 corrections） / parameter \
                 status: unknown status '{s}' (expected clean, warnings or corrections)"
            )));
        }
    }
    let from = given(&q.from)
        .map(|d| super::find::parse_date("from", &d))
        .transpose()?;
    let to = given(&q.to)
        .map(|d| super::find::parse_date("to", &d))
        .transpose()?;
    let department = given(&q.department);
    let file = given(&q.file).map(|f| f.to_lowercase());
    Ok(state
        .store
        .list_imports(10_000)
        .await?
        .into_iter()
        .filter(|b| department.is_none() || b.department == department)
        .filter(|b| match status.as_deref() {
            Some("clean") => batch_warnings(b) == 0,
            Some("warnings") => batch_warnings(b) > 0,
            Some("corrections") => b.corrections > 0,
            _ => true,
        })
        .filter(|b| from.is_none_or(|d| b.created_at.date_naive() >= d))
        .filter(|b| to.is_none_or(|d| b.created_at.date_naive() <= d))
        .filter(|b| {
            file.as_ref()
                .is_none_or(|f| b.file_name.to_lowercase().contains(f.as_str()))
        })
        .collect())
}

/// Import batches, newest first (signed-in users), filtered by department, status, date range
/// and file name.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(ImportListQuery),
    responses((status = 200, body = [Object]), (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_imports(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<ImportListQuery>,
) -> ApiResult<Json<Vec<ImportBatch>>> {
    Ok(Json(find_imports(&state, &q).await?))
}

/// One import batch with its report (signed-in users).
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = Object), (status = 401, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_import(
    State(state): State<AppState>,
    _actor: Actor,
    Path(id): Path<i64>,
) -> ApiResult<Json<ImportBatch>> {
    Ok(Json(state.store.get_import(id).await?))
}

/// An import template: `results.xlsx`, `results.csv`, `results_wide.xlsx`, `points.csv`, and
/// the registries' `enterprises`, `plots`, `tailings-ponds`, `remediation-projects`,
/// `manifests`, `mining-areas`, `demolition-plans`, `disclosures` (`.xlsx` with drop-down
/// lists, or `.csv`), …
#[utoipa::path(get, path = "/api/v1/templates/{file}", tag = "imports",
    params(("file" = String, Path, description = "KIND.FORMAT: results|results_wide|points|enterprises|plots|tailings-ponds|remediation-projects|manifests|mining-areas|demolition-plans|disclosures . xlsx|csv")),
    responses((status = 200, description = "The template file"),
        (status = 400, body = crate::error::ErrorResponse)))]
pub async fn get_template(Path(file): Path<String>) -> ApiResult<Response> {
    let (kind, format) = file.rsplit_once('.').ok_or_else(|| {
        ApiError::BadRequest(format!(
            "应为 类型.格式 / expected KIND.FORMAT such as results.xlsx, found '{file}'"
        ))
    })?;
    let format: TemplateFormat = format.parse().map_err(ApiError::BadRequest)?;
    let bytes = match kind.parse::<RegistryKind>() {
        Ok(r) => r.template(format),
        Err(_) => template(
            kind.parse::<TemplateKind>().map_err(ApiError::BadRequest)?,
            format,
        ),
    };
    let content_type = match format {
        TemplateFormat::Csv => "text/csv; charset=utf-8",
        TemplateFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
