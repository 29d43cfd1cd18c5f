//! `soilwatch plot-boundaries FILE`: replace the boundaries of registered contaminated plots
//! (污染地块) from a GeoJSON or GeoPackage file, as `POST /api/v1/plots/boundaries` does: the same
//! reader (CGCS2000 or WGS 84 only, another CRS refused naming it), every feature naming a
//! registered plot, all or nothing, each changed plot a new version with the old boundary kept.

use std::path::PathBuf;

use anyhow::Context;
use soilwatch_core::ChangeMeta;
use soilwatch_store::{RegistryStore, StoreError};
use soilwatch_web::ogc::plot_import::read_plot_boundaries;

use crate::DbArgs;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
File: a GeoJSON FeatureCollection or a GeoPackage layer of Polygon/MultiPolygon features in CGCS2000 \
(EPSG:4490) or WGS 84 longitude/latitude, each naming a registered plot by a code property (code, \
plot_code, 地块编码 or DKBM unless --code-field says which). Other CRSs are refused.\n\
Exit codes: 0 stored or unchanged; 2 input rejected, nothing stored (the message names the feature, \
the plot or the CRS); 1 failure.")]
pub struct PlotBoundariesArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The file: `.geojson`/`.json` or `.gpkg`.
    pub file: PathBuf,
    /// Why the boundaries change (recorded with each new version).
    #[arg(long)]
    pub reason: String,
    /// The GeoPackage layer, when the file has several.
    #[arg(long)]
    pub layer: Option<String>,
    /// The property holding the plot code.
    #[arg(long)]
    pub code_field: Option<String>,
    /// Who makes the change (recorded with each new version).
    #[arg(long, env = "SOILWATCH_ACTOR", default_value = "soilwatch-cli")]
    pub actor: String,
}

fn rejected(e: impl std::fmt::Display) -> anyhow::Result<u8> {
    eprintln!("rejected (输入被拒绝): {e}");
    Ok(2)
}

/// Run `soilwatch plot-boundaries`.
pub async fn run(args: PlotBoundariesArgs) -> anyhow::Result<u8> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let boundaries = match read_plot_boundaries(
        &name,
        &bytes,
        args.layer.as_deref(),
        args.code_field.as_deref(),
    )
    .await
    {
        Ok(b) => b,
        Err(e) => return rejected(e),
    };
    let store = crate::db::open(&args.db.db, true).await?;
    let result = store_boundaries(&store, &name, boundaries, &args).await;
    store.close().await;
    result
}

async fn store_boundaries(
    store: &soilwatch_store::SqlStore,
    name: &str,
    boundaries: Vec<soilwatch_web::ogc::plot_import::FileBoundary>,
    args: &PlotBoundariesArgs,
) -> anyhow::Result<u8> {
    for b in &boundaries {
        match store.get_plot(&b.code).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => {
                return rejected(format!(
                "{name}: 第 {n} 个要素的地块 '{code}' 未登记 / feature {n}: plot '{code}' is not \
                     registered",
                n = b.number,
                code = b.code
            ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let pairs: Vec<_> = boundaries
        .into_iter()
        .map(|b| (b.code, b.boundary))
        .collect();
    let change = ChangeMeta::new(args.actor.clone(), args.reason.clone());
    let written = match store.set_plot_boundaries(&pairs, &change).await {
        Ok(w) => w,
        Err(StoreError::Invalid(m)) => return rejected(format!("{name}: {m}")),
        Err(e) => return Err(e).context("地块边界导入失败 / plot boundary import failed"),
    };
    for w in &written {
        println!(
            "{}\tversion {}\t{}",
            w.code,
            w.version,
            if w.changed {
                "changed (已更新)"
            } else {
                "unchanged (未变)"
            }
        );
    }
    let changed = written.iter().filter(|w| w.changed).count();
    println!(
        "plot boundaries {name}: {changed} changed, {} unchanged (地块边界：更新 {changed}，未变 {})",
        written.len() - changed,
        written.len() - changed
    );
    Ok(0)
}
