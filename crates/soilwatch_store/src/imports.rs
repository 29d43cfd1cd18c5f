//! Import batches: provenance of imported rows and the one-transaction commit of a validated file.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use soilwatch_core::{AnalysisResult, DivisionCode, MonitoringPoint, SampleWithResults};
use sqlx::Row;

use crate::import_write::ImportWriter;
use crate::sql::{json, now, record_prior, SampleKeys, Tx};
use crate::{BackendKind, Entity, SqlStore, Store, StoreError, StoreResult, StoredSample};

/// A committed import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub id: i64,
    /// `points`, `results_long` or `results_wide`.
    pub kind: String,
    pub file_name: String,
    /// SHA-256 of the file's bytes: the same file imported again is recognised by it.
    pub checksum: String,
    pub uploader: String,
    pub department: Option<String>,
    pub created_at: DateTime<Utc>,
    pub rows_read: i64,
    pub points: i64,
    pub samples: i64,
    pub results: i64,
    /// Stored results that the file changed (each a new version).
    pub corrections: i64,
    /// Rows identical to stored ones.
    pub unchanged: i64,
    /// The validation report (JSON).
    pub report: serde_json::Value,
}

/// What describes a batch before it is committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewImport {
    pub kind: String,
    pub file_name: String,
    pub checksum: String,
    pub uploader: String,
    pub department: Option<String>,
    pub rows_read: i64,
    pub report: serde_json::Value,
}

/// What a validated file changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportChanges {
    pub new_points: Vec<MonitoringPoint>,
    /// Stored points with other content: a new version each.
    pub changed_points: Vec<MonitoringPoint>,
    pub new_samples: Vec<SampleWithResults>,
    /// New analytes for samples already stored.
    pub added_results: Vec<AnalysisResult>,
    /// Stored (sample, analyte) results with other values: a new version each.
    pub corrections: Vec<AnalysisResult>,
    pub unchanged: i64,
}

/// What validation needs to know of the stored data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownSnapshot {
    pub points: Vec<MonitoringPoint>,
    pub divisions: Vec<DivisionCode>,
    /// Stored samples among the codes asked for, with their results.
    pub samples: Vec<StoredSample>,
}

/// Import batches.
#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn find_import_by_checksum(&self, checksum: &str) -> StoreResult<Option<ImportBatch>>;
    async fn get_import(&self, id: i64) -> StoreResult<ImportBatch>;
    /// Newest first.
    async fn list_imports(&self, limit: u32) -> StoreResult<Vec<ImportBatch>>;
    /// Every point and division, and the stored samples among `sample_codes`.
    async fn known_snapshot(&self, sample_codes: &[String]) -> StoreResult<KnownSnapshot>;
    /// Open the one transaction of a streamed import, with its batch row: valid records are
    /// written into it chunk by chunk while the file is read, and [`ImportWriter::commit`] commits
    /// them (dropping the writer stores nothing). `bulk`: every record will be a result of a
    /// sample new to the store (COPY on PostgreSQL, native many-row inserts on SQLite); a stored
    /// sample then ends the writer with [`StoreError::Conflict`].
    async fn begin_import(
        &self,
        meta: &NewImport,
        bulk: bool,
    ) -> StoreResult<Box<dyn ImportWriter>>;
    /// Write a checked registry import (issue 8, [`crate::registry_import`]) in one transaction:
    /// the batch row (its `corrections` the records updated, `unchanged` those left alone), then
    /// every new record as version 1 and every changed one as its next version (a conflict when
    /// it changed since it was read), each version in `history` naming the batch.
    async fn commit_registry_import(
        &self,
        meta: &NewImport,
        writes: &[crate::registry_import::RegistryWrite],
        unchanged: i64,
    ) -> StoreResult<ImportBatch>;
    /// Store everything in one transaction with the batch's provenance; all or nothing.
    async fn commit_import(
        &self,
        meta: &NewImport,
        changes: &ImportChanges,
    ) -> StoreResult<ImportBatch>;
}

