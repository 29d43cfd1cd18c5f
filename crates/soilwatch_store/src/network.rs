//! The monitoring network and the basic database (issue 5): the full point registry (type,
//! control level, risk-area category, what a point watches, moves and retirement, every change
//! versioned), finding points, samples and results with filters and keyset paging, and the
//! network coverage report.
//!
//! One implementation for SQLite and PostgreSQL (`$n` placeholders, the portable SQL subset);
//! spatial checks (a point inside its county) are done in Rust with `geo`, so both backends
//! agree.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use geo::Contains;
use serde::{Deserialize, Serialize};
pub use soilwatch_core::network::{NetworkPoint, RiskAreaCategory, DEMO_PREFIX};
use soilwatch_core::{
    AnalysisResult, ChangeMeta, ControlLevel, DivisionCode, DivisionLevel, LandUse, LonLat, Medium,
    MonitoringPoint, PointType, Sample, Unit,
};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::exceedance::{self, ExceedanceClass, SampleLevels};
use crate::{BackendKind, Entity, ResultRow, SqlStore, Store, StoreError, StoreResult};

/// A stored point with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    #[serde(flatten)]
    pub point: NetworkPoint,
    pub version: i64,
}

/// Sort order of a find query. Every order is a keyset (the last row's key is the cursor), so
/// paging is stable under inserts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindSort {
    /// By identity, ascending: point code, sample id, result id.
    #[default]
    Key,
    /// By identity, descending.
    KeyDesc,
    /// By sampling date, then identity (samples and results; points sort by code).
    Date,
    /// By sampling date, newest first.
    DateDesc,
}

impl FromStr for FindSort {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "" | "id" | "code" => FindSort::Key,
            "-id" | "-code" => FindSort::KeyDesc,
            "sampled_on" | "date" => FindSort::Date,
            "-sampled_on" | "-date" => FindSort::DateDesc,
            other => {
                return Err(StoreError::Invalid(format!(
                    "字段 sort: 无法识别的排序 '{other}' / field sort: unknown order '{other}' \
                     (expected id, -id, code, -code, sampled_on or -sampled_on)"
                )))
            }
        })
    }
}

/// A filter over points, samples or results. Every field narrows; `None` means no restriction.
/// Point filters (type, control level, risk category, bbox) apply to samples and results through
/// the sample's point; sample filters (medium, sample code, dates) and the analyte do not apply to
/// points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindQuery {
    /// A prefecture or province matches every county inside it.
    pub division: Option<DivisionCode>,
    pub point_type: Option<PointType>,
    pub control_level: Option<ControlLevel>,
    pub risk_category: Option<RiskAreaCategory>,
    pub medium: Option<Medium>,
    pub point_code: Option<String>,
    pub sample_code: Option<String>,
    /// Import batch that brought the sample in.
    pub batch: Option<i64>,
    /// Analyte catalogue code (resolve aliases before).
    pub analyte: Option<String>,
    /// Sampled on or after.
    pub from: Option<NaiveDate>,
    /// Sampled on or before.
    pub to: Option<NaiveDate>,
    /// min lon, min lat, max lon, max lat (CGCS2000) of the point.
    pub bbox: Option<[f64; 4]>,
    /// Points only: `Some(true)` active, `Some(false)` retired.
    pub active: Option<bool>,
    /// Samples and results: only those in one of these exceedance classes (empty: no
    /// restriction). A result by its own item; a sample by the named analyte's item, or by its
    /// class when no analyte is named. See [`crate::exceedance`].
    pub exceedance: Vec<ExceedanceClass>,
    pub sort: FindSort,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size (1..=100 000).
    pub limit: u32,
    /// Points: exactly this name.
    #[serde(default)]
    pub name: Option<String>,
    /// Points (the point's), samples and results (the sample's): GB/T 21010 land use.
    #[serde(default)]
    pub land_use: Option<LandUse>,
    /// Samples and results: exactly this crop.
    #[serde(default)]
    pub crop: Option<String>,
    /// Samples and results: exactly this laboratory.
    #[serde(default)]
    pub lab: Option<String>,
    /// Points in service at some time of `(from, to)` (either end open): established on or
    /// before `to` (or with no date) and not retired before `from`.
    #[serde(default)]
    pub in_service: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Skip this many matches before the page (offset paging, as OGC API – Features pages);
    /// not with an exceedance filter.
    #[serde(default)]
    pub offset: u64,
    /// Samples and results: what the reader may see (the sharing catalogue's read check, pushed
    /// into the query so that a count and a page agree with what is shown); `None`: everything.
    #[serde(skip)]
    pub visible: Option<SampleVisibility>,
}

/// The samples a reader may see, as the sharing catalogue decides (issue 9): samples of its
/// own department's submissions always; otherwise samples of the media whose dataset is open to
/// it, leaving out samples of submissions not accepted yet unless `sees_unaccepted`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleVisibility {
    /// Media whose dataset the reader may read.
    pub media: Vec<Medium>,
    /// The reader's department.
    pub department: Option<String>,
    /// Reviewers and administrators see submissions that are not accepted yet.
    pub sees_unaccepted: bool,
}

impl Default for FindQuery {
    fn default() -> Self {
        Self {
            division: None,
            point_type: None,
            control_level: None,
            risk_category: None,
            medium: None,
            point_code: None,
            sample_code: None,
            batch: None,
            analyte: None,
            from: None,
            to: None,
            bbox: None,
            active: None,
            exceedance: Vec::new(),
            sort: FindSort::Key,
            cursor: None,
            limit: 1000,
            name: None,
            land_use: None,
            crop: None,
            lab: None,
            in_service: None,
            offset: 0,
            visible: None,
        }
    }
}

/// One page of a find query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `None` on the last page. With an exceedance filter a
    /// page may hold fewer items than asked for and still have a next page (the scan of one call
    /// is bounded, see [`crate::exceedance::SCAN_LIMIT`]).
    pub next_cursor: Option<String>,
}

/// A sample found, with the location and kind of its point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundSample {
    pub id: i64,
    pub version: i64,
    #[serde(flatten)]
    pub sample: Sample,
    pub point_type: Option<PointType>,
    pub control_level: Option<ControlLevel>,
    /// The point's location (none for a sample without a point).
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A result found, with its sample and the sample's point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundResult {
    #[serde(flatten)]
    pub row: ResultRow,
    pub point_code: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A county's share of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyCoverage {
    pub code: DivisionCode,
    pub name: String,
    /// Active points.
    pub total: i64,
    /// Active points by type code.
    pub by_type: BTreeMap<String, i64>,
    /// Active points by control level code.
    pub by_control_level: BTreeMap<String, i64>,
    /// Of background, basic and risk points (the soil network), the types the county lacks.
    pub core_types_missing: Vec<PointType>,
}

/// Counties that have no active point of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeGap {
    pub point_type: PointType,
    pub counties: Vec<DivisionCode>,
}

/// Active points of a risk-area category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskCategoryCount {
    pub category: RiskAreaCategory,
    pub name_cn: String,
    pub points: i64,
}

/// An active point without a sample since the report's `since` date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StalePoint {
    pub code: String,
    pub name: String,
    pub division: DivisionCode,
    pub point_type: PointType,
    /// Its newest sample, if it has any.
    pub last_sampled_on: Option<NaiveDate>,
}

