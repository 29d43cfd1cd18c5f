//! Property tests (issue 13): ordinary kriging weights sum to one. The weights are not exposed,
//! so the property is checked through what it means for every estimate: adding a constant `c`
//! to every sample value moves the estimate by exactly `c` (Σλᵢ(zᵢ + c) = Σλᵢzᵢ + c·Σλᵢ), and a
//! constant field is reproduced. Random sample layouts, variogram models, neighbourhoods and
//! targets.

#![expect(
    clippy::unwrap_used,
    reason = "property tests: a panic is a failed case"
)]

use proptest::prelude::*;
use soilwatch_geostat::{
    Crs, Interpolator, InterpolatorOptions, KrigingParams, Method, ModelKind, Sample, Transform,
    Variogram, VariogramSpec,
};

fn samples() -> impl Strategy<Value = Vec<Sample>> {
    proptest::collection::vec(
        (0.0f64..10_000.0, 0.0f64..10_000.0, 0.0f64..100.0).prop_map(|(x, y, value)| Sample {
            x,
            y,
            value,
        }),
        5..60,
    )
}

fn variogram() -> impl Strategy<Value = Variogram> {
    (
        proptest::sample::select(vec![
            ModelKind::Spherical,
            ModelKind::Exponential,
            ModelKind::Gaussian,
        ]),
        0.0f64..2.0,
        0.1f64..10.0,
        100.0f64..20_000.0,
    )
        .prop_map(|(m, nugget, psill, range)| Variogram::new(m, nugget, psill, range).unwrap())
}

fn options(v: Variogram, k: usize) -> InterpolatorOptions {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn kriging_weights_sum_to_one(
        pts in samples(),
        v in variogram(),
        k in 3usize..40,
        c in -50.0f64..50.0,
        targets in proptest::collection::vec((-2_000.0f64..12_000.0, -2_000.0f64..12_000.0), 1..5),
    ) {
        let shifted: Vec<Sample> = pts.iter().map(|s| Sample { value: s.value + c, ..*s }).collect();
        let constant: Vec<Sample> = pts.iter().map(|s| Sample { value: 7.25, ..*s }).collect();
        let (Ok(a), Ok(b), Ok(z)) = (
            Interpolator::new(&pts, &options(v, k)),
            Interpolator::new(&shifted, &options(v, k)),
            Interpolator::new(&constant, &options(v, k)),
        ) else {
            // Random layouts of 5+ distinct points are always accepted.
            return Err(TestCaseError::fail("interpolator refused the samples"));
        };
        for (x, y) in targets {
            let (Some(ea), Some(eb), Some(ez)) = (
                a.estimate(x, y).unwrap(),
                b.estimate(x, y).unwrap(),
                z.estimate(x, y).unwrap(),
            ) else {
                // No search radius: every target has an estimate.
                return Err(TestCaseError::fail(format!("no estimate at ({x}, {y})")));
            };
            let scale = 1.0 + ea.value.abs() + c.abs();
            prop_assert!(((eb.value - ea.value) - c).abs() <= 1e-7 * scale,
                "shift {c}: {} → {}", ea.value, eb.value);
            prop_assert!((ez.value - 7.25).abs() <= 1e-9 * 7.25, "constant: {}", ez.value);
            // The variance does not depend on the values.
            if let (Some(va), Some(vb)) = (ea.variance, eb.variance) {
                prop_assert!((va - vb).abs() <= 1e-9 * (1.0 + va.abs()));
            }
        }
    }
}
