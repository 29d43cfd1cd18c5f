//! Interpolation: inverse distance weighting and ordinary kriging with a moving neighbourhood,
//! leave-one-out cross-validation, optional log transform.
//!
//! An [`Interpolator`] is built once from the data points (projected, duplicates merged, indexed
//! in an R-tree) and then queried for any number of targets, one at a time ([`Interpolator::estimate`]),
//! in batches ([`Interpolator::estimate_many`]) or on a grid ([`Interpolator::grid`]); batches and
//! grids use every core (rayon).
//!
//! Coordinates: with [`Crs::LonLat`] the points are CGCS2000 longitude/latitude in degrees and are
//! projected to the 3° Gauss–Krüger zone of the centre of their bounding box before any distance is
//! computed; targets are given (and grids are laid out) in the same input CRS. With
//! [`Crs::Projected`] coordinates are used as they are (metres).
//!
//! Duplicate points (the same location, within 1 µm once projected) are **merged**: one point with
//! the mean of their (transformed) values. Kriging with two points at one location and γ(0) = 0
//! has a singular system, and IDW would give them double weight; the count is reported by
//! [`Interpolator::merged_duplicates`].
//!
//! Neighbourhoods: the k nearest points within the search radius, by distance; points at the
//! same distance are taken in input order (after merging), so a tie at the k-th distance keeps the
//! points given first and every path (one target, batches, grids) uses the same points. Grids
//! share one candidate search among the cells of small tiles (see [`Interpolator::grid`]).
//!
//! Log transform ([`Transform::Log`], values must be > 0): kriging is done on y = ln z and the
//! estimate is back-transformed with the lognormal ordinary-kriging formula
//! ẑ = exp(ŷ + σ²/2 − μ) (Journel 1980; Webster & Oliver 2007, §8.7), where σ² is the kriging
//! variance and μ the Lagrange multiplier of the log-scale system. The reported variance stays on
//! the log scale (so a 95 % interval is exp(ŷ ± 1.96σ)). For IDW the estimate is exp(ŷ) (a
//! weighted geometric mean).

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::error::{GeostatError, GeostatResult};
use crate::grid::{Grid, GridSpec};
use crate::projection::{gauss_kruger_3deg, GaussKruger};
use crate::variogram::{
    experimental_variogram, fit_best, ExperimentalVariogram, LagOptions, Variogram, ZERO_DISTANCE,
};

/// Default number of neighbours for ordinary kriging (and IDW).
pub const DEFAULT_NEIGHBORS: usize = 32;

/// The coordinate reference system of the input points and of targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// Planar coordinates in metres (e.g. a CGCS2000 Gauss–Krüger zone): used as they are.
    #[default]
    Projected,
    /// CGCS2000 longitude/latitude in degrees (EPSG:4490): projected to the 3° Gauss–Krüger
    /// zone of the data before distances are computed.
    LonLat,
}

/// One data point in the input CRS: x (easting or longitude), y (northing or latitude), value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub x: f64,
    pub y: f64,
    pub value: f64,
}

/// A transform of the values before interpolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transform {
    #[default]
    None,
    /// y = ln z, back-transformed as described in the module documentation.
    Log,
}

/// Inverse distance weighting: w = 1/dᵖ over the k nearest points within the radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdwParams {
    /// Power p (default 2).
    pub power: f64,
    /// k nearest points (default 32); k ≥ n means all points.
    pub neighbors: usize,
    /// Search radius (projected units); points farther away are not used. None: no limit.
    pub radius: Option<f64>,
}

impl Default for IdwParams {
    fn default() -> Self {
        Self {
            power: 2.0,
            neighbors: DEFAULT_NEIGHBORS,
            radius: None,
        }
    }
}

/// Where the kriging variogram comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VariogramSpec {
    /// A given model (for the transformed values when a transform is used).
    Fixed(Variogram),
    /// Computed from the data: experimental variogram with these lags, then the best of the three
    /// models by weighted least squares ([`crate::fit_best`]).
    Auto(LagOptions),
}

/// Ordinary kriging with a moving neighbourhood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KrigingParams {
    pub variogram: VariogramSpec,
    /// k nearest points (default 32); k ≥ n means all points.
    pub neighbors: usize,
    /// Search radius (projected units). None: no limit.
    pub radius: Option<f64>,
}

impl KrigingParams {
    /// Kriging with a fixed variogram and the default neighbourhood (32 nearest, no radius).
    pub fn with_variogram(variogram: Variogram) -> Self {
        Self {
            variogram: VariogramSpec::Fixed(variogram),
            neighbors: DEFAULT_NEIGHBORS,
            radius: None,
        }
    }
}

/// The interpolation method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// 反距离加权 — inverse distance weighting.
    Idw(IdwParams),
    /// 普通克里金 — ordinary kriging.
    OrdinaryKriging(KrigingParams),
}

/// Everything an [`Interpolator`] is built with besides the points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterpolatorOptions {
    pub crs: Crs,
    pub method: Method,
    pub transform: Transform,
}

/// One estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate in the original units (back-transformed when a transform is used).
    pub value: f64,
    /// Ordinary kriging variance (log scale under [`Transform::Log`]); None for IDW.
    pub variance: Option<f64>,
    /// How many data points were used.
    pub neighbors: usize,
}

/// Leave-one-out cross-validation of one data point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvResidual {
    /// Index into [`Interpolator::points`] (after merging duplicates).
    pub index: usize,
    pub observed: f64,
    pub estimate: f64,
    /// Kriging variance (log scale under [`Transform::Log`]); None for IDW.
    pub variance: Option<f64>,
}

/// Leave-one-out cross-validation statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// Points that could be estimated from the others.
    pub n: usize,
    /// Mean of (estimate − observed), original units (ideal 0).
    pub mean_error: f64,
    /// Root mean squared error, original units (ideal small).
    pub rmse: f64,
    /// Mean standardised squared error, mean of (ŷ − y)²/σ² on the kriging scale (ideal 1);
    /// None for IDW.
    pub msse: Option<f64>,
    pub residuals: Vec<CvResidual>,
}

type Indexed = GeomWithData<[f64; 2], usize>;

/// R-tree node sizes: leaves of up to 8 points (fewer, fuller nodes than rstar's default 6).
#[derive(Debug, Clone, Copy)]
struct TreeParams;

