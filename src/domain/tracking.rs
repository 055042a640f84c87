//! Tracking numbers (takip no) that a console can issue offline.
//!
//! The server hands each console blocks of serial numbers ("hi-lo", see
//! `SerialBlock` in the protocol), so every serial is issued once across all
//! consoles without asking the server at the moment of the call. A serial
//! is below 2^30.
//!
//! The written form is `27-` (Gaziantep's plate code) followed by seven
//! Crockford base-32 symbols, ten characters in all, e.g. `27-3TRA045`:
//!
//! - six symbols (30 bits) encode a **scramble** of the serial: a fixed
//!   bijection on 30-bit numbers (xor with a constant, then three rounds of
//!   multiplying by an odd constant and xor-shifting, each invertible), so
//!   consecutive serials do not look consecutive and cannot be enumerated by
//!   counting. It is obfuscation, not security: anyone with this code can
//!   invert it;
//! - one check symbol from the same alphabet: the payload symbols weighted
//!   by position (1 to 6), summed mod 31. Because 31 is prime, every single
//!   wrong payload symbol and every swap of two adjacent payload symbols is
//!   detected, except between `0` and `Z` (values 0 and 31), which nobody
//!   confuses aloud. (Crockford's own mod-37 check needs five extra symbols,
//!   `*~$=U`, that are awkward to read on the phone.)
//!
//! The symbols avoid I, L, O and U, so the number reads aloud without
//! ambiguity; [`TrackingNumber::parse`] still forgives them (O→0, I/L→1),
//! lower case, spaces, dashes and a missing `27-`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Crockford base-32 symbols, value = index.
const SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The prefix: Gaziantep's plate code.
const PREFIX: &str = "27";
/// Payload symbols (6 × 5 bits = 30 bits).
const PAYLOAD_LEN: usize = 6;

const BITS: u32 = 30;
const MASK: u32 = (1 << BITS) - 1;

/// Scramble constants: an xor mask, then (odd multiplier, right shift) per
/// round. The multipliers are odd, so each is invertible mod 2^30.
const XOR: u32 = 0x2A6D_31C5 & MASK;
const ROUNDS: [(u32, u32); 3] = [(0x1D8E_4E27, 15), (0x2B0F_5A6B, 13), (0x3A5C_1E35, 16)];

/// A tracking number. Holds the serial; the written form is derived.
/// Ordering is by serial, i.e. by issue order within a block.
///
/// Serialises as the written form (`"27-3TRA045"`) and deserialises with
/// [`TrackingNumber::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "27-3TRA045")]
pub struct TrackingNumber(u32);

/// Why a tracking number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingError {
    #[error("tracking number serial {0} is out of range (at most {max})", max = TrackingNumber::MAX_SERIAL)]
    SerialOutOfRange(u32),
    #[error("tracking number is empty")]
    Empty,
    #[error("tracking number contains {0:?}, which is not used in tracking numbers")]
    InvalidCharacter(char),
    #[error("tracking number has {0} letters and digits; it should be 27- and 7 more, like 27-3TRA045")]
    WrongLength(usize),
    #[error("tracking number must start with 27-")]
    WrongPrefix,
    #[error("tracking number's last symbol does not match; please check the number")]
    CheckMismatch,
}

impl TrackingNumber {
    /// The largest serial, 2^30 − 1.
    pub const MAX_SERIAL: u32 = (1 << 30) - 1;

    /// The tracking number of a serial, which must be at most
    /// [`Self::MAX_SERIAL`].
    pub fn from_serial(serial: u32) -> Result<TrackingNumber, TrackingError> {
        if serial > Self::MAX_SERIAL {
            return Err(TrackingError::SerialOutOfRange(serial));
        }
        Ok(TrackingNumber(serial))
    }

    /// The serial this number was issued from.
    pub fn serial(self) -> u32 {
        self.0
    }

