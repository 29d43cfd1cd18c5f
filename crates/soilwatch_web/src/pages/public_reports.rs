//! Pages of the public reports (issue 10): `/public/reports` (the form, no sign-in), its answer
//! with the tracking number, and `/public/reports/track` (status by tracking number). The same
//! functions as `api::public_reports`; every stored text is escaped by the templates.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use soilwatch_core::DivisionLevel;
use soilwatch_store::public_reports::PublicReportView;

use super::{message, render, PageResult};
use crate::api::public_reports::{read_report_form, submit, ClientKey, MAX_PHOTO_BYTES};
use crate::auth::MaybeActor;
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
