//! End-to-end tests of the file side of imports, with real-looking files made in the test.
#![expect(clippy::unwrap_used, reason = "a test that fails panics")]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_xlsxwriter::Workbook;
use soilwatch_core::{Medium, Qualifier, Unit};
use soilwatch_ingest::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

fn opts(name: &str) -> ParseOptions {
    ParseOptions::new(name, today())
}

fn boundaries() -> Boundaries {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/divisions/liangshan_counties.geojson"
    );
    let text = std::fs::read_to_string(path).expect("boundaries file");
    Boundaries::from_geojson(&text, "513400".parse().unwrap()).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const LONG_HEADER: &str = "样品编号,点位编号,样品类型,采样日期,行政区划代码,经度,纬度,土地利用类型,检测项目,检测值,单位,检出限,限定符,检测方法";

fn long_csv(rows: &[&str]) -> String {
    let mut s = String::from(LONG_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn good_rows() -> Vec<&'static str> {
    vec![
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,镉,300,μg/kg,,,GB/T 17141",
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,pH,6.5,无量纲,,,",
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,铅,<0.1,mg/kg,0.1,,",
        "LS-002,,土壤,2024/5/7,513401,102°15′52″,27°53′40″,旱地,Hg,ND,mg/kg,0.002,,",
        "LS-002,,土壤,2024/5/7,513401,102°15′52″,27°53′40″,旱地,As,0.05L,mg/kg,,,",
    ]
}

fn issues_of(r: &Report, rule: Rule) -> Vec<&Issue> {
    r.of_rule(rule).collect()
}

#[test]
fn long_form_utf8_normalises_and_keeps_originals() {
    let b = boundaries();
    let ctx = Context::new(&NoStore).with_boundaries(&b);
    let batch = parse_bytes(long_csv(&good_rows()).as_bytes(), &opts("long.csv"), &ctx);
    assert!(!batch.report.has_errors(), "{:#?}", batch.report.issues);
    assert_eq!(batch.kind, Some(DataKind::ResultsLong));
    assert_eq!(batch.report.rows_read, 5);
    assert_eq!(batch.report.rows_valid, 5);
    assert_eq!(batch.samples.len(), 2);
    let s1 = &batch.samples[0];
    assert_eq!(s1.sample.sample.medium, Medium::Soil);
    assert_eq!(s1.sample.sample.land_use.unwrap().code(), "0101");
    assert_eq!(s1.results.len(), 3);
    let cd = &s1.results[0].result;
    assert_eq!(cd.value.unwrap().get(), d("0.3"));
    assert_eq!(cd.unit, Unit::MgPerKg);
    assert_eq!(cd.method.as_deref(), Some("GB/T 17141"));
    assert_eq!(s1.results[0].original_value, "300");
    assert_eq!(s1.results[0].original_unit, "μg/kg");
    let pb = &s1.results[2].result;
    assert_eq!(pb.qualifier, Qualifier::NotDetected);
    assert_eq!(pb.detection_limit.unwrap().get(), d("0.1"));
    assert!(pb.value.is_none());
    // DMS coordinates were read
    let loc = batch.samples[1].sample.location.unwrap();
    assert!((loc.lon() - (102.0 + 15.0 / 60.0 + 52.0 / 3600.0)).abs() < 1e-9);
    let as_ = &batch.samples[1].results[1].result;
    assert_eq!(as_.detection_limit.unwrap().get(), d("0.05"));
    assert_eq!(batch.samples[1].to_core().results.len(), 2);
    // NoStore: the skipped rules are listed
    assert!(batch
        .report
        .skipped_rules
        .iter()
        .any(|s| s.rule == Rule::UnknownPoint));
    assert_eq!(
        batch.report.checksum.as_deref(),
        Some(checksum(long_csv(&good_rows()).as_bytes()).as_str())
    );
}

#[test]
fn bom_and_gbk_files_read_the_same() {
    let text = long_csv(&good_rows());
    let ctx = Context::new(&NoStore);
    let plain = parse_bytes(text.as_bytes(), &opts("a.csv"), &ctx);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let with_bom = parse_bytes(&bom, &opts("b.csv"), &ctx);
    let (gbk, _, had_errors) = encoding_rs::GBK.encode(&text);
    assert!(!had_errors, "μ and every Chinese character exist in GBK");
    let gbk_batch = parse_bytes(&gbk, &opts("c.csv"), &ctx);
    assert_eq!(gbk_batch.report.encoding, Some(TextEncoding::Gb18030));
    for b in [&with_bom, &gbk_batch] {
        assert!(!b.report.has_errors(), "{:#?}", b.report.issues);
        assert_eq!(b.samples, plain.samples);
    }
    // forced encoding
    let mut o = opts("c.csv");
    o.encoding = Some("gbk".parse().unwrap());
    assert!(!parse_bytes(&gbk, &o, &ctx).report.has_errors());
}

#[test]
fn every_error_class_names_row_and_column() {
    let rows = [
        "E-01,,土壤,2024-02-30,513401,,,,镉,0.2,mg/kg,,,", // row 2: bad date
        "E-02,,土壤,2099-01-01,513401,,,,镉,0.2,mg/kg,,,", // row 3: future date
        "E-03,,土壤,2024-05-06,513401,,,,镉,-0.2,mg/kg,,,", // row 4: negative
        "E-04,,土壤,2024-05-06,513401,,,,pH,15,,,,",       // row 5: pH range
        "E-05,,土壤,2024-05-06,513401,,,,镉,abc,mg/kg,,,", // row 6: not a number
        "E-06,,土壤,2024-05-06,513401,,,,Unobtainium,1,mg/kg,,,", // row 7: unknown analyte
        "E-07,,土壤,2024-05-06,513401,,,,镉,1,furlongs,,,", // row 8: unknown unit
        "E-08,,土壤,2024-05-06,513401,,,,镉,1,mg/L,,,",    // row 9: water unit for soil
        "E-09,,岩浆,2024-05-06,513401,,,,镉,1,mg/kg,,,",   // row 10: medium
        "E-10,,土壤,2024-05-06,513401,,,月球,镉,1,mg/kg,,,", // row 11: land use
        "E-11,,土壤,2024-05-06,110101,,,,镉,1,mg/kg,,,",   // row 12: division outside prefecture
        "E-12,,土壤,2024-05-06,513401,,,,镉,ND,mg/kg,,,",  // row 13: ND without DL
        "E-13,,土壤,2024-05-06,513401,,,,镉,0.5,mg/kg,0.1,<,", // row 14: ND but value > DL
        "E-14,,土壤,2024-05-06,513401,,,,镉,<0.01,mg/kg,,检出,", // row 15: qualifier conflict
        "E-15,,土壤,2024-05-06,513401,,,,镉,1,mg/kg,,maybe,", // row 16: unknown qualifier
        "E-16,,土壤,2024-05-06,513401,27.89,102.26,,镉,1,mg/kg,,,", // row 17: swapped
        "E-17,,土壤,2024-05-06,513401,104.06,30.67,,镉,1,mg/kg,,,", // row 18: Chengdu
        "E-18,,土壤,2024-05-06,513402,102.264449,27.894504,,镉,1,mg/kg,,,", // row 19: Xichang coords, Huili code
        "E-19,,土壤,2024-05-06,513401,102°75′00″,27.9,,镉,1,mg/kg,,,",      // row 20: bad DMS
        "E-20,,土壤,2024-05-06,513401,,,,镉,1,mg/kg,,,",
        "E-20,,土壤,2024-05-06,513401,,,,镉,2,mg/kg,,,", // row 22: duplicate result
        "E-20,,土壤,2024-05-07,513401,,,,铅,2,mg/kg,,,", // row 23: same code, other date
        ",,土壤,2024-05-06,513401,,,,镉,1,mg/kg,,,",     // row 24: blank sample code
        "E-21,,土壤,2024-05-06,513401,,,,镉,,mg/kg,,,",  // row 25: blank value
        "E-22,,土壤,2024-05-06,513401,,,,镉,1,,,,",      // row 26: blank unit
    ];
    let b = boundaries();
    let ctx = Context::new(&NoStore).with_boundaries(&b);
    let batch = parse_bytes(long_csv(&rows).as_bytes(), &opts("bad.csv"), &ctx);
    let r = &batch.report;
    assert!(r.has_errors());
    let at = |rule: Rule, row: u64, column: &str| {
        let found = r
            .issues
            .iter()
            .find(|i| i.rule == rule && i.row == Some(row));
        let i = found.unwrap_or_else(|| panic!("no {rule:?} at row {row}: {:#?}", r.issues));
        assert_eq!(i.column.as_deref(), Some(column), "{i:#?}");
        assert_eq!(i.severity, Severity::Error);
        assert_eq!(i.file, "bad.csv");
        assert!(!i.message_cn.is_empty() && !i.message_en.is_empty() && !i.expected_en.is_empty());
        i
    };
    assert_eq!(at(Rule::Date, 2, "采样日期").value, "2024-02-30");
    assert_eq!(
        at(Rule::Date, 2, "采样日期").column_letter.as_deref(),
        Some("D")
    );
    at(Rule::FutureDate, 3, "采样日期");
    at(Rule::Range, 4, "检测值");
    at(Rule::PhRange, 5, "检测值");
    at(Rule::Number, 6, "检测值");
    assert_eq!(at(Rule::UnknownAnalyte, 7, "检测项目").value, "Unobtainium");
    at(Rule::Unit, 8, "单位");
    at(Rule::UnitMismatch, 9, "单位");
    at(Rule::Medium, 10, "样品类型");
    at(Rule::LandUse, 11, "土地利用类型");
    at(Rule::Division, 12, "行政区划代码");
    at(Rule::DetectionLimit, 13, "检出限");
    at(Rule::DetectionLimit, 14, "检测值");
    at(Rule::DetectionLimit, 15, "限定符");
    at(Rule::Qualifier, 16, "限定符");
    let sw = at(Rule::CoordinatesSwapped, 17, "经度");
    assert!(sw.message_en.contains("swapped"));
    at(Rule::OutsidePrefecture, 18, "经度");
    let oc = at(Rule::OutsideCounty, 19, "经度");
    assert!(oc.message_en.contains("513401"), "{}", oc.message_en);
    at(Rule::Coordinate, 20, "经度");
    at(Rule::DuplicateResult, 22, "检测值");
    at(Rule::DuplicateSample, 23, "样品编号");
    at(Rule::Required, 24, "样品编号");
    at(Rule::Required, 25, "检测值");
    at(Rule::Unit, 26, "单位");
    // only row 21 is valid
    assert_eq!(r.rows_valid, 1, "{:#?}", r.issues);
    // no row was silently fixed: the swapped row yields nothing
    assert!(batch.samples.iter().all(|s| s.sample.sample.code != "E-16"));
}

/// Rows that repeat the cells of the row before are served from what was remembered (the
/// sample, the coordinates, the county that the prefecture check found, the record's buffers, the
/// sample's state): a row that differs in one cell is still checked on that cell.
#[test]
fn a_row_that_differs_in_one_cell_is_checked_on_that_cell() {
    let rows = [
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,镉,0.3,mg/kg,,,GB/T 17141", // 2
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,铅,20,mg/kg,,,GB/T 17141",  // 3
        "LS-001,,土壤,2024-02-30,513401,102.264449,27.894504,水田,汞,0.1,mg/kg,,,GB/T 17141", // 4: date
        "LS-002,,土壤,2024-05-06,513401,102.264449,27.894504,水田,镉,0.3,mg/kg,,,GB/T 17141", // 5
        "LS-003,,土壤,2024-05-06,513402,102.264449,27.894504,水田,镉,0.3,mg/kg,,,GB/T 17141", // 6: county
        "LS-002,,土壤,2024-05-06,513401,102.264449,27.894504,水田,砷", // 7: a short row, no unit
        "LS-002,,土壤,2024-05-06,513401,102.264449,27.894504,水田,镉,0.4,mg/kg,,,GB/T 17141", // 8: again
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,pH,6.5,无量纲,,,",          // 9
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,铅,21,mg/kg,,,", // 10: again
        "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,锌,-1,mg/kg,,,", // 11: negative
    ];
    let b = boundaries();
    let ctx = Context::new(&NoStore).with_boundaries(&b);
    let batch = parse_bytes(long_csv(&rows).as_bytes(), &opts("one.csv"), &ctx);
    let r = &batch.report;
    let mut errors: Vec<(u64, Rule, &str, &str)> = r
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| {
            (
                i.row.unwrap(),
                i.rule,
                i.column_letter.as_deref().unwrap_or(""),
                i.value.as_str(),
            )
        })
        .collect();
    errors.sort_by_key(|e| e.0);
    assert_eq!(
        errors,
        vec![
            (4, Rule::Date, "D", "2024-02-30"),
            (6, Rule::OutsideCounty, "F", "102.264449, 27.894504"),
            (7, Rule::Unit, "K", ""),
            (8, Rule::DuplicateResult, "J", "0.4"),
            (10, Rule::DuplicateResult, "J", "21"),
            (11, Rule::Range, "J", "-1"),
        ],
        "{:#?}",
        r.issues
    );
    let dup = |row| {
        r.issues
            .iter()
            .find(|i| i.row == Some(row) && i.rule == Rule::DuplicateResult)
            .unwrap()
    };
    assert!(dup(8).message_en.contains("first at row 5"), "{:?}", dup(8));
    assert!(
        dup(10).message_en.contains("first at row 3"),
        "{:?}",
        dup(10)
    );
    assert!(r
        .issues
        .iter()
        .any(|i| i.row == Some(6) && i.message_en.contains("but in 西昌市(513401)")));
    assert_eq!(r.rows_valid, 4);
    let codes: Vec<(&str, usize)> = batch
        .samples
        .iter()
        .map(|s| (s.sample.sample.code.as_str(), s.results.len()))
        .collect();
    assert_eq!(codes, vec![("LS-001", 3), ("LS-002", 1)]);
}

