//! `soilwatch db backup|restore|copy` (issue 13).
//!
//! - backup: SQLite `VACUUM INTO` (a consistent copy taken while the server runs), PostgreSQL
//!   `pg_dump --format=custom`.
//! - restore: SQLite, the backup is checked (integrity, soilwatch schema) and moved into place
//!   atomically; PostgreSQL, `pg_restore --clean --if-exists` into the database.
//! - copy: every table of one instance into an empty other (SQLite ↔ PostgreSQL), parents before
//!   children, in one transaction; then row counts and a SHA-256 checksum of every table are
//!   compared between the two, and the copy fails loudly when one differs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use soilwatch_store::{connect, SqlStore, Store};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{AnyConnection, Column, Row, ValueRef};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// The backup file to write (must not exist): a SQLite file, or a `pg_dump` custom archive.
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// The backup file made by `soilwatch db backup`.
    #[arg(long)]
    pub input: PathBuf,
    /// Replace a database that holds data (stop the server first).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The instance to copy (`sqlite://…` or `postgres://…`).
    #[arg(long)]
    pub from: String,
    /// The instance to fill: migrated here, and it must hold no rows.
    #[arg(long)]
    pub to: String,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn sqlite_path(url: &str) -> PathBuf {
    let p = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(p.split('?').next().unwrap_or(p))
}

fn run_tool(cmd: &mut Command) -> anyhow::Result<()> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .with_context(|| format!("无法运行 / cannot run {name} (is it installed?)"))?;
    if !out.status.success() {
        bail!(
            "{name} 失败 / {name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<u8> {
    let url = &args.db.db;
    if args.output.exists() {
        bail!(
            "备份文件已存在 / the backup file '{}' exists: choose a new name",
            args.output.display()
        );
    }
    if is_postgres(url) {
        run_tool(
            Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(&args.output)
                .arg(url),
        )?;
    } else {
        let store = open_existing(url).await?;
        let target = args.output.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{target}'"))
            .execute(store.pool())
            .await
            .context("VACUUM INTO")?;
        store.close().await;
        let copy = open_existing(&args.output.to_string_lossy()).await?;
        check_sqlite(&copy).await?;
        copy.close().await;
    }
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    println!("backup written: {} ({size} bytes)", args.output.display());
    Ok(0)
}

/// Open a database that must exist (no file is created).
async fn open_existing(url: &str) -> anyhow::Result<SqlStore> {
    if !is_postgres(url) && !sqlite_path(url).exists() {
        bail!("数据库不存在 / the database '{url}' does not exist");
    }
    let url = if is_postgres(url) {
        url.to_owned()
    } else {
        format!("sqlite://{}?mode=rw", sqlite_path(url).display())
    };
    Ok(connect(&url).await?)
}

async fn check_sqlite(store: &SqlStore) -> anyhow::Result<()> {
    let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await?;
    if ok != "ok" {
        bail!("SQLite 完整性检查失败 / SQLite integrity check failed: {ok}");
    }
    let version = store
        .schema_version()
        .await
        .context("不是 soilwatch 数据库 / not a soilwatch database")?;
    if version == 0 {
        bail!("不是 soilwatch 数据库 / not a soilwatch database (no migrations)");
    }
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<u8> {
    let url = &args.db.db;
    if !args.input.exists() {
        bail!(
            "备份文件不存在 / the backup file '{}' does not exist",
            args.input.display()
        );
    }
    if is_postgres(url) {
        if !args.force {
            let store = connect(url).await?;
            let tables = user_tables(&store).await?;
            let rows = total_rows(&store, &tables).await?;
            store.close().await;
            if rows > 0 {
                bail!("目标数据库有 {rows} 行数据 / the database holds {rows} rows: pass --force to replace it");
            }
        }
        run_tool(
            Command::new("pg_restore")
                .arg("--clean")
                .arg("--if-exists")
                .arg("--no-owner")
                .arg("--exit-on-error")
                .arg("--single-transaction")
                .arg("--dbname")
                .arg(url)
                .arg(&args.input),
        )?;
    } else {
        let check = open_existing(&args.input.to_string_lossy()).await?;
        check_sqlite(&check).await?;
        check.close().await;
        let target = sqlite_path(url);
        if target.exists() && !args.force {
            bail!(
                "数据库文件已存在 / '{}' exists: pass --force to replace it (stop the server first)",
                target.display()
            );
        }
        // Copy next to the target, then rename over it: never a half-written database.
        let tmp = target.with_extension("restoring");
        std::fs::copy(&args.input, &tmp).with_context(|| format!("copy to {}", tmp.display()))?;
        for suffix in ["-wal", "-shm"] {
            let mut p = target.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("rename to {}", target.display()))?;
    }
    let store = connect(url).await?;
    let tables = user_tables(&store).await?;
    let rows = total_rows(&store, &tables).await?;
    println!(
        "restored {} tables, {rows} rows, schema version {}",
        tables.len(),
        store.schema_version().await?
    );
    store.close().await;
    Ok(0)
}

/// The tables of the instance (no migration bookkeeping).
async fn user_tables(store: &SqlStore) -> anyhow::Result<Vec<String>> {
    let sql = if store.kind().name() == "postgres" {
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename <> '_sqlx_migrations' ORDER BY tablename"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name"
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(store.pool()).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn total_rows(store: &SqlStore, tables: &[String]) -> anyhow::Result<i64> {
    let mut n = 0;
    for t in tables {
        n += count(store, t).await?;
    }
    Ok(n)
}

async fn count(store: &SqlStore, table: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM \"{table}\""))
        .fetch_one(store.pool())
        .await?;
    Ok(n)
}

/// Foreign keys: (child, parent) pairs.
async fn foreign_keys(store: &SqlStore) -> anyhow::Result<Vec<(String, String)>> {
    let sql = if store.kind().name() == "postgres" {
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
         WHERE contype = 'f'"
    } else {
        "SELECT m.name, p.\"table\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) p \
         WHERE m.type = 'table'"
    };
    let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(store.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|(c, p)| {
            (
                c.trim_matches('"').to_owned(),
                p.trim_matches('"').to_owned(),
            )
        })
        .collect())
}

/// Parents before children.
fn dependency_order(tables: &[String], fks: &[(String, String)]) -> anyhow::Result<Vec<String>> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in tables {
        parents.entry(t).or_default();
    }
    for (c, p) in fks {
        if c != p && parents.contains_key(p.as_str()) {
            if let Some(set) = parents.get_mut(c.as_str()) {
                set.insert(p);
            }
        }
    }
    let mut done: Vec<String> = Vec::new();
    while done.len() < tables.len() {
        let next: Vec<&str> = parents
            .iter()
            .filter(|(t, ps)| {
                !done.iter().any(|d| d == *t) && ps.iter().all(|p| done.iter().any(|d| d == p))
            })
            .map(|(t, _)| *t)
            .collect();
        if next.is_empty() {
            bail!("外键成环 / the foreign keys form a cycle");
        }
        done.extend(next.into_iter().map(str::to_owned));
    }
    Ok(done)
}

