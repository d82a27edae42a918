//! Password hashing with argon2id at the `argon2` crate's defaults (OWASP's minimum: 19 MiB of
//! memory, 2 passes, 1 lane). Hashing is deliberately slow and memory-hungry, so it runs on a
//! small pool of its own, one thread per core: a burst of logins queues there instead of starving
//! page requests, and since each thread reuses its own 19 MiB block, the memory kept after a burst
//! is bounded by the pool size (on the shared blocking pool every thread kept a block of its own).

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng};

#[derive(Clone)]
pub struct Passwords {
    pool: Arc<rayon::ThreadPool>,
    /// Verified against when an e-mail is unknown, so that the answer takes as long as for a
    /// wrong password and the timing does not tell whether the account exists.
    decoy_hash: Arc<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing was cancelled")]
    Cancelled,
}

pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

impl Passwords {
    pub fn new() -> Result<Self, PasswordError> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("argon2-{i}"))
            .build()
            .map_err(|e| PasswordError::Hash(e.to_string()))?;
        let decoy = pool.install(|| hash_blocking("a password nobody has; only its verification time matters"))?;
        Ok(Self { pool: Arc::new(pool), decoy_hash: Arc::new(decoy) })
    }

    /// Runs `work` on the hashing pool and waits for it without blocking the async worker.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let _ = done.send(work());
        });
        result.await.map_err(|_| PasswordError::Cancelled)
    }

    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Verifies `password` against `hash`, or against the decoy when there is no account.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.as_str().to_owned());
        let matched = self.run(move || verify_blocking(&password, &hash)).await.unwrap_or(false);
        matched && known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_salted() {
        let a = hash_blocking("correct horse battery").expect("hash");
        let b = hash_blocking("correct horse battery").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_blocking("correct horse battery", &a));
        assert!(!verify_blocking("wrong horse battery", &a));
        assert!(!verify_blocking("anything", "not a hash"));
    }
}
