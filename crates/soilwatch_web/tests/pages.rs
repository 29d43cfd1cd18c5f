//! The pages of issue 7 through the router: the dashboard, the county pages, the list pages and
//! the English switch, for the public and for signed-in users, on a small fixture whose numbers
//! are worked out by hand (and compared with what the JSON API answers for the same data).

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use geo::polygon;
use http_body_util::BodyExt;
use soilwatch_classify::{ClassifySettings, EvaluationUnit, UnitSource};
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::classification_service::{run_classification, RunRequest};
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_enterprise::{Enterprise, EnterpriseStatus};
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::{
    conformance, conformance_network, ClassificationStore, NetworkStore, RegistryStore, Role, Store,
};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

fn change(reason: &str) -> ChangeMeta {
    ChangeMeta::new("tester", reason)
}

/// A paddy parcel of ±0.004° around (x, y).
fn parcel(code: &str, x: f64, y: f64) -> EvaluationUnit {
    let d = 0.004;
    let g: geo::MultiPolygon<f64> = polygon![(x: x - d, y: y - d), (x: x + d, y: y - d),
        (x: x + d, y: y + d), (x: x - d, y: y + d), (x: x - d, y: y - d)]
    .into();
    EvaluationUnit::new(
        code.into(),
        "513402".parse().unwrap(),
        UnitSource::Parcel,
        Some("0101".parse().unwrap()),
        g,
    )
    .unwrap()
}

/// 会理市 (513402): points HL-A and HL-B, a paddy parcel around each, soil of 2024 at both
/// (pH 6.0: Cd screening 0.4, intervention 2.0 for paddy; HL-A Cd 0.4 = screening, HL-B Cd 2.5
/// above intervention), rice at HL-A (Cd 0.3 > 0.2), a classification run of 2024 (HL-P-A safe
/// utilization through the rice, HL-P-B strict control), a suspected plot and an enterprise.
/// 西昌市 (513401): one point XC-1, sampled once in 2023. Returns the run id.
async fn fixture(app: &TestApp) -> i64 {
    let store = app.store.as_ref();
    let a = conformance_network::point_inside(store, "HL-A", "513402", 0.0).await;
    let b = conformance_network::point_inside(store, "HL-B", "513402", 150.0).await;
    let x = conformance_network::point_inside(store, "XC-1", "513401", 0.0).await;
    for p in [&a, &b, &x] {
        store.create_point(p, &change("points")).await.unwrap();
    }
    let units = [
        parcel("HL-P-A", a.point.location.lon(), a.point.location.lat()),
        parcel("HL-P-B", b.point.location.lon(), b.point.location.lat()),
    ];
    store
        .put_units(&units, "parcels.geojson", &change("parcels"))
        .await
        .unwrap();
    let metals = |cd: &'static str| {
        vec![
            ("Cd", cd),
            ("Hg", "0.1"),
            ("As", "10"),
            ("Pb", "30"),
            ("Cr", "80"),
            ("pH", "6.0"),
        ]
    };
    let mut rice = conformance::sample(
        "HL-C-A",
        Some("HL-A"),
        "513402",
        Medium::AgriculturalProduct,
        "2024-09-01",
        &[("Cd", "0.3")],
    );
    rice.sample.crop = Some("水稻".into());
    let batch = vec![
        conformance::sample(
            "HL-S-A",
            Some("HL-A"),
            "513402",
            Medium::Soil,
            "2024-05-01",
            &metals("0.4"),
        ),
        conformance::sample(
            "HL-S-B",
            Some("HL-B"),
            "513402",
            Medium::Soil,
            "2024-05-01",
            &metals("2.5"),
        ),
        rice,
        conformance::sample(
            "XC-S-1",
            Some("XC-1"),
            "513401",
            Medium::Soil,
            "2023-06-01",
            &metals("0.2"),
        ),
    ];
    store
        .insert_samples(&batch, &change("samples"))
        .await
        .unwrap();
    let run = run_classification(
        store,
        &RunRequest {
            year: 2024,
            division: Some("513402".parse().unwrap()),
            settings: ClassifySettings::default(),
            actor: "classifier".into(),
        },
    )
    .await
    .unwrap();
    store
        .create_plot(
            &Plot::new("PL-HL-1", "会理某冶炼厂旧址", "513402".parse().unwrap()),
            NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(),
            &change("plot"),
        )
        .await
        .unwrap();
    store
        .create_enterprise(
            &Enterprise {
                uscc: "91350100M000100Y43".parse().unwrap(),
                name: "会理某铅锌冶炼有限公司".into(),
                industry: Industry::NonferrousSmelting,
                division: "513402".parse().unwrap(),
                address: Some("会理市某镇".into()),
                location: None,
                listed_year: 2019,
                responsibility_letter: None,
                status: EnterpriseStatus::Operating,
                contact: None,
                point_codes: Vec::new(),
            },
            &change("enterprise"),
        )
        .await
        .unwrap();
    run.id
}

