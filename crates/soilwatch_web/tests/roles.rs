//! Walks the whole table of `docs/ROLES.md` (issue 7): every route for the public and for a
//! user of each role (by API token), checking allowed / 401 / 403 as the table says. Also the
//! sign-in page, CSRF, throttling, sessions, sign-out and the audit log in one walk-through.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use soilwatch_classify::{EvaluationUnit, UnitSource};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel, Medium};
use soilwatch_store::auth::NewUser;
use soilwatch_store::auth_secret::hash_password;
use soilwatch_store::SubmissionStore;
use soilwatch_store::{
    conformance, conformance_network, AuthStore, ClassificationStore, NetworkStore, Role, Store,
};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

const TABLE: &str = include_str!("../../../docs/ROLES.md");

struct Reply {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: Body,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get_all(n)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (status, location, cookies) = (res.status(), h("location").join(""), h("set-cookie"));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        location,
        cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

const CSV: &str = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
R-1,土壤,2023-09-01,513402,水田,镉,0.45,mg/kg\n";

fn multipart(department: &str) -> (String, Body) {
    let b = "roles-boundary-x";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n\r\n{CSV}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"department\"\r\n\r\n{department}\r\n--{b}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={b}"),
        Body::from(body),
    )
}

/// A GeoJSON upload of one paddy parcel in 会理市 (around the point at `x`, `y`).
fn units_multipart(x: f64, y: f64) -> (String, Body) {
    let b = "roles-units-boundary";
    let d = 0.001;
    let geojson = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": "RU-9", "land_use": "0101"},
        "geometry": {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d],
            [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}}]});
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.geojson\"\r\n\r\n\
         {geojson}\r\n--{b}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={b}"),
        Body::from(body),
    )
}

/// A GeoJSON upload of plot RPL-1's boundary (issue 11), around the point at `x`, `y`.
fn boundaries_multipart(x: f64, y: f64) -> (String, Body) {
    let b = "roles-plot-boundaries";
    let d = 0.0015;
    let geojson = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": "RPL-1"},
        "geometry": {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d],
            [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}}]});
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.geojson\"\r\n\r\n\
         {geojson}\r\n--{b}\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\nroles\r\n--{b}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={b}"),
        Body::from(body),
    )
}

