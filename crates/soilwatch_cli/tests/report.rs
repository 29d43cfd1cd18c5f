//! End-to-end: the real `soilwatch report` on the hand-worked fixture of
//! `soilwatch_store::conformance_targets`; its numbers are compared with the API's
//! (`/api/v1/indicators`, `/api/v1/assessment`) on the same database.

#![expect(
    clippy::unwrap_used,
    reason = "end-to-end tests: a panic is a failed test"
)]

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use soilwatch_store::conformance_targets::indicator_fixture;
use soilwatch_store::{connect, Store};
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_soilwatch");

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    for (var, _) in std::env::vars() {
        if var.starts_with("SOILWATCH_") {
            cmd.env_remove(var);
        }
    }
    cmd.output().unwrap()
}

async fn api(db: &str, uri: &str) -> Vec<u8> {
    let store = connect(db).await.unwrap();
    let router = soilwatch_web::router(soilwatch_web::AppState::new(
        Arc::new(store) as Arc<dyn Store>
    ));
    let res = router
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(res.status().is_success(), "{uri}: {}", res.status());
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

/// The same number: XLSX keeps 15–17 significant digits, so the last bit may differ.
fn same(d: &Data, x: f64) -> bool {
    matches!(d, Data::Float(f) if (f - x).abs() <= 1e-12 * x.abs().max(1.0))
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn the_report_has_the_apis_numbers_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    {
        let store = connect(&db).await.unwrap();
        store.migrate().await.unwrap();
        indicator_fixture(&store).await;
        store.close().await;
    }
    let out = run(
        dir.path(),
        &[
            "report", "--db", &db, "--year", "2024", "--format", "xlsx", "--output", "r.xlsx",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(dir.path().join("r.xlsx")).unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();

    // Indicators: the same values as GET /api/v1/indicators (to XLSX's precision).
    let json: serde_json::Value =
        serde_json::from_slice(&api(&db, "/api/v1/indicators?year=2024").await).unwrap();
    let sheet = book.worksheet_range("指标").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().skip(1).collect();
    let list = json["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), list.len());
    for (row, v) in rows.iter().zip(list) {
        assert_eq!(row[0], Data::String(v["name_cn"].as_str().unwrap().into()));
        assert!(
            same(&row[2], v["numerator"].as_f64().unwrap()),
            "{}",
            v["indicator"]
        );
        match v["value"].as_f64() {
            Some(x) => assert!(same(&row[4], x), "{}: {:?} vs {x}", v["indicator"], row[4]),
            None => assert_eq!(row[4], Data::String("—".into())),
        }
        if let Some(t) = v["target"]["value"].as_f64() {
            assert_eq!(row[5], Data::Float(t));
        }
    }
    // The hand-worked farmland rate of the prefecture: 563.9 ÷ 600.
    assert!(same(&rows[0][4], 100.0 * 563.9 / 600.0));

    // The appendix is the assessment the API exports, row by row.
    let csv = api(&db, "/api/v1/assessment?year=2024&f=csv").await;
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let api_rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let appendix = book.worksheet_range("附录 年度考核").unwrap();
    let report_rows: Vec<Vec<String>> = appendix
        .rows()
        .skip(1)
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    assert_eq!(report_rows.len(), 18 * 7);
    assert_eq!(report_rows, api_rows);

    // Classes per county: 会理市 300 SU, 200 SC, 500 PP from the 2024 run.
    let classes = book.worksheet_range("耕地分类").unwrap();
    let hl: Vec<&Data> = classes
        .rows()
        .find(|r| r[0] == Data::String("会理市".into()))
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        hl[1..],
        [
            &Data::Float(2024.0),
            &Data::Float(500.0),
            &Data::Float(300.0),
            &Data::Float(200.0)
        ]
    );
    // Network: one soil sample in 会理市 in 2024.
    let net = book.worksheet_range("监测网络").unwrap();
    let hl = net
        .rows()
        .find(|r| r[1] == Data::String("513402".into()))
        .unwrap();
    assert_eq!(hl[3], Data::Float(1.0));

    // HTML with SVG charts and the same numbers; DOCX with the same tables.
    let out = run(
        dir.path(),
        &[
            "report", "--db", &db, "--year", "2024", "--county", "513402", "--format", "html",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html =
        std::fs::read_to_string(dir.path().join("soilwatch-report-2024-513402.html")).unwrap();
    assert!(html.contains("会理市2024年土壤环境状况报告") && html.matches("<svg").count() >= 3);
    assert!(html.contains("94.00") && !html.contains("IX-C"));
    let out = run(
        dir.path(),
        &[
            "report", "--db", &db, "--year", "2024", "--format", "docx", "--output", "r.docx",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docx = std::fs::read(dir.path().join("r.docx")).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains("凉山彝族自治州2024年土壤环境状况报告")
            || xml.contains("2024年土壤环境状况报告")
    );
    assert!(
        xml.contains("受污染耕地安全利用率") && xml.contains("93.98"),
        "the prefecture's rate with two decimals"
    );

    // Rejected input: exit 2, nothing written.
    let out = run(
        dir.path(),
        &[
            "report", "--db", &db, "--year", "2024", "--format", "pdf", "--output", "x.pdf",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));
    assert!(!dir.path().join("x.pdf").exists());
    let out = run(
        dir.path(),
        &[
            "report", "--db", &db, "--year", "2024", "--county", "510101", "--output", "x.html",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
