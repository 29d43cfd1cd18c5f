//! Administrators' pages (issue 7): `/admin/departments` (list, create, edit: name, level,
//! division), `/admin/users` (list, add with a role and a department, disable or enable, reset a
//! password: the one-time password is shown once), `/admin/audit` (the audit log). Forms carry the
//! CSRF token (checked by the middleware), are validated on the server with each error next to its
//! field, and every change is written to the audit log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use serde::Deserialize;
use soilwatch_store::auth::{AuditEntry, NewAuditEntry, NewUser};
use soilwatch_store::auth_secret::{hash_password, one_time_password};
use soilwatch_store::{Role, StoreError, User};

use super::i18n::{pick, t};
use super::{demo_present, render, FieldErrors, PageError, PageResult};
use crate::api::auth::{audit_entries, AuditListQuery};
use crate::api::departments::{
    self, department_fields, DepartmentResponse, DepartmentWriteRequest,
};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "admin_departments.html")]
pub struct DepartmentsPage {
    pub demo: bool,
    pub csrf: String,
    pub departments: Vec<DepartmentResponse>,
    /// The form with errors: `None` for the new-department form, the code for an edited row.
    pub failed: Option<String>,
    pub form: DepartmentWriteRequest,
    pub errors: FieldErrors,
    pub saved: Option<String>,
}

impl DepartmentsPage {
    /// Level name in the current language.
    pub fn level_name(&self, level: &str) -> &'static str {
        match level {
            "county" => t("县级", "county"),
            _ => t("州级", "prefecture"),
        }
    }

    /// Whether the row of `code` is the edited row that failed.
    pub fn failed_row(&self, code: &str) -> bool {
        self.failed.as_deref() == Some(code)
    }

    /// Whether the new-department form failed.
    pub fn failed_new(&self) -> bool {
        !self.errors.is_empty() && self.failed.is_none()
    }
}

/// The form to add a user.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub department: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub demo: bool,
    pub csrf: String,
    pub me: String,
    pub users: Vec<User>,
    pub departments: Vec<DepartmentResponse>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub form: NewUserForm,
    pub errors: FieldErrors,
    /// An action on a row that was refused (disable yourself, the last administrator …).
    pub refused: Option<String>,
    pub saved: Option<String>,
    /// A user and their one-time password, shown this once.
    pub one_time: Option<(String, String)>,
}

impl UsersPage {
    pub fn role_name(&self, r: &Role) -> &'static str {
        super::i18n::role_name(*r)
    }
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

/// Write an administrator's change to the audit log (next to the middleware's `write` entry,
/// which names only the route).
async fn audit(state: &AppState, actor: &Actor, action: &str, target: &str, detail: String) {
    let e = NewAuditEntry {
        actor: actor.username().to_owned(),
        action: action.into(),
        target: target.into(),
        outcome: "ok".into(),
        status: None,
        ip: None,
        detail,
    };
    if let Err(e) = state.store.append_audit(&e).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}

async fn departments_render(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    page: DepartmentsPage,
) -> PageResult {
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
        ..page
    })?;
    *res.status_mut() = status;
    Ok(res)
}

fn blank_departments() -> DepartmentsPage {
    DepartmentsPage {
        demo: false,
        csrf: String::new(),
        departments: Vec::new(),
        failed: None,
        form: DepartmentWriteRequest::default(),
        errors: FieldErrors::default(),
        saved: None,
    }
}

pub async fn departments_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(&[Role::Administrator])?;
    departments_render(&state, &actor, StatusCode::OK, blank_departments()).await
}

