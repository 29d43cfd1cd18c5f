//! Issue 8: key enterprises' self-monitoring results above the screening values, flagged to the
//! county bureau (`GET /api/v1/enterprises/exceedances`, the page `/enterprises/exceedances`).
//! The numbers are checked by hand against GB 36600-2018 表1 and GB/T 14848-2017 表1:
//!
//! | item | value | column | screening | flagged |
//! |---|---|---|---|---|
//! | Cd (soil) | 66 mg/kg | class 2 | 65 | yes (66 > 65) |
//! | Pb (soil) | 800 mg/kg | class 2 | 800 | no (equal) |
//! | Hg (soil) | 10 mg/kg | class 2 | 38 | no |
//! | As (soil) | not detected, DL 200 (½ DL = 100 > 60) | class 2 | 60 | no (a non-detect) |
//! | Hg (soil, point in a plot planned R2) | 10 mg/kg | class 1 | 8 | yes |
//! | Cd (soil, same) | 20 mg/kg | class 1 | 20 | no (equal) |
//! | Cd (groundwater) | 0.02 mg/L | Ⅳ | 0.01 | yes (class Ⅴ) |
//! | As (groundwater) | 0.05 mg/L | Ⅳ | 0.05 | no (equal: class Ⅳ) |
//! | Pb (groundwater) | 0.03 mg/L | Ⅳ | 0.10 | no (class Ⅳ) |
//!
//! SQLite always, PostgreSQL when `SOILWATCH_TEST_PG` is set.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel, Medium, Qualifier, Unit};
use soilwatch_store::{conformance, conformance_network, NetworkStore, Role, Store};
use soilwatch_test_utils::{send, TestApp};
use tower::ServiceExt;

const E1: &str = "91350100M000100Y43";
const E2: &str = "91513400MA62XXXX05";

fn rows(v: &Value) -> Vec<(String, String, String, String, String)> {
    v["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (
                s("sample_code"),
                s("analyte"),
                s("value"),
                s("screening_value"),
                s("standard"),
            )
        })
        .collect()
}

fn row(a: &str, b: &str, c: &str, d: &str, e: &str) -> (String, String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into(), e.into())
}

#[tokio::test]
async fn exceedances_on_sqlite() {
    let app = TestApp::sqlite().await;
    exceedance_cases(app).await;
}

#[tokio::test]
async fn exceedances_on_postgres() {
    let Some(app) = TestApp::postgres("self_monitoring").await else {
        return;
    };
    exceedance_cases(app).await;
}