/// 监测网络覆盖情况 — the network coverage report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    /// Points without a sample on or after this date are listed as stale.
    pub since: NaiveDate,
    pub total_points: i64,
    pub counties: Vec<CountyCoverage>,
    /// For each point type, the counties with no active point of that type.
    pub counties_without_type: Vec<TypeGap>,
    pub risk_categories: Vec<RiskCategoryCount>,
    /// Risk-area categories of the work plan without any active point.
    pub risk_categories_without_point: Vec<RiskAreaCategory>,
    pub stale_points: Vec<StalePoint>,
}

/// The soil network's point types every county should have.
pub const CORE_POINT_TYPES: [PointType; 3] =
    [PointType::Background, PointType::Basic, PointType::Risk];

/// The monitoring network and finding data. A supertrait of [`Store`].
#[async_trait]
pub trait NetworkStore: Send + Sync {
    /// Register a point after checking it (a county, a known risk-area category, its location
    /// inside the county's boundary, dates in order). Records version 1.
    async fn create_point(&self, p: &NetworkPoint, change: &ChangeMeta)
        -> StoreResult<PointRecord>;
    /// Register many points with the same checks, all or nothing.
    async fn create_points(
        &self,
        points: &[NetworkPoint],
        change: &ChangeMeta,
    ) -> StoreResult<usize>;
    /// Replace a point after the same checks. A new location sets `moved_on` (to today unless
    /// given); the old location stays in the history. Returns the new record.
    async fn update_network_point(
        &self,
        p: &NetworkPoint,
        change: &ChangeMeta,
    ) -> StoreResult<PointRecord>;
    /// Retire a point on a date (it stays registered, with its history). Retiring a retired point
    /// is a conflict.
    async fn retire_point(
        &self,
        code: &str,
        on: NaiveDate,
        change: &ChangeMeta,
    ) -> StoreResult<PointRecord>;
    async fn get_point_record(&self, code: &str) -> StoreResult<PointRecord>;
    async fn find_points(&self, q: &FindQuery) -> StoreResult<Page<PointRecord>>;
    async fn find_samples(&self, q: &FindQuery) -> StoreResult<Page<FoundSample>>;
    /// How many points match the filters of `q` (its cursor, sort, limit and offset aside): with
    /// `offset`, what an OGC API page needs without reading the matches. Counted up to `cap`
    /// (issue 12: a count costs at most `cap` index entries): the count, or `cap` when at least
    /// that many match.
    async fn count_points(&self, q: &FindQuery, cap: u64) -> StoreResult<u64>;
    /// How many samples match the filters of `q` (cursor, sort, limit and offset aside), up to
    /// `cap` as [`count_points`](Self::count_points). An exceedance filter is `Invalid` here (it
    /// is decided by evaluating each sample).
    async fn count_found_samples(&self, q: &FindQuery, cap: u64) -> StoreResult<u64>;
    async fn find_results(&self, q: &FindQuery) -> StoreResult<Page<FoundResult>>;
    /// The coverage report: points without a sample on or after `since` are stale.
    async fn network_coverage(&self, since: NaiveDate) -> StoreResult<CoverageReport>;
    /// Whether generated demonstration data (codes `DEMO-…`) is present.
    async fn has_demo_data(&self) -> StoreResult<bool>;
    /// Number of points and samples (to tell an empty database).
    async fn count_points_and_samples(&self) -> StoreResult<(i64, i64)>;
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

fn date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt("date", e))
}

fn opt_date(r: &AnyRow, col: &str) -> StoreResult<Option<NaiveDate>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| date(&s))
        .transpose()
}

fn invalid(field: &str, cn: impl fmt::Display, en: impl fmt::Display) -> StoreError {
    StoreError::Invalid(format!("字段 {field}: {cn} / field {field}: {en}"))
}

/// Inclusive range of codes inside a division (a prefecture `513400` covers `513400..513499`).
fn code_range(code: DivisionCode) -> (String, String) {
    let v = code.value();
    match code.level() {
        DivisionLevel::Province => (format!("{v:06}"), format!("{:06}", v + 9_999)),
        DivisionLevel::Prefecture => (format!("{v:06}"), format!("{:06}", v + 99)),
        DivisionLevel::County => (format!("{v:06}"), format!("{v:06}")),
    }
}

fn point_record_from_row(r: &AnyRow) -> StoreResult<PointRecord> {
    let lon: f64 = r.try_get("lon")?;
    let lat: f64 = r.try_get("lat")?;
    let point = MonitoringPoint {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        point_type: parse("point type", &r.try_get::<String, _>("point_type")?)?,
        control_level: parse("control level", &r.try_get::<String, _>("control_level")?)?,
        division: parse("division code", &r.try_get::<String, _>("division")?)?,
        location: LonLat::new(lon, lat).map_err(|e| corrupt("location", e))?,
        land_use: parse_opt::<LandUse>("land use", r.try_get("land_use")?)?,
        risk_category: r.try_get("risk_category")?,
        established_on: opt_date(r, "established_on")?,
        retired_on: opt_date(r, "retired_on")?,
    };
    Ok(PointRecord {
        point: NetworkPoint {
            point,
            watched_enterprise: r.try_get("watched_enterprise")?,
            watched_plot: r.try_get("watched_plot")?,
            moved_on: opt_date(r, "moved_on")?,
        },
        version: r.try_get("version")?,
    })
}

fn found_sample_from_row(r: &AnyRow) -> StoreResult<FoundSample> {
    let top: Option<i64> = r.try_get("depth_top")?;
    let bottom: Option<i64> = r.try_get("depth_bottom")?;
    let depth = match (top, bottom) {
        (Some(t), Some(b)) => Some((
            u32::try_from(t).map_err(|e| corrupt("depth", e))?,
            u32::try_from(b).map_err(|e| corrupt("depth", e))?,
        )),
        _ => None,
    };
    Ok(FoundSample {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        sample: Sample {
            code: r.try_get("code")?,
            point_code: r.try_get("point_code")?,
            medium: parse::<Medium>("medium", &r.try_get::<String, _>("medium")?)?,
            division: parse("division code", &r.try_get::<String, _>("division")?)?,
            sampled_on: date(&r.try_get::<String, _>("sampled_on")?)?,
            land_use: parse_opt::<LandUse>("land use", r.try_get("land_use")?)?,
            crop: r.try_get("crop")?,
            depth_cm: depth,
            lab: r.try_get("lab")?,
        },
        point_type: parse_opt("point type", r.try_get("point_type")?)?,
        control_level: parse_opt("control level", r.try_get("control_level")?)?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
    })
}

fn found_result_from_row(r: &AnyRow) -> StoreResult<FoundResult> {
    let sample_code: String = r.try_get("sample_code")?;
    Ok(FoundResult {
        row: ResultRow {
            result_id: r.try_get("result_id")?,
            sample_id: r.try_get("sample_id")?,
            division: parse("division code", &r.try_get::<String, _>("division")?)?,
            medium: parse("medium", &r.try_get::<String, _>("medium")?)?,
            sampled_on: date(&r.try_get::<String, _>("sampled_on")?)?,
            result: AnalysisResult {
                sample_code: sample_code.clone(),
                analyte: r.try_get("analyte")?,
                value: parse_opt("value", r.try_get("value_text")?)?,
                unit: parse::<Unit>("unit", &r.try_get::<String, _>("unit")?)?,
                detection_limit: parse_opt("detection limit", r.try_get("detection_limit")?)?,
                qualifier: parse("qualifier", &r.try_get::<String, _>("qualifier")?)?,
                method: r.try_get("method")?,
            },
            sample_code,
        },
        point_code: r.try_get("point_code")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
    })
}

