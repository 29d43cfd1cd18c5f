//! Variograms: the three models, the experimental variogram and weighted least-squares fitting.
//!
//! # Convention (变异函数约定)
//!
//! With nugget c0, partial sill c and range a (h ≥ 0 is the distance, in metres once projected):
//!
//! * spherical   γ(h) = c0 + c·(1.5·h/a − 0.5·(h/a)³) for 0 < h ≤ a, c0 + c beyond;
//! * exponential γ(h) = c0 + c·(1 − exp(−3h/a))   (a is the *practical* range: 95 % of c);
//! * gaussian    γ(h) = c0 + c·(1 − exp(−3h²/a²)) (a is the practical range: 95 % of c);
//! * γ(0) = 0 exactly (the nugget is a discontinuity at the origin). Distances of at most
//!   [`ZERO_DISTANCE`] count as 0.
//!
//! PyKrige writes the same spherical and exponential models; its gaussian model uses
//! exp(−h²/(4a/7)²), so a PyKrige gaussian range r equals a·7/(4√3) here (see
//! `fixtures/make_fixtures.py`).

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use crate::error::{GeostatError, GeostatResult};

/// Distances at most this (in the projected unit, metres) count as zero: γ(0) = 0.
pub const ZERO_DISTANCE: f64 = 1e-10;

/// Above this many points the experimental variogram is computed on a deterministic
/// subsample of this many points (every ⌈n / MAX⌉-th point), to keep it O(MAX²).
pub const MAX_VARIOGRAM_POINTS: usize = 5_000;

/// The shape of a variogram model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// 球状模型 — spherical.
    Spherical,
    /// 指数模型 — exponential, exp(−3h/a).
    Exponential,
    /// 高斯模型 — gaussian, exp(−3h²/a²).
    Gaussian,
}

impl ModelKind {
    /// All three kinds, in the order [`fit_best`] tries them.
    pub const ALL: [ModelKind; 3] = [
        ModelKind::Spherical,
        ModelKind::Exponential,
        ModelKind::Gaussian,
    ];

    /// The lower-case name used on the command line (`spherical`, `exponential`, `gaussian`).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Spherical => "spherical",
            ModelKind::Exponential => "exponential",
            ModelKind::Gaussian => "gaussian",
        }
    }

    /// The structured part, from 0 at h = 0 to 1 at and beyond the range (spherical) or
    /// asymptotically (exponential, gaussian).
    #[inline]
    fn unit(self, h: f64, a: f64) -> f64 {
        match self {
            ModelKind::Spherical => {
                if h >= a {
                    1.0
                } else {
                    let r = h / a;
                    r * (1.5 - 0.5 * r * r)
                }
            }
            ModelKind::Exponential => 1.0 - (-3.0 * h / a).exp(),
            ModelKind::Gaussian => {
                let r = h / a;
                1.0 - (-3.0 * r * r).exp()
            }
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = GeostatError;

    fn from_str(s: &str) -> GeostatResult<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spherical" | "sph" => Ok(ModelKind::Spherical),
            "exponential" | "exp" => Ok(ModelKind::Exponential),
            "gaussian" | "gau" => Ok(ModelKind::Gaussian),
            other => Err(GeostatError::InvalidParameter {
                name: "variogram model",
                reason: format!("'{other}' is not one of spherical, exponential, gaussian"),
            }),
        }
    }
}

/// A variogram model with its parameters: nugget c0, partial sill c, range a.
///
/// # Examples
/// ```
/// use soilwatch_geostat::{ModelKind, Variogram};
/// let v = Variogram::new(ModelKind::Spherical, 0.1, 1.0, 1000.0).unwrap();
/// assert_eq!(v.gamma(0.0), 0.0);
/// assert!((v.gamma(500.0) - (0.1 + 1.0 * (0.75 - 0.0625))).abs() < 1e-12);
/// assert_eq!(v.gamma(2000.0), 1.1);
/// // Parsed from the command-line form:
/// let w: Variogram = "exponential:nugget=0,psill=2,range=300".parse().unwrap();
/// assert_eq!(w.sill(), 2.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variogram {
    pub model: ModelKind,
    /// c0 ≥ 0.
    pub nugget: f64,
    /// c ≥ 0.
    pub psill: f64,
    /// a > 0, in the distance unit (metres once projected).
    pub range: f64,
}

