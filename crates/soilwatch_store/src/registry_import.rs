//! Import of the registries through the ingest pipeline (issue 8): contaminated plots, key
//! supervised enterprises, tailings ponds, remediation projects, transfer manifests, mining
//! areas, demolition plans and the enterprises' yearly disclosures from CSV (UTF-8, BOM, GBK) or
//! XLSX files with one record per row (a disclosure: one row per pollutant, the rows of one
//! enterprise and year making one record), Chinese or English headers.
//!
//! Every cell is parsed with the registries' own parsers (the `code_enum!` values accept the
//! code, the Chinese name and the aliases; USCCs with their check character) and every record
//! checked with the registry's own checks (`checked()`, a plot's lifecycle transitions, a
//! manifest filed before its departure, a county officer's area); a problem is an issue of the
//! ingest [`Report`] naming file, sheet, row, column, value and what was expected, in Chinese
//! and English. Any error: nothing is stored. A clean file: every new or changed record is
//! written in one transaction with the batch's provenance (`import_batches` row; each record's
//! new version in `history` names the batch), records equal to the stored ones are left alone.
//!
//! A column left out of the file keeps the stored value of an optional field; a blank cell of a
//! column that is there clears it. Fields no column carries (a plot's boundary, steps, samples;
//! an enterprise's contact and points; a pond's risk report; a manifest's receipt; a demolition
//! plan's document file; a disclosure's samples) are kept.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use soilwatch_core::{ChangeMeta, DivisionCode, DivisionLevel, LonLat, Uscc};
use soilwatch_ingest::values::{parse_coordinate, parse_date, CoordError};
use soilwatch_ingest::{
    read_table, table_template, ColumnSpec, ParseOptions, Report, Rule, SkippedRule, Table,
    TableRow, TableSpec, TemplateFormat,
};

use crate::registry::{Filing, Party, RegistryEntity, ReportDoc, Versioned};
use crate::registry_codes::{Industry, IntendedUse};
use crate::registry_demolition::{DemolitionPlan, DemolitionStatus, DemolitionStep};
use crate::registry_enterprise::{
    DisclosedPollutant, Disclosure, Enterprise, EnterpriseStatus, PondAssessment,
    ResponsibilityLetter, TailingsPond, TailingsStatus,
};
use crate::registry_mining::{MiningArea, MiningStatus};
use crate::registry_plot::{Plot, PlotStage, PlotStep};
use crate::registry_remediation::{
    ProjectEvaluation, ProjectMode, QuantityUnit, RemediationProject, TransferManifest,
    TransportMode,
};
use crate::{ImportBatch, ImportStore, NewImport, Store, StoreError, StoreResult};

/// Which registry a file holds (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// 重点监管企业
    Enterprises,
    /// 污染地块
    Plots,
    /// 尾矿库
    TailingsPonds,
    /// 修复工程
    RemediationProjects,
    /// 转运联单
    Manifests,
    /// 矿区
    MiningAreas,
    /// 拆除活动污染防治方案
    DemolitionPlans,
    /// 自行监测信息公开 — the enterprises' yearly disclosures
    Disclosures,
}

impl RegistryKind {
    pub const ALL: [RegistryKind; 8] = [
        RegistryKind::Enterprises,
        RegistryKind::Plots,
        RegistryKind::TailingsPonds,
        RegistryKind::RemediationProjects,
        RegistryKind::Manifests,
        RegistryKind::MiningAreas,
        RegistryKind::DemolitionPlans,
        RegistryKind::Disclosures,
    ];

    /// The kind's code (`--kind`, template file name, the batch's kind).
    pub fn code(self) -> &'static str {
        match self {
            RegistryKind::Enterprises => "enterprises",
            RegistryKind::Plots => "plots",
            RegistryKind::TailingsPonds => "tailings-ponds",
            RegistryKind::RemediationProjects => "remediation-projects",
            RegistryKind::Manifests => "manifests",
            RegistryKind::MiningAreas => "mining-areas",
            RegistryKind::DemolitionPlans => "demolition-plans",
            RegistryKind::Disclosures => "disclosures",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            RegistryKind::Enterprises => "重点监管企业",
            RegistryKind::Plots => "污染地块",
            RegistryKind::TailingsPonds => "尾矿库",
            RegistryKind::RemediationProjects => "修复工程",
            RegistryKind::Manifests => "转运联单",
            RegistryKind::MiningAreas => "矿区",
            RegistryKind::DemolitionPlans => "拆除方案",
            RegistryKind::Disclosures => "信息公开",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RegistryKind::Enterprises => "key supervised enterprises",
            RegistryKind::Plots => "contaminated plots",
            RegistryKind::TailingsPonds => "tailings ponds",
            RegistryKind::RemediationProjects => "remediation projects",
            RegistryKind::Manifests => "transfer manifests",
            RegistryKind::MiningAreas => "mining areas",
            RegistryKind::DemolitionPlans => "demolition plans",
            RegistryKind::Disclosures => "self-monitoring disclosures",
        }
    }

    /// The entity of the records' history.
    pub fn entity(self) -> RegistryEntity {
        match self {
            RegistryKind::Enterprises => RegistryEntity::Enterprise,
            RegistryKind::Plots => RegistryEntity::Plot,
            RegistryKind::TailingsPonds => RegistryEntity::TailingsPond,
            RegistryKind::RemediationProjects => RegistryEntity::RemediationProject,
            RegistryKind::Manifests => RegistryEntity::Manifest,
            RegistryKind::MiningAreas => RegistryEntity::MiningArea,
            RegistryKind::DemolitionPlans => RegistryEntity::DemolitionPlan,
            RegistryKind::Disclosures => RegistryEntity::Disclosure,
        }
    }

    /// The columns of the kind's files.
    pub fn spec(self) -> TableSpec {
        match self {
            RegistryKind::Enterprises => enterprise_spec(),
            RegistryKind::Plots => plot_spec(),
            RegistryKind::TailingsPonds => pond_spec(),
            RegistryKind::RemediationProjects => project_spec(),
            RegistryKind::Manifests => manifest_spec(),
            RegistryKind::MiningAreas => mining_spec(),
            RegistryKind::DemolitionPlans => demolition_spec(),
            RegistryKind::Disclosures => disclosure_spec(),
        }
    }

    /// The kind's import template (both header languages, an example row; drop-down lists in
    /// the XLSX).
    pub fn template(self, format: TemplateFormat) -> Vec<u8> {
        table_template(&self.spec(), format)
    }
}

impl FromStr for RegistryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace('_', "-");
        Ok(match t.as_str() {
            "enterprises" | "enterprise" | "重点监管企业" | "企业" => {
                RegistryKind::Enterprises
            }
            "plots" | "plot" | "污染地块" | "地块" => RegistryKind::Plots,
            "tailings-ponds" | "tailings-pond" | "尾矿库" => RegistryKind::TailingsPonds,
            "remediation-projects" | "remediation-project" | "修复工程" => {
                RegistryKind::RemediationProjects
            }
            "manifests" | "manifest" | "转运联单" | "联单" => RegistryKind::Manifests,
            "mining-areas" | "mining-area" | "矿区" => RegistryKind::MiningAreas,
            "demolition-plans" | "demolition-plan" | "拆除方案" | "拆除活动污染防治方案" => {
                RegistryKind::DemolitionPlans
            }
            "disclosures" | "disclosure" | "信息公开" | "自行监测信息公开" => {
                RegistryKind::Disclosures
            }
            _ => {
                return Err(format!(
                    "未知的登记类型 '{s}' / unknown registry kind '{s}' (expected {})",
                    RegistryKind::expected()
                ))
            }
        })
    }
}

