//! Exact decimal arithmetic on input values.
//!
//! `rust_decimal` holds 96-bit mantissas with at most 28 decimal places; its operators panic on
//! overflow and round silently when a result needs more digits. The engine must compare "a value
//! equal to a threshold as written" as equal, and must not panic on absurd input, so every value
//! read from a user (a cell of a CSV, a stored result, a local threshold) goes through these
//! functions: they either give the exact value or say why it cannot be held.
//!
//! Mass fractions above [`MAX_MG_KG`] (1,000,000 mg/kg = 100 %) are not possible and are
//! refused by the callers; with that bound and thresholds of at least [`MIN_THRESHOLD_MG_KG`],
//! no later step (sums of duplicates, C / S, the printed index) can overflow.

use std::str::FromStr;

use rust_decimal::Decimal;

/// 1,000,000 mg/kg (100 %): the largest possible mass fraction.
pub const MAX_MG_KG: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// 10⁻¹² mg/kg (1 pg/kg): the smallest threshold a ruleset may hold (GB 36600's smallest, the
/// dioxins' 1 × 10⁻⁵ mg/kg, is ten million times larger).
pub const MIN_THRESHOLD_MG_KG: Decimal = Decimal::from_parts(1, 0, 0, false, 12);

/// Why a number cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumError {
    /// Not a decimal number (plain or with an exponent).
    NotANumber,
    /// Larger than a decimal can hold (about 7.9 × 10²⁸).
    TooLarge,
    /// More digits than can be held exactly (at most 28 decimal places, 28–29 significant digits).
    TooPrecise,
}

/// Bilingual reason for a value too precise to be held exactly.
pub const TOO_PRECISE: &str = "数字位数过多，无法精确比较（最多 28 位小数、28 位有效数字） / too many digits to compare exactly (at most 28 decimal places and 28 significant digits)";

/// Bilingual reason for a sum of duplicate results that cannot be held exactly.
pub const SUM_TOO_PRECISE: &str = "此样品此项目各结果之和无法精确计算（位数过多） / the sum of this sample's results for this item cannot be held exactly (too many digits)";

/// Bilingual reason for a value above [`MAX_MG_KG`] (`what` names the cell).
pub fn too_large(what_cn: &str, what_en: &str) -> String {
    format!(
        "{what_cn}超过 1 000 000 mg/kg（100 %），不是可能的含量，请检查单位 / {what_en} is above 1,000,000 mg/kg (100 %): not a possible mass fraction (check the unit)"
    )
}

const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// `m × 10^-scale` as a decimal, dropping trailing zeros only where needed to fit; `None` when
/// it cannot be held exactly.
fn from_i128(mut m: i128, mut scale: u32) -> Option<Decimal> {
    while (scale > 28 || m.unsigned_abs() > MAX_MANTISSA) && scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if scale > 28 || m.unsigned_abs() > MAX_MANTISSA {
        return None;
    }
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// `a × b`, exactly (same scale as `rust_decimal`'s product when that is exact), or `None`.
pub fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    let scale = a.scale() + b.scale();
    // the common case (unit factors, halves) without 128-bit multiplication
    if let (Ok(ma), Ok(mb)) = (
        u64::try_from(a.mantissa().unsigned_abs()),
        u64::try_from(b.mantissa().unsigned_abs()),
    ) {
        if let (Some(m), true) = (ma.checked_mul(mb), scale <= 28) {
            let neg = a.is_sign_negative() != b.is_sign_negative() && m != 0;
            #[expect(clippy::cast_possible_truncation, reason = "the two 32-bit halves")]
            return Some(Decimal::from_parts(
                m as u32,
                (m >> 32) as u32,
                0,
                neg,
                scale,
            ));
        }
    }
    let m = a.mantissa().checked_mul(b.mantissa())?;
    from_i128(m, a.scale() + b.scale())
}

/// `a + b`, exactly, or `None`.
pub fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let s = a.scale().max(b.scale());
    let ma = a
        .mantissa()
        .checked_mul(10i128.checked_pow(s - a.scale())?)?;
    let mb = b
        .mantissa()
        .checked_mul(10i128.checked_pow(s - b.scale())?)?;
    from_i128(ma.checked_add(mb)?, s)
}

