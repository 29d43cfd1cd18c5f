//! Security headers on every response (issue 13), and the one stylesheet of the pages (kept in
//! a file so that the Content-Security-Policy needs no `'unsafe-inline'`).
//!
//! - `Content-Security-Policy`: everything from this origin only, no inline script or style, no
//!   plugins, no framing (`frame-ancestors 'none'`), forms post only here. The pages use no
//!   script at all.
//! - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (for browsers without CSP 2),
//!   `Referrer-Policy: same-origin`, and `Cross-Origin-Opener-Policy: same-origin`.
//!
//! A handler that sets one of these headers itself keeps its own value.

use axum::extract::Request;
use axum::http::header::{self, HeaderName};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The headers added to every response.
pub fn headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

/// The layer around every route.
pub async fn layer(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in headers() {
        if !h.contains_key(&name) {
            h.insert(name, value);
        }
    }
    res
}

/// The stylesheet of the pages.
pub const STYLESHEET: &str = include_str!("../static/soilwatch.css");

/// `GET /static/soilwatch.css`.
pub async fn get_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}
