//! Turkish phone numbers, normalised to E.164 (`+905321234567`).
//!
//! Accepted written forms (digits may be separated by spaces, dots, dashes,
//! slashes and parentheses):
//!
//! | Written                      | Stored           |
//! |------------------------------|------------------|
//! | `0532 123 45 67`             | `+905321234567`  |
//! | `0 (342) 123 45 67`          | `+903421234567`  |
//! | `+90 532 1234567`            | `+905321234567`  |
//! | `5321234567`                 | `+905321234567`  |
//! | `0090 532 123 45 67`         | `+905321234567`  |
//! | `90 532 123 45 67`           | `+905321234567`  |
//! | `123 45 67` (local)          | `+903421234567`  |
//! | `444 00 27`                  | `+904440027`     |
//! | `0850 123 45 67`             | `+908501234567`  |
//!
//! Rules, in order:
//!
//! 1. A country prefix (`+90`, `0090`, or a bare `90` in front of 7+ more
//!    digits) is removed; any other country code is rejected.
//! 2. A single trunk `0` is removed (`0532…`, also `+90 0532…`).
//! 3. What is left is the national number:
//!    - 10 digits: a mobile (`5xx`), a geographic area code from
//!      [`AREA_CODES`] (`342` is Gaziantep), or the nationwide `850`
//!      and toll-free `800` ranges;
//!    - 7 digits starting with `444`: a nationwide single number, stored as
//!      `+90444XXXX` with no area code;
//!    - any other 7 digits: a Gaziantep local number, area code `342` added;
//!    - 3–4 digits starting with `1` (112, 153, 155, 156, 185–188, 150…):
//!      a short code, which is not a citizen's number and is rejected.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Gaziantep's area code, added to 7-digit local numbers.
pub const LOCAL_AREA_CODE: &str = "342";

/// Geographic area codes: one per province (two for İstanbul), plus 392
/// (Northern Cyprus, reached through +90). 343 and other gaps are not codes.
pub const AREA_CODES: &[u16] = &[
    212, 216, 222, 224, 226, 228, 232, 236, 242, 246, 248, 252, 256, 258, 262, 264, 266, 272, 274, 276, 282, 284, 286,
    288, // Marmara, Aegean, Mediterranean west
    312, 318, 322, 324, 326, 328, 332, 338, 342, 344, 346, 348, 352, 354, 356, 358, 362, 364, 366, 368, 370, 372, 374,
    376, 378, 380, 382, 384, 386, 388, 392, // Central, south, Black Sea
    412, 414, 416, 422, 424, 426, 428, 432, 434, 436, 438, 442, 446, 452, 454, 456, 458, 462, 464, 466, 472, 474, 476,
    478, 482, 484, 486, 488, // East and south-east
];

/// Nationwide non-geographic 10-digit ranges accepted as citizens' numbers.
const NATIONWIDE_CODES: &[u16] = &[850, 800];

/// A Turkish phone number in E.164 form: `+90` and 10 digits, or `+90444`
/// and 4 digits for a 444 number.
///
/// Serialises as the E.164 string; deserialising accepts any written form
/// [`Phone::parse`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+905321234567")]
pub struct Phone(String);

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number may contain only digits, spaces and the characters + ( ) . - / (found {0:?})")]
    InvalidCharacters(char),
    #[error("phone number must be a Turkish (+90) number")]
    Foreign,
    #[error("phone number {0} is a short code; short codes are not citizens' numbers")]
    ShortCode(String),
    #[error(
        "phone number has {0} digits after the 0; Turkish numbers have 10 \
         (or 7 for a Gaziantep local or 444 number)"
    )]
    WrongLength(usize),
    #[error("phone number starts with 0{0}, which is not a Turkish area code or mobile prefix")]
    UnknownAreaCode(String),
}

