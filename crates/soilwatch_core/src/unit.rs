//! Units of measurement and exact (decimal) conversion between them.
//!
//! Mass fractions (mg/kg, μg/kg, ng/kg, g/kg, %) convert among themselves, mass concentrations
//! (mg/L, μg/L, ng/L, g/L) among themselves, air absorbed dose rates (nGy/h, μGy/h) among
//! themselves; specific activity (Bq/kg) and activity concentration (Bq/L) stand alone; nothing
//! converts across dimensions.
//!
//! The radiation units (issue 8: yearly radiation monitoring of mining areas with associated
//! radioactivity) are those of HJ 61-2021 (辐射环境监测技术规范) and GB/T 14848-2017: soil
//! radionuclides (²³⁸U, ²³²Th, ²²⁶Ra) and gross α/β in Bq/kg, in water in Bq/L, the ambient
//! γ radiation as air absorbed dose rate in nGy/h.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

/// What a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 质量分数 — mass per mass (soil, sediment, food).
    MassFraction,
    /// 质量浓度 — mass per volume (water).
    MassConcentration,
    /// 交换量 — cation exchange capacity.
    ExchangeCapacity,
    /// 无量纲 — pH and other dimensionless items.
    Dimensionless,
    /// 比活度 — activity per mass (Bq/kg: radionuclides in soil).
    SpecificActivity,
    /// 活度浓度 — activity per volume (Bq/L: radioactivity in water).
    ActivityConcentration,
    /// 空气吸收剂量率 — air absorbed dose rate (γ radiation).
    DoseRate,
}

impl Dimension {
    fn label(self) -> &'static str {
        match self {
            Dimension::MassFraction => "mass fraction",
            Dimension::MassConcentration => "mass concentration",
            Dimension::ExchangeCapacity => "exchange capacity",
            Dimension::Dimensionless => "dimensionless quantity",
            Dimension::SpecificActivity => "specific activity",
            Dimension::ActivityConcentration => "activity concentration",
            Dimension::DoseRate => "absorbed dose rate",
        }
    }
}

/// A unit the platform understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "mg/kg")]
    MgPerKg,
    #[serde(rename = "μg/kg")]
    UgPerKg,
    #[serde(rename = "ng/kg")]
    NgPerKg,
    #[serde(rename = "g/kg")]
    GPerKg,
    /// Mass percentage (1 % = 10 g/kg).
    #[serde(rename = "%")]
    Percent,
    #[serde(rename = "mg/L")]
    MgPerL,
    #[serde(rename = "μg/L")]
    UgPerL,
    #[serde(rename = "ng/L")]
    NgPerL,
    #[serde(rename = "g/L")]
    GPerL,
    #[serde(rename = "cmol/kg")]
    CmolPerKg,
    #[serde(rename = "dimensionless")]
    Dimensionless,
    /// Becquerel per kilogram (比活度).
    #[serde(rename = "Bq/kg")]
    BqPerKg,
    /// Becquerel per litre (活度浓度).
    #[serde(rename = "Bq/L")]
    BqPerL,
    /// Nanogray per hour (空气吸收剂量率).
    #[serde(rename = "nGy/h")]
    NGyPerH,
    /// Microgray per hour (1 μGy/h = 1000 nGy/h).
    #[serde(rename = "μGy/h")]
    UGyPerH,
}

impl Unit {
    /// Every unit, for listings.
    pub const ALL: [Unit; 15] = [
        Unit::MgPerKg,
        Unit::UgPerKg,
        Unit::NgPerKg,
        Unit::GPerKg,
        Unit::Percent,
        Unit::MgPerL,
        Unit::UgPerL,
        Unit::NgPerL,
        Unit::GPerL,
        Unit::CmolPerKg,
        Unit::Dimensionless,
        Unit::BqPerKg,
        Unit::BqPerL,
        Unit::NGyPerH,
        Unit::UGyPerH,
    ];

