//! 目标面积 — the areas worked toward the work plan's targets: safe-utilization land under
//! measures, strict-control land restructured or returned to forest or grassland, and
//! remediated land, recorded per unit and year.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ClassifyError;
use crate::rules::UnitClass;

/// A measure whose area counts toward a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 安全利用类：农艺调控 — agronomic regulation on safe-utilization land.
    SafeUseAgronomic,
    /// 安全利用类：替代种植 — substitute crops on safe-utilization land.
    SafeUseSubstituteCrops,
    /// 严格管控类：种植结构调整 — planting restructured on strict-control land.
    StrictRestructured,
    /// 严格管控类：退耕还林还草 — returned to forest or grassland.
    StrictReturnedForestGrass,
    /// 治理与修复 — remediated.
    Remediated,
}

impl Measure {
    pub const ALL: [Measure; 5] = [
        Measure::SafeUseAgronomic,
        Measure::SafeUseSubstituteCrops,
        Measure::StrictRestructured,
        Measure::StrictReturnedForestGrass,
        Measure::Remediated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Measure::SafeUseAgronomic => "safe_use_agronomic",
            Measure::SafeUseSubstituteCrops => "safe_use_substitute_crops",
            Measure::StrictRestructured => "strict_restructured",
            Measure::StrictReturnedForestGrass => "strict_returned_forest_grass",
            Measure::Remediated => "remediated",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            Measure::SafeUseAgronomic => "安全利用（农艺调控）",
            Measure::SafeUseSubstituteCrops => "安全利用（替代种植）",
            Measure::StrictRestructured => "严格管控（种植结构调整）",
            Measure::StrictReturnedForestGrass => "严格管控（退耕还林还草）",
            Measure::Remediated => "治理与修复",
        }
    }

    /// The work-plan target the area counts toward: `safe_utilization` (50.9 ×10⁴ mu),
    /// `strict_control` (24.2 ×10⁴ mu) or `remediation` (12.7 ×10⁴ mu).
    pub fn target(self) -> &'static str {
        match self {
            Measure::SafeUseAgronomic | Measure::SafeUseSubstituteCrops => "safe_utilization",
            Measure::StrictRestructured | Measure::StrictReturnedForestGrass => "strict_control",
            Measure::Remediated => "remediation",
        }
    }

    /// Whether the measure fits a unit of this class (remediation fits safe utilization and
    /// strict control).
    pub fn fits(self, class: UnitClass) -> bool {
        match self.target() {
            "safe_utilization" => class == UnitClass::SafeUtilization,
            "strict_control" => class == UnitClass::StrictControl,
            _ => class != UnitClass::PriorityProtection,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Measure {
    type Err = ClassifyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Measure::ALL
            .into_iter()
            .find(|m| m.code() == t || m.name_cn() == s.trim())
            .ok_or_else(|| ClassifyError::Setting {
                field: "measure",
                value: s.to_owned(),
                expected: "safe_use_agronomic | safe_use_substitute_crops | strict_restructured | \
                           strict_returned_forest_grass | remediated",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_parse_and_fit_their_classes() {
        for m in Measure::ALL {
            assert_eq!(m.code().parse::<Measure>().unwrap(), m);
            assert_eq!(m.name_cn().parse::<Measure>().unwrap(), m);
        }
        assert!(Measure::SafeUseAgronomic.fits(UnitClass::SafeUtilization));
        assert!(!Measure::SafeUseAgronomic.fits(UnitClass::StrictControl));
        assert!(Measure::Remediated.fits(UnitClass::StrictControl));
        assert!(!Measure::Remediated.fits(UnitClass::PriorityProtection));
        assert!("x"
            .parse::<Measure>()
            .unwrap_err()
            .to_string()
            .contains("measure"));
    }
}
