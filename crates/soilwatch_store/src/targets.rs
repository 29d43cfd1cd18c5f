//! 目标 — the work plan's indicators and the targets set for them (issue 10): the indicator
//! catalogue with each formula, the work plan's default targets, targets per division, year and
//! indicator set over them (every version kept in `history`, entity `target`), and the
//! monitoring counts per county the coverage indicator reads. [`TargetStore`] is a supertrait
//! of [`Store`](crate::Store); the indicators themselves are computed in [`crate::indicators`].
//!
//! # Which target is in force
//! For a division and a year, the target of an indicator is the one set for the latest year not
//! after it — first among the division's own targets and the work plan's defaults (a target set
//! for a year replaces the default of that year), so "94 % by 2020" is what 2021–2029 are
//! assessed against until "95 % by 2030" takes over. The rate defaults apply to every county and
//! to the prefecture; the area defaults (×10⁴ mu) to the prefecture only, since the work plan does
//! not split them by county (a county's area targets are set by the bureau).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{ChangeMeta, DivisionCode, DivisionLevel, VersionRecord};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::sql::{json, now, Tx};
use crate::{SqlStore, StoreError, StoreResult};

/// An indicator of the work plan, computed from the stored data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 受污染耕地安全利用率
    FarmlandSafeUseRate,
    /// 污染地块安全利用率
    PlotSafeUseRate,
    /// 安全利用类耕地落实安全利用措施面积（万亩）
    SafeUtilizationArea,
    /// 严格管控类耕地种植结构调整或退耕还林还草面积（万亩）
    StrictControlArea,
    /// 治理与修复面积（万亩）
    RemediationArea,
    /// 土壤环境质量监测县（市）覆盖率
    MonitoringCoverage,
    /// 重点监管企业自行监测信息公开率
    DisclosureRate,
    /// 数据按时报送率 — share of the year's owed submissions received by their due date.
    SubmissionsOnTime,
}

/// How an indicator's value is formed from its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// 100 × Σ numerator ÷ Σ denominator, in %.
    Rate,
    /// Σ area (mu) ÷ 10 000, in ×10⁴ mu (万亩).
    Area,
}

