//! Registries and workflows (issue 8): contaminated plots with their lifecycle and the land-use
//! gate (`registry_plot`), key supervised enterprises with their yearly self-monitoring
//! disclosures and tailings ponds (`registry_enterprise`), remediation projects with their
//! soil-transfer manifests (`registry_remediation`). [`RegistryStore`] is a supertrait of
//! [`Store`](crate::Store); `registry_sql` implements it for [`SqlStore`](crate::SqlStore).
//!
//! Every registry row keeps the record as JSON (`data`, what the API returns) with copies of the
//! fields lists are filtered on; every version, whole, is also in `history` under the entity
//! names of [`RegistryEntity`]. Writes that read first (a lifecycle step, a receipt) check the
//! version they read, so two concurrent writers cannot lose one another's change.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use soilwatch_core::{ChangeMeta, DivisionCode, Uscc, VersionRecord};

use crate::registry_demolition::{DemolitionPlan, DemolitionTransition};
use crate::registry_enterprise::{Disclosure, Enterprise, TailingsPond};
use crate::registry_mining::MiningArea;
use crate::registry_plot::{BoundaryWrite, Plot, PlotStep};
use crate::registry_remediation::{ManifestQuery, Receipt, RemediationProject, TransferManifest};
use crate::{StoreError, StoreResult, StoredSample};

/// Declares an enum of registry codes: each variant has a stable code (stored, and the API's
/// English value), a Chinese and an English name, and Chinese aliases; it parses from any of them
/// and serialises as its code.
macro_rules! code_enum {
    (
        $(#[$m:meta])* $name:ident, field = $field:literal, what = $cn_what:literal / $en_what:literal;
        $($(#[$vm:meta])* $v:ident = $code:literal / $cn:literal / $en:literal $([$($alias:literal),*])?),+ $(,)?
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in the registry's order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// Stable code (stored; the API's English value).
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn name_cn(self) -> &'static str { match self { $($name::$v => $cn),+ } }
            pub fn name_en(self) -> &'static str { match self { $($name::$v => $en),+ } }
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$v => &[$($($alias),*)?]),+ }
            }
            /// `code/中文` of every value, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| format!("{}/{}", v.code(), v.name_cn())).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::StoreError;
            /// Accepts the code (`-` or space for `_`, any case), the Chinese name or an alias.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                let norm = t.to_lowercase().replace([' ', '-'], "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == norm || v.name_cn() == t || v.aliases().contains(&t))
                    .ok_or_else(|| $crate::registry::invalid(
                        $field,
                        format!("无法识别的{} '{t}'", $cn_what),
                        format!("unknown {} '{t}' (expected one of {})", $en_what, Self::expected()),
                    ))
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::StoreError;
            fn try_from(s: String) -> Result<Self, Self::Error> { s.parse() }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String { v.code().to_owned() }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }
    };
}
pub(crate) use code_enum;

/// An invalid field: `字段 f: 中文 / field f: English`.
pub(crate) fn invalid(field: &str, cn: impl fmt::Display, en: impl fmt::Display) -> StoreError {
    StoreError::Invalid(format!("字段 {field}: {cn} / field {field}: {en}"))
}

/// Trim an optional text; empty becomes `None`.
pub(crate) fn clean(s: &mut Option<String>) {
    *s = s
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
}

/// A required text, trimmed, 1..=max characters.
pub(crate) fn required(field: &str, s: &mut String, max: usize) -> StoreResult<()> {
    *s = s.trim().to_owned();
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(invalid(
            field,
            format!("不能为空，且不超过{max}个字符"),
            format!("must be 1–{max} characters, found {n}"),
        ));
    }
    Ok(())
}

/// A registry code (plot, project, manifest, pond): 1–64 characters, no spaces or `/`.
pub(crate) fn check_code(field: &str, s: &mut String) -> StoreResult<()> {
    *s = s.trim().to_owned();
    if s.is_empty() || s.len() > 64 || s.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(invalid(
            field,
            format!("编码 '{s}' 应为1–64个字符，不含空格和 /"),
            format!("code '{s}' must be 1–64 characters without spaces or '/'"),
        ));
    }
    Ok(())
}

/// Kinds of registered things of the registries; the `entity` of their `history` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryEntity {
    /// 污染地块
    Plot,
    /// 重点监管企业
    Enterprise,
    /// 自行监测信息公开 (key `USCC/year`)
    Disclosure,
    /// 修复工程
    RemediationProject,
    /// 转运联单
    Manifest,
    /// 尾矿库
    TailingsPond,
    /// 拆除活动污染防治方案
    DemolitionPlan,
    /// 矿区
    MiningArea,
}

impl RegistryEntity {
    pub fn name(self) -> &'static str {
        match self {
            RegistryEntity::Plot => "plot",
            RegistryEntity::Enterprise => "enterprise",
            RegistryEntity::Disclosure => "disclosure",
            RegistryEntity::RemediationProject => "remediation_project",
            RegistryEntity::Manifest => "manifest",
            RegistryEntity::TailingsPond => "tailings_pond",
            RegistryEntity::DemolitionPlan => "demolition_plan",
            RegistryEntity::MiningArea => "mining_area",
        }
    }
}

