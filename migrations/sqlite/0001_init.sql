-- Beyaz Masa central store, SQLite flavour. Times are Unix milliseconds (UTC).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Counters updated inside write transactions: change_seq orders the change
-- feed in commit order; serial numbers tracking numbers.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('change_seq', 0), ('serial', 0);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    units         TEXT NOT NULL DEFAULT '[]',
    extension     TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX users_extension ON users (extension) WHERE extension IS NOT NULL;

CREATE TABLE tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    device_id   TEXT NOT NULL,
    device_name TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) WITHOUT ROWID;

CREATE TABLE citizens (
    id            TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    phones        TEXT NOT NULL DEFAULT '[]',
    tckn          TEXT,
    email         TEXT,
    district      TEXT,
    neighbourhood TEXT,
    street        TEXT,
    number        TEXT,
    street_key    TEXT,
    hide_identity INTEGER NOT NULL DEFAULT 0,
    field_versions TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL
);
CREATE INDEX citizens_tckn ON citizens (tckn) WHERE tckn IS NOT NULL;
CREATE INDEX citizens_place ON citizens (district, neighbourhood, street_key, number, id);

-- Search indexes, maintained with the citizen row.
CREATE TABLE citizen_phones (
    phone      TEXT NOT NULL,
    last4      TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    PRIMARY KEY (phone, citizen_id)
) WITHOUT ROWID;
CREATE INDEX citizen_phones_last4 ON citizen_phones (last4);
CREATE INDEX citizen_phones_citizen ON citizen_phones (citizen_id);

CREATE TABLE citizen_name_tokens (
    token      TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    PRIMARY KEY (token, citizen_id)
) WITHOUT ROWID;
CREATE INDEX citizen_name_tokens_citizen ON citizen_name_tokens (citizen_id, token);

-- Distinct name tokens, for typo-tolerant lookup (grouped by first letter).
CREATE TABLE name_vocab (
    token TEXT PRIMARY KEY,
    first TEXT NOT NULL,
    uses  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX name_vocab_first ON name_vocab (first);

CREATE TABLE requests (
    id            TEXT PRIMARY KEY,
    tracking_no   TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    category      TEXT NOT NULL,
    unit          TEXT NOT NULL,
    status        TEXT NOT NULL,
    priority      TEXT NOT NULL,
    district      TEXT,
    neighbourhood TEXT,
    address       TEXT,
    lat           REAL,
    lon           REAL,
    description   TEXT NOT NULL,
    search_key    TEXT NOT NULL,
    citizen_id    TEXT,
    created_by    TEXT NOT NULL,
    assigned_to   TEXT,
    duplicate_of  TEXT,
    co_reporters  TEXT NOT NULL DEFAULT '[]',
    sla_due_at    INTEGER NOT NULL,
    paused_at     INTEGER,
    contacts      INTEGER NOT NULL DEFAULT 0,
    call_seconds  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL
);
CREATE INDEX requests_citizen ON requests (citizen_id, created_at) WHERE citizen_id IS NOT NULL;
CREATE INDEX requests_unit_status ON requests (unit, status, sla_due_at);
CREATE INDEX requests_status ON requests (status, sla_due_at);
CREATE INDEX requests_category_place ON requests (category, district, neighbourhood, created_at);

CREATE TABLE request_events (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT,
    unit       TEXT,
    text       TEXT,
    internal   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX request_events_request ON request_events (request_id, at);

-- The change feed: the latest change of each entity, by change sequence.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL
);
CREATE UNIQUE INDEX changes_entity ON changes (entity, entity_id);

CREATE TABLE processed_mutations (
    device_id   TEXT NOT NULL,
    mutation_id TEXT NOT NULL,
    result      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (device_id, mutation_id)
) WITHOUT ROWID;

CREATE TABLE serial_blocks (
    device_id TEXT NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX serial_blocks_device ON serial_blocks (device_id, start);

-- Append-only, hash-chained.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
