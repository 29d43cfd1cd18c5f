//! Record tables (issue 8): files with one record per row — the registries' contaminated plots,
//! key enterprises, tailings ponds, remediation projects and transfer manifests. The same
//! readers as the sample files (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; XLSX, first sheet
//! or a named one), the same header rules (Chinese, English or both in one cell, a leading `*`,
//! spaces, `_` and `-` ignored; a units row skipped) and the same bilingual [`Report`]; what the
//! columns mean and how a value is checked is the caller's (the store owns the registries).
//!
//! [`read_table`] gives every data row as text cells by column of the [`TableSpec`];
//! [`Table::issue`] adds an issue naming file, sheet, row (the header is row 1), column as written
//! in the file with its letter, the value and what was expected.

use std::collections::HashMap;
use std::io::Cursor;

use crate::error::{IngestError, IngestResult};
use crate::ingest::ParseOptions;
use crate::mapping::{norm_header, split_unit};
use crate::report::{Issue, Report, Rule, Severity};
use crate::source::{column_letters, CsvRows, FileFormat, RawRow, SheetRows, TextEncoding};

/// One column a record table may have.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    /// Stable key (the English header, `snake_case`).
    pub key: &'static str,
    /// Chinese header written in templates.
    pub cn: &'static str,
    /// Other accepted spellings (Chinese or English).
    pub aliases: &'static [&'static str],
    /// The column must be in the file and its cells not blank.
    pub required: bool,
    /// What a cell holds, for the template's note and the report (Chinese, English).
    pub hint: (&'static str, &'static str),
    /// The values a drop-down list offers in the XLSX template (empty: free text).
    pub choices: Vec<String>,
    /// The example row's cell.
    pub example: String,
}

impl ColumnSpec {
    /// A column with no choices and no example.
    pub fn new(
        key: &'static str,
        cn: &'static str,
        aliases: &'static [&'static str],
        required: bool,
        hint: (&'static str, &'static str),
    ) -> Self {
        ColumnSpec {
            key,
            cn,
            aliases,
            required,
            hint,
            choices: Vec::new(),
            example: String::new(),
        }
    }

    pub fn example(mut self, e: impl Into<String>) -> Self {
        self.example = e.into();
        self
    }

    pub fn choices(mut self, c: Vec<String>) -> Self {
        self.choices = c;
        self
    }

    /// The bilingual header of templates: `中文/english`.
    pub fn header(&self) -> String {
        format!("{}/{}", self.cn, self.key)
    }
}

/// The columns of one kind of record table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Kind code (`enterprises`, …).
    pub kind: &'static str,
    pub name_cn: &'static str,
    pub name_en: &'static str,
    pub columns: Vec<ColumnSpec>,
}

