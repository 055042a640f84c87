-- Pairs of a citizen's search tokens, so a query of two or more words (or
-- a name and a neighbourhood) starts from the few citizens holding both,
-- not from everyone holding the commoner one. A citizen's neighbourhood is
-- one of its tokens, `@DISTRICT/Neighbourhood`, which sorts before every
-- name token; a pair is `a b` with a < b.

INSERT OR IGNORE INTO citizen_name_tokens (token, citizen_id)
SELECT '@' || district || '/' || neighbourhood, id FROM citizens
WHERE district IS NOT NULL AND neighbourhood IS NOT NULL;

CREATE TABLE citizen_name_pairs (
    pair       TEXT NOT NULL,
    citizen_id TEXT NOT NULL,
    PRIMARY KEY (pair, citizen_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO citizen_name_pairs (pair, citizen_id)
SELECT a.token || ' ' || b.token, a.citizen_id
FROM citizen_name_tokens a JOIN citizen_name_tokens b ON b.citizen_id = a.citizen_id AND a.token < b.token;

-- Address search reads a neighbourhood's residents by street (the
-- citizens_place index) or by door number.
CREATE INDEX citizens_place_number ON citizens (district, neighbourhood, number);