impl rstar::RTreeParams for TreeParams {
    const MIN_SIZE: usize = 3;
    const MAX_SIZE: usize = MAX_CHILDREN;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

const MAX_CHILDREN: usize = 8;
const INLINE_CHILDREN: usize = 16;

/// How the points are placed in projected space.
#[derive(Debug, Clone)]
enum Placement {
    Projected,
    GaussKruger(Box<GaussKruger>),
}

/// An interpolator built once from data points and queried for many targets.
///
/// # Examples
/// ```
/// use soilwatch_geostat::{Crs, Interpolator, InterpolatorOptions, KrigingParams, Method, ModelKind,
///     Sample, Transform, Variogram};
/// let pts = [
///     Sample { x: 0.0, y: 0.0, value: 1.0 },
///     Sample { x: 100.0, y: 0.0, value: 2.0 },
///     Sample { x: 0.0, y: 100.0, value: 3.0 },
///     Sample { x: 100.0, y: 100.0, value: 4.0 },
/// ];
/// let v = Variogram::new(ModelKind::Spherical, 0.0, 1.0, 300.0).unwrap();
/// let opts = InterpolatorOptions {
///     crs: Crs::Projected,
///     method: Method::OrdinaryKriging(KrigingParams::with_variogram(v)),
///     transform: Transform::None,
/// };
/// let ok = Interpolator::new(&pts, &opts).unwrap();
/// let centre = ok.estimate(50.0, 50.0).unwrap().unwrap();
/// assert!((centre.value - 2.5).abs() < 1e-9); // symmetric: the mean
/// assert!(centre.variance.unwrap() > 0.0);
/// let on_point = ok.estimate(100.0, 0.0).unwrap().unwrap();
/// assert_eq!((on_point.value, on_point.variance), (2.0, Some(0.0)));
/// ```
#[derive(Debug, Clone)]
pub struct Interpolator {
    placement: Placement,
    options: InterpolatorOptions,
    /// Projected coordinates of the merged points.
    xy: Vec<[f64; 2]>,
    /// Merged points in the input CRS (value in original units; geometric mean under log).
    points: Vec<Sample>,
    /// Values on the interpolation scale (ln z under log).
    z: Vec<f64>,
    tree: RTree<Indexed, TreeParams>,
    variogram: Option<Variogram>,
    experimental: Option<ExperimentalVariogram>,
    merged_duplicates: usize,
}

impl Interpolator {
    /// Project, transform and merge the points, fit the variogram if asked, build the R-tree.
    pub fn new(samples: &[Sample], options: &InterpolatorOptions) -> GeostatResult<Self> {
        if samples.is_empty() {
            return Err(GeostatError::NoPoints);
        }
        for (index, s) in samples.iter().enumerate() {
            if !(s.x.is_finite() && s.y.is_finite() && s.value.is_finite()) {
                return Err(GeostatError::NonFinite { index });
            }
            if options.transform == Transform::Log && s.value <= 0.0 {
                return Err(GeostatError::NonPositiveForLog {
                    index,
                    value: s.value,
                });
            }
        }
        check_method(&options.method)?;
        let placement = match options.crs {
            Crs::Projected => Placement::Projected,
            Crs::LonLat => {
                let (lo, hi) = samples.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| {
                    (lo.min(s.x), hi.max(s.x))
                });
                Placement::GaussKruger(Box::new(gauss_kruger_3deg((lo + hi) / 2.0)?))
            }
        };
        let forward = |t: Transform, v: f64| match t {
            Transform::None => v,
            Transform::Log => v.ln(),
        };
        // Merge duplicates: key on the projected position quantised to 1 µm.
        let mut slots: HashMap<(i64, i64), usize> = HashMap::with_capacity(samples.len());
        let mut acc: Vec<([f64; 2], Sample, f64, usize)> = Vec::with_capacity(samples.len());
        for s in samples {
            let p = project(&placement, s.x, s.y)?;
            let key = ((p[0] * 1e6).round() as i64, (p[1] * 1e6).round() as i64);
            let t = forward(options.transform, s.value);
            match slots.get(&key) {
                Some(&i) => {
                    acc[i].2 += t;
                    acc[i].3 += 1;
                }
                None => {
                    slots.insert(key, acc.len());
                    acc.push((p, *s, t, 1));
                }
            }
        }
        let merged_duplicates = samples.len() - acc.len();
        let mut xy = Vec::with_capacity(acc.len());
        let mut points = Vec::with_capacity(acc.len());
        let mut z = Vec::with_capacity(acc.len());
        for (p, s, sum, count) in acc {
            let mean = sum / count as f64;
            xy.push(p);
            z.push(mean);
            points.push(Sample {
                value: match options.transform {
                    Transform::None => mean,
                    Transform::Log => mean.exp(),
                },
                ..s
            });
        }
        let (variogram, experimental) = match options.method {
            Method::Idw(_) => (None, None),
            Method::OrdinaryKriging(k) => match k.variogram {
                VariogramSpec::Fixed(v) => (Some(v), None),
                VariogramSpec::Auto(lags) => {
                    let ev = experimental_variogram(&xy, &z, &lags)?;
                    let fit = fit_best(&ev)?;
                    (Some(fit.variogram), Some(ev))
                }
            },
        };
        let tree = RTree::bulk_load_with_params(
            xy.iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(*p, i))
                .collect(),
        );
        Ok(Self {
            placement,
            options: *options,
            xy,
            points,
            z,
            tree,
            variogram,
            experimental,
            merged_duplicates,
        })
    }

    /// The variogram used (given or fitted); None for IDW.
    pub fn variogram(&self) -> Option<&Variogram> {
        self.variogram.as_ref()
    }

    /// The experimental variogram, when the variogram was fitted ([`VariogramSpec::Auto`]).
    pub fn experimental_variogram(&self) -> Option<&ExperimentalVariogram> {
        self.experimental.as_ref()
    }

    /// How many input points were merged into another at the same location.
    pub fn merged_duplicates(&self) -> usize {
        self.merged_duplicates
    }

    /// The merged data points, in the input CRS.
    pub fn points(&self) -> &[Sample] {
        &self.points
    }

    /// The options it was built with.
    pub fn options(&self) -> &InterpolatorOptions {
        &self.options
    }

    /// Central meridian of the Gauss–Krüger zone used, for [`Crs::LonLat`].
    pub fn central_meridian(&self) -> Option<f64> {
        match &self.placement {
            Placement::Projected => None,
            Placement::GaussKruger(gk) => Some(gk.central_meridian),
        }
    }

    /// The estimate at (x, y) in the input CRS; None when no data point is within the search
    /// radius.
    pub fn estimate(&self, x: f64, y: f64) -> GeostatResult<Option<Estimate>> {
        let p = project(&self.placement, x, y)?;
        let mut scratch = Scratch::default();
        self.estimate_projected(p, None, &mut scratch)
    }

    /// Estimates at many targets (input CRS), in parallel, in the order given.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::{Crs, IdwParams, Interpolator, InterpolatorOptions, Method, Sample, Transform};
    /// let pts = [Sample { x: 0.0, y: 0.0, value: 0.0 }, Sample { x: 10.0, y: 0.0, value: 10.0 }];
    /// let opts = InterpolatorOptions {
    ///     crs: Crs::Projected,
    ///     method: Method::Idw(IdwParams::default()),
    ///     transform: Transform::None,
    /// };
    /// let idw = Interpolator::new(&pts, &opts).unwrap();
    /// let out = idw.estimate_many(&[[5.0, 0.0], [0.0, 0.0]]).unwrap();
    /// assert_eq!(out[0].unwrap().value, 5.0);
    /// assert_eq!(out[1].unwrap().value, 0.0);
    /// ```
    pub fn estimate_many(&self, targets: &[[f64; 2]]) -> GeostatResult<Vec<Option<Estimate>>> {
        targets
            .par_iter()
            .map_init(Scratch::default, |scratch, t| {
                let p = project(&self.placement, t[0], t[1])?;
                self.estimate_projected(p, None, scratch)
            })
            .collect()
    }

    /// Estimates at the centres of every cell of a grid laid out in the input CRS, in parallel.
    /// Cells with no data within the search radius are NaN.
    ///
    /// The cells are walked in small square tiles: one k-nearest search at the tile's centre
    /// bounds every cell's k-th distance (triangle inequality), one R-tree query gathers the
    /// candidates of the whole tile, and each cell selects its k nearest from them. The
    /// neighbourhoods, and so the estimates, are the same as [`Interpolator::estimate`]'s.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::{Crs, GridSpec, IdwParams, Interpolator, InterpolatorOptions, Method,
    ///     Sample, Transform};
    /// let pts = [Sample { x: 0.0, y: 0.0, value: 1.0 }, Sample { x: 90.0, y: 90.0, value: 3.0 }];
    /// let opts = InterpolatorOptions { crs: Crs::Projected, method: Method::Idw(IdwParams::default()),
    ///     transform: Transform::None };
    /// let idw = Interpolator::new(&pts, &opts).unwrap();
    /// let spec = GridSpec::covering(&[[0.0, 0.0], [90.0, 90.0]], 10.0).unwrap();
    /// let grid = idw.grid(&spec).unwrap();
    /// assert_eq!((spec.ncols, spec.nrows), (10, 10));
    /// assert!(grid.variance.is_none());
    /// assert_eq!(grid.estimate.len(), 100);
    /// ```
    pub fn grid(&self, spec: &GridSpec) -> GeostatResult<Grid> {
        spec.check()?;
        let kriging = self.variogram.is_some();
        let (k, radius) = self.neighbourhood();
        let k = k.min(self.xy.len());
        let side = self.tile_side(spec, k)?;
        let ncols = spec.ncols;
        // One rayon task per strip of `side` rows; each strip is walked in tiles of side × side
        // cells that share one candidate list (see `TileSearch`).
        let strips: Vec<(Vec<f64>, Vec<f64>)> = (0..spec.nrows.div_ceil(side))
            .into_par_iter()
            .map_init(GridScratch::default, |gs, strip| {
                let rows = strip * side..((strip + 1) * side).min(spec.nrows);
                let cells = rows.len() * ncols;
                let mut est = vec![f64::NAN; cells];
                let mut var = vec![f64::NAN; if kriging { cells } else { 0 }];
                for c0 in (0..ncols).step_by(side) {
                    let cols = c0..(c0 + side).min(ncols);
                    gs.cells.clear();
                    for row in rows.clone() {
                        // Snake order: each cell is next to the one before it.
                        let forward = (row - rows.start) % 2 == 0;
                        for i in 0..cols.len() {
                            let col = if forward {
                                cols.start + i
                            } else {
                                cols.end - 1 - i
                            };
                            let (x, y) = spec.cell_center(col, row);
                            gs.cells.push((
                                (row - rows.start) * ncols + col,
                                project(&self.placement, x, y)?,
                            ));
                        }
                    }
                    let tile = TileSearch::new(
                        self,
                        &gs.cells,
                        k,
                        radius,
                        &mut gs.candidates,
                        &mut gs.scratch,
                    );
                    let mut previous = None;
                    for &(at, p) in &gs.cells {
                        match &tile {
                            Some(t) => {
                                t.neighbours(
                                    p,
                                    previous,
                                    &gs.candidates,
                                    &mut gs.keys,
                                    &mut gs.scratch.nb,
                                );
                                // A full neighbourhood bounds the next cell's k-th distance.
                                previous = (gs.scratch.nb.len() == k)
                                    .then(|| gs.scratch.nb.last().map(|n| (p, n.1)))
                                    .flatten();
                            }
                            None => self.neighbours(p, k, radius, None, &mut gs.scratch),
                        }
                        if let Some(e) = self.estimate_with_neighbours(p, &mut gs.scratch)? {
                            est[at] = e.value;
                            if kriging {
                                var[at] = e.variance.unwrap_or(f64::NAN);
                            }
                        }
                    }
                }
                Ok((est, var))
            })
            .collect::<GeostatResult<_>>()?;
        let mut estimate = Vec::with_capacity(spec.ncols * spec.nrows);
        let mut variance = Vec::with_capacity(if kriging { estimate.capacity() } else { 0 });
        for (e, v) in strips {
            estimate.extend(e);
            variance.extend(v);
        }
        Ok(Grid {
            spec: *spec,
            estimate,
            variance: kriging.then_some(variance),
        })
    }

    /// Side (in cells) of the square tiles a grid is walked in: about 0.4 × the expected distance
    /// to the k-th nearest point (points spread evenly over their bounding box) over the cell
    /// spacing, plus one. Larger tiles share one candidate search among more cells but scan a
    /// wider ring of candidates per cell; this balances the two (measured on the benchmark).
    fn tile_side(&self, spec: &GridSpec, k: usize) -> GeostatResult<usize> {
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in &self.xy {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let (w, h) = (hi[0] - lo[0], hi[1] - lo[1]);
        // Points along a line: spread them over the square on it.
        let area = if w * h > 0.0 { w * h } else { w.max(h).powi(2) };
        let kth = (k as f64 * area / (std::f64::consts::PI * self.xy.len() as f64)).sqrt();
        // Cell spacing in projected units (the grid may be laid out in degrees).
        let (x0, y0) = spec.cell_center(0, 0);
        let (x1, y1) = if spec.ncols > 1 {
            spec.cell_center(1, 0)
        } else {
            (x0, y0 - spec.cell_size)
        };
        let (a, b) = (
            project(&self.placement, x0, y0)?,
            project(&self.placement, x1, y1)?,
        );
        let spacing = (a[0] - b[0]).hypot(a[1] - b[1]);
        let side = 1.0 + (TILE_FACTOR * kth / spacing).round();
        Ok(if side.is_finite() && side >= 1.0 {
            (side as usize).min(MAX_TILE)
        } else {
            1
        })
    }

    /// Leave-one-out cross-validation: each point estimated from the others with the same
    /// method, variogram and neighbourhood.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_geostat::{Crs, IdwParams, Interpolator, InterpolatorOptions, Method, Sample, Transform};
    /// let pts: Vec<Sample> = (0..5).map(|i| Sample { x: i as f64, y: 0.0, value: i as f64 }).collect();
    /// let opts = InterpolatorOptions { crs: Crs::Projected, method: Method::Idw(IdwParams::default()),
    ///     transform: Transform::None };
    /// let cv = Interpolator::new(&pts, &opts).unwrap().cross_validate().unwrap();
    /// assert_eq!(cv.n, 5);
    /// assert!(cv.msse.is_none()); // IDW has no variance
    /// ```
    pub fn cross_validate(&self) -> GeostatResult<CrossValidation> {
        let residuals: Vec<Option<CvResidual>> = (0..self.xy.len())
            .into_par_iter()
            .map_init(Scratch::default, |scratch, i| {
                Ok(self
                    .estimate_projected(self.xy[i], Some(i), scratch)?
                    .map(|e| CvResidual {
                        index: i,
                        observed: self.points[i].value,
                        estimate: e.value,
                        variance: e.variance,
                    }))
            })
            .collect::<GeostatResult<_>>()?;
        let residuals: Vec<CvResidual> = residuals.into_iter().flatten().collect();
        let n = residuals.len();
        if n == 0 {
            return Err(GeostatError::InvalidParameter {
                name: "cross-validation",
                reason:
                    "no point could be estimated from the others (one point, or a search radius \
                         smaller than the spacing)"
                        .to_owned(),
            });
        }
        let nf = n as f64;
        let mean_error = residuals
            .iter()
            .map(|r| r.estimate - r.observed)
            .sum::<f64>()
            / nf;
        let rmse = (residuals
            .iter()
            .map(|r| (r.estimate - r.observed).powi(2))
            .sum::<f64>()
            / nf)
            .sqrt();
        let msse = if self.variogram.is_some() {
            let (mut sum, mut count) = (0.0, 0usize);
            for r in &residuals {
                if let Some(v) = r.variance.filter(|v| *v > 0.0) {
                    let (e, o) = match self.options.transform {
                        Transform::None => (r.estimate, r.observed),
                        Transform::Log => (self.log_estimate_of(r)?, r.observed.ln()),
                    };
                    sum += (e - o).powi(2) / v;
                    count += 1;
                }
            }
            (count > 0).then(|| sum / count as f64)
        } else {
            None
        };
        Ok(CrossValidation {
            n,
            mean_error,
            rmse,
            msse,
            residuals,
        })
    }

    /// The log-scale kriging estimate ŷ of a cross-validation residual (recomputed).
    fn log_estimate_of(&self, r: &CvResidual) -> GeostatResult<f64> {
        let mut scratch = Scratch::default();
        let raw = self.solve_ok(self.xy[r.index], Some(r.index), &mut scratch)?;
        Ok(raw.map_or(f64::NAN, |s| s.mean))
    }

    fn estimate_projected(
        &self,
        p: [f64; 2],
        exclude: Option<usize>,
        scratch: &mut Scratch,
    ) -> GeostatResult<Option<Estimate>> {
        let (k, radius) = self.neighbourhood();
        self.neighbours(p, k, radius, exclude, scratch);
        self.estimate_with_neighbours(p, scratch)
    }

    /// The search parameters of the method: k nearest and the search radius.
    fn neighbourhood(&self) -> (usize, Option<f64>) {
        match self.options.method {
            Method::Idw(p) => (p.neighbors, p.radius),
            Method::OrdinaryKriging(p) => (p.neighbors, p.radius),
        }
    }

    /// The estimate at projected point p from the neighbours already in `scratch.nb`.
    fn estimate_with_neighbours(
        &self,
        p: [f64; 2],
        scratch: &mut Scratch,
    ) -> GeostatResult<Option<Estimate>> {
        match self.options.method {
            Method::Idw(params) => {
                if scratch.nb.is_empty() {
                    return Ok(None);
                }
                let (i0, d0) = scratch.nb[0];
                let y = if d0 <= ZERO_DISTANCE {
                    self.z[i0]
                } else {
                    let (mut sw, mut swz) = (0.0, 0.0);
                    for &(i, d) in &scratch.nb {
                        let w = if params.power == 2.0 {
                            1.0 / (d * d)
                        } else {
                            d.powf(-params.power)
                        };
                        sw += w;
                        swz += w * self.z[i];
                    }
                    swz / sw
                };
                Ok(Some(Estimate {
                    value: match self.options.transform {
                        Transform::None => y,
                        Transform::Log => y.exp(),
                    },
                    variance: None,
                    neighbors: scratch.nb.len(),
                }))
            }
            Method::OrdinaryKriging(_) => {
                Ok(self
                    .solve_ok_with_neighbours(p, scratch)?
                    .map(|s| Estimate {
                        value: match self.options.transform {
                            Transform::None => s.mean,
                            Transform::Log => (s.mean + s.variance / 2.0 - s.lagrange).exp(),
                        },
                        variance: Some(s.variance),
                        neighbors: s.neighbors,
                    }))
            }
        }
    }

    /// Solve the ordinary kriging system at projected point p on the interpolation scale.
    fn solve_ok(
        &self,
        p: [f64; 2],
        exclude: Option<usize>,
        scratch: &mut Scratch,
    ) -> GeostatResult<Option<OkSolution>> {
        let (k, radius) = self.neighbourhood();
        self.neighbours(p, k, radius, exclude, scratch);
        self.solve_ok_with_neighbours(p, scratch)
    }

    /// Solve the ordinary kriging system at projected point p with the neighbours already in
    /// `scratch.nb`.
    fn solve_ok_with_neighbours(
        &self,
        p: [f64; 2],
        scratch: &mut Scratch,
    ) -> GeostatResult<Option<OkSolution>> {
        let Some(v) = self.variogram else {
            return Ok(None);
        };
        let m = scratch.nb.len();
        if m == 0 {
            return Ok(None);
        }
        let (i0, d0) = scratch.nb[0];
        if d0 <= ZERO_DISTANCE {
            // γ(0) = 0: the system's solution is λ = e_i, μ = 0, σ² = 0.
            return Ok(Some(OkSolution {
                mean: self.z[i0],
                variance: 0.0,
                lagrange: 0.0,
                neighbors: m,
            }));
        }
        if let Some(sol) = solve_cholesky(&v, &self.xy, &self.z, scratch) {
            return Ok(Some(sol));
        }
        solve_lu(&v, p, &self.xy, &self.z, &scratch.nb).map(Some)
    }

    /// Fill `scratch.nb` with (index, distance) of the k nearest points within the radius, by
    /// increasing distance, leaving out `exclude`. Points at the same distance are ordered by
    /// index (input order), and a tie at the k-th distance keeps the points given first: the
    /// neighbourhood is that of a brute-force sort by (distance², index).
    ///
    /// A depth-first branch-and-bound search of the R-tree keeping the k best in a sorted buffer:
    /// no allocation per query, and nodes farther than the current k-th best are never opened.
    fn neighbours(
        &self,
        p: [f64; 2],
        k: usize,
        radius: Option<f64>,
        exclude: Option<usize>,
        scratch: &mut Scratch,
    ) {
        scratch.nb.clear();
        let k = k.min(self.xy.len());
        if k == 0 {
            return;
        }
        let search = Search {
            p,
            k,
            r2: radius.map_or(f64::INFINITY, |r| r * r),
            exclude,
        };
        search.visit(self.tree.root(), &mut scratch.nb);
        for n in &mut scratch.nb {
            n.1 = n.1.sqrt();
        }
    }
}