impl Indicator {
    pub const ALL: [Indicator; 8] = [
        Indicator::FarmlandSafeUseRate,
        Indicator::PlotSafeUseRate,
        Indicator::SafeUtilizationArea,
        Indicator::StrictControlArea,
        Indicator::RemediationArea,
        Indicator::MonitoringCoverage,
        Indicator::DisclosureRate,
        Indicator::SubmissionsOnTime,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Indicator::FarmlandSafeUseRate => "farmland_safe_use_rate",
            Indicator::PlotSafeUseRate => "plot_safe_use_rate",
            Indicator::SafeUtilizationArea => "safe_utilization_area",
            Indicator::StrictControlArea => "strict_control_area",
            Indicator::RemediationArea => "remediation_area",
            Indicator::MonitoringCoverage => "monitoring_coverage",
            Indicator::DisclosureRate => "disclosure_rate",
            Indicator::SubmissionsOnTime => "submissions_on_time",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            Indicator::FarmlandSafeUseRate => "受污染耕地安全利用率",
            Indicator::PlotSafeUseRate => "污染地块安全利用率",
            Indicator::SafeUtilizationArea => "安全利用类耕地安全利用面积",
            Indicator::StrictControlArea => "严格管控类耕地种植结构调整或退耕还林还草面积",
            Indicator::RemediationArea => "治理与修复面积",
            Indicator::MonitoringCoverage => "土壤环境监测县（市）覆盖率",
            Indicator::DisclosureRate => "重点监管企业自行监测信息公开率",
            Indicator::SubmissionsOnTime => "数据按时报送率",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Indicator::FarmlandSafeUseRate => "safe-use rate of contaminated farmland",
            Indicator::PlotSafeUseRate => "safe-use rate of contaminated plots",
            Indicator::SafeUtilizationArea => "area of safe utilization",
            Indicator::StrictControlArea => "area restructured or returned to forest and grassland",
            Indicator::RemediationArea => "area remediated",
            Indicator::MonitoringCoverage => "monitoring coverage of counties",
            Indicator::DisclosureRate => {
                "share of key enterprises that disclosed their self-monitoring"
            }
            Indicator::SubmissionsOnTime => "submissions on time",
        }
    }

    pub fn kind(self) -> IndicatorKind {
        match self {
            Indicator::SafeUtilizationArea
            | Indicator::StrictControlArea
            | Indicator::RemediationArea => IndicatorKind::Area,
            _ => IndicatorKind::Rate,
        }
    }

    /// `%` or `万亩` (×10⁴ mu).
    pub fn unit(self) -> &'static str {
        match self.kind() {
            IndicatorKind::Rate => "%",
            IndicatorKind::Area => "万亩",
        }
    }

    /// The formula, in Chinese.
    pub fn formula_cn(self) -> &'static str {
        match self {
            Indicator::FarmlandSafeUseRate => {
                "落实措施的安全利用类和严格管控类耕地面积 ÷ 安全利用类和严格管控类耕地面积 × 100%\
                 （分类以各县当年或之前最近一次分类结果为准，含审核调整；每个单元计入的措施面积不超过单元面积）"
            }
            Indicator::PlotSafeUseRate => {
                "年末已实施风险管控或治理修复（含效果评估、移出名录）或划为管控区的污染地块数 ÷ 年末已列入名录的污染地块数 × 100%"
            }
            Indicator::SafeUtilizationArea => {
                "当年记录的农艺调控、替代种植面积之和（亩）÷ 10000"
            }
            Indicator::StrictControlArea => {
                "当年记录的种植结构调整、退耕还林还草面积之和（亩）÷ 10000"
            }
            Indicator::RemediationArea => "当年记录的治理与修复面积之和（亩）÷ 10000",
            Indicator::MonitoringCoverage => {
                "当年有土壤样品的县（市）数 ÷ 县（市）总数 × 100%"
            }
            Indicator::DisclosureRate => {
                "已公开当年自行监测信息的重点监管企业数 ÷ 当年应公开的重点监管企业数（列入年份不晚于当年且未移出名录）× 100%"
            }
            Indicator::SubmissionsOnTime => {
                "截止日期前报送（最近一次上传不晚于截止日期，北京时间，且未被退回）的当年度数据报送数 ÷ \
                 当年度应报送的数据报送数 × 100%（报送任务按数据所属年度；截止日期未到且尚未报送的不计入）"
            }
        }
    }

    /// The formula, in English.
    pub fn formula_en(self) -> &'static str {
        match self {
            Indicator::FarmlandSafeUseRate => {
                "area of safe-utilization and strict-control land under measures ÷ area of \
                 safe-utilization and strict-control land × 100 % (classes from each county's \
                 newest classification run of the year or before, reviews applied; a unit counts \
                 at most its own area)"
            }
            Indicator::PlotSafeUseRate => {
                "listed plots under risk control or remediation (incl. effect evaluation and \
                 delisted) or held as control areas at the year's end ÷ plots listed by the \
                 year's end × 100 %"
            }
            Indicator::SafeUtilizationArea => {
                "Σ areas recorded for the year under agronomic regulation and substitute crops \
                 (mu) ÷ 10 000"
            }
            Indicator::StrictControlArea => {
                "Σ areas recorded for the year restructured or returned to forest and grassland \
                 (mu) ÷ 10 000"
            }
            Indicator::RemediationArea => "Σ areas recorded for the year remediated (mu) ÷ 10 000",
            Indicator::MonitoringCoverage => {
                "counties with a soil sample taken in the year ÷ counties × 100 %"
            }
            Indicator::DisclosureRate => {
                "key enterprises that disclosed the year's self-monitoring ÷ key enterprises \
                 due to (listed by the year and not removed) × 100 %"
            }
            Indicator::SubmissionsOnTime => {
                "submissions of the year's data whose standing upload (received or accepted, \
                 not returned) arrived by the due date (Beijing time) ÷ submissions of the \
                 year's data owed × 100 % (campaigns by the year the data is of; one still owed \
                 before its due date is not counted yet)"
            }
        }
    }

    /// The work plan's default targets as (year, value): rates in %, areas in ×10⁴ mu (areas
    /// only for a prefecture).
    pub fn defaults(self, level: DivisionLevel) -> &'static [(i32, f64)] {
        let prefecture = level != DivisionLevel::County;
        match self {
            Indicator::FarmlandSafeUseRate => &[(2020, 94.0), (2030, 95.0)],
            Indicator::PlotSafeUseRate => &[(2020, 90.0), (2030, 95.0)],
            Indicator::SafeUtilizationArea if prefecture => &[(2020, 50.9)],
            Indicator::StrictControlArea if prefecture => &[(2020, 24.2)],
            Indicator::RemediationArea if prefecture => &[(2020, 12.7)],
            // Item 2: every county covered by the soil monitoring network by 2020.
            Indicator::MonitoringCoverage => &[(2020, 100.0)],
            _ => &[],
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Indicator {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let norm = t.to_lowercase().replace([' ', '-'], "_");
        Indicator::ALL
            .into_iter()
            .find(|i| i.code() == norm || i.name_cn() == t)
            .ok_or_else(|| {
                let expected: Vec<&str> = Indicator::ALL.iter().map(|i| i.code()).collect();
                StoreError::Invalid(format!(
                    "字段 indicator: 无法识别的指标 '{t}' / field indicator: unknown indicator \
                     '{t}' (expected one of {})",
                    expected.join(", ")
                ))
            })
    }
}

