//! End-to-end batch evaluation benchmark (`cargo bench -p soilwatch_standards`).
//!
//! Generates 1,000,000 result rows (125,000 samples × 8 metals) as CSV in a temp dir, evaluates
//! them with [`soilwatch_standards::evaluate_slice`] (bytes in → CSV out, one core; also timed with
//! the file read, as `soilwatch evaluate` does), prints rows/s,
//! and, when `python3 -c 'import pandas'` works, runs the vectorised pandas baseline in
//! `benches/pandas_baseline.py` on the same file and prints the ratio and the class agreement.
//!
//! `EVAL_BENCH_RUNS=N` sets the number of timed runs (best of N, default 5); `EVAL_BENCH_ONLY=1`
//! stops after them (no detail file, no pandas), for counting instructions:
//! `EVAL_BENCH_RUNS=1 EVAL_BENCH_ONLY=1 valgrind --tool=callgrind
//! --toggle-collect='*evaluate_slice*' target/release/deps/evaluate-…`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use soilwatch_standards::{evaluate_csv, evaluate_slice, BatchOptions};

const SAMPLES: usize = 125_000;
const ANALYTES: [(&str, f64); 8] = [
    ("Cd", 0.4),
    ("Hg", 0.8),
    ("As", 30.0),
    ("Pb", 100.0),
    ("Cr", 200.0),
    ("Cu", 60.0),
    ("Ni", 70.0),
    ("Zn", 200.0),
];

/// A small deterministic generator (xorshift64*), so the file is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn generate() -> String {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut s = String::with_capacity(SAMPLES * 8 * 48);
    s.push_str("sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier\n");
    let land_uses = ["paddy", "upland", "orchard", "rotation"];
    for i in 0..SAMPLES {
        let lu = land_uses[i % 4];
        let ph = if i % 50 == 0 {
            String::new()
        } else {
            format!("{:.2}", 4.5 + rng.unit() * 4.0)
        };
        for (code, typical) in ANALYTES {
            // log-normal-ish spread around a typical value: most below screening, some above
            let v = typical * (0.2 + rng.unit() * rng.unit() * 4.0);
            let r = rng.unit();
            if r < 0.03 {
                let _ = writeln!(
                    s,
                    "LS{i:07},{lu},{ph},{code},,mg/kg,{:.3},ND",
                    typical * 0.05
                );
            } else if r < 0.08 {
                let _ = writeln!(s, "LS{i:07},{lu},{ph},{code},{:.1},ug/kg,,", v * 1000.0);
            } else {
                let _ = writeln!(s, "LS{i:07},{lu},{ph},{code},{v:.3},mg/kg,,");
            }
        }
    }
    s
}

/// Nanoseconds this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`), to show the
/// one-core rate when the machine is shared; `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// The load average (1, 5, 15 minutes) from `/proc/loadavg`, to record beside the timings.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn pandas_available() -> bool {
    Command::new("python3")
        .args(["-c", "import pandas"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input_path = dir.path().join("results.csv");
    let csv = generate();
    std::fs::write(&input_path, &csv).expect("write input");
    let rows = csv.lines().count() - 1;
    println!(
        "input: {} rows, {} samples, {:.1} MB at {}",
        rows,
        SAMPLES,
        csv.len() as f64 / 1e6,
        input_path.display()
    );

    // End to end: the file's bytes in, the output CSV bytes out; best of N runs
    // (EVAL_BENCH_RUNS, default 5).
    let runs: usize = std::env::var("EVAL_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    println!("load average before: {}", load_average());
    let mut best = f64::INFINITY;
    let mut best_cpu = f64::INFINITY;
    let mut best_file = f64::INFINITY;
    let mut out = Vec::new();
    for _ in 0..runs {
        out.clear();
        let cpu0 = cpu_ns();
        let t0 = Instant::now();
        // As `soilwatch evaluate` does: the file read whole, then evaluated where it lies.
        let bytes = std::fs::read(&input_path).expect("read input");
        let t = Instant::now();
        let summary =
            evaluate_slice(&bytes, &mut out, None, &BatchOptions::default()).expect("evaluate");
        let secs = t.elapsed().as_secs_f64();
        let file_secs = t0.elapsed().as_secs_f64();
        assert_eq!(summary.samples as usize, SAMPLES);
        assert!(summary.row_errors.is_empty());
        best = best.min(secs);
        best_file = best_file.min(file_secs);
        if let (Some(a), Some(b)) = (cpu0, cpu_ns()) {
            best_cpu = best_cpu.min((b - a) as f64 / 1e9);
        }
        drop(bytes);
    }
    let rust_rate = rows as f64 / best;
    println!("soilwatch evaluate_slice: {best:.3} s, {rust_rate:.0} rows/s (wall clock, bytes in memory to CSV out, best of {runs}, one thread)");
    println!(
        "soilwatch evaluate (file read included): {best_file:.3} s, {:.0} rows/s (wall clock, best of {runs})",
        rows as f64 / best_file
    );
    if best_cpu.is_finite() {
        println!(
            "soilwatch evaluate (file read included): {best_cpu:.3} s on CPU, {:.0} rows/s per core (time actually scheduled, best of {runs})",
            rows as f64 / best_cpu
        );
    }
    println!("load average after: {}", load_average());
    let out_path = dir.path().join("out_rust.csv");
    std::fs::write(&out_path, &out).expect("write output");

    // EVAL_BENCH_ONLY=1: the runs above alone (for `valgrind --tool=callgrind`).
    if std::env::var_os("EVAL_BENCH_ONLY").is_some() {
        return;
    }

    // With the detail file as well.
    let bytes = std::fs::read(&input_path).expect("read input");
    let mut detail = Vec::new();
    let t = Instant::now();
    evaluate_csv(
        &bytes[..],
        Vec::new(),
        Some(&mut detail),
        &BatchOptions::default(),
    )
    .expect("evaluate");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "soilwatch evaluate_csv with --detail: {secs:.3} s, {:.0} rows/s",
        rows as f64 / secs
    );

    if !pandas_available() {
        println!("pandas baseline: skipped (python3 -c 'import pandas' failed)");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pandas_baseline.py");
    let pandas_out = dir.path().join("out_pandas.csv");
    let o = Command::new("python3")
        .arg(&script)
        .arg(&input_path)
        .arg(&pandas_out)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let Some(pandas_secs) = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("seconds="))
        .and_then(|s| s.trim().parse::<f64>().ok())
    else {
        println!(
            "pandas baseline failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return;
    };
    let pandas_rate = rows as f64 / pandas_secs;
    println!("pandas baseline: {pandas_secs:.3} s, {pandas_rate:.0} rows/s");
    println!(
        "ratio soilwatch / pandas: {:.1}x (wall clock both)",
        rust_rate / pandas_rate
    );
    println!("load average after pandas: {}", load_average());

    // Agreement of the class column (pandas uses floats; soilwatch decimals).
    let ours = String::from_utf8(out).expect("utf-8");
    let theirs = std::fs::read_to_string(&pandas_out).expect("pandas output");
    let class = |l: &str| l.split(',').nth(3).unwrap_or_default().to_owned();
    let agree = ours
        .lines()
        .zip(theirs.lines())
        .skip(1)
        .filter(|(a, b)| class(a) == class(b))
        .count();
    println!("class agreement with pandas: {agree} of {SAMPLES} samples");
}
