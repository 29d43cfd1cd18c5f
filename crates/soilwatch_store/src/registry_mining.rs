//! 矿区 — mining areas (work-plan item 22) with the yearly radiation monitoring of those with
//! associated radioactivity (伴生放射性矿). The monitoring results are ordinary samples of the
//! basic database on the area's monitoring points (`point_codes`); this module keeps the
//! registry and decides, year by year, whether the monitoring is on file.
//!
//! A year's radiation monitoring is **present** when a sample on one of the area's points, sampled
//! that year, has a result of a radiation item ([`RADIATION_ANALYTES`]); otherwise it is
//! **missing** once the year is over (due by 31 December of the year, the rule of the enterprise
//! disclosures), **pending** during the year. Years run from `monitoring_since` to today's year;
//! an area without associated radioactivity owes none.
//!
//! Public (the view [`MiningArea::public`]): code, name, enterprise, mineral, county, status,
//! whether it has associated radioactivity, and each year's state. Not public: the location, the
//! monitoring points and the note.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, LonLat, Medium, Qualifier, Uscc};

use crate::registry::{check_code, clean, code_enum, invalid, required};
use crate::{StoreResult, StoredSample};

code_enum! {
    /// 矿区状态 — status of a mining area.
    MiningStatus, field = "status", what = "矿区状态" / "mining-area status";
    /// 在产
    Operating = "operating" / "在产" / "operating" ["开采", "生产"],
    /// 停产
    Suspended = "suspended" / "停产" / "suspended",
    /// 闭坑
    Closed = "closed" / "闭坑" / "closed" ["关闭", "闭矿"],
    /// 废弃（历史遗留）
    Abandoned = "abandoned" / "废弃" / "abandoned" ["历史遗留", "历史遗留矿区"],
}

/// The catalogue codes of the radiation items whose results count as radiation monitoring:
/// natural uranium and thorium, ²³⁸U, ²³²Th, ²²⁶Ra, ⁴⁰K, gross α, gross β and the γ radiation
/// air absorbed dose rate.
pub const RADIATION_ANALYTES: &[&str] = &[
    "U",
    "Th",
    "U238",
    "Th232",
    "Ra226",
    "K40",
    "gross_alpha",
    "gross_beta",
    "gamma_dose_rate",
];

/// 矿区 — a mining area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiningArea {
    pub code: String,
    pub name: String,
    /// The mining enterprise (USCC), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_uscc: Option<Uscc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_name: Option<String>,
    /// Mineral mined (e.g. 稀土, 铅锌, 钒钛磁铁矿).
    pub mineral: String,
    /// County (GB/T 2260).
    pub division: DivisionCode,
    /// CGCS2000 longitude/latitude (not public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LonLat>,
    pub status: MiningStatus,
    /// 伴生放射性矿 — whether it has associated radioactivity (then it owes yearly radiation
    /// monitoring).
    pub associated_radioactivity: bool,
    /// First year whose radiation monitoring is due (required with associated radioactivity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_since: Option<i32>,
    /// Radiation monitoring points (point codes of the basic database; not public).
    #[serde(default)]
    pub point_codes: Vec<String>,
    /// Not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

code_enum! {
    /// State of a year's radiation monitoring.
    MonitoringState, field = "state", what = "监测状态" / "monitoring state";
    /// 已监测
    Present = "present" / "已监测" / "monitored",
    /// 缺失
    Missing = "missing" / "缺失" / "missing",
    /// 未到期
    Pending = "pending" / "未到期" / "not yet due",
}

/// One year of an area's radiation monitoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringYear {
    pub year: i32,
    pub due_on: NaiveDate,
    pub state: MonitoringState,
    /// Samples of the year with radiation results (codes; not public).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
}

/// One radiation result of the latest monitored year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadiationResult {
    pub sample_id: i64,
    pub sample_code: String,
    pub point_code: String,
    pub sampled_on: NaiveDate,
    pub medium: Medium,
    pub analyte: String,
    /// The value as reported (`null` for a non-detect without a number).
    pub value: Option<String>,
    pub unit: String,
    pub non_detect: bool,
    pub detection_limit: Option<String>,
}

/// An area's radiation monitoring: every year due with its state, and the results of the
/// latest monitored year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadiationMonitoring {
    /// Whether the area owes yearly radiation monitoring (associated radioactivity).
    pub required: bool,
    pub years: Vec<MonitoringYear>,
    /// Years over and not monitored.
    pub missing_years: Vec<i32>,
    pub latest_year: Option<i32>,
    pub latest_results: Vec<RadiationResult>,
}

