-- Registrations waiting for their e-mail address to be confirmed (module `accounts`): the account
-- is made when the link sent to the address is used, so the registration form answers the same
-- whether the address has an account or not. The link's secret is kept only as its SHA-256; the
-- row holds what was typed (personal data, kept in `accounts` only) until it is used or expires.
CREATE TABLE pending_registrations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    postal_address TEXT NOT NULL,
    phone TEXT NOT NULL,
    next_path TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_registrations_by_email ON pending_registrations (email);
CREATE INDEX pending_registrations_by_expiry ON pending_registrations (expires_at);
