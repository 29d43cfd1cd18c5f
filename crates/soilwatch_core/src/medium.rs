//! Sample media (样品介质).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// What a sample is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// 土壤
    Soil,
    /// 农产品
    AgriculturalProduct,
    /// 灌溉水
    IrrigationWater,
    /// 地下水
    Groundwater,
    /// 地表水
    SurfaceWater,
    /// 底泥 / 沉积物
    Sediment,
    /// 其他
    Other,
}

impl Medium {
    pub const ALL: [Medium; 7] = [
        Medium::Soil,
        Medium::AgriculturalProduct,
        Medium::IrrigationWater,
        Medium::Groundwater,
        Medium::SurfaceWater,
        Medium::Sediment,
        Medium::Other,
    ];

    /// Stable code (`soil`, `groundwater`, …).
    pub fn code(self) -> &'static str {
        match self {
            Medium::Soil => "soil",
            Medium::AgriculturalProduct => "agricultural_product",
            Medium::IrrigationWater => "irrigation_water",
            Medium::Groundwater => "groundwater",
            Medium::SurfaceWater => "surface_water",
            Medium::Sediment => "sediment",
            Medium::Other => "other",
        }
    }

    /// Chinese name.
    pub fn name_cn(self) -> &'static str {
        match self {
            Medium::Soil => "土壤",
            Medium::AgriculturalProduct => "农产品",
            Medium::IrrigationWater => "灌溉水",
            Medium::Groundwater => "地下水",
            Medium::SurfaceWater => "地表水",
            Medium::Sediment => "底泥",
            Medium::Other => "其他",
        }
    }

    /// Water media are measured as concentrations (mg/L).
    pub fn is_water(self) -> bool {
        matches!(
            self,
            Medium::IrrigationWater | Medium::Groundwater | Medium::SurfaceWater
        )
    }
}

impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Medium {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Ok(match t.as_str() {
            "soil" | "土壤" | "土" => Medium::Soil,
            "agricultural_product"
            | "agricultural_products"
            | "crop"
            | "food"
            | "农产品"
            | "农作物" => Medium::AgriculturalProduct,
            "irrigation_water" | "灌溉水" | "农田灌溉水" => Medium::IrrigationWater,
            "groundwater" | "ground_water" | "地下水" => Medium::Groundwater,
            "surface_water" | "地表水" => Medium::SurfaceWater,
            "sediment" | "底泥" | "沉积物" => Medium::Sediment,
            "other" | "其他" => Medium::Other,
            _ => {
                return Err(CoreError::UnknownMedium {
                    value: s.to_owned(),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chinese_and_english() {
        assert_eq!("土壤".parse::<Medium>().unwrap(), Medium::Soil);
        assert_eq!(
            "Surface Water".parse::<Medium>().unwrap(),
            Medium::SurfaceWater
        );
        assert_eq!("地下水".parse::<Medium>().unwrap(), Medium::Groundwater);
        assert_eq!("沉积物".parse::<Medium>().unwrap(), Medium::Sediment);
        for m in Medium::ALL {
            assert_eq!(m.code().parse::<Medium>().unwrap(), m);
            assert_eq!(m.name_cn().parse::<Medium>().unwrap(), m);
        }
        assert!("lava".parse::<Medium>().is_err());
    }

    #[test]
    fn water_media() {
        assert!(Medium::Groundwater.is_water());
        assert!(!Medium::Sediment.is_water());
    }
}
