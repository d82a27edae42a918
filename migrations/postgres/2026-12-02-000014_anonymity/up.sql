-- Anonymous purchase (module `anonymity`). No table here holds anything about the buyer: no user,
-- session, client address, agent or e-mail. The private link and the pickup PIN are kept only as
-- keyed hashes; a prepaid card's code only as a keyed hash and its last four characters.
CREATE TABLE pickup_points (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    opening_hours TEXT NOT NULL,
    suspended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The counter staff of each point (pickup role): staff, never buyers.
CREATE TABLE pickup_point_staff (
    user_id TEXT PRIMARY KEY NOT NULL,
    pickup_point_id TEXT NOT NULL REFERENCES pickup_points (id),
    added_at TIMESTAMP NOT NULL
);
CREATE INDEX pickup_point_staff_by_point ON pickup_point_staff (pickup_point_id);

CREATE TABLE prepaid_batches (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    cards BIGINT NOT NULL,
    face_value BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Each card is an account in the e-check ledger (`account_id`), funded from the bank at issue.
CREATE TABLE prepaid_cards (
    id TEXT PRIMARY KEY NOT NULL,
    batch_id TEXT NOT NULL REFERENCES prepaid_batches (id),
    code_hash TEXT NOT NULL UNIQUE,
    last4 TEXT NOT NULL,
    account_id TEXT NOT NULL,
    blocked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX prepaid_cards_by_batch ON prepaid_cards (batch_id);

-- A purchase request's results, kept under a random token so a pick can be checked against them.
CREATE TABLE anon_results (
    token TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    price BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token, offer_code)
);
CREATE INDEX anon_results_by_time ON anon_results (created_at);

CREATE TABLE anon_orders (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    link_hash TEXT NOT NULL UNIQUE,
    pin_hash TEXT NOT NULL,
    pin_generation INTEGER NOT NULL,
    state TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    kind_id TEXT NOT NULL,
    office_id TEXT NOT NULL,
    commodity TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    pay_until TIMESTAMP NOT NULL,
    card_id TEXT,
    hold_id TEXT,
    pickup_point_id TEXT REFERENCES pickup_points (id),
    carrier_code TEXT,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    dispatched_at TIMESTAMP,
    arrived_at TIMESTAMP,
    collected_at TIMESTAMP,
    returned_at TIMESTAMP,
    sent_back_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX anon_orders_by_office ON anon_orders (office_id, created_at);
CREATE INDEX anon_orders_by_state ON anon_orders (state, pay_until);
CREATE INDEX anon_orders_by_point ON anon_orders (pickup_point_id, state);
CREATE INDEX anon_orders_by_carrier ON anon_orders (carrier_code, state);

-- Every change of an anonymous order, with the role that made it (never a person).
CREATE TABLE anon_order_events (
    id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL REFERENCES anon_orders (id),
    state TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX anon_order_events_by_order ON anon_order_events (order_id, at);