/// Create or edit (`code` some) a department from the page's form.
async fn save_department(
    state: &AppState,
    actor: &Actor,
    code: Option<String>,
    form: DepartmentWriteRequest,
) -> PageResult {
    actor.require(&[Role::Administrator])?;
    let key = code
        .clone()
        .unwrap_or_else(|| form.code.clone().unwrap_or_default());
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(c) = &code {
        state.store.get_department(c).await?;
    }
    match department_fields(state, &key, &form).await {
        Err(es) => {
            for (f, m) in es {
                // "字段 x / field x: 中文 / English" → the message in the page's language.
                let m = m.split_once(": ").map_or(m.as_str(), |(_, rest)| rest);
                errors.push(f, pick(m));
            }
        }
        Ok(_) => {
            let r = match &code {
                None => departments::create(state, actor, &form).await,
                Some(c) => departments::update(state, actor, c, &form).await,
            };
            match r {
                Ok(d) => {
                    let (action, what) = match code {
                        None => ("department_created", t("已新建", "Created")),
                        Some(_) => ("department_edited", t("已保存", "Saved")),
                    };
                    audit(
                        state,
                        actor,
                        action,
                        &format!("department {}", d.code),
                        format!("{} {:?} {}", d.name, d.level, d.division),
                    )
                    .await;
                    return departments_render(
                        state,
                        actor,
                        StatusCode::OK,
                        DepartmentsPage {
                            saved: Some(format!("{what}: {} {}", d.code, d.name)),
                            ..blank_departments()
                        },
                    )
                    .await;
                }
                Err(ApiError::Conflict(_)) => {
                    status = StatusCode::CONFLICT;
                    errors.push(
                        "code",
                        format!(
                            "{} {key}",
                            t("已有部门使用代码", "A department already has the code")
                        ),
                    );
                }
                Err(e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_))) => {
                    return Err(e.into())
                }
                Err(e) => errors.push("name", pick(super::message(&e))),
            }
        }
    }
    departments_render(
        state,
        actor,
        status,
        DepartmentsPage {
            failed: code,
            form,
            errors,
            ..blank_departments()
        },
    )
    .await
}

pub async fn create_department_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<DepartmentWriteRequest>,
) -> PageResult {
    save_department(&state, &actor, None, form).await
}

pub async fn update_department_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<DepartmentWriteRequest>,
) -> PageResult {
    save_department(&state, &actor, Some(code), form).await
}

fn blank_users() -> UsersPage {
    UsersPage {
        demo: false,
        csrf: String::new(),
        me: String::new(),
        users: Vec::new(),
        departments: Vec::new(),
        roles: Vec::new(),
        form: NewUserForm::default(),
        errors: FieldErrors::default(),
        refused: None,
        saved: None,
        one_time: None,
    }
}

async fn users_render(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    page: UsersPage,
) -> PageResult {
    let mut res = render(&UsersPage {
        demo: demo_present(state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        me: actor.username().to_owned(),
        users: state.store.list_users().await?,
        departments: state
            .store
            .list_departments()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.code(), super::i18n::role_name(*r)))
            .collect(),
        ..page
    })?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn users_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(&[Role::Administrator])?;
    users_render(&state, &actor, StatusCode::OK, blank_users()).await
}

/// Check the new-user form field by field.
async fn check_new_user(state: &AppState, f: &NewUserForm) -> Result<NewUser, FieldErrors> {
    let mut errors = FieldErrors::default();
    let username = f.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        errors.push(
            "username",
            t(
                "用户名须为 1–64 个字母、数字或 . _ - @",
                "A username is 1–64 letters, digits or . _ - @",
            ),
        );
    } else if state.store.get_user(username).await.is_ok() {
        errors.push(
            "username",
            format!("{} {username}", t("已有用户", "There is already a user")),
        );
    }
    let display_name = f.display_name.trim();
    if display_name.chars().count() > 100 {
        errors.push(
            "display_name",
            t("姓名至多 100 个字符", "At most 100 characters"),
        );
    }
    let role = Role::ALL.into_iter().find(|r| r.code() == f.role.trim());
    if role.is_none() {
        errors.push(
            "role",
            t(
                "请选择角色：系统管理员、数据专员、审核员或查看者",
                "Choose a role: administrator, data officer, reviewer or viewer",
            ),
        );
    }
    let department = Some(f.department.trim()).filter(|d| !d.is_empty());
    let known = match department {
        Some(d) => Some(state.store.get_department(d).await.is_ok()),
        None => None,
    };
    match (department, known) {
        (Some(d), Some(false)) => errors.push(
            "department",
            format!("{} {d}", t("没有部门", "There is no department")),
        ),
        (None, _) if role.is_some_and(Role::needs_department) => errors.push(
            "department",
            t(
                "数据专员和审核员须属于一个部门",
                "A data officer or a reviewer belongs to a department",
            ),
        ),
        _ => {}
    }
    match role {
        Some(role) if errors.is_empty() => Ok(NewUser {
            username: username.to_owned(),
            display_name: if display_name.is_empty() {
                username.to_owned()
            } else {
                display_name.to_owned()
            },
            role,
            department: department.map(str::to_owned),
            password_hash: String::new(),
        }),
        _ => Err(errors),
    }
}

