//! `/points/new` and `/points/{code}/edit`: the forms that register and edit a monitoring point
//! (issue 7). They call the API's own functions (`api::points::create_record`,
//! `update_record`: the same checks, the same store writes with who and why in the point's
//! history), are allowed to the roles of `POST /api/v1/points` and `PUT /api/v1/points/{code}`
//! (administrators; data officers for their department's area), carry the CSRF token (checked by
//! the middleware for sessions), and come back with the typed values and each error next to its
//! field when refused.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use soilwatch_core::{ControlLevel, DivisionLevel, PointType};
use soilwatch_store::{RiskAreaCategory, Role};

use super::form::{api_field_errors, with_errors, FormField};
use super::i18n::{named, Lang};
use super::{demo_present, render, FieldErrors, PageResult};
use crate::api::points::{create_record, update_record, PointWriteRequest};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

/// The point form as typed (every field text, so that a refused form comes back as typed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PointForm {
    pub code: String,
    pub name: String,
    pub point_type: String,
    pub control_level: String,
    pub division: String,
    pub lon: String,
    pub lat: String,
    pub land_use: String,
    pub risk_category: String,
    pub watched_enterprise: String,
    pub watched_plot: String,
    pub established_on: String,
    pub moved_on: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "point_form.html")]
pub struct PointFormPage {
    pub demo: bool,
    pub l: Lang,
    pub csrf: String,
    /// The point edited (none: a new point).
    pub editing: Option<String>,
    pub fields: Vec<FormField>,
    /// Errors that belong to no field.
    pub general: String,
    pub has_errors: bool,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The API's request from the form, or the errors of its coordinates.
fn request(form: &PointForm) -> Result<PointWriteRequest, FieldErrors> {
    let l = Lang::current();
    let mut errors = FieldErrors::default();
    let mut number = |field: &str, s: &str| match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => {
            errors.push(
                field,
                format!(
                    "{} '{}'",
                    l.t("应为十进制度数，收到", "must be decimal degrees, found"),
                    s.trim()
                ),
            );
            f64::NAN
        }
    };
    let lon = number("lon", &form.lon);
    let lat = number("lat", &form.lat);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PointWriteRequest {
        code: some(&form.code),
        name: form.name.trim().to_owned(),
        point_type: form.point_type.clone(),
        control_level: form.control_level.clone(),
        division: form.division.trim().to_owned(),
        lon,
        lat,
        land_use: some(&form.land_use),
        risk_category: some(&form.risk_category),
        watched_enterprise: some(&form.watched_enterprise),
        watched_plot: some(&form.watched_plot),
        established_on: some(&form.established_on),
        moved_on: some(&form.moved_on),
        reason: some(&form.reason),
    })
}

async fn form_page(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    editing: Option<String>,
    form: PointForm,
    errors: FieldErrors,
) -> PageResult {
    let l = Lang::current();
    let divisions = state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| (d.code.to_string(), format!("{} {}", d.code, d.name)))
        .collect();
    let point_types = PointType::ALL
        .iter()
        .map(|t| (t.code().to_owned(), named(t.name_cn(), t.code())))
        .collect();
    let control_levels = ControlLevel::ALL
        .iter()
        .map(|t| (t.code().to_owned(), named(t.name_cn(), t.code())))
        .collect();
    let mut risk = vec![(String::new(), "—".to_owned())];
    risk.extend(RiskAreaCategory::ALL.iter().map(|c| {
        (
            c.code().to_owned(),
            l.t(c.name_cn(), c.name_en()).to_owned(),
        )
    }));
    let mut fields = Vec::new();
    if editing.is_none() {
        fields.push(FormField::input("code", l.t("点位编号", "Point code"), &form.code).required());
    }
    fields.extend([
        FormField::input("name", l.t("名称", "Name"), &form.name).required(),
        FormField::select(
            "point_type",
            l.t("点位类型", "Point type"),
            &form.point_type,
            point_types,
        ),
        FormField::select(
            "control_level",
            l.t("控制级别", "Control level"),
            &form.control_level,
            control_levels,
        ),
        FormField::select(
            "division",
            l.t("县（市）", "County"),
            &form.division,
            divisions,
        ),
        FormField::input(
            "lon",
            l.t("经度（CGCS2000）", "Longitude (CGCS2000)"),
            &form.lon,
        )
        .required()
        .hint(l.t("十进制度，如 102.2451", "decimal degrees, e.g. 102.2451")),
        FormField::input(
            "lat",
            l.t("纬度（CGCS2000）", "Latitude (CGCS2000)"),
            &form.lat,
        )
        .required()
        .hint(l.t("十进制度，如 26.6720", "decimal degrees, e.g. 26.6720")),
        FormField::input(
            "land_use",
            l.t("土地利用（GB/T 21010）", "Land use (GB/T 21010)"),
            &form.land_use,
        )
        .hint(l.t("代码或名称，如 0101 或 水田", "code or name, e.g. 0101")),
        FormField::select(
            "risk_category",
            l.t("风险区类别", "Risk-area category"),
            &form.risk_category,
            risk,
        ),
        FormField::input(
            "watched_enterprise",
            l.t(
                "监测的企业（统一社会信用代码）",
                "Enterprise watched (USCC)",
            ),
            &form.watched_enterprise,
        ),
        FormField::input(
            "watched_plot",
            l.t("监测的地块（编码）", "Plot watched (code)"),
            &form.watched_plot,
        ),
        FormField::input(
            "established_on",
            l.t("设立日期", "Established on"),
            &form.established_on,
        )
        .kind("date"),
    ]);
    if editing.is_some() {
        fields.push(
            FormField::input(
                "moved_on",
                l.t(
                    "迁移日期（位置改变时）",
                    "Moved on (when the location changes)",
                ),
                &form.moved_on,
            )
            .kind("date"),
        );
    }
    let reason = FormField::input("reason", l.t("原因", "Reason"), &form.reason);
    fields.push(if editing.is_some() {
        reason.required()
    } else {
        reason
    });
    let fields = with_errors(fields, &errors);
    let mut res = render(&PointFormPage {
        demo: demo_present(state).await?,
        l,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        editing,
        fields,
        general: errors.of("form"),
        has_errors: !errors.is_empty(),
    })?;
    *res.status_mut() = status;
    Ok(res)
}

