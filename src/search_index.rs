//! The SQLite citizen search index, shared by the central store and the
//! console's offline cache so both find and rank callers alike. Both
//! databases hold the same index tables (`citizen_phones`,
//! `citizen_name_tokens`, `name_vocab`) beside a `citizens` table with
//! `id, tckn, district, neighbourhood, street_key, number`.

use std::collections::{HashMap, HashSet};

use sqlx::{AssertSqlSafe, Row, SqliteConnection};
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

/// Rewrites a citizen's index rows (phones, name tokens, vocabulary).
pub async fn index_citizen(
    conn: &mut SqliteConnection,
    id: Uuid,
    full_name: &str,
    phones: &[String],
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
    sqlx::query("DELETE FROM citizen_name_tokens WHERE citizen_id = ?").bind(&id).execute(&mut *conn).await?;
    for t in text::name_tokens(full_name) {
        sqlx::query("INSERT OR IGNORE INTO citizen_name_tokens (token, citizen_id) VALUES (?, ?)")
            .bind(&t)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
        let first: String = t.chars().take(1).collect();
        sqlx::query(
            "INSERT INTO name_vocab (token, first, uses) VALUES (?, ?, 1) ON CONFLICT (token) DO UPDATE SET uses = uses + 1",
        )
        .bind(&t)
        .bind(first)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// [`index_citizen`] for many citizens at once, in a handful of statements:
/// the same rows and vocabulary counts, for loading snapshots and pulls.
pub async fn index_citizens(conn: &mut SqliteConnection, citizens: &[(Uuid, &str, &[String])]) -> anyhow::Result<()> {
    // Rows per statement, well under SQLite's limit of bound parameters.
    const ROWS: usize = 300;
    let mut phones: Vec<(String, &str, &str)> = Vec::new();
    let mut tokens: Vec<(String, String)> = Vec::new();
    let mut vocab: HashMap<String, i64> = HashMap::new();
    for (id, full_name, numbers) in citizens {
        let id = id.to_string();
        for p in numbers.iter() {
            phones.push((id.clone(), p, &p[p.len().saturating_sub(4)..]));
        }
        for t in text::name_tokens(full_name) {
            *vocab.entry(t.clone()).or_default() += 1;
            tokens.push((id.clone(), t));
        }
    }
    for chunk in citizens.chunks(ROWS) {
        for table in ["citizen_phones", "citizen_name_tokens"] {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("DELETE FROM {table} WHERE citizen_id IN ("));
            let mut ids = qb.separated(", ");
            for (id, _, _) in chunk {
                ids.push_bind(id.to_string());
            }
            qb.push(")");
            qb.build().execute(&mut *conn).await?;
        }
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
    let vocab: Vec<(String, i64)> = vocab.into_iter().collect();
    for chunk in vocab.chunks(ROWS) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO name_vocab (token, first, uses) ");
        qb.push_values(chunk, |mut b, (token, uses)| {
            b.push_bind(token.as_str()).push_bind(token.chars().take(1).collect::<String>()).push_bind(*uses);
        });
        qb.push(" ON CONFLICT (token) DO UPDATE SET uses = uses + excluded.uses");
        qb.build().execute(&mut *conn).await?;
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
            // may mean (exact, prefix as typed, or within edit distance),
            // then take citizens holding a match for the rarest word.
            let mut words: Vec<(Vec<(String, f32)>, i64)> = Vec::new();
            for word in name_tokens.iter().take(4) {
                let first: String = word.chars().take(1).collect();
                let vocab: Vec<(String, i64)> = sqlx::query_as("SELECT token, uses FROM name_vocab WHERE first = ?")
                    .bind(&first)
                    .fetch_all(&mut *conn)
                    .await?;
                let uses: HashMap<&str, i64> = vocab.iter().map(|(t, n)| (t.as_str(), *n)).collect();
                let matches = search::expand_word(word, vocab.iter().map(|(t, n)| (t.as_str(), *n)));
                let size = matches.iter().map(|(t, _, _)| uses.get(t.as_str()).copied().unwrap_or(1)).sum();
                words.push((matches.into_iter().map(|(t, s, _)| (t, s)).collect(), size));
            }
            if !words.is_empty() && words.iter().all(|(w, _)| !w.is_empty()) {
                // The rarest word drives the join; the others are checked
                // per citizen through the (citizen_id, token) index.
                words.sort_by_key(|(_, size)| *size);
                let per_word: Vec<Vec<(String, f32)>> = words.into_iter().map(|(w, _)| w).collect();
                // First exact matches only (every word as typed), then all.
                let exact: Vec<Vec<(String, f32)>> =
                    per_word.iter().map(|w| w.iter().filter(|(_, s)| *s >= 1.0).cloned().collect()).collect();
                let mut passes = Vec::new();
                if exact.iter().all(|w| !w.is_empty()) {
                    passes.push((exact, limit));
                }
                passes.push((per_word.clone(), 300));
                for (candidates, cap) in passes {
                    let mut sql = String::from("SELECT t0.citizen_id");
                    for i in 0..candidates.len() {
                        sql.push_str(&format!(", t{i}.token"));
                    }
                    sql.push_str(" FROM citizen_name_tokens t0");
                    for (i, w) in candidates.iter().enumerate().skip(1) {
                        let ph = vec!["?"; w.len()].join(",");
                        sql.push_str(&format!(
                            " JOIN citizen_name_tokens t{i} ON t{i}.citizen_id = t0.citizen_id AND t{i}.token IN ({ph})"
                        ));
                    }
                    let ph = vec!["?"; candidates[0].len()].join(",");
                    sql.push_str(&format!(" WHERE t0.token IN ({ph}) LIMIT {cap}"));
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for w in candidates.iter().skip(1).chain(std::iter::once(&candidates[0])) {
                        for (t, _) in w {
                            q = q.bind(t);
                        }
                    }
                    let rows = q.fetch_all(&mut *conn).await?;
                    for row in &rows {
                        let id: String = row.try_get(0)?;
                        let toks: Vec<String> =
                            (0..candidates.len()).map(|i| row.try_get(i + 1)).collect::<Result<_, _>>()?;
                        if let Some((score, exact)) = search::score_name(&per_word, &toks) {
                            let kind = if exact { MatchKind::Name } else { MatchKind::FuzzyName };
                            found.push((id, kind, score));
                        }
                    }
                    if found.len() >= limit {
                        break;
                    }
                }
            }
            // Addresses: a neighbourhood named in the query narrows to
            // its residents; the remaining words must match the street.
            if let Some(place) = &query.place {
                // Narrow in SQL: every meaningful word must be in the street
                // or be the door number; rank the few survivors in Rust.
                let words: Vec<&String> = place.rest.iter().filter(|w| !search::is_filler_word(w)).collect();
                let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "SELECT id, street_key, number FROM citizens WHERE district = ",
                );
                qb.push_bind(place.district.clone())
                    .push(" AND neighbourhood = ")
                    .push_bind(place.neighbourhood.clone());
                for w in &words {
                    qb.push(" AND (street_key LIKE ")
                        .push_bind(format!("%{w}%"))
                        .push(" OR number = ")
                        .push_bind((*w).clone())
                        .push(")");
                }
                qb.push(" LIMIT 500");
                let rows: Vec<(String, Option<String>, Option<String>)> =
                    qb.build_query_as().fetch_all(&mut *conn).await?;
                for (id, street_key, number) in rows {
                    if let Some(score) = search::score_address(&place.rest, street_key.as_deref(), number.as_deref()) {
                        found.push((id, MatchKind::Address, score));
                    }
                }
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
