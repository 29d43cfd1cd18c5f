//! End-to-end: the real `soilwatch interpolate` on small files (fixtures/interpolate/).

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/interpolate")
        .join(name)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("interpolate").args(args).current_dir(dir);
    for var in [
        "SOILWATCH_INTERPOLATE_METHOD",
        "SOILWATCH_VARIOGRAM",
        "SOILWATCH_NEIGHBORS",
        "SOILWATCH_IDW_POWER",
        "SOILWATCH_SEARCH_RADIUS",
        "SOILWATCH_CRS",
        "SOILWATCH_TRANSFORM",
        "SOILWATCH_VARIOGRAM_LAGS",
        "SOILWATCH_VARIOGRAM_LAG_WIDTH",
        "SOILWATCH_VARIOGRAM_MAX_DISTANCE",
        "SOILWATCH_EPSG",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn points() -> String {
    fixture("points.csv").display().to_string()
}

fn relative_eq(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs())
}

#[test]
fn targets_get_estimate_and_variance_equal_to_pykrige() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            &points(),
            "--x",
            "x",
            "--y",
            "y",
            "--value",
            "value",
            "--method",
            "ok",
            "--variogram",
            "spherical:nugget=0.0005,psill=0.006,range=900",
            "--neighbors",
            "16",
            "--targets",
            fixture("targets.csv").to_str().unwrap(),
            "--output",
            "out.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let targets = std::fs::read_to_string(fixture("targets.csv")).unwrap();
    let expected = std::fs::read_to_string(fixture("expected_spherical_k16.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y,estimate,variance"));
    let rows: Vec<&str> = lines.collect();
    let expected: Vec<&str> = expected.lines().skip(2).collect();
    let target_rows: Vec<&str> = targets.lines().skip(1).collect();
    assert_eq!(rows.len(), 25);
    for ((row, want), target) in rows.iter().zip(&expected).zip(&target_rows) {
        // The target row comes back as it was, with two columns appended.
        assert!(row.starts_with(&format!("{target},")), "{row}");
        let got: Vec<f64> = row.split(',').skip(2).map(|v| v.parse().unwrap()).collect();
        let want: Vec<f64> = want.split(',').map(|v| v.parse().unwrap()).collect();
        assert!(relative_eq(got[0], want[0], 1e-6), "{got:?} vs {want:?}");
        assert!(relative_eq(got[1], want[1], 1e-6), "{got:?} vs {want:?}");
    }
}

#[test]
fn idw_targets_have_an_empty_variance() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            &points(),
            "--x",
            "x",
            "--y",
            "y",
            "--value",
            "value",
            "--method",
            "idw",
            "--power",
            "2",
            "--targets",
            fixture("targets.csv").to_str().unwrap(),
            "--output",
            "idw.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("idw.csv")).unwrap();
    for row in text.lines().skip(1) {
        assert!(row.ends_with(','), "{row}");
        let est: f64 = row.split(',').nth(2).unwrap().parse().unwrap();
        assert!((0.1..0.6).contains(&est), "{row}");
    }
}

