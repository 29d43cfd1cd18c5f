//! The public portal (issue 10): a crawl of every page under `/public` without signing in,
//! asserting that the public facts are there and that no non-public field (an enterprise's
//! contact or location, a plot's responsible party or boundary, a manifest's vehicle) and no
//! precise coordinate appears anywhere; and that a dataset the sharing catalogue does not mark
//! public (changed through `PUT /api/v1/catalogue/{dataset}` as an administrator) appears
//! nowhere on the portal.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::collections::{BTreeSet, VecDeque};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, LonLat};
use soilwatch_store::conformance_registry::square_inside;
use soilwatch_store::conformance_targets::{indicator_fixture, uscc};
use soilwatch_store::registry::Party;
use soilwatch_store::registry_codes::{Industry, IntendedUse};
use soilwatch_store::registry_enterprise::{Contact, Enterprise, EnterpriseStatus};
use soilwatch_store::registry_remediation::{ProjectMode, RemediationProject};
use soilwatch_store::{RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

/// Numbers that look like coordinates of the prefecture with 3 or more decimals
/// (longitude 97–109, latitude 20–35).
fn coordinates_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                let dot = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let whole: f64 = text[start..dot].parse().unwrap_or(0.0);
                if i - dot > 3 && ((97.0..110.0).contains(&whole) || (20.0..36.0).contains(&whole))
                {
                    found.push(text[start..i].to_owned());
                }
            }
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn the_coordinate_scanner_finds_coordinates() {
    assert_eq!(
        coordinates_in("at 102.2612, 27.891 and 0.02939"),
        vec!["102.2612", "27.891"]
    );
    assert!(coordinates_in("94.00 % · 513402 · 2024-05-01 · 28.5").is_empty());
}

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&"))
        .collect()
}

async fn send_json(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Mark or un-mark a dataset public in the sharing catalogue, as an administrator through the
/// catalogue API (every other field kept).
async fn mark_public(app: &TestApp, admin: &str, dataset: &str, public: bool) {
    let (s, list) = send_json(app, "GET", "/api/v1/catalogue", admin, None).await;
    assert_eq!(s, StatusCode::OK);
    let e = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == dataset)
        .unwrap_or_else(|| panic!("{dataset} is in the shipped catalogue"))
        .clone();
    let body = json!({
        "name": e["name"], "owner_department": e["owner_department"],
        "sharing_level": e["sharing_level"], "public": public, "fields": e["fields"],
        "update_frequency": e["update_frequency"], "access_methods": e["access_methods"],
        "description": e["description"], "reason": "信息公开范围调整",
    });
    let (s, saved) = send_json(
        app,
        "PUT",
        &format!("/api/v1/catalogue/{dataset}"),
        admin,
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["public"], public);
}

/// Every page reached from `/public?year=2024` without signing in: (uri, status, html).
async fn crawl(app: &TestApp) -> Vec<(String, StatusCode, String)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut queue = VecDeque::from(["/public?year=2024".to_owned()]);
    while let Some(uri) = queue.pop_front() {
        if !seen.insert(uri.clone()) {
            continue;
        }
        let (s, ct, body) = app.get(&uri).await;
        assert!(ct.starts_with("text/html"), "{uri}: {ct}");
        let html = String::from_utf8(body).unwrap();
        for h in hrefs(&html) {
            if h.starts_with("/public") && !h.contains('#') {
                queue.push_back(h);
            }
        }
        out.push((uri, s, html));
    }
    out
}

#[tokio::test]
async fn the_portal_shows_public_fields_only_and_no_coordinates() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    let change = ChangeMeta::new("tester", "fixture");
    // Non-public facts that must never reach the portal.
    let e = Enterprise {
        uscc: uscc("513402", 77).parse().unwrap(),
        name: "会理公开测试冶炼厂".into(),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().unwrap(),
        address: Some("会理市公开路1号".into()),
        location: Some(LonLat::new(102.246_813, 26.655_271).unwrap()),
        listed_year: 2020,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: Some(Contact {
            person: "联系人王五".into(),
            phone: Some("13912345678".into()),
        }),
        point_codes: vec!["IX-SOIL".into()],
    };
    store.create_enterprise(&e, &change).await.unwrap();
    let mut p = store.get_plot("IX-P1").await.unwrap().item;
    p.responsible_party = Some(Party {
        name: "责任人某公司甲".into(),
        uscc: None,
    });
    p.address = Some("会理市地块路2号".into());
    p.former_use = Some("铅锌冶炼".into());
    p.negative_list = vec![IntendedUse::Residential, IntendedUse::School];
    p.sample_codes = vec!["IX-S-2024".into()];
    store.update_plot(&p, None, &change).await.unwrap();
    let project = RemediationProject {
        code: "IX-RP1".into(),
        name: "会理地块修复工程".into(),
        plot_code: "IX-P1".into(),
        division: "513402".parse().unwrap(),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理某修复公司".into(),
        technique: "固化/稳定化".into(),
        plan_filing: None,
        started_on: Some("2024-03-01".parse().unwrap()),
        finished_on: None,
        supervisors: vec!["某监理公司".into(), "某环境监理公司".into()],
        notice_board: Some("公示牌：修复期间请勿进入".into()),
        effect_evaluation: None,
    };
    store.create_project(&project, &change).await.unwrap();
    // The shipped catalogue marks the remediation projects public (their notice boards) but not
    // the soil data; the administrator marks it.
    let admin = app.user_token("cat-admin", Role::Administrator, None).await;
    mark_public(&app, &admin, "soil_quality", true).await;
    let boundary = square_inside(store, "513402").await;
    let corner = boundary.0[0].exterior().0[0];
    let point = store.get_point("IX-SOIL").await.unwrap();
    let secrets = [
        "13912345678".to_owned(),
        "联系人王五".to_owned(),
        "责任人某公司甲".to_owned(),
        "IX-S-2024".to_owned(),
        "IX-SOIL".to_owned(),
        format!("{:.4}", corner.x),
        format!("{:.4}", point.location.lon()),
        format!("{:.4}", point.location.lat()),
        "102.2468".to_owned(),
    ];

    let pages = crawl(&app).await;
    let mut seen = BTreeSet::new();
    let mut all = String::new();
    for (uri, s, html) in &pages {
        assert_eq!(*s, StatusCode::OK, "{uri} without signing in");
        for secret in &secrets {
            assert!(!html.contains(secret.as_str()), "{uri} shows '{secret}'");
        }
        let coords = coordinates_in(html);
        assert!(coords.is_empty(), "{uri} shows coordinates {coords:?}");
        seen.insert(uri.clone());
        all.push_str(html);
    }
    for page in [
        "/public?year=2024",
        "/public/enterprises",
        "/public/plots",
        "/public/remediation",
        "/public/reports",
        "/public/reports/track",
    ] {
        assert!(seen.contains(page), "the crawl reached {page}: {seen:?}");
    }
    // The public facts are there.
    for fact in [
        "受污染耕地安全利用率",
        "93.98",
        "会理市",
        "会理公开测试冶炼厂",
        "会理市公开路1号",
        "逾期未公开",
        "地块 IX-P1",
        "会理市地块路2号",
        "居住用地",
        "公示牌：修复期间请勿进入",
        "固化/稳定化",
        // soil_quality marked public: the county's soil samples of 2024 are counted.
        "<th>当年土壤样品</th>",
        "样品 1",
    ] {
        assert!(all.contains(fact), "the portal shows '{fact}'");
    }
}

