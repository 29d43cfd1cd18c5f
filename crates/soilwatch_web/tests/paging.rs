//! Issue 5: every list of finding data (`/api/v1/points`, `/samples`, `/results`) is paged by
//! keyset cursor, stable under inserts: rows written between two page fetches neither shift nor
//! repeat the rows that were there, whatever the sort and filters (a date range of one year,
//! several years, an analyte and a county), on SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::{conformance, conformance_network, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

/// Status, the `X-Next-Cursor` header and the JSON body.
async fn get_page(app: &TestApp, uri: &str) -> (StatusCode, String, Value) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("accept", "application/json")
                .header(
                    "authorization",
                    format!("Bearer {}", app.bearer.clone().unwrap_or_default()),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let next = res
        .headers()
        .get("x-next-cursor")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, next, json)
}

const COUNTIES: [&str; 2] = ["513402", "513401"];
const DATES: [&str; 6] = [
    "2019-03-01",
    "2019-11-30",
    "2020-01-01",
    "2020-06-15",
    "2021-05-01",
    "2022-12-31",
];

/// Six points in two counties, each sampled on every date with Cd and Pb.
async fn fixture(store: &dyn Store) {
    let mut points = Vec::new();
    for i in 0..6 {
        points.push(
            conformance_network::point_inside(
                store,
                &format!("PG-{:02}", 10 + i * 10),
                COUNTIES[i % 2],
                i as f64,
            )
            .await,
        );
    }
    store
        .create_points(&points, &ChangeMeta::new("tester", "paging fixture"))
        .await
        .unwrap();
    let mut batch = Vec::new();
    for (d, date) in DATES.iter().enumerate() {
        for i in 0..6 {
            batch.push(conformance::sample(
                &format!("PS-{d}-{i}"),
                Some(&format!("PG-{:02}", 10 + i * 10)),
                COUNTIES[i % 2],
                Medium::Soil,
                date,
                &[("Cd", "0.2"), ("Pb", "30")],
            ));
        }
    }
    store
        .insert_samples(&batch, &ChangeMeta::new("tester", "paging fixture"))
        .await
        .unwrap();
}

/// What one list returns: the id of a row and its sort key as the API shows them.
#[derive(Clone, Copy)]
enum List {
    Points,
    Samples,
    Results,
}

impl List {
    fn path(self) -> &'static str {
        match self {
            List::Points => "/api/v1/points",
            List::Samples => "/api/v1/samples",
            List::Results => "/api/v1/results",
        }
    }

    fn id(self, row: &Value) -> String {
        match self {
            List::Points => row["code"].as_str().unwrap().to_owned(),
            List::Samples => row["id"].as_i64().unwrap().to_string(),
            List::Results => row["result_id"].as_i64().unwrap().to_string(),
        }
    }

    /// The row's key in `sort` (a tuple compared as strings and numbers).
    fn key(self, row: &Value, sort: &str) -> (String, i64, i64) {
        let date = |r: &Value| r["sampled_on"].as_str().unwrap().to_owned();
        match (self, sort.trim_start_matches('-')) {
            (List::Points, _) => (row["code"].as_str().unwrap().to_owned(), 0, 0),
            (List::Samples, "sampled_on") => (date(row), row["id"].as_i64().unwrap(), 0),
            (List::Samples, _) => (String::new(), row["id"].as_i64().unwrap(), 0),
            (List::Results, "sampled_on") => (
                date(row),
                row["sample_id"].as_i64().unwrap(),
                row["result_id"].as_i64().unwrap(),
            ),
            (List::Results, _) => (String::new(), row["result_id"].as_i64().unwrap(), 0),
        }
    }
}

