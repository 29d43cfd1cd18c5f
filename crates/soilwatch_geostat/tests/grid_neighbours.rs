//! The grid path (`Interpolator::grid`, which shares one candidate search among the cells of a
//! tile) against a brute-force k-nearest IDW written here from the definition: every data point
//! sorted by (distance², input order), the first k within the search radius, w = 1/dᵖ, a target
//! on a data point takes its value. Random data, duplicate points, targets on data points, ties
//! in distance, a search radius that leaves fewer than k points (or none), k ≥ n, grids far
//! outside the data, and the same grids through `estimate_many` (the per-target search) and with
//! kriging.

#![expect(
    clippy::unwrap_used,
    reason = "tests: helpers outside #[test] fns unwrap; a panic is a failed test"
)]

use proptest::prelude::*;
use soilwatch_geostat::{
    Crs, GridSpec, IdwParams, Interpolator, InterpolatorOptions, KrigingParams, Method, ModelKind,
    Sample, Transform, Variogram, VariogramSpec, ZERO_DISTANCE,
};

/// Deterministic pseudo-random numbers (SplitMix64) in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn random_points(n: usize, seed: u64, side: f64) -> Vec<Sample> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let (x, y) = (rng.next() * side, rng.next() * side);
            Sample {
                x,
                y,
                value: 1.0 + (x / 300.0).sin() + 0.5 * rng.next(),
            }
        })
        .collect()
}

fn idw(params: IdwParams) -> InterpolatorOptions {
    InterpolatorOptions {
        crs: Crs::Projected,
        method: Method::Idw(params),
        transform: Transform::None,
    }
}

fn params(power: f64, neighbors: usize, radius: Option<f64>) -> IdwParams {
    IdwParams {
        power,
        neighbors,
        radius,
    }
}

/// IDW at (px, py) from the interpolator's merged points, by sorting all of them.
fn brute_force(interp: &Interpolator, p: IdwParams, px: f64, py: f64) -> Option<f64> {
    let mut all: Vec<(f64, usize)> = interp
        .points()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (dx, dy) = (s.x - px, s.y - py);
            (dx * dx + dy * dy, i)
        })
        .filter(|(d2, _)| p.radius.is_none_or(|r| *d2 <= r * r))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(p.neighbors);
    let &(d2, i) = all.first()?;
    let z = |i: usize| interp.points()[i].value;
    if d2.sqrt() <= ZERO_DISTANCE {
        return Some(z(i));
    }
    let (mut sw, mut swz) = (0.0, 0.0);
    for &(d2, i) in &all {
        let d = d2.sqrt();
        let w = if p.power == 2.0 {
            1.0 / (d * d)
        } else {
            d.powf(-p.power)
        };
        sw += w;
        swz += w * z(i);
    }
    Some(swz / sw)
}

/// Every cell of the grid equals the brute force (to 1e-12 relative, NaN where it has none) and
/// the per-target search; returns how many cells had no estimate.
fn check_grid(pts: &[Sample], p: IdwParams, spec: &GridSpec) -> usize {
    let interp = Interpolator::new(pts, &idw(p)).unwrap();
    let grid = interp.grid(spec).unwrap();
    assert_eq!(grid.estimate.len(), spec.ncols * spec.nrows);
    let centres: Vec<[f64; 2]> = (0..spec.nrows)
        .flat_map(|row| (0..spec.ncols).map(move |col| (col, row)))
        .map(|(col, row)| {
            let (x, y) = spec.cell_center(col, row);
            [x, y]
        })
        .collect();
    let one_by_one = interp.estimate_many(&centres).unwrap();
    let mut empty = 0;
    for ((g, t), e) in grid.estimate.iter().zip(&centres).zip(&one_by_one) {
        let want = brute_force(&interp, p, t[0], t[1]);
        match want {
            None => {
                assert!(g.is_nan(), "cell {t:?}: {g}, brute force has no point");
                assert!(e.is_none());
                empty += 1;
            }
            Some(w) => {
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1e-300),
                    "cell {t:?}: grid {g}, brute force {w} ({p:?})"
                );
                assert_eq!(Some(*g), e.map(|e| e.value), "cell {t:?}");
            }
        }
    }
    empty
}

fn spec(x_min: f64, y_min: f64, cell_size: f64, ncols: usize, nrows: usize) -> GridSpec {
    GridSpec {
        x_min,
        y_min,
        cell_size,
        ncols,
        nrows,
    }
}