#[tokio::test]
async fn a_dataset_the_catalogue_does_not_mark_public_does_not_appear() {
    let app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    let change = ChangeMeta::new("tester", "fixture");
    let project = RemediationProject {
        code: "IX-RP1".into(),
        name: "会理地块修复工程".into(),
        plot_code: "IX-P1".into(),
        division: "513402".parse().unwrap(),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理某修复公司".into(),
        technique: "固化/稳定化".into(),
        plan_filing: None,
        started_on: Some("2024-03-01".parse().unwrap()),
        finished_on: None,
        supervisors: vec!["某监理公司".into(), "某环境监理公司".into()],
        notice_board: Some("公示牌：修复期间请勿进入".into()),
        effect_evaluation: None,
    };
    store.create_project(&project, &change).await.unwrap();
    let admin = app.user_token("cat-admin", Role::Administrator, None).await;

    // The shipped catalogue: plots, enterprises and remediation notice boards public; soil data
    // and the classification not.
    let pages = crawl(&app).await;
    let all: String = pages.iter().map(|(_, _, h)| h.as_str()).collect();
    assert!(
        all.contains("公示牌：修复期间请勿进入") && all.contains("会理地块修复工程"),
        "remediation_projects is public"
    );
    assert!(all.contains("地块 IX-P1"), "contaminated_plots is public");
    assert!(all.contains("<th>污染地块 安全利用/列入名录</th>"));
    assert!(
        all.contains("<th>在用监测点位</th>"),
        "monitoring_points is public"
    );
    for hidden in [
        "<th>当年土壤样品</th>",
        "样品 1",
        "<th>安全利用类（亩）</th>",
    ] {
        assert!(!all.contains(hidden), "not public by default: '{hidden}'");
    }
    // Un-mark the remediation projects: their page answers 404 and names the dataset.
    mark_public(&app, &admin, "remediation_projects", false).await;
    let pages = crawl(&app).await;
    for (uri, _, html) in &pages {
        assert!(
            !html.contains("公示牌：修复期间请勿进入"),
            "{uri} shows a notice board"
        );
    }
    let (uri, s, html) = pages
        .iter()
        .find(|(u, _, _)| u == "/public/remediation")
        .expect("the crawl reaches /public/remediation");
    assert_eq!(*s, StatusCode::NOT_FOUND, "{uri}");
    assert!(
        html.contains("remediation_projects") && html.contains("未在资源共享目录中标为向社会公开")
    );

    // Un-mark the plot list: it disappears from every page of the portal.
    mark_public(&app, &admin, "contaminated_plots", false).await;
    let pages = crawl(&app).await;
    for (uri, s, html) in &pages {
        assert!(!html.contains("地块 IX-P1"), "{uri} shows a plot");
        assert!(
            !html.contains("污染地块 安全利用/列入名录"),
            "{uri} counts plots"
        );
        if uri.starts_with("/public/plots") {
            assert_eq!(*s, StatusCode::NOT_FOUND);
            assert!(html.contains("contaminated_plots"));
        }
    }
    assert!(pages.iter().any(|(u, _, _)| u == "/public/plots"));
    // Un-mark the enterprises too; mark the classification public.
    mark_public(&app, &admin, "key_enterprises", false).await;
    let (s, _, body) = app.get("/public/enterprises").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8(body).unwrap().contains("会理某企业1"));
    let (_, _, body) = app.get("/public?year=2024").await;
    let index = String::from_utf8(body).unwrap();
    assert!(!index.contains("重点监管企业 已公开/应公开"));
    // Marked again: back.
    mark_public(&app, &admin, "contaminated_plots", true).await;
    let (s, _, body) = app.get("/public/plots").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("地块 IX-P1"));
}
