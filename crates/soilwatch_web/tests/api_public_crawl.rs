//! Issue 13: non-public data never reaches a signed-out caller of the JSON API. The test plants
//! non-public facts (an enterprise's contact person, phone and location, a plot's responsible
//! party and boundary, a monitoring point's coordinates, a transfer manifest, the sample codes
//! behind a disclosure) and calls every GET route of the OpenAPI document (`/api/v1/openapi.json`)
//! without credentials, with its path parameters filled from the planted records (and each
//! layer of the exports), in JSON and the other formats. No answer may be a server error and no
//! 2xx answer may hold a planted fact. The registry reads answer 401; the public views (the
//! key-enterprise list and its disclosures) answer 200. `tests/ogc_public_crawl.rs` does the
//! same for `/ogc`, `tests/public.rs` for the portal.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::NaiveDate;
use soilwatch_core::{ChangeMeta, LonLat};
use soilwatch_store::conformance_registry::{manifest, square_inside};
use soilwatch_store::conformance_targets::{indicator_fixture, uscc};
use soilwatch_store::registry::{Filing, Party, ReportDoc};
use soilwatch_store::registry_codes::Industry;
use soilwatch_store::registry_demolition::{DemolitionPlan, DemolitionStatus};
use soilwatch_store::registry_enterprise::{Contact, Disclosure, Enterprise, EnterpriseStatus};
use soilwatch_store::registry_mining::{MiningArea, MiningStatus};
use soilwatch_store::registry_remediation::{ProjectMode, RemediationProject};
use soilwatch_store::{ClassificationStore, RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;

/// The planted facts the public must never see, and the values for path parameters.
struct Planted {
    secrets: Vec<String>,
    params: BTreeMap<&'static str, String>,
}

async fn plant(app: &TestApp) -> Planted {
    let store = app.store.as_ref();
    indicator_fixture(store).await;
    let change = ChangeMeta::new("tester", "fixture");
    let code = uscc("513402", 79);
    let e = Enterprise {
        uscc: code.parse().unwrap(),
        name: "会理接口爬取冶炼厂".into(),
        industry: Industry::NonferrousSmelting,
        division: "513402".parse().unwrap(),
        // The address is public (the portal's key-enterprise list shows it).
        address: Some("会理市接口路7号".into()),
        location: Some(LonLat::new(102.236_917, 26.645_383).unwrap()),
        listed_year: 2020,
        responsibility_letter: None,
        status: EnterpriseStatus::Operating,
        contact: Some(Contact {
            person: "联系人钱七".into(),
            phone: Some("13912345678".into()),
        }),
        point_codes: vec!["IX-SOIL".into()],
    };
    store.create_enterprise(&e, &change).await.unwrap();
    store
        .put_disclosure(
            &Disclosure {
                uscc: e.uscc.clone(),
                year: 2024,
                disclosed_on: NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(),
                pollutants: Vec::new(),
                facilities: Some("污水处理站".into()),
                sample_codes: vec!["IX-S-2024".into()],
                published_at: None,
            },
            &change,
        )
        .await
        .unwrap();
    let mut p = store.get_plot("IX-P1").await.unwrap().item;
    p.responsible_party = Some(Party {
        name: "责任人接口公司丙".into(),
        uscc: None,
    });
    p.boundary = Some(square_inside(store, "513402").await);
    store.update_plot(&p, None, &change).await.unwrap();
    let corner = p.boundary.as_ref().unwrap().0[0].exterior().0[0];
    let project = RemediationProject {
        code: "PRJ-1".into(),
        name: "接口爬取修复工程".into(),
        plot_code: "IX-P1".into(),
        division: "513402".parse().unwrap(),
        mode: ProjectMode::Remediation,
        responsible_unit: "会理市某修复公司".into(),
        technique: "异位固化/稳定化".into(),
        plan_filing: None,
        started_on: None,
        finished_on: None,
        supervisors: Vec::new(),
        notice_board: None,
        effect_evaluation: None,
    };
    store.create_project(&project, &change).await.unwrap();
    let mut m = manifest("LD-CRAWL-1", 2, "12.5", "513401");
    m.vehicle = "川W接口88".into();
    m.carrier = "接口危货运输公司".into();
    store.create_manifest(&m, &change).await.unwrap();
    // A demolition plan (its filing number and note are not public) and a mining area (its
    // location, points and note are not public), issue 8.
    store
        .create_demolition_plan(
            &DemolitionPlan {
                code: "DP-CRAWL".into(),
                enterprise_uscc: code.parse().unwrap(),
                enterprise_name: String::new(),
                division: "513402".parse().unwrap(),
                facilities: vec!["接口电解车间".into()],
                cleanup_plan: ReportDoc {
                    title: "残留污染物清理和安全处置方案".into(),
                    file: Some("接口档案柜3".into()),
                    ..ReportDoc::default()
                },
                filing: Filing {
                    bureau: "会理市生态环境局".into(),
                    filed_on: "2024-03-01".parse().unwrap(),
                    number: Some("拆备接口001".into()),
                },
                planned_start: "2024-04-01".parse().unwrap(),
                status: DemolitionStatus::Filed,
                steps: Vec::new(),
                note: Some("接口备注保密".into()),
            },
            &change,
        )
        .await
        .unwrap();
    store
        .create_mining_area(
            &MiningArea {
                code: "MA-CRAWL".into(),
                name: "接口稀土矿区".into(),
                enterprise_uscc: None,
                enterprise_name: None,
                mineral: "稀土".into(),
                division: "513402".parse().unwrap(),
                location: Some(LonLat::new(102.236_917, 26.645_383).unwrap()),
                status: MiningStatus::Operating,
                associated_radioactivity: true,
                monitoring_since: Some(2022),
                point_codes: vec!["IX-SOIL".into()],
                note: Some("矿区接口备注".into()),
            },
            &change,
        )
        .await
        .unwrap();
    let point = store.get_point("IX-SOIL").await.unwrap();
    let sample = store.get_sample("IX-S-2024").await.unwrap();
    let run = store.list_runs(None, None, 1).await.unwrap()[0].id;

    let mut secrets: Vec<String> = [
        "13912345678",
        "联系人钱七",
        "责任人接口公司丙",
        "LD-CRAWL-1",
        "川W接口88",
        "接口危货运输公司",
        "IX-S-2024",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Coordinates as pairs (a single ordinate may also be a vertex of a public county
    // boundary): `{"lon":x,"lat":y}` and GeoJSON `[x,y]` as JSON writes them, `x,y`, `x, y` and
    // WKT `x y` as CSV and pages do.
    let j = |v: f64| serde_json::to_string(&v).unwrap();
    for (x, y) in [
        (point.location.lon(), point.location.lat()),
        (102.236_917, 26.645_383),
        (corner.x, corner.y),
    ] {
        let (x, y) = (j(x), j(y));
        secrets.extend([
            format!("\"lon\":{x},\"lat\":{y}"),
            format!("\"lat\":{y},\"lon\":{x}"),
            format!("{x},{y}"),
            format!("{x}, {y}"),
            format!("{x} {y}"),
        ]);
    }
    // Issue 8: a demolition plan's filing number, document location and note; a mining area's note.
    secrets
        .extend(["拆备接口001", "接口备注保密", "接口档案柜3", "矿区接口备注"].map(str::to_owned));
    let params = BTreeMap::from([
        ("points", "IX-SOIL".to_owned()),
        ("plots", "IX-P1".to_owned()),
        ("enterprises", code),
        ("remediation-projects", "PRJ-1".to_owned()),
        ("manifests", "LD-CRAWL-1".to_owned()),
        ("tailings-ponds", "TP-NONE".to_owned()),
        ("demolition-plans", "DP-CRAWL".to_owned()),
        ("mining-areas", "MA-CRAWL".to_owned()),
        ("samples", sample.id.to_string()),
        ("results", sample.results[0].id.to_string()),
        ("runs", run.to_string()),
        ("units", "IX-A".to_owned()),
        ("divisions", "513402".to_owned()),
        ("analytes", "Cd".to_owned()),
        ("standards", "gb15618-2018".to_owned()),
        ("departments", "eco-env-513400".to_owned()),
        ("catalogue", "key_enterprises".to_owned()),
        ("indicators", "farmland_safe_use_rate".to_owned()),
        ("templates", "results.csv".to_owned()),
        ("reports", "JB00000000NOTFOUND00".to_owned()),
    ]);
    Planted { secrets, params }
}

/// `/api/v1/points/{code}/history` → `/api/v1/points/IX-SOIL/history`: each `{…}` takes the value
/// of the segment before it (`targets/{division}/{year}/{indicator}` their own).
fn fill(path: &str, planted: &Planted) -> String {
    let mut out: Vec<String> = Vec::new();
    for seg in path.split('/') {
        let value = if seg.starts_with('{') {
            let before = out.last().map(String::as_str).unwrap_or_default();
            match seg {
                "{division}" => "513402".to_owned(),
                "{year}" => "2024".to_owned(),
                "{indicator}" => "farmland_safe_use_rate".to_owned(),
                _ => planted
                    .params
                    .get(before)
                    .cloned()
                    .unwrap_or_else(|| "1".to_owned()),
            }
        } else {
            seg.to_owned()
        };
        out.push(value);
    }
    out.join("/")
}

#[tokio::test]
async fn unauthenticated_api_shows_no_non_public_data() {
    let app = TestApp::sqlite().await;
    let planted = plant(&app).await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut uris: Vec<String> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if ops.get("get").is_none() {
            continue;
        }
        if path == "/api/v1/exports/{file}" {
            for layer in [
                "divisions",
                "points",
                "samples",
                "plots",
                "enterprises",
                "tailings_ponds",
                "remediation_projects",
                "classification_units",
            ] {
                for ext in ["geojson", "csv"] {
                    uris.push(format!("/api/v1/exports/{layer}.{ext}"));
                }
            }
            continue;
        }
        let uri = fill(path, &planted);
        for q in ["", "?f=csv", "?f=geojson", "?use=R2", "?limit=1000"] {
            uris.push(format!("{uri}{q}"));
        }
    }
    assert!(uris.len() > 300, "{} requests", uris.len());
    let mut answered = BTreeMap::new();
    for uri in &uris {
        let (status, _ct, body) = app.get(uri).await;
        assert!(!status.is_server_error(), "{uri}: {status}");
        answered.insert(uri.clone(), status);
        if !status.is_success() {
            continue;
        }
        let text = String::from_utf8_lossy(&body);
        for secret in &planted.secrets {
            assert!(!text.contains(secret.as_str()), "{uri} shows '{secret}'");
        }
    }
    // The records themselves need a signed-in user: 401 with the bilingual message.
    let e = &planted.params["enterprises"];
    for uri in [
        "/api/v1/points".to_owned(),
        "/api/v1/points/IX-SOIL".to_owned(),
        "/api/v1/points/IX-SOIL/history".to_owned(),
        "/api/v1/plots".to_owned(),
        "/api/v1/plots/IX-P1".to_owned(),
        "/api/v1/plots/IX-P1/history".to_owned(),
        "/api/v1/plots/IX-P1/evaluation".to_owned(),
        "/api/v1/plots/IX-P1/gate?use=R2".to_owned(),
        "/api/v1/enterprises".to_owned(),
        format!("/api/v1/enterprises/{e}"),
        format!("/api/v1/enterprises/{e}/history"),
        format!("/api/v1/enterprises/{e}/disclosures/2021/history"),
        "/api/v1/remediation-projects".to_owned(),
        "/api/v1/remediation-projects/PRJ-1".to_owned(),
        "/api/v1/remediation-projects/PRJ-1/totals".to_owned(),
        "/api/v1/manifests".to_owned(),
        "/api/v1/manifests/LD-CRAWL-1".to_owned(),
        "/api/v1/manifests/LD-CRAWL-1/history".to_owned(),
        "/api/v1/tailings-ponds".to_owned(),
        "/api/v1/demolition-plans".to_owned(),
        "/api/v1/demolition-plans/DP-CRAWL".to_owned(),
        "/api/v1/mining-areas".to_owned(),
        "/api/v1/mining-areas/MA-CRAWL".to_owned(),
        "/api/v1/public/mining-areas".to_owned(),
        "/api/v1/enterprises/exceedances".to_owned(),
    ] {
        let (status, body) = app.get_json(&uri).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}: {body}");
        let m = body["error"]["message"].as_str().unwrap();
        assert!(m.contains("请先登录") && m.contains("sign in first"), "{m}");
    }
    // The public views answer, without the non-public fields.
    let (status, list) = app.get_json("/api/v1/public/enterprises").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.to_string().contains("会理市接口路7号"), "{list}");
    let (status, d) = app
        .get_json(&format!("/api/v1/enterprises/{e}/disclosures"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["disclosures"][0]["facilities"], "污水处理站");
    assert_eq!(d["disclosures"][0]["sample_codes"], serde_json::json!([]));
    let (status, plans) = app.get_json("/api/v1/public/demolition-plans").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plans[0]["facilities"][0], "接口电解车间", "{plans}");

    // Signed in, the same reads hold the planted facts (the crawl looked in the right places).
    let app = app.signed_in(Role::Viewer).await;
    for (uri, fact) in [
        (format!("/api/v1/enterprises/{e}"), "13912345678"),
        ("/api/v1/plots/IX-P1".to_owned(), "责任人接口公司丙"),
        ("/api/v1/manifests/LD-CRAWL-1".to_owned(), "川W接口88"),
        (format!("/api/v1/enterprises/{e}/disclosures"), "IX-S-2024"),
        (
            "/api/v1/demolition-plans/DP-CRAWL".to_owned(),
            "拆备接口001",
        ),
        ("/api/v1/mining-areas/MA-CRAWL".to_owned(), "矿区接口备注"),
        (
            "/api/v1/points/IX-SOIL".to_owned(),
            // `x,y` (the point's location is `[x,y]`).
            planted.secrets[9].as_str(),
        ),
    ] {
        let (status, _, body) = app.get(&uri).await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(body.contains(fact), "{uri}: {body}");
    }
}
