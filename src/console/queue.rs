//! The Queue screen's state and its pure logic: a unit's open requests from
//! the cache, filtered, sorted and marked; the action form with its preview
//! of what will change. No I/O; loads and writes go out as effects.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, Utc};
use uuid::Uuid;

use super::call::{Pick, Row, unit_options};
use super::input::LineInput;
use crate::client::cache::Badge;
use crate::domain::calendar::WorkCalendar;
use crate::domain::model::Priority;
use crate::domain::places::Gazetteer;
use crate::domain::reference::taxonomy;
use crate::domain::status::{Role, Status};
use crate::domain::templates;
use crate::domain::text::fold;
use crate::protocol::{Action as Op, Citizen, EventKind, Request};

/// Most requests a queue loads from the cache.
pub const QUEUE_LIMIT: usize = 100_000;
/// Working minutes left under which a request shows as about to breach.
pub const WARN_MINUTES: i64 = 4 * 60;

/// One request in the list, with what filtering needs precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    /// Without its timeline (the detail loads the whole request).
    pub request: Request,
    pub badge: Badge,
    /// Folded tracking number, description, notes, category, place, assignee.
    hay: String,
    category: String,
    district: String,
    neighbourhood: String,
    assignee: String,
}

impl QueueRow {
    pub fn new((mut request, badge): Row) -> QueueRow {
        let notes: Vec<&str> = request.timeline.iter().filter_map(|e| e.text.as_deref()).collect();
        let cat = taxonomy().category(&request.category);
        let category = fold(&format!(
            "{} {} {}",
            request.category,
            cat.map(|c| c.name_tr.as_str()).unwrap_or(""),
            cat.map(|c| c.name_en.as_str()).unwrap_or("")
        ));
        let (district, neighbourhood) = match &request.location {
            Some(l) => {
                let d = Gazetteer::shipped().district(&l.district).map(|(c, n)| format!("{c} {n}")).unwrap_or_default();
                (fold(&d), fold(l.neighbourhood.as_deref().unwrap_or("")))
            }
            None => (String::new(), String::new()),
        };
        let assignee = fold(request.assigned_to.as_deref().unwrap_or(""));
        let hay = fold(&format!(
            "{} {} {} {category} {district} {neighbourhood} {assignee}",
            request.tracking_no,
            request.description,
            notes.join(" ")
        ));
        request.timeline = Vec::new();
        QueueRow { request, badge, hay, category, district, neighbourhood, assignee }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// SLA due time, soonest (or most overdue) first.
    #[default]
    Due,
    /// Oldest first.
    Age,
    /// Most urgent first, then due.
    Priority,
    Neighbourhood,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Due, SortKey::Age, SortKey::Priority, SortKey::Neighbourhood];
}

/// Which open statuses the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    AllOpen,
    Only(Status),
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 5] = [
        StatusFilter::AllOpen,
        StatusFilter::Only(Status::Forwarded),
        StatusFilter::Only(Status::InProgress),
        StatusFilter::Only(Status::Waiting),
        StatusFilter::Only(Status::Reopened),
    ];
}

/// The selected request, whole, with its citizen (shown masked).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub request: Request,
    pub badge: Badge,
    pub citizen: Option<Citizen>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueState {
    /// The units this user works for; empty until signed in.
    pub units: Vec<String>,
    /// Which of `units` the list shows; `None` for all of them.
    pub unit: Option<usize>,
    pub rows: Vec<QueueRow>,
    /// Indices into `rows`, filtered and sorted.
    pub visible: Vec<usize>,
    pub sel: usize,
    pub marked: BTreeSet<Uuid>,
    pub filter: LineInput,
    /// The filter field has the keys.
    pub filtering: bool,
    pub status: StatusFilter,
    pub overdue_only: bool,
    pub sort: SortKey,
    pub loading: bool,
    pub loaded: bool,
    pub detail: Option<Detail>,
    pub error: Option<String>,
}

/// Working minutes until `due` (negative once overdue); a waiting request's
/// clock stands still at its pause.
pub fn minutes_left(r: &Request, now: DateTime<Utc>) -> i64 {
    let cal = WorkCalendar::shipped();
    let at = r.paused_at.unwrap_or(now);
    if r.sla_due_at >= at {
        cal.working_minutes_between(at, r.sla_due_at)
    } else {
        -cal.working_minutes_between(r.sla_due_at, at)
    }
}

