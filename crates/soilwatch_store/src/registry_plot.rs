//! 污染地块 — contaminated plots: the registry record, the lifecycle (suspected → preliminary
//! survey → detailed survey → risk assessment → listed → risk control or remediation → effect
//! evaluation → delisted), the evaluation of the plot's survey samples against GB 36600-2018 and
//! the land-use gate (work-plan item 14): whether a plot may be transferred or developed for a
//! use, and every step that is missing if not.
//!
//! Everything here is pure; the store loads the plot and its samples.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use geo::MultiPolygon;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, Medium};
use soilwatch_standards::{LandClass, SoilEngine, SoilSampleContext};

use crate::registry::{check_code, clean, code_enum, invalid, required, Filing, Party, ReportDoc};
use crate::registry_codes::{land_class_of, Industry, IntendedUse};
use crate::{StoreError, StoreResult, StoredSample};

code_enum! {
    /// 地块环境管理阶段 — a stage of a plot's lifecycle; a plot's status is its last step's stage.
    PlotStage, field = "stage", what = "阶段" / "stage";
    /// 疑似污染地块
    Suspected = "suspected" / "疑似污染地块" / "suspected" ["疑似"],
    /// 初步调查
    PreliminarySurvey = "preliminary_survey" / "初步调查" / "preliminary survey" ["初步调查报告"],
    /// 详细调查
    DetailedSurvey = "detailed_survey" / "详细调查" / "detailed survey" ["详细调查报告"],
    /// 风险评估
    RiskAssessment = "risk_assessment" / "风险评估" / "risk assessment",
    /// 列入污染地块名录
    Listed = "listed" / "列入名录" / "listed" ["列入污染地块名录"],
    /// 风险管控
    RiskControl = "risk_control" / "风险管控" / "risk control",
    /// 治理修复
    Remediation = "remediation" / "治理修复" / "remediation" ["修复"],
    /// 效果评估
    EffectEvaluation = "effect_evaluation" / "效果评估" / "effect evaluation",
    /// 移出名录
    Delisted = "delisted" / "移出名录" / "delisted" ["移出污染地块名录"],
}

impl PlotStage {
    /// Position in the lifecycle (risk control and remediation share one).
    pub fn rank(self) -> u8 {
        match self {
            PlotStage::Suspected => 0,
            PlotStage::PreliminarySurvey => 1,
            PlotStage::DetailedSurvey => 2,
            PlotStage::RiskAssessment => 3,
            PlotStage::Listed => 4,
            PlotStage::RiskControl | PlotStage::Remediation => 5,
            PlotStage::EffectEvaluation => 6,
            PlotStage::Delisted => 7,
        }
    }

    /// The stages that may follow this one. After a failed effect evaluation the plot goes back
    /// to risk control or remediation.
    pub fn next(self) -> &'static [PlotStage] {
        match self {
            PlotStage::Suspected => &[PlotStage::PreliminarySurvey],
            PlotStage::PreliminarySurvey => &[PlotStage::DetailedSurvey],
            PlotStage::DetailedSurvey => &[PlotStage::RiskAssessment],
            PlotStage::RiskAssessment => &[PlotStage::Listed],
            PlotStage::Listed => &[PlotStage::RiskControl, PlotStage::Remediation],
            PlotStage::RiskControl | PlotStage::Remediation => &[PlotStage::EffectEvaluation],
            PlotStage::EffectEvaluation => &[
                PlotStage::Delisted,
                PlotStage::RiskControl,
                PlotStage::Remediation,
            ],
            PlotStage::Delisted => &[],
        }
    }

    /// The steps a report must be on file for.
    pub fn needs_report(self) -> bool {
        !matches!(
            self,
            PlotStage::Suspected | PlotStage::Listed | PlotStage::Delisted
        )
    }

    /// The steps that must be filed (备案) with a bureau.
    pub fn needs_filing(self) -> bool {
        matches!(
            self,
            PlotStage::RiskAssessment
                | PlotStage::RiskControl
                | PlotStage::Remediation
                | PlotStage::EffectEvaluation
        )
    }
}