impl RegistryKind {
    /// Every kind's code, for messages (`enterprises, plots, …`).
    pub fn expected() -> String {
        RegistryKind::ALL
            .iter()
            .map(|k| k.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for RegistryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

fn names<T: Copy>(all: &[T], cn: impl Fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| cn(*v).to_owned()).collect()
}

fn col(
    key: &'static str,
    cn: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    hint: (&'static str, &'static str),
    example: &str,
) -> ColumnSpec {
    ColumnSpec::new(key, cn, aliases, required, hint).example(example)
}

const DIVISION_ALIASES: &[&str] = &[
    "区划代码",
    "县区代码",
    "所在县区代码",
    "行政区划",
    "division_code",
    "county_code",
];
const DIVISION_HINT: (&str, &str) = (
    "县级行政区划代码（6位，GB/T 2260）",
    "county division code (6 digits, GB/T 2260)",
);
const DATE_HINT: (&str, &str) = ("日期，如 2024-05-06", "a date such as 2024-05-06");

fn division_col(required: bool) -> ColumnSpec {
    col(
        "division",
        "行政区划代码",
        DIVISION_ALIASES,
        required,
        DIVISION_HINT,
        "513401",
    )
}

fn lon_lat_cols(lon: &str, lat: &str) -> [ColumnSpec; 2] {
    [
        col(
            "longitude",
            "经度",
            &["lon", "lng", "东经"],
            false,
            (
                "CGCS2000经度，十进制度或度分秒",
                "CGCS2000 longitude, decimal degrees or DMS",
            ),
            lon,
        ),
        col(
            "latitude",
            "纬度",
            &["lat", "北纬"],
            false,
            (
                "CGCS2000纬度，十进制度或度分秒",
                "CGCS2000 latitude, decimal degrees or DMS",
            ),
            lat,
        ),
    ]
}

fn enterprise_spec() -> TableSpec {
    let [lon, lat] = lon_lat_cols("102.264449", "27.894504");
    TableSpec {
        kind: "enterprises",
        name_cn: "重点监管企业",
        name_en: "key supervised enterprises",
        columns: vec![
            col(
                "uscc",
                "统一社会信用代码",
                &[
                    "社会信用代码",
                    "信用代码",
                    "企业信用代码",
                    "credit_code",
                    "unified_social_credit_code",
                ],
                true,
                USCC_HINT,
                "91513401MA62X0XX02",
            ),
            col(
                "name",
                "企业名称",
                &["单位名称", "名称", "enterprise_name", "enterprise"],
                true,
                ("企业名称", "enterprise name"),
                "示例-某铅锌冶炼有限公司",
            ),
            col(
                "industry",
                "行业",
                &["行业类别", "所属行业", "行业类型"],
                true,
                ("行业（工作方案所列行业）", "industry of the work plan"),
                "有色金属冶炼",
            )
            .choices(names(Industry::ALL, Industry::name_cn)),
            division_col(true),
            col(
                "address",
                "地址",
                &["企业地址", "详细地址", "生产地址"],
                false,
                ("地址", "address"),
                "西昌市示例路1号",
            ),
            lon,
            lat,
            col(
                "listed_year",
                "列入年份",
                &["列入名录年份", "纳入年份", "名录年份", "year_listed"],
                true,
                ("列入重点监管名录的年份", "year put on the list"),
                "2019",
            ),
            col(
                "status",
                "企业状态",
                &["状态", "生产状态"],
                true,
                ("企业状态", "enterprise status"),
                "在产",
            )
            .choices(names(EnterpriseStatus::ALL, EnterpriseStatus::name_cn)),
            col(
                "responsibility_letter_signed_on",
                "责任书签订日期",
                &["责任书签署日期", "责任书日期", "letter_signed_on"],
                false,
                DATE_HINT,
                "2019-06-30",
            ),
            col(
                "responsibility_letter_text",
                "责任书公开内容",
                &["责任书内容", "责任书公开文本", "letter_text"],
                false,
                (
                    "责任书向社会公开的内容",
                    "the public text of the responsibility letter",
                ),
                "落实土壤污染防治主体责任",
            ),
        ],
    }
}

fn plot_spec() -> TableSpec {
    TableSpec {
        kind: "plots",
        name_cn: "污染地块",
        name_en: "contaminated plots",
        columns: vec![
            col(
                "code",
                "地块编码",
                &["地块编号", "地块代码", "plot_code"],
                true,
                ("地块编码（不含空格和 /）", "plot code (no spaces or '/')"),
                "示例-DK001",
            ),
            col(
                "name",
                "地块名称",
                &["名称", "plot_name"],
                true,
                ("地块名称", "plot name"),
                "原某冶炼厂地块",
            ),
            division_col(true),
            col(
                "address",
                "地址",
                &["地块位置", "位置", "详细地址"],
                false,
                ("地址", "address"),
                "西昌市示例路2号",
            ),
            col(
                "former_use",
                "原用途",
                &["历史用途", "原土地用途", "原使用性质", "previous_use"],
                false,
                ("原用途", "former use"),
                "铅锌冶炼厂",
            ),
            col(
                "industry",
                "行业",
                &["原行业", "所属行业", "行业类别", "former_industry"],
                false,
                (
                    "原行业（工作方案所列行业）",
                    "former industry of the work plan",
                ),
                "有色金属冶炼",
            )
            .choices(names(Industry::ALL, Industry::name_cn)),
            col(
                "responsible_party",
                "责任主体",
                &["责任人", "污染责任人", "土地使用权人", "责任单位"],
                false,
                (
                    "污染责任人或土地使用权人",
                    "party responsible (polluter or land-use right holder)",
                ),
                "某冶炼有限公司",
            ),
            col(
                "responsible_party_uscc",
                "责任主体信用代码",
                &[
                    "责任主体统一社会信用代码",
                    "责任人信用代码",
                    "responsible_uscc",
                ],
                false,
                (
                    "责任主体的统一社会信用代码",
                    "USCC of the responsible party",
                ),
                "",
            ),
            col(
                "planned_use",
                "规划用途",
                &[
                    "拟规划用途",
                    "规划用地",
                    "用地代码",
                    "规划用地代码",
                    "gb50137",
                    "planned_use_code",
                ],
                false,
                (
                    "GB 50137-2011 用地代码（R2、A33、M1…）或用途名称",
                    "GB 50137-2011 land-use code (R2, A33, M1, …) or use name",
                ),
                "M1",
            )
            .choices(names(IntendedUse::ALL, IntendedUse::gb50137)),
            col(
                "status",
                "状态",
                &["地块状态", "阶段", "管理阶段", "stage"],
                false,
                (
                    "生命周期阶段；新地块为疑似污染地块，之后按顺序",
                    "lifecycle stage; a new plot is suspected, then in order",
                ),
                "疑似污染地块",
            )
            .choices(names(PlotStage::ALL, PlotStage::name_cn)),
            col(
                "status_date",
                "状态日期",
                &["认定日期", "阶段日期", "identified_on", "stage_date"],
                false,
                (
                    "进入该状态的日期（新地块为认定日期）",
                    "date of the status (a new plot: the day it was identified)",
                ),
                "2024-03-01",
            ),
        ],
    }
}

fn pond_spec() -> TableSpec {
    let [lon, lat] = lon_lat_cols("102.51", "27.01");
    TableSpec {
        kind: "tailings-ponds",
        name_cn: "尾矿库",
        name_en: "tailings ponds",
        columns: vec![
            col(
                "code",
                "尾矿库编码",
                &["尾矿库编号", "编号", "编码", "pond_code"],
                true,
                ("尾矿库编码", "pond code"),
                "示例-WKK001",
            ),
            col(
                "name",
                "尾矿库名称",
                &["名称", "pond_name"],
                true,
                ("尾矿库名称", "pond name"),
                "某铅锌矿尾矿库",
            ),
            col(
                "enterprise_uscc",
                "企业信用代码",
                &[
                    "企业统一社会信用代码",
                    "运营企业信用代码",
                    "enterprise_credit_code",
                ],
                false,
                (
                    "运营企业的统一社会信用代码",
                    "USCC of the operating enterprise",
                ),
                "",
            ),
            col(
                "enterprise_name",
                "企业名称",
                &["运营企业", "所属企业", "运营单位"],
                false,
                ("运营企业名称", "operating enterprise"),
                "某矿业有限公司",
            ),
            division_col(true),
            lon,
            lat,
            col(
                "status",
                "尾矿库状态",
                &["状态", "运行状态"],
                true,
                ("尾矿库状态", "pond status"),
                "在用",
            )
            .choices(names(TailingsStatus::ALL, TailingsStatus::name_cn)),
            col(
                "risk_assessed_on",
                "风险评估日期",
                &["评估日期", "risk_assessment_date"],
                false,
                DATE_HINT,
                "2023-08-01",
            ),
            col(
                "risk_conclusion",
                "风险评估结论",
                &["风险等级", "环境风险等级", "评估结论"],
                false,
                (
                    "风险评估结论（一般/较大/重大风险）",
                    "conclusion of the risk assessment",
                ),
                "一般风险",
            ),
            col(
                "emergency_plan_bureau",
                "应急预案备案机关",
                &["预案备案机关", "备案机关"],
                false,
                (
                    "应急预案备案的生态环境部门",
                    "bureau the emergency plan is filed with",
                ),
                "凉山州生态环境局",
            ),
            col(
                "emergency_plan_filed_on",
                "应急预案备案日期",
                &["预案备案日期", "备案日期"],
                false,
                DATE_HINT,
                "2023-09-01",
            ),
            col(
                "emergency_plan_number",
                "应急预案备案号",
                &["预案备案号", "备案号", "备案编号"],
                false,
                ("备案号", "filing number"),
                "513400-2023-001-L",
            ),
            note_col(),
        ],
    }
}

fn project_spec() -> TableSpec {
    TableSpec {
        kind: "remediation-projects",
        name_cn: "修复工程",
        name_en: "remediation projects",
        columns: vec![
            col(
                "code",
                "工程编号",
                &["项目编号", "工程编码", "project_code"],
                true,
                ("工程编号", "project code"),
                "示例-XF001",
            ),
            col(
                "name",
                "工程名称",
                &["项目名称", "名称", "project_name"],
                true,
                ("工程名称", "project name"),
                "原某冶炼厂地块治理修复工程",
            ),
            col(
                "plot_code",
                "地块编码",
                &["地块编号", "地块代码"],
                true,
                ("已登记地块的编码", "code of a registered plot"),
                "示例-DK001",
            ),
            col(
                "mode",
                "工程类型",
                &["类型", "项目类型"],
                true,
                ("治理修复或风险管控", "remediation or risk control"),
                "治理修复",
            )
            .choices(names(ProjectMode::ALL, ProjectMode::name_cn)),
            col(
                "responsible_unit",
                "责任单位",
                &["实施单位", "责任主体"],
                true,
                ("责任单位", "responsible unit"),
                "某冶炼有限公司",
            ),
            col(
                "technique",
                "修复技术",
                &["技术", "修复工艺", "技术路线", "治理技术"],
                true,
                ("技术（如 固化/稳定化）", "technique (e.g. stabilisation)"),
                "固化/稳定化",
            ),
            col(
                "plan_filing_bureau",
                "方案备案机关",
                &["方案备案部门"],
                false,
                ("方案备案的生态环境部门", "bureau the plan is filed with"),
                "凉山州生态环境局",
            ),
            col(
                "plan_filed_on",
                "方案备案日期",
                &["备案日期"],
                false,
                DATE_HINT,
                "2024-04-01",
            ),
            col(
                "plan_filing_number",
                "方案备案号",
                &["备案号"],
                false,
                ("备案号", "filing number"),
                "",
            ),
            col(
                "started_on",
                "开工日期",
                &["开始日期", "开工时间"],
                false,
                DATE_HINT,
                "2024-05-01",
            ),
            col(
                "finished_on",
                "完工日期",
                &["竣工日期", "结束日期", "完工时间"],
                false,
                DATE_HINT,
                "",
            ),
            col(
                "supervisors",
                "环境监理",
                &["监理单位", "监理"],
                false,
                (
                    "监理单位，多个用 ; 或 、 分隔",
                    "supervisors, several separated by ; or 、",
                ),
                "某监理公司;某环境咨询公司",
            ),
            col(
                "notice_board",
                "公示牌内容",
                &["公示内容", "信息公示牌"],
                false,
                ("信息公示牌内容", "text of the public notice board"),
                "工程名称、责任单位、监督电话",
            ),
            col(
                "evaluator",
                "效果评估单位",
                &["评估单位"],
                false,
                ("第三方效果评估单位", "third-party evaluator"),
                "",
            ),
            col(
                "evaluated_on",
                "效果评估日期",
                &["评估日期"],
                false,
                DATE_HINT,
                "",
            ),
            col(
                "evaluation_conclusion",
                "效果评估结论",
                &["评估结论"],
                false,
                ("效果评估结论", "conclusion of the effect evaluation"),
                "",
            ),
            col(
                "evaluation_passed",
                "是否达标",
                &["评估是否达标", "达标", "passed"],
                false,
                ("是/否", "yes/no"),
                "",
            )
            .choices(vec!["是".into(), "否".into()]),
        ],
    }
}

fn manifest_spec() -> TableSpec {
    TableSpec {
        kind: "manifests",
        name_cn: "转运联单",
        name_en: "transfer manifests",
        columns: vec![
            col(
                "code",
                "联单编号",
                &["联单号", "转移联单编号", "manifest_code", "manifest_no"],
                true,
                ("联单编号", "manifest number"),
                "示例-LD001",
            ),
            col(
                "project_code",
                "工程编号",
                &["项目编号", "修复工程编号"],
                true,
                (
                    "已登记修复工程的编号",
                    "code of a registered remediation project",
                ),
                "示例-XF001",
            ),
            col(
                "quantity",
                "数量",
                &["转运量", "转运数量", "重量", "方量", "amount"],
                true,
                ("数量（大于零）", "quantity (above zero)"),
                "30.5",
            ),
            col(
                "unit",
                "数量单位",
                &["计量单位", "quantity_unit"],
                true,
                ("吨或立方米", "t or m3"),
                "吨",
            )
            .choices(names(QuantityUnit::ALL, QuantityUnit::name_cn)),
            col(
                "transport_mode",
                "运输方式",
                &["运输类型", "mode"],
                true,
                ("运输方式", "transport mode"),
                "公路",
            )
            .choices(names(TransportMode::ALL, TransportMode::name_cn)),
            col(
                "route",
                "运输路线",
                &["路线"],
                true,
                ("运输路线", "route"),
                "G5京昆高速",
            ),
            col(
                "carrier",
                "承运单位",
                &["运输单位", "承运人"],
                true,
                ("承运单位", "carrier"),
                "某运输有限公司",
            ),
            col(
                "vehicle",
                "车牌号",
                &["车辆", "运输车辆", "车船号", "车牌"],
                true,
                ("车牌号或船名", "plate number or vessel"),
                "川W12345",
            ),
            col(
                "departure_at",
                "出发时间",
                &["起运时间", "发车时间", "departure"],
                true,
                (
                    "出发时间，如 2030-05-01 08:00（北京时间），须晚于报备时间",
                    "departure time such as 2030-05-01 08:00 (UTC+8), after the filing",
                ),
                "2030-05-01 08:00",
            ),
            col(
                "arrival_at",
                "预计到达时间",
                &["到达时间", "arrival"],
                false,
                ("预计到达时间", "planned arrival time"),
                "2030-05-01 14:00",
            ),
            col(
                "destination_facility",
                "接收单位",
                &["目的地", "接收设施", "处置单位", "destination"],
                true,
                ("接收设施", "destination facility"),
                "某水泥厂",
            ),
            col(
                "destination_division",
                "接收地区划代码",
                &[
                    "目的地行政区划代码",
                    "接收地行政区划代码",
                    "destination_division_code",
                ],
                true,
                DIVISION_HINT,
                "513401",
            ),
            col(
                "disposal",
                "处置方式",
                &["最终处置方式", "最终处置"],
                true,
                ("最终处置方式", "final disposal"),
                "水泥窑协同处置",
            ),
        ],
    }
}

const USCC_HINT: (&str, &str) = (
    "18位统一社会信用代码（校验位须正确）",
    "18-character unified social credit code (check character verified)",
);

fn note_col() -> ColumnSpec {
    col(
        "note",
        "备注",
        &["说明", "remark", "remarks"],
        false,
        ("备注", "note"),
        "",
    )
}

fn mining_spec() -> TableSpec {
    let [lon, lat] = lon_lat_cols("101.96", "26.58");
    TableSpec {
        kind: "mining-areas",
        name_cn: "矿区",
        name_en: "mining areas",
        columns: vec![
            col(
                "code",
                "矿区编码",
                &["矿区编号", "编号", "编码", "mining_area_code"],
                true,
                (
                    "矿区编码（不含空格和 /）",
                    "mining-area code (no spaces or '/')",
                ),
                "示例-KQ001",
            ),
            col(
                "name",
                "矿区名称",
                &["矿山名称", "名称", "mining_area_name"],
                true,
                ("矿区名称", "mining-area name"),
                "某稀土矿区",
            ),
            col(
                "enterprise_uscc",
                "企业信用代码",
                &[
                    "企业统一社会信用代码",
                    "采矿权人信用代码",
                    "enterprise_credit_code",
                ],
                false,
                (
                    "开采企业的统一社会信用代码",
                    "USCC of the mining enterprise",
                ),
                "",
            ),
            col(
                "enterprise_name",
                "企业名称",
                &["采矿权人", "开采企业", "矿山企业"],
                false,
                ("开采企业名称", "mining enterprise"),
                "某稀土矿业有限公司",
            ),
            col(
                "mineral",
                "矿种",
                &["开采矿种", "主要矿种", "主矿种"],
                true,
                (
                    "开采矿种（如 稀土、铅锌）",
                    "mineral mined (e.g. rare earths)",
                ),
                "稀土",
            ),
            division_col(true),
            lon,
            lat,
            col(
                "status",
                "矿区状态",
                &["状态", "生产状态"],
                true,
                ("矿区状态", "mining-area status"),
                "在产",
            )
            .choices(names(MiningStatus::ALL, MiningStatus::name_cn)),
            col(
                "associated_radioactivity",
                "伴生放射性",
                &["是否伴生放射性", "伴生放射性矿", "radioactive"],
                true,
                (
                    "是否伴生放射性矿（是/否）",
                    "whether it has associated radioactivity (yes/no)",
                ),
                "是",
            )
            .choices(vec!["是".into(), "否".into()]),
            col(
                "monitoring_since",
                "辐射监测起始年份",
                &["监测起始年份", "起始年份", "first_monitoring_year"],
                false,
                (
                    "首个须开展辐射监测的年份（伴生放射性矿必填）",
                    "first year of radiation monitoring (required with associated radioactivity)",
                ),
                "2020",
            ),
            col(
                "point_codes",
                "辐射监测点位",
                &["监测点位", "点位编码", "点位", "points"],
                false,
                (
                    "基础数据库中的点位编码，多个用 ; 或 、 分隔",
                    "point codes of the basic database, several separated by ; or 、",
                ),
                "",
            ),
            note_col(),
        ],
    }
}

fn demolition_spec() -> TableSpec {
    TableSpec {
        kind: "demolition-plans",
        name_cn: "拆除方案",
        name_en: "demolition plans",
        columns: vec![
            col(
                "code",
                "方案编号",
                &["拆除方案编号", "编号", "plan_code"],
                true,
                ("方案编号（不含空格和 /）", "plan code (no spaces or '/')"),
                "示例-CC001",
            ),
            col(
                "enterprise_uscc",
                "企业信用代码",
                &[
                    "统一社会信用代码",
                    "企业统一社会信用代码",
                    "enterprise_credit_code",
                ],
                true,
                (
                    "已登记重点监管企业的统一社会信用代码",
                    "USCC of a registered key supervised enterprise",
                ),
                "91513401MA62X0XX02",
            ),
            col(
                "facilities",
                "拆除设施",
                &["拟拆除设施", "拆除对象", "设施设备"],
                true,
                (
                    "拟拆除的设施、设备或建（构）筑物，多项用 ; 或 、 分隔",
                    "facilities, equipment or buildings to be demolished, several separated by ; or 、",
                ),
                "电解车间;废水处理站",
            ),
            col(
                "cleanup_plan_title",
                "清理方案名称",
                &["残留污染物清理方案", "清理处置方案", "cleanup_plan"],
                true,
                (
                    "残留污染物清理和安全处置方案的名称",
                    "title of the residual-pollutant clean-up and disposal plan",
                ),
                "残留污染物清理和安全处置方案",
            ),
            col(
                "cleanup_plan_organisation",
                "方案编制单位",
                &["编制单位"],
                false,
                ("方案编制单位", "who wrote the plan"),
                "某环境咨询公司",
            ),
            col(
                "cleanup_plan_number",
                "方案文号",
                &["方案编号文号", "文号"],
                false,
                ("方案文号", "document number"),
                "",
            ),
            col(
                "cleanup_plan_issued_on",
                "方案编制日期",
                &["编制日期"],
                false,
                DATE_HINT,
                "",
            ),
            col(
                "filing_bureau",
                "备案机关",
                &["备案部门"],
                true,
                ("方案备案的生态环境部门", "bureau the plan is filed with"),
                "凉山州生态环境局西昌分局",
            ),
            col(
                "filed_on",
                "备案日期",
                &["备案时间"],
                true,
                DATE_HINT,
                "2024-03-01",
            ),
            col(
                "filing_number",
                "备案号",
                &["备案编号"],
                false,
                ("备案号", "filing number"),
                "",
            ),
            col(
                "planned_start",
                "计划开工日期",
                &["计划拆除日期", "拆除开始日期", "planned_start_on"],
                true,
                (
                    "计划开始拆除的日期（不早于备案日期）",
                    "planned start of the demolition (not before the filing)",
                ),
                "2024-04-01",
            ),
            col(
                "status",
                "方案状态",
                &["状态"],
                false,
                (
                    "状态；新方案为已备案，之后按顺序",
                    "status; a new plan is filed, then in order",
                ),
                "已备案",
            )
            .choices(names(DemolitionStatus::ALL, DemolitionStatus::name_cn)),
            col(
                "status_date",
                "状态日期",
                &["状态变更日期"],
                false,
                (
                    "进入该状态的日期（状态改变时必填）",
                    "date of the status (required when it changes)",
                ),
                "",
            ),
            note_col(),
        ],
    }
}

fn disclosure_spec() -> TableSpec {
    TableSpec {
        kind: "disclosures",
        name_cn: "信息公开",
        name_en: "self-monitoring disclosures",
        columns: vec![
            col(
                "uscc",
                "统一社会信用代码",
                &["企业信用代码", "信用代码", "credit_code"],
                true,
                USCC_HINT,
                "91513401MA62X0XX02",
            ),
            col(
                "year",
                "年份",
                &["监测年份", "公开年份", "年度"],
                true,
                (
                    "自行监测年份（不早于列入名录年份）",
                    "year of the self-monitoring (not before the listed year)",
                ),
                "2024",
            ),
            col(
                "disclosed_on",
                "公开日期",
                &["信息公开日期", "发布日期"],
                true,
                DATE_HINT,
                "2024-12-20",
            ),
            col(
                "pollutant",
                "污染物",
                &["污染物名称", "特征污染物", "pollutant_name"],
                false,
                (
                    "污染物名称；每行一种污染物，同一企业同一年份的各行为一条公开记录",
                    "pollutant name; one pollutant a row, the rows of one enterprise and year make one disclosure",
                ),
                "镉",
            ),
            col(
                "discharge_mode",
                "排放方式",
                &["排放规律"],
                false,
                ("排放方式", "discharge mode"),
                "间歇排放",
            ),
            col(
                "concentration",
                "排放浓度",
                &["浓度"],
                false,
                ("排放浓度（含单位）", "concentration with its unit"),
                "0.05 mg/L",
            ),
            col(
                "total",
                "排放总量",
                &["总量"],
                false,
                ("排放总量（含单位）", "total with its unit"),
                "1.2 kg/a",
            ),
            col(
                "facilities",
                "污染防治设施",
                &["防治设施", "防治设施运行情况"],
                false,
                (
                    "污染防治设施及运行情况",
                    "pollution-control facilities and how they ran",
                ),
                "废水处理站正常运行",
            ),
            col(
                "published_at",
                "公开途径",
                &["公开网址", "公开方式", "发布途径"],
                false,
                ("公开的网址或公示栏", "web address or notice board"),
                "https://example.org/gk",
            ),
        ],
    }
}

/// What an import did to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    Created,
    /// A new version of a stored record.
    Updated,
    Unchanged,
}

/// One record of the file and what the import did to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordChange {
    pub row: u64,
    pub key: String,
    pub action: RecordAction,
    /// The record's version after the import.
    pub version: i64,
}

