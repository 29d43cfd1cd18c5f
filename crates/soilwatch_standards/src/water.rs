//! Water: GB 3838-2002 surface water and GB/T 14848-2017 groundwater classes (Ⅰ–Ⅴ, the worst
//! item decides), and GB 5084-2021 irrigation-water compliance.
//!
//! * An item's class is the best class whose limit the value meets (a lower limit such as
//!   dissolved oxygen is met when the value is at or above it). GB/T 14848 writes class Ⅴ as
//!   "exceeds the class Ⅳ limit", so a value above the Ⅳ limit is Ⅴ; under GB 3838 a value that
//!   misses the Ⅴ limit is 劣Ⅴ类.
//! * GB 3838 表2/表3 single values (sulfate, chloride, nitrate, Fe, Mn and the specific items) are
//!   limits for centralized drinking-water sources, not class limits: they are checked for
//!   compliance (`source_water_exceedances`) and never set the class.
//! * Items whose limits are text (`无`, `not detected`) are listed as not evaluated.
//! * Values are compared as decimals in the standard's unit; a result in another unit of the same
//!   dimension is converted exactly.

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{analyte::normalise_name, AnalyteCatalogue, Unit};

use crate::error::{StandardsError, StandardsResult};
use crate::ruleset::{Ruleset, RulesetKind, ThresholdValue, ValueType, WaterClass};

/// One water result.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterResult {
    /// Catalogue code or any name of the item (`Cd`, `氨氮`, `溶解氧`), or the item exactly as the
    /// standard names it.
    pub item: String,
    pub value: Decimal,
    /// Unit of the value; `None` = the unit the standard uses for the item.
    pub unit: Option<Unit>,
}

/// GB 3838 water body (total phosphorus has river and lake/reservoir limits; total nitrogen is
/// evaluated for lakes and reservoirs only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaterBody {
    #[default]
    River,
    /// 湖、库
    Lake,
}

/// Options of a water evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WaterOptions {
    pub water_body: WaterBody,
    /// GB 5084 crop type: `paddy`, `dryland` or `vegetable` (required for GB 5084).
    pub crop_type: Option<String>,
    /// GB 5084 condition where a cell has several values (`b` for raw-eaten vegetables,
    /// `high-fluoride`, `saline`): matched as a substring of the value's condition; default the
    /// first (general) value.
    pub variant: Option<String>,
}

/// The evaluation of one water item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterItemEvaluation {
    /// The item as given.
    pub item: String,
    /// The item as the standard names it.
    pub standard_item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analyte: Option<String>,
    /// Value in the standard's unit.
    pub value: Decimal,
    pub unit: String,
    pub table: String,
    /// Class of this item (GB 3838, GB/T 14848).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<WaterClass>,
    /// Whether the item meets its limit (GB 5084, GB 3838 source-water items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    /// The limits applied, as written (`Ⅲ: 0.005`, `<=0.01`).
    pub limits: Vec<String>,
    /// Confidence of the values applied.
    pub confidence: String,
    /// Why the item was not evaluated, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The evaluation of one water sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterEvaluation {
    pub ruleset: String,
    /// Worst class over the items (GB 3838, GB/T 14848).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<WaterClass>,
    /// The items that have the worst class.
    pub deciding_items: Vec<String>,
    /// GB 5084: every evaluated item meets its limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    /// GB 5084 items above their limit, or GB 3838 表2/表3 items above their source-water limit.
    pub exceedances: Vec<String>,
    /// Items given that the standard does not list.
    pub unmatched: Vec<String>,
    /// The rule that decided, in Chinese and English.
    pub rule: String,
    pub items: Vec<WaterItemEvaluation>,
}

