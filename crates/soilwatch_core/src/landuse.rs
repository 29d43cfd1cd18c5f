//! Land use: the classes of GB/T 21010-2017 《土地利用现状分类》 and the groups of GB 15618-2018
//! (paddy / other / orchard, and paddy–upland rotation).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// GB/T 21010-2017 first- and second-level classes (code, Chinese name).
pub const GB21010_CLASSES: &[(&str, &str)] = &[
    ("01", "耕地"),
    ("0101", "水田"),
    ("0102", "水浇地"),
    ("0103", "旱地"),
    ("02", "园地"),
    ("0201", "果园"),
    ("0202", "茶园"),
    ("0203", "橡胶园"),
    ("0204", "其他园地"),
    ("03", "林地"),
    ("0301", "乔木林地"),
    ("0302", "竹林地"),
    ("0303", "红树林地"),
    ("0304", "森林沼泽"),
    ("0305", "灌木林地"),
    ("0306", "灌丛沼泽"),
    ("0307", "其他林地"),
    ("04", "草地"),
    ("0401", "天然牧草地"),
    ("0402", "沼泽草地"),
    ("0403", "人工牧草地"),
    ("0404", "其他草地"),
    ("05", "商服用地"),
    ("0501", "零售商业用地"),
    ("0502", "批发市场用地"),
    ("0503", "餐饮用地"),
    ("0504", "旅馆用地"),
    ("0505", "商务金融用地"),
    ("0506", "娱乐用地"),
    ("0507", "其他商服用地"),
    ("06", "工矿仓储用地"),
    ("0601", "工业用地"),
    ("0602", "采矿用地"),
    ("0603", "盐田"),
    ("0604", "仓储用地"),
    ("07", "住宅用地"),
    ("0701", "城镇住宅用地"),
    ("0702", "农村宅基地"),
    ("08", "公共管理与公共服务用地"),
    ("0801", "机关团体用地"),
    ("0802", "新闻出版用地"),
    ("0803", "教育用地"),
    ("0804", "科研用地"),
    ("0805", "医疗卫生用地"),
    ("0806", "社会福利用地"),
    ("0807", "文化设施用地"),
    ("0808", "体育用地"),
    ("0809", "公用设施用地"),
    ("0810", "公园与绿地"),
    ("09", "特殊用地"),
    ("10", "交通运输用地"),
    ("1001", "铁路用地"),
    ("1002", "轨道交通用地"),
    ("1003", "公路用地"),
    ("1004", "城镇村道路用地"),
    ("1005", "交通服务场站用地"),
    ("1006", "农村道路"),
    ("1007", "机场用地"),
    ("1008", "港口码头用地"),
    ("1009", "管道运输用地"),
    ("11", "水域及水利设施用地"),
    ("1101", "河流水面"),
    ("1102", "湖泊水面"),
    ("1103", "水库水面"),
    ("1104", "坑塘水面"),
    ("1105", "沿海滩涂"),
    ("1106", "内陆滩涂"),
    ("1107", "沟渠"),
    ("1108", "沼泽地"),
    ("1109", "水工建筑用地"),
    ("1110", "冰川及永久积雪"),
    ("12", "其他土地"),
    ("1201", "空闲地"),
    ("1202", "设施农用地"),
    ("1203", "田坎"),
    ("1204", "盐碱地"),
    ("1205", "沙地"),
    ("1206", "裸土地"),
    ("1207", "裸岩石砾地"),
];

/// The GB 15618-2018 column a piece of farmland is evaluated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FarmlandGroup {
    /// 水田 (0101)
    Paddy,
    /// 旱地、水浇地 and other farmland: the standard's "其他" column.
    Upland,
    /// 果园 (0201): Cu uses the orchard column, every other item the "其他" column.
    Orchard,
    /// 水旱轮作: the stricter of paddy and other, item by item.
    Rotation,
}

impl FarmlandGroup {
    pub fn code(self) -> &'static str {
        match self {
            FarmlandGroup::Paddy => "paddy",
            FarmlandGroup::Upland => "upland",
            FarmlandGroup::Orchard => "orchard",
            FarmlandGroup::Rotation => "rotation",
        }
    }
}

impl fmt::Display for FarmlandGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A land use: a GB/T 21010 class, or paddy–upland rotation (水旱轮作), which GB 15618 treats
/// separately but GB/T 21010 records as 水田.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandUse {
    Class {
        code: &'static str,
        name_cn: &'static str,
    },
    /// 水旱轮作
    Rotation,
}

