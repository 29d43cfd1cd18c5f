//! The class of one unit: from the soil samples inside it, else from interpolated
//! concentrations, then adjusted by co-located crop samples (GB 2762). Every step is recorded as
//! a [`Decision`] naming the rule and the settings it used.
//!
//! # Rules
//! * A soil sample's class is GB 15618-2018's (or the pollution-index grade's, with
//!   `--method pollution-index`), evaluated with the unit's land use when it is farmland, else
//!   the sample's, else the `default_land_use` setting, and the sample's pH.
//! * [`Aggregation::Worst`] (default): the unit takes the worst class of its samples.
//!   [`Aggregation::Share`]: strict control when at least `percent` % of the samples are strict
//!   control; else safe utilization when at least `percent` % are safe utilization or worse; else
//!   priority protection.
//! * No sample inside: Cd, Hg, As, Pb, Cr and pH estimated at a point inside the unit against the
//!   thresholds of its land use and pH band — marked `inferred`.
//! * Crops (agricultural-product samples at points inside the unit, against GB 2762):
//!   priority protection with any crop above its limit → safe utilization; safe utilization with
//!   a crop at or above `crop_multiple` × its limit (default 2×), or with a share of exceeding crop
//!   samples at or above `crop_exceedance_rate` when set → strict control; strict control with
//!   every crop within limits in at least `crop_years` different years (default 2) → stays strict
//!   control, proposed as safe utilization for review.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{AnalysisResult, LandUse, Qualifier, Unit};
use soilwatch_standards::food::{evaluate_food, FoodResult};
use soilwatch_standards::{Method, Ruleset, SoilClass, SoilEngine, SoilSampleContext};

use crate::error::{ClassifyError, ClassifyResult};

/// The analytes that decide a GB 15618 class, in the standard's order.
pub const DECISIVE: [&str; 5] = ["Cd", "Hg", "As", "Pb", "Cr"];

/// 农用地土壤环境质量类别 — the class of a unit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum UnitClass {
    /// 优先保护类 — priority protection
    #[default]
    PriorityProtection,
    /// 安全利用类 — safe utilization
    SafeUtilization,
    /// 严格管控类 — strict control
    StrictControl,
}

impl UnitClass {
    pub const ALL: [UnitClass; 3] = [
        UnitClass::PriorityProtection,
        UnitClass::SafeUtilization,
        UnitClass::StrictControl,
    ];

    pub fn code(self) -> &'static str {
        match self {
            UnitClass::PriorityProtection => "priority_protection",
            UnitClass::SafeUtilization => "safe_utilization",
            UnitClass::StrictControl => "strict_control",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            UnitClass::PriorityProtection => "优先保护类",
            UnitClass::SafeUtilization => "安全利用类",
            UnitClass::StrictControl => "严格管控类",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            UnitClass::PriorityProtection => "priority protection",
            UnitClass::SafeUtilization => "safe utilization",
            UnitClass::StrictControl => "strict control",
        }
    }

    /// Map colour: green / yellow / red.
    pub fn colour(self) -> &'static str {
        match self {
            UnitClass::PriorityProtection => "#43a047",
            UnitClass::SafeUtilization => "#fdd835",
            UnitClass::StrictControl => "#e53935",
        }
    }

    /// The farmland class of a soil evaluation (`None` for GB 36600 classes).
    pub fn from_soil(c: SoilClass) -> Option<UnitClass> {
        match c {
            SoilClass::PriorityProtection => Some(UnitClass::PriorityProtection),
            SoilClass::SafeUtilization => Some(UnitClass::SafeUtilization),
            SoilClass::StrictControl => Some(UnitClass::StrictControl),
            _ => None,
        }
    }
}

impl fmt::Display for UnitClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for UnitClass {
    type Err = ClassifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        UnitClass::ALL
            .into_iter()
            .find(|c| c.code() == t || c.name_cn() == s.trim())
            .ok_or_else(|| ClassifyError::Setting {
                field: "class",
                value: s.to_owned(),
                expected: "priority_protection | safe_utilization | strict_control (优先保护类 | 安全利用类 | 严格管控类)",
            })
    }
}

