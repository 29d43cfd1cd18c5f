//! 重点监管企业 — key supervised enterprises (work-plan item 20): the registry (unified social
//! credit code checked, industry of the work plan with its GB/T 4754 codes, county, location,
//! listed year, responsibility letter, status), the public view of it, the yearly self-monitoring
//! disclosures with overdue and missing years flagged; and 尾矿库 — tailings ponds (item 22).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, LonLat, Uscc};

use crate::registry::{check_code, clean, code_enum, invalid, required, Filing, ReportDoc};
use crate::registry_codes::Industry;
use crate::StoreResult;

code_enum! {
    /// 企业状态 — status of a key supervised enterprise.
    EnterpriseStatus, field = "status", what = "企业状态" / "enterprise status";
    /// 在产
    Operating = "operating" / "在产" / "operating" ["生产"],
    /// 停产
    Suspended = "suspended" / "停产" / "suspended",
    /// 关闭
    Closed = "closed" / "关闭" / "closed" ["关停"],
    /// 搬迁
    Relocated = "relocated" / "搬迁" / "relocated",
    /// 移出名录
    Removed = "removed" / "移出名录" / "removed from the list",
}

/// 土壤污染防治责任书 — the responsibility letter the enterprise signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsibilityLetter {
    pub signed_on: NaiveDate,
    /// The text made public.
    pub public_text: String,
}

/// Contact of the enterprise (not public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub person: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// 重点监管企业 — a key supervised enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    /// 统一社会信用代码, check character verified.
    pub uscc: Uscc,
    pub name: String,
    pub industry: Industry,
    /// County (GB/T 2260).
    pub division: DivisionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// CGCS2000 longitude/latitude (not public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LonLat>,
    /// Year the enterprise was put on the list.
    pub listed_year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsibility_letter: Option<ResponsibilityLetter>,
    pub status: EnterpriseStatus,
    /// Not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Self-monitoring points of the enterprise (point codes of the basic database).
    #[serde(default)]
    pub point_codes: Vec<String>,
}

/// What the public sees of an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterprisePublic {
    pub uscc: Uscc,
    pub name: String,
    pub industry: Industry,
    pub industry_name_cn: String,
    pub gbt4754: Vec<String>,
    pub division: DivisionCode,
    pub address: Option<String>,
    pub listed_year: i32,
    pub status: EnterpriseStatus,
    pub responsibility_letter: Option<ResponsibilityLetter>,
}

impl Enterprise {
    pub(crate) fn checked(&self) -> StoreResult<Enterprise> {
        let mut e = self.clone();
        required("name", &mut e.name, 200)?;
        clean(&mut e.address);
        if !(1990..=2100).contains(&e.listed_year) {
            return Err(invalid(
                "listed_year",
                format!("列入年份 {} 不合理（1990–2100）", e.listed_year),
                format!(
                    "listed year {} must be between 1990 and 2100",
                    e.listed_year
                ),
            ));
        }
        if let Some(l) = &mut e.responsibility_letter {
            required(
                "responsibility_letter.public_text",
                &mut l.public_text,
                20_000,
            )?;
        }
        if let Some(c) = &mut e.contact {
            required("contact.person", &mut c.person, 100)?;
            clean(&mut c.phone);
        }
        for c in &mut e.point_codes {
            check_code("point_codes", c)?;
        }
        e.point_codes.sort();
        e.point_codes.dedup();
        Ok(e)
    }

    /// The public fields only.
    pub fn public(&self) -> EnterprisePublic {
        EnterprisePublic {
            uscc: self.uscc.clone(),
            name: self.name.clone(),
            industry: self.industry,
            industry_name_cn: self.industry.name_cn().into(),
            gbt4754: self
                .industry
                .gbt4754()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            division: self.division,
            address: self.address.clone(),
            listed_year: self.listed_year,
            status: self.status,
            responsibility_letter: self.responsibility_letter.clone(),
        }
    }
}