/// A value bound to a numbered placeholder.
enum Arg {
    Text(String),
    Real(f64),
    Int(i64),
}

/// A WHERE clause under construction with its numbered arguments.
#[derive(Default)]
struct Filter {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    /// Add an argument; returns its placeholder.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn text(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }
    fn push(&mut self, cond: String) {
        self.conds.push(cond);
    }
    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }
    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Real(v) => q.bind(*v),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }

    /// Division, point and bbox filters; `s` is the alias of the table with a `division`
    /// column, `p` of points.
    fn common(&mut self, q: &FindQuery, s: &str, p: &str) {
        if let Some(d) = q.division {
            let (lo, hi) = code_range(d);
            if lo == hi {
                let a = self.text(lo);
                self.push(format!("{s}.division = {a}"));
            } else {
                let a = self.text(lo);
                let b = self.text(hi);
                self.push(format!("{s}.division >= {a} AND {s}.division <= {b}"));
            }
        }
        if let Some(t) = q.point_type {
            let a = self.text(t.code());
            self.push(format!("{p}.point_type = {a}"));
        }
        if let Some(c) = q.control_level {
            let a = self.text(c.code());
            self.push(format!("{p}.control_level = {a}"));
        }
        if let Some(c) = q.risk_category {
            let a = self.text(c.code());
            self.push(format!("{p}.risk_category = {a}"));
        }
        if let Some([x0, y0, x1, y1]) = q.bbox {
            let (a, b, c, d) = (
                self.arg(Arg::Real(x0)),
                self.arg(Arg::Real(x1)),
                self.arg(Arg::Real(y0)),
                self.arg(Arg::Real(y1)),
            );
            self.push(format!(
                "{p}.lon >= {a} AND {p}.lon <= {b} AND {p}.lat >= {c} AND {p}.lat <= {d}"
            ));
        }
    }

    /// Sample filters; `s` is the alias of samples, `d` of the table whose `sampled_on` the
    /// date range applies to (the samples, or the results, which carry their sample's date).
    /// Without `with_dates` the date range is left to the caller (a [`YearSplit`]).
    fn sample(&mut self, q: &FindQuery, s: &str, d: &str, with_dates: bool) {
        if let Some(m) = q.medium {
            let a = self.text(m.code());
            self.push(format!("{s}.medium = {a}"));
        }
        if let Some(c) = &q.point_code {
            let a = self.text(c.clone());
            self.push(format!("{s}.point_code = {a}"));
        }
        if let Some(c) = &q.sample_code {
            let a = self.text(c.clone());
            self.push(format!("{s}.code = {a}"));
        }
        if let Some(b) = q.batch {
            let a = self.arg(Arg::Int(b));
            self.push(format!("{s}.batch_id = {a}"));
        }
        if with_dates {
            self.dates(q.from, q.to, d);
        }
        if let Some(l) = q.land_use {
            let a = self.text(l.code());
            self.push(format!("{s}.land_use = {a}"));
        }
        for (col, v) in [("crop", &q.crop), ("lab", &q.lab)] {
            if let Some(v) = v {
                let a = self.text(v.clone());
                self.push(format!("{s}.{col} = {a}"));
            }
        }
        if let Some(v) = &q.visible {
            self.visibility(v, s);
        }
    }

    /// Sampled on or after `from` and on or before `to`, by the `sampled_on` of `d`.
    fn dates(&mut self, from: Option<NaiveDate>, to: Option<NaiveDate>, d: &str) {
        if let Some(from) = from {
            let a = self.text(from.to_string());
            self.push(format!("{d}.sampled_on >= {a}"));
        }
        if let Some(to) = to {
            let a = self.text(to.to_string());
            self.push(format!("{d}.sampled_on <= {a}"));
        }
    }

    /// [`SampleVisibility`] as a condition on the samples `s`.
    fn visibility(&mut self, v: &SampleVisibility, s: &str) {
        let submitted = |extra: &str| {
            format!(
                "EXISTS (SELECT 1 FROM submission_batches sb JOIN submissions sub \
                 ON sub.id = sb.submission_id WHERE sb.batch_id = {s}.batch_id AND {extra})"
            )
        };
        let mut open = Vec::new();
        if !v.media.is_empty() {
            let list: Vec<String> = v.media.iter().map(|m| self.text(m.code())).collect();
            open.push(format!("{s}.medium IN ({})", list.join(", ")));
        } else {
            open.push("1 = 0".to_owned());
        }
        if !v.sees_unaccepted {
            let cond = match &v.department {
                Some(d) => {
                    let a = self.text(d.clone());
                    format!("sub.status <> 'accepted' AND sub.department <> {a}")
                }
                None => "sub.status <> 'accepted'".to_owned(),
            };
            open.push(format!("NOT {}", submitted(&cond)));
        }
        let open = open.join(" AND ");
        match &v.department {
            Some(d) => {
                let a = self.text(d.clone());
                let own = submitted(&format!("sub.department = {a}"));
                self.push(format!("({own} OR ({open}))"));
            }
            None => self.push(format!("({open})")),
        }
    }

    /// The filters of a samples query: division, point, sample and analyte (the date range
    /// only `with_dates`).
    fn samples(q: &FindQuery, with_dates: bool) -> Filter {
        let mut f = Filter::default();
        f.common(q, "s", "p");
        f.sample(q, "s", "s", with_dates);
        if let Some(a) = &q.analyte {
            let a = f.text(a.clone());
            f.push(format!(
                "EXISTS (SELECT 1 FROM results r WHERE r.sample_id = s.id AND r.analyte = {a})"
            ));
        }
        f
    }

    /// The filters of a points query.
    fn points(q: &FindQuery) -> Filter {
        let mut f = Filter::default();
        f.common(q, "p", "p");
        if let Some(c) = &q.point_code {
            let a = f.text(c.clone());
            f.push(format!("p.code = {a}"));
        }
        if let Some(n) = &q.name {
            let a = f.text(n.clone());
            f.push(format!("p.name = {a}"));
        }
        if let Some(l) = q.land_use {
            let a = f.text(l.code());
            f.push(format!("p.land_use = {a}"));
        }
        match q.active {
            Some(true) => f.push("p.retired_on IS NULL".into()),
            Some(false) => f.push("p.retired_on IS NOT NULL".into()),
            None => {}
        }
        if let Some((from, to)) = q.in_service {
            if let Some(from) = from {
                let a = f.text(from.to_string());
                f.push(format!("(p.retired_on IS NULL OR p.retired_on >= {a})"));
            }
            if let Some(to) = to {
                let a = f.text(to.to_string());
                f.push(format!(
                    "(p.established_on IS NULL OR p.established_on <= {a})"
                ));
            }
        }
        f
    }
}

/// ` OFFSET n` when the query skips matches.
fn offset_clause(q: &FindQuery) -> String {
    if q.offset > 0 {
        format!(" OFFSET {}", q.offset)
    } else {
        String::new()
    }
}

async fn count(store: &SqlStore, sql: &str, f: &Filter) -> StoreResult<u64> {
    let row = f.bind(sqlx::query(sql)).fetch_one(store.pool()).await?;
    let n: i64 = row.try_get("n")?;
    Ok(u64::try_from(n).unwrap_or_default())
}