impl Variogram {
    /// A checked model: nugget and partial sill finite and ≥ 0, not both 0; range finite and > 0.
    pub fn new(model: ModelKind, nugget: f64, psill: f64, range: f64) -> GeostatResult<Self> {
        let bad = |name, reason: &str| {
            Err(GeostatError::InvalidParameter {
                name,
                reason: reason.to_owned(),
            })
        };
        if !(nugget.is_finite() && nugget >= 0.0) {
            return bad("nugget", "must be a finite number ≥ 0");
        }
        if !(psill.is_finite() && psill >= 0.0) {
            return bad("psill", "must be a finite number ≥ 0");
        }
        if nugget + psill <= 0.0 {
            return bad("psill", "nugget + psill must be > 0");
        }
        if !(range.is_finite() && range > 0.0) {
            return bad("range", "must be a finite number > 0");
        }
        Ok(Self {
            model,
            nugget,
            psill,
            range,
        })
    }

    /// γ(h), with γ(h) = 0 for h ≤ [`ZERO_DISTANCE`].
    #[inline]
    pub fn gamma(&self, h: f64) -> f64 {
        if h <= ZERO_DISTANCE {
            0.0
        } else {
            self.nugget + self.psill * self.model.unit(h, self.range)
        }
    }

    /// Total sill c0 + c.
    pub fn sill(&self) -> f64 {
        self.nugget + self.psill
    }
}

impl fmt::Display for Variogram {
    /// The command-line form, `spherical:nugget=0.1,psill=1,range=1000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:nugget={},psill={},range={}",
            self.model, self.nugget, self.psill, self.range
        )
    }
}

impl FromStr for Variogram {
    type Err = GeostatError;

    /// `MODEL:nugget=…,psill=…,range=…` (keys in any order; `sill=` gives the total sill instead
    /// of `psill=`).
    fn from_str(s: &str) -> GeostatResult<Self> {
        let bad = |reason: String| GeostatError::InvalidParameter {
            name: "variogram",
            reason,
        };
        let (model, params) = s.split_once(':').ok_or_else(|| {
            bad(format!(
                "'{s}' is not MODEL:nugget=…,psill=…,range=… (e.g. spherical:nugget=0.1,psill=1,range=1500)"
            ))
        })?;
        let model: ModelKind = model.parse()?;
        let (mut nugget, mut psill, mut sill, mut range) = (None, None, None, None);
        for part in params.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not key=value")))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("'{}' in '{part}' is not a number", value.trim())))?;
            let slot = match key.trim().to_ascii_lowercase().as_str() {
                "nugget" => &mut nugget,
                "psill" => &mut psill,
                "sill" => &mut sill,
                "range" => &mut range,
                other => {
                    return Err(bad(format!(
                        "unknown key '{other}' (expected nugget, psill or sill, range)"
                    )))
                }
            };
            *slot = Some(value);
        }
        let nugget = nugget.unwrap_or(0.0);
        let psill = match (psill, sill) {
            (Some(p), None) => p,
            (None, Some(s)) => s - nugget,
            (Some(_), Some(_)) => return Err(bad("give psill or sill, not both".to_owned())),
            (None, None) => return Err(bad("psill (or sill) is missing".to_owned())),
        };
        let range = range.ok_or_else(|| bad("range is missing".to_owned()))?;
        Variogram::new(model, nugget, psill, range)
    }
}

/// How to bin pairs for the experimental variogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagOptions {
    /// Number of lags (bins); default 15.
    pub n_lags: usize,
    /// Width of each lag; default `max_distance / n_lags`.
    pub lag_width: Option<f64>,
    /// Pairs farther apart are ignored; default one third of the diagonal of the points'
    /// bounding box (as gstat does).
    pub max_distance: Option<f64>,
}

impl Default for LagOptions {
    fn default() -> Self {
        Self {
            n_lags: 15,
            lag_width: None,
            max_distance: None,
        }
    }
}

