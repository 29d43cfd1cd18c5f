//! Soil evaluation: GB 15618-2018 (farmland) and GB 36600-2018 (construction land), compiled from
//! a [`Ruleset`] (national or a local overlay) into a lookup table, then applied to a sample.
//!
//! # Rules (issue 3)
//! * GB 15618 pH bands: pH ≤ 5.5; 5.5 < pH ≤ 6.5; 6.5 < pH ≤ 7.5; pH > 7.5. Land use `paddy`,
//!   `upland` (the standard's "other" column), `orchard` (Cu uses the orchard column, every other
//!   item "other"), `rotation` (the stricter of paddy and other, item by item).
//! * Single-factor index P = C / screening value for every item with a screening value.
//! * Method `gb15618`: items with an intervention value (Cd, Hg, As, Pb, Cr) decide the class:
//!   C ≤ screening → priority protection; screening < C ≤ intervention → safe utilization;
//!   C > intervention → strict control; the sample takes the worst. Other items above their
//!   screening value are listed as exceedances only.
//! * Method `pollution-index`: grade of the largest P: ≤ 1 unpolluted, (1, 2] slight, (2, 3] mild,
//!   (3, 5] moderate, > 5 severe; unpolluted and slight → priority protection, mild and moderate →
//!   safe utilization, severe → strict control.
//! * Non-detects count as half the detection limit; flag `nd_dl_above_screening` where the limit
//!   exceeds the screening value. Several results of one item: their mean, flag
//!   `duplicate_results`. Missing pH: each item's lowest value over the four bands, flag `ph_missing`.
//! * GB 36600: every item decides; `below_screening`, `above_screening`, `above_intervention`.
//!
//! All comparisons are exact decimal comparisons, so a value equal to a threshold as written is
//! equal to it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use soilwatch_core::{AnalysisResult, AnalyteCatalogue, Dimension, FarmlandGroup, LandUse, Unit};

use crate::error::{StandardsError, StandardsResult};
use crate::ruleset::{PhBand, Ruleset, RulesetKind, RulesetRegistry, ValueType, GB15618, GB36600};

/// How a farmland sample is classed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Method {
    /// `gb15618` — the legal basis (default): Cd, Hg, As, Pb, Cr against screening and
    /// intervention values.
    #[default]
    #[serde(rename = "gb15618")]
    Gb15618,
    /// `pollution-index` — grade of the largest single-factor index.
    #[serde(rename = "pollution-index")]
    PollutionIndex,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::Gb15618 => "gb15618",
            Method::PollutionIndex => "pollution-index",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Method {
    type Err = StandardsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace('_', "-").as_str() {
            "gb15618" | "gb-15618" | "gb15618-2018" => Ok(Method::Gb15618),
            "pollution-index" | "pi" | "index" => Ok(Method::PollutionIndex),
            _ => Err(StandardsError::InvalidInput {
                field: "method",
                value: s.to_owned(),
                expected: "gb15618 | pollution-index".to_owned(),
            }),
        }
    }
}

/// GB 36600 land class (用地类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LandClass {
    /// 第一类用地 (also the class for a site whose planned use is unknown).
    #[default]
    Class1,
    /// 第二类用地
    Class2,
}

impl LandClass {
    pub fn number(self) -> u8 {
        match self {
            LandClass::Class1 => 1,
            LandClass::Class2 => 2,
        }
    }
}

impl FromStr for LandClass {
    type Err = StandardsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_lowercase()
            .replace([' ', '_', '-'], "")
            .as_str()
        {
            "1" | "class1" | "第一类用地" | "一类" | "第一类" => Ok(LandClass::Class1),
            "2" | "class2" | "第二类用地" | "二类" | "第二类" => Ok(LandClass::Class2),
            _ => Err(StandardsError::InvalidInput {
                field: "land_class",
                value: s.to_owned(),
                expected: "1 | 2 (第一类用地 | 第二类用地)".to_owned(),
            }),
        }
    }
}

/// The class of a soil sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SoilClass {
    /// 优先保护类 — priority protection
    PriorityProtection,
    /// 安全利用类 — safe utilization
    SafeUtilization,
    /// 严格管控类 — strict control
    StrictControl,
    /// 低于筛选值 — at or below the GB 36600 screening value
    BelowScreening,
    /// 超过筛选值 — further investigation and risk assessment required
    AboveScreening,
    /// 超过管制值 — risk control or remediation required
    AboveIntervention,
}

impl SoilClass {
    /// Code as printed in outputs.
    pub fn code(self) -> &'static str {
        match self {
            SoilClass::PriorityProtection => "priority_protection",
            SoilClass::SafeUtilization => "safe_utilization",
            SoilClass::StrictControl => "strict_control",
            SoilClass::BelowScreening => "below_screening",
            SoilClass::AboveScreening => "above_screening",
            SoilClass::AboveIntervention => "above_intervention",
        }
    }

    /// Chinese name.
    pub fn name_cn(self) -> &'static str {
        match self {
            SoilClass::PriorityProtection => "优先保护类",
            SoilClass::SafeUtilization => "安全利用类",
            SoilClass::StrictControl => "严格管控类",
            SoilClass::BelowScreening => "不超过筛选值",
            SoilClass::AboveScreening => "超过筛选值（需详细调查和风险评估）",
            SoilClass::AboveIntervention => "超过管制值（需风险管控或修复）",
        }
    }

    fn from_level(kind: RulesetKind, level: u8) -> SoilClass {
        match (kind, level) {
            (RulesetKind::ConstructionLand, 0) => SoilClass::BelowScreening,
            (RulesetKind::ConstructionLand, 1) => SoilClass::AboveScreening,
            (RulesetKind::ConstructionLand, _) => SoilClass::AboveIntervention,
            (_, 0) => SoilClass::PriorityProtection,
            (_, 1) => SoilClass::SafeUtilization,
            _ => SoilClass::StrictControl,
        }
    }
}

