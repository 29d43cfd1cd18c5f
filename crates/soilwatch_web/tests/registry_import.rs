//! Issue 8: the registries imported through the ingest pipeline on `POST /api/v1/imports` with a
//! registry `kind` — XLSX and GBK CSV files made here, every kind, a bad last row storing
//! nothing, re-import unchanged, a correction as a new version in `GET …/{code}/history`, the
//! bilingual report naming row and column, a county officer held to their county, the registry
//! rules (plot lifecycle, manifest filed before departure, a demolition plan's lifecycle, a
//! mining area's monitoring year, a disclosure's year and its rows agreeing); mining areas,
//! demolition plans and disclosures as well; on SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a panic is a failed test"
)]

use axum::http::StatusCode;
use chrono::{Duration, FixedOffset, Utc};
use serde_json::Value;
use soilwatch_core::{ChangeMeta, Department, DivisionLevel};
use soilwatch_store::{RegistryEntity, RegistryStore, Role, Store};
use soilwatch_test_utils::TestApp;

/// Valid USCCs (check characters computed by GB 32100).
const U1: &str = "91513402MA6AB1CD26";
const U2: &str = "91513401MA6EF3GH4G";

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("企业名录").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

async fn upload(app: &TestApp, kind: &str, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    app.post_multipart(
        "/api/v1/imports",
        &[("file", Some(name), bytes), ("kind", None, kind.as_bytes())],
        None,
    )
    .await
}

async fn history(app: &TestApp, path: &str) -> Vec<Value> {
    let (status, h) = app.get_json(&format!("{path}/history")).await;
    assert_eq!(status, StatusCode::OK, "{path}: {h}");
    h.as_array().unwrap().clone()
}

