//! Issue 8, work-plan item 22: mining areas (矿区) and the yearly radiation monitoring of mines
//! with associated radioactivity, whose results are ordinary samples on the area's points —
//! registry, refusals, present / missing / pending years, the latest results, the public view,
//! history and pages. SQLite always, PostgreSQL when `SOILWATCH_TEST_PG` is set.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::http::StatusCode;
use chrono::Datelike;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Medium, Qualifier, Unit};
use soilwatch_store::{conformance, conformance_network, NetworkStore, Role, Store};
use soilwatch_test_utils::{send, TestApp};

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn area(code: &str, radioactive: bool) -> Value {
    json!({
        "code": code, "name": format!("矿区{code}"), "mineral": "稀土", "division": "513402",
        "lon": 102.2468, "lat": 26.6555, "status": "在产", "associated_radioactivity": radioactive,
        "monitoring_since": 2022, "point_codes": ["MP-1", "MP-2"], "note": "内部核查中",
        "reason": "矿区名录"
    })
}

#[tokio::test]
async fn mining_areas_on_sqlite() {
    let app = TestApp::sqlite().await.signed_in(Role::Viewer).await;
    mining_cases(&app).await;
}

#[tokio::test]
async fn mining_areas_on_postgres() {
    let Some(app) = TestApp::postgres("mining_areas").await else {
        return;
    };
    let app = app.signed_in(Role::Viewer).await;
    mining_cases(&app).await;
    app.finish().await;
}

