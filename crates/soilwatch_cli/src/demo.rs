//! `soilwatch demo` and `serve --demo`: load the generated demonstration dataset
//! (`soilwatch_store::demo`) into an empty database.

use std::time::Instant;

use anyhow::Context;
use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::{NetworkStore, SqlStore, StoreError};

use crate::DbArgs;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Number of demo points (results grow with it: about 45 per point).
    #[arg(long, env = "SOILWATCH_DEMO_POINTS", default_value_t = DemoOptions::default().points)]
    pub points: usize,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, env = "SOILWATCH_DEMO_SEED", default_value_t = DemoOptions::default().seed)]
    pub seed: u64,
}

async fn load(store: &SqlStore, opts: &DemoOptions) -> Result<(), StoreError> {
    let started = Instant::now();
    let r = demo::load(store, opts).await?;
    println!(
        "demo data loaded (演示数据已载入): {} points, {} samples, {} results, {} moved, {} retired in {:.1} s",
        r.points,
        r.samples,
        r.results,
        r.moved,
        r.retired,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `soilwatch demo`: migrate, seed and load; refuses a database that has points or samples
/// (exit code 1).
pub async fn run(args: DemoArgs) -> anyhow::Result<u8> {
    let store = crate::db::open(&args.db.db, true).await?;
    let opts = DemoOptions {
        points: args.points,
        seed: args.seed,
        ..DemoOptions::default()
    };
    let result = load(&store, &opts).await;
    store.close().await;
    match result {
        Ok(()) => Ok(0),
        Err(e @ StoreError::Conflict { .. }) => {
            eprintln!("error: {e}");
            Ok(1)
        }
        Err(e) => Err(e).context("演示数据载入失败 / loading the demo data failed"),
    }
}

/// `serve --demo`: load the demo when the database is empty, otherwise say why not and go on.
pub async fn load_if_empty(store: &SqlStore) -> anyhow::Result<()> {
    let (points, samples) = store.count_points_and_samples().await?;
    if points > 0 || samples > 0 {
        tracing::info!(
            points,
            samples,
            "--demo: the database is not empty, demo data not loaded"
        );
        return Ok(());
    }
    load(store, &DemoOptions::default())
        .await
        .context("演示数据载入失败 / loading the demo data failed")
}
