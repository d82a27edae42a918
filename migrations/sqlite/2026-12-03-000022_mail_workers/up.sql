-- When each outbox worker last showed it was alive (at each claim and each result it records). A
-- claim of a worker not seen for a minute is free before its lease runs out: after a crash, the
-- e-mails it had claimed go out within a minute instead of five.
CREATE TABLE mail_workers (
    worker TEXT PRIMARY KEY NOT NULL,
    seen_at TIMESTAMP NOT NULL
);