impl TableSpec {
    /// Index of a column key in [`TableSpec::columns`].
    pub fn index(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    fn lookup(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (i, c) in self.columns.iter().enumerate() {
            for name in [c.cn, c.key].into_iter().chain(c.aliases.iter().copied()) {
                m.insert(norm_header(name), i);
            }
        }
        m
    }

    /// The spec column a header cell names: the whole text, then each half of a bilingual
    /// header (`企业名称/name`, two lines in one cell) when both halves agree.
    fn column_of(&self, lookup: &HashMap<String, usize>, header: &str) -> Option<usize> {
        let (base, _) = split_unit(header);
        for candidate in [header, base] {
            if let Some(i) = lookup.get(&norm_header(candidate)) {
                return Some(*i);
            }
        }
        let parts: Vec<Option<usize>> = base
            .split(['/', '\n', '\r', '|', '／'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| lookup.get(&norm_header(p)).copied())
            .collect();
        let known: Vec<usize> = parts.iter().flatten().copied().collect();
        match known.first() {
            Some(first) if parts.len() > 1 && known.iter().all(|k| k == first) => Some(*first),
            _ => None,
        }
    }
}

/// One data row: the text of each spec column (`None` when the file has no such column).
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// Row number as the spreadsheet shows it (header = 1).
    pub row: u64,
    pub cells: Vec<Option<String>>,
}

impl TableRow {
    /// The trimmed cell of a column; `None` when the column is absent or the cell blank.
    pub fn get(&self, spec: &TableSpec, key: &str) -> Option<&str> {
        let i = spec.index(key)?;
        self.cells
            .get(i)?
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// A file read as a record table.
#[derive(Debug, Clone)]
pub struct Table {
    pub spec: TableSpec,
    pub report: Report,
    pub rows: Vec<TableRow>,
    /// For each spec column: its index in the file and its header as written.
    columns: Vec<Option<(usize, String)>>,
    first_col: u32,
}

impl Table {
    /// Whether the file has a column.
    pub fn has(&self, key: &str) -> bool {
        self.spec
            .index(key)
            .and_then(|i| self.columns[i].as_ref())
            .is_some()
    }

    /// Add an issue about a cell (`key` names the column; `None` for the whole row).
    #[expect(clippy::too_many_arguments, reason = "every issue names all of these")]
    pub fn issue(
        &mut self,
        severity: Severity,
        rule: Rule,
        row: u64,
        key: Option<&str>,
        value: &str,
        expected: (&str, &str),
        message: (String, String),
    ) {
        let col = key
            .and_then(|k| self.spec.index(k))
            .and_then(|i| self.columns[i].clone());
        let (column, letter) = match (col, key) {
            (Some((idx, header)), _) => (
                Some(header),
                Some(column_letters(self.first_col + idx as u32)),
            ),
            (None, Some(k)) => (
                self.spec.index(k).map(|i| self.spec.columns[i].header()),
                None,
            ),
            (None, None) => (None, None),
        };
        self.report.push(Issue {
            severity,
            rule,
            file: self.report.file.clone(),
            sheet: self.report.sheet.clone(),
            row: Some(row),
            column,
            column_letter: letter,
            value: value.to_owned(),
            expected_cn: expected.0.to_owned(),
            expected_en: expected.1.to_owned(),
            message_cn: message.0,
            message_en: message.1,
        });
    }

    /// An error about a cell.
    pub fn error(
        &mut self,
        rule: Rule,
        row: u64,
        key: Option<&str>,
        value: &str,
        expected: (&str, &str),
        message: (String, String),
    ) {
        self.issue(Severity::Error, rule, row, key, value, expected, message);
    }
}

fn fatal(e: &IngestError, opts: &ParseOptions, spec: TableSpec) -> Table {
    Table {
        spec,
        report: Report::from_fatal(e, opts),
        rows: Vec::new(),
        columns: Vec::new(),
        first_col: 0,
    }
}

/// Read a file as a record table: find the header (within the first rows; titles above it are
/// skipped), map its cells to the spec's columns, collect the data rows. Unknown columns are
/// warnings; missing required columns, unreadable bytes and a file without data rows are errors.
pub fn read_table(bytes: &[u8], opts: &ParseOptions, spec: TableSpec) -> Table {
    let format = opts
        .format
        .unwrap_or_else(|| FileFormat::detect(&opts.file_name, bytes));
    let mut report = Report::new(&opts.file_name, opts.max_issues);
    report.format = Some(format);
    report.checksum = Some(crate::checksum(bytes));
    let (rows, sheet, first_col): (Box<dyn Iterator<Item = IngestResult<RawRow>>>, _, _) =
        match format {
            FileFormat::Csv => {
                match CsvRows::open(
                    Box::new(Cursor::new(bytes.to_vec())),
                    &opts.file_name,
                    opts.encoding,
                ) {
                    Ok(c) => {
                        report.encoding = Some(c.encoding());
                        (Box::new(c), None, 0)
                    }
                    Err(e) => return fatal(&e, opts, spec),
                }
            }
            FileFormat::Xlsx => {
                match SheetRows::open(bytes.to_vec(), &opts.file_name, opts.sheet.as_deref()) {
                    Ok(s) => {
                        let name = s.sheet.clone();
                        let first = s.first_col;
                        (Box::new(s), Some(name), first)
                    }
                    Err(e) => return fatal(&e, opts, spec),
                }
            }
        };
    report.sheet = sheet;
    let lookup = spec.lookup();
    let mut table = Table {
        columns: vec![None; spec.columns.len()],
        spec,
        report,
        rows: Vec::new(),
        first_col,
    };
    let mut header: Option<u64> = None;
    let mut searched = 0;
    for row in rows {
        let row: RawRow = match row {
            Ok(r) => r,
            Err(e) => {
                let spec = table.spec.clone();
                return fatal(&e, opts, spec);
            }
        };
        if row.is_blank() {
            continue;
        }
        if header.is_none() {
            searched += 1;
            let map: Vec<Option<usize>> = row
                .record
                .iter()
                .map(|h| table.spec.column_of(&lookup, h))
                .collect();
            let found = map.iter().flatten().count();
            if found >= 2 || (found == 1 && row.record.len() == 1) {
                for (i, m) in map.iter().enumerate() {
                    let text = row.record.get(i).unwrap_or_default().trim().to_owned();
                    match m {
                        Some(c) if table.columns[*c].is_none() => {
                            table.columns[*c] = Some((i, text));
                        }
                        Some(_) => table.issue(
                            Severity::Error,
                            Rule::Mapping,
                            row.row,
                            None,
                            &text,
                            ("每列只出现一次", "each column once"),
                            (
                                format!("列“{text}”重复"),
                                format!("column '{text}' is given twice"),
                            ),
                        ),
                        None if !text.is_empty() => {
                            table.report.push(Issue {
                                severity: Severity::Warning,
                                rule: Rule::UnknownColumn,
                                file: table.report.file.clone(),
                                sheet: table.report.sheet.clone(),
                                row: Some(row.row),
                                column: Some(text.clone()),
                                column_letter: Some(column_letters(first_col + i as u32)),
                                value: text.clone(),
                                expected_cn: "已知的列名".into(),
                                expected_en: "a known column".into(),
                                message_cn: "无法识别的列, 已忽略".into(),
                                message_en: "unknown column, ignored".into(),
                            });
                        }
                        None => {}
                    }
                }
                header = Some(row.row);
            } else if searched >= 10 {
                break;
            }
            continue;
        }
        // A units row right under the header (`单位/unit`) is skipped.
        if crate::mapping::is_units_cells(row.record.iter()) {
            continue;
        }
        table.report.rows_read += 1;
        if opts.max_rows > 0 && table.report.rows_read > opts.max_rows as u64 {
            let max = opts.max_rows;
            table.error(
                Rule::Range,
                row.row,
                None,
                "",
                ("更少的数据行", "fewer data rows"),
                (
                    format!("文件超过{max}行数据（在第{}行超出），未导入任何内容", row.row),
                    format!(
                        "the file has more than {max} data rows (limit passed at row {}); nothing was imported",
                        row.row
                    ),
                ),
            );
            break;
        }
        if row.encoding_error {
            let enc = table.report.encoding.map_or("utf-8", TextEncoding::label);
            table.error(
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
        let mut cells = vec![None; table.spec.columns.len()];
        for (c, col) in table.columns.iter().enumerate() {
            if let Some((i, _)) = col {
                cells[c] = Some(row.record.get(*i).unwrap_or_default().to_owned());
            }
        }
        table.rows.push(TableRow {
            row: row.row,
            cells,
        });
    }
    match header {
        None => {
            let expected: Vec<String> = table.spec.columns.iter().map(ColumnSpec::header).collect();
            let e = IngestError::Mapping {
                file: opts.file_name.clone(),
                reason: format!(
                    "找不到{}表头 / no header of {} found",
                    table.spec.name_cn, table.spec.name_en
                ),
                unknown: String::new(),
                expected: expected.join(", "),
            };
            let spec = table.spec.clone();
            return fatal(&e, opts, spec);
        }
        Some(header_row) => {
            let missing: Vec<String> = table
                .spec
                .columns
                .iter()
                .zip(&table.columns)
                .filter(|(c, found)| c.required && found.is_none())
                .map(|(c, _)| c.header())
                .collect();
            if !missing.is_empty() {
                let m = missing.join(", ");
                table.error(
                    Rule::Mapping,
                    header_row,
                    None,
                    "",
                    ("必填列", "the required columns"),
                    (
                        format!("缺少必填列：{m}"),
                        format!("required columns missing: {m}"),
                    ),
                );
            }
            if table.rows.is_empty() {
                table.error(
                    Rule::NoData,
                    header_row,
                    None,
                    "",
                    ("至少一行数据", "at least one data row"),
                    ("文件没有数据行".into(), "the file has no data rows".into()),
                );
            }
        }
    }
    table
}

/// Write a record-table template: row 1 the bilingual headers (`中文/english`, a leading `*` on
/// required columns), row 2 an example row. The XLSX has a drop-down list on every column with
/// choices (from a hidden sheet `选项lists`) and text-formatted cells (codes keep their leading
/// zeros); the CSV is UTF-8 with BOM. Both read back through [`read_table`].
pub fn table_template(spec: &TableSpec, format: crate::TemplateFormat) -> Vec<u8> {
    let headers: Vec<String> = spec
        .columns
        .iter()
        .map(|c| {
            if c.required {
                format!("*{}", c.header())
            } else {
                c.header()
            }
        })
        .collect();
    let example: Vec<String> = spec.columns.iter().map(|c| c.example.clone()).collect();
    match format {
        crate::TemplateFormat::Csv => {
            let mut out = vec![0xEF, 0xBB, 0xBF];
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(&headers)
                    .expect("writing CSV to memory cannot fail");
                w.write_record(&example)
                    .expect("writing CSV to memory cannot fail");
                w.flush().expect("writing CSV to memory cannot fail");
            }
            out
        }
        crate::TemplateFormat::Xlsx => xlsx_table_template(spec, &headers, &example)
            .expect("an in-memory workbook of fixed content is always writable (tested)"),
    }
}

fn xlsx_table_template(
    spec: &TableSpec,
    headers: &[String],
    example: &[String],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DataValidation, Format, Formula, Note, Workbook};
    const LAST_ROW: u32 = 10_000;
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_text_wrap();
    let grey = Format::new().set_font_color("#808080");
    let text = Format::new().set_num_format("@");
    let listed: Vec<&ColumnSpec> = spec
        .columns
        .iter()
        .filter(|c| !c.choices.is_empty())
        .collect();
    {
        let ws = wb.add_worksheet().set_name("数据data")?;
        for (c, col) in spec.columns.iter().enumerate() {
            let c16 = c as u16;
            ws.write_string_with_format(0, c16, &headers[c], &head)?;
            ws.insert_note(
                0,
                c16,
                &Note::new(format!("{} / {}", col.hint.0, col.hint.1)).set_author("soilwatch"),
            )?;
            ws.set_column_width(c16, 16)?;
            ws.set_column_format(c16, &text)?;
            if let Some(idx) = listed.iter().position(|l| l.key == col.key) {
                let letter = column_letters(idx as u32);
                let dv = DataValidation::new()
                    .allow_list_formula(Formula::new(format!(
                        "=选项lists!${letter}$2:${letter}${}",
                        col.choices.len() + 1
                    )))
                    .ignore_blank(true);
                ws.add_data_validation(1, c16, LAST_ROW, c16, &dv)?;
            }
            ws.write_string_with_format(1, c16, &example[c], &grey)?;
        }
        ws.set_freeze_panes(1, 1)?;
        ws.set_row_height(0, 30)?;
    }
    let ls = wb.add_worksheet().set_name("选项lists")?;
    for (c, col) in listed.iter().enumerate() {
        ls.write_string(0, c as u16, col.header())?;
        for (r, v) in col.choices.iter().enumerate() {
            ls.write_string(r as u32 + 1, c as u16, v)?;
        }
    }
    ls.set_hidden(true);
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TableSpec {
        TableSpec {
            kind: "things",
            name_cn: "事物",
            name_en: "things",
            columns: vec![
                ColumnSpec::new("code", "编码", &["编号"], true, ("编码", "code")),
                ColumnSpec::new("name", "名称", &[], true, ("名称", "name")),
                ColumnSpec::new("note", "备注", &[], false, ("备注", "note")),
            ],
        }
    }

    #[test]
    fn bilingual_headers_titles_and_units_rows() {
        let csv = "某某登记表\n编号,名称/name,颜色\n单位/unit,,\nA1,甲,红\n,,\nA2,乙,蓝\n";
        let opts = ParseOptions::new("t.csv", chrono::NaiveDate::MIN);
        let t = read_table(csv.as_bytes(), &opts, spec());
        assert!(!t.report.has_errors(), "{:?}", t.report.issues);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].row, 4);
        assert_eq!(t.rows[1].row, 6);
        assert_eq!(t.rows[1].get(&t.spec, "name"), Some("乙"));
        assert_eq!(t.rows[1].cells[2], None);
        assert!(!t.has("note"));
        let unknown: Vec<_> = t.report.of_rule(Rule::UnknownColumn).collect();
        assert_eq!(unknown[0].column_letter.as_deref(), Some("C"));
    }

    #[test]
    fn missing_required_column_is_an_error() {
        let opts = ParseOptions::new("t.csv", chrono::NaiveDate::MIN);
        let t = read_table("code,note\nA,b\n".as_bytes(), &opts, spec());
        let e: Vec<_> = t.report.of_rule(Rule::Mapping).collect();
        assert!(e[0].message_en.contains("名称/name"), "{e:?}");
    }
}
