//! Geostatistics and projected geometry for soilwatch.
//!
//! Owns: projection of CGCS2000 longitude/latitude to the 3° Gauss–Krüger zone of a geometry
//! and areas computed there. (Interpolation — IDW, variograms, kriging — lands here too.)
//!
//! Pure: no I/O, no async runtime, no database.

pub mod projection;

pub use projection::{area_km2, gauss_kruger_3deg, GaussKruger, GeostatError, GeostatResult};
