//! `/account` (issue 7): who is signed in, and their API tokens (create: shown once; revoke).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use soilwatch_store::auth::ApiToken;
use soilwatch_store::Role;

use super::{demo_present, render, PageError, PageResult};
use crate::api::auth::{issue_token, MeResponse};
use crate::auth::Actor;
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub demo: bool,
    pub csrf: String,
    pub me: MeResponse,
    pub admin: bool,
    pub tokens: Vec<ApiToken>,
    pub new_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub name: String,
}

impl AccountPage {
    /// The role in the current language.
    pub fn role_name(&self) -> &'static str {
        self.me
            .role
            .parse::<Role>()
            .map_or("—", super::i18n::role_name)
    }
}

async fn page(state: &AppState, actor: &Actor, new_token: Option<String>) -> PageResult {
    render(&AccountPage {
        demo: demo_present(state).await?,
        csrf: actor.csrf().unwrap_or_default().to_owned(),
        me: MeResponse::of(actor),
        admin: actor.role() == Role::Administrator,
        tokens: state.store.list_api_tokens(actor.user.id).await?,
        new_token,
    })
}

pub async fn account_page(State(state): State<AppState>, actor: Actor) -> PageResult {
    page(&state, &actor, None).await
}

/// Create a token and show it once.
pub async fn create_token_page(
    State(state): State<AppState>,
    actor: Actor,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let created = issue_token(&state, &actor, &form.name).await?;
    page(&state, &actor, Some(created.token)).await
}

pub async fn revoke_token_page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    state.store.revoke_api_token(actor.user.id, id).await?;
    Ok(Redirect::to("/account").into_response())
}