#[tokio::test]
async fn every_role_on_every_route_of_the_table() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    // Two county bureaus: the officer's (会理市 513402) and another (西昌市 513401).
    for (code, div) in [("eco-env-513402", "513402"), ("eco-env-513401", "513401")] {
        store
            .create_department(
                &Department {
                    code: code.into(),
                    name: format!("{div} 生态环境局"),
                    level: DivisionLevel::County,
                    division: div.parse().unwrap(),
                },
                &ChangeMeta::new("t", "fixture"),
            )
            .await
            .unwrap();
    }
    let p = conformance_network::point_inside(store, "RP-1", "513402", 0.0).await;
    store
        .create_point(&p, &ChangeMeta::new("t", "fixture"))
        .await
        .unwrap();
    let s = conformance::sample(
        "RS-1",
        Some("RP-1"),
        "513402",
        Medium::Soil,
        "2021-07-01",
        &[("Cd", "0.41")],
    );
    store
        .insert_samples(&[s], &ChangeMeta::new("t", "fixture"))
        .await
        .unwrap();
    let sample = store.get_sample("RS-1").await.unwrap();
    let (sid, rid) = (sample.id, sample.results[0].id);
    // Issue 9: a campaign that the officer's department owes.
    store
        .create_campaign(
            &soilwatch_store::submissions::NewCampaign {
                year: 2020,
                data_kind: soilwatch_store::submissions::DataKind::SoilQuality,
                due_on: None,
                departments: vec!["eco-env-513402".into()],
                note: String::new(),
            },
            "t",
        )
        .await
        .unwrap();
    let submission = store.list_submissions(&Default::default()).await.unwrap()[0].id;
    // Issue 9: an access request to the agriculture bureau's conditional dataset.
    let request = soilwatch_store::SharingStore::request_access(
        store,
        "farmland_classification",
        "eco-env-513401",
        "roles",
        "t",
    )
    .await
    .unwrap()
    .id;
    // Issue 10: a public report in 会理市, handled by that county's bureau.
    let report = soilwatch_store::PublicReportStore::create_public_report(
        store,
        &soilwatch_store::public_reports::NewPublicReport {
            division: Some("513402".parse().unwrap()),
            address: Some("会理市某镇".into()),
            description: "roles".into(),
            client_key: "roles".into(),
            ..Default::default()
        },
        soilwatch_store::public_reports::RateLimit::default(),
    )
    .await
    .unwrap()
    .id;

    // Registry records and a classification run in 会理市, registered through the API by an
    // administrator, for the rows that change them.
    let root = app.user_token("root", Role::Administrator, None).await;
    let (x, y) = (p.point.location.lon(), p.point.location.lat());
    let d = 0.002;
    for (uri, body) in [
        ("/api/v1/plots", plot_body("RPL-1")),
        ("/api/v1/enterprises", enterprise_body()),
        ("/api/v1/remediation-projects", project_body("RPRJ-1")),
        ("/api/v1/manifests", manifest_body("RLD-1")),
        ("/api/v1/tailings-ponds", pond_body("RTP-1")),
        ("/api/v1/demolition-plans", demolition_body("RDP-1")),
        ("/api/v1/mining-areas", mining_body("RMA-1")),
    ] {
        let r = send(
            &app,
            "POST",
            uri,
            &[
                ("authorization", format!("Bearer {root}")),
                ("content-type", "application/json".into()),
            ],
            Body::from(body.to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{uri}: {}", r.body);
    }
    let unit = EvaluationUnit::new(
        "RU-1".into(),
        "513402".parse().unwrap(),
        UnitSource::Parcel,
        Some("0101".parse().unwrap()),
        geo::Polygon::new(
            geo::LineString::from(vec![
                (x - d, y - d),
                (x + d, y - d),
                (x + d, y + d),
                (x - d, y + d),
                (x - d, y - d),
            ]),
            vec![],
        )
        .into(),
    )
    .unwrap();
    store
        .put_units(&[unit], "roles.geojson", &ChangeMeta::new("t", "fixture"))
        .await
        .unwrap();
    let r = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        &[
            ("authorization", format!("Bearer {root}")),
            ("content-type", "application/json".into()),
        ],
        Body::from(json!({"year": 2022, "county": "513402"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let run: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let run_id = run["id"].as_i64().unwrap().to_string();

    let columns: Vec<(&str, Option<String>)> = vec![
        ("public", None),
        (
            "viewer",
            Some(app.user_token("v", Role::Viewer, None).await),
        ),
        (
            "reviewer",
            Some(
                app.user_token("r", Role::Reviewer, Some("eco-env-513400"))
                    .await,
            ),
        ),
        (
            "data officer",
            Some(
                app.user_token("o", Role::DataOfficer, Some("eco-env-513402"))
                    .await,
            ),
        ),
        (
            "officer, other dept.",
            Some(
                app.user_token("x", Role::DataOfficer, Some("eco-env-513401"))
                    .await,
            ),
        ),
        (
            "administrator",
            Some(app.user_token("a", Role::Administrator, None).await),
        ),
    ];
    let point_body = json!({
        "code": "RP-2", "name": "角色测试", "point_type": "basic", "control_level": "county",
        "division": "513402", "lon": p.point.location.lon(), "lat": p.point.location.lat(),
        "reason": "roles"
    });
    let mut header_cols: Vec<String> = Vec::new();
    let mut rows = 0;
    for line in TABLE.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "Method" {
            header_cols = cells[2..].iter().map(|c| c.to_string()).collect();
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        assert_eq!(
            header_cols,
            columns.iter().map(|c| c.0).collect::<Vec<_>>(),
            "the table's columns"
        );
        rows += 1;
        let (method, route) = (cells[0], cells[1]);
        let uri = route
            .replace("{point}", "RP-1")
            .replace("{dept}", "eco-env-513402")
            .replace("{sample}", &sid.to_string())
            .replace("{result}", &rid.to_string())
            .replace("{plot}", "RPL-1")
            .replace("{uscc}", USCC)
            .replace("{year}", "2024")
            .replace("{project}", "RPRJ-1")
            .replace("{manifest}", "RLD-1")
            .replace("{pond}", "RTP-1")
            .replace("{plan}", "RDP-1")
            .replace("{area}", "RMA-1")
            .replace("{run}", &run_id)
            .replace("{unit}", "RU-1")
            .replace("{submission}", &submission.to_string())
            .replace("{dataset}", "farmland_classification")
            .replace("{request}", &request.to_string())
            .replace("{user}", "roles-new")
            .replace("{report}", &report.to_string());
        for ((who, token), expected) in columns.iter().zip(&cells[2..]) {
            let mut headers = Vec::new();
            if let Some(t) = token {
                headers.push(("authorization", format!("Bearer {t}")));
            }
            let body = match (method, route) {
                ("POST", "/api/v1/imports")
                | ("POST", "/imports")
                | ("POST", "/api/v1/submissions/{submission}/uploads")
                | ("POST", "/submissions/{submission}/upload") => {
                    let (ct, body) = multipart("eco-env-513402");
                    headers.push(("content-type", ct));
                    body
                }
                ("POST", "/public/reports/locate") => {
                    let b = "roles-boundary-x";
                    headers.push(("content-type", format!("multipart/form-data; boundary={b}")));
                    Body::from(format!(
                        "--{b}\r\nContent-Disposition: form-data; name=\"map.x\"\r\n\r\n200\r\n\
                         --{b}\r\nContent-Disposition: form-data; name=\"map.y\"\r\n\r\n200\r\n--{b}--\r\n"
                    ))
                }
                ("POST", "/targets") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from(
                        "division=513402&year=2024&indicator=farmland_safe_use_rate&value=94&reason=roles",
                    )
                }
                // The point forms (pages): the fields of the API's point body.
                ("POST", "/points/new") | ("POST", "/points/{point}/edit") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from(format!(
                        "code=RP-3&name=roles&point_type=basic&control_level=county&division=513402&lon={x}&lat={y}&reason=roles"
                    ))
                }
                ("POST", "/plots/new") | ("POST", "/plots/{plot}/edit") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from("code=RPL-3&name=roles&division=513402&reason=roles")
                }
                ("POST", "/demolition-plans/new") | ("POST", "/demolition-plans/{plan}/edit") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from(format!(
                        "code=RDP-3&enterprise_uscc={USCC}&facilities=roles&cleanup_plan_title=roles&filing_bureau=roles&filed_on=2024-03-01&planned_start=2024-04-01&reason=roles"
                    ))
                }
                ("POST", "/mining-areas/new") | ("POST", "/mining-areas/{area}/edit") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from(
                        "code=RMA-3&name=roles&mineral=roles&division=513402&status=operating&associated_radioactivity=no&reason=roles",
                    )
                }
                ("POST", "/public-reports/{report}") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from("status=handling&reply=roles")
                }
                ("POST", "/api/v1/classification/units") => {
                    let (ct, body) = units_multipart(x, y);
                    headers.push(("content-type", ct));
                    body
                }
                ("POST", "/api/v1/plots/boundaries") => {
                    let (ct, body) = boundaries_multipart(x, y);
                    headers.push(("content-type", ct));
                    body
                }
                ("GET", _) => Body::empty(),
                ("POST", "/admin/users") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from("username=roles-new&display_name=x&role=viewer&department=")
                }
                ("POST", "/admin/departments") | ("POST", "/admin/departments/{dept}") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from("code=roles-page&name=%E4%BC%9A%E7%90%86&division=513402")
                }
                ("POST", r) if r.starts_with("/admin/users/") => Body::empty(),
                ("POST", "/submissions/{submission}/review") => {
                    headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                    Body::from("decision=accept")
                }
                _ => {
                    headers.push(("content-type", "application/json".into()));
                    let v = match route {
                        "/api/v1/points" | "/api/v1/points/{point}" => point_body.clone(),
                        "/api/v1/points/{point}/retire" => json!({"reason": "roles"}),
                        "/api/v1/departments" | "/api/v1/departments/{dept}" => json!({
                            "code": "roles-513402", "name": "会理市测试局", "division": "513402"
                        }),
                        "/api/v1/auth/tokens" => json!({"name": "roles"}),
                        "/api/v1/plots" => plot_body("RPL-2"),
                        "/api/v1/plots/{plot}" => plot_body("RPL-1"),
                        "/api/v1/plots/{plot}/steps" => json!({
                            "stage": "preliminary_survey", "date": "2024-05-01",
                            "report": {"title": "初步调查报告"}, "reason": "roles"
                        }),
                        "/api/v1/enterprises" | "/api/v1/enterprises/{uscc}" => enterprise_body(),
                        "/api/v1/enterprises/{uscc}/disclosures/{year}" => json!({
                            "disclosed_on": "2025-01-20", "facilities": "污水处理站",
                            "reason": "roles"
                        }),
                        "/api/v1/remediation-projects" => project_body("RPRJ-2"),
                        "/api/v1/remediation-projects/{project}" => project_body("RPRJ-1"),
                        "/api/v1/manifests" => manifest_body("RLD-2"),
                        "/api/v1/manifests/{manifest}" => manifest_body("RLD-1"),
                        "/api/v1/manifests/{manifest}/receive" => json!({
                            "quantity": "12", "arrived_at": in_hours(30), "reason": "roles"
                        }),
                        "/api/v1/demolition-plans" => demolition_body("RDP-2"),
                        "/api/v1/demolition-plans/{plan}" => demolition_body("RDP-1"),
                        "/api/v1/demolition-plans/{plan}/status" => json!({
                            "status": "in_progress", "date": "2024-04-02", "reason": "roles"
                        }),
                        "/api/v1/mining-areas" => mining_body("RMA-2"),
                        "/api/v1/mining-areas/{area}" => mining_body("RMA-1"),
                        "/api/v1/tailings-ponds" => pond_body("RTP-2"),
                        "/api/v1/tailings-ponds/{pond}" => pond_body("RTP-1"),
                        "/api/v1/classification/runs" => {
                            json!({"year": 2023, "county": "513402"})
                        }
                        "/api/v1/classification/runs/{run}/units/{unit}/review" => {
                            json!({"action": "confirm", "reason": "roles"})
                        }
                        "/api/v1/classification/target-areas" => json!({
                            "unit_code": "RU-1", "year": 2024, "measure": "safe_use_agronomic",
                            "area_mu": 1.0, "reason": "roles"
                        }),
                        "/api/v1/standards" => json!({
                            "id": "roles-local", "base": "gb15618-2018", "name": "角色测试",
                            "version": "2026", "reason": "roles",
                            "csv": "analyte,land_use,ph_band,land_class,value_type,value,unit,source\n\
                                    Cd,paddy,5.5-6.5,,screening,0.35,mg/kg,roles\n"
                        }),
                        "/api/v1/submission-campaigns" => json!({
                            "year": 2019, "data_kind": "groundwater",
                            "departments": ["eco-env-513402"]
                        }),
                        "/api/v1/submissions/{submission}/review" => json!({"decision": "accept"}),
                        "/api/v1/targets/513402/2024/farmland_safe_use_rate" => {
                            json!({"value": 94, "reason": "roles"})
                        }
                        "/api/v1/catalogue/{dataset}" => json!({
                            "name": "耕地土壤环境质量类别划分", "owner_department": "agri-513400",
                            "sharing_level": "conditional", "fields": ["样品编号 sample"],
                            "update_frequency": "每年", "access_methods": ["api"]
                        }),
                        "/api/v1/catalogue/{dataset}/requests" => json!({"purpose": "roles"}),
                        "/api/v1/access-requests/{request}/decision" => {
                            json!({"decision": "grant"})
                        }
                        // Not a zip: refused (422) once the role is allowed.
                        "/api/v1/packages" => json!({"roles": "not a package"}),
                        "/api/v1/public-reports/{report}/handling" => {
                            json!({"status": "handling", "reply": "roles"})
                        }
                        other => panic!("no request body for {method} {other}: add one here"),
                    };
                    Body::from(v.to_string())
                }
            };
            let r = send(&app, method, &uri, &headers, body).await;
            let ok = match *expected {
                "yes" => r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN,
                "401" => {
                    r.status == StatusCode::UNAUTHORIZED
                        || (r.status == StatusCode::SEE_OTHER && r.location.starts_with("/login"))
                }
                "403" => r.status == StatusCode::FORBIDDEN,
                other => panic!("unknown cell '{other}' in ROLES.md"),
            };
            assert!(
                ok,
                "{method} {route} as {who}: expected {expected}, got {} {}",
                r.status, r.body
            );
        }
    }
    assert!(rows >= 30, "the table has {rows} rows");

    // The signed-in officer is who changed the plot (no header can claim another name), and
    // they cannot move it out of their county.
    let officer = columns[3].1.clone().unwrap();
    let mut app = app;
    app.bearer = Some(officer.clone());
    let (_, history) = app.get_json("/api/v1/plots/RPL-1/history").await;
    let actors: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["actor"].as_str())
        .collect();
    assert!(
        actors.contains(&"o") && actors.contains(&"root"),
        "{history}"
    );
    let mut moved = plot_body("RPL-1");
    moved["division"] = json!("513401");
    let r = send(
        &app,
        "PUT",
        "/api/v1/plots/RPL-1",
        &[
            ("authorization", format!("Bearer {officer}")),
            ("content-type", "application/json".into()),
            ("x-soilwatch-actor", "root".into()),
        ],
        Body::from(moved.to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let (_, plot) = app.get_json("/api/v1/plots/RPL-1").await;
    assert_eq!(plot["division"], "513402");
}

const USCC: &str = "91350100M000100Y43";

fn plot_body(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "角色测试地块", "division": "513402", "planned_use": "R2",
           "former_use": "铅锌冶炼厂", "identified_on": "2019-03-01", "reason": "roles"})
}

