//! `soilwatch import`, `soilwatch validate` and `soilwatch template`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use soilwatch_ingest::{
    template, KindHint, ParseOptions, Report, TemplateFormat, TemplateKind, TextEncoding,
};
use soilwatch_store::importer::{import_bytes_with, validate_bytes, ImportOutcome};
use soilwatch_store::registry_import::{
    import_registry_bytes, validate_registry_bytes, RegistryImportOutcome, RegistryKind,
};

use crate::DbArgs;

/// How to read a file (shared by import and validate).
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// The file: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX.
    pub file: PathBuf,
    /// Kind of data: auto, points, results (long or wide decided from the headers),
    /// results_long, results_wide; or a registry: enterprises, plots, tailings-ponds,
    /// remediation-projects, manifests, mining-areas, demolition-plans, disclosures.
    #[arg(long, default_value = "auto")]
    pub kind: String,
    /// Text encoding of a CSV: utf-8 or gbk (detected when omitted).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Sheet of a workbook (the first when omitted).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Write the validation report here: .csv (UTF-8 with BOM), .xlsx or .json.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

impl ReadArgs {
    fn options(&self) -> anyhow::Result<ParseOptions> {
        let name = self
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.display().to_string());
        let mut opts = ParseOptions::new(name, chrono::Local::now().date_naive());
        if self.registry().is_none() {
            opts.kind = self
                .kind
                .parse::<KindHint>()
                .map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
        }
        opts.encoding = self
            .encoding
            .as_deref()
            .map(|e| e.parse::<TextEncoding>())
            .transpose()
            .map_err(|e| anyhow::anyhow!("--encoding: {e}"))?;
        opts.sheet = self.sheet.clone();
        Ok(opts)
    }

    /// The registry `--kind` names, if it names one.
    fn registry(&self) -> Option<RegistryKind> {
        self.kind.parse().ok()
    }

    fn read(&self) -> anyhow::Result<Vec<u8>> {
        std::fs::read(&self.file)
            .with_context(|| format!("无法读取 / cannot read {}", self.file.display()))
    }
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// Department code the data comes from (see GET /api/v1/departments).
    #[arg(long, env = "SOILWATCH_DEPARTMENT")]
    pub department: Option<String>,
    /// Who uploads (recorded with the batch); defaults to the login name.
    #[arg(long, env = "SOILWATCH_UPLOADER")]
    pub uploader: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// results (long form), results_wide or points; or a registry: enterprises, plots,
    /// tailings-ponds, remediation-projects, manifests, mining-areas, demolition-plans,
    /// disclosures.
    #[arg(long, default_value = "results")]
    pub kind: String,
    /// xlsx or csv.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    /// Where to write the template.
    #[arg(long)]
    pub output: PathBuf,
}

fn write_report(report: &Report, path: &Path) -> anyhow::Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let bytes = match ext.as_str() {
        "xlsx" => report.to_xlsx_bytes()?,
        "json" => report.to_json()?.into_bytes(),
        _ => report.to_csv_bytes()?,
    };
    std::fs::write(path, bytes)
        .with_context(|| format!("无法写入报告 / cannot write the report {}", path.display()))
}

fn print_issues(report: &Report) {
    for issue in report.issues.iter().take(50) {
        eprintln!(
            "{} {}{}: {} / {}",
            match issue.severity {
                soilwatch_ingest::Severity::Error => "error",
                soilwatch_ingest::Severity::Warning => "warning",
            },
            issue.row.map(|r| format!("row {r}, ")).unwrap_or_default(),
            issue
                .column
                .as_deref()
                .map(|c| format!("column {c}"))
                .unwrap_or_default(),
            issue.message_cn,
            issue.message_en
        );
    }
    let shown = report.issues.len().min(50);
    let total = report.errors + report.warnings;
    if total > shown as u64 {
        eprintln!(
            "… {} more issues: see the report (--report FILE)",
            total - shown as u64
        );
    }
}

pub async fn run_import(args: ImportArgs) -> anyhow::Result<u8> {
    let opts = args.read.options()?;
    let bytes = args.read.read()?;
    let store = crate::db::open(&args.db.db, true).await?;
    let uploader = args
        .uploader
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".to_owned());
    if let Some(kind) = args.read.registry() {
        let outcome = import_registry_bytes(
            &store,
            kind,
            &bytes,
            &opts,
            &uploader,
            args.department.as_deref(),
            None,
        )
        .await;
        store.close().await;
        let outcome = outcome?;
        let report = match &outcome {
            RegistryImportOutcome::Imported { report, .. }
            | RegistryImportOutcome::Rejected { report } => Some(report),
            RegistryImportOutcome::Unchanged { report, .. } => report.as_ref(),
        };
        if let Some(report) = report {
            print_issues(report);
            if let Some(path) = &args.read.report {
                write_report(report, path)?;
            }
        }
        println!("{}", outcome.summary_line());
        return Ok(outcome.exit_code());
    }
    let progress = crate::progress::Reporter::new();
    let outcome = import_bytes_with(
        &store,
        &bytes,
        &opts,
        &uploader,
        args.department.as_deref(),
        &progress,
    )
    .await?;
    store.close().await;
    let report = match &outcome {
        ImportOutcome::Imported { report, .. } | ImportOutcome::Rejected { report } => Some(report),
        ImportOutcome::Unchanged { .. } => None,
    };
    if let Some(report) = report {
        print_issues(report);
        if let Some(path) = &args.read.report {
            write_report(report, path)?;
        }
    }
    println!("{}", outcome.summary_line());
    Ok(outcome.exit_code())
}

pub async fn run_validate(args: ValidateArgs) -> anyhow::Result<u8> {
    let opts = args.read.options()?;
    let bytes = args.read.read()?;
    let report = match args.read.registry() {
        Some(kind) => validate_registry_bytes(kind, &bytes, &opts).await?,
        None => validate_bytes(&bytes, &opts)?,
    };
    print_issues(&report);
    for skipped in &report.skipped_rules {
        eprintln!(
            "skipped (needs the database): {} / {}",
            skipped.reason_cn, skipped.reason_en
        );
    }
    if let Some(path) = &args.read.report {
        write_report(&report, path)?;
    }
    println!("{}", report.summary());
    Ok(if report.has_errors() { 2 } else { 0 })
}

pub fn run_template(args: TemplateArgs) -> anyhow::Result<u8> {
    let format: TemplateFormat = args
        .format
        .parse()
        .map_err(|e| anyhow::anyhow!("--format: {e}"))?;
    let bytes = match args.kind.parse::<RegistryKind>() {
        Ok(kind) => kind.template(format),
        Err(_) => {
            let kind: TemplateKind = args.kind.parse().map_err(|e| {
                anyhow::anyhow!("--kind: {e}; or a registry: {}", RegistryKind::expected())
            })?;
            template(kind, format)
        }
    };
    std::fs::write(&args.output, bytes)
        .with_context(|| format!("无法写入 / cannot write {}", args.output.display()))?;
    println!("wrote {}", args.output.display());
    Ok(0)
}
