-- The console's offline cache: server state, the local view (server state
-- with pending mutations re-applied) and the outbox, in one file.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE citizens (
    id          TEXT PRIMARY KEY,
    -- Last state the server sent (NULL for a citizen created here, not yet pushed).
    server      TEXT,
    -- What the console shows: server state with pending mutations re-applied.
    view        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    tckn        TEXT,
    district    TEXT,
    neighbourhood TEXT,
    street_key  TEXT,
    number      TEXT
);
CREATE INDEX citizens_tckn ON citizens (tckn) WHERE tckn IS NOT NULL;
CREATE INDEX citizens_place ON citizens (district, neighbourhood, street_key, number, id);

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

CREATE TABLE name_vocab (
    token TEXT PRIMARY KEY,
    first TEXT NOT NULL,
    uses  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX name_vocab_first ON name_vocab (first);

CREATE TABLE requests (
    id          TEXT PRIMARY KEY,
    server      TEXT,
    view        TEXT NOT NULL,
    citizen_id  TEXT,
    tracking_no TEXT NOT NULL,
    unit        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX requests_citizen ON requests (citizen_id, created_at);
CREATE INDEX requests_unit ON requests (unit, status);
CREATE INDEX requests_tracking ON requests (tracking_no);

-- Every local change, in order. Rows leave only when the server has
-- answered `applied` or `duplicate`; rejected and conflicting ones stay,
-- shown to the user, and hold back later mutations of the same record.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbox_entity ON outbox (entity_id, seq);

-- Tracking-number serials this device may issue offline.
CREATE TABLE serial_blocks (
    start INTEGER PRIMARY KEY,
    end   INTEGER NOT NULL,
    next  INTEGER NOT NULL
);
