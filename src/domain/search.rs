//! Caller-search ranking rules, shared by the central store and the
//! console's offline cache so both rank alike.

use super::places::Gazetteer;
use super::query::CallerQuery;
use super::text;

/// A neighbourhood recognised in a text query, and the other words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceQuery {
    pub district: String,
    pub neighbourhood: String,
    /// Remaining words, shorthand-expanded (`12 sokagi`).
    pub rest: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenQuery {
    pub parsed: CallerQuery,
    pub place: Option<PlaceQuery>,
}

impl CitizenQuery {
    pub fn new(input: &str, gazetteer: &Gazetteer) -> CitizenQuery {
        let parsed = CallerQuery::parse(input);
        let place = match &parsed {
            CallerQuery::Text { folded, .. } => gazetteer.find_in_text(folded).map(|(p, rest)| PlaceQuery {
                district: p.district_code.clone(),
                neighbourhood: p.neighbourhood.clone(),
                rest: text::expand_address(&rest.join(" "))
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect(),
            }),
            _ => None,
        };
        CitizenQuery { parsed, place }
    }
}

/// The vocabulary tokens a typed word may stand for, with a score and
/// whether it is an exact match: exact 1.0, a prefix of a longer token
/// (typing in progress) 0.8, one edit away 0.6, two edits (long words) 0.45.
/// `vocab` yields `(token, uses)`; the most used tokens win ties, and at
/// most 40 are kept.
pub fn expand_word<'a>(word: &str, vocab: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, f32, bool)> {
    let len = word.chars().count();
    let max_edits = match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let mut out: Vec<(String, f32, bool, i64)> = Vec::new();
    for (tok, uses) in vocab {
        let (score, exact) = if tok == word {
            (1.0, true)
        } else if len >= 2 && tok.starts_with(word) {
            (0.8, false)
        } else if max_edits > 0
            && tok.chars().count().abs_diff(len) <= max_edits
            && text::within_distance(word, tok, max_edits)
        {
            if text::within_distance(word, tok, 1) { (0.6, false) } else { (0.45, false) }
        } else {
            continue;
        };
        out.push((tok.to_string(), score, exact, uses));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.3.cmp(&a.3)));
    out.truncate(40);
    out.into_iter().map(|(t, s, e, _)| (t, s, e)).collect()
}

/// Scores a citizen's name tokens against the expanded query words. Every
/// word must match one of the tokens; the score is the mean of the best
/// matches. Returns `(score, all_exact)`.
pub fn score_name(per_word: &[Vec<(String, f32)>], tokens: &[String]) -> Option<(f32, bool)> {
    let mut total = 0.0;
    let mut all_exact = true;
    for candidates in per_word {
        let best = candidates
            .iter()
            .filter(|(t, _)| tokens.contains(t))
            .map(|(_, s)| *s)
            .fold(None, |acc: Option<f32>, s| Some(acc.map_or(s, |a| a.max(s))))?;
        all_exact &= best >= 1.0;
        total += best;
    }
    if per_word.is_empty() {
        return None;
    }
    Some((total / per_word.len() as f32, all_exact))
}

/// Words that only say what kind of address part follows.
pub fn is_filler_word(w: &str) -> bool {
    matches!(w, "no" | "sokagi" | "caddesi" | "bulvari" | "apartmani" | "mahallesi")
}

/// Whether an address word names the street (a whole street word, or the
/// start of one for 3 letters or more) or is the door number.
fn in_street(w: &str, street_words: &[&str], number: Option<&str>) -> bool {
    street_words.iter().any(|s| *s == w || (w.len() >= 3 && s.starts_with(w))) || number == Some(w)
}

/// Whether an address word names a street (folded, shorthand-expanded):
/// a whole word of it, or the start of one for 3 letters or more.
pub fn street_has(street_key: &str, w: &str) -> bool {
    in_street(w, &street_key.split(' ').collect::<Vec<_>>(), None)
}

/// Scores an address against the words left after the neighbourhood: each
/// word must appear in the street (folded, shorthand-expanded) or be the
/// door number. No remaining words means everyone in the neighbourhood.
pub fn score_address(rest: &[String], street_key: Option<&str>, number: Option<&str>) -> Option<f32> {
    if rest.is_empty() {
        return Some(0.3);
    }
    let street_words: Vec<&str> = street_key.unwrap_or("").split(' ').collect();
    let number = number.map(text::fold);
    let mut matched = 0;
    for w in rest {
        if in_street(w, &street_words, number.as_deref()) {
            matched += 1;
        } else if !is_filler_word(w) {
            return None;
        }
    }
    (matched > 0).then(|| 0.4 + 0.5 * matched as f32 / rest.len() as f32)
}

