//! Rulesets as data: every value of every built-in standard, with its table, scope, unit,
//! confidence and source, loaded from the CSV files in `data/` (embedded at build time).
//!
//! The files in `data/` are verbatim copies of the project's reference tables; `data/README.md`
//! cites each standard and explains the confidence labels.

use std::fmt;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{analyte::normalise_name, AnalyteCatalogue, Medium};

use crate::error::{StandardsError, StandardsResult};

/// Embedded data files (verbatim copies of the reference tables), by file name.
pub const DATA_FILES: [(&str, &str); 6] = [
    ("gb15618_2018.csv", include_str!("../data/gb15618_2018.csv")),
    ("gb36600_2018.csv", include_str!("../data/gb36600_2018.csv")),
    ("gb2762_crops.csv", include_str!("../data/gb2762_crops.csv")),
    ("gb5084_2021.csv", include_str!("../data/gb5084_2021.csv")),
    ("gb14848_2017.csv", include_str!("../data/gb14848_2017.csv")),
    ("gb3838_2002.csv", include_str!("../data/gb3838_2002.csv")),
];

/// Id of the GB 15618-2018 ruleset (farmland soil).
pub const GB15618: &str = "gb15618-2018";
/// Id of the GB 36600-2018 ruleset (construction land soil).
pub const GB36600: &str = "gb36600-2018";
/// Id of the GB 2762 ruleset (contaminants in food).
pub const GB2762: &str = "gb2762-2022";
/// Id of the GB 5084-2021 ruleset (irrigation water).
pub const GB5084: &str = "gb5084-2021";
/// Id of the GB/T 14848-2017 ruleset (groundwater).
pub const GB14848: &str = "gb14848-2017";
/// Id of the GB 3838-2002 ruleset (surface water).
pub const GB3838: &str = "gb3838-2002";

/// What a ruleset is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RulesetKind {
    /// 农用地土壤 — GB 15618.
    Farmland,
    /// 建设用地土壤 — GB 36600.
    ConstructionLand,
    /// 食品污染物限量 — GB 2762.
    Food,
    /// 农田灌溉水 — GB 5084.
    IrrigationWater,
    /// 地下水 — GB/T 14848.
    Groundwater,
    /// 地表水 — GB 3838.
    SurfaceWater,
}

/// The kind of a threshold value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// 风险筛选值
    Screening,
    /// 风险管制值
    Intervention,
    /// 分类限值 — the limit of one water quality class.
    ClassLimit,
    /// 集中式生活饮用水地表水源地补充/特定项目标准限值 (GB 3838 表2/表3): a single value, not a class.
    SourceWaterLimit,
    /// 控制限值 — a limit to comply with (GB 5084).
    Limit,
    /// 限量 — a maximum level in food (GB 2762).
    MaximumLevel,
}

/// A GB 15618 pH band. Bounds: pH ≤ 5.5; 5.5 < pH ≤ 6.5; 6.5 < pH ≤ 7.5; pH > 7.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PhBand {
    /// pH ≤ 5.5
    #[serde(rename = "ph_le_5.5")]
    UpTo5_5,
    /// 5.5 < pH ≤ 6.5
    #[serde(rename = "ph_5.5_6.5")]
    From5_5To6_5,
    /// 6.5 < pH ≤ 7.5
    #[serde(rename = "ph_6.5_7.5")]
    From6_5To7_5,
    /// pH > 7.5
    #[serde(rename = "ph_gt_7.5")]
    Above7_5,
}

impl PhBand {
    /// The four bands in order.
    pub const ALL: [PhBand; 4] = [
        PhBand::UpTo5_5,
        PhBand::From5_5To6_5,
        PhBand::From6_5To7_5,
        PhBand::Above7_5,
    ];

    /// The band a pH falls in, compared as decimals (pH 6.5 is in `5.5 < pH ≤ 6.5`).
    ///
    /// # Examples
    /// ```
    /// use rust_decimal::Decimal;
    /// use soilwatch_standards::PhBand;
    /// assert_eq!(PhBand::of(Decimal::new(65, 1)), PhBand::From5_5To6_5);
    /// assert_eq!(PhBand::of(Decimal::new(651, 2)), PhBand::From6_5To7_5);
    /// ```
    pub fn of(ph: Decimal) -> PhBand {
        if ph <= Decimal::new(55, 1) {
            PhBand::UpTo5_5
        } else if ph <= Decimal::new(65, 1) {
            PhBand::From5_5To6_5
        } else if ph <= Decimal::new(75, 1) {
            PhBand::From6_5To7_5
        } else {
            PhBand::Above7_5
        }
    }

