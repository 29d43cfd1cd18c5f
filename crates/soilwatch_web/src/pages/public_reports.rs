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

use super::i18n::Lang;
use super::svg::{draw_map, MapArea, MapFrame, MapSpec};
use super::{demo_present, message, render, PageResult};
use crate::api::public_reports::{
    check_report, coordinate, county_at, handles, read_report_fields, require_staff, submit,
    ClientKey, ReportFields, MAX_PHOTO_BYTES,
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
    /// Where a click on the map goes (the same form, shown again with the location filled in).
    pub locate_action: String,
    pub error: Option<String>,
    /// What a click on the map chose.
    pub notice: Option<String>,
    pub max_kb: usize,
    /// The values typed so far (kept when the form comes back).
    pub v: FormValues,
    /// `src` of the map: the county map with the chosen location marked.
    pub map_src: String,
    pub map_width: u32,
}

/// The text fields of the form as typed.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub lon: String,
    pub lat: String,
    pub division: String,
    pub address: String,
    pub description: String,
    pub contact: String,
}

impl FormValues {
    fn of(f: &ReportFields) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            lon: s(&f.lon),
            lat: s(&f.lat),
            division: s(&f.division),
            address: s(&f.address),
            description: f.description.clone(),
            contact: s(&f.contact),
        }
    }
}

/// Width in pixels of the form's map.
pub const REPORT_MAP_WIDTH: u32 = 560;

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

fn action(actor: &MaybeActor, path: &str) -> String {
    match actor.0.as_ref().and_then(|a| a.csrf()) {
        Some(c) => format!("{path}?csrf={c}"),
        None => path.into(),
    }
}

/// The form page with these values, an error or a notice.
async fn form_page(
    state: &AppState,
    actor: &MaybeActor,
    v: FormValues,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let located = coordinate("lon", &v.lon)
        .ok()
        .zip(coordinate("lat", &v.lat).ok());
    let map_src = match located {
        Some((lon, lat)) => format!("/public/reports/map.svg?lon={lon}&lat={lat}"),
        None => "/public/reports/map.svg".into(),
    };
    render(&ReportFormPage {
        counties: counties(state).await?,
        action: action(actor, "/public/reports"),
        locate_action: action(actor, "/public/reports/locate"),
        error,
        notice,
        max_kb: MAX_PHOTO_BYTES / 1024,
        v,
        map_src,
        map_width: REPORT_MAP_WIDTH,
    })
}

/// The county boundaries of the form's map and where they are drawn: the extent of all
/// counties, [`REPORT_MAP_WIDTH`] pixels wide (the same frame for the picture and the click).
async fn report_map(
    state: &AppState,
) -> Result<
    (
        Vec<soilwatch_core::Division>,
        Option<(geo::Rect<f64>, MapFrame)>,
    ),
    super::PageError,
> {
    use geo::BoundingRect;
    let counties: Vec<_> = state
        .store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County && d.boundary.is_some())
        .collect();
    let ext = counties
        .iter()
        .filter_map(|d| d.boundary.as_ref().and_then(|b| b.bounding_rect()))
        .reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        });
    let framed = ext.and_then(|e| MapFrame::new(e, f64::from(REPORT_MAP_WIDTH)).map(|f| (e, f)));
    Ok((counties, framed))
}

/// `?lon=&lat=` of the form's map.
#[derive(Debug, Deserialize)]
pub struct MapQuery {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// `GET /public/reports/map.svg`: the counties of the prefecture (boundaries only, no points),
/// with the chosen location marked; the picture the form's map click is made on.
pub async fn report_map_svg(
    State(state): State<AppState>,
    Query(q): Query<MapQuery>,
) -> Result<axum::response::Response, super::PageError> {
    let (counties, framed) = report_map(&state).await?;
    let areas = counties
        .iter()
        .filter_map(|d| {
            Some(MapArea {
                boundary: d.boundary.as_ref()?,
                fill: "#e8f0e0".into(),
                label: Some((d.name.clone(), String::new())),
                href: None,
                title: d.name.clone(),
                emphasis: false,
            })
        })
        .collect();
    let svg = draw_map(&MapSpec {
        label: "凉山州各县（市）：点击选择位置 / counties: click to choose the location".into(),
        areas,
        dots: Vec::new(),
        extent: framed.as_ref().map(|(e, _)| *e),
        legend_title: "点击地图选择举报位置 / click the map to choose the location".into(),
        legend: Vec::new(),
        width: f64::from(REPORT_MAP_WIDTH),
        lang: Lang::Zh,
        marker: q
            .lon
            .zip(q.lat)
            .filter(|(x, y)| x.is_finite() && y.is_finite()),
    });
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

/// `POST /public/reports/locate`: a click on the form's map. The form comes back with every
/// value kept, the clicked longitude/latitude (CGCS2000, 5 decimals, about a metre; a pixel
/// is about 670 m) and its county filled in; nothing is stored. Photos cannot be kept by a
/// browser and must be chosen again (the page says so).
pub async fn locate_page(
    State(state): State<AppState>,
    actor: MaybeActor,
    form: Multipart,
) -> PageResult {
    let fields = read_report_fields(form).await?;
    let mut v = FormValues::of(&fields);
    let had_photos = !fields.photos.is_empty() || fields.photo_error.is_some();
    let (_, framed) = report_map(&state).await?;
    let clicked = fields
        .map_click
        .zip(framed)
        .and_then(|((x, y), (_, frame))| frame.to_lon_lat(x, y));
    let county = match clicked {
        Some((lon, lat)) => county_at(&state, lon, lat)
            .await
            .ok()
            .map(|c| (lon, lat, c)),
        None => None,
    };
    let Some((lon, lat, code)) = county else {
        let mut res = form_page(
            &state,
            &actor,
            v,
            Some(
                "所点位置不在本州任何县（市）内，请在县（市）范围内点击 / \
                 the place clicked is not inside a county of the prefecture: click inside one"
                    .into(),
            ),
            None,
        )
        .await?;
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    v.lon = format!("{lon:.5}");
    v.lat = format!("{lat:.5}");
    v.division = code.to_string();
    let name = counties(&state)
        .await?
        .into_iter()
        .find(|(c, _)| *c == v.division)
        .map(|(_, n)| n)
        .unwrap_or_default();
    let mut notice = format!(
        "已选定位置：{name}，经度 {} 纬度 {} / location chosen: {name}, longitude {} latitude {}",
        v.lon, v.lat, v.lon, v.lat
    );
    if had_photos {
        notice.push_str("。照片请重新选择 / please choose the photos again");
    }
    form_page(&state, &actor, v, None, Some(notice)).await
}

/// `GET /public/reports`: the form.
pub async fn report_form_page(State(state): State<AppState>, actor: MaybeActor) -> PageResult {
    form_page(&state, &actor, FormValues::default(), None, None).await
}

/// `POST /public/reports`: store the report and answer with its tracking number.
pub async fn submit_report_page(
    State(state): State<AppState>,
    actor: MaybeActor,
    client: ClientKey,
    form: Multipart,
) -> PageResult {
    let fields = read_report_fields(form).await?;
    let v = FormValues::of(&fields);
    let outcome = async {
        let r = check_report(&state, fields, &client).await?;
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
            let mut res = form_page(&state, &actor, v, Some(message(&e).to_owned()), None).await?;
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
