//! `/plots/new` and `/plots/{code}/edit`: the forms that register a (suspected) contaminated plot
//! and edit its facts (issue 7). They call the API's own functions (`api::plots::
//! create_plot_record`, `update_plot_record`: the same checks and store writes, who and why in
//! the plot's history), are allowed to the roles of `POST /api/v1/plots` and
//! `PUT /api/v1/plots/{code}`, carry the CSRF token and come back with the typed values and each
//! error next to its field. The edit form changes the plain facts (name, county, address, former
//! and planned use, industry); what it does not show (boundary, responsible party, successors,
//! negative list, control area, linked samples and points) is kept as stored, and the version
//! read guards against a lost update (409).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use soilwatch_core::DivisionLevel;
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::Role;

use super::form::{api_field_errors, with_errors, FormField};
use super::i18n::Lang;
use super::{demo_present, render, FieldErrors, PageResult};
use crate::api::plots::{create_plot_record, update_plot_record, PlotWriteRequest};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

/// The plot form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlotForm {
    pub code: String,
    pub name: String,
    pub division: String,
    pub address: String,
    pub former_use: String,
    pub industry: String,
    pub planned_use: String,
    pub identified_on: String,
    /// The version read (edit).
    pub version: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "plot_form.html")]
pub struct PlotFormPage {
    pub demo: bool,
    pub l: Lang,
    pub csrf: String,
    pub editing: Option<String>,
    pub version: String,
    pub fields: Vec<FormField>,
    pub general: String,
    pub has_errors: bool,
}

const WRITERS: &[Role] = &[Role::Administrator, Role::DataOfficer];

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The API's request from the form over the stored plot (edit) or a new one; or the errors of
/// the fields the form parses itself (county, industry, date, version).
fn request(
    form: &PlotForm,
    current: Option<Plot>,
    editing: Option<&str>,
) -> Result<PlotWriteRequest, FieldErrors> {
    let l = Lang::current();
    let mut errors = FieldErrors::default();
    let division = match form.division.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push("division", l.t("请选择县（市）", "Choose a county"));
            None
        }
    };
    let industry = match some(&form.industry) {
        None => None,
        Some(s) => match s.parse::<Industry>() {
            Ok(i) => Some(i),
            Err(e) => {
                errors.push("industry", super::i18n::pick(&e.to_string()));
                None
            }
        },
    };
    let identified_on = match some(&form.identified_on) {
        None => None,
        Some(s) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(
                    "identified_on",
                    format!(
                        "{} '{s}'",
                        l.t(
                            "应为日期 YYYY-MM-DD，收到",
                            "expected a date YYYY-MM-DD, found"
                        )
                    ),
                );
                None
            }
        },
    };
    let version = some(&form.version).and_then(|v| v.parse::<i64>().ok());
    let Some(division) = division.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let keep = current.unwrap_or_else(|| Plot::new("", "", division));
    Ok(PlotWriteRequest {
        code: editing.map(str::to_owned).or_else(|| some(&form.code)),
        name: form.name.trim().to_owned(),
        division,
        address: some(&form.address),
        boundary: keep.boundary,
        former_use: some(&form.former_use),
        industry,
        responsible_party: keep.responsible_party,
        successors: keep.successors,
        planned_use: some(&form.planned_use),
        negative_list: keep.negative_list,
        control_area: keep.control_area,
        sample_codes: keep.sample_codes,
        point_codes: keep.point_codes,
        identified_on,
        version,
        reason: some(&form.reason),
    })
}

