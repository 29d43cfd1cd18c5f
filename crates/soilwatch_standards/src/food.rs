//! Food: GB 2762 maximum levels of Cd, Pb, Hg, As and Cr in the main crops (mg/kg fresh
//! weight). A crop is mapped to the standard's food category; the value is compliant when it is
//! at or below the maximum level (compared as decimals).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use soilwatch_core::{AnalyteCatalogue, Unit};

use crate::error::{StandardsError, StandardsResult};
use crate::ruleset::{Ruleset, RulesetKind, ThresholdValue};

/// The crop groups GB 2762 distinguishes for these contaminants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoodCategory {
    /// 稻谷、糙米、大米
    Rice,
    /// 谷物（稻谷除外）: wheat, maize, other grains
    Cereal,
    /// 叶菜蔬菜
    LeafyVegetable,
    /// 块根和块茎蔬菜, 薯类 (potato)
    RootTuberVegetable,
    /// 豆类蔬菜
    LegumeVegetable,
    /// 芸薹类蔬菜
    BrassicaVegetable,
    /// 芹菜
    Celery,
    /// 其他新鲜蔬菜 (fruiting vegetables, bulbs, …)
    OtherVegetable,
    /// 新鲜水果
    Fruit,
    /// 浆果和其他小粒水果
    Berries,
    /// 豆类（干豆）: soybean and other pulses
    Pulses,
    /// 花生
    Peanut,
}

impl FoodCategory {
    /// Substrings of the standard's category name, in order of preference, and substrings that
    /// exclude a category name.
    fn patterns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            FoodCategory::Rice => (&["稻谷、糙米、大米", "稻谷", "谷物"], &["碾磨"]),
            FoodCategory::Cereal => (&["谷物（稻谷除外）", "小麦", "谷物"], &["碾磨"]),
            FoodCategory::LeafyVegetable => (&["叶菜蔬菜", "新鲜蔬菜"], &[]),
            FoodCategory::RootTuberVegetable => (&["块根和块茎蔬菜", "薯类", "新鲜蔬菜"], &[]),
            FoodCategory::LegumeVegetable => (&["豆类蔬菜", "新鲜蔬菜"], &[]),
            FoodCategory::BrassicaVegetable => (&["芸薹类蔬菜", "新鲜蔬菜"], &[]),
            FoodCategory::Celery => (&["芹菜", "新鲜蔬菜"], &[]),
            FoodCategory::OtherVegetable => (&["新鲜蔬菜"], &[]),
            FoodCategory::Fruit => (&["新鲜水果"], &[]),
            FoodCategory::Berries => (&["浆果", "新鲜水果"], &[]),
            FoodCategory::Pulses => (&["豆类（干豆", "豆类"], &["豆类蔬菜"]),
            FoodCategory::Peanut => (&["花生"], &[]),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            FoodCategory::Rice => "rice",
            FoodCategory::Cereal => "cereal",
            FoodCategory::LeafyVegetable => "leafy_vegetable",
            FoodCategory::RootTuberVegetable => "root_tuber_vegetable",
            FoodCategory::LegumeVegetable => "legume_vegetable",
            FoodCategory::BrassicaVegetable => "brassica_vegetable",
            FoodCategory::Celery => "celery",
            FoodCategory::OtherVegetable => "other_vegetable",
            FoodCategory::Fruit => "fruit",
            FoodCategory::Berries => "berries",
            FoodCategory::Pulses => "pulses",
            FoodCategory::Peanut => "peanut",
        }
    }
}

impl FromStr for FoodCategory {
    type Err = StandardsError;