/// `a × b` for a value and a unit factor, both ≥ 0, checked against [`MAX_MG_KG`]: the value in
/// mg/kg, or why it cannot be used.
pub fn to_mg_kg(value: Decimal, factor: Decimal) -> Result<Decimal, NumError> {
    let v = if factor == Decimal::ONE {
        value
    } else {
        match mul(value, factor) {
            Some(v) => v,
            // too many decimals after a division, or an overflow after a multiplication
            None if factor < Decimal::ONE => return Err(NumError::TooPrecise),
            None => return Err(NumError::TooLarge),
        }
    };
    if v > MAX_MG_KG {
        Err(NumError::TooLarge)
    } else {
        Ok(v)
    }
}

/// `value` (in `from`) converted to `to`, exactly: `Unit::convert` without its panic on
/// overflow and its rounding (a value that cannot be held exactly is an error).
pub fn convert(
    value: Decimal,
    from: soilwatch_core::Unit,
    to: soilwatch_core::Unit,
) -> crate::StandardsResult<Decimal> {
    let factor = from.factor_to(to)?;
    mul(value, factor)
        .map(|d| d.normalize())
        .ok_or_else(|| crate::StandardsError::InvalidInput {
            field: "value",
            value: format!("{value} {from}"),
            expected: format!(
                "a value that can be held exactly in {to} / 换算为 {to} 后仍可精确表示的数值: {TOO_PRECISE}"
            ),
        })
}

