//! Issue 13, security through the router: security headers on every response (every GET of the
//! OpenAPI document, every page, refusals, errors, the stylesheet), pages free of inline script
//! and style, a new session id at every sign-in (a planted cookie is never honoured), stored
//! `<script>` in text fields rendered inert on their pages, and API tokens and sessions stored
//! only as hashes.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_store::auth::NewUser;
use soilwatch_store::auth_secret::{hash_password, secret_hash};
use soilwatch_store::{AuthStore, Role};
use soilwatch_test_utils::TestApp;
use soilwatch_web::security::CSP;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
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
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn assert_security_headers(what: &str, r: &Reply) {
    let h = |n: &str| {
        r.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let csp = h("content-security-policy");
    assert_eq!(csp, CSP, "{what} ({}): CSP", r.status);
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
}

/// No inline script, inline style element, style attribute or event handler attribute.
fn assert_no_inline(what: &str, html: &str) {
    let lower = html.to_lowercase();
    for bad in [
        "<script",
        "<style",
        " style=",
        " onclick=",
        " onload=",
        "javascript:",
    ] {
        assert!(!lower.contains(bad), "{what}: has {bad}");
    }
}

const PAGES: &[&str] = &[
    "/",
    "/login",
    "/logout",
    "/account",
    "/admin/users",
    "/admin/audit",
    "/admin/departments",
    "/imports",
    "/network/coverage",
    "/plots",
    "/enterprises",
    "/tailings-ponds",
    "/ogc",
    "/ogc/collections",
    "/ogc/conformance",
    "/no-such-page",
    "/points/NO-SUCH",
];

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::sqlite().await;
    let admin = app.user_token("sec-admin", Role::Administrator, None).await;
    let doc: Value = serde_json::from_str(
        &send(&app, "GET", "/api/v1/openapi.json", &[], Body::empty())
            .await
            .body,
    )
    .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let uri = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "X-1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for auth in [vec![], vec![bearer(&admin)]] {
            let r = send(&app, "GET", &uri, &auth, Body::empty()).await;
            assert!(r.status.as_u16() < 500, "{uri}: {}", r.status);
            assert_security_headers(&uri, &r);
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} API responses checked");
    for page in PAGES {
        for auth in [vec![], vec![bearer(&admin)]] {
            let r = send(&app, "GET", page, &auth, Body::empty()).await;
            assert_security_headers(page, &r);
            if r.headers
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
            {
                assert_no_inline(page, &r.body);
            }
        }
    }
    // The stylesheet the pages link to.
    let css = send(&app, "GET", "/static/soilwatch.css", &[], Body::empty()).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css.body.contains("font-family"));
    assert_security_headers("stylesheet", &css);
    let home = send(&app, "GET", "/", &[], Body::empty()).await;
    assert!(home.body.contains("href=\"/static/soilwatch.css\""));
    // Refusals made before any handler: a CSRF refusal, a body over the limit, a bad token.
    let r = send(
        &app,
        "POST",
        "/api/v1/points",
        &[
            ("content-type", "application/json".into()),
            ("content-length", "3000000".into()),
        ],
        Body::from(vec![b' '; 3_000_000]),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers("413", &r);
    let r = send(
        &app,
        "GET",
        "/api/v1/auth/me",
        &[bearer("sw_not-a-token")],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_security_headers("401", &r);
}

fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers.get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().unwrap();
        v.strip_prefix(&format!("{name}="))
            .map(|rest| rest.split(';').next().unwrap().to_owned())
    })
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).unwrap() + key.len();
    html[i..i + html[i..].find('"').unwrap()].to_owned()
}

