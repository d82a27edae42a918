//! The one attempt limiter for secrets people type: passwords, pickup PINs, prepaid card codes,
//! an order number with personal data, check IDs. Each kind of secret (`what`) is limited twice:
//! per client address in this process's memory (a burst, then a steady rate: one address cannot
//! try thousands of targets), and per target in the database (a few free failures, then each
//! further attempt waits twice as long as the last, up to a ceiling), so the limit on one target
//! holds however many instances of the shop share the database.
//!
//! An attempt is counted before its secret is checked, in one write, so concurrent guesses cannot
//! slip past the count; a right secret then clears (or forgives) it. The wait before the next
//! attempt follows from the count and the time of the last one, so forgiving an attempt also
//! shortens the wait it caused. The wait never grows past its
//! ceiling and failures are forgotten a while after the last one: a known user is delayed, never
//! locked out for good.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::db::schema::attempts;
use crate::db::{Db, DbConnection, DbError};

/// The client's address, as the limiter counts it (the peer: behind a proxy, the proxy's).
pub fn client_of(req: &actix_web::HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

/// How attempts at one kind of secret are limited.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Attempts one client address may make in a burst...
    pub address_burst: u32,
    /// ...and then one per this long.
    pub address_refill: Duration,
    /// Failures on one target before each further attempt waits.
    pub free: i64,
    /// The wait after the first failure beyond `free`; it doubles with each further failure.
    pub first_wait: Duration,
    /// The longest wait.
    pub longest_wait: Duration,
    /// Failures are forgotten this long after the last attempt.
    pub forget_after: Duration,
    /// What a right secret does: clear the target's failures (a password: whoever knows it is
    /// the user), or forgive only this attempt (a seller typing check IDs: a right one must not
    /// wipe out the wrong ones).
    pub success_clears: bool,
}

/// Why an attempt may not be made now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; wait {0:?}")]
pub struct TooMany(pub Duration);

/// A target's counter as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counter {
    failures: i64,
    last_at: NaiveDateTime,
}

fn duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1))
}

/// How long after the last attempt the next may be made, with `failures` counted.
fn wait_after(policy: &Policy, failures: i64) -> Option<Duration> {
    let beyond = failures - policy.free;
    (beyond >= 0).then(|| {
        let doublings = u32::try_from(beyond.min(30)).unwrap_or(30);
        policy.first_wait.saturating_mul(2u32.saturating_pow(doublings)).min(policy.longest_wait)
    })
}

/// The counter after one more attempt at `now`, or how long to wait first.
fn judge(policy: &Policy, stored: Option<Counter>, now: NaiveDateTime) -> Result<Counter, TooMany> {
    let earlier = match stored {
        Some(c) if c.last_at + duration(policy.forget_after) > now => c,
        _ => return Ok(Counter { failures: 1, last_at: now }),
    };
    if let Some(wait) = wait_after(policy, earlier.failures) {
        let until = earlier.last_at + duration(wait);
        if until > now {
            return Err(TooMany((until - now).to_std().unwrap_or(Duration::from_secs(1))));
        }
    }
    Ok(Counter { failures: earlier.failures.saturating_add(1), last_at: now })
}

struct Kind {
    policy: Policy,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

/// The limiter, shared by every module (app data and held by services).
pub struct AttemptLimiter {
    secret: Vec<u8>,
    kinds: HashMap<&'static str, Kind>,
    clock: DefaultClock,
}

/// One counted attempt; tell it when the secret was right.
#[derive(Debug)]
#[must_use = "a right secret must clear or forgive its attempt"]
pub struct Attempt {
    what: &'static str,
    key_hash: String,
    success_clears: bool,
}

impl AttemptLimiter {
    /// `secret` keys the hashes under which targets are stored (the shop's secret key: every
    /// instance must use the same).
    pub fn new(secret: &[u8]) -> Self {
        Self { secret: secret.to_vec(), kinds: HashMap::new(), clock: DefaultClock::default() }
    }

