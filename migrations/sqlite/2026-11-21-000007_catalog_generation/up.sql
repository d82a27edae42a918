-- The catalog's generation: bumped in the same transaction as every change to kinds,
-- characteristics and products. Each app instance keeps those facts in memory, tagged with the
-- generation they were read under, and reads this one row per page to know whether they still hold.
CREATE TABLE catalog_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 1);

-- The search walks the offers on sale of one kind in price order and checks each candidate's
-- product: with the product in the index, a candidate that fails a characteristic costs no
-- visit to the offers table, and with the code (the tie-break) no page needs sorting.
DROP INDEX offers_by_kind_price;
CREATE INDEX offers_on_sale_by_kind_price ON offers (kind_id, price, code, product_id) WHERE withdrawn_at IS NULL;