    /// Parses a tracking number as a citizen may read or type it:
    /// case-insensitive, with or without `27-`, with spaces and dashes
    /// anywhere, `O` read as `0` and `I`/`L` (also Turkish `ı`/`İ`) as `1`.
    /// `"27-3TRA045"`, `"3tra045"`, `"27 3TR A04 5"` are the same number.
    /// A wrong check symbol is rejected.
    pub fn parse(s: &str) -> Result<TrackingNumber, TrackingError> {
        let mut symbols: Vec<u8> = Vec::with_capacity(9);
        for c in s.chars() {
            if c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–' | '—' | '_' | '.') {
                continue;
            }
            let normalised = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' | 'ı' | 'İ' => '1',
                c => c,
            };
            if !normalised.is_ascii() {
                return Err(TrackingError::InvalidCharacter(c));
            }
            symbols.push(normalised as u8);
        }
        let body: &[u8] = match symbols.len() {
            0 => return Err(TrackingError::Empty),
            7 => &symbols,
            // The prefix only counts when the length says it is there, so a
            // payload starting with "27" is never mistaken for it.
            9 if symbols.starts_with(PREFIX.as_bytes()) => &symbols[2..],
            9 => return Err(TrackingError::WrongPrefix),
            n => return Err(TrackingError::WrongLength(n)),
        };

        let mut value = 0u32;
        for &b in &body[..PAYLOAD_LEN] {
            let v = symbol_value(b).ok_or(TrackingError::InvalidCharacter(char::from(b)))?;
            value = (value << 5) | v;
        }
        let check_byte = body[PAYLOAD_LEN];
        let check = symbol_value(check_byte).ok_or(TrackingError::InvalidCharacter(char::from(check_byte)))?;
        if check != check_value(value) {
            return Err(TrackingError::CheckMismatch);
        }
        Ok(TrackingNumber(unscramble(value)))
    }
}

/// The value of a payload symbol (after normalisation), if it is one.
fn symbol_value(b: u8) -> Option<u32> {
    SYMBOLS.iter().position(|&s| s == b).map(|i| i as u32)
}

/// The check value of a 30-bit payload: its six 5-bit symbols weighted
/// 1 to 6 from the left, summed mod 31.
fn check_value(value: u32) -> u32 {
    (0..PAYLOAD_LEN as u32).map(|i| (i + 1) * ((value >> (5 * (PAYLOAD_LEN as u32 - 1 - i))) & 31)).sum::<u32>() % 31
}

/// The multiplicative inverse of an odd number mod 2^32 (Newton's method;
/// each step doubles the correct low bits), hence also mod 2^30.
const fn inverse(k: u32) -> u32 {
    let mut x = k; // correct to 3 bits for odd k
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u32.wrapping_sub(k.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// Undoes `x ^= x >> shift` on a 30-bit value.
fn unxorshift(y: u32, shift: u32) -> u32 {
    let mut x = y;
    let mut covered = shift;
    while covered < BITS {
        x = y ^ (x >> shift);
        covered += shift;
    }
    x
}

/// A bijection on `0..2^30`.
fn scramble(serial: u32) -> u32 {
    let mut x = (serial ^ XOR) & MASK;
    for (mul, shift) in ROUNDS {
        x = x.wrapping_mul(mul) & MASK;
        x ^= x >> shift;
    }
    x
}

/// The inverse of [`scramble`].
fn unscramble(value: u32) -> u32 {
    let mut x = value & MASK;
    for (mul, shift) in ROUNDS.iter().rev() {
        x = unxorshift(x, *shift);
        x = x.wrapping_mul(inverse(*mul)) & MASK;
    }
    x ^ XOR
}

impl fmt::Display for TrackingNumber {
    /// The written form, `27-XXXXXXC`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = scramble(self.0);
        let mut out = [0u8; PAYLOAD_LEN];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (PAYLOAD_LEN - 1 - i);
            *slot = SYMBOLS[((value >> shift) & 31) as usize];
        }
        let payload = std::str::from_utf8(&out).expect("ASCII symbols");
        write!(f, "{PREFIX}-{payload}{}", char::from(SYMBOLS[check_value(value) as usize]))
    }
}

impl FromStr for TrackingNumber {
    type Err = TrackingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingNumber::parse(s)
    }
}

impl TryFrom<String> for TrackingNumber {
    type Error = TrackingError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        TrackingNumber::parse(&s)
    }
}

