//! The SQLite citizen search index, shared by the central store and the
//! console's offline cache so both find and rank callers alike. Both
//! databases hold the same index tables (`citizen_phones`,
//! `citizen_name_tokens`, `citizen_name_pairs`, `name_vocab`) beside a
//! `citizens` table with `id, tckn, district, neighbourhood, street_key,
//! number`.
//!
//! A citizen's tokens are the loose keys of its name's words plus one for
//! its neighbourhood ([`place_token`]); `citizen_name_pairs` holds every
//! pair of them. A query of one word walks that word's postings; a query of
//! several words (or words and a neighbourhood) starts from the pair of
//! words the fewest citizens hold together, so `fatma yilmaz karsiyaka`
//! reads a few dozen rows rather than every Fatma in the city.

use std::collections::{HashMap, HashSet};

use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::domain::query::CallerQuery;
use crate::domain::search::{self, CitizenQuery};
use crate::domain::text;
use crate::protocol::MatchKind;

/// Orders search hits for display: the strongest kind of match first (ID
/// number, phone, …, address), then by score, then by name in Turkish order.
pub fn rank_hits(hits: &mut [crate::protocol::CitizenHit]) {
    hits.sort_by(|a, b| {
        a.matched
            .cmp(&b.matched)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| text::turkish_cmp(&a.citizen.full_name, &b.citizen.full_name))
    });
}

/// The search token of a neighbourhood (`@SAHINBEY/Karataş`): it sorts
/// before every name token and is never in the name vocabulary.
pub fn place_token(district: &str, neighbourhood: &str) -> String {
    format!("@{district}/{neighbourhood}")
}

/// The `citizen_name_pairs` key of two different tokens.
fn pair_key(a: &str, b: &str) -> Option<String> {
    match a.cmp(b) {
        std::cmp::Ordering::Less => Some(format!("{a} {b}")),
        std::cmp::Ordering::Greater => Some(format!("{b} {a}")),
        std::cmp::Ordering::Equal => None,
    }
}

fn all_pairs(tokens: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in tokens.iter().enumerate() {
        for b in &tokens[i + 1..] {
            out.extend(pair_key(a, b));
        }
    }
    out
}