#[test]
fn wide_form_with_units_in_headers_and_units_row() {
    let ctx = Context::new(&NoStore);
    let headers = "样品编号,样品类型,采样日期,县,镉(mg/kg),Pb（mg/kg）,汞,pH,有机质\n";
    let csv = format!("{headers}单位,,,,,,μg/kg,无量纲,g/kg\nW-1,土壤,2024-05-06,,0.3,35,120,6.8,25\nW-2,土壤,2024-05-06,,<0.01,/,,7.1,\n");
    let mut o = opts("wide.csv");
    o.default_division = Some("513401".parse().unwrap());
    let batch = parse_bytes(csv.as_bytes(), &o, &ctx);
    assert!(!batch.report.has_errors(), "{:#?}", batch.report.issues);
    assert_eq!(batch.kind, Some(DataKind::ResultsWide));
    assert_eq!(batch.samples.len(), 2);
    let w1 = &batch.samples[0];
    assert_eq!(w1.sample.row, 3, "units row is row 2");
    assert_eq!(w1.results.len(), 5);
    let hg = w1
        .results
        .iter()
        .find(|r| r.result.analyte == "Hg")
        .unwrap();
    assert_eq!(hg.result.value.unwrap().get(), d("0.12"));
    assert_eq!(hg.original_unit, "μg/kg");
    let w2 = &batch.samples[1];
    assert_eq!(w2.results.len(), 2, "blank and / are not measured");
    assert_eq!(w2.results[0].result.qualifier, Qualifier::NotDetected);
    // a duplicate sample code in wide form is an error
    let dup = format!(
        "{headers}W-1,土壤,2024-05-06,,0.3,35,0.1,6.8,25\nW-1,土壤,2024-05-06,,0.3,35,0.1,6.8,25\n"
    );
    let b = parse_bytes(dup.as_bytes(), &o, &ctx);
    let i = issues_of(&b.report, Rule::DuplicateSample);
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].row, Some(3));
}

