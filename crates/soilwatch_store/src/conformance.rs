//! The conformance suite: plain async checks that every [`Store`] implementation must pass.
//! `tests/sqlite.rs` runs them on SQLite always; `tests/postgres.rs` on PostgreSQL when
//! `SOILWATCH_TEST_PG` names a server. Each check receives a freshly migrated, empty store and
//! panics with a message on failure.

use chrono::NaiveDate;
use soilwatch_core::{
    AnalysisResult, AnalyteCatalogue, ChangeMeta, ControlLevel, Department, DivisionLevel, LonLat,
    Medium, MonitoringPoint, PointType, Qualifier, Sample, SampleWithResults, Unit,
};

use crate::{seed, Entity, PointQuery, ResultQuery, SqlStore, Store, StoreError, StoreResult};

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// A monitoring point in a county.
pub fn point(code: &str, division: &str) -> MonitoringPoint {
    MonitoringPoint {
        code: code.into(),
        name: format!("点位{code}"),
        point_type: PointType::Basic,
        control_level: ControlLevel::Prefecture,
        division: division.parse().expect("test division"),
        location: LonLat::new(102.26, 27.89).expect("test location"),
        land_use: Some("0101".parse().expect("test land use")),
        risk_category: None,
        established_on: Some(day("2018-05-01")),
        retired_on: None,
    }
}

/// A soil sample with results (analyte, value) in mg/kg.
pub fn sample(
    code: &str,
    point_code: Option<&str>,
    division: &str,
    medium: Medium,
    date: &str,
    results: &[(&str, &str)],
) -> SampleWithResults {
    SampleWithResults {
        sample: Sample {
            code: code.into(),
            point_code: point_code.map(str::to_owned),
            medium,
            division: division.parse().expect("test division"),
            sampled_on: day(date),
            land_use: Some("paddy".parse().expect("test land use")),
            crop: None,
            depth_cm: Some((0, 20)),
            lab: Some("州环境监测站".into()),
        },
        results: results
            .iter()
            .map(|(a, v)| AnalysisResult {
                sample_code: code.into(),
                analyte: (*a).into(),
                value: Some(v.parse().expect("test value")),
                unit: if medium.is_water() {
                    Unit::MgPerL
                } else {
                    Unit::MgPerKg
                },
                detection_limit: Some("0.01".parse().expect("dl")),
                qualifier: Qualifier::Detected,
                method: Some("HJ 491-2019".into()),
            })
            .collect(),
    }
}

pub async fn migrate_is_idempotent_and_versioned(store: &dyn Store) {
    store.migrate().await.expect("second migrate");
    let v = store.schema_version().await.expect("schema version");
    assert!(v >= 1, "schema version {v}");
}

pub async fn divisions_round_trip(store: &dyn Store) {
    let report = seed::seed(store).await.expect("seed");
    assert_eq!(report.divisions, 18);
    let expected = seed::default_divisions().expect("seed data");
    let list = store.list_divisions().await.expect("list");
    assert_eq!(list.len(), 18);
    for (got, want) in list.iter().zip(expected.iter().collect::<Vec<_>>().iter()) {
        let want = expected.iter().find(|d| d.code == got.code).unwrap_or(want);
        assert_eq!(got.name, want.name);
        assert_eq!(got.level, want.level);
        assert_eq!(got.parent, want.parent);
        assert_eq!(got.area_km2, want.area_km2, "area of {}", got.code);
        assert_eq!(got.boundary, want.boundary, "boundary of {}", got.code);
    }
    let huili = store
        .get_division("513402".parse().expect("code"))
        .await
        .expect("get");
    assert_eq!(huili.name, "会理市");
    assert_eq!(huili.level, DivisionLevel::County);
    match store.get_division("513499".parse().expect("code")).await {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("unknown division: {other:?}"),
    }
    // Seeding twice changes nothing.
    let again = seed::seed(store).await.expect("seed again");
    assert_eq!(again.departments_added, 0);
    assert_eq!(store.list_divisions().await.expect("list").len(), 18);
}