/// Scores a resident of the neighbourhood named in the query against the
/// other words: each must be in the street or the door number, or else
/// match one of the resident's name tokens (`names[i]` are the tokens the
/// i-th word may stand for, with their scores, as [`expand_word`] gives);
/// at least one must be a name. A word in the street counts as the street,
/// so `haci ahmet sk` does not find every Ahmet of the neighbourhood.
/// Returns `(score, every name word exact)`; the score stays just under
/// that of the same name matched without a place, so a citizen whose name
/// holds every word comes first.
pub fn score_name_in_place(
    rest: &[String],
    names: &[Vec<(String, f32)>],
    tokens: &[String],
    street_key: Option<&str>,
    number: Option<&str>,
) -> Option<(f32, bool)> {
    let street_words: Vec<&str> = street_key.unwrap_or("").split(' ').collect();
    let number = number.map(text::fold);
    let (mut total, mut counted, mut named, mut all_exact) = (0.0, 0, 0, true);
    for (w, candidates) in rest.iter().zip(names) {
        if in_street(w, &street_words, number.as_deref()) {
            total += 1.0;
        } else if let Some(best) =
            candidates.iter().filter(|(t, _)| tokens.contains(t)).map(|(_, s)| *s).reduce(f32::max)
        {
            total += best;
            named += 1;
            all_exact &= best >= 1.0;
        } else if is_filler_word(w) {
            continue;
        } else {
            return None;
        }
        counted += 1;
    }
    (named > 0).then(|| (0.95 * total / counted as f32, all_exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vec<(&'static str, i64)> {
        vec![("yilmaz", 50), ("yildiz", 40), ("yilmazer", 2), ("ahmet", 90), ("isik", 10)]
    }

    #[test]
    fn exact_prefix_and_typo() {
        let v = vocab();
        let e = expand_word("yilmaz", v.iter().copied());
        assert_eq!(e[0], ("yilmaz".to_string(), 1.0, true));
        assert!(e.iter().any(|(t, s, _)| t == "yilmazer" && *s == 0.8));
        let typo = expand_word("yilmz", v.iter().copied());
        assert_eq!(typo[0].0, "yilmaz");
        assert!(expand_word("yil", v.iter().copied()).iter().all(|(t, _, _)| t.starts_with("yil")));
    }

    #[test]
    fn every_word_must_match() {
        let per_word = vec![vec![("ahmet".to_string(), 1.0)], vec![("yilmaz".to_string(), 1.0)]];
        let toks = vec!["ahmet".to_string(), "yilmaz".to_string()];
        assert_eq!(score_name(&per_word, &toks), Some((1.0, true)));
        assert_eq!(score_name(&per_word, &["ahmet".to_string()]), None);
    }

    #[test]
    fn address_words_match_street_and_number() {
        let rest = vec!["12".to_string(), "sokagi".to_string()];
        assert!(score_address(&rest, Some("12 sokagi"), Some("5")).is_some());
        assert!(score_address(&rest, Some("ataturk bulvari"), Some("5")).is_none());
    }

    #[test]
    fn residents_match_by_name_street_or_number() {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let names = |ws: &[&str]| ws.iter().map(|w| vec![(w.to_string(), 1.0)]).collect::<Vec<_>>();
        let tokens = words(&["fatma", "yilmaz"]);
        // "fatma yilmaz <neighbourhood> istasyon cd"
        let rest = words(&["fatma", "yilmaz", "istasyon", "caddesi"]);
        let got = score_name_in_place(
            &rest,
            &names(&["fatma", "yilmaz", "istasyon", "caddesi"]),
            &tokens,
            Some("istasyon caddesi"),
            Some("12"),
        );
        assert_eq!(got.map(|(_, exact)| exact), Some(true));
        assert!(got.unwrap().0 < 1.0);
        // Another street, or another name: no.
        assert!(
            score_name_in_place(
                &rest,
                &names(&["fatma", "yilmaz", "istasyon", "caddesi"]),
                &tokens,
                Some("emek sokagi"),
                None
            )
            .is_none()
        );
        assert!(score_name_in_place(&words(&["ayse"]), &names(&["ayse"]), &tokens, None, None).is_none());
        // A word in the street is the street, and a street alone is no name match.
        let rest = words(&["haci", "ahmet", "sokagi"]);
        let ahmet = words(&["ahmet", "kaya"]);
        assert!(
            score_name_in_place(&rest, &names(&["haci", "ahmet", "sokagi"]), &ahmet, Some("haci ahmet sokagi"), None)
                .is_none()
        );
    }
}
