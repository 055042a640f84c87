//! The SQLite store: one file, WAL, one writer connection (`BEGIN IMMEDIATE`)
//! and a small pool of readers.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use super::{
    AuditEntry, CITIZEN, CallRecord, CallTally, DayFilings, Escalation, NewUser, REPEAT_CONTACTS, REQUEST,
    RequestFilter, Result, StatsReader, StatusCount, Store, StoreTx, TokenInfo, UnitScope, UserFilings, UserRecord,
    audit_hash, from_millis, to_millis,
};
use crate::domain::model::{Channel, Priority, RequestType};
use crate::domain::search::CitizenQuery;
use crate::domain::status::{Role, Status};
use crate::domain::text;
use crate::protocol::stats::{HotSpot, RequestSummary};
use crate::protocol::{
    Address, Change, Citizen, CitizenHit, Entity, EventKind, Location, Outcome, Request, RequestPage, TimelineEvent,
    UserInfo,
};
use crate::server::auth::AuthUser;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // Personal data: the file (and the WAL files SQLite makes beside
        // it with the same mode) is readable by its owner only.
        #[cfg(unix)]
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-32000")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new().max_connections(1).min_connections(1).connect_with(opts.clone()).await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        sqlx::query("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)")
            .bind(Uuid::now_v7().to_string())
            .execute(&writer)
            .await?;
        // Readers map the file (up to 2 GiB) instead of a read() per page,
        // so lists of rows spread over a big table (the wallboard's) cost
        // memory reads, not system calls; and they hand rows over in batches
        // of up to 1024 (sqlx's default is 50), so a long list arrives
        // without the worker thread stalling for the reading task.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true).pragma("mmap_size", "2147483648").row_buffer_size(1024))
            .await?;
        Ok(SqliteStore { writer, reader })
    }
}

// ------------------------------------------------------------------ rows

fn parse_uuid(s: &str) -> Result<Uuid> {
    Ok(Uuid::parse_str(s)?)
}

fn opt_uuid(s: Option<String>) -> Result<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

fn user_from_row(row: &SqliteRow) -> Result<UserInfo> {
    let role: String = row.try_get("role")?;
    Ok(UserInfo {
        id: parse_uuid(row.try_get("id")?)?,
        username: row.try_get("username")?,
        full_name: row.try_get("full_name")?,
        role: Role::parse(&role).ok_or_else(|| anyhow::anyhow!("bad role {role}"))?,
        units: serde_json::from_str(row.try_get("units")?)?,
        extension: row.try_get("extension")?,
    })
}

const CITIZEN_COLS: &str = "id, full_name, phones, tckn, email, district, neighbourhood, street, number, \
     hide_identity, field_versions, created_at, updated_at, version";

fn citizen_from_row(row: &SqliteRow) -> Result<Citizen> {
    let district: Option<String> = row.try_get("district")?;
    let address = match district {
        Some(district) => Some(Address {
            district,
            neighbourhood: row.try_get::<Option<String>, _>("neighbourhood")?.unwrap_or_default(),
            street: row.try_get("street")?,
            number: row.try_get("number")?,
        }),
        None => None,
    };
    Ok(Citizen {
        id: parse_uuid(row.try_get("id")?)?,
        full_name: row.try_get("full_name")?,
        phones: serde_json::from_str(row.try_get("phones")?)?,
        tckn: row.try_get("tckn")?,
        email: row.try_get("email")?,
        address,
        hide_identity: row.try_get("hide_identity")?,
        field_versions: serde_json::from_str(row.try_get("field_versions")?)?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        version: row.try_get("version")?,
    })
}

const REQUEST_COLS: &str = "id, tracking_no, kind, channel, category, unit, status, priority, district, \
     neighbourhood, address, lat, lon, description, citizen_id, created_by, assigned_to, duplicate_of, \
     co_reporters, sla_due_at, paused_at, contacts, call_seconds, created_at, updated_at, version";

fn parse_enum<T>(s: &str, f: fn(&str) -> Option<T>, what: &str) -> Result<T> {
    f(s).ok_or_else(|| anyhow::anyhow!("bad {what} '{s}' in database"))
}

fn request_from_row(row: &SqliteRow) -> Result<Request> {
    let district: Option<String> = row.try_get("district")?;
    let location = district.map(|district| -> Result<Location> {
        Ok(Location {
            district,
            neighbourhood: row.try_get("neighbourhood")?,
            address: row.try_get("address")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
        })
    });
    Ok(Request {
        id: parse_uuid(row.try_get("id")?)?,
        tracking_no: row.try_get("tracking_no")?,
        kind: parse_enum(row.try_get("kind")?, RequestType::parse, "type")?,
        channel: parse_enum(row.try_get("channel")?, Channel::parse, "channel")?,
        category: row.try_get("category")?,
        unit: row.try_get("unit")?,
        status: parse_enum(row.try_get("status")?, Status::parse, "status")?,
        priority: parse_enum(row.try_get("priority")?, Priority::parse, "priority")?,
        location: location.transpose()?,
        description: row.try_get("description")?,
        citizen_id: opt_uuid(row.try_get("citizen_id")?)?,
        created_by: parse_uuid(row.try_get("created_by")?)?,
        assigned_to: row.try_get("assigned_to")?,
        duplicate_of: opt_uuid(row.try_get("duplicate_of")?)?,
        co_reporters: serde_json::from_str(row.try_get("co_reporters")?)?,
        sla_due_at: from_millis(row.try_get("sla_due_at")?),
        paused_at: row.try_get::<Option<i64>, _>("paused_at")?.map(from_millis),
        contacts: row.try_get::<i64, _>("contacts")? as u32,
        call_seconds: row.try_get::<Option<i64>, _>("call_seconds")?.map(|s| s as u32),
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        version: row.try_get("version")?,
        timeline: Vec::new(),
    })
}

