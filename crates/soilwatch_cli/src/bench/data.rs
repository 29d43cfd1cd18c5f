//! The benchmark's dataset: the demo generator (`soilwatch_store::demo`) asked for the number of
//! points and enough years to reach the number of samples, thinned evenly to that number (and
//! to at most the number of results), written as the files the measurements read: long-form
//! results files for `soilwatch import` (chunks of whole samples, at most [`CHUNK_ROWS`] rows
//! each) and a file for `soilwatch evaluate`.
//!
//! Issue 12: nothing grows with the dataset but the points. The generator hands over one sample
//! at a time ([`demo::generate_each`]); it runs once or twice to count the samples (to thin them
//! evenly), then once more writing each kept sample straight to the files, keeping only the
//! newest Cd of the classified county's soil points (for the interpolation).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{Datelike, NaiveDate};
use soilwatch_core::{AnalysisResult, DivisionCode, Medium, Qualifier, SampleWithResults, Unit};
use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::{NetworkPoint, StoreError};

/// Rows of one results file (whole samples: a file ends at the first sample boundary after it).
pub const CHUNK_ROWS: usize = 200_000;

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub points: usize,
    pub samples: usize,
    /// At most this many results (the generator writes 4 to 9 per sample).
    pub results: usize,
}

impl Sizes {
    /// The full size of issue 12: a prefecture's ten years.
    pub const DEFAULT: Sizes = Sizes {
        points: 100_000,
        samples: 1_000_000,
        results: 10_000_000,
    };
    /// `--quick`: a hundredth of the full size, for CI.
    pub const QUICK: Sizes = Sizes {
        points: 1_000,
        samples: 10_000,
        results: 100_000,
    };

    pub fn times(self, n: usize) -> Sizes {
        Sizes {
            points: self.points * n,
            samples: self.samples * n,
            results: self.results * n,
        }
    }
}

/// The generated data: the points in memory, the samples and results in files.
pub struct Dataset {
    pub points: Vec<NetworkPoint>,
    pub samples: usize,
    /// The first and last year sampled.
    pub first_year: i32,
    pub end_year: i32,
    pub results: usize,
    /// Long-form results (one row per result), as `soilwatch import` reads it, in chunks.
    pub results_files: Vec<PathBuf>,
    pub results_bytes: u64,
    pub results_csv_rows: usize,
    /// Soil samples on farmland, one row per metal with the sample's pH, as `soilwatch evaluate`
    /// reads it.
    pub evaluate_file: PathBuf,
    pub evaluate_csv_rows: usize,
    /// The newest Cd result (date, mg/kg) of each soil point of the classified county.
    pub county_cd: HashMap<String, (NaiveDate, f64)>,
}

impl Dataset {
    /// `points/samples/results`, as the CSV output's `size` column has it.
    pub fn size_label(&self) -> String {
        format!("{}/{}/{}", self.points.len(), self.samples, self.results)
    }
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("bench files: {e}"))
}

/// How many samples the generator makes with `opts`.
fn count(opts: &DemoOptions) -> anyhow::Result<usize> {
    let mut n = 0usize;
    demo::generate_each(opts, |_| {
        n += 1;
        Ok(())
    })
    .context("demo generator")?;
    Ok(n)
}

const RESULTS_HEADER: &str = "样品编号,点位编号,样品类型,采样日期,行政区划代码,土地利用类型,农作物,\
                              采样深度上限,采样深度下限,检测机构,检测项目,检测值,单位,检出限,限定符,检测方法\n";

/// The results files being written.
struct Chunks {
    dir: PathBuf,
    files: Vec<PathBuf>,
    out: Option<std::io::BufWriter<std::fs::File>>,
    rows_in_file: usize,
}