/// Parse a decimal as written — plain (`0.25`, `-3`, `.5`) or with an exponent (`1.2e-3`) —
/// exactly: a number that a decimal cannot hold without rounding is an error, never rounded.
/// Leading and trailing zeros do not count (`0.5000…0` with 40 zeros is 0.5). When the text is
/// plain, the result has the scale `Decimal::from_str` gives it (`7.0` keeps one decimal).
pub fn parse(s: &str) -> Result<Decimal, NumError> {
    let t = s.trim();
    let b = t.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let digits_from = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let int_end = digits_from(i);
    let int = &b[i..int_end];
    let (frac, mut j) = if b.get(int_end) == Some(&b'.') {
        let e = digits_from(int_end + 1);
        (&b[int_end + 1..e], e)
    } else {
        (&b[..0], int_end)
    };
    if int.is_empty() && frac.is_empty() {
        return Err(NumError::NotANumber);
    }
    let mut exp: i64 = 0;
    let plain = j == b.len();
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        let eneg = match b.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let e_end = digits_from(j);
        if e_end == j || e_end != b.len() {
            return Err(NumError::NotANumber);
        }
        for &d in &b[j..e_end] {
            // saturate: anything beyond ±10⁹ is out of range either way
            exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000_000);
        }
        if eneg {
            exp = -exp;
        }
    } else if !plain {
        return Err(NumError::NotANumber);
    }
    // value = digits × 10^(exp − frac.len()), digits with leading and trailing zeros removed
    let all = || int.iter().chain(frac.iter()).copied();
    let lead = all().take_while(|&d| d == b'0').count();
    let total = int.len() + frac.len();
    if lead == total {
        return Ok(if plain {
            Decimal::from_str(t).unwrap_or(Decimal::ZERO)
        } else {
            Decimal::ZERO
        });
    }
    let trail = all().rev().take_while(|&d| d == b'0').count();
    let sig = total - lead - trail;
    let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
    let trail_i = i64::try_from(trail).unwrap_or(i64::MAX);
    let sig_i = i64::try_from(sig).unwrap_or(i64::MAX);
    // power of ten of the last significant digit, and the number of integer digits
    let last_pow = exp - frac_len + trail_i;
    let int_digits = sig_i + last_pow;
    if int_digits > 29 {
        return Err(NumError::TooLarge);
    }
    if sig > 29 || last_pow < -28 {
        return Err(NumError::TooPrecise);
    }
    let mut m: i128 = 0;
    for d in all().skip(lead).take(sig) {
        m = m * 10 + i128::from(d - b'0');
    }
    let scale = if last_pow < 0 {
        u32::try_from(-last_pow).unwrap_or(u32::MAX)
    } else {
        m = m
            .checked_mul(10i128.pow(u32::try_from(last_pow).unwrap_or(0)))
            .ok_or(NumError::TooLarge)?;
        0
    };
    if neg {
        m = -m;
    }
    let exact = match from_i128(m, scale) {
        Some(d) => d,
        None if m.unsigned_abs() / 10u128.pow(scale) > MAX_MANTISSA => {
            return Err(NumError::TooLarge)
        }
        None => return Err(NumError::TooPrecise),
    };
    if plain {
        // the scale as written (`7.0`), when rust_decimal reads the same value
        if let Ok(d) = Decimal::from_str(t) {
            if d == exact {
                return Ok(d);
            }
        }
    }
    Ok(exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn parses_exactly_or_says_why_not() {
        for (text, want) in [
            ("0.25", "0.25"),
            ("7.0", "7.0"),
            ("-3", "-3"),
            (".5", "0.5"),
            ("5.", "5"),
            ("+2.5", "2.5"),
            ("1e24", "1000000000000000000000000"),
            ("1.2e-3", "0.0012"),
            ("1E+2", "100"),
            (
                "79228162514264337593543950335",
                "79228162514264337593543950335",
            ),
            (
                "1234567890.1234567890123456789",
                "1234567890.1234567890123456789",
            ),
            ("7.50000000000000000000001", "7.50000000000000000000001"),
            ("0.5000000000000000000000000000000000000000", "0.5"),
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
            ("1e-28", "0.0000000000000000000000000001"),
            ("000000000000000000000000000000000012.5", "12.5"),
            ("0e999999999999", "0"),
            ("0.000", "0.000"),
        ] {
            let got = parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(got, d(want), "{text}");
        }
        assert_eq!(parse("7.0").unwrap().scale(), 1);
        for (text, want) in [
            ("1e28", Ok(())),
            ("1e29", Err(NumError::TooLarge)),
            ("79228162514264337593543950336", Err(NumError::TooLarge)),
            ("123456789012345678901234567890", Err(NumError::TooLarge)),
            ("1e30", Err(NumError::TooLarge)),
            ("1e999999999999999999", Err(NumError::TooLarge)),
            ("1e-30", Err(NumError::TooPrecise)),
            ("1e-999999999999999999", Err(NumError::TooPrecise)),
            ("0.00000000000000000000000000001", Err(NumError::TooPrecise)),
            (
                "0.1234567890123456789012345678901234567891",
                Err(NumError::TooPrecise),
            ),
            ("0.30000000000000000000000000001", Err(NumError::TooPrecise)),
            ("1234567890.12345678901234567891", Err(NumError::TooPrecise)),
            ("79228162514264337593543950.336", Err(NumError::TooPrecise)),
            ("", Err(NumError::NotANumber)),
            ("-", Err(NumError::NotANumber)),
            (".", Err(NumError::NotANumber)),
            ("e5", Err(NumError::NotANumber)),
            ("1e", Err(NumError::NotANumber)),
            ("1.2.3", Err(NumError::NotANumber)),
            ("1,5", Err(NumError::NotANumber)),
            ("abc", Err(NumError::NotANumber)),
            ("<0.1", Err(NumError::NotANumber)),
        ] {
            assert_eq!(parse(text).map(|_| ()), want, "{text}");
        }
    }

    #[test]
    fn arithmetic_is_exact_or_refused() {
        assert_eq!(mul(d("300"), d("0.001")), Some(d("0.3")));
        assert_eq!(mul(d("0.5"), d("0.5")), Some(d("0.25")));
        assert_eq!(
            mul(d("0.0000000000000000000000001"), d("0.001")),
            Some(d("0.0000000000000000000000000001"))
        );
        assert_eq!(mul(d("0.00000000000000000000000001"), d("0.001")), None);
        assert_eq!(mul(Decimal::MAX, d("1000")), None);
        assert_eq!(mul(Decimal::MAX, d("0.5")), None, "one digit too many");
        assert_eq!(add(d("0.1"), d("0.2")), Some(d("0.3")));
        assert_eq!(add(Decimal::MAX, Decimal::ONE), None);
        assert_eq!(
            add(d("7922816251426433759354395033.5"), d("0.1")),
            None,
            "rust_decimal would round"
        );
        assert_eq!(to_mg_kg(d("1e6"), Decimal::ONE), Ok(d("1000000")));
        assert_eq!(
            to_mg_kg(d("1000000.0000001"), Decimal::ONE),
            Err(NumError::TooLarge)
        );
        assert_eq!(to_mg_kg(d("1e24"), Decimal::ONE), Err(NumError::TooLarge));
        assert_eq!(to_mg_kg(Decimal::MAX, d("1000")), Err(NumError::TooLarge));
        assert_eq!(to_mg_kg(d("1e9"), d("0.001")), Ok(d("1000000")));
        assert_eq!(
            to_mg_kg(d("0.0000000000000000000000000001"), d("0.001")),
            Err(NumError::TooPrecise)
        );
    }
}
