//! Import templates (`soilwatch template --kind results|points --format xlsx|csv`).
//!
//! Layout, which the reader accepts back:
//! - row 1: one header per column, **bilingual in one cell**, `中文/english` (`样品编号/sample_code`);
//!   the reader also accepts either language alone, so people may delete either half;
//! - row 2: the units row, starting with `单位/unit` (depths in cm, coordinates in °; in the wide
//!   template the unit of each analyte column);
//! - row 3 on: example rows (sample codes starting `示例-`), to be overwritten.
//!
//! The XLSX template adds drop-down lists (media, units, land use, qualifiers, point types,
//! control levels) from a hidden sheet `选项lists`, and the data sheet comes first so the reader's
//! default (the first sheet) finds it.

use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use soilwatch_core::landuse::GB21010_CLASSES;
use soilwatch_core::{ControlLevel, Medium, PointType, Unit};

use crate::mapping::Field;

/// Which template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// Monitoring points.
    Points,
    /// Results in long form (one result per row).
    Results,
    /// Results in wide form (one sample per row, GB 15618 metals and pH as columns).
    ResultsWide,
}

impl std::str::FromStr for TemplateKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "points" => Ok(TemplateKind::Points),
            "results" => Ok(TemplateKind::Results),
            "results_wide" | "results-wide" | "wide" => Ok(TemplateKind::ResultsWide),
            o => Err(format!(
                "unknown template kind '{o}': expected points, results or results_wide"
            )),
        }
    }
}

/// The file format of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateFormat {
    /// UTF-8 with BOM.
    Csv,
    Xlsx,
}

impl std::str::FromStr for TemplateFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "csv" => Ok(TemplateFormat::Csv),
            "xlsx" => Ok(TemplateFormat::Xlsx),
            o => Err(format!(
                "unknown template format '{o}': expected csv or xlsx"
            )),
        }
    }
}

/// The drop-down list a column gets in the XLSX template.
#[derive(Clone, Copy, PartialEq)]
enum List {
    None,
    Media,
    Units,
    LandUse,
    Qualifiers,
    PointTypes,
    ControlLevels,
}

struct Col {
    header: String,
    unit: &'static str,
    list: List,
    width: f64,
}

fn field(f: Field, unit: &'static str, list: List) -> Col {
    Col {
        header: format!("{}/{}", f.name_cn(), f.name_en()),
        unit,
        list,
        width: 14.0,
    }
}

const WIDE_ANALYTES: [(&str, &str, &str); 9] = [
    ("镉", "Cd", "mg/kg"),
    ("汞", "Hg", "mg/kg"),
    ("砷", "As", "mg/kg"),
    ("铅", "Pb", "mg/kg"),
    ("铬", "Cr", "mg/kg"),
    ("铜", "Cu", "mg/kg"),
    ("镍", "Ni", "mg/kg"),
    ("锌", "Zn", "mg/kg"),
    ("pH", "pH", "无量纲"),
];

fn sample_cols() -> Vec<Col> {
    use Field::*;
    vec![
        field(SampleCode, "单位/unit", List::None),
        field(PointCode, "", List::None),
        field(Medium, "", List::Media),
        field(SamplingDate, "", List::None),
        field(DivisionCode, "", List::None),
        field(County, "", List::None),
        field(Longitude, "°", List::None),
        field(Latitude, "°", List::None),
        field(LandUse, "", List::LandUse),
        field(Crop, "", List::None),
        field(DepthTop, "cm", List::None),
        field(DepthBottom, "cm", List::None),
        field(Lab, "", List::None),
    ]
}

const SAMPLE_EXAMPLE: [&str; 13] = [
    "示例-S001",
    "",
    "土壤",
    "2024-05-06",
    "513401",
    "西昌市",
    "102.264449",
    "27.894504",
    "水田",
    "水稻",
    "0",
    "20",
    "示例检测机构",
];

