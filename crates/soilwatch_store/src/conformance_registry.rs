//! Conformance checks of [`RegistryStore`](crate::RegistryStore) (issue 8): plots with their
//! lifecycle, boundary and survey samples; enterprises with disclosures; tailings ponds;
//! remediation projects with manifests filed before departure and reconciled on receipt; the
//! history of every change. `tests/registry_sqlite.rs` runs them on SQLite always,
//! `tests/registry_postgres.rs` on PostgreSQL when `SOILWATCH_TEST_PG` is set. Each check gets a
//! freshly migrated, empty store.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use geo::{InteriorPoint, MultiPolygon};
use soilwatch_core::{ChangeMeta, Medium};

use crate::conformance::sample;
use crate::conformance_network::point_inside;
use crate::registry::{Filing, ReportDoc};
use crate::registry_codes::{Industry, IntendedUse};
use crate::registry_enterprise::{
    Disclosure, Enterprise, EnterpriseStatus, TailingsPond, TailingsStatus,
};
use crate::registry_plot::{gate, GateReason, Plot, PlotStage, PlotStep};
use crate::registry_remediation::{
    totals_per_destination, ManifestQuery, ProjectMode, QuantityUnit, Receipt, RemediationProject,
    TransferManifest, TransportMode,
};
use crate::{seed, RegistryEntity, RegistryQuery, Store, StoreError};

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// A small square (about 200 m) inside a county.
pub async fn square_inside(store: &dyn Store, division: &str) -> MultiPolygon<f64> {
    let d = store
        .get_division(division.parse().expect("test division"))
        .await
        .expect("division");
    let c = d
        .boundary
        .as_ref()
        .and_then(|b| b.interior_point())
        .expect("county with a boundary");
    let (x, y, h) = (c.x(), c.y(), 0.001);
    MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (x - h, y - h),
            (x + h, y - h),
            (x + h, y + h),
            (x - h, y + h),
            (x - h, y - h),
        ]),
        vec![],
    )])
}

/// A plot step with the report and filing its stage needs.
pub fn step(stage: PlotStage, date: &str) -> PlotStep {
    PlotStep {
        stage,
        date: day(date),
        report: stage.needs_report().then(|| ReportDoc {
            title: format!("{}报告", stage.name_cn()),
            number: Some(format!("LS-{}", stage.code())),
            organisation: Some("四川某环境咨询公司".into()),
            issued_on: Some(day(date)),
            file: None,
        }),
        filing: stage.needs_filing().then(|| Filing {
            bureau: "凉山州生态环境局".into(),
            filed_on: day(date),
            number: None,
        }),
        passed: (stage == PlotStage::EffectEvaluation).then_some(true),
        note: None,
        recorded_by: String::new(),
        recorded_at: String::new(),
    }
}

