//! The Call screen's state and its pure updates: caller search, the caller's
//! history, the new-request form with live category suggestions, the
//! duplicate radar and submitting. Nothing here does I/O; reads and writes
//! of the offline cache go out as [`Effect`]s and come back as messages.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use uuid::Uuid;

use super::input::LineInput;
use super::key::{KeyChord, KeyCodeOrd};
use crate::client::cache::Badge;
use crate::domain::model::{Channel, Priority, RequestType};
use crate::domain::places::Gazetteer;
use crate::domain::query::CallerQuery;
use crate::domain::reference::{Category, taxonomy};
use crate::domain::status::Status;
use crate::domain::suggest::{Suggestion, suggest};
use crate::domain::text::{fold, within_distance};
use crate::protocol::{
    Action as Op, Citizen, CitizenHit, EventKind, Location, MAX_TEXT_CHARS, NewCitizen, NewRequest, Request,
};

/// A request as the console shows it: the local view and where it stands
/// with the server.
pub type Row = (Request, Badge);

/// Fewest characters before the caller search runs.
pub const MIN_QUERY_CHARS: usize = 2;
/// Results shown for a caller search.
pub const SEARCH_LIMIT: usize = 20;
/// Options a picker lists.
const PICK_LIMIT: usize = 8;
/// How far back the duplicate radar looks.
pub const RADAR_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// Nobody chosen yet.
    None,
    Known(Box<Citizen>),
    /// The citizen does not give a name; the request has no citizen.
    Anonymous,
}

impl Caller {
    pub fn citizen(&self) -> Option<&Citizen> {
        match self {
            Caller::Known(c) => Some(c),
            _ => None,
        }
    }
}

/// A submitted request, or the existing one the caller was added to.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub request_id: Uuid,
    pub tracking_no: String,
    pub unit: String,
    pub status: Status,
    /// The caller was added as a co-reporter of an existing request.
    pub co_reported: bool,
}

/// Why an action on a request was sent, to route its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActPurpose {
    Note,
    /// The citizen asks for an update: a contact is logged.
    Update,
    CoReport,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallState {
    pub search: LineInput,
    /// Id of the newest search sent; older answers are dropped.
    pub search_seq: u64,
    /// The query the shown hits answer.
    pub hits_query: String,
    pub hits: Vec<CitizenHit>,
    pub hit_sel: usize,
    pub caller: CallerSlot,
    pub history: Vec<Row>,
    pub history_sel: usize,
    pub form: RequestForm,
    pub nearby: Vec<Row>,
    pub nearby_sel: usize,
    /// (category, district, neighbourhood) the radar list answers.
    pub nearby_key: Option<(String, String, String)>,
    pub filed: Option<Filed>,
    /// A write is on its way to the cache.
    pub busy: bool,
    /// The last failure to save, shown in the form; the content stays.
    pub error: Option<String>,
    /// The line the call came in on (from the phone system).
    pub line: Option<Channel>,
    /// Call length frozen when the phone system reported the hang-up.
    pub ended_seconds: Option<u32>,
    /// The number of the call the phone system popped, if any.
    pub popped: Option<String>,
}

/// `Caller` with a default, so `CallState` can derive one.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerSlot(pub Caller);

impl Default for CallerSlot {
    fn default() -> Self {
        CallerSlot(Caller::None)
    }
}

// ------------------------------------------------------------ text fields