/// One value, read from either database.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn read(row: &AnyRow, i: usize) -> anyhow::Result<Value> {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            return Ok(Value::Null);
        }
        let kind = raw.type_info().kind();
        Ok(match kind {
            AnyTypeInfoKind::Null => Value::Null,
            AnyTypeInfoKind::Bool => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
            AnyTypeInfoKind::SmallInt => Value::Int(i64::from(row.try_get::<i16, _>(i)?)),
            AnyTypeInfoKind::Integer => Value::Int(i64::from(row.try_get::<i32, _>(i)?)),
            AnyTypeInfoKind::BigInt => Value::Int(row.try_get::<i64, _>(i)?),
            AnyTypeInfoKind::Real => Value::Float(f64::from(row.try_get::<f32, _>(i)?)),
            AnyTypeInfoKind::Double => Value::Float(row.try_get::<f64, _>(i)?),
            AnyTypeInfoKind::Text => Value::Text(row.try_get::<String, _>(i)?),
            AnyTypeInfoKind::Blob => Value::Bytes(row.try_get::<Vec<u8>, _>(i)?),
        })
    }

    /// A canonical text form for the checksum (the same on both databases).
    fn canonical(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"N"),
            Value::Int(i) => out.extend_from_slice(format!("I{i}").as_bytes()),
            Value::Float(f) => out.extend_from_slice(format!("F{:016x}", f.to_bits()).as_bytes()),
            Value::Text(s) => {
                out.extend_from_slice(format!("T{}:", s.len()).as_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Value::Bytes(b) => {
                out.extend_from_slice(format!("B{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
        }
        out.push(0x1f);
    }
}

/// Column names of a table, in their order.
async fn columns(store: &SqlStore, table: &str) -> anyhow::Result<Vec<String>> {
    let row = sqlx::query(&format!("SELECT * FROM \"{table}\" LIMIT 0"))
        .fetch_optional(store.pool())
        .await?;
    if let Some(row) = row {
        return Ok(row.columns().iter().map(|c| c.name().to_owned()).collect());
    }
    let sql = if store.kind().name() == "postgres" {
        "SELECT column_name::text FROM information_schema.columns WHERE table_schema = \
         current_schema() AND table_name = $1 ORDER BY ordinal_position"
    } else {
        "SELECT name FROM pragma_table_info(?) ORDER BY cid"
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql)
        .bind(table)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

fn select_sql(table: &str, cols: &[String]) -> String {
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {list} FROM \"{table}\"")
}

/// Row count and checksum of a table: SHA-256 over the sorted SHA-256s of its rows (so the
/// order rows come back in does not matter).
async fn checksum(store: &SqlStore, table: &str, cols: &[String]) -> anyhow::Result<(i64, String)> {
    let rows = sqlx::query(&select_sql(table, cols))
        .fetch_all(store.pool())
        .await?;
    let mut hashes: Vec<[u8; 32]> = Vec::with_capacity(rows.len());
    let mut buf = Vec::new();
    for row in &rows {
        buf.clear();
        for i in 0..cols.len() {
            Value::read(row, i)?.canonical(&mut buf);
        }
        hashes.push(Sha256::digest(&buf).into());
    }
    hashes.sort_unstable();
    let mut all = Sha256::new();
    for h in &hashes {
        all.update(h);
    }
    let hex = all
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Ok((rows.len() as i64, hex))
}

/// What a target column holds, for binding values (and NULLs) with the right type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ColType {
    Int,
    Float,
    Text,
    Bytes,
}

/// The column types of a PostgreSQL table (SQLite takes any value in any column).
async fn pg_column_types(
    to: &mut AnyConnection,
    table: &str,
) -> anyhow::Result<BTreeMap<String, ColType>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut *to)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, t)| {
            let k = match t.as_str() {
                "bigint" | "integer" | "smallint" | "boolean" => ColType::Int,
                "double precision" | "real" | "numeric" => ColType::Float,
                "bytea" => ColType::Bytes,
                _ => ColType::Text,
            };
            (c, k)
        })
        .collect())
}