fn bad_cursor(c: &str) -> StoreError {
    invalid(
        "cursor",
        format!("无效的翻页游标 '{c}'"),
        format!(
            "invalid cursor '{c}' (pass the next_cursor of the previous page with the same sort)"
        ),
    )
}

/// Parse a cursor of `n` dot-separated parts: an optional date then integers.
fn cursor_parts(c: &str, with_date: bool, ints: usize) -> StoreResult<(Option<String>, Vec<i64>)> {
    let parts: Vec<&str> = c.split('.').collect();
    let expected = ints + usize::from(with_date);
    if parts.len() != expected {
        return Err(bad_cursor(c));
    }
    let (d, rest) = if with_date {
        let d = NaiveDate::parse_from_str(parts[0], "%Y-%m-%d").map_err(|_| bad_cursor(c))?;
        (Some(d.to_string()), &parts[1..])
    } else {
        (None, &parts[..])
    };
    let ints = rest
        .iter()
        .map(|p| p.parse::<i64>().map_err(|_| bad_cursor(c)))
        .collect::<StoreResult<Vec<i64>>>()?;
    Ok((d, ints))
}

/// Counting and offsets are by SQL alone; an exceedance class is decided sample by sample.
fn no_offset_by_class() -> StoreError {
    invalid(
        "exceedance",
        "超标类别筛选不支持计数和偏移翻页，请用游标翻页",
        "an exceedance filter cannot be counted or paged by offset: page with the cursor",
    )
}

fn check_limit(limit: u32) -> StoreResult<i64> {
    if !(1..=100_000).contains(&limit) {
        return Err(invalid(
            "limit",
            format!("每页条数 {limit} 超出范围"),
            format!("page size {limit} must be between 1 and 100000"),
        ));
    }
    Ok(i64::from(limit))
}

/// Split a fetched `limit + 1` rows into a page.
fn page<T>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let more = i64::try_from(items.len()).unwrap_or(i64::MAX) > limit;
    if more {
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    let next_cursor = if more { items.last().map(key) } else { None };
    Page { items, next_cursor }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn record_point(
    tx: &mut Tx<'_>,
    p: &NetworkPoint,
    version: i64,
    operation: &str,
    change: &ChangeMeta,
) -> StoreResult<()> {
    if change.actor.trim().is_empty() || change.reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "每次修改须注明修改人和原因 / every change needs an actor and a reason".into(),
        ));
    }
    let data = serde_json::to_string(p).map_err(|e| StoreError::Invalid(e.to_string()))?;
    sqlx::query(
        "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Entity::Point.name())
    .bind(p.point.code.clone())
    .bind(version)
    .bind(operation)
    .bind(data)
    .bind(change.actor.clone())
    .bind(change.reason.clone())
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// County boundaries, loaded once per call that checks many points.
type Boundaries = HashMap<DivisionCode, (String, Option<geo::MultiPolygon<f64>>)>;

impl SqlStore {
    async fn boundaries(&self) -> StoreResult<Boundaries> {
        Ok(self
            .list_divisions()
            .await?
            .into_iter()
            .map(|d| (d.code, (d.name, d.boundary)))
            .collect())
    }

    /// Check and normalise a point (risk category as its code, trimmed texts).
    fn checked(p: &NetworkPoint, boundaries: &Boundaries) -> StoreResult<NetworkPoint> {
        let mut out = p.clone();
        let pt = &mut out.point;
        pt.code = pt.code.trim().to_owned();
        pt.name = pt.name.trim().to_owned();
        if pt.code.is_empty()
            || pt.code.len() > 64
            || pt.code.chars().any(|c| c.is_whitespace() || c == '/')
        {
            return Err(invalid(
                "code",
                format!("点位编码 '{}' 应为1–64个字符，不含空格和 /", pt.code),
                format!(
                    "point code '{}' must be 1–64 characters without spaces or '/'",
                    pt.code
                ),
            ));
        }
        if pt.name.is_empty() {
            return Err(invalid("name", "点位名称不能为空", "a point needs a name"));
        }
        if pt.division.level() != DivisionLevel::County {
            return Err(invalid(
                "division",
                format!("点位须属于县级行政区，'{}' 不是县级代码", pt.division),
                format!(
                    "a point belongs to a county; '{}' is not a county code",
                    pt.division
                ),
            ));
        }
        let Some((county, boundary)) = boundaries.get(&pt.division) else {
            return Err(invalid(
                "division",
                format!("行政区划 '{}' 不存在", pt.division),
                format!("division '{}' does not exist", pt.division),
            ));
        };
        if let Some(b) = boundary {
            let (x, y) = (pt.location.lon(), pt.location.lat());
            if !b.contains(&geo::Point::new(x, y)) {
                return Err(invalid(
                    "location",
                    format!("坐标 ({x}, {y}) 不在 {county}（{}）边界内", pt.division),
                    format!(
                        "({x}, {y}) is outside the boundary of {county} ({}); check the \
                         coordinates (CGCS2000 longitude, latitude) and the division",
                        pt.division
                    ),
                ));
            }
        }
        if let Some(c) = pt.risk_category.as_deref().map(str::trim) {
            pt.risk_category = if c.is_empty() {
                None
            } else {
                Some(
                    c.parse::<RiskAreaCategory>()
                        .map_err(|e| StoreError::Invalid(e.to_string()))?
                        .code()
                        .to_owned(),
                )
            };
        }
        if let (Some(a), Some(b)) = (pt.established_on, pt.retired_on) {
            if b < a {
                return Err(invalid(
                    "retired_on",
                    format!("撤销日期 {b} 早于设立日期 {a}"),
                    format!("retired on {b} is before established on {a}"),
                ));
            }
        }
        let clean = |s: &mut Option<String>| {
            *s = s
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
        };
        clean(&mut out.watched_enterprise);
        clean(&mut out.watched_plot);
        Ok(out)
    }

    async fn insert_point_tx(
        tx: &mut Tx<'_>,
        p: &NetworkPoint,
        change: &ChangeMeta,
    ) -> StoreResult<()> {
        let pt = &p.point;
        sqlx::query(
            "INSERT INTO points (code, name, point_type, control_level, division, lon, lat, \
             land_use, risk_category, established_on, retired_on, watched_enterprise, \
             watched_plot, moved_on, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)",
        )
        .bind(pt.code.clone())
        .bind(pt.name.clone())
        .bind(pt.point_type.code())
        .bind(pt.control_level.code())
        .bind(pt.division.to_string())
        .bind(pt.location.lon())
        .bind(pt.location.lat())
        .bind(pt.land_use.map(|l| l.code().to_owned()))
        .bind(pt.risk_category.clone())
        .bind(pt.established_on.map(|d| d.to_string()))
        .bind(pt.retired_on.map(|d| d.to_string()))
        .bind(p.watched_enterprise.clone())
        .bind(p.watched_plot.clone())
        .bind(p.moved_on.map(|d| d.to_string()))
        .execute(&mut **tx)
        .await?;
        record_point(tx, p, 1, "insert", change).await
    }

    async fn write_point(&self, p: &NetworkPoint, change: &ChangeMeta) -> StoreResult<PointRecord> {
        let mut tx = self.begin_write().await?;
        let pt = &p.point;
        let row = sqlx::query(
            "UPDATE points SET name = $2, point_type = $3, control_level = $4, division = $5, \
             lon = $6, lat = $7, land_use = $8, risk_category = $9, established_on = $10, \
             retired_on = $11, watched_enterprise = $12, watched_plot = $13, moved_on = $14, \
             version = version + 1 WHERE code = $1 RETURNING version",
        )
        .bind(pt.code.clone())
        .bind(pt.name.clone())
        .bind(pt.point_type.code())
        .bind(pt.control_level.code())
        .bind(pt.division.to_string())
        .bind(pt.location.lon())
        .bind(pt.location.lat())
        .bind(pt.land_use.map(|l| l.code().to_owned()))
        .bind(pt.risk_category.clone())
        .bind(pt.established_on.map(|d| d.to_string()))
        .bind(pt.retired_on.map(|d| d.to_string()))
        .bind(p.watched_enterprise.clone())
        .bind(p.watched_plot.clone())
        .bind(p.moved_on.map(|d| d.to_string()))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "point",
            key: pt.code.clone(),
        })?;
        let version: i64 = row.try_get("version")?;
        record_point(&mut tx, p, version, "update", change).await?;
        tx.commit().await?;
        Ok(PointRecord {
            point: p.clone(),
            version,
        })
    }
}

