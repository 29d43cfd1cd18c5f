//! Pages of the public reports (issue 10): `/public/reports` (the form, no sign-in), its answer
//! with the tracking number, and `/public/reports/track` (status by tracking number); for staff,
//! `/public-reports` (the reports of a county, newest first) and `/public-reports/{id}` (one
//! report with its handling, and the handling form for the county's own bureau). The same
//! functions as `api::public_reports`; every stored text is escaped by the templates.
//!
//! Who sees what on the staff pages is the API's rule: administrators, reviewers and data
//! officers list and read reports; the contact only, and the handling form only, for a data
//! officer or reviewer of a department of the report's county ([`handles`]).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use soilwatch_core::{DivisionCode, DivisionLevel};
use soilwatch_store::public_reports::{
    Handling, HandlingEvent, PublicReport, PublicReportView, ReportStatus, MAX_REPLY,
};
use soilwatch_store::registry::RegistryQuery;
use soilwatch_store::StoreError;

use super::{demo_present, message, render, PageResult};
use crate::api::public_reports::{
    handles, read_report_form, require_staff, submit, ClientKey, MAX_PHOTO_BYTES,
};
use crate::auth::{Actor, MaybeActor};
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "public_report_form.html")]
pub struct ReportFormPage {
    pub counties: Vec<(String, String)>,
    /// `?csrf=` for a signed-in visitor (multipart forms carry it in the query).
    pub action: String,
    pub error: Option<String>,
    pub max_kb: usize,
}

#[derive(Template)]
#[template(path = "public_report_done.html")]
pub struct ReportDonePage {
    pub tracking: String,
    pub county: String,
}

#[derive(Template)]
#[template(path = "public_report_track.html")]
pub struct ReportTrackPage {
    pub tracking: String,
    pub report: Option<PublicReportView>,
    pub county: String,
    pub not_found: bool,
}

async fn counties(state: &AppState) -> Result<Vec<(String, String)>, super::PageError> {
    Ok(state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| (d.code.to_string(), d.name))
        .collect())
}

fn action(actor: &MaybeActor) -> String {
    match actor.0.as_ref().and_then(|a| a.csrf()) {
        Some(c) => format!("/public/reports?csrf={c}"),
        None => "/public/reports".into(),
    }
}

/// `GET /public/reports`: the form.
pub async fn report_form_page(State(state): State<AppState>, actor: MaybeActor) -> PageResult {
    render(&ReportFormPage {
        counties: counties(&state).await?,
        action: action(&actor),
        error: None,
        max_kb: MAX_PHOTO_BYTES / 1024,
    })
}

