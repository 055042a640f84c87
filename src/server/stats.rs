//! The shift lead's wallboard: each pane computed from one read snapshot
//! ([`StatsReader`]) at an instant `now` the caller gives. The routes pass
//! the server's clock; tests pass fixed instants. The definitions (what is
//! new, overdue, due soon, how old) live here; the store only counts.
//!
//! Speed: nothing here reads the closed history. The backlog panes are
//! index range counts per unit over the open statuses and a partial index
//! of the open requests (SQLite counts index entries without decoding
//! them); overdue is running − not yet due, so an old overdue backlog is
//! never walked. The intake, agents and hot spots read the recent part of
//! an index on filing time, and lists take the first entries of an index
//! range before reading any row.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

use super::live::{LiveSnapshot, PRESENCE_WINDOW};
use super::store::{Escalation, REPEAT_CONTACTS, Result, StatsReader, StatusCount, UnitScope};
use crate::domain::calendar::istanbul;
use crate::domain::model::Channel;
use crate::domain::status::{Role, Status};
use crate::protocol::UserInfo;
use crate::protocol::stats::*;

/// The horizon of "due soon".
pub const SOON_MINUTES: u32 = 120;
/// Aging buckets: name and upper bound of the age (exclusive); the last
/// bucket, `older`, has none.
pub const AGE_BUCKETS: [(&str, i64); 5] =
    [("lt_4h", 4), ("lt_1d", 24), ("lt_3d", 3 * 24), ("lt_7d", 7 * 24), ("lt_15d", 15 * 24)];
pub const OLDER: &str = "older";
/// How many past same weekdays the intake is compared with.
pub const INTAKE_WEEKS: u32 = 4;
pub const HOTSPOT_WINDOW_HOURS: u32 = 24;
/// Default list lengths.
pub const DEFAULT_LIMIT: u32 = 50;
pub const DEFAULT_HOTSPOTS: u32 = 10;
/// The longest list a caller may ask for.
pub const MAX_LIMIT: u32 = 1000;

/// The units a wallboard read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These units only (a unit representative's, or a `unit` filter).
    Units(Vec<String>),
}

impl Scope {
    pub fn units(&self) -> UnitScope<'_> {
        match self {
            Scope::All => None,
            Scope::Units(u) => Some(u),
        }
    }
}

fn soon(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::minutes(i64::from(SOON_MINUTES))
}

fn age_bounds(now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    AGE_BUCKETS.iter().map(|(_, h)| now - Duration::hours(*h)).collect()
}

/// The reads the units, aging and SLA panes share, from one snapshot.
#[derive(Default)]
struct Backlog {
    /// Units of the scope with open requests.
    units: Vec<String>,
    /// Open requests per unit and status.
    counts: Vec<StatusCount>,
    /// Open requests per unit and age bucket.
    ages: Vec<(String, usize, u64)>,
    /// Running requests with the due time reached, per unit.
    overdue: Vec<(String, u64)>,
    /// Running requests due within the horizon, per unit.
    due_soon: Vec<(String, u64)>,
}

