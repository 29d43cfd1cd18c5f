//! The pipeline: read rows, map the header, normalise every row into core types and check every
//! cell, streaming. [`open`] gives an iterator of valid records plus the report at the end;
//! [`parse_bytes`] / [`parse_reader`] collect a whole [`Batch`].

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::{Cursor, Read};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use soilwatch_core::{
    Amount, AnalysisResult, Analyte, AnalyteCatalogue, ControlLevel, DivisionCode, LandUse, LonLat,
    Medium, MonitoringPoint, PointType, Qualifier, Sample, SampleWithResults, Unit,
};

use crate::boundaries::{Boundaries, Placement};
use crate::error::{IngestError, IngestResult};
use crate::known::KnownData;
use crate::mapping::{is_units_cells, ColumnMap, ColumnRole, DataKind, Field, KindHint};
use crate::report::{Issue, Report, Rule, Severity, SkippedRule};
use crate::source::{
    checksum, column_letters, Cells, CsvRows, FileFormat, RawRow, SheetRows, TextEncoding,
};
use crate::values::{
    parse_coordinate, parse_date, parse_decimal, parse_depth_range, parse_value_cell, CoordError,
    ValueCell,
};

/// How many rows at the top may precede the header (titles such as `2024年土壤监测数据`).
const HEADER_SEARCH_ROWS: usize = 10;

/// What the caller tells about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseOptions {
    /// File name as uploaded (shown in every issue; its extension helps tell CSV from XLSX).
    pub file_name: String,
    /// Force CSV or workbook; detected from the bytes and the name when `None`.
    pub format: Option<FileFormat>,
    /// Force the text encoding of a CSV (`--encoding`); detected when `None`.
    pub encoding: Option<TextEncoding>,
    /// Sheet of a workbook (`--sheet`); the first sheet when `None`.
    pub sheet: Option<String>,
    /// Kind of data (`--kind`); decided from the headers by default.
    pub kind: KindHint,
    /// Medium of rows that have no medium column or a blank medium cell.
    pub default_medium: Option<Medium>,
    /// Division of rows that name none (and whose point or coordinates do not tell).
    pub default_division: Option<DivisionCode>,
    /// The media a file may hold (empty: any), such as those of a submission campaign's data
    /// kind (issue 9); a sample of another medium is an error naming its row and medium.
    #[serde(default)]
    pub allowed_media: Vec<Medium>,
    /// Today: dates after it are rejected. A parameter so that tests are deterministic.
    pub today: NaiveDate,
    /// At most this many issues are listed in the report (0 = no cap); the counts stay complete.
    pub max_issues: usize,
    /// At most this many data rows are read (0 = no cap); a longer file is rejected whole with
    /// an error naming the row where the limit was passed (issue 13).
    pub max_rows: usize,
}

impl ParseOptions {
    pub fn new(file_name: impl Into<String>, today: NaiveDate) -> Self {
        ParseOptions {
            file_name: file_name.into(),
            format: None,
            encoding: None,
            sheet: None,
            kind: KindHint::Auto,
            default_medium: None,
            default_division: None,
            allowed_media: Vec::new(),
            today,
            max_issues: 10_000,
            max_rows: 0,
        }
    }
}

/// Typical threshold of an analyte (catalogue code) in a medium, in the canonical unit; a value
/// above ten times it draws a "likely unit error" warning.
pub type ThresholdFn<'a> = &'a (dyn Fn(&str, Medium) -> Option<Decimal> + Sync);

/// What validation checks against.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub catalogue: &'a AnalyteCatalogue,
    /// Stored data ([`NoStore`](crate::NoStore) when there is no database).
    pub known: &'a (dyn KnownData + Sync),
    /// County boundaries; without them the location checks are skipped (and reported so).
    pub boundaries: Option<&'a Boundaries>,
    /// Every division code must lie within this one.
    pub prefecture: DivisionCode,
    pub threshold: Option<ThresholdFn<'a>>,
}

impl<'a> Context<'a> {
    /// The builtin catalogue, no boundaries, no thresholds; the prefecture is Liangshan (513400).
    pub fn new(known: &'a (dyn KnownData + Sync)) -> Self {
        Context {
            catalogue: AnalyteCatalogue::builtin(),
            known,
            boundaries: None,
            prefecture: DivisionCode::new(513_400).expect("513400 is a valid prefecture code"),
            threshold: None,
        }
    }

    pub fn with_boundaries(mut self, b: &'a Boundaries) -> Self {
        self.prefecture = b.prefecture();
        self.boundaries = Some(b);
        self
    }

    pub fn with_threshold(mut self, t: ThresholdFn<'a>) -> Self {
        self.threshold = Some(t);
        self
    }
}

/// How a parsed row relates to what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredState {
    /// Not stored yet.
    New,
    /// Stored with the same content: importing changes nothing.
    Unchanged,
    /// Stored with other content: importing creates a new version.
    Changed,
    /// No store to ask ([`NoStore`](crate::NoStore)).
    Unknown,
}

/// A sample as read from one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedSample {
    /// Row it was read from (in long form: the row of this result).
    pub row: u64,
    pub sample: Sample,
    /// Coordinates given in the row (core's `Sample` has none: they belong to the point).
    pub location: Option<LonLat>,
    /// True on the first row of this sample code in the file.
    pub first_in_file: bool,
    pub stored: StoredState,
}

/// A normalised result and the text it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedResult {
    pub row: u64,
    /// Header of the column the value came from.
    pub column: String,
    /// Value, detection limit and unit converted to the analyte's canonical unit for the medium.
    pub result: AnalysisResult,
    /// The value cell as written (`<0.01`, `0.30`, `ND`).
    pub original_value: String,
    /// The unit as written (empty when none was written).
    pub original_unit: String,
    pub stored: StoredState,
}

/// A normalised monitoring point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedPoint {
    pub row: u64,
    pub point: MonitoringPoint,
    pub stored: StoredState,
}

/// One valid row (rows with errors yield nothing; the report has their issues).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    Point(ParsedPoint),
    /// Long form: one result; wide form: every result of the row.
    Results {
        sample: ParsedSample,
        results: Vec<ParsedResult>,
    },
}

/// A sample with every result the file gives for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleBatch {
    pub sample: ParsedSample,
    pub results: Vec<ParsedResult>,
}

impl SampleBatch {
    /// The core type the store inserts.
    pub fn to_core(&self) -> SampleWithResults {
        SampleWithResults {
            sample: self.sample.sample.clone(),
            results: self.results.iter().map(|r| r.result.clone()).collect(),
        }
    }
}

/// A whole file, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub kind: Option<DataKind>,
    pub points: Vec<ParsedPoint>,
    /// Samples in order of first appearance, each with its results.
    pub samples: Vec<SampleBatch>,
    pub report: Report,
}

impl Batch {
    /// The content checksum of the file (SHA-256 of the raw bytes).
    pub fn checksum(&self) -> Option<&str> {
        self.report.checksum.as_deref()
    }

    /// Every result, in file order of samples.
    pub fn results(&self) -> impl Iterator<Item = &ParsedResult> {
        self.samples.iter().flat_map(|s| s.results.iter())
    }
}

/// Parse and validate a whole file held in memory. Never fails: a file that cannot be read
/// gives a batch whose report holds one error saying why.
pub fn parse_bytes(bytes: &[u8], opts: &ParseOptions, ctx: &Context<'_>) -> Batch {
    let mut batch = parse_reader(bytes, opts, ctx);
    if batch.report.checksum.is_none() {
        batch.report.checksum = Some(checksum(bytes));
    }
    batch
}

/// Parse and validate a whole file from a reader (CSV is streamed; a workbook is read whole).
pub fn parse_reader<'r>(
    reader: impl Read + Send + 'r,
    opts: &ParseOptions,
    ctx: &Context<'_>,
) -> Batch {
    parse_reader_observed(reader, opts, ctx, &mut |_| {})
}

/// Like [`parse_reader`], calling `on_row` with the row number of every valid record as it is
/// read (for progress reporting).
pub fn parse_reader_observed<'r>(
    reader: impl Read + Send + 'r,
    opts: &ParseOptions,
    ctx: &Context<'_>,
    on_row: &mut dyn FnMut(u64),
) -> Batch {
    let mut ingest = match open(reader, opts, ctx) {
        Ok(i) => i,
        Err(e) => {
            return Batch {
                kind: None,
                points: Vec::new(),
                samples: Vec::new(),
                report: Report::from_fatal(&e, opts),
            }
        }
    };
    let kind = Some(ingest.kind());
    let mut points = Vec::new();
    let mut samples: Vec<SampleBatch> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for record in ingest.by_ref() {
        match record {
            Record::Point(p) => {
                on_row(p.row);
                points.push(p)
            }
            Record::Results { sample, results } => {
                on_row(sample.row);
                if let Some(&i) = index.get(&sample.sample.code) {
                    samples[i].results.extend(results);
                } else {
                    index.insert(sample.sample.code.clone(), samples.len());
                    samples.push(SampleBatch { sample, results });
                }
            }
        }
    }
    let report = ingest
        .finish()
        .unwrap_or_else(|e| Report::from_fatal(&e, opts));
    Batch {
        kind,
        points,
        samples,
        report,
    }
}