fn internal(e: StoreError) -> PageError {
    PageError(e.into())
}

/// Add a user; their one-time password is shown once on the answer.
pub async fn create_user_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<NewUserForm>,
) -> PageResult {
    actor.require(&[Role::Administrator])?;
    let mut new = match check_new_user(&state, &form).await {
        Ok(u) => u,
        Err(errors) => {
            return users_render(
                &state,
                &actor,
                StatusCode::UNPROCESSABLE_ENTITY,
                UsersPage {
                    form,
                    errors,
                    ..blank_users()
                },
            )
            .await
        }
    };
    let password = one_time_password().map_err(internal)?;
    new.password_hash = hash_password(&password).map_err(internal)?;
    let user = match state.store.create_user(&new).await {
        Ok(u) => u,
        Err(StoreError::Conflict { .. }) => {
            let mut errors = FieldErrors::default();
            errors.push(
                "username",
                format!(
                    "{} {}",
                    t("已有用户", "There is already a user"),
                    new.username
                ),
            );
            return users_render(
                &state,
                &actor,
                StatusCode::CONFLICT,
                UsersPage {
                    form,
                    errors,
                    ..blank_users()
                },
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    audit(
        &state,
        &actor,
        "user_added",
        &format!("user {}", user.username),
        format!(
            "{} {}",
            user.role.code(),
            user.department.as_deref().unwrap_or("-")
        ),
    )
    .await;
    users_render(
        &state,
        &actor,
        StatusCode::OK,
        UsersPage {
            saved: Some(format!("{}: {}", t("已添加", "Added"), user.username)),
            one_time: Some((user.username, password)),
            ..blank_users()
        },
    )
    .await
}

/// Refuse a row action with a message (409).
async fn refuse(state: &AppState, actor: &Actor, msg: String) -> PageResult {
    users_render(
        state,
        actor,
        StatusCode::CONFLICT,
        UsersPage {
            refused: Some(msg),
            ..blank_users()
        },
    )
    .await
}

async fn set_disabled(
    state: &AppState,
    actor: &Actor,
    username: &str,
    disabled: bool,
) -> PageResult {
    actor.require(&[Role::Administrator])?;
    let user = state.store.get_user(username).await?;
    if disabled && user.username == actor.username() {
        return refuse(
            state,
            actor,
            t("不能停用自己的账户", "You cannot disable your own account").to_owned(),
        )
        .await;
    }
    if disabled
        && !user.disabled
        && user.role == Role::Administrator
        && state.store.count_administrators().await? <= 1
    {
        return refuse(
            state,
            actor,
            t(
                "不能停用最后一个启用的管理员",
                "You cannot disable the last active administrator",
            )
            .to_owned(),
        )
        .await;
    }
    state.store.set_user_disabled(username, disabled).await?;
    let (action, what) = if disabled {
        ("user_disabled", t("已停用", "Disabled"))
    } else {
        ("user_enabled", t("已启用", "Enabled"))
    };
    audit(
        state,
        actor,
        action,
        &format!("user {username}"),
        String::new(),
    )
    .await;
    users_render(
        state,
        actor,
        StatusCode::OK,
        UsersPage {
            saved: Some(format!("{what}: {username}")),
            ..blank_users()
        },
    )
    .await
}

pub async fn disable_user_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
) -> PageResult {
    set_disabled(&state, &actor, &username, true).await
}

pub async fn enable_user_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
) -> PageResult {
    set_disabled(&state, &actor, &username, false).await
}

/// Reset a user's password: a new one-time password, shown once; their sessions end.
pub async fn reset_password_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
) -> PageResult {
    actor.require(&[Role::Administrator])?;
    state.store.get_user(&username).await?;
    let password = one_time_password().map_err(internal)?;
    state
        .store
        .set_password(&username, &hash_password(&password).map_err(internal)?)
        .await?;
    audit(
        &state,
        &actor,
        "password_reset",
        &format!("user {username}"),
        String::new(),
    )
    .await;
    users_render(
        &state,
        &actor,
        StatusCode::OK,
        UsersPage {
            saved: Some(format!("{}: {username}", t("已重设密码", "Password reset"))),
            one_time: Some((username, password)),
            ..blank_users()
        },
    )
    .await
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
            "user_added",
            "user_disabled",
            "user_enabled",
            "password_reset",
            "department_created",
            "department_edited",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect(),
        entries,
        older,
    })
}
