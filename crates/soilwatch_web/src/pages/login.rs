//! `/login` and `/logout` (issue 7): the sign-in form (a double-submit CSRF cookie, throttling,
//! one generic message for every failure) and signing out (a form with the session's CSRF token).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use soilwatch_store::auth_secret::{constant_time_eq, random_secret};

use super::{demo_present, render, PageError, PageResult};
use crate::auth::signin::{sign_in, sign_out};
use crate::auth::{
    client_ip, cookie_value, Actor, MaybeActor, Via, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub demo: bool,
    pub csrf: String,
    pub next: String,
    pub username: String,
    pub error: Option<String>,
    pub signed_in: Option<String>,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage {
    pub demo: bool,
    pub csrf: String,
    pub username: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub next: String,
}

/// Only a path on this site (no `//host`, no scheme) is followed after signing in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

async fn login_form(
    state: &AppState,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
    signed_in: Option<String>,
) -> PageResult {
    let csrf = random_secret()?;
    let cookie = state.auth.cookie(LOGIN_CSRF_COOKIE, &csrf, "/login", 3600);
    let mut res = render(&LoginPage {
        demo: demo_present(state).await?,
        csrf,
        next: safe_next(next),
        username: username.to_owned(),
        error,
        signed_in,
    })?;
    *res.status_mut() = status;
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The sign-in form.
pub async fn login_page(
    State(state): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Query(q): Query<NextQuery>,
) -> PageResult {
    login_form(
        &state,
        StatusCode::OK,
        q.next.as_deref().unwrap_or("/"),
        "",
        None,
        actor.map(|a| a.user.username),
    )
    .await
}

/// Check the form, sign in, set the session cookie and go on to `next`.
pub async fn login_submit(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let cookie = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(cookie, &form.csrf) {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &form.next,
            &form.username,
            Some(
                "表单已过期，请重新登录 / the form expired (CSRF check failed): please sign in again"
                    .into(),
            ),
            None,
        )
        .await;
    }
    let ip = client_ip(&extensions);
    match sign_in(&state, &form.username, &form.password, ip).await {
        Ok(s) => {
            let session = state.auth.cookie(
                SESSION_COOKIE,
                &s.session_id,
                "/",
                state.auth.session_hours * 3600,
            );
            let clear = state.auth.cookie(LOGIN_CSRF_COOKIE, "", "/login", 0);
            let mut res = Redirect::to(&safe_next(&form.next)).into_response();
            for c in [session, clear] {
                if let Ok(v) = c.parse() {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            Ok(res)
        }
        Err(e @ (ApiError::Unauthorized(_) | ApiError::TooManyRequests(_))) => {
            let status = match e {
                ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            login_form(
                &state,
                status,
                &form.next,
                &form.username,
                Some(super::message(&e).to_owned()),
                None,
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// A page with the sign-out button (a POST with the session's CSRF token).
pub async fn logout_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    render(&LogoutPage {
        demo: demo_present(&state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        username: actor.user.username,
    })
}

/// Sign out: end the session (the layer has checked the CSRF token) and clear the cookie.
pub async fn logout_submit(
    State(state): State<AppState>,
    actor: Actor,
    extensions: axum::http::Extensions,
) -> Result<Response, PageError> {
    if let Via::Session { id_hash, .. } = &actor.via {
        sign_out(&state, id_hash, actor.username(), client_ip(&extensions)).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = state.auth.cookie(SESSION_COOKIE, "", "/", 0).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