    /// 0..4, in order.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Label as the standard writes it.
    pub fn label(self) -> &'static str {
        match self {
            PhBand::UpTo5_5 => "pH≤5.5",
            PhBand::From5_5To6_5 => "5.5<pH≤6.5",
            PhBand::From6_5To7_5 => "6.5<pH≤7.5",
            PhBand::Above7_5 => "pH>7.5",
        }
    }

    fn from_bounds(min_excl: &str, max_incl: &str) -> Option<Option<PhBand>> {
        match (min_excl.trim(), max_incl.trim()) {
            ("", "") => Some(None),
            ("", "5.5") => Some(Some(PhBand::UpTo5_5)),
            ("5.5", "6.5") => Some(Some(PhBand::From5_5To6_5)),
            ("6.5", "7.5") => Some(Some(PhBand::From6_5To7_5)),
            ("7.5", "") => Some(Some(PhBand::Above7_5)),
            _ => None,
        }
    }
}

impl fmt::Display for PhBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A water quality class (水质类别) of GB 3838 or GB/T 14848.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WaterClass {
    I,
    II,
    III,
    IV,
    V,
    /// 劣Ⅴ类 (GB 3838 only): worse than the class Ⅴ limit.
    #[serde(rename = "worse_than_V")]
    WorseThanV,
}

impl WaterClass {
    /// Ⅰ … Ⅴ in order.
    pub const I_TO_V: [WaterClass; 5] = [
        WaterClass::I,
        WaterClass::II,
        WaterClass::III,
        WaterClass::IV,
        WaterClass::V,
    ];

    /// Roman numeral as the standards print it (Ⅰ … Ⅴ, 劣Ⅴ).
    pub fn label(self) -> &'static str {
        match self {
            WaterClass::I => "Ⅰ",
            WaterClass::II => "Ⅱ",
            WaterClass::III => "Ⅲ",
            WaterClass::IV => "Ⅳ",
            WaterClass::V => "Ⅴ",
            WaterClass::WorseThanV => "劣Ⅴ",
        }
    }

    /// ASCII code (`I` … `V`, `worse_than_V`).
    pub fn code(self) -> &'static str {
        match self {
            WaterClass::I => "I",
            WaterClass::II => "II",
            WaterClass::III => "III",
            WaterClass::IV => "IV",
            WaterClass::V => "V",
            WaterClass::WorseThanV => "worse_than_V",
        }
    }

    fn parse_roman(s: &str) -> Option<WaterClass> {
        match s.trim() {
            "Ⅰ" | "I" => Some(WaterClass::I),
            "Ⅱ" | "II" => Some(WaterClass::II),
            "Ⅲ" | "III" => Some(WaterClass::III),
            "Ⅳ" | "IV" => Some(WaterClass::IV),
            "Ⅴ" | "V" => Some(WaterClass::V),
            _ => None,
        }
    }
}

impl fmt::Display for WaterClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One value of a standard, with everything needed to apply it and to cite it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdValue {
    /// The standard's table (`表1`, `表2`, `表3`).
    pub table: String,
    /// The item as the standard names it.
    pub item_cn: String,
    /// English name of the item (may be empty).
    pub item_en: String,
    /// Analyte code in the soilwatch catalogue, where the item maps to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analyte: Option<String>,
    pub value_type: ValueType,
    /// GB 15618 land-use column: `paddy`, `other`, `orchard` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_use: Option<String>,
    /// GB 15618 pH band (`None` where the value holds for every pH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph_band: Option<PhBand>,
    /// GB 36600 land class, 1 (第一类用地) or 2 (第二类用地).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_class: Option<u8>,
    /// GB 3838 / GB/T 14848 water class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_class: Option<WaterClass>,
    /// GB 3838: `river` or `lake` where the value depends on the water body (total phosphorus,
    /// total nitrogen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub water_body: Option<String>,
    /// GB 5084 crop type (`paddy`, `dryland`, `vegetable`) or GB 2762 food category (Chinese).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop: Option<String>,
    /// GB 2762 food category in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop_en: Option<String>,
    /// Where a cell holds several values for different conditions (GB 5084 `a`/`b` vegetables,
    /// high-fluoride or saline areas), the condition of this one; the first variant is the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Lower bound (dissolved oxygen, pH), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower: Option<Decimal>,
    /// True when the lower bound itself is not allowed (GB/T 14848 class Ⅴ: "exceeds the Ⅳ limit").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lower_exclusive: bool,
    /// Upper bound (the usual limit), inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper: Option<Decimal>,
    /// The cell as the standard writes it (`0.3`, `<=0.001`, `5.5-8.5`, `无`, `25 (exclusive)`).
    pub value_as_written: String,
    /// Unit as written in the standard (`mg/kg`, `mg/L`, `μg/L`, `个/L`, …; empty = none).
    pub unit: String,
    /// GB 2762 basis (total Cd, inorganic As, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// How well the value is verified (see `data/README.md`): `verified_2src`,
    /// `verified_1src+recall`, `verified_1src`, `verified_2005text+recall`,
    /// `verified_2012text+recall`, `recalled`, or `local` for an overlay value.
    pub confidence: String,
    /// Where the value was taken from.
    pub source: String,
}

