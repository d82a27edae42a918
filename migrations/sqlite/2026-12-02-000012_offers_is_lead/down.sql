DROP INDEX leads_by_kind_price;
DROP INDEX leads_by_price;
DROP INDEX leads_by_kind_sold;
DROP INDEX leads_by_sold;
CREATE INDEX offers_on_sale_by_kind_price ON offers (kind_id, price, code, product_id) WHERE withdrawn_at IS NULL;
CREATE INDEX offers_by_price ON offers (price);
CREATE INDEX offers_by_kind_sold ON offers (kind_id, sold);
CREATE INDEX offers_by_sold ON offers (sold);
ALTER TABLE offers DROP COLUMN is_lead;
