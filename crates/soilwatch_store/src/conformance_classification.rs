//! Conformance checks of [`ClassificationStore`](crate::ClassificationStore) and the
//! classification service (issue 6): units with versions, a run with its inputs and evidence,
//! reviews kept apart, changes since the previous run, grids for a county without parcels, and
//! areas toward the targets. `tests/classification_sqlite.rs` runs them on SQLite always,
//! `tests/classification_postgres.rs` on PostgreSQL when `SOILWATCH_TEST_PG` is set.

use geo::polygon;
use soilwatch_classify::{
    ClassifySettings, EvaluationUnit, Measure, UnitClass, UnitSource, SQUARE_METRES_PER_MU,
};
use soilwatch_core::{ChangeMeta, Medium};

use crate::classification::{NewTargetArea, ReviewAction, TargetAreaQuery};
use crate::classification_service::{run_changes, run_classification, run_list, RunRequest};
use crate::conformance::sample;
use crate::conformance_network::point_inside;
use crate::{seed, Store, StoreError};

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn invalid_field<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains(field), "{field} not named in: {m}"),
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

/// A paddy parcel of ±0.004° around (x, y).
fn parcel(code: &str, county: &str, x: f64, y: f64, land_use: &str) -> EvaluationUnit {
    let d = 0.004;
    let g: geo::MultiPolygon<f64> = polygon![(x: x - d, y: y - d), (x: x + d, y: y - d),
        (x: x + d, y: y + d), (x: x - d, y: y + d), (x: x - d, y: y - d)]
    .into();
    EvaluationUnit::new(
        code.into(),
        county.parse().expect("county"),
        UnitSource::Parcel,
        Some(land_use.parse().expect("land use")),
        g,
    )
    .expect("unit")
}

/// Two paddy parcels in 会理市 (513402), a soil point in each (pH 6.0: Cd screening 0.4,
/// intervention 2.0 for paddy), rice at the first.
async fn two_parcels(store: &dyn Store) -> (i64, i64) {
    seed::seed(store).await.expect("seed");
    let a = point_inside(store, "CL-A", "513402", 0.0).await;
    let b = point_inside(store, "CL-B", "513402", 150.0).await;
    for p in [&a, &b] {
        store
            .create_point(p, &change("points"))
            .await
            .expect("point");
    }
    let (ax, ay) = (a.point.location.lon(), a.point.location.lat());
    let (bx, by) = (b.point.location.lon(), b.point.location.lat());
    let units = [
        parcel("HL-P-A", "513402", ax, ay, "0101"),
        parcel("HL-P-B", "513402", bx, by, "0101"),
    ];
    let w = store
        .put_units(&units, "parcels.geojson", &change("parcels"))
        .await
        .expect("units");
    assert_eq!((w.added, w.changed, w.unchanged), (2, 0, 0));
    let metals = |cd: &'static str| {
        vec![
            ("Cd", cd),
            ("Hg", "0.1"),
            ("As", "10"),
            ("Pb", "30"),
            ("Cr", "80"),
            ("pH", "6.0"),
        ]
    };
    let mut rice = sample(
        "CL-C-A-2024",
        Some("CL-A"),
        "513402",
        Medium::AgriculturalProduct,
        "2024-09-01",
        &[("Cd", "0.3")],
    );
    rice.sample.crop = Some("水稻".into());
    let batch = vec![
        sample(
            "CL-S-A",
            Some("CL-A"),
            "513402",
            Medium::Soil,
            "2024-05-01",
            &metals("0.4"),
        ),
        sample(
            "CL-S-B",
            Some("CL-B"),
            "513402",
            Medium::Soil,
            "2024-05-01",
            &metals("2.5"),
        ),
        rice,
    ];
    store
        .insert_samples(&batch, &change("samples"))
        .await
        .expect("samples");
    let sa = store.get_sample("CL-S-A").await.expect("sample").id;
    let sb = store.get_sample("CL-S-B").await.expect("sample").id;
    (sa, sb)
}