/// (columns, example rows)
fn layout(kind: TemplateKind) -> (Vec<Col>, Vec<Vec<String>>) {
    use Field::*;
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    match kind {
        TemplateKind::Points => {
            let cols = vec![
                field(PointCode, "单位/unit", List::None),
                field(PointName, "", List::None),
                field(PointType, "", List::PointTypes),
                field(ControlLevel, "", List::ControlLevels),
                field(DivisionCode, "", List::None),
                field(County, "", List::None),
                field(Longitude, "°", List::None),
                field(Latitude, "°", List::None),
                field(LandUse, "", List::LandUse),
                field(RiskCategory, "", List::None),
                field(EstablishedOn, "", List::None),
                field(Remark, "", List::None),
            ];
            let rows = vec![owned(&[
                "示例-P001",
                "安宁河示例点",
                "基础点",
                "州控",
                "513401",
                "西昌市",
                "102°15′52″",
                "27°53′40″",
                "水田",
                "",
                "2020-01-01",
                "经纬度可填十进制度或度分秒",
            ])];
            (cols, rows)
        }
        TemplateKind::Results => {
            let mut cols = sample_cols();
            cols.extend([
                field(Analyte, "", List::None),
                field(Value, "", List::None),
                field(Unit, "", List::Units),
                field(DetectionLimit, "", List::None),
                field(Qualifier, "", List::Qualifiers),
                field(Method, "", List::None),
            ]);
            let row = |rest: &[&str]| {
                let mut r = owned(&SAMPLE_EXAMPLE);
                r.extend(owned(rest));
                r
            };
            let rows = vec![
                row(&["镉", "0.25", "mg/kg", "0.01", "", "GB/T 17141-1997"]),
                row(&[
                    "汞",
                    "未检出",
                    "mg/kg",
                    "0.002",
                    "未检出",
                    "GB/T 22105.1-2008",
                ]),
                row(&["pH", "6.5", "无量纲", "", "", "NY/T 1377-2007"]),
            ];
            (cols, rows)
        }
        TemplateKind::ResultsWide => {
            let mut cols = sample_cols();
            for (cn, code, unit) in WIDE_ANALYTES {
                cols.push(Col {
                    header: format!("{cn}/{code}"),
                    unit,
                    list: List::None,
                    width: 9.0,
                });
            }
            cols.push(field(Method, "", List::None));
            let mut r = owned(&SAMPLE_EXAMPLE);
            r.extend(owned(&[
                "0.25",
                "0.08",
                "8.6",
                "<10",
                "65",
                "30",
                "28",
                "85",
                "6.5",
                "HJ 780-2015",
            ]));
            (cols, vec![r])
        }
    }
}

/// Write a template. The CSV is UTF-8 with BOM; both round-trip through this crate's reader
/// (the example rows validate without errors).
pub fn template(kind: TemplateKind, format: TemplateFormat) -> Vec<u8> {
    let (cols, rows) = layout(kind);
    match format {
        TemplateFormat::Csv => csv_template(&cols, &rows),
        TemplateFormat::Xlsx => xlsx_template(&cols, &rows)
            .expect("an in-memory workbook of fixed content is always writable (tested)"),
    }
}

fn csv_template(cols: &[Col], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let records = std::iter::once(cols.iter().map(|c| c.header.clone()).collect::<Vec<_>>())
            .chain(std::iter::once(
                cols.iter().map(|c| c.unit.to_owned()).collect(),
            ))
            .chain(rows.iter().cloned());
        for r in records {
            w.write_record(&r)
                .expect("writing CSV to memory cannot fail");
        }
        w.flush().expect("writing CSV to memory cannot fail");
    }
    out
}

