-- Kinds of goods and the characteristics each kind declares (seed 004: purchase requests by kind
-- and characteristics; seed 003: the commodity database).
CREATE TABLE kinds (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE characteristics (
    id TEXT PRIMARY KEY NOT NULL,
    kind_id TEXT NOT NULL REFERENCES kinds (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    unit TEXT NOT NULL,
    is_number BOOLEAN NOT NULL,
    -- For words: the allowed values, one per line; empty means any word.
    allowed_words TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (kind_id, name)
);

CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    kind_id TEXT NOT NULL REFERENCES kinds (id),
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    is_consumable BOOLEAN NOT NULL,
    -- Lower-case name, maker and model, for the free-text search.
    search_text TEXT NOT NULL,
    -- The first characteristics as one line ("Processor speed 2400 MHz · Memory 16 GB"), kept
    -- with the product so a page of search results needs no join over its values.
    summary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (maker, model)
);
CREATE INDEX products_by_kind_maker ON products (kind_id, maker);

-- Characteristic values in typed columns, so that range filters use an index. The key INCLUDEs
-- the value: the search's per-offer check "this product's value for that characteristic" is then
-- answered from the index alone.
CREATE TABLE product_numbers (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    characteristic_id TEXT NOT NULL REFERENCES characteristics (id) ON DELETE CASCADE,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (product_id, characteristic_id) INCLUDE (value)
);
CREATE INDEX product_numbers_by_value ON product_numbers (characteristic_id, value, product_id);

CREATE TABLE product_words (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    characteristic_id TEXT NOT NULL REFERENCES characteristics (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    PRIMARY KEY (product_id, characteristic_id) INCLUDE (value)
);
CREATE INDEX product_words_by_value ON product_words (characteristic_id, value, product_id);

-- Which equipment models a consumable fits (seed 002: toner for a printer model).
CREATE TABLE product_fits (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    PRIMARY KEY (product_id, maker, model)
);
CREATE INDEX product_fits_by_equipment ON product_fits (maker, model);

-- One salesperson's offer of a product. kind_id repeats the product's (which never changes) so the
-- catalog search walks one index in price order.
CREATE TABLE offers (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    product_id TEXT NOT NULL REFERENCES products (id),
    kind_id TEXT NOT NULL REFERENCES kinds (id),
    seller_id TEXT NOT NULL,
    price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    stock BIGINT NOT NULL,
    guarantee_months INTEGER NOT NULL,
    onsite_service BOOLEAN NOT NULL,
    trade_in BOOLEAN NOT NULL,
    cooling_off_days INTEGER NOT NULL,
    sold BIGINT NOT NULL,
    withdrawn_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX offers_by_kind_price ON offers (kind_id, price);
CREATE INDEX offers_by_price ON offers (price);
CREATE INDEX offers_by_kind_sold ON offers (kind_id, sold);
CREATE INDEX offers_by_sold ON offers (sold);
CREATE INDEX offers_by_product ON offers (product_id, price);
CREATE INDEX offers_by_seller ON offers (seller_id, created_at);

-- A salesperson's group of customers who share agreed prices (e.g. one company's buyers).
-- Members are known by ID and by the salesperson's own label, never by their personal data.
CREATE TABLE customer_groups (
    id TEXT PRIMARY KEY NOT NULL,
    seller_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (seller_id, name)
);

CREATE TABLE customer_group_members (
    group_id TEXT NOT NULL REFERENCES customer_groups (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    label TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, customer_id)
);
CREATE INDEX customer_group_members_by_customer ON customer_group_members (customer_id);

-- A price a salesperson agreed with one customer or one group (seed 002: user-specific prices).
-- Exactly one of customer_id and group_id is set.
CREATE TABLE customer_prices (
    id TEXT PRIMARY KEY NOT NULL,
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    customer_id TEXT,
    group_id TEXT REFERENCES customer_groups (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    price BIGINT NOT NULL,
    valid_from TIMESTAMP,
    valid_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_prices_by_customer ON customer_prices (customer_id, offer_id);
CREATE INDEX customer_prices_by_offer ON customer_prices (offer_id);
CREATE INDEX customer_prices_by_group ON customer_prices (group_id, offer_id);

-- Equipment a shopper owns (seed 002: the consumables page shows what fits it).
CREATE TABLE equipment (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL,
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (owner_id, maker, model)
);
