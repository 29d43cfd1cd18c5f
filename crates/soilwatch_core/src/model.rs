//! Registered things: departments, monitoring points, samples and results, and the metadata of
//! a change (who, when, why). Fields are validated types, so an invalid value cannot be built.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::division::{DivisionCode, DivisionLevel};
use crate::error::{CoreError, CoreResult};
use crate::landuse::LandUse;
use crate::medium::Medium;
use crate::unit::Unit;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal / $cn:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn code(self) -> &'static str { match self { $($name::$v => $code),+ } }
            pub fn name_cn(self) -> &'static str { match self { $($name::$v => $cn),+ } }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.code()) }
        }

        impl FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim().to_lowercase().replace([' ', '-'], "_");
                $(if t == $code || t == $cn $(|| t == $alias)* { return Ok($name::$v); })+
                Err(CoreError::InvalidValue {
                    field: stringify!($name),
                    value: s.to_owned(),
                    expected: concat!($($code, "/", $cn, " "),+),
                })
            }
        }
    };
}

code_enum! {
    /// 点位类型 — type of a monitoring point.
    PointType {
        /// 背景点
        Background = "background" / "背景点",
        /// 基础点
        Basic = "basic" / "基础点",
        /// 风险点
        Risk = "risk" / "风险点",
        /// 详查点
        DetailedSurvey = "detailed_survey" / "详查点",
        /// 企业自行监测点
        EnterpriseSelfMonitoring = "enterprise_self_monitoring" / "企业自行监测点",
        /// 灌溉水取水点
        IrrigationIntake = "irrigation_intake" / "灌溉水取水点",
        /// 地下水监测井
        GroundwaterWell = "groundwater_well" / "地下水监测井",
        /// 地表水断面
        SurfaceWaterSection = "surface_water_section" / "地表水断面",
    }
}

code_enum! {
    /// 控制级别 — which level of government runs a point.
    ControlLevel {
        /// 国控
        National = "national" / "国控",
        /// 省控
        Provincial = "provincial" / "省控",
        /// 州控 (市控)
        Prefecture = "prefecture" / "州控" | "市控",
        /// 县控
        County = "county" / "县控",
    }
}

code_enum! {
    /// 检出限定符 — whether a result was detected.
    Qualifier {
        /// 检出
        Detected = "detected" / "检出" | "=" | "",
        /// 未检出 (<DL, ND)
        NotDetected = "not_detected" / "未检出" | "<" | "nd" | "n.d." | "<dl" | "l",
    }
}

/// Longitude/latitude in CGCS2000 (EPSG:4490), checked to be inside China's extent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "(f64, f64)", into = "(f64, f64)")]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// China's extent, generously: 73–136 °E, 3–54 °N.
    pub fn new(lon: f64, lat: f64) -> CoreResult<LonLat> {
        let err = |reason| CoreError::InvalidCoordinate { lon, lat, reason };
        if !lon.is_finite() || !lat.is_finite() {
            return Err(err("不是数值 / not a number"));
        }
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(err("超出经纬度范围 / outside −180..180, −90..90 (are longitude and latitude swapped, or is this a projected coordinate?)"));
        }
        if !(73.0..=136.0).contains(&lon) || !(3.0..=54.0).contains(&lat) {
            return Err(err("不在中国境内 / outside China (73–136 °E, 3–54 °N); are longitude and latitude swapped?"));
        }
        Ok(LonLat { lon, lat })
    }
    pub fn lon(self) -> f64 {
        self.lon
    }
    pub fn lat(self) -> f64 {
        self.lat
    }
}

impl TryFrom<(f64, f64)> for LonLat {
    type Error = CoreError;
    fn try_from((lon, lat): (f64, f64)) -> Result<Self, Self::Error> {
        LonLat::new(lon, lat)
    }
}

impl From<LonLat> for (f64, f64) {
    fn from(p: LonLat) -> (f64, f64) {
        (p.lon, p.lat)
    }
}

/// A non-negative decimal amount (a concentration, a detection limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Amount(Decimal);

impl Amount {
    pub fn new(v: Decimal) -> CoreResult<Amount> {
        if v.is_sign_negative() && !v.is_zero() {
            return Err(CoreError::InvalidValue {
                field: "value",
                value: v.to_string(),
                expected: "a number ≥ 0 / 非负数",
            });
        }
        Ok(Amount(v.normalize()))
    }
    pub fn get(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Amount {
    type Error = CoreError;
    fn try_from(v: Decimal) -> Result<Self, Self::Error> {
        Amount::new(v)
    }
}

impl From<Amount> for Decimal {
    fn from(a: Amount) -> Decimal {
        a.0
    }
}

impl FromStr for Amount {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let v = Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| CoreError::InvalidValue {
                field: "value",
                value: s.to_owned(),
                expected: "a decimal number such as 0.25 or 1.2e-3 / 数值",
            })?;
        Amount::new(v)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// 部门 — a department (organisation) that owns, uploads or reads data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    /// Stable short code, e.g. `eco-env-513400`.
    pub code: String,
    pub name: String,
    /// Prefecture- or county-level.
    pub level: DivisionLevel,
    pub division: DivisionCode,
}

/// 监测点位 — a monitoring point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringPoint {
    pub code: String,
    pub name: String,
    pub point_type: PointType,
    pub control_level: ControlLevel,
    pub division: DivisionCode,
    pub location: LonLat,
    pub land_use: Option<LandUse>,
    /// Risk-area category from the work plan (heavy-pollution enterprise surroundings, …).
    pub risk_category: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub retired_on: Option<NaiveDate>,
}