/// A target stored for a division, year and indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub division: DivisionCode,
    pub year: i32,
    pub indicator: Indicator,
    /// % for rates, ×10⁴ mu for areas.
    pub value: f64,
    pub note: Option<String>,
    pub version: i64,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Where a target in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// 工作方案默认值
    WorkPlan,
    /// Set for the division.
    Set,
}

/// The target an indicator is assessed against in a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInForce {
    pub indicator: Indicator,
    pub division: DivisionCode,
    /// The year the target was set for (the latest not after the assessed year).
    pub target_year: i32,
    pub value: f64,
    pub source: TargetSource,
    /// The stored target's version (set targets only).
    pub version: Option<i64>,
}

/// The target in force for `indicator` in `division` and `year`: the latest of the division's
/// set targets and the work plan's defaults with a year not after `year` (a set target wins
/// over a default of the same year). `None` before the first target year.
///
/// # Examples
/// ```
/// use soilwatch_store::targets::{target_in_force, Indicator, TargetSource};
/// let county = "513402".parse().unwrap();
/// let t = target_in_force(Indicator::FarmlandSafeUseRate, county, 2025, &[]).unwrap();
/// assert_eq!((t.target_year, t.value, t.source), (2020, 94.0, TargetSource::WorkPlan));
/// assert!(target_in_force(Indicator::FarmlandSafeUseRate, county, 2019, &[]).is_none());
/// // No area target for a county unless one is set.
/// assert!(target_in_force(Indicator::SafeUtilizationArea, county, 2020, &[]).is_none());
/// ```
pub fn target_in_force(
    indicator: Indicator,
    division: DivisionCode,
    year: i32,
    set: &[Target],
) -> Option<TargetInForce> {
    let mut best: Option<TargetInForce> = None;
    for &(y, v) in indicator.defaults(division.level()) {
        if y <= year && best.as_ref().is_none_or(|b| y > b.target_year) {
            best = Some(TargetInForce {
                indicator,
                division,
                target_year: y,
                value: v,
                source: TargetSource::WorkPlan,
                version: None,
            });
        }
    }
    for t in set
        .iter()
        .filter(|t| t.indicator == indicator && t.division == division && t.year <= year)
    {
        if best.as_ref().is_none_or(|b| t.year >= b.target_year) {
            best = Some(TargetInForce {
                indicator,
                division,
                target_year: t.year,
                value: t.value,
                source: TargetSource::Set,
                version: Some(t.version),
            });
        }
    }
    best
}

/// A target to set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTarget {
    pub division: DivisionCode,
    pub year: i32,
    pub indicator: Indicator,
    pub value: f64,
    pub note: Option<String>,
}

/// Monitoring of one county in a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyMonitoring {
    pub division: DivisionCode,
    /// Points registered and not retired before the year began.
    pub active_points: i64,
    /// Soil samples taken in the year.
    pub soil_samples: i64,
}

