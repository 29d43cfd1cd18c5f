//! The sharing catalogue (issue 9) through the router, on SQLite and PostgreSQL: the catalogue
//! for the public and for users, conditional access requested, granted by the owner and
//! revoked, the samples and results lists checked against the grants (rows withheld, a named
//! medium refused), every read of non-public data logged with its rows, entries edited with
//! their versions kept.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::{conformance, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn send(
    app: &TestApp,
    method: &str,
    token: Option<&str>,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
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
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["code"]
                .as_str()
                .or(s["sample_code"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    c.sort();
    c.dedup();
    c
}

async fn walk(app: TestApp) {
    let store = app.store.as_ref();
    store
        .insert_samples(
            &[
                conformance::sample(
                    "S-1",
                    None,
                    "513402",
                    Medium::Soil,
                    "2024-06-01",
                    &[("Cd", "0.3")],
                ),
                conformance::sample(
                    "A-1",
                    None,
                    "513402",
                    Medium::AgriculturalProduct,
                    "2024-06-01",
                    &[("Cd", "0.1")],
                ),
            ],
            &ChangeMeta::new("t", "fixture"),
        )
        .await
        .unwrap();
    let viewer = app
        .user_token("kan", Role::Viewer, Some("eco-env-513400"))
        .await;
    let owner = app
        .user_token("nong", Role::DataOfficer, Some("agri-513400"))
        .await;
    let stranger = app
        .user_token("huan", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let admin = app.user_token("root", Role::Administrator, None).await;

    // The agriculture bureau shares its product data on conditions only (an administrator's
    // edit of the seeded entry, which shares it unconditionally).
    let (_, all) = send(&app, "GET", Some(&viewer), "/api/v1/catalogue", None).await;
    let mut agri = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "agricultural_product")
        .unwrap()
        .clone();
    assert_eq!(agri["sharing_level"], "unconditional");
    agri["sharing_level"] = json!("conditional");
    agri["reason"] = json!("涉及农产品质量安全，改为有条件共享");
    let (status, e) = send(
        &app,
        "PUT",
        Some(&admin),
        "/api/v1/catalogue/agricultural_product",
        Some(agri),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(
        (&e["version"], &e["sharing_level"]),
        (&json!(2), &json!("conditional"))
    );

    // The catalogue: the public sees the public entries only.
    let (_, public) = send(&app, "GET", None, "/api/v1/catalogue", None).await;
    let (_, all) = send(&app, "GET", Some(&viewer), "/api/v1/catalogue", None).await;
    let public = public.as_array().unwrap();
    assert!(!public.is_empty() && public.iter().all(|e| e["public"] == true));
    assert!(all.as_array().unwrap().len() > public.len());
    assert!(!public
        .iter()
        .any(|e| e["dataset"] == "agricultural_product"));

    // Without a grant the agricultural products are withheld, and refused when asked for.
    let (status, list) = send(&app, "GET", Some(&viewer), "/api/v1/samples", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&list), vec!["S-1"]);
    let (status, list) = send(&app, "GET", Some(&viewer), "/api/v1/results", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&list), vec!["S-1"]);
    let (status, e) = send(
        &app,
        "GET",
        Some(&viewer),
        "/api/v1/samples?medium=agricultural_product",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("agri-513400"));
    // The owner reads both.
    let (_, list) = send(&app, "GET", Some(&owner), "/api/v1/samples", None).await;
    assert_eq!(codes(&list), vec!["A-1", "S-1"]);

    // A request with a purpose; only the owner decides.
    let (status, r) = send(
        &app,
        "POST",
        Some(&viewer),
        "/api/v1/catalogue/agricultural_product/requests",
        Some(json!({"purpose": "受污染耕地安全利用率核算"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    let uri = format!("/api/v1/access-requests/{id}/decision");
    let (status, _) = send(
        &app,
        "POST",
        Some(&stranger),
        &uri,
        Some(json!({"decision": "grant"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, g) = send(
        &app,
        "POST",
        Some(&owner),
        &uri,
        Some(json!({"decision": "grant", "note": "仅限核算"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "granted");
    let (_, list) = send(&app, "GET", Some(&viewer), "/api/v1/samples", None).await;
    assert_eq!(codes(&list), vec!["A-1", "S-1"]);
    let (status, list) = send(
        &app,
        "GET",
        Some(&viewer),
        "/api/v1/results?medium=agricultural_product",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&list), vec!["A-1"]);
    // Revoked: withheld again.
    let (status, _) = send(
        &app,
        "POST",
        Some(&owner),
        &uri,
        Some(json!({"decision": "revoke", "note": "核算完成"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = send(&app, "GET", Some(&viewer), "/api/v1/samples", None).await;
    assert_eq!(codes(&list), vec!["S-1"]);

    // The log: who read which dataset through which path, how many rows, on what basis.
    let (status, _) = send(&app, "GET", Some(&viewer), "/api/v1/data-access-log", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, log) = send(
        &app,
        "GET",
        Some(&admin),
        "/api/v1/data-access-log?dataset=agricultural_product",
        None,
    )
    .await;
    let log = log.as_array().unwrap();
    let kan: Vec<(String, i64, String)> = log
        .iter()
        .filter(|a| a["actor"] == "kan")
        .map(|a| {
            (
                a["outcome"].as_str().unwrap().to_owned(),
                a["row_count"].as_i64().unwrap(),
                a["basis"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kan.len(), 6, "{log:?}");
    assert_eq!(
        kan[1],
        ("ok".to_owned(), 1, format!("grant {id}")),
        "results of the granted medium"
    );
    assert_eq!(kan[2], ("ok".to_owned(), 1, format!("grant {id}")));
    assert!(kan[0].0 == "denied" && kan[0].1 == 0);
    assert!(log.iter().any(
        |a| a["path"] == "GET /api/v1/samples?medium=agricultural_product"
            && a["outcome"] == "denied"
    ));

    // Administrators edit the catalogue; the previous version is kept.
    let (_, soil) = send(&app, "GET", Some(&viewer), "/api/v1/catalogue", None).await;
    let mut soil = soil
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "soil_quality")
        .unwrap()
        .clone();
    soil["sharing_level"] = json!("none");
    soil["reason"] = json!("整改期间暂停共享");
    let (status, _) = send(
        &app,
        "PUT",
        Some(&viewer),
        "/api/v1/catalogue/soil_quality",
        Some(soil.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = send(
        &app,
        "PUT",
        Some(&admin),
        "/api/v1/catalogue/soil_quality",
        Some(soil),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["version"], 2);
    let (_, list) = send(&app, "GET", Some(&owner), "/api/v1/samples", None).await;
    assert_eq!(
        codes(&list),
        vec!["A-1"],
        "the agriculture bureau sees its own products but no soil now"
    );
    let (_, list) = send(&app, "GET", Some(&viewer), "/api/v1/samples", None).await;
    assert_eq!(
        codes(&list),
        vec!["S-1"],
        "the owner department (eco-env-513400) still does"
    );
    let (_, h) = send(
        &app,
        "GET",
        Some(&viewer),
        "/api/v1/catalogue/soil_quality/history",
        None,
    )
    .await;
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["reason"], "整改期间暂停共享");

    let (status, _, html) = app.get("/catalogue").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the page needs sign-in");
    let mut app = app;
    app.bearer = Some(viewer);
    let (status, _, html2) = app.get("/catalogue").await;
    assert_eq!(status, StatusCode::OK);
    let html2 = String::from_utf8(html2).unwrap();
    assert!(html2.contains("农产品质量监测数据") && html2.contains("已撤销"));
    drop(html);
    app.finish().await;
}

#[tokio::test]
async fn catalogue_on_sqlite() {
    walk(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn catalogue_on_postgres() {
    if let Some(app) = TestApp::postgres("web_catalogue").await {
        walk(app).await;
    }
}