/// One lag of an experimental variogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    /// Mean distance of the pairs in the lag.
    pub distance: f64,
    /// Matheron's estimator: half the mean squared difference of the pairs.
    pub gamma: f64,
    /// Number of pairs.
    pub pairs: u64,
}

/// An experimental (sample) variogram: lags with at least one pair, by increasing distance.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentalVariogram {
    pub lags: Vec<Lag>,
    /// The lag width used.
    pub lag_width: f64,
    /// The maximum distance used.
    pub max_distance: f64,
    /// How many points it was computed on (after subsampling above [`MAX_VARIOGRAM_POINTS`]).
    pub points_used: usize,
}

/// Matheron's experimental variogram of values at projected coordinates.
///
/// # Examples
/// ```
/// use soilwatch_geostat::{experimental_variogram, LagOptions};
/// // Three points on a line, 1 m apart; values 0, 1, 2.
/// let xy = [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]];
/// let z = [0.0, 1.0, 2.0];
/// let opts = LagOptions { n_lags: 2, lag_width: Some(1.5), max_distance: Some(3.0) };
/// let ev = experimental_variogram(&xy, &z, &opts).unwrap();
/// assert_eq!(ev.lags[0].pairs, 2); // the two 1 m pairs: γ = ½·1
/// assert_eq!(ev.lags[0].gamma, 0.5);
/// assert_eq!(ev.lags[1].gamma, 2.0); // the 2 m pair: ½·4
/// ```
pub fn experimental_variogram(
    xy: &[[f64; 2]],
    values: &[f64],
    opts: &LagOptions,
) -> GeostatResult<ExperimentalVariogram> {
    if xy.len() != values.len() {
        return Err(GeostatError::InvalidParameter {
            name: "values",
            reason: format!("{} coordinates but {} values", xy.len(), values.len()),
        });
    }
    if xy.len() < 2 {
        return Err(GeostatError::Fit(
            "at least 2 distinct points are needed for an experimental variogram".to_owned(),
        ));
    }
    if opts.n_lags == 0 {
        return Err(GeostatError::InvalidParameter {
            name: "lags",
            reason: "must be at least 1".to_owned(),
        });
    }
    let step = xy.len().div_ceil(MAX_VARIOGRAM_POINTS);
    let pts: Vec<([f64; 2], f64)> = xy
        .iter()
        .zip(values)
        .step_by(step)
        .map(|(p, v)| (*p, *v))
        .collect();
    let max_distance = match opts.max_distance {
        Some(d) => d,
        None => {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for (p, _) in &pts {
                x0 = x0.min(p[0]);
                y0 = y0.min(p[1]);
                x1 = x1.max(p[0]);
                y1 = y1.max(p[1]);
            }
            (x1 - x0).hypot(y1 - y0) / 3.0
        }
    };
    if !(max_distance.is_finite() && max_distance > 0.0) {
        return Err(GeostatError::Fit(
            "all points are at one location (maximum distance 0)".to_owned(),
        ));
    }
    let lag_width = opts.lag_width.unwrap_or(max_distance / opts.n_lags as f64);
    if !(lag_width.is_finite() && lag_width > 0.0) {
        return Err(GeostatError::InvalidParameter {
            name: "lag width",
            reason: "must be a finite number > 0".to_owned(),
        });
    }
    let n_lags = opts.n_lags;
    // Per lag: (sum of distances, sum of squared differences, pairs).
    let sums = (0..pts.len())
        .into_par_iter()
        .fold(
            || vec![(0.0_f64, 0.0_f64, 0_u64); n_lags],
            |mut acc, i| {
                let (pi, zi) = pts[i];
                for &(pj, zj) in &pts[i + 1..] {
                    let (dx, dy) = (pi[0] - pj[0], pi[1] - pj[1]);
                    let h = (dx * dx + dy * dy).sqrt();
                    if h <= ZERO_DISTANCE || h > max_distance {
                        continue;
                    }
                    let bin = (h / lag_width) as usize;
                    if bin < n_lags {
                        let d = zi - zj;
                        acc[bin].0 += h;
                        acc[bin].1 += d * d;
                        acc[bin].2 += 1;
                    }
                }
                acc
            },
        )
        .reduce(
            || vec![(0.0, 0.0, 0); n_lags],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    x.0 += y.0;
                    x.1 += y.1;
                    x.2 += y.2;
                }
                a
            },
        );
    let lags: Vec<Lag> = sums
        .into_iter()
        .filter(|s| s.2 > 0)
        .map(|(sh, sd, n)| Lag {
            distance: sh / n as f64,
            gamma: 0.5 * sd / n as f64,
            pairs: n,
        })
        .collect();
    Ok(ExperimentalVariogram {
        lags,
        lag_width,
        max_distance,
        points_used: pts.len(),
    })
}

