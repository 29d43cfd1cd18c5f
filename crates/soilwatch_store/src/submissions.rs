//! Yearly submissions (issue 9, work-plan item 3): every department uploads last year's data
//! before the end of September. A [`Campaign`] per year and [`DataKind`] names the departments
//! that owe it and a due date (default 30 September of the next year); each department's
//! [`Submission`] goes owed → received (an import batch linked to it) → accepted, or → returned
//! with reasons and received again. Every state change is a [`SubmissionEvent`] (who, when,
//! from, to, batch, reasons). A supertrait of [`Store`](crate::Store).
//!
//! The tallies per department and county ([`summarise`]) and the reminders ([`reminders`]) are
//! pure functions over the submissions, so the API, the pages and the exports agree.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{DivisionCode, Medium};

use crate::{StoreError, StoreResult};

/// 数据类别 — the kinds of data departments submit each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// 土壤环境质量
    SoilQuality,
    /// 农产品质量
    AgriculturalProduct,
    /// 农田灌溉水
    IrrigationWater,
    /// 地下水
    Groundwater,
    /// 地表水
    SurfaceWater,
    /// 企业自行监测 — self-monitoring of key supervised enterprises.
    EnterpriseSelfMonitoring,
}

impl DataKind {
    pub const ALL: [DataKind; 6] = [
        DataKind::SoilQuality,
        DataKind::AgriculturalProduct,
        DataKind::IrrigationWater,
        DataKind::Groundwater,
        DataKind::SurfaceWater,
        DataKind::EnterpriseSelfMonitoring,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DataKind::SoilQuality => "soil_quality",
            DataKind::AgriculturalProduct => "agricultural_product",
            DataKind::IrrigationWater => "irrigation_water",
            DataKind::Groundwater => "groundwater",
            DataKind::SurfaceWater => "surface_water",
            DataKind::EnterpriseSelfMonitoring => "enterprise_self_monitoring",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            DataKind::SoilQuality => "土壤环境质量",
            DataKind::AgriculturalProduct => "农产品质量",
            DataKind::IrrigationWater => "农田灌溉水",
            DataKind::Groundwater => "地下水",
            DataKind::SurfaceWater => "地表水",
            DataKind::EnterpriseSelfMonitoring => "企业自行监测",
        }
    }

    /// The media of the samples this kind of data holds.
    pub fn media(self) -> &'static [Medium] {
        match self {
            DataKind::SoilQuality => &[Medium::Soil, Medium::Sediment],
            DataKind::AgriculturalProduct => &[Medium::AgriculturalProduct],
            DataKind::IrrigationWater => &[Medium::IrrigationWater],
            DataKind::Groundwater => &[Medium::Groundwater],
            DataKind::SurfaceWater => &[Medium::SurfaceWater],
            DataKind::EnterpriseSelfMonitoring => &[
                Medium::Soil,
                Medium::Groundwater,
                Medium::SurfaceWater,
                Medium::Sediment,
                Medium::Other,
            ],
        }
    }
}

impl fmt::Display for DataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DataKind {
    type Err = StoreError;
    /// The code (`soil_quality`, `soil-quality`) or the Chinese name (`土壤环境质量`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        DataKind::ALL
            .into_iter()
            .find(|k| k.code() == t || k.name_cn() == s.trim())
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "字段 data_kind: 无法识别的数据类别 '{s}' / field data_kind: unknown data kind \
                     '{s}' (expected one of {})",
                    DataKind::ALL.map(|k| k.code()).join(", ")
                ))
            })
    }
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// 待报送 — nothing uploaded yet.
    Owed,
    /// 已报送待审核 — uploaded, waiting for the reviewer.
    Received,
    /// 已通过 — accepted by the reviewer.
    Accepted,
    /// 已退回 — returned with reasons; the department uploads again.
    Returned,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 4] = [
        SubmissionStatus::Owed,
        SubmissionStatus::Received,
        SubmissionStatus::Accepted,
        SubmissionStatus::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SubmissionStatus::Owed => "owed",
            SubmissionStatus::Received => "received",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Returned => "returned",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            SubmissionStatus::Owed => "待报送",
            SubmissionStatus::Received => "已报送待审核",
            SubmissionStatus::Accepted => "已通过",
            SubmissionStatus::Returned => "已退回",
        }
    }

    /// Whether the department still owes data (nothing uploaded, or returned).
    pub fn still_owed(self) -> bool {
        matches!(self, SubmissionStatus::Owed | SubmissionStatus::Returned)
    }
}

impl fmt::Display for SubmissionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SubmissionStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubmissionStatus::ALL
            .into_iter()
            .find(|k| k.code() == s.trim() || k.name_cn() == s.trim())
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "字段 status: 无法识别的状态 '{s}' / field status: unknown status '{s}' \
                     (expected owed, received, accepted or returned)"
                ))
            })
    }
}

