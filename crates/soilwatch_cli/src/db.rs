//! `soilwatch db migrate|seed`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use soilwatch_store::{connect, seed, SqlStore, Store};

use crate::DbArgs;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database if missing and apply pending migrations.
    Migrate(DbArgs),
    /// Migrate, then load the seed data (divisions with boundaries, analytes, departments).
    Seed(DbArgs),
}

/// The SQLite file a URL names, if it is one.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    (path != ":memory:").then(|| PathBuf::from(path))
}

/// Open, migrate and (optionally) seed. If this created a SQLite file and a later step failed,
/// the file is removed again: no half-created database is left behind.
pub async fn open(url: &str, seed_data: bool) -> anyhow::Result<SqlStore> {
    let file = sqlite_file(url);
    let existed = file.as_ref().is_some_and(|f| f.exists());
    let result = async {
        let store = connect(url).await?;
        store.migrate().await?;
        if seed_data {
            let r = seed::seed(&store).await?;
            tracing::info!(
                divisions = r.divisions,
                analytes = r.analytes,
                departments_added = r.departments_added,
                "seeded"
            );
        }
        Ok::<_, soilwatch_store::StoreError>(store)
    }
    .await;
    match result {
        Ok(store) => Ok(store),
        Err(e) => {
            if let (Some(f), false) = (&file, existed) {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = f.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Err(e).context("数据库不可用 / the database is not usable")
        }
    }
}

pub async fn run(cmd: DbCommand) -> anyhow::Result<u8> {
    match cmd {
        DbCommand::Migrate(args) => {
            let store = open(&args.db, false).await?;
            println!(
                "migrated {} database to schema version {}",
                store.kind().name(),
                store.schema_version().await?
            );
            store.close().await;
        }
        DbCommand::Seed(args) => {
            let store = open(&args.db, false).await?;
            let r = seed::seed(&store).await?;
            println!(
                "seeded {} divisions, {} analytes, {} new departments",
                r.divisions, r.analytes, r.departments_added
            );
            store.close().await;
        }
    }
    Ok(0)
}
