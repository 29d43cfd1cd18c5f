//! Import benchmark (issue 4): N long-form result rows (100,000 and 1,000,000 by default;
//! `IMPORT_BENCH_ROWS=a,b,…`) through the whole import (read, map, normalise, validate, write in
//! one transaction) into SQLite and, when `SOILWATCH_TEST_PG` is set, PostgreSQL; printed beside
//! the raw speed of just parsing the same file (csv crate), of parsing + validating it without a
//! database, and of a plain PostgreSQL `COPY` of the same rows without validation, with the peak
//! resident memory of each import.
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

/// A line of /proc/self/status in MB (`VmHWM`: peak resident memory; `VmRSS`: now).
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Reset the peak-RSS mark (Linux ≥ 4.0), so that the next `VmHWM` is the peak of what follows.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn opts() -> ParseOptions {
    ParseOptions::new(
        "bench.csv",
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
    )
}

/// Import, check the counts, print rows/s and the peak memory of the import; returns rows/s.
async fn import_into(store: &dyn Store, bytes: &[u8], rows: usize, label: &str) -> f64 {
    reset_peak();
    let before = status_mb("VmRSS:");
    let t = Instant::now();
    let out = import_bytes(store, bytes, &opts(), "bench", None)
        .await
        .expect("import");
    let secs = t.elapsed().as_secs_f64();
    let peak = status_mb("VmHWM:");
    match out {
        ImportOutcome::Imported { batch, .. } => assert_eq!(batch.results as usize, rows),
        other => panic!("{label}: {}", other.summary_line()),
    }
    let rate = rows as f64 / secs;
    println!(
        "{label:<44} {secs:>8.2} s {rate:>12.0} rows/s   peak RSS {peak:>6.0} MB ({before:.0} MB before: the file's bytes and the benchmark)"
    );
    rate
}

/// Plain PostgreSQL `COPY` of the same CSV into a table without constraints, on one native
/// connection: rows/s.
async fn plain_copy(url: &str, bytes: &[u8], rows: usize) -> f64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("pg");
    let table = format!("bench_copy_{}", std::process::id());
    sqlx::raw_sql(&format!(
        "CREATE TABLE {table} (code text, medium text, sampled_on text, division text, land_use text, \
         lon double precision, lat double precision, analyte text, value text, unit text, dl text)"
    ))
    .execute(&mut conn)
    .await
    .expect("create");
    let t = Instant::now();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
        ))
        .await
        .expect("copy");
    for part in bytes.chunks(1 << 20) {
        copy.send(part).await.expect("send");
    }
    let n = copy.finish().await.expect("finish");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n as usize, rows);
    sqlx::raw_sql(&format!("DROP TABLE {table}"))
        .execute(&mut conn)
        .await
        .expect("drop");
    let rate = rows as f64 / secs;
    println!(
        "{:<44} {secs:>8.2} s {rate:>12.0} rows/s",
        "plain PostgreSQL COPY (no validation)"
    );
    rate
}

fn run(rows: usize, rt: &tokio::runtime::Runtime) {
    let text = generate(rows);
    let bytes = text.as_bytes();
    println!(
        "\n== {rows} long-form result rows, {:.1} MB; load average {}",
        bytes.len() as f64 / 1e6,
        load()
    );

    // Baseline: the raw speed of just parsing the file (csv crate, byte records).
    let t = Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0_usize;
    while reader.read_byte_record(&mut record).expect("csv") {
        n += 1;
    }
    assert_eq!(n, rows);
    let raw_secs = t.elapsed().as_secs_f64();
    let raw_rate = rows as f64 / raw_secs;
    println!(
        "{:<44} {raw_secs:>8.2} s {raw_rate:>12.0} rows/s",
        "raw CSV parse (csv crate, byte records)"
    );

    let t = Instant::now();
    let report = validate_bytes(bytes, &opts()).expect("validate");
    let parse_secs = t.elapsed().as_secs_f64();
    assert!(!report.has_errors(), "{}", report.summary());
    let parse_rate = rows as f64 / parse_secs;
    println!(
        "{:<44} {parse_secs:>8.2} s {parse_rate:>12.0} rows/s",
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
        "  SQLite: {:.3}× the raw CSV parse, {:.2}× parse + validate; target ≥ 300,000 rows/s: {}",
        sqlite_rate / raw_rate,
        sqlite_rate / parse_rate,
        if sqlite_rate >= 300_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );

    if let Ok(base) = std::env::var("SOILWATCH_TEST_PG") {
        let (pg_rate, copy_rate) = rt.block_on(async {
            let (store, name) = conformance::fresh_pg_database(&base, "bench_import").await;
            seed::seed(&store).await.expect("seed");
            let r = import_into(&store, bytes, rows, "import into PostgreSQL").await;
            conformance::drop_pg_database(&base, store, &name).await;
            (r, plain_copy(&base, bytes, rows).await)
        });
        println!(
            "  PostgreSQL: {:.0} % of plain COPY (target ≥ 80 %): {}; {:.2}× parse + validate",
            100.0 * pg_rate / copy_rate,
            if pg_rate >= 0.8 * copy_rate {
                "met"
            } else {
                "NOT met"
            },
            pg_rate / parse_rate
        );
    } else {
        println!("PostgreSQL skipped: SOILWATCH_TEST_PG is not set");
    }
    println!("load average after: {}", load());
}

fn main() {
    // `IMPORT_BENCH_ROWS=100000,1000000` (the default): each size in turn, so that growth shows.
    let sizes: Vec<usize> = std::env::var("IMPORT_BENCH_ROWS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for rows in sizes {
        run(rows, &rt);
    }
}