impl fmt::Display for SoilClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Single-factor pollution grade (by P = C / screening value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PollutionGrade {
    /// 无污染, P ≤ 1
    Unpolluted,
    /// 轻微污染, 1 < P ≤ 2
    Slight,
    /// 轻度污染, 2 < P ≤ 3
    Mild,
    /// 中度污染, 3 < P ≤ 5
    Moderate,
    /// 重度污染, P > 5
    Severe,
}

impl PollutionGrade {
    pub fn code(self) -> &'static str {
        match self {
            PollutionGrade::Unpolluted => "unpolluted",
            PollutionGrade::Slight => "slight",
            PollutionGrade::Mild => "mild",
            PollutionGrade::Moderate => "moderate",
            PollutionGrade::Severe => "severe",
        }
    }

    /// The grade of a single-factor index.
    ///
    /// # Examples
    /// ```
    /// use rust_decimal::Decimal;
    /// use soilwatch_standards::PollutionGrade;
    /// assert_eq!(PollutionGrade::of(Decimal::ONE), PollutionGrade::Unpolluted);
    /// assert_eq!(PollutionGrade::of(Decimal::new(5, 0)), PollutionGrade::Moderate);
    /// ```
    pub fn of(p: Decimal) -> PollutionGrade {
        if p <= Decimal::ONE {
            PollutionGrade::Unpolluted
        } else if p <= Decimal::TWO {
            PollutionGrade::Slight
        } else if p <= Decimal::new(3, 0) {
            PollutionGrade::Mild
        } else if p <= Decimal::new(5, 0) {
            PollutionGrade::Moderate
        } else {
            PollutionGrade::Severe
        }
    }

    /// The grade of C / S, without dividing (exact at every boundary).
    pub fn of_ratio(c: Decimal, s: Decimal) -> PollutionGrade {
        let times = |k: i64| s.checked_mul(Decimal::new(k, 0));
        let le = |k: i64| times(k).is_none_or(|t| c <= t);
        if c <= s {
            PollutionGrade::Unpolluted
        } else if le(2) {
            PollutionGrade::Slight
        } else if le(3) {
            PollutionGrade::Mild
        } else if le(5) {
            PollutionGrade::Moderate
        } else {
            PollutionGrade::Severe
        }
    }

    /// [`PollutionGrade::of_ratio`], with C and S also as floats (within 1e-12 of the
    /// decimals): the floats decide unless C is within 1e-9 of a boundary.
    #[inline]
    pub(crate) fn of_ratio_f(c: Decimal, cf: f64, s: Decimal, sf: f64) -> PollutionGrade {
        let le = |k: i64, kf: f64| {
            let t = sf * kf;
            if cf < t * (1.0 - 1e-9) {
                true
            } else if cf > t * (1.0 + 1e-9) {
                false
            } else {
                s.checked_mul(Decimal::new(k, 0)).is_none_or(|t| c <= t)
            }
        };
        if le(1, 1.0) {
            PollutionGrade::Unpolluted
        } else if le(2, 2.0) {
            PollutionGrade::Slight
        } else if le(3, 3.0) {
            PollutionGrade::Mild
        } else if le(5, 5.0) {
            PollutionGrade::Moderate
        } else {
            PollutionGrade::Severe
        }
    }

    /// The class the work plan maps the grade to.
    pub fn class(self) -> SoilClass {
        match self {
            PollutionGrade::Unpolluted | PollutionGrade::Slight => SoilClass::PriorityProtection,
            PollutionGrade::Mild | PollutionGrade::Moderate => SoilClass::SafeUtilization,
            PollutionGrade::Severe => SoilClass::StrictControl,
        }
    }
}

/// A remark on a sample's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A non-detect's detection limit exceeds the item's screening value: the result cannot
    /// show the sample is below it.
    NdDlAboveScreening,
    /// Several results for one item: their mean was used.
    DuplicateResults,
    /// No pH: each item's lowest value over the four pH bands was used.
    PhMissing,
    /// Rows of the sample give different pH values: the first was used.
    PhConflict,
    /// Rows of the sample give different land uses: the first was used.
    LandUseConflict,
    /// None of the items that decide the class (Cd, Hg, As, Pb, Cr under `gb15618`; any item
    /// with a screening value otherwise) was measured: no class.
    NoDecisiveItems,
    /// A row of the sample could not be read (batch only): no class.
    RowError,
}

