//! Server-rendered pages in Chinese (askama templates under `templates/`), usable without
//! JavaScript. Page handlers call the same functions as the JSON API.

pub mod account;
pub mod admin;
pub mod charts;
pub mod classification;
pub mod coverage;
pub mod dashboard;
pub mod detail;
pub mod form;
pub mod i18n;
pub mod imports;
pub mod lists;
pub mod login;
pub mod overview;
pub mod plot_form;
pub mod point;
pub mod point_form;
pub mod public;
pub mod public_reports;
pub mod registers;
pub mod registry;
pub mod registry_form;
pub mod sample;
pub mod submissions;
pub mod svg;
pub mod table;
pub mod targets;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use crate::AppState;

/// A page that failed: an HTML page with the status of the error.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<soilwatch_store::StoreError> for PageError {
    fn from(e: soilwatch_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, msg) = match self.0 {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::Unauthorized(_) => {
                return axum::response::Redirect::to("/login").into_response();
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m),
            ApiError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            ApiError::Unavailable(m) => {
                tracing::warn!(error = %m, "database unavailable on a page");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "数据库暂时不可用，请稍后重试 / the database is unavailable for the moment; \
                     try again later"
                        .to_owned(),
                )
            }
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error on a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务器内部错误，已记录 / internal error, logged on the server".to_owned(),
                )
            }
        };
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{}</title>\
             <p>{}</p><p><a href=\"/\">返回首页 / home</a></p></html>",
            status.as_u16(),
            svg::esc(&msg)
        );
        (status, Html(body)).into_response()
    }
}

pub type PageResult = Result<Response, PageError>;

/// Render a template as an HTML response.
pub fn render<T: Template>(t: &T) -> PageResult {
    let html = t
        .render()
        .map_err(|e| PageError(ApiError::Internal(format!("template: {e}"))))?;
    Ok(Html(html).into_response())
}

/// Whether the demo banner shows.
pub async fn demo_present(state: &AppState) -> Result<bool, PageError> {
    Ok(state.store.has_demo_data().await?)
}

/// The message of an error.
pub fn message(e: &ApiError) -> &str {
    match e {
        ApiError::BadRequest(m)
        | ApiError::NotFound(m)
        | ApiError::Conflict(m)
        | ApiError::Unprocessable(m)
        | ApiError::Unauthorized(m)
        | ApiError::Forbidden(m)
        | ApiError::TooManyRequests(m)
        | ApiError::PayloadTooLarge(m)
        | ApiError::Unavailable(m)
        | ApiError::Internal(m) => m,
    }
}

/// Errors of a form, each naming its field, shown next to the field's input.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_owned(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages about one field, joined (empty: none).
    pub fn of(&self, field: &str) -> String {
        self.0
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether a field has an error (`aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }
}

/// "—" for nothing.
pub fn or_dash(s: Option<String>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}