impl Report {
    /// A report holding the one error that stopped a file from being read.
    pub fn from_fatal(e: &IngestError, opts: &ParseOptions) -> Report {
        let mut r = Report::new(&opts.file_name, opts.max_issues);
        r.sheet = opts.sheet.clone();
        let (rule, row, value, exp_cn, exp_en) = match e {
            IngestError::Mapping {
                unknown, expected, ..
            } => (
                Rule::Mapping,
                Some(1),
                unknown.clone(),
                format!("可识别的表头: {expected}"),
                format!("known headers: {expected}"),
            ),
            IngestError::Csv { row, .. } => (
                Rule::Unreadable,
                Some(*row),
                String::new(),
                "合法的CSV".into(),
                "well-formed CSV".into(),
            ),
            _ => (
                Rule::Unreadable,
                None,
                String::new(),
                "CSV(UTF-8/GBK)或XLSX文件".into(),
                "a CSV (UTF-8/GBK) or XLSX file".into(),
            ),
        };
        let text = e.to_string();
        let (cn, en) = text
            .split_once(" / ")
            .map_or((text.clone(), text.clone()), |(a, b)| {
                (a.to_owned(), b.to_owned())
            });
        r.push(Issue {
            severity: Severity::Error,
            rule,
            file: opts.file_name.clone(),
            sheet: opts.sheet.clone(),
            row,
            column: None,
            column_letter: None,
            value,
            expected_cn: exp_cn,
            expected_en: exp_en,
            message_cn: cn,
            message_en: en,
        });
        r
    }
}

enum Rows<'r> {
    Csv(Box<CsvRows<'r>>),
    Sheet(SheetRows),
}

impl Rows<'_> {
    /// Hand back a row's record for its buffers to be reused.
    fn recycle(&mut self, record: Cells) {
        if let Rows::Csv(c) = self {
            c.recycle(record);
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = IngestResult<RawRow>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Rows::Csv(c) => c.next(),
            Rows::Sheet(s) => s.next(),
        }
    }
}

/// Open a file for streaming validation: an iterator of valid [`Record`]s; call
/// [`Ingest::finish`] at the end for the [`Report`] (with the checksum).
pub fn open<'r, 'a>(
    reader: impl Read + Send + 'r,
    opts: &ParseOptions,
    ctx: &'a Context<'a>,
) -> IngestResult<Ingest<'r, 'a>> {
    let mut reader = reader;
    let mut head = Vec::with_capacity(8);
    (&mut reader).take(8).read_to_end(&mut head)?;
    let format = opts
        .format
        .unwrap_or_else(|| FileFormat::detect(&opts.file_name, &head));
    let mut report = Report::new(&opts.file_name, opts.max_issues);
    report.format = Some(format);
    let (mut rows, sheet, first_col, sum) = match format {
        FileFormat::Csv => {
            let input: Box<dyn Read + Send + 'r> = Box::new(Cursor::new(head).chain(reader));
            let csv = CsvRows::open(input, &opts.file_name, opts.encoding)?;
            report.encoding = Some(csv.encoding());
            (Rows::Csv(Box::new(csv)), None, 0, None)
        }
        FileFormat::Xlsx => {
            let mut bytes = head;
            reader.read_to_end(&mut bytes)?;
            let sum = checksum(&bytes);
            let sheet = SheetRows::open(bytes, &opts.file_name, opts.sheet.as_deref())?;
            let name = sheet.sheet.clone();
            let first_col = sheet.first_col;
            (Rows::Sheet(sheet), Some(name), first_col, Some(sum))
        }
    };
    report.sheet = sheet.clone();
    report.checksum = sum;

    // Find the header: the first row (of the first few) that maps.
    let mut buffered: VecDeque<RawRow> = VecDeque::new();
    let mut first_problem = None;
    let mut found = None;
    let mut seen = 0;
    while seen < HEADER_SEARCH_ROWS {
        let Some(row) = rows.next().transpose()? else {
            break;
        };
        if row.is_blank() {
            continue;
        }
        seen += 1;
        match ColumnMap::from_header(&row.record.to_record(), opts.kind, ctx.catalogue) {
            Ok(map) => {
                found = Some((row.row, map));
                break;
            }
            Err(p) => {
                if first_problem.is_none() {
                    first_problem = Some((row.row, p));
                }
                buffered.push_back(row);
            }
        }
    }
    let Some((header_row, mut map)) = found else {
        return Err(match first_problem {
            Some((_, p)) => IngestError::Mapping {
                file: opts.file_name.clone(),
                reason: format!("{} / {}", p.reason_cn, p.reason_en),
                unknown: p.unknown.join(", "),
                expected: p.expected.join(", "),
            },
            None => IngestError::Empty {
                file: opts.file_name.clone(),
            },
        });
    };
    buffered.clear(); // rows above the header are titles
    report.kind = Some(map.kind);
    // A units row right under the header.
    let mut next = rows.next().transpose()?;
    if let Some(r) = &next {
        if is_units_cells(r.record.iter()) {
            map.apply_units_row(&r.record.to_record());
            next = None;
        }
    }
    if let Some(r) = next {
        buffered.push_back(r);
    }
    let mut sink = Sink {
        report,
        file: opts.file_name.clone(),
        sheet,
        first_col,
        headers: map.columns.iter().map(|c| c.header.clone()).collect(),
    };
    for c in map.unknown_columns() {
        sink.push(
            Severity::Warning,
            Rule::UnknownColumn,
            header_row,
            Some(c.index),
            &c.header,
            ("已知的列名", "a known column"),
            (
                "无法识别的列, 已忽略".into(),
                "unknown column, ignored".into(),
            ),
        );
    }
    if !ctx.known.available() {
        for (rule, cn, en) in [
            (
                Rule::UnknownPoint,
                "未连接数据库: 未检查点位编号是否已登记",
                "no database: point codes were not checked against the registry",
            ),
            (
                Rule::UnknownDivision,
                "未连接数据库: 未检查行政区划代码是否已登记",
                "no database: division codes were not checked against the registry",
            ),
            (
                Rule::StoredSampleConflict,
                "未连接数据库: 未检查样品编号是否已以不同内容入库",
                "no database: sample codes were not checked against stored samples",
            ),
            (
                Rule::StoredResultChanged,
                "未连接数据库: 未识别与已入库数据重复或更正的行",
                "no database: duplicates and corrections of stored rows were not recognised",
            ),
        ] {
            sink.report.skipped_rules.push(SkippedRule {
                rule,
                reason_cn: cn.into(),
                reason_en: en.into(),
            });
        }
    }
    if ctx.boundaries.is_none() {
        sink.report.skipped_rules.push(SkippedRule {
            rule: Rule::OutsidePrefecture,
            reason_cn: "未提供行政区划边界: 未检查坐标是否位于州/县内".into(),
            reason_en: "no division boundaries: coordinates were not checked against the prefecture and county".into(),
        });
    }
    let wide = if map.kind == DataKind::ResultsWide {
        wide_columns(&map, ctx.catalogue, &mut sink, header_row)
    } else {
        Vec::new()
    };
    let sample_cols = map
        .columns
        .iter()
        .filter(|c| match &c.role {
            ColumnRole::Field(f) => !matches!(
                f,
                Field::Analyte
                    | Field::Value
                    | Field::Unit
                    | Field::DetectionLimit
                    | Field::Qualifier
                    | Field::Method
                    | Field::Remark
            ),
            _ => false,
        })
        .map(|c| c.index)
        .collect();
    let checker = Checker {
        ctx,
        opts: opts.clone(),
        map,
        wide,
        samples: HashMap::new(),
        sample_states: Vec::new(),
        points: HashMap::new(),
        analyte_cache: HashMap::new(),
        unit_cache: HashMap::new(),
        date_cache: None,
        coord_cache: None,
        county_cache: None,
        medium_cache: None,
        land_use_cache: None,
        dl_cache: LastParsed::default(),
        sample_cols,
        last_sample: None,
        last_cells: Vec::new(),
    };
    Ok(Ingest {
        rows,
        buffered,
        checker,
        sink,
        done: false,
        max_rows: opts.max_rows,
    })
}

/// A file being validated, row by row. Iterate for the valid records; [`finish`](Self::finish)
/// for the report.
pub struct Ingest<'r, 'a> {
    rows: Rows<'r>,
    buffered: VecDeque<RawRow>,
    checker: Checker<'a>,
    sink: Sink,
    done: bool,
    /// Most data rows read (0 = no cap).
    max_rows: usize,
}

impl Ingest<'_, '_> {
    pub fn kind(&self) -> DataKind {
        self.checker.map.kind
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.sink.report
    }

    /// Read and check whatever rows are left, and return the report with the checksum.
    pub fn finish(mut self) -> IngestResult<Report> {
        while self.next().is_some() {}
        if self.sink.report.rows_read == 0 {
            let file = self.sink.file.clone();
            self.sink.report.push(Issue {
                severity: Severity::Error,
                rule: Rule::NoData,
                file,
                sheet: self.sink.sheet.clone(),
                row: None,
                column: None,
                column_letter: None,
                value: String::new(),
                expected_cn: "表头下至少一行数据".into(),
                expected_en: "at least one data row under the header".into(),
                message_cn: "文件中没有数据行".into(),
                message_en: "the file has no data rows".into(),
            });
        }
        let mut report = self.sink.report;
        if let Rows::Csv(csv) = self.rows {
            if csv.switched_encoding() {
                report.encoding = Some(TextEncoding::Gb18030);
            }
            report.checksum = Some(csv.finish()?);
        }
        Ok(report)
    }
}

