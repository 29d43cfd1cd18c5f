//! Conformance checks of [`TargetStore`](crate::TargetStore) and the indicators (issue 10):
//! targets with history, the work plan's defaults, and every indicator computed from a small
//! fixture whose numbers are worked out by hand below. `tests/targets_sqlite.rs` runs them on
//! SQLite always, `tests/targets_postgres.rs` on PostgreSQL when `SOILWATCH_TEST_PG` is set.
//!
//! The fixture (year 2024), used by the web tests too ([`indicator_fixture`]):
//!
//! | county | unit | class (run 2024) | area (mu) | measures 2024 (mu) | counted |
//! |---|---|---|---|---|---|
//! | 会理市 513402 | IX-A | safe utilization | 300 | agronomic 200 + remediated 150 | 300 (capped) |
//! | 会理市 513402 | IX-B | strict control | 200 | returned to forest 170 | 170 |
//! | 会理市 513402 | IX-C | priority protection | 500 | — | — |
//! | 西昌市 513401 | IX-D | safe utilization | 100 | agronomic 93.9 | 93.9 |
//!
//! Farmland safe-use rate: 会理市 (300 + 170) ÷ (300 + 200) = 94 % — exactly the 2020 default
//! target, so met; 西昌市 93.9 ÷ 100 = 93.9 % — not met; prefecture 563.9 ÷ 600 = 93.983… %.
//! A 2025 run (IX-C strict control) is not read for 2024. Areas: safe utilization
//! (200 + 93.9) ÷ 10⁴ = 0.02939 ×10⁴ mu, strict control 0.017, remediation 0.015.
//! Plots in 会理市: two safely used of four listed by the end of 2024 (50 %); enterprises: two of
//! three due disclosed (66.67 %); monitoring: one county of the prefecture's 17 with soil
//! samples in 2024.

use chrono::NaiveDate;
use geo::polygon;
use soilwatch_classify::{Basis, EvaluationUnit, Measure, UnitClass, UnitSource};
use soilwatch_core::{ChangeMeta, Medium};

use crate::classification::{NewRun, NewTargetArea, NewUnitResult};
use crate::conformance::sample;
use crate::conformance_network::point_inside;
use crate::conformance_registry::{square_inside, step};
use crate::indicators::{compute, TraceKind, Verdict};
use crate::registry_codes::Industry;
use crate::registry_enterprise::{Disclosure, Enterprise, EnterpriseStatus};
use crate::registry_plot::{ControlArea, Plot, PlotStage};
use crate::targets::{Indicator, NewTarget, TargetSource};
use crate::{seed, Store, StoreError};

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A valid unified social credit code ending in `n`.
pub fn uscc(county: &str, n: u32) -> String {
    let first = format!("9151{}MA{:07}", &county[2..], n);
    let first = &first[..17];
    let c = soilwatch_core::uscc::check_char(first).expect("check character");
    format!("{first}{c}")
}

async fn unit_at(store: &dyn Store, code: &str, county: &str, k: f64) -> EvaluationUnit {
    let p = point_inside(store, &format!("PT-{code}"), county, k).await;
    let (x, y, d) = (p.point.location.lon(), p.point.location.lat(), 0.004);
    let g: geo::MultiPolygon<f64> = polygon![(x: x - d, y: y - d), (x: x + d, y: y - d),
        (x: x + d, y: y + d), (x: x - d, y: y + d), (x: x - d, y: y - d)]
    .into();
    EvaluationUnit::new(
        code.into(),
        county.parse().expect("county"),
        UnitSource::Parcel,
        Some("0101".parse().expect("land use")),
        g,
    )
    .expect("unit")
}

fn result(u: &EvaluationUnit, class: UnitClass, area_mu: f64) -> NewUnitResult {
    NewUnitResult {
        unit_code: u.code.clone(),
        unit_version: 1,
        division: u.division,
        class: Some(class),
        basis: Basis::Samples,
        soil_class: Some(class),
        proposal: None,
        area_mu,
        area_ha: area_mu / 15.0,
        rule: "fixture".into(),
        evidence: serde_json::json!({}),
    }
}

fn run(year: i32) -> NewRun {
    NewRun {
        year,
        division: "513400".parse().expect("code"),
        method: "gb15618".into(),
        ruleset: "GB 15618-2018".into(),
        settings: serde_json::json!({}),
        inputs: serde_json::json!({}),
        summary: serde_json::json!({}),
        actor: "tester".into(),
    }
}

