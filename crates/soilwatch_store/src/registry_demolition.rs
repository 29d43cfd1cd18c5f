//! 拆除活动污染防治方案 — demolition plans of key supervised enterprises (work-plan item 21): an
//! enterprise that demolishes facilities, equipment or buildings files a plan for preventing soil
//! pollution during the demolition, with its 残留污染物清理和安全处置方案 (plan for cleaning up and
//! safely disposing of residual pollutants), with the county bureau before it starts.
//!
//! Lifecycle: `filed` (已备案) → `in_progress` (拆除中) → `completed` (已完成); a plan that is filed or
//! in progress may be `withdrawn` (已撤回). Completed and withdrawn are final. A transition that
//! skips a step (completing a plan whose demolition was never recorded as started) is refused
//! with a message naming the missing step.
//!
//! Public: the enterprise, the facilities, the clean-up plan's title and author, the filing date
//! and bureau, the planned start, the status and the dates of its steps. Not public: the filing
//! number, where the document is kept, notes, and who recorded what.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, Uscc};

use crate::registry::{check_code, clean, code_enum, invalid, required, Filing, ReportDoc};
use crate::{StoreError, StoreResult};

code_enum! {
    /// 拆除方案状态 — status of a demolition plan.
    DemolitionStatus, field = "status", what = "拆除方案状态" / "demolition-plan status";
    /// 已备案
    Filed = "filed" / "已备案" / "filed" ["备案"],
    /// 拆除中
    InProgress = "in_progress" / "拆除中" / "in progress" ["实施中", "开始拆除"],
    /// 已完成
    Completed = "completed" / "已完成" / "completed" ["完成", "拆除完成"],
    /// 已撤回
    Withdrawn = "withdrawn" / "已撤回" / "withdrawn" ["撤回"],
}

/// One change of a plan's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemolitionStep {
    pub status: DemolitionStatus,
    /// When it happened (the filing date for `filed`).
    pub date: NaiveDate,
    /// Not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who recorded it (the signed-in user; not public).
    #[serde(default)]
    pub recorded_by: String,
    /// When it was recorded (RFC 3339; not public).
    #[serde(default)]
    pub recorded_at: String,
}

/// 拆除活动污染防治方案 — a demolition plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemolitionPlan {
    pub code: String,
    /// The key supervised enterprise demolishing (USCC; registered).
    pub enterprise_uscc: Uscc,
    /// The enterprise's name, copied from the registry when the plan is written.
    #[serde(default)]
    pub enterprise_name: String,
    /// The enterprise's county, copied from the registry when the plan is written.
    pub division: DivisionCode,
    /// The facilities, equipment and buildings to be demolished (at least one).
    pub facilities: Vec<String>,
    /// 残留污染物清理和安全处置方案 — the residual-pollutant clean-up and disposal plan.
    pub cleanup_plan: ReportDoc,
    /// 备案 — the filing with the bureau (its date is the filing date).
    pub filing: Filing,
    /// When the demolition is planned to start.
    pub planned_start: NaiveDate,
    /// Set by the lifecycle (`filed` on creation).
    #[serde(default = "filed")]
    pub status: DemolitionStatus,
    /// Every status with its date, oldest first (set by the lifecycle).
    #[serde(default)]
    pub steps: Vec<DemolitionStep>,
    /// Not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn filed() -> DemolitionStatus {
    DemolitionStatus::Filed
}

/// A status change of a plan as requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemolitionTransition {
    pub status: DemolitionStatus,
    pub date: NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

/// A step as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemolitionStepPublic {
    pub status: DemolitionStatus,
    pub date: NaiveDate,
}

/// What the public sees of a demolition plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemolitionPlanPublic {
    pub code: String,
    pub enterprise_uscc: Uscc,
    pub enterprise_name: String,
    pub division: DivisionCode,
    pub facilities: Vec<String>,
    /// Title of the residual-pollutant clean-up plan.
    pub cleanup_plan_title: String,
    /// Who wrote it.
    pub cleanup_plan_organisation: Option<String>,
    pub filed_on: NaiveDate,
    pub filed_with: String,
    pub planned_start: NaiveDate,
    pub status: DemolitionStatus,
    pub status_name_cn: String,
    pub steps: Vec<DemolitionStepPublic>,
}

impl DemolitionPlan {
    /// The record checked and trimmed (the enterprise's name and county are set by the store).
    pub(crate) fn checked(&self) -> StoreResult<DemolitionPlan> {
        let mut p = self.clone();
        check_code("code", &mut p.code)?;
        p.facilities = p
            .facilities
            .iter()
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        if p.facilities.is_empty() {
            return Err(invalid(
                "facilities",
                "至少列出一项拟拆除的设施、设备或建（构）筑物",
                "name at least one facility, piece of equipment or building to be demolished",
            ));
        }
        for (i, f) in p.facilities.iter_mut().enumerate() {
            required(&format!("facilities[{i}]"), f, 200)?;
        }
        p.cleanup_plan.check("cleanup_plan")?;
        p.filing.check("filing")?;
        clean(&mut p.note);
        if p.planned_start < p.filing.filed_on {
            return Err(invalid(
                "planned_start",
                format!(
                    "计划开工日期 {} 早于备案日期 {}：方案须在拆除前备案",
                    p.planned_start, p.filing.filed_on
                ),
                format!(
                    "planned start {} is before the filing date {}: the plan must be filed before \
                     the demolition starts",
                    p.planned_start, p.filing.filed_on
                ),
            ));
        }
        Ok(p)
    }