/// A fitted model and its weighted sum of squared residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FittedVariogram {
    pub variogram: Variogram,
    /// Σ wⱼ (γ̂ⱼ − γ(hⱼ))², with the weights of [`fit_variogram`].
    pub wss: f64,
}

/// Fit a model to an experimental variogram by weighted least squares.
///
/// Weights wⱼ = Nⱼ / hⱼ² (pairs over squared lag distance: gstat's default `fit.method = 7`),
/// so short lags, which matter most for kriging, count most. For each trial range the model is
/// linear in (c0, c), solved exactly with c0, c ≥ 0; the range is searched on a grid of 200
/// values up to twice the largest lag distance, then refined by golden-section search.
///
/// # Examples
/// ```
/// use soilwatch_geostat::{fit_variogram, ExperimentalVariogram, Lag, ModelKind, Variogram};
/// let truth = Variogram::new(ModelKind::Spherical, 0.2, 1.0, 800.0).unwrap();
/// let lags = (1..=12)
///     .map(|i| { let h = 100.0 * i as f64; Lag { distance: h, gamma: truth.gamma(h), pairs: 50 } })
///     .collect();
/// let ev = ExperimentalVariogram { lags, lag_width: 100.0, max_distance: 1200.0, points_used: 100 };
/// let fit = fit_variogram(&ev, ModelKind::Spherical).unwrap();
/// assert!((fit.variogram.range - 800.0).abs() < 1.0);
/// assert!((fit.variogram.nugget - 0.2).abs() < 1e-3);
/// ```
pub fn fit_variogram(
    ev: &ExperimentalVariogram,
    model: ModelKind,
) -> GeostatResult<FittedVariogram> {
    let lags: Vec<&Lag> = ev.lags.iter().filter(|l| l.distance > 0.0).collect();
    if lags.len() < 2 {
        return Err(GeostatError::Fit(format!(
            "{} lag(s) with pairs; at least 2 are needed",
            lags.len()
        )));
    }
    let h_max = lags.iter().map(|l| l.distance).fold(0.0, f64::max);
    let h_min = lags.iter().map(|l| l.distance).fold(f64::MAX, f64::min);
    let weights: Vec<f64> = lags
        .iter()
        .map(|l| l.pairs as f64 / (l.distance * l.distance))
        .collect();
    // Best (c0, c, wss) for a fixed range a.
    let solve = |a: f64| -> (f64, f64, f64) {
        let (mut sw, mut sf, mut sff, mut sg, mut sfg) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (l, &w) in lags.iter().zip(&weights) {
            let f = model.unit(l.distance, a);
            sw += w;
            sf += w * f;
            sff += w * f * f;
            sg += w * l.gamma;
            sfg += w * f * l.gamma;
        }
        let wss = |c0: f64, c: f64| -> f64 {
            lags.iter()
                .zip(&weights)
                .map(|(l, &w)| {
                    let r = l.gamma - (c0 + c * model.unit(l.distance, a));
                    w * r * r
                })
                .sum()
        };
        let det = sw * sff - sf * sf;
        let mut candidates = Vec::with_capacity(3);
        if det.abs() > 1e-300 {
            let c0 = (sg * sff - sf * sfg) / det;
            let c = (sw * sfg - sf * sg) / det;
            if c0 >= 0.0 && c >= 0.0 {
                candidates.push((c0, c));
            }
        }
        // Boundary solutions: c0 = 0, or c = 0.
        if sff > 0.0 {
            candidates.push((0.0, (sfg / sff).max(0.0)));
        }
        candidates.push(((sg / sw).max(0.0), 0.0));
        candidates
            .into_iter()
            .map(|(c0, c)| (c0, c, wss(c0, c)))
            .min_by(|x, y| x.2.total_cmp(&y.2))
            .unwrap_or((0.0, 0.0, f64::INFINITY))
    };
    let lo = h_min * 0.1;
    let hi = h_max * 2.0;
    let steps = 200;
    let trial = |i: usize| lo + (hi - lo) * i as f64 / steps as f64;
    let (mut best_i, mut best) = (0, f64::INFINITY);
    for i in 0..=steps {
        let w = solve(trial(i)).2;
        if w < best {
            best = w;
            best_i = i;
        }
    }
    // Golden-section refinement between the neighbours of the best trial.
    let (mut a, mut b) = (
        trial(best_i.saturating_sub(1)),
        trial((best_i + 1).min(steps)),
    );
    let g = (5.0_f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (solve(c).2, solve(d).2);
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = solve(c).2;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = solve(d).2;
        }
    }
    let range = if fc.min(fd) <= best {
        (a + b) / 2.0
    } else {
        trial(best_i)
    };
    let (c0, c, wss) = solve(range);
    if !wss.is_finite() || c0 + c <= 0.0 {
        return Err(GeostatError::Fit(
            "the experimental variogram is flat at zero (all values equal?)".to_owned(),
        ));
    }
    Ok(FittedVariogram {
        variogram: Variogram::new(model, c0, c, range)?,
        wss,
    })
}

