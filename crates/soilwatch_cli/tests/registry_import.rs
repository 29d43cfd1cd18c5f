//! Issue 8: `soilwatch import FILE --kind enterprises|plots|tailings-ponds|remediation-projects|
//! manifests|mining-areas|demolition-plans|disclosures`, `soilwatch validate --kind …` (no database) and `soilwatch template --kind …`,
//! driving the real binary on files made here (GBK CSV, XLSX).

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

use soilwatch_store::{connect, RegistryEntity, RegistryStore};

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SOILWATCH_DB")
        .env("SOILWATCH_UPLOADER", "county-clerk")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

const KINDS: [&str; 8] = [
    "enterprises",
    "plots",
    "tailings-ponds",
    "remediation-projects",
    "manifests",
    "mining-areas",
    "demolition-plans",
    "disclosures",
];

#[tokio::test]
async fn enterprises_import_reimport_reject_and_correct() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = "统一社会信用代码,企业名称,行业,行政区划代码,列入年份,企业状态\n\
                91513402MA6AB1CD26,会理某铅锌冶炼厂,有色金属冶炼,513402,2019,在产\n\
                91513401MA6EF3GH4G,西昌某化工厂,化工,513401,2020,停产\n";
    std::fs::write(d.join("企业.csv"), gbk(good)).unwrap();
    let out = run(
        d,
        &[
            "import",
            "企业.csv",
            "--kind",
            "enterprises",
            "--db",
            "t.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "imported 2 rows as batch 1 (2 created, 0 new versions, 0 unchanged)"
    );

    let out = run(
        d,
        &[
            "import",
            "企业.csv",
            "--kind",
            "enterprises",
            "--db",
            "t.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        "unchanged: already imported as batch 1"
    );

    // The last row is bad: exit 2, nothing stored, the report names row and column.
    let bad =
        format!("{good}91513401MA6EF3GH5G,新厂,电镀,513401,2021,在产\n").replace("停产", "关闭");
    std::fs::write(d.join("bad.csv"), gbk(&bad)).unwrap();
    let out = run(
        d,
        &[
            "import",
            "bad.csv",
            "--kind",
            "enterprises",
            "--db",
            "t.db",
            "--report",
            "r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(stdout(&out).trim(), "rejected: 1 errors, nothing stored");
    assert!(
        stderr(&out).contains("row 4, column 统一社会信用代码"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["issues"][0]["column_letter"], "A");
    assert_eq!(report["encoding"], "gb18030");

    // The corrected file: only the changed enterprise gets a new version.
    let fixed = good.replace("停产", "关闭");
    std::fs::write(d.join("fixed.csv"), gbk(&fixed)).unwrap();
    let out = run(
        d,
        &[
            "import",
            "fixed.csv",
            "--kind",
            "enterprises",
            "--db",
            "t.db",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "imported 2 rows as batch 2 (0 created, 1 new versions, 1 unchanged)"
    );
    let store = connect(d.join("t.db").to_str().unwrap()).await.unwrap();
    let h = store
        .registry_history(RegistryEntity::Enterprise, "91513401MA6EF3GH4G")
        .await
        .unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].data["status"], "closed");
    assert_eq!(h[1].actor, "county-clerk");
    assert!(
        h[1].reason.contains("import batch 2: fixed.csv"),
        "{}",
        h[1].reason
    );
    let h = store
        .registry_history(RegistryEntity::Enterprise, "91513402MA6AB1CD26")
        .await
        .unwrap();
    assert_eq!(h.len(), 1);
    assert!(store.get_enterprise("91513401MA6EF3GH5G").await.is_err());
    store.close().await;
}

/// Mining areas, demolition plans and disclosures through `soilwatch import --kind …`: a bad
/// last row stores nothing (exit 2, the report naming row and column), the same file again is
/// unchanged, a correction is a new version in the history naming the batch.
#[tokio::test]
async fn mining_demolition_disclosures_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let import = |file: &str, kind: &str| {
        run(
            d,
            &[
                "import", file, "--kind", kind, "--db", "t.db", "--report", "r.json",
            ],
        )
    };
    let report = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap()
    };
    std::fs::write(
        d.join("e.csv"),
        "统一社会信用代码,企业名称,行业,行政区划代码,列入年份,企业状态\n\
         91513402MA6AB1CD26,会理某铅锌冶炼厂,有色金属冶炼,513402,2019,在产\n",
    )
    .unwrap();
    assert_eq!(import("e.csv", "enterprises").status.code(), Some(0));

    let mining = "矿区编码,矿区名称,矿种,行政区划代码,矿区状态,伴生放射性,辐射监测起始年份\n\
                  KQ-01,某稀土矿区,稀土,513402,在产,是,2021\n";
    std::fs::write(
        d.join("bad.csv"),
        gbk(&format!("{mining}KQ-02,某矿区,铅锌,513401,开采中的,否,\n")),
    )
    .unwrap();
    let out = import("bad.csv", "mining-areas");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert_eq!(stdout(&out).trim(), "rejected: 1 errors, nothing stored");
    assert!(
        stderr(&out).contains("row 3, column 矿区状态"),
        "{}",
        stderr(&out)
    );
    assert_eq!(report()["issues"][0]["column_letter"], "E");
    std::fs::write(d.join("矿区.csv"), gbk(mining)).unwrap();
    let out = import("矿区.csv", "矿区");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "imported 1 rows as batch 2 (1 created, 0 new versions, 0 unchanged)"
    );
    let out = import("矿区.csv", "mining-areas");
    assert_eq!(
        stdout(&out).trim(),
        "unchanged: already imported as batch 2"
    );

    let plans = "方案编号,企业信用代码,拆除设施,清理方案名称,备案机关,备案日期,计划开工日期\n\
                 CC-01,91513402MA6AB1CD26,电解车间、废水处理站,清理方案,会理市生态环境局,2024-03-01,2024-02-01\n";
    std::fs::write(d.join("plans.csv"), plans).unwrap();
    let out = import("plans.csv", "demolition-plans");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let i = &report()["issues"][0];
    assert_eq!(i["column"], "计划开工日期");
    assert!(
        i["message_cn"].as_str().unwrap().contains("早于备案日期"),
        "{i}"
    );
    std::fs::write(
        d.join("plans.csv"),
        plans.replace("2024-02-01", "2024-04-01"),
    )
    .unwrap();
    let out = import("plans.csv", "demolition-plans");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let disclosures = "uscc,year,disclosed_on,pollutant,concentration\n\
                       91513402MA6AB1CD26,2023,2024-01-10,镉,0.05 mg/L\n\
                       91513402MA6AB1CD26,2023,2024-01-10,铅,0.1 mg/L\n";
    std::fs::write(d.join("gk.csv"), disclosures).unwrap();
    let out = import("gk.csv", "disclosures");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "imported 2 rows as batch 4 (1 created, 0 new versions, 0 unchanged)"
    );
    std::fs::write(
        d.join("gk2.csv"),
        disclosures.replace("0.1 mg/L", "0.2 mg/L"),
    )
    .unwrap();
    let out = import("gk2.csv", "disclosures");
    assert_eq!(
        stdout(&out).trim(),
        "imported 2 rows as batch 5 (0 created, 1 new versions, 0 unchanged)"
    );

    let store = connect(d.join("t.db").to_str().unwrap()).await.unwrap();
    assert!(store.get_mining_area("KQ-02").await.is_err());
    let p = store.get_demolition_plan("CC-01").await.unwrap();
    assert_eq!(p.item.facilities, vec!["电解车间", "废水处理站"]);
    assert_eq!(p.item.steps[0].recorded_by, "county-clerk");
    let h = store
        .registry_history(RegistryEntity::Disclosure, "91513402MA6AB1CD26/2023")
        .await
        .unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].data["pollutants"][1]["concentration"], "0.2 mg/L");
    assert!(
        h[1].reason.contains("import batch 5: gk2.csv"),
        "{}",
        h[1].reason
    );
    store.close().await;
}

