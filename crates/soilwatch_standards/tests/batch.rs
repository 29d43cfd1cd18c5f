//! The batch pipeline on small real CSV files (UTF-8, UTF-8 with BOM and Chinese headers, GBK,
//! bad rows). Expected outputs are worked by hand from GB 15618-2018 表1/表3.

use soilwatch_standards::batch::{DETAIL_COLUMNS, OUTPUT_COLUMNS};
use soilwatch_standards::{evaluate_csv, BatchOptions, InputEncoding, LandClass, Method};

fn run(input: &[u8], opts: &BatchOptions) -> (String, soilwatch_standards::BatchSummary) {
    let mut out = Vec::new();
    let summary = evaluate_csv(input, &mut out, None, opts).expect("batch runs");
    (String::from_utf8(out).expect("utf-8 output"), summary)
}

#[test]
fn utf8_english_headers() {
    let input = include_bytes!("fixtures/results_utf8.csv");
    let (out, summary) = run(input, &BatchOptions::default());
    let expected = [
        OUTPUT_COLUMNS,
        // Cd 0.5 > 0.4 (paddy, 5.5<pH≤6.5) ≤ 2.0; P = 1.25
        "LS-001,paddy,6.5,safe_utilization,1.250000,Cd,Cd,,",
        // Cd 1.6 > 1.5 (表3, pH≤5.5): strict control; P = 1.6 / 0.3
        "LS-002,upland,5.5,strict_control,5.333333,Cd,Cd,Cd,",
        // orchard Cu 150 ≤ 200 (orchard column); Cd 300 μg/kg = 0.3 = screening (other column)
        "LS-003,orchard,7.0,priority_protection,1.000000,Cd,,,",
        // pH missing: Pb rotation lowest band = min(80, 70, …) = 70; As ND → 0.25
        "LS-004,rotation,,safe_utilization,1.071429,Pb,Pb,,ph_missing",
        // duplicates Cd (0.3 + 0.5) / 2 = 0.4 ≤ 0.6; BaP 0.6 > 0.55 listed, class unchanged
        "LS-005,paddy,7.5,priority_protection,1.090909,BaP,BaP,,duplicate_results",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    assert_eq!(summary.rows, 13);
    assert_eq!(summary.samples, 5);
    assert_eq!(summary.classified, 5);
    assert_eq!(summary.exit_code(), 0);
    assert_eq!(
        summary.classes,
        [
            ("priority_protection".to_owned(), 2),
            ("safe_utilization".to_owned(), 2),
            ("strict_control".to_owned(), 1)
        ]
    );
}

const ZH_EXPECTED: [&str; 4] = [
    OUTPUT_COLUMNS,
    // Cd 0.4 = screening; Hg 0.6 > 0.5 (paddy, 5.5<pH≤6.5)
    "凉山-01,paddy,6.0,safe_utilization,1.200000,Hg,Hg,,",
    // As 26 > 25 (other, pH>7.5); Cr non-detect DL 400 > 250 → 200 used, flagged
    "凉山-02,upland,8.0,safe_utilization,1.040000,As,As,,nd_dl_above_screening",
    // rotation Pb: stricter of paddy 100 and other 90
    "凉山-03,rotation,6.2,safe_utilization,1.055556,Pb,Pb,,",
];

#[test]
fn utf8_bom_chinese_headers() {
    let (out, summary) = run(
        include_bytes!("fixtures/results_zh_bom.csv"),
        &BatchOptions::default(),
    );
    assert_eq!(out.lines().collect::<Vec<_>>(), ZH_EXPECTED);
    assert!(summary.row_errors.is_empty(), "{:?}", summary.row_errors);
}

#[test]
fn gbk_is_detected() {
    let bytes = include_bytes!("fixtures/results_zh_gbk.csv");
    assert!(
        String::from_utf8(bytes.to_vec()).is_err(),
        "fixture must really be GBK"
    );
    let (out, summary) = run(bytes, &BatchOptions::default());
    assert_eq!(out.lines().collect::<Vec<_>>(), ZH_EXPECTED);
    assert!(summary.row_errors.is_empty());
    // forcing the encoding works too
    let forced = BatchOptions {
        encoding: InputEncoding::Gbk,
        ..Default::default()
    };
    assert_eq!(
        run(bytes, &forced).0.lines().collect::<Vec<_>>(),
        ZH_EXPECTED
    );
    // forcing UTF-8 on GBK bytes is an input error
    let utf8 = BatchOptions {
        encoding: InputEncoding::Utf8,
        ..Default::default()
    };
    assert!(evaluate_csv(&bytes[..], Vec::new(), None, &utf8).is_err());
}

#[test]
fn bad_rows_are_reported_with_line_and_column() {
    let (out, summary) = run(
        include_bytes!("fixtures/results_bad_rows.csv"),
        &BatchOptions::default(),
    );
    let errs: Vec<(u64, &str)> = summary
        .row_errors
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect();
    assert_eq!(
        errs,
        [
            (3, "analyte"),
            (4, "ph"),
            (5, "value"),
            (6, "value"),
            (7, "unit"),
            (8, "value"),
            (9, "land_use"),
            (10, "unit"),
        ]
    );
    assert_eq!(summary.exit_code(), 2);
    for e in &summary.row_errors {
        let text = e.to_string();
        assert!(
            text.contains(&format!("line {}", e.line)) && text.contains(" / "),
            "{text}"
        );
    }
    assert!(summary.row_errors[0].reason.contains("unknown analyte"));
    assert!(summary.row_errors[1].reason.contains("0 and 14"));
    assert!(summary.row_errors[3].reason.contains("negative"));
    assert!(summary.row_errors[7].reason.contains("mass fraction"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[1], "B-1,paddy,6.0,,,,,,row_error");
    assert_eq!(lines[7], "B-7,industrial,6.0,,,,,,row_error");
    assert_eq!(
        lines[9],
        "B-9,upland,6.0,priority_protection,0.555556,Pb,,,"
    );
    assert_eq!(summary.classified, 1);
}

#[test]
fn missing_column_is_an_input_error() {
    let input = "sample_code,land_use,analyte,value,unit\nS,paddy,Cd,1,mg/kg\n";
    let err = evaluate_csv(input.as_bytes(), Vec::new(), None, &BatchOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("ph") && err.contains("缺少列"), "{err}");
}

#[test]
fn detail_file_lists_every_item() {
    let input = "sample_code,land_use,ph,analyte,value,unit\nS1,paddy,6.0,Cd,0.5,mg/kg\nS1,paddy,6.0,Cu,60,mg/kg\nS1,paddy,6.0,OM,25,g/kg\n";
    let mut out = Vec::new();
    let mut detail = Vec::new();
    evaluate_csv(
        input.as_bytes(),
        &mut out,
        Some(&mut detail),
        &BatchOptions::default(),
    )
    .unwrap();
    let detail = String::from_utf8(detail).unwrap();
    assert_eq!(
        detail.lines().collect::<Vec<_>>(),
        [
            DETAIL_COLUMNS,
            "S1,Cd,0.5,0.4,2.0,1.250000,safe_utilization",
            "S1,Cu,60,50,,1.200000,above_screening",
            "S1,OM,25000,,,,",
        ]
    );
    let pi = BatchOptions {
        method: Method::PollutionIndex,
        ..Default::default()
    };
    let mut detail = Vec::new();
    evaluate_csv(input.as_bytes(), Vec::new(), Some(&mut detail), &pi).unwrap();
    let detail = String::from_utf8(detail).unwrap();
    assert!(
        detail.contains("S1,Cd,0.5,0.4,2.0,1.250000,slight"),
        "{detail}"
    );
}

#[test]
fn pollution_index_method() {
    let input = "sample_code,land_use,ph,analyte,value,unit\nS1,upland,6.0,Cu,150,mg/kg\nS2,upland,6.0,Cd,0.6,mg/kg\nS3,upland,6.0,Cd,0.61,mg/kg\nS4,upland,6.0,Zn,1000,mg/kg\nS5,upland,6.0,Zn,1001,mg/kg\n";
    let opts = BatchOptions {
        method: Method::PollutionIndex,
        ..Default::default()
    };
    let (out, _) = run(input.as_bytes(), &opts);
    let classes: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    // Cu P = 3 (mild); Cd P = 2 (slight); P = 2.033 (mild); Zn P = 5 (moderate); 5.005 (severe)
    assert_eq!(
        classes,
        [
            "safe_utilization",
            "priority_protection",
            "safe_utilization",
            "safe_utilization",
            "strict_control"
        ]
    );
}

#[test]
fn gb36600_land_classes() {
    let input = "sample_code,analyte,value,unit\nC1,As,20,mg/kg\nC2,As,20.01,mg/kg\nC3,As,120,mg/kg\nC4,As,121,mg/kg\nC5,苯,4,mg/kg\n";
    let opts = BatchOptions {
        ruleset: "gb36600-2018".into(),
        ..Default::default()
    };
    let (out, _) = run(input.as_bytes(), &opts);
    let classes: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "below_screening",
            "above_screening",
            "above_screening",
            "above_intervention",
            "above_screening"
        ]
    );
    assert!(out
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("C1,class1,,below_screening,1.000000,As"));
    let opts = BatchOptions {
        ruleset: "gb36600-2018".into(),
        land_class: LandClass::Class2,
        ..Default::default()
    };
    let (out, _) = run(input.as_bytes(), &opts);
    let classes: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "below_screening",
            "below_screening",
            "above_screening",
            "above_screening",
            "below_screening"
        ]
    );
}

