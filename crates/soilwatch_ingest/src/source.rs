//! Readers: the raw rows of a CSV file (streamed, in UTF-8, UTF-8 with BOM or GBK/GB18030) or of
//! one sheet of a workbook (loaded whole), numbered as the spreadsheet shows them.

use std::fmt;
use std::io::{self, Cursor, Read};
use std::str::FromStr;

use calamine::{Data, Reader as _};
use csv::{ByteRecord, StringRecord};
use encoding_rs::GB18030;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{IngestError, IngestResult};

/// How many bytes are looked at to detect the encoding and the delimiter.
const SNIFF_BYTES: usize = 64 * 1024;

/// SHA-256 of the raw bytes of a file, lower-case hex: the content checksum that identifies a
/// file on re-import.
///
/// # Examples
/// ```
/// let sum = soilwatch_ingest::checksum(b"abc");
/// assert_eq!(sum, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
pub fn checksum(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// [`checksum`] of everything a reader yields, read in chunks (memory stays flat).
pub fn checksum_reader<R: Read>(mut reader: R) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A reader that hashes every byte that passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Comma-, semicolon- or tab-separated text.
    Csv,
    /// An Excel workbook (.xlsx, .xlsm, .xls) or an OpenDocument sheet (.ods).
    Xlsx,
}

impl FileFormat {
    /// Decide from the first bytes (a zip or OLE2 signature means a workbook), then from the
    /// file name's extension.
    pub fn detect(file_name: &str, first_bytes: &[u8]) -> FileFormat {
        if first_bytes.starts_with(b"PK\x03\x04")
            || first_bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
        {
            return FileFormat::Xlsx;
        }
        let lower = file_name.to_lowercase();
        if [".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            FileFormat::Xlsx
        } else {
            FileFormat::Csv
        }
    }
}

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, which includes GBK and GB2312 (what Excel and WPS write on Chinese Windows).
    Gb18030,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Gb18030 => "gb18030",
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for TextEncoding {
    type Err = IngestError;
    /// Accepts `utf-8`, `utf8`, `gbk`, `gb2312`, `gb18030`, `cp936` and the other WHATWG labels
    /// of those encodings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let label = s.trim().to_lowercase();
        match encoding_rs::Encoding::for_label(label.as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(TextEncoding::Utf8),
            Some(e) if e == encoding_rs::GBK || e == GB18030 => Ok(TextEncoding::Gb18030),
            _ => Err(IngestError::UnknownEncoding {
                label: s.to_owned(),
            }),
        }
    }
}

/// Detect the encoding of the first bytes of a text file. Returns the encoding and the length
/// of a byte-order mark to skip.
pub fn detect_encoding(prefix: &[u8], truncated: bool) -> IngestResult<(TextEncoding, usize)> {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((TextEncoding::Utf8, 3));
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return Err(IngestError::Utf16);
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => Ok((TextEncoding::Utf8, 0)),
        // a multi-byte character cut at the end of the sniffed prefix
        Err(e) if e.error_len().is_none() && truncated => Ok((TextEncoding::Utf8, 0)),
        Err(_) => Ok((TextEncoding::Gb18030, 0)),
    }
}

/// Choose the delimiter that occurs most often outside quotes in the first line.
fn detect_delimiter(prefix: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in prefix {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t'];
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        delims[best]
    }
}

/// The cells of one row as text: one string, and where each cell ends in it.
///
/// A CSV record is checked as UTF-8 once, whole (simdutf8), and copied in one piece; csv's
/// `StringRecord` checks field by field, which cost more than the rest of reading a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    text: String,
    ends: Vec<usize>,
}

impl Cells {
    /// The cell at a zero-based index (`None` past the last cell).
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every cell, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Add a cell at the end.
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// The same cells as a csv record.
    pub fn to_record(&self) -> StringRecord {
        StringRecord::from(self.iter().collect::<Vec<_>>())
    }

    /// Fill with the fields of a record whose bytes (`whole`) are valid UTF-8. False when a
    /// field boundary splits a character (that field alone is not valid UTF-8).
    fn fill_utf8(&mut self, rec: &ByteRecord, whole: &str) -> bool {
        self.clear();
        self.text.push_str(whole);
        for i in 0..rec.len() {
            match rec.range(i) {
                Some(r) if whole.is_char_boundary(r.start) && whole.is_char_boundary(r.end) => {
                    self.ends.push(r.end);
                }
                _ => return false,
            }
        }
        true
    }
}

