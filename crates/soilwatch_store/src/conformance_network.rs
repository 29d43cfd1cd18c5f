//! Conformance checks of [`NetworkStore`](crate::NetworkStore) (issue 5): the point registry
//! with its checks, finding data with filters and keyset paging, the coverage report and the
//! demo loader. `tests/network_sqlite.rs` runs them on SQLite always, `tests/network_postgres.rs`
//! on PostgreSQL when `SOILWATCH_TEST_PG` is set. Each check gets a freshly migrated, empty store.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use geo::InteriorPoint;
use soilwatch_core::{ChangeMeta, ControlLevel, LonLat, Medium, PointType};

use crate::conformance::{point, sample};
use crate::demo::{self, DemoOptions};
use crate::network::{FindQuery, FindSort, NetworkPoint, RiskAreaCategory};
use crate::{seed, Entity, Store, StoreError};

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// A point inside its county (the interior point of the county's boundary, nudged by `k`).
pub async fn point_inside(store: &dyn Store, code: &str, division: &str, k: f64) -> NetworkPoint {
    let d = store
        .get_division(division.parse().expect("test division"))
        .await
        .expect("division");
    let c = d
        .boundary
        .as_ref()
        .and_then(|b| b.interior_point())
        .expect("county with a boundary");
    let mut p = NetworkPoint::new(point(code, division));
    p.point.location = LonLat::new(c.x() + k * 1e-4, c.y()).expect("location");
    p
}

fn invalid_field(r: Result<impl std::fmt::Debug, StoreError>, field: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains(field), "{field} not named in: {m}"),
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