impl LandUse {
    /// Look up a GB/T 21010 class by its code.
    pub fn from_code(code: &str) -> Option<LandUse> {
        GB21010_CLASSES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, name_cn)| LandUse::Class { code, name_cn })
    }

    /// Stable code: the GB/T 21010 code, or `rotation`.
    pub fn code(self) -> &'static str {
        match self {
            LandUse::Class { code, .. } => code,
            LandUse::Rotation => "rotation",
        }
    }

    pub fn name_cn(self) -> &'static str {
        match self {
            LandUse::Class { name_cn, .. } => name_cn,
            LandUse::Rotation => "水旱轮作",
        }
    }

    /// The GB 15618 group, for farmland and garden land (园地 and 牧草地 may apply GB 15618 by
    /// reference and use the "其他" column); `None` for land GB 15618 does not cover.
    pub fn farmland_group(self) -> Option<FarmlandGroup> {
        match self {
            LandUse::Rotation => Some(FarmlandGroup::Rotation),
            LandUse::Class { code, .. } => match code {
                "0101" => Some(FarmlandGroup::Paddy),
                "0201" => Some(FarmlandGroup::Orchard),
                "01" | "0102" | "0103" | "02" | "0202" | "0203" | "0204" | "0401" | "0403" => {
                    Some(FarmlandGroup::Upland)
                }
                _ => None,
            },
        }
    }
}

impl fmt::Display for LandUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for LandUse {
    type Err = CoreError;

    /// Accepts a GB/T 21010 code (`0101`, also `101`), its Chinese name (`水田`), or the GB 15618
    /// group words `paddy`, `upland` (→ 0103 旱地), `dryland`, `irrigated` (→ 0102), `orchard`,
    /// `rotation` / `水旱轮作`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let lower = t.to_lowercase();
        let by_word = match lower.as_str() {
            "paddy" | "paddy_field" => Some("0101"),
            "irrigated" | "irrigated_land" => Some("0102"),
            "upland" | "dryland" | "dry_land" | "other" => Some("0103"),
            "orchard" => Some("0201"),
            "rotation" | "水旱轮作" | "paddy_upland_rotation" => return Ok(LandUse::Rotation),
            _ => None,
        };
        if let Some(code) = by_word {
            return LandUse::from_code(code).ok_or_else(|| unknown(s));
        }
        if t.chars().all(|c| c.is_ascii_digit()) && (t.len() == 3 || t.len() == 1) {
            // Excel drops the leading zero of 0101.
            let padded = format!("0{t}");
            if let Some(l) = LandUse::from_code(&padded) {
                return Ok(l);
            }
        }
        if let Some(l) = LandUse::from_code(t) {
            return Ok(l);
        }
        GB21010_CLASSES
            .iter()
            .find(|(_, name)| *name == t)
            .map(|&(code, name_cn)| LandUse::Class { code, name_cn })
            .ok_or_else(|| unknown(s))
    }
}

fn unknown(s: &str) -> CoreError {
    CoreError::UnknownLandUse {
        value: s.to_owned(),
    }
}

impl Serialize for LandUse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for LandUse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_words_and_names() {
        assert_eq!("0101".parse::<LandUse>().unwrap().code(), "0101");
        assert_eq!("101".parse::<LandUse>().unwrap().code(), "0101");
        assert_eq!("水田".parse::<LandUse>().unwrap().code(), "0101");
        assert_eq!("paddy".parse::<LandUse>().unwrap().code(), "0101");
        assert_eq!("Upland".parse::<LandUse>().unwrap().code(), "0103");
        assert_eq!("水浇地".parse::<LandUse>().unwrap().code(), "0102");
        assert_eq!("果园".parse::<LandUse>().unwrap().code(), "0201");
        assert_eq!("水旱轮作".parse::<LandUse>().unwrap(), LandUse::Rotation);
        assert_eq!("rotation".parse::<LandUse>().unwrap(), LandUse::Rotation);
        assert!("9999".parse::<LandUse>().is_err());
        assert!("moon"
            .parse::<LandUse>()
            .unwrap_err()
            .to_string()
            .contains("moon"));
    }

    #[test]
    fn gb15618_groups() {
        let g = |s: &str| s.parse::<LandUse>().unwrap().farmland_group();
        assert_eq!(g("0101"), Some(FarmlandGroup::Paddy));
        assert_eq!(g("0102"), Some(FarmlandGroup::Upland));
        assert_eq!(g("0103"), Some(FarmlandGroup::Upland));
        assert_eq!(g("0201"), Some(FarmlandGroup::Orchard));
        assert_eq!(g("0202"), Some(FarmlandGroup::Upland));
        assert_eq!(g("rotation"), Some(FarmlandGroup::Rotation));
        assert_eq!(g("0601"), None);
        assert_eq!(g("0701"), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = GB21010_CLASSES.iter().map(|(c, _)| c).collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }
}
