//! The Queue screen through `update` alone: loading, filtering, sorting,
//! marking, the action form (refusals, templates, bulk preview); and
//! snapshots of the queue and the action form at 80×24 and 120×40.

mod console_support;

use beyazmasa::client::cache::Badge;
use beyazmasa::console::action::{Action, Msg};
use beyazmasa::console::effect::Effect;
use beyazmasa::console::nav::Screen;
use beyazmasa::console::queue::{ActError, Detail, SortKey};
use beyazmasa::console::state::{Modal, State};
use beyazmasa::console::update::{on_action, update};
use beyazmasa::domain::model::{Channel, Priority, RequestType};
use beyazmasa::domain::status::{Role, Status};
use beyazmasa::protocol::{Action as Op, EventKind, Location, Request, TimelineEvent, UserInfo};
use chrono::{Duration, Utc};
use console_support::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pretty_assertions::assert_eq;
use uuid::Uuid;

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

fn type_text(state: &mut State, s: &str) {
    for c in s.chars() {
        key(state, KeyCode::Char(c));
    }
}

/// A request of GASKİ filed `hours` ago, due in `due_hours` (negative:
/// overdue).
fn request(n: u128, category: &str, neighbourhood: &str, status: Status, hours: i64, due_hours: i64) -> Request {
    let now = fixed_now().with_timezone(&Utc);
    let at = now - Duration::hours(hours);
    Request {
        id: Uuid::from_u128(n),
        tracking_no: format!("27-TEST{n:03}"),
        kind: RequestType::Complaint,
        channel: Channel::Line185,
        category: category.into(),
        unit: "GASKI".into(),
        status,
        priority: if n == 3 { Priority::Urgent } else { Priority::Normal },
        location: Some(Location {
            district: "SAHINBEY".into(),
            neighbourhood: Some(neighbourhood.into()),
            address: None,
            lat: None,
            lon: None,
        }),
        description: format!("Açıklama {n}: sokakta su yok"),
        citizen_id: None,
        created_by: Uuid::nil(),
        assigned_to: (n == 2).then(|| "ekip-3".to_string()),
        duplicate_of: None,
        co_reporters: vec![],
        sla_due_at: now + Duration::hours(due_hours),
        paused_at: None,
        contacts: if n == 1 { 3 } else { 0 },
        call_seconds: None,
        created_at: at,
        updated_at: at,
        version: 10,
        timeline: vec![TimelineEvent {
            id: Uuid::from_u128(n * 1000),
            at,
            actor: "agent".into(),
            kind: EventKind::Note,
            status: None,
            unit: None,
            text: Some(format!("not {n}: vana arızası")),
            internal: true,
        }],
    }
}

fn rows() -> Vec<(Request, Badge)> {
    vec![
        (request(1, "SU_KESINTISI", "Karataş", Status::Forwarded, 30, -5), Badge::Sent),
        (request(2, "SU_KESINTISI", "Karataş", Status::InProgress, 20, 3), Badge::Sent),
        (request(3, "KANAL_TIKANIKLIK", "Düztepe", Status::Forwarded, 2, 40), Badge::Sent),
        (request(4, "SU_ARIZA", "Akkent", Status::Waiting, 50, 10), Badge::NotSent),
    ]
}

fn rep() -> UserInfo {
    UserInfo { units: vec!["GASKI".into()], extension: None, ..demo_user(Role::UnitRep) }
}

/// A unit representative on the Queue screen with the rows loaded.
fn queue_state() -> State {
    let mut state = signed_in_state();
    let effects = update(&mut state, Msg::SignedIn(rep()));
    assert_eq!(state.screen, Screen::Queue, "a unit rep starts on the queue");
    assert_eq!(effects, vec![Effect::LoadQueue { units: vec!["GASKI".into()] }]);
    let effects = update(&mut state, Msg::Queue(Ok(rows())));
    assert_eq!(effects, vec![Effect::LoadDetail(Uuid::from_u128(1))], "the detail follows the selection");
    let mut r = request(1, "SU_KESINTISI", "Karataş", Status::Forwarded, 30, -5);
    r.timeline.push(TimelineEvent {
        id: Uuid::from_u128(77),
        at: r.created_at + Duration::hours(1),
        actor: "gaski".into(),
        kind: EventKind::Contact,
        status: None,
        unit: None,
        text: None,
        internal: false,
    });
    update(&mut state, Msg::Detail(Some(Box::new(Detail { request: r, badge: Badge::Sent, citizen: None }))));
    state
}

