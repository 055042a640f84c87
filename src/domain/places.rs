//! Resolving what people call places to the canonical district and
//! neighbourhood names: folded matching over names and aliases.

use std::collections::HashMap;

use super::reference::Places;
use super::text::fold;

/// A canonical place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceRef {
    pub district_code: String,
    pub district: String,
    pub neighbourhood: String,
    pub population: u32,
}

/// Lookup tables over the shipped (or admin-edited) place list.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    /// folded district name or code → (code, name)
    districts: HashMap<String, (String, String)>,
    /// folded neighbourhood name or alias → places with that name
    neighbourhoods: HashMap<String, Vec<PlaceRef>>,
    /// longest neighbourhood name, in words
    max_words: usize,
}

impl Gazetteer {
    pub fn new(places: &Places) -> Gazetteer {
        let mut districts = HashMap::new();
        let mut neighbourhoods: HashMap<String, Vec<PlaceRef>> = HashMap::new();
        let mut max_words = 1;
        for d in &places.districts {
            districts.insert(fold(&d.name), (d.code.clone(), d.name.clone()));
            districts.insert(fold(&d.code), (d.code.clone(), d.name.clone()));
            for n in &d.neighbourhoods {
                let place = PlaceRef {
                    district_code: d.code.clone(),
                    district: d.name.clone(),
                    neighbourhood: n.name.clone(),
                    population: n.population.unwrap_or(0),
                };
                for name in std::iter::once(&n.name).chain(&n.aliases) {
                    let key = fold(name);
                    max_words = max_words.max(key.split(' ').count());
                    let entry = neighbourhoods.entry(key).or_default();
                    if !entry.contains(&place) {
                        entry.push(place.clone());
                    }
                }
            }
        }
        for list in neighbourhoods.values_mut() {
            list.sort_by_key(|p| std::cmp::Reverse(p.population));
        }
        Gazetteer { districts, neighbourhoods, max_words }
    }

    /// The shipped Gaziantep list, built once.
    pub fn shipped() -> &'static Gazetteer {
        static G: std::sync::OnceLock<Gazetteer> = std::sync::OnceLock::new();
        G.get_or_init(|| Gazetteer::new(&super::reference::shipped_places()))
    }

    /// A district by code or name in any case or spelling: `(code, name)`.
    pub fn district(&self, input: &str) -> Option<(&str, &str)> {
        self.districts.get(&fold(input)).map(|(c, n)| (c.as_str(), n.as_str()))
    }

    /// Resolves a neighbourhood (name or alias) within a district.
    pub fn neighbourhood(&self, district: &str, input: &str) -> Option<&PlaceRef> {
        let (code, _) = self.district(district)?;
        let folded = fold(input);
        let key = strip_suffix_word(&folded);
        self.neighbourhoods.get(key)?.iter().find(|p| p.district_code == code)
    }

    /// Finds a neighbourhood named inside free text ("karatas mh 12 sk"),
    /// preferring one in a district the text also names. Returns the place
    /// and the words left over.
    ///
    /// When several words could be a neighbourhood, the one followed by
    /// `mh` wins, then one not followed by a street word (`hurriyet cd` is
    /// a street, not the Hürriyet neighbourhood), then one in the named
    /// district, then the longest, then the first. A district's own name
    /// (`sahinbey`) is taken as the district, not as the village of that
    /// name elsewhere, unless another word names that other district.
    pub fn find_in_text(&self, folded: &str) -> Option<(&PlaceRef, Vec<String>)> {
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        // (rank, start, len, place)
        type Rank = (bool, bool, bool, usize, std::cmp::Reverse<usize>);
        let mut best: Option<(Rank, usize, usize, &PlaceRef)> = None;
        for len in (1..=self.max_words.min(words.len())).rev() {
            for start in 0..=words.len() - len {
                let key = words[start..start + len].join(" ");
                let Some(list) = self.neighbourhoods.get(&key) else { continue };
                let named_district = words
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i < start || *i >= start + len)
                    .find_map(|(_, w)| self.districts.get(*w))
                    .map(|(c, _)| c.as_str());
                let in_named = named_district.and_then(|d| list.iter().find(|p| p.district_code == d));
                if len == 1 && self.districts.contains_key(words[start]) && in_named.is_none() {
                    continue;
                }
                let place = in_named.unwrap_or(&list[0]);
                let next = words.get(start + len).copied();
                let rank = (
                    next.is_some_and(is_place_word),
                    !next.is_some_and(is_street_word),
                    in_named.is_some(),
                    len,
                    std::cmp::Reverse(start),
                );
                if best.as_ref().is_none_or(|b| rank > b.0) {
                    best = Some((rank, start, len, place));
                }
            }
        }
        let (_, start, len, place) = best?;
        let rest = words[..start]
            .iter()
            .chain(&words[start + len..])
            .filter(|w| !is_place_word(w) && !self.districts.contains_key(**w))
            .map(|w| w.to_string())
            .collect();
        Some((place, rest))
    }

    /// All places, for fuzzy pickers: (folded key, place).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &PlaceRef)> {
        self.neighbourhoods.iter().flat_map(|(k, v)| v.iter().map(move |p| (k.as_str(), p)))
    }
}

