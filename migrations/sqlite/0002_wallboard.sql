-- The shift lead's wallboard (GET /api/v1/stats/*).
--
-- Indexes, not counters. The open backlog by unit and status, overdue and
-- due soon are index range counts on requests_unit_status (unit, status,
-- sla_due_at) from 0001: the open statuses' ranges hold no closed request.
-- Added here: a partial index over the open requests by filing time
-- (aging), one index on filing time for the last days (intake, agents, hot
-- spots), and small partial indexes for the escalation lists. Reads grow
-- with the open backlog and the recent filings, never with the closed
-- history. Counters kept by triggers were measured too: they roughly
-- doubled SQLite's work per filing, for reads the indexes answer in a few
-- milliseconds at a million requests.
--
-- The status lists of the partial indexes must stay word for word the same
-- as in the queries (src/server/store/sqlite.rs, OPEN_SQL): SQLite uses a
-- partial index only when the query repeats its WHERE terms, and the
-- queries name their index (INDEXED BY), so a mismatch fails loudly.

-- Open requests by unit and filing time: aging, and which units have open
-- requests at all.
CREATE INDEX requests_open_age ON requests (unit, created_at)
    WHERE status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');

-- Everything filed recently, covering what the intake, the agents' tallies
-- and the hot spots read.
CREATE INDEX requests_created
    ON requests (created_at, unit, category, district, neighbourhood, channel, created_by, call_seconds);

-- The last escalation (today: re-routed back to a unit it had been with)
-- and the last reopening of each request. The store sets them with the
-- timeline events that record them; here they are filled in for the
-- requests already there.
ALTER TABLE requests ADD COLUMN escalated_at INTEGER;
ALTER TABLE requests ADD COLUMN reopened_at INTEGER;

UPDATE requests SET
    escalated_at = (SELECT max(at) FROM request_events e WHERE e.request_id = requests.id AND e.kind = 'escalated'),
    reopened_at = (SELECT max(at) FROM request_events e WHERE e.request_id = requests.id AND e.kind = 'reopened')
WHERE id IN (SELECT request_id FROM request_events WHERE kind IN ('escalated', 'reopened'));

-- Open requests that were bounced, reopened or chased by the citizen: few,
-- so these indexes stay small.
CREATE INDEX requests_open_escalated ON requests (escalated_at, unit)
    WHERE escalated_at IS NOT NULL AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');
CREATE INDEX requests_open_reopened ON requests (reopened_at, unit)
    WHERE reopened_at IS NOT NULL AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');
CREATE INDEX requests_open_contacts ON requests (contacts, unit)
    WHERE contacts >= 3 AND status IN ('registered', 'forwarded', 'in_progress', 'waiting', 'reopened');

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
