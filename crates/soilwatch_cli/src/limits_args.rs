//! The request limits of `soilwatch serve` (issue 13): flags with environment variables.

use std::time::Duration;

use soilwatch_web::limits::Limits;

/// Limits on one request; each refusal is a bilingual error (413, 400, 422 or 503).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Largest body of an ordinary request (JSON, forms), in bytes (413 above it).
    #[arg(long, env = "SOILWATCH_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Largest upload of a file to import, in bytes (413 above it).
    #[arg(long, env = "SOILWATCH_MAX_UPLOAD_BYTES", default_value_t = Limits::default().max_upload_bytes)]
    pub max_upload_bytes: usize,
    /// Most data rows in one uploaded file (a longer file is rejected whole, 422 with the report).
    #[arg(long, env = "SOILWATCH_MAX_ROWS", default_value_t = Limits::default().max_rows)]
    pub max_rows: usize,
    /// Largest `limit` query parameter of the API (400 above it).
    #[arg(long, env = "SOILWATCH_MAX_QUERY_LIMIT", default_value_t = Limits::default().max_query_limit)]
    pub max_query_limit: u64,
    /// Seconds an ordinary request may take (503 after it).
    #[arg(long, env = "SOILWATCH_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().request_timeout.as_secs())]
    pub request_timeout_secs: u64,
    /// Seconds an upload, a classification run or an export may take (503 after it).
    #[arg(long, env = "SOILWATCH_LONG_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().long_request_timeout.as_secs())]
    pub long_request_timeout_secs: u64,
    /// Seconds a request waits for a database connection; when the database cannot be reached
    /// it answers 503 after this and recovers by itself once the database is back.
    #[arg(long, env = "SOILWATCH_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5)]
    pub db_acquire_timeout_secs: u64,
}

impl LimitArgs {
    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_secs(self.db_acquire_timeout_secs)
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            max_rows: self.max_rows,
            max_query_limit: self.max_query_limit,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            long_request_timeout: Duration::from_secs(self.long_request_timeout_secs),
        }
    }
}
