//! The local view: server state with the pending mutations re-applied on top,
//! so what an agent did offline never flickers back when a pull lands. This
//! is an optimistic preview; the server decides, and its answer replaces it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::calendar::WorkCalendar;
use crate::domain::phone::Phone;
use crate::domain::places::Gazetteer;
use crate::domain::reference::Taxonomy;
use crate::domain::status::{Status, Transition};
use crate::protocol::{
    Action, Address, Citizen, CitizenPatch, EventKind, Location, MutationOp, NewCitizen, NewRequest, Request,
    TimelineEvent,
};

/// What the overlay needs to know about the world.
pub struct OverlayCtx<'a> {
    pub taxonomy: &'a Taxonomy,
    pub gazetteer: &'a Gazetteer,
    pub calendar: &'a WorkCalendar,
    pub user_id: Uuid,
    pub username: &'a str,
}

fn canonical_address(g: &Gazetteer, a: &Address) -> Address {
    let district = g.district(&a.district).map(|(c, _)| c.to_string()).unwrap_or_else(|| a.district.clone());
    let neighbourhood = g
        .neighbourhood(&district, &a.neighbourhood)
        .map(|p| p.neighbourhood.clone())
        .unwrap_or_else(|| a.neighbourhood.clone());
    Address { district, neighbourhood, street: a.street.clone(), number: a.number.clone() }
}

fn canonical_location(g: &Gazetteer, l: &Location) -> Location {
    let (district, neighbourhood) = canonical_place(g, &l.district, l.neighbourhood.as_deref());
    Location { district, neighbourhood, ..l.clone() }
}

/// A district (code or name) and neighbourhood (name or alias) as the
/// server stores them: the district code and the neighbourhood's canonical
/// name. What the gazetteer does not know is kept as given.
pub fn canonical_place(g: &Gazetteer, district: &str, neighbourhood: Option<&str>) -> (String, Option<String>) {
    let district = g.district(district).map(|(c, _)| c.to_string()).unwrap_or_else(|| district.to_string());
    let neighbourhood = neighbourhood
        .map(|n| g.neighbourhood(&district, n).map(|p| p.neighbourhood.clone()).unwrap_or_else(|| n.to_string()));
    (district, neighbourhood)
}