/// Targets and the counts the indicators read. A supertrait of [`Store`](crate::Store).
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// Set (or change) a target; the previous version stays in the history.
    async fn put_target(&self, t: &NewTarget, change: &ChangeMeta) -> StoreResult<Target>;
    /// The set targets (current versions), of a division (a prefecture matches its counties)
    /// and year when given, by division, indicator and year.
    async fn list_targets(
        &self,
        division: Option<DivisionCode>,
        year: Option<i32>,
    ) -> StoreResult<Vec<Target>>;
    /// Every version of a target, oldest first (`NotFound` when never set).
    async fn target_history(
        &self,
        division: DivisionCode,
        year: i32,
        indicator: Indicator,
    ) -> StoreResult<Vec<VersionRecord>>;
    /// Points and soil samples of every county inside `division` in a year, by county.
    async fn county_monitoring(
        &self,
        division: DivisionCode,
        year: i32,
    ) -> StoreResult<Vec<CountyMonitoring>>;
}

fn target_key(division: DivisionCode, year: i32, indicator: Indicator) -> String {
    format!("{division}/{year}/{indicator}")
}

fn corrupt(what: &str, e: impl fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {e}"))
}

fn code_range(code: DivisionCode) -> (String, String) {
    let v = code.value();
    match code.level() {
        DivisionLevel::Province => (format!("{v:06}"), format!("{:06}", v + 9_999)),
        DivisionLevel::Prefecture => (format!("{v:06}"), format!("{:06}", v + 99)),
        DivisionLevel::County => (format!("{v:06}"), format!("{v:06}")),
    }
}

fn target_from_row(r: &AnyRow) -> StoreResult<Target> {
    let year: i64 = r.try_get("year")?;
    Ok(Target {
        division: r
            .try_get::<String, _>("division")?
            .parse()
            .map_err(|e| corrupt("division", e))?,
        year: i32::try_from(year).map_err(|e| corrupt("year", e))?,
        indicator: r
            .try_get::<String, _>("indicator")?
            .parse()
            .map_err(|e| corrupt("indicator", e))?,
        value: r.try_get("value")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        actor: r.try_get("actor")?,
        reason: r.try_get("reason")?,
        at: DateTime::parse_from_rfc3339(&r.try_get::<String, _>("at")?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| corrupt("time", e))?,
    })
}

fn invalid(field: &str, cn: impl fmt::Display, en: impl fmt::Display) -> StoreError {
    StoreError::Invalid(format!("字段 {field}: {cn} / field {field}: {en}"))
}

/// Check a target before it is stored.
fn check(t: &NewTarget) -> StoreResult<()> {
    if !(2000..=2100).contains(&t.year) {
        return Err(invalid(
            "year",
            format!("目标年份 {} 应在 2000–2100 之间", t.year),
            format!("target year {} must be between 2000 and 2100", t.year),
        ));
    }
    if !t.value.is_finite() || t.value < 0.0 {
        return Err(invalid(
            "value",
            format!("目标值 {} 应为不小于 0 的数", t.value),
            format!("target value {} must be a number ≥ 0", t.value),
        ));
    }
    if t.indicator.kind() == IndicatorKind::Rate && t.value > 100.0 {
        return Err(invalid(
            "value",
            format!("比率目标 {} 不能超过 100（单位 %）", t.value),
            format!("a rate target of {} is above 100 (the unit is %)", t.value),
        ));
    }
    if t.division.level() == DivisionLevel::Province {
        return Err(invalid(
            "division",
            "目标只能设到州或县（市）",
            "targets are set for the prefecture or a county",
        ));
    }
    Ok(())
}

const TARGET_COLUMNS: &str = "division, year, indicator, value, note, version, actor, reason, at";