fn rows_for<'a>(ruleset: &'a Ruleset, item: &str) -> Vec<&'a ThresholdValue> {
    let code = AnalyteCatalogue::builtin()
        .resolve(item)
        .map(|a| a.code.as_str());
    let norm = normalise_name(item);
    let by_code: Vec<&ThresholdValue> = match code {
        Some(c) => ruleset
            .values
            .iter()
            .filter(|v| v.analyte.as_deref() == Some(c))
            .collect(),
        None => Vec::new(),
    };
    if !by_code.is_empty() {
        return by_code;
    }
    ruleset
        .values
        .iter()
        .filter(|v| {
            normalise_name(&v.item_cn) == norm
                || (!v.item_en.is_empty() && normalise_name(&v.item_en) == norm)
        })
        .collect()
}

fn meets(v: &ThresholdValue, x: Decimal) -> Option<bool> {
    if v.lower.is_none() && v.upper.is_none() {
        return None;
    }
    let lo_ok = match v.lower {
        Some(l) if v.lower_exclusive => x > l,
        Some(l) => x >= l,
        None => true,
    };
    let hi_ok = v.upper.is_none_or(|u| x <= u);
    Some(lo_ok && hi_ok)
}

fn to_standard_unit(r: &WaterResult, unit: &str) -> StandardsResult<Decimal> {
    match (r.unit, unit.parse::<Unit>()) {
        (None, _) => Ok(r.value),
        (Some(from), Ok(to)) => crate::exact::convert(r.value, from, to),
        (Some(from), Err(_)) => Err(StandardsError::InvalidInput {
            field: "unit",
            value: from.symbol().to_owned(),
            expected: format!(
                "the standard's unit '{unit}' for {} (give the value without a unit)",
                r.item
            ),
        }),
    }
}

