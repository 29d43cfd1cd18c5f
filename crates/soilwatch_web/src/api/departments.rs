//! Departments (organisations): listed for everyone, created and edited by administrators
//! (issue 7); every change is kept in the department's history.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::{Entity, Role};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResponse {
    pub code: String,
    pub name: String,
    /// `prefecture` or `county`.
    pub level: String,
    pub division: String,
}

impl From<Department> for DepartmentResponse {
    fn from(d: Department) -> Self {
        Self {
            code: d.code,
            name: d.name,
            level: format!("{:?}", d.level).to_lowercase(),
            division: d.division.to_string(),
        }
    }
}

/// Every department.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    responses((status = 200, body = [DepartmentResponse])))]
pub async fn list_departments(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<DepartmentResponse>>> {
    let list = state.store.list_departments().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{code}", tag = "departments",
    params(("code" = String, Path, description = "Department code")),
    responses((status = 200, body = DepartmentResponse), (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_department(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<DepartmentResponse>> {
    Ok(Json(state.store.get_department(&code).await?.into()))
}

/// A department as written. The division decides the level (a county code makes a county-level
/// department).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DepartmentWriteRequest {
    /// Stable short code (create only), e.g. `eco-env-513401`: letters, digits and `-`.
    pub code: Option<String>,
    /// 名称, e.g. 西昌市生态环境局.
    pub name: String,
    /// Division code (GB/T 2260), prefecture or county.
    pub division: String,
    /// Level, `prefecture` (州级) or `county` (县级); optional: when given it must match the
    /// division's level.
    #[serde(default)]
    pub level: Option<String>,
    /// Why (default "新建部门 / department created" or "修改部门 / department edited").
    pub reason: Option<String>,
}

/// Check a department's fields (422 naming each bad field).
pub async fn to_department(
    state: &AppState,
    code: &str,
    r: &DepartmentWriteRequest,
) -> ApiResult<Department> {
    department_fields(state, code, r).await.map_err(|errors| {
        ApiError::Unprocessable(
            errors
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// Check a department's fields; the errors name their field (`code`, `name`, `level`,
/// `division`), so a page shows each next to its input.
pub async fn department_fields(
    state: &AppState,
    code: &str,
    r: &DepartmentWriteRequest,
) -> Result<Department, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let code = code.trim();
    if code.is_empty()
        || code.len() > 64
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errors.push(("code", format!(
            "字段 code / field code: 部门代码须为 1–64 个字母、数字或 - / 1–64 letters, digits or -, found '{code}'"
        )));
    }
    if r.name.trim().is_empty() {
        errors.push((
            "name",
            "字段 name / field name: 名称不能为空 / a department needs a name".to_owned(),
        ));
    } else if r.name.trim().chars().count() > 100 {
        errors.push((
            "name",
            "字段 name / field name: 名称至多 100 个字符 / at most 100 characters".to_owned(),
        ));
    }
    let level = match r.level.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some("prefecture") => Some(DivisionLevel::Prefecture),
        Some("county") => Some(DivisionLevel::County),
        Some(other) => {
            errors.push(("level", format!(
                "字段 level / field level: 无法识别 '{other}'（应为 prefecture 州级或 county 县级）/ \
                 unknown '{other}' (expected prefecture or county)"
            )));
            None
        }
    };
    let division = match super::parse_division(r.division.trim()) {
        Ok(d) => match state.store.get_division(d).await {
            Ok(div) if div.level != DivisionLevel::Province => Some(div),
            Ok(_) => {
                errors.push(("division", "字段 division / field division: 须为州或县级 / must be the prefecture or a county".into()));
                None
            }
            Err(_) => {
                errors.push((
                    "division",
                    format!("字段 division / field division: 没有行政区 {d} / no division {d}"),
                ));
                None
            }
        },
        Err(e) => {
            errors.push((
                "division",
                format!(
                    "字段 division / field division: {}",
                    crate::pages::message(&e)
                ),
            ));
            None
        }
    };
    if let (Some(div), Some(level)) = (&division, level) {
        if div.level != level {
            errors.push((
                "level",
                format!(
                "字段 level / field level: 行政区 {} 是{}，与所选级别不符 / division {} is {}, not \
                 the level chosen",
                div.code,
                if div.level == DivisionLevel::County { "县级" } else { "州级" },
                div.code,
                if div.level == DivisionLevel::County { "a county" } else { "the prefecture" },
            ),
            ));
        }
    }
    match (division, errors.is_empty()) {
        (Some(div), true) => Ok(Department {
            code: code.to_owned(),
            name: r.name.trim().to_owned(),
            level: div.level,
            division: div.code,
        }),
        _ => Err(errors),
    }
}

fn reason(r: &Option<String>, default: &str) -> String {
    r.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(default)
        .to_owned()
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t).map_err(|e| {
        ApiError::Unprocessable(format!(
            "请求体无效 / invalid request body: {}",
            e.body_text()
        ))
    })
}

/// Create a department (administrators); shared by the API and the admin page.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    r: &DepartmentWriteRequest,
) -> ApiResult<Department> {
    actor.require(&[Role::Administrator])?;
    let d = to_department(state, r.code.as_deref().unwrap_or_default(), r).await?;
    let change = ChangeMeta::new(
        actor.username(),
        reason(&r.reason, "新建部门 / department created"),
    );
    state.store.create_department(&d, &change).await?;
    Ok(d)
}

/// Edit a department (administrators); shared by the API and the admin page.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    code: &str,
    r: &DepartmentWriteRequest,
) -> ApiResult<Department> {
    actor.require(&[Role::Administrator])?;
    state.store.get_department(code).await?;
    let d = to_department(state, code, r).await?;
    let change = ChangeMeta::new(
        actor.username(),
        reason(&r.reason, "修改部门 / department edited"),
    );
    state.store.update_department(&d, &change).await?;
    Ok(d)
}

/// Create a department (administrators): 201, 409 if the code exists, 422 naming bad fields.
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = DepartmentWriteRequest,
    responses((status = 201, body = DepartmentResponse),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse),
        (status = 409, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn create_department(
    State(state): State<AppState>,
    actor: Actor,
    req: Result<Json<DepartmentWriteRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let req = body(req)?;
    let d = create(&state, &actor, &req).await?;
    let location = format!("/api/v1/departments/{}", d.code);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DepartmentResponse::from(d)),
    )
        .into_response())
}

/// Edit a department's name or division (administrators); the old version stays in its history.
#[utoipa::path(put, path = "/api/v1/departments/{code}", tag = "departments", request_body = DepartmentWriteRequest,
    params(("code" = String, Path, description = "Department code")),
    responses((status = 200, body = DepartmentResponse),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse), (status = 422, body = crate::error::ErrorResponse)))]
pub async fn update_department(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    req: Result<Json<DepartmentWriteRequest>, JsonRejection>,
) -> ApiResult<Json<DepartmentResponse>> {
    let req = body(req)?;
    Ok(Json(update(&state, &actor, &code, &req).await?.into()))
}

/// Every version of a department (who, when, why); signed-in users.
#[utoipa::path(get, path = "/api/v1/departments/{code}/history", tag = "departments",
    params(("code" = String, Path, description = "Department code")),
    responses((status = 200, body = [Object]), (status = 401, body = crate::error::ErrorResponse),
        (status = 404, body = crate::error::ErrorResponse)))]
pub async fn get_department_history(
    State(state): State<AppState>,
    _actor: Actor,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<soilwatch_core::VersionRecord>>> {
    state.store.get_department(&code).await?;
    Ok(Json(state.store.history(Entity::Department, &code).await?))
}