/// How point classes make a unit's class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Aggregation {
    /// The worst class of the samples inside the unit.
    #[default]
    Worst,
    /// The worst class held by at least `percent` % of the samples (class or worse).
    Share { percent: f64 },
}

impl FromStr for Aggregation {
    type Err = ClassifyError;
    /// `worst`, or `share:P` (P a percentage in (0, 100]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase();
        if t == "worst" {
            return Ok(Aggregation::Worst);
        }
        let p = t
            .strip_prefix("share:")
            .and_then(|p| p.trim().trim_end_matches('%').parse::<f64>().ok())
            .filter(|p| *p > 0.0 && *p <= 100.0);
        p.map(|percent| Aggregation::Share { percent })
            .ok_or_else(|| ClassifyError::Setting {
                field: "aggregation",
                value: s.to_owned(),
                expected: "worst | share:P with 0 < P ≤ 100 (e.g. share:20)",
            })
    }
}

/// Interpolation used for units without samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// Inverse distance weighting (power 2).
    #[default]
    Idw,
    /// Ordinary kriging of ln(value) with a fitted variogram (IDW when the fit fails).
    Kriging,
}

impl FromStr for Interpolation {
    type Err = ClassifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "idw" => Ok(Interpolation::Idw),
            "ok" | "kriging" => Ok(Interpolation::Kriging),
            _ => Err(ClassifyError::Setting {
                field: "interpolation",
                value: s.to_owned(),
                expected: "idw | ok",
            }),
        }
    }
}

/// Every setting of a classification run, stored with it and shown with every decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifySettings {
    /// `gb15618` (legal basis) or `pollution-index`.
    pub method: String,
    /// The soil ruleset (GB 15618-2018 or a local overlay of it).
    pub ruleset: String,
    /// The food ruleset for crops.
    pub food_ruleset: String,
    pub aggregation: Aggregation,
    /// Soil samples from the `sample_years` years up to the run's year count; the newest sample
    /// of each point is used.
    pub sample_years: u32,
    /// Crop above `crop_multiple` × its GB 2762 limit: safe utilization → strict control.
    pub crop_multiple: Decimal,
    /// Share (0–1] of exceeding crop samples that also makes safe utilization strict control;
    /// none by default.
    pub crop_exceedance_rate: Option<Decimal>,
    /// Years with every crop within limits before strict control is proposed as safe utilization.
    pub crop_years: u32,
    pub interpolation: Interpolation,
    /// Nearest samples used per estimate.
    pub neighbors: usize,
    /// Samples farther than this (metres) are not used; a unit with none stays unclassified.
    pub search_radius_m: f64,
    /// Land use for evaluating where the unit has none (grid cells) and the sample's is not
    /// farmland: GB/T 21010 code (default 0103 旱地, the standard's "other" column).
    pub default_land_use: String,
    /// Grid cell size (metres) for counties without parcels.
    pub grid_cell_m: f64,
}

impl Default for ClassifySettings {
    fn default() -> Self {
        Self {
            method: Method::Gb15618.code().to_owned(),
            ruleset: soilwatch_standards::ruleset::GB15618.to_owned(),
            food_ruleset: soilwatch_standards::ruleset::GB2762.to_owned(),
            aggregation: Aggregation::Worst,
            sample_years: 5,
            crop_multiple: Decimal::TWO,
            crop_exceedance_rate: None,
            crop_years: 2,
            interpolation: Interpolation::Idw,
            neighbors: 12,
            search_radius_m: 10_000.0,
            default_land_use: "0103".to_owned(),
            grid_cell_m: 2_000.0,
        }
    }
}