pub async fn points_register_validate_move_and_retire(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let mut p = point_inside(store, "N-001", "513402", 0.0).await;
    p.point.point_type = PointType::Risk;
    p.point.risk_category = Some("矿区".into());
    p.watched_enterprise = Some(" 91513400MA62XXXX0X ".into());
    let rec = store
        .create_point(&p, &change("network 2018"))
        .await
        .expect("create");
    assert_eq!(rec.version, 1);
    assert_eq!(
        rec.point.point.risk_category.as_deref(),
        Some("mining_area")
    );
    assert_eq!(
        rec.point.watched_enterprise.as_deref(),
        Some("91513400MA62XXXX0X")
    );
    assert_eq!(rec.point.risk_area(), Some(RiskAreaCategory::MiningArea));
    let got = store.get_point_record("N-001").await.expect("get");
    assert_eq!(got, rec);
    // The old Store API sees the same point.
    assert_eq!(
        store.get_point("N-001").await.expect("get"),
        rec.point.point
    );
    assert!(matches!(
        store.create_point(&p, &change("again")).await,
        Err(StoreError::Conflict { .. })
    ));

    // Checks, each naming its field.
    let mut outside = point_inside(store, "N-002", "513402", 0.0).await;
    outside.point.division = "513401".parse().expect("code"); // 会理's location, 西昌's code
    invalid_field(store.create_point(&outside, &change("x")).await, "location");
    let mut far = point_inside(store, "N-002", "513402", 0.0).await;
    far.point.location = LonLat::new(104.06, 30.67).expect("Chengdu");
    invalid_field(store.create_point(&far, &change("x")).await, "location");
    let mut cat = point_inside(store, "N-002", "513402", 0.0).await;
    cat.point.risk_category = Some("moon base".into());
    invalid_field(
        store.create_point(&cat, &change("x")).await,
        "risk_category",
    );
    let mut pref = point_inside(store, "N-002", "513402", 0.0).await;
    pref.point.division = "513400".parse().expect("code");
    invalid_field(store.create_point(&pref, &change("x")).await, "division");
    let mut code = point_inside(store, "N 002", "513402", 0.0).await;
    code.point.code = "N 002".into();
    invalid_field(store.create_point(&code, &change("x")).await, "code");
    let mut dates = point_inside(store, "N-002", "513402", 0.0).await;
    dates.point.retired_on = Some(day("2010-01-01"));
    invalid_field(store.create_point(&dates, &change("x")).await, "retired_on");
    assert!(store.get_point_record("N-002").await.is_err());

    // A move keeps the old location in history and sets moved_on.
    let old = rec.point.point.location;
    let mut moved = rec.point.clone();
    moved.point.location = LonLat::new(old.lon() + 0.001, old.lat()).expect("loc");
    let r2 = store
        .update_network_point(&moved, &ChangeMeta::new("officer", "moved: road works"))
        .await
        .expect("move");
    assert_eq!(r2.version, 2);
    assert!(r2.point.moved_on.is_some());
    let h = store
        .history(Entity::Point, "N-001")
        .await
        .expect("history");
    assert_eq!(h.len(), 2);
    let lon = |v: &serde_json::Value| v["location"][0].as_f64().expect("lon");
    assert!(
        (lon(&h[0].data) - old.lon()).abs() < 1e-9,
        "old location kept"
    );
    assert!((lon(&h[1].data) - moved.point.location.lon()).abs() < 1e-9);
    assert_eq!(h[1].reason, "moved: road works");
    assert_eq!(h[1].actor, "officer");
    // A move outside the county is refused and changes nothing.
    let mut bad = r2.point.clone();
    bad.point.location = LonLat::new(104.06, 30.67).expect("loc");
    invalid_field(
        store.update_network_point(&bad, &change("x")).await,
        "location",
    );
    assert_eq!(
        store.get_point_record("N-001").await.expect("get").version,
        2
    );
    let mut missing = r2.point.clone();
    missing.point.code = "NOPE".into();
    assert!(matches!(
        store.update_network_point(&missing, &change("x")).await,
        Err(StoreError::NotFound { .. })
    ));

    // Retire once.
    let r3 = store
        .retire_point("N-001", day("2024-12-31"), &change("mine closed"))
        .await
        .expect("retire");
    assert_eq!(r3.point.point.retired_on, Some(day("2024-12-31")));
    assert_eq!(r3.version, 3);
    assert!(matches!(
        store
            .retire_point("N-001", day("2025-01-01"), &change("again"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store
            .retire_point("NOPE", day("2025-01-01"), &change("x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .history(Entity::Point, "N-001")
            .await
            .expect("h")
            .len(),
        3
    );
}

async fn fixture(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let mut a = point_inside(store, "F-A", "513401", 0.0).await;
    a.point.control_level = ControlLevel::National;
    let mut b = point_inside(store, "F-B", "513402", 0.0).await;
    b.point.point_type = PointType::Risk;
    b.point.risk_category = Some("mining_area".into());
    let c = point_inside(store, "F-C", "513402", 1.0).await;
    store
        .create_points(&[a, b, c], &change("fixture"))
        .await
        .expect("points");
    let batch = vec![
        sample(
            "FS-1",
            Some("F-A"),
            "513401",
            Medium::Soil,
            "2019-05-01",
            &[("Cd", "0.2"), ("Pb", "30")],
        ),
        sample(
            "FS-2",
            Some("F-B"),
            "513402",
            Medium::Soil,
            "2020-05-01",
            &[("Cd", "0.9"), ("Pb", "80")],
        ),
        sample(
            "FS-3",
            Some("F-B"),
            "513402",
            Medium::Soil,
            "2023-05-01",
            &[("Cd", "1.1")],
        ),
        sample(
            "FS-4",
            None,
            "513402",
            Medium::Groundwater,
            "2021-07-01",
            &[("Cd", "0.001")],
        ),
    ];
    store
        .insert_samples(&batch, &change("fixture"))
        .await
        .expect("samples");
}

/// Every stored result is found under its sample's county and in its sample's year, and in a
/// county's newest-first date order: the results' own copies of the sample's county and date
/// (migration 0012), which the find queries filter and order by, agree with the samples. Call
/// after any write path. Returns the number of results checked.
pub async fn results_carry_their_samples_county_and_date(store: &dyn Store) -> usize {
    let all = store
        .find_results(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .expect("all results");
    assert_eq!(all.next_cursor, None, "more than 100,000 results");
    let samples: HashMap<i64, (soilwatch_core::DivisionCode, NaiveDate)> = store
        .find_samples(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .expect("all samples")
        .items
        .into_iter()
        .map(|s| (s.id, (s.sample.division, s.sample.sampled_on)))
        .collect();
    let mut by_county: BTreeMap<_, Vec<i64>> = BTreeMap::new();
    let mut by_year: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for r in &all.items {
        let (division, on) = samples[&r.row.sample_id];
        assert_eq!((r.row.division, r.row.sampled_on), (division, on));
        by_county.entry(division).or_default().push(r.row.result_id);
        by_year
            .entry(chrono::Datelike::year(&on))
            .or_default()
            .push(r.row.result_id);
    }
    let ids = |page: crate::Page<crate::FoundResult>| -> Vec<i64> {
        page.items.iter().map(|r| r.row.result_id).collect()
    };
    for (county, expected) in &by_county {
        let q = FindQuery {
            division: Some(*county),
            limit: 100_000,
            ..FindQuery::default()
        };
        let found = store.find_results(&q).await.expect("county");
        assert_eq!(&ids(found), expected, "results of county {county}");
        let newest = store
            .find_results(&FindQuery {
                sort: FindSort::DateDesc,
                ..q
            })
            .await
            .expect("county newest first");
        let keys: Vec<(NaiveDate, i64, i64)> = newest
            .items
            .iter()
            .map(|r| (r.row.sampled_on, r.row.sample_id, r.row.result_id))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, sorted, "county {county} newest first");
        assert_eq!(keys.len(), expected.len());
    }
    for (year, expected) in &by_year {
        let found = store
            .find_results(&FindQuery {
                from: NaiveDate::from_ymd_opt(*year, 1, 1),
                to: NaiveDate::from_ymd_opt(*year, 12, 31),
                limit: 100_000,
                ..FindQuery::default()
            })
            .await
            .expect("year");
        assert_eq!(&ids(found), expected, "results of {year}");
    }
    all.items.len()
}

pub async fn find_filters_sort_and_page(store: &dyn Store) {
    fixture(store).await;
    let q = |f: &dyn Fn(&mut FindQuery)| {
        let mut q = FindQuery::default();
        f(&mut q);
        q
    };
    let codes = |page: crate::Page<crate::PointRecord>| -> Vec<String> {
        page.items.into_iter().map(|p| p.point.point.code).collect()
    };
    // Points.
    let all = store.find_points(&FindQuery::default()).await.expect("all");
    assert_eq!(codes(all.clone()), ["F-A", "F-B", "F-C"]);
    assert_eq!(all.next_cursor, None);
    let risk = store
        .find_points(&q(&|q| q.point_type = Some(PointType::Risk)))
        .await
        .expect("risk");
    assert_eq!(codes(risk), ["F-B"]);
    let nat = store
        .find_points(&q(&|q| q.control_level = Some(ControlLevel::National)))
        .await
        .expect("national");
    assert_eq!(codes(nat), ["F-A"]);
    let huili = store
        .find_points(&q(&|q| q.division = Some("513402".parse().expect("code"))))
        .await
        .expect("huili");
    assert_eq!(codes(huili), ["F-B", "F-C"]);
    let mining = store
        .find_points(&q(&|q| {
            q.risk_category = Some(RiskAreaCategory::MiningArea)
        }))
        .await
        .expect("mining");
    assert_eq!(codes(mining), ["F-B"]);
    let a = store
        .get_point_record("F-A")
        .await
        .expect("a")
        .point
        .point
        .location;
    let boxed = store
        .find_points(&q(&|q| {
            q.bbox = Some([
                a.lon() - 0.01,
                a.lat() - 0.01,
                a.lon() + 0.01,
                a.lat() + 0.01,
            ])
        }))
        .await
        .expect("bbox");
    assert_eq!(codes(boxed), ["F-A"]);
    let desc = store
        .find_points(&q(&|q| {
            q.sort = FindSort::KeyDesc;
            q.limit = 2;
        }))
        .await
        .expect("desc");
    assert_eq!(desc.next_cursor.as_deref(), Some("F-B"));
    assert_eq!(codes(desc.clone()), ["F-C", "F-B"]);
    let rest = store
        .find_points(&q(&|q| {
            q.sort = FindSort::KeyDesc;
            q.limit = 2;
            q.cursor = Some("F-B".into());
        }))
        .await
        .expect("rest");
    assert_eq!(codes(rest), ["F-A"]);

    // Samples.
    let s = |page: crate::Page<crate::FoundSample>| -> Vec<String> {
        page.items.into_iter().map(|s| s.sample.code).collect()
    };
    let by_point = store
        .find_samples(&q(&|q| q.point_code = Some("F-B".into())))
        .await
        .expect("by point");
    assert_eq!(s(by_point.clone()), ["FS-2", "FS-3"]);
    assert_eq!(by_point.items[0].point_type, Some(PointType::Risk));
    assert!(by_point.items[0].lon.is_some());
    let gw = store
        .find_samples(&q(&|q| q.medium = Some(Medium::Groundwater)))
        .await
        .expect("gw");
    assert_eq!(s(gw.clone()), ["FS-4"]);
    assert_eq!(gw.items[0].lon, None);
    let pb = store
        .find_samples(&q(&|q| q.analyte = Some("Pb".into())))
        .await
        .expect("pb");
    assert_eq!(s(pb), ["FS-1", "FS-2"]);
    let newest = store
        .find_samples(&q(&|q| q.sort = FindSort::DateDesc))
        .await
        .expect("newest");
    assert_eq!(s(newest), ["FS-3", "FS-4", "FS-2", "FS-1"]);
    let y2020 = store
        .find_samples(&q(&|q| {
            q.from = Some(day("2020-01-01"));
            q.to = Some(day("2021-12-31"));
        }))
        .await
        .expect("2020-21");
    assert_eq!(s(y2020), ["FS-2", "FS-4"]);
    let nat = store
        .find_samples(&q(&|q| q.control_level = Some(ControlLevel::National)))
        .await
        .expect("national");
    assert_eq!(s(nat), ["FS-1"]);
    let one = store
        .find_samples(&q(&|q| q.sample_code = Some("FS-3".into())))
        .await
        .expect("one");
    assert_eq!(s(one), ["FS-3"]);

    // Results, paged by key with inserts between pages: every row exactly once.
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut round = 0;
    loop {
        let page = store
            .find_results(&q(&|q| {
                q.limit = 2;
                q.cursor = cursor.clone();
            }))
            .await
            .expect("page");
        seen.extend(page.items.iter().map(|r| r.row.result_id));
        round += 1;
        if round == 1 {
            store
                .insert_samples(
                    &[sample(
                        "FS-5",
                        Some("F-C"),
                        "513402",
                        Medium::Soil,
                        "2018-01-01",
                        &[("Cd", "0.3")],
                    )],
                    &change("inserted while paging"),
                )
                .await
                .expect("insert");
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no row twice: {seen:?}");
    assert_eq!(
        seen.len(),
        7,
        "six rows before and one inserted after: {seen:?}"
    );
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, seen);

    // Results by date, paged: same rows as unpaged.
    let by_date = store
        .find_results(&q(&|q| q.sort = FindSort::Date))
        .await
        .expect("by date");
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .find_results(&q(&|q| {
                q.sort = FindSort::Date;
                q.limit = 3;
                q.cursor = cursor.clone();
            }))
            .await
            .expect("page");
        paged.extend(page.items.into_iter().map(|r| r.row.result_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let unpaged: Vec<i64> = by_date.items.iter().map(|r| r.row.result_id).collect();
    assert_eq!(paged, unpaged);
    assert_eq!(by_date.items[0].row.sample_code, "FS-5");
    let cd_huili = store
        .find_results(&q(&|q| {
            q.analyte = Some("Cd".into());
            q.division = Some("513402".parse().expect("code"));
            q.medium = Some(Medium::Soil);
        }))
        .await
        .expect("cd");
    let vals: Vec<String> = cd_huili
        .items
        .iter()
        .map(|r| r.row.result.value.expect("v").to_string())
        .collect();
    assert_eq!(vals, ["0.9", "1.1", "0.3"]);
    assert_eq!(cd_huili.items[0].point_code.as_deref(), Some("F-B"));
    let risk = store
        .find_results(&q(&|q| q.point_type = Some(PointType::Risk)))
        .await
        .expect("risk");
    assert_eq!(risk.items.len(), 3);

    // Bad cursors and limits are invalid input.
    invalid_field(
        store
            .find_results(&q(&|q| q.cursor = Some("abc".into())))
            .await,
        "cursor",
    );
    invalid_field(
        store
            .find_samples(&q(&|q| {
                q.sort = FindSort::Date;
                q.cursor = Some("12".into());
            }))
            .await,
        "cursor",
    );
    invalid_field(store.find_points(&q(&|q| q.limit = 0)).await, "limit");
    assert_eq!(results_carry_their_samples_county_and_date(store).await, 7);
}

pub async fn coverage_counts_gaps_and_stale_points(store: &dyn Store) {
    fixture(store).await;
    let report = store
        .network_coverage(day("2022-01-01"))
        .await
        .expect("coverage");
    assert_eq!(report.total_points, 3);
    assert_eq!(report.counties.len(), 17);
    let huili = report
        .counties
        .iter()
        .find(|c| c.code.to_string() == "513402")
        .expect("huili");
    assert_eq!(huili.total, 2);
    assert_eq!(huili.by_type.get("risk"), Some(&1));
    assert_eq!(huili.by_type.get("basic"), Some(&1));
    assert_eq!(huili.by_control_level.get("prefecture"), Some(&2));
    assert_eq!(huili.core_types_missing, [PointType::Background]);
    let xichang = report
        .counties
        .iter()
        .find(|c| c.code.to_string() == "513401")
        .expect("xichang");
    assert_eq!(xichang.by_control_level.get("national"), Some(&1));
    let gap_risk = report
        .counties_without_type
        .iter()
        .find(|g| g.point_type == PointType::Risk)
        .expect("risk gap");
    assert_eq!(gap_risk.counties.len(), 16);
    let gap_bg = report
        .counties_without_type
        .iter()
        .find(|g| g.point_type == PointType::Background)
        .expect("background gap");
    assert_eq!(gap_bg.counties.len(), 17);
    assert!(!report
        .risk_categories_without_point
        .contains(&RiskAreaCategory::MiningArea));
    assert_eq!(
        report.risk_categories_without_point.len(),
        RiskAreaCategory::ALL.len() - 1
    );
    // F-A sampled 2019, F-C never; F-B sampled 2023.
    let stale: Vec<(&str, Option<NaiveDate>)> = report
        .stale_points
        .iter()
        .map(|p| (p.code.as_str(), p.last_sampled_on))
        .collect();
    assert_eq!(stale, [("F-A", Some(day("2019-05-01"))), ("F-C", None)]);
    // Retired points leave the network.
    store
        .retire_point("F-C", day("2024-01-01"), &change("closed"))
        .await
        .expect("retire");
    let report = store
        .network_coverage(day("2022-01-01"))
        .await
        .expect("coverage");
    assert_eq!(report.total_points, 2);
    assert_eq!(report.stale_points.len(), 1);
    assert!(!store.has_demo_data().await.expect("demo?"));
    assert_eq!(
        store.count_points_and_samples().await.expect("counts"),
        (3, 4)
    );
}

pub async fn demo_loads_into_an_empty_database_only(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let opts = DemoOptions {
        points: 300,
        ..DemoOptions::default()
    };
    let report = demo::load(store, &opts).await.expect("demo");
    // The generated data, stored unchanged: the same samples and results, value for value
    // (the demo goes through the import's bulk writer since issue 5's third session; before,
    // one INSERT per row wrote these same counts).
    let data = demo::generate(&opts).expect("generate");
    assert_eq!(
        (report.points, report.samples, report.results),
        (
            data.points.len(),
            data.samples.len(),
            data.samples.iter().map(|s| s.results.len()).sum::<usize>()
        )
    );
    assert!(report.points >= 300, "{report:?}");
    assert!(report.samples > 1_000, "{report:?}");
    assert!(report.results > 5 * report.samples, "{report:?}");
    let stored_samples: HashMap<String, soilwatch_core::Sample> = store
        .find_samples(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .expect("samples")
        .items
        .into_iter()
        .map(|s| (s.sample.code.clone(), s.sample))
        .collect();
    assert_eq!(stored_samples.len(), data.samples.len());
    let stored_results: HashMap<(String, String), soilwatch_core::AnalysisResult> = store
        .find_results(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .expect("results")
        .items
        .into_iter()
        .map(|r| {
            (
                (r.row.sample_code.clone(), r.row.result.analyte.clone()),
                r.row.result,
            )
        })
        .collect();
    assert_eq!(stored_results.len(), report.results);
    for item in &data.samples {
        assert_eq!(stored_samples[&item.sample.code], item.sample);
        for r in &item.results {
            assert_eq!(
                stored_results[&(r.sample_code.clone(), r.analyte.clone())],
                *r
            );
        }
    }
    assert_eq!(
        results_carry_their_samples_county_and_date(store).await,
        report.results
    );
    // A demo result's provenance names the demo.
    let first = store
        .find_results(&FindQuery {
            limit: 1,
            ..FindQuery::default()
        })
        .await
        .expect("a result");
    let h = store
        .history(Entity::Result, &first.items[0].row.result_id.to_string())
        .await
        .expect("result history");
    assert_eq!(h[0].actor, "demo");
    assert!(h[0].reason.contains("demo"), "{}", h[0].reason);
    assert!(store.has_demo_data().await.expect("demo?"));
    let (points, samples) = store.count_points_and_samples().await.expect("counts");
    assert_eq!(
        (points, samples),
        (report.points as i64, report.samples as i64)
    );
    let h = store
        .history(Entity::Point, "DEMO-513402-0001")
        .await
        .expect("history");
    assert!(h[0].reason.contains("demo"), "{}", h[0].reason);
    let coverage = store
        .network_coverage(day("2023-01-01"))
        .await
        .expect("coverage");
    assert!(coverage.counties.iter().all(|c| c.total > 0));
    assert!(coverage
        .risk_categories_without_point
        .contains(&RiskAreaCategory::SewageIrrigation));
    // A second load is refused and writes nothing.
    assert!(matches!(
        demo::load(store, &opts).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.count_points_and_samples().await.expect("counts"),
        (points, samples)
    );
}

/// The keys `(date, sample, result)` of every result a query finds, page by page (`limit` 7).
async fn paged_keys(store: &dyn Store, q: &FindQuery) -> Vec<(NaiveDate, i64, i64)> {
    let mut keys = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .find_results(&FindQuery {
                limit: 7,
                cursor: cursor.clone(),
                ..q.clone()
            })
            .await
            .expect("page");
        keys.extend(
            page.items
                .iter()
                .map(|r| (r.row.sampled_on, r.row.sample_id, r.row.result_id)),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return keys,
        }
    }
}

/// Results found by a batch or a point-level filter (type, box) are those of the matching
/// samples, in each of the four orders, whether few samples match (collected and sorted, see
/// `ResultsPlan`: batch B, the risk point) or more than a thousand (walked in order: batch A,
/// the basic point), also a result added later to an old sample (its id is the newest, its
/// sample one of the first), and none when no sample matches.
pub async fn results_by_batch_and_point_in_every_order(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let basic = point_inside(store, "PB-1", "513401", 0.0).await;
    let mut risk = point_inside(store, "PR-1", "513401", 50.0).await;
    risk.point.point_type = PointType::Risk;
    let (rlon, rlat) = (risk.point.location.lon(), risk.point.location.lat());
    store
        .create_points(&[basic, risk], &change("fixture"))
        .await
        .expect("points");
    const HEADER: &str = "样品编号,点位编号,样品类型,采样日期,行政区划代码,土地利用类型,\
                          检测项目,检测值,单位,检出限\n";
    let import = |name: &'static str, rows: Vec<String>| async move {
        let text = format!("{HEADER}{}\n", rows.join("\n"));
        let opts = soilwatch_ingest::ParseOptions::new(name, day("2026-01-01"));
        match crate::importer::import_bytes(store, text.as_bytes(), &opts, "lab", None)
            .await
            .expect("import runs")
        {
            crate::importer::ImportOutcome::Imported { batch, .. } => batch.id,
            other => panic!("{name}: {}", other.summary_line()),
        }
    };
    let row = |code: &str, point: &str, on: &str, item: &str, v: &str| {
        format!("{code},{point},土壤,{on},513401,水田,{item},{v},mg/kg,0.01")
    };
    // Batch B: five samples of the risk point, dated out of id order.
    let b_rows = (0..5)
        .flat_map(|i| {
            let on = format!("20{}-05-0{}", 24 - i, 1 + i);
            let code = format!("B-{i:04}");
            [
                row(&code, "PR-1", &on, "镉", "0.2"),
                row(&code, "PR-1", &on, "汞", "0.1"),
            ]
        })
        .collect();
    let batch_b = import("b.csv", b_rows).await;
    // Batch A: more samples of the basic point than a query collects.
    let n = crate::network::COLLECT_SAMPLES + 100;
    let a_rows = (0..n)
        .map(|i| {
            let on = format!("20{}-{:02}-{:02}", 19 + i % 6, 1 + i % 12, 1 + i % 28);
            row(&format!("A-{i:04}"), "PB-1", &on, "镉", "0.3")
        })
        .collect();
    let batch_a = import("a.csv", a_rows).await;
    // A new item of the first sample of batch B, written after batch A.
    let on = "2024-05-01";
    let c = import("c.csv", vec![row("B-0000", "PR-1", on, "铅", "20")]).await;
    assert!(c > batch_a);

    let all = store
        .find_results(&FindQuery {
            limit: 100_000,
            ..FindQuery::default()
        })
        .await
        .expect("all");
    assert_eq!(all.items.len(), 10 + n + 1);
    let expected = |keep: &dyn Fn(&crate::FoundResult) -> bool, sort: FindSort| {
        let mut keys: Vec<(NaiveDate, i64, i64)> = all
            .items
            .iter()
            .filter(|r| keep(r))
            .map(|r| (r.row.sampled_on, r.row.sample_id, r.row.result_id))
            .collect();
        match sort {
            FindSort::Key => keys.sort_by_key(|k| k.2),
            FindSort::KeyDesc => keys.sort_by_key(|k| std::cmp::Reverse(k.2)),
            FindSort::Date => keys.sort(),
            FindSort::DateDesc => keys.sort_by(|a, b| b.cmp(a)),
        }
        keys
    };
    let of_b = |r: &crate::FoundResult| r.row.sample_code.starts_with("B-");
    let of_a = |r: &crate::FoundResult| r.row.sample_code.starts_with("A-");
    let none = |_: &crate::FoundResult| false;
    type Case<'a> = (&'a str, FindQuery, &'a dyn Fn(&crate::FoundResult) -> bool);
    let cases: Vec<Case> = vec![
        (
            "batch B (few samples)",
            FindQuery {
                batch: Some(batch_b),
                ..FindQuery::default()
            },
            &of_b,
        ),
        (
            "batch A (many samples)",
            FindQuery {
                batch: Some(batch_a),
                ..FindQuery::default()
            },
            &of_a,
        ),
        (
            "risk points (few samples)",
            FindQuery {
                point_type: Some(PointType::Risk),
                ..FindQuery::default()
            },
            &of_b,
        ),
        (
            "basic points (many samples)",
            FindQuery {
                point_type: Some(PointType::Basic),
                ..FindQuery::default()
            },
            &of_a,
        ),
        (
            "box around the risk point",
            FindQuery {
                bbox: Some([rlon - 1e-6, rlat - 1e-6, rlon + 1e-6, rlat + 1e-6]),
                ..FindQuery::default()
            },
            &of_b,
        ),
        (
            "background points (none)",
            FindQuery {
                point_type: Some(PointType::Background),
                ..FindQuery::default()
            },
            &none,
        ),
    ];
    for (name, q, keep) in &cases {
        for sort in [
            FindSort::Key,
            FindSort::KeyDesc,
            FindSort::Date,
            FindSort::DateDesc,
        ] {
            let q = FindQuery { sort, ..q.clone() };
            assert_eq!(
                paged_keys(store, &q).await,
                expected(*keep, sort),
                "{name}, {sort:?}"
            );
        }
    }
    // The item added later is the newest result of batch B, on its first sample.
    let newest = store
        .find_results(&FindQuery {
            batch: Some(batch_b),
            sort: FindSort::KeyDesc,
            limit: 1,
            ..FindQuery::default()
        })
        .await
        .expect("newest of B");
    assert_eq!(newest.items[0].row.sample_code, "B-0000");
    assert_eq!(newest.items[0].row.result.analyte, "Pb");
}

/// Issue 12: the OGC API counts (`count_points`, `count_found_samples`) stop at their cap: the
/// count below it, the cap at or above it, filters applied.
pub async fn counts_stop_at_their_cap(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let points: Vec<_> = (0..5)
        .map(|i| point(&format!("CAP-{i}"), "513402"))
        .chain([point("CAP-X", "513401")])
        .collect();
    store
        .insert_points(&points, &change("fixture"))
        .await
        .expect("points");
    let samples: Vec<_> = (0..4)
        .map(|i| {
            sample(
                &format!("CAP-S{i}"),
                Some("CAP-0"),
                "513402",
                Medium::Soil,
                "2024-05-01",
                &[("Cd", "0.2")],
            )
        })
        .collect();
    store
        .insert_samples(&samples, &change("fixture"))
        .await
        .expect("samples");
    let q = FindQuery {
        division: Some("513402".parse().expect("code")),
        ..FindQuery::default()
    };
    let points = |cap| store.count_points(&q, cap);
    assert_eq!(points(100).await.expect("count"), 5);
    assert_eq!(points(5).await.expect("count"), 5);
    assert_eq!(points(3).await.expect("count"), 3);
    assert_eq!(
        store
            .count_points(&FindQuery::default(), 100)
            .await
            .expect("count"),
        6
    );
    let samples = |cap| store.count_found_samples(&q, cap);
    assert_eq!(samples(100).await.expect("count"), 4);
    assert_eq!(samples(2).await.expect("count"), 2);
}
