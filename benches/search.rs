//! Caller search in the console's offline cache, per keystroke:
//! `cargo bench --bench search`.
//!
//! 1. Builds a cache of BENCH_CITIZENS demo citizens (default 1,000,000)
//!    the way a console bootstrap does, through `apply_snapshot_batch` in
//!    pages of 1,000, and reports the build time and file size. The file is
//!    kept as `target/bench-search-<count>.db` and reused by later runs
//!    (delete it to rebuild).
//! 2. Types a realistic mix of queries (phone numbers in their written
//!    forms, last digits, T.C. Kimlik numbers, names, names with typos,
//!    addresses, names with a neighbourhood) one character at a time and
//!    times `search_citizens(prefix, 20)` for every prefix of 2 characters
//!    or more: p50/p95/p99/max overall and per kind. Target: p99 ≤ 10 ms.
//! 3. If `fzf` is on PATH, times `fzf --filter` over the same citizens as
//!    plain text lines (name, phones, district, neighbourhood, street) for
//!    each complete query, for comparison.
//!
//! Knobs (environment): BENCH_CITIZENS (1000000), BENCH_QUERIES_PER_KIND (25).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use beyazmasa::client::cache::{Cache, LocalUser};
use beyazmasa::domain::phone::Phone;
use beyazmasa::domain::text;
use beyazmasa::protocol::{Citizen, Entity};
use beyazmasa::server::demo::demo_citizens;
use chrono::{DateTime, TimeZone, Utc};

const SEED: u64 = 27;
const TARGET_P99_MS: f64 = 10.0;
const PAGE: usize = 1000;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 9, 0, 0).unwrap()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn file_size(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db.to_path_buf(), PathBuf::from(wal)].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// Opens the bench cache, building it first unless a complete one of the
/// right size is there. Returns the cache and the build time.
async fn cache(n: usize) -> (Cache, PathBuf, Duration, bool) {
    let path = target_dir().join(format!("bench-search-{n}.db"));
    let user = LocalUser { id: uuid::Uuid::nil(), username: "bench".into() };
    if path.exists() {
        let opening = Instant::now();
        let cache = Cache::open(&path, user.clone()).await.unwrap();
        println!("opened {} in {:.1} s (with any pending migrations)", path.display(), opening.elapsed().as_secs_f64());
        let complete = cache.meta("bench_citizens").await.unwrap() == Some(n.to_string());
        if complete && cache.citizen_count().await.unwrap() == n as i64 {
            let secs: f64 =
                cache.meta("bench_build_seconds").await.unwrap().and_then(|s| s.parse().ok()).unwrap_or(0.0);
            return (cache, path, Duration::from_secs_f64(secs), true);
        }
        drop(cache);
        println!("{} is incomplete or of another size: rebuilding", path.display());
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let cache = Cache::open(&path, user).await.unwrap();
    let started = Instant::now();
    let mut citizens = demo_citizens(SEED, now()).take(n).peekable();
    let mut done = 0;
    let mut last_print = Instant::now();
    while citizens.peek().is_some() {
        let page: Vec<Entity> = citizens.by_ref().take(PAGE).map(|c| Entity::Citizen(Box::new(c))).collect();
        cache.apply_snapshot_batch(&page).await.unwrap();
        done += page.len();
        if last_print.elapsed() > Duration::from_secs(10) {
            println!("  building: {done}/{n} citizens, {:.0} s", started.elapsed().as_secs_f64());
            last_print = Instant::now();
        }
    }
    let took = started.elapsed();
    cache.set_meta("bench_build_seconds", &format!("{:.1}", took.as_secs_f64())).await.unwrap();
    cache.set_meta("bench_citizens", &n.to_string()).await.unwrap();
    (cache, path, took, false)
}

/// A query as an agent would type it, and what kind it is.
struct Query {
    kind: &'static str,
    text: String,
    /// The citizen it was made from, and that citizen's first phone.
    target: uuid::Uuid,
    phone: String,
}

fn spaced_mobile(national: &str) -> String {
    format!("0{} {} {} {}", &national[..3], &national[3..6], &national[6..8], &national[8..])
}

/// A typing slip: two neighbouring letters swapped, or one left out.
fn typo(word: &str, which: usize) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 {
        return word.to_string();
    }
    let i = 1 + which % (chars.len() - 2);
    if which.is_multiple_of(2) {
        chars.swap(i, i + 1);
    } else {
        chars.remove(i);
    }
    chars.into_iter().collect()
}