/// The multi-line description: a ratatui-textarea that compares by content.
#[derive(Debug, Clone)]
pub struct Description(TextArea<'static>);

impl Default for Description {
    fn default() -> Self {
        let mut area = TextArea::default();
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.set_max_histories(200);
        Description(area)
    }
}

impl PartialEq for Description {
    fn eq(&self, other: &Self) -> bool {
        self.0.lines() == other.0.lines()
    }
}

impl Description {
    pub fn text(&self) -> String {
        self.0.lines().join("\n")
    }

    pub fn area(&self) -> &TextArea<'static> {
        &self.0
    }

    pub fn area_mut(&mut self) -> &mut TextArea<'static> {
        &mut self.0
    }

    pub fn is_blank(&self) -> bool {
        self.0.lines().iter().all(|l| l.trim().is_empty())
    }

    fn chars(&self) -> usize {
        self.0.lines().iter().map(|l| l.chars().count() + 1).sum::<usize>().saturating_sub(1)
    }

    /// Applies an editing or movement key; `false` if it is neither.
    pub fn handle(&mut self, key: KeyChord) -> bool {
        let ctrl = key.has_ctrl_or_alt();
        let full = self.chars() >= MAX_TEXT_CHARS;
        let a = &mut self.0;
        match key.code {
            KeyCodeOrd::Char(c) if !ctrl => {
                if !full {
                    a.insert_char(c);
                }
            }
            KeyCodeOrd::Enter if !ctrl => {
                if !full {
                    a.insert_newline();
                }
            }
            KeyCodeOrd::Backspace => {
                a.delete_char();
            }
            KeyCodeOrd::Delete => {
                a.delete_next_char();
            }
            KeyCodeOrd::Left if ctrl => a.move_cursor(CursorMove::WordBack),
            KeyCodeOrd::Right if ctrl => a.move_cursor(CursorMove::WordForward),
            KeyCodeOrd::Left => a.move_cursor(CursorMove::Back),
            KeyCodeOrd::Right => a.move_cursor(CursorMove::Forward),
            KeyCodeOrd::Up => a.move_cursor(CursorMove::Up),
            KeyCodeOrd::Down => a.move_cursor(CursorMove::Down),
            KeyCodeOrd::Home => a.move_cursor(CursorMove::Head),
            KeyCodeOrd::End => a.move_cursor(CursorMove::End),
            _ => return false,
        }
        true
    }

    /// Inserts pasted text without control characters or escape sequences,
    /// cut at the length limit. Returns whether it was cut.
    pub fn paste(&mut self, text: &str) -> bool {
        let clean = crate::domain::text::sanitize_multiline_for_terminal(&text.replace('\t', " "));
        let room = MAX_TEXT_CHARS.saturating_sub(self.chars());
        let cut = clean.chars().count() > room;
        let take: String = clean.chars().take(room).collect();
        self.0.insert_str(take);
        cut
    }
}

/// A field that filters a fixed list as the user types: category,
/// district, neighbourhood, unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pick {
    pub input: LineInput,
    pub chosen: Option<Choice>,
    /// Matches of the typed text, best first.
    pub options: Vec<Choice>,
    pub sel: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Category or unit code; neighbourhood name.
    pub value: String,
    pub label: String,
    /// For neighbourhoods: the district code.
    pub district: Option<String>,
}

impl Pick {
    fn choose(&mut self, choice: Choice) {
        self.chosen = Some(choice);
        self.input = LineInput::default();
        self.options.clear();
        self.sel = 0;
    }

    fn clear(&mut self) {
        *self = Pick::default();
    }

