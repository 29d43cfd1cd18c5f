//! Yearly submissions (issue 9): campaigns per year and data kind, each department's
//! submission, uploads through the import pipeline into a submission, the reviewer's accept /
//! return, the history of every state change, the tallies per department and county, and the
//! reminders (JSON, CSV with BOM, XLSX) for notification letters.
//!
//! The functions here are shared by the JSON handlers and the pages (`pages/submissions.rs`).

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::DivisionCode;
use soilwatch_ingest::{KindHint, ParseOptions, TextEncoding};
use soilwatch_store::importer::{import_bytes, ImportOutcome};
use soilwatch_store::submissions::{
    china_date, reminders, summarise, Campaign, DataKind, Decision, NewCampaign, Reminder,
    Submission, SubmissionEvent, SubmissionQuery, SubmissionStatus, SubmissionSummary,
};
use soilwatch_store::Role;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// Today in China (deadlines are Beijing dates).
pub fn today() -> NaiveDate {
    china_date(Utc::now())
}

/// The year whose data is due this year (last year).
pub fn default_year() -> i32 {
    today().year() - 1
}

/// A campaign to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CampaignCreateRequest {
    /// The year the data is of.
    pub year: i32,
    /// `soil_quality`, `agricultural_product`, `irrigation_water`, `groundwater`,
    /// `surface_water`, `enterprise_self_monitoring` (or the Chinese name).
    pub data_kind: String,
    /// Default: 30 September of the next year.
    pub due_on: Option<NaiveDate>,
    /// Codes of the departments that owe the data.
    pub departments: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CampaignListQuery {
    /// Only this data year.
    pub year: Option<i32>,
}

