//! What an agent typed into the caller search: a phone number in any form,
//! its last digits, an ID number, a name, or an address.

use super::phone::{self, Phone};
use super::tckn::{self, Tckn};
use super::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerQuery {
    Empty,
    Tckn(Tckn),
    /// A full number, normalised to E.164.
    Phone(Phone),
    /// 4 to 9 digits: the end of a number ("the last 4 digits").
    PhoneSuffix(String),
    /// Words: a name, an address, or both. Each word's loose name key, plus
    /// the folded, shorthand-expanded text for address matching.
    Text {
        name_tokens: Vec<String>,
        folded: String,
        address: String,
    },
}

impl CallerQuery {
    pub fn parse(input: &str) -> CallerQuery {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return CallerQuery::Empty;
        }
        let numeric = trimmed.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c));
        if numeric {
            let digits = phone::digits(trimmed);
            if tckn::looks_like_tckn(&digits)
                && let Ok(t) = Tckn::parse(&digits)
            {
                return CallerQuery::Tckn(t);
            }
            if let Ok(p) = Phone::parse(trimmed) {
                return CallerQuery::Phone(p);
            }
            if (4..=9).contains(&digits.len()) {
                return CallerQuery::PhoneSuffix(digits);
            }
        }
        let folded = text::fold(trimmed);
        if folded.is_empty() {
            return CallerQuery::Empty;
        }
        CallerQuery::Text { name_tokens: text::name_tokens(trimmed), address: text::expand_address(trimmed), folded }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_phone_forms() {
        for q in ["0532 123 45 67", "5321234567", "+90 532 123 45 67", "0 (342) 123 45 67"] {
            assert!(matches!(CallerQuery::parse(q), CallerQuery::Phone(_)), "{q}");
        }
        assert_eq!(CallerQuery::parse("0532 123 45 67"), CallerQuery::Phone(Phone::parse("+905321234567").unwrap()));
    }

    #[test]
    fn recognises_suffix_and_tckn() {
        assert_eq!(CallerQuery::parse("4567"), CallerQuery::PhoneSuffix("4567".into()));
        assert!(matches!(CallerQuery::parse("10000000146"), CallerQuery::Tckn(_)));
        assert_eq!(CallerQuery::parse("  "), CallerQuery::Empty);
    }

    #[test]
    fn text_queries_are_folded() {
        let CallerQuery::Text { name_tokens, folded, .. } = CallerQuery::parse("Ahmed YILMAZ") else {
            panic!("expected text");
        };
        assert_eq!(folded, "ahmed yilmaz");
        assert!(name_tokens.contains(&"ahmet".to_string()), "{name_tokens:?}");
    }
}