/// The default due date of a year's data: 30 September of the next year (work-plan item 3).
///
/// # Examples
/// ```
/// use soilwatch_store::submissions::default_due_on;
/// assert_eq!(default_due_on(2025).to_string(), "2026-09-30");
/// ```
pub fn default_due_on(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year + 1, 9, 30).expect("30 September exists every year")
}

/// The calendar date in China (UTC+8) of an instant: deadlines are Beijing dates.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    let east8 = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&east8).date_naive()
}

/// 报送任务 — a year's data of one kind, owed by some departments by a due date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: i64,
    /// The year the data is of.
    pub year: i32,
    pub data_kind: DataKind,
    pub due_on: NaiveDate,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Codes of the departments that owe it.
    pub departments: Vec<String>,
}

/// A campaign to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub year: i32,
    pub data_kind: DataKind,
    /// Default: 30 September of the next year.
    pub due_on: Option<NaiveDate>,
    pub departments: Vec<String>,
    #[serde(default)]
    pub note: String,
}

impl NewCampaign {
    /// The due date, defaulted.
    pub fn due(&self) -> NaiveDate {
        self.due_on.unwrap_or_else(|| default_due_on(self.year))
    }

    /// Check the fields (the departments' existence is checked by the store).
    pub fn validate(&self) -> StoreResult<()> {
        if !(2000..=2100).contains(&self.year) {
            return Err(StoreError::Invalid(format!(
                "字段 year: 年份须在 2000–2100 之间，实为 {} / field year: expected 2000–2100, \
                 found {}",
                self.year, self.year
            )));
        }
        if self.due().year() <= self.year {
            return Err(StoreError::Invalid(format!(
                "字段 due_on: 截止日期 {} 须在数据年度 {} 结束之后 / field due_on: the due date {} \
                 must fall after the end of the data year {}",
                self.due(),
                self.year,
                self.due(),
                self.year
            )));
        }
        if self.departments.is_empty() {
            return Err(StoreError::Invalid(
                "字段 departments: 至少须有一个报送部门 / field departments: name at least one \
                 department that owes the data"
                    .into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.departments {
            if !seen.insert(d.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "字段 departments: 部门 '{d}' 重复 / field departments: '{d}' is named twice"
                )));
            }
        }
        Ok(())
    }
}

/// 报送 — one department's submission in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub id: i64,
    pub campaign_id: i64,
    pub year: i32,
    pub data_kind: DataKind,
    pub due_on: NaiveDate,
    pub department: String,
    pub department_name: String,
    /// The department's division (a county, or the prefecture for a prefecture bureau).
    pub division: DivisionCode,
    pub status: SubmissionStatus,
    /// The import batch under review or accepted (the latest upload).
    pub batch: Option<i64>,
    /// When the latest upload arrived.
    pub received_at: Option<DateTime<Utc>>,
    /// When the reviewer last accepted or returned it.
    pub decided_at: Option<DateTime<Utc>>,
    /// The reviewer's reasons for returning it.
    pub reasons: Option<String>,
    pub version: i64,
    /// 逾期报送 — the latest upload arrived after the due date (Beijing time).
    pub late: bool,
}

impl Submission {
    /// 逾期未报 — still owed (nothing uploaded, or returned) and the due date has passed.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status.still_owed() && today > self.due_on
    }

    /// Days past the due date (none when not overdue).
    pub fn days_overdue(&self, today: NaiveDate) -> Option<i64> {
        self.overdue(today)
            .then(|| (today - self.due_on).num_days())
    }
}

/// One state change of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionEvent {
    pub version: i64,
    pub from: Option<SubmissionStatus>,
    pub to: SubmissionStatus,
    pub batch: Option<i64>,
    pub reasons: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 通过
    Accept,
    /// 退回 (with reasons)
    Return,
}

impl FromStr for Decision {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "accept" | "通过" => Ok(Decision::Accept),
            "return" | "退回" => Ok(Decision::Return),
            _ => Err(StoreError::Invalid(format!(
                "字段 decision: 应为 accept（通过）或 return（退回），实为 '{s}' / field decision: \
                 expected accept or return, found '{s}'"
            ))),
        }
    }
}

/// A filter over submissions; `None` does not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionQuery {
    pub year: Option<i32>,
    pub department: Option<String>,
    pub data_kind: Option<DataKind>,
    pub status: Option<SubmissionStatus>,
}

/// Campaigns, submissions and their history.
#[async_trait]
pub trait SubmissionStore: Send + Sync {
    /// Create a campaign and one owed submission per department, each with its first event
    /// (all or nothing; a second campaign of the same year and kind is a conflict).
    async fn create_campaign(&self, c: &NewCampaign, actor: &str) -> StoreResult<Campaign>;
    async fn get_campaign(&self, id: i64) -> StoreResult<Campaign>;
    /// Campaigns of a year (all years when `None`), newest year first.
    async fn list_campaigns(&self, year: Option<i32>) -> StoreResult<Vec<Campaign>>;