#[test]
fn random_points_match_brute_force() {
    let pts = random_points(1200, 7, 5000.0);
    for p in [
        params(2.0, 32, None),
        params(2.0, 7, None),
        params(1.5, 12, None),
        params(3.0, 1, None),
    ] {
        // Dense cells (many per tile) and coarse cells (one or two per tile), the grid reaching
        // past the data on every side.
        assert_eq!(check_grid(&pts, p, &spec(-300.0, -200.0, 93.0, 60, 59)), 0);
        assert_eq!(
            check_grid(&pts, p, &spec(-1000.0, -1000.0, 650.0, 11, 12)),
            0
        );
    }
}

#[test]
fn duplicates_and_targets_on_data_points() {
    // Points on cell centres (so some targets fall exactly on data points), several of them
    // given two or three times with different values (merged into their mean).
    let cell = 10.0;
    let mut rng = Rng(3);
    let mut pts = Vec::new();
    for i in 0..400 {
        let col = (rng.next() * 60.0).floor();
        let row = (rng.next() * 60.0).floor();
        let s = Sample {
            x: (col + 0.5) * cell,
            y: (row + 0.5) * cell,
            value: f64::from(i % 17),
        };
        pts.push(s);
        if i % 5 == 0 {
            pts.push(Sample { value: 40.0, ..s });
        }
        if i % 25 == 0 {
            pts.push(Sample { value: -3.0, ..s });
        }
    }
    let interp = Interpolator::new(&pts, &idw(params(2.0, 16, None))).unwrap();
    assert!(interp.merged_duplicates() >= 80 + 16);
    let grid = spec(0.0, 0.0, cell, 60, 60);
    assert_eq!(check_grid(&pts, params(2.0, 16, None), &grid), 0);
    assert_eq!(check_grid(&pts, params(2.0, 1, None), &grid), 0);
    // On a data point the grid holds the (merged) value itself.
    let out = interp.grid(&grid).unwrap();
    let p = interp.points()[0];
    let (col, row) = (
        (p.x / cell).floor() as usize,
        60 - 1 - (p.y / cell).floor() as usize,
    );
    assert_eq!(out.estimate[row * 60 + col], p.value);
}

#[test]
fn ties_in_distance_go_to_the_points_given_first() {
    // A lattice of points and cell centres on the lattice and halfway between: every cell has
    // rings of equidistant points, and k cuts through them. Values differ from point to point so
    // that the choice within a tie changes the estimate.
    let mut pts = Vec::new();
    for i in 0..16 {
        for j in 0..16 {
            pts.push(Sample {
                x: f64::from(i) * 4.0,
                y: f64::from(j) * 4.0,
                value: f64::from((i * 7 + j * 13) % 11),
            });
        }
    }
    // Reversed input order too: the tie-break follows the input order, whatever it is.
    let mut reversed = pts.clone();
    reversed.reverse();
    for k in [2, 3, 5, 6, 10, 13, 32] {
        for pts in [&pts, &reversed] {
            let p = params(2.0, k, None);
            assert_eq!(check_grid(pts, p, &spec(-2.0, -2.0, 2.0, 33, 33)), 0);
            assert_eq!(check_grid(pts, p, &spec(-8.0, -8.0, 4.0, 20, 20)), 0);
        }
    }
    // The two orders give different estimates where a tie is cut (so the rule is tested).
    let spec = spec(-2.0, -2.0, 2.0, 33, 33);
    let a = Interpolator::new(&pts, &idw(params(2.0, 3, None)))
        .unwrap()
        .grid(&spec)
        .unwrap();
    let b = Interpolator::new(&reversed, &idw(params(2.0, 3, None)))
        .unwrap()
        .grid(&spec)
        .unwrap();
    assert!(a.estimate.iter().zip(&b.estimate).any(|(a, b)| a != b));
}

#[test]
fn search_radius_leaving_fewer_than_k_or_none() {
    let pts = random_points(500, 11, 3000.0);
    let grid = spec(-500.0, -500.0, 50.0, 80, 80);
    // About 500·π·150²/3000² ≈ 4 points within 150 m: most cells have fewer than 32, cells
    // beyond the data have none.
    let empty = check_grid(&pts, params(2.0, 32, Some(150.0)), &grid);
    assert!(empty > 250, "{empty} empty cells");
    let interp = Interpolator::new(&pts, &idw(params(2.0, 32, Some(150.0)))).unwrap();
    let counts: Vec<usize> = (0..80)
        .filter_map(|i| {
            let (x, y) = grid.cell_center(i, i);
            interp.estimate(x, y).unwrap().map(|e| e.neighbors)
        })
        .collect();
    assert!(counts.iter().any(|&n| n < 32 && n > 0));
    // A radius that never binds, and one that binds for some cells only.
    assert_eq!(check_grid(&pts, params(2.0, 8, Some(5000.0)), &grid), 0);
    check_grid(&pts, params(2.0, 8, Some(260.0)), &grid);
}