#[test]
fn quoted_fields_and_crlf() {
    let input = "sample_code,land_use,ph,analyte,value,unit\r\n\"S,1\",paddy,6.0,\"1,2-二氯乙烷\",0.1,mg/kg\r\n\"S,1\",paddy,6.0,Cd,0.1,mg/kg\r\n";
    let (out, summary) = run(input.as_bytes(), &BatchOptions::default());
    assert!(summary.row_errors.is_empty(), "{:?}", summary.row_errors);
    assert_eq!(
        out.lines().nth(1),
        Some("\"S,1\",paddy,6.0,priority_protection,0.250000,Cd,,,")
    );
}

#[test]
fn unknown_ruleset_is_refused() {
    let opts = BatchOptions {
        ruleset: "gb9999".into(),
        ..Default::default()
    };
    assert!(evaluate_csv(&b"x"[..], Vec::new(), None, &opts).is_err());
    let opts = BatchOptions {
        ruleset: "gb3838-2002".into(),
        ..Default::default()
    };
    assert!(evaluate_csv(&b"x"[..], Vec::new(), None, &opts).is_err());
}

#[test]
fn bom_on_output() {
    let opts = BatchOptions {
        bom: true,
        ..Default::default()
    };
    let mut out = Vec::new();
    evaluate_csv(
        &b"sample_code,land_use,ph,analyte,value,unit\n"[..],
        &mut out,
        None,
        &opts,
    )
    .unwrap();
    assert!(out.starts_with(b"\xEF\xBB\xBFsample_code,"));
}

