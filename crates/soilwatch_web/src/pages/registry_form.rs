//! `/demolition-plans/new`, `/demolition-plans/{code}/edit`, `/mining-areas/new` and
//! `/mining-areas/{code}/edit`: the forms that file a demolition plan and register a mining area,
//! and edit them (issue 8). Like the plot and point forms they call the API's own functions
//! (`api::demolition::create_demolition_record`, `update_demolition_record`,
//! `api::mining::create_mining_record`, `update_mining_record`: the same checks and store
//! writes, who and why in the history), are allowed to the roles of the API's `POST` and `PUT`,
//! carry the CSRF token and come back with the typed values and each error next to its field in
//! the page's language. The edit forms keep what they do not show (a plan's status and steps and
//! where its document is kept) and send the version read, so a change made meanwhile is a 409.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use soilwatch_core::{DivisionLevel, Uscc};
use soilwatch_store::registry::{Filing, ReportDoc, Versioned};
use soilwatch_store::registry_demolition::DemolitionPlan;
use soilwatch_store::registry_mining::{MiningArea, MiningStatus};
use soilwatch_store::Role;

use super::form::{api_field_errors, with_errors, FormField};
use super::i18n::{pick, Lang};
use super::{demo_present, render, FieldErrors, PageResult};
use crate::api::demolition::{
    create_demolition_record, update_demolition_record, DemolitionWriteRequest,
};
use crate::api::mining::{create_mining_record, update_mining_record, MiningAreaWriteRequest};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A registry record's form page (`templates/record_form.html`).
#[derive(Template)]
#[template(path = "record_form.html")]
pub struct RecordFormPage {
    pub demo: bool,
    pub l: Lang,
    pub csrf: String,
    pub title: String,
    /// What the edit form keeps as stored (empty: nothing to say).
    pub note: &'static str,
    pub action: String,
    pub cancel: String,
    pub editing: bool,
    pub version: String,
    pub fields: Vec<FormField>,
    pub general: String,
    pub has_errors: bool,
}

const WRITERS: &[Role] = &[Role::Administrator, Role::DataOfficer];

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Items separated by `;`, `；`, `、` or new lines.
fn items(s: &str) -> Vec<String> {
    s.split([';', '；', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The fields a form parses itself, each error on its field in the page's language.
#[derive(Default)]
struct Parsed {
    errors: FieldErrors,
}

impl Parsed {
    fn date(&mut self, field: &str, s: &str) -> Option<NaiveDate> {
        let s = some(s)?;
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let l = Lang::current();
                self.errors.push(
                    field,
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
        }
    }

    fn required_date(&mut self, field: &str, s: &str) -> Option<NaiveDate> {
        if some(s).is_none() {
            let l = Lang::current();
            self.errors
                .push(field, l.t("请填写日期", "Enter the date").to_owned());
            return None;
        }
        self.date(field, s)
    }

    fn parse<T: std::str::FromStr>(&mut self, field: &str, s: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        match s.trim().parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(field, pick(&e.to_string()));
                None
            }
        }
    }

    fn number<T: std::str::FromStr>(&mut self, field: &str, s: &str) -> Option<T> {
        let s = some(s)?;
        match s.parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                let l = Lang::current();
                self.errors.push(
                    field,
                    format!(
                        "{} '{s}'",
                        l.t("应为数字，收到", "expected a number, found")
                    ),
                );
                None
            }
        }
    }
}

/// The counties as select options.
async fn counties(state: &AppState) -> Result<Vec<(String, String)>, super::PageError> {
    let mut out = vec![(String::new(), "—".to_owned())];
    out.extend(
        state
            .store
            .list_divisions()
            .await?
            .into_iter()
            .filter(|d| d.level == DivisionLevel::County)
            .map(|d| (d.code.to_string(), format!("{} {}", d.code, d.name))),
    );
    Ok(out)
}

