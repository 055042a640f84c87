//! `beyazmasa demo-data`: a deterministic synthetic data set of any size.
//! Citizens are spread by neighbourhood population, with plausible Turkish
//! names, phones and addresses; requests span two years across all
//! categories and statuses, with timelines. Same seed and `--now`, same data.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde::Deserialize;
use uuid::Uuid;

use super::auth::hash_password;
use super::store::{CITIZEN, NewUser, REQUEST, Store};
use crate::domain::calendar::WorkCalendar;
use crate::domain::model::{Channel, Priority, RequestType};
use crate::domain::reference::{Places, Taxonomy, UnitKind};
use crate::domain::status::{Role, Status};
use crate::domain::tracking::TrackingNumber;
use crate::protocol::{Address, Citizen, EventKind, Location, Request, TimelineEvent};

pub const NAMES_JSON: &str = include_str!("../../data/names.json");
/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "beyazmasa";

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Database URL.
    #[arg(long, env = "BEYAZMASA_DB", default_value = "sqlite://beyazmasa.db")]
    pub db: String,
    #[arg(long, default_value_t = 5000)]
    pub citizens: u32,
    #[arg(long, default_value_t = 15000)]
    pub requests: u32,
    #[arg(long, default_value_t = 27)]
    pub seed: u64,
    /// The "today" of the data set (RFC 3339); defaults to now, to the hour.
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub citizens: u32,
    pub requests: u32,
    pub seed: u64,
    pub now: DateTime<Utc>,
}

/// Progress of a generation run, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub citizens_done: u32,
    pub requests_done: u32,
    pub citizens_total: u32,
    pub requests_total: u32,
}

#[derive(Deserialize)]
struct Names {
    male: Vec<(String, u32)>,
    female: Vec<(String, u32)>,
    surnames: Vec<(String, u32)>,
    streets: Vec<String>,
}

/// How filings split over the channels, in parts: most come by phone on
/// 153.
pub const CHANNEL_MIX: [(Channel, u64); 10] = [
    (Channel::Line153, 55),
    (Channel::Line185, 12),
    (Channel::Line188, 3),
    (Channel::Line444, 8),
    (Channel::Web, 8),
    (Channel::Sms, 3),
    (Channel::Email, 3),
    (Channel::Social, 5),
    (Channel::Chat, 2),
    (Channel::WalkIn, 1),
];

