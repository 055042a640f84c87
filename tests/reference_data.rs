//! Checks the shipped reference data in `data/` for consistency.

use beyazmasa::domain::reference::{
    HolidayKind, SlaTarget, UnitKind, shipped_holidays, shipped_places, shipped_taxonomy,
};
use std::collections::{BTreeSet, HashSet};

const DISTRICTS: [&str; 9] =
    ["ARABAN", "ISLAHIYE", "KARKAMIS", "NIZIP", "NURDAGI", "OGUZELI", "SAHINBEY", "SEHITKAMIL", "YAVUZELI"];
/// Form fields a category may require; the request form knows these.
const KNOWN_FIELDS: [&str; 4] = ["address", "tckn", "plate", "line"];
const PLACEHOLDERS: [&str; 4] = ["takip_no", "tarih", "mahalle", "ilce"];

fn read_data(name: &str) -> serde_json::Value {
    let path = format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn places() {
    let places = shipped_places();
    assert_eq!(places.province, "Gaziantep");
    assert_eq!(places.plate, 27);
    let codes: Vec<&str> = places.districts.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, DISTRICTS);
    let total: usize = places.districts.iter().map(|d| d.neighbourhoods.len()).sum();
    assert_eq!(total, 786);
    let not_in_tuik = places.districts.iter().flat_map(|d| &d.neighbourhoods).filter(|n| !n.in_tuik_list).count();
    assert_eq!(not_in_tuik, 51);
    for d in &places.districts {
        assert!(d.population > 0, "{}", d.code);
        let mut names = HashSet::new();
        for n in &d.neighbourhoods {
            assert!(names.insert(n.name.as_str()), "{}: duplicate {}", d.code, n.name);
            assert!(!n.postal_codes.is_empty(), "{}", n.name);
            for pc in &n.postal_codes {
                assert!(pc.len() == 5 && pc.starts_with("27") && pc.bytes().all(|b| b.is_ascii_digit()), "{pc}");
            }
            assert_eq!(n.in_tuik_list, n.tuik_id.is_some(), "{}", n.name);
            for alias in &n.aliases {
                assert_ne!(alias, &n.name);
            }
        }
    }
    assert!(places.district("Şahinbey").is_some());
}

