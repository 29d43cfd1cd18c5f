//! 资源共享目录 — the sharing catalogue (issue 9, work-plan item 3): every dataset kind with its
//! owner department, sharing level (unconditional / conditional / not shared, as in government
//! information sharing), fields, update frequency and access methods; conditional access
//! requests with a purpose, granted (optionally until a date) or refused by the owner; and the
//! log of reads of non-public data. A supertrait of [`Store`](crate::Store).
//!
//! [`authorize_read`] is the one check every read path of non-public data calls: it decides
//! from the catalogue and the grants ([`may_read`]) and logs who read what, when, through which
//! path and how many rows.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use soilwatch_core::{ChangeMeta, Medium};

use crate::{Role, Store, StoreError, StoreResult, User};

/// 共享类型 — how a dataset is shared between departments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharingLevel {
    /// 无条件共享 — every signed-in government user.
    Unconditional,
    /// 有条件共享 — departments the owner grants, on request with a purpose.
    Conditional,
    /// 不予共享 — the owner department (and administrators) only.
    #[serde(rename = "none")]
    NotShared,
}

impl SharingLevel {
    pub fn code(self) -> &'static str {
        match self {
            SharingLevel::Unconditional => "unconditional",
            SharingLevel::Conditional => "conditional",
            SharingLevel::NotShared => "none",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            SharingLevel::Unconditional => "无条件共享",
            SharingLevel::Conditional => "有条件共享",
            SharingLevel::NotShared => "不予共享",
        }
    }
}

impl fmt::Display for SharingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SharingLevel {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            SharingLevel::Unconditional,
            SharingLevel::Conditional,
            SharingLevel::NotShared,
        ]
        .into_iter()
        .find(|l| l.code() == s.trim() || l.name_cn() == s.trim())
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "字段 sharing_level: 应为 unconditional（无条件共享）、conditional（有条件共享）或 \
                 none（不予共享），实为 '{s}' / field sharing_level: expected unconditional, \
                 conditional or none, found '{s}'"
            ))
        })
    }
}

/// 共享方式 — how a dataset may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMethod {
    /// 页面查询
    Page,
    /// 接口调用
    Api,
    /// 文件下载
    Download,
}

/// 目录条目 — one dataset of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    /// Stable code (`soil_quality`, `agricultural_product`, …).
    pub dataset: String,
    pub name: String,
    pub owner_department: String,
    pub sharing_level: SharingLevel,
    /// 向社会公开 — a disclosure item of the work plan: reaches the public portal.
    pub public: bool,
    pub fields: Vec<String>,
    pub update_frequency: String,
    pub access_methods: Vec<AccessMethod>,
    pub description: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A catalogue entry as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueWrite {
    pub name: String,
    pub owner_department: String,
    pub sharing_level: SharingLevel,
    #[serde(default)]
    pub public: bool,
    pub fields: Vec<String>,
    pub update_frequency: String,
    pub access_methods: Vec<AccessMethod>,
    #[serde(default)]
    pub description: String,
}

impl CatalogueWrite {
    /// Check the fields (the owner's existence is checked by the store).
    pub fn validate(&self, dataset: &str) -> StoreResult<()> {
        let code_ok = !dataset.is_empty()
            && dataset.len() <= 64
            && dataset
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let problem = if !code_ok {
            Some(format!(
                "字段 dataset: 须为 1–64 个小写字母、数字或下划线，实为 '{dataset}' / field \
                 dataset: 1–64 lowercase letters, digits or _, found '{dataset}'"
            ))
        } else if self.name.trim().is_empty() {
            Some("字段 name: 不能为空 / field name: must not be empty".into())
        } else if self.fields.is_empty() {
            Some("字段 fields: 至少列出一个字段 / field fields: list at least one field".into())
        } else if self.access_methods.is_empty() {
            Some(
                "字段 access_methods: 至少一种共享方式（page、api、download）/ field \
                 access_methods: at least one of page, api, download"
                    .into(),
            )
        } else if self.public && self.sharing_level != SharingLevel::Unconditional {
            Some(
                "字段 public: 向社会公开的数据须为无条件共享 / field public: public data must be \
                 shared unconditionally"
                    .into(),
            )
        } else {
            None
        };
        problem.map_or(Ok(()), |m| Err(StoreError::Invalid(m)))
    }
}

