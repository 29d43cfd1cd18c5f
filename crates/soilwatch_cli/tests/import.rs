//! `soilwatch import`, `validate` and `template`, driving the real binary on real files:
//! UTF-8 CSV, GBK CSV, XLSX; re-import; a bad last row; a correction with history.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

use soilwatch_store::{connect, Entity, Store};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .env("SOILWATCH_UPLOADER", "lab-test")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CSV: &str =
    "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,经度,纬度,检测项目,检测值,单位,检出限\n\
S-1,土壤,2024-05-06,513401,水田,102.26,27.89,镉,0.32,mg/kg,0.01\n\
S-1,土壤,2024-05-06,513401,水田,102.26,27.89,pH,6.1,无量纲,\n\
S-2,土壤,2024-05-07,513401,旱地,102.27,27.88,铅,41,mg/kg,0.1\n";

async fn sample_count(db: &Path) -> i64 {
    let store = connect(db.to_str().unwrap()).await.unwrap();
    let n = store.count_samples().await.unwrap();
    store.close().await;
    n
}

#[tokio::test]
async fn import_reimport_reject_and_correct() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.csv"), CSV).unwrap();
    let out = run(
        d,
        &[
            "import",
            "a.csv",
            "--db",
            "t.db",
            "--department",
            "eco-env-513400",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("imported 3 rows as batch 1"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sample_count(&d.join("t.db")).await, 2);

    // The same file again, under another name: unchanged.
    std::fs::copy(d.join("a.csv"), d.join("copy.csv")).unwrap();
    let out = run(d, &["import", "copy.csv", "--db", "t.db"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        "unchanged: already imported as batch 1"
    );

    // The last row is bad: nothing stored, exit 2, the report names row and column.
    let bad = "样品编号,样品类型,采样日期,行政区划代码,检测项目,检测值,单位\n\
               S-3,土壤,2024-05-06,513401,镉,0.2,mg/kg\n\
               S-4,土壤,2099-05-06,513401,镉,0.2,mg/kg\n";
    std::fs::write(d.join("bad.csv"), bad).unwrap();
    let out = run(
        d,
        &[
            "import",
            "bad.csv",
            "--db",
            "t.db",
            "--report",
            "bad-report.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("rejected: 1 errors, nothing stored"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("row 3"), "{}", stderr(&out));
    let report = std::fs::read(d.join("bad-report.csv")).unwrap();
    assert!(
        report.starts_with(&[0xEF, 0xBB, 0xBF]),
        "report has a BOM for Excel"
    );
    let report = String::from_utf8_lossy(&report);
    assert!(
        report.contains("bad.csv") && report.contains("2099-05-06"),
        "{report}"
    );
    assert_eq!(sample_count(&d.join("t.db")).await, 2);

    // A corrected file: S-2's lead changes; the old value stays in the history.
    std::fs::write(d.join("fix.csv"), CSV.replace(",铅,41,", ",铅,14,")).unwrap();
    let out = run(d, &["import", "fix.csv", "--db", "t.db"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 corrections, 2 unchanged"),
        "{}",
        stdout(&out)
    );
    let store = connect(d.join("t.db").to_str().unwrap()).await.unwrap();
    let s2 = store.get_sample("S-2").await.unwrap();
    let pb = &s2.results[0];
    assert_eq!(pb.result.value.unwrap().to_string(), "14");
    let h = store
        .history(Entity::Result, &pb.id.to_string())
        .await
        .unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].data["value"], "41");
    assert!(h[0].reason.contains("a.csv"), "{}", h[0].reason);
    assert_eq!(h[1].data["value"], "14");
    store.close().await;
}

#[tokio::test]
async fn gbk_and_xlsx_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(CSV);
    assert!(!unmappable);
    std::fs::write(d.join("gbk.csv"), &gbk).unwrap();
    let out = run(d, &["import", "gbk.csv", "--db", "g.db"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("imported 3 rows"),
        "{}",
        stdout(&out)
    );

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in CSV.replace("S-", "X-").lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            match cell.parse::<f64>() {
                Ok(v) if r > 0 && c >= 5 => ws.write_number(r, c, v).unwrap(),
                _ => ws.write_string(r, c, cell).unwrap(),
            };
        }
    }
    wb.save(d.join("x.xlsx")).unwrap();
    let out = run(d, &["import", "x.xlsx", "--db", "g.db"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("imported 3 rows as batch 2"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sample_count(&d.join("g.db")).await, 4);
}

#[test]
fn validate_needs_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Longitude and latitude swapped on the second row.
    let csv = CSV.replace("102.27,27.88", "27.88,102.27");
    std::fs::write(d.join("v.csv"), csv).unwrap();
    let out = run(d, &["validate", "v.csv", "--report", "v.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("row 4"), "{}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("v.json")).unwrap()).unwrap();
    assert_eq!(report["errors"], 1);
    assert!(!report["skipped_rules"].as_array().unwrap().is_empty());
    assert!(!d.join("soilwatch.db").exists());
    std::fs::write(d.join("ok.csv"), CSV).unwrap();
    let out = run(d, &["validate", "ok.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn templates_round_trip_through_validate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (kind, format) in [
        ("results", "xlsx"),
        ("results", "csv"),
        ("points", "xlsx"),
        ("points", "csv"),
    ] {
        let file = format!("t-{kind}.{format}");
        let out = run(
            d,
            &[
                "template", "--kind", kind, "--format", format, "--output", &file,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let bytes = std::fs::read(d.join(&file)).unwrap();
        if format == "xlsx" {
            assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
        } else {
            assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
            assert!(String::from_utf8_lossy(&bytes).contains("样品编号") || kind == "points");
        }
        let out = run(d, &["validate", &file, "--kind", kind]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
    }
    let out = run(d, &["template", "--kind", "moon", "--output", "x"]);
    assert_eq!(out.status.code(), Some(1));
}
