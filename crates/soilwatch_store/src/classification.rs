//! Farmland classification (issue 6): evaluation units, classification runs with their inputs
//! and per-unit evidence, reviews kept apart from computed classes, and the areas recorded
//! toward the work plan's targets. A supertrait of [`Store`](crate::Store).
//!
//! One implementation for SQLite and PostgreSQL (`$n` placeholders, the portable SQL subset;
//! anonymous `?` for many-row inserts on SQLite, see `imports.rs`). The classification itself is
//! pure (`soilwatch_classify`); [`crate::classification_service`] joins the two.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use geo::BoundingRect;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde::{Deserialize, Serialize};
use soilwatch_classify::list::ListUnit;
use soilwatch_classify::{Basis, EvaluationUnit, Measure, UnitClass, UnitSource};
use soilwatch_core::{
    AnalysisResult, ChangeMeta, DivisionCode, DivisionLevel, LandUse, Medium, Unit,
};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::sql::{json, now, Tx};
use crate::{BackendKind, SqlStore, Store, StoreError, StoreResult};

/// A stored evaluation unit.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUnit {
    pub unit: EvaluationUnit,
    pub version: i64,
    /// The file it came from, or `grid N m`.
    pub origin: String,
}

/// What writing units did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitsWritten {
    pub added: usize,
    /// Stored units with another geometry or land use: a new version each.
    pub changed: usize,
    pub unchanged: usize,
}

/// A classification run as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: i64,
    pub year: i32,
    /// The county or prefecture classified.
    pub division: DivisionCode,
    pub method: String,
    pub ruleset: String,
    /// Every setting ([`soilwatch_classify::ClassifySettings`]).
    pub settings: serde_json::Value,
    /// Sample ids and versions, result ids and versions, units and versions, interpolation.
    pub inputs: serde_json::Value,
    /// Units and area (mu) per class, warnings.
    pub summary: serde_json::Value,
    /// The run this one is compared with in the change list.
    pub previous_run_id: Option<i64>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// A run before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub year: i32,
    pub division: DivisionCode,
    pub method: String,
    pub ruleset: String,
    pub settings: serde_json::Value,
    pub inputs: serde_json::Value,
    pub summary: serde_json::Value,
    pub actor: String,
}

/// One unit's computed result before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnitResult {
    pub unit_code: String,
    pub unit_version: i64,
    pub division: DivisionCode,
    pub class: Option<UnitClass>,
    pub basis: Basis,
    pub soil_class: Option<UnitClass>,
    pub proposal: Option<UnitClass>,
    pub area_mu: f64,
    pub area_ha: f64,
    pub rule: String,
    /// The unit's [`soilwatch_classify::UnitOutcome`] as JSON.
    pub evidence: serde_json::Value,
}

/// One unit of a stored run, with its newest review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunUnit {
    #[serde(flatten)]
    pub unit: ListUnit,
    pub unit_version: i64,
    /// The evidence (samples, values, thresholds, decisions), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<serde_json::Value>,
}

/// A reviewer's decision on a unit of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// 确认 — the computed class stands.
    Confirm,
    /// 调整 — another class, with a reason.
    Override,
}

impl ReviewAction {
    pub fn code(self) -> &'static str {
        match self {
            ReviewAction::Confirm => "confirm",
            ReviewAction::Override => "override",
        }
    }
}

impl FromStr for ReviewAction {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "confirm" | "确认" => Ok(ReviewAction::Confirm),
            "override" | "调整" => Ok(ReviewAction::Override),
            other => Err(invalid(
                "action",
                format!("无法识别的审核操作 '{other}'"),
                format!("unknown review action '{other}' (expected confirm or override)"),
            )),
        }
    }
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub run_id: i64,
    pub unit_code: String,
    pub action: ReviewAction,
    /// The class that counts after the review.
    pub class: UnitClass,
    pub reason: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// An area toward a target, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTargetArea {
    pub unit_code: String,
    pub year: i32,
    pub measure: Measure,
    /// Area under the measure, mu; at most the unit's area.
    pub area_mu: f64,
    pub note: Option<String>,
}