impl SqlStore {
    /// Samples found by the SQL filters alone (no exceedance class).
    async fn find_samples_sql(&self, q: &FindQuery) -> StoreResult<Page<FoundSample>> {
        let limit = check_limit(q.limit)?;
        let narrow = q.point_code.is_some() || q.sample_code.is_some() || q.batch.is_some();
        let split = YearSplit::of(q, limit, narrow);
        let mut f = Filter::samples(q, split.is_none());
        let order = match (&q.sort, &q.cursor) {
            (FindSort::Key | FindSort::KeyDesc, c) => {
                let desc = q.sort == FindSort::KeyDesc;
                if let Some(c) = c {
                    let (_, ids) = cursor_parts(c, false, 1)?;
                    let a = f.arg(Arg::Int(ids[0]));
                    f.push(format!("s.id {} {a}", if desc { "<" } else { ">" }));
                }
                if desc {
                    "s.id DESC"
                } else {
                    "s.id"
                }
            }
            (FindSort::Date | FindSort::DateDesc, c) => {
                let desc = q.sort == FindSort::DateDesc;
                let op = if desc { "<" } else { ">" };
                if let Some(c) = c {
                    let (d, ids) = cursor_parts(c, true, 1)?;
                    let a = f.text(d.unwrap_or_default());
                    let b = f.arg(Arg::Int(ids[0]));
                    f.push(format!(
                        "s.sampled_on {op}= {a} AND \
                         (s.sampled_on {op} {a} OR (s.sampled_on = {a} AND s.id {op} {b}))"
                    ));
                }
                if desc {
                    "s.sampled_on DESC, s.id DESC"
                } else {
                    "s.sampled_on, s.id"
                }
            }
        };
        let select = "SELECT s.id AS id, s.version AS version, s.code AS code, \
             s.point_code AS point_code, s.medium AS medium, s.division AS division, \
             s.sampled_on AS sampled_on, s.land_use AS land_use, s.crop AS crop, \
             s.depth_top AS depth_top, s.depth_bottom AS depth_bottom, s.lab AS lab, \
             p.point_type AS point_type, p.control_level AS control_level, p.lon AS lon, \
             p.lat AS lat FROM samples s LEFT JOIN points p ON p.code = s.point_code";
        let sql = match &split {
            Some(split) => split.sql(
                &mut f,
                select,
                "s",
                order,
                "id",
                q.sort == FindSort::KeyDesc,
                limit + 1,
            ),
            None => format!(
                "{select} {} ORDER BY {order} LIMIT {}{}",
                f.clause(),
                limit + 1,
                offset_clause(q)
            ),
        };
        let rows = f.bind(sqlx::query(&sql)).fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(found_sample_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let by_date = matches!(q.sort, FindSort::Date | FindSort::DateDesc);
        Ok(page(items, limit, |s| sample_key(by_date, s)))
    }

    /// Results found by the SQL filters alone (no exceedance class).
    async fn find_results_sql(&self, q: &FindQuery) -> StoreResult<Page<FoundResult>> {
        let limit = check_limit(q.limit)?;
        let collect = if q.point_code.is_some() || q.sample_code.is_some() {
            Some(None)
        } else if q.batch.is_some() || point_level(q) {
            match self.few_samples(q).await? {
                Some(ids) if ids.is_empty() => {
                    return Ok(Page {
                        items: Vec::new(),
                        next_cursor: None,
                    })
                }
                Some(ids) => Some(Some(ids)),
                None => None,
            }
        } else {
            None
        };
        let plan = ResultsPlan::of(q, collect.is_some(), self.kind() == BackendKind::Sqlite);
        let mut f = Filter::default();
        f.common(q, plan.division, "p");
        f.sample(q, "s", plan.dated, true);
        if let Some(a) = &q.analyte {
            let a = f.text(a.clone());
            f.push(format!("{}r.analyte = {a}", plan.analyte_prefix));
        }
        if let Some(Some(ids)) = &collect {
            // Integers read from the database: listed inline, so that the planner knows how
            // few they are.
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            f.push(format!("s.id IN ({list})"));
        }
        // Collected rows are sorted: the order's expressions (`+ 0`, `|| ''`) keep either
        // planner from walking an index in that order with the filters as a mere check.
        let (int, text) = if plan.collect {
            (" + 0", " || ''")
        } else {
            ("", "")
        };
        let order = match (&q.sort, &q.cursor) {
            (FindSort::Key | FindSort::KeyDesc, c) => {
                let desc = q.sort == FindSort::KeyDesc;
                if let Some(c) = c {
                    let (_, ids) = cursor_parts(c, false, 1)?;
                    let a = f.arg(Arg::Int(ids[0]));
                    f.push(format!("r.id {} {a}", if desc { "<" } else { ">" }));
                }
                if desc {
                    format!("r.id{int} DESC")
                } else {
                    format!("r.id{int}")
                }
            }
            (FindSort::Date | FindSort::DateDesc, c) => {
                let desc = q.sort == FindSort::DateDesc;
                let op = if desc { "<" } else { ">" };
                if let Some(c) = c {
                    let (day, ids) = cursor_parts(c, true, 2)?;
                    let a = f.text(day.unwrap_or_default());
                    let b = f.arg(Arg::Int(ids[0]));
                    let c = f.arg(Arg::Int(ids[1]));
                    // The plain range lets the index seek to the cursor's date; the OR
                    // decides within it.
                    f.push(format!(
                        "s.sampled_on {op}= {a} AND (s.sampled_on {op} {a} OR \
                         (s.sampled_on = {a} AND (s.id {op} {b} OR \
                         (s.id = {b} AND r.id {op} {c}))))"
                    ));
                }
                let dir = if desc { " DESC" } else { "" };
                format!("s.sampled_on{text}{dir}, s.id{int}{dir}, r.id{int}{dir}")
            }
        };
        f.push("s.id = r.sample_id".into());
        let sql = format!(
            "SELECT r.id AS result_id, r.sample_id AS sample_id, s.code AS sample_code, \
             s.point_code AS point_code, s.division AS division, s.medium AS medium, \
             s.sampled_on AS sampled_on, r.analyte AS analyte, r.value_text AS value_text, \
             r.unit AS unit, r.detection_limit AS detection_limit, r.qualifier AS qualifier, \
             r.method AS method, p.lon AS lon, p.lat AS lat \
             FROM {} LEFT JOIN points p ON p.code = s.point_code {} ORDER BY {order} LIMIT {}{}",
            plan.from,
            f.clause(),
            limit + 1,
            offset_clause(q)
        );
        let rows = f.bind(sqlx::query(&sql)).fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(found_result_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let by_date = matches!(q.sort, FindSort::Date | FindSort::DateDesc);
        Ok(page(items, limit, |r| result_key(by_date, r)))
    }

    /// The ids of the samples that a query's sample and point filters find (the analyte
    /// aside), when there are at most [`COLLECT_SAMPLES`]; `None` when there are more.
    async fn few_samples(&self, q: &FindQuery) -> StoreResult<Option<Vec<i64>>> {
        let mut f = Filter::default();
        f.common(q, "s", "p");
        f.sample(q, "s", "s", true);
        let sql = format!(
            "SELECT s.id AS id FROM samples s LEFT JOIN points p ON p.code = s.point_code {} \
             LIMIT {}",
            f.clause(),
            COLLECT_SAMPLES + 1
        );
        let rows = f.bind(sqlx::query(&sql)).fetch_all(self.pool()).await?;
        if rows.len() > COLLECT_SAMPLES {
            return Ok(None);
        }
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect::<StoreResult<Vec<_>>>()
            .map(Some)
    }
}

/// Samples at most whose results a results query collects and sorts instead of walking an
/// index in the requested order (see [`ResultsPlan`]).
pub(crate) const COLLECT_SAMPLES: usize = 2000;

/// A filter on the sample's point (type, control level, risk category, box).
fn point_level(q: &FindQuery) -> bool {
    q.point_type.is_some()
        || q.control_level.is_some()
        || q.risk_category.is_some()
        || q.bbox.is_some()
}

/// How a results query walks its rows. `results` has three secondary indexes (migration 0014):
/// `results_sample_analyte (sample_id, analyte[, id])`, `results_division_id (division[, id])`
/// and `results_analyte_id (analyte[, id])`; results carry their sample's county and date
/// (0012), so a county, an analyte and a date range can be conditions on `results` itself.
///
/// * **Collect** — few samples match: a point or sample code; or a batch or a point-level
///   filter (type, control level, risk category, box) whose samples, found first by the
///   samples' and points' own indexes, number at most [`COLLECT_SAMPLES`] (their ids are then
///   listed in the statement). The samples come first, each one's results by
///   `results_sample_analyte`, and the matches are sorted.
/// * **Samples first** (date orders otherwise): the samples in date order by their own index
///   (`samples_division_date`, `samples_date_id`, `samples_medium_date`, …; ten times fewer
///   rows than results), each one's results by `results_sample_analyte`, sorted within the
///   sample only; a page reads about the samples it returns.
/// * **Results first** (the identity order otherwise): a county's results by
///   `results_division_id`, else an analyte's by `results_analyte_id`, else all by the primary
///   key, in id order, each row's sample by its primary key, the other filters (the date range
///   on `results.sampled_on`) checked on the way; a page stops after `limit` matches.
///
/// `CROSS JOIN` fixes the join order on SQLite (PostgreSQL plans it like an inner join); on
/// SQLite a county's walk marks the analyte condition (`+r.analyte`) so that the analyte's
/// index, which passes over other counties' clusters of rows, is not taken for it. A prefecture
/// or province (a range of counties) stays a condition on the sample.
struct ResultsPlan {
    /// The matches are collected and sorted.
    collect: bool,
    from: &'static str,
    /// Alias of the table the division filter applies to.
    division: &'static str,
    /// Alias of the table whose `sampled_on` the date range applies to.
    dated: &'static str,
    /// Written before the analyte condition.
    analyte_prefix: &'static str,
}

impl ResultsPlan {
    fn of(q: &FindQuery, collect: bool, sqlite: bool) -> Self {
        let county = q
            .division
            .is_some_and(|d| d.level() == DivisionLevel::County);
        let by_date = matches!(q.sort, FindSort::Date | FindSort::DateDesc);
        if collect || by_date {
            // SQLite 3.46, with statistics, skip-scans `samples_medium_date` over all media
            // and sorts a whole date range rather than walk `samples_date_id` in order (a
            // year newest first: 0.85 s instead of 5 ms on 1,000,000 results); a county or a
            // medium has its own date-ordered index, which it does take.
            let by_date_alone = sqlite && !collect && !county && q.medium.is_none();
            Self {
                collect,
                from: if by_date_alone {
                    "samples s INDEXED BY samples_date_id CROSS JOIN results r"
                } else {
                    "samples s CROSS JOIN results r"
                },
                division: "s",
                dated: "s",
                analyte_prefix: "",
            }
        } else {
            Self {
                collect,
                from: "results r CROSS JOIN samples s",
                division: if county { "r" } else { "s" },
                dated: "r",
                analyte_prefix: if county && sqlite { "+" } else { "" },
            }
        }
    }
}

/// A date range of samples in the identity order, walked year by year. No index yields the rows
/// of a date range in id order, and walking the ids with the range as a filter reads every row
/// before the range (imports arrive year by year, so ids follow dates). Migration 0013 indexes
/// `samples` by the calendar year of `sampled_on` (`substr(sampled_on, 1, 4)`; the year
/// indexes of `results` went in 0014, see [`ResultsPlan`]), the id being the next key: within
/// one year the rows come in id
/// order and a page stops after `limit` rows. A range of several years becomes one statement,
/// a `UNION ALL` of each year's first page (the first and last year keep the range's bounds as
/// a filter), merged in id order; its cost is the number of years times the page. Used only
/// for closed ranges of a few years and modest pages without offset, and not with a narrow
/// filter (a point, a sample code, a batch), whose own index finds few rows.
struct YearSplit {
    /// Each year (`YYYY`) with the range's lower and upper bound when they cut into it.
    years: Vec<(String, Option<String>, Option<String>)>,
}

impl YearSplit {
    const MAX_YEARS: i32 = 12;
    /// Rows read at most (years × page).
    const MAX_ROWS: i64 = 25_000;

    fn of(q: &FindQuery, limit: i64, narrow: bool) -> Option<Self> {
        use chrono::Datelike;
        if narrow || q.offset > 0 || !matches!(q.sort, FindSort::Key | FindSort::KeyDesc) {
            return None;
        }
        let (from, to) = (q.from?, q.to?);
        let (y0, y1) = (from.year(), to.year());
        if from > to || y0 < 1000 || y1 > 9999 {
            return None;
        }
        let years = y1 - y0 + 1;
        if years > Self::MAX_YEARS || i64::from(years) * limit > Self::MAX_ROWS {
            return None;
        }
        Some(Self {
            years: (y0..=y1)
                .map(|y| {
                    let lo =
                        (y == y0 && (from.month(), from.day()) != (1, 1)).then(|| from.to_string());
                    let hi =
                        (y == y1 && (to.month(), to.day()) != (12, 31)).then(|| to.to_string());
                    (format!("{y:04}"), lo, hi)
                })
                .collect(),
        })
    }

    /// The statement: `select` (up to its WHERE) for each year with the conditions of `f` and
    /// the year's, in `order`, `n` rows each; several years merged by the column `key`.
    #[expect(clippy::too_many_arguments, reason = "the parts of one statement")]
    fn sql(
        &self,
        f: &mut Filter,
        select: &str,
        d: &str,
        order: &str,
        key: &str,
        desc: bool,
        n: i64,
    ) -> String {
        let mut parts = Vec::with_capacity(self.years.len());
        for (y, lo, hi) in &self.years {
            let mut conds = f.conds.clone();
            let a = f.text(y.clone());
            conds.push(format!("substr({d}.sampled_on, 1, 4) = {a}"));
            if let Some(lo) = lo {
                let b = f.text(lo.clone());
                conds.push(format!("{d}.sampled_on >= {b}"));
            }
            if let Some(hi) = hi {
                let b = f.text(hi.clone());
                conds.push(format!("{d}.sampled_on <= {b}"));
            }
            parts.push(format!(
                "{select} WHERE {} ORDER BY {order} LIMIT {n}",
                conds.join(" AND ")
            ));
        }
        if parts.len() == 1 {
            return parts.pop().unwrap_or_default();
        }
        let members: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("SELECT * FROM ({p}) AS y{i}"))
            .collect();
        format!(
            "SELECT * FROM ({}) AS u ORDER BY u.{key}{} LIMIT {n}",
            members.join(" UNION ALL "),
            if desc { " DESC" } else { "" }
        )
    }
}

/// The cursor of a sample in its order.
fn sample_key(by_date: bool, s: &FoundSample) -> String {
    if by_date {
        format!("{}.{}", s.sample.sampled_on, s.id)
    } else {
        s.id.to_string()
    }
}

/// The cursor of a result in its order.
fn result_key(by_date: bool, r: &FoundResult) -> String {
    if by_date {
        format!(
            "{}.{}.{}",
            r.row.sampled_on, r.row.sample_id, r.row.result_id
        )
    } else {
        r.row.result_id.to_string()
    }
}

/// Rows a find query can filter by exceedance class.
trait Scanned: Sized + Send {
    fn fetch<'a>(
        store: &'a SqlStore,
        q: &'a FindQuery,
    ) -> impl std::future::Future<Output = StoreResult<Page<Self>>> + Send + 'a;
}

