//! `soilwatch bench` end to end with the real binary, on a small dataset: every measurement is
//! there, with finite, positive numbers and ratios that are value ÷ baseline; SQLite always,
//! PostgreSQL too when SOILWATCH_TEST_PG is set. No timing thresholds: the machine is shared.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::collections::BTreeMap;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("bench")
        .args(args)
        .env_remove("SOILWATCH_DB")
        .env_remove("SOILWATCH_BENCH_PG")
        .env("SOILWATCH_LOG", "warn")
        .output()
        .unwrap()
}

struct Row {
    size: String,
    value: f64,
    unit: String,
    baseline: Option<f64>,
    ratio: Option<f64>,
}

#[test]
fn bench_measures_everything_with_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("bench.csv");
    let work = dir.path().join("work");
    let pg = std::env::var("SOILWATCH_TEST_PG").ok();
    let mut args = vec![
        "--points",
        "300",
        "--samples",
        "1500",
        "--results",
        "100000",
        "--clients",
        "4",
        "--duration",
        "2",
        "--no-python",
        "--classify-cell-m",
        "10000",
        "--csv",
        csv_path.to_str().unwrap(),
        "--dir",
        work.to_str().unwrap(),
    ];
    if let Some(url) = &pg {
        args.extend(["--pg", url]);
    }
    let out = bench(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("machine: "), "{stdout}");
    assert!(stdout.contains("load average before: "), "{stdout}");

    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "name",
            "size",
            "value",
            "unit",
            "baseline",
            "ratio",
            "baseline_of"
        ]
    );
    let num = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().unwrap());
    let rows: BTreeMap<String, Row> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_owned(),
                Row {
                    size: r[1].to_owned(),
                    value: r[2].parse().unwrap(),
                    unit: r[3].to_owned(),
                    baseline: num(&r[4]),
                    ratio: num(&r[5]),
                },
            )
        })
        .collect();

    // The size: 300 points give 302 (the demo generator rounds each county's share), 1,500
    // samples exactly (the result cap is not reached), and the results the generator wrote for
    // them: 4 (water) to 9 (soil) per sample.
    let size = &rows.values().next().unwrap().size;
    let parts: Vec<usize> = size.split('/').map(|p| p.parse().unwrap()).collect();
    assert_eq!(&parts[..2], &[302, 1500], "{size}");
    assert!((1500 * 4..=1500 * 9).contains(&parts[2]), "{size}");
    assert!(rows.values().all(|r| &r.size == size));

    let mut expected: Vec<String> = vec![
        "evaluate GB 15618 (rows/s)".into(),
        "krige county 513402 grid 200x200 (ms)".into(),
        "peak memory of the bench process".into(),
    ];
    let mut dbs = vec!["sqlite"];
    if pg.is_some() {
        dbs.push("postgres");
        expected.push("import postgres vs raw parse (rows/s)".into());
    }
    for db in &dbs {
        expected.push(format!("import {db} (rows/s)"));
        expected.push(format!("import {db} peak RSS (MB)"));
        expected.push(format!("API {db} throughput, 4 clients (requests/s)"));
        expected.push(format!("server {db} RSS during the load (MB)"));
        for q in [
            "points: county, type basic",
            "samples: county, soil, year",
            "results: county, Cd, 3 years",
            "results: county, keyset page 5",
            "points: keyset page 4",
        ] {
            expected.push(format!("API {db} {q} p50 (ms)"));
            expected.push(format!("API {db} {q} p99 (ms)"));
        }
        let classify = rows
            .keys()
            .filter(|k| k.starts_with(&format!("classify county 513402 {db} (")))
            .count();
        assert_eq!(classify, 1, "{db}: {:?}", rows.keys());
    }
    for name in &expected {
        assert!(rows.contains_key(name), "missing {name}: {:?}", rows.keys());
    }
    assert_eq!(rows.len(), expected.len() + dbs.len(), "{:?}", rows.keys());

    for (name, r) in &rows {
        assert!(r.value.is_finite() && r.value > 0.0, "{name}: {}", r.value);
        match (r.baseline, r.ratio) {
            (Some(b), Some(ratio)) => {
                assert!(b.is_finite() && b > 0.0, "{name}: baseline {b}");
                assert!(
                    (ratio - r.value / b).abs() <= 1e-9 * ratio.abs(),
                    "{name}: {ratio} ≠ {} / {b}",
                    r.value
                );
            }
            (None, None) => {}
            other => panic!("{name}: baseline and ratio {other:?}"),
        }
        if r.unit == "MB" {
            assert!(r.value > 1.0 && r.value < 8192.0, "{name}: {} MB", r.value);
        }
    }
    // Every figure with a baseline but these: the classification (no comparable tool), kriging
    // without PyKrige (--no-python), the throughput and the process's peak memory.
    for (name, r) in &rows {
        let without = name.starts_with("classify ")
            || name.starts_with("krige ")
            || name.contains("throughput")
            || name.starts_with("peak memory");
        assert_eq!(r.baseline.is_none(), without, "{name}");
    }
    // Rates and latencies in their units.
    assert_eq!(rows["import sqlite (rows/s)"].unit, "rows/s");
    assert_eq!(
        rows["API sqlite results: county, Cd, 3 years p99 (ms)"].unit,
        "ms"
    );
    let p50 = rows["API sqlite results: county, Cd, 3 years p50 (ms)"].value;
    let p99 = rows["API sqlite results: county, Cd, 3 years p99 (ms)"].value;
    assert!(p50 <= p99, "p50 {p50} > p99 {p99}");
    // The working directory given with --dir is kept (the table names it), the table is printed.
    assert!(stdout.contains("measurement"), "{stdout}");
    assert!(stdout.contains("import sqlite (rows/s)"), "{stdout}");
}

#[test]
fn too_small_a_dataset_is_refused_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let out = bench(&[
        "--points",
        "5",
        "--dir",
        dir.path().to_str().unwrap(),
        "--no-python",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("至少 17 个点位"), "{stderr}");
    assert!(stderr.contains("at least 17 points"), "{stderr}");
}
