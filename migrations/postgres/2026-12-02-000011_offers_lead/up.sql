-- The catalog shows one card per product, by its lead offer (the cheapest on sale, in stock if
-- any): found by walking this index in order and stopping at the first that qualifies.
CREATE INDEX offers_lead ON offers (product_id, price, code) WHERE withdrawn_at IS NULL;
