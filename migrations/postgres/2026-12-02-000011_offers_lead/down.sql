ALTER TABLE products DROP COLUMN picture_hash;
ALTER TABLE products DROP COLUMN offers_on_sale;
DROP INDEX offers_lead;