/// `POST /public/reports`: store the report and answer with its tracking number.
pub async fn submit_report_page(
    State(state): State<AppState>,
    actor: MaybeActor,
    client: ClientKey,
    form: Multipart,
) -> PageResult {
    let outcome = async {
        let r = read_report_form(&state, form, &client).await?;
        submit(&state, &r).await
    }
    .await;
    match outcome {
        Ok(saved) => {
            let county = counties(&state)
                .await?
                .into_iter()
                .find(|(c, _)| *c == saved.division.to_string())
                .map(|(_, n)| n)
                .unwrap_or_default();
            let mut res = render(&ReportDonePage {
                tracking: saved.tracking,
                county,
            })?;
            *res.status_mut() = StatusCode::CREATED;
            Ok(res)
        }
        Err(e) => {
            let status = match e {
                ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
                ApiError::Internal(_) => return Err(e.into()),
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let mut res = render(&ReportFormPage {
                counties: counties(&state).await?,
                action: action(&actor),
                error: Some(message(&e).to_owned()),
                max_kb: MAX_PHOTO_BYTES / 1024,
            })?;
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

/// `?tracking=`
#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    pub tracking: Option<String>,
}

/// `GET /public/reports/track?tracking=`: the status and the public reply.
pub async fn track_page(State(state): State<AppState>, Query(q): Query<TrackQuery>) -> PageResult {
    let tracking = q.tracking.unwrap_or_default().trim().to_owned();
    if tracking.is_empty() {
        return render(&ReportTrackPage {
            tracking,
            report: None,
            county: String::new(),
            not_found: false,
        });
    }
    match state.store.find_public_report(&tracking).await {
        Ok(r) => {
            let v = r.public_view();
            let county = counties(&state)
                .await?
                .into_iter()
                .find(|(c, _)| *c == v.division.to_string())
                .map(|(_, n)| n)
                .unwrap_or_default();
            render(&ReportTrackPage {
                tracking,
                report: Some(v),
                county,
                not_found: false,
            })
        }
        Err(soilwatch_store::StoreError::NotFound { .. }) => {
            let mut res = render(&ReportTrackPage {
                tracking,
                report: None,
                county: String::new(),
                not_found: true,
            })?;
            *res.status_mut() = StatusCode::NOT_FOUND;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// A time in Beijing time (UTC+8), to the minute.
fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    let east8 = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&east8).format("%Y-%m-%d %H:%M").to_string()
}

/// A report as a line of the staff list.
pub struct StaffReportLine {
    pub id: i64,
    pub tracking: String,
    pub created: String,
    pub county: String,
    pub status: &'static str,
    pub description: String,
    pub location: String,
    pub photos: i64,
    /// The contact, for the handling department only.
    pub contact: Option<String>,
    pub handled_here: bool,
}

#[derive(Template)]
#[template(path = "public_reports_staff.html")]
pub struct StaffListPage {
    pub demo: bool,
    pub division: String,
    pub status: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub lines: Vec<StaffReportLine>,
}

/// `?division=&status=` of the staff list.
#[derive(Debug, Default, Deserialize)]
pub struct StaffListQuery {
    /// County or prefecture code; default the user's department's division (all for
    /// administrators and users without one).
    pub division: Option<String>,
    /// `received`, `handling`, `closed` or `rejected`.
    pub status: Option<String>,
}

fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

fn location(r: &PublicReport) -> String {
    match (&r.address, r.lon, r.lat) {
        (Some(a), _, _) => a.clone(),
        (None, Some(x), Some(y)) => format!("{x:.5}, {y:.5}"),
        _ => "—".into(),
    }
}

/// Whether the actor handles reports of each division, asked once per division.
struct HandlerCache<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    known: HashMap<DivisionCode, bool>,
}

impl HandlerCache<'_> {
    async fn handles(&mut self, d: DivisionCode) -> Result<bool, ApiError> {
        if let Some(h) = self.known.get(&d) {
            return Ok(*h);
        }
        let h = handles(self.state, self.actor, d).await?;
        self.known.insert(d, h);
        Ok(h)
    }
}

/// `GET /public-reports?division=&status=`: the reports of a county (staff), newest first; the
/// contact only on the reports the user's department handles.
pub async fn staff_list_page(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<StaffListQuery>,
) -> PageResult {
    require_staff(&actor)?;
    let division: Option<DivisionCode> = match q.division.as_deref().map(str::trim) {
        Some("") | Some("all") => None,
        Some(d) => crate::api::registry_support::division(Some(d))?,
        None => match &actor.user.department {
            Some(code) => Some(state.store.get_department(code).await?.division),
            None => None,
        },
    };
    let status: Option<ReportStatus> = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse()?),
    };
    let names: HashMap<DivisionCode, String> = state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let mut cache = HandlerCache {
        state: &state,
        actor: &actor,
        known: HashMap::new(),
    };
    let mut lines = Vec::new();
    for r in state.store.list_public_reports(division).await? {
        if status.is_some_and(|s| s != r.status) {
            continue;
        }
        let handled_here = cache.handles(r.division).await?;
        lines.push(StaffReportLine {
            id: r.id,
            tracking: r.tracking.clone(),
            created: when(r.created_at),
            county: names.get(&r.division).cloned().unwrap_or_default(),
            status: r.status.name_cn(),
            description: excerpt(&r.description, 60),
            location: location(&r),
            photos: r.photos,
            contact: if handled_here {
                r.contact.clone()
            } else {
                None
            },
            handled_here,
        });
    }
    render(&StaffListPage {
        demo: demo_present(&state).await?,
        division: division.map(|d| d.to_string()).unwrap_or_default(),
        status: status.map(|s| s.code().to_owned()).unwrap_or_default(),
        statuses: ReportStatus::ALL
            .iter()
            .map(|s| (s.code(), s.name_cn()))
            .collect(),
        lines,
    })
}