impl ClassifySettings {
    /// Check ranges; returns the parsed method and default land use.
    pub fn check(&self) -> ClassifyResult<(Method, LandUse)> {
        let method: Method = self.method.parse()?;
        let lu: LandUse = self
            .default_land_use
            .parse()
            .map_err(|_| ClassifyError::Setting {
                field: "default_land_use",
                value: self.default_land_use.clone(),
                expected: "a GB/T 21010 farmland code (0101, 0102, 0103, 0201, …)",
            })?;
        if lu.farmland_group().is_none() {
            return Err(ClassifyError::Setting {
                field: "default_land_use",
                value: self.default_land_use.clone(),
                expected: "a farmland code (耕地, 园地, 牧草地)",
            });
        }
        if self.crop_multiple < Decimal::ONE {
            return Err(ClassifyError::Setting {
                field: "crop_multiple",
                value: self.crop_multiple.to_string(),
                expected: "a multiple ≥ 1 of the GB 2762 limit",
            });
        }
        if let Some(r) = self.crop_exceedance_rate {
            if r <= Decimal::ZERO || r > Decimal::ONE {
                return Err(ClassifyError::Setting {
                    field: "crop_exceedance_rate",
                    value: r.to_string(),
                    expected: "a share in (0, 1]",
                });
            }
        }
        if self.sample_years == 0 || self.sample_years > 50 {
            return Err(ClassifyError::Setting {
                field: "sample_years",
                value: self.sample_years.to_string(),
                expected: "1–50 years",
            });
        }
        if self.crop_years == 0 || self.crop_years > 50 {
            return Err(ClassifyError::Setting {
                field: "crop_years",
                value: self.crop_years.to_string(),
                expected: "1–50 years",
            });
        }
        if self.neighbors == 0 {
            return Err(ClassifyError::Setting {
                field: "neighbors",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        if !(self.search_radius_m.is_finite() && self.search_radius_m > 0.0) {
            return Err(ClassifyError::Setting {
                field: "search_radius_m",
                value: self.search_radius_m.to_string(),
                expected: "a distance in metres > 0",
            });
        }
        if let Aggregation::Share { percent } = self.aggregation {
            if !(percent > 0.0 && percent <= 100.0) {
                return Err(ClassifyError::Setting {
                    field: "aggregation",
                    value: percent.to_string(),
                    expected: "share:P with 0 < P ≤ 100",
                });
            }
        }
        Ok((method, lu))
    }
}

/// A stored soil sample at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct SoilSampleInput {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub point_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub sampled_on: NaiveDate,
    pub land_use: Option<LandUse>,
    pub results: Vec<AnalysisResult>,
}

/// A stored agricultural-product sample at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct CropSampleInput {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub point_code: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub sampled_on: NaiveDate,
    pub crop: String,
    pub results: Vec<FoodResult>,
}

/// One decisive item of a sample or an estimate, with its thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvidence {
    pub analyte: String,
    /// mg/kg.
    pub value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervention: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<UnitClass>,
    /// Kriging variance (inferred items, log scale for kriging of ln values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
    /// Samples used (inferred items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neighbors: Option<usize>,
}

/// A soil sample as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleEvidence {
    pub sample_id: i64,
    pub code: String,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_code: Option<String>,
    pub sampled_on: NaiveDate,
    /// GB 15618 column applied (paddy, upland, orchard, rotation).
    pub land_use: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<UnitClass>,
    /// The engine's rule text for this sample.
    pub rule: String,
    pub items: Vec<ItemEvidence>,
}

/// Estimates at a unit without samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferredEvidence {
    /// `idw` or `ok`.
    pub method: String,
    /// Where the estimate was made (inside the unit), longitude/latitude.
    pub at: (f64, f64),
    pub land_use: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ph: Option<Decimal>,
    pub items: Vec<ItemEvidence>,
}

/// A crop sample as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CropEvidence {
    pub sample_id: i64,
    pub code: String,
    pub version: i64,
    pub crop: String,
    pub sampled_on: NaiveDate,
    /// Every item within its GB 2762 limit (none when nothing could be judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    /// The largest value / limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<Decimal>,
    pub items: Vec<CropItem>,
}

/// One crop item against its limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CropItem {
    pub analyte: String,
    pub value: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<Decimal>,
}

/// One step of a unit's classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `soil_samples`, `inferred`, `crop_exceeds`, `crop_far_exceeds`, `crop_within_limits`, …
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<UnitClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<UnitClass>,
    /// Chinese and English, with the settings used.
    pub text: String,
}

/// What decided a unit's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Samples inside the unit.
    Samples,
    /// 推断 — interpolated concentrations.
    Inferred,
    /// No sample inside and none near enough.
    NoData,
    /// The unit's land use is not farmland (GB 15618 does not apply).
    NotFarmland,
}