/// A plot in 会理市 taken through its lifecycle: identified, listed on `listed`, then each of
/// `later` steps.
async fn plot(store: &dyn Store, code: &str, listed: Option<&str>, later: &[(PlotStage, &str)]) {
    let mut p = Plot::new(
        code,
        &format!("地块 {code}"),
        "513402".parse().expect("code"),
    );
    p.boundary = Some(square_inside(store, "513402").await);
    store
        .create_plot(&p, day("2022-01-10"), &change("排查"))
        .await
        .expect("plot");
    let Some(listed) = listed else { return };
    for (stage, date) in [
        (PlotStage::PreliminarySurvey, "2022-03-01"),
        (PlotStage::DetailedSurvey, "2022-06-01"),
        (PlotStage::RiskAssessment, "2022-09-01"),
        (PlotStage::Listed, listed),
    ]
    .into_iter()
    .chain(later.iter().copied())
    {
        store
            .add_plot_step(code, &step(stage, date), &change("step"))
            .await
            .expect("step");
    }
}

fn enterprise(n: u32, listed_year: i32, status: EnterpriseStatus) -> Enterprise {
    Enterprise {
        uscc: uscc("513402", n).parse().expect("uscc"),
        name: format!("会理某企业{n}"),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().expect("code"),
        address: Some("会理市某镇".into()),
        location: None,
        listed_year,
        responsibility_letter: None,
        status,
        contact: None,
        point_codes: Vec::new(),
    }
}

/// Load the fixture of the module documentation (seeds the store first).
pub async fn indicator_fixture(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let units = [
        unit_at(store, "IX-A", "513402", 0.0).await,
        unit_at(store, "IX-B", "513402", 150.0).await,
        unit_at(store, "IX-C", "513402", 300.0).await,
        unit_at(store, "IX-D", "513401", 0.0).await,
    ];
    store
        .put_units(&units, "fixture.geojson", &change("units"))
        .await
        .expect("units");
    let r2024 = [
        result(&units[0], UnitClass::SafeUtilization, 300.0),
        result(&units[1], UnitClass::StrictControl, 200.0),
        result(&units[2], UnitClass::PriorityProtection, 500.0),
        result(&units[3], UnitClass::SafeUtilization, 100.0),
    ];
    store.create_run(&run(2024), &r2024).await.expect("run");
    let mut r2025 = r2024.clone();
    r2025[2] = result(&units[2], UnitClass::StrictControl, 500.0);
    store.create_run(&run(2025), &r2025).await.expect("run");
    for (unit, measure, area) in [
        ("IX-A", Measure::SafeUseAgronomic, 200.0),
        ("IX-A", Measure::Remediated, 150.0),
        ("IX-B", Measure::StrictReturnedForestGrass, 170.0),
        ("IX-D", Measure::SafeUseAgronomic, 93.9),
    ] {
        store
            .record_target_area(
                &NewTargetArea {
                    unit_code: unit.into(),
                    year: 2024,
                    measure,
                    area_mu: area,
                    note: None,
                },
                &change("措施"),
            )
            .await
            .expect("area");
    }
    // A 2023 area does not count for 2024.
    store
        .record_target_area(
            &NewTargetArea {
                unit_code: "IX-C".into(),
                year: 2023,
                measure: Measure::Remediated,
                area_mu: 400.0,
                note: None,
            },
            &change("措施"),
        )
        .await
        .expect("area");

    plot(
        store,
        "IX-P1",
        Some("2023-03-01"),
        &[(PlotStage::Remediation, "2024-03-01")],
    )
    .await;
    plot(store, "IX-P2", Some("2024-05-01"), &[]).await;
    plot(store, "IX-P3", None, &[]).await;
    plot(store, "IX-P4", Some("2023-04-01"), &[]).await;
    let mut p4 = store.get_plot("IX-P4").await.expect("plot").item;
    p4.control_area = Some(ControlArea {
        since: day("2024-01-15"),
        signs: true,
        notice: Some("管控区公告".into()),
        monitoring: None,
    });
    store
        .update_plot(&p4, None, &change("划定管控区"))
        .await
        .expect("control area");
    plot(
        store,
        "IX-P5",
        Some("2024-06-01"),
        &[(PlotStage::RiskControl, "2025-02-01")],
    )
    .await;

    for (n, listed, status, disclosed) in [
        (1, 2020, EnterpriseStatus::Operating, Some("2024-11-30")),
        (2, 2022, EnterpriseStatus::Operating, Some("2025-02-01")),
        (3, 2021, EnterpriseStatus::Suspended, None),
        (4, 2025, EnterpriseStatus::Operating, None),
        (5, 2019, EnterpriseStatus::Removed, None),
    ] {
        let e = enterprise(n, listed, status);
        store
            .create_enterprise(&e, &change("名录"))
            .await
            .expect("enterprise");
        if let Some(on) = disclosed {
            store
                .put_disclosure(
                    &Disclosure {
                        uscc: e.uscc.clone(),
                        year: 2024,
                        disclosed_on: day(on),
                        pollutants: Vec::new(),
                        facilities: None,
                        sample_codes: Vec::new(),
                        published_at: None,
                    },
                    &change("公开"),
                )
                .await
                .expect("disclosure");
        }
    }

    let p = point_inside(store, "IX-SOIL", "513402", 450.0).await;
    store
        .create_point(&p, &change("point"))
        .await
        .expect("point");
    let s = sample(
        "IX-S-2024",
        Some("IX-SOIL"),
        "513402",
        Medium::Soil,
        "2024-05-01",
        &[("Cd", "0.3")],
    );
    let old = sample(
        "IX-S-2023",
        Some("IX-SOIL"),
        "513402",
        Medium::Soil,
        "2023-05-01",
        &[("Cd", "0.3")],
    );
    store
        .insert_samples(&[s, old], &change("samples"))
        .await
        .expect("samples");
}

