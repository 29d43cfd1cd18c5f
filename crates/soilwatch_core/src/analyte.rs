//! The analyte catalogue (检测项目目录): every item the platform knows, with Chinese and English
//! names, CAS numbers, aliases and the canonical unit per medium.
//!
//! The catalogue is data (`data/analytes.csv`, embedded at build time). It holds at least every
//! item of GB 15618-2018 (表1–表3) and GB 36600-2018 (表1, 表2), plus pH, organic matter, cation
//! exchange capacity and the items the work plan names (Mn, V, Ti), and the radiation items of
//! the yearly monitoring of mines with associated radioactivity (伴生放射性矿, work-plan item 22;
//! items as in 《伴生放射性矿开发利用企业环境辐射监测及信息公开办法（试行）》 (生态环境部, 2018)
//! and HJ 61-2021 辐射环境监测技术规范): natural uranium and thorium (mass, mg/kg; mg/L in water),
//! ²³⁸U, ²³²Th, ²²⁶Ra, ⁴⁰K, gross α and gross β (Bq/kg; Bq/L in water, the units of GB/T 14848's
//! 总α放射性 and 总β放射性) and the ambient γ radiation air absorbed dose rate (nGy/h).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::medium::Medium;
use crate::unit::Unit;

const CATALOGUE_CSV: &str = include_str!("../data/analytes.csv");

/// Broad family of an analyte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyteGroup {
    /// 重金属和无机物
    MetalInorganic,
    /// 挥发性有机物
    Voc,
    /// 半挥发性有机物
    Svoc,
    /// 有机农药类
    Pesticide,
    /// 多氯联苯、多溴联苯和二噁英类
    PcbPbbDioxin,
    /// 石油烃类
    Petroleum,
    /// 理化性质 (pH, organic matter, CEC)
    Physchem,
    /// 水质综合指标 (COD, BOD, DO, nitrogen, phosphorus, …)
    WaterGeneral,
    /// 微生物与放射性指标
    Biological,
    /// 其他
    Other,
}

/// One item of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analyte {
    /// Stable code used everywhere in the platform (`Cd`, `BaP`, `benzene`, …).
    pub code: String,
    /// 中文名称
    pub name_cn: String,
    /// English name.
    pub name_en: String,
    /// CAS registry number(s), `;`-separated where the item is a sum; empty where none applies.
    pub cas: String,
    pub group: AnalyteGroup,
    /// Canonical unit in soil and sediment (and agricultural products for mass fractions).
    pub unit_soil: Unit,
    /// Every spelling that resolves to this analyte (names, symbols, common lab variants).
    pub aliases: Vec<String>,
}

impl Analyte {
    /// The canonical unit of this analyte in a medium.
    pub fn canonical_unit(&self, medium: Medium) -> Unit {
        match self.unit_soil {
            Unit::Dimensionless => Unit::Dimensionless,
            Unit::CmolPerKg => Unit::CmolPerKg,
            // A dose rate is measured in the field, whatever the medium.
            u @ (Unit::NGyPerH | Unit::UGyPerH) => u,
            Unit::BqPerKg | Unit::BqPerL if medium.is_water() => Unit::BqPerL,
            Unit::BqPerKg | Unit::BqPerL => Unit::BqPerKg,
            _ if medium.is_water() => Unit::MgPerL,
            _ if medium == Medium::AgriculturalProduct => Unit::MgPerKg,
            u => u,
        }
    }
}

#[derive(Deserialize)]
struct Row {
    code: String,
    name_cn: String,
    name_en: String,
    cas: String,
    group: AnalyteGroup,
    unit_soil: String,
    aliases: String,
}

/// The catalogue with its alias index.
#[derive(Debug)]
pub struct AnalyteCatalogue {
    items: Vec<Analyte>,
    index: HashMap<String, usize>,
}