pub async fn analytes_round_trip(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let list = store.list_analytes().await.expect("list");
    let builtin = AnalyteCatalogue::builtin().all();
    assert_eq!(list.len(), builtin.len());
    assert_eq!(list.as_slice(), builtin);
    let cd = store.get_analyte("Cd").await.expect("Cd");
    assert!(cd.aliases.iter().any(|a| a == "镉"));
    assert!(matches!(
        store.get_analyte("nope").await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn departments_keep_versions(store: &dyn Store) {
    let report = seed::seed(store).await.expect("seed");
    assert_eq!(report.departments_added, seed::WORK_PLAN_DEPARTMENTS.len());
    let mut d = Department {
        code: "eco-env-513401".into(),
        name: "西昌市生态环境局".into(),
        level: DivisionLevel::County,
        division: "513401".parse().expect("code"),
    };
    store
        .create_department(&d, &change("new county bureau"))
        .await
        .expect("create");
    match store.create_department(&d, &change("again")).await {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("duplicate department: {other:?}"),
    }
    d.name = "凉山州生态环境局西昌分局".into();
    let v = store
        .update_department(&d, &change("renamed 2019"))
        .await
        .expect("update");
    assert_eq!(v, 2);
    assert_eq!(
        store.get_department(&d.code).await.expect("get").name,
        d.name
    );
    let h = store
        .history(Entity::Department, &d.code)
        .await
        .expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].version, 1);
    assert_eq!(h[0].data["name"], "西昌市生态环境局");
    assert_eq!(h[1].data["name"], "凉山州生态环境局西昌分局");
    assert_eq!(h[1].actor, "tester");
    assert_eq!(h[1].reason, "renamed 2019");
    assert_eq!(h[1].operation, "update");
    d.code = "missing".into();
    assert!(matches!(
        store.update_department(&d, &change("x")).await,
        Err(StoreError::NotFound { .. })
    ));
    // A change without a reason is refused and changes nothing.
    let mut e = store.get_department("eco-env-513401").await.expect("get");
    e.name = "x".into();
    assert!(store
        .update_department(&e, &ChangeMeta::new("tester", " "))
        .await
        .is_err());
    assert_eq!(
        store
            .get_department("eco-env-513401")
            .await
            .expect("get")
            .name,
        "凉山州生态环境局西昌分局"
    );
}

pub async fn points_samples_results_round_trip(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let p = point("LS-001", "513401");
    store
        .insert_points(std::slice::from_ref(&p), &change("network 2018"))
        .await
        .expect("points");
    assert_eq!(store.get_point("LS-001").await.expect("get point"), p);
    let mut s = sample(
        "S-2020-001",
        Some("LS-001"),
        "513401",
        Medium::Soil,
        "2020-06-15",
        &[("Cd", "0.30"), ("pH", "6.5"), ("Pb", "35.2")],
    );
    // A non-detect reported without a value.
    s.results.push(AnalysisResult {
        sample_code: "S-2020-001".into(),
        analyte: "Hg".into(),
        value: None,
        unit: Unit::MgPerKg,
        detection_limit: Some("0.002".parse().expect("dl")),
        qualifier: Qualifier::NotDetected,
        method: None,
    });
    s.results[1].unit = Unit::Dimensionless;
    let counts = store
        .insert_samples(std::slice::from_ref(&s), &change("2020 survey"))
        .await
        .expect("insert");
    assert_eq!((counts.samples, counts.results), (1, 4));
    let got = store.get_sample("S-2020-001").await.expect("get sample");
    assert_eq!(got.sample, s.sample);
    let results: Vec<_> = got.results.iter().map(|r| r.result.clone()).collect();
    assert_eq!(results, s.results);
    assert_eq!(results[0].value.expect("value").to_string(), "0.3");
    assert!(got.results.iter().all(|r| r.version == 1));
    let by_id = store.get_sample_by_id(got.id).await.expect("by id");
    assert_eq!(by_id, got);
    // Issue 12: many samples by id in one read, in the order asked; unknown ids left out.
    let other = sample(
        "S-2021-001",
        Some("LS-001"),
        "513401",
        Medium::Soil,
        "2021-06-15",
        &[("As", "11.5")],
    );
    store
        .insert_samples(std::slice::from_ref(&other), &change("2021 survey"))
        .await
        .expect("insert 2021");
    let other = store.get_sample("S-2021-001").await.expect("get 2021");
    let many = store
        .get_samples_by_ids(&[other.id, got.id + other.id + 1000, got.id])
        .await
        .expect("by ids");
    assert_eq!(many, vec![other.clone(), got.clone()]);
    assert_eq!(many[0].results.len(), 1);
    assert_eq!(many[1].results.len(), 4);
    assert!(store
        .get_samples_by_ids(&[])
        .await
        .expect("no ids")
        .is_empty());
    assert!(matches!(
        store.get_sample("nope").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .list_points(&PointQuery {
                division: Some("513400".parse().expect("code"))
            })
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .list_points(&PointQuery {
                division: Some("513402".parse().expect("code"))
            })
            .await
            .expect("list")
            .len(),
        0
    );
}

pub async fn batches_are_all_or_nothing(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let good1 = sample(
        "B-1",
        None,
        "513401",
        Medium::Soil,
        "2021-05-01",
        &[("Cd", "0.2")],
    );
    let good2 = sample(
        "B-2",
        None,
        "513401",
        Medium::Soil,
        "2021-05-01",
        &[("Cd", "0.25")],
    );
    // The last row of the batch is bad: an unknown analyte.
    let bad = sample(
        "B-3",
        None,
        "513401",
        Medium::Soil,
        "2021-05-01",
        &[("Cd", "0.1"), ("unobtainium", "1")],
    );
    let before = store.count_samples().await.expect("count");
    assert!(store
        .insert_samples(&[good1.clone(), good2.clone(), bad], &change("batch"))
        .await
        .is_err());
    assert_eq!(store.count_samples().await.expect("count"), before);
    assert!(store.get_sample("B-1").await.is_err());
    // A duplicate sample code inside the batch.
    let dup = sample(
        "B-1",
        None,
        "513401",
        Medium::Soil,
        "2021-05-02",
        &[("Pb", "20")],
    );
    assert!(matches!(
        store
            .insert_samples(&[good1.clone(), dup], &change("batch"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.count_samples().await.expect("count"), before);
    // A sample at a point that does not exist.
    let orphan = sample(
        "B-9",
        Some("NO-SUCH-POINT"),
        "513401",
        Medium::Soil,
        "2021-05-01",
        &[("Cd", "0.2")],
    );
    assert!(store
        .insert_samples(&[orphan], &change("batch"))
        .await
        .is_err());
    // Bad points batch: the second point's division does not exist.
    let p1 = point("P-1", "513401");
    let p2 = point("P-2", "110101");
    assert!(store
        .insert_points(&[p1, p2], &change("points"))
        .await
        .is_err());
    assert!(store.get_point("P-1").await.is_err());
    // The good batch goes in whole.
    let counts = store
        .insert_samples(&[good1, good2], &change("batch"))
        .await
        .expect("good batch");
    assert_eq!(counts.samples, 2);
    assert_eq!(store.count_samples().await.expect("count"), before + 2);
}

pub async fn corrections_keep_previous_versions(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let s = sample(
        "C-1",
        None,
        "513402",
        Medium::Soil,
        "2022-04-01",
        &[("Cd", "0.45")],
    );
    store
        .insert_samples(&[s], &change("2022 survey"))
        .await
        .expect("insert");
    let stored = store.get_sample("C-1").await.expect("get");
    let id = stored.results[0].id;
    let mut corrected = stored.results[0].result.clone();
    corrected.value = Some("0.54".parse().expect("value"));
    let v = store
        .update_result(
            id,
            &corrected,
            &ChangeMeta::new("lab-officer", "transcription error: digits swapped"),
        )
        .await
        .expect("update");
    assert_eq!(v, 2);
    let now = store.get_sample("C-1").await.expect("get");
    assert_eq!(now.results[0].result.value.expect("v").to_string(), "0.54");
    assert_eq!(now.results[0].version, 2);
    let h = store
        .history(Entity::Result, &id.to_string())
        .await
        .expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].data["value"], "0.45");
    assert_eq!(h[1].data["value"], "0.54");
    assert_eq!(h[1].actor, "lab-officer");
    assert!(h[0].at <= h[1].at);
    // A correction cannot move the result to another analyte.
    let mut wrong = corrected.clone();
    wrong.analyte = "Pb".into();
    assert!(matches!(
        store.update_result(id, &wrong, &change("x")).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.update_result(999_999, &corrected, &change("x")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .history(Entity::Result, &id.to_string())
            .await
            .expect("h")
            .len(),
        2
    );
    crate::conformance_network::results_carry_their_samples_county_and_date(store).await;
}

pub async fn queries_filter_by_division_medium_analyte_and_time(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let batch = vec![
        sample(
            "Q-1",
            None,
            "513401",
            Medium::Soil,
            "2019-12-31",
            &[("Cd", "0.2"), ("Pb", "30")],
        ),
        sample(
            "Q-2",
            None,
            "513401",
            Medium::Soil,
            "2020-01-01",
            &[("Cd", "0.3")],
        ),
        sample(
            "Q-3",
            None,
            "513402",
            Medium::Soil,
            "2020-06-30",
            &[("Cd", "0.4")],
        ),
        sample(
            "Q-4",
            None,
            "513402",
            Medium::Groundwater,
            "2020-07-01",
            &[("Cd", "0.001")],
        ),
    ];
    store
        .insert_samples(&batch, &change("query fixture"))
        .await
        .expect("insert");
    let q = |f: fn(&mut ResultQuery)| {
        let mut q = ResultQuery::default();
        f(&mut q);
        q
    };
    let codes = |rows: Vec<crate::ResultRow>| -> Vec<String> {
        rows.into_iter()
            .map(|r| format!("{}:{}", r.sample_code, r.result.analyte))
            .collect()
    };
    let all = store
        .query_results(&ResultQuery::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 5);
    let pref = store
        .query_results(&q(|q| q.division = Some("513400".parse().expect("code"))))
        .await
        .expect("prefecture");
    assert_eq!(pref.len(), 5);
    let county = store
        .query_results(&q(|q| q.division = Some("513402".parse().expect("code"))))
        .await
        .expect("county");
    assert_eq!(codes(county), ["Q-3:Cd", "Q-4:Cd"]);
    let other = store
        .query_results(&q(|q| q.division = Some("110000".parse().expect("code"))))
        .await
        .expect("elsewhere");
    assert!(other.is_empty());
    let gw = store
        .query_results(&q(|q| q.medium = Some(Medium::Groundwater)))
        .await
        .expect("gw");
    assert_eq!(codes(gw), ["Q-4:Cd"]);
    let pb = store
        .query_results(&q(|q| q.analyte = Some("Pb".into())))
        .await
        .expect("pb");
    assert_eq!(codes(pb), ["Q-1:Pb"]);
    // Both bounds inclusive.
    let y2020 = store
        .query_results(&q(|q| {
            q.from = Some(day("2020-01-01"));
            q.to = Some(day("2020-06-30"));
        }))
        .await
        .expect("2020");
    assert_eq!(codes(y2020), ["Q-2:Cd", "Q-3:Cd"]);
    // Keyset pages of two in the date order: a row written between two pages, dated before
    // the cursor, neither shifts nor repeats the next page's rows.
    let first = store
        .query_results(&q(|q| q.limit = Some(2)))
        .await
        .expect("page 1");
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].result_id, all[0].result_id);
    store
        .insert_samples(
            &[sample(
                "Q-EARLY",
                None,
                "513401",
                Medium::Soil,
                "2001-01-01",
                &[("Cd", "0.1")],
            )],
            &change("between pages"),
        )
        .await
        .expect("insert between pages");
    let mut rest = Vec::new();
    let mut after = first.last().map(crate::ResultRow::cursor);
    while let Some(c) = after {
        let page = store
            .query_results(&ResultQuery {
                limit: Some(2),
                after: Some(c),
                ..ResultQuery::default()
            })
            .await
            .expect("next page");
        after = (page.len() == 2).then(|| page[1].cursor());
        rest.extend(page);
    }
    let ids: Vec<i64> = first.iter().chain(&rest).map(|r| r.result_id).collect();
    let want: Vec<i64> = all.iter().map(|r| r.result_id).collect();
    assert_eq!(ids, want, "every row once, in order");
    assert!(store
        .query_results(&q(|q| q.after = Some("nonsense".into())))
        .await
        .is_err());
}

/// Create an empty PostgreSQL database on the server `base_url` names and connect to it,
/// migrated. Returns the store and the database name (drop it with [`drop_pg_database`]).
pub async fn fresh_pg_database(base_url: &str, label: &str) -> (SqlStore, String) {
    sweep_dead_test_databases(base_url).await;
    let (store, name, _) = create_named_pg_database(base_url, TEST_DB_PREFIX, label)
        .await
        .expect("a fresh database on SOILWATCH_TEST_PG");
    (store, name)
}

/// Prefix of the databases [`fresh_pg_database`] makes: `swtest_<label>_<pid>_<µs>`.
const TEST_DB_PREFIX: &str = "swtest";

/// Drop the test databases left by test processes of this machine that have ended (a test that
/// panics, or never calls its clean-up, leaves its database behind): those named
/// `swtest_…_<pid>_<µs>` whose process is gone. Databases of live processes (tests running in
/// parallel) and every other database are left alone. Once per process; errors are ignored.
async fn sweep_dead_test_databases(base_url: &str) {
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(admin) = crate::connect(base_url).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'swtest\\_%'")
            .fetch_all(admin.pool())
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.rsplit('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        let dead = pid.is_some_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists());
        if dead && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin.pool())
                .await;
        }
    }
    admin.close().await;
}

/// [`fresh_pg_database`] with errors returned (for `soilwatch bench --pg`): the store, the
/// database name and its URL.
pub async fn create_pg_database(
    base_url: &str,
    label: &str,
) -> StoreResult<(SqlStore, String, String)> {
    create_named_pg_database(base_url, "sw", label).await
}

/// A new migrated database `<prefix>_<label>_<pid>_<µs>` beside `base_url`'s.
async fn create_named_pg_database(
    base_url: &str,
    prefix: &str,
    label: &str,
) -> StoreResult<(SqlStore, String, String)> {
    let admin = crate::connect(base_url).await?;
    let name = format!(
        "{prefix}_{}_{}_{}",
        label
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>(),
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    )
    .to_lowercase();
    let created = sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await;
    admin.close().await;
    created?;
    let url = match base_url.rfind('/') {
        Some(i)
            if base_url[..i].contains("://")
                && base_url[..i].len() > base_url.find("://").unwrap_or(0) + 3 =>
        {
            let rest = &base_url[i + 1..];
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{}/{name}{query}", &base_url[..i])
        }
        _ => format!("{base_url}/{name}"),
    };
    let store = crate::connect(&url).await?;
    store.migrate().await?;
    Ok((store, name, url))
}

/// Drop a database made by [`fresh_pg_database`].
pub async fn drop_pg_database(base_url: &str, store: SqlStore, name: &str) {
    store.close().await;
    if let Ok(admin) = crate::connect(base_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(admin.pool())
            .await;
        admin.close().await;
    }
}

fn import_opts(name: &str) -> soilwatch_ingest::ParseOptions {
    soilwatch_ingest::ParseOptions::new(name, day("2026-01-01"))
}

const IMPORT_V1: &str =
    "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位,检出限\n\
I-1,土壤,2024-05-06,513401,水田,镉,300,μg/kg,0.01\n\
I-1,土壤,2024-05-06,513401,水田,pH,6.5,无量纲,\n\
I-2,土壤,2024-05-07,513402,旱地,铅,35.2,mg/kg,0.1\n\
I-2,土壤,2024-05-07,513402,旱地,镉,<0.01,mg/kg,0.01\n";

pub async fn imports_commit_all_or_nothing_with_provenance(store: &dyn Store) {
    use crate::importer::{import_bytes, ImportOutcome};
    seed::seed(store).await.expect("seed");
    let out = import_bytes(
        store,
        IMPORT_V1.as_bytes(),
        &import_opts("v1.csv"),
        "county-lab",
        Some("eco-env-513400"),
    )
    .await
    .expect("import");
    let ImportOutcome::Imported { batch, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!((batch.rows_read, batch.samples, batch.results), (4, 2, 4));
    assert_eq!(batch.uploader, "county-lab");
    assert_eq!(batch.department.as_deref(), Some("eco-env-513400"));
    assert_eq!(
        batch.checksum,
        soilwatch_ingest::checksum(IMPORT_V1.as_bytes())
    );
    assert!(out
        .summary_line()
        .starts_with(&format!("imported 4 rows as batch {}", batch.id)));
    let first_id = batch.id;
    // 300 μg/kg is stored as 0.3 mg/kg; the non-detect keeps its detection limit.
    let s1 = store.get_sample("I-1").await.expect("I-1");
    let cd = s1
        .results
        .iter()
        .find(|r| r.result.analyte == "Cd")
        .expect("Cd");
    assert_eq!(cd.result.value.expect("v").to_string(), "0.3");
    assert_eq!(cd.result.unit, Unit::MgPerKg);
    let s2 = store.get_sample("I-2").await.expect("I-2");
    assert!(s2
        .results
        .iter()
        .any(|r| r.result.analyte == "Cd" && r.result.is_non_detect()));
    assert_eq!(
        store.get_import(first_id).await.expect("batch").file_name,
        "v1.csv"
    );

    // The same file again changes nothing.
    let again = import_bytes(
        store,
        IMPORT_V1.as_bytes(),
        &import_opts("copy.csv"),
        "someone",
        None,
    )
    .await
    .expect("again");
    match &again {
        ImportOutcome::Unchanged { batch } => assert_eq!(batch.id, first_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        again.summary_line(),
        format!("unchanged: already imported as batch {first_id}")
    );

    // A file whose last row is bad stores nothing.
    let before = store.count_samples().await.expect("count");
    let bad = "样品编号,样品类型,采样日期,行政区划代码,检测项目,检测值,单位\n\
               I-3,土壤,2024-05-06,513401,镉,0.2,mg/kg\n\
               I-4,土壤,2024-05-06,513401,镉,0.25,mg/kg\n\
               I-5,土壤,2024-05-06,513401,镉,abc,mg/kg\n";
    let out = import_bytes(
        store,
        bad.as_bytes(),
        &import_opts("bad.csv"),
        "county-lab",
        None,
    )
    .await
    .expect("bad import runs");
    let ImportOutcome::Rejected { report } = &out else {
        panic!("{out:?}")
    };
    assert!(report.errors >= 1);
    assert_eq!(out.exit_code(), 2);
    assert!(out.summary_line().starts_with("rejected: "));
    assert_eq!(store.count_samples().await.expect("count"), before);
    assert!(store.get_sample("I-3").await.is_err());

    // A corrected file: one value changed, one new analyte, the rest identical.
    let v2 = IMPORT_V1.replace(
        "I-2,土壤,2024-05-07,513402,旱地,铅,35.2",
        "I-2,土壤,2024-05-07,513402,旱地,铅,53.2",
    ) + "I-1,土壤,2024-05-06,513401,水田,汞,0.12,mg/kg,0.002\n";
    let out = import_bytes(
        store,
        v2.as_bytes(),
        &import_opts("v2.csv"),
        "prefecture-lab",
        None,
    )
    .await
    .expect("v2");
    let ImportOutcome::Imported { batch, .. } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            batch.samples,
            batch.results,
            batch.corrections,
            batch.unchanged
        ),
        (0, 1, 1, 3)
    );
    let s2 = store.get_sample("I-2").await.expect("I-2");
    let pb = s2
        .results
        .iter()
        .find(|r| r.result.analyte == "Pb")
        .expect("Pb");
    assert_eq!(pb.result.value.expect("v").to_string(), "53.2");
    assert_eq!(pb.version, 2);
    let h = store
        .history(Entity::Result, &pb.id.to_string())
        .await
        .expect("history");
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(
        (h[0].version, h[0].data["value"].as_str()),
        (1, Some("35.2"))
    );
    assert_eq!(h[0].actor, "county-lab");
    assert!(h[0].reason.contains("v1.csv"), "{}", h[0].reason);
    assert_eq!(
        (h[1].version, h[1].data["value"].as_str()),
        (2, Some("53.2"))
    );
    assert_eq!(h[1].actor, "prefecture-lab");
    // An untouched imported result shows its one version with its provenance.
    let cd = s2
        .results
        .iter()
        .find(|r| r.result.analyte == "Cd")
        .expect("Cd");
    let h = store
        .history(Entity::Result, &cd.id.to_string())
        .await
        .expect("history");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].operation, "import");
    assert!(store
        .get_sample("I-1")
        .await
        .expect("I-1")
        .results
        .iter()
        .any(|r| r.result.analyte == "Hg"));
    assert_eq!(store.list_imports(10).await.expect("list").len(), 2);
    crate::conformance_network::results_carry_their_samples_county_and_date(store).await;
}