/// What a refused write shows: 409 for a taken code or a newer version (`what`: the record in
/// the message), else 422 with each error on its field.
fn refused(
    e: &ApiError,
    code: &str,
    editing: bool,
    what: (&str, &str),
    aliases: &[(&str, &str)],
) -> (StatusCode, FieldErrors) {
    let l = Lang::current();
    match e {
        ApiError::Conflict(_) if editing => {
            let mut errors = FieldErrors::default();
            errors.push(
                "form",
                format!(
                    "{}{}",
                    l.t(what.0, what.1),
                    l.t(
                        "已被他人修改，请重新打开表单",
                        " was changed meanwhile; open the form again"
                    )
                ),
            );
            (StatusCode::CONFLICT, errors)
        }
        ApiError::Conflict(_) => {
            let mut errors = FieldErrors::default();
            errors.push(
                "code",
                format!(
                    "{} {}",
                    l.t("编码已被使用：", "The code is taken:"),
                    code.trim()
                ),
            );
            (StatusCode::CONFLICT, errors)
        }
        e => (
            StatusCode::UNPROCESSABLE_ENTITY,
            api_field_errors(e, aliases),
        ),
    }
}

/// What a form's write leads to: the answer (303 to the saved record's page, or the error page
/// for who may not write or a record that is gone), or the form shown again with its errors.
enum Saved {
    Done(PageResult),
    Shown(StatusCode, FieldErrors),
}

/// A form's write: 303 to the page `to` names for the saved record, or the refusal to show with
/// the form; who may not write (401, 403) and a record that is gone (404) get the error page.
fn saved<T>(
    written: ApiResult<T>,
    to: impl FnOnce(T) -> String,
    refusal: impl FnOnce(&ApiError) -> (StatusCode, FieldErrors),
) -> Saved {
    match written {
        Ok(rec) => Saved::Done(Ok(Redirect::to(&to(rec)).into_response())),
        Err(e @ (ApiError::Forbidden(_) | ApiError::Unauthorized(_) | ApiError::NotFound(_))) => {
            Saved::Done(Err(e.into()))
        }
        Err(e) => {
            let (status, errors) = refusal(&e);
            Saved::Shown(status, errors)
        }
    }
}

/// Render a form page with `status`.
#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
async fn page(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    title: String,
    note: &'static str,
    (action, cancel): (String, String),
    version: Option<&str>,
    fields: Vec<FormField>,
    errors: &FieldErrors,
) -> PageResult {
    let mut res = render(&RecordFormPage {
        demo: demo_present(state).await?,
        l: Lang::current(),
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        title,
        note,
        action,
        cancel,
        editing: version.is_some(),
        version: version.unwrap_or_default().to_owned(),
        fields: with_errors(fields, errors),
        general: errors.of("form"),
        has_errors: !errors.is_empty(),
    })?;
    *res.status_mut() = status;
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Demolition plans.

/// The demolition-plan form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DemolitionForm {
    pub code: String,
    pub enterprise_uscc: String,
    /// Separated by `;` or `、`.
    pub facilities: String,
    pub cleanup_plan_title: String,
    pub cleanup_plan_organisation: String,
    pub cleanup_plan_number: String,
    pub cleanup_plan_issued_on: String,
    pub filing_bureau: String,
    pub filed_on: String,
    pub filing_number: String,
    pub planned_start: String,
    pub note: String,
    pub version: String,
    pub reason: String,
}

/// A demolition plan in messages.
const PLAN: (&str, &str) = ("拆除方案", "The demolition plan");

/// Where a saved plan goes: the list of its enterprise's plans.
fn plan_list(rec: Versioned<DemolitionPlan>) -> String {
    format!("/demolition-plans?enterprise={}", rec.item.enterprise_uscc)
}

/// The API's field names → the form's.
const DEMOLITION_ALIASES: &[(&str, &str)] = &[
    ("cleanup_plan.title", "cleanup_plan_title"),
    ("filing.bureau", "filing_bureau"),
    ("filing.filed_on", "filed_on"),
];

