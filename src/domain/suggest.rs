//! Category suggestion from what the agent types during a call.
//!
//! The text and the category keywords are folded (`text::fold`), split into
//! tokens, and matched token by token:
//!
//! - exactly, or as a stem followed by a chain of common suffixes, so that
//!   `su` matches `suyumuz` and `sular` but not `sultan`. The buffer
//!   consonants (`su`→`suyu`) and the final-consonant softening
//!   (`kapak`→`kapağı`, `yurt`→`yurdu`) are handled. Keyword tokens written
//!   inflected are stemmed when indexed (`toplanmıyor`→`toplan`,
//!   `köpekler`→`köpek`), so they match the other forms too;
//! - by a looser prefix: a keyword token of five or more letters also matches
//!   a word that continues with three or more letters that are not suffixes
//!   (`kanal` in `kanalizasyon`);
//! - approximately, for typos: Damerau-Levenshtein (optimal string alignment)
//!   distance ≤ 1 for keyword tokens of five or more letters and ≤ 2 from
//!   eight, against the whole typed word or its start when the rest is a
//!   suffix chain (`kanalizsyon`, `cukkurlar`). Only for typed words that no
//!   keyword explains otherwise, and not when only the last letter differs
//!   (`kaldırın` is not `kaldırım`).
//!
//! A keyword of several words matches when its words appear in order with at
//! most three other words between consecutive ones, and it scores more than
//! the sum of its words. Each word is weighted by its inverse document
//! frequency over the categories (counting inflections of a word together),
//! so that a word many categories share (`su`, `fatura`) counts less than one
//! that names a single category (`vidanjör`). Within a category a typed word
//! counts once, for the best keyword that uses it. The words of the category
//! name count as weak keywords. Emergencies (112) get a small boost, because
//! missing one costs more than a false alarm the agent dismisses.
//!
//! Folding loses distinctions the matcher cannot recover (`şu`/`su`,
//! `ölmüş`/`olmuş`, `çök`/`çok`), so keywords avoid such forms.
//!
//! Everything that does not depend on the typed text is computed in
//! [`Suggester::new`]; a call costs tens of microseconds (release build).

use crate::domain::reference::Taxonomy;
use crate::domain::text::fold;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One suggested category, best first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub code: String,
    /// The category's default unit (the district routing comes later).
    pub unit: String,
    /// Relevance, only comparable between suggestions for the same text.
    pub score: f32,
}

/// Keyword tokens at least this long match any longer word that starts with them.
const FREE_PREFIX_LEN: usize = 5;
/// Shortest keyword token that typo matching applies to.
const FUZZY_MIN_LEN: usize = 5;
/// From this length, two edits are tolerated.
const FUZZY_TWO_EDITS_LEN: usize = 8;
/// Words allowed between two consecutive words of a keyword.
const MAX_GAP: usize = 3;
/// A long keyword token followed by something that is not a suffix chain
/// still matches when that rest is at least this long (kanal-izasyon), but
/// not for one or two letters (direk ≠ direkt).
const MIN_FREE_REST: usize = 3;
/// Shortest word of a category name used as a weak keyword.
const MIN_NAME_WORD: usize = 4;
/// Shortest stem left when an inflected keyword token is stemmed.
const MIN_STEM: usize = 5;
/// Extra weight per additional word of a multi-word keyword.
const PHRASE_BONUS: f32 = 0.5;
/// Weight of the words of the category name relative to keywords.
const NAME_WEIGHT: f32 = 0.35;
/// Score multiplier for emergency (112) categories.
const EMERGENCY_BOOST: f32 = 1.25;

/// Exact, or a stem followed by a chain of suffixes: both are the same word.
const Q_EXACT: f32 = 1.0;
/// A long stem followed by something that does not read as suffixes.
const Q_PREFIX: f32 = 0.85;
const Q_FUZZY1: f32 = 0.7;
const Q_FUZZY2: f32 = 0.55;