/// A kept version of a catalogue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueVersion {
    pub version: i64,
    pub entry: serde_json::Value,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Where an access request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// 待审批
    Pending,
    /// 已授权
    Granted,
    /// 已拒绝
    Refused,
    /// 已撤销
    Revoked,
}

impl RequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Granted => "granted",
            RequestStatus::Refused => "refused",
            RequestStatus::Revoked => "revoked",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            RequestStatus::Pending => "待审批",
            RequestStatus::Granted => "已授权",
            RequestStatus::Refused => "已拒绝",
            RequestStatus::Revoked => "已撤销",
        }
    }
}

impl FromStr for RequestStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            RequestStatus::Pending,
            RequestStatus::Granted,
            RequestStatus::Refused,
            RequestStatus::Revoked,
        ]
        .into_iter()
        .find(|l| l.code() == s.trim())
        .ok_or_else(|| StoreError::Invalid(format!("unknown request status '{s}'")))
    }
}

/// 共享申请 — a department's request for a conditional dataset, and the owner's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: i64,
    pub dataset: String,
    /// The requesting department.
    pub department: String,
    pub purpose: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The last day of a grant; none: no end.
    pub expires_on: Option<NaiveDate>,
    /// The owner's note (why refused, conditions of use).
    pub decision: Option<String>,
}

impl AccessRequest {
    /// A grant in force on `today`.
    pub fn active(&self, today: NaiveDate) -> bool {
        self.status == RequestStatus::Granted && self.expires_on.is_none_or(|e| today <= e)
    }
}

/// The owner's decision on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum GrantDecision {
    /// 同意 — until `expires_on` (inclusive) when given.
    Grant { expires_on: Option<NaiveDate> },
    /// 拒绝
    Refuse,
    /// 撤销 a grant.
    Revoke,
}

/// One logged read of non-public data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataAccess {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub department: Option<String>,
    pub dataset: String,
    /// The route or command that read (`GET /api/v1/samples?…`).
    pub path: String,
    pub row_count: i64,
    /// `ok` or `denied`.
    pub outcome: String,
    /// Why allowed (`administrator`, `owner`, `unconditional`, `grant 12`) or refused.
    pub basis: String,
}

/// A read to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDataAccess {
    pub actor: String,
    pub department: Option<String>,
    pub dataset: String,
    pub path: String,
    pub row_count: i64,
    pub outcome: String,
    pub basis: String,
}

/// The catalogue, access requests and grants, and the log of reads.
#[async_trait]
pub trait SharingStore: Send + Sync {
    /// Create or replace an entry; every version is kept.
    async fn put_catalogue_entry(
        &self,
        dataset: &str,
        w: &CatalogueWrite,
        change: &ChangeMeta,
    ) -> StoreResult<CatalogueEntry>;
    async fn get_catalogue_entry(&self, dataset: &str) -> StoreResult<CatalogueEntry>;
    async fn list_catalogue(&self) -> StoreResult<Vec<CatalogueEntry>>;
    /// Every version of an entry, oldest first.
    async fn catalogue_history(&self, dataset: &str) -> StoreResult<Vec<CatalogueVersion>>;