/// A decimal as text, whether JSON holds it as a string or a number.
fn num(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn action(body: &Value, key: &str) -> String {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

const ENTERPRISE_HEADER: [&str; 10] = [
    "统一社会信用代码",
    "企业名称",
    "行业类别",
    "行政区划代码",
    "经度",
    "纬度",
    "列入年份",
    "企业状态",
    "责任书签订日期",
    "责任书公开内容",
];

async fn enterprises(app: &mut TestApp) {
    let file = xlsx(&[
        &ENTERPRISE_HEADER,
        &[
            U1,
            "会理某铅锌冶炼厂",
            "有色金属冶炼",
            "513402",
            "102.25",
            "26.65",
            "2019",
            "在产",
            "2019-06-30",
            "落实土壤污染防治主体责任",
        ],
        &[
            U2,
            "西昌某化工厂",
            "chemicals",
            "513401",
            "",
            "",
            "2020",
            "停产",
            "",
            "",
        ],
    ]);
    let (status, body) = upload(app, "enterprises", "企业名录.xlsx", &file).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["outcome"], "imported");
    assert_eq!(body["batch"]["kind"], "enterprises");
    assert_eq!(body["report"]["sheet"], "企业名录");
    assert_eq!(action(&body, U1), "created");
    assert_eq!(action(&body, U2), "created");
    let batch = body["batch"]["id"].as_i64().unwrap();
    assert_eq!(
        body["summary"],
        format!("imported 2 rows as batch {batch} (2 created, 0 new versions, 0 unchanged)")
    );
    let (_, e) = app.get_json(&format!("/api/v1/enterprises/{U1}")).await;
    assert_eq!(e["industry"], "nonferrous_smelting");
    assert_eq!(e["status"], "operating");
    assert_eq!(e["responsibility_letter"]["signed_on"], "2019-06-30");
    let h = history(app, &format!("/api/v1/enterprises/{U1}")).await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["actor"], body["batch"]["uploader"]);
    assert!(
        h[0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("import batch {batch}: 企业名录.xlsx")),
        "{}",
        h[0]
    );

    // The same file again: unchanged, says so.
    let (status, again) = upload(app, "enterprises", "copy.xlsx", &file).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(again["batch"]["id"], batch);
    assert_eq!(
        again["summary"],
        format!("unchanged: already imported as batch {batch}")
    );

    // A corrected file (GBK CSV, English headers): U2 is suspended → closed; U1 unchanged.
    let csv = format!(
        "uscc,name,industry,division,longitude,latitude,listed_year,status,letter_signed_on,letter_text\n\
         {U1},会理某铅锌冶炼厂,有色金属冶炼,513402,102.25,26.65,2019,在产,2019-06-30,落实土壤污染防治主体责任\n\
         {U2},西昌某化工厂,化工,513401,,,2020,关闭,,\n"
    );
    let (status, fixed) = upload(app, "enterprises", "更正.csv", &gbk(&csv)).await;
    assert_eq!(status, StatusCode::CREATED, "{fixed}");
    assert_eq!(fixed["report"]["encoding"], "gb18030");
    assert_eq!(action(&fixed, U1), "unchanged");
    assert_eq!(action(&fixed, U2), "updated");
    assert_eq!(fixed["batch"]["corrections"], 1);
    assert_eq!(fixed["batch"]["unchanged"], 1);
    let h = history(app, &format!("/api/v1/enterprises/{U2}")).await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["data"]["status"], "suspended");
    assert_eq!(h[1]["data"]["status"], "closed");
    assert_eq!(h[1]["operation"], "import");
    assert_eq!(
        history(app, &format!("/api/v1/enterprises/{U1}"))
            .await
            .len(),
        1
    );

    // The same content in another file: nothing to store, and it says so.
    let (status, same) = upload(app, "enterprises", "again.csv", csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(
        same["summary"],
        "unchanged: all 2 records are registered as in the file, nothing stored"
    );

    // The last row is bad (check character): nothing stored, not even the good new first row.
    let u3 = "91513401MA6EF3GH5G";
    let bad = xlsx(&[
        &ENTERPRISE_HEADER,
        &[
            "91513400MA6WKK0013",
            "新企业",
            "电镀",
            "513401",
            "",
            "",
            "2021",
            "在产",
            "",
            "",
        ],
        &[
            u3,
            "坏代码企业",
            "电镀",
            "513401",
            "",
            "",
            "2021",
            "在产",
            "",
            "",
        ],
    ]);
    let (status, rejected) = upload(app, "enterprises", "bad.xlsx", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rejected}");
    assert_eq!(rejected["outcome"], "rejected");
    let issues = rejected["report"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let i = &issues[0];
    assert_eq!(i["file"], "bad.xlsx");
    assert_eq!(i["sheet"], "企业名录");
    assert_eq!(i["row"], 3);
    assert_eq!(i["column"], "统一社会信用代码");
    assert_eq!(i["column_letter"], "A");
    assert_eq!(i["value"], u3);
    assert!(i["message_cn"].as_str().unwrap().contains("校验"), "{i}");
    assert!(i["message_en"].as_str().unwrap().contains("check"), "{i}");
    let (status, _) = app.get_json("/api/v1/enterprises/91513400MA6WKK0013").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A county officer imports only their county's records.
    let change = ChangeMeta::new("测试", "issue 8 fixture");
    app.store
        .create_department(
            &Department {
                code: "eco-env-513401".into(),
                name: "西昌市生态环境局".into(),
                level: DivisionLevel::County,
                division: "513401".parse().unwrap(),
            },
            &change,
        )
        .await
        .unwrap();
    let token = app
        .user_token("xc-officer", Role::DataOfficer, Some("eco-env-513401"))
        .await;
    let admin = app.bearer.replace(token);
    let own = format!(
        "统一社会信用代码,企业名称,行业,行政区划代码,列入年份,企业状态\n\
         {U2},西昌某化工厂,化工,513401,2020,搬迁\n\
         {U1},会理某铅锌冶炼厂,有色金属冶炼,513402,2019,停产\n"
    );
    let (status, out) = upload(app, "enterprises", "xc.csv", own.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(i["rule"], "outside_area");
    assert_eq!(i["row"], 3);
    assert_eq!(i["column"], "行政区划代码");
    let own_only = own.lines().take(2).collect::<Vec<_>>().join("\n");
    let (status, out) = upload(app, "enterprises", "xc2.csv", own_only.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["batch"]["uploader"], "xc-officer");
    app.bearer = admin;
    assert_eq!(
        history(app, &format!("/api/v1/enterprises/{U2}"))
            .await
            .len(),
        3
    );
}

async fn plots_projects_manifests_ponds(app: &TestApp) {
    // Plots: Chinese headers, GBK; a new plot starts as suspected.
    let plots = "地块编码,地块名称,行政区划代码,原用途,行业,责任主体,规划用途,状态,认定日期\n\
                 HL-DK-01,原会理冶炼厂地块,513402,铅锌冶炼厂,有色金属冶炼,会理某冶炼厂,M1,疑似污染地块,2024-03-01\n\
                 XC-DK-02,原西昌化工厂地块,513401,化工厂,化工,,居住用地,,2024-04-02\n";
    let (status, body) = upload(app, "plots", "地块.csv", &gbk(plots)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, p) = app.get_json("/api/v1/plots/HL-DK-01").await;
    assert_eq!(p["status"], "suspected");
    assert_eq!(p["land_class"], 2);
    assert_eq!(p["industry"], "nonferrous_smelting");
    assert_eq!(p["steps"][0]["date"], "2024-03-01");
    assert_eq!(p["steps"][0]["recorded_by"], body["batch"]["uploader"]);
    let (_, p2) = app.get_json("/api/v1/plots/XC-DK-02").await;
    assert_eq!(p2["planned_use"], "R");
    assert_eq!(p2["land_class"], 1);

    // A status change out of order is refused, naming the missing steps; nothing stored.
    let jump = "地块编码,地块名称,行政区划代码,状态,状态日期\n\
                HL-DK-01,原会理冶炼厂地块,513402,列入名录,2024-06-01\n";
    let (status, out) = upload(app, "plots", "jump.csv", jump.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(i["row"], 2);
    assert_eq!(i["column"], "状态");
    assert!(
        i["message_en"].as_str().unwrap().contains("missing steps"),
        "{i}"
    );
    assert!(
        i["message_cn"].as_str().unwrap().contains("缺少步骤"),
        "{i}"
    );
    // A renamed plot: a new version; its steps stay.
    let rename = "code,name,division\nHL-DK-01,会理冶炼厂旧址,513402\n";
    let (status, out) = upload(app, "plots", "rename.csv", rename.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let h = history(app, "/api/v1/plots/HL-DK-01").await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["data"]["name"], "会理冶炼厂旧址");
    assert_eq!(h[1]["data"]["former_use"], "铅锌冶炼厂");
    assert_eq!(h[1]["data"]["steps"].as_array().unwrap().len(), 1);

    // Remediation projects: the plot must be registered.
    let projects = "工程编号,工程名称,地块编码,工程类型,责任单位,修复技术,开工日期,环境监理\n\
                    XF-01,会理冶炼厂地块修复,HL-DK-01,治理修复,会理某冶炼厂,固化/稳定化,2024-05-01,甲监理;乙监理\n\
                    XF-02,无地块工程,NO-SUCH,风险管控,某单位,阻隔,,\n";
    let (status, out) = upload(app, "remediation-projects", "工程.csv", projects.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(3), Some("地块编码"))
    );
    assert_eq!(i["rule"], "unknown_reference");
    let one = projects.lines().take(2).collect::<Vec<_>>().join("\n");
    let (status, out) = upload(app, "remediation-projects", "工程1.csv", one.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (_, prj) = app.get_json("/api/v1/remediation-projects/XF-01").await;
    assert_eq!(prj["division"], "513402");
    assert_eq!(prj["supervisors"].as_array().unwrap().len(), 2);
    assert_eq!(
        history(app, "/api/v1/remediation-projects/XF-01")
            .await
            .len(),
        1
    );
    // Double supervision (双监理): XC-DK-02 is planned as 居住用地, class 1 land (an important
    // plot); a started project naming one supervisor is refused at its cell.
    let single = "工程编号,工程名称,地块编码,工程类型,责任单位,修复技术,开工日期,环境监理\n\
                  XF-03,西昌化工厂地块修复,XC-DK-02,治理修复,会理某冶炼厂,固化/稳定化,2024-07-01,甲监理\n";
    let (status, out) = upload(app, "remediation-projects", "工程3.csv", single.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(2), Some("环境监理")),
        "{i}"
    );
    assert!(i["message_cn"].as_str().unwrap().contains("双监理"), "{i}");
    assert!(
        i["message_en"]
            .as_str()
            .unwrap()
            .contains("double supervision"),
        "{i}"
    );
    let (status, _) = app.get_json("/api/v1/remediation-projects/XF-03").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Manifests: filed before departure; one leaving in the past is refused.
    let bj = FixedOffset::east_opt(8 * 3600).unwrap();
    let later = (Utc::now() + Duration::days(3)).with_timezone(&bj);
    let dep = later.format("%Y-%m-%d %H:%M").to_string();
    let past = (Utc::now() - Duration::days(1))
        .with_timezone(&bj)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let header = "联单编号,工程编号,数量,数量单位,运输方式,运输路线,承运单位,车牌号,出发时间,接收单位,接收地区划代码,处置方式\n";
    let ok_row = format!(
        "LD-01,XF-01,30.5,吨,公路,G5,某运输公司,川W12345,{dep},某水泥厂,513401,水泥窑协同处置\n"
    );
    let late_row = format!(
        "LD-02,XF-01,12,m3,road,G5,某运输公司,川W12346,{past},某水泥厂,513401,水泥窑协同处置\n"
    );
    let (status, out) = upload(
        app,
        "manifests",
        "联单.csv",
        format!("{header}{ok_row}{late_row}").as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(3), Some("出发时间"))
    );
    assert!(i["message_en"]
        .as_str()
        .unwrap()
        .contains("must be filed before its departure time"));
    let (status, _) = app.get_json("/api/v1/manifests/LD-01").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, out) = upload(
        app,
        "manifests",
        "联单1.csv",
        format!("{header}{ok_row}").as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (_, m) = app.get_json("/api/v1/manifests/LD-01").await;
    assert_eq!(m["origin_division"], "513402");
    assert_eq!(num(&m["quantity"]), "30.5");
    assert_eq!(m["unit"], "t");
    // A correction before departure: a new version.
    let fixed = ok_row.replace(",30.5,", ",31,");
    let (status, out) = upload(
        app,
        "manifests",
        "联单2.csv",
        format!("{header}{fixed}").as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let h = history(app, "/api/v1/manifests/LD-01").await;
    assert_eq!(h.len(), 2);
    assert_eq!(num(&h[1]["data"]["quantity"]), "31");

    // Tailings ponds (XLSX).
    let ponds = xlsx(&[
        &[
            "尾矿库编码",
            "尾矿库名称",
            "企业信用代码",
            "行政区划代码",
            "状态",
            "风险评估日期",
            "风险评估结论",
            "应急预案备案机关",
            "应急预案备案日期",
        ],
        &[
            "WKK-01",
            "某铅锌矿尾矿库",
            U1,
            "513402",
            "在用",
            "2023-08-01",
            "一般风险",
            "凉山州生态环境局",
            "2023-09-01",
        ],
        &[
            "WKK-02",
            "某铁矿尾矿库",
            "",
            "513401",
            "闭库",
            "2023-08-01",
            "",
            "",
            "",
        ],
    ]);
    let (status, out) = upload(app, "tailings-ponds", "尾矿库.xlsx", &ponds).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(3), Some("风险评估结论"))
    );
    let ponds = xlsx(&[
        &[
            "尾矿库编码",
            "尾矿库名称",
            "企业信用代码",
            "行政区划代码",
            "状态",
            "风险评估日期",
            "风险评估结论",
            "应急预案备案机关",
            "应急预案备案日期",
        ],
        &[
            "WKK-01",
            "某铅锌矿尾矿库",
            U1,
            "513402",
            "在用",
            "2023-08-01",
            "一般风险",
            "凉山州生态环境局",
            "2023-09-01",
        ],
    ]);
    let (status, out) = upload(app, "tailings-ponds", "尾矿库1.xlsx", &ponds).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (_, t) = app.get_json("/api/v1/tailings-ponds/WKK-01").await;
    assert_eq!(t["status"], "operating");
    assert_eq!(t["risk_assessment"]["conclusion"], "一般风险");
    assert_eq!(t["emergency_plan"]["filed_on"], "2023-09-01");
    assert_eq!(history(app, "/api/v1/tailings-ponds/WKK-01").await.len(), 1);
}

