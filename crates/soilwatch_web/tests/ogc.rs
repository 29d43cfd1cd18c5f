//! OGC API – Features (issue 11) through the router: the conformance classes declared at
//! `/ogc/conformance` (core, GeoJSON, HTML, OpenAPI 3.0, CRS by reference, queryables as query
//! parameters), on a seeded SQLite app with generated demo data, and the same collections on
//! PostgreSQL when `SOILWATCH_TEST_PG` is set. Also the layer exports.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use soilwatch_classify::{ClassifySettings, EvaluationUnit, UnitClass, UnitSource};
use soilwatch_core::Medium;
use soilwatch_core::{ChangeMeta, LonLat};
use soilwatch_store::classification_service::{run_classification, RunRequest};
use soilwatch_store::conformance;
use soilwatch_store::conformance_network::point_inside;
use soilwatch_store::conformance_registry::square_inside;
use soilwatch_store::demo::{load, DemoOptions};
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_enterprise::{
    Enterprise, EnterpriseStatus, TailingsPond, TailingsStatus,
};
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::registry_remediation::{ProjectMode, RemediationProject};
use soilwatch_store::{
    ClassificationStore, NetworkStore, RegistryStore, ReviewAction, Role, Store,
};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

/// A test app and the API token its requests carry (samples need a signed-in user).
struct App {
    inner: TestApp,
    token: Option<String>,
}

impl std::ops::Deref for App {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.inner
    }
}

impl App {
    /// Signed in as an administrator: the classification units are the agriculture bureau's
    /// conditional dataset, read through the sharing catalogue's check (issue 9).
    async fn administrator(inner: TestApp) -> App {
        let token = inner
            .user_token("ogc-admin", Role::Administrator, None)
            .await;
        App {
            inner,
            token: Some(token),
        }
    }

    async fn viewer(inner: TestApp) -> App {
        let token = inner.user_token("ogc-viewer", Role::Viewer, None).await;
        App {
            inner,
            token: Some(token),
        }
    }
}

struct Res {
    status: StatusCode,
    ct: String,
    content_crs: String,
    body: Vec<u8>,
}

impl Res {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(app: &App, uri: &str, accept: &str) -> Res {
    get_as(app, uri, accept, app.token.as_deref()).await
}

async fn get_as(app: &App, uri: &str, accept: &str, token: Option<&str>) -> Res {
    let mut req = Request::get(uri)
        .header("accept", accept)
        .header("host", "soilwatch.test");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, ct, content_crs) = (res.status(), h("content-type"), h("content-crs"));
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Res {
        status,
        ct,
        content_crs,
        body,
    }
}

async fn json(app: &App, uri: &str) -> Value {
    let r = get(app, uri, "application/json").await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.json()
}

/// A 400 with the JSON error body naming the parameter.
async fn bad(app: &App, uri: &str, param: &str) {
    let r = get(app, uri, "application/geo+json").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text());
    let v = r.json();
    assert_eq!(v["error"]["code"], "bad_request", "{uri}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains(param),
        "{uri}: {v}"
    );
    // The OGC API exception shape beside it.
    assert_eq!(v["code"], "bad_request", "{uri}");
    assert_eq!(v["description"], v["error"]["message"], "{uri}");
}

const DEMO: DemoOptions = DemoOptions {
    seed: 11,
    points: 40,
    end_year: 2025,
    years: 3,
};

async fn demo_app() -> App {
    let app = TestApp::sqlite().await;
    load(app.store.as_ref(), &DEMO).await.unwrap();
    App::viewer(app).await
}

/// Percent-encode a query value (names and codes may be Chinese).
fn utf8_percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn link<'a>(v: &'a Value, rel: &str) -> Option<&'a str> {
    v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
        .map(|l| l["href"].as_str().unwrap())
}

/// The path and query of an absolute link.
fn path(href: &str) -> &str {
    href.strip_prefix("http://soilwatch.test").unwrap()
}

/// Every feature of a collection by following `next` links; checks the counts on each page:
/// the first is counted, the next ones (by keyset cursor, issue 12) are not.
async fn walk(app: &App, first: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut uri = first.to_owned();
    let mut matched = None;
    loop {
        let page = json(app, &uri).await;
        assert_eq!(page["type"], "FeatureCollection");
        let n = page["features"].as_array().unwrap().len();
        assert_eq!(page["numberReturned"], n);
        if uri == first {
            matched = Some(page["numberMatched"].as_u64().unwrap());
        } else {
            assert!(page.get("numberMatched").is_none(), "{uri}: counted");
        }
        all.extend(page["features"].as_array().unwrap().iter().cloned());
        match link(&page, "next") {
            Some(next) => {
                uri = path(next).to_owned();
                assert!(uri.contains("cursor=") && !uri.contains("offset="), "{uri}");
            }
            None => break,
        }
    }
    assert_eq!(Some(all.len() as u64), matched);
    all
}