impl Scanned for FoundSample {
    fn fetch<'a>(
        store: &'a SqlStore,
        q: &'a FindQuery,
    ) -> impl std::future::Future<Output = StoreResult<Page<Self>>> + Send + 'a {
        store.find_samples_sql(q)
    }
}

impl Scanned for FoundResult {
    fn fetch<'a>(
        store: &'a SqlStore,
        q: &'a FindQuery,
    ) -> impl std::future::Future<Output = StoreResult<Page<Self>>> + Send + 'a {
        store.find_results_sql(q)
    }
}

impl SqlStore {
    /// A page of rows whose exceedance class is one of `q.exceedance`: candidates come in
    /// keyset order from the SQL filters (soil samples only) in batches, their samples are
    /// evaluated (one query per batch, see [`exceedance`]) and the matches fill the page.
    async fn scan_by_class<T: Scanned>(
        &self,
        q: &FindQuery,
        sample_of: impl Fn(&T) -> i64 + Send + Sync,
        class_of: impl Fn(&T, &SampleLevels) -> Option<ExceedanceClass> + Send + Sync,
        key: impl Fn(&T) -> String + Send + Sync,
    ) -> StoreResult<Page<T>> {
        let limit = check_limit(q.limit)?;
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        if q.medium.is_some_and(|m| m != Medium::Soil) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let mut cq = q.clone();
        cq.exceedance = Vec::new();
        cq.medium = Some(Medium::Soil);
        cq.limit = exceedance::batch_size(limit);
        let mut cache: HashMap<i64, Option<SampleLevels>> = HashMap::new();
        let mut items = Vec::new();
        let mut scanned = 0usize;
        loop {
            let batch = T::fetch(self, &cq).await?;
            scanned += batch.items.len();
            self.evaluate_samples(batch.items.iter().map(&sample_of), &mut cache)
                .await?;
            for x in batch.items {
                let class = cache
                    .get(&sample_of(&x))
                    .and_then(Option::as_ref)
                    .and_then(|l| class_of(&x, l));
                if class.is_some_and(|c| q.exceedance.contains(&c)) {
                    items.push(x);
                    if items.len() > wanted {
                        items.truncate(wanted);
                        let next_cursor = items.last().map(&key);
                        return Ok(Page { items, next_cursor });
                    }
                }
            }
            match batch.next_cursor {
                None => {
                    return Ok(Page {
                        items,
                        next_cursor: None,
                    })
                }
                Some(c) if scanned >= exceedance::SCAN_LIMIT => {
                    return Ok(Page {
                        items,
                        next_cursor: Some(c),
                    })
                }
                Some(c) => cq.cursor = Some(c),
            }
        }
    }
}

