-- Buy-back (module `buyback`, seed 000): the centers and their clerks, which center serves each
-- trade-in-eligible offer, each center's price table, the benefit rules, the applications with
-- their events, and the results reported to the sales center.
CREATE TABLE buyback_centers (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    -- The center that serves offers whose salesperson chose "the default center".
    is_default BOOLEAN NOT NULL,
    -- The grade scale, best first, separated by commas.
    grades TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE buyback_clerks (
    user_id TEXT PRIMARY KEY NOT NULL,
    center_id TEXT NOT NULL REFERENCES buyback_centers (id),
    assigned_at TIMESTAMP NOT NULL
);

-- An offer is trade-in eligible while it has a row here; no center: the default center.
CREATE TABLE buyback_designations (
    offer_id TEXT PRIMARY KEY NOT NULL,
    seller_id TEXT NOT NULL,
    center_id TEXT REFERENCES buyback_centers (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX buyback_designations_by_seller ON buyback_designations (seller_id);

-- Keys are the names lower-cased with single spaces; an empty model is any model of the maker.
CREATE TABLE buyback_prices (
    id TEXT PRIMARY KEY NOT NULL,
    center_id TEXT NOT NULL REFERENCES buyback_centers (id),
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    maker_key TEXT NOT NULL,
    model_key TEXT NOT NULL,
    grade TEXT NOT NULL,
    price BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (center_id, maker_key, model_key, grade)
);

CREATE TABLE buyback_rules (
    id TEXT PRIMARY KEY NOT NULL,
    -- What people call it: "rule 12".
    number BIGINT NOT NULL UNIQUE,
    -- The salesperson whose offers' goods it is for; NULL: an admin's rule for every purchase.
    seller_id TEXT,
    bought_maker TEXT NOT NULL,
    bought_model TEXT NOT NULL,
    used_maker TEXT NOT NULL,
    used_model TEXT NOT NULL,
    bought_maker_key TEXT NOT NULL,
    bought_model_key TEXT NOT NULL,
    used_maker_key TEXT NOT NULL,
    used_model_key TEXT NOT NULL,
    benefit_kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    valid_from TIMESTAMP,
    valid_until TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP
);
CREATE INDEX buyback_rules_by_conditions ON buyback_rules (bought_maker_key, bought_model_key, used_maker_key, used_model_key);

CREATE TABLE buyback_applications (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    -- SHA-256 of the private status link's secret.
    link_hash TEXT NOT NULL UNIQUE,
    center_id TEXT NOT NULL REFERENCES buyback_centers (id),
    order_number TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    -- Who bought the goods (and is paid); who applied, when logged in.
    buyer_id TEXT NOT NULL,
    applicant_id TEXT,
    bought_maker TEXT NOT NULL,
    bought_model TEXT NOT NULL,
    used_maker TEXT NOT NULL,
    used_model TEXT NOT NULL,
    stated_grade TEXT NOT NULL,
    serial TEXT NOT NULL,
    note TEXT NOT NULL,
    -- The personal data as entered; erased some time after the application ends.
    applicant_name TEXT NOT NULL,
    applicant_contact TEXT NOT NULL,
    erased_at TIMESTAMP,
    estimate BIGINT,
    rule_number BIGINT,
    benefit_kind TEXT,
    benefit_amount BIGINT NOT NULL,
    grade TEXT,
    price BIGINT,
    benefit_cash BIGINT NOT NULL,
    benefit_points BIGINT NOT NULL,
    state TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
-- One application per purchased order line (a withdrawn one leaves room for another).
CREATE UNIQUE INDEX buyback_applications_one_per_line ON buyback_applications (order_number, offer_code)
    WHERE state <> 'withdrawn';
CREATE INDEX buyback_applications_by_center ON buyback_applications (center_id, state, updated_at);
CREATE INDEX buyback_applications_by_applicant ON buyback_applications (applicant_id, created_at);
CREATE INDEX buyback_applications_to_erase ON buyback_applications (ended_at) WHERE erased_at IS NULL;

CREATE TABLE buyback_events (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES buyback_applications (id),
    state TEXT NOT NULL,
    actor_id TEXT,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX buyback_events_of ON buyback_events (application_id, at);

-- What the sales center learns of each paid buy-back (no personal data).
CREATE TABLE buyback_results (
    application_id TEXT PRIMARY KEY NOT NULL REFERENCES buyback_applications (id),
    center_id TEXT NOT NULL REFERENCES buyback_centers (id),
    seller_id TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    bought_maker TEXT NOT NULL,
    bought_model TEXT NOT NULL,
    used_maker TEXT NOT NULL,
    used_model TEXT NOT NULL,
    grade TEXT NOT NULL,
    price BIGINT NOT NULL,
    benefit_cash BIGINT NOT NULL,
    benefit_points BIGINT NOT NULL,
    rule_number BIGINT,
    paid_at TIMESTAMP NOT NULL
);
CREATE INDEX buyback_results_by_seller ON buyback_results (seller_id, paid_at);
CREATE INDEX buyback_results_by_time ON buyback_results (paid_at);