impl From<TrackingNumber> for String {
    fn from(t: TrackingNumber) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A deterministic sample of serials across the whole range.
    fn sample(n: usize) -> Vec<u32> {
        let mut x = 0x1234_5678u64;
        let mut out = vec![0, 1, 2, 31, 32, 1 << 29, TrackingNumber::MAX_SERIAL - 1, TrackingNumber::MAX_SERIAL];
        for _ in 0..n {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            out.push((x >> 34) as u32 & MASK);
        }
        out
    }

    #[test]
    fn written_form_has_the_documented_shape() {
        for serial in sample(2000) {
            let s = TrackingNumber::from_serial(serial).unwrap().to_string();
            assert_eq!(s.len(), 10, "{s}");
            assert!(s.starts_with("27-"), "{s}");
            assert!(s[3..9].bytes().all(|b| SYMBOLS.contains(&b)), "{s}");
            let check = s.as_bytes()[9];
            assert!(SYMBOLS.contains(&check), "{s}");
            assert!(!s[3..9].contains(['I', 'L', 'O', 'U']), "{s}");
        }
    }

    #[test]
    fn round_trips() {
        for serial in sample(20_000) {
            let t = TrackingNumber::from_serial(serial).unwrap();
            assert_eq!(t.serial(), serial);
            let s = t.to_string();
            assert_eq!(TrackingNumber::parse(&s), Ok(t), "{s}");
            assert_eq!(s.parse::<TrackingNumber>(), Ok(t), "{s}");
        }
    }

    #[test]
    fn serials_out_of_range_are_rejected() {
        for serial in [TrackingNumber::MAX_SERIAL + 1, u32::MAX] {
            assert_eq!(TrackingNumber::from_serial(serial), Err(TrackingError::SerialOutOfRange(serial)));
        }
    }

    #[test]
    fn scramble_is_a_bijection() {
        let mut seen = HashSet::new();
        for serial in 0..100_000 {
            let v = scramble(serial);
            assert!(v <= MASK);
            assert!(seen.insert(v), "collision at {serial}");
            assert_eq!(unscramble(v), serial);
        }
        for serial in sample(20_000) {
            assert_eq!(unscramble(scramble(serial)), serial);
            assert_eq!(scramble(unscramble(serial)), serial);
        }
        for (mul, _) in ROUNDS {
            assert_eq!(mul % 2, 1);
            assert_eq!(mul.wrapping_mul(inverse(mul)), 1);
        }
    }

    #[test]
    fn consecutive_serials_do_not_look_consecutive() {
        let mut total_diff = 0;
        for serial in 0..1000u32 {
            let a = TrackingNumber(serial).to_string();
            let b = TrackingNumber(serial + 1).to_string();
            let diff = a[3..9].bytes().zip(b[3..9].bytes()).filter(|(x, y)| x != y).count();
            assert!(diff >= 2, "{a} {b}");
            total_diff += diff;
        }
        // On average nearly every payload symbol changes.
        assert!(total_diff >= 1000 * 5, "{total_diff}");
        assert_ne!(TrackingNumber(0).to_string(), "27-0000000");
    }

    #[test]
    fn a_single_wrong_symbol_is_detected() {
        for serial in sample(200) {
            let good = TrackingNumber(serial).to_string();
            for pos in 3..10 {
                for &c in SYMBOLS {
                    let mut typo = good.clone().into_bytes();
                    // 0 and Z differ by 31 ≡ 0: the one documented blind spot.
                    if typo[pos] == c || (pos < 9 && matches!((typo[pos], c), (b'0', b'Z') | (b'Z', b'0'))) {
                        continue;
                    }
                    typo[pos] = c;
                    let typo = String::from_utf8(typo).unwrap();
                    assert_eq!(TrackingNumber::parse(&typo), Err(TrackingError::CheckMismatch), "{good} → {typo}");
                }
            }
        }
    }

    #[test]
    fn an_adjacent_transposition_is_detected() {
        for serial in sample(2000) {
            let good = TrackingNumber(serial).to_string();
            for pos in 3..8 {
                let mut swapped = good.clone().into_bytes();
                let pair = (swapped[pos], swapped[pos + 1]);
                if pair.0 == pair.1 || matches!(pair, (b'0', b'Z') | (b'Z', b'0')) {
                    continue;
                }
                swapped.swap(pos, pos + 1);
                let swapped = String::from_utf8(swapped).unwrap();
                assert_eq!(TrackingNumber::parse(&swapped), Err(TrackingError::CheckMismatch), "{good} → {swapped}");
            }
        }
    }

