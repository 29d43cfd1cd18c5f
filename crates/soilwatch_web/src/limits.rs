//! Limits on what one request may ask (issue 13): the size of a request body, the size of an
//! upload, the rows of an imported file, the `limit` query parameter of the API and the time a
//! request may take. Each refusal is a clear error in Chinese and English: JSON under `/api/`,
//! a small page elsewhere.
//!
//! The body limits are enforced twice: a declared `Content-Length` over the limit is refused
//! before anything is read, and a body sent without one is cut by axum's `DefaultBodyLimit`
//! (whose 413 this layer rewrites into the same bilingual error).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::error::{ErrorDetail, ErrorResponse};
use crate::AppState;

/// The limits of one server (`soilwatch serve --max-… / SOILWATCH_MAX_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest body of an ordinary request (JSON, forms), in bytes.
    pub max_body_bytes: usize,
    /// Largest upload (`POST /api/v1/imports`, `POST /imports`), in bytes.
    pub max_upload_bytes: usize,
    /// Most data rows in one imported file (a larger file is rejected whole).
    pub max_rows: usize,
    /// Largest `limit` query parameter accepted by any `/api/` route.
    pub max_query_limit: u64,
    /// Time one ordinary request may take.
    pub request_timeout: Duration,
    /// Time an upload, a classification run or an export may take.
    pub long_request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 2 * 1024 * 1024,
            max_upload_bytes: 512 * 1024 * 1024,
            max_rows: 5_000_000,
            max_query_limit: 100_000,
            request_timeout: Duration::from_secs(60),
            long_request_timeout: Duration::from_secs(30 * 60),
        }
    }
}

fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST
        && (path == "/api/v1/imports"
            || path == "/imports"
            // Uploads into a submission (issue 9).
            || (path.starts_with("/api/v1/submissions/") && path.ends_with("/uploads"))
            || (path.starts_with("/submissions/") && path.ends_with("/upload"))
            // Exchange packages (issue 9).
            || path == "/api/v1/packages")
}

fn is_long(method: &Method, path: &str) -> bool {
    is_upload(method, path)
        || (method == Method::POST && path == "/api/v1/classification/runs")
        || path.starts_with("/api/v1/exports/")
        || path == "/api/v1/packages"
        || path.starts_with("/ogc/")
}

impl Limits {
    /// The body limit of a request.
    pub fn body_limit_for(&self, method: &Method, path: &str) -> usize {
        if is_upload(method, path) {
            self.max_upload_bytes
        } else {
            self.max_body_bytes
        }
    }

    /// The time limit of a request.
    pub fn timeout_for(&self, method: &Method, path: &str) -> Duration {
        if is_long(method, path) {
            self.long_request_timeout
        } else {
            self.request_timeout
        }
    }

    /// axum's body limit for ordinary routes (applied to the whole router).
    pub fn body_layer(&self) -> DefaultBodyLimit {
        DefaultBodyLimit::max(self.max_body_bytes)
    }

    /// axum's body limit for the upload routes.
    pub fn upload_layer(&self) -> DefaultBodyLimit {
        DefaultBodyLimit::max(self.max_upload_bytes)
    }
}

/// Bytes in a human unit, for messages.
pub fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const KIB: usize = 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} B")
    }
}

/// A refusal: JSON (`{"error": {code, message}}`) under `/api/`, a small page elsewhere.
pub fn refusal(status: StatusCode, code: &str, message: String, path: &str) -> Response {
    let mut res = if path.starts_with("/api/") || path.starts_with("/healthz") {
        (
            status,
            Json(ErrorResponse {
                error: ErrorDetail {
                    code: code.to_owned(),
                    message,
                },
            }),
        )
            .into_response()
    } else {
        let escaped = message
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        (
            status,
            Html(format!(
                "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{}</title>\
                 <p>{escaped}</p><p><a href=\"/\">返回首页 / home</a></p></html>",
                status.as_u16()
            )),
        )
            .into_response()
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    res
}

fn too_large(limit: usize, path: &str) -> Response {
    let h = human_bytes(limit);
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "请求内容过大：上限为 {h}（{limit} 字节） / the request body is too large: at most \
             {h} ({limit} bytes) is accepted here"
        ),
        path,
    )
}

fn query_limit_of(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "limit").then_some(v)
    })
}

/// The layer around every route: see the module's description.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") {
        if let Some(v) = query_limit_of(req.uri().query()) {
            if let Ok(n) = v.parse::<u64>() {
                if n > limits.max_query_limit {
                    let max = limits.max_query_limit;
                    return refusal(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        format!(
                            "参数 limit 过大：最多 {max}，收到 {n}；请分页读取 / parameter \
                             limit is too large: at most {max}, found {n}; read page by page"
                        ),
                        &path,
                    );
                }
            }
        }
    }
    let body_limit = limits.body_limit_for(&method, &path);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > body_limit as u64) {
        return too_large(body_limit, &path);
    }
    // A body of unknown length (chunked) on an ordinary route is read here up to the limit, so
    // that handlers which turn body errors into their own 4xx cannot hide the size. Uploads are
    // streamed and cut by `DefaultBodyLimit` in the multipart reader.
    let req = if declared.is_none() && !is_upload(&method, &path) {
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, body_limit).await {
            Ok(bytes) => Request::from_parts(parts, axum::body::Body::from(bytes)),
            Err(_) => return too_large(body_limit, &path),
        }
    } else {
        req
    };
    let time = limits.timeout_for(&method, &path);
    let res = match tokio::time::timeout(time, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%method, %path, seconds = time.as_secs_f64(), "request timed out");
            let secs = time.as_secs_f64();
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "请求超时（上限 {secs} 秒），服务器繁忙或数据库不可用，请稍后重试 / the \
                     request took longer than {secs} s (server busy or database unavailable); \
                     try again later"
                ),
                &path,
            );
        }
    };
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let is_ours = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_ours {
            return too_large(body_limit, &path);
        }
    }
    res
}
