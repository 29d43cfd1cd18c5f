//! Code tables of the registries: the work plan's industries mapped to GB/T 4754-2017, the land
//! uses a plot may be put to with their GB 50137-2011 codes, and the GB 36600-2018 land class of a
//! GB 50137 code.

use soilwatch_standards::LandClass;

use crate::registry::code_enum;

code_enum! {
    /// 行业 — the industries of the work plan whose sites and enterprises are supervised
    /// (重点行业). Each maps to GB/T 4754-2017 codes ([`Industry::gbt4754`]).
    Industry, field = "industry", what = "行业" / "industry";
    /// 有色金属矿采选
    NonferrousMining = "nonferrous_mining" / "有色金属矿采选" / "nonferrous metal mining and dressing" ["有色金属采选"],
    /// 有色金属冶炼
    NonferrousSmelting = "nonferrous_smelting" / "有色金属冶炼" / "nonferrous metal smelting",
    /// 黑色金属矿采选
    FerrousMining = "ferrous_mining" / "黑色金属矿采选" / "ferrous metal mining and dressing" ["黑色金属采选"],
    /// 黑色金属冶炼
    FerrousSmelting = "ferrous_smelting" / "黑色金属冶炼" / "ferrous metal smelting" ["钢铁"],
    /// 石油加工
    PetroleumRefining = "petroleum_refining" / "石油加工" / "petroleum refining",
    /// 化工
    Chemicals = "chemicals" / "化工" / "chemicals" ["化学原料和化学制品制造"],
    /// 焦化
    Coking = "coking" / "焦化" / "coking" ["炼焦"],
    /// 医药制造
    Pharmaceuticals = "pharmaceuticals" / "医药制造" / "pharmaceuticals" ["医药", "制药"],
    /// 农药
    Pesticides = "pesticides" / "农药" / "pesticides" ["农药制造"],
    /// 电镀
    Electroplating = "electroplating" / "电镀" / "electroplating",
    /// 制革
    Tanning = "tanning" / "制革" / "leather tanning" ["皮革鞣制"],
    /// 纺织印染
    TextileDyeing = "textile_dyeing" / "纺织印染" / "textile dyeing and finishing" ["印染"],
    /// 煤炭开采
    CoalMining = "coal_mining" / "煤炭开采" / "coal mining" ["煤炭", "煤矿"],
    /// 铅蓄电池
    LeadAcidBatteries = "lead_acid_batteries" / "铅蓄电池" / "lead-acid batteries" ["铅蓄电池制造"],
    /// 危险废物处置
    HazardousWaste = "hazardous_waste" / "危险废物处置" / "hazardous-waste treatment and disposal" ["危险废物治理", "危废处置"],
    /// 生活垃圾处理
    MunicipalWaste = "municipal_waste" / "生活垃圾处理" / "municipal solid-waste treatment" ["垃圾填埋"],
    /// 印刷
    Printing = "printing" / "印刷" / "printing",
    /// 加油站
    FillingStation = "filling_station" / "加油站" / "filling station" ["机动车燃油零售"],
    /// 其他 (former uses outside the list)
    Other = "other" / "其他" / "other",
}

impl Industry {
    /// GB/T 4754-2017 codes of the industry (门类 letter with the 大类, 中类 or 小类 digits).
    /// Recalled from the classification; check against the published table before relying on a
    /// code for statistics.
    pub fn gbt4754(self) -> &'static [&'static str] {
        match self {
            Industry::NonferrousMining => &["B09"],
            Industry::NonferrousSmelting => &["C321"],
            Industry::FerrousMining => &["B08"],
            Industry::FerrousSmelting => &["C31"],
            Industry::PetroleumRefining => &["C251"],
            Industry::Chemicals => &["C26"],
            Industry::Coking => &["C2521"],
            Industry::Pharmaceuticals => &["C27"],
            Industry::Pesticides => &["C263"],
            Industry::Electroplating => &["C3360"],
            Industry::Tanning => &["C1910"],
            Industry::TextileDyeing => &["C1713"],
            Industry::CoalMining => &["B06"],
            Industry::LeadAcidBatteries => &["C3843"],
            Industry::HazardousWaste => &["N7724"],
            Industry::MunicipalWaste => &["N7820"],
            Industry::Printing => &["C231"],
            Industry::FillingStation => &["F5265"],
            Industry::Other => &[],
        }
    }
}