fn event_from_row(row: &SqliteRow) -> Result<TimelineEvent> {
    let kind: String = row.try_get("kind")?;
    let status: Option<String> = row.try_get("status")?;
    Ok(TimelineEvent {
        id: parse_uuid(row.try_get("id")?)?,
        at: from_millis(row.try_get("at")?),
        actor: row.try_get("actor")?,
        kind: serde_json::from_value(serde_json::Value::String(kind))?,
        status: status.map(|s| parse_enum(&s, Status::parse, "status")).transpose()?,
        unit: row.try_get("unit")?,
        text: row.try_get("text")?,
        internal: row.try_get("internal")?,
    })
}

fn event_kind_str(kind: EventKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("EventKind serialises to a string"),
    }
}

async fn load_timeline<'e, E>(exec: E, request_id: Uuid) -> Result<Vec<TimelineEvent>>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let rows = sqlx::query(
        "SELECT id, at, actor, kind, status, unit, text, internal FROM request_events \
         WHERE request_id = ? ORDER BY at, seq, id",
    )
    .bind(request_id.to_string())
    .fetch_all(exec)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// The timelines of many requests at once, by request id.
async fn load_timelines(
    conn: &mut sqlx::SqliteConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<TimelineEvent>>> {
    /// One event as `json_array` gives it: id, at, actor, kind, status, unit, text, internal.
    type EventRow = (String, i64, String, EventKind, Option<String>, Option<String>, Option<String>, i64);
    let mut by_request: HashMap<String, Vec<TimelineEvent>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        // One row per request, its events in order as a JSON array: far fewer
        // rows to hand over than one per event.
        let placeholders = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT request_id, json_group_array(json_array(id, at, actor, kind, status, unit, text, internal) \
             ORDER BY at, seq, id) FROM request_events WHERE request_id IN ({placeholders}) GROUP BY request_id"
        );
        let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for (request_id, events) in q.fetch_all(&mut *conn).await? {
            let events: Vec<EventRow> = serde_json::from_str(&events)?;
            let timeline = events
                .into_iter()
                .map(|(id, at, actor, kind, status, unit, text, internal)| {
                    Ok(TimelineEvent {
                        id: parse_uuid(&id)?,
                        at: from_millis(at),
                        actor,
                        kind,
                        status: status.map(|s| parse_enum(&s, Status::parse, "status")).transpose()?,
                        unit,
                        text,
                        internal: internal != 0,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            by_request.insert(request_id, timeline);
        }
    }
    Ok(by_request)
}

/// Rows of `table` (with `cols`) whose id is one of `ids`, by id.
async fn rows_by_id(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    cols: &str,
    ids: &[String],
) -> Result<HashMap<String, SqliteRow>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let placeholders = vec!["?"; chunk.len()].join(",");
        let mut q = sqlx::query(AssertSqlSafe(format!("SELECT {cols} FROM {table} WHERE id IN ({placeholders})")));
        for id in chunk {
            q = q.bind(id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.insert(row.try_get("id")?, row);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ store

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>> {
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteTx { tx, last_audit_hash: None }))
    }

    async fn authenticate(&self, token_hash: &str) -> Result<Option<AuthUser>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.full_name, u.role, u.units, u.extension, t.device_id \
             FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| -> Result<AuthUser> {
            Ok(AuthUser { user: user_from_row(&r)?, device_id: parse_uuid(r.try_get("device_id")?)? })
        })
        .transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT id, username, full_name, role, units, extension, password_hash, disabled FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| -> Result<UserRecord> {
            Ok(UserRecord {
                info: user_from_row(&r)?,
                password_hash: r.try_get("password_hash")?,
                disabled: r.try_get("disabled")?,
            })
        })
        .transpose()
    }

    async fn user_by_extension(&self, extension: &str) -> Result<Option<UserInfo>> {
        let row = sqlx::query(
            "SELECT id, username, full_name, role, units, extension FROM users WHERE extension = ? AND disabled = 0",
        )
        .bind(extension)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create_user(&self, user: NewUser) -> Result<UserInfo> {
        let id = Uuid::now_v7();
        let res = sqlx::query(
            "INSERT INTO users (id, username, full_name, password_hash, role, units, extension, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&user.username)
        .bind(&user.full_name)
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(serde_json::to_string(&user.units)?)
        .bind(&user.extension)
        .bind(to_millis(chrono::Utc::now()))
        .execute(&self.writer)
        .await;
        match res {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                anyhow::bail!("a user named '{}' already exists", user.username)
            }
            other => other?,
        };
        Ok(UserInfo {
            id,
            username: user.username,
            full_name: user.full_name,
            role: user.role,
            units: user.units,
            extension: user.extension,
        })
    }

    async fn list_users(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query("SELECT id, username, full_name, role, units, extension FROM users ORDER BY username")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn insert_token(&self, token_hash: &str, user_id: Uuid, device_id: Uuid, device_name: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (token_hash, user_id, device_id, device_name, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(device_id.to_string())
        .bind(device_name)
        .bind(to_millis(chrono::Utc::now()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn list_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT u.username, t.device_id, t.device_name, t.created_at, t.revoked_at, t.token_hash \
             FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| -> Result<TokenInfo> {
                let hash: String = r.try_get("token_hash")?;
                Ok(TokenInfo {
                    username: r.try_get("username")?,
                    device_id: parse_uuid(r.try_get("device_id")?)?,
                    device_name: r.try_get("device_name")?,
                    created_at: from_millis(r.try_get("created_at")?),
                    revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                    hash_prefix: hash[..12].to_string(),
                })
            })
            .collect()
    }

    async fn revoke_tokens(&self, username: Option<&str>, hash_prefix: Option<&str>) -> Result<u64> {
        let now = to_millis(chrono::Utc::now());
        let res = match (username, hash_prefix) {
            (Some(u), _) => {
                sqlx::query(
                    "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL \
                     AND user_id = (SELECT id FROM users WHERE username = ?)",
                )
                .bind(now)
                .bind(u)
                .execute(&self.writer)
                .await?
            }
            (None, Some(p)) if p.len() >= 8 => {
                sqlx::query(
                    "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL AND substr(token_hash, 1, ?) = ?",
                )
                .bind(now)
                .bind(p.len() as i64)
                .bind(p)
                .execute(&self.writer)
                .await?
            }
            _ => anyhow::bail!("name a user, or at least 8 characters of a token id"),
        };
        Ok(res.rows_affected())
    }

    async fn citizen(&self, id: Uuid) -> Result<Option<Citizen>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {CITIZEN_COLS} FROM citizens WHERE id = ?")))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(citizen_from_row).transpose()
    }

    async fn search_citizens(&self, query: &CitizenQuery, limit: usize) -> Result<Vec<CitizenHit>> {
        let mut conn = self.reader.acquire().await?;
        let found = crate::search_index::find_citizens(&mut conn, query, limit).await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; found.len()].join(",");
        let sql = format!("SELECT {CITIZEN_COLS} FROM citizens WHERE id IN ({placeholders})");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, _, _) in &found {
            q = q.bind(id);
        }
        let mut citizens: HashMap<String, Citizen> = HashMap::new();
        for row in q.fetch_all(&mut *conn).await? {
            let c = citizen_from_row(&row)?;
            citizens.insert(c.id.to_string(), c);
        }
        let sql = format!(
            "SELECT citizen_id, count(*) FROM requests WHERE citizen_id IN ({placeholders}) \
             AND status NOT IN ('resolved','informed','closed','out_of_remit','duplicate','cancelled') GROUP BY citizen_id"
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql));
        for (id, _, _) in &found {
            q = q.bind(id);
        }
        let open: HashMap<String, i64> = q.fetch_all(&mut *conn).await?.into_iter().collect();
        let mut hits: Vec<CitizenHit> = found
            .into_iter()
            .filter_map(|(id, matched, score)| {
                let open_requests = open.get(&id).copied().unwrap_or(0) as u32;
                citizens.remove(&id).map(|citizen| CitizenHit { citizen, matched, score, open_requests })
            })
            .collect();
        crate::search_index::rank_hits(&mut hits);
        Ok(hits)
    }

    async fn request(&self, id: Uuid) -> Result<Option<Request>> {
        let mut conn = self.reader.acquire().await?;
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {REQUEST_COLS} FROM requests WHERE id = ?")))
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut r = request_from_row(&row)?;
        r.timeline = load_timeline(&mut *conn, id).await?;
        Ok(Some(r))
    }

    async fn request_by_tracking(&self, tracking_no: &str) -> Result<Option<Request>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM requests WHERE tracking_no = ?")
            .bind(tracking_no)
            .fetch_optional(&self.reader)
            .await?;
        match id {
            Some(id) => self.request(parse_uuid(&id)?).await,
            None => Ok(None),
        }
    }

    async fn list_requests(&self, f: &RequestFilter) -> Result<RequestPage> {
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!("SELECT {REQUEST_COLS} FROM requests WHERE 1=1"));
        if !f.units.is_empty() {
            qb.push(" AND unit IN (");
            let mut sep = qb.separated(", ");
            for u in &f.units {
                sep.push_bind(u.clone());
            }
            qb.push(")");
        }
        if !f.statuses.is_empty() {
            qb.push(" AND status IN (");
            let mut sep = qb.separated(", ");
            for s in &f.statuses {
                sep.push_bind(s.clone());
            }
            qb.push(")");
        }
        if let Some(c) = &f.category {
            qb.push(" AND category = ").push_bind(c.clone());
        }
        if let Some(d) = &f.district {
            qb.push(" AND district = ").push_bind(d.clone());
        }
        if let Some(c) = f.citizen_id {
            qb.push(" AND citizen_id = ").push_bind(c.to_string());
        }
        if let Some(q) = f.q.as_deref().map(text::fold).filter(|q| !q.is_empty()) {
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            qb.push(" AND search_key LIKE ").push_bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
        }
        if let Some(b) = f.before_id {
            qb.push(" AND id < ").push_bind(b.to_string());
        }
        if let Some(t) = f.created_after {
            qb.push(" AND created_at >= ").push_bind(to_millis(t));
        }
        let limit = f.limit.clamp(1, 500);
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64 + 1);
        let mut conn = self.reader.acquire().await?;
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut items = rows.iter().map(request_from_row).collect::<Result<Vec<_>>>()?;
        if f.with_timeline && !items.is_empty() {
            let ids: Vec<String> = items.iter().map(|r| r.id.to_string()).collect();
            let mut by_request = load_timelines(&mut conn, &ids).await?;
            for r in &mut items {
                r.timeline = by_request.remove(&r.id.to_string()).unwrap_or_default();
            }
        }
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(RequestPage { items, next_cursor })
    }

    async fn citizens_page(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<Citizen>> {
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {CITIZEN_COLS} FROM citizens WHERE id > ? ORDER BY id LIMIT ?")))
                .bind(after.map(|a| a.to_string()).unwrap_or_default())
                .bind(limit.clamp(1, 5000) as i64)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(citizen_from_row).collect()
    }

    async fn count_citizens(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM citizens").fetch_one(&self.reader).await?;
        Ok(n as u64)
    }

    async fn pull(&self, since: i64, limit: u32) -> Result<(Vec<Change>, i64, bool)> {
        let limit = limit.clamp(1, 1000);
        // One read transaction: the change rows and the entities agree.
        let mut tx = self.reader.begin().await?;
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, entity, entity_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(since)
                .bind(limit as i64 + 1)
                .fetch_all(&mut *tx)
                .await?;
        let has_more = rows.len() > limit as usize;
        let rows = &rows[..rows.len().min(limit as usize)];
        // The entities of the page in a few queries, not one per change.
        let ids_of = |kind: &str| -> Vec<String> {
            rows.iter().filter(|(_, e, _)| e == kind).map(|(_, _, id)| id.clone()).collect()
        };
        let (citizen_ids, request_ids) = (ids_of(CITIZEN), ids_of(REQUEST));
        let mut citizens = rows_by_id(&mut tx, "citizens", CITIZEN_COLS, &citizen_ids).await?;
        let mut requests = rows_by_id(&mut tx, "requests", REQUEST_COLS, &request_ids).await?;
        let mut timelines = load_timelines(&mut tx, &request_ids).await?;
        let mut changes = Vec::with_capacity(rows.len());
        let mut next = since;
        for (seq, entity, id) in rows {
            next = *seq;
            let missing = || anyhow::anyhow!("{entity} {id} of change {seq} is missing");
            let entity = match entity.as_str() {
                CITIZEN => Entity::Citizen(Box::new(citizen_from_row(&citizens.remove(id).ok_or_else(missing)?)?)),
                REQUEST => {
                    let mut r = request_from_row(&requests.remove(id).ok_or_else(missing)?)?;
                    r.timeline = timelines.remove(id).unwrap_or_default();
                    Entity::Request(Box::new(r))
                }
                other => anyhow::bail!("unknown entity kind '{other}' in change feed"),
            };
            changes.push(Change { seq: *seq, entity });
        }
        tx.commit().await?;
        Ok((changes, next, has_more))
    }

    async fn current_seq(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'").fetch_one(&self.reader).await?)
    }

    async fn epoch(&self) -> Result<String> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = 'epoch'").fetch_one(&self.reader).await?)
    }

    async fn append_audit(&self, entries: Vec<AuditEntry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = SqliteTx { tx: self.writer.begin_with("BEGIN IMMEDIATE").await?, last_audit_hash: None };
        for e in entries {
            tx.audit(e).await?;
        }
        Box::new(tx).commit().await
    }

    async fn stats_reader(&self) -> Result<Box<dyn StatsReader>> {
        Ok(Box::new(SqliteStats { tx: self.reader.begin().await? }))
    }

    async fn record_call(&self, c: &CallRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO cti_calls (extension, username, ringing_at, answered_at, ended_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&c.extension)
        .bind(&c.username)
        .bind(c.ringing_at.map(to_millis))
        .bind(c.answered_at.map(to_millis))
        .bind(to_millis(c.ended_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn verify_audit_chain(&self) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log ORDER BY id",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut prev = String::new();
        for row in &rows {
            let e = AuditEntry {
                at: from_millis(row.try_get("at")?),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                entity: row.try_get("entity")?,
                entity_id: row.try_get("entity_id")?,
                detail: row.try_get("detail")?,
            };
            let id: i64 = row.try_get("id")?;
            let stored_prev: String = row.try_get("prev_hash")?;
            let hash: String = row.try_get("hash")?;
            if stored_prev != prev || audit_hash(&prev, &e) != hash {
                anyhow::bail!("audit chain broken at entry {id}");
            }
            prev = hash;
        }
        Ok(rows.len() as u64)
    }
}

// ------------------------------------------------------------------ wallboard

/// Open requests, word for word as in the partial indexes of migration 0002
/// (SQLite uses a partial index only for a query that repeats its terms).
const OPEN_SQL: &str = "status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened')";
/// Open requests whose SLA clock runs (not waiting).
const RUNNING_SQL: &str = "status IN ('registered', 'forwarded', 'in_progress', 'reopened')";

const HOUR_MS: i64 = 3_600_000;

/// Terms per compound SELECT (SQLite allows 500).
const COMPOUND_TERMS: usize = 400;

/// A listed request as a JSON object, built by SQLite: a list comes back as
/// one JSON array in one value instead of a row of copied values per
/// request, several times cheaper for the longest lists.
const SUMMARY_JSON: &str = "json_object('id', id, 'tracking_no', tracking_no, 'unit', unit, 'category', category, \
     'district', district, 'neighbourhood', neighbourhood, 'status', status, 'priority', priority, \
     'sla_due_at', sla_due_at, 'created_at', created_at, 'contacts', contacts, 'escalated_at', escalated_at, \
     'reopened_at', reopened_at)";

/// [`SUMMARY_JSON`] as parsed; times in Unix milliseconds.
#[derive(serde::Deserialize)]
struct SummaryJson {
    id: Uuid,
    tracking_no: String,
    unit: String,
    category: String,
    district: Option<String>,
    neighbourhood: Option<String>,
    status: Status,
    priority: Priority,
    sla_due_at: i64,
    created_at: i64,
    contacts: u32,
    escalated_at: Option<i64>,
    reopened_at: Option<i64>,
}

fn summaries_from_json(json: &str) -> Result<Vec<RequestSummary>> {
    let rows: Vec<SummaryJson> = serde_json::from_str(json)?;
    Ok(rows
        .into_iter()
        .map(|r| RequestSummary {
            id: r.id,
            tracking_no: r.tracking_no,
            unit: r.unit,
            category: r.category,
            district: r.district,
            neighbourhood: r.neighbourhood,
            status: r.status,
            priority: r.priority,
            sla_due_at: from_millis(r.sla_due_at),
            created_at: from_millis(r.created_at),
            contacts: r.contacts,
            escalated_at: r.escalated_at.map(from_millis),
            reopened_at: r.reopened_at.map(from_millis),
        })
        .collect())
}

/// ` AND unit IN (...)` for a unit scope (nothing for every unit).
fn push_units(qb: &mut sqlx::QueryBuilder<Sqlite>, units: UnitScope<'_>) {
    if let Some(units) = units {
        qb.push(" AND unit IN (");
        let mut sep = qb.separated(", ");
        for u in units {
            sep.push_bind(u.clone());
        }
        qb.push(")");
    }
}

/// The first hour key (`ms / HOUR_MS`) starting at or after `t`.
fn hour_key_from(t: chrono::DateTime<chrono::Utc>) -> i64 {
    to_millis(t).div_euclid(HOUR_MS) + i64::from(to_millis(t).rem_euclid(HOUR_MS) != 0)
}

/// One read transaction: every read sees the same committed state.
pub struct SqliteStats {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteStats {
    /// Runs `SELECT k, count(*) ...` terms as compound SELECTs (`UNION ALL`),
    /// [`COMPOUND_TERMS`] at a time; `term` writes term `k`. Returns the
    /// count of each term, in order.
    async fn counts<T>(
        &mut self,
        terms: &[T],
        term: impl Fn(&mut sqlx::QueryBuilder<Sqlite>, usize, &T),
    ) -> Result<Vec<u64>> {
        let mut out = vec![0; terms.len()];
        for (c, chunk) in terms.chunks(COMPOUND_TERMS).enumerate() {
            let mut qb = sqlx::QueryBuilder::<Sqlite>::new("");
            for (i, t) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                term(&mut qb, i, t);
            }
            let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *self.tx).await?;
            for (i, n) in rows {
                out[c * COMPOUND_TERMS + i as usize] = n as u64;
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl StatsReader for SqliteStats {
    async fn open_units(&mut self, units: UnitScope<'_>) -> Result<Vec<String>> {
        if let Some(units) = units {
            // A few named units: which of them have open requests.
            let found = self
                .counts(units, |qb, i, unit| {
                    qb.push(format!(
                        "SELECT {i}, count(*) FROM (SELECT 1 FROM requests INDEXED BY requests_open_age \
                         WHERE {OPEN_SQL} AND unit = "
                    ));
                    qb.push_bind(unit.clone()).push(" LIMIT 1)");
                })
                .await?;
            let mut out: Vec<String> =
                units.iter().zip(found).filter(|(_, n)| *n > 0).map(|(u, _)| u.clone()).collect();
            out.sort();
            out.dedup();
            return Ok(out);
        }
        // Every unit: a skip scan, one index seek per distinct unit.
        Ok(sqlx::query_scalar(AssertSqlSafe(format!(
            "WITH RECURSIVE u(unit) AS ( \
                 SELECT min(unit) FROM requests INDEXED BY requests_open_age WHERE {OPEN_SQL} \
                 UNION ALL \
                 SELECT (SELECT min(unit) FROM requests INDEXED BY requests_open_age WHERE {OPEN_SQL} AND unit > u.unit) \
                 FROM u WHERE u.unit IS NOT NULL) \
             SELECT unit FROM u WHERE unit IS NOT NULL"
        )))
        .fetch_all(&mut *self.tx)
        .await?)
    }

    async fn status_counts(&mut self, units: &[String]) -> Result<Vec<StatusCount>> {
        // One range count per unit and open status on (unit, status, ...):
        // SQLite counts index entries without decoding them.
        let terms: Vec<(&String, Status)> =
            units.iter().flat_map(|u| Status::ALL.into_iter().filter(|s| s.is_open()).map(move |s| (u, s))).collect();
        let counts = self
            .counts(&terms, |qb, i, (unit, status)| {
                qb.push(format!("SELECT {i}, count(*) FROM requests INDEXED BY requests_unit_status WHERE unit = "));
                qb.push_bind((*unit).clone()).push(" AND status = ").push_bind(status.as_str());
            })
            .await?;
        Ok(terms
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|((unit, status), n)| StatusCount { unit: unit.clone(), status, n })
            .collect())
    }

    async fn open_age_counts(
        &mut self,
        units: &[String],
        bounds: &[chrono::DateTime<chrono::Utc>],
    ) -> Result<Vec<(String, usize, u64)>> {
        // One range count per unit and bucket on (unit, created_at).
        let terms: Vec<(&String, usize)> = units.iter().flat_map(|u| (0..=bounds.len()).map(move |b| (u, b))).collect();
        let counts = self
            .counts(&terms, |qb, i, (unit, bucket)| {
                qb.push(format!(
                    "SELECT {i}, count(*) FROM requests INDEXED BY requests_open_age WHERE {OPEN_SQL} AND unit = "
                ));
                qb.push_bind((*unit).clone());
                if let Some(from) = bounds.get(*bucket) {
                    qb.push(" AND created_at >= ").push_bind(to_millis(*from));
                }
                if let Some(to) = bucket.checked_sub(1).and_then(|b| bounds.get(b)) {
                    qb.push(" AND created_at < ").push_bind(to_millis(*to));
                }
            })
            .await?;
        Ok(terms
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|((unit, bucket), n)| (unit.clone(), bucket, n))
            .collect())
    }

    async fn running_due_counts(
        &mut self,
        units: &[String],
        after: Option<chrono::DateTime<chrono::Utc>>,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<(String, u64)>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        // One cursor seeking each (unit, running status) range.
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "SELECT unit, count(*) FROM requests INDEXED BY requests_unit_status WHERE 1",
        );
        push_units(&mut qb, Some(units));
        qb.push(format!(" AND {RUNNING_SQL}"));
        if let Some(after) = after {
            qb.push(" AND sla_due_at > ").push_bind(to_millis(after));
        }
        if let Some(until) = until {
            qb.push(" AND sla_due_at <= ").push_bind(to_millis(until));
        }
        qb.push(" GROUP BY unit");
        let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut *self.tx).await?;
        Ok(rows.into_iter().map(|(u, n)| (u, n as u64)).collect())
    }

    async fn running_due_list(
        &mut self,
        units: &[String],
        after: Option<chrono::DateTime<chrono::Utc>>,
        until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<RequestSummary>> {
        if units.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // The first `limit` from the (covering) index ranges, then only those
        // rows, as one JSON array.
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!(
            "SELECT json_group_array({SUMMARY_JSON} ORDER BY sla_due_at, rowid) FROM requests \
             WHERE rowid IN (SELECT rowid FROM requests INDEXED BY requests_unit_status WHERE 1"
        ));
        push_units(&mut qb, Some(units));
        qb.push(format!(" AND {RUNNING_SQL} AND sla_due_at <= ")).push_bind(to_millis(until));
        if let Some(after) = after {
            qb.push(" AND sla_due_at > ").push_bind(to_millis(after));
        }
        qb.push(" ORDER BY sla_due_at, rowid LIMIT ").push_bind(i64::from(limit)).push(")");
        let json: String = qb.build_query_scalar().fetch_one(&mut *self.tx).await?;
        summaries_from_json(&json)
    }

    async fn filings_by_day(&mut self, days: &[chrono::DateTime<chrono::Utc>]) -> Result<Vec<DayFilings>> {
        let mut out = vec![DayFilings::default(); days.len()];
        // Per hour: a range count each on the filing-time index.
        let hours: Vec<(usize, usize, i64)> = days
            .iter()
            .enumerate()
            .flat_map(|(d, day)| (0..24).map(move |h| (d, h, hour_key_from(*day) + h as i64)))
            .collect();
        let counts = self
            .counts(&hours, |qb, i, (_, _, key)| {
                qb.push(format!("SELECT {i}, count(*) FROM requests INDEXED BY requests_created WHERE created_at >= "));
                qb.push_bind(key * HOUR_MS).push(" AND created_at < ").push_bind((key + 1) * HOUR_MS);
            })
            .await?;
        for ((d, h, _), n) in hours.into_iter().zip(counts) {
            out[d].hours[h] = n;
        }
        // Per channel: the day's entries of the same index, grouped.
        for chunk in days.chunks(COMPOUND_TERMS).enumerate() {
            let (c, chunk) = chunk;
            let mut qb = sqlx::QueryBuilder::<Sqlite>::new("");
            for (i, day) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                let start = hour_key_from(*day) * HOUR_MS;
                qb.push(format!(
                    "SELECT {i}, channel, count(*) FROM requests INDEXED BY requests_created WHERE created_at >= "
                ));
                qb.push_bind(start)
                    .push(" AND created_at < ")
                    .push_bind(start + 24 * HOUR_MS)
                    .push(" GROUP BY channel");
            }
            let rows: Vec<(i64, String, i64)> = qb.build_query_as().fetch_all(&mut *self.tx).await?;
            for (i, channel, n) in rows {
                out[c * COMPOUND_TERMS + i as usize].channels.push((channel, n as u64));
            }
        }
        Ok(out)
    }

    async fn filings_by_user(
        &mut self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<UserFilings>> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT created_by, count(*), count(call_seconds), coalesce(sum(call_seconds), 0) \
             FROM requests INDEXED BY requests_created WHERE created_at >= ? AND created_at < ? GROUP BY created_by",
        )
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter()
            .map(|(user, n, calls, secs)| {
                Ok(UserFilings {
                    user_id: parse_uuid(&user)?,
                    n: n as u64,
                    calls: calls as u64,
                    call_seconds: secs as u64,
                })
            })
            .collect()
    }

    async fn hotspots(
        &mut self,
        units: UnitScope<'_>,
        since: chrono::DateTime<chrono::Utc>,
        recent: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<HotSpot>> {
        if units.is_some_and(|u| u.is_empty()) || limit == 0 {
            return Ok(Vec::new());
        }
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "SELECT category, district, neighbourhood, count(*) AS n, sum(created_at >= ",
        );
        qb.push_bind(to_millis(recent));
        qb.push(") AS recent FROM requests INDEXED BY requests_created WHERE created_at >= ");
        qb.push_bind(to_millis(since));
        qb.push(" AND created_at <= ").push_bind(to_millis(until));
        qb.push(" AND neighbourhood IS NOT NULL AND district IS NOT NULL");
        push_units(&mut qb, units);
        qb.push(
            " GROUP BY category, district, neighbourhood \
             ORDER BY n DESC, recent DESC, category, district, neighbourhood LIMIT ",
        );
        qb.push_bind(i64::from(limit));
        let rows: Vec<(String, String, String, i64, i64)> = qb.build_query_as().fetch_all(&mut *self.tx).await?;
        Ok(rows
            .into_iter()
            .map(|(category, district, neighbourhood, n, recent)| HotSpot {
                category,
                district,
                neighbourhood,
                count: n as u64,
                last_hour: recent as u64,
            })
            .collect())
    }

    async fn escalations(
        &mut self,
        kind: Escalation,
        units: UnitScope<'_>,
        limit: u32,
    ) -> Result<(u64, Vec<RequestSummary>)> {
        if units.is_some_and(|u| u.is_empty()) {
            return Ok((0, Vec::new()));
        }
        let (index, term, order) = match kind {
            Escalation::Bounced => ("requests_open_escalated", "escalated_at IS NOT NULL", "escalated_at DESC"),
            Escalation::Reopened => ("requests_open_reopened", "reopened_at IS NOT NULL", "reopened_at DESC"),
            Escalation::RepeatContacts => ("requests_open_contacts", "contacts >= 3", "contacts DESC"),
        };
        debug_assert_eq!(REPEAT_CONTACTS, 3, "the partial index requests_open_contacts says contacts >= 3");
        let from = format!(" FROM requests INDEXED BY {index} WHERE {term} AND {OPEN_SQL}");
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!("SELECT count(*){from}"));
        push_units(&mut qb, units);
        let total: i64 = qb.build_query_scalar().fetch_one(&mut *self.tx).await?;
        if limit == 0 || total == 0 {
            return Ok((total as u64, Vec::new()));
        }
        // The first `limit` from the (covering) index, then only those rows.
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(format!(
            "SELECT json_group_array({SUMMARY_JSON} ORDER BY {order}, rowid DESC) FROM requests \
             WHERE rowid IN (SELECT rowid{from}"
        ));
        push_units(&mut qb, units);
        qb.push(format!(" ORDER BY {order}, rowid DESC LIMIT ")).push_bind(i64::from(limit)).push(")");
        let json: String = qb.build_query_scalar().fetch_one(&mut *self.tx).await?;
        Ok((total as u64, summaries_from_json(&json)?))
    }

    async fn calls_ended(
        &mut self,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<CallTally>> {
        let rows: Vec<(String, Option<String>, i64, i64, i64)> = sqlx::query_as(
            "SELECT extension, username, count(answered_at), count(*) - count(answered_at), \
             coalesce(sum(ended_at - answered_at), 0) FROM cti_calls WHERE ended_at >= ? AND ended_at < ? \
             GROUP BY extension, username",
        )
        .bind(to_millis(since))
        .bind(to_millis(until))
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(extension, username, answered, missed, talk_ms)| CallTally {
                extension,
                username,
                answered: answered as u64,
                missed: missed as u64,
                talk_seconds: (talk_ms.max(0) / 1000) as u64,
            })
            .collect())
    }
}