impl ThresholdValue {
    fn blank(table: &str, item_cn: &str, item_en: &str, value_type: ValueType) -> Self {
        ThresholdValue {
            table: table.to_owned(),
            item_cn: item_cn.to_owned(),
            item_en: item_en.to_owned(),
            analyte: None,
            value_type,
            land_use: None,
            ph_band: None,
            land_class: None,
            water_class: None,
            water_body: None,
            crop: None,
            crop_en: None,
            variant: None,
            lower: None,
            lower_exclusive: false,
            upper: None,
            value_as_written: String::new(),
            unit: String::new(),
            basis: None,
            confidence: String::new(),
            source: String::new(),
        }
    }

    /// A short human description of where the value applies (`paddy, 5.5<pH≤6.5`, `class 1`, …).
    pub fn scope(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(l) = &self.land_use {
            parts.push(l.clone());
        }
        if let Some(b) = self.ph_band {
            parts.push(b.label().to_owned());
        }
        if let Some(c) = self.land_class {
            parts.push(format!("第{c}类用地 / class {c} land"));
        }
        if let Some(c) = self.water_class {
            parts.push(format!("{}类 / class {}", c.label(), c.code()));
        }
        if let Some(w) = &self.water_body {
            parts.push(w.clone());
        }
        if let Some(c) = &self.crop {
            parts.push(c.clone());
        }
        if let Some(v) = &self.variant {
            parts.push(v.clone());
        }
        if parts.is_empty() {
            "all".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A versioned standard (or a local overlay of one) held as data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ruleset {
    /// Stable id (`gb15618-2018`, …, or the overlay's own id).
    pub id: String,
    /// The standard's number as printed (`GB 15618-2018`).
    pub standard: String,
    /// Chinese title.
    pub name_cn: String,
    /// English title.
    pub name: String,
    /// Edition / version of the values.
    pub version: String,
    pub kind: RulesetKind,
    /// Media the ruleset applies to.
    pub media: Vec<Medium>,
    /// For a local overlay: the id of the national ruleset it tightens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Rules of use and known doubts, in words.
    pub notes: Vec<String>,
    /// Every value, in the order of the data file.
    pub values: Vec<ThresholdValue>,
}

/// The list view of a ruleset (for `GET /api/v1/standards`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulesetSummary {
    pub id: String,
    pub standard: String,
    pub name_cn: String,
    pub name: String,
    pub version: String,
    pub kind: RulesetKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Number of values.
    pub value_count: usize,
    /// Number of values per confidence label, most common first.
    pub confidence: Vec<(String, usize)>,
}

impl Ruleset {
    /// The list view.
    pub fn summary(&self) -> RulesetSummary {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for v in &self.values {
            match counts.iter_mut().find(|(c, _)| *c == v.confidence) {
                Some((_, n)) => *n += 1,
                None => counts.push((v.confidence.clone(), 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        RulesetSummary {
            id: self.id.clone(),
            standard: self.standard.clone(),
            name_cn: self.name_cn.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            kind: self.kind,
            base: self.base.clone(),
            value_count: self.values.len(),
            confidence: counts,
        }
    }

    /// Values of one analyte (catalogue code).
    pub fn values_for<'a>(&'a self, analyte: &'a str) -> impl Iterator<Item = &'a ThresholdValue> {
        self.values
            .iter()
            .filter(move |v| v.analyte.as_deref() == Some(analyte))
    }
}

/// The built-in rulesets.
#[derive(Debug)]
pub struct RulesetRegistry {
    rulesets: Vec<Ruleset>,
}

impl RulesetRegistry {
    /// The rulesets shipped with the program, parsed once.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_standards::RulesetRegistry;
    /// let reg = RulesetRegistry::builtin();
    /// assert_eq!(reg.list().len(), 6);
    /// let gb15618 = reg.get("gb15618-2018").unwrap();
    /// assert_eq!(gb15618.values.len(), 79);
    /// ```
    pub fn builtin() -> &'static RulesetRegistry {
        REGISTRY.get_or_init(|| {
            RulesetRegistry::load()
                .expect("the embedded standards data is checked by the crate's tests")
        })
    }

    /// The built-in registry, if something has loaded it already.
    pub(crate) fn loaded() -> Option<&'static RulesetRegistry> {
        REGISTRY.get()
    }

    /// Parse every embedded data file.
    pub fn load() -> StandardsResult<RulesetRegistry> {
        Ok(RulesetRegistry {
            rulesets: vec![
                load_gb15618()?,
                load_gb36600()?,
                load_gb2762()?,
                load_gb5084()?,
                load_gb14848()?,
                load_gb3838()?,
            ],
        })
    }

    /// The soil ruleset `id` (GB 15618 or GB 36600) parsed alone, as [`RulesetRegistry::load`]
    /// parses it (for [`crate::SoilEngine::builtin`], which then need not parse the others);
    /// `None` for any other id.
    pub(crate) fn load_soil(id: &str) -> Option<StandardsResult<Ruleset>> {
        match id {
            GB15618 => Some(load_gb15618()),
            GB36600 => Some(load_gb36600()),
            _ => None,
        }
    }

    /// Every ruleset, national ones in a fixed order.
    pub fn list(&self) -> &[Ruleset] {
        &self.rulesets
    }

    /// The ruleset with this id.
    pub fn get(&self, id: &str) -> Option<&Ruleset> {
        self.rulesets.iter().find(|r| r.id == id)
    }

    /// Like [`get`](Self::get), with an error listing the known ids.
    pub fn require(&self, id: &str) -> StandardsResult<&Ruleset> {
        self.get(id).ok_or_else(|| StandardsError::UnknownRuleset {
            id: id.to_owned(),
            known: self
                .rulesets
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// The built-in registry ([`RulesetRegistry::builtin`]).
static REGISTRY: OnceLock<RulesetRegistry> = OnceLock::new();

fn data_file(name: &str) -> &'static str {
    DATA_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .expect("data file names are constants of this module")
}

/// Read an embedded CSV file into header-indexed rows, with the line number of each.
/// Header and rows (with line numbers) of a CSV text.
pub(crate) type CsvRows = (Vec<String>, Vec<(u64, Vec<String>)>);

pub(crate) fn read_rows(file: &str, text: &str) -> StandardsResult<CsvRows> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| data_err(file, 1, e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| data_err(file, 0, e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        rows.push((line, rec.iter().map(str::to_owned).collect()));
    }
    Ok((headers, rows))
}

pub(crate) fn data_err(file: &str, line: u64, reason: impl Into<String>) -> StandardsError {
    StandardsError::Data {
        file: file.to_owned(),
        line,
        reason: reason.into(),
    }
}

struct Cols<'a> {
    file: &'a str,
    headers: &'a [String],
}

impl Cols<'_> {
    fn get<'r>(&self, row: &'r (u64, Vec<String>), name: &str) -> StandardsResult<&'r str> {
        let i =
            self.headers.iter().position(|h| h == name).ok_or_else(|| {
                data_err(self.file, 1, format!("缺少列 / missing column '{name}'"))
            })?;
        row.1
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| data_err(self.file, row.0, format!("缺少列 / missing cell '{name}'")))
    }
}

/// Parse a decimal as written (plain or scientific, e.g. `1e-05`).
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    crate::exact::parse(s).ok()
}

fn resolve_code(names: &[&str]) -> Option<String> {
    let cat = AnalyteCatalogue::builtin();
    for n in names {
        if n.trim().is_empty() {
            continue;
        }
        if let Some(a) = cat.resolve(n) {
            return Some(a.code.clone());
        }
        if let Some(code) = water_item_code(n) {
            return Some(code.to_owned());
        }
    }
    None
}

/// Names of water items as GB 3838 / GB/T 14848 / GB 5084 print them, mapped to catalogue codes
/// where the catalogue's aliases do not already cover the spelling.
const WATER_ITEM_CODES: &[(&str, &str)] = &[
    ("总磷_河流（以P计）", "TP"),
    ("总磷_湖库（以P计）", "TP"),
    ("总氮（湖、库，以N计）", "TN"),
    ("六价铬（六价）", "Cr6"),
    ("耗氧量（CODᴍₙ法,以O₂计）", "CODMn"),
    ("硫酸盐（以SO42⁻）", "sulfate"),
    ("氯化物（以Cl⁻计）", "chloride"),
    ("一_1,2-三氯乙烷", "1_1_2_trichloroethane"),
    ("邻二氯苯", "1_2_dichlorobenzene"),
    ("对二氯苯", "1_4_dichlorobenzene"),
    ("苯并(b)荧蒽", "benzo_b_fluoranthene"),
    ("多氯联苯（总量）", "PCBs"),
    ("多氯联苯", "PCBs"),
    ("六六六（总量）", "HCH"),
    ("γ_六六六", "gamma_hch"),
    ("林丹", "gamma_hch"),
    ("滴滴涕（总量）", "DDT"),
    ("莠去津", "atrazine"),
    ("三溴甲烷", "bromoform"),
    ("三氯甲烷", "chloroform"),
    ("2,4,6-三氯酚", "2_4_6_trichlorophenol"),
    ("2,4,6-三氯苯酚", "2_4_6_trichlorophenol"),
    ("2,4-二氯苯酚", "2_4_dichlorophenol"),
    ("2,4-二硝基甲苯", "2_4_dinitrotoluene"),
    ("全盐量", "total_salt"),
    ("五日生化需氧量（BOD5）", "BOD5"),
    ("化学需氧量（CODCr）", "COD"),
];

fn water_item_code(name: &str) -> Option<&'static str> {
    let n = normalise_name(name);
    WATER_ITEM_CODES
        .iter()
        .find(|(k, _)| normalise_name(k) == n)
        .map(|(_, c)| *c)
}