impl Phone {
    /// Parses a Turkish phone number in any common written form and
    /// normalises it to E.164. See the module documentation for the rules.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let s = s.trim();
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for c in s.chars() {
            if let Some(d) = digit_value(c) {
                digits.push(char::from(b'0' + d));
            } else if c == '+' && digits.is_empty() && !plus {
                plus = true;
            } else if !(c.is_whitespace() || matches!(c, '.' | '-' | '/' | '(' | ')')) {
                return Err(PhoneError::InvalidCharacters(c));
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }

        // 1. Country prefix.
        let mut rest = digits.as_str();
        if plus {
            rest = rest.strip_prefix("90").ok_or(PhoneError::Foreign)?;
        } else if let Some(intl) = rest.strip_prefix("00") {
            rest = intl.strip_prefix("90").ok_or(PhoneError::Foreign)?;
        } else if rest.len() >= 9 && rest.starts_with("90") {
            // No national number starts with 9, so a leading 90 in front of
            // at least 7 more digits is the country code written without +.
            rest = &rest[2..];
        }
        // 2. Trunk prefix.
        let national = rest.strip_prefix('0').unwrap_or(rest);

        // 3. The national number.
        match national.len() {
            10 => {
                let code = &national[..3];
                let code_num: u16 = code.parse().expect("three ASCII digits");
                let known =
                    national.starts_with('5') || AREA_CODES.contains(&code_num) || NATIONWIDE_CODES.contains(&code_num);
                if !known {
                    return Err(PhoneError::UnknownAreaCode(code.to_string()));
                }
                Ok(Phone(format!("+90{national}")))
            }
            7 if national.starts_with("444") => Ok(Phone(format!("+90{national}"))),
            7 => Ok(Phone(format!("+90{LOCAL_AREA_CODE}{national}"))),
            3 | 4 if national.starts_with('1') => Err(PhoneError::ShortCode(national.to_string())),
            n => Err(PhoneError::WrongLength(n)),
        }
    }

    /// The E.164 form, `+905321234567`.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The national digits without `+90`: `5321234567`, or `4440027`.
    fn national_digits(&self) -> &str {
        &self.0[3..]
    }

    /// The national written form for display: `0532 123 45 67`,
    /// `0342 123 45 67`, `0850 123 45 67`, and `444 00 27` (no trunk 0).
    pub fn national(&self) -> String {
        let n = self.national_digits();
        if n.len() == 7 {
            format!("{} {} {}", &n[..3], &n[3..5], &n[5..])
        } else {
            format!("0{} {} {} {}", &n[..3], &n[3..6], &n[6..8], &n[8..])
        }
    }

    /// The masked form for lists (KVKK): the area code or mobile prefix and
    /// the last two digits stay, `0532 *** ** 67`; `444 ** 27`.
    pub fn masked(&self) -> String {
        let n = self.national_digits();
        if n.len() == 7 { format!("{} ** {}", &n[..3], &n[5..]) } else { format!("0{} *** ** {}", &n[..3], &n[8..]) }
    }

    /// True for mobile numbers (`+905…`), which can receive SMS.
    pub fn is_mobile(&self) -> bool {
        self.0.starts_with("+905")
    }
}

/// The value of a decimal digit: ASCII `0`–`9`, Arabic-Indic `٠`–`٩`,
/// Extended Arabic-Indic (Persian) `۰`–`۹`, and fullwidth `０`–`９`.
/// `None` for anything else.
pub fn digit_value(c: char) -> Option<u8> {
    let base = match c {
        '0'..='9' => '0',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        _ => return None,
    };
    Some((c as u32 - base as u32) as u8)
}

