//! Every value of every table: the parsed rulesets against the data files row by row (the files
//! in `data/` are verbatim copies of the reference tables), and against hand-typed expectations
//! of the standards' tables.

use std::str::FromStr;

use rust_decimal::Decimal;
use soilwatch_core::FarmlandGroup;
use soilwatch_standards::ruleset::DATA_FILES;
use soilwatch_standards::{
    LandClass, PhBand, RulesetRegistry, SoilEngine, ThresholdValue, ValueType, WaterClass,
};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s.trim())
        .or_else(|_| Decimal::from_scientific(s.trim()))
        .unwrap_or_else(|_| panic!("not a number: {s}"))
}

fn rows(file: &str) -> Vec<csv::StringRecord> {
    let text = DATA_FILES.iter().find(|(n, _)| *n == file).expect("file").1;
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records().map(|x| x.expect("row")).collect()
}

fn values(id: &str) -> &'static [ThresholdValue] {
    &RulesetRegistry::builtin().get(id).expect("ruleset").values
}

#[test]
fn data_files_match_the_reference_copies() {
    // The copies carry the reference header and row count (see data/README.md).
    for (file, header_start, n) in [
        ("gb15618_2018.csv", "standard,table,analyte_cn", 79),
        ("gb36600_2018.csv", "standard,table,group,analyte_cn", 85),
        ("gb2762_crops.csv", "standard,analyte,food_category_cn", 28),
        ("gb5084_2021.csv", "standard,item_cn,item_en,crop_type", 75),
        ("gb14848_2017.csv", "standard,item,class,limit_low", 462),
        ("gb3838_2002.csv", "standard,item,class,limit_low", 205),
    ] {
        let text = DATA_FILES.iter().find(|(f, _)| *f == file).unwrap().1;
        assert!(text.starts_with(header_start), "{file}");
        assert_eq!(rows(file).len(), n, "{file}");
        assert!(
            text.contains(",confidence,source"),
            "{file} keeps confidence and source"
        );
    }
}

#[test]
fn gb15618_row_by_row() {
    let vs = values("gb15618-2018");
    let rs = rows("gb15618_2018.csv");
    assert_eq!(vs.len(), rs.len());
    for (v, r) in vs.iter().zip(&rs) {
        assert_eq!(v.table, &r[1]);
        assert_eq!(v.item_cn, &r[2]);
        assert_eq!(v.land_use.as_deref(), Some(&r[5]));
        let band = match (&r[6], &r[7]) {
            ("", "") => None,
            ("", "5.5") => Some(PhBand::UpTo5_5),
            ("5.5", "6.5") => Some(PhBand::From5_5To6_5),
            ("6.5", "7.5") => Some(PhBand::From6_5To7_5),
            ("7.5", "") => Some(PhBand::Above7_5),
            other => panic!("band {other:?}"),
        };
        assert_eq!(v.ph_band, band);
        assert_eq!(
            v.value_type,
            if &r[8] == "screening" {
                ValueType::Screening
            } else {
                ValueType::Intervention
            }
        );
        assert_eq!(v.upper, Some(d(&r[9])));
        assert_eq!(v.value_as_written, &r[9]);
        assert_eq!(v.unit, "mg/kg");
        assert_eq!((v.confidence.as_str(), v.source.as_str()), (&r[10], &r[11]));
        assert!(v.analyte.is_some(), "{} resolves", v.item_cn);
    }
}

/// GB 15618-2018 表1 and 表3, typed from the standard: (code, column, [4 bands]).
const GB15618_SCREENING: &[(&str, &str, [&str; 4])] = &[
    ("Cd", "paddy", ["0.3", "0.4", "0.6", "0.8"]),
    ("Cd", "other", ["0.3", "0.3", "0.3", "0.6"]),
    ("Hg", "paddy", ["0.5", "0.5", "0.6", "1.0"]),
    ("Hg", "other", ["1.3", "1.8", "2.4", "3.4"]),
    ("As", "paddy", ["30", "30", "25", "20"]),
    ("As", "other", ["40", "40", "30", "25"]),
    ("Pb", "paddy", ["80", "100", "140", "240"]),
    ("Pb", "other", ["70", "90", "120", "170"]),
    ("Cr", "paddy", ["250", "250", "300", "350"]),
    ("Cr", "other", ["150", "150", "200", "250"]),
    ("Cu", "orchard", ["150", "150", "200", "200"]),
    ("Cu", "other", ["50", "50", "100", "100"]),
    ("Ni", "all", ["60", "70", "100", "190"]),
    ("Zn", "all", ["200", "200", "250", "300"]),
];
const GB15618_INTERVENTION: &[(&str, [&str; 4])] = &[
    ("Cd", ["1.5", "2.0", "3.0", "4.0"]),
    ("Hg", ["2.0", "2.5", "4.0", "6.0"]),
    ("As", ["200", "150", "120", "100"]),
    ("Pb", ["400", "500", "700", "1000"]),
    ("Cr", ["800", "850", "1000", "1300"]),
];

