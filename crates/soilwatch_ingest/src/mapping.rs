//! Header mapping: which column holds what, from Chinese or English headers with their common
//! variants, and which kind of data the file holds.
//!
//! A header cell may be Chinese, English or both (`样品编号/sample_code`, `样品编号 sample_code`
//! on two lines of one cell); a trailing unit in brackets (`Cd(mg/kg)`, `镉（mg/kg）`,
//! `采样深度(cm)`) is taken as the column's unit. A leading `*` (required marker) is ignored.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use csv::StringRecord;
use serde::{Deserialize, Serialize};
use soilwatch_core::{AnalyteCatalogue, Unit};

/// A known column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    SampleCode,
    PointCode,
    PointName,
    PointType,
    ControlLevel,
    Medium,
    SamplingDate,
    DivisionCode,
    /// A county name (西昌市) instead of, or besides, the code.
    County,
    Longitude,
    Latitude,
    LandUse,
    Crop,
    /// A depth range in one cell (`0-20`).
    Depth,
    DepthTop,
    DepthBottom,
    Lab,
    Analyte,
    Value,
    Unit,
    DetectionLimit,
    Qualifier,
    Method,
    RiskCategory,
    EstablishedOn,
    RetiredOn,
    Remark,
}

impl Field {
    /// Every field, in template order.
    pub const ALL: [Field; 27] = [
        Field::SampleCode,
        Field::PointCode,
        Field::PointName,
        Field::PointType,
        Field::ControlLevel,
        Field::Medium,
        Field::SamplingDate,
        Field::DivisionCode,
        Field::County,
        Field::Longitude,
        Field::Latitude,
        Field::LandUse,
        Field::Crop,
        Field::Depth,
        Field::DepthTop,
        Field::DepthBottom,
        Field::Lab,
        Field::Analyte,
        Field::Value,
        Field::Unit,
        Field::DetectionLimit,
        Field::Qualifier,
        Field::Method,
        Field::RiskCategory,
        Field::EstablishedOn,
        Field::RetiredOn,
        Field::Remark,
    ];