impl Basis {
    pub fn code(self) -> &'static str {
        match self {
            Basis::Samples => "samples",
            Basis::Inferred => "inferred",
            Basis::NoData => "no_data",
            Basis::NotFarmland => "not_farmland",
        }
    }
    pub fn name_cn(self) -> &'static str {
        match self {
            Basis::Samples => "样点实测",
            Basis::Inferred => "插值推断",
            Basis::NoData => "无数据",
            Basis::NotFarmland => "非农用地",
        }
    }
}

impl FromStr for Basis {
    type Err = ClassifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Basis::Samples,
            Basis::Inferred,
            Basis::NoData,
            Basis::NotFarmland,
        ]
        .into_iter()
        .find(|b| b.code() == s)
        .ok_or_else(|| ClassifyError::Setting {
            field: "basis",
            value: s.to_owned(),
            expected: "samples | inferred | no_data | not_farmland",
        })
    }
}

/// The classification of one unit with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitOutcome {
    pub unit_code: String,
    /// The computed class (none without data or off farmland).
    pub class: Option<UnitClass>,
    pub basis: Basis,
    /// The class from soil alone, before the crop rules.
    pub soil_class: Option<UnitClass>,
    /// A class proposed for review (strict control with crops within limits for years).
    pub proposal: Option<UnitClass>,
    /// The deciding rule, one line.
    pub rule: String,
    pub decisions: Vec<Decision>,
    pub samples: Vec<SampleEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inferred: Option<InferredEvidence>,
    pub crops: Vec<CropEvidence>,
}

/// Estimated concentrations at a unit (mg/kg; pH unitless).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Estimates {
    pub method: String,
    pub at: (f64, f64),
    /// (analyte, value, variance, neighbours)
    pub values: Vec<(String, f64, Option<f64>, usize)>,
    pub ph: Option<f64>,
}

/// What the unit rules need, prepared once per run.
pub struct Rules<'a> {
    pub settings: &'a ClassifySettings,
    pub engine: SoilEngine,
    pub method: Method,
    pub default_land_use: LandUse,
    pub food: &'a Ruleset,
}