pub async fn indicators_are_computed_as_worked_by_hand(store: &dyn Store) {
    indicator_fixture(store).await;
    let pref = "513400".parse().expect("code");
    let huili = "513402".parse().expect("code");
    let xichang = "513401".parse().expect("code");
    let data = compute(store, None, 2024).await.expect("compute");
    assert_eq!(data.scope.code, pref);
    assert_eq!(data.counties.len(), 17);

    let f = data.value(Indicator::FarmlandSafeUseRate, huili, true);
    assert!(
        close(f.numerator, 470.0) && f.denominator == Some(500.0),
        "{f:?}"
    );
    assert!(close(f.value.expect("value"), 94.0));
    let t = f.target.clone().expect("target");
    assert_eq!(
        (t.value, t.target_year, t.source),
        (94.0, 2020, TargetSource::WorkPlan)
    );
    assert_eq!(f.verdict, Verdict::Met, "exactly the target is met");
    let items = f.items.expect("items");
    let keys: Vec<(&str, f64)> = items
        .iter()
        .map(|i| (i.key.as_str(), i.numerator))
        .collect();
    assert_eq!(keys, vec![("IX-A", 300.0), ("IX-B", 170.0)]);
    assert!(items
        .iter()
        .all(|i| i.kind == TraceKind::Unit && i.run_id.is_some()));
    assert!(items[0].detail.contains("农艺调控") && items[0].detail.contains("治理与修复"));

    let x = data.value(Indicator::FarmlandSafeUseRate, xichang, false);
    assert!(close(x.value.expect("value"), 93.9));
    assert_eq!(x.verdict, Verdict::NotMet);
    let p = data.value(Indicator::FarmlandSafeUseRate, pref, false);
    assert!(close(p.value.expect("value"), 100.0 * 563.9 / 600.0));
    assert_eq!(p.verdict, Verdict::NotMet);

    let a = |i| data.value(i, pref, false);
    assert!(close(
        a(Indicator::SafeUtilizationArea).value.expect("v"),
        0.02939
    ));
    assert!(close(
        a(Indicator::StrictControlArea).value.expect("v"),
        0.017
    ));
    assert!(close(
        a(Indicator::RemediationArea).value.expect("v"),
        0.015
    ));
    assert_eq!(
        a(Indicator::SafeUtilizationArea).target.expect("t").value,
        50.9
    );
    assert_eq!(a(Indicator::SafeUtilizationArea).verdict, Verdict::NotMet);
    assert_eq!(
        data.value(Indicator::RemediationArea, huili, false).verdict,
        Verdict::NoTarget,
        "the work plan sets area targets for the prefecture only"
    );

    let plots = data.value(Indicator::PlotSafeUseRate, huili, true);
    assert_eq!((plots.numerator, plots.denominator), (2.0, Some(4.0)));
    assert!(close(plots.value.expect("v"), 50.0));
    let counted: Vec<(&str, f64)> = plots
        .items
        .as_ref()
        .expect("items")
        .iter()
        .map(|i| (i.key.as_str(), i.numerator))
        .collect();
    assert_eq!(
        counted,
        vec![
            ("IX-P1", 1.0),
            ("IX-P2", 0.0),
            ("IX-P4", 1.0),
            ("IX-P5", 0.0)
        ]
    );
    assert_eq!(
        data.value(Indicator::PlotSafeUseRate, xichang, false)
            .verdict,
        Verdict::NoData
    );

    let d = data.value(Indicator::DisclosureRate, pref, true);
    assert_eq!((d.numerator, d.denominator), (2.0, Some(3.0)));
    assert!(close(d.value.expect("v"), 200.0 / 3.0));
    assert_eq!(d.verdict, Verdict::NoTarget);
    let states: Vec<String> = d
        .items
        .expect("items")
        .iter()
        .map(|i| i.detail.clone())
        .collect();
    assert_eq!(states, vec!["按时公开", "逾期公开", "逾期未公开"]);

    let m = data.value(Indicator::MonitoringCoverage, pref, true);
    assert_eq!((m.numerator, m.denominator), (1.0, Some(17.0)));
    assert!(close(m.value.expect("v"), 100.0 / 17.0));
    assert_eq!(
        data.value(Indicator::MonitoringCoverage, huili, false)
            .verdict,
        Verdict::Met
    );

    // Year 2025: the 2025 run makes IX-C strict control; no 2025 measures.
    let later = compute(store, Some(huili), 2025).await.expect("compute");
    let f25 = later.value(Indicator::FarmlandSafeUseRate, huili, false);
    assert_eq!((f25.numerator, f25.denominator), (0.0, Some(1000.0)));
    assert_eq!(later.counties.len(), 1);

    // The assessment: 17 counties and the prefecture.
    let asmt = data.assessment();
    assert_eq!(asmt.rows.len(), 18);
    assert_eq!(asmt.rows.last().expect("row").division, pref);
    let hl = asmt
        .rows
        .iter()
        .find(|r| r.division == huili)
        .expect("会理");
    let verdicts: Vec<(Indicator, Verdict)> = hl
        .indicators
        .iter()
        .map(|v| (v.indicator, v.verdict))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            (Indicator::FarmlandSafeUseRate, Verdict::Met),
            (Indicator::PlotSafeUseRate, Verdict::NotMet),
            (Indicator::SafeUtilizationArea, Verdict::NoTarget),
            (Indicator::StrictControlArea, Verdict::NoTarget),
            (Indicator::RemediationArea, Verdict::NoTarget),
            (Indicator::MonitoringCoverage, Verdict::Met),
            (Indicator::DisclosureRate, Verdict::NoTarget),
            (Indicator::SubmissionsOnTime, Verdict::NoTarget),
        ]
    );
    assert_eq!((hl.met, hl.assessed), (2, 3));
    assert!(matches!(
        compute(store, None, 1999).await,
        Err(StoreError::Invalid(m)) if m.contains("year")
    ));
}