/// A write of a registry import: the checked record, and the stored version it replaces (`None`:
/// a new record).
#[derive(Debug, Clone)]
pub enum RegistryWrite {
    Enterprise(Enterprise, Option<i64>),
    Plot(Plot, Option<i64>),
    TailingsPond(TailingsPond, Option<i64>),
    RemediationProject(RemediationProject, Option<i64>),
    Manifest(TransferManifest, Option<i64>),
    MiningArea(MiningArea, Option<i64>),
    DemolitionPlan(DemolitionPlan, Option<i64>),
    Disclosure(Disclosure, Option<i64>),
}

impl RegistryWrite {
    /// Whether it is a new version of a stored record.
    fn is_update(&self) -> bool {
        match self {
            RegistryWrite::Enterprise(_, v)
            | RegistryWrite::Plot(_, v)
            | RegistryWrite::TailingsPond(_, v)
            | RegistryWrite::RemediationProject(_, v)
            | RegistryWrite::Manifest(_, v)
            | RegistryWrite::MiningArea(_, v)
            | RegistryWrite::DemolitionPlan(_, v)
            | RegistryWrite::Disclosure(_, v) => v.is_some(),
        }
    }
}

/// The outcome of a registry import.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RegistryImportOutcome {
    /// Every new or changed record written in one transaction.
    Imported {
        batch: ImportBatch,
        report: Report,
        records: Vec<RecordChange>,
    },
    /// Nothing changed: the same file was imported before (`batch`), or every record equals
    /// the stored one.
    Unchanged {
        batch: Option<ImportBatch>,
        report: Option<Report>,
        records: Vec<RecordChange>,
    },
    /// Errors: nothing stored.
    Rejected { report: Report },
}

impl RegistryImportOutcome {
    /// The one summary line the command line ends with.
    pub fn summary_line(&self) -> String {
        let count = |records: &[RecordChange], a: RecordAction| {
            records.iter().filter(|r| r.action == a).count()
        };
        match self {
            RegistryImportOutcome::Imported { batch, records, .. } => format!(
                "imported {} rows as batch {} ({} created, {} new versions, {} unchanged)",
                batch.rows_read,
                batch.id,
                count(records, RecordAction::Created),
                count(records, RecordAction::Updated),
                count(records, RecordAction::Unchanged),
            ),
            RegistryImportOutcome::Unchanged { batch: Some(b), .. } => {
                format!("unchanged: already imported as batch {}", b.id)
            }
            RegistryImportOutcome::Unchanged { records, .. } => format!(
                "unchanged: all {} records are registered as in the file, nothing stored",
                records.len()
            ),
            RegistryImportOutcome::Rejected { report } => {
                format!("rejected: {} errors, nothing stored", report.errors)
            }
        }
    }

    /// Exit code of `soilwatch import`: 2 when rejected.
    pub fn exit_code(&self) -> u8 {
        match self {
            RegistryImportOutcome::Rejected { .. } => 2,
            _ => 0,
        }
    }
}

/// What the checks need from the store; `None` when validating without a database.
struct Lookup<'a> {
    store: Option<&'a dyn Store>,
    /// Registered county codes (from the store, or the shipped seed without one).
    counties: HashSet<DivisionCode>,
    /// The importer's area (`None`: anywhere).
    scope: Option<DivisionCode>,
    now: DateTime<Utc>,
}

/// Split a registry error (`字段 f: 中文 / field f: English`) into its field and two messages.
fn split_error(e: &StoreError) -> (Option<String>, String, String) {
    let text = match e {
        StoreError::Invalid(m) => m.clone(),
        StoreError::Conflict { detail, .. } => detail.clone(),
        other => other.to_string(),
    };
    let field = text
        .strip_prefix("字段 ")
        .and_then(|r| r.split([':', ' ']).next())
        .map(str::to_owned);
    let (cn, en) = bilingual(&text);
    (field, cn, en)
}

