//! 指标 — the work plan's indicators computed from the stored data (issue 10), traceable to the
//! units, plots, enterprises and counties behind them, and the yearly assessment of every county
//! against its targets (work-plan item 46).
//!
//! Every indicator is a sum over *items* ([`TraceItem`]): a rate is 100 × Σ numerator ÷ Σ
//! denominator, an area Σ numerator (mu) ÷ 10 000. Each item belongs to one county, so the value
//! of a county and of the prefecture come from the same items, and the list of items is the
//! trace of the value. Shared by the API, the pages and `soilwatch report`.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_classify::UnitClass;
use soilwatch_core::{Division, DivisionCode, DivisionLevel};

use crate::registry_enterprise::{disclosure_calendar, DisclosureState, EnterpriseStatus};
use crate::registry_plot::PlotStage;
use crate::submissions::{china_date, Submission, SubmissionQuery, SubmissionStatus};
use crate::targets::{
    target_in_force, CountyMonitoring, Indicator, IndicatorKind, Target, TargetInForce,
};
use crate::{RegistryQuery, Store, StoreError, StoreResult, TargetAreaQuery};

/// Tolerance of "met": a value within 1e-9 below its target counts as meeting it (float sums of
/// areas such as 0.94 × a whole are not exact).
pub const MET_TOLERANCE: f64 = 1e-9;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceKind {
    /// An evaluation unit of a classification run (`/api/v1/classification/runs/{run}/units/{key}`).
    Unit,
    /// An area recorded toward a target for a unit (`/api/v1/classification/target-areas?unit=`).
    TargetArea,
    /// A contaminated plot (`/api/v1/plots/{key}`).
    Plot,
    /// A key supervised enterprise (`/api/v1/enterprises/{key}/disclosures`).
    Enterprise,
    /// A county (`/api/v1/network/coverage`).
    County,
    /// A department's submission of a year's data (`/api/v1/submissions/{id}`).
    Submission,
}

/// One thing behind an indicator's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceItem {
    pub kind: TraceKind,
    /// Unit code, plot code, USCC or county code.
    pub key: String,
    pub name: String,
    /// County of the item.
    pub division: DivisionCode,
    pub county: String,
    /// Class, measure, stage or disclosure state, in Chinese.
    pub detail: String,
    /// The classification run a unit is taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
    /// Contribution to the numerator (mu for areas, 1 or 0 for counts).
    pub numerator: f64,
    /// Contribution to the denominator (mu, or 1); 0 for area indicators.
    pub denominator: f64,
}

/// Met, not met, no data (empty denominator) or no target in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    NoData,
    NoTarget,
}

impl Verdict {
    pub fn name_cn(self) -> &'static str {
        match self {
            Verdict::Met => "达标",
            Verdict::NotMet => "未达标",
            Verdict::NoData => "无数据",
            Verdict::NoTarget => "无目标",
        }
    }
}

/// Whether `value` meets `target` (≥, with [`MET_TOLERANCE`]).
///
/// # Examples
/// ```
/// use soilwatch_store::indicators::meets;
/// assert!(meets(94.0, 94.0));
/// assert!(meets(100.0 * 0.94, 94.0));
/// assert!(!meets(93.99, 94.0));
/// ```
pub fn meets(value: f64, target: f64) -> bool {
    value + MET_TOLERANCE >= target
}

/// An indicator's value for a division and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    pub indicator: Indicator,
    pub name_cn: String,
    pub name_en: String,
    /// `%` or `万亩`.
    pub unit: String,
    pub formula_cn: String,
    pub formula_en: String,
    pub division: DivisionCode,
    pub division_name: String,
    pub year: i32,
    /// Σ numerator (mu for areas and the farmland rate, a count otherwise).
    pub numerator: f64,
    /// Σ denominator (rates only).
    pub denominator: Option<f64>,
    /// % or ×10⁴ mu; `None` when a rate has an empty denominator.
    pub value: Option<f64>,
    pub target: Option<TargetInForce>,
    pub verdict: Verdict,
    /// The items behind the value (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<TraceItem>>,
}