#[test]
fn taxonomy() {
    let t = shipped_taxonomy();
    let units: HashSet<&str> = t.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(units.len(), t.units.len(), "duplicate unit codes");
    let groups: HashSet<&str> = t.groups.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(groups.len(), t.groups.len(), "duplicate group codes");
    assert!(t.categories.len() >= 60, "only {} categories", t.categories.len());

    for u in &t.units {
        assert!(u.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'), "{}", u.code);
        assert!(!u.name_tr.is_empty() && !u.name_en.is_empty());
        match u.kind {
            UnitKind::District => {
                let d = u.district.as_deref().unwrap_or_else(|| panic!("{} has no district", u.code));
                assert!(DISTRICTS.contains(&d), "{}: {d}", u.code);
            }
            _ => assert!(u.district.is_none(), "{}", u.code),
        }
    }
    let district_units: BTreeSet<&str> =
        t.units.iter().filter(|u| u.kind == UnitKind::District).filter_map(|u| u.district.as_deref()).collect();
    assert_eq!(district_units.len(), 9, "one municipality per district");

    let mut codes = HashSet::new();
    let mut service_codes = HashSet::new();
    for c in &t.categories {
        assert!(codes.insert(c.code.as_str()), "duplicate category {}", c.code);
        assert!(service_codes.insert(c.service_code.as_str()), "duplicate service code {}", c.service_code);
        assert!(c.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'), "{}", c.code);
        assert!(groups.contains(c.group.as_str()), "{}: unknown group {}", c.code, c.group);
        assert!(units.contains(c.default_unit.as_str()), "{}: unknown unit {}", c.code, c.default_unit);
        for (district, unit) in &c.district_units {
            assert!(DISTRICTS.contains(&district.as_str()), "{}: unknown district {district}", c.code);
            assert!(units.contains(unit.as_str()), "{}: unknown unit {unit}", c.code);
        }
        assert!(!c.name_tr.is_empty() && !c.name_en.is_empty());
        assert!(!c.keywords.is_empty(), "{} has no keywords", c.code);
        for k in &c.keywords {
            assert_eq!(k.trim(), k, "{}: {k:?}", c.code);
            assert!(!k.is_empty() && beyazmasa::domain::text::turkish_lower(k) == *k, "{}: {k:?}", c.code);
        }
        match c.sla {
            SlaTarget::Hours(h) => assert!(h > 0),
            SlaTarget::WorkingDays(d) => assert!(d > 0),
        }
        for f in &c.required_fields {
            assert!(KNOWN_FIELDS.contains(&f.as_str()), "{}: unknown field {f}", c.code);
        }
        if c.emergency {
            assert_eq!(c.default_unit, "ACIL_112", "{}", c.code);
            assert!(matches!(c.sla, SlaTarget::Hours(_)), "{}", c.code);
        }
        if c.out_of_remit {
            let unit = t.unit(&c.default_unit).unwrap();
            assert!(unit.kind != UnitKind::Metropolitan || unit.code == "BEYAZ_MASA", "{}", c.code);
        }
    }
    assert!(t.categories.iter().filter(|c| c.emergency).count() >= 3);
    for group in &groups {
        assert!(t.categories.iter().any(|c| c.group == *group), "group {group} is empty");
    }
    // Routing: a district mapping wins, otherwise the default.
    let garbage = t.category("COP_TOPLAMA").unwrap();
    assert_eq!(t.route(garbage, Some("NIZIP")), "NIZIP_BLD");
    assert_eq!(t.route(garbage, None), garbage.default_unit);
}

#[test]
fn holidays() {
    let cal = shipped_holidays();
    for pair in cal.holidays.windows(2) {
        assert!(pair[0].date < pair[1].date, "not sorted or duplicate: {}", pair[1].date);
    }
    for year in 2024..=2030 {
        let of_year: Vec<_> =
            cal.holidays.iter().filter(|h| h.date.format("%Y").to_string() == year.to_string()).collect();
        assert!(of_year.len() >= 15, "{year}: {} entries", of_year.len());
        let date = |md: &str| chrono::NaiveDate::parse_from_str(&format!("{year}-{md}"), "%Y-%m-%d").unwrap();
        for md in ["01-01", "04-23", "05-01", "05-19", "07-15", "08-30", "10-29"] {
            let h = of_year.iter().find(|h| h.date == date(md)).unwrap_or_else(|| panic!("{year}-{md} missing"));
            assert_eq!(h.kind, HolidayKind::Full);
        }
        let oct28 = of_year.iter().find(|h| h.date == date("10-28")).expect("28 Ekim");
        assert_eq!(oct28.kind, HolidayKind::Half);
        assert_eq!(of_year.iter().filter(|h| h.name.starts_with("Ramazan Bayramı (")).count(), 3, "{year}");
        assert_eq!(of_year.iter().filter(|h| h.name.contains("Kurban Bayramı (")).count(), 4, "{year}");
    }
}

#[test]
fn reply_templates() {
    let t = shipped_taxonomy();
    let data = read_data("reply_templates.json");
    let templates = data["templates"].as_array().expect("templates");
    let mut covered = HashSet::new();
    for tpl in templates {
        let category = tpl["category"].as_str().expect("category");
        let text = tpl["text"].as_str().expect("text");
        assert!(matches!(tpl["lang"].as_str(), Some("tr" | "en")), "{tpl}");
        if let Some(group) = category.strip_prefix("group:") {
            assert!(t.groups.iter().any(|g| g.code == group), "unknown group {group}");
            covered.insert(group.to_string());
        } else {
            let c = t.category(category).unwrap_or_else(|| panic!("unknown category {category}"));
            covered.insert(c.group.clone());
        }
        // Every {placeholder} is a known one.
        for part in text.split('{').skip(1) {
            let name = part.split('}').next().unwrap();
            assert!(PLACEHOLDERS.contains(&name), "{category}: unknown placeholder {{{name}}}");
        }
        assert!(text.contains("{takip_no}"), "{category}: no tracking number");
    }
    for g in &t.groups {
        assert!(covered.contains(&g.code), "no reply template for group {}", g.code);
    }
}

#[test]
fn names() {
    let data = read_data("names.json");
    for (key, min) in [("male", 80), ("female", 80), ("surnames", 150)] {
        let list = data[key].as_array().unwrap_or_else(|| panic!("{key}"));
        assert!(list.len() >= min, "{key}: {}", list.len());
        let mut seen = HashSet::new();
        for entry in list {
            let name = entry[0].as_str().expect("name");
            assert!(entry[1].as_u64().is_some_and(|w| w > 0), "{name}");
            assert!(seen.insert(name), "{key}: duplicate {name}");
        }
    }
    let streets = data["streets"].as_array().expect("streets");
    assert!(streets.len() >= 50);
    assert!(streets.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty())));
}
