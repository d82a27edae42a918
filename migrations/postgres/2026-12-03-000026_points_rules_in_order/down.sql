DROP INDEX points_rules_by_time;
CREATE INDEX points_rules_by_time ON points_rules (created_at);