    /// The Chinese header written in templates.
    pub fn name_cn(self) -> &'static str {
        self.names().0
    }

    /// The English header written in templates.
    pub fn name_en(self) -> &'static str {
        self.names().1
    }

    /// (Chinese, English, other accepted spellings).
    fn names(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Field::SampleCode => (
                "样品编号",
                "sample_code",
                &[
                    "样品代码",
                    "样品编码",
                    "样品号",
                    "样品名称编号",
                    "sample_id",
                    "sampleid",
                    "sample",
                    "sample_no",
                    "sample_number",
                ],
            ),
            Field::PointCode => (
                "点位编号",
                "point_code",
                &[
                    "点位代码",
                    "点位编码",
                    "点号",
                    "监测点位编号",
                    "监测点编号",
                    "point_id",
                    "point",
                    "site_code",
                    "site_id",
                    "station_code",
                ],
            ),
            Field::PointName => (
                "点位名称",
                "point_name",
                &["监测点位名称", "监测点名称", "点名", "site_name", "name"],
            ),
            Field::PointType => (
                "点位类型",
                "point_type",
                &["监测点类型", "点位类别", "site_type"],
            ),
            Field::ControlLevel => (
                "控制级别",
                "control_level",
                &["点位级别", "控制类型", "级别", "level"],
            ),
            Field::Medium => (
                "样品类型",
                "medium",
                &[
                    "介质",
                    "样品介质",
                    "监测介质",
                    "样品类别",
                    "sample_type",
                    "matrix",
                ],
            ),
            Field::SamplingDate => (
                "采样日期",
                "sampling_date",
                &[
                    "采样时间",
                    "采集日期",
                    "取样日期",
                    "sample_date",
                    "date_sampled",
                    "sampled_on",
                    "date",
                ],
            ),
            Field::DivisionCode => (
                "行政区划代码",
                "division_code",
                &[
                    "区划代码",
                    "行政区代码",
                    "行政区划",
                    "县级代码",
                    "division",
                    "admin_code",
                    "county_code",
                ],
            ),
            Field::County => (
                "所在县",
                "county",
                &[
                    "县",
                    "县(市)",
                    "县（市）",
                    "县市区",
                    "所在县(市)",
                    "所在县（市）",
                    "县名",
                    "county_name",
                ],
            ),
            Field::Longitude => (
                "经度",
                "longitude",
                &["东经", "经度(e)", "lon", "lng", "long", "x"],
            ),
            Field::Latitude => ("纬度", "latitude", &["北纬", "纬度(n)", "lat", "y"]),
            Field::LandUse => (
                "土地利用类型",
                "land_use",
                &[
                    "土地利用",
                    "用地类型",
                    "土地类型",
                    "地类",
                    "landuse",
                    "land_use_type",
                ],
            ),
            Field::Crop => (
                "农作物",
                "crop",
                &[
                    "作物",
                    "作物类型",
                    "作物名称",
                    "农产品名称",
                    "农产品种类",
                    "crop_type",
                ],
            ),
            Field::Depth => (
                "采样深度",
                "depth",
                &[
                    "深度",
                    "采样层次",
                    "土层深度",
                    "sampling_depth",
                    "depth_range",
                ],
            ),
            Field::DepthTop => (
                "采样深度上限",
                "depth_top",
                &[
                    "起始深度",
                    "深度上限",
                    "上层深度",
                    "top_depth",
                    "depth_from",
                    "top",
                ],
            ),
            Field::DepthBottom => (
                "采样深度下限",
                "depth_bottom",
                &[
                    "终止深度",
                    "深度下限",
                    "下层深度",
                    "bottom_depth",
                    "depth_to",
                    "bottom",
                ],
            ),
            Field::Lab => (
                "检测机构",
                "lab",
                &[
                    "检测单位",
                    "分析单位",
                    "分析机构",
                    "实验室",
                    "检测实验室",
                    "laboratory",
                    "lab_name",
                ],
            ),
            Field::Analyte => (
                "检测项目",
                "analyte",
                &[
                    "监测项目",
                    "分析项目",
                    "检测指标",
                    "监测指标",
                    "项目",
                    "指标",
                    "parameter",
                    "item",
                    "determinand",
                ],
            ),
            Field::Value => (
                "检测值",
                "value",
                &[
                    "检测结果",
                    "监测值",
                    "测定值",
                    "结果",
                    "分析结果",
                    "含量",
                    "浓度",
                    "result",
                    "concentration",
                ],
            ),
            Field::Unit => ("单位", "unit", &["计量单位", "检测单位(计量)", "units"]),
            Field::DetectionLimit => (
                "检出限",
                "detection_limit",
                &[
                    "方法检出限",
                    "最低检出限",
                    "检测限",
                    "dl",
                    "lod",
                    "mdl",
                    "reporting_limit",
                ],
            ),
            Field::Qualifier => (
                "限定符",
                "qualifier",
                &[
                    "检出标识",
                    "是否检出",
                    "检出情况",
                    "标识",
                    "flag",
                    "result_flag",
                ],
            ),
            Field::Method => (
                "检测方法",
                "method",
                &[
                    "分析方法",
                    "检测依据",
                    "方法",
                    "method_standard",
                    "analytical_method",
                ],
            ),
            Field::RiskCategory => (
                "风险类别",
                "risk_category",
                &["风险区类别", "风险类型", "risk_area"],
            ),
            Field::EstablishedOn => (
                "设立日期",
                "established_on",
                &["建点日期", "布设日期", "established"],
            ),
            Field::RetiredOn => ("撤销日期", "retired_on", &["停用日期", "retired"]),
            Field::Remark => (
                "备注",
                "remark",
                &["说明", "remarks", "note", "notes", "comment"],
            ),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.name_cn(), self.name_en())
    }
}

