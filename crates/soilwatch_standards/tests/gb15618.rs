//! Hand-worked GB 15618-2018 and GB 36600-2018 cases at every boundary named in issue 3, through
//! the API the platform uses for a stored sample (`SoilEngine::evaluate`).

use std::str::FromStr;

use rust_decimal::Decimal;
use soilwatch_core::{Amount, AnalysisResult, LandUse, Qualifier, Unit};
use soilwatch_standards::{
    Flag, LandClass, Method, PhBand, PollutionGrade, SoilClass, SoilEngine, SoilEvaluation,
    SoilSampleContext,
};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal")
}

fn res(analyte: &str, value: &str, unit: Unit) -> AnalysisResult {
    AnalysisResult {
        sample_code: "S".into(),
        analyte: analyte.into(),
        value: Some(Amount::from_str(value).expect("amount")),
        unit,
        detection_limit: None,
        qualifier: Qualifier::Detected,
        method: None,
    }
}

fn mg(analyte: &str, value: &str) -> AnalysisResult {
    res(analyte, value, Unit::MgPerKg)
}

fn nd(analyte: &str, dl: &str) -> AnalysisResult {
    AnalysisResult {
        value: None,
        detection_limit: Some(Amount::from_str(dl).expect("amount")),
        qualifier: Qualifier::NotDetected,
        ..mg(analyte, "0")
    }
}

fn eval_with(
    land_use: &str,
    ph: Option<&str>,
    method: Method,
    results: &[AnalysisResult],
) -> SoilEvaluation {
    let engine = SoilEngine::builtin("gb15618-2018").expect("engine");
    let ctx = SoilSampleContext {
        land_use: Some(LandUse::from_str(land_use).expect("land use")),
        ph: ph.map(d),
        method,
        land_class: LandClass::Class1,
    };
    engine.evaluate(&ctx, results).expect("evaluates")
}

fn eval(land_use: &str, ph: Option<&str>, results: &[AnalysisResult]) -> SoilEvaluation {
    eval_with(land_use, ph, Method::Gb15618, results)
}

fn class(land_use: &str, ph: &str, results: &[AnalysisResult]) -> Option<SoilClass> {
    eval(land_use, Some(ph), results).class
}

#[test]
fn value_equal_to_screening() {
    // Cd, other, 5.5<pH≤6.5: screening 0.3
    let ev = eval("upland", Some("6.0"), &[mg("Cd", "0.3")]);
    assert_eq!(ev.class, Some(SoilClass::PriorityProtection));
    assert_eq!(ev.max_pi, Some(d("1.000000")));
    assert!(ev.exceed_screening.is_empty());
    assert_eq!(
        class("upland", "6.0", &[mg("Cd", "0.30000001")]),
        Some(SoilClass::SafeUtilization)
    );
}

