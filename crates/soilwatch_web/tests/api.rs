//! The JSON API through the router, on a seeded SQLite database (and PostgreSQL when
//! `SOILWATCH_TEST_PG` is set). Contracts are snapshotted with insta.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::http::StatusCode;
use serde_json::Value;
use soilwatch_core::{ChangeMeta, Medium};
use soilwatch_store::{conformance, Store};
use soilwatch_test_utils::TestApp;

/// The version number of the newest migration file shipped with the store.
pub fn newest_migration() -> i64 {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../soilwatch_store/migrations/sqlite"
    );
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .max()
        .unwrap()
}

#[tokio::test]
async fn healthz_reports_database_and_schema() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    // The newest migration shipped with the store.
    assert_eq!(body["schema_version"], newest_migration());
    insta::assert_json_snapshot!(body, {".version" => "[version]", ".schema_version" => "[newest migration]"}, @r#"
    {
      "database": "sqlite",
      "schema_version": "[newest migration]",
      "status": "ok",
      "version": "[version]"
    }
    "#);
}

#[tokio::test]
async fn divisions_are_the_prefecture_and_its_17_counties() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/divisions").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 18);
    let counties: Vec<&Value> = list.iter().filter(|d| d["level"] == "county").collect();
    assert_eq!(counties.len(), 17);
    assert!(counties.iter().all(|c| c["parent"] == "513400"));
    assert!(list
        .iter()
        .any(|d| d["code"] == "513402" && d["name"] == "会理市"));
    assert!(list.iter().all(|d| d["code"] != "513425"));
    for d in list {
        assert_eq!(d["boundary"]["type"], "MultiPolygon", "{}", d["code"]);
        assert!(d["area_km2"].as_f64().unwrap() > 500.0, "{}", d["code"]);
    }
    // The prefecture's area is the sum of its counties' (to the rounding of each).
    let pref = list.iter().find(|d| d["code"] == "513400").unwrap()["area_km2"]
        .as_f64()
        .unwrap();
    let sum: f64 = counties
        .iter()
        .map(|c| c["area_km2"].as_f64().unwrap())
        .sum();
    assert!((pref - sum).abs() < 0.01 * 17.0, "{pref} vs {sum}");

    let (_, light) = app.get_json("/api/v1/divisions?boundary=false").await;
    assert!(light[0].get("boundary").is_none());
    insta::assert_json_snapshot!("divisions_without_boundaries", light);
}

#[tokio::test]
async fn one_division_by_code() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/divisions/513402").await;
    assert_eq!(status, StatusCode::OK);
    let ring = &body["boundary"]["coordinates"][0][0];
    assert!(ring.as_array().unwrap().len() > 100);
    // Every vertex is inside the prefecture's extent.
    for p in ring.as_array().unwrap() {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!(
            (100.0..104.5).contains(&x) && (26.0..29.5).contains(&y),
            "{x},{y}"
        );
    }
    insta::assert_json_snapshot!("division_513402", body, {".boundary.coordinates" => "[coordinates]"});
}

#[tokio::test]
async fn unknown_and_malformed_division_codes() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/divisions/513499").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!(body, @r#"
    {
      "error": {
        "code": "not_found",
        "message": "未找到 / not found: division '513499'"
      }
    }
    "#);
    for bad in ["51340x", "12345", "9913400", "990000"] {
        let (status, body) = app.get_json(&format!("/api/v1/divisions/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains(bad));
    }
}

#[tokio::test]
async fn analyte_catalogue() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/analytes").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().unwrap();
    let find = |code: &str| {
        list.iter()
            .find(|a| a["code"] == code)
            .unwrap_or_else(|| panic!("{code}"))
    };
    let cd = find("Cd");
    assert_eq!(cd["name_cn"], "镉");
    assert_eq!(cd["cas"], "7440-43-9");
    for alias in ["镉", "总镉", "cadmium", "Cd"] {
        assert!(
            cd["aliases"].as_array().unwrap().iter().any(|a| a == alias),
            "{alias}"
        );
    }
    assert_eq!(cd["units"]["soil"], "mg/kg");
    assert_eq!(cd["units"]["groundwater"], "mg/L");
    assert_eq!(find("pH")["units"]["soil"], "dimensionless");
    // Every item of GB 15618-2018 and GB 36600-2018 and the work plan's additions.
    for code in [
        "Cd",
        "Hg",
        "As",
        "Pb",
        "Cr",
        "Cu",
        "Ni",
        "Zn",
        "HCH",
        "DDT",
        "BaP",
        "Cr6",
        "Sb",
        "Be",
        "Co",
        "MeHg",
        "V",
        "CN",
        "TPH_C10_C40",
        "PCBs",
        "dioxins",
        "benzene",
        "pH",
        "OM",
        "CEC",
        "Mn",
        "Ti",
    ] {
        find(code);
    }
    let (status, one) = app.get_json("/api/v1/analytes/Pb").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name_en"], "lead");
    let (status, _) = app.get_json("/api/v1/analytes/Xx").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_json_snapshot!("analytes", body);
}

