//! Streamed writes of an import (issue 4): one transaction that the valid records of a file flow
//! into chunk by chunk while the file is still being read, so that memory stays flat with the
//! file's size. Nothing is committed before the whole file has been validated: the importer
//! calls [`ImportWriter::commit`] only for a file without errors; dropping a writer rolls
//! everything back.
//!
//! Two writers:
//! * bulk ([`ImportStore::begin_import`](crate::ImportStore::begin_import) with `bulk = true`): every record is a result of a sample
//!   that is new to the store, the common bulk load. On PostgreSQL `COPY … FROM STDIN` on a native
//!   connection (sample ids are drawn from the identity sequence first, so that the results can
//!   name them). PostgreSQL checks a foreign key with one trigger call per row, which cost ten
//!   times the `COPY` itself; where the connected role may set `session_replication_role` and the
//!   tables have exactly the foreign keys and triggers known here, those per-row triggers are off
//!   for the import's transaction and the references are checked per chunk instead, set-based,
//!   with the referenced rows locked `FOR KEY SHARE` as PostgreSQL's own check does (see
//!   [`pg_set_based_checks`]); otherwise PostgreSQL's per-row checks run. On SQLite a native
//!   connection with many-row prepared `INSERT`s (anonymous `?` placeholders), the samples' ids
//!   given by the writer (it holds the write lock). A sample that turns out to be stored already ends it with
//!   [`StoreError::Conflict`]; the importer then validates again with the stored samples known
//!   and uses the general writer.
//! * general: anything — points, new results of stored samples, corrections (a new version, the
//!   previous one kept in history) — through sqlx `Any`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::prelude::ToPrimitive;
use soilwatch_core::{AnalysisResult, ChangeMeta, Sample};
use soilwatch_ingest::{ParsedPoint, Record, StoredState};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;

use crate::imports::{insert_results_bulk, placeholders, NewImport, SAMPLE_CHUNK};
use crate::sql::{json, now, record_prior, SampleKeys, Tx};
use crate::{BackendKind, Entity, SqlStore, Store, StoreError, StoreResult};

/// What a batch stored, counted while writing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WrittenCounts {
    /// New and changed points.
    pub points: i64,
    /// New samples.
    pub samples: i64,
    /// New results (of new samples, and new analytes of stored samples).
    pub results: i64,
    /// Stored results given other values: a new version each.
    pub corrections: i64,
    /// Points and results identical to stored ones.
    pub unchanged: i64,
}

/// An import's open transaction.
#[async_trait]
pub trait ImportWriter: Send {
    /// Store valid records (in file order) inside the transaction.
    async fn write(&mut self, records: Vec<Record>) -> StoreResult<()>;
    /// Record the totals and the report on the batch, commit, and return the batch id.
    async fn commit(
        self: Box<Self>,
        rows_read: i64,
        report: &serde_json::Value,
    ) -> StoreResult<i64>;
    /// How this writer writes, for benchmarks and tests: `general`, `sqlite-bulk`,
    /// `postgres-copy` (foreign keys checked per row by PostgreSQL) or
    /// `postgres-copy-set-checks` (checked per chunk, set-based).
    fn strategy(&self) -> &'static str {
        "general"
    }
}

/// How [`StoreError`]'s conversion of a unique violation starts its detail.
const UNIQUE_DETAIL: &str = "已存在 / already exists";

/// A failed insert of new samples: a unique violation means a sample of the file is stored
/// already (the importer then validates again with it known); anything else (a missing point
/// or county) is passed on as it is.
fn sample_insert_error(e: StoreError, code: &str) -> StoreError {
    match e {
        StoreError::Conflict { detail, .. } if detail.starts_with(UNIQUE_DETAIL) => {
            stored_sample_conflict(code)
        }
        other => other,
    }
}

const BATCH_INSERT: &str = "INSERT INTO import_batches (kind, file_name, checksum, uploader, \
     department, created_at, rows_read, points, samples, results, corrections, unchanged, report) \
     VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0, 0, '{}') RETURNING id";
const BATCH_FINISH: &str = "UPDATE import_batches SET rows_read = $1, points = $2, samples = $3, \
     results = $4, corrections = $5, unchanged = $6, report = $7 WHERE id = $8";

/// The batch row, first with zero counts (the rows name it); its totals at commit.
macro_rules! insert_batch {
    ($conn:expr, $meta:expr) => {{
        let m: &NewImport = $meta;
        if m.uploader.trim().is_empty() {
            return Err(StoreError::Invalid(
                "导入须注明上传人 / an import needs an uploader".into(),
            ));
        }
        let id: i64 = sqlx::query(BATCH_INSERT)
            .bind(m.kind.as_str())
            .bind(m.file_name.as_str())
            .bind(m.checksum.as_str())
            .bind(m.uploader.as_str())
            .bind(m.department.clone())
            .bind(now())
            .fetch_one($conn)
            .await?
            .try_get("id")?;
        id
    }};
}