/// Common Turkish suffixes after folding (ı→i, ü→u, ö→o), nominal and verbal.
/// Only used to accept a prefix match of a short keyword token, so the list
/// errs on the generous side.
const SUFFIXES: &[&str] = &[
    // plural, possessive
    "lar", "ler", "m", "im", "um", "in", "un", "i", "u", "si", "su", "miz", "muz", "imiz", "umuz", "niz", "nuz", "iniz",
    "uniz", "lari", "leri", // case
    "a", "e", "na", "ne", "da", "de", "ta", "te", "nda", "nde", "dan", "den", "tan", "ten", "ndan", "nden", "nin",
    "nun", "la", "le", "daki", "deki", "taki", "teki", // derivation, copula
    "li", "lu", "siz", "suz", "ci", "cu", "lik", "luk", "ki", "ca", "ce", "dir", "dur", "tir", "tur",
    "ken", // verbal
    "iyor", "uyor", "yor", "iyo", "uyo", "yo", "iy", "uy", "di", "du", "mis", "mus", "ma", "me", "mi", "mu", "acak",
    "ecek", "ir", "ur", "ar", "er", "mak", "mek", "sin", "sun", "iz", "uz", "ip", "up", "sa", "se", "il", "ul",
];

/// Endings stripped from keyword tokens at indexing, longest first, so that a
/// keyword written inflected (`toplanmıyor`, `köpekler`, `faturası`) also
/// matches the other forms (`toplanmadı`, `köpeği`, `faturam`).
const STRIP_ENDINGS: &[&str] = &[
    "miyor", "muyor", "mamis", "memis", "iyor", "uyor", "madi", "medi", "lari", "leri", "ndan", "nden", "yor", "mis",
    "mus", "lar", "ler", "dan", "den", "tan", "ten", "nda", "nde", "di", "du", "ti", "tu", "si", "su", "da", "de",
    "ta", "te",
];

/// Words of category names that say nothing about the subject.
const NAME_STOPWORDS: &[&str] =
    &["ve", "ile", "veya", "icin", "talebi", "talep", "sikayeti", "hizmeti", "hizmetleri", "konusu", "durumu", "kisi"];

struct Phrase {
    /// Vocabulary ids, in order.
    tokens: Vec<u32>,
    /// 1 for keywords, [`NAME_WEIGHT`] for the words of the name.
    weight: f32,
}

/// One keyword found in the text.
struct Hit {
    score: f32,
    /// Typed word position → its weighted score in this keyword.
    parts: Vec<(usize, f32)>,
}

struct CategoryIndex {
    code: String,
    unit: String,
    boost: f32,
    phrases: Vec<Phrase>,
}

/// A precomputed index over a taxonomy's keywords.
pub struct Suggester {
    /// Distinct folded keyword tokens.
    vocab: Vec<Vec<u8>>,
    idf: Vec<f32>,
    /// Vocabulary ids by first byte, for prefix and typo matching.
    by_first: Vec<Vec<u32>>,
    /// Vocabulary id → (category, phrase) pairs whose phrase starts with it.
    starts: HashMap<u32, Vec<(u32, u32)>>,
    categories: Vec<CategoryIndex>,
}