    /// Take a status step (the checks of the module documentation). `Conflict` for a transition
    /// the lifecycle does not allow (naming the missing step), `Invalid` for a date before the
    /// last step.
    pub fn apply(&mut self, step: DemolitionStep) -> StoreResult<()> {
        use DemolitionStatus::*;
        let (from, to) = (self.status, step.status);
        let refuse = |cn: String, en: String| StoreError::Conflict {
            constraint: "demolition_status".into(),
            detail: format!(
                "拆除方案 {}：{cn} / demolition plan {}: {en}",
                self.code, self.code
            ),
        };
        match (from, to) {
            (Completed | Withdrawn, _) => {
                return Err(refuse(
                    format!("已是“{}”，不能再改为“{}”", from.name_cn(), to.name_cn()),
                    format!(
                        "is already {}, a final status; it cannot become {}",
                        from.name_en(),
                        to.name_en()
                    ),
                ))
            }
            (_, Filed) => {
                return Err(refuse(
                    "“已备案”是起始状态，不能再登记".into(),
                    "filed is the initial status and cannot be recorded again".into(),
                ))
            }
            (Filed, Completed) => {
                return Err(refuse(
                    "缺少“拆除中”（in_progress）一步：须先登记开始拆除，才能登记完成".into(),
                    "the in_progress step is missing: record the start of the demolition before \
                     its completion"
                        .into(),
                ))
            }
            (InProgress, InProgress) => {
                return Err(refuse(
                    "已登记开始拆除".into(),
                    "the start of the demolition is already recorded".into(),
                ))
            }
            (Filed, InProgress | Withdrawn) | (InProgress, Completed | Withdrawn) => {}
        }
        if let Some(last) = self.steps.last() {
            if step.date < last.date {
                return Err(invalid(
                    "date",
                    format!(
                        "日期 {} 早于上一步“{}”的日期 {}",
                        step.date,
                        last.status.name_cn(),
                        last.date
                    ),
                    format!(
                        "date {} is before the previous step ({}, {})",
                        step.date,
                        last.status.name_en(),
                        last.date
                    ),
                ));
            }
        }
        let mut step = step;
        clean(&mut step.note);
        self.status = to;
        self.steps.push(step);
        Ok(())
    }

    /// The public fields only.
    pub fn public(&self) -> DemolitionPlanPublic {
        DemolitionPlanPublic {
            code: self.code.clone(),
            enterprise_uscc: self.enterprise_uscc.clone(),
            enterprise_name: self.enterprise_name.clone(),
            division: self.division,
            facilities: self.facilities.clone(),
            cleanup_plan_title: self.cleanup_plan.title.clone(),
            cleanup_plan_organisation: self.cleanup_plan.organisation.clone(),
            filed_on: self.filing.filed_on,
            filed_with: self.filing.bureau.clone(),
            planned_start: self.planned_start,
            status: self.status,
            status_name_cn: self.status.name_cn().to_owned(),
            steps: self
                .steps
                .iter()
                .map(|s| DemolitionStepPublic {
                    status: s.status,
                    date: s.date,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> DemolitionPlan {
        DemolitionPlan {
            code: "CC-1".into(),
            enterprise_uscc: "91350100M000100Y43".parse().unwrap(),
            enterprise_name: String::new(),
            division: "513402".parse().unwrap(),
            facilities: vec!["电解车间".into()],
            cleanup_plan: ReportDoc {
                title: "残留污染物清理和安全处置方案".into(),
                ..ReportDoc::default()
            },
            filing: Filing {
                bureau: "会理市生态环境局".into(),
                filed_on: "2024-03-01".parse().unwrap(),
                number: Some("HL-2024-01".into()),
            },
            planned_start: "2024-04-01".parse().unwrap(),
            status: DemolitionStatus::Filed,
            steps: vec![step(DemolitionStatus::Filed, "2024-03-01")],
            note: Some("内部备注".into()),
        }
    }

    fn step(status: DemolitionStatus, date: &str) -> DemolitionStep {
        DemolitionStep {
            status,
            date: date.parse().unwrap(),
            note: None,
            recorded_by: "t".into(),
            recorded_at: String::new(),
        }
    }

    #[test]
    fn completing_before_starting_names_the_missing_step() {
        let mut p = plan();
        let e = p
            .apply(step(DemolitionStatus::Completed, "2024-05-01"))
            .unwrap_err();
        assert!(e.to_string().contains("in_progress"), "{e}");
        p.apply(step(DemolitionStatus::InProgress, "2024-04-02"))
            .unwrap();
        p.apply(step(DemolitionStatus::Completed, "2024-05-01"))
            .unwrap();
        assert_eq!(p.status, DemolitionStatus::Completed);
        assert!(p
            .apply(step(DemolitionStatus::Withdrawn, "2024-05-02"))
            .is_err());
    }

    #[test]
    fn planned_start_before_filing_is_refused() {
        let mut p = plan();
        p.planned_start = "2024-02-28".parse().unwrap();
        let e = p.checked().unwrap_err().to_string();
        assert!(e.contains("field planned_start"), "{e}");
    }

    #[test]
    fn public_view_leaves_out_number_note_and_recorder() {
        let json = serde_json::to_string(&plan().public()).unwrap();
        assert!(
            !json.contains("HL-2024-01") && !json.contains("内部备注") && !json.contains("\"t\""),
            "{json}"
        );
    }
}