    /// Submissions by year, department, kind; ordered by department, kind.
    async fn list_submissions(&self, q: &SubmissionQuery) -> StoreResult<Vec<Submission>>;
    async fn get_submission(&self, id: i64) -> StoreResult<Submission>;
    /// Every state change, oldest first.
    async fn submission_history(&self, id: i64) -> StoreResult<Vec<SubmissionEvent>>;
    /// The submission an import batch was uploaded into, if any.
    async fn submission_of_batch(&self, batch: i64) -> StoreResult<Option<i64>>;

    /// Of these samples, those that came in through an upload into a submission, each with the
    /// submitting department and whether the submission is accepted. Until the reviewer accepts
    /// it, such data is seen by that department, reviewers and administrators only; the
    /// submitting department always sees what it submitted.
    async fn submitted_samples(&self, ids: &[i64]) -> StoreResult<HashMap<i64, (String, bool)>>;

    /// Link an import batch to a submission: it becomes `received` (again). A conflict when the
    /// submission is accepted already or the batch belongs to another submission.
    async fn record_upload(&self, id: i64, batch: i64, actor: &str) -> StoreResult<Submission>;
    /// Accept or return (reasons required) a received submission; a conflict in any other state.
    async fn decide_submission(
        &self,
        id: i64,
        decision: Decision,
        reasons: &str,
        actor: &str,
    ) -> StoreResult<Submission>;
}

/// Counts of submissions of a department or a division.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Department code, or division code for the counties.
    pub key: String,
    pub name: String,
    /// Submissions owed in the period (every campaign entry).
    pub owed: i64,
    /// Uploaded and standing (received or accepted).
    pub received: i64,
    pub accepted: i64,
    /// Returned and not uploaded again.
    pub returned: i64,
    /// Still owed after the due date.
    pub overdue: i64,
    /// Uploaded after the due date.
    pub late: i64,
}

impl Tally {
    fn add(&mut self, s: &Submission, today: NaiveDate) {
        self.owed += 1;
        match s.status {
            SubmissionStatus::Received => self.received += 1,
            SubmissionStatus::Accepted => {
                self.received += 1;
                self.accepted += 1
            }
            SubmissionStatus::Returned => self.returned += 1,
            SubmissionStatus::Owed => {}
        }
        self.overdue += i64::from(s.overdue(today));
        self.late += i64::from(s.late && !s.status.still_owed());
    }
}

/// The tallies of a set of submissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionSummary {
    /// The date overdue is judged on.
    pub as_of: Option<NaiveDate>,
    pub total: Tally,
    pub by_department: Vec<Tally>,
    /// By the department's division: a county, or the prefecture for prefecture bureaus.
    pub by_county: Vec<Tally>,
}

/// Tally submissions per department and per county as of `today`; `division_names` names the
/// divisions (codes stand in for missing names).
pub fn summarise(
    subs: &[Submission],
    today: NaiveDate,
    division_names: &HashMap<DivisionCode, String>,
) -> SubmissionSummary {
    let mut total = Tally {
        key: "all".into(),
        name: "合计 / total".into(),
        ..Tally::default()
    };
    let mut by_dept: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_county: BTreeMap<String, Tally> = BTreeMap::new();
    for s in subs {
        total.add(s, today);
        by_dept
            .entry(s.department.clone())
            .or_insert_with(|| Tally {
                key: s.department.clone(),
                name: s.department_name.clone(),
                ..Tally::default()
            })
            .add(s, today);
        let code = s.division.to_string();
        by_county
            .entry(code.clone())
            .or_insert_with(|| Tally {
                name: division_names
                    .get(&s.division)
                    .cloned()
                    .unwrap_or_else(|| code.clone()),
                key: code,
                ..Tally::default()
            })
            .add(s, today);
    }
    SubmissionSummary {
        as_of: Some(today),
        total,
        by_department: by_dept.into_values().collect(),
        by_county: by_county.into_values().collect(),
    }
}

/// 催报 — one line of what a department still owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub submission: i64,
    pub department: String,
    pub department_name: String,
    pub division: String,
    pub division_name: String,
    pub year: i32,
    pub data_kind: DataKind,
    pub data_kind_name: String,
    pub due_on: NaiveDate,
    pub status: SubmissionStatus,
    /// Days past the due date (none when not yet due).
    pub days_overdue: Option<i64>,
    /// Why it was returned, when it was.
    pub reasons: Option<String>,
}