impl<'a> Rules<'a> {
    /// Check the settings and compile the rulesets.
    pub fn new(settings: &'a ClassifySettings) -> ClassifyResult<Rules<'a>> {
        let (method, default_land_use) = settings.check()?;
        let registry = soilwatch_standards::RulesetRegistry::builtin();
        let soil = registry
            .get(&settings.ruleset)
            .ok_or_else(|| ClassifyError::Setting {
                field: "ruleset",
                value: settings.ruleset.clone(),
                expected: "a farmland ruleset id (gb15618-2018)",
            })?;
        let engine = SoilEngine::new(soil)?;
        if engine.kind() != soilwatch_standards::RulesetKind::Farmland {
            return Err(ClassifyError::Setting {
                field: "ruleset",
                value: settings.ruleset.clone(),
                expected: "a farmland ruleset (gb15618-2018)",
            });
        }
        let food = registry
            .get(&settings.food_ruleset)
            .ok_or_else(|| ClassifyError::Setting {
                field: "food_ruleset",
                value: settings.food_ruleset.clone(),
                expected: "a food ruleset id (gb2762-2022)",
            })?;
        Ok(Rules {
            settings,
            engine,
            method,
            default_land_use,
            food,
        })
    }

    fn land_use_for(&self, unit: Option<LandUse>, sample: Option<LandUse>) -> LandUse {
        unit.filter(|l| l.farmland_group().is_some())
            .or(sample.filter(|l| l.farmland_group().is_some()))
            .unwrap_or(self.default_land_use)
    }

    fn items(&self, ev: &soilwatch_standards::SoilEvaluation) -> Vec<ItemEvidence> {
        ev.items
            .iter()
            .filter(|i| i.decisive || i.exceeds_screening)
            .map(|i| ItemEvidence {
                analyte: i.analyte.clone(),
                value: i.value_mg_kg,
                screening: i.screening,
                intervention: i.intervention,
                class: i.item_class.and_then(UnitClass::from_soil),
                variance: None,
                neighbors: None,
            })
            .collect()
    }

    /// Evaluate one soil sample for a unit.
    pub fn soil_sample(
        &self,
        unit_land_use: Option<LandUse>,
        s: &SoilSampleInput,
    ) -> ClassifyResult<SampleEvidence> {
        let lu = self.land_use_for(unit_land_use, s.land_use);
        let ctx = SoilSampleContext {
            land_use: Some(lu),
            ph: None,
            method: self.method,
            ..Default::default()
        };
        let ev = self.engine.evaluate(&ctx, &s.results)?;
        Ok(SampleEvidence {
            sample_id: s.id,
            code: s.code.clone(),
            version: s.version,
            point_code: s.point_code.clone(),
            sampled_on: s.sampled_on,
            land_use: ev.land_use.map(|g| g.code().to_owned()).unwrap_or_default(),
            ph: ev.ph,
            class: ev.class.and_then(UnitClass::from_soil),
            rule: ev.rule.clone(),
            items: self.items(&ev),
        })
    }

    /// Evaluate estimated concentrations for a unit.
    pub fn estimates(
        &self,
        unit_land_use: Option<LandUse>,
        est: &Estimates,
    ) -> ClassifyResult<(Option<UnitClass>, InferredEvidence)> {
        let lu = self.land_use_for(unit_land_use, None);
        let dec = |v: f64| {
            Decimal::from_f64(v)
                .map(|d| d.round_sf(4).unwrap_or(d).normalize())
                .unwrap_or_default()
        };
        let results: Vec<AnalysisResult> = est
            .values
            .iter()
            .filter_map(|(a, v, _, _)| {
                let amount = soilwatch_core::Amount::new(dec(v.max(0.0))).ok()?;
                Some(AnalysisResult {
                    sample_code: "estimate".into(),
                    analyte: a.clone(),
                    value: Some(amount),
                    unit: Unit::MgPerKg,
                    detection_limit: None,
                    qualifier: Qualifier::Detected,
                    method: None,
                })
            })
            .collect();
        let ph = est.ph.map(|p| dec(p.clamp(0.0, 14.0)).round_dp(2));
        let ctx = SoilSampleContext {
            land_use: Some(lu),
            ph,
            method: self.method,
            ..Default::default()
        };
        let ev = self.engine.evaluate(&ctx, &results)?;
        let mut items = self.items(&ev);
        for it in &mut items {
            if let Some((_, _, var, n)) = est.values.iter().find(|(a, ..)| *a == it.analyte) {
                it.variance = *var;
                it.neighbors = Some(*n);
            }
        }
        Ok((
            ev.class.and_then(UnitClass::from_soil),
            InferredEvidence {
                method: est.method.clone(),
                at: est.at,
                land_use: ev.land_use.map(|g| g.code().to_owned()).unwrap_or_default(),
                ph: ev.ph,
                items,
            },
        ))
    }

    /// Evaluate one crop sample against GB 2762.
    pub fn crop_sample(&self, c: &CropSampleInput) -> ClassifyResult<CropEvidence> {
        let ev = evaluate_food(self.food, &c.crop, &c.results)?;
        let items: Vec<CropItem> = ev
            .items
            .iter()
            .map(|i| CropItem {
                analyte: i.analyte.clone(),
                value: i.value_mg_kg,
                limit: i.maximum_level,
                ratio: i
                    .maximum_level
                    .filter(|l| !l.is_zero())
                    .map(|l| (i.value_mg_kg / l).round_dp(3)),
            })
            .collect();
        let max_ratio = items.iter().filter_map(|i| i.ratio).max();
        Ok(CropEvidence {
            sample_id: c.id,
            code: c.code.clone(),
            version: c.version,
            crop: c.crop.clone(),
            sampled_on: c.sampled_on,
            compliant: ev.compliant,
            max_ratio,
            items,
        })
    }

    /// Classify one unit from its evaluated samples, estimates and crops.
    pub fn unit(
        &self,
        unit_code: &str,
        land_use: Option<LandUse>,
        samples: Vec<SampleEvidence>,
        inferred: Option<(Option<UnitClass>, InferredEvidence)>,
        crops: Vec<CropEvidence>,
    ) -> UnitOutcome {
        let s = self.settings;
        let mut decisions = Vec::new();
        let mut out = UnitOutcome {
            unit_code: unit_code.to_owned(),
            class: None,
            basis: Basis::NoData,
            soil_class: None,
            proposal: None,
            rule: String::new(),
            decisions: Vec::new(),
            samples: Vec::new(),
            inferred: None,
            crops: Vec::new(),
        };
        if land_use.is_some_and(|l| l.farmland_group().is_none()) {
            let lu = land_use
                .map(|l| format!("{} {}", l.code(), l.name_cn()))
                .unwrap_or_default();
            out.basis = Basis::NotFarmland;
            out.rule = format!(
                "地类 {lu} 不是农用地，不划分类别 / land use {lu} is not farmland: not classified"
            );
            return out;
        }
        let classes: Vec<UnitClass> = samples.iter().filter_map(|x| x.class).collect();
        let mut soil = None;
        if !classes.is_empty() {
            let n = classes.len();
            let (class, text) = match s.aggregation {
                Aggregation::Worst => {
                    let worst = classes.iter().copied().max().unwrap_or_default();
                    let at = classes.iter().filter(|c| **c == worst).count();
                    (
                        worst,
                        format!(
                            "单元内 {n} 个土壤样品，取最差类别（{at} 个为{}）/ {n} soil samples inside; \
                             the worst point class decides ({at} {}) [aggregation=worst]",
                            worst.name_cn(),
                            worst.name_en()
                        ),
                    )
                }
                Aggregation::Share { percent } => {
                    let share = |c: UnitClass| {
                        100.0 * classes.iter().filter(|x| **x >= c).count() as f64 / n as f64
                    };
                    let class = if share(UnitClass::StrictControl) >= percent {
                        UnitClass::StrictControl
                    } else if share(UnitClass::SafeUtilization) >= percent {
                        UnitClass::SafeUtilization
                    } else {
                        UnitClass::PriorityProtection
                    };
                    (
                        class,
                        format!(
                            "单元内 {n} 个土壤样品：严格管控类占 {:.1}%，安全利用类及以上占 {:.1}%，按比例规则（≥{percent}%）为{} / \
                             {n} soil samples inside: {:.1} % strict control, {:.1} % safe utilization or worse; \
                             share rule (≥ {percent} %) gives {} [aggregation=share:{percent}]",
                            share(UnitClass::StrictControl),
                            share(UnitClass::SafeUtilization),
                            class.name_cn(),
                            share(UnitClass::StrictControl),
                            share(UnitClass::SafeUtilization),
                            class.name_en()
                        ),
                    )
                }
            };
            decisions.push(Decision {
                rule: "soil_samples".into(),
                from: None,
                to: Some(class),
                text,
            });
            soil = Some(class);
            out.basis = Basis::Samples;
        } else if let Some((class, ev)) = inferred {
            if let Some(class) = class {
                let worst: Vec<String> = ev
                    .items
                    .iter()
                    .filter(|i| i.class == Some(class))
                    .map(|i| {
                        format!(
                            "{} {} (筛选值/screening {}, 管制值/intervention {})",
                            i.analyte,
                            i.value,
                            i.screening
                                .map(|v| v.to_string())
                                .unwrap_or_else(|| "—".into()),
                            i.intervention
                                .map(|v| v.to_string())
                                .unwrap_or_else(|| "—".into())
                        )
                    })
                    .collect();
                decisions.push(Decision {
                    rule: "inferred".into(),
                    from: None,
                    to: Some(class),
                    text: format!(
                        "单元内无土壤样品，按插值（{}）推断为{}：{} / no soil sample inside; inferred \
                         from interpolated concentrations ({}, {} nearest within {} m) as {}: {}",
                        ev.method,
                        class.name_cn(),
                        worst.join("; "),
                        ev.method,
                        s.neighbors,
                        s.search_radius_m,
                        class.name_en(),
                        worst.join("; ")
                    ),
                });
                soil = Some(class);
                out.basis = Basis::Inferred;
            }
            out.inferred = Some(ev);
        }
        out.samples = samples;
        let Some(soil_class) = soil else {
            out.rule = format!(
                "单元内无样品，{} m 内也无可插值的样品 / no sample inside and none within {} m to \
                 interpolate from",
                s.search_radius_m, s.search_radius_m
            );
            out.decisions = decisions;
            out.crops = crops;
            return out;
        };
        out.soil_class = Some(soil_class);
        let mut class = soil_class;
        if !crops.is_empty() {
            let judged: Vec<&CropEvidence> =
                crops.iter().filter(|c| c.compliant.is_some()).collect();
            let exceeding: Vec<&CropEvidence> = judged
                .iter()
                .copied()
                .filter(|c| c.compliant == Some(false))
                .collect();
            let names = |cs: &[&CropEvidence]| {
                cs.iter()
                    .map(|c| {
                        format!(
                            "{} {} {}×",
                            c.code,
                            c.crop,
                            c.max_ratio.map(|r| r.to_string()).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match class {
                UnitClass::PriorityProtection if !exceeding.is_empty() => {
                    decisions.push(Decision {
                        rule: "crop_exceeds".into(),
                        from: Some(class),
                        to: Some(UnitClass::SafeUtilization),
                        text: format!(
                            "土壤为优先保护类，但同点位农产品超过 GB 2762 限量（{}）→ 安全利用类 / soil \
                             priority protection but co-located crops exceed GB 2762 ({}) → safe \
                             utilization",
                            names(&exceeding),
                            names(&exceeding)
                        ),
                    });
                    class = UnitClass::SafeUtilization;
                }
                UnitClass::SafeUtilization => {
                    let far: Vec<&CropEvidence> = exceeding
                        .iter()
                        .copied()
                        .filter(|c| c.max_ratio.is_some_and(|r| r >= s.crop_multiple))
                        .collect();
                    let rate = if judged.is_empty() {
                        Decimal::ZERO
                    } else {
                        Decimal::from(exceeding.len()) / Decimal::from(judged.len())
                    };
                    let by_rate = s.crop_exceedance_rate.is_some_and(|r| rate >= r);
                    if !far.is_empty() || by_rate {
                        decisions.push(Decision {
                            rule: "crop_far_exceeds".into(),
                            from: Some(class),
                            to: Some(UnitClass::StrictControl),
                            text: format!(
                                "土壤为安全利用类，农产品严重超标（≥{}倍限量：{}；超标率 {}{}）→ 严格管控类 / \
                                 soil safe utilization and crops far above GB 2762 (≥ {}× the limit: {}; \
                                 exceedance rate {}{}) → strict control [crop_multiple={}, \
                                 crop_exceedance_rate={}]",
                                s.crop_multiple,
                                names(&far),
                                rate.round_dp(3),
                                s.crop_exceedance_rate
                                    .map(|r| format!(" ≥ {r}"))
                                    .unwrap_or_default(),
                                s.crop_multiple,
                                names(&far),
                                rate.round_dp(3),
                                s.crop_exceedance_rate
                                    .map(|r| format!(" ≥ {r}"))
                                    .unwrap_or_default(),
                                s.crop_multiple,
                                s.crop_exceedance_rate
                                    .map(|r| r.to_string())
                                    .unwrap_or_else(|| "none".into())
                            ),
                        });
                        class = UnitClass::StrictControl;
                    }
                }
                UnitClass::StrictControl => {
                    let years: BTreeSet<i32> = judged.iter().map(|c| c.sampled_on.year()).collect();
                    let all_ok = !judged.is_empty() && exceeding.is_empty();
                    if all_ok && years.len() as u32 >= s.crop_years {
                        let list: Vec<String> = years.iter().map(|y| y.to_string()).collect();
                        decisions.push(Decision {
                            rule: "crop_within_limits".into(),
                            from: Some(class),
                            to: None,
                            text: format!(
                                "土壤为严格管控类，农产品在 {} 年（{}）均未超标，可提请审核调整为安全利用类 / \
                                 soil strict control with every crop within GB 2762 limits in {} years \
                                 ({}): may be proposed as safe utilization for review [crop_years={}]",
                                years.len(),
                                list.join(", "),
                                years.len(),
                                list.join(", "),
                                s.crop_years
                            ),
                        });
                        out.proposal = Some(UnitClass::SafeUtilization);
                    }
                }
                _ => {}
            }
        }
        out.class = Some(class);
        out.rule = decisions.last().map(|d| d.text.clone()).unwrap_or_default();
        out.decisions = decisions;
        out.crops = crops;
        out
    }
}