macro_rules! finish_batch {
    ($conn:expr, $id:expr, $counts:expr, $rows_read:expr, $report:expr) => {{
        let c: WrittenCounts = $counts;
        sqlx::query(BATCH_FINISH)
            .bind($rows_read)
            .bind(c.points)
            .bind(c.samples)
            .bind(c.results)
            .bind(c.corrections)
            .bind(c.unchanged)
            .bind(json($report)?)
            .bind($id)
            .execute($conn)
            .await?;
    }};
}

fn change_meta(meta: &NewImport) -> ChangeMeta {
    ChangeMeta::new(
        meta.uploader.clone(),
        format!(
            "import {} ({})",
            meta.file_name,
            &meta.checksum[..meta.checksum.len().min(12)]
        ),
    )
}

fn stored_sample_conflict(code: &str) -> StoreError {
    StoreError::Conflict {
        constraint: "samples.code".into(),
        detail: format!("样品已入库 / sample {code} is stored already"),
    }
}

/// An in-memory SQLite database is one per connection: a second connection would not see it.
fn is_memory_sqlite(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

impl SqlStore {
    /// Open the transaction of a streamed import and insert its batch row. `bulk`: every record
    /// will be a result of a sample new to the store (the fast native path; see the module).
    pub(crate) async fn open_import_writer(
        &self,
        meta: &NewImport,
        bulk: bool,
    ) -> StoreResult<Box<dyn ImportWriter>> {
        let change = change_meta(meta);
        match (bulk, self.kind()) {
            (true, BackendKind::Postgres) => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(self.url())
                    .await?;
                let mut tx = pool.begin().await?;
                let batch_id = insert_batch!(&mut *tx, meta);
                let checks = match pg_set_based_checks(&mut tx).await? {
                    Some(names) => Checks::SetBased(Box::new(SetBased {
                        names,
                        ..SetBased::default()
                    })),
                    None => Checks::PerRow,
                };
                Ok(Box::new(PgBulk {
                    tx: Some(tx),
                    pool,
                    batch_id,
                    samples: HashMap::new(),
                    counts: WrittenCounts::default(),
                    buf: Vec::new(),
                    checks,
                }))
            }
            (true, BackendKind::Sqlite) if !is_memory_sqlite(self.url()) => {
                let opts = SqliteConnectOptions::from_str(self.url())?
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    // 64 MiB of page cache: the result indexes of a large file stay in memory.
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory");
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(opts)
                    .await?;
                // IMMEDIATE: take the write lock now rather than fail to upgrade later.
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let batch_id = insert_batch!(&mut *tx, meta);
                // The write lock is held from here to the end: the file's samples get the ids
                // after the largest stored one, as SQLite itself would give them, without a
                // `RETURNING` per statement.
                let last_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM samples")
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(Box::new(SqliteBulk {
                    tx: Some(tx),
                    pool,
                    batch_id,
                    last_id,
                    samples: HashMap::new(),
                    counts: WrittenCounts::default(),
                }))
            }
            _ => {
                let mut tx = self.begin_write().await?;
                let batch_id = insert_batch!(&mut *tx, meta);
                Ok(Box::new(AnyWriter {
                    tx: Some(tx),
                    kind: self.kind(),
                    batch_id,
                    change,
                    samples: HashMap::new(),
                    counts: WrittenCounts::default(),
                }))
            }
        }
    }
}

fn taken<T>(tx: &mut Option<T>) -> StoreResult<&mut T> {
    tx.as_mut()
        .ok_or_else(|| StoreError::Backend("import transaction already finished".into()))
}

/// The new samples and the results of one chunk, for the bulk writers.
struct BulkChunk<'r> {
    samples: Vec<&'r Sample>,
    /// (sample code, result)
    results: Vec<(&'r str, &'r AnalysisResult)>,
}

fn bulk_chunk(records: &[Record]) -> StoreResult<BulkChunk<'_>> {
    let mut samples = Vec::new();
    let mut results = Vec::with_capacity(records.len());
    for rec in records {
        let Record::Results {
            sample,
            results: rs,
        } = rec
        else {
            return Err(StoreError::Invalid(
                "bulk import writer: points go through the general writer".into(),
            ));
        };
        if sample.stored == StoredState::Unchanged {
            return Err(stored_sample_conflict(&sample.sample.code));
        }
        if sample.first_in_file {
            samples.push(&sample.sample);
        }
        results.extend(rs.iter().map(|r| (sample.sample.code.as_str(), &r.result)));
    }
    Ok(BulkChunk { samples, results })
}

fn sample_keys(samples: &HashMap<String, SampleKeys>, code: &str) -> StoreResult<SampleKeys> {
    samples
        .get(code)
        .copied()
        .ok_or_else(|| StoreError::Backend(format!("no id for sample {code}")))
}

