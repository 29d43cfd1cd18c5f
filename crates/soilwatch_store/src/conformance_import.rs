//! Conformance checks of streamed imports (issue 4), run on SQLite and PostgreSQL by
//! `tests/import_sqlite.rs` and `tests/import_postgres.rs`. The files are larger than one write
//! chunk ([`CHUNK_RECORDS`]), so that rows are written into the open transaction before the end of
//! the file has been read: a bad row anywhere, also the last one, must still leave nothing behind.

use chrono::NaiveDate;
use soilwatch_ingest::{ParseOptions, Rule};

use crate::importer::{import_bytes, ImportOutcome, CHUNK_RECORDS};
use crate::{seed, Entity, Store};

const HEADER: &str =
    "样品编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位,检出限\n";
const ANALYTES: [(&str, &str, &str); 10] = [
    ("镉", "Cd", "mg/kg"),
    ("汞", "Hg", "mg/kg"),
    ("砷", "As", "mg/kg"),
    ("铅", "Pb", "mg/kg"),
    ("铬", "Cr", "mg/kg"),
    ("铜", "Cu", "mg/kg"),
    ("镍", "Ni", "mg/kg"),
    ("锌", "Zn", "mg/kg"),
    ("pH", "pH", "无量纲"),
    ("有机质", "OM", "g/kg"),
];

fn opts(name: &str) -> ParseOptions {
    ParseOptions::new(
        name,
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date"),
    )
}

/// The value written for row `i` (0-based data row): distinct per row, so that a stored value
/// tells which row it came from.
fn value(i: usize, analyte: usize) -> String {
    if ANALYTES[analyte].1 == "pH" {
        format!("{}.{}", 5 + i % 3, i % 10)
    } else {
        format!("{}.{:03}", 1 + i % 50, i % 1000)
    }
}

/// A long-form results file of `rows` data rows, ten analytes per sample (`S-000000` …), so
/// that samples straddle the chunk boundaries; the first row of sample `SPLIT` comes first and its
/// second row last (a sample whose rows are far apart in the file).
fn long_file(rows: usize) -> String {
    let mut s = String::with_capacity(rows * 60);
    s.push_str(HEADER);
    s.push_str("SPLIT,土壤,2024-05-06,513401,水田,镉,0.25,mg/kg,0.01\n");
    for i in 0..rows - 2 {
        let (name, _, unit) = ANALYTES[i % 10];
        let land = if (i / 10).is_multiple_of(2) {
            "水田"
        } else {
            "旱地"
        };
        s.push_str(&format!(
            "S-{:06},土壤,2024-05-{:02},513401,{land},{name},{},{unit},0.01\n",
            i / 10,
            1 + (i / 10) % 28,
            value(i, i % 10)
        ));
    }
    s.push_str("SPLIT,土壤,2024-05-06,513401,水田,pH,6.8,无量纲,\n");
    s
}

fn samples_in(rows: usize) -> i64 {
    ((rows - 2).div_ceil(10) + 1) as i64
}

async fn imported(store: &dyn Store, text: &str, name: &str) -> crate::ImportBatch {
    let out = import_bytes(store, text.as_bytes(), &opts(name), "lab", None)
        .await
        .expect("import runs");
    match out {
        ImportOutcome::Imported { batch, .. } => batch,
        other => panic!("{name}: {}", other.summary_line()),
    }
}

