//! The `Store` trait and its SQLite and PostgreSQL implementations.
//!
//! Owns: the schema (migrations per dialect under `migrations/`), persistence of divisions,
//! analytes, departments, points, samples and results, version history of every change, the seed
//! data, and the conformance suite both backends must pass (`conformance`).
//!
//! Depends on the pure crates only (core, geostat); never on the web or the command line.

pub mod auth;
pub mod auth_secret;
mod auth_sql;
pub mod classification;
pub mod classification_service;
pub mod conformance;
pub mod conformance_auth;
pub mod conformance_classification;
pub mod conformance_exceedance;
pub mod conformance_import;
pub mod conformance_network;
pub mod conformance_registry;
pub mod conformance_sharing;
pub mod conformance_submissions;
pub mod conformance_targets;
pub mod demo;
mod error;
pub mod exceedance;
pub mod exchange;
pub mod import_write;
pub mod importer;
pub mod imports;
pub mod indicators;
pub mod local_rulesets;
mod log_batch;
pub mod network;
pub mod public_reports;
pub mod registry;
pub mod registry_codes;
pub mod registry_demolition;
pub mod registry_enterprise;
pub mod registry_exceedance;
pub mod registry_import;
pub mod registry_mining;
pub mod registry_plot;
pub mod registry_remediation;
mod registry_sql;
pub mod sample_digest;
pub mod seed;
pub mod sharing;
mod sharing_sql;
mod sql;
pub mod submissions;
mod submissions_sql;
pub mod targets;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use soilwatch_core::{
    AnalysisResult, Analyte, ChangeMeta, Department, Division, DivisionCode, Medium,
    MonitoringPoint, Sample, SampleWithResults, VersionRecord,
};

pub use auth::{AuthStore, Role, User};
pub use classification::{
    ClassificationInputs, ClassificationStore, NewRun, NewTargetArea, NewUnitResult, Review,
    ReviewAction, RunRecord, RunUnit, StoredUnit, TargetArea, TargetAreaQuery, UnitsWritten,
};
pub use error::{StoreError, StoreResult};
pub use exceedance::ExceedanceClass;
pub use imports::{ImportBatch, ImportChanges, ImportStore, KnownSnapshot, NewImport};
pub use local_rulesets::{LocalRulesetRecord, LocalRulesetStore};
pub use network::{
    CoverageReport, FindQuery, FindSort, FoundResult, FoundSample, NetworkPoint, NetworkStore,
    Page, PointRecord, RiskAreaCategory, SampleVisibility,
};
pub use public_reports::PublicReportStore;
pub use registry::{KeysetPage, RegistryEntity, RegistryQuery, RegistryStore, Versioned};
pub use sharing::SharingStore;
pub use sql::{connect, connect_with_acquire_timeout, SqlStore};
pub use submissions::SubmissionStore;
pub use targets::{Indicator, NewTarget, Target, TargetInForce, TargetStore};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// Kinds of registered things that keep a version history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Department,
    Point,
    Sample,
    Result,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Department => "department",
            Entity::Point => "point",
            Entity::Sample => "sample",
            Entity::Result => "result",
        }
    }
}

/// A stored result with its identity and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResult {
    pub id: i64,
    pub version: i64,
    pub result: AnalysisResult,
}

/// A stored sample with its results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSample {
    pub id: i64,
    pub version: i64,
    /// The import batch that brought the sample in (`GET /api/v1/imports/{id}`), if imported.
    pub batch: Option<i64>,
    pub sample: Sample,
    pub results: Vec<StoredResult>,
}

/// Counts of a committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    pub samples: usize,
    pub results: usize,
}

/// A filter over stored results. Every field narrows; `None` means no restriction. A prefecture
/// or province division matches every county inside it. Rows come in date order (sampling
/// date, sample, result) and are paged by keyset: pass the [`ResultRow::cursor`] of the last
/// row of a page as `after` for the next, so that rows written between two pages neither
/// shift nor repeat the rows of the next page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultQuery {
    pub division: Option<DivisionCode>,
    pub medium: Option<Medium>,
    /// Analyte code.
    pub analyte: Option<String>,
    /// Sampled on or after.
    pub from: Option<NaiveDate>,
    /// Sampled on or before.
    pub to: Option<NaiveDate>,
    /// Page size (default 10,000; 1..=100,000).
    pub limit: Option<u32>,
    /// Rows after this one (the [`ResultRow::cursor`] of the previous page's last row).
    pub after: Option<String>,
}