impl fmt::Display for RegistryEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A registered record with its version (`version` counts from 1; pass it back on an update to
/// refuse the write when someone else changed the record in between).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    #[serde(flatten)]
    pub item: T,
    pub version: i64,
}

/// 报告 — metadata of a report document (survey, assessment, plan, evaluation).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportDoc {
    pub title: String,
    /// Document number (文号 / 编号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Who wrote it (编制单位).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    /// Where the document is kept (file name or archive reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl ReportDoc {
    pub(crate) fn check(&mut self, field: &str) -> StoreResult<()> {
        required(&format!("{field}.title"), &mut self.title, 200)?;
        clean(&mut self.number);
        clean(&mut self.organisation);
        clean(&mut self.file);
        Ok(())
    }
}

/// 备案 — a filing with a bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// The bureau filed with (e.g. 凉山州生态环境局).
    pub bureau: String,
    pub filed_on: NaiveDate,
    /// Filing number (备案号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

impl Filing {
    pub(crate) fn check(&mut self, field: &str) -> StoreResult<()> {
        required(&format!("{field}.bureau"), &mut self.bureau, 100)?;
        clean(&mut self.number);
        Ok(())
    }
}

/// A party (organisation or person) with its unified social credit code when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<Uscc>,
}

impl Party {
    pub(crate) fn check(&mut self, field: &str) -> StoreResult<()> {
        required(&format!("{field}.name"), &mut self.name, 200)
    }
}

/// A filter over a registry. Every field narrows; fields that do not apply to a registry are
/// ignored. A prefecture division matches every county inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryQuery {
    pub division: Option<DivisionCode>,
    /// Status code of the registry (`listed`, `operating`, …).
    pub status: Option<String>,
    /// Remediation projects of a plot.
    pub plot: Option<String>,
    /// Tailings ponds, demolition plans or mining areas of an enterprise (USCC).
    pub enterprise: Option<String>,
    /// Mining areas: `Some(true)` only those with associated radioactivity, `Some(false)` only
    /// those without.
    #[serde(default)]
    pub radioactive: Option<bool>,
    /// Keyset paging (issue 12): which page of the list.
    #[serde(default)]
    pub page: KeysetPage,
}

/// One page of a registry list, by keyset (issue 12): the rows after the record keyed `after`
/// in the list's order (stable when records are added between two pages: nothing is skipped or
/// repeated), at most `limit` of them. The default is the whole list from the start.
///
/// `after` is the key (code, USCC) of the last record of the previous page; the store reads
/// that record's sort fields, so a cursor stays valid while records are inserted. An unknown
/// key is an [`Invalid`](crate::StoreError::Invalid) `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysetPage {
    /// Key of the last record of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// At most this many records (`None`: every one).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Persistence of the registries (issue 8). A supertrait of [`Store`](crate::Store).