    /// The highlighted option, while the list is open.
    pub fn highlighted(&self) -> Option<&Choice> {
        self.options.get(self.sel)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormField {
    Kind,
    Channel,
    Description,
    Category,
    District,
    Neighbourhood,
    Street,
    Priority,
    Answer,
    Unit,
    UnitReason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequestForm {
    pub field: FormField,
    pub kind: RequestType,
    pub channel: Channel,
    pub description: Description,
    /// Top suggestions for the description as typed.
    pub suggestions: Vec<Suggestion>,
    pub category: Pick,
    pub district: Pick,
    pub neighbourhood: Pick,
    pub street: LineInput,
    /// `None`: the category's default.
    pub priority: Option<Priority>,
    /// For a bilgi request answered on the call.
    pub answer: LineInput,
    /// An override of the routed unit.
    pub unit: Pick,
    pub unit_reason: LineInput,
    /// Problems found on submit, per field.
    pub errors: Vec<(FormField, FormError)>,
}

impl Default for RequestForm {
    fn default() -> Self {
        RequestForm {
            field: FormField::Description,
            kind: RequestType::Request,
            channel: Channel::Line153,
            description: Description::default(),
            suggestions: Vec::new(),
            category: Pick::default(),
            district: Pick::default(),
            neighbourhood: Pick::default(),
            street: LineInput::default(),
            priority: None,
            answer: LineInput::default(),
            unit: Pick::default(),
            unit_reason: LineInput::default(),
            errors: Vec::new(),
        }
    }
}

/// What is wrong with a field, shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    Required,
    NoCaller,
    UnitReasonRequired,
    AnswerOnlyForInfo,
}

impl RequestForm {
    /// The fields in focus order; some appear only when they apply.
    pub fn fields(&self) -> Vec<FormField> {
        use FormField::*;
        let mut v = vec![Kind, Channel, Description, Category, District, Neighbourhood, Street, Priority];
        if self.kind == RequestType::Information {
            v.push(Answer);
        }
        v.push(Unit);
        if self.unit.chosen.is_some() {
            v.push(UnitReason);
        }
        v
    }

    pub fn category(&self) -> Option<&'static Category> {
        self.category.chosen.as_ref().and_then(|c| taxonomy().category(&c.value))
    }

    pub fn district_code(&self) -> Option<&str> {
        self.district.chosen.as_ref().map(|c| c.value.as_str())
    }

    /// The unit the request goes to: the override, or the category's route.
    pub fn unit_code(&self) -> Option<String> {
        if let Some(u) = &self.unit.chosen {
            return Some(u.value.clone());
        }
        self.category().map(|c| taxonomy().route(c, self.district_code()))
    }

    pub fn effective_priority(&self) -> Priority {
        self.priority.or(self.category().map(|c| c.priority)).unwrap_or(Priority::Normal)
    }

    pub fn error(&self, field: FormField) -> Option<FormError> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, e)| *e)
    }

    /// Typed content that a reset would throw away.
    pub fn has_content(&self) -> bool {
        !self.description.is_blank() || self.category.chosen.is_some() || !self.answer.is_empty()
    }

    pub fn pick(&self, field: FormField) -> Option<&Pick> {
        match field {
            FormField::Category => Some(&self.category),
            FormField::District => Some(&self.district),
            FormField::Neighbourhood => Some(&self.neighbourhood),
            FormField::Unit => Some(&self.unit),
            _ => None,
        }
    }

    pub fn pick_mut(&mut self, field: FormField) -> Option<&mut Pick> {
        match field {
            FormField::Category => Some(&mut self.category),
            FormField::District => Some(&mut self.district),
            FormField::Neighbourhood => Some(&mut self.neighbourhood),
            FormField::Unit => Some(&mut self.unit),
            _ => None,
        }
    }

    pub fn line_mut(&mut self, field: FormField) -> Option<&mut LineInput> {
        match field {
            FormField::Street => Some(&mut self.street),
            FormField::Answer => Some(&mut self.answer),
            FormField::UnitReason => Some(&mut self.unit_reason),
            f => self.pick_mut(f).map(|p| &mut p.input),
        }
    }

    /// Fills the location from a citizen's address.
    pub fn set_location_from(&mut self, citizen: &Citizen) {
        let Some(addr) = &citizen.address else { return };
        let g = Gazetteer::shipped();
        let Some((code, name)) = g.district(&addr.district) else { return };
        self.district.choose(Choice { value: code.to_string(), label: name.to_string(), district: None });
        self.neighbourhood.clear();
        if let Some(place) = g.neighbourhood(code, &addr.neighbourhood) {
            self.neighbourhood.choose(neighbourhood_choice(place));
        }
        let street = [addr.street.as_deref(), addr.number.as_deref().map(|n| format!("No {n}")).as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        self.street = LineInput::with_text(&street);
    }
}

// ------------------------------------------------------------ pickers

/// Scores how well the typed words match a folded text: every word must
/// start a word of the text (best), appear inside it, or be one typo away
/// from one of its words. Lower is better; `None` if a word does not match.
fn match_score(words: &[String], hay: &str) -> Option<u32> {
    let hay_words: Vec<&str> = hay.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut total = 0;
    for w in words {
        let score = if hay_words.iter().any(|h| h.starts_with(w.as_str())) {
            0
        } else if hay.contains(w.as_str()) {
            2
        } else if w.chars().count() >= 4
            && hay_words.iter().any(|h| {
                let prefix: String = h.chars().take(w.chars().count()).collect();
                within_distance(w, &prefix, 1)
            })
        {
            5
        } else {
            return None;
        };
        total += score;
    }
    Some(total)
}