fn value_required(file: &str, line: u64, s: &str) -> StandardsResult<Decimal> {
    parse_decimal(s).ok_or_else(|| data_err(file, line, format!("不是数值 / not a number: '{s}'")))
}

fn load_gb15618() -> StandardsResult<Ruleset> {
    let file = "gb15618_2018.csv";
    let (headers, rows) = read_rows(file, data_file(file))?;
    let c = Cols {
        file,
        headers: &headers,
    };
    let mut values = Vec::with_capacity(rows.len());
    for row in &rows {
        let vt = match c.get(row, "value_type")? {
            "screening" => ValueType::Screening,
            "intervention" => ValueType::Intervention,
            other => {
                return Err(data_err(
                    file,
                    row.0,
                    format!("unknown value_type '{other}'"),
                ))
            }
        };
        let item_cn = c.get(row, "analyte_cn")?;
        let item_en = c.get(row, "analyte_en")?;
        let mut v = ThresholdValue::blank(c.get(row, "table")?, item_cn, item_en, vt);
        v.analyte = resolve_code(&[item_cn, item_en]);
        let lu = c.get(row, "land_use")?;
        if !matches!(lu, "paddy" | "other" | "orchard" | "all") {
            return Err(data_err(file, row.0, format!("unknown land_use '{lu}'")));
        }
        v.land_use = Some(lu.to_owned());
        v.ph_band = PhBand::from_bounds(
            c.get(row, "ph_min_exclusive")?,
            c.get(row, "ph_max_inclusive")?,
        )
        .ok_or_else(|| data_err(file, row.0, "pH band is not one of the four GB 15618 bands"))?;
        let written = c.get(row, "value_mg_per_kg")?;
        v.upper = Some(value_required(file, row.0, written)?);
        v.value_as_written = written.to_owned();
        v.unit = "mg/kg".to_owned();
        v.confidence = c.get(row, "confidence")?.to_owned();
        v.source = c.get(row, "source")?.to_owned();
        values.push(v);
    }
    Ok(Ruleset {
        id: GB15618.to_owned(),
        standard: "GB 15618-2018".to_owned(),
        name_cn: "土壤环境质量 农用地土壤污染风险管控标准（试行）".to_owned(),
        name: "Soil environmental quality — Risk control standard for soil contamination of agricultural land".to_owned(),
        version: "2018".to_owned(),
        kind: RulesetKind::Farmland,
        media: vec![Medium::Soil],
        base: None,
        notes: vec![
            "pH bands: pH≤5.5; 5.5<pH≤6.5; 6.5<pH≤7.5; pH>7.5 (compared as decimals).".to_owned(),
            "表1 land use: paddy (水田) and other (其他, incl. 旱地/水浇地); Cu: orchard (果园) and other; Ni, Zn: all land. 水旱轮作 (rotation) uses the stricter of paddy and other, item by item (表1 footnote b, recalled wording).".to_owned(),
            "Intervention values (表3) exist only for Cd, Hg, As, Pb, Cr. Exceeding a screening value of Cu, Ni, Zn or a 表2 organic never changes the class on its own.".to_owned(),
            "Metals and As are total contents. HCH total = α+β+γ+δ; DDT total = p,p'-DDE + p,p'-DDD + o,p'-DDT + p,p'-DDT.".to_owned(),
            "All 79 values: one public transcription of the official text (lensis22414017/SRS) agreeing with recollection (verified_1src+recall).".to_owned(),
        ],
        values,
    })
}