/// The Chinese and English halves of a parser's message: `字段 f: 中文 / field f: English`
/// (the registries' enums), `中文 / English 'x': 原因 / reason` (core codes) or `中文 / English`.
fn bilingual(text: &str) -> (String, String) {
    let strip_field = |t: &str, prefix: &str| -> String {
        t.strip_prefix(prefix)
            .and_then(|r| r.split_once(": "))
            .map_or(t.to_owned(), |(_, m)| m.to_owned())
    };
    // A store error's "无效数据 / invalid: " says nothing the column does not.
    let text = text.strip_prefix("无效数据 / invalid: ").unwrap_or(text);
    let parts: Vec<&str> = text.split(" / ").collect();
    match parts.as_slice() {
        [cn, en] => (strip_field(cn, "字段 "), strip_field(en, "field ")),
        [cn, middle, en] => match middle.rsplit_once(": ") {
            Some((en_head, cn_reason)) => {
                (format!("{cn}：{cn_reason}"), format!("{en_head}: {en}"))
            }
            None => (format!("{cn} {middle}"), (*en).to_owned()),
        },
        _ => (text.to_owned(), text.to_owned()),
    }
}

/// The cells of one row being read into a record.
struct Cells<'t> {
    table: &'t mut Table,
    row: &'t TableRow,
    errors: u64,
}

impl<'t> Cells<'t> {
    fn n(&self) -> u64 {
        self.row.row
    }

    fn raw(&self, key: &str) -> String {
        self.table
            .spec
            .index(key)
            .and_then(|i| self.row.cells.get(i).cloned().flatten())
            .unwrap_or_default()
    }

    fn has(&self, key: &str) -> bool {
        self.table.has(key)
    }

    /// The header of a column as the template writes it.
    fn header(&self, key: &str) -> String {
        self.table
            .spec
            .index(key)
            .map(|i| self.table.spec.columns[i].header())
            .unwrap_or_default()
    }

    /// The location from the file, or the stored one when the file has neither coordinate column.
    fn kept_location(&self, new: Option<LonLat>, old: Option<LonLat>) -> Option<LonLat> {
        if self.has("longitude") || self.has("latitude") {
            new
        } else {
            old
        }
    }

    /// The record was in `old` before: the importer's area must cover that county too.
    fn moved_from(
        &mut self,
        key: &str,
        old: Option<DivisionCode>,
        new: Option<DivisionCode>,
        lookup: &Lookup<'_>,
    ) {
        if let Some(d) = old.filter(|d| Some(*d) != new) {
            self.in_scope(key, d, lookup);
        }
    }

    fn fail(&mut self, rule: Rule, key: Option<&str>, value: &str, cn: String, en: String) {
        let hint = key
            .and_then(|k| self.table.spec.index(k))
            .map(|i| self.table.spec.columns[i].hint)
            .unwrap_or(("符合登记规则的记录", "a record the registry accepts"));
        self.errors += 1;
        self.table
            .error(rule, self.row.row, key, value, hint, (cn, en));
    }

    /// A registry error, on the column of the field it names.
    fn store_error(
        &mut self,
        e: &StoreError,
        column_of: &dyn Fn(&str) -> Option<&'static str>,
        fallback: Option<&'static str>,
    ) {
        let (field, cn, en) = split_error(e);
        let key = field.as_deref().and_then(column_of).or(fallback);
        let value = key.map(|k| self.raw(k)).unwrap_or_default();
        let rule = match e {
            StoreError::Invalid(_) | StoreError::Conflict { .. } => Rule::RegistryRule,
            _ => Rule::Unreadable,
        };
        self.fail(rule, key, &value, cn, en);
    }

    fn text(&self, key: &str) -> Option<String> {
        self.row.get(&self.table.spec, key).map(str::to_owned)
    }

    /// A required cell (the column is required, so present).
    fn required(&mut self, key: &str) -> Option<String> {
        let v = self.text(key);
        if v.is_none() {
            let header = self.header(key);
            self.fail(
                Rule::Required,
                Some(key),
                "",
                format!("必填项“{header}”为空"),
                format!("the required cell '{header}' is blank"),
            );
        }
        v
    }

    fn parsed<T, E: fmt::Display>(
        &mut self,
        key: &str,
        v: &str,
        r: Result<T, E>,
        rule: Rule,
    ) -> Option<T> {
        match r {
            Ok(t) => Some(t),
            Err(e) => {
                let (cn, en) = bilingual(&e.to_string());
                self.fail(rule, Some(key), v, cn, en);
                None
            }
        }
    }

    /// A required value parsed by its registry parser.
    fn req_parse<T: FromStr>(&mut self, key: &str) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        let v = self.required(key)?;
        let r = v.parse::<T>();
        self.parsed(key, &v, r, Rule::RegistryRule)
    }

    /// An optional value parsed by its registry parser: `Ok(None)` when blank.
    fn opt_parse<T: FromStr>(&mut self, key: &str) -> Result<Option<T>, ()>
    where
        T::Err: fmt::Display,
    {
        let Some(v) = self.text(key) else {
            return Ok(None);
        };
        let r = v.parse::<T>();
        self.parsed(key, &v, r, Rule::RegistryRule)
            .map(Some)
            .ok_or(())
    }

    fn date(&mut self, key: &str) -> Result<Option<NaiveDate>, ()> {
        let Some(v) = self.text(key) else {
            return Ok(None);
        };
        match parse_date(&v) {
            Some(d) => Ok(Some(d)),
            None => {
                self.fail(
                    Rule::Date,
                    Some(key),
                    &v,
                    format!("'{v}' 不是有效日期（如 2024-05-06）"),
                    format!("'{v}' is not a real date (such as 2024-05-06)"),
                );
                Err(())
            }
        }
    }

    /// A date and time; without an offset it is Beijing time (UTC+8).
    fn datetime(&mut self, key: &str) -> Result<Option<DateTime<FixedOffset>>, ()> {
        let Some(v) = self.text(key) else {
            return Ok(None);
        };
        match parse_datetime(&v) {
            Some(d) => Ok(Some(d)),
            None => {
                self.fail(
                    Rule::Date,
                    Some(key),
                    &v,
                    format!("'{v}' 不是有效的日期时间（如 2030-05-01 08:00，北京时间）"),
                    format!("'{v}' is not a real date and time (such as 2030-05-01 08:00, UTC+8)"),
                );
                Err(())
            }
        }
    }

    fn division(&mut self, key: &str, lookup: &Lookup<'_>) -> Option<DivisionCode> {
        let v = self.required(key)?;
        let r = v.parse::<DivisionCode>();
        let code = self.parsed(key, &v, r, Rule::Division)?;
        if code.level() != DivisionLevel::County || !lookup.counties.contains(&code) {
            self.fail(
                Rule::UnknownDivision,
                Some(key),
                &v,
                format!("'{v}' 不是已登记的县级行政区划代码"),
                format!("'{v}' is not a registered county division code"),
            );
            return None;
        }
        Some(code)
    }

    fn location(&mut self) -> Result<Option<LonLat>, ()> {
        let (lon, lat) = (self.text("longitude"), self.text("latitude"));
        let (lon, lat) = match (lon, lat) {
            (None, None) => return Ok(None),
            (Some(a), Some(b)) => (a, b),
            (a, _) => {
                let key = if a.is_none() { "longitude" } else { "latitude" };
                self.fail(
                    Rule::Coordinate,
                    Some(key),
                    "",
                    "经度和纬度须同时填写".into(),
                    "longitude and latitude go together".into(),
                );
                return Err(());
            }
        };
        let mut read = |key: &str, v: &str| match parse_coordinate(v) {
            Ok(x) => Some(x),
            Err(e) => {
                let (cn, en) = match e {
                    CoordError::Unreadable => (
                        "不是十进制度或度分秒",
                        "neither decimal degrees nor degrees-minutes-seconds",
                    ),
                    CoordError::MinutesOrSeconds => {
                        ("分或秒不应大于等于60", "minutes or seconds of 60 or more")
                    }
                };
                self.fail(
                    Rule::Coordinate,
                    Some(key),
                    v,
                    format!("无法读取坐标 '{v}'：{cn}"),
                    format!("unreadable coordinate '{v}': {en}"),
                );
                None
            }
        };
        let (Some(x), Some(y)) = (read("longitude", &lon), read("latitude", &lat)) else {
            return Err(());
        };
        if (18.0..=54.0).contains(&x) && (73.0..=136.0).contains(&y) {
            self.fail(
                Rule::CoordinatesSwapped,
                Some("longitude"),
                &lon,
                format!("经度 {x} 与纬度 {y} 似乎填反了"),
                format!("longitude {x} and latitude {y} look swapped"),
            );
            return Err(());
        }
        match LonLat::new(x, y) {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                self.fail(
                    Rule::Coordinate,
                    Some("longitude"),
                    &lon,
                    format!("坐标不在中国境内：{e}"),
                    format!("coordinates outside China: {e}"),
                );
                Err(())
            }
        }
    }

    /// A column's new value, or the stored one when the file has no such column.
    fn kept<T>(&self, key: &str, new: Option<T>, old: Option<T>) -> Option<T> {
        if self.has(key) {
            new
        } else {
            old
        }
    }

    /// A list cell: items separated by `;`, `；`, `、` or new lines (empty when blank).
    fn list(&self, key: &str) -> Vec<String> {
        self.text(key)
            .map(|s| {
                s.split([';', '；', '、', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An optional yes/no cell (是/否).
    fn yes_no(&mut self, key: &str) -> Result<Option<bool>, ()> {
        let Some(v) = self.text(key) else {
            return Ok(None);
        };
        match yes_no(&v) {
            Some(b) => Ok(Some(b)),
            None => {
                self.fail(
                    Rule::RegistryRule,
                    Some(key),
                    &v,
                    format!("'{v}' 应为 是 或 否"),
                    format!("'{v}': expected yes or no (是/否)"),
                );
                Err(())
            }
        }
    }

    /// An optional year (`2024` or `2024年`).
    fn year(&mut self, key: &str) -> Result<Option<i32>, ()> {
        let Some(v) = self.text(key) else {
            return Ok(None);
        };
        match v.trim().trim_end_matches('年').parse::<i32>() {
            Ok(y) if (1900..=2100).contains(&y) => Ok(Some(y)),
            _ => {
                self.fail(
                    Rule::Number,
                    Some(key),
                    &v,
                    format!("'{v}' 不是有效年份（如 2024）"),
                    format!("'{v}' is not a year (such as 2024)"),
                );
                Err(())
            }
        }
    }

    /// A required date.
    fn req_date(&mut self, key: &str) -> Option<NaiveDate> {
        self.required(key).and(self.date(key).ok().flatten())
    }

    /// A registered enterprise referred to by the USCC of `key` (`Ok(None)` without a database;
    /// `Err(())` after an issue on the cell).
    async fn enterprise(
        &mut self,
        key: &str,
        uscc: &Uscc,
        lookup: &Lookup<'_>,
    ) -> StoreResult<Result<Option<Enterprise>, ()>> {
        let Some(store) = lookup.store else {
            return Ok(Ok(None));
        };
        match store.get_enterprise(uscc.as_str()).await {
            Ok(e) => Ok(Ok(Some(e.item))),
            Err(StoreError::NotFound { .. }) => {
                let v = self.raw(key);
                self.fail(
                    Rule::UnknownReference,
                    Some(key),
                    &v,
                    format!("企业 '{uscc}' 未登记为重点监管企业"),
                    format!("enterprise '{uscc}' is not registered as a key supervised enterprise"),
                );
                Ok(Err(()))
            }
            Err(e) => Err(e),
        }
    }

    /// The importer's area must cover the division.
    fn in_scope(&mut self, key: &str, d: DivisionCode, lookup: &Lookup<'_>) {
        if let Some(scope) = lookup.scope {
            if !scope.contains(d) {
                let v = self.raw(key);
                self.fail(
                    Rule::OutsideArea,
                    Some(key),
                    &v,
                    format!("{d} 不在本部门辖区 {scope} 内，不能导入该记录"),
                    format!("{d} is outside your department's area {scope}: you may not import this record"),
                );
            }
        }
    }
}

fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    let beijing = FixedOffset::east_opt(8 * 3600)?;
    let t = t.replace('T', " ").replace('/', "-");
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, f) {
            return beijing.from_local_datetime(&n).single();
        }
    }
    None
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "是" | "达标" | "通过" | "yes" | "y" | "true" | "1" => Some(true),
        "否" | "不达标" | "未通过" | "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// A stored record of the key, if any (`None` without a database).
async fn stored<'s, T, Fut>(
    store: Option<&'s dyn Store>,
    get: impl FnOnce(&'s dyn Store) -> Fut,
) -> StoreResult<Option<Versioned<T>>>
where
    Fut: std::future::Future<Output = StoreResult<Versioned<T>>>,
{
    let Some(s) = store else {
        return Ok(None);
    };
    match get(s).await {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One read row: its key, the write (when it changes something) and what it does.
struct Planned {
    row: u64,
    key: String,
    write: Option<RegistryWrite>,
    action: RecordAction,
    version: i64,
}

fn plan<T: PartialEq>(
    row: u64,
    key: String,
    new: T,
    current: Option<Versioned<T>>,
    wrap: impl Fn(T, Option<i64>) -> RegistryWrite,
) -> Planned {
    match current {
        None => Planned {
            row,
            key,
            write: Some(wrap(new, None)),
            action: RecordAction::Created,
            version: 1,
        },
        Some(c) if c.item == new => Planned {
            row,
            key,
            write: None,
            action: RecordAction::Unchanged,
            version: c.version,
        },
        Some(c) => Planned {
            row,
            key,
            write: Some(wrap(new, Some(c.version))),
            action: RecordAction::Updated,
            version: c.version + 1,
        },
    }
}

fn enterprise_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "name",
        "industry" => "industry",
        "division" => "division",
        "listed_year" => "listed_year",
        "status" => "status",
        "uscc" => "uscc",
        f if f.starts_with("responsibility_letter") => "responsibility_letter_text",
        _ => return None,
    })
}

async fn read_enterprise(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let uscc: Option<Uscc> = c.req_parse("uscc");
    let name = c.required("name");
    let industry: Option<Industry> = c.req_parse("industry");
    let division = c.division("division", lookup);
    let location = c.location();
    let year = c.required("listed_year").and_then(|v| {
        let r = v.trim().trim_end_matches('年').parse::<i32>();
        c.parsed("listed_year", &v, r, Rule::Number)
    });
    let status: Option<EnterpriseStatus> = c.req_parse("status");
    let signed_on = c.date("responsibility_letter_signed_on");
    let (
        Some(uscc),
        Some(name),
        Some(industry),
        Some(division),
        Ok(location),
        Some(year),
        Some(status),
        Ok(signed_on),
    ) = (
        uscc, name, industry, division, location, year, status, signed_on,
    )
    else {
        return Ok(None);
    };
    c.in_scope("division", division, lookup);
    let current = stored(lookup.store, |s| s.get_enterprise(uscc.as_str())).await?;
    c.moved_from(
        "division",
        current.as_ref().map(|cur| cur.item.division),
        Some(division),
        lookup,
    );
    let base = current.as_ref().map(|c| &c.item);
    let letter = if c.has("responsibility_letter_signed_on") {
        match signed_on {
            None => None,
            Some(d) => {
                let text = c
                    .text("responsibility_letter_text")
                    .or_else(|| {
                        base.and_then(|b| b.responsibility_letter.as_ref())
                            .map(|l| l.public_text.clone())
                    })
                    .unwrap_or_default();
                Some(ResponsibilityLetter {
                    signed_on: d,
                    public_text: text,
                })
            }
        }
    } else {
        base.and_then(|b| b.responsibility_letter.clone())
    };
    let e = Enterprise {
        uscc: uscc.clone(),
        name,
        industry,
        division,
        address: c.kept(
            "address",
            c.text("address"),
            base.and_then(|b| b.address.clone()),
        ),
        location: c.kept_location(location, base.and_then(|b| b.location)),
        listed_year: year,
        responsibility_letter: letter,
        status,
        contact: base.and_then(|b| b.contact.clone()),
        point_codes: base.map(|b| b.point_codes.clone()).unwrap_or_default(),
    };
    let e = match e.checked() {
        Ok(e) => e,
        Err(err) => {
            c.store_error(&err, &enterprise_column, None);
            return Ok(None);
        }
    };
    Ok(Some(plan(
        c.n(),
        uscc.to_string(),
        e,
        current,
        RegistryWrite::Enterprise,
    )))
}

fn plot_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "name" => "name",
        "planned_use" => "planned_use",
        "stage" | "status" | "report" | "filing" | "passed" => "status",
        "date" => "status_date",
        f if f.starts_with("responsible_party") => "responsible_party",
        _ => return None,
    })
}

