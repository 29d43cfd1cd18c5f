//! `soilwatch bench` (issue 12): generate a dataset of a chosen size with the demo generator and
//! measure, each figure beside a baseline measured in the same run: import rows/s into SQLite and
//! PostgreSQL (raw CSV parse; plain `COPY`), evaluation rows/s (raw CSV parse), classification of
//! one county, kriging of a county grid (PyKrige when Python has it), the API's list queries under
//! concurrent load (p50/p99 against a plain `SELECT count(*) FROM results`), and peak memory.
//!
//! Output: a table on standard output and `--csv FILE` with one row per measurement.

mod data;
mod load;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use soilwatch_classify::ClassifySettings;
use soilwatch_core::DivisionCode;
use soilwatch_geostat::{
    gauss_kruger_3deg, GridSpec, Interpolator, InterpolatorOptions, KrigingParams, Method,
    ModelKind, Sample, Transform, Variogram,
};
use soilwatch_ingest::ParseOptions;
use soilwatch_standards::{evaluate_csv, BatchOptions};
use soilwatch_store::auth::NewUser;
use soilwatch_store::auth_secret::{hash_password, one_time_password};
use soilwatch_store::classification_service::{run_classification, RunRequest};
use soilwatch_store::importer::{import_bytes, ImportOutcome};
use soilwatch_store::{AuthStore, ClassificationStore, NetworkStore, Role, SqlStore};
use sqlx::Row;

use data::{Dataset, Sizes};
use load::Query;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Sizes: default 100,000 points, 1,000,000 samples, at most 10,000,000 results; --quick is 1,000 / \
10,000 / 100,000; --scale N is N times --quick; --points/--samples/--results override either. \
The demo generator writes 4 to 9 results per sample, so the results stop at the sample count or \
the result cap, whichever comes first.\n\
Every figure is printed with its baseline measured in the same run and the ratio. The API load \
starts `soilwatch serve` on 127.0.0.1 with an ephemeral port. Exit codes: 0 measured; 1 failure.")]
pub struct BenchArgs {
    /// The CI size: 1,000 points, 10,000 samples, at most 100,000 results.
    #[arg(long)]
    pub quick: bool,
    /// N times the --quick size (1, 10, 100 …).
    #[arg(long, conflicts_with = "quick")]
    pub scale: Option<usize>,
    /// Number of monitoring points (the generator rounds each county's share: a few more or less).
    #[arg(long)]
    pub points: Option<usize>,
    /// Number of samples.
    #[arg(long)]
    pub samples: Option<usize>,
    /// At most this many results.
    #[arg(long)]
    pub results: Option<usize>,
    /// Also measure PostgreSQL: a server URL (`postgres://user@host/db`); a new database is
    /// created on that server for the run and dropped after it.
    #[arg(long, env = "SOILWATCH_BENCH_PG")]
    pub pg: Option<String>,
    /// Concurrent API clients.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Seconds of API load per database.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Write the measurements as CSV (name, size, value, unit, baseline, ratio, baseline_of).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Working directory for the SQLite database and the generated files (default: a new
    /// directory under the system's temporary directory, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the SQLite database, the generated files and the PostgreSQL database.
    #[arg(long)]
    pub keep: bool,
    /// Seed of the generator.
    #[arg(long, default_value_t = 20_160_531)]
    pub seed: u64,
    /// The county classified and interpolated (GB/T 2260 code).
    #[arg(long, default_value = "513402")]
    pub county: String,
    /// Grid cell (metres) of the classification's units (the county has no parcels).
    #[arg(long, default_value_t = ClassifySettings::default().grid_cell_m)]
    pub classify_cell_m: f64,
    /// Skip the Python (PyKrige) baseline even when Python has it.
    #[arg(long)]
    pub no_python: bool,
}

impl BenchArgs {
    fn sizes(&self) -> Sizes {
        let base = if self.quick {
            Sizes::QUICK
        } else if let Some(n) = self.scale {
            Sizes::QUICK.times(n)
        } else {
            Sizes::DEFAULT
        };
        Sizes {
            points: self.points.unwrap_or(base.points),
            samples: self.samples.unwrap_or(base.samples),
            results: self.results.unwrap_or(base.results),
        }
    }
}

