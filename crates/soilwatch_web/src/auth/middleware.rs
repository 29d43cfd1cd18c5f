//! The layer around every route: finds who asks (once per request), checks the CSRF token of
//! unsafe requests made with a session cookie, marks responses for signed-in users
//! `Cache-Control: no-store`, and writes the audit log (every write, export, read of non-public
//! data and refused request).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use soilwatch_store::auth::NewAuditEntry;
use soilwatch_store::auth_secret::constant_time_eq;

use super::{client_ip, resolve, Actor, Resolved, Via, CSRF_HEADER};
use crate::error::ApiError;
use crate::AppState;

/// Largest urlencoded form body read for its CSRF field.
const MAX_FORM: usize = 1024 * 1024;

/// Paths whose reads are not public: logged with who read them.
const NON_PUBLIC: &[&str] = &[
    "/api/v1/samples",
    "/api/v1/results",
    "/api/v1/imports",
    "/samples/",
    "/imports",
    "/points/",
    "/admin",
    "/api/v1/audit",
    "/ogc/collections/samples",
];

/// Paths that write their own audit lines (sign-in and sign-out).
const SELF_AUDITED: &[&str] = &["/login", "/logout"];

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

fn form_param(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn csrf_refused() -> Response {
    ApiError::Forbidden(
        "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试 / the form expired or did not \
         come from this site (CSRF check failed); reload the page and try again"
            .into(),
    )
    .into_response()
}

/// Check the CSRF token of an unsafe request made with a session cookie; returns the request
/// (its body re-assembled when it was read).
async fn check_csrf(req: Request, expected: &str) -> Result<Request, Response> {
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query_token = query_param(req.uri().query(), "csrf");
    if let Some(t) = header_token.or(query_token) {
        return if constant_time_eq(&t, expected) {
            Ok(req)
        } else {
            Err(csrf_refused())
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(csrf_refused());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM).await.map_err(|_| {
        ApiError::BadRequest("表单过大 / the form is too large".into()).into_response()
    })?;
    match form_param(&bytes, "csrf") {
        Some(t) if constant_time_eq(&t, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(csrf_refused()),
    }
}

fn is_export(res: &Response, path: &str) -> bool {
    if path.starts_with("/api/v1/templates/") {
        return false;
    }
    let h = |n: header::HeaderName| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let ct = h(header::CONTENT_TYPE);
    ct.starts_with("text/csv")
        || ct.starts_with("application/geo+json")
        || ct.contains("spreadsheetml")
        || ct.contains("geopackage")
        || ct.contains("zip")
        || h(header::CONTENT_DISPOSITION).starts_with("attachment")
}

/// The layer: see the module's description.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let ip = client_ip(req.extensions());
    let actor: Option<Actor> = match resolve(&state, req.headers()).await {
        Ok(a) => a,
        Err(e) => {
            let res = e.into_response();
            audit(
                &state,
                None,
                "denied",
                &method,
                &path,
                None,
                res.status(),
                ip,
            )
            .await;
            return res;
        }
    };
    let mut req = req;
    if is_unsafe(&method) {
        if let Some(Actor {
            via: Via::Session { csrf, .. },
            ..
        }) = &actor
        {
            req = match check_csrf(req, csrf).await {
                Ok(r) => r,
                Err(res) => {
                    audit(
                        &state,
                        actor.as_ref(),
                        "denied",
                        &method,
                        &path,
                        None,
                        res.status(),
                        ip,
                    )
                    .await;
                    return res;
                }
            };
        }
    }
    req.extensions_mut().insert(Resolved(actor.clone()));
    let mut res = next.run(req).await;
    let private = actor.is_some()
        || ["/login", "/logout", "/account", "/admin"]
            .iter()
            .any(|p| path.starts_with(p));
    if private {
        super::no_store(&mut res);
    }
    let status = res.status();
    let action = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Some("denied")
    } else if SELF_AUDITED.contains(&path.as_str()) {
        None
    } else if is_unsafe(&method) {
        Some("write")
    } else if status.is_success() && is_export(&res, &path) {
        Some("export")
    } else if status.is_success() && NON_PUBLIC.iter().any(|p| path.starts_with(p)) {
        Some("read")
    } else {
        None
    };
    if let Some(action) = action {
        // Writes are logged without their query (it may hold the CSRF token); reads with it.
        let q = (!is_unsafe(&method)).then_some(query).flatten();
        audit(
            &state,
            actor.as_ref(),
            action,
            &method,
            &path,
            q,
            status,
            ip,
        )
        .await;
    }
    res
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per outcome; a struct adds nothing"
)]
async fn audit(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    method: &Method,
    path: &str,
    query: Option<String>,
    status: StatusCode,
    ip: Option<String>,
) {
    let outcome = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        "denied"
    } else if status.is_client_error() || status.is_server_error() {
        "failed"
    } else {
        "ok"
    };
    let target = match query {
        Some(q) => format!("{method} {path}?{q}"),
        None => format!("{method} {path}"),
    };
    let entry = NewAuditEntry {
        actor: actor
            .map(|a| a.user.username.clone())
            .unwrap_or_else(|| "-".into()),
        action: action.into(),
        target,
        outcome: outcome.into(),
        status: Some(i64::from(status.as_u16())),
        ip,
        detail: match actor.map(|a| &a.via) {
            Some(Via::Token) => "api token".into(),
            Some(Via::Session { .. }) => "session".into(),
            None => String::new(),
        },
    };
    if let Err(e) = state.store.append_audit(&entry).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}
