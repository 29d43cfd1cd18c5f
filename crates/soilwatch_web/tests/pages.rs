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
    conformance, conformance_network, AuthStore, ClassificationStore, NetworkStore, RegistryStore,
    Role, Store,
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

/// Mark the farmland classification public (and so shared unconditionally) in the catalogue,
/// as an administrator would.
async fn classes_public(app: &TestApp) {
    let root = app
        .user_token("root-classes", Role::Administrator, None)
        .await;
    let catalogue = json(app, "/api/v1/catalogue", &root).await;
    let e = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "farmland_classification")
        .unwrap()
        .clone();
    let (s, saved) = soilwatch_test_utils::send(
        app,
        "PUT",
        "/api/v1/catalogue/farmland_classification",
        Some("root-classes"),
        serde_json::json!({
            "name": e["name"], "owner_department": e["owner_department"],
            "sharing_level": "unconditional", "public": true, "fields": e["fields"],
            "update_frequency": e["update_frequency"], "access_methods": e["access_methods"],
            "description": e["description"], "reason": "分类面积向社会公开",
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
}

#[tokio::test]
async fn dashboard_for_the_public_shows_public_numbers_equal_to_the_api() {
    let app = TestApp::sqlite().await;
    let run = fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    // The farmland classes are the agriculture bureau's conditional dataset (issue 9): the
    // public sees neither their areas nor the run until the catalogue marks them public.
    let r = get(&app, "/?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains("农用地土壤环境质量类别划分为有条件共享数据"));
    assert_eq!(cells(row(&r.body, "513402"))[1..4], ["—", "—", "—"]);
    assert!(!r.body.contains(&format!("/classification/runs/{run}")));
    let county = get(&app, "/counties/513402?year=2024", None, None).await;
    assert!(county
        .body
        .contains("农用地土壤环境质量类别划分为有条件共享数据"));
    assert!(!county.body.contains(&format!("/classification/runs/{run}")));
    // A viewer without a grant does not see them either; the owner department does.
    let r = get(&app, "/?year=2024", Some(&token), None).await;
    assert!(r
        .body
        .contains("农用地土壤环境质量类别划分为有条件共享数据"));
    let agri = app
        .user_token("nong-dash", Role::DataOfficer, Some("agri-513400"))
        .await;
    let r = get(&app, "/?year=2024", Some(&agri), None).await;
    assert!(!r
        .body
        .contains("农用地土壤环境质量类别划分为有条件共享数据"));
    assert!(r.body.contains(&format!("/classification/runs/{run}")));
    // Marked public in the catalogue: the public sees them.
    classes_public(&app).await;
    let r = get(&app, "/?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = &r.body;
    // Tiles: 3 active points; samples need a sign-in; the classes of the run.
    assert!(html.contains("<div class=\"v\">3</div>"), "{html}");
    assert!(html.contains("登录后可见"));
    // The classification is the agriculture bureau's conditional dataset (issue 9).
    let admin = app.user_token("a", Role::Administrator, None).await;
    let list = json(
        &app,
        &format!("/api/v1/classification/runs/{run}/list"),
        &admin,
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
    classes_public(&app).await;
    let r = get(&app, "/counties/513402?year=2024", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = &r.body;
    assert!(html.contains("<h1>会理市 <span class=\"muted\">513402</span></h1>"));
    // Where the points lie is for signed-in users (issue 13): no dots signed out.
    assert!(!html.contains("<circle"), "{html}");
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
    // Its two points are dots linking to their pages; 西昌市's point is not on this page.
    assert!(r.body.contains("<a href=\"/points/HL-A\"><circle"));
    assert!(r.body.contains("<a href=\"/points/HL-B\"><circle"));
    assert!(!r.body.contains("XC-1"));
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
    classes_public(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    let r = get(&app, "/?measure=exceedance&year=2024", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hl = cells(row(&r.body, "513402"));
    assert_eq!(hl[..3], ["2", "3", "1/2（50.0%）"]);
    // The classification is the agriculture bureau's conditional dataset (issue 9).
    let admin = app.user_token("a", Role::Administrator, None).await;
    let list = json(
        &app,
        &format!("/api/v1/classification/runs/{run}/list"),
        &admin,
    )
    .await;
    let strict = list["list"]["total"]["strict_control"]["area_mu"]
        .as_f64()
        .unwrap();
    assert_eq!(hl[5], format!("{strict:.1}"));
    let r = get(&app, "/counties/513402?year=2024", Some(&token), None).await;
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
    // Points: signed-in users (issue 13), filtered like the API.
    let r = get(&app, "/points?division=513402", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.starts_with("/login?next="));
    let r = get(&app, "/points?division=513402", Some(&token), None).await;
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
    let r = get(&app, "/points?limit=1", Some(&token), None).await;
    assert_eq!(first_column(&r.body), ["HL-A"]);
    let next = r.body.split("rel=\"next\"").next().unwrap();
    let href = &next[next.rfind("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&#38;", "&");
    assert!(href.starts_with("/points?limit=1&cursor="), "{href}");
    let r2 = get(&app, &href, Some(&token), None).await;
    assert_eq!(first_column(&r2.body), ["HL-B"]);
    assert!(r2.body.contains("第一页"));
    // Bad filters name the parameter.
    let r = get(&app, "/points?type=volcano", Some(&token), None).await;
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

/// Whether a character is Chinese (CJK ideographs, CJK punctuation, full-width forms).
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// The page without its `<svg>` drawings (checked through their `aria-label`s).
fn without_svg(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("</svg>").map_or(rest.len(), |j| i + j + 6);
        // Keep the drawing's accessible name.
        let svg = &rest[i..j];
        if let Some(k) = svg.find("aria-label=\"") {
            let v = &svg[k + 12..];
            out.push_str(&format!(
                "<svg aria-label=\"{}\"></svg>",
                &v[..v.find('"').unwrap()]
            ));
        }
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

/// The texts a reader navigates by: the title, headings, table headers, terms, labels, buttons,
/// options, captions, the navigation and every `aria-label`, without inner tags.
fn interface_texts(html: &str) -> Vec<String> {
    let html = without_svg(html);
    let mut out = Vec::new();
    for tag in [
        "title", "h1", "h2", "h3", "h4", "th", "dt", "label", "button", "legend", "caption",
        "summary", "option", "nav",
    ] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = html.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let Some(end) = after.find(&close) else { break };
            let inner = &after[after.find('>').unwrap() + 1..end];
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            out.push(format!("<{tag}> {}", text.trim()));
            rest = &after[end..];
        }
    }
    for part in html.split("aria-label=\"").skip(1) {
        out.push(format!("aria-label {}", &part[..part.find('"').unwrap()]));
    }
    out
}

/// Inputs without a label: every `<input>` (not hidden), `<select>` and `<textarea>` needs a
/// `<label for>` naming its id, an enclosing `<label>`, or an `aria-label`.
fn unlabelled(html: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for tag in ["<input", "<select", "<textarea"] {
        for (i, _) in html.match_indices(tag) {
            let t = &html[i..i + html[i..].find('>').unwrap()];
            if t.contains("type=\"hidden\"") || t.contains("aria-label=\"") {
                continue;
            }
            let before = &html[..i];
            let enclosed = before.matches("<label").count() > before.matches("</label>").count();
            let by_id = t.split("id=\"").nth(1).is_some_and(|v| {
                let id = &v[..v.find('"').unwrap()];
                html.contains(&format!("<label for=\"{id}\""))
            });
            if !enclosed && !by_id {
                bad.push(t.to_owned());
            }
        }
    }
    bad
}

#[tokio::test]
async fn every_staff_page_in_chinese_by_default_and_in_english_on_request() {
    let mut app = TestApp::sqlite().await;
    let run = fixture(&app).await;
    let admin = app.user_token("crawler", Role::Administrator, None).await;
    // An import batch, for the import pages.
    app.bearer = Some(admin.clone());
    let csv = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n\
               CR-1,土壤,2024-09-01,513402,水田,镉,0.45,mg/kg\n";
    let (status, _) = app
        .post_multipart(
            "/api/v1/imports",
            &[
                ("file", Some("crawl.csv"), csv.as_bytes()),
                ("department", None, b"eco-env-513400"),
            ],
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    app.bearer = None;
    let imports = get(&app, "/imports", Some(&admin), None).await.body;
    let import = imports
        .split("href=\"/imports/")
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .unwrap();
    let sample = json(&app, "/api/v1/samples?division=513402&year=2024", &admin).await[0]["id"]
        .as_i64()
        .unwrap();
    let result = app.store.get_sample("HL-S-A").await.unwrap().results[0].id;
    // Data may stay as stored (names of counties, departments, points, people, analytes …).
    let store = app.store.as_ref();
    let mut data: Vec<String> = vec![
        "会理某冶炼厂旧址".into(),
        "会理某铅锌冶炼有限公司".into(),
        "会理市某镇".into(),
        "水稻".into(),
    ];
    data.extend(
        store
            .list_divisions()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name),
    );
    data.extend(
        store
            .list_departments()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.name),
    );
    data.extend(
        store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.display_name),
    );
    data.extend(
        store
            .list_analytes()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name_cn),
    );
    data.extend(
        store
            .list_points(&Default::default())
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name),
    );
    data.sort_by_key(|d| std::cmp::Reverse(d.chars().count()));
    // Every staff page of issue 7 (the submissions, catalogue, targets, indicators, assessment,
    // annual report and public pages belong to issues 9 and 10 and are not walked here).
    let pages = [
        "/".to_owned(),
        "/?measure=exceedance&year=2024".into(),
        "/counties/513402".into(),
        "/network/coverage".into(),
        "/points".into(),
        "/points/HL-A".into(),
        "/points/new".into(),
        "/points/HL-A/edit".into(),
        "/samples".into(),
        format!("/samples/{sample}"),
        "/results".into(),
        format!("/results/{result}"),
        "/standards".into(),
        "/standards/gb15618-2018".into(),
        "/standards/gb36600-2018".into(),
        "/imports".into(),
        format!("/imports/{import}"),
        "/classification".into(),
        format!("/classification/runs/{run}"),
        "/plots".into(),
        "/plots/PL-HL-1".into(),
        "/plots/new".into(),
        "/plots/PL-HL-1/edit".into(),
        "/plots/PL-HL-1/gate?use=residential".into(),
        "/enterprises".into(),
        format!("/enterprises/{USCC}"),
        "/tailings-ponds".into(),
        "/demolition-plans/new".into(),
        "/mining-areas/new".into(),
        "/account".into(),
        "/admin/departments".into(),
        "/admin/users".into(),
        "/admin/audit".into(),
        "/login".into(),
        "/logout".into(),
    ];
    let mut failures = Vec::new();
    for uri in &pages {
        // Chinese by default.
        let zh = get(&app, uri, Some(&admin), None).await;
        assert_eq!(zh.status, StatusCode::OK, "{uri}: {}", zh.body);
        assert!(zh.body.contains("<html lang=\"zh-CN\">"), "{uri}");
        let h1 = interface_texts(&zh.body)
            .into_iter()
            .find(|t| t.starts_with("<h1>"))
            .unwrap_or_else(|| panic!("{uri}: no <h1>"));
        assert!(
            h1.chars().any(is_cjk) || data.iter().any(|d| h1.contains(d.as_str())),
            "{uri}: {h1}"
        );
        assert!(zh.body.contains(">首页<"), "{uri}: Chinese navigation");
        for bad in unlabelled(&zh.body) {
            failures.push(format!("{uri}: input without a label: {bad}"));
        }
        // English on request: no Chinese left in the interface texts once the data is taken out.
        let sep = if uri.contains('?') { '&' } else { '?' };
        let en = get(&app, &format!("{uri}{sep}lang=en"), Some(&admin), None).await;
        assert_eq!(en.status, StatusCode::OK, "{uri}");
        assert!(en.body.contains("<html lang=\"en\">"), "{uri}");
        for text in interface_texts(&en.body) {
            let mut rest = text.clone();
            for d in &data {
                rest = rest.replace(d.as_str(), "");
            }
            // The switch back to Chinese is written in Chinese on purpose.
            let rest = rest.replace("中文", "");
            if rest.chars().any(is_cjk) {
                failures.push(format!("{uri}?lang=en: {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // One snapshot per kind of page not snapshotted above: a detail page, a form page and a
    // classification run (map, tables); the dashboard, a county page and a list page are
    // snapshotted by the tests above.
    let point = get(&app, "/points/HL-A", Some(&admin), None).await;
    insta::assert_snapshot!("point_detail", timeless(&redacted(&point.body, run)));
    let form = get(&app, "/admin/departments", Some(&admin), None).await;
    insta::assert_snapshot!("departments_form", timeless(&redacted(&form.body, run)));
    let r = get(
        &app,
        &format!("/classification/runs/{run}"),
        Some(&admin),
        None,
    )
    .await;
    insta::assert_snapshot!("classification_run", timeless(&redacted(&r.body, run)));
    // The import report page and the registry pages.
    let r = get(&app, &format!("/imports/{import}"), Some(&admin), None).await;
    let page = timeless(&redacted(&r.body, run))
        .replace(&format!("batch {import} "), "batch [batch] ")
        .replace(&format!("<dd>{import}</dd>"), "<dd>[batch]</dd>")
        .replace(&format!("/imports/{import}"), "/imports/[batch]");
    insta::assert_snapshot!("import_report", page);
    for (name, uri) in [
        ("plots_registry", "/plots".to_owned()),
        ("plot_detail", "/plots/PL-HL-1".into()),
        ("enterprises_registry", "/enterprises".into()),
        ("enterprise_detail", format!("/enterprises/{USCC}")),
        ("tailings_registry", "/tailings-ponds".into()),
    ] {
        let r = get(&app, &uri, Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        insta::assert_snapshot!(name, settled(&timeless(&redacted(&r.body, run))));
    }
}

/// A page without what changes with the calendar: the disclosure years from 2025 on (their state
/// depends on today) and the list of overdue years.
fn settled(html: &str) -> String {
    html.lines()
        .filter(|l| {
            let year = l
                .strip_prefix("<tr><td class=\"n\">")
                .and_then(|r| r.get(..4))
                .and_then(|y| y.parse::<i32>().ok());
            year.is_none_or(|y| y < 2025) && !l.starts_with("<p class=\"bad\">")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Times of day (`YYYY-MM-DD HH:MM`, as change histories show them) replaced by `[time]`.
fn timeless(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let pattern = "dddd-dd-dd dd:dd";
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        let fits = i + pattern.len() <= c.len()
            && pattern.chars().enumerate().all(|(k, p)| match p {
                'd' => c[i + k].is_ascii_digit(),
                p => c[i + k] == p,
            });
        if fits {
            out.push_str("[time]");
            i += pattern.len();
            while i < c.len() && (c[i].is_ascii_digit() || c[i] == ':') {
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// WCAG 2.x relative luminance of `#rgb` or `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let h = hex.trim_start_matches('#');
    let h: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_owned()
    };
    let ch = |i: usize| {
        let v = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * ch(0) + 0.7152 * ch(2) + 0.0722 * ch(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The colours of a property (`color`, or `background`/`background-color`) in a stylesheet.
fn css_colours(css: &str, background: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in css.match_indices("color:") {
        let prev = css[..i].chars().next_back().unwrap_or(' ');
        let is_bg = css[..i].ends_with("background-");
        let is_text = matches!(prev, '{' | ';' | ' ' | '\n');
        if (background && is_bg) || (!background && is_text && !is_bg) {
            let v = css[i + 6..].trim_start();
            let v = &v[..v.find([';', '}', ' ', '!']).unwrap()];
            out.push(v.to_owned());
        }
    }
    if background {
        for (i, _) in css.match_indices("background:") {
            let v = css[i + 11..].trim_start();
            let v = &v[..v.find([';', '}', ' ', '!']).unwrap()];
            out.push(v.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn stylesheet_text_colours_meet_wcag_aa_on_every_background() {
    // Conservative: every text colour of the stylesheet against every background it declares
    // (and white, the page's), whatever element they meet on; WCAG AA for normal text is 4.5:1.
    let css = include_str!("../static/soilwatch.css");
    let text = css_colours(css, false);
    let mut backgrounds = css_colours(css, true);
    backgrounds.push("#fff".into());
    assert!(text.len() >= 8, "{text:?}");
    assert!(backgrounds.len() >= 3, "{backgrounds:?}");
    let mut low = Vec::new();
    for t in &text {
        assert!(t.starts_with('#'), "text colour {t}: write colours as #hex");
        for b in &backgrounds {
            assert!(b.starts_with('#'), "background {b}: write colours as #hex");
            let c = contrast(t, b);
            if c < 4.5 {
                low.push(format!("{t} on {b}: {c:.2}"));
            }
        }
    }
    assert!(low.is_empty(), "{low:?}");
    // The check itself: black on white is 21:1, #777 on white fails AA (4.48).
    assert!((contrast("#000", "#fff") - 21.0).abs() < 1e-9);
    assert!(contrast("#777", "#fff") < 4.5);
}

#[tokio::test]
async fn overdue_submissions_tile_equals_the_api_and_links_to_the_reminders() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    let admin = app.user_token("adm", Role::Administrator, None).await;
    // A campaign for 2024 data due on 30 September 2025 (past): owed by two bureaus.
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post("/api/v1/submission-campaigns")
                .header("authorization", format!("Bearer {admin}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({"year": 2024, "data_kind": "soil_quality",
                        "due_on": "2025-09-30",
                        "departments": ["eco-env-513400", "agri-513400"]})
                    .to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let api = json(&app, "/api/v1/submissions?year=2024", &admin).await;
    let overdue = api["summary"]["total"]["overdue"].as_i64().unwrap();
    let owed = api["summary"]["total"]["owed"].as_i64().unwrap();
    assert_eq!((overdue, owed), (2, 2));
    let r = get(&app, "/?year=2024", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&format!(
            "<div class=\"k\">2024 年逾期未报送</div><div class=\"v\"><a href=\"/submissions/reminders?year=2024\">{overdue}</a></div><div class=\"s\">应报送 {owed} 项；点击查看催报清单</div>"
        )),
        "{}",
        r.body
    );
    let en = get(&app, "/?year=2024&lang=en", Some(&admin), None).await;
    assert!(en.body.contains("2024 overdue submissions"));
    // The reminders page it links to lists them.
    let reminders = get(&app, "/submissions/reminders?year=2024", Some(&admin), None).await;
    assert_eq!(reminders.status, StatusCode::OK);
    // Another year has none; the public sees no tile.
    let r = get(&app, "/?year=2023", Some(&admin), None).await;
    assert!(r.body.contains("2023 年逾期未报送</div><div class=\"v\"><a href=\"/submissions/reminders?year=2023\">0</a>"));
    let public = get(&app, "/?year=2024", None, None).await;
    assert!(!public.body.contains("逾期未报送"));
}

#[tokio::test]
async fn dashboard_numbers_follow_corrections_and_new_samples() {
    // The dashboard keeps each sample's evaluation between requests; a corrected result, a new
    // sample and a new result must show at once, equal to the API.
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    let token = app.user_token("v", Role::Viewer, None).await;
    let page = |uri: &'static str| {
        let app = &app;
        let token = token.clone();
        async move { cells(row(&get(app, uri, Some(&token), None).await.body, "513402")) }
    };
    assert_eq!(
        page("/?measure=exceedance&year=2024").await[1..3],
        ["3", "1/2（50.0%）"]
    );
    // Correct HL-S-B's Cd from 2.5 to 0.3 (below 0.4): no sample above screening.
    let s = app.store.get_sample("HL-S-B").await.unwrap();
    let cd = s.results.iter().find(|r| r.result.analyte == "Cd").unwrap();
    let mut fixed = cd.result.clone();
    fixed.value = Some("0.3".parse().unwrap());
    app.store
        .update_result(cd.id, &fixed, &change("correction"))
        .await
        .unwrap();
    let e = json(
        &app,
        &format!("/api/v1/samples/{}/evaluation", s.id),
        &token,
    )
    .await;
    assert_eq!(
        e["evaluation"]["exceed_screening"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        page("/?measure=exceedance&year=2024").await[1..3],
        ["3", "0/2（0.0%）"]
    );
    // A new farmland soil sample above screening (Cd 1.0 at pH 6.0).
    let metals = [
        ("Cd", "1.0"),
        ("Hg", "0.1"),
        ("As", "10"),
        ("Pb", "30"),
        ("Cr", "80"),
        ("pH", "6.0"),
    ];
    app.store
        .insert_samples(
            &[conformance::sample(
                "HL-S-C",
                Some("HL-A"),
                "513402",
                Medium::Soil,
                "2024-10-01",
                &metals,
            )],
            &change("late"),
        )
        .await
        .unwrap();
    assert_eq!(
        page("/?measure=exceedance&year=2024").await[1..3],
        ["4", "1/3（33.3%）"]
    );
    let api = json(
        &app,
        "/api/v1/samples?division=513402&from=2024-01-01&to=2024-12-31",
        &token,
    )
    .await;
    assert_eq!(api.as_array().unwrap().len(), 4);
}

/// Text of an HTML cell as askama escapes it, unescaped.
fn unescaped(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The cells (text without tags) of every row of the `<tbody>` that follows `marker`.
fn body_rows(html: &str, marker: &str) -> Vec<Vec<String>> {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"));
    let rest = &html[start..];
    let body = &rest[rest.find("<tbody>").unwrap() + 7..rest.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|r| {
            r.split("<td")
                .skip(1)
                .map(|c| {
                    let c = &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()];
                    let mut text = String::new();
                    let mut in_tag = false;
                    for ch in c.chars() {
                        match ch {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            ch if !in_tag => text.push(ch),
                            _ => {}
                        }
                    }
                    unescaped(&text)
                })
                .collect()
        })
        .collect()
}

const USCC: &str = "91350100M000100Y43";

/// The result, standard and enterprise pages against the API on one store.
async fn detail_pages_equal_the_api(app: &TestApp) {
    use soilwatch_store::registry_enterprise::{Contact, DisclosedPollutant, Disclosure};
    let store = app.store.as_ref();
    let viewer = app.user_token("v", Role::Viewer, None).await;
    // Result: HL-S-B's Cd, corrected from 2.5 to 3.1 (version 2).
    let s = store.get_sample("HL-S-B").await.unwrap();
    let cd = s.results.iter().find(|r| r.result.analyte == "Cd").unwrap();
    let mut fixed = cd.result.clone();
    fixed.value = Some("3.1".parse().unwrap());
    store
        .update_result(cd.id, &fixed, &change("lab correction"))
        .await
        .unwrap();
    let uri = format!("/results/{}", cd.id);
    let r = get(app, &uri, None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "signed-in users only");
    let r = get(app, &uri, Some(&viewer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains("<dd class=\"n\" id=\"result-value\">3.1</dd>"));
    assert!(r
        .body
        .contains(&format!("<a href=\"/samples/{}\">HL-S-B</a>", s.id)));
    assert!(r.body.contains("<a href=\"/points/HL-B\">HL-B</a>"));
    // GB 15618, paddy, pH 6.0 (5.5 < pH ≤ 6.5): Cd screening 0.4, intervention 2.0; 3.1 > 2.0.
    let eval = body_rows(&r.body, "<h2>评价");
    assert_eq!(eval.len(), 1, "{eval:?}");
    assert_eq!(eval[0][1], "3.1 mg/kg");
    assert_eq!(eval[0][3], "超管制值");
    let api = json(
        app,
        &format!("/api/v1/samples/{}/evaluation", s.id),
        &viewer,
    )
    .await;
    let item = api["evaluation"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["analyte"] == "Cd")
        .unwrap();
    let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let (sv, iv) = (text(&item["screening"]), text(&item["intervention"]));
    assert_eq!(sv.parse::<f64>().unwrap(), 0.4);
    assert_eq!(iv.parse::<f64>().unwrap(), 2.0);
    assert_eq!(eval[0][2], format!("筛选值 {sv}, 管制值 {iv}"));
    // Every version, as the API's history.
    let versions = body_rows(&r.body, "<h2>版本历史");
    let history = json(app, &format!("/api/v1/results/{}/history", cd.id), &viewer).await;
    let history = history.as_array().unwrap();
    assert_eq!(versions.len(), history.len());
    assert_eq!(versions.len(), 2);
    for (row, v) in versions.iter().zip(history) {
        assert_eq!(row[0], v["version"].to_string());
        assert_eq!(row[4], v["reason"].as_str().unwrap());
        assert_eq!(row[5], text(&v["data"]["value"]));
        assert_eq!(row[6], "mg/kg");
    }
    assert_eq!(versions[0][5], "2.5");
    assert_eq!(versions[1][4], "lab correction");
    assert_eq!(
        get(app, "/results/999999", Some(&viewer), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Standard: every value of the API's ruleset, in order, with table, value, unit, confidence
    // and source.
    let r = get(app, "/standards/gb15618-2018", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let api = json(app, "/api/v1/standards/gb15618-2018", &viewer).await;
    let values = api["values"].as_array().unwrap();
    let rows = body_rows(&r.body, "<table class=\"standard-values\">");
    assert_eq!(rows.len(), values.len());
    assert!(rows.len() > 40, "{}", rows.len());
    for (row, v) in rows.iter().zip(values) {
        assert_eq!(row[0], v["table"].as_str().unwrap());
        assert_eq!(row[1], v["item_cn"].as_str().unwrap());
        assert_eq!(row[5], v["value_as_written"].as_str().unwrap());
        assert_eq!(row[6], v["unit"].as_str().unwrap());
        assert_eq!(row[7], v["confidence"].as_str().unwrap());
        assert_eq!(row[8], v["source"].as_str().unwrap());
    }
    // The hand-checked cell of 表1: cadmium, paddy, 5.5 < pH ≤ 6.5, screening 0.4 mg/kg.
    assert!(rows.iter().any(|r| r[0] == "表1"
        && r[2] == "Cd"
        && r[3] == "风险筛选值"
        && r[4] == "水田, 5.5<pH≤6.5"
        && r[5] == "0.4"
        && r[6] == "mg/kg"));
    assert!(r
        .body
        .contains(&format!("id=\"value-count\">{}<", values.len())));
    let en = get(app, "/standards/gb15618-2018?lang=en", None, None).await;
    let en_rows = body_rows(&en.body, "<table class=\"standard-values\">");
    assert!(en_rows
        .iter()
        .any(|r| r[2] == "Cd" && r[3] == "risk screening value" && r[4] == "paddy, 5.5<pH≤6.5"));
    assert_eq!(
        get(app, "/standards/no-such-standard", None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The list links to it.
    assert!(get(app, "/standards", None, None)
        .await
        .body
        .contains("<a href=\"/standards/gb15618-2018\">"));

    // Enterprise: a contact (not public), a point that watches it, a disclosure of 2020.
    let mut e = store.get_enterprise(USCC).await.unwrap().item;
    e.contact = Some(Contact {
        person: "张某".into(),
        phone: Some("0834-5550000".into()),
    });
    store
        .update_enterprise(&e, None, &change("contact"))
        .await
        .unwrap();
    let mut w = conformance_network::point_inside(store, "HL-W", "513402", 300.0).await;
    w.watched_enterprise = Some(USCC.into());
    store.create_point(&w, &change("watch")).await.unwrap();
    store
        .put_disclosure(
            &Disclosure {
                uscc: USCC.parse().unwrap(),
                year: 2020,
                disclosed_on: NaiveDate::from_ymd_opt(2020, 11, 2).unwrap(),
                pollutants: vec![DisclosedPollutant {
                    name: "镉".into(),
                    discharge_mode: None,
                    concentration: Some("0.01 mg/L".into()),
                    total: None,
                }],
                facilities: None,
                sample_codes: vec!["HL-S-A".into()],
                published_at: Some("http://example.gov.cn/2020".into()),
            },
            &change("disclosure"),
        )
        .await
        .unwrap();
    let uri = format!("/enterprises/{USCC}");
    let public = get(app, &uri, None, None).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert!(public.body.contains("会理某铅锌冶炼有限公司"));
    assert!(!public.body.contains("0834-5550000") && !public.body.contains("张某"));
    assert!(
        !public.body.contains("HL-S-A"),
        "samples of a disclosure are not public"
    );
    assert!(public.body.contains("<a href=\"/points/HL-W\">HL-W</a>"));
    let signed = get(app, &uri, Some(&viewer), None).await;
    assert!(signed.body.contains("张某 0834-5550000"), "{}", signed.body);
    let api = json(
        app,
        &format!("/api/v1/enterprises/{USCC}/disclosures"),
        &viewer,
    )
    .await;
    let years = body_rows(&signed.body, "<h2>自行监测信息公开");
    assert_eq!(years.len(), api["years"].as_array().unwrap().len());
    // Listed 2019: 2019 overdue (nothing disclosed), 2020 on time.
    assert_eq!(years[0], ["2019", "2019-12-31", "—", "逾期未公开"]);
    assert_eq!(years[1], ["2020", "2020-12-31", "2020-11-02", "按时公开"]);
    let overdue: Vec<String> = api["overdue_years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.to_string())
        .collect();
    assert!(signed
        .body
        .contains(&format!("逾期未公开年份：{}", overdue.join(", "))));
    assert!(signed.body.contains("镉 0.01 mg/L") && signed.body.contains("HL-S-A"));
    // The list links to it; a bad code is a 400 naming the field.
    assert!(get(app, "/enterprises", None, None)
        .await
        .body
        .contains(&format!("<a href=\"/enterprises/{USCC}\">")));
    let bad = get(app, "/enterprises/123", None, None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("uscc"), "{}", bad.body);
}

#[tokio::test]
async fn result_standard_and_enterprise_pages_equal_the_api() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    detail_pages_equal_the_api(&app).await;
}

#[tokio::test]
async fn result_standard_and_enterprise_pages_on_postgres() {
    let Some(app) = TestApp::postgres("pages_detail").await else {
        return;
    };
    fixture(&app).await;
    detail_pages_equal_the_api(&app).await;
    app.finish().await;
}

/// GET returning the raw body and the content type.
async fn get_bytes(app: &TestApp, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
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
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, body)
}

/// The first column of a CSV export (after its BOM and header).
fn csv_first_column(body: &[u8]) -> Vec<String> {
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "CSV without BOM");
    let mut r = csv::Reader::from_reader(&body[3..]);
    r.records()
        .map(|rec| rec.unwrap().get(0).unwrap().to_owned())
        .collect()
}

/// The first column of the sheet of an XLSX export (after its header), numbers as integers.
fn xlsx_first_column(body: Vec<u8>, sheet: &str) -> Vec<String> {
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(body)).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, sheet).unwrap();
    range
        .rows()
        .skip(1)
        .map(|r| match &r[0] {
            calamine::Data::Float(f) => format!("{f:.0}"),
            other => other.to_string(),
        })
        .collect()
}

/// Every page of a list from `uri` on, following "next page" (the first column of each row).
async fn all_pages(app: &TestApp, uri: &str, token: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut uri = uri.to_owned();
    loop {
        let r = get(app, &uri, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        let rows: Vec<String> = r
            .body
            .split("<tr><td")
            .skip(1)
            .map(|row| {
                let cell = &row[row.find('>').unwrap() + 1..row.find("</td>").unwrap()];
                let mut text = String::new();
                let mut in_tag = false;
                for ch in cell.chars() {
                    match ch {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        ch if !in_tag => text.push(ch),
                        _ => {}
                    }
                }
                text
            })
            .collect();
        pages.push(rows);
        let Some(at) = r.body.find("\" rel=\"next\"") else {
            break;
        };
        let before = &r.body[..at];
        uri = unescaped(&before[before.rfind("href=\"").unwrap() + 6..]);
        assert!(pages.len() < 20, "paging does not end");
    }
    pages
}

/// The ids or codes of a JSON list.
fn keys(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match &x[key] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// Imports, plots and tailings ponds: filters, paging and exports equal to the API's rows.
async fn whole_lists_equal_the_api(app: &mut TestApp) {
    use soilwatch_store::registry_enterprise::{TailingsPond, TailingsStatus};
    let admin = app.user_token("lists", Role::Administrator, None).await;
    // Three batches: alpha (the bureau's), beta (no department), gamma (the bureau's, correcting
    // alpha's value: one correction).
    app.bearer = Some(admin.clone());
    let header = "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位\n";
    for (file, dept, row) in [
        (
            "Alpha.csv",
            Some("eco-env-513400"),
            "LI-1,土壤,2024-09-01,513402,水田,镉,0.45,mg/kg\n",
        ),
        (
            "beta.csv",
            None,
            "LI-2,土壤,2024-09-01,513402,水田,镉,0.30,mg/kg\n",
        ),
        (
            "gamma.csv",
            Some("eco-env-513400"),
            "LI-1,土壤,2024-09-01,513402,水田,镉,0.55,mg/kg\n",
        ),
    ] {
        let csv = format!("{header}{row}");
        let mut parts: Vec<(&str, Option<&str>, &[u8])> =
            vec![("file", Some(file), csv.as_bytes())];
        if let Some(d) = dept {
            parts.push(("department", None, d.as_bytes()));
        }
        let (status, body) = app.post_multipart("/api/v1/imports", &parts, None).await;
        assert!(status.is_success(), "{status} {body}");
    }
    app.bearer = None;
    let api = json(app, "/api/v1/imports", &admin).await;
    let all = keys(&api, "id");
    assert_eq!(all.len(), 3);
    for (query, expected) in [
        (
            "department=eco-env-513400",
            vec![all[0].clone(), all[2].clone()],
        ),
        ("status=corrections", vec![all[0].clone()]),
        ("file=ALPHA", vec![all[2].clone()]),
        ("from=2000-01-01&to=2000-12-31", vec![]),
        (
            "department=eco-env-513400&file=a.csv",
            vec![all[0].clone(), all[2].clone()],
        ),
    ] {
        let api = json(app, &format!("/api/v1/imports?{query}"), &admin).await;
        assert_eq!(keys(&api, "id"), expected, "API {query}");
        let pages = all_pages(app, &format!("/imports?{query}"), &admin).await;
        assert_eq!(pages.concat(), expected, "page {query}");
        let (status, ct, body) = get_bytes(app, &format!("/imports?{query}&f=csv"), &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert_eq!(csv_first_column(&body), expected, "CSV {query}");
        let (_, ct, body) = get_bytes(app, &format!("/imports?{query}&f=xlsx"), &admin).await;
        assert!(ct.contains("spreadsheetml"), "{ct}");
        assert_eq!(xlsx_first_column(body, "imports"), expected, "XLSX {query}");
    }
    // Every batch is clean or has warnings.
    let clean = json(app, "/api/v1/imports?status=clean", &admin).await;
    let warned = json(app, "/api/v1/imports?status=warnings", &admin).await;
    assert_eq!(
        clean.as_array().unwrap().len() + warned.as_array().unwrap().len(),
        3
    );
    for (query, api) in [("status=clean", &clean), ("status=warnings", &warned)] {
        let pages = all_pages(app, &format!("/imports?{query}"), &admin).await;
        assert_eq!(pages.concat(), keys(api, "id"), "page {query}");
    }
    // One row a page: newest first, three pages, the second with a link back to the first.
    let pages = all_pages(app, "/imports?limit=1", &admin).await;
    assert_eq!(
        pages,
        [
            vec![all[0].clone()],
            vec![all[1].clone()],
            vec![all[2].clone()]
        ]
    );
    let r = get(
        app,
        "/imports?department=eco-env-513400",
        Some(&admin),
        None,
    )
    .await;
    assert!(
        r.body
            .contains("href=\"/imports?department=eco-env-513400&#38;f=csv\""),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("<option value=\"eco-env-513400\" selected>"));
    for bad in [
        "/imports?status=lost",
        "/imports?from=2024-02-30",
        "/imports?limit=0",
        "/imports?f=pdf",
    ] {
        let r = get(app, bad, Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        json(app, "/api/v1/imports?department=eco-env-513400", &admin)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Plots: two more, one in 西昌市.
    let store = app.store.as_ref();
    for (code, div) in [("PL-HL-2", "513402"), ("PL-XC-1", "513401")] {
        store
            .create_plot(
                &Plot::new(code, "某地块", div.parse().unwrap()),
                NaiveDate::from_ymd_opt(2024, 1, 5).unwrap(),
                &change("plot"),
            )
            .await
            .unwrap();
    }
    for (query, n) in [
        ("division=513402", 2),
        ("", 3),
        ("status=suspected&division=513401", 1),
    ] {
        let api = keys(
            &json(app, &format!("/api/v1/plots?{query}"), &admin).await,
            "code",
        );
        assert_eq!(api.len(), n, "{query}");
        let pages = all_pages(app, &format!("/plots?{query}&limit=1"), &admin).await;
        assert_eq!(pages.len(), n.max(1), "{query}");
        assert_eq!(pages.concat(), api, "{query}");
        let (_, _, body) = get_bytes(app, &format!("/plots?{query}&f=csv"), &admin).await;
        assert_eq!(csv_first_column(&body), api, "CSV {query}");
        let (_, _, body) = get_bytes(app, &format!("/plots?{query}&f=xlsx"), &admin).await;
        assert_eq!(xlsx_first_column(body, "plots"), api, "XLSX {query}");
    }
    let r = get(app, "/plots?status=listed", Some(&admin), None).await;
    assert!(r.body.contains("<option value=\"listed\" selected>"));
    assert_eq!(
        get(app, "/plots?status=moon", Some(&admin), None)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // The plot registry is for signed-in users (issue 13).
    let r = get(app, "/plots", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.starts_with("/login?next="));

    // Tailings ponds: two operated by the enterprise, one closed elsewhere.
    for (code, div, status, ent) in [
        ("TP-1", "513402", TailingsStatus::Operating, true),
        ("TP-2", "513402", TailingsStatus::Closed, true),
        ("TP-3", "513401", TailingsStatus::Closed, false),
    ] {
        store
            .create_tailings_pond(
                &TailingsPond {
                    code: code.into(),
                    name: "某尾矿库".into(),
                    enterprise_uscc: ent.then(|| USCC.parse().unwrap()),
                    enterprise_name: None,
                    division: div.parse().unwrap(),
                    location: None,
                    status,
                    risk_assessment: None,
                    emergency_plan: None,
                    note: None,
                },
                &change("pond"),
            )
            .await
            .unwrap();
    }
    for (query, n) in [
        ("", 3),
        ("division=513402", 2),
        ("status=closed", 2),
        (&format!("enterprise={USCC}&status=closed")[..], 1),
    ] {
        let api = keys(
            &json(app, &format!("/api/v1/tailings-ponds?{query}"), &admin).await,
            "code",
        );
        assert_eq!(api.len(), n, "{query}");
        let pages = all_pages(app, &format!("/tailings-ponds?{query}&limit=2"), &admin).await;
        assert_eq!(pages.concat(), api, "{query}");
        let (_, _, body) = get_bytes(app, &format!("/tailings-ponds?{query}&f=csv"), &admin).await;
        assert_eq!(csv_first_column(&body), api, "CSV {query}");
        let (_, _, body) = get_bytes(app, &format!("/tailings-ponds?{query}&f=xlsx"), &admin).await;
        assert_eq!(
            xlsx_first_column(body, "tailings_ponds"),
            api,
            "XLSX {query}"
        );
    }
    let r = get(app, "/tailings-ponds", Some(&admin), None).await;
    assert!(r
        .body
        .contains(&format!("<a href=\"/enterprises/{USCC}\">")));
}

#[tokio::test]
async fn imports_plots_and_ponds_lists_filter_page_and_export_like_the_api() {
    let mut app = TestApp::sqlite().await;
    fixture(&app).await;
    whole_lists_equal_the_api(&mut app).await;
}

#[tokio::test]
async fn imports_plots_and_ponds_lists_on_postgres() {
    let Some(mut app) = TestApp::postgres("pages_lists").await else {
        return;
    };
    fixture(&app).await;
    whole_lists_equal_the_api(&mut app).await;
    app.finish().await;
}

/// POST a form (urlencoded) with a token.
async fn post_form(app: &TestApp, uri: &str, token: &str, form: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(form).unwrap();
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        location,
        cookies: Vec::new(),
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// The error shown next to a field of the point form.
fn error_of(html: &str, field: &str) -> String {
    let marker = format!("id=\"ff-{field}-error\">");
    html.find(&marker)
        .map(|i| {
            let rest = &html[i + marker.len()..];
            unescaped(&rest[..rest.find("</span>").unwrap()])
        })
        .unwrap_or_default()
}

/// Register and edit a point through its forms: refusals keep the typed values and put each
/// error next to its field; what is saved is what the API answers, with the reason in its history.
async fn point_forms_write_like_the_api(app: &TestApp) {
    let store = app.store.as_ref();
    let officer = app
        .user_token("officer", Role::DataOfficer, Some("eco-env-513400"))
        .await;
    let viewer = app.user_token("viewer", Role::Viewer, None).await;
    assert_eq!(
        get(app, "/points/new", Some(&viewer), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_form(app, "/points/new", &viewer, &[("code", "X")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = get(app, "/points/new", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<input type=\"hidden\" name=\"csrf\""));
    assert!(unlabelled(&r.body).is_empty(), "{:?}", unlabelled(&r.body));
    let w = conformance_network::point_inside(store, "HL-F", "513402", 450.0).await;
    let (lon, lat) = (
        w.point.location.lon().to_string(),
        w.point.location.lat().to_string(),
    );
    let base = |name: &'static str, lon: String| {
        vec![
            ("code", "HL-F".to_owned()),
            ("name", name.to_owned()),
            ("point_type", "risk".to_owned()),
            ("control_level", "county".to_owned()),
            ("division", "513402".to_owned()),
            ("lon", lon),
            ("lat", lat.clone()),
            ("land_use", "0101".to_owned()),
            ("reason", "布点方案".to_owned()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>, uri: &'static str| {
        let officer = officer.clone();
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(app, uri, &officer, &pairs).await
        }
    };
    // A longitude that is not a number: 422, the error next to it, the values kept.
    let r = send(base("新点位", "东经102度".into()), "/points/new").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        error_of(&r.body, "lon").contains("应为十进制度数"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"东经102度\"") && r.body.contains("value=\"新点位\""));
    assert!(r.body.contains("<option value=\"risk\" selected>"));
    assert!(r.body.contains("aria-invalid=\"true\""));
    // No name: the API's message, in the page's language.
    let r = send(base("", lon.clone()), "/points/new").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(error_of(&r.body, "name"), "点位名称不能为空");
    let r = send(base("", lon.clone()), "/points/new?lang=en").await;
    assert_eq!(error_of(&r.body, "name"), "a point needs a name");
    assert!(!error_of(&r.body, "name").chars().any(is_cjk));
    // Outside the county: the store's check, next to the coordinates.
    let far = (w.point.location.lon() + 3.0).to_string();
    let r = send(base("新点位", far), "/points/new").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        !error_of(&r.body, "lon").is_empty() || r.body.contains("class=\"bad\""),
        "{}",
        r.body
    );
    // Saved: to the point's page; the API answers what was typed.
    let r = send(base("新点位", lon.clone()), "/points/new").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/points/HL-F");
    let api = json(app, "/api/v1/points/HL-F", &officer).await;
    assert_eq!(api["name"], "新点位");
    assert_eq!(api["point_type"], "risk");
    assert_eq!(api["location"][0].as_f64().unwrap().to_string(), lon);
    // The same code again: 409, next to the code.
    let r = send(base("新点位", lon.clone()), "/points/new").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(!error_of(&r.body, "code").is_empty());
    // Edit: the form holds the point; a change needs a reason.
    let r = get(app, "/points/HL-F/edit", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("value=\"新点位\"") && r.body.contains(&format!("value=\"{lon}\"")));
    let mut form = base("改名点位", lon.clone());
    form.retain(|(k, _)| *k != "reason" && *k != "code");
    let r = send(form.clone(), "/points/HL-F/edit").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!error_of(&r.body, "reason").is_empty(), "{}", r.body);
    assert!(r.body.contains("value=\"改名点位\""));
    form.push(("reason", "名称更正".into()));
    let r = send(form, "/points/HL-F/edit").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = json(app, "/api/v1/points/HL-F", &officer).await;
    assert_eq!(api["name"], "改名点位");
    let history = json(app, "/api/v1/points/HL-F/history", &officer).await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["reason"], "布点方案");
    assert_eq!(history[1]["reason"], "名称更正");
    assert_eq!(history[1]["actor"], "officer");
    // Writers see the links to the forms.
    assert!(get(app, "/points", Some(&officer), None)
        .await
        .body
        .contains("href=\"/points/new\""));
    assert!(!get(app, "/points", None, None)
        .await
        .body
        .contains("href=\"/points/new\""));
    assert!(get(app, "/points/HL-F", Some(&officer), None)
        .await
        .body
        .contains("href=\"/points/HL-F/edit\""));
}

#[tokio::test]
async fn point_forms_register_and_edit_like_the_api() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    point_forms_write_like_the_api(&app).await;
}

#[tokio::test]
async fn point_forms_on_postgres() {
    let Some(app) = TestApp::postgres("pages_point_forms").await else {
        return;
    };
    fixture(&app).await;
    point_forms_write_like_the_api(&app).await;
    app.finish().await;
}

/// Register and edit a plot through its forms: errors next to fields with the values kept; the
/// edit keeps what the form does not show; a stale version is a 409.
async fn plot_forms_write_like_the_api(app: &TestApp) {
    let officer = app
        .user_token("officer", Role::DataOfficer, Some("eco-env-513400"))
        .await;
    let viewer = app.user_token("viewer", Role::Viewer, None).await;
    assert_eq!(
        get(app, "/plots/new", Some(&viewer), None).await.status,
        StatusCode::FORBIDDEN
    );
    let r = get(app, "/plots/new", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<input type=\"hidden\" name=\"csrf\""));
    assert!(unlabelled(&r.body).is_empty(), "{:?}", unlabelled(&r.body));
    let form = |pairs: &[(&'static str, &'static str)]| {
        pairs
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect::<Vec<(&str, &str)>>()
    };
    // No county, a bad date, no reason: each next to its field, the typed name kept.
    let r = post_form(
        app,
        "/plots/new",
        &officer,
        &form(&[
            ("code", "PL-F-1"),
            ("name", "原电镀厂"),
            ("division", ""),
            ("identified_on", "2024-13-01"),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!error_of(&r.body, "division").is_empty(), "{}", r.body);
    assert!(error_of(&r.body, "identified_on").contains("2024-13-01"));
    assert!(r.body.contains("value=\"原电镀厂\""));
    let r = post_form(
        app,
        "/plots/new",
        &officer,
        &form(&[
            ("code", "PL-F-1"),
            ("name", "原电镀厂"),
            ("division", "513402"),
            ("industry", "electroplating"),
            ("planned_use", "R2"),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(error_of(&r.body, "reason"), "每次修改须注明原因");
    let good = [
        ("code", "PL-F-1"),
        ("name", "原电镀厂"),
        ("division", "513402"),
        ("industry", "electroplating"),
        ("planned_use", "R2"),
        ("identified_on", "2024-03-01"),
        ("reason", "排查发现"),
    ];
    let r = post_form(app, "/plots/new", &officer, &form(&good)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/plots/PL-F-1");
    let api = json(app, "/api/v1/plots/PL-F-1", &officer).await;
    assert_eq!(api["name"], "原电镀厂");
    assert_eq!(api["planned_use"], "R2");
    assert_eq!(api["industry"], "electroplating");
    assert_eq!(api["land_class"], 1, "R2 is GB 36600 class 1");
    let r = post_form(app, "/plots/new", &officer, &form(&good)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!error_of(&r.body, "code").is_empty());
    // Edit: a negative list set through the API stays when the form saves the name.
    let put = serde_json::json!({
        "name": "原电镀厂", "division": "513402", "industry": "electroplating",
        "planned_use": "R2", "negative_list": ["school"], "reason": "负面清单"
    });
    let res = app
        .router
        .clone()
        .oneshot(
            Request::put("/api/v1/plots/PL-F-1")
                .header("authorization", format!("Bearer {officer}"))
                .header("content-type", "application/json")
                .body(Body::from(put.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let r = get(app, "/plots/PL-F-1/edit", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let version = r.body.split("name=\"version\" value=\"").nth(1).unwrap();
    let version = version[..version.find('"').unwrap()].to_owned();
    let edit = |name: &'static str, version: String| {
        vec![
            ("name", name.to_owned()),
            ("division", "513402".to_owned()),
            ("industry", "electroplating".to_owned()),
            ("planned_use", "R2".to_owned()),
            ("version", version),
            ("reason", "名称更正".to_owned()),
        ]
    };
    let pairs = edit("原某电镀厂", version.clone());
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(app, "/plots/PL-F-1/edit", &officer, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = json(app, "/api/v1/plots/PL-F-1", &officer).await;
    assert_eq!(api["name"], "原某电镀厂");
    assert_eq!(api["negative_list"], serde_json::json!(["school"]));
    // The same version again: changed meanwhile, 409.
    let pairs = edit("又改名", version);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(app, "/plots/PL-F-1/edit", &officer, &pairs).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("value=\"又改名\""));
    let history = json(app, "/api/v1/plots/PL-F-1/history", &officer).await;
    let reasons: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["排查发现", "负面清单", "名称更正"]);
    assert!(get(app, "/plots/PL-F-1", Some(&officer), None)
        .await
        .body
        .contains("href=\"/plots/PL-F-1/edit\""));
}

#[tokio::test]
async fn plot_forms_register_and_edit_like_the_api() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    plot_forms_write_like_the_api(&app).await;
}

#[tokio::test]
async fn plot_forms_on_postgres() {
    let Some(app) = TestApp::postgres("pages_plot_forms").await else {
        return;
    };
    fixture(&app).await;
    plot_forms_write_like_the_api(&app).await;
    app.finish().await;
}

/// File and edit a demolition plan and register and edit a mining area through their forms
/// (issue 8): writers only, each error next to its field in Chinese (English with `lang=en`),
/// the typed values kept, what is saved is what the API answers, the edit keeps what the form
/// does not show, a stale version is a 409, the reason is in the history.
async fn demolition_and_mining_forms_write_like_the_api(app: &TestApp) {
    let officer = app
        .user_token("officer", Role::DataOfficer, Some("eco-env-513400"))
        .await;
    let viewer = app.user_token("viewer", Role::Viewer, None).await;
    for uri in ["/demolition-plans/new", "/mining-areas/new"] {
        assert_eq!(
            get(app, uri, Some(&viewer), None).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
        let r = post_form(app, uri, &viewer, &[("code", "X"), ("reason", "r")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        let r = get(app, uri, Some(&officer), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert!(r.body.contains("<input type=\"hidden\" name=\"csrf\""));
        assert!(unlabelled(&r.body).is_empty(), "{:?}", unlabelled(&r.body));
    }
    let plan = |planned_start: &'static str, uscc: &'static str, reason: &'static str| {
        vec![
            ("code", "CC-F-1"),
            ("enterprise_uscc", uscc),
            ("facilities", "电解车间；废水处理站"),
            ("cleanup_plan_title", "残留污染物清理和安全处置方案"),
            ("filing_bureau", "会理市生态环境局"),
            ("filed_on", "2024-03-01"),
            ("planned_start", planned_start),
            ("reason", reason),
        ]
    };
    // A bad date and no reason: each next to its field, the typed title kept.
    let r = post_form(
        app,
        "/demolition-plans/new",
        &officer,
        &plan("2024-13-01", USCC, ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(error_of(&r.body, "planned_start").contains("2024-13-01"));
    assert!(r.body.contains("value=\"残留污染物清理和安全处置方案\""));
    let r = post_form(
        app,
        "/demolition-plans/new",
        &officer,
        &plan("2024-04-01", USCC, ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(error_of(&r.body, "reason"), "每次修改须注明原因");
    // An enterprise not registered; a start before the filing (in English).
    let r = post_form(
        app,
        "/demolition-plans/new",
        &officer,
        &plan("2024-04-01", "91513400MA6WKK0013", "备案"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        error_of(&r.body, "enterprise_uscc").contains("未登记为重点监管企业"),
        "{}",
        r.body
    );
    let r = post_form(
        app,
        "/demolition-plans/new?lang=en",
        &officer,
        &plan("2024-02-01", USCC, "备案"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        error_of(&r.body, "planned_start").contains("before the filing date"),
        "{}",
        r.body
    );
    let good = plan("2024-04-01", USCC, "备案");
    let r = post_form(app, "/demolition-plans/new", &officer, &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/demolition-plans?enterprise={USCC}"));
    let api = json(app, "/api/v1/demolition-plans/CC-F-1", &officer).await;
    assert_eq!(api["status"], "filed");
    assert_eq!(api["division"], "513402");
    assert_eq!(
        api["facilities"],
        serde_json::json!(["电解车间", "废水处理站"])
    );
    let r = post_form(app, "/demolition-plans/new", &officer, &good).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(!error_of(&r.body, "code").is_empty());
    let list = get(app, "/demolition-plans", Some(&officer), None).await;
    assert!(list.body.contains("href=\"/demolition-plans/CC-F-1/edit\""));
    assert!(list.body.contains("href=\"/demolition-plans/new\""));
    assert!(!get(app, "/demolition-plans", Some(&viewer), None)
        .await
        .body
        .contains("/demolition-plans/new"));
    // The demolition starts (API); the edit form keeps the status and steps.
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post("/api/v1/demolition-plans/CC-F-1/status")
                .header("authorization", format!("Bearer {officer}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({"status": "in_progress", "date": "2024-04-02", "reason": "开工"})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r = get(app, "/demolition-plans/CC-F-1/edit", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let version = hidden_value(&r.body, "version");
    assert!(
        r.body.contains("value=\"电解车间；废水处理站\""),
        "{}",
        r.body
    );
    let edit = |title: &'static str, version: &str| {
        let mut f: Vec<(&str, String)> = plan("2024-04-01", USCC, "方案名称更正")
            .into_iter()
            .filter(|(k, _)| *k != "code")
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        f.retain(|(k, _)| *k != "cleanup_plan_title");
        f.push(("cleanup_plan_title", title.to_owned()));
        f.push(("version", version.to_owned()));
        f
    };
    let pairs = edit("残留污染物清理方案（修订）", &version);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(app, "/demolition-plans/CC-F-1/edit", &officer, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let api = json(app, "/api/v1/demolition-plans/CC-F-1", &officer).await;
    assert_eq!(api["cleanup_plan"]["title"], "残留污染物清理方案（修订）");
    assert_eq!(api["status"], "in_progress");
    assert_eq!(api["steps"].as_array().unwrap().len(), 2);
    let pairs = edit("又改名", &version);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_form(app, "/demolition-plans/CC-F-1/edit", &officer, &pairs).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("value=\"又改名\""));
    let history = json(app, "/api/v1/demolition-plans/CC-F-1/history", &officer).await;
    let reasons: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["备案", "开工", "方案名称更正"]);

    // Mining areas.
    let area = |radioactive: &'static str, since: &'static str, reason: &'static str| {
        vec![
            ("code", "KQ-F-1"),
            ("name", "某稀土矿区"),
            ("mineral", "稀土"),
            ("division", "513402"),
            ("status", "operating"),
            ("associated_radioactivity", radioactive),
            ("monitoring_since", since),
            ("point_codes", "HL-A；HL-B"),
            ("reason", reason),
        ]
    };
    let r = post_form(
        app,
        "/mining-areas/new",
        &officer,
        &area("", "二〇二一", "登记"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        error_of(&r.body, "associated_radioactivity"),
        "请选择是或否"
    );
    assert!(error_of(&r.body, "monitoring_since").contains("二〇二一"));
    assert!(r.body.contains("value=\"某稀土矿区\""));
    let r = post_form(app, "/mining-areas/new", &officer, &area("yes", "", "登记")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        error_of(&r.body, "monitoring_since").contains("起始年份"),
        "{}",
        r.body
    );
    let r = post_form(
        app,
        "/mining-areas/new",
        &officer,
        &area("yes", "2021", "登记"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/mining-areas/KQ-F-1");
    let api = json(app, "/api/v1/mining-areas/KQ-F-1", &officer).await;
    assert_eq!(api["associated_radioactivity"], true);
    assert_eq!(api["point_codes"], serde_json::json!(["HL-A", "HL-B"]));
    assert_eq!(api["radiation"]["required"], true);
    let page = get(app, "/mining-areas/KQ-F-1", Some(&officer), None).await;
    assert!(page.body.contains("href=\"/mining-areas/KQ-F-1/edit\""));
    assert!(!get(app, "/mining-areas/KQ-F-1", Some(&viewer), None)
        .await
        .body
        .contains("/edit\""));
    let r = get(app, "/mining-areas/KQ-F-1/edit", Some(&officer), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let version = hidden_value(&r.body, "version");
    let mut closed: Vec<(&str, &str)> = area("yes", "2021", "闭坑")
        .into_iter()
        .filter(|(k, _)| *k != "code" && *k != "status")
        .collect();
    closed.push(("status", "closed"));
    closed.push(("version", &version));
    let r = post_form(app, "/mining-areas/KQ-F-1/edit", &officer, &closed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = post_form(app, "/mining-areas/KQ-F-1/edit", &officer, &closed).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let history = json(app, "/api/v1/mining-areas/KQ-F-1/history", &officer).await;
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["data"]["status"], "closed");
    assert_eq!(history[1]["reason"], "闭坑");
}

#[tokio::test]
async fn demolition_and_mining_forms_register_and_edit_like_the_api() {
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    demolition_and_mining_forms_write_like_the_api(&app).await;
}

#[tokio::test]
async fn demolition_and_mining_forms_on_postgres() {
    let Some(app) = TestApp::postgres("pages_registry_forms").await else {
        return;
    };
    fixture(&app).await;
    demolition_and_mining_forms_write_like_the_api(&app).await;
    app.finish().await;
}

/// The value of a cookie among `Set-Cookie` headers.
fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let (kv, _) = c.split_once(';')?;
        let (k, v) = kv.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The value of a hidden input.
fn hidden_value(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap() + key.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

/// POST a form with a cookie (a signed-in browser).
async fn post_with_cookie(app: &TestApp, uri: &str, cookie: &str, body: String) -> Reply {
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        location,
        cookies: Vec::new(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[tokio::test]
async fn point_and_plot_forms_need_the_session_csrf_token() {
    use soilwatch_store::auth::NewUser;
    use soilwatch_store::auth_secret::hash_password;
    let app = TestApp::sqlite().await;
    fixture(&app).await;
    app.store
        .create_user(&NewUser {
            username: "clerk".into(),
            display_name: "录入员".into(),
            role: Role::DataOfficer,
            department: Some("eco-env-513400".into()),
            password_hash: hash_password("Clerk password 1").unwrap(),
        })
        .await
        .unwrap();
    // Sign in through the login form.
    let login = get(&app, "/login", None, None).await;
    let login_csrf = hidden_value(&login.body, "csrf");
    let res = app
        .router
        .clone()
        .oneshot(
            Request::post("/login")
                .header("cookie", format!("sw_login_csrf={login_csrf}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "csrf={login_csrf}&username=clerk&password=Clerk+password+1&next=%2F"
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = format!(
        "sw_session={}",
        cookie_value(&cookies, "sw_session").unwrap()
    );
    let store = app.store.as_ref();
    let w = conformance_network::point_inside(store, "HL-S1", "513402", 600.0).await;
    let point = format!(
        "code=HL-S1&name=x&point_type=basic&control_level=county&division=513402&lon={}&lat={}",
        w.point.location.lon(),
        w.point.location.lat()
    );
    for (form_uri, body, saved) in [
        ("/points/new", point, "/points/HL-S1"),
        (
            "/plots/new",
            "code=PL-S1&name=x&division=513402&reason=r".to_owned(),
            "/plots/PL-S1",
        ),
    ] {
        let page = get(&app, form_uri, None, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = hidden_value(&page.body, "csrf");
        assert!(
            !csrf.is_empty(),
            "{form_uri}: the form carries the session's token"
        );
        // Without the token (or with another): refused, nothing stored.
        for bad in [body.clone(), format!("csrf=forged&{body}")] {
            let r = post_with_cookie(&app, form_uri, &session, bad).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{form_uri}");
        }
        assert_eq!(
            get(&app, saved, None, Some(&session)).await.status,
            StatusCode::NOT_FOUND,
            "{saved} stored without a token"
        );
        let r = post_with_cookie(&app, form_uri, &session, format!("csrf={csrf}&{body}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{form_uri}: {}", r.body);
        assert_eq!(r.location, saved);
    }
}
