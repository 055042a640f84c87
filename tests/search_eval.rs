//! Measures caller search against the hand-written evaluation set in
//! `tests/data/search_eval.json`, on a real offline-cache SQLite file.
//!
//! The cache holds the set's target citizens and near-namesakes (created
//! locally, as an agent would) among a few thousand demo citizens (applied
//! as a console bootstrap does, through `apply_snapshot_batch`), so ranking
//! matters: there are many other Yılmaz, Işık, Ahmet and Karataş people.
//! Each case is a query typed as agents type it and the citizen it must
//! find; the test prints recall in the top 3 per kind and every miss, and
//! holds the total to at least 95%.
//!
//! `SEARCH_EVAL_DISTRACTORS=20000 cargo test --test search_eval -- --nocapture`
//! runs it against a larger population.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use beyazmasa::client::cache::{Cache, LocalUser};
use beyazmasa::domain::phone::Phone;
use beyazmasa::domain::places::Gazetteer;
use beyazmasa::domain::tckn::Tckn;
use beyazmasa::protocol::{Address, CitizenHit, Entity, MatchKind, NewCitizen};
use beyazmasa::server::demo::demo_citizens;
use chrono::{TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

const EVAL_SET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/search_eval.json");

/// Demo citizens around the targets, unless `SEARCH_EVAL_DISTRACTORS` says.
const DEMO_DISTRACTORS: usize = 4000;
const TOP: usize = 3;
const MIN_RECALL: f64 = 0.95;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalSet {
    #[allow(dead_code)]
    about: String,
    citizens: Vec<Target>,
    distractors: Vec<Person>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    key: String,
    full_name: String,
    phones: Vec<String>,
    #[serde(default)]
    tckn: Option<String>,
    address: Address,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Person {
    full_name: String,
    phones: Vec<String>,
    #[serde(default)]
    tckn: Option<String>,
    address: Address,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    kind: String,
    query: String,
    expect: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

impl Case {
    /// Cases that identify the caller exactly: the caller must come first,
    /// matched by number.
    fn is_exact_number(&self) -> bool {
        matches!(self.kind.as_str(), "phone" | "tckn")
    }
}

fn new_citizen(full_name: &str, phones: &[String], tckn: &Option<String>, address: &Address) -> NewCitizen {
    NewCitizen {
        id: Some(Uuid::now_v7()),
        full_name: full_name.to_string(),
        phones: phones.to_vec(),
        tckn: tckn.clone(),
        email: None,
        address: Some(address.clone()),
        hide_identity: false,
    }
}

/// Catches mistakes in the hand-written set before they read as misses.
fn check_fixture(set: &EvalSet) {
    let g = Gazetteer::shipped();
    let people = set
        .citizens
        .iter()
        .map(|t| (&t.full_name, &t.phones, &t.tckn, &t.address))
        .chain(set.distractors.iter().map(|p| (&p.full_name, &p.phones, &p.tckn, &p.address)));
    for (name, phones, tckn, address) in people {
        for p in phones {
            Phone::parse(p).unwrap_or_else(|e| panic!("{name}: phone {p}: {e}"));
        }
        if let Some(t) = tckn {
            Tckn::parse(t).unwrap_or_else(|e| panic!("{name}: T.C. Kimlik No {t}: {e}"));
        }
        assert!(
            g.neighbourhood(&address.district, &address.neighbourhood).is_some(),
            "{name}: no neighbourhood {} in {}",
            address.neighbourhood,
            address.district
        );
    }
    let keys: Vec<&str> = set.citizens.iter().map(|t| t.key.as_str()).collect();
    for c in &set.cases {
        assert!(keys.contains(&c.expect.as_str()), "case {:?} expects unknown citizen {}", c.query, c.expect);
    }
}

/// The cache with the targets among the distractors, and each target's id.
async fn populate(dir: &std::path::Path, set: &EvalSet) -> (Cache, HashMap<String, Uuid>) {
    let user = LocalUser { id: Uuid::now_v7(), username: "agent".into() };
    let cache = Cache::open(&dir.join("cache.db"), user).await.unwrap();
    let n: usize =
        std::env::var("SEARCH_EVAL_DISTRACTORS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEMO_DISTRACTORS);
    let now = Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).unwrap();
    let started = Instant::now();
    let demo: Vec<Entity> = demo_citizens(27, now).take(n).map(|c| Entity::Citizen(Box::new(c))).collect();
    for batch in demo.chunks(500) {
        cache.apply_snapshot_batch(batch).await.unwrap();
    }
    for p in &set.distractors {
        cache.create_citizen(new_citizen(&p.full_name, &p.phones, &p.tckn, &p.address)).await.unwrap();
    }
    let mut ids = HashMap::new();
    for t in &set.citizens {
        let c = cache.create_citizen(new_citizen(&t.full_name, &t.phones, &t.tckn, &t.address)).await.unwrap();
        ids.insert(t.key.clone(), c.id);
    }
    println!(
        "population: {} demo citizens, {} near-namesakes, {} targets (built in {:.1} s)",
        n,
        set.distractors.len(),
        set.citizens.len(),
        started.elapsed().as_secs_f64()
    );
    (cache, ids)
}

#[derive(Default)]
struct Tally {
    n: usize,
    top1: usize,
    top3: usize,
}

fn pct(hits: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { 100.0 * hits as f64 / n as f64 }
}

fn describe(hits: &[CitizenHit], expected: Uuid) -> String {
    let shown: Vec<String> = hits
        .iter()
        .take(5)
        .map(|h| {
            let mark = if h.citizen.id == expected { "*" } else { "" };
            let place = h.citizen.address.as_ref().map(|a| a.neighbourhood.as_str()).unwrap_or("-");
            format!("{mark}{} ({place}, {:?} {:.2})", h.citizen.full_name, h.matched, h.score)
        })
        .collect();
    if shown.is_empty() { "nothing".into() } else { shown.join("; ") }
}

/// Strong kinds of match (ID number, phone) come before name and address
/// matches, whatever their scores.
fn assert_kinds_ordered(query: &str, hits: &[CitizenHit]) {
    for w in hits.windows(2) {
        assert!(
            w[0].matched <= w[1].matched,
            "{query:?}: a {:?} match ranks above a {:?} match: {}",
            w[0].matched,
            w[1].matched,
            describe(hits, Uuid::nil())
        );
    }
}

#[tokio::test]
async fn caller_search_recall() {
    let text = std::fs::read_to_string(EVAL_SET).expect("read the evaluation set");
    let set: EvalSet = serde_json::from_str(&text).expect("parse the evaluation set");
    assert!(set.cases.len() >= 70, "the evaluation set needs at least 70 cases");
    check_fixture(&set);
    let dir = tempfile::tempdir().unwrap();
    let (cache, ids) = populate(dir.path(), &set).await;

    let mut total = Tally::default();
    let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for case in &set.cases {
        let expected = ids[&case.expect];
        let started = Instant::now();
        let hits = cache.search_citizens(&case.query, 20).await.unwrap();
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, case.query.clone());
        }
        assert_kinds_ordered(&case.query, &hits);
        let rank = hits.iter().position(|h| h.citizen.id == expected);
        if case.is_exact_number() {
            // Phone and ID matches rank above any name match: the caller
            // comes first, found by the number.
            let first = hits.first().unwrap_or_else(|| panic!("{:?} found nothing", case.query));
            assert_eq!(first.citizen.id, expected, "{:?}: {}", case.query, describe(&hits, expected));
            assert!(
                matches!(first.matched, MatchKind::Tckn | MatchKind::Phone),
                "{:?} matched as {:?}",
                case.query,
                first.matched
            );
        }
        let top1 = rank == Some(0);
        let top3 = rank.is_some_and(|r| r < TOP);
        for t in [&mut total, by_kind.entry(case.kind.as_str()).or_default()] {
            t.n += 1;
            t.top1 += usize::from(top1);
            t.top3 += usize::from(top3);
        }
        if !top3 {
            let at = rank.map(|r| format!("rank {}", r + 1)).unwrap_or_else(|| "not found".into());
            misses.push(format!(
                "  [{}] {:?} → {} ({at}): {}",
                case.kind,
                case.query,
                case.expect,
                describe(&hits, expected)
            ));
        }
    }

    println!("\ncaller search, recall@1 and recall@{TOP}:");
    for (kind, t) in &by_kind {
        println!("  {kind:<18} {:>3} cases  @1 {:>5.1}%  @{TOP} {:>5.1}%", t.n, pct(t.top1, t.n), pct(t.top3, t.n));
    }
    println!(
        "  {:<18} {:>3} cases  @1 {:>5.1}%  @{TOP} {:>5.1}%",
        "all",
        total.n,
        pct(total.top1, total.n),
        pct(total.top3, total.n)
    );
    println!("  slowest query: {:?} in {:.1} ms", slowest.1, slowest.0.as_secs_f64() * 1000.0);
    if misses.is_empty() {
        println!("no misses");
    } else {
        println!("misses ({}):\n{}", misses.len(), misses.join("\n"));
    }
    // The same rule where one list holds both: the console merges hits
    // (e.g. a caller-ID lookup beside what the agent typed) with
    // rank_hits, and a number match stays first whatever the name scores.
    let id = ids["nesrin-yilmaz"];
    let mut merged = cache.search_citizens("nesrin ylimaz", 20).await.unwrap();
    assert!(merged.iter().any(|h| h.matched == MatchKind::FuzzyName), "a fuzzy name match to rank");
    for h in &mut merged {
        h.score = 10.0;
    }
    merged.extend(cache.search_citizens("0532 418 27 63", 20).await.unwrap());
    merged.extend(cache.search_citizens(&set.citizens[0].tckn.clone().unwrap(), 20).await.unwrap());
    beyazmasa::search_index::rank_hits(&mut merged);
    assert_eq!(
        merged.iter().take(2).map(|h| (h.matched, h.citizen.id)).collect::<Vec<_>>(),
        [(MatchKind::Tckn, id), (MatchKind::Phone, id)]
    );
    assert_kinds_ordered("merged", &merged);

    let recall = total.top3 as f64 / total.n as f64;
    assert!(recall >= MIN_RECALL, "recall@{TOP} {:.1}% is below {:.0}%", recall * 100.0, MIN_RECALL * 100.0);
}
