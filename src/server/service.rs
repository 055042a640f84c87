//! The write path. Every change, whether it arrives as `POST /requests`, as an
//! action or through `/sync/push`, becomes a [`Mutation`] applied here inside
//! one store transaction: validate, decide with the domain rules, save, bump
//! the change sequence, audit, and remember the mutation id so a retry has
//! exactly one effect.

use chrono::{DateTime, Duration, SubsecRound as _, Utc};
use uuid::Uuid;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::AppState;
use super::auth::AuthUser;
use super::error::ApiError;
use super::store::{AuditEntry, CITIZEN, REQUEST, Store, StoreTx};
use crate::domain::calendar::WorkCalendar;
use crate::domain::model::RequestType;
use crate::domain::phone::Phone;
use crate::domain::reference::Category;
use crate::domain::status::{Role, Status, Transition};
use crate::domain::tckn::Tckn;
use crate::domain::tracking::TrackingNumber;
use crate::protocol::{
    Action, Address, Citizen, CitizenPatch, Entity, EventKind, Location, MAX_SHORT_CHARS, MAX_TEXT_CHARS, Mutation,
    MutationOp, NewCitizen, NewRequest, Outcome, Request, ServerEvent, TimelineEvent,
};

type Res<T> = Result<T, ApiError>;

/// Who is acting, and when.
pub struct Ctx<'a> {
    pub user: &'a AuthUser,
    pub now: DateTime<Utc>,
}

/// Applies one mutation with exactly-once effect per (device, mutation id).
/// Validation failures become `Rejected` outcomes (stale bases `Conflict`);
/// only server faults are errors. Every answer is recorded, but only an
/// applied one is final: the same mutation sent again gets `Duplicate` with
/// the original result if it was applied, and is decided afresh if it was
/// rejected or conflicted. Those had no effect, so deciding again cannot
/// double one, and it is what lets a console retry a parked change once
/// its cause is fixed (`Cache::retry`).
pub async fn apply(state: &AppState, user: &AuthUser, mutation: Mutation) -> Res<Outcome> {
    state.writer.submit(user, mutation, true).await
}

/// Applies an operation that carries no client mutation id (a plain REST
/// call): nobody can retry it by id, so there is nothing to remember.
/// Creates stay idempotent through their client-supplied entity id.
pub async fn apply_once(state: &AppState, user: &AuthUser, op: MutationOp) -> Res<Outcome> {
    state.writer.submit(user, Mutation { mutation_id: Uuid::now_v7(), op }, false).await
}

/// Applies a console's batch: all are queued at once, so they share
/// transactions, and each still gets its own result, in order.
pub async fn apply_all(state: &AppState, user: &AuthUser, mutations: Vec<Mutation>) -> Res<Vec<Outcome>> {
    let mut waiting = Vec::with_capacity(mutations.len());
    for m in mutations {
        waiting.push(state.writer.enqueue(user, m, true).await?);
    }
    let mut out = Vec::with_capacity(waiting.len());
    for w in waiting {
        out.push(w.await.map_err(|_| anyhow::anyhow!("writer stopped"))??);
    }
    Ok(out)
}

struct Job {
    user: AuthUser,
    mutation: Mutation,
    remember: bool,
    reply: oneshot::Sender<Res<Outcome>>,
}

/// Group commit. One task per server instance takes queued mutations in
/// batches (up to [`Writer::BATCH`]) and applies each inside its own
/// savepoint of one shared transaction: a mutation that fails is rolled
/// back alone, the batch commits once, and only then are results and
/// events released. On SQLite, writers are serialised anyway; this saves a
/// commit and the transaction set-up per mutation. Across instances the
/// database's own locking keeps it correct.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub const BATCH: usize = 64;

    pub fn start(reference: Arc<Reference>, store: Arc<dyn Store>, events: super::EventHub) -> Writer {
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < Self::BATCH {
                    match rx.try_recv() {
                        Ok(j) => jobs.push(j),
                        Err(_) => break,
                    }
                }
                run_batch(&reference, store.as_ref(), &events, jobs).await;
            }
        });
        Writer { tx }
    }

    async fn enqueue(
        &self,
        user: &AuthUser,
        mutation: Mutation,
        remember: bool,
    ) -> Res<oneshot::Receiver<Res<Outcome>>> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { user: user.clone(), mutation, remember, reply })
            .await
            .map_err(|_| anyhow::anyhow!("writer stopped"))?;
        Ok(rx)
    }

    async fn submit(&self, user: &AuthUser, mutation: Mutation, remember: bool) -> Res<Outcome> {
        self.enqueue(user, mutation, remember).await?.await.map_err(|_| anyhow::anyhow!("writer stopped"))?
    }
}