pub async fn local_rulesets_are_kept_as_filed(store: &dyn Store) {
    use crate::LocalRulesetRecord;
    let rec = LocalRulesetRecord {
        id: "liangshan-2026".into(),
        base: "gb15618-2018".into(),
        name: "凉山州".into(),
        version: "2026".into(),
        csv: "analyte,land_use,ph_band,land_class,value_type,value,unit,source\nCd,paddy,,,screening,0.25,mg/kg,x\n".into(),
        created_by: "bureau".into(),
        reason: "州政府文件".into(),
        created_at: chrono::Utc::now(),
    };
    store.create_local_ruleset(&rec).await.expect("create");
    let got = store
        .get_local_ruleset("liangshan-2026")
        .await
        .expect("get");
    assert_eq!(
        (got.csv.as_str(), got.created_by.as_str(), got.base.as_str()),
        (rec.csv.as_str(), "bureau", "gb15618-2018")
    );
    assert!(matches!(
        store.create_local_ruleset(&rec).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.list_local_rulesets().await.expect("list").len(), 1);
    assert!(matches!(
        store.get_local_ruleset("x").await,
        Err(StoreError::NotFound { .. })
    ));
    let mut anonymous = rec.clone();
    anonymous.id = "other-1".into();
    anonymous.reason = " ".into();
    assert!(store.create_local_ruleset(&anonymous).await.is_err());
}
