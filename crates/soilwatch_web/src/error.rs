//! One mapping from errors to HTTP responses. Every error body is
//! `{"error": {"code": "...", "message": "..."}}`; internal errors are logged and the client gets
//! a generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use soilwatch_store::StoreError;
use utoipa::ToSchema;

/// The error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `unprocessable`, `too_many_requests`, `internal`, `payload_too_large`,
    /// `timeout`, `unavailable`.
    pub code: String,
    /// Human-readable message, Chinese and English.
    pub message: String,
}

/// An error a handler returns.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    NotFound(String),
    Conflict(String),
    Unprocessable(String),
    Internal(String),
    /// Not signed in, or a bad API token (issue 7).
    Unauthorized(String),
    /// Signed in, but the role or department may not do this (issue 7).
    Forbidden(String),
    /// Sign-in throttled after repeated failures (issue 7).
    TooManyRequests(String),
    /// A body or upload over its limit (issue 13).
    PayloadTooLarge(String),
    /// The database cannot be reached (issue 13); the client may retry.
    Unavailable(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
            StoreError::Unavailable(_) => ApiError::Unavailable(e.to_string()),
            StoreError::Open { .. } | StoreError::Migration(_) | StoreError::Backend(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", m),
            ApiError::PayloadTooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", m),
            ApiError::Unavailable(m) => {
                tracing::warn!(error = %m, "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "数据库暂时不可用，请稍后重试 / the database is unavailable for the moment; \
                     try again later"
                        .to_owned(),
                )
            }
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，已记录 / internal error, logged on the server".to_owned(),
                )
            }
        };
        let body = ErrorResponse {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let unavailable = status == StatusCode::SERVICE_UNAVAILABLE;
        let mut res = (status, Json(body)).into_response();
        if unauthorized {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"soilwatch\""),
            );
        }
        if unavailable {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        res
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
