//! The validation report: every issue names the file, sheet, row (as the spreadsheet shows it),
//! column, the value found and what was expected, in Chinese and English, with a severity.
//! Errors block an import; warnings do not. Written as CSV (UTF-8 with BOM, for Excel), XLSX or
//! JSON.

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook};
use serde::{Deserialize, Serialize};

use crate::error::IngestResult;
use crate::mapping::DataKind;
use crate::source::{FileFormat, TextEncoding};

/// How bad an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 错误: the file is rejected.
    Error,
    /// 警告: worth a look, does not block.
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误/error",
            Severity::Warning => "警告/warning",
        }
    }
}

/// Which rule an issue comes from (stable codes, for filtering and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The file could not be read at all.
    Unreadable,
    /// The header could not be mapped.
    Mapping,
    /// A column that is not used.
    UnknownColumn,
    /// Bytes not valid in the file's encoding.
    Encoding,
    /// A required cell is blank.
    Required,
    /// Not a number.
    Number,
    /// A number out of its range (negative concentration, > 100 %).
    Range,
    /// pH outside 0–14.
    PhRange,
    /// Not a real date.
    Date,
    /// A date after today.
    FutureDate,
    /// Bad depth or depth range.
    Depth,
    UnknownAnalyte,
    /// Unknown unit, or missing unit.
    Unit,
    /// A unit of the wrong dimension for the medium and analyte (mg/L for soil).
    UnitMismatch,
    Medium,
    LandUse,
    PointType,
    ControlLevel,
    /// Malformed division code, or one outside the prefecture.
    Division,
    /// Qualifier cell unreadable.
    Qualifier,
    /// Detection limit and qualifier/value disagree.
    DetectionLimit,
    /// A coordinate that cannot be read or is outside China.
    Coordinate,
    /// Longitude and latitude look swapped.
    CoordinatesSwapped,
    OutsidePrefecture,
    OutsideCounty,
    /// A sample code used twice in the file (or with different details).
    DuplicateSample,
    /// The same analyte twice for one sample.
    DuplicateResult,
    DuplicatePoint,
    /// Point code not registered (needs the store).
    UnknownPoint,
    /// Division code not registered (needs the store).
    UnknownDivision,
    /// A sample code already stored with different content (needs the store).
    StoredSampleConflict,
    /// A result already stored with another value: importing creates a new version.
    StoredResultChanged,
    /// A point already stored with other details: importing creates a new version.
    StoredPointChanged,
    /// Value far above the typical threshold: likely a unit error.
    LikelyUnitError,
    /// The file has no data rows.
    NoData,
    /// A record table (issue 8): a value or record the registry's own checks refuse (a bad
    /// USCC check character, an unknown status, a lifecycle step out of order, a manifest
    /// filed after its departure).
    RegistryRule,
    /// A record table: the same record (code, USCC) twice in the file.
    DuplicateRecord,
    /// A record table: a plot, project or division that is not registered (needs the store).
    UnknownReference,
    /// A record table: a record outside the importer's area (a county officer imports only
    /// records of their county).
    OutsideArea,
    /// A record table: a stored record that the file changes (a new version in its history).
    StoredRecordChanged,
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub rule: Rule,
    pub file: String,
    pub sheet: Option<String>,
    /// Row as the spreadsheet shows it (header = 1); `None` for the whole file.
    pub row: Option<u64>,
    /// Column header as written in the file.
    pub column: Option<String>,
    /// Column letter (A, B, …, AA).
    pub column_letter: Option<String>,
    /// The value found.
    pub value: String,
    pub expected_cn: String,
    pub expected_en: String,
    pub message_cn: String,
    pub message_en: String,
}

/// A rule that was not applied, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedRule {
    pub rule: Rule,
    pub reason_cn: String,
    pub reason_en: String,
}

/// The outcome of validating one file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Report {
    pub file: String,
    pub sheet: Option<String>,
    pub format: Option<FileFormat>,
    pub encoding: Option<TextEncoding>,
    pub kind: Option<DataKind>,
    /// SHA-256 of the raw bytes.
    pub checksum: Option<String>,
    /// Data rows read (not counting header, units row and blank rows).
    pub rows_read: u64,
    /// Data rows without errors.
    pub rows_valid: u64,
    /// Results (or points) equal to what is stored already.
    pub unchanged: u64,
    /// Results (or points) that change what is stored (new versions).
    pub changed: u64,
    pub errors: u64,
    pub warnings: u64,
    /// Issues in file order (up to the cap; the counts above are complete).
    pub issues: Vec<Issue>,
    /// Issues counted but not listed because of the cap.
    pub issues_not_listed: u64,
    pub skipped_rules: Vec<SkippedRule>,
    #[serde(skip)]
    pub(crate) max_issues: usize,
}

impl Report {
    pub(crate) fn new(file: &str, max_issues: usize) -> Self {
        Report {
            file: file.to_owned(),
            max_issues,
            ..Report::default()
        }
    }

