//! `soilwatch report`: the annual soil-environment report of the prefecture or a county as
//! HTML (printable, SVG charts), XLSX or DOCX — the same content as the `/reports/annual` page
//! (`soilwatch_web::report`), the same numbers as `/api/v1/indicators`.

use std::path::PathBuf;

use anyhow::Context;
use soilwatch_web::report::{build, render, ReportFormat};

use crate::DbArgs;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Sections: network and samples, exceedances by analyte and county (GB 15618-2018), \
classification and its changes, plots and remediation, key enterprises, indicators against targets, \
and the yearly assessment per county as an appendix.\n\
Exit codes: 0 written; 2 input rejected (the message names the option); 1 failure."
)]
pub struct ReportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Year of the report.
    #[arg(long, env = "SOILWATCH_REPORT_YEAR")]
    pub year: i32,
    /// County code (GB/T 2260, e.g. 513402); default the whole prefecture.
    #[arg(long, env = "SOILWATCH_REPORT_COUNTY")]
    pub county: Option<String>,
    /// `html`, `xlsx` or `docx`.
    #[arg(long, env = "SOILWATCH_REPORT_FORMAT", default_value = "html")]
    pub format: String,
    /// Output file (default `soilwatch-report-YEAR[-COUNTY].FORMAT` in the working directory).
    #[arg(long, env = "SOILWATCH_REPORT_OUTPUT")]
    pub output: Option<PathBuf>,
}

fn rejected(msg: String) -> anyhow::Result<u8> {
    eprintln!("输入被拒绝 / input rejected: {msg}");
    Ok(2)
}

pub async fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let format: ReportFormat = match args.format.parse() {
        Ok(f) => f,
        Err(e) => return rejected(format!("--format: {}", soilwatch_web::pages::message(&e))),
    };
    let county = match args.county.as_deref().map(str::parse).transpose() {
        Ok(c) => c,
        Err(e) => return rejected(format!("--county: {e}")),
    };
    let store = crate::db::open(&args.db.db, true).await?;
    let report = build(&store, county, args.year).await;
    store.close().await;
    let report = match report {
        Ok(r) => r,
        Err(
            e @ (soilwatch_web::error::ApiError::Unprocessable(_)
            | soilwatch_web::error::ApiError::BadRequest(_)),
        ) => return rejected(soilwatch_web::pages::message(&e).to_owned()),
        Err(e) => anyhow::bail!(
            "报告生成失败 / the report failed: {}",
            soilwatch_web::pages::message(&e)
        ),
    };
    let bytes = render(&report, format)
        .map_err(|e| anyhow::anyhow!("{}", soilwatch_web::pages::message(&e)))?;
    let path = args.output.unwrap_or_else(|| {
        PathBuf::from(match &args.county {
            Some(c) => format!("soilwatch-report-{}-{c}.{}", args.year, format.extension()),
            None => format!("soilwatch-report-{}.{}", args.year, format.extension()),
        })
    });
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{}{}年土壤环境状况报告 → {} ({} bytes)",
        report.division_name,
        report.year,
        path.display(),
        bytes.len()
    );
    Ok(0)
}
