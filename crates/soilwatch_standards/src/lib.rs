//! The soilwatch standards engine.
//!
//! Owns: every national standard the platform applies, held as versioned data (CSV files in
//! `data/`, embedded at build time, each value with its table, scope, unit, confidence and
//! source): GB 15618-2018, GB 36600-2018, GB 2762, GB 5084-2021, GB/T 14848-2017 and
//! GB 3838-2002; local rulesets that overlay a national one (stricter values, or items the nation
//! has none for); the evaluation of a sample (GB 15618 classes and the single-factor pollution
//! index, GB 36600 screening and intervention, water classes, irrigation-water and food
//! compliance) with an explanation of every item; and the batch CSV pipeline behind
//! `soilwatch evaluate` (bytes in, bytes out).
//!
//! Pure: no tokio, sqlx or axum, no file opening, no environment. Readers and writers are passed
//! in. Every public result type derives `serde::Serialize`; the web layer adds its own schema.
//!
//! Entry points:
//! * [`RulesetRegistry::builtin`] → [`RulesetRegistry::list`] / [`RulesetRegistry::get`].
//! * [`SoilEngine::builtin`] (or [`SoilEngine::new`] for an overlay) →
//!   [`SoilEngine::evaluate`] for a stored sample.
//! * [`overlay::overlay_from_csv`] / [`overlay::build_overlay`] for local rulesets.
//! * [`water::evaluate_water`], [`food::evaluate_food`] for water and food samples.
//! * [`batch::evaluate_csv`] for the `soilwatch evaluate` command.

pub mod batch;
pub mod error;
pub mod exact;
pub mod food;
pub mod overlay;
pub mod ruleset;
pub mod soil;
pub mod water;

pub use batch::{
    evaluate_csv, evaluate_slice, BatchOptions, BatchSummary, InputEncoding, RowError,
};
pub use error::{StandardsError, StandardsResult};
pub use ruleset::{
    PhBand, Ruleset, RulesetKind, RulesetRegistry, RulesetSummary, ThresholdValue, ValueType,
    WaterClass,
};
pub use soil::{
    Flag, ItemEvaluation, LandClass, Method, PollutionGrade, SoilClass, SoilEngine, SoilEvaluation,
    SoilSampleContext,
};
