-- Carts, orders and their life (seeds 002 and 003).

-- A logged-in shopper's cart (visitors keep theirs in the session). The price seen when the offer
-- was added is kept, so a change is shown before the order is placed.
CREATE TABLE cart_items (
    user_id TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    seen_price BIGINT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, offer_code)
);

-- Makers (manufacturers) as the order flow knows them: whether their goods need the maker's
-- approval of each order (seed 002, steps S9 and S10), and which users act for them.
CREATE TABLE makers (
    name TEXT PRIMARY KEY NOT NULL,
    requires_approval BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE maker_staff (
    user_id TEXT PRIMARY KEY NOT NULL,
    maker TEXT NOT NULL REFERENCES makers (name) ON DELETE CASCADE,
    added_at TIMESTAMP NOT NULL
);

-- One order per selling office of a checkout. The delivery address is an ID into the accounts'
-- delivery addresses: no personal data here.
CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    buyer_id TEXT NOT NULL,
    office_id TEXT NOT NULL,
    state TEXT NOT NULL,
    payment TEXT NOT NULL,
    check_code TEXT,
    carrier_code TEXT NOT NULL,
    total BIGINT NOT NULL CHECK (total > 0),
    currency TEXT NOT NULL,
    delivery_address_id TEXT NOT NULL,
    delivery_wish TEXT NOT NULL,
    needs_approval BOOLEAN NOT NULL,
    cash_collected BIGINT,
    idempotency_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (buyer_id, idempotency_key, office_id),
    CHECK (state IN ('placed', 'price_confirmed', 'approved', 'shipped', 'delivered', 'cancelled')),
    CHECK (payment IN ('echeck', 'cash'))
);
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_by_office ON orders (office_id, created_at);
CREATE INDEX orders_by_carrier ON orders (carrier_code, state, created_at);
-- The automatic cancellation looks only at orders still waiting for their price confirmation.
CREATE INDEX orders_awaiting_confirmation ON orders (created_at) WHERE state = 'placed';

-- What was bought, as it was when bought (kind, maker, model, name and prices are copied so the
-- order reads the same after the offer changes).
CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id),
    offer_id TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price BIGINT NOT NULL,
    list_price BIGINT NOT NULL,
    PRIMARY KEY (order_id, offer_id)
);

-- One row per maker whose approval an order waits for.
CREATE TABLE order_approvals (
    order_id TEXT NOT NULL REFERENCES orders (id),
    maker TEXT NOT NULL,
    state TEXT NOT NULL,
    actor_id TEXT,
    decided_at TIMESTAMP,
    PRIMARY KEY (order_id, maker),
    CHECK (state IN ('pending', 'approved', 'rejected'))
);
CREATE INDEX approvals_pending ON order_approvals (maker) WHERE state = 'pending';

-- The order's timeline: every change of state, by whom, when and why.
CREATE TABLE order_events (
    id TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders (id),
    state TEXT NOT NULL,
    actor_id TEXT,
    actor_role TEXT NOT NULL,
    note TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX order_events_by_order ON order_events (order_id, at);
