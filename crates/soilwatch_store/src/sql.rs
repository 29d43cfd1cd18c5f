//! The SQL implementation of [`Store`], one code path for SQLite and PostgreSQL through sqlx's
//! `Any` driver. The SQL is written once in the portable subset both dialects share (numbered
//! `$n` parameters, `RETURNING`, `ON CONFLICT`); the schema is migrated per dialect.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Once;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use soilwatch_core::{
    AnalysisResult, Analyte, AnalyteGroup, ChangeMeta, Department, Division, DivisionCode,
    DivisionLevel, LandUse, LonLat, Medium, MonitoringPoint, Sample, SampleWithResults, Unit,
    VersionRecord,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::{
    BackendKind, BatchCounts, Entity, PointQuery, ResultQuery, ResultRow, Store, StoreError,
    StoreResult, StoredResult, StoredSample,
};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A store on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    kind: BackendKind,
    /// The normalised URL, for native connections of bulk loads (`import_write`).
    url: String,
    /// Audit and data-access lines waiting for their group commit (`log_batch`, issue 12).
    logs: std::sync::Arc<crate::log_batch::LogQueue>,
}

pub(crate) type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Normalise a database URL: a bare path or `sqlite:path` becomes a SQLite URL that creates the
/// file when missing.
fn normalise_url(url: &str) -> (BackendKind, String) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return (BackendKind::Postgres, url.to_owned());
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let url = if path.contains('?') {
        format!("sqlite://{path}")
    } else {
        format!("sqlite://{path}?mode=rwc")
    };
    (BackendKind::Sqlite, url)
}

/// Open a store. `url` is `postgres://…`, `sqlite://path`, `sqlite:path` or a plain file path.
/// Does not migrate; call [`Store::migrate`].
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    connect_with_acquire_timeout(url, std::time::Duration::from_secs(15)).await
}

/// [`connect`] with the longest wait for a pooled connection: a request fails with
/// [`StoreError::Unavailable`](crate::StoreError::Unavailable) after it when the database cannot
/// be reached (issue 13).
pub async fn connect_with_acquire_timeout(
    url: &str,
    acquire_timeout: std::time::Duration,
) -> StoreResult<SqlStore> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let (kind, full) = normalise_url(url);
    let open_err = |reason: String| StoreError::Open {
        url: redact(url),
        reason,
    };
    if kind == BackendKind::Sqlite {
        let path = full
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap_or_default();
        if path != ":memory:" {
            let p = std::path::Path::new(path);
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            if let Some(dir) = dir {
                if !dir.is_dir() {
                    return Err(open_err(format!(
                        "目录不存在 / directory '{}' does not exist",
                        dir.display()
                    )));
                }
            }
        }
    }
    let pool = AnyPoolOptions::new()
        .max_connections(if kind == BackendKind::Sqlite { 4 } else { 8 })
        .acquire_timeout(acquire_timeout)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if kind == BackendKind::Sqlite {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(&full)
        .await
        .map_err(|e| open_err(e.to_string()))?;
    Ok(SqlStore {
        pool,
        kind,
        url: full,
        logs: std::sync::Arc::default(),
    })
}

/// Hide a password in a URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl SqlStore {
    /// The connection pool, for backend-specific work (bulk loads).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begin a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
    /// taken at the start (waiting up to the busy timeout for another writer) instead of at the
    /// first write, where a deferred transaction that has read already cannot wait and fails
    /// with "database is locked" when another connection writes first. PostgreSQL: `BEGIN`.
    pub(crate) async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.kind {
            BackendKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            BackendKind::Postgres => self.pool.begin().await,
        }
    }

    /// The queue of log lines waiting to be written together (`log_batch`).
    pub(crate) fn logs(&self) -> &crate::log_batch::LogQueue {
        &self.logs
    }

    /// The normalised connection URL (with its password: never print it).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Close the pool (flushes SQLite's WAL on the last connection).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(crate) fn json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

