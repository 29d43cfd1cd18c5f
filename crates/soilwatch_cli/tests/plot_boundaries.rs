//! `soilwatch plot-boundaries` (issue 11) with the real binary on a SQLite file: a GeoJSON file
//! replaces a registered plot's boundary (a new version); the same file again changes nothing;
//! an unknown plot (named with its feature) or another CRS (named) is refused with exit code 2
//! and nothing stored.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::Path;
use std::process::Command;

use serde_json::json;
use soilwatch_core::ChangeMeta;
use soilwatch_store::conformance_registry::square_inside;
use soilwatch_store::registry_plot::Plot;
use soilwatch_store::{connect, seed, RegistryStore, Store};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, file: &str) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_ACTOR")
        .args([
            "plot-boundaries",
            file,
            "--reason",
            "测绘成果",
            "--actor",
            "gis",
            "--db",
            "sqlite://plots.db",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn file(dir: &Path, name: &str, code: &str, x: f64, y: f64, crs: Option<&str>) {
    let h = 0.0006;
    let mut fc = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [[[x - h, y - h], [x + h, y - h],
            [x + h, y + h], [x - h, y + h], [x - h, y - h]]]}}]});
    if let Some(c) = crs {
        fc["crs"] = json!({"type": "name", "properties": {"name": c}});
    }
    std::fs::write(dir.join(name), fc.to_string()).unwrap();
}

#[tokio::test]
async fn plot_boundaries_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = {
        let store = connect(dir.path().join("plots.db").to_str().unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        seed::seed(&store).await.unwrap();
        let mut p = Plot::new("HL-P-001", "某冶炼厂旧址", "513402".parse().unwrap());
        let b = square_inside(&store, "513402").await;
        let c = geo::BoundingRect::bounding_rect(&b).unwrap().center();
        p.boundary = Some(b);
        store
            .create_plot(
                &p,
                chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
                &ChangeMeta::new("t", "fixture"),
            )
            .await
            .unwrap();
        store.close().await;
        (c.x, c.y)
    };
    file(dir.path(), "new.geojson", "HL-P-001", x + 0.0003, y, None);
    file(dir.path(), "unknown.geojson", "NOPE-1", x, y, None);
    file(
        dir.path(),
        "mercator.geojson",
        "HL-P-001",
        x,
        y,
        Some("urn:ogc:def:crs:EPSG::3857"),
    );

    let (code, _, err) = run(dir.path(), "unknown.geojson");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("feature 1: plot 'NOPE-1' is not registered"),
        "{err}"
    );
    let (code, _, err) = run(dir.path(), "mercator.geojson");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("urn:ogc:def:crs:EPSG::3857"), "{err}");

    let (code, out, err) = run(dir.path(), "new.geojson");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("HL-P-001\tversion 2\tchanged"), "{out}");
    let (code, out, err) = run(dir.path(), "new.geojson");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("HL-P-001\tversion 2\tunchanged"), "{out}");

    let store = connect(dir.path().join("plots.db").to_str().unwrap())
        .await
        .unwrap();
    let p = store.get_plot("HL-P-001").await.unwrap();
    assert_eq!(p.version, 2);
    let c = geo::BoundingRect::bounding_rect(p.item.boundary.as_ref().unwrap())
        .unwrap()
        .center();
    assert!((c.x - (x + 0.0003)).abs() < 1e-9 && (c.y - y).abs() < 1e-9);
    let h = store
        .registry_history(soilwatch_store::RegistryEntity::Plot, "HL-P-001")
        .await
        .unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[1].actor.as_str(), h[1].reason.as_str()),
        ("gis", "测绘成果")
    );
    store.close().await;
}