struct Reply {
    status: StatusCode,
    location: String,
    cookies: Vec<String>,
    body: String,
}

/// GET with optional token and cookie.
async fn get(app: &TestApp, uri: &str, token: Option<&str>, cookie: Option<&str>) -> Reply {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
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
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn json(app: &TestApp, uri: &str, token: &str) -> serde_json::Value {
    let r = get(app, uri, Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// The table row of a county (from its link to the end of the row).
fn row<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!("<th scope=\"row\"><a href=\"/counties/{code}\">"))
        .unwrap_or_else(|| panic!("no row for {code}"));
    let end = html[start..].find("</tr>").unwrap();
    &html[start..start + end]
}

/// The numeric cells of a row.
fn cells(row: &str) -> Vec<String> {
    row.split("<td class=\"n\">")
        .skip(1)
        .map(|c| c[..c.find("</td>").unwrap()].to_owned())
        .collect()
}

/// The page without its SVG drawings (each replaced by a count of its links) and with the ids
/// of runs and the current year redacted, for snapshots.
fn redacted(html: &str, run_id: i64) -> String {
    let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
    let mut out = String::new();
    let mut rest = main;
    while let Some(i) = rest.find("<svg") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("</svg>").unwrap() + i + 6;
        let svg = &rest[i..j];
        out.push_str(&format!(
            "[svg: {} links, {} paths, {} circles]",
            svg.matches("<a ").count(),
            svg.matches("<path").count(),
            svg.matches("<circle").count()
        ));
        rest = &rest[j..];
    }
    out.push_str(rest);
    out.replace(&format!("runs/{run_id}"), "runs/[run]")
        .replace(&format!("批次 {run_id}"), "批次 [run]")
}