/// The handling form's fields as submitted (also the values shown again after an error).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct HandlingForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub reply: String,
    #[serde(default)]
    pub plot_code: String,
    #[serde(default)]
    pub enterprise_uscc: String,
}

/// Errors of the handling form, next to their fields; `general` above the form.
#[derive(Debug, Default, Clone)]
pub struct HandlingErrors {
    pub status: Option<String>,
    pub note: Option<String>,
    pub reply: Option<String>,
    pub plot_code: Option<String>,
    pub enterprise_uscc: Option<String>,
    pub general: Option<String>,
}

impl HandlingErrors {
    fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.note.is_none()
            && self.reply.is_none()
            && self.plot_code.is_none()
            && self.enterprise_uscc.is_none()
            && self.general.is_none()
    }

    /// Put a message next to the field it names (`字段 reply: …`), else above the form.
    fn add(&mut self, msg: String) {
        let field = msg
            .strip_prefix("字段 ")
            .and_then(|rest| rest.split(':').next())
            .map(str::trim)
            .unwrap_or_default();
        let slot = match field {
            "status" => &mut self.status,
            "note" => &mut self.note,
            "reply" => &mut self.reply,
            "plot_code" => &mut self.plot_code,
            "enterprise_uscc" => &mut self.enterprise_uscc,
            _ => &mut self.general,
        };
        if slot.is_none() {
            *slot = Some(msg);
        }
    }
}

/// A handling step as a line.
pub struct EventLine {
    pub at: String,
    pub status: &'static str,
    pub actor: String,
    pub note: String,
    pub reply: String,
}