fn enterprise_body() -> serde_json::Value {
    json!({"uscc": USCC, "name": "会理某铅锌冶炼有限公司", "industry": "有色金属冶炼",
           "division": "513402", "address": "会理市某镇", "lon": 102.25, "lat": 26.65,
           "listed_year": 2020, "status": "在产", "reason": "roles"})
}

fn project_body(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "角色测试工程", "plot_code": "RPL-1", "mode": "治理修复",
           "responsible_unit": "会理市某公司", "technique": "异位固化/稳定化", "reason": "roles"})
}

fn in_hours(h: i64) -> String {
    let bj = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    (chrono::Utc::now() + chrono::Duration::hours(h))
        .with_timezone(&bj)
        .to_rfc3339()
}

/// A load from the project in 会理市 to a facility in 会理市 (both ends are the officer's county).
fn manifest_body(code: &str) -> serde_json::Value {
    json!({"code": code, "project_code": "RPRJ-1", "quantity": "12", "unit": "吨",
           "transport_mode": "公路", "route": "会理—G5", "carrier": "某危货运输公司",
           "vehicle": "川W12345", "departure_at": in_hours(24), "destination_facility": "会理某处置场",
           "destination_division": "513402", "disposal": "填埋", "reason": "roles"})
}

fn pond_body(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "某尾矿库", "enterprise_uscc": USCC, "division": "513402",
           "status": "在用", "reason": "roles"})
}

