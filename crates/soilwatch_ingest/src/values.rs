//! Cell parsers: numbers, result values with non-detect markers, dates, coordinates in decimal
//! degrees or degrees-minutes-seconds, depth ranges. Pure functions, tested value by value.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Replace full-width digits and punctuation by their ASCII forms and trim.
pub(crate) fn ascii_fold(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    if t.is_ascii() {
        return std::borrow::Cow::Borrowed(t);
    }
    std::borrow::Cow::Owned(
        t.chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' | '。' => '.',
                '－' | '—' | '–' | '−' => '-',
                '＋' => '+',
                '＜' => '<',
                '＞' => '>',
                '～' | '〜' => '~',
                '，' => ',',
                'Ｅ' => 'E',
                'ｅ' => 'e',
                'Ｌ' => 'L',
                '\u{a0}' | '\u{3000}' => ' ',
                _ => c,
            })
            .collect::<String>()
            .trim()
            .to_owned(),
    )
}

/// A decimal number, plain or scientific (`0.25`, `1.2e-3`, `+3`, full-width digits).
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let t = ascii_fold(s);
    let t = t.strip_prefix('+').unwrap_or(&t);
    if t.is_empty() {
        return None;
    }
    Decimal::from_str(t).ok().or_else(|| {
        if t.contains(['e', 'E']) {
            Decimal::from_scientific(t).ok()
        } else {
            None
        }
    })
}

/// What a result value cell says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueCell {
    /// Blank.
    Empty,
    /// `/`, `-`, `—`, `未测`: the item was not measured (wide form: no result).
    NotMeasured,
    /// A number (may be negative: the range check reports it).
    Number(Decimal),
    /// `<0.01`, `＜0.01`, `0.01L` (the Chinese lab convention), `ND(0.01)`: not detected, with
    /// the detection limit given in the cell.
    BelowLimit(Decimal),
    /// `ND`, `N.D.`, `未检出`, `<DL`, `<`: not detected, detection limit elsewhere.
    NonDetect,
    /// Anything else.
    Invalid,
}

/// Parse a result value cell.
///
/// # Examples
/// ```
/// use rust_decimal::Decimal;
/// use soilwatch_ingest::values::{parse_value_cell, ValueCell};
/// assert_eq!(parse_value_cell("<0.01"), ValueCell::BelowLimit(Decimal::new(1, 2)));
/// assert_eq!(parse_value_cell("0.05L"), ValueCell::BelowLimit(Decimal::new(5, 2)));
/// assert_eq!(parse_value_cell("未检出"), ValueCell::NonDetect);
/// assert_eq!(parse_value_cell("0.30"), ValueCell::Number(Decimal::new(30, 2)));
/// ```
pub fn parse_value_cell(s: &str) -> ValueCell {
    let t = ascii_fold(s);
    if t.is_empty() {
        return ValueCell::Empty;
    }
    if let Some(v) = parse_decimal(&t) {
        return ValueCell::Number(v);
    }
    let lower = t.to_lowercase();
    match lower.as_str() {
        "/" | "-" | "--" | "—" | "未测" | "未检测" | "not measured" | "n/a" | "na" => {
            return ValueCell::NotMeasured
        }
        "nd" | "n.d." | "n.d" | "未检出" | "<dl" | "<lod" | "<" | "bdl" | "not detected" | "l" => {
            return ValueCell::NonDetect
        }
        _ => {}
    }
    if let Some(rest) = lower.strip_prefix("<=").or_else(|| lower.strip_prefix('<')) {
        if let Some(v) = parse_decimal(rest) {
            return ValueCell::BelowLimit(v);
        }
    }
    if let Some(rest) = lower.strip_suffix('l') {
        if let Some(v) = parse_decimal(rest) {
            return ValueCell::BelowLimit(v);
        }
    }
    for prefix in ["nd(", "未检出(", "nd ("] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            if let Some(v) = rest.strip_suffix(')').and_then(parse_decimal) {
                return ValueCell::BelowLimit(v);
            }
        }
    }
    ValueCell::Invalid
}