/// Only the digits of `s`, as ASCII (Arabic-Indic and fullwidth digits are
/// mapped; everything else is dropped). For searching by number or by its
/// last digits: `"0532 123-45-67"` → `"05321234567"`.
pub fn digits(s: &str) -> String {
    s.chars().filter_map(digit_value).map(|d| char::from(b'0' + d)).collect()
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_written_forms_to_e164() {
        let cases = [
            // Mobiles in every common shape.
            ("0532 123 45 67", "+905321234567"),
            ("05321234567", "+905321234567"),
            ("5321234567", "+905321234567"),
            ("532 123 45 67", "+905321234567"),
            ("+90 532 1234567", "+905321234567"),
            ("+905321234567", "+905321234567"),
            ("+90 (532) 123 45 67", "+905321234567"),
            ("+90 0532 123 45 67", "+905321234567"),
            ("0090 532 123 45 67", "+905321234567"),
            ("00905321234567", "+905321234567"),
            ("905321234567", "+905321234567"),
            ("90 0532 123 45 67", "+905321234567"),
            ("0532-123-45-67", "+905321234567"),
            ("0532.123.45.67", "+905321234567"),
            ("0532/123 45 67", "+905321234567"),
            ("(0532) 123 45 67", "+905321234567"),
            ("  0532 123 45 67  ", "+905321234567"),
            ("0 532 123 45 67", "+905321234567"),
            ("０５３２ １２３ ４５ ６７", "+905321234567"),
            ("٠٥٣٢١٢٣٤٥٦٧", "+905321234567"),
            ("0555\u{a0}123\u{a0}45\u{a0}67", "+905551234567"),
            // Geographic.
            ("0 (342) 123 45 67", "+903421234567"),
            ("(0342) 123 45 67", "+903421234567"),
            ("0342 123 45 67", "+903421234567"),
            ("3421234567", "+903421234567"),
            ("+90 342 123 45 67", "+903421234567"),
            ("0212 555 12 34", "+902125551234"),
            ("0216 555 12 34", "+902165551234"),
            ("0312 555 12 34", "+903125551234"),
            ("0488 555 12 34", "+904885551234"),
            ("0392 555 12 34", "+903925551234"),
            // Local Gaziantep numbers get 342.
            ("123 45 67", "+903421234567"),
            ("1234567", "+903421234567"),
            ("231 00 00", "+903422310000"),
            // 444 numbers keep 7 digits.
            ("444 00 27", "+904440027"),
            ("4440027", "+904440027"),
            ("444 0 153", "+904440153"),
            ("0 444 00 27", "+904440027"),
            ("+90 444 00 27", "+904440027"),
            // Nationwide and toll-free.
            ("0850 123 45 67", "+908501234567"),
            ("0800 123 45 67", "+908001234567"),
            ("+90 850 123 45 67", "+908501234567"),
        ];
        for (input, want) in cases {
            let p = Phone::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(p.e164(), want, "{input:?}");
            // E.164 parses back to itself.
            assert_eq!(Phone::parse(p.e164()).unwrap(), p, "{input:?}");
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        use PhoneError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("()-", Empty),
            ("0532 123 45 6x", InvalidCharacters('x')),
            ("ahmet", InvalidCharacters('a')),
            ("0532 123 45 67 dahili 12", InvalidCharacters('d')),
            ("0532_123_45_67", InvalidCharacters('_')),
            ("0532 123+45 67", InvalidCharacters('+')),
            ("++90 532 123 45 67", InvalidCharacters('+')),
            ("0532*1234567", InvalidCharacters('*')),
            ("0532 123 45 67\u{1b}", InvalidCharacters('\u{1b}')),
            ("+44 20 7946 0958", Foreign),
            ("+1 212 555 0100", Foreign),
            ("0044 20 7946 0958", Foreign),
            ("112", ShortCode("112".into())),
            ("153", ShortCode("153".into())),
            ("155", ShortCode("155".into())),
            ("156", ShortCode("156".into())),
            ("185", ShortCode("185".into())),
            ("186", ShortCode("186".into())),
            ("187", ShortCode("187".into())),
            ("188", ShortCode("188".into())),
            ("150", ShortCode("150".into())),
            ("1888", ShortCode("1888".into())),
            ("ALO 153", InvalidCharacters('A')),
            ("+90 153", ShortCode("153".into())),
            ("0153", ShortCode("153".into())),
            ("4567", WrongLength(4)),
            ("12", WrongLength(2)),
            ("0", WrongLength(0)),
            ("12345", WrongLength(5)),
            ("0532 123 45 6", WrongLength(9)),
            ("0532 123 45 678", WrongLength(11)),
            ("532123456", WrongLength(9)),
            ("53212345678", WrongLength(11)),
            ("+90 532 123 45", WrongLength(8)),
            ("0343 123 45 67", UnknownAreaCode("343".into())),
            ("0200 123 45 67", UnknownAreaCode("200".into())),
            ("0900 123 45 67", UnknownAreaCode("900".into())),
            ("0111 123 45 67", UnknownAreaCode("111".into())),
            ("0700 123 45 67", UnknownAreaCode("700".into())),
            ("0822 123 45 67", UnknownAreaCode("822".into())),
        ];
        for (input, want) in cases {
            assert_eq!(Phone::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn error_messages_name_the_field() {
        let msg = Phone::parse("153").unwrap_err().to_string();
        assert_eq!(msg, "phone number 153 is a short code; short codes are not citizens' numbers");
        for bad in ["", "x", "+44 1", "12345", "0343 123 45 67"] {
            let msg = Phone::parse(bad).unwrap_err().to_string();
            assert!(msg.starts_with("phone number"), "{msg}");
        }
    }

    #[test]
    fn formats_national_and_masked() {
        let cases = [
            ("+905321234567", "0532 123 45 67", "0532 *** ** 67", true),
            ("+903421234567", "0342 123 45 67", "0342 *** ** 67", false),
            ("+908501234567", "0850 123 45 67", "0850 *** ** 67", false),
            ("+904440027", "444 00 27", "444 ** 27", false),
        ];
        for (e164, national, masked, mobile) in cases {
            let p = Phone::parse(e164).unwrap();
            assert_eq!(p.national(), national);
            assert_eq!(p.masked(), masked);
            assert_eq!(p.is_mobile(), mobile, "{e164}");
            // The national form parses back.
            assert_eq!(Phone::parse(&p.national()).unwrap(), p);
        }
    }

    #[test]
    fn every_area_code_is_accepted_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in AREA_CODES {
            assert!(seen.insert(code), "duplicate {code}");
            assert!((200..500).contains(code), "{code}");
            let p = Phone::parse(&format!("0{code} 555 12 34")).unwrap();
            assert!(!p.is_mobile());
        }
        // 81 provinces, İstanbul twice, plus 392.
        assert_eq!(AREA_CODES.len(), 83);
    }

    #[test]
    fn digits_keeps_only_digits() {
        let cases = [
            ("0532 123-45-67", "05321234567"),
            ("+90 (342) 123 45 67", "903421234567"),
            ("abc", ""),
            ("", ""),
            ("４５６７", "4567"),
            ("۴۵۶۷", "4567"),
            ("٤٥٦٧", "4567"),
        ];
        for (input, want) in cases {
            assert_eq!(digits(input), want, "{input:?}");
        }
    }

    #[test]
    fn digit_value_maps_all_digit_scripts() {
        for (i, c) in "0123456789".chars().enumerate() {
            assert_eq!(digit_value(c), Some(i as u8));
        }
        for (i, c) in "٠١٢٣٤٥٦٧٨٩".chars().enumerate() {
            assert_eq!(digit_value(c), Some(i as u8));
        }
        for (i, c) in "۰۱۲۳۴۵۶۷۸۹".chars().enumerate() {
            assert_eq!(digit_value(c), Some(i as u8));
        }
        for (i, c) in "０１２３４５６７８９".chars().enumerate() {
            assert_eq!(digit_value(c), Some(i as u8));
        }
        for c in ['a', '/', ':', '²', '½', ' '] {
            assert_eq!(digit_value(c), None, "{c:?}");
        }
    }

    #[test]
    fn serde_uses_e164_and_validates() {
        let p = Phone::parse("0532 123 45 67").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+905321234567\"");
        assert_eq!(serde_json::from_str::<Phone>("\"0532 123 45 67\"").unwrap(), p);
        let err = serde_json::from_str::<Phone>("\"112\"").unwrap_err();
        assert!(err.to_string().contains("short code"), "{err}");
        assert_eq!("5321234567".parse::<Phone>().unwrap(), p);
    }
}