#[test]
fn gb15618_every_value_against_the_standard() {
    let e = SoilEngine::builtin("gb15618-2018").unwrap();
    let group_of = |col: &str| match col {
        "paddy" => FarmlandGroup::Paddy,
        "orchard" => FarmlandGroup::Orchard,
        _ => FarmlandGroup::Upland,
    };
    let mut n = 0;
    for (code, col, vals) in GB15618_SCREENING {
        for (band, v) in PhBand::ALL.iter().zip(vals) {
            let (s, _) = e
                .farmland_thresholds(code, group_of(col), Some(*band))
                .unwrap();
            assert_eq!(s, Some(d(v)), "{code} {col} {band}");
            n += 1;
        }
    }
    for (code, vals) in GB15618_INTERVENTION {
        for (band, v) in PhBand::ALL.iter().zip(vals) {
            for g in [
                FarmlandGroup::Paddy,
                FarmlandGroup::Upland,
                FarmlandGroup::Orchard,
                FarmlandGroup::Rotation,
            ] {
                let (_, i) = e.farmland_thresholds(code, g, Some(*band)).unwrap();
                assert_eq!(i, Some(d(v)), "{code} {band} {g}");
            }
            n += 1;
        }
    }
    for (code, v) in [("HCH", "0.1"), ("DDT", "0.1"), ("BaP", "0.55")] {
        for band in PhBand::ALL {
            assert_eq!(
                e.farmland_thresholds(code, FarmlandGroup::Paddy, Some(band))
                    .unwrap(),
                (Some(d(v)), None)
            );
        }
        n += 1;
    }
    assert_eq!(n, 79, "every value of the data file is covered");
    // Cu in paddy and Ni, Zn everywhere use their only column; rotation is the stricter.
    assert_eq!(
        e.farmland_thresholds("Cu", FarmlandGroup::Paddy, Some(PhBand::UpTo5_5))
            .unwrap()
            .0,
        Some(d("50"))
    );
    for (band, cd) in PhBand::ALL.iter().zip(["0.3", "0.3", "0.3", "0.6"]) {
        assert_eq!(
            e.farmland_thresholds("Cd", FarmlandGroup::Rotation, Some(*band))
                .unwrap()
                .0,
            Some(d(cd))
        );
    }
    for (band, hg) in PhBand::ALL.iter().zip(["0.5", "0.5", "0.6", "1.0"]) {
        assert_eq!(
            e.farmland_thresholds("Hg", FarmlandGroup::Rotation, Some(*band))
                .unwrap()
                .0,
            Some(d(hg))
        );
    }
}