/// Every row of a file of several chunks is stored, with the values of its own row, including a
/// sample straddling a chunk boundary and one whose rows are at both ends of the file; also files
/// of exactly one chunk and one row more.
pub async fn streamed_import_spanning_chunks_stores_every_row(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let rows = 2 * CHUNK_RECORDS + 517;
    let text = long_file(rows);
    let batch = imported(store, &text, "big.csv").await;
    assert_eq!(
        (
            batch.rows_read,
            batch.samples,
            batch.results,
            batch.corrections
        ),
        (rows as i64, samples_in(rows), rows as i64, 0)
    );
    assert_eq!(
        store.count_samples().await.expect("count"),
        samples_in(rows)
    );
    // The sample holding data row CHUNK_RECORDS (its rows straddle the first boundary; the
    // `SPLIT` row comes first, so the boundary falls after data row CHUNK_RECORDS - 2).
    let i = CHUNK_RECORDS - 2;
    let code = format!("S-{:06}", i / 10);
    let s = store.get_sample(&code).await.expect("straddling sample");
    assert_eq!(s.results.len(), 10, "{code}");
    assert_eq!(s.batch, Some(batch.id));
    for r in &s.results {
        let a = ANALYTES
            .iter()
            .position(|(_, c, _)| *c == r.result.analyte)
            .expect("analyte of the file");
        let row = (i / 10) * 10 + a;
        if r.result.analyte == "OM" {
            continue; // stored in its canonical unit, whatever that is
        }
        let expected: rust_decimal::Decimal = value(row, a).parse().expect("decimal");
        assert_eq!(
            r.result.value.expect("a value").get(),
            expected,
            "{code} {}",
            r.result.analyte
        );
    }
    let split = store.get_sample("SPLIT").await.expect("SPLIT");
    let mut analytes: Vec<_> = split
        .results
        .iter()
        .map(|r| r.result.analyte.as_str())
        .collect();
    analytes.sort_unstable();
    assert_eq!(analytes, ["Cd", "pH"]);
    let last = format!("S-{:06}", (rows - 3) / 10);
    assert!(!store
        .get_sample(&last)
        .await
        .expect("last")
        .results
        .is_empty());

    // Exactly one chunk, and one row more: the last chunk is empty or holds one record.
    for rows in [CHUNK_RECORDS, CHUNK_RECORDS + 1] {
        let text = long_file(rows)
            .replace("S-", &format!("T{rows}-"))
            .replace("SPLIT", &format!("SPLIT{rows}"));
        let before = store.count_samples().await.expect("count");
        let batch = imported(store, &text, &format!("{rows}.csv")).await;
        assert_eq!(
            (batch.samples, batch.results),
            (samples_in(rows), rows as i64)
        );
        assert_eq!(
            store.count_samples().await.expect("count"),
            before + samples_in(rows)
        );
    }
    crate::conformance_network::results_carry_their_samples_county_and_date(store).await;
}

/// A bad row after rows were already written (the last row; one just past the first chunk)
/// rejects the file and leaves nothing: no sample, no result, no batch. The corrected file then
/// imports.
pub async fn streamed_import_with_a_bad_row_changes_nothing(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let rows = 2 * CHUNK_RECORDS + 517;
    let good = long_file(rows);
    let lines: Vec<&str> = good.lines().collect();
    for bad_line in [lines.len() - 1, CHUNK_RECORDS + 5] {
        // The spreadsheet row of line index k is k + 1 (the header is row 1).
        let mut bad: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        bad[bad_line] = bad[bad_line].replacen(",mg/kg,", ",kg/mg,", 1);
        if bad[bad_line] == lines[bad_line] {
            bad[bad_line] = bad[bad_line].replacen(",无量纲,", ",kg/mg,", 1);
        }
        assert_ne!(bad[bad_line], lines[bad_line]);
        let text = bad.join("\n") + "\n";
        let out = import_bytes(store, text.as_bytes(), &opts("bad.csv"), "lab", None)
            .await
            .expect("import runs");
        let ImportOutcome::Rejected { report } = &out else {
            panic!("{}", out.summary_line())
        };
        assert_eq!(report.errors, 1, "{:?}", report.issues);
        let issue = report
            .issues
            .iter()
            .find(|i| i.severity == soilwatch_ingest::Severity::Error)
            .expect("the error");
        assert_eq!(issue.row, Some(bad_line as u64 + 1));
        assert_eq!(issue.rule, Rule::Unit);
        assert_eq!(report.rows_read, rows as u64);
        assert_eq!(store.count_samples().await.expect("count"), 0);
        assert!(store.get_sample("S-000000").await.is_err());
        assert!(store.list_imports(10).await.expect("list").is_empty());
    }
    // A file whose last row is bad and whose only other rows are a few samples.
    let mut text = String::from(HEADER);
    text.push_str("Q-1,土壤,2024-05-06,513401,水田,镉,0.2,mg/kg,0.01\n");
    text.push_str("Q-2,土壤,2024-05-06,513401,水田,镉,abc,mg/kg,0.01\n");
    let out = import_bytes(store, text.as_bytes(), &opts("q.csv"), "lab", None)
        .await
        .expect("import runs");
    assert_eq!(out.exit_code(), 2);
    assert_eq!(store.count_samples().await.expect("count"), 0);

    let batch = imported(store, &good, "good.csv").await;
    assert_eq!(batch.results, rows as i64);
    assert_eq!(
        store.count_samples().await.expect("count"),
        samples_in(rows)
    );
}

