//! The Call screen, step by step, through `update` alone (no terminal, no
//! server): what each key and each answer from the cache does to the state
//! and which effects it asks for; and snapshots of the screen mid-call and
//! after submitting, at 80×24 and 120×40.

mod console_support;

use beyazmasa::client::cache::Badge;
use beyazmasa::console::action::{Action, CacheError, Msg, ScreenPop};
use beyazmasa::console::call::{ActPurpose, Caller, FormError, FormField, NewCallerError, NewCallerField};
use beyazmasa::console::effect::Effect;
use beyazmasa::console::nav::Pane;
use beyazmasa::console::state::{Modal, State};
use beyazmasa::console::update::{on_action, update};
use beyazmasa::domain::model::{Channel, Priority, RequestType};
use beyazmasa::domain::status::Status;
use beyazmasa::protocol::{
    Action as Op, Address, CallEvent, Citizen, CitizenHit, EventKind, Location, MatchKind, Request, TimelineEvent,
};
use chrono::{Duration, Utc};
use console_support::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pretty_assertions::assert_eq;
use uuid::Uuid;

fn press(state: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, mods)))
}

fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    press(state, code, KeyModifiers::NONE)
}

fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    press(state, KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(state: &mut State, c: char) -> Vec<Effect> {
    press(state, KeyCode::Char(c), KeyModifiers::ALT)
}

/// Types `s`, returning the effects of the last key.
fn type_text(state: &mut State, s: &str) -> Vec<Effect> {
    let mut last = Vec::new();
    for c in s.chars() {
        last = key(state, KeyCode::Char(c));
    }
    last
}

fn citizen() -> Citizen {
    let t = fixed_now().with_timezone(&Utc) - Duration::days(400);
    Citizen {
        id: Uuid::from_u128(0xc1),
        full_name: "Gamze Boz".into(),
        phones: vec!["+905396401765".into()],
        tckn: Some("10000000146".into()),
        email: None,
        address: Some(Address {
            district: "SAHINBEY".into(),
            neighbourhood: "Karataş".into(),
            street: Some("Yunus Emre Caddesi".into()),
            number: Some("94".into()),
        }),
        hide_identity: false,
        created_at: t,
        updated_at: t,
        version: 3,
        field_versions: Default::default(),
    }
}

fn request(n: u128, tracking: &str, status: Status, days_ago: i64) -> Request {
    let at = fixed_now().with_timezone(&Utc) - Duration::days(days_ago);
    Request {
        id: Uuid::from_u128(n),
        tracking_no: tracking.into(),
        kind: RequestType::Request,
        channel: Channel::Line185,
        category: "SU_KESINTISI".into(),
        unit: "GASKI".into(),
        status,
        priority: Priority::High,
        location: Some(Location {
            district: "SAHINBEY".into(),
            neighbourhood: Some("Karataş".into()),
            address: None,
            lat: None,
            lon: None,
        }),
        description: "Sokakta iki gündür su yok".into(),
        citizen_id: Some(citizen().id),
        created_by: Uuid::nil(),
        assigned_to: None,
        duplicate_of: None,
        co_reporters: vec![],
        sla_due_at: at + Duration::days(1),
        paused_at: None,
        contacts: 0,
        call_seconds: Some(95),
        created_at: at,
        updated_at: at,
        version: 7,
        timeline: vec![
            TimelineEvent {
                id: Uuid::from_u128(n * 100 + 1),
                at,
                actor: "agent2".into(),
                kind: EventKind::Created,
                status: Some(Status::Registered),
                unit: None,
                text: None,
                internal: false,
            },
            TimelineEvent {
                id: Uuid::from_u128(n * 100 + 2),
                at: at + Duration::hours(3),
                actor: "gaski".into(),
                kind: EventKind::Note,
                status: None,
                unit: None,
                text: Some("Arıza ekibi yönlendirildi, akşama kadar su verilecek.".into()),
                internal: false,
            },
        ],
    }
}

fn hit() -> CitizenHit {
    CitizenHit { citizen: citizen(), matched: MatchKind::Phone, score: 1.0, open_requests: 1 }
}

/// Signed in, the caller found by phone and selected.
fn with_caller() -> State {
    let mut state = signed_in_state();
    let effects = type_text(&mut state, "0539 640 17 65");
    let Some(Effect::SearchCallers { seq, query }) = effects.first().cloned() else { panic!("{effects:?}") };
    update(&mut state, Msg::CallerHits { seq, query, result: Ok(vec![hit()]) });
    let effects = key(&mut state, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::LoadHistory { citizen_id: citizen().id }]);
    update(
        &mut state,
        Msg::History {
            citizen_id: citizen().id,
            rows: vec![
                (request(1, "27-3TRA045", Status::InProgress, 2), Badge::Sent),
                (request(2, "27-AY7B5YY", Status::Closed, 90), Badge::Sent),
            ],
        },
    );
    state
}

