//! Absurd and extreme numbers (1e24 mg/kg, 30-digit strings, 40 decimals, pH written with 23
//! decimals, huge detection limits and unit conversions) through the batch path
//! (`evaluate_csv`) and the per-sample engine (`SoilEngine::evaluate`): never a panic; a value
//! that a decimal holds exactly and that is a possible mass fraction (≤ 1,000,000 mg/kg) is
//! evaluated exactly, anything else is a row error naming line, column and the reason in Chinese
//! and English. Expected classes are worked by hand from GB 15618-2018 表1/表3 (Cd, paddy:
//! screening 0.3 | 0.4 | 0.6 | 0.8 and intervention 1.5 | 2.0 | 3.0 | 4.0 by pH band).

use std::str::FromStr;

use proptest::prelude::*;
use soilwatch_core::{Amount, AnalysisResult, LandUse, Qualifier, Unit};
use soilwatch_standards::batch::OUTPUT_COLUMNS;
use soilwatch_standards::exact;
use soilwatch_standards::{
    evaluate_csv, BatchOptions, BatchSummary, SoilClass, SoilEngine, SoilSampleContext,
};

const HEADER: &str = "sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier";

fn run(input: &str) -> (Vec<String>, BatchSummary) {
    let mut out = Vec::new();
    let summary = evaluate_csv(input.as_bytes(), &mut out, None, &BatchOptions::default())
        .expect("the batch runs");
    let out = String::from_utf8(out).expect("utf-8 output");
    (out.lines().map(str::to_owned).collect(), summary)
}

const TOO_LARGE: &str = "above 1,000,000 mg/kg (100 %)";
const TOO_PRECISE: &str = "too many digits to compare exactly";

/// One case: the sample's rows (ph, value, unit, detection limit, qualifier), the expected output
/// row after `sample_code,paddy,ph,` (or the expected error: column and reason).
struct Case {
    ph: &'static str,
    rows: &'static [(&'static str, &'static str, &'static str, &'static str)],
    want: Result<&'static str, (&'static str, &'static str)>,
}