async fn run_batch(reference: &Reference, store: &dyn Store, events: &super::EventHub, jobs: Vec<Job>) {
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = format!("{e:#}");
            for j in jobs {
                let _ = j.reply.send(Err(anyhow::anyhow!("{msg}").into()));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(jobs.len());
    for job in jobs {
        let result = apply_in_savepoint(reference, tx.as_mut(), &job).await;
        done.push((job.reply, result));
    }
    if let Err(e) = tx.commit().await {
        let msg = format!("{e:#}");
        tracing::error!(error = %msg, "group commit failed");
        for (reply, _) in done {
            let _ = reply.send(Err(anyhow::anyhow!("commit failed: {msg}").into()));
        }
        return;
    }
    for (reply, result) in done {
        let result = result.map(|(outcome, changed)| {
            for (seq, entity) in changed {
                events.publish(ServerEvent::Change { seq, entity });
            }
            outcome
        });
        let _ = reply.send(result);
    }
}

async fn apply_in_savepoint(
    reference: &Reference,
    tx: &mut dyn StoreTx,
    job: &Job,
) -> Res<(Outcome, Vec<(i64, Entity)>)> {
    let device = job.user.device_id;
    // Millisecond precision: what the store keeps, so responses and pulls agree.
    let ctx = Ctx { user: &job.user, now: Utc::now().trunc_subsecs(3) };
    let m = &job.mutation;
    tx.savepoint().await?;
    if job.remember
        && let Some(original) = tx.processed(device, m.mutation_id).await?
        && had_effect(&original)
    {
        tx.release().await?;
        let dup = match original {
            Outcome::Duplicate { .. } => original,
            o => Outcome::Duplicate { original: Box::new(o) },
        };
        return Ok((dup, Vec::new()));
    }
    let (outcome, changed) = match run_op(reference, &ctx, tx, &m.op).await {
        Ok(changed) => {
            let main = changed.first().cloned().ok_or_else(|| anyhow::anyhow!("mutation changed nothing"))?;
            (Outcome::Applied { version: main.1.version(), entity: main.1 }, changed)
        }
        Err(e) => {
            // Nothing of this mutation may stay.
            tx.rollback_to_savepoint().await?;
            match e {
                ApiError::Internal(e) => {
                    tx.release().await?;
                    return Err(ApiError::Internal(e));
                }
                ApiError::Conflict { message, current: Some(current) } => {
                    (Outcome::Conflict { message, current: *current }, Vec::new())
                }
                e => (
                    Outcome::Rejected { code: e.code().to_string(), message: e.public_message(), field: e.field() },
                    Vec::new(),
                ),
            }
        }
    };
    if job.remember {
        tx.mark_processed(device, m.mutation_id, &outcome).await?;
    }
    tx.release().await?;
    Ok((outcome, changed))
}

/// Whether a remembered outcome changed anything (and so must not be
/// decided again).
fn had_effect(o: &Outcome) -> bool {
    match o {
        Outcome::Applied { .. } => true,
        Outcome::Duplicate { original } => had_effect(original),
        Outcome::Rejected { .. } | Outcome::Conflict { .. } => false,
    }
}

/// Runs the operation; returns the changed entities with their sequence
/// numbers, the one the mutation is about first.
async fn run_op(state: &Reference, ctx: &Ctx<'_>, tx: &mut dyn StoreTx, op: &MutationOp) -> Res<Vec<(i64, Entity)>> {
    match op {
        MutationOp::CreateCitizen { citizen } => create_citizen(state, ctx, tx, citizen).await,
        MutationOp::UpdateCitizen { id, base_version, patch } => {
            update_citizen(state, ctx, tx, *id, *base_version, patch).await
        }
        MutationOp::CreateRequest { request } => create_request(state, ctx, tx, request).await,
        MutationOp::RequestAction { request_id, base_version, action } => {
            request_action(state, ctx, tx, *request_id, *base_version, action).await
        }
    }
}

// ------------------------------------------------------------- validation

/// Trims and checks a text field: not empty (if required), at most `max`
/// characters, and no control characters (newlines and tabs only where
/// `multiline`).
pub fn clean_text(field: &str, value: &str, max: usize, multiline: bool) -> Res<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid(field, format!("{field} must not be empty")));
    }
    let n = v.chars().count();
    if n > max {
        return Err(ApiError::invalid(field, format!("{field} is {n} characters; at most {max} are allowed")));
    }
    if let Some(c) = v.chars().find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        return Err(ApiError::invalid(field, format!("{field} contains a control character (U+{:04X})", c as u32)));
    }
    Ok(v.to_string())
}

