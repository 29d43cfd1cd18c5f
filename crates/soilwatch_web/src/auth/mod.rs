//! Who is asking (issue 7): the signed-in user from a session cookie or an API token
//! (`Authorization: Bearer swt_…`), the [`Actor`] extractor handlers take, and the role and
//! department checks.
//!
//! - Sessions: a random 256-bit id in an HttpOnly, SameSite=Strict cookie (`Secure` behind HTTPS,
//!   [`AuthConfig::secure_cookies`]); the store keeps its SHA-256 hash only.
//! - CSRF: every unsafe request authenticated by the session cookie carries the session's token
//!   (derived from the session id) in a `csrf` form field, a `csrf` query parameter (multipart
//!   forms) or an `X-CSRF-Token` header; [`middleware::layer`] checks it before any handler runs.
//!   The sign-in form, before any session, uses a double-submit cookie.
//! - Audit: the same layer logs every write, every export and every refused request.
//! - Roles: see `docs/ROLES.md` for the table; [`Actor::require`] and
//!   [`Actor::require_department`] / [`Actor::require_division`] are the checks.

pub mod middleware;
pub mod signin;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use soilwatch_core::{DivisionCode, DivisionLevel};
use soilwatch_store::auth_secret::{derive, secret_hash, TOKEN_PREFIX};
use soilwatch_store::{Role, User};

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sw_session";
/// Name of the sign-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "sw_login_csrf";
/// Header carrying the CSRF token on scripted requests with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Sign-in throttling: after `max_failures_user` failed sign-ins for one username, or
/// `max_failures_ip` from one address, within `window_minutes`, sign-in is refused for that
/// username or address until the window has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub max_failures_user: i64,
    pub max_failures_ip: i64,
    pub window_minutes: i64,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            max_failures_user: 5,
            max_failures_ip: 20,
            window_minutes: 15,
        }
    }
}

/// Settings of sign-in and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// How long a session lasts.
    pub session_hours: i64,
    pub throttle: Throttle,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_hours: 8,
            throttle: Throttle::default(),
        }
    }
}

impl AuthConfig {
    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, `Secure` when configured.
    pub fn cookie(&self, name: &str, value: &str, path: &str, max_age_secs: i64) -> String {
        format!(
            "{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{}",
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie; the CSRF token of the session.
    Session { id_hash: String, csrf: String },
    /// An API token.
    Token,
}

/// The signed-in user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: User,
    pub via: Via,
}

/// What [`middleware::layer`] found, kept in the request's extensions for the extractors.
#[derive(Debug, Clone)]
pub struct Resolved(pub Option<Actor>);

/// A cookie's value from the `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The client's address as the server saw it (no proxy headers are trusted).
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The CSRF token of a session id.
pub fn csrf_of_session(session_id: &str) -> String {
    derive(session_id, "csrf")
}

fn unauthorized(msg: &str) -> ApiError {
    ApiError::Unauthorized(msg.to_owned())
}

/// Find the user of a request: a Bearer token first (an invalid one is a 401, it does not fall
/// back to the cookie), then the session cookie (an unknown or expired one is ignored).
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Actor>> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or_else(|| {
                unauthorized(
                    "Authorization 请求头应为 Bearer 令牌 / the Authorization header must be \
                     `Bearer swt_…`",
                )
            })?;
        let user = state
            .store
            .token_user(&secret_hash(token), Utc::now())
            .await?
            .ok_or_else(|| {
                unauthorized("令牌无效或已撤销 / the API token is invalid or revoked")
            })?;
        return Ok(Some(Actor {
            user,
            via: Via::Token,
        }));
    }
    if let Some(sid) = cookie_value(headers, SESSION_COOKIE) {
        let id_hash = secret_hash(sid);
        if let Some(user) = state.store.session_user(&id_hash, Utc::now()).await? {
            return Ok(Some(Actor {
                user,
                via: Via::Session {
                    id_hash,
                    csrf: csrf_of_session(sid),
                },
            }));
        }
    }
    Ok(None)
}

async fn resolved(parts: &mut Parts, state: &AppState) -> ApiResult<Option<Actor>> {
    if let Some(Resolved(a)) = parts.extensions.get::<Resolved>() {
        return Ok(a.clone());
    }
    let a = resolve(state, &parts.headers).await?;
    parts.extensions.insert(Resolved(a.clone()));
    Ok(a)
}

/// Refusal of an extractor: JSON 401 under `/api/`, a redirect to the sign-in page elsewhere.
#[derive(Debug)]
pub struct AuthRejection {
    error: ApiError,
    /// The page to come back to after signing in (pages only).
    page: Option<String>,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match (self.page, &self.error) {
            (Some(next), ApiError::Unauthorized(_)) => {
                Redirect::to(&format!("/login?next={}", encode_next(&next))).into_response()
            }
            (Some(_), _) => crate::pages::PageError(self.error).into_response(),
            (None, _) => self.error.into_response(),
        }
    }
}