impl Chunks {
    fn write(&mut self, text: &str, rows: usize) -> std::io::Result<()> {
        if self.out.is_none() || self.rows_in_file >= CHUNK_ROWS {
            if let Some(mut o) = self.out.take() {
                o.flush()?;
            }
            let path = self
                .dir
                .join(format!("bench-results-{:04}.csv", self.files.len() + 1));
            let mut o = std::io::BufWriter::new(std::fs::File::create(&path)?);
            o.write_all(RESULTS_HEADER.as_bytes())?;
            self.files.push(path);
            self.out = Some(o);
            self.rows_in_file = 0;
        }
        if let Some(o) = self.out.as_mut() {
            o.write_all(text.as_bytes())?;
        }
        self.rows_in_file += rows;
        Ok(())
    }
    fn finish(mut self) -> std::io::Result<Vec<PathBuf>> {
        if let Some(mut o) = self.out.take() {
            o.flush()?;
        }
        Ok(self.files)
    }
}

/// Generate into `dir`: points exactly, samples exactly unless the result cap stops them first.
pub fn generate(
    sizes: Sizes,
    seed: u64,
    county: DivisionCode,
    dir: &Path,
) -> anyhow::Result<Dataset> {
    if sizes.points < 17 || sizes.samples == 0 || sizes.results == 0 {
        bail!(
            "数据规模太小：至少 17 个点位（每县一个）、1 个样品、1 条结果 / the dataset is too small: \
             at least 17 points (one per county), 1 sample and 1 result expected"
        );
    }
    let base = DemoOptions {
        seed,
        points: sizes.points,
        ..DemoOptions::default()
    };
    let mut opts = base;
    let mut total = count(&opts)?;
    // About 5 samples per point in ten years: more years when more samples are asked for.
    if total < sizes.samples {
        let per_year = total.max(1) as f64 / f64::from(opts.years);
        let years = (sizes.samples as f64 / per_year * 1.1).ceil() as i32 + 1;
        opts.years = years.clamp(base.years, 150);
        total = count(&opts)?;
    }
    // Thin evenly (every point keeps some years) to the number of samples, then stop at the
    // result cap: the (k · total / keep)-th sample is the k-th kept.
    let keep = sizes.samples.min(total);
    let mut chunks = Chunks {
        dir: dir.to_owned(),
        files: Vec::new(),
        out: None,
        rows_in_file: 0,
    };
    let eval_path = dir.join("bench-evaluate.csv");
    let mut eval = std::io::BufWriter::new(
        std::fs::File::create(&eval_path)
            .with_context(|| format!("cannot create {}", eval_path.display()))?,
    );
    eval.write_all(b"sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier\n")?;
    let (mut i, mut k, mut results, mut stopped) = (0usize, 0usize, 0usize, false);
    let (mut result_rows, mut eval_rows) = (0usize, 0usize);
    let mut first_year = i32::MAX;
    let mut county_cd: HashMap<String, (NaiveDate, f64)> = HashMap::new();
    let mut text = String::new();
    let data = demo::generate_each(&opts, |sw| {
        let index = i;
        i += 1;
        if stopped || k >= keep || index != k * total / keep {
            return Ok(());
        }
        if results + sw.results.len() > sizes.results {
            stopped = true;
            return Ok(());
        }
        results += sw.results.len();
        k += 1;
        first_year = first_year.min(sw.sample.sampled_on.year());
        text.clear();
        let n = result_rows_of(&sw, &mut text).map_err(|e| StoreError::Backend(e.to_string()))?;
        chunks.write(&text, n).map_err(io_err)?;
        result_rows += n;
        text.clear();
        let n = evaluate_rows_of(&sw, &mut text).map_err(|e| StoreError::Backend(e.to_string()))?;
        eval.write_all(text.as_bytes()).map_err(io_err)?;
        eval_rows += n;
        note_cd(&sw, county, &mut county_cd);
        Ok(())
    })
    .context("demo generator")?;
    eval.flush()?;
    drop(eval);
    let results_files = chunks.finish()?;
    let mut results_bytes = 0;
    for f in &results_files {
        results_bytes += std::fs::metadata(f)?.len();
    }
    Ok(Dataset {
        points: data.points,
        samples: k,
        first_year,
        end_year: opts.end_year,
        results,
        results_files,
        results_bytes,
        results_csv_rows: result_rows,
        evaluate_file: eval_path,
        evaluate_csv_rows: eval_rows,
        county_cd,
    })
}

