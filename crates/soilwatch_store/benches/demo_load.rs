//! Time of loading the default demo (`soilwatch demo`, `serve --demo`: 3,000 points, ten years)
//! into a fresh, migrated and seeded database: SQLite (a temporary file) always, PostgreSQL
//! too when `SOILWATCH_TEST_PG` names a server (a fresh database `soilwatch_bench_demo`,
//! dropped after). Prints the counts, the wall-clock time, results per second and the load
//! average before and after (the development machine is shared).
//!
//! `SOILWATCH_TEST_PG=postgres://postgres@127.0.0.1:5432/test cargo bench -p soilwatch_store --bench demo_load`

#![expect(clippy::unwrap_used, reason = "benchmark: a panic is a failed run")]

use std::time::Instant;

use soilwatch_store::demo::{self, DemoOptions};
use soilwatch_store::{connect, seed, SqlStore, Store};

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

async fn time_load(name: &str, store: &SqlStore) {
    store.migrate().await.unwrap();
    seed::seed(store).await.unwrap();
    let before = load_average();
    let t = Instant::now();
    let r = demo::load(store, &DemoOptions::default()).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name}: {} points, {} samples, {} results in {secs:.2} s ({:.0} results/s); \
         load average {before} before, {} after",
        r.points,
        r.samples,
        r.results,
        r.results as f64 / secs,
        load_average()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let store = connect(path.to_str().unwrap()).await.unwrap();
    time_load("SQLite", &store).await;
    store.close().await;
    match std::env::var("SOILWATCH_TEST_PG") {
        Ok(base) if !base.trim().is_empty() => {
            let admin = connect(&base).await.unwrap();
            sqlx::query("DROP DATABASE IF EXISTS soilwatch_bench_demo")
                .execute(admin.pool())
                .await
                .unwrap();
            sqlx::query("CREATE DATABASE soilwatch_bench_demo")
                .execute(admin.pool())
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            let store = connect(&format!("{prefix}/soilwatch_bench_demo"))
                .await
                .unwrap();
            time_load("PostgreSQL", &store).await;
            store.close().await;
            sqlx::query("DROP DATABASE soilwatch_bench_demo")
                .execute(admin.pool())
                .await
                .unwrap();
            admin.close().await;
        }
        _ => println!("PostgreSQL skipped: SOILWATCH_TEST_PG is not set"),
    }
}
