//! Public reports (issue 10, like the 12369 hotline) through the router: the form's checks
//! (location, photo type and size), the tracking number, the status by tracking number, the
//! handling by the county bureau with a public reply, the contact seen only by the handling
//! department, the rate limit per address, and stored text escaped on every page.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::conformance_network::point_inside;
use soilwatch_store::conformance_targets::indicator_fixture;
use soilwatch_store::{PublicReportStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn request(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    ip: &str,
    content_type: Option<String>,
    body: Vec<u8>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A multipart form: (name, file name, bytes).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let b = "report-boundary-42";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{b}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: image/jpeg\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn post_report(
    app: &TestApp,
    uri: &str,
    ip: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Reply {
    let (ct, body) = form(parts);
    request(app, "POST", uri, None, ip, Some(ct), body).await
}

const SCRIPT: &str = "土壤发黑<script>alert(1)</script>";

#[tokio::test]
async fn reports_are_tracked_handled_and_their_contact_kept_to_the_county() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    for (code, div, level) in [
        ("eco-env-513402", "513402", DivisionLevel::County),
        ("eco-env-513401", "513401", DivisionLevel::County),
    ] {
        store
            .create_department(
                &Department {
                    code: code.into(),
                    name: format!("{div} 生态环境局"),
                    level,
                    division: div.parse().unwrap(),
                },
                &ChangeMeta::new("t", "fixture"),
            )
            .await
            .unwrap();
    }
    let p = point_inside(store, "RPT", "513402", 0.0).await;
    let (lon, lat) = (
        p.point.location.lon().to_string(),
        p.point.location.lat().to_string(),
    );
    let uri = "/api/v1/public/reports";

    // Refusals name the field and store nothing.
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[("description", None, "x".as_bytes())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("field location"), "{}", r.text());
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[
            ("lon", None, b"0"),
            ("lat", None, b"0"),
            ("description", None, b"x"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not inside any county"), "{}", r.text());
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[
            ("lon", None, lon.as_bytes()),
            ("lat", None, lat.as_bytes()),
            ("description", None, b"x"),
            ("photo", Some("a.jpg"), b"<html>not an image"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not a JPEG or PNG"), "{}", r.text());
    let big = [PNG, &vec![0u8; 700 * 1024]].concat();
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[
            ("lon", None, lon.as_bytes()),
            ("lat", None, lat.as_bytes()),
            ("description", None, b"x"),
            ("photo", Some("b.png"), &big),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("larger than 600 KB"), "{}", r.text());
    assert!(store.list_public_reports(None).await.unwrap().is_empty());

    // A report by coordinates, with a photo and a contact.
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[
            ("lon", None, lon.as_bytes()),
            ("lat", None, lat.as_bytes()),
            ("description", None, SCRIPT.as_bytes()),
            ("contact", None, "举报人 13700000000".as_bytes()),
            ("photo", Some("p.png"), PNG),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    assert_eq!(created["division"], "513402");
    let tracking = created["tracking"].as_str().unwrap().to_owned();
    assert!(
        tracking.starts_with("JB") && tracking.len() == 20,
        "{tracking}"
    );
    // By address and county.
    let r = post_report(
        &app,
        uri,
        "127.0.0.2",
        &[
            ("address", None, "会理市某镇某村".as_bytes()),
            ("division", None, b"513401"),
            ("description", None, "河边堆放废渣".as_bytes()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["division"], "513401");

    // The status by tracking number: no contact, no coordinates.
    let r = request(
        &app,
        "GET",
        &format!("/api/v1/public/reports/{}", tracking.to_lowercase()),
        None,
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        (v["status"].as_str(), v["description"].as_str()),
        (Some("received"), Some(SCRIPT))
    );
    assert!(
        !r.text().contains("13700000000") && v.get("lon").is_none() && v.get("contact").is_none()
    );
    let r = request(
        &app,
        "GET",
        "/api/v1/public/reports/JB2026NOPE",
        None,
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Staff: the contact only for the county's own department.
    let officer = app
        .user_token("hl", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    let other = app
        .user_token("xc", Role::DataOfficer, Some("eco-env-513401"))
        .await;
    let prefecture = app
        .user_token("zr", Role::Reviewer, Some("eco-env-513400"))
        .await;
    let admin = app.user_token("ad", Role::Administrator, None).await;
    let viewer = app.user_token("vw", Role::Viewer, None).await;
    let id = store.find_public_report(&tracking).await.unwrap().id;
    let detail = format!("/api/v1/public-reports/{id}");
    let r = request(
        &app,
        "GET",
        &detail,
        Some(&officer),
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["report"]["contact"], "举报人 13700000000");
    assert_eq!(r.json()["handling_department"], true);
    for t in [&other, &prefecture, &admin] {
        let r = request(&app, "GET", &detail, Some(t), "127.0.0.3", None, vec![]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.text().contains("13700000000"), "{}", r.text());
        let r = request(
            &app,
            "GET",
            "/api/v1/public-reports",
            Some(t),
            "127.0.0.3",
            None,
            vec![],
        )
        .await;
        assert_eq!(r.json().as_array().unwrap().len(), 2);
        assert!(!r.text().contains("13700000000"));
    }
    let r = request(
        &app,
        "GET",
        &detail,
        Some(&viewer),
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = request(&app, "GET", &detail, None, "127.0.0.3", None, vec![]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = request(
        &app,
        "GET",
        &format!("{detail}/photos/1"),
        Some(&officer),
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "image/png");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.body, PNG);

    // Handling: the county bureau only; closing needs a public reply.
    let handle = format!("{detail}/handling");
    let json_ct = Some("application/json".to_owned());
    let reply = "已核查，<b>责令整改</b>";
    let body = |v: Value| v.to_string().into_bytes();
    let r = request(
        &app,
        "POST",
        &handle,
        Some(&other),
        "127.0.0.3",
        json_ct.clone(),
        body(json!({"status": "handling"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = request(
        &app,
        "POST",
        &handle,
        Some(&officer),
        "127.0.0.3",
        json_ct.clone(),
        body(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("field reply"));
    let r = request(
        &app,
        "POST",
        &handle,
        Some(&officer),
        "127.0.0.3",
        json_ct.clone(),
        body(json!({"status": "handling", "note": "内部：现场核查", "plot_code": "NOPE"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = request(
        &app,
        "POST",
        &handle,
        Some(&officer),
        "127.0.0.3",
        json_ct.clone(),
        body(json!({"status": "handling", "note": "内部：现场核查", "plot_code": "IX-P1"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = request(
        &app,
        "POST",
        &handle,
        Some(&officer),
        "127.0.0.3",
        json_ct.clone(),
        body(json!({"status": "closed", "reply": reply})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        (
            v["status"].as_str(),
            v["plot_code"].as_str(),
            v["version"].as_i64()
        ),
        (Some("closed"), Some("IX-P1"), Some(3))
    );
    let events = store.public_report_events(id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].note.as_deref(), Some("内部：现场核查"));

    // The public page: status, reply, everything escaped; no contact, no internal note.
    let r = request(
        &app,
        "GET",
        &format!("/public/reports/track?tracking={tracking}"),
        None,
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("已办结") && html.contains("&#60;b&#62;责令整改&#60;/b&#62;"),
        "{html}"
    );
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(!html.contains("<script>alert") && !html.contains("<b>责令"));
    assert!(!html.contains("13700000000") && !html.contains("内部：现场核查"));
    let r = request(
        &app,
        "GET",
        "/public/reports/track?tracking=JB0",
        None,
        "127.0.0.3",
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The form page answers with the tracking number.
    let r = post_report(
        &app,
        "/public/reports",
        "127.0.0.4",
        &[
            ("address", None, "西昌市某街".as_bytes()),
            ("division", None, b"513401"),
            ("description", None, "异味".as_bytes()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.text().contains("受理编号") && r.text().contains("id=\"tracking\">JB"));
    let r = post_report(
        &app,
        "/public/reports",
        "127.0.0.4",
        &[("description", None, "<i>x</i>".as_bytes())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("field location"));
}

#[tokio::test]
async fn reports_are_rate_limited_per_address() {
    let app = TestApp::sqlite().await;
    soilwatch_store::seed::seed(app.store.as_ref())
        .await
        .unwrap();
    let parts: &[(&str, Option<&str>, &[u8])] = &[
        ("address", None, "会理市某村".as_bytes()),
        ("division", None, b"513402"),
        ("description", None, "废水直排".as_bytes()),
    ];
    for i in 0..5 {
        let r = post_report(&app, "/api/v1/public/reports", "127.0.0.7", parts).await;
        assert_eq!(r.status, StatusCode::CREATED, "report {i}");
    }
    let r = post_report(&app, "/api/v1/public/reports", "127.0.0.7", parts).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("too many reports"));
    let r = post_report(&app, "/public/reports", "127.0.0.7", parts).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = post_report(&app, "/api/v1/public/reports", "127.0.0.8", parts).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "another address is not limited"
    );
    assert_eq!(app.store.list_public_reports(None).await.unwrap().len(), 6);
}

#[tokio::test]
async fn reports_on_postgres() {
    let Some(app) = TestApp::postgres("public_reports").await else {
        return;
    };
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
    let r = post_report(
        &app,
        "/api/v1/public/reports",
        "127.0.0.5",
        &[
            ("address", None, "会理市某村".as_bytes()),
            ("division", None, b"513402"),
            ("description", None, SCRIPT.as_bytes()),
            ("contact", None, b"13600000000"),
            ("photo", Some("p.png"), PNG),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let tracking = r.json()["tracking"].as_str().unwrap().to_owned();
    let report = app.store.find_public_report(&tracking).await.unwrap();
    assert_eq!(
        (report.photos, report.contact.as_deref()),
        (1, Some("13600000000"))
    );
    let officer = app
        .user_token("hl", Role::DataOfficer, Some("eco-env-513402"))
        .await;
    let r = request(
        &app,
        "POST",
        &format!("/api/v1/public-reports/{}/handling", report.id),
        Some(&officer),
        "127.0.0.5",
        Some("application/json".into()),
        json!({"status": "closed", "reply": "已处理"})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = request(
        &app,
        "GET",
        &format!("/api/v1/public/reports/{tracking}"),
        None,
        "127.0.0.5",
        None,
        vec![],
    )
    .await;
    assert_eq!(
        (
            r.json()["status"].as_str(),
            r.json()["public_reply"].as_str()
        ),
        (Some("closed"), Some("已处理"))
    );
    assert_eq!(
        app.store
            .public_report_photo(report.id, 1)
            .await
            .unwrap()
            .bytes,
        PNG
    );
    app.finish().await;
}

/// The pixel at which the form's map writes a county's name (the interior point of the county
/// as drawn, so a click there is inside it).
fn label_pixel(svg: &str, name: &str) -> (f64, f64) {
    let at = svg.find(&format!(">{name}<tspan")).unwrap();
    let start = svg[..at].rfind("<text x=\"").unwrap();
    let attr = |key: &str| -> f64 {
        let s = &svg[start..at];
        let i = s.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        s[i..i + s[i..].find('"').unwrap()].parse().unwrap()
    };
    (attr("x"), attr("y"))
}

/// The value of the form input `name`.
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\"")).unwrap();
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let i = tag.find("value=\"").unwrap() + 7;
    tag[i..i + tag[i..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_click_on_the_map_fills_in_the_location_and_keeps_the_form() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    soilwatch_store::seed::seed(store).await.unwrap();
    let form_page = request(
        &app,
        "GET",
        "/public/reports",
        None,
        "127.0.0.9",
        None,
        vec![],
    )
    .await;
    let html = form_page.text();
    assert!(
        html.contains(r#"<input type="image" name="map" src="/public/reports/map.svg""#)
            && html.contains(r#"formaction="/public/reports/locate" formnovalidate"#),
        "{html}"
    );
    let map = request(
        &app,
        "GET",
        "/public/reports/map.svg",
        None,
        "127.0.0.9",
        None,
        vec![],
    )
    .await;
    assert_eq!(map.status, StatusCode::OK);
    assert!(map.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    let svg = map.text();
    assert!(!svg.contains(r#"class="marker""#), "no location chosen yet");
    // Click on 西昌市 as drawn, with a description, an address and a contact typed already.
    let (x, y) = label_pixel(&svg, "西昌市");
    let (px, py) = (x.round().to_string(), y.round().to_string());
    let r = post_report(
        &app,
        "/public/reports/locate",
        "127.0.0.9",
        &[
            ("description", None, "河边堆放废渣 & <b>".as_bytes()),
            ("address", None, "某乡某村".as_bytes()),
            ("contact", None, b"13700000000"),
            ("lon", None, b""),
            ("lat", None, b""),
            ("map.x", None, px.as_bytes()),
            ("map.y", None, py.as_bytes()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("已选定位置：西昌市") && html.contains("location chosen: 西昌市"));
    assert!(
        html.contains(r#"<option value="513401" selected>"#),
        "{html}"
    );
    assert!(
        html.contains("河边堆放废渣 &#38; &#60;b&#62;</textarea>"),
        "kept and escaped"
    );
    assert_eq!(input_value(&html, "address"), "某乡某村");
    assert_eq!(input_value(&html, "contact"), "13700000000");
    // The coordinates filled in are inside 西昌市's stored boundary.
    let lon: f64 = input_value(&html, "lon").parse().unwrap();
    let lat: f64 = input_value(&html, "lat").parse().unwrap();
    let xichang = store
        .list_divisions()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.code.to_string() == "513401")
        .unwrap();
    use geo::Contains;
    assert!(xichang
        .boundary
        .unwrap()
        .contains(&geo::Point::new(lon, lat)));
    // The map drawn again marks that place at the pixel clicked.
    let src = format!("/public/reports/map.svg?lon={lon}&lat={lat}");
    assert!(html.contains(&format!(r#"src="{}""#, src.replace('&', "&#38;"))));
    let marked = request(&app, "GET", &src, None, "127.0.0.9", None, vec![])
        .await
        .text();
    let at = marked.find(r#"<g class="marker""#).unwrap();
    let circle = &marked[at..];
    let num = |key: &str| -> f64 {
        let i = circle.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        circle[i..i + circle[i..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    assert!(
        (num("cx") - x.round()).abs() < 1.0 && (num("cy") - y.round()).abs() < 1.0,
        "marker at ({}, {}), clicked ({px}, {py})",
        num("cx"),
        num("cy")
    );
    // Submitting the form so filled in files the report with 西昌市.
    let lon_s = lon.to_string();
    let lat_s = lat.to_string();
    let r = post_report(
        &app,
        "/api/v1/public/reports",
        "127.0.0.9",
        &[
            ("description", None, "河边堆放废渣".as_bytes()),
            ("lon", None, lon_s.as_bytes()),
            ("lat", None, lat_s.as_bytes()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["division"], "513401");

    // A click below the map (on its legend) chooses nothing and keeps what was typed.
    let below = (y + 2_000.0).to_string();
    let r = post_report(
        &app,
        "/public/reports/locate",
        "127.0.0.9",
        &[
            ("description", None, "废水直排".as_bytes()),
            ("map.x", None, px.as_bytes()),
            ("map.y", None, below.as_bytes()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("不在本州任何县（市）内") && html.contains("not inside a county"));
    assert!(html.contains("废水直排</textarea>"));
    assert_eq!(
        store.list_public_reports(None).await.unwrap().len(),
        1,
        "a click on the map stores nothing"
    );

    // A refused submission shows the form again with everything typed.
    let r = post_report(
        &app,
        "/public/reports",
        "127.0.0.9",
        &[
            ("description", None, "尾矿渗漏".as_bytes()),
            ("lon", None, b"102.3"),
            ("contact", None, b"13800000000"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("经度和纬度须同时填写"));
    assert!(html.contains("尾矿渗漏</textarea>"));
    assert_eq!(input_value(&html, "lon"), "102.3");
    assert_eq!(input_value(&html, "contact"), "13800000000");
}