/// Makes a [`Measurement`] of the run's size: name, value, unit, baseline, what the baseline is.
type MakeMeasurement<'a> = dyn Fn(&str, f64, &'static str, Option<f64>, &str) -> Measurement + 'a;

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub name: String,
    pub size: String,
    pub value: f64,
    pub unit: &'static str,
    pub baseline: Option<f64>,
    /// What the baseline is.
    pub baseline_of: String,
}

impl Measurement {
    pub fn ratio(&self) -> Option<f64> {
        self.baseline
            .filter(|b| *b != 0.0 && b.is_finite())
            .map(|b| self.value / b)
    }
}

/// Peak resident memory of this process, across the resets that measure one step at a time.
struct Memory {
    peak_mb: f64,
}

impl Memory {
    /// Fold the peak so far in and start a new peak (Linux ≥ 4.0: `clear_refs` 5).
    fn reset(&mut self) {
        self.peak_mb = self.peak_mb.max(proc_status_mb("self", "VmHWM:"));
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    fn overall(&self) -> f64 {
        self.peak_mb.max(proc_status_mb("self", "VmHWM:"))
    }
}

/// A line of /proc/<pid>/status in MB (`VmHWM`: peak resident memory, `VmRSS`: now); NaN when
/// unreadable (not Linux).
fn proc_status_mb(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = proc_meminfo_gb();
    format!("{cpu}, {cores} cores, {mem:.1} GB memory")
}

fn proc_meminfo_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0)
}

/// Rows of a CSV read as raw byte records (the csv crate): rows/s and the row count.
/// An error unless the outcome is an import.
fn check_import(outcome: &ImportOutcome) -> anyhow::Result<()> {
    match outcome {
        ImportOutcome::Imported { .. } => Ok(()),
        ImportOutcome::Rejected { report } => {
            let first: Vec<String> = report
                .issues
                .iter()
                .take(5)
                .map(|i| format!("row {:?} {:?}: {}", i.row, i.column, i.message_en))
                .collect();
            bail!(
                "import rejected: {}; {}",
                report.summary(),
                first.join("; ")
            )
        }
        other => bail!("import: {}", other.summary_line()),
    }
}

/// Rows per second of a plain CSV parse of the files (read from disk, as the import reads them).
fn raw_csv_parse(files: &[PathBuf]) -> anyhow::Result<(f64, usize)> {
    let t = Instant::now();
    let mut n = 0usize;
    for f in files {
        let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(
            std::fs::File::open(f).with_context(|| format!("{}", f.display()))?,
        ));
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record)? {
            n += 1;
        }
    }
    Ok((n as f64 / t.elapsed().as_secs_f64(), n))
}

fn import_options() -> ParseOptions {
    ParseOptions::new("bench-results.csv", chrono::Local::now().date_naive())
}

/// Where one database lives.
enum Backend {
    Sqlite { path: PathBuf },
    Postgres { base: String },
}

impl Backend {
    fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }
}

