//! Ordinary kriging and IDW against PyKrige / SciPy output kept as fixtures
//! (`fixtures/make_fixtures.py` made them; Python is not needed here).
//! Estimates and variances must agree to 1e-6 relative.

#![expect(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

use approx::assert_relative_eq;
use serde_json::Value;
use soilwatch_geostat::{
    Crs, IdwParams, Interpolator, InterpolatorOptions, KrigingParams, Method, ModelKind, Sample,
    Transform, Variogram, VariogramSpec,
};

const POINTS: &str = include_str!("../fixtures/points.csv");
const TARGETS: &str = include_str!("../fixtures/targets.csv");
const EXPECTED: &str = include_str!("../fixtures/pykrige.json");

fn rows(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn points() -> Vec<Sample> {
    rows(POINTS)
        .into_iter()
        .map(|r| Sample {
            x: r[0],
            y: r[1],
            value: r[2],
        })
        .collect()
}

fn targets() -> Vec<[f64; 2]> {
    rows(TARGETS).into_iter().map(|r| [r[0], r[1]]).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn kriging(case: &Value) -> Interpolator {
    let variogram = Variogram::new(
        case["model"]
            .as_str()
            .unwrap()
            .parse::<ModelKind>()
            .unwrap(),
        case["nugget"].as_f64().unwrap(),
        case["psill"].as_f64().unwrap(),
        case["range"].as_f64().unwrap(),
    )
    .unwrap();
    // PyKrige without n_closest_points uses every point: k ≥ n here.
    let neighbors = case["neighbors"]
        .as_u64()
        .map_or(usize::MAX, |k| k as usize);
    let options = InterpolatorOptions {
        crs: Crs::Projected,
        method: Method::OrdinaryKriging(KrigingParams {
            variogram: VariogramSpec::Fixed(variogram),
            neighbors,
            radius: None,
        }),
        transform: Transform::None,
    };
    Interpolator::new(&points(), &options).unwrap()
}

#[test]
fn ordinary_kriging_matches_pykrige() {
    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    let cases = expected["kriging"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    let targets = targets();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let got = kriging(case).estimate_many(&targets).unwrap();
        let est = floats(&case["estimate"]);
        let var = floats(&case["variance"]);
        assert_eq!(got.len(), est.len(), "{name}");
        for (i, g) in got.iter().enumerate() {
            let g = g.unwrap();
            assert_relative_eq!(g.value, est[i], max_relative = 1e-6);
            assert_relative_eq!(g.variance.unwrap(), var[i], max_relative = 1e-6);
        }
    }
}

#[test]
fn cross_validation_matches_pykrige_leave_one_out() {
    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    let cv = &expected["cross_validation"];
    let got = kriging(cv).cross_validate().unwrap();
    assert_eq!(got.n, 40);
    assert_relative_eq!(
        got.mean_error,
        cv["mean_error"].as_f64().unwrap(),
        max_relative = 1e-6
    );
    assert_relative_eq!(got.rmse, cv["rmse"].as_f64().unwrap(), max_relative = 1e-6);
    assert_relative_eq!(
        got.msse.unwrap(),
        cv["msse"].as_f64().unwrap(),
        max_relative = 1e-6
    );
}

#[test]
fn idw_matches_scipy_ckdtree() {
    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    let targets = targets();
    for key in ["idw", "idw_power3_k12"] {
        let case = &expected[key];
        let options = InterpolatorOptions {
            crs: Crs::Projected,
            method: Method::Idw(IdwParams {
                power: case["power"].as_f64().unwrap(),
                neighbors: case["neighbors"].as_u64().unwrap() as usize,
                radius: None,
            }),
            transform: Transform::None,
        };
        let idw = Interpolator::new(&points(), &options).unwrap();
        let got = idw.estimate_many(&targets).unwrap();
        for (g, e) in got.iter().zip(floats(&case["estimate"])) {
            assert_relative_eq!(g.unwrap().value, e, max_relative = 1e-9);
        }
    }
}
