//! 自行监测超标 — a key supervised enterprise's self-monitoring results above the screening value,
//! flagged to its county bureau (issue 8, work-plan item 20: 自行监测结果超标的，及时报告县级生态环境部门).
//!
//! Which samples: the samples on the enterprise's self-monitoring points (`point_codes`). Which
//! rule (HJ 1209-2021, 工业企业土壤和地下水自行监测技术指南, compares the results with GB 36600 and
//! GB/T 14848; this platform fixes the columns as follows):
//!
//! * **Soil** — GB 36600-2018 screening value (表1/表2) for **second-class land** (第二类用地: an
//!   enterprise's land is industrial land), unless a registered contaminated plot says otherwise:
//!   when the sample's point is among a plot's `point_codes` or watches the plot
//!   (`watched_plot`), the plot's class (from its planned use) is used. The standards engine
//!   evaluates the sample as it does everywhere (several results of one item averaged), and an
//!   item is flagged when its value is **above** the screening value (C > S; equal is not
//!   flagged), compared exactly as decimals.
//! * **Groundwater** — GB/T 14848-2017 **class Ⅳ limit**: groundwater under industrial land is
//!   not a drinking-water source, and class Ⅳ is the standard's class for industrial and
//!   agricultural use; a result is flagged when its class is Ⅴ, i.e. above the Ⅳ limit (equal
//!   is class Ⅳ, not flagged). The screening value reported is the Ⅳ limit as the standard
//!   writes it. (GB/T 14848's radioactivity items, 总α and 总β, have no class Ⅴ, so they are
//!   never flagged here.)
//! * A **non-detect** is never flagged: it says the item was below the laboratory's detection
//!   limit, not that it was above the screening value (an item whose results are all non-detects
//!   is skipped, whatever its detection limit). Other media are not judged.
//! * A sample the engine cannot evaluate (a unit that is not a mass fraction in soil, say) is
//!   listed under `unevaluated` with the engine's reason, never silently dropped.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{Dimension, DivisionCode, Medium, Uscc};
use soilwatch_standards::ruleset::{ValueType, WaterClass, GB14848, GB36600};
use soilwatch_standards::water::{evaluate_water, WaterOptions, WaterResult};
use soilwatch_standards::{LandClass, Method, RulesetRegistry, SoilEngine, SoilSampleContext};

use crate::registry_enterprise::Enterprise;
use crate::StoredSample;

/// One self-monitoring result above its screening value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfMonitoringExceedance {
    pub enterprise_uscc: Uscc,
    pub enterprise_name: String,
    pub division: DivisionCode,
    pub point_code: String,
    pub sample_id: i64,
    pub sample_code: String,
    pub sampled_on: NaiveDate,
    /// `soil` or `groundwater`.
    pub medium: Medium,
    /// Catalogue code (`Cd`, …).
    pub analyte: String,
    pub analyte_name_cn: String,
    /// The value compared, in the standard's unit (soil: the mean of the item's results).
    pub value: Decimal,
    pub unit: String,
    /// The screening value as the standard writes it (groundwater: the class Ⅳ limit).
    pub screening_value: String,
    /// `GB 36600-2018` or `GB/T 14848-2017`.
    pub standard: String,
    /// The standard's table (`表1`, `表2`).
    pub table: String,
    /// Which column: `第二类用地筛选值 / second-class land screening value`, or
    /// `Ⅳ类限值 / class IV limit`.
    pub basis: String,
    /// GB 36600: whether the value is also above the intervention value (管制值).
    pub above_intervention: bool,
}

/// A self-monitoring sample that could not be judged, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnevaluatedSample {
    pub enterprise_uscc: Uscc,
    pub sample_id: i64,
    pub sample_code: String,
    pub reason: String,
}

/// What the rule of the module documentation gives for one enterprise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseExceedances {
    pub rows: Vec<SelfMonitoringExceedance>,
    pub unevaluated: Vec<UnevaluatedSample>,
}