/// Normalise a header for lookup: lower case; no whitespace, `_`, `-`, `*`, colons; ASCII brackets.
pub(crate) fn norm_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '*' | '※' | ':' | '：' | '.'))
        .map(|c| match c {
            '（' | '[' | '【' => '(',
            '）' | ']' | '】' => ')',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn field_index() -> &'static HashMap<String, Field> {
    static INDEX: OnceLock<HashMap<String, Field>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = HashMap::new();
        for f in Field::ALL {
            let (cn, en, other) = f.names();
            for name in [cn, en].into_iter().chain(other.iter().copied()) {
                m.insert(norm_header(name), f);
            }
        }
        m
    })
}

/// Look up one header spelling (without its unit).
pub fn field_for(header: &str) -> Option<Field> {
    field_index().get(&norm_header(header)).copied()
}

/// Split `镉（mg/kg）` into (`镉`, `Some("mg/kg")`): a trailing bracket is a unit only when it
/// reads as one (so `铬（六价）` keeps its bracket).
pub fn split_unit(header: &str) -> (&str, Option<&str>) {
    let t = header.trim();
    let Some(last) = t.chars().last() else {
        return (t, None);
    };
    if last != ')' && last != '）' {
        return (t, None);
    }
    let body = &t[..t.len() - last.len_utf8()];
    let Some(open) = body.rfind(['(', '（']) else {
        return (t, None);
    };
    let open_len = body[open..].chars().next().map_or(1, char::len_utf8);
    let inner = body[open + open_len..].trim();
    let base = body[..open].trim();
    if base.is_empty() {
        return (t, None);
    }
    let lower = inner.to_lowercase();
    let is_unit = !inner.is_empty()
        && (inner.parse::<Unit>().is_ok()
            || matches!(
                lower.as_str(),
                "cm" | "m" | "厘米" | "米" | "°" | "度" | "e" | "n"
            ));
    if is_unit {
        (base, Some(inner))
    } else {
        (t, None)
    }
}

/// What a header cell means.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnRole {
    Field(Field),
    /// Wide form: a column of results of one analyte (catalogue code).
    Analyte(String),
    Unknown,
    Blank,
}

/// Read one header cell (`base` without unit): a field, else an analyte, trying the whole text,
/// then each part of a bilingual header (`样品编号/sample_code`, two lines in one cell).
fn role_of(base: &str, catalogue: &AnalyteCatalogue) -> ColumnRole {
    if base.trim().is_empty() {
        return ColumnRole::Blank;
    }
    if let Some(f) = field_for(base) {
        return ColumnRole::Field(f);
    }
    if let Some(a) = catalogue.resolve(base) {
        return ColumnRole::Analyte(a.code.clone());
    }
    let parts: Vec<&str> = base
        .split(['/', '\n', '\r', '|', '／'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > 1 {
        let roles: Vec<ColumnRole> = parts
            .iter()
            .map(|p| {
                field_for(p)
                    .map(ColumnRole::Field)
                    .or_else(|| {
                        catalogue
                            .resolve(p)
                            .map(|a| ColumnRole::Analyte(a.code.clone()))
                    })
                    .unwrap_or(ColumnRole::Unknown)
            })
            .collect();
        let known: Vec<&ColumnRole> = roles
            .iter()
            .filter(|r| **r != ColumnRole::Unknown)
            .collect();
        if let Some(first) = known.first() {
            if known.iter().all(|r| r == first) {
                return (*first).clone();
            }
        }
    }
    // `样品编号 sample_code` on one line
    let words: Vec<&str> = base.split_whitespace().collect();
    if words.len() == 2 {
        if let (Some(a), Some(b)) = (field_for(words[0]), field_for(words[1])) {
            if a == b {
                return ColumnRole::Field(a);
            }
        }
    }
    ColumnRole::Unknown
}

/// The kind of data a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// 监测点位: one point per row.
    Points,
    /// 检测结果(长表): one result per row.
    ResultsLong,
    /// 检测结果(宽表): one sample per row, one column per analyte.
    ResultsWide,
}

impl DataKind {
    pub fn code(self) -> &'static str {
        match self {
            DataKind::Points => "points",
            DataKind::ResultsLong => "results_long",
            DataKind::ResultsWide => "results_wide",
        }
    }
}