impl Flag {
    pub const ALL: [Flag; 7] = [
        Flag::NdDlAboveScreening,
        Flag::DuplicateResults,
        Flag::PhMissing,
        Flag::PhConflict,
        Flag::LandUseConflict,
        Flag::NoDecisiveItems,
        Flag::RowError,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Flag::NdDlAboveScreening => "nd_dl_above_screening",
            Flag::DuplicateResults => "duplicate_results",
            Flag::PhMissing => "ph_missing",
            Flag::PhConflict => "ph_conflict",
            Flag::LandUseConflict => "land_use_conflict",
            Flag::NoDecisiveItems => "no_decisive_items",
            Flag::RowError => "row_error",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of flags (bit set, in the fixed order of [`Flag::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub(crate) u16);

impl Flags {
    pub fn insert(&mut self, f: Flag) {
        self.0 |= f.bit();
    }
    pub fn contains(self, f: Flag) -> bool {
        self.0 & f.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The flags, in fixed order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }
    pub fn to_vec(self) -> Vec<Flag> {
        self.iter().collect()
    }
}

/// Thresholds of one item in one context (land use group and pH band, or land class).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Cell {
    pub screening: Option<Decimal>,
    pub intervention: Option<Decimal>,
    /// Which column the screening value came from (`paddy`, `other`, `orchard`, `all`, `stricter of paddy and other`, `class 1`).
    pub column: &'static str,
    /// 1 / screening as a float, to find the largest index quickly (the value printed is exact).
    pub inv_screening: f64,
    /// Screening and intervention values as floats (NaN when absent): they settle a comparison
    /// quickly when the value is clearly apart from the threshold ([`le_exact`]).
    pub screening_f: f64,
    pub intervention_f: f64,
}

/// `c <= t`, exactly. The floats `cf` and `tf` (within 1e-12 of `c` and `t`, relatively) decide
/// when they are more than 1e-9 apart; otherwise the decimals are compared.
#[inline]
pub(crate) fn le_exact(c: Decimal, cf: f64, t: Decimal, tf: f64) -> bool {
    if cf < tf * (1.0 - 1e-9) {
        true
    } else if cf > tf * (1.0 + 1e-9) {
        false
    } else {
        c <= t
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub code: String,
    pub decisive: bool,
    pub screening_table: String,
    pub intervention_table: String,
    pub cells: Vec<Cell>,
}

/// A soil ruleset compiled for evaluation. Build one per ruleset (cheap), or use
/// [`SoilEngine::builtin`] for the national ones.
#[derive(Debug, Clone)]
pub struct SoilEngine {
    pub(crate) ruleset_id: String,
    pub(crate) kind: RulesetKind,
    pub(crate) slots: Vec<Slot>,
    pub(crate) index: HashMap<String, u16>,
}

/// Number of contexts of a farmland engine: 4 groups × (4 pH bands + pH missing).
const FARMLAND_CTX: usize = 20;

/// The context index of a farmland group and pH band (`None` = pH missing).
pub(crate) fn farmland_ctx(group: FarmlandGroup, band: Option<PhBand>) -> usize {
    let g = match group {
        FarmlandGroup::Paddy => 0,
        FarmlandGroup::Upland => 1,
        FarmlandGroup::Orchard => 2,
        FarmlandGroup::Rotation => 3,
    };
    g * 5 + band.map_or(4, PhBand::index)
}

fn dmin(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl SoilEngine {
    /// The engine of a built-in soil ruleset (`gb15618-2018` or `gb36600-2018`), compiled once.
    pub fn builtin(id: &str) -> StandardsResult<&'static SoilEngine> {
        static GB15618_ENGINE: OnceLock<SoilEngine> = OnceLock::new();
        static GB36600_ENGINE: OnceLock<SoilEngine> = OnceLock::new();
        let cell = match id {
            GB15618 => &GB15618_ENGINE,
            GB36600 => &GB36600_ENGINE,
            _ => {
                let reg = RulesetRegistry::builtin();
                reg.require(id)?;
                return Err(StandardsError::WrongRuleset {
                    id: id.to_owned(),
                    purpose:
                        "soil evaluation (use gb15618-2018, gb36600-2018 or a local overlay of one)",
                });
            }
        };
        if let Some(e) = cell.get() {
            return Ok(e);
        }
        // (only this ruleset's data parsed, unless the registry has been loaded already)
        let engine = match (RulesetRegistry::load_soil(id), RulesetRegistry::loaded()) {
            (Some(ruleset), None) => SoilEngine::new(&ruleset?)?,
            _ => SoilEngine::new(RulesetRegistry::builtin().require(id)?)?,
        };
        Ok(cell.get_or_init(|| engine))
    }

    /// Compile a farmland or construction-land ruleset.
    pub fn new(ruleset: &Ruleset) -> StandardsResult<SoilEngine> {
        // Thresholds of at least 10⁻¹² mg/kg: with values of at most 10⁶ mg/kg, every index
        // C / S then fits a decimal (and zero never divides).
        for v in &ruleset.values {
            if let (ValueType::Screening | ValueType::Intervention, Some(u)) =
                (v.value_type, v.upper)
            {
                if u < crate::exact::MIN_THRESHOLD_MG_KG {
                    return Err(StandardsError::InvalidInput {
                        field: "threshold",
                        value: format!("{} {}: {u}", ruleset.id, v.item_cn),
                        expected: "a threshold of at least 10⁻¹² mg/kg / 阈值不得小于 10⁻¹² mg/kg"
                            .to_owned(),
                    });
                }
            }
        }
        match ruleset.kind {
            RulesetKind::Farmland => Self::farmland(ruleset),
            RulesetKind::ConstructionLand => Self::construction(ruleset),
            _ => Err(StandardsError::WrongRuleset {
                id: ruleset.id.clone(),
                purpose:
                    "soil evaluation (use gb15618-2018, gb36600-2018 or a local overlay of one)",
            }),
        }
    }

    fn slot_of(
        slots: &mut Vec<Slot>,
        index: &mut HashMap<String, u16>,
        code: &str,
        n_ctx: usize,
    ) -> usize {
        if let Some(&i) = index.get(code) {
            return usize::from(i);
        }
        let i = slots.len();
        slots.push(Slot {
            code: code.to_owned(),
            decisive: false,
            screening_table: String::new(),
            intervention_table: String::new(),
            cells: vec![Cell::default(); n_ctx],
        });
        index.insert(code.to_owned(), u16::try_from(i).unwrap_or(u16::MAX));
        i
    }

    fn farmland(ruleset: &Ruleset) -> StandardsResult<SoilEngine> {
        // raw[slot][value type 0 = screening, 1 = intervention][column paddy/other/orchard][band]
        type Raw = [[[Option<Decimal>; 4]; 3]; 2];
        let mut slots: Vec<Slot> = Vec::new();
        let mut index = HashMap::new();
        let mut raw: Vec<Raw> = Vec::new();
        for v in &ruleset.values {
            let Some(code) = v.analyte.as_deref() else {
                continue;
            };
            let Some(value) = v.upper else { continue };
            let t = match v.value_type {
                ValueType::Screening => 0,
                ValueType::Intervention => 1,
                _ => continue,
            };
            let i = Self::slot_of(&mut slots, &mut index, code, FARMLAND_CTX);
            if raw.len() <= i {
                raw.resize(i + 1, [[[None; 4]; 3]; 2]);
            }
            let slot = &mut slots[i];
            if t == 0 {
                if slot.screening_table.is_empty() {
                    slot.screening_table = v.table.clone();
                }
            } else {
                slot.decisive = true;
                if slot.intervention_table.is_empty() {
                    slot.intervention_table = v.table.clone();
                }
            }
            let cols: &[usize] = match v.land_use.as_deref().unwrap_or("all") {
                "paddy" => &[0],
                "other" => &[1],
                "orchard" => &[2],
                _ => &[0, 1, 2],
            };
            let bands: Vec<usize> = match v.ph_band {
                Some(b) => vec![b.index()],
                None => vec![0, 1, 2, 3],
            };
            for &c in cols {
                for &b in &bands {
                    let cell = &mut raw[i][t][c][b];
                    *cell = dmin(*cell, Some(value));
                }
            }
        }
        for (i, slot) in slots.iter_mut().enumerate() {
            let r = &raw[i];
            // Which columns were written explicitly (an `all` row writes every column, so check
            // whether paddy differs from other to name the column honestly).
            for (g, group) in [
                FarmlandGroup::Paddy,
                FarmlandGroup::Upland,
                FarmlandGroup::Orchard,
                FarmlandGroup::Rotation,
            ]
            .into_iter()
            .enumerate()
            {
                let pick = |t: usize, b: usize| -> (Option<Decimal>, &'static str) {
                    let (paddy, other, orchard) = (r[t][0][b], r[t][1][b], r[t][2][b]);
                    match group {
                        FarmlandGroup::Paddy => match paddy {
                            Some(p) => (Some(p), "paddy"),
                            None => (other, "other"),
                        },
                        FarmlandGroup::Upland => (other, "other"),
                        FarmlandGroup::Orchard => match orchard {
                            Some(o) => (Some(o), "orchard"),
                            None => (other, "other"),
                        },
                        FarmlandGroup::Rotation => {
                            (dmin(paddy.or(other), other), "stricter of paddy and other")
                        }
                    }
                };
                for b in 0..4 {
                    let (s, col) = pick(0, b);
                    let (iv, _) = pick(1, b);
                    slot.cells[g * 5 + b] = Cell {
                        screening: s,
                        intervention: iv,
                        column: col,
                        ..Cell::default()
                    };
                }
                // pH missing: the lowest of the four band values, screening and intervention alike.
                let mut s = None;
                let mut iv = None;
                for b in 0..4 {
                    s = dmin(s, slot.cells[g * 5 + b].screening);
                    iv = dmin(iv, slot.cells[g * 5 + b].intervention);
                }
                slot.cells[g * 5 + 4] = Cell {
                    screening: s,
                    intervention: iv,
                    column: slot.cells[g * 5].column,
                    ..Cell::default()
                };
            }
        }
        Ok(SoilEngine {
            ruleset_id: ruleset.id.clone(),
            kind: RulesetKind::Farmland,
            slots,
            index,
        }
        .with_float_screening())
    }

    fn construction(ruleset: &Ruleset) -> StandardsResult<SoilEngine> {
        let mut slots: Vec<Slot> = Vec::new();
        let mut index = HashMap::new();
        for v in &ruleset.values {
            let (Some(code), Some(value), Some(class)) =
                (v.analyte.as_deref(), v.upper, v.land_class)
            else {
                continue;
            };
            let ctx = usize::from(class.clamp(1, 2) - 1);
            let i = Self::slot_of(&mut slots, &mut index, code, 2);
            let slot = &mut slots[i];
            slot.decisive = true;
            let cell = &mut slot.cells[ctx];
            cell.column = if ctx == 0 { "class 1" } else { "class 2" };
            match v.value_type {
                ValueType::Screening => {
                    slot.screening_table.clone_from(&v.table);
                    cell.screening = dmin(cell.screening, Some(value));
                }
                ValueType::Intervention => {
                    slot.intervention_table.clone_from(&v.table);
                    cell.intervention = dmin(cell.intervention, Some(value));
                }
                _ => {}
            }
        }
        Ok(SoilEngine {
            ruleset_id: ruleset.id.clone(),
            kind: RulesetKind::ConstructionLand,
            slots,
            index,
        }
        .with_float_screening())
    }

    fn with_float_screening(mut self) -> Self {
        for slot in &mut self.slots {
            for cell in &mut slot.cells {
                cell.inv_screening = cell
                    .screening
                    .and_then(|s| s.to_f64())
                    .filter(|s| *s > 0.0)
                    .map_or(0.0, |s| 1.0 / s);
                cell.screening_f = cell.screening.and_then(|s| s.to_f64()).unwrap_or(f64::NAN);
                cell.intervention_f = cell
                    .intervention
                    .and_then(|s| s.to_f64())
                    .unwrap_or(f64::NAN);
            }
        }
        self
    }

    /// The ruleset this engine was compiled from.
    pub fn ruleset_id(&self) -> &str {
        &self.ruleset_id
    }

    /// Farmland or construction land.
    pub fn kind(&self) -> RulesetKind {
        self.kind
    }

    pub(crate) fn slot(&self, code: &str) -> Option<u16> {
        self.index.get(code).copied()
    }

    /// Screening and intervention value of an item for a farmland group and pH band
    /// (`None` band = pH missing: lowest of the four). For a construction-land engine the group
    /// and band are ignored; use [`SoilEngine::construction_thresholds`].
    pub fn farmland_thresholds(
        &self,
        analyte: &str,
        group: FarmlandGroup,
        band: Option<PhBand>,
    ) -> Option<(Option<Decimal>, Option<Decimal>)> {
        if self.kind != RulesetKind::Farmland {
            return None;
        }
        let s = self.slot(analyte)?;
        let c = self.slots[usize::from(s)].cells[farmland_ctx(group, band)];
        Some((c.screening, c.intervention))
    }

    /// Screening and intervention value of an item for a GB 36600 land class.
    pub fn construction_thresholds(
        &self,
        analyte: &str,
        class: LandClass,
    ) -> Option<(Option<Decimal>, Option<Decimal>)> {
        if self.kind != RulesetKind::ConstructionLand {
            return None;
        }
        let s = self.slot(analyte)?;
        let c = self.slots[usize::from(s)].cells[usize::from(class.number() - 1)];
        Some((c.screening, c.intervention))
    }

    /// The level of one item: 0 ≤ screening, 1 ≤ intervention (or no intervention value),
    /// 2 above intervention; `None` without a screening value.
    #[inline]
    pub(crate) fn level(cell: &Cell, c: Decimal) -> Option<u8> {
        let s = cell.screening?;
        if c <= s {
            return Some(0);
        }
        match cell.intervention {
            Some(i) if c > i => Some(2),
            _ => Some(1),
        }
    }

    /// Judge aggregated items in one context. `aggs[i].slot` must be a slot of this engine or
    /// `u16::MAX` (an item without thresholds).
    pub(crate) fn judge(&self, ctx: usize, aggs: &[Agg], method: Method, v: &mut Verdict) {
        v.level = None;
        v.max_pi = None;
        v.exceed_screening.clear();
        v.exceed_intervention.clear();
        let mut max_level: Option<u8> = None;
        let mut max_grade: Option<PollutionGrade> = None;
        // Largest P = C / screening: found with floats (P values closer than 1e-12 are a tie, and
        // on a tie any of them may be named), then computed exactly for the chosen item.
        let mut best: Option<(f64, usize)> = None;
        for (k, a) in aggs.iter().enumerate() {
            let Some(slot) = self.slots.get(usize::from(a.slot)) else {
                continue;
            };
            let cell = &slot.cells[ctx];
            let Some(s) = cell.screening else { continue };
            if a.nd_dl_max.is_some_and(|dl| dl > s) {
                v.flags.insert(Flag::NdDlAboveScreening);
            }
            let cf = a.approx_value();
            let p = cf * cell.inv_screening;
            if best.is_none_or(|(bp, _)| p > bp) {
                best = Some((p, k));
            }
            // The float is within 1e-12 of the value unless very many results were averaged;
            // the exact value is computed only when the float cannot settle a comparison.
            let level = if a.n <= 1000 {
                let le = |t: Decimal, tf: f64| {
                    if cf < tf * (1.0 - 1e-9) {
                        true
                    } else if cf > tf * (1.0 + 1e-9) {
                        false
                    } else {
                        a.value() <= t
                    }
                };
                if le(s, cell.screening_f) {
                    0
                } else {
                    match cell.intervention {
                        Some(i) if !le(i, cell.intervention_f) => 2,
                        _ => 1,
                    }
                }
            } else {
                Self::level(cell, a.value()).unwrap_or(0)
            };
            if level >= 1 {
                v.exceed_screening.push(a.slot);
            }
            if level == 2 {
                v.exceed_intervention.push(a.slot);
            }
            if method == Method::PollutionIndex {
                // exact grade of this item: C compared with 1, 2, 3 and 5 times the screening value
                let c = a.value();
                let g = if a.n <= 1000 {
                    PollutionGrade::of_ratio_f(c, cf, s, cell.screening_f)
                } else {
                    PollutionGrade::of_ratio(c, s)
                };
                max_grade = Some(max_grade.map_or(g, |m: PollutionGrade| m.max(g)));
            } else if slot.decisive {
                max_level = Some(max_level.map_or(level, |m| m.max(level)));
            }
        }
        v.max_pi = best.and_then(|(_, k)| {
            let a = aggs.get(k)?;
            let s = self.slots.get(usize::from(a.slot))?.cells[ctx].screening?;
            Some((a.value(), s, a.slot))
        });
        v.level = match (self.kind, method) {
            (RulesetKind::Farmland, Method::PollutionIndex) => max_grade.map(|g| match g.class() {
                SoilClass::PriorityProtection => 0,
                SoilClass::SafeUtilization => 1,
                _ => 2,
            }),
            _ => max_level,
        };
        if v.level.is_none() {
            v.flags.insert(Flag::NoDecisiveItems);
        }
    }

    pub(crate) fn class_of_level(&self, level: u8) -> SoilClass {
        SoilClass::from_level(self.kind, level)
    }
}

/// One item of a sample, aggregated over its results (values in mg/kg).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Agg {
    /// Engine slot, or `u16::MAX` for an item without thresholds.
    pub slot: u16,
    pub sum: Decimal,
    pub n: u32,
    /// Largest detection limit among the item's non-detects.
    pub nd_dl_max: Option<Decimal>,
    /// Sum of the values as floats (only to rank indices; never printed or compared with a threshold).
    pub approx: f64,
}

impl Agg {
    /// The value used: the mean of the results (each non-detect as half its detection limit).
    #[inline]
    pub fn value(&self) -> Decimal {
        if self.n <= 1 {
            self.sum
        } else {
            self.sum / Decimal::from(self.n)
        }
    }

    /// The mean as a float.
    #[inline]
    pub fn approx_value(&self) -> f64 {
        if self.n <= 1 {
            self.approx
        } else {
            self.approx / f64::from(self.n)
        }
    }

    /// Add one result (`approx` is the value as a float); `nd_dl` is the detection limit of a
    /// non-detect. `false`, leaving the item unchanged, when the sum cannot be held exactly.
    #[inline]
    #[must_use]
    pub fn add(&mut self, value: Decimal, approx: f64, nd_dl: Option<Decimal>) -> bool {
        if self.n == 0 {
            self.sum = value;
        } else {
            match crate::exact::add(self.sum, value) {
                Some(sum) => self.sum = sum,
                None => return false,
            }
        }
        self.approx += approx;
        self.n += 1;
        if let Some(dl) = nd_dl {
            self.nd_dl_max = dmin_rev(self.nd_dl_max, dl);
        }
        true
    }
}

fn dmin_rev(a: Option<Decimal>, b: Decimal) -> Option<Decimal> {
    Some(a.map_or(b, |x| x.max(b)))
}

/// The outcome of judging one sample (indices into the engine).
#[derive(Debug, Default, Clone)]
pub(crate) struct Verdict {
    pub level: Option<u8>,
    /// The item with the largest P: its value C, its screening value S (P = C / S) and its slot.
    pub max_pi: Option<(Decimal, Decimal, u16)>,
    pub exceed_screening: Vec<u16>,
    pub exceed_intervention: Vec<u16>,
    pub flags: Flags,
}

/// Round an index to 6 decimals (half away from zero), as printed.
pub fn round_pi(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

/// The evaluation of one item of a sample, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemEvaluation {
    /// Catalogue code (`Cd`, …).
    pub analyte: String,
    pub name_cn: String,
    pub name_en: String,
    /// Value used, mg/kg (mean of the results; a non-detect counts as half its detection limit).
    pub value_mg_kg: Decimal,
    /// Number of results averaged.
    pub results: u32,
    /// Largest detection limit among the item's non-detects (mg/kg), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_detect_limit: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervention: Option<Decimal>,
    /// Table of the screening value (`表1`, `表2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening_table: Option<String>,
    /// Table of the intervention value (`表3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervention_table: Option<String>,
    /// Column of the table used (`paddy`, `other`, `orchard`, `stricter of paddy and other`, `class 1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// P = C / screening, rounded to 6 decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pi: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<PollutionGrade>,
    /// Class this item alone would give (for items that decide the class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_class: Option<SoilClass>,
    /// Whether this item takes part in deciding the sample's class.
    pub decisive: bool,
    pub exceeds_screening: bool,
    pub exceeds_intervention: bool,
}

/// The evaluation of one soil sample, with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoilEvaluation {
    pub ruleset: String,
    pub method: Method,
    /// Farmland group used (`paddy`, `upland`, `orchard`, `rotation`); GB 36600: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_use: Option<FarmlandGroup>,
    /// GB 36600 land class used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_class: Option<LandClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph: Option<Decimal>,
    /// pH band used; none when pH is missing (each item's lowest band value is used) or GB 36600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph_band: Option<PhBand>,
    /// The class; none when no item that decides the class was measured.
    pub class: Option<SoilClass>,
    /// Grade of the largest P.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<PollutionGrade>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pi: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pi_analyte: Option<String>,
    pub exceed_screening: Vec<String>,
    pub exceed_intervention: Vec<String>,
    pub flags: Vec<Flag>,
    /// The rule that decided the class, in Chinese and English.
    pub rule: String,
    pub items: Vec<ItemEvaluation>,
}

/// What a stored sample needs besides its results.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SoilSampleContext {
    /// Land use (GB 15618 needs one of the farmland groups; GB 36600 ignores it).
    pub land_use: Option<LandUse>,
    /// The sample's pH; `None` → each item's lowest value over the four bands, flag `ph_missing`.
    /// A `pH` result among the results is used when this is `None`.
    pub ph: Option<Decimal>,
    pub method: Method,
    /// GB 36600 land class (default class 1).
    pub land_class: LandClass,
}

pub(crate) fn check_ph(ph: Decimal) -> StandardsResult<Decimal> {
    if ph < Decimal::ZERO || ph > Decimal::new(14, 0) {
        return Err(StandardsError::InvalidInput {
            field: "ph",
            value: ph.to_string(),
            expected: "a pH between 0 and 14 / pH 应在 0–14 之间".to_owned(),
        });
    }
    Ok(ph)
}

impl SoilEngine {
    /// Evaluate one stored sample from its results.
    ///
    /// Results are matched to the ruleset by catalogue code (any alias resolves); units are
    /// converted exactly to mg/kg (a unit that is not a mass fraction is an error). Results of
    /// items without thresholds (organic matter, CEC, …) are listed without thresholds. Results in
    /// radiation units (Bq/kg, Bq/L, nGy/h, μGy/h) are left out: neither standard has them.
    ///
    /// # Examples
    /// ```
    /// use rust_decimal::Decimal;
    /// use soilwatch_core::{AnalysisResult, LandUse, Qualifier, Unit};
    /// use soilwatch_standards::{SoilClass, SoilEngine, SoilSampleContext};
    /// let engine = SoilEngine::builtin("gb15618-2018").unwrap();
    /// let cd = AnalysisResult {
    ///     sample_code: "S1".into(), analyte: "Cd".into(), value: Some("0.4".parse().unwrap()),
    ///     unit: Unit::MgPerKg, detection_limit: None, qualifier: Qualifier::Detected, method: None,
    /// };
    /// let ctx = SoilSampleContext {
    ///     land_use: Some("水田".parse::<LandUse>().unwrap()),
    ///     ph: Some(Decimal::new(60, 1)),
    ///     ..Default::default()
    /// };
    /// let ev = engine.evaluate(&ctx, &[cd]).unwrap();
    /// assert_eq!(ev.class, Some(SoilClass::PriorityProtection)); // 0.4 = screening (paddy, 5.5<pH≤6.5)
    /// ```
    pub fn evaluate(
        &self,
        ctx: &SoilSampleContext,
        results: &[AnalysisResult],
    ) -> StandardsResult<SoilEvaluation> {
        let cat = AnalyteCatalogue::builtin();
        let mut flags = Flags::default();
        let mut codes: Vec<String> = Vec::new();
        let mut aggs: Vec<Agg> = Vec::new();
        let mut ph_results: Vec<Decimal> = Vec::new();
        for r in results {
            r.validate()?;
            let analyte = cat.require(&r.analyte)?;
            let nd = r.is_non_detect();
            if analyte.code == "pH" {
                if let Some(v) = r.value {
                    ph_results.push(check_ph(v.get())?);
                }
                continue;
            }
            // Radiation items (Bq/kg, nGy/h: mining areas' radiation monitoring, issue 8) have no
            // value in GB 15618 or GB 36600 and no mass fraction: they are not soil items here.
            if matches!(
                r.unit.dimension(),
                Dimension::SpecificActivity
                    | Dimension::ActivityConcentration
                    | Dimension::DoseRate
            ) {
                continue;
            }
            let factor = r.unit.factor_to(Unit::MgPerKg)?;
            // In mg/kg, exactly, at most 1,000,000 mg/kg (then nothing below can overflow).
            let to_mg_kg = |field: &'static str, x: Decimal| {
                crate::exact::to_mg_kg(x, factor).map_err(|e| StandardsError::InvalidInput {
                    field,
                    value: format!("{x} {}", r.unit),
                    expected: match e {
                        crate::exact::NumError::TooPrecise => crate::exact::TOO_PRECISE.to_owned(),
                        _ => "a mass fraction of at most 1,000,000 mg/kg (100 %) / 不超过 1 000 000 mg/kg（100 %）的含量".to_owned(),
                    },
                })
            };
            let (value, nd_dl) = if nd {
                let (field, dl) = match (r.detection_limit, r.value) {
                    (Some(dl), _) => ("detection_limit", dl),
                    (None, Some(v)) => ("value", v),
                    (None, None) => {
                        return Err(StandardsError::InvalidInput {
                            field: "detection_limit",
                            value: String::new(),
                            expected: "a detection limit for a non-detect / 未检出须给出检出限"
                                .to_owned(),
                        })
                    }
                };
                let dl = to_mg_kg(field, dl.get())?;
                let half = crate::exact::mul(dl, Decimal::new(5, 1)).ok_or_else(|| {
                    StandardsError::InvalidInput {
                        field,
                        value: dl.to_string(),
                        expected: crate::exact::TOO_PRECISE.to_owned(),
                    }
                })?;
                (half, Some(dl))
            } else {
                let v = to_mg_kg("value", r.value.map(|a| a.get()).unwrap_or_default())?;
                (v, None)
            };
            let i = match codes.iter().position(|c| *c == analyte.code) {
                Some(i) => i,
                None => {
                    codes.push(analyte.code.clone());
                    aggs.push(Agg {
                        slot: self.slot(&analyte.code).unwrap_or(u16::MAX),
                        sum: Decimal::ZERO,
                        n: 0,
                        nd_dl_max: None,
                        approx: 0.0,
                    });
                    codes.len() - 1
                }
            };
            if !aggs[i].add(value, value.to_f64().unwrap_or(f64::MAX), nd_dl) {
                return Err(StandardsError::InvalidInput {
                    field: "value",
                    value: format!("{} {}", value.normalize(), analyte.code),
                    expected: crate::exact::SUM_TOO_PRECISE.to_owned(),
                });
            }
        }
        if aggs.iter().any(|a| a.n > 1) {
            flags.insert(Flag::DuplicateResults);
        }
        let ph = match ctx.ph {
            Some(p) => Some(check_ph(p)?),
            None if !ph_results.is_empty() => {
                let n = Decimal::from(ph_results.len());
                Some(ph_results.iter().copied().sum::<Decimal>() / n)
            }
            None => None,
        };
        let (group, band, land_class, cidx) = match self.kind {
            RulesetKind::Farmland => {
                let lu = ctx.land_use.ok_or_else(|| StandardsError::InvalidInput {
                    field: "land_use",
                    value: String::new(),
                    expected: "a farmland land use (paddy, upland, orchard, rotation, 水田, 0101, …) / GB 15618 须给出农用地类型".to_owned(),
                })?;
                let group = lu.farmland_group().ok_or_else(|| StandardsError::InvalidInput {
                    field: "land_use",
                    value: format!("{} {}", lu.code(), lu.name_cn()),
                    expected: "farmland covered by GB 15618 (耕地, 园地, 牧草地) / 非农用地，不适用 GB 15618".to_owned(),
                })?;
                let band = ph.map(PhBand::of);
                if band.is_none() {
                    flags.insert(Flag::PhMissing);
                }
                (Some(group), band, None, farmland_ctx(group, band))
            }
            _ => (
                None,
                None,
                Some(ctx.land_class),
                usize::from(ctx.land_class.number() - 1),
            ),
        };
        let method = if self.kind == RulesetKind::Farmland {
            ctx.method
        } else {
            Method::Gb15618
        };
        let mut v = Verdict {
            flags,
            ..Verdict::default()
        };
        self.judge(cidx, &aggs, method, &mut v);
        let code_of = |slot: u16| self.slots[usize::from(slot)].code.clone();
        let class = v.level.map(|l| self.class_of_level(l));
        let max_pi = v.max_pi.map(|(c, s, slot)| (c / s, slot));
        let grade = max_pi.map(|(p, _)| PollutionGrade::of(p));
        let mut items = Vec::with_capacity(aggs.len());
        for (a, code) in aggs.iter().zip(&codes) {
            let an = cat.by_code(code);
            let slot = self.slots.get(usize::from(a.slot));
            let cell = slot.map(|s| s.cells[cidx]).unwrap_or_default();
            let c = a.value();
            let level = Self::level(&cell, c);
            let decisive = slot.is_some_and(|s| s.decisive) || method == Method::PollutionIndex;
            let pi = cell.screening.map(|s| c / s);
            items.push(ItemEvaluation {
                analyte: code.clone(),
                name_cn: an.map(|x| x.name_cn.clone()).unwrap_or_default(),
                name_en: an.map(|x| x.name_en.clone()).unwrap_or_default(),
                value_mg_kg: c.normalize(),
                results: a.n,
                non_detect_limit: a.nd_dl_max.map(|d| d.normalize()),
                screening: cell.screening,
                intervention: cell.intervention,
                screening_table: cell.screening.and(slot.map(|s| s.screening_table.clone())),
                intervention_table: cell
                    .intervention
                    .and(slot.map(|s| s.intervention_table.clone())),
                column: cell.screening.map(|_| cell.column.to_owned()),
                pi: pi.map(round_pi),
                grade: pi.map(PollutionGrade::of),
                item_class: if decisive && method == Method::Gb15618 {
                    level.map(|l| self.class_of_level(l))
                } else {
                    None
                },
                decisive: decisive && cell.screening.is_some(),
                exceeds_screening: level.is_some_and(|l| l >= 1),
                exceeds_intervention: level == Some(2),
            });
        }
        let rule = self.rule_text(method, class, &v, &code_of);
        Ok(SoilEvaluation {
            ruleset: self.ruleset_id.clone(),
            method,
            land_use: group,
            land_class,
            ph,
            ph_band: band,
            class,
            grade,
            max_pi: max_pi.map(|(p, _)| round_pi(p)),
            max_pi_analyte: max_pi.map(|(_, s)| code_of(s)),
            exceed_screening: v.exceed_screening.iter().map(|&s| code_of(s)).collect(),
            exceed_intervention: v.exceed_intervention.iter().map(|&s| code_of(s)).collect(),
            flags: v.flags.to_vec(),
            rule,
            items,
        })
    }