async fn form_page(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    editing: Option<String>,
    form: PlotForm,
    errors: FieldErrors,
) -> PageResult {
    let l = Lang::current();
    let mut divisions = vec![(String::new(), "—".to_owned())];
    divisions.extend(
        state
            .store
            .list_divisions()
            .await?
            .into_iter()
            .filter(|d| d.level == DivisionLevel::County)
            .map(|d| (d.code.to_string(), format!("{} {}", d.code, d.name))),
    );
    let mut industries = vec![(String::new(), "—".to_owned())];
    industries.extend(Industry::ALL.iter().map(|i| {
        (
            i.code().to_owned(),
            l.t(i.name_cn(), i.name_en()).to_owned(),
        )
    }));
    let mut fields = Vec::new();
    if editing.is_none() {
        fields.push(FormField::input("code", l.t("地块编码", "Plot code"), &form.code).required());
    }
    fields.extend([
        FormField::input("name", l.t("名称", "Name"), &form.name).required(),
        FormField::select(
            "division",
            l.t("县（市）", "County"),
            &form.division,
            divisions,
        ),
        FormField::input("address", l.t("地址", "Address"), &form.address),
        FormField::input("former_use", l.t("原用途", "Former use"), &form.former_use),
        FormField::select(
            "industry",
            l.t("行业", "Industry"),
            &form.industry,
            industries,
        ),
        FormField::input(
            "planned_use",
            l.t("规划用途（GB 50137 代码）", "Planned use (GB 50137 code)"),
            &form.planned_use,
        )
        .hint(l.t("如 R2、A33、M1", "e.g. R2, A33, M1")),
    ]);
    if editing.is_none() {
        fields.push(
            FormField::input(
                "identified_on",
                l.t("识别为疑似地块的日期", "Identified as suspected on"),
                &form.identified_on,
            )
            .kind("date")
            .hint(l.t("默认今天", "default today")),
        );
    }
    fields.push(FormField::input("reason", l.t("原因", "Reason"), &form.reason).required());
    let fields = with_errors(fields, &errors);
    let mut res = render(&PlotFormPage {
        demo: demo_present(state).await?,
        l,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        editing,
        version: form.version.clone(),
        fields,
        general: errors.of("form"),
        has_errors: !errors.is_empty(),
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /plots/new`: the blank form.
pub async fn new_plot_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(WRITERS)?;
    form_page(
        &state,
        &actor,
        StatusCode::OK,
        None,
        PlotForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// What a refused write shows: 409 for a taken code or a newer version, else 422.
fn refused(e: &ApiError, form: &PlotForm, editing: bool) -> (StatusCode, FieldErrors) {
    let l = Lang::current();
    match e {
        ApiError::Conflict(_) => {
            let mut errors = FieldErrors::default();
            if editing {
                errors.push(
                    "form",
                    l.t(
                        "地块已被他人修改，请重新打开表单",
                        "The plot was changed meanwhile; open the form again",
                    ),
                );
            } else {
                errors.push(
                    "code",
                    format!(
                        "{} {}",
                        l.t("已有地块使用编码", "A plot already has the code"),
                        form.code.trim()
                    ),
                );
            }
            (StatusCode::CONFLICT, errors)
        }
        e => (StatusCode::UNPROCESSABLE_ENTITY, api_field_errors(e, &[])),
    }
}

/// `POST /plots/new`: register the plot, then go to its page (303).
pub async fn create_plot_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<PlotForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let (status, errors) = match request(&form, None, None) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match create_plot_record(&state, &actor, req).await {
            Ok(rec) => {
                return Ok(Redirect::to(&format!("/plots/{}", rec.item.code)).into_response())
            }
            Err(e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_))) => return Err(e.into()),
            Err(e) => refused(&e, &form, false),
        },
    };
    form_page(&state, &actor, status, None, form, errors).await
}

/// `GET /plots/{code}/edit`: the form filled with the plot and its version.
pub async fn edit_plot_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    actor.require(WRITERS)?;
    let rec = state.store.get_plot(&code).await?;
    actor.require_division(&state, rec.item.division).await?;
    let p = &rec.item;
    let form = PlotForm {
        code: p.code.clone(),
        name: p.name.clone(),
        division: p.division.to_string(),
        address: p.address.clone().unwrap_or_default(),
        former_use: p.former_use.clone().unwrap_or_default(),
        industry: p.industry.map(|i| i.code().to_owned()).unwrap_or_default(),
        planned_use: p.planned_use.clone().unwrap_or_default(),
        identified_on: String::new(),
        version: rec.version.to_string(),
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

/// `POST /plots/{code}/edit`: save the plot's facts, then go to its page (303).
pub async fn update_plot_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<PlotForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let current = state.store.get_plot(&code).await?;
    actor
        .require_division(&state, current.item.division)
        .await?;
    let (status, errors) = match request(&form, Some(current.item), Some(&code)) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match update_plot_record(&state, &actor, &code, req).await {
            Ok(rec) => {
                return Ok(Redirect::to(&format!("/plots/{}", rec.item.code)).into_response())
            }
            Err(
                e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_) | ApiError::NotFound(_)),
            ) => return Err(e.into()),
            Err(e) => refused(&e, &form, true),
        },
    };
    form_page(&state, &actor, status, Some(code), form, errors).await
}