fn demolition_request(
    form: &DemolitionForm,
    current: Option<&DemolitionPlan>,
    editing: Option<&str>,
) -> Result<DemolitionWriteRequest, FieldErrors> {
    let mut p = Parsed::default();
    let issued_on = p.date("cleanup_plan_issued_on", &form.cleanup_plan_issued_on);
    let filed_on = p.required_date("filed_on", &form.filed_on);
    let planned_start = p.required_date("planned_start", &form.planned_start);
    let (Some(filed_on), Some(planned_start)) = (filed_on, planned_start) else {
        return Err(p.errors);
    };
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    Ok(DemolitionWriteRequest {
        code: editing.map(str::to_owned).or_else(|| some(&form.code)),
        enterprise_uscc: form.enterprise_uscc.trim().to_owned(),
        facilities: items(&form.facilities),
        cleanup_plan: ReportDoc {
            title: form.cleanup_plan_title.trim().to_owned(),
            number: some(&form.cleanup_plan_number),
            organisation: some(&form.cleanup_plan_organisation),
            issued_on,
            file: current.and_then(|c| c.cleanup_plan.file.clone()),
        },
        filing: Filing {
            bureau: form.filing_bureau.trim().to_owned(),
            filed_on,
            number: some(&form.filing_number),
        },
        planned_start,
        note: some(&form.note),
        version: some(&form.version).and_then(|v| v.parse().ok()),
        reason: some(&form.reason),
    })
}

async fn demolition_page(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    editing: Option<&str>,
    form: &DemolitionForm,
    errors: &FieldErrors,
) -> PageResult {
    let l = Lang::current();
    let mut fields = Vec::new();
    if editing.is_none() {
        fields.push(FormField::input("code", l.t("方案编号", "Plan code"), &form.code).required());
    }
    fields.extend([
        FormField::input(
            "enterprise_uscc",
            l.t("企业统一社会信用代码", "Enterprise USCC"),
            &form.enterprise_uscc,
        )
        .required()
        .hint(l.t(
            "已登记的重点监管企业",
            "a registered key supervised enterprise",
        )),
        FormField::input(
            "facilities",
            l.t(
                "拟拆除的设施、设备或建（构）筑物",
                "Facilities to be demolished",
            ),
            &form.facilities,
        )
        .required()
        .hint(l.t("多项用 ; 或 、 分隔", "several separated by ; or 、")),
        FormField::input(
            "cleanup_plan_title",
            l.t(
                "残留污染物清理和安全处置方案名称",
                "Residual-pollutant clean-up plan title",
            ),
            &form.cleanup_plan_title,
        )
        .required(),
        FormField::input(
            "cleanup_plan_organisation",
            l.t("方案编制单位", "Written by"),
            &form.cleanup_plan_organisation,
        ),
        FormField::input(
            "cleanup_plan_number",
            l.t("方案文号", "Document number"),
            &form.cleanup_plan_number,
        ),
        FormField::input(
            "cleanup_plan_issued_on",
            l.t("方案编制日期", "Plan issued on"),
            &form.cleanup_plan_issued_on,
        )
        .kind("date"),
        FormField::input(
            "filing_bureau",
            l.t("备案机关", "Filed with"),
            &form.filing_bureau,
        )
        .required(),
        FormField::input("filed_on", l.t("备案日期", "Filed on"), &form.filed_on)
            .kind("date")
            .required(),
        FormField::input(
            "filing_number",
            l.t("备案号", "Filing number"),
            &form.filing_number,
        ),
        FormField::input(
            "planned_start",
            l.t("计划开工日期", "Planned start"),
            &form.planned_start,
        )
        .kind("date")
        .required()
        .hint(l.t("不早于备案日期", "not before the filing date")),
        FormField::input(
            "note",
            l.t("备注（不公开）", "Note (not public)"),
            &form.note,
        ),
        FormField::input("reason", l.t("原因", "Reason"), &form.reason).required(),
    ]);
    let (title, action, cancel) = match editing {
        Some(c) => (
            format!("{} {c}", l.t("修改拆除方案", "Edit demolition plan")),
            format!("/demolition-plans/{c}/edit"),
            "/demolition-plans".to_owned(),
        ),
        None => (
            l.t("备案拆除活动污染防治方案", "File a demolition plan")
                .to_owned(),
            "/demolition-plans/new".to_owned(),
            "/demolition-plans".to_owned(),
        ),
    };
    let note = if editing.is_some() {
        l.t(
            "方案状态和各步骤不在此修改（POST /api/v1/demolition-plans/{code}/status），保存时保持不变。",
            "The plan's status and steps are not edited here (POST /api/v1/demolition-plans/{code}/status) and are kept as they are.",
        )
    } else {
        ""
    };
    page(
        state,
        actor,
        status,
        title,
        note,
        (action, cancel),
        editing.map(|_| form.version.as_str()),
        fields,
        errors,
    )
    .await
}