    /// A department asks for a conditional dataset (a conflict for other levels or the owner).
    async fn request_access(
        &self,
        dataset: &str,
        department: &str,
        purpose: &str,
        requested_by: &str,
    ) -> StoreResult<AccessRequest>;
    /// Grant or refuse a pending request, or revoke a grant (a conflict otherwise); a grant's
    /// end may not lie before `today`.
    async fn decide_access(
        &self,
        id: i64,
        decision: GrantDecision,
        note: &str,
        actor: &str,
        today: NaiveDate,
    ) -> StoreResult<AccessRequest>;
    async fn get_access_request(&self, id: i64) -> StoreResult<AccessRequest>;
    /// Requests, newest first, by dataset and requesting department.
    async fn list_access_requests(
        &self,
        dataset: Option<&str>,
        department: Option<&str>,
    ) -> StoreResult<Vec<AccessRequest>>;

    async fn log_data_access(&self, a: &NewDataAccess) -> StoreResult<()>;
    /// Several lines of one request (issue 12: written together, one statement, where the
    /// backend can); the same lines as [`log_data_access`](Self::log_data_access) of each.
    async fn log_data_accesses(&self, lines: &[NewDataAccess]) -> StoreResult<()> {
        for a in lines {
            self.log_data_access(a).await?;
        }
        Ok(())
    }
    /// The log, newest first.
    async fn list_data_access(
        &self,
        dataset: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DataAccess>>;
}

/// Why a read is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "basis", content = "grant")]
pub enum ReadBasis {
    Administrator,
    /// 向社会公开
    Public,
    /// The user's department owns the dataset.
    Owner,
    Unconditional,
    /// An access request granted to the user's department (its id).
    Grant(i64),
    /// A reviewer reading the farmland classification, which reviewers confirm or override
    /// (issue 6); every such read is logged like any other.
    Reviewer,
}

impl ReadBasis {
    pub fn describe(self) -> String {
        match self {
            ReadBasis::Administrator => "administrator".into(),
            ReadBasis::Public => "public".into(),
            ReadBasis::Owner => "owner".into(),
            ReadBasis::Unconditional => "unconditional".into(),
            ReadBasis::Grant(id) => format!("grant {id}"),
            ReadBasis::Reviewer => "reviewer".into(),
        }
    }
}

/// The dataset reviewers read whatever its sharing level: the classification they confirm.
pub const REVIEWED_DATASET: &str = "farmland_classification";

/// Decide whether `user` may read `entry`, given the requests of the user's department.
/// `Err` holds the bilingual reason.
pub fn may_read(
    user: &User,
    entry: &CatalogueEntry,
    requests: &[AccessRequest],
    today: NaiveDate,
) -> Result<ReadBasis, String> {
    if user.role == Role::Administrator {
        return Ok(ReadBasis::Administrator);
    }
    if user.role == Role::Reviewer && entry.dataset == REVIEWED_DATASET {
        return Ok(ReadBasis::Reviewer);
    }
    if entry.public {
        return Ok(ReadBasis::Public);
    }
    let dept = user.department.as_deref();
    if dept == Some(entry.owner_department.as_str()) {
        return Ok(ReadBasis::Owner);
    }
    match entry.sharing_level {
        SharingLevel::Unconditional => Ok(ReadBasis::Unconditional),
        SharingLevel::Conditional => requests
            .iter()
            .find(|r| {
                Some(r.department.as_str()) == dept && r.dataset == entry.dataset && r.active(today)
            })
            .map(|r| ReadBasis::Grant(r.id))
            .ok_or_else(|| {
                format!(
                    "“{}”（{}）为有条件共享，{} 没有有效授权；请向 {} 提出共享申请（POST \
                     /api/v1/catalogue/{}/requests）/ '{}' is shared on conditions and {} holds no \
                     grant in force; request access from {}",
                    entry.name,
                    entry.dataset,
                    dept.unwrap_or("您的账户未归属部门"),
                    entry.owner_department,
                    entry.dataset,
                    entry.dataset,
                    dept.unwrap_or("an account without a department"),
                    entry.owner_department
                )
            }),
        SharingLevel::NotShared => Err(format!(
            "“{}”（{}）不予共享，仅 {} 可查看 / '{}' is not shared: {} only",
            entry.name,
            entry.dataset,
            entry.owner_department,
            entry.dataset,
            entry.owner_department
        )),
    }
}

/// The outcome of [`authorize_read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadDecision {
    Allowed(ReadBasis),
    Denied(String),
}

