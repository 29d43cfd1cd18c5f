//! Plot boundaries imported from GeoJSON and GeoPackage files (issue 11):
//! `POST /api/v1/plots/boundaries` through the router, on SQLite and (when `SOILWATCH_TEST_PG` is
//! set) PostgreSQL. A file in CGCS2000 or WGS 84 replaces the boundaries of the plots it names,
//! all or nothing, each change a new version with the old boundary in the history; the plot's OGC
//! feature then has the new geometry. Another CRS is refused naming it, an unknown plot code
//! naming the feature; nothing is stored on a refusal. The GeoPackage is written by GDAL's
//! `ogr2ogr` when it is installed, else by the project's own GeoPackage writer.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use geo::MultiPolygon;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::conformance_registry::square_inside;
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::{RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;
use tower::ServiceExt;

const URI: &str = "/api/v1/plots/boundaries";

/// A square of half-side `h` degrees around (x, y), as GeoJSON coordinates.
fn square(x: f64, y: f64, h: f64) -> Value {
    json!([[
        [x - h, y - h],
        [x + h, y - h],
        [x + h, y + h],
        [x - h, y + h],
        [x - h, y - h]
    ]])
}

fn centre(b: &MultiPolygon<f64>) -> (f64, f64) {
    let r = geo::BoundingRect::bounding_rect(b).unwrap().center();
    (r.x, r.y)
}

fn collection(features: &[(&str, Value)], crs: Option<&str>) -> Vec<u8> {
    let mut fc = json!({
        "type": "FeatureCollection",
        "features": features.iter().map(|(code, coords)| json!({
            "type": "Feature",
            "properties": {"code": code, "name": "某冶炼厂旧址"},
            "geometry": {"type": "Polygon", "coordinates": coords},
        })).collect::<Vec<_>>(),
    });
    if let Some(c) = crs {
        fc["crs"] = json!({"type": "name", "properties": {"name": c}});
    }
    fc.to_string().into_bytes()
}

fn have_ogr() -> bool {
    let ok = std::process::Command::new("ogr2ogr")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("GDAL is not installed: the GeoPackage comes from soilwatch's own writer");
    }
    ok
}