#[test]
fn search_runs_per_keystroke_and_drops_stale_answers() {
    let mut state = signed_in_state();
    assert_eq!(state.focused_pane(), Pane::CallSearch);
    assert_eq!(type_text(&mut state, "0"), vec![], "one character does not search");
    let first = key(&mut state, KeyCode::Char('5'));
    let Some(Effect::SearchCallers { seq: s1, query }) = first.first().cloned() else { panic!("{first:?}") };
    assert_eq!(query, "05");
    let second = key(&mut state, KeyCode::Char('3'));
    let Some(Effect::SearchCallers { seq: s2, .. }) = second.first().cloned() else { panic!("{second:?}") };
    assert!(s2 > s1);
    // The answer to the older query arrives last: it is dropped.
    update(&mut state, Msg::CallerHits { seq: s2, query: "053".into(), result: Ok(vec![hit()]) });
    update(&mut state, Msg::CallerHits { seq: s1, query: "05".into(), result: Ok(vec![]) });
    assert_eq!(state.call.hits.len(), 1);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("1 sonuç · yerel önbellekten"), "{text}");
    assert!(text.contains("Gamze Boz  0539 *** ** 65"), "{text}");
    assert!(text.contains("100******46"), "the ID number is masked: {text}");
    assert!(!text.contains("10000000146"), "{text}");
}

#[test]
fn selecting_the_caller_loads_history_and_defaults_the_location() {
    let state = with_caller();
    assert!(matches!(&state.call.caller.0, Caller::Known(c) if c.id == citizen().id));
    assert_eq!(state.focused_pane(), Pane::CallForm);
    assert_eq!(state.call.form.field, FormField::Description);
    assert_eq!(state.call.form.district.chosen.as_ref().map(|c| c.value.as_str()), Some("SAHINBEY"));
    assert_eq!(state.call.form.neighbourhood.chosen.as_ref().map(|c| c.value.as_str()), Some("Karataş"));
    assert_eq!(state.call.form.street.text(), "Yunus Emre Caddesi No 94");
    assert_eq!(state.call_started, Some(fixed_now()), "the call timer starts");
    assert_eq!(state.call.history.len(), 2);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("● 27-3TRA045 İşlemde"), "open requests are marked: {text}");
    assert!(text.contains("Arıza ekibi yönlendirildi"), "the last note shows: {text}");
}