fn tracking(state: &State) -> Vec<String> {
    state.queue.visible.iter().map(|&i| state.queue.rows[i].request.tracking_no.clone()).collect()
}

#[test]
fn the_queue_sorts_by_due_and_filters_as_typed() {
    let mut state = queue_state();
    assert_eq!(tracking(&state), ["27-TEST001", "27-TEST002", "27-TEST004", "27-TEST003"]);
    on_action(&mut state, Action::QueueSort);
    assert_eq!(state.queue.sort, SortKey::Age);
    assert_eq!(tracking(&state), ["27-TEST004", "27-TEST001", "27-TEST002", "27-TEST003"]);
    on_action(&mut state, Action::QueueSort);
    assert_eq!(tracking(&state)[0], "27-TEST003", "urgent first");
    on_action(&mut state, Action::QueueSort);
    assert_eq!(tracking(&state)[0], "27-TEST004", "Akkent first by neighbourhood");
    on_action(&mut state, Action::QueueSort);
    assert_eq!(state.queue.sort, SortKey::Due);

    // Free words search the notes too; scoped words one field.
    key(&mut state, KeyCode::Char('/'));
    type_text(&mut state, "vana");
    assert_eq!(tracking(&state).len(), 4, "notes are searched");
    for _ in 0..4 {
        key(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "m:karatas");
    assert_eq!(tracking(&state), ["27-TEST001", "27-TEST002"]);
    type_text(&mut state, " a:ekip");
    assert_eq!(tracking(&state), ["27-TEST002"], "the sort key `s` typed in the filter is text");
    assert_eq!(state.queue.sort, SortKey::Due);
    key(&mut state, KeyCode::Enter);
    assert!(!state.queue.filtering);
    state.queue.filter = Default::default();
    update(&mut state, Msg::Queue(Ok(rows())));

    on_action(&mut state, Action::QueueOverdue);
    assert_eq!(tracking(&state), ["27-TEST001"]);
    on_action(&mut state, Action::QueueOverdue);
    on_action(&mut state, Action::QueueStatus);
    assert_eq!(tracking(&state), ["27-TEST001", "27-TEST003"], "forwarded only");
}

#[test]
fn resolve_needs_a_reply_and_templates_fill_per_request() {
    let mut state = queue_state();
    // Mark the two Karataş water outages and resolve them together.
    key(&mut state, KeyCode::Char(' '));
    key(&mut state, KeyCode::Char(' '));
    assert_eq!(state.queue.marked.len(), 2);
    key(&mut state, KeyCode::Char('e'));
    let Some(Modal::Act(form)) = &state.modal else { panic!("{:?}", state.modal) };
    assert_eq!(form.targets.len(), 2);
    assert!(form.targets.iter().all(|t| t.to == Some(Status::Resolved)));
    assert_eq!(key(&mut state, KeyCode::Enter), vec![], "an empty reply is refused");
    let Some(Modal::Act(form)) = &state.modal else { panic!() };
    assert_eq!(form.error, Some(ActError::TextRequired));
    ctrl(&mut state, 't');
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("2 başvuru değişecek"), "{text}");
    assert!(text.contains("27-TEST001  Yönlendirildi → Sonuçlandı"), "{text}");
    assert!(text.contains("27-TEST001 numaralı"), "the preview fills the placeholders: {text}");
    let effects = key(&mut state, KeyCode::Enter);
    let [Effect::QueueAct(ops)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(ops.len(), 2);
    for (id, op) in ops {
        let Op::Resolve { reply } = op else { panic!("{op:?}") };
        let n = id.as_u128();
        assert!(reply.contains(&format!("27-TEST{n:03} numaralı")), "{reply}");
        assert!(reply.contains("Karataş") && reply.contains("Şahinbey") && reply.contains("10.03.2026"), "{reply}");
        assert!(!reply.contains('{'), "{reply}");
    }
    let effects = update(&mut state, Msg::QueueActed { done: 2, failed: vec![] });
    assert_eq!(state.modal, None);
    assert!(state.queue.marked.is_empty());
    assert!(effects.contains(&Effect::LoadQueue { units: vec!["GASKI".into()] }));
}

#[test]
fn reroute_needs_a_unit_and_a_reason_and_impossible_targets_are_skipped() {
    let mut state = queue_state();
    key(&mut state, KeyCode::Char('r'));
    assert_eq!(key(&mut state, KeyCode::Enter), vec![]);
    let Some(Modal::Act(form)) = &state.modal else { panic!() };
    assert_eq!(form.error, Some(ActError::UnitRequired));
    type_text(&mut state, "fen");
    key(&mut state, KeyCode::Enter);
    let Some(Modal::Act(form)) = &state.modal else { panic!() };
    assert_eq!(form.unit.chosen.as_ref().map(|c| c.value.as_str()), Some("FEN_ISLERI"));
    assert_eq!(key(&mut state, KeyCode::Enter), vec![], "a reroute without a reason is refused");
    let Some(Modal::Act(form)) = &state.modal else { panic!() };
    assert_eq!(form.error, Some(ActError::TextRequired));
    type_text(&mut state, "yol çökmesi");
    let effects = key(&mut state, KeyCode::Enter);
    let op = Op::Reroute { unit: "FEN_ISLERI".into(), reason: "yol çökmesi".into() };
    assert_eq!(effects, vec![Effect::QueueAct(vec![(Uuid::from_u128(1), op)])]);
    update(&mut state, Msg::QueueActed { done: 0, failed: vec![("27-TEST001".into(), "forbidden".into())] });
    assert!(state.notice.as_ref().is_some_and(|n| n.text.contains("27-TEST001: forbidden")), "{:?}", state.notice);

    // Resume applies only to the waiting one of the marked.
    on_action(&mut state, Action::MarkAll);
    key(&mut state, KeyCode::Char('c'));
    let Some(Modal::Act(form)) = &state.modal else { panic!() };
    let possible: Vec<_> = form.targets.iter().filter(|t| t.to.is_some()).map(|t| t.tracking_no.clone()).collect();
    assert_eq!(possible, ["27-TEST004"]);
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::QueueAct(vec![(Uuid::from_u128(4), Op::Resume {})])]);
}