/// A recorded area toward a target (the newest of its unit, year and measure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetArea {
    pub id: i64,
    pub unit_code: String,
    pub division: DivisionCode,
    pub year: i32,
    pub measure: Measure,
    /// `safe_utilization`, `strict_control` or `remediation`.
    pub target: String,
    pub area_mu: f64,
    pub note: Option<String>,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A filter over recorded areas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetAreaQuery {
    /// A prefecture matches its counties.
    pub division: Option<DivisionCode>,
    pub year: Option<i32>,
    pub unit_code: Option<String>,
}

/// Samples a run reads, with where they were taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassificationInputs {
    pub soil: Vec<soilwatch_classify::SoilSampleInput>,
    pub crops: Vec<soilwatch_classify::CropSampleInput>,
    /// (result id, version) of every result read, by sample id.
    pub result_versions: HashMap<i64, Vec<(i64, i64)>>,
}

/// Classification persistence. A supertrait of [`Store`].
#[async_trait]
pub trait ClassificationStore: Send + Sync {
    /// Insert units, or replace stored ones whose geometry or land use changed (a new version,
    /// the old one kept in `history`); all or nothing.
    async fn put_units(
        &self,
        units: &[EvaluationUnit],
        origin: &str,
        change: &ChangeMeta,
    ) -> StoreResult<UnitsWritten>;
    /// Units inside a division (a prefecture matches its counties), by code.
    async fn list_units(&self, division: DivisionCode) -> StoreResult<Vec<StoredUnit>>;
    /// The county of a stored unit (None when there is no such unit): who may record areas
    /// toward targets for it depends on it.
    async fn unit_division(&self, code: &str) -> StoreResult<Option<DivisionCode>>;
    /// Soil and agricultural-product samples at points inside a division, sampled in
    /// `from..=to`, with their results.
    async fn classification_inputs(
        &self,
        division: DivisionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<ClassificationInputs>;
    /// Store a run and its results in one transaction; the previous run is the newest run of
    /// the same division.
    async fn create_run(&self, run: &NewRun, results: &[NewUnitResult]) -> StoreResult<RunRecord>;
    async fn get_run(&self, id: i64) -> StoreResult<RunRecord>;
    /// Runs, newest first, optionally of one division and year.
    async fn list_runs(
        &self,
        division: Option<DivisionCode>,
        year: Option<i32>,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>>;
    /// The units of a run with their newest reviews (and evidence when asked), by county and code.
    async fn run_units(&self, run_id: i64, evidence: bool) -> StoreResult<Vec<RunUnit>>;
    /// One unit of a run with its evidence.
    async fn run_unit(&self, run_id: i64, unit_code: &str) -> StoreResult<RunUnit>;
    /// Confirm or override a unit's class with a reason. A confirmation takes the computed
    /// class; an override needs a class. Every review is kept; the newest counts.
    async fn review_unit(
        &self,
        run_id: i64,
        unit_code: &str,
        action: ReviewAction,
        class: Option<UnitClass>,
        change: &ChangeMeta,
    ) -> StoreResult<Review>;
    /// Every review of a unit in a run, oldest first.
    async fn unit_reviews(&self, run_id: i64, unit_code: &str) -> StoreResult<Vec<Review>>;
    /// Record an area toward a target (a new row; an earlier one for the same unit, year and
    /// measure stays but no longer counts).
    async fn record_target_area(
        &self,
        area: &NewTargetArea,
        change: &ChangeMeta,
    ) -> StoreResult<TargetArea>;
    /// The current areas (newest per unit, year and measure).
    async fn list_target_areas(&self, q: &TargetAreaQuery) -> StoreResult<Vec<TargetArea>>;
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn invalid(field: &str, cn: impl fmt::Display, en: impl fmt::Display) -> StoreError {
    StoreError::Invalid(format!("字段 {field}: {cn} / field {field}: {en}"))
}

/// Coordinates closer than this (degrees, ≈ 0.1 mm) are the same: a parcel passed through another
/// tool (GDAL rounds GeoJSON coordinates to 15 significant digits) is not a new version.
const SAME_COORDINATE_DEG: f64 = 1e-9;

/// Whether two unit geometries are the same parcel: the same polygons and rings, vertex by vertex
/// within [`SAME_COORDINATE_DEG`].
fn same_geometry(a: &geo::MultiPolygon<f64>, b: &geo::MultiPolygon<f64>) -> bool {
    use geo::CoordsIter;
    let rings = |m: &geo::MultiPolygon<f64>| -> Vec<usize> {
        m.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.len())
            .collect()
    };
    rings(a) == rings(b)
        && a.coords_iter().zip(b.coords_iter()).all(|(p, q)| {
            (p.x - q.x).abs() <= SAME_COORDINATE_DEG && (p.y - q.y).abs() <= SAME_COORDINATE_DEG
        })
}

fn corrupt(what: &str, e: impl fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn parse<T: FromStr>(what: &str, s: &str) -> StoreResult<T>
where
    T::Err: fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(what, e))
}

fn parse_opt<T: FromStr>(what: &str, s: Option<String>) -> StoreResult<Option<T>>
where
    T::Err: fmt::Display,
{
    s.map(|s| parse(what, &s)).transpose()
}

fn time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt("time", e))
}

