DROP TABLE attempts;
DROP TABLE idempotency_keys;