/// Everything the indicators of a scope (a county or the prefecture) and year are computed from.
#[derive(Debug, Clone)]
pub struct IndicatorData {
    pub year: i32,
    pub scope: Division,
    /// Counties of the scope, by code.
    pub counties: Vec<Division>,
    items: BTreeMap<Indicator, Vec<TraceItem>>,
    targets: Vec<Target>,
    /// Area (mu) per county and final class of the run each county is taken from.
    class_areas: BTreeMap<DivisionCode, ClassAreas>,
    monitoring: Vec<CountyMonitoring>,
}

/// Areas (mu) of a county by final class, from the classification run read for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassAreas {
    pub run_id: i64,
    pub run_year: i32,
    pub priority_protection: f64,
    pub safe_utilization: f64,
    pub strict_control: f64,
}

/// 县域土壤环境状况 — a county's summary (public: no coordinates, only counts and areas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountySummary {
    pub division: DivisionCode,
    pub name: String,
    pub year: i32,
    /// Monitoring points in use in the year.
    pub active_points: i64,
    /// Soil samples taken in the year.
    pub soil_samples: i64,
    /// Classification areas (none when no run covers the county yet).
    pub classes: Option<ClassAreas>,
    /// Plots listed by the year's end, and of them safely used.
    pub listed_plots: usize,
    pub safe_plots: usize,
    /// Key enterprises due to disclose the year's self-monitoring, and of them disclosed.
    pub enterprises_due: usize,
    pub enterprises_disclosed: usize,
}

fn year_end(year: i32) -> StoreResult<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| {
        StoreError::Invalid(format!(
            "字段 year: 年份 {year} 无效 / field year: {year} is not a year"
        ))
    })
}