pub async fn targets_are_set_over_the_defaults_with_history(store: &dyn Store) {
    indicator_fixture(store).await;
    let huili = "513402".parse().expect("code");
    let t = NewTarget {
        division: huili,
        year: 2024,
        indicator: Indicator::FarmlandSafeUseRate,
        value: 95.0,
        note: Some("县级目标".into()),
    };
    let v1 = store
        .put_target(&t, &change("县里定得更高"))
        .await
        .expect("put");
    assert_eq!((v1.version, v1.value), (1, 95.0));
    let data = compute(store, Some(huili), 2024).await.expect("compute");
    let f = data.value(Indicator::FarmlandSafeUseRate, huili, false);
    let tf = f.target.expect("target");
    assert_eq!(
        (tf.value, tf.target_year, tf.source),
        (95.0, 2024, TargetSource::Set)
    );
    assert_eq!(f.verdict, Verdict::NotMet, "94 % under a 95 % target");
    // Back to exactly the value: met.
    let v2 = store
        .put_target(
            &NewTarget {
                value: 94.0,
                ..t.clone()
            },
            &change("调整"),
        )
        .await
        .expect("put");
    assert_eq!(v2.version, 2);
    let data = compute(store, Some(huili), 2024).await.expect("compute");
    assert_eq!(
        data.value(Indicator::FarmlandSafeUseRate, huili, false)
            .verdict,
        Verdict::Met
    );
    let h = store
        .target_history(huili, 2024, Indicator::FarmlandSafeUseRate)
        .await
        .expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].data["value"], 95.0);
    assert_eq!(h[1].data["value"], 94.0);
    assert_eq!(h[1].reason, "调整");
    assert_eq!(h[0].operation, "insert");
    assert_eq!(
        store
            .list_targets(Some("513400".parse().expect("code")), None)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(store
        .list_targets(Some("513401".parse().expect("code")), None)
        .await
        .expect("list")
        .is_empty());
    // An area target for a county.
    store
        .put_target(
            &NewTarget {
                division: huili,
                year: 2024,
                indicator: Indicator::RemediationArea,
                value: 0.015,
                note: None,
            },
            &change("县级修复目标"),
        )
        .await
        .expect("put");
    let data = compute(store, Some(huili), 2024).await.expect("compute");
    assert_eq!(
        data.value(Indicator::RemediationArea, huili, false).verdict,
        Verdict::Met,
        "150 mu = 0.015 ×10⁴ mu meets 0.015"
    );

    // Refusals change nothing.
    for (bad, field) in [
        (
            NewTarget {
                value: 101.0,
                ..t.clone()
            },
            "value",
        ),
        (
            NewTarget {
                value: -1.0,
                ..t.clone()
            },
            "value",
        ),
        (
            NewTarget {
                value: f64::NAN,
                ..t.clone()
            },
            "value",
        ),
        (
            NewTarget {
                year: 1999,
                ..t.clone()
            },
            "year",
        ),
        (
            NewTarget {
                division: "510000".parse().expect("code"),
                ..t.clone()
            },
            "division",
        ),
        (
            NewTarget {
                division: "513499".parse().expect("code"),
                ..t.clone()
            },
            "division",
        ),
    ] {
        match store.put_target(&bad, &change("bad")).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains(field), "{field}: {m}"),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert!(matches!(
        store.put_target(&t, &ChangeMeta::new("tester", " ")).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store
            .target_history(huili, 2024, Indicator::FarmlandSafeUseRate)
            .await
            .expect("history")
            .len(),
        2
    );
    assert!(matches!(
        store
            .target_history(huili, 2030, Indicator::FarmlandSafeUseRate)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A department of a county for the submissions fixture.
async fn department(store: &dyn Store, code: &str, division: &str) {
    store
        .create_department(
            &soilwatch_core::Department {
                code: code.into(),
                name: format!("{division} 生态环境分局"),
                level: soilwatch_core::DivisionLevel::County,
                division: division.parse().expect("test division"),
            },
            &change("fixture"),
        )
        .await
        .expect("department");
}

/// Upload a small results file through the import pipeline into a submission (now, so late
/// or on time by the campaign's due date).
async fn upload(store: &dyn Store, submission: i64, sample_code: &str, dept: &str, county: &str) {
    let csv = format!(
        "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
         {sample_code},土壤,2020-08-01,{county},水田,镉,0.2,mg/kg\n"
    );
    let opts = soilwatch_ingest::ParseOptions::new(
        format!("{sample_code}.csv"),
        chrono::Utc::now().date_naive(),
    );
    let batch =
        match crate::importer::import_bytes(store, csv.as_bytes(), &opts, "officer", Some(dept))
            .await
            .expect("import")
        {
            crate::importer::ImportOutcome::Imported { batch, .. } => batch,
            other => panic!("the fixture file imports: {other:?}"),
        };
    store
        .record_upload(submission, batch.id, "officer")
        .await
        .expect("upload");
}

/// The submissions of the "submissions on time" indicator, data year 2024 (to be loaded after
/// [`indicator_fixture`]). Uploads happen now, so a campaign due 2099-09-30 is on time and one
/// due by default (2025-09-30) is late; "today" is after 2025-09-30.
///
/// | department (division) | data kind | due | what happened | counts |
/// |---|---|---|---|---|
/// | eco-env-513402 (会理市) | soil quality | 2099-09-30 | uploaded | on time 1/1 |
/// | eco-env-513402 (会理市) | groundwater | 2025-09-30 | uploaded | late 0/1 |
/// | eco-env-513401 (西昌市) | soil quality | 2099-09-30 | nothing yet | not due 0/0 |
/// | eco-env-513401 (西昌市) | groundwater | 2025-09-30 | uploaded, returned | 0/1 |
/// | eco-env-513401 (西昌市) | surface water | 2025-09-30 | nothing | missing 0/1 |
/// | agri-513400 (州) | groundwater | 2025-09-30 | uploaded, accepted | late 0/1 |
/// | agri-513400 (州) | agricultural product | 2099-09-30 | uploaded, accepted | on time 1/1 |
/// | eco-env-513402 (会理市) | surface water, data 2023 | 2024-09-30 | nothing | not of 2024 |
///
/// 会理市 1 ÷ 2 = 50 %; 西昌市 0 ÷ 2 = 0 %; the prefecture (its own bureau's and every
/// county's) 2 ÷ 6 = 33.33 %.
pub async fn submissions_fixture(store: &dyn Store) {
    use crate::submissions::{DataKind, Decision, NewCampaign, SubmissionQuery};
    department(store, "eco-env-513402", "513402").await;
    department(store, "eco-env-513401", "513401").await;
    let far = Some(day("2099-09-30"));
    for (year, kind, due, depts) in [
        (
            2024,
            DataKind::SoilQuality,
            far,
            &["eco-env-513402", "eco-env-513401"][..],
        ),
        (
            2024,
            DataKind::Groundwater,
            None,
            &["eco-env-513402", "eco-env-513401", "agri-513400"][..],
        ),
        (2024, DataKind::SurfaceWater, None, &["eco-env-513401"][..]),
        (
            2024,
            DataKind::AgriculturalProduct,
            far,
            &["agri-513400"][..],
        ),
        (2023, DataKind::SurfaceWater, None, &["eco-env-513402"][..]),
    ] {
        store
            .create_campaign(
                &NewCampaign {
                    year,
                    data_kind: kind,
                    due_on: due,
                    departments: depts.iter().map(|d| (*d).to_owned()).collect(),
                    note: String::new(),
                },
                "reviewer",
            )
            .await
            .expect("campaign");
    }
    let subs = store
        .list_submissions(&SubmissionQuery::default())
        .await
        .expect("submissions");
    let id = |dept: &str, kind: DataKind, year: i32| {
        subs.iter()
            .find(|s| s.department == dept && s.data_kind == kind && s.year == year)
            .map(|s| s.id)
            .expect("fixture submission")
    };
    let soil_hl = id("eco-env-513402", DataKind::SoilQuality, 2024);
    upload(store, soil_hl, "SOT-1", "eco-env-513402", "513402").await;
    let gw_hl = id("eco-env-513402", DataKind::Groundwater, 2024);
    upload(store, gw_hl, "SOT-2", "eco-env-513402", "513402").await;
    let gw_xc = id("eco-env-513401", DataKind::Groundwater, 2024);
    upload(store, gw_xc, "SOT-3", "eco-env-513401", "513401").await;
    store
        .decide_submission(gw_xc, Decision::Return, "缺少检测方法", "reviewer")
        .await
        .expect("return");
    let gw_pref = id("agri-513400", DataKind::Groundwater, 2024);
    upload(store, gw_pref, "SOT-4", "agri-513400", "513401").await;
    let ap_pref = id("agri-513400", DataKind::AgriculturalProduct, 2024);
    upload(store, ap_pref, "SOT-5", "agri-513400", "513401").await;
    for s in [gw_pref, ap_pref] {
        store
            .decide_submission(s, Decision::Accept, "", "reviewer")
            .await
            .expect("accept");
    }
}

pub async fn submissions_on_time_are_worked_by_hand(store: &dyn Store) {
    indicator_fixture(store).await;
    // Before any campaign: no data for the indicator.
    let pref: soilwatch_core::DivisionCode = "513400".parse().expect("code");
    let huili = "513402".parse().expect("code");
    let xichang = "513401".parse().expect("code");
    let none = compute(store, None, 2024).await.expect("compute");
    let v = none.value(Indicator::SubmissionsOnTime, pref, false);
    assert_eq!(
        (v.numerator, v.denominator, v.value),
        (0.0, Some(0.0), None)
    );
    assert_eq!(v.verdict, Verdict::NoTarget, "the work plan sets no rate");

    submissions_fixture(store).await;
    let data = compute(store, None, 2024).await.expect("compute");
    let hl = data.value(Indicator::SubmissionsOnTime, huili, true);
    assert_eq!((hl.numerator, hl.denominator), (1.0, Some(2.0)));
    assert!(close(hl.value.expect("value"), 50.0));
    let items = hl.items.expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.kind == TraceKind::Submission));
    let mut details: Vec<(f64, &str)> = items
        .iter()
        .map(|i| (i.numerator, i.detail.split('：').next().unwrap_or_default()))
        .collect();
    details.sort_by(|a, b| a.1.cmp(b.1));
    assert_eq!(details, vec![(1.0, "按时报送"), (0.0, "逾期报送")]);
    // Each item names a submission the store knows, of the county.
    for i in &items {
        let s = store
            .get_submission(i.key.parse().expect("id"))
            .await
            .expect("traced submission");
        assert_eq!((s.year, s.division), (2024, huili));
    }

    let xc = data.value(Indicator::SubmissionsOnTime, xichang, true);
    assert_eq!((xc.numerator, xc.denominator), (0.0, Some(2.0)));
    assert_eq!(xc.value, Some(0.0));
    let xc_items = xc.items.expect("items");
    assert_eq!(
        xc_items.len(),
        3,
        "the one not yet due is listed, not counted"
    );
    let not_due: Vec<_> = xc_items.iter().filter(|i| i.denominator == 0.0).collect();
    assert_eq!(not_due.len(), 1);
    assert!(
        not_due[0].detail.starts_with("未到截止日期"),
        "{}",
        not_due[0].detail
    );
    assert!(xc_items.iter().any(|i| i.detail.starts_with("已退回")));
    assert!(xc_items.iter().any(|i| i.detail.starts_with("逾期未报")));

    let p = data.value(Indicator::SubmissionsOnTime, pref, true);
    assert_eq!((p.numerator, p.denominator), (2.0, Some(6.0)));
    assert!(close(p.value.expect("value"), 100.0 * 2.0 / 6.0));
    assert_eq!(p.items.expect("items").len(), 7);
    assert!(p.formula_cn.contains("截止日期") && p.formula_en.contains("due date"));

    // A county sees only its own; 2023 data is not counted for 2024.
    let only = compute(store, Some(huili), 2024).await.expect("compute");
    let v = only.value(Indicator::SubmissionsOnTime, huili, false);
    assert_eq!((v.numerator, v.denominator), (1.0, Some(2.0)));
    let y2023 = compute(store, Some(huili), 2023).await.expect("compute");
    let v = y2023.value(Indicator::SubmissionsOnTime, huili, true);
    assert_eq!(
        (v.numerator, v.denominator),
        (0.0, Some(1.0)),
        "2023 data, missing"
    );

    // Targets: 50 % exactly meets 50 %; the prefecture's 33.33 % misses 90 %.
    for (division, value) in [(huili, 50.0), (pref, 90.0)] {
        store
            .put_target(
                &NewTarget {
                    division,
                    year: 2024,
                    indicator: Indicator::SubmissionsOnTime,
                    value,
                    note: None,
                },
                &change("报送目标"),
            )
            .await
            .expect("target");
    }
    let data = compute(store, None, 2024).await.expect("compute");
    let asmt = data.assessment();
    let verdict = |d: soilwatch_core::DivisionCode| {
        asmt.rows
            .iter()
            .find(|r| r.division == d)
            .and_then(|r| {
                r.indicators
                    .iter()
                    .find(|v| v.indicator == Indicator::SubmissionsOnTime)
            })
            .map(|v| v.verdict)
            .expect("assessed")
    };
    assert_eq!(verdict(huili), Verdict::Met);
    assert_eq!(verdict(pref), Verdict::NotMet);
    assert_eq!(verdict(xichang), Verdict::NoTarget);
    let table = crate::indicators::assessment_table(&asmt);
    assert!(table.iter().any(|r| r[1] == "513402"
        && r[3] == "submissions_on_time"
        && r[6] == "1.0000"
        && r[7] == "2.0000"
        && r[8] == "50.00"
        && r[12].starts_with("达标")));
}