code_enum! {
    /// 拟用途 — a use a plot may be put to (transfer, development, planning permit), with its
    /// GB 50137-2011 code; the land-use gate answers per use.
    IntendedUse, field = "use", what = "用途" / "land use";
    /// 居住用地 (R)
    Residential = "residential" / "居住用地" / "residential" ["住宅", "居住"],
    /// 中小学用地 (A33)
    School = "school" / "中小学用地" / "primary or secondary school" ["学校", "中小学"],
    /// 医疗卫生用地 (A5)
    Hospital = "hospital" / "医疗卫生用地" / "medical and health care" ["医院", "医疗"],
    /// 社会福利用地 (A6)
    Welfare = "welfare" / "社会福利用地" / "social welfare" ["社会福利", "养老"],
    /// 社区公园或儿童公园 (G1)
    CommunityPark = "community_park" / "社区公园或儿童公园" / "community or children's park" ["社区公园", "儿童公园"],
    /// 工业用地 (M)
    Industrial = "industrial" / "工业用地" / "industrial" ["工业"],
    /// 物流仓储用地 (W)
    Logistics = "logistics" / "物流仓储用地" / "logistics and warehousing" ["物流仓储", "仓储"],
    /// 商业服务业设施用地 (B)
    Commercial = "commercial" / "商业服务业设施用地" / "commercial and business facilities" ["商业", "商服"],
    /// 道路与交通设施用地 (S)
    Transport = "transport" / "道路与交通设施用地" / "roads and transport facilities" ["道路", "交通"],
    /// 公用设施用地 (U)
    Utilities = "utilities" / "公用设施用地" / "public utilities" ["公用设施"],
    /// 公共管理与公共服务用地 other than A33/A5/A6 (A)
    PublicService = "public_service" / "公共管理与公共服务用地" / "public administration and services" ["公共管理", "行政办公"],
    /// 绿地与广场用地 other than G1 (G)
    GreenSpace = "green_space" / "绿地与广场用地" / "green space and squares" ["绿地", "广场"],
}

impl IntendedUse {
    /// The GB 50137-2011 code of the use.
    pub fn gb50137(self) -> &'static str {
        match self {
            IntendedUse::Residential => "R",
            IntendedUse::School => "A33",
            IntendedUse::Hospital => "A5",
            IntendedUse::Welfare => "A6",
            IntendedUse::CommunityPark => "G1",
            IntendedUse::Industrial => "M",
            IntendedUse::Logistics => "W",
            IntendedUse::Commercial => "B",
            IntendedUse::Transport => "S",
            IntendedUse::Utilities => "U",
            IntendedUse::PublicService => "A",
            IntendedUse::GreenSpace => "G",
        }
    }

    /// The GB 36600 land class of the use.
    pub fn land_class(self) -> LandClass {
        land_class_of(Some(self.gb50137()))
    }

    /// The use of a GB 50137 code (`R2`, `A33`, `M1`, …), if it is one.
    pub fn of_gb50137(code: &str) -> Option<IntendedUse> {
        let c = code.trim().to_uppercase();
        let first = c.chars().next()?;
        Some(match first {
            'R' => IntendedUse::Residential,
            'A' if c.starts_with("A33") => IntendedUse::School,
            'A' if c.starts_with("A5") => IntendedUse::Hospital,
            'A' if c.starts_with("A6") => IntendedUse::Welfare,
            'A' => IntendedUse::PublicService,
            'G' if c.starts_with("G1") => IntendedUse::CommunityPark,
            'G' => IntendedUse::GreenSpace,
            'M' => IntendedUse::Industrial,
            'W' => IntendedUse::Logistics,
            'B' => IntendedUse::Commercial,
            'S' => IntendedUse::Transport,
            'U' => IntendedUse::Utilities,
            _ => return None,
        })
    }

    /// A use from its code, Chinese name or a GB 50137 code.
    pub fn parse_any(s: &str) -> crate::StoreResult<IntendedUse> {
        s.parse::<IntendedUse>().or_else(|e| {
            let t = s.trim();
            let looks_like_code = t.len() <= 4
                && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && t.chars().skip(1).all(|c| c.is_ascii_digit());
            if looks_like_code {
                IntendedUse::of_gb50137(t).ok_or(e)
            } else {
                Err(e)
            }
        })
    }
}