/// Load and compute every indicator of `scope` (a county or a prefecture; default the
/// prefecture) for `year`.
pub async fn compute(
    store: &dyn Store,
    scope: Option<DivisionCode>,
    year: i32,
) -> StoreResult<IndicatorData> {
    if !(2000..=2100).contains(&year) {
        return Err(StoreError::Invalid(format!(
            "字段 year: 年份 {year} 应在 2000–2100 之间 / field year: {year} must be between 2000 and 2100"
        )));
    }
    let end = year_end(year)?;
    let scope = crate::classification_service::scope(store, scope).await?;
    let divisions = store.list_divisions().await?;
    let counties: Vec<Division> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County && scope.code.contains(d.code))
        .cloned()
        .collect();
    let name_of: HashMap<DivisionCode, String> =
        divisions.iter().map(|d| (d.code, d.name.clone())).collect();
    let county_name = |c: DivisionCode| name_of.get(&c).cloned().unwrap_or_default();
    let in_scope = |c: DivisionCode| counties.iter().any(|d| d.code == c);
    let mut items: BTreeMap<Indicator, Vec<TraceItem>> = BTreeMap::new();

    // Areas recorded toward the targets in the year.
    let areas = store
        .list_target_areas(&TargetAreaQuery {
            division: Some(scope.code),
            year: Some(year),
            unit_code: None,
        })
        .await?;
    for a in &areas {
        let indicator = match a.measure.target() {
            "safe_utilization" => Indicator::SafeUtilizationArea,
            "strict_control" => Indicator::StrictControlArea,
            _ => Indicator::RemediationArea,
        };
        items.entry(indicator).or_default().push(TraceItem {
            kind: TraceKind::TargetArea,
            key: a.unit_code.clone(),
            name: a.measure.name_cn().to_owned(),
            division: a.division,
            county: county_name(a.division),
            detail: a.note.clone().unwrap_or_default(),
            run_id: None,
            numerator: a.area_mu,
            denominator: 0.0,
        });
    }

    // Farmland: each county's newest run of the year or before (a prefecture run covers its
    // counties), its safe-utilization and strict-control units, the measures on them.
    let runs = store.list_runs(None, None, 1000).await?;
    let mut measured: HashMap<&str, (f64, Vec<&str>)> = HashMap::new();
    for a in &areas {
        let e = measured.entry(a.unit_code.as_str()).or_default();
        e.0 += a.area_mu;
        e.1.push(a.measure.name_cn());
    }
    let mut run_units_cache: HashMap<i64, Vec<crate::RunUnit>> = HashMap::new();
    let mut class_areas: BTreeMap<DivisionCode, ClassAreas> = BTreeMap::new();
    let farmland = items.entry(Indicator::FarmlandSafeUseRate).or_default();
    for county in &counties {
        let Some(run) = runs
            .iter()
            .filter(|r| r.year <= year && r.division.contains(county.code))
            .max_by_key(|r| (r.year, r.id))
        else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = run_units_cache.entry(run.id) {
            e.insert(store.run_units(run.id, false).await?);
        }
        let areas_of = class_areas.entry(county.code).or_insert(ClassAreas {
            run_id: run.id,
            run_year: run.year,
            ..ClassAreas::default()
        });
        for u in run_units_cache.get(&run.id).into_iter().flatten() {
            if u.unit.division == county.code.to_string() {
                match u.unit.final_class() {
                    Some(UnitClass::PriorityProtection) => {
                        areas_of.priority_protection += u.unit.area_mu
                    }
                    Some(UnitClass::SafeUtilization) => areas_of.safe_utilization += u.unit.area_mu,
                    Some(UnitClass::StrictControl) => areas_of.strict_control += u.unit.area_mu,
                    None => {}
                }
            }
        }
        for u in run_units_cache.get(&run.id).into_iter().flatten() {
            let class = u.unit.final_class();
            if u.unit.division != county.code.to_string()
                || !matches!(
                    class,
                    Some(UnitClass::SafeUtilization | UnitClass::StrictControl)
                )
            {
                continue;
            }
            let (done, measures) = measured
                .get(u.unit.unit_code.as_str())
                .cloned()
                .unwrap_or_default();
            let class_name = class.map(|c| c.name_cn()).unwrap_or_default();
            farmland.push(TraceItem {
                kind: TraceKind::Unit,
                key: u.unit.unit_code.clone(),
                name: u.unit.unit_code.clone(),
                division: county.code,
                county: county.name.clone(),
                detail: if measures.is_empty() {
                    format!("{class_name}；未落实措施")
                } else {
                    format!("{class_name}；{}", measures.join("、"))
                },
                run_id: Some(run.id),
                numerator: done.min(u.unit.area_mu),
                denominator: u.unit.area_mu,
            });
        }
    }

    // Plots listed by the year's end.
    let plots = store
        .list_plots(&RegistryQuery {
            division: Some(scope.code),
            ..RegistryQuery::default()
        })
        .await?;
    let plot_items = items.entry(Indicator::PlotSafeUseRate).or_default();
    for p in plots
        .iter()
        .map(|p| &p.item)
        .filter(|p| in_scope(p.division))
    {
        let Some(stage) = p
            .steps
            .iter()
            .filter(|s| s.date <= end)
            .map(|s| s.stage)
            .next_back()
        else {
            continue;
        };
        if stage.rank() < PlotStage::Listed.rank() {
            continue;
        }
        let control = p.control_area.as_ref().filter(|c| c.since <= end);
        let safe = stage.rank() > PlotStage::Listed.rank() || control.is_some();
        plot_items.push(TraceItem {
            kind: TraceKind::Plot,
            key: p.code.clone(),
            name: p.name.clone(),
            division: p.division,
            county: county_name(p.division),
            detail: if control.is_some() {
                format!("{}；管控区", stage.name_cn())
            } else {
                stage.name_cn().to_owned()
            },
            run_id: None,
            numerator: if safe { 1.0 } else { 0.0 },
            denominator: 1.0,
        });
    }

    // Key enterprises due to disclose the year's self-monitoring.
    let enterprises = store
        .list_enterprises(&RegistryQuery {
            division: Some(scope.code),
            ..RegistryQuery::default()
        })
        .await?;
    let today = Utc::now().date_naive();
    let ent_items = items.entry(Indicator::DisclosureRate).or_default();
    for e in enterprises.iter().map(|e| &e.item) {
        if e.listed_year > year || e.status == EnterpriseStatus::Removed || !in_scope(e.division) {
            continue;
        }
        let disclosures: Vec<_> = store
            .list_disclosures(e.uscc.as_str())
            .await?
            .into_iter()
            .map(|d| d.item)
            .collect();
        let state = disclosure_calendar(e.listed_year, &disclosures, today.max(end))
            .into_iter()
            .find(|y| y.year == year)
            .map_or(DisclosureState::Pending, |y| y.state);
        let disclosed = matches!(state, DisclosureState::OnTime | DisclosureState::Late);
        ent_items.push(TraceItem {
            kind: TraceKind::Enterprise,
            key: e.uscc.to_string(),
            name: e.name.clone(),
            division: e.division,
            county: county_name(e.division),
            detail: state.name_cn().to_owned(),
            run_id: None,
            numerator: if disclosed { 1.0 } else { 0.0 },
            denominator: 1.0,
        });
    }

    // Submissions of the year's data (work-plan item 3), read from the submissions store.
    let today_cn = china_date(Utc::now());
    let submissions = store
        .list_submissions(&SubmissionQuery {
            year: Some(year),
            ..SubmissionQuery::default()
        })
        .await?;
    let sub_items = items.entry(Indicator::SubmissionsOnTime).or_default();
    for s in submissions
        .iter()
        .filter(|s| scope.code.contains(s.division))
    {
        let (on_time, owed, detail) = submission_timeliness(s, today_cn);
        sub_items.push(TraceItem {
            kind: TraceKind::Submission,
            key: s.id.to_string(),
            name: format!("{}：{}", s.department_name, s.data_kind.name_cn()),
            division: s.division,
            county: county_name(s.division),
            detail,
            run_id: None,
            numerator: if on_time { 1.0 } else { 0.0 },
            denominator: if owed { 1.0 } else { 0.0 },
        });
    }

    // Counties with soil samples in the year.
    let cov = items.entry(Indicator::MonitoringCoverage).or_default();
    let monitoring = store.county_monitoring(scope.code, year).await?;
    for m in monitoring.iter().cloned() {
        if !in_scope(m.division) {
            continue;
        }
        cov.push(TraceItem {
            kind: TraceKind::County,
            key: m.division.to_string(),
            name: county_name(m.division),
            division: m.division,
            county: county_name(m.division),
            detail: format!(
                "在用点位 {} 个，当年土壤样品 {} 个",
                m.active_points, m.soil_samples
            ),
            run_id: None,
            numerator: if m.soil_samples > 0 { 1.0 } else { 0.0 },
            denominator: 1.0,
        });
    }
    for i in Indicator::ALL {
        items.entry(i).or_default();
    }

    let targets = store.list_targets(Some(scope.code), None).await?;
    Ok(IndicatorData {
        year,
        scope,
        counties,
        items,
        targets,
        class_areas,
        monitoring,
    })
}

