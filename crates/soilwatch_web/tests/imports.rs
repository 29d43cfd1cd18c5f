//! `POST /api/v1/imports`, the batches, and the templates, through the router.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::http::StatusCode;
use soilwatch_store::Role;
use soilwatch_store::{RegistryStore, Store};
use soilwatch_test_utils::TestApp;

/// The app with later requests made as a user (a data officer of the agriculture bureau, or
/// another role) by API token (issue 7).
async fn signed_in(mut app: TestApp, username: &str, role: Role) -> TestApp {
    let dept = role.needs_department().then_some("agri-513400");
    app.bearer = Some(app.user_token(username, role, dept).await);
    app
}

const CSV: &str = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
W-1,土壤,2023-09-01,513402,水田,镉,0.45,mg/kg\n\
W-1,土壤,2023-09-01,513402,水田,pH,5.2,无量纲\n";

async fn upload_cycle(app: &TestApp) {
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[
                ("file", Some("w.csv"), CSV.as_bytes()),
                ("department", None, b"agri-513400"),
            ],
            Some("county-agri"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["outcome"], "imported");
    assert_eq!(body["batch"]["uploader"], "county-agri");
    assert_eq!(body["batch"]["department"], "agri-513400");
    assert_eq!(body["batch"]["results"], 2);
    assert_eq!(body["report"]["errors"], 0);
    let id = body["batch"]["id"].as_i64().unwrap();
    assert!(body["summary"]
        .as_str()
        .unwrap()
        .starts_with("imported 2 rows"));

    let (status, again) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("again.csv"), CSV.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(again["batch"]["id"], id);

    let bad = CSV.replace("0.45", "-0.45");
    let (status, rejected) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("bad.csv"), bad.as_bytes())],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rejected["outcome"], "rejected");
    let issue = &rejected["report"]["issues"][0];
    assert_eq!(issue["row"], 2);
    assert_eq!(issue["file"], "bad.csv");
    assert!(!issue["message_cn"].as_str().unwrap().is_empty());
    assert!(!issue["message_en"].as_str().unwrap().is_empty());

    let (status, list) = app.get_json("/api/v1/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, one) = app.get_json(&format!("/api/v1/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["file_name"], "w.csv");
    let (status, _) = app.get_json("/api/v1/imports/9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The imported sample is found and evaluated: Cd 0.45 > 0.3 (paddy, pH ≤ 5.5).
    let (_, rows) = app
        .get_json("/api/v1/results?analyte=Cd&division=513402")
        .await;
    let sample_id = rows[0]["sample_id"].as_i64().unwrap();
    let (_, ev) = app
        .get_json(&format!("/api/v1/samples/{sample_id}/evaluation"))
        .await;
    assert_eq!(ev["evaluation"]["class"], "safe_utilization");

    let (status, missing) = app
        .post_multipart("/api/v1/imports", &[("kind", None, b"results")], None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(missing["error"]["code"], "bad_request");
}

#[tokio::test]
async fn upload_reimport_reject_on_sqlite() {
    upload_cycle(&signed_in(TestApp::sqlite().await, "county-agri", Role::DataOfficer).await).await;
}

#[tokio::test]
async fn upload_reimport_reject_on_postgres() {
    let Some(app) = TestApp::postgres("web_imports").await else {
        return;
    };
    let app = signed_in(app, "county-agri", Role::DataOfficer).await;
    upload_cycle(&app).await;
    app.finish().await;
}

#[tokio::test]
async fn templates_download() {
    let app = TestApp::sqlite().await;
    let (status, ct, body) = app.get("/api/v1/templates/results.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"));
    assert!(body.starts_with(b"PK"));
    let (status, ct, body) = app.get("/api/v1/templates/points.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(body.starts_with(&[0xEF, 0xBB, 0xBF]));
    for bad in [
        "/api/v1/templates/results",
        "/api/v1/templates/moon.csv",
        "/api/v1/templates/results.doc",
    ] {
        let (status, _, _) = app.get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn import_pages_without_javascript() {
    let app = signed_in(TestApp::sqlite().await, "web-user", Role::Administrator).await;
    let (status, ct, body) = app.get("/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("尚无导入"));

    let (status, body) = app
        .post_multipart_bytes(
            "/imports",
            &[
                ("file", Some("页面.csv"), CSV.as_bytes()),
                ("kind", None, b"auto"),
            ],
            Some("web-user"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("已入库") && html.contains("页面.csv") && html.contains("web-user"),
        "{html}"
    );

    let bad = CSV.replace("2023-09-01", "2023-02-30");
    let (_, body) = app
        .post_multipart_bytes(
            "/imports",
            &[("file", Some("bad.csv"), bad.as_bytes())],
            None,
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("已拒收") && html.contains("2023-02-30"),
        "{html}"
    );

    let (status, _, body) = app.get("/imports/1").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("页面.csv") && html.contains("SHA-256"));
    let (_, _, body) = app.get("/imports").await;
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("href=\"/imports/1\""));
    let (status, _, _) = app.get("/imports/77").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn imported_samples_show_their_batch() {
    let app = signed_in(TestApp::sqlite().await, "county-lab", Role::DataOfficer).await;
    let (status, body) = app
        .post_multipart(
            "/api/v1/imports",
            &[("file", Some("prov.csv"), CSV.as_bytes())],
            Some("county-lab"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let batch = body["batch"]["id"].as_i64().unwrap();
    // The find endpoints filter by batch.
    let (_, found) = app
        .get_json(&format!("/api/v1/samples?batch={batch}"))
        .await;
    let items = found["items"]
        .as_array()
        .or_else(|| found.as_array())
        .unwrap();
    assert_eq!(items.len(), 1, "{found}");
    let (_, none) = app
        .get_json(&format!("/api/v1/samples?batch={}", batch + 1))
        .await;
    assert!(none["items"]
        .as_array()
        .or_else(|| none.as_array())
        .unwrap()
        .is_empty());
    // The sample page names the batch, file and uploader.
    let id = app.store.get_sample("W-1").await.unwrap().id;
    let (status, _, html) = app.get(&format!("/samples/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains(&format!("/imports/{batch}"))
            && html.contains("prov.csv")
            && html.contains("county-lab"),
        "{html}"
    );
}

/// Issue 8: the `/imports` page lists the registries with their templates and imports a
/// registry file through the same form: all or nothing, the report in the page, the batch in the
/// list.
#[tokio::test]
async fn import_page_takes_registry_files() {
    let app = signed_in(TestApp::sqlite().await, "web-user", Role::Administrator).await;
    let (_, _, body) = app.get("/imports").await;
    let html = String::from_utf8(body).unwrap();
    for kind in [
        "enterprises",
        "plots",
        "tailings-ponds",
        "remediation-projects",
        "manifests",
        "mining-areas",
        "demolition-plans",
        "disclosures",
    ] {
        assert!(
            html.contains(&format!("<option value=\"{kind}\">")),
            "{kind}: {html}"
        );
        assert!(
            html.contains(&format!("href=\"/api/v1/templates/{kind}.xlsx\"")),
            "{kind}"
        );
    }
    let good = "矿区编码,矿区名称,矿种,行政区划代码,矿区状态,伴生放射性,辐射监测起始年份\n\
                KQ-P-1,某稀土矿区,稀土,513402,在产,是,2021\n";
    let bad = format!("{good}KQ-P-2,某矿区,铅锌,513401,在产,是,\n");
    let (status, body) = app
        .post_multipart_bytes(
            "/imports",
            &[
                ("file", Some("矿区.csv"), bad.as_bytes()),
                ("kind", None, b"mining-areas"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("已拒收") && html.contains("辐射监测起始年份") && html.contains("起始年份"),
        "{html}"
    );
    assert!(app.store.get_mining_area("KQ-P-1").await.is_err());
    let (status, body) = app
        .post_multipart_bytes(
            "/imports",
            &[
                ("file", Some("矿区.csv"), good.as_bytes()),
                ("kind", None, b"mining-areas"),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("已入库") && html.contains("1 created") && html.contains("web-user"),
        "{html}"
    );
    assert_eq!(
        app.store
            .get_mining_area("KQ-P-1")
            .await
            .unwrap()
            .item
            .mineral,
        "稀土"
    );
    let (_, body) = app
        .post_multipart_bytes(
            "/imports",
            &[
                ("file", Some("again.csv"), good.as_bytes()),
                ("kind", None, b"mining-areas"),
            ],
            None,
        )
        .await;
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("未变化") && html.contains("already imported"),
        "{html}"
    );
}
