-- Only an earning is looked up by what it is about (the desk record it came from); a redemption
-- for an order is found by its once-only name. Every redemption wrote this index for nothing.
DROP INDEX points_entries_by_reference;
CREATE INDEX points_entries_earned_by_reference ON points_entries (reference) WHERE kind = 'earned';
