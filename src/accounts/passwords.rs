//! Password hashing with argon2id at the `argon2` crate's defaults (OWASP's minimum: 19 MiB of
//! memory, 2 passes, 1 lane). Hashing is deliberately slow and memory-hungry, so it runs on a
//! small pool of its own, one thread per core: a burst of logins queues there instead of starving
//! page requests.
//!
//! Each thread hashes into one 19 MiB block of its own that it keeps (`MEMORY`). Allocating the
//! block per hash, as the crate's `hash_password` does, let glibc's dynamic mmap threshold rise
//! above 19 MiB after the first free, so later blocks came from the heap and were never given back:
//! 1,000 registrations left the process 380 MB larger (BENCHMARKS.md, "Issue 17: memory").

use std::cell::RefCell;
use std::sync::Arc;

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

impl From<password_hash::Error> for PasswordError {
    fn from(e: password_hash::Error) -> Self {
        PasswordError::Hash(e.to_string())
    }
}

/// Stored hashes asking for more memory than this are refused rather than honoured (64 MiB).
const MOST_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// This thread's argon2 memory, grown to the largest hash it has computed and kept.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes the argon2 output of `password` with `salt` in this thread's kept memory.
fn output_of(argon: &Argon2, password: &[u8], salt: Salt, len: usize) -> password_hash::Result<Output> {
    let blocks = argon.params().block_count();
    if blocks > MOST_BLOCKS {
        return Err(password_hash::Error::ParamValueInvalid(password_hash::errors::InvalidValue::TooLong));
    }
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        Output::init_with(len, |out| {
            Ok(argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])?)
        })
    })
}

pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = Argon2::default();
    let output = output_of(&argon, password.as_bytes(), salt.as_salt(), Params::DEFAULT_OUTPUT_LEN)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string with the parameters it names; the outputs are
/// compared in constant time (`Output`'s equality).
fn verify_blocking(password: &str, hash: &str) -> bool {
    let matches = || -> password_hash::Result<bool> {
        let parsed = PasswordHash::new(hash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(&parsed)?);
        Ok(output_of(&argon, password.as_bytes(), salt, expected.len())? == expected)
    };
    matches().unwrap_or(false)
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

    #[test]
    fn hashes_of_the_crate_itself_still_verify_and_ours_verify_with_it() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"an older password", &salt).expect("hash").to_string();
        assert!(verify_blocking("an older password", &theirs));
        assert!(!verify_blocking("an older passwore", &theirs));
        let ours = hash_blocking("a newer password").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("parse");
        assert!(Argon2::default().verify_password(b"a newer password", &parsed).is_ok());
        // Lighter parameters (a hash from a test set-up, say) verify with the memory they name.
        let light = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).expect("params"));
        let light = light.hash_password(b"light", &salt).expect("hash").to_string();
        assert!(verify_blocking("light", &light));
        let greedy = "$argon2id$v=19$m=1048576,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!verify_blocking("x", greedy), "a hash asking for 1 GiB is refused");
    }
}
