//! The console's outbox screen operations against the real server: parked
//! (rejected or conflicting) changes are listed with the server's reason,
//! can be discarded (the record shows the server's state again and its later
//! changes go out) or retried (sent again, decided afresh, applied once).

use beyazmasa::client::cache::{Badge, OutboxState};
use beyazmasa::domain::status::{Role, Status};
use beyazmasa::protocol::{Action, CitizenPatch, EventKind, Mutation, NewCitizen, NewRequest, Outcome, PushRequest};
use beyazmasa::server::RunningServer;

mod sync_support;
use sync_support::{TestUser, synced_console as console, water_request};

/// Two agents and GASKİ's representative.
const USERS: &[TestUser<'static>] =
    &[("agent", Role::Agent, &[]), ("agent2", Role::Agent, &[]), ("gaski", Role::UnitRep, &["GASKI"])];

async fn server(dir: &std::path::Path) -> RunningServer {
    sync_support::server(dir, USERS).await
}

#[tokio::test]
async fn a_conflict_is_parked_and_shown_and_discarding_it_restores_the_server_value() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = console(dir.path(), "masa1", &server, "agent").await;
    let b = console(dir.path(), "masa2", &server, "agent2").await;
    let citizen = a
        .cache
        .create_citizen(NewCitizen {
            full_name: "Hatice Güneş".into(),
            phones: vec!["0532 765 43 21".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    a.engine.sync_once().await.unwrap();
    b.engine.sync_once().await.unwrap();

    // B changes the e-mail; A, not yet synced, changes the same field.
    b.cache
        .update_citizen(citizen.id, CitizenPatch { email: Some("hatice@example.com".into()), ..Default::default() })
        .await
        .unwrap();
    b.engine.sync_once().await.unwrap();
    a.cache
        .update_citizen(citizen.id, CitizenPatch { email: Some("baska@example.com".into()), ..Default::default() })
        .await
        .unwrap();
    a.engine.sync_once().await.unwrap();
    // A's next change of the citizen waits behind the conflict.
    a.cache.update_citizen(citizen.id, CitizenPatch { hide_identity: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(a.engine.sync_once().await.unwrap().pushed, 0);

    // Parked and shown, with the server's reason; the later edit waits.
    let parked = a.cache.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    let p = &parked[0];
    assert_eq!(p.state, OutboxState::Conflict);
    assert_eq!((p.kind.as_str(), p.entity.as_str(), p.entity_id), ("update_citizen", "citizen", citizen.id));
    assert_eq!(p.label.as_deref(), Some("Hatice Güneş"));
    assert!(p.last_error.as_deref().unwrap().contains("email"), "{p:?}");
    assert_eq!((p.attempts, p.held_back), (1, 1));
    assert_eq!(a.cache.outbox().await.unwrap().len(), 2);
    let counts = a.cache.counts().await.unwrap();
    assert_eq!((counts.pending, counts.conflict), (1, 1));
    assert!(!server.state.store.citizen(citizen.id).await.unwrap().unwrap().hide_identity, "held back");
    assert_eq!(a.cache.citizen(citizen.id).await.unwrap().unwrap().email.as_deref(), Some("baska@example.com"));

    // Discard: the server's e-mail shows again, the later edit stays on top.
    a.cache.discard(p.mutation_id()).await.unwrap();
    let view = a.cache.citizen(citizen.id).await.unwrap().unwrap();
    assert_eq!(view.email.as_deref(), Some("hatice@example.com"));
    assert!(view.hide_identity);
    assert!(a.cache.parked().await.unwrap().is_empty());
    let err = a.cache.discard(p.mutation_id()).await.unwrap_err().to_string();
    assert!(err.contains("not in the outbox"), "{err}");

    // ... and goes out with the next push.
    assert_eq!(a.engine.sync_once().await.unwrap().pushed, 1);
    assert!(a.cache.outbox().await.unwrap().is_empty());
    let on_server = server.state.store.citizen(citizen.id).await.unwrap().unwrap();
    assert!(on_server.hide_identity);
    assert_eq!(on_server.email.as_deref(), Some("hatice@example.com"));
}

#[tokio::test]
async fn a_retried_change_is_decided_afresh_and_applied_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = console(dir.path(), "masa1", &server, "agent").await;
    let unit = console(dir.path(), "gaski1", &server, "gaski").await;
    let r = a.cache.file_request(water_request("Sokakta su borusu patladı")).await.unwrap();
    a.engine.sync_once().await.unwrap();

    // Telling the citizen the answer before there is one: rejected.
    a.cache.act(r.id, Action::Inform { text: Some("Ekip yönlendirildi".into()) }).await.unwrap();
    a.engine.sync_once().await.unwrap();
    let parked = a.cache.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    let p = parked[0].clone();
    assert_eq!(
        (p.state, p.kind.as_str(), p.label.as_deref()),
        (OutboxState::Rejected, "request_action", Some(&*r.tracking_no))
    );
    let reason = p.last_error.clone().unwrap();
    assert!(reason.contains("forwarded"), "{reason}");
    let (_, badge) = a.cache.request(r.id).await.unwrap().unwrap();
    assert_eq!(badge, Badge::Rejected { reason: reason.clone() });

    // Retried too early: decided again (not answered from memory), rejected again.
    a.cache.retry(p.mutation_id()).await.unwrap();
    assert_eq!(a.cache.request(r.id).await.unwrap().unwrap().1, Badge::NotSent);
    a.engine.sync_once().await.unwrap();
    let again = a.cache.parked().await.unwrap();
    assert_eq!((again.len(), again[0].state, again[0].attempts), (1, OutboxState::Rejected, 2));

    // The cause goes away: the unit resolves the request.
    unit.engine.sync_once().await.unwrap();
    unit.cache.act(r.id, Action::Resolve { reply: "Boru değiştirildi".into() }).await.unwrap();
    unit.engine.sync_once().await.unwrap();
    assert_eq!(server.state.store.request(r.id).await.unwrap().unwrap().status, Status::Resolved);
    a.engine.sync_once().await.unwrap();
    assert_eq!(a.cache.counts().await.unwrap().rejected, 1, "parked until retried");

    // Retried now: applied, once.
    a.cache.retry(p.mutation_id()).await.unwrap();
    let report = a.engine.sync_once().await.unwrap();
    assert_eq!(report.pushed, 1);
    assert!(a.cache.outbox().await.unwrap().is_empty());
    let informed =
        |r: &beyazmasa::protocol::Request| r.timeline.iter().filter(|e| e.kind == EventKind::CitizenInformed).count();
    let on_server = server.state.store.request(r.id).await.unwrap().unwrap();
    assert_eq!(on_server.status, Status::Informed);
    assert_eq!(informed(&on_server), 1);
    let (view, badge) = a.cache.request(r.id).await.unwrap().unwrap();
    assert_eq!((view.status, badge, view.version), (Status::Informed, Badge::Sent, on_server.version));

    // The same mutation arriving once more (a lost answer, say) has no effect.
    let res = a.api.push(&PushRequest { device_id: a.device, mutations: vec![p.mutation.clone()] }).await.unwrap();
    assert!(
        matches!(&res.results[0].outcome, Outcome::Duplicate { original } if matches!(**original, Outcome::Applied { .. })),
        "{res:?}"
    );
    let after = server.state.store.request(r.id).await.unwrap().unwrap();
    assert_eq!((after.version, informed(&after)), (on_server.version, 1));
    assert_eq!(a.engine.sync_once().await.unwrap().pushed, 0);
}

#[tokio::test]
async fn a_rejected_offline_created_request_is_discarded_with_its_later_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = console(dir.path(), "masa1", &server, "agent").await;
    // Sent to another unit without saying why: the server refuses it.
    let bad = a
        .cache
        .file_request(NewRequest { unit: Some("ZABITA".into()), ..water_request("Su kesik, zabıtaya") })
        .await
        .unwrap();
    a.cache.act(bad.id, Action::Contact { text: Some("tekrar aradı".into()) }).await.unwrap();
    let good = a.cache.file_request(water_request("Su kesik")).await.unwrap();

    // Not answered yet: it may be on its way, so it cannot be discarded.
    let pending = a.cache.outbox().await.unwrap();
    let err = a.cache.discard(pending[0].mutation_id()).await.unwrap_err().to_string();
    assert!(err.contains("may already be on its way"), "{err}");
    assert!(err.contains(&bad.tracking_no), "{err}");

    a.engine.sync_once().await.unwrap();
    let parked = a.cache.parked().await.unwrap();
    assert_eq!(parked.len(), 2, "the create and the contact that needs it: {parked:?}");
    assert_eq!(parked[0].kind, "create_request");
    assert!(parked[0].last_error.as_deref().unwrap().contains("unit_reason"), "{parked:?}");
    assert_eq!(parked[0].label.as_deref(), Some(&*bad.tracking_no));
    assert!(matches!(a.cache.request(bad.id).await.unwrap().unwrap().1, Badge::Rejected { .. }));

    // Discarding the create takes the record and all of its changes.
    a.cache.discard(parked[0].mutation_id()).await.unwrap();
    assert!(a.cache.request(bad.id).await.unwrap().is_none());
    assert!(a.cache.request_by_tracking(&bad.tracking_no).await.unwrap().is_none());
    assert!(a.cache.outbox().await.unwrap().is_empty());
    assert_eq!(a.cache.counts().await.unwrap(), Default::default());
    assert_eq!(a.cache.request(good.id).await.unwrap().unwrap().1, Badge::Sent);
    assert_eq!(a.engine.sync_once().await.unwrap().pushed, 0);
    assert!(server.state.store.request(bad.id).await.unwrap().is_none());
    assert!(server.state.store.request(good.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_local_only_citizen_is_kept_while_other_changes_still_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let a = console(dir.path(), "masa1", &server, "agent").await;
    let citizen = a
        .cache
        .create_citizen(NewCitizen {
            full_name: "Mehmet Kaya".into(),
            phones: vec!["0533 111 22 33".into()],
            email: Some("mehmet-at-example".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = a.cache.file_request(NewRequest { citizen_id: Some(citizen.id), ..water_request("Su yok") }).await.unwrap();
    a.engine.sync_once().await.unwrap();
    let parked = a.cache.parked().await.unwrap();
    assert_eq!(parked.len(), 2, "{parked:?}");
    let (create_citizen, file_request): (&Mutation, &Mutation) = (&parked[0].mutation, &parked[1].mutation);
    assert!(parked[0].last_error.as_deref().unwrap().contains("email"), "{parked:?}");
    assert!(parked[1].last_error.as_deref().unwrap().contains("unknown citizen"), "{parked:?}");

    let err = a.cache.discard(create_citizen.mutation_id).await.unwrap_err().to_string();
    assert!(err.contains(&r.tracking_no), "the request filed for the citizen is named: {err}");
    assert!(a.cache.citizen(citizen.id).await.unwrap().is_some());

    a.cache.discard(file_request.mutation_id).await.unwrap();
    a.cache.discard(create_citizen.mutation_id).await.unwrap();
    assert!(a.cache.citizen(citizen.id).await.unwrap().is_none());
    assert!(a.cache.search_citizens("mehmet kaya", 5).await.unwrap().is_empty());
    assert!(a.cache.search_citizens("05331112233", 5).await.unwrap().is_empty());
    assert!(a.cache.outbox().await.unwrap().is_empty());
}

/// A representative accepts, notes and resolves a request, and edits a
/// citizen's e-mail twice, all before the console syncs: every change is its
/// own, so all of them apply, in order, and none conflicts with the one
/// before it.
#[tokio::test]
async fn several_changes_of_one_record_before_a_sync_all_apply() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let agent = console(dir.path(), "masa1", &server, "agent").await;
    let rep = console(dir.path(), "gaski1", &server, "gaski").await;
    let r = agent.cache.file_request(water_request("Sokakta su yok")).await.unwrap();
    let citizen =
        agent.cache.create_citizen(NewCitizen { full_name: "Ali Kaya".into(), ..Default::default() }).await.unwrap();
    agent.engine.sync_once().await.unwrap();
    rep.engine.sync_once().await.unwrap();

    rep.cache.act(r.id, Action::Accept { assignee: None }).await.unwrap();
    rep.cache.act(r.id, Action::Note { text: "ekip yolda".into(), internal: true }).await.unwrap();
    rep.cache.act(r.id, Action::Resolve { reply: "Arıza giderildi.".into() }).await.unwrap();
    for email in ["ali@example.com", "ali.kaya@example.com"] {
        agent
            .cache
            .update_citizen(citizen.id, CitizenPatch { email: Some(email.into()), ..Default::default() })
            .await
            .unwrap();
    }
    rep.engine.sync_once().await.unwrap();
    agent.engine.sync_once().await.unwrap();

    for c in [&rep, &agent] {
        assert_eq!(c.cache.parked().await.unwrap().len(), 0, "{:?}", c.cache.parked().await.unwrap());
        assert_eq!(c.cache.counts().await.unwrap().pending, 0);
    }
    let on_server = server.state.store.request(r.id).await.unwrap().unwrap();
    assert_eq!(on_server.status, Status::Resolved);
    let (view, badge) = rep.cache.request(r.id).await.unwrap().unwrap();
    assert_eq!((view.status, badge), (Status::Resolved, Badge::Sent));
    let email = server.state.store.citizen(citizen.id).await.unwrap().unwrap().email;
    assert_eq!(email.as_deref(), Some("ali.kaya@example.com"));

    // Someone else's change in between still conflicts.
    rep.cache.act(r.id, Action::Reopen { reason: "su yine kesildi".into() }).await.unwrap();
    let other = console(dir.path(), "gaski2", &server, "gaski").await;
    other.cache.act(r.id, Action::Reopen { reason: "vatandaş aradı".into() }).await.unwrap();
    other.engine.sync_once().await.unwrap();
    rep.engine.sync_once().await.unwrap();
    let parked = rep.cache.parked().await.unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].state, OutboxState::Conflict);
}