#[async_trait]
impl TargetStore for SqlStore {
    async fn put_target(&self, t: &NewTarget, change: &ChangeMeta) -> StoreResult<Target> {
        check(t)?;
        if change.actor.trim().is_empty() || change.reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "每次修改须注明修改人和原因",
                "every change needs an actor and a reason",
            ));
        }
        let note = t
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let mut tx: Tx<'_> = self.begin_write().await?;
        let division = t.division.to_string();
        sqlx::query("SELECT code FROM divisions WHERE code = $1")
            .bind(&division)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                invalid(
                    "division",
                    format!("行政区划 '{division}' 不存在"),
                    format!("division '{division}' is not known"),
                )
            })?;
        let current: Option<i64> = sqlx::query(
            "SELECT version FROM targets WHERE division = $1 AND year = $2 AND indicator = $3",
        )
        .bind(&division)
        .bind(i64::from(t.year))
        .bind(t.indicator.code())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("version"))
        .transpose()?;
        let at = now();
        let version = current.map_or(1, |v| v + 1);
        if current.is_some() {
            sqlx::query(
                "UPDATE targets SET value = $1, note = $2, version = $3, actor = $4, reason = $5, \
                 at = $6 WHERE division = $7 AND year = $8 AND indicator = $9",
            )
            .bind(t.value)
            .bind(note.clone())
            .bind(version)
            .bind(change.actor.trim())
            .bind(change.reason.trim())
            .bind(&at)
            .bind(&division)
            .bind(i64::from(t.year))
            .bind(t.indicator.code())
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(&format!(
                "INSERT INTO targets ({TARGET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&division)
            .bind(i64::from(t.year))
            .bind(t.indicator.code())
            .bind(t.value)
            .bind(note.clone())
            .bind(version)
            .bind(change.actor.trim())
            .bind(change.reason.trim())
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets WHERE division = $1 AND year = $2 AND indicator = $3"
        ))
        .bind(&division)
        .bind(i64::from(t.year))
        .bind(t.indicator.code())
        .fetch_one(&mut *tx)
        .await?;
        let stored = target_from_row(&row)?;
        sqlx::query(
            "INSERT INTO history (entity, key, version, operation, data, actor, reason, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind("target")
        .bind(target_key(t.division, t.year, t.indicator))
        .bind(version)
        .bind(if version == 1 { "insert" } else { "update" })
        .bind(json(&stored)?)
        .bind(change.actor.trim())
        .bind(change.reason.trim())
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_targets(
        &self,
        division: Option<DivisionCode>,
        year: Option<i32>,
    ) -> StoreResult<Vec<Target>> {
        let (lo, hi) = division
            .map(code_range)
            .unwrap_or_else(|| ("000000".into(), "999999".into()));
        let rows = sqlx::query(&format!(
            "SELECT {TARGET_COLUMNS} FROM targets WHERE division >= $1 AND division <= $2 \
             AND ($3 < 0 OR year = $3) ORDER BY division, indicator, year"
        ))
        .bind(lo)
        .bind(hi)
        .bind(year.map_or(-1, i64::from))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(target_from_row).collect()
    }

    async fn target_history(
        &self,
        division: DivisionCode,
        year: i32,
        indicator: Indicator,
    ) -> StoreResult<Vec<VersionRecord>> {
        let key = target_key(division, year, indicator);
        let rows = sqlx::query(
            "SELECT entity, key, version, operation, data, actor, reason, at FROM history \
             WHERE entity = 'target' AND key = $1 ORDER BY version",
        )
        .bind(&key)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound {
                entity: "target",
                key,
            });
        }
        rows.iter()
            .map(|r| {
                Ok(VersionRecord {
                    entity: r.try_get("entity")?,
                    key: r.try_get("key")?,
                    version: r.try_get("version")?,
                    operation: r.try_get("operation")?,
                    data: serde_json::from_str(&r.try_get::<String, _>("data")?)
                        .map_err(|e| corrupt("history", e))?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    at: DateTime::parse_from_rfc3339(&r.try_get::<String, _>("at")?)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|e| corrupt("time", e))?,
                })
            })
            .collect()
    }

    async fn county_monitoring(
        &self,
        division: DivisionCode,
        year: i32,
    ) -> StoreResult<Vec<CountyMonitoring>> {
        let (lo, hi) = code_range(division);
        let first = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| invalid("year", "年份无效", "not a year"))?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| invalid("year", "年份无效", "not a year"))?;
        let counties = sqlx::query(
            "SELECT code FROM divisions WHERE level = 'county' AND code >= $1 AND code <= $2 \
             ORDER BY code",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(self.pool())
        .await?;
        let points = sqlx::query(
            "SELECT division, COUNT(*) AS n FROM points WHERE division >= $1 AND division <= $2 \
             AND (retired_on IS NULL OR retired_on >= $3) \
             AND (established_on IS NULL OR established_on <= $4) GROUP BY division",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(self.pool())
        .await?;
        let samples = sqlx::query(
            "SELECT division, COUNT(*) AS n FROM samples WHERE division >= $1 AND division <= $2 \
             AND medium = 'soil' AND sampled_on >= $3 AND sampled_on <= $4 GROUP BY division",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(self.pool())
        .await?;
        let count = |rows: &[AnyRow], code: &str| -> StoreResult<i64> {
            for r in rows {
                if r.try_get::<String, _>("division")? == code {
                    return Ok(r.try_get("n")?);
                }
            }
            Ok(0)
        };
        counties
            .iter()
            .map(|r| {
                let code: String = r.try_get("code")?;
                Ok(CountyMonitoring {
                    division: code.parse().map_err(|e| corrupt("division", e))?,
                    active_points: count(&points, &code)?,
                    soil_samples: count(&samples, &code)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(division: &str, year: i32, indicator: Indicator, value: f64) -> Target {
        Target {
            division: division.parse().unwrap(),
            year,
            indicator,
            value,
            note: None,
            version: 1,
            actor: "t".into(),
            reason: "t".into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn defaults_follow_the_work_plan() {
        let pref: DivisionCode = "513400".parse().unwrap();
        let county: DivisionCode = "513402".parse().unwrap();
        let v = |i, d, y| target_in_force(i, d, y, &[]).map(|t| (t.target_year, t.value));
        assert_eq!(
            v(Indicator::FarmlandSafeUseRate, county, 2020),
            Some((2020, 94.0))
        );
        assert_eq!(
            v(Indicator::FarmlandSafeUseRate, county, 2029),
            Some((2020, 94.0))
        );
        assert_eq!(
            v(Indicator::FarmlandSafeUseRate, county, 2030),
            Some((2030, 95.0))
        );
        assert_eq!(
            v(Indicator::PlotSafeUseRate, pref, 2024),
            Some((2020, 90.0))
        );
        assert_eq!(
            v(Indicator::PlotSafeUseRate, pref, 2031),
            Some((2030, 95.0))
        );
        assert_eq!(
            v(Indicator::SafeUtilizationArea, pref, 2020),
            Some((2020, 50.9))
        );
        assert_eq!(
            v(Indicator::StrictControlArea, pref, 2020),
            Some((2020, 24.2))
        );
        assert_eq!(
            v(Indicator::RemediationArea, pref, 2020),
            Some((2020, 12.7))
        );
        assert_eq!(v(Indicator::RemediationArea, county, 2020), None);
        assert_eq!(v(Indicator::DisclosureRate, pref, 2020), None);
        assert_eq!(v(Indicator::SubmissionsOnTime, pref, 2030), None);
        assert_eq!(v(Indicator::FarmlandSafeUseRate, pref, 2019), None);
    }

    #[test]
    fn a_set_target_replaces_the_default_of_its_year_and_later_defaults_still_apply() {
        let county: DivisionCode = "513402".parse().unwrap();
        let s = [
            set("513402", 2020, Indicator::FarmlandSafeUseRate, 92.0),
            set("513402", 2025, Indicator::FarmlandSafeUseRate, 93.5),
            set("513401", 2026, Indicator::FarmlandSafeUseRate, 99.0),
        ];
        let v = |y| {
            let t = target_in_force(Indicator::FarmlandSafeUseRate, county, y, &s).unwrap();
            (t.target_year, t.value, t.source)
        };
        assert_eq!(v(2020), (2020, 92.0, TargetSource::Set));
        assert_eq!(v(2024), (2020, 92.0, TargetSource::Set));
        assert_eq!(v(2027), (2025, 93.5, TargetSource::Set));
        assert_eq!(v(2030), (2030, 95.0, TargetSource::WorkPlan));
    }

    #[test]
    fn indicators_parse_by_code_and_chinese_name() {
        for i in Indicator::ALL {
            assert_eq!(i.code().parse::<Indicator>().unwrap(), i);
            assert_eq!(i.name_cn().parse::<Indicator>().unwrap(), i);
        }
        let e = "x".parse::<Indicator>().unwrap_err().to_string();
        assert!(
            e.contains("indicator") && e.contains("farmland_safe_use_rate"),
            "{e}"
        );
    }
}
