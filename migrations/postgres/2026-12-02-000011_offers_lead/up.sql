-- The catalog shows one card per product, by its lead offer (the cheapest on sale, in stock if
-- any): found by walking this index in order and stopping at the first that qualifies.
CREATE INDEX offers_lead ON offers (product_id, price, code) WHERE withdrawn_at IS NULL;

-- What a product's card shows, kept on the product so that a page of cards reads no subquery per
-- card: how many offers are on sale, and the first picture (catalog's service keeps them).
ALTER TABLE products ADD COLUMN offers_on_sale BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN picture_hash TEXT;
UPDATE products SET offers_on_sale = (SELECT COUNT(*) FROM offers o WHERE o.product_id = products.id AND o.withdrawn_at IS NULL),
    picture_hash = (SELECT op.picture_hash FROM offer_pictures op WHERE op.product_id = products.id
                    ORDER BY op.position, op.created_at LIMIT 1);
