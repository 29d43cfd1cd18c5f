//! Property tests (issue 13): unit conversions round-trip and compose.

use proptest::prelude::*;
use rust_decimal::Decimal;
use soilwatch_core::Unit;

fn unit() -> impl Strategy<Value = Unit> {
    proptest::sample::select(Unit::ALL.to_vec())
}

/// Concentrations as reported: up to 6 decimals, up to 10⁶.
fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000_000_000, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Converting to a unit of the same dimension and back gives the value exactly.
    #[test]
    fn conversion_round_trips(v in amount(), from in unit(), to in unit()) {
        match from.convert(v, to) {
            Ok(there) => {
                let back = to.convert(there, from).unwrap();
                prop_assert_eq!(back, v, "{} {} → {} {} → back", v, from.symbol(), there, to.symbol());
            }
            // Only units of different dimensions refuse, and both ways.
            Err(_) => {
                prop_assert_ne!(from.dimension(), to.dimension());
                prop_assert!(to.convert(v, from).is_err());
            }
        }
    }

    /// a → b → c equals a → c, and the factors multiply.
    #[test]
    fn conversions_compose(v in amount(), a in unit(), b in unit(), c in unit()) {
        if let (Ok(ab), Ok(bc)) = (a.factor_to(b), b.factor_to(c)) {
            let ac = a.factor_to(c).unwrap();
            prop_assert_eq!(ab * bc, ac);
            let stepwise = b.convert(a.convert(v, b).unwrap(), c).unwrap();
            prop_assert_eq!(stepwise, a.convert(v, c).unwrap());
        }
    }

    /// Conversion keeps order (a larger value stays larger) and zero stays zero.
    #[test]
    fn conversion_is_monotone(x in amount(), y in amount(), from in unit(), to in unit()) {
        if let (Ok(cx), Ok(cy)) = (from.convert(x, to), from.convert(y, to)) {
            prop_assert_eq!(x.cmp(&y), cx.cmp(&cy));
            prop_assert!(from.convert(Decimal::ZERO, to).unwrap().is_zero());
        }
    }
}