fn load_gb36600() -> StandardsResult<Ruleset> {
    let file = "gb36600_2018.csv";
    let (headers, rows) = read_rows(file, data_file(file))?;
    let c = Cols {
        file,
        headers: &headers,
    };
    let mut values = Vec::with_capacity(rows.len() * 4);
    for row in &rows {
        let item_cn = c.get(row, "analyte_cn")?;
        let item_en = c.get(row, "analyte_en")?;
        let analyte = resolve_code(&[item_cn, item_en]);
        for (col, vt, class) in [
            ("screening_class1", ValueType::Screening, 1u8),
            ("screening_class2", ValueType::Screening, 2),
            ("intervention_class1", ValueType::Intervention, 1),
            ("intervention_class2", ValueType::Intervention, 2),
        ] {
            let written = c.get(row, col)?;
            if written.trim().is_empty() {
                continue;
            }
            let mut v = ThresholdValue::blank(c.get(row, "table")?, item_cn, item_en, vt);
            v.analyte = analyte.clone();
            v.land_class = Some(class);
            v.upper = Some(value_required(file, row.0, written)?);
            v.value_as_written = written.to_owned();
            v.unit = "mg/kg".to_owned();
            v.confidence = c.get(row, "confidence")?.to_owned();
            v.source = c.get(row, "source")?.to_owned();
            values.push(v);
        }
    }
    Ok(Ruleset {
        id: GB36600.to_owned(),
        standard: "GB 36600-2018".to_owned(),
        name_cn: "土壤环境质量 建设用地土壤污染风险管控标准（试行）".to_owned(),
        name: "Soil environmental quality — Risk control standard for soil contamination of development land".to_owned(),
        version: "2018".to_owned(),
        kind: RulesetKind::ConstructionLand,
        media: vec![Medium::Soil],
        base: None,
        notes: vec![
            "Class 1 land (第一类用地): residential R, schools A33, medical A5, social welfare A6, community and children's parks in G1. Class 2 land: M, W, B, S, U, A (except A33/A5/A6), G (except those parks). A site of unknown planned use is evaluated as class 1.".to_owned(),
            "Above the screening value: further investigation and risk assessment required. Above the intervention value: risk control or remediation required.".to_owned(),
            "Footnote a (As, Co, V): above the screening value but not above the local background value is not managed as contaminated land.".to_owned(),
            "表1 items 1–34 verified in two public sources; 表1 items 35–45 and all of 表2 in one public transcription agreeing with recollection. Dioxins as TEQ.".to_owned(),
        ],
        values,
    })
}