/// What the caller says about the kind (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindHint {
    /// Decide from the headers.
    #[default]
    Auto,
    Points,
    /// Results, long or wide form decided from the headers.
    Results,
    ResultsLong,
    ResultsWide,
}

impl std::str::FromStr for KindHint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace('-', "_").as_str() {
            "auto" | "" => Ok(KindHint::Auto),
            "points" | "point" | "点位" => Ok(KindHint::Points),
            "results" | "result" | "检测结果" => Ok(KindHint::Results),
            "results_long" | "long" => Ok(KindHint::ResultsLong),
            "results_wide" | "wide" => Ok(KindHint::ResultsWide),
            other => Err(format!(
                "unknown kind '{other}': expected points, results, results_long or results_wide"
            )),
        }
    }
}

/// One column of the file.
#[derive(Debug, Clone)]
pub struct Column {
    /// Zero-based index in the row.
    pub index: usize,
    /// The header as written.
    pub header: String,
    pub role: ColumnRole,
    /// The unit written in the header (`Cd(mg/kg)`) or, failing that, in the units row.
    pub unit_text: Option<String>,
}

/// The decided mapping of a header row.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub kind: DataKind,
    pub columns: Vec<Column>,
    /// Column index of each field, indexed by `Field as usize` (looked up many times per row:
    /// an array, not a hash map).
    fields: FieldColumns,
}

/// Column index of each [`Field`].
#[derive(Debug, Clone, Default)]
struct FieldColumns([Option<usize>; Field::ALL.len()]);

impl FieldColumns {
    fn get(&self, f: Field) -> Option<usize> {
        self.0[f as usize]
    }

    /// Set the column of a field; returns the column it had before.
    fn insert(&mut self, f: Field, index: usize) -> Option<usize> {
        self.0[f as usize].replace(index)
    }
}

/// Why a header could not be mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingProblem {
    pub reason_cn: String,
    pub reason_en: String,
    pub unknown: Vec<String>,
    pub expected: Vec<String>,
}

