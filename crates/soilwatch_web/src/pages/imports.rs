//! `/imports`: the import batches and an upload form (works without JavaScript) for points and
//! results and for the registries (issue 8: enterprises, plots, tailings ponds, remediation
//! projects, manifests, mining areas, demolition plans, disclosures), with their templates;
//! `/imports/{id}`: one batch with its validation report.

use askama::Template;
use axum::extract::{Multipart, Path, Query, RawQuery, State};
use soilwatch_ingest::{Issue, Report, Severity};
use soilwatch_store::importer::ImportOutcome;
use soilwatch_store::registry_import::{RegistryImportOutcome, RegistryKind};
use soilwatch_store::ImportBatch;

use super::i18n::Lang;
use super::table::{filtered, input, link, num, select, text, whole, Keyed, ListBody, Whole};
use super::{demo_present, render, PageResult};
use crate::api::imports::{
    batch_warnings, find_imports, FormOutcome, ImportListQuery, IMPORT_STATUSES,
};
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
    pub l: Lang,
    /// The session's CSRF token, sent in the form's action (a multipart body is not read by
    /// the CSRF check).
    pub csrf: String,
    pub list: ListBody,
    /// The registries a file may hold (issue 8): code and name in the page's language.
    pub registries: Vec<(&'static str, &'static str)>,
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

/// The upload form and the batches, newest first, with filters (department, status, date range,
/// file name), paging and export — the batches of `GET /api/v1/imports` with the same filters.
pub async fn imports_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ImportListQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let l = Lang::current();
    let batches = find_imports(&state, &q).await?;
    let departments = state.store.list_departments().await?;
    let rows = batches
        .iter()
        .map(|b| Keyed {
            // Newest first: the key falls as the id grows.
            key: format!("{:019}", i64::MAX - b.id),
            cells: vec![
                link(b.id.to_string(), format!("/imports/{}", b.id)),
                text(b.file_name.clone()),
                text(b.uploader.clone()),
                text(b.department.clone().unwrap_or_default()),
                text(b.created_at.format("%Y-%m-%d %H:%M").to_string()),
                num(b.rows_read),
                num(b.samples),
                num(b.results),
                num(b.points),
                num(b.corrections),
                num(b.unchanged),
                num(batch_warnings(b)),
            ],
        })
        .collect();
    let fields = vec![
        select(
            "department",
            l.t("部门", "Department"),
            q.department.as_ref(),
            l,
            departments
                .iter()
                .map(|d| (d.code.clone(), format!("{} {}", d.code, d.name))),
        ),
        select(
            "status",
            l.t("状态", "Status"),
            q.status.as_ref(),
            l,
            IMPORT_STATUSES
                .iter()
                .map(|(c, zh, en)| ((*c).to_owned(), l.t(zh, en).to_owned())),
        ),
        input("from", l.t("起始日期", "From"), q.from.clone(), "date"),
        input("to", l.t("截止日期", "To"), q.to.clone(), "date"),
        input("file", l.t("文件名", "File name"), q.file.clone(), "text"),
    ];
    let columns = vec![
        l.t("批次", "Batch"),
        l.t("文件", "File"),
        l.t("上传人", "Uploader"),
        l.t("部门", "Department"),
        l.t("时间（UTC）", "Time (UTC)"),
        l.t("行", "Rows"),
        l.t("样品", "Samples"),
        l.t("结果", "Results"),
        l.t("点位", "Points"),
        l.t("更正", "Corrections"),
        l.t("未变", "Unchanged"),
        l.t("警告", "Warnings"),
    ];
    let mut list = match whole(
        "/imports",
        "/api/v1/imports",
        "imports",
        raw.as_deref(),
        fields,
        columns,
        rows,
    )? {
        Whole::Page(list) => list,
        Whole::Export(res) => return Ok(res),
    };
    if !filtered(raw.as_deref()) {
        list.empty = l.t("尚无导入。", "No imports yet.").to_owned();
    }
    render(&ImportsPage {
        demo: demo_present(&state).await?,
        l,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        list,
        registries: RegistryKind::ALL
            .iter()
            .map(|k| (k.code(), l.t(k.name_cn(), k.name_en())))
            .collect(),
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
    let (outcome_code, batch, report, summary) = match &outcome {
        FormOutcome::Data(o) => {
            let (code, batch, report) = match o {
                ImportOutcome::Imported { batch, report } => {
                    ("imported", Some(batch.clone()), Some(report))
                }
                ImportOutcome::Unchanged { batch } => ("unchanged", Some(batch.clone()), None),
                ImportOutcome::Rejected { report } => ("rejected", None, Some(report)),
            };
            (code, batch, report, o.summary_line())
        }
        FormOutcome::Registry(o) => {
            let (code, batch, report) = match o {
                RegistryImportOutcome::Imported { batch, report, .. } => {
                    ("imported", Some(batch.clone()), Some(report))
                }
                RegistryImportOutcome::Unchanged { batch, report, .. } => {
                    ("unchanged", batch.clone(), report.as_ref())
                }
                RegistryImportOutcome::Rejected { report } => ("rejected", None, Some(report)),
            };
            (code, batch, report, o.summary_line())
        }
    };
    render(&ImportPage {
        demo: demo_present(&state).await?,
        outcome: outcome_code,
        summary,
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
