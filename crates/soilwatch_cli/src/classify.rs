//! `soilwatch classify`: import evaluation units (optional), classify farmland for a year, store
//! the run, print the classification list (分类清单) and write it as CSV or GeoJSON.

use std::path::PathBuf;

use anyhow::Context;
use soilwatch_classify::list::{summarise, units_csv, units_geojson, ListUnit};
use soilwatch_classify::units::UnitFileOptions;
use soilwatch_classify::{Aggregation, ClassifySettings, Interpolation, UnitClass};
use soilwatch_store::classification_service::{
    import_units_features, import_units_geojson, run_changes, run_classification, unit_geometries,
    RunRequest,
};
use soilwatch_store::{ClassificationStore, StoreError};

use crate::DbArgs;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Units: a GeoJSON FeatureCollection of Polygon/MultiPolygon parcels in CGCS2000 (EPSG:4490) or WGS 84 \
longitude/latitude, each with an identifier and a GB/T 21010 land-use code; other CRSs are refused. \
Counties without any unit are cut into a grid of --grid-cell-m cells clipped to the county.\n\
Classes: GB 15618-2018 per sample (or the pollution index), the worst class of the samples inside a unit \
(or --aggregation share:P), else Cd, Hg, As, Pb, Cr and pH interpolated at the unit (inferred), then the \
GB 2762 crop rules (--crop-multiple, --crop-exceedance-rate, --crop-years).\n\
Exit codes: 0 done; 2 input rejected (the message names the field and what was expected); 1 failure.")]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Year classified: soil and crop samples of the --sample-years years ending with it are used.
    #[arg(long, env = "SOILWATCH_CLASSIFY_YEAR")]
    pub year: i32,
    /// County code (GB/T 2260, e.g. 513402); default the whole prefecture.
    #[arg(long, env = "SOILWATCH_CLASSIFY_COUNTY")]
    pub county: Option<String>,
    /// Evaluation units (parcels: GeoJSON `.geojson` or GeoPackage `.gpkg`, CGCS2000 or WGS 84)
    /// to import before the run; re-importing changed parcels keeps their earlier versions.
    #[arg(long, env = "SOILWATCH_CLASSIFY_UNITS")]
    pub units: Option<PathBuf>,
    /// Property of the unit identifier (default: feature id, code, DKBM, TBBH, BSM).
    #[arg(long, env = "SOILWATCH_UNIT_ID_FIELD")]
    pub id_field: Option<String>,
    /// Property of the GB/T 21010 land-use code (default: land_use, DLBM).
    #[arg(long, env = "SOILWATCH_UNIT_LAND_USE_FIELD")]
    pub land_use_field: Option<String>,
    /// Soil method: `gb15618` (legal basis) or `pollution-index`.
    #[arg(long, env = "SOILWATCH_CLASSIFY_METHOD", default_value = "gb15618")]
    pub method: String,
    /// How sample classes make a unit's class: `worst` or `share:P` (the worst class held by at
    /// least P % of the samples).
    #[arg(long, env = "SOILWATCH_CLASSIFY_AGGREGATION", default_value = "worst")]
    pub aggregation: String,
    /// Years of samples ending with --year (the newest soil sample of each point is used).
    #[arg(long, env = "SOILWATCH_CLASSIFY_SAMPLE_YEARS", default_value_t = 5)]
    pub sample_years: u32,
    /// A crop at or above this multiple of its GB 2762 limit makes safe utilization strict control.
    #[arg(long, env = "SOILWATCH_CLASSIFY_CROP_MULTIPLE", default_value = "2")]
    pub crop_multiple: String,
    /// A share (0–1] of exceeding crop samples that also makes safe utilization strict control.
    #[arg(long, env = "SOILWATCH_CLASSIFY_CROP_EXCEEDANCE_RATE")]
    pub crop_exceedance_rate: Option<String>,
    /// Years with every crop within limits before strict control is proposed as safe utilization.
    #[arg(long, env = "SOILWATCH_CLASSIFY_CROP_YEARS", default_value_t = 2)]
    pub crop_years: u32,
    /// Interpolation for units without samples: `idw` or `ok` (ordinary kriging of ln values).
    #[arg(long, env = "SOILWATCH_CLASSIFY_INTERPOLATION", default_value = "idw")]
    pub interpolation: String,
    /// Nearest samples per estimate.
    #[arg(long, env = "SOILWATCH_CLASSIFY_NEIGHBORS", default_value_t = 12)]
    pub neighbors: usize,
    /// Samples farther than this (metres) are not used for estimates.
    #[arg(
        long,
        env = "SOILWATCH_CLASSIFY_SEARCH_RADIUS",
        default_value_t = 10_000.0
    )]
    pub search_radius: f64,
    /// Grid cell size (metres) for counties without parcels.
    #[arg(
        long,
        env = "SOILWATCH_CLASSIFY_GRID_CELL_M",
        default_value_t = 2_000.0
    )]
    pub grid_cell_m: f64,
    /// Who runs the classification (recorded with the run).
    #[arg(long, env = "SOILWATCH_ACTOR", default_value = "soilwatch-cli")]
    pub actor: String,
    /// Write the units with their classes: `.csv` (UTF-8 with BOM) or `.geojson`.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