/// Keep the newest Cd of a soil sample of `county` on a point.
fn note_cd(
    sw: &SampleWithResults,
    county: DivisionCode,
    newest: &mut HashMap<String, (NaiveDate, f64)>,
) {
    let s = &sw.sample;
    if s.division != county || s.medium != Medium::Soil {
        return;
    }
    let Some(point) = s.point_code.as_deref() else {
        return;
    };
    let cd = sw
        .results
        .iter()
        .find(|r| r.analyte == "Cd")
        .and_then(|r| r.value)
        .and_then(|v| v.to_string().parse::<f64>().ok());
    if let Some(cd) = cd.filter(|v| *v > 0.0) {
        let e = newest.entry(point.to_owned()).or_insert((s.sampled_on, cd));
        if s.sampled_on > e.0 {
            *e = (s.sampled_on, cd);
        }
    }
}

fn value_cells(r: &AnalysisResult) -> (String, &'static str) {
    match (r.qualifier, r.value) {
        (Qualifier::NotDetected, _) | (_, None) => ("未检出".into(), "未检出"),
        (_, Some(v)) => (v.to_string(), ""),
    }
}

fn unit_cell(u: Unit) -> &'static str {
    match u {
        Unit::Dimensionless => "无量纲",
        u => u.symbol(),
    }
}

/// The rows of one sample in the results file (the import template's columns).
fn result_rows_of(sw: &SampleWithResults, s: &mut String) -> anyhow::Result<usize> {
    let mut rows = 0;
    {
        let x = &sw.sample;
        let (top, bottom) = x
            .depth_cm
            .map(|(t, b)| (t.to_string(), b.to_string()))
            .unwrap_or_default();
        let head = format!(
            "{},{},{},{},{},{},{},{},{},{}",
            x.code,
            x.point_code.as_deref().unwrap_or(""),
            x.medium.name_cn(),
            x.sampled_on,
            x.division,
            x.land_use.map(|l| l.name_cn()).unwrap_or(""),
            x.crop.as_deref().unwrap_or(""),
            top,
            bottom,
            x.lab.as_deref().unwrap_or(""),
        );
        for r in &sw.results {
            let (value, qualifier) = value_cells(r);
            writeln!(
                s,
                "{head},{},{value},{},{},{qualifier},{}",
                r.analyte,
                unit_cell(r.unit),
                r.detection_limit.map(|d| d.to_string()).unwrap_or_default(),
                r.method.as_deref().unwrap_or("")
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// The rows of one sample in the evaluation file: a soil sample on farmland, one row per metal,
/// the pH in its own column (none for other samples).
fn evaluate_rows_of(sw: &SampleWithResults, s: &mut String) -> anyhow::Result<usize> {
    let mut rows = 0;
    {
        let x = &sw.sample;
        let Some(land_use) = x.land_use.filter(|l| l.farmland_group().is_some()) else {
            return Ok(0);
        };
        if x.medium != soilwatch_core::Medium::Soil {
            return Ok(0);
        }
        let ph = sw
            .results
            .iter()
            .find(|r| r.analyte == "pH")
            .and_then(|r| r.value)
            .map(|v| v.to_string())
            .unwrap_or_default();
        for r in sw.results.iter().filter(|r| r.analyte != "pH") {
            let (value, qualifier) = match (r.qualifier, r.value) {
                (Qualifier::NotDetected, _) | (_, None) => (String::new(), "ND"),
                (_, Some(v)) => (v.to_string(), ""),
            };
            writeln!(
                s,
                "{},{},{ph},{},{value},{},{},{qualifier}",
                x.code,
                land_use.name_cn(),
                r.analyte,
                r.unit.symbol(),
                r.detection_limit.map(|d| d.to_string()).unwrap_or_default(),
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}