/// Normalise a spelling for alias lookup: trim, lower-case, drop whitespace, unify full-width
/// punctuation and bracket styles.
pub fn normalise_name(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' | '[' | '【' => '(',
            '）' | ']' | '】' => ')',
            '，' => ',',
            '＋' => '+',
            '－' | '—' | '–' => '-',
            '’' | '′' => '\'',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

impl AnalyteCatalogue {
    /// Parse a catalogue from CSV text (columns `code,name_cn,name_en,cas,group,unit_soil,aliases`).
    pub fn from_csv(text: &str) -> CoreResult<Self> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut items = Vec::new();
        for (i, row) in reader.deserialize::<Row>().enumerate() {
            let row = row.map_err(|e| CoreError::InvalidValue {
                field: "analyte catalogue row",
                value: format!("line {}: {e}", i + 2),
                expected: "code,name_cn,name_en,cas,group,unit_soil,aliases",
            })?;
            let unit_soil: Unit = row.unit_soil.parse()?;
            let mut aliases: Vec<String> = row
                .aliases
                .split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            for name in [&row.code, &row.name_cn, &row.name_en] {
                if !aliases.iter().any(|a| a == name) {
                    aliases.push(name.clone());
                }
            }
            items.push(Analyte {
                code: row.code,
                name_cn: row.name_cn,
                name_en: row.name_en,
                cas: row.cas,
                group: row.group,
                unit_soil,
                aliases,
            });
        }
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, a) in items.iter().enumerate() {
            for alias in &a.aliases {
                let key = normalise_name(alias);
                if let Some(&other) = index.get(&key) {
                    if other != i {
                        return Err(CoreError::InvalidValue {
                            field: "analyte alias",
                            value: format!("{alias} ({} and {})", items[other].code, a.code),
                            expected: "each alias to name one analyte only",
                        });
                    }
                }
                index.insert(key, i);
            }
        }
        Ok(Self { items, index })
    }

    /// The catalogue shipped with the program.
    pub fn builtin() -> &'static AnalyteCatalogue {
        static CATALOGUE: OnceLock<AnalyteCatalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            AnalyteCatalogue::from_csv(CATALOGUE_CSV)
                .expect("the embedded analyte catalogue is checked by the crate's tests")
        })
    }

    /// Every analyte, in catalogue order.
    pub fn all(&self) -> &[Analyte] {
        &self.items
    }

    /// Find an analyte by code, symbol, Chinese or English name or alias, case-insensitively.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_core::AnalyteCatalogue;
    /// let cat = AnalyteCatalogue::builtin();
    /// assert_eq!(cat.resolve("总镉").unwrap().code, "Cd");
    /// assert_eq!(cat.resolve("CADMIUM").unwrap().code, "Cd");
    /// ```
    pub fn resolve(&self, name: &str) -> Option<&Analyte> {
        self.index
            .get(&normalise_name(name))
            .map(|&i| &self.items[i])
    }

    /// Like [`resolve`](Self::resolve), with an error naming the unknown spelling.
    pub fn require(&self, name: &str) -> CoreResult<&Analyte> {
        self.resolve(name).ok_or_else(|| CoreError::UnknownAnalyte {
            value: name.to_owned(),
        })
    }

    /// Find by exact code.
    pub fn by_code(&self, code: &str) -> Option<&Analyte> {
        self.items.iter().find(|a| a.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads_and_codes_are_unique() {
        let cat = AnalyteCatalogue::builtin();
        let mut codes: Vec<&str> = cat.all().iter().map(|a| a.code.as_str()).collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn covers_gb15618_and_work_plan_items() {
        let cat = AnalyteCatalogue::builtin();
        for code in [
            "Cd", "Hg", "As", "Pb", "Cr", "Cu", "Ni", "Zn", "HCH", "DDT", "BaP", "pH", "OM", "CEC",
            "Mn", "V", "Ti",
        ] {
            assert!(cat.by_code(code).is_some(), "{code} missing");
        }
    }

    #[test]
    fn radiation_items_have_activity_and_dose_rate_units() {
        let cat = AnalyteCatalogue::builtin();
        for (name, code, soil, water) in [
            ("镭-226", "Ra226", Unit::BqPerKg, Unit::BqPerL),
            ("²³⁸U", "U238", Unit::BqPerKg, Unit::BqPerL),
            ("总α放射性", "gross_alpha", Unit::BqPerKg, Unit::BqPerL),
            ("gross beta", "gross_beta", Unit::BqPerKg, Unit::BqPerL),
            (
                "环境γ辐射剂量率",
                "gamma_dose_rate",
                Unit::NGyPerH,
                Unit::NGyPerH,
            ),
            ("天然铀", "U", Unit::MgPerKg, Unit::MgPerL),
            ("钍", "Th", Unit::MgPerKg, Unit::MgPerL),
        ] {
            let a = cat
                .resolve(name)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(a.code, code);
            assert_eq!(a.canonical_unit(Medium::Soil), soil, "{code}");
            assert_eq!(a.canonical_unit(Medium::Groundwater), water, "{code}");
        }
    }

    #[test]
    fn covers_every_gb36600_item() {
        let cat = AnalyteCatalogue::builtin();
        let text = include_str!("../../soilwatch_core/data/analytes.csv");
        assert!(text.starts_with("code,"));
        // 45 basic + 40 other items: count the catalogue entries of the GB 36600 groups.
        let n = cat
            .all()
            .iter()
            .filter(|a| {
                matches!(
                    a.group,
                    AnalyteGroup::Voc
                        | AnalyteGroup::Svoc
                        | AnalyteGroup::PcbPbbDioxin
                        | AnalyteGroup::Petroleum
                )
            })
            .count();
        assert!(n > 27 + 11 + 4 + 10 + 5, "only {n} organic items");
    }

    #[test]
    fn resolves_aliases_in_both_languages() {
        let cat = AnalyteCatalogue::builtin();
        for (alias, code) in [
            ("镉", "Cd"),
            ("Cd", "Cd"),
            ("cd", "Cd"),
            ("总镉", "Cd"),
            ("cadmium", "Cd"),
            (" Cadmium ", "Cd"),
            ("六价铬", "Cr6"),
            ("铬（六价）", "Cr6"),
            ("铬(六价)", "Cr6"),
            ("苯并(a)芘", "BaP"),
            ("苯并[a]芘", "BaP"),
            ("pH值", "pH"),
            ("有机质", "OM"),
            ("锰", "Mn"),
        ] {
            assert_eq!(
                cat.resolve(alias).map(|a| a.code.as_str()),
                Some(code),
                "{alias}"
            );
        }
        assert!(cat.resolve("unobtainium").is_none());
        assert!(cat
            .require("unobtainium")
            .unwrap_err()
            .to_string()
            .contains("unobtainium"));
    }

    #[test]
    fn canonical_unit_per_medium() {
        let cat = AnalyteCatalogue::builtin();
        let cd = cat.by_code("Cd").unwrap();
        assert_eq!(cd.canonical_unit(Medium::Soil), Unit::MgPerKg);
        assert_eq!(cd.canonical_unit(Medium::Groundwater), Unit::MgPerL);
        assert_eq!(
            cd.canonical_unit(Medium::AgriculturalProduct),
            Unit::MgPerKg
        );
        let ph = cat.by_code("pH").unwrap();
        assert_eq!(ph.canonical_unit(Medium::SurfaceWater), Unit::Dimensionless);
        assert_eq!(
            cat.by_code("OM").unwrap().canonical_unit(Medium::Soil),
            Unit::GPerKg
        );
    }

    #[test]
    fn duplicate_alias_is_rejected() {
        let csv = "code,name_cn,name_en,cas,group,unit_soil,aliases\nA,甲,a,,other,mg/kg,x\nB,乙,b,,other,mg/kg,X\n";
        assert!(AnalyteCatalogue::from_csv(csv).is_err());
    }
}