#[test]
fn value_equal_to_intervention() {
    // Cd 表3, 5.5<pH≤6.5: intervention 2.0
    assert_eq!(
        class("upland", "6.0", &[mg("Cd", "2.0")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("upland", "6.0", &[mg("Cd", "2")]),
        Some(SoilClass::SafeUtilization)
    );
    let ev = eval("upland", Some("6.0"), &[mg("Cd", "2.01")]);
    assert_eq!(ev.class, Some(SoilClass::StrictControl));
    assert_eq!(ev.exceed_intervention, ["Cd"]);
    // As paddy pH>7.5: screening 20, intervention 100
    assert_eq!(
        class("paddy", "8", &[mg("As", "100")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("paddy", "8", &[mg("As", "100.1")]),
        Some(SoilClass::StrictControl)
    );
}

#[test]
fn ph_exactly_5_5() {
    // Cd paddy: 0.3 at pH≤5.5, 0.4 at 5.5<pH≤6.5
    let ev = eval("paddy", Some("5.5"), &[mg("Cd", "0.35")]);
    assert_eq!(ev.ph_band, Some(PhBand::UpTo5_5));
    assert_eq!(ev.class, Some(SoilClass::SafeUtilization));
    assert_eq!(
        class("paddy", "5.51", &[mg("Cd", "0.35")]),
        Some(SoilClass::PriorityProtection)
    );
}

#[test]
fn ph_exactly_6_5() {
    // Cd paddy: 0.4 at 5.5<pH≤6.5, 0.6 at 6.5<pH≤7.5
    let ev = eval("paddy", Some("6.5"), &[mg("Cd", "0.5")]);
    assert_eq!(ev.ph_band, Some(PhBand::From5_5To6_5));
    assert_eq!(ev.class, Some(SoilClass::SafeUtilization));
    assert_eq!(
        class("paddy", "6.50", &[mg("Cd", "0.5")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("paddy", "6.51", &[mg("Cd", "0.5")]),
        Some(SoilClass::PriorityProtection)
    );
}

#[test]
fn ph_exactly_7_5() {
    // Cd paddy: 0.6 at 6.5<pH≤7.5, 0.8 at pH>7.5; Hg other: 2.4 / 3.4
    assert_eq!(
        class("paddy", "7.5", &[mg("Cd", "0.7")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("paddy", "7.6", &[mg("Cd", "0.7")]),
        Some(SoilClass::PriorityProtection)
    );
    assert_eq!(
        class("upland", "7.5", &[mg("Hg", "3.0")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("upland", "7.51", &[mg("Hg", "3.0")]),
        Some(SoilClass::PriorityProtection)
    );
}

#[test]
fn rotation_uses_the_stricter_column_item_by_item() {
    // 5.5<pH≤6.5: Pb paddy 100 / other 90 → 90; Hg paddy 0.5 / other 1.8 → 0.5
    assert_eq!(
        class("rotation", "6.0", &[mg("Pb", "95")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("paddy", "6.0", &[mg("Pb", "95")]),
        Some(SoilClass::PriorityProtection)
    );
    assert_eq!(
        class("水旱轮作", "6.0", &[mg("Hg", "0.6")]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("upland", "6.0", &[mg("Hg", "0.6")]),
        Some(SoilClass::PriorityProtection)
    );
    let ev = eval("rotation", Some("6.0"), &[mg("Pb", "95")]);
    assert_eq!(ev.items[0].screening, Some(d("90")));
    assert_eq!(
        ev.items[0].column.as_deref(),
        Some("stricter of paddy and other")
    );
}

#[test]
fn orchard_cu_uses_orchard_column() {
    // Cu 5.5<pH≤6.5: orchard 150, other 50. Cd in an orchard uses "other" (0.3).
    let ev = eval("果园", Some("6.0"), &[mg("Cu", "120"), mg("Cd", "0.35")]);
    assert_eq!(ev.items[0].screening, Some(d("150")));
    assert_eq!(ev.items[0].column.as_deref(), Some("orchard"));
    assert!(!ev.items[0].exceeds_screening);
    assert_eq!(ev.items[1].screening, Some(d("0.3")));
    assert_eq!(ev.class, Some(SoilClass::SafeUtilization));
    // Upland: Cu 120 > 50 is an exceedance but never changes the class.
    let ev = eval("0103", Some("6.0"), &[mg("Cu", "120"), mg("Cd", "0.1")]);
    assert_eq!(ev.exceed_screening, ["Cu"]);
    assert_eq!(ev.class, Some(SoilClass::PriorityProtection));
}

#[test]
fn non_detect_counts_as_half_the_detection_limit() {
    let ev = eval("upland", Some("6.0"), &[nd("Cd", "0.02")]);
    assert_eq!(ev.items[0].value_mg_kg, d("0.01"));
    assert!(ev.flags.is_empty());
    // a value below its detection limit is a non-detect too
    let mut r = mg("Cd", "0.005");
    r.detection_limit = Some(Amount::from_str("0.02").unwrap());
    assert_eq!(
        eval("upland", Some("6.0"), &[r]).items[0].value_mg_kg,
        d("0.01")
    );
}

#[test]
fn non_detect_above_threshold() {
    // DL 0.5 > screening 0.3: half (0.25) is used, the sample is flagged
    let ev = eval("upland", Some("6.0"), &[nd("Cd", "0.5")]);
    assert_eq!(ev.items[0].value_mg_kg, d("0.25"));
    assert_eq!(ev.class, Some(SoilClass::PriorityProtection));
    assert_eq!(ev.flags, [Flag::NdDlAboveScreening]);
}

#[test]
fn ug_per_kg_input() {
    assert_eq!(
        class("upland", "6.0", &[res("Cd", "300", Unit::UgPerKg)]),
        Some(SoilClass::PriorityProtection)
    );
    assert_eq!(
        class("upland", "6.0", &[res("Cd", "301", Unit::UgPerKg)]),
        Some(SoilClass::SafeUtilization)
    );
    assert_eq!(
        class("upland", "6.0", &[res("Cd", "0.002", Unit::GPerKg)]),
        Some(SoilClass::SafeUtilization)
    );
    let engine = SoilEngine::builtin("gb15618-2018").unwrap();
    let ctx = SoilSampleContext {
        land_use: Some("paddy".parse().unwrap()),
        ..Default::default()
    };
    assert!(engine
        .evaluate(&ctx, &[res("Cd", "1", Unit::MgPerL)])
        .is_err());
}

#[test]
fn duplicate_results_are_averaged() {
    let ev = eval("upland", Some("6.0"), &[mg("Cd", "0.2"), mg("Cd", "0.5")]);
    assert_eq!(ev.items[0].value_mg_kg, d("0.35"));
    assert_eq!(ev.items[0].results, 2);
    assert_eq!(ev.class, Some(SoilClass::SafeUtilization));
    assert_eq!(ev.flags, [Flag::DuplicateResults]);
}

#[test]
fn ph_missing_uses_lowest_band_value() {
    // Cd paddy: screening min(0.3, 0.4, 0.6, 0.8) = 0.3; intervention min(1.5, 2, 3, 4) = 1.5
    let ev = eval("paddy", None, &[mg("Cd", "1.6"), mg("As", "21")]);
    assert_eq!(ev.flags, [Flag::PhMissing]);
    assert_eq!(ev.ph_band, None);
    assert_eq!(ev.class, Some(SoilClass::StrictControl));
    assert_eq!(
        (ev.items[0].screening, ev.items[0].intervention),
        (Some(d("0.3")), Some(d("1.5")))
    );
    // As paddy: screening min = 20, intervention min = 100
    assert_eq!(
        (ev.items[1].screening, ev.items[1].intervention),
        (Some(d("20")), Some(d("100")))
    );
    // a pH result stands in for the missing context pH
    let ev = eval(
        "paddy",
        None,
        &[mg("Cd", "0.5"), res("pH", "6.0", Unit::Dimensionless)],
    );
    assert_eq!(
        (ev.ph_band, ev.class),
        (Some(PhBand::From5_5To6_5), Some(SoilClass::SafeUtilization))
    );
}

#[test]
fn table2_organics_are_exceedances_only() {
    let ev = eval(
        "paddy",
        Some("6.0"),
        &[mg("BaP", "0.6"), mg("HCH", "0.2"), mg("Cd", "0.1")],
    );
    assert_eq!(ev.class, Some(SoilClass::PriorityProtection));
    assert_eq!(ev.exceed_screening, ["BaP", "HCH"]);
    assert_eq!(ev.max_pi_analyte.as_deref(), Some("HCH"));
    assert_eq!(ev.items[0].screening_table.as_deref(), Some("表2"));
}

#[test]
fn no_decisive_items_means_no_class() {
    let ev = eval("paddy", Some("6.0"), &[mg("Zn", "500")]);
    assert_eq!(ev.class, None);
    assert_eq!(ev.flags, [Flag::NoDecisiveItems]);
    assert_eq!(ev.exceed_screening, ["Zn"]);
    // under the pollution index any item with a screening value decides
    let ev = eval_with(
        "paddy",
        Some("6.0"),
        Method::PollutionIndex,
        &[mg("Zn", "500")],
    );
    assert_eq!(
        (ev.class, ev.grade),
        (Some(SoilClass::SafeUtilization), Some(PollutionGrade::Mild))
    );
}

#[test]
fn pollution_index_grade_boundaries() {
    // Cd other 5.5<pH≤6.5: screening 0.3 → P = C / 0.3
    for (c, grade, class) in [
        (
            "0.3",
            PollutionGrade::Unpolluted,
            SoilClass::PriorityProtection,
        ),
        ("0.6", PollutionGrade::Slight, SoilClass::PriorityProtection),
        (
            "0.6000001",
            PollutionGrade::Mild,
            SoilClass::SafeUtilization,
        ),
        ("0.9", PollutionGrade::Mild, SoilClass::SafeUtilization),
        ("1.5", PollutionGrade::Moderate, SoilClass::SafeUtilization),
        (
            "1.5000001",
            PollutionGrade::Severe,
            SoilClass::StrictControl,
        ),
    ] {
        let ev = eval_with(
            "upland",
            Some("6.0"),
            Method::PollutionIndex,
            &[mg("Cd", c)],
        );
        assert_eq!((ev.grade, ev.class), (Some(grade), Some(class)), "Cd {c}");
    }
    // the two methods can disagree: Cd 1.6 at pH 6.0 upland is P 5.33 (severe) but ≤ intervention 2.0
    assert_eq!(
        class("upland", "6.0", &[mg("Cd", "1.6")]),
        Some(SoilClass::SafeUtilization)
    );
}

#[test]
fn explanation_names_tables_columns_and_rule() {
    let ev = eval("paddy", Some("6.0"), &[mg("Cd", "2.5"), mg("Pb", "50")]);
    let cd = &ev.items[0];
    assert_eq!(cd.screening_table.as_deref(), Some("表1"));
    assert_eq!(cd.intervention_table.as_deref(), Some("表3"));
    assert_eq!(cd.column.as_deref(), Some("paddy"));
    assert_eq!(cd.item_class, Some(SoilClass::StrictControl));
    assert!(cd.decisive);
    assert_eq!(cd.pi, Some(d("6.250000")));
    assert!(
        ev.rule.contains("Cd")
            && ev.rule.contains("严格管控类")
            && ev.rule.contains("strict control")
    );
    let json = serde_json::to_value(&ev).unwrap();
    assert_eq!(json["class"], "strict_control");
    assert_eq!(json["items"][0]["screening"], "0.4");
    assert_eq!(json["ph_band"], "ph_5.5_6.5");
}

#[test]
fn non_farmland_land_use_is_refused() {
    let engine = SoilEngine::builtin("gb15618-2018").unwrap();
    let ctx = SoilSampleContext {
        land_use: Some("0601".parse().unwrap()),
        ..Default::default()
    };
    let err = engine
        .evaluate(&ctx, &[mg("Cd", "0.1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("0601"), "{err}");
    let ctx = SoilSampleContext {
        land_use: Some("paddy".parse().unwrap()),
        ph: Some(d("14.1")),
        ..Default::default()
    };
    assert!(engine.evaluate(&ctx, &[mg("Cd", "0.1")]).is_err());
}

#[test]
fn gb36600_screening_and_intervention() {
    let engine = SoilEngine::builtin("gb36600-2018").unwrap();
    let eval36 = |class: LandClass, r: &[AnalysisResult]| {
        let ctx = SoilSampleContext {
            land_class: class,
            ..Default::default()
        };
        engine.evaluate(&ctx, r).unwrap().class
    };
    // As class 1: 20 / 120; class 2: 60 / 140
    assert_eq!(
        eval36(LandClass::Class1, &[mg("As", "20")]),
        Some(SoilClass::BelowScreening)
    );
    assert_eq!(
        eval36(LandClass::Class1, &[mg("As", "20.1")]),
        Some(SoilClass::AboveScreening)
    );
    assert_eq!(
        eval36(LandClass::Class1, &[mg("As", "120")]),
        Some(SoilClass::AboveScreening)
    );
    assert_eq!(
        eval36(LandClass::Class1, &[mg("As", "121")]),
        Some(SoilClass::AboveIntervention)
    );
    assert_eq!(
        eval36(LandClass::Class2, &[mg("As", "121")]),
        Some(SoilClass::AboveScreening)
    );
    assert_eq!(
        eval36(LandClass::Class2, &[mg("As", "140.01")]),
        Some(SoilClass::AboveIntervention)
    );
    // dioxins, TEQ: class 1 screening 1e-05 mg/kg = 10 ng/kg
    assert_eq!(
        eval36(LandClass::Class1, &[res("dioxins", "10", Unit::NgPerKg)]),
        Some(SoilClass::BelowScreening)
    );
    assert_eq!(
        eval36(LandClass::Class1, &[res("dioxins", "11", Unit::NgPerKg)]),
        Some(SoilClass::AboveScreening)
    );
}
