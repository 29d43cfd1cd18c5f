//! The exceedance-class filter of `GET /api/v1/samples` and `/results` (issue 5) through the
//! router, on generated demo data: every soil sample the filter returns for a class has that
//! class in its own `GET /api/v1/samples/{id}/evaluation`, and every evaluated sample is found
//! under its class; bad values are refused naming the parameter. SQLite always, PostgreSQL when
//! `SOILWATCH_TEST_PG` is set.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::Role;
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

const CLASSES: [&str; 3] = ["below_screening", "above_screening", "above_intervention"];

/// The class an evaluation gives, in the filter's terms.
fn class_of(evaluation: &Value) -> Option<&'static str> {
    match evaluation["class"].as_str()? {
        "priority_protection" | "below_screening" => Some(CLASSES[0]),
        "safe_utilization" | "above_screening" => Some(CLASSES[1]),
        "strict_control" | "above_intervention" => Some(CLASSES[2]),
        other => panic!("unexpected class {other}"),
    }
}

/// Every page of a find query, followed through `X-Next-Cursor`.
async fn all_ids(app: &TestApp, uri: &str, key: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut next = uri.to_owned();
    loop {
        let res = app
            .router
            .clone()
            .oneshot(
                Request::get(&next)
                    .header(
                        "authorization",
                        format!("Bearer {}", app.bearer.clone().unwrap()),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{next}");
        let cursor = res
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let items: Vec<Value> = serde_json::from_slice(&body).unwrap();
        out.extend(items.iter().map(|i| i[key].as_i64().unwrap()));
        match cursor {
            Some(c) => next = format!("{uri}&cursor={c}"),
            None => return out,
        }
    }
}

async fn check(app: &mut TestApp) {
    app.sign_in_as(Role::Viewer).await;
    demo::load(
        app.store.as_ref(),
        &DemoOptions {
            points: 60,
            years: 3,
            ..DemoOptions::default()
        },
    )
    .await
    .unwrap();

    // Each soil sample's class from its own evaluation endpoint.
    let mut expected: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let soil = all_ids(app, "/api/v1/samples?medium=soil&limit=50", "id").await;
    assert!(soil.len() > 50, "demo soil samples: {}", soil.len());
    for id in &soil {
        let (status, ev) = app
            .get_json(&format!("/api/v1/samples/{id}/evaluation"))
            .await;
        let ev = if status == StatusCode::UNPROCESSABLE_ENTITY {
            // Not farmland: GB 36600, first-class land.
            let (status, ev) = app
                .get_json(&format!(
                    "/api/v1/samples/{id}/evaluation?ruleset=gb36600-2018&land_class=1"
                ))
                .await;
            assert_eq!(status, StatusCode::OK, "{ev}");
            ev
        } else {
            assert_eq!(status, StatusCode::OK, "{ev}");
            ev
        };
        if let Some(c) = class_of(&ev["evaluation"]) {
            expected.entry(c).or_default().insert(*id);
        }
    }
    assert!(
        expected.len() >= 2,
        "the demo should have samples in several classes: {expected:?}"
    );
    for c in CLASSES {
        let found: BTreeSet<i64> = all_ids(
            app,
            &format!("/api/v1/samples?exceedance={c}&limit=50"),
            "id",
        )
        .await
        .into_iter()
        .collect();
        assert_eq!(
            found,
            expected.get(c).cloned().unwrap_or_default(),
            "samples in class {c}"
        );
    }

    // Results of Cd above the screening value: each one's item in its sample's evaluation.
    let cd = all_ids(
        app,
        "/api/v1/results?analyte=镉&exceedance=above_screening,above_intervention&limit=50",
        "result_id",
    )
    .await;
    assert!(!cd.is_empty());
    let (_, rows) = app
        .get_json(
            "/api/v1/results?analyte=Cd&exceedance=above_screening,above_intervention&limit=10000",
        )
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), cd.len());
    for r in rows {
        assert_eq!(r["result"]["analyte"], "Cd", "{r}");
        assert_eq!(r["medium"], "soil");
        let sid = r["sample_id"].as_i64().unwrap();
        let (_, ev) = app
            .get_json(&format!("/api/v1/samples/{sid}/evaluation"))
            .await;
        let ev = if ev["evaluation"].is_null() {
            app.get_json(&format!(
                "/api/v1/samples/{sid}/evaluation?ruleset=gb36600-2018"
            ))
            .await
            .1
        } else {
            ev
        };
        let item = ev["evaluation"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["analyte"] == "Cd")
            .unwrap();
        assert_eq!(item["exceeds_screening"], true, "{item}");
    }

    // CSV with the filter; refused values name the parameter.
    let (status, ct, body) = app
        .get("/api/v1/results?analyte=Cd&exceedance=strict_control&f=csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let (status, err) = app.get_json("/api/v1/samples?exceedance=high").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let msg = err.to_string();
    assert!(
        msg.contains("exceedance") && msg.contains("above_intervention"),
        "{msg}"
    );
}

#[tokio::test]
async fn exceedance_filter_agrees_with_the_evaluation_sqlite() {
    let mut app = TestApp::sqlite().await;
    check(&mut app).await;
    app.finish().await;
}

#[tokio::test]
async fn exceedance_filter_agrees_with_the_evaluation_postgres() {
    let Some(mut app) = TestApp::postgres("find_exceedance").await else {
        return;
    };
    check(&mut app).await;
    app.finish().await;
}
