//! Submission pages (issue 9): `/submissions` (the year's tallies per county and department and
//! every submission), `/submissions/reminders` (what each department still owes, with the CSV
//! and XLSX lists for notification letters), `/submissions/{id}` (one submission, its history,
//! the upload form for its department's data officers and the review form for reviewers).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use soilwatch_store::submissions::{
    Reminder, Submission, SubmissionEvent, SubmissionStatus, SubmissionSummary,
};
use soilwatch_store::Role;

use super::{demo_present, message, render, PageResult};
use soilwatch_ingest::Severity;
use soilwatch_store::importer::ImportOutcome;

use crate::api::submissions::{
    default_year, overview, reminder_list, review, submission_with_history, today, upload_into,
    SubmissionListQuery, SubmissionReviewRequest, SubmissionRow,
};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "submissions.html")]
pub struct SubmissionsPage {
    pub demo: bool,
    pub year: i32,
    pub as_of: String,
    pub summary: SubmissionSummary,
    pub rows: Vec<SubmissionRow>,
}

#[derive(Template)]
#[template(path = "submission_reminders.html")]
pub struct RemindersPage {
    pub demo: bool,
    pub year: i32,
    pub as_of: String,
    pub reminders: Vec<Reminder>,
}

#[derive(Template)]
#[template(path = "submission.html")]
pub struct SubmissionPage {
    pub demo: bool,
    pub csrf: String,
    pub s: Submission,
    pub overdue: bool,
    pub history: Vec<SubmissionEvent>,
    pub can_upload: bool,
    pub can_review: bool,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// The issues of a rejected upload: row, column, message.
    pub issues: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// The year's submissions with the tallies.
pub async fn submissions_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(default_year);
    let o = overview(
        &state,
        &SubmissionListQuery {
            year: Some(year),
            ..SubmissionListQuery::default()
        },
    )
    .await?;
    render(&SubmissionsPage {
        demo: demo_present(&state).await?,
        year,
        as_of: o.as_of.to_string(),
        summary: o.summary,
        rows: o.submissions,
    })
}

/// What each department still owes.
pub async fn reminders_page(
    State(state): State<AppState>,
    _actor: Actor,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(default_year);
    let as_of = today();
    render(&RemindersPage {
        demo: demo_present(&state).await?,
        year,
        as_of: as_of.to_string(),
        reminders: reminder_list(&state, Some(year), None, as_of).await?,
    })
}

async fn submission_page_with(
    state: &AppState,
    actor: &Actor,
    id: i64,
    outcome: Result<Option<String>, ApiError>,
    issues: Vec<String>,
) -> PageResult {
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(ApiError::Forbidden(_)) => StatusCode::FORBIDDEN,
        Err(ApiError::Conflict(_)) => StatusCode::CONFLICT,
        Err(ApiError::NotFound(_)) => StatusCode::NOT_FOUND,
        Err(ApiError::BadRequest(_)) => StatusCode::BAD_REQUEST,
        Err(ApiError::Internal(m)) => return Err(ApiError::Internal(m.clone()).into()),
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let r = submission_with_history(state, id).await?;
    let own = actor.user.department.as_deref() == Some(r.submission.department.as_str());
    let can_upload = r.submission.status != SubmissionStatus::Accepted
        && (actor.role() == Role::Administrator || (actor.role() == Role::DataOfficer && own));
    let can_review = r.submission.status == SubmissionStatus::Received
        && matches!(actor.role(), Role::Administrator | Role::Reviewer);
    let (error, notice) = match outcome {
        Ok(n) => (None, n),
        Err(e) => (Some(message(&e).to_owned()), None),
    };
    let mut res = render(&SubmissionPage {
        demo: demo_present(state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        overdue: r.overdue,
        s: r.submission,
        history: r.history,
        can_upload,
        can_review,
        error,
        notice,
        issues,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// One submission with its history and forms.
pub async fn submission_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> PageResult {
    submission_page_with(&state, &actor, id, Ok(None), Vec::new()).await
}

/// The upload form's target: import into the submission, then show it with the outcome.
pub async fn upload_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    form: Multipart,
) -> PageResult {
    let mut issues = Vec::new();
    let outcome = match upload_into(&state, &actor, id, form).await {
        Ok(r) => match &r.outcome {
            ImportOutcome::Rejected { report } => {
                issues = report
                    .issues
                    .iter()
                    .map(|i| {
                        format!(
                            "{} 行 row {} · 列 column {} · “{}”: {} / {}",
                            match i.severity {
                                Severity::Error => "错误 error",
                                Severity::Warning => "警告 warning",
                            },
                            i.row.map(|r| r.to_string()).unwrap_or_default(),
                            i.column.clone().unwrap_or_default(),
                            i.value,
                            i.message_cn,
                            i.message_en
                        )
                    })
                    .collect();
                Err(ApiError::Unprocessable(format!(
                    "文件未通过校验，未入库，报送状态未变 / the file was rejected, nothing stored, \
                     the submission unchanged ({})",
                    r.summary
                )))
            }
            _ => Ok(Some(r.summary)),
        },
        Err(e @ ApiError::Forbidden(_)) => return Err(e.into()),
        Err(e) => Err(e),
    };
    submission_page_with(&state, &actor, id, outcome, issues).await
}

/// The review form's target: accept or return, then back to the submission.
pub async fn review_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Form(r): Form<SubmissionReviewRequest>,
) -> PageResult {
    match review(&state, &actor, id, &r).await {
        Ok(_) => Ok(Redirect::to(&format!("/submissions/{id}")).into_response()),
        Err(e @ ApiError::Forbidden(_)) => Err(e.into()),
        Err(e) => submission_page_with(&state, &actor, id, Err(e), Vec::new()).await,
    }
}

#[derive(Template)]
#[template(path = "catalogue.html")]
pub struct CataloguePage {
    pub demo: bool,
    pub entries: Vec<soilwatch_store::sharing::CatalogueEntry>,
    pub requests: Vec<soilwatch_store::sharing::AccessRequest>,
    pub today: chrono::NaiveDate,
}

/// `/catalogue` (issue 9): the sharing catalogue and the access requests with their decisions.
pub async fn catalogue_page(State(state): State<AppState>, _actor: Actor) -> PageResult {
    render(&CataloguePage {
        demo: demo_present(&state).await?,
        entries: state.store.list_catalogue().await?,
        requests: state.store.list_access_requests(None, None).await?,
        today: today(),
    })
}