fn xlsx(rows: &[Vec<&str>], sheet: &str) -> Vec<u8> {
    let mut wb = Workbook::new();
    wb.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "readme")
        .unwrap();
    let ws = wb.add_worksheet().set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if let Ok(n) = v.parse::<f64>() {
                ws.write_number(r as u32, c as u16, n).unwrap();
            } else {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 5, 6).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_datetime_with_format(1, 2, &date, &fmt).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_named_sheet_with_dates_and_numbers() {
    let bytes = xlsx(
        &[
            vec![
                "sample_code",
                "medium",
                "sampling_date",
                "division_code",
                "analyte",
                "value",
                "unit",
            ],
            vec!["X-1", "soil", "", "513401", "Cd", "0.25", "mg/kg"],
            vec!["X-1", "soil", "2024-05-06", "513401", "Zn", "88", "mg/kg"],
            vec!["X-2", "soil", "2024-05-06", "513401", "Cd", "-1", "mg/kg"],
        ],
        "数据",
    );
    let ctx = Context::new(&NoStore);
    let mut o = opts("lab.xlsx");
    o.sheet = Some("数据".into());
    let batch = parse_bytes(&bytes, &o, &ctx);
    assert_eq!(batch.report.sheet.as_deref(), Some("数据"));
    assert_eq!(batch.report.format, Some(FileFormat::Xlsx));
    let errs: Vec<_> = batch
        .report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (
            errs[0].row,
            errs[0].column_letter.as_deref(),
            errs[0].sheet.as_deref()
        ),
        (Some(4), Some("F"), Some("数据"))
    );
    assert_eq!(batch.samples[0].results.len(), 2);
    assert_eq!(
        batch.samples[0].sample.sample.sampled_on,
        NaiveDate::from_ymd_opt(2024, 5, 6).unwrap()
    );
    // first sheet by default: the readme sheet has no mapping
    let first = parse_bytes(&bytes, &opts("lab.xlsx"), &ctx);
    assert_eq!(first.report.issues[0].rule, Rule::Mapping);
    // missing sheet
    o.sheet = Some("nope".into());
    let missing = parse_bytes(&bytes, &o, &ctx);
    assert!(
        missing.report.issues[0].message_en.contains("数据"),
        "{:?}",
        missing.report.issues[0]
    );
}