async fn copy_table(
    from: &SqlStore,
    to: &mut AnyConnection,
    to_pg: bool,
    table: &str,
    cols: &[String],
) -> anyhow::Result<u64> {
    let types: Vec<Option<ColType>> = if to_pg {
        let t = pg_column_types(to, table).await?;
        cols.iter().map(|c| t.get(c).copied()).collect()
    } else {
        vec![None; cols.len()]
    };
    let rows = sqlx::query(&select_sql(table, cols))
        .fetch_all(from.pool())
        .await?;
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // Rows per statement: below both databases' bind limits.
    let per = (30_000 / cols.len().max(1)).clamp(1, 500);
    let mut copied = 0;
    for chunk in rows.chunks(per) {
        let mut sql = format!("INSERT INTO \"{table}\" ({list}) VALUES ");
        let mut n = 0;
        for (r, _) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..cols.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if to_pg {
                    sql.push_str(&format!("${n}"));
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for (i, ty) in types.iter().enumerate() {
                q = match (Value::read(row, i)?, *ty) {
                    (Value::Null, Some(ColType::Int)) => q.bind(None::<i64>),
                    (Value::Null, Some(ColType::Float)) => q.bind(None::<f64>),
                    (Value::Null, Some(ColType::Bytes)) => q.bind(None::<Vec<u8>>),
                    (Value::Null, _) => q.bind(None::<String>),
                    (Value::Int(v), Some(ColType::Float)) => q.bind(v as f64),
                    (Value::Int(v), Some(ColType::Text)) => q.bind(v.to_string()),
                    (Value::Int(v), _) => q.bind(v),
                    (Value::Float(v), Some(ColType::Text)) => q.bind(v.to_string()),
                    (Value::Float(v), _) => q.bind(v),
                    (Value::Text(v), _) => q.bind(v),
                    (Value::Bytes(v), _) => q.bind(v),
                };
            }
        }
        copied += q
            .execute(&mut *to)
            .await
            .with_context(|| format!("insert into {table}"))?
            .rows_affected();
    }
    Ok(copied)
}