/// The same results written in every shape the reader accepts give the same output bytes:
/// LF or CRLF line ends, a last line with or without its line end, blank and whitespace-only
/// lines, a BOM, quoted fields (every field, or only one far down the file), GBK, and the columns
/// in another order.
#[test]
fn every_input_shape_gives_the_same_output() {
    let rows = [
        ["LS-001", "paddy", "6.5", "Cd", "0.5", "mg/kg", "", ""],
        ["LS-001", "paddy", "6.5", "Pb", "60", "mg/kg", "", ""],
        ["LS-002", "旱地", "5.5", "镉", "1.6", "mg/kg", "", ""],
        ["LS-002", "旱地", "5.5", "As", "", "mg/kg", "0.5", "ND"],
        ["LS-003", "0201", "7.0", "Cu", "150", "mg/kg", "", ""],
        ["LS-003", "0201", "7.0", "Cd", "300", "μg/kg", "", ""],
        ["LS-004", "rotation", "", "Pb", "75", "mg/kg", "", ""],
        ["LS-004", "rotation", "", "Cd", "0.25", "mg/kg", "", ""],
    ];
    let header = [
        "sample_code",
        "land_use",
        "ph",
        "analyte",
        "value",
        "unit",
        "detection_limit",
        "qualifier",
    ];
    let write = |order: &[usize], eol: &str, quote: &dyn Fn(usize, usize) -> bool| {
        let mut s = String::new();
        let line = |cells: &[&str], r: usize| {
            order
                .iter()
                .map(|&c| {
                    if quote(r, c) {
                        format!("\"{}\"", cells[c])
                    } else {
                        cells[c].to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        s.push_str(&line(&header, 0));
        s.push_str(eol);
        for (r, cells) in rows.iter().enumerate() {
            s.push_str(&line(cells, r + 1));
            s.push_str(eol);
        }
        s
    };
    let natural: Vec<usize> = (0..8).collect();
    let never = |_: usize, _: usize| false;
    let reference = write(&natural, "\n", &never);
    let (want, summary) = run(reference.as_bytes(), &BatchOptions::default());
    assert!(summary.row_errors.is_empty(), "{:?}", summary.row_errors);
    assert_eq!(
        want.lines().collect::<Vec<_>>(),
        [
            OUTPUT_COLUMNS,
            // Cd 0.5 > 0.4 (paddy, 5.5<pH≤6.5) ≤ 2.0
            "LS-001,paddy,6.5,safe_utilization,1.250000,Cd,Cd,,",
            // Cd 1.6 > 1.5 (表3, pH≤5.5); As non-detect: 0.25 ≤ 40
            "LS-002,upland,5.5,strict_control,5.333333,Cd,Cd,Cd,",
            // Cd 300 μg/kg = 0.3 = screening (other, 6.5<pH≤7.5); Cu 150 ≤ 200 (orchard)
            "LS-003,orchard,7.0,priority_protection,1.000000,Cd,,,",
            // pH missing: Pb rotation min(80, 70, …) = 70 < 75; Cd 0.25 ≤ 0.3
            "LS-004,rotation,,safe_utilization,1.071429,Pb,Pb,,ph_missing",
        ]
    );

    let mut shapes: Vec<(&str, Vec<u8>)> = vec![
        ("CRLF", write(&natural, "\r\n", &never).into_bytes()),
        (
            "no last line end",
            reference.trim_end_matches('\n').as_bytes().to_vec(),
        ),
        (
            "blank and whitespace lines",
            reference
                .replace("LS-002,旱地,5.5,镉", "\n  \n\t\nLS-002,旱地,5.5,镉")
                .into_bytes(),
        ),
        ("BOM", [&b"\xEF\xBB\xBF"[..], reference.as_bytes()].concat()),
        (
            "every field quoted",
            write(&natural, "\n", &|_, _| true).into_bytes(),
        ),
        (
            "one quoted field in the last row",
            write(&natural, "\r\n", &|r, c| r == rows.len() && c == 3).into_bytes(),
        ),
        ("GBK", encoding_rs::GBK.encode(&reference).0.into_owned()),
    ];
    // A sample's rows not adjacent (LS-001's second row last), plain and quoted.
    let mut lines: Vec<&str> = reference.lines().collect();
    let moved = lines.remove(2);
    lines.push(moved);
    let interleaved = lines.join("\n") + "\n";
    shapes.push(("rows of a sample apart", interleaved.clone().into_bytes()));
    shapes.push((
        "rows of a sample apart, quoted",
        interleaved.replace("LS-003", "\"LS-003\"").into_bytes(),
    ));
    // Columns in another order: the output is the same.
    let shuffled = [3, 7, 0, 4, 1, 6, 5, 2];
    shapes.push((
        "columns reordered",
        write(&shuffled, "\n", &never).into_bytes(),
    ));
    for (name, bytes) in shapes {
        let (out, summary) = run(&bytes, &BatchOptions::default());
        assert!(
            summary.row_errors.is_empty(),
            "{name}: {:?}",
            summary.row_errors
        );
        assert_eq!(out, want, "{name}");
        assert_eq!(summary.rows, 8, "{name}");
    }
}

/// A single-factor index beyond the integer fast path is printed in full (it used to panic
/// inside the decimal formatter); a value above 1,000,000 mg/kg (100 %), which used to give
/// such indices, is a row error now.
#[test]
fn huge_index_is_printed() {
    // dioxins, class 1 screening 0.00001 mg/kg: P = 1000000 / 0.00001 = 10¹¹
    let input =
        "sample_code,analyte,value,unit\nD1,dioxins,1000000,mg/kg\nD2,dioxins,1000000000,mg/kg\n";
    let opts = BatchOptions {
        ruleset: "gb36600-2018".into(),
        ..Default::default()
    };
    let (out, summary) = run(input.as_bytes(), &opts);
    assert_eq!(
        out.lines().skip(1).collect::<Vec<_>>(),
        [
            "D1,class1,,above_intervention,100000000000.000000,dioxins,dioxins,dioxins,",
            "D2,class1,,,,,,,row_error",
        ]
    );
    assert_eq!(summary.row_errors.len(), 1);
    let e = &summary.row_errors[0];
    assert_eq!((e.line, e.column.as_str()), (3, "value"));
    assert!(e.reason.contains("above 1,000,000 mg/kg (100 %)"), "{e}");
}

/// Samples in any order give each sample the same output row (in order of first appearance):
/// codes ascending (no look-up needed), descending, ascending then out of order, and out of order
/// with a sample's rows apart (read again without streaming).
#[test]
fn sample_order_does_not_change_a_sample_row() {
    let header = "sample_code,land_use,ph,analyte,value,unit\n";
    let sample = |code: &str, k: usize| {
        format!(
            "{code},paddy,{}.0,Cd,0.{},mg/kg\n{code},paddy,{}.0,Pb,{},mg/kg\n",
            5 + k % 3,
            k % 9 + 1,
            5 + k % 3,
            40 + 13 * k
        )
    };
    let codes: Vec<String> = (0..40).map(|k| format!("S{k:03}")).collect();
    let file = |order: &[usize]| {
        let mut s = header.to_owned();
        for &k in order {
            s.push_str(&sample(&codes[k], k));
        }
        s
    };
    let rows_of = |out: &str| {
        let mut rows: Vec<String> = out.lines().skip(1).map(str::to_owned).collect();
        rows.sort();
        rows
    };
    let ascending: Vec<usize> = (0..40).collect();
    let (want, summary) = run(file(&ascending).as_bytes(), &BatchOptions::default());
    assert!(summary.row_errors.is_empty(), "{:?}", summary.row_errors);
    assert_eq!(summary.samples, 40);
    let want_rows = rows_of(&want);

    let descending: Vec<usize> = (0..40).rev().collect();
    let mut broken: Vec<usize> = (0..40).collect();
    broken.swap(20, 30);
    let cases = [
        ("descending", file(&descending)),
        ("out of order", file(&broken)),
    ];
    for (name, text) in cases {
        let (out, summary) = run(text.as_bytes(), &BatchOptions::default());
        assert!(
            summary.row_errors.is_empty(),
            "{name}: {:?}",
            summary.row_errors
        );
        assert_eq!(summary.samples, 40, "{name}");
        assert_eq!(rows_of(&out), want_rows, "{name}");
        let first_codes: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap_or_default())
            .collect();
        let order = if name == "descending" {
            &descending
        } else {
            &broken
        };
        let expected: Vec<&str> = order.iter().map(|&k| codes[k].as_str()).collect();
        assert_eq!(
            first_codes, expected,
            "{name}: rows in order of first appearance"
        );
    }

    // Ascending, then out of order, then a row of an early sample far from its other row: the
    // same rows, each sample once.
    let mut text = file(&broken);
    let early = sample(&codes[3], 3);
    let (first_row, second_row) = early.split_once('\n').unwrap_or_default();
    text = text.replacen(second_row, "", 1);
    text.push_str(second_row);
    text.push('\n');
    assert!(text.contains(first_row));
    let (out, summary) = run(text.as_bytes(), &BatchOptions::default());
    assert!(summary.row_errors.is_empty(), "{:?}", summary.row_errors);
    assert_eq!(summary.samples, 40);
    assert_eq!(rows_of(&out), want_rows, "a sample's rows apart");
}

/// Rows that repeat their sample's cells (code, land use, pH) byte for byte are read as if each
/// were read on its own: the same output and the same row errors (a bad pH or land use is
/// reported on every row that has it) whether the sample's columns are adjacent (the batch then
/// compares those cells with the row before's at once), apart, padded with spaces or ended by
/// CRLF.
#[test]
fn repeated_sample_cells_are_read_as_on_their_own() {
    // (code, land use, pH, analyte, value, unit)
    let rows = [
        ("S1", "paddy", "6.0", "Cd", "0.5", "mg/kg"),
        ("S1", "paddy", "6.0", "Pb", "90", "mg/kg"),
        // pH conflict, then repeated
        ("S1", "paddy", "7.0", "Hg", "0.2", "mg/kg"),
        ("S1", "paddy", "7.0", "As", "20", "mg/kg"),
        // a bad pH on every row of the sample
        ("S2", "paddy", "abc", "Cd", "0.2", "mg/kg"),
        ("S2", "paddy", "abc", "Pb", "50", "mg/kg"),
        // a land use that is not farmland, twice
        ("S3", "0301", "6.0", "Cd", "0.2", "mg/kg"),
        ("S3", "0301", "6.0", "Pb", "50", "mg/kg"),
        // pH out of range; a duplicate result
        ("S4", "upland", "15", "Cd", "0.2", "mg/kg"),
        ("S4", "upland", "15", "Cd", "0.4", "mg/kg"),
        // pH from a pH row; μg/kg
        ("S5", "upland", "", "Cd", "0.2", "mg/kg"),
        ("S5", "upland", "", "pH", "6.8", ""),
        ("S5", "upland", "", "Cd", "300", "ug/kg"),
        // a negative value, then a land use conflict, then a value that is not a number
        ("S6", "水田", "5.0", "Cd", "-1", "mg/kg"),
        ("S6", "水田", "5.0", "Cd", "0.1", "mg/kg"),
        ("S6", "水旱轮作", "5.0", "Pb", "0.1", "mg/kg"),
        ("S6", "水旱轮作", "5.0", "Cu", "x", "mg/kg"),
        // a sample met again, apart
        ("S1", "paddy", "7.0", "Zn", "100", "mg/kg"),
        ("S7", "paddy", "6.0", "Cd", "0.0001", "g/kg"),
        ("S7", "paddy", "6.0", "Cd", "0.1", "mg/kg"),
    ];
    let csv = |order: [usize; 6], pad: &str, end: &str| {
        let names = ["sample_code", "land_use", "ph", "analyte", "value", "unit"];
        let mut s = order.map(|k| names[k]).join(",");
        s.push_str(end);
        for (k, r) in rows.iter().enumerate() {
            let cells = [r.0, r.1, r.2, r.3, r.4, r.5];
            let line: Vec<String> = order
                .iter()
                .map(|&c| format!("{pad}{}{pad}", cells[c]))
                .collect();
            s.push_str(&line.join(","));
            s.push_str(end);
            if k == 0 || k == 4 || k == 7 {
                // a blank line (only spaces when padded)
                s.push_str(pad);
                s.push_str(end);
            }
        }
        s
    };
    let adjacent = [0, 1, 2, 3, 4, 5];
    let apart = [3, 0, 4, 1, 5, 2];
    let (want_out, want) = run(csv(apart, "", "\n").as_bytes(), &BatchOptions::default());
    assert_eq!(
        want.row_errors.iter().filter(|e| e.value == "abc").count(),
        2,
        "{:?}",
        want.row_errors
    );
    for (order, pad, end) in [
        (adjacent, "", "\n"),
        (adjacent, " ", "\n"),
        (adjacent, "", "\r\n"),
        (apart, " ", "\r\n"),
    ] {
        let (out, summary) = run(csv(order, pad, end).as_bytes(), &BatchOptions::default());
        assert_eq!(out, want_out, "{order:?} {pad:?} {end:?}");
        assert_eq!(summary, want, "{order:?} {pad:?} {end:?}");
    }
}