#[test]
fn lonlat_with_bom_and_chinese_headers_keeps_the_rows_and_the_bom() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            fixture("lonlat_bom.csv").to_str().unwrap(),
            "--x",
            "经度",
            "--y",
            "纬度",
            "--value",
            "镉",
            "--crs",
            "lonlat",
            "--transform",
            "log",
            "--variogram",
            "exponential:nugget=0.01,psill=0.05,range=1000",
            "--targets",
            fixture("lonlat_targets.csv").to_str().unwrap(),
            "--output",
            "out.csv",
            "--cv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("29 points"), "{err}");
    assert!(err.contains("1 rows without a value skipped"), "{err}");
    assert!(err.contains("central meridian 102°E"), "{err}");
    let bytes = std::fs::read(dir.path().join("out.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "地块,经度,纬度,estimate,variance");
    assert!(lines[1].starts_with("A,102.205,27.905,"));
    let fields: Vec<&str> = lines[2].split(',').collect();
    let est: f64 = fields[3].parse().unwrap();
    let var: f64 = fields[4].parse().unwrap();
    assert!((0.1..0.6).contains(&est) && var > 0.0, "{}", lines[2]);
    // --cv prints the three statistics on stdout.
    let cv = String::from_utf8(out.stdout).unwrap();
    assert!(cv.contains("(29 points)"), "{cv}");
    for stat in ["mean_error\t", "rmse\t", "msse\t"] {
        let line = cv.lines().find(|l| l.starts_with(stat)).unwrap();
        let v: f64 = line[stat.len()..].parse().unwrap();
        assert!(v.is_finite(), "{line}");
    }
}

fn gdalinfo(path: &Path) -> Option<String> {
    match Command::new("gdalinfo").arg("-stats").arg(path).output() {
        Ok(o) => {
            assert!(o.status.success(), "gdalinfo failed: {}", stderr(&o));
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        Err(_) => {
            eprintln!("gdalinfo not found: skipping the GDAL check (apt-get install gdal-bin)");
            None
        }
    }
}

#[test]
fn grids_as_esri_ascii_and_geotiff_open_in_gdal() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "--input",
        &points(),
        "--x",
        "x",
        "--y",
        "y",
        "--value",
        "value",
        "--variogram",
        "gaussian:nugget=0.0002,psill=0.006,range=700",
        "--cell-size",
        "100",
        "--epsg",
        "4543",
    ];
    let out = run(dir.path(), &[&base[..], &["--output", "grid.asc"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let asc = std::fs::read_to_string(dir.path().join("grid.asc")).unwrap();
    assert!(asc.starts_with("ncols 19\nnrows 14\n"), "{asc}");
    assert!(dir.path().join("grid.prj").exists());
    assert!(dir.path().join("grid.variance.asc").exists());
    let out = run(dir.path(), &[&base[..], &["--output", "grid.tif"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tif = std::fs::read(dir.path().join("grid.tif")).unwrap();
    assert_eq!(&tif[..4], b"II*\0");
    if let Some(info) = gdalinfo(&dir.path().join("grid.tif")) {
        assert!(info.contains("Size is 19, 14"), "{info}");
        assert!(info.contains("CM 102E"), "{info}");
        assert!(info.contains("Pixel Size = (100.000000000000000,-100.000000000000000)"));
        assert!(info.contains("Band 2"), "{info}");
        assert!(info.contains("NoData Value=-9999"), "{info}");
    }
    if let Some(info) = gdalinfo(&dir.path().join("grid.asc")) {
        assert!(info.contains("Size is 19, 14"), "{info}");
        assert!(info.contains("CM 102E"), "{info}");
    }
}

#[test]
fn lonlat_grid_is_in_degrees_with_cgcs2000() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            fixture("lonlat_bom.csv").to_str().unwrap(),
            "--x",
            "经度",
            "--y",
            "纬度",
            "--value",
            "镉",
            "--crs",
            "lonlat",
            "--method",
            "idw",
            "--cell-size",
            "200",
            "--output",
            "ll.tif",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    if let Some(info) = gdalinfo(&dir.path().join("ll.tif")) {
        assert!(
            info.contains("China Geodetic Coordinate System 2000"),
            "{info}"
        );
        assert!(info.contains("ID[\"EPSG\",4490]"), "{info}");
        assert!(!info.contains("Band 2"), "IDW has no variance band: {info}");
    }
}

#[test]
fn a_bad_number_is_rejected_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            fixture("bad_value.csv").to_str().unwrap(),
            "--x",
            "x",
            "--y",
            "y",
            "--value",
            "value",
            "--cv",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad_value.csv line 3, column 'value'"),
        "{err}"
    );
    assert!(err.contains("'0.3x' is not a number"), "{err}");
    assert!(err.contains("第 3 行"), "{err}");
}

#[test]
fn rejected_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = points();
    let common = ["--input", p.as_str(), "--x", "x", "--y", "y"];
    for (extra, needle) in [
        (
            vec!["--value", "cd", "--cv"],
            "column 'cd' not found (header has: x, y, value)",
        ),
        (
            vec![
                "--value",
                "value",
                "--variogram",
                "cubic:psill=1,range=2",
                "--cv",
            ],
            "--variogram",
        ),
        (
            vec!["--value", "value", "--cell-size", "10", "--output", "g.png"],
            "expected a name ending in .asc or .tif",
        ),
        (vec!["--value", "value"], "nothing to do"),
        (
            vec!["--value", "value", "--crs", "lonlat", "--cv"],
            "is not a longitude",
        ),
        (
            vec!["--value", "value", "--method", "idw", "--power=-1", "--cv"],
            "power",
        ),
    ] {
        let out = run(dir.path(), &[&common[..], &extra[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{extra:?}: {}", stderr(&out));
    }
}

#[test]
fn an_unwritable_output_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input",
            &points(),
            "--x",
            "x",
            "--y",
            "y",
            "--value",
            "value",
            "--method",
            "idw",
            "--targets",
            fixture("targets.csv").to_str().unwrap(),
            "--output",
            "no/such/dir/out.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
}

#[test]
fn a_missing_input_file_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "--input", "nope.csv", "--x", "x", "--y", "y", "--value", "v", "--cv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read nope.csv"),
        "{}",
        stderr(&out)
    );
}