/// Words that only say "this is a neighbourhood/street".
fn is_place_word(w: &str) -> bool {
    matches!(w, "mh" | "mah" | "mahalle" | "mahallesi")
}

/// Words that say the name before them is a street's.
fn is_street_word(w: &str) -> bool {
    matches!(
        w,
        "cd" | "cad"
            | "cadde"
            | "caddesi"
            | "sk"
            | "sok"
            | "sokak"
            | "sokagi"
            | "blv"
            | "bulv"
            | "bulvar"
            | "bulvari"
            | "nolu"
    )
}

fn strip_suffix_word(s: &str) -> &str {
    for suffix in [" mahallesi", " mahalle", " mah", " mh"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            return rest;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_districts_in_any_spelling() {
        let g = Gazetteer::shipped();
        assert_eq!(g.district("sehitkamil"), Some(("SEHITKAMIL", "Şehitkamil")));
        assert_eq!(g.district("ŞAHİNBEY").map(|d| d.0), Some("SAHINBEY"));
        assert_eq!(g.district("İstanbul"), None);
    }

    #[test]
    fn resolves_neighbourhoods_without_turkish_letters() {
        let g = Gazetteer::shipped();
        let p = g.neighbourhood("SAHINBEY", "karatas mahallesi").expect("Karataş");
        assert_eq!(p.neighbourhood, "Karataş");
        assert!(g.neighbourhood("SAHINBEY", "Atlantis").is_none());
    }

    #[test]
    fn finds_a_neighbourhood_in_free_text() {
        let g = Gazetteer::shipped();
        let (p, rest) = g.find_in_text(&fold("karatas mh 12 sk")).expect("found");
        assert_eq!(p.neighbourhood, "Karataş");
        assert_eq!(rest, vec!["12".to_string(), "sk".to_string()]);
    }

    #[test]
    fn a_district_or_a_street_is_not_taken_for_a_neighbourhood() {
        let g = Gazetteer::shipped();
        // Şahinbey is also a village in Nizip and Oğuzeli.
        let (p, rest) = g.find_in_text(&fold("sahinbey perilikaya sehit mehmet sk 3")).expect("found");
        assert_eq!((p.district_code.as_str(), p.neighbourhood.as_str()), ("SAHINBEY", "Perilikaya"));
        assert_eq!(rest, ["sehit", "mehmet", "sk", "3"]);
        assert!(g.find_in_text("sahinbey").is_none());
        // Hürriyet is a neighbourhood of Şehitkamil too, but here a street.
        let (p, _) = g.find_in_text("hurriyet cd 23 ibrahimli").expect("found");
        assert_eq!(p.neighbourhood, "İbrahimli");
        let (p, _) = g.find_in_text("sehitkamil hurriyet mh").expect("found");
        assert_eq!(p.neighbourhood, "Hürriyet");
    }
}
