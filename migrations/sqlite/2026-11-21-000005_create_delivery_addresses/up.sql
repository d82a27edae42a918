-- Addresses a shopper had goods delivered to. Personal data, so it lives with the accounts; an
-- order keeps only the address's ID.
CREATE TABLE delivery_addresses (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, address)
);
