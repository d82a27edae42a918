-- The rules in force are the newest version, ties broken by ID: with the ID in the index the
-- lookup reads one index entry instead of sorting its ties in a temporary tree (every checkout
-- of a member reads it).
DROP INDEX points_rules_by_time;
CREATE INDEX points_rules_by_time ON points_rules (created_at, id);