    /// A crop name (水稻, 玉米, 马铃薯, 白菜, …) or a category code (`rice`, `leafy_vegetable`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        let table: &[(FoodCategory, &[&str])] = &[
            (
                FoodCategory::Rice,
                &["rice", "水稻", "稻谷", "大米", "糙米", "稻米", "稻"],
            ),
            (
                FoodCategory::Cereal,
                &[
                    "cereal", "小麦", "玉米", "谷物", "wheat", "maize", "corn", "荞麦", "燕麦",
                    "青稞", "高粱", "大麦",
                ],
            ),
            (
                FoodCategory::LeafyVegetable,
                &[
                    "leafy_vegetable",
                    "叶菜",
                    "白菜",
                    "菠菜",
                    "生菜",
                    "油麦菜",
                    "leafy",
                ],
            ),
            (
                FoodCategory::RootTuberVegetable,
                &[
                    "root_tuber_vegetable",
                    "马铃薯",
                    "土豆",
                    "洋芋",
                    "红薯",
                    "萝卜",
                    "potato",
                    "薯",
                ],
            ),
            (
                FoodCategory::LegumeVegetable,
                &["legume_vegetable", "豆类蔬菜", "豇豆", "菜豆", "四季豆"],
            ),
            (
                FoodCategory::BrassicaVegetable,
                &[
                    "brassica_vegetable",
                    "芸薹",
                    "甘蓝",
                    "花椰菜",
                    "西兰花",
                    "brassica",
                    "cabbage",
                ],
            ),
            (FoodCategory::Celery, &["celery", "芹菜"]),
            (
                FoodCategory::Berries,
                &["berries", "浆果", "葡萄", "草莓", "蓝莓", "berry"],
            ),
            (
                FoodCategory::Fruit,
                &["fruit", "水果", "苹果", "梨", "桃", "石榴", "柑橘"],
            ),
            (
                FoodCategory::Pulses,
                &["pulses", "大豆", "干豆", "黄豆", "豆类", "soybean"],
            ),
            (FoodCategory::Peanut, &["peanut", "花生"]),
            (
                FoodCategory::OtherVegetable,
                &[
                    "other_vegetable",
                    "蔬菜",
                    "番茄",
                    "茄子",
                    "辣椒",
                    "黄瓜",
                    "vegetable",
                ],
            ),
        ];
        for (cat, words) in table {
            if words.iter().any(|w| t == *w) {
                return Ok(*cat);
            }
        }
        for (cat, words) in table {
            if words.iter().any(|w| !w.is_ascii() && t.contains(w)) {
                return Ok(*cat);
            }
        }
        Err(StandardsError::InvalidInput {
            field: "crop",
            value: s.to_owned(),
            expected: "a crop (水稻, 小麦, 玉米, 马铃薯, 白菜, 大豆, 苹果, …) or a GB 2762 category code (rice, cereal, leafy_vegetable, root_tuber_vegetable, legume_vegetable, brassica_vegetable, celery, other_vegetable, fruit, berries, pulses, peanut)".to_owned(),
        })
    }
}

/// One food result.
#[derive(Debug, Clone, PartialEq)]
pub struct FoodResult {
    /// Analyte code or name (`Cd`, `镉`).
    pub analyte: String,
    pub value: Decimal,
    /// Unit (a mass fraction, fresh weight); converted exactly to mg/kg.
    pub unit: Unit,
}

/// The evaluation of one food item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoodItemEvaluation {
    pub analyte: String,
    pub value_mg_kg: Decimal,
    /// Maximum level (mg/kg); none when GB 2762 has no level for this crop and analyte here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_level: Option<Decimal>,
    /// The standard's food category applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub food_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
}

/// The evaluation of one food sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoodEvaluation {
    pub ruleset: String,
    pub category: FoodCategory,
    /// Every evaluated item at or below its maximum level (none when nothing was evaluated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    pub exceedances: Vec<String>,
    pub items: Vec<FoodItemEvaluation>,
}

fn pick<'a>(
    ruleset: &'a Ruleset,
    code: &str,
    category: FoodCategory,
) -> Option<&'a ThresholdValue> {
    let (include, exclude) = category.patterns();
    let rows: Vec<&ThresholdValue> = ruleset
        .values
        .iter()
        .filter(|v| v.analyte.as_deref() == Some(code))
        .filter(|v| {
            let c = v.crop.as_deref().unwrap_or_default();
            !exclude.iter().any(|x| c.contains(x))
        })
        .collect();
    include.iter().find_map(|p| {
        rows.iter()
            .find(|v| names(v.crop.as_deref().unwrap_or_default(), p))
            .copied()
    })
}

/// Whether a category name names `p` other than in an exception ("…（叶菜、豆类蔬菜…除外）").
fn names(category: &str, p: &str) -> bool {
    let exceptions: Vec<(usize, usize)> = category
        .match_indices("除外")
        .map(|(e, _)| {
            let start = category[..e].rfind(['（', '［', '(']).unwrap_or(e);
            (start, e)
        })
        .collect();
    category
        .match_indices(p)
        .any(|(i, _)| !exceptions.iter().any(|&(s, e)| s < i && i < e))
}