/// Percent-encode a path for the `next` parameter.
pub fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let page = (!parts.uri.path().starts_with("/api/")).then(|| {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into())
        });
        match resolved(parts, state).await {
            Ok(Some(a)) => Ok(a),
            Ok(None) => Err(AuthRejection {
                error: unauthorized(
                    "请先登录（会话 Cookie 或 Authorization: Bearer 令牌）/ sign in first (a \
                     session cookie or an Authorization: Bearer token)",
                ),
                page,
            }),
            Err(error) => Err(AuthRejection { error, page }),
        }
    }
}

/// The signed-in user if any (public routes that behave differently for users).
#[derive(Debug, Clone)]
pub struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        resolved(parts, state)
            .await
            .map(MaybeActor)
            .map_err(|error| AuthRejection { error, page: None })
    }
}

/// Whether division `outer` contains `inner` (a prefecture its counties; itself).
pub fn division_covers(outer: DivisionCode, inner: DivisionCode) -> bool {
    let (o, i) = (outer.value(), inner.value());
    match outer.level() {
        DivisionLevel::Province => o / 10_000 == i / 10_000,
        DivisionLevel::Prefecture => o / 100 == i / 100,
        DivisionLevel::County => o == i,
    }
}

impl Actor {
    pub fn username(&self) -> &str {
        &self.user.username
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The session's CSRF token (none for API tokens).
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }

    /// 403 unless the user has one of the roles.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.user.role) {
            return Ok(());
        }
        let names: Vec<String> = roles
            .iter()
            .map(|r| format!("{} {}", r.name_cn(), r.code()))
            .collect();
        Err(ApiError::Forbidden(format!(
            "无权限：需要角色 {} / forbidden: this needs the role {}; you are {} ({})",
            names.join("、"),
            names.join(" or "),
            self.user.role.name_cn(),
            self.user.role
        )))
    }

    /// 403 unless an administrator, or a data officer of that department.
    pub fn require_department(&self, department: &str) -> ApiResult<()> {
        self.require(&[Role::Administrator, Role::DataOfficer])?;
        if self.user.role == Role::Administrator
            || self.user.department.as_deref() == Some(department)
        {
            return Ok(());
        }
        Err(ApiError::Forbidden(format!(
            "无权限：只能为本部门（{}）提交数据，不能为 {department} / forbidden: a data officer \
             writes for their own department ({}) only, not {department}",
            self.user.department.as_deref().unwrap_or("—"),
            self.user.department.as_deref().unwrap_or("none")
        )))
    }

    /// 403 unless an administrator, or a data officer whose department's division contains
    /// `division` (a prefecture bureau's officer writes for every county, a county bureau's for
    /// its county).
    pub async fn require_division(
        &self,
        state: &AppState,
        division: DivisionCode,
    ) -> ApiResult<()> {
        self.require(&[Role::Administrator, Role::DataOfficer])?;
        if self.user.role == Role::Administrator {
            return Ok(());
        }
        let dept = match &self.user.department {
            Some(d) => Some(state.store.get_department(d).await?),
            None => None,
        };
        match dept {
            Some(d) if division_covers(d.division, division) => Ok(()),
            _ => Err(ApiError::Forbidden(format!(
                "无权限：{division} 不在本部门的辖区内 / forbidden: {division} is outside the area \
                 of your department ({})",
                self.user.department.as_deref().unwrap_or("none")
            ))),
        }
    }
}

/// `Cache-Control: no-store` for responses that depend on who asks.
pub fn no_store(res: &mut Response) {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefecture_covers_its_counties() {
        let p: DivisionCode = "513400".parse().expect("code");
        let c: DivisionCode = "513402".parse().expect("code");
        let other: DivisionCode = "510100".parse().expect("code");
        assert!(division_covers(p, c));
        assert!(division_covers(c, c));
        assert!(!division_covers(c, p));
        assert!(!division_covers(p, other));
    }

    #[test]
    fn cookies_are_read_and_written() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; sw_session=abc ; b=2".parse().expect("header"),
        );
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&h, "c"), None);
        let c = AuthConfig {
            secure_cookies: true,
            ..AuthConfig::default()
        };
        let s = c.cookie(SESSION_COOKIE, "v", "/", 60);
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Strict") && s.ends_with("Secure"));
        assert!(!AuthConfig::default()
            .cookie(SESSION_COOKIE, "v", "/", 60)
            .contains("Secure"));
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode_next("/samples/1?a=b&c"), "/samples/1%3Fa%3Db%26c");
    }
}