/// Re-importing a large file with one changed value, one new analyte of a stored sample and one
/// new sample: only those are written; the changed result gets version 2 with version 1 kept in
/// its history.
pub async fn streamed_reimport_corrects_with_history(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let rows = CHUNK_RECORDS + 300;
    let v1 = long_file(rows);
    let first = imported(store, &v1, "v1.csv").await;
    // A result in the second chunk.
    let i = CHUNK_RECORDS + 3;
    let (name, code, unit) = ANALYTES[i % 10];
    let old_line = format!(
        "S-{:06},土壤,2024-05-{:02},513401,{},{name},{},{unit},0.01\n",
        i / 10,
        1 + (i / 10) % 28,
        if (i / 10).is_multiple_of(2) {
            "水田"
        } else {
            "旱地"
        },
        value(i, i % 10)
    );
    assert!(v1.contains(&old_line), "{old_line}");
    let new_value = "77.5";
    let new_line = old_line.replace(
        &format!(",{},", value(i, i % 10)),
        &format!(",{new_value},"),
    );
    let v2 = v1.replace(&old_line, &new_line)
        + "SPLIT,土壤,2024-05-06,513401,水田,铅,20.5,mg/kg,0.1\n\
           NEW-1,土壤,2024-06-01,513401,旱地,镉,0.3,mg/kg,0.01\n\
           NEW-1,土壤,2024-06-01,513401,旱地,铅,30,mg/kg,0.1\n";
    let second = imported(store, &v2, "v2.csv").await;
    assert_eq!(
        (
            second.samples,
            second.results,
            second.corrections,
            second.unchanged
        ),
        (1, 3, 1, rows as i64 - 1)
    );
    let s = store
        .get_sample(&format!("S-{:06}", i / 10))
        .await
        .expect("sample");
    let r = s
        .results
        .iter()
        .find(|r| r.result.analyte == code)
        .expect("corrected result");
    assert_eq!(r.result.value.expect("value").to_string(), new_value);
    assert_eq!(r.version, 2);
    let h = store
        .history(Entity::Result, &r.id.to_string())
        .await
        .expect("history");
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(h[0].data["value"].as_str(), Some(value(i, i % 10).as_str()));
    assert!(
        h[0].reason.contains(&format!("import batch {}", first.id)),
        "{}",
        h[0].reason
    );
    assert_eq!(h[1].data["value"].as_str(), Some(new_value));
    assert_eq!(
        store
            .get_sample("SPLIT")
            .await
            .expect("SPLIT")
            .results
            .len(),
        3
    );
    assert_eq!(
        store.count_samples().await.expect("count"),
        samples_in(rows) + 1
    );
    crate::conformance_network::results_carry_their_samples_county_and_date(store).await;
}