/// Mining areas (GBK CSV), demolition plans (XLSX) and disclosures (UTF-8 CSV, one pollutant a
/// row): each with a bad last row storing nothing, the re-import unchanged and a correction as a
/// new version.
async fn mining_demolition_disclosures(app: &TestApp) {
    // Mining areas: associated radioactivity needs its first monitoring year.
    let header = "矿区编码,矿区名称,企业信用代码,矿种,行政区划代码,矿区状态,伴生放射性,辐射监测起始年份,辐射监测点位\n";
    let good = format!(
        "{header}KQ-01,某稀土矿区,{U1},稀土,513402,在产,是,2021,KQ-P1;KQ-P2\n\
         KQ-02,某铅锌矿区,,铅锌,513401,停产,否,,\n"
    );
    let bad = format!("{good}KQ-03,某铀矿区,,铀,513401,在产,是,,\n");
    let (status, out) = upload(app, "mining-areas", "矿区.csv", &gbk(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let issues = out["report"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    let i = &issues[0];
    assert_eq!(i["file"], "矿区.csv");
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(4), Some("辐射监测起始年份"))
    );
    assert!(
        i["message_cn"].as_str().unwrap().contains("起始年份"),
        "{i}"
    );
    assert!(
        i["message_en"].as_str().unwrap().contains("first year"),
        "{i}"
    );
    let (status, _) = app.get_json("/api/v1/mining-areas/KQ-01").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, out) = upload(app, "mining-areas", "矿区1.csv", &gbk(&good)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["batch"]["kind"], "mining-areas");
    assert_eq!(out["report"]["encoding"], "gb18030");
    let (_, a) = app.get_json("/api/v1/mining-areas/KQ-01").await;
    assert_eq!(a["status"], "operating");
    assert_eq!(a["associated_radioactivity"], true);
    assert_eq!(a["monitoring_since"], 2021);
    assert_eq!(a["point_codes"], serde_json::json!(["KQ-P1", "KQ-P2"]));
    assert_eq!(a["enterprise_uscc"], U1);
    let (status, again) = upload(app, "mining-areas", "矿区-copy.csv", &gbk(&good)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "unchanged");
    let fixed = good.replace("停产,否", "闭坑,否");
    let (status, out) = upload(app, "mining-areas", "矿区2.csv", &gbk(&fixed)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(action(&out, "KQ-01"), "unchanged");
    assert_eq!(action(&out, "KQ-02"), "updated");
    let h = history(app, "/api/v1/mining-areas/KQ-02").await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["data"]["status"], "suspended");
    assert_eq!(h[1]["data"]["status"], "closed");
    assert_eq!(h[1]["operation"], "import");
    assert_eq!(history(app, "/api/v1/mining-areas/KQ-01").await.len(), 1);

    // Demolition plans: the enterprise must be registered; a new plan is filed.
    let header: [&str; 9] = [
        "方案编号",
        "企业信用代码",
        "拆除设施",
        "清理方案名称",
        "备案机关",
        "备案日期",
        "计划开工日期",
        "方案状态",
        "状态日期",
    ];
    let cc01: [&str; 9] = [
        "CC-01",
        U1,
        "电解车间;废水处理站",
        "残留污染物清理和安全处置方案",
        "会理市生态环境局",
        "2024-03-01",
        "2024-04-01",
        "已备案",
        "",
    ];
    let unknown = "91513400MA6WKK0013";
    let cc02: [&str; 9] = [
        "CC-02",
        unknown,
        "仓库",
        "清理方案",
        "西昌市生态环境局",
        "2024-03-01",
        "2024-04-01",
        "",
        "",
    ];
    let (status, out) = upload(
        app,
        "demolition-plans",
        "拆除.xlsx",
        &xlsx(&[&header, &cc01, &cc02]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(i["sheet"], "企业名录");
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str(), i["value"].as_str()),
        (Some(3), Some("企业信用代码"), Some(unknown))
    );
    assert_eq!(i["rule"], "unknown_reference");
    let (status, _) = app.get_json("/api/v1/demolition-plans/CC-01").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let one = xlsx(&[&header, &cc01]);
    let (status, out) = upload(app, "demolition-plans", "拆除1.xlsx", &one).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (_, p) = app.get_json("/api/v1/demolition-plans/CC-01").await;
    assert_eq!(p["status"], "filed");
    assert_eq!(p["division"], "513402");
    assert_eq!(p["enterprise_name"], "会理某铅锌冶炼厂");
    assert_eq!(p["facilities"].as_array().unwrap().len(), 2);
    assert_eq!(p["steps"][0]["date"], "2024-03-01");
    assert_eq!(p["steps"][0]["recorded_by"], out["batch"]["uploader"]);
    let (status, again) = upload(app, "demolition-plans", "拆除-copy.xlsx", &one).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "unchanged");
    // Completing a plan never started is refused, naming the missing step.
    let mut done = cc01;
    done[7] = "已完成";
    done[8] = "2024-05-01";
    let (status, out) = upload(
        app,
        "demolition-plans",
        "完成.xlsx",
        &xlsx(&[&header, &done]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let i = &out["report"]["issues"][0];
    assert_eq!(
        (i["row"].as_u64(), i["column"].as_str()),
        (Some(2), Some("方案状态"))
    );
    assert!(
        i["message_en"].as_str().unwrap().contains("in_progress"),
        "{i}"
    );
    assert!(i["message_cn"].as_str().unwrap().contains("拆除中"), "{i}");
    let mut started = cc01;
    started[7] = "拆除中";
    started[8] = "2024-04-02";
    let (status, out) = upload(
        app,
        "demolition-plans",
        "开始.xlsx",
        &xlsx(&[&header, &started]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(action(&out, "CC-01"), "updated");
    let h = history(app, "/api/v1/demolition-plans/CC-01").await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["data"]["status"], "in_progress");
    assert_eq!(h[1]["data"]["steps"].as_array().unwrap().len(), 2);
    assert_eq!(h[1]["operation"], "import");

    // Disclosures: one pollutant a row; the year may not be before the listed year.
    let header =
        "统一社会信用代码,年份,公开日期,污染物,排放方式,排放浓度,排放总量,污染防治设施,公开途径\n";
    let good = format!(
        "{header}{U1},2023,2023-12-20,镉,间歇排放,0.05 mg/L,1.2 kg/a,废水处理站正常运行,https://example.org/gk\n\
         {U1},2023,2023-12-20,总铅,间歇排放,0.2 mg/L,3 kg/a,,\n\
         {U1},2024,2024-12-30,镉,,,,,\n"
    );
    let bad = format!("{good}{U2},2018,2019-01-10,镉,,,,,\n");
    let (status, out) = upload(app, "disclosures", "公开.csv", bad.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let issues = out["report"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        (issues[0]["row"].as_u64(), issues[0]["column"].as_str()),
        (Some(5), Some("年份"))
    );
    assert!(
        issues[0]["message_en"]
            .as_str()
            .unwrap()
            .contains("before the listed year 2020"),
        "{}",
        issues[0]
    );
    let (_, d) = app
        .get_json(&format!("/api/v1/enterprises/{U1}/disclosures"))
        .await;
    assert_eq!(d["disclosures"].as_array().unwrap().len(), 0, "{d}");
    // Two rows of one disclosure that disagree on its date.
    let split = good.replacen("2023,2023-12-20,总铅", "2023,2023-12-21,总铅", 1);
    let (status, out) = upload(app, "disclosures", "公开-split.csv", split.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        (
            out["report"]["issues"][0]["row"].as_u64(),
            out["report"]["issues"][0]["column"].as_str()
        ),
        (Some(3), Some("公开日期"))
    );

    let (status, out) = upload(app, "disclosures", "公开1.csv", good.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let batch = out["batch"]["id"].as_i64().unwrap();
    assert_eq!(
        out["summary"],
        format!("imported 3 rows as batch {batch} (2 created, 0 new versions, 0 unchanged)")
    );
    assert_eq!(action(&out, &format!("{U1}/2023")), "created");
    let (_, d) = app
        .get_json(&format!("/api/v1/enterprises/{U1}/disclosures"))
        .await;
    let list = d["disclosures"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{d}");
    assert_eq!(list[0]["year"], 2023);
    assert_eq!(list[0]["pollutants"].as_array().unwrap().len(), 2);
    assert_eq!(list[0]["pollutants"][1]["name"], "总铅");
    assert_eq!(list[0]["facilities"], "废水处理站正常运行");
    let (status, again) = upload(app, "disclosures", "公开-copy.csv", good.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "unchanged");
    let fixed = good.replace("0.05 mg/L", "0.04 mg/L");
    let (status, out) = upload(app, "disclosures", "公开2.csv", fixed.as_bytes()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(action(&out, &format!("{U1}/2023")), "updated");
    assert_eq!(action(&out, &format!("{U1}/2024")), "unchanged");
    let h = app
        .store
        .registry_history(RegistryEntity::Disclosure, &format!("{U1}/2023"))
        .await
        .unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].data["pollutants"][0]["concentration"], "0.04 mg/L");
    assert_eq!(h[1].operation, "import");
    assert!(h[1].reason.contains("公开2.csv"), "{}", h[1].reason);
}

async fn cycle(app: &mut TestApp) {
    enterprises(app).await;
    plots_projects_manifests_ponds(app).await;
    mining_demolition_disclosures(app).await;
}

#[tokio::test]
async fn registry_imports_on_sqlite() {
    let mut app = TestApp::sqlite().await.signed_in(Role::Administrator).await;
    cycle(&mut app).await;
}

#[tokio::test]
async fn registry_imports_on_postgres() {
    let Some(app) = TestApp::postgres("registry_import").await else {
        return;
    };
    let mut app = app.signed_in(Role::Administrator).await;
    cycle(&mut app).await;
    app.finish().await;
}

#[tokio::test]
async fn registry_templates_download() {
    let app = TestApp::sqlite().await;
    for kind in [
        "enterprises",
        "plots",
        "tailings-ponds",
        "remediation-projects",
        "manifests",
        "mining-areas",
        "demolition-plans",
        "disclosures",
    ] {
        let (status, ct, body) = app.get(&format!("/api/v1/templates/{kind}.csv")).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(ct.starts_with("text/csv"), "{ct}");
        let text = String::from_utf8(body[3..].to_vec()).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.contains('/'), "{header}");
        let (status, _, body) = app.get(&format!("/api/v1/templates/{kind}.xlsx")).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        use calamine::Reader as _;
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["数据data", "选项lists"], "{kind}");
        let lists = wb.worksheet_range("选项lists").unwrap();
        // A disclosure has no column of fixed values.
        if kind != "disclosures" {
            assert!(lists.height() > 1, "{kind}: no drop-down values");
        }
    }
    let (_, _, body) = app.get("/api/v1/templates/enterprises.csv").await;
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("*统一社会信用代码/uscc,*企业名称/name,"),
        "{text}"
    );
}