/// How agents write an address: neighbourhood, street in shorthand, number.
fn address_query(c: &Citizen, which: usize) -> Option<String> {
    let a = c.address.as_ref()?;
    let street = a.street.as_deref()?;
    let street = street
        .replace(" Nolu Sokak", " sk")
        .replace(" Sokak", " sk")
        .replace(" Caddesi", " cd")
        .replace(" Bulvarı", " blv");
    let n = text::fold(&a.neighbourhood);
    Some(match which % 3 {
        0 => format!("{n} mh {} no {}", text::fold(&street), a.number.as_deref().unwrap_or("1")),
        1 => format!("{} {street} {}", a.neighbourhood, a.number.as_deref().unwrap_or("1")),
        _ => format!("{n} {}", text::fold(&street)),
    })
}

fn queries(n: usize, per_kind: usize) -> Vec<Query> {
    // Spread the sample over the whole population.
    let stride = (n / (per_kind * 8)).max(1);
    let sample: Vec<Citizen> = demo_citizens(SEED, now()).take(n).step_by(stride).collect();
    let mut out = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, c) in sample.iter().enumerate() {
        let mobile = c.phones.iter().find(|p| p.starts_with("+905")).map(|p| p[3..].to_string());
        let landline = c.phones.iter().find(|p| p.starts_with("+90342")).map(|p| p[3..].to_string());
        let words: Vec<String> = text::fold(&c.full_name).split(' ').map(String::from).collect();
        let (first, last) = (&words[0], &words[words.len() - 1]);
        let place = c.address.as_ref().map(|a| text::fold(&a.neighbourhood));
        let candidates: Vec<(&'static str, Option<String>)> = vec![
            (
                "phone",
                match (i % 4, &mobile, &landline) {
                    (0, _, Some(l)) => Some(format!("({}) {} {} {}", &l[..3], &l[3..6], &l[6..8], &l[8..])),
                    (1, Some(m), _) => Some(format!("+90 {m}")),
                    (2, Some(m), _) => Some(format!("0{m}")),
                    (_, Some(m), _) => Some(spaced_mobile(m)),
                    _ => None,
                },
            ),
            ("last digits", c.phones.first().map(|p| p[p.len() - 4..].to_string())),
            ("tckn", c.tckn.clone()),
            ("name", Some(if i % 3 == 0 { format!("{last} {first}") } else { format!("{first} {last}") })),
            ("name typo", Some(format!("{first} {}", typo(last, i)))),
            ("address", address_query(c, i)),
            ("name + place", place.map(|p| format!("{first} {last} {p}"))),
        ];
        for (kind, text) in candidates {
            let Some(text) = text else { continue };
            let count = counts.entry(kind).or_default();
            if *count < per_kind && (i + kind.len()) % 2 == 0 {
                *count += 1;
                out.push(Query { kind, text, target: c.id, phone: c.phones[0].clone() });
            }
        }
    }
    // Sanity: the phone forms are the ones the parser accepts.
    for q in out.iter().filter(|q| q.kind == "phone") {
        Phone::parse(&q.text).unwrap_or_else(|e| panic!("{}: {e}", q.text));
    }
    out
}

fn summary(label: &str, samples: &mut [Duration]) -> f64 {
    samples.sort();
    let p99 = ms(percentile(samples, 0.99));
    println!(
        "  {label:<14} {:>6} searches  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms",
        samples.len(),
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.95)),
        p99,
        ms(*samples.last().unwrap_or(&Duration::ZERO)),
    );
    p99
}

/// How often the citizen a query was made from is among the first three.
fn report_found(found: &BTreeMap<&str, Vec<bool>>) {
    let line: Vec<String> =
        found.iter().map(|(kind, f)| format!("{kind} {}/{}", f.iter().filter(|x| **x).count(), f.len())).collect();
    println!("  its citizen in the top 3: {}", line.join(", "));
}