impl ColumnMap {
    /// Index of the column holding `field`.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.fields.get(field)
    }

    pub fn has(&self, field: Field) -> bool {
        self.fields.get(field).is_some()
    }

    /// The wide-form analyte columns.
    pub fn analyte_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| matches!(c.role, ColumnRole::Analyte(_)))
    }

    /// Headers that mean nothing here (ignored, reported as warnings).
    pub fn unknown_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| c.role == ColumnRole::Unknown)
    }

    /// Take units from a units row for columns whose header carries none.
    pub fn apply_units_row(&mut self, units: &StringRecord) {
        for c in &mut self.columns {
            if c.unit_text.is_none() {
                if let Some(u) = units.get(c.index).map(str::trim).filter(|u| !u.is_empty()) {
                    c.unit_text = Some(u.to_owned());
                }
            }
        }
    }

    /// Map a header row.
    pub fn from_header(
        header: &StringRecord,
        hint: KindHint,
        catalogue: &AnalyteCatalogue,
    ) -> Result<ColumnMap, MappingProblem> {
        let mut columns = Vec::with_capacity(header.len());
        for (index, h) in header.iter().enumerate() {
            let (base, unit) = split_unit(h);
            let mut role = role_of(base, catalogue);
            let mut unit_text = unit.map(str::to_owned);
            if role == ColumnRole::Unknown && unit.is_some() {
                // `铬(六价)` style names whose bracket happened to read as a unit
                let whole = role_of(h, catalogue);
                if whole != ColumnRole::Unknown {
                    role = whole;
                    unit_text = None;
                }
            }
            columns.push(Column {
                index,
                header: h.trim().to_owned(),
                role,
                unit_text,
            });
        }
        let mut fields = FieldColumns::default();
        let mut duplicates = Vec::new();
        let mut seen_analytes: HashMap<String, usize> = HashMap::new();
        for c in &columns {
            match &c.role {
                ColumnRole::Field(f) => {
                    if let Some(prev) = fields.insert(*f, c.index) {
                        duplicates.push(format!("{} & {}", columns[prev].header, c.header));
                    }
                }
                ColumnRole::Analyte(a) => {
                    if let Some(prev) = seen_analytes.insert(a.clone(), c.index) {
                        duplicates.push(format!("{} & {}", columns[prev].header, c.header));
                    }
                }
                _ => {}
            }
        }
        let unknown: Vec<String> = columns
            .iter()
            .filter(|c| c.role == ColumnRole::Unknown)
            .map(|c| c.header.clone())
            .collect();
        let has = |f: Field| fields.get(f).is_some();
        let n_analytes = seen_analytes.len();
        let long = has(Field::Analyte) && has(Field::Value);
        let kind = match hint {
            KindHint::Points => DataKind::Points,
            KindHint::ResultsLong => DataKind::ResultsLong,
            KindHint::ResultsWide => DataKind::ResultsWide,
            KindHint::Results if long => DataKind::ResultsLong,
            KindHint::Results => DataKind::ResultsWide,
            KindHint::Auto if long => DataKind::ResultsLong,
            KindHint::Auto if has(Field::SampleCode) && n_analytes > 0 => DataKind::ResultsWide,
            KindHint::Auto
                if !has(Field::SampleCode)
                    && has(Field::PointCode)
                    && (has(Field::Longitude) || has(Field::Latitude) || has(Field::PointType)) =>
            {
                DataKind::Points
            }
            KindHint::Auto => {
                return Err(MappingProblem {
                    reason_cn: "无法判断数据类型(点位、长表结果或宽表结果)".into(),
                    reason_en: "cannot tell whether the file holds points, long-form results or wide-form results".into(),
                    unknown,
                    expected: expected_headers(None),
                })
            }
        };
        if !duplicates.is_empty() {
            return Err(MappingProblem {
                reason_cn: format!("重复的列: {}", duplicates.join("; ")),
                reason_en: format!("columns given twice: {}", duplicates.join("; ")),
                unknown,
                expected: expected_headers(Some(kind)),
            });
        }
        let missing: Vec<Field> = required(kind)
            .iter()
            .copied()
            .filter(|f| !has(*f))
            .collect();
        let no_analytes = kind == DataKind::ResultsWide && n_analytes == 0;
        if !missing.is_empty() || no_analytes {
            let mut list: Vec<String> = missing.iter().map(ToString::to_string).collect();
            if no_analytes {
                list.push(
                    "检测项目列 such as 镉(mg/kg) / analyte columns such as Cd(mg/kg)".into(),
                );
            }
            return Err(MappingProblem {
                reason_cn: format!("缺少必需的列: {}", list.join(", ")),
                reason_en: format!(
                    "required columns missing for {}: {}",
                    kind.code(),
                    list.join(", ")
                ),
                unknown,
                expected: expected_headers(Some(kind)),
            });
        }
        Ok(ColumnMap {
            kind,
            columns,
            fields,
        })
    }
}

/// Columns a kind cannot do without.
pub fn required(kind: DataKind) -> &'static [Field] {
    match kind {
        DataKind::Points => &[
            Field::PointCode,
            Field::PointType,
            Field::ControlLevel,
            Field::Longitude,
            Field::Latitude,
        ],
        DataKind::ResultsLong => &[
            Field::SampleCode,
            Field::SamplingDate,
            Field::Analyte,
            Field::Value,
        ],
        DataKind::ResultsWide => &[Field::SampleCode, Field::SamplingDate],
    }
}