/// The dataset of the catalogue that samples of a medium belong to.
pub fn dataset_of_medium(m: Medium) -> &'static str {
    match m {
        Medium::Soil | Medium::Sediment => "soil_quality",
        Medium::AgriculturalProduct => "agricultural_product",
        Medium::IrrigationWater => "irrigation_water",
        Medium::Groundwater => "groundwater",
        Medium::SurfaceWater => "surface_water",
        Medium::Other => "other_monitoring",
    }
}

/// What [`authorize_read`] would decide, without logging: to shape a query before the read
/// (the read itself goes through [`authorize_read`]).
pub async fn decide_read(
    store: &dyn Store,
    user: &User,
    dataset: &str,
) -> StoreResult<ReadDecision> {
    let today = crate::submissions::china_date(Utc::now());
    Ok(match store.get_catalogue_entry(dataset).await {
        Ok(entry) => {
            let requests = match &user.department {
                Some(d) => store.list_access_requests(Some(dataset), Some(d)).await?,
                None => Vec::new(),
            };
            match may_read(user, &entry, &requests, today) {
                Ok(b) => ReadDecision::Allowed(b),
                Err(m) => ReadDecision::Denied(m),
            }
        }
        Err(StoreError::NotFound { .. }) if user.role == Role::Administrator => {
            ReadDecision::Allowed(ReadBasis::Administrator)
        }
        Err(StoreError::NotFound { .. }) => ReadDecision::Denied(format!(
            "数据集 '{dataset}' 不在共享目录中 / dataset '{dataset}' is not in the catalogue"
        )),
        Err(e) => return Err(e),
    })
}

/// The one check of a read of catalogued data: decides with [`may_read`] and logs the read
/// (allowed or denied; public datasets are not logged) with who, which dataset, the path and
/// the number of rows. A dataset missing from the catalogue is readable by administrators only.
pub async fn authorize_read(
    store: &dyn Store,
    user: &User,
    dataset: &str,
    path: &str,
    rows: i64,
) -> StoreResult<ReadDecision> {
    let decision = decide_read(store, user, dataset).await?;
    if decision == ReadDecision::Allowed(ReadBasis::Public) {
        return Ok(decision);
    }
    let (outcome, basis) = match &decision {
        ReadDecision::Allowed(b) => ("ok", b.describe()),
        ReadDecision::Denied(m) => ("denied", m.clone()),
    };
    store
        .log_data_access(&NewDataAccess {
            actor: user.username.clone(),
            department: user.department.clone(),
            dataset: dataset.to_owned(),
            path: path.to_owned(),
            row_count: if outcome == "ok" { rows } else { 0 },
            outcome: outcome.to_owned(),
            basis,
        })
        .await?;
    Ok(decision)
}