/// `fzf --filter` over the citizens as text lines, once per whole query.
fn fzf(n: usize, queries: &[Query]) {
    if std::process::Command::new("fzf").arg("--version").output().is_err() {
        println!("\nfzf: not on PATH, comparison skipped (install fzf to compare)");
        return;
    }
    let lines = target_dir().join(format!("bench-search-{n}.txt"));
    if !lines.exists() {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&lines).unwrap());
        for c in demo_citizens(SEED, now()).take(n) {
            let a = c.address.as_ref();
            writeln!(
                f,
                "{}\t{}\t{}\t{}\t{} {}",
                c.full_name,
                c.phones.join(" "),
                a.map(|a| a.district.as_str()).unwrap_or(""),
                a.map(|a| a.neighbourhood.as_str()).unwrap_or(""),
                a.and_then(|a| a.street.as_deref()).unwrap_or(""),
                a.and_then(|a| a.number.as_deref()).unwrap_or(""),
            )
            .unwrap();
        }
        f.flush().unwrap();
    }
    println!("\nfzf --filter over {n} text lines, once per complete query:");
    let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut found: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    for q in queries {
        let started = Instant::now();
        let out = std::process::Command::new("fzf")
            .args(["--filter", &q.text])
            .stdin(std::fs::File::open(&lines).unwrap())
            .output()
            .unwrap();
        let took = started.elapsed();
        let top3 = String::from_utf8_lossy(&out.stdout).lines().take(3).any(|l| l.contains(&q.phone));
        found.entry(q.kind).or_default().push(top3);
        by_kind.entry(q.kind).or_default().push(took);
    }
    report_found(&found);
    let mut all: Vec<Duration> = by_kind.values().flatten().copied().collect();
    for (kind, samples) in &mut by_kind {
        summary(kind, samples);
    }
    summary("all", &mut all);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    let n = env_num("BENCH_CITIZENS", 1_000_000);
    let per_kind = env_num("BENCH_QUERIES_PER_KIND", 25);
    let (cache, path, build, reused) = cache(n).await;
    println!(
        "cache: {n} citizens, {:.1} MB at {} ({} {:.1} s)",
        file_size(&path) as f64 / 1e6,
        path.display(),
        if reused { "reused; it was built in" } else { "built in" },
        build.as_secs_f64()
    );
    // BENCH_PROBE="q1|q2": time just these, 20 times each (min and median),
    // to look into one slow query.
    if let Ok(probe) = std::env::var("BENCH_PROBE") {
        for q in probe.split('|') {
            let mut t: Vec<Duration> = Vec::new();
            let mut hits = 0;
            for _ in 0..20 {
                let started = Instant::now();
                hits = cache.search_citizens(q, 20).await.unwrap().len();
                t.push(started.elapsed());
            }
            t.sort();
            println!("{q:?}: {hits} hits, min {:.2} ms, median {:.2} ms", ms(t[0]), ms(t[10]));
        }
        return;
    }
    // Other work on the machine shows in the tail latencies.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!("load average {} on {cores} cores", load.split(' ').take(3).collect::<Vec<_>>().join(" "));
    }
    let queries = queries(n, per_kind);
    // Warm up the page cache the way a console that has been open a while is.
    for q in queries.iter().take(20) {
        cache.search_citizens(&q.text, 20).await.unwrap();
    }

    let mut by_kind: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut whole: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut worst: Vec<(Duration, String)> = Vec::new();
    let mut found: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    for q in &queries {
        let chars: Vec<char> = q.text.chars().collect();
        for len in 2..=chars.len() {
            let prefix: String = chars[..len].iter().collect();
            let started = Instant::now();
            let hits = cache.search_citizens(&prefix, 20).await.unwrap();
            let took = started.elapsed();
            by_kind.entry(q.kind).or_default().push(took);
            if len == chars.len() {
                whole.entry(q.kind).or_default().push(took);
                let top3 = hits.iter().take(3).any(|h| h.citizen.id == q.target);
                found.entry(q.kind).or_default().push(top3);
            }
            worst.push((took, prefix));
        }
    }
    println!("\nper keystroke: search_citizens(prefix, 20) for every prefix of ≥ 2 characters");
    let mut all: Vec<Duration> = by_kind.values().flatten().copied().collect();
    for (kind, samples) in &mut by_kind {
        summary(kind, samples);
    }
    let p99 = summary("all", &mut all);
    println!("  target p99 ≤ {TARGET_P99_MS} ms: {}", if p99 <= TARGET_P99_MS { "ok" } else { "OVER TARGET" });
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    println!("  slowest prefixes:");
    for (d, q) in worst.iter().take(8) {
        println!("    {:>8.2} ms  {q:?}", ms(*d));
    }
    println!("\ncomplete queries only (for the fzf comparison):");
    report_found(&found);
    let mut all_whole: Vec<Duration> = whole.values().flatten().copied().collect();
    for (kind, samples) in &mut whole {
        summary(kind, samples);
    }
    summary("all", &mut all_whole);
    fzf(n, &queries);
}
