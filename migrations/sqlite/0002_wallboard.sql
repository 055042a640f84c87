-- The shift lead's wallboard (GET /api/v1/stats/*). Everything here is kept
-- inside the transaction that writes the request, by triggers, so no
-- write path can forget it and a bulk load stays consistent:
--
-- - counters for what only changes on a write (requests per unit and
--   status; filings per hour and channel, and per hour and user);
-- - partial indexes over the *open* requests for what changes with the
--   clock (overdue, due soon, aging), read as per-unit range counts, so
--   those reads grow with the open backlog, never with the closed history;
-- - a full index on filing time for the last 24 hours (hot spots).
--
-- The status lists in the partial indexes must stay word for word the same
-- as in the queries (src/server/store/sqlite.rs, OPEN_SQL and RUNNING_SQL):
-- SQLite uses a partial index only when the query repeats its WHERE terms,
-- and the queries name their index (INDEXED BY), so a mismatch fails loudly.

-- Requests per unit and status.
CREATE TABLE request_counts (
    unit   TEXT NOT NULL,
    status TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (unit, status)
) WITHOUT ROWID;

-- Requests filed per UTC hour (created_at / 3600000; Istanbul is a whole
-- number of hours from UTC) and channel: the intake.
CREATE TABLE request_hourly (
    hour    INTEGER NOT NULL,
    channel TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (hour, channel)
) WITHOUT ROWID;

-- Requests filed per UTC hour and filing user, with how many carry a call
-- duration and its sum: the agents' tallies.
CREATE TABLE user_hourly (
    hour         INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    n            INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    call_seconds INTEGER NOT NULL,
    PRIMARY KEY (hour, created_by)
) WITHOUT ROWID;

INSERT INTO request_counts (unit, status, n)
SELECT unit, status, count(*) FROM requests GROUP BY unit, status;

INSERT INTO request_hourly (hour, channel, n)
SELECT created_at / 3600000, channel, count(*) FROM requests GROUP BY 1, 2;

INSERT INTO user_hourly (hour, created_by, n, calls, call_seconds)
SELECT created_at / 3600000, created_by, count(*), count(call_seconds), coalesce(sum(call_seconds), 0)
FROM requests GROUP BY 1, 2;

-- The store writes requests with an UPSERT (INSERT ... ON CONFLICT DO
-- UPDATE), so a change of a row fires the UPDATE triggers, never a hidden
-- delete and insert.
CREATE TRIGGER requests_stats_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO request_counts (unit, status, n) VALUES (NEW.unit, NEW.status, 1)
        ON CONFLICT (unit, status) DO UPDATE SET n = n + 1;
    INSERT INTO request_hourly (hour, channel, n) VALUES (NEW.created_at / 3600000, NEW.channel, 1)
        ON CONFLICT (hour, channel) DO UPDATE SET n = n + 1;
    INSERT INTO user_hourly (hour, created_by, n, calls, call_seconds)
        VALUES (NEW.created_at / 3600000, NEW.created_by, 1,
                NEW.call_seconds IS NOT NULL, coalesce(NEW.call_seconds, 0))
        ON CONFLICT (hour, created_by) DO UPDATE SET
            n = n + 1, calls = calls + excluded.calls, call_seconds = call_seconds + excluded.call_seconds;
END;

CREATE TRIGGER requests_stats_delete AFTER DELETE ON requests
BEGIN
    UPDATE request_counts SET n = n - 1 WHERE unit = OLD.unit AND status = OLD.status;
    UPDATE request_hourly SET n = n - 1 WHERE hour = OLD.created_at / 3600000 AND channel = OLD.channel;
    UPDATE user_hourly SET
        n = n - 1, calls = calls - (OLD.call_seconds IS NOT NULL), call_seconds = call_seconds - coalesce(OLD.call_seconds, 0)
    WHERE hour = OLD.created_at / 3600000 AND created_by = OLD.created_by;
END;

CREATE TRIGGER requests_stats_status AFTER UPDATE OF unit, status ON requests
WHEN OLD.unit IS NOT NEW.unit OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE request_counts SET n = n - 1 WHERE unit = OLD.unit AND status = OLD.status;
    INSERT INTO request_counts (unit, status, n) VALUES (NEW.unit, NEW.status, 1)
        ON CONFLICT (unit, status) DO UPDATE SET n = n + 1;
END;