/// One k-nearest-neighbour query; the buffer holds (index, squared distance), ascending.
struct Search {
    p: [f64; 2],
    k: usize,
    r2: f64,
    exclude: Option<usize>,
}

impl Search {
    #[inline]
    fn bound(&self, best: &[(usize, f64)]) -> f64 {
        if best.len() < self.k {
            self.r2
        } else {
            best[self.k - 1].1
        }
    }

    fn visit(&self, node: &rstar::ParentNode<Indexed>, best: &mut Vec<(usize, f64)>) {
        use rstar::RTreeNode;
        // Child nodes worth opening, (distance², position); bulk loading can leave more than
        // MAX_SIZE children in a node, so spill to the heap past the inline capacity.
        let mut inline: [(f64, usize); INLINE_CHILDREN] = [(0.0, 0); INLINE_CHILDREN];
        let mut spilled: Vec<(f64, usize)> = Vec::new();
        let mut n_parents = 0;
        for (i, child) in node.children().iter().enumerate() {
            match child {
                RTreeNode::Leaf(leaf) => {
                    let q = leaf.geom();
                    let (dx, dy) = (q[0] - self.p[0], q[1] - self.p[1]);
                    let d2 = dx * dx + dy * dy;
                    let key = (d2, leaf.data);
                    if best.len() == self.k {
                        // Full: keep it only if it comes before the k-th in (distance, index)
                        // order, so that ties at the k-th distance go to the first point given.
                        let (last, d_last) = best[self.k - 1];
                        if d2 > d_last || (d2 == d_last && leaf.data > last) {
                            continue;
                        }
                    } else if d2 > self.r2 {
                        continue;
                    }
                    if Some(leaf.data) == self.exclude {
                        continue;
                    }
                    if best.len() == self.k {
                        best.pop();
                    }
                    let mut at = best.len();
                    while at > 0 && (best[at - 1].1, best[at - 1].0) > key {
                        at -= 1;
                    }
                    best.insert(at, (leaf.data, d2));
                }
                RTreeNode::Parent(parent) => {
                    let d2 = parent.envelope().distance_2(&self.p);
                    if d2 <= self.bound(best) {
                        if n_parents < INLINE_CHILDREN {
                            inline[n_parents] = (d2, i);
                        } else {
                            if spilled.is_empty() {
                                spilled.extend_from_slice(&inline);
                            }
                            spilled.push((d2, i));
                        }
                        n_parents += 1;
                    }
                }
            }
        }
        let parents: &mut [(f64, usize)] = if spilled.is_empty() {
            &mut inline[..n_parents]
        } else {
            &mut spilled
        };
        parents.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(d2, i) in parents.iter() {
            if d2 > self.bound(best) {
                break;
            }
            if let RTreeNode::Parent(parent) = &node.children()[i] {
                self.visit(parent, best);
            }
        }
    }
}