fn clean_opt(field: &str, value: &Option<String>, max: usize) -> Res<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => clean_text(field, v, max, false).map(Some),
    }
}

fn parse_phones(field: &str, phones: &[String]) -> Res<Vec<String>> {
    if phones.len() > 5 {
        return Err(ApiError::invalid(field, "at most 5 phone numbers"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, p) in phones.iter().enumerate() {
        let phone =
            Phone::parse(p).map_err(|e| ApiError::invalid(&format!("{field}[{i}]"), format!("'{}': {e}", p.trim())))?;
        if !out.iter().any(|q| q == phone.e164()) {
            out.push(phone.e164().to_string());
        }
    }
    Ok(out)
}

fn clean_email(value: &Option<String>) -> Res<Option<String>> {
    let Some(e) = clean_opt("email", value, 254)? else {
        return Ok(None);
    };
    let valid = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.contains(char::is_whitespace);
    if valid { Ok(Some(e)) } else { Err(ApiError::invalid("email", format!("'{e}' is not an e-mail address"))) }
}

fn resolve_address(state: &Reference, field: &str, a: &Address) -> Res<Address> {
    let g = &state.gazetteer;
    let (code, _) = g.district(&a.district).ok_or_else(|| {
        ApiError::invalid(&format!("{field}.district"), format!("unknown district '{}'", a.district.trim()))
    })?;
    let n = g.neighbourhood(code, &a.neighbourhood).ok_or_else(|| {
        ApiError::invalid(
            &format!("{field}.neighbourhood"),
            format!("unknown neighbourhood '{}' in {code}", a.neighbourhood.trim()),
        )
    })?;
    Ok(Address {
        district: code.to_string(),
        neighbourhood: n.neighbourhood.clone(),
        street: clean_opt(&format!("{field}.street"), &a.street, MAX_SHORT_CHARS)?,
        number: clean_opt(&format!("{field}.number"), &a.number, 20)?,
    })
}

fn resolve_location(state: &Reference, l: &Location) -> Res<Location> {
    let g = &state.gazetteer;
    let (code, _) = g
        .district(&l.district)
        .ok_or_else(|| ApiError::invalid("location.district", format!("unknown district '{}'", l.district.trim())))?;
    let neighbourhood = match l.neighbourhood.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(n) => Some(
            g.neighbourhood(code, n)
                .ok_or_else(|| {
                    ApiError::invalid("location.neighbourhood", format!("unknown neighbourhood '{n}' in {code}"))
                })?
                .neighbourhood
                .clone(),
        ),
    };
    for (field, v, lim) in [("location.lat", l.lat, 90.0), ("location.lon", l.lon, 180.0)] {
        if v.is_some_and(|v| !v.is_finite() || v.abs() > lim) {
            return Err(ApiError::invalid(field, format!("{field} is out of range")));
        }
    }
    Ok(Location {
        district: code.to_string(),
        neighbourhood,
        address: clean_opt("location.address", &l.address, MAX_SHORT_CHARS)?,
        lat: l.lat,
        lon: l.lon,
    })
}

async fn audit(tx: &mut dyn StoreTx, ctx: &Ctx<'_>, action: &str, entity: &str, id: Uuid, detail: String) -> Res<()> {
    tx.audit(AuditEntry {
        at: ctx.now,
        actor: ctx.user.username().to_string(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: id.to_string(),
        detail,
    })
    .await?;
    Ok(())
}

// ------------------------------------------------------------- citizens

async fn create_citizen(
    state: &Reference,
    ctx: &Ctx<'_>,
    tx: &mut dyn StoreTx,
    n: &NewCitizen,
) -> Res<Vec<(i64, Entity)>> {
    let full_name = clean_text("full_name", &n.full_name, MAX_SHORT_CHARS, false)?;
    let phones = parse_phones("phones", &n.phones)?;
    let tckn = match n.tckn.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(Tckn::parse(t).map_err(|e| ApiError::invalid("tckn", e.to_string()))?.as_str().to_string()),
        None => None,
    };
    let email = clean_email(&n.email)?;
    let address = n.address.as_ref().map(|a| resolve_address(state, "address", a)).transpose()?;
    let id = n.id.unwrap_or_else(Uuid::now_v7);
    // A client-chosen id may come again (a retry over another path): no new
    // effect. A server-made one is new by construction.
    if n.id.is_some()
        && let Some(existing) = tx.citizen(id).await?
    {
        return Ok(vec![(existing.version, Entity::Citizen(Box::new(existing)))]);
    }
    let seq = tx.next_seq().await?;
    let citizen = Citizen {
        id,
        full_name: crate::domain::text::turkish_title(&full_name),
        phones,
        tckn,
        email,
        address,
        hide_identity: n.hide_identity,
        created_at: ctx.now,
        updated_at: ctx.now,
        version: seq,
        field_versions: Default::default(),
    };
    tx.put_citizen(&citizen).await?;
    tx.record_change(seq, CITIZEN, id).await?;
    audit(tx, ctx, "citizen.create", CITIZEN, id, String::new()).await?;
    Ok(vec![(seq, Entity::Citizen(Box::new(citizen)))])
}

async fn update_citizen(
    state: &Reference,
    ctx: &Ctx<'_>,
    tx: &mut dyn StoreTx,
    id: Uuid,
    base_version: i64,
    p: &CitizenPatch,
) -> Res<Vec<(i64, Entity)>> {
    if ctx.user.role() == Role::UnitRep {
        return Err(ApiError::Forbidden("unit representatives cannot edit citizen records".into()));
    }
    let mut c = tx.citizen(id).await?.ok_or_else(|| ApiError::NotFound(format!("citizen {id}")))?;
    let mut touched: Vec<&str> = Vec::new();
    if let Some(name) = &p.full_name {
        c.full_name = crate::domain::text::turkish_title(&clean_text("full_name", name, MAX_SHORT_CHARS, false)?);
        touched.push("full_name");
    }
    if let Some(phones) = &p.phones {
        c.phones = parse_phones("phones", phones)?;
        touched.push("phones");
    }
    if p.email.is_some() {
        c.email = clean_email(&p.email)?;
        touched.push("email");
    }
    if let Some(a) = &p.address {
        c.address = Some(resolve_address(state, "address", a)?);
        touched.push("address");
    }
    if let Some(h) = p.hide_identity {
        c.hide_identity = h;
        touched.push("hide_identity");
    }
    // Field-level merge: a stale base only conflicts where the same field
    // changed since.
    let clashing: Vec<&str> =
        touched.iter().copied().filter(|f| c.field_versions.get(*f).is_some_and(|v| *v > base_version)).collect();
    if !clashing.is_empty() {
        let current = tx.citizen(id).await?.ok_or_else(|| ApiError::NotFound(format!("citizen {id}")))?;
        return Err(ApiError::Conflict {
            message: format!("changed meanwhile by someone else: {}", clashing.join(", ")),
            current: Some(Box::new(Entity::Citizen(Box::new(current)))),
        });
    }
    let seq = tx.next_seq().await?;
    for f in &touched {
        c.field_versions.insert(f.to_string(), seq);
    }
    c.version = seq;
    c.updated_at = ctx.now;
    tx.put_citizen(&c).await?;
    tx.record_change(seq, CITIZEN, id).await?;
    audit(tx, ctx, "citizen.update", CITIZEN, id, touched.join(",")).await?;
    Ok(vec![(seq, Entity::Citizen(Box::new(c)))])
}

// ------------------------------------------------------------- requests

fn event(ctx: &Ctx<'_>, kind: EventKind) -> TimelineEvent {
    TimelineEvent {
        id: Uuid::now_v7(),
        at: ctx.now,
        actor: ctx.user.username().to_string(),
        kind,
        status: None,
        unit: None,
        text: None,
        internal: false,
    }
}

fn category<'a>(state: &'a Reference, code: &str) -> Res<&'a Category> {
    state.taxonomy.category(code).ok_or_else(|| ApiError::invalid("category", format!("unknown category '{code}'")))
}