async fn read_plot(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let name = c.required("name");
    let division = c.division("division", lookup);
    let industry = c.opt_parse::<Industry>("industry");
    let party_uscc = c.opt_parse::<Uscc>("responsible_party_uscc");
    let planned = match c.text("planned_use") {
        None => Ok(None),
        Some(v) => {
            let looks_like_code =
                v.len() <= 4 && v.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic());
            if looks_like_code {
                Ok(Some(v.to_uppercase()))
            } else {
                let r = IntendedUse::parse_any(&v);
                c.parsed("planned_use", &v, r, Rule::RegistryRule)
                    .map(|u| Some(u.gb50137().to_owned()))
                    .ok_or(())
            }
        }
    };
    let status = c.opt_parse::<PlotStage>("status");
    let date = c.date("status_date");
    let (
        Some(code),
        Some(name),
        Some(division),
        Ok(industry),
        Ok(party_uscc),
        Ok(planned),
        Ok(status),
        Ok(date),
    ) = (
        code, name, division, industry, party_uscc, planned, status, date,
    )
    else {
        return Ok(None);
    };
    c.in_scope("division", division, lookup);
    let current = stored(lookup.store, |s| s.get_plot(&code)).await?;
    c.moved_from(
        "division",
        current.as_ref().map(|cur| cur.item.division),
        Some(division),
        lookup,
    );
    let mut p = match &current {
        Some(cur) => cur.item.clone(),
        None => Plot::new(&code, &name, division),
    };
    p.name = name;
    p.division = division;
    p.address = c.kept("address", c.text("address"), p.address.clone());
    p.former_use = c.kept("former_use", c.text("former_use"), p.former_use.clone());
    if c.has("industry") {
        p.industry = industry;
    }
    if c.has("planned_use") {
        p.planned_use = planned;
    }
    if c.has("responsible_party") || c.has("responsible_party_uscc") {
        let name = c
            .text("responsible_party")
            .or_else(|| p.responsible_party.as_ref().map(|r| r.name.clone()));
        let uscc = if c.has("responsible_party_uscc") {
            party_uscc
        } else {
            p.responsible_party.as_ref().and_then(|r| r.uscc.clone())
        };
        p.responsible_party = match (name, uscc) {
            (None, None) => None,
            (name, uscc) => Some(Party {
                name: name.unwrap_or_default(),
                uscc,
            }),
        };
    }
    let mut p = match p.checked() {
        Ok(p) => p,
        Err(err) => {
            c.store_error(&err, &plot_column, None);
            return Ok(None);
        }
    };
    match &current {
        None => {
            if let Some(s) = status.filter(|s| *s != PlotStage::Suspected) {
                let v = c.raw("status");
                c.fail(
                    Rule::RegistryRule,
                    Some("status"),
                    &v,
                    format!(
                        "新登记的地块从“疑似污染地块”开始，不能直接为“{}”；之后的步骤须附报告和备案，请逐步登记（POST /api/v1/plots/{{code}}/steps）",
                        s.name_cn()
                    ),
                    format!(
                        "a new plot starts as suspected, not '{}': the later steps need their reports and filings, record them one by one (POST /api/v1/plots/{{code}}/steps)",
                        s.name_en()
                    ),
                );
                return Ok(None);
            }
            let Some(identified_on) = date else {
                c.fail(
                    Rule::Required,
                    Some("status_date"),
                    "",
                    "新地块须填写状态日期（认定日期）".into(),
                    "a new plot needs its status date (the day it was identified)".into(),
                );
                return Ok(None);
            };
            if lookup.store.is_some() {
                p.steps = vec![suspected_step(identified_on)];
            }
        }
        Some(cur) => {
            if let Some(s) = status.filter(|s| *s != cur.item.status) {
                let Some(date) = date else {
                    c.fail(
                        Rule::Required,
                        Some("status_date"),
                        "",
                        format!("状态改为“{}”须填写状态日期", s.name_cn()),
                        format!("a change of status to '{}' needs its date", s.name_en()),
                    );
                    return Ok(None);
                };
                let step = PlotStep {
                    stage: s,
                    date,
                    report: None,
                    filing: None,
                    passed: None,
                    note: None,
                    recorded_by: String::new(),
                    recorded_at: String::new(),
                };
                if let Err(err) = p.apply_step(&step) {
                    // A transition out of order names no field: it is about the status.
                    c.store_error(&err, &plot_column, Some("status"));
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(plan(c.n(), code, p, current, RegistryWrite::Plot)))
}

/// The first step of a new plot (who and when are set when it is written).
fn suspected_step(identified_on: NaiveDate) -> PlotStep {
    PlotStep {
        stage: PlotStage::Suspected,
        date: identified_on,
        report: None,
        filing: None,
        passed: None,
        note: None,
        recorded_by: String::new(),
        recorded_at: String::new(),
    }
}

fn pond_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "name" => "name",
        f if f.starts_with("risk_assessment") => "risk_conclusion",
        f if f.starts_with("emergency_plan") => "emergency_plan_bureau",
        _ => return None,
    })
}

/// Two cells that go together: both blank is `None`, one blank an error on it.
fn pair<A, B>(
    c: &mut Cells<'_>,
    (ka, a): (&str, Option<A>),
    (kb, b): (&str, Option<B>),
) -> Result<Option<(A, B)>, ()> {
    match (a, b) {
        (None, None) => Ok(None),
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (a, _) => {
            let (blank, other) = if a.is_none() { (ka, kb) } else { (kb, ka) };
            let (hb, ho) = (c.header(blank), c.header(other));
            c.fail(
                Rule::Required,
                Some(blank),
                "",
                format!("填写了“{ho}”，也须填写“{hb}”"),
                format!("'{ho}' is given, so '{hb}' is required too"),
            );
            Err(())
        }
    }
}

async fn read_pond(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let name = c.required("name");
    let uscc = c.opt_parse::<Uscc>("enterprise_uscc");
    let division = c.division("division", lookup);
    let location = c.location();
    let status: Option<TailingsStatus> = c.req_parse("status");
    let assessed = c.date("risk_assessed_on");
    let filed = c.date("emergency_plan_filed_on");
    let (
        Some(code),
        Some(name),
        Ok(uscc),
        Some(division),
        Ok(location),
        Some(status),
        Ok(assessed),
        Ok(filed),
    ) = (
        code, name, uscc, division, location, status, assessed, filed,
    )
    else {
        return Ok(None);
    };
    let conclusion = c.text("risk_conclusion");
    let Ok(risk) = pair(
        c,
        ("risk_assessed_on", assessed),
        ("risk_conclusion", conclusion),
    ) else {
        return Ok(None);
    };
    let bureau = c.text("emergency_plan_bureau");
    let Ok(plan_filing) = pair(
        c,
        ("emergency_plan_bureau", bureau),
        ("emergency_plan_filed_on", filed),
    ) else {
        return Ok(None);
    };
    c.in_scope("division", division, lookup);
    let current = stored(lookup.store, |s| s.get_tailings_pond(&code)).await?;
    c.moved_from(
        "division",
        current.as_ref().map(|cur| cur.item.division),
        Some(division),
        lookup,
    );
    let base = current.as_ref().map(|c| &c.item);
    let risk_assessment = if c.has("risk_assessed_on") || c.has("risk_conclusion") {
        risk.map(|(done_on, conclusion)| PondAssessment {
            done_on,
            conclusion,
            report: base
                .and_then(|b| b.risk_assessment.as_ref())
                .and_then(|a| a.report.clone()),
        })
    } else {
        base.and_then(|b| b.risk_assessment.clone())
    };
    let emergency_plan = if c.has("emergency_plan_bureau") || c.has("emergency_plan_filed_on") {
        plan_filing.map(|(bureau, filed_on)| Filing {
            bureau,
            filed_on,
            number: c.text("emergency_plan_number"),
        })
    } else {
        base.and_then(|b| b.emergency_plan.clone())
    };
    let t = TailingsPond {
        code: code.clone(),
        name,
        enterprise_uscc: c.kept(
            "enterprise_uscc",
            uscc,
            base.and_then(|b| b.enterprise_uscc.clone()),
        ),
        enterprise_name: c.kept(
            "enterprise_name",
            c.text("enterprise_name"),
            base.and_then(|b| b.enterprise_name.clone()),
        ),
        division,
        location: c.kept_location(location, base.and_then(|b| b.location)),
        status,
        risk_assessment,
        emergency_plan,
        note: c.kept("note", c.text("note"), base.and_then(|b| b.note.clone())),
    };
    let t = match t.checked() {
        Ok(t) => t,
        Err(err) => {
            c.store_error(&err, &pond_column, None);
            return Ok(None);
        }
    };
    Ok(Some(plan(
        c.n(),
        code,
        t,
        current,
        RegistryWrite::TailingsPond,
    )))
}