pub async fn copy(args: CopyArgs) -> anyhow::Result<u8> {
    let from = open_existing(&args.from).await?;
    if from.schema_version().await? == 0 {
        bail!(
            "源库不是 soilwatch 数据库 / '{}' is not a soilwatch database",
            args.from
        );
    }
    let to = connect(&args.to).await?;
    to.migrate().await?;
    if from.schema_version().await? != to.schema_version().await? {
        bail!(
            "结构版本不同 / schema versions differ: {} has {}, {} has {} (migrate the source first)",
            args.from,
            from.schema_version().await?,
            args.to,
            to.schema_version().await?
        );
    }
    let tables = user_tables(&from).await?;
    let target_tables = user_tables(&to).await?;
    if total_rows(&to, &target_tables).await? > 0 {
        bail!(
            "目标库不是空的 / '{}' already holds rows: copy into an empty database",
            args.to
        );
    }
    let order = dependency_order(&tables, &foreign_keys(&from).await?)?;
    let to_pg = to.kind().name() == "postgres";
    let mut plan = Vec::new();
    for t in &order {
        if !target_tables.contains(t) {
            bail!("目标库缺少表 / '{}' has no table {t}", args.to);
        }
        plan.push((t.clone(), columns(&from, t).await?));
    }
    let mut conn = to.pool().acquire().await?;
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    let result = async {
        for (t, cols) in &plan {
            copy_table(&from, &mut conn, to_pg, t, cols).await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    match result {
        Ok(()) => {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
        }
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            return Err(e.context("复制失败，目标库未改动 / copy failed, nothing was written"));
        }
    }
    if to_pg {
        // Identity columns continue after the copied ids.
        for (t, _) in &plan {
            let types = pg_column_types(&mut conn, t).await?;
            if types.get("id") == Some(&ColType::Int) {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), \
                     COALESCE((SELECT MAX(id) FROM \"{t}\"), 0) + 1, false) \
                     WHERE pg_get_serial_sequence('\"{t}\"', 'id') IS NOT NULL"
                ))
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    drop(conn);
    // Verify: the same rows in every table.
    let mut bad = Vec::new();
    let mut total = 0;
    println!("{:<28} {:>10} checksum (SHA-256)", "table", "rows");
    for (t, cols) in &plan {
        let (n1, c1) = checksum(&from, t, cols).await?;
        let (n2, c2) = checksum(&to, t, cols).await?;
        total += n2;
        let mark = if n1 == n2 && c1 == c2 {
            ""
        } else {
            "  MISMATCH"
        };
        println!("{t:<28} {n2:>10} {}{mark}", &c2[..16]);
        if !mark.is_empty() {
            bad.push(format!("{t}: {n1} rows {c1} → {n2} rows {c2}"));
        }
    }
    from.close().await;
    to.close().await;
    if !bad.is_empty() {
        bail!(
            "复制后校验不一致 / the copy differs from the source: {}",
            bad.join("; ")
        );
    }
    println!(
        "copied {} tables, {total} rows; every table's row count and checksum match",
        plan.len()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_before_children() {
        let tables: Vec<String> = ["results", "samples", "points", "history"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let fks = vec![
            ("results".to_owned(), "samples".to_owned()),
            ("samples".to_owned(), "points".to_owned()),
            ("points".to_owned(), "points".to_owned()),
        ];
        let order = dependency_order(&tables, &fks).unwrap();
        let pos = |t: &str| order.iter().position(|o| o == t).unwrap();
        assert!(pos("points") < pos("samples") && pos("samples") < pos("results"));
        assert_eq!(order.len(), 4);
        let cycle = vec![
            ("a".to_owned(), "b".to_owned()),
            ("b".to_owned(), "a".to_owned()),
        ];
        assert!(dependency_order(&["a".into(), "b".into()], &cycle).is_err());
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://a/b.db?mode=rwc"),
            PathBuf::from("a/b.db")
        );
        assert_eq!(sqlite_path("b.db"), PathBuf::from("b.db"));
        assert!(is_postgres("postgres://x@h/db") && !is_postgres("sqlite://x.db"));
    }
}