/// The keys of the samples a many-row `INSERT … RETURNING id, code` wrote.
fn returned_keys(
    part: &[&Sample],
    rows: &[sqlx::any::AnyRow],
    into: &mut HashMap<String, SampleKeys>,
) -> StoreResult<()> {
    let by_code: HashMap<&str, &Sample> = part.iter().map(|s| (s.code.as_str(), *s)).collect();
    for r in rows {
        let code: String = r.try_get("code")?;
        let s = by_code.get(code.as_str()).ok_or_else(|| {
            StoreError::Backend(format!("an id returned for an unknown sample {code}"))
        })?;
        into.insert(code, SampleKeys::of(r.try_get("id")?, s));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SQLite: native connection, many-row prepared INSERTs.

/// Rows per multi-row statement on SQLite (12 and 13 parameters a row, well under SQLite's
/// 32,766 parameters).
const SQLITE_RESULT_ROWS: usize = 400;
const SQLITE_SAMPLE_ROWS: usize = 200;

struct SqliteBulk {
    tx: Option<sqlx::Transaction<'static, sqlx::Sqlite>>,
    pool: sqlx::SqlitePool,
    batch_id: i64,
    /// The largest sample id written so far.
    last_id: i64,
    /// Sample code → id, county and date, of the samples this file wrote.
    samples: HashMap<String, SampleKeys>,
    counts: WrittenCounts,
}

fn sqlite_values(rows: usize, cols: usize) -> String {
    placeholders(BackendKind::Sqlite, rows, cols)
}

#[async_trait]
impl ImportWriter for SqliteBulk {
    async fn write(&mut self, records: Vec<Record>) -> StoreResult<()> {
        let chunk = bulk_chunk(&records)?;
        let tx = taken(&mut self.tx)?;
        let full = format!(
            "INSERT INTO samples (id, code, point_code, medium, division, sampled_on, land_use, \
             crop, depth_top, depth_bottom, lab, version, batch_id) VALUES {}",
            sqlite_values(SQLITE_SAMPLE_ROWS, 13)
        );
        for part in chunk.samples.chunks(SQLITE_SAMPLE_ROWS) {
            let partial;
            let sql = if part.len() == SQLITE_SAMPLE_ROWS {
                full.as_str()
            } else {
                partial = format!(
                    "INSERT INTO samples (id, code, point_code, medium, division, sampled_on, \
                     land_use, crop, depth_top, depth_bottom, lab, version, batch_id) VALUES {}",
                    sqlite_values(part.len(), 13)
                );
                partial.as_str()
            };
            let mut q = sqlx::query(sql);
            for (i, s) in part.iter().enumerate() {
                q = q
                    .bind(self.last_id + 1 + i as i64)
                    .bind(s.code.as_str())
                    .bind(s.point_code.as_deref())
                    .bind(s.medium.code())
                    .bind(s.division.to_string())
                    .bind(s.sampled_on.to_string())
                    .bind(s.land_use.map(|l| l.code()))
                    .bind(s.crop.as_deref())
                    .bind(s.depth_cm.map(|d| i64::from(d.0)))
                    .bind(s.depth_cm.map(|d| i64::from(d.1)))
                    .bind(s.lab.as_deref())
                    .bind(1_i64)
                    .bind(self.batch_id);
            }
            q.execute(&mut **tx)
                .await
                .map_err(|e| sample_insert_error(e.into(), &part[0].code))?;
            for s in part {
                self.last_id += 1;
                self.samples
                    .insert(s.code.clone(), SampleKeys::of(self.last_id, s));
            }
            self.counts.samples += part.len() as i64;
        }
        let full = format!(
            "INSERT INTO results (sample_id, analyte, value_text, value_num, unit, detection_limit, \
             qualifier, method, version, batch_id, division, sampled_on) VALUES {}",
            sqlite_values(SQLITE_RESULT_ROWS, 12)
        );
        for part in chunk.results.chunks(SQLITE_RESULT_ROWS) {
            let partial;
            let sql = if part.len() == SQLITE_RESULT_ROWS {
                full.as_str()
            } else {
                partial = format!(
                    "INSERT INTO results (sample_id, analyte, value_text, value_num, unit, \
                     detection_limit, qualifier, method, version, batch_id, division, \
                     sampled_on) VALUES {}",
                    sqlite_values(part.len(), 12)
                );
                partial.as_str()
            };
            let mut q = sqlx::query(sql);
            for (code, r) in part {
                let sample = sample_keys(&self.samples, code)?;
                q = q
                    .bind(sample.id)
                    .bind(r.analyte.as_str())
                    .bind(r.value.map(|v| v.to_string()))
                    .bind(r.value.and_then(|v| v.get().to_f64()))
                    .bind(r.unit.symbol())
                    .bind(r.detection_limit.map(|v| v.to_string()))
                    .bind(r.qualifier.code())
                    .bind(r.method.as_deref())
                    .bind(1_i64)
                    .bind(self.batch_id)
                    .bind(sample.division.to_string())
                    .bind(sample.sampled_on.to_string());
            }
            q.execute(&mut **tx).await?;
            self.counts.results += part.len() as i64;
        }
        Ok(())
    }

    async fn commit(
        mut self: Box<Self>,
        rows_read: i64,
        report: &serde_json::Value,
    ) -> StoreResult<i64> {
        let mut tx = self
            .tx
            .take()
            .ok_or_else(|| StoreError::Backend("import transaction already finished".into()))?;
        finish_batch!(&mut *tx, self.batch_id, self.counts, rows_read, report);
        tx.commit().await?;
        self.pool.close().await;
        Ok(self.batch_id)
    }

    fn strategy(&self) -> &'static str {
        "sqlite-bulk"
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: native connection, COPY … FROM STDIN (text format).

struct PgBulk {
    tx: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
    pool: sqlx::PgPool,
    batch_id: i64,
    /// Sample code → id, county and date, of the samples this file wrote.
    samples: HashMap<String, SampleKeys>,
    counts: WrittenCounts,
    /// COPY data of one chunk, reused.
    buf: Vec<u8>,
    checks: Checks,
}

/// How the foreign keys of the rows a PostgreSQL bulk import writes are checked.
enum Checks {
    /// By PostgreSQL's own triggers, one call per row (and per foreign key).
    PerRow,
    /// Per chunk, set-based, with the per-row triggers off for this transaction
    /// (`session_replication_role = replica`); see [`pg_set_based_checks`].
    SetBased(Box<SetBased>),
}

/// The state of the set-based checks: what was checked (and locked) already, and the points'
/// newest sampling dates that the `samples_last_sampled` trigger would have written.
#[derive(Default)]
struct SetBased {
    /// Foreign key definition (`pg_get_constraintdef`) → constraint name, for the errors.
    names: HashMap<String, String>,
    analytes: HashSet<String>,
    points: HashSet<String>,
    divisions: HashSet<String>,
    /// Point code → newest `sampled_on` of the samples this file wrote for it.
    last_sampled: HashMap<String, String>,
}

/// The foreign keys of `samples` and `results` that the set-based checks stand in for, as
/// `pg_get_constraintdef` prints them: (table, definition, what a missing reference is, in
/// Chinese and English).
const PG_FOREIGN_KEYS: [(&str, &str); 6] = [
    ("results", "FOREIGN KEY (analyte) REFERENCES analytes(code)"),
    ("results", "FOREIGN KEY (batch_id) REFERENCES import_batches(id)"),
    (
        "results",
        "FOREIGN KEY (sample_id, division, sampled_on) REFERENCES samples(id, division, sampled_on) ON UPDATE CASCADE",
    ),
    ("samples", "FOREIGN KEY (batch_id) REFERENCES import_batches(id)"),
    ("samples", "FOREIGN KEY (division) REFERENCES divisions(code)"),
    ("samples", "FOREIGN KEY (point_code) REFERENCES points(code)"),
];

/// The only user trigger on `samples` and `results` (migration 0013): what it does on insert
/// the set-based path does itself at commit.
const PG_USER_TRIGGERS: [(&str, &str); 1] = [("samples", "samples_last_sampled")];

/// Whether this transaction can check references per chunk instead of per row, and if so turn
/// the per-row triggers off for it (`SET LOCAL session_replication_role = replica`) and return
/// the foreign keys' names. Only when (1) `samples` and `results` have exactly the foreign keys
/// and triggers this writer stands in for ([`PG_FOREIGN_KEYS`], [`PG_USER_TRIGGERS`]; internal
/// triggers only those of foreign keys), so that a later migration adding one falls back
/// rather than be skipped silently; (2) the connected role may lock the referenced rows (UPDATE
/// on `analytes`, `points` and `divisions`); and (3) it may set the parameter (a superuser, or
/// on PostgreSQL 15+ one granted `SET ON PARAMETER session_replication_role`).
/// Otherwise `None`: the per-row triggers check every row, as for any other writer.
async fn pg_set_based_checks(
    conn: &mut sqlx::PgConnection,
) -> StoreResult<Option<HashMap<String, String>>> {
    let fks: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid), conname::text \
         FROM pg_constraint WHERE contype = 'f' \
         AND conrelid IN ('samples'::regclass, 'results'::regclass) ORDER BY 1, 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    let expected: Vec<(&str, &str)> = PG_FOREIGN_KEYS.to_vec();
    let found: Vec<(&str, &str)> = fks
        .iter()
        .map(|(t, d, _)| (t.as_str(), d.as_str()))
        .collect();
    if found != expected {
        tracing::debug!(?found, "import: foreign keys differ; per-row checks");
        return Ok(None);
    }
    let triggers: Vec<(String, String, bool, String)> = sqlx::query_as(
        "SELECT tgrelid::regclass::text, tgname::text, tgisinternal, tgfoid::regproc::text \
         FROM pg_trigger WHERE tgrelid IN ('samples'::regclass, 'results'::regclass) \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    let user: Vec<(&str, &str)> = triggers
        .iter()
        .filter(|t| !t.2)
        .map(|t| (t.0.as_str(), t.1.as_str()))
        .collect();
    let other_internal = triggers
        .iter()
        .any(|t| t.2 && !t.3.trim_matches('"').starts_with("RI_FKey_"));
    if user != PG_USER_TRIGGERS || other_internal {
        tracing::debug!(
            ?user,
            other_internal,
            "import: triggers differ; per-row checks"
        );
        return Ok(None);
    }
    // Locking the referenced rows (`FOR KEY SHARE`) needs UPDATE on their tables, which
    // PostgreSQL's own checks do not (they run as the tables' owner).
    let may_lock: bool = sqlx::query_scalar(
        "SELECT has_table_privilege('analytes', 'UPDATE') \
         AND has_table_privilege('points', 'UPDATE') \
         AND has_table_privilege('divisions', 'UPDATE')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !may_lock {
        tracing::debug!("import: no UPDATE on a referenced table; per-row checks");
        return Ok(None);
    }
    sqlx::query("SAVEPOINT import_replication_role")
        .execute(&mut *conn)
        .await?;
    match sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *conn)
        .await
    {
        Ok(_) => {
            sqlx::query("RELEASE SAVEPOINT import_replication_role")
                .execute(&mut *conn)
                .await?;
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
            // Not allowed for this role: the per-row triggers stay on.
            sqlx::query("ROLLBACK TO SAVEPOINT import_replication_role")
                .execute(&mut *conn)
                .await?;
            sqlx::query("RELEASE SAVEPOINT import_replication_role")
                .execute(&mut *conn)
                .await?;
            tracing::debug!("import: session_replication_role not settable; per-row checks");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Some(fks.into_iter().map(|(_, d, n)| (d, n)).collect()))
}

/// A reference a row of the file names that is not stored (a point, county or analyte removed
/// since the file was validated): the error PostgreSQL's own check would give, in Chinese and
/// English.
fn missing_reference(
    names: &HashMap<String, String>,
    definition: &str,
    what_cn: &str,
    what_en: &str,
    code: &str,
) -> StoreError {
    StoreError::Conflict {
        constraint: names
            .get(definition)
            .cloned()
            .unwrap_or_else(|| "foreign_key".into()),
        detail: format!(
            "引用的对象不存在 / a referenced thing does not exist: {what_cn} {code} 未入库 / \
             {what_en} {code} is not stored"
        ),
    }
}

impl SetBased {
    /// Lock the rows of `table` with the given codes against deletion and key changes until the
    /// transaction ends (as the per-row check does), and fail on the first one that is missing.
    /// Codes checked before (and so locked) are skipped.
    #[expect(clippy::too_many_arguments, reason = "one reference check")]
    async fn check(
        conn: &mut sqlx::PgConnection,
        checked: &mut HashSet<String>,
        names: &HashMap<String, String>,
        codes: Vec<String>,
        table: &str,
        definition: &str,
        what_cn: &str,
        what_en: &str,
    ) -> StoreResult<()> {
        let mut new: Vec<String> = codes.into_iter().filter(|c| !checked.contains(c)).collect();
        if new.is_empty() {
            return Ok(());
        }
        new.sort_unstable();
        new.dedup();
        let found: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT code FROM {table} WHERE code = ANY($1) ORDER BY code FOR KEY SHARE"
        ))
        .bind(&new)
        .fetch_all(&mut *conn)
        .await?;
        let found: HashSet<String> = found.into_iter().collect();
        if let Some(missing) = new.iter().find(|c| !found.contains(*c)) {
            return Err(missing_reference(
                names, definition, what_cn, what_en, missing,
            ));
        }
        checked.extend(new);
        Ok(())
    }

    /// The references of a chunk's new samples: their points and counties.
    async fn samples(
        &mut self,
        conn: &mut sqlx::PgConnection,
        samples: &[&Sample],
    ) -> StoreResult<()> {
        let points = samples
            .iter()
            .filter_map(|s| s.point_code.clone())
            .collect();
        Self::check(
            conn,
            &mut self.points,
            &self.names,
            points,
            "points",
            PG_FOREIGN_KEYS[5].1,
            "监测点位",
            "monitoring point",
        )
        .await?;
        let divisions = samples.iter().map(|s| s.division.to_string()).collect();
        Self::check(
            conn,
            &mut self.divisions,
            &self.names,
            divisions,
            "divisions",
            PG_FOREIGN_KEYS[4].1,
            "行政区划",
            "division",
        )
        .await
    }

    /// After the samples are written: the newest date per point (what `samples_last_sampled`
    /// does per row on insert).
    fn sampled(&mut self, samples: &[&Sample]) {
        for s in samples {
            if let Some(p) = &s.point_code {
                let date = s.sampled_on.to_string();
                match self.last_sampled.get_mut(p) {
                    Some(last) if *last >= date => {}
                    Some(last) => *last = date,
                    None => {
                        self.last_sampled.insert(p.clone(), date);
                    }
                }
            }
        }
    }

    /// The analytes of a chunk's results. Their samples are the file's own (written in this
    /// transaction with the same id, county and date), and their batch is this transaction's.
    async fn results(
        &mut self,
        conn: &mut sqlx::PgConnection,
        results: &[(&str, &AnalysisResult)],
    ) -> StoreResult<()> {
        let mut analytes: Vec<String> = Vec::new();
        for (_, r) in results {
            if !self.analytes.contains(&r.analyte) && analytes.last() != Some(&r.analyte) {
                analytes.push(r.analyte.clone());
            }
        }
        Self::check(
            conn,
            &mut self.analytes,
            &self.names,
            analytes,
            "analytes",
            PG_FOREIGN_KEYS[0].1,
            "检测项目",
            "analyte",
        )
        .await
    }

    /// Before commit: the per-row triggers back on, and the points' newest sampling dates
    /// written in one statement, as `samples_last_sampled` would have (only ever later).
    async fn finish(&self, conn: &mut sqlx::PgConnection) -> StoreResult<()> {
        sqlx::query("SET LOCAL session_replication_role = origin")
            .execute(&mut *conn)
            .await?;
        if self.last_sampled.is_empty() {
            return Ok(());
        }
        let (codes, dates): (Vec<String>, Vec<String>) = self
            .last_sampled
            .iter()
            .map(|(c, d)| (c.clone(), d.clone()))
            .unzip();
        sqlx::query(
            "UPDATE points p SET last_sampled_on = v.last \
             FROM unnest($1::text[], $2::text[]) AS v(code, last) \
             WHERE p.code = v.code AND (p.last_sampled_on IS NULL OR p.last_sampled_on < v.last)",
        )
        .bind(codes)
        .bind(dates)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// A text value in COPY's text format: backslash, tab, newline and carriage return escaped.
fn copy_text(buf: &mut Vec<u8>, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for b in s.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

fn copy_opt(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => copy_text(buf, s),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// `Display` into the COPY buffer (numbers, codes and dates: nothing to escape).
fn copy_display(buf: &mut Vec<u8>, v: impl std::fmt::Display) {
    struct W<'a>(&'a mut Vec<u8>);
    impl std::fmt::Write for W<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    let _ = write!(W(buf), "{v}");
}

fn copy_opt_display(buf: &mut Vec<u8>, v: Option<impl std::fmt::Display>) {
    match v {
        Some(v) => copy_display(buf, v),
        None => buf.extend_from_slice(b"\\N"),
    }
}

impl PgBulk {
    async fn copy(&mut self, statement: &str) -> StoreResult<()> {
        let tx = taken(&mut self.tx)?;
        let mut copy = tx.copy_in_raw(statement).await?;
        if let Err(e) = copy.send(self.buf.as_slice()).await {
            let _ = copy.abort("send failed").await;
            return Err(e.into());
        }
        copy.finish().await?;
        Ok(())
    }
}

#[async_trait]
impl ImportWriter for PgBulk {
    async fn write(&mut self, records: Vec<Record>) -> StoreResult<()> {
        let chunk = bulk_chunk(&records)?;
        if !chunk.samples.is_empty() {
            let tx = taken(&mut self.tx)?;
            if let Checks::SetBased(checks) = &mut self.checks {
                checks.samples(tx, &chunk.samples).await?;
            }
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('samples', 'id')) FROM generate_series(1, $1)",
            )
            .bind(chunk.samples.len() as i64)
            .fetch_all(&mut **tx)
            .await?;
            self.buf.clear();
            let buf = &mut self.buf;
            for (s, id) in chunk.samples.iter().zip(&ids) {
                copy_display(buf, id);
                buf.push(b'\t');
                copy_text(buf, &s.code);
                buf.push(b'\t');
                copy_opt(buf, s.point_code.as_deref());
                buf.push(b'\t');
                copy_text(buf, s.medium.code());
                buf.push(b'\t');
                copy_display(buf, s.division);
                buf.push(b'\t');
                copy_display(buf, s.sampled_on);
                buf.push(b'\t');
                copy_opt(buf, s.land_use.map(|l| l.code()));
                buf.push(b'\t');
                copy_opt(buf, s.crop.as_deref());
                buf.push(b'\t');
                copy_opt_display(buf, s.depth_cm.map(|d| d.0));
                buf.push(b'\t');
                copy_opt_display(buf, s.depth_cm.map(|d| d.1));
                buf.push(b'\t');
                copy_opt(buf, s.lab.as_deref());
                buf.extend_from_slice(b"\t1\t");
                copy_display(buf, self.batch_id);
                buf.push(b'\n');
            }
            self.copy(
                "COPY samples (id, code, point_code, medium, division, sampled_on, land_use, crop, \
                 depth_top, depth_bottom, lab, version, batch_id) FROM STDIN",
            )
            .await
            .map_err(|e| sample_insert_error(e, &chunk.samples[0].code))?;
            if let Checks::SetBased(checks) = &mut self.checks {
                checks.sampled(&chunk.samples);
            }
            for (s, id) in chunk.samples.iter().zip(ids) {
                self.samples.insert(s.code.clone(), SampleKeys::of(id, s));
            }
            self.counts.samples += chunk.samples.len() as i64;
        }
        if chunk.results.is_empty() {
            return Ok(());
        }
        if let Checks::SetBased(checks) = &mut self.checks {
            checks
                .results(&mut **taken(&mut self.tx)?, &chunk.results)
                .await?;
        }
        self.buf.clear();
        let buf = &mut self.buf;
        for (code, r) in &chunk.results {
            let sample = sample_keys(&self.samples, code)?;
            copy_display(buf, sample.id);
            buf.push(b'\t');
            copy_text(buf, &r.analyte);
            buf.push(b'\t');
            copy_opt_display(buf, r.value);
            buf.push(b'\t');
            copy_opt_display(buf, r.value.and_then(|v| v.get().to_f64()));
            buf.push(b'\t');
            copy_text(buf, r.unit.symbol());
            buf.push(b'\t');
            copy_opt_display(buf, r.detection_limit);
            buf.push(b'\t');
            copy_text(buf, r.qualifier.code());
            buf.push(b'\t');
            copy_opt(buf, r.method.as_deref());
            buf.extend_from_slice(b"\t1\t");
            copy_display(buf, self.batch_id);
            buf.push(b'\t');
            copy_display(buf, sample.division);
            buf.push(b'\t');
            copy_display(buf, sample.sampled_on);
            buf.push(b'\n');
        }
        self.copy(
            "COPY results (sample_id, analyte, value_text, value_num, unit, detection_limit, \
             qualifier, method, version, batch_id, division, sampled_on) FROM STDIN",
        )
        .await?;
        self.counts.results += chunk.results.len() as i64;
        Ok(())
    }

    async fn commit(
        mut self: Box<Self>,
        rows_read: i64,
        report: &serde_json::Value,
    ) -> StoreResult<i64> {
        let mut tx = self
            .tx
            .take()
            .ok_or_else(|| StoreError::Backend("import transaction already finished".into()))?;
        if let Checks::SetBased(checks) = &self.checks {
            checks.finish(&mut tx).await?;
        }
        finish_batch!(&mut *tx, self.batch_id, self.counts, rows_read, report);
        tx.commit().await?;
        self.pool.close().await;
        Ok(self.batch_id)
    }

    fn strategy(&self) -> &'static str {
        match self.checks {
            Checks::PerRow => "postgres-copy",
            Checks::SetBased(_) => "postgres-copy-set-checks",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// General: sqlx Any, anything a file may change.

struct AnyWriter {
    tx: Option<Tx<'static>>,
    kind: BackendKind,
    batch_id: i64,
    change: ChangeMeta,
    /// Sample code → id, county and date, of the samples this file wrote or named.
    samples: HashMap<String, SampleKeys>,
    counts: WrittenCounts,
}

impl AnyWriter {
    async fn point(&mut self, p: &ParsedPoint) -> StoreResult<()> {
        let tx = taken(&mut self.tx)?;
        match p.stored {
            StoredState::Unchanged => self.counts.unchanged += 1,
            StoredState::Changed => {
                let version = crate::sql::update_point_row(tx, &p.point).await?;
                crate::sql::record(
                    tx,
                    Entity::Point,
                    &p.point.code,
                    version,
                    "update",
                    json(&p.point)?,
                    &self.change,
                )
                .await?;
                self.counts.points += 1;
            }
            StoredState::New | StoredState::Unknown => {
                crate::sql::insert_point(tx, &p.point, Some(self.batch_id)).await?;
                crate::sql::record(
                    tx,
                    Entity::Point,
                    &p.point.code,
                    1,
                    "insert",
                    json(&p.point)?,
                    &self.change,
                )
                .await?;
                self.counts.points += 1;
            }
        }
        Ok(())
    }

    async fn stored(&mut self, code: &str) -> StoreResult<SampleKeys> {
        if let Some(keys) = self.samples.get(code) {
            return Ok(*keys);
        }
        let tx = taken(&mut self.tx)?;
        let keys = SampleKeys::stored(tx, code)
            .await?
            .ok_or_else(|| StoreError::not_found("sample", code))?;
        self.samples.insert(code.to_owned(), keys);
        Ok(keys)
    }

    /// A new version of the stored result, the previous one kept in history.
    async fn correct(&mut self, sample_id: i64, r: &AnalysisResult) -> StoreResult<()> {
        let tx = taken(&mut self.tx)?;
        let current = sqlx::query(
            "SELECT id, version FROM results WHERE sample_id = $1 AND analyte = $2 ORDER BY id LIMIT 1",
        )
        .bind(sample_id)
        .bind(&r.analyte)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("result", format!("{}/{}", r.sample_code, r.analyte)))?;
        let id: i64 = current.try_get("id")?;
        record_prior(tx, id).await?;
        let version = crate::sql::update_result_row(tx, id, r, Some(self.batch_id)).await?;
        crate::sql::record(
            tx,
            Entity::Result,
            &id.to_string(),
            version,
            "update",
            json(r)?,
            &self.change,
        )
        .await?;
        self.counts.corrections += 1;
        Ok(())
    }
}

#[async_trait]
impl ImportWriter for AnyWriter {
    async fn write(&mut self, records: Vec<Record>) -> StoreResult<()> {
        let mut new_samples: Vec<&Sample> = Vec::new();
        // (sample when stored, sample code, result)
        let mut pending: Vec<(Option<SampleKeys>, &str, &AnalysisResult)> = Vec::new();
        let mut corrections: Vec<(i64, &AnalysisResult)> = Vec::new();
        for rec in &records {
            match rec {
                Record::Point(p) => self.point(p).await?,
                Record::Results { sample, results } => {
                    let code = sample.sample.code.as_str();
                    if sample.stored == StoredState::Unchanged {
                        let keys = self.stored(code).await?;
                        for r in results {
                            match r.stored {
                                StoredState::Unchanged => self.counts.unchanged += 1,
                                StoredState::Changed => corrections.push((keys.id, &r.result)),
                                StoredState::New | StoredState::Unknown => {
                                    pending.push((Some(keys), code, &r.result));
                                }
                            }
                        }
                    } else {
                        if sample.first_in_file {
                            new_samples.push(&sample.sample);
                        }
                        pending.extend(results.iter().map(|r| (None, code, &r.result)));
                    }
                }
            }
        }
        let tx = taken(&mut self.tx)?;
        for part in new_samples.chunks(SAMPLE_CHUNK) {
            let sql = format!(
                "INSERT INTO samples (code, point_code, medium, division, sampled_on, land_use, crop, \
                 depth_top, depth_bottom, lab, version, batch_id) VALUES {} RETURNING id, code",
                placeholders(self.kind, part.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for s in part {
                if let Some((top, bottom)) = s.depth_cm {
                    if top >= bottom {
                        return Err(StoreError::Invalid(format!(
                            "sample {}: depth top {top} must be above bottom {bottom}",
                            s.code
                        )));
                    }
                }
                q = q
                    .bind(s.code.clone())
                    .bind(s.point_code.clone())
                    .bind(s.medium.code())
                    .bind(s.division.to_string())
                    .bind(s.sampled_on.to_string())
                    .bind(s.land_use.map(|l| l.code().to_owned()))
                    .bind(s.crop.clone())
                    .bind(s.depth_cm.map(|d| i64::from(d.0)))
                    .bind(s.depth_cm.map(|d| i64::from(d.1)))
                    .bind(s.lab.clone())
                    .bind(1_i64)
                    .bind(self.batch_id);
            }
            let rows = q.fetch_all(&mut **tx).await?;
            returned_keys(part, &rows, &mut self.samples)?;
            self.counts.samples += part.len() as i64;
        }
        let mut rows = Vec::with_capacity(pending.len());
        for (keys, code, r) in pending {
            rows.push((
                match keys {
                    Some(keys) => keys,
                    None => sample_keys(&self.samples, code)?,
                },
                r,
            ));
        }
        insert_results_bulk(tx, self.kind, self.batch_id, &rows).await?;
        self.counts.results += rows.len() as i64;
        for (sample_id, r) in corrections {
            self.correct(sample_id, r).await?;
        }
        Ok(())
    }

    async fn commit(
        mut self: Box<Self>,
        rows_read: i64,
        report: &serde_json::Value,
    ) -> StoreResult<i64> {
        let mut tx = self
            .tx
            .take()
            .ok_or_else(|| StoreError::Backend("import transaction already finished".into()))?;
        finish_batch!(&mut *tx, self.batch_id, self.counts, rows_read, report);
        tx.commit().await?;
        Ok(self.batch_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut b = Vec::new();
        copy_text(&mut b, "a\tb\\c\nd\re");
        assert_eq!(b, b"a\\tb\\\\c\\nd\\re");
        let mut b = Vec::new();
        copy_opt(&mut b, None);
        copy_text(&mut b, "样品-1");
        assert_eq!(String::from_utf8(b).unwrap(), "\\N样品-1");
    }
}
