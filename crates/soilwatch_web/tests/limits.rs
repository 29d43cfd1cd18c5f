//! Issue 13, request limits through the router: body size (declared and streamed), upload size,
//! rows per imported file (SQLite and PostgreSQL), the `limit` query parameter, and time per
//! request (a write blocked by a locked SQLite database answers 503 in bounded time and works
//! once the lock is gone). Every refusal is checked for its status and its bilingual message.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_store::{Role, Store};
use soilwatch_test_utils::TestApp;
use soilwatch_web::limits::Limits;
use soilwatch_web::AppState;
use tower::ServiceExt;

fn small_limits() -> Limits {
    Limits {
        max_body_bytes: 1024,
        max_upload_bytes: 4096,
        max_rows: 3,
        max_query_limit: 50,
        request_timeout: Duration::from_millis(800),
        long_request_timeout: Duration::from_secs(60),
    }
}

/// The seeded app with `limits`, signed in as an administrator by API token.
async fn app_with(mut app: TestApp, limits: Limits) -> TestApp {
    app.router = soilwatch_web::router(
        AppState::new(app.store.clone() as Arc<dyn Store>).with_limits(limits),
    );
    app.bearer = Some(
        app.user_token("limits-admin", Role::Administrator, None)
            .await,
    );
    app
}

async fn send(
    app: &TestApp,
    req: axum::http::request::Builder,
    body: Body,
) -> (StatusCode, String, Vec<u8>) {
    let req = req.header(
        "authorization",
        format!("Bearer {}", app.bearer.as_deref().unwrap()),
    );
    let res = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, bytes)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn assert_bilingual(v: &Value, cn: &str, en: &str) {
    let m = v["error"]["message"].as_str().unwrap_or_default();
    assert!(m.contains(cn) && m.contains(en), "message: {v}");
}

fn point_json(code: &str, padding: usize) -> Value {
    json!({
        "code": code,
        "name": format!("限值测试{}", "x".repeat(padding)),
        "point_type": "basic",
        "control_level": "county",
        "division": "513401",
        "lon": 102.26,
        "lat": 27.89,
        "land_use": "0101"
    })
}