pub async fn units_keep_versions(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let u = parcel("U-1", "513401", 102.26, 27.89, "0101");
    let w = store
        .put_units(std::slice::from_ref(&u), "a.geojson", &change("load"))
        .await
        .expect("put");
    assert_eq!(w.added, 1);
    let w = store
        .put_units(std::slice::from_ref(&u), "a.geojson", &change("again"))
        .await
        .expect("put");
    assert_eq!(w.unchanged, 1);
    // The same parcel through another tool (coordinates differing in the 14th digit): unchanged;
    // moved by 1e-6° (about 0.1 m): a new version.
    let nudge = |u: &EvaluationUnit, by: f64| {
        let mut n = u.clone();
        n.geometry = geo::MapCoords::map_coords(&u.geometry, |c| geo::coord! {x: c.x + by, y: c.y});
        n
    };
    let w = store
        .put_units(&[nudge(&u, 1e-13)], "a.gpkg", &change("again"))
        .await
        .expect("put");
    assert_eq!(w.unchanged, 1);
    let moved = nudge(&u, 1e-6);
    let w = store
        .put_units(
            std::slice::from_ref(&moved),
            "moved.geojson",
            &change("moved"),
        )
        .await
        .expect("put");
    assert_eq!(w.changed, 1);
    let w = store
        .put_units(std::slice::from_ref(&u), "a.geojson", &change("back"))
        .await
        .expect("put");
    assert_eq!(w.changed, 1);
    let mut v2 = u.clone();
    v2.land_use = Some("0103".parse().expect("lu"));
    let w = store
        .put_units(&[v2.clone()], "b.geojson", &change("fix"))
        .await
        .expect("put");
    assert_eq!(w.changed, 1);
    let listed = store
        .list_units("513400".parse().expect("code"))
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version, 4);
    assert_eq!(listed[0].origin, "b.geojson");
    assert_eq!(listed[0].unit, v2);
    assert!(
        (listed[0].unit.area_mu * SQUARE_METRES_PER_MU - listed[0].unit.area_ha * 1e4).abs() < 1e-3
    );
    assert!(store
        .list_units("513402".parse().expect("code"))
        .await
        .expect("list")
        .is_empty());
    assert_eq!(
        store.unit_division(&v2.code).await.expect("division"),
        Some(v2.division)
    );
    assert_eq!(store.unit_division("NO-SUCH").await.expect("none"), None);
    // Unknown county, repeated code, no reason.
    let bad = parcel("U-2", "513499", 102.26, 27.89, "0101");
    invalid_field(store.put_units(&[bad], "x", &change("x")).await, "division");
    invalid_field(
        store
            .put_units(&[u.clone(), u.clone()], "x", &change("x"))
            .await,
        "code",
    );
    invalid_field(
        store
            .put_units(&[u], "x", &ChangeMeta::new("tester", " "))
            .await,
        "reason",
    );
}

