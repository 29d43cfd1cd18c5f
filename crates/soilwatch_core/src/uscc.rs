//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters from the set `0-9 A-H J-N P-R T U W-Y` (no I, O, Z, S, V): registration
//! authority (1), organisation type (1), administrative division (6 digits), organisation code
//! (9), check character (1). The check character is `C18 = 31 − (Σ Ci·Wi mod 31)` with weights
//! `Wi = 3^(i−1) mod 31`, and 31 written as `0`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is correct.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

fn value_of(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters, or `None` if one is outside the set.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CHARSET.chars().nth(check as usize)
}

impl Uscc {
    /// Parse and check a code; lower-case letters are accepted and upper-cased.
    ///
    /// # Examples
    /// ```
    /// use soilwatch_core::Uscc;
    /// assert!(Uscc::parse("91350100M000100Y43").is_ok());
    /// assert!(Uscc::parse("91350100M000100Y44").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Uscc, CoreError> {
        let code = s.trim().to_uppercase();
        let err = |reason: String| CoreError::InvalidUscc {
            code: s.to_owned(),
            reason,
        };
        let n = code.chars().count();
        if n != 18 {
            return Err(err(format!("应为18位 / must be 18 characters, found {n}")));
        }
        if let Some((i, c)) = code
            .chars()
            .enumerate()
            .find(|(_, c)| value_of(*c).is_none())
        {
            return Err(err(format!(
                "第{}位字符'{c}'不允许 / character {} '{c}' is not allowed (I, O, Z, S, V are never used)",
                i + 1,
                i + 1
            )));
        }
        if !code[2..8].chars().all(|c| c.is_ascii_digit()) {
            return Err(err(
                "第3–8位应为行政区划代码 / characters 3–8 must be the 6-digit division code".into(),
            ));
        }
        let expected = check_char(&code[..17]).expect("all 17 characters were checked above");
        let found = code.chars().nth(17).expect("length checked");
        if expected != found {
            return Err(err(format!(
                "校验码应为'{expected}'而不是'{found}' / check character should be '{expected}', not '{found}'"
            )));
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division code embedded in characters 3–8 (where the organisation registered).
    pub fn division_digits(&self) -> &str {
        &self.0[2..8]
    }
}

impl FromStr for Uscc {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Uscc::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_example_is_valid() {
        // The worked example of GB 32100-2015.
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!(u.division_digits(), "350100");
    }

    #[test]
    fn hand_computed_check_character() {
        // 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4, M = 21, Y = 30:
        // 9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0 + 0 + 21·20 + 0 + 0 + 0 + 1·8 + 0 + 0 + 30·30 + 4·28
        // = 9+3+27+135+26+420+8+900+112 = 1640; 1640 mod 31 = 28; 31 − 28 = 3.
        assert_eq!(check_char("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn check_value_31_is_written_zero() {
        // Find a prefix whose sum is ≡ 0 mod 31 by varying the last character; its check char is '0'.
        let base = "9151340000000000";
        let c = CHARSET
            .chars()
            .find(|c| {
                let p = format!("{base}{c}");
                let sum: u32 = p
                    .chars()
                    .zip(WEIGHTS)
                    .map(|(c, w)| value_of(c).unwrap() * w)
                    .sum();
                sum.is_multiple_of(31)
            })
            .unwrap();
        assert_eq!(check_char(&format!("{base}{c}")), Some('0'));
        assert!(Uscc::parse(&format!("{base}{c}0")).is_ok());
    }

    #[test]
    fn lower_case_is_accepted() {
        assert_eq!(
            Uscc::parse("91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn wrong_check_character_names_the_expected_one() {
        let e = Uscc::parse("91350100M000100Y44").unwrap_err().to_string();
        assert!(e.contains("'3'"), "{e}");
    }

    #[test]
    fn wrong_length_and_forbidden_characters() {
        assert!(Uscc::parse("91350100M000100Y4")
            .unwrap_err()
            .to_string()
            .contains("17"));
        assert!(Uscc::parse("91350100M000100Y433").is_err());
        let e = Uscc::parse("91350100I000100Y43").unwrap_err().to_string();
        assert!(e.contains("'I'"), "{e}");
        assert!(Uscc::parse("9135A100M000100Y43").is_err());
        assert!(Uscc::parse("").is_err());
    }

    #[test]
    fn serde_checks_on_the_way_in() {
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y43\"").is_ok());
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y44\"").is_err());
    }
}