impl<'a> FromIterator<&'a str> for Cells {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut cells = Cells::default();
        for c in iter {
            cells.push(c);
        }
        cells
    }
}

/// One row of the file as text.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Row number as the spreadsheet shows it (the first row is 1).
    pub row: u64,
    pub record: Cells,
    /// The row held bytes that are not valid in the file's encoding (replaced by U+FFFD).
    pub encoding_error: bool,
}

impl RawRow {
    /// True when every cell is blank.
    pub fn is_blank(&self) -> bool {
        self.record.iter().all(|f| f.trim().is_empty())
    }
}

type BoxRead<'r> = Box<dyn Read + Send + 'r>;

/// The sniffed prefix, then the rest of the input (hashed), then one newline (not hashed).
type CsvInput<'r> =
    io::Chain<io::Chain<Cursor<Vec<u8>>, HashingReader<BoxRead<'r>>>, &'static [u8]>;

/// CSV rows, streamed.
pub(crate) struct CsvRows<'r> {
    reader: csv::Reader<CsvInput<'r>>,
    encoding: TextEncoding,
    forced: bool,
    seen_non_ascii: bool,
    switched: bool,
    row: u64,
    /// Newlines inside quoted cells of the records so far (a spreadsheet shows such a record as
    /// one row).
    embedded_newlines: u64,
    file: String,
    done: bool,
    /// The record being read (its buffers reused from row to row).
    buf: ByteRecord,
    /// Cells handed back by the caller, filled again (no allocation per row).
    spare: Option<Cells>,
}

impl<'r> CsvRows<'r> {
    pub(crate) fn open(
        input: BoxRead<'r>,
        file: &str,
        forced: Option<TextEncoding>,
    ) -> IngestResult<Self> {
        let mut hashing = HashingReader {
            inner: input,
            hasher: Sha256::new(),
        };
        let mut prefix = Vec::with_capacity(SNIFF_BYTES);
        (&mut hashing)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut prefix)?;
        let truncated = prefix.len() == SNIFF_BYTES;
        let (detected, bom) = match forced {
            Some(TextEncoding::Utf8) if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) => {
                (TextEncoding::Utf8, 3)
            }
            Some(e) => (e, 0),
            None => detect_encoding(&prefix, truncated)?,
        };
        let delimiter = detect_delimiter(&prefix[bom..]);
        prefix.drain(..bom);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            // A final newline (not hashed) makes every record end with one, so the reader's
            // position after a record tells the record's last line.
            .from_reader(Cursor::new(prefix).chain(hashing).chain(&b"\n"[..]));
        Ok(CsvRows {
            reader,
            encoding: detected,
            forced: forced.is_some(),
            seen_non_ascii: false,
            switched: false,
            row: 0,
            embedded_newlines: 0,
            file: file.to_owned(),
            done: false,
            buf: ByteRecord::new(),
            spare: None,
        })
    }

    /// Hand back the cells of a row that has been dealt with: a later row is put into their
    /// buffers.
    pub(crate) fn recycle(&mut self, record: Cells) {
        self.spare = Some(record);
    }

    pub(crate) fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// True when the encoding was changed from UTF-8 to GB18030 after the sniffed prefix.
    pub(crate) fn switched_encoding(&self) -> bool {
        self.switched
    }

    /// Read what is left, then return the checksum of the whole input.
    pub(crate) fn finish(mut self) -> IngestResult<String> {
        let inner = self.reader.get_mut().get_mut().0.get_mut().1;
        io::copy(inner, &mut io::sink())?;
        let hasher = std::mem::take(&mut inner.hasher);
        Ok(hex(&hasher.finalize()))
    }

    /// The record just read (`self.buf`) as text; true when some bytes were not valid in the
    /// file's encoding (replaced by U+FFFD).
    fn decode(&mut self) -> (Cells, bool) {
        let mut out = self.spare.take().unwrap_or_default();
        out.clear();
        if self.encoding == TextEncoding::Utf8 {
            if let Ok(whole) = simdutf8::basic::from_utf8(self.buf.as_slice()) {
                if out.fill_utf8(&self.buf, whole) {
                    if !self.seen_non_ascii && !whole.is_ascii() {
                        self.seen_non_ascii = true;
                    }
                    return (out, false);
                }
                out.clear();
            }
            // Some field is not valid UTF-8.
            if !self.forced && !self.seen_non_ascii {
                // Everything so far was ASCII: the file is GBK/GB18030 after all.
                self.encoding = TextEncoding::Gb18030;
                self.switched = true;
                self.spare = Some(out);
                return self.decode();
            }
            for f in self.buf.iter() {
                out.push(&String::from_utf8_lossy(f));
            }
            return (out, true);
        }
        let mut bad = false;
        for f in self.buf.iter() {
            let (text, had_errors) = GB18030.decode_without_bom_handling(f);
            bad |= had_errors;
            out.push(&text);
        }
        (out, bad)
    }
}