/// Rewrites a citizen's index rows (phones, name and place tokens, their
/// pairs, vocabulary counts). `place` is `(district, neighbourhood)` as
/// stored in the citizen's row. Tokens that did not change are left alone,
/// so writing the same citizen again costs two reads.
pub async fn index_citizen(
    conn: &mut SqliteConnection,
    id: Uuid,
    full_name: &str,
    phones: &[String],
    place: Option<(&str, &str)>,
) -> anyhow::Result<()> {
    let id = id.to_string();
    sqlx::query("DELETE FROM citizen_phones WHERE citizen_id = ?").bind(&id).execute(&mut *conn).await?;
    for p in phones {
        let last4 = &p[p.len().saturating_sub(4)..];
        sqlx::query("INSERT OR IGNORE INTO citizen_phones (phone, last4, citizen_id) VALUES (?, ?, ?)")
            .bind(p)
            .bind(last4)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    let names = text::name_tokens(full_name);
    let mut tokens = names.clone();
    tokens.extend(place.map(|(d, n)| place_token(d, n)));
    tokens.sort();
    let old: Vec<String> =
        sqlx::query_scalar("SELECT token FROM citizen_name_tokens WHERE citizen_id = ? ORDER BY token")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
    if old == tokens {
        return Ok(());
    }
    for pair in all_pairs(&old) {
        sqlx::query("DELETE FROM citizen_name_pairs WHERE pair = ? AND citizen_id = ?")
            .bind(pair)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    for t in old.iter().filter(|t| !t.starts_with('@')) {
        sqlx::query("UPDATE name_vocab SET uses = uses - 1 WHERE token = ?").bind(t).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM name_vocab WHERE token = ? AND uses <= 0").bind(t).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM citizen_name_tokens WHERE citizen_id = ?").bind(&id).execute(&mut *conn).await?;
    for t in &tokens {
        sqlx::query("INSERT OR IGNORE INTO citizen_name_tokens (token, citizen_id) VALUES (?, ?)")
            .bind(t)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    for t in &names {
        let first: String = t.chars().take(1).collect();
        sqlx::query(
            "INSERT INTO name_vocab (token, first, uses) VALUES (?, ?, 1) ON CONFLICT (token) DO UPDATE SET uses = uses + 1",
        )
        .bind(t)
        .bind(first)
        .execute(&mut *conn)
        .await?;
    }
    for pair in all_pairs(&tokens) {
        sqlx::query("INSERT OR IGNORE INTO citizen_name_pairs (pair, citizen_id) VALUES (?, ?)")
            .bind(pair)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The name vocabulary by first letter, read once per query.
#[derive(Default)]
struct Vocab {
    by_first: HashMap<String, Vec<(String, i64)>>,
}

/// A query word: the tokens it may stand for, with scores, best first.
type Word = Vec<(String, f32)>;

impl Vocab {
    /// The tokens `word` may stand for (see [`search::expand_word`]) and
    /// how many citizens hold them, roughly.
    async fn expand(&mut self, conn: &mut SqliteConnection, word: &str) -> anyhow::Result<(Word, i64)> {
        let first: String = word.chars().take(1).collect();
        if !self.by_first.contains_key(&first) {
            let vocab: Vec<(String, i64)> = sqlx::query_as("SELECT token, uses FROM name_vocab WHERE first = ?")
                .bind(&first)
                .fetch_all(&mut *conn)
                .await?;
            self.by_first.insert(first.clone(), vocab);
        }
        let vocab = &self.by_first[&first];
        let uses: HashMap<&str, i64> = vocab.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        let matches = search::expand_word(word, vocab.iter().map(|(t, n)| (t.as_str(), *n)));
        let size = matches.iter().map(|(t, _, _)| uses.get(t.as_str()).copied().unwrap_or(1)).sum();
        Ok((matches.into_iter().map(|(t, s, _)| (t, s)).collect(), size))
    }
}

/// Binds `values` as a parenthesised list.
fn push_list(qb: &mut sqlx::QueryBuilder<sqlx::Sqlite>, values: impl IntoIterator<Item = String>) {
    qb.push("(");
    let mut list = qb.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    list.push_unseparated(")");
}

/// The pair keys meaning "a token of `a` and a token of `b`".
fn pair_keys(a: &[String], b: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = a.iter().flat_map(|x| b.iter().filter_map(move |y| pair_key(x, y))).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// How many citizens hold one of the pairs, counting no further than `cap`.
async fn count_pairs(conn: &mut SqliteConnection, keys: &[String], cap: usize) -> anyhow::Result<usize> {
    if keys.is_empty() {
        return Ok(0);
    }
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT count(*) FROM (SELECT 1 FROM citizen_name_pairs WHERE pair IN ",
    );
    push_list(&mut qb, keys.iter().cloned());
    qb.push(format!(" LIMIT {cap})"));
    let n: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
    Ok(n as usize)
}

/// Holders of one of the `driver` pairs who also hold a token of each
/// `required` set, checked inside SQLite, at most `cap`, each once.
async fn verified_holders(
    conn: &mut SqliteConnection,
    driver: &[String],
    required: &[Vec<String>],
    cap: usize,
) -> anyhow::Result<Vec<String>> {
    if driver.is_empty() || required.iter().any(|r| r.is_empty()) {
        return Ok(Vec::new());
    }
    let mut qb =
        sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT p.citizen_id FROM citizen_name_pairs p WHERE p.pair IN ");
    push_list(&mut qb, driver.iter().cloned());
    for r in required {
        qb.push(" AND EXISTS (SELECT 1 FROM citizen_name_tokens t WHERE t.citizen_id = p.citizen_id AND t.token IN ");
        push_list(&mut qb, r.iter().cloned());
        qb.push(")");
    }
    qb.push(format!(" LIMIT {cap}"));
    let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    let mut seen = HashSet::new();
    Ok(ids.into_iter().filter(|id| seen.insert(id.clone())).collect())
}

/// Every token of each citizen.
async fn tokens_of(conn: &mut SqliteConnection, ids: &[String]) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT citizen_id, token FROM citizen_name_tokens WHERE citizen_id IN ",
        );
        push_list(&mut qb, chunk.iter().cloned());
        let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for (id, t) in rows {
            out.entry(id).or_default().push(t);
        }
    }
    Ok(out)
}

/// Candidates for a query of two or more words: the holders of the pair
/// of words fewest citizens hold together (capped at `cap`).
async fn candidates_by_pairs(conn: &mut SqliteConnection, words: &[Word], cap: usize) -> anyhow::Result<Vec<String>> {
    let tokens: Vec<Vec<String>> = words.iter().map(|w| w.iter().map(|(t, _)| t.clone()).collect()).collect();
    let mut best: Option<(usize, (usize, usize), Vec<String>)> = None;
    for i in 0..tokens.len() {
        for j in i + 1..tokens.len() {
            let keys = pair_keys(&tokens[i], &tokens[j]);
            let n = if tokens.len() == 2 { 0 } else { count_pairs(conn, &keys, 2000).await? };
            if tokens.len() > 2 && n == 0 {
                // Nobody holds these two words together, so nobody holds all.
                return Ok(Vec::new());
            }
            if best.as_ref().is_none_or(|(m, _, _)| n < *m) {
                best = Some((n, (i, j), keys));
            }
        }
    }
    let Some((_, (i, j), keys)) = best else { return Ok(Vec::new()) };
    let others: Vec<Vec<String>> =
        tokens.iter().enumerate().filter(|(k, _)| *k != i && *k != j).map(|(_, t)| t.clone()).collect();
    verified_holders(conn, &keys, &others, cap).await
}

/// Citizens whose name holds every word: `(id, score, all exact)`. Exact
/// spellings first; typos, prefixes and near spellings only if those do
/// not fill `limit`.
async fn find_by_name(
    conn: &mut SqliteConnection,
    per_word: &[Word],
    limit: usize,
) -> anyhow::Result<Vec<(String, f32, bool)>> {
    let exact: Vec<Word> = per_word.iter().map(|w| w.iter().filter(|(_, s)| *s >= 1.0).cloned().collect()).collect();
    let mut passes = Vec::new();
    if exact.iter().all(|w| !w.is_empty()) {
        passes.push((exact, limit));
    }
    // One word reads only its postings; several read every candidate's
    // tokens as well, so take fewer.
    passes.push((per_word.to_vec(), if per_word.len() == 1 { 300 } else { 100 }));
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for (candidates, cap) in passes {
        let scored: Vec<(String, Option<(f32, bool)>)> = if candidates.len() == 1 {
            // One word: walk its postings.
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT citizen_id, token FROM citizen_name_tokens WHERE token IN ",
            );
            push_list(&mut qb, candidates[0].iter().map(|(t, _)| t.clone()));
            qb.push(format!(" LIMIT {cap}"));
            let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
            rows.into_iter().map(|(id, t)| (id, search::score_name(per_word, &[t]))).collect()
        } else {
            // Several: start from the rarest pair, check the rest here.
            let ids = candidates_by_pairs(conn, &candidates, cap).await?;
            let tokens = tokens_of(conn, &ids).await?;
            ids.into_iter()
                .map(|id| {
                    let score = tokens.get(&id).and_then(|t| search::score_name(per_word, t));
                    (id, score)
                })
                .collect()
        };
        for (id, score) in scored {
            if let Some((score, exact)) = score
                && seen.insert(id.clone())
            {
                found.push((id, score, exact));
            }
        }
        if found.len() >= limit {
            break;
        }
    }
    Ok(found)
}

/// How far [`find_in_place`] counts a driving pair's holders.
const PLACE_CAP: usize = 600;

/// The distinct streets of a neighbourhood (folded, shorthand-expanded),
/// by a walk over the `citizens_place` index: one seek per street.
async fn streets_of(conn: &mut SqliteConnection, place: &search::PlaceQuery) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE s(k) AS ( \
           SELECT min(street_key) FROM citizens WHERE district = ?1 AND neighbourhood = ?2 \
           UNION ALL \
           SELECT (SELECT min(street_key) FROM citizens \
                   WHERE district = ?1 AND neighbourhood = ?2 AND street_key > s.k) \
           FROM s WHERE s.k IS NOT NULL \
         ) SELECT k FROM s WHERE k IS NOT NULL",
    )
    .bind(&place.district)
    .bind(&place.neighbourhood)
    .fetch_all(&mut *conn)
    .await?)
}

