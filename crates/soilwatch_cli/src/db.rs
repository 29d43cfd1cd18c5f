//! `soilwatch db migrate|seed`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use soilwatch_store::{seed, SqlStore, Store};

use crate::DbArgs;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database if missing and apply pending migrations.
    Migrate(DbArgs),
    /// Migrate, then load the seed data (divisions with boundaries, analytes, departments).
    Seed(DbArgs),
    /// Write a consistent backup while the server runs: SQLite `VACUUM INTO`, PostgreSQL
    /// `pg_dump --format=custom`.
    Backup(crate::db_backup::BackupArgs),
    /// Restore a backup (SQLite: checked, then moved into place; PostgreSQL: `pg_restore`).
    Restore(crate::db_backup::RestoreArgs),
    /// Copy a whole instance into an empty database (`--from sqlite://… --to postgres://…` or
    /// back), verifying the row count and a checksum of every table.
    Copy(crate::db_backup::CopyArgs),
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
    open_with(url, seed_data, std::time::Duration::from_secs(15)).await
}

/// [`open`] with the longest wait for a pooled connection (`serve --db-acquire-timeout-secs`).
pub async fn open_with(
    url: &str,
    seed_data: bool,
    acquire_timeout: std::time::Duration,
) -> anyhow::Result<SqlStore> {
    let file = sqlite_file(url);
    let existed = file.as_ref().is_some_and(|f| f.exists());
    let result = async {
        let store = soilwatch_store::connect_with_acquire_timeout(url, acquire_timeout).await?;
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
        DbCommand::Backup(args) => return crate::db_backup::backup(args).await,
        DbCommand::Restore(args) => return crate::db_backup::restore(args).await,
        DbCommand::Copy(args) => return crate::db_backup::copy(args).await,
    }
    Ok(0)
}