    /// Limits attempts at one kind of secret by `policy`.
    pub fn with(mut self, what: &'static str, policy: Policy) -> Self {
        let burst = NonZeroU32::new(policy.address_burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(policy.address_refill)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        self.kinds.insert(what, Kind { policy, per_address: RateLimiter::keyed(quota) });
        self
    }

    fn key_hash(&self, what: &str, target: &str) -> String {
        let digest = Sha256::new()
            .chain_update(&self.secret)
            .chain_update([0])
            .chain_update(what)
            .chain_update([0])
            .chain_update(target)
            .finalize();
        hex::encode(digest)
    }

    /// Counts an attempt at `what` on `target` by `client`, in the caller's write transaction,
    /// before the secret is checked. Err says how long to wait; then nothing was counted.
    pub fn begin(
        &self,
        conn: &mut DbConnection,
        what: &'static str,
        target: &str,
        client: Option<IpAddr>,
        now: NaiveDateTime,
    ) -> Result<Attempt, AttemptError> {
        let kind = self.kinds.get(what).ok_or(AttemptError::Unknown(what))?;
        if let Some(client) = client {
            kind.per_address.check_key(&client).map_err(|n| TooMany(n.wait_time_from(self.clock.now())))?;
        }
        let key_hash = self.key_hash(what, target);
        // A first attempt on a new target racing another: the loser finds the winner's row the
        // second time round (on PostgreSQL after waiting for its transaction).
        for _ in 0..2 {
            let stored = load(conn, what, &key_hash, true)?;
            let next = judge(&kind.policy, stored, now)?;
            if store(conn, what, &key_hash, stored.is_some(), next)? {
                return Ok(Attempt { what, key_hash, success_clears: kind.policy.success_clears });
            }
        }
        Err(AttemptError::Db(diesel::result::Error::NotFound))
    }

    /// Counts an attempt in a transaction of its own (so it stands whatever follows), on the
    /// target `target` names in that transaction, then runs `check` in another and, when it
    /// succeeds, clears the attempt in the same transaction.
    pub async fn guard<T, E, G, F>(
        self: &std::sync::Arc<Self>,
        db: &Db,
        what: &'static str,
        client: Option<IpAddr>,
        target: G,
        check: F,
    ) -> Result<T, E>
    where
        G: FnOnce(&mut DbConnection) -> Result<String, E> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<AttemptError> + From<DbError> + Send + 'static,
    {
        let limiter = self.clone();
        let attempt = db
            .write(move |c| {
                let target = target(c)?;
                limiter.begin(c, what, &target, client, crate::db::now()).map_err(E::from)
            })
            .await?;
        db.write(move |c| {
            let value = check(c)?;
            attempt.succeeded(c).map_err(|e| E::from(DbError::Query(e)))?;
            Ok(value)
        })
        .await
    }

    /// Like `guard`, in one write transaction (one commit fewer), on a target the caller knows
    /// already: the attempt is counted, then `check` runs. A wrong secret (`wrong` says which
    /// errors are) must be found before `check` writes anything: the transaction then commits
    /// with only the count. Any other error rolls it all back; success clears or forgives the
    /// attempt in the same transaction.
    pub async fn guard_in_one<T, E, F>(
        self: &std::sync::Arc<Self>,
        db: &Db,
        what: &'static str,
        client: Option<IpAddr>,
        target: String,
        check: F,
        wrong: fn(&E) -> bool,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<AttemptError> + From<DbError> + Send + 'static,
    {
        let limiter = self.clone();
        db.write(move |c| {
            let attempt = limiter.begin(c, what, &target, client, crate::db::now()).map_err(E::from)?;
            match check(c) {
                Ok(value) => {
                    attempt.succeeded(c).map_err(|e| E::from(DbError::Query(e)))?;
                    Ok(Ok(value))
                }
                Err(e) if wrong(&e) => Ok(Err(e)),
                Err(e) => Err(e),
            }
        })
        .await
        .and_then(|checked| checked)
    }

    /// Forgets the failures on `target` (a new secret replaced the one guessed at).
    pub fn clear(&self, conn: &mut DbConnection, what: &'static str, target: &str) -> QueryResult<usize> {
        let key_hash = self.key_hash(what, target);
        diesel::delete(attempts::table.find((what, &key_hash))).execute(conn)
    }

    /// Whether an attempt on `target` would have to wait now (a parcel locked by wrong PINs).
    pub fn is_waiting(
        &self,
        conn: &mut DbConnection,
        what: &'static str,
        target: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let Some(kind) = self.kinds.get(what) else { return Ok(false) };
        let stored = load(conn, what, &self.key_hash(what, target), false)?;
        Ok(judge(&kind.policy, stored, now).is_err())
    }

    /// Forgets addresses whose quota has refilled, so memory does not grow with every address seen.
    pub fn forget_idle_addresses(&self) {
        for kind in self.kinds.values() {
            kind.per_address.retain_recent();
            kind.per_address.shrink_to_fit();
        }
    }

    /// Deletes counters whose failures are forgotten by `now`; returns how many.
    pub fn forget_old(&self, conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
        let longest = self.kinds.values().map(|k| k.policy.forget_after.max(k.policy.longest_wait)).max();
        let Some(keep) = longest else { return Ok(0) };
        diesel::delete(attempts::table.filter(attempts::last_at.lt(now - duration(keep)))).execute(conn)
    }
}

impl Attempt {
    /// The secret was right.
    pub fn succeeded(self, conn: &mut DbConnection) -> QueryResult<()> {
        let row = attempts::table.find((self.what, &self.key_hash));
        if self.success_clears {
            diesel::delete(row).execute(conn)?;
        } else {
            // Kept prepared (`Sql`): every right secret runs it.
            let mut q = crate::db::sql::Sql::new("UPDATE attempts SET failures = failures - 1 WHERE what = ");
            q.text(self.what).push(" AND key_hash = ").text(self.key_hash.as_str()).push(" AND failures > 0");
            q.execute(conn)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error(transparent)]
    TooMany(#[from] TooMany),
    /// A kind of secret nobody registered: a mistake in the code, not the visitor's.
    #[error("no limits are set for attempts at {0}")]
    Unknown(&'static str),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn load(conn: &mut DbConnection, what: &str, key_hash: &str, lock: bool) -> QueryResult<Option<Counter>> {
    let mut query = crate::db::sql::Sql::new("SELECT failures, last_at FROM attempts WHERE what = ");
    query.text(what).push(" AND key_hash = ").text(key_hash);
    // Two instances counting one target at once: the second waits for the first on PostgreSQL.
    if lock && matches!(conn, DbConnection::Postgresql(_)) {
        query.push(" FOR UPDATE");
    }
    let rows: Vec<(i64, NaiveDateTime)> =
        query.load_as::<(diesel::sql_types::BigInt, diesel::sql_types::Timestamp), _>(conn)?;
    Ok(rows.into_iter().next().map(|(failures, last_at)| Counter { failures, last_at }))
}

/// Writes the counter; false when a new one lost the race to another attempt's insert.
fn store(conn: &mut DbConnection, what: &str, key_hash: &str, exists: bool, c: Counter) -> QueryResult<bool> {
    let values = (attempts::failures.eq(c.failures), attempts::last_at.eq(c.last_at));
    if exists {
        diesel::update(attempts::table.find((what, key_hash))).set(values).execute(conn)?;
        return Ok(true);
    }
    let row = (attempts::what.eq(what), attempts::key_hash.eq(key_hash), values.0, values.1);
    let inserted = crate::db::on_backend!(conn, c => diesel::insert_into(attempts::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            address_burst: 100,
            address_refill: Duration::from_secs(1),
            free: 3,
            first_wait: Duration::from_secs(10),
            longest_wait: Duration::from_secs(60),
            forget_after: Duration::from_secs(3600),
            success_clears: true,
        }
    }

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time").naive_utc()
    }

    #[test]
    fn free_failures_then_waits_that_double_up_to_the_ceiling() {
        let p = policy();
        let mut counter = None;
        let mut waits = Vec::new();
        let mut now = 0;
        for _ in 0..7 {
            let wait = match judge(&p, counter, at(now)) {
                Ok(_) => 0,
                Err(TooMany(wait)) => wait.as_secs() as i64,
            };
            waits.push(wait);
            now += wait;
            counter = Some(judge(&p, counter, at(now)).expect("allowed after the wait"));
        }
        assert_eq!(waits, [0, 0, 0, 10, 20, 40, 60]);
    }

    #[test]
    fn a_waiting_target_says_how_long_and_old_failures_are_forgotten() {
        let p = policy();
        let waiting = Counter { failures: 3, last_at: at(0) };
        assert_eq!(judge(&p, Some(waiting), at(4)), Err(TooMany(Duration::from_secs(6))));
        assert_eq!(judge(&p, Some(waiting), at(10)), Ok(Counter { failures: 4, last_at: at(10) }));
        assert_eq!(judge(&p, Some(waiting), at(3601)), Ok(Counter { failures: 1, last_at: at(3601) }), "forgotten");
    }
}