/// The stages between `from` (exclusive) and `to` (exclusive) in lifecycle order, risk control
/// and remediation written as one ("risk control or remediation").
fn stages_between(from: u8, to: u8) -> Vec<&'static str> {
    const ORDER: [(u8, &str); 8] = [
        (0, "疑似污染地块 suspected"),
        (1, "初步调查 preliminary survey"),
        (2, "详细调查 detailed survey"),
        (3, "风险评估 risk assessment"),
        (4, "列入名录 listed"),
        (5, "风险管控或治理修复 risk control or remediation"),
        (6, "效果评估 effect evaluation"),
        (7, "移出名录 delisted"),
    ];
    ORDER
        .iter()
        .filter(|(r, _)| *r > from && *r < to)
        .map(|(_, n)| *n)
        .collect()
}

/// One step of a plot's lifecycle: when, the report, the filing, and who recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotStep {
    pub stage: PlotStage,
    /// When the step was completed (report date, listing date, …).
    pub date: NaiveDate,
    /// The report (required for surveys, assessment, risk control or remediation, effect
    /// evaluation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportDoc>,
    /// Filing with the bureau (required for risk assessment, risk control or remediation and
    /// effect evaluation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<Filing>,
    /// Effect evaluation: whether the targets were reached (required there; delisting needs
    /// `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who recorded the step (set by the store from the change's actor).
    #[serde(default)]
    pub recorded_by: String,
    /// When it was recorded (set by the store), RFC 3339.
    #[serde(default)]
    pub recorded_at: String,
}

/// 责任主体变更 — a successor of the responsible party ("polluter pays": the unit that takes over
/// the rights and duties after a merger, split or transfer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Succession {
    pub party: Party,
    pub since: NaiveDate,
    /// Why (合并, 分立, 土地使用权转让, …).
    pub basis: String,
}

/// 管控区 — a control area: a plot not developed, held with signs, public notices and monitoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlArea {
    pub since: NaiveDate,
    /// Warning signs put up (设立标识).
    pub signs: bool,
    /// The public notice (公告) text or reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The monitoring arranged (监测).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<String>,
}

/// 污染地块 — a (suspected) contaminated plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plot {
    pub code: String,
    pub name: String,
    /// County (GB/T 2260).
    pub division: DivisionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Boundary, CGCS2000 longitude/latitude; GeoJSON in JSON, WKB in the store.
    #[serde(
        default,
        with = "geojson_multipolygon",
        skip_serializing_if = "Option::is_none"
    )]
    pub boundary: Option<MultiPolygon<f64>>,
    /// Area of the boundary in m² (3° Gauss–Krüger; computed by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// Former use (原用途), e.g. 铅锌冶炼厂.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<Industry>,
    /// The party responsible (污染责任人 / 土地使用权人).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_party: Option<Party>,
    /// Successors of the responsible party, oldest first.
    #[serde(default)]
    pub successors: Vec<Succession>,
    /// Planned use as a GB 50137-2011 code (R2, A33, M1, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_use: Option<String>,
    /// GB 36600 land class of the planned use (1 or 2; derived by the store).
    #[serde(default = "class_1")]
    pub land_class: u8,
    /// 负面清单 — the uses the plot may not be put to.
    #[serde(default)]
    pub negative_list: Vec<IntendedUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_area: Option<ControlArea>,
    /// Survey samples recorded on the plot (sample codes of the basic database).
    #[serde(default)]
    pub sample_codes: Vec<String>,
    /// Monitoring points of the plot (point codes); their samples are the plot's too.
    #[serde(default)]
    pub point_codes: Vec<String>,
    /// The last step's stage.
    pub status: PlotStage,
    /// The lifecycle, oldest first.
    #[serde(default)]
    pub steps: Vec<PlotStep>,
}

fn class_1() -> u8 {
    1
}

/// What a boundary import ([`RegistryStore::set_plot_boundaries`](crate::RegistryStore::set_plot_boundaries))
/// did to one plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundaryWrite {
    pub code: String,
    /// The plot's version after the import (the version it had when unchanged).
    pub version: i64,
    /// Whether the boundary differed from the stored one: a new version was recorded, the
    /// previous boundary stays in the plot's history.
    pub changed: bool,
    /// Area of the new boundary in m².
    pub area_m2: Option<f64>,
}