    /// True when the file must be rejected.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Issues of one rule.
    pub fn of_rule(&self, rule: Rule) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(move |i| i.rule == rule)
    }

    pub(crate) fn push(&mut self, issue: Issue) {
        match issue.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.max_issues == 0 || self.issues.len() < self.max_issues {
            self.issues.push(issue);
        } else {
            self.issues_not_listed += 1;
        }
    }

    /// A one-line summary in Chinese and English.
    pub fn summary(&self) -> String {
        format!(
            "{}: 读取{}行, 有效{}行, 错误{}个, 警告{}个 / {} rows read, {} valid, {} errors, {} warnings",
            self.file, self.rows_read, self.rows_valid, self.errors, self.warnings, self.rows_read, self.rows_valid, self.errors, self.warnings
        )
    }

    const HEADERS: [&'static str; 12] = [
        "严重程度/severity",
        "规则/rule",
        "文件/file",
        "工作表/sheet",
        "行/row",
        "列/column",
        "列号/column letter",
        "值/value",
        "应为/expected",
        "expected",
        "说明",
        "message",
    ];

    fn issue_cells(i: &Issue) -> [String; 12] {
        [
            i.severity.label().to_owned(),
            serde_json::to_value(i.rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            i.file.clone(),
            i.sheet.clone().unwrap_or_default(),
            i.row.map(|r| r.to_string()).unwrap_or_default(),
            i.column.clone().unwrap_or_default(),
            i.column_letter.clone().unwrap_or_default(),
            i.value.clone(),
            i.expected_cn.clone(),
            i.expected_en.clone(),
            i.message_cn.clone(),
            i.message_en.clone(),
        ]
    }

    fn skipped_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &self.skipped_rules {
            lines.push(format!("{} / {}", s.reason_cn, s.reason_en));
        }
        if self.issues_not_listed > 0 {
            lines.push(format!(
                "另有{}个问题未列出 / {} more issues not listed",
                self.issues_not_listed, self.issues_not_listed
            ));
        }
        lines
    }

    /// Write as CSV, UTF-8 with a byte-order mark so Excel shows Chinese correctly. Skipped
    /// rules follow as rows of severity `说明/note`.
    pub fn write_csv<W: Write>(&self, mut out: W) -> IngestResult<()> {
        out.write_all(&[0xEF, 0xBB, 0xBF])?;
        let mut w = csv::Writer::from_writer(out);
        w.write_record(Self::HEADERS)?;
        for i in &self.issues {
            w.write_record(Self::issue_cells(i))?;
        }
        for line in self.skipped_lines() {
            let mut cells = vec![String::new(); 12];
            cells[0] = "说明/note".into();
            cells[2] = self.file.clone();
            cells[10] = line;
            w.write_record(&cells)?;
        }
        w.flush()?;
        Ok(())
    }

    /// The CSV report as bytes.
    pub fn to_csv_bytes(&self) -> IngestResult<Vec<u8>> {
        let mut buf = Vec::new();
        self.write_csv(&mut buf)?;
        Ok(buf)
    }

    /// The report as an XLSX workbook: sheet `问题issues` with one issue per row (errors in red),
    /// sheet `摘要summary` with the counts and skipped rules.
    pub fn to_xlsx_bytes(&self) -> IngestResult<Vec<u8>> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold().set_background_color("#DDEBF7");
        let red = Format::new().set_font_color("#C00000");
        let ws = wb.add_worksheet().set_name("问题issues")?;
        for (c, h) in Self::HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, i) in self.issues.iter().enumerate() {
            let row = r as u32 + 1;
            for (c, cell) in Self::issue_cells(i).iter().enumerate() {
                if c == 4 && i.row.is_some() {
                    ws.write_number(row, c as u16, i.row.unwrap_or_default() as f64)?;
                } else if i.severity == Severity::Error && c == 0 {
                    ws.write_string_with_format(row, c as u16, cell, &red)?;
                } else {
                    ws.write_string(row, c as u16, cell)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, self.issues.len() as u32, 11)?;
        for (c, width) in [12, 22, 20, 12, 6, 18, 8, 18, 30, 30, 40, 40]
            .iter()
            .enumerate()
        {
            ws.set_column_width(c as u16, *width)?;
        }
        let s = wb.add_worksheet().set_name("摘要summary")?;
        let rows: Vec<(String, String)> = vec![
            ("文件/file".into(), self.file.clone()),
            (
                "工作表/sheet".into(),
                self.sheet.clone().unwrap_or_default(),
            ),
            (
                "类型/kind".into(),
                self.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
            ),
            (
                "校验和/sha256".into(),
                self.checksum.clone().unwrap_or_default(),
            ),
            ("读取行数/rows read".into(), self.rows_read.to_string()),
            ("有效行数/rows valid".into(), self.rows_valid.to_string()),
            ("错误/errors".into(), self.errors.to_string()),
            ("警告/warnings".into(), self.warnings.to_string()),
            ("未变/unchanged".into(), self.unchanged.to_string()),
            ("更正/changed".into(), self.changed.to_string()),
        ];
        for (r, (k, v)) in rows.iter().enumerate() {
            s.write_string_with_format(r as u32, 0, k, &bold)?;
            s.write_string(r as u32, 1, v)?;
        }
        for (n, line) in self.skipped_lines().iter().enumerate() {
            s.write_string((rows.len() + 1 + n) as u32, 0, line)?;
        }
        s.set_column_width(0, 24)?;
        s.set_column_width(1, 70)?;
        Ok(wb.save_to_buffer()?)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> IngestResult<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}
