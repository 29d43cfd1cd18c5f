//! `soilwatch evaluate`: a file of results in, one classified row per sample out.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use soilwatch_standards::batch::evaluate_slice_with;
use soilwatch_standards::overlay::overlay_from_csv;
use soilwatch_standards::{
    evaluate_slice, BatchOptions, InputEncoding, LandClass, Method, RulesetRegistry, SoilEngine,
};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Input columns (one result per row): sample_code, land_use, ph, analyte, value, unit \
[, detection_limit, qualifier] — or 样品编号, 土地利用类型, pH, 检测项目, 检测值, 单位, 检出限, 限定符.\n\
Output columns: sample_code,land_use,ph,class,max_pi,max_pi_analyte,exceed_screening,exceed_intervention,flags.\n\
Exit codes: 0 every row read; 2 some rows rejected (listed on stderr; their samples get an empty class); 1 failure."
)]
pub struct EvaluateArgs {
    /// Input CSV (UTF-8, UTF-8 with BOM, or GBK).
    #[arg(long)]
    pub input: PathBuf,
    /// Output CSV, one row per sample in input order.
    #[arg(long)]
    pub output: PathBuf,
    /// `gb15618` (the legal basis) or `pollution-index`.
    #[arg(long, default_value = "gb15618")]
    pub method: String,
    /// Optional detail CSV, one row per sample and item.
    #[arg(long)]
    pub detail: Option<PathBuf>,
    /// Ruleset id: `gb15618-2018` (farmland) or `gb36600-2018` (construction land).
    #[arg(long, default_value = "gb15618-2018")]
    pub ruleset: String,
    /// GB 36600 land class: 1 or 2.
    #[arg(long, default_value = "1")]
    pub land_class: String,
    /// A local ruleset (地方标准) over --ruleset: CSV `analyte,land_use,ph_band,land_class,value_type,value,unit,source`.
    /// Values laxer than the national ones are refused.
    #[arg(long)]
    pub overlay: Option<PathBuf>,
    /// Input encoding: auto, utf-8 or gbk.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Write a UTF-8 BOM so Excel shows Chinese correctly.
    #[arg(long)]
    pub bom: bool,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<u8> {
    let opts = BatchOptions {
        method: args.method.parse::<Method>()?,
        ruleset: args.ruleset.clone(),
        land_class: args.land_class.parse::<LandClass>()?,
        encoding: args.encoding.parse::<InputEncoding>()?,
        bom: args.bom,
    };
    // The whole file at once (sized from its length), evaluated where it lies.
    let input = std::fs::read(&args.input)
        .with_context(|| format!("无法读取 / cannot read {}", args.input.display()))?;
    let output = File::create(&args.output)
        .with_context(|| format!("无法写入 / cannot write {}", args.output.display()))?;
    let mut output = BufWriter::new(output);
    let mut detail = match &args.detail {
        Some(p) => {
            Some(BufWriter::new(File::create(p).with_context(|| {
                format!("无法写入 / cannot write {}", p.display())
            })?))
        }
        None => None,
    };
    let summary = match &args.overlay {
        None => evaluate_slice(
            &input,
            &mut output,
            detail.as_mut().map(|d| d as &mut dyn Write),
            &opts,
        ),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("无法读取 / cannot read {}", path.display()))?;
            let base = RulesetRegistry::builtin().require(&args.ruleset)?;
            let name = path.display().to_string();
            let local = overlay_from_csv(base, "local", &name, "local", &text)
                .with_context(|| format!("{}", path.display()))?;
            let engine = SoilEngine::new(&local)?;
            evaluate_slice_with(
                &engine,
                &input,
                &mut output,
                detail.as_mut().map(|d| d as &mut dyn Write),
                &opts,
            )
        }
    }
    .with_context(|| format!("{}", args.input.display()))?;
    output.flush().context("writing the output")?;
    if let Some(d) = detail.as_mut() {
        d.flush().context("writing the detail file")?;
    }
    for e in &summary.row_errors {
        eprintln!("{}: {e}", args.input.display());
    }
    let classes: Vec<String> = summary
        .classes
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    eprintln!(
        "evaluated {} rows, {} samples ({} classified: {}); {} rows rejected",
        summary.rows,
        summary.samples,
        summary.classified,
        classes.join(", "),
        summary.row_errors.len()
    );
    Ok(u8::try_from(summary.exit_code()).unwrap_or(1))
}
