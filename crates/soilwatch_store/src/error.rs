//! Store errors: typed, so the web layer maps them to 404 / 409 / 422 / 500 in one place.

/// Result alias for the store.
pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("未找到 / not found: {entity} '{key}'")]
    NotFound { entity: &'static str, key: String },
    #[error("冲突 / conflict: {detail} (constraint {constraint})")]
    Conflict { constraint: String, detail: String },
    #[error("无效数据 / invalid: {0}")]
    Invalid(String),
    #[error("无法打开数据库 / cannot open database '{url}': {reason}")]
    Open { url: String, reason: String },
    #[error("数据库迁移失败 / migration failed: {0}")]
    Migration(String),
    #[error("数据库错误 / database error: {0}")]
    Backend(String),
    /// The database cannot be reached (connection refused or lost, no connection within the
    /// pool's acquire timeout): the caller may retry later (issue 13).
    #[error("数据库暂时不可用 / the database is unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    pub(crate) fn not_found(entity: &'static str, key: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            key: key.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let msg = db.message().to_owned();
            let unique = db.is_unique_violation()
                || msg.contains("UNIQUE constraint failed")
                || msg.contains("duplicate key");
            let foreign =
                db.is_foreign_key_violation() || msg.contains("FOREIGN KEY constraint failed");
            if unique || foreign {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| if unique { "unique" } else { "foreign_key" }.to_owned());
                let detail = if unique {
                    format!("已存在 / already exists: {msg}")
                } else {
                    format!("引用的对象不存在 / a referenced thing does not exist: {msg}")
                };
                return StoreError::Conflict { constraint, detail };
            }
        }
        if matches!(
            e,
            sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed
        ) {
            return StoreError::Unavailable(e.to_string());
        }
        StoreError::Backend(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(e.to_string())
    }
}
