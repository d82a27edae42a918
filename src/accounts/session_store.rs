//! Server-side sessions in the database, behind actix-session. Because the state lives in one
//! table every instance shares, deleting a user's rows (logout, password change, suspension)
//! ends their sessions everywhere at once; a cookie store could not do that.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use sha2::{Digest, Sha256};

use super::model::UserId;
use super::repo;
use super::rules;
use super::service::now;
use crate::db::{Db, DbError};
use crate::web::identity::USER_KEY;

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    idle: Duration,
    absolute: Duration,
}

impl DbSessionStore {
    pub fn new(db: Db, idle: Duration, absolute: Duration) -> Self {
        Self { db, idle, absolute }
    }
}

/// Only the hash of a session key is stored: reading the table does not let anyone in.
fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// 256 random bits.
fn new_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn user_of(state: &State) -> Option<UserId> {
    state.get(USER_KEY).and_then(|v| serde_json::from_str(v).ok())
}

/// A session write refused because changes are paused counts as done.
fn paused_or<T>(written: Result<T, DbError>) -> Result<(), DbError> {
    match written {
        Ok(_) | Err(DbError::WritesPaused) => Ok(()),
        Err(e) => Err(e),
    }
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = key_hash(key.as_ref());
        let (idle, absolute) = (self.idle, self.absolute);
        let lookup = hash.clone();
        let row = self
            .db
            .read(move |c| repo::load_session(c, &lookup).map_err(DbError::from))
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        let Some(row) = row else { return Ok(None) };
        let now = now();
        // While changes are paused (disk reserve) an expired session is only not used, and a
        // live one is not touched (it may end a minute early): reading pages goes on.
        if rules::session_expired(row.created_at, row.last_seen_at, now, idle, absolute) {
            let deleted = self.db.write(move |c| repo::delete_session(c, &hash).map_err(DbError::from)).await;
            paused_or(deleted).map_err(|e| LoadError::Other(e.into()))?;
            return Ok(None);
        }
        if rules::session_needs_touch(row.last_seen_at, now) {
            let touched = self.db.write(move |c| repo::touch_session(c, &hash, now).map_err(DbError::from)).await;
            paused_or(touched).map_err(|e| LoadError::Other(e.into()))?;
        }
        serde_json::from_str(&row.state).map(Some).map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let body = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let user = user_of(&state);
        let key = new_key();
        let hash = key_hash(&key);
        // While changes are paused a new visitor's session is not kept: the page still shows, and
        // a form sent from it is told that changes are paused (see `web::csrf`).
        let saved = self
            .db
            .write(move |c| repo::insert_session(c, &hash, user.as_ref(), &body, now()).map_err(DbError::from))
            .await;
        paused_or(saved.map(drop)).map_err(|e| SaveError::Other(e.into()))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(&self, key: SessionKey, mut state: State, ttl: &CookieDuration) -> Result<SessionKey, UpdateError> {
        let body = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let user = user_of(&state);
        let hash = key_hash(key.as_ref());
        let updated = self
            .db
            .write(move |c| repo::update_session(c, &hash, user.as_ref(), &body, now()).map_err(DbError::from))
            .await;
        let updated = match updated {
            // Changes are paused: the page is shown, what it changed in the session is not kept.
            Err(DbError::WritesPaused) => return Ok(key),
            other => other.map_err(|e| UpdateError::Other(e.into()))?,
        };
        if updated > 0 {
            return Ok(key);
        }
        // The session was ended while this request ran (logout elsewhere, suspension): keep what
        // the visitor was doing in a fresh session, but never the login it no longer has.
        state.remove(USER_KEY);
        self.save(state, ttl).await.map_err(|e| UpdateError::Other(anyhow::anyhow!(e.to_string())))
    }

    async fn update_ttl(&self, key: &SessionKey, _ttl: &CookieDuration) -> Result<(), anyhow::Error> {
        let hash = key_hash(key.as_ref());
        self.db.write(move |c| repo::touch_session(c, &hash, now()).map_err(DbError::from)).await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(key.as_ref());
        self.db.write(move |c| repo::delete_session(c, &hash).map_err(DbError::from)).await?;
        Ok(())
    }
}
