//! Yearly submissions (issue 9) through the router, on SQLite and PostgreSQL: a campaign, the
//! tallies per department and county, uploads through the import pipeline into a submission
//! (rejected files change nothing), returns with reasons, acceptance, the history, the reminders
//! as JSON, CSV and XLSX, and the pages.

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
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::{Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

async fn post_json(app: &TestApp, token: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn as_user(app: &mut TestApp, token: &str) {
    app.bearer = Some(token.to_owned());
}

fn results_csv(sample: &str, cd: &str) -> String {
    format!(
        "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
         {sample},土壤,2020-08-01,513402,水田,镉,{cd},mg/kg\n\
         {sample},土壤,2020-08-01,513402,水田,pH,6.1,无量纲\n"
    )
}

async fn upload(app: &TestApp, id: i64, name: &str, csv: &str) -> (StatusCode, Value) {
    app.post_multipart(
        &format!("/api/v1/submissions/{id}/uploads"),
        &[("file", Some(name), csv.as_bytes())],
        None,
    )
    .await
}

async fn walk(mut app: TestApp) {
    app.store
        .create_department(
            &Department {
                code: "eco-env-513402".into(),
                name: "会理市生态环境局".into(),
                level: DivisionLevel::County,
                division: "513402".parse().unwrap(),
            },
            &ChangeMeta::new("t", "fixture"),
        )
        .await
        .unwrap();
    let reviewer = app
        .user_token("shen", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let officer = app
        .user_token("hui", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    let other = app
        .user_token("nong", Role::DataOfficer, Some("agri-513400"))
        .await;
    let viewer = app.user_token("kan", Role::Viewer, None).await;

    // A campaign: the reviewer creates it, an officer may not; the due date defaults.
    let campaign = json!({"year": 2020, "data_kind": "土壤环境质量",
        "departments": ["eco-env-513402", "agri-513400"], "note": "2020 年土壤数据"});
    let (status, _) = post_json(
        &app,
        &officer,
        "/api/v1/submission-campaigns",
        campaign.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, c) = post_json(
        &app,
        &reviewer,
        "/api/v1/submission-campaigns",
        campaign.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["due_on"], "2021-09-30");
    assert_eq!(c["data_kind"], "soil_quality");
    let (status, _) = post_json(&app, &reviewer, "/api/v1/submission-campaigns", campaign).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, e) = post_json(
        &app,
        &reviewer,
        "/api/v1/submission-campaigns",
        json!({"year": 2020, "data_kind": "weather", "departments": ["agri-513400"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("data_kind"),
        "{e}"
    );

    // The tallies, as a viewer.
    as_user(&mut app, &viewer);
    let (status, o) = app
        .get_json("/api/v1/submissions?year=2020&as_of=2021-09-30")
        .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["summary"]["total"]["owed"], 2);
    assert_eq!(
        o["summary"]["total"]["overdue"], 0,
        "not overdue on the due date"
    );
    let (_, o) = app
        .get_json("/api/v1/submissions?year=2020&as_of=2021-10-01")
        .await;
    assert_eq!(o["summary"]["total"]["overdue"], 2);
    let county = &o["summary"]["by_county"];
    assert_eq!(county[1]["key"], "513402");
    assert_eq!(county[1]["name"], "会理市");
    let id = o["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["department"] == "eco-env-513402")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // A rejected file: nothing stored, the submission unchanged.
    as_user(&mut app, &officer);
    let (status, r) = upload(&app, id, "bad.csv", &results_csv("HL-1", "-0.4")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["outcome"], "rejected");
    assert_eq!(r["submission"]["status"], "owed");
    assert_eq!(app.store.count_samples().await.unwrap(), 0);
    // Another department's officer may not upload into it.
    as_user(&mut app, &other);
    let (status, _) = upload(&app, id, "a.csv", &results_csv("HL-1", "0.4")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_samples().await.unwrap(), 0);

    // The officer's upload: imported for the department, linked, late (after 2021-09-30).
    as_user(&mut app, &officer);
    let (status, r) = upload(&app, id, "a.csv", &results_csv("HL-1", "0.4")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["batch"]["department"], "eco-env-513402");
    assert_eq!(r["batch"]["uploader"], "hui");
    assert_eq!(r["submission"]["status"], "received");
    assert_eq!(r["submission"]["batch"], r["batch"]["id"]);
    assert_eq!(r["submission"]["late"], true);
    let first_batch = r["batch"]["id"].as_i64().unwrap();
    let (status, r) = upload(&app, id, "again.csv", &results_csv("HL-1", "0.4")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["outcome"], "unchanged");

    // Review: not for officers; returning needs reasons.
    let uri = format!("/api/v1/submissions/{id}/review");
    let (status, _) = post_json(&app, &officer, &uri, json!({"decision": "accept"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_json(&app, &reviewer, &uri, json!({"decision": "return"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, s) = post_json(
        &app,
        &reviewer,
        &uri,
        json!({"decision": "return", "reasons": "缺少铅、汞等必测项目"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "returned");

    // Reminders: what each department still owes, with days overdue and the reasons.
    as_user(&mut app, &viewer);
    let (_, list) = app
        .get_json("/api/v1/submissions/reminders?year=2020&as_of=2021-10-10")
        .await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|r| r["days_overdue"] == 10));
    let (status, ct, csv) = app
        .get("/api/v1/submissions/reminders?year=2020&as_of=2021-10-10&format=csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let mut rd = csv::Reader::from_reader(&csv[3..]);
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let returned = rows.iter().find(|r| &r[0] == "eco-env-513402").unwrap();
    assert_eq!(&returned[1], "会理市生态环境局");
    assert_eq!(&returned[2], "513402 会理市");
    assert_eq!(&returned[5], "2021-09-30");
    assert_eq!(&returned[6], "已退回");
    assert_eq!(&returned[7], "10");
    assert_eq!(&returned[8], "缺少铅、汞等必测项目");
    let (status, ct, xlsx) = app
        .get("/api/v1/submissions/reminders?year=2020&as_of=2021-10-10&format=xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("催报清单").unwrap();
    assert_eq!(sheet.height(), 3);
    let agri = sheet
        .rows()
        .find(|r| r[0] == Data::String("agri-513400".into()))
        .unwrap();
    assert_eq!(agri[3], Data::Float(2020.0));
    assert_eq!(agri[6], Data::String("待报送".into()));
    assert_eq!(agri[7], Data::Float(10.0));

    // Uploaded again, accepted; then no more uploads.
    as_user(&mut app, &officer);
    let (status, r) = upload(&app, id, "b.csv", &results_csv("HL-2", "0.35")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let second_batch = r["batch"]["id"].as_i64().unwrap();
    let (status, s) = post_json(&app, &reviewer, &uri, json!({"decision": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["status"], "accepted");
    let (status, _) = upload(&app, id, "c.csv", &results_csv("HL-3", "0.3")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        app.store.get_sample("HL-3").await.is_err(),
        "nothing imported"
    );

    // The history: who changed what, when.
    as_user(&mut app, &viewer);
    let (_, one) = app.get_json(&format!("/api/v1/submissions/{id}")).await;
    let steps: Vec<(String, String, Value)> = one["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["to"].as_str().unwrap().to_owned(),
                e["batch"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("shen".into(), "owed".into(), Value::Null),
            ("hui".into(), "received".into(), json!(first_batch)),
            ("shen".into(), "returned".into(), Value::Null),
            ("hui".into(), "received".into(), json!(second_batch)),
            ("shen".into(), "accepted".into(), Value::Null),
        ]
    );
    let (_, o) = app
        .get_json("/api/v1/submissions?year=2020&as_of=2021-10-01")
        .await;
    let t = &o["summary"]["total"];
    assert_eq!(
        (&t["received"], &t["accepted"], &t["overdue"], &t["late"]),
        (&json!(1), &json!(1), &json!(1), &json!(1))
    );
    let dept = o["summary"]["by_department"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "agri-513400")
        .unwrap()
        .clone();
    assert_eq!((&dept["owed"], &dept["overdue"]), (&json!(1), &json!(1)));

    // The pages.
    let (status, _, html) = app.get("/submissions?year=2020").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("会理市") && html.contains("州农业农村局"),
        "{html}"
    );
    let (status, _, html) = app.get("/submissions/reminders?year=2020").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("州农业农村局") && !html.contains("会理市生态环境局"));
    assert!(html.contains("format=xlsx"));
    let (status, _, html) = app.get(&format!("/submissions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("缺少铅、汞等必测项目") && html.contains("已通过"));
    app.finish().await;
}

#[tokio::test]
async fn submissions_on_sqlite() {
    walk(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn submissions_on_postgres() {
    if let Some(app) = TestApp::postgres("web_submissions").await {
        walk(app).await;
    }
}