fn project_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "name" => "name",
        "plot_code" => "plot_code",
        "responsible_unit" => "responsible_unit",
        "technique" => "technique",
        "finished_on" => "finished_on",
        f if f.starts_with("plan_filing") => "plan_filing_bureau",
        f if f.starts_with("supervisors") => "supervisors",
        f if f.starts_with("effect_evaluation") => "evaluation_conclusion",
        _ => return None,
    })
}

/// The division and GB 36600 land class of a registered plot (`None` without a database; `Err`
/// after an issue).
async fn plot_division(
    c: &mut Cells<'_>,
    lookup: &Lookup<'_>,
    plot_code: &str,
) -> StoreResult<Result<Option<(DivisionCode, u8)>, ()>> {
    let Some(store) = lookup.store else {
        return Ok(Ok(None));
    };
    match store.get_plot(plot_code).await {
        Ok(p) => Ok(Ok(Some((p.item.division, p.item.land_class)))),
        Err(StoreError::NotFound { .. }) => {
            c.fail(
                Rule::UnknownReference,
                Some("plot_code"),
                plot_code,
                format!("地块 '{plot_code}' 未登记"),
                format!("plot '{plot_code}' is not registered"),
            );
            Ok(Err(()))
        }
        Err(e) => Err(e),
    }
}

async fn read_project(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let name = c.required("name");
    let plot_code = c.required("plot_code");
    let mode: Option<ProjectMode> = c.req_parse("mode");
    let unit = c.required("responsible_unit");
    let technique = c.required("technique");
    let filed_on = c.date("plan_filed_on");
    let started = c.date("started_on");
    let finished = c.date("finished_on");
    let evaluated = c.date("evaluated_on");
    let passed = c.yes_no("evaluation_passed");
    let (
        Some(code),
        Some(name),
        Some(plot_code),
        Some(mode),
        Some(unit),
        Some(technique),
        Ok(filed_on),
        Ok(started),
        Ok(finished),
        Ok(evaluated),
        Ok(passed),
    ) = (
        code, name, plot_code, mode, unit, technique, filed_on, started, finished, evaluated,
        passed,
    )
    else {
        return Ok(None);
    };
    let bureau = c.text("plan_filing_bureau");
    let Ok(filing) = pair(
        c,
        ("plan_filing_bureau", bureau),
        ("plan_filed_on", filed_on),
    ) else {
        return Ok(None);
    };
    let Ok(plot) = plot_division(c, lookup, &plot_code).await? else {
        return Ok(None);
    };
    let division = plot.map(|(d, _)| d);
    if let Some(d) = division {
        c.in_scope("plot_code", d, lookup);
    }
    let current = stored(lookup.store, |s| s.get_project(&code)).await?;
    c.moved_from(
        "plot_code",
        current.as_ref().map(|cur| cur.item.division),
        division,
        lookup,
    );
    let base = current.as_ref().map(|c| &c.item);
    let has_eval = [
        "evaluator",
        "evaluated_on",
        "evaluation_conclusion",
        "evaluation_passed",
    ]
    .iter()
    .any(|k| c.has(k));
    let effect_evaluation = if has_eval {
        let evaluator = c.text("evaluator");
        let conclusion = c.text("evaluation_conclusion");
        match (evaluator, evaluated, conclusion, passed) {
            (None, None, None, None) => None,
            (Some(evaluator), Some(concluded_on), Some(conclusion), Some(passed)) => {
                Some(ProjectEvaluation {
                    evaluator,
                    concluded_on,
                    conclusion,
                    passed,
                })
            }
            (e, d, k, p) => {
                let missing = [
                    ("evaluator", e.is_none()),
                    ("evaluated_on", d.is_none()),
                    ("evaluation_conclusion", k.is_none()),
                    ("evaluation_passed", p.is_none()),
                ];
                let key = missing
                    .iter()
                    .find(|(_, m)| *m)
                    .map_or("evaluator", |(k, _)| *k);
                c.fail(
                    Rule::Required,
                    Some(key),
                    "",
                    "效果评估须同时填写评估单位、日期、结论和是否达标".into(),
                    "an effect evaluation needs its evaluator, date, conclusion and whether it passed".into(),
                );
                return Ok(None);
            }
        }
    } else {
        base.and_then(|b| b.effect_evaluation.clone())
    };
    let p = RemediationProject {
        code: code.clone(),
        name,
        plot_code,
        division: division
            .or(base.map(|b| b.division))
            .unwrap_or_else(|| DivisionCode::new(513_400).expect("a valid code")),
        mode,
        responsible_unit: unit,
        technique,
        plan_filing: if c.has("plan_filing_bureau") || c.has("plan_filed_on") {
            filing.map(|(bureau, filed_on)| Filing {
                bureau,
                filed_on,
                number: c.text("plan_filing_number"),
            })
        } else {
            base.and_then(|b| b.plan_filing.clone())
        },
        started_on: c.kept("started_on", started, base.and_then(|b| b.started_on)),
        finished_on: c.kept("finished_on", finished, base.and_then(|b| b.finished_on)),
        supervisors: c
            .kept(
                "supervisors",
                Some(c.list("supervisors")),
                base.map(|b| b.supervisors.clone()),
            )
            .unwrap_or_default(),
        notice_board: c.kept(
            "notice_board",
            c.text("notice_board"),
            base.and_then(|b| b.notice_board.clone()),
        ),
        effect_evaluation,
    };
    let p = match p.checked().and_then(|p| match plot {
        Some((_, class)) => p.check_supervision(class).map(|()| p),
        None => Ok(p),
    }) {
        Ok(p) => p,
        Err(err) => {
            c.store_error(&err, &project_column, None);
            return Ok(None);
        }
    };
    Ok(Some(plan(
        c.n(),
        code,
        p,
        current,
        RegistryWrite::RemediationProject,
    )))
}

fn manifest_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "project_code" => "project_code",
        "quantity" => "quantity",
        "route" => "route",
        "carrier" => "carrier",
        "vehicle" => "vehicle",
        "destination_facility" => "destination_facility",
        "disposal" => "disposal",
        "arrival_at" => "arrival_at",
        "departure_at" => "departure_at",
        _ => return None,
    })
}

async fn read_manifest(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let project_code = c.required("project_code");
    let quantity = c.required("quantity").and_then(|v| {
        let r = v.parse::<soilwatch_core::Amount>();
        c.parsed("quantity", &v, r, Rule::Number)
    });
    let unit: Option<QuantityUnit> = c.req_parse("unit");
    let mode: Option<TransportMode> = c.req_parse("transport_mode");
    let route = c.required("route");
    let carrier = c.required("carrier");
    let vehicle = c.required("vehicle");
    let departure = c
        .required("departure_at")
        .and(c.datetime("departure_at").ok().flatten());
    let arrival = c.datetime("arrival_at");
    let facility = c.required("destination_facility");
    let dest = c.division("destination_division", lookup);
    let disposal = c.required("disposal");
    let (
        Some(code),
        Some(project_code),
        Some(quantity),
        Some(unit),
        Some(mode),
        Some(route),
        Some(carrier),
        Some(vehicle),
        Some(departure),
        Ok(arrival),
        Some(facility),
        Some(dest),
        Some(disposal),
    ) = (
        code,
        project_code,
        quantity,
        unit,
        mode,
        route,
        carrier,
        vehicle,
        departure,
        arrival,
        facility,
        dest,
        disposal,
    )
    else {
        return Ok(None);
    };
    let origin = match lookup.store {
        None => None,
        Some(store) => match store.get_project(&project_code).await {
            Ok(p) => Some(p.item.division),
            Err(StoreError::NotFound { .. }) => {
                c.fail(
                    Rule::UnknownReference,
                    Some("project_code"),
                    &project_code,
                    format!("修复工程 '{project_code}' 未登记"),
                    format!("remediation project '{project_code}' is not registered"),
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        },
    };
    if let Some(o) = origin {
        c.in_scope("project_code", o, lookup);
    }
    let current = stored(lookup.store, |s| s.get_manifest(&code)).await?;
    c.moved_from(
        "project_code",
        current.as_ref().map(|cur| cur.item.origin_division),
        origin,
        lookup,
    );
    let m = TransferManifest {
        code: code.clone(),
        project_code,
        origin_division: origin
            .or(current.as_ref().map(|c| c.item.origin_division))
            .unwrap_or(dest),
        quantity,
        unit,
        transport_mode: mode,
        route,
        carrier,
        vehicle,
        departure_at: departure,
        arrival_at: arrival,
        destination_facility: facility,
        destination_division: dest,
        disposal,
        filed_at: current.as_ref().map_or(lookup.now, |c| c.item.filed_at),
        received: current.as_ref().and_then(|c| c.item.received.clone()),
    };
    let m = match m.checked() {
        Ok(m) => m,
        Err(err) => {
            c.store_error(&err, &manifest_column, None);
            return Ok(None);
        }
    };
    let changed = current.as_ref().is_none_or(|cur| cur.item != m);
    if changed {
        // Filed now: it must be before the departure; a stored load that has left or been
        // received can no longer change.
        if let Some(cur) = current.as_ref().filter(|cur| {
            cur.item.received.is_some() || lookup.now >= cur.item.departure_at.with_timezone(&Utc)
        }) {
            let v = c.raw("code");
            c.fail(
                Rule::RegistryRule,
                Some("code"),
                &v,
                format!("联单 {} 已出发或已接收，不能再修改", cur.item.code),
                format!(
                    "manifest {} has left or been received and can no longer be changed",
                    cur.item.code
                ),
            );
            return Ok(None);
        }
        if lookup.now >= m.departure_at.with_timezone(&Utc) {
            let local = lookup.now.with_timezone(m.departure_at.offset());
            let v = c.raw("departure_at");
            c.fail(
                Rule::RegistryRule,
                Some("departure_at"),
                &v,
                format!(
                    "联单须在出发前报备：出发时间 {}，报备时间 {}",
                    m.departure_at.to_rfc3339(),
                    local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
                ),
                format!(
                    "a manifest must be filed before its departure time: departure {}, filed {}",
                    m.departure_at.to_rfc3339(),
                    local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
                ),
            );
            return Ok(None);
        }
    }
    Ok(Some(plan(c.n(), code, m, current, RegistryWrite::Manifest)))
}

fn mining_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "name" => "name",
        "mineral" => "mineral",
        "monitoring_since" => "monitoring_since",
        "point_codes" => "point_codes",
        _ => return None,
    })
}

async fn read_mining(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let name = c.required("name");
    let uscc = c.opt_parse::<Uscc>("enterprise_uscc");
    let mineral = c.required("mineral");
    let division = c.division("division", lookup);
    let location = c.location();
    let status: Option<MiningStatus> = c.req_parse("status");
    let radioactive = c
        .required("associated_radioactivity")
        .and(c.yes_no("associated_radioactivity").ok().flatten());
    let since = c.year("monitoring_since");
    let (
        Some(code),
        Some(name),
        Ok(uscc),
        Some(mineral),
        Some(division),
        Ok(location),
        Some(status),
        Some(radioactive),
        Ok(since),
    ) = (
        code,
        name,
        uscc,
        mineral,
        division,
        location,
        status,
        radioactive,
        since,
    )
    else {
        return Ok(None);
    };
    c.in_scope("division", division, lookup);
    let current = stored(lookup.store, |s| s.get_mining_area(&code)).await?;
    c.moved_from(
        "division",
        current.as_ref().map(|cur| cur.item.division),
        Some(division),
        lookup,
    );
    let base = current.as_ref().map(|c| &c.item);
    let a = MiningArea {
        code: code.clone(),
        name,
        enterprise_uscc: c.kept(
            "enterprise_uscc",
            uscc,
            base.and_then(|b| b.enterprise_uscc.clone()),
        ),
        enterprise_name: c.kept(
            "enterprise_name",
            c.text("enterprise_name"),
            base.and_then(|b| b.enterprise_name.clone()),
        ),
        mineral,
        division,
        location: c.kept_location(location, base.and_then(|b| b.location)),
        status,
        associated_radioactivity: radioactive,
        monitoring_since: c.kept(
            "monitoring_since",
            since,
            base.and_then(|b| b.monitoring_since),
        ),
        point_codes: c
            .kept(
                "point_codes",
                Some(c.list("point_codes")),
                base.map(|b| b.point_codes.clone()),
            )
            .unwrap_or_default(),
        note: c.kept("note", c.text("note"), base.and_then(|b| b.note.clone())),
    };
    let a = match a.checked() {
        Ok(a) => a,
        Err(err) => {
            c.store_error(&err, &mining_column, None);
            return Ok(None);
        }
    };
    Ok(Some(plan(
        c.n(),
        code,
        a,
        current,
        RegistryWrite::MiningArea,
    )))
}