#[tokio::test]
async fn departments_of_the_work_plan() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/departments").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 17);
    assert!(list
        .iter()
        .any(|d| d["name"] == "州生态环境局" && d["division"] == "513400"));
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let app = TestApp::sqlite().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/healthz",
        "/api/v1/divisions",
        "/api/v1/divisions/{code}",
        "/api/v1/analytes",
        "/api/v1/analytes/{code}",
        "/api/v1/departments",
        "/api/v1/points",
        "/api/v1/points/{code}",
        "/api/v1/points/{code}/history",
        "/api/v1/results",
        "/api/v1/results/{id}/history",
        "/api/v1/samples/{id}",
        "/api/v1/samples/{id}/evaluation",
        "/api/v1/standards",
        "/api/v1/standards/{id}",
    ] {
        assert!(
            paths.contains_key(route),
            "{route} missing from the OpenAPI document"
        );
    }
    insta::assert_json_snapshot!("openapi", doc, {".info.version" => "[version]"});
}

#[tokio::test]
async fn standards_are_listed_with_their_values() {
    let app = TestApp::sqlite().await;
    let (status, list) = app.get_json("/api/v1/standards").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "gb15618-2018",
        "gb36600-2018",
        "gb2762-2022",
        "gb5084-2021",
        "gb14848-2017",
        "gb3838-2002",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let (status, one) = app.get_json("/api/v1/standards/gb15618-2018").await;
    assert_eq!(status, StatusCode::OK);
    let text = one.to_string();
    assert!(
        text.contains("verified_1src+recall"),
        "confidence is visible"
    );
    let (status, _) = app.get_json("/api/v1/standards/gb0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn load_fixture(store: &dyn Store) {
    let p = conformance::point("LS-001", "513401");
    store
        .insert_points(&[p], &ChangeMeta::new("tester", "fixture"))
        .await
        .unwrap();
    let mut a = conformance::sample(
        "S-1",
        Some("LS-001"),
        "513401",
        Medium::Soil,
        "2020-06-15",
        &[("Cd", "0.4"), ("pH", "6.0"), ("Pb", "35")],
    );
    a.results[1].unit = soilwatch_core::Unit::Dimensionless;
    let mut b = conformance::sample(
        "S-2",
        None,
        "513402",
        Medium::Soil,
        "2021-07-01",
        &[("Cd", "0.41"), ("pH", "6.0")],
    );
    b.results[1].unit = soilwatch_core::Unit::Dimensionless;
    store
        .insert_samples(&[a, b], &ChangeMeta::new("tester", "fixture"))
        .await
        .unwrap();
}

#[tokio::test]
async fn results_points_samples_and_evaluation() {
    let mut app = TestApp::sqlite().await;
    app.sign_in_as(soilwatch_store::Role::Viewer).await;
    load_fixture(app.store.as_ref()).await;

    let (status, points) = app.get_json("/api/v1/points?division=513400").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(points.as_array().unwrap().len(), 1);
    let (status, _) = app.get_json("/api/v1/points/NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, history) = app.get_json("/api/v1/points/LS-001/history").await;
    assert_eq!(history[0]["actor"], "tester");

    let (status, rows) = app
        .get_json("/api/v1/results?division=513402&analyte=镉")
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["result"]["value"], "0.41");
    let (_, all_cd) = app
        .get_json("/api/v1/results?analyte=Cd&from=2020-06-15&to=2021-07-01")
        .await;
    assert_eq!(all_cd.as_array().unwrap().len(), 2);
    for bad in [
        "/api/v1/results?from=2020-13-01",
        "/api/v1/results?medium=lava",
        "/api/v1/results?analyte=xx",
        "/api/v1/results?division=5134",
    ] {
        let (status, body) = app.get_json(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["error"]["code"], "bad_request");
    }

    // Cd 0.4 mg/kg in paddy at pH 6.0 equals the screening value (5.5 < pH ≤ 6.5): priority
    // protection; 0.41 is above it and below the intervention value 2.0: safe utilization.
    let s1 = app.store.get_sample("S-1").await.unwrap();
    let s2 = app.store.get_sample("S-2").await.unwrap();
    let (status, ev) = app
        .get_json(&format!("/api/v1/samples/{}/evaluation", s1.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{ev}");
    assert_eq!(ev["ruleset"], "gb15618-2018");
    assert_eq!(ev["evaluation"]["class"], "priority_protection");
    let (_, ev2) = app
        .get_json(&format!("/api/v1/samples/{}/evaluation", s2.id))
        .await;
    assert_eq!(ev2["evaluation"]["class"], "safe_utilization");
    let (status, _) = app
        .get_json(&format!(
            "/api/v1/samples/{}/evaluation?method=magic",
            s1.id
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get_json("/api/v1/samples/999999/evaluation").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, sample) = app.get_json(&format!("/api/v1/samples/{}", s1.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sample["sample"]["code"], "S-1");

    // A correction keeps the previous version.
    let rid = s2.results[0].id;
    let mut corrected = s2.results[0].result.clone();
    corrected.value = Some("0.14".parse().unwrap());
    app.store
        .update_result(rid, &corrected, &ChangeMeta::new("lab", "digits swapped"))
        .await
        .unwrap();
    let (status, h) = app
        .get_json(&format!("/api/v1/results/{rid}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[0]["data"]["value"], "0.41");
    assert_eq!(h[1]["data"]["value"], "0.14");
    assert_eq!(h[1]["reason"], "digits swapped");
    let (status, _) = app.get_json("/api/v1/results/424242/history").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404() {
    let app = TestApp::sqlite().await;
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, ct, _) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
}

#[tokio::test]
async fn the_same_api_on_postgres() {
    let Some(mut app) = TestApp::postgres("web_api").await else {
        return;
    };
    app.sign_in_as(soilwatch_store::Role::Viewer).await;
    let (status, health) = app.get_json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["database"], "postgres");
    let (_, pg_divisions) = app.get_json("/api/v1/divisions").await;
    let (_, pg_analytes) = app.get_json("/api/v1/analytes").await;
    load_fixture(app.store.as_ref()).await;
    let (_, pg_rows) = app
        .get_json("/api/v1/results?division=513400&analyte=Cd")
        .await;
    let mut lite = TestApp::sqlite().await;
    lite.sign_in_as(soilwatch_store::Role::Viewer).await;
    let (_, lite_divisions) = lite.get_json("/api/v1/divisions").await;
    let (_, lite_analytes) = lite.get_json("/api/v1/analytes").await;
    load_fixture(lite.store.as_ref()).await;
    let (_, lite_rows) = lite
        .get_json("/api/v1/results?division=513400&analyte=Cd")
        .await;
    assert_eq!(pg_divisions, lite_divisions);
    assert_eq!(pg_analytes, lite_analytes);
    assert_eq!(pg_rows, lite_rows);
    app.finish().await;
}

/// The rows of one of the standards crate's data files (the files the rulesets are built from).
fn standard_rows(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = format!(
        "{}/../soilwatch_standards/data/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn every_value_of_the_soil_standards_is_served_with_its_source() {
    let app = TestApp::sqlite().await;
    let as_str = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    // GB 15618-2018: one value per data row, with its table, land use, pH band, value as
    // written, confidence and source.
    let (status, rs) = app.get_json("/api/v1/standards/gb15618-2018").await;
    assert_eq!(status, StatusCode::OK);
    let values = rs["values"].as_array().unwrap();
    let rows = standard_rows("gb15618_2018.csv");
    assert_eq!(values.len(), rows.len(), "one value per row of GB 15618");
    for row in &rows {
        let band = match (
            row["ph_min_exclusive"].as_str(),
            row["ph_max_inclusive"].as_str(),
        ) {
            ("", "") => None,
            ("", "5.5") => Some("ph_le_5.5"),
            ("5.5", "6.5") => Some("ph_5.5_6.5"),
            ("6.5", "7.5") => Some("ph_6.5_7.5"),
            ("7.5", "") => Some("ph_gt_7.5"),
            other => panic!("unexpected band {other:?}"),
        };
        let hits: Vec<&Value> = values
            .iter()
            .filter(|v| {
                as_str(&v["item_cn"]) == row["analyte_cn"]
                    && as_str(&v["table"]) == row["table"]
                    && as_str(&v["land_use"]) == row["land_use"]
                    && v["ph_band"].as_str() == band
                    && as_str(&v["value_type"]) == row["value_type"]
            })
            .collect();
        assert_eq!(hits.len(), 1, "GB 15618 {row:?}");
        let v = hits[0];
        assert_eq!(as_str(&v["value_as_written"]), row["value_mg_per_kg"]);
        assert_eq!(
            as_str(&v["upper"])
                .parse::<rust_decimal::Decimal>()
                .unwrap(),
            row["value_mg_per_kg"]
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        );
        assert_eq!(as_str(&v["unit"]), "mg/kg");
        assert_eq!(as_str(&v["confidence"]), row["confidence"]);
        assert_eq!(as_str(&v["source"]), row["source"]);
    }
    // GB 36600-2018: up to four values per row (screening and intervention, land class 1 and 2).
    let (status, rs) = app.get_json("/api/v1/standards/gb36600-2018").await;
    assert_eq!(status, StatusCode::OK);
    let values = rs["values"].as_array().unwrap();
    let mut expected = 0;
    for row in standard_rows("gb36600_2018.csv") {
        for (col, vt, class) in [
            ("screening_class1", "screening", 1),
            ("screening_class2", "screening", 2),
            ("intervention_class1", "intervention", 1),
            ("intervention_class2", "intervention", 2),
        ] {
            let cell = row[col].trim();
            if cell.is_empty() {
                continue;
            }
            expected += 1;
            let hits: Vec<&Value> = values
                .iter()
                .filter(|v| {
                    as_str(&v["item_cn"]) == row["analyte_cn"]
                        && as_str(&v["value_type"]) == vt
                        && v["land_class"] == class
                })
                .collect();
            assert_eq!(hits.len(), 1, "GB 36600 {} {col}", row["analyte_cn"]);
            assert_eq!(as_str(&hits[0]["value_as_written"]), cell);
            assert_eq!(as_str(&hits[0]["table"]), row["table"]);
            assert_eq!(as_str(&hits[0]["confidence"]), row["confidence"]);
            assert_eq!(as_str(&hits[0]["source"]), row["source"]);
        }
    }
    assert_eq!(values.len(), expected, "no value beyond the data file's");
    assert_eq!(
        expected,
        85 * 4,
        "GB 36600: 85 items, each with four values"
    );
    // The other rulesets: every value carries a confidence and a source, and there are at least
    // as many values as data rows.
    for (id, file) in [
        ("gb2762-2022", "gb2762_crops.csv"),
        ("gb5084-2021", "gb5084_2021.csv"),
        ("gb14848-2017", "gb14848_2017.csv"),
        ("gb3838-2002", "gb3838_2002.csv"),
    ] {
        let (status, rs) = app.get_json(&format!("/api/v1/standards/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        let values = rs["values"].as_array().unwrap();
        let rows = standard_rows(file);
        assert!(values.len() >= rows.len(), "{id}: {} values", values.len());
        for v in values {
            assert!(!as_str(&v["source"]).is_empty(), "{id}: {v}");
            assert!(!as_str(&v["confidence"]).is_empty(), "{id}: {v}");
        }
        let sources: std::collections::BTreeSet<String> =
            values.iter().map(|v| as_str(&v["source"])).collect();
        for row in &rows {
            assert!(sources.contains(&row["source"]), "{id}: {row:?}");
        }
    }
}
