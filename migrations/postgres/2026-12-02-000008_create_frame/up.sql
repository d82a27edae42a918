-- The frame's own tables (module `web`): claims of idempotency keys and the attempt limiter's
-- counters. Both are shared by every module and hold no personal data.

-- A write that must not happen twice claims its form's key first, in its own transaction; a second
-- submit of the form finds the claim (on PostgreSQL it waits for the first transaction to end) and
-- answers with the first one's result. `request` says who asked for what: the same key with
-- another request is refused.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Attempts at a secret people type (a password, a PIN, an order number with personal data),
-- counted per target: what is tried (`what`: login, check_id, ...) and a keyed hash of whom or
-- what it is tried on, never the target itself. In the database, so that the limit holds across
-- every instance of the shop. The wait before the next attempt follows from the two counts.
CREATE TABLE attempts (
    what TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (what, key_hash)
);
CREATE INDEX attempts_by_age ON attempts (last_at);
