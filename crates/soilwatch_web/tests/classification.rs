//! Issue 6 through the router: a classification run on a seeded SQLite app with two parcels,
//! units with evidence, the list as JSON and CSV, GeoJSON, reviews, changes, target areas and
//! the page.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::http::StatusCode;
use geo::polygon;
use serde_json::{json, Value};
use soilwatch_classify::{EvaluationUnit, UnitSource};
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::{
    conformance, conformance_network, ClassificationStore, NetworkStore, Role, SharingStore, Store,
};
use soilwatch_test_utils::{send, TestApp};

/// Two paddy parcels in 会理市 with a soil sample each (pH 6.0): Cd 0.4 (= screening) and 2.5
/// (> intervention 2.0).
async fn setup(app: &TestApp) {
    let store = app.store.as_ref();
    let change = ChangeMeta::new("tester", "fixture");
    let mut units = Vec::new();
    for (code, k, cd) in [("A", 0.0, "0.4"), ("B", 150.0, "2.5")] {
        let p = conformance_network::point_inside(store, &format!("P-{code}"), "513402", k).await;
        store.create_point(&p, &change).await.unwrap();
        let (x, y) = (p.point.location.lon(), p.point.location.lat());
        let d = 0.004;
        let g: geo::MultiPolygon<f64> = polygon![(x: x - d, y: y - d), (x: x + d, y: y - d),
            (x: x + d, y: y + d), (x: x - d, y: y + d), (x: x - d, y: y - d)]
        .into();
        units.push(
            EvaluationUnit::new(
                format!("HL-{code}"),
                "513402".parse().unwrap(),
                UnitSource::Parcel,
                Some("0101".parse().unwrap()),
                g,
            )
            .unwrap(),
        );
        let s = conformance::sample(
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
        store.insert_samples(&[s], &change).await.unwrap();
    }
    store
        .put_units(&units, "parcels.geojson", &change)
        .await
        .unwrap();
}

#[tokio::test]
async fn runs_units_list_reviews_changes_targets_and_page() {
    // The results are the agriculture bureau's conditional dataset: read as an administrator
    // (the read checks have their own test below).
    let app = TestApp::sqlite().await.signed_in(Role::Administrator).await;
    setup(&app).await;

    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        None,
        json!({"year": 2024}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        Some("analyst"),
        json!({"year": 2024, "county": "513402", "crop_multiple": "zwei"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("crop_multiple"),
        "{e}"
    );

    let (s, run) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        Some("analyst"),
        json!({"year": 2024, "county": "513402"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    let id = run["id"].as_i64().unwrap();
    assert_eq!(run["actor"], "analyst");
    assert_eq!(run["settings"]["crop_multiple"], "2");
    assert_eq!(run["inputs"]["soil_samples"].as_array().unwrap().len(), 2);

    let (s, runs) = app
        .get_json("/api/v1/classification/runs?division=513402&year=2024")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(runs.as_array().unwrap().len(), 1);

    let (s, units) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/units"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let classes: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["priority_protection", "strict_control"]);

    let (s, unit) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/units/HL-A"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let cd = unit["unit"]["evidence"]["samples"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["analyte"] == "Cd")
        .unwrap()
        .clone();
    assert_eq!(
        (cd["value"].as_str(), cd["screening"].as_str()),
        (Some("0.4"), Some("0.4"))
    );

    let (s, list) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/list"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["list"]["total"]["strict_control"]["units"], 1);
    let (s, ct, body) = app
        .get(&format!("/api/v1/classification/runs/{id}/list?f=csv"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("513402,会理市,严格管控类,strict_control,1,"));
    // The same list as an Excel workbook: codes as text, counts and areas as numbers.
    let (s, ct, body) = app
        .get(&format!("/api/v1/classification/runs/{id}/list?f=xlsx"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(body)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "分类清单").unwrap();
    let strict = sheet
        .rows()
        .find(|r| r[0] == "513402" && r[3] == "strict_control")
        .unwrap();
    assert!(matches!(strict[0], calamine::Data::String(_)));
    assert_eq!(strict[4], calamine::Data::Float(1.0));
    let (_, list) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/list"))
        .await;
    let mu = list["list"]["counties"][0]["strict_control"]["area_mu"]
        .as_f64()
        .unwrap();
    match strict[5] {
        calamine::Data::Float(x) => assert!((x - mu).abs() < 0.01, "{x} vs {mu}"),
        ref other => panic!("area_mu is {other:?}"),
    }
    let (s, _, body) = app
        .get(&format!("/api/v1/classification/runs/{id}/units?f=xlsx"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut book: calamine::Xlsx<_> = calamine::Reader::new(std::io::Cursor::new(body)).unwrap();
    let units = calamine::Reader::worksheet_range(&mut book, "评价单元").unwrap();
    assert_eq!(units.rows().count(), 3);
    assert!(units.rows().any(|r| r[4] == "0101"));
    let (s, ct, body) = app
        .get(&format!("/api/v1/classification/runs/{id}/units?f=geojson"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let gj: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(gj["features"][1]["properties"]["fill"], "#e53935");

    // Override with a reason; the computed class stays.
    let uri = format!("/api/v1/classification/runs/{id}/units/HL-B/review");
    let (s, e) = send(
        &app,
        "POST",
        &uri,
        Some("reviewer"),
        json!({"action": "override", "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("class"));
    let (s, rv) = send(
        &app,
        "POST",
        &uri,
        Some("reviewer"),
        json!({"action": "override", "class": "safe_utilization", "reason": "专家论证 / expert review"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{rv}");
    let (_, unit) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/units/HL-B"))
        .await;
    assert_eq!(unit["unit"]["class"], "strict_control");
    assert_eq!(unit["unit"]["reviewed_class"], "safe_utilization");
    assert_eq!(unit["reviews"].as_array().unwrap().len(), 1);

    // A second run: B computes strict control again, the review of run 1 made it safe utilization.
    let (_, run2) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        Some("analyst"),
        json!({"year": 2024, "county": "513402"}),
    )
    .await;
    let id2 = run2["id"].as_i64().unwrap();
    let (s, ch) = app
        .get_json(&format!("/api/v1/classification/runs/{id2}/changes"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ch["previous_run_id"], id);
    assert_eq!(ch["changes"][0]["unit_code"], "HL-B");
    assert_eq!(ch["changes"][0]["before"], "safe_utilization");
    assert_eq!(ch["changes"][0]["after"], "strict_control");

    // Areas toward the targets.
    let (s, t) = send(
        &app,
        "POST",
        "/api/v1/classification/target-areas",
        Some("bureau"),
        json!({"unit_code": "HL-B", "year": 2020, "measure": "strict_returned_forest_grass", "area_mu": 50.0, "reason": "2020 年退耕还林"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["target"], "strict_control");
    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/target-areas",
        Some("bureau"),
        json!({"unit_code": "HL-B", "year": 2020, "measure": "plant trees", "area_mu": 5.0, "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("measure"));
    let (_, list) = app
        .get_json("/api/v1/classification/target-areas?division=513400&year=2020")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The page: map with units coloured by class, the county table.
    let (s, ct, body) = app.get(&format!("/classification/runs/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("<svg") && html.contains(r##"class="unit""##),
        "map"
    );
    assert!(html.contains(r##"fill="#43a047""##) && html.contains(r##"fill="#fdd835""##));
    assert!(html.contains("513402 会理市"));
    assert!(html.contains("override: 专家论证"));
    let (s, _, _) = app.get("/classification/runs/999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The list of runs, with the class areas as the run computed them (the same as the run's
    // summary in the API), filtered by division and year.
    let (_, run) = app
        .get_json(&format!("/api/v1/classification/runs/{id}"))
        .await;
    let t = &run["summary"]["list"]["total"];
    let (s, _, body) = app.get("/classification").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains(&format!("href=\"/classification/runs/{id}\"")),
        "{html}"
    );
    let strict = format!(
        "{} / {:.1}",
        t["strict_control"]["units"],
        t["strict_control"]["area_mu"].as_f64().unwrap()
    );
    assert!(html.contains(&strict), "{strict} not in the runs page");
    for (q, shown) in [
        ("?division=513402&year=2024", true),
        ("?division=513401", false),
        ("?year=2023", false),
    ] {
        let (s, _, body) = app.get(&format!("/classification{q}")).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        let html = String::from_utf8(body).unwrap();
        assert_eq!(
            html.contains(&format!("/classification/runs/{id}\"")),
            shown,
            "{q}"
        );
    }
    let (s, _, _) = app.get("/classification?year=abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    app.finish().await;
}

/// A GeoJSON FeatureCollection of square parcels around the given centres (code, land use).
fn parcels(items: &[(&str, &str, f64, f64)]) -> Vec<u8> {
    let d = 0.004;
    let features: Vec<Value> = items
        .iter()
        .map(|(code, lu, x, y)| {
            json!({"type": "Feature", "properties": {"code": code, "land_use": lu},
                   "geometry": {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d],
                   [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn units_upload_geojson_and_geopackage_all_or_nothing_by_area() {
    let mut app = TestApp::sqlite().await;
    let store = app.store.as_ref();
    let huili: soilwatch_core::DivisionCode = "513402".parse().unwrap();
    let p = conformance_network::point_inside(store, "U-P", "513402", 0.0).await;
    let (x, y) = (p.point.location.lon(), p.point.location.lat());
    let good = parcels(&[("HL-U1", "0101", x, y), ("HL-U2", "0103", x + 0.01, y)]);
    async fn up(app: &TestApp, parts: &[(&str, Option<&str>, &[u8])]) -> (StatusCode, Value) {
        app.post_multipart("/api/v1/classification/units", parts, None)
            .await
    }
    // Not signed in; an officer of another county's bureau: refused, nothing stored.
    let (s, _) = up(&app, &[("file", Some("parcels.geojson"), good.as_slice())]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for (code, div) in [("eco-env-513401", "513401"), ("eco-env-513402", "513402")] {
        store
            .create_department(
                &soilwatch_core::Department {
                    code: code.into(),
                    name: format!("{div} 生态环境局"),
                    level: soilwatch_core::DivisionLevel::County,
                    division: div.parse().unwrap(),
                },
                &ChangeMeta::new("t", "fixture"),
            )
            .await
            .unwrap();
    }
    let other = app
        .user_token(
            "xichang",
            soilwatch_store::Role::DataOfficer,
            Some("eco-env-513401"),
        )
        .await;
    app.bearer = Some(other);
    let (s, e) = up(&app, &[("file", Some("parcels.geojson"), good.as_slice())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(store.list_units(huili).await.unwrap().is_empty());

    // The county's officer: stored, then recognised as unchanged.
    let own = app
        .user_token(
            "huili",
            soilwatch_store::Role::DataOfficer,
            Some("eco-env-513402"),
        )
        .await;
    app.bearer = Some(own);
    let (s, v) = up(&app, &[("file", Some("parcels.geojson"), good.as_slice())]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["units"].as_u64(), v["added"].as_u64()),
        (Some(2), Some(2))
    );
    let stored = store.list_units(huili).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].origin, "parcels.geojson");
    let (s, v) = up(&app, &[("file", Some("parcels.geojson"), good.as_slice())]).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["unchanged"], 2);

    // One bad feature refuses the whole file: the new first parcel is not stored either.
    let bad = parcels(&[("HL-U3", "0101", x + 0.02, y), ("HL-U4", "99", x + 0.03, y)]);
    let (s, e) = up(&app, &[("file", Some("bad.geojson"), bad.as_slice())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("bad.geojson") && m.contains("99"), "{m}");
    assert_eq!(store.list_units(huili).await.unwrap().len(), 2);
    let (s, e) = up(
        &app,
        &[("file", Some("parcels.csv"), b"code,x\n".as_slice())],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(".gpkg"));

    // GeoPackage: the platform's own export of the units layer read back as units (id in the
    // `unit` column): the same geometry and land use, so unchanged.
    // The layer needs a signed-in user (parcels are not public).
    app.bearer = None;
    let (s, _, _) = app.get("/api/v1/exports/classification_units.gpkg").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.bearer = Some(app.token_of("root").await);
    let (s, _, gpkg) = app.get("/api/v1/exports/classification_units.gpkg").await;
    assert_eq!(s, StatusCode::OK);
    assert!(gpkg.starts_with(b"SQLite format 3\0"));
    // The layer is empty before any run: run one, then export.
    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        Some("root"),
        json!({"year": 2024, "county": "513402"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let (_, _, gpkg) = app.get("/api/v1/exports/classification_units.gpkg").await;
    let parts: [(&str, Option<&str>, &[u8]); 2] = [
        ("file", Some("units.gpkg"), &gpkg),
        ("id_field", None, b"unit"),
    ];
    let (s, v) = up(&app, &parts).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["units"].as_u64(), v["unchanged"].as_u64()),
        (Some(2), Some(2))
    );
}

/// Issue 9: every read of the classification goes through the sharing catalogue
/// (`farmland_classification`, the agriculture bureau's, conditional): signed out 401 (the pages
/// redirect to sign-in), another department without a grant 403 saying whom to ask, the owner
/// department and a department with a grant 200; every read is logged. Marked public, the
/// county-level views (runs, list, `/classification`) open to everyone without the run's inputs,
/// the unit-level ones do not.
#[tokio::test]
async fn classification_reads_are_checked_against_the_catalogue() {
    let mut app = TestApp::sqlite().await;
    setup(&app).await;
    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/runs",
        Some("root"),
        json!({"year": 2024, "county": "513402"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let id = e["id"].as_i64().unwrap();
    let (s, e) = send(
        &app,
        "POST",
        "/api/v1/classification/target-areas",
        Some("root"),
        json!({"unit_code": "HL-A", "year": 2024, "measure": "safe_use_agronomic",
               "area_mu": 1.0, "reason": "措施"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let reads = [
        "/api/v1/classification/runs".to_owned(),
        format!("/api/v1/classification/runs/{id}"),
        format!("/api/v1/classification/runs/{id}/units"),
        format!("/api/v1/classification/runs/{id}/units?f=csv"),
        format!("/api/v1/classification/runs/{id}/units/HL-B"),
        format!("/api/v1/classification/runs/{id}/list"),
        format!("/api/v1/classification/runs/{id}/changes"),
        "/api/v1/classification/target-areas".to_owned(),
        "/api/v1/exports/classification_units.geojson".to_owned(),
        "/ogc/collections/classification_units/items".to_owned(),
        "/classification".to_owned(),
        format!("/classification/runs/{id}"),
    ];
    let eco = app
        .user_token("huan", Role::DataOfficer, Some("eco-env-513400"))
        .await;
    let agri = app
        .user_token("nong", Role::DataOfficer, Some("agri-513400"))
        .await;

    // Signed out: 401, the pages to the sign-in page.
    for uri in &reads {
        let (s, _, _) = app.get(uri).await;
        let page = !uri.starts_with("/api/") && !uri.starts_with("/ogc");
        let want = if page {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(s, want, "{uri} signed out");
    }
    // Another department without a grant: 403 saying whom to ask and how.
    app.bearer = Some(eco.clone());
    for uri in &reads {
        let (s, _, body) = app.get(uri).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{uri} without a grant");
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("farmland_classification") && body.contains("agri-513400"),
            "{uri}: {body}"
        );
    }
    // The environment bureau's reviewer, who confirms the classes, reads them without a grant;
    // the reads are logged with the basis "reviewer".
    let reviewer = app
        .user_token("shen-reviewer", Role::Reviewer, Some("eco-env-513400"))
        .await;
    app.bearer = Some(reviewer);
    for uri in &reads {
        let (s, _, body) = app.get(uri).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{uri} as the reviewer: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let log = app
        .store
        .list_data_access(Some("farmland_classification"), 1000)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|a| a.actor == "shen-reviewer" && a.basis == "reviewer" && a.outcome == "ok"),
        "{log:?}"
    );
    // The owner department reads everything.
    app.bearer = Some(agri);
    for uri in &reads {
        let (s, _, body) = app.get(uri).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{uri} as the owner: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // A grant opens the dataset to the environment bureau.
    let (s, r) = send(
        &app,
        "POST",
        "/api/v1/catalogue/farmland_classification/requests",
        Some("huan"),
        json!({"purpose": "受污染耕地安全利用核算"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, d) = send(
        &app,
        "POST",
        &format!("/api/v1/access-requests/{}/decision", r["id"]),
        Some("root"),
        json!({"decision": "grant"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    app.bearer = Some(eco);
    for uri in &reads {
        let (s, _, body) = app.get(uri).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{uri} with a grant: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (_, units) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/units"))
        .await;
    assert_eq!(units.as_array().unwrap().len(), 2);

    // Every read is logged: refused without the grant, allowed with it, with the rows.
    app.bearer = Some(app.token_of("root").await);
    let (s, log) = app
        .get_json("/api/v1/data-access-log?dataset=farmland_classification&limit=1000")
        .await;
    assert_eq!(s, StatusCode::OK);
    let of = |outcome: &str, path: &str| -> Vec<i64> {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["actor"] == "huan" && a["outcome"] == outcome && a["path"] == path)
            .map(|a| a["row_count"].as_i64().unwrap())
            .collect()
    };
    let units_path = format!("GET /api/v1/classification/runs/{id}/units");
    assert_eq!(of("denied", &units_path), vec![0]);
    assert_eq!(of("ok", &units_path), vec![2, 2]);
    assert_eq!(
        of(
            "ok",
            &format!("GET /api/v1/classification/runs/{id}/units/HL-B")
        ),
        vec![1]
    );
    assert_eq!(
        of("denied", &format!("GET /classification/runs/{id}")),
        vec![0]
    );

    // Marked public (and so unconditional): the county-level views open to everyone, without
    // the run's inputs; the units and their evidence still need a user the catalogue allows.
    let (_, catalogue) = app.get_json("/api/v1/catalogue").await;
    let mut entry = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dataset"] == "farmland_classification")
        .unwrap()
        .clone();
    entry["public"] = json!(true);
    entry["sharing_level"] = json!("unconditional");
    entry["reason"] = json!("县级分类面积向社会公开");
    let (s, e) = send(
        &app,
        "PUT",
        "/api/v1/catalogue/farmland_classification",
        Some("root"),
        entry,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    app.bearer = None;
    let (s, runs) = app.get_json("/api/v1/classification/runs").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(runs[0]["id"], id);
    assert!(runs[0]["summary"]["list"]["total"].is_object(), "{runs}");
    assert!(runs[0]["inputs"].is_null(), "{runs}");
    let (s, list) = app
        .get_json(&format!("/api/v1/classification/runs/{id}/list"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(list["run"]["inputs"].is_null(), "{list}");
    let (s, _, _) = app.get("/classification").await;
    assert_eq!(s, StatusCode::OK);
    for uri in [
        format!("/api/v1/classification/runs/{id}/units"),
        format!("/api/v1/classification/runs/{id}/units/HL-B"),
        format!("/api/v1/classification/runs/{id}/changes"),
        "/api/v1/classification/target-areas".to_owned(),
    ] {
        let (s, _) = app.get_json(&uri).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (s, _, _) = app.get(&format!("/classification/runs/{id}")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}