/// Create a campaign: one owed submission per department (administrators and reviewers).
#[utoipa::path(post, path = "/api/v1/submission-campaigns", tag = "submissions",
    request_body = CampaignCreateRequest,
    responses((status = 201, body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 409, description = "A campaign of that year and kind exists", body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_campaign(
    State(state): State<AppState>,
    actor: Actor,
    body: Result<Json<CampaignCreateRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    actor.require(&[Role::Administrator, Role::Reviewer])?;
    let Json(r) = body.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let new = NewCampaign {
        year: r.year,
        data_kind: r.data_kind.parse()?,
        due_on: r.due_on,
        departments: r.departments.iter().map(|d| d.trim().to_owned()).collect(),
        note: r.note,
    };
    let c = state.store.create_campaign(&new, actor.username()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Campaigns, newest year first (signed-in users).
#[utoipa::path(get, path = "/api/v1/submission-campaigns", tag = "submissions",
    params(CampaignListQuery),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<CampaignListQuery>,
) -> ApiResult<Json<Vec<Campaign>>> {
    Ok(Json(state.store.list_campaigns(q.year).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SubmissionListQuery {
    /// Data year (all years when absent).
    pub year: Option<i32>,
    /// Department code.
    pub department: Option<String>,
    /// Data kind code.
    pub data_kind: Option<String>,
    /// `owed`, `received`, `accepted`, `returned`.
    pub status: Option<String>,
    /// Judge overdue on this date (default today, Beijing time).
    pub as_of: Option<NaiveDate>,
}

impl SubmissionListQuery {
    fn store_query(&self) -> ApiResult<SubmissionQuery> {
        Ok(SubmissionQuery {
            year: self.year,
            department: self.department.clone().filter(|d| !d.is_empty()),
            data_kind: self
                .data_kind
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(str::parse)
                .transpose()
                .map_err(bad)?,
            status: self
                .status
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(str::parse)
                .transpose()
                .map_err(bad)?,
        })
    }
}

/// A submission with its overdue flag as of a date.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionRow {
    #[serde(flatten)]
    pub submission: Submission,
    pub overdue: bool,
    pub days_overdue: Option<i64>,
}

/// The submissions and their tallies per department and county.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionsResponse {
    pub year: Option<i32>,
    pub as_of: NaiveDate,
    /// `total`, `by_department`, `by_county`: owed, received, accepted, returned, overdue, late.
    #[schema(value_type = Object)]
    pub summary: SubmissionSummary,
    #[schema(value_type = [Object])]
    pub submissions: Vec<SubmissionRow>,
}

/// Division names by code.
pub async fn division_names(state: &AppState) -> ApiResult<HashMap<DivisionCode, String>> {
    Ok(state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

/// The submissions of a query with the tallies (the API and the dashboard page).
pub async fn overview(state: &AppState, q: &SubmissionListQuery) -> ApiResult<SubmissionsResponse> {
    let as_of = q.as_of.unwrap_or_else(today);
    let subs = state.store.list_submissions(&q.store_query()?).await?;
    let names = division_names(state).await?;
    let summary = summarise(&subs, as_of, &names);
    Ok(SubmissionsResponse {
        year: q.year,
        as_of,
        summary,
        submissions: subs
            .into_iter()
            .map(|s| SubmissionRow {
                overdue: s.overdue(as_of),
                days_overdue: s.days_overdue(as_of),
                submission: s,
            })
            .collect(),
    })
}

/// Submissions with the tallies per department and per county: owed, received, accepted,
/// returned, overdue (still owed after the due date) and late (uploaded after it).
#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions",
    params(SubmissionListQuery),
    responses((status = 200, body = SubmissionsResponse),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_submissions(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<SubmissionListQuery>,
) -> ApiResult<Json<SubmissionsResponse>> {
    Ok(Json(overview(&state, &q).await?))
}

/// One submission with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionResponse {
    #[schema(value_type = Object)]
    pub submission: Submission,
    pub overdue: bool,
    /// Every state change, oldest first.
    #[schema(value_type = [Object])]
    pub history: Vec<SubmissionEvent>,
}

/// A submission and its history (the API and the page).
pub async fn submission_with_history(state: &AppState, id: i64) -> ApiResult<SubmissionResponse> {
    let submission = state.store.get_submission(id).await?;
    let history = state.store.submission_history(id).await?;
    Ok(SubmissionResponse {
        overdue: submission.overdue(today()),
        submission,
        history,
    })
}

/// One submission with every state change (who, when, from, to, batch, reasons).
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    responses((status = 200, body = SubmissionResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_submission(
    State(state): State<AppState>,
    _actor: Actor,
    Path(id): Path<i64>,
) -> ApiResult<Json<SubmissionResponse>> {
    Ok(Json(submission_with_history(&state, id).await?))
}

/// What an upload into a submission did.
#[derive(Debug, Clone, Serialize)]
pub struct UploadResponse {
    #[serde(flatten)]
    pub outcome: ImportOutcome,
    pub summary: String,
    /// The submission after the upload (unchanged when the file was rejected).
    pub submission: Submission,
}

impl UploadResponse {
    pub fn status(&self) -> StatusCode {
        match &self.outcome {
            ImportOutcome::Imported { .. } => StatusCode::CREATED,
            ImportOutcome::Unchanged { .. } => StatusCode::OK,
            ImportOutcome::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Upload a file into a submission as the signed-in user: validate and import it through the
/// import pipeline for the submission's department, then link the batch (the submission becomes
/// received). A rejected file changes nothing.
pub async fn upload_into(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mut form: Multipart,
) -> ApiResult<UploadResponse> {
    let sub = state.store.get_submission(id).await?;
    actor.require_department(&sub.department)?;
    if sub.status == SubmissionStatus::Accepted {
        return Err(ApiError::Conflict(format!(
            "报送 {id} 已通过审核，不能再上传 / submission {id} is accepted already"
        )));
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut kind = KindHint::Auto;
    let mut encoding = None;
    let mut sheet = None;
    let too_big = |e| super::imports::upload_error(state, e);
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(too_big)?;
            file = Some((fname, bytes.to_vec()));
            continue;
        }
        let text = field.text().await.map_err(bad)?;
        match name.as_str() {
            "kind" if !text.is_empty() => {
                kind = text.parse().map_err(|e| bad(format!("kind: {e}")))?
            }
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
    let (file_name, bytes) = file.ok_or_else(|| bad("缺少文件 / the form has no `file` field"))?;
    let mut opts = ParseOptions::new(file_name, today());
    opts.kind = kind;
    opts.encoding = encoding;
    opts.sheet = sheet;
    opts.max_rows = state.limits.max_rows;
    // Only samples of the campaign's data kind (a groundwater file is not soil data).
    opts.allowed_media = sub.data_kind.media().to_vec();
    let outcome = import_bytes(
        state.store.as_ref(),
        &bytes,
        &opts,
        actor.username(),
        Some(&sub.department),
    )
    .await?;
    let submission = match &outcome {
        ImportOutcome::Imported { batch, .. } => {
            state
                .store
                .record_upload(id, batch.id, actor.username())
                .await?
        }
        ImportOutcome::Unchanged { batch } => {
            match state.store.submission_of_batch(batch.id).await? {
                Some(s) if s == id => sub,
                Some(other) => {
                    return Err(ApiError::Conflict(format!(
                        "该文件已作为导入批次 {} 报送到报送 {other} / this file was imported \
                         before as batch {} and belongs to submission {other}",
                        batch.id, batch.id
                    )))
                }
                None if batch.department.as_deref() == Some(sub.department.as_str()) => {
                    check_batch_media(state, &sub, batch.id, &opts.file_name).await?;
                    state
                        .store
                        .record_upload(id, batch.id, actor.username())
                        .await?
                }
                None => {
                    return Err(ApiError::Conflict(format!(
                        "该文件已由其他部门导入（批次 {}）/ this file was imported before as batch \
                         {} for another department",
                        batch.id, batch.id
                    )))
                }
            }
        }
        ImportOutcome::Rejected { .. } => sub,
    };
    Ok(UploadResponse {
        summary: outcome.summary_line(),
        outcome,
        submission,
    })
}

/// A batch imported before and now offered to a submission: every sample's medium must be of
/// the campaign's data kind (422 naming the sample and its medium otherwise).
async fn check_batch_media(
    state: &AppState,
    sub: &Submission,
    batch: i64,
    file: &str,
) -> ApiResult<()> {
    let allowed = sub.data_kind.media();
    let mut q = soilwatch_store::network::FindQuery {
        batch: Some(batch),
        limit: 10_000,
        ..Default::default()
    };
    loop {
        let page = state.store.find_samples(&q).await?;
        if let Some(s) = page
            .items
            .iter()
            .find(|s| !allowed.contains(&s.sample.medium))
        {
            let m = s.sample.medium;
            return Err(ApiError::Unprocessable(format!(
                "文件 {file}：样品 {} 的样品类型为“{}”，不属于报送数据类别“{}” / file {file}: sample \
                 {} has the medium {}, which does not belong to the data kind {} of submission {}",
                s.sample.code,
                m.name_cn(),
                sub.data_kind.name_cn(),
                s.sample.code,
                m.code(),
                sub.data_kind.code(),
                sub.id
            )));
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(()),
        }
    }
}

/// Upload a file into a submission (multipart: `file`, optional `kind`, `encoding`, `sheet`):
/// a data officer of the submission's department or an administrator. 201 imported and linked,
/// 200 the same file again, 422 rejected with the report (nothing stored, the submission
/// unchanged), 409 when the submission is accepted already.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/uploads", tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    request_body(content_type = "multipart/form-data", description = "file, kind, encoding, sheet"),
    responses((status = 201, description = "Imported and linked", body = Object),
        (status = 200, description = "Unchanged: the same file again", body = Object),
        (status = 422, description = "Rejected, nothing stored; the body holds the report", body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse)))]
pub async fn upload_submission(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    form: Multipart,
) -> ApiResult<Response> {
    let r = upload_into(&state, &actor, id, form).await?;
    Ok((r.status(), Json(r)).into_response())
}

/// The reviewer's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubmissionReviewRequest {
    /// `accept` (通过) or `return` (退回).
    pub decision: String,
    /// Required when returning.
    #[serde(default)]
    pub reasons: String,
}

/// Accept or return (the API and the page): reviewers and administrators.
pub async fn review(
    state: &AppState,
    actor: &Actor,
    id: i64,
    r: &SubmissionReviewRequest,
) -> ApiResult<Submission> {
    actor.require(&[Role::Administrator, Role::Reviewer])?;
    let decision: Decision = r.decision.parse()?;
    Ok(state
        .store
        .decide_submission(id, decision, &r.reasons, actor.username())
        .await?)
}

/// Accept a received submission or return it with reasons (reviewers and administrators).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/review", tag = "submissions",
    params(("id" = i64, Path, description = "Submission id")),
    request_body = SubmissionReviewRequest,
    responses((status = 200, body = Object),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse),
        (status = 409, description = "Not waiting for review", body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse)))]
pub async fn review_submission(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    body: Result<Json<SubmissionReviewRequest>, JsonRejection>,
) -> ApiResult<Json<Submission>> {
    let Json(r) = body.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    Ok(Json(review(&state, &actor, id, &r).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ReminderQuery {
    /// Data year (all years when absent).
    pub year: Option<i32>,
    /// Only this department.
    pub department: Option<String>,
    /// `json` (default), `csv` (UTF-8 with BOM) or `xlsx`.
    pub format: Option<String>,
    /// Judge overdue on this date (default today, Beijing time).
    pub as_of: Option<NaiveDate>,
}

/// What each department still owes (the API, the page and the exports).
pub async fn reminder_list(
    state: &AppState,
    year: Option<i32>,
    department: Option<String>,
    as_of: NaiveDate,
) -> ApiResult<Vec<Reminder>> {
    let subs = state
        .store
        .list_submissions(&SubmissionQuery {
            year,
            department: department.filter(|d| !d.is_empty()),
            ..SubmissionQuery::default()
        })
        .await?;
    Ok(reminders(&subs, as_of, &division_names(state).await?))
}

const REMINDER_HEADERS: [&str; 10] = [
    "部门代码 department",
    "部门 name",
    "行政区划 division",
    "数据年度 year",
    "数据类别 data kind",
    "截止日期 due",
    "状态 status",
    "逾期天数 days overdue",
    "退回理由 reasons",
    "报送编号 submission",
];

fn reminder_cells(r: &Reminder) -> [String; 10] {
    [
        r.department.clone(),
        r.department_name.clone(),
        format!("{} {}", r.division, r.division_name),
        r.year.to_string(),
        r.data_kind_name.clone(),
        r.due_on.to_string(),
        r.status.name_cn().to_owned(),
        r.days_overdue.map(|d| d.to_string()).unwrap_or_default(),
        r.reasons.clone().unwrap_or_default(),
        r.submission.to_string(),
    ]
}

/// The reminders as CSV, UTF-8 with a BOM (Excel opens the Chinese correctly).
pub fn reminders_csv(list: &[Reminder]) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record(REMINDER_HEADERS).map_err(internal)?;
    for r in list {
        w.write_record(reminder_cells(r)).map_err(internal)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The reminders as an XLSX workbook (one sheet, numbers as numbers).
pub fn reminders_xlsx(list: &[Reminder]) -> ApiResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("催报清单").map_err(internal)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in (0u16..).zip(REMINDER_HEADERS) {
        ws.write_string_with_format(0, c, h, &bold)
            .map_err(internal)?;
    }
    for (r, item) in (1u32..).zip(list) {
        for (c, v) in (0u16..).zip(reminder_cells(item)) {
            match (c, v.parse::<f64>()) {
                (3 | 7 | 9, Ok(n)) => ws.write_number(r, c, n).map_err(internal)?,
                _ => ws.write_string(r, c, &v).map_err(internal)?,
            };
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// What each department still owes (owed or returned), for notification letters: JSON, CSV
/// (UTF-8 with BOM) or XLSX.
#[utoipa::path(get, path = "/api/v1/submissions/reminders", tag = "submissions",
    params(ReminderQuery),
    responses((status = 200, description = "The list (JSON, CSV or XLSX)", body = [Object]),
        (status = 400, body = crate::error::ErrorResponse),
        (status = 401, body = crate::error::ErrorResponse)))]
pub async fn list_reminders(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<ReminderQuery>,
) -> ApiResult<Response> {
    let as_of = q.as_of.unwrap_or_else(today);
    let list = reminder_list(&state, q.year, q.department.clone(), as_of).await?;
    let name = format!(
        "reminders-{}",
        q.year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "all".into())
    );
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(list).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            reminders_csv(&list)?,
        )
            .into_response()),
        "xlsx" => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            reminders_xlsx(&list)?,
        )
            .into_response()),
        other => Err(bad(format!(
            "format: 应为 json、csv 或 xlsx，实为 '{other}' / expected json, csv or xlsx, found \
             '{other}'"
        ))),
    }
}

/// Every data kind with its code and Chinese name (for forms).
pub fn data_kinds() -> Vec<(&'static str, &'static str)> {
    DataKind::ALL
        .iter()
        .map(|k| (k.code(), k.name_cn()))
        .collect()
}
