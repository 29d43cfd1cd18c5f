//! Issue 12: every registry list and the OGC API items page by keyset. Rows are added between
//! the page fetches (before and after the cursor); following the `next` links must then give
//! every row that was there and every row added after the cursor exactly once, and nothing
//! added before it. On SQLite, and on PostgreSQL when `SOILWATCH_TEST_PG` is set.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::ChangeMeta;
use soilwatch_store::{conformance, conformance_targets, Role, Store};
use soilwatch_test_utils::{send, TestApp};
use tower::ServiceExt;

/// GET as an administrator: status, the `Link` and `X-Next-Cursor` headers, the JSON body.
async fn get(app: &TestApp, uri: &str) -> (StatusCode, Option<String>, Option<String>, Value) {
    let token = app.token_of("管理员").await;
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
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (link, cursor) = (header("link"), header("x-next-cursor"));
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        link,
        cursor,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The URI inside `<…>; rel="next"`.
fn next_of(link: &str) -> String {
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    link.trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned()
}

async fn post(app: &TestApp, uri: &str, body: Value) {
    let (status, body) = send(app, "POST", uri, Some("管理员"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{uri}: {body}");
}

async fn plot(app: &TestApp, code: &str) {
    post(
        app,
        "/api/v1/plots",
        json!({"code": code, "name": format!("地块{code}"), "division": "513402",
               "identified_on": "2019-03-01", "reason": "排查发现"}),
    )
    .await;
}

async fn pond(app: &TestApp, code: &str) {
    post(
        app,
        "/api/v1/tailings-ponds",
        json!({"code": code, "name": format!("尾矿库{code}"), "division": "513402",
               "status": "operating", "reason": "登记"}),
    )
    .await;
}

async fn enterprise(app: &TestApp, n: u32, name: &str) -> String {
    let uscc = conformance_targets::uscc("513402", n);
    post(
        app,
        "/api/v1/enterprises",
        json!({"uscc": uscc, "name": name, "industry": "有色金属冶炼", "division": "513402",
               "listed_year": 2020, "status": "在产", "reason": "名录"}),
    )
    .await;
    uscc
}

/// Follow a list from `uri` by its `next` links (pages of at most two), checking the headers;
/// `pages` pages at most (`None`: to the end). Returns the `key` of every row served and the
/// next page's URI.
async fn follow(
    app: &TestApp,
    uri: &str,
    key: &str,
    pages: Option<usize>,
) -> (Vec<String>, Option<String>) {
    let mut keys = Vec::new();
    let mut uri = Some(uri.to_owned());
    let mut n = 0;
    while let Some(u) = uri.take() {
        if pages.is_some_and(|p| n == p) {
            return (keys, Some(u));
        }
        n += 1;
        let (status, link, cursor, body) = get(app, &u).await;
        assert_eq!(status, StatusCode::OK, "{u}: {body}");
        let rows = body.as_array().unwrap();
        assert!(rows.len() <= 2, "{u}: a page of {}", rows.len());
        keys.extend(rows.iter().map(|r| r[key].as_str().unwrap().to_owned()));
        match link {
            Some(l) => {
                let next = next_of(&l);
                let c = cursor.expect("X-Next-Cursor with the Link");
                assert!(next.ends_with(&format!("cursor={c}")), "{next} {c}");
                assert_eq!(rows.len(), 2, "a page before the last is full");
                uri = Some(next);
            }
            None => assert!(cursor.is_none()),
        }
    }
    (keys, None)
}

/// The first page of `first`, then `add`, then the rest: every key served.
async fn walk(
    app: &TestApp,
    first: &str,
    key: &str,
    add: impl std::future::Future<Output = ()>,
) -> Vec<String> {
    let (mut keys, next) = follow(app, first, key, Some(1)).await;
    add.await;
    if let Some(next) = next {
        keys.extend(follow(app, &next, key, None).await.0);
    }
    keys
}

async fn registry_lists_page_by_keyset(app: &TestApp) {
    for c in ["P-01", "P-03", "P-05", "P-07", "P-09"] {
        plot(app, c).await;
    }
    let (first, next) = follow(
        app,
        "/api/v1/plots?division=513402&limit=2",
        "code",
        Some(1),
    )
    .await;
    assert_eq!(first, ["P-01", "P-03"]);
    // One before the cursor (P-03), one after it.
    plot(app, "P-02").await;
    plot(app, "P-06").await;
    let (rest, _) = follow(app, &next.unwrap(), "code", None).await;
    assert_eq!(rest, ["P-05", "P-06", "P-07", "P-09"]);

    for c in ["T-1", "T-3", "T-5"] {
        pond(app, c).await;
    }
    let seen = walk(app, "/api/v1/tailings-ponds?limit=2", "code", async {
        pond(app, "T-0").await;
        pond(app, "T-4").await;
    })
    .await;
    assert_eq!(seen, ["T-1", "T-3", "T-4", "T-5"]);

    // Enterprises: by county, name, then code (a composite key; ASCII initials sort alike in
    // every collation).
    let a = enterprise(app, 1, "A 公司").await;
    let c = enterprise(app, 2, "C 公司").await;
    let e = enterprise(app, 3, "E 公司").await;
    let mut d = String::new();
    let seen = walk(
        app,
        "/api/v1/enterprises?division=513402&limit=2",
        "uscc",
        async {
            enterprise(app, 4, "B 公司").await;
            d = enterprise(app, 5, "D 公司").await;
        },
    )
    .await;
    assert_eq!(seen, [a, c, d, e]);

    // Public lists page the same way.
    let (status, link, _, page) = get(app, "/api/v1/public/enterprises?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert!(link.unwrap().contains("cursor="));

    // A bad size or an unknown cursor is refused, naming the parameter.
    let (status, _, _, body) = get(app, "/api/v1/plots?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("limit"), "{body}");
    let (status, _, _, body) = get(app, "/api/v1/plots?cursor=NO-SUCH-PLOT").await;
    assert!(status.is_client_error(), "{status} {body}");
    assert!(body.to_string().contains("cursor"), "{body}");
}

/// The OGC items of a store-paged layer (points) and of a registry (plots), with rows added
/// between pages.
async fn ogc_items_page_by_keyset(app: &TestApp) {
    let change = ChangeMeta::new("tester", "keyset paging");
    let points: Vec<_> = ["K-10", "K-30", "K-50", "K-70"]
        .iter()
        .map(|c| conformance::point(c, "513402"))
        .collect();
    app.store.insert_points(&points, &change).await.unwrap();
    let first = "/ogc/collections/points/items?division=513402&limit=2&f=json";
    let (status, _, _, page) = get(app, first).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let matched = page["numberMatched"].as_u64().unwrap();
    let mut ids: Vec<String> = Vec::new();
    let mut page = page;
    let mut added = false;
    loop {
        ids.extend(
            page["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        if !added {
            // Before the first page's last feature, and after every one.
            let more: Vec<_> = ["K-00", "K-99"]
                .iter()
                .map(|c| conformance::point(c, "513402"))
                .collect();
            app.store.insert_points(&more, &change).await.unwrap();
            added = true;
        }
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        let Some(next) = next else { break };
        assert!(
            next.contains("cursor=") && !next.contains("offset="),
            "{next}"
        );
        let path = next
            .split_once("/ogc")
            .map(|(_, p)| format!("/ogc{p}"))
            .unwrap();
        let (status, _, _, p) = get(app, &path).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert!(
            p.get("numberMatched").is_none(),
            "a cursor page is not counted"
        );
        page = p;
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "a feature twice: {ids:?}");
    assert!(ids.contains(&"K-99".to_owned()), "{ids:?}");
    assert_eq!(ids.len() as u64, matched + 1, "{ids:?}");
    assert_eq!(ids.contains(&"K-00".to_owned()), ids[0] == "K-00");

    // A registry collection: the store pages after the cursor's record.
    let (status, _, _, p1) = get(app, "/ogc/collections/plots/items?limit=2&f=json").await;
    assert_eq!(status, StatusCode::OK, "{p1}");
    let last = p1["features"][1]["id"].as_str().unwrap().to_owned();
    plot(app, "P-00").await;
    plot(app, "P-99").await;
    let (status, _, _, p2) = get(
        app,
        &format!("/ogc/collections/plots/items?limit=100&cursor={last}&f=json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{p2}");
    let rest: Vec<&str> = p2["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        !rest.contains(&"P-00") && rest.contains(&"P-99"),
        "{rest:?}"
    );
    assert!(rest.iter().all(|c| *c > last.as_str()), "{rest:?}");
    let (status, _, _, body) = get(
        app,
        "/ogc/collections/points/items?limit=2&offset=2&cursor=K-10",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// GET a page as an administrator (API token): status and HTML.
async fn page(app: &TestApp, uri: &str) -> (StatusCode, String) {
    let token = app.token_of("管理员").await;
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
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The record codes a list page shows (the first cell's links to `/{prefix}/…`) and its
/// `rel="next"` link.
fn page_rows(html: &str, prefix: &str) -> (Vec<String>, Option<String>) {
    let needle = format!("<tr><td><a href=\"{prefix}/");
    let rows = html
        .split(needle.as_str())
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    let next = html.find("rel=\"next\"").map(|at| {
        let link = html[..at].rsplit("<a href=\"").next().unwrap();
        link.split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    });
    (rows, next)
}

/// Follow a list page from `uri` by its `next` links, running `add` after the first page: the
/// codes shown, page by page.
async fn follow_pages(
    app: &TestApp,
    uri: &str,
    prefix: &str,
    add: impl std::future::Future<Output = ()>,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut uri = Some(uri.to_owned());
    let mut add = Some(add);
    while let Some(u) = uri.take() {
        let (status, html) = page(app, &u).await;
        assert_eq!(status, StatusCode::OK, "{u}: {html}");
        let (rows, next) = page_rows(&html, prefix);
        pages.push(rows);
        if let Some(add) = add.take() {
            add.await;
        }
        uri = next;
    }
    pages
}

/// Issue 12: the registry pages (`/plots`, `/tailings-ponds`, …) read one keyset page from the
/// store: records added between two page fetches, before and after the cursor, are neither
/// skipped nor repeated (those before the cursor are not shown, those after it are); an export
/// still holds every filtered record whatever the page size.
async fn registry_pages_page_by_keyset(app: &TestApp) {
    async fn plot_in(app: &TestApp, code: &str) {
        post(
            app,
            "/api/v1/plots",
            json!({"code": code, "name": format!("地块{code}"), "division": "513422",
                   "identified_on": "2019-03-01", "reason": "排查发现"}),
        )
        .await;
    }
    for c in ["Q-1", "Q-3", "Q-5", "Q-7"] {
        plot_in(app, c).await;
    }
    let pages = follow_pages(app, "/plots?division=513422&limit=2", "/plots", async {
        plot_in(app, "Q-0").await;
        plot_in(app, "Q-4").await;
    })
    .await;
    assert_eq!(
        pages,
        [vec!["Q-1", "Q-3"], vec!["Q-4", "Q-5"], vec!["Q-7"]],
        "pages of /plots"
    );
    // The export: every filtered plot, whatever `limit` says.
    let (status, csv) = page(app, "/plots?division=513422&limit=1&f=csv").await;
    assert_eq!(status, StatusCode::OK);
    for c in ["Q-0", "Q-1", "Q-3", "Q-4", "Q-5", "Q-7"] {
        assert!(csv.contains(c), "{c} missing from the export: {csv}");
    }
    // Tailings ponds the same way (no filter; T-0, T-1, T-3, T-4 and T-5 are registered).
    let pages = follow_pages(app, "/tailings-ponds?limit=2", "/tailings-ponds", async {
        pond(app, "T-00").await;
        pond(app, "T-6").await;
    })
    .await;
    assert_eq!(
        pages,
        [vec!["T-0", "T-1"], vec!["T-3", "T-4"], vec!["T-5", "T-6"]],
        "pages of /tailings-ponds"
    );
    // An unknown cursor or a bad page size is refused, naming the parameter.
    let (status, html) = page(app, "/plots?cursor=NO-SUCH-PLOT").await;
    assert!(status.is_client_error(), "{status} {html}");
    assert!(html.contains("cursor"), "{html}");
    let (status, html) = page(app, "/plots?limit=0").await;
    assert!(status.is_client_error(), "{status} {html}");
    assert!(html.contains("limit"), "{html}");
}

#[tokio::test]
async fn keyset_paging_on_sqlite() {
    let app = TestApp::sqlite().await.signed_in(Role::Administrator).await;
    registry_lists_page_by_keyset(&app).await;
    ogc_items_page_by_keyset(&app).await;
    registry_pages_page_by_keyset(&app).await;
}

#[tokio::test]
async fn keyset_paging_on_postgres() {
    let Some(app) = TestApp::postgres("keyset_paging").await else {
        return;
    };
    let app = app.signed_in(Role::Administrator).await;
    registry_lists_page_by_keyset(&app).await;
    ogc_items_page_by_keyset(&app).await;
    registry_pages_page_by_keyset(&app).await;
    app.finish().await;
}