/// Picks from weighted items with one uniform draw.
pub struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T> Weighted<T> {
    pub fn new(pairs: impl IntoIterator<Item = (T, u64)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0;
        for (item, w) in pairs {
            total += w.max(1);
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    pub fn pick(&self, rng: &mut StdRng) -> &T {
        let total = *self.cumulative.last().expect("non-empty");
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        &self.items[i]
    }
}

/// A version 7 id at `at`, its random part from `rng` (repeatable).
pub fn det_uuid(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let mut rand = [0u8; 10];
    rng.fill_bytes(&mut rand);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &rand).into_uuid()
}

/// A valid T.C. Kimlik No from 9 random digits.
fn fake_tckn(rng: &mut StdRng) -> String {
    let mut d: Vec<u32> =
        (0..9).map(|i| if i == 0 { rng.random_range(1..10) } else { rng.random_range(0..10) }).collect();
    let odd = d[0] + d[2] + d[4] + d[6] + d[8];
    let even = d[1] + d[3] + d[5] + d[7];
    let d10 = (7 * odd as i64 - even as i64).rem_euclid(10) as u32;
    d.push(d10);
    let d11 = d.iter().sum::<u32>() % 10;
    d.push(d11);
    d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect()
}

fn fake_mobile(rng: &mut StdRng) -> String {
    let prefixes = [
        "530", "531", "532", "533", "535", "536", "537", "538", "539", "541", "542", "543", "544", "545", "546", "505",
        "506", "507", "551", "552", "553", "554", "555",
    ];
    format!("+90{}{:07}", prefixes[rng.random_range(0..prefixes.len())], rng.random_range(0..10_000_000))
}

/// Makes synthetic citizens: names weighted by frequency, places by
/// neighbourhood population, mostly numbered streets, mobiles (and some
/// Gaziantep landlines), T.C. Kimlik numbers for 40%.
struct CitizenMaker {
    place_pick: Weighted<(String, String)>,
    male: Weighted<String>,
    female: Weighted<String>,
    surname: Weighted<String>,
    streets: Vec<String>,
}

impl CitizenMaker {
    fn new(places: &Places, names: &Names) -> CitizenMaker {
        CitizenMaker {
            place_pick: Weighted::new(places.districts.iter().flat_map(|d| {
                d.neighbourhoods
                    .iter()
                    .map(move |n| ((d.code.clone(), n.name.clone()), n.population.unwrap_or(200) as u64))
            })),
            male: Weighted::new(names.male.iter().map(|(n, w)| (n.clone(), *w as u64))),
            female: Weighted::new(names.female.iter().map(|(n, w)| (n.clone(), *w as u64))),
            surname: Weighted::new(names.surnames.iter().map(|(n, w)| (n.clone(), *w as u64))),
            streets: names.streets.clone(),
        }
    }

    /// One citizen, created within the two years after `start`.
    fn make(&self, rng: &mut StdRng, start: DateTime<Utc>, version: i64) -> Citizen {
        let first = if rng.random_bool(0.5) { self.male.pick(rng) } else { self.female.pick(rng) };
        let full_name = format!("{first} {}", self.surname.pick(rng));
        let (district, neighbourhood) = self.place_pick.pick(rng).clone();
        // Gaziantep's streets are mostly numbered ("12 Nolu Sokak").
        let street = if rng.random_bool(0.6) {
            format!("{} Nolu Sokak", rng.random_range(1..200))
        } else {
            self.streets[rng.random_range(0..self.streets.len())].clone()
        };
        let address = Address {
            district,
            neighbourhood,
            street: Some(street),
            number: Some(rng.random_range(1..120).to_string()),
        };
        let mut phones = vec![fake_mobile(rng)];
        if rng.random_bool(0.2) {
            phones.push(format!("+90342{:07}", rng.random_range(0..10_000_000)));
        }
        let created_at = start + Duration::minutes(rng.random_range(0..730 * 24 * 60));
        Citizen {
            id: det_uuid(rng, created_at),
            full_name,
            phones,
            tckn: rng.random_bool(0.4).then(|| fake_tckn(rng)),
            email: None,
            address: Some(address),
            hide_identity: rng.random_bool(0.03),
            created_at,
            updated_at: created_at,
            version,
            field_versions: Default::default(),
        }
    }
}

/// The citizens [`generate`] makes for the same `seed` and `now`, in the
/// same order, without a store (versions count from 1). For tests and
/// benchmarks that need a realistic population elsewhere, e.g. in a
/// console's offline cache.
pub fn demo_citizens(seed: u64, now: DateTime<Utc>) -> impl Iterator<Item = Citizen> {
    let places: Places = crate::domain::reference::shipped_places();
    let names: Names = serde_json::from_str(NAMES_JSON).expect("the shipped names.json parses");
    let mut rng = StdRng::seed_from_u64(seed);
    let start = now - Duration::days(730);
    let people = CitizenMaker::new(&places, &names);
    let mut version = 0;
    std::iter::from_fn(move || {
        version += 1;
        Some(people.make(&mut rng, start, version))
    })
}

pub async fn create_demo_users(store: &dyn Store, taxonomy: &Taxonomy) -> anyhow::Result<()> {
    if store.user_by_username("agent").await?.is_some() {
        return Ok(());
    }
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut users = vec![
        (
            "agent".to_string(),
            "Ayşe Demir (çağrı temsilcisi)".to_string(),
            Role::Agent,
            vec![],
            Some("1001".to_string()),
        ),
        (
            "agent2".to_string(),
            "Mehmet Kaya (çağrı temsilcisi)".to_string(),
            Role::Agent,
            vec![],
            Some("1002".to_string()),
        ),
        ("lead".to_string(), "Zeynep Şahin (vardiya amiri)".to_string(), Role::Lead, vec![], None),
        ("admin".to_string(), "Sistem Yöneticisi".to_string(), Role::Admin, vec![], None),
    ];
    for u in taxonomy.units.iter().filter(|u| u.kind == UnitKind::Metropolitan) {
        users.push((
            u.code.to_lowercase(),
            format!("{} temsilcisi", u.name_tr),
            Role::UnitRep,
            vec![u.code.clone()],
            None,
        ));
    }
    for (username, full_name, role, units, extension) in users {
        store.create_user(NewUser { username, full_name, password_hash: hash.clone(), role, units, extension }).await?;
    }
    Ok(())
}

/// Generates into `store`. Citizens and requests are written in large
/// transactions through the same store interface the API uses.
pub async fn generate(
    store: &dyn Store,
    opts: &DemoOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> anyhow::Result<()> {
    let places: Places = crate::domain::reference::shipped_places();
    let taxonomy: Taxonomy = crate::domain::reference::shipped_taxonomy();
    let names: Names = serde_json::from_str(NAMES_JSON)?;
    let calendar = WorkCalendar::shipped();
    create_demo_users(store, &taxonomy).await?;
    let agent = store.user_by_username("agent").await?.expect("demo agent exists").info;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut p =
        Progress { citizens_done: 0, requests_done: 0, citizens_total: opts.citizens, requests_total: opts.requests };

    let people = CitizenMaker::new(&places, &names);
    let place_pick = &people.place_pick;

    let start = opts.now - Duration::days(730);
    let mut citizens: Vec<(Uuid, Address)> = Vec::with_capacity(opts.citizens as usize);
    const BATCH: u32 = 1000;
    while p.citizens_done < opts.citizens {
        let mut tx = store.begin().await?;
        for _ in 0..BATCH.min(opts.citizens - p.citizens_done) {
            let seq = tx.next_seq().await?;
            let c = people.make(&mut rng, start, seq);
            tx.put_citizen(&c).await?;
            tx.record_change(seq, CITIZEN, c.id).await?;
            citizens.push((c.id, c.address.clone().expect("demo citizens have an address")));
            p.citizens_done += 1;
        }
        tx.commit().await?;
        progress(p);
    }

    let categories = Weighted::new(taxonomy.categories.iter().map(|c| {
        let w = match c.group.as_str() {
            "su" | "temizlik" | "yol" => 40,
            "kanalizasyon" | "ulasim" | "park" | "zabita" => 25,
            _ if c.emergency => 2,
            _ => 10,
        };
        (c, w)
    }));
    let kinds = Weighted::new([
        (RequestType::Request, 40),
        (RequestType::Complaint, 30),
        (RequestType::Information, 15),
        (RequestType::Suggestion, 5),
        (RequestType::Report, 5),
        (RequestType::Thanks, 5),
    ]);
    let channels = Weighted::new(CHANNEL_MIX);
    let first_serial = {
        let mut tx = store.begin().await?;
        let s = tx.allocate_serials(opts.requests.max(1)).await?;
        tx.commit().await?;
        s
    };
    let details = [
        "",
        "Vatandaş acil dönüş bekliyor.",
        "Daha önce de aradığını belirtti.",
        "Sabahtan beri devam ediyor.",
        "Yaşlı ve engelli bireyler etkileniyor.",
        "Komşular da şikâyetçi.",
    ];
    while p.requests_done < opts.requests {
        let mut tx = store.begin().await?;
        for _ in 0..BATCH.min(opts.requests - p.requests_done) {
            let cat = *categories.pick(&mut rng);
            let (citizen_id, address) = if citizens.is_empty() || rng.random_bool(0.08) {
                let (d, n) = place_pick.pick(&mut rng).clone();
                (None, Address { district: d, neighbourhood: n, street: None, number: None })
            } else {
                let (id, a) = &citizens[rng.random_range(0..citizens.len())];
                (Some(*id), a.clone())
            };
            // Recent requests are denser (the centre grew) and more often open.
            let age_min: i64 = {
                let x: f64 = rng.random::<f64>();
                (x * x * 730.0 * 24.0 * 60.0) as i64
            };
            let created_at = opts.now - Duration::minutes(age_min);
            let kind = if cat.group == "tesekkur" { RequestType::Thanks } else { *kinds.pick(&mut rng) };
            let keyword = cat.keywords.get(rng.random_range(0..cat.keywords.len().max(1))).cloned().unwrap_or_default();
            let description = format!(
                "{} - {} Mah. {} {}",
                crate::domain::text::turkish_title(&keyword),
                address.neighbourhood,
                address.street.clone().unwrap_or_default(),
                details[rng.random_range(0..details.len())]
            )
            .trim()
            .to_string();
            let unit = taxonomy.route(cat, Some(&address.district));
            let id = det_uuid(&mut rng, created_at);
            let serial = first_serial + p.requests_done;
            let age_days = age_min as f64 / 1440.0;
            // How far along the life cycle a request of this age usually is.
            let stage = {
                let x: f64 = rng.random::<f64>();
                // Most requests close within days; a small backlog stays.
                let done_prob = (1.0 - (-age_days / 4.0).exp()).min(0.995);
                if x < done_prob { 4 + rng.random_range(0..3) } else { rng.random_range(1..4) }
            };
            let rep = unit.to_lowercase();
            let mut timeline = Vec::new();
            timeline.push(TimelineEvent {
                id: det_uuid(&mut rng, created_at),
                at: created_at,
                actor: agent.username.clone(),
                kind: EventKind::Created,
                status: Some(Status::Registered),
                unit: Some(unit.clone()),
                text: None,
                internal: false,
            });
            let mut status = Status::Forwarded;
            timeline.push(TimelineEvent {
                id: det_uuid(&mut rng, created_at),
                at: created_at,
                actor: agent.username.clone(),
                kind: EventKind::Forwarded,
                status: Some(status),
                unit: Some(unit.clone()),
                text: None,
                internal: false,
            });
            let mut t = created_at;
            let mut ev = |rng: &mut StdRng,
                          t: &mut DateTime<Utc>,
                          kind: EventKind,
                          status: Option<Status>,
                          text: Option<String>,
                          actor: &str| {
                *t += Duration::minutes(rng.random_range(5..60 * 24));
                let at = (*t).min(opts.now);
                timeline.push(TimelineEvent {
                    id: det_uuid(rng, at),
                    at,
                    actor: actor.to_string(),
                    kind,
                    status,
                    unit: None,
                    text,
                    internal: false,
                });
            };
            let mut assigned = None;
            if stage >= 2 {
                status = Status::InProgress;
                assigned = Some(format!("{rep} ekip {}", rng.random_range(1..6)));
                ev(&mut rng, &mut t, EventKind::Accepted, Some(status), assigned.clone(), &rep);
            }
            if stage >= 3 {
                ev(
                    &mut rng,
                    &mut t,
                    EventKind::Note,
                    None,
                    Some("Ekip yönlendirildi, yerinde inceleme yapılacak.".into()),
                    &rep,
                );
            }
            if stage >= 4 {
                status = Status::Resolved;
                ev(&mut rng, &mut t, EventKind::Resolved, Some(status), Some("Sayın vatandaşımız, başvurunuz ilgili ekiplerimizce yerinde incelenmiş ve gerekli çalışma tamamlanmıştır.".into()), &rep);
            }
            if stage >= 5 {
                status = Status::Informed;
                ev(
                    &mut rng,
                    &mut t,
                    EventKind::CitizenInformed,
                    Some(status),
                    Some("Vatandaş telefonla bilgilendirildi.".into()),
                    &agent.username,
                );
            }
            if stage >= 6 {
                status = Status::Closed;
                ev(&mut rng, &mut t, EventKind::StatusChanged, Some(status), None, &rep);
            }
            let updated_at = timeline.last().map(|e| e.at).unwrap_or(created_at);
            let seq = tx.next_seq().await?;
            let r = Request {
                id,
                tracking_no: TrackingNumber::from_serial(serial).map_err(|e| anyhow::anyhow!("{e}"))?.to_string(),
                kind,
                channel: *channels.pick(&mut rng),
                category: cat.code.clone(),
                unit,
                status,
                priority: if rng.random_bool(0.05) { Priority::High } else { cat.priority },
                location: Some(Location {
                    district: address.district.clone(),
                    neighbourhood: Some(address.neighbourhood.clone()),
                    address: address
                        .street
                        .clone()
                        .map(|s| format!("{s} No: {}", address.number.clone().unwrap_or_default())),
                    lat: None,
                    lon: None,
                }),
                description,
                citizen_id,
                created_by: agent.id,
                assigned_to: assigned,
                duplicate_of: None,
                co_reporters: Vec::new(),
                sla_due_at: calendar.due(created_at, cat.sla),
                paused_at: None,
                contacts: if rng.random_bool(0.1) { rng.random_range(1..4) } else { 0 },
                call_seconds: Some(rng.random_range(40..420)),
                created_at,
                updated_at,
                version: seq,
                timeline: Vec::new(),
            };
            tx.put_request(&r).await?;
            tx.append_events(id, seq, &timeline).await?;
            tx.record_change(seq, REQUEST, id).await?;
            p.requests_done += 1;
        }
        tx.commit().await?;
        progress(p);
    }
    Ok(())
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let store: Arc<dyn Store> = super::store::open(&args.db).await?;
        let now = args.now.unwrap_or_else(|| {
            let n = Utc::now();
            n - Duration::seconds(n.timestamp() % 3600)
        });
        let opts = DemoOptions { citizens: args.citizens, requests: args.requests, seed: args.seed, now };
        let started = std::time::Instant::now();
        let mut last_print = std::time::Instant::now();
        let mut report = |p: Progress| {
            if last_print.elapsed().as_millis() > 500 || (p.citizens_done == p.citizens_total && p.requests_done == p.requests_total) {
                eprintln!(
                    "demo-data: citizens {}/{}  requests {}/{}",
                    p.citizens_done, p.citizens_total, p.requests_done, p.requests_total
                );
                last_print = std::time::Instant::now();
            }
        };
        generate(store.as_ref(), &opts, &mut report).await?;
        eprintln!(
            "demo-data: done in {:.1}s; demo users agent, agent2, lead, admin and one per unit (e.g. gaski), password '{DEMO_PASSWORD}'",
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_tckns_are_valid() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let t = fake_tckn(&mut rng);
            assert!(crate::domain::tckn::Tckn::parse(&t).is_ok(), "{t}");
        }
    }

    #[test]
    fn fake_mobiles_parse() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..100 {
            let p = fake_mobile(&mut rng);
            assert_eq!(crate::domain::phone::Phone::parse(&p).unwrap().e164(), p);
        }
    }
}