impl Plot {
    /// A new suspected plot with nothing else known.
    pub fn new(code: &str, name: &str, division: DivisionCode) -> Plot {
        Plot {
            code: code.into(),
            name: name.into(),
            division,
            address: None,
            boundary: None,
            area_m2: None,
            former_use: None,
            industry: None,
            responsible_party: None,
            successors: Vec::new(),
            planned_use: None,
            land_class: 1,
            negative_list: Vec::new(),
            control_area: None,
            sample_codes: Vec::new(),
            point_codes: Vec::new(),
            status: PlotStage::Suspected,
            steps: Vec::new(),
        }
    }

    /// The GB 36600 class of the planned use.
    pub fn planned_class(&self) -> LandClass {
        land_class_of(self.planned_use.as_deref())
    }

    /// Check and normalise the registered facts (not the steps); derive the land class and area.
    pub(crate) fn checked(&self) -> StoreResult<Plot> {
        let mut p = self.clone();
        check_code("code", &mut p.code)?;
        required("name", &mut p.name, 200)?;
        clean(&mut p.address);
        clean(&mut p.former_use);
        clean(&mut p.planned_use);
        if let Some(u) = &p.planned_use {
            let u = u.to_uppercase();
            if IntendedUse::of_gb50137(&u).is_none() && !u.starts_with(['E', 'H']) {
                return Err(invalid(
                    "planned_use",
                    format!("'{u}' 不是 GB 50137-2011 用地代码（如 R2、A33、M1）"),
                    format!("'{u}' is not a GB 50137-2011 land-use code (such as R2, A33, M1)"),
                ));
            }
            p.planned_use = Some(u);
        }
        p.land_class = p.planned_class().number();
        if let Some(r) = &mut p.responsible_party {
            r.check("responsible_party")?;
        }
        let mut last: Option<NaiveDate> = None;
        for (i, s) in p.successors.iter_mut().enumerate() {
            let f = format!("successors[{i}]");
            s.party.check(&f)?;
            required(&format!("{f}.basis"), &mut s.basis, 200)?;
            if last.is_some_and(|d| s.since < d) {
                return Err(invalid(
                    &format!("{f}.since"),
                    "责任主体变更须按时间先后排列",
                    "successors must be in date order",
                ));
            }
            last = Some(s.since);
        }
        if let Some(c) = &mut p.control_area {
            clean(&mut c.notice);
            clean(&mut c.monitoring);
        }
        p.negative_list.sort();
        p.negative_list.dedup();
        for (field, list) in [
            ("sample_codes", &mut p.sample_codes),
            ("point_codes", &mut p.point_codes),
        ] {
            for c in list.iter_mut() {
                check_code(field, c)?;
            }
            list.sort();
            list.dedup();
        }
        if let Some(b) = &p.boundary {
            if b.0.is_empty() {
                return Err(invalid(
                    "boundary",
                    "边界不能为空多边形",
                    "the boundary is an empty polygon",
                ));
            }
            let km2 = soilwatch_geostat::area_km2(b).map_err(|e| {
                invalid(
                    "boundary",
                    format!("无法计算面积：{e}"),
                    format!("no area: {e}"),
                )
            })?;
            p.area_m2 = Some((km2 * 1.0e6 * 100.0).round() / 100.0);
        } else {
            p.area_m2 = None;
        }
        Ok(p)
    }

    /// The most recent step of a stage.
    pub fn last_step(&self, stage: PlotStage) -> Option<&PlotStep> {
        self.steps.iter().rev().find(|s| s.stage == stage)
    }

    fn has_step(&self, stage: PlotStage) -> bool {
        self.last_step(stage).is_some()
    }

    /// Whether a passing effect evaluation is on file after the last risk control or
    /// remediation step.
    pub fn remediation_finished(&self) -> bool {
        let last_work = self
            .steps
            .iter()
            .rposition(|s| matches!(s.stage, PlotStage::RiskControl | PlotStage::Remediation));
        let last_eval = self
            .steps
            .iter()
            .rposition(|s| s.stage == PlotStage::EffectEvaluation && s.passed == Some(true));
        matches!((last_work, last_eval), (Some(w), Some(e)) if e > w)
    }