// ------------------------------------------------------------------ tx

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// The newest audit hash written in this transaction, so a group commit
    /// reads it from the table once. Forgotten on a rollback to a savepoint.
    last_audit_hash: Option<String>,
}

#[async_trait]
impl StoreTx for SqliteTx {
    async fn processed(&mut self, device_id: Uuid, mutation_id: Uuid) -> Result<Option<Outcome>> {
        let row: Option<String> =
            sqlx::query_scalar("SELECT result FROM processed_mutations WHERE device_id = ? AND mutation_id = ?")
                .bind(device_id.to_string())
                .bind(mutation_id.to_string())
                .fetch_optional(&mut *self.tx)
                .await?;
        row.map(|s| serde_json::from_str(&s).map_err(Into::into)).transpose()
    }

    async fn mark_processed(&mut self, device_id: Uuid, mutation_id: Uuid, outcome: &Outcome) -> Result<()> {
        // A rejected or conflicting mutation may be decided again later
        // (see `service::apply`): the newest answer replaces the old one.
        sqlx::query(
            "INSERT INTO processed_mutations (device_id, mutation_id, result, at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (device_id, mutation_id) DO UPDATE SET result = excluded.result, at = excluded.at",
        )
        .bind(device_id.to_string())
        .bind(mutation_id.to_string())
        .bind(serde_json::to_string(outcome)?)
        .bind(to_millis(chrono::Utc::now()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn next_seq(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = 'change_seq' RETURNING value")
            .fetch_one(&mut *self.tx)
            .await?)
    }

    async fn record_change(&mut self, seq: i64, entity: &str, id: Uuid) -> Result<()> {
        sqlx::query(
            "INSERT INTO changes (seq, entity, entity_id) VALUES (?, ?, ?) \
             ON CONFLICT (entity, entity_id) DO UPDATE SET seq = excluded.seq",
        )
        .bind(seq)
        .bind(entity)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn allocate_serials(&mut self, n: u32) -> Result<u32> {
        let last: i64 =
            sqlx::query_scalar("UPDATE counters SET value = value + ? WHERE name = 'serial' RETURNING value")
                .bind(n as i64)
                .fetch_one(&mut *self.tx)
                .await?;
        let first = last - n as i64 + 1;
        if last > crate::domain::tracking::TrackingNumber::MAX_SERIAL as i64 {
            anyhow::bail!("tracking-number serials exhausted");
        }
        Ok(first as u32)
    }

    async fn record_serial_block(&mut self, device_id: Uuid, start: u32, end: u32) -> Result<()> {
        sqlx::query("INSERT INTO serial_blocks (device_id, start, end, at) VALUES (?, ?, ?, ?)")
            .bind(device_id.to_string())
            .bind(start as i64)
            .bind(end as i64)
            .bind(to_millis(chrono::Utc::now()))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn device_owns_serial(&mut self, device_id: Uuid, serial: u32) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM serial_blocks WHERE device_id = ? AND start <= ? AND end >= ?")
                .bind(device_id.to_string())
                .bind(serial as i64)
                .bind(serial as i64)
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(n > 0)
    }

    async fn citizen(&mut self, id: Uuid) -> Result<Option<Citizen>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {CITIZEN_COLS} FROM citizens WHERE id = ?")))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(citizen_from_row).transpose()
    }

    async fn put_citizen(&mut self, c: &Citizen) -> Result<()> {
        let id = c.id.to_string();
        let (district, neighbourhood, street, number) = match &c.address {
            Some(a) => (Some(&a.district), Some(&a.neighbourhood), a.street.as_ref(), a.number.as_ref()),
            None => (None, None, None, None),
        };
        sqlx::query(
            "INSERT OR REPLACE INTO citizens (id, full_name, name_key, phones, tckn, email, district, neighbourhood, \
             street, number, street_key, hide_identity, field_versions, created_at, updated_at, version) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&c.full_name)
        .bind(text::loose_name_key(&c.full_name))
        .bind(serde_json::to_string(&c.phones)?)
        .bind(&c.tckn)
        .bind(&c.email)
        .bind(district)
        .bind(neighbourhood)
        .bind(street)
        .bind(number)
        .bind(street.map(|s| text::expand_address(s)))
        .bind(c.hide_identity)
        .bind(serde_json::to_string(&c.field_versions)?)
        .bind(to_millis(c.created_at))
        .bind(to_millis(c.updated_at))
        .bind(c.version)
        .execute(&mut *self.tx)
        .await?;
        let place = district.zip(neighbourhood).map(|(d, n)| (d.as_str(), n.as_str()));
        crate::search_index::index_citizen(&mut self.tx, c.id, &c.full_name, &c.phones, place).await?;
        Ok(())
    }

    async fn request(&mut self, id: Uuid) -> Result<Option<Request>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {REQUEST_COLS} FROM requests WHERE id = ?")))
            .bind(id.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    async fn request_id_by_tracking(&mut self, tracking_no: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM requests WHERE tracking_no = ?")
            .bind(tracking_no)
            .fetch_optional(&mut *self.tx)
            .await?;
        opt_uuid(id)
    }

    async fn put_request(&mut self, r: &Request) -> Result<()> {
        let loc = r.location.as_ref();
        let search_key = text::fold(&format!("{} {}", r.tracking_no, r.description));
        // An upsert, not INSERT OR REPLACE: a changed row is updated in
        // place (same rowid), so the wallboard's triggers see an UPDATE
        // rather than a silent delete and a fresh insert.
        sqlx::query(
            "INSERT INTO requests (id, tracking_no, kind, channel, category, unit, status, priority, \
             district, neighbourhood, address, lat, lon, description, search_key, citizen_id, created_by, \
             assigned_to, duplicate_of, co_reporters, sla_due_at, paused_at, contacts, call_seconds, created_at, \
             updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET tracking_no = excluded.tracking_no, kind = excluded.kind, \
             channel = excluded.channel, category = excluded.category, unit = excluded.unit, \
             status = excluded.status, priority = excluded.priority, district = excluded.district, \
             neighbourhood = excluded.neighbourhood, address = excluded.address, lat = excluded.lat, \
             lon = excluded.lon, description = excluded.description, search_key = excluded.search_key, \
             citizen_id = excluded.citizen_id, created_by = excluded.created_by, \
             assigned_to = excluded.assigned_to, duplicate_of = excluded.duplicate_of, \
             co_reporters = excluded.co_reporters, sla_due_at = excluded.sla_due_at, \
             paused_at = excluded.paused_at, contacts = excluded.contacts, call_seconds = excluded.call_seconds, \
             created_at = excluded.created_at, updated_at = excluded.updated_at, version = excluded.version",
        )
        .bind(r.id.to_string())
        .bind(&r.tracking_no)
        .bind(r.kind.as_str())
        .bind(r.channel.as_str())
        .bind(&r.category)
        .bind(&r.unit)
        .bind(r.status.as_str())
        .bind(r.priority.as_str())
        .bind(loc.map(|l| &l.district))
        .bind(loc.and_then(|l| l.neighbourhood.as_ref()))
        .bind(loc.and_then(|l| l.address.as_ref()))
        .bind(loc.and_then(|l| l.lat))
        .bind(loc.and_then(|l| l.lon))
        .bind(&r.description)
        .bind(search_key)
        .bind(r.citizen_id.map(|c| c.to_string()))
        .bind(r.created_by.to_string())
        .bind(&r.assigned_to)
        .bind(r.duplicate_of.map(|d| d.to_string()))
        .bind(serde_json::to_string(&r.co_reporters)?)
        .bind(to_millis(r.sla_due_at))
        .bind(r.paused_at.map(to_millis))
        .bind(r.contacts as i64)
        .bind(r.call_seconds.map(|s| s as i64))
        .bind(to_millis(r.created_at))
        .bind(to_millis(r.updated_at))
        .bind(r.version)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn append_events(&mut self, request_id: Uuid, seq: i64, events: &[TimelineEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO request_events (id, request_id, seq, at, actor, kind, status, unit, text, internal) ",
        );
        qb.push_values(events, |mut b, e| {
            b.push_bind(e.id.to_string())
                .push_bind(request_id.to_string())
                .push_bind(seq)
                .push_bind(to_millis(e.at))
                .push_bind(e.actor.clone())
                .push_bind(event_kind_str(e.kind))
                .push_bind(e.status.map(|s| s.as_str()))
                .push_bind(e.unit.clone())
                .push_bind(e.text.clone())
                .push_bind(e.internal);
        });
        qb.build().execute(&mut *self.tx).await?;
        // The wallboard's escalation lists read these from the request row.
        let last = |kind: EventKind| events.iter().filter(|e| e.kind == kind).map(|e| to_millis(e.at)).max();
        let (escalated, reopened) = (last(EventKind::Escalated), last(EventKind::Reopened));
        if escalated.is_some() || reopened.is_some() {
            sqlx::query(
                "UPDATE requests SET escalated_at = max(coalesce(escalated_at, ?1), coalesce(?1, escalated_at)), \
                 reopened_at = max(coalesce(reopened_at, ?2), coalesce(?2, reopened_at)) WHERE id = ?3",
            )
            .bind(escalated)
            .bind(reopened)
            .bind(request_id.to_string())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn timeline(&mut self, request_id: Uuid) -> Result<Vec<TimelineEvent>> {
        load_timeline(&mut *self.tx, request_id).await
    }

    async fn units_visited(&mut self, request_id: Uuid) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT unit FROM request_events WHERE request_id = ? AND unit IS NOT NULL \
             AND kind IN ('created', 'forwarded', 'rerouted') ORDER BY at, seq",
        )
        .bind(request_id.to_string())
        .fetch_all(&mut *self.tx)
        .await?)
    }

    async fn audit(&mut self, e: AuditEntry) -> Result<()> {
        let prev = match self.last_audit_hash.take() {
            Some(h) => h,
            None => sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *self.tx)
                .await?
                .unwrap_or_default(),
        };
        let hash = audit_hash(&prev, &e);
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(to_millis(e.at))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(&e.detail)
        .bind(prev)
        .bind(&hash)
        .execute(&mut *self.tx)
        .await?;
        self.last_audit_hash = Some(hash);
        Ok(())
    }

    async fn savepoint(&mut self) -> Result<()> {
        sqlx::query("SAVEPOINT mutation").execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self) -> Result<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT mutation").execute(&mut *self.tx).await?;
        self.last_audit_hash = None;
        Ok(())
    }

    async fn release(&mut self) -> Result<()> {
        sqlx::query("RELEASE SAVEPOINT mutation").execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status lists of the wallboard queries name the domain's open and
    /// running statuses, and appear word for word in the partial indexes.
    #[test]
    fn wallboard_status_lists_match_the_domain_and_the_indexes() {
        let list = |sql: &str| -> Vec<Status> {
            let inner = sql.trim_start_matches("status IN (").trim_end_matches(')');
            inner.split(", ").map(|s| Status::parse(s.trim_matches('\'')).expect("a status")).collect()
        };
        let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        let running: Vec<Status> = Status::ALL.into_iter().filter(|s| s.sla_clock_runs()).collect();
        assert_eq!(list(OPEN_SQL), open);
        assert_eq!(list(RUNNING_SQL), running);
        let migration = include_str!("../../../migrations/sqlite/0002_wallboard.sql");
        assert_eq!(migration.matches(&format!("AND {OPEN_SQL}")).count(), 3);
        assert_eq!(migration.matches(&format!("WHERE {OPEN_SQL}")).count(), 1);
    }
}