async fn sign_in(app: &TestApp, planted: Option<&str>) -> String {
    let form = send(app, "GET", "/login", &[], Body::empty()).await;
    let csrf = hidden(&form.body, "csrf");
    let mut cookie = format!("sw_login_csrf={csrf}");
    if let Some(p) = planted {
        cookie.push_str(&format!("; sw_session={p}"));
    }
    let ok = send(
        app,
        "POST",
        "/login",
        &[
            ("content-type", "application/x-www-form-urlencoded".into()),
            ("cookie", cookie),
        ],
        Body::from(format!(
            "csrf={csrf}&username=li&password=Long+enough+pass+1&next=%2Faccount"
        )),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    set_cookie(&ok, "sw_session").unwrap()
}

async fn me(app: &TestApp, session: &str) -> StatusCode {
    send(
        app,
        "GET",
        "/api/v1/auth/me",
        &[("cookie", format!("sw_session={session}"))],
        Body::empty(),
    )
    .await
    .status
}

#[tokio::test]
async fn sign_in_always_issues_a_new_session_id() {
    let app = TestApp::sqlite().await;
    app.store
        .create_user(&NewUser {
            username: "li".into(),
            display_name: "李".into(),
            role: Role::Viewer,
            department: None,
            password_hash: hash_password("Long enough pass 1").unwrap(),
        })
        .await
        .unwrap();
    // An attacker plants a session id of their choosing: it is not a session.
    let planted = "a".repeat(64);
    assert_eq!(me(&app, &planted).await, StatusCode::UNAUTHORIZED);
    let first = sign_in(&app, Some(&planted)).await;
    assert_ne!(first, planted, "the planted id was adopted");
    assert_eq!(first.len(), 64);
    assert_eq!(me(&app, &first).await, StatusCode::OK);
    assert_eq!(me(&app, &planted).await, StatusCode::UNAUTHORIZED);
    // Signing in again gives yet another id.
    let second = sign_in(&app, None).await;
    assert_ne!(second, first);
    assert_eq!(me(&app, &second).await, StatusCode::OK);
    // Only hashes are stored: neither id appears in the sessions table, their hashes do.
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id_hash FROM sessions")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    let stored: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    for id in [&first, &second] {
        assert!(!stored.contains(&id.as_str()));
        assert!(stored.contains(&secret_hash(id).as_str()), "{stored:?}");
    }
}

#[tokio::test]
async fn api_tokens_are_stored_hashed() {
    let app = TestApp::sqlite().await;
    let admin = app.user_token("sec-admin", Role::Administrator, None).await;
    let r = send(
        &app,
        "POST",
        "/api/v1/auth/tokens",
        &[bearer(&admin), ("content-type", "application/json".into())],
        Body::from(json!({"name": "gis"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let token = v["token"].as_str().unwrap().to_owned();
    assert!(token.len() > 20);
    // The new token works.
    let ok = send(
        &app,
        "GET",
        "/api/v1/auth/me",
        &[bearer(&token)],
        Body::empty(),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    // The table holds its SHA-256 and a short prefix, never the token.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, token_hash, prefix FROM api_tokens")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    let row = rows.iter().find(|r| r.0 == "gis").unwrap();
    assert_eq!(row.1, secret_hash(&token));
    assert!(token.starts_with(&row.2) && row.2.len() < token.len() / 2);
    for r in &rows {
        assert!(!r.1.contains(&token) && !r.2.contains(&token));
    }
    // A listing shows no secret either.
    let list = send(
        &app,
        "GET",
        "/api/v1/auth/tokens",
        &[bearer(&admin)],
        Body::empty(),
    )
    .await;
    assert!(!list.body.contains(&token));
}

const XSS: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

#[tokio::test]
async fn stored_script_renders_inert_on_pages() {
    let app = TestApp::sqlite().await;
    let admin = app.user_token("sec-admin", Role::Administrator, None).await;
    let json_ct = ("content-type", "application/json".to_owned());
    // A department with a hostile name, listed on the administration page.
    let r = send(
        &app,
        "POST",
        "/api/v1/departments",
        &[bearer(&admin), json_ct.clone()],
        Body::from(json!({"code": "xss-513401", "name": XSS, "division": "513401"}).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A monitoring point with a hostile name, shown on its page.
    let r = send(
        &app,
        "POST",
        "/api/v1/points",
        &[bearer(&admin), json_ct],
        Body::from(
            json!({
                "code": "XSS-1",
                "name": XSS,
                "point_type": "basic",
                "control_level": "county",
                "division": "513401",
                "lon": 102.26,
                "lat": 27.89,
                "land_use": "0101",
                "watched_enterprise": XSS
            })
            .to_string(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for page in ["/admin/departments", "/points/XSS-1"] {
        let r = send(&app, "GET", page, &[bearer(&admin)], Body::empty()).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert!(!r.body.contains("<script>alert"), "{page}: script is live");
        assert!(!r.body.contains("<img src=x"), "{page}: img is live");
        assert!(
            (r.body.contains("&lt;script&gt;") || r.body.contains("&#60;script&#62;")),
            "{page}: the text is not shown escaped"
        );
        assert_no_inline(page, &r.body);
    }
    // The API returns the text as data, with JSON's content type (never HTML).
    let r = send(
        &app,
        "GET",
        "/api/v1/points/XSS-1",
        &[bearer(&admin)],
        Body::empty(),
    )
    .await;
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap()["name"], XSS);
}
