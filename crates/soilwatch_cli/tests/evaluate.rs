//! `soilwatch evaluate` through the real binary: GBK input with Chinese headers, the detail file,
//! both methods, GB 36600 with `--land-class`, row errors on stderr, and the exit codes (0 every
//! row read, 2 rows rejected, 1 failure). Expected values worked by hand from GB 15618-2018
//! 表1/表3 and GB 36600-2018 表1.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn evaluate(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("evaluate")
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .output()
        .unwrap()
}

fn read(dir: &Path, file: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn gbk_file_with_chinese_headers_and_detail() {
    let dir = tempfile::tempdir().unwrap();
    let text = "样品编号,土地利用类型,pH,检测项目,检测值,单位,检出限,限定符\n\
                凉山-01,水田,6.0,镉,0.4,mg/kg,,\n\
                凉山-01,水田,6.0,总汞,0.6,mg/kg,,\n\
                凉山-02,旱地,8.0,砷,26,毫克/千克,,\n\
                凉山-02,旱地,8.0,铬,,mg/kg,400,未检出\n\
                凉山-03,水旱轮作,6.2,铅,95,mg/kg,,\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "the file is really GBK");
    std::fs::write(dir.path().join("in.csv"), &gbk).unwrap();
    let out = evaluate(
        dir.path(),
        &[
            "--input",
            "in.csv",
            "--output",
            "out.csv",
            "--detail",
            "detail.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("evaluated 5 rows, 3 samples (3 classified"),
        "{stderr}"
    );
    assert_eq!(
        read(dir.path(), "out.csv"),
        [
            "sample_code,land_use,ph,class,max_pi,max_pi_analyte,exceed_screening,exceed_intervention,flags",
            // paddy, 5.5<pH≤6.5: Cd 0.4 = screening 0.4; Hg 0.6 > 0.5, ≤ 2.5
            "凉山-01,paddy,6.0,safe_utilization,1.200000,Hg,Hg,,",
            // other, pH>7.5: As 26 > 25, ≤ 100; Cr not detected, DL 400 > 250 → 200 used, flagged
            "凉山-02,upland,8.0,safe_utilization,1.040000,As,As,,nd_dl_above_screening",
            // rotation, 5.5<pH≤6.5: Pb the stricter of paddy 100 and other 90
            "凉山-03,rotation,6.2,safe_utilization,1.055556,Pb,Pb,,",
        ]
    );
    assert_eq!(
        read(dir.path(), "detail.csv"),
        [
            "sample_code,analyte,value_mg_kg,screening,intervention,pi,grade",
            "凉山-01,Cd,0.4,0.4,2.0,1.000000,priority_protection",
            "凉山-01,Hg,0.6,0.5,2.5,1.200000,safe_utilization",
            "凉山-02,As,26,25,100,1.040000,safe_utilization",
            "凉山-02,Cr,200,250,1300,0.800000,priority_protection",
            "凉山-03,Pb,95,90,500,1.055556,safe_utilization",
        ]
    );
}

#[test]
fn methods_differ_where_the_standard_and_the_index_disagree() {
    let dir = tempfile::tempdir().unwrap();
    // upland, 5.5<pH≤6.5: Cd screening 0.3, intervention 2.0. Cd 1.6: P = 5.333 (> 5, severe)
    // but not above the intervention value.
    std::fs::write(
        dir.path().join("in.csv"),
        "sample_code,land_use,ph,analyte,value,unit\nU1,upland,6.0,Cd,1.6,mg/kg\n",
    )
    .unwrap();
    let out = evaluate(dir.path(), &["--input", "in.csv", "--output", "a.csv"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        read(dir.path(), "a.csv")[1],
        "U1,upland,6.0,safe_utilization,5.333333,Cd,Cd,,"
    );
    let out = evaluate(
        dir.path(),
        &[
            "--input",
            "in.csv",
            "--output",
            "b.csv",
            "--method",
            "pollution-index",
            "--detail",
            "d.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        read(dir.path(), "b.csv")[1],
        "U1,upland,6.0,strict_control,5.333333,Cd,Cd,,"
    );
    assert_eq!(
        read(dir.path(), "d.csv")[1],
        "U1,Cd,1.6,0.3,2.0,5.333333,severe"
    );
    let out = evaluate(
        dir.path(),
        &[
            "--input", "in.csv", "--output", "c.csv", "--method", "magic",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pollution-index"));
}

#[test]
fn construction_land_by_land_class() {
    let dir = tempfile::tempdir().unwrap();
    // GB 36600 表1 As: screening 20 / 60, intervention 120 / 140 (class 1 / class 2).
    std::fs::write(
        dir.path().join("in.csv"),
        "sample_code,analyte,value,unit\nC1,As,60,mg/kg\nC2,砷,60.5,mg/kg\nC3,arsenic,140,mg/kg\nC4,As,141000,μg/kg\n",
    )
    .unwrap();
    let classes = |file: &str| -> Vec<String> {
        read(dir.path(), file)
            .iter()
            .skip(1)
            .map(|l| l.split(',').take(4).collect::<Vec<_>>().join(","))
            .collect()
    };
    for (class, file, want) in [
        (
            "1",
            "one.csv",
            [
                "C1,class1,,above_screening",
                "C2,class1,,above_screening",
                "C3,class1,,above_intervention",
                "C4,class1,,above_intervention",
            ],
        ),
        (
            "2",
            "two.csv",
            [
                "C1,class2,,below_screening",
                "C2,class2,,above_screening",
                "C3,class2,,above_screening",
                "C4,class2,,above_intervention",
            ],
        ),
    ] {
        let out = evaluate(
            dir.path(),
            &[
                "--input",
                "in.csv",
                "--output",
                file,
                "--ruleset",
                "gb36600-2018",
                "--land-class",
                class,
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(classes(file), want, "class {class}");
    }
    let out = evaluate(
        dir.path(),
        &[
            "--input",
            "in.csv",
            "--output",
            "x.csv",
            "--ruleset",
            "gb36600-2018",
            "--land-class",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("land_class"));
}

#[test]
fn rejected_rows_are_named_on_stderr_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "sample_code,land_use,ph,analyte,value,unit\n\
         A,paddy,6.0,Cd,0.3,mg/kg\n\
         B,paddy,6.0,Cd,0.3,mg/L\n\
         C,paddy,15,Cd,0.3,mg/kg\n\
         D,paddy,6.0,Kryptonite,1,mg/kg\n\
         E,paddy,6.0,Cd,-1,mg/kg\n\
         F,paddy,6.0,Cd\n",
    )
    .unwrap();
    let out = evaluate(dir.path(), &["--input", "in.csv", "--output", "out.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "第 3 行，列 unit / line 3, column unit: 'mg/L'",
        "第 4 行，列 ph / line 4, column ph: '15'",
        "第 5 行，列 analyte / line 5, column analyte: 'Kryptonite'",
        "第 6 行，列 value / line 6, column value: '-1'",
        "第 7 行，列 value / line 7, column value: ''",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    assert!(stderr.contains("5 rows rejected"), "{stderr}");
    let rows = read(dir.path(), "out.csv");
    assert_eq!(rows[1], "A,paddy,6.0,priority_protection,0.750000,Cd,,,");
    for row in &rows[2..] {
        assert!(row.ends_with(",,,,,,row_error"), "{row}");
    }

    // A missing column is not a row error: nothing can be read, exit 1, the column named.
    std::fs::write(
        dir.path().join("nocol.csv"),
        "sample_code,land_use,analyte,value,unit\nA,paddy,Cd,0.3,mg/kg\n",
    )
    .unwrap();
    let out = evaluate(dir.path(), &["--input", "nocol.csv", "--output", "out.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("缺少列 / missing column(s): ph"),
        "{stderr}"
    );
}

/// Absurd numbers (issue 3: they used to panic inside the decimal arithmetic) are rejected rows,
/// named on stderr with exit 2; the largest possible mass fraction (1,000,000 mg/kg = 1000 g/kg)
/// and a value with 40 decimals equal to the screening value are evaluated exactly, in the output
/// and the detail file; a local threshold of zero is refused with exit 1.
#[test]
fn absurd_numbers_are_rejected_rows_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "sample_code,land_use,ph,analyte,value,unit,detection_limit,qualifier\n\
         A,paddy,6.0,Cd,1000,g/kg,,\n\
         B,paddy,6.0,Cd,1e24,mg/kg,,\n\
         C,paddy,6.0,Cd,79228162514264337593543950335,g/kg,,\n\
         D,paddy,6.0,Cd,,mg/kg,1e28,ND\n\
         E,paddy,6.0,Cd,0.40000000000000000000000000001,mg/kg,,\n\
         F,paddy,6.0,Cd,0.4000000000000000000000000000000000000000,mg/kg,,\n\
         G,paddy,7.50000000000000000000001,Cd,0.7,mg/kg,,\n",
    )
    .unwrap();
    let out = evaluate(
        dir.path(),
        &[
            "--input",
            "in.csv",
            "--output",
            "out.csv",
            "--detail",
            "detail.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for expected in [
        "第 3 行，列 value / line 3, column value: '1e24': 检测值超过 1 000 000 mg/kg（100 %），不是可能的含量，请检查单位 / the value is above 1,000,000 mg/kg (100 %)",
        "第 4 行，列 value / line 4, column value: '79228162514264337593543950335': 检测值超过",
        "第 5 行，列 detection_limit / line 5, column detection_limit: '1e28': 检出限超过 1 000 000 mg/kg（100 %）",
        "第 6 行，列 value / line 6, column value: '0.40000000000000000000000000001': 检测值 / the value: 数字位数过多",
        "too many digits to compare exactly",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    assert!(stderr.contains("4 rows rejected"), "{stderr}");
    let rows = read(dir.path(), "out.csv");
    assert_eq!(
        rows[1..],
        [
            // 1000 g/kg = 10⁶ mg/kg > 2.0 (表3, paddy, 5.5 < pH ≤ 6.5); P = 10⁶ / 0.4
            "A,paddy,6.0,strict_control,2500000.000000,Cd,Cd,Cd,",
            "B,paddy,6.0,,,,,,row_error",
            "C,paddy,6.0,,,,,,row_error",
            "D,paddy,6.0,,,,,,row_error",
            "E,paddy,6.0,,,,,,row_error",
            // exactly the screening value 0.4
            "F,paddy,6.0,priority_protection,1.000000,Cd,,,",
            // pH just above 7.5: screening 0.8 (not 0.6)
            "G,paddy,7.50000000000000000000001,priority_protection,0.875000,Cd,,,",
        ]
    );
    let detail = read(dir.path(), "detail.csv");
    assert_eq!(
        detail[1..],
        [
            "A,Cd,1000000,0.4,2.0,2500000.000000,strict_control",
            "F,Cd,0.4,0.4,2.0,1.000000,priority_protection",
            "G,Cd,0.7,0.8,4.0,0.875000,priority_protection",
        ]
    );

    std::fs::write(
        dir.path().join("local.csv"),
        "analyte,land_use,ph_band,value_type,value,unit\nCd,paddy,,screening,0,mg/kg\n",
    )
    .unwrap();
    let out = evaluate(
        dir.path(),
        &[
            "--input",
            "in.csv",
            "--output",
            "out.csv",
            "--overlay",
            "local.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a threshold must be at least 10⁻¹² mg/kg"),
        "{stderr}"
    );
}
