DROP INDEX points_entries_earned_by_reference;
CREATE INDEX points_entries_by_reference ON points_entries (reference);