/// `GET /demolition-plans/new`: the blank form.
pub async fn new_demolition_plan_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(WRITERS)?;
    demolition_page(
        &state,
        &actor,
        StatusCode::OK,
        None,
        &DemolitionForm::default(),
        &FieldErrors::default(),
    )
    .await
}

/// `POST /demolition-plans/new`: file the plan, then go to the list of its enterprise (303).
pub async fn create_demolition_plan_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<DemolitionForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let (status, errors) = match demolition_request(&form, None, None) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match saved(
            create_demolition_record(&state, &actor, req).await,
            plan_list,
            |e| refused(e, &form.code, false, PLAN, DEMOLITION_ALIASES),
        ) {
            Saved::Shown(status, errors) => (status, errors),
            Saved::Done(answer) => return answer,
        },
    };
    demolition_page(&state, &actor, status, None, &form, &errors).await
}

/// `GET /demolition-plans/{code}/edit`: the form filled with the plan and its version.
pub async fn edit_demolition_plan_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    actor.require(WRITERS)?;
    let rec = state.store.get_demolition_plan(&code).await?;
    actor.require_division(&state, rec.item.division).await?;
    let p = &rec.item;
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let form = DemolitionForm {
        code: p.code.clone(),
        enterprise_uscc: p.enterprise_uscc.to_string(),
        facilities: p.facilities.join("；"),
        cleanup_plan_title: p.cleanup_plan.title.clone(),
        cleanup_plan_organisation: p.cleanup_plan.organisation.clone().unwrap_or_default(),
        cleanup_plan_number: p.cleanup_plan.number.clone().unwrap_or_default(),
        cleanup_plan_issued_on: date(p.cleanup_plan.issued_on),
        filing_bureau: p.filing.bureau.clone(),
        filed_on: p.filing.filed_on.to_string(),
        filing_number: p.filing.number.clone().unwrap_or_default(),
        planned_start: p.planned_start.to_string(),
        note: p.note.clone().unwrap_or_default(),
        version: rec.version.to_string(),
        reason: String::new(),
    };
    demolition_page(
        &state,
        &actor,
        StatusCode::OK,
        Some(&code),
        &form,
        &FieldErrors::default(),
    )
    .await
}

/// `POST /demolition-plans/{code}/edit`: save the plan's filed facts (303 to the list).
pub async fn update_demolition_plan_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<DemolitionForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let current = state.store.get_demolition_plan(&code).await?;
    actor
        .require_division(&state, current.item.division)
        .await?;
    let (status, errors) = match demolition_request(&form, Some(&current.item), Some(&code)) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match saved(
            update_demolition_record(&state, &actor, &code, req).await,
            plan_list,
            |e| refused(e, &code, true, PLAN, DEMOLITION_ALIASES),
        ) {
            Saved::Shown(status, errors) => (status, errors),
            Saved::Done(answer) => return answer,
        },
    };
    demolition_page(&state, &actor, status, Some(&code), &form, &errors).await
}

// ---------------------------------------------------------------------------------------------
// Mining areas.

/// A mining area in messages.
const AREA: (&str, &str) = ("矿区", "The mining area");

/// Where a saved area goes: its page.
fn area_page(rec: Versioned<MiningArea>) -> String {
    format!("/mining-areas/{}", rec.item.code)
}

/// The mining-area form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MiningForm {
    pub code: String,
    pub name: String,
    pub enterprise_uscc: String,
    pub enterprise_name: String,
    pub mineral: String,
    pub division: String,
    pub lon: String,
    pub lat: String,
    pub status: String,
    /// `yes` or `no`.
    pub associated_radioactivity: String,
    pub monitoring_since: String,
    /// Separated by `;` or `、`.
    pub point_codes: String,
    pub note: String,
    pub version: String,
    pub reason: String,
}

