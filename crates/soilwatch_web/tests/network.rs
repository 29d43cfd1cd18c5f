//! Issue 5 through the router: point writes with validation, finding data in every format with
//! cursor paging, coverage, and the pages (point, sample, coverage) on a seeded SQLite app.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Medium, Unit};
use soilwatch_store::{conformance, conformance_network, NetworkStore, Role, Store};
use soilwatch_test_utils::{send, TestApp};
use tower::ServiceExt;

async fn get_with(app: &TestApp, uri: &str, accept: &str) -> (StatusCode, String, String, Vec<u8>) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("accept", accept)
                .header(
                    "authorization",
                    format!("Bearer {}", app.bearer.clone().unwrap_or_default()),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, ct, next) = (res.status(), h("content-type"), h("x-next-cursor"));
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, next, body)
}

/// Inside 会理市 (513402).
async fn huili_location(app: &TestApp) -> (f64, f64) {
    let p = conformance_network::point_inside(app.store.as_ref(), "X", "513402", 0.0).await;
    (p.point.location.lon(), p.point.location.lat())
}

#[tokio::test]
async fn points_are_created_validated_moved_and_retired() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(Role::Viewer).await;
    let (lon, lat) = huili_location(&app).await;
    let body = json!({
        "code": "HL-R-001", "name": "会理铅锌矿周边", "point_type": "风险点",
        "control_level": "省控", "division": "513402", "lon": lon, "lat": lat,
        "land_use": "0103", "risk_category": "矿区", "watched_enterprise": "ENT-1",
        "established_on": "2019-04-01"
    });
    // Not signed in: 401.
    let (status, err) = send(&app, "POST", "/api/v1/points", None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"]["code"], "unauthorized");
    let (status, created) = send(&app, "POST", "/api/v1/points", Some("alice"), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["risk_category"], "mining_area");
    assert_eq!(created["point_type"], "risk");
    assert_eq!(created["version"], 1);
    let (status, _) = send(&app, "POST", "/api/v1/points", Some("alice"), body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Outside the county: 422 naming the field.
    let mut outside = body.clone();
    outside["code"] = json!("HL-R-002");
    outside["division"] = json!("513401");
    let (status, err) = send(&app, "POST", "/api/v1/points", Some("alice"), outside).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("location") && msg.contains("西昌市"), "{msg}");
    // Several bad fields: every one named.
    let mut bad = body.clone();
    bad["code"] = json!("HL-R-003");
    bad["point_type"] = json!("moon");
    bad["control_level"] = json!("galactic");
    bad["established_on"] = json!("2019-13-01");
    let (status, err) = send(&app, "POST", "/api/v1/points", Some("alice"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = err["error"]["message"].as_str().unwrap();
    for f in ["point_type", "control_level", "established_on"] {
        assert!(
            msg.contains(&format!("字段 {f} / field {f}")),
            "{f} in {msg}"
        );
    }
    let mut cat = body.clone();
    cat["code"] = json!("HL-R-004");
    cat["risk_category"] = json!("moon base");
    let (status, err) = send(&app, "POST", "/api/v1/points", Some("alice"), cat).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("risk_category"));
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/points",
        Some("alice"),
        json!({"name": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Move: a reason is required; the old location stays in history.
    let mut moved = body.clone();
    moved["lon"] = json!(lon + 0.001);
    let (status, err) = send(
        &app,
        "PUT",
        "/api/v1/points/HL-R-001",
        Some("bob"),
        moved.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["error"]["message"].as_str().unwrap().contains("reason"));
    moved["reason"] = json!("原址施工，点位迁移");
    let (status, rec) = send(&app, "PUT", "/api/v1/points/HL-R-001", Some("bob"), moved).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert_eq!(rec["version"], 2);
    assert!(rec["moved_on"].is_string());
    let (_, history) = app.get_json("/api/v1/points/HL-R-001/history").await;
    assert_eq!(history[0]["actor"], "alice");
    assert_eq!(history[1]["actor"], "bob");
    assert!((history[0]["data"]["location"][0].as_f64().unwrap() - lon).abs() < 1e-9);
    let mut nope = body.clone();
    nope["reason"] = json!("x");
    let (status, _) = send(&app, "PUT", "/api/v1/points/NOPE", Some("bob"), nope).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Retire, once.
    let retire = json!({"reason": "矿山关闭", "retired_on": "2025-06-30"});
    let (status, rec) = send(
        &app,
        "POST",
        "/api/v1/points/HL-R-001/retire",
        Some("bob"),
        retire.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert_eq!(rec["retired_on"], "2025-06-30");
    let (status, _) = send(
        &app,
        "POST",
        "/api/v1/points/HL-R-001/retire",
        Some("bob"),
        retire,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, active) = app.get_json("/api/v1/points?status=active").await;
    assert_eq!(active.as_array().unwrap().len(), 0);
    let (_, retired) = app
        .get_json("/api/v1/points?status=retired&type=risk&risk_category=矿区")
        .await;
    assert_eq!(retired.as_array().unwrap().len(), 1);
    let (_, cats) = app.get_json("/api/v1/network/risk-categories").await;
    assert!(cats
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name_cn"] == "加油站"));
}

async fn fixture(app: &TestApp) {
    let store = app.store.as_ref();
    let mut a = conformance_network::point_inside(store, "LS-A", "513402", 0.0).await;
    a.point.land_use = Some("0101".parse().unwrap());
    let b = conformance_network::point_inside(store, "LS-B", "513401", 0.0).await;
    store
        .create_points(&[a, b], &ChangeMeta::new("tester", "fixture"))
        .await
        .unwrap();
    let mut batch = Vec::new();
    for (i, (date, cd)) in [
        ("2019-05-01", "0.25"),
        ("2021-05-01", "0.45"),
        ("2025-05-01", "0.61"),
    ]
    .iter()
    .enumerate()
    {
        let mut s = conformance::sample(
            &format!("S-A-{i}"),
            Some("LS-A"),
            "513402",
            Medium::Soil,
            date,
            &[("Cd", cd), ("pH", "6.0"), ("Pb", "40")],
        );
        s.results[1].unit = Unit::Dimensionless;
        batch.push(s);
    }
    batch.push(conformance::sample(
        "S-B-0",
        Some("LS-B"),
        "513401",
        Medium::Soil,
        "2020-05-01",
        &[("Cd", "0.1")],
    ));
    store
        .insert_samples(&batch, &ChangeMeta::new("tester", "fixture"))
        .await
        .unwrap();
}

#[tokio::test]
async fn results_in_every_format_with_stable_cursor_paging() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(Role::Viewer).await;
    fixture(&app).await;
    // JSON, filtered by alias, year range and county.
    let (status, rows) = app
        .get_json("/api/v1/results?analyte=镉&division=513402&from=2020-01-01&to=2025-12-31")
        .await;
    assert_eq!(status, StatusCode::OK);
    let vals: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"]["value"].as_str().unwrap())
        .collect();
    assert_eq!(vals, ["0.45", "0.61"]);
    assert_eq!(rows[0]["point_code"], "LS-A");
    let (_, y) = app.get_json("/api/v1/results?analyte=Cd&year=2019").await;
    assert_eq!(y.as_array().unwrap().len(), 1);
    let (_, s) = app
        .get_json("/api/v1/samples?point_code=LS-A&sort=-sampled_on")
        .await;
    assert_eq!(s[0]["code"], "S-A-2");
    let (_, s) = app.get_json("/api/v1/samples?sample_code=S-B-0").await;
    assert_eq!(s.as_array().unwrap().len(), 1);
    for bad in [
        "/api/v1/results?bbox=1,2,3",
        "/api/v1/results?sort=value",
        "/api/v1/results?f=pdf",
        "/api/v1/points?type=moon",
        "/api/v1/samples?control_level=x",
        "/api/v1/results?limit=0",
    ] {
        let (status, body) = app.get_json(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, body) = app.get_json("/api/v1/results?cursor=zzz").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // CSV with BOM, by ?f= and by Accept.
    let (status, ct, _, body) = get_with(&app, "/api/v1/results?f=csv&analyte=Cd", "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("结果编号(result_id),"));
    assert_eq!(lines.count(), 4);
    let (_, ct, _, _) = get_with(&app, "/api/v1/points", "text/csv").await;
    assert!(ct.starts_with("text/csv"));
    // GeoJSON.
    let (_, ct, _, body) = get_with(&app, "/api/v1/points?f=geojson", "*/*").await;
    assert_eq!(ct, "application/geo+json");
    let fc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 2);
    assert_eq!(fc["features"][0]["geometry"]["type"], "Point");
    assert_eq!(fc["features"][0]["properties"]["code"], "LS-A");
    let (_, ct, _, _) = get_with(&app, "/api/v1/samples", "application/geo+json").await;
    assert_eq!(ct, "application/geo+json");
    // XLSX (a zip).
    let (_, ct, _, body) = get_with(&app, "/api/v1/results?f=xlsx", "*/*").await;
    assert!(ct.contains("spreadsheetml"));
    assert!(body.starts_with(b"PK"));

    // Paging by cursor, with an insert between pages: every row once.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/results?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let (status, _, next, body) = get_with(&app, &uri, "application/json").await;
        assert_eq!(status, StatusCode::OK);
        let rows: Value = serde_json::from_slice(&body).unwrap();
        seen.extend(
            rows.as_array()
                .unwrap()
                .iter()
                .map(|r| r["result_id"].as_i64().unwrap()),
        );
        pages += 1;
        if pages == 1 {
            app.store
                .insert_samples(
                    &[conformance::sample(
                        "S-NEW",
                        None,
                        "513401",
                        Medium::Soil,
                        "2018-01-01",
                        &[("Cd", "0.2")],
                    )],
                    &ChangeMeta::new("tester", "while paging"),
                )
                .await
                .unwrap();
        }
        if next.is_empty() {
            break;
        }
        uri = format!("/api/v1/results?limit=3&cursor={next}");
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert_eq!(
        seen.len(),
        11,
        "ten rows, one inserted while paging: {seen:?}"
    );
}

#[tokio::test]
async fn coverage_and_pages() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(Role::Viewer).await;
    fixture(&app).await;
    let (status, cov) = app.get_json("/api/v1/network/coverage?years=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cov["total_points"], 2);
    assert_eq!(cov["counties"].as_array().unwrap().len(), 17);
    // LS-B's only sample is from 2020: stale for 3 years.
    let stale: Vec<&str> = cov["stale_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["LS-B"]);
    let (status, _) = app.get_json("/api/v1/network/coverage?years=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, ct, body) = app.get("/network/coverage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("监测网络覆盖情况"));
    assert!(html.contains("<svg") && html.contains("会理市") && html.contains("木里藏族自治县"));
    assert!(html.contains("LS-B"));
    assert!(
        !html.contains("演示数据："),
        "no demo banner without demo data"
    );

    let (status, _, body) = app.get("/points/LS-A").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("镉 Cd"));
    assert!(html.contains("筛选值"), "GB 15618 screening value drawn");
    assert!(html.contains("S-A-2"));
    assert!(html.contains("<polyline"));
    let (status, _, _) = app.get("/points/NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let s = app.store.get_sample("S-A-2").await.unwrap();
    let (status, _, body) = app.get(&format!("/samples/{}", s.id)).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    // Cd 0.61 in paddy at pH 6.0 is above the screening value 0.4: safe utilization.
    assert!(html.contains("安全利用类"), "evaluation shown");
    assert!(html.contains("0.61"));
    assert!(
        html.contains("tester") && html.contains("fixture"),
        "provenance shown"
    );
    // The JSON evaluation endpoint gives the same class.
    let (_, ev) = app
        .get_json(&format!("/api/v1/samples/{}/evaluation", s.id))
        .await;
    assert_eq!(ev["evaluation"]["class"], "safe_utilization");
}

#[tokio::test]
async fn demo_banner_shows_when_demo_points_exist() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(Role::Viewer).await;
    let mut p =
        conformance_network::point_inside(app.store.as_ref(), "DEMO-X-1", "513401", 0.0).await;
    p.point.code = "DEMO-X-1".into();
    app.store
        .create_point(&p, &ChangeMeta::new("demo", "demo"))
        .await
        .unwrap();
    assert!(app.store.has_demo_data().await.unwrap());
    let (_, _, body) = app.get("/points/DEMO-X-1").await;
    assert!(String::from_utf8(body).unwrap().contains("演示数据："));
    let (_, _, body) = app.get("/network/coverage").await;
    assert!(String::from_utf8(body).unwrap().contains("演示数据："));
}

#[tokio::test]
async fn the_same_finding_on_postgres() {
    let Some(mut app) = TestApp::postgres("web_network").await else {
        return;
    };
    app.sign_in_as(Role::Viewer).await;
    fixture(&app).await;
    let mut lite = TestApp::sqlite().await;
    lite.sign_in_as(Role::Viewer).await;
    fixture(&lite).await;
    for uri in [
        "/api/v1/results?analyte=Cd&division=513400&sort=sampled_on",
        "/api/v1/samples?point_code=LS-A",
        "/api/v1/points?f=geojson",
    ] {
        let (_, _, _, pg) = get_with(&app, uri, "application/json").await;
        let (_, _, _, sl) = get_with(&lite, uri, "application/json").await;
        let pg: Value = serde_json::from_slice(&pg).unwrap();
        let sl: Value = serde_json::from_slice(&sl).unwrap();
        assert_eq!(pg, sl, "{uri}");
    }
    let (status, _) = app.get_json("/api/v1/network/coverage").await;
    assert_eq!(status, StatusCode::OK);
    app.finish().await;
}