pub async fn plots_lifecycle_boundary_samples_and_history(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let mut p = Plot::new(
        " HL-P-001 ",
        "会理原铅锌冶炼厂",
        "513402".parse().expect("code"),
    );
    p.boundary = Some(square_inside(store, "513402").await);
    p.planned_use = Some("r2".into());
    p.industry = Some(Industry::NonferrousSmelting);
    p.sample_codes = vec!["S-P1".into()];
    p.negative_list = vec![
        IntendedUse::School,
        IntendedUse::Residential,
        IntendedUse::School,
    ];
    let rec = store
        .create_plot(&p, day("2019-03-01"), &change("排查发现"))
        .await
        .expect("create");
    assert_eq!(rec.version, 1);
    assert_eq!(rec.item.code, "HL-P-001");
    assert_eq!(rec.item.planned_use.as_deref(), Some("R2"));
    assert_eq!(rec.item.land_class, 1);
    assert_eq!(rec.item.status, PlotStage::Suspected);
    assert_eq!(rec.item.steps.len(), 1);
    assert_eq!(rec.item.steps[0].recorded_by, "tester");
    assert_eq!(rec.item.negative_list.len(), 2);
    let area = rec.item.area_m2.expect("area");
    assert!((30_000.0..60_000.0).contains(&area), "area {area}");
    let got = store.get_plot("HL-P-001").await.expect("get");
    assert_eq!(got, rec, "the boundary round-trips through WKB");
    assert!(matches!(
        store
            .create_plot(&p, day("2019-03-01"), &change("again"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let mut outside = p.clone();
    outside.code = "HL-P-002".into();
    outside.division = "513401".parse().expect("code");
    assert!(matches!(
        store.create_plot(&outside, day("2019-03-01"), &change("x")).await,
        Err(StoreError::Invalid(m)) if m.contains("field boundary")
    ));

    // Update: facts change, steps stay; a stale version is a conflict.
    let mut up = rec.item.clone();
    up.planned_use = Some("M1".into());
    up.steps.clear();
    let v2 = store
        .update_plot(&up, Some(1), &change("规划调整"))
        .await
        .expect("update");
    assert_eq!(
        (v2.version, v2.item.land_class, v2.item.steps.len()),
        (2, 2, 1)
    );
    assert!(matches!(
        store.update_plot(&up, Some(1), &change("stale")).await,
        Err(StoreError::Conflict { constraint, .. }) if constraint == "version"
    ));

    // Lifecycle.
    let refused = store
        .add_plot_step(
            "HL-P-001",
            &step(PlotStage::Delisted, "2020-01-01"),
            &change("x"),
        )
        .await;
    match refused {
        Err(StoreError::Conflict { detail, .. }) => {
            assert!(detail.contains("初步调查"), "{detail}");
            assert!(detail.contains("effect evaluation"), "{detail}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut v = 2;
    for (s, d) in [
        (PlotStage::PreliminarySurvey, "2019-06-01"),
        (PlotStage::DetailedSurvey, "2019-10-01"),
        (PlotStage::RiskAssessment, "2020-01-10"),
        (PlotStage::Listed, "2020-02-01"),
        (PlotStage::Remediation, "2020-12-01"),
        (PlotStage::EffectEvaluation, "2021-06-01"),
        (PlotStage::Delisted, "2021-07-01"),
    ] {
        let r = store
            .add_plot_step("HL-P-001", &step(s, d), &change(s.name_cn()))
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        v += 1;
        assert_eq!((r.item.status, r.version), (s, v));
    }
    assert!(matches!(
        store
            .add_plot_step("NOPE", &step(PlotStage::Listed, "2021-01-01"), &change("x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // History: every version, whole, with its actor and reason.
    let h = store
        .registry_history(RegistryEntity::Plot, "HL-P-001")
        .await
        .expect("history");
    assert_eq!(h.len(), 9);
    assert_eq!(h[0].operation, "insert");
    assert_eq!(h[1].operation, "update");
    assert_eq!(h[2].operation, "step");
    assert_eq!(h[1].reason, "规划调整");
    assert_eq!(h[0].data["planned_use"], "R2");
    assert!(
        h[0].data["boundary"]["type"] == "MultiPolygon",
        "history keeps the boundary"
    );
    assert_eq!(h[8].data["status"], "delisted");
    assert!(matches!(
        store.registry_history(RegistryEntity::Plot, "NOPE").await,
        Err(StoreError::NotFound { .. })
    ));

    // Lists.
    let q = |division: &str, status: Option<&str>| RegistryQuery {
        division: Some(division.parse().expect("code")),
        status: status.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_plots(&q("513400", None))
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .list_plots(&q("513402", Some("delisted")))
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .list_plots(&q("513402", Some("listed")))
            .await
            .expect("list")
            .len(),
        0
    );
    assert_eq!(
        store
            .list_plots(&q("513401", None))
            .await
            .expect("list")
            .len(),
        0
    );

    // Survey samples: by sample code, by the plot's points, by points that watch the plot.
    let mut watcher = point_inside(store, "PT-W", "513402", 0.0).await;
    watcher.watched_plot = Some("HL-P-001".into());
    store
        .create_point(&watcher, &change("x"))
        .await
        .expect("point");
    let listed_point = point_inside(store, "PT-L", "513402", 1.0).await;
    store
        .create_point(&listed_point, &change("x"))
        .await
        .expect("point");
    store
        .insert_samples(
            &[
                sample(
                    "S-P1",
                    None,
                    "513402",
                    Medium::Soil,
                    "2019-06-01",
                    &[("Pb", "900")],
                ),
                sample(
                    "S-P2",
                    Some("PT-W"),
                    "513402",
                    Medium::Soil,
                    "2019-06-02",
                    &[("Cd", "1")],
                ),
                sample(
                    "S-P3",
                    Some("PT-L"),
                    "513402",
                    Medium::Soil,
                    "2019-06-03",
                    &[("Cd", "1")],
                ),
                sample(
                    "S-X",
                    None,
                    "513402",
                    Medium::Soil,
                    "2019-06-03",
                    &[("Cd", "1")],
                ),
                sample(
                    "S-W",
                    Some("PT-W"),
                    "513402",
                    Medium::Groundwater,
                    "2019-06-03",
                    &[("Cd", "0.01")],
                ),
            ],
            &change("survey"),
        )
        .await
        .expect("samples");
    let codes =
        |s: Vec<crate::StoredSample>| s.into_iter().map(|s| s.sample.code).collect::<Vec<_>>();
    assert_eq!(
        codes(store.plot_samples("HL-P-001").await.expect("samples")),
        vec!["S-P1", "S-P2"]
    );
    let mut with_point = store.get_plot("HL-P-001").await.expect("get").item;
    with_point.point_codes = vec!["PT-L".into()];
    store
        .update_plot(&with_point, None, &change("point"))
        .await
        .expect("update");
    let samples = store.plot_samples("HL-P-001").await.expect("samples");
    assert_eq!(codes(samples.clone()), vec!["S-P1", "S-P2", "S-P3"]);

    // The gate on stored samples: Pb 900 > 400 (class 1 screening), ≤ 800? no: 900 > 800
    // (class 1 intervention); the plot is delisted after a passing effect evaluation, so the
    // only refusal for a school is the negative list.
    let plot = store.get_plot("HL-P-001").await.expect("get").item;
    let g = gate(&plot, IntendedUse::School, &samples);
    assert!(!g.allowed);
    assert_eq!(
        g.refusals.iter().map(|r| r.reason).collect::<Vec<_>>(),
        vec![GateReason::NegativeList]
    );
    assert!(gate(&plot, IntendedUse::Industrial, &samples).allowed);
}

fn enterprise(uscc: &str, division: &str) -> Enterprise {
    Enterprise {
        uscc: uscc.parse().expect("test uscc"),
        name: "会理某铅锌冶炼有限公司".into(),
        industry: Industry::NonferrousSmelting,
        division: division.parse().expect("code"),
        address: Some("会理市某镇".into()),
        location: None,
        listed_year: 2019,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: None,
        point_codes: Vec::new(),
    }
}

pub async fn enterprises_disclosures_and_tailings_ponds(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let e = enterprise("91350100M000100Y43", "513402");
    let rec = store
        .create_enterprise(&e, &change("2019 名录"))
        .await
        .expect("create");
    assert_eq!(rec.version, 1);
    assert!(matches!(
        store.create_enterprise(&e, &change("again")).await,
        Err(StoreError::Conflict { detail, .. }) if detail.contains("already registered")
    ));
    assert!(matches!(
        store.create_enterprise(&enterprise("91350100M000100Y43", "513400"), &change("x")).await,
        Err(StoreError::Invalid(m)) if m.contains("field division")
    ));
    assert_eq!(
        store
            .get_enterprise("91350100m000100y43")
            .await
            .expect("get"),
        rec,
        "lower case finds the code"
    );
    let mut closed = e.clone();
    closed.status = EnterpriseStatus::Closed;
    let v2 = store
        .update_enterprise(&closed, Some(1), &change("关闭"))
        .await
        .expect("update");
    assert_eq!(v2.version, 2);
    let by_status = |s: &str| RegistryQuery {
        division: Some("513400".parse().expect("code")),
        status: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_enterprises(&by_status("closed"))
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .list_enterprises(&by_status("operating"))
            .await
            .expect("list")
            .len(),
        0
    );

    let d = Disclosure {
        uscc: e.uscc.clone(),
        year: 2020,
        disclosed_on: day("2020-12-01"),
        pollutants: Vec::new(),
        facilities: Some("污水处理站正常运行".into()),
        sample_codes: Vec::new(),
        published_at: None,
    };
    assert_eq!(
        store
            .put_disclosure(&d, &change("2020"))
            .await
            .expect("put")
            .version,
        1
    );
    let mut again = d.clone();
    again.disclosed_on = day("2020-12-20");
    assert_eq!(
        store
            .put_disclosure(&again, &change("更正"))
            .await
            .expect("put")
            .version,
        2
    );
    let mut early = d.clone();
    early.year = 2018;
    assert!(matches!(
        store.put_disclosure(&early, &change("x")).await,
        Err(StoreError::Invalid(m)) if m.contains("field year")
    ));
    let list = store.list_disclosures(e.uscc.as_str()).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].item.disclosed_on, day("2020-12-20"));
    let h = store
        .registry_history(RegistryEntity::Disclosure, "91350100M000100Y43/2020")
        .await
        .expect("history");
    assert_eq!(h.len(), 2);

    let pond = TailingsPond {
        code: "TP-001".into(),
        name: "某尾矿库".into(),
        enterprise_uscc: Some(e.uscc.clone()),
        enterprise_name: None,
        division: "513402".parse().expect("code"),
        location: None,
        status: TailingsStatus::Operating,
        risk_assessment: None,
        emergency_plan: None,
        note: None,
    };
    store
        .create_tailings_pond(&pond, &change("x"))
        .await
        .expect("pond");
    let mut closed_pond = pond.clone();
    closed_pond.status = TailingsStatus::Closed;
    closed_pond.emergency_plan = Some(Filing {
        bureau: "会理市生态环境局".into(),
        filed_on: day("2021-01-01"),
        number: Some("513402-2021-001".into()),
    });
    assert_eq!(
        store
            .update_tailings_pond(&closed_pond, Some(1), &change("闭库"))
            .await
            .expect("update")
            .version,
        2
    );
    let q = RegistryQuery {
        enterprise: Some("91350100M000100Y43".into()),
        status: Some("closed".into()),
        ..Default::default()
    };
    assert_eq!(store.list_tailings_ponds(&q).await.expect("list").len(), 1);
    assert!(matches!(
        store.get_tailings_pond("TP-404").await,
        Err(StoreError::NotFound { .. })
    ));
}

fn at(offset_hours: i64) -> DateTime<FixedOffset> {
    let bj = FixedOffset::east_opt(8 * 3600).expect("offset");
    (Utc::now() + Duration::hours(offset_hours)).with_timezone(&bj)
}

/// A manifest of project `PRJ-1` leaving in `hours` hours.
pub fn manifest(code: &str, hours: i64, quantity: &str, dest: &str) -> TransferManifest {
    TransferManifest {
        code: code.into(),
        project_code: "PRJ-1".into(),
        origin_division: "513400".parse().expect("code"),
        quantity: quantity.parse().expect("quantity"),
        unit: QuantityUnit::Tonne,
        transport_mode: TransportMode::Road,
        route: "会理—G5—西昌".into(),
        carrier: "某危货运输公司".into(),
        vehicle: "川W12345".into(),
        departure_at: at(hours),
        arrival_at: None,
        destination_facility: "西昌某水泥窑".into(),
        destination_division: dest.parse().expect("code"),
        disposal: "水泥窑协同处置".into(),
        filed_at: Utc::now(),
        received: None,
    }
}

pub async fn manifests_are_filed_before_departure_and_reconciled(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let mut p = Plot::new("HL-P-001", "原冶炼厂", "513402".parse().expect("code"));
    p.planned_use = Some("R2".into());
    store
        .create_plot(&p, day("2019-01-01"), &change("x"))
        .await
        .expect("plot");
    let project = RemediationProject {
        code: "PRJ-1".into(),
        name: "原冶炼厂治理修复工程".into(),
        plot_code: "HL-P-001".into(),
        division: "513400".parse().expect("code"),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理市某公司".into(),
        technique: "异位固化/稳定化".into(),
        plan_filing: None,
        started_on: Some(day("2024-01-01")),
        finished_on: None,
        supervisors: vec!["监理甲".into(), "监理乙".into()],
        notice_board: None,
        effect_evaluation: None,
    };
    let rec = store
        .create_project(&project, &change("x"))
        .await
        .expect("project");
    assert_eq!(rec.item.division.to_string(), "513402", "the plot's county");
    let mut orphan = project.clone();
    orphan.code = "PRJ-2".into();
    orphan.plot_code = "NOPE".into();
    assert!(matches!(
        store.create_project(&orphan, &change("x")).await,
        Err(StoreError::Invalid(m)) if m.contains("field plot_code")
    ));

    // Filed before departure, else refused.
    let late = manifest("LD-000", -1, "30", "513401");
    assert!(matches!(
        store.create_manifest(&late, &change("x")).await,
        Err(StoreError::Invalid(m)) if m.contains("field departure_at") && m.contains("before its departure")
    ));
    let m1 = store
        .create_manifest(&manifest("LD-001", 2, "30.5", "513401"), &change("报备"))
        .await
        .expect("m1");
    assert_eq!(m1.item.origin_division.to_string(), "513402");
    store
        .create_manifest(&manifest("LD-002", 3, "29", "513401"), &change("报备"))
        .await
        .expect("m2");
    store
        .create_manifest(&manifest("LD-003", 4, "31", "513402"), &change("报备"))
        .await
        .expect("m3");

    // Changing before departure is allowed; with a stale version it is not.
    let mut changed = manifest("LD-002", 3, "28", "513401");
    changed.vehicle = "川W54321".into();
    assert_eq!(
        store
            .update_manifest(&changed, Some(1), &change("换车"))
            .await
            .expect("update")
            .version,
        2
    );
    assert!(matches!(
        store
            .update_manifest(&changed, Some(1), &change("stale"))
            .await,
        Err(StoreError::Conflict { .. })
    ));

    // Receipts, once each; differences flagged.
    let receipt = |q: &str| Receipt {
        quantity: q.parse().expect("quantity"),
        arrived_at: at(6),
        received_by: String::new(),
        note: None,
    };
    let r1 = store
        .receive_manifest("LD-001", &receipt("30.5"), &change("到达"))
        .await
        .expect("r1");
    assert!(!r1.item.flagged());
    assert_eq!(
        r1.item.received.as_ref().map(|r| r.received_by.as_str()),
        Some("tester")
    );
    let r2 = store
        .receive_manifest("LD-002", &receipt("27.5"), &change("到达"))
        .await
        .expect("r2");
    assert!(r2.item.flagged());
    assert!(matches!(
        store
            .receive_manifest("LD-002", &receipt("27.5"), &change("again"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store
            .update_manifest(&changed, None, &change("after receipt"))
            .await,
        Err(StoreError::Conflict { .. })
    ));

    // The origin county sees all three, the destination county its two, another county none.
    let in_division = |d: &str| ManifestQuery {
        division: Some(d.parse().expect("code")),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_manifests(&in_division("513402"))
            .await
            .expect("list")
            .len(),
        3
    );
    assert_eq!(
        store
            .list_manifests(&in_division("513401"))
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        store
            .list_manifests(&in_division("513422"))
            .await
            .expect("list")
            .len(),
        0
    );
    let of_project = store
        .list_manifests(&ManifestQuery {
            project: Some("PRJ-1".into()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        of_project
            .iter()
            .map(|m| m.item.code.as_str())
            .collect::<Vec<_>>(),
        vec!["LD-001", "LD-002", "LD-003"],
        "by departure"
    );
    let items: Vec<TransferManifest> = of_project.into_iter().map(|m| m.item).collect();
    let totals = totals_per_destination(&items);
    assert_eq!(totals.len(), 2);
    let xichang = totals
        .iter()
        .find(|t| t.destination_division.to_string() == "513401")
        .expect("xichang");
    assert_eq!(xichang.sent.to_string(), "58.5");
    assert_eq!(xichang.difference.to_string(), "-0.5");
    assert_eq!(xichang.flagged, vec!["LD-002".to_owned()]);
    let h = store
        .registry_history(RegistryEntity::Manifest, "LD-002")
        .await
        .expect("history");
    assert_eq!(
        h.iter().map(|v| v.operation.as_str()).collect::<Vec<_>>(),
        vec!["insert", "update", "receive"]
    );
}