#[test]
fn k_at_least_n_uses_every_point() {
    let pts = random_points(300, 5, 1000.0);
    let grid = spec(-100.0, -100.0, 20.0, 60, 60);
    assert_eq!(check_grid(&pts, params(2.0, 300, None), &grid), 0);
    assert_eq!(check_grid(&pts, params(2.0, 10_000, None), &grid), 0);
    let all = Interpolator::new(&pts, &idw(params(2.0, 10_000, None))).unwrap();
    assert_eq!(all.estimate(500.0, 500.0).unwrap().unwrap().neighbors, 300);
    // With a radius, k ≥ n means every point within it.
    check_grid(&pts, params(2.0, 10_000, Some(200.0)), &grid);
}

#[test]
fn grid_far_outside_a_dense_cluster() {
    // All points in a 10 m cluster, the grid kilometres away: every point lies in the ring a
    // shared search would have to scan.
    let pts: Vec<Sample> = random_points(2000, 9, 10.0);
    assert_eq!(
        check_grid(
            &pts,
            params(2.0, 32, None),
            &spec(5000.0, 5000.0, 50.0, 40, 40)
        ),
        0
    );
    assert_eq!(
        check_grid(
            &pts,
            params(2.0, 32, None),
            &spec(-100.0, -100.0, 5.0, 44, 44)
        ),
        0
    );
}

#[test]
fn kriging_grid_equals_the_per_target_estimates() {
    let pts = random_points(1500, 21, 4000.0);
    let v = Variogram::new(ModelKind::Spherical, 0.01, 0.5, 1500.0).unwrap();
    for radius in [None, Some(300.0)] {
        let opts = InterpolatorOptions {
            crs: Crs::Projected,
            method: Method::OrdinaryKriging(KrigingParams {
                variogram: VariogramSpec::Fixed(v),
                neighbors: 24,
                radius,
            }),
            transform: Transform::None,
        };
        let ok = Interpolator::new(&pts, &opts).unwrap();
        let spec = spec(-200.0, -200.0, 75.0, 60, 60);
        let grid = ok.grid(&spec).unwrap();
        let variance = grid.variance.as_ref().unwrap();
        for row in 0..spec.nrows {
            for col in 0..spec.ncols {
                let (x, y) = spec.cell_center(col, row);
                let at = row * spec.ncols + col;
                match ok.estimate(x, y).unwrap() {
                    Some(e) => {
                        assert_eq!(grid.estimate[at], e.value, "({x}, {y})");
                        assert_eq!(Some(variance[at]), e.variance, "({x}, {y})");
                    }
                    None => assert!(grid.estimate[at].is_nan() && variance[at].is_nan()),
                }
            }
        }
    }
}

#[test]
fn lonlat_grid_equals_the_per_target_estimates() {
    let pts: Vec<Sample> = random_points(800, 13, 1.0)
        .into_iter()
        .map(|s| Sample {
            x: 103.0 + 0.05 * s.x,
            y: 29.5 + 0.05 * s.y,
            ..s
        })
        .collect();
    let opts = InterpolatorOptions {
        crs: Crs::LonLat,
        ..idw(params(2.0, 16, None))
    };
    let interp = Interpolator::new(&pts, &opts).unwrap();
    let spec = spec(102.99, 29.49, 0.0007, 100, 90);
    let grid = interp.grid(&spec).unwrap();
    for row in 0..spec.nrows {
        for col in 0..spec.ncols {
            let (x, y) = spec.cell_center(col, row);
            let e = interp.estimate(x, y).unwrap().unwrap();
            assert_eq!(grid.estimate[row * spec.ncols + col], e.value, "({x}, {y})");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// Random layouts on a coarse lattice (so duplicates and ties are common), random grids,
    /// k, power and radius.
    #[test]
    fn any_grid_matches_brute_force(
        raw in proptest::collection::vec((0u8..40, 0u8..40, -5.0f64..5.0), 1..250),
        k in 1usize..40,
        power in proptest::sample::select(vec![1.0, 2.0, 2.5]),
        radius in proptest::option::of(3.0f64..40.0),
        (x_min, y_min) in (-20.0f64..20.0, -20.0f64..20.0),
        cell in proptest::sample::select(vec![0.5, 1.0, 1.5, 3.0, 7.0]),
        (ncols, nrows) in (1usize..50, 1usize..50),
    ) {
        let pts: Vec<Sample> = raw
            .iter()
            .map(|&(x, y, value)| Sample { x: f64::from(x), y: f64::from(y), value })
            .collect();
        check_grid(&pts, params(power, k, radius), &spec(x_min, y_min, cell, ncols, nrows));
    }
}
