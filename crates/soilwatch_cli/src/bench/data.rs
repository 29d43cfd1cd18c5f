//! The benchmark's dataset: the demo generator (`soilwatch_store::demo`) asked for the number of
//! points and enough years to reach the number of samples, thinned evenly to that number (and
//! to at most the number of results), written as the files the measurements read: a long-form
//! results file for `soilwatch import` and a file for `soilwatch evaluate`.

use std::fmt::Write as _;

use anyhow::{bail, Context};
use soilwatch_core::{AnalysisResult, Qualifier, SampleWithResults, Unit};
use soilwatch_store::demo::{self, DemoData, DemoOptions};

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

/// The generated data and its files.
pub struct Dataset {
    pub demo: DemoData,
    /// The last year sampled.
    pub end_year: i32,
    pub results: usize,
    /// Long-form results (one row per result), as `soilwatch import` reads it.
    pub results_csv: Vec<u8>,
    pub results_csv_rows: usize,
    /// Soil samples on farmland, one row per metal with the sample's pH, as `soilwatch evaluate`
    /// reads it.
    pub evaluate_csv: Vec<u8>,
    pub evaluate_csv_rows: usize,
}

impl Dataset {
    /// `points/samples/results`, as the CSV output's `size` column has it.
    pub fn size_label(&self) -> String {
        format!(
            "{}/{}/{}",
            self.demo.points.len(),
            self.demo.samples.len(),
            self.results
        )
    }
}

/// Generate: points exactly, samples exactly unless the result cap stops them first.
pub fn generate(sizes: Sizes, seed: u64) -> anyhow::Result<Dataset> {
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
    let mut data = demo::generate(&opts).context("demo generator")?;
    // About 5 samples per point in ten years: more years when more samples are asked for.
    if data.samples.len() < sizes.samples {
        let per_year = data.samples.len().max(1) as f64 / f64::from(opts.years);
        let years = (sizes.samples as f64 / per_year * 1.1).ceil() as i32 + 1;
        opts.years = years.clamp(base.years, 150);
        data = demo::generate(&opts).context("demo generator")?;
    }
    // Thin evenly (every point keeps some years) to the number of samples, then stop at the
    // result cap.
    let total = data.samples.len();
    let keep = sizes.samples.min(total);
    let mut samples: Vec<SampleWithResults> = Vec::with_capacity(keep);
    let mut results = 0;
    let mut k = 0; // the next sample kept is the (k · total / keep)-th
    for (i, s) in std::mem::take(&mut data.samples).into_iter().enumerate() {
        if k < keep && i == k * total / keep {
            if results + s.results.len() > sizes.results {
                break;
            }
            results += s.results.len();
            samples.push(s);
            k += 1;
        }
    }
    data.samples = samples;
    data.moves.clear();
    data.retirements.clear();
    let (results_csv, results_csv_rows) = results_file(&data.samples)?;
    let (evaluate_csv, evaluate_csv_rows) = evaluate_file(&data.samples)?;
    Ok(Dataset {
        demo: data,
        end_year: opts.end_year,
        results,
        results_csv,
        results_csv_rows,
        evaluate_csv,
        evaluate_csv_rows,
    })
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

/// The long-form results file of the import template's columns.
fn results_file(samples: &[SampleWithResults]) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut s = String::with_capacity(samples.len() * 9 * 160);
    s.push_str(
        "样品编号,点位编号,样品类型,采样日期,行政区划代码,土地利用类型,农作物,采样深度上限,\
         采样深度下限,检测机构,检测项目,检测值,单位,检出限,限定符,检测方法\n",
    );
    let mut rows = 0;
    for sw in samples {
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
    Ok((s.into_bytes(), rows))
}

/// The evaluation file: soil samples on farmland, one row per metal, the pH in its own column.
fn evaluate_file(samples: &[SampleWithResults]) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut s = String::with_capacity(samples.len() * 8 * 60);
    s.push_str("sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier\n");
    let mut rows = 0;
    for sw in samples {
        let x = &sw.sample;
        let Some(land_use) = x.land_use.filter(|l| l.farmland_group().is_some()) else {
            continue;
        };
        if x.medium != soilwatch_core::Medium::Soil {
            continue;
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
    Ok((s.into_bytes(), rows))
}
