-- A request's results in one row (the offers and their prices, in the order found) instead of a
-- row per offer: keeping them is one fixed statement and one index entry per request. Results
-- are kept an hour at most; those of the old shape are dropped (a pick from them asks to choose
-- again).
DROP TABLE anon_results;
CREATE TABLE anon_results (
    token TEXT PRIMARY KEY NOT NULL,
    offers TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX anon_results_by_time ON anon_results (created_at);