/// A file that has errors and names a stored sample with other details is reported with both
/// (the stored-data rules run although the file is rejected anyway), and stores nothing.
pub async fn rejected_file_reports_stored_sample_conflicts(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let mut v1 = String::from(HEADER);
    v1.push_str("C-1,土壤,2024-05-06,513401,水田,镉,0.2,mg/kg,0.01\n");
    imported(store, &v1, "c1.csv").await;
    let mut v2 = String::from(HEADER);
    v2.push_str("C-1,土壤,2024-05-09,513401,水田,铅,20,mg/kg,0.1\n");
    v2.push_str("C-2,土壤,2024-05-06,513401,水田,镉,-1,mg/kg,0.01\n");
    let out = import_bytes(store, v2.as_bytes(), &opts("c2.csv"), "lab", None)
        .await
        .expect("import runs");
    let ImportOutcome::Rejected { report } = &out else {
        panic!("{}", out.summary_line())
    };
    let rules: Vec<Rule> = report.issues.iter().map(|i| i.rule).collect();
    assert!(rules.contains(&Rule::StoredSampleConflict), "{rules:?}");
    assert!(rules.contains(&Rule::Range), "{rules:?}");
    assert_eq!(store.count_samples().await.expect("count"), 1);
    assert_eq!(store.list_imports(10).await.expect("list").len(), 1);
    // Without the other error, the conflict alone rejects the file too.
    let mut v3 = String::from(HEADER);
    v3.push_str("C-1,土壤,2024-05-09,513401,水田,铅,20,mg/kg,0.1\n");
    let out = import_bytes(store, v3.as_bytes(), &opts("c3.csv"), "lab", None)
        .await
        .expect("import runs");
    let ImportOutcome::Rejected { report } = &out else {
        panic!("{}", out.summary_line())
    };
    assert_eq!(report.issues[0].rule, Rule::StoredSampleConflict);
    assert_eq!(store.get_sample("C-1").await.expect("C-1").results.len(), 1);
}

/// The valid records of a file, as the importer hands them to a writer (validated without the
/// store: every sample new).
fn records_of(text: &str) -> Vec<soilwatch_ingest::Record> {
    let o = opts("records.csv");
    let ctx = soilwatch_ingest::Context::new(&soilwatch_ingest::NoStore);
    soilwatch_ingest::open(text.as_bytes(), &o, &ctx)
        .expect("a readable file")
        .collect()
}

fn new_import(name: &str) -> crate::NewImport {
    crate::NewImport {
        kind: "results_long".into(),
        file_name: name.into(),
        checksum: format!("checksum of {name}"),
        uploader: "lab".into(),
        department: None,
        rows_read: 0,
        report: serde_json::Value::Null,
    }
}

/// A record whose sample is written with it (its first row in the file).
fn first_of_sample(
    records: &mut [soilwatch_ingest::Record],
) -> &mut soilwatch_ingest::ParsedSample {
    records
        .iter_mut()
        .find_map(|r| match r {
            soilwatch_ingest::Record::Results { sample, .. } if sample.first_in_file => {
                Some(sample)
            }
            _ => None,
        })
        .expect("a new sample in the records")
}