pub(crate) async fn record(
    tx: &mut Tx<'_>,
    entity: Entity,
    key: &str,
    version: i64,
    operation: &str,
    data: String,
    change: &ChangeMeta,
) -> StoreResult<()> {
    if change.actor.trim().is_empty() || change.reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "每次修改须注明修改人和原因 / every change needs an actor and a reason".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entity.name())
    .bind(key)
    .bind(version)
    .bind(operation)
    .bind(data)
    .bind(&change.actor)
    .bind(&change.reason)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inclusive range of codes inside a division.
fn code_range(code: DivisionCode) -> (String, String) {
    let v = code.value();
    match code.level() {
        DivisionLevel::Province => (format!("{v:06}"), format!("{:06}", v + 9_999)),
        DivisionLevel::Prefecture => (format!("{v:06}"), format!("{:06}", v + 99)),
        DivisionLevel::County => (format!("{v:06}"), format!("{v:06}")),
    }
}

fn level_code(l: DivisionLevel) -> &'static str {
    match l {
        DivisionLevel::Province => "province",
        DivisionLevel::Prefecture => "prefecture",
        DivisionLevel::County => "county",
    }
}

fn parse_level(s: &str) -> StoreResult<DivisionLevel> {
    match s {
        "province" => Ok(DivisionLevel::Province),
        "prefecture" => Ok(DivisionLevel::Prefecture),
        "county" => Ok(DivisionLevel::County),
        other => Err(corrupt("division level", other)),
    }
}

fn parse<T: FromStr>(what: &str, s: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(what, e))
}

fn parse_opt<T: FromStr>(what: &str, s: Option<String>) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| parse(what, &s)).transpose()
}

fn date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt("date", e))
}

fn division_from_row(r: &AnyRow) -> StoreResult<Division> {
    let boundary: Option<Vec<u8>> = r.try_get("boundary")?;
    let boundary = match boundary {
        None => None,
        Some(bytes) => match geozero::wkb::Wkb(bytes).to_geo() {
            Ok(geo::Geometry::MultiPolygon(mp)) => Some(mp),
            Ok(geo::Geometry::Polygon(p)) => Some(geo::MultiPolygon(vec![p])),
            Ok(_) => return Err(corrupt("boundary", "not a polygon")),
            Err(e) => return Err(corrupt("boundary", e)),
        },
    };
    let lon: Option<f64> = r.try_get("center_lon")?;
    let lat: Option<f64> = r.try_get("center_lat")?;
    let parent: Option<String> = r.try_get("parent")?;
    Ok(Division {
        code: parse("division code", &r.try_get::<String, _>("code")?)?,
        name: r.try_get("name")?,
        level: parse_level(&r.try_get::<String, _>("level")?)?,
        parent: parse_opt("division code", parent)?,
        center: lon.zip(lat),
        boundary,
        area_km2: r.try_get("area_km2")?,
        boundary_source: r.try_get("boundary_source")?,
    })
}

fn analyte_from_row(r: &AnyRow) -> StoreResult<Analyte> {
    let group: String = r.try_get("grp")?;
    let aliases: String = r.try_get("aliases")?;
    Ok(Analyte {
        code: r.try_get("code")?,
        name_cn: r.try_get("name_cn")?,
        name_en: r.try_get("name_en")?,
        cas: r.try_get("cas")?,
        group: serde_json::from_value::<AnalyteGroup>(serde_json::Value::String(group))
            .map_err(|e| corrupt("analyte group", e))?,
        unit_soil: parse("unit", &r.try_get::<String, _>("unit_soil")?)?,
        aliases: serde_json::from_str(&aliases).map_err(|e| corrupt("aliases", e))?,
    })
}

fn department_from_row(r: &AnyRow) -> StoreResult<Department> {
    Ok(Department {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        level: parse_level(&r.try_get::<String, _>("level")?)?,
        division: parse("division code", &r.try_get::<String, _>("division")?)?,
    })
}

