DROP INDEX offers_on_sale_by_kind_price;
CREATE INDEX offers_by_kind_price ON offers (kind_id, price);
DROP TABLE catalog_generation;