/// [`authorize_read`] of the datasets one request reads (issue 12: a results list may hold
/// soil, water and crop rows): the same decisions and the same log lines as calling
/// [`authorize_read`] for each `(dataset, rows)`, with the catalogue and the department's grants
/// read once and the log lines written together.
pub async fn authorize_reads(
    store: &dyn Store,
    user: &User,
    reads: &[(&str, i64)],
    path: &str,
) -> StoreResult<Vec<ReadDecision>> {
    if reads.len() <= 1 {
        let mut out = Vec::new();
        for (dataset, rows) in reads {
            out.push(authorize_read(store, user, dataset, path, *rows).await?);
        }
        return Ok(out);
    }
    let today = crate::submissions::china_date(Utc::now());
    let catalogue = store.list_catalogue().await?;
    let requests = match &user.department {
        Some(d) => store.list_access_requests(None, Some(d)).await?,
        None => Vec::new(),
    };
    let mut decisions = Vec::with_capacity(reads.len());
    let mut lines = Vec::new();
    for (dataset, rows) in reads {
        let decision = match catalogue.iter().find(|e| e.dataset == *dataset) {
            Some(entry) => match may_read(user, entry, &requests, today) {
                Ok(b) => ReadDecision::Allowed(b),
                Err(m) => ReadDecision::Denied(m),
            },
            None if user.role == Role::Administrator => {
                ReadDecision::Allowed(ReadBasis::Administrator)
            }
            None => ReadDecision::Denied(format!(
                "数据集 '{dataset}' 不在共享目录中 / dataset '{dataset}' is not in the catalogue"
            )),
        };
        if decision != ReadDecision::Allowed(ReadBasis::Public) {
            let (outcome, basis) = match &decision {
                ReadDecision::Allowed(b) => ("ok", b.describe()),
                ReadDecision::Denied(m) => ("denied", m.clone()),
            };
            lines.push(NewDataAccess {
                actor: user.username.clone(),
                department: user.department.clone(),
                dataset: (*dataset).to_owned(),
                path: path.to_owned(),
                row_count: if outcome == "ok" { *rows } else { 0 },
                outcome: outcome.to_owned(),
                basis,
            });
        }
        decisions.push(decision);
    }
    store.log_data_accesses(&lines).await?;
    Ok(decisions)
}

/// One seeded entry: dataset, name, owner (department code without the division), level,
/// public, fields, frequency, description.
type SeedEntry = (
    &'static str,
    &'static str,
    &'static str,
    SharingLevel,
    bool,
    &'static [&'static str],
    &'static str,
    &'static str,
);

const OBSERVATION_FIELDS: &[&str] = &[
    "点位编码 point",
    "样品编号 sample",
    "采样日期 sampled_on",
    "行政区划 division",
    "检测项目 analyte",
    "检测值 value",
    "单位 unit",
    "检出限 detection_limit",
    "检测方法 method",
];

