//! Geostatistics and projected geometry for soilwatch (土壤污染插值与面积).
//!
//! Owns: projection of CGCS2000 longitude/latitude to the 3° Gauss–Krüger zone of a geometry
//! and areas computed there ([`projection`]); variograms — the three models, the experimental
//! variogram, weighted least-squares fitting ([`variogram`], whose documentation states the model
//! convention); inverse distance weighting and ordinary kriging with a moving neighbourhood on an
//! R-tree, kriging variance, leave-one-out cross-validation and an optional log transform
//! ([`interpolate`]); regular grids and their ESRI ASCII / GeoTIFF encodings ([`grid`]).
//!
//! Pure: no I/O (writers take any `std::io::Write`), no async runtime, no database, no
//! environment. Uses rayon for batches and grids.
//!
//! The classification of land units calls it like this: build one [`Interpolator`] per analyte
//! from the sample points, then ask [`Interpolator::estimate`] / [`Interpolator::estimate_many`]
//! at unit centroids (or [`Interpolator::grid`] over a county) and read `value` and `variance`.
//!
//! # Examples
//! ```
//! use soilwatch_geostat::{Crs, Interpolator, InterpolatorOptions, KrigingParams, LagOptions,
//!     Method, Sample, Transform, VariogramSpec};
//! // Cd (mg/kg) at sample points given in CGCS2000 longitude/latitude.
//! let pts: Vec<Sample> = (0..50)
//!     .map(|i| {
//!         let f = i as f64;
//!         let (x, y) = ((f * 0.618).fract(), (f * 0.414 + 0.2).fract());
//!         Sample { x: 102.2 + 0.05 * x, y: 27.8 + 0.05 * y, value: 0.2 + 0.3 * x + 0.05 * (7.0 * y).sin() }
//!     })
//!     .collect();
//! let options = InterpolatorOptions {
//!     crs: Crs::LonLat,
//!     method: Method::OrdinaryKriging(KrigingParams {
//!         variogram: VariogramSpec::Auto(LagOptions::default()),
//!         neighbors: 32,
//!         radius: None,
//!     }),
//!     transform: Transform::Log,
//! };
//! let cd = Interpolator::new(&pts, &options).unwrap();
//! let at_unit = cd.estimate(102.225, 27.825).unwrap().unwrap();
//! assert!(at_unit.value > 0.2 && at_unit.value < 0.5);
//! assert!(at_unit.variance.unwrap() >= 0.0);
//! ```

pub mod error;
pub mod grid;
pub mod interpolate;
pub mod projection;
pub mod variogram;

pub use error::{GeostatError, GeostatResult};
pub use grid::{
    gk_cm_epsg, metres_to_degrees_latitude, prj_wkt, Band, Grid, GridSpec, EPSG_CGCS2000,
    MAX_CELLS, NODATA,
};
pub use interpolate::{
    CrossValidation, Crs, CvResidual, Estimate, IdwParams, Interpolator, InterpolatorOptions,
    KrigingParams, Method, Sample, Transform, VariogramSpec, DEFAULT_NEIGHBORS,
};
pub use projection::{area_km2, gauss_kruger_3deg, GaussKruger};
pub use variogram::{
    experimental_variogram, fit_best, fit_variogram, ExperimentalVariogram, FittedVariogram, Lag,
    LagOptions, ModelKind, Variogram, ZERO_DISTANCE,
};