-- Filing time, channel, filer and call duration never change after filing
-- today; these keep the counters right if they ever do.
CREATE TRIGGER requests_stats_channel AFTER UPDATE OF created_at, channel ON requests
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.channel IS NOT NEW.channel
BEGIN
    UPDATE request_hourly SET n = n - 1 WHERE hour = OLD.created_at / 3600000 AND channel = OLD.channel;
    INSERT INTO request_hourly (hour, channel, n) VALUES (NEW.created_at / 3600000, NEW.channel, 1)
        ON CONFLICT (hour, channel) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER requests_stats_user AFTER UPDATE OF created_at, created_by, call_seconds ON requests
WHEN OLD.created_at IS NOT NEW.created_at OR OLD.created_by IS NOT NEW.created_by
    OR OLD.call_seconds IS NOT NEW.call_seconds
BEGIN
    UPDATE user_hourly SET
        n = n - 1, calls = calls - (OLD.call_seconds IS NOT NULL), call_seconds = call_seconds - coalesce(OLD.call_seconds, 0)
    WHERE hour = OLD.created_at / 3600000 AND created_by = OLD.created_by;
    INSERT INTO user_hourly (hour, created_by, n, calls, call_seconds)
        VALUES (NEW.created_at / 3600000, NEW.created_by, 1,
                NEW.call_seconds IS NOT NULL, coalesce(NEW.call_seconds, 0))
        ON CONFLICT (hour, created_by) DO UPDATE SET
            n = n + 1, calls = calls + excluded.calls, call_seconds = call_seconds + excluded.call_seconds;
END;

-- The last escalation (today: re-routed back to a unit it had been with)
-- and the last reopening of each request, from its timeline.
ALTER TABLE requests ADD COLUMN escalated_at INTEGER;
ALTER TABLE requests ADD COLUMN reopened_at INTEGER;

UPDATE requests SET
    escalated_at = (SELECT max(at) FROM request_events e WHERE e.request_id = requests.id AND e.kind = 'escalated'),
    reopened_at = (SELECT max(at) FROM request_events e WHERE e.request_id = requests.id AND e.kind = 'reopened')
WHERE id IN (SELECT request_id FROM request_events WHERE kind IN ('escalated', 'reopened'));

CREATE TRIGGER request_events_escalations AFTER INSERT ON request_events
WHEN NEW.kind IN ('escalated', 'reopened')
BEGIN
    UPDATE requests SET
        escalated_at = CASE WHEN NEW.kind = 'escalated' THEN max(coalesce(escalated_at, NEW.at), NEW.at)
                            ELSE escalated_at END,
        reopened_at = CASE WHEN NEW.kind = 'reopened' THEN max(coalesce(reopened_at, NEW.at), NEW.at)
                           ELSE reopened_at END
    WHERE id = NEW.request_id;
END;

-- Open requests whose SLA clock runs (open and not waiting), by due time:
-- overdue and due-soon counts, the breach and forecast lists.
CREATE INDEX requests_running_due ON requests (sla_due_at, unit)
    WHERE status IN ('registered', 'forwarded', 'in_progress', 'reopened');
CREATE INDEX requests_running_unit_due ON requests (unit, sla_due_at)
    WHERE status IN ('registered', 'forwarded', 'in_progress', 'reopened');

-- Open requests by unit and filing time: aging.
CREATE INDEX requests_open_unit_created ON requests (unit, created_at)
    WHERE status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');

-- Open requests that were bounced, reopened or chased by the citizen.
CREATE INDEX requests_open_escalated ON requests (escalated_at, unit)
    WHERE escalated_at IS NOT NULL AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');
CREATE INDEX requests_open_reopened ON requests (reopened_at, unit)
    WHERE reopened_at IS NOT NULL AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');
CREATE INDEX requests_open_contacts ON requests (contacts, unit)
    WHERE contacts >= 3 AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');

-- Everything filed recently: hot spots (category x place in the last 24 h).
CREATE INDEX requests_created ON requests (created_at, unit, category, district, neighbourhood);

-- Calls the phone system reported finished (POST /cti/calls). No caller
-- numbers: the wallboard needs durations, not who called.
CREATE TABLE cti_calls (
    id          INTEGER PRIMARY KEY,
    extension   TEXT NOT NULL,
    username    TEXT,
    ringing_at  INTEGER,
    answered_at INTEGER,
    ended_at    INTEGER NOT NULL
);
CREATE INDEX cti_calls_ended ON cti_calls (ended_at, extension, username, answered_at);
