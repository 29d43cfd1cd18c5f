//! Errors that stop a file from being read at all. Problems inside a readable file are not
//! errors of this kind: they are [`Issue`](crate::Issue)s in the [`Report`](crate::Report).

use std::io;

/// Result alias for the ingest crate.
pub type IngestResult<T> = Result<T, IngestError>;

/// Why a file (or a report, or a template) could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("读取文件失败 / cannot read the file: {0}")]
    Io(#[from] io::Error),
    #[error("无法识别的文件格式 / unrecognised file format of '{file}': expected .csv (UTF-8, UTF-8 with BOM, GBK/GB18030) or .xlsx/.xls")]
    UnknownFormat { file: String },
    #[error("无法识别的字符编码 / unknown encoding '{label}': expected utf-8, gbk or gb18030")]
    UnknownEncoding { label: String },
    #[error("不支持UTF-16编码的文本 / UTF-16 text is not supported: save the sheet as 'CSV UTF-8' or as .xlsx")]
    Utf16,
    #[error("无法读取工作簿 / cannot read the workbook '{file}': {reason} (is it a real .xlsx saved by Excel or WPS?)")]
    Workbook { file: String, reason: String },
    #[error("工作表不存在 / sheet '{sheet}' not found in '{file}': the workbook has {available}")]
    SheetNotFound {
        file: String,
        sheet: String,
        available: String,
    },
    #[error("CSV格式错误 / malformed CSV in '{file}' at row {row}: {reason}")]
    Csv {
        file: String,
        row: u64,
        reason: String,
    },
    #[error("文件为空或没有表头 / '{file}' is empty: the first row must be the header")]
    Empty { file: String },
    #[error("无法确定表头映射 / cannot map the header of '{file}': {reason}; unknown headers: [{unknown}]; expected headers include: {expected}")]
    Mapping {
        file: String,
        reason: String,
        unknown: String,
        expected: String,
    },
    #[error("无效的行政区划边界 / invalid division boundaries: {0}")]
    Boundaries(String),
    #[error("写出报告失败 / cannot write the report: {0}")]
    Write(String),
}

impl From<csv::Error> for IngestError {
    fn from(e: csv::Error) -> Self {
        IngestError::Write(e.to_string())
    }
}

impl From<rust_xlsxwriter::XlsxError> for IngestError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        IngestError::Write(e.to_string())
    }
}

impl From<serde_json::Error> for IngestError {
    fn from(e: serde_json::Error) -> Self {
        IngestError::Write(e.to_string())
    }
}