fn priority_rank(p: Priority) -> u8 {
    match p {
        Priority::Urgent => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    }
}

impl QueueState {
    /// The units a user's queue covers: their own, or every unit for the
    /// shift lead and the admin.
    pub fn for_user(role: Role, units: &[String]) -> QueueState {
        let units = match role {
            Role::Lead | Role::Admin => taxonomy().units.iter().map(|u| u.code.clone()).collect(),
            _ => units.to_vec(),
        };
        QueueState { units, ..QueueState::default() }
    }

    /// The units to load: the chosen one or all.
    pub fn load_units(&self) -> Vec<String> {
        match self.unit.and_then(|i| self.units.get(i)) {
            Some(u) => vec![u.clone()],
            None => self.units.clone(),
        }
    }

    /// Rows arrived from the cache: keep the selection on the same request.
    pub fn rows_arrived(&mut self, rows: Vec<Row>, now: DateTime<Utc>) {
        let selected = self.selected().map(|r| r.request.id);
        self.rows = rows.into_iter().map(QueueRow::new).collect();
        self.loading = false;
        self.loaded = true;
        let present: BTreeSet<Uuid> = self.rows.iter().map(|r| r.request.id).collect();
        self.marked.retain(|id| present.contains(id));
        self.refilter(now);
        if let Some(id) = selected
            && let Some(i) = self.visible.iter().position(|&i| self.rows[i].request.id == id)
        {
            self.sel = i;
        }
    }

    pub fn selected(&self) -> Option<&QueueRow> {
        self.visible.get(self.sel).map(|&i| &self.rows[i])
    }

    /// Applies the filters and the sort. The filter text is words that must
    /// all appear; `k:` limits a word to the category, `i:` to the district,
    /// `m:` to the neighbourhood and `a:` to the assignee.
    pub fn refilter(&mut self, now: DateTime<Utc>) {
        let mut free = Vec::new();
        let mut scoped: Vec<(char, String)> = Vec::new();
        for w in fold(self.filter.text()).split_whitespace() {
            match w.split_once(':') {
                Some((p, v)) if p.len() == 1 && "kima".contains(p) && !v.is_empty() => {
                    scoped.push((p.chars().next().unwrap_or('k'), v.to_string()))
                }
                _ => free.push(w.to_string()),
            }
        }
        let unit = self.unit.and_then(|i| self.units.get(i)).cloned();
        let mut visible: Vec<(i64, usize)> = Vec::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            let r = &row.request;
            if !r.status.is_open() || unit.as_ref().is_some_and(|u| &r.unit != u) {
                continue;
            }
            if let StatusFilter::Only(s) = self.status
                && r.status != s
            {
                continue;
            }
            if !free.iter().all(|w| row.hay.contains(w.as_str())) {
                continue;
            }
            let scoped_ok = scoped.iter().all(|(p, v)| {
                let field = match p {
                    'k' => &row.category,
                    'i' => &row.district,
                    'm' => &row.neighbourhood,
                    _ => &row.assignee,
                };
                field.contains(v.as_str())
            });
            if !scoped_ok {
                continue;
            }
            // Working minutes only where they matter, the overdue filter.
            if self.overdue_only && r.sla_due_at > r.paused_at.unwrap_or(now) {
                continue;
            }
            let key = match self.sort {
                SortKey::Due => r.sla_due_at.timestamp_millis(),
                SortKey::Age => r.created_at.timestamp_millis(),
                SortKey::Priority => {
                    i64::from(priority_rank(r.priority)) << 50 | (r.sla_due_at.timestamp_millis() & ((1 << 50) - 1))
                }
                SortKey::Neighbourhood => 0,
            };
            visible.push((key, i));
        }
        if self.sort == SortKey::Neighbourhood {
            // Each neighbourhood's rank among those shown, then due time:
            // one integer key, as for the other orders.
            let names: HashSet<&str> = visible.iter().map(|&(_, i)| self.rows[i].neighbourhood.as_str()).collect();
            let mut names: Vec<&str> = names.into_iter().collect();
            names.sort_unstable();
            let rank: HashMap<&str, i64> = names.into_iter().enumerate().map(|(n, name)| (name, n as i64)).collect();
            for (key, i) in &mut visible {
                let r = &self.rows[*i];
                *key =
                    rank[r.neighbourhood.as_str()] << 50 | (r.request.sla_due_at.timestamp_millis() & ((1 << 50) - 1));
            }
        }
        visible.sort_unstable();
        self.visible = visible.into_iter().map(|(_, i)| i).collect();
        self.sel = self.sel.min(self.visible.len().saturating_sub(1));
    }

    /// The requests an action applies to: the marked ones, or the selected.
    pub fn targets(&self) -> Vec<&QueueRow> {
        if self.marked.is_empty() {
            return self.selected().into_iter().collect();
        }
        self.rows.iter().filter(|r| self.marked.contains(&r.request.id)).collect()
    }

    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected().map(|r| r.request.id)
            && !self.marked.remove(&id)
        {
            self.marked.insert(id);
        }
    }

    /// Marks every visible row, or clears the marks if all are marked.
    pub fn mark_all(&mut self) {
        let ids: Vec<Uuid> = self.visible.iter().map(|&i| self.rows[i].request.id).collect();
        if ids.iter().all(|id| self.marked.contains(id)) {
            self.marked.clear();
        } else {
            self.marked.extend(ids);
        }
    }
}

