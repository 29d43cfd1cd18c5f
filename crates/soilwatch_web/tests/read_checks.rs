//! The sharing catalogue's read check on every path to observation data (issue 9), through the
//! router on SQLite and PostgreSQL: the samples and results lists and their CSV/XLSX exports,
//! one sample and its evaluation, the list, sample and point pages, the OGC samples items and
//! item, and the layer export. A department without a grant is refused (403) or served the
//! filtered view; with a grant it gets the rows; every read is in the log with who, what, when,
//! the path and the rows. Data of a submission the reviewer has not accepted stays hidden from
//! other departments, grant or not, until it is accepted. A file whose medium is not of the
//! campaign's data kind is refused naming the row and the medium, nothing stored.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel, Medium};
use soilwatch_store::{conformance, conformance_network, NetworkStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn send(
    app: &TestApp,
    method: &str,
    token: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let res = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn json_of(app: &TestApp, method: &str, token: &str, uri: &str, body: Value) -> Value {
    let (status, text) = send(app, method, token, uri, Some(body)).await;
    assert!(status.is_success(), "{uri}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// The paths a reader takes to the sample `OPEN-1` (id `open`) at point `RP-1`: each must
/// refuse it or leave it out without a grant, and show it with one. `(path, refused status)`:
/// `None` for a list that withholds the row, `Some(403)` for a path that refuses.
fn paths(open: i64, result: i64) -> Vec<(String, Option<StatusCode>)> {
    let forbidden = Some(StatusCode::FORBIDDEN);
    vec![
        ("/api/v1/samples".into(), None),
        ("/api/v1/results".into(), None),
        ("/api/v1/samples?format=csv".into(), None),
        ("/api/v1/results?format=csv".into(), None),
        ("/api/v1/results?medium=soil&format=csv".into(), forbidden),
        ("/api/v1/results?medium=soil&format=xlsx".into(), forbidden),
        (format!("/api/v1/samples/{open}"), forbidden),
        (format!("/api/v1/samples/{open}/evaluation"), forbidden),
        ("/samples".into(), None),
        ("/samples?medium=soil".into(), forbidden),
        ("/results".into(), None),
        (format!("/samples/{open}"), forbidden),
        ("/points/RP-1".into(), None),
        ("/ogc/collections/samples/items".into(), None),
        (format!("/ogc/collections/samples/items/{open}"), forbidden),
        ("/api/v1/exports/samples.csv".into(), None),
        (format!("/api/v1/results/{result}/history"), forbidden),
    ]
}

/// The OGC samples layer as `token` sees it, walked one feature per page: `numberMatched` of
/// every page (it must not change while walking) and the codes found. Each page holds exactly
/// one feature until the count is reached: the count and the pages agree with what is shown.
async fn ogc_samples(app: &TestApp, token: &str) -> (u64, Vec<String>) {
    let mut codes = Vec::new();
    let mut matched = None;
    for offset in 0.. {
        let uri = format!("/ogc/collections/samples/items?f=json&limit=1&offset={offset}");
        let (status, body) = send(app, "GET", token, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let n = v["numberMatched"].as_u64().unwrap();
        assert_eq!(*matched.get_or_insert(n), n, "{uri}: numberMatched changed");
        let features = v["features"].as_array().unwrap();
        assert_eq!(v["numberReturned"].as_u64().unwrap(), features.len() as u64);
        if offset >= n {
            assert!(features.is_empty(), "{uri}: past the count: {body}");
            break;
        }
        assert_eq!(
            features.len(),
            1,
            "{uri}: a full page below the count: {body}"
        );
        codes.push(
            features[0]["properties"]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    codes.sort();
    (matched.unwrap_or(0), codes)
}

fn log_path(uri: &str) -> String {
    format!("GET {uri}")
}

async fn walk(mut app: TestApp) {
    let held = app.store.clone();
    let store = held.as_ref();
    let fixture = ChangeMeta::new("t", "fixture");
    store
        .create_department(
            &Department {
                code: "eco-env-513402".into(),
                name: "会理市生态环境局".into(),
                level: DivisionLevel::County,
                division: "513402".parse().unwrap(),
            },
            &fixture,
        )
        .await
        .unwrap();
    let p = conformance_network::point_inside(store, "RP-1", "513402", 0.0).await;
    store.create_point(&p, &fixture).await.unwrap();
    store
        .insert_samples(
            &[conformance::sample(
                "OPEN-1",
                Some("RP-1"),
                "513402",
                Medium::Soil,
                "2020-06-01",
                &[("Cd", "0.31"), ("Pb", "40")],
            )],
            &fixture,
        )
        .await
        .unwrap();
    let opened = store.get_sample("OPEN-1").await.unwrap();
    let (open, result) = (opened.id, opened.results[0].id);

    let admin = app.user_token("root", Role::Administrator, None).await;
    // The owner of soil data (the prefecture's environment bureau) and its reviewer.
    let reviewer = app
        .user_token("shen", Role::Reviewer, Some("eco-env-513400"))
        .await;
    // The county bureau that owes its soil data.
    let officer = app
        .user_token("hui", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    // A reader of another department: the water bureau.
    let reader = app
        .user_token("shui", Role::Viewer, Some("water-513400"))
        .await;

    // Soil data is shared on conditions (an administrator's edit of the seeded entry).
    let (_, all) = send(&app, "GET", &reader, "/api/v1/catalogue", None).await;
    let all: Value = serde_json::from_str(&all).unwrap();
    // Every entry says its owner, level, fields, update frequency and access methods.
    for e in all.as_array().unwrap() {
        assert!(
            e["owner_department"].as_str().unwrap().ends_with("-513400"),
            "{e}"
        );
        assert!(!e["fields"].as_array().unwrap().is_empty(), "{e}");
        assert!(!e["update_frequency"].as_str().unwrap().is_empty(), "{e}");
        assert!(!e["access_methods"].as_array().unwrap().is_empty(), "{e}");
    }
    let mut soil = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "soil_quality")
        .unwrap()
        .clone();
    soil["sharing_level"] = json!("conditional");
    soil["reason"] = json!("土壤详查数据有条件共享");
    json_of(&app, "PUT", &admin, "/api/v1/catalogue/soil_quality", soil).await;

    // --- The medium of a submitted file must be of the campaign's data kind. ---
    let c = json_of(
        &app,
        "POST",
        &reviewer,
        "/api/v1/submission-campaigns",
        json!({"year": 2020, "data_kind": "soil_quality", "departments": ["eco-env-513402"]}),
    )
    .await;
    let (_, subs) = send(
        &app,
        "GET",
        &reviewer,
        &format!(
            "/api/v1/submissions?year=2020&data_kind={}",
            c["data_kind"].as_str().unwrap()
        ),
        None,
    )
    .await;
    let subs: Value = serde_json::from_str(&subs).unwrap();
    let sub = subs["submissions"][0]["id"].as_i64().unwrap();
    app.bearer = Some(officer.clone());
    let upload_uri = format!("/api/v1/submissions/{sub}/uploads");
    let mixed = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
                 SUB-1,土壤,2020-08-01,513402,水田,镉,0.45,mg/kg\n\
                 GW-1,地下水,2020-08-01,513402,,镉,0.001,mg/L\n";
    let (status, r) = app
        .post_multipart(
            &upload_uri,
            &[("file", Some("mixed.csv"), mixed.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["outcome"], "rejected");
    assert_eq!(r["submission"]["status"], "owed");
    let issues = r["report"]["issues"].as_array().unwrap();
    let medium = issues
        .iter()
        .find(|i| i["rule"] == "medium")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(medium["row"], 3, "{medium}");
    assert_eq!(medium["value"], "地下水", "{medium}");
    let text = medium.to_string();
    assert!(
        text.contains("groundwater") && text.contains("不属于本次报送的数据类别"),
        "bilingual, naming the medium found: {text}"
    );
    assert!(store.get_sample("SUB-1").await.is_err(), "nothing stored");
    assert!(store.get_sample("GW-1").await.is_err(), "nothing stored");
    // A file imported before for the department, offered to the submission: its media are
    // checked too.
    let gw = "样品编号,样品类型,采样日期,行政区划代码,检测项目,检测值,单位\n\
              GW-2,地下水,2020-08-01,513402,镉,0.001,mg/L\n";
    app.bearer = Some(admin.clone());
    let (status, r) = app
        .post_multipart(
            "/api/v1/imports",
            &[
                ("file", Some("gw.csv"), gw.as_bytes()),
                ("department", None, b"eco-env-513402"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    app.bearer = Some(officer.clone());
    let (status, r) = app
        .post_multipart(
            &upload_uri,
            &[("file", Some("gw.csv"), gw.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("GW-2") && msg.contains("groundwater") && msg.contains("地下水"),
        "{msg}"
    );
    let (_, s) = send(
        &app,
        "GET",
        &officer,
        &format!("/api/v1/submissions/{sub}"),
        None,
    )
    .await;
    assert!(s.contains("\"status\":\"owed\""), "not linked: {s}");

    let soil_only = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
                     SUB-1,土壤,2020-08-01,513402,水田,镉,0.45,mg/kg\n";
    let (status, r) = app
        .post_multipart(
            &upload_uri,
            &[("file", Some("soil.csv"), soil_only.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["submission"]["status"], "received");
    let pending = store.get_sample("SUB-1").await.unwrap().id;

    // --- Without a grant: every path refuses OPEN-1 or leaves it out. ---
    for (uri, refused) in paths(open, result) {
        let (status, body) = send(&app, "GET", &reader, &uri, None).await;
        match refused {
            Some(s) => assert_eq!(status, s, "{uri}: {body}"),
            None => {
                assert_eq!(status, StatusCode::OK, "{uri}: {body}");
                assert!(!body.contains("OPEN-1"), "{uri} withholds OPEN-1: {body}");
            }
        }
    }
    // The OGC layer counts only what the reader sees: not OPEN-1 (soil, no grant), not SUB-1
    // (not accepted); GW-2 (groundwater, shared unconditionally).
    assert_eq!(
        ogc_samples(&app, &reader).await,
        (1, vec!["GW-2".to_owned()])
    );
    // The county bureau sees its own submission and the groundwater, not other soil data.
    assert_eq!(
        ogc_samples(&app, &officer).await,
        (2, vec!["GW-2".to_owned(), "SUB-1".to_owned()])
    );
    // The refusal says how to ask.
    let (_, body) = send(
        &app,
        "GET",
        &reader,
        &format!("/api/v1/samples/{open}"),
        None,
    )
    .await;
    assert!(
        body.contains("eco-env-513400") && body.contains("request access"),
        "{body}"
    );

    // --- A grant: the water bureau asks, the owner's reviewer grants. ---
    let r = json_of(
        &app,
        "POST",
        &reader,
        "/api/v1/catalogue/soil_quality/requests",
        json!({"purpose": "灌区水土联合评估"}),
    )
    .await;
    let grant = r["id"].as_i64().unwrap();
    json_of(
        &app,
        "POST",
        &reviewer,
        &format!("/api/v1/access-requests/{grant}/decision"),
        json!({"decision": "grant"}),
    )
    .await;
    for (uri, _) in paths(open, result) {
        let (status, body) = send(&app, "GET", &reader, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        if !uri.contains("format=xlsx") && !uri.contains("evaluation") {
            assert!(body.contains("OPEN-1"), "{uri} shows OPEN-1: {body}");
        }
        // The submission is not accepted: its data stays with its department and reviewers.
        assert!(!body.contains("SUB-1"), "{uri} hides SUB-1: {body}");
    }
    assert_eq!(
        ogc_samples(&app, &reader).await,
        (2, vec!["GW-2".to_owned(), "OPEN-1".to_owned()]),
        "granted soil data, the submission still pending"
    );
    // The reviewer sees everything, pending submissions included.
    assert_eq!(ogc_samples(&app, &reviewer).await.0, 3);
    for uri in [
        format!("/api/v1/samples/{pending}"),
        format!("/samples/{pending}"),
        format!("/ogc/collections/samples/items/{pending}"),
    ] {
        let (status, body) = send(&app, "GET", &reader, &uri, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
    }
    let (_, body) = send(
        &app,
        "GET",
        &reader,
        &format!("/api/v1/samples/{pending}"),
        None,
    )
    .await;
    assert!(body.contains("not accepted yet"), "{body}");
    // The reviewer sees it to review it.
    let (status, body) = send(
        &app,
        "GET",
        &reviewer,
        &format!("/api/v1/samples/{pending}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The county bureau reads what it submitted, though soil data is conditional and it holds
    // no grant; other soil data stays refused to it.
    let (status, body) = send(
        &app,
        "GET",
        &officer,
        &format!("/api/v1/samples/{pending}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(&app, "GET", &officer, "/api/v1/samples", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("SUB-1") && !body.contains("OPEN-1"), "{body}");
    let (status, _) = send(
        &app,
        "GET",
        &officer,
        &format!("/api/v1/samples/{open}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // --- Accepted: now those the catalogue grants see it. ---
    json_of(
        &app,
        "POST",
        &reviewer,
        &format!("/api/v1/submissions/{sub}/review"),
        json!({"decision": "accept"}),
    )
    .await;
    for uri in [
        "/api/v1/samples".to_owned(),
        "/api/v1/results?format=csv".to_owned(),
        "/samples".to_owned(),
        "/ogc/collections/samples/items".to_owned(),
        format!("/api/v1/samples/{pending}"),
        format!("/samples/{pending}"),
    ] {
        let (status, body) = send(&app, "GET", &reader, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(
            body.contains("SUB-1"),
            "{uri} shows SUB-1 once accepted: {body}"
        );
    }
    assert_eq!(
        ogc_samples(&app, &reader).await,
        (
            3,
            vec!["GW-2".to_owned(), "OPEN-1".to_owned(), "SUB-1".to_owned()]
        ),
        "accepted"
    );
    // Revoked: refused again.
    json_of(
        &app,
        "POST",
        &reviewer,
        &format!("/api/v1/access-requests/{grant}/decision"),
        json!({"decision": "revoke", "note": "评估结束"}),
    )
    .await;
    let (status, _) = send(
        &app,
        "GET",
        &reader,
        &format!("/api/v1/samples/{pending}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // --- The log: who, what, when, which path, how many rows. ---
    let (_, log) = send(
        &app,
        "GET",
        &admin,
        "/api/v1/data-access-log?dataset=soil_quality&limit=1000",
        None,
    )
    .await;
    let log: Value = serde_json::from_str(&log).unwrap();
    let mine: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["actor"] == "shui")
        .collect();
    let entry = |path: &str, outcome: &str| -> Vec<i64> {
        mine.iter()
            .filter(|a| a["path"] == path && a["outcome"] == outcome)
            .map(|a| a["row_count"].as_i64().unwrap())
            .collect()
    };
    for (uri, _) in paths(open, result) {
        let path = log_path(&uri);
        assert!(
            !entry(&path, "denied").is_empty(),
            "{path}: a denied read logged: {mine:?}"
        );
        let ok = entry(&path, "ok");
        assert!(!ok.is_empty(), "{path}: a granted read logged: {mine:?}");
    }
    // Rows, counted by hand: before acceptance OPEN-1 only (1 sample, 2 results); after it
    // SUB-1 too (1 more sample, 1 more result).
    assert_eq!(entry("GET /api/v1/samples", "ok"), vec![2, 1]);
    assert_eq!(entry("GET /api/v1/results?format=csv", "ok"), vec![3, 2]);
    assert_eq!(entry(&format!("GET /api/v1/samples/{open}"), "ok"), vec![1]);
    assert_eq!(entry("GET /points/RP-1", "ok"), vec![2, 1]);
    assert_eq!(entry("GET /api/v1/exports/samples.csv", "ok"), vec![1]);
    assert_eq!(entry("GET /api/v1/samples", "denied"), vec![0]);
    let denied = mine
        .iter()
        .find(|a| a["path"] == format!("GET /api/v1/samples/{open}") && a["outcome"] == "denied")
        .unwrap();
    assert_eq!(denied["department"], "water-513400");
    assert!(
        chrono::DateTime::parse_from_rfc3339(denied["at"].as_str().unwrap()).is_ok(),
        "when: {denied}"
    );
    assert!(mine
        .iter()
        .any(|a| a["basis"] == format!("grant {grant}") && a["outcome"] == "ok"));
    assert!(
        log.as_array().unwrap().iter().any(|a| a["actor"] == "hui"
            && a["path"] == format!("GET /api/v1/samples/{pending}")
            && a["basis"] == "own submission"
            && a["row_count"] == 1),
        "{log}"
    );
    app.finish().await;
}

#[tokio::test]
async fn read_checks_on_sqlite() {
    walk(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn read_checks_on_postgres() {
    if let Some(app) = TestApp::postgres("web_read_checks").await {
        walk(app).await;
    }
}