#[test]
fn undecidable_mapping_is_one_error_listing_headers() {
    let ctx = Context::new(&NoStore);
    let batch = parse_bytes("编号,颜色,重量\n1,红,3\n".as_bytes(), &opts("x.csv"), &ctx);
    let r = &batch.report;
    assert_eq!(r.errors, 1);
    let i = &r.issues[0];
    assert_eq!(i.rule, Rule::Mapping);
    assert_eq!(i.row, Some(1));
    assert!(i.value.contains("颜色"));
    assert!(i.expected_en.contains("样品编号/sample_code"));
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let ctx = Context::new(&NoStore);
    let csv = format!(
        "2024年西昌市土壤监测数据\n\n{}",
        long_csv(&good_rows()[..1])
    );
    let batch = parse_bytes(csv.as_bytes(), &opts("t.csv"), &ctx);
    assert!(!batch.report.has_errors(), "{:#?}", batch.report.issues);
    assert_eq!(batch.samples[0].sample.row, 4);
}

#[test]
fn points_file() {
    let b = boundaries();
    let ctx = Context::new(&NoStore).with_boundaries(&b);
    let csv = "点位编号,点位名称,点位类型,控制级别,所在县,经度,纬度,土地利用类型,设立日期\n\
               P-1,安宁河1号,基础点,国控,西昌市,102.264449,27.894504,水田,2016-01-01\n\
               P-2,会理1号,风险点,省控,,102°14′41″,26°39′18″,旱地,\n\
               P-1,重复,基础点,国控,西昌市,102.264449,27.894504,水田,\n\
               P-3,颠倒,基础点,县控,,27.894504,102.264449,,\n";
    let batch = parse_bytes(csv.as_bytes(), &opts("points.csv"), &ctx);
    assert_eq!(batch.kind, Some(DataKind::Points));
    assert_eq!(batch.points.len(), 2, "{:#?}", batch.report.issues);
    assert_eq!(batch.points[0].point.division.to_string(), "513401");
    // division located from the coordinates
    assert_eq!(batch.points[1].point.division.to_string(), "513402");
    assert_eq!(
        issues_of(&batch.report, Rule::DuplicatePoint)[0].row,
        Some(4)
    );
    assert_eq!(
        issues_of(&batch.report, Rule::CoordinatesSwapped)[0].row,
        Some(5)
    );
}

