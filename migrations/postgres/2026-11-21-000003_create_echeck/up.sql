-- The electronic check managing site (seed 003): registries of selling offices and distributing
-- companies, a double-entry ledger, and checks as holds on it.

CREATE TABLE selling_offices (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    fax TEXT NOT NULL,
    bank TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    suspended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE carriers (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    suspended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who works for which office or carrier: a salesperson belongs to one selling office, a carrier's
-- user to one distributing company.
CREATE TABLE office_staff (
    user_id TEXT PRIMARY KEY NOT NULL,
    office_id TEXT NOT NULL REFERENCES selling_offices (id) ON DELETE CASCADE,
    added_at TIMESTAMP NOT NULL
);
CREATE INDEX office_staff_by_office ON office_staff (office_id);

CREATE TABLE carrier_staff (
    user_id TEXT PRIMARY KEY NOT NULL,
    carrier_id TEXT NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
    added_at TIMESTAMP NOT NULL
);
CREATE INDEX carrier_staff_by_carrier ON carrier_staff (carrier_id);

-- Registered, edited, suspended, reinstated, staff added: the registries' history.
CREATE TABLE registry_events (
    id TEXT PRIMARY KEY NOT NULL,
    subject_id TEXT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX registry_events_by_subject ON registry_events (subject_id, at);

-- One row of settings the administrators change on /admin/echeck.
CREATE TABLE echeck_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    currency TEXT NOT NULL,
    default_credit_line BIGINT NOT NULL CHECK (default_credit_line >= 0),
    hold_hours INTEGER NOT NULL CHECK (hold_hours > 0),
    updated_at TIMESTAMP NOT NULL
);

-- balance: posted credits minus posted debits. held: the sum of this account's pending debits.
-- Every account but the bank's (through which money enters and leaves the books) keeps
-- balance + credit_line - held >= 0; the CHECK is the last line behind the conditional updates.
CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- The user (shopper), the office (selling office), or the kind itself (platform, bank).
    owner_key TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance BIGINT NOT NULL,
    held BIGINT NOT NULL CHECK (held >= 0),
    credit_line BIGINT NOT NULL CHECK (credit_line >= 0),
    external BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (kind, owner_key),
    CHECK (external OR balance + credit_line - held >= 0)
);

-- A check: the buyer's promise to pay a selling office, backed by a hold on the buyer's credit.
CREATE TABLE echecks (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    buyer_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    office_id TEXT NOT NULL REFERENCES selling_offices (id),
    carrier_id TEXT NOT NULL REFERENCES carriers (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- issued, paid, voided, expired
    state TEXT NOT NULL,
    paid_amount BIGINT,
    expires_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    delivery_report TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (buyer_account_id, idempotency_key)
);
CREATE INDEX echecks_by_office ON echecks (office_id, created_at);

-- Keyed by check first: a check's history is one range, and writing it touches one b-tree.
CREATE TABLE echeck_events (
    check_id TEXT NOT NULL REFERENCES echecks (id),
    id TEXT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (check_id, id)
);

-- A movement of money from one account to another. pending: a hold on the debit account;
-- posted: moved (posted_amount, at most amount; the rest of a hold goes back); voided: released.
CREATE TABLE ledger_transfers (
    id TEXT PRIMARY KEY NOT NULL,
    debit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    posted_amount BIGINT,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    check_id TEXT REFERENCES echecks (id),
    idempotency_key TEXT,
    reason TEXT NOT NULL,
    actor_id TEXT,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    CHECK (debit_account_id <> credit_account_id),
    CHECK (posted_amount IS NULL OR (posted_amount > 0 AND posted_amount <= amount))
);
CREATE UNIQUE INDEX ledger_transfers_by_check ON ledger_transfers (check_id) WHERE check_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_transfers_by_key ON ledger_transfers (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Only pending transfers (holds) are indexed by expiry: the index stays as small as the number of
-- open holds, and posting a hold takes it out. Queries name the state as a literal to use them.
CREATE INDEX pending_holds_by_expiry ON ledger_transfers (expires_at) WHERE state = 'pending';
CREATE INDEX pending_holds_by_account ON ledger_transfers (debit_account_id, expires_at) WHERE state = 'pending';

-- The two sides of each posted transfer, with the account's balance after it: the statement.
CREATE TABLE ledger_entries (
    account_id TEXT NOT NULL REFERENCES ledger_accounts (id),
    id TEXT NOT NULL,
    transfer_id TEXT NOT NULL REFERENCES ledger_transfers (id),
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, id)
);
