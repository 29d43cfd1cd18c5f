//! Issue 12, "nothing quadratic": the number of SQL statements one request runs does not grow with
//! the number of rows it shows. Every statement sqlx runs is counted by a tracing layer on its
//! per-statement event (target `sqlx::query`); each URL is read on a small database (20 demo
//! points, 1 year, 2 of each registry record) and on a larger one (160 points, 4 years, 24 of each
//! registry record), with pages of up to 200 rows, and both must run the same number of statements:
//! the main pages (dashboard, county, coverage, the points/samples/results lists, a point page, a
//! sample page, the registry pages), the API lists and the OGC items of every collection.
//! On SQLite and, with `SOILWATCH_TEST_PG`, on PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use soilwatch_core::ChangeMeta;
use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_enterprise::{
    Enterprise, EnterpriseStatus, TailingsPond, TailingsStatus,
};
use soilwatch_store::registry_mining::{MiningArea, MiningStatus};
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::registry_remediation::{
    ProjectMode, QuantityUnit, RemediationProject, TransferManifest, TransportMode,
};
use soilwatch_store::{PointQuery, RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Statements counted since the start, and the last request's statements (for the message).
static COUNT: AtomicUsize = AtomicUsize::new(0);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// One counted run at a time: the counter is global.
static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct CountStatements;

#[derive(Default)]
struct Summary(String);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.0);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut s = Summary::default();
        event.record(&mut s);
        // A new pooled SQLite connection sets its pragmas (sql.rs `after_connect`): not the
        // request's work.
        if s.0.trim_start().to_uppercase().starts_with("PRAGMA") {
            return;
        }
        COUNT.fetch_add(1, Ordering::SeqCst);
        SEEN.lock().unwrap().push(s.0);
    }
}