#[test]
fn stored_data_rules() {
    let mut known = MemoryKnown::default();
    known.divisions.insert("513401".parse().unwrap());
    let ctx0 = Context::new(&NoStore);
    let first = parse_bytes(long_csv(&good_rows()).as_bytes(), &opts("a.csv"), &ctx0);
    for s in &first.samples {
        known
            .samples
            .insert(s.sample.sample.code.clone(), s.sample.sample.clone());
        for r in &s.results {
            known.results.insert(
                (r.result.sample_code.clone(), r.result.analyte.clone()),
                r.result.clone(),
            );
        }
    }
    let ctx = Context::new(&known);
    // the same file again: every result unchanged
    let again = parse_bytes(long_csv(&good_rows()).as_bytes(), &opts("a.csv"), &ctx);
    assert!(!again.report.has_errors(), "{:#?}", again.report.issues);
    assert_eq!(again.report.unchanged, 5);
    assert!(again.results().all(|r| r.stored == StoredState::Unchanged));
    assert!(
        again
            .report
            .skipped_rules
            .iter()
            .all(|s| s.rule == Rule::OutsidePrefecture),
        "only the boundary rule is skipped"
    );
    // a correction: one value changed → warning, a new version
    let mut rows = good_rows();
    rows[0] = "LS-001,,土壤,2024-05-06,513401,102.264449,27.894504,水田,镉,310,μg/kg,,,GB/T 17141";
    let corrected = parse_bytes(long_csv(&rows).as_bytes(), &opts("a2.csv"), &ctx);
    assert!(!corrected.report.has_errors());
    assert_eq!(corrected.report.changed, 1);
    assert_eq!(
        issues_of(&corrected.report, Rule::StoredResultChanged)[0].row,
        Some(2)
    );
    // a stored sample code with a different date → error
    let other = long_csv(&["LS-001,,土壤,2023-05-06,513401,,,,镉,0.3,mg/kg,,,"]);
    let b = parse_bytes(other.as_bytes(), &opts("b.csv"), &ctx);
    assert_eq!(
        issues_of(&b.report, Rule::StoredSampleConflict)[0].row,
        Some(2)
    );
    // unknown point and unknown division
    let c = long_csv(&["N-1,P-404,土壤,2024-05-06,513402,,,,镉,0.3,mg/kg,,,"]);
    let b = parse_bytes(c.as_bytes(), &opts("c.csv"), &ctx);
    assert_eq!(
        issues_of(&b.report, Rule::UnknownPoint)[0]
            .column
            .as_deref(),
        Some("点位编号")
    );
    assert_eq!(issues_of(&b.report, Rule::UnknownDivision).len(), 1);
}

