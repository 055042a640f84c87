//! T.C. Kimlik No (Turkish national identity number), validated by checksum.
//!
//! The number has 11 digits, the first is never 0, and the last two are check
//! digits:
//!
//! - d10 = (7·(d1+d3+d5+d7+d9) − (d2+d4+d6+d8)) mod 10, taking the
//!   non-negative remainder;
//! - d11 = (d1+…+d10) mod 10.
//!
//! The number is personal data (KVKK): lists show [`Tckn::masked`], and the
//! full value is revealed only on request, with the reveal logged.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::phone::digit_value;

/// A validated T.C. Kimlik No, stored as its 11 ASCII digits.
///
/// Serialises as the plain 11-digit string; deserialising validates.
/// There is deliberately no `Display`, so the full number is not formatted
/// into messages by accident: use [`Tckn::as_str`] or [`Tckn::masked`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "10000000146")]
pub struct Tckn(String);

/// Why a T.C. Kimlik No was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TcknError {
    #[error("T.C. Kimlik No is empty")]
    Empty,
    #[error("T.C. Kimlik No may contain only digits and spaces (found {0:?})")]
    NonDigit(char),
    #[error("T.C. Kimlik No must have 11 digits, not {0}")]
    WrongLength(usize),
    #[error("T.C. Kimlik No cannot start with 0")]
    LeadingZero,
    #[error("T.C. Kimlik No check digits do not match; please check the number")]
    Checksum,
}

impl Tckn {
    /// Parses and validates a T.C. Kimlik No. Surrounding and inner
    /// whitespace is ignored (`" 100 000 001 46 "`), as are Arabic-Indic and
    /// fullwidth digits, which are mapped to ASCII.
    pub fn parse(s: &str) -> Result<Tckn, TcknError> {
        let mut digits = [0u8; 11];
        let mut n = 0usize;
        for c in s.chars() {
            if c.is_whitespace() {
                continue;
            }
            let d = digit_value(c).ok_or(TcknError::NonDigit(c))?;
            if n < digits.len() {
                digits[n] = d;
            }
            n += 1;
        }
        match n {
            0 => return Err(TcknError::Empty),
            11 => {}
            n => return Err(TcknError::WrongLength(n)),
        }
        if digits[0] == 0 {
            return Err(TcknError::LeadingZero);
        }
        if check_digits(&digits[..9]) != (digits[9], digits[10]) {
            return Err(TcknError::Checksum);
        }
        Ok(Tckn(digits.iter().map(|d| char::from(b'0' + d)).collect()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form for lists: first three and last two digits,
    /// `123******50`.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..3], &self.0[9..])
    }
}

/// The two check digits (d10, d11) for the first nine digits.
fn check_digits(first9: &[u8]) -> (u8, u8) {
    let odd: i32 = first9.iter().step_by(2).map(|&d| i32::from(d)).sum();
    let even: i32 = first9.iter().skip(1).step_by(2).map(|&d| i32::from(d)).sum();
    let d10 = (7 * odd - even).rem_euclid(10) as u8;
    let sum9: u32 = first9.iter().map(|&d| u32::from(d)).sum();
    let d11 = ((sum9 + u32::from(d10)) % 10) as u8;
    (d10, d11)
}

/// True when `s` is 11 digits once spaces are removed: the shape of a
/// T.C. Kimlik No, checksum not checked. Used to tell an ID number from a
/// phone number in the caller search.
pub fn looks_like_tckn(s: &str) -> bool {
    let mut n = 0usize;
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        if digit_value(c).is_none() {
            return false;
        }
        n += 1;
    }
    n == 11
}

impl FromStr for Tckn {
    type Err = TcknError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tckn::parse(s)
    }
}

impl TryFrom<String> for Tckn {
    type Error = TcknError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Tckn::parse(&s)
    }
}

impl From<Tckn> for String {
    fn from(t: Tckn) -> String {
        t.0
    }
}

impl AsRef<str> for Tckn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_in_any_spacing() {
        let cases = [
            ("10000000146", "10000000146"),
            ("12345678950", "12345678950"),
            ("  10000000146  ", "10000000146"),
            ("100 000 001 46", "10000000146"),
            ("123 456 789 50", "12345678950"),
            ("\t12345678950\n", "12345678950"),
            // Arabic-Indic digits, as some keyboards produce them.
            ("١٢٣٤٥٦٧٨٩٥٠", "12345678950"),
        ];
        for (input, want) in cases {
            let t = Tckn::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(t.as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn rejects_invalid_numbers_with_the_reason() {
        let cases = [
            ("", TcknError::Empty),
            ("   ", TcknError::Empty),
            ("1000000014", TcknError::WrongLength(10)),
            ("100000001460", TcknError::WrongLength(12)),
            ("1", TcknError::WrongLength(1)),
            ("1000000014a", TcknError::NonDigit('a')),
            ("100-000-001-46", TcknError::NonDigit('-')),
            ("01234567890", TcknError::LeadingZero),
            ("10000000147", TcknError::Checksum),
            ("10000000156", TcknError::Checksum),
            ("12345678951", TcknError::Checksum),
            ("11111111111", TcknError::Checksum),
        ];
        for (input, want) in cases {
            assert_eq!(Tckn::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn check_digits_use_the_non_negative_remainder() {
        // 7·(1+0+0+0+0) − (9+9+9+9) = 7 − 36 = −29 → rem_euclid 1 (a plain
        // `%` would give −9). d11 = (1+9·4+1) mod 10 = 8.
        assert_eq!(check_digits(&[1, 9, 0, 9, 0, 9, 0, 9, 0]), (1, 8));
        assert!(Tckn::parse("19090909018").is_ok());
        // Known examples.
        assert_eq!(check_digits(&[1, 0, 0, 0, 0, 0, 0, 0, 1]), (4, 6));
        assert_eq!(check_digits(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), (5, 0));
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        let valid = "12345678950";
        for pos in 0..11 {
            for d in b'0'..=b'9' {
                let mut bytes = valid.as_bytes().to_vec();
                if bytes[pos] == d {
                    continue;
                }
                bytes[pos] = d;
                let s = String::from_utf8(bytes).unwrap();
                assert!(Tckn::parse(&s).is_err(), "{s} should be rejected");
            }
        }
    }

    #[test]
    fn masks_all_but_first_three_and_last_two() {
        assert_eq!(Tckn::parse("12345678950").unwrap().masked(), "123******50");
        let t = Tckn::parse("10000000146").unwrap();
        assert_eq!(t.masked(), "100******46");
    }

    #[test]
    fn looks_like_tckn_checks_shape_only() {
        let cases = [
            ("10000000146", true),
            ("100 000 001 46", true),
            ("00000000000", true),
            ("10000000147", true),
            ("1000000014", false),
            ("100000001466", false),
            // A phone number with its trunk 0 has the shape too; Tckn::parse
            // then rejects it (leading zero).
            ("0532 123 45 67", true),
            ("532 123 45 67", false),
            ("1000000014x", false),
            ("", false),
        ];
        for (input, want) in cases {
            assert_eq!(looks_like_tckn(input), want, "{input:?}");
        }
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let t = Tckn::parse("10000000146").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"10000000146\"");
        assert_eq!(serde_json::from_str::<Tckn>(&json).unwrap(), t);
        assert_eq!(serde_json::from_str::<Tckn>("\"100 000 001 46\"").unwrap(), t);
        let err = serde_json::from_str::<Tckn>("\"10000000147\"").unwrap_err();
        assert!(err.to_string().contains("check digits"), "{err}");
        assert_eq!("12345678950".parse::<Tckn>().unwrap().as_str(), "12345678950");
    }
}
