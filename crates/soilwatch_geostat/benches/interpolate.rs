//! Interpolation benchmark (issue 6): 10,000 and 50,000 points to a 500 × 500 grid with k = 32,
//! IDW and ordinary kriging, with time and peak memory; PyKrige (10,000 points only) and SciPy
//! cKDTree IDW measured in the same run when Python has them, with the ratios.
//!
//! `cargo bench -p soilwatch_geostat` (optionally `-- --quick` for 10,000 points only,
//! `-- --no-python` to skip the baselines, `-- --idw-only` to skip kriging). The load average is
//! printed before and after each size: the machine is shared.

#![expect(clippy::unwrap_used, reason = "benchmark: a panic is a failed run")]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use soilwatch_geostat::{
    Crs, GridSpec, IdwParams, Interpolator, InterpolatorOptions, KrigingParams, Method, ModelKind,
    Sample, Transform, Variogram, VariogramSpec,
};

const SIDE: f64 = 50_000.0; // a 50 km × 50 km area, metres
const CELLS: usize = 500;
const K: usize = 32;

/// Deterministic pseudo-random numbers (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn points(n: usize) -> Vec<Sample> {
    let mut rng = Rng(42 + n as u64);
    (0..n)
        .map(|_| {
            let x = 500_000.0 + rng.next() * SIDE;
            let y = 3_080_000.0 + rng.next() * SIDE;
            let value = 0.3
                + 0.1 * ((x - 500_000.0) / 7_000.0).sin()
                + 0.1 * ((y - 3_080_000.0) / 5_000.0).cos()
                + 0.03 * (rng.next() - 0.5);
            Sample { x, y, value }
        })
        .collect()
}

fn variogram() -> Variogram {
    Variogram::new(ModelKind::Spherical, 0.0005, 0.01, 12_000.0).unwrap()
}

fn grid_spec() -> GridSpec {
    let cell = SIDE / CELLS as f64;
    GridSpec {
        x_min: 500_000.0,
        y_min: 3_080_000.0,
        cell_size: cell,
        ncols: CELLS,
        nrows: CELLS,
    }
}

/// Peak resident memory since the last reset, MB (Linux; 0 elsewhere).
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time (user + system, all threads) of this process so far, seconds (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0) // USER_HZ is 100 on Linux
        })
        .unwrap_or(0.0)
}

/// The 1, 5 and 15 minute load averages (Linux; "?" elsewhere).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

fn reset_peak() {
    // "5" resets the peak RSS (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Run {
    seconds: f64,
    cpu: f64,
    peak_mb: f64,
    estimate: Vec<f64>,
}

/// Build the interpolator and compute the grid: what a user waits for.
fn run(pts: &[Sample], method: Method) -> Run {
    let opts = InterpolatorOptions {
        crs: Crs::Projected,
        method,
        transform: Transform::None,
    };
    reset_peak();
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let interp = Interpolator::new(pts, &opts).unwrap();
    let grid = interp.grid(&grid_spec()).unwrap();
    let seconds = t.elapsed().as_secs_f64();
    Run {
        seconds,
        cpu: cpu_seconds() - cpu0,
        peak_mb: peak_mb(),
        estimate: grid.estimate,
    }
}

fn best_of(reps: usize, f: impl Fn() -> Run) -> Run {
    let mut best: Option<Run> = None;
    for _ in 0..reps {
        let r = f();
        if best.as_ref().is_none_or(|b| r.seconds < b.seconds) {
            best = Some(r);
        }
    }
    best.unwrap()
}

struct Baseline {
    seconds: f64,
    cpu: f64,
    peak_mb: f64,
    estimate: Vec<f64>,
}

/// Run `baseline.py JOB` on the points; None when Python or the package is missing.
fn python(dir: &Path, job: &str, n: usize) -> Option<Baseline> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline.py");
    let out = dir.join(format!("{job}_{n}.f64"));
    let output = Command::new("python3")
        .arg(&script)
        .arg(job)
        .arg(dir.join(format!("points_{n}.csv")))
        .arg(&out)
        .args([
            "500000",
            "3080000",
            &(SIDE / CELLS as f64).to_string(),
            &CELLS.to_string(),
            &K.to_string(),
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "  {job}: skipped ({})",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("python3 failed")
        );
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> Option<f64> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
    };
    let bytes = std::fs::read(&out).ok()?;
    let estimate = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    Some(Baseline {
        seconds: field("seconds=")?,
        cpu: field("cpu=")?,
        peak_mb: field("peak_mb=")?,
        estimate,
    })
}

/// Largest |a − b| relative to the data range, over cells both estimated.
fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let diff = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-12))
        .fold(0.0, f64::max);
    diff
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let use_python = !args.iter().any(|a| a == "--no-python");
    let idw_only = args.iter().any(|a| a == "--idw-only");
    let dir = tempfile::tempdir().unwrap();
    println!(
        "interpolation benchmark: 500 × 500 grid, k = {K}, {} rayon threads",
        rayon::current_num_threads()
    );
    let sizes: &[usize] = if quick { &[10_000] } else { &[10_000, 50_000] };
    for &n in sizes {
        let pts = points(n);
        {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(dir.path().join(format!("points_{n}.csv"))).unwrap(),
            );
            writeln!(f, "x,y,value").unwrap();
            for p in &pts {
                writeln!(f, "{},{},{}", p.x, p.y, p.value).unwrap();
            }
        }
        println!("\n{n} points (load average {})", load_average());
        let idw = best_of(3, || {
            run(
                &pts,
                Method::Idw(IdwParams {
                    power: 2.0,
                    neighbors: K,
                    radius: None,
                }),
            )
        });
        println!(
            "  soilwatch IDW:              {:7.3} s  (CPU {:7.3} s)  peak {:6.0} MB",
            idw.seconds, idw.cpu, idw.peak_mb
        );
        let ok = (!idw_only).then(|| {
            best_of(3, || {
                run(
                    &pts,
                    Method::OrdinaryKriging(KrigingParams {
                        variogram: VariogramSpec::Fixed(variogram()),
                        neighbors: K,
                        radius: None,
                    }),
                )
            })
        });
        if let Some(ok) = &ok {
            println!(
                "  soilwatch ordinary kriging: {:7.3} s  (CPU {:7.3} s)  peak {:6.0} MB",
                ok.seconds, ok.cpu, ok.peak_mb
            );
        }
        if !use_python {
            println!("  (load average after: {})", load_average());
            continue;
        }
        if let Some(b) = python(dir.path(), "scipy_idw", n) {
            println!(
                "  SciPy cKDTree IDW:          {:7.3} s  (CPU {:7.3} s)  peak {:6.0} MB  → soilwatch {:.1}× faster (CPU {:.1}×; max rel. diff {:.1e})",
                b.seconds,
                b.cpu,
                b.peak_mb,
                b.seconds / idw.seconds,
                b.cpu / idw.cpu,
                max_rel_diff(&idw.estimate, &b.estimate)
            );
        }
        if let (true, Some(ok)) = (n <= 10_000, &ok) {
            if let Some(b) = python(dir.path(), "pykrige", n) {
                println!(
                    "  PyKrige ordinary kriging:   {:7.3} s  (CPU {:7.3} s)  peak {:6.0} MB  → soilwatch {:.1}× faster (CPU {:.1}×; max rel. diff {:.1e})",
                    b.seconds,
                    b.cpu,
                    b.peak_mb,
                    b.seconds / ok.seconds,
                    b.cpu / ok.cpu,
                    max_rel_diff(&ok.estimate, &b.estimate)
                );
            }
        }
        println!("  (load average after: {})", load_average());
    }
}