async fn mining_cases(app: &TestApp) {
    let store = app.store.as_ref();
    let change = ChangeMeta::new("tester", "fixture");
    for (i, code) in ["MP-1", "MP-2"].into_iter().enumerate() {
        let p = conformance_network::point_inside(store, code, "513402", i as f64).await;
        store.create_point(&p, &change).await.unwrap();
    }

    // Refusals, in both languages, naming the field.
    let mut no_year = area("MA-1", true);
    no_year["monitoring_since"] = Value::Null;
    let (s, body) = send(app, "POST", "/api/v1/mining-areas", Some("张三"), no_year).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let m = message(&body);
    assert!(
        m.contains("field monitoring_since") && m.contains("伴生放射性矿须给出"),
        "{m}"
    );
    let mut bad = area("MA-1", true);
    bad["status"] = json!("mined out");
    let (s, body) = send(app, "POST", "/api/v1/mining-areas", Some("张三"), bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("mining-area status"), "{body}");

    let (s, body) = send(
        app,
        "POST",
        "/api/v1/mining-areas",
        Some("张三"),
        area("MA-1", true),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _) = send(
        app,
        "POST",
        "/api/v1/mining-areas",
        Some("张三"),
        area("MA-1", true),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let mut plain = area("MA-2", false);
    plain["monitoring_since"] = Value::Null;
    plain["point_codes"] = json!([]);
    let (s, body) = send(app, "POST", "/api/v1/mining-areas", Some("张三"), plain).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    // Radiation monitoring as ordinary samples: 2022 on MP-1 (soil ²³⁸U, ²²⁶Ra); 2023 only a
    // cadmium result (not radiation monitoring); 2024 groundwater gross α and a non-detect gross
    // β on MP-2, and the γ dose rate on MP-1.
    let with = |code: &str, point: &str, medium: Medium, date: &str, r: &[(&str, &str, Unit)]| {
        let pairs: Vec<(&str, &str)> = r.iter().map(|(a, v, _)| (*a, *v)).collect();
        let mut s = conformance::sample(code, Some(point), "513402", medium, date, &pairs);
        for (res, (_, _, unit)) in s.results.iter_mut().zip(r) {
            res.unit = *unit;
        }
        s
    };
    let s2022 = with(
        "R-2022",
        "MP-1",
        Medium::Soil,
        "2022-08-01",
        &[
            ("U238", "45", Unit::BqPerKg),
            ("Ra226", "60", Unit::BqPerKg),
        ],
    );
    let s2023 = conformance::sample(
        "R-2023",
        Some("MP-2"),
        "513402",
        Medium::Soil,
        "2023-08-01",
        &[("Cd", "0.3")],
    );
    let mut g2024 = with(
        "R-2024-G",
        "MP-2",
        Medium::Groundwater,
        "2024-09-01",
        &[
            ("gross_alpha", "0.12", Unit::BqPerL),
            ("gross_beta", "0.05", Unit::BqPerL),
        ],
    );
    g2024.results[1].qualifier = Qualifier::NotDetected;
    g2024.results[1].value = None;
    g2024.results[1].detection_limit = Some("0.05".parse().unwrap());
    let d2024 = with(
        "R-2024-D",
        "MP-1",
        Medium::Soil,
        "2024-09-02",
        &[("gamma_dose_rate", "95", Unit::NGyPerH)],
    );
    store
        .insert_samples(&[s2022, s2023, g2024, d2024], &change)
        .await
        .unwrap();

    // Each year from 2022: present, missing, present, then missing until this year (pending).
    let (s, d) = app.get_json("/api/v1/mining-areas/MA-1").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["code"], "MA-1");
    assert_eq!(d["version"], 1);
    let r = &d["radiation"];
    assert_eq!(r["required"], true);
    let this_year = chrono::Utc::now().year();
    let states: Vec<(i64, String)> = r["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| {
            (
                y["year"].as_i64().unwrap(),
                y["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected = vec![
        (2022, "present".to_owned()),
        (2023, "missing".to_owned()),
        (2024, "present".to_owned()),
    ];
    for y in 2025..this_year {
        expected.push((i64::from(y), "missing".to_owned()));
    }
    expected.push((i64::from(this_year), "pending".to_owned()));
    assert_eq!(states, expected);
    let mut missing = vec![2023];
    missing.extend(2025..this_year);
    let got: Vec<i64> = r["missing_years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect();
    assert_eq!(
        got,
        missing.iter().map(|&y| i64::from(y)).collect::<Vec<_>>()
    );
    assert_eq!(r["years"][0]["samples"], json!(["R-2022"]));
    assert_eq!(r["latest_year"], 2024);
    let latest: Vec<(String, String, Value, bool)> = r["latest_results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["sample_code"].as_str().unwrap().to_owned(),
                x["analyte"].as_str().unwrap().to_owned(),
                x["value"].clone(),
                x["non_detect"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        latest,
        vec![
            (
                "R-2024-G".into(),
                "gross_alpha".into(),
                json!("0.12"),
                false
            ),
            ("R-2024-G".into(), "gross_beta".into(), Value::Null, true),
            (
                "R-2024-D".into(),
                "gamma_dose_rate".into(),
                json!("95"),
                false
            ),
        ]
    );
    assert_eq!(r["latest_results"][0]["unit"], "Bq/L");
    assert_eq!(r["latest_results"][1]["detection_limit"], "0.05");
    assert_eq!(r["latest_results"][2]["unit"], "nGy/h");
    // A soil sample with radiation results still evaluates (the soil standards leave them out).
    let id = store.get_sample("R-2022").await.unwrap().id;
    let (s, ev) = app
        .get_json(&format!("/api/v1/samples/{id}/evaluation"))
        .await;
    assert_eq!(s, StatusCode::OK, "{ev}");

    // An area without associated radioactivity owes nothing.
    let (_, d2) = app.get_json("/api/v1/mining-areas/MA-2").await;
    assert_eq!(d2["radiation"]["required"], false);
    assert!(d2["radiation"]["years"].as_array().unwrap().is_empty());

    // Lists.
    let codes = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = app.get_json("/api/v1/mining-areas?division=513400").await;
    assert_eq!(codes(&all), ["MA-1", "MA-2"]);
    let (_, rad) = app.get_json("/api/v1/mining-areas?radioactive=true").await;
    assert_eq!(codes(&rad), ["MA-1"]);
    let (_, other) = app.get_json("/api/v1/mining-areas?division=513401").await;
    assert!(codes(&other).is_empty());
    let (s, body) = app.get_json("/api/v1/mining-areas?radioactive=maybe").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("true or false"), "{body}");

    // The public view: no location, points, samples, results or note.
    let (s, public) = app.get_json("/api/v1/public/mining-areas").await;
    assert_eq!(s, StatusCode::OK, "{public}");
    assert_eq!(codes(&public), ["MA-1", "MA-2"]);
    assert_eq!(public[0]["monitoring"][1], json!([2023, "missing"]));
    let text = public.to_string();
    for secret in ["102.2468", "MP-1", "R-2022", "内部核查中", "0.12"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let (s, _) = send(app, "GET", "/api/v1/public/mining-areas", None, Value::Null).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "tailings_ponds is not public as seeded"
    );

    // Update and history.
    let mut closed = area("MA-1", true);
    closed["status"] = json!("闭坑");
    closed["version"] = json!(1);
    closed["reason"] = json!("闭坑验收");
    let (s, body) = send(
        app,
        "PUT",
        "/api/v1/mining-areas/MA-1",
        Some("李四"),
        closed.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(body["version"], 2);
    let (s, _) = send(
        app,
        "PUT",
        "/api/v1/mining-areas/MA-1",
        Some("李四"),
        closed,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, h) = app.get_json("/api/v1/mining-areas/MA-1/history").await;
    let who: Vec<(&str, &str)> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["operation"].as_str().unwrap(),
                v["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(who, [("insert", "张三"), ("update", "李四")]);

    // Pages.
    let (s, _, page) = app.get("/mining-areas?radioactive=true").await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("MA-1") && !page.contains("MA-2"), "{page}");
    let (s, _, page) = app.get("/mining-areas/MA-1").await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("缺失监测的年份") && page.contains("R-2024-G") && page.contains("nGy/h"),
        "{page}"
    );
}
