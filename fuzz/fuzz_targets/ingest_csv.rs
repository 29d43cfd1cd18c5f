//! The whole import reader on arbitrary bytes read as a CSV file: never a panic, and a
//! report that counts what it lists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use soilwatch_ingest::{parse_bytes, Context, FileFormat, NoStore, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date");
    let mut opts = ParseOptions::new("fuzz.csv", today);
    opts.format = Some(FileFormat::Csv);
    opts.max_rows = 10_000;
    let known = NoStore;
    let batch = parse_bytes(data, &opts, &Context::new(&known));
    assert!(batch.report.issues.len() as u64 <= batch.report.errors + batch.report.warnings);
});
