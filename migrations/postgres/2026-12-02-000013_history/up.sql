-- The sales history and the preference store (module `history`). Nothing here identifies a buyer:
-- no person, no order number, sales by the day and requests by the hour, and random row IDs.
CREATE TABLE sales (
    id TEXT PRIMARY KEY NOT NULL,
    day TIMESTAMP NOT NULL,
    channel TEXT NOT NULL,
    kind_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    office_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    currency TEXT NOT NULL
);
CREATE INDEX sales_by_day ON sales (day, kind_id);
CREATE INDEX sales_by_office ON sales (office_id, day);

CREATE TABLE purchase_requests (
    id TEXT PRIMARY KEY NOT NULL,
    asked_hour TIMESTAMP NOT NULL,
    kind_id TEXT,
    maker TEXT,
    price_max BIGINT,
    currency TEXT NOT NULL,
    matches BIGINT NOT NULL
);
CREATE INDEX purchase_requests_by_hour ON purchase_requests (asked_hour, kind_id);

-- One row per characteristic asked: a number range (min and/or max) or one word allowed.
CREATE TABLE request_constraints (
    request_id TEXT NOT NULL REFERENCES purchase_requests (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    characteristic TEXT NOT NULL,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    word TEXT,
    PRIMARY KEY (request_id, position)
);