pub async fn runs_store_inputs_evidence_reviews_and_changes(store: &dyn Store) {
    let (sa, sb) = two_parcels(store).await;
    let req = RunRequest {
        year: 2024,
        division: Some("513402".parse().expect("county")),
        settings: ClassifySettings::default(),
        actor: "classifier".into(),
    };
    let run = run_classification(store, &req).await.expect("run");
    assert_eq!(run.year, 2024);
    assert_eq!(run.method, "gb15618");
    assert_eq!(run.ruleset, "gb15618-2018");
    assert_eq!(run.previous_run_id, None);
    assert_eq!(run.settings["crop_multiple"], "2");
    assert_eq!(run.settings["crop_years"], 2);
    let soil = run.inputs["soil_samples"].as_array().expect("soil samples");
    assert!(soil.contains(&serde_json::json!([sa, 1])), "{soil:?}");
    assert!(soil.contains(&serde_json::json!([sb, 1])));
    assert_eq!(run.inputs["crop_samples"].as_array().map(Vec::len), Some(1));
    assert_eq!(run.inputs["results"].as_array().map(Vec::len), Some(13));

    let units = store.run_units(run.id, true).await.expect("units");
    assert_eq!(units.len(), 2);
    let a = &units[0];
    assert_eq!(a.unit.unit_code, "HL-P-A");
    // Cd 0.4 = screening → priority protection; rice 0.3 > 0.2 → safe utilization.
    assert_eq!(a.unit.class, Some(UnitClass::SafeUtilization));
    let ev = a.evidence.as_ref().expect("evidence");
    assert_eq!(ev["soil_class"], "priority_protection");
    assert_eq!(ev["samples"][0]["sample_id"], sa);
    let cd = ev["samples"][0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["analyte"] == "Cd")
        .expect("Cd")
        .clone();
    assert_eq!(cd["value"], "0.4");
    assert_eq!(cd["screening"], "0.4");
    assert_eq!(cd["intervention"], "2.0");
    assert_eq!(ev["decisions"][1]["rule"], "crop_exceeds");
    let b = &units[1];
    assert_eq!(b.unit.class, Some(UnitClass::StrictControl));
    assert_eq!(b.unit.county, "会理市");
    let list = run_list(store, run.id).await.expect("list");
    assert_eq!(list.list.counties.len(), 1);
    assert_eq!(list.list.total.strict_control.units, 1);
    assert!((list.list.total.total.area_mu - (a.unit.area_mu + b.unit.area_mu)).abs() < 1e-6);

    // Reviews: kept apart, the newest counts.
    invalid_field(
        store
            .review_unit(run.id, "HL-P-A", ReviewAction::Override, None, &change("x"))
            .await,
        "class",
    );
    invalid_field(
        store
            .review_unit(
                run.id,
                "HL-P-A",
                ReviewAction::Confirm,
                Some(UnitClass::StrictControl),
                &change("x"),
            )
            .await,
        "class",
    );
    let rv = store
        .review_unit(
            run.id,
            "HL-P-A",
            ReviewAction::Override,
            Some(UnitClass::PriorityProtection),
            &ChangeMeta::new(
                "reviewer",
                "复测稻米未超标 / rice retested within the limit",
            ),
        )
        .await
        .expect("override");
    assert_eq!(rv.class, UnitClass::PriorityProtection);
    store
        .review_unit(
            run.id,
            "HL-P-B",
            ReviewAction::Confirm,
            None,
            &change("现场核实"),
        )
        .await
        .expect("confirm");
    let u = store.run_unit(run.id, "HL-P-A").await.expect("unit");
    assert_eq!(
        u.unit.class,
        Some(UnitClass::SafeUtilization),
        "computed class unchanged"
    );
    assert_eq!(u.unit.reviewed_class, Some(UnitClass::PriorityProtection));
    assert_eq!(u.unit.final_class(), Some(UnitClass::PriorityProtection));
    assert_eq!(u.unit.reviewed_by.as_deref(), Some("reviewer"));
    assert!(matches!(
        store.run_unit(run.id, "NOPE").await,
        Err(StoreError::NotFound { .. })
    ));

    // A correction, then a second run: B drops to safe utilization; the change names the rule.
    let stored = store.get_sample("CL-S-B").await.expect("sample");
    let cd = stored
        .results
        .iter()
        .find(|r| r.result.analyte == "Cd")
        .expect("Cd");
    let mut fixed = cd.result.clone();
    fixed.value = Some("1.2".parse().expect("value"));
    store
        .update_result(cd.id, &fixed, &change("lab correction"))
        .await
        .expect("correction");
    let run2 = run_classification(store, &req).await.expect("run 2");
    assert_eq!(run2.previous_run_id, Some(run.id));
    assert!(run2.inputs["results"]
        .as_array()
        .expect("results")
        .contains(&serde_json::json!([cd.id, 2])));
    let ch = run_changes(store, run2.id).await.expect("changes");
    assert_eq!(ch.previous_run_id, Some(run.id));
    // A was overridden to priority protection in run 1 and computes safe utilization again.
    assert_eq!(ch.changes.len(), 2, "{:?}", ch.changes);
    let b = ch
        .changes
        .iter()
        .find(|c| c.unit_code == "HL-P-B")
        .expect("B");
    assert_eq!(b.before, Some(UnitClass::StrictControl));
    assert_eq!(b.after, Some(UnitClass::SafeUtilization));
    assert!(b.reason.contains("worst"), "{}", b.reason);
    let runs = store
        .list_runs(Some(req.division.expect("county")), Some(2024), 10)
        .await
        .expect("runs");
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [run2.id, run.id]
    );
    assert!(store
        .list_runs(None, Some(2019), 10)
        .await
        .expect("runs")
        .is_empty());
    assert!(matches!(
        store.get_run(9_999).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        run_changes(store, run.id)
            .await
            .expect("first")
            .changes
            .len(),
        0
    );
}