/// A pollutant in a disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosedPollutant {
    /// Pollutant name (镉, 总铅, …).
    pub name: String,
    /// Discharge mode (排放方式), e.g. 间歇排放.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discharge_mode: Option<String>,
    /// Concentration as written, with its unit (e.g. `0.05 mg/L`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentration: Option<String>,
    /// Total discharged as written, with its unit (e.g. `1.2 kg/a`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
}

/// 自行监测信息公开 — an enterprise's self-monitoring disclosure for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disclosure {
    pub uscc: Uscc,
    pub year: i32,
    pub disclosed_on: NaiveDate,
    #[serde(default)]
    pub pollutants: Vec<DisclosedPollutant>,
    /// Pollution-control facilities (污染防治设施) and how they ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<String>,
    /// Soil and groundwater samples of the year's self-monitoring (sample codes).
    #[serde(default)]
    pub sample_codes: Vec<String>,
    /// Where it was published (web address or notice board).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

impl Disclosure {
    /// History key: `USCC/year`.
    pub fn key(&self) -> String {
        Self::key_of(&self.uscc, self.year)
    }

    /// The history key of an enterprise's disclosure for a year (`USCC/year`).
    pub fn key_of(uscc: &Uscc, year: i32) -> String {
        format!("{uscc}/{year}")
    }

    pub(crate) fn checked(&self, listed_year: i32) -> StoreResult<Disclosure> {
        let mut d = self.clone();
        if d.year < listed_year || d.year > 2100 {
            return Err(invalid(
                "year",
                format!("年份 {} 早于列入年份 {listed_year}", d.year),
                format!("year {} is before the listed year {listed_year}", d.year),
            ));
        }
        if d.disclosed_on.year() < d.year {
            return Err(invalid(
                "disclosed_on",
                format!("公开日期 {} 早于监测年份 {}", d.disclosed_on, d.year),
                format!(
                    "disclosed on {} is before the year {}",
                    d.disclosed_on, d.year
                ),
            ));
        }
        for (i, p) in d.pollutants.iter_mut().enumerate() {
            required(&format!("pollutants[{i}].name"), &mut p.name, 100)?;
            clean(&mut p.discharge_mode);
            clean(&mut p.concentration);
            clean(&mut p.total);
        }
        clean(&mut d.facilities);
        clean(&mut d.published_at);
        for c in &mut d.sample_codes {
            check_code("sample_codes", c)?;
        }
        Ok(d)
    }
}

code_enum! {
    /// State of a year's disclosure.
    DisclosureState, field = "state", what = "公开状态" / "disclosure state";
    /// 按时公开
    OnTime = "on_time" / "按时公开" / "disclosed on time",
    /// 逾期公开
    Late = "late" / "逾期公开" / "disclosed late",
    /// 逾期未公开
    Overdue = "overdue" / "逾期未公开" / "overdue, not disclosed",
    /// 未到期
    Pending = "pending" / "未到期" / "not yet due",
}

/// A year of an enterprise's disclosure duty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosureYear {
    pub year: i32,
    pub due_on: NaiveDate,
    pub state: DisclosureState,
    pub disclosed_on: Option<NaiveDate>,
}

