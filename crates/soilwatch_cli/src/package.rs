//! `soilwatch export-package` and `soilwatch import-package` (issue 9): the county → prefecture →
//! province exchange of a year's points, samples and results as a verified zip package
//! (`soilwatch_store::exchange`: CSV per table in UTF-8, GeoJSON for the points, a manifest with row
//! counts, SHA-256 per file and the schema version).

use std::path::PathBuf;

use anyhow::Context;
use soilwatch_store::exchange::{export_package, import_package, PackageOutcome};
use soilwatch_store::StoreError;

use crate::DbArgs;

/// Write a year's exchange package.
#[derive(Debug, clap::Args)]
pub struct ExportPackageArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Year of the samples to export.
    #[arg(long, env = "SOILWATCH_PACKAGE_YEAR")]
    pub year: i32,
    /// One county (GB/T 2260, e.g. 513402); default every division of the instance.
    #[arg(long, env = "SOILWATCH_PACKAGE_COUNTY")]
    pub county: Option<String>,
    /// Output file (default `soilwatch-package-YEAR[-COUNTY].zip`).
    #[arg(long, env = "SOILWATCH_PACKAGE_OUTPUT")]
    pub output: Option<PathBuf>,
}

/// Load an exchange package.
#[derive(Debug, clap::Args)]
pub struct ImportPackageArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The package (zip) written by `soilwatch export-package`.
    pub file: PathBuf,
    /// Who loads it (recorded as the uploader of the import batch).
    #[arg(long, env = "SOILWATCH_ACTOR", default_value = "cli")]
    pub actor: String,
}

fn rejected(msg: String) -> anyhow::Result<u8> {
    eprintln!("输入被拒绝 / input rejected: {msg}");
    Ok(2)
}

/// Exit 0 written; 2 an option is rejected; 1 failure.
pub async fn run_export(args: ExportPackageArgs) -> anyhow::Result<u8> {
    let county = match args.county.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => match c.parse() {
            Ok(c) => Some(c),
            Err(e) => return rejected(format!("--county {c}: {e}")),
        },
    };
    let store = crate::db::open(&args.db.db, true).await?;
    let (bytes, manifest) = match export_package(&store, args.year, county).await {
        Ok(v) => v,
        Err(StoreError::Invalid(m)) => return rejected(m),
        Err(e) => return Err(e.into()),
    };
    let output = args.output.unwrap_or_else(|| {
        PathBuf::from(match &county {
            Some(c) => format!("soilwatch-package-{}-{c}.zip", args.year),
            None => format!("soilwatch-package-{}.zip", args.year),
        })
    });
    std::fs::write(&output, &bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!(
        "package {} (交换数据包): year {}, schema version {}, {} bytes",
        output.display(),
        manifest.year,
        manifest.schema_version,
        bytes.len()
    );
    for f in &manifest.files {
        println!("  {}\t{} rows\tsha256 {}", f.name, f.rows, f.sha256);
    }
    Ok(0)
}

/// Exit 0 imported or unchanged; 2 the package is refused (nothing stored); 1 failure.
pub async fn run_import(args: ImportPackageArgs) -> anyhow::Result<u8> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let store = crate::db::open(&args.db.db, true).await?;
    match import_package(&store, &bytes, &name, &args.actor).await {
        Ok(PackageOutcome::Imported { batch, .. }) => {
            println!(
                "imported {name} as batch {}: {} points, {} samples, {} results, {} corrections, \
                 {} unchanged (已入库)",
                batch.id,
                batch.points,
                batch.samples,
                batch.results,
                batch.corrections,
                batch.unchanged
            );
            Ok(0)
        }
        Ok(PackageOutcome::Unchanged { batch }) => {
            println!(
                "unchanged: {name} was imported before as batch {} (已导入，无变化)",
                batch.id
            );
            Ok(0)
        }
        Err(StoreError::Invalid(m)) => rejected(format!("{name}: {m}")),
        Err(e) => Err(e.into()),
    }
}
