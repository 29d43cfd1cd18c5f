//! Local rulesets (地方标准): filed through the API, listed with the national ones, refused when
//! laxer than the national value, and used to evaluate stored samples.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use soilwatch_core::{ChangeMeta, Medium, Unit};
use soilwatch_store::{conformance, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn post(
    app: &TestApp,
    body: serde_json::Value,
    actor: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::post("/api/v1/standards").header("content-type", "application/json");
    if let Some(a) = actor {
        // Signed in as an administrator of that name (created on first use).
        req = req.header("authorization", format!("Bearer {}", app.token_of(a).await));
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn request(id: &str, csv: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "base": "gb15618-2018", "name": "凉山州农用地土壤镉管控值（示例）",
        "version": "2026", "csv": csv, "reason": "州政府文件（测试）"
    })
}

#[tokio::test]
async fn file_list_refuse_and_evaluate() {
    let mut app = TestApp::sqlite().await;
    // Evaluations of stored samples need a signed-in user (issue 7).
    app.sign_in_as(soilwatch_store::Role::Viewer).await;
    // Paddy Cd at 5.5 < pH ≤ 6.5: national screening 0.4; the prefecture sets 0.35. Mn is new.
    let csv = "analyte,land_use,ph_band,land_class,value_type,value,unit,source\n\
               Cd,paddy,5.5-6.5,,screening,0.35,mg/kg,州标准 表1\n\
               Mn,all,,,screening,1500,mg/kg,州标准 表2\n";
    let (status, body) = post(&app, request("liangshan-2026", csv), Some("bureau")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], "liangshan-2026");

    let (_, list) = app.get_json("/api/v1/standards").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "liangshan-2026"));
    let (status, one) = app.get_json("/api/v1/standards/liangshan-2026").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        one.to_string().contains("local"),
        "local values carry their confidence"
    );

    // Laxer than national (paddy Cd 0.5 > 0.4): refused, nothing filed.
    let lax = "analyte,land_use,ph_band,land_class,value_type,value,unit,source\nCd,paddy,5.5-6.5,,screening,0.5,mg/kg,x\n";
    let (status, body) = post(&app, request("lax-2026", lax), Some("bureau")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("0.5") && msg.contains("0.4"), "{msg}");
    let (status, _) = app.get_json("/api/v1/standards/lax-2026").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad requests.
    let (status, _) = post(&app, request("liangshan-2026", csv), Some("bureau")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(&app, request("gb15618-2018", csv), Some("bureau")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(&app, request("Bad Id", csv), Some("bureau")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = post(&app, request("nobody-2026", csv), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A paddy sample with Cd 0.38 at pH 6.0: priority protection nationally (≤ 0.4), above the
    // local screening value 0.35 → safe utilization under the local ruleset.
    let mut s = conformance::sample(
        "L-1",
        None,
        "513401",
        Medium::Soil,
        "2025-05-05",
        &[("Cd", "0.38"), ("pH", "6.0")],
    );
    s.results[1].unit = Unit::Dimensionless;
    app.store
        .insert_samples(&[s], &ChangeMeta::new("t", "fixture"))
        .await
        .unwrap();
    let id = app.store.get_sample("L-1").await.unwrap().id;
    let (_, national) = app
        .get_json(&format!("/api/v1/samples/{id}/evaluation"))
        .await;
    assert_eq!(national["evaluation"]["class"], "priority_protection");
    let (status, local) = app
        .get_json(&format!(
            "/api/v1/samples/{id}/evaluation?ruleset=liangshan-2026"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{local}");
    assert_eq!(local["ruleset"], "liangshan-2026");
    assert_eq!(local["evaluation"]["class"], "safe_utilization");
    let (status, _) = app
        .get_json(&format!(
            "/api/v1/samples/{id}/evaluation?ruleset=nowhere-1"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