/// Columns a kind reads.
pub fn accepted(kind: DataKind) -> &'static [Field] {
    use Field::*;
    match kind {
        DataKind::Points => &[
            PointCode,
            PointName,
            PointType,
            ControlLevel,
            DivisionCode,
            County,
            Longitude,
            Latitude,
            LandUse,
            RiskCategory,
            EstablishedOn,
            RetiredOn,
            Remark,
        ],
        DataKind::ResultsLong => &[
            SampleCode,
            PointCode,
            Medium,
            SamplingDate,
            DivisionCode,
            County,
            Longitude,
            Latitude,
            LandUse,
            Crop,
            Depth,
            DepthTop,
            DepthBottom,
            Lab,
            Analyte,
            Value,
            Unit,
            DetectionLimit,
            Qualifier,
            Method,
            Remark,
        ],
        DataKind::ResultsWide => &[
            SampleCode,
            PointCode,
            Medium,
            SamplingDate,
            DivisionCode,
            County,
            Longitude,
            Latitude,
            LandUse,
            Crop,
            Depth,
            DepthTop,
            DepthBottom,
            Lab,
            Method,
            Remark,
        ],
    }
}

fn expected_headers(kind: Option<DataKind>) -> Vec<String> {
    let kinds: &[DataKind] = match kind {
        Some(ref k) => std::slice::from_ref(k),
        None => &[
            DataKind::Points,
            DataKind::ResultsLong,
            DataKind::ResultsWide,
        ],
    };
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        for f in accepted(*k) {
            let s = f.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    if kind.is_none() || kind == Some(DataKind::ResultsWide) {
        out.push("镉(mg/kg), Cd(mg/kg), pH … (宽表检测项目列 / wide-form analyte columns)".into());
    }
    out
}

/// True when a row (the one after the header) is a units row: its first filled cell says
/// `单位`/`unit`, or every filled cell reads as a unit.
pub fn is_units_row(row: &StringRecord) -> bool {
    is_units_cells(row.iter())
}

/// [`is_units_row`] of a row's cells.
pub(crate) fn is_units_cells<'a>(cells: impl Iterator<Item = &'a str>) -> bool {
    let filled: Vec<&str> = cells.map(str::trim).filter(|c| !c.is_empty()).collect();
    let Some(first) = filled.first() else {
        return false;
    };
    let f = norm_header(first);
    if f.starts_with("单位") || f.starts_with("unit") || f.starts_with("计量单位") {
        return true;
    }
    filled.iter().all(|c| {
        let lower = c.to_lowercase();
        (c.parse::<Unit>().is_ok() && !matches!(lower.as_str(), "-" | "无"))
            || matches!(lower.as_str(), "cm" | "m" | "°" | "度" | "厘米")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cells: &[&str]) -> StringRecord {
        StringRecord::from(cells.to_vec())
    }

    fn cat() -> &'static AnalyteCatalogue {
        AnalyteCatalogue::builtin()
    }

    #[test]
    fn every_field_has_its_own_slot() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "Field::ALL is in declaration order: {f:?}");
        }
    }

    #[test]
    fn header_variants() {
        for (h, f) in [
            ("样品编号", Field::SampleCode),
            ("样品代码", Field::SampleCode),
            ("Sample_ID", Field::SampleCode),
            ("sample code", Field::SampleCode),
            ("*样品编号", Field::SampleCode),
            ("采样日期", Field::SamplingDate),
            ("介质", Field::Medium),
            ("样品类型", Field::Medium),
            ("经度", Field::Longitude),
            ("Lon", Field::Longitude),
            ("LATITUDE", Field::Latitude),
            ("检出限", Field::DetectionLimit),
            ("土地利用类型", Field::LandUse),
        ] {
            assert_eq!(field_for(h), Some(f), "{h}");
        }
        assert_eq!(field_for("colour"), None);
    }

    #[test]
    fn units_in_headers() {
        assert_eq!(split_unit("Cd(mg/kg)"), ("Cd", Some("mg/kg")));
        assert_eq!(split_unit("镉（mg/kg）"), ("镉", Some("mg/kg")));
        assert_eq!(split_unit("pH(无量纲)"), ("pH", Some("无量纲")));
        assert_eq!(split_unit("铬（六价）"), ("铬（六价）", None));
        assert_eq!(split_unit("采样深度(cm)"), ("采样深度", Some("cm")));
        assert_eq!(split_unit("样品编号"), ("样品编号", None));
    }

    #[test]
    fn bilingual_headers() {
        let m = ColumnMap::from_header(
            &rec(&[
                "样品编号/sample_code",
                "采样日期\nsampling_date",
                "检测项目 analyte",
                "检测值/value",
            ]),
            KindHint::Auto,
            cat(),
        )
        .unwrap();
        assert_eq!(m.kind, DataKind::ResultsLong);
        assert_eq!(m.get(Field::SamplingDate), Some(1));
        assert_eq!(m.get(Field::Analyte), Some(2));
    }

    #[test]
    fn kinds_are_detected() {
        let long = rec(&["样品编号", "采样日期", "检测项目", "检测值", "单位"]);
        assert_eq!(
            ColumnMap::from_header(&long, KindHint::Auto, cat())
                .unwrap()
                .kind,
            DataKind::ResultsLong
        );
        let wide = rec(&[
            "样品编号",
            "采样日期",
            "镉(mg/kg)",
            "Pb(mg/kg)",
            "pH",
            "铬（六价）",
        ]);
        let m = ColumnMap::from_header(&wide, KindHint::Auto, cat()).unwrap();
        assert_eq!(m.kind, DataKind::ResultsWide);
        let codes: Vec<_> = m
            .analyte_columns()
            .map(|c| (c.role.clone(), c.unit_text.clone()))
            .collect();
        assert_eq!(
            codes[0],
            (ColumnRole::Analyte("Cd".into()), Some("mg/kg".into()))
        );
        assert_eq!(codes[3], (ColumnRole::Analyte("Cr6".into()), None));
        let points = rec(&[
            "点位编号",
            "点位名称",
            "点位类型",
            "控制级别",
            "经度",
            "纬度",
        ]);
        assert_eq!(
            ColumnMap::from_header(&points, KindHint::Auto, cat())
                .unwrap()
                .kind,
            DataKind::Points
        );
    }

    #[test]
    fn undecidable_mapping_lists_unknown_and_expected() {
        let e = ColumnMap::from_header(&rec(&["编号", "颜色", "重量"]), KindHint::Auto, cat())
            .unwrap_err();
        assert_eq!(e.unknown, vec!["编号", "颜色", "重量"]);
        assert!(
            e.expected.iter().any(|x| x.contains("样品编号")),
            "{:?}",
            e.expected
        );
    }

    #[test]
    fn missing_required_column_is_named() {
        let e = ColumnMap::from_header(
            &rec(&["样品编号", "检测项目", "检测值"]),
            KindHint::Results,
            cat(),
        )
        .unwrap_err();
        assert!(e.reason_en.contains("sampling_date"), "{}", e.reason_en);
    }

    #[test]
    fn duplicate_columns_are_refused() {
        let e = ColumnMap::from_header(
            &rec(&["样品编号", "采样日期", "镉", "Cd(mg/kg)"]),
            KindHint::Auto,
            cat(),
        )
        .unwrap_err();
        assert!(e.reason_en.contains("twice"));
    }

    #[test]
    fn units_rows() {
        assert!(is_units_row(&rec(&["单位/unit", "", "mg/kg"])));
        assert!(is_units_row(&rec(&["", "", "mg/kg", "μg/kg", "无量纲"])));
        assert!(!is_units_row(&rec(&["S001", "2024-05-01", "0.3"])));
        assert!(!is_units_row(&rec(&["", ""])));
    }
}