/// Run `soilwatch bench`.
pub async fn run(args: BenchArgs) -> anyhow::Result<u8> {
    let sizes = args.sizes();
    if args.clients == 0 || args.duration == 0 {
        bail!("--clients 与 --duration 须大于 0 / --clients and --duration must be greater than 0");
    }
    let county: DivisionCode = args
        .county
        .parse()
        .map_err(|e| anyhow::anyhow!("--county '{}': {e}", args.county))?;
    let (dir, made_dir) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("soilwatch-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("无法创建目录 / cannot create {}", dir.display()))?;
    let mut mem = Memory { peak_mb: 0.0 };
    println!("soilwatch bench {}", env!("CARGO_PKG_VERSION"));
    println!("machine: {}", machine());
    println!("load average before: {}", load_average());
    println!(
        "asked: {} points, {} samples, at most {} results; {} clients for {} s per database",
        sizes.points, sizes.samples, sizes.results, args.clients, args.duration
    );

    let t = Instant::now();
    let ds = data::generate(sizes, args.seed, county, &dir)?;
    println!(
        "generated (demo generator, seed {}): {} points, {} samples, {} results, {} years ending {} in {:.1} s; \
         results files {:.1} MB in {} chunks; generator peak memory {:.0} MB",
        args.seed,
        ds.points.len(),
        ds.samples,
        ds.results,
        ds.first_year,
        ds.end_year,
        t.elapsed().as_secs_f64(),
        ds.results_bytes as f64 / 1e6,
        ds.results_files.len(),
        proc_status_mb("self", "VmHWM:")
    );
    let size = ds.size_label();
    let mut out: Vec<Measurement> = Vec::new();
    let m =
        |name: &str, value: f64, unit: &'static str, baseline: Option<f64>, of: &str| Measurement {
            name: name.to_owned(),
            size: size.clone(),
            value,
            unit,
            baseline,
            baseline_of: of.to_owned(),
        };

    // Baselines of the files: the raw speed of parsing them.
    let (raw_results, n) = raw_csv_parse(&ds.results_files)?;
    if n != ds.results_csv_rows {
        bail!("raw parse read {n} rows of {}", ds.results_csv_rows);
    }

    // Evaluation.
    mem.reset();
    let (raw_eval, n) = raw_csv_parse(std::slice::from_ref(&ds.evaluate_file))?;
    if n != ds.evaluate_csv_rows {
        bail!("raw parse read {n} rows of {}", ds.evaluate_csv_rows);
    }
    let t = Instant::now();
    let summary = evaluate_csv(
        std::io::BufReader::new(std::fs::File::open(&ds.evaluate_file)?),
        std::io::sink(),
        None,
        &BatchOptions::default(),
    )
    .context("evaluation")?;
    let secs = t.elapsed().as_secs_f64();
    if summary.rows != n as u64 || !summary.row_errors.is_empty() {
        bail!(
            "evaluation read {} rows of {n}, {} rejected",
            summary.rows,
            summary.row_errors.len()
        );
    }
    out.push(m(
        "evaluate GB 15618 (rows/s)",
        n as f64 / secs,
        "rows/s",
        Some(raw_eval),
        "raw CSV parse of the same file",
    ));

    // Interpolation of the county grid.
    interpolation(&ds, county, &dir, args.no_python, &mut out, &m)?;

    // The databases.
    let mut backends = vec![Backend::Sqlite {
        path: dir.join("bench.db"),
    }];
    if let Some(base) = &args.pg {
        backends.push(Backend::Postgres { base: base.clone() });
    }
    for backend in &backends {
        database(
            backend,
            &ds,
            county,
            &args,
            raw_results,
            &mut mem,
            &mut out,
            &m,
        )
        .await
        .with_context(|| format!("{} benchmark", backend.label()))?;
    }

    out.push(m(
        "peak memory of the bench process",
        mem.overall(),
        "MB",
        None,
        "",
    ));
    println!("load average after: {}", load_average());
    print_table(&out);
    if let Some(path) = &args.csv {
        write_csv(path, &out)?;
        println!("written {}", path.display());
    }
    if made_dir && !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("files kept in {}", dir.display());
    }
    Ok(0)
}