#[tokio::test]
async fn dashboard_for_the_public_shows_public_numbers_equal_to_the_api() {
    let app = TestApp::sqlite().await;
    let run = fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    let r = get(&app, "/?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = &r.body;
    // Tiles: 3 active points; samples need a sign-in; the classes of the run.
    assert!(html.contains("<div class=\"v\">3</div>"), "{html}");
    assert!(html.contains("登录后可见"));
    let list = json(
        &app,
        &format!("/api/v1/classification/runs/{run}/list"),
        &token,
    )
    .await;
    let strict = list["list"]["total"]["strict_control"]["area_mu"]
        .as_f64()
        .unwrap();
    let safe = list["list"]["total"]["safe_utilization"]["area_mu"]
        .as_f64()
        .unwrap();
    assert_eq!(list["list"]["total"]["strict_control"]["units"], 1);
    assert_eq!(list["list"]["total"]["safe_utilization"]["units"], 1);
    // A ±0.004° square at about 26.6°N: roughly 0.8 km × 0.9 km, about 1,100 mu.
    assert!((900.0..1300.0).contains(&strict), "{strict}");
    // County rows: points as in the coverage report, classes as in the run's list.
    let coverage = json(&app, "/api/v1/network/coverage", &token).await;
    let total_of = |code: &str| {
        coverage["counties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()["total"]
            .as_i64()
            .unwrap()
    };
    let hl = cells(row(html, "513402"));
    assert_eq!(hl[0], total_of("513402").to_string());
    assert_eq!(hl[0], "2");
    // Public: points, then priority / safe / strict (mu), plots, enterprises.
    assert_eq!(hl.len(), 6, "{hl:?}");
    assert_eq!(hl[1], "0.0");
    assert_eq!(hl[2], format!("{safe:.1}"));
    assert_eq!(hl[3], format!("{strict:.1}"));
    assert_eq!((hl[4].as_str(), hl[5].as_str()), ("1", "1"));
    let xc = cells(row(html, "513401"));
    assert_eq!(xc[0], total_of("513401").to_string());
    assert_eq!(xc[1..4], ["—", "—", "—"]);
    // The map: every county a link to its page, legend, scale bar, north arrow.
    // Map, bars and table: each of the 17 counties three times.
    assert_eq!(html.matches("<a href=\"/counties/").count(), 17 * 3);
    for needle in [
        "指北针",
        ">北<",
        " km<",
        "无数据",
        "中央经线 102°E",
        "在用监测点位数",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    // No sample numbers for the public.
    assert!(!html.contains("年样品</th>"));
    assert!(html.contains(&format!("/classification/runs/{run}")));
    insta::assert_snapshot!("dashboard_public", redacted(html, run));
}

#[tokio::test]
async fn dashboard_measures_for_signed_in_users_and_refusals() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    // Samples and exceedance are not public: the public is sent to sign in, and back.
    for m in ["samples", "exceedance"] {
        let r = get(&app, &format!("/?measure={m}&year=2024"), None, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{m}");
        assert_eq!(
            r.location,
            format!("/login?next=/%3Fmeasure%3D{m}%26year%3D2024")
        );
    }
    let r = get(&app, "/?measure=exceedance&year=2024", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = &r.body;
    // 会理市 2024: three samples (two soil, one rice); of the two farmland soil samples, HL-S-B
    // (Cd 2.5 > 0.4) is above its screening value, HL-S-A (Cd 0.4 = screening) is not.
    let hl = cells(row(html, "513402"));
    assert_eq!(hl[1], "3");
    assert_eq!(hl[2], "1/2（50.0%）");
    let api = json(
        &app,
        "/api/v1/samples?division=513402&from=2024-01-01&to=2024-12-31",
        &token,
    )
    .await;
    let items = api["items"].as_array().or(api.as_array()).unwrap();
    assert_eq!(items.len().to_string(), hl[1]);
    for s in items {
        let id = s["id"].as_i64().unwrap();
        let e = json(&app, &format!("/api/v1/samples/{id}/evaluation"), &token).await;
        if s["code"] == "HL-S-B" {
            assert_eq!(e["evaluation"]["exceed_screening"][0], "Cd");
        }
        if s["code"] == "HL-S-A" {
            assert_eq!(
                e["evaluation"]["exceed_screening"]
                    .as_array()
                    .unwrap()
                    .len(),
                0
            );
        }
    }
    // 西昌市: nothing in 2024; its 2023 sample shows with year=2023.
    assert_eq!(cells(row(html, "513401"))[1..3], ["0", "0"]);
    let r = get(&app, "/?measure=samples&year=2023", Some(&token), None).await;
    assert_eq!(cells(row(&r.body, "513401"))[1], "1");
    assert!(r.body.contains("<div class=\"v\">1</div>"));
    // The exceedance tile and the map legend of the measure.
    assert!(
        html.contains("农用地土壤样品 2，超筛选值 1（50.0%）"),
        "{html}"
    );
    assert!(html.contains("超筛选值比例"));
    // Bad parameters name themselves.
    for (uri, needle) in [
        ("/?measure=rainfall", "measure"),
        ("/?year=1066", "year"),
        ("/?year=abc", "year"),
    ] {
        let r = get(&app, uri, Some(&token), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.body.contains(needle), "{uri}: {}", r.body);
    }
}

#[tokio::test]
async fn county_page_zooms_to_the_county_with_its_points_plots_and_classes() {
    let app = TestApp::sqlite().await;
    let run = fixture(&app).await;
    let r = get(&app, "/counties/513402?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = &r.body;
    assert!(html.contains("<h1>会理市 <span class=\"muted\">513402</span></h1>"));
    // Its two points are dots linking to their pages; 西昌市's point is not on this page.
    assert!(html.contains("<a href=\"/points/HL-A\"><circle"));
    assert!(html.contains("<a href=\"/points/HL-B\"><circle"));
    assert!(!html.contains("XC-1"));
    // Neighbours link to their own pages; the county itself is emphasised, not a link.
    assert!(html.contains("<a href=\"/counties/513401\""));
    assert!(!html.contains("<a href=\"/counties/513402\""));
    assert!(html.contains(r##"stroke="#000" stroke-width="2.5""##));
    // Classes from the run, the plot and the enterprise.
    assert!(html.contains(&format!("/classification/runs/{run}")));
    assert!(html.contains("<a href=\"/plots/PL-HL-1\">PL-HL-1</a>"));
    assert!(html.contains("疑似污染地块"));
    assert!(html.contains("会理某铅锌冶炼有限公司"));
    assert!(html.contains("<th scope=\"row\">严格管控类</th><td class=\"n\">1</td>"));
    // Public: no sample chart.
    assert!(!html.contains("各年样品数"));
    insta::assert_snapshot!("county_public", redacted(html, run));

    let token = app.user_token("v", Role::Viewer, None).await;
    let r = get(&app, "/counties/513402?year=2024", Some(&token), None).await;
    assert!(r.body.contains("各年样品数"));
    assert!(r.body.contains("<title>2024 3</title>"));
    // Not a county: 404 with a page.
    for uri in ["/counties/999999", "/counties/513400", "/counties/abc"] {
        let r = get(&app, uri, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(r.body.contains("no such county"), "{uri}: {}", r.body);
    }
}

#[tokio::test]
async fn english_is_switched_by_query_and_remembered_by_cookie() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    let r = get(&app, "/?lang=en", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(r.body.contains(">Home<") && r.body.contains(">中文<"));
    assert!(r.body.contains("Active monitoring points"));
    assert!(r.body.contains("sign in to see"));
    let cookie = r
        .cookies
        .iter()
        .find(|c| c.starts_with("sw_lang=en"))
        .unwrap();
    assert!(cookie.contains("Path=/"), "{cookie}");
    // The cookie keeps English on other pages, including ones built before the switch.
    for uri in ["/counties/513402", "/network/coverage"] {
        let r = get(&app, uri, None, Some("sw_lang=en")).await;
        assert!(r.body.contains(">Network coverage<"), "{uri}");
        assert!(r.body.contains("<html lang=\"en\">"), "{uri}");
    }
    let r = get(&app, "/counties/513402", None, Some("sw_lang=en")).await;
    assert!(r.body.contains("Farmland classification"));
    assert!(r.body.contains("suspected"));
    // And back.
    let r = get(&app, "/?lang=zh", None, Some("sw_lang=en")).await;
    assert!(r.body.contains("<html lang=\"zh-CN\">") && r.body.contains(">首页<"));
    assert!(r.cookies.iter().any(|c| c.starts_with("sw_lang=zh")));
    // Without either: Chinese.
    let r = get(&app, "/", None, None).await;
    assert!(r.body.contains(">English<") && r.cookies.is_empty());
}

#[tokio::test]
async fn dashboard_and_county_page_on_postgres() {
    let Some(app) = TestApp::postgres("pages_dashboard").await else {
        return;
    };
    let run = fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    let r = get(&app, "/?measure=exceedance&year=2024", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hl = cells(row(&r.body, "513402"));
    assert_eq!(hl[..3], ["2", "3", "1/2（50.0%）"]);
    let list = json(
        &app,
        &format!("/api/v1/classification/runs/{run}/list"),
        &token,
    )
    .await;
    let strict = list["list"]["total"]["strict_control"]["area_mu"]
        .as_f64()
        .unwrap();
    assert_eq!(hl[5], format!("{strict:.1}"));
    let r = get(&app, "/counties/513402?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<a href=\"/points/HL-B\"><circle"));
    app.finish().await;
}

/// The codes linked in the first column of a list page's rows.
fn first_column(html: &str) -> Vec<String> {
    html.split("<tr><td><a href=\"")
        .skip(1)
        .map(|r| {
            let t = &r[r.find("\">").unwrap() + 2..];
            t[..t.find("</a>").unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn list_pages_filter_page_and_export_like_the_api() {
    let app = TestApp::sqlite().await;
    let run = fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    // Points: public, filtered like the API.
    let r = get(&app, "/points?division=513402", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(first_column(&r.body), ["HL-A", "HL-B"]);
    let api = json(&app, "/api/v1/points?division=513402", &token).await;
    let codes: Vec<&str> = api
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["HL-A", "HL-B"]);
    assert!(
        r.body
            .contains("href=\"/api/v1/points?division=513402&#38;limit=100000&#38;f=csv\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("<option value=\"513402\" selected>"));
    insta::assert_snapshot!("points_list", redacted(&r.body, run));
    // Paging by the API's cursor: one row a page.
    let r = get(&app, "/points?limit=1", None, None).await;
    assert_eq!(first_column(&r.body), ["HL-A"]);
    let next = r.body.split("rel=\"next\"").next().unwrap();
    let href = &next[next.rfind("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&#38;", "&");
    assert!(href.starts_with("/points?limit=1&cursor="), "{href}");
    let r2 = get(&app, &href, None, None).await;
    assert_eq!(first_column(&r2.body), ["HL-B"]);
    assert!(r2.body.contains("第一页"));
    // Bad filters name the parameter.
    let r = get(&app, "/points?type=volcano", None, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("type"), "{}", r.body);

    // Samples and results: signed-in users only, the same rows as the API.
    let r = get(&app, "/samples?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.starts_with("/login?next="));
    let r = get(
        &app,
        "/samples?division=513402&year=2024",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let api = json(&app, "/api/v1/samples?division=513402&year=2024", &token).await;
    let codes: Vec<String> = api
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first_column(&r.body), codes);
    assert_eq!(codes.len(), 3);
    let r = get(
        &app,
        "/results?analyte=镉&division=513402",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Cd at HL-S-A, HL-S-B and in the rice.
    let mut samples = first_column(&r.body);
    samples.sort();
    assert_eq!(samples, ["HL-C-A", "HL-S-A", "HL-S-B"]);
    assert!(r.body.contains("<td>2.5</td>") && r.body.contains("<td>mg/kg</td>"));
    assert!(r.body.contains(
        "/api/v1/results?analyte=%E9%95%89&#38;division=513402&#38;limit=100000&#38;f=xlsx"
    ));

    // Standards: public, the API's list.
    let r = get(&app, "/standards", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let api = json(&app, "/api/v1/standards", &token).await;
    let ids: Vec<String> = api
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first_column(&r.body), ids);
    assert!(ids.iter().any(|i| i == "gb15618-2018"));

    // No inline script or style on any of these pages (the CSP allows none).
    for uri in [
        "/",
        "/?measure=exceedance&year=2024",
        "/counties/513402",
        "/points",
        "/samples",
        "/results",
        "/standards",
    ] {
        let r = get(&app, uri, Some(&token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let lower = r.body.to_lowercase();
        for bad in ["<script", "<style", " style=", " onclick=", "javascript:"] {
            assert!(!lower.contains(bad), "{uri} has {bad}");
        }
    }
}