/// Fit all three models and keep the one with the smallest weighted sum of squares.
///
/// # Examples
/// ```
/// use soilwatch_geostat::{fit_best, ExperimentalVariogram, Lag, ModelKind, Variogram};
/// let truth = Variogram::new(ModelKind::Gaussian, 0.0, 2.0, 500.0).unwrap();
/// let lags = (1..=10)
///     .map(|i| { let h = 60.0 * i as f64; Lag { distance: h, gamma: truth.gamma(h), pairs: 30 } })
///     .collect();
/// let ev = ExperimentalVariogram { lags, lag_width: 60.0, max_distance: 600.0, points_used: 80 };
/// assert_eq!(fit_best(&ev).unwrap().variogram.model, ModelKind::Gaussian);
/// ```
pub fn fit_best(ev: &ExperimentalVariogram) -> GeostatResult<FittedVariogram> {
    let mut best: Option<FittedVariogram> = None;
    let mut last_err = None;
    for model in ModelKind::ALL {
        match fit_variogram(ev, model) {
            Ok(f) => {
                if best.is_none_or(|b| f.wss < b.wss) {
                    best = Some(f);
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    best.ok_or_else(|| last_err.unwrap_or_else(|| GeostatError::Fit("no model fitted".to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn models_follow_the_issue_convention() {
        let s = Variogram::new(ModelKind::Spherical, 0.5, 2.0, 100.0).unwrap();
        assert_eq!(s.gamma(0.0), 0.0);
        assert_relative_eq!(s.gamma(50.0), 0.5 + 2.0 * (0.75 - 0.5 * 0.125));
        assert_relative_eq!(s.gamma(100.0), 2.5);
        assert_relative_eq!(s.gamma(1e6), 2.5);
        let e = Variogram::new(ModelKind::Exponential, 0.5, 2.0, 100.0).unwrap();
        assert_relative_eq!(e.gamma(100.0), 0.5 + 2.0 * (1.0 - (-3.0_f64).exp()));
        assert_relative_eq!(e.gamma(30.0), 0.5 + 2.0 * (1.0 - (-0.9_f64).exp()));
        let g = Variogram::new(ModelKind::Gaussian, 0.5, 2.0, 100.0).unwrap();
        assert_relative_eq!(g.gamma(100.0), 0.5 + 2.0 * (1.0 - (-3.0_f64).exp()));
        assert_relative_eq!(g.gamma(50.0), 0.5 + 2.0 * (1.0 - (-0.75_f64).exp()));
        // Nugget is a discontinuity: just off the origin γ ≈ c0.
        assert_relative_eq!(g.gamma(1e-6), 0.5, epsilon = 1e-9);
    }

    #[test]
    fn parse_and_display_round_trip() {
        let v: Variogram = "Gaussian: nugget=0.1, psill=3, range=250".parse().unwrap();
        assert_eq!(
            v,
            Variogram::new(ModelKind::Gaussian, 0.1, 3.0, 250.0).unwrap()
        );
        assert_eq!(v.to_string().parse::<Variogram>().unwrap(), v);
        let s: Variogram = "sph:sill=2,nugget=0.5,range=10".parse().unwrap();
        assert_relative_eq!(s.psill, 1.5);
        for bad in [
            "spherical",
            "cubic:psill=1,range=1",
            "spherical:psill=1",
            "spherical:psill=x,range=1",
            "spherical:psill=1,range=-1",
            "spherical:psill=1,range=1,foo=2",
            "spherical:nugget=0,psill=0,range=1",
        ] {
            assert!(bad.parse::<Variogram>().is_err(), "{bad}");
        }
    }

    #[test]
    fn experimental_variogram_of_a_linear_trend() {
        // z = x on a 10 × 10 lattice of 1 m: pairs at lag h have E[(Δz)²]/2 = mean(Δx²)/2.
        let mut xy = Vec::new();
        let mut z = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                xy.push([f64::from(i), f64::from(j)]);
                z.push(f64::from(i));
            }
        }
        let opts = LagOptions {
            n_lags: 3,
            lag_width: Some(1.0),
            max_distance: Some(3.0),
        };
        let ev = experimental_variogram(&xy, &z, &opts).unwrap();
        // Lag [1, 2): pairs at distance 1 (Δx=1 or Δy=1) and √2 (both 1).
        let l1 = ev.lags[0];
        assert_eq!(l1.pairs, 90 + 90 + 81 + 81);
        // Squared differences: 90 pairs Δx=1 → 1, 90 pairs Δy=1 → 0, 162 diagonals → 1.
        assert_relative_eq!(l1.gamma, 0.5 * (90.0 + 162.0) / 342.0);
        assert_eq!(ev.points_used, 100);
    }

    #[test]
    fn fit_recovers_each_model() {
        for model in ModelKind::ALL {
            let truth = Variogram::new(model, 0.3, 1.7, 900.0).unwrap();
            let lags = (1..=15)
                .map(|i| {
                    let h = 80.0 * f64::from(i);
                    Lag {
                        distance: h,
                        gamma: truth.gamma(h),
                        pairs: 100 + u64::try_from(i).expect("positive"),
                    }
                })
                .collect();
            let ev = ExperimentalVariogram {
                lags,
                lag_width: 80.0,
                max_distance: 1200.0,
                points_used: 200,
            };
            let fit = fit_variogram(&ev, model).unwrap();
            assert_relative_eq!(fit.variogram.range, 900.0, max_relative = 1e-4);
            assert_relative_eq!(fit.variogram.nugget, 0.3, epsilon = 1e-4);
            assert_relative_eq!(fit.variogram.psill, 1.7, max_relative = 1e-4);
            assert_eq!(fit_best(&ev).unwrap().variogram.model, model);
        }
    }

    #[test]
    fn fit_needs_two_lags() {
        let ev = ExperimentalVariogram {
            lags: vec![Lag {
                distance: 1.0,
                gamma: 1.0,
                pairs: 3,
            }],
            lag_width: 1.0,
            max_distance: 1.0,
            points_used: 3,
        };
        assert!(matches!(
            fit_variogram(&ev, ModelKind::Spherical),
            Err(GeostatError::Fit(_))
        ));
    }

    #[test]
    fn flat_variogram_is_a_fit_error() {
        let lags = (1..5)
            .map(|i| Lag {
                distance: f64::from(i),
                gamma: 0.0,
                pairs: 10,
            })
            .collect();
        let ev = ExperimentalVariogram {
            lags,
            lag_width: 1.0,
            max_distance: 5.0,
            points_used: 10,
        };
        assert!(fit_variogram(&ev, ModelKind::Exponential).is_err());
    }
}
