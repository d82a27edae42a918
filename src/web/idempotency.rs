//! Idempotency keys. A form whose write must not happen twice (a checkout, a deposit, a payout)
//! carries a key of 128 random bits. The write claims the key as its transaction's first step; a
//! second submit of the same form (a double click, a resent request, a twin on another instance)
//! finds the claim and answers with what the first one did instead of doing it again. On
//! PostgreSQL the claim of a key that a running transaction holds waits for that transaction to
//! end, so the twin never acts on what the first one has half done (a cart not yet emptied, stock
//! not yet taken). A failed write rolls its claim back with everything else: the form may be sent
//! again with the same key.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::schema::idempotency_keys;

/// The key a form carries: 32 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A new key for a form being shown.
    pub fn new() -> Self {
        Self(hex::encode(rand::random::<[u8; 16]>()))
    }

    /// The key as a form sent it back; None when it is not one (then the form is out of date or forged).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(raw.to_ascii_lowercase()))
    }

    /// The same key every time for the same name: for writes the shop makes itself (demo data)
    /// that must happen once however often they are asked for.
    pub fn named(name: &str) -> Self {
        Self(hex::encode(&Sha256::digest(name.as_bytes())[..16]))
    }

    /// A key of its own for one part of a write (the check of one office's order in a checkout):
    /// the same key and label always give the same part key.
    pub fn part(&self, label: &str) -> Self {
        let digest = Sha256::new().chain_update(self.0.as_bytes()).chain_update([0]).chain_update(label).finalize();
        Self(hex::encode(&digest[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for IdempotencyKey {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: do the write, then `record` its result.
    First,
    /// The write was done before; here is the result it recorded.
    Repeat(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The key was claimed for another request (another person, another amount): a forged or
    /// mixed-up form. Nothing may be done with it.
    #[error("this key was used for another request")]
    Reused,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Claims `key` within `scope` for `request` (who asks for what, as the caller writes it), in the
/// caller's transaction.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &IdempotencyKey,
    request: &str,
    at: NaiveDateTime,
) -> Result<Claim, ClaimError> {
    let row = (
        idempotency_keys::scope.eq(scope),
        idempotency_keys::key.eq(key.as_str()),
        idempotency_keys::request.eq(request),
        idempotency_keys::result.eq(""),
        idempotency_keys::created_at.eq(at),
    );
    let inserted = crate::db::on_backend!(conn, c => diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(Claim::First);
    }
    let (earlier, result): (String, String) = idempotency_keys::table
        .find((scope, key.as_str()))
        .select((idempotency_keys::request, idempotency_keys::result))
        .get_result(conn)?;
    if earlier != request {
        return Err(ClaimError::Reused);
    }
    Ok(Claim::Repeat(result))
}

/// Records the result of the write that claimed `key`, in the same transaction.
pub fn record(conn: &mut DbConnection, scope: &str, key: &IdempotencyKey, result: &str) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key.as_str())))
        .set(idempotency_keys::result.eq(result))
        .execute(conn)?;
    Ok(())
}

/// Forgets claims made before `before` (a form older than that is long out of date); returns how many.
pub fn forget_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::IdempotencyKey;

    #[test]
    fn keys_are_parsed_one_way() {
        let key = IdempotencyKey::new();
        assert_eq!(key.as_str().len(), 32);
        assert_eq!(IdempotencyKey::parse(&key.as_str().to_uppercase()), Some(key.clone()));
        for bad in ["", "abc", &"g".repeat(32), &"a".repeat(33), "0123456789abcdef0123456789abcde-"] {
            assert_eq!(IdempotencyKey::parse(bad), None, "{bad}");
        }
        assert_eq!(key.part("NORTH"), key.part("NORTH"));
        assert_ne!(key.part("NORTH"), key.part("SOUTH"));
        assert_ne!(key.part("NORTH"), key);
    }
}