/// 样品 — a sample taken at a point (or without one, e.g. a market crop sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub code: String,
    pub point_code: Option<String>,
    pub medium: Medium,
    pub division: DivisionCode,
    pub sampled_on: NaiveDate,
    pub land_use: Option<LandUse>,
    /// Crop, for agricultural products (水稻, 玉米, …).
    pub crop: Option<String>,
    /// Sampling depth, cm (top, bottom).
    pub depth_cm: Option<(u32, u32)>,
    pub lab: Option<String>,
}

/// 检测结果 — one analyte measured in one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisResult {
    pub sample_code: String,
    /// Code from the analyte catalogue.
    pub analyte: String,
    /// The reported value; `None` for a non-detect reported without a number.
    pub value: Option<Amount>,
    pub unit: Unit,
    pub detection_limit: Option<Amount>,
    pub qualifier: Qualifier,
    pub method: Option<String>,
}

impl AnalysisResult {
    /// True when the result is a non-detect: qualified as such, or a value below its detection limit.
    pub fn is_non_detect(&self) -> bool {
        match (self.qualifier, self.value, self.detection_limit) {
            (Qualifier::NotDetected, _, _) => true,
            (Qualifier::Detected, Some(v), Some(dl)) => v < dl,
            _ => false,
        }
    }

    /// Check the combination of fields: a detected result needs a value, a non-detect needs a
    /// value or a detection limit.
    pub fn validate(&self) -> CoreResult<()> {
        match (self.qualifier, self.value, self.detection_limit) {
            (Qualifier::Detected, None, _) => Err(CoreError::InvalidValue {
                field: "value",
                value: String::new(),
                expected: "a value for a detected result / 检出结果须有检测值",
            }),
            (Qualifier::NotDetected, None, None) => Err(CoreError::InvalidValue {
                field: "detection_limit",
                value: String::new(),
                expected: "a detection limit for a non-detect / 未检出须给出检出限",
            }),
            _ => Ok(()),
        }
    }
}

/// A sample with its results, the unit of a batch insert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleWithResults {
    pub sample: Sample,
    pub results: Vec<AnalysisResult>,
}

/// Who changes registered data, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeMeta {
    pub actor: String,
    pub reason: String,
}

impl ChangeMeta {
    pub fn new(actor: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            reason: reason.into(),
        }
    }
}

/// A kept version of a registered thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub entity: String,
    pub key: String,
    pub version: i64,
    /// `insert`, `update` or `delete`.
    pub operation: String,
    /// The thing as it was in this version (JSON).
    pub data: serde_json::Value,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lonlat_bounds() {
        assert!(LonLat::new(102.27, 27.89).is_ok()); // Xichang
        assert!(LonLat::new(27.89, 102.27).is_err()); // swapped
        assert!(LonLat::new(500_000.0, 3_000_000.0).is_err()); // projected
        assert!(LonLat::new(f64::NAN, 27.0).is_err());
        assert!(serde_json::from_str::<LonLat>("[27.89, 102.27]").is_err());
    }

    #[test]
    fn amounts_are_non_negative_decimals() {
        assert_eq!("0.30".parse::<Amount>().unwrap().to_string(), "0.3");
        assert_eq!("1.5e-3".parse::<Amount>().unwrap().to_string(), "0.0015");
        assert!("-0.1".parse::<Amount>().is_err());
        assert!("abc".parse::<Amount>().is_err());
        assert!("0".parse::<Amount>().is_ok());
    }

    #[test]
    fn qualifiers_and_enums_parse() {
        assert_eq!("<".parse::<Qualifier>().unwrap(), Qualifier::NotDetected);
        assert_eq!("ND".parse::<Qualifier>().unwrap(), Qualifier::NotDetected);
        assert_eq!(
            "未检出".parse::<Qualifier>().unwrap(),
            Qualifier::NotDetected
        );
        assert_eq!("".parse::<Qualifier>().unwrap(), Qualifier::Detected);
        assert_eq!(
            "国控".parse::<ControlLevel>().unwrap(),
            ControlLevel::National
        );
        assert_eq!(
            "市控".parse::<ControlLevel>().unwrap(),
            ControlLevel::Prefecture
        );
        assert_eq!(
            "背景点".parse::<PointType>().unwrap(),
            PointType::Background
        );
        assert_eq!(
            "groundwater well".parse::<PointType>().unwrap(),
            PointType::GroundwaterWell
        );
        let e = "moon".parse::<PointType>().unwrap_err().to_string();
        assert!(e.contains("moon") && e.contains("背景点"), "{e}");
    }

    fn result(q: Qualifier, v: Option<&str>, dl: Option<&str>) -> AnalysisResult {
        AnalysisResult {
            sample_code: "S1".into(),
            analyte: "Cd".into(),
            value: v.map(|s| s.parse().unwrap()),
            unit: Unit::MgPerKg,
            detection_limit: dl.map(|s| s.parse().unwrap()),
            qualifier: q,
            method: None,
        }
    }

    #[test]
    fn non_detects() {
        assert!(result(Qualifier::NotDetected, None, Some("0.01")).is_non_detect());
        assert!(result(Qualifier::Detected, Some("0.005"), Some("0.01")).is_non_detect());
        assert!(!result(Qualifier::Detected, Some("0.01"), Some("0.01")).is_non_detect());
        assert!(result(Qualifier::Detected, None, None).validate().is_err());
        assert!(result(Qualifier::NotDetected, None, None)
            .validate()
            .is_err());
        assert!(result(Qualifier::NotDetected, None, Some("0.01"))
            .validate()
            .is_ok());
    }
}