/// What each department still owes (owed or returned), by department, then due date.
pub fn reminders(
    subs: &[Submission],
    today: NaiveDate,
    division_names: &HashMap<DivisionCode, String>,
) -> Vec<Reminder> {
    let mut out: Vec<Reminder> = subs
        .iter()
        .filter(|s| s.status.still_owed())
        .map(|s| Reminder {
            submission: s.id,
            department: s.department.clone(),
            department_name: s.department_name.clone(),
            division: s.division.to_string(),
            division_name: division_names
                .get(&s.division)
                .cloned()
                .unwrap_or_else(|| s.division.to_string()),
            year: s.year,
            data_kind: s.data_kind,
            data_kind_name: s.data_kind.name_cn().to_owned(),
            due_on: s.due_on,
            status: s.status,
            days_overdue: s.days_overdue(today),
            reasons: s.reasons.clone(),
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.department, a.due_on, a.data_kind).cmp(&(&b.department, b.due_on, b.data_kind))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(dept: &str, div: &str, status: SubmissionStatus, late: bool) -> Submission {
        Submission {
            id: 1,
            campaign_id: 1,
            year: 2025,
            data_kind: DataKind::SoilQuality,
            due_on: default_due_on(2025),
            department: dept.into(),
            department_name: dept.into(),
            division: div.parse().expect("code"),
            status,
            batch: None,
            received_at: None,
            decided_at: None,
            reasons: None,
            version: 1,
            late,
        }
    }

    #[test]
    fn due_date_defaults_to_30_september_of_the_next_year() {
        let c = NewCampaign {
            year: 2024,
            data_kind: DataKind::Groundwater,
            due_on: None,
            departments: vec!["x".into()],
            note: String::new(),
        };
        assert_eq!(c.due(), NaiveDate::from_ymd_opt(2025, 9, 30).expect("date"));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn due_date_inside_the_data_year_is_refused() {
        let c = NewCampaign {
            year: 2024,
            data_kind: DataKind::Groundwater,
            due_on: NaiveDate::from_ymd_opt(2024, 12, 31),
            departments: vec!["x".into()],
            note: String::new(),
        };
        assert!(matches!(c.validate(), Err(StoreError::Invalid(m)) if m.contains("due_on")));
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_date() {
        let s = sub("a", "513402", SubmissionStatus::Owed, false);
        let due = default_due_on(2025);
        assert!(!s.overdue(due));
        assert_eq!(s.days_overdue(due), None);
        let next = due.succ_opt().expect("date");
        assert!(s.overdue(next));
        assert_eq!(s.days_overdue(next), Some(1));
        let accepted = sub("a", "513402", SubmissionStatus::Accepted, false);
        assert!(!accepted.overdue(next));
    }

    #[test]
    fn deadline_is_a_beijing_date() {
        // 2026-09-30 16:30 UTC is 1 October 00:30 in Beijing: late.
        let t = DateTime::parse_from_rfc3339("2026-09-30T16:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(china_date(t).to_string(), "2026-10-01");
        let t = DateTime::parse_from_rfc3339("2026-09-30T15:59:59Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(china_date(t).to_string(), "2026-09-30");
    }

    #[test]
    fn tallies_per_department_and_county() {
        let subs = vec![
            sub("a", "513402", SubmissionStatus::Owed, false),
            sub("a", "513402", SubmissionStatus::Accepted, true),
            sub("b", "513401", SubmissionStatus::Received, false),
            sub("b", "513401", SubmissionStatus::Returned, false),
        ];
        let names = HashMap::from([("513402".parse().expect("code"), "会理市".to_owned())]);
        let today = NaiveDate::from_ymd_opt(2026, 10, 1).expect("date");
        let s = summarise(&subs, today, &names);
        assert_eq!(
            (
                s.total.owed,
                s.total.received,
                s.total.accepted,
                s.total.overdue,
                s.total.late
            ),
            (4, 2, 1, 2, 1)
        );
        let a = &s.by_department[0];
        assert_eq!(
            (a.key.as_str(), a.owed, a.accepted, a.overdue),
            ("a", 2, 1, 1)
        );
        let huili = s.by_county.iter().find(|t| t.key == "513402").expect("c");
        assert_eq!(huili.name, "会理市");
        let xichang = s.by_county.iter().find(|t| t.key == "513401").expect("c");
        assert_eq!((xichang.name.as_str(), xichang.returned), ("513401", 1));
        let r = reminders(&subs, today, &names);
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|r| r.days_overdue == Some(1)));
    }

    #[test]
    fn kinds_parse_from_code_or_chinese() {
        assert_eq!(
            "soil-quality".parse::<DataKind>().ok(),
            Some(DataKind::SoilQuality)
        );
        assert_eq!(
            "地下水".parse::<DataKind>().ok(),
            Some(DataKind::Groundwater)
        );
        assert!("weather".parse::<DataKind>().is_err());
    }
}