fn demolition_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "code" => "code",
        "enterprise_uscc" => "enterprise_uscc",
        "planned_start" => "planned_start",
        "status" => "status",
        "date" => "status_date",
        "filing.filed_on" => "filed_on",
        f if f.starts_with("facilities") => "facilities",
        f if f.starts_with("cleanup_plan") => "cleanup_plan_title",
        f if f.starts_with("filing") => "filing_bureau",
        _ => return None,
    })
}

async fn read_demolition(c: &mut Cells<'_>, lookup: &Lookup<'_>) -> StoreResult<Option<Planned>> {
    let code = c.required("code");
    let uscc: Option<Uscc> = c.req_parse("enterprise_uscc");
    let facilities = c.required("facilities").map(|_| c.list("facilities"));
    let title = c.required("cleanup_plan_title");
    let issued = c.date("cleanup_plan_issued_on");
    let bureau = c.required("filing_bureau");
    let filed_on = c.req_date("filed_on");
    let planned_start = c.req_date("planned_start");
    let status = c.opt_parse::<DemolitionStatus>("status");
    let status_date = c.date("status_date");
    let (
        Some(code),
        Some(uscc),
        Some(facilities),
        Some(title),
        Ok(issued),
        Some(bureau),
        Some(filed_on),
        Some(planned_start),
        Ok(status),
        Ok(status_date),
    ) = (
        code,
        uscc,
        facilities,
        title,
        issued,
        bureau,
        filed_on,
        planned_start,
        status,
        status_date,
    )
    else {
        return Ok(None);
    };
    let Ok(enterprise) = c.enterprise("enterprise_uscc", &uscc, lookup).await? else {
        return Ok(None);
    };
    if let Some(e) = &enterprise {
        c.in_scope("enterprise_uscc", e.division, lookup);
    }
    let current = stored(lookup.store, |s| s.get_demolition_plan(&code)).await?;
    c.moved_from(
        "enterprise_uscc",
        current.as_ref().map(|cur| cur.item.division),
        enterprise.as_ref().map(|e| e.division),
        lookup,
    );
    let base = current.as_ref().map(|c| &c.item);
    let base_doc = base.map(|b| &b.cleanup_plan);
    let p = DemolitionPlan {
        code: code.clone(),
        enterprise_uscc: uscc,
        enterprise_name: enterprise
            .as_ref()
            .map(|e| e.name.clone())
            .or(base.map(|b| b.enterprise_name.clone()))
            .unwrap_or_default(),
        division: enterprise
            .as_ref()
            .map(|e| e.division)
            .or(base.map(|b| b.division))
            .unwrap_or_else(|| DivisionCode::new(513_400).expect("a valid code")),
        facilities,
        cleanup_plan: ReportDoc {
            title,
            number: c.kept(
                "cleanup_plan_number",
                c.text("cleanup_plan_number"),
                base_doc.and_then(|d| d.number.clone()),
            ),
            organisation: c.kept(
                "cleanup_plan_organisation",
                c.text("cleanup_plan_organisation"),
                base_doc.and_then(|d| d.organisation.clone()),
            ),
            issued_on: c.kept(
                "cleanup_plan_issued_on",
                issued,
                base_doc.and_then(|d| d.issued_on),
            ),
            file: base_doc.and_then(|d| d.file.clone()),
        },
        filing: Filing {
            bureau,
            filed_on,
            number: c.kept(
                "filing_number",
                c.text("filing_number"),
                base.and_then(|b| b.filing.number.clone()),
            ),
        },
        planned_start,
        status: base.map_or(DemolitionStatus::Filed, |b| b.status),
        steps: base.map(|b| b.steps.clone()).unwrap_or_default(),
        note: c.kept("note", c.text("note"), base.and_then(|b| b.note.clone())),
    };
    let mut p = match p.checked() {
        Ok(p) => p,
        Err(err) => {
            c.store_error(&err, &demolition_column, None);
            return Ok(None);
        }
    };
    match &current {
        None => {
            if let Some(s) = status.filter(|s| *s != DemolitionStatus::Filed) {
                let v = c.raw("status");
                c.fail(
                    Rule::RegistryRule,
                    Some("status"),
                    &v,
                    format!(
                        "新登记的拆除方案从“已备案”开始，不能直接为“{}”；之后的状态请逐条登记",
                        s.name_cn()
                    ),
                    format!(
                        "a new demolition plan starts as filed, not '{}': record the later statuses one by one",
                        s.name_en()
                    ),
                );
                return Ok(None);
            }
            p.steps = vec![DemolitionStep {
                status: DemolitionStatus::Filed,
                date: p.filing.filed_on,
                note: None,
                recorded_by: String::new(),
                recorded_at: String::new(),
            }];
        }
        Some(cur) => {
            if let Some(first) = p.steps.first_mut() {
                first.date = p.filing.filed_on;
            }
            if p.steps.get(1).is_some_and(|s| s.date < p.filing.filed_on) {
                let v = c.raw("filed_on");
                c.fail(
                    Rule::RegistryRule,
                    Some("filed_on"),
                    &v,
                    format!("备案日期 {} 晚于已登记的下一步", p.filing.filed_on),
                    format!(
                        "filing date {} is after the next recorded step",
                        p.filing.filed_on
                    ),
                );
                return Ok(None);
            }
            if let Some(s) = status.filter(|s| *s != cur.item.status) {
                let Some(date) = status_date else {
                    c.fail(
                        Rule::Required,
                        Some("status_date"),
                        "",
                        format!("状态改为“{}”须填写状态日期", s.name_cn()),
                        format!("a change of status to '{}' needs its date", s.name_en()),
                    );
                    return Ok(None);
                };
                let step = DemolitionStep {
                    status: s,
                    date,
                    note: None,
                    recorded_by: String::new(),
                    recorded_at: String::new(),
                };
                if let Err(err) = p.apply(step) {
                    c.store_error(&err, &demolition_column, Some("status"));
                    return Ok(None);
                }
            }
        }
    }
    Ok(Some(plan(
        c.n(),
        code,
        p,
        current,
        RegistryWrite::DemolitionPlan,
    )))
}

fn disclosure_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "year" => "year",
        "disclosed_on" => "disclosed_on",
        f if f.starts_with("pollutants") => "pollutant",
        _ => return None,
    })
}

/// The disclosure of one enterprise and year, gathered from its rows.
struct DisclosureGroup {
    /// The first row.
    row: u64,
    disclosure: Disclosure,
    /// Pollutant name → the row it is given in.
    pollutants: HashMap<String, u64>,
    current: Option<Versioned<Disclosure>>,
}

/// Read one row of a disclosures file into its enterprise and year's group (new or existing).
async fn read_disclosure_row(
    c: &mut Cells<'_>,
    lookup: &Lookup<'_>,
    groups: &mut Vec<DisclosureGroup>,
) -> StoreResult<()> {
    let uscc: Option<Uscc> = c.req_parse("uscc");
    let year = c.required("year").and(c.year("year").ok().flatten());
    let disclosed_on = c.req_date("disclosed_on");
    let (Some(uscc), Some(year), Some(disclosed_on)) = (uscc, year, disclosed_on) else {
        return Ok(());
    };
    let pollutant = c.text("pollutant").map(|name| DisclosedPollutant {
        name,
        discharge_mode: c.text("discharge_mode"),
        concentration: c.text("concentration"),
        total: c.text("total"),
    });
    if pollutant.is_none() {
        if let Some(k) = ["discharge_mode", "concentration", "total"]
            .into_iter()
            .find(|k| c.text(k).is_some())
        {
            let (hp, hk) = (c.header("pollutant"), c.header(k));
            c.fail(
                Rule::Required,
                Some("pollutant"),
                "",
                format!("填写了“{hk}”，也须填写“{hp}”"),
                format!("'{hk}' is given, so '{hp}' is required too"),
            );
            return Ok(());
        }
    }
    let row = Disclosure {
        uscc: uscc.clone(),
        year,
        disclosed_on,
        pollutants: pollutant.clone().into_iter().collect(),
        facilities: c.text("facilities"),
        sample_codes: Vec::new(),
        published_at: c.text("published_at"),
    };
    let key = row.key();
    if let Some(g) = groups.iter_mut().find(|g| g.disclosure.key() == key) {
        // A further pollutant of the same disclosure: its record-level cells must agree.
        let first = g.row;
        for (k, same) in [
            (
                "disclosed_on",
                row.disclosed_on == g.disclosure.disclosed_on,
            ),
            (
                "facilities",
                row.facilities.is_none() || row.facilities == g.disclosure.facilities,
            ),
            (
                "published_at",
                row.published_at.is_none() || row.published_at == g.disclosure.published_at,
            ),
        ] {
            if !same {
                let v = c.raw(k);
                c.fail(
                    Rule::RegistryRule,
                    Some(k),
                    &v,
                    format!("{key} 的这一项与第{first}行不一致"),
                    format!("this cell of {key} differs from row {first}"),
                );
                return Ok(());
            }
        }
        if let Some(p) = pollutant {
            let name = p.name.trim().to_owned();
            if let Some(r) = g.pollutants.get(&name) {
                let v = c.raw("pollutant");
                c.fail(
                    Rule::DuplicateRecord,
                    Some("pollutant"),
                    &v,
                    format!("{key} 的污染物“{name}”在第{r}行已列出"),
                    format!("pollutant '{name}' of {key} is given in row {r} already"),
                );
                return Ok(());
            }
            g.pollutants.insert(name, c.n());
            g.disclosure.pollutants.push(p);
        }
        return Ok(());
    }
    let Ok(enterprise) = c.enterprise("uscc", &uscc, lookup).await? else {
        return Ok(());
    };
    if let Some(e) = &enterprise {
        c.in_scope("uscc", e.division, lookup);
    }
    // Without a database the listed year is unknown: only the range is checked.
    let listed_year = enterprise.as_ref().map_or(1990, |e| e.listed_year);
    let row = match row.checked(listed_year) {
        Ok(d) => d,
        Err(err) => {
            c.store_error(&err, &disclosure_column, None);
            return Ok(());
        }
    };
    let current = match lookup.store {
        None => None,
        Some(s) => s
            .list_disclosures(uscc.as_str())
            .await?
            .into_iter()
            .find(|d| d.item.year == year),
    };
    groups.push(DisclosureGroup {
        row: c.n(),
        pollutants: row
            .pollutants
            .iter()
            .map(|p| (p.name.trim().to_owned(), c.n()))
            .collect(),
        disclosure: row,
        current,
    });
    Ok(())
}

/// The planned write of each disclosure, with what the file does not carry kept from the stored
/// one (its samples always; pollutants, facilities and where it was published when their
/// columns are left out).
fn plan_disclosures(table: &Table, groups: Vec<DisclosureGroup>) -> Vec<Planned> {
    groups
        .into_iter()
        .map(|g| {
            let base = g.current.as_ref().map(|c| &c.item);
            let mut d = g.disclosure;
            if !table.has("pollutant") {
                d.pollutants = base.map(|b| b.pollutants.clone()).unwrap_or_default();
            }
            if !table.has("facilities") {
                d.facilities = base.and_then(|b| b.facilities.clone());
            }
            if !table.has("published_at") {
                d.published_at = base.and_then(|b| b.published_at.clone());
            }
            d.sample_codes = base.map(|b| b.sample_codes.clone()).unwrap_or_default();
            plan(g.row, d.key(), d, g.current, RegistryWrite::Disclosure)
        })
        .collect()
}