    /// Apply a step: the transition must be allowed from the current status (else a conflict
    /// naming the missing steps), the step well-formed (else invalid).
    pub(crate) fn apply_step(&mut self, step: &PlotStep) -> StoreResult<()> {
        let mut s = step.clone();
        let from = self.status;
        let to = s.stage;
        if !from.next().contains(&to) {
            let detail = if from == PlotStage::Delisted {
                format!(
                    "地块 {} 已移出名录，生命周期已结束 / plot {} is delisted; its lifecycle has ended",
                    self.code, self.code
                )
            } else if to.rank() > from.rank() {
                let missing = stages_between(from.rank(), to.rank());
                format!(
                    "地块 {code} 当前为“{fcn}”，不能直接进入“{tcn}”，缺少步骤：{m} / plot {code} \
                     is at '{fen}' and cannot go to '{ten}' yet; missing steps: {m}",
                    code = self.code,
                    fcn = from.name_cn(),
                    tcn = to.name_cn(),
                    fen = from.name_en(),
                    ten = to.name_en(),
                    m = missing.join(" → "),
                )
            } else {
                let allowed: Vec<String> = from
                    .next()
                    .iter()
                    .map(|n| format!("{} {}", n.name_cn(), n.name_en()))
                    .collect();
                format!(
                    "地块 {code} 当前为“{fcn}”，不能回到“{tcn}”；下一步可为：{a} / plot {code} is at \
                     '{fen}' and cannot go back to '{ten}'; next may be: {a}",
                    code = self.code,
                    fcn = from.name_cn(),
                    tcn = to.name_cn(),
                    fen = from.name_en(),
                    ten = to.name_en(),
                    a = allowed.join(", "),
                )
            };
            return Err(StoreError::Conflict {
                constraint: "plot_lifecycle".into(),
                detail,
            });
        }
        if to == PlotStage::Delisted {
            let passed = self
                .last_step(PlotStage::EffectEvaluation)
                .and_then(|e| e.passed)
                .unwrap_or(false);
            if !passed {
                return Err(StoreError::Conflict {
                    constraint: "plot_lifecycle".into(),
                    detail: format!(
                        "地块 {c} 的效果评估未达到目标，不能移出名录；须再次风险管控或治理修复并通过效果评估 \
                         / plot {c}: the effect evaluation did not pass, so it cannot be delisted; \
                         missing steps: 风险管控或治理修复 risk control or remediation → 效果评估 effect evaluation",
                        c = self.code
                    ),
                });
            }
        }
        if let Some(last) = self.steps.last() {
            if s.date < last.date {
                return Err(invalid(
                    "date",
                    format!(
                        "日期 {} 早于上一步骤（{}）的日期 {}",
                        s.date,
                        last.stage.name_cn(),
                        last.date
                    ),
                    format!(
                        "{} is before the date of the previous step ({}, {})",
                        s.date,
                        last.stage.name_en(),
                        last.date
                    ),
                ));
            }
        }
        match &mut s.report {
            Some(r) => r.check("report")?,
            None if to.needs_report() => {
                return Err(invalid(
                    "report",
                    format!("“{}”须登记报告（标题、编号、编制单位）", to.name_cn()),
                    format!(
                        "the {} step needs its report (title, number, author)",
                        to.name_en()
                    ),
                ))
            }
            None => {}
        }
        match &mut s.filing {
            Some(f) => f.check("filing")?,
            None if to.needs_filing() => {
                return Err(invalid(
                    "filing",
                    format!("“{}”须登记备案（备案部门、日期）", to.name_cn()),
                    format!(
                        "the {} step must be filed with a bureau (bureau, date)",
                        to.name_en()
                    ),
                ))
            }
            None => {}
        }
        if to == PlotStage::EffectEvaluation && s.passed.is_none() {
            return Err(invalid(
                "passed",
                "效果评估须给出结论：是否达到修复或管控目标（true/false）",
                "an effect evaluation needs its conclusion: whether the targets were reached (true/false)",
            ));
        }
        if to != PlotStage::EffectEvaluation {
            s.passed = None;
        }
        clean(&mut s.note);
        self.status = to;
        self.steps.push(s);
        Ok(())
    }
}

/// A result above a threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exceedance {
    /// Catalogue code.
    pub analyte: String,
    pub name_cn: String,
    /// Highest value, mg/kg.
    pub max_mg_kg: Decimal,
    /// The sample of the highest value.
    pub sample_code: String,
    pub threshold_mg_kg: Decimal,
}