/// A calendar date: `2024-05-06`, `2024/5/6`, `2024.05.06`, `20240506`, `2024年5月6日`, with
/// an optional time part that is dropped.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = ascii_fold(s);
    let t = t.split([' ', 'T']).next().unwrap_or("");
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let d: u32 = parts[2].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Why a coordinate cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordError {
    /// Not a number nor degrees-minutes-seconds.
    Unreadable,
    /// Minutes or seconds of 60 or more.
    MinutesOrSeconds,
}

/// A coordinate in decimal degrees (`102.2583`) or degrees-minutes-seconds (`102°15′30″`,
/// `102°15'30"`, `102 15 30`, `102度15分30秒`, `E102°15′30.5″`, `102°15.5′`). A `W`/`S` (西经/南纬)
/// makes it negative.
///
/// # Examples
/// ```
/// use soilwatch_ingest::values::parse_coordinate;
/// let v = parse_coordinate("102°15′30″").unwrap();
/// assert!((v - 102.258_333_333).abs() < 1e-9);
/// assert_eq!(parse_coordinate("27.9"), Ok(27.9));
/// ```
pub fn parse_coordinate(s: &str) -> Result<f64, CoordError> {
    let t = ascii_fold(s);
    if t.is_empty() {
        return Err(CoordError::Unreadable);
    }
    if let Ok(v) = t.parse::<f64>() {
        // `inf`, `NaN` and `1e318` parse as floats but are no coordinate.
        return if v.is_finite() {
            Ok(v)
        } else {
            Err(CoordError::Unreadable)
        };
    }
    let upper = t.to_uppercase();
    let negative = upper.contains(['W', 'S']) || upper.contains("西经") || upper.contains("南纬");
    let mut numbers = Vec::with_capacity(3);
    let mut current = String::new();
    let mut junk = false;
    for c in upper.chars() {
        if c.is_ascii_digit() || c == '.' {
            current.push(c);
        } else {
            if !current.is_empty() {
                numbers.push(std::mem::take(&mut current));
            }
            let allowed = c.is_whitespace()
                || matches!(
                    c,
                    '°' | '度'
                        | '′'
                        | '\''
                        | '’'
                        | '‘'
                        | '分'
                        | '″'
                        | '"'
                        | '”'
                        | '“'
                        | '秒'
                        | 'E'
                        | 'N'
                        | 'W'
                        | 'S'
                        | '东'
                        | '西'
                        | '南'
                        | '北'
                        | '经'
                        | '纬'
                        | ':'
                        | ','
                        | 'º'
                        | '˚'
                );
            junk |= !allowed;
        }
    }
    if !current.is_empty() {
        numbers.push(current);
    }
    if junk || numbers.is_empty() || numbers.len() > 3 {
        return Err(CoordError::Unreadable);
    }
    let mut parts = [0.0f64; 3];
    for (i, n) in numbers.iter().enumerate() {
        parts[i] = n.parse().map_err(|_| CoordError::Unreadable)?;
    }
    if parts[1] >= 60.0 || parts[2] >= 60.0 {
        return Err(CoordError::MinutesOrSeconds);
    }
    if numbers.len() > 1 && parts[0].fract() != 0.0 {
        return Err(CoordError::Unreadable);
    }
    let v = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0;
    if !v.is_finite() {
        return Err(CoordError::Unreadable);
    }
    Ok(if negative { -v } else { v })
}