/// How a submission counts toward "submissions on time" as of `today` (a Beijing date):
/// `(on time, counted, detail)`. On time: the standing upload (received or accepted) arrived
/// by the due date. Counted in the denominator: every submission whose upload stands or whose
/// due date has passed; one still owed (never uploaded, or returned) before its due date is
/// not judged yet. Checked by `conformance_targets::submissions_on_time_are_worked_by_hand`.
pub fn submission_timeliness(s: &Submission, today: NaiveDate) -> (bool, bool, String) {
    let received = s
        .received_at
        .map(|t| china_date(t).to_string())
        .unwrap_or_default();
    match s.status {
        SubmissionStatus::Received | SubmissionStatus::Accepted if !s.late => (
            true,
            true,
            format!(
                "按时报送：{} 报送，截止 {}（{}）",
                received,
                s.due_on,
                s.status.name_cn()
            ),
        ),
        SubmissionStatus::Received | SubmissionStatus::Accepted => (
            false,
            true,
            format!(
                "逾期报送：{} 报送，截止 {}（{}）",
                received,
                s.due_on,
                s.status.name_cn()
            ),
        ),
        SubmissionStatus::Owed | SubmissionStatus::Returned if today <= s.due_on => (
            false,
            false,
            format!(
                "未到截止日期：截止 {}（{}），不计入",
                s.due_on,
                s.status.name_cn()
            ),
        ),
        SubmissionStatus::Owed => (false, true, format!("逾期未报：截止 {}", s.due_on)),
        SubmissionStatus::Returned => (false, true, format!("已退回未重新报送：截止 {}", s.due_on)),
    }
}

