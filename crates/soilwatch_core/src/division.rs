//! Administrative divisions (行政区划), GB/T 2260 codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Province-level prefixes in use in GB/T 2260 (including 71 Taiwan, 81 Hong Kong, 82 Macao).
const PROVINCES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省级
    Province,
    /// 地级 (市、州、盟)
    Prefecture,
    /// 县级 (县、县级市、区、自治县)
    County,
}

/// A six-digit GB/T 2260 division code.
///
/// # Examples
/// ```
/// use soilwatch_core::{DivisionCode, DivisionLevel};
/// let c: DivisionCode = "513402".parse().unwrap();
/// assert_eq!(c.level(), DivisionLevel::County);
/// assert_eq!(c.parent().unwrap().to_string(), "513400");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(u32);

impl DivisionCode {
    pub fn new(code: u32) -> Result<DivisionCode, CoreError> {
        code.to_string().parse()
    }

    pub fn value(self) -> u32 {
        self.0
    }

    pub fn level(self) -> DivisionLevel {
        if self.0.is_multiple_of(10_000) {
            DivisionLevel::Province
        } else if self.0.is_multiple_of(100) {
            DivisionLevel::Prefecture
        } else {
            DivisionLevel::County
        }
    }

    /// The enclosing division: county → prefecture, prefecture → province.
    /// Counties directly under a province (prefecture digits `90`) report the province.
    pub fn parent(self) -> Option<DivisionCode> {
        match self.level() {
            DivisionLevel::Province => None,
            DivisionLevel::Prefecture => Some(DivisionCode(self.0 / 10_000 * 10_000)),
            DivisionLevel::County => {
                let pref = self.0 / 100 * 100;
                if (pref / 100) % 100 == 90 {
                    Some(DivisionCode(self.0 / 10_000 * 10_000))
                } else {
                    Some(DivisionCode(pref))
                }
            }
        }
    }

    /// True when `other` is this division or lies within it.
    pub fn contains(self, other: DivisionCode) -> bool {
        match self.level() {
            DivisionLevel::Province => other.0 / 10_000 == self.0 / 10_000,
            DivisionLevel::Prefecture => other.0 / 100 == self.0 / 100 || other == self,
            DivisionLevel::County => other == self,
        }
    }
}

impl FromStr for DivisionCode {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let err = |reason| CoreError::InvalidDivisionCode {
            code: s.to_owned(),
            reason,
        };
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("应为6位数字 / must be exactly 6 digits"));
        }
        let v: u32 = t.parse().map_err(|_| err("not a number"))?;
        if !PROVINCES.contains(&(v / 10_000)) {
            return Err(err(
                "前两位不是省级代码 / the first two digits are not a province code",
            ));
        }
        if !v.is_multiple_of(10_000) && (v / 100).is_multiple_of(100) {
            return Err(err(
                "第3–4位为00而第5–6位不为00 / digits 3–4 are 00 but digits 5–6 are not",
            ));
        }
        Ok(DivisionCode(v))
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.to_string()
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// A division with its name, boundary and area.
#[derive(Debug, Clone, PartialEq)]
pub struct Division {
    pub code: DivisionCode,
    /// 名称, e.g. 会理市
    pub name: String,
    pub level: DivisionLevel,
    pub parent: Option<DivisionCode>,
    /// Seat of government, longitude/latitude (CGCS2000).
    pub center: Option<(f64, f64)>,
    /// Boundary, longitude/latitude (CGCS2000).
    pub boundary: Option<geo_types::MultiPolygon<f64>>,
    /// Area in km², computed in the 3° Gauss–Krüger zone of the boundary.
    pub area_km2: Option<f64>,
    /// Where the boundary comes from.
    pub boundary_source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> DivisionCode {
        s.parse().unwrap()
    }

    #[test]
    fn levels_and_parents() {
        assert_eq!(c("510000").level(), DivisionLevel::Province);
        assert_eq!(c("513400").level(), DivisionLevel::Prefecture);
        assert_eq!(c("513401").level(), DivisionLevel::County);
        assert_eq!(c("513402").parent(), Some(c("513400")));
        assert_eq!(c("513400").parent(), Some(c("510000")));
        assert_eq!(c("510000").parent(), None);
        // Counties directly administered by a province (省直辖县级行政区划, xx90xx).
        assert_eq!(c("429004").parent(), Some(c("420000")));
    }

    #[test]
    fn containment() {
        assert!(c("513400").contains(c("513402")));
        assert!(c("513400").contains(c("513400")));
        assert!(!c("513400").contains(c("513301")));
        assert!(c("510000").contains(c("513437")));
        assert!(!c("513402").contains(c("513401")));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "", "51340", "5134000", "51340a", "991234", "000000", "510001", " 5134 ",
        ] {
            assert!(bad.parse::<DivisionCode>().is_err(), "{bad:?} accepted");
        }
        let e = "991234".parse::<DivisionCode>().unwrap_err().to_string();
        assert!(e.contains("991234") && e.contains("province"), "{e}");
    }

    #[test]
    fn display_keeps_six_digits_and_round_trips() {
        assert_eq!(c("110101").to_string(), "110101");
        assert_eq!(c(" 513402 ").to_string(), "513402");
        let json = serde_json::to_string(&c("513402")).unwrap();
        assert_eq!(json, "\"513402\"");
        assert_eq!(
            serde_json::from_str::<DivisionCode>(&json).unwrap(),
            c("513402")
        );
    }
}