/// Residents of the neighbourhood named in the query whose name holds the
/// other words (those that are not the street or the door number):
/// `mehmet yilmaz karatas`, `gozukara gunes`. Candidates come from the
/// pair, among the neighbourhood and the name words, that the fewest
/// citizens hold; a word no street of the neighbourhood holds must be in
/// the name, which rules most candidates out before their address is read.
async fn find_in_place(
    conn: &mut SqliteConnection,
    vocab: &mut Vocab,
    place: &search::PlaceQuery,
    streets: &[String],
    limit: usize,
) -> anyhow::Result<Vec<(String, MatchKind, f32)>> {
    let place_tok = place_token(&place.district, &place.neighbourhood);
    let mut names: Vec<Word> = Vec::with_capacity(place.rest.len());
    for w in &place.rest {
        let key = text::name_tokens(w).into_iter().next().unwrap_or_default();
        let could_be_name = !search::is_filler_word(w) && !w.chars().all(|c| c.is_ascii_digit()) && w != "nolu";
        names.push(if could_be_name { vocab.expand(conn, &key).await?.0 } else { Vec::new() });
    }
    // Whether each word could be the street or the door number here.
    let in_street: Vec<bool> = place
        .rest
        .iter()
        .map(|w| {
            search::is_filler_word(w)
                || w.chars().any(|c| c.is_ascii_digit())
                || streets.iter().any(|s| search::street_has(s, w))
        })
        .collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Words as typed first; typos and prefixes only if those are too few.
    for exact_only in [true, false] {
        // Each name word's tokens; a word no street here could hold must
        // be in the name.
        let sets: Vec<(usize, Vec<String>)> = names
            .iter()
            .enumerate()
            .map(|(i, w)| (i, w.iter().filter(|(_, s)| !exact_only || *s >= 1.0).map(|(t, _)| t.clone()).collect()))
            .filter(|(_, t): &(usize, Vec<String>)| !t.is_empty())
            .collect();
        let place_set = vec![place_tok.clone()];
        // Drivers: (the place, a word) and (a word, another word), with what
        // is left to check for each.
        let mut drivers: Vec<(Vec<String>, Vec<Vec<String>>)> = Vec::new();
        let must = |skip: &[usize]| -> Vec<Vec<String>> {
            sets.iter().filter(|(i, _)| !skip.contains(i) && !in_street[*i]).map(|(_, t)| t.clone()).collect()
        };
        for (i, t) in &sets {
            drivers.push((pair_keys(&place_set, t), must(&[*i])));
        }
        for (a, (i, ti)) in sets.iter().enumerate() {
            for (j, tj) in &sets[a + 1..] {
                let mut rest = must(&[*i, *j]);
                rest.push(place_set.clone());
                drivers.push((pair_keys(ti, tj), rest));
            }
        }
        let mut best: Option<(usize, Vec<String>, Vec<Vec<String>>)> = None;
        for (keys, rest) in drivers {
            let n = if sets.len() == 1 { 1 } else { count_pairs(conn, &keys, PLACE_CAP).await? };
            if n > 0 && best.as_ref().is_none_or(|(m, _, _)| n < *m) {
                best = Some((n, keys, rest));
            }
        }
        let Some((_, keys, rest)) = best else { continue };
        let cap = if exact_only { limit.max(20) * 2 } else { 100 };
        let ids: Vec<String> =
            verified_holders(conn, &keys, &rest, cap).await?.into_iter().filter(|id| !seen.contains(id)).collect();
        let tokens = tokens_of(conn, &ids).await?;
        let names_hit = |toks: &[String], i: usize| names[i].iter().any(|(t, _)| toks.contains(t));
        let survivors: Vec<(&String, &Vec<String>)> = ids
            .iter()
            .filter_map(|id| tokens.get(id).map(|t| (id, t)))
            .filter(|(_, toks)| {
                toks.contains(&place_tok) && (0..names.len()).all(|i| in_street[i] || names_hit(toks, i))
            })
            .collect();
        let need_address: Vec<String> =
            if in_street.iter().zip(&place.rest).any(|(s, w)| *s && !search::is_filler_word(w)) {
                survivors.iter().map(|(id, _)| (*id).clone()).collect()
            } else {
                Vec::new()
            };
        let mut addresses: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
        if !need_address.is_empty() {
            let mut qb =
                sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT id, street_key, number FROM citizens WHERE id IN ");
            push_list(&mut qb, need_address);
            let rows: Vec<(String, Option<String>, Option<String>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
            addresses.extend(rows.into_iter().map(|(id, s, n)| (id, (s, n))));
        }
        for (id, toks) in survivors {
            let (street, number) = addresses.get(id).cloned().unwrap_or((None, None));
            if let Some((score, exact)) =
                search::score_name_in_place(&place.rest, &names, toks, street.as_deref(), number.as_deref())
            {
                seen.insert(id.clone());
                out.push((id.clone(), if exact { MatchKind::Name } else { MatchKind::FuzzyName }, score));
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Residents of the neighbourhood named in the query whose street holds the
/// other words, or whose door number is one of them ("karatas mh 12 sk no
/// 7"). Only the residents of the streets holding a word, and those with
/// it as their door number, are read.
async fn find_by_address(
    conn: &mut SqliteConnection,
    place: &search::PlaceQuery,
    streets: &[String],
) -> anyhow::Result<Vec<(String, MatchKind, f32)>> {
    let words: Vec<&String> = place.rest.iter().filter(|w| !search::is_filler_word(w)).collect();
    let head = "SELECT id, street_key, number FROM citizens";
    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
    let push_place = |qb: &mut sqlx::QueryBuilder<sqlx::Sqlite>| {
        qb.push(" WHERE district = ")
            .push_bind(place.district.clone())
            .push(" AND neighbourhood = ")
            .push_bind(place.neighbourhood.clone());
    };
    if words.is_empty() {
        qb.push(head);
        push_place(&mut qb);
    } else {
        // Each word: the streets holding it (else it must be the number).
        let holding: Vec<Vec<String>> =
            words.iter().map(|w| streets.iter().filter(|s| search::street_has(s, w)).cloned().collect()).collect();
        let push_filters = |qb: &mut sqlx::QueryBuilder<sqlx::Sqlite>| {
            for (w, streets) in words.iter().zip(&holding) {
                qb.push(" AND (");
                if !streets.is_empty() {
                    qb.push("street_key IN ");
                    push_list(qb, streets.iter().cloned());
                    qb.push(" OR ");
                }
                qb.push("number = ").push_bind((*w).clone()).push(")");
            }
        };
        // The word held by the fewest streets leads: its streets' residents
        // by street, and the residents with it as their number.
        let lead = (0..words.len()).min_by_key(|i| holding[*i].len()).unwrap_or(0);
        if !holding[lead].is_empty() {
            qb.push(head);
            push_place(&mut qb);
            qb.push(" AND street_key IN ");
            push_list(&mut qb, holding[lead].iter().cloned());
            push_filters(&mut qb);
            qb.push(" UNION ");
        }
        qb.push(head).push(" INDEXED BY citizens_place_number");
        push_place(&mut qb);
        qb.push(" AND number = ").push_bind(words[lead].clone());
        push_filters(&mut qb);
    }
    qb.push(" LIMIT 500");
    let rows: Vec<(String, Option<String>, Option<String>)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, street_key, number)| {
            search::score_address(&place.rest, street_key.as_deref(), number.as_deref())
                .map(|score| (id, MatchKind::Address, score))
        })
        .collect())
}

/// A citizen to index with [`index_citizens`].
pub struct Indexed<'a> {
    pub id: Uuid,
    pub full_name: &'a str,
    pub phones: &'a [String],
    /// `(district, neighbourhood)` as stored in the citizen's row.
    pub place: Option<(&'a str, &'a str)>,
}

/// [`index_citizen`] for many citizens at once, in a handful of statements:
/// the same rows and vocabulary counts, for loading snapshots and pulls.
pub async fn index_citizens(conn: &mut SqliteConnection, citizens: &[Indexed<'_>]) -> anyhow::Result<()> {
    // Rows per statement, well under SQLite's limit of bound parameters.
    const ROWS: usize = 300;
    let mut phones: Vec<(String, &str, &str)> = Vec::new();
    let mut tokens: Vec<(String, String)> = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut vocab: HashMap<String, i64> = HashMap::new();
    let mut changed: Vec<String> = Vec::new();
    let mut old_pairs: Vec<(String, String)> = Vec::new();
    for chunk in citizens.chunks(ROWS) {
        let ids: Vec<String> = chunk.iter().map(|c| c.id.to_string()).collect();
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("DELETE FROM citizen_phones WHERE citizen_id IN ");
        push_list(&mut qb, ids.iter().cloned());
        qb.build().execute(&mut *conn).await?;
        let mut old = tokens_of(conn, &ids).await?;
        for (c, id) in chunk.iter().zip(ids) {
            for p in c.phones {
                phones.push((id.clone(), p, &p[p.len().saturating_sub(4)..]));
            }
            let names = text::name_tokens(c.full_name);
            let mut new = names.clone();
            new.extend(c.place.map(|(d, n)| place_token(d, n)));
            new.sort();
            let mut was = old.remove(&id).unwrap_or_default();
            was.sort();
            if was == new {
                continue;
            }
            for t in was.iter().filter(|t| !t.starts_with('@')) {
                *vocab.entry(t.clone()).or_default() -= 1;
            }
            for t in &names {
                *vocab.entry(t.clone()).or_default() += 1;
            }
            if !was.is_empty() {
                old_pairs.extend(all_pairs(&was).into_iter().map(|p| (id.clone(), p)));
                changed.push(id.clone());
            }
            pairs.extend(all_pairs(&new).into_iter().map(|p| (id.clone(), p)));
            tokens.extend(new.into_iter().map(|t| (id.clone(), t)));
        }
    }
    // Citizens whose tokens changed lose their old rows first.
    for chunk in changed.chunks(ROWS) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("DELETE FROM citizen_name_tokens WHERE citizen_id IN ");
        push_list(&mut qb, chunk.iter().cloned());
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in old_pairs.chunks(ROWS) {
        // By primary key: the table has no index on the citizen alone.
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("DELETE FROM citizen_name_pairs WHERE (pair, citizen_id) IN ");
        qb.push("(");
        qb.push_values(chunk, |mut b, (id, pair)| {
            b.push_bind(pair.as_str()).push_bind(id.as_str());
        });
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in phones.chunks(ROWS) {
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT OR IGNORE INTO citizen_phones (phone, last4, citizen_id) ");
        qb.push_values(chunk, |mut b, (id, phone, last4)| {
            b.push_bind(*phone).push_bind(*last4).push_bind(id.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in tokens.chunks(ROWS) {
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT OR IGNORE INTO citizen_name_tokens (token, citizen_id) ");
        qb.push_values(chunk, |mut b, (id, token)| {
            b.push_bind(token.as_str()).push_bind(id.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in pairs.chunks(ROWS) {
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT OR IGNORE INTO citizen_name_pairs (pair, citizen_id) ");
        qb.push_values(chunk, |mut b, (id, pair)| {
            b.push_bind(pair.as_str()).push_bind(id.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    let vocab: Vec<(String, i64)> = vocab.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in vocab.chunks(ROWS) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO name_vocab (token, first, uses) ");
        qb.push_values(chunk, |mut b, (token, uses)| {
            b.push_bind(token.as_str()).push_bind(token.chars().take(1).collect::<String>()).push_bind(*uses);
        });
        qb.push(" ON CONFLICT (token) DO UPDATE SET uses = uses + excluded.uses");
        qb.build().execute(&mut *conn).await?;
    }
    if vocab.iter().any(|(_, n)| *n < 0) {
        sqlx::query("DELETE FROM name_vocab WHERE uses <= 0").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Finds citizens: `(id, how it matched, score)`, best first, one row per
/// citizen, at most `limit`.
pub async fn find_citizens(
    conn: &mut SqliteConnection,
    query: &CitizenQuery,
    limit: usize,
) -> anyhow::Result<Vec<(String, MatchKind, f32)>> {
    // Candidate ids with how they matched.
    let mut found: Vec<(String, MatchKind, f32)> = Vec::new();
    match &query.parsed {
        CallerQuery::Empty => return Ok(Vec::new()),
        CallerQuery::Tckn(t) => {
            let rows = sqlx::query_scalar::<_, String>("SELECT id FROM citizens WHERE tckn = ? LIMIT 50")
                .bind(t.as_str())
                .fetch_all(&mut *conn)
                .await?;
            found.extend(rows.into_iter().map(|id| (id, MatchKind::Tckn, 1.0)));
        }
        CallerQuery::Phone(p) => {
            let rows =
                sqlx::query_scalar::<_, String>("SELECT citizen_id FROM citizen_phones WHERE phone = ? LIMIT 50")
                    .bind(p.e164())
                    .fetch_all(&mut *conn)
                    .await?;
            found.extend(rows.into_iter().map(|id| (id, MatchKind::Phone, 1.0)));
        }
        CallerQuery::PhoneSuffix(digits) => {
            let last4 = &digits[digits.len() - 4..];
            let rows = sqlx::query_scalar::<_, String>(
                "SELECT citizen_id FROM citizen_phones WHERE last4 = ? AND phone LIKE ? LIMIT 200",
            )
            .bind(last4)
            .bind(format!("%{digits}"))
            .fetch_all(&mut *conn)
            .await?;
            found.extend(rows.into_iter().map(|id| (id, MatchKind::PhoneSuffix, 0.9)));
        }
        CallerQuery::Text { name_tokens, .. } => {
            // Names: expand each query word to the vocabulary tokens it
            // may mean (exact, prefix as typed, or within edit distance);
            // every word must match one of the citizen's tokens.
            let mut vocab = Vocab::default();
            let mut words: Vec<Word> = Vec::new();
            for word in name_tokens.iter().take(4) {
                words.push(vocab.expand(conn, word).await?.0);
            }
            if !words.is_empty() && words.iter().all(|w| !w.is_empty()) {
                for (id, score, exact) in find_by_name(conn, &words, limit).await? {
                    found.push((id, if exact { MatchKind::Name } else { MatchKind::FuzzyName }, score));
                }
            }
            if let Some(place) = &query.place {
                let streets = if place.rest.is_empty() { Vec::new() } else { streets_of(conn, place).await? };
                // A name with a neighbourhood ("mehmet yilmaz karatas").
                found.extend(find_in_place(conn, &mut vocab, place, &streets, limit).await?);
                found.extend(find_by_address(conn, place, &streets).await?);
            }
        }
    }
    // Best match per citizen, strongest kind first.
    found.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
    let mut seen = HashSet::new();
    found.retain(|(id, _, _)| seen.insert(id.clone()));
    found.truncate(limit);
    Ok(found)
}