fn batch_from_row(r: &sqlx::any::AnyRow) -> StoreResult<ImportBatch> {
    let created: String = r.try_get("created_at")?;
    let report: String = r.try_get("report")?;
    Ok(ImportBatch {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        file_name: r.try_get("file_name")?,
        checksum: r.try_get("checksum")?,
        uploader: r.try_get("uploader")?,
        department: r.try_get("department")?,
        created_at: DateTime::parse_from_rfc3339(&created)
            .map_err(|e| StoreError::Backend(format!("batch time: {e}")))?
            .with_timezone(&Utc),
        rows_read: r.try_get("rows_read")?,
        points: r.try_get("points")?,
        samples: r.try_get("samples")?,
        results: r.try_get("results")?,
        corrections: r.try_get("corrections")?,
        unchanged: r.try_get("unchanged")?,
        report: serde_json::from_str(&report)
            .map_err(|e| StoreError::Backend(format!("batch report: {e}")))?,
    })
}

/// `($1, $2, …), ($k, …)` for `rows` rows of `cols` columns; anonymous `?` on SQLite, where
/// numbered parameters cost a linear name lookup each (quadratic for a many-row statement).
pub(crate) fn placeholders(kind: BackendKind, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            match kind {
                BackendKind::Sqlite => s.push('?'),
                BackendKind::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

pub(crate) const SAMPLE_CHUNK: usize = 500;
const RESULT_CHUNK: usize = 1000;

pub(crate) async fn insert_results_bulk(
    tx: &mut Tx<'_>,
    kind: BackendKind,
    batch_id: i64,
    rows: &[(SampleKeys, &AnalysisResult)],
) -> StoreResult<()> {
    for chunk in rows.chunks(RESULT_CHUNK) {
        let sql = format!(
            "INSERT INTO results (sample_id, analyte, value_text, value_num, unit, detection_limit, \
             qualifier, method, version, batch_id, division, sampled_on) VALUES {}",
            placeholders(kind, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for (sample, r) in chunk {
            r.validate()
                .map_err(|e| StoreError::Invalid(format!("sample {}: {e}", r.sample_code)))?;
            q = q
                .bind(sample.id)
                .bind(r.analyte.clone())
                .bind(r.value.map(|v| v.to_string()))
                .bind(r.value.and_then(|v| v.get().to_f64()))
                .bind(r.unit.symbol())
                .bind(r.detection_limit.map(|v| v.to_string()))
                .bind(r.qualifier.code())
                .bind(r.method.clone())
                .bind(1_i64)
                .bind(batch_id)
                .bind(sample.division.to_string())
                .bind(sample.sampled_on.to_string());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn commit_registry_import(
        &self,
        meta: &NewImport,
        writes: &[crate::registry_import::RegistryWrite],
        unchanged: i64,
    ) -> StoreResult<ImportBatch> {
        crate::registry_import::commit(self, meta, writes, unchanged).await
    }

    async fn find_import_by_checksum(&self, checksum: &str) -> StoreResult<Option<ImportBatch>> {
        let row = sqlx::query("SELECT * FROM import_batches WHERE checksum = $1")
            .bind(checksum)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(batch_from_row).transpose()
    }

    async fn get_import(&self, id: i64) -> StoreResult<ImportBatch> {
        let row = sqlx::query("SELECT * FROM import_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(batch_from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("import", id.to_string())))
    }

    async fn list_imports(&self, limit: u32) -> StoreResult<Vec<ImportBatch>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM import_batches ORDER BY id DESC LIMIT {}",
            limit.min(10_000)
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(batch_from_row).collect()
    }

    async fn known_snapshot(&self, sample_codes: &[String]) -> StoreResult<KnownSnapshot> {
        let points = self.list_points(&crate::PointQuery::default()).await?;
        let divisions = self
            .list_divisions()
            .await?
            .into_iter()
            .map(|d| d.code)
            .collect();
        let mut samples = Vec::new();
        for chunk in sample_codes.chunks(500) {
            let sql = format!(
                "SELECT code FROM samples WHERE code IN ({})",
                (1..=chunk.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(c.clone());
            }
            for row in q.fetch_all(self.pool()).await? {
                let code: String = row.try_get("code")?;
                samples.push(self.get_sample(&code).await?);
            }
        }
        Ok(KnownSnapshot {
            points,
            divisions,
            samples,
        })
    }

    async fn begin_import(
        &self,
        meta: &NewImport,
        bulk: bool,
    ) -> StoreResult<Box<dyn ImportWriter>> {
        self.open_import_writer(meta, bulk).await
    }

    async fn commit_import(
        &self,
        meta: &NewImport,
        changes: &ImportChanges,
    ) -> StoreResult<ImportBatch> {
        if meta.uploader.trim().is_empty() {
            return Err(StoreError::Invalid(
                "导入须注明上传人 / an import needs an uploader".into(),
            ));
        }
        let change = soilwatch_core::ChangeMeta::new(
            meta.uploader.clone(),
            format!(
                "import {} ({})",
                meta.file_name,
                &meta.checksum[..meta.checksum.len().min(12)]
            ),
        );
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO import_batches (kind, file_name, checksum, uploader, department, created_at, \
             rows_read, points, samples, results, corrections, unchanged, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(&meta.kind)
        .bind(&meta.file_name)
        .bind(&meta.checksum)
        .bind(&meta.uploader)
        .bind(meta.department.clone())
        .bind(now())
        .bind(meta.rows_read)
        .bind((changes.new_points.len() + changes.changed_points.len()) as i64)
        .bind(changes.new_samples.len() as i64)
        .bind(
            (changes.new_samples.iter().map(|s| s.results.len()).sum::<usize>()
                + changes.added_results.len()) as i64,
        )
        .bind(changes.corrections.len() as i64)
        .bind(changes.unchanged)
        .bind(json(&meta.report)?)
        .fetch_one(&mut *tx)
        .await?;
        let batch_id: i64 = row.try_get("id")?;

        for p in &changes.new_points {
            crate::sql::insert_point(&mut tx, p, Some(batch_id)).await?;
            crate::sql::record(
                &mut tx,
                Entity::Point,
                &p.code,
                1,
                "insert",
                json(p)?,
                &change,
            )
            .await?;
        }
        for p in &changes.changed_points {
            let version = crate::sql::update_point_row(&mut tx, p).await?;
            crate::sql::record(
                &mut tx,
                Entity::Point,
                &p.code,
                version,
                "update",
                json(p)?,
                &change,
            )
            .await?;
        }

        // New samples, many rows per statement; their ids come back with their codes.
        let mut ids: HashMap<String, i64> = HashMap::new();
        for chunk in changes.new_samples.chunks(SAMPLE_CHUNK) {
            let sql = format!(
                "INSERT INTO samples (code, point_code, medium, division, sampled_on, land_use, crop, \
                 depth_top, depth_bottom, lab, version, batch_id) VALUES {} RETURNING id, code",
                placeholders(self.kind(), chunk.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for item in chunk {
                let s = &item.sample;
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
                    .bind(batch_id);
            }
            for r in q.fetch_all(&mut *tx).await? {
                ids.insert(r.try_get("code")?, r.try_get("id")?);
            }
        }
        let mut rows: Vec<(SampleKeys, &AnalysisResult)> = Vec::new();
        for item in &changes.new_samples {
            let id = *ids.get(&item.sample.code).ok_or_else(|| {
                StoreError::Backend(format!("no id returned for sample {}", item.sample.code))
            })?;
            let keys = SampleKeys::of(id, &item.sample);
            rows.extend(item.results.iter().map(|r| (keys, r)));
        }
        // New analytes of stored samples.
        let mut stored: HashMap<String, SampleKeys> = HashMap::new();
        for r in changes
            .added_results
            .iter()
            .chain(changes.corrections.iter())
        {
            if !stored.contains_key(&r.sample_code) {
                let keys = SampleKeys::stored(&mut tx, &r.sample_code)
                    .await?
                    .ok_or_else(|| StoreError::not_found("sample", r.sample_code.clone()))?;
                stored.insert(r.sample_code.clone(), keys);
            }
        }
        for r in &changes.added_results {
            rows.push((stored[&r.sample_code], r));
        }
        insert_results_bulk(&mut tx, self.kind(), batch_id, &rows).await?;

        // Corrections: a new version of the stored result, the previous one kept in history.
        for r in &changes.corrections {
            let sample_id = stored[&r.sample_code].id;
            let current = sqlx::query(
                "SELECT id, version FROM results WHERE sample_id = $1 AND analyte = $2 ORDER BY id LIMIT 1",
            )
            .bind(sample_id)
            .bind(&r.analyte)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("result", format!("{}/{}", r.sample_code, r.analyte)))?;
            let id: i64 = current.try_get("id")?;
            record_prior(&mut tx, id).await?;
            let version = crate::sql::update_result_row(&mut tx, id, r, Some(batch_id)).await?;
            crate::sql::record(
                &mut tx,
                Entity::Result,
                &id.to_string(),
                version,
                "update",
                json(r)?,
                &change,
            )
            .await?;
        }
        tx.commit().await?;
        self.get_import(batch_id).await
    }
}