/// When a year's self-monitoring must be disclosed: by 31 December of the year itself (the
/// monitoring is yearly and its results are made public; the deadline is this platform's
/// working rule until a bureau sets another).
pub fn disclosure_due(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Every year from the listed year to `today`'s year, with its state: on time, late, overdue
/// (due and not disclosed) or pending.
pub fn disclosure_calendar(
    listed_year: i32,
    disclosures: &[Disclosure],
    today: NaiveDate,
) -> Vec<DisclosureYear> {
    (listed_year..=today.year())
        .map(|year| {
            let due_on = disclosure_due(year);
            let d = disclosures.iter().find(|d| d.year == year);
            let state = match d {
                Some(d) if d.disclosed_on <= due_on => DisclosureState::OnTime,
                Some(_) => DisclosureState::Late,
                None if today > due_on => DisclosureState::Overdue,
                None => DisclosureState::Pending,
            };
            DisclosureYear {
                year,
                due_on,
                state,
                disclosed_on: d.map(|d| d.disclosed_on),
            }
        })
        .collect()
}

code_enum! {
    /// 尾矿库状态 — status of a tailings pond.
    TailingsStatus, field = "status", what = "尾矿库状态" / "tailings-pond status";
    /// 在用
    Operating = "operating" / "在用" / "in use" ["运行"],
    /// 停用
    Idle = "idle" / "停用" / "idle",
    /// 闭库
    Closed = "closed" / "闭库" / "closed",
    /// 销库
    Decommissioned = "decommissioned" / "销库" / "decommissioned",
}

/// The risk assessment of a tailings pond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PondAssessment {
    pub done_on: NaiveDate,
    /// Conclusion (e.g. 一般风险 / 较大风险 / 重大风险).
    pub conclusion: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportDoc>,
}

/// 尾矿库 — a tailings pond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TailingsPond {
    pub code: String,
    pub name: String,
    /// The enterprise operating it (USCC), if registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_uscc: Option<Uscc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
    /// County (GB/T 2260).
    pub division: DivisionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LonLat>,
    pub status: TailingsStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_assessment: Option<PondAssessment>,
    /// 突发环境事件应急预案备案 — filing of the emergency plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_plan: Option<Filing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TailingsPond {
    pub(crate) fn checked(&self) -> StoreResult<TailingsPond> {
        let mut t = self.clone();
        check_code("code", &mut t.code)?;
        required("name", &mut t.name, 200)?;
        clean(&mut t.enterprise_name);
        clean(&mut t.note);
        if let Some(a) = &mut t.risk_assessment {
            required("risk_assessment.conclusion", &mut a.conclusion, 200)?;
            if let Some(r) = &mut a.report {
                r.check("risk_assessment.report")?;
            }
        }
        if let Some(f) = &mut t.emergency_plan {
            f.check("emergency_plan")?;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, on: &str) -> Disclosure {
        Disclosure {
            uscc: "91350100M000100Y43".parse().unwrap(),
            year,
            disclosed_on: on.parse().unwrap(),
            pollutants: Vec::new(),
            facilities: None,
            sample_codes: Vec::new(),
            published_at: None,
        }
    }

    #[test]
    fn calendar_flags_late_overdue_and_pending_years() {
        let today: NaiveDate = "2024-06-01".parse().unwrap();
        let cal = disclosure_calendar(
            2020,
            &[
                d(2020, "2020-11-30"),
                d(2021, "2022-02-01"),
                d(2023, "2023-12-31"),
            ],
            today,
        );
        let states: Vec<_> = cal.iter().map(|y| (y.year, y.state)).collect();
        assert_eq!(
            states,
            vec![
                (2020, DisclosureState::OnTime),
                (2021, DisclosureState::Late),
                (2022, DisclosureState::Overdue),
                (2023, DisclosureState::OnTime),
                (2024, DisclosureState::Pending),
            ]
        );
    }

    #[test]
    fn public_view_leaves_out_contact_and_location() {
        let e = Enterprise {
            uscc: "91350100M000100Y43".parse().unwrap(),
            name: "某冶炼厂".into(),
            industry: Industry::NonferrousSmelting,
            division: "513402".parse().unwrap(),
            address: None,
            location: Some(LonLat::new(102.2, 26.6).unwrap()),
            listed_year: 2019,
            responsibility_letter: None,
            status: EnterpriseStatus::Operating,
            contact: Some(Contact {
                person: "王五".into(),
                phone: Some("13800000000".into()),
            }),
            point_codes: Vec::new(),
        };
        let json = serde_json::to_string(&e.public()).unwrap();
        assert!(
            !json.contains("13800000000") && !json.contains("102.2"),
            "{json}"
        );
        assert!(json.contains("C321"), "{json}");
    }
}