impl Iterator for CsvRows<'_> {
    type Item = IngestResult<RawRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.buf) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                // csv skips blank lines; count them from the line the record ends on.
                let newlines = self.buf.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
                let end_line = self.reader.position().line().saturating_sub(1);
                let start_line = end_line.saturating_sub(newlines);
                self.row = start_line
                    .saturating_sub(self.embedded_newlines)
                    .max(self.row + 1);
                self.embedded_newlines += newlines;
                let (record, encoding_error) = self.decode();
                Some(Ok(RawRow {
                    row: self.row,
                    record,
                    encoding_error,
                }))
            }
            Err(e) => {
                self.done = true;
                Some(Err(IngestError::Csv {
                    file: self.file.clone(),
                    row: self.row + 1,
                    reason: e.to_string(),
                }))
            }
        }
    }
}

/// The rows of one sheet of a workbook, loaded whole.
pub(crate) struct SheetRows {
    rows: std::vec::IntoIter<RawRow>,
    pub(crate) sheet: String,
    /// Zero-based index of the sheet's first used column (column letters start there).
    pub(crate) first_col: u32,
}

impl SheetRows {
    pub(crate) fn open(bytes: Vec<u8>, file: &str, sheet: Option<&str>) -> IngestResult<Self> {
        let wb_err = |e: calamine::Error| IngestError::Workbook {
            file: file.to_owned(),
            reason: e.to_string(),
        };
        let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(wb_err)?;
        let names = wb.sheet_names();
        let name = match sheet {
            Some(s) => names
                .iter()
                .find(|n| n.as_str() == s || n.trim().eq_ignore_ascii_case(s.trim()))
                .cloned()
                .ok_or_else(|| IngestError::SheetNotFound {
                    file: file.to_owned(),
                    sheet: s.to_owned(),
                    available: names.join(", "),
                })?,
            None => names.first().cloned().ok_or_else(|| IngestError::Empty {
                file: file.to_owned(),
            })?,
        };
        let range = wb.worksheet_range(&name).map_err(wb_err)?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::with_capacity(range.height());
        for (i, cells) in range.rows().enumerate() {
            let mut record = Cells::default();
            let mut last_non_empty = 0;
            for (j, c) in cells.iter().enumerate() {
                if !matches!(c, Data::Empty) {
                    last_non_empty = j + 1;
                }
            }
            for c in &cells[..last_non_empty] {
                record.push(&cell_text(c));
            }
            rows.push(RawRow {
                row: u64::from(first_row) + i as u64 + 1,
                record,
                encoding_error: false,
            });
        }
        Ok(SheetRows {
            rows: rows.into_iter(),
            sheet: name,
            first_col,
        })
    }
}

impl Iterator for SheetRows {
    type Item = IngestResult<RawRow>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next().map(Ok)
    }
}

/// A cell as the text a person sees (numbers without float noise, dates as YYYY-MM-DD).
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => excel_serial_date(dt.as_f64()),
        Data::Error(e) => format!("#{e}"),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        // Display of f64 is the shortest text that reads back as the same number.
        format!("{f}")
    }
}

/// An Excel date serial (days since 1899-12-30, 1900 date system) as YYYY-MM-DD.
fn excel_serial_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid calendar date");
    let days = serial.floor();
    if !(0.0..=2_958_465.0).contains(&days) {
        return float_text(serial);
    }
    match base.checked_add_days(chrono::Days::new(days as u64)) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => float_text(serial),
    }
}

