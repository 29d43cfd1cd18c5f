//! Exchange packages through the API (issue 9): a county instance on SQLite serves
//! `GET /api/v1/packages?year=&county=`, a prefecture instance (PostgreSQL when
//! `SOILWATCH_TEST_PG` is set, else a second SQLite file) loads it with `POST /api/v1/packages`:
//! counts and every value match; a tampered or truncated package is refused with a bilingual
//! error and nothing stored; the same package again changes nothing. Who may download and load.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use soilwatch_core::{ChangeMeta, Department, DivisionLevel, Medium};
use soilwatch_store::{conformance, conformance_network, ImportStore, NetworkStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn call(
    app: &TestApp,
    method: &str,
    token: &str,
    uri: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Vec<u8>) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/zip")
                .body(Body::from(body))
                .unwrap(),
        )
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

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// A sample's results in the order of their analytes (every field compared).
fn results(s: &soilwatch_store::StoredSample) -> Vec<soilwatch_core::AnalysisResult> {
    let mut r: Vec<_> = s.results.iter().map(|r| r.result.clone()).collect();
    r.sort_by(|a, b| a.analyte.cmp(&b.analyte));
    r
}

async fn county_instance() -> TestApp {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
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
    let p = conformance_network::point_inside(store, "PK-P1", "513402", 0.0).await;
    store.create_point(&p, &fixture).await.unwrap();
    let mut water = conformance::sample(
        "PK-2",
        None,
        "513402",
        Medium::Groundwater,
        "2024-03-02",
        &[("Cd", "0.0005"), ("As", "0.004")],
    );
    water.sample.lab = None;
    water.sample.depth_cm = None;
    store
        .insert_samples(
            &[
                conformance::sample(
                    "PK-1",
                    Some("PK-P1"),
                    "513402",
                    Medium::Soil,
                    "2024-07-01",
                    &[("Cd", "0.41"), ("Pb", "35.2"), ("Hg", "0.083")],
                ),
                water,
                conformance::sample(
                    "PK-3",
                    None,
                    "513401",
                    Medium::Soil,
                    "2024-05-05",
                    &[("Cd", "0.2")],
                ),
                conformance::sample(
                    "PK-OLD",
                    Some("PK-P1"),
                    "513402",
                    Medium::Soil,
                    "2023-07-01",
                    &[("Cd", "0.5")],
                ),
            ],
            &fixture,
        )
        .await
        .unwrap();
    app
}

async fn prefecture_instance() -> TestApp {
    match TestApp::postgres("web_packages").await {
        Some(app) => app,
        None => TestApp::sqlite().await,
    }
}

