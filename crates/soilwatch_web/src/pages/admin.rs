//! Administrators' pages (issue 7): `/admin/departments` (list, create, edit), `/admin/users`
//! (list; accounts are managed with `soilwatch user`), `/admin/audit` (the audit log).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use soilwatch_store::auth::AuditEntry;
use soilwatch_store::{Role, User};

use super::{demo_present, message, render, PageResult};
use crate::api::auth::{audit_entries, AuditListQuery};
use crate::api::departments::{self, DepartmentResponse, DepartmentWriteRequest};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "admin_departments.html")]
pub struct DepartmentsPage {
    pub demo: bool,
    pub csrf: String,
    pub departments: Vec<DepartmentResponse>,
    pub error: Option<String>,
    pub saved: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub demo: bool,
    pub users: Vec<User>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    pub demo: bool,
    pub actor: String,
    pub action: String,
    pub actions: Vec<String>,
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
}

async fn departments_page_with(
    state: &AppState,
    actor: &Actor,
    outcome: Result<String, ApiError>,
) -> PageResult {
    actor.require(&[Role::Administrator])?;
    let (status, error, saved) = match outcome {
        Ok(s) if s.is_empty() => (StatusCode::OK, None, None),
        Ok(s) => (StatusCode::OK, None, Some(s)),
        Err(e @ ApiError::Forbidden(_)) => return Err(e.into()),
        Err(e) => {
            let status = match e {
                ApiError::Conflict(_) => StatusCode::CONFLICT,
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            (status, Some(message(&e).to_owned()), None)
        }
    };
    let mut res = render(&DepartmentsPage {
        demo: demo_present(state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        departments: state
            .store
            .list_departments()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        error,
        saved,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn departments_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    departments_page_with(&state, &actor, Ok(String::new())).await
}

pub async fn create_department_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<DepartmentWriteRequest>,
) -> PageResult {
    let r = departments::create(&state, &actor, &form)
        .await
        .map(|d| format!("已新建 / created: {} {}", d.code, d.name));
    departments_page_with(&state, &actor, r).await
}

pub async fn update_department_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<DepartmentWriteRequest>,
) -> PageResult {
    let r = departments::update(&state, &actor, &code, &form)
        .await
        .map(|d| format!("已保存 / saved: {} {}", d.code, d.name));
    departments_page_with(&state, &actor, r).await
}

pub async fn users_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(&[Role::Administrator])?;
    render(&UsersPage {
        demo: demo_present(&state).await?,
        users: state.store.list_users().await?,
    })
}

pub async fn audit_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<AuditListQuery>,
) -> PageResult {
    let entries = audit_entries(&state, &actor, &q).await?;
    let limit = q.query().limit as usize;
    let older = (entries.len() == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    render(&AuditPage {
        demo: demo_present(&state).await?,
        actor: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        actions: vec![
            "",
            "sign_in",
            "sign_in_failed",
            "sign_in_throttled",
            "sign_out",
            "write",
            "export",
            "read",
            "denied",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect(),
        entries,
        older,
    })
}