/// One row of a result query: the result with the sample it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub result_id: i64,
    pub sample_id: i64,
    pub sample_code: String,
    pub division: DivisionCode,
    pub medium: Medium,
    pub sampled_on: NaiveDate,
    pub result: AnalysisResult,
}

impl ResultRow {
    /// This row's place in the date order of [`ResultQuery`] (and of the `sampled_on` sort of
    /// the find queries): `date.sample_id.result_id`.
    pub fn cursor(&self) -> String {
        format!("{}.{}.{}", self.sampled_on, self.sample_id, self.result_id)
    }
}

/// A filter over points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PointQuery {
    pub division: Option<DivisionCode>,
}

/// Persistence of everything soilwatch registers. Every write that changes a registered thing
/// records a version (who, when, why) in its history; batch writes are all-or-nothing.
#[async_trait]
pub trait Store:
    NetworkStore
    + ImportStore
    + LocalRulesetStore
    + RegistryStore
    + ClassificationStore
    + AuthStore
    + SubmissionStore
    + TargetStore
    + SharingStore
    + PublicReportStore
    + sample_digest::SampleDigestStore
    + Send
    + Sync
{
    fn kind(&self) -> BackendKind;
    /// Apply pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// The version of the newest applied migration.
    async fn schema_version(&self) -> StoreResult<i64>;

    async fn upsert_divisions(&self, divisions: &[Division]) -> StoreResult<()>;
    async fn list_divisions(&self) -> StoreResult<Vec<Division>>;
    async fn get_division(&self, code: DivisionCode) -> StoreResult<Division>;

    async fn upsert_analytes(&self, analytes: &[Analyte]) -> StoreResult<()>;
    async fn list_analytes(&self) -> StoreResult<Vec<Analyte>>;
    async fn get_analyte(&self, code: &str) -> StoreResult<Analyte>;

    async fn create_department(&self, d: &Department, change: &ChangeMeta) -> StoreResult<()>;
    /// Replace a department; returns its new version.
    async fn update_department(&self, d: &Department, change: &ChangeMeta) -> StoreResult<i64>;
    async fn get_department(&self, code: &str) -> StoreResult<Department>;
    async fn list_departments(&self) -> StoreResult<Vec<Department>>;

    /// Insert points, all or nothing.
    async fn insert_points(
        &self,
        points: &[MonitoringPoint],
        change: &ChangeMeta,
    ) -> StoreResult<()>;
    /// Replace a point; returns its new version.
    async fn update_point(&self, p: &MonitoringPoint, change: &ChangeMeta) -> StoreResult<i64>;
    async fn get_point(&self, code: &str) -> StoreResult<MonitoringPoint>;
    async fn list_points(&self, q: &PointQuery) -> StoreResult<Vec<MonitoringPoint>>;

    /// Insert samples with their results, all or nothing.
    async fn insert_samples(
        &self,
        batch: &[SampleWithResults],
        change: &ChangeMeta,
    ) -> StoreResult<BatchCounts>;
    async fn get_sample(&self, code: &str) -> StoreResult<StoredSample>;
    async fn get_sample_by_id(&self, id: i64) -> StoreResult<StoredSample>;
    /// The samples `ids` with their results, in the order of `ids` (ids not found are left out):
    /// two queries per 500 samples however many rows a page shows (issue 12: no query per row).
    async fn get_samples_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<StoredSample>>;
    /// Replace one result (a correction); returns its new version.
    async fn update_result(
        &self,
        id: i64,
        result: &AnalysisResult,
        change: &ChangeMeta,
    ) -> StoreResult<i64>;
    async fn query_results(&self, q: &ResultQuery) -> StoreResult<Vec<ResultRow>>;
    async fn count_samples(&self) -> StoreResult<i64>;

    /// Every version of a thing, oldest first.
    async fn history(&self, entity: Entity, key: &str) -> StoreResult<Vec<VersionRecord>>;
}
