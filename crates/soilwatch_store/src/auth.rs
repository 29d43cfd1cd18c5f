//! Accounts and security (issue 7): users with a role and a department, sessions, API tokens,
//! sign-in throttling and the audit log. A supertrait of [`Store`](crate::Store).
//!
//! Nothing secret is stored in the clear: passwords are argon2id PHC strings
//! ([`auth_secret::hash_password`](crate::auth_secret::hash_password)), session ids and API tokens
//! are random 256-bit values kept as SHA-256 hashes. The store never sees a password or a token,
//! only their hashes.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// 角色 — what a user may do. The public (no account) is not a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员 — everything, including departments, users and the audit log.
    Administrator,
    /// 数据专员 — uploads and edits data for one department.
    DataOfficer,
    /// 审核员 — at the environment bureau: accepts submissions, confirms classifications.
    Reviewer,
    /// 查看者 — reads the data that is not public.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::DataOfficer,
        Role::Reviewer,
        Role::Viewer,
    ];

    /// Stable code, stored in `users.role`.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::DataOfficer => "data_officer",
            Role::Reviewer => "reviewer",
            Role::Viewer => "viewer",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            Role::Administrator => "系统管理员",
            Role::DataOfficer => "数据专员",
            Role::Reviewer => "审核员",
            Role::Viewer => "查看者",
        }
    }

    /// Whether a user of this role must belong to a department.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::DataOfficer | Role::Reviewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = StoreError;
    /// Accepts the code (`data_officer`, `data-officer`) or the Chinese name (`数据专员`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.code() == t || r.name_cn() == s.trim())
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "字段 role: 无法识别的角色 '{s}' / field role: unknown role '{s}' (expected \
                     administrator, data_officer, reviewer or viewer)"
                ))
            })
    }
}

/// 用户 — an account (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Department code (data officers and reviewers).
    pub department: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
}

impl NewUser {
    /// Check the fields (the department's existence is checked by the store).
    pub fn validate(&self) -> StoreResult<()> {
        let name = self.username.trim();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok || name != self.username {
            return Err(StoreError::Invalid(format!(
                "字段 username: 用户名须为 1–64 个字母、数字或 . _ - @ / field username: 1–64 \
                 letters, digits or . _ - @, found '{}'",
                self.username
            )));
        }
        match (&self.department, self.role.needs_department()) {
            (None, true) => Err(StoreError::Invalid(format!(
                "字段 department: {} 须属于一个部门 / field department: a {} belongs to a department",
                self.role.name_cn(),
                self.role
            ))),
            _ => Ok(()),
        }
    }
}

/// A user's password hash, for checking a sign-in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API token to store.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
}

/// 审计日志 — one line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Username, or `-` for the public.
    pub actor: String,
    /// `sign_in`, `sign_in_failed`, `sign_in_throttled`, `sign_out`, `write`, `export`,
    /// `token_created`, `token_revoked`, `user_added`, …
    pub action: String,
    /// What was acted on (`POST /api/v1/points`, a username, …).
    pub target: String,
    /// `ok`, `denied`, `failed`.
    pub outcome: String,
    /// HTTP status, when the entry is about a request.
    pub status: Option<i64>,
    pub ip: Option<String>,
    pub detail: String,
}

/// An audit line to append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub status: Option<i64>,
    pub ip: Option<String>,
    pub detail: String,
}

/// A filter over the audit log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Entries with an id below this (paging back).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// Accounts, sessions, API tokens, sign-in throttling and the audit log.
#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Create a user (the username is unique: a conflict otherwise; the department must exist).
    async fn create_user(&self, u: &NewUser) -> StoreResult<User>;
    async fn get_user(&self, username: &str) -> StoreResult<User>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Number of enabled administrators (none: the first start says how to create one).
    async fn count_administrators(&self) -> StoreResult<i64>;
    /// The password hash of an enabled or disabled user, `None` when there is no such user.
    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>>;
    /// Replace a password hash; ends the user's sessions.
    async fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()>;
    /// Disable or enable a user; disabling ends the user's sessions (tokens stop working while
    /// disabled).
    async fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<()>;

    async fn create_session(&self, s: &NewSession) -> StoreResult<()>;
    /// The enabled user of an unexpired session.
    async fn session_user(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Remove expired sessions and old login failures; returns how many sessions went.
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    async fn create_api_token(&self, t: &NewApiToken) -> StoreResult<ApiToken>;
    /// A user's tokens, revoked ones too, newest first.
    async fn list_api_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>>;
    /// Revoke one of a user's tokens (not found when it is another user's).
    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> StoreResult<ApiToken>;
    /// The enabled user of an unrevoked token; marks it used (`last_used_at`, rewritten only
    /// when the mark is a minute old or more, so that a busy client's reads stay reads).
    async fn token_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>>;

    /// Record a failed sign-in under each key (`user:<name>`, `ip:<address>`).
    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>) -> StoreResult<()>;
    /// Failed sign-ins under a key at or after `since`.
    async fn count_login_failures(&self, key: &str, since: DateTime<Utc>) -> StoreResult<i64>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<()>;
    async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_code_or_chinese() {
        assert_eq!("data-officer".parse::<Role>().ok(), Some(Role::DataOfficer));
        assert_eq!("审核员".parse::<Role>().ok(), Some(Role::Reviewer));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn officers_need_a_department() {
        let mut u = NewUser {
            username: "wang.li".into(),
            display_name: "王丽".into(),
            role: Role::DataOfficer,
            department: None,
            password_hash: String::new(),
        };
        assert!(u.validate().is_err());
        u.department = Some("agri-513400".into());
        assert!(u.validate().is_ok());
        u.username = "bad name".into();
        assert!(u.validate().is_err());
    }
}
