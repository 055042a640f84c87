-- Columns and indexes for the console's lists of open requests: the
-- duplicate radar (same category, same neighbourhood, recent) and a unit's
-- queue (by SLA due time). Like the other request columns they are copied
-- from the view; places as the server stores them (district code, canonical
-- neighbourhood name), which is also what the local overlay writes.
ALTER TABLE requests ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN district TEXT;
ALTER TABLE requests ADD COLUMN neighbourhood TEXT;
-- Unix milliseconds, like created_at.
ALTER TABLE requests ADD COLUMN sla_due_at INTEGER NOT NULL DEFAULT 0;

UPDATE requests SET
    category = coalesce(json_extract(view, '$.category'), ''),
    district = json_extract(view, '$.location.district'),
    neighbourhood = json_extract(view, '$.location.neighbourhood'),
    -- Times are RFC 3339 in UTC ("2025-03-04T05:06:07.123456789Z"): whole
    -- seconds, then the first three digits of the fraction, if any.
    sla_due_at = coalesce(
        CAST(strftime('%s', substr(json_extract(view, '$.sla_due_at'), 1, 19)) AS INTEGER) * 1000
        + CASE WHEN substr(json_extract(view, '$.sla_due_at'), 20, 1) = '.'
               THEN CAST(substr(rtrim(substr(json_extract(view, '$.sla_due_at'), 21), 'Z') || '000', 1, 3) AS INTEGER)
               ELSE 0 END,
        0);

-- Partial indexes over open requests only. The condition must stay word for
-- word what `OPEN_SQL` in src/client/cache.rs says, or SQLite will not use them.
CREATE INDEX requests_open_nearby ON requests (category, district, neighbourhood, created_at, id)
    WHERE status NOT IN ('resolved','informed','closed','out_of_remit','duplicate','cancelled');
CREATE INDEX requests_open_due ON requests (unit, sla_due_at, id)
    WHERE status NOT IN ('resolved','informed','closed','out_of_remit','duplicate','cancelled');
