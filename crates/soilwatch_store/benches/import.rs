//! Import benchmark (issue 4): N long-form result rows (default 1,000,000; `IMPORT_BENCH_ROWS`)
//! through the whole import (read, map, normalise, validate, commit in one transaction) into
//! SQLite and, when `SOILWATCH_TEST_PG` is set, PostgreSQL; printed beside the speed of only
//! parsing + validating the same file, and of a plain PostgreSQL `COPY` of the same rows without
//! validation (psql `\copy`, when psql is installed).
//!
//! Run: `cargo bench -p soilwatch_store --bench import`

use std::fmt::Write as _;
use std::time::Instant;

use soilwatch_ingest::ParseOptions;
use soilwatch_store::importer::{import_bytes, validate_bytes, ImportOutcome};
use soilwatch_store::{conformance, connect, seed, Store};

const ANALYTES: [(&str, &str, f64); 10] = [
    ("镉", "mg/kg", 0.3),
    ("汞", "mg/kg", 0.2),
    ("砷", "mg/kg", 12.0),
    ("铅", "mg/kg", 35.0),
    ("铬", "mg/kg", 80.0),
    ("铜", "mg/kg", 30.0),
    ("镍", "mg/kg", 35.0),
    ("锌", "mg/kg", 90.0),
    ("pH", "无量纲", 6.5),
    ("有机质", "g/kg", 25.0),
];

const COUNTIES: [(&str, f64, f64); 4] = [
    ("513401", 102.26, 27.89),
    ("513424", 102.18, 27.40),
    ("513433", 102.18, 28.55),
    ("513428", 102.54, 27.38),
];

/// A deterministic long-form results file.
fn generate(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 110);
    s.push_str("样品编号,样品类型,采样日期,行政区划代码,土地利用类型,经度,纬度,检测项目,检测值,单位,检出限\n");
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 10_000.0
    };
    let samples = rows.div_ceil(ANALYTES.len());
    let mut written = 0;
    'outer: for i in 0..samples {
        let (county, lon, lat) = COUNTIES[i % COUNTIES.len()];
        let land = if i % 3 == 0 { "水田" } else { "旱地" };
        let day = 1 + i % 28;
        // One location per sample, as a lab sheet has it.
        let (x, y) = (lon + 0.01 * next(), lat + 0.01 * next());
        for (name, unit, typical) in ANALYTES {
            if written == rows {
                break 'outer;
            }
            let v = typical * (0.5 + next());
            let _ = writeln!(
                s,
                "B-{i:07},土壤,2023-06-{day:02},{county},{land},{x:.5},{y:.5},{name},{v:.3},{unit},0.01"
            );
            written += 1;
        }
    }
    s
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn import_into(store: &dyn Store, bytes: &[u8], rows: usize, label: &str) -> f64 {
    let opts = ParseOptions::new(
        "bench.csv",
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
    );
    let t = Instant::now();
    let out = import_bytes(store, bytes, &opts, "bench", None)
        .await
        .expect("import");
    let secs = t.elapsed().as_secs_f64();
    match out {
        ImportOutcome::Imported { batch, .. } => assert_eq!(batch.results as usize, rows),
        other => panic!("{label}: {}", other.summary_line()),
    }
    let rate = rows as f64 / secs;
    println!("{label:<40} {secs:>8.2} s {rate:>12.0} rows/s");
    rate
}

fn main() {
    let rows: usize = std::env::var("IMPORT_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let text = generate(rows);
    let bytes = text.as_bytes();
    println!(
        "import benchmark: {rows} long-form result rows, {:.1} MB",
        bytes.len() as f64 / 1e6
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    let opts = ParseOptions::new(
        "bench.csv",
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
    );
    let t = Instant::now();
    let report = validate_bytes(bytes, &opts).expect("validate");
    let parse_secs = t.elapsed().as_secs_f64();
    assert!(!report.has_errors(), "{}", report.summary());
    let parse_rate = rows as f64 / parse_secs;
    println!(
        "{:<40} {parse_secs:>8.2} s {parse_rate:>12.0} rows/s",
        "parse + validate only (no database)"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let sqlite_rate = rt.block_on(async {
        let store = connect(path.to_str().expect("path")).await.expect("sqlite");
        store.migrate().await.expect("migrate");
        seed::seed(&store).await.expect("seed");
        let r = import_into(&store, bytes, rows, "import into SQLite").await;
        store.close().await;
        r
    });
    println!(
        "  SQLite: {:.2}× the parse-only speed; target ≥ 300,000 rows/s: {}",
        sqlite_rate / parse_rate,
        if sqlite_rate >= 300_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );

    if let Ok(base) = std::env::var("SOILWATCH_TEST_PG") {
        let pg_rate = rt.block_on(async {
            let (store, name) = conformance::fresh_pg_database(&base, "bench_import").await;
            seed::seed(&store).await.expect("seed");
            let r = import_into(&store, bytes, rows, "import into PostgreSQL").await;
            conformance::drop_pg_database(&base, store, &name).await;
            r
        });
        // Plain COPY of the same rows, no validation.
        let csv_path = dir.path().join("bench.csv");
        std::fs::write(&csv_path, bytes).expect("write csv");
        let table = format!("bench_copy_{}", std::process::id());
        let ddl = format!(
            "CREATE TABLE {table} (code text, medium text, sampled_on text, division text, land_use text, \
             lon double precision, lat double precision, analyte text, value text, unit text, dl text)"
        );
        let psql = |sql: &str| {
            std::process::Command::new("psql")
                .args([&base, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
                .output()
        };
        match psql(&ddl) {
            Ok(o) if o.status.success() => {
                let t = Instant::now();
                let copy = psql(&format!(
                    "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)",
                    csv_path.display()
                ))
                .expect("psql");
                let secs = t.elapsed().as_secs_f64();
                let _ = psql(&format!("DROP TABLE {table}"));
                if copy.status.success() {
                    let copy_rate = rows as f64 / secs;
                    println!(
                        "{:<40} {secs:>8.2} s {copy_rate:>12.0} rows/s",
                        "plain COPY (psql \\copy, no validation)"
                    );
                    println!(
                        "  PostgreSQL: {:.0} % of plain COPY (target ≥ 80 %), {:.2}× the parse-only speed",
                        100.0 * pg_rate / copy_rate,
                        pg_rate / parse_rate
                    );
                }
            }
            _ => println!("plain COPY baseline skipped: psql is not available"),
        }
    } else {
        println!("PostgreSQL skipped: SOILWATCH_TEST_PG is not set");
    }
    println!(
        "peak resident memory of the whole benchmark: {:.0} MB",
        peak_rss_mb()
    );
}