/// Tile side over (expected k-th neighbour distance / cell spacing), and its cap.
const TILE_FACTOR: f64 = 0.4;
const MAX_TILE: usize = 32;
/// Relative and absolute slack on the tile bounds, far above the rounding of the distances.
const SLACK_REL: f64 = 1e-9;
const SLACK_ABS: f64 = 1e-9;

/// Per-thread buffers of a grid.
#[derive(Debug, Default)]
struct GridScratch {
    /// The tile's cells: (position in the strip's output, projected centre).
    cells: Vec<(usize, [f64; 2])>,
    candidates: Candidates,
    /// (distance² bits, index) packed so that integer order is (distance², index) order.
    keys: Vec<u128>,
    scratch: Scratch,
}

/// The candidates of one tile (structure of arrays), by increasing distance from the centre.
#[derive(Debug, Default)]
struct Candidates {
    /// (distance² from the centre, position, index) while gathering.
    gathered: Vec<(f64, [f64; 2], usize)>,
    /// Distance from the centre.
    from_centre: Vec<f64>,
    x: Vec<f64>,
    y: Vec<f64>,
    index: Vec<usize>,
}

/// The k nearest points for every cell of a small tile of targets from one shared candidate list.
///
/// Let c be the tile's centre, d_c the distance from c to its k-th nearest point and s the
/// largest distance from c to a cell of the tile. By the triangle inequality the k nearest points
/// of c lie within d_c + |p − c| of any cell p, so p's own k-th distance is at most
/// d_c + |p − c| ≤ d_c + s, and all of p's k nearest lie within d_c + 2s of c. One R-tree query
/// for the points within d_c + 2s of c (or r + s with a search radius r) therefore holds every
/// cell's neighbourhood; each cell then keeps the candidates within its own bound
/// d_c + |p − c| (and r) and selects the k smallest by (distance², index) — exactly the
/// neighbourhood the per-target search ([`Interpolator::neighbours`]) returns, at a fraction of
/// the cost, since neighbouring cells mostly share their neighbours.
struct TileSearch {
    centre: [f64; 2],
    /// d_c.
    kth: f64,
    k: usize,
    r2: f64,
}