/// Evaluate a water sample against GB 3838, GB/T 14848 or GB 5084.
///
/// # Examples
/// ```
/// use rust_decimal::Decimal;
/// use soilwatch_standards::{RulesetRegistry, WaterClass};
/// use soilwatch_standards::water::{evaluate_water, WaterOptions, WaterResult};
/// let gb3838 = RulesetRegistry::builtin().get("gb3838-2002").unwrap();
/// let results = [
///     WaterResult { item: "氨氮".into(), value: Decimal::new(8, 1), unit: None },  // Ⅲ
///     WaterResult { item: "DO".into(), value: Decimal::new(65, 1), unit: None },    // Ⅱ
/// ];
/// let ev = evaluate_water(gb3838, &results, &WaterOptions::default()).unwrap();
/// assert_eq!(ev.class, Some(WaterClass::III));
/// ```
pub fn evaluate_water(
    ruleset: &Ruleset,
    results: &[WaterResult],
    opts: &WaterOptions,
) -> StandardsResult<WaterEvaluation> {
    let kind = ruleset.kind;
    if !matches!(
        kind,
        RulesetKind::SurfaceWater | RulesetKind::Groundwater | RulesetKind::IrrigationWater
    ) {
        return Err(StandardsError::WrongRuleset {
            id: ruleset.id.clone(),
            purpose: "water evaluation (use gb3838-2002, gb14848-2017 or gb5084-2021)",
        });
    }
    let crop = if kind == RulesetKind::IrrigationWater {
        let c = opts
            .crop_type
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_lowercase();
        let c = match c.as_str() {
            "paddy" | "水田" | "水田作物" => "paddy",
            "dryland" | "upland" | "旱地" | "旱地作物" => "dryland",
            "vegetable" | "vegetables" | "蔬菜" => "vegetable",
            _ => {
                return Err(StandardsError::InvalidInput {
                    field: "crop_type",
                    value: c,
                    expected: "paddy | dryland | vegetable (水田作物 | 旱地作物 | 蔬菜)".to_owned(),
                })
            }
        };
        Some(c)
    } else {
        None
    };
    let body = match opts.water_body {
        WaterBody::River => "river",
        WaterBody::Lake => "lake",
    };
    let mut items = Vec::new();
    let mut unmatched = Vec::new();
    let mut exceedances = Vec::new();
    for r in results {
        let rows = rows_for(ruleset, &r.item);
        if rows.is_empty() {
            unmatched.push(r.item.clone());
            continue;
        }
        let first = rows[0];
        let value = to_standard_unit(r, &first.unit)?;
        let mut ev = WaterItemEvaluation {
            item: r.item.clone(),
            standard_item: first.item_cn.clone(),
            analyte: first.analyte.clone(),
            value,
            unit: first.unit.clone(),
            table: first.table.clone(),
            class: None,
            compliant: None,
            limits: Vec::new(),
            confidence: first.confidence.clone(),
            note: None,
        };
        match kind {
            RulesetKind::IrrigationWater => {
                let mine: Vec<&&ThresholdValue> =
                    rows.iter().filter(|v| v.crop.as_deref() == crop).collect();
                let chosen = opts
                    .variant
                    .as_deref()
                    .and_then(|want| {
                        mine.iter().find(|v| {
                            v.variant
                                .as_deref()
                                .is_some_and(|x| x.to_lowercase().contains(&want.to_lowercase()))
                        })
                    })
                    .or(mine.first());
                match chosen {
                    Some(v) => {
                        let ok = meets(v, value);
                        ev.compliant = ok;
                        ev.table.clone_from(&v.table);
                        ev.confidence.clone_from(&v.confidence);
                        ev.limits.push(match &v.variant {
                            Some(var) => format!("{} ({var})", v.value_as_written),
                            None => v.value_as_written.clone(),
                        });
                        if ok == Some(false) {
                            exceedances.push(ev.standard_item.clone());
                        }
                    }
                    None => {
                        ev.note =
                            Some("本作物类型无此项目限值 / no limit for this crop type".to_owned())
                    }
                }
            }
            _ => {
                let class_rows: Vec<&&ThresholdValue> = rows
                    .iter()
                    .filter(|v| v.value_type == ValueType::ClassLimit)
                    .filter(|v| v.water_body.as_deref().is_none_or(|b| b == body))
                    .collect();
                let source_rows: Vec<&&ThresholdValue> = rows
                    .iter()
                    .filter(|v| v.value_type == ValueType::SourceWaterLimit)
                    .collect();
                if !class_rows.is_empty() {
                    let numeric = class_rows.iter().any(|v| meets(v, value).is_some());
                    if numeric {
                        let mut class = None;
                        for c in WaterClass::I_TO_V {
                            let of_class: Vec<&&&ThresholdValue> = class_rows
                                .iter()
                                .filter(|v| v.water_class == Some(c))
                                .collect();
                            if of_class.iter().any(|v| meets(v, value) == Some(true)) {
                                class = Some(c);
                                break;
                            }
                        }
                        ev.class = Some(class.unwrap_or(if kind == RulesetKind::Groundwater {
                            WaterClass::V
                        } else {
                            WaterClass::WorseThanV
                        }));
                        ev.limits = class_rows
                            .iter()
                            .map(|v| {
                                format!(
                                    "{}: {}",
                                    v.water_class.map_or("", WaterClass::label),
                                    v.value_as_written
                                )
                            })
                            .collect();
                        ev.standard_item.clone_from(&class_rows[0].item_cn);
                    } else {
                        ev.note = Some(
                            "限值为文字描述，未作数值评价 / text limit, not evaluated numerically"
                                .to_owned(),
                        );
                    }
                } else if !source_rows.is_empty() {
                    let v = source_rows[0];
                    let ok = meets(v, value);
                    ev.compliant = ok;
                    ev.table.clone_from(&v.table);
                    ev.limits.push(v.value_as_written.clone());
                    if ok == Some(false) {
                        exceedances.push(ev.standard_item.clone());
                    }
                } else {
                    ev.note = Some(format!(
                        "此水体类型无此项目限值 / no limit for this item in a {body}"
                    ));
                }
            }
        }
        items.push(ev);
    }
    let class = items.iter().filter_map(|i| i.class).max();
    let deciding_items: Vec<String> = match class {
        Some(c) => items
            .iter()
            .filter(|i| i.class == Some(c))
            .map(|i| i.standard_item.clone())
            .collect(),
        None => Vec::new(),
    };
    let compliant = if kind == RulesetKind::IrrigationWater {
        let evaluated: Vec<bool> = items.iter().filter_map(|i| i.compliant).collect();
        (!evaluated.is_empty()).then(|| evaluated.iter().all(|&b| b))
    } else {
        None
    };
    let rule = match (kind, class, compliant) {
        (RulesetKind::IrrigationWater, _, Some(true)) => format!(
            "{}：各项目均符合 {} 限值 / every item meets the {} limit",
            ruleset.standard,
            crop.unwrap_or_default(),
            crop.unwrap_or_default()
        ),
        (RulesetKind::IrrigationWater, _, Some(false)) => format!(
            "{}：{} 超过限值 / {} above the limit",
            ruleset.standard,
            exceedances.join(", "),
            exceedances.join(", ")
        ),
        (_, Some(c), _) => format!(
            "{}：按最差项目定类，{} 为{}类 / the worst item decides: {} → class {}",
            ruleset.standard,
            deciding_items.join(", "),
            c.label(),
            deciding_items.join(", "),
            c.code()
        ),
        _ => "未评价任何项目 / no item evaluated".to_owned(),
    };
    Ok(WaterEvaluation {
        ruleset: ruleset.id.clone(),
        class,
        deciding_items,
        compliant,
        exceedances,
        unmatched,
        rule,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::{RulesetRegistry, GB14848, GB3838, GB5084};
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn r(item: &str, v: &str) -> WaterResult {
        WaterResult {
            item: item.into(),
            value: d(v),
            unit: None,
        }
    }
    fn rs(id: &str) -> &'static Ruleset {
        RulesetRegistry::builtin().get(id).unwrap()
    }

    #[test]
    fn gb3838_value_equal_to_class_limit_is_in_that_class() {
        let ev = evaluate_water(rs(GB3838), &[r("镉", "0.005")], &WaterOptions::default()).unwrap();
        assert_eq!(ev.class, Some(WaterClass::II)); // Ⅱ limit 0.005
        let ev =
            evaluate_water(rs(GB3838), &[r("Cd", "0.0051")], &WaterOptions::default()).unwrap();
        assert_eq!(ev.class, Some(WaterClass::V));
        let ev = evaluate_water(
            rs(GB3838),
            &[r("cadmium", "0.011")],
            &WaterOptions::default(),
        )
        .unwrap();
        assert_eq!(ev.class, Some(WaterClass::WorseThanV));
    }

    #[test]
    fn gb3838_dissolved_oxygen_is_a_lower_limit() {
        let o = WaterOptions::default();
        assert_eq!(
            evaluate_water(rs(GB3838), &[r("溶解氧", "7.5")], &o)
                .unwrap()
                .class,
            Some(WaterClass::I)
        );
        assert_eq!(
            evaluate_water(rs(GB3838), &[r("溶解氧", "5.9")], &o)
                .unwrap()
                .class,
            Some(WaterClass::III)
        );
        assert_eq!(
            evaluate_water(rs(GB3838), &[r("溶解氧", "1.9")], &o)
                .unwrap()
                .class,
            Some(WaterClass::WorseThanV)
        );
    }

    #[test]
    fn gb3838_worst_item_decides_and_units_convert() {
        let res = [
            r("氨氮", "0.1"),
            WaterResult {
                item: "Pb".into(),
                value: d("30"),
                unit: Some(Unit::UgPerL),
            }, // 0.03 mg/L → Ⅲ
            r("pH", "7"),
        ];
        let ev = evaluate_water(rs(GB3838), &res, &WaterOptions::default()).unwrap();
        assert_eq!(ev.class, Some(WaterClass::III));
        assert_eq!(ev.deciding_items, ["铅"]);
    }

    #[test]
    fn gb3838_total_phosphorus_by_water_body() {
        let river =
            evaluate_water(rs(GB3838), &[r("总磷", "0.1")], &WaterOptions::default()).unwrap();
        assert_eq!(river.class, Some(WaterClass::II));
        let lake = WaterOptions {
            water_body: WaterBody::Lake,
            ..Default::default()
        };
        let lake = evaluate_water(rs(GB3838), &[r("TP", "0.1")], &lake).unwrap();
        assert_eq!(lake.class, Some(WaterClass::IV));
        let tn_river =
            evaluate_water(rs(GB3838), &[r("总氮", "1.0")], &WaterOptions::default()).unwrap();
        assert_eq!(tn_river.class, None);
    }

    #[test]
    fn gb3838_source_water_items_never_set_the_class() {
        let ev = evaluate_water(
            rs(GB3838),
            &[r("锰", "0.2"), r("氨氮", "0.1")],
            &WaterOptions::default(),
        )
        .unwrap();
        assert_eq!(ev.class, Some(WaterClass::I));
        assert_eq!(ev.exceedances, ["锰"]);
        let mn = ev.items.iter().find(|i| i.standard_item == "锰").unwrap();
        assert_eq!(
            (mn.class, mn.compliant, mn.table.as_str()),
            (None, Some(false), "表2")
        );
    }

    #[test]
    fn gb14848_class_v_is_above_class_iv_limit() {
        let o = WaterOptions::default();
        let ev = evaluate_water(rs(GB14848), &[r("砷", "0.05")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::IV));
        let ev = evaluate_water(rs(GB14848), &[r("As", "0.0501")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::V));
        let ev = evaluate_water(rs(GB14848), &[r("pH", "6.0")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::IV));
        let ev = evaluate_water(rs(GB14848), &[r("pH", "8.5")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::I));
        let ev = evaluate_water(rs(GB14848), &[r("pH", "9.1")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::V));
        let ev = evaluate_water(rs(GB14848), &[r("苯", "10"), r("Hg", "0.0001")], &o).unwrap();
        assert_eq!(ev.class, Some(WaterClass::III)); // benzene 10 μg/L = Ⅲ limit
        let ev = evaluate_water(rs(GB14848), &[r("嗅和味", "1")], &o).unwrap();
        assert!(ev.items[0].note.is_some());
    }

    #[test]
    fn gb5084_compliance_by_crop() {
        let paddy = WaterOptions {
            crop_type: Some("paddy".into()),
            ..Default::default()
        };
        let ev = evaluate_water(rs(GB5084), &[r("总砷", "0.05"), r("Cd", "0.01")], &paddy).unwrap();
        assert_eq!(ev.compliant, Some(true));
        let ev = evaluate_water(rs(GB5084), &[r("As", "0.06")], &paddy).unwrap();
        assert_eq!(ev.compliant, Some(false));
        let dry = WaterOptions {
            crop_type: Some("旱地作物".into()),
            ..Default::default()
        };
        assert_eq!(
            evaluate_water(rs(GB5084), &[r("As", "0.06")], &dry)
                .unwrap()
                .compliant,
            Some(true)
        );
        let veg_b = WaterOptions {
            crop_type: Some("vegetable".into()),
            variant: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(
            evaluate_water(rs(GB5084), &[r("COD", "80")], &veg_b)
                .unwrap()
                .compliant,
            Some(false)
        );
        let veg_a = WaterOptions {
            crop_type: Some("vegetable".into()),
            ..Default::default()
        };
        assert_eq!(
            evaluate_water(rs(GB5084), &[r("COD", "80")], &veg_a)
                .unwrap()
                .compliant,
            Some(true)
        );
        assert_eq!(
            evaluate_water(rs(GB5084), &[r("pH", "5.5")], &paddy)
                .unwrap()
                .compliant,
            Some(true)
        );
        assert_eq!(
            evaluate_water(rs(GB5084), &[r("pH", "5.4")], &paddy)
                .unwrap()
                .compliant,
            Some(false)
        );
        assert!(evaluate_water(rs(GB5084), &[r("pH", "7")], &WaterOptions::default()).is_err());
    }

    #[test]
    fn soil_ruleset_is_refused() {
        assert!(evaluate_water(rs("gb15618-2018"), &[], &WaterOptions::default()).is_err());
    }
}