fn check_unit(state: &Reference, field: &str, code: &str) -> Res<String> {
    let code = code.trim();
    state
        .taxonomy
        .unit(code)
        .map(|u| u.code.clone())
        .ok_or_else(|| ApiError::invalid(field, format!("unknown unit '{code}'")))
}

fn transition(t: Transition, from: Status, role: Role) -> Res<Status> {
    use crate::domain::status::TransitionError;
    t.apply(from, role).map_err(|e| match e {
        TransitionError::RoleForbidden { .. } => ApiError::Forbidden(e.to_string()),
        TransitionError::NotFromHere { .. } => ApiError::InvalidTransition(format!(
            "cannot {} a request that is {}",
            serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            from.as_str()
        )),
    })
}

async fn create_request(
    state: &Reference,
    ctx: &Ctx<'_>,
    tx: &mut dyn StoreTx,
    n: &NewRequest,
) -> Res<Vec<(i64, Entity)>> {
    let description = clean_text("description", &n.description, MAX_TEXT_CHARS, true)?;
    let cat = category(state, n.category.trim())?;
    let location = n.location.as_ref().map(|l| resolve_location(state, l)).transpose()?;
    if location.is_none() && cat.required_fields.iter().any(|f| f == "address" || f == "location") {
        return Err(ApiError::invalid("location", format!("category {} needs a location", cat.code)));
    }
    if let Some(c) = n.citizen_id
        && tx.citizen(c).await?.is_none()
    {
        return Err(ApiError::invalid("citizen_id", format!("unknown citizen {c}")));
    }
    let created_at = match n.created_at {
        Some(t) if t > ctx.now + Duration::minutes(5) => {
            return Err(ApiError::invalid("created_at", "created_at is in the future"));
        }
        Some(t) => t.trunc_subsecs(3),
        None => ctx.now,
    };
    if n.call_seconds.is_some_and(|s| s > 24 * 3600) {
        return Err(ApiError::invalid("call_seconds", "call_seconds is longer than a day"));
    }
    let answer = clean_opt_multiline("answer", &n.answer)?;
    if answer.is_some() && n.kind != RequestType::Information {
        return Err(ApiError::invalid("answer", "only an information (bilgi) request can be answered on the call"));
    }
    let unit = match n.unit.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(u) => {
            let u = check_unit(state, "unit", u)?;
            if n.unit_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ApiError::invalid("unit_reason", "overriding the routed unit needs a reason"));
            }
            u
        }
        None => state.taxonomy.route(cat, location.as_ref().map(|l| l.district.as_str())),
    };
    let unit_reason = clean_opt("unit_reason", &n.unit_reason, MAX_SHORT_CHARS)?;

    let id = n.id.unwrap_or_else(Uuid::now_v7);
    if n.id.is_some()
        && let Some(existing) = tx.request(id).await?
    {
        let mut existing = existing;
        existing.timeline = tx.timeline(id).await?;
        return Ok(vec![(existing.version, Entity::Request(Box::new(existing)))]);
    }
    let tracking = match n.tracking_no.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => {
            let no = TrackingNumber::parse(t).map_err(|e| ApiError::invalid("tracking_no", e.to_string()))?;
            if !tx.device_owns_serial(ctx.user.device_id, no.serial()).await? {
                return Err(ApiError::invalid(
                    "tracking_no",
                    format!("tracking number {no} was not issued to this device"),
                ));
            }
            if tx.request_id_by_tracking(&no.to_string()).await?.is_some() {
                return Err(ApiError::invalid("tracking_no", format!("tracking number {no} is already used")));
            }
            no
        }
        None => {
            let serial = tx.allocate_serials(1).await?;
            TrackingNumber::from_serial(serial).map_err(|e| anyhow::anyhow!("{e}"))?
        }
    };

    let role = ctx.user.role();
    let mut timeline = Vec::new();
    let mut created = event(ctx, EventKind::Created);
    created.status = Some(Status::Registered);
    created.unit = Some(unit.clone());
    created.at = created_at;
    timeline.push(created);
    let mut status = Status::Registered;
    if n.forward {
        status = transition(Transition::Forward, status, role)?;
        let mut e = event(ctx, EventKind::Forwarded);
        e.status = Some(status);
        e.unit = Some(unit.clone());
        e.text = unit_reason.clone();
        e.at = created_at;
        timeline.push(e);
        if cat.out_of_remit {
            // The category itself says the matter belongs to an outside body
            // (186, 187, 112, …): the system refers it on filing, whoever the
            // agent is, so the role check is the system's, not the agent's.
            status = transition(Transition::OutOfRemit, status, Role::Lead)?;
            let mut e = event(ctx, EventKind::StatusChanged);
            e.status = Some(status);
            e.unit = Some(unit.clone());
            e.at = created_at;
            timeline.push(e);
        }
    }
    if let Some(answer) = answer {
        status = transition(Transition::Resolve, status, role)?;
        let mut e = event(ctx, EventKind::Resolved);
        e.status = Some(status);
        e.text = Some(answer);
        e.at = created_at;
        timeline.push(e);
    }
    let seq = tx.next_seq().await?;
    let request = Request {
        id,
        tracking_no: tracking.to_string(),
        kind: n.kind,
        channel: n.channel,
        category: cat.code.clone(),
        unit,
        status,
        priority: n.priority.unwrap_or(cat.priority),
        location,
        description,
        citizen_id: n.citizen_id,
        created_by: ctx.user.user.id,
        assigned_to: None,
        duplicate_of: None,
        co_reporters: Vec::new(),
        sla_due_at: state.calendar.due(created_at, cat.sla),
        paused_at: None,
        contacts: 0,
        call_seconds: n.call_seconds,
        created_at,
        updated_at: ctx.now,
        version: seq,
        timeline: Vec::new(),
    };
    tx.put_request(&request).await?;
    tx.append_events(id, seq, &timeline).await?;
    tx.record_change(seq, REQUEST, id).await?;
    audit(tx, ctx, "request.create", REQUEST, id, request.tracking_no.clone()).await?;
    let mut request = request;
    request.timeline = timeline;
    Ok(vec![(seq, Entity::Request(Box::new(request)))])
}