/// The yearly assessment: every county of the scope (and the scope itself, last) against the
/// targets in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub year: i32,
    pub division: DivisionCode,
    pub division_name: String,
    pub rows: Vec<AssessmentRow>,
}

/// One division's line of the assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRow {
    pub division: DivisionCode,
    pub division_name: String,
    pub indicators: Vec<IndicatorValue>,
    /// Targets in force that are met, and all targets in force with data.
    pub met: usize,
    pub assessed: usize,
}

impl IndicatorData {
    /// The set targets of the scope.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The items of an indicator for a division of the scope (a county, or the scope).
    pub fn items(&self, indicator: Indicator, division: DivisionCode) -> Vec<TraceItem> {
        self.items
            .get(&indicator)
            .into_iter()
            .flatten()
            .filter(|i| division.contains(i.division))
            .cloned()
            .collect()
    }

    fn division_name(&self, code: DivisionCode) -> String {
        if code == self.scope.code {
            return self.scope.name.clone();
        }
        self.counties
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }

    /// One indicator for a division of the scope, with its items when `with_items`.
    pub fn value(
        &self,
        indicator: Indicator,
        division: DivisionCode,
        with_items: bool,
    ) -> IndicatorValue {
        let items = self.items(indicator, division);
        let numerator: f64 = items.iter().map(|i| i.numerator).sum();
        let denominator: f64 = items.iter().map(|i| i.denominator).sum();
        let (denominator, value) = match indicator.kind() {
            IndicatorKind::Rate => (
                Some(denominator),
                (denominator > 0.0).then(|| 100.0 * numerator / denominator),
            ),
            IndicatorKind::Area => (None, Some(numerator / 10_000.0)),
        };
        let target = target_in_force(indicator, division, self.year, &self.targets);
        let verdict = match (&target, value) {
            (None, _) => Verdict::NoTarget,
            (Some(_), None) => Verdict::NoData,
            (Some(t), Some(v)) if meets(v, t.value) => Verdict::Met,
            (Some(_), Some(_)) => Verdict::NotMet,
        };
        IndicatorValue {
            indicator,
            name_cn: indicator.name_cn().to_owned(),
            name_en: indicator.name_en().to_owned(),
            unit: indicator.unit().to_owned(),
            formula_cn: indicator.formula_cn().to_owned(),
            formula_en: indicator.formula_en().to_owned(),
            division,
            division_name: self.division_name(division),
            year: self.year,
            numerator,
            denominator,
            value,
            target,
            verdict,
            items: with_items.then_some(items),
        }
    }

