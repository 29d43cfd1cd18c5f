//! The HTTP surface of soilwatch: the JSON API under `/api/v1` (described by the OpenAPI
//! document at `/api/v1/openapi.json`), health, and the pages.
//!
//! Handlers extract, call and map: no SQL here; everything goes through the `Store` trait and the
//! pure crates. Errors map to HTTP statuses in one place (`error.rs`).

pub mod api;
pub mod auth;
pub mod error;
pub mod limits;
pub mod ogc;
pub mod pages;
pub mod raster;
pub mod report;
pub mod router;
pub mod security;

use std::sync::Arc;

use soilwatch_store::Store;

pub use router::router;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Sign-in and session settings (issue 7).
    pub auth: auth::AuthConfig,
    /// Request limits (issue 13).
    pub limits: limits::Limits,
    /// Each sample's evaluation as the dashboard counts it, kept between requests (issue 7).
    pub evaluations: Arc<pages::overview::EvaluationCache>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            auth: auth::AuthConfig::default(),
            limits: limits::Limits::default(),
            evaluations: Arc::default(),
        }
    }

    /// With sign-in and session settings (issue 7).
    pub fn with_auth(mut self, auth: auth::AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// With request limits (issue 13).
    pub fn with_limits(mut self, limits: limits::Limits) -> Self {
        self.limits = limits;
        self
    }
}