    /// The canonical spelling, as stored and printed.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::MgPerKg => "mg/kg",
            Unit::UgPerKg => "μg/kg",
            Unit::NgPerKg => "ng/kg",
            Unit::GPerKg => "g/kg",
            Unit::Percent => "%",
            Unit::MgPerL => "mg/L",
            Unit::UgPerL => "μg/L",
            Unit::NgPerL => "ng/L",
            Unit::GPerL => "g/L",
            Unit::CmolPerKg => "cmol/kg",
            Unit::Dimensionless => "dimensionless",
            Unit::BqPerKg => "Bq/kg",
            Unit::BqPerL => "Bq/L",
            Unit::NGyPerH => "nGy/h",
            Unit::UGyPerH => "μGy/h",
        }
    }

    /// What the unit measures.
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::MgPerKg | Unit::UgPerKg | Unit::NgPerKg | Unit::GPerKg | Unit::Percent => {
                Dimension::MassFraction
            }
            Unit::MgPerL | Unit::UgPerL | Unit::NgPerL | Unit::GPerL => {
                Dimension::MassConcentration
            }
            Unit::CmolPerKg => Dimension::ExchangeCapacity,
            Unit::Dimensionless => Dimension::Dimensionless,
            Unit::BqPerKg => Dimension::SpecificActivity,
            Unit::BqPerL => Dimension::ActivityConcentration,
            Unit::NGyPerH | Unit::UGyPerH => Dimension::DoseRate,
        }
    }

    /// Factor that turns a value in this unit into the base unit of its dimension
    /// (mg/kg for mass fractions, mg/L for concentrations, nGy/h for dose rates).
    fn to_base(self) -> Decimal {
        match self {
            Unit::MgPerKg
            | Unit::MgPerL
            | Unit::CmolPerKg
            | Unit::Dimensionless
            | Unit::BqPerKg
            | Unit::BqPerL
            | Unit::NGyPerH => Decimal::ONE,
            Unit::UGyPerH => Decimal::new(1000, 0),
            Unit::UgPerKg | Unit::UgPerL => Decimal::new(1, 3),
            Unit::NgPerKg | Unit::NgPerL => Decimal::new(1, 6),
            Unit::GPerKg | Unit::GPerL => Decimal::new(1000, 0),
            Unit::Percent => Decimal::new(10_000, 0),
        }
    }

    /// Convert `value` from this unit to `to`, exactly.
    ///
    /// # Examples
    /// ```
    /// use rust_decimal::Decimal;
    /// use soilwatch_core::Unit;
    /// let v = Unit::UgPerKg.convert(Decimal::new(300, 0), Unit::MgPerKg).unwrap();
    /// assert_eq!(v, Decimal::new(3, 1)); // 300 μg/kg = 0.3 mg/kg
    /// ```
    pub fn convert(self, value: Decimal, to: Unit) -> CoreResult<Decimal> {
        if self == to {
            return Ok(value);
        }
        if self.dimension() != to.dimension() {
            return Err(CoreError::IncompatibleUnits {
                from: self.symbol().to_owned(),
                to: to.symbol().to_owned(),
                from_dim: self.dimension().label(),
                to_dim: to.dimension().label(),
            });
        }
        let base = value * self.to_base();
        Ok((base / to.to_base()).normalize())
    }

    /// The factor that converts this unit to `to` (`value_in_to = value * factor`).
    pub fn factor_to(self, to: Unit) -> CoreResult<Decimal> {
        self.convert(Decimal::ONE, to)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl FromStr for Unit {
    type Err = CoreError;

    /// Parse the spellings found in lab reports: `mg/kg`, `mg kg-1`, `mg·kg⁻¹`, `毫克/千克`,
    /// `ug/kg`, `µg/kg`, `%`, `mg/l`, `无量纲`, `dimensionless`, … (case of `L` ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                'µ' => 'μ',
                '·' | '⋅' | '∙' | '*' => '.',
                '（' => '(',
                '）' => ')',
                '／' => '/',
                '％' => '%',
                _ => c,
            })
            .collect::<String>()
            .to_lowercase()
            .replace("⁻¹", "-1")
            .replace(".kg-1", "/kg")
            .replace("kg-1", "/kg")
            .replace(".l-1", "/l")
            .replace("l-1", "/l");
        let unit = match norm.as_str() {
            "mg/kg" | "毫克/千克" | "毫克每千克" | "ppm" => Unit::MgPerKg,
            "μg/kg" | "ug/kg" | "微克/千克" | "ppb" => Unit::UgPerKg,
            "ng/kg" | "纳克/千克" => Unit::NgPerKg,
            "g/kg" | "克/千克" => Unit::GPerKg,
            "%" | "百分比" => Unit::Percent,
            "mg/l" | "毫克/升" => Unit::MgPerL,
            "μg/l" | "ug/l" | "微克/升" => Unit::UgPerL,
            "ng/l" | "纳克/升" => Unit::NgPerL,
            "g/l" | "克/升" => Unit::GPerL,
            "cmol/kg" | "cmol(+)/kg" | "厘摩尔/千克" | "cmol/kg(+)" => Unit::CmolPerKg,
            "" | "无量纲" | "dimensionless" | "-" | "无" | "ph" | "ph单位" => {
                Unit::Dimensionless
            }
            "bq/kg" | "贝可/千克" | "贝克/千克" => Unit::BqPerKg,
            "bq/l" | "贝可/升" | "贝克/升" => Unit::BqPerL,
            "ngy/h" | "纳戈瑞/小时" | "纳戈/小时" => Unit::NGyPerH,
            "μgy/h" | "ugy/h" | "微戈瑞/小时" | "微戈/小时" => Unit::UGyPerH,
            _ => return Err(CoreError::UnknownUnit { unit: s.to_owned() }),
        };
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    #[test]
    fn mass_fraction_conversions_are_exact() {
        assert_eq!(
            Unit::UgPerKg.convert(d("300"), Unit::MgPerKg).unwrap(),
            d("0.3")
        );
        assert_eq!(
            Unit::GPerKg.convert(d("0.0003"), Unit::MgPerKg).unwrap(),
            d("0.3")
        );
        assert_eq!(
            Unit::Percent.convert(d("1"), Unit::GPerKg).unwrap(),
            d("10")
        );
        assert_eq!(
            Unit::Percent.convert(d("0.01"), Unit::MgPerKg).unwrap(),
            d("100")
        );
        assert_eq!(
            Unit::MgPerKg.convert(d("0.3"), Unit::UgPerKg).unwrap(),
            d("300")
        );
        assert_eq!(
            Unit::NgPerKg.convert(d("10"), Unit::MgPerKg).unwrap(),
            d("0.00001")
        );
        // 0.1 + 0.2 style float traps do not exist here
        assert_eq!(
            Unit::UgPerKg.convert(d("100"), Unit::MgPerKg).unwrap() + d("0.2"),
            d("0.3")
        );
    }

    #[test]
    fn concentration_conversions_are_exact() {
        assert_eq!(
            Unit::UgPerL.convert(d("5"), Unit::MgPerL).unwrap(),
            d("0.005")
        );
        assert_eq!(
            Unit::MgPerL.convert(d("0.001"), Unit::UgPerL).unwrap(),
            d("1")
        );
        assert_eq!(
            Unit::GPerL.convert(d("1"), Unit::NgPerL).unwrap(),
            d("1000000000")
        );
    }

    #[test]
    fn round_trip_is_identity() {
        for a in Unit::ALL {
            for b in Unit::ALL {
                if a.dimension() == b.dimension() {
                    let there = a.convert(d("12.345"), b).unwrap();
                    assert_eq!(b.convert(there, a).unwrap(), d("12.345"), "{a} -> {b}");
                }
            }
        }
    }

    #[test]
    fn cross_dimension_is_refused() {
        let err = Unit::MgPerKg.convert(d("1"), Unit::MgPerL).unwrap_err();
        assert!(matches!(err, CoreError::IncompatibleUnits { .. }));
        assert!(err.to_string().contains("mg/kg"));
        assert!(Unit::Dimensionless.convert(d("7"), Unit::MgPerKg).is_err());
    }

    #[test]
    fn parses_lab_spellings() {
        for (s, u) in [
            ("mg/kg", Unit::MgPerKg),
            ("MG/KG", Unit::MgPerKg),
            (" mg kg-1 ", Unit::MgPerKg),
            ("mg·kg⁻¹", Unit::MgPerKg),
            ("毫克/千克", Unit::MgPerKg),
            ("ug/kg", Unit::UgPerKg),
            ("µg/kg", Unit::UgPerKg),
            ("μg/kg", Unit::UgPerKg),
            ("g/kg", Unit::GPerKg),
            ("%", Unit::Percent),
            ("mg/l", Unit::MgPerL),
            ("mg/L", Unit::MgPerL),
            ("μg/L", Unit::UgPerL),
            ("无量纲", Unit::Dimensionless),
            ("", Unit::Dimensionless),
            ("cmol(+)/kg", Unit::CmolPerKg),
            ("Bq/kg", Unit::BqPerKg),
            ("Bq·kg⁻¹", Unit::BqPerKg),
            ("bq/L", Unit::BqPerL),
            ("nGy/h", Unit::NGyPerH),
            ("µGy/h", Unit::UGyPerH),
        ] {
            assert_eq!(Unit::from_str(s).unwrap(), u, "{s:?}");
        }
    }

    #[test]
    fn dose_rates_convert_and_activities_stand_alone() {
        assert_eq!(
            Unit::UGyPerH.convert(d("0.085"), Unit::NGyPerH).unwrap(),
            d("85")
        );
        assert!(Unit::BqPerKg.convert(d("1"), Unit::BqPerL).is_err());
        assert!(Unit::BqPerKg.convert(d("1"), Unit::MgPerKg).is_err());
        assert!(Unit::NGyPerH.convert(d("1"), Unit::BqPerKg).is_err());
    }

    #[test]
    fn unknown_unit_names_itself() {
        let err = Unit::from_str("furlongs").unwrap_err();
        assert!(err.to_string().contains("furlongs"));
        assert!(err.to_string().contains("无法识别的单位"));
    }

    #[test]
    fn symbols_parse_back() {
        for u in Unit::ALL {
            assert_eq!(Unit::from_str(u.symbol()).unwrap(), u);
        }
    }
}