/// Write rows that fall before, inside and after every page: a sample (with two results) on
/// the first and the last date of the ranges and one in the middle, and points whose codes
/// sort first and last (the first four rounds of each paging).
async fn write_between_pages(store: &dyn Store, round: usize) {
    static WRITTEN: AtomicUsize = AtomicUsize::new(0);
    if round >= 4 {
        return;
    }
    let n = WRITTEN.fetch_add(1, Ordering::Relaxed);
    let mut batch = Vec::new();
    for (j, date) in ["2019-01-01", "2020-06-15", "2022-12-31"]
        .iter()
        .enumerate()
    {
        batch.push(conformance::sample(
            &format!("PN-{n}-{j}"),
            Some("PG-10"),
            COUNTIES[0],
            Medium::Soil,
            date,
            &[("Cd", "0.3"), ("Pb", "31")],
        ));
    }
    store
        .insert_samples(&batch, &ChangeMeta::new("tester", "written while paging"))
        .await
        .unwrap();
    let mut points = Vec::new();
    for (j, code) in [format!("PF-{n:04}"), format!("PH-{n:04}")]
        .iter()
        .enumerate()
    {
        points.push(
            conformance_network::point_inside(store, code, COUNTIES[j], 20.0 + n as f64).await,
        );
    }
    store
        .create_points(&points, &ChangeMeta::new("tester", "written while paging"))
        .await
        .unwrap();
}

/// Page through `list` with `filters` and `sort` in about six pages, writing rows between the
/// pages; every row present at the start is seen exactly once, no row twice, in order.
async fn page_through(app: &TestApp, list: List, filters: &str, sort: &str) {
    let base = format!("{}?{filters}&sort={sort}", list.path());
    let (status, _, all) = get_page(app, &format!("{base}&limit=10000")).await;
    assert_eq!(status, StatusCode::OK, "{base}: {all}");
    let before: Vec<String> = all.as_array().unwrap().iter().map(|r| list.id(r)).collect();
    assert!(before.len() > 4, "{base}: a few pages at least");
    let mut seen = Vec::new();
    let mut keys = Vec::new();
    // About six pages, whatever has been written before.
    let limit = before.len() / 6 + 1;
    let mut uri = format!("{base}&limit={limit}");
    let mut round = 0;
    loop {
        let (status, next, rows) = get_page(app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {rows}");
        for r in rows.as_array().unwrap() {
            seen.push(list.id(r));
            keys.push(list.key(r, sort));
        }
        write_between_pages(app.store.as_ref(), round).await;
        round += 1;
        if next.is_empty() {
            break;
        }
        assert!(round < 100, "{base}: paging does not end");
        uri = format!("{base}&limit={limit}&cursor={next}");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{base}: a row repeated: {seen:?}");
    for id in &before {
        assert!(unique.contains(id), "{base}: row {id} skipped: {seen:?}");
    }
    let mut sorted = keys.clone();
    sorted.sort();
    if sort.starts_with('-') {
        sorted.reverse();
    }
    assert_eq!(keys, sorted, "{base}: out of order");
}

async fn every_list_is_stable_under_inserts(app: &TestApp) {
    fixture(app.store.as_ref()).await;
    let filters = [
        "",
        "from=2020-01-01&to=2020-12-31",
        "year=2019",
        "from=2019-06-01&to=2022-12-31",
        "analyte=Cd&division=513402&from=2019-01-01&to=2021-12-31",
        "division=513400",
    ];
    for list in [List::Samples, List::Results] {
        for f in filters {
            for sort in ["id", "-id", "sampled_on", "-sampled_on"] {
                page_through(app, list, f, sort).await;
            }
        }
    }
    for f in ["", "division=513402", "type=basic"] {
        for sort in ["code", "-code"] {
            page_through(app, List::Points, f, sort).await;
        }
    }
}

#[tokio::test]
async fn every_list_is_stable_under_inserts_on_sqlite() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(Role::Viewer).await;
    every_list_is_stable_under_inserts(&app).await;
}

#[tokio::test]
async fn every_list_is_stable_under_inserts_on_postgres() {
    let Some(mut app) = TestApp::postgres("web_paging").await else {
        return;
    };
    app.sign_in_as(Role::Viewer).await;
    every_list_is_stable_under_inserts(&app).await;
    app.finish().await;
}
