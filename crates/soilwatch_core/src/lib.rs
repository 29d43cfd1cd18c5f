//! Domain types and code checks for soilwatch.
//!
//! Owns: administrative divisions (GB/T 2260 codes), land use (GB/T 21010), media, the analyte
//! catalogue with aliases, units and their conversion, monitoring points (with the work plan's
//! risk-area categories and what a point watches), samples, results with
//! detection limits and qualifiers, departments, and the unified social credit code check (GB 32100).
//!
//! Pure: no I/O, no async runtime, no database, no web framework. Every type validates on
//! construction, so an invalid code, unit or coordinate cannot exist past the parser.

pub mod analyte;
pub mod division;
pub mod error;
pub mod landuse;
pub mod medium;
pub mod model;
pub mod network;
pub mod unit;
pub mod uscc;

pub use analyte::{Analyte, AnalyteCatalogue, AnalyteGroup};
pub use division::{Division, DivisionCode, DivisionLevel};
pub use error::{CoreError, CoreResult};
pub use landuse::{FarmlandGroup, LandUse};
pub use medium::Medium;
pub use model::*;
pub use network::{NetworkPoint, RiskAreaCategory};
pub use unit::{Dimension, Unit};
pub use uscc::Uscc;
