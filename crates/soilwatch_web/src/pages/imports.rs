//! `/imports`: the import batches and an upload form (works without JavaScript);
//! `/imports/{id}`: one batch with its validation report.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use soilwatch_ingest::{Issue, Report, Severity};
use soilwatch_store::importer::ImportOutcome;
use soilwatch_store::ImportBatch;

use super::{demo_present, render, PageResult};
use crate::auth::Actor;
use crate::AppState;

pub struct IssueRow {
    pub severity: &'static str,
    pub row: String,
    pub column: String,
    pub value: String,
    pub message_cn: String,
    pub message_en: String,
}

fn issue_rows(report: &Report) -> Vec<IssueRow> {
    report
        .issues
        .iter()
        .map(|i: &Issue| IssueRow {
            severity: match i.severity {
                Severity::Error => "错误 error",
                Severity::Warning => "警告 warning",
            },
            row: i.row.map(|r| r.to_string()).unwrap_or_default(),
            column: i.column.clone().unwrap_or_default(),
            value: i.value.clone(),
            message_cn: i.message_cn.clone(),
            message_en: i.message_en.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "imports.html")]
pub struct ImportsPage {
    pub demo: bool,
    /// The session's CSRF token, sent in the form's action (a multipart body is not read by
    /// the CSRF check).
    pub csrf: String,
    pub batches: Vec<ImportBatch>,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub demo: bool,
    /// `imported`, `unchanged`, `rejected` or `stored` (viewing a stored batch).
    pub outcome: &'static str,
    pub summary: String,
    pub batch: Option<ImportBatch>,
    pub file: String,
    pub errors: u64,
    pub warnings: u64,
    pub issues: Vec<IssueRow>,
}

/// The list of batches and the upload form.
pub async fn imports_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    let batches = state.store.list_imports(200).await?;
    render(&ImportsPage {
        demo: demo_present(&state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        batches,
    })
}

/// One stored batch with its report.
pub async fn import_page(
    State(state): State<AppState>,
    _actor: Actor,
    Path(id): Path<i64>,
) -> PageResult {
    let batch = state.store.get_import(id).await?;
    let report: Option<Report> = serde_json::from_value(batch.report.clone()).ok();
    let (errors, warnings, issues) = report
        .as_ref()
        .map(|r| (r.errors, r.warnings, issue_rows(r)))
        .unwrap_or_default();
    render(&ImportPage {
        demo: demo_present(&state).await?,
        outcome: "stored",
        summary: format!("batch {} · {}", batch.id, batch.file_name),
        file: batch.file_name.clone(),
        batch: Some(batch),
        errors,
        warnings,
        issues,
    })
}

/// The upload form's target: import, then show the outcome and the report.
pub async fn upload_page(
    State(state): State<AppState>,
    actor: Actor,
    form: Multipart,
) -> PageResult {
    let outcome = crate::api::imports::import_form(&state, &actor, form).await?;
    let (outcome_code, batch, report) = match &outcome {
        ImportOutcome::Imported { batch, report } => {
            ("imported", Some(batch.clone()), Some(report))
        }
        ImportOutcome::Unchanged { batch } => ("unchanged", Some(batch.clone()), None),
        ImportOutcome::Rejected { report } => ("rejected", None, Some(report)),
    };
    render(&ImportPage {
        demo: demo_present(&state).await?,
        outcome: outcome_code,
        summary: outcome.summary_line(),
        file: report
            .map(|r| r.file.clone())
            .or_else(|| batch.as_ref().map(|b| b.file_name.clone()))
            .unwrap_or_default(),
        batch,
        errors: report.map(|r| r.errors).unwrap_or(0),
        warnings: report.map(|r| r.warnings).unwrap_or(0),
        issues: report.map(issue_rows).unwrap_or_default(),
    })
}
