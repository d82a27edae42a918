-- Paid analytics (module `analytics`): the admins' settings (k, noise, epsilon per report, the
-- monthly privacy budget), a price per analysis, the reports bought (computed once, kept frozen),
-- and each salesperson's privacy spending per month.
CREATE TABLE analytics_settings (
    id TEXT PRIMARY KEY NOT NULL,
    k BIGINT NOT NULL,
    noise BOOLEAN NOT NULL,
    epsilon_milli BIGINT NOT NULL,
    budget_milli BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE analysis_prices (
    analysis TEXT PRIMARY KEY NOT NULL,
    price BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE analytics_reports (
    id TEXT PRIMARY KEY NOT NULL,
    seller_id TEXT NOT NULL,
    office_id TEXT NOT NULL,
    analysis TEXT NOT NULL,
    -- The design as bought and the result as computed then (JSON): shown again as it was.
    design TEXT NOT NULL,
    tables TEXT NOT NULL,
    k BIGINT NOT NULL,
    epsilon_milli BIGINT,
    price BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX analytics_reports_by_seller ON analytics_reports (seller_id, created_at);

CREATE TABLE analytics_budgets (
    seller_id TEXT NOT NULL,
    month TEXT NOT NULL,
    spent_milli BIGINT NOT NULL,
    PRIMARY KEY (seller_id, month)
);