impl Suggester {
    pub fn new(taxonomy: &Taxonomy) -> Self {
        let mut vocab: Vec<Vec<u8>> = Vec::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut intern = |token: &str| -> u32 {
            *ids.entry(token.to_string()).or_insert_with(|| {
                vocab.push(token.as_bytes().to_vec());
                (vocab.len() - 1) as u32
            })
        };

        let mut categories = Vec::with_capacity(taxonomy.categories.len());
        for category in &taxonomy.categories {
            let mut phrases = Vec::new();
            for keyword in &category.keywords {
                let tokens: Vec<u32> =
                    fold(keyword).split(' ').filter(|t| !t.is_empty()).map(|t| intern(stem(t))).collect();
                if !tokens.is_empty() {
                    phrases.push(Phrase { tokens, weight: 1.0 });
                }
            }
            for word in fold(&category.name_tr).split(' ') {
                if word.len() >= MIN_NAME_WORD && !NAME_STOPWORDS.contains(&word) {
                    phrases.push(Phrase { tokens: vec![intern(stem(word))], weight: NAME_WEIGHT });
                }
            }
            categories.push(CategoryIndex {
                code: category.code.clone(),
                unit: category.default_unit.clone(),
                boost: if category.emergency { EMERGENCY_BOOST } else { 1.0 },
                phrases,
            });
        }

        let mut by_first = vec![Vec::new(); 256];
        for (id, token) in vocab.iter().enumerate() {
            by_first[token[0] as usize].push(id as u32);
        }

        // Document frequency over categories, counted per family of tokens
        // that are inflections of each other (fatura, faturası, faturam), so
        // that a word spread over many categories in different forms still
        // counts as common.
        let mut in_category = vec![vec![false; vocab.len()]; categories.len()];
        for (ci, category) in categories.iter().enumerate() {
            for phrase in &category.phrases {
                for &id in &phrase.tokens {
                    in_category[ci][id as usize] = true;
                }
            }
        }
        let n = categories.len().max(1) as f32;
        let idf = (0..vocab.len())
            .map(|v| {
                let token = &vocab[v];
                let family: Vec<usize> = by_first[token[0] as usize]
                    .iter()
                    .map(|&u| u as usize)
                    .filter(|&u| {
                        let other = &vocab[u];
                        u == v
                            || affix_match(token, other).is_some_and(|(_, clean)| clean)
                            || affix_match(other, token).is_some_and(|(_, clean)| clean)
                    })
                    .collect();
                let df = in_category.iter().filter(|has| family.iter().any(|&u| has[u])).count();
                (1.0 + n / df.max(1) as f32).ln()
            })
            .collect();

        let mut starts: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        for (ci, category) in categories.iter().enumerate() {
            for (pi, phrase) in category.phrases.iter().enumerate() {
                starts.entry(phrase.tokens[0]).or_default().push((ci as u32, pi as u32));
            }
        }
        Suggester { vocab, idf, by_first, starts, categories }
    }