/// GB 36600-2018 land class of a planned use given as a GB 50137-2011 code: R, A33, A5, A6 and
/// G1 are class 1 (第一类用地); M, W, B, S, U, other A and other G are class 2 (第二类用地); a
/// missing or unknown code is class 1 (GB 36600 5.3.1: a site whose planned use is not known is
/// evaluated as class 1).
///
/// # Examples
/// ```
/// use soilwatch_standards::LandClass;
/// use soilwatch_store::registry_codes::land_class_of;
/// assert_eq!(land_class_of(Some("R2")), LandClass::Class1);
/// assert_eq!(land_class_of(Some("A33")), LandClass::Class1);
/// assert_eq!(land_class_of(Some("A1")), LandClass::Class2);
/// assert_eq!(land_class_of(Some("M2")), LandClass::Class2);
/// assert_eq!(land_class_of(None), LandClass::Class1);
/// ```
pub fn land_class_of(gb50137: Option<&str>) -> LandClass {
    match gb50137.and_then(IntendedUse::of_gb50137) {
        Some(
            IntendedUse::Residential
            | IntendedUse::School
            | IntendedUse::Hospital
            | IntendedUse::Welfare
            | IntendedUse::CommunityPark,
        )
        | None => LandClass::Class1,
        Some(_) => LandClass::Class2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_1_codes() {
        for c in ["R", "R1", "r2", "A33", "A5", "A51", "A6", "G1", "G11"] {
            assert_eq!(land_class_of(Some(c)), LandClass::Class1, "{c}");
        }
    }

    #[test]
    fn class_2_codes() {
        for c in [
            "M", "M1", "W2", "B1", "S3", "U1", "A1", "A2", "A31", "G2", "G3",
        ] {
            assert_eq!(land_class_of(Some(c)), LandClass::Class2, "{c}");
        }
    }

    #[test]
    fn unknown_use_is_class_1() {
        assert_eq!(land_class_of(None), LandClass::Class1);
        assert_eq!(land_class_of(Some("")), LandClass::Class1);
        assert_eq!(land_class_of(Some("E1")), LandClass::Class1);
        assert_eq!(land_class_of(Some("H9")), LandClass::Class1);
    }

    #[test]
    fn uses_parse_from_english_chinese_alias_and_gb50137() {
        assert_eq!(
            "residential".parse::<IntendedUse>().unwrap(),
            IntendedUse::Residential
        );
        assert_eq!("学校".parse::<IntendedUse>().unwrap(), IntendedUse::School);
        assert_eq!(IntendedUse::parse_any("A5").unwrap(), IntendedUse::Hospital);
        assert_eq!(
            IntendedUse::parse_any("M1").unwrap(),
            IntendedUse::Industrial
        );
        let e = IntendedUse::parse_any("moon").unwrap_err().to_string();
        assert!(
            e.contains("field use") && e.contains("residential/居住用地"),
            "{e}"
        );
    }

    #[test]
    fn every_listed_industry_has_a_gbt4754_code() {
        for i in Industry::ALL {
            assert_eq!(i.gbt4754().is_empty(), *i == Industry::Other, "{i}");
            assert_eq!(i.code().parse::<Industry>().unwrap(), *i);
            assert_eq!(i.name_cn().parse::<Industry>().unwrap(), *i);
        }
        assert_eq!("炼焦".parse::<Industry>().unwrap(), Industry::Coking);
        assert!("bakery".parse::<Industry>().is_err());
    }
}
