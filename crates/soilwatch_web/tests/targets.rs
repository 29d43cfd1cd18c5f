//! Indicators, targets and the yearly assessment (issue 10) through the router, on the fixture
//! of `soilwatch_store::conformance_targets` whose numbers are worked out by hand there:
//! 会理市's farmland safe-use rate is (300 + 170) ÷ 500 = 94 %, exactly the work plan's 2020
//! target, so met; 西昌市's 93.9 % is not.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_store::conformance_targets::{indicator_fixture, submissions_fixture};
use soilwatch_store::Role;
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
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
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

fn find<'a>(list: &'a Value, indicator: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v["indicator"] == indicator)
        .unwrap()
}

async fn app() -> TestApp {
    let app = TestApp::sqlite().await;
    indicator_fixture(app.store.as_ref()).await;
    app
}

#[tokio::test]
async fn indicators_with_formulas_values_targets_and_traces() {
    let app = app().await;
    let (s, county) = app
        .get_json("/api/v1/indicators?division=513402&year=2024")
        .await;
    assert_eq!(s, StatusCode::OK, "{county}");
    assert_eq!(county["division_name"], "会理市");
    let f = find(&county["indicators"], "farmland_safe_use_rate");
    assert!(
        close(&f["numerator"], 470.0) && close(&f["denominator"], 500.0),
        "{f}"
    );
    assert!(close(&f["value"], 94.0));
    assert_eq!(f["target"]["value"], 94.0);
    assert_eq!(f["target"]["source"], "work_plan");
    assert_eq!(f["verdict"], "met");
    assert!(f["formula_cn"]
        .as_str()
        .unwrap()
        .contains("安全利用类和严格管控类耕地面积"));
    assert!(f["formula_en"].as_str().unwrap().contains("under measures"));
    assert!(f.get("items").is_none(), "the list leaves the items out");
    // Every indicator of the issue, each with its formula in both languages.
    let codes: Vec<&str> = county["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["indicator"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "farmland_safe_use_rate",
            "plot_safe_use_rate",
            "safe_utilization_area",
            "strict_control_area",
            "remediation_area",
            "monitoring_coverage",
            "disclosure_rate",
            "submissions_on_time"
        ]
    );
    for v in county["indicators"].as_array().unwrap() {
        for k in ["formula_cn", "formula_en", "name_cn", "name_en", "unit"] {
            assert!(
                v[k].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{} has a {k}",
                v["indicator"]
            );
        }
    }

    // Default division: the prefecture.
    let (_, pref) = app.get_json("/api/v1/indicators?year=2024").await;
    assert_eq!(pref["division"], "513400");
    let p = find(&pref["indicators"], "farmland_safe_use_rate");
    assert!(close(&p["value"], 100.0 * 563.9 / 600.0));
    assert_eq!(p["verdict"], "not_met");
    let area = find(&pref["indicators"], "safe_utilization_area");
    assert!(close(&area["value"], 0.02939));
    assert_eq!(area["unit"], "万亩");
    assert_eq!(area["target"]["value"], 50.9);

    // The trace: the items' sums are the indicator's.
    let (s, t) = app
        .get_json("/api/v1/indicators/plot_safe_use_rate?division=513402&year=2024")
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = t["items"].as_array().unwrap();
    let sum = |k: &str| items.iter().map(|i| i[k].as_f64().unwrap()).sum::<f64>();
    assert_eq!((sum("numerator"), sum("denominator")), (2.0, 4.0));
    assert!(close(&t["value"], 50.0));
    assert_eq!(items[0]["key"], "IX-P1");
    assert_eq!(items[0]["kind"], "plot");
    let (_, f) = app
        .get_json("/api/v1/indicators/受污染耕地安全利用率?division=513401&year=2024")
        .await;
    assert_eq!(f["items"][0]["key"], "IX-D");
    assert_eq!(f["verdict"], "not_met");

    let (s, e) = app.get_json("/api/v1/indicators/nonsense?year=2024").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown indicator"));
    let (s, _) = app.get_json("/api/v1/indicators?year=1800").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Pages show the same numbers with the formulas.
    let (s, _, html) = app.get("/indicators?division=513402&year=2024").await;
    let html = String::from_utf8(html).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("受污染耕地安全利用率") && html.contains("94.00") && html.contains("达标")
    );
    let (_, _, html) = app
        .get("/indicators/farmland_safe_use_rate?division=513402&year=2024")
        .await;
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("IX-A") && html.contains("IX-B") && !html.contains("IX-C"),
        "{html}"
    );
    assert!(html.contains("300.00") && html.contains("170.00"));
}