fn e164s(phones: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in phones {
        let v = Phone::parse(p).map(|p| p.e164().to_string()).unwrap_or_else(|_| p.clone());
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A citizen as created locally.
pub fn citizen_from_new(ctx: &OverlayCtx<'_>, id: Uuid, n: &NewCitizen, at: DateTime<Utc>) -> Citizen {
    Citizen {
        id,
        full_name: crate::domain::text::turkish_title(n.full_name.trim()),
        phones: e164s(&n.phones),
        tckn: n.tckn.clone().filter(|t| !t.trim().is_empty()),
        email: n.email.clone().filter(|e| !e.trim().is_empty()),
        address: n.address.as_ref().map(|a| canonical_address(ctx.gazetteer, a)),
        hide_identity: n.hide_identity,
        created_at: at,
        updated_at: at,
        version: 0,
        field_versions: Default::default(),
    }
}

pub fn apply_citizen_patch(ctx: &OverlayCtx<'_>, c: &mut Citizen, p: &CitizenPatch) {
    if let Some(n) = &p.full_name {
        c.full_name = crate::domain::text::turkish_title(n.trim());
    }
    if let Some(phones) = &p.phones {
        c.phones = e164s(phones);
    }
    if p.email.is_some() {
        c.email = p.email.clone();
    }
    if let Some(a) = &p.address {
        c.address = Some(canonical_address(ctx.gazetteer, a));
    }
    if let Some(h) = p.hide_identity {
        c.hide_identity = h;
    }
}

fn event(ctx: &OverlayCtx<'_>, at: DateTime<Utc>, kind: EventKind) -> TimelineEvent {
    TimelineEvent {
        id: Uuid::nil(),
        at,
        actor: ctx.username.to_string(),
        kind,
        status: None,
        unit: None,
        text: None,
        internal: false,
    }
}

/// A request as filed locally (the tracking number is already issued).
pub fn request_from_new(ctx: &OverlayCtx<'_>, id: Uuid, n: &NewRequest, at: DateTime<Utc>) -> Request {
    let cat = ctx.taxonomy.category(&n.category);
    let location = n.location.as_ref().map(|l| canonical_location(ctx.gazetteer, l));
    let unit = match (&n.unit, cat) {
        (Some(u), _) if !u.trim().is_empty() => u.trim().to_string(),
        (_, Some(c)) => ctx.taxonomy.route(c, location.as_ref().map(|l| l.district.as_str())),
        _ => String::new(),
    };
    let created_at = n.created_at.unwrap_or(at);
    let mut timeline = vec![TimelineEvent {
        status: Some(Status::Registered),
        unit: Some(unit.clone()),
        ..event(ctx, created_at, EventKind::Created)
    }];
    let mut status = Status::Registered;
    if n.forward {
        status = Status::Forwarded;
        timeline.push(TimelineEvent {
            status: Some(status),
            unit: Some(unit.clone()),
            text: n.unit_reason.clone(),
            ..event(ctx, created_at, EventKind::Forwarded)
        });
        if cat.is_some_and(|c| c.out_of_remit) {
            status = Status::OutOfRemit;
        }
    }
    if let Some(answer) = n.answer.as_ref().filter(|a| !a.trim().is_empty()) {
        status = Status::Resolved;
        timeline.push(TimelineEvent {
            status: Some(status),
            text: Some(answer.clone()),
            ..event(ctx, created_at, EventKind::Resolved)
        });
    }
    Request {
        id,
        tracking_no: n.tracking_no.clone().unwrap_or_default(),
        kind: n.kind,
        channel: n.channel,
        category: n.category.clone(),
        unit,
        status,
        priority: n.priority.or(cat.map(|c| c.priority)).unwrap_or(crate::domain::model::Priority::Normal),
        location,
        description: n.description.trim().to_string(),
        citizen_id: n.citizen_id,
        created_by: ctx.user_id,
        assigned_to: None,
        duplicate_of: None,
        co_reporters: Vec::new(),
        sla_due_at: cat.map(|c| ctx.calendar.due(created_at, c.sla)).unwrap_or(created_at),
        paused_at: None,
        contacts: 0,
        call_seconds: n.call_seconds,
        created_at,
        updated_at: at,
        version: 0,
        timeline,
    }
}

/// Previews an action on a request. Transitions that would not apply are
/// shown as a note of the attempt; the server's answer settles it.
pub fn apply_action(ctx: &OverlayCtx<'_>, r: &mut Request, action: &Action, at: DateTime<Utc>) {
    let transition = match action {
        Action::Forward { .. } => Some(Transition::Forward),
        Action::Accept { .. } => Some(Transition::Accept),
        Action::Wait { .. } => Some(Transition::Wait),
        Action::Resume {} => Some(Transition::Resume),
        Action::Reroute { .. } => Some(Transition::Reroute),
        Action::Resolve { .. } => Some(Transition::Resolve),
        Action::Inform { .. } => Some(Transition::Inform),
        Action::Close {} => Some(Transition::Close),
        Action::OutOfRemit { .. } => Some(Transition::OutOfRemit),
        Action::MarkDuplicate { .. } => Some(Transition::MarkDuplicate),
        Action::Cancel { .. } => Some(Transition::Cancel),
        Action::Reopen { .. } => Some(Transition::Reopen),
        _ => None,
    };
    let new_status = transition.and_then(|t| t.target(r.status));
    let mut e = TimelineEvent { status: new_status, ..event(ctx, at, EventKind::StatusChanged) };
    match action {
        Action::Forward { unit, reason } => {
            if let Some(u) = unit.as_ref().filter(|u| !u.trim().is_empty()) {
                r.unit = u.trim().to_string();
                e.text = reason.clone();
            }
            e.kind = EventKind::Forwarded;
            e.unit = Some(r.unit.clone());
        }
        Action::Accept { assignee } => {
            let who = assignee.clone().unwrap_or_else(|| ctx.username.to_string());
            e.kind = EventKind::Accepted;
            e.text = Some(who.clone());
            r.assigned_to = Some(who);
        }
        Action::Assign { assignee } => {
            e.kind = EventKind::Assigned;
            e.text = Some(assignee.clone());
            r.assigned_to = Some(assignee.clone());
        }
        Action::Note { text, internal } => {
            e.kind = EventKind::Note;
            e.text = Some(text.clone());
            e.internal = *internal;
        }
        Action::Wait { reason } => e.text = Some(reason.clone()),
        Action::Resume {} | Action::Close {} => {}
        Action::Reroute { unit, reason } => {
            e.kind = EventKind::Rerouted;
            e.unit = Some(unit.clone());
            e.text = Some(reason.clone());
            r.unit = unit.clone();
            r.assigned_to = None;
        }
        Action::Resolve { reply } => {
            e.kind = EventKind::Resolved;
            e.text = Some(reply.clone());
        }
        Action::Inform { text } => {
            e.kind = EventKind::CitizenInformed;
            e.text = text.clone();
        }
        Action::OutOfRemit { body, message } => {
            e.unit = Some(body.clone());
            e.text = Some(message.clone());
        }
        Action::MarkDuplicate { of } => {
            r.duplicate_of = Some(*of);
        }
        Action::Cancel { reason } => e.text = Some(reason.clone()),
        Action::Reopen { reason } => {
            e.kind = EventKind::Reopened;
            e.text = Some(reason.clone());
        }
        Action::Contact { text } => {
            e.kind = EventKind::Contact;
            e.text = text.clone();
            r.contacts += 1;
        }
        Action::AddCoReporter { citizen_id } => {
            e.kind = EventKind::CoReporter;
            if !r.co_reporters.contains(citizen_id) {
                r.co_reporters.push(*citizen_id);
            }
        }
    }
    if let Some(s) = new_status {
        r.status = s;
    }
    r.updated_at = at;
    r.timeline.push(e);
}

/// The entity a mutation is about, and its kind (`citizen` or `request`).
pub fn target(op: &MutationOp) -> (&'static str, Option<Uuid>) {
    match op {
        MutationOp::CreateCitizen { citizen } => ("citizen", citizen.id),
        MutationOp::UpdateCitizen { id, .. } => ("citizen", Some(*id)),
        MutationOp::CreateRequest { request } => ("request", request.id),
        MutationOp::RequestAction { request_id, .. } => ("request", Some(*request_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Channel, RequestType};

    fn ctx<'a>(t: &'a Taxonomy) -> OverlayCtx<'a> {
        OverlayCtx {
            taxonomy: t,
            gazetteer: Gazetteer::shipped(),
            calendar: WorkCalendar::shipped(),
            user_id: Uuid::nil(),
            username: "agent",
        }
    }

    fn new_request(cat: &str) -> NewRequest {
        NewRequest {
            tracking_no: Some("27-3TRA045".into()),
            location: Some(Location {
                district: "sahinbey".into(),
                neighbourhood: Some("karatas".into()),
                ..Default::default()
            }),
            call_seconds: Some(60),
            ..NewRequest::new(RequestType::Complaint, Channel::Line153, cat, " Su yok ")
        }
    }

    #[test]
    fn a_local_request_is_routed_and_forwarded() {
        let t = crate::domain::reference::shipped_taxonomy();
        let cat = t.categories.iter().find(|c| c.default_unit == "GASKI" && c.district_units.is_empty()).unwrap();
        let r = request_from_new(&ctx(&t), Uuid::nil(), &new_request(&cat.code), Utc::now());
        assert_eq!(r.unit, "GASKI");
        assert_eq!(r.status, Status::Forwarded);
        assert_eq!(r.description, "Su yok");
        assert_eq!(r.location.unwrap().neighbourhood.as_deref(), Some("Karataş"));
        assert_eq!(r.timeline.len(), 2);
    }

    #[test]
    fn actions_preview_their_effect() {
        let t = crate::domain::reference::shipped_taxonomy();
        let c = ctx(&t);
        let cat = &t.categories[0].code;
        let mut r = request_from_new(&c, Uuid::nil(), &new_request(cat), Utc::now());
        apply_action(&c, &mut r, &Action::Accept { assignee: None }, Utc::now());
        assert_eq!((r.status, r.assigned_to.as_deref()), (Status::InProgress, Some("agent")));
        apply_action(&c, &mut r, &Action::Contact { text: None }, Utc::now());
        assert_eq!(r.contacts, 1);
        // Closing an in-progress request does not apply: the status stays.
        apply_action(&c, &mut r, &Action::Close {}, Utc::now());
        assert_eq!(r.status, Status::InProgress);
        assert_eq!(r.timeline.len(), 5);
    }
}