impl From<&HandlingEvent> for EventLine {
    fn from(e: &HandlingEvent) -> Self {
        EventLine {
            at: when(e.at),
            status: e.status.name_cn(),
            actor: e.actor.clone(),
            note: e.note.clone().unwrap_or_default(),
            reply: e.reply.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "public_report_staff.html")]
pub struct StaffReportPage {
    pub demo: bool,
    pub r: PublicReport,
    pub county: String,
    pub created: String,
    pub replied: String,
    pub location: String,
    /// Numbers of the photos (1, 2, …).
    pub photos: Vec<i64>,
    pub events: Vec<EventLine>,
    /// The user's department handles the report: contact and form shown.
    pub handled_here: bool,
    pub csrf: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    /// Registered plots and enterprises of the report's county, to link.
    pub plots: Vec<(String, String)>,
    pub enterprises: Vec<(String, String)>,
    pub form: HandlingForm,
    pub errors: HandlingErrors,
    pub saved: bool,
}

/// `?saved=1` after a handling step was recorded.
#[derive(Debug, Default, Deserialize)]
pub struct StaffReportQuery {
    pub saved: Option<String>,
}

async fn staff_report_page_with(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<HandlingForm>,
    errors: HandlingErrors,
    saved: bool,
) -> PageResult {
    let mut r = state.store.get_public_report(id).await?;
    let handled_here = handles(state, actor, r.division).await?;
    if !handled_here {
        r.contact = None;
    }
    let county = state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .find(|d| d.code == r.division)
        .map(|d| d.name)
        .unwrap_or_default();
    let (plots, enterprises) = if handled_here {
        let q = RegistryQuery {
            division: Some(r.division),
            ..RegistryQuery::default()
        };
        (
            state
                .store
                .list_plots(&q)
                .await?
                .into_iter()
                .map(|p| (p.item.code.clone(), p.item.name))
                .collect(),
            state
                .store
                .list_enterprises(&q)
                .await?
                .into_iter()
                .map(|e| (e.item.uscc.to_string(), e.item.name))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let form = form.unwrap_or_else(|| HandlingForm {
        status: r.status.code().to_owned(),
        note: String::new(),
        reply: String::new(),
        plot_code: r.plot_code.clone().unwrap_or_default(),
        enterprise_uscc: r.enterprise_uscc.clone().unwrap_or_default(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(&StaffReportPage {
        demo: demo_present(state).await?,
        county,
        created: when(r.created_at),
        replied: r.replied_at.map(when).unwrap_or_default(),
        location: location(&r),
        photos: (1..=r.photos).collect(),
        events: state
            .store
            .public_report_events(id)
            .await?
            .iter()
            .map(EventLine::from)
            .collect(),
        handled_here,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        statuses: ReportStatus::ALL
            .iter()
            .map(|s| (s.code(), s.name_cn()))
            .collect(),
        plots,
        enterprises,
        form,
        errors,
        saved,
        r,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /public-reports/{id}`: one report with its handling steps (staff); the contact and the
/// handling form for the county's own bureau only.
pub async fn staff_report_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(q): Query<StaffReportQuery>,
) -> PageResult {
    require_staff(&actor)?;
    staff_report_page_with(
        &state,
        &actor,
        id,
        None,
        HandlingErrors::default(),
        q.saved.is_some(),
    )
    .await
}

/// Check the form on the server; the store checks again (and the links' existence).
fn check_form(f: &HandlingForm) -> (Option<ReportStatus>, HandlingErrors) {
    let mut errors = HandlingErrors::default();
    let status = match f.status.trim().parse::<ReportStatus>() {
        Ok(s) => Some(s),
        Err(StoreError::Invalid(m)) => {
            errors.add(m);
            None
        }
        Err(e) => {
            errors.add(e.to_string());
            None
        }
    };
    if status == Some(ReportStatus::Closed) && f.reply.trim().is_empty() {
        errors.add(
            "字段 reply: 办结须填写公开答复 / field reply: closing a report needs a public reply"
                .into(),
        );
    }
    for (field, text) in [("reply", &f.reply), ("note", &f.note)] {
        let n = text.trim().chars().count();
        if n > MAX_REPLY {
            errors.add(format!(
                "字段 {field}: 不能超过 {MAX_REPLY} 个字符，实为 {n} / field {field}: at most \
                 {MAX_REPLY} characters, found {n}"
            ));
        }
    }
    let uscc = f.enterprise_uscc.trim();
    if !uscc.is_empty() && uscc.parse::<soilwatch_core::Uscc>().is_err() {
        errors.add(format!(
            "字段 enterprise_uscc: '{uscc}' 不是有效的统一社会信用代码 / field enterprise_uscc: \
             '{uscc}' is not a valid unified social credit code"
        ));
    }
    (status, errors)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// `POST /public-reports/{id}`: record a handling step and the public reply (the county's own
/// bureau). Errors are shown next to their fields with the values kept (422); on success the
/// report's page again (303).
pub async fn staff_handle_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Form(f): Form<HandlingForm>,
) -> PageResult {
    require_staff(&actor)?;
    let r = state.store.get_public_report(id).await?;
    if !handles(&state, &actor, r.division).await? {
        return Err(ApiError::Forbidden(format!(
            "无权限：举报由 {} 的生态环境部门办理 / forbidden: the report is handled by a \
             department of {}",
            r.division, r.division
        ))
        .into());
    }
    let (status, mut errors) = check_form(&f);
    if let (Some(status), true) = (status, errors.is_empty()) {
        let h = Handling {
            status,
            note: opt(&f.note),
            reply: opt(&f.reply),
            plot_code: opt(&f.plot_code),
            enterprise_uscc: opt(&f.enterprise_uscc).map(|u| u.to_uppercase()),
        };
        match state
            .store
            .handle_public_report(id, &h, actor.username())
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/public-reports/{id}?saved=1")).into_response())
            }
            Err(StoreError::Invalid(m)) => errors.add(m),
            Err(StoreError::Conflict { detail, .. }) => errors.general = Some(detail),
            Err(e) => return Err(e.into()),
        }
    }
    staff_report_page_with(&state, &actor, id, Some(f), errors, false).await
}