fn demolition_body(code: &str) -> serde_json::Value {
    json!({"code": code, "enterprise_uscc": USCC, "facilities": ["电解车间"],
           "cleanup_plan": {"title": "残留污染物清理和安全处置方案"},
           "filing": {"bureau": "会理市生态环境局", "filed_on": "2024-03-01"},
           "planned_start": "2024-04-01", "reason": "roles"})
}

fn mining_body(code: &str) -> serde_json::Value {
    json!({"code": code, "name": "某稀土矿区", "mineral": "稀土", "division": "513402",
           "status": "在产", "associated_radioactivity": true, "monitoring_since": 2022,
           "point_codes": ["RP-1"], "reason": "roles"})
}

fn cookie(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let (kv, _) = c.split_once(';')?;
        let (k, v) = kv.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap() + key.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn sign_in_csrf_throttle_sign_out_and_audit() {
    let app = TestApp::sqlite().await;
    app.store
        .create_user(&NewUser {
            username: "wang".into(),
            display_name: "王".into(),
            role: Role::Administrator,
            department: None,
            password_hash: hash_password("Right password 1").unwrap(),
        })
        .await
        .unwrap();
    let form = |csrf: &str, user: &str, pw: &str| {
        format!("csrf={csrf}&username={user}&password={pw}&next=%2Fadmin%2Faudit")
    };
    let login_form = send(&app, "GET", "/login", &[], Body::empty()).await;
    assert_eq!(login_form.status, StatusCode::OK);
    let set = login_form.cookies.join("\n");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let csrf_cookie = cookie(&login_form.cookies, "sw_login_csrf").unwrap();
    let csrf = hidden(&login_form.body, "csrf");
    assert_eq!(csrf, csrf_cookie);
    let ct = (
        "content-type",
        "application/x-www-form-urlencoded".to_owned(),
    );
    let with_cookie = |c: &str| ("cookie", format!("sw_login_csrf={c}"));

    // Without the double-submit cookie: refused.
    let r = send(
        &app,
        "POST",
        "/login",
        std::slice::from_ref(&ct),
        Body::from(form(&csrf, "wang", "Right+password+1")),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Wrong password and unknown user: the same generic message.
    let wrong = send(
        &app,
        "POST",
        "/login",
        &[ct.clone(), with_cookie(&csrf)],
        Body::from(form(&csrf, "wang", "nope")),
    )
    .await;
    let unknown = send(
        &app,
        "POST",
        "/login",
        &[ct.clone(), with_cookie(&csrf)],
        Body::from(form(&csrf, "nobody", "nope")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong
        .body
        .contains("用户名或密码错误 / wrong username or password"));
    assert!(unknown
        .body
        .contains("用户名或密码错误 / wrong username or password"));

    // Right password: a session cookie and the way on.
    let ok = send(
        &app,
        "POST",
        "/login",
        &[ct.clone(), with_cookie(&csrf)],
        Body::from(form(&csrf, "wang", "Right+password+1")),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location, "/admin/audit");
    let session = cookie(&ok.cookies, "sw_session").unwrap();
    assert_eq!(session.len(), 64);
    let sc = ("cookie", format!("sw_session={session}"));
    let audit = send(
        &app,
        "GET",
        "/admin/audit",
        std::slice::from_ref(&sc),
        Body::empty(),
    )
    .await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("sign_in_failed") && audit.body.contains("sign_in"));
    let me = send(
        &app,
        "GET",
        "/api/v1/auth/me",
        std::slice::from_ref(&sc),
        Body::empty(),
    )
    .await;
    assert!(
        me.body.contains("\"role\":\"administrator\""),
        "{}",
        me.body
    );

    // A form POST with the session but without its CSRF token: 403; with it: done.
    let dept = "code=t-513402&name=%E6%B5%8B%E8%AF%95&division=513402";
    let r = send(
        &app,
        "POST",
        "/admin/departments",
        &[sc.clone(), ct.clone()],
        Body::from(dept),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = send(
        &app,
        "GET",
        "/admin/departments",
        std::slice::from_ref(&sc),
        Body::empty(),
    )
    .await;
    let token = hidden(&page.body, "csrf");
    let r = send(
        &app,
        "POST",
        "/admin/departments",
        &[sc.clone(), ct.clone()],
        Body::from(format!("csrf={token}&{dept}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("t-513402"));
    // Responses for signed-in users are not cached.
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/divisions?boundary=false")
                .header("cookie", format!("sw_session={session}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");

    // Sign out (with the token): the session ends.
    let r = send(
        &app,
        "POST",
        "/logout",
        &[sc.clone(), ct.clone()],
        Body::from(format!("csrf={token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &app,
        "GET",
        "/api/v1/auth/me",
        std::slice::from_ref(&sc),
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Throttling: 5 failures for one user, then even the right password waits 15 minutes.
    for _ in 0..5 {
        send(
            &app,
            "POST",
            "/login",
            &[ct.clone(), with_cookie(&csrf)],
            Body::from(form(&csrf, "wang", "nope")),
        )
        .await;
    }
    let r = send(
        &app,
        "POST",
        "/login",
        &[ct.clone(), with_cookie(&csrf)],
        Body::from(form(&csrf, "wang", "Right+password+1")),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("15 分钟") && r.body.contains("15 minutes"));

    // A bad token is a 401, a revoked one too; the audit log has the sign-ins and the write.
    let r = send(
        &app,
        "GET",
        "/api/v1/auth/me",
        &[("authorization", "Bearer swt_nope".into())],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let entries = app
        .store
        .list_audit(&soilwatch_store::auth::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    for action in [
        "sign_in",
        "sign_in_failed",
        "sign_in_throttled",
        "sign_out",
        "write",
        "denied",
    ] {
        assert!(
            entries.iter().any(|e| e.action == action),
            "{action} in the audit log"
        );
    }
    assert!(
        entries.iter().all(|e| !e.target.contains(&token)),
        "no CSRF token in the log"
    );
}
