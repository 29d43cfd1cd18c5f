//! The monitoring network's point model (issue 5): the risk-area categories of the work plan
//! and a point with what it watches and when it moved. Persistence and the coverage report live
//! in the store (`soilwatch_store::network`).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::model::MonitoringPoint;

/// Prefix of the codes of generated demonstration points and samples.
pub const DEMO_PREFIX: &str = "DEMO-";

macro_rules! risk_categories {
    ($($(#[$m:meta])* $v:ident = $code:literal / $cn:literal / $en:literal),+ $(,)?) => {
        /// 风险区类别 — the risk-area categories of the work plan where risk points are laid.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum RiskAreaCategory { $($(#[$m])* $v),+ }

        impl RiskAreaCategory {
            /// Every category, in the work plan's order.
            pub const ALL: &'static [RiskAreaCategory] = &[$(RiskAreaCategory::$v),+];
            /// Stable code, stored in `points.risk_category`.
            pub fn code(self) -> &'static str { match self { $(RiskAreaCategory::$v => $code),+ } }
            /// Chinese name as in the work plan.
            pub fn name_cn(self) -> &'static str { match self { $(RiskAreaCategory::$v => $cn),+ } }
            pub fn name_en(self) -> &'static str { match self { $(RiskAreaCategory::$v => $en),+ } }
        }
    };
}

risk_categories! {
    /// 重点行业企业周边
    HeavyPollutionEnterprise = "heavy_pollution_enterprise" / "重点行业企业周边" / "surroundings of heavy-pollution enterprises",
    /// 工业园区
    IndustrialPark = "industrial_park" / "工业园区" / "industrial park",
    /// 工业企业遗留场地
    LegacyIndustrialSite = "legacy_industrial_site" / "工业企业遗留场地" / "legacy industrial site",
    /// 固体废物集中处理处置场地
    SolidWasteDisposal = "solid_waste_disposal" / "固体废物集中处理处置场地" / "solid-waste disposal site",
    /// 蔬菜和粮食生产基地
    VegetableGrainBase = "vegetable_grain_base" / "蔬菜和粮食生产基地" / "vegetable and grain base",
    /// 规模化畜禽养殖基地
    LivestockBase = "livestock_base" / "规模化畜禽养殖基地" / "livestock base",
    /// 集中式饮用水水源地
    DrinkingWaterSource = "drinking_water_source" / "集中式饮用水水源地" / "drinking-water source",
    /// 矿区 (采矿、选矿、冶炼)
    MiningArea = "mining_area" / "矿区" / "mining area",
    /// 尾矿库
    TailingsPond = "tailings_pond" / "尾矿库" / "tailings pond",
    /// 交通干线两侧
    TrafficCorridor = "traffic_corridor" / "交通干线两侧" / "traffic corridor",
    /// 加油站
    FillingStation = "filling_station" / "加油站" / "filling station",
    /// 污水灌溉区
    SewageIrrigation = "sewage_irrigation" / "污水灌溉区" / "sewage-irrigated area",
}

impl fmt::Display for RiskAreaCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for RiskAreaCategory {
    type Err = CoreError;
    /// Accepts the code (`mining_area`, `mining-area`) or the Chinese name (`矿区`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        RiskAreaCategory::ALL
            .iter()
            .copied()
            .find(|c| c.code() == t || c.name_cn() == s.trim())
            .ok_or_else(|| CoreError::UnknownRiskCategory {
                value: s.to_owned(),
                expected: RiskAreaCategory::ALL
                    .iter()
                    .map(|c| format!("{}/{}", c.code(), c.name_cn()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// 监测点位 (完整) — a point of the monitoring network with what it watches and when it moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkPoint {
    #[serde(flatten)]
    pub point: MonitoringPoint,
    /// The enterprise the point watches (unified social credit code or registry code; free text
    /// until the enterprise registry exists).
    pub watched_enterprise: Option<String>,
    /// The plot the point watches (plot code; free text until the plot registry exists).
    pub watched_plot: Option<String>,
    /// When the point was last moved; earlier locations are in its history.
    pub moved_on: Option<NaiveDate>,
}

impl NetworkPoint {
    /// A point with nothing watched and never moved.
    pub fn new(point: MonitoringPoint) -> Self {
        Self {
            point,
            watched_enterprise: None,
            watched_plot: None,
            moved_on: None,
        }
    }

    /// Demonstration data (code prefixed `DEMO-`).
    pub fn is_demo(&self) -> bool {
        self.point.code.starts_with(DEMO_PREFIX)
    }

    pub fn risk_area(&self) -> Option<RiskAreaCategory> {
        self.point
            .risk_category
            .as_deref()
            .and_then(|c| c.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_categories_parse_by_code_and_chinese_name() {
        assert_eq!(
            "矿区".parse::<RiskAreaCategory>().unwrap(),
            RiskAreaCategory::MiningArea
        );
        assert_eq!(
            "filling-station".parse::<RiskAreaCategory>().unwrap(),
            RiskAreaCategory::FillingStation
        );
        for c in RiskAreaCategory::ALL {
            assert_eq!(c.code().parse::<RiskAreaCategory>().unwrap(), *c);
            assert_eq!(c.name_cn().parse::<RiskAreaCategory>().unwrap(), *c);
        }
        let e = "moon base"
            .parse::<RiskAreaCategory>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("risk_category") && e.contains("矿区"), "{e}");
    }
}