const CASES: &[Case] = &[
    // 1e24 mg/kg is a decimal, but not a possible mass fraction
    Case {
        ph: "6.0",
        rows: &[("1e24", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("1e28", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("79228162514264337593543950335", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("123456789012345678901234567890", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("1e30", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("1e-30", "mg/kg", "", "")],
        want: Err(("value", TOO_PRECISE)),
    },
    // rounding 29 decimals to 28 would make it equal to the screening value 0.4
    Case {
        ph: "6.0",
        rows: &[("0.40000000000000000000000000001", "mg/kg", "", "")],
        want: Err(("value", TOO_PRECISE)),
    },
    // 40 decimals, all zeros: exactly the screening value 0.4 → priority protection
    Case {
        ph: "6.0",
        rows: &[(
            "0.4000000000000000000000000000000000000000",
            "mg/kg",
            "",
            "",
        )],
        want: Ok("priority_protection,1.000000,Cd,,,"),
    },
    // one unit of the 28th decimal above 0.4 → above screening
    Case {
        ph: "6.0",
        rows: &[("0.4000000000000000000000000001", "mg/kg", "", "")],
        want: Ok("safe_utilization,1.000000,Cd,Cd,,"),
    },
    // the largest possible mass fraction is evaluated: 10⁶ / 0.4 = 2.5 × 10⁶
    Case {
        ph: "6.0",
        rows: &[("1000000", "mg/kg", "", "")],
        want: Ok("strict_control,2500000.000000,Cd,Cd,Cd,"),
    },
    Case {
        ph: "6.0",
        rows: &[("1000", "g/kg", "", "")],
        want: Ok("strict_control,2500000.000000,Cd,Cd,Cd,"),
    },
    Case {
        ph: "6.0",
        rows: &[("1000.001", "g/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("1e26", "g/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("79228162514264337593543950335", "g/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("1e9", "μg/kg", "", "")],
        want: Ok("strict_control,2500000.000000,Cd,Cd,Cd,"),
    },
    Case {
        ph: "6.0",
        rows: &[("79228162514264337593543950335", "μg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    // 10⁻²⁵ μg/kg = 10⁻²⁸ mg/kg: held exactly; 10⁻²⁶ μg/kg would need 29 decimals
    Case {
        ph: "6.0",
        rows: &[("0.0000000000000000000000001", "μg/kg", "", "")],
        want: Ok("priority_protection,0.000000,Cd,,,"),
    },
    Case {
        ph: "6.0",
        rows: &[("0.00000000000000000000000001", "μg/kg", "", "")],
        want: Err(("value", TOO_PRECISE)),
    },
    // 400 μg/kg written with an exponent is the screening value
    Case {
        ph: "6.0",
        rows: &[("4.000e2", "μg/kg", "", "")],
        want: Ok("priority_protection,1.000000,Cd,,,"),
    },
    // non-detects: half the detection limit
    Case {
        ph: "6.0",
        rows: &[("", "mg/kg", "1e24", "ND")],
        want: Err(("detection_limit", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("", "mg/kg", "1e30", "ND")],
        want: Err(("detection_limit", TOO_LARGE)),
    },
    Case {
        ph: "6.0",
        rows: &[("", "g/kg", "1e4", "ND")],
        want: Err(("detection_limit", TOO_LARGE)),
    },
    // half of 10⁻²⁸ needs a 29th decimal
    Case {
        ph: "6.0",
        rows: &[("", "mg/kg", "0.0000000000000000000000000001", "ND")],
        want: Err(("detection_limit", TOO_PRECISE)),
    },
    Case {
        ph: "6.0",
        rows: &[("<1e24", "mg/kg", "", "")],
        want: Err(("value", TOO_LARGE)),
    },
    // DL 0.8 → 0.4 = screening; the limit itself exceeds the screening value
    Case {
        ph: "6.0",
        rows: &[("", "mg/kg", "0.8000000000000000000000000000000000", "<")],
        want: Ok("priority_protection,1.000000,Cd,,,nd_dl_above_screening"),
    },
    // pH: 7.5 + 10⁻²³ is in the band pH > 7.5 (screening 0.8), 7.5 in 6.5 < pH ≤ 7.5 (0.6)
    Case {
        ph: "7.50000000000000000000001",
        rows: &[("0.7", "mg/kg", "", "")],
        want: Ok("priority_protection,0.875000,Cd,,,"),
    },
    Case {
        ph: "7.5000000000000000000000000000",
        rows: &[("0.7", "mg/kg", "", "")],
        want: Ok("safe_utilization,1.166667,Cd,Cd,,"),
    },
    Case {
        ph: "7.50000000000000000000000000001",
        rows: &[("0.7", "mg/kg", "", "")],
        want: Err(("ph", TOO_PRECISE)),
    },
    Case {
        ph: "1e24",
        rows: &[("0.7", "mg/kg", "", "")],
        want: Err(("ph", "pH must be between 0 and 14")),
    },
    Case {
        ph: "79228162514264337593543950336",
        rows: &[("0.7", "mg/kg", "", "")],
        want: Err(("ph", "pH must be between 0 and 14")),
    },
    // duplicates: (0.3 + 0.5) / 2 = 0.4 = screening
    Case {
        ph: "6.0",
        rows: &[
            ("0.3", "mg/kg", "", ""),
            ("0.5000000000000000000000000000", "mg/kg", "", ""),
        ],
        want: Ok("priority_protection,1.000000,Cd,,,duplicate_results"),
    },
    // duplicates whose exact sum needs 34 digits
    Case {
        ph: "6.0",
        rows: &[
            ("0.1234567890123456789012345678", "mg/kg", "", ""),
            ("999999.1", "mg/kg", "", ""),
        ],
        want: Err(("value", "cannot be held exactly")),
    },
];

fn case_csv(k: usize, case: &Case) -> String {
    let mut s = String::new();
    for (value, unit, dl, q) in case.rows {
        s.push_str(&format!(
            "X{k},paddy,{},Cd,{value},{unit},{dl},{q}\n",
            case.ph
        ));
    }
    s
}

#[test]
fn extreme_values_through_the_batch() {
    let mut input = format!("{HEADER}\n");
    let mut first_line = Vec::new();
    let mut line = 2u64;
    for (k, case) in CASES.iter().enumerate() {
        first_line.push(line);
        line += u64::try_from(case.rows.len()).unwrap_or(0);
        input.push_str(&case_csv(k, case));
    }
    let (out, summary) = run(&input);
    assert_eq!(out[0], OUTPUT_COLUMNS);
    assert_eq!(out.len(), CASES.len() + 1);
    assert_eq!(summary.exit_code(), 2);
    for (k, case) in CASES.iter().enumerate() {
        let row = &out[k + 1];
        let ph_out = case.ph;
        match case.want {
            Ok(rest) => {
                assert_eq!(*row, format!("X{k},paddy,{ph_out},{rest}"), "case {k}");
                assert!(
                    summary.row_errors.iter().all(|e| e.line < first_line[k]
                        || e.line >= first_line[k] + case.rows.len() as u64),
                    "case {k}: {:?}",
                    summary.row_errors
                );
            }
            Err((column, reason)) => {
                assert!(row.ends_with(",,,,,,row_error"), "case {k}: {row}");
                let errors: Vec<_> = summary
                    .row_errors
                    .iter()
                    .filter(|e| {
                        e.line >= first_line[k] && e.line < first_line[k] + case.rows.len() as u64
                    })
                    .collect();
                assert_eq!(errors.len(), 1, "case {k}: {errors:?}");
                let e = errors[0];
                assert_eq!(e.column, column, "case {k}: {e}");
                assert!(e.reason.contains(reason), "case {k}: {e}");
                // bilingual: a Chinese part before the English one
                assert!(e.reason.contains(" / "), "case {k}: {e}");
                assert!(!e.reason.is_ascii(), "case {k}: {e}");
                let text = e.to_string();
                assert!(text.contains(&format!("line {}", e.line)), "{text}");
            }
        }
    }
}

fn amount(s: &str) -> Option<Amount> {
    if s.is_empty() {
        return None;
    }
    Amount::new(exact::parse(s.trim_start_matches('<')).ok()?).ok()
}

/// The same cases through the per-sample engine (where the numbers arrive as decimals already):
/// the same class and index, or an error.
#[test]
fn extreme_values_through_the_engine() {
    let engine = SoilEngine::builtin("gb15618-2018").unwrap_or_else(|e| panic!("{e}"));
    for (k, case) in CASES.iter().enumerate() {
        let Ok(ph) = exact::parse(case.ph) else {
            continue; // the engine takes a pH as a decimal; an unreadable one never gets here
        };
        let mut results = Vec::new();
        let mut readable = true;
        for (value, unit, dl, q) in case.rows {
            let v = amount(value);
            let d = amount(dl);
            readable &= value.is_empty() || v.is_some();
            readable &= dl.is_empty() || d.is_some();
            results.push(AnalysisResult {
                sample_code: format!("X{k}"),
                analyte: "Cd".into(),
                value: v,
                unit: Unit::from_str(unit).unwrap_or_else(|e| panic!("{e}")),
                detection_limit: d,
                qualifier: if q.is_empty() && !value.starts_with('<') {
                    Qualifier::Detected
                } else {
                    Qualifier::NotDetected
                },
                method: None,
            });
        }
        if !readable {
            continue; // a number a decimal cannot hold never reaches the engine
        }
        let ctx = SoilSampleContext {
            land_use: Some(LandUse::from_str("paddy").unwrap_or_else(|e| panic!("{e}"))),
            ph: Some(ph),
            ..Default::default()
        };
        let got = engine.evaluate(&ctx, &results);
        match (case.want, got) {
            (Ok(rest), Ok(ev)) => {
                let mut parts = rest.split(',');
                let class = parts.next().unwrap_or_default();
                let pi = parts.next().unwrap_or_default();
                assert_eq!(ev.class.map(SoilClass::code), Some(class), "case {k}");
                assert_eq!(
                    ev.max_pi.map(|p| format!("{p:.6}")).as_deref(),
                    Some(pi),
                    "case {k}"
                );
            }
            (Err((_, reason)), Err(e)) => {
                let text = e.to_string();
                let key = match reason {
                    TOO_LARGE => "1,000,000 mg/kg",
                    r if r.starts_with("pH") => "pH",
                    _ => "exactly",
                };
                assert!(text.contains(key), "case {k}: {text}");
            }
            (want, got) => panic!("case {k}: want {:?}, got {got:?}", want.map(|_| ())),
        }
    }
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}\\.[0-9]{1,4}",
        "[0-9]{0,35}(\\.[0-9]{0,45})?",
        "[0-9]{1,4}(\\.[0-9]{1,4})?[eE]-?[0-9]{1,3}",
        "0\\.[0-9]{0,3}0{20,40}[0-9]?",
        "<[0-9]{0,30}(\\.[0-9]{0,30})?",
        Just(String::new()),
        Just("79228162514264337593543950335".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any numbers in the value, detection-limit and pH cells: no panic; each sample either has
    /// an error for one of its rows, or the class and index the per-sample engine gives.
    #[test]
    fn any_numbers_never_panic_and_agree_with_the_engine(
        rows in prop::collection::vec(
            (number(), prop::sample::select(vec!["mg/kg", "μg/kg", "g/kg"]),
             prop_oneof![Just(String::new()), number()],
             prop::sample::select(vec!["", "ND"])),
            1..4,
        ),
        ph in prop_oneof![
            "[0-9]{1,2}(\\.[0-9]{0,30})?".prop_map(|s| s),
            Just("7.5".to_owned()),
            Just(String::new()),
        ],
    ) {
        let mut input = format!("{HEADER}\n");
        for (value, unit, dl, q) in &rows {
            input.push_str(&format!("S,paddy,{ph},Cd,{value},{unit},{dl},{q}\n"));
        }
        let (out, summary) = run(&input);
        prop_assert_eq!(out.len(), 2);
        let row = &out[1];
        if !summary.row_errors.is_empty() {
            prop_assert!(row.ends_with("row_error"), "{}", row);
            for e in &summary.row_errors {
                prop_assert!(e.reason.contains(" / "), "{}", e);
            }
            return Ok(());
        }
        let ph_dec = if ph.is_empty() { None } else { Some(exact::parse(&ph).unwrap()) };
        let results: Vec<AnalysisResult> = rows
            .iter()
            .map(|(value, unit, dl, q)| AnalysisResult {
                sample_code: "S".into(),
                analyte: "Cd".into(),
                value: amount(value),
                unit: Unit::from_str(unit).unwrap(),
                detection_limit: amount(dl),
                qualifier: if q.is_empty() && !value.starts_with('<') {
                    Qualifier::Detected
                } else {
                    Qualifier::NotDetected
                },
                method: None,
            })
            .collect();
        let ctx = SoilSampleContext {
            land_use: Some(LandUse::from_str("paddy").unwrap()),
            ph: ph_dec,
            ..Default::default()
        };
        let ev = SoilEngine::builtin("gb15618-2018").unwrap().evaluate(&ctx, &results);
        let ev = ev.map_err(|e| TestCaseError::fail(format!("{e}: {row}")))?;
        let cells: Vec<&str> = row.split(',').collect();
        prop_assert_eq!(Some(cells[3]), ev.class.map(SoilClass::code), "{}", row);
        let pi = ev.max_pi.map(|p| format!("{p:.6}")).unwrap_or_default();
        prop_assert_eq!(cells[4], pi.as_str(), "{}", row);
    }
}