    #[test]
    fn parse_normalises_what_people_type() {
        let t = TrackingNumber(123_456);
        let s = t.to_string();
        let payload = &s[3..];
        let variants = [
            s.clone(),
            payload.to_string(),
            payload.to_lowercase(),
            format!("  {s}  "),
            format!("27{payload}"),
            format!("27 {} {}", &payload[..3], &payload[3..]),
            format!("{}-{}", &payload[..3], &payload[3..]),
            format!("27–{payload}"),
            s.to_lowercase(),
        ];
        for v in &variants {
            assert_eq!(TrackingNumber::parse(v), Ok(t), "{v:?}");
        }
        // O/I/L read as 0/1: find a number whose payload has a 0 and a 1.
        let (t, s) = (0..)
            .map(TrackingNumber)
            .map(|t| (t, t.to_string()))
            .find(|(_, s)| s[3..9].contains('0') && s[3..9].contains('1'))
            .unwrap();
        let confusable = s.replacen('0', "O", 1).replacen('1', "l", 1);
        assert_eq!(TrackingNumber::parse(&confusable), Ok(t), "{confusable}");
        let confusable = s.replacen('0', "o", 1).replacen('1', "I", 1);
        assert_eq!(TrackingNumber::parse(&confusable), Ok(t), "{confusable}");
        let turkish = s.replacen('1', "ı", 1);
        assert_eq!(TrackingNumber::parse(&turkish), Ok(t), "{turkish}");
    }

    #[test]
    fn parse_rejects_with_a_reason() {
        let good = TrackingNumber(42).to_string();
        let payload = &good[3..];
        let cases = [
            (String::new(), TrackingError::Empty),
            ("  - ".to_string(), TrackingError::Empty),
            ("27-ABC".to_string(), TrackingError::WrongLength(5)),
            (format!("{payload}X"), TrackingError::WrongLength(8)),
            (format!("34-{payload}"), TrackingError::WrongPrefix),
            (format!("27-{payload}XX"), TrackingError::WrongLength(11)),
            (format!("27-Ş{}", &payload[1..]), TrackingError::InvalidCharacter('Ş')),
            (format!("27-*{}", &payload[1..]), TrackingError::InvalidCharacter('*')),
            (format!("27-U{}", &payload[1..]), TrackingError::InvalidCharacter('U')),
            (format!("27-{}#", &payload[..6]), TrackingError::InvalidCharacter('#')),
        ];
        for (input, want) in cases {
            assert_eq!(TrackingNumber::parse(&input), Err(want), "{input:?}");
        }
        let msg = TrackingNumber::parse("27-ABC").unwrap_err().to_string();
        assert!(msg.starts_with("tracking number"), "{msg}");
    }

    #[test]
    fn the_prefix_is_recognised_by_length() {
        // A payload that itself starts with "27" is not taken for a prefix.
        let (t, s) =
            (0..).map(TrackingNumber).map(|t| (t, t.to_string())).find(|(_, s)| s[3..].starts_with("27")).unwrap();
        assert_eq!(TrackingNumber::parse(&s[3..]), Ok(t), "{s}");
        assert_eq!(TrackingNumber::parse(&s), Ok(t), "{s}");
    }

    #[test]
    fn serde_uses_the_written_form() {
        let t = TrackingNumber(7);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{t}\""));
        assert_eq!(serde_json::from_str::<TrackingNumber>(&json).unwrap(), t);
        let lower = json.to_lowercase().replace("27-", "");
        assert_eq!(serde_json::from_str::<TrackingNumber>(&lower).unwrap(), t);
        let err = serde_json::from_str::<TrackingNumber>("\"27-ABC\"").unwrap_err();
        assert!(err.to_string().contains("tracking number has 5 letters and digits"), "{err}");
    }

    #[test]
    fn documented_example_is_serial_1000() {
        assert_eq!(TrackingNumber(1000).to_string(), "27-3TRA045");
        assert_eq!(TrackingNumber::parse("27-3TRA045"), Ok(TrackingNumber(1000)));
        assert_eq!(TrackingNumber::parse("27 3tr a04 5"), Ok(TrackingNumber(1000)));
    }
}