#[test]
fn every_template_validates_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for kind in KINDS {
        for ext in ["xlsx", "csv"] {
            let name = format!("{kind}.{ext}");
            let out = run(
                d,
                &[
                    "template", "--kind", kind, "--format", ext, "--output", &name,
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let out = run(d, &["validate", &name, "--kind", kind]);
            assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
            assert!(
                stdout(&out).contains("1 rows read, 1 valid, 0 errors"),
                "{name}: {}",
                stdout(&out)
            );
            assert!(
                stderr(&out).contains("skipped (needs the database): 未连接数据库"),
                "{}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn validate_reports_every_bad_cell_bilingually() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [&[&str]; 3] = [
        &[
            "联单编号/code",
            "工程编号/project_code",
            "数量/quantity",
            "数量单位/unit",
            "运输方式/transport_mode",
            "运输路线/route",
            "承运单位/carrier",
            "车牌号/vehicle",
            "出发时间/departure_at",
            "接收单位/destination_facility",
            "接收地区划代码/destination_division",
            "处置方式/disposal",
        ],
        &[
            "LD-1",
            "XF-1",
            "30",
            "吨",
            "公路",
            "G5",
            "某公司",
            "川W1",
            "2030-05-01 08:00",
            "某水泥厂",
            "513401",
            "协同处置",
        ],
        &[
            "LD-2",
            "XF-1",
            "-3",
            "桶",
            "飞艇",
            "G5",
            "某公司",
            "川W2",
            "2030-13-01",
            "某水泥厂",
            "999999",
            "协同处置",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    std::fs::write(d.join("m.xlsx"), wb.save_to_buffer().unwrap()).unwrap();
    let out = run(
        d,
        &[
            "validate",
            "m.xlsx",
            "--kind",
            "manifests",
            "--report",
            "r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    let issues = report["issues"].as_array().unwrap();
    let cols: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| {
            (
                i["column_letter"].as_str().unwrap(),
                i["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        vec![
            ("C", "-3"),
            ("D", "桶"),
            ("E", "飞艇"),
            ("I", "2030-13-01"),
            ("K", "999999")
        ],
        "{issues:#?}"
    );
    for i in issues {
        assert_eq!(i["row"], 3);
        assert!(!i["message_cn"].as_str().unwrap().is_empty());
        assert!(!i["message_en"].as_str().unwrap().is_empty());
    }
    assert!(
        issues[1]["message_en"].as_str().unwrap().contains("t/吨"),
        "{}",
        issues[1]
    );
}