impl Iterator for Ingest<'_, '_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if self.done {
                return None;
            }
            let row = match self.buffered.pop_front() {
                Some(r) => r,
                None => match self.rows.next() {
                    None => {
                        self.done = true;
                        return None;
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        let row = if let IngestError::Csv { row, .. } = &e {
                            Some(*row)
                        } else {
                            None
                        };
                        let text = e.to_string();
                        let file = self.sink.file.clone();
                        self.sink.report.push(Issue {
                            severity: Severity::Error,
                            rule: Rule::Unreadable,
                            file,
                            sheet: self.sink.sheet.clone(),
                            row,
                            column: None,
                            column_letter: None,
                            value: String::new(),
                            expected_cn: "合法的CSV".into(),
                            expected_en: "well-formed CSV".into(),
                            message_cn: text.clone(),
                            message_en: text,
                        });
                        return None;
                    }
                    Some(Ok(r)) => r,
                },
            };
            if row.is_blank() {
                self.rows.recycle(row.record);
                continue;
            }
            self.sink.report.rows_read += 1;
            if self.max_rows > 0 && self.sink.report.rows_read > self.max_rows as u64 {
                self.done = true;
                let max = self.max_rows;
                let file = self.sink.file.clone();
                self.sink.report.push(Issue {
                    severity: Severity::Error,
                    rule: Rule::Unreadable,
                    file,
                    sheet: self.sink.sheet.clone(),
                    row: Some(row.row),
                    column: None,
                    column_letter: None,
                    value: String::new(),
                    expected_cn: format!("每个文件最多 {max} 行数据"),
                    expected_en: format!("at most {max} data rows per file"),
                    message_cn: format!(
                        "文件超过 {max} 行数据的上限（第 {} 行），整个文件未导入；请拆分后分批导入",
                        row.row
                    ),
                    message_en: format!(
                        "the file has more than {max} data rows (limit passed at row {}); \
                         nothing was imported: split it into smaller files",
                        row.row
                    ),
                });
                return None;
            }
            let errors_before = self.sink.report.errors;
            if row.encoding_error {
                let enc = self
                    .sink
                    .report
                    .encoding
                    .map_or("utf-8", TextEncoding::label);
                self.sink.push(
                    Severity::Error,
                    Rule::Encoding,
                    row.row,
                    None,
                    "",
                    ("同一编码的文本", "text in one encoding"),
                    (
                        format!("该行含有不符合{enc}编码的字节: 文件混用了编码? 可用 --encoding 指定"),
                        format!("the row holds bytes that are not valid {enc}: does the file mix encodings? Use --encoding"),
                    ),
                );
            }
            let record = self.checker.row(&mut self.sink, &row);
            self.rows.recycle(row.record);
            if self.sink.report.errors == errors_before {
                self.sink.report.rows_valid += 1;
                if let Some(r) = record {
                    return Some(r);
                }
            }
        }
    }
}

/// Collects issues with file, sheet and column context.
struct Sink {
    report: Report,
    file: String,
    sheet: Option<String>,
    first_col: u32,
    headers: Vec<String>,
}

impl Sink {
    #[expect(clippy::too_many_arguments, reason = "every issue names all of these")]
    fn push(
        &mut self,
        severity: Severity,
        rule: Rule,
        row: u64,
        col: Option<usize>,
        value: &str,
        expected: (&str, &str),
        message: (String, String),
    ) {
        self.report.push(Issue {
            severity,
            rule,
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            row: Some(row),
            column: col.and_then(|c| self.headers.get(c).cloned()),
            column_letter: col.map(|c| column_letters(self.first_col + c as u32)),
            value: value.to_owned(),
            expected_cn: expected.0.to_owned(),
            expected_en: expected.1.to_owned(),
            message_cn: message.0,
            message_en: message.1,
        });
    }

    fn error(
        &mut self,
        rule: Rule,
        row: u64,
        col: Option<usize>,
        value: &str,
        expected: (&str, &str),
        message: (String, String),
    ) {
        self.push(Severity::Error, rule, row, col, value, expected, message);
    }

    fn warn(
        &mut self,
        rule: Rule,
        row: u64,
        col: Option<usize>,
        value: &str,
        expected: (&str, &str),
        message: (String, String),
    ) {
        self.push(Severity::Warning, rule, row, col, value, expected, message);
    }
}

fn m(cn: impl Into<String>, en: impl Into<String>) -> (String, String) {
    (cn.into(), en.into())
}

/// A wide-form analyte column, resolved once.
struct WideColumn<'a> {
    index: usize,
    analyte: &'a Analyte,
    /// `None`: no unit given, the canonical unit of the medium is assumed.
    unit: Option<Unit>,
    unit_text: String,
}

fn wide_columns<'a>(
    map: &ColumnMap,
    catalogue: &'a AnalyteCatalogue,
    sink: &mut Sink,
    header_row: u64,
) -> Vec<WideColumn<'a>> {
    let mut out = Vec::new();
    for c in map.analyte_columns() {
        let ColumnRole::Analyte(code) = &c.role else {
            continue;
        };
        let Some(analyte) = catalogue.by_code(code) else {
            continue;
        };
        let unit_text = c.unit_text.clone().unwrap_or_default();
        let unit = if unit_text.is_empty() {
            if analyte.unit_soil != Unit::Dimensionless {
                sink.warn(
                    Rule::Unit,
                    header_row,
                    Some(c.index),
                    &c.header,
                    (
                        "表头或单位行给出单位, 如 镉(mg/kg)",
                        "a unit in the header or the units row, e.g. Cd(mg/kg)",
                    ),
                    m(
                        format!("未给出单位, 按标准单位({})处理", analyte.unit_soil),
                        format!(
                            "no unit given: values taken in the canonical unit ({})",
                            analyte.unit_soil
                        ),
                    ),
                );
            }
            None
        } else {
            match unit_text.parse::<Unit>() {
                Ok(u) => Some(u),
                Err(_) => {
                    sink.error(
                        Rule::Unit,
                        header_row,
                        Some(c.index),
                        &unit_text,
                        (
                            "mg/kg, μg/kg, g/kg, %, mg/L, μg/L, cmol/kg, 无量纲",
                            "mg/kg, μg/kg, g/kg, %, mg/L, μg/L, cmol/kg, dimensionless",
                        ),
                        m("无法识别的单位", "unknown unit"),
                    );
                    continue;
                }
            }
        };
        out.push(WideColumn {
            index: c.index,
            analyte,
            unit,
            unit_text,
        });
    }
    out
}

struct SampleState<'a> {
    fingerprint: u64,
    first_row: u64,
    analytes: Vec<(&'a str, u64)>,
}

/// The last cell text that was valid, and its value: a repeated text is not parsed again.
struct LastParsed<T> {
    text: String,
    value: Option<T>,
}

impl<T> Default for LastParsed<T> {
    fn default() -> Self {
        LastParsed {
            text: String::new(),
            value: None,
        }
    }
}

impl<T: Copy> LastParsed<T> {
    fn get(&self, text: &str) -> Option<T> {
        self.value.filter(|_| self.text == text)
    }

    fn set(&mut self, text: &str, value: T) {
        self.text.clear();
        self.text.push_str(text);
        self.value = Some(value);
    }
}

/// Per-file validation state.
struct Checker<'a> {
    ctx: &'a Context<'a>,
    opts: ParseOptions,
    map: ColumnMap,
    wide: Vec<WideColumn<'a>>,
    /// Each sample code of the file → its state in `sample_states`.
    samples: HashMap<String, usize>,
    sample_states: Vec<SampleState<'a>>,
    points: HashMap<String, u64>,
    analyte_cache: HashMap<String, Option<&'a Analyte>>,
    unit_cache: HashMap<String, Option<Unit>>,
    date_cache: Option<(String, NaiveDate)>,
    /// Rows of one sample repeat their coordinates: the last clean ones are not checked again.
    coord_cache: Option<(String, String, (f64, f64))>,
    /// A division known to contain a point (from the prefecture check or a county check).
    county_cache: Option<(DivisionCode, f64, f64)>,
    medium_cache: Option<(String, Medium)>,
    land_use_cache: Option<(String, LandUse)>,
    /// The last valid detection-limit cell (a file often gives one limit per analyte).
    dl_cache: LastParsed<Decimal>,
    /// Columns that describe the sample (not the result), and the last valid sample with the
    /// index of its state in `sample_states`.
    sample_cols: Vec<usize>,
    last_sample: Option<(ParsedSample, usize)>,
    /// The sample cells of `last_sample` (by `sample_cols`; meaningless when it is `None`).
    last_cells: Vec<String>,
}

fn cell(rec: &Cells, idx: Option<usize>) -> &str {
    idx.and_then(|i| rec.get(i)).map_or("", trim)
}

/// `str::trim`, with a shortcut for the usual cell, which starts and ends with a visible ASCII
/// character (none of them is white space).
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// A resolved division and where it came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DivisionSource {
    Row,
    Point,
    Coordinates,
    Default,
}

impl<'a> Checker<'a> {
    fn row(&mut self, sink: &mut Sink, row: &RawRow) -> Option<Record> {
        match self.map.kind {
            DataKind::Points => self.point_row(sink, row).map(Record::Point),
            DataKind::ResultsLong => self.long_row(sink, row),
            DataKind::ResultsWide => self.wide_row(sink, row),
        }
    }

    /// Long form: a row whose sample cells equal those of the previous valid row has the same
    /// sample, already checked.
    fn reuse_sample(&self, rec: &Cells, row: u64) -> Option<(ParsedSample, usize)> {
        let (prev, state) = self.last_sample.as_ref()?;
        let same = self
            .sample_cols
            .iter()
            .zip(&self.last_cells)
            .all(|(&i, c)| cell(rec, Some(i)) == c);
        same.then(|| {
            let mut s = prev.clone();
            s.row = row;
            s.first_in_file = false;
            (s, *state)
        })
    }