/// The catalogue shipped with the program (the work plan's datasets and their bureaus). In a
/// dataset marked public (向社会公开) the fields marked `（不公开 / not public）` are still not public:
/// the portal, the public API views and the OGC layers leave them out (docs/ROLES.md, issue 13).
pub const SEED_CATALOGUE: &[SeedEntry] = &[
    (
        "soil_quality",
        "土壤环境质量监测数据",
        "eco-env",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "每年",
        "土壤（含底泥）样品及检测结果，各部门每年 9 月 30 日前报送上一年度数据",
    ),
    (
        "agricultural_product",
        "农产品质量监测数据",
        "agri",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "每年",
        "农产品（含作物品种）样品及重金属等检测结果",
    ),
    (
        "irrigation_water",
        "农田灌溉水监测数据",
        "agri",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "每年",
        "灌溉取水口水质监测",
    ),
    (
        "groundwater",
        "地下水监测数据",
        "nat-res",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "每半年",
        "地下水监测井水质监测",
    ),
    (
        "surface_water",
        "地表水监测数据",
        "eco-env",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "每月",
        "地表水断面水质监测",
    ),
    (
        "other_monitoring",
        "其他监测数据",
        "eco-env",
        SharingLevel::Unconditional,
        false,
        OBSERVATION_FIELDS,
        "不定期",
        "其他介质的监测数据",
    ),
    (
        "enterprise_self_monitoring",
        "重点监管企业自行监测数据",
        "eco-env",
        SharingLevel::Conditional,
        false,
        &[
            "统一社会信用代码 uscc",
            "年度 year",
            "监测点位 point",
            "检测项目 analyte",
            "检测值 value",
        ],
        "每年",
        "土壤污染重点监管单位年度自行监测报告的检测数据",
    ),
    (
        "key_enterprises",
        "土壤环境重点监管企业名单",
        "eco-env",
        SharingLevel::Unconditional,
        true,
        &[
            "统一社会信用代码 uscc",
            "企业名称 name",
            "行业 industry",
            "行政区划 division",
            "地址 address",
            "年度公开 disclosures",
            "联系人及电话 contact（不公开 / not public）",
            "位置 location（不公开 / not public）",
        ],
        "每年",
        "向社会公开的重点监管企业名单及其年度信息公开",
    ),
    (
        "monitoring_points",
        "土壤环境监测点位",
        "eco-env",
        SharingLevel::Unconditional,
        true,
        &[
            "点位编码 code",
            "名称 name",
            "类型 type",
            "控制级别 control_level",
            "各县点位数 count per county",
            "经纬度 lon/lat（不公开 / not public）",
        ],
        "每年",
        "背景点、基础点、风险点等监测网络点位",
    ),
    (
        "contaminated_plots",
        "污染地块名录",
        "eco-env",
        SharingLevel::Unconditional,
        true,
        &[
            "地块编码 code",
            "名称 name",
            "地址 address",
            "阶段 stage",
            "规划用途 land class",
            "负面清单 negative list",
            "边界 boundary（不公开 / not public）",
            "责任人 responsible party（不公开 / not public）",
        ],
        "实时",
        "建设用地土壤污染风险管控和修复名录",
    ),
    (
        "farmland_classification",
        "耕地土壤环境质量类别划分",
        "agri",
        SharingLevel::Conditional,
        false,
        &[
            "评价单元 unit",
            "类别 class",
            "面积 area_mu",
            "证据 evidence",
        ],
        "每年",
        "优先保护类、安全利用类、严格管控类划分结果",
    ),
    // Public: the portal's remediation notice boards (issue 10; the work plan discloses the
    // projects, and a remediation site shows a public notice board). The transport manifests are
    // a different record and are not part of this dataset's public fields.
    (
        "remediation_projects",
        "治理与修复工程",
        "eco-env",
        SharingLevel::Unconditional,
        true,
        &[
            "工程编码 code",
            "名称 name",
            "地块 plot",
            "类型 mode",
            "技术 technique",
            "责任单位 responsible unit",
            "环境监理 supervisors",
            "工期 period",
            "公示牌 notice board",
            "效果评估 evaluation",
        ],
        "实时",
        "修复与风险管控工程的公示信息（转运联单不公开）",
    ),
    (
        "tailings_ponds",
        "尾矿库",
        "emergency",
        SharingLevel::Unconditional,
        false,
        &[
            "编码 code",
            "名称 name",
            "位置 location",
            "等级 grade",
            "辐射监测 radiation",
        ],
        "每年",
        "尾矿库及其年度辐射监测",
    ),
];