/// One sample of a plot judged against GB 36600.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotSampleEvaluation {
    pub sample_id: i64,
    pub sample_code: String,
    pub sampled_on: NaiveDate,
    /// `below_screening`, `above_screening`, `above_intervention`; none if no item was measured.
    pub class: Option<String>,
    pub exceed_screening: Vec<String>,
    pub exceed_intervention: Vec<String>,
}

/// 地块评价 — a plot's survey samples against GB 36600-2018 for a land class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotEvaluation {
    pub plot: String,
    pub ruleset: String,
    pub land_class: u8,
    pub samples: Vec<PlotSampleEvaluation>,
    /// Per analyte above the screening value, the highest value.
    pub above_screening: Vec<Exceedance>,
    /// Per analyte above the intervention value, the highest value.
    pub above_intervention: Vec<Exceedance>,
    /// Samples that could not be evaluated, with why.
    pub unevaluated: Vec<String>,
}

/// Evaluate a plot's soil samples against GB 36600-2018 for a land class.
pub fn evaluate_plot(plot: &Plot, samples: &[StoredSample], class: LandClass) -> PlotEvaluation {
    let mut out = PlotEvaluation {
        plot: plot.code.clone(),
        ruleset: "gb36600-2018".into(),
        land_class: class.number(),
        samples: Vec::new(),
        above_screening: Vec::new(),
        above_intervention: Vec::new(),
        unevaluated: Vec::new(),
    };
    let engine = match SoilEngine::builtin("gb36600-2018") {
        Ok(e) => e,
        Err(e) => {
            out.unevaluated.push(format!("GB 36600: {e}"));
            return out;
        }
    };
    let ctx = SoilSampleContext {
        land_class: class,
        ..Default::default()
    };
    let mut screening: BTreeMap<String, Exceedance> = BTreeMap::new();
    let mut intervention: BTreeMap<String, Exceedance> = BTreeMap::new();
    let keep = |map: &mut BTreeMap<String, Exceedance>, e: Exceedance| {
        let cur = map.entry(e.analyte.clone()).or_insert_with(|| e.clone());
        if e.max_mg_kg > cur.max_mg_kg {
            *cur = e;
        }
    };
    for s in samples.iter().filter(|s| s.sample.medium == Medium::Soil) {
        let results: Vec<_> = s.results.iter().map(|r| r.result.clone()).collect();
        match engine.evaluate(&ctx, &results) {
            Ok(ev) => {
                for it in &ev.items {
                    let mk = |t: Decimal| Exceedance {
                        analyte: it.analyte.clone(),
                        name_cn: it.name_cn.clone(),
                        max_mg_kg: it.value_mg_kg,
                        sample_code: s.sample.code.clone(),
                        threshold_mg_kg: t,
                    };
                    if let (true, Some(t)) = (it.exceeds_screening, it.screening) {
                        keep(&mut screening, mk(t));
                    }
                    if let (true, Some(t)) = (it.exceeds_intervention, it.intervention) {
                        keep(&mut intervention, mk(t));
                    }
                }
                out.samples.push(PlotSampleEvaluation {
                    sample_id: s.id,
                    sample_code: s.sample.code.clone(),
                    sampled_on: s.sample.sampled_on,
                    class: ev.class.map(|c| c.code().to_owned()),
                    exceed_screening: ev.exceed_screening,
                    exceed_intervention: ev.exceed_intervention,
                });
            }
            Err(e) => out.unevaluated.push(format!("{}: {e}", s.sample.code)),
        }
    }
    out.above_screening = screening.into_values().collect();
    out.above_intervention = intervention.into_values().collect();
    out
}

code_enum! {
    /// Why the gate refuses a use.
    GateReason, field = "reason", what = "理由" / "reason";
    /// 无调查或评估报告
    NoSurvey = "no_survey" / "无土壤污染状况调查或风险评估" / "no survey or risk assessment on file",
    /// 调查无检测结果
    NoResults = "no_results" / "调查无检测结果" / "no survey results in the basic database",
    /// 超筛选值未做风险评估
    AboveScreeningWithoutRiskAssessment = "above_screening_without_risk_assessment" / "超过筛选值但无风险评估" / "above the screening value without a risk assessment",
    /// 超管制值未完成修复和效果评估
    AboveInterventionWithoutRemediation = "above_intervention_without_remediation" / "超过管制值但未完成治理修复和效果评估" / "above the intervention value without finished remediation and effect evaluation",
    /// 负面清单
    NegativeList = "negative_list" / "列入该用途负面清单" / "on the negative list for this use",
}