fn mining_request(
    form: &MiningForm,
    editing: Option<&str>,
) -> Result<MiningAreaWriteRequest, FieldErrors> {
    let l = Lang::current();
    let mut p = Parsed::default();
    let division = match form.division.trim().parse() {
        Ok(d) => Some(d),
        Err(_) => {
            p.errors
                .push("division", l.t("请选择县（市）", "Choose a county"));
            None
        }
    };
    let uscc = some(&form.enterprise_uscc).and_then(|u| p.parse::<Uscc>("enterprise_uscc", &u));
    let status = p.parse::<MiningStatus>("status", &form.status);
    let radioactive = match form.associated_radioactivity.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            p.errors.push(
                "associated_radioactivity",
                l.t("请选择是或否", "Choose yes or no"),
            );
            None
        }
    };
    let since = p.number::<i32>("monitoring_since", &form.monitoring_since);
    let lon = p.number::<f64>("lon", &form.lon);
    let lat = p.number::<f64>("lat", &form.lat);
    let (Some(division), Some(status), Some(radioactive)) = (division, status, radioactive) else {
        return Err(p.errors);
    };
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    Ok(MiningAreaWriteRequest {
        code: editing.map(str::to_owned).or_else(|| some(&form.code)),
        name: form.name.trim().to_owned(),
        enterprise_uscc: uscc,
        enterprise_name: some(&form.enterprise_name),
        mineral: form.mineral.trim().to_owned(),
        division,
        lon,
        lat,
        status,
        associated_radioactivity: radioactive,
        monitoring_since: since,
        point_codes: items(&form.point_codes),
        note: some(&form.note),
        version: some(&form.version).and_then(|v| v.parse().ok()),
        reason: some(&form.reason),
    })
}

async fn mining_page(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    editing: Option<&str>,
    form: &MiningForm,
    errors: &FieldErrors,
) -> PageResult {
    let l = Lang::current();
    let mut statuses = vec![(String::new(), "—".to_owned())];
    statuses.extend(MiningStatus::ALL.iter().map(|s| {
        (
            s.code().to_owned(),
            l.t(s.name_cn(), s.name_en()).to_owned(),
        )
    }));
    let yes_no = vec![
        (String::new(), "—".to_owned()),
        ("yes".to_owned(), l.t("是", "yes").to_owned()),
        ("no".to_owned(), l.t("否", "no").to_owned()),
    ];
    let mut fields = Vec::new();
    if editing.is_none() {
        fields.push(FormField::input("code", l.t("矿区编码", "Area code"), &form.code).required());
    }
    fields.extend([
        FormField::input("name", l.t("名称", "Name"), &form.name).required(),
        FormField::input(
            "enterprise_uscc",
            l.t("企业统一社会信用代码", "Enterprise USCC"),
            &form.enterprise_uscc,
        ),
        FormField::input(
            "enterprise_name",
            l.t("开采企业", "Mining enterprise"),
            &form.enterprise_name,
        ),
        FormField::input("mineral", l.t("矿种", "Mineral"), &form.mineral).required(),
        FormField::select(
            "division",
            l.t("县（市）", "County"),
            &form.division,
            counties(state).await?,
        ),
        FormField::input(
            "lon",
            l.t("经度（不公开）", "Longitude (not public)"),
            &form.lon,
        )
        .kind("number"),
        FormField::input(
            "lat",
            l.t("纬度（不公开）", "Latitude (not public)"),
            &form.lat,
        )
        .kind("number"),
        FormField::select("status", l.t("状态", "Status"), &form.status, statuses),
        FormField::select(
            "associated_radioactivity",
            l.t("伴生放射性矿", "Associated radioactivity"),
            &form.associated_radioactivity,
            yes_no,
        ),
        FormField::input(
            "monitoring_since",
            l.t("辐射监测起始年份", "First monitoring year"),
            &form.monitoring_since,
        )
        .kind("number")
        .hint(l.t("伴生放射性矿必填", "required with associated radioactivity")),
        FormField::input(
            "point_codes",
            l.t("辐射监测点位（不公开）", "Monitoring points (not public)"),
            &form.point_codes,
        )
        .hint(l.t(
            "点位编码，多个用 ; 或 、 分隔",
            "point codes, separated by ; or 、",
        )),
        FormField::input(
            "note",
            l.t("备注（不公开）", "Note (not public)"),
            &form.note,
        ),
        FormField::input("reason", l.t("原因", "Reason"), &form.reason).required(),
    ]);
    let (title, action, cancel) = match editing {
        Some(c) => (
            format!("{} {c}", l.t("修改矿区", "Edit mining area")),
            format!("/mining-areas/{c}/edit"),
            format!("/mining-areas/{c}"),
        ),
        None => (
            l.t("登记矿区", "Register a mining area").to_owned(),
            "/mining-areas/new".to_owned(),
            "/mining-areas".to_owned(),
        ),
    };
    page(
        state,
        actor,
        status,
        title,
        "",
        (action, cancel),
        editing.map(|_| form.version.as_str()),
        fields,
        errors,
    )
    .await
}