    /// Every indicator of a division of the scope.
    pub fn values(&self, division: DivisionCode) -> Vec<IndicatorValue> {
        Indicator::ALL
            .into_iter()
            .map(|i| self.value(i, division, false))
            .collect()
    }

    /// Every county's summary (counts and areas only).
    pub fn county_summaries(&self) -> Vec<CountySummary> {
        self.counties
            .iter()
            .map(|c| {
                let count = |i: Indicator| {
                    let items = self.items(i, c.code);
                    (
                        items.iter().filter(|x| x.denominator > 0.0).count(),
                        items.iter().filter(|x| x.numerator > 0.0).count(),
                    )
                };
                let (listed_plots, safe_plots) = count(Indicator::PlotSafeUseRate);
                let (enterprises_due, enterprises_disclosed) = count(Indicator::DisclosureRate);
                let m = self.monitoring.iter().find(|m| m.division == c.code);
                CountySummary {
                    division: c.code,
                    name: c.name.clone(),
                    year: self.year,
                    active_points: m.map_or(0, |m| m.active_points),
                    soil_samples: m.map_or(0, |m| m.soil_samples),
                    classes: self.class_areas.get(&c.code).copied(),
                    listed_plots,
                    safe_plots,
                    enterprises_due,
                    enterprises_disclosed,
                }
            })
            .collect()
    }

    /// The assessment of every county and of the scope.
    pub fn assessment(&self) -> Assessment {
        let mut codes: Vec<DivisionCode> = self.counties.iter().map(|c| c.code).collect();
        if !codes.contains(&self.scope.code) {
            codes.push(self.scope.code);
        }
        let rows = codes
            .into_iter()
            .map(|code| {
                let indicators = self.values(code);
                let met = indicators
                    .iter()
                    .filter(|v| v.verdict == Verdict::Met)
                    .count();
                let assessed = indicators
                    .iter()
                    .filter(|v| matches!(v.verdict, Verdict::Met | Verdict::NotMet))
                    .count();
                AssessmentRow {
                    division: code,
                    division_name: self.division_name(code),
                    indicators,
                    met,
                    assessed,
                }
            })
            .collect();
        Assessment {
            year: self.year,
            division: self.scope.code,
            division_name: self.scope.name.clone(),
            rows,
        }
    }
}

fn fmt_value(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// The assessment as rows of text: header first (Chinese / English), one row per division and
/// indicator. Values with two decimals.
pub fn assessment_table(a: &Assessment) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "年度 year",
        "行政区划代码 division",
        "名称 name",
        "指标 indicator",
        "指标名称 indicator name",
        "单位 unit",
        "分子 numerator",
        "分母 denominator",
        "实际值 value",
        "目标值 target",
        "目标年份 target year",
        "目标来源 target source",
        "结论 verdict",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect::<Vec<_>>()];
    for r in &a.rows {
        for v in &r.indicators {
            rows.push(vec![
                a.year.to_string(),
                r.division.to_string(),
                r.division_name.clone(),
                v.indicator.code().to_owned(),
                v.name_cn.clone(),
                v.unit.clone(),
                format!("{:.4}", v.numerator),
                v.denominator.map(|d| format!("{d:.4}")).unwrap_or_default(),
                fmt_value(v.value),
                v.target
                    .as_ref()
                    .map(|t| t.value.to_string())
                    .unwrap_or_default(),
                v.target
                    .as_ref()
                    .map(|t| t.target_year.to_string())
                    .unwrap_or_default(),
                v.target
                    .as_ref()
                    .map(|t| match t.source {
                        crate::targets::TargetSource::WorkPlan => "工作方案 work plan",
                        crate::targets::TargetSource::Set => "设定 set",
                    })
                    .unwrap_or_default()
                    .to_owned(),
                format!(
                    "{} {}",
                    v.verdict.name_cn(),
                    serde_json::to_value(v.verdict)
                        .ok()
                        .and_then(|s| s.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            ]);
        }
    }
    rows
}
