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
use soilwatch_store::conformance_targets::{indicator_fixture, submissions_fixture};
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
        submissions_fixture(&store).await;
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
    // Submissions on time (the hand-worked submissions of `submissions_fixture`): 2 ÷ 6.
    let on_time = rows
        .iter()
        .find(|r| r[0] == Data::String("数据按时报送率".into()))
        .expect("the report lists submissions on time");
    assert!(same(&on_time[2], 2.0) && same(&on_time[3], 6.0));
    assert!(same(&on_time[4], 100.0 * 2.0 / 6.0));

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
    assert_eq!(report_rows.len(), 18 * 8);
    assert!(report_rows
        .iter()
        .any(|r| r[1] == "513402" && r[3] == "submissions_on_time" && r[8] == "50.00"));
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
    // The charts and the county map as PNG images, each referenced from the document.
    let mut rels = String::new();
    zip.by_name("word/_rels/document.xml.rels")
        .unwrap()
        .read_to_string(&mut rels)
        .unwrap();
    let media: Vec<String> = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .filter(|n| n.starts_with("word/media/") && n.ends_with(".png"))
        .collect();
    assert_eq!(media.len(), 4, "three charts and the map: {media:?}");
    for name in &media {
        let mut png = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut png).unwrap();
        assert!(
            png.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            "{name} is a PNG"
        );
        assert_eq!(&png[12..16], b"IHDR", "{name}");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert!(width >= 640 && height >= 60, "{name}: {width}×{height}");
        assert!(png.len() > 4_000, "{name}: {} bytes", png.len());
        // media/x.png ← Relationship Id ← r:embed in the document.
        let target = format!("Target=\"{}\"", name.trim_start_matches("word/"));
        let rel = rels
            .split("<Relationship ")
            .find(|r| r.contains(&target))
            .unwrap_or_else(|| panic!("{name} has a relationship: {rels}"));
        let id = rel
            .split("Id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            xml.contains(&format!("r:embed=\"{id}\"")),
            "{name} ({id}) is placed in the document"
        );
    }
    assert!(xml.contains("图：各县（市）年度考核"), "the map's caption");

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