/// `GET /mining-areas/new`: the blank form.
pub async fn new_mining_area_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    actor.require(WRITERS)?;
    mining_page(
        &state,
        &actor,
        StatusCode::OK,
        None,
        &MiningForm::default(),
        &FieldErrors::default(),
    )
    .await
}

/// `POST /mining-areas/new`: register the area, then go to its page (303).
pub async fn create_mining_area_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<MiningForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let (status, errors) = match mining_request(&form, None) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match saved(
            create_mining_record(&state, &actor, req).await,
            area_page,
            |e| refused(e, &form.code, false, AREA, &[]),
        ) {
            Saved::Shown(status, errors) => (status, errors),
            Saved::Done(answer) => return answer,
        },
    };
    mining_page(&state, &actor, status, None, &form, &errors).await
}

/// `GET /mining-areas/{code}/edit`: the form filled with the area and its version.
pub async fn edit_mining_area_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    actor.require(WRITERS)?;
    let rec = state.store.get_mining_area(&code).await?;
    actor.require_division(&state, rec.item.division).await?;
    let a: &MiningArea = &rec.item;
    let form = MiningForm {
        code: a.code.clone(),
        name: a.name.clone(),
        enterprise_uscc: a
            .enterprise_uscc
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default(),
        enterprise_name: a.enterprise_name.clone().unwrap_or_default(),
        mineral: a.mineral.clone(),
        division: a.division.to_string(),
        lon: a.location.map(|p| p.lon().to_string()).unwrap_or_default(),
        lat: a.location.map(|p| p.lat().to_string()).unwrap_or_default(),
        status: a.status.code().to_owned(),
        associated_radioactivity: if a.associated_radioactivity {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
        monitoring_since: a
            .monitoring_since
            .map(|y| y.to_string())
            .unwrap_or_default(),
        point_codes: a.point_codes.join("；"),
        note: a.note.clone().unwrap_or_default(),
        version: rec.version.to_string(),
        reason: String::new(),
    };
    mining_page(
        &state,
        &actor,
        StatusCode::OK,
        Some(&code),
        &form,
        &FieldErrors::default(),
    )
    .await
}

/// `POST /mining-areas/{code}/edit`: save the area, then go to its page (303).
pub async fn update_mining_area_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Form(form): Form<MiningForm>,
) -> PageResult {
    actor.require(WRITERS)?;
    let current = state.store.get_mining_area(&code).await?;
    actor
        .require_division(&state, current.item.division)
        .await?;
    let (status, errors) = match mining_request(&form, Some(&code)) {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok(req) => match saved(
            update_mining_record(&state, &actor, &code, req).await,
            area_page,
            |e| refused(e, &code, true, AREA, &[]),
        ) {
            Saved::Shown(status, errors) => (status, errors),
            Saved::Done(answer) => return answer,
        },
    };
    mining_page(&state, &actor, status, Some(&code), &form, &errors).await
}