    fn remember_sample(&mut self, rec: &Cells, sample: &ParsedSample, state: usize) {
        // the strings of the previous sample's cells are refilled
        self.last_cells
            .resize_with(self.sample_cols.len(), String::new);
        for (text, &i) in self.last_cells.iter_mut().zip(&self.sample_cols) {
            text.clear();
            text.push_str(cell(rec, Some(i)));
        }
        self.last_sample = Some((sample.clone(), state));
    }

    fn col(&self, f: Field) -> Option<usize> {
        self.map.get(f)
    }

    fn required<'r>(&self, sink: &mut Sink, rec: &'r Cells, row: u64, f: Field) -> Option<&'r str> {
        let v = cell(rec, self.col(f));
        if v.is_empty() {
            sink.error(
                Rule::Required,
                row,
                self.col(f),
                "",
                (f.name_cn(), f.name_en()),
                m(
                    format!("必填项“{}”为空", f.name_cn()),
                    format!("required cell '{}' is blank", f.name_en()),
                ),
            );
            None
        } else {
            Some(v)
        }
    }

    fn date(
        &mut self,
        sink: &mut Sink,
        rec: &Cells,
        row: u64,
        f: Field,
        required: bool,
    ) -> Option<NaiveDate> {
        let text = if required {
            self.required(sink, rec, row, f)?
        } else {
            let t = cell(rec, self.col(f));
            if t.is_empty() {
                return None;
            }
            t
        };
        let date = match &self.date_cache {
            Some((t, d)) if t == text => Some(*d),
            _ => {
                let d = parse_date(text);
                if let Some(d) = d {
                    self.date_cache = Some((text.to_owned(), d));
                }
                d
            }
        };
        let Some(date) = date else {
            sink.error(
                Rule::Date,
                row,
                self.col(f),
                text,
                (
                    "真实的日期, 如 2024-05-06",
                    "a real date such as 2024-05-06",
                ),
                m("不是有效日期", "not a valid date"),
            );
            return None;
        };
        if date > self.opts.today {
            sink.error(
                Rule::FutureDate,
                row,
                self.col(f),
                text,
                ("不晚于今天的日期", "a date not after today"),
                m(
                    format!("日期晚于今天({})", self.opts.today),
                    format!("date is after today ({})", self.opts.today),
                ),
            );
            return None;
        }
        if date < NaiveDate::from_ymd_opt(1950, 1, 1).expect("a valid date") {
            sink.error(
                Rule::Date,
                row,
                self.col(f),
                text,
                ("1950年以后的日期", "a date after 1950"),
                m("日期过早, 可能有误", "date is implausibly early"),
            );
            return None;
        }
        Some(date)
    }

    /// Division from the row (code or county name), the point, the coordinates or the default.
    fn division(
        &self,
        sink: &mut Sink,
        rec: &Cells,
        row: u64,
        point: Option<&MonitoringPoint>,
        coords: Option<(f64, f64)>,
    ) -> Option<(DivisionCode, DivisionSource)> {
        let code_col = self.col(Field::DivisionCode);
        let county_col = self.col(Field::County);
        let code_text = cell(rec, code_col);
        let county_text = cell(rec, county_col);
        let by_name = |t: &str| self.ctx.boundaries.and_then(|b| b.by_name(t));
        let mut from_row = None;
        if !code_text.is_empty() {
            match code_text.parse::<DivisionCode>() {
                Ok(c) => from_row = Some(c),
                Err(e) => match by_name(code_text) {
                    Some(c) => from_row = Some(c),
                    None => {
                        sink.error(
                            Rule::Division,
                            row,
                            code_col,
                            code_text,
                            (
                                "6位行政区划代码, 如 513401",
                                "a six-digit division code such as 513401",
                            ),
                            m(e.to_string(), e.to_string()),
                        );
                        return None;
                    }
                },
            }
        }
        if !county_text.is_empty() {
            match by_name(county_text) {
                Some(c) => {
                    if let Some(prev) = from_row {
                        if prev != c {
                            sink.error(
                                Rule::Division,
                                row,
                                county_col,
                                county_text,
                                (
                                    &format!("与行政区划代码{prev}一致的县名"),
                                    &format!("the county of code {prev}"),
                                ),
                                m(
                                    "县名与行政区划代码不一致",
                                    "county name and division code disagree",
                                ),
                            );
                            return None;
                        }
                    }
                    from_row = Some(c);
                }
                None if from_row.is_none() => {
                    sink.error(
                        Rule::Division,
                        row,
                        county_col,
                        county_text,
                        (
                            "本州的县(市)名称, 如 西昌市",
                            "a county of the prefecture, e.g. 西昌市",
                        ),
                        m("无法识别的县名", "unknown county name"),
                    );
                    return None;
                }
                None => {}
            }
        }
        let (code, source, col) = if let Some(c) = from_row {
            (c, DivisionSource::Row, code_col.or(county_col))
        } else if let Some(p) = point {
            (p.division, DivisionSource::Point, None)
        } else if let Some(c) =
            coords.and_then(|(lon, lat)| self.ctx.boundaries.and_then(|b| b.locate(lon, lat)))
        {
            (c, DivisionSource::Coordinates, None)
        } else if let Some(c) = self.opts.default_division {
            (c, DivisionSource::Default, None)
        } else {
            sink.error(
                Rule::Required,
                row,
                None,
                "",
                (
                    "行政区划代码或县名列, 或可定位的坐标",
                    "a division code or county column, or coordinates inside a county",
                ),
                m("无法确定行政区划", "cannot tell the division of the row"),
            );
            return None;
        };
        if !self.ctx.prefecture.contains(code) {
            sink.error(
                Rule::Division,
                row,
                col,
                &code.to_string(),
                (
                    &format!("{}内的行政区划代码", self.ctx.prefecture),
                    &format!("a division within {}", self.ctx.prefecture),
                ),
                m("行政区划不在本州范围内", "division outside the prefecture"),
            );
            return None;
        }
        if self.ctx.known.available() && !self.ctx.known.division_exists(code) {
            sink.error(
                Rule::UnknownDivision,
                row,
                col,
                &code.to_string(),
                ("已登记的行政区划代码", "a registered division code"),
                m("行政区划代码未登记", "division code is not registered"),
            );
            return None;
        }
        Some((code, source))
    }

    /// Read and check the coordinates (both or neither). `Err(())` when an error was reported.
    fn coordinates(
        &mut self,
        sink: &mut Sink,
        rec: &Cells,
        row: u64,
        required: bool,
    ) -> Result<Option<(f64, f64)>, ()> {
        let (lon_col, lat_col) = (self.col(Field::Longitude), self.col(Field::Latitude));
        let (lon_t, lat_t) = (cell(rec, lon_col), cell(rec, lat_col));
        if lon_t.is_empty() && lat_t.is_empty() && !required {
            return Ok(None);
        }
        if let Some((a, b, c)) = &self.coord_cache {
            if a == lon_t && b == lat_t {
                return Ok(Some(*c));
            }
        }
        let issues_before = sink.report.errors + sink.report.warnings;
        let mut bad = false;
        let mut read = |t: &str, col, f: Field| -> Option<f64> {
            if t.is_empty() {
                sink.error(
                    Rule::Required,
                    row,
                    col,
                    "",
                    (f.name_cn(), f.name_en()),
                    m(
                        format!("必填项“{}”为空", f.name_cn()),
                        format!("required cell '{}' is blank", f.name_en()),
                    ),
                );
                bad = true;
                return None;
            }
            match parse_coordinate(t) {
                Ok(v) => Some(v),
                Err(e) => {
                    let (cn, en) = match e {
                        CoordError::MinutesOrSeconds => {
                            ("分或秒不小于60", "minutes or seconds of 60 or more")
                        }
                        CoordError::Unreadable => ("无法识别的坐标", "unreadable coordinate"),
                    };
                    sink.error(
                        Rule::Coordinate,
                        row,
                        col,
                        t,
                        (
                            "十进制度(102.2583)或度分秒(102°15′30″)",
                            "decimal degrees (102.2583) or degrees-minutes-seconds (102°15′30″)",
                        ),
                        m(cn, en),
                    );
                    bad = true;
                    None
                }
            }
        };
        let lon = read(lon_t, lon_col, Field::Longitude);
        let lat = read(lat_t, lat_col, Field::Latitude);
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return if bad { Err(()) } else { Ok(None) };
        };
        // the value of a coordinates issue (built only when there is one)
        let both = || format!("{lon_t}, {lat_t}");
        let swapped = |sink: &mut Sink| {
            sink.error(
                Rule::CoordinatesSwapped,
                row,
                lon_col,
                &both(),
                ("经度在经度列, 纬度在纬度列", "longitude in the longitude column, latitude in the latitude column"),
                m(
                    format!("经纬度可能颠倒: 互换后({lat_t}, {lon_t})才在范围内; 请核对后更正"),
                    format!("longitude and latitude look swapped: ({lat_t}, {lon_t}) would be in range; check and correct the file"),
                ),
            );
        };
        if let Err(e) = LonLat::new(lon, lat) {
            if LonLat::new(lat, lon).is_ok() {
                swapped(sink);
            } else {
                sink.error(
                    Rule::Coordinate,
                    row,
                    lon_col,
                    &both(),
                    (
                        "中国境内的经纬度(CGCS2000)",
                        "longitude/latitude in China (CGCS2000)",
                    ),
                    m(e.to_string(), e.to_string()),
                );
            }
            return Err(());
        }
        if let Some(b) = self.ctx.boundaries {
            let (placement, located) = b.place_and_locate(lon, lat);
            match placement {
                Placement::Inside => {
                    // The county check of the division found need not test the point again.
                    if let Some(code) = located {
                        self.county_cache = Some((code, lon, lat));
                    }
                }
                Placement::Near(d) => sink.warn(
                    Rule::OutsidePrefecture,
                    row,
                    lon_col,
                    &both(),
                    ("州界内的坐标", "coordinates inside the prefecture"),
                    m(
                        format!("坐标在州界外约{:.0}米, 接近边界", d * 111_000.0),
                        format!(
                            "about {:.0} m outside the prefecture boundary",
                            d * 111_000.0
                        ),
                    ),
                ),
                Placement::Outside(_) => {
                    if matches!(
                        b.place_in_prefecture(lat, lon),
                        Placement::Inside | Placement::Near(_)
                    ) {
                        swapped(sink);
                    } else {
                        sink.error(
                            Rule::OutsidePrefecture,
                            row,
                            lon_col,
                            &both(),
                            ("州界内的坐标", "coordinates inside the prefecture"),
                            m(
                                format!("坐标不在{}范围内", b.prefecture()),
                                format!("coordinates outside the prefecture {}", b.prefecture()),
                            ),
                        );
                    }
                    return Err(());
                }
            }
        }
        if sink.report.errors + sink.report.warnings == issues_before {
            self.coord_cache = Some((lon_t.to_owned(), lat_t.to_owned(), (lon, lat)));
        }
        Ok(Some((lon, lat)))
    }

    /// The named county must contain the coordinates.
    fn check_in_county(
        &mut self,
        sink: &mut Sink,
        rec: &Cells,
        row: u64,
        division: DivisionCode,
        (lon, lat): (f64, f64),
    ) -> bool {
        let Some(b) = self.ctx.boundaries else {
            return true;
        };
        if self.county_cache == Some((division, lon, lat)) {
            return true;
        }
        let placement = b.place_in(division, lon, lat);
        if placement == Some(Placement::Inside) {
            self.county_cache = Some((division, lon, lat));
        }
        let lon_col = self.col(Field::Longitude);
        let both = || {
            format!(
                "{}, {}",
                cell(rec, lon_col),
                cell(rec, self.col(Field::Latitude))
            )
        };
        let name = || b.get(division).map(|d| d.name.clone()).unwrap_or_default();
        match placement {
            None | Some(Placement::Inside) => true,
            Some(Placement::Near(d)) => {
                let (both, name) = (both(), name());
                sink.warn(
                    Rule::OutsideCounty,
                    row,
                    lon_col,
                    &both,
                    (
                        &format!("{name}({division})界内的坐标"),
                        &format!("coordinates inside {division}"),
                    ),
                    m(
                        format!("坐标在{name}界外约{:.0}米, 接近边界", d * 111_000.0),
                        format!(
                            "about {:.0} m outside the boundary of {division}",
                            d * 111_000.0
                        ),
                    ),
                );
                true
            }
            Some(Placement::Outside(_)) => {
                let (both, name) = (both(), name());
                let actual = b.locate(lon, lat).map(|c| {
                    let n = b.get(c).map(|d| d.name.clone()).unwrap_or_default();
                    format!("{n}({c})")
                });
                let actual = actual.unwrap_or_else(|| "?".into());
                sink.error(
                    Rule::OutsideCounty,
                    row,
                    lon_col,
                    &both,
                    (
                        &format!("{name}({division})界内的坐标"),
                        &format!("coordinates inside {division}"),
                    ),
                    m(
                        format!("坐标不在所填县{name}({division})内, 而在{actual}"),
                        format!(
                            "coordinates are not in the county given ({division}) but in {actual}"
                        ),
                    ),
                );
                false
            }
        }
    }

    fn land_use(&mut self, sink: &mut Sink, rec: &Cells, row: u64) -> Result<Option<LandUse>, ()> {
        let col = self.col(Field::LandUse);
        let t = cell(rec, col);
        if t.is_empty() {
            return Ok(None);
        }
        if let Some((_, l)) = self.land_use_cache.as_ref().filter(|(c, _)| c == t) {
            return Ok(Some(*l));
        }
        let parsed = t.parse::<LandUse>();
        if let Ok(l) = parsed {
            self.land_use_cache = Some((t.to_owned(), l));
        }
        parsed.map(Some).map_err(|e| {
            sink.error(
                Rule::LandUse,
                row,
                col,
                t,
                (
                    "GB/T 21010代码或名称, 如 0101 或 水田",
                    "a GB/T 21010 code or name, e.g. 0101 or 水田",
                ),
                m(e.to_string(), e.to_string()),
            );
        })
    }

    fn depth(&self, sink: &mut Sink, rec: &Cells, row: u64) -> Result<Option<(u32, u32)>, ()> {
        let factor = |f: Field| -> Decimal {
            let unit = self
                .map
                .get(f)
                .and_then(|i| self.map.columns.get(i))
                .and_then(|c| c.unit_text.as_deref())
                .map(str::to_lowercase);
            match unit.as_deref() {
                Some("m" | "米") => Decimal::ONE_HUNDRED,
                _ => Decimal::ONE,
            }
        };
        let expected = (
            "深度(cm), 上限小于下限, 如 0-20",
            "depth in cm, top < bottom, e.g. 0-20",
        );
        let (top, bottom, col, text) =
            if self.map.has(Field::DepthTop) || self.map.has(Field::DepthBottom) {
                let (tc, bc) = (self.col(Field::DepthTop), self.col(Field::DepthBottom));
                let (tt, bt) = (cell(rec, tc), cell(rec, bc));
                if tt.is_empty() && bt.is_empty() {
                    return Ok(None);
                }
                let mut get = |t: &str, c, f| match parse_decimal(t) {
                    Some(v) => Ok(v * factor(f)),
                    None => {
                        sink.error(
                            Rule::Depth,
                            row,
                            c,
                            t,
                            expected,
                            m("深度不是数值或为空", "depth is blank or not a number"),
                        );
                        Err(())
                    }
                };
                let top = get(tt, tc, Field::DepthTop);
                let bottom = get(bt, bc, Field::DepthBottom);
                (top?, bottom?, tc, format!("{tt} / {bt}"))
            } else {
                let c = self.col(Field::Depth);
                let t = cell(rec, c);
                if t.is_empty() {
                    return Ok(None);
                }
                match parse_depth_range(t) {
                    Some((top, Some(bottom))) => (
                        top * factor(Field::Depth),
                        bottom * factor(Field::Depth),
                        c,
                        t.to_owned(),
                    ),
                    _ => {
                        sink.error(
                            Rule::Depth,
                            row,
                            c,
                            t,
                            expected,
                            m(
                                "深度应为范围, 如 0-20",
                                "depth must be a range such as 0-20",
                            ),
                        );
                        return Err(());
                    }
                }
            };
        let to_u32 = |v: Decimal| -> Option<u32> {
            use rust_decimal::prelude::ToPrimitive;
            if v.is_sign_negative() && !v.is_zero() || !v.fract().is_zero() {
                return None;
            }
            v.to_u32()
        };
        match (to_u32(top), to_u32(bottom)) {
            (Some(t), Some(b)) if t < b => Ok(Some((t, b))),
            (Some(_), Some(_)) => {
                sink.error(
                    Rule::Depth,
                    row,
                    col,
                    &text,
                    expected,
                    m("深度上限应小于下限", "depth top must be less than bottom"),
                );
                Err(())
            }
            _ => {
                sink.error(
                    Rule::Depth,
                    row,
                    col,
                    &text,
                    expected,
                    m(
                        "深度应为非负整数厘米",
                        "depth must be whole non-negative centimetres",
                    ),
                );
                Err(())
            }
        }
    }

    /// The sample part of a results row. Returns the sample and the fingerprint of its details.
    fn sample(&mut self, sink: &mut Sink, rec: &Cells, row: u64) -> Option<(ParsedSample, u64)> {
        let errors_before = sink.report.errors;
        let code = self
            .required(sink, rec, row, Field::SampleCode)
            .map(str::to_owned);
        let point_col = self.col(Field::PointCode);
        let point_code = Some(cell(rec, point_col))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mut point = None;
        if let Some(pc) = &point_code {
            if self.ctx.known.available() {
                point = self.ctx.known.point(pc);
                if point.is_none() {
                    sink.error(
                        Rule::UnknownPoint,
                        row,
                        point_col,
                        pc,
                        ("已登记的点位编号", "a registered point code"),
                        m(
                            "点位编号未登记, 请先导入点位",
                            "point code is not registered: import the points first",
                        ),
                    );
                }
            }
        }
        let medium_col = self.col(Field::Medium);
        let medium_text = cell(rec, medium_col);
        let medium = if medium_text.is_empty() {
            let d = self.opts.default_medium;
            if d.is_none() {
                sink.error(Rule::Required, row, medium_col, "", ("土壤|农产品|灌溉水|地下水|地表水|底泥", "soil|agricultural_product|irrigation_water|groundwater|surface_water|sediment"), m("样品类型为空", "medium is blank"));
            }
            d
        } else if let Some((_, md)) = self.medium_cache.as_ref().filter(|(t, _)| t == medium_text) {
            Some(*md)
        } else {
            match medium_text.parse::<Medium>() {
                Ok(md) => {
                    self.medium_cache = Some((medium_text.to_owned(), md));
                    Some(md)
                }
                Err(e) => {
                    sink.error(Rule::Medium, row, medium_col, medium_text, ("土壤|农产品|灌溉水|地下水|地表水|底泥", "soil|agricultural_product|irrigation_water|groundwater|surface_water|sediment"), m(e.to_string(), e.to_string()));
                    None
                }
            }
        };
        if let Some(md) = medium.filter(|md| {
            !self.opts.allowed_media.is_empty() && !self.opts.allowed_media.contains(md)
        }) {
            let allowed = &self.opts.allowed_media;
            let cn = allowed
                .iter()
                .map(|a| a.name_cn())
                .collect::<Vec<_>>()
                .join("|");
            let en = allowed
                .iter()
                .map(|a| a.code())
                .collect::<Vec<_>>()
                .join("|");
            sink.error(
                Rule::Medium,
                row,
                medium_col,
                if medium_text.is_empty() { md.name_cn() } else { medium_text },
                (cn.as_str(), en.as_str()),
                m(
                    format!("样品类型为“{}”，不属于本次报送的数据类别（应为 {cn}）", md.name_cn()),
                    format!(
                        "the medium is {} ({}), which does not belong to the data kind of this submission (expected {en})",
                        md.code(),
                        md.name_cn()
                    ),
                ),
            );
        }
        let date = self.date(sink, rec, row, Field::SamplingDate, true);
        let coords = self.coordinates(sink, rec, row, false).ok().flatten();
        let division = self.division(sink, rec, row, point.as_ref(), coords);
        if let (Some((d, DivisionSource::Row | DivisionSource::Point)), Some(c)) =
            (division, coords)
        {
            self.check_in_county(sink, rec, row, d, c);
        }
        let land_use = self
            .land_use(sink, rec, row)
            .ok()
            .flatten()
            .or_else(|| point.as_ref().and_then(|p| p.land_use));
        let depth = self.depth(sink, rec, row).ok().flatten();
        let crop = Some(cell(rec, self.col(Field::Crop)))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let lab = Some(cell(rec, self.col(Field::Lab)))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if sink.report.errors != errors_before {
            return None;
        }
        let (code, medium, date, (division, _)) = (code?, medium?, date?, division?);
        let sample = Sample {
            code,
            point_code,
            medium,
            division,
            sampled_on: date,
            land_use,
            crop,
            depth_cm: depth,
            lab,
        };
        let mut h = DefaultHasher::new();
        (
            &sample.point_code,
            sample.medium,
            sample.division,
            sample.sampled_on,
            sample.land_use,
            &sample.crop,
            sample.depth_cm,
            &sample.lab,
        )
            .hash(&mut h);
        let location = coords.and_then(|(lon, lat)| LonLat::new(lon, lat).ok());
        Some((
            ParsedSample {
                row,
                sample,
                location,
                first_in_file: false,
                stored: StoredState::Unknown,
            },
            h.finish(),
        ))
    }

    /// Register a sample code in the file state; checks uniqueness and the store. Returns the
    /// index of the sample's state in `sample_states`, `None` when an error was reported.
    fn register_sample(
        &mut self,
        sink: &mut Sink,
        parsed: &mut ParsedSample,
        fingerprint: u64,
        wide: bool,
    ) -> Option<usize> {
        let code_col = self.col(Field::SampleCode);
        let row = parsed.row;
        if let Some(&index) = self.samples.get(&parsed.sample.code) {
            let state = &self.sample_states[index];
            if wide {
                sink.error(
                    Rule::DuplicateSample,
                    row,
                    code_col,
                    &parsed.sample.code,
                    (
                        "文件内唯一的样品编号",
                        "a sample code unique within the file",
                    ),
                    m(
                        format!("样品编号重复(首次出现在第{}行)", state.first_row),
                        format!("sample code used twice (first at row {})", state.first_row),
                    ),
                );
                return None;
            }
            if state.fingerprint != fingerprint {
                sink.error(
                    Rule::DuplicateSample,
                    row,
                    code_col,
                    &parsed.sample.code,
                    (&format!("与第{}行相同的样品信息", state.first_row), &format!("the same sample details as row {}", state.first_row)),
                    m(
                        format!("同一样品编号的样品信息(点位、介质、日期、区划、土地利用、作物、深度、检测机构)与第{}行不同", state.first_row),
                        format!("the same sample code has other sample details (point, medium, date, division, land use, crop, depth, lab) than row {}", state.first_row),
                    ),
                );
                return None;
            }
            parsed.stored = if self.ctx.known.available() {
                StoredState::New
            } else {
                StoredState::Unknown
            };
            if self.ctx.known.available()
                && self.ctx.known.stored_sample(&parsed.sample.code).is_some()
            {
                parsed.stored = StoredState::Unchanged;
            }
            return Some(index);
        }
        parsed.first_in_file = true;
        parsed.stored = StoredState::Unknown;
        if self.ctx.known.available() {
            parsed.stored = StoredState::New;
            if let Some(stored) = self.ctx.known.stored_sample(&parsed.sample.code) {
                let s = &parsed.sample;
                let same = stored.point_code == s.point_code
                    && stored.medium == s.medium
                    && stored.sampled_on == s.sampled_on
                    && stored.division == s.division
                    && stored.depth_cm == s.depth_cm;
                if !same {
                    sink.error(
                        Rule::StoredSampleConflict,
                        row,
                        code_col,
                        &s.code,
                        (
                            &format!(
                                "已入库样品的信息: 点位{:?}, {}, {}, {}",
                                stored.point_code.as_deref().unwrap_or("-"),
                                stored.medium.name_cn(),
                                stored.sampled_on,
                                stored.division
                            ),
                            &format!(
                                "the stored sample's details: point {:?}, {}, {}, {}",
                                stored.point_code.as_deref().unwrap_or("-"),
                                stored.medium,
                                stored.sampled_on,
                                stored.division
                            ),
                        ),
                        m(
                            "样品编号已以不同的样品信息入库",
                            "sample code already stored with different details",
                        ),
                    );
                    return None;
                }
                parsed.stored = StoredState::Unchanged;
            }
        }
        let index = self.sample_states.len();
        self.sample_states.push(SampleState {
            fingerprint,
            first_row: row,
            analytes: Vec::new(),
        });
        self.samples.insert(parsed.sample.code.clone(), index);
        Some(index)
    }

    fn resolve_analyte(&mut self, text: &str) -> Option<&'a Analyte> {
        if let Some(a) = self.analyte_cache.get(text) {
            return *a;
        }
        let a = self.ctx.catalogue.resolve(text);
        self.analyte_cache.insert(text.to_owned(), a);
        a
    }

    fn parse_unit(&mut self, text: &str) -> Option<Unit> {
        if let Some(u) = self.unit_cache.get(text) {
            return *u;
        }
        let u = text.parse::<Unit>().ok();
        self.unit_cache.insert(text.to_owned(), u);
        u
    }

    /// One result: value cell, unit, detection limit, qualifier → canonical unit. `state` is
    /// the index of the sample's state in `sample_states`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the cells of one result and where they sit"
    )]
    fn result(
        &mut self,
        sink: &mut Sink,
        row: u64,
        (sample, state): (&Sample, usize),
        analyte: &'a Analyte,
        (value_col, value_text): (usize, &str),
        unit: Option<Unit>,
        (unit_col, unit_text): (Option<usize>, &str),
        (dl_col, dl_text): (Option<usize>, &str),
        (q_col, q_text): (Option<usize>, &str),
        method: Option<&str>,
        wide: bool,
    ) -> Option<ParsedResult> {
        let errors_before = sink.report.errors;
        let canonical = analyte.canonical_unit(sample.medium);
        let exp_num = (
            "非负数值, 或 <0.01、0.01L、ND、未检出",
            "a number ≥ 0, or <0.01, 0.01L, ND, 未检出",
        );
        // unit
        let unit = match unit {
            Some(u) => u,
            None if unit_text.is_empty() && wide => canonical,
            None if unit_text.is_empty() && canonical == Unit::Dimensionless => Unit::Dimensionless,
            None if unit_text.is_empty() => {
                sink.error(
                    Rule::Unit,
                    row,
                    unit_col,
                    "",
                    (canonical.symbol(), canonical.symbol()),
                    m(
                        format!("{}的单位为空", analyte.name_cn),
                        format!("unit of {} is blank", analyte.name_en),
                    ),
                );
                return None;
            }
            None => {
                sink.error(
                    Rule::Unit,
                    row,
                    unit_col,
                    unit_text,
                    (
                        "mg/kg, μg/kg, g/kg, %, mg/L, μg/L, cmol/kg, 无量纲",
                        "mg/kg, μg/kg, g/kg, %, mg/L, μg/L, cmol/kg, dimensionless",
                    ),
                    m("无法识别的单位", "unknown unit"),
                );
                return None;
            }
        };
        if unit.dimension() != canonical.dimension() {
            sink.error(
                Rule::UnitMismatch,
                row,
                unit_col.or(Some(value_col)),
                if unit_text.is_empty() {
                    unit.symbol()
                } else {
                    unit_text
                },
                (
                    &format!("可换算为{}的单位", canonical.symbol()),
                    &format!("a unit convertible to {}", canonical.symbol()),
                ),
                m(
                    format!(
                        "{}({})的{}不能用单位{}",
                        sample.medium.name_cn(),
                        analyte.name_cn,
                        analyte.code,
                        unit.symbol()
                    ),
                    format!(
                        "{} in {} cannot be in {}",
                        analyte.name_en,
                        sample.medium,
                        unit.symbol()
                    ),
                ),
            );
            return None;
        }
        // qualifier
        let qualifier = if q_text.is_empty() {
            None
        } else {
            match q_text.parse::<Qualifier>() {
                Ok(q) => Some(q),
                Err(_) => {
                    sink.error(
                        Rule::Qualifier,
                        row,
                        q_col,
                        q_text,
                        (
                            "空、=、检出、<、ND、未检出",
                            "blank, =, detected, <, ND, not_detected",
                        ),
                        m("无法识别的限定符", "unknown qualifier"),
                    );
                    return None;
                }
            }
        };
        // detection limit column
        let dl_col_value = if dl_text.is_empty() {
            None
        } else if let Some(v) = self.dl_cache.get(dl_text) {
            Some(v)
        } else {
            match parse_decimal(dl_text) {
                Some(v) if !v.is_sign_negative() || v.is_zero() => {
                    self.dl_cache.set(dl_text, v);
                    Some(v)
                }
                _ => {
                    sink.error(
                        Rule::Number,
                        row,
                        dl_col,
                        dl_text,
                        ("非负数值", "a number ≥ 0"),
                        m(
                            "检出限不是非负数值",
                            "detection limit is not a non-negative number",
                        ),
                    );
                    return None;
                }
            }
        };
        let nd_needs_dl = |sink: &mut Sink| {
            sink.error(
                Rule::DetectionLimit,
                row,
                dl_col.or(Some(value_col)),
                value_text,
                ("未检出时给出检出限(检出限列, 或写作 <0.01、0.01L)", "a detection limit for a non-detect (its column, or <0.01 / 0.01L in the value cell)"),
                m("未检出但没有检出限", "non-detect without a detection limit"),
            );
        };
        let (value, dl, q) = match parse_value_cell(value_text) {
            ValueCell::Empty | ValueCell::NotMeasured if wide => return None,
            ValueCell::Empty if qualifier == Some(Qualifier::NotDetected) => match dl_col_value {
                Some(dl) => (None, Some(dl), Qualifier::NotDetected),
                None => {
                    nd_needs_dl(sink);
                    return None;
                }
            },
            ValueCell::Empty => {
                sink.error(
                    Rule::Required,
                    row,
                    Some(value_col),
                    "",
                    exp_num,
                    m("检测值为空", "value is blank"),
                );
                return None;
            }
            ValueCell::NotMeasured => {
                sink.error(
                    Rule::Required,
                    row,
                    Some(value_col),
                    value_text,
                    exp_num,
                    m(
                        "检测值为未测: 长表中请删除该行",
                        "value says not measured: in long form, leave the row out",
                    ),
                );
                return None;
            }
            ValueCell::Invalid => {
                sink.error(
                    Rule::Number,
                    row,
                    Some(value_col),
                    value_text,
                    exp_num,
                    m("检测值不是数值", "value is not a number"),
                );
                return None;
            }
            ValueCell::NonDetect => {
                if qualifier == Some(Qualifier::Detected) && !q_text.is_empty() && q_text != "=" {
                    sink.error(
                        Rule::DetectionLimit,
                        row,
                        q_col,
                        q_text,
                        ("未检出", "not detected"),
                        m(
                            "限定符为检出, 但检测值为未检出",
                            "qualifier says detected but the value says not detected",
                        ),
                    );
                    return None;
                }
                match dl_col_value {
                    Some(dl) => (None, Some(dl), Qualifier::NotDetected),
                    None => {
                        nd_needs_dl(sink);
                        return None;
                    }
                }
            }
            ValueCell::BelowLimit(v) => {
                if qualifier == Some(Qualifier::Detected) && !q_text.is_empty() && q_text != "=" {
                    sink.error(
                        Rule::DetectionLimit,
                        row,
                        q_col,
                        q_text,
                        ("未检出", "not detected"),
                        m(
                            "限定符为检出, 但检测值为小于检出限",
                            "qualifier says detected but the value is below the detection limit",
                        ),
                    );
                    return None;
                }
                if let Some(dl) = dl_col_value {
                    if dl != v {
                        sink.error(
                            Rule::DetectionLimit,
                            row,
                            Some(value_col),
                            value_text,
                            (&format!("与检出限列一致({dl})"), &format!("the detection limit of its column ({dl})")),
                            m("检测值中的检出限与检出限列不一致", "the detection limit in the value cell differs from the detection limit column"),
                        );
                        return None;
                    }
                }
                if v.is_sign_negative() && !v.is_zero() {
                    sink.error(
                        Rule::Range,
                        row,
                        Some(value_col),
                        value_text,
                        exp_num,
                        m("检出限为负数", "negative detection limit"),
                    );
                    return None;
                }
                (None, Some(v), Qualifier::NotDetected)
            }
            ValueCell::Number(v) => {
                if v.is_sign_negative() && !v.is_zero() {
                    sink.error(
                        Rule::Range,
                        row,
                        Some(value_col),
                        value_text,
                        exp_num,
                        m("检测值为负数", "negative value"),
                    );
                    return None;
                }
                match qualifier {
                    Some(Qualifier::NotDetected) => match dl_col_value {
                        // `<` in the qualifier column and the limit in the value column
                        None => (None, Some(v), Qualifier::NotDetected),
                        Some(dl) if v <= dl => (None, Some(dl), Qualifier::NotDetected),
                        Some(dl) => {
                            sink.error(
                                Rule::DetectionLimit,
                                row,
                                Some(value_col),
                                value_text,
                                (&format!("不大于检出限{dl}"), &format!("not above the detection limit {dl}")),
                                m("限定符为未检出, 但检测值大于检出限", "qualifier says not detected but the value is above the detection limit"),
                            );
                            return None;
                        }
                    },
                    _ => {
                        if let Some(dl) = dl_col_value {
                            if v < dl {
                                sink.warn(
                                    Rule::DetectionLimit,
                                    row,
                                    Some(value_col),
                                    value_text,
                                    (&format!("不小于检出限{dl}, 或标为未检出"), &format!("at least the detection limit {dl}, or marked not detected")),
                                    m("检测值低于检出限但未标为未检出(按未检出处理)", "value below the detection limit but not marked as non-detect (treated as a non-detect)"),
                                );
                            }
                        }
                        (Some(v), dl_col_value, Qualifier::Detected)
                    }
                }
            }
        };
        // ranges
        if analyte.code == "pH" {
            if let Some(v) = value {
                if v > Decimal::from(14) {
                    sink.error(
                        Rule::PhRange,
                        row,
                        Some(value_col),
                        value_text,
                        ("0–14", "0–14"),
                        m("pH超出0–14", "pH outside 0–14"),
                    );
                    return None;
                }
            }
        }
        let convert = |v: Decimal| unit.convert(v, canonical);
        let (value_c, dl_c) = match (value.map(convert).transpose(), dl.map(convert).transpose()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                sink.error(
                    Rule::UnitMismatch,
                    row,
                    unit_col,
                    unit_text,
                    (canonical.symbol(), canonical.symbol()),
                    m("单位无法换算", "unit cannot be converted"),
                );
                return None;
            }
        };
        if canonical.dimension() == soilwatch_core::Dimension::MassFraction {
            let limit = match canonical {
                Unit::MgPerKg => Some(Decimal::from(1_000_000)),
                Unit::GPerKg => Some(Decimal::from(1_000)),
                Unit::Percent => Some(Decimal::ONE_HUNDRED),
                other => Unit::Percent.convert(Decimal::ONE_HUNDRED, other).ok(),
            };
            if let (Some(v), Some(lim)) = (value_c, limit) {
                if v > lim {
                    sink.error(
                        Rule::Range,
                        row,
                        Some(value_col),
                        value_text,
                        ("不超过100%", "at most 100 %"),
                        m("含量超过100%", "content above 100 %"),
                    );
                    return None;
                }
            }
        }
        if let (Some(t), Some(v)) = (self.ctx.threshold, value_c) {
            if let Some(th) = t(&analyte.code, sample.medium) {
                if !th.is_zero() && v > th * Decimal::TEN {
                    sink.warn(
                        Rule::LikelyUnitError,
                        row,
                        Some(value_col),
                        value_text,
                        (&format!("通常不超过{} {}", th * Decimal::TEN, canonical), &format!("usually below {} {}", th * Decimal::TEN, canonical)),
                        m(
                            format!("{}超过典型限值({th} {canonical})的10倍: 单位是否有误?", analyte.name_cn),
                            format!("{} above 10× the typical threshold ({th} {canonical}): is the unit right?", analyte.name_en),
                        ),
                    );
                }
            }
        }
        let amount = |v: Decimal| Amount::new(v).ok();
        let result = AnalysisResult {
            sample_code: sample.code.clone(),
            analyte: analyte.code.clone(),
            value: value_c.and_then(amount),
            unit: canonical,
            detection_limit: dl_c.and_then(amount),
            qualifier: q,
            method: method.filter(|s| !s.is_empty()).map(str::to_owned),
        };
        if let Err(e) = result.validate() {
            sink.error(
                Rule::DetectionLimit,
                row,
                Some(value_col),
                value_text,
                exp_num,
                m(e.to_string(), e.to_string()),
            );
            return None;
        }
        // duplicates in the file
        {
            let state = &mut self.sample_states[state];
            if let Some((_, first)) = state
                .analytes
                .iter()
                .find(|(a, _)| *a == analyte.code.as_str())
            {
                sink.error(
                    Rule::DuplicateResult,
                    row,
                    Some(value_col),
                    value_text,
                    (
                        "每个样品每个检测项目一个结果",
                        "one result per analyte and sample",
                    ),
                    m(
                        format!(
                            "样品{}的{}重复(首次在第{first}行)",
                            sample.code, analyte.name_cn
                        ),
                        format!(
                            "{} of sample {} given twice (first at row {first})",
                            analyte.name_en, sample.code
                        ),
                    ),
                );
                return None;
            }
            state.analytes.push((analyte.code.as_str(), row));
        }
        if sink.report.errors != errors_before {
            return None;
        }
        let stored = if self.ctx.known.available() {
            match self.ctx.known.stored_result(&sample.code, &analyte.code) {
                None => StoredState::New,
                Some(s)
                    if s.value == result.value
                        && s.unit == result.unit
                        && s.detection_limit == result.detection_limit
                        && s.qualifier == result.qualifier =>
                {
                    sink.report.unchanged += 1;
                    StoredState::Unchanged
                }
                Some(s) => {
                    sink.report.changed += 1;
                    let old = s.value.map_or_else(
                        || {
                            format!(
                                "<{}",
                                s.detection_limit.map(|d| d.to_string()).unwrap_or_default()
                            )
                        },
                        |v| v.to_string(),
                    );
                    sink.warn(
                        Rule::StoredResultChanged,
                        row,
                        Some(value_col),
                        value_text,
                        (&format!("已入库值 {old} {}", s.unit), &format!("stored value {old} {}", s.unit)),
                        m("更正已入库的结果: 导入后生成新版本, 旧值保留", "corrects a stored result: importing creates a new version and keeps the old one"),
                    );
                    StoredState::Changed
                }
            }
        } else {
            StoredState::Unknown
        };
        Some(ParsedResult {
            row,
            column: sink.headers.get(value_col).cloned().unwrap_or_default(),
            result,
            original_value: value_text.to_owned(),
            original_unit: unit_text.to_owned(),
            stored,
        })
    }

    fn long_row(&mut self, sink: &mut Sink, raw: &RawRow) -> Option<Record> {
        let rec = &raw.record;
        let row = raw.row;
        let analyte_col = self.col(Field::Analyte);
        let analyte_text = cell(rec, analyte_col);
        let analyte = if analyte_text.is_empty() {
            sink.error(
                Rule::Required,
                row,
                analyte_col,
                "",
                ("检测项目", "analyte"),
                m("检测项目为空", "analyte is blank"),
            );
            None
        } else {
            let a = self.resolve_analyte(analyte_text);
            if a.is_none() {
                sink.error(
                    Rule::UnknownAnalyte,
                    row,
                    analyte_col,
                    analyte_text,
                    (
                        "检测项目目录中的名称或代码, 如 镉、Cd",
                        "a catalogue name or code such as 镉 or Cd",
                    ),
                    m("无法识别的检测项目", "unknown analyte"),
                );
            }
            a
        };
        let (sample, state) = match self.reuse_sample(rec, row) {
            Some(s) => s,
            None => {
                self.last_sample = None;
                let (mut sample, fingerprint) = self.sample(sink, rec, row)?;
                let state = self.register_sample(sink, &mut sample, fingerprint, false)?;
                self.remember_sample(rec, &sample, state);
                (sample, state)
            }
        };
        let analyte = analyte?;
        let value_col = self
            .col(Field::Value)
            .expect("long form has a value column");
        let unit_col = self.col(Field::Unit);
        let mut unit_text = Cow::Borrowed(cell(rec, unit_col));
        if unit_text.is_empty() {
            // `检测值(mg/kg)` or a units row under the value column
            if let Some(u) = self
                .map
                .columns
                .get(value_col)
                .and_then(|c| c.unit_text.as_deref())
            {
                unit_text = Cow::Owned(u.to_owned());
            }
        }
        let unit = if unit_text.is_empty() {
            None
        } else {
            self.parse_unit(&unit_text)
        };
        let method = cell(rec, self.col(Field::Method));
        let result = self.result(
            sink,
            row,
            (&sample.sample, state),
            analyte,
            (value_col, cell(rec, Some(value_col))),
            unit,
            (unit_col, &unit_text),
            (
                self.col(Field::DetectionLimit),
                cell(rec, self.col(Field::DetectionLimit)),
            ),
            (
                self.col(Field::Qualifier),
                cell(rec, self.col(Field::Qualifier)),
            ),
            Some(method),
            false,
        )?;
        Some(Record::Results {
            sample,
            results: vec![result],
        })
    }

    fn wide_row(&mut self, sink: &mut Sink, raw: &RawRow) -> Option<Record> {
        let rec = &raw.record;
        let row = raw.row;
        let (mut sample, fingerprint) = self.sample(sink, rec, row)?;
        let state = self.register_sample(sink, &mut sample, fingerprint, true)?;
        let method = cell(rec, self.col(Field::Method));
        // The columns are lent out of `self` while `result` borrows it (no copy of each column's
        // unit per row).
        let wide = std::mem::take(&mut self.wide);
        let mut results = Vec::with_capacity(wide.len());
        for w in &wide {
            let text = cell(rec, Some(w.index));
            if let Some(r) = self.result(
                sink,
                row,
                (&sample.sample, state),
                w.analyte,
                (w.index, text),
                w.unit,
                (Some(w.index), &w.unit_text),
                (None, ""),
                (None, ""),
                Some(method),
                true,
            ) {
                results.push(r);
            }
        }
        self.wide = wide;
        if results.is_empty() {
            sink.warn(
                Rule::Required,
                row,
                None,
                &sample.sample.code,
                ("至少一个检测值", "at least one value"),
                m("该样品没有任何检测值", "the sample has no values"),
            );
        }
        Some(Record::Results { sample, results })
    }

    fn point_row(&mut self, sink: &mut Sink, raw: &RawRow) -> Option<ParsedPoint> {
        let rec = &raw.record;
        let row = raw.row;
        let errors_before = sink.report.errors;
        let code = self
            .required(sink, rec, row, Field::PointCode)
            .map(str::to_owned);
        let name = Some(cell(rec, self.col(Field::PointName)))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let pt_col = self.col(Field::PointType);
        let point_type = self.required(sink, rec, row, Field::PointType).and_then(|t| {
            t.parse::<PointType>()
                .map_err(|_| sink.error(Rule::PointType, row, pt_col, t, ("背景点|基础点|风险点|详查点|企业自行监测点|灌溉水取水点|地下水监测井|地表水断面", "background|basic|risk|detailed_survey|enterprise_self_monitoring|irrigation_intake|groundwater_well|surface_water_section"), m("无法识别的点位类型", "unknown point type")))
                .ok()
        });
        let cl_col = self.col(Field::ControlLevel);
        let control_level = self
            .required(sink, rec, row, Field::ControlLevel)
            .and_then(|t| {
                t.parse::<ControlLevel>()
                    .map_err(|_| {
                        sink.error(
                            Rule::ControlLevel,
                            row,
                            cl_col,
                            t,
                            (
                                "国控|省控|州控|县控",
                                "national|provincial|prefecture|county",
                            ),
                            m("无法识别的控制级别", "unknown control level"),
                        )
                    })
                    .ok()
            });
        let coords = self.coordinates(sink, rec, row, true).ok().flatten();
        let division = self.division(sink, rec, row, None, coords);
        if let (Some((d, DivisionSource::Row)), Some(c)) = (division, coords) {
            self.check_in_county(sink, rec, row, d, c);
        }
        let land_use = self.land_use(sink, rec, row).ok().flatten();
        let established = self.date(sink, rec, row, Field::EstablishedOn, false);
        let retired = self.date(sink, rec, row, Field::RetiredOn, false);
        if let (Some(e), Some(r)) = (established, retired) {
            if r < e {
                sink.error(
                    Rule::Date,
                    row,
                    self.col(Field::RetiredOn),
                    &r.to_string(),
                    ("不早于设立日期", "not before the date established"),
                    m("撤销日期早于设立日期", "retired before established"),
                );
            }
        }
        let risk = Some(cell(rec, self.col(Field::RiskCategory)))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if let Some(c) = &code {
            if let Some(first) = self.points.get(c) {
                sink.error(
                    Rule::DuplicatePoint,
                    row,
                    self.col(Field::PointCode),
                    c,
                    (
                        "文件内唯一的点位编号",
                        "a point code unique within the file",
                    ),
                    m(
                        format!("点位编号重复(首次在第{first}行)"),
                        format!("point code used twice (first at row {first})"),
                    ),
                );
            } else {
                self.points.insert(c.clone(), row);
            }
        }
        if sink.report.errors != errors_before {
            return None;
        }
        let code = code?;
        let (lon, lat) = coords?;
        let point = MonitoringPoint {
            name: name.unwrap_or_else(|| code.clone()),
            code,
            point_type: point_type?,
            control_level: control_level?,
            division: division?.0,
            location: LonLat::new(lon, lat).ok()?,
            land_use,
            risk_category: risk,
            established_on: established,
            retired_on: retired,
        };
        let stored = if self.ctx.known.available() {
            match self.ctx.known.point(&point.code) {
                None => StoredState::New,
                Some(p) if p == point => {
                    sink.report.unchanged += 1;
                    StoredState::Unchanged
                }
                Some(_) => {
                    sink.report.changed += 1;
                    sink.warn(
                        Rule::StoredPointChanged,
                        row,
                        self.col(Field::PointCode),
                        &point.code,
                        ("", ""),
                        m(
                            "更正已登记的点位: 导入后生成新版本",
                            "changes a registered point: importing creates a new version",
                        ),
                    );
                    StoredState::Changed
                }
            }
        } else {
            StoredState::Unknown
        };
        Some(ParsedPoint { row, point, stored })
    }
}