impl TileSearch {
    /// Gather the tile's candidates into `buf`; None when the tile is better served by one
    /// search per cell (a single cell, or too many candidates, as for a tile far outside the
    /// data, where the ring d_c .. d_c + 2s can hold most of the points).
    fn new(
        interp: &Interpolator,
        cells: &[(usize, [f64; 2])],
        k: usize,
        radius: Option<f64>,
        buf: &mut Candidates,
        scratch: &mut Scratch,
    ) -> Option<Self> {
        if cells.len() < 2 || k == 0 {
            return None;
        }
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for (_, p) in cells {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        let spread = cells
            .iter()
            .map(|(_, p)| (p[0] - centre[0]).hypot(p[1] - centre[1]))
            .fold(0.0, f64::max);
        interp.neighbours(centre, k, None, None, scratch);
        let kth = scratch.nb.last()?.1;
        let mut reach = kth + 2.0 * spread;
        if let Some(r) = radius {
            reach = reach.min(r + spread);
        }
        let reach = reach * (1.0 + SLACK_REL) + SLACK_ABS;
        let limit = 16 * k + 256;
        buf.gathered.clear();
        for item in interp.tree.locate_within_distance(centre, reach * reach) {
            if buf.gathered.len() == limit {
                return None;
            }
            let q = *item.geom();
            let (dx, dy) = (q[0] - centre[0], q[1] - centre[1]);
            buf.gathered.push((dx * dx + dy * dy, q, item.data));
        }
        // Nearest the centre first: a cell then scans only the candidates that can be within
        // its own bound.
        buf.gathered.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        buf.from_centre.clear();
        buf.x.clear();
        buf.y.clear();
        buf.index.clear();
        for &(d2, q, i) in &buf.gathered {
            buf.from_centre.push(d2.sqrt());
            buf.x.push(q[0]);
            buf.y.push(q[1]);
            buf.index.push(i);
        }
        Some(Self {
            centre,
            kth,
            k,
            r2: radius.map_or(f64::INFINITY, |r| r * r),
        })
    }

    /// Fill `nb` with (index, distance) of the k nearest points to cell p of the tile, as
    /// [`Interpolator::neighbours`] does. `previous`: an earlier cell of the tile and the distance
    /// to its k-th nearest point, which bounds p's k-th distance by the same triangle inequality
    /// (tighter than the tile's bound when the cells are next to each other).
    fn neighbours(
        &self,
        p: [f64; 2],
        previous: Option<([f64; 2], f64)>,
        cand: &Candidates,
        keys: &mut Vec<u128>,
        nb: &mut Vec<(usize, f64)>,
    ) {
        let to_centre = (p[0] - self.centre[0]).hypot(p[1] - self.centre[1]);
        let mut own = self.kth + to_centre;
        if let Some((q, kth)) = previous {
            own = own.min(kth + (p[0] - q[0]).hypot(p[1] - q[1]));
        }
        if self.r2.is_finite() {
            own = own.min(self.r2.sqrt());
        }
        let own = own * (1.0 + SLACK_REL) + SLACK_ABS;
        let bound = (own * own).min(self.r2);
        // A point within `own` of p is within own + |p − c| of the centre.
        let reach = (own + to_centre) * (1.0 + SLACK_REL) + SLACK_ABS;
        let n = cand.from_centre.partition_point(|&d| d <= reach);
        if keys.len() < n {
            keys.resize(n, 0);
        }
        // Branch-free filter: every candidate is written, the count only moves for those
        // within the bound.
        let mut m = 0;
        for ((&qx, &qy), &i) in cand.x[..n].iter().zip(&cand.y[..n]).zip(&cand.index[..n]) {
            // The same expression as the per-target search, so the same distances.
            let (dx, dy) = (qx - p[0], qy - p[1]);
            let d2 = dx * dx + dy * dy;
            keys[m] = (u128::from(d2.to_bits()) << 64) | i as u128;
            m += usize::from(d2 <= bound);
        }
        let mut keys = &mut keys[..m];
        if m > 2 * self.k {
            keys.select_nth_unstable(self.k - 1);
            keys = &mut keys[..self.k];
        }
        // Usually few more than k are left: one sort is cheaper than a selection and a sort.
        keys.sort_unstable();
        let keys = &keys[..m.min(self.k)];
        nb.clear();
        nb.extend(keys.iter().map(|&key| {
            let d2 = f64::from_bits((key >> 64) as u64);
            ((key & u128::from(u64::MAX)) as usize, d2.sqrt())
        }));
    }
}

/// Per-thread buffers.
#[derive(Debug, Default)]
struct Scratch {
    /// Neighbours: (index, distance), ascending.
    nb: Vec<(usize, f64)>,
    /// Their coordinates, gathered.
    pts: Vec<[f64; 2]>,
    /// Cholesky factor, row-major m × m (lower triangle used).
    l: Vec<f64>,
    /// Right-hand sides: c0 (covariances to the target) and 1, then the solutions u and v.
    c0: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
}

/// Ordinary kriging in covariance form, solved by a Cholesky factorisation.
///
/// With C(h) = sill − γ(h) (so C(0) = sill, consistent with γ(0) = 0), Γ = sill·11ᵀ − C and the
/// system Γλ + μ1 = γ0, 1ᵀλ = 1 becomes Cλ = c0 + μ1: with u = C⁻¹c0 and v = C⁻¹1,
/// μ = (1 − 1ᵀu)/(1ᵀv), λ = u + μv, σ² = sill − λᵀc0 + μ. Same λ, μ, σ² as the variogram form
/// (and PyKrige), for half the work of an LU factorisation, with no allocation. Returns None when
/// C is not numerically positive definite; the caller then uses LU on the variogram form.
fn solve_cholesky(
    v: &Variogram,
    xy: &[[f64; 2]],
    z: &[f64],
    scratch: &mut Scratch,
) -> Option<OkSolution> {
    let m = scratch.nb.len();
    let sill = v.sill();
    scratch.pts.clear();
    scratch.pts.extend(scratch.nb.iter().map(|&(i, _)| xy[i]));
    scratch.c0.clear();
    scratch
        .c0
        .extend(scratch.nb.iter().map(|&(_, d)| sill - v.gamma(d)));
    scratch.l.clear();
    scratch.l.resize(m * m, 0.0);
    let (pts, l) = (&scratch.pts, &mut scratch.l);
    // Row-by-row Cholesky–Crout: row i of L needs rows < i only, and every inner product runs
    // over contiguous memory.
    for i in 0..m {
        let pi = pts[i];
        for j in 0..i {
            let pj = pts[j];
            let (dx, dy) = (pi[0] - pj[0], pi[1] - pj[1]);
            let c = sill - v.gamma((dx * dx + dy * dy).sqrt());
            let dot = dot(&l[i * m..i * m + j], &l[j * m..j * m + j]);
            l[i * m + j] = (c - dot) / l[j * m + j];
        }
        let row = &l[i * m..i * m + i];
        let d = sill - dot(row, row);
        if d.is_nan() || d <= sill * 1e-13 {
            return None;
        }
        l[i * m + i] = d.sqrt();
    }
    // Forward: L y = b for b = c0 and 1.
    let (u, w) = (&mut scratch.u, &mut scratch.v);
    u.clear();
    w.clear();
    for i in 0..m {
        let row = &l[i * m..i * m + i];
        let du = dot(row, u);
        let dw = dot(row, w);
        let lii = l[i * m + i];
        u.push((scratch.c0[i] - du) / lii);
        w.push((1.0 - dw) / lii);
    }
    // Backward: Lᵀ x = y, column-oriented so that row i of L is read contiguously.
    for i in (0..m).rev() {
        let lii = l[i * m + i];
        u[i] /= lii;
        w[i] /= lii;
        let (ui, wi) = (u[i], w[i]);
        for (p, a) in l[i * m..i * m + i].iter().enumerate() {
            u[p] -= a * ui;
            w[p] -= a * wi;
        }
    }
    let su: f64 = u.iter().sum();
    let sv: f64 = w.iter().sum();
    if !(sv.is_finite() && sv.abs() > 0.0) {
        return None;
    }
    let mu = (1.0 - su) / sv;
    let (mut mean, mut lc0) = (0.0, 0.0);
    for r in 0..m {
        let lambda = u[r] + mu * w[r];
        mean += lambda * z[scratch.nb[r].0];
        lc0 += lambda * scratch.c0[r];
    }
    let variance = sill - lc0 + mu;
    (mean.is_finite() && variance.is_finite()).then_some(OkSolution {
        mean,
        variance: variance.max(0.0),
        lagrange: mu,
        neighbors: m,
    })
}

/// Dot product with four independent sums, so the compiler can keep several lanes busy.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0_f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Ordinary kriging in variogram form, [Γ 1; 1ᵀ 0][λ; μ] = [γ0; 1], by LU with partial
/// pivoting (nalgebra): the fallback when the covariance matrix is not numerically positive
/// definite.
fn solve_lu(
    v: &Variogram,
    p: [f64; 2],
    xy: &[[f64; 2]],
    z: &[f64],
    nb: &[(usize, f64)],
) -> GeostatResult<OkSolution> {
    let m = nb.len();
    let mut a = DMatrix::<f64>::zeros(m + 1, m + 1);
    let mut b = DVector::<f64>::zeros(m + 1);
    for r in 0..m {
        let pr = xy[nb[r].0];
        for c in (r + 1)..m {
            let pc = xy[nb[c].0];
            let g = v.gamma((pr[0] - pc[0]).hypot(pr[1] - pc[1]));
            a[(r, c)] = g;
            a[(c, r)] = g;
        }
        a[(r, m)] = 1.0;
        a[(m, r)] = 1.0;
        b[r] = v.gamma(nb[r].1);
    }
    b[m] = 1.0;
    let x = a
        .lu()
        .solve(&b)
        .filter(|x| x.iter().all(|v| v.is_finite()))
        .ok_or(GeostatError::Singular { x: p[0], y: p[1] })?;
    let mut mean = 0.0;
    let mut variance = x[m];
    for r in 0..m {
        mean += x[r] * z[nb[r].0];
        variance += x[r] * b[r];
    }
    Ok(OkSolution {
        mean,
        variance: variance.max(0.0),
        lagrange: x[m],
        neighbors: m,
    })
}

#[derive(Debug, Clone, Copy)]
struct OkSolution {
    mean: f64,
    variance: f64,
    lagrange: f64,
    neighbors: usize,
}

fn check_method(method: &Method) -> GeostatResult<()> {
    let (neighbors, radius) = match method {
        Method::Idw(p) => {
            if !(p.power.is_finite() && p.power > 0.0) {
                return Err(GeostatError::InvalidParameter {
                    name: "power",
                    reason: format!("{} must be a finite number > 0", p.power),
                });
            }
            (p.neighbors, p.radius)
        }
        Method::OrdinaryKriging(k) => (k.neighbors, k.radius),
    };
    if neighbors == 0 {
        return Err(GeostatError::InvalidParameter {
            name: "neighbors",
            reason: "must be at least 1".to_owned(),
        });
    }
    if let Some(r) = radius {
        if !(r.is_finite() && r > 0.0) {
            return Err(GeostatError::InvalidParameter {
                name: "radius",
                reason: format!("{r} must be a finite number > 0"),
            });
        }
    }
    Ok(())
}

fn project(placement: &Placement, x: f64, y: f64) -> GeostatResult<[f64; 2]> {
    match placement {
        Placement::Projected => Ok([x, y]),
        Placement::GaussKruger(gk) => {
            let (e, n) = gk.project_point(x, y)?;
            if e.is_finite() && n.is_finite() {
                Ok([e, n])
            } else {
                Err(GeostatError::Projection(format!(
                    "({x}, {y}) is not a longitude/latitude in degrees"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variogram::ModelKind;
    use approx::assert_relative_eq;

    fn ok_opts(v: Variogram, k: usize) -> InterpolatorOptions {
        InterpolatorOptions {
            crs: Crs::Projected,
            method: Method::OrdinaryKriging(KrigingParams {
                variogram: VariogramSpec::Fixed(v),
                neighbors: k,
                radius: None,
            }),
            transform: Transform::None,
        }
    }

    fn idw_opts() -> InterpolatorOptions {
        InterpolatorOptions {
            crs: Crs::Projected,
            method: Method::Idw(IdwParams::default()),
            transform: Transform::None,
        }
    }

    fn scattered(n: usize) -> Vec<Sample> {
        // A deterministic scatter (Halton-like) with a smooth field plus a wiggle.
        (0..n)
            .map(|i| {
                let f = i as f64;
                let x = (f * 0.618_033_988_75).fract() * 1000.0;
                let y = (f * 0.414_213_562_37 + 0.1).fract() * 1000.0;
                Sample {
                    x,
                    y,
                    value: 5.0 + x / 200.0 + (y / 150.0).sin(),
                }
            })
            .collect()
    }

    fn sph() -> Variogram {
        Variogram::new(ModelKind::Spherical, 0.0, 1.0, 600.0).unwrap()
    }

    #[test]
    fn single_point() {
        let pts = [Sample {
            x: 10.0,
            y: 20.0,
            value: 7.0,
        }];
        let ok = Interpolator::new(&pts, &ok_opts(sph(), 32)).unwrap();
        let e = ok.estimate(110.0, 20.0).unwrap().unwrap();
        assert_relative_eq!(e.value, 7.0);
        // Var(Z(x0) − Z(x1)) = 2γ(h).
        assert_relative_eq!(
            e.variance.unwrap(),
            2.0 * sph().gamma(100.0),
            epsilon = 1e-12
        );
        let idw = Interpolator::new(&pts, &idw_opts()).unwrap();
        assert_relative_eq!(idw.estimate(0.0, 0.0).unwrap().unwrap().value, 7.0);
        // Nothing left to cross-validate with.
        assert!(ok.cross_validate().is_err());
        // A variogram cannot be fitted on one point.
        let auto = InterpolatorOptions {
            method: Method::OrdinaryKriging(KrigingParams {
                variogram: VariogramSpec::Auto(LagOptions::default()),
                neighbors: 32,
                radius: None,
            }),
            ..idw_opts()
        };
        assert!(matches!(
            Interpolator::new(&pts, &auto),
            Err(GeostatError::Fit(_))
        ));
    }

    #[test]
    fn collinear_points() {
        // Ordinary kriging needs no spread across the line (no drift terms): estimates off the
        // line are finite, on the line exact.
        let pts: Vec<Sample> = (0..10)
            .map(|i| Sample {
                x: 100.0 * f64::from(i),
                y: 50.0 * f64::from(i),
                value: f64::from(i * i),
            })
            .collect();
        for v in ModelKind::ALL.map(|m| Variogram::new(m, 0.0, 10.0, 700.0).unwrap()) {
            let ok = Interpolator::new(&pts, &ok_opts(v, 32)).unwrap();
            let off = ok.estimate(300.0, 400.0).unwrap().unwrap();
            assert!(off.value.is_finite() && off.variance.unwrap() > 0.0, "{v}");
            let on = ok.estimate(400.0, 200.0).unwrap().unwrap();
            assert_relative_eq!(on.value, 16.0);
            assert_eq!(on.variance, Some(0.0));
            // A point between two data points on the line lies between their values.
            let mid = ok.estimate(450.0, 225.0).unwrap().unwrap();
            assert!(mid.value > 12.0 && mid.value < 30.0, "{v}: {}", mid.value);
        }
    }

    #[test]
    fn duplicate_points() {
        // Two samples at one location are merged into their mean; the system stays regular.
        let pts = [
            Sample {
                x: 0.0,
                y: 0.0,
                value: 2.0,
            },
            Sample {
                x: 0.0,
                y: 0.0,
                value: 4.0,
            },
            Sample {
                x: 100.0,
                y: 0.0,
                value: 10.0,
            },
        ];
        let ok = Interpolator::new(&pts, &ok_opts(sph(), 32)).unwrap();
        assert_eq!(ok.merged_duplicates(), 1);
        assert_eq!(ok.points().len(), 2);
        let at = ok.estimate(0.0, 0.0).unwrap().unwrap();
        assert_eq!((at.value, at.variance), (3.0, Some(0.0)));
        let mid = ok.estimate(50.0, 0.0).unwrap().unwrap();
        assert_relative_eq!(mid.value, 6.5, epsilon = 1e-12);
        let idw = Interpolator::new(&pts, &idw_opts()).unwrap();
        assert_relative_eq!(idw.estimate(50.0, 0.0).unwrap().unwrap().value, 6.5);
        // Under log the mean is taken of the logs: the geometric mean.
        let log = InterpolatorOptions {
            transform: Transform::Log,
            ..ok_opts(sph(), 32)
        };
        let ok = Interpolator::new(&pts, &log).unwrap();
        assert_relative_eq!(ok.points()[0].value, 8.0_f64.sqrt(), epsilon = 1e-12);
    }

    #[test]
    fn target_on_a_data_point_is_exact_with_zero_nugget() {
        let pts = scattered(60);
        for v in ModelKind::ALL.map(|m| Variogram::new(m, 0.0, 1.0, 400.0).unwrap()) {
            let ok = Interpolator::new(&pts, &ok_opts(v, 16)).unwrap();
            for s in pts.iter().step_by(7) {
                let e = ok.estimate(s.x, s.y).unwrap().unwrap();
                assert_eq!(e.value, s.value);
                assert_eq!(e.variance, Some(0.0));
            }
            // Approaching a data point the estimate tends to its value and the variance to 0.
            let s = pts[10];
            let e = ok.estimate(s.x + 1e-3, s.y).unwrap().unwrap();
            assert_relative_eq!(e.value, s.value, epsilon = 1e-3);
            assert!(e.variance.unwrap() < 1e-3);
        }
    }

    #[test]
    fn k_at_least_n_means_all_points() {
        let pts = scattered(40);
        let all = Interpolator::new(&pts, &ok_opts(sph(), 40)).unwrap();
        let more = Interpolator::new(&pts, &ok_opts(sph(), 1000)).unwrap();
        let t = [[123.0, 456.0], [900.0, 10.0], [-50.0, 1200.0]];
        let a = all.estimate_many(&t).unwrap();
        let b = more.estimate_many(&t).unwrap();
        for (a, b) in a.iter().zip(&b) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(a.neighbors, 40);
            assert_eq!(a, b);
        }
        // A smaller neighbourhood gives a (slightly) different answer.
        let few = Interpolator::new(&pts, &ok_opts(sph(), 8)).unwrap();
        assert_eq!(few.estimate(123.0, 456.0).unwrap().unwrap().neighbors, 8);
    }

    #[test]
    fn kriging_weights_sum_to_one_so_a_constant_is_reproduced() {
        let mut pts = scattered(50);
        for p in &mut pts {
            p.value = 3.5;
        }
        let v = Variogram::new(ModelKind::Exponential, 0.2, 1.0, 300.0).unwrap();
        let ok = Interpolator::new(&pts, &ok_opts(v, 12)).unwrap();
        for t in [[1.0, 2.0], [500.0, 500.0], [2000.0, -300.0]] {
            assert_relative_eq!(
                ok.estimate(t[0], t[1]).unwrap().unwrap().value,
                3.5,
                epsilon = 1e-12
            );
        }
    }

    #[test]
    fn far_from_data_the_variance_tends_to_sill_plus() {
        // Beyond the range every γ is the sill: λ = 1/n, σ² = sill + sill/n·… ≥ sill.
        let pts = scattered(30);
        let ok = Interpolator::new(&pts, &ok_opts(sph(), 32)).unwrap();
        let e = ok.estimate(1e6, 1e6).unwrap().unwrap();
        assert!(e.variance.unwrap() >= 1.0);
    }

    #[test]
    fn idw_radius_and_power() {
        let pts = [
            Sample {
                x: 0.0,
                y: 0.0,
                value: 0.0,
            },
            Sample {
                x: 3.0,
                y: 0.0,
                value: 9.0,
            },
        ];
        let opts = |power, radius| InterpolatorOptions {
            method: Method::Idw(IdwParams {
                power,
                neighbors: 32,
                radius,
            }),
            ..idw_opts()
        };
        // At x = 1: weights 1/1ᵖ and 1/2ᵖ.
        let e = |o| {
            Interpolator::new(&pts, &o)
                .unwrap()
                .estimate(1.0, 0.0)
                .unwrap()
                .map(|e| e.value)
        };
        assert_relative_eq!(e(opts(2.0, None)).unwrap(), 9.0 * 0.25 / 1.25);
        assert_relative_eq!(e(opts(1.0, None)).unwrap(), 9.0 * 0.5 / 1.5);
        assert_relative_eq!(e(opts(3.0, None)).unwrap(), 9.0 * 0.125 / 1.125);
        assert_eq!(e(opts(2.0, Some(1.5))), Some(0.0));
        assert_eq!(e(opts(2.0, Some(0.5))), None);
        assert!(Interpolator::new(&pts, &opts(0.0, None)).is_err());
        assert!(Interpolator::new(&pts, &opts(2.0, Some(-1.0))).is_err());
    }

    #[test]
    fn log_transform_back_transform() {
        let pts: Vec<Sample> = scattered(40)
            .into_iter()
            .map(|s| Sample {
                value: s.value.exp(),
                ..s
            })
            .collect();
        let v = Variogram::new(ModelKind::Spherical, 0.05, 0.5, 500.0).unwrap();
        let log = Interpolator::new(
            &pts,
            &InterpolatorOptions {
                transform: Transform::Log,
                ..ok_opts(v, 16)
            },
        )
        .unwrap();
        let plain_logs: Vec<Sample> = pts
            .iter()
            .map(|s| Sample {
                value: s.value.ln(),
                ..*s
            })
            .collect();
        let on_logs = Interpolator::new(&plain_logs, &ok_opts(v, 16)).unwrap();
        let t = (321.0, 654.0);
        let a = log.estimate(t.0, t.1).unwrap().unwrap();
        let b = on_logs.estimate(t.0, t.1).unwrap().unwrap();
        let sol = on_logs
            .solve_ok([t.0, t.1], None, &mut Scratch::default())
            .unwrap()
            .unwrap();
        assert_relative_eq!(a.variance.unwrap(), b.variance.unwrap(), epsilon = 1e-12);
        assert_relative_eq!(
            a.value,
            (b.value + b.variance.unwrap() / 2.0 - sol.lagrange).exp(),
            max_relative = 1e-12
        );
        // Data points come back exactly.
        let e = log.estimate(pts[3].x, pts[3].y).unwrap().unwrap();
        assert_relative_eq!(e.value, pts[3].value, max_relative = 1e-12);
        let bad = [Sample {
            x: 0.0,
            y: 0.0,
            value: 0.0,
        }];
        assert!(matches!(
            Interpolator::new(
                &bad,
                &InterpolatorOptions {
                    transform: Transform::Log,
                    ..idw_opts()
                }
            ),
            Err(GeostatError::NonPositiveForLog { index: 0, .. })
        ));
    }

    #[test]
    fn cross_validation_statistics() {
        let pts = scattered(80);
        let v = Variogram::new(ModelKind::Spherical, 0.01, 1.0, 500.0).unwrap();
        let ok = Interpolator::new(&pts, &ok_opts(v, 16)).unwrap();
        let cv = ok.cross_validate().unwrap();
        assert_eq!(cv.n, 80);
        let me: f64 = cv
            .residuals
            .iter()
            .map(|r| r.estimate - r.observed)
            .sum::<f64>()
            / 80.0;
        assert_relative_eq!(cv.mean_error, me);
        assert!(cv.rmse > 0.0 && cv.rmse < 0.5, "{}", cv.rmse);
        assert!(cv.msse.unwrap() > 0.0);
        // Each residual equals kriging from the other points.
        let r = cv.residuals[17];
        let mut others = pts.clone();
        others.remove(17);
        let direct = Interpolator::new(&others, &ok_opts(v, 16))
            .unwrap()
            .estimate(pts[17].x, pts[17].y)
            .unwrap()
            .unwrap();
        assert_relative_eq!(r.estimate, direct.value, max_relative = 1e-12);
        assert_relative_eq!(
            r.variance.unwrap(),
            direct.variance.unwrap(),
            max_relative = 1e-12
        );
    }

    #[test]
    fn auto_variogram_fits_and_krige() {
        let pts = scattered(200);
        let opts = InterpolatorOptions {
            method: Method::OrdinaryKriging(KrigingParams {
                variogram: VariogramSpec::Auto(LagOptions::default()),
                neighbors: 32,
                radius: None,
            }),
            ..idw_opts()
        };
        let ok = Interpolator::new(&pts, &opts).unwrap();
        let v = ok.variogram().unwrap();
        assert!(v.range > 0.0 && v.sill() > 0.0);
        assert!(ok.experimental_variogram().unwrap().lags.len() >= 10);
        assert!(ok.cross_validate().unwrap().rmse < 0.5);
    }

    #[test]
    fn lonlat_is_projected_and_targets_stay_in_degrees() {
        // The same points given in degrees and in the GK zone give the same answers.
        let gk = gauss_kruger_3deg(102.2).unwrap();
        let deg: Vec<Sample> = scattered(30)
            .into_iter()
            .map(|s| Sample {
                x: 102.2 + s.x / 100_000.0,
                y: 27.9 + s.y / 100_000.0,
                value: s.value,
            })
            .collect();
        let metres: Vec<Sample> = deg
            .iter()
            .map(|s| {
                let (x, y) = gk.project_point(s.x, s.y).unwrap();
                Sample { x, y, ..*s }
            })
            .collect();
        let lonlat = InterpolatorOptions {
            crs: Crs::LonLat,
            ..ok_opts(sph(), 16)
        };
        let a = Interpolator::new(&deg, &lonlat).unwrap();
        assert_eq!(a.central_meridian(), Some(102.0));
        let b = Interpolator::new(&metres, &ok_opts(sph(), 16)).unwrap();
        let (tx, ty) = (102.2043, 27.9031);
        let (px, py) = gk.project_point(tx, ty).unwrap();
        let ea = a.estimate(tx, ty).unwrap().unwrap();
        let eb = b.estimate(px, py).unwrap().unwrap();
        assert_relative_eq!(ea.value, eb.value, max_relative = 1e-12);
        assert_relative_eq!(
            ea.variance.unwrap(),
            eb.variance.unwrap(),
            max_relative = 1e-12
        );
    }

    #[test]
    fn nearest_neighbours_equal_brute_force() {
        let pts = scattered(3000);
        let ok = Interpolator::new(&pts, &ok_opts(sph(), 32)).unwrap();
        let mut scratch = Scratch::default();
        for (q, (k, radius, exclude)) in [
            ([500.0, 500.0], (32, None, None)),
            ([-300.0, 1200.0], (7, None, None)),
            ([10.0, 990.0], (50, Some(60.0), None)),
            ([ok.xy[5][0], ok.xy[5][1]], (16, None, Some(5))),
            ([250.0, 250.0], (5000, None, None)),
        ] {
            ok.neighbours(q, k, radius, exclude, &mut scratch);
            let mut brute: Vec<(usize, f64)> = ok
                .xy
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != exclude)
                .map(|(i, p)| (i, (p[0] - q[0]).hypot(p[1] - q[1])))
                .filter(|(_, d)| radius.is_none_or(|r| *d <= r))
                .collect();
            brute.sort_by(|a, b| a.1.total_cmp(&b.1));
            brute.truncate(k);
            let got: Vec<f64> = scratch.nb.iter().map(|n| n.1).collect();
            let want: Vec<f64> = brute.iter().map(|n| n.1).collect();
            assert_eq!(got.len(), want.len(), "{q:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_relative_eq!(*g, *w, max_relative = 1e-12);
            }
        }
    }

    #[test]
    fn cholesky_and_lu_agree() {
        let pts = scattered(200);
        for v in ModelKind::ALL.map(|m| Variogram::new(m, 0.05, 1.0, 350.0).unwrap()) {
            let ok = Interpolator::new(&pts, &ok_opts(v, 32)).unwrap();
            let mut scratch = Scratch::default();
            for q in [[123.4, 567.8], [999.0, 1.0], [-100.0, 400.0]] {
                ok.neighbours(q, 32, None, None, &mut scratch);
                let c = solve_cholesky(&v, &ok.xy, &ok.z, &mut scratch).unwrap();
                let l = solve_lu(&v, q, &ok.xy, &ok.z, &scratch.nb).unwrap();
                assert_relative_eq!(c.mean, l.mean, max_relative = 1e-10);
                assert_relative_eq!(c.variance, l.variance, max_relative = 1e-8);
                assert_relative_eq!(c.lagrange, l.lagrange, epsilon = 1e-10);
            }
        }
    }

    #[test]
    fn rejects_empty_and_non_finite_input() {
        assert!(matches!(
            Interpolator::new(&[], &idw_opts()),
            Err(GeostatError::NoPoints)
        ));
        let pts = [Sample {
            x: f64::NAN,
            y: 0.0,
            value: 1.0,
        }];
        assert!(matches!(
            Interpolator::new(&pts, &idw_opts()),
            Err(GeostatError::NonFinite { index: 0 })
        ));
    }
}