impl Backlog {
    /// What to read: the counts by unit and status, the counts by age, the
    /// due-time counts (which need the first).
    async fn read(
        r: &mut dyn StatsReader,
        scope: &Scope,
        now: DateTime<Utc>,
        (counts, ages, due): (bool, bool, bool),
    ) -> Result<Backlog> {
        let mut b = Backlog { units: r.open_units(scope.units()).await?, ..Default::default() };
        if counts || due {
            b.counts = r.status_counts(&b.units).await?;
        }
        if ages {
            b.ages = r.open_age_counts(&b.units, &age_bounds(now)).await?;
        }
        if due {
            // Overdue = running − not yet due: the requests not yet due are
            // the recent ones, fewer than an old overdue backlog.
            let not_due = r.running_due_counts(&b.units, Some(now), None).await?;
            let mut running: BTreeMap<&str, u64> = BTreeMap::new();
            for c in b.counts.iter().filter(|c| c.status.sla_clock_runs()) {
                *running.entry(c.unit.as_str()).or_default() += c.n;
            }
            b.overdue = running
                .into_iter()
                .map(|(unit, n)| {
                    let later = not_due.iter().find(|(u, _)| u == unit).map_or(0, |(_, d)| *d);
                    (unit.to_string(), n.saturating_sub(later))
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            b.due_soon = r.running_due_counts(&b.units, Some(now), Some(soon(now))).await?;
        }
        Ok(b)
    }
}

pub async fn units(r: &mut dyn StatsReader, scope: &Scope, now: DateTime<Utc>) -> Result<UnitsPane> {
    let backlog = Backlog::read(r, scope, now, (true, false, true)).await?;
    Ok(units_pane(&backlog, scope, now))
}

fn units_pane(b: &Backlog, scope: &Scope, now: DateTime<Utc>) -> UnitsPane {
    let mut rows: BTreeMap<String, UnitCounts> = BTreeMap::new();
    if let Scope::Units(units) = scope {
        for u in units {
            rows.entry(u.clone()).or_default();
        }
    }
    for c in &b.counts {
        let row = rows.entry(c.unit.clone()).or_default();
        match c.status {
            Status::InProgress => row.in_progress += c.n,
            Status::Waiting => row.waiting += c.n,
            _ => row.new += c.n,
        }
        row.open += c.n;
    }
    for (unit, n) in &b.overdue {
        rows.entry(unit.clone()).or_default().overdue = *n;
    }
    for (unit, n) in &b.due_soon {
        rows.entry(unit.clone()).or_default().due_soon = *n;
    }
    let keep_all = matches!(scope, Scope::Units(_));
    let mut units: Vec<UnitRow> = rows
        .into_iter()
        .filter(|(_, c)| keep_all || c.open > 0)
        .map(|(unit, counts)| UnitRow { unit, counts })
        .collect();
    units.sort_by(|a, b| {
        b.counts.overdue.cmp(&a.counts.overdue).then(b.counts.open.cmp(&a.counts.open)).then(a.unit.cmp(&b.unit))
    });
    let mut total = UnitCounts::default();
    for u in &units {
        total.new += u.counts.new;
        total.in_progress += u.counts.in_progress;
        total.waiting += u.counts.waiting;
        total.open += u.counts.open;
        total.overdue += u.counts.overdue;
        total.due_soon += u.counts.due_soon;
    }
    UnitsPane { generated_at: now, soon_minutes: SOON_MINUTES, units, total }
}

pub async fn aging(r: &mut dyn StatsReader, scope: &Scope, now: DateTime<Utc>) -> Result<AgingPane> {
    let backlog = Backlog::read(r, scope, now, (false, true, false)).await?;
    Ok(aging_pane(&backlog, now))
}

fn aging_pane(b: &Backlog, now: DateTime<Utc>) -> AgingPane {
    let n = AGE_BUCKETS.len() + 1;
    let mut rows: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (unit, bucket, count) in &b.ages {
        rows.entry(unit.as_str()).or_insert_with(|| vec![0; n])[(*bucket).min(n - 1)] += count;
    }
    let mut total = vec![0; n];
    for row in rows.values() {
        for (t, c) in total.iter_mut().zip(row) {
            *t += c;
        }
    }
    AgingPane {
        generated_at: now,
        buckets: AGE_BUCKETS.iter().map(|(b, _)| b.to_string()).chain([OLDER.to_string()]).collect(),
        total,
        units: rows.into_iter().map(|(unit, counts)| AgingRow { unit: unit.to_string(), counts }).collect(),
    }
}

pub async fn sla(r: &mut dyn StatsReader, scope: &Scope, now: DateTime<Utc>, limit: u32) -> Result<SlaPane> {
    let backlog = Backlog::read(r, scope, now, (false, false, true)).await?;
    sla_pane(r, &backlog, now, limit).await
}

async fn sla_pane(r: &mut dyn StatsReader, b: &Backlog, now: DateTime<Utc>, limit: u32) -> Result<SlaPane> {
    let breached = r.running_due_list(&b.units, None, now, limit).await?;
    let due_soon = r.running_due_list(&b.units, Some(now), soon(now), limit).await?;
    Ok(SlaPane {
        generated_at: now,
        soon_minutes: SOON_MINUTES,
        breached: RequestList { total: b.overdue.iter().map(|(_, n)| n).sum(), items: breached },
        due_soon: RequestList { total: b.due_soon.iter().map(|(_, n)| n).sum(), items: due_soon },
    })
}

/// Local midnight (Europe/Istanbul) of a date, as an instant.
fn day_start(d: NaiveDate) -> DateTime<Utc> {
    istanbul().from_local_datetime(&d.and_time(NaiveTime::MIN)).single().map(|t| t.to_utc()).unwrap_or_default()
}

/// The Europe/Istanbul date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&istanbul()).date_naive()
}

pub async fn intake(r: &mut dyn StatsReader, now: DateTime<Utc>) -> Result<IntakePane> {
    let local = now.with_timezone(&istanbul());
    let date = local.date_naive();
    let current_hour = local.hour();
    // Today first, then the same weekday 1..=INTAKE_WEEKS weeks back.
    let days: Vec<DateTime<Utc>> =
        (0..=INTAKE_WEEKS).map(|w| day_start(date - Duration::weeks(i64::from(w)))).collect();
    let filings = r.filings_by_day(&days).await?;
    let (today, past) = filings.split_first().ok_or_else(|| anyhow::anyhow!("no intake for today"))?;
    let mut channels: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (c, n) in &today.channels {
        channels.entry(c.as_str()).or_default().0 += n;
    }
    for (c, n) in past.iter().flat_map(|d| &d.channels) {
        channels.entry(c.as_str()).or_default().1 += n;
    }
    let weeks = f64::from(INTAKE_WEEKS);
    let hours: Vec<IntakeHour> = (0..24)
        .map(|h| IntakeHour {
            hour: h as u32,
            today: (h as u32 <= current_hour).then_some(today.hours[h]),
            average: past.iter().map(|d| d.hours[h]).sum::<u64>() as f64 / weeks,
        })
        .collect();
    let mut channels = channels
        .into_iter()
        .map(|(c, (today, past))| {
            let channel = Channel::parse(c).ok_or_else(|| anyhow::anyhow!("bad channel '{c}' in database"))?;
            Ok(IntakeChannel { channel, today, average: past as f64 / weeks })
        })
        .collect::<Result<Vec<_>>>()?;
    channels.sort_by(|a, b| {
        b.today.cmp(&a.today).then(b.average.total_cmp(&a.average)).then(a.channel.as_str().cmp(b.channel.as_str()))
    });
    Ok(IntakePane {
        generated_at: now,
        date,
        current_hour,
        weeks: INTAKE_WEEKS,
        today: today.hours.iter().sum(),
        average_so_far: hours.iter().take(current_hour as usize + 1).map(|h| h.average).sum(),
        average_day: hours.iter().map(|h| h.average).sum(),
        hours,
        channels,
    })
}

/// The agents pane. `users` are all users; those listed are agents and
/// anyone with an extension who is signed in, on a call, or handled or
/// filed anything today.
pub async fn agents(
    r: &mut dyn StatsReader,
    users: &[UserInfo],
    live: &LiveSnapshot,
    now: DateTime<Utc>,
) -> Result<AgentsPane> {
    let start = day_start(local_date(now));
    let end = start + Duration::hours(24);
    let filings: HashMap<_, _> = r.filings_by_user(start, end).await?.into_iter().map(|f| (f.user_id, f)).collect();
    let mut calls: HashMap<&str, (u64, u64, u64)> = HashMap::new();
    let tallies = r.calls_ended(start, end).await?;
    for t in &tallies {
        // By the user at the extension when the call ended, else by who has it now.
        let who = t.username.as_deref().or_else(|| {
            users.iter().find(|u| u.extension.as_deref() == Some(t.extension.as_str())).map(|u| u.username.as_str())
        });
        if let Some(who) = who {
            let c = calls.entry(who).or_default();
            c.0 += t.answered;
            c.1 += t.missed;
            c.2 += t.talk_seconds;
        }
    }
    let mut present: HashMap<uuid::Uuid, (u32, Option<DateTime<Utc>>)> = HashMap::new();
    for d in &live.devices {
        let p = present.entry(d.user_id).or_default();
        if d.present(now) {
            p.0 += 1;
        }
        p.1 = p.1.max(Some(d.last_seen));
    }

    let mut rows = Vec::new();
    for u in users.iter().filter(|u| u.role == Role::Agent || u.extension.is_some()) {
        let (devices, last_seen_at) = present.get(&u.id).copied().unwrap_or_default();
        let call = u.extension.as_deref().and_then(|e| live.calls.get(e)).map(|c| {
            let (state, since) = c.state();
            AgentCall { state, since, seconds: (now - since).num_seconds().max(0) as u64 }
        });
        let (answered, missed, talk) = calls.get(u.username.as_str()).copied().unwrap_or_default();
        let filed = filings.get(&u.id);
        let filed_today = filed.map_or(0, |f| f.n);
        let filed_calls = filed.map_or(0, |f| f.calls);
        let filed_call_avg_seconds = filed.filter(|f| f.calls > 0).map(|f| f.call_seconds as f64 / f.calls as f64);
        let talk_avg_seconds = (answered > 0).then(|| talk as f64 / answered as f64);
        let (handled_today, aht_seconds, source) = if answered + missed > 0 {
            (answered, talk_avg_seconds, Some(HandledSource::Cti))
        } else if filed_calls > 0 {
            (filed_calls, filed_call_avg_seconds, Some(HandledSource::Requests))
        } else {
            (0, None, None)
        };
        let logged_in = devices > 0;
        if !(logged_in || call.is_some() || answered + missed > 0 || filed_today > 0) {
            continue;
        }
        rows.push(AgentRow {
            username: u.username.clone(),
            full_name: u.full_name.clone(),
            role: u.role,
            extension: u.extension.clone(),
            logged_in,
            devices,
            last_seen_at,
            call,
            calls_today: answered,
            missed_today: missed,
            talk_avg_seconds,
            filed_today,
            filed_call_avg_seconds,
            handled_today,
            aht_seconds,
            source,
        });
    }
    rows.sort_by(|a, b| a.username.cmp(&b.username));
    let handled_today: u64 = rows.iter().map(|a| a.handled_today).sum();
    let handled_seconds: f64 = rows.iter().filter_map(|a| a.aht_seconds.map(|s| s * a.handled_today as f64)).sum();
    Ok(AgentsPane {
        generated_at: now,
        presence_window_seconds: PRESENCE_WINDOW.as_secs(),
        logged_in: rows.iter().filter(|a| a.logged_in).count() as u64,
        on_call: rows.iter().filter(|a| a.call.as_ref().is_some_and(|c| c.state == CallState::Talking)).count() as u64,
        aht_seconds: (handled_today > 0).then(|| handled_seconds / handled_today as f64),
        handled_today,
        agents: rows,
    })
}

pub async fn hotspots(r: &mut dyn StatsReader, scope: &Scope, now: DateTime<Utc>, limit: u32) -> Result<HotspotsPane> {
    let since = now - Duration::hours(i64::from(HOTSPOT_WINDOW_HOURS));
    let items = r.hotspots(scope.units(), since, now - Duration::hours(1), now, limit).await?;
    Ok(HotspotsPane { generated_at: now, window_hours: HOTSPOT_WINDOW_HOURS, items })
}

pub async fn escalations(
    r: &mut dyn StatsReader,
    scope: &Scope,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<EscalationsPane> {
    let bounced = escalation_list(r, Escalation::Bounced, scope, limit).await?;
    let reopened = escalation_list(r, Escalation::Reopened, scope, limit).await?;
    let repeat_contacts = escalation_list(r, Escalation::RepeatContacts, scope, limit).await?;
    Ok(EscalationsPane { generated_at: now, bounced, reopened, repeat_contacts, min_contacts: REPEAT_CONTACTS })
}

async fn escalation_list(r: &mut dyn StatsReader, kind: Escalation, scope: &Scope, limit: u32) -> Result<RequestList> {
    let (total, items) = r.escalations(kind, scope.units(), limit).await?;
    Ok(RequestList { total, items })
}

/// Every pane from one snapshot, sharing the reads they have in common;
/// lists get `limit` entries (hot spots at most [`DEFAULT_HOTSPOTS`]).
pub async fn wallboard(
    r: &mut dyn StatsReader,
    users: &[UserInfo],
    live: &LiveSnapshot,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Wallboard> {
    let all = Scope::All;
    let backlog = Backlog::read(r, &all, now, (true, true, true)).await?;
    Ok(Wallboard {
        units: units_pane(&backlog, &all, now),
        aging: aging_pane(&backlog, now),
        sla: sla_pane(r, &backlog, now, limit).await?,
        intake: intake(r, now).await?,
        agents: agents(r, users, live, now).await?,
        hotspots: hotspots(r, &all, now, limit.min(DEFAULT_HOTSPOTS)).await?,
        escalations: escalations(r, &all, now, limit).await?,
    })
}

/// Units named in a `stats` event that concern a user with these units.
pub fn concerns(units_of_user: &[String], event_units: &[String]) -> bool {
    event_units.is_empty() || event_units.iter().any(|u| units_of_user.contains(u))
}
