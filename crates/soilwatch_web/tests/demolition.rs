//! Issue 8, work-plan item 21: demolition plans (拆除活动污染防治方案) through the router — filing
//! with the residual-pollutant clean-up plan, the lifecycle step by step with refused
//! transitions naming the missing step, the list per county filtered by status, the enterprise's
//! detail and page, the public view, and history. SQLite always, PostgreSQL when
//! `SOILWATCH_TEST_PG` is set.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_store::Role;
use soilwatch_test_utils::{send, TestApp};
use tower::ServiceExt;

const USCC: &str = "91350100M000100Y43";

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn plan(code: &str) -> Value {
    json!({
        "code": code, "enterprise_uscc": USCC, "facilities": ["电解车间", "酸洗槽"],
        "cleanup_plan": {"title": "电解车间残留污染物清理和安全处置方案", "organisation": "某环境咨询公司",
                         "file": "档案室 2024-07"},
        "filing": {"bureau": "会理市生态环境局", "filed_on": "2024-03-01", "number": "会环拆备〔2024〕1号"},
        "planned_start": "2024-04-01", "note": "企业联系人要求保密", "reason": "企业报备"
    })
}

/// A GET without sign-in: status and body text.
async fn signed_out(app: &TestApp, uri: &str) -> (StatusCode, String) {
    let res = app
        .router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn status(app: &TestApp, code: &str, s: &str, date: &str) -> (StatusCode, Value) {
    send(
        app,
        "POST",
        &format!("/api/v1/demolition-plans/{code}/status"),
        Some("张三"),
        json!({"status": s, "date": date, "reason": format!("登记{s}")}),
    )
    .await
}

#[tokio::test]
async fn demolition_plans_on_sqlite() {
    let app = TestApp::sqlite().await.signed_in(Role::Viewer).await;
    demolition_cases(&app).await;
}

#[tokio::test]
async fn demolition_plans_on_postgres() {
    let Some(app) = TestApp::postgres("demolition_plans").await else {
        return;
    };
    let app = app.signed_in(Role::Viewer).await;
    demolition_cases(&app).await;
    app.finish().await;
}

async fn demolition_cases(app: &TestApp) {
    // Not a registered enterprise yet: 422 naming the field, in both languages.
    let (s, body) = send(
        app,
        "POST",
        "/api/v1/demolition-plans",
        Some("张三"),
        plan("DP-1"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let m = message(&body);
    assert!(
        m.contains("field enterprise_uscc") && m.contains("未登记"),
        "{m}"
    );
    let (s, body) = send(
        app,
        "POST",
        "/api/v1/enterprises",
        Some("张三"),
        json!({"uscc": USCC, "name": "会理某铅锌冶炼有限公司", "industry": "有色金属冶炼",
               "division": "513402", "listed_year": 2020, "status": "在产", "reason": "名录"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    // A planned start before the filing, and no facility: 422 naming the field.
    let mut early = plan("DP-1");
    early["planned_start"] = json!("2024-02-28");
    let (s, body) = send(app, "POST", "/api/v1/demolition-plans", Some("张三"), early).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let m = message(&body);
    assert!(
        m.contains("field planned_start") && m.contains("计划开工日期 2024-02-28"),
        "{m}"
    );
    let mut none = plan("DP-1");
    none["facilities"] = json!([" "]);
    let (s, body) = send(app, "POST", "/api/v1/demolition-plans", Some("张三"), none).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("field facilities"), "{body}");

    // Filed: status `filed` on the filing date, the enterprise's name and county copied.
    let (s, body) = send(
        app,
        "POST",
        "/api/v1/demolition-plans",
        Some("张三"),
        plan("DP-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "filed");
    assert_eq!(body["division"], "513402");
    assert_eq!(body["enterprise_name"], "会理某铅锌冶炼有限公司");
    assert_eq!(body["steps"][0]["date"], "2024-03-01");
    assert_eq!(body["steps"][0]["recorded_by"], "张三");
    assert_eq!(body["version"], 1);
    let (s, _) = send(
        app,
        "POST",
        "/api/v1/demolition-plans",
        Some("张三"),
        plan("DP-1"),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Completing a plan never recorded as started names the missing step.
    let (s, body) = status(app, "DP-1", "completed", "2024-05-10").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let m = message(&body);
    assert!(
        m.contains("缺少“拆除中”（in_progress）") && m.contains("the in_progress step is missing"),
        "{m}"
    );
    let (s, body) = status(app, "DP-1", "filed", "2024-03-02").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // A date before the previous step; an unknown status.
    let (s, body) = status(app, "DP-1", "in_progress", "2024-02-01").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("field date"), "{body}");
    let (s, body) = status(app, "DP-1", "demolished", "2024-04-02").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("demolition-plan status"), "{body}");

    // Step by step: started (Chinese name accepted), completed; then final.
    let (s, body) = status(app, "DP-1", "拆除中", "2024-04-02").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_progress");
    let (s, body) = status(app, "DP-1", "in_progress", "2024-04-03").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, body) = status(app, "DP-1", "completed", "2024-05-10").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["version"], 3);
    let (s, body) = status(app, "DP-1", "withdrawn", "2024-05-11").await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(message(&body).contains("final status"), "{body}");

    // A second plan, withdrawn while filed.
    let mut second = plan("DP-2");
    second["filing"]["filed_on"] = json!("2024-06-01");
    second["planned_start"] = json!("2024-07-01");
    let (s, body) = send(
        app,
        "POST",
        "/api/v1/demolition-plans",
        Some("张三"),
        second,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = status(app, "DP-2", "withdrawn", "2024-06-15").await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // Correcting the filed facts keeps the status and steps; a stale version is refused.
    let mut fixed = plan("DP-1");
    fixed["facilities"] = json!(["电解车间", "酸洗槽", "废水池"]);
    fixed["version"] = json!(3);
    fixed["reason"] = json!("补充设施");
    let (s, body) = send(
        app,
        "PUT",
        "/api/v1/demolition-plans/DP-1",
        Some("李四"),
        fixed.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["steps"].as_array().unwrap().len(), 3);
    assert_eq!(body["version"], 4);
    let (s, _) = send(
        app,
        "PUT",
        "/api/v1/demolition-plans/DP-1",
        Some("李四"),
        fixed,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Lists per county, by status.
    let codes = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (s, all) = app
        .get_json("/api/v1/demolition-plans?division=513400")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(codes(&all), ["DP-1", "DP-2"]);
    let (_, done) = app
        .get_json("/api/v1/demolition-plans?division=513402&status=completed")
        .await;
    assert_eq!(codes(&done), ["DP-1"]);
    let (_, withdrawn) = app.get_json("/api/v1/demolition-plans?status=已撤回").await;
    assert_eq!(codes(&withdrawn), ["DP-2"]);
    let (_, other) = app
        .get_json("/api/v1/demolition-plans?division=513401")
        .await;
    assert!(other.as_array().unwrap().is_empty());
    let (s, body) = app.get_json("/api/v1/demolition-plans?status=razed").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).contains("无法识别的拆除方案状态")
            && message(&body).contains("in_progress/拆除中"),
        "{body}"
    );

    // History: every version, with who and why.
    let (s, h) = app.get_json("/api/v1/demolition-plans/DP-1/history").await;
    assert_eq!(s, StatusCode::OK);
    let ops: Vec<(&str, &str)> = h
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
    assert_eq!(
        ops,
        [
            ("insert", "张三"),
            ("status", "张三"),
            ("status", "张三"),
            ("update", "李四")
        ]
    );
    assert_eq!(h[2]["data"]["status"], "completed");

    // The enterprise's detail lists its plans.
    let (_, e) = app.get_json(&format!("/api/v1/enterprises/{USCC}")).await;
    assert_eq!(e["name"], "会理某铅锌冶炼有限公司");
    assert_eq!(e["version"], 1);
    assert_eq!(codes(&e["demolition_plans"]), ["DP-1", "DP-2"]);

    // The public view and the public enterprise page leave out the filing number, the document's
    // location, the note and who recorded it.
    let (s, public) = send(
        app,
        "GET",
        "/api/v1/public/demolition-plans?division=513402",
        None,
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{public}");
    assert_eq!(codes(&public), ["DP-1", "DP-2"]);
    assert_eq!(public[0]["filed_with"], "会理市生态环境局");
    assert_eq!(public[0]["steps"][2]["status"], "completed");
    let text = public.to_string();
    for secret in ["会环拆备", "档案室", "保密", "张三"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let (s, page) = signed_out(app, &format!("/enterprises/{USCC}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("DP-1") && page.contains("废水池") && !page.contains("会环拆备"),
        "{page}"
    );
    let (_, _, page) = app.get(&format!("/enterprises/{USCC}")).await;
    assert!(String::from_utf8(page).unwrap().contains("会环拆备"));

    // The list page, signed in.
    let (s, _, page) = app
        .get("/demolition-plans?division=513402&status=completed")
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("DP-1") && !page.contains("DP-2"), "{page}");
    let (s, _) = signed_out(app, "/demolition-plans").await;
    assert!(s == StatusCode::SEE_OTHER || s == StatusCode::UNAUTHORIZED);
}