/// The exceedances of an enterprise's self-monitoring `samples` (those on its points), with the
/// GB 36600 land class of each point that a registered plot sets (`plot_class`: point code →
/// 1 or 2; other points are second-class land). See the module documentation for the rule.
pub fn enterprise_exceedances<'a>(
    e: &Enterprise,
    samples: impl IntoIterator<Item = &'a StoredSample>,
    plot_class: &HashMap<String, u8>,
) -> EnterpriseExceedances {
    let mut out = EnterpriseExceedances::default();
    for s in samples {
        let Some(point) = s.sample.point_code.as_deref() else {
            continue;
        };
        if !e.point_codes.iter().any(|c| c == point) {
            continue;
        }
        let row =
            |analyte: &str, name: &str, value: Decimal, unit: &str| SelfMonitoringExceedance {
                enterprise_uscc: e.uscc.clone(),
                enterprise_name: e.name.clone(),
                division: e.division,
                point_code: point.to_owned(),
                sample_id: s.id,
                sample_code: s.sample.code.clone(),
                sampled_on: s.sample.sampled_on,
                medium: s.sample.medium,
                analyte: analyte.to_owned(),
                analyte_name_cn: name.to_owned(),
                value,
                unit: unit.to_owned(),
                screening_value: String::new(),
                standard: String::new(),
                table: String::new(),
                basis: String::new(),
                above_intervention: false,
            };
        let unevaluated = |reason: String| UnevaluatedSample {
            enterprise_uscc: e.uscc.clone(),
            sample_id: s.id,
            sample_code: s.sample.code.clone(),
            reason,
        };
        // Items whose every result is a non-detect are never flagged.
        let detected = |code: &str| {
            s.results
                .iter()
                .any(|r| r.result.analyte == code && !r.result.is_non_detect())
        };
        match s.sample.medium {
            Medium::Soil => {
                let class = match plot_class.get(point) {
                    Some(1) => LandClass::Class1,
                    _ => LandClass::Class2,
                };
                let Ok(engine) = SoilEngine::builtin(GB36600) else {
                    out.unevaluated
                        .push(unevaluated("GB 36600-2018 unavailable".into()));
                    continue;
                };
                // Only mass fractions are GB 36600's business (radiation activities, pH … are not).
                let results: Vec<_> = s
                    .results
                    .iter()
                    .filter(|r| {
                        r.result.unit.dimension() == Dimension::MassFraction
                            || r.result.analyte == "pH"
                    })
                    .map(|r| r.result.clone())
                    .collect();
                let ctx = SoilSampleContext {
                    land_use: None,
                    ph: None,
                    method: Method::Gb15618,
                    land_class: class,
                };
                let ev = match engine.evaluate(&ctx, &results) {
                    Ok(ev) => ev,
                    Err(err) => {
                        out.unevaluated.push(unevaluated(err.to_string()));
                        continue;
                    }
                };
                for i in ev.items.iter().filter(|i| i.exceeds_screening) {
                    let (Some(screening), true) = (i.screening, detected(&i.analyte)) else {
                        continue;
                    };
                    let n = class.number();
                    out.rows.push(SelfMonitoringExceedance {
                        screening_value: screening.normalize().to_string(),
                        standard: "GB 36600-2018".into(),
                        table: i.screening_table.clone().unwrap_or_default(),
                        basis: format!(
                            "{}类用地筛选值 / class {n} land screening value",
                            if n == 1 { "第一" } else { "第二" }
                        ),
                        above_intervention: i.exceeds_intervention,
                        ..row(&i.analyte, &i.name_cn, i.value_mg_kg, "mg/kg")
                    });
                }
            }
            Medium::Groundwater => {
                let Some(ruleset) = RulesetRegistry::builtin().get(GB14848) else {
                    out.unevaluated
                        .push(unevaluated("GB/T 14848-2017 unavailable".into()));
                    continue;
                };
                let results: Vec<WaterResult> = s
                    .results
                    .iter()
                    .filter(|r| !r.result.is_non_detect())
                    .filter_map(|r| {
                        r.result.value.map(|v| WaterResult {
                            item: r.result.analyte.clone(),
                            value: v.get(),
                            unit: Some(r.result.unit),
                        })
                    })
                    .collect();
                let ev = match evaluate_water(ruleset, &results, &WaterOptions::default()) {
                    Ok(ev) => ev,
                    Err(err) => {
                        out.unevaluated.push(unevaluated(err.to_string()));
                        continue;
                    }
                };
                for i in ev.items.iter().filter(|i| i.class == Some(WaterClass::V)) {
                    let limit_iv: Vec<&str> = ruleset
                        .values
                        .iter()
                        .filter(|v| {
                            v.item_cn == i.standard_item
                                && v.value_type == ValueType::ClassLimit
                                && v.water_class == Some(WaterClass::IV)
                        })
                        .map(|v| v.value_as_written.as_str())
                        .collect();
                    let code = i.analyte.clone().unwrap_or_else(|| i.item.clone());
                    out.rows.push(SelfMonitoringExceedance {
                        screening_value: limit_iv.join("；"),
                        standard: "GB/T 14848-2017".into(),
                        table: i.table.clone(),
                        basis: "Ⅳ类限值（超过即Ⅴ类） / class IV limit (above it: class V)".into(),
                        ..row(&code, &i.standard_item, i.value.normalize(), &i.unit)
                    });
                }
            }
            _ => {}
        }
    }
    out
}
