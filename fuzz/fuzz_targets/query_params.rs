//! The HTTP query parameters (issue 13): every GET route of the API without a path parameter
//! (taken from `/api/v1/openapi.json`), the OGC items of every collection and the list pages,
//! each called with an arbitrary query string, signed in as an administrator (who reaches every
//! parser) on a small seeded SQLite database. The first byte picks the route; the rest is the
//! query, each byte outside `[A-Za-z0-9=&,._:-]` percent-encoded so the parsers see any bytes.
//! Never a panic, never a 5xx: a bad parameter is a 4xx naming it.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use soilwatch_store::conformance_targets::indicator_fixture;
use soilwatch_store::Role;
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

struct Fixture {
    rt: tokio::runtime::Runtime,
    app: TestApp,
    token: String,
    routes: Vec<String>,
}

/// Routes left out: documents and reports that render for seconds whatever the query says.
const SLOW: &[&str] = &["/api/v1/reports/annual"];

const PAGES: &[&str] = &[
    "/points",
    "/samples",
    "/results",
    "/imports",
    "/plots",
    "/tailings-ponds",
    "/enterprises",
    "/standards",
    "/network/coverage",
    "/classification",
    "/submissions",
    "/indicators",
    "/assessment",
    "/public",
    "/public/reports/track",
    "/public/reports/map.svg",
    "/",
];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (app, token, routes) = rt.block_on(async {
            let app = TestApp::sqlite().await;
            indicator_fixture(app.store.as_ref()).await;
            let token = app.user_token("fuzz", Role::Administrator, None).await;
            let (_, doc) = app.get_json("/api/v1/openapi.json").await;
            let mut routes: Vec<String> = doc["paths"]
                .as_object()
                .expect("paths")
                .iter()
                .filter(|(p, ops)| {
                    ops.get("get").is_some()
                        && !p.contains('{')
                        && !SLOW.iter().any(|s| p.starts_with(s))
                })
                .map(|(p, _)| p.clone())
                .collect();
            let (_, collections) = app.get_json("/ogc/collections?f=json").await;
            for c in collections["collections"].as_array().expect("collections") {
                let id = c["id"].as_str().expect("id");
                routes.push(format!("/ogc/collections/{id}/items"));
            }
            routes.extend(PAGES.iter().map(|p| (*p).to_owned()));
            routes.sort();
            routes.dedup();
            (app, token, routes)
        });
        Fixture {
            rt,
            app,
            token,
            routes,
        }
    })
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"=&,._:-".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, query)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let route = &f.routes[usize::from(pick) % f.routes.len()];
    let uri = format!("{route}?{}", encode(query));
    let Ok(req) = Request::get(&uri)
        .header("authorization", format!("Bearer {}", f.token))
        .body(Body::empty())
    else {
        return;
    };
    let status = f.rt.block_on(async {
        let res = f.app.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let _ = res.into_body().collect().await;
        status
    });
    assert!(status.as_u16() < 500, "{uri}: {status}");
});