pub async fn grid_units_for_a_county_without_parcels(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let county = store
        .get_division("513401".parse().expect("code"))
        .await
        .expect("county");
    let req = RunRequest {
        year: 2024,
        division: Some(county.code),
        settings: ClassifySettings {
            grid_cell_m: 8_000.0,
            ..ClassifySettings::default()
        },
        actor: "classifier".into(),
    };
    let run = run_classification(store, &req).await.expect("run");
    assert_eq!(run.inputs["grids_generated"], serde_json::json!(["513401"]));
    let units = store.list_units(county.code).await.expect("units");
    assert!(units.len() > 10);
    assert!(units
        .iter()
        .all(|u| u.unit.source == UnitSource::Grid && u.origin == "grid 8000 m"));
    let mu: f64 = units.iter().map(|u| u.unit.area_mu).sum();
    let expected = county.area_km2.expect("area") * 1e6 / SQUARE_METRES_PER_MU;
    assert!(
        (mu - expected).abs() / expected < 0.01,
        "{mu} vs {expected}"
    );
    let listed = store.run_units(run.id, false).await.expect("run units");
    assert!(
        listed.iter().all(|u| u.unit.class.is_none()),
        "no samples: no data"
    );
    // A second run reuses the stored grid.
    let run2 = run_classification(store, &req).await.expect("run 2");
    assert_eq!(run2.inputs["grids_generated"], serde_json::json!([]));
    assert_eq!(
        store.list_units(county.code).await.expect("units").len(),
        units.len()
    );
    invalid_field(
        run_classification(
            store,
            &RunRequest {
                settings: ClassifySettings {
                    crop_multiple: "0.5".parse().expect("d"),
                    ..ClassifySettings::default()
                },
                ..req.clone()
            },
        )
        .await,
        "crop_multiple",
    );
    invalid_field(
        run_classification(
            store,
            &RunRequest {
                division: Some("513499".parse().expect("code")),
                ..req
            },
        )
        .await,
        "county",
    );
}

pub async fn target_areas_per_unit_year_and_measure(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let u = parcel("T-1", "513401", 102.26, 27.89, "0101");
    store
        .put_units(std::slice::from_ref(&u), "t.geojson", &change("load"))
        .await
        .expect("put");
    let area = |mu: f64, m: Measure| NewTargetArea {
        unit_code: "T-1".into(),
        year: 2020,
        measure: m,
        area_mu: mu,
        note: Some("镉低积累水稻".into()),
    };
    let a = store
        .record_target_area(
            &area(100.0, Measure::SafeUseSubstituteCrops),
            &change("2020 work"),
        )
        .await
        .expect("record");
    assert_eq!(a.target, "safe_utilization");
    assert_eq!(a.division.to_string(), "513401");
    store
        .record_target_area(
            &area(120.0, Measure::SafeUseSubstituteCrops),
            &change("corrected"),
        )
        .await
        .expect("again");
    store
        .record_target_area(&area(30.0, Measure::Remediated), &change("2020 work"))
        .await
        .expect("remediated");
    invalid_field(
        store
            .record_target_area(&area(u.area_mu * 2.0, Measure::Remediated), &change("x"))
            .await,
        "area_mu",
    );
    invalid_field(
        store
            .record_target_area(
                &NewTargetArea {
                    unit_code: "NOPE".into(),
                    ..area(1.0, Measure::Remediated)
                },
                &change("x"),
            )
            .await,
        "unit_code",
    );
    let q = TargetAreaQuery {
        division: Some("513400".parse().expect("code")),
        year: Some(2020),
        unit_code: None,
    };
    let list = store.list_target_areas(&q).await.expect("list");
    assert_eq!(list.len(), 2);
    let sub = list
        .iter()
        .find(|t| t.measure == Measure::SafeUseSubstituteCrops)
        .expect("substitute");
    assert_eq!(sub.area_mu, 120.0);
    assert_eq!(sub.reason, "corrected");
    assert!(store
        .list_target_areas(&TargetAreaQuery {
            year: Some(2021),
            ..q
        })
        .await
        .expect("list")
        .is_empty());
}
