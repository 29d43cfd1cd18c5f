//! The file side of soilwatch imports (issue 4): read what departments, labs and counties send —
//! CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, and Excel workbooks — map Chinese or English
//! headers, normalise every row into `soilwatch_core` types (values converted to the analyte's
//! canonical unit, the original text kept), check every cell, and explain every rejection in a
//! bilingual [`Report`] (CSV with BOM, XLSX, JSON). Also the import templates and the content
//! checksum used to recognise a re-imported file.
//!
//! Owns: readers ([`source`]), header mapping ([`mapping`]), cell parsers ([`values`]),
//! division boundary checks ([`boundaries`]), the streaming pipeline ([`open`], [`parse_bytes`]),
//! the report ([`report`]) and templates ([`template`]).
//!
//! Must not depend on: a database, an async runtime or a web framework (no sqlx, tokio, axum).
//! Checks that need stored data go through the small synchronous [`KnownData`] trait that the
//! store implements; [`NoStore`] skips them and the report says so.
//!
//! # Examples
//! ```
//! use chrono::NaiveDate;
//! use soilwatch_ingest::{parse_bytes, Context, NoStore, ParseOptions};
//!
//! let csv = "样品编号,样品类型,采样日期,行政区划代码,检测项目,检测值,单位\n\
//!            S001,土壤,2024-05-06,513401,镉,300,μg/kg\n\
//!            S001,土壤,2024-05-06,513401,pH,6.5,无量纲\n";
//! let opts = ParseOptions::new("s.csv", NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
//! let batch = parse_bytes(csv.as_bytes(), &opts, &Context::new(&NoStore));
//! assert!(!batch.report.has_errors());
//! let cd = &batch.samples[0].results[0];
//! assert_eq!(cd.result.value.unwrap().to_string(), "0.3"); // mg/kg
//! assert_eq!(cd.original_value, "300");
//! assert_eq!(cd.original_unit, "μg/kg");
//! ```

pub mod boundaries;
pub mod error;
pub mod ingest;
pub mod known;
pub mod mapping;
pub mod report;
pub mod source;
pub mod table;
pub mod template;
pub mod values;

pub use boundaries::{Boundaries, DivisionBoundary, Placement};
pub use error::{IngestError, IngestResult};
pub use ingest::{
    open, parse_bytes, parse_reader, parse_reader_observed, Batch, Context, Ingest, ParseOptions,
    ParsedPoint, ParsedResult, ParsedSample, Record, SampleBatch, StoredState, ThresholdFn,
};
pub use known::{KnownData, MemoryKnown, NoStore};
pub use mapping::{ColumnMap, DataKind, Field, KindHint};
pub use report::{Issue, Report, Rule, Severity, SkippedRule};
pub use source::{checksum, checksum_reader, FileFormat, TextEncoding};
pub use table::{read_table, table_template, ColumnSpec, Table, TableRow, TableSpec};
pub use template::{template, TemplateFormat, TemplateKind};