#[test]
fn a_sync_reloads_the_queue_without_a_key() {
    let mut state = queue_state();
    let status =
        beyazmasa::client::sync::SyncStatus { online: true, last_sync: Some(Utc::now()), ..Default::default() };
    let effects = update(&mut state, Msg::Sync(status));
    assert!(effects.contains(&Effect::LoadQueue { units: vec!["GASKI".into()] }), "{effects:?}");
    let mut more = rows();
    more.push((request(5, "SU_KESINTISI", "Karataş", Status::Forwarded, 0, 8), Badge::Sent));
    update(&mut state, Msg::Queue(Ok(more)));
    assert!(tracking(&state).contains(&"27-TEST005".to_string()));
    assert_eq!(state.queue.selected().map(|r| r.request.tracking_no.as_str()), Some("27-TEST001"), "selection kept");
}

fn snapshot(name: &str, state: &State) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_w{w}"), screen_text(&draw(state, w, h)));
    }
}

#[test]
fn snapshots_of_the_queue_and_the_action_form() {
    let mut state = queue_state();
    key(&mut state, KeyCode::Char(' '));
    snapshot("queue_list", &state);
    key(&mut state, KeyCode::Char(' '));
    key(&mut state, KeyCode::Char('e'));
    ctrl(&mut state, 't');
    snapshot("queue_resolve", &state);
}