/// A GeoPackage of the features: by `ogr2ogr` (assigning `srs`, or reprojecting to it from WGS
/// 84 when `reproject`) when GDAL is installed, else by the project's writer (CGCS2000).
async fn gpkg(features: &[(&str, Value)], srs: &str, reproject: bool) -> Option<Vec<u8>> {
    if have_ogr() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.geojson");
        let out = dir.path().join("out.gpkg");
        std::fs::write(&src, collection(features, None)).unwrap();
        let mut cmd = std::process::Command::new("ogr2ogr");
        cmd.args(["-f", "GPKG", "-nln", "plot_boundaries"]);
        if reproject {
            cmd.args(["-s_srs", "EPSG:4326", "-t_srs", srs]);
        } else {
            cmd.args(["-a_srs", srs]);
        }
        let o = cmd.arg(&out).arg(&src).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        return Some(std::fs::read(&out).unwrap());
    }
    if srs != "EPSG:4490" {
        return None;
    }
    let meta = soilwatch_web::ogc::collection::find("plots")
        .unwrap()
        .meta();
    let fs: Vec<soilwatch_web::ogc::Feature> = features
        .iter()
        .map(|(code, coords)| {
            let g: geojson::Geometry =
                serde_json::from_value(json!({"type": "Polygon", "coordinates": coords})).unwrap();
            soilwatch_web::ogc::Feature {
                id: (*code).to_owned(),
                numeric_id: false,
                geometry: Some(geo::Geometry::try_from(g).unwrap()),
                properties: [("code".to_owned(), json!(code))].into_iter().collect(),
            }
        })
        .collect();
    Some(
        soilwatch_web::ogc::gpkg::write_gpkg(meta, &fs)
            .await
            .unwrap(),
    )
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    name: &str,
    bytes: &[u8],
    reason: Option<&str>,
) -> (StatusCode, Value) {
    let b = "plot-boundaries-form-boundary";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n");
    if let Some(r) = reason {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\n{r}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    let mut req =
        Request::post(URI).header("content-type", format!("multipart/form-data; boundary={b}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Equal coordinates within 1e-9° (JSON numbers are parsed to the nearest double or one next to
/// it; GDAL writes GeoJSON with 15 significant digits).
fn assert_close(got: &Value, want: &Value) {
    match (got, want) {
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{got} vs {want}");
            for (x, y) in a.iter().zip(b) {
                assert_close(x, y);
            }
        }
        (a, b) => assert!(
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9,
            "{a} vs {b}"
        ),
    }
}

/// The message of an error body.
fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or_default()
}

/// The plot's version and its OGC feature's geometry.
async fn state(app: &TestApp, code: &str) -> (i64, Value) {
    let version = app.store.get_plot(code).await.unwrap().version;
    // The plots layer needs a signed-in user (issue 13).
    let token = app.token_of("ogc-reader").await;
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/ogc/collections/plots/items/{code}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let f: Value = serde_json::from_slice(&body).unwrap();
    (version, f["geometry"].clone())
}

async fn boundaries_are_imported(app: &TestApp) {
    let store = app.store.as_ref();
    let change = ChangeMeta::new("测试", "issue 11 fixture");
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let mut old = Vec::new();
    for (code, division) in [("HL-P-001", "513402"), ("XC-P-001", "513401")] {
        let mut p = Plot::new(code, "某冶炼厂旧址", division.parse().unwrap());
        let b = square_inside(store, division).await;
        old.push(centre(&b));
        p.boundary = Some(b);
        store.create_plot(&p, day, &change).await.unwrap();
    }
    store
        .create_department(
            &Department {
                code: "eco-env-513401".into(),
                name: "西昌市生态环境局".into(),
                level: DivisionLevel::County,
                division: "513401".parse().unwrap(),
            },
            &change,
        )
        .await
        .unwrap();
    let admin = app.user_token("gis-admin", Role::Administrator, None).await;
    let xichang = app
        .user_token("xc-officer", Role::DataOfficer, Some("eco-env-513401"))
        .await;
    let viewer = app.user_token("gis-viewer", Role::Viewer, None).await;
    let (hl, xc) = (old[0], old[1]);
    let new_hl = square(hl.0 + 0.0005, hl.1, 0.0008);
    let new_xc = square(xc.0, xc.1 - 0.0005, 0.0007);
    let both = collection(
        &[("HL-P-001", new_hl.clone()), ("XC-P-001", new_xc.clone())],
        Some("urn:ogc:def:crs:EPSG::4490"),
    );
    let before = (state(app, "HL-P-001").await, state(app, "XC-P-001").await);
    assert_eq!((before.0 .0, before.1 .0), (1, 1));

    // Who may: not the public, not a viewer, not an officer of another county's department.
    let r = upload(app, None, "b.geojson", &both, Some("测绘成果")).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    let r = upload(app, Some(&viewer), "b.geojson", &both, Some("测绘成果")).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = upload(app, Some(&xichang), "b.geojson", &both, Some("测绘成果")).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // Every change needs a reason.
    let r = upload(app, Some(&admin), "b.geojson", &both, None).await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    assert!(message(&r.1).contains("reason"), "{}", r.1);

    // Refusals store nothing: another CRS (named), an unknown plot (the feature named), a
    // boundary outside the plot's county (the plot named), a plot given twice.
    let mercator = collection(
        &[("HL-P-001", new_hl.clone())],
        Some("urn:ogc:def:crs:EPSG::3857"),
    );
    let unknown = collection(
        &[("HL-P-001", new_hl.clone()), ("NO-SUCH-9", new_xc.clone())],
        None,
    );
    let outside = collection(
        &[("XC-P-001", new_xc.clone()), ("HL-P-001", new_xc.clone())],
        None,
    );
    let twice = collection(
        &[("HL-P-001", new_hl.clone()), ("HL-P-001", new_hl.clone())],
        None,
    );
    for (bytes, expect) in [
        (&mercator, "the file's CRS is urn:ogc:def:crs:EPSG::3857"),
        (&unknown, "feature 2: plot 'NO-SUCH-9' is not registered"),
        (&outside, "plot 'HL-P-001'"),
        (&twice, "features 1 and 2"),
    ] {
        let r = upload(app, Some(&admin), "b.geojson", bytes, Some("测绘成果")).await;
        assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{expect}: {}", r.1);
        assert_eq!(r.1["error"]["code"], "unprocessable");
        assert!(message(&r.1).contains(expect), "{expect}: {}", r.1);
        assert!(message(&r.1).contains("b.geojson"), "{}", r.1);
    }
    let r = upload(app, Some(&admin), "b.geojson", &outside, Some("测绘成果")).await;
    assert!(
        message(&r.1).contains("513402"),
        "names the county: {}",
        r.1
    );
    assert_eq!(
        (state(app, "HL-P-001").await, state(app, "XC-P-001").await),
        before,
        "a refused file changed a plot"
    );

    // GeoJSON in CGCS2000: both plots get a new version; the OGC feature has the new boundary.
    let (status, v) = upload(app, Some(&admin), "边界.geojson", &both, Some("测绘成果")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["features"].as_u64(), v["changed"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(v["plots"][0]["code"], "HL-P-001");
    assert_eq!(v["plots"][0]["version"], 2);
    let (version, geometry) = state(app, "HL-P-001").await;
    assert_eq!(version, 2);
    assert_eq!(geometry["type"], "MultiPolygon");
    assert_close(&geometry["coordinates"][0], &new_hl);
    assert_close(&state(app, "XC-P-001").await.1["coordinates"][0], &new_xc);
    // The area follows the boundary: 0.0016° × 0.0016° near 27° N ≈ 178 m × 158 m ≈ 28,000 m².
    let area = v["plots"][0]["area_m2"].as_f64().unwrap();
    assert!((26_000.0..30_000.0).contains(&area), "{area}");
    // The history keeps the previous boundary, then the new one, with who and why.
    let (_, history) = app.get_json("/api/v1/plots/HL-P-001/history").await;
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2, "{history}");
    assert_eq!(h[1]["operation"], "boundary");
    assert_eq!(h[1]["actor"], "gis-admin");
    assert_eq!(h[1]["reason"], "测绘成果");
    let first = &h[0]["data"]["boundary"]["coordinates"][0][0][0];
    let (x0, y0) = (hl.0 - 0.001, hl.1 - 0.001);
    assert!(
        (first[0].as_f64().unwrap() - x0).abs() < 1e-9
            && (first[1].as_f64().unwrap() - y0).abs() < 1e-9,
        "{first}"
    );
    assert_close(&h[1]["data"]["boundary"]["coordinates"][0], &new_hl);
    // The same file again changes nothing.
    let (status, v) = upload(app, Some(&admin), "边界.geojson", &both, Some("再次导入")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (v["changed"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(app.store.get_plot("HL-P-001").await.unwrap().version, 2);

    // GeoPackage (WGS 84 by GDAL, or CGCS2000 by our writer): the 会理市 plot moves again; the
    // officer of 西昌市 may write their own plot only.
    let gp_hl = square(hl.0 - 0.0004, hl.1 + 0.0002, 0.0006);
    let file = gpkg(&[("HL-P-001", gp_hl.clone())], "EPSG:4326", false)
        .await
        .or(gpkg(&[("HL-P-001", gp_hl.clone())], "EPSG:4490", false).await)
        .unwrap();
    let r = upload(app, Some(&xichang), "b.gpkg", &file, Some("测绘成果")).await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let (status, v) = upload(app, Some(&admin), "b.gpkg", &file, Some("测绘成果")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["changed"], 1);
    let (version, geometry) = state(app, "HL-P-001").await;
    assert_eq!(version, 3);
    assert_close(&geometry["coordinates"][0], &gp_hl);
    let gp_xc = square(xc.0 + 0.0003, xc.1, 0.0005);
    let file = gpkg(&[("XC-P-001", gp_xc)], "EPSG:4490", false)
        .await
        .unwrap();
    let (status, v) = upload(app, Some(&xichang), "xc.gpkg", &file, Some("测绘成果")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(state(app, "XC-P-001").await.0, 3);

    // A GeoPackage in Web Mercator is refused naming its CRS (GDAL only: our writer writes
    // CGCS2000).
    if let Some(file) = gpkg(&[("HL-P-001", new_hl.clone())], "EPSG:3857", true).await {
        let r = upload(app, Some(&admin), "m.gpkg", &file, Some("测绘成果")).await;
        assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
        assert!(message(&r.1).contains("EPSG:3857"), "{}", r.1);
        assert!(message(&r.1).contains("m.gpkg"), "{}", r.1);
        assert_eq!(state(app, "HL-P-001").await.0, 3);
    }
    // Not a GeoJSON or GeoPackage.
    let r = upload(app, Some(&admin), "b.shp", b"x", Some("测绘成果")).await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    assert!(message(&r.1).contains("expected a GeoJSON"), "{}", r.1);
}

#[tokio::test]
async fn boundaries_are_imported_on_sqlite() {
    let app = TestApp::sqlite().await.signed_in(Role::Viewer).await;
    boundaries_are_imported(&app).await;
}

#[tokio::test]
async fn boundaries_are_imported_on_postgres() {
    let Some(app) = TestApp::postgres("plot_boundaries").await else {
        return;
    };
    let app = app.signed_in(Role::Viewer).await;
    boundaries_are_imported(&app).await;
    app.finish().await;
}