/// The bulk writer refuses a chunk that names something not stored — an analyte, a point or a
/// county removed after the file was validated — with a conflict that says so (whatever way the
/// backend checks references: per row or per chunk), and dropping the writer then leaves
/// nothing, also of the chunk written before. The same records unspoiled then commit.
pub async fn bulk_writer_refuses_dangling_references(store: &dyn Store) {
    use soilwatch_ingest::Record;
    seed::seed(store).await.expect("seed");
    let good = records_of(&long_file(40));
    assert_eq!(good.len(), 40);
    type Spoil = fn(&mut [Record]);
    let spoils: [(&str, &str, Spoil); 3] = [
        ("analyte", "NO-SUCH-ANALYTE", |rs| {
            let Some(Record::Results { results, .. }) = rs.last_mut() else {
                panic!("a result record")
            };
            results[0].result.analyte = "NO-SUCH-ANALYTE".into();
        }),
        ("point", "NO-SUCH-POINT", |rs| {
            first_of_sample(rs).sample.point_code = Some("NO-SUCH-POINT".into());
        }),
        ("county", "110101", |rs| {
            first_of_sample(rs).sample.division = "110101".parse().expect("a county code");
        }),
    ];
    for (what, code, spoil) in spoils {
        let mut bad = good[20..].to_vec();
        spoil(&mut bad);
        let mut writer = store
            .begin_import(&new_import(&format!("dangling-{what}.csv")), true)
            .await
            .expect("writer");
        let strategy = writer.strategy();
        writer
            .write(good[..20].to_vec())
            .await
            .expect("a good first chunk");
        let err = writer
            .write(bad)
            .await
            .expect_err(&format!("{what} {code} is not stored ({strategy})"));
        let crate::StoreError::Conflict { detail, .. } = &err else {
            panic!("{what} ({strategy}): {err}")
        };
        assert!(
            detail.contains("引用的对象不存在 / a referenced thing does not exist"),
            "{what} ({strategy}): {detail}"
        );
        if strategy == "postgres-copy-set-checks" {
            assert!(detail.contains(code), "{what}: {detail}");
        }
        drop(writer);
        assert_eq!(store.count_samples().await.expect("count"), 0, "{what}");
        assert!(
            store.list_imports(10).await.expect("list").is_empty(),
            "{what}"
        );
    }
    let mut writer = store
        .begin_import(&new_import("good.csv"), true)
        .await
        .expect("writer");
    writer
        .write(good[..20].to_vec())
        .await
        .expect("first chunk");
    writer
        .write(good[20..].to_vec())
        .await
        .expect("second chunk");
    let id = writer
        .commit(40, &serde_json::json!({}))
        .await
        .expect("commit");
    let batch = store.get_import(id).await.expect("batch");
    assert_eq!((batch.samples, batch.results), (5, 40));
    assert_eq!(store.count_samples().await.expect("count"), 5);
}

/// A bulk import of samples of a registered point keeps the point's newest sampling date (the
/// coverage report's "no sample since"), as every other writer of samples does: the newest date
/// of the file, and never an older one from a later file.
pub async fn bulk_import_keeps_points_last_sampled(store: &dyn Store) {
    seed::seed(store).await.expect("seed");
    let change = soilwatch_core::ChangeMeta::new("lab", "test");
    store
        .insert_points(
            &[
                crate::conformance::point("LP-1", "513401"),
                crate::conformance::point("LP-2", "513401"),
            ],
            &change,
        )
        .await
        .expect("points");
    let header = "样品编号,点位编号,样品类型,采样日期,行政区划代码,土地利用类型,检测项目,检测值,单位,检出限\n";
    let file = |rows: &[(&str, &str, &str)]| {
        let mut s = String::from(header);
        for (sample, point, date) in rows {
            s.push_str(&format!(
                "{sample},{point},土壤,{date},513401,水田,镉,0.2,mg/kg,0.01\n"
            ));
        }
        s
    };
    let v1 = file(&[
        ("LS-1", "LP-1", "2023-06-01"),
        ("LS-2", "LP-1", "2024-05-06"),
        ("LS-3", "LP-1", "2022-01-09"),
        ("LS-4", "LP-2", "2021-03-04"),
    ]);
    imported(store, &v1, "lp1.csv").await;
    let last = |report: &crate::CoverageReport| -> Vec<(String, Option<NaiveDate>)> {
        report
            .stale_points
            .iter()
            .map(|p| (p.code.clone(), p.last_sampled_on))
            .collect()
    };
    let since = NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
    let report = store.network_coverage(since).await.expect("coverage");
    let day = |s: &str| Some(s.parse::<NaiveDate>().expect("date"));
    assert_eq!(
        last(&report),
        [
            ("LP-1".to_owned(), day("2024-05-06")),
            ("LP-2".to_owned(), day("2021-03-04"))
        ]
    );
    // An older sample later: the newest date stays; a newer one moves it.
    let v2 = file(&[
        ("LS-5", "LP-1", "2020-01-01"),
        ("LS-6", "LP-2", "2025-02-03"),
    ]);
    imported(store, &v2, "lp2.csv").await;
    let report = store.network_coverage(since).await.expect("coverage");
    assert_eq!(
        last(&report),
        [
            ("LP-1".to_owned(), day("2024-05-06")),
            ("LP-2".to_owned(), day("2025-02-03"))
        ]
    );
}