#[test]
fn gb36600_row_by_row_and_typed_values() {
    let vs = values("gb36600-2018");
    let rs = rows("gb36600_2018.csv");
    let mut it = vs.iter();
    for r in &rs {
        for (col, vt, class) in [
            (6, ValueType::Screening, 1),
            (7, ValueType::Screening, 2),
            (8, ValueType::Intervention, 1),
            (9, ValueType::Intervention, 2),
        ] {
            if r[col].trim().is_empty() {
                continue;
            }
            let v = it.next().expect("a value per non-empty cell");
            assert_eq!(
                (v.item_cn.as_str(), v.value_type, v.land_class),
                (&r[3], vt, Some(class))
            );
            assert_eq!(v.upper, Some(d(&r[col])));
            assert_eq!((v.confidence.as_str(), v.source.as_str()), (&r[10], &r[11]));
            assert!(
                v.analyte.is_some(),
                "{} resolves to a catalogue analyte",
                v.item_cn
            );
        }
    }
    assert!(it.next().is_none());
    assert_eq!(vs.len(), 85 * 4, "every item has all four values");
    let e = SoilEngine::builtin("gb36600-2018").unwrap();
    // typed from GB 36600-2018 表1/表2: screening 1, screening 2, intervention 1, intervention 2
    for (code, s1, s2, i1, i2) in [
        ("As", "20", "60", "120", "140"),
        ("Cd", "20", "65", "47", "172"),
        ("Cr6", "3", "5.7", "30", "78"),
        ("Cu", "2000", "18000", "8000", "36000"),
        ("Pb", "400", "800", "800", "2500"),
        ("Hg", "8", "38", "33", "82"),
        ("Ni", "150", "900", "600", "2000"),
        ("benzene", "1", "4", "10", "40"),
        ("BaP", "0.55", "1.5", "5.5", "15"),
        ("PCBs", "0.14", "0.38", "1.4", "3.8"),
        ("dioxins", "0.00001", "0.00004", "0.0001", "0.0004"),
        ("TPH_C10_C40", "826", "4500", "5000", "9000"),
        ("V", "165", "752", "330", "1500"),
    ] {
        assert_eq!(
            e.construction_thresholds(code, LandClass::Class1).unwrap(),
            (Some(d(s1)), Some(d(i1))),
            "{code}"
        );
        assert_eq!(
            e.construction_thresholds(code, LandClass::Class2).unwrap(),
            (Some(d(s2)), Some(d(i2))),
            "{code}"
        );
    }
    let verified = vs
        .iter()
        .filter(|v| v.confidence == "verified_2src")
        .count();
    assert_eq!(verified, 34 * 4);
}

#[test]
fn gb2762_row_by_row() {
    let vs = values("gb2762-2022");
    let rs = rows("gb2762_crops.csv");
    assert_eq!(vs.len(), rs.len());
    for (v, r) in vs.iter().zip(&rs) {
        assert_eq!(v.analyte.as_deref(), Some(&r[1]));
        assert_eq!(v.crop.as_deref(), Some(&r[2]));
        assert_eq!(v.upper, Some(d(&r[4])));
        assert_eq!(v.basis.as_deref(), Some(&r[5]));
        assert_eq!((v.confidence.as_str(), v.source.as_str()), (&r[6], &r[7]));
    }
    assert_eq!(vs.iter().filter(|v| v.confidence == "recalled").count(), 13);
}

#[test]
fn gb5084_row_by_row() {
    let vs = values("gb5084-2021");
    let rs = rows("gb5084_2021.csv");
    let mut it = vs.iter().peekable();
    for r in &rs {
        let n = r[4].split(';').count();
        for _ in 0..n {
            let v = it.next().expect("value");
            assert_eq!(
                (v.item_cn.as_str(), v.crop.as_deref()),
                (&r[1], Some(&r[3]))
            );
            assert_eq!(v.value_as_written, &r[4]);
            assert_eq!((v.unit.as_str(), v.confidence.as_str()), (&r[5], &r[6]));
        }
    }
    assert!(it.next().is_none());
    // typed: paddy As 0.05, dryland As 0.1, paddy Cu 0.5, pH 5.5–8.5, vegetable COD a 100 / b 60
    let find = |item: &str, crop: &str| {
        vs.iter()
            .filter(|v| v.item_cn == item && v.crop.as_deref() == Some(crop))
            .map(|v| (v.lower, v.upper))
            .collect::<Vec<_>>()
    };
    assert_eq!(find("总砷", "paddy"), [(None, Some(d("0.05")))]);
    assert_eq!(find("总砷", "dryland"), [(None, Some(d("0.1")))]);
    assert_eq!(find("总铜", "paddy"), [(None, Some(d("0.5")))]);
    assert_eq!(find("pH", "vegetable"), [(Some(d("5.5")), Some(d("8.5")))]);
    assert_eq!(
        find("化学需氧量（CODCr）", "vegetable"),
        [(None, Some(d("100"))), (None, Some(d("60")))]
    );
    assert_eq!(find("总汞", "paddy"), [(None, Some(d("0.001")))]);
}