/// Check food results against GB 2762 for a crop.
///
/// # Examples
/// ```
/// use rust_decimal::Decimal;
/// use soilwatch_core::Unit;
/// use soilwatch_standards::RulesetRegistry;
/// use soilwatch_standards::food::{evaluate_food, FoodResult};
/// let gb2762 = RulesetRegistry::builtin().get("gb2762-2022").unwrap();
/// let cd = FoodResult { analyte: "Cd".into(), value: Decimal::new(2, 1), unit: Unit::MgPerKg };
/// let ev = evaluate_food(gb2762, "水稻", &[cd]).unwrap();
/// assert_eq!(ev.compliant, Some(true)); // 0.2 = the rice level
/// ```
pub fn evaluate_food(
    ruleset: &Ruleset,
    crop: &str,
    results: &[FoodResult],
) -> StandardsResult<FoodEvaluation> {
    if ruleset.kind != RulesetKind::Food {
        return Err(StandardsError::WrongRuleset {
            id: ruleset.id.clone(),
            purpose: "food evaluation (use gb2762-2022)",
        });
    }
    let category: FoodCategory = crop.parse()?;
    let cat = AnalyteCatalogue::builtin();
    let mut items = Vec::with_capacity(results.len());
    let mut exceedances = Vec::new();
    for r in results {
        let a = cat.require(&r.analyte)?;
        let v = crate::exact::convert(r.value, r.unit, Unit::MgPerKg)?;
        let row = pick(ruleset, &a.code, category);
        let compliant = row.and_then(|t| t.upper).map(|u| v <= u);
        if compliant == Some(false) {
            exceedances.push(a.code.clone());
        }
        items.push(FoodItemEvaluation {
            analyte: a.code.clone(),
            value_mg_kg: v.normalize(),
            maximum_level: row.and_then(|t| t.upper),
            food_category: row.and_then(|t| t.crop.clone()),
            basis: row.and_then(|t| t.basis.clone()),
            compliant,
            confidence: row.map(|t| t.confidence.clone()),
        });
    }
    let evaluated: Vec<bool> = items.iter().filter_map(|i| i.compliant).collect();
    Ok(FoodEvaluation {
        ruleset: ruleset.id.clone(),
        category,
        compliant: (!evaluated.is_empty()).then(|| evaluated.iter().all(|&b| b)),
        exceedances,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::{RulesetRegistry, GB2762};

    fn level(crop: &str, analyte: &str) -> Option<Decimal> {
        let rs = RulesetRegistry::builtin().get(GB2762).unwrap();
        let r = FoodResult {
            analyte: analyte.into(),
            value: Decimal::ZERO,
            unit: Unit::MgPerKg,
        };
        evaluate_food(rs, crop, &[r]).unwrap().items[0].maximum_level
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn crops_map_to_the_right_category() {
        for (crop, analyte, expected) in [
            ("水稻", "Cd", Some("0.2")),
            ("大米", "Pb", Some("0.2")),
            ("rice", "As", Some("0.2")),
            ("rice", "Hg", Some("0.02")),
            ("rice", "Cr", Some("1.0")),
            ("玉米", "Cd", Some("0.1")),
            ("小麦", "As", Some("0.5")),
            ("白菜", "Cd", Some("0.2")),
            ("叶菜", "Pb", Some("0.3")),
            ("叶菜", "Hg", Some("0.01")),
            ("马铃薯", "Cd", Some("0.1")),
            ("马铃薯", "Pb", Some("0.2")),
            ("番茄", "Cd", Some("0.05")),
            ("甘蓝", "Pb", Some("0.3")),
            ("芹菜", "Cd", Some("0.2")),
            ("苹果", "Pb", Some("0.1")),
            ("葡萄", "Pb", Some("0.2")),
            ("大豆", "Cd", Some("0.2")),
            ("大豆", "Cr", Some("1.0")),
            ("花生", "Cd", Some("0.5")),
            ("花生", "Hg", None),
        ] {
            assert_eq!(level(crop, analyte), expected.map(d), "{crop} {analyte}");
        }
    }

    #[test]
    fn value_equal_to_maximum_level_complies() {
        let rs = RulesetRegistry::builtin().get(GB2762).unwrap();
        let at = FoodResult {
            analyte: "镉".into(),
            value: d("200"),
            unit: Unit::UgPerKg,
        };
        assert_eq!(
            evaluate_food(rs, "稻谷", &[at]).unwrap().compliant,
            Some(true)
        );
        let above = FoodResult {
            analyte: "Cd".into(),
            value: d("0.21"),
            unit: Unit::MgPerKg,
        };
        let ev = evaluate_food(rs, "稻谷", &[above]).unwrap();
        assert_eq!(
            (ev.compliant, ev.exceedances.as_slice()),
            (Some(false), &["Cd".to_owned()][..])
        );
        assert!(evaluate_food(rs, "moon cheese", &[]).is_err());
    }
}
