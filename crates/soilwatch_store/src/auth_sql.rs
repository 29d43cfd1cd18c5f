//! [`AuthStore`] for [`SqlStore`]: one implementation for SQLite and PostgreSQL (`$n`
//! placeholders, the portable SQL subset). Times are RFC 3339 UTC strings with microseconds, so
//! they compare as text on both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::auth::{
    ApiToken, AuditEntry, AuditQuery, AuthStore, Credentials, NewApiToken, NewAuditEntry,
    NewSession, NewUser, User,
};
use crate::{SqlStore, StoreError, StoreResult};

/// How long failed sign-ins are kept (longer than any throttling window).
const FAILURES_KEPT_HOURS: i64 = 24;

/// A token's `last_used_at` is rewritten only when it is at least this old (issue 12).
pub const TOKEN_USE_MARK_SECS: i64 = 60;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("time", e))
}

fn opt_ts(r: &AnyRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| parse_ts(&s))
        .transpose()
}

const USER_COLUMNS: &str = "u.id AS id, u.username AS username, u.display_name AS display_name, \
     u.role AS role, u.department AS department, u.disabled AS disabled, u.created_at AS created_at";

fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: r
            .try_get::<String, _>("role")?
            .parse()
            .map_err(|e| corrupt("role", e))?,
        department: r.try_get("department")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
    })
}

fn token_from_row(r: &AnyRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
        last_used_at: opt_ts(r, "last_used_at")?,
        revoked_at: opt_ts(r, "revoked_at")?,
    })
}

fn audit_from_row(r: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: parse_ts(&r.try_get::<String, _>("at")?)?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        outcome: r.try_get("outcome")?,
        status: r.try_get("status")?,
        ip: r.try_get("ip")?,
        detail: r.try_get("detail")?,
    })
}

impl SqlStore {
    async fn user_where(&self, clause: &str, key: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE {clause}"
        ))
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

#[async_trait]
impl AuthStore for SqlStore {
    async fn create_user(&self, u: &NewUser) -> StoreResult<User> {
        u.validate()?;
        if let Some(d) = &u.department {
            let found = sqlx::query("SELECT code FROM departments WHERE code = $1")
                .bind(d)
                .fetch_optional(self.pool())
                .await?;
            if found.is_none() {
                return Err(StoreError::Invalid(format!(
                    "字段 department: 没有部门 '{d}' / field department: no department '{d}'"
                )));
            }
        }
        let now = ts(Utc::now());
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, role, department, password_hash, \
             disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
        )
        .bind(&u.username)
        .bind(u.display_name.trim())
        .bind(u.role.code())
        .bind(u.department.clone())
        .bind(&u.password_hash)
        .bind(&now)
        .fetch_one(self.pool())
        .await?;
        let id: i64 = row.try_get("id")?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        user_from_row(&row)
    }

    async fn get_user(&self, username: &str) -> StoreResult<User> {
        self.user_where("u.username = $1", username)
            .await?
            .ok_or_else(|| StoreError::not_found("user", username))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_administrators(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = $1 AND disabled = 0")
            .bind(crate::auth::Role::Administrator.code())
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash AS password_hash FROM users u \
             WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Credentials {
                user: user_from_row(&r)?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3 WHERE username = $1 RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(ts(Utc::now()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("user", username))?;
        let id: i64 = row.try_get("id")?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE users SET disabled = $2, updated_at = $3 WHERE username = $1 RETURNING id",
        )
        .bind(username)
        .bind(i64::from(disabled))
        .bind(ts(Utc::now()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("user", username))?;
        let id: i64 = row.try_get("id")?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, s: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at, ip) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_hash)
        .bind(s.user_id)
        .bind(ts(Utc::now()))
        .bind(ts(s.expires_at))
        .bind(s.ip.clone())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn session_user(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
        ))
        .bind(id_hash)
        .bind(ts(now))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let gone = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ts(now))
            .execute(self.pool())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(ts(now - chrono::Duration::hours(FAILURES_KEPT_HOURS)))
            .execute(self.pool())
            .await?;
        Ok(gone)
    }

    async fn create_api_token(&self, t: &NewApiToken) -> StoreResult<ApiToken> {
        if t.name.trim().is_empty() || t.name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "字段 name: 令牌名称须为 1–100 个字符 / field name: a token needs a name of 1–100 \
                 characters"
                    .into(),
            ));
        }
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, user_id, name, prefix, created_at, \
             last_used_at, revoked_at",
        )
        .bind(t.user_id)
        .bind(t.name.trim())
        .bind(&t.token_hash)
        .bind(&t.prefix)
        .bind(ts(Utc::now()))
        .fetch_one(self.pool())
        .await?;
        token_from_row(&row)
    }

    async fn list_api_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at \
             FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> StoreResult<ApiToken> {
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE id = $1 AND user_id = $2 RETURNING id, user_id, name, prefix, created_at, \
             last_used_at, revoked_at",
        )
        .bind(token_id)
        .bind(user_id)
        .bind(ts(Utc::now()))
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::not_found("api token", token_id.to_string()))?;
        token_from_row(&row)
    }

    async fn token_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.token_hash AS token_hash, \
             t.last_used_at AS last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = row.try_get("token_hash")?;
        if !crate::auth_secret::constant_time_eq(&stored, token_hash) {
            return Ok(None);
        }
        // Issue 12: a token used by a busy client is marked at most once a minute. Writing
        // `last_used_at` on every request made every API read a write (on SQLite all readers
        // then queued for the one write lock).
        let last_used = opt_ts(&row, "last_used_at")?;
        let stale =
            last_used.is_none_or(|t| now - t >= chrono::Duration::seconds(TOKEN_USE_MARK_SECS));
        if stale {
            let token_id: i64 = row.try_get("token_id")?;
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token_id)
                .bind(ts(now))
                .execute(self.pool())
                .await?;
        }
        Ok(Some(user_from_row(&row)?))
    }

    async fn record_login_failure(&self, keys: &[String], at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for k in keys {
            sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                .bind(k)
                .bind(ts(at))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count_login_failures(&self, key: &str, since: DateTime<Utc>) -> StoreResult<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(ts(since))
                .fetch_one(self.pool())
                .await?;
        Ok(row.try_get("n")?)
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<()> {
        // Written together with the lines of concurrent requests (issue 12).
        self.append_log(crate::log_batch::LogLine::audit(e)).await
    }

    async fn list_audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT id, at, actor, action, target, outcome, status, ip, detail FROM audit_log \
             WHERE 1 = 1",
        );
        let mut binds: Vec<String> = Vec::new();
        if let Some(a) = &q.actor {
            binds.push(a.clone());
            sql.push_str(&format!(" AND actor = ${}", binds.len()));
        }
        if let Some(a) = &q.action {
            binds.push(a.clone());
            sql.push_str(&format!(" AND action = ${}", binds.len()));
        }
        if let Some(b) = q.before_id {
            sql.push_str(&format!(" AND id < {b}"));
        }
        let limit = q.limit.clamp(1, 10_000);
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(audit_from_row).collect()
    }
}
