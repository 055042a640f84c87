//! Turkish text: folding for matching, display casing, loose name keys,
//! address shorthand, collation, terminal sanitising and edit distance.
//!
//! Matching works on [`fold`]ed text (ASCII, lower case, no punctuation), so
//! `"KARATAŞ Mh."`, `"karatas mah"` and `"Karataş Mahallesi"` meet. Display
//! uses [`turkish_upper`] and [`turkish_title`], sorting uses [`turkish_cmp`],
//! and anything that came from outside is passed through
//! [`sanitize_for_terminal`] before it is drawn.

use std::cmp::Ordering;

use unicode_normalization::UnicodeNormalization;

/// Turkish-aware lower case: `İ`→`i`, `I`→`ı`, the rest as Unicode says.
pub fn turkish_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfc() {
        match c {
            'İ' => out.push('i'),
            'I' => out.push('ı'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Folds text for matching: NFC, Turkish lower case, Turkish letters to
/// ASCII (ç→c, ğ→g, ı→i, ö→o, ş→s, ü→u, â→a, î→i, û→u), punctuation to
/// spaces, whitespace collapsed. `"Şehitkamil, KARATAŞ Mh."` → `"sehitkamil karatas mh"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in turkish_lower(s).chars() {
        let mapped = match c {
            'ç' => 'c',
            'ğ' => 'g',
            'ı' | 'î' | 'ì' | 'í' => 'i',
            'ö' | 'ò' | 'ó' => 'o',
            'ş' => 's',
            'ü' | 'û' | 'ù' | 'ú' => 'u',
            'â' | 'à' | 'á' | 'ä' => 'a',
            'é' | 'è' | 'ê' => 'e',
            // Combining marks left after NFC (e.g. a stray dot above).
            '\u{0300}'..='\u{036f}' => continue,
            c if c.is_alphanumeric() => c,
            _ => {
                pending_space = !out.is_empty();
                continue;
            }
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(mapped);
    }
    out
}

/// Turkish-aware upper case for display: `i`→`İ`, `ı`→`I`, the rest as
/// Unicode says. `"ışık"` → `"IŞIK"`, `"gaziantep"` → `"GAZİANTEP"`.
pub fn turkish_upper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfc() {
        push_upper(&mut out, c);
    }
    out
}

fn push_upper(out: &mut String, c: char) {
    match c {
        'i' => out.push('İ'),
        'ı' => out.push('I'),
        c => out.extend(c.to_uppercase()),
    }
}

fn push_lower(out: &mut String, c: char) {
    match c {
        'İ' => out.push('i'),
        'I' => out.push('ı'),
        c => out.extend(c.to_lowercase()),
    }
}

/// Apostrophes that join a suffix to a proper noun (`Ali'nin`).
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`' | '´')
}

/// Turkish title case for display: the first letter of each word upper
/// case, the rest lower case, with the dotted and dotless i kept apart:
/// `"AHMET YILMAZ"` → `"Ahmet Yılmaz"`, `"ışık"` → `"Işık"`,
/// `"ismetpaşa"` → `"İsmetpaşa"`.
///
/// A word starts after anything that is not a letter, a digit or an
/// apostrophe, so hyphenated parts are capitalised (`"ayşe-nur"` →
/// `"Ayşe-Nur"`) while suffixes after an apostrophe (`"ali'nin"` →
/// `"Ali'nin"`) and after digits (`"2nci"`) are not. Every word is
/// capitalised, including `ve` and `de`.
pub fn turkish_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.nfc() {
        if c.is_alphabetic() {
            if word_start {
                push_upper(&mut out, c);
            } else {
                push_lower(&mut out, c);
            }
            word_start = false;
        } else {
            out.push(c);
            let joins_word = c.is_numeric() || is_apostrophe(c) || is_combining_mark(c);
            word_start = !joins_word;
        }
    }
    out
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}')
}

/// Devoices a folded word's final consonant: `d`→`t`, `b`→`p`, `g`→`k`,
/// so `ahmed` and `ahmet` meet. Single letters (initials) are left alone.
fn devoice_final(word: &str) -> String {
    let mut w = word.to_string();
    if w.len() >= 2 {
        let replacement = match w.as_bytes()[w.len() - 1] {
            b'd' => Some('t'),
            b'b' => Some('p'),
            b'g' => Some('k'),
            _ => None,
        };
        if let Some(r) = replacement {
            w.pop();
            w.push(r);
        }
    }
    w
}

/// The loose key of a person's name, for matching names spelled in
/// different ways: [`fold`], then devoice each word's final `d`/`b`/`g` to
/// `t`/`p`/`k`, then drop the spaces.
///
/// `"Ahmed Yılmaz"`, `"AHMET YILMAZ"` and `"ahmetyilmaz"` all give
/// `"ahmetyilmaz"`; `"Mehmed"` gives `"mehmet"`. Nothing else is
/// normalised: doubled letters stay (`"Ayşe"` ≠ `"Ayşşe"`); use
/// [`within_distance`] on the tokens for typos.
pub fn loose_name_key(s: &str) -> String {
    fold(s).split(' ').map(devoice_final).collect()
}

/// The loose key of each word of a name (see [`loose_name_key`]; spaces are
/// kept as word boundaries), in order of first appearance and without
/// duplicates. `"Ahmed AHMET Yılmaz"` → `["ahmet", "yilmaz"]`. These are
/// the terms of the name index.
pub fn name_tokens(s: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for word in fold(s).split(' ').filter(|w| !w.is_empty()) {
        let token = devoice_final(word);
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens
}

/// Folds an address ([`fold`]) and expands the usual shorthand, so the
/// written forms agents and citizens use meet:
///
/// | Written                              | Becomes      |
/// |--------------------------------------|--------------|
/// | `mh`, `mah`, `mahalle`, `mahallesi`  | `mahallesi`  |
/// | `cd`, `cad`, `cadde`, `caddesi`      | `caddesi`    |
/// | `sk`, `sok`, `sokak`, `sokağı`       | `sokagi`     |
/// | `blv`, `bulv`, `bulvar`, `bulvarı`   | `bulvari`    |
/// | `apt`, `ap`, `apartman`, `apartmanı` | `apartmani`  |
/// | `no`, `numara`                       | `no`         |
///
/// Only whole words are expanded: `"Karataş Mh. 12 Sk. No:5"` →
/// `"karatas mahallesi 12 sokagi no 5"`.
pub fn expand_address(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len() + 16);
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        let expanded = match word {
            "mh" | "mah" | "mahalle" | "mahallesi" => "mahallesi",
            "cd" | "cad" | "cadde" | "caddesi" => "caddesi",
            "sk" | "sok" | "sokak" | "sokagi" => "sokagi",
            "blv" | "bulv" | "bulvar" | "bulvari" => "bulvari",
            "apt" | "ap" | "apartman" | "apartmani" => "apartmani",
            "no" | "numara" => "no",
            w => w,
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(expanded);
    }
    out
}

/// Collation weight of each ASCII lower-case letter: its place in the
/// Turkish alphabet (a b c ç d e f g ğ h ı i j k l m n o ö p q r s ş t u ü v
/// w x y z, with q, w and x placed as in the Latin alphabet).
const ASCII_LETTER_WEIGHT: [u32; 26] =
    [0, 1, 2, 4, 5, 6, 7, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 27, 28, 29, 30, 31];

/// Collation weight of a lower-case letter of the Turkish alphabet.
fn letter_weight(c: char) -> Option<u32> {
    match c {
        'a'..='z' => Some(ASCII_LETTER_WEIGHT[c as usize - 'a' as usize]),
        'ç' => Some(3),
        'ğ' => Some(8),
        'ı' => Some(10),
        'ö' => Some(18),
        'ş' => Some(23),
        'ü' => Some(26),
        _ => None,
    }
}

/// One collation element: the weights of one (lower-cased) character.
#[derive(Clone, Copy)]
struct Element {
    /// `(group, weight)`: group 0 spaces, 1 punctuation and symbols,
    /// 2 digits, 3 Turkish letters, 4 other letters. `None` for a lone
    /// combining mark, which only counts as an accent.
    primary: Option<(u8, u32)>,
    /// The accent (0 for none): `a` < `â`.
    secondary: u32,
    /// Case (0 lower, 1 upper), `None` for a lone combining mark.
    tertiary: Option<u8>,
}

impl Element {
    fn new(c: char, upper: u8) -> Element {
        let plain = |group, weight| Element { primary: Some((group, weight)), secondary: 0, tertiary: Some(upper) };
        if let Some(w) = letter_weight(c) {
            return plain(3, w);
        }
        if c.is_whitespace() {
            return plain(0, 0);
        }
        if let Some(d) = c.to_digit(10) {
            return plain(2, d);
        }
        if is_combining_mark(c) {
            return Element { primary: None, secondary: c as u32, tertiary: None };
        }
        // Accented letters outside the alphabet (â, î, û, é…) sort with
        // their base letter, after it at the accent level.
        let mut base = None;
        let mut accent = 0u32;
        unicode_normalization::char::decompose_canonical(c, |d| {
            if base.is_none() {
                base = Some(d);
            } else {
                accent = accent.saturating_add(d as u32);
            }
        });
        let base = base.unwrap_or(c);
        let primary = match letter_weight(base) {
            Some(w) => (3, w),
            None if base.is_alphabetic() => (4, base as u32),
            None => (1, base as u32),
        };
        Element { primary: Some(primary), secondary: accent, tertiary: Some(upper) }
    }
}

/// The collation elements of a (normalised) character sequence: one per
/// character after Turkish lower-casing.
struct Elements<I> {
    chars: I,
    /// Lower-case expansion of the current character beyond its first
    /// char (`to_lowercase` yields up to three).
    pending: [char; 2],
    pending_len: usize,
    pending_pos: usize,
    upper: u8,
}

fn elements<I: Iterator<Item = char>>(chars: I) -> Elements<I> {
    Elements { chars, pending: ['\0'; 2], pending_len: 0, pending_pos: 0, upper: 0 }
}

impl<I: Iterator<Item = char>> Iterator for Elements<I> {
    type Item = Element;

    fn next(&mut self) -> Option<Element> {
        if self.pending_pos < self.pending_len {
            let c = self.pending[self.pending_pos];
            self.pending_pos += 1;
            return Some(Element::new(c, self.upper));
        }
        let c = self.chars.next()?;
        self.upper = u8::from(c.is_uppercase());
        let first = match c {
            'I' => 'ı',
            'İ' => 'i',
            c if c.is_ascii() => c.to_ascii_lowercase(),
            c => {
                let mut lower = c.to_lowercase();
                let first = lower.next().unwrap_or(c);
                self.pending_len = 0;
                self.pending_pos = 0;
                for l in lower.take(2) {
                    self.pending[self.pending_len] = l;
                    self.pending_len += 1;
                }
                first
            }
        };
        Some(Element::new(first, self.upper))
    }
}

/// Compares two character sequences level by level, without allocating.
fn collate<A, B>(a: impl Fn() -> A, b: impl Fn() -> B) -> Ordering
where
    A: Iterator<Item = char>,
    B: Iterator<Item = char>,
{
    let primary = |e: Element| e.primary;
    let secondary = |e: Element| Some(e.secondary);
    let tertiary = |e: Element| e.tertiary;
    elements(a())
        .filter_map(primary)
        .cmp(elements(b()).filter_map(primary))
        .then_with(|| elements(a()).filter_map(secondary).cmp(elements(b()).filter_map(secondary)))
        .then_with(|| elements(a()).filter_map(tertiary).cmp(elements(b()).filter_map(tertiary)))
}

/// Compares two strings in Turkish alphabetical order
/// (a b c ç d e f g ğ h ı i j k l m n o ö p r s ş t u ü v y z), for sorting
/// names and places.
///
/// Levels, as in a collation: first the letters regardless of case and
/// accent (spaces before punctuation before digits before letters; letters
/// from other alphabets after z); then accents (`a` < `â`); then case, lower
/// case first (`ahmet` < `Ahmet`); finally the raw strings, so only equal
/// strings compare `Equal`. Digits compare one by one (`"10"` < `"9"`).
/// Allocation-free; most comparisons end at the first differing letter.
pub fn turkish_cmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let by_collation = if a.is_ascii() && b.is_ascii() {
        collate(|| a.chars(), || b.chars())
    } else {
        collate(|| a.nfc(), || b.nfc())
    };
    by_collation.then_with(|| a.cmp(b))
}

/// Makes text from citizens and other channels safe to draw on a terminal,
/// on one line: control characters, escape sequences and bidi overrides
/// are removed, and tabs and line breaks become spaces.
/// See [`sanitize_multiline_for_terminal`] for what exactly is removed.
pub fn sanitize_for_terminal(s: &str) -> String {
    sanitize(s, false)
}

/// Makes text from citizens and other channels safe to draw on a terminal,
/// keeping line breaks (`\r\n`, `\r`, NEL and U+2028/2029 become `\n`).
///
/// Removed:
/// - escape sequences, whole: CSI (`ESC [`… or U+009B…, e.g. colours and
///   cursor moves), OSC, DCS, SOS, PM and APC strings up to BEL or ST (e.g.
///   window titles, hyperlinks, clipboard writes), and two-character
///   escapes (`ESC c`, `ESC ( B`); a lone ESC;
/// - every other C0 control, DEL and C1 control;
/// - bidi embeddings, overrides and isolates (U+202A–U+202E,
///   U+2066–U+2069), which can make text read differently from what it is.
///
/// Tabs become a space. Everything else, including all printable Unicode,
/// is kept.
pub fn sanitize_multiline_for_terminal(s: &str) -> String {
    sanitize(s, true)
}

fn sanitize(s: &str, keep_newlines: bool) -> String {
    let newline = if keep_newlines { '\n' } else { ' ' };
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}' => out.push(newline),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push(newline);
            }
            '\t' => out.push(' '),
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_control_string(&mut chars),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Skips what follows an ESC.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_control_string(chars);
        }
        Some('\u{20}'..='\u{2f}') => {
            // Intermediate bytes, then one final byte.
            while chars.next_if(|c| matches!(c, '\u{20}'..='\u{2f}')).is_some() {}
            chars.next_if(|c| matches!(c, '\u{30}'..='\u{7e}'));
        }
        Some('\u{30}'..='\u{7e}') => {
            chars.next();
        }
        _ => {}
    }
}

/// Skips a CSI sequence's parameter and intermediate bytes and its final
/// byte. A malformed sequence ends at the first other character, which is
/// kept.
fn skip_csi(chars: &mut Chars<'_>) {
    while chars.next_if(|c| matches!(c, '\u{20}'..='\u{3f}')).is_some() {}
    chars.next_if(|c| matches!(c, '\u{40}'..='\u{7e}'));
}

/// Skips an OSC/DCS/SOS/PM/APC string up to and including its terminator:
/// BEL, ST (U+009C) or `ESC \`. Another ESC ends the string and starts a
/// new sequence. An unterminated string runs to the end of the text.
fn skip_control_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.next_if_eq(&'\\').is_none() {
                    skip_escape(chars);
                }
                return;
            }
            _ => {}
        }
    }
}

/// The optimal-string-alignment (restricted Damerau–Levenshtein) distance
/// between two strings, counted in chars: insertions, deletions,
/// substitutions and transpositions of two adjacent chars each cost 1, and
/// no substring is edited twice. `"ahmet"`/`"ahmte"` → 1, `"ca"`/`"abc"` → 3.
///
/// Compares chars exactly: [`fold`] first to ignore case and accents.
pub fn damerau_levenshtein(a: &str, b: &str) -> usize {
    let bound = a.chars().count() + b.chars().count();
    osa_str(a, b, bound).unwrap_or(bound)
}

/// True when [`damerau_levenshtein`]`(a, b) <= max`, computed fast: common
/// prefixes and suffixes are skipped, a length difference above `max`
/// answers at once, only a band of width `2·max+1` is computed, and the
/// computation stops as soon as every path exceeds `max`. No allocation for
/// ASCII words up to 64 bytes.
pub fn within_distance(a: &str, b: &str, max: usize) -> bool {
    osa_str(a, b, max).is_some()
}

/// The OSA distance if it is at most `max`.
fn osa_str(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        osa_bounded(a.as_bytes(), b.as_bytes(), max)
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa_bounded(&a, &b, max)
    }
}

/// Row width (symbols of the second word after trimming common ends, plus
/// one) up to which the table lives on the stack.
const STACK_ROW: usize = 65;

fn osa_bounded<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    // Common ends never take part in an optimal alignment's edits (a
    // transposition across the boundary would need the chars to be equal).
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    if n == 0 || m == 0 {
        return Some(n.max(m));
    }

    // Three rows of the dynamic-programming table, values capped at `inf`.
    let max = max.min(n + m);
    let inf = max + 1;
    let width = m + 1;
    let mut stack = [0usize; 3 * STACK_ROW];
    let mut heap = Vec::new();
    let rows: &mut [usize] = if width <= STACK_ROW {
        &mut stack[..3 * width]
    } else {
        heap.resize(3 * width, 0);
        &mut heap
    };
    let (mut prev2, rest) = rows.split_at_mut(width);
    let (mut prev, mut cur) = rest.split_at_mut(width);
    prev2.fill(inf);
    cur.fill(inf);
    for (j, v) in prev.iter_mut().enumerate() {
        *v = j.min(inf);
    }

    for i in 1..=n {
        let lo = i.saturating_sub(max).max(1);
        let hi = i.saturating_add(max).min(m);
        cur[0] = i.min(inf);
        cur[lo - 1] = if lo == 1 { cur[0] } else { inf };
        let mut row_min = cur[lo - 1];
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v.min(inf);
            row_min = row_min.min(cur[j]);
        }
        if hi < m {
            cur[hi + 1] = inf;
        }
        // A transposition skips a row, but never below that row's minimum
        // plus one, so an exceeded row bounds the result.
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_and_fold_keep_their_behaviour() {
        assert_eq!(turkish_lower("İSMETPAŞA IŞIK"), "ismetpaşa ışık");
        assert_eq!(fold("Şehitkamil, KARATAŞ Mh."), "sehitkamil karatas mh");
        assert_eq!(fold("  Çağdaş   Öğüt  "), "cagdas ogut");
        assert_eq!(fold("ALİ'NİN"), "ali nin");
        assert_eq!(fold("I\u{307}stanbul"), "istanbul");
    }

    #[test]
    fn upper_case_keeps_dotted_and_dotless_i_apart() {
        let cases = [
            ("ışık", "IŞIK"),
            ("işık", "İŞIK"),
            ("gaziantep", "GAZİANTEP"),
            ("şehitkamil", "ŞEHİTKAMİL"),
            ("ığdır", "IĞDIR"),
            ("Çiğdem Öztürk", "ÇİĞDEM ÖZTÜRK"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(turkish_upper(input), want, "{input:?}");
            assert_eq!(turkish_lower(want), turkish_lower(input), "{input:?}");
        }
    }

    #[test]
    fn title_case_for_names_and_places() {
        let cases = [
            ("AHMET YILMAZ", "Ahmet Yılmaz"),
            ("ışık", "Işık"),
            ("işık", "İşık"),
            ("ismetpaşa", "İsmetpaşa"),
            ("İSMETPAŞA", "İsmetpaşa"),
            ("IŞIK", "Işık"),
            ("ŞEHİTKAMİL", "Şehitkamil"),
            ("ali'nin", "Ali'nin"),
            ("ALİ’NİN EVİ", "Ali’nin Evi"),
            ("ayşe-nur ÇELİK", "Ayşe-Nur Çelik"),
            ("  mehmet   ali  ", "  Mehmet   Ali  "),
            ("2NCİ SOKAK", "2nci Sokak"),
            ("fatih sultan mehmet blv. (eski)", "Fatih Sultan Mehmet Blv. (Eski)"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(turkish_title(input), want, "{input:?}");
        }
    }

    #[test]
    fn loose_name_keys_meet_across_spellings() {
        let groups: &[&[&str]] = &[
            &["Ahmed", "Ahmet", "AHMET", "ahmed", "  Ahmet. "],
            &["Mehmed", "Mehmet", "MEHMET"],
            &["Ahmed Yılmaz", "AHMET YILMAZ", "ahmetyilmaz", "Ahmet-Yilmaz"],
            &["Yakub", "Yakup"],
            &["Tuğ", "Tuk"],
            &["Şükrü Öğüt", "Sukru Ogut"],
        ];
        for group in groups {
            let key = loose_name_key(group[0]);
            for name in *group {
                assert_eq!(loose_name_key(name), key, "{name:?} vs {:?}", group[0]);
            }
        }
        assert_eq!(loose_name_key("Ahmed Yılmaz"), "ahmetyilmaz");
        assert_eq!(loose_name_key("Mehmed"), "mehmet");
        // Only the final letter is devoiced, and single letters are kept.
        assert_eq!(loose_name_key("Bedia"), "bedia");
        assert_eq!(loose_name_key("B. Gedik"), "bgedik");
        assert_ne!(loose_name_key("Ayşe"), loose_name_key("Ayşşe"));
        assert_eq!(loose_name_key(""), "");
    }

    #[test]
    fn name_tokens_are_loose_keys_per_word_without_duplicates() {
        let cases: &[(&str, &[&str])] = &[
            ("Ahmed YILMAZ", &["ahmet", "yilmaz"]),
            ("Ahmed AHMET Yılmaz", &["ahmet", "yilmaz"]),
            ("Mehmed Ali Çelebi", &["mehmet", "ali", "celebi"]),
            ("  ", &[]),
            ("Ayşe-Nur", &["ayse", "nur"]),
        ];
        for (input, want) in cases {
            assert_eq!(name_tokens(input), *want, "{input:?}");
        }
    }

    #[test]
    fn address_shorthand_expands() {
        let cases = [
            ("karatas mh 12 sk", "karatas mahallesi 12 sokagi"),
            ("Karataş Mh. 12 Sk. No:5", "karatas mahallesi 12 sokagi no 5"),
            ("KARATAŞ MAHALLESİ 12. SOKAK NO 5", "karatas mahallesi 12 sokagi no 5"),
            ("Karataş Mah. 12 Sok. Numara 5", "karatas mahallesi 12 sokagi no 5"),
            ("İnönü Cd. No:3", "inonu caddesi no 3"),
            ("inonu cad no 3", "inonu caddesi no 3"),
            ("İnönü Caddesi", "inonu caddesi"),
            ("Atatürk Blv.", "ataturk bulvari"),
            ("ataturk bulv", "ataturk bulvari"),
            ("Atatürk Bulvarı", "ataturk bulvari"),
            ("Gül Apt. D:4", "gul apartmani d 4"),
            ("gul apartmanı", "gul apartmani"),
            // Whole words only.
            ("Mhmt Skr Apartkent", "mhmt skr apartkent"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(expand_address(input), want, "{input:?}");
        }
        // The forms meet.
        assert_eq!(expand_address("karatas mh 12 sk"), expand_address("Karataş Mahallesi 12. Sokak"));
    }

    #[test]
    fn collation_follows_the_turkish_alphabet() {
        let sorted = [
            "", "10", "9", "Ali", "ali veli", "Alive", "Bora", "Can", "Cem", "Çağla", "Çiğdem", "Dilek", "Göksel",
            "Gül", "Ğ", "Hakan", "Irmak", "Işık", "İlker", "İsmail", "Jale", "kamil", "Kamil", "Kâmil", "Kemal", "Oya",
            "Ömer", "Öztürk", "Pınar", "Rüya", "Selim", "Şule", "Tülin", "Umut", "Ümit", "Veli", "Yavuz", "Zeynep",
            "Ωmega",
        ];
        for w in sorted.windows(2) {
            assert_eq!(turkish_cmp(w[0], w[1]), Ordering::Less, "{:?} < {:?}", w[0], w[1]);
            assert_eq!(turkish_cmp(w[1], w[0]), Ordering::Greater, "{:?} > {:?}", w[1], w[0]);
        }
        let mut shuffled = sorted.to_vec();
        shuffled.reverse();
        shuffled.swap(3, 17);
        shuffled.sort_by(|a, b| turkish_cmp(a, b));
        assert_eq!(shuffled, sorted);
    }

    #[test]
    fn letter_weights_follow_the_alphabet() {
        let alphabet = "abcçdefgğhıijklmnoöpqrsştuüvwxyz";
        let weights: Vec<u32> = alphabet.chars().map(|c| letter_weight(c).unwrap()).collect();
        assert_eq!(weights, (0..32).collect::<Vec<u32>>());
        for c in ['â', 'é', 'ß', '1', ' ', 'A'] {
            assert_eq!(letter_weight(c), None, "{c:?}");
        }
    }

    #[test]
    fn collation_levels() {
        let less = [
            // Case is decided only after the letters: lower case first.
            ("ahmet", "Ahmet"),
            ("Ahmet", "ahmeta"),
            // Accents after letters, before case.
            ("Kamil", "kâmil"),
            ("kâmil", "Kâmil"),
            ("Kâmil", "Kemal"),
            // Dotted and dotless i are different letters.
            ("IRMAK", "İLKER"),
            ("ılık", "ilik"),
        ];
        for (a, b) in less {
            assert_eq!(turkish_cmp(a, b), Ordering::Less, "{a:?} < {b:?}");
        }
        assert_eq!(turkish_cmp("Işık", "Işık"), Ordering::Equal);
        // Canonically equivalent spellings collate together, but only
        // identical strings are Equal.
        assert!(!turkish_cmp("Kâmil", "Ka\u{302}mil").is_eq());
        assert_eq!(turkish_cmp("Kâmil", "Kemal"), turkish_cmp("Ka\u{302}mil", "Kemal"));
    }

    #[test]
    fn sanitize_strips_controls_escapes_and_bidi() {
        let cases = [
            ("plain Türkçe metin", "plain Türkçe metin", "plain Türkçe metin"),
            ("a\tb", "a b", "a b"),
            ("line1\nline2", "line1 line2", "line1\nline2"),
            ("line1\r\nline2\rline3", "line1 line2 line3", "line1\nline2\nline3"),
            ("a\u{2028}b\u{85}c", "a b c", "a\nb\nc"),
            // SGR colours and cursor movement.
            ("\u{1b}[31mred\u{1b}[0m", "red", "red"),
            ("\u{1b}[2J\u{1b}[1;1Hclear", "clear", "clear"),
            ("\u{1b}[?1049hx", "x", "x"),
            ("\u{9b}31mc1 csi", "c1 csi", "c1 csi"),
            // OSC: window title (BEL), hyperlink (ST), clipboard write.
            ("\u{1b}]0;pwned\u{7}title", "title", "title"),
            ("\u{1b}]8;;http://x.example\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link", "link"),
            ("\u{1b}]52;c;ZXZpbA==\u{7}ok", "ok", "ok"),
            ("\u{9d}0;t\u{9c}ok", "ok", "ok"),
            // DCS and APC strings.
            ("\u{1b}Pq#0;2;0;0;0\u{1b}\\ok", "ok", "ok"),
            ("\u{1b}_apc\u{1b}\\ok", "ok", "ok"),
            // Unterminated string swallows the rest.
            ("ok\u{1b}]0;never ends", "ok", "ok"),
            // Two-character escapes and charset selection.
            ("\u{1b}cre\u{1b}(Bset", "reset", "reset"),
            ("lone esc\u{1b}", "lone esc", "lone esc"),
            // C0, DEL, C1.
            ("a\u{0}b\u{7}c\u{8}d\u{7f}e\u{80}f\u{99}g", "abcdefg", "abcdefg"),
            // Bidi embeddings, overrides, isolates.
            ("abc\u{202e}fed\u{202c}", "abcfed", "abcfed"),
            ("\u{2066}x\u{2067}y\u{2068}z\u{2069}\u{202a}\u{202b}\u{202d}", "xyz", "xyz"),
            ("", "", ""),
        ];
        for (input, one_line, multi) in cases {
            assert_eq!(sanitize_for_terminal(input), one_line, "{input:?}");
            assert_eq!(sanitize_multiline_for_terminal(input), multi, "{input:?}");
        }
    }

    #[test]
    fn sanitized_text_has_no_control_characters() {
        let nasty: String = (0u32..0x300).filter_map(char::from_u32).collect::<String>()
            + "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}";
        for out in [sanitize_for_terminal(&nasty), sanitize_multiline_for_terminal(&nasty)] {
            for c in out.chars() {
                assert!(c == '\n' || !c.is_control(), "{c:?} survived");
                assert!(!matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'));
            }
        }
        assert!(!sanitize_for_terminal(&nasty).contains('\n'));
    }

    /// The textbook full-table OSA distance, to check the fast one against.
    fn reference_osa(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn damerau_levenshtein_known_values() {
        let cases = [
            ("", "", 0),
            ("", "abc", 3),
            ("abc", "", 3),
            ("ahmet", "ahmet", 0),
            ("ahmet", "ahmte", 1),
            ("ahmet", "hamet", 1),
            ("ahmet", "ahmed", 1),
            ("ahmet", "ahmt", 1),
            ("ahmet", "ahmeet", 1),
            ("yilmaz", "yilmas", 1),
            ("mehmet", "mehmed", 1),
            ("kitten", "sitting", 3),
            ("ca", "abc", 3),
            ("abcdef", "badcfe", 3),
            ("şükrü", "sukru", 3),
            ("şükrü", "şükür", 1),
            ("şükrü", "şkürü", 1),
            ("ayşe", "ayse", 1),
            ("gaziantep", "gazaintep", 1),
        ];
        for (a, b, want) in cases {
            assert_eq!(damerau_levenshtein(a, b), want, "{a:?} {b:?}");
            assert_eq!(damerau_levenshtein(b, a), want, "{b:?} {a:?}");
            assert_eq!(reference_osa(a, b), want, "reference {a:?} {b:?}");
            for max in 0..=want + 1 {
                assert_eq!(within_distance(a, b, max), want <= max, "{a:?} {b:?} {max}");
            }
        }
    }

    #[test]
    fn within_distance_agrees_with_the_full_table() {
        // Deterministic pseudo-random words over a small alphabet, so that
        // transpositions and repeats are common.
        let alphabet: Vec<char> = "abcaşı".chars().collect();
        let mut seed = 0x9e37_79b9_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let word = |next: &mut dyn FnMut() -> u32| -> String {
            let len = (next() % 9) as usize;
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u32) as usize]).collect()
        };
        for _ in 0..3000 {
            let a = word(&mut next);
            let b = word(&mut next);
            let want = reference_osa(&a, &b);
            assert_eq!(damerau_levenshtein(&a, &b), want, "{a:?} {b:?}");
            for max in 0..=4 {
                assert_eq!(within_distance(&a, &b, max), want <= max, "{a:?} {b:?} {max}");
            }
        }
    }

    #[test]
    fn distance_handles_long_words_off_the_stack() {
        let a = "a".repeat(100) + "xy";
        let b = "b".repeat(100) + "yx";
        assert_eq!(damerau_levenshtein(&a, &b), 101);
        assert!(!within_distance(&a, &b, 100));
        assert!(within_distance(&a, &b, 101));
        assert!(within_distance(&a, &a, 0));
        assert!(within_distance("abc", "abd", usize::MAX));
    }
}