#[tokio::test]
async fn targets_are_set_by_reviewers_with_history_and_change_the_verdict() {
    let mut app = app().await;
    let uri = "/api/v1/targets/513402/2024/farmland_safe_use_rate";
    let body = json!({"value": 95.0, "reason": "县级目标"});
    let (s, _) = send(&app, "PUT", uri, None, body.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let viewer = app.user_token("v", Role::Viewer, None).await;
    let (s, _) = send(&app, "PUT", uri, Some(&viewer), body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let reviewer = app.sign_in_as(Role::Reviewer).await;
    let (s, t) = send(&app, "PUT", uri, Some(&reviewer), body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (t["version"].as_i64(), t["value"].as_f64()),
        (Some(1), Some(95.0))
    );
    assert!(t["actor"].as_str().unwrap().starts_with("test-reviewer"));
    let (_, f) = app
        .get_json("/api/v1/indicators/farmland_safe_use_rate?division=513402&year=2024")
        .await;
    assert_eq!(f["target"]["source"], "set");
    assert_eq!(f["verdict"], "not_met", "94 % under 95 %");
    let (s, _) = send(
        &app,
        "PUT",
        uri,
        Some(&reviewer),
        json!({"value": 94, "reason": "回调"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, h) = app.get_json(&format!("{uri}/history")).await;
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (
            h[0]["data"]["value"].as_f64(),
            h[1]["data"]["value"].as_f64()
        ),
        (Some(95.0), Some(94.0))
    );
    assert_eq!(h[1]["reason"], "回调");
    // Refused: no change.
    for (b, field) in [
        (json!({"value": 120, "reason": "x"}), "value"),
        (json!({"value": 90}), "reason"),
    ] {
        let (s, e) = send(&app, "PUT", uri, Some(&reviewer), b).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let m = e["error"]["message"].as_str().unwrap();
        assert!(
            m.contains(&format!("field {field}")) && m.contains(&format!("字段 {field}")),
            "{m}"
        );
    }
    let (s, _) = send(
        &app,
        "PUT",
        "/api/v1/targets/513402/2024/nope",
        Some(&reviewer),
        body,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, h) = app.get_json(&format!("{uri}/history")).await;
    assert_eq!(h.as_array().unwrap().len(), 2);

    // Targets in force: the set one for 会理市, the defaults elsewhere.
    let (s, t) = app.get_json("/api/v1/targets?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    let in_force = t["in_force"].as_array().unwrap();
    assert_eq!(in_force.len(), 18);
    assert_eq!(in_force[0]["division"], "513400");
    let of = |code: &str| {
        in_force.iter().find(|d| d["division"] == code).unwrap()["targets"][0]["target"].clone()
    };
    assert_eq!(
        (
            of("513402")["value"].as_f64(),
            of("513402")["source"].as_str()
        ),
        (Some(94.0), Some("set"))
    );
    assert_eq!(
        (
            of("513401")["value"].as_f64(),
            of("513401")["target_year"].as_i64()
        ),
        (Some(94.0), Some(2020))
    );
    assert_eq!(t["set"].as_array().unwrap().len(), 1);

    // The page shows the form to a reviewer only.
    let (_, _, html) = app.get("/targets?year=2024").await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("设定目标") && html.contains("工作方案"));
    app.bearer = Some(viewer);
    let (_, _, html) = app.get("/targets?year=2024").await;
    assert!(!String::from_utf8(html).unwrap().contains("设定目标"));
}

#[tokio::test]
async fn assessment_per_county_as_json_csv_and_xlsx() {
    let app = app().await;
    let (s, a) = app.get_json("/api/v1/assessment?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    let rows = a["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 18, "17 counties and the prefecture");
    let hl = rows.iter().find(|r| r["division"] == "513402").unwrap();
    assert_eq!(
        (hl["met"].as_u64(), hl["assessed"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        find(&hl["indicators"], "farmland_safe_use_rate")["verdict"],
        "met"
    );
    assert_eq!(
        find(&hl["indicators"], "plot_safe_use_rate")["verdict"],
        "not_met"
    );
    let xc = rows.iter().find(|r| r["division"] == "513401").unwrap();
    assert_eq!(
        find(&xc["indicators"], "farmland_safe_use_rate")["verdict"],
        "not_met"
    );
    assert_eq!(
        find(&xc["indicators"], "plot_safe_use_rate")["verdict"],
        "no_data"
    );
    assert_eq!(
        find(&xc["indicators"], "monitoring_coverage")["verdict"],
        "not_met"
    );

    let (s, ct, csv) = app.get("/api/v1/assessment?year=2024&f=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 18 * 8);
    assert!(lines[0].starts_with("年度 year,行政区划代码 division"));
    let line = lines
        .iter()
        .find(|l| l.contains(",513402,") && l.contains("farmland_safe_use_rate"))
        .unwrap();
    assert!(
        line.contains(",470.0000,500.0000,94.00,94,2020,") && line.ends_with("达标 met"),
        "{line}"
    );

    let (s, ct, xlsx) = app.get("/api/v1/assessment?year=2024&f=xlsx").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("2024年度考核").unwrap();
    assert_eq!(sheet.height(), 1 + 18 * 8);
    let row = sheet
        .rows()
        .find(|r| {
            r[1] == Data::String("513401".into())
                && r[3] == Data::String("farmland_safe_use_rate".into())
        })
        .unwrap();
    assert_eq!(row[8], Data::Float(93.9));
    assert_eq!(row[12], Data::String("未达标 not_met".into()));

    let (s, _, _) = app.get("/api/v1/assessment").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = app.get("/api/v1/assessment?year=2024&f=pdf").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, html) = app.get("/assessment?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<svg") && html.contains("会理市") && html.contains("f=xlsx"));
}

#[tokio::test]
async fn indicators_on_postgres() {
    let Some(app) = TestApp::postgres("targets_web").await else {
        return;
    };
    indicator_fixture(app.store.as_ref()).await;
    let (s, a) = app.get_json("/api/v1/assessment?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    let hl = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["division"] == "513402")
        .unwrap()
        .clone();
    assert_eq!(
        find(&hl["indicators"], "farmland_safe_use_rate")["verdict"],
        "met"
    );
    assert!(close(
        &find(&hl["indicators"], "plot_safe_use_rate")["value"],
        50.0
    ));
    app.finish().await;
}

#[tokio::test]
async fn submissions_on_time_traced_to_the_submissions_behind_it() {
    let mut app = app().await;
    app.sign_in_as(Role::Viewer).await;
    submissions_fixture(app.store.as_ref()).await;
    // 会理市: one of its two submissions of 2024 data on time.
    let (s, v) = app
        .get_json("/api/v1/indicators/submissions_on_time?division=513402&year=2024")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(close(&v["numerator"], 1.0) && close(&v["denominator"], 2.0));
    assert!(close(&v["value"], 50.0));
    assert_eq!(v["verdict"], "no_target");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for i in items {
        assert_eq!(i["kind"], "submission");
        // The key is the submission the API serves, of that county and year.
        let (s, sub) = app
            .get_json(&format!(
                "/api/v1/submissions/{}",
                i["key"].as_str().unwrap()
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{sub}");
        assert_eq!(sub["submission"]["division"], "513402");
        assert_eq!(sub["submission"]["year"], 2024);
    }
    // The prefecture: 2 of 6, in the assessment as in the list.
    let (_, a) = app.get_json("/api/v1/assessment?year=2024").await;
    let pref = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["division"] == "513400")
        .unwrap();
    let p = find(&pref["indicators"], "submissions_on_time");
    assert!(close(&p["numerator"], 2.0) && close(&p["denominator"], 6.0));
    // The page lists the submissions with links to them, and the formula.
    let (s, _, html) = app
        .get("/indicators/submissions_on_time?division=513401&year=2024")
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("数据按时报送率") && html.contains("截止日期"));
    assert_eq!(html.matches("href=\"/submissions/").count(), 3, "{html}");
    assert!(html.contains("逾期未报") && html.contains("已退回") && html.contains("未到截止日期"));
}

#[tokio::test]
async fn the_annual_report_from_a_page() {
    let mut app = app().await;
    let (s, _, _) = app.get("/reports/annual?year=2024").await;
    assert!(
        s == StatusCode::UNAUTHORIZED || s == StatusCode::SEE_OTHER,
        "signed-in users only: {s}"
    );
    app.sign_in_as(Role::Viewer).await;
    let (s, ct, html) = app.get("/reports/annual?year=2024&division=513402").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("会理市2024年土壤环境状况报告"));
    assert!(
        html.matches("<svg").count() >= 4,
        "three charts and the county map"
    );
    let (s, ct, docx) = app.get("/reports/annual?year=2024&format=docx").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("wordprocessingml"), "{ct}");
    assert!(docx.starts_with(b"PK"), "a zip");
    // The same numbers as the API: the prefecture's farmland rate with two decimals.
    let (_, v) = app
        .get_json("/api/v1/indicators/farmland_safe_use_rate?year=2024")
        .await;
    let (_, _, xlsx) = app.get("/reports/annual?year=2024&format=xlsx").await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("指标").unwrap();
    let row = sheet
        .rows()
        .find(|r| r[0] == Data::String("受污染耕地安全利用率".into()))
        .unwrap();
    let Data::Float(x) = row[4] else {
        panic!("a number: {:?}", row[4])
    };
    assert!(
        (x - v["value"].as_f64().unwrap()).abs() < 1e-9,
        "{x} vs {}",
        v["value"]
    );
    let (s, _, _) = app.get("/reports/annual?year=2024&format=pdf").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
