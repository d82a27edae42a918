DROP TABLE anon_results;
CREATE TABLE anon_results (
    token TEXT NOT NULL,
    offer_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    price BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token, offer_code)
);
CREATE INDEX anon_results_by_time ON anon_results (created_at);