fn query_words(query: &str) -> Vec<String> {
    fold(query).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

pub fn category_label(c: &Category, en: bool) -> String {
    let unit = taxonomy().unit(&c.default_unit).map(|u| u.code.as_str()).unwrap_or("");
    let name = if en { &c.name_en } else { &c.name_tr };
    format!("{name} · {unit}")
}

pub fn category_options(query: &str, en: bool) -> Vec<Choice> {
    let words = query_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(u32, &Category)> = taxonomy()
        .categories
        .iter()
        .filter_map(|c| {
            // The name in Turkish first, then English or the code, then the
            // keywords (what citizens say).
            let tr = match_score(&words, &fold(&c.name_tr));
            let other = match_score(&words, &fold(&format!("{} {}", c.name_en, c.code.replace('_', " "))));
            let keywords = match_score(&words, &fold(&c.keywords.join(" ")));
            [tr, other.map(|s| s + 1), keywords.map(|s| s + 10)].into_iter().flatten().min().map(|s| (s, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    scored
        .into_iter()
        .take(PICK_LIMIT)
        .map(|(_, c)| Choice { value: c.code.clone(), label: category_label(c, en), district: None })
        .collect()
}

pub fn district_options(query: &str) -> Vec<Choice> {
    let words = query_words(query);
    let places = crate::domain::reference::shipped_places();
    let mut out: Vec<(u32, Choice)> = places
        .districts
        .iter()
        .filter_map(|d| {
            let s = if words.is_empty() { Some(0) } else { match_score(&words, &fold(&d.name)) }?;
            Some((s, Choice { value: d.code.clone(), label: d.name.clone(), district: None }))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
    out.into_iter().map(|(_, c)| c).take(PICK_LIMIT + 1).collect()
}

fn neighbourhood_choice(p: &crate::domain::places::PlaceRef) -> Choice {
    Choice {
        value: p.neighbourhood.clone(),
        label: format!("{} · {}", p.neighbourhood, p.district),
        district: Some(p.district_code.clone()),
    }
}

/// Neighbourhoods (by name or alias) matching the typed text, in the chosen
/// district if there is one, most populous first among equals.
pub fn neighbourhood_options(query: &str, district: Option<&str>) -> Vec<Choice> {
    let words = query_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let mut best: std::collections::HashMap<(&str, &str), (u32, &crate::domain::places::PlaceRef)> =
        std::collections::HashMap::new();
    for (key, place) in Gazetteer::shipped().entries() {
        if district.is_some_and(|d| d != place.district_code) {
            continue;
        }
        let Some(score) = match_score(&words, key) else { continue };
        let slot = best.entry((&place.district_code, &place.neighbourhood)).or_insert((score, place));
        slot.0 = slot.0.min(score);
    }
    let mut list: Vec<_> = best.into_values().collect();
    list.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.population.cmp(&a.1.population))
            .then_with(|| a.1.neighbourhood.cmp(&b.1.neighbourhood))
    });
    list.into_iter().take(PICK_LIMIT).map(|(_, p)| neighbourhood_choice(p)).collect()
}

pub fn unit_options(query: &str, en: bool) -> Vec<Choice> {
    let words = query_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(u32, Choice)> = taxonomy()
        .units
        .iter()
        .filter_map(|u| {
            let s = match_score(&words, &fold(&format!("{} {} {}", u.code, u.name_tr, u.name_en)))?;
            let name = if en { &u.name_en } else { &u.name_tr };
            Some((s, Choice { value: u.code.clone(), label: format!("{} · {name}", u.code), district: None }))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.value.cmp(&b.1.value)));
    out.into_iter().map(|(_, c)| c).take(PICK_LIMIT).collect()
}

// ------------------------------------------------------------ state changes

impl CallState {
    /// A new call: everything cleared except the line it came in on.
    pub fn reset(&mut self, line: Option<Channel>) {
        let seq = self.search_seq + 1;
        *self = CallState { search_seq: seq, line, ..CallState::default() };
        if let Some(c) = line {
            self.form.channel = c;
        }
    }

    /// The query changed: the search to run, if any.
    pub fn search_changed(&mut self) -> Option<(u64, String)> {
        self.search_seq += 1;
        let q = self.search.text().trim().to_string();
        if q.chars().count() < MIN_QUERY_CHARS {
            self.hits.clear();
            self.hits_query.clear();
            self.hit_sel = 0;
            return None;
        }
        Some((self.search_seq, q))
    }

    /// Search results arrived; stale ones (an older query) are dropped.
    pub fn hits_arrived(&mut self, seq: u64, query: String, hits: Vec<CitizenHit>) -> bool {
        if seq != self.search_seq {
            return false;
        }
        // The same query again (after a sync) keeps the highlighted caller.
        let keep = self.hits.get(self.hit_sel).map(|h| h.citizen.id).filter(|_| self.hits_query == query);
        self.hit_sel = keep.and_then(|id| hits.iter().position(|h| h.citizen.id == id)).unwrap_or(0);
        self.hits = hits;
        self.hits_query = query;
        true
    }

    /// Takes `citizen` as the caller: their address becomes the default
    /// location. Returns the citizen's id, to load the history.
    pub fn select_caller(&mut self, citizen: Citizen) -> Uuid {
        let id = citizen.id;
        self.form.set_location_from(&citizen);
        self.caller = CallerSlot(Caller::Known(Box::new(citizen)));
        self.history.clear();
        self.history_sel = 0;
        self.form.field = FormField::Description;
        self.form.errors.retain(|(f, _)| *f != FormField::Description);
        id
    }

    pub fn history_arrived(&mut self, citizen_id: Uuid, rows: Vec<Row>) -> bool {
        if self.caller.0.citizen().map(|c| c.id) != Some(citizen_id) {
            return false;
        }
        let selected = self.history.get(self.history_sel).map(|(r, _)| r.id);
        self.history = rows;
        self.history_sel = selected.and_then(|id| self.history.iter().position(|(r, _)| r.id == id)).unwrap_or(0);
        if let Some(f) = &mut self.filed
            && let Some((r, _)) = self.history.iter().find(|(r, _)| r.id == f.request_id)
        {
            f.status = r.status;
            f.unit = r.unit.clone();
        }
        true
    }

    /// The description changed: refresh the suggestions.
    pub fn description_changed(&mut self) {
        self.form.suggestions = suggest(&self.form.description.text(), 3);
    }

    /// A picker's text changed: refresh its options.
    pub fn pick_edited(&mut self, field: FormField, en: bool) {
        let district = self.form.district_code().map(str::to_string);
        let Some(pick) = self.form.pick_mut(field) else { return };
        let q = pick.input.text().to_string();
        pick.options = match field {
            FormField::Category => category_options(&q, en),
            FormField::District if q.trim().is_empty() => Vec::new(),
            FormField::District => district_options(&q),
            FormField::Neighbourhood => neighbourhood_options(&q, district.as_deref()),
            FormField::Unit => unit_options(&q, en),
            _ => Vec::new(),
        };
        pick.sel = 0;
    }

    /// Chooses the highlighted option of the focused picker. Returns
    /// whether something was chosen.
    pub fn pick_confirm(&mut self, field: FormField) -> bool {
        let Some(pick) = self.form.pick_mut(field) else { return false };
        let Some(choice) = pick.highlighted().cloned() else { return false };
        pick.choose(choice.clone());
        match field {
            FormField::District => {
                let keep = self.form.neighbourhood.chosen.as_ref().is_some_and(|n| n.district == Some(choice.value));
                if !keep {
                    self.form.neighbourhood.clear();
                }
            }
            FormField::Neighbourhood => {
                if let Some(code) = &choice.district {
                    let places = crate::domain::reference::shipped_places();
                    if let Some(d) = places.district(code) {
                        self.form.district.choose(Choice {
                            value: d.code.clone(),
                            label: d.name.clone(),
                            district: None,
                        });
                    }
                }
            }
            _ => {}
        }
        self.form.errors.retain(|(f, _)| *f != field);
        true
    }

    /// Takes suggestion `i` (0-based) as the category.
    pub fn accept_suggestion(&mut self, i: usize, en: bool) -> bool {
        let Some(s) = self.form.suggestions.get(i) else { return false };
        let Some(c) = taxonomy().category(&s.code) else { return false };
        self.form.category.choose(Choice { value: c.code.clone(), label: category_label(c, en), district: None });
        self.form.errors.retain(|(f, _)| *f != FormField::Category);
        true
    }

    /// Moves the form's focus; `false` at either end.
    pub fn move_field(&mut self, forward: bool) -> bool {
        let fields = self.form.fields();
        let i = fields.iter().position(|f| *f == self.form.field).unwrap_or(0);
        let next = if forward { fields.get(i + 1) } else { i.checked_sub(1).and_then(|j| fields.get(j)) };
        match next {
            Some(f) => {
                self.form.field = *f;
                true
            }
            None => false,
        }
    }

    /// Cycles a choice field (type, channel, priority) by `step`.
    pub fn cycle(&mut self, step: isize) -> bool {
        fn next<T: Copy + PartialEq>(all: &[T], cur: T, step: isize) -> T {
            let i = all.iter().position(|x| *x == cur).unwrap_or(0) as isize;
            all[(i + step).rem_euclid(all.len() as isize) as usize]
        }
        let f = &mut self.form;
        match f.field {
            FormField::Kind => f.kind = next(RequestType::ALL, f.kind, step),
            FormField::Channel => f.channel = next(Channel::ALL, f.channel, step),
            FormField::Priority => {
                let cur = f.effective_priority();
                f.priority = Some(next(Priority::ALL, cur, step));
            }
            _ => return false,
        }
        true
    }

    /// The radar's query for the form as it stands, if it has changed.
    pub fn radar_query(&mut self) -> Option<(String, String, String)> {
        let key = match (&self.form.category.chosen, &self.form.district.chosen, &self.form.neighbourhood.chosen) {
            (Some(c), Some(d), Some(n)) => Some((c.value.clone(), d.value.clone(), n.value.clone())),
            _ => None,
        };
        if key == self.nearby_key {
            return None;
        }
        self.nearby_key = key.clone();
        self.nearby.clear();
        self.nearby_sel = 0;
        key
    }

    pub fn nearby_arrived(&mut self, key: (String, String, String), rows: Vec<Row>) -> bool {
        if self.nearby_key.as_ref() != Some(&key) {
            return false;
        }
        // The caller's own requests are in the history already.
        self.nearby = rows;
        self.nearby_sel = 0;
        true
    }

    /// Checks the form and builds the request to file. On problems the
    /// form keeps everything and lists them.
    pub fn build_request(&mut self, now: DateTime<FixedOffset>, call_seconds: Option<u32>) -> Option<NewRequest> {
        let f = &mut self.form;
        f.errors.clear();
        if matches!(self.caller.0, Caller::None) {
            f.errors.push((FormField::Description, FormError::NoCaller));
        }
        if f.description.is_blank() {
            f.errors.push((FormField::Description, FormError::Required));
        }
        if f.category.chosen.is_none() {
            f.errors.push((FormField::Category, FormError::Required));
        }
        if f.district.chosen.is_none() {
            f.errors.push((FormField::District, FormError::Required));
        }
        if f.unit.chosen.is_some() && f.unit_reason.text().trim().is_empty() {
            f.errors.push((FormField::UnitReason, FormError::UnitReasonRequired));
        }
        if !f.errors.is_empty() {
            f.field = f.errors[0].0;
            return None;
        }
        let category = f.category.chosen.as_ref()?.value.clone();
        let mut new = NewRequest::new(f.kind, f.channel, &category, f.description.text().trim());
        new.citizen_id = self.caller.0.citizen().map(|c| c.id);
        let street = f.street.text().trim();
        new.location = Some(Location {
            district: f.district.chosen.as_ref()?.value.clone(),
            neighbourhood: f.neighbourhood.chosen.as_ref().map(|n| n.value.clone()),
            address: (!street.is_empty()).then(|| street.to_string()),
            lat: None,
            lon: None,
        });
        new.priority = f.priority;
        if let Some(u) = &f.unit.chosen {
            new.unit = Some(u.value.clone());
            new.unit_reason = Some(f.unit_reason.text().trim().to_string());
        }
        let answer = f.answer.text().trim();
        if f.kind == RequestType::Information && !answer.is_empty() {
            new.answer = Some(answer.to_string());
        }
        new.call_seconds = call_seconds;
        new.created_at = Some(now.with_timezone(&Utc));
        Some(new)
    }

    /// The request was saved in the cache: show its tracking number.
    pub fn filed(&mut self, request: &Request, co_reported: bool) {
        self.busy = false;
        self.error = None;
        self.filed = Some(Filed {
            request_id: request.id,
            tracking_no: request.tracking_no.clone(),
            unit: request.unit.clone(),
            status: request.status,
            co_reported,
        });
    }

    pub fn selected_history(&self) -> Option<&Row> {
        self.history.get(self.history_sel)
    }

    pub fn selected_nearby(&self) -> Option<&Row> {
        self.nearby.get(self.nearby_sel)
    }
}

/// Prefills a new-caller form from what was typed in the search box or
/// the number the phone system gave.
pub fn new_caller_from_query(query: &str) -> NewCallerForm {
    let mut form = NewCallerForm::default();
    match CallerQuery::parse(query) {
        CallerQuery::Phone(p) => form.phone = LineInput::with_text(&p.national()),
        CallerQuery::Tckn(t) => form.tckn = LineInput::with_text(t.as_str()),
        CallerQuery::Text { .. } => form.name = LineInput::with_text(&crate::domain::text::turkish_title(query.trim())),
        _ => {}
    }
    form.field = if form.name.is_empty() { NewCallerField::Name } else { NewCallerField::Phone };
    form
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewCallerField {
    #[default]
    Name,
    Phone,
    Tckn,
    HideIdentity,
}

impl NewCallerField {
    pub const ALL: [NewCallerField; 4] =
        [NewCallerField::Name, NewCallerField::Phone, NewCallerField::Tckn, NewCallerField::HideIdentity];
}

/// The new-caller form: name and phone; the rest optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewCallerForm {
    pub name: LineInput,
    pub phone: LineInput,
    pub tckn: LineInput,
    pub hide_identity: bool,
    pub field: NewCallerField,
    pub errors: Vec<(NewCallerField, NewCallerError)>,
    pub busy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewCallerError {
    NameRequired,
    Phone(String),
    Tckn(String),
    Save(String),
}

impl NewCallerForm {
    pub fn input_mut(&mut self) -> Option<&mut LineInput> {
        match self.field {
            NewCallerField::Name => Some(&mut self.name),
            NewCallerField::Phone => Some(&mut self.phone),
            NewCallerField::Tckn => Some(&mut self.tckn),
            NewCallerField::HideIdentity => None,
        }
    }

    pub fn move_field(&mut self, forward: bool) {
        let all = NewCallerField::ALL;
        let i = all.iter().position(|f| *f == self.field).unwrap_or(0);
        self.field = all[if forward { (i + 1) % all.len() } else { (i + all.len() - 1) % all.len() }];
    }

    pub fn error(&self, field: NewCallerField) -> Option<&NewCallerError> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, e)| e)
    }

    /// Validates; the citizen to create, or the problems (inline).
    pub fn build(&mut self) -> Option<NewCitizen> {
        self.errors.clear();
        let name = self.name.text().trim().to_string();
        if name.is_empty() {
            self.errors.push((NewCallerField::Name, NewCallerError::NameRequired));
        }
        let phone = self.phone.text().trim();
        let mut phones = Vec::new();
        if !phone.is_empty() {
            match crate::domain::phone::Phone::parse(phone) {
                Ok(p) => phones.push(p.e164().to_string()),
                Err(e) => self.errors.push((NewCallerField::Phone, NewCallerError::Phone(e.to_string()))),
            }
        }
        let tckn = self.tckn.text().trim();
        let tckn = if tckn.is_empty() {
            None
        } else {
            match crate::domain::tckn::Tckn::parse(tckn) {
                Ok(t) => Some(t.as_str().to_string()),
                Err(e) => {
                    self.errors.push((NewCallerField::Tckn, NewCallerError::Tckn(e.to_string())));
                    None
                }
            }
        };
        if let Some((f, _)) = self.errors.first() {
            self.field = *f;
            return None;
        }
        Some(NewCitizen {
            id: None,
            full_name: crate::domain::text::turkish_title(&name),
            phones,
            tckn,
            email: None,
            address: None,
            hide_identity: self.hide_identity,
        })
    }
}

/// The last thing the municipality told or will tell the citizen about a
/// request: the newest reply, answer or public note, with its time.
pub fn last_answer(r: &Request) -> Option<(DateTime<Utc>, &str)> {
    r.timeline
        .iter()
        .rev()
        .filter(|e| !e.internal)
        .filter(|e| {
            matches!(e.kind, EventKind::Resolved | EventKind::CitizenInformed | EventKind::Note | EventKind::Rerouted)
        })
        .find_map(|e| e.text.as_deref().map(|t| (e.at, t)))
}

/// The newest note of any kind, for the history list.
pub fn last_note(r: &Request) -> Option<&str> {
    r.timeline.iter().rev().find_map(|e| match e.kind {
        EventKind::Note | EventKind::Resolved | EventKind::CitizenInformed | EventKind::Contact => e.text.as_deref(),
        _ => None,
    })
}

/// The actions the history keys send.
pub fn note_op(text: &str) -> Op {
    Op::Note { text: text.trim().to_string(), internal: false }
}

pub fn update_op() -> Op {
    Op::Contact { text: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbourhoods_filter_by_name_alias_and_typo() {
        let got = neighbourhood_options("karatas", None);
        assert!(got.iter().any(|c| c.value == "Karataş"), "{got:?}");
        let typo = neighbourhood_options("karatass", Some("SAHINBEY"));
        assert!(typo.iter().all(|c| c.district.as_deref() == Some("SAHINBEY")));
        assert!(typo.iter().any(|c| c.value == "Karataş"), "{typo:?}");
        assert!(neighbourhood_options("zzzzqq", None).is_empty());
    }

    #[test]
    fn categories_filter_by_name_and_keywords() {
        let got = category_options("su kesin", false);
        assert_eq!(got.first().map(|c| c.value.as_str()), Some("SU_KESINTISI"), "{got:?}");
        assert!(!category_options("asfalt", false).is_empty());
    }

    #[test]
    fn description_pastes_are_cleaned_and_capped() {
        let mut d = Description::default();
        assert!(!d.paste("a\u{1b}[31mb\tc\nd"));
        assert_eq!(d.text(), "ab c\nd");
        let mut big = Description::default();
        assert!(big.paste(&"x".repeat(MAX_TEXT_CHARS + 10)));
        assert_eq!(big.text().chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn new_caller_is_prefilled_from_the_query() {
        let f = new_caller_from_query("0532 123 45 67");
        assert_eq!(f.phone.text(), "0532 123 45 67");
        assert_eq!(f.field, NewCallerField::Name);
        let f = new_caller_from_query("ayşe yılmaz");
        assert_eq!(f.name.text(), "Ayşe Yılmaz");
        assert_eq!(f.field, NewCallerField::Phone);
    }

    #[test]
    fn new_caller_flags_bad_numbers_and_keeps_input() {
        let mut f = new_caller_from_query("Ali Veli");
        f.phone = LineInput::with_text("0532 12");
        f.tckn = LineInput::with_text("12345678901");
        assert!(f.build().is_none());
        assert!(matches!(f.error(NewCallerField::Phone), Some(NewCallerError::Phone(_))));
        assert!(matches!(f.error(NewCallerField::Tckn), Some(NewCallerError::Tckn(_))));
        assert_eq!(f.field, NewCallerField::Phone);
        assert_eq!(f.phone.text(), "0532 12");
        f.phone = LineInput::with_text("05321234567");
        f.tckn = LineInput::default();
        let c = f.build().expect("valid");
        assert_eq!(c.phones, vec!["+905321234567".to_string()]);
    }
}
