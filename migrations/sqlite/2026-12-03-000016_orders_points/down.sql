ALTER TABLE orders DROP COLUMN discount;
ALTER TABLE orders DROP COLUMN points_used;