/// Read and check every row of a registry file. `store: None` validates without a database:
/// the rules that need stored records are skipped, and the report says so.
async fn check_file(
    kind: RegistryKind,
    bytes: &[u8],
    opts: &ParseOptions,
    lookup: &Lookup<'_>,
) -> StoreResult<(Report, Vec<Planned>)> {
    let mut table = read_table(bytes, opts, kind.spec());
    table.report.kind = None;
    if lookup.store.is_none() {
        table.report.skipped_rules.push(SkippedRule {
            rule: Rule::UnknownReference,
            reason_cn: "未连接数据库：未检查引用的地块、修复工程是否已登记，未识别已登记记录的更新、生命周期步骤和已出发的联单".into(),
            reason_en: "no database: referenced plots and projects were not checked, and updates of registered records, lifecycle steps and departed manifests were not recognised".into(),
        });
    }
    let rows = std::mem::take(&mut table.rows);
    let mut planned = Vec::with_capacity(rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut disclosures: Vec<DisclosureGroup> = Vec::new();
    let key_col = match kind {
        RegistryKind::Enterprises => "uscc",
        _ => "code",
    };
    for row in &rows {
        let mut c = Cells {
            table: &mut table,
            row,
            errors: 0,
        };
        let p = match kind {
            RegistryKind::Enterprises => read_enterprise(&mut c, lookup).await?,
            RegistryKind::Plots => read_plot(&mut c, lookup).await?,
            RegistryKind::TailingsPonds => read_pond(&mut c, lookup).await?,
            RegistryKind::RemediationProjects => read_project(&mut c, lookup).await?,
            RegistryKind::Manifests => read_manifest(&mut c, lookup).await?,
            RegistryKind::MiningAreas => read_mining(&mut c, lookup).await?,
            RegistryKind::DemolitionPlans => read_demolition(&mut c, lookup).await?,
            // A disclosure is the rows of one enterprise and year: planned after the last row.
            RegistryKind::Disclosures => {
                read_disclosure_row(&mut c, lookup, &mut disclosures).await?;
                None
            }
        };
        let mut ok = c.errors == 0;
        if let Some(p) = &p {
            if let Some(first) = seen.insert(p.key.clone(), row.row) {
                let v = c.raw(key_col);
                c.fail(
                    Rule::DuplicateRecord,
                    Some(key_col),
                    &v,
                    format!("'{}' 在第{first}行已出现", p.key),
                    format!("'{}' is given in row {first} already", p.key),
                );
                ok = false;
            }
        }
        if ok {
            table.report.rows_valid += 1;
            if let Some(p) = p {
                planned.push(p);
            }
        }
    }
    planned.extend(plan_disclosures(&table, disclosures));
    table.report.changed = planned
        .iter()
        .filter(|p| p.action != RecordAction::Unchanged)
        .count() as u64;
    table.report.unchanged = planned.len() as u64 - table.report.changed;
    Ok((table.report, planned))
}

/// Validate a registry file without a database (`soilwatch validate --kind …`): counties are
/// checked against the shipped divisions; the rules that need stored records are skipped.
pub async fn validate_registry_bytes(
    kind: RegistryKind,
    bytes: &[u8],
    opts: &ParseOptions,
) -> StoreResult<Report> {
    let counties = crate::seed::default_divisions()?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| d.code)
        .collect();
    let lookup = Lookup {
        store: None,
        counties,
        scope: None,
        now: Utc::now(),
    };
    Ok(check_file(kind, bytes, opts, &lookup).await?.0)
}

/// Import a registry file: validate every cell and record against the store and, when there is
/// no error, write every new or changed record in one transaction with the batch's provenance.
/// `scope`: the importer's area (a county officer's department); records outside it are errors.
pub async fn import_registry_bytes(
    store: &dyn Store,
    kind: RegistryKind,
    bytes: &[u8],
    opts: &ParseOptions,
    uploader: &str,
    department: Option<&str>,
    scope: Option<DivisionCode>,
) -> StoreResult<RegistryImportOutcome> {
    let checksum = soilwatch_ingest::checksum(bytes);
    if let Some(batch) = store.find_import_by_checksum(&checksum).await? {
        return Ok(RegistryImportOutcome::Unchanged {
            batch: Some(batch),
            report: None,
            records: Vec::new(),
        });
    }
    let counties = store
        .list_divisions()
        .await?
        .into_iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| d.code)
        .collect();
    let lookup = Lookup {
        store: Some(store),
        counties,
        scope,
        now: Utc::now(),
    };
    let (report, planned) = check_file(kind, bytes, opts, &lookup).await?;
    if report.has_errors() {
        return Ok(RegistryImportOutcome::Rejected { report });
    }
    let records: Vec<RecordChange> = planned
        .iter()
        .map(|p| RecordChange {
            row: p.row,
            key: p.key.clone(),
            action: p.action.clone(),
            version: p.version,
        })
        .collect();
    let writes: Vec<RegistryWrite> = planned.into_iter().filter_map(|p| p.write).collect();
    if writes.is_empty() {
        return Ok(RegistryImportOutcome::Unchanged {
            batch: None,
            report: Some(report),
            records,
        });
    }
    let mut report_json =
        serde_json::to_value(&report).map_err(|e| StoreError::Invalid(e.to_string()))?;
    report_json["records"] =
        serde_json::to_value(&records).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let meta = NewImport {
        kind: kind.code().to_owned(),
        file_name: opts.file_name.clone(),
        checksum,
        uploader: uploader.to_owned(),
        department: department.map(str::to_owned),
        rows_read: i64::try_from(report.rows_read).unwrap_or(i64::MAX),
        report: report_json,
    };
    let unchanged = records
        .iter()
        .filter(|r| r.action == RecordAction::Unchanged)
        .count() as i64;
    let batch = store
        .commit_registry_import(&meta, &writes, unchanged)
        .await?;
    Ok(RegistryImportOutcome::Imported {
        batch,
        report,
        records,
    })
}

/// Write one record of an import: a new one as version 1, a changed one as the next version of
/// `version` (refused when someone changed it since it was read).
async fn write_doc<T: crate::registry_sql::Doc>(
    tx: &mut crate::sql::Tx<'_>,
    d: &T,
    version: Option<i64>,
    change: &ChangeMeta,
) -> StoreResult<()> {
    use crate::registry_sql::{insert_doc, update_doc};
    match version {
        None => insert_doc(tx, d, change).await,
        Some(_) => update_doc(tx, d, version, "import", change)
            .await
            .map(|_| ()),
    }
}

/// The change of every record an import writes: the uploader, and a reason naming the batch.
pub(crate) fn import_change(meta: &NewImport, batch_id: i64) -> ChangeMeta {
    ChangeMeta::new(
        meta.uploader.clone(),
        format!(
            "导入批次 {batch_id}：{f}（sha256 {c}） / import batch {batch_id}: {f} (sha256 {c})",
            f = meta.file_name,
            c = &meta.checksum[..meta.checksum.len().min(12)]
        ),
    )
}

/// [`ImportStore::commit_registry_import`](crate::ImportStore::commit_registry_import) for
/// [`SqlStore`](crate::SqlStore): the batch row, then every record (a new one as version 1, a
/// changed one as the next version, refused when someone changed it since it was read), each
/// version in `history` with the uploader and the batch; all in one transaction.
pub(crate) async fn commit(
    store: &crate::SqlStore,
    meta: &NewImport,
    writes: &[RegistryWrite],
    unchanged: i64,
) -> StoreResult<ImportBatch> {
    use sqlx::Row;
    if meta.uploader.trim().is_empty() {
        return Err(StoreError::Invalid(
            "导入须注明上传人 / an import needs an uploader".into(),
        ));
    }
    let now = crate::sql::now();
    let updated = writes.iter().filter(|w| w.is_update()).count() as i64;
    let mut tx = store.begin_write().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO import_batches (kind, file_name, checksum, uploader, department, created_at, \
         rows_read, points, samples, results, corrections, unchanged, report) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, $8, $9, $10) RETURNING id",
    )
    .bind(meta.kind.clone())
    .bind(meta.file_name.clone())
    .bind(meta.checksum.clone())
    .bind(meta.uploader.clone())
    .bind(meta.department.clone())
    .bind(now.clone())
    .bind(meta.rows_read)
    .bind(updated)
    .bind(unchanged)
    .bind(crate::sql::json(&meta.report)?)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let change = import_change(meta, id);
    let actor = change.actor.trim().to_owned();
    for w in writes {
        match w {
            RegistryWrite::Enterprise(e, v) => write_doc(&mut tx, e, *v, &change).await?,
            RegistryWrite::Plot(p, v) => {
                let mut p = p.clone();
                for s in p.steps.iter_mut().filter(|s| s.recorded_by.is_empty()) {
                    s.recorded_by = actor.clone();
                    s.recorded_at = now.clone();
                }
                write_doc(&mut tx, &p, *v, &change).await?;
            }
            RegistryWrite::TailingsPond(t, v) => write_doc(&mut tx, t, *v, &change).await?,
            RegistryWrite::RemediationProject(p, v) => write_doc(&mut tx, p, *v, &change).await?,
            RegistryWrite::MiningArea(a, v) => write_doc(&mut tx, a, *v, &change).await?,
            RegistryWrite::DemolitionPlan(p, v) => {
                let mut p = p.clone();
                for s in p.steps.iter_mut().filter(|s| s.recorded_by.is_empty()) {
                    s.recorded_by = actor.clone();
                    s.recorded_at = now.clone();
                }
                write_doc(&mut tx, &p, *v, &change).await?;
            }
            RegistryWrite::Disclosure(d, v) => write_doc(&mut tx, d, *v, &change).await?,
            RegistryWrite::Manifest(m, v) => {
                let mut m = m.clone();
                let at = Utc::now();
                if at >= m.departure_at.with_timezone(&Utc) {
                    return Err(crate::registry::invalid(
                        "departure_at",
                        format!("联单 {} 须在出发前报备", m.code),
                        format!(
                            "manifest {} must be filed before its departure time",
                            m.code
                        ),
                    ));
                }
                if v.is_none() {
                    m.filed_at = at;
                }
                write_doc(&mut tx, &m, *v, &change).await?;
            }
        }
    }
    tx.commit().await?;
    store.get_import(id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_into_chinese_and_english() {
        let e = "BAD".parse::<EnterpriseStatus>().unwrap_err().to_string();
        let (cn, en) = bilingual(&e);
        assert_eq!(cn, "无法识别的企业状态 'BAD'");
        assert!(en.starts_with("unknown enterprise status 'BAD' (expected one of operating/在产"));
        let e = "91350100M000100Y44"
            .parse::<Uscc>()
            .unwrap_err()
            .to_string();
        let (cn, en) = bilingual(&e);
        assert_eq!(cn, "无效的统一社会信用代码：校验码应为'3'而不是'4'");
        assert_eq!(
            en,
            "invalid unified social credit code '91350100M000100Y44': check character should be '3', not '4'"
        );
    }

    #[test]
    fn kinds_parse_from_codes_and_chinese() {
        for k in RegistryKind::ALL {
            assert_eq!(k.code().parse::<RegistryKind>(), Ok(k));
            assert_eq!(k.name_cn().parse::<RegistryKind>(), Ok(k));
            assert_eq!(k.spec().kind, k.code());
        }
        assert_eq!(
            "tailings_ponds".parse::<RegistryKind>(),
            Ok(RegistryKind::TailingsPonds)
        );
        assert!("results".parse::<RegistryKind>().is_err());
    }

    #[test]
    fn datetimes_without_offset_are_beijing_time() {
        let d = parse_datetime("2030-05-01 08:00").unwrap();
        assert_eq!(d.to_rfc3339(), "2030-05-01T08:00:00+08:00");
        let d = parse_datetime("2030/05/01T08:00:30").unwrap();
        assert_eq!(d.to_rfc3339(), "2030-05-01T08:00:30+08:00");
        assert_eq!(
            parse_datetime("2030-05-01T00:00:00Z").unwrap().to_rfc3339(),
            "2030-05-01T00:00:00+00:00"
        );
        assert!(parse_datetime("2030-13-01 08:00").is_none());
    }
}