fn settings(a: &ClassifyArgs) -> Result<ClassifySettings, String> {
    let field = |name: &str, v: &str, e: &dyn std::fmt::Display| format!("--{name} '{v}': {e}");
    Ok(ClassifySettings {
        method: a.method.clone(),
        aggregation: a
            .aggregation
            .parse::<Aggregation>()
            .map_err(|e| field("aggregation", &a.aggregation, &e))?,
        sample_years: a.sample_years,
        crop_multiple: a
            .crop_multiple
            .parse()
            .map_err(|e| field("crop-multiple", &a.crop_multiple, &e))?,
        crop_exceedance_rate: a
            .crop_exceedance_rate
            .as_deref()
            .map(|r| r.parse().map_err(|e| field("crop-exceedance-rate", r, &e)))
            .transpose()?,
        crop_years: a.crop_years,
        interpolation: a
            .interpolation
            .parse::<Interpolation>()
            .map_err(|e| field("interpolation", &a.interpolation, &e))?,
        neighbors: a.neighbors,
        search_radius_m: a.search_radius,
        grid_cell_m: a.grid_cell_m,
        ..ClassifySettings::default()
    })
}

fn rejected(e: impl std::fmt::Display) -> anyhow::Result<u8> {
    eprintln!("rejected (输入被拒绝): {e}");
    Ok(2)
}

/// Run `soilwatch classify`.
pub async fn run(args: ClassifyArgs) -> anyhow::Result<u8> {
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => return rejected(e),
    };
    let county = match args.county.as_deref().map(str::parse).transpose() {
        Ok(c) => c,
        Err(e) => return rejected(format!("--county: {e}")),
    };
    let store = crate::db::open(&args.db.db, true).await?;
    let result = classify(&store, &args, settings, county).await;
    store.close().await;
    match result {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast::<StoreError>() {
            Ok(StoreError::Invalid(m)) => rejected(m),
            Ok(other) => Err(other).context("分类失败 / classification failed"),
            Err(e) => Err(e),
        },
    }
}

async fn classify(
    store: &soilwatch_store::SqlStore,
    args: &ClassifyArgs,
    settings: ClassifySettings,
    county: Option<soilwatch_core::DivisionCode>,
) -> anyhow::Result<()> {
    if let Some(path) = &args.units {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_lowercase();
        if !matches!(ext.as_str(), "geojson" | "json" | "gpkg") {
            return Err(StoreError::Invalid(format!(
                "--units {}: 应为 GeoJSON（.geojson）或 GeoPackage（.gpkg）文件 / expected a \
                 GeoJSON (.geojson) or GeoPackage (.gpkg) file",
                path.display()
            ))
            .into());
        }
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let opts = UnitFileOptions {
            id_field: args.id_field.clone(),
            land_use_field: args.land_use_field.clone(),
            division: None,
        };
        let change =
            soilwatch_core::ChangeMeta::new(args.actor.clone(), format!("import units {name}"));
        let w = if ext == "gpkg" {
            let features = soilwatch_web::ogc::gpkg_read::read_gpkg_features(&bytes, None)
                .await
                .map_err(|e| StoreError::Invalid(format!("--units {}: {e}", path.display())))?;
            import_units_features(store, features, &name, &opts, &change).await?
        } else {
            import_units_geojson(store, &bytes, &name, &opts, &change).await?
        };
        println!(
            "units {name}: {} added, {} changed, {} unchanged (评价单元：新增 {}，更新 {}，未变 {})",
            w.added, w.changed, w.unchanged, w.added, w.changed, w.unchanged
        );
    }
    let req = RunRequest {
        year: args.year,
        division: county,
        settings,
        actor: args.actor.clone(),
    };
    let run = run_classification(store, &req).await?;
    let units: Vec<ListUnit> = store
        .run_units(run.id, false)
        .await?
        .into_iter()
        .map(|u| u.unit)
        .collect();
    let list = summarise(&units);
    println!(
        "classification run {} (分类批次): year {}, division {}, method {}, {} units",
        run.id,
        run.year,
        run.division,
        run.method,
        units.len()
    );
    println!(
        "县（市）\t优先保护类 units/亩\t安全利用类 units/亩\t严格管控类 units/亩\t未分类 units/亩"
    );
    for c in list.counties.iter().chain(std::iter::once(&list.total)) {
        let cell =
            |a: &soilwatch_classify::list::ClassArea| format!("{}/{:.1}", a.units, a.area_mu);
        println!(
            "{} {}\t{}\t{}\t{}\t{}",
            c.division,
            c.county,
            cell(c.of(UnitClass::PriorityProtection)),
            cell(c.of(UnitClass::SafeUtilization)),
            cell(c.of(UnitClass::StrictControl)),
            cell(&c.unclassified)
        );
    }
    let changes = run_changes(store, run.id).await?;
    match changes.previous_run_id {
        Some(p) => println!(
            "changes since run {p} (与上次相比): {} units",
            changes.changes.len()
        ),
        None => println!("first run of {} (首次分类)", run.division),
    }
    if let Some(out) = &args.output {
        let ext = out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_lowercase();
        let bytes = match ext.as_str() {
            "csv" => units_csv(&units),
            "geojson" | "json" => {
                let geoms = unit_geometries(store, run.division).await?;
                serde_json::to_vec(&units_geojson(&units, &geoms))?
            }
            _ => {
                return Err(StoreError::Invalid(format!(
                    "--output {}: 应为 .csv 或 .geojson / expected .csv or .geojson",
                    out.display()
                ))
                .into())
            }
        };
        std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
        println!("written {}", out.display());
    }
    Ok(())
}
