//! Farmland classification (农用地土壤环境质量类别划分) for soilwatch, issue 6.
//!
//! Owns: evaluation units ([`units`]: parcels from GeoJSON or GeoPackage geometries, grids
//! clipped to a county, areas in mu and hectares in the projected CRS); the class of a unit from
//! the samples inside it, from interpolated concentrations, and with co-located crops
//! ([`rules`], [`run`]); the classification list, the changes between runs and the exports
//! ([`list`]); the measures whose areas count toward the work plan's targets ([`targets`]).
//!
//! Pure: no tokio, sqlx or axum, no files, no environment. The store keeps runs; the web and
//! the command line call [`run::classify_units`] through the store's classification service.

pub mod error;
pub mod list;
pub mod rules;
pub mod run;
pub mod targets;
pub mod units;

pub use error::{ClassifyError, ClassifyResult};
pub use list::{changes, summarise, ClassificationList, ListUnit, UnitChange};
pub use rules::{
    Aggregation, Basis, ClassifySettings, CropSampleInput, Decision, Interpolation,
    SoilSampleInput, UnitClass, UnitOutcome,
};
pub use run::{classify_units, RunOutput};
pub use targets::Measure;
pub use units::{EvaluationUnit, UnitFileOptions, UnitSource, SQUARE_METRES_PER_MU};
