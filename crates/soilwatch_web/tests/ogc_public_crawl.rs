//! Issue 13: non-public data never reaches the unauthenticated OGC API – Features routes. The
//! test plants non-public facts (an enterprise's contact and location, a plot's responsible
//! party and boundary, a monitoring point's coordinates, a sample) and crawls `/ogc` without
//! signing in, following every link of every JSON and HTML answer, and every collection's items
//! and first item. No answer may be a server error, no non-public fact may appear, and every
//! collection that holds locations of points, plots, enterprises, ponds, parcels or samples
//! answers 401. The public portal has its own crawl in `tests/public.rs`.

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use soilwatch_core::{ChangeMeta, LonLat};
use soilwatch_store::conformance_registry::square_inside;
use soilwatch_store::conformance_targets::{indicator_fixture, uscc};
use soilwatch_store::registry::Party;
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_enterprise::{Contact, Enterprise, EnterpriseStatus};
use soilwatch_store::{RegistryStore, Store};
use soilwatch_test_utils::TestApp;

/// Every `href` of an HTML page and every `"href"` of a JSON document.
fn links(body: &str) -> Vec<String> {
    let mut out: Vec<String> = body
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&"))
        .collect();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let mut stack = vec![&v];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(h) = m.get("href").and_then(|h| h.as_str()) {
                        out.push(h.to_owned());
                    }
                    stack.extend(m.values());
                }
                serde_json::Value::Array(a) => stack.extend(a.iter()),
                _ => {}
            }
        }
    }
    out
}

/// The path and query of a link, when it points into `/ogc`.
fn ogc_path(link: &str) -> Option<String> {
    let path = match link.find("://") {
        Some(i) => {
            let rest = &link[i + 3..];
            &rest[rest.find('/')?..]
        }
        None => link,
    };
    let path = path.split('#').next()?;
    path.starts_with("/ogc").then(|| path.to_owned())
}

#[tokio::test]
async fn unauthenticated_ogc_shows_no_non_public_data() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    let change = ChangeMeta::new("tester", "fixture");
    let e = Enterprise {
        uscc: uscc("513402", 78).parse().unwrap(),
        name: "会理爬取测试冶炼厂".into(),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().unwrap(),
        address: Some("会理市爬取路9号".into()),
        location: Some(LonLat::new(102.246_813, 26.655_271).unwrap()),
        listed_year: 2020,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: Some(Contact {
            person: "联系人赵六".into(),
            phone: Some("13987654321".into()),
        }),
        point_codes: vec!["IX-SOIL".into()],
    };
    store.create_enterprise(&e, &change).await.unwrap();
    let mut p = store.get_plot("IX-P1").await.unwrap().item;
    p.responsible_party = Some(Party {
        name: "责任人某公司乙".into(),
        uscc: None,
    });
    p.boundary = Some(square_inside(store, "513402").await);
    store.update_plot(&p, None, &change).await.unwrap();
    let corner = p.boundary.as_ref().unwrap().0[0].exterior().0[0];
    let point = store.get_point("IX-SOIL").await.unwrap();
    let secrets = [
        "13987654321".to_owned(),
        "联系人赵六".to_owned(),
        "责任人某公司乙".to_owned(),
        "会理市爬取路9号".to_owned(),
        "IX-S-2024".to_owned(),
        "IX-SOIL".to_owned(),
        "102.246813".to_owned(),
    ];
    // Coordinates as pairs (a single ordinate may also be one of a county boundary's vertices):
    // JSON `[x,y]`, and `x, y` / `x y` as pages and WKT print them.
    let (px, py) = (point.location.lon(), point.location.lat());
    let (cx, cy) = (corner.x, corner.y);
    let secrets: Vec<String> = secrets
        .into_iter()
        .chain(
            [(px, py), (cx, cy)]
                .iter()
                .flat_map(|(x, y)| [format!("{x},{y}"), format!("{x}, {y}"), format!("{x} {y}")]),
        )
        .collect();

    let mut seen = BTreeSet::new();
    let mut refused = BTreeSet::new();
    let mut queue = VecDeque::from([
        "/ogc".to_owned(),
        "/ogc?f=html".to_owned(),
        "/ogc/collections?f=json".to_owned(),
    ]);
    while let Some(uri) = queue.pop_front() {
        if seen.len() > 400 || !seen.insert(uri.clone()) {
            continue;
        }
        let (status, _ct, body) = app.get(&uri).await;
        assert!(!status.is_server_error(), "{uri}: {status}");
        let text = String::from_utf8_lossy(&body).into_owned();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{uri} shows '{secret}'");
        }
        if status == StatusCode::UNAUTHORIZED {
            refused.insert(uri.split('?').next().unwrap().to_owned());
            continue;
        }
        assert!(
            status.is_success() || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
        for l in links(&text) {
            if let Some(p) = ogc_path(&l) {
                // The OpenAPI document is large and has no data; everything else is followed.
                if !p.starts_with("/ogc/api") {
                    queue.push_back(p);
                }
            }
        }
        // A collection: its items and its first item, even if no link named them.
        if let Some(id) = uri
            .strip_prefix("/ogc/collections/")
            .map(|r| r.split(['?', '/']).next().unwrap().to_owned())
        {
            queue.push_back(format!("/ogc/collections/{id}/items?limit=5"));
            queue.push_back(format!("/ogc/collections/{id}/items?f=html&limit=5"));
        }
    }
    for layer in [
        "points",
        "samples",
        "plots",
        "enterprises",
        "tailings_ponds",
        "remediation_projects",
        "classification_units",
    ] {
        let items = format!("/ogc/collections/{layer}/items");
        assert!(
            refused.contains(&items),
            "{items} answers without sign-in; refused: {refused:?}"
        );
    }
    // The public layer is reached and readable.
    assert!(
        seen.iter()
            .any(|u| u.starts_with("/ogc/collections/divisions/items")),
        "{seen:?}"
    );
    let (status, _, body) = app.get("/ogc/collections/divisions/items/513402").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("会理"));
    // And the same layers answer to a signed-in viewer.
    let mut app = app;
    app.sign_in_as(soilwatch_store::Role::Viewer).await;
    let (status, _, body) = app
        .get("/ogc/collections/enterprises/items?limit=100")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("会理爬取测试冶炼厂"));
}