// ------------------------------------------------------------ actions

/// What the representative does to the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActKind {
    Accept,
    Assign,
    Note,
    Wait,
    Resume,
    Reroute,
    OutOfRemit,
    Duplicate,
    Resolve,
    Reopen,
}

impl ActKind {
    /// Whether the form asks for text, and whether it may be empty.
    pub fn needs_text(self) -> bool {
        !matches!(self, ActKind::Accept | ActKind::Resume)
    }

    pub fn needs_unit(self) -> bool {
        matches!(self, ActKind::Reroute | ActKind::OutOfRemit)
    }

    /// The status a request in `from` goes to, or `None` if it cannot.
    pub fn target(self, from: Status) -> Option<Status> {
        use crate::domain::status::Transition as T;
        let t = match self {
            ActKind::Accept => T::Accept,
            ActKind::Wait => T::Wait,
            ActKind::Resume => T::Resume,
            ActKind::Reroute => T::Reroute,
            ActKind::OutOfRemit => T::OutOfRemit,
            ActKind::Duplicate => T::MarkDuplicate,
            ActKind::Resolve => T::Resolve,
            ActKind::Reopen => T::Reopen,
            ActKind::Assign | ActKind::Note => return (!from.is_closed()).then_some(from),
        };
        t.target(from)
    }
}