fn json_value(what: &str, s: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(s).map_err(|e| corrupt(what, e))
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

fn year_of(r: &AnyRow, col: &str) -> StoreResult<i32> {
    let y: i64 = r.try_get(col)?;
    i32::try_from(y).map_err(|e| corrupt("year", e))
}

fn wkb(g: &geo::MultiPolygon<f64>) -> StoreResult<Vec<u8>> {
    geo::Geometry::MultiPolygon(g.clone())
        .to_wkb(CoordDimensions::xy())
        .map_err(|e| StoreError::Invalid(format!("geometry: {e}")))
}

fn from_wkb(bytes: Vec<u8>) -> StoreResult<geo::MultiPolygon<f64>> {
    match geozero::wkb::Wkb(bytes).to_geo() {
        Ok(geo::Geometry::MultiPolygon(m)) => Ok(m),
        Ok(geo::Geometry::Polygon(p)) => Ok(geo::MultiPolygon(vec![p])),
        Ok(_) => Err(corrupt("unit geometry", "not a polygon")),
        Err(e) => Err(corrupt("unit geometry", e)),
    }
}

fn unit_from_row(r: &AnyRow) -> StoreResult<StoredUnit> {
    Ok(StoredUnit {
        unit: EvaluationUnit {
            code: r.try_get("code")?,
            division: parse("division", &r.try_get::<String, _>("division")?)?,
            source: parse::<UnitSource>("source", &r.try_get::<String, _>("source")?)?,
            land_use: parse_opt::<LandUse>("land use", r.try_get("land_use")?)?,
            geometry: from_wkb(r.try_get("geometry")?)?,
            area_mu: r.try_get("area_mu")?,
            area_ha: r.try_get("area_ha")?,
        },
        version: r.try_get("version")?,
        origin: r.try_get("origin")?,
    })
}

fn run_from_row(r: &AnyRow) -> StoreResult<RunRecord> {
    Ok(RunRecord {
        id: r.try_get("id")?,
        year: year_of(r, "year")?,
        division: parse("division", &r.try_get::<String, _>("division")?)?,
        method: r.try_get("method")?,
        ruleset: r.try_get("ruleset")?,
        settings: json_value("settings", &r.try_get::<String, _>("settings")?)?,
        inputs: json_value("inputs", &r.try_get::<String, _>("inputs")?)?,
        summary: json_value("summary", &r.try_get::<String, _>("summary")?)?,
        previous_run_id: r.try_get("previous_run_id")?,
        actor: r.try_get("actor")?,
        created_at: time(&r.try_get::<String, _>("created_at")?)?,
    })
}

fn review_from_row(r: &AnyRow) -> StoreResult<Review> {
    Ok(Review {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        unit_code: r.try_get("unit_code")?,
        action: parse("review action", &r.try_get::<String, _>("action")?)?,
        class: parse("class", &r.try_get::<String, _>("class")?)?,
        reason: r.try_get("reason")?,
        actor: r.try_get("actor")?,
        at: time(&r.try_get::<String, _>("at")?)?,
    })
}

fn target_from_row(r: &AnyRow) -> StoreResult<TargetArea> {
    let measure: Measure = parse("measure", &r.try_get::<String, _>("measure")?)?;
    Ok(TargetArea {
        id: r.try_get("id")?,
        unit_code: r.try_get("unit_code")?,
        division: parse("division", &r.try_get::<String, _>("division")?)?,
        year: year_of(r, "year")?,
        measure,
        target: measure.target().to_owned(),
        area_mu: r.try_get("area_mu")?,
        note: r.try_get("note")?,
        actor: r.try_get("actor")?,
        reason: r.try_get("reason")?,
        at: time(&r.try_get::<String, _>("at")?)?,
    })
}

fn check_change(change: &ChangeMeta) -> StoreResult<()> {
    if change.actor.trim().is_empty() {
        return Err(invalid(
            "actor",
            "须注明操作人",
            "every change needs an actor",
        ));
    }
    if change.reason.trim().is_empty() {
        return Err(invalid(
            "reason",
            "须注明原因",
            "every change needs a reason",
        ));
    }
    Ok(())
}

/// `(?, ?, …), …` on SQLite, `($1, …), …` on PostgreSQL (see `imports.rs`).
fn placeholders(kind: BackendKind, rows: usize, cols: usize) -> String {
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

async fn insert_unit(
    tx: &mut Tx<'_>,
    u: &EvaluationUnit,
    origin: &str,
    version: i64,
) -> StoreResult<()> {
    let rect = u.geometry.bounding_rect().ok_or_else(|| {
        invalid(
            "geometry",
            format!("单元 {} 几何为空", u.code),
            format!("unit {} has an empty geometry", u.code),
        )
    })?;
    sqlx::query(
        "INSERT INTO evaluation_units (code, division, source, land_use, geometry, min_lon, min_lat, \
         max_lon, max_lat, area_mu, area_ha, origin, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (code) DO UPDATE SET division = excluded.division, source = excluded.source, \
         land_use = excluded.land_use, geometry = excluded.geometry, min_lon = excluded.min_lon, \
         min_lat = excluded.min_lat, max_lon = excluded.max_lon, max_lat = excluded.max_lat, \
         area_mu = excluded.area_mu, area_ha = excluded.area_ha, origin = excluded.origin, \
         version = excluded.version, updated_at = excluded.updated_at",
    )
    .bind(&u.code)
    .bind(u.division.to_string())
    .bind(u.source.code())
    .bind(u.land_use.map(|l| l.code().to_owned()))
    .bind(wkb(&u.geometry)?)
    .bind(rect.min().x)
    .bind(rect.min().y)
    .bind(rect.max().x)
    .bind(rect.max().y)
    .bind(u.area_mu)
    .bind(u.area_ha)
    .bind(origin)
    .bind(version)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn unit_json(u: &EvaluationUnit, origin: &str) -> serde_json::Value {
    serde_json::json!({
        "code": u.code,
        "division": u.division.to_string(),
        "source": u.source.code(),
        "land_use": u.land_use.map(|l| l.code()),
        "area_mu": u.area_mu,
        "area_ha": u.area_ha,
        "origin": origin,
        "geometry": geojson::Geometry::from(&u.geometry),
    })
}

async fn record_unit(
    tx: &mut Tx<'_>,
    u: &EvaluationUnit,
    origin: &str,
    version: i64,
    operation: &str,
    change: &ChangeMeta,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
         VALUES ('evaluation_unit', $1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&u.code)
    .bind(version)
    .bind(operation)
    .bind(json(&unit_json(u, origin))?)
    .bind(&change.actor)
    .bind(&change.reason)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn opt_class(s: Option<String>) -> StoreResult<Option<UnitClass>> {
    parse_opt("class", s)
}

const RUN_COLUMNS: &str = "id, year, division, method, ruleset, settings, inputs, summary, \
                           previous_run_id, actor, created_at";

const UNIT_ROWS: &str = "SELECT r.unit_code AS unit_code, r.unit_version AS unit_version, \
     r.division AS division, d.name AS county, u.source AS source, u.land_use AS land_use, \
     r.area_mu AS area_mu, r.area_ha AS area_ha, r.class AS class, r.basis AS basis, \
     r.proposal AS proposal, r.rule AS rule, r.evidence AS evidence \
     FROM classification_results r JOIN evaluation_units u ON u.code = r.unit_code \
     LEFT JOIN divisions d ON d.code = r.division WHERE r.run_id = $1";

fn run_unit_from_row(r: &AnyRow, evidence: bool) -> StoreResult<RunUnit> {
    Ok(RunUnit {
        unit: ListUnit {
            unit_code: r.try_get("unit_code")?,
            division: r.try_get("division")?,
            county: r
                .try_get::<Option<String>, _>("county")?
                .unwrap_or_default(),
            source: r.try_get("source")?,
            land_use: r.try_get("land_use")?,
            area_mu: r.try_get("area_mu")?,
            area_ha: r.try_get("area_ha")?,
            class: opt_class(r.try_get("class")?)?,
            basis: parse::<Basis>("basis", &r.try_get::<String, _>("basis")?)?,
            proposal: opt_class(r.try_get("proposal")?)?,
            rule: r.try_get("rule")?,
            reviewed_class: None,
            review_action: None,
            review_reason: None,
            reviewed_by: None,
        },
        unit_version: r.try_get("unit_version")?,
        evidence: if evidence {
            Some(json_value(
                "evidence",
                &r.try_get::<String, _>("evidence")?,
            )?)
        } else {
            None
        },
    })
}

fn apply_review(u: &mut RunUnit, rv: &Review) {
    u.unit.reviewed_class = Some(rv.class);
    u.unit.review_action = Some(rv.action.code().to_owned());
    u.unit.review_reason = Some(rv.reason.clone());
    u.unit.reviewed_by = Some(rv.actor.clone());
}

#[async_trait]
impl ClassificationStore for SqlStore {
    async fn put_units(
        &self,
        units: &[EvaluationUnit],
        origin: &str,
        change: &ChangeMeta,
    ) -> StoreResult<UnitsWritten> {
        check_change(change)?;
        let divisions: std::collections::HashSet<DivisionCode> = self
            .list_divisions()
            .await?
            .into_iter()
            .map(|d| d.code)
            .collect();
        let mut seen = std::collections::HashSet::new();
        for u in units {
            if !divisions.contains(&u.division) {
                return Err(invalid(
                    "division",
                    format!("单元 {} 的行政区划 {} 不存在", u.code, u.division),
                    format!("unit {}: division {} does not exist", u.code, u.division),
                ));
            }
            if !seen.insert(u.code.as_str()) {
                return Err(invalid(
                    "code",
                    format!("单元编码 {} 重复", u.code),
                    format!("unit code {} is repeated", u.code),
                ));
            }
        }
        let mut tx = self.begin_write().await?;
        let mut written = UnitsWritten::default();
        for u in units {
            let row = sqlx::query(
                "SELECT code, division, source, land_use, geometry, area_mu, area_ha, version, origin \
                 FROM evaluation_units WHERE code = $1",
            )
            .bind(&u.code)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                None => {
                    insert_unit(&mut tx, u, origin, 1).await?;
                    record_unit(&mut tx, u, origin, 1, "insert", change).await?;
                    written.added += 1;
                }
                Some(r) => {
                    let old = unit_from_row(&r)?;
                    if same_geometry(&old.unit.geometry, &u.geometry)
                        && old.unit.land_use == u.land_use
                        && old.unit.division == u.division
                        && old.unit.source == u.source
                    {
                        written.unchanged += 1;
                    } else {
                        let v = old.version + 1;
                        insert_unit(&mut tx, u, origin, v).await?;
                        record_unit(&mut tx, u, origin, v, "update", change).await?;
                        written.changed += 1;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn list_units(&self, division: DivisionCode) -> StoreResult<Vec<StoredUnit>> {
        let (lo, hi) = code_range(division);
        let rows = sqlx::query(
            "SELECT code, division, source, land_use, geometry, area_mu, area_ha, version, origin \
             FROM evaluation_units WHERE division >= $1 AND division <= $2 ORDER BY division, code",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn unit_division(&self, code: &str) -> StoreResult<Option<DivisionCode>> {
        let row = sqlx::query("SELECT division FROM evaluation_units WHERE code = $1")
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let d: String = r.try_get("division")?;
            d.parse::<DivisionCode>()
                .map_err(|e| corrupt("unit division", e))
        })
        .transpose()
    }

    async fn classification_inputs(
        &self,
        division: DivisionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<ClassificationInputs> {
        let (lo, hi) = code_range(division);
        let rows = sqlx::query(
            "SELECT s.id AS id, s.code AS code, s.version AS version, s.point_code AS point_code, \
             s.medium AS medium, s.sampled_on AS sampled_on, s.land_use AS land_use, s.crop AS crop, \
             p.lon AS lon, p.lat AS lat, p.land_use AS point_land_use, r.id AS result_id, \
             r.version AS result_version, r.analyte AS analyte, r.value_text AS value_text, \
             r.unit AS unit, r.detection_limit AS detection_limit, r.qualifier AS qualifier \
             FROM samples s JOIN points p ON p.code = s.point_code \
             JOIN results r ON r.sample_id = s.id \
             WHERE s.division >= $1 AND s.division <= $2 AND s.medium IN ($3, $4) \
             AND s.sampled_on >= $5 AND s.sampled_on <= $6 ORDER BY s.id, r.id",
        )
        .bind(lo)
        .bind(hi)
        .bind(Medium::Soil.code())
        .bind(Medium::AgriculturalProduct.code())
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        let mut out = ClassificationInputs::default();
        let mut i = 0;
        while i < rows.len() {
            let r = &rows[i];
            let id: i64 = r.try_get("id")?;
            let code: String = r.try_get("code")?;
            let medium: Medium = parse("medium", &r.try_get::<String, _>("medium")?)?;
            let sampled_on: NaiveDate =
                NaiveDate::parse_from_str(&r.try_get::<String, _>("sampled_on")?, "%Y-%m-%d")
                    .map_err(|e| corrupt("date", e))?;
            let land_use: Option<LandUse> = match parse_opt("land use", r.try_get("land_use")?)? {
                Some(l) => Some(l),
                None => parse_opt("land use", r.try_get("point_land_use")?)?,
            };
            let mut results = Vec::new();
            let mut versions = Vec::new();
            while i < rows.len() && rows[i].try_get::<i64, _>("id")? == id {
                let x = &rows[i];
                versions.push((x.try_get("result_id")?, x.try_get("result_version")?));
                results.push(AnalysisResult {
                    sample_code: code.clone(),
                    analyte: x.try_get("analyte")?,
                    value: parse_opt("value", x.try_get("value_text")?)?,
                    unit: parse::<Unit>("unit", &x.try_get::<String, _>("unit")?)?,
                    detection_limit: parse_opt("detection limit", x.try_get("detection_limit")?)?,
                    qualifier: parse("qualifier", &x.try_get::<String, _>("qualifier")?)?,
                    method: None,
                });
                i += 1;
            }
            out.result_versions.insert(id, versions);
            let (version, point_code, lon, lat): (i64, Option<String>, f64, f64) = (
                r.try_get("version")?,
                r.try_get("point_code")?,
                r.try_get("lon")?,
                r.try_get("lat")?,
            );
            if medium == Medium::Soil {
                out.soil.push(soilwatch_classify::SoilSampleInput {
                    id,
                    code,
                    version,
                    point_code,
                    lon,
                    lat,
                    sampled_on,
                    land_use,
                    results,
                });
            } else {
                let crop: Option<String> = r.try_get("crop")?;
                let Some(crop) = crop else { continue };
                let results = results
                    .into_iter()
                    .filter_map(|a| {
                        Some(soilwatch_standards::food::FoodResult {
                            value: if a.is_non_detect() {
                                rust_decimal::Decimal::ZERO
                            } else {
                                a.value?.get()
                            },
                            analyte: a.analyte,
                            unit: a.unit,
                        })
                    })
                    .collect();
                out.crops.push(soilwatch_classify::CropSampleInput {
                    id,
                    code,
                    version,
                    point_code,
                    lon,
                    lat,
                    sampled_on,
                    crop,
                    results,
                });
            }
        }
        Ok(out)
    }

    async fn create_run(&self, run: &NewRun, results: &[NewUnitResult]) -> StoreResult<RunRecord> {
        if run.actor.trim().is_empty() {
            return Err(invalid("actor", "须注明操作人", "a run needs an actor"));
        }
        let mut tx = self.begin_write().await?;
        let previous: Option<i64> = sqlx::query(
            "SELECT id FROM classification_runs WHERE division = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(run.division.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?;
        let row = sqlx::query(
            "INSERT INTO classification_runs (year, division, method, ruleset, settings, inputs, \
             summary, previous_run_id, actor, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(i64::from(run.year))
        .bind(run.division.to_string())
        .bind(&run.method)
        .bind(&run.ruleset)
        .bind(json(&run.settings)?)
        .bind(json(&run.inputs)?)
        .bind(json(&run.summary)?)
        .bind(previous)
        .bind(&run.actor)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for chunk in results.chunks(500) {
            let sql = format!(
                "INSERT INTO classification_results (run_id, unit_code, unit_version, division, \
                 class, basis, soil_class, proposal, area_mu, area_ha, rule, evidence) VALUES {}",
                placeholders(self.kind(), chunk.len(), 12)
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(id)
                    .bind(r.unit_code.clone())
                    .bind(r.unit_version)
                    .bind(r.division.to_string())
                    .bind(r.class.map(|c| c.code().to_owned()))
                    .bind(r.basis.code())
                    .bind(r.soil_class.map(|c| c.code().to_owned()))
                    .bind(r.proposal.map(|c| c.code().to_owned()))
                    .bind(r.area_mu)
                    .bind(r.area_ha)
                    .bind(r.rule.clone())
                    .bind(json(&r.evidence)?);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.get_run(id).await
    }

    async fn get_run(&self, id: i64) -> StoreResult<RunRecord> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM classification_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "classification run",
            key: id.to_string(),
        })?;
        run_from_row(&row)
    }

    async fn list_runs(
        &self,
        division: Option<DivisionCode>,
        year: Option<i32>,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM classification_runs \
             WHERE ($1 = '' OR division = $1) AND ($2 < 0 OR year = $2) ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(division.map(|d| d.to_string()).unwrap_or_default())
        .bind(year.map_or(-1, i64::from))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn run_units(&self, run_id: i64, evidence: bool) -> StoreResult<Vec<RunUnit>> {
        self.get_run(run_id).await?;
        let rows = sqlx::query(&format!("{UNIT_ROWS} ORDER BY r.division, r.unit_code"))
            .bind(run_id)
            .fetch_all(self.pool())
            .await?;
        let mut units = rows
            .iter()
            .map(|r| run_unit_from_row(r, evidence))
            .collect::<StoreResult<Vec<_>>>()?;
        let reviews = sqlx::query(
            "SELECT id, run_id, unit_code, action, class, reason, actor, at \
             FROM classification_reviews WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?;
        let mut newest: HashMap<String, Review> = HashMap::new();
        for r in &reviews {
            let rv = review_from_row(r)?;
            newest.insert(rv.unit_code.clone(), rv);
        }
        for u in &mut units {
            if let Some(rv) = newest.get(&u.unit.unit_code) {
                apply_review(u, rv);
            }
        }
        Ok(units)
    }

    async fn run_unit(&self, run_id: i64, unit_code: &str) -> StoreResult<RunUnit> {
        let row = sqlx::query(&format!("{UNIT_ROWS} AND r.unit_code = $2"))
            .bind(run_id)
            .bind(unit_code)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "classified unit",
                key: format!("run {run_id} unit {unit_code}"),
            })?;
        let mut u = run_unit_from_row(&row, true)?;
        if let Some(rv) = self.unit_reviews(run_id, unit_code).await?.last() {
            apply_review(&mut u, rv);
        }
        Ok(u)
    }

    async fn review_unit(
        &self,
        run_id: i64,
        unit_code: &str,
        action: ReviewAction,
        class: Option<UnitClass>,
        change: &ChangeMeta,
    ) -> StoreResult<Review> {
        check_change(change)?;
        let unit = self.run_unit(run_id, unit_code).await?;
        let class = match (action, class) {
            (ReviewAction::Override, Some(c)) => c,
            (ReviewAction::Override, None) => return Err(invalid(
                "class",
                "调整须给出类别",
                "an override needs a class (priority_protection, safe_utilization, strict_control)",
            )),
            (ReviewAction::Confirm, given) => {
                let Some(computed) = unit.unit.class else {
                    return Err(invalid(
                        "action",
                        "该单元没有计算类别，无法确认，请用 override 给出类别",
                        "the unit has no computed class to confirm; override it with a class",
                    ));
                };
                if given.is_some_and(|g| g != computed) {
                    return Err(invalid(
                        "class",
                        format!("确认的类别须为计算类别 {}", computed.code()),
                        format!(
                            "a confirmation keeps the computed class {}; use override to change it",
                            computed.code()
                        ),
                    ));
                }
                computed
            }
        };
        let row = sqlx::query(
            "INSERT INTO classification_reviews (run_id, unit_code, action, class, reason, actor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(run_id)
        .bind(unit_code)
        .bind(action.code())
        .bind(class.code())
        .bind(change.reason.trim())
        .bind(change.actor.trim())
        .bind(now())
        .fetch_one(self.pool())
        .await?;
        let id: i64 = row.try_get("id")?;
        self.unit_reviews(run_id, unit_code)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::Backend("review not found after insert".into()))
    }

    async fn unit_reviews(&self, run_id: i64, unit_code: &str) -> StoreResult<Vec<Review>> {
        let rows = sqlx::query(
            "SELECT id, run_id, unit_code, action, class, reason, actor, at \
             FROM classification_reviews WHERE run_id = $1 AND unit_code = $2 ORDER BY id",
        )
        .bind(run_id)
        .bind(unit_code)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(review_from_row).collect()
    }

    async fn record_target_area(
        &self,
        area: &NewTargetArea,
        change: &ChangeMeta,
    ) -> StoreResult<TargetArea> {
        check_change(change)?;
        if !(1949..=2100).contains(&area.year) {
            return Err(invalid(
                "year",
                format!("年份 {} 无效", area.year),
                format!("year {} is not a year between 1949 and 2100", area.year),
            ));
        }
        let row = sqlx::query("SELECT division, area_mu FROM evaluation_units WHERE code = $1")
            .bind(&area.unit_code)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| {
                invalid(
                    "unit_code",
                    format!("评价单元 '{}' 不存在", area.unit_code),
                    format!("evaluation unit '{}' does not exist", area.unit_code),
                )
            })?;
        let division: String = row.try_get("division")?;
        let unit_mu: f64 = row.try_get("area_mu")?;
        if !(area.area_mu.is_finite() && area.area_mu > 0.0) || area.area_mu > unit_mu * 1.000_001 {
            return Err(invalid(
                "area_mu",
                format!(
                    "面积 {} 亩应大于 0 且不超过单元面积 {unit_mu:.2} 亩",
                    area.area_mu
                ),
                format!(
                    "area {} mu must be > 0 and at most the unit's area {unit_mu:.2} mu",
                    area.area_mu
                ),
            ));
        }
        let row = sqlx::query(
            "INSERT INTO target_areas (unit_code, division, year, measure, area_mu, note, actor, \
             reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&area.unit_code)
        .bind(division)
        .bind(i64::from(area.year))
        .bind(area.measure.code())
        .bind(area.area_mu)
        .bind(area.note.clone().filter(|n| !n.trim().is_empty()))
        .bind(change.actor.trim())
        .bind(change.reason.trim())
        .bind(now())
        .fetch_one(self.pool())
        .await?;
        let id: i64 = row.try_get("id")?;
        let row = sqlx::query(
            "SELECT id, unit_code, division, year, measure, area_mu, note, actor, reason, at \
             FROM target_areas WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        target_from_row(&row)
    }

    async fn list_target_areas(&self, q: &TargetAreaQuery) -> StoreResult<Vec<TargetArea>> {
        let (lo, hi) = q
            .division
            .map(code_range)
            .unwrap_or_else(|| ("000000".into(), "999999".into()));
        let rows = sqlx::query(
            "SELECT t.id AS id, t.unit_code AS unit_code, t.division AS division, t.year AS year, \
             t.measure AS measure, t.area_mu AS area_mu, t.note AS note, t.actor AS actor, \
             t.reason AS reason, t.at AS at FROM target_areas t \
             WHERE t.division >= $1 AND t.division <= $2 AND ($3 < 0 OR t.year = $3) \
             AND ($4 = '' OR t.unit_code = $4) \
             AND t.id = (SELECT MAX(n.id) FROM target_areas n WHERE n.unit_code = t.unit_code \
                         AND n.year = t.year AND n.measure = t.measure) \
             ORDER BY t.division, t.year, t.unit_code, t.measure",
        )
        .bind(lo)
        .bind(hi)
        .bind(q.year.map_or(-1, i64::from))
        .bind(q.unit_code.clone().unwrap_or_default())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(target_from_row).collect()
    }
}