fn water_row_by_row(id: &str, file: &str) {
    let vs = values(id);
    let rs = rows(file);
    assert_eq!(vs.len(), rs.len());
    for (v, r) in vs.iter().zip(&rs) {
        assert_eq!(v.item_cn, &r[1]);
        let class = match &r[2] {
            "Ⅰ" => Some(WaterClass::I),
            "Ⅱ" => Some(WaterClass::II),
            "Ⅲ" => Some(WaterClass::III),
            "Ⅳ" => Some(WaterClass::IV),
            "Ⅴ" => Some(WaterClass::V),
            _ => None,
        };
        assert_eq!(v.water_class, class);
        let num = |s: &str| {
            let s = s.trim().trim_end_matches("(exclusive)").trim();
            Decimal::from_str(s).ok()
        };
        assert_eq!(v.lower, num(&r[3]), "{} {}", v.item_cn, &r[3]);
        assert_eq!(v.lower_exclusive, r[3].contains("exclusive"));
        assert_eq!(v.upper, num(&r[4]), "{} {}", v.item_cn, &r[4]);
        assert_eq!(
            (v.unit.as_str(), v.confidence.as_str(), v.source.as_str()),
            (&r[5], &r[6], &r[7])
        );
    }
}

#[test]
fn gb14848_row_by_row() {
    water_row_by_row("gb14848-2017", "gb14848_2017.csv");
    let vs = values("gb14848-2017");
    // typed: Cd Ⅰ 0.0001, Ⅲ 0.005, Ⅳ 0.01; As Ⅲ 0.01; NH3-N Ⅲ 0.50; nitrate Ⅲ 20.0
    for (item, class, v) in [
        ("镉", WaterClass::I, "0.0001"),
        ("镉", WaterClass::III, "0.005"),
        ("镉", WaterClass::IV, "0.01"),
        ("砷", WaterClass::III, "0.01"),
        ("氨氮（以N计）", WaterClass::III, "0.50"),
        ("硝酸盐（以N计）", WaterClass::III, "20.0"),
    ] {
        let row = vs
            .iter()
            .find(|x| x.item_cn == item && x.water_class == Some(class))
            .unwrap();
        assert_eq!(row.upper, Some(d(v)), "{item} {class}");
    }
    assert_eq!(
        vs.iter()
            .filter(|v| v.table == "表1")
            .map(|v| &v.item_cn)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        39
    );
}

#[test]
fn gb3838_row_by_row() {
    water_row_by_row("gb3838-2002", "gb3838_2002.csv");
    let vs = values("gb3838-2002");
    let source = vs
        .iter()
        .filter(|v| v.value_type == ValueType::SourceWaterLimit)
        .count();
    assert_eq!(
        source, 85,
        "5 supplementary + 80 specific items are single values"
    );
    assert_eq!(vs.iter().filter(|v| v.table == "表2").count(), 5);
    assert_eq!(vs.iter().filter(|v| v.table == "表3").count(), 80);
    for (item, class, v) in [
        ("氨氮", WaterClass::III, "1.0"),
        ("化学需氧量", WaterClass::III, "20.0"),
        ("汞", WaterClass::I, "0.00005"),
        ("镉", WaterClass::V, "0.01"),
    ] {
        let row = vs
            .iter()
            .find(|x| x.item_cn == item && x.water_class == Some(class))
            .unwrap();
        assert_eq!(row.upper, Some(d(v)), "{item}");
    }
    let do1 = vs
        .iter()
        .find(|x| x.item_cn == "溶解氧" && x.water_class == Some(WaterClass::I))
        .unwrap();
    assert_eq!((do1.lower, do1.upper), (Some(d("7.5")), None));
}

#[test]
fn api_json_shows_confidence_and_source() {
    let reg = RulesetRegistry::builtin();
    let json = serde_json::to_value(reg.get("gb15618-2018").unwrap()).unwrap();
    let first = &json["values"][0];
    assert_eq!(first["confidence"], "verified_1src+recall");
    assert!(first["source"]
        .as_str()
        .unwrap()
        .contains("lensis22414017/SRS"));
    assert_eq!(first["table"], "表1");
    assert_eq!(first["upper"], "0.3");
    let list =
        serde_json::to_value(reg.list().iter().map(|r| r.summary()).collect::<Vec<_>>()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 6);
    assert_eq!(list[0]["id"], "gb15618-2018");
    assert_eq!(list[0]["value_count"], 79);
}