///
/// Creates record version 1; updates replace the record (keeping what only workflow calls change,
/// such as a plot's steps or a manifest's receipt) and record the next version. `expected_version`
/// (when given) must be the current version, else the write is a conflict.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Register a plot: checked, its county verified, its land class derived from the planned use,
    /// its area computed; the lifecycle starts at `suspected` on `identified_on`.
    async fn create_plot(
        &self,
        p: &Plot,
        identified_on: NaiveDate,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>>;
    /// Replace a plot's registered facts; its steps and status stay as they are.
    async fn update_plot(
        &self,
        p: &Plot,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>>;
    /// Take the next lifecycle step. An out-of-order step is a `Conflict` naming the missing
    /// steps; a malformed one (no report, date before the last step) is `Invalid`.
    async fn add_plot_step(
        &self,
        code: &str,
        step: &PlotStep,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Plot>>;
    /// Replace the boundaries of registered plots (a file import, issue 11), all or nothing:
    /// every plot must exist (else `NotFound`), every boundary pass the plot checks and touch the
    /// plot's county (else `Invalid` naming the plot). A boundary equal to the stored one leaves
    /// its plot unchanged; every other plot gets a new version (operation `boundary`), its
    /// facts, steps and status kept, the previous boundary in its history.
    async fn set_plot_boundaries(
        &self,
        boundaries: &[(String, geo::MultiPolygon<f64>)],
        change: &ChangeMeta,
    ) -> StoreResult<Vec<BoundaryWrite>>;
    async fn get_plot(&self, code: &str) -> StoreResult<Versioned<Plot>>;
    async fn list_plots(&self, q: &RegistryQuery) -> StoreResult<Vec<Versioned<Plot>>>;
    /// The plot's survey results: soil samples whose code is recorded on the plot, samples of
    /// points recorded on the plot, and samples of points that watch the plot.
    async fn plot_samples(&self, code: &str) -> StoreResult<Vec<StoredSample>>;

    async fn create_enterprise(
        &self,
        e: &Enterprise,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Enterprise>>;
    async fn update_enterprise(
        &self,
        e: &Enterprise,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Enterprise>>;
    async fn get_enterprise(&self, uscc: &str) -> StoreResult<Versioned<Enterprise>>;
    async fn list_enterprises(&self, q: &RegistryQuery) -> StoreResult<Vec<Versioned<Enterprise>>>;
    /// Record (or replace) an enterprise's disclosure for a year.
    async fn put_disclosure(
        &self,
        d: &Disclosure,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<Disclosure>>;
    /// An enterprise's disclosures, by year.
    async fn list_disclosures(&self, uscc: &str) -> StoreResult<Vec<Versioned<Disclosure>>>;

    /// Register a remediation project of a registered plot (its division is the plot's).
    async fn create_project(
        &self,
        p: &RemediationProject,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<RemediationProject>>;
    async fn update_project(
        &self,
        p: &RemediationProject,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<RemediationProject>>;
    async fn get_project(&self, code: &str) -> StoreResult<Versioned<RemediationProject>>;
    async fn list_projects(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<RemediationProject>>>;

    /// File a transfer manifest now. It must be filed before its departure time (else
    /// `Invalid`); its origin is the project's county.
    async fn create_manifest(
        &self,
        m: &TransferManifest,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>>;
    /// Replace a manifest before its departure (after departure, or once received, a conflict).
    async fn update_manifest(
        &self,
        m: &TransferManifest,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>>;
    /// Record what the destination received (once; a second receipt is a conflict).
    async fn receive_manifest(
        &self,
        code: &str,
        receipt: &Receipt,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TransferManifest>>;
    async fn get_manifest(&self, code: &str) -> StoreResult<Versioned<TransferManifest>>;
    /// Manifests of a project, or those whose origin or destination lies in a division (what a
    /// county bureau sees), by departure time.
    async fn list_manifests(
        &self,
        q: &ManifestQuery,
    ) -> StoreResult<Vec<Versioned<TransferManifest>>>;

    async fn create_tailings_pond(
        &self,
        t: &TailingsPond,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TailingsPond>>;
    async fn update_tailings_pond(
        &self,
        t: &TailingsPond,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<TailingsPond>>;
    async fn get_tailings_pond(&self, code: &str) -> StoreResult<Versioned<TailingsPond>>;
    async fn list_tailings_ponds(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<TailingsPond>>>;

    /// File a demolition plan of a registered enterprise (its name and county are copied from
    /// the registry); its lifecycle starts at `filed` on the filing date.
    async fn create_demolition_plan(
        &self,
        p: &DemolitionPlan,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>>;
    /// Replace a plan's filed facts; its status and steps stay as they are.
    async fn update_demolition_plan(
        &self,
        p: &DemolitionPlan,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>>;
    /// Change a plan's status: a transition the lifecycle does not allow is a `Conflict` naming
    /// the missing step; a date before the last step is `Invalid`.
    async fn set_demolition_status(
        &self,
        code: &str,
        t: &DemolitionTransition,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<DemolitionPlan>>;
    async fn get_demolition_plan(&self, code: &str) -> StoreResult<Versioned<DemolitionPlan>>;
    /// Plans by division, status and enterprise, by filing date.
    async fn list_demolition_plans(
        &self,
        q: &RegistryQuery,
    ) -> StoreResult<Vec<Versioned<DemolitionPlan>>>;

    async fn create_mining_area(
        &self,
        a: &MiningArea,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<MiningArea>>;
    async fn update_mining_area(
        &self,
        a: &MiningArea,
        expected_version: Option<i64>,
        change: &ChangeMeta,
    ) -> StoreResult<Versioned<MiningArea>>;
    async fn get_mining_area(&self, code: &str) -> StoreResult<Versioned<MiningArea>>;
    /// Mining areas by division, status and enterprise, by code.
    async fn list_mining_areas(&self, q: &RegistryQuery)
        -> StoreResult<Vec<Versioned<MiningArea>>>;

    /// The samples on any of these points (an enterprise's self-monitoring points, a mining
    /// area's monitoring points), sampled in `year` when given, by date and id.
    async fn samples_of_points(
        &self,
        point_codes: &[String],
        year: Option<i32>,
    ) -> StoreResult<Vec<StoredSample>>;
    /// The GB 36600 land class (1 or 2) that registered plots set for these points: a plot
    /// listing the point among its `point_codes`, or the plot the point watches
    /// (`watched_plot`); the stricter (1) when several do. Points without a plot are absent.
    async fn plot_classes_of_points(
        &self,
        point_codes: &[String],
    ) -> StoreResult<std::collections::HashMap<String, u8>>;

    /// Every version of a registered thing, oldest first. `NotFound` when it has none.
    async fn registry_history(
        &self,
        entity: RegistryEntity,
        key: &str,
    ) -> StoreResult<Vec<VersionRecord>>;
}

/// Parse a USCC as a field of a request (422 naming the field).
pub fn parse_uscc(field: &str, s: &str) -> StoreResult<Uscc> {
    Uscc::from_str(s).map_err(|e| StoreError::Invalid(format!("字段 {field} / field {field}: {e}")))
}