#[tokio::test]
async fn body_over_the_limit_is_413_declared_or_streamed() {
    let app = app_with(TestApp::sqlite().await, small_limits()).await;
    let big = point_json("LIM-1", 4000).to_string();
    // Declared length: refused before anything is read.
    let (status, ct, body) = send(
        &app,
        Request::post("/api/v1/points")
            .header("content-type", "application/json")
            .header("content-length", big.len()),
        Body::from(big.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(ct.starts_with("application/json"), "{ct}");
    let v = json_of(&body);
    assert_eq!(v["error"]["code"], "payload_too_large");
    assert_bilingual(&v, "请求内容过大", "at most 1 KiB (1024 bytes)");
    // No declared length: cut while reading, same error.
    let (status, _, body) = send(
        &app,
        Request::post("/api/v1/points").header("content-type", "application/json"),
        Body::from(big),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_bilingual(&json_of(&body), "请求内容过大", "1024 bytes");
    // Nothing was stored.
    let (status, _) = app.get_json("/api/v1/points/LIM-1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A body under the limit gets through to the handler (whatever it decides, not 413).
    let small = point_json("LIM-2", 10).to_string();
    assert!(small.len() < 1024);
    let (status, _, body) = send(
        &app,
        Request::post("/api/v1/points").header("content-type", "application/json"),
        Body::from(small),
    )
    .await;
    assert_ne!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

const HEADER: &str = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n";

fn results_csv(rows: usize) -> String {
    let mut s = HEADER.to_owned();
    for i in 0..rows {
        s.push_str(&format!(
            "LIM-S{i},土壤,2023-09-01,513402,水田,镉,0.{:02},mg/kg\n",
            10 + i
        ));
    }
    s
}

#[tokio::test]
async fn upload_over_the_limit_is_413_and_under_it_imports() {
    let app = app_with(TestApp::sqlite().await, small_limits()).await;
    // 60 rows of padding make a file over 4 KiB (the rows limit is not reached: it is checked
    // only once the file is read, and this one is refused before).
    let mut big = results_csv(2);
    big.push_str(&format!("# {}\n", "x".repeat(5000)));
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("big.csv"), big.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_bilingual(&body, "上传文件过大", "at most 4 KiB (4096 bytes)");
    // The upload page answers with a page, not JSON.
    let (status, page) = app
        .post_multipart_bytes(
            "/imports",
            &[("file", Some("big.csv"), big.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("过大") && page.contains("too large"),
        "{page}"
    );
    let (_, batches) = app.get_json("/api/v1/imports").await;
    assert_eq!(batches.as_array().unwrap().len(), 0);
    // The same rows without the padding fit (4 KiB > body limit of ordinary requests: the
    // upload route has its own).
    let ok = results_csv(2);
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("ok.csv"), ok.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["batch"]["results"], 2);
}

async fn rows_limit(app: TestApp) {
    let app = app_with(app, small_limits()).await;
    let four = results_csv(4);
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("four.csv"), four.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["outcome"], "rejected");
    let issues = body["report"]["issues"].as_array().unwrap();
    let issue = issues
        .iter()
        .find(|i| {
            i["message_en"]
                .as_str()
                .unwrap()
                .contains("more than 3 data rows")
        })
        .unwrap_or_else(|| panic!("no rows issue in {body}"));
    assert_eq!(issue["file"], "four.csv");
    // Row 5 of the sheet (header is row 1) is the fourth data row.
    assert_eq!(issue["row"], 5);
    assert!(issue["message_cn"].as_str().unwrap().contains("超过 3 行"));
    // Rejected whole: not even the first three rows were stored.
    assert!(app.store.get_sample("LIM-S0").await.is_err());
    let (_, batches) = app.get_json("/api/v1/imports").await;
    assert_eq!(batches.as_array().unwrap().len(), 0);
    // Exactly at the limit: imported.
    let three = results_csv(3);
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("three.csv"), three.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["batch"]["results"], 3);
    app.finish().await;
}

#[tokio::test]
async fn rows_over_the_limit_reject_the_file_sqlite() {
    rows_limit(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn rows_over_the_limit_reject_the_file_postgres() {
    if let Some(app) = TestApp::postgres("limits_rows").await {
        rows_limit(app).await;
    }
}

#[tokio::test]
async fn query_limit_over_the_maximum_is_400() {
    let app = app_with(TestApp::sqlite().await, small_limits()).await;
    for path in [
        "/api/v1/points",
        "/api/v1/results",
        "/api/v1/samples",
        "/api/v1/audit",
    ] {
        let (status, v) = app.get_json(&format!("{path}?limit=51")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_bilingual(
            &v,
            "参数 limit 过大：最多 50，收到 51",
            "at most 50, found 51",
        );
        let (status, v) = app.get_json(&format!("{path}?limit=50")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    }
    // The default maximum is the documented one.
    assert_eq!(Limits::default().max_query_limit, 100_000);
}

#[tokio::test]
async fn a_request_blocked_on_a_locked_database_times_out_with_503() {
    let app = app_with(TestApp::sqlite().await, small_limits()).await;
    // Another connection of the pool holds the write lock of the database file.
    let mut other = app.store.pool().acquire().await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *other)
        .await
        .unwrap();
    let started = Instant::now();
    let body = point_json("LIM-T", 4).to_string();
    let (status, _, bytes) = send(
        &app,
        Request::post("/api/v1/points").header("content-type", "application/json"),
        Body::from(body.clone()),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let v = json_of(&bytes);
    assert_eq!(v["error"]["code"], "timeout");
    assert_bilingual(&v, "请求超时", "longer than 0.8 s");
    // Bounded: well before SQLite's own busy timeout would have answered.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    sqlx::query("ROLLBACK").execute(&mut *other).await.unwrap();
    drop(other);
    // The lock is gone: the same request goes through.
    let (status, _, bytes) = send(
        &app,
        Request::post("/api/v1/points").header("content-type", "application/json"),
        Body::from(body),
    )
    .await;
    assert_ne!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}