fn point_from_row(r: &AnyRow) -> StoreResult<MonitoringPoint> {
    let lon: f64 = r.try_get("lon")?;
    let lat: f64 = r.try_get("lat")?;
    Ok(MonitoringPoint {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        point_type: parse("point type", &r.try_get::<String, _>("point_type")?)?,
        control_level: parse("control level", &r.try_get::<String, _>("control_level")?)?,
        division: parse("division code", &r.try_get::<String, _>("division")?)?,
        location: LonLat::new(lon, lat).map_err(|e| corrupt("location", e))?,
        land_use: parse_opt::<LandUse>("land use", r.try_get("land_use")?)?,
        risk_category: r.try_get("risk_category")?,
        established_on: r
            .try_get::<Option<String>, _>("established_on")?
            .map(|s| date(&s))
            .transpose()?,
        retired_on: r
            .try_get::<Option<String>, _>("retired_on")?
            .map(|s| date(&s))
            .transpose()?,
    })
}

fn sample_from_row(r: &AnyRow) -> StoreResult<Sample> {
    let top: Option<i64> = r.try_get("depth_top")?;
    let bottom: Option<i64> = r.try_get("depth_bottom")?;
    let depth = match (top, bottom) {
        (Some(t), Some(b)) => Some((
            u32::try_from(t).map_err(|e| corrupt("depth", e))?,
            u32::try_from(b).map_err(|e| corrupt("depth", e))?,
        )),
        _ => None,
    };
    Ok(Sample {
        code: r.try_get("code")?,
        point_code: r.try_get("point_code")?,
        medium: parse::<Medium>("medium", &r.try_get::<String, _>("medium")?)?,
        division: parse("division code", &r.try_get::<String, _>("division")?)?,
        sampled_on: date(&r.try_get::<String, _>("sampled_on")?)?,
        land_use: parse_opt::<LandUse>("land use", r.try_get("land_use")?)?,
        crop: r.try_get("crop")?,
        depth_cm: depth,
        lab: r.try_get("lab")?,
    })
}

fn result_from_row(r: &AnyRow, sample_code: String) -> StoreResult<AnalysisResult> {
    Ok(AnalysisResult {
        sample_code,
        analyte: r.try_get("analyte")?,
        value: parse_opt("value", r.try_get("value_text")?)?,
        unit: parse::<Unit>("unit", &r.try_get::<String, _>("unit")?)?,
        detection_limit: parse_opt("detection limit", r.try_get("detection_limit")?)?,
        qualifier: parse("qualifier", &r.try_get::<String, _>("qualifier")?)?,
        method: r.try_get("method")?,
    })
}

pub(crate) async fn insert_point(
    tx: &mut Tx<'_>,
    p: &MonitoringPoint,
    batch_id: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO points (code, name, point_type, control_level, division, lon, lat, \
         land_use, risk_category, established_on, retired_on, version, batch_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)",
    )
    .bind(&p.code)
    .bind(&p.name)
    .bind(p.point_type.code())
    .bind(p.control_level.code())
    .bind(p.division.to_string())
    .bind(p.location.lon())
    .bind(p.location.lat())
    .bind(p.land_use.map(|l| l.code().to_owned()))
    .bind(p.risk_category.clone())
    .bind(p.established_on.map(|d| d.to_string()))
    .bind(p.retired_on.map(|d| d.to_string()))
    .bind(batch_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replace a point's row; returns its new version.
pub(crate) async fn update_point_row(tx: &mut Tx<'_>, p: &MonitoringPoint) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE points SET name = $2, point_type = $3, control_level = $4, division = $5, \
         lon = $6, lat = $7, land_use = $8, risk_category = $9, established_on = $10, \
         retired_on = $11, version = version + 1 WHERE code = $1 RETURNING version",
    )
    .bind(&p.code)
    .bind(&p.name)
    .bind(p.point_type.code())
    .bind(p.control_level.code())
    .bind(p.division.to_string())
    .bind(p.location.lon())
    .bind(p.location.lat())
    .bind(p.land_use.map(|l| l.code().to_owned()))
    .bind(p.risk_category.clone())
    .bind(p.established_on.map(|d| d.to_string()))
    .bind(p.retired_on.map(|d| d.to_string()))
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found("point", &p.code))?;
    Ok(row.try_get("version")?)
}