    fn rule_text(
        &self,
        method: Method,
        class: Option<SoilClass>,
        v: &Verdict,
        code_of: &dyn Fn(u16) -> String,
    ) -> String {
        let Some(class) = class else {
            return "未测定决定类别的项目，无法分类 / no item that decides the class was measured: no class".to_owned();
        };
        let list = |slots: &[u16]| {
            slots
                .iter()
                .filter(|&&s| self.slots[usize::from(s)].decisive)
                .map(|&s| code_of(s))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.kind, method) {
            (RulesetKind::Farmland, Method::PollutionIndex) => {
                let (p, s) = v.max_pi.map_or((Decimal::ZERO, 0), |(c, s, slot)| (c / s, slot));
                format!(
                    "单因子污染指数法：最大 P = {} ({})，{} → {} / pollution index: largest P = {} ({}), grade {} → {}",
                    round_pi(p),
                    code_of(s),
                    PollutionGrade::of(p).code(),
                    class.name_cn(),
                    round_pi(p),
                    code_of(s),
                    PollutionGrade::of(p).code(),
                    class.code()
                )
            }
            (RulesetKind::Farmland, _) => match class {
                SoilClass::StrictControl => format!(
                    "GB 15618-2018：{} 超过管制值（表3）→ 严格管控类 / {} above the intervention value (Table 3) → strict control",
                    list(&v.exceed_intervention),
                    list(&v.exceed_intervention)
                ),
                SoilClass::SafeUtilization => format!(
                    "GB 15618-2018：{} 超过筛选值、不超过管制值 → 安全利用类 / {} above the screening value, not above the intervention value → safe utilization",
                    list(&v.exceed_screening),
                    list(&v.exceed_screening)
                ),
                _ => "GB 15618-2018：镉、汞、砷、铅、铬均不超过筛选值 → 优先保护类 / Cd, Hg, As, Pb, Cr measured all at or below the screening value → priority protection".to_owned(),
            },
            _ => match class {
                SoilClass::AboveIntervention => format!(
                    "GB 36600-2018：{} 超过管制值，需风险管控或修复 / {} above the intervention value: risk control or remediation required",
                    list(&v.exceed_intervention),
                    list(&v.exceed_intervention)
                ),
                SoilClass::AboveScreening => format!(
                    "GB 36600-2018：{} 超过筛选值，需详细调查和风险评估 / {} above the screening value: further investigation and risk assessment required",
                    list(&v.exceed_screening),
                    list(&v.exceed_screening)
                ),
                _ => "GB 36600-2018：各项目均不超过筛选值 / every item at or below the screening value".to_owned(),
            },
        }
    }
}
