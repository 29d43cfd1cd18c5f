//! Property tests (issue 13): pH band selection and the monotonicity of classification.

#![expect(
    clippy::unwrap_used,
    reason = "property tests: a panic is a failed case"
)]

use proptest::prelude::*;
use rust_decimal::Decimal;
use soilwatch_core::{Amount, AnalysisResult, LandUse, Qualifier, Unit};
use soilwatch_standards::{LandClass, PhBand, SoilEngine, SoilSampleContext};

/// pH with two decimals, 0.00–14.00.
fn ph() -> impl Strategy<Value = Decimal> {
    (0i64..=1400).prop_map(|c| Decimal::new(c, 2))
}

fn result(analyte: &str, value: Decimal) -> AnalysisResult {
    AnalysisResult {
        sample_code: "P".into(),
        analyte: analyte.into(),
        value: Some(Amount::new(value).unwrap()),
        unit: Unit::MgPerKg,
        detection_limit: None,
        qualifier: Qualifier::Detected,
        method: None,
    }
}

/// The items that decide the GB 15618 class.
const ITEMS: [&str; 8] = ["Cd", "Hg", "As", "Pb", "Cr", "Cu", "Ni", "Zn"];
/// The GB 36600 items used here.
const ITEMS_36600: [&str; 6] = ["As", "Cd", "Cu", "Pb", "Hg", "Ni"];

fn concentrations(n: usize) -> impl Strategy<Value = Vec<Decimal>> {
    proptest::collection::vec((0i64..2_000_000).prop_map(|m| Decimal::new(m, 3)), n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The band is the one whose bounds hold the pH (≤ 5.5; 5.5 < pH ≤ 6.5; 6.5 < pH ≤ 7.5;
    /// > 7.5), and bands never go down as pH goes up.
    #[test]
    fn ph_band_matches_its_bounds(a in ph(), b in ph()) {
        let band = PhBand::of(a);
        let (lo, hi) = match band {
            PhBand::UpTo5_5 => (None, Some(Decimal::new(55, 1))),
            PhBand::From5_5To6_5 => (Some(Decimal::new(55, 1)), Some(Decimal::new(65, 1))),
            PhBand::From6_5To7_5 => (Some(Decimal::new(65, 1)), Some(Decimal::new(75, 1))),
            PhBand::Above7_5 => (Some(Decimal::new(75, 1)), None),
        };
        prop_assert!(lo.is_none_or(|l| a > l), "{a} in {band:?}");
        prop_assert!(hi.is_none_or(|h| a <= h), "{a} in {band:?}");
        if a <= b {
            prop_assert!(PhBand::of(a) <= PhBand::of(b));
        }
    }

    /// GB 15618: raising one concentration never lowers the class (any land use, any pH).
    #[test]
    fn farmland_class_never_falls_when_a_concentration_rises(
        values in concentrations(ITEMS.len()),
        item in 0..ITEMS.len(),
        extra in (1i64..5_000_000).prop_map(|m| Decimal::new(m, 3)),
        ph in proptest::option::of(ph()),
        land in proptest::sample::select(vec!["水田", "旱地", "果园", "水浇地"]),
    ) {
        let engine = SoilEngine::builtin("gb15618-2018").unwrap();
        let ctx = SoilSampleContext {
            land_use: Some(land.parse::<LandUse>().unwrap()),
            ph,
            ..Default::default()
        };
        let mut rs: Vec<_> = ITEMS.iter().zip(&values).map(|(a, v)| result(a, *v)).collect();
        let before = engine.evaluate(&ctx, &rs).unwrap().class;
        rs[item] = result(ITEMS[item], values[item] + extra);
        let after = engine.evaluate(&ctx, &rs).unwrap().class;
        prop_assert!(after >= before, "{:?} → {:?} raising {}", before, after, ITEMS[item]);
    }

    /// GB 36600: the same for construction land, both land classes.
    #[test]
    fn construction_class_never_falls_when_a_concentration_rises(
        values in concentrations(ITEMS_36600.len()),
        item in 0..ITEMS_36600.len(),
        extra in (1i64..5_000_000).prop_map(|m| Decimal::new(m, 3)),
        second in any::<bool>(),
    ) {
        let engine = SoilEngine::builtin("gb36600-2018").unwrap();
        let ctx = SoilSampleContext {
            land_class: if second { LandClass::Class2 } else { LandClass::Class1 },
            ..Default::default()
        };
        let mut rs: Vec<_> = ITEMS_36600.iter().zip(&values).map(|(a, v)| result(a, *v)).collect();
        let before = engine.evaluate(&ctx, &rs).unwrap().class;
        rs[item] = result(ITEMS_36600[item], values[item] + extra);
        let after = engine.evaluate(&ctx, &rs).unwrap().class;
        prop_assert!(after >= before, "{:?} → {:?} raising {}", before, after, ITEMS_36600[item]);
    }
}