/// Replace a result's values; returns its new version.
pub(crate) async fn update_result_row(
    tx: &mut Tx<'_>,
    id: i64,
    result: &AnalysisResult,
    batch_id: Option<i64>,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE results SET value_text = $2, value_num = $3, unit = $4, detection_limit = $5, \
         qualifier = $6, method = $7, version = version + 1, batch_id = COALESCE($8, batch_id) \
         WHERE id = $1 RETURNING version",
    )
    .bind(id)
    .bind(result.value.map(|v| v.to_string()))
    .bind(result.value.and_then(|v| v.get().to_f64()))
    .bind(result.unit.symbol())
    .bind(result.detection_limit.map(|v| v.to_string()))
    .bind(result.qualifier.code())
    .bind(result.method.clone())
    .bind(batch_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("version")?)
}

/// The current version of a result as a history record. Imported rows carry their provenance in
/// their batch rather than in one history row each; this is that record.
async fn current_result_record(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> StoreResult<Option<VersionRecord>> {
    let row = sqlx::query(
        "SELECT r.analyte AS analyte, r.value_text AS value_text, r.unit AS unit, \
         r.detection_limit AS detection_limit, r.qualifier AS qualifier, r.method AS method, \
         r.version AS version, s.code AS sample_code, b.uploader AS uploader, \
         b.file_name AS file_name, b.id AS batch, b.created_at AS created_at \
         FROM results r JOIN samples s ON s.id = r.sample_id \
         LEFT JOIN import_batches b ON b.id = r.batch_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let result = result_from_row(&row, row.try_get("sample_code")?)?;
    let batch: Option<i64> = row.try_get("batch")?;
    let at: Option<String> = row.try_get("created_at")?;
    Ok(Some(VersionRecord {
        entity: Entity::Result.name().to_owned(),
        key: id.to_string(),
        version: row.try_get("version")?,
        operation: "import".to_owned(),
        data: serde_json::to_value(&result).map_err(|e| StoreError::Invalid(e.to_string()))?,
        actor: row
            .try_get::<Option<String>, _>("uploader")?
            .unwrap_or_else(|| "unknown".into()),
        reason: match (batch, row.try_get::<Option<String>, _>("file_name")?) {
            (Some(b), Some(f)) => format!("import batch {b} ({f})"),
            _ => "recorded before version history".to_owned(),
        },
        at: at
            .and_then(|a| chrono::DateTime::parse_from_rfc3339(&a).ok())
            .map(|a| a.with_timezone(&Utc))
            .unwrap_or_else(Utc::now),
    }))
}

/// Before a result changes: make sure its current version is in the history.
pub(crate) async fn record_prior(tx: &mut Tx<'_>, id: i64) -> StoreResult<()> {
    let have = sqlx::query(
        "SELECT COUNT(*) AS n FROM history h JOIN results r ON r.version = h.version \
         WHERE h.entity = $1 AND h.key = $2 AND r.id = $3",
    )
    .bind(Entity::Result.name())
    .bind(id.to_string())
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    if have.try_get::<i64, _>("n")? > 0 {
        return Ok(());
    }
    if let Some(rec) = current_result_record(tx, id).await? {
        sqlx::query(
            "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(rec.entity)
        .bind(rec.key)
        .bind(rec.version)
        .bind(rec.operation)
        .bind(json(&rec.data)?)
        .bind(rec.actor)
        .bind(rec.reason)
        .bind(rec.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const SAMPLE_COLUMNS: &str = "id, code, point_code, medium, division, sampled_on, land_use, crop, \
                              depth_top, depth_bottom, lab, version, batch_id";
const RESULT_COLUMNS: &str =
    "id, sample_id, analyte, value_text, unit, detection_limit, qualifier, method, version";

/// What a result row copies from its sample (migration 0012): the sample's id, county and
/// date, so that the find queries filter and order results by one index of `results`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SampleKeys {
    pub id: i64,
    pub division: DivisionCode,
    pub sampled_on: NaiveDate,
}

impl SampleKeys {
    pub(crate) fn of(id: i64, s: &Sample) -> Self {
        Self {
            id,
            division: s.division,
            sampled_on: s.sampled_on,
        }
    }

    /// The keys of a stored sample.
    pub(crate) async fn stored(
        conn: &mut sqlx::AnyConnection,
        code: &str,
    ) -> StoreResult<Option<Self>> {
        let Some(row) = sqlx::query("SELECT id, division, sampled_on FROM samples WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let division: String = row.try_get("division")?;
        let sampled_on: String = row.try_get("sampled_on")?;
        Ok(Some(Self {
            id: row.try_get("id")?,
            division: division.parse().map_err(|e| corrupt("division code", e))?,
            sampled_on: NaiveDate::parse_from_str(&sampled_on, "%Y-%m-%d")
                .map_err(|e| corrupt("sample date", e))?,
        }))
    }
}

async fn insert_result(
    tx: &mut Tx<'_>,
    sample: SampleKeys,
    r: &AnalysisResult,
    change: &ChangeMeta,
) -> StoreResult<()> {
    r.validate()
        .map_err(|e| StoreError::Invalid(format!("sample {}: {e}", r.sample_code)))?;
    let value_num = r.value.and_then(|v| v.get().to_f64());
    let row = sqlx::query(
        "INSERT INTO results (sample_id, analyte, value_text, value_num, unit, detection_limit, \
         qualifier, method, version, division, sampled_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10) RETURNING id",
    )
    .bind(sample.id)
    .bind(&r.analyte)
    .bind(r.value.map(|v| v.to_string()))
    .bind(value_num)
    .bind(r.unit.symbol())
    .bind(r.detection_limit.map(|v| v.to_string()))
    .bind(r.qualifier.code())
    .bind(r.method.clone())
    .bind(sample.division.to_string())
    .bind(sample.sampled_on.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    record(
        tx,
        Entity::Result,
        &id.to_string(),
        1,
        "insert",
        json(r)?,
        change,
    )
    .await
}

impl SqlStore {
    async fn load_results(&self, sample_id: i64, code: &str) -> StoreResult<Vec<StoredResult>> {
        let rows = sqlx::query(&format!(
            "SELECT {RESULT_COLUMNS} FROM results WHERE sample_id = $1 ORDER BY id"
        ))
        .bind(sample_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredResult {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    result: result_from_row(r, code.to_owned())?,
                })
            })
            .collect()
    }

    async fn load_sample(&self, row: Option<AnyRow>, key: String) -> StoreResult<StoredSample> {
        let row = row.ok_or_else(|| StoreError::not_found("sample", key))?;
        let sample = sample_from_row(&row)?;
        let id: i64 = row.try_get("id")?;
        let results = self.load_results(id, &sample.code).await?;
        Ok(StoredSample {
            batch: row.try_get("batch_id")?,
            id,
            version: row.try_get("version")?,
            sample,
            results,
        })
    }
}

#[async_trait]
impl Store for SqlStore {
    fn kind(&self) -> BackendKind {
        self.kind
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.kind {
            BackendKind::Sqlite => &SQLITE_MIGRATOR,
            BackendKind::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("v")?.unwrap_or(0))
    }

    async fn upsert_divisions(&self, divisions: &[Division]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for d in divisions {
            let wkb = d
                .boundary
                .as_ref()
                .map(|b| geo::Geometry::MultiPolygon(b.clone()).to_wkb(CoordDimensions::xy()))
                .transpose()
                .map_err(|e| StoreError::Invalid(format!("boundary of {}: {e}", d.code)))?;
            let bbox = d
                .boundary
                .as_ref()
                .and_then(geo::BoundingRect::bounding_rect);
            sqlx::query(
                "INSERT INTO divisions (code, name, name_en, level, parent, center_lon, center_lat, \
                 boundary, min_lon, min_lat, max_lon, max_lat, area_km2, boundary_source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
                 parent = excluded.parent, center_lon = excluded.center_lon, \
                 center_lat = excluded.center_lat, boundary = excluded.boundary, \
                 min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon, \
                 max_lat = excluded.max_lat, area_km2 = excluded.area_km2, \
                 boundary_source = excluded.boundary_source",
            )
            .bind(d.code.to_string())
            .bind(&d.name)
            .bind(Option::<String>::None)
            .bind(level_code(d.level))
            .bind(d.parent.map(|p| p.to_string()))
            .bind(d.center.map(|c| c.0))
            .bind(d.center.map(|c| c.1))
            .bind(wkb)
            .bind(bbox.map(|b| b.min().x))
            .bind(bbox.map(|b| b.min().y))
            .bind(bbox.map(|b| b.max().x))
            .bind(bbox.map(|b| b.max().y))
            .bind(d.area_km2)
            .bind(d.boundary_source.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_divisions(&self) -> StoreResult<Vec<Division>> {
        let rows = sqlx::query("SELECT * FROM divisions ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(division_from_row).collect()
    }

    async fn get_division(&self, code: DivisionCode) -> StoreResult<Division> {
        let row = sqlx::query("SELECT * FROM divisions WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(division_from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("division", code.to_string())))
    }

    async fn upsert_analytes(&self, analytes: &[Analyte]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for a in analytes {
            let group = serde_json::to_value(a.group)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO analytes (code, name_cn, name_en, cas, grp, unit_soil, aliases) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET \
                 name_cn = excluded.name_cn, name_en = excluded.name_en, cas = excluded.cas, \
                 grp = excluded.grp, unit_soil = excluded.unit_soil, aliases = excluded.aliases",
            )
            .bind(&a.code)
            .bind(&a.name_cn)
            .bind(&a.name_en)
            .bind(&a.cas)
            .bind(group)
            .bind(a.unit_soil.symbol())
            .bind(json(&a.aliases)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_analytes(&self) -> StoreResult<Vec<Analyte>> {
        // Catalogue order: the order of insertion is not portable, so order by the embedded
        // catalogue where known and by code otherwise.
        let rows = sqlx::query("SELECT * FROM analytes ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        let mut list: Vec<Analyte> = rows
            .iter()
            .map(analyte_from_row)
            .collect::<StoreResult<_>>()?;
        let builtin = soilwatch_core::AnalyteCatalogue::builtin();
        let pos = |code: &str| {
            builtin
                .all()
                .iter()
                .position(|a| a.code == code)
                .unwrap_or(usize::MAX)
        };
        list.sort_by_key(|a| (pos(&a.code), a.code.clone()));
        Ok(list)
    }

    async fn get_analyte(&self, code: &str) -> StoreResult<Analyte> {
        let row = sqlx::query("SELECT * FROM analytes WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(analyte_from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("analyte", code)))
    }

    async fn create_department(&self, d: &Department, change: &ChangeMeta) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO departments (code, name, level, division, version) VALUES ($1, $2, $3, $4, 1)",
        )
        .bind(&d.code)
        .bind(&d.name)
        .bind(level_code(d.level))
        .bind(d.division.to_string())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            Entity::Department,
            &d.code,
            1,
            "insert",
            json(d)?,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_department(&self, d: &Department, change: &ChangeMeta) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE departments SET name = $2, level = $3, division = $4, version = version + 1 \
             WHERE code = $1 RETURNING version",
        )
        .bind(&d.code)
        .bind(&d.name)
        .bind(level_code(d.level))
        .bind(d.division.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("department", &d.code))?;
        let version: i64 = row.try_get("version")?;
        record(
            &mut tx,
            Entity::Department,
            &d.code,
            version,
            "update",
            json(d)?,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn get_department(&self, code: &str) -> StoreResult<Department> {
        let row = sqlx::query("SELECT * FROM departments WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(department_from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("department", code)))
    }

    async fn list_departments(&self) -> StoreResult<Vec<Department>> {
        let rows = sqlx::query("SELECT * FROM departments ORDER BY division, code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(department_from_row).collect()
    }

    async fn insert_points(
        &self,
        points: &[MonitoringPoint],
        change: &ChangeMeta,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for p in points {
            insert_point(&mut tx, p, None).await?;
            record(
                &mut tx,
                Entity::Point,
                &p.code,
                1,
                "insert",
                json(p)?,
                change,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update_point(&self, p: &MonitoringPoint, change: &ChangeMeta) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let version = update_point_row(&mut tx, p).await?;
        record(
            &mut tx,
            Entity::Point,
            &p.code,
            version,
            "update",
            json(p)?,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn get_point(&self, code: &str) -> StoreResult<MonitoringPoint> {
        let row = sqlx::query("SELECT * FROM points WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(point_from_row)
            .unwrap_or_else(|| Err(StoreError::not_found("point", code)))
    }

    async fn list_points(&self, q: &PointQuery) -> StoreResult<Vec<MonitoringPoint>> {
        let (lo, hi) = match q.division {
            Some(d) => code_range(d),
            None => ("000000".to_owned(), "999999".to_owned()),
        };
        let rows = sqlx::query(
            "SELECT * FROM points WHERE division >= $1 AND division <= $2 ORDER BY code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(point_from_row).collect()
    }

    async fn insert_samples(
        &self,
        batch: &[SampleWithResults],
        change: &ChangeMeta,
    ) -> StoreResult<BatchCounts> {
        let mut tx = self.begin_write().await?;
        let mut counts = BatchCounts {
            samples: 0,
            results: 0,
        };
        for item in batch {
            let s = &item.sample;
            if let Some((top, bottom)) = s.depth_cm {
                if top >= bottom {
                    return Err(StoreError::Invalid(format!(
                        "样品 {}: 采样深度上限应小于下限 / sample {}: depth top {top} must be above bottom {bottom}",
                        s.code, s.code
                    )));
                }
            }
            let row = sqlx::query(
                "INSERT INTO samples (code, point_code, medium, division, sampled_on, land_use, \
                 crop, depth_top, depth_bottom, lab, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) RETURNING id",
            )
            .bind(&s.code)
            .bind(s.point_code.clone())
            .bind(s.medium.code())
            .bind(s.division.to_string())
            .bind(s.sampled_on.to_string())
            .bind(s.land_use.map(|l| l.code().to_owned()))
            .bind(s.crop.clone())
            .bind(s.depth_cm.map(|d| i64::from(d.0)))
            .bind(s.depth_cm.map(|d| i64::from(d.1)))
            .bind(s.lab.clone())
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = row.try_get("id")?;
            record(
                &mut tx,
                Entity::Sample,
                &s.code,
                1,
                "insert",
                json(s)?,
                change,
            )
            .await?;
            counts.samples += 1;
            for r in &item.results {
                if r.sample_code != s.code {
                    return Err(StoreError::Invalid(format!(
                        "结果属于样品 {} 而不是 {} / a result of sample {} is filed under sample {}",
                        r.sample_code, s.code, r.sample_code, s.code
                    )));
                }
                insert_result(&mut tx, SampleKeys::of(id, s), r, change).await?;
                counts.results += 1;
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn get_sample(&self, code: &str) -> StoreResult<StoredSample> {
        let row = sqlx::query(&format!(
            "SELECT {SAMPLE_COLUMNS} FROM samples WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        self.load_sample(row, code.to_owned()).await
    }

    async fn get_sample_by_id(&self, id: i64) -> StoreResult<StoredSample> {
        let row = sqlx::query(&format!(
            "SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.load_sample(row, id.to_string()).await
    }

    async fn get_samples_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<StoredSample>> {
        let mut by_id: HashMap<i64, StoredSample> = HashMap::with_capacity(ids.len());
        let mut wanted: Vec<i64> = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(500) {
            // Integers: listed inline, no placeholders (as `evaluate_samples` does).
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let samples = sqlx::query(&format!(
                "SELECT {SAMPLE_COLUMNS} FROM samples WHERE id IN ({list})"
            ))
            .fetch_all(&self.pool)
            .await?;
            let results = sqlx::query(&format!(
                "SELECT {RESULT_COLUMNS} FROM results WHERE sample_id IN ({list}) \
                 ORDER BY sample_id, id"
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in &samples {
                let id: i64 = row.try_get("id")?;
                by_id.insert(
                    id,
                    StoredSample {
                        batch: row.try_get("batch_id")?,
                        id,
                        version: row.try_get("version")?,
                        sample: sample_from_row(row)?,
                        results: Vec::new(),
                    },
                );
            }
            for r in &results {
                let sample_id: i64 = r.try_get("sample_id")?;
                if let Some(s) = by_id.get_mut(&sample_id) {
                    let result = result_from_row(r, s.sample.code.clone())?;
                    s.results.push(StoredResult {
                        id: r.try_get("id")?,
                        version: r.try_get("version")?,
                        result,
                    });
                }
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
    }

    async fn update_result(
        &self,
        id: i64,
        result: &AnalysisResult,
        change: &ChangeMeta,
    ) -> StoreResult<i64> {
        result
            .validate()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let current = sqlx::query(
            "SELECT r.analyte AS analyte, s.code AS sample_code FROM results r \
             JOIN samples s ON s.id = r.sample_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("result", id.to_string()))?;
        let sample_code: String = current.try_get("sample_code")?;
        let analyte: String = current.try_get("analyte")?;
        if sample_code != result.sample_code || analyte != result.analyte {
            return Err(StoreError::Invalid(format!(
                "更正不能改变样品或检测项目 / a correction cannot move result {id} from {sample_code}/{analyte} to {}/{}",
                result.sample_code, result.analyte
            )));
        }
        record_prior(&mut tx, id).await?;
        let version = update_result_row(&mut tx, id, result, None).await?;
        record(
            &mut tx,
            Entity::Result,
            &id.to_string(),
            version,
            "update",
            json(result)?,
            change,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn query_results(&self, q: &ResultQuery) -> StoreResult<Vec<ResultRow>> {
        // The find query's date order and keyset cursor (and its indexes).
        let fq = crate::FindQuery {
            division: q.division,
            medium: q.medium,
            analyte: q.analyte.clone(),
            from: q.from,
            to: q.to,
            sort: crate::FindSort::Date,
            cursor: q.after.clone(),
            limit: q.limit.unwrap_or(10_000),
            ..crate::FindQuery::default()
        };
        let page = crate::NetworkStore::find_results(self, &fq).await?;
        Ok(page.items.into_iter().map(|r| r.row).collect())
    }

    async fn count_samples(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM samples")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn history(&self, entity: Entity, key: &str) -> StoreResult<Vec<VersionRecord>> {
        let rows = sqlx::query(
            "SELECT entity, key, version, operation, data, actor, reason, at FROM history \
             WHERE entity = $1 AND key = $2 ORDER BY version",
        )
        .bind(entity.name())
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() && entity == Entity::Result {
            if let Ok(id) = key.parse::<i64>() {
                let mut conn = self.pool.acquire().await?;
                return Ok(current_result_record(&mut conn, id)
                    .await?
                    .into_iter()
                    .collect());
            }
        }
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                let at: String = r.try_get("at")?;
                Ok(VersionRecord {
                    entity: r.try_get("entity")?,
                    key: r.try_get("key")?,
                    version: r.try_get("version")?,
                    operation: r.try_get("operation")?,
                    data: serde_json::from_str(&data).map_err(|e| corrupt("history", e))?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    at: chrono::DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| corrupt("history time", e))?
                        .with_timezone(&Utc),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("soilwatch.db").1,
            "sqlite://soilwatch.db?mode=rwc"
        );
        assert_eq!(normalise_url("sqlite:x.db").1, "sqlite://x.db?mode=rwc");
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").1,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(normalise_url("postgres://u@h/db").0, BackendKind::Postgres);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn division_ranges() {
        let r = |s: &str| code_range(s.parse().unwrap());
        assert_eq!(r("513400"), ("513400".into(), "513499".into()));
        assert_eq!(r("510000"), ("510000".into(), "519999".into()));
        assert_eq!(r("513402"), ("513402".into(), "513402".into()));
    }
}
