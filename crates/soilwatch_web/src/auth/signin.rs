//! Signing in and out: throttling, the password check (as slow for an unknown user as for a
//! known one), the session, and their audit lines. The messages never tell whether a username
//! exists.

use chrono::{Duration, Utc};
use soilwatch_store::auth::{NewAuditEntry, NewSession};
use soilwatch_store::auth_secret::{dummy_hash, random_secret, secret_hash, verify_password};
use soilwatch_store::User;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The one message of every failed sign-in.
pub const FAILED: &str = "用户名或密码错误 / wrong username or password";

/// A new session: the cookie value (the id itself, only ever in the cookie) and its user.
pub struct SignedIn {
    pub session_id: String,
    pub user: User,
}

fn throttled(minutes: i64) -> ApiError {
    ApiError::TooManyRequests(format!(
        "登录失败次数过多，请 {minutes} 分钟后再试 / too many failed sign-ins: try again in \
         {minutes} minutes"
    ))
}

async fn audit(state: &AppState, actor: &str, action: &str, outcome: &str, ip: &Option<String>) {
    let e = NewAuditEntry {
        actor: actor.chars().take(64).collect(),
        action: action.into(),
        target: "POST /login".into(),
        outcome: outcome.into(),
        status: None,
        ip: ip.clone(),
        detail: String::new(),
    };
    if let Err(e) = state.store.append_audit(&e).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}

/// Check a username and password and open a session. Refused (429) while the username or the
/// address has too many recent failures, whatever the password.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<String>,
) -> ApiResult<SignedIn> {
    let t = state.auth.throttle;
    let username = username.trim();
    let user_key = format!("user:{}", username.to_lowercase());
    let ip_key = format!("ip:{}", ip.as_deref().unwrap_or("unknown"));
    let since = Utc::now() - Duration::minutes(t.window_minutes);
    let by_user = state.store.count_login_failures(&user_key, since).await?;
    let by_ip = state.store.count_login_failures(&ip_key, since).await?;
    if by_user >= t.max_failures_user || by_ip >= t.max_failures_ip {
        audit(state, username, "sign_in_throttled", "denied", &ip).await;
        return Err(throttled(t.window_minutes));
    }
    let creds = state.store.credentials(username).await?;
    // Verify against a dummy hash when there is no such user: the same work either way.
    let hash = creds
        .as_ref()
        .map(|c| c.password_hash.as_str())
        .unwrap_or_else(|| dummy_hash());
    let password_ok = verify_password(password, hash);
    let user = match creds {
        Some(c) if password_ok && !c.user.disabled => c.user,
        _ => {
            state
                .store
                .record_login_failure(&[user_key, ip_key], Utc::now())
                .await?;
            audit(state, username, "sign_in_failed", "failed", &ip).await;
            return Err(ApiError::Unauthorized(FAILED.into()));
        }
    };
    state.store.clear_login_failures(&user_key).await?;
    let session_id = random_secret()?;
    state
        .store
        .create_session(&NewSession {
            id_hash: secret_hash(&session_id),
            user_id: user.id,
            expires_at: Utc::now() + Duration::hours(state.auth.session_hours),
            ip: ip.clone(),
        })
        .await?;
    // Now and then, drop expired sessions and old failures.
    if session_id.ends_with('0') {
        if let Err(e) = state.store.purge_expired(Utc::now()).await {
            tracing::warn!(error = %e, "cannot purge expired sessions");
        }
    }
    audit(state, &user.username, "sign_in", "ok", &ip).await;
    Ok(SignedIn { session_id, user })
}

/// End a session.
pub async fn sign_out(
    state: &AppState,
    id_hash: &str,
    username: &str,
    ip: Option<String>,
) -> ApiResult<()> {
    state.store.delete_session(id_hash).await?;
    let e = NewAuditEntry {
        actor: username.into(),
        action: "sign_out".into(),
        target: "POST /logout".into(),
        outcome: "ok".into(),
        status: None,
        ip,
        detail: String::new(),
    };
    if let Err(e) = state.store.append_audit(&e).await {
        tracing::error!(error = %e, "cannot write the audit log");
    }
    Ok(())
}
