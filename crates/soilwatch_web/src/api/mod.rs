//! JSON API under `/api/v1`, one module per resource.

pub mod analytes;
pub mod auth;
pub mod catalogue;
pub mod classification;
pub mod demolition;
pub mod departments;
pub mod divisions;
pub mod enterprises;
pub mod exports;
pub mod find;
pub mod health;
pub mod imports;
pub mod mining;
pub mod network;
pub mod openapi;
pub mod packages;
pub mod plot_boundaries;
pub mod plots;
pub mod points;
pub mod public_reports;
pub mod registry_support;
pub mod remediation;
pub mod samples;
pub mod self_monitoring;
pub mod standards;
pub mod submissions;
pub mod tailings;
pub mod targets;

use crate::error::ApiError;

/// Parse a division code from a path or query, as a 400 with the reason.
pub(crate) fn parse_division(s: &str) -> Result<soilwatch_core::DivisionCode, ApiError> {
    s.parse()
        .map_err(|e: soilwatch_core::CoreError| ApiError::BadRequest(e.to_string()))
}