fn list_values(list: List) -> Vec<String> {
    match list {
        List::None => Vec::new(),
        List::Media => Medium::ALL.iter().map(|m| m.name_cn().to_owned()).collect(),
        List::Units => Unit::ALL
            .iter()
            .map(|u| {
                if *u == Unit::Dimensionless {
                    "无量纲".to_owned()
                } else {
                    u.symbol().to_owned()
                }
            })
            .collect(),
        List::LandUse => GB21010_CLASSES
            .iter()
            .map(|(_, n)| (*n).to_owned())
            .chain(std::iter::once("水旱轮作".to_owned()))
            .collect(),
        List::Qualifiers => ["检出", "未检出", "<", "ND"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        List::PointTypes => PointType::ALL
            .iter()
            .map(|p| p.name_cn().to_owned())
            .collect(),
        List::ControlLevels => ControlLevel::ALL
            .iter()
            .map(|c| c.name_cn().to_owned())
            .collect(),
    }
}

fn xlsx_template(cols: &[Col], rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    const LAST_ROW: u32 = 10_000;
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_text_wrap();
    let unit = Format::new().set_italic().set_font_color("#595959");
    let example = Format::new().set_font_color("#808080");
    let text = Format::new().set_num_format("@");
    let lists = [
        List::Media,
        List::Units,
        List::LandUse,
        List::Qualifiers,
        List::PointTypes,
        List::ControlLevels,
    ];
    {
        let ws = wb.add_worksheet().set_name("数据data")?;
        for (c, col) in cols.iter().enumerate() {
            let c16 = c as u16;
            ws.write_string_with_format(0, c16, &col.header, &head)?;
            ws.write_string_with_format(1, c16, col.unit, &unit)?;
            ws.set_column_width(c16, col.width)?;
            // codes (division codes, sample codes) stay text: no lost leading zeros
            ws.set_column_format(c16, &text)?;
            if col.list != List::None {
                let idx = lists
                    .iter()
                    .position(|l| *l == col.list)
                    .unwrap_or_default();
                let n = list_values(col.list).len();
                let letter = crate::source::column_letters(idx as u32);
                let dv = DataValidation::new()
                    .allow_list_formula(Formula::new(format!(
                        "=选项lists!${letter}$2:${letter}${}",
                        n + 1
                    )))
                    .ignore_blank(true);
                ws.add_data_validation(2, c16, LAST_ROW, c16, &dv)?;
            }
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string_with_format(r as u32 + 2, c as u16, v, &example)?;
            }
        }
        ws.set_freeze_panes(2, 1)?;
        ws.set_row_height(0, 30)?;
    }
    let ls = wb.add_worksheet().set_name("选项lists")?;
    for (c, l) in lists.iter().enumerate() {
        let name = match l {
            List::Media => "样品类型/medium",
            List::Units => "单位/unit",
            List::LandUse => "土地利用类型/land_use",
            List::Qualifiers => "限定符/qualifier",
            List::PointTypes => "点位类型/point_type",
            List::ControlLevels => "控制级别/control_level",
            List::None => "",
        };
        ls.write_string(0, c as u16, name)?;
        for (r, v) in list_values(*l).iter().enumerate() {
            ls.write_string(r as u32 + 1, c as u16, v)?;
        }
    }
    ls.set_hidden(true);
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{parse_bytes, Context, ParseOptions};
    use crate::known::NoStore;
    use crate::mapping::DataKind;
    use chrono::NaiveDate;

    fn round_trip(kind: TemplateKind, format: TemplateFormat) -> crate::ingest::Batch {
        let bytes = template(kind, format);
        let name = match format {
            TemplateFormat::Csv => "template.csv",
            TemplateFormat::Xlsx => "template.xlsx",
        };
        let opts = ParseOptions::new(name, NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"));
        parse_bytes(&bytes, &opts, &Context::new(&NoStore))
    }

    #[test]
    fn every_template_round_trips_through_the_reader() {
        for format in [TemplateFormat::Csv, TemplateFormat::Xlsx] {
            for (kind, want) in [
                (TemplateKind::Points, DataKind::Points),
                (TemplateKind::Results, DataKind::ResultsLong),
                (TemplateKind::ResultsWide, DataKind::ResultsWide),
            ] {
                let b = round_trip(kind, format);
                assert!(
                    b.report.issues.is_empty(),
                    "{kind:?} {format:?}: {:#?}",
                    b.report.issues
                );
                assert_eq!(b.kind, Some(want));
                assert_eq!(b.report.rows_read, b.report.rows_valid);
                assert!(b.report.rows_read >= 1);
                assert!(b.points.len() + b.samples.len() >= 1);
            }
        }
    }

    #[test]
    fn results_template_examples_normalise() {
        let b = round_trip(TemplateKind::Results, TemplateFormat::Xlsx);
        assert_eq!(b.samples.len(), 1);
        let s = &b.samples[0];
        assert_eq!(s.sample.row, 3, "header row 1, units row 2");
        assert_eq!(s.sample.sample.depth_cm, Some((0, 20)));
        assert_eq!(s.results.len(), 3);
        let wide = round_trip(TemplateKind::ResultsWide, TemplateFormat::Csv);
        assert_eq!(wide.samples[0].results.len(), 9);
    }

    #[test]
    fn csv_template_has_bom_and_both_languages() {
        let bytes = template(TemplateKind::Points, TemplateFormat::Csv);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
        assert!(text.starts_with("点位编号/point_code,"));
    }

    #[test]
    fn xlsx_template_has_lists() {
        use calamine::Reader as _;
        let bytes = template(TemplateKind::Results, TemplateFormat::Xlsx);
        let mut wb =
            calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
        assert_eq!(wb.sheet_names(), vec!["数据data", "选项lists"]);
        let lists = wb.worksheet_range("选项lists").expect("lists");
        assert_eq!(
            lists.get_value((1, 0)),
            Some(&calamine::Data::String("土壤".into()))
        );
    }
}
