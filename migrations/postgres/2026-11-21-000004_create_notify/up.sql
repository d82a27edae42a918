-- The outbox: e-mails written in the same transaction as the change they announce, sent later by
-- a worker. A worker claims a row for a while (claimed_by, claimed_until) before sending it, so two
-- instances never send one e-mail twice; a crashed worker's claim runs out and another takes over.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    topic TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    CHECK (state IN ('pending', 'sent', 'failed'))
);
-- Only unsent mail is indexed by due time: the index stays as small as the queue.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_time ON outbox (created_at);