/// A GET as the holder of `token`: status and body text.
async fn get_text(app: &TestApp, token: &str, uri: &str) -> (StatusCode, String) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(app: &TestApp, token: &str, uri: &str) -> (StatusCode, Value) {
    let (s, body) = get_text(app, token, uri).await;
    (s, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn exceedance_cases(app: TestApp) {
    let store = app.store.as_ref();
    let change = ChangeMeta::new("tester", "fixture");
    for (code, div) in [("eco-env-513402", "513402"), ("eco-env-513401", "513401")] {
        store
            .create_department(
                &Department {
                    code: code.into(),
                    name: format!("{div} 生态环境局"),
                    level: DivisionLevel::County,
                    division: div.parse().unwrap(),
                },
                &change,
            )
            .await
            .unwrap();
    }
    for (i, (code, div)) in [
        ("SM-1", "513402"),
        ("SM-2", "513402"),
        ("GW-1", "513402"),
        ("SM-9", "513401"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = conformance_network::point_inside(store, code, div, i as f64).await;
        store.create_point(&p, &change).await.unwrap();
    }
    for (uscc, name, div, points) in [
        (
            E1,
            "会理某冶炼厂",
            "513402",
            json!(["SM-1", "SM-2", "GW-1"]),
        ),
        (E2, "西昌某化工厂", "513401", json!(["SM-9"])),
    ] {
        let (s, body) = send(
            &app,
            "POST",
            "/api/v1/enterprises",
            Some("root"),
            json!({"uscc": uscc, "name": name, "industry": "有色金属冶炼", "division": div,
                   "listed_year": 2020, "status": "在产", "point_codes": points, "reason": "名录"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    // A plot planned for housing (R2 → first-class land) lists SM-2.
    let (s, body) = send(
        &app,
        "POST",
        "/api/v1/plots",
        Some("root"),
        json!({"code": "PL-1", "name": "厂区东侧地块", "division": "513402", "planned_use": "R2",
               "point_codes": ["SM-2"], "identified_on": "2023-01-01", "reason": "排查"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let soil = |code: &str, point: &str, date: &str, results: &[(&str, &str)]| {
        conformance::sample(code, Some(point), "513402", Medium::Soil, date, results)
    };
    let mut s1 = soil(
        "S-2024-1",
        "SM-1",
        "2024-06-01",
        &[("Cd", "66"), ("Pb", "800"), ("Hg", "10"), ("As", "200")],
    );
    // As not detected with a detection limit of 200 mg/kg (half of it is above 60).
    let as_ = s1.results.iter_mut().find(|r| r.analyte == "As").unwrap();
    as_.qualifier = Qualifier::NotDetected;
    as_.value = None;
    as_.detection_limit = Some("200".parse().unwrap());
    // A radiation result (Bq/kg) is not GB 36600's business and must not break the evaluation.
    let mut ra = s1.results[0].clone();
    ra.analyte = "Ra226".into();
    ra.unit = Unit::BqPerKg;
    ra.value = Some("85".parse().unwrap());
    s1.results.push(ra);
    let s2 = soil(
        "S-2024-2",
        "SM-2",
        "2024-06-01",
        &[("Hg", "10"), ("Cd", "20")],
    );
    let gw = conformance::sample(
        "G-2024-1",
        Some("GW-1"),
        "513402",
        Medium::Groundwater,
        "2024-07-01",
        &[("As", "0.05"), ("Cd", "0.02"), ("Pb", "0.03")],
    );
    let old = soil("S-2023-1", "SM-1", "2023-05-01", &[("Cd", "70")]);
    let other = conformance::sample(
        "S-2024-9",
        Some("SM-9"),
        "513401",
        Medium::Soil,
        "2024-06-01",
        &[("Cd", "100")],
    );
    // Not on an enterprise point: never listed.
    let stray = conformance::sample(
        "S-2024-X",
        None,
        "513402",
        Medium::Soil,
        "2024-06-01",
        &[("Cd", "999")],
    );
    store
        .insert_samples(&[s1, s2, gw, old, other, stray], &change)
        .await
        .unwrap();

    let admin = app.user_token("a", Role::Administrator, None).await;
    let officer = app
        .user_token("o", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    let other_officer = app
        .user_token("x", Role::DataOfficer, Some("eco-env-513401"))
        .await;
    let reviewer = app
        .user_token("r", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let viewer = app.user_token("v", Role::Viewer, None).await;

    // The county's list for 2024, hand-checked (see the table above).
    let (s, v) = get(
        &app,
        &officer,
        "/api/v1/enterprises/exceedances?division=513402&year=2024",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        rows(&v),
        vec![
            row("S-2024-1", "Cd", "66", "65", "GB 36600-2018"),
            row("S-2024-2", "Hg", "10", "8", "GB 36600-2018"),
            row("G-2024-1", "Cd", "0.02", "0.01", "GB/T 14848-2017"),
        ],
        "{v}"
    );
    let r = &v["rows"];
    assert_eq!(r[0]["enterprise_name"], "会理某冶炼厂");
    assert_eq!(r[0]["enterprise_uscc"], E1);
    assert_eq!(r[0]["point_code"], "SM-1");
    assert_eq!(r[0]["table"], "表1");
    assert_eq!(r[0]["unit"], "mg/kg");
    assert!(r[0]["basis"].as_str().unwrap().contains("第二类用地筛选值"));
    assert_eq!(r[0]["above_intervention"], false);
    assert!(r[1]["basis"].as_str().unwrap().contains("第一类用地筛选值"));
    assert_eq!(r[2]["medium"], "groundwater");
    assert_eq!(r[2]["unit"], "mg/L");
    assert_eq!(r[2]["table"], "表1");
    assert!(r[2]["basis"].as_str().unwrap().contains("Ⅳ类"));
    assert!(v["unevaluated"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["rule"].as_str().unwrap().contains("未检出不列出"));

    // Every year: the 2023 sample too; the officer's default is the county.
    let (_, v) = get(&app, &officer, "/api/v1/enterprises/exceedances").await;
    assert_eq!(v["division"], "513402");
    let samples: Vec<String> = rows(&v).into_iter().map(|r| r.0).collect();
    assert_eq!(
        samples,
        ["S-2023-1", "S-2024-1", "S-2024-2", "G-2024-1"],
        "{v}"
    );

    // Another county's officer may not read this county; the prefecture reads every county.
    let (s, v) = get(
        &app,
        &other_officer,
        "/api/v1/enterprises/exceedances?division=513402",
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("outside the area"));
    let (_, v) = get(
        &app,
        &other_officer,
        "/api/v1/enterprises/exceedances?year=2024",
    )
    .await;
    assert_eq!(
        rows(&v),
        vec![row("S-2024-9", "Cd", "100", "65", "GB 36600-2018")]
    );
    let (_, v) = get(&app, &reviewer, "/api/v1/enterprises/exceedances?year=2024").await;
    assert_eq!(v["division"], "513400");
    assert_eq!(rows(&v).len(), 4, "{v}");
    let (_, v) = get(&app, &admin, "/api/v1/enterprises/exceedances?year=2024").await;
    assert_eq!(rows(&v).len(), 4, "{v}");
    let (s, _) = get(&app, &viewer, "/api/v1/enterprises/exceedances").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = get(&app, &admin, "/api/v1/enterprises/exceedances?year=24").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("四位年份")
            && v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("four-digit year"),
        "{v}"
    );

    // The page shows the same rows to the county's officer.
    let (s, page) = get_text(
        &app,
        &officer,
        "/enterprises/exceedances?division=513402&year=2024",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("S-2024-1") && page.contains("G-2024-1") && !page.contains("S-2024-9"),
        "{page}"
    );
    let (s, _) = get_text(
        &app,
        &other_officer,
        "/enterprises/exceedances?division=513402",
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.finish().await;
}