#[test]
fn description_suggests_and_one_key_takes_the_suggestion() {
    let mut state = with_caller();
    type_text(&mut state, "iki gündür sular kesik");
    let top = state.call.form.suggestions.first().map(|s| s.code.clone());
    assert_eq!(top.as_deref(), Some("SU_KESINTISI"), "{:?}", state.call.form.suggestions);
    let effects = alt(&mut state, '1');
    assert_eq!(state.call.form.category.chosen.as_ref().map(|c| c.value.as_str()), Some("SU_KESINTISI"));
    assert_eq!(state.call.form.unit_code().as_deref(), Some("GASKI"));
    // Category and neighbourhood known: the duplicate radar looks.
    let [Effect::FindNearby { key, since }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(key, &("SU_KESINTISI".to_string(), "SAHINBEY".to_string(), "Karataş".to_string()));
    assert_eq!(*since, fixed_now().with_timezone(&Utc) - Duration::days(30));
}

#[test]
fn submit_files_the_request_with_the_call_length_and_shows_the_number() {
    let mut state = with_caller();
    type_text(&mut state, "Sokakta su yok");
    alt(&mut state, '1');
    update(&mut state, Msg::Tick(fixed_now() + Duration::seconds(75)));
    let effects = ctrl(&mut state, 's');
    let [Effect::FileRequest(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(new.citizen_id, Some(citizen().id));
    assert_eq!(new.category, "SU_KESINTISI");
    assert_eq!(new.description, "Sokakta su yok");
    assert_eq!(new.channel, Channel::Line153);
    assert_eq!(new.call_seconds, Some(75));
    assert!(new.forward, "forwarded to the routed unit");
    let loc = new.location.as_ref().unwrap();
    assert_eq!((loc.district.as_str(), loc.neighbourhood.as_deref()), ("SAHINBEY", Some("Karataş")));
    assert_eq!(loc.address.as_deref(), Some("Yunus Emre Caddesi No 94"));
    assert!(state.call.busy);
    assert_eq!(ctrl(&mut state, 's'), vec![], "no second submit while saving");

    let mut filed = request(3, "27-MD3M24E", Status::Forwarded, 0);
    filed.description = new.description.clone();
    let effects = update(&mut state, Msg::Filed(Ok(filed)));
    assert_eq!(effects, vec![Effect::LoadHistory { citizen_id: citizen().id }]);
    assert_eq!(state.call.filed.as_ref().map(|f| f.tracking_no.as_str()), Some("27-MD3M24E"));
    let text = screen_text(&draw(&state, 80, 24));
    assert!(text.contains("2 7 - M D 3 M 2 4 E"), "the number is large and spaced: {text}");
    assert!(text.contains("[gönderilmedi]"), "not yet confirmed by the server: {text}");

    // The next call starts clean, and the timer stops.
    ctrl(&mut state, 'x');
    assert_eq!(state.call.filed, None);
    assert_eq!(state.call.caller.0, Caller::None);
    assert!(state.call.search.is_empty());
    assert_eq!(state.call_started, None);
    assert_eq!(state.focused_pane(), Pane::CallSearch);
}

#[test]
fn a_failed_submit_keeps_everything_typed() {
    let mut state = with_caller();
    type_text(&mut state, "Çöp toplanmadı");
    ctrl(&mut state, 's');
    assert_eq!(state.call.form.error(FormField::Category), Some(FormError::Required));
    assert_eq!(state.call.form.field, FormField::Category, "the cursor goes to the problem");
    alt(&mut state, '1');
    let effects = ctrl(&mut state, 's');
    assert!(matches!(effects.as_slice(), [Effect::FileRequest(_)]));
    update(&mut state, Msg::Filed(Err("database is locked".into())));
    assert!(!state.call.busy);
    assert_eq!(state.call.form.description.text(), "Çöp toplanmadı");
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("Kaydedilemedi: database is locked"), "{text}");
}

/// A full disk is said plainly, in the console's language, and what was
/// typed stays for the next try.
#[test]
fn a_full_disk_is_said_plainly_and_the_form_kept() {
    let mut state = with_caller();
    type_text(&mut state, "Çöp toplanmadı");
    alt(&mut state, '1');
    let effects = ctrl(&mut state, 's');
    assert!(matches!(effects.as_slice(), [Effect::FileRequest(_)]));
    update(&mut state, Msg::Filed(Err(CacheError::DiskFull)));
    assert_eq!(state.call.error.as_deref(), Some("disk dolu; yer açıp yeniden deneyin"));
    assert_eq!(state.call.form.description.text(), "Çöp toplanmadı");
    let text = screen_text(&draw(&state, 160, 40));
    assert!(text.contains("Kaydedilemedi: disk dolu; yer açıp yeniden deneyin"), "{text}");
    // And the next try goes out with the same content.
    let effects = ctrl(&mut state, 's');
    let [Effect::FileRequest(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(new.description.starts_with("Çöp toplanmadı"));
}

#[test]
fn no_caller_no_request_but_anonymous_is_one_key() {
    let mut state = signed_in_state();
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focused_pane(), Pane::CallForm);
    type_text(&mut state, "Parkta salıncak kırık");
    alt(&mut state, '1');
    assert_eq!(ctrl(&mut state, 's'), vec![]);
    assert_eq!(state.call.form.error(FormField::Description), Some(FormError::NoCaller));
    ctrl(&mut state, 'o');
    assert_eq!(state.call.caller.0, Caller::Anonymous);
    // No caller address: the district must be picked.
    assert_eq!(ctrl(&mut state, 's'), vec![]);
    assert_eq!(state.call.form.error(FormField::District), Some(FormError::Required));
    type_text(&mut state, "sahin");
    key(&mut state, KeyCode::Enter);
    let effects = ctrl(&mut state, 's');
    let [Effect::FileRequest(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(new.citizen_id, None);
    assert_eq!(new.location.as_ref().map(|l| l.district.as_str()), Some("SAHINBEY"));
}

#[test]
fn neighbourhood_picker_filters_all_names_and_sets_the_district() {
    let mut state = with_caller();
    state.call.form.field = FormField::Neighbourhood;
    state.call.form.district = Default::default();
    state.call.form.neighbourhood = Default::default();
    type_text(&mut state, "karatas");
    let options: Vec<_> = state.call.form.neighbourhood.options.iter().map(|o| o.label.clone()).collect();
    assert!(options.contains(&"Karataş · Şahinbey".to_string()), "{options:?}");
    assert!(options.len() >= 2, "Karataş exists in more than one district: {options:?}");
    let at = options.iter().position(|o| o == "Karataş · Şahinbey").unwrap();
    for _ in 0..at {
        key(&mut state, KeyCode::Down);
    }
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.call.form.neighbourhood.chosen.as_ref().map(|c| c.value.as_str()), Some("Karataş"));
    assert_eq!(state.call.form.district.chosen.as_ref().map(|c| c.value.as_str()), Some("SAHINBEY"));
    assert_eq!(state.call.form.field, FormField::Street, "enter moves on");
}

#[test]
fn a_unit_override_needs_a_reason() {
    let mut state = with_caller();
    type_text(&mut state, "sular kesik");
    alt(&mut state, '1');
    state.call.form.field = FormField::Unit;
    type_text(&mut state, "fen isleri");
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.call.form.unit.chosen.as_ref().map(|c| c.value.as_str()), Some("FEN_ISLERI"));
    assert_eq!(ctrl(&mut state, 's'), vec![]);
    assert_eq!(state.call.form.error(FormField::UnitReason), Some(FormError::UnitReasonRequired));
    assert_eq!(state.call.form.field, FormField::UnitReason);
    type_text(&mut state, "yol çökmesi, boru değil");
    let effects = ctrl(&mut state, 's');
    let [Effect::FileRequest(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(new.unit.as_deref(), Some("FEN_ISLERI"));
    assert_eq!(new.unit_reason.as_deref(), Some("yol çökmesi, boru değil"));
}

#[test]
fn an_information_request_is_closed_on_the_call_with_the_answer() {
    let mut state = with_caller();
    type_text(&mut state, "Su faturası ne zaman gelir");
    alt(&mut state, '1');
    state.call.form.field = FormField::Kind;
    for _ in 0..3 {
        key(&mut state, KeyCode::Right);
    }
    assert_eq!(state.call.form.kind, RequestType::Information);
    assert!(state.call.form.fields().contains(&FormField::Answer));
    state.call.form.field = FormField::Answer;
    type_text(&mut state, "Ayın 15'inde");
    let effects = ctrl(&mut state, 's');
    let [Effect::FileRequest(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(new.kind, RequestType::Information);
    assert_eq!(new.answer.as_deref(), Some("Ayın 15'inde"));
}

#[test]
fn emergencies_warn_to_transfer_to_112() {
    let mut state = with_caller();
    type_text(&mut state, "binada yoğun gaz kokusu var");
    let emergency = state
        .call
        .form
        .suggestions
        .iter()
        .position(|s| beyazmasa::domain::reference::taxonomy().category(&s.code).is_some_and(|c| c.emergency))
        .expect("an emergency category is suggested");
    alt(&mut state, char::from(b'1' + emergency as u8));
    let text = screen_text(&draw(&state, 80, 24));
    assert!(text.contains("112"), "{text}");
}

#[test]
fn repeat_callers_get_a_note_or_an_update_in_one_key() {
    let mut state = with_caller();
    ctrl(&mut state, 'f');
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focused_pane(), Pane::CallHistory);
    key(&mut state, KeyCode::Char('n'));
    assert!(matches!(state.modal, Some(Modal::Note(_))));
    assert_eq!(key(&mut state, KeyCode::Enter), vec![], "an empty note is refused");
    type_text(&mut state, "Vatandaş tekrar aradı, su hâlâ yok");
    let effects = key(&mut state, KeyCode::Enter);
    let op = Op::Note { text: "Vatandaş tekrar aradı, su hâlâ yok".into(), internal: false };
    assert_eq!(effects, vec![Effect::Act { request_id: Uuid::from_u128(1), op, purpose: ActPurpose::Note }]);
    update(
        &mut state,
        Msg::Acted { purpose: ActPurpose::Note, result: Ok(request(1, "27-3TRA045", Status::InProgress, 2)) },
    );
    assert_eq!(state.modal, None);

    let effects = key(&mut state, KeyCode::Char('u'));
    let update_op = Op::Contact { text: None };
    assert_eq!(
        effects,
        vec![Effect::Act { request_id: Uuid::from_u128(1), op: update_op, purpose: ActPurpose::Update }]
    );
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("Arıza ekibi yönlendirildi, akşama kadar su verilecek."), "the last answer to read: {text}");
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.modal, None);
}

#[test]
fn the_caller_can_join_an_existing_request_as_co_reporter() {
    let mut state = with_caller();
    type_text(&mut state, "sular kesik");
    let effects = alt(&mut state, '1');
    let [Effect::FindNearby { key: radar, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    let mut other = request(9, "27-NEARBY1", Status::Forwarded, 1);
    other.citizen_id = Some(Uuid::from_u128(0xdd));
    update(&mut state, Msg::Nearby { key: radar.clone(), rows: vec![(other.clone(), Badge::Sent)] });
    assert_eq!(state.call.nearby.len(), 1);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("27-NEARBY1"), "{text}");
    state.focus[0] = 3; // the nearby pane
    let effects = key(&mut state, KeyCode::Char('c'));
    let op = Op::AddCoReporter { citizen_id: citizen().id };
    assert_eq!(effects, vec![Effect::Act { request_id: other.id, op, purpose: ActPurpose::CoReport }]);
    other.co_reporters.push(citizen().id);
    update(&mut state, Msg::Acted { purpose: ActPurpose::CoReport, result: Ok(other) });
    let filed = state.call.filed.clone().unwrap();
    assert!(filed.co_reported);
    assert_eq!(filed.tracking_no, "27-NEARBY1");
}

#[test]
fn a_screen_pop_jumps_to_the_caller_and_starts_the_timer() {
    let mut state = signed_in_state();
    on_action(&mut state, Action::GotoQueue);
    let pop = ScreenPop {
        ani: "+905396401765".into(),
        event: CallEvent::Ringing,
        citizen: Some(citizen()),
        line: Some(Channel::Line185),
    };
    let effects = update(&mut state, Msg::ScreenPop(pop.clone()));
    assert_eq!(state.screen, beyazmasa::console::nav::Screen::Call);
    assert_eq!(state.call.search.text(), "0539 640 17 65");
    assert!(matches!(&state.call.caller.0, Caller::Known(c) if c.id == citizen().id));
    assert_eq!(state.call.form.channel, Channel::Line185, "the channel is the line the call came in on");
    assert_eq!(state.call_started, Some(fixed_now()));
    assert!(effects.contains(&Effect::LoadHistory { citizen_id: citizen().id }));
    // Answering the same call pops nothing new; hanging up freezes the length.
    assert_eq!(update(&mut state, Msg::ScreenPop(ScreenPop { event: CallEvent::Answered, ..pop.clone() })), vec![]);
    update(&mut state, Msg::Tick(fixed_now() + Duration::seconds(42)));
    update(&mut state, Msg::ScreenPop(ScreenPop { event: CallEvent::Hangup, ..pop }));
    update(&mut state, Msg::Tick(fixed_now() + Duration::seconds(90)));
    assert_eq!(beyazmasa::console::update_call::call_seconds(&state), Some(42));
}

#[test]
fn an_unknown_number_pops_a_new_caller_form_with_it() {
    let mut state = signed_in_state();
    let pop = ScreenPop { ani: "05321234567".into(), event: CallEvent::Ringing, citizen: None, line: None };
    update(&mut state, Msg::ScreenPop(pop));
    let Some(Modal::NewCaller(form)) = &state.modal else { panic!("{:?}", state.modal) };
    assert_eq!(form.phone.text(), "0532 123 45 67");
    assert_eq!(form.field, NewCallerField::Name);
    type_text(&mut state, "mehmet öztürk");
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    type_text(&mut state, "12345678901");
    assert!(key(&mut state, KeyCode::Enter).is_empty(), "an invalid ID number is not saved");
    let Some(Modal::NewCaller(form)) = &state.modal else { panic!() };
    assert!(matches!(form.error(NewCallerField::Tckn), Some(NewCallerError::Tckn(_))));
    assert_eq!(form.name.text(), "mehmet öztürk", "the form keeps its content");
    let text = screen_text(&draw(&state, 80, 24));
    assert!(text.contains("T.C. Kimlik No geçersiz"), "{text}");
    for _ in 0..11 {
        key(&mut state, KeyCode::Backspace);
    }
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Char(' '));
    let effects = key(&mut state, KeyCode::Enter);
    let [Effect::CreateCitizen(new)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(new.full_name, "Mehmet Öztürk");
    assert_eq!(new.phones, vec!["+905321234567".to_string()]);
    assert_eq!(new.tckn, None);
    assert!(new.hide_identity);
}

#[test]
fn a_pop_during_unsaved_work_only_warns() {
    let mut state = with_caller();
    type_text(&mut state, "yarım kalan kayıt");
    let pop = ScreenPop { ani: "05321234567".into(), event: CallEvent::Ringing, citizen: None, line: None };
    assert_eq!(update(&mut state, Msg::ScreenPop(pop)), vec![]);
    assert_eq!(state.call.form.description.text(), "yarım kalan kayıt");
    assert!(state.notice.as_ref().is_some_and(|n| n.text.contains("0532")), "{:?}", state.notice);
}

#[test]
fn pastes_are_cleaned_and_capped_and_next_call_asks_before_discarding() {
    let mut state = with_caller();
    update(&mut state, Msg::Paste("su yok\u{1b}[2J\u{1b}]0;x\u{7}\r\nikinci satır".into()));
    assert_eq!(state.call.form.description.text(), "su yok\nikinci satır");
    update(&mut state, Msg::Paste("x".repeat(5000)));
    assert_eq!(state.call.form.description.text().chars().count(), beyazmasa::protocol::MAX_TEXT_CHARS);
    assert!(state.notice.as_ref().is_some_and(|n| n.text.contains("4000")), "{:?}", state.notice);
    ctrl(&mut state, 'x');
    assert!(state.call.form.has_content(), "the first press only warns");
    ctrl(&mut state, 'x');
    assert!(!state.call.form.has_content());
}

fn snapshot(name: &str, state: &State) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_w{w}"), screen_text(&draw(state, w, h)));
    }
}

#[test]
fn snapshots_mid_call_and_after_submit() {
    let mut state = with_caller();
    type_text(&mut state, "İki gündür sokakta su yok, komşularda da yok.");
    let effects = alt(&mut state, '1');
    let [Effect::FindNearby { key: radar, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    let mut other = request(9, "27-NEARBY1", Status::Forwarded, 1);
    other.co_reporters = vec![Uuid::from_u128(5), Uuid::from_u128(6)];
    update(&mut state, Msg::Nearby { key: radar.clone(), rows: vec![(other, Badge::Sent)] });
    update(&mut state, Msg::Tick(fixed_now() + Duration::seconds(48)));
    snapshot("call_mid", &state);

    ctrl(&mut state, 's');
    update(&mut state, Msg::Filed(Ok(request(3, "27-MD3M24E", Status::Forwarded, 0))));
    snapshot("call_filed", &state);
}

#[test]
fn a_closed_request_is_reopened_from_the_history_with_a_reason() {
    let mut state = with_caller();
    ctrl(&mut state, 'f');
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Char('o'));
    assert_eq!(state.modal, None, "the open request cannot be reopened");
    key(&mut state, KeyCode::Down);
    key(&mut state, KeyCode::Char('o'));
    assert!(matches!(&state.modal, Some(Modal::Note(f)) if f.reopen && f.tracking_no == "27-AY7B5YY"));
    assert_eq!(key(&mut state, KeyCode::Enter), vec![], "a reason is needed");
    type_text(&mut state, "su yine kesildi");
    let effects = key(&mut state, KeyCode::Enter);
    let op = Op::Reopen { reason: "su yine kesildi".into() };
    assert_eq!(effects, vec![Effect::Act { request_id: Uuid::from_u128(2), op, purpose: ActPurpose::Note }]);
}