fn load_gb2762() -> StandardsResult<Ruleset> {
    let file = "gb2762_crops.csv";
    let (headers, rows) = read_rows(file, data_file(file))?;
    let c = Cols {
        file,
        headers: &headers,
    };
    let mut values = Vec::with_capacity(rows.len());
    for row in &rows {
        let analyte = c.get(row, "analyte")?;
        let code = resolve_code(&[analyte]);
        let name_cn = code
            .as_deref()
            .and_then(|k| AnalyteCatalogue::builtin().by_code(k))
            .map_or(analyte.to_owned(), |a| a.name_cn.clone());
        let mut v = ThresholdValue::blank("表1", &name_cn, analyte, ValueType::MaximumLevel);
        v.analyte = code;
        v.crop = Some(c.get(row, "food_category_cn")?.to_owned());
        v.crop_en = Some(c.get(row, "food_category_en")?.to_owned());
        let written = c.get(row, "limit_mg_per_kg")?;
        v.upper = Some(value_required(file, row.0, written)?);
        v.value_as_written = written.to_owned();
        v.unit = "mg/kg".to_owned();
        v.basis = Some(c.get(row, "basis")?.to_owned());
        v.confidence = c.get(row, "confidence")?.to_owned();
        v.source = c.get(row, "source")?.to_owned();
        values.push(v);
    }
    Ok(Ruleset {
        id: GB2762.to_owned(),
        standard: "GB 2762-2022".to_owned(),
        name_cn: "食品安全国家标准 食品中污染物限量".to_owned(),
        name: "National food safety standard — Maximum levels of contaminants in foods".to_owned(),
        version: "2022 (values from the 2017/2022 text; 15 verified against the 2012 text, 13 recalled)".to_owned(),
        kind: RulesetKind::Food,
        media: vec![Medium::AgriculturalProduct],
        base: None,
        notes: vec![
            "Maximum levels in mg/kg fresh weight; paddy rice is expressed as brown rice.".to_owned(),
            "DOUBT: the 2022 edition changed some Pb categories (brassica vegetables possibly 0.3 → 0.2, the berry exception narrowed) and may set inorganic As for brown rice; check the rows marked recalled against the 2022 text.".to_owned(),
        ],
        values,
    })
}

/// Split a GB 5084 limit cell (`<=0.001`, `5.5-8.5`, `<=40 (a: …); <=15 (b: …)`) into variants.
/// One value of a GB 5084 cell: condition, lower and upper bound.
type Variant = (Option<String>, Option<Decimal>, Option<Decimal>);

fn parse_5084_limit(cell: &str) -> Option<Vec<Variant>> {
    let mut out = Vec::new();
    for part in cell.split(';') {
        let part = part.trim();
        let (expr, variant) = match part.find('(') {
            Some(i) => (
                part[..i].trim(),
                Some(part[i + 1..].trim_end_matches(')').trim().to_owned()),
            ),
            None => (part, None),
        };
        if let Some(rest) = expr.strip_prefix("<=") {
            out.push((variant, None, Some(parse_decimal(rest)?)));
        } else if let Some((lo, hi)) = expr.split_once('-') {
            out.push((variant, Some(parse_decimal(lo)?), Some(parse_decimal(hi)?)));
        } else {
            out.push((variant, None, Some(parse_decimal(expr)?)));
        }
    }
    Some(out)
}