/// Ordinary kriging of ln Cd over a 200 × 200 grid covering the county's soil points (their
/// newest sample), in the county's Gauss–Krüger zone; PyKrige on the same job when present.
fn interpolation(
    ds: &Dataset,
    county: DivisionCode,
    dir: &Path,
    no_python: bool,
    out: &mut Vec<Measurement>,
    m: &MakeMeasurement<'_>,
) -> anyhow::Result<()> {
    let newest = &ds.county_cd;
    let locations: std::collections::HashMap<&str, (f64, f64)> = ds
        .points
        .iter()
        .map(|p| {
            (
                p.point.code.as_str(),
                (p.point.location.lon(), p.point.location.lat()),
            )
        })
        .collect();
    let mut lonlat: Vec<(f64, f64, f64)> = newest
        .iter()
        .filter_map(|(code, (_, v))| locations.get(code.as_str()).map(|(x, y)| (*x, *y, v.ln())))
        .collect();
    lonlat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if lonlat.len() < 10 {
        bail!(
            "县 {county} 只有 {} 个有镉结果的土壤点位，至少需要 10 个 / county {county} has {} soil \
             points with a Cd result; at least 10 expected (a larger size or another --county)",
            lonlat.len(),
            lonlat.len()
        );
    }
    let mean_lon = lonlat.iter().map(|p| p.0).sum::<f64>() / lonlat.len() as f64;
    let gk = gauss_kruger_3deg(mean_lon)?;
    let mut samples = Vec::with_capacity(lonlat.len());
    for (lon, lat, v) in &lonlat {
        let (x, y) = gk.project_point(*lon, *lat)?;
        samples.push(Sample { x, y, value: *v });
    }
    let n_cells = 200usize;
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for s in &samples {
        x0 = x0.min(s.x);
        y0 = y0.min(s.y);
        x1 = x1.max(s.x);
        y1 = y1.max(s.y);
    }
    let cell = ((x1 - x0).max(y1 - y0) / n_cells as f64).max(1.0);
    let spec = GridSpec {
        x_min: x0,
        y_min: y0,
        cell_size: cell,
        ncols: n_cells,
        nrows: n_cells,
    };
    // The variogram of the geostat benchmark and its PyKrige baseline (benches/baseline.py).
    let variogram = Variogram::new(ModelKind::Spherical, 0.0005, 0.01, 12_000.0)?;
    let t = Instant::now();
    let interp = Interpolator::new(
        &samples,
        &InterpolatorOptions {
            crs: soilwatch_geostat::Crs::Projected,
            method: Method::OrdinaryKriging(KrigingParams::with_variogram(variogram)),
            transform: Transform::None,
        },
    )?;
    let grid = interp.grid(&spec)?;
    let secs = t.elapsed().as_secs_f64();
    let filled = grid.estimate.iter().filter(|v| v.is_finite()).count();
    if filled == 0 {
        bail!("kriging estimated no cell");
    }
    let k = soilwatch_geostat::DEFAULT_NEIGHBORS;
    let baseline = if no_python {
        None
    } else {
        pykrige(dir, &samples, &spec, k)?
    };
    let of = match baseline {
        Some(_) => format!("PyKrige, same points, grid and variogram, k = {k}"),
        None => "PyKrige not installed (python3 -c 'import pykrige' fails)".to_owned(),
    };
    println!(
        "kriging: county {county}, {} points, {n_cells} × {n_cells} cells of {cell:.0} m, k = {k}",
        samples.len()
    );
    out.push(m(
        &format!("krige county {county} grid 200x200 (ms)"),
        secs * 1e3,
        "ms",
        baseline,
        &of,
    ));
    Ok(())
}

