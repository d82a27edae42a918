-- One card per product: each product's lead offer (the cheapest on sale, in stock if any) is marked,
-- and the catalog's search walks only marked offers, through indexes that hold nothing else. The
-- catalog's service moves the mark in the transaction of every change that can move it (an offer
-- made, withdrawn or repriced, its stock reaching zero or coming back).
ALTER TABLE offers ADD COLUMN is_lead BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE offers SET is_lead = (offers.id = COALESCE(
    (SELECT l.id FROM offers l WHERE l.product_id = offers.product_id AND l.withdrawn_at IS NULL AND l.stock > 0
     ORDER BY l.price, l.code LIMIT 1),
    (SELECT l.id FROM offers l WHERE l.product_id = offers.product_id AND l.withdrawn_at IS NULL
     ORDER BY l.price, l.code LIMIT 1)))
WHERE withdrawn_at IS NULL;
DROP INDEX offers_on_sale_by_kind_price;
CREATE INDEX leads_by_kind_price ON offers (kind_id, price, code, product_id) WHERE is_lead;
CREATE INDEX leads_by_price ON offers (price, code, product_id) WHERE is_lead;
CREATE INDEX leads_by_kind_sold ON offers (kind_id, sold) WHERE is_lead;
CREATE INDEX leads_by_sold ON offers (sold) WHERE is_lead;
DROP INDEX offers_by_kind_sold;
DROP INDEX offers_by_sold;
DROP INDEX offers_by_price;
-- The lead was found by walking this one per candidate; now the mark says it.
DROP INDEX offers_lead;