#[async_trait]
impl NetworkStore for SqlStore {
    async fn create_point(
        &self,
        p: &NetworkPoint,
        change: &ChangeMeta,
    ) -> StoreResult<PointRecord> {
        let p = Self::checked(p, &self.boundaries().await?)?;
        let mut tx = self.begin_write().await?;
        Self::insert_point_tx(&mut tx, &p, change).await?;
        tx.commit().await?;
        Ok(PointRecord {
            point: p,
            version: 1,
        })
    }

    async fn create_points(
        &self,
        points: &[NetworkPoint],
        change: &ChangeMeta,
    ) -> StoreResult<usize> {
        let boundaries = self.boundaries().await?;
        let checked = points
            .iter()
            .map(|p| {
                Self::checked(p, &boundaries).map_err(|e| match e {
                    StoreError::Invalid(m) => {
                        StoreError::Invalid(format!("点位 / point {}: {m}", p.point.code))
                    }
                    other => other,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut tx = self.begin_write().await?;
        for p in &checked {
            Self::insert_point_tx(&mut tx, p, change).await?;
        }
        tx.commit().await?;
        Ok(checked.len())
    }

    async fn update_network_point(
        &self,
        p: &NetworkPoint,
        change: &ChangeMeta,
    ) -> StoreResult<PointRecord> {
        let mut p = Self::checked(p, &self.boundaries().await?)?;
        let current = self.get_point_record(&p.point.code).await?;
        if current.point.point.location != p.point.location && p.moved_on == current.point.moved_on
        {
            p.moved_on = Some(Utc::now().date_naive());
        }
        self.write_point(&p, change).await
    }

    async fn retire_point(
        &self,
        code: &str,
        on: NaiveDate,
        change: &ChangeMeta,
    ) -> StoreResult<PointRecord> {
        let mut p = self.get_point_record(code).await?.point;
        if let Some(d) = p.point.retired_on {
            return Err(StoreError::Conflict {
                constraint: "point_retired".into(),
                detail: format!(
                    "点位 {code} 已于 {d} 撤销 / point {code} was already retired on {d}"
                ),
            });
        }
        if let Some(e) = p.point.established_on {
            if on < e {
                return Err(invalid(
                    "retired_on",
                    format!("撤销日期 {on} 早于设立日期 {e}"),
                    format!("retired on {on} is before established on {e}"),
                ));
            }
        }
        p.point.retired_on = Some(on);
        self.write_point(&p, change).await
    }

    async fn get_point_record(&self, code: &str) -> StoreResult<PointRecord> {
        let row = sqlx::query("SELECT * FROM points WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => point_record_from_row(&r),
            None => Err(StoreError::NotFound {
                entity: "point",
                key: code.to_owned(),
            }),
        }
    }

    async fn find_points(&self, q: &FindQuery) -> StoreResult<Page<PointRecord>> {
        let limit = check_limit(q.limit)?;
        let mut f = Filter::points(q);
        let desc = matches!(q.sort, FindSort::KeyDesc | FindSort::DateDesc);
        if let Some(c) = &q.cursor {
            let a = f.text(c.clone());
            f.push(format!("p.code {} {a}", if desc { "<" } else { ">" }));
        }
        let sql = format!(
            "SELECT * FROM points p {} ORDER BY p.code {} LIMIT {}{}",
            f.clause(),
            if desc { "DESC" } else { "ASC" },
            limit + 1,
            offset_clause(q)
        );
        let rows = f.bind(sqlx::query(&sql)).fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(point_record_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(page(items, limit, |p| p.point.point.code.clone()))
    }

    async fn count_points(&self, q: &FindQuery, cap: u64) -> StoreResult<u64> {
        let f = Filter::points(q);
        count(
            self,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM points p {} LIMIT {cap}) m",
                f.clause()
            ),
            &f,
        )
        .await
    }

    async fn count_found_samples(&self, q: &FindQuery, cap: u64) -> StoreResult<u64> {
        if !q.exceedance.is_empty() {
            return Err(no_offset_by_class());
        }
        let f = Filter::samples(q, true);
        count(
            self,
            &format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM samples s \
                 LEFT JOIN points p ON p.code = s.point_code {} LIMIT {cap}) m",
                f.clause()
            ),
            &f,
        )
        .await
    }

    async fn find_samples(&self, q: &FindQuery) -> StoreResult<Page<FoundSample>> {
        if q.exceedance.is_empty() {
            return self.find_samples_sql(q).await;
        }
        if q.offset > 0 {
            return Err(no_offset_by_class());
        }
        let by_date = matches!(q.sort, FindSort::Date | FindSort::DateDesc);
        let analyte = q.analyte.clone();
        self.scan_by_class(
            q,
            |x: &FoundSample| x.id,
            move |_x: &FoundSample, levels: &SampleLevels| match &analyte {
                Some(a) => levels.items.get(a).copied(),
                None => levels.class,
            },
            move |x: &FoundSample| sample_key(by_date, x),
        )
        .await
    }

    async fn find_results(&self, q: &FindQuery) -> StoreResult<Page<FoundResult>> {
        if q.exceedance.is_empty() {
            return self.find_results_sql(q).await;
        }
        if q.offset > 0 {
            return Err(no_offset_by_class());
        }
        let by_date = matches!(q.sort, FindSort::Date | FindSort::DateDesc);
        self.scan_by_class(
            q,
            |x: &FoundResult| x.row.sample_id,
            |x: &FoundResult, levels: &SampleLevels| {
                levels
                    .items
                    .get(&exceedance::analyte_code(&x.row.result.analyte))
                    .copied()
            },
            move |x: &FoundResult| result_key(by_date, x),
        )
        .await
    }

    async fn network_coverage(&self, since: NaiveDate) -> StoreResult<CoverageReport> {
        let divisions = self.list_divisions().await?;
        let mut counties: Vec<CountyCoverage> = divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::County)
            .map(|d| CountyCoverage {
                code: d.code,
                name: d.name.clone(),
                total: 0,
                by_type: BTreeMap::new(),
                by_control_level: BTreeMap::new(),
                core_types_missing: Vec::new(),
            })
            .collect();
        let rows = sqlx::query(
            "SELECT division, point_type, control_level, COUNT(*) AS n FROM points \
             WHERE retired_on IS NULL GROUP BY division, point_type, control_level",
        )
        .fetch_all(self.pool())
        .await?;
        let mut total_points = 0;
        for r in &rows {
            let division: DivisionCode = parse("division", &r.try_get::<String, _>("division")?)?;
            let t: String = r.try_get("point_type")?;
            let c: String = r.try_get("control_level")?;
            let n: i64 = r.try_get("n")?;
            total_points += n;
            if let Some(cc) = counties.iter_mut().find(|cc| cc.code == division) {
                cc.total += n;
                *cc.by_type.entry(t).or_default() += n;
                *cc.by_control_level.entry(c).or_default() += n;
            }
        }
        for cc in &mut counties {
            cc.core_types_missing = CORE_POINT_TYPES
                .iter()
                .copied()
                .filter(|t| !cc.by_type.contains_key(t.code()))
                .collect();
        }
        let counties_without_type = PointType::ALL
            .iter()
            .map(|t| TypeGap {
                point_type: *t,
                counties: counties
                    .iter()
                    .filter(|c| !c.by_type.contains_key(t.code()))
                    .map(|c| c.code)
                    .collect(),
            })
            .filter(|g| !g.counties.is_empty())
            .collect();
        let rows = sqlx::query(
            "SELECT risk_category, COUNT(*) AS n FROM points \
             WHERE retired_on IS NULL AND risk_category IS NOT NULL GROUP BY risk_category",
        )
        .fetch_all(self.pool())
        .await?;
        let mut by_cat: HashMap<String, i64> = HashMap::new();
        for r in &rows {
            by_cat.insert(r.try_get("risk_category")?, r.try_get("n")?);
        }
        let risk_categories: Vec<RiskCategoryCount> = RiskAreaCategory::ALL
            .iter()
            .map(|c| RiskCategoryCount {
                category: *c,
                name_cn: c.name_cn().to_owned(),
                points: by_cat.get(c.code()).copied().unwrap_or(0),
            })
            .collect();
        let risk_categories_without_point = risk_categories
            .iter()
            .filter(|c| c.points == 0)
            .map(|c| c.category)
            .collect();
        // Each point's newest sampling date is kept on the point by triggers on samples
        // (migration 0013), so this reads the points alone.
        let rows = sqlx::query(
            "SELECT p.code AS code, p.name AS name, p.division AS division, \
             p.point_type AS point_type, p.last_sampled_on AS last \
             FROM points p WHERE p.retired_on IS NULL \
             AND (p.last_sampled_on IS NULL OR p.last_sampled_on < $1) \
             ORDER BY p.division, p.code",
        )
        .bind(since.to_string())
        .fetch_all(self.pool())
        .await?;
        let stale_points = rows
            .iter()
            .map(|r| {
                Ok(StalePoint {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    division: parse("division", &r.try_get::<String, _>("division")?)?,
                    point_type: parse("point type", &r.try_get::<String, _>("point_type")?)?,
                    last_sampled_on: opt_date(r, "last")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CoverageReport {
            since,
            total_points,
            counties,
            counties_without_type,
            risk_categories,
            risk_categories_without_point,
            stale_points,
        })
    }

    async fn has_demo_data(&self) -> StoreResult<bool> {
        let row = sqlx::query("SELECT code FROM points WHERE substr(code, 1, 5) = $1 LIMIT 1")
            .bind(DEMO_PREFIX)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn count_points_and_samples(&self) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM points) AS p, (SELECT COUNT(*) FROM samples) AS s",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("p")?, row.try_get("s")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors() {
        assert_eq!(cursor_parts("12", false, 1).unwrap().1, vec![12]);
        let (d, ids) = cursor_parts("2020-06-15.3.4", true, 2).unwrap();
        assert_eq!(d.as_deref(), Some("2020-06-15"));
        assert_eq!(ids, vec![3, 4]);
        assert!(cursor_parts("x", false, 1).is_err());
        assert!(cursor_parts("2020-13-01.1", true, 1).is_err());
    }

    #[test]
    fn sort_orders() {
        assert_eq!(
            "-sampled_on".parse::<FindSort>().unwrap(),
            FindSort::DateDesc
        );
        assert!("value".parse::<FindSort>().is_err());
    }
}