/// The geostat benchmark's PyKrige job on the same points and grid: milliseconds, or None when
/// Python or PyKrige is missing.
fn pykrige(
    dir: &Path,
    samples: &[Sample],
    spec: &GridSpec,
    k: usize,
) -> anyhow::Result<Option<f64>> {
    let has = std::process::Command::new("python3")
        .args(["-c", "import pykrige, numpy"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        return Ok(None);
    }
    let script = dir.join("baseline.py");
    std::fs::write(
        &script,
        include_str!("../../../soilwatch_geostat/benches/baseline.py"),
    )?;
    let points = dir.join("krige-points.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&points)?);
    writeln!(f, "x,y,z")?;
    for s in samples {
        writeln!(f, "{},{},{}", s.x, s.y, s.value)?;
    }
    f.flush()?;
    drop(f);
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg("pykrige")
        .arg(&points)
        .arg(dir.join("krige-out.f64"))
        .args([
            spec.x_min.to_string(),
            spec.y_min.to_string(),
            spec.cell_size.to_string(),
            spec.ncols.to_string(),
            k.to_string(),
        ])
        .output()
        .context("python3 baseline.py")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let seconds = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("seconds="))
        .and_then(|s| s.parse::<f64>().ok());
    match seconds {
        Some(s) if output.status.success() => Ok(Some(s * 1e3)),
        _ => bail!(
            "PyKrige baseline failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// One database: import, classification, API load.
#[allow(clippy::too_many_arguments)]
async fn database(
    backend: &Backend,
    ds: &Dataset,
    county: DivisionCode,
    args: &BenchArgs,
    raw_results: f64,
    mem: &mut Memory,
    out: &mut Vec<Measurement>,
    m: &MakeMeasurement<'_>,
) -> anyhow::Result<()> {
    let label = backend.label();
    let (store, url, pg_name) = match backend {
        Backend::Sqlite { path } => {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
            }
            let url = format!("sqlite://{}", path.display());
            (crate::db::open(&url, true).await?, url, None)
        }
        Backend::Postgres { base } => {
            let (store, name, url) =
                soilwatch_store::conformance::create_pg_database(base, "bench")
                    .await
                    .with_context(|| {
                        format!("无法在 {base} 上建库 / cannot create a database on {base}")
                    })?;
            soilwatch_store::seed::seed(&store).await?;
            (store, url, Some(name))
        }
    };
    let result = measure_database(
        backend,
        &store,
        &url,
        ds,
        county,
        args,
        raw_results,
        mem,
        out,
        m,
    )
    .await;
    match (backend, pg_name) {
        (Backend::Postgres { base }, Some(name)) if !args.keep => {
            soilwatch_store::conformance::drop_pg_database(base, store, &name).await;
        }
        _ => {
            store.close().await;
            if args.keep {
                println!("{label} database kept: {url}");
            }
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn measure_database(
    backend: &Backend,
    store: &SqlStore,
    url: &str,
    ds: &Dataset,
    county: DivisionCode,
    args: &BenchArgs,
    raw_results: f64,
    mem: &mut Memory,
    out: &mut Vec<Measurement>,
    m: &MakeMeasurement<'_>,
) -> anyhow::Result<()> {
    let label = backend.label();
    let version: String = match backend {
        Backend::Sqlite { .. } => sqlx::query("SELECT sqlite_version() AS v")
            .fetch_one(store.pool())
            .await?
            .try_get("v")?,
        Backend::Postgres { .. } => sqlx::query("SELECT version() AS v")
            .fetch_one(store.pool())
            .await?
            .try_get("v")?,
    };
    println!("\n== {label}: {version}");

    // The points (as the network registry stores them), then the results file through the
    // whole import: read, map, validate, write in one transaction.
    let change = soilwatch_store::demo::demo_change();
    let t = Instant::now();
    for chunk in ds.points.chunks(10_000) {
        store.create_points(chunk, &change).await?;
    }
    println!(
        "{} points registered in {:.1} s",
        ds.points.len(),
        t.elapsed().as_secs_f64()
    );
    mem.reset();
    let before = proc_status_mb("self", "VmRSS:");
    // Issue 12: the files one after another (one batch each), so that memory stays flat.
    let t = Instant::now();
    let mut stored = 0usize;
    for f in &ds.results_files {
        let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
        let outcome = import_bytes(store, &bytes, &import_options(), "bench", None).await?;
        check_import(&outcome)?;
        if let ImportOutcome::Imported { batch, .. } = &outcome {
            stored += batch.results as usize;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let peak = proc_status_mb("self", "VmHWM:");
    if stored != ds.results_csv_rows {
        bail!("import stored {stored} results of {}", ds.results_csv_rows);
    }
    let rate = ds.results_csv_rows as f64 / secs;
    let copy = match backend {
        Backend::Postgres { .. } => {
            Some(plain_copy(url, &ds.results_files, ds.results_csv_rows).await?)
        }
        Backend::Sqlite { .. } => None,
    };
    match copy {
        Some(c) => {
            out.push(m(
                &format!("import {label} (rows/s)"),
                rate,
                "rows/s",
                Some(c),
                "plain PostgreSQL COPY of the same rows (no validation, no constraints)",
            ));
            out.push(m(
                &format!("import {label} vs raw parse (rows/s)"),
                rate,
                "rows/s",
                Some(raw_results),
                "raw CSV parse of the same file",
            ));
        }
        None => out.push(m(
            &format!("import {label} (rows/s)"),
            rate,
            "rows/s",
            Some(raw_results),
            "raw CSV parse of the same file",
        )),
    }
    out.push(m(
        &format!("import {label} peak RSS (MB)"),
        peak,
        "MB",
        Some(before),
        "RSS before the import (the generated data and file in memory)",
    ));

    sqlx::query("ANALYZE").execute(store.pool()).await?;

    // Classification of one county's units.
    let t = Instant::now();
    let run = run_classification(
        store,
        &RunRequest {
            year: ds.end_year,
            division: Some(county),
            settings: ClassifySettings {
                grid_cell_m: args.classify_cell_m,
                ..ClassifySettings::default()
            },
            actor: "bench".into(),
        },
    )
    .await
    .context("classification")?;
    let secs = t.elapsed().as_secs_f64();
    let units = store.run_units(run.id, false).await?.len();
    if units == 0 {
        bail!("classification of {county} produced no unit");
    }
    println!("classification of {county}: {units} units in {:.2} s", secs);
    out.push(m(
        &format!("classify county {county} {label} ({units} units, ms)"),
        secs * 1e3,
        "ms",
        None,
        "none (no comparable tool)",
    ));

    // The API under load.
    let token = bench_token(store).await?;
    api_load(store, url, ds, county, args, &token, label, out, m).await
}

/// A viewer with an API token, as a GIS client signs in.
async fn bench_token(store: &SqlStore) -> anyhow::Result<String> {
    let user = store
        .create_user(&NewUser {
            username: "bench-viewer".into(),
            display_name: "bench".into(),
            role: Role::Viewer,
            department: None,
            password_hash: hash_password(&one_time_password()?)?,
        })
        .await?;
    crate::user::issue_token(store, &user, "bench".into()).await
}

/// Plain `COPY` of the same CSV into a table without constraints: rows/s.
async fn plain_copy(url: &str, files: &[PathBuf], rows: usize) -> anyhow::Result<f64> {
    use sqlx::Connection;
    use std::io::Read as _;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let columns = match files.first() {
        Some(f) => std::fs::read_to_string(f)?
            .lines()
            .next()
            .map_or(0, |h| h.split(',').count()),
        None => 0,
    };
    let cols: Vec<String> = (0..columns).map(|i| format!("c{i} text")).collect();
    sqlx::raw_sql(&format!("CREATE TABLE bench_copy ({})", cols.join(", ")))
        .execute(&mut conn)
        .await?;
    // One COPY per file, read in pieces of 1 MiB (the files as the import reads them).
    let t = Instant::now();
    let mut n = 0;
    let mut part = vec![0u8; 1 << 20];
    for f in files {
        let mut file = std::fs::File::open(f)?;
        let mut copy = conn
            .copy_in_raw("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)")
            .await?;
        loop {
            let got = file.read(&mut part)?;
            if got == 0 {
                break;
            }
            copy.send(&part[..got]).await?;
        }
        n += copy.finish().await?;
    }
    let secs = t.elapsed().as_secs_f64();
    sqlx::raw_sql("DROP TABLE bench_copy")
        .execute(&mut conn)
        .await?;
    if n as usize != rows {
        bail!("COPY stored {n} rows of {rows}");
    }
    Ok(rows as f64 / secs)
}

#[allow(clippy::too_many_arguments)]
async fn api_load(
    store: &SqlStore,
    url: &str,
    ds: &Dataset,
    county: DivisionCode,
    args: &BenchArgs,
    token: &str,
    label: &str,
    out: &mut Vec<Measurement>,
    m: &MakeMeasurement<'_>,
) -> anyhow::Result<()> {
    let server = load::Server::start(url)?;
    let pid = server.pid().to_string();
    let year = ds.end_year;
    let mut queries = vec![
        Query {
            name: "points: county, type basic".into(),
            path: format!("/api/v1/points?division={county}&type=basic&limit=100"),
        },
        Query {
            name: "samples: county, soil, year".into(),
            path: format!("/api/v1/samples?division={county}&medium=soil&year={year}&limit=100"),
        },
        Query {
            name: "results: county, Cd, 3 years".into(),
            path: format!(
                "/api/v1/results?division={county}&analyte=Cd&from={}-01-01&to={year}-12-31&limit=100",
                year - 2
            ),
        },
    ];
    // Keyset pages: follow the cursor of a county's results and of all points up to page 5.
    let mut client = load::Client::connect(server.addr, token).await?;
    let keyset = [
        (
            format!("/api/v1/results?division={county}&limit=100"),
            "results: county, keyset page",
        ),
        ("/api/v1/points?limit=100".to_owned(), "points: keyset page"),
    ];
    for (base, name) in keyset {
        let mut path = base.clone();
        let mut depth = 1;
        for _ in 0..4 {
            let r = client.get(&path).await?;
            if r.status != 200 {
                bail!(
                    "GET {path}: HTTP {}: {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                );
            }
            match r.next_cursor {
                Some(c) => {
                    path = format!("{base}&cursor={c}");
                    depth += 1;
                }
                None => break,
            }
        }
        if depth == 1 {
            bail!("{name}: the first page has no next cursor; the dataset is too small");
        }
        queries.push(Query {
            name: format!("{name} {depth}"),
            path,
        });
    }
    drop(client);

    // Server memory during the load, sampled.
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        let pid = pid.clone();
        tokio::spawn(async move {
            let mut max = 0.0f64;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                max = max.max(proc_status_mb(&pid, "VmRSS:"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            max
        })
    };
    let rss_before = proc_status_mb(&pid, "VmRSS:");
    let load = load::run_load(
        server.addr,
        token,
        &queries,
        args.clients,
        Duration::from_secs(args.duration),
    )
    .await?;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let rss_max = sampler.await.unwrap_or(f64::NAN);
    let hwm = proc_status_mb(&pid, "VmHWM:");
    drop(server);
    if !load.failures.is_empty() {
        bail!(
            "{} failed requests under load, e.g. {}",
            load.failures.len(),
            load.failures[0]
        );
    }

    // Baseline: a plain count of the results table, one at a time.
    let mut counts = Vec::new();
    let started = Instant::now();
    let mut rows = 0i64;
    while counts.len() < 200 && (counts.len() < 5 || started.elapsed() < Duration::from_secs(5)) {
        let t = Instant::now();
        rows = sqlx::query("SELECT count(*) AS n FROM results")
            .fetch_one(store.pool())
            .await?
            .try_get("n")?;
        counts.push(t.elapsed());
    }
    counts.sort();
    if rows as usize != ds.results_csv_rows {
        bail!("{rows} results stored, {} expected", ds.results_csv_rows);
    }
    let (c50, c99) = (
        load::quantile_ms(&counts, 0.5),
        load::quantile_ms(&counts, 0.99),
    );
    println!(
        "API load: {} clients, {} requests in {:.1} s ({:.0} requests/s); SELECT count(*) p50 {c50:.2} ms, p99 {c99:.2} ms ({} runs)",
        args.clients,
        load.requests,
        load.elapsed.as_secs_f64(),
        load.requests as f64 / load.elapsed.as_secs_f64(),
        counts.len()
    );
    for q in &queries {
        let lat = load
            .latencies
            .get(&q.name)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if lat.is_empty() {
            bail!("{}: no request answered", q.name);
        }
        println!("  {:<32} {:>6} requests  {}", q.name, lat.len(), q.path);
        out.push(m(
            &format!("API {label} {} p50 (ms)", q.name),
            load::quantile_ms(lat, 0.5),
            "ms",
            Some(c50),
            "p50 of SELECT count(*) FROM results",
        ));
        out.push(m(
            &format!("API {label} {} p99 (ms)", q.name),
            load::quantile_ms(lat, 0.99),
            "ms",
            Some(c99),
            "p99 of SELECT count(*) FROM results",
        ));
    }
    out.push(m(
        &format!(
            "API {label} throughput, {} clients (requests/s)",
            args.clients
        ),
        load.requests as f64 / load.elapsed.as_secs_f64(),
        "req/s",
        None,
        "",
    ));
    out.push(m(
        &format!("server {label} RSS during the load (MB)"),
        rss_max.max(hwm),
        "MB",
        Some(rss_before),
        "server RSS before the load",
    ));
    Ok(())
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() >= 1000.0 {
        let s = format!("{:.0}", v);
        // thousands separators
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut outs = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                outs.push(',');
            }
            outs.push(ch);
        }
        format!("{sign}{outs}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn print_table(rows: &[Measurement]) {
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(10);
    println!();
    println!(
        "{:<width$}  {:>14} {:<7} {:>14} {:>8}  baseline",
        "measurement", "value", "unit", "baseline", "ratio"
    );
    for r in rows {
        println!(
            "{:<width$}  {:>14} {:<7} {:>14} {:>8}  {}",
            r.name,
            fmt_num(r.value),
            r.unit,
            r.baseline.map_or("—".into(), fmt_num),
            r.ratio().map_or("—".into(), |x| format!("{x:.3}")),
            r.baseline_of
        );
    }
}

fn write_csv(path: &Path, rows: &[Measurement]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("无法写入 / cannot write {}", path.display()))?;
    w.write_record([
        "name",
        "size",
        "value",
        "unit",
        "baseline",
        "ratio",
        "baseline_of",
    ])?;
    for r in rows {
        w.write_record([
            r.name.clone(),
            r.size.clone(),
            format!("{}", r.value),
            r.unit.to_owned(),
            r.baseline.map(|b| b.to_string()).unwrap_or_default(),
            r.ratio().map(|x| x.to_string()).unwrap_or_default(),
            r.baseline_of.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
