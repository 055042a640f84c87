//! Reply templates per category (or category group) with placeholders:
//! `{takip_no}`, `{tarih}`, `{mahalle}`, `{ilce}`.

use serde::Deserialize;

const TEMPLATES_JSON: &str = include_str!("../../data/reply_templates.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Template {
    /// A category code, or `group:NAME` for every category of a group.
    pub category: String,
    pub lang: String,
    pub text: String,
}

#[derive(Debug, Deserialize)]
struct File {
    templates: Vec<Template>,
}

/// The shipped templates, parsed once. The file is checked by a test, so a
/// parse failure here is a build defect.
pub fn all() -> &'static [Template] {
    static T: std::sync::OnceLock<Vec<Template>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        serde_json::from_str::<File>(TEMPLATES_JSON).expect("data/reply_templates.json is valid").templates
    })
}

/// Templates for a category: its own first, then its group's.
pub fn for_category(category: &str) -> Vec<&'static Template> {
    let group = super::reference::taxonomy().category(category).map(|c| format!("group:{}", c.group));
    let own = all().iter().filter(|t| t.category == category);
    let grouped = all().iter().filter(|t| Some(&t.category) == group.as_ref());
    own.chain(grouped).collect()
}

/// What a placeholder is filled with.
pub struct Fill<'a> {
    pub tracking_no: &'a str,
    /// `dd.mm.yyyy`.
    pub date: &'a str,
    pub neighbourhood: &'a str,
    pub district: &'a str,
}

pub fn fill(text: &str, f: &Fill<'_>) -> String {
    text.replace("{takip_no}", f.tracking_no)
        .replace("{tarih}", f.date)
        .replace("{mahalle}", f.neighbourhood)
        .replace("{ilce}", f.district)
}

/// True if the text still has a placeholder to fill.
pub fn has_placeholders(text: &str) -> bool {
    ["{takip_no}", "{tarih}", "{mahalle}", "{ilce}"].iter().any(|p| text.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_names_a_known_category_or_group_and_fills() {
        let tax = super::super::reference::taxonomy();
        assert!(!all().is_empty());
        for t in all() {
            let known = match t.category.strip_prefix("group:") {
                Some(g) => tax.groups.iter().any(|x| x.code == g),
                None => tax.category(&t.category).is_some(),
            };
            assert!(known, "{}", t.category);
            let f =
                Fill {
                    tracking_no: "27-3TRA045", date: "01.12.2026", neighbourhood: "Karataş", district: "Şahinbey"
                };
            assert!(!has_placeholders(&fill(&t.text, &f)), "{}", t.text);
        }
        assert!(!for_category("SU_KESINTISI").is_empty());
    }
}