    /// Ranked best first, at most `limit`, only categories with a positive score.
    pub fn suggest(&self, text: &str, limit: usize) -> Vec<Suggestion> {
        if limit == 0 {
            return Vec::new();
        }
        let folded = fold(text);
        let words: Vec<&[u8]> = folded.split(' ').filter(|w| !w.is_empty()).map(str::as_bytes).collect();
        if words.is_empty() {
            return Vec::new();
        }
        // For each typed word: the vocabulary tokens it matches, with quality.
        let matches: Vec<Vec<(u32, f32)>> = words.iter().map(|w| self.match_word(w)).collect();

        // Keywords found, per category.
        let mut found: HashMap<u32, Vec<Hit>> = HashMap::new();
        for (pos, word_matches) in matches.iter().enumerate() {
            for &(vid, _) in word_matches {
                let Some(starting) = self.starts.get(&vid) else {
                    continue;
                };
                for &(ci, pi) in starting {
                    let phrase = &self.categories[ci as usize].phrases[pi as usize];
                    if let Some(hit) = self.match_phrase(phrase, pos, &matches) {
                        found.entry(ci).or_default().push(hit);
                    }
                }
            }
        }

        let mut scored: Vec<(u32, f32)> = found
            .into_iter()
            .map(|(ci, mut hits)| {
                hits.sort_by(|a, b| b.score.total_cmp(&a.score));
                let mut claimed = vec![false; words.len()];
                let mut score = 0.0;
                for Hit { parts, .. } in hits {
                    for (pos, s) in parts {
                        if !claimed[pos] {
                            claimed[pos] = true;
                            score += s;
                        }
                    }
                }
                (ci, score * self.categories[ci as usize].boost)
            })
            .filter(|&(_, s)| s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(limit)
            .map(|(ci, score)| {
                let c = &self.categories[ci as usize];
                Suggestion { code: c.code.clone(), unit: c.unit.clone(), score }
            })
            .collect()
    }

    /// Matches `phrase` with its first token at `start`; returns its score and
    /// the weighted score of each typed word it uses.
    fn match_phrase(&self, phrase: &Phrase, start: usize, matches: &[Vec<(u32, f32)>]) -> Option<Hit> {
        let bonus = phrase.weight * (1.0 + PHRASE_BONUS * (phrase.tokens.len() - 1) as f32);
        let mut parts = Vec::with_capacity(phrase.tokens.len());
        let mut pos = start;
        for (i, &vid) in phrase.tokens.iter().enumerate() {
            let found = if i == 0 {
                quality(&matches[pos], vid).map(|q| (pos, q))
            } else {
                let end = (pos + 2 + MAX_GAP).min(matches.len());
                (pos + 1..end).find_map(|p| quality(&matches[p], vid).map(|q| (p, q)))
            };
            let (p, q) = found?;
            parts.push((p, q * self.idf[vid as usize] * bonus));
            pos = p;
        }
        let total = parts.iter().map(|&(_, s)| s).sum();
        Some(Hit { score: total, parts })
    }

    /// The vocabulary tokens a typed word matches.
    fn match_word(&self, word: &[u8]) -> Vec<(u32, f32)> {
        let candidates = &self.by_first[word[0] as usize];
        let mut out = Vec::new();
        let mut explained = false;
        for &vid in candidates {
            let token = &self.vocab[vid as usize];
            if let Some((q, clean)) = affix_match(token, word) {
                explained |= clean;
                out.push((vid, q));
            }
        }
        if !explained && word.len() >= FUZZY_MIN_LEN {
            for &vid in candidates {
                let token = &self.vocab[vid as usize];
                if token.len() < FUZZY_MIN_LEN || out.iter().any(|&(v, _)| v == vid) {
                    continue;
                }
                if let Some(q) = fuzzy_match(token, word) {
                    out.push((vid, q));
                }
            }
        }
        out
    }
}

/// Strips one inflectional ending from a keyword token when a stem of at
/// least [`MIN_STEM`] letters remains; such a stem matches any continuation.
fn stem(token: &str) -> &str {
    STRIP_ENDINGS
        .iter()
        .filter_map(|ending| token.strip_suffix(ending))
        .find(|stem| stem.len() >= MIN_STEM)
        .unwrap_or(token)
}

fn quality(word_matches: &[(u32, f32)], vid: u32) -> Option<f32> {
    word_matches.iter().find(|&&(v, _)| v == vid).map(|&(_, q)| q)
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Whether `rest` reads as a chain of suffixes after a stem ending in `last`.
fn is_suffix_chain(last: u8, rest: &[u8]) -> bool {
    let n = rest.len();
    if n >= 64 {
        return false;
    }
    // Bit i: the first i bytes of `rest` are a chain.
    let mut ok: u64 = 1;
    for i in 0..n {
        if ok & (1 << i) == 0 {
            continue;
        }
        let prev = if i == 0 { last } else { rest[i - 1] };
        // Buffer consonant between two vowels: su-y-u, kapı-s-ı, su-y-u-n-a.
        if matches!(rest[i], b'y' | b'n' | b's') && is_vowel(prev) && i + 1 < n && is_vowel(rest[i + 1]) {
            ok |= 1 << (i + 1);
        }
        for suffix in SUFFIXES {
            let s = suffix.as_bytes();
            if rest[i..].starts_with(s) {
                ok |= 1 << (i + s.len());
            }
        }
    }
    ok & (1 << n) != 0
}

/// Exact or prefix match of keyword token `token` against typed `word`.
/// Returns the quality and whether the match explains the whole word
/// (exact, or the rest is a suffix chain), which rules out typo matching.
fn affix_match(token: &[u8], word: &[u8]) -> Option<(f32, bool)> {
    if word == token {
        return Some((Q_EXACT, true));
    }
    let last = *token.last()?;
    if word.len() > token.len() && word.starts_with(token) {
        let rest = &word[token.len()..];
        if is_suffix_chain(last, rest) {
            return Some((Q_EXACT, true));
        }
        if token.len() >= FREE_PREFIX_LEN && rest.len() >= MIN_FREE_REST {
            return Some((Q_PREFIX, false));
        }
        return None;
    }
    // Final consonant softening before a vowel: kapak→kapağı, dolap→dolabı, yurt→yurdu.
    let soft = match last {
        b'k' => b'g',
        b'p' => b'b',
        b't' => b'd',
        _ => return None,
    };
    let stem = &token[..token.len() - 1];
    if word.len() > token.len() && word.starts_with(stem) && word[stem.len()] == soft {
        let rest = &word[token.len()..];
        if is_vowel(rest[0]) && (token.len() >= FREE_PREFIX_LEN || is_suffix_chain(soft, rest)) {
            return Some((Q_EXACT, true));
        }
    }
    None
}

/// Typo match of keyword token `token` (≥ 5 bytes) against the whole typed
/// word, or against its start when the rest is a suffix chain (`cukkurlar`).
fn fuzzy_match(token: &[u8], word: &[u8]) -> Option<f32> {
    let max = if token.len() >= FUZZY_TWO_EDITS_LEN { 2 } else { 1 };
    let quality = |d: usize| if d <= 1 { Q_FUZZY1 } else { Q_FUZZY2 };
    // Words that differ only in their last letter are usually two forms of
    // one stem (kaldırım / kaldırın), not a typo.
    let last_letter_only = token.len() == word.len() && token[..token.len() - 1] == word[..word.len() - 1];
    if !last_letter_only && let Some(d) = osa_distance(token, word, max) {
        return Some(quality(d));
    }
    // Only stems at least as long as the keyword token: a shorter one would
    // let ordinary words match (yanına ≈ yangın + a).
    let hi = (token.len() + max).min(word.len().saturating_sub(1));
    (token.len()..=hi)
        .filter_map(|m| osa_distance(token, &word[..m], max).filter(|_| is_suffix_chain(word[m - 1], &word[m..])))
        .min()
        .map(|d| quality(d) - 0.05)
}

/// Longest token the typo distance looks at.
const MAX_FUZZY_LEN: usize = 32;

/// Optimal string alignment distance, or `None` when it exceeds `max`.
fn osa_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max || a.len() >= MAX_FUZZY_LEN || b.len() >= MAX_FUZZY_LEN {
        return None;
    }
    // Three rolling rows: i-2, i-1, i.
    let mut rows = [[0usize; MAX_FUZZY_LEN]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let dist = rows[a.len() % 3][b.len()];
    (dist <= max).then_some(dist)
}

/// Convenience over the shipped taxonomy (built once).
pub fn suggest(text: &str, limit: usize) -> Vec<Suggestion> {
    static SUGGESTER: OnceLock<Suggester> = OnceLock::new();
    SUGGESTER.get_or_init(|| Suggester::new(&crate::domain::reference::shipped_taxonomy())).suggest(text, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(text: &str) -> String {
        suggest(text, 3).first().map(|s| s.code.clone()).unwrap_or_default()
    }

    fn codes(text: &str, limit: usize) -> Vec<String> {
        suggest(text, limit).into_iter().map(|s| s.code).collect()
    }

    #[test]
    fn suffix_chains() {
        assert!(is_suffix_chain(b'u', b"yumuz"));
        assert!(is_suffix_chain(b'u', b"lar"));
        assert!(is_suffix_chain(b'u', b"yun"));
        assert!(!is_suffix_chain(b'u', b"ltan"));
        assert!(!is_suffix_chain(b'u', b"t"));
    }

    #[test]
    fn affix_matching() {
        assert!(affix_match(b"su", b"suyumuz").is_some());
        assert!(affix_match(b"su", b"sular").is_some());
        assert!(affix_match(b"su", b"susuz").is_some());
        assert!(affix_match(b"su", b"sultan").is_none());
        assert!(affix_match(b"su", b"sut").is_none());
        assert!(affix_match(b"kopek", b"kopeklerin").is_some());
        assert!(affix_match(b"kapak", b"kapagi").is_some());
        assert!(affix_match(b"yurt", b"yurdu").is_some());
        assert!(affix_match(b"cop", b"copler").is_some());
        assert!(affix_match(b"kar", b"kartal").is_none());
        assert!(affix_match(b"kar", b"kartima").is_none());
    }

    #[test]
    fn typo_matching() {
        assert!(fuzzy_match(b"kanalizasyon", b"kanalizsyon").is_some());
        assert!(fuzzy_match(b"cukur", b"cukkur").is_some());
        assert!(fuzzy_match(b"cukur", b"cukkurlar").is_some());
        assert!(fuzzy_match(b"kopek", b"kopke").is_some()); // transposition
        assert!(fuzzy_match(b"kopek", b"kepce").is_none());
        assert_eq!(osa_distance(b"abcd", b"abdc", 1), Some(1));
        assert_eq!(osa_distance(b"abcd", b"xyzw", 2), None);
    }

    #[test]
    fn turkish_suffixes() {
        assert_eq!(top("iki gündür suyumuz akmıyor"), "SU_KESINTISI");
        assert_eq!(top("bizim yoldaki çukurlar büyüdü"), "YOL_CUKUR");
        assert_eq!(top("köpekler çocuklara saldırıyor"), "SOKAK_KOPEK");
        assert!(codes("otobüsün şoförü durakta durmadı", 3).contains(&"OTOBUS_SOFOR".to_string()));
        assert_eq!(top("kaldırımda taşlar kırık"), "KALDIRIM");
    }

    #[test]
    fn missing_turkish_letters() {
        assert_eq!(top("cop toplanmiyor"), "COP_TOPLAMA");
        assert_eq!(top("sokakta kopek var"), "SOKAK_KOPEK");
        assert_eq!(top("kaldirim bozuk"), "KALDIRIM");
    }

    #[test]
    fn typos() {
        assert_eq!(top("kanalizsyon tasti"), "KANAL_TIKANIKLIK");
        assert_eq!(top("yolda cukkur var"), "YOL_CUKUR");
    }

    #[test]
    fn empty_and_unknown_input() {
        assert!(suggest("", 3).is_empty());
        assert!(suggest("   ,.  ", 3).is_empty());
        assert!(suggest("merhaba", 3).is_empty());
        assert!(suggest("su yok", 0).is_empty());
    }

    #[test]
    fn emergencies_rank_first() {
        let taxonomy = crate::domain::reference::shipped_taxonomy();
        for text in ["gaz kokusu var", "yangın çıktı", "evde doğalgaz kokusu var", "kaza oldu yaralı var"] {
            let first = suggest(text, 3).into_iter().next().expect(text);
            let category = taxonomy.category(&first.code).unwrap();
            assert!(category.emergency, "{text}: {first:?}");
            assert_eq!(first.unit, "ACIL_112");
        }
        assert_eq!(top("gaz kokusu var"), "ACIL_GAZ_KOKUSU");
        assert_eq!(top("yangın çıktı"), "ACIL_YANGIN");
    }

    #[test]
    fn ranked_limited_and_positive() {
        let s = suggest("su yok kanalizasyon taştı çöp toplanmıyor", 2);
        assert_eq!(s.len(), 2);
        assert!(s[0].score >= s[1].score && s[1].score > 0.0);
        assert_eq!(s[0].unit, crate::domain::reference::shipped_taxonomy().category(&s[0].code).unwrap().default_unit);
    }

    #[test]
    fn works_on_a_custom_taxonomy() {
        let taxonomy: Taxonomy = serde_json::from_value(serde_json::json!({
            "units": [{"code": "A", "name_tr": "A", "name_en": "A", "kind": "metropolitan"}],
            "groups": [{"code": "g", "name_tr": "G", "name_en": "G"}],
            "categories": [
                {"code": "WATER", "service_code": "1", "group": "g", "name_tr": "Su", "name_en": "Water",
                 "keywords": ["su yok", "su"], "default_unit": "A", "sla": {"kind": "hours", "value": 1}},
                {"code": "SULTAN", "service_code": "2", "group": "g", "name_tr": "Sultan", "name_en": "Sultan",
                 "keywords": ["sultan"], "default_unit": "A", "sla": {"kind": "hours", "value": 1}}
            ]
        }))
        .unwrap();
        let s = Suggester::new(&taxonomy);
        assert_eq!(s.suggest("suyumuz yok", 5)[0].code, "WATER");
        assert_eq!(s.suggest("sultan", 5).len(), 1);
        assert_eq!(s.suggest("sultan", 5)[0].code, "SULTAN");
    }
}