fn install_counter() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(CountStatements.with_filter(
            tracing_subscriber::filter::filter_fn(|m| m.target() == "sqlx::query"),
        ));
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// Wait until no statement has been counted for a while (SQLite runs statements on its own
/// thread, which may log one just after the answer arrives).
async fn settled() -> usize {
    let mut last = COUNT.load(Ordering::SeqCst);
    loop {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let now = COUNT.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// GET `uri` (after one unmeasured GET that warms the pool and the caches); the status and the
/// statements of the measured GET.
async fn statements(app: &TestApp, uri: &str) -> (StatusCode, Vec<String>) {
    let (status, _, body) = app.get(uri).await;
    assert!(
        !status.is_server_error(),
        "{uri}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let before = settled().await;
    SEEN.lock().unwrap().clear();
    let (status, _, _) = app.get(uri).await;
    let after = settled().await;
    let seen = std::mem::take(&mut *SEEN.lock().unwrap());
    assert_eq!(after - before, seen.len(), "{uri}: counted {seen:?}");
    (status, seen)
}

fn change() -> ChangeMeta {
    ChangeMeta::new("tester", "query counts")
}

/// Beijing time `days` days from now (manifests are filed before their departure).
fn in_days(days: i64) -> DateTime<FixedOffset> {
    (Utc::now() + chrono::Duration::days(days))
        .with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
}

const COUNTIES: [&str; 4] = ["513401", "513402", "513422", "513433"];

fn uscc(i: usize) -> String {
    let first17 = format!("91513400MA{i:07}");
    let check = soilwatch_core::uscc::check_char(&first17).unwrap();
    format!("{first17}{check}")
}

/// `n` plots, remediation projects, transfer manifests, enterprises and tailings ponds.
async fn registry(app: &TestApp, n: usize) {
    let store = app.store.as_ref();
    // Each enterprise watches two demo points, so the self-monitoring exceedances read samples.
    let points: Vec<String> = store
        .list_points(&PointQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.code)
        .collect();
    for i in 0..n {
        let div = COUNTIES[i % COUNTIES.len()];
        let plot = format!("PL-{i:03}");
        store
            .create_plot(
                &Plot::new(&plot, "Plot", div.parse().unwrap()),
                NaiveDate::from_ymd_opt(2024, 1, 5).unwrap(),
                &change(),
            )
            .await
            .unwrap();
        let project = format!("RP-{i:03}");
        store
            .create_project(
                &RemediationProject {
                    code: project.clone(),
                    name: format!("Project {i}"),
                    plot_code: plot,
                    division: div.parse().unwrap(),
                    mode: ProjectMode::Remediation,
                    responsible_unit: "Huili Works Ltd".into(),
                    technique: "ex-situ stabilisation".into(),
                    plan_filing: None,
                    started_on: NaiveDate::from_ymd_opt(2025, 3, 1),
                    finished_on: None,
                    supervisors: vec!["工程监理甲".into(), "环境监理乙".into()],
                    notice_board: None,
                    effect_evaluation: None,
                },
                &change(),
            )
            .await
            .unwrap();
        store
            .create_manifest(
                &TransferManifest {
                    code: format!("M-{i:03}"),
                    project_code: project,
                    origin_division: div.parse().unwrap(),
                    quantity: "12.5".parse().unwrap(),
                    unit: QuantityUnit::Tonne,
                    transport_mode: TransportMode::Road,
                    route: "G5".into(),
                    carrier: "Liangshan Haulage".into(),
                    vehicle: "W12345".into(),
                    departure_at: in_days(2),
                    arrival_at: None,
                    destination_facility: "Facility".into(),
                    destination_division: "513401".parse().unwrap(),
                    disposal: "landfill".into(),
                    filed_at: Utc::now(),
                    received: None,
                },
                &change(),
            )
            .await
            .unwrap();
        let code = uscc(i);
        store
            .create_enterprise(
                &Enterprise {
                    uscc: code.parse().unwrap(),
                    name: format!("Works {i}"),
                    industry: Industry::NonferrousSmelting,
                    division: div.parse().unwrap(),
                    address: None,
                    location: None,
                    listed_year: 2019,
                    responsibility_letter: None,
                    status: EnterpriseStatus::Operating,
                    contact: None,
                    point_codes: vec![
                        points[(3 * i) % points.len()].clone(),
                        points[(3 * i + 1) % points.len()].clone(),
                    ],
                },
                &change(),
            )
            .await
            .unwrap();
        store
            .create_tailings_pond(
                &TailingsPond {
                    code: format!("TP-{i:03}"),
                    name: format!("Pond {i}"),
                    enterprise_uscc: Some(code.parse().unwrap()),
                    enterprise_name: Some(format!("Works {i}")),
                    division: div.parse().unwrap(),
                    location: None,
                    status: TailingsStatus::Operating,
                    risk_assessment: None,
                    emergency_plan: None,
                    note: None,
                },
                &change(),
            )
            .await
            .unwrap();
    }
}

/// A seeded app with demo data and registry records.
async fn filled(app: TestApp, points: usize, years: i32, records: usize) -> TestApp {
    demo::load(
        app.store.as_ref(),
        &DemoOptions {
            seed: 12,
            points,
            end_year: 2025,
            years,
        },
    )
    .await
    .unwrap();
    registry(&app, records).await;
    mining_areas(&app, records).await;
    app
}

/// `n` mining areas with associated radioactivity, each monitored on two demo points with samples
/// (read for the areas' yearly radiation monitoring).
async fn mining_areas(app: &TestApp, n: usize) {
    let store = app.store.as_ref();
    // Points with samples, so both databases read samples for every area.
    let mut points = Vec::new();
    for p in store.list_points(&PointQuery::default()).await.unwrap() {
        let codes = [p.code.clone()];
        if !store
            .samples_of_points(&codes, None)
            .await
            .unwrap()
            .is_empty()
        {
            points.push(p);
        }
    }
    for i in 0..n {
        let p = &points[(2 * i) % points.len()];
        let q = &points[(2 * i + 1) % points.len()];
        store
            .create_mining_area(
                &MiningArea {
                    code: format!("MA-{i:03}"),
                    name: format!("Mine {i}"),
                    enterprise_uscc: Some(uscc(i).parse().unwrap()),
                    enterprise_name: None,
                    mineral: "rare earths".into(),
                    division: p.division,
                    location: None,
                    status: MiningStatus::Operating,
                    associated_radioactivity: true,
                    monitoring_since: Some(2020),
                    point_codes: vec![p.code.clone(), q.code.clone()],
                    note: None,
                },
                &change(),
            )
            .await
            .unwrap();
    }
}

/// The URLs measured on an app: fixed ones, then a point page and a sample page of its own data.
async fn urls(app: &TestApp) -> Vec<String> {
    let mut urls: Vec<String> = [
        // Pages.
        "/",
        "/?measure=exceedance",
        "/counties/513401",
        "/network/coverage",
        "/points?limit=200",
        "/samples?limit=200",
        "/results?limit=200",
        "/plots",
        "/enterprises",
        "/enterprises/exceedances",
        "/tailings-ponds",
        "/remediation-projects",
        "/manifests",
        "/mining-areas",
        "/mining-areas/MA-000",
        "/demolition-plans",
        // API lists.
        "/api/v1/points?limit=200",
        "/api/v1/samples?limit=200",
        "/api/v1/results?limit=200",
        "/api/v1/network/coverage",
        "/api/v1/plots",
        "/api/v1/enterprises",
        "/api/v1/enterprises/exceedances",
        "/api/v1/tailings-ponds",
        "/api/v1/remediation-projects",
        "/api/v1/manifests",
        "/api/v1/mining-areas",
        "/api/v1/mining-areas/MA-000",
        "/api/v1/public/mining-areas",
        "/api/v1/divisions",
        "/api/v1/analytes",
        "/api/v1/standards",
        "/api/v1/departments",
        "/api/v1/imports",
        // OGC API – Features items.
        "/ogc/collections/divisions/items?limit=200",
        "/ogc/collections/points/items?limit=200",
        "/ogc/collections/samples/items?limit=200",
        "/ogc/collections/plots/items?limit=200",
        "/ogc/collections/enterprises/items?limit=200",
        "/ogc/collections/tailings_ponds/items?limit=200",
        "/ogc/collections/remediation_projects/items?limit=200",
    ]
    .map(str::to_owned)
    .to_vec();
    // The point of the first sample (it has samples on both databases: one on the small one,
    // several on the large one) and that sample.
    let (status, v) = app.get_json("/api/v1/samples?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    urls.push(format!("/points/{}", v[0]["point_code"].as_str().unwrap()));
    urls.push(format!("/samples/{}", v[0]["id"]));
    urls
}

/// The sharing catalogue's read check (`api::catalogue`, issue 9) reads the catalogue entry of
/// each observation dataset when it builds a reader's sample filter, then reads the entry of each
/// dataset among the rows shown and logs the read once per dataset: its statements follow the
/// datasets (one per medium, six at most), not the rows.
const DATASETS: usize = 6;

/// The statements of a request apart from the catalogue's per-dataset read check, and those of
/// the check.
fn per_dataset(statements: &[String]) -> (usize, usize) {
    let check = statements
        .iter()
        .filter(|s| {
            s.starts_with("SELECT dataset, name, owner_department")
                || s.starts_with("INSERT INTO data_access_log")
        })
        .count();
    (statements.len() - check, check)
}

/// Read every URL as `role` on both databases: same status, same number of statements.
async fn compare(
    (small, small_urls): (&mut TestApp, &[String]),
    (large, large_urls): (&mut TestApp, &[String]),
    role: Role,
    failures: &mut Vec<String>,
) {
    small.sign_in_as(role).await;
    large.sign_in_as(role).await;
    for (s_uri, l_uri) in small_urls.iter().zip(large_urls) {
        let (s_status, s) = statements(small, s_uri).await;
        let (l_status, l) = statements(large, l_uri).await;
        assert_eq!(s_status, l_status, "{role:?} {l_uri}");
        let (s_rows, s_datasets) = per_dataset(&s);
        let (l_rows, l_datasets) = per_dataset(&l);
        eprintln!(
            "{role:?} {s_status} {s_rows:>3}+{s_datasets:<2} {l_rows:>3}+{l_datasets:<2} {l_uri}"
        );
        for (n, uri) in [(s_datasets, s_uri), (l_datasets, l_uri)] {
            assert!(
                n <= 3 * DATASETS,
                "{role:?} {uri}: {n} statements of the sharing catalogue's read check"
            );
        }
        if s_rows != l_rows {
            failures.push(format!(
                "{role:?} {l_uri}: {s_rows} statements on the small database, {l_rows} on the \
                 large one (besides the catalogue's read check):\n  small {s:?}\n  large {l:?}"
            ));
        }
    }
}

async fn check(mut small: TestApp, mut large: TestApp) {
    install_counter();
    small.sign_in_as(Role::Administrator).await;
    large.sign_in_as(Role::Administrator).await;
    let small_urls = urls(&small).await;
    let large_urls = urls(&large).await;
    let mut failures = Vec::new();
    for role in [Role::Administrator, Role::Viewer] {
        compare(
            (&mut small, &small_urls),
            (&mut large, &large_urls),
            role,
            &mut failures,
        )
        .await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    small.finish().await;
    large.finish().await;
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_rows_on_sqlite() {
    let _gate = GATE.lock().await;
    let small = filled(TestApp::sqlite().await, 20, 1, 2).await;
    let large = filled(TestApp::sqlite().await, 160, 4, 24).await;
    check(small, large).await;
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_rows_on_postgres() {
    let _gate = GATE.lock().await;
    let Some(small) = TestApp::postgres("query_counts_small").await else {
        return;
    };
    let Some(large) = TestApp::postgres("query_counts_large").await else {
        return;
    };
    let small = filled(small, 20, 1, 2).await;
    let large = filled(large, 160, 4, 24).await;
    check(small, large).await;
}