fn clean_opt_multiline(field: &str, value: &Option<String>) -> Res<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => clean_text(field, v, MAX_TEXT_CHARS, true).map(Some),
    }
}

fn action_transition(a: &Action) -> Option<Transition> {
    a.transition()
}

/// The unit scope: unit representatives act only on their own units'
/// requests; agents only on what the call needs.
fn check_scope(ctx: &Ctx<'_>, r: &Request, a: &Action) -> Res<()> {
    let user = ctx.user;
    match user.role() {
        Role::Lead | Role::Admin => Ok(()),
        Role::UnitRep if user.acts_for_unit(&r.unit) => Ok(()),
        Role::UnitRep => {
            Err(ApiError::Forbidden(format!("request {} belongs to unit {}, not yours", r.tracking_no, r.unit)))
        }
        Role::Agent => match a {
            Action::Resolve { .. } if r.kind != RequestType::Information => Err(ApiError::Forbidden(
                "agents may only answer information (bilgi) requests; the unit resolves the rest".into(),
            )),
            Action::Forward { .. }
            | Action::Note { .. }
            | Action::Contact { .. }
            | Action::AddCoReporter { .. }
            | Action::Resolve { .. }
            | Action::Inform { .. }
            | Action::Cancel { .. }
            | Action::Reopen { .. } => Ok(()),
            _ => Err(ApiError::Forbidden("role 'agent' may not do this".into())),
        },
    }
}

