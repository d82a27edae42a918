-- The cartridge collection (module `collection`): members with their collection card numbers,
-- cartridges received at the desk, cartridges bought (told by `orders`), the points rules as
-- published versions, the points ledger of lots and entries, rewards and their claims.
CREATE TABLE collection_members (
    user_id TEXT PRIMARY KEY NOT NULL,
    card_number TEXT NOT NULL UNIQUE,
    -- The sum of the member's points entries, changed in the same transaction as they are.
    points_balance BIGINT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    -- The figures the member's pages show, computed by every change of points, records or
    -- purchases, and good from `figures_from` until `figures_until` (when a lot expires or enters
    -- the 30 days' warning, or a purchase or a record leaves the 12 months' window); NULL: compute
    -- them on reading.
    figures_available BIGINT NOT NULL DEFAULT 0,
    figures_expiring BIGINT NOT NULL DEFAULT 0,
    figures_bought BIGINT NOT NULL DEFAULT 0,
    figures_collected BIGINT NOT NULL DEFAULT 0,
    figures_collected_ever BIGINT NOT NULL DEFAULT 0,
    figures_from TIMESTAMP,
    figures_until TIMESTAMP
);

CREATE TABLE collection_records (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES collection_members (user_id),
    idempotency_key TEXT NOT NULL UNIQUE,
    cartridge TEXT NOT NULL,
    cartridge_name TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    reusable BOOLEAN NOT NULL,
    -- A correction names the record it reverses; a record is reversed at most once.
    reverses_id TEXT UNIQUE REFERENCES collection_records (id),
    reason TEXT NOT NULL,
    points BIGINT NOT NULL,
    clerk_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX collection_records_by_member ON collection_records (user_id, created_at);

CREATE TABLE cartridges_bought (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    -- What told of the purchase (an order), so it is counted once.
    source TEXT NOT NULL UNIQUE,
    quantity BIGINT NOT NULL,
    bought_at TIMESTAMP NOT NULL
);
CREATE INDEX cartridges_bought_by_user ON cartridges_bought (user_id, bought_at);

CREATE TABLE points_rules (
    id TEXT PRIMARY KEY NOT NULL,
    points_reusable BIGINT NOT NULL,
    points_other BIGINT NOT NULL,
    -- Rate tiers as "rate%:multiplier%" pairs, e.g. "50:150 80:200".
    tiers TEXT NOT NULL,
    monthly_cap BIGINT NOT NULL,
    allowance BIGINT NOT NULL,
    expiry_months INTEGER NOT NULL,
    point_value BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- The catalog kinds (codes, space separated) whose goods are cartridges.
    cartridge_kinds TEXT NOT NULL,
    changed_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX points_rules_by_time ON points_rules (created_at);

CREATE TABLE points_lots (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES collection_members (user_id),
    points BIGINT NOT NULL,
    remaining BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX points_lots_by_member ON points_lots (user_id, expires_at);
CREATE INDEX points_lots_to_expire ON points_lots (expires_at) WHERE remaining > 0;

CREATE TABLE points_entries (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES collection_members (user_id),
    kind TEXT NOT NULL,
    points BIGINT NOT NULL,
    -- The lot an earning made, the lot that expired, or the one lot a take took from (a take
    -- from several lots lists them in points_takes).
    lot_id TEXT REFERENCES points_lots (id),
    reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_id TEXT,
    -- What may happen only once (a redemption for an order, its restoring): its name.
    once_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX points_entries_by_member ON points_entries (user_id, created_at);
CREATE INDEX points_entries_by_reference ON points_entries (reference);

-- Which lots an entry that took points from more than one lot took them from.
CREATE TABLE points_takes (
    entry_id TEXT NOT NULL REFERENCES points_entries (id),
    lot_id TEXT NOT NULL REFERENCES points_lots (id),
    points BIGINT NOT NULL,
    PRIMARY KEY (entry_id, lot_id)
);

CREATE TABLE rewards (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    points BIGINT NOT NULL,
    stock BIGINT NOT NULL CHECK (stock >= 0),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE reward_claims (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES collection_members (user_id),
    reward_id TEXT NOT NULL REFERENCES rewards (id),
    points BIGINT NOT NULL,
    state TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    entry_id TEXT NOT NULL REFERENCES points_entries (id),
    decided_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reward_claims_by_member ON reward_claims (user_id, created_at);
CREATE INDEX reward_claims_by_state ON reward_claims (state, created_at);