/// What the public sees of a mining area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiningAreaPublic {
    pub code: String,
    pub name: String,
    pub enterprise_uscc: Option<Uscc>,
    pub enterprise_name: Option<String>,
    pub mineral: String,
    pub division: DivisionCode,
    pub status: MiningStatus,
    pub associated_radioactivity: bool,
    /// Each year due: `present`, `missing` or `pending` (no samples, no results).
    pub monitoring: Vec<(i32, MonitoringState)>,
    pub missing_years: Vec<i32>,
}

impl MiningArea {
    pub(crate) fn checked(&self) -> StoreResult<MiningArea> {
        let mut a = self.clone();
        check_code("code", &mut a.code)?;
        required("name", &mut a.name, 200)?;
        required("mineral", &mut a.mineral, 100)?;
        clean(&mut a.enterprise_name);
        clean(&mut a.note);
        for c in &mut a.point_codes {
            check_code("point_codes", c)?;
        }
        a.point_codes.sort();
        a.point_codes.dedup();
        match a.monitoring_since {
            Some(y) if !(1990..=2100).contains(&y) => {
                return Err(invalid(
                    "monitoring_since",
                    format!("监测起始年份 {y} 不合理（1990–2100）"),
                    format!("first monitoring year {y} must be between 1990 and 2100"),
                ))
            }
            None if a.associated_radioactivity => {
                return Err(invalid(
                    "monitoring_since",
                    "伴生放射性矿须给出辐射监测起始年份",
                    "a mine with associated radioactivity needs the first year of its radiation \
                     monitoring",
                ))
            }
            _ => {}
        }
        Ok(a)
    }

    /// The public fields, with the years of `monitoring`.
    pub fn public(&self, monitoring: &RadiationMonitoring) -> MiningAreaPublic {
        MiningAreaPublic {
            code: self.code.clone(),
            name: self.name.clone(),
            enterprise_uscc: self.enterprise_uscc.clone(),
            enterprise_name: self.enterprise_name.clone(),
            mineral: self.mineral.clone(),
            division: self.division,
            status: self.status,
            associated_radioactivity: self.associated_radioactivity,
            monitoring: monitoring.years.iter().map(|y| (y.year, y.state)).collect(),
            missing_years: monitoring.missing_years.clone(),
        }
    }
}

/// When a year's radiation monitoring must be on file: 31 December of the year.
pub fn monitoring_due(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The radiation monitoring of `area` from the samples on its points (see the module
/// documentation), as of `today`.
pub fn radiation_monitoring(
    area: &MiningArea,
    samples: &[StoredSample],
    today: NaiveDate,
) -> RadiationMonitoring {
    let radiation: Vec<&StoredSample> = samples
        .iter()
        .filter(|s| {
            s.sample
                .point_code
                .as_ref()
                .is_some_and(|p| area.point_codes.contains(p))
                && s.results
                    .iter()
                    .any(|r| RADIATION_ANALYTES.contains(&r.result.analyte.as_str()))
        })
        .collect();
    let required = area.associated_radioactivity;
    let years: Vec<MonitoringYear> = match (required, area.monitoring_since) {
        (true, Some(since)) => (since..=today.year())
            .map(|year| {
                let due_on = monitoring_due(year);
                let samples: Vec<String> = radiation
                    .iter()
                    .filter(|s| s.sample.sampled_on.year() == year)
                    .map(|s| s.sample.code.clone())
                    .collect();
                let state = if !samples.is_empty() {
                    MonitoringState::Present
                } else if today > due_on {
                    MonitoringState::Missing
                } else {
                    MonitoringState::Pending
                };
                MonitoringYear {
                    year,
                    due_on,
                    state,
                    samples,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let latest_year = radiation.iter().map(|s| s.sample.sampled_on.year()).max();
    let latest_results = radiation
        .iter()
        .filter(|s| Some(s.sample.sampled_on.year()) == latest_year)
        .flat_map(|s| {
            s.results
                .iter()
                .filter(|r| RADIATION_ANALYTES.contains(&r.result.analyte.as_str()))
                .map(|r| RadiationResult {
                    sample_id: s.id,
                    sample_code: s.sample.code.clone(),
                    point_code: s.sample.point_code.clone().unwrap_or_default(),
                    sampled_on: s.sample.sampled_on,
                    medium: s.sample.medium,
                    analyte: r.result.analyte.clone(),
                    value: r.result.value.map(|v| v.get().normalize().to_string()),
                    unit: r.result.unit.symbol().to_owned(),
                    non_detect: r.result.is_non_detect()
                        || r.result.qualifier == Qualifier::NotDetected,
                    detection_limit: r
                        .result
                        .detection_limit
                        .map(|v| v.get().normalize().to_string()),
                })
        })
        .collect();
    RadiationMonitoring {
        required,
        missing_years: years
            .iter()
            .filter(|y| y.state == MonitoringState::Missing)
            .map(|y| y.year)
            .collect(),
        years,
        latest_year,
        latest_results,
    }
}