async fn request_action(
    state: &Reference,
    ctx: &Ctx<'_>,
    tx: &mut dyn StoreTx,
    id: Uuid,
    base_version: Option<i64>,
    action: &Action,
) -> Res<Vec<(i64, Entity)>> {
    let mut r = tx.request(id).await?.ok_or_else(|| ApiError::NotFound(format!("request {id}")))?;
    check_scope(ctx, &r, action)?;
    let role = ctx.user.role();
    let from = r.status;
    let new_status = match action_transition(action) {
        Some(t) => {
            if let Some(base) = base_version
                && base != r.version
            {
                r.timeline = tx.timeline(id).await?;
                return Err(ApiError::Conflict {
                    message: format!(
                        "request {} changed since version {base} (now {}, {})",
                        r.tracking_no,
                        r.version,
                        r.status.as_str()
                    ),
                    current: Some(Box::new(Entity::Request(Box::new(r)))),
                });
            }
            Some(transition(t, from, role)?)
        }
        None => {
            if matches!(action, Action::Assign { .. }) && from.is_closed() {
                return Err(ApiError::InvalidTransition(format!("request {} is closed", r.tracking_no)));
            }
            None
        }
    };

    let mut events: Vec<TimelineEvent> = Vec::new();
    let mut also_changed: Vec<Request> = Vec::new();
    let mut e = event(ctx, EventKind::StatusChanged);
    e.status = new_status;
    match action {
        Action::Forward { unit, reason } => {
            if let Some(u) = unit.as_deref().filter(|u| !u.trim().is_empty()) {
                let u = check_unit(state, "unit", u)?;
                if u != r.unit {
                    e.text = Some(clean_text("reason", reason.as_deref().unwrap_or(""), MAX_SHORT_CHARS, false)?);
                    r.unit = u;
                }
            }
            e.kind = EventKind::Forwarded;
            e.unit = Some(r.unit.clone());
        }
        Action::Accept { assignee } => {
            let who = match assignee {
                Some(a) => clean_text("assignee", a, MAX_SHORT_CHARS, false)?,
                None => ctx.user.username().to_string(),
            };
            e.kind = EventKind::Accepted;
            e.text = Some(who.clone());
            r.assigned_to = Some(who);
        }
        Action::Assign { assignee } => {
            let who = clean_text("assignee", assignee, MAX_SHORT_CHARS, false)?;
            e.kind = EventKind::Assigned;
            e.text = Some(who.clone());
            r.assigned_to = Some(who);
        }
        Action::Note { text, internal } => {
            e.kind = EventKind::Note;
            e.text = Some(clean_text("text", text, MAX_TEXT_CHARS, true)?);
            e.internal = *internal;
        }
        Action::Wait { reason } => {
            e.text = Some(clean_text("reason", reason, MAX_SHORT_CHARS, true)?);
            r.paused_at = Some(ctx.now);
        }
        Action::Resume {} => {
            resume_clock(state, &mut r, ctx.now);
        }
        Action::Reroute { unit, reason } => {
            let u = check_unit(state, "unit", unit)?;
            if u == r.unit {
                return Err(ApiError::invalid("unit", format!("request is already with {u}")));
            }
            e.kind = EventKind::Rerouted;
            e.text = Some(clean_text("reason", reason, MAX_SHORT_CHARS, false)?);
            e.unit = Some(u.clone());
            let visited = tx.units_visited(id).await?;
            let bounced = visited.iter().any(|v| v == &u);
            r.unit = u;
            r.assigned_to = None;
            resume_clock(state, &mut r, ctx.now);
            if bounced {
                // A→B→A: the units disagree; the shift lead decides.
                let mut esc = event(ctx, EventKind::Escalated);
                esc.text = Some(format!("bounced back to {}", r.unit));
                esc.internal = true;
                events.push(e.clone());
                e = esc;
            }
        }
        Action::Resolve { reply } => {
            e.kind = EventKind::Resolved;
            e.text = Some(clean_text("reply", reply, MAX_TEXT_CHARS, true)?);
            r.paused_at = None;
        }
        Action::Inform { text } => {
            e.kind = EventKind::CitizenInformed;
            e.text = clean_opt_multiline("text", text)?;
        }
        Action::Close {} => {}
        Action::OutOfRemit { body, message } => {
            let body = check_unit(state, "body", body)?;
            e.unit = Some(body);
            e.text = Some(clean_text("message", message, MAX_TEXT_CHARS, true)?);
            r.paused_at = None;
        }
        Action::MarkDuplicate { of } => {
            if *of == id {
                return Err(ApiError::invalid("of", "a request cannot duplicate itself"));
            }
            let mut original =
                tx.request(*of).await?.ok_or_else(|| ApiError::invalid("of", format!("unknown request {of}")))?;
            // Merging writes to the original too (co-reporters, version):
            // a unit representative may only merge into their own units'
            // requests; across units it is the lead's call.
            if ctx.user.role() == Role::UnitRep && !ctx.user.acts_for_unit(&original.unit) {
                return Err(ApiError::Forbidden(format!(
                    "request {} belongs to unit {}, not yours; ask the shift lead to merge across units",
                    original.tracking_no, original.unit
                )));
            }
            if original.status == Status::Duplicate {
                return Err(ApiError::invalid("of", format!("{} is itself a duplicate", original.tracking_no)));
            }
            // The citizens of the duplicate become co-reporters of the original.
            for c in r.citizen_id.iter().chain(r.co_reporters.iter()) {
                if Some(*c) != original.citizen_id && !original.co_reporters.contains(c) {
                    original.co_reporters.push(*c);
                }
            }
            e.text = Some(original.tracking_no.clone());
            r.duplicate_of = Some(*of);
            r.paused_at = None;
            also_changed.push(original);
        }
        Action::Cancel { reason } => {
            e.text = Some(clean_text("reason", reason, MAX_SHORT_CHARS, true)?);
            r.paused_at = None;
        }
        Action::Reopen { reason } => {
            e.kind = EventKind::Reopened;
            e.text = Some(clean_text("reason", reason, MAX_SHORT_CHARS, true)?);
            let cat = category(state, &r.category)?;
            r.sla_due_at = state.calendar.due(ctx.now, cat.sla);
            r.duplicate_of = None;
        }
        Action::Contact { text } => {
            e.kind = EventKind::Contact;
            e.text = clean_opt_multiline("text", text)?;
            r.contacts += 1;
        }
        Action::AddCoReporter { citizen_id } => {
            if tx.citizen(*citizen_id).await?.is_none() {
                return Err(ApiError::invalid("citizen_id", format!("unknown citizen {citizen_id}")));
            }
            if r.citizen_id != Some(*citizen_id) && !r.co_reporters.contains(citizen_id) {
                r.co_reporters.push(*citizen_id);
            }
            e.kind = EventKind::CoReporter;
            e.text = Some(citizen_id.to_string());
        }
    }
    events.push(e);
    if let Some(s) = new_status {
        r.status = s;
    }

    let seq = tx.next_seq().await?;
    r.version = seq;
    r.updated_at = ctx.now;
    tx.put_request(&r).await?;
    tx.append_events(id, seq, &events).await?;
    tx.record_change(seq, REQUEST, id).await?;
    let what =
        serde_json::to_value(action).ok().and_then(|v| v.get("action").and_then(|a| a.as_str()).map(String::from));
    audit(tx, ctx, &format!("request.{}", what.unwrap_or_default()), REQUEST, id, r.tracking_no.clone()).await?;
    r.timeline = tx.timeline(id).await?;
    let mut changed = vec![(seq, Entity::Request(Box::new(r)))];
    for mut other in also_changed {
        let seq = tx.next_seq().await?;
        other.version = seq;
        other.updated_at = ctx.now;
        tx.put_request(&other).await?;
        tx.record_change(seq, REQUEST, other.id).await?;
        other.timeline = tx.timeline(other.id).await?;
        changed.push((seq, Entity::Request(Box::new(other))));
    }
    Ok(changed)
}

/// Restarts a paused SLA clock, moving the due time by the paused span.
fn resume_clock(state: &Reference, r: &mut Request, now: DateTime<Utc>) {
    if let Some(paused) = r.paused_at.take()
        && let Some(cat) = state.taxonomy.category(&r.category)
    {
        r.sla_due_at = state.calendar.extend_for_pause(r.sla_due_at, cat.sla, paused, now);
    }
}

/// Reference data the service decides with.
pub struct Reference {
    pub taxonomy: crate::domain::reference::Taxonomy,
    pub gazetteer: crate::domain::places::Gazetteer,
    pub calendar: &'static WorkCalendar,
    pub suggester: crate::domain::suggest::Suggester,
}

impl Reference {
    pub fn shipped() -> Reference {
        let taxonomy = crate::domain::reference::shipped_taxonomy();
        Reference {
            suggester: crate::domain::suggest::Suggester::new(&taxonomy),
            gazetteer: crate::domain::places::Gazetteer::shipped().clone(),
            calendar: WorkCalendar::shipped(),
            taxonomy,
        }
    }
}