const WRITERS: &[Role] = &[Role::Administrator, Role::DataOfficer];

/// `GET /points/new`: the blank form.
pub async fn new_point_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(WRITERS)?;
    let form = PointForm {
        point_type: PointType::Basic.code().into(),
        control_level: ControlLevel::County.code().into(),
        ..PointForm::default()
    };
    form_page(
        &state,
        &actor,
        StatusCode::OK,
        None,
        form,
        FieldErrors::default(),
    )
    .await
}

/// `POST /points/new`: register the point, then go to its page (303); refused: the form again
/// with the errors (422; 409 for a code in use).
pub async fn create_point_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<PointForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let (status, errors) = match request(&form) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match create_record(&state, &actor, req).await {
            Ok(rec) => {
                return Ok(
                    Redirect::to(&format!("/points/{}", rec.point.point.code)).into_response()
                )
            }
            Err(e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_))) => return Err(e.into()),
            Err(ApiError::Conflict(_)) => {
                let mut errors = FieldErrors::default();
                let l = Lang::current();
                errors.push(
                    "code",
                    format!(
                        "{} {}",
                        l.t("已有点位使用编号", "A point already has the code"),
                        form.code.trim()
                    ),
                );

                (StatusCode::CONFLICT, errors)
            }
            Err(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                api_field_errors(&e, &[("location", "lon")]),
            ),
        },
    };
    form_page(&state, &actor, status, None, form, errors).await
}

/// `GET /points/{code}/edit`: the form filled with the point.
pub async fn edit_point_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    actor.require(WRITERS)?;
    let rec = state.store.get_point_record(&code).await?;
    actor
        .require_division(&state, rec.point.point.division)
        .await?;
    let p = &rec.point.point;
    let form = PointForm {
        code: p.code.clone(),
        name: p.name.clone(),
        point_type: p.point_type.code().into(),
        control_level: p.control_level.code().into(),
        division: p.division.to_string(),
        lon: p.location.lon().to_string(),
        lat: p.location.lat().to_string(),
        land_use: p.land_use.map(|u| u.code().to_owned()).unwrap_or_default(),
        risk_category: p.risk_category.clone().unwrap_or_default(),
        watched_enterprise: rec.point.watched_enterprise.clone().unwrap_or_default(),
        watched_plot: rec.point.watched_plot.clone().unwrap_or_default(),
        established_on: p.established_on.map(|d| d.to_string()).unwrap_or_default(),
        moved_on: String::new(),
        reason: String::new(),
    };
    form_page(
        &state,
        &actor,
        StatusCode::OK,
        Some(code),
        form,
        FieldErrors::default(),
    )
    .await
}

/// `POST /points/{code}/edit`: save the point (a new location is a move), then go to its page
/// (303); refused: the form again with the errors (422).
pub async fn update_point_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<PointForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let errors = match request(&form) {
        Err(errors) => errors,
        Ok(req) => match update_record(&state, &actor, &code, req).await {
            Ok(rec) => {
                return Ok(
                    Redirect::to(&format!("/points/{}", rec.point.point.code)).into_response()
                )
            }
            Err(
                e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_) | ApiError::NotFound(_)),
            ) => return Err(e.into()),
            Err(e) => api_field_errors(&e, &[("location", "lon")]),
        },
    };
    form_page(
        &state,
        &actor,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(code),
        form,
        errors,
    )
    .await
}
