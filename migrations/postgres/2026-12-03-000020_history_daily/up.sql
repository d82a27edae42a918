-- The stores summed by the day, as the analyses read them (issue 16: a year of a million sales
-- and requests read in well under a second). Kept in the same transaction as the rows they sum;
-- the rows stay the record. The ways characteristics were asked are many, so they are also
-- summed by the month: a year's reading sorts twelve months and two partial ones, not 365 days. A request of no kind has kind_id ''; a constraint keeps its word
-- ('' for a range) and its bounds with flags, so that every column of the key is NOT NULL and
-- equal asks meet in one row.
CREATE TABLE daily_sales (
    day TIMESTAMP NOT NULL,
    kind_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    office_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    sales BIGINT NOT NULL,
    PRIMARY KEY (day, kind_id, product_id, unit_price, office_id)
);
CREATE INDEX daily_sales_of_office ON daily_sales (office_id, day, kind_id, product_id, unit_price, quantity, sales);

CREATE TABLE daily_requests (
    day TIMESTAMP NOT NULL,
    kind_id TEXT NOT NULL,
    matched BOOLEAN NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (day, kind_id, matched)
);

CREATE TABLE daily_constraints (
    day TIMESTAMP NOT NULL,
    kind_id TEXT NOT NULL,
    matched BOOLEAN NOT NULL,
    characteristic TEXT NOT NULL,
    word TEXT NOT NULL,
    has_min BOOLEAN NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    has_max BOOLEAN NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (day, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value)
);

INSERT INTO daily_sales (day, kind_id, product_id, unit_price, office_id, quantity, sales)
SELECT day, kind_id, product_id, unit_price, office_id, CAST(SUM(quantity) AS BIGINT), CAST(SUM(CASE WHEN quantity > 0 THEN 1 ELSE -1 END) AS BIGINT)
FROM sales GROUP BY day, kind_id, product_id, unit_price, office_id;

INSERT INTO daily_requests (day, kind_id, matched, requests)
SELECT date_trunc('day', asked_hour), COALESCE(kind_id, ''), matches > 0, COUNT(*)
FROM purchase_requests GROUP BY date_trunc('day', asked_hour), COALESCE(kind_id, ''), matches > 0;

INSERT INTO daily_constraints
    (day, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value, requests)
SELECT date_trunc('day', r.asked_hour), COALESCE(r.kind_id, ''), r.matches > 0, c.characteristic, COALESCE(c.word, ''),
       c.min_value IS NOT NULL, COALESCE(c.min_value, 0), c.max_value IS NOT NULL, COALESCE(c.max_value, 0),
       COUNT(DISTINCT r.id)
FROM purchase_requests r JOIN request_constraints c ON c.request_id = r.id
GROUP BY date_trunc('day', r.asked_hour), COALESCE(r.kind_id, ''), r.matches > 0, c.characteristic, COALESCE(c.word, ''),
         c.min_value IS NOT NULL, COALESCE(c.min_value, 0), c.max_value IS NOT NULL, COALESCE(c.max_value, 0);

CREATE TABLE monthly_constraints (
    month TIMESTAMP NOT NULL,
    kind_id TEXT NOT NULL,
    matched BOOLEAN NOT NULL,
    characteristic TEXT NOT NULL,
    word TEXT NOT NULL,
    has_min BOOLEAN NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    has_max BOOLEAN NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (month, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value)
);

INSERT INTO monthly_constraints
    (month, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value, requests)
SELECT date_trunc('month', day), kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value, CAST(SUM(requests) AS BIGINT)
FROM daily_constraints
GROUP BY date_trunc('month', day), kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value;
