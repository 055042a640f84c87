//! Reference data: Gaziantep's districts and neighbourhoods, the unit and
//! category taxonomy, and the holiday calendar. The shipped files live in
//! `data/` and are embedded in the binary, so a fresh clone needs nothing else.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const PLACES_JSON: &str = include_str!("../../data/gaziantep.json");
pub const TAXONOMY_JSON: &str = include_str!("../../data/taxonomy.json");
pub const HOLIDAYS_JSON: &str = include_str!("../../data/holidays.json");

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Places {
    pub province: String,
    pub plate: u8,
    pub districts: Vec<District>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct District {
    /// Stable code, ASCII upper case: `SAHINBEY`.
    pub code: String,
    /// Proper Turkish casing: `Şahinbey`.
    pub name: String,
    pub population: u32,
    pub neighbourhoods: Vec<Neighbourhood>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Neighbourhood {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub postal_codes: Vec<String>,
    #[serde(default)]
    pub population: Option<u32>,
    #[serde(default)]
    pub tuik_id: Option<u32>,
    /// False for the names PTT still lists but TÜİK no longer does.
    pub in_tuik_list: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub units: Vec<Unit>,
    pub groups: Vec<CategoryGroup>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A department of the metropolitan municipality (or GASKİ).
    Metropolitan,
    /// A district municipality.
    District,
    /// An outside body for out-of-remit routing (electricity, gas, İŞKUR…).
    External,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: String,
    pub name_tr: String,
    pub name_en: String,
    pub kind: UnitKind,
    /// For district municipalities: the district code.
    #[serde(default)]
    pub district: Option<String>,
    /// A phone number or short code citizens can be referred to.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryGroup {
    pub code: String,
    pub name_tr: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum SlaTarget {
    /// Calendar hours, round the clock (outages, emergencies).
    Hours(u32),
    /// Working days in Europe/Istanbul, skipping weekends and holidays.
    WorkingDays(u32),
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    /// Open311 GeoReport v2 service code.
    pub service_code: String,
    pub group: String,
    pub name_tr: String,
    pub name_en: String,
    /// Words and phrases (Turkish, lower case) that suggest this category.
    pub keywords: Vec<String>,
    pub default_unit: String,
    /// District code → unit code, where the district routes elsewhere.
    #[serde(default)]
    pub district_units: HashMap<String, String>,
    pub sla: SlaTarget,
    #[serde(default = "default_priority")]
    pub priority: crate::domain::model::Priority,
    /// An emergency the agent must transfer to 112 (fire, gas smell…).
    #[serde(default)]
    pub emergency: bool,
    /// Belongs to an outside body; the request is referred, not worked.
    #[serde(default)]
    pub out_of_remit: bool,
    /// Extra fields the form must ask for (`address`, `tckn`, `plate`…).
    #[serde(default)]
    pub required_fields: Vec<String>,
}

fn default_priority() -> crate::domain::model::Priority {
    crate::domain::model::Priority::Normal
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayCalendar {
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// No work all day.
    Full,
    /// Work ends at 13:00 (arife, 28 Ekim).
    Half,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: chrono::NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
}

impl Taxonomy {
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The unit a category routes to in a district (category × district).
    pub fn route(&self, category: &Category, district: Option<&str>) -> String {
        district.and_then(|d| category.district_units.get(d)).unwrap_or(&category.default_unit).clone()
    }
}

impl Places {
    pub fn district(&self, code_or_name: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.code == code_or_name || d.name == code_or_name)
    }
}

/// Parses the embedded files. They are checked by tests, so a failure here
/// is a build defect, not a user error.
pub fn shipped_places() -> Places {
    serde_json::from_str(PLACES_JSON).expect("data/gaziantep.json is valid")
}

pub fn shipped_taxonomy() -> Taxonomy {
    serde_json::from_str(TAXONOMY_JSON).expect("data/taxonomy.json is valid")
}

/// The shipped taxonomy, parsed once (for the console's pickers).
pub fn taxonomy() -> &'static Taxonomy {
    static T: std::sync::OnceLock<Taxonomy> = std::sync::OnceLock::new();
    T.get_or_init(shipped_taxonomy)
}

pub fn shipped_holidays() -> HolidayCalendar {
    serde_json::from_str(HOLIDAYS_JSON).expect("data/holidays.json is valid")
}
