//! The crate's one error type. Every message is bilingual (Chinese / English) and names the
//! offending item, value or line, and what was expected.

use rust_decimal::Decimal;

/// Result alias for the standards engine.
pub type StandardsResult<T> = Result<T, StandardsError>;

/// What can go wrong when loading rulesets, building overlays or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum StandardsError {
    /// No ruleset with this id.
    #[error("未知的标准 / unknown ruleset '{id}' (known: {known})")]
    UnknownRuleset { id: String, known: String },

    /// The ruleset exists but cannot do what was asked (e.g. GB 3838 for farmland soil).
    #[error("标准不适用 / ruleset '{id}' cannot be used for {purpose}")]
    WrongRuleset { id: String, purpose: &'static str },

    /// A data file of a ruleset (embedded or an overlay) has a bad row.
    #[error("标准数据错误 / ruleset data '{file}', line {line}: {reason}")]
    Data {
        file: String,
        line: u64,
        reason: String,
    },

    /// A local value is laxer than the national value it overlays: refused.
    #[error("地方标准值宽于国家标准，已拒绝 / local value refused because it is laxer than the national value: {item} ({scope}): local {local} {unit} > national {national} {unit}")]
    LaxerThanNational {
        item: String,
        scope: String,
        local: Decimal,
        national: Decimal,
        unit: String,
    },

    /// A value the evaluation needs is missing or invalid (e.g. a pH outside 0–14).
    #[error("无效的输入 / invalid input {field} '{value}': {expected}")]
    InvalidInput {
        field: &'static str,
        value: String,
        expected: String,
    },

    /// An error of the domain layer (unknown unit, land use, analyte, …).
    #[error(transparent)]
    Core(#[from] soilwatch_core::CoreError),

    /// The batch input could not be read at all (not a CSV, missing required column, I/O).
    #[error("无法读取输入文件 / cannot read the input: {reason}")]
    Input { reason: String },

    /// The output could not be written.
    #[error("无法写入输出 / cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}