fn load_gb5084() -> StandardsResult<Ruleset> {
    let file = "gb5084_2021.csv";
    let (headers, rows) = read_rows(file, data_file(file))?;
    let c = Cols {
        file,
        headers: &headers,
    };
    let mut values = Vec::with_capacity(rows.len() + 16);
    for (i, row) in rows.iter().enumerate() {
        let item_cn = c.get(row, "item_cn")?;
        let item_en = c.get(row, "item_en")?;
        let written = c.get(row, "limit")?;
        let variants = parse_5084_limit(written)
            .ok_or_else(|| data_err(file, row.0, format!("cannot read limit '{written}'")))?;
        // Basic items (表1) come first in the file; the selected control items (表2) start at BOD5.
        let table = if i < 54 { "表1" } else { "表2" };
        for (variant, lower, upper) in variants {
            let mut v = ThresholdValue::blank(table, item_cn, item_en, ValueType::Limit);
            v.analyte = resolve_code(&[item_cn, item_en]);
            v.crop = Some(c.get(row, "crop_type")?.to_owned());
            v.variant = variant;
            v.lower = lower;
            v.upper = upper;
            v.value_as_written = written.to_owned();
            v.unit = c.get(row, "unit")?.to_owned();
            v.confidence = c.get(row, "confidence")?.to_owned();
            v.source = c.get(row, "source")?.to_owned();
            values.push(v);
        }
    }
    Ok(Ruleset {
        id: GB5084.to_owned(),
        standard: "GB 5084-2021".to_owned(),
        name_cn: "农田灌溉水质标准".to_owned(),
        name: "Standard for irrigation water quality".to_owned(),
        version: "2021 (60 values verified against the 2005 text, 15 recalled)".to_owned(),
        kind: RulesetKind::IrrigationWater,
        media: vec![Medium::IrrigationWater],
        base: None,
        notes: vec![
            "Crop types: paddy (水田作物), dryland (旱地作物), vegetable (蔬菜; a = processed, cooked or peeled, b = eaten raw).".to_owned(),
            "Where a cell holds several values, the first is the default (general areas, non-saline areas, vegetables a).".to_owned(),
            "DOUBT: fluoride 2021 recalled as 2 (general) / 3 (high-fluoride areas); the 2005 page text reads the opposite. Fecal coliforms in MPN/L and ascaris eggs in 个/10L are recalled 2021 units. Verify before use.".to_owned(),
        ],
        values,
    })
}

/// Parse a GB 3838 / GB/T 14848 limit cell: a number, `N (exclusive)`, or text (`无`, `not detected`).
fn parse_water_limit(cell: &str) -> (Option<Decimal>, bool) {
    let t = cell.trim();
    if let Some(n) = t.strip_suffix("(exclusive)") {
        return (parse_decimal(n), true);
    }
    (parse_decimal(t), false)
}

fn load_water(file: &str, gb3838: bool) -> StandardsResult<Vec<ThresholdValue>> {
    let (headers, rows) = read_rows(file, data_file(file))?;
    let c = Cols {
        file,
        headers: &headers,
    };
    let mut values = Vec::with_capacity(rows.len());
    let mut items_seen: Vec<String> = Vec::new();
    for row in &rows {
        let item = c.get(row, "item")?;
        if !items_seen.iter().any(|s| s == item) {
            items_seen.push(item.to_owned());
        }
        let item_no = items_seen.len();
        let class_cell = c.get(row, "class")?;
        let (vt, class) = match WaterClass::parse_roman(class_cell) {
            Some(cl) => (ValueType::ClassLimit, Some(cl)),
            None if class_cell == "source_water_supplementary_or_specific" => {
                (ValueType::SourceWaterLimit, None)
            }
            None => {
                return Err(data_err(
                    file,
                    row.0,
                    format!("unknown class '{class_cell}'"),
                ))
            }
        };
        let table = if gb3838 {
            match vt {
                ValueType::ClassLimit => "表1",
                // 表2: the 5 supplementary items (sulfate, chloride, nitrate, Fe, Mn) follow the 24 basic items.
                _ if item_no <= 29 => "表2",
                _ => "表3",
            }
        } else if item_no <= 39 {
            "表1"
        } else {
            "表2"
        };
        let mut v = ThresholdValue::blank(table, item, "", vt);
        v.analyte = resolve_code(&[item]);
        v.water_class = class;
        if gb3838 {
            if item.contains("河流") {
                v.water_body = Some("river".to_owned());
            } else if item.contains("湖") {
                v.water_body = Some("lake".to_owned());
            }
        }
        let low_cell = c.get(row, "limit_low")?;
        let high_cell = c.get(row, "limit_high")?;
        let (lower, lower_exclusive) = parse_water_limit(low_cell);
        let (upper, _) = parse_water_limit(high_cell);
        v.lower = lower;
        v.lower_exclusive = lower_exclusive;
        v.upper = upper;
        v.value_as_written = match (low_cell.trim(), high_cell.trim()) {
            ("", h) => h.to_owned(),
            (l, "") => format!("≥{l}"),
            (l, h) => format!("{l}–{h}"),
        };
        v.unit = c.get(row, "unit")?.to_owned();
        v.confidence = c.get(row, "confidence")?.to_owned();
        v.source = c.get(row, "source")?.to_owned();
        values.push(v);
    }
    Ok(values)
}

