//! End-to-end: the real `soilwatch classify` on the demo data and on parcel files.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    for (var, _) in std::env::vars() {
        if var.starts_with("SOILWATCH_") {
            cmd.env_remove(var);
        }
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Two paddy parcels around the seat of 会理市 (513402) and a parcel of industrial land.
fn parcels(crs: &str) -> String {
    let d = soilwatch_store::seed::default_divisions()
        .unwrap()
        .into_iter()
        .find(|d| d.code.to_string() == "513402")
        .unwrap();
    let (x, y) = d.center.unwrap();
    let sq = |cx: f64| {
        format!(
            "[[[{a},{b}],[{c},{b}],[{c},{e}],[{a},{e}],[{a},{b}]]]",
            a = cx - 0.004,
            c = cx + 0.004,
            b = y - 0.004,
            e = y + 0.004
        )
    };
    format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{crs}"}}}},"features":[
{{"type":"Feature","properties":{{"DKBM":"HL-001","DLBM":"0101","division":"513402"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
{{"type":"Feature","properties":{{"DKBM":"HL-002","DLBM":"0103","division":"513402"}},"geometry":{{"type":"Polygon","coordinates":{}}}}},
{{"type":"Feature","properties":{{"DKBM":"HL-003","DLBM":"0601","division":"513402"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
        sq(x),
        sq(x + 0.01),
        sq(x + 0.02)
    )
}

#[test]
fn classify_demo_data_with_a_grid_then_parcels() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["demo", "--db", "demo.db", "--points", "400"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // 金阳县 (513430) has no parcels: a 5 km grid clipped to the county.
    let out = run(
        dir.path(),
        &[
            "classify",
            "--db",
            "demo.db",
            "--year",
            "2025",
            "--county",
            "513430",
            "--grid-cell-m",
            "5000",
            "--output",
            "list.csv",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout,
        text(&out.stderr)
    );
    assert!(stdout.contains("classification run 1"), "{stdout}");
    assert!(stdout.contains("513430 金阳县"), "{stdout}");
    assert!(stdout.contains("first run of 513430"), "{stdout}");
    let csv = std::fs::read(dir.path().join("list.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let csv = text(&csv);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.len() > 50, "{} rows", rows.len());
    assert!(rows
        .iter()
        .all(|r| r.starts_with("513430,金阳县,G513430-5000m-")));
    // The demo samples classify most cells; the rest are inferred or out of reach.
    assert!(
        rows.iter().any(|r| r.contains(",samples,"))
            && rows.iter().any(|r| r.contains(",inferred,")),
        "{csv}"
    );

    // Again: the same grid, compared with run 1.
    let out = run(
        dir.path(),
        &[
            "classify",
            "--db",
            "demo.db",
            "--year",
            "2025",
            "--county",
            "513430",
            "--grid-cell-m",
            "5000",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("changes since run 1 (与上次相比): 0 units"),
        "{}",
        text(&out.stdout)
    );

    // Parcels in a projected CRS: refused, naming it, exit 2.
    std::fs::write(
        dir.path().join("gk.geojson"),
        parcels("urn:ogc:def:crs:EPSG::4543"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "classify",
            "--db",
            "demo.db",
            "--year",
            "2025",
            "--county",
            "513402",
            "--units",
            "gk.geojson",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("EPSG::4543"),
        "{}",
        text(&out.stderr)
    );

    // Parcels in CGCS2000: imported, classified (industrial land not classified), GeoJSON out.
    std::fs::write(
        dir.path().join("parcels.geojson"),
        parcels("urn:ogc:def:crs:EPSG::4490"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "classify",
            "--db",
            "demo.db",
            "--year",
            "2025",
            "--county",
            "513402",
            "--units",
            "parcels.geojson",
            "--method",
            "pollution-index",
            "--output",
            "units.geojson",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout,
        text(&out.stderr)
    );
    assert!(
        stdout.contains("units parcels.geojson: 3 added"),
        "{stdout}"
    );
    assert!(
        stdout.contains("method pollution-index, 3 units"),
        "{stdout}"
    );
    let gj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("units.geojson")).unwrap()).unwrap();
    let features = gj["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let f3 = features.iter().find(|f| f["id"] == "HL-003").unwrap();
    assert_eq!(f3["properties"]["basis"], "not_farmland");
    assert_eq!(f3["geometry"]["type"], "MultiPolygon");
    let f1 = features.iter().find(|f| f["id"] == "HL-001").unwrap();
    let mu = f1["properties"]["area_mu"].as_f64().unwrap();
    let ha = f1["properties"]["area_ha"].as_f64().unwrap();
    assert!((mu / ha - 15.0).abs() < 0.01, "{mu} mu, {ha} ha");

    // The same parcels as a GeoPackage written by GDAL (when installed): read, and recognised as
    // unchanged (same identifiers, land use and geometry).
    let have_gdal = Command::new("ogr2ogr").arg("--version").output().is_ok();
    if have_gdal {
        let made = Command::new("ogr2ogr")
            .args(["-f", "GPKG", "parcels.gpkg", "parcels.geojson"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", text(&made.stderr));
        let out = run(
            dir.path(),
            &[
                "classify",
                "--db",
                "demo.db",
                "--year",
                "2025",
                "--county",
                "513402",
                "--units",
                "parcels.gpkg",
            ],
        );
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            text(&out.stderr)
        );
        assert!(
            stdout.contains("units parcels.gpkg: 0 added, 0 changed, 3 unchanged"),
            "{stdout}"
        );
    } else {
        eprintln!("ogr2ogr not installed: the GeoPackage units import is not exercised here");
    }

    // Bad settings name the option.
    let out = run(
        dir.path(),
        &[
            "classify",
            "--db",
            "demo.db",
            "--year",
            "2025",
            "--aggregation",
            "most",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--aggregation 'most'"),
        "{}",
        text(&out.stderr)
    );
}