/// One request in the action form's preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: Uuid,
    pub tracking_no: String,
    pub category: String,
    pub from: Status,
    /// Where it goes; `None`: this action is not possible from `from`.
    pub to: Option<Status>,
    pub neighbourhood: String,
    pub district: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActForm {
    pub kind: ActKind,
    pub targets: Vec<Target>,
    /// Reply, note, reason, assignee, message or the original's tracking no.
    pub text: LineInput,
    /// For a note: internal (not shown to the citizen).
    pub internal: bool,
    /// The unit or outside body, for reroute and out of remit.
    pub unit: Pick,
    /// The unit picker has the keys (else the text field).
    pub on_unit: bool,
    /// Which template the next insert takes.
    pub template: usize,
    pub error: Option<ActError>,
    pub busy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActError {
    TextRequired,
    UnitRequired,
    NoneApplicable,
    UnknownOriginal,
    NoTemplate,
}

impl ActForm {
    pub fn new(kind: ActKind, rows: &[&QueueRow]) -> ActForm {
        let targets = rows
            .iter()
            .map(|r| {
                let req = &r.request;
                let (district, neighbourhood) = match &req.location {
                    Some(l) => (
                        Gazetteer::shipped().district(&l.district).map(|(_, n)| n.to_string()).unwrap_or_default(),
                        l.neighbourhood.clone().unwrap_or_default(),
                    ),
                    None => (String::new(), String::new()),
                };
                Target {
                    id: req.id,
                    tracking_no: req.tracking_no.clone(),
                    category: req.category.clone(),
                    from: req.status,
                    to: kind.target(req.status),
                    neighbourhood,
                    district,
                }
            })
            .collect();
        ActForm {
            kind,
            targets,
            text: LineInput::with_max(crate::protocol::MAX_TEXT_CHARS),
            internal: kind == ActKind::Note,
            unit: Pick::default(),
            on_unit: kind.needs_unit(),
            template: 0,
            error: None,
            busy: false,
        }
    }

    pub fn unit_edited(&mut self, en: bool) {
        let options = unit_options(self.unit.input.text(), en);
        // An outside body for out of remit; any other unit for a reroute.
        self.unit.options = options
            .into_iter()
            .filter(|o| {
                let outside = taxonomy().unit(&o.value).is_some_and(|u| {
                    matches!(
                        u.kind,
                        crate::domain::reference::UnitKind::External | crate::domain::reference::UnitKind::District
                    )
                });
                (self.kind == ActKind::OutOfRemit) == outside || self.kind == ActKind::Reroute
            })
            .collect();
        self.unit.sel = 0;
    }

    pub fn choose_unit(&mut self) -> bool {
        let Some(c) = self.unit.highlighted().cloned() else { return false };
        self.unit.chosen = Some(c);
        self.unit.input = LineInput::default();
        self.unit.options.clear();
        self.on_unit = false;
        true
    }

    /// Inserts the next reply template for the first target's category;
    /// placeholders are filled per request on confirm.
    pub fn insert_template(&mut self) {
        let Some(first) = self.targets.first() else { return };
        let list = templates::for_category(&first.category);
        if list.is_empty() {
            self.error = Some(ActError::NoTemplate);
            return;
        }
        let t = list[self.template % list.len()];
        self.template += 1;
        self.text.set_text(&t.text);
        self.error = None;
    }

    /// The text as the first target will get it, placeholders filled.
    pub fn preview(&self, now: DateTime<FixedOffset>) -> Option<String> {
        let t = self.targets.iter().find(|t| t.to.is_some())?;
        let date = now.format("%d.%m.%Y").to_string();
        let fill = templates::Fill {
            tracking_no: &t.tracking_no,
            date: &date,
            neighbourhood: &t.neighbourhood,
            district: &t.district,
        };
        Some(templates::fill(self.text.text().trim(), &fill))
    }

    /// Checks the form; the operations to run, one per applicable target.
    /// `originals` resolves a tracking number to a request id (duplicates).
    pub fn build(
        &mut self,
        now: DateTime<FixedOffset>,
        originals: impl Fn(&str) -> Option<Uuid>,
    ) -> Option<Vec<(Uuid, Op)>> {
        self.error = None;
        let text = self.text.text().trim().to_string();
        let applicable: Vec<&Target> = self.targets.iter().filter(|t| t.to.is_some()).collect();
        if applicable.is_empty() {
            self.error = Some(ActError::NoneApplicable);
            return None;
        }
        if self.kind.needs_unit() && self.unit.chosen.is_none() {
            self.error = Some(ActError::UnitRequired);
            self.on_unit = true;
            return None;
        }
        if self.kind.needs_text() && text.is_empty() {
            self.error = Some(ActError::TextRequired);
            self.on_unit = false;
            return None;
        }
        let unit = self.unit.chosen.as_ref().map(|c| c.value.clone()).unwrap_or_default();
        let original = if self.kind == ActKind::Duplicate {
            match originals(text.to_uppercase().as_str()) {
                Some(id) => Some(id),
                None => {
                    self.error = Some(ActError::UnknownOriginal);
                    return None;
                }
            }
        } else {
            None
        };
        let date = now.format("%d.%m.%Y").to_string();
        let ops = applicable
            .into_iter()
            .filter(|t| Some(t.id) != original)
            .map(|t| {
                let filled = templates::fill(
                    &text,
                    &templates::Fill {
                        tracking_no: &t.tracking_no,
                        date: &date,
                        neighbourhood: &t.neighbourhood,
                        district: &t.district,
                    },
                );
                let op = match self.kind {
                    ActKind::Accept => Op::Accept { assignee: None },
                    ActKind::Assign => Op::Assign { assignee: filled },
                    ActKind::Note => Op::Note { text: filled, internal: self.internal },
                    ActKind::Wait => Op::Wait { reason: filled },
                    ActKind::Resume => Op::Resume {},
                    ActKind::Reroute => Op::Reroute { unit: unit.clone(), reason: filled },
                    ActKind::OutOfRemit => Op::OutOfRemit { body: unit.clone(), message: filled },
                    ActKind::Duplicate => Op::MarkDuplicate { of: original.unwrap_or_default() },
                    ActKind::Resolve => Op::Resolve { reply: filled },
                    ActKind::Reopen => Op::Reopen { reason: filled },
                };
                (t.id, op)
            })
            .collect();
        Some(ops)
    }
}

/// The last event of a kind, for the detail pane.
pub fn last_event(r: &Request, kind: EventKind) -> Option<&crate::protocol::TimelineEvent> {
    r.timeline.iter().rev().find(|e| e.kind == kind)
}