/// A depth or depth range, `0-20`, `0～20`, `0~20cm`, `20`: (top, bottom).
pub fn parse_depth_range(s: &str) -> Option<(Decimal, Option<Decimal>)> {
    let t = ascii_fold(s);
    let t = t.trim_end_matches("cm").trim_end_matches("CM").trim();
    if let Some(v) = parse_decimal(t) {
        return Some((v, None));
    }
    // Split on the first separator that is not a leading minus sign.
    let (a, b) = t
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '-' || c == '~')
        .map(|(i, c)| (&t[..i], &t[i + c.len_utf8()..]))?;
    Some((parse_decimal(a)?, Some(parse_decimal(b)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx_eq::close;

    mod approx_eq {
        pub fn close(a: f64, b: f64) -> bool {
            (a - b).abs() < 1e-9
        }
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(" 0.25 "), Some(d("0.25")));
        assert_eq!(parse_decimal("1.2e-3"), Some(d("0.0012")));
        assert_eq!(parse_decimal("１２．５"), Some(d("12.5")));
        assert_eq!(parse_decimal("+3"), Some(d("3")));
        assert_eq!(parse_decimal("-0.1"), Some(d("-0.1")));
        assert_eq!(parse_decimal("abc"), None);
        assert_eq!(parse_decimal(""), None);
    }

    #[test]
    fn value_cells() {
        assert_eq!(parse_value_cell(""), ValueCell::Empty);
        assert_eq!(parse_value_cell("/"), ValueCell::NotMeasured);
        assert_eq!(parse_value_cell("ND"), ValueCell::NonDetect);
        assert_eq!(parse_value_cell("n.d."), ValueCell::NonDetect);
        assert_eq!(parse_value_cell("未检出"), ValueCell::NonDetect);
        assert_eq!(parse_value_cell("<"), ValueCell::NonDetect);
        assert_eq!(parse_value_cell("＜0.01"), ValueCell::BelowLimit(d("0.01")));
        assert_eq!(parse_value_cell("< 0.01"), ValueCell::BelowLimit(d("0.01")));
        assert_eq!(parse_value_cell("0.01L"), ValueCell::BelowLimit(d("0.01")));
        assert_eq!(
            parse_value_cell("ND(0.002)"),
            ValueCell::BelowLimit(d("0.002"))
        );
        assert_eq!(parse_value_cell("-0.2"), ValueCell::Number(d("-0.2")));
        assert_eq!(parse_value_cell("abc"), ValueCell::Invalid);
        assert_eq!(parse_value_cell("0.3mg"), ValueCell::Invalid);
    }

    #[test]
    fn dates() {
        let want = NaiveDate::from_ymd_opt(2024, 5, 6);
        for s in [
            "2024-05-06",
            "2024/5/6",
            "2024.05.06",
            "20240506",
            "2024年5月6日",
            "2024-05-06 10:30:00",
            "2024-05-06T10:30",
        ] {
            assert_eq!(parse_date(s), want, "{s}");
        }
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("6/5/2024"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn dms_coordinates() {
        let want = 102.0 + 15.0 / 60.0 + 30.0 / 3600.0;
        for s in [
            "102°15′30″",
            "102°15'30\"",
            "102 15 30",
            "102度15分30秒",
            "E102°15′30″",
            "东经102°15′30″",
            "102:15:30",
        ] {
            assert!(close(parse_coordinate(s).unwrap(), want), "{s}");
        }
        assert!(close(
            parse_coordinate("102°15.5′").unwrap(),
            102.0 + 15.5 / 60.0
        ));
        assert!(close(parse_coordinate("27.8947").unwrap(), 27.8947));
        assert!(close(parse_coordinate("102°15′30″W").unwrap(), -want));
        assert_eq!(
            parse_coordinate("102°75′30″"),
            Err(CoordError::MinutesOrSeconds)
        );
        assert_eq!(parse_coordinate("abc"), Err(CoordError::Unreadable));
        assert_eq!(parse_coordinate(""), Err(CoordError::Unreadable));
        assert_eq!(parse_coordinate("1 2 3 4"), Err(CoordError::Unreadable));
        // Found by the `cells` fuzz target: these parse as floats but are not finite.
        for s in ["1e318", "inf", "-inf", "NaN", "infinity"] {
            assert_eq!(parse_coordinate(s), Err(CoordError::Unreadable), "{s}");
        }
        let huge = format!("{}°30′", "9".repeat(400));
        assert_eq!(parse_coordinate(&huge), Err(CoordError::Unreadable));
    }

    #[test]
    fn depth_ranges() {
        assert_eq!(parse_depth_range("0-20"), Some((d("0"), Some(d("20")))));
        assert_eq!(parse_depth_range("0～20cm"), Some((d("0"), Some(d("20")))));
        assert_eq!(parse_depth_range("20~40"), Some((d("20"), Some(d("40")))));
        assert_eq!(parse_depth_range("20"), Some((d("20"), None)));
        assert_eq!(parse_depth_range("x-y"), None);
    }
}