/// Spreadsheet column letters of a zero-based index (0 → A, 26 → AA).
pub fn column_letters(mut index: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8], forced: Option<TextEncoding>) -> (Vec<RawRow>, TextEncoding) {
        let mut src = CsvRows::open(Box::new(bytes), "t.csv", forced).unwrap();
        let rows: Vec<RawRow> = src.by_ref().map(|r| r.unwrap()).collect();
        (rows, src.encoding())
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let (r, e) = rows("样品编号,镉\nS1,0.3\n".as_bytes(), None);
        assert_eq!(e, TextEncoding::Utf8);
        assert_eq!(r[0].record.get(0).unwrap(), "样品编号");
        let (r, _) = rows("\u{feff}样品编号,镉\nS1,0.3\n".as_bytes(), None);
        assert_eq!(r[0].record.get(0).unwrap(), "样品编号");
        assert_eq!(r[1].row, 2);
    }

    #[test]
    fn gbk_is_detected() {
        let (bytes, _, _) = encoding_rs::GBK.encode("样品编号,介质\nS1,土壤\n");
        let (r, e) = rows(&bytes, None);
        assert_eq!(e, TextEncoding::Gb18030);
        assert_eq!(r[1].record.get(1).unwrap(), "土壤");
    }

    #[test]
    fn gbk_after_an_ascii_prefix_switches() {
        let mut text = String::from("sample_code,medium\n");
        for i in 0..10_000 {
            text.push_str(&format!("S{i},soil\n"));
        }
        text.push_str("S9,土壤\n");
        let (bytes, _, _) = encoding_rs::GBK.encode(&text);
        let mut src = CsvRows::open(Box::new(&bytes[..]), "t.csv", None).unwrap();
        let last = src.by_ref().last().unwrap().unwrap();
        assert_eq!(last.record.get(1).unwrap(), "土壤");
        assert!(!last.encoding_error);
        assert!(src.switched_encoding());
    }

    #[test]
    fn forced_encoding_and_labels() {
        assert_eq!(
            "GBK".parse::<TextEncoding>().unwrap(),
            TextEncoding::Gb18030
        );
        assert_eq!("utf8".parse::<TextEncoding>().unwrap(), TextEncoding::Utf8);
        assert!("latin-9x".parse::<TextEncoding>().is_err());
        let (bytes, _, _) = encoding_rs::GBK.encode("a,b\n土,壤\n");
        let (r, _) = rows(&bytes, Some(TextEncoding::Utf8));
        assert!(r[1].encoding_error);
    }

    #[test]
    fn a_character_split_by_a_delimiter_is_an_encoding_error() {
        // 土 is E5 9C 9F: split by a comma, the record's bytes without delimiters are valid
        // UTF-8 while its cells are not.
        let mut bytes = "样品编号,a,b\nS1,土,壤\nS2,".as_bytes().to_vec();
        bytes.extend_from_slice(&[0xE5, 0x9C, b',', 0x9F, b'\n']);
        bytes.extend_from_slice("S3,土,壤\n".as_bytes());
        let (r, _) = rows(&bytes, Some(TextEncoding::Utf8));
        assert!(!r[1].encoding_error);
        assert!(r[2].encoding_error);
        let cells: Vec<&str> = r[2].record.iter().collect();
        assert_eq!(cells, vec!["S2", "\u{FFFD}", "\u{FFFD}"]);
        // the next row reuses the buffers and is whole again
        assert!(!r[3].encoding_error);
        assert_eq!(
            r[3].record.iter().collect::<Vec<_>>(),
            vec!["S3", "土", "壤"]
        );
        assert_eq!(r[3].row, 4);
    }

    #[test]
    fn blank_lines_and_multiline_cells_keep_spreadsheet_rows() {
        let (r, _) = rows(b"a,b\n1,\"x\ny\"\n\n2,z\n", None);
        assert_eq!(r.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 2, 4]);
    }

    #[test]
    fn delimiters() {
        let (r, _) = rows(b"a;b;c\n1;2;3\n", None);
        assert_eq!(r[1].record.len(), 3);
        let (r, _) = rows(b"a\tb\n1\t2\n", None);
        assert_eq!(r[1].record.get(1).unwrap(), "2");
    }

    #[test]
    fn utf16_is_refused() {
        assert!(matches!(
            CsvRows::open(Box::new(&[0xFF, 0xFE, b'a', 0][..]), "t.csv", None),
            Err(IngestError::Utf16)
        ));
    }

    #[test]
    fn checksum_of_stream_equals_checksum_of_bytes() {
        let data = b"a,b\n1,2\n";
        let mut src = CsvRows::open(Box::new(&data[..]), "t.csv", None).unwrap();
        src.next();
        assert_eq!(src.finish().unwrap(), checksum(data));
        assert_eq!(checksum_reader(&data[..]).unwrap(), checksum(data));
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn excel_dates_and_floats() {
        assert_eq!(excel_serial_date(45292.0), "2024-01-01");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(20.0), "20");
        assert_eq!(float_text(1e-7), "0.0000001");
    }
}