#[test]
fn likely_unit_error_is_a_warning() {
    let t = |code: &str, m: Medium| (code == "Cd" && m == Medium::Soil).then(|| d("0.3"));
    let ctx = Context::new(&NoStore).with_threshold(&t);
    let batch = parse_bytes(
        long_csv(&["U-1,,土壤,2024-05-06,513401,,,,镉,300,mg/kg,,,"]).as_bytes(),
        &opts("u.csv"),
        &ctx,
    );
    assert!(!batch.report.has_errors());
    let w = issues_of(&batch.report, Rule::LikelyUnitError);
    assert_eq!(w[0].severity, Severity::Warning);
    assert_eq!(batch.samples.len(), 1);
}

#[test]
fn depth_and_water_units() {
    let ctx = Context::new(&NoStore);
    let csv = "样品编号,介质,采样日期,行政区划代码,采样深度(cm),检测项目,检测值,单位\n\
               D-1,土壤,2024-05-06,513401,0-20,镉,0.2,mg/kg\n\
               D-2,土壤,2024-05-06,513401,20-10,镉,0.2,mg/kg\n\
               D-3,地下水,2024-05-06,513401,,镉,5,μg/L\n";
    let batch = parse_bytes(csv.as_bytes(), &opts("d.csv"), &ctx);
    assert_eq!(batch.samples[0].sample.sample.depth_cm, Some((0, 20)));
    assert_eq!(issues_of(&batch.report, Rule::Depth)[0].row, Some(3));
    let gw = &batch.samples[1].results[0].result;
    assert_eq!(
        (gw.value.unwrap().get(), gw.unit),
        (d("0.005"), Unit::MgPerL)
    );
}

#[test]
fn report_writers() {
    let ctx = Context::new(&NoStore);
    let batch = parse_bytes(
        long_csv(&["E-1,,土壤,2024-02-30,513401,,,,镉,0.2,mg/kg,,,"]).as_bytes(),
        &opts("r.csv"),
        &ctx,
    );
    let csv = batch.report.to_csv_bytes().unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        text.contains("2024-02-30")
            && text.contains("采样日期")
            && text.contains("not a valid date")
    );
    assert!(text.contains("no database"), "skipped rules are listed");
    let x = batch.report.to_xlsx_bytes().unwrap();
    assert!(x.starts_with(b"PK"));
    use calamine::Reader as _;
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(x)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["问题issues", "摘要summary"]);
    let range = wb.worksheet_range("问题issues").unwrap();
    assert_eq!(range.get_value((1, 4)), Some(&calamine::Data::Float(2.0)));
    let json = batch.report.to_json().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["issues"][0]["row"], 2);
    assert_eq!(v["issues"][0]["severity"], "error");
    assert_eq!(v["issues"][0]["rule"], "date");
}

#[test]
fn streaming_api_yields_records_then_report() {
    let ctx = Context::new(&NoStore);
    let text = long_csv(&good_rows());
    let mut ing = open(text.as_bytes(), &opts("s.csv"), &ctx).unwrap();
    assert_eq!(ing.kind(), DataKind::ResultsLong);
    let n = ing.by_ref().count();
    assert_eq!(n, 5);
    let report = ing.finish().unwrap();
    assert_eq!(
        report.checksum.as_deref(),
        Some(checksum(text.as_bytes()).as_str())
    );
}
