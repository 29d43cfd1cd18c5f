//! Ingest parsing speed (issue 4): generate a long-form results CSV (1,000,000 rows by default,
//! `INGEST_BENCH_ROWS` to change), then time
//! 1. the baseline: reading the records with the csv crate alone (`ByteRecord`s, no decoding);
//! 2. the full pipeline: read + map + normalise + validate (with the Liangshan boundaries,
//!    point-in-polygon on every row, and a threshold lookup),
//!
//! and print rows/s of both, their ratio and the peak resident memory. Besides wall-clock time,
//! each step's time on a CPU (this thread's run time from `/proc/thread-self/schedstat`) is
//! printed: on a shared, loaded machine rows per CPU-second is the steadier number.
//!
//! Run: `cargo bench -p soilwatch_ingest --bench parse`

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use soilwatch_core::Medium;
use soilwatch_ingest::{open, Boundaries, Context, NoStore, ParseOptions};

const ANALYTES: [(&str, &str); 10] = [
    ("镉", "mg/kg"),
    ("汞", "mg/kg"),
    ("砷", "mg/kg"),
    ("铅", "mg/kg"),
    ("铬", "mg/kg"),
    ("铜", "mg/kg"),
    ("镍", "mg/kg"),
    ("锌", "mg/kg"),
    ("pH", "无量纲"),
    ("有机质", "g/kg"),
];

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Seconds this thread has run on a CPU (`None` where /proc/thread-self/schedstat is missing).
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// `rows/s per CPU-second` text for a step that started at CPU time `cpu0`.
fn cpu_rate(cpu0: Option<f64>, rows: u64) -> (Option<f64>, String) {
    match (cpu0, thread_cpu_s()) {
        (Some(a), Some(b)) if b > a => {
            let rate = rows as f64 / (b - a);
            (
                Some(rate),
                format!(" (on CPU {:.2} s = {rate:.0} rows per CPU-second)", b - a),
            )
        }
        _ => (None, String::new()),
    }
}

fn generate(path: &std::path::Path, rows: usize) -> std::io::Result<u64> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, "样品编号,点位编号,样品类型,采样日期,行政区划代码,经度,纬度,土地利用类型,检测项目,检测值,单位,检出限,检测方法")?;
    let mut n = 0;
    let mut sample = 0u64;
    while n < rows {
        sample += 1;
        // points scattered around Xichang's seat (inside 西昌市)
        let lon = 102.22 + (sample % 97) as f64 * 0.0006;
        let lat = 27.86 + (sample % 89) as f64 * 0.0004;
        let day = 1 + (sample % 28);
        for (i, (name, unit)) in ANALYTES.iter().enumerate() {
            if n == rows {
                break;
            }
            let value = match i {
                0 if sample.is_multiple_of(7) => "<0.01".to_owned(),
                0 => format!("0.{:03}", 50 + sample % 900),
                8 => format!("{}.{}", 5 + sample % 3, sample % 10),
                _ => format!("{}.{:03}", (sample + i as u64) % 90, sample % 1000),
            };
            writeln!(w, "LS{sample:08},,土壤,2024-05-{day:02},513401,{lon:.6},{lat:.6},水田,{name},{value},{unit},0.01,GB/T 17141-1997")?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::var("INGEST_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("results.csv");
    let t = Instant::now();
    let bytes = generate(&path, rows)?;
    println!(
        "generated {rows} rows, {:.1} MB, in {:.2} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // 1. baseline: the csv crate alone
    let cpu0 = thread_cpu_s();
    let t = Instant::now();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::new(File::open(&path)?));
    let mut rec = csv::ByteRecord::new();
    let mut n_base = 0u64;
    while reader.read_byte_record(&mut rec)? {
        n_base += 1;
    }
    let base_s = t.elapsed().as_secs_f64();
    let base_rate = n_base as f64 / base_s;
    let (base_cpu_rate, cpu_text) = cpu_rate(cpu0, n_base);
    println!(
        "baseline csv::ByteRecord read: {n_base} rows in {base_s:.2} s = {base_rate:.0} rows/s{cpu_text}"
    );

    // 2. the pipeline
    let geojson = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/divisions/liangshan_counties.geojson"
    ))?;
    let boundaries = Boundaries::from_geojson(&geojson, "513400".parse()?)?;
    let threshold =
        |code: &str, m: Medium| (m == Medium::Soil && code == "Cd").then(|| Decimal::new(3, 1));
    let ctx = if std::env::var("NOB").is_ok() {
        Context::new(&NoStore)
    } else {
        Context::new(&NoStore)
            .with_boundaries(&boundaries)
            .with_threshold(&threshold)
    };
    let opts = ParseOptions::new(
        "results.csv",
        NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("date")?,
    );
    let cpu0 = thread_cpu_s();
    let t = Instant::now();
    let mut ingest = open(BufReader::new(File::open(&path)?), &opts, &ctx)?;
    let mut results = 0u64;
    for record in ingest.by_ref() {
        if let soilwatch_ingest::Record::Results { results: r, .. } = record {
            results += r.len() as u64;
        }
    }
    let report = ingest.finish()?;
    let full_s = t.elapsed().as_secs_f64();
    let full_rate = report.rows_read as f64 / full_s;
    let (full_cpu_rate, cpu_text) = cpu_rate(cpu0, report.rows_read);
    println!(
        "read+map+normalise+validate: {} rows ({} results, {} errors, {} warnings) in {full_s:.2} s = {full_rate:.0} rows/s{cpu_text}",
        report.rows_read, results, report.errors, report.warnings
    );
    println!(
        "ratio pipeline/baseline: {:.3} (baseline is {:.1}x faster)",
        full_rate / base_rate,
        base_rate / full_rate
    );
    if let (Some(b), Some(f)) = (base_cpu_rate, full_cpu_rate) {
        println!("ratio by CPU time: {:.3}", f / b);
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS of the whole run: {mib:.0} MiB");
    }
    let first_error = report
        .issues
        .iter()
        .find(|i| i.severity == soilwatch_ingest::Severity::Error);
    assert_eq!(
        report.errors, 0,
        "the generated file is valid: {first_error:?}"
    );
    Ok(())
}