#[tokio::test]
async fn county_downloads_prefecture_uploads() {
    let county = county_instance().await;
    let admin = county.user_token("root", Role::Administrator, None).await;
    let reviewer = county
        .user_token("shen", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let officer = county
        .user_token("hui", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    let viewer = county
        .user_token("kan", Role::Viewer, Some("eco-env-513400"))
        .await;
    let uri = "/api/v1/packages?year=2024&county=513402";

    // Who may download: administrators, reviewers, a data officer for their own area.
    let (status, _, body) = call(&county, "GET", &viewer, uri, Vec::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", json(&body));
    let (status, _, body) = call(
        &county,
        "GET",
        &officer,
        "/api/v1/packages?year=2024&county=513401",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", json(&body));
    let (status, _, body) = call(&county, "GET", &admin, "/api/v1/packages", Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&body).to_string().contains("year"));
    let (status, ct, from_officer) = call(
        &county,
        "GET",
        &officer,
        "/api/v1/packages?year=2024",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", json(&from_officer));
    assert_eq!(ct, "application/zip");
    let (status, _, from_reviewer) = call(&county, "GET", &reviewer, uri, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, bytes) = call(&county, "GET", &admin, uri, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip");
    assert!(!from_reviewer.is_empty() && !from_officer.is_empty());
    // The download is a read of observation data: logged with its rows (PK-1 soil, PK-2
    // groundwater; PK-3 is in another county, PK-OLD of another year).
    let (_, _, log) = call(
        &county,
        "GET",
        &admin,
        "/api/v1/data-access-log?limit=100",
        Vec::new(),
    )
    .await;
    let log = json(&log);
    let mut reads: Vec<(String, String, i64)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["actor"] == "shen" && a["path"] == format!("GET {uri}"))
        .map(|a| {
            (
                a["dataset"].as_str().unwrap().to_owned(),
                a["outcome"].as_str().unwrap().to_owned(),
                a["row_count"].as_i64().unwrap(),
            )
        })
        .collect();
    reads.sort();
    assert_eq!(
        reads,
        vec![
            ("groundwater".into(), "ok".into(), 1),
            ("soil_quality".into(), "ok".into(), 1)
        ]
    );

    let prefecture = prefecture_instance().await;
    let pref_admin = prefecture
        .user_token("root", Role::Administrator, None)
        .await;
    let pref_reviewer = prefecture
        .user_token("shen", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let pref = prefecture.store.as_ref();

    // Loading is for administrators.
    let (status, _, _) = call(
        &prefecture,
        "POST",
        &pref_reviewer,
        "/api/v1/packages",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Tampered (one byte inside) and truncated (half): refused, bilingual, nothing stored.
    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x55;
    for (name, bad) in [
        ("tampered.zip", tampered),
        ("truncated.zip", bytes[..bytes.len() / 2].to_vec()),
    ] {
        let (status, _, body) = call(
            &prefecture,
            "POST",
            &pref_admin,
            &format!("/api/v1/packages?name={name}"),
            bad,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let msg = json(&body)["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            msg.contains("交换包被拒收") && msg.contains("nothing stored"),
            "{name}: {msg}"
        );
        assert_eq!(pref.count_samples().await.unwrap(), 0, "{name}");
        assert!(pref.list_imports(10).await.unwrap().is_empty(), "{name}");
    }

    let (status, _, body) = call(
        &prefecture,
        "POST",
        &pref_admin,
        "/api/v1/packages?name=513402-2024.zip",
        bytes.clone(),
    )
    .await;
    let r = json(&body);
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["outcome"], "imported");
    assert_eq!(
        (
            &r["batch"]["points"],
            &r["batch"]["samples"],
            &r["batch"]["results"]
        ),
        (&Value::from(1), &Value::from(2), &Value::from(5))
    );
    assert_eq!(r["batch"]["file_name"], "513402-2024.zip");
    assert_eq!(r["batch"]["uploader"], "root");

    // Counts and every value match.
    assert_eq!(pref.count_samples().await.unwrap(), 2);
    for code in ["PK-1", "PK-2"] {
        let a = county.store.get_sample(code).await.unwrap();
        let b = pref.get_sample(code).await.unwrap();
        assert_eq!(a.sample, b.sample, "{code}");
        assert_eq!(results(&a), results(&b), "{code}");
    }
    assert_eq!(
        county.store.get_point("PK-P1").await.unwrap(),
        pref.get_point("PK-P1").await.unwrap()
    );
    assert!(pref.get_sample("PK-3").await.is_err(), "another county");
    assert!(pref.get_sample("PK-OLD").await.is_err(), "another year");

    // The same package again, and the same data downloaded again: unchanged.
    let (status, _, body) = call(
        &prefecture,
        "POST",
        &pref_admin,
        "/api/v1/packages",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", json(&body));
    assert_eq!(json(&body)["outcome"], "unchanged");
    let (status, _, body) = call(
        &prefecture,
        "POST",
        &pref_admin,
        "/api/v1/packages",
        from_reviewer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", json(&body));
    assert_eq!(pref.count_samples().await.unwrap(), 2);
    assert_eq!(pref.list_imports(10).await.unwrap().len(), 1);

    // The prefecture passes the year on to the province: every division of its instance.
    let (status, _, whole) = call(
        &prefecture,
        "GET",
        &pref_admin,
        "/api/v1/packages?year=2024",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", json(&whole));
    let province = TestApp::sqlite().await;
    let prov_admin = province.user_token("root", Role::Administrator, None).await;
    let (status, _, body) = call(&province, "POST", &prov_admin, "/api/v1/packages", whole).await;
    assert_eq!(status, StatusCode::CREATED, "{}", json(&body));
    assert_eq!(province.store.count_samples().await.unwrap(), 2);
    let a = county.store.get_sample("PK-1").await.unwrap();
    let c = province.store.get_sample("PK-1").await.unwrap();
    assert_eq!(a.sample, c.sample);
    assert_eq!(results(&a), results(&c));

    county.finish().await;
    prefecture.finish().await;
}