/// Add the shipped catalogue entries that are missing (existing ones are never overwritten:
/// administrators edit them). Returns how many were added.
pub async fn seed_catalogue(store: &dyn Store, prefecture: &str) -> StoreResult<usize> {
    let existing: Vec<String> = store
        .list_catalogue()
        .await?
        .into_iter()
        .map(|e| e.dataset)
        .collect();
    let change = ChangeMeta::new("system", "seed: the sharing catalogue of the work plan");
    let mut added = 0;
    for (dataset, name, owner, level, public, fields, freq, description) in SEED_CATALOGUE {
        if existing.iter().any(|e| e == dataset) {
            continue;
        }
        let w = CatalogueWrite {
            name: (*name).into(),
            owner_department: format!("{owner}-{prefecture}"),
            sharing_level: *level,
            public: *public,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            update_frequency: (*freq).into(),
            access_methods: vec![
                AccessMethod::Page,
                AccessMethod::Api,
                AccessMethod::Download,
            ],
            description: (*description).into(),
        };
        store.put_catalogue_entry(dataset, &w, &change).await?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, dept: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            department: dept.map(str::to_owned),
            disabled: false,
            created_at: Utc::now(),
        }
    }

    fn entry(level: SharingLevel, public: bool) -> CatalogueEntry {
        CatalogueEntry {
            dataset: "agricultural_product".into(),
            name: "农产品".into(),
            owner_department: "agri-513400".into(),
            sharing_level: level,
            public,
            fields: vec!["x".into()],
            update_frequency: "每年".into(),
            access_methods: vec![AccessMethod::Api],
            description: String::new(),
            version: 1,
            updated_by: "t".into(),
            updated_at: Utc::now(),
        }
    }

    fn grant(dept: &str, status: RequestStatus, expires: Option<&str>) -> AccessRequest {
        AccessRequest {
            id: 7,
            dataset: "agricultural_product".into(),
            department: dept.into(),
            purpose: "p".into(),
            requested_by: "r".into(),
            requested_at: Utc::now(),
            status,
            decided_by: None,
            decided_at: None,
            expires_on: expires.map(|e| e.parse().expect("date")),
            decision: None,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn conditional_needs_a_grant_in_force_on_the_day() {
        let e = entry(SharingLevel::Conditional, false);
        let viewer = user(Role::Viewer, Some("eco-env-513400"));
        let today = day("2026-11-28");
        assert!(may_read(&viewer, &e, &[], today).is_err());
        let g = grant("eco-env-513400", RequestStatus::Granted, Some("2026-11-28"));
        assert_eq!(
            may_read(&viewer, &e, std::slice::from_ref(&g), today),
            Ok(ReadBasis::Grant(7))
        );
        // The last day is included; the day after it is not.
        assert!(may_read(&viewer, &e, &[g], day("2026-11-29")).is_err());
        let other = grant("water-513400", RequestStatus::Granted, None);
        assert!(may_read(&viewer, &e, &[other], today).is_err());
        let pending = grant("eco-env-513400", RequestStatus::Pending, None);
        assert!(may_read(&viewer, &e, &[pending], today).is_err());
        let revoked = grant("eco-env-513400", RequestStatus::Revoked, None);
        assert!(may_read(&viewer, &e, &[revoked], today).is_err());
    }

    #[test]
    fn owner_administrator_public_and_not_shared() {
        let today = day("2026-11-28");
        let officer = user(Role::DataOfficer, Some("agri-513400"));
        let stranger = user(Role::Reviewer, Some("eco-env-513400"));
        let nobody = user(Role::Viewer, None);
        let admin = user(Role::Administrator, None);
        let closed = entry(SharingLevel::NotShared, false);
        assert_eq!(
            may_read(&officer, &closed, &[], today),
            Ok(ReadBasis::Owner)
        );
        assert_eq!(
            may_read(&admin, &closed, &[], today),
            Ok(ReadBasis::Administrator)
        );
        let g = grant("eco-env-513400", RequestStatus::Granted, None);
        assert!(may_read(&stranger, &closed, &[g], today).is_err());
        let open = entry(SharingLevel::Unconditional, false);
        assert_eq!(
            may_read(&nobody, &open, &[], today),
            Ok(ReadBasis::Unconditional)
        );
        let public = entry(SharingLevel::Unconditional, true);
        assert_eq!(
            may_read(&nobody, &public, &[], today),
            Ok(ReadBasis::Public)
        );
    }

    #[test]
    fn public_data_is_shared_unconditionally() {
        let mut w = CatalogueWrite {
            name: "n".into(),
            owner_department: "agri-513400".into(),
            sharing_level: SharingLevel::Conditional,
            public: true,
            fields: vec!["x".into()],
            update_frequency: "每年".into(),
            access_methods: vec![AccessMethod::Page],
            description: String::new(),
        };
        assert!(w.validate("x").is_err());
        w.sharing_level = SharingLevel::Unconditional;
        assert!(w.validate("x").is_ok());
        assert!(w.validate("Bad Code").is_err());
    }

    #[test]
    fn seeded_catalogue_covers_every_medium_and_data_kind() {
        for m in Medium::ALL {
            assert!(SEED_CATALOGUE.iter().any(|e| e.0 == dataset_of_medium(m)));
        }
        for k in crate::submissions::DataKind::ALL {
            assert!(SEED_CATALOGUE.iter().any(|e| e.0 == k.code()), "{k}");
        }
    }
}