#[tokio::test]
async fn landing_conformance_api_and_collections() {
    let app = demo_app().await;
    let landing = json(&app, "/ogc").await;
    for rel in ["self", "alternate", "service-desc", "conformance", "data"] {
        assert!(link(&landing, rel).is_some(), "landing page lacks {rel}");
    }
    assert_eq!(
        link(&landing, "data"),
        Some("http://soilwatch.test/ogc/collections")
    );
    // HTML by f= and by Accept.
    let html = get(&app, "/ogc?f=html", "application/json").await;
    assert!(html.ct.starts_with("text/html"), "{}", html.ct);
    let html = get(&app, "/ogc", "text/html,application/xhtml+xml").await;
    assert!(html.ct.starts_with("text/html") && html.text().contains("/ogc/collections"));
    bad(&app, "/ogc?f=xml", "f").await;

    let conf = json(&app, "/ogc/conformance").await;
    insta::assert_json_snapshot!("ogc_conformance", conf);

    let api = get(&app, "/ogc/api", "application/json").await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(
        api.ct.starts_with("application/vnd.oai.openapi+json"),
        "{}",
        api.ct
    );
    let api = api.json();
    assert_eq!(api["openapi"], "3.0.3");
    let items = &api["paths"]["/collections/points/items"]["get"]["parameters"];
    let names: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in [
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "crs",
        "datetime",
        "point_type",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let limit = items
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["maximum"], 10_000);

    let cols = json(&app, "/ogc/collections").await;
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "divisions",
            "points",
            "samples",
            "classification_units",
            "plots",
            "enterprises",
            "tailings_ponds",
            "remediation_projects"
        ]
    );
    for c in cols["collections"].as_array().unwrap() {
        let bbox = &c["extent"]["spatial"]["bbox"][0];
        // Liangshan: about 100–104 °E, 26–30 °N.
        assert!(
            bbox[0].as_f64().unwrap() > 99.0 && bbox[2].as_f64().unwrap() < 104.5,
            "{bbox}"
        );
        assert_eq!(
            c["storageCrs"],
            "http://www.opengis.net/def/crs/EPSG/0/4490"
        );
        let crs: Vec<&str> = c["crs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(crs.contains(&"http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
        assert!(crs.contains(&"http://www.opengis.net/def/crs/EPSG/0/4490"));
        assert!(link(c, "items").is_some());
    }
    let samples = json(&app, "/ogc/collections/samples").await;
    let interval = &samples["extent"]["temporal"]["interval"][0];
    assert!(
        interval[0].as_str().unwrap().starts_with("2023-"),
        "{interval}"
    );
    assert!(
        interval[1].as_str().unwrap().starts_with("2025-"),
        "{interval}"
    );
    let html = get(&app, "/ogc/collections/points?f=html", "").await;
    assert!(html.text().contains("point_type"));

    let q = json(&app, "/ogc/collections/points/queryables").await;
    assert_eq!(q["type"], "object");
    assert!(q["properties"]["point_type"].is_object());
    assert!(q["properties"]["version"].is_null(), "not a queryable");

    // Layers with locations of points, samples, plots, enterprises and parcels need a
    // signed-in user; the divisions and every collection's description are public.
    for uri in [
        "/ogc/collections/samples/items",
        "/ogc/collections/samples/items/1",
        "/api/v1/exports/samples.gpkg",
        "/ogc/collections/points/items?limit=1",
        "/api/v1/exports/points.geojson",
    ] {
        let r = get_as(&app, uri, "application/json", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(r.json()["error"]["code"], "unauthorized", "{uri}");
    }
    for uri in [
        "/ogc/collections/divisions/items/513402",
        "/ogc/collections/samples",
        "/api/v1/exports/divisions.geojson",
    ] {
        let r = get_as(&app, uri, "application/json", None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
    }
    let r = get_as(
        &app,
        "/ogc/collections/samples/items?limit=1",
        "",
        Some("swt_not_a_token"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = get(&app, "/ogc/collections/parcels", "application/json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let r = get(&app, "/ogc/nothing/here", "application/json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
}

/// Paging, counts, links and filters of one collection; the same on both backends.
async fn items_behave(app: &App) {
    let (total_points, total_samples) = app.store.count_points_and_samples().await.unwrap();
    let points = walk(app, "/ogc/collections/points/items?limit=7").await;
    assert_eq!(points.len() as i64, total_points);
    let mut codes: Vec<&str> = points.iter().map(|f| f["id"].as_str().unwrap()).collect();
    codes.dedup();
    assert_eq!(codes.len() as i64, total_points, "a point appears twice");
    let samples = walk(app, "/ogc/collections/samples/items?limit=50").await;
    assert_eq!(samples.len() as i64, total_samples);

    // Second page: prev and next links, offset.
    let p2 = json(app, "/ogc/collections/points/items?limit=7&offset=7").await;
    assert_eq!(p2["features"][0]["id"], points[7]["id"]);
    assert!(path(link(&p2, "prev").unwrap()).contains("offset=0"));
    let next = format!(
        "cursor={}",
        utf8_percent(points[13]["id"].as_str().unwrap())
    );
    assert!(path(link(&p2, "next").unwrap()).contains(&next));
    // Past the end: nothing, no next.
    let end = json(
        app,
        &format!("/ogc/collections/points/items?offset={total_points}"),
    )
    .await;
    assert_eq!(end["numberReturned"], 0);
    assert!(link(&end, "next").is_none());
    // Above the declared maximum: served as the maximum.
    let big = json(app, "/ogc/collections/points/items?limit=20000").await;
    assert_eq!(
        big["numberReturned"].as_i64().unwrap(),
        total_points.min(10_000)
    );

    // Offset paging by the store (a COUNT and a LIMIT/OFFSET query): a window anywhere in the
    // layer, the last page partial, past the end empty with numberMatched still right.
    let n = total_points as usize;
    let last = json(
        app,
        &format!("/ogc/collections/points/items?limit=7&offset={}", n - 3),
    )
    .await;
    assert_eq!(last["numberMatched"], n);
    assert_eq!(last["numberReturned"], 3);
    let ids = |v: &Value| -> Vec<Value> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect()
    };
    let want: Vec<Value> = points[n - 3..].iter().map(|f| f["id"].clone()).collect();
    assert_eq!(ids(&last), want);
    assert!(link(&last, "next").is_none());
    assert!(path(link(&last, "prev").unwrap()).contains(&format!("offset={}", n - 10)));
    let past = json(
        app,
        &format!("/ogc/collections/points/items?limit=7&offset={}", n + 5),
    )
    .await;
    assert_eq!(past["numberMatched"], n);
    assert_eq!(past["numberReturned"], 0);
    assert_eq!(past["features"], serde_json::json!([]));
    assert!(link(&past, "next").is_none());
    assert!(path(link(&past, "prev").unwrap()).contains(&format!("offset={}", n - 2)));
    let mid = json(app, "/ogc/collections/samples/items?limit=20&offset=35").await;
    assert_eq!(mid["numberMatched"], total_samples);
    assert_eq!(mid["numberReturned"], 20);
    let want: Vec<Value> = samples[35..55].iter().map(|f| f["id"].clone()).collect();
    assert_eq!(ids(&mid), want);
    let next = format!("cursor={}", samples[54]["id"].to_string().trim_matches('"'));
    assert!(path(link(&mid, "next").unwrap()).contains(&next));
    assert!(path(link(&mid, "prev").unwrap()).contains("offset=15"));
    // Each sample of a page carries its evaluation.
    for f in mid["features"].as_array().unwrap() {
        assert!(
            f["properties"]["ruleset"].is_string()
                || f["properties"]["evaluation_note"].is_string(),
            "{f}"
        );
    }
    // A filtered layer pages the same way: the pages hold exactly the filtered features.
    let soil_2024: Vec<&Value> = samples
        .iter()
        .filter(|f| {
            f["properties"]["medium"] == "soil"
                && f["properties"]["sampled_on"]
                    .as_str()
                    .unwrap()
                    .starts_with("2024")
        })
        .collect();
    assert!(soil_2024.len() > 10, "{}", soil_2024.len());
    let paged = walk(
        app,
        "/ogc/collections/samples/items?medium=soil&datetime=2024-01-01/2024-12-31&limit=10",
    )
    .await;
    let a: Vec<&Value> = paged.iter().map(|f| &f["id"]).collect();
    let b: Vec<&Value> = soil_2024.iter().map(|f| &f["id"]).collect();
    assert_eq!(a, b);
    // Every other queryable is a store filter too: the counts are those of the whole layer.
    for (layer, all, name) in [
        ("points", &points, "land_use"),
        ("points", &points, "name"),
        ("samples", &samples, "land_use"),
        ("samples", &samples, "lab"),
        ("samples", &samples, "crop"),
        ("samples", &samples, "point_code"),
    ] {
        let Some(value) = all
            .iter()
            .find_map(|f| f["properties"][name].as_str().map(str::to_owned))
        else {
            continue;
        };
        let expect = all
            .iter()
            .filter(|f| f["properties"][name] == value.as_str())
            .count();
        let v = json(
            app,
            &format!(
                "/ogc/collections/{layer}/items?{name}={}&limit=2",
                utf8_percent(&value)
            ),
        )
        .await;
        assert_eq!(v["numberMatched"], expect, "{layer} {name}={value}");
        assert_eq!(
            v["numberReturned"].as_u64().unwrap(),
            expect.min(2) as u64,
            "{layer} {name}={value}"
        );
    }
    // Points in service during a time: established by its end, not retired before its start.
    let in_2024 = points
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            p["established_on"]
                .as_str()
                .is_none_or(|d| d <= "2024-12-31")
                && p["retired_on"].as_str().is_none_or(|d| d >= "2024-01-01")
        })
        .count();
    let v = json(
        app,
        "/ogc/collections/points/items?datetime=2024-01-01/2024-12-31&limit=1",
    )
    .await;
    assert_eq!(v["numberMatched"], in_2024);
    // A prefecture code is no county's: equality, as on the features (the walk answers it).
    let v = json(app, "/ogc/collections/points/items?division=513400").await;
    assert_eq!(v["numberMatched"], 0);

    // Property filters by the queryables (codes or Chinese names), as the store filters.
    let risk = json(
        app,
        "/ogc/collections/points/items?point_type=risk&limit=10000",
    )
    .await;
    let expect = points
        .iter()
        .filter(|f| f["properties"]["point_type"] == "risk")
        .count();
    assert!(expect > 0);
    assert_eq!(risk["numberMatched"], expect);
    let cn = json(
        app,
        "/ogc/collections/points/items?point_type=风险点&limit=1",
    )
    .await;
    assert_eq!(cn["numberMatched"], expect);
    let soil = json(
        app,
        "/ogc/collections/samples/items?medium=soil&division=513402&limit=1",
    )
    .await;
    let expect = samples
        .iter()
        .filter(|f| f["properties"]["medium"] == "soil" && f["properties"]["division"] == "513402")
        .count();
    assert_eq!(soil["numberMatched"], expect);

    // Datetime: instants, closed and open intervals on the sampling date.
    let date = samples[3]["properties"]["sampled_on"]
        .as_str()
        .unwrap()
        .to_owned();
    let count = |f: &dyn Fn(&str) -> bool| {
        samples
            .iter()
            .filter(|s| f(s["properties"]["sampled_on"].as_str().unwrap()))
            .count()
    };
    let on = json(
        app,
        &format!("/ogc/collections/samples/items?datetime={date}"),
    )
    .await;
    assert_eq!(on["numberMatched"], count(&|d| d == date));
    let on = json(
        app,
        &format!("/ogc/collections/samples/items?datetime={date}T10:00:00%2B08:00"),
    )
    .await;
    assert_eq!(on["numberMatched"], count(&|d| d == date));
    let until = json(app, "/ogc/collections/samples/items?datetime=../2024-06-30").await;
    assert_eq!(until["numberMatched"], count(&|d| d <= "2024-06-30"));
    let since = json(
        app,
        "/ogc/collections/samples/items?datetime=2024-01-01T00:00:00Z/..",
    )
    .await;
    assert_eq!(since["numberMatched"], count(&|d| d >= "2024-01-01"));
    let year = json(
        app,
        "/ogc/collections/samples/items?datetime=2024-01-01/2024-12-31",
    )
    .await;
    assert_eq!(year["numberMatched"], count(&|d| d.starts_with("2024")));

    // Bbox around the first point's neighbourhood, in CRS84 and in EPSG:4490 (lat, lon).
    let c = &points[0]["geometry"]["coordinates"];
    let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    let inside = |f: &Value| {
        let c = &f["geometry"]["coordinates"];
        let (px, py) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        (x - 0.3..=x + 0.3).contains(&px) && (y - 0.3..=y + 0.3).contains(&py)
    };
    let expect = points.iter().filter(|f| inside(f)).count();
    let b84 = format!("{},{},{},{}", x - 0.3, y - 0.3, x + 0.3, y + 0.3);
    let r = json(
        app,
        &format!("/ogc/collections/points/items?bbox={b84}&limit=10000"),
    )
    .await;
    assert_eq!(r["numberMatched"], expect);
    let b4490 = format!("{},{},{},{}", y - 0.3, x - 0.3, y + 0.3, x + 0.3);
    let r = json(
        app,
        &format!("/ogc/collections/points/items?bbox={b4490}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490"),
    )
    .await;
    assert_eq!(r["numberMatched"], expect);

    // CRS of the response: EPSG:4490 is latitude first, announced in Content-Crs.
    let id = points[0]["id"].as_str().unwrap();
    let r = get(
        app,
        &format!("/ogc/collections/points/items/{id}"),
        "application/geo+json",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.ct.starts_with("application/geo+json"));
    assert_eq!(
        r.content_crs,
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    assert_eq!(
        r.json()["geometry"]["coordinates"],
        points[0]["geometry"]["coordinates"]
    );
    let r = get(
        app,
        &format!(
            "/ogc/collections/points/items/{id}?crs=http://www.opengis.net/def/crs/EPSG/0/4490"
        ),
        "application/geo+json",
    )
    .await;
    assert_eq!(
        r.content_crs,
        "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    );
    let c = &r.json()["geometry"]["coordinates"];
    assert_eq!((c[0].as_f64().unwrap(), c[1].as_f64().unwrap()), (y, x));
    let r = get(
        app,
        "/ogc/collections/points/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4490",
        "application/geo+json",
    )
    .await;
    assert_eq!(
        r.content_crs,
        "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    );
    assert_eq!(
        r.json()["features"][0]["geometry"]["coordinates"],
        serde_json::json!([y, x])
    );

    // One sample with its evaluation; unknown features are 404s.
    let sid = samples[0]["id"].as_i64().unwrap();
    let s = json(app, &format!("/ogc/collections/samples/items/{sid}")).await;
    assert_eq!(s["id"], sid);
    assert!(
        s["properties"]["ruleset"].is_string() || s["properties"]["evaluation_note"].is_string(),
        "{s}"
    );
    for uri in [
        "/ogc/collections/samples/items/999999999",
        "/ogc/collections/samples/items/abc",
        "/ogc/collections/points/items/NO-SUCH",
        "/ogc/collections/divisions/items/513499",
    ] {
        let r = get(app, uri, "application/json").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.json()["error"]["code"], "not_found", "{uri}");
    }

    // 400s naming the parameter.
    for (uri, p) in [
        ("/ogc/collections/points/items?limit=0", "limit"),
        ("/ogc/collections/points/items?limit=ten", "limit"),
        ("/ogc/collections/points/items?offset=-1", "offset"),
        ("/ogc/collections/points/items?bbox=1,2,3", "bbox"),
        ("/ogc/collections/points/items?bbox=103,27,102,28", "bbox"),
        (
            "/ogc/collections/points/items?bbox-crs=EPSG:3857&bbox=1,2,3,4",
            "bbox-crs",
        ),
        (
            "/ogc/collections/points/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857",
            "crs",
        ),
        (
            "/ogc/collections/samples/items?datetime=2024-13-01",
            "datetime",
        ),
        (
            "/ogc/collections/samples/items?datetime=2025-01-01/2024-01-01",
            "datetime",
        ),
        ("/ogc/collections/points/items?colour=red", "colour"),
        (
            "/ogc/collections/points/items?point_type=castle",
            "point_type",
        ),
        ("/ogc/collections/points/items/X?crs=EPSG:9999", "crs"),
    ] {
        bad(app, uri, p).await;
    }
}

#[tokio::test]
async fn items_page_filter_and_reproject_on_sqlite() {
    let app = demo_app().await;
    items_behave(&app).await;

    // Divisions: the prefecture and its 17 counties as multipolygons; a bbox picks the county.
    let d = json(&app, "/ogc/collections/divisions/items").await;
    assert_eq!(d["numberMatched"], 18);
    assert_eq!(d["features"][0]["geometry"]["type"], "MultiPolygon");
    let huili = json(&app, "/ogc/collections/divisions/items/513402").await;
    assert_eq!(huili["properties"]["name"], "会理市");
    let counties = json(&app, "/ogc/collections/divisions/items?level=county").await;
    assert_eq!(counties["numberMatched"], 17);
    // A small box around 会理市's seat touches it (and perhaps a neighbour), not all 17.
    let seat = json(&app, "/api/v1/divisions/513402?boundary=false").await;
    let (x, y) = (
        seat["center"][0].as_f64().unwrap(),
        seat["center"][1].as_f64().unwrap(),
    );
    let near = json(
        &app,
        &format!(
            "/ogc/collections/divisions/items?level=county&bbox={},{},{},{}",
            x - 0.01,
            y - 0.01,
            x + 0.01,
            y + 0.01
        ),
    )
    .await;
    let n = near["numberMatched"].as_u64().unwrap();
    assert!((1..=3).contains(&n), "{n}");
    assert!(near["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "513402"));

    // The HTML items page with its paging links.
    let html = get(&app, "/ogc/collections/points/items?f=html&limit=5", "").await;
    assert_eq!(html.status, StatusCode::OK);
    let text = html.text();
    assert!(
        text.contains("next page") && text.contains("DEMO-"),
        "{text}"
    );
}

#[tokio::test]
async fn items_page_filter_and_reproject_on_postgres() {
    let Some(app) = TestApp::postgres("ogc_items").await else {
        return;
    };
    load(app.store.as_ref(), &DEMO).await.unwrap();
    let app = App::viewer(app).await;
    items_behave(&app).await;
    app.inner.finish().await;
}

#[tokio::test]
async fn exports_write_geopackage_geojson_and_csv() {
    let app = demo_app().await;
    let (points, _) = app.store.count_points_and_samples().await.unwrap();
    let points = points as usize;

    let r = get(&app, "/api/v1/exports/points.geojson", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.ct.starts_with("application/geo+json"));
    let fc = r.json();
    assert!(fc.get("crs").is_none(), "RFC 7946 has no crs member");
    assert_eq!(fc["features"].as_array().unwrap().len(), points);

    let r = get(&app, "/api/v1/exports/points.csv", "").await;
    let csv = r.text();
    assert!(csv.starts_with("\u{feff}wkt,code,"));
    assert_eq!(csv.lines().count(), points + 1);
    assert!(csv.lines().nth(1).unwrap().starts_with("POINT ("));
    let r = get(&app, "/api/v1/exports/divisions.csv", "").await;
    assert!(r
        .text()
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("\"MULTIPOLYGON ((("));

    let r = get(&app, "/api/v1/exports/points.gpkg?point_type=risk", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.ct, "application/geopackage+sqlite3");
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    // Application id 'GPKG' at byte 68.
    assert_eq!(&r.body[68..72], b"GPKG");

    for (uri, status) in [
        ("/api/v1/exports/parcels.gpkg", StatusCode::NOT_FOUND),
        ("/api/v1/exports/points.shp", StatusCode::NOT_FOUND),
        (
            "/api/v1/exports/points.gpkg?bbox=x",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = get(&app, uri, "").await;
        assert_eq!(r.status, status, "{uri}");
    }
}

/// Plots, enterprises and tailings ponds from the registries; the enterprise's contact is never
/// served.
#[tokio::test]
async fn registries_are_collections_and_exports() {
    // The registry layers need a signed-in user (issue 13): a viewer.
    let app = App::viewer(TestApp::sqlite().await).await;
    let store = app.store.as_ref();
    let change = ChangeMeta::new("测试", "issue 11");
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    for (code, division) in [("HL-P-001", "513402"), ("XC-P-001", "513401")] {
        let mut p = Plot::new(code, "某冶炼厂旧址", division.parse().unwrap());
        p.boundary = Some(square_inside(store, division).await);
        p.former_use = Some("铅锌冶炼".into());
        store.create_plot(&p, day, &change).await.unwrap();
    }
    let e = Enterprise {
        uscc: "91350100M000100Y43".parse().unwrap(),
        name: "会理某铅锌冶炼有限公司".into(),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().unwrap(),
        address: Some("会理市某镇".into()),
        location: Some(LonLat::new(102.25, 26.65).unwrap()),
        listed_year: 2019,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: None,
        point_codes: Vec::new(),
    };
    store.create_enterprise(&e, &change).await.unwrap();
    let pond = TailingsPond {
        code: "TP-001".into(),
        name: "某尾矿库".into(),
        enterprise_uscc: Some(e.uscc.clone()),
        enterprise_name: None,
        division: "513402".parse().unwrap(),
        location: Some(LonLat::new(102.26, 26.66).unwrap()),
        status: TailingsStatus::Operating,
        risk_assessment: None,
        emergency_plan: None,
        note: None,
    };
    store.create_tailings_pond(&pond, &change).await.unwrap();

    let plots = json(&app, "/ogc/collections/plots/items").await;
    assert_eq!(plots["numberMatched"], 2);
    let f = &plots["features"][0];
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["status"], "suspected");
    assert!(f["properties"]["area_m2"].as_f64().unwrap() > 0.0);
    let huili = json(&app, "/ogc/collections/plots/items?division=513402").await;
    assert_eq!(huili["numberMatched"], 1);
    assert_eq!(huili["features"][0]["id"], "HL-P-001");
    let one = json(&app, "/ogc/collections/plots/items/XC-P-001").await;
    assert_eq!(one["properties"]["division"], "513401");

    let ents = json(&app, "/ogc/collections/enterprises/items").await;
    assert_eq!(ents["numberMatched"], 1);
    let props = ents["features"][0]["properties"].as_object().unwrap();
    assert_eq!(props["industry"], "nonferrous_smelting");
    assert!(!props.contains_key("contact"));
    let lower = json(
        &app,
        "/ogc/collections/enterprises/items?uscc=91350100m000100y43",
    )
    .await;
    assert_eq!(lower["numberMatched"], 1);
    let closed = json(&app, "/ogc/collections/enterprises/items?status=closed").await;
    assert_eq!(closed["numberMatched"], 0);

    let ponds = json(
        &app,
        "/ogc/collections/tailings_ponds/items?bbox=102.2,26.6,102.3,26.7",
    )
    .await;
    assert_eq!(ponds["numberMatched"], 1);
    assert_eq!(ponds["features"][0]["geometry"]["coordinates"][0], 102.26);
    let r = get(
        &app,
        "/ogc/collections/tailings_ponds/items/NOPE",
        "application/json",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = get(&app, "/api/v1/exports/plots.gpkg", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    let r = get(&app, "/api/v1/exports/plots.csv", "").await;
    assert_eq!(r.text().lines().count(), 3);

    // Remediation projects, drawn with their plot's boundary.
    let project = RemediationProject {
        code: "PRJ-1".into(),
        name: "原冶炼厂治理修复工程".into(),
        plot_code: "HL-P-001".into(),
        division: "513400".parse().unwrap(),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理市某公司".into(),
        technique: "异位固化/稳定化".into(),
        plan_filing: None,
        started_on: Some(day),
        finished_on: None,
        supervisors: vec!["监理甲".into(), "监理乙".into()],
        notice_board: None,
        effect_evaluation: None,
    };
    store.create_project(&project, &change).await.unwrap();
    let projects = json(&app, "/ogc/collections/remediation_projects/items").await;
    assert_eq!(projects["numberMatched"], 1);
    let f = &projects["features"][0];
    assert_eq!(f["id"], "PRJ-1");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["division"], "513402");
    assert_eq!(f["properties"]["status"], "in_progress");
    assert_eq!(f["properties"]["mode"], "remediation");
    let plot = json(&app, "/ogc/collections/plots/items/HL-P-001").await;
    assert_eq!(f["geometry"], plot["geometry"]);
    for (q, n) in [
        ("status=in_progress", 1),
        ("status=finished", 0),
        ("division=513401", 0),
        ("datetime=2024-01-01/..", 1),
        ("datetime=../2023-12-31", 0),
    ] {
        let v = json(
            &app,
            &format!("/ogc/collections/remediation_projects/items?{q}"),
        )
        .await;
        assert_eq!(v["numberMatched"], n, "{q}");
    }
    let one = json(&app, "/ogc/collections/remediation_projects/items/PRJ-1").await;
    assert_eq!(one["properties"]["plot_code"], "HL-P-001");
    let r = get(&app, "/api/v1/exports/remediation_projects.csv", "").await;
    assert_eq!(r.text().lines().count(), 2);
}

/// Two paddy units in 会理市, each with a soil sample at pH 6.0: Cd 0.4 (equal to the GB 15618
/// screening value 0.4: priority protection) and Cd 2.5 (above the intervention value 2.0: strict
/// control). Two runs; the newer one is the current layer, `run=` opens the older.
#[tokio::test]
async fn classification_units_are_a_layer_per_run() {
    let app = App::administrator(TestApp::sqlite().await).await;
    let store = app.store.as_ref();
    let change = ChangeMeta::new("测试", "issue 11");
    let mut units = Vec::new();
    for (code, k, cd) in [("A", 0.0, "0.4"), ("B", 150.0, "2.5")] {
        let p = point_inside(store, &format!("P-{code}"), "513402", k).await;
        store.create_point(&p, &change).await.unwrap();
        let (x, y) = (p.point.location.lon(), p.point.location.lat());
        let d = 0.004;
        let ring = geo::LineString::from(vec![
            (x - d, y - d),
            (x + d, y - d),
            (x + d, y + d),
            (x - d, y + d),
            (x - d, y - d),
        ]);
        units.push(
            EvaluationUnit::new(
                format!("HL-{code}"),
                "513402".parse().unwrap(),
                UnitSource::Parcel,
                Some("0101".parse().unwrap()),
                geo::Polygon::new(ring, vec![]).into(),
            )
            .unwrap(),
        );
        let mut s = conformance::sample(
            &format!("S-{code}"),
            Some(&format!("P-{code}")),
            "513402",
            Medium::Soil,
            "2024-05-01",
            &[
                ("Cd", cd),
                ("Hg", "0.1"),
                ("As", "10"),
                ("Pb", "30"),
                ("Cr", "80"),
                ("pH", "6.0"),
            ],
        );
        s.results[5].unit = soilwatch_core::Unit::Dimensionless;
        store.insert_samples(&[s], &change).await.unwrap();
    }
    store
        .put_units(&units, "parcels.geojson", &change)
        .await
        .unwrap();
    let run = |year| RunRequest {
        year,
        division: Some("513402".parse().unwrap()),
        settings: ClassifySettings::default(),
        actor: "测试".into(),
    };
    let old = run_classification(store, &run(2024)).await.unwrap();
    let new = run_classification(store, &run(2025)).await.unwrap();
    store
        .review_unit(
            new.id,
            "HL-A",
            ReviewAction::Override,
            Some(UnitClass::SafeUtilization),
            &ChangeMeta::new("审核员", "现场核查"),
        )
        .await
        .unwrap();

    let current = json(&app, "/ogc/collections/classification_units/items").await;
    assert_eq!(current["numberMatched"], 2);
    let by_unit = |v: &Value, unit: &str| -> Value {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["unit"] == unit)
            .unwrap()
            .clone()
    };
    let a = by_unit(&current, "HL-A");
    assert_eq!(a["id"], format!("{}-HL-A", new.id));
    assert_eq!(a["properties"]["run"], new.id);
    assert_eq!(a["properties"]["class"], "priority_protection");
    assert_eq!(a["properties"]["reviewed_class"], "safe_utilization");
    assert_eq!(a["properties"]["final_class"], "safe_utilization");
    assert_eq!(a["geometry"]["type"], "MultiPolygon");
    let b = by_unit(&current, "HL-B");
    assert_eq!(b["properties"]["final_class"], "strict_control");
    assert_eq!(b["properties"]["final_class_cn"], "严格管控类");
    assert!((b["properties"]["area_mu"].as_f64().unwrap() - units[1].area_mu).abs() < 0.01);

    let older = json(
        &app,
        &format!("/ogc/collections/classification_units/items?run={}", old.id),
    )
    .await;
    assert_eq!(older["numberMatched"], 2);
    assert_eq!(
        by_unit(&older, "HL-A")["properties"]["final_class"],
        "priority_protection"
    );
    for (q, n) in [
        ("final_class=strict_control", 1),
        (
            "final_class=%E4%B8%A5%E6%A0%BC%E7%AE%A1%E6%8E%A7%E7%B1%BB",
            1,
        ),
        ("final_class=priority_protection", 0),
        ("division=513401", 0),
        ("run=999999", 0),
    ] {
        let v = json(
            &app,
            &format!("/ogc/collections/classification_units/items?{q}"),
        )
        .await;
        assert_eq!(v["numberMatched"], n, "{q}");
    }
    bad(
        &app,
        "/ogc/collections/classification_units/items?final_class=gold",
        "final_class",
    )
    .await;
    let one = json(
        &app,
        &format!(
            "/ogc/collections/classification_units/items/{}-HL-B",
            old.id
        ),
    )
    .await;
    assert_eq!(one["properties"]["class"], "strict_control");
    for id in ["999999-HL-B", "HL-B", &format!("{}-NOPE", old.id)] {
        let r = get(
            &app,
            &format!("/ogc/collections/classification_units/items/{id}"),
            "application/json",
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        let v = r.json();
        assert_eq!(v["code"], "not_found");
        assert!(v["description"].as_str().unwrap().contains(id), "{v}");
    }
    let r = get(&app, "/api/v1/exports/classification_units.gpkg", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    let r = get(&app, "/api/v1/exports/classification_units.csv", "").await;
    assert_eq!(r.text().lines().count(), 3);
}

/// Demo data plus one record of each registry and a classification run of 会理市 (a 5 km grid):
/// every collection has features.
async fn every_layer_app() -> App {
    let app = demo_app().await;
    let store = app.store.as_ref();
    let change = ChangeMeta::new("测试", "issue 11");
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let mut p = Plot::new("HL-P-001", "某冶炼厂旧址", "513402".parse().unwrap());
    p.boundary = Some(square_inside(store, "513402").await);
    store.create_plot(&p, day, &change).await.unwrap();
    let e = Enterprise {
        uscc: "91350100M000100Y43".parse().unwrap(),
        name: "会理某铅锌冶炼有限公司".into(),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().unwrap(),
        address: None,
        location: Some(LonLat::new(102.25, 26.65).unwrap()),
        listed_year: 2019,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: None,
        point_codes: Vec::new(),
    };
    store.create_enterprise(&e, &change).await.unwrap();
    let pond = TailingsPond {
        code: "TP-001".into(),
        name: "某尾矿库".into(),
        enterprise_uscc: Some(e.uscc.clone()),
        enterprise_name: None,
        division: "513402".parse().unwrap(),
        location: Some(LonLat::new(102.26, 26.66).unwrap()),
        status: TailingsStatus::Operating,
        risk_assessment: None,
        emergency_plan: None,
        note: None,
    };
    store.create_tailings_pond(&pond, &change).await.unwrap();
    let project = RemediationProject {
        code: "PRJ-1".into(),
        name: "原冶炼厂治理修复工程".into(),
        plot_code: "HL-P-001".into(),
        division: "513402".parse().unwrap(),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理市某公司".into(),
        technique: "异位固化/稳定化".into(),
        plan_filing: None,
        started_on: Some(day),
        finished_on: None,
        supervisors: vec!["工程监理甲".into(), "环境监理乙".into()],
        notice_board: None,
        effect_evaluation: None,
    };
    store.create_project(&project, &change).await.unwrap();
    run_classification(
        store,
        &RunRequest {
            year: 2025,
            division: Some("513402".parse().unwrap()),
            settings: ClassifySettings {
                grid_cell_m: 5_000.0,
                ..ClassifySettings::default()
            },
            actor: "测试".into(),
        },
    )
    .await
    .unwrap();
    // Every layer, the classification units included (the agriculture bureau's conditional
    // dataset, issue 9: read as an administrator).
    App::administrator(app.inner).await
}

/// The conformance classes of `/ogc/conformance` checked on every collection: Core (collection,
/// items, feature, limit, bbox, paging links), GeoJSON (media type, Feature members), HTML (every
/// resource), CRS by reference (`crs` list, `storageCrs`, `crs` parameter and `Content-Crs`),
/// Queryables (a JSON Schema per collection) and Queryables as query parameters (every queryable
/// filters, with the value of a feature, to features that hold it).
#[tokio::test]
async fn every_collection_meets_the_declared_conformance_classes() {
    let app = every_layer_app().await;
    let conf = json(&app, "/ogc/conformance").await;
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(classes.len(), 7);
    for c in [
        "core",
        "geojson",
        "html",
        "oas30",
        "crs",
        "queryables",
        "queryables-query-parameters",
    ] {
        assert!(
            classes.iter().any(|x| x.ends_with(&format!("/conf/{c}"))),
            "{c}"
        );
    }
    for uri in ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/api"] {
        let r = get(&app, &format!("{uri}?f=html"), "").await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.ct.starts_with("text/html"), "{uri}: {}", r.ct);
    }
    let cols = json(&app, "/ogc/collections").await;
    let cols = cols["collections"].as_array().unwrap();
    assert_eq!(cols.len(), 8);
    for c in cols {
        let id = c["id"].as_str().unwrap();
        let base = format!("/ogc/collections/{id}");
        // The collection, JSON and HTML, with extent, CRSs and links.
        let one = json(&app, &base).await;
        assert_eq!(one["id"], id);
        assert_eq!(
            one["extent"]["spatial"]["bbox"][0]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            one["storageCrs"],
            "http://www.opengis.net/def/crs/EPSG/0/4490"
        );
        assert!(
            one["crs"][0] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "{id}"
        );
        for rel in [
            "self",
            "items",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
        ] {
            assert!(link(&one, rel).is_some(), "{id} lacks {rel}");
        }
        let html = get(&app, &format!("{base}?f=html"), "").await;
        assert!(html.ct.starts_with("text/html"), "{id}");

        // Items: GeoJSON with its media type, HTML, a page of one with a next link.
        let r = get(
            &app,
            &format!("{base}/items?limit=1"),
            "application/geo+json",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.text());
        assert!(r.ct.starts_with("application/geo+json"), "{id}: {}", r.ct);
        let page = r.json();
        let matched = page["numberMatched"].as_u64().unwrap();
        assert!(matched >= 1, "{id} is empty");
        assert_eq!(page["numberReturned"], 1, "{id}");
        assert_eq!(link(&page, "next").is_some(), matched > 1, "{id}");
        let f = &page["features"][0];
        assert_eq!(f["type"], "Feature");
        assert!(f["geometry"]["type"].is_string(), "{id}: {f}");
        let fid = match &f["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let html = get(&app, &format!("{base}/items?f=html&limit=3"), "").await;
        assert!(
            html.ct.starts_with("text/html") && html.text().contains(&fid),
            "{id}"
        );

        // One feature, JSON (CRS84, then EPSG:4490 latitude first) and HTML.
        let path_id = utf8_percent(&fid);
        let r = get(&app, &format!("{base}/items/{path_id}"), "").await;
        assert_eq!(r.status, StatusCode::OK, "{id}/{fid}");
        assert!(r.ct.starts_with("application/geo+json"));
        assert_eq!(
            r.content_crs,
            "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
        );
        let feature = r.json();
        assert_eq!(feature["id"], f["id"]);
        let r = get(
            &app,
            &format!("{base}/items/{path_id}?crs=http://www.opengis.net/def/crs/EPSG/0/4490"),
            "",
        )
        .await;
        assert_eq!(
            r.content_crs,
            "<http://www.opengis.net/def/crs/EPSG/0/4490>"
        );
        let first = |g: &Value| -> (f64, f64) {
            let mut c = &g["coordinates"];
            while c[0].is_array() {
                c = &c[0];
            }
            (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        };
        let (x, y) = first(&feature["geometry"]);
        assert_eq!(first(&r.json()["geometry"]), (y, x), "{id}");
        let html = get(&app, &format!("{base}/items/{path_id}?f=html"), "").await;
        assert!(html.ct.starts_with("text/html"), "{id}");

        // Bbox: around the feature's first coordinate it is found, far away nothing is.
        let near = json(
            &app,
            &format!(
                "{base}/items?bbox={},{},{},{}&limit=10000",
                x - 0.01,
                y - 0.01,
                x + 0.01,
                y + 0.01
            ),
        )
        .await;
        assert!(
            near["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["id"] == f["id"]),
            "{id}: bbox around {x},{y}"
        );
        let far = json(&app, &format!("{base}/items?bbox=0,0,1,1")).await;
        assert_eq!(far["numberMatched"], 0, "{id}");

        // Queryables: a JSON Schema; each filters to the features holding the value.
        let r = get(&app, &format!("{base}/queryables"), "").await;
        assert!(
            r.ct.starts_with("application/schema+json"),
            "{id}: {}",
            r.ct
        );
        let q = r.json();
        assert_eq!(q["type"], "object");
        let props = q["properties"].as_object().unwrap();
        assert!(!props.is_empty(), "{id}");
        for name in props.keys() {
            let value = match &feature["properties"][name] {
                Value::Null => continue,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let v = json(
                &app,
                &format!("{base}/items?{name}={}&limit=10000", utf8_percent(&value)),
            )
            .await;
            let n = v["numberMatched"].as_u64().unwrap();
            assert!(n >= 1, "{id}: {name}={value} matches nothing");
            assert_eq!(v["numberReturned"].as_u64(), Some(n.min(10_000)));
            for g in v["features"].as_array().unwrap() {
                let got = match &g["properties"][name] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(got, value, "{id}: {name}");
            }
        }
    }
}