/// One reason the gate refuses, with the steps that would answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRefusal {
    pub reason: GateReason,
    /// The reason in Chinese and English, with the values that decided it.
    pub message: String,
    /// Lifecycle steps missing for this reason, in order.
    pub missing_steps: Vec<PlotStage>,
}

/// 准入判定 — the land-use gate's answer for a plot and a use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateAnswer {
    pub plot: String,
    #[serde(rename = "use")]
    pub intended_use: IntendedUse,
    pub use_name_cn: String,
    /// GB 50137 code of the use.
    pub gb50137: String,
    /// GB 36600 land class of the use.
    pub land_class: u8,
    pub allowed: bool,
    pub status: PlotStage,
    /// Every reason for refusing (empty when allowed).
    pub refusals: Vec<GateRefusal>,
    /// Every missing step of all refusals, in lifecycle order.
    pub missing_steps: Vec<PlotStage>,
    /// The evaluation for the use's class that the answer rests on.
    pub evaluation: PlotEvaluation,
}

/// The land-use gate: may this plot be transferred or developed for this use?
///
/// Refused, naming every missing step, when: no survey or risk assessment is on file (or the
/// survey has no results in the basic database); results exceed the screening value of the use's
/// GB 36600 class and no risk assessment is on file; results exceed the intervention value and
/// risk control or remediation with a passing effect evaluation is not finished; the use is on
/// the plot's negative list.
pub fn gate(plot: &Plot, intended_use: IntendedUse, samples: &[StoredSample]) -> GateAnswer {
    let class = intended_use.land_class();
    let evaluation = evaluate_plot(plot, samples, class);
    let mut refusals = Vec::new();
    let surveyed = plot.has_step(PlotStage::PreliminarySurvey)
        || plot.has_step(PlotStage::DetailedSurvey)
        || plot.has_step(PlotStage::RiskAssessment);
    let assessed = plot.has_step(PlotStage::RiskAssessment);
    let cls = format!("第{}类用地 / class {}", class.number(), class.number());
    if !surveyed {
        refusals.push(GateRefusal {
            reason: GateReason::NoSurvey,
            message: format!(
                "地块 {c} 没有土壤污染状况调查或风险评估报告 / plot {c} has no soil survey or risk \
                 assessment on file",
                c = plot.code
            ),
            missing_steps: vec![PlotStage::PreliminarySurvey],
        });
    } else if evaluation.samples.is_empty() {
        refusals.push(GateRefusal {
            reason: GateReason::NoResults,
            message: format!(
                "地块 {c} 的调查在基础数据库中没有土壤检测结果，无法对照 GB 36600 判定 / plot {c}: the \
                 survey has no soil results in the basic database, so it cannot be judged against GB 36600 \
                 (record its sample or point codes on the plot)",
                c = plot.code
            ),
            missing_steps: Vec::new(),
        });
    }
    if !evaluation.above_screening.is_empty() && !assessed {
        let items: Vec<String> = evaluation
            .above_screening
            .iter()
            .map(|e| {
                format!(
                    "{} {} > {} mg/kg",
                    e.name_cn, e.max_mg_kg, e.threshold_mg_kg
                )
            })
            .collect();
        let mut missing = Vec::new();
        if !plot.has_step(PlotStage::DetailedSurvey) {
            missing.push(PlotStage::DetailedSurvey);
        }
        missing.push(PlotStage::RiskAssessment);
        refusals.push(GateRefusal {
            reason: GateReason::AboveScreeningWithoutRiskAssessment,
            message: format!(
                "超过{cls}筛选值（{i}），但没有风险评估 / above the screening value for {cls} ({i}) \
                 without a risk assessment",
                i = items.join("; ")
            ),
            missing_steps: missing,
        });
    }
    if !evaluation.above_intervention.is_empty() && !plot.remediation_finished() {
        let items: Vec<String> = evaluation
            .above_intervention
            .iter()
            .map(|e| {
                format!(
                    "{} {} > {} mg/kg",
                    e.name_cn, e.max_mg_kg, e.threshold_mg_kg
                )
            })
            .collect();
        let mut missing = Vec::new();
        if !assessed {
            missing.push(PlotStage::RiskAssessment);
        }
        if !plot.has_step(PlotStage::Listed) {
            missing.push(PlotStage::Listed);
        }
        let worked = plot
            .steps
            .iter()
            .any(|s| matches!(s.stage, PlotStage::RiskControl | PlotStage::Remediation));
        if !worked {
            missing.push(PlotStage::Remediation);
        }
        missing.push(PlotStage::EffectEvaluation);
        refusals.push(GateRefusal {
            reason: GateReason::AboveInterventionWithoutRemediation,
            message: format!(
                "超过{cls}管制值（{i}），但未完成风险管控或治理修复及效果评估 / above the intervention \
                 value for {cls} ({i}) without finished risk control or remediation and a passing \
                 effect evaluation",
                i = items.join("; ")
            ),
            missing_steps: missing,
        });
    }
    if plot.negative_list.contains(&intended_use) {
        refusals.push(GateRefusal {
            reason: GateReason::NegativeList,
            message: format!(
                "地块 {c} 列入“{u}”用途负面清单 / plot {c} is on the negative list for {e}",
                c = plot.code,
                u = intended_use.name_cn(),
                e = intended_use.name_en()
            ),
            missing_steps: Vec::new(),
        });
    }
    let mut missing_steps: Vec<PlotStage> = refusals
        .iter()
        .flat_map(|r| r.missing_steps.iter().copied())
        .collect();
    missing_steps.sort_by_key(|s| (s.rank(), *s));
    missing_steps.dedup();
    GateAnswer {
        plot: plot.code.clone(),
        intended_use,
        use_name_cn: intended_use.name_cn().into(),
        gb50137: intended_use.gb50137().into(),
        land_class: class.number(),
        allowed: refusals.is_empty(),
        status: plot.status,
        refusals,
        missing_steps,
        evaluation,
    }
}