fn load_gb14848() -> StandardsResult<Ruleset> {
    Ok(Ruleset {
        id: GB14848.to_owned(),
        standard: "GB/T 14848-2017".to_owned(),
        name_cn: "地下水质量标准".to_owned(),
        name: "Standard for groundwater quality".to_owned(),
        version: "2017".to_owned(),
        kind: RulesetKind::Groundwater,
        media: vec![Medium::Groundwater],
        base: None,
        notes: vec![
            "Classes Ⅰ–Ⅳ are limits; class Ⅴ is written as 'exceeds the class Ⅳ limit' (lower bound, exclusive). A sample takes the worst class of its items.".to_owned(),
            "Text limits (无, not detected) are listed but not evaluated numerically.".to_owned(),
            "pH: Ⅰ–Ⅲ 6.5–8.5; Ⅳ 5.5–6.5 or 8.5–9.0; otherwise Ⅴ.".to_owned(),
            "Values parsed from machine-readable public data (sm1lewc/Silence.Water), spot-checked (verified_1src).".to_owned(),
        ],
        values: load_water("gb14848_2017.csv", false)?,
    })
}

fn load_gb3838() -> StandardsResult<Ruleset> {
    Ok(Ruleset {
        id: GB3838.to_owned(),
        standard: "GB 3838-2002".to_owned(),
        name_cn: "地表水环境质量标准".to_owned(),
        name: "Environmental quality standards for surface water".to_owned(),
        version: "2002".to_owned(),
        kind: RulesetKind::SurfaceWater,
        media: vec![Medium::SurfaceWater, Medium::IrrigationWater],
        base: None,
        notes: vec![
            "表1 basic items: classes Ⅰ–Ⅴ; a value worse than the Ⅴ limit is 劣Ⅴ类. A sample takes the worst class of its items. Dissolved oxygen is a lower limit.".to_owned(),
            "表2/表3 single values (sulfate, chloride, nitrate, Fe, Mn and the 80 specific items) are limits for centralized drinking-water surface sources, not class Ⅰ limits: they are checked for compliance and never set the class.".to_owned(),
            "Total phosphorus has river and lake/reservoir limits; total nitrogen applies to lakes and reservoirs.".to_owned(),
        ],
        values: load_water("gb3838_2002.csv", true)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn registry_loads_six_rulesets() {
        let reg = RulesetRegistry::load().unwrap();
        let ids: Vec<&str> = reg.list().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, [GB15618, GB36600, GB2762, GB5084, GB14848, GB3838]);
        assert!(reg.get("nope").is_none());
        let e = reg.require("nope").unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains(GB15618), "{e}");
    }

    #[test]
    fn ph_band_boundaries() {
        assert_eq!(PhBand::of(d("5.5")), PhBand::UpTo5_5);
        assert_eq!(PhBand::of(d("5.50")), PhBand::UpTo5_5);
        assert_eq!(PhBand::of(d("5.51")), PhBand::From5_5To6_5);
        assert_eq!(PhBand::of(d("6.5")), PhBand::From5_5To6_5);
        assert_eq!(PhBand::of(d("7.5")), PhBand::From6_5To7_5);
        assert_eq!(PhBand::of(d("7.5000001")), PhBand::Above7_5);
        assert_eq!(PhBand::of(d("0")), PhBand::UpTo5_5);
    }

    #[test]
    fn gb5084_limit_cells_parse() {
        let v = parse_5084_limit("<=40 (a: processed/cooked/peeled); <=15 (b: eaten raw)").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].2, Some(d("40")));
        assert_eq!(v[1].0.as_deref(), Some("b: eaten raw"));
        let v = parse_5084_limit("5.5-8.5").unwrap();
        assert_eq!((v[0].1, v[0].2), (Some(d("5.5")), Some(d("8.5"))));
    }

    #[test]
    fn summary_counts_confidence() {
        let reg = RulesetRegistry::builtin();
        let s = reg.get(GB36600).unwrap().summary();
        assert_eq!(
            s.confidence.iter().map(|c| c.1).sum::<usize>(),
            s.value_count
        );
        assert!(s
            .confidence
            .iter()
            .any(|(c, n)| c == "verified_2src" && *n == 34 * 4));
    }
}