/// Serde of an optional MultiPolygon as a GeoJSON geometry (a Polygon is accepted too).
pub mod geojson_multipolygon {
    use geo::MultiPolygon;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        g: &Option<MultiPolygon<f64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        g.as_ref()
            .map(|mp| geojson::Geometry::new(geojson::Value::from(mp)))
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<MultiPolygon<f64>>, D::Error> {
        let Some(g) = Option::<geojson::Geometry>::deserialize(d)? else {
            return Ok(None);
        };
        let geom = geo::Geometry::<f64>::try_from(g).map_err(|e| {
            serde::de::Error::custom(format!(
                "边界应为 GeoJSON Polygon 或 MultiPolygon / boundary must be a GeoJSON Polygon or MultiPolygon: {e}"
            ))
        })?;
        match geom {
            geo::Geometry::MultiPolygon(mp) => Ok(Some(mp)),
            geo::Geometry::Polygon(p) => Ok(Some(MultiPolygon(vec![p]))),
            _ => Err(serde::de::Error::custom(
                "边界应为 Polygon 或 MultiPolygon / boundary must be a Polygon or MultiPolygon",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot() -> Plot {
        let mut p = Plot::new("P-1", "原冶炼厂", "513402".parse().unwrap());
        p.steps.push(step(PlotStage::Suspected, "2020-01-01"));
        p
    }

    fn step(stage: PlotStage, date: &str) -> PlotStep {
        PlotStep {
            stage,
            date: date.parse().unwrap(),
            report: stage.needs_report().then(|| ReportDoc {
                title: format!("{}报告", stage.name_cn()),
                ..Default::default()
            }),
            filing: stage.needs_filing().then(|| Filing {
                bureau: "凉山州生态环境局".into(),
                filed_on: date.parse().unwrap(),
                number: None,
            }),
            passed: (stage == PlotStage::EffectEvaluation).then_some(true),
            note: None,
            recorded_by: String::new(),
            recorded_at: String::new(),
        }
    }

    fn conflict(r: StoreResult<()>) -> String {
        match r {
            Err(StoreError::Conflict { detail, .. }) => detail,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn full_lifecycle_in_order() {
        let mut p = plot();
        let stages = [
            PlotStage::PreliminarySurvey,
            PlotStage::DetailedSurvey,
            PlotStage::RiskAssessment,
            PlotStage::Listed,
            PlotStage::Remediation,
            PlotStage::EffectEvaluation,
            PlotStage::Delisted,
        ];
        for (i, s) in stages.iter().enumerate() {
            p.apply_step(&step(*s, &format!("2021-0{}-01", i + 1)))
                .unwrap();
            assert_eq!(p.status, *s);
        }
        assert!(p.remediation_finished());
        let e = conflict(p.apply_step(&step(PlotStage::Listed, "2022-01-01")));
        assert!(e.contains("lifecycle has ended"), "{e}");
    }

    #[test]
    fn delisting_before_effect_evaluation_names_the_missing_steps() {
        let mut p = plot();
        for s in [
            PlotStage::PreliminarySurvey,
            PlotStage::DetailedSurvey,
            PlotStage::RiskAssessment,
            PlotStage::Listed,
        ] {
            p.apply_step(&step(s, "2021-01-01")).unwrap();
        }
        let e = conflict(p.apply_step(&step(PlotStage::Delisted, "2021-02-01")));
        assert!(
            e.contains("risk control or remediation → 效果评估 effect evaluation"),
            "{e}"
        );
        assert!(e.contains("当前为“列入名录”"), "{e}");
    }

    #[test]
    fn failed_effect_evaluation_blocks_delisting_and_allows_another_round() {
        let mut p = plot();
        for s in [
            PlotStage::PreliminarySurvey,
            PlotStage::DetailedSurvey,
            PlotStage::RiskAssessment,
            PlotStage::Listed,
            PlotStage::RiskControl,
        ] {
            p.apply_step(&step(s, "2021-01-01")).unwrap();
        }
        let mut failed = step(PlotStage::EffectEvaluation, "2021-03-01");
        failed.passed = Some(false);
        p.apply_step(&failed).unwrap();
        assert!(!p.remediation_finished());
        let e = conflict(p.apply_step(&step(PlotStage::Delisted, "2021-04-01")));
        assert!(e.contains("did not pass"), "{e}");
        p.apply_step(&step(PlotStage::Remediation, "2021-05-01"))
            .unwrap();
        p.apply_step(&step(PlotStage::EffectEvaluation, "2021-06-01"))
            .unwrap();
        p.apply_step(&step(PlotStage::Delisted, "2021-07-01"))
            .unwrap();
    }

    #[test]
    fn going_back_is_refused() {
        let mut p = plot();
        p.apply_step(&step(PlotStage::PreliminarySurvey, "2021-01-01"))
            .unwrap();
        let e = conflict(p.apply_step(&step(PlotStage::Suspected, "2021-02-01")));
        assert!(e.contains("cannot go back"), "{e}");
    }

    #[test]
    fn malformed_steps_are_invalid_naming_the_field() {
        let mut p = plot();
        let mut s = step(PlotStage::PreliminarySurvey, "2021-01-01");
        s.report = None;
        assert!(
            matches!(p.apply_step(&s), Err(StoreError::Invalid(m)) if m.contains("field report"))
        );
        let s = step(PlotStage::PreliminarySurvey, "2019-01-01");
        assert!(
            matches!(p.apply_step(&s), Err(StoreError::Invalid(m)) if m.contains("field date"))
        );
        p.apply_step(&step(PlotStage::PreliminarySurvey, "2021-01-01"))
            .unwrap();
        p.apply_step(&step(PlotStage::DetailedSurvey, "2021-01-01"))
            .unwrap();
        let mut s = step(PlotStage::RiskAssessment, "2021-01-01");
        s.filing = None;
        assert!(
            matches!(p.apply_step(&s), Err(StoreError::Invalid(m)) if m.contains("field filing"))
        );
    }

    #[test]
    fn planned_use_gives_the_land_class() {
        let mut p = plot();
        p.planned_use = Some("m1".into());
        assert_eq!(p.checked().unwrap().land_class, 2);
        p.planned_use = Some("A33".into());
        assert_eq!(p.checked().unwrap().land_class, 1);
        p.planned_use = None;
        assert_eq!(p.checked().unwrap().land_class, 1);
        p.planned_use = Some("Q7".into());
        assert!(matches!(p.checked(), Err(StoreError::Invalid(m)) if m.contains("planned_use")));
    }
}
