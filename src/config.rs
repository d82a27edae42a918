//! Settings, from the command line or the environment; each one is listed in `.env.example` and
//! README.md. The defaults give a working shop on a laptop with nothing to configure.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// Settings as given (flags or environment variables).
#[derive(clap::Args, Clone, Debug)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(long = "addr", env = "SHOP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Folder for the SQLite database, the secret key, demo logins and e-mail files.
    #[arg(long = "data-dir", env = "SHOP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; a file path (or sqlite://path) for SQLite.
    /// Default: `shop.sqlite3` in the data folder.
    #[arg(long = "database-url", env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// At least 32 characters; signs and encrypts the session cookie. Default: a random key
    /// generated on first start into `<data dir>/secret_key`. Every instance sharing one
    /// database must be given the same key.
    #[arg(long = "secret-key", env = "SHOP_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// The address people use to reach the shop. `https://...` turns on Secure `__Host-` cookies.
    /// Default: `http://` + SHOP_ADDR.
    #[arg(long = "public-url", env = "SHOP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// HTTP worker threads. Default: the number of CPU cores.
    #[arg(long = "workers", env = "SHOP_WORKERS")]
    pub workers: Option<usize>,
    /// `smtp://user:pass@host:port` or `smtps://...`; unset: e-mails are written as .eml files
    /// into `<data dir>/outbox`.
    #[arg(long = "smtp-url", env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Database connections in the pool.
    #[arg(long = "db-pool-size", env = "SHOP_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,
    /// Threads per HTTP worker that run database work. Default: SQLite, the worker's share of the
    /// CPU cores plus one; PostgreSQL, the worker's share of the pool.
    #[arg(long = "db-threads", env = "SHOP_DB_THREADS")]
    pub db_threads: Option<usize>,
    /// SQLite `synchronous` setting: FULL (a 2xx answer is on disk) or NORMAL (faster; a power
    /// cut may lose the last commits, never corrupt).
    #[arg(long = "sqlite-synchronous", env = "SHOP_SQLITE_SYNCHRONOUS", default_value = "FULL")]
    pub sqlite_synchronous: String,
    /// Minutes without a request after which a session ends.
    #[arg(long = "session-idle-minutes", env = "SHOP_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Hours after login after which a session ends, however active.
    #[arg(long = "session-absolute-hours", env = "SHOP_SESSION_ABSOLUTE_HOURS", default_value_t = 12)]
    pub session_absolute_hours: u64,
    /// Failed password attempts on one e-mail address before each further one waits (30 seconds,
    /// doubling up to 15 minutes; forgotten an hour after the last).
    #[arg(long = "login-attempts-per-account", env = "SHOP_LOGIN_ATTEMPTS_PER_ACCOUNT", default_value_t = 5)]
    pub login_attempts_per_account: u32,
    /// Password attempts from one client address in a burst; then one per 2 seconds.
    #[arg(long = "login-attempts-per-address", env = "SHOP_LOGIN_ATTEMPTS_PER_ADDRESS", default_value_t = 30)]
    pub login_attempts_per_address: u32,
    /// ISO code of the currency prices are in (amounts have two decimals).
    #[arg(long = "currency", env = "SHOP_CURRENCY", default_value = "EUR")]
    pub currency: String,
    /// Seed demo data (one user per role) on the first start of a new database.
    #[arg(long = "demo", env = "SHOP_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,
    /// Benchmarks only: serve this file's bytes at /_bench/fixed, a page that touches no
    /// database (the ceiling of the server's own stack). Unset: no such page.
    #[arg(long = "bench-fixed-page", env = "SHOP_BENCH_FIXED_PAGE")]
    pub bench_fixed_page: Option<PathBuf>,
    /// The sender of the shop's e-mails.
    #[arg(long = "mail-from", env = "SHOP_MAIL_FROM", default_value = "Shop <shop@localhost>")]
    pub mail_from: String,
    /// How often the mail worker looks for e-mails to send, in milliseconds.
    #[arg(long = "mail-poll-millis", env = "SHOP_MAIL_POLL_MILLIS", default_value_t = 1000)]
    pub mail_poll_millis: u64,
    /// The wait before the first retry of an e-mail that could not be sent; it doubles each time.
    #[arg(long = "mail-retry-seconds", env = "SHOP_MAIL_RETRY_SECONDS", default_value_t = 30)]
    pub mail_retry_seconds: u64,
    /// Sent e-mails are deleted from the outbox after this many days (they hold personal data).
    #[arg(long = "mail-keep-days", env = "SHOP_MAIL_KEEP_DAYS", default_value_t = 30)]
    pub mail_keep_days: u64,
    /// An order whose price is not confirmed within this many hours is cancelled automatically.
    #[arg(long = "order-confirm-hours", env = "SHOP_ORDER_CONFIRM_HOURS", default_value_t = 48)]
    pub order_confirm_hours: u64,
    /// Minutes an anonymous buyer has to pay before the goods held go back on sale.
    #[arg(long = "anon-pay-minutes", env = "SHOP_ANON_PAY_MINUTES", default_value_t = 60)]
    pub anon_pay_minutes: u64,
    /// How often sellers are told of their anonymous orders made and paid since the last time, in
    /// one e-mail per office (seconds).
    #[arg(long = "anon-notice-seconds", env = "SHOP_ANON_NOTICE_SECONDS", default_value_t = 2)]
    pub anon_notice_seconds: u64,
    /// Prepaid card codes one client address may try in a burst on private order links (then one
    /// per 60/N seconds); behind a proxy every buyer shares the proxy's address.
    #[arg(long = "card-attempts-per-address", env = "SHOP_CARD_ATTEMPTS_PER_ADDRESS", default_value_t = 10)]
    pub card_attempts_per_address: u32,
    /// Days a parcel waits at a pickup point before it goes back and the card is refunded.
    #[arg(long = "pickup-keep-days", env = "SHOP_PICKUP_KEEP_DAYS", default_value_t = 7)]
    pub pickup_keep_days: u64,
    /// Days the personal data typed on a buy-back application is kept after it ends (its result,
    /// without personal data, stays).
    #[arg(long = "buyback-keep-days", env = "SHOP_BUYBACK_KEEP_DAYS", default_value_t = 90)]
    pub buyback_keep_days: u64,
    /// Buy-back applications (order number and details) one client address may try in a burst
    /// (then one per 60/N seconds); behind a proxy every applicant shares the proxy's address.
    #[arg(long = "buyback-attempts-per-address", env = "SHOP_BUYBACK_ATTEMPTS_PER_ADDRESS", default_value_t = 20)]
    pub buyback_attempts_per_address: u32,
    /// A token for `/metrics`, sent as `Authorization: Bearer <token>`. Unset: `/metrics` answers
    /// only requests from this machine that came through no proxy.
    #[arg(long = "metrics-token", env = "SHOP_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Free space (MB) the data folder keeps: below it a SQLite shop takes no changes (pages that
    /// only read go on) until space is freed, so its database never meets a full disk. 0: none.
    #[arg(long = "min-free-mb", env = "SHOP_MIN_FREE_MB", default_value_t = 64)]
    pub min_free_mb: u64,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long = "log", env = "SHOP_LOG", default_value = "info")]
    pub log: String,
}

impl Settings {
    /// Settings for the test harness and the benchmarks: a shop on a free port of 127.0.0.1, the
    /// data in `data_dir`, no demo data, quick mail rounds, nothing read from the environment.
    /// Callers change what they need with struct update syntax.
    pub fn for_tests(data_dir: &Path, database_url: Option<String>) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            data_dir: data_dir.to_path_buf(),
            database_url,
            secret_key: Some("test key that is long enough to derive a cookie key".into()),
            public_url: None,
            workers: Some(2),
            smtp_url: None,
            db_pool_size: 4,
            db_threads: None,
            sqlite_synchronous: "NORMAL".into(),
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            login_attempts_per_account: 5,
            login_attempts_per_address: 1000,
            demo: false,
            currency: "EUR".into(),
            bench_fixed_page: None,
            metrics_token: None,
            mail_from: "Test Shop <shop@shop.test>".into(),
            mail_poll_millis: 50,
            mail_retry_seconds: 1,
            mail_keep_days: 30,
            order_confirm_hours: 48,
            anon_pay_minutes: 60,
            // Tests run the job themselves, when they mean to.
            anon_notice_seconds: 3600,
            pickup_keep_days: 7,
            buyback_keep_days: 90,
            buyback_attempts_per_address: 20,
            card_attempts_per_address: 10,
            min_free_mb: 64,
            log: "warn".into(),
        }
    }
}

/// Settings checked and completed with their derived defaults.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub secret_key: Vec<u8>,
    pub public_url: url::Url,
    pub workers: usize,
    pub smtp_url: Option<String>,
    pub db_pool_size: u32,
    pub db_threads: usize,
    pub metrics_token: Option<String>,
    pub sqlite_synchronous: String,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub login_attempts_per_account: u32,
    pub login_attempts_per_address: u32,
    pub demo: bool,
    pub currency: String,
    pub bench_fixed_page: Option<Vec<u8>>,
    pub mail_from: lettre::message::Mailbox,
    pub mail_poll: Duration,
    pub mail_retry: Duration,
    pub mail_keep: Duration,
    pub order_confirm: Duration,
    pub anon_pay_minutes: u64,
    pub anon_notice: Duration,
    pub pickup_keep_days: u64,
    pub buyback_keep_days: u64,
    pub buyback_attempts_per_address: u32,
    pub card_attempts_per_address: u32,
    pub min_free_mb: u64,
}

impl Config {
    pub fn from_settings(s: Settings) -> anyhow::Result<Config> {
        private_dir(&s.data_dir).with_context(|| format!("cannot create the data folder {}", s.data_dir.display()))?;
        let database_url = s
            .database_url
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| s.data_dir.join("shop.sqlite3").to_string_lossy().into_owned());
        let secret_key = match s.secret_key.filter(|k| !k.is_empty()) {
            Some(key) if key.len() >= 32 => key.into_bytes(),
            Some(_) => anyhow::bail!("SHOP_SECRET_KEY must be at least 32 characters long"),
            None => load_or_create_secret(&s.data_dir)?,
        };
        let public_url = s.public_url.unwrap_or_else(|| format!("http://{}", s.addr));
        let public_url = url::Url::parse(&public_url).context("SHOP_PUBLIC_URL is not a valid URL")?;
        let synchronous = s.sqlite_synchronous.to_ascii_uppercase();
        if !["OFF", "NORMAL", "FULL", "EXTRA"].contains(&synchronous.as_str()) {
            anyhow::bail!("SHOP_SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA");
        }
        let workers = s.workers.filter(|w| *w > 0).unwrap_or_else(cores);
        let db_pool_size = s.db_pool_size.max(1);
        let db_threads = s.db_threads.filter(|n| *n > 0).unwrap_or_else(|| {
            default_db_threads(
                crate::db::Backend::of_url(&database_url) == crate::db::Backend::Postgres,
                workers,
                db_pool_size,
            )
        });
        Ok(Config {
            addr: s.addr,
            data_dir: s.data_dir,
            database_url,
            secret_key,
            public_url,
            workers,
            smtp_url: s.smtp_url.filter(|u| !u.is_empty()),
            db_pool_size,
            db_threads,
            metrics_token: s.metrics_token.filter(|t| !t.is_empty()),
            sqlite_synchronous: synchronous,
            session_idle: Duration::from_secs(s.session_idle_minutes.max(1) * 60),
            session_absolute: Duration::from_secs(s.session_absolute_hours.max(1) * 3600),
            login_attempts_per_account: s.login_attempts_per_account.max(1),
            login_attempts_per_address: s.login_attempts_per_address.max(1),
            demo: s.demo,
            currency: currency(&s.currency)?,
            mail_from: s.mail_from.parse().context("SHOP_MAIL_FROM is not an e-mail address")?,
            mail_poll: Duration::from_millis(s.mail_poll_millis.clamp(10, 60_000)),
            mail_retry: Duration::from_secs(s.mail_retry_seconds.max(1)),
            mail_keep: Duration::from_secs(s.mail_keep_days.max(1) * 86_400),
            order_confirm: Duration::from_secs(s.order_confirm_hours.max(1) * 3600),
            anon_pay_minutes: s.anon_pay_minutes.max(1),
            anon_notice: Duration::from_secs(s.anon_notice_seconds.clamp(1, 3600)),
            pickup_keep_days: s.pickup_keep_days.max(1),
            buyback_keep_days: s.buyback_keep_days.max(1),
            buyback_attempts_per_address: s.buyback_attempts_per_address.max(1),
            card_attempts_per_address: s.card_attempts_per_address.max(1),
            min_free_mb: s.min_free_mb,
            bench_fixed_page: match s.bench_fixed_page {
                Some(path) => Some(std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?),
                None => None,
            },
        })
    }

    /// Whether people reach the shop over HTTPS (then cookies are Secure and `__Host-` prefixed).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        use std::net::ToSocketAddrs;
        self.addr
            .to_socket_addrs()
            .with_context(|| format!("SHOP_ADDR {} is not an address to listen on", self.addr))?
            .next()
            .with_context(|| format!("SHOP_ADDR {} names no address", self.addr))
    }

    pub fn db_settings(&self) -> crate::db::DbSettings {
        crate::db::DbSettings {
            url: self.database_url.clone(),
            pool_size: self.db_pool_size,
            sqlite: crate::db::SqliteSetup { busy_timeout_ms: 5000, synchronous: self.sqlite_synchronous.clone() },
            min_free_mb: self.min_free_mb,
        }
    }
}

fn currency(code: &str) -> anyhow::Result<String> {
    let code = code.trim().to_ascii_uppercase();
    anyhow::ensure!(
        code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()),
        "SHOP_CURRENCY must be a three-letter ISO code such as EUR"
    );
    Ok(code)
}

/// The cores this process may run on (a `taskset` narrows them).
fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// SQLite work is CPU work on pages in memory: more threads than the worker's share of the cores
/// only adds context switches (measured on the catalog benchmark, one core: 512 threads, tokio's
/// default, cost 40% more CPU per product page than two), and one more keeps reads going while a
/// write waits for its commit. PostgreSQL work waits on the network: one thread per connection.
fn default_db_threads(postgres: bool, workers: usize, pool_size: u32) -> usize {
    let share = |n: usize| n.div_ceil(workers.max(1)).max(1);
    if postgres { share(pool_size as usize) } else { share(cores()) + 1 }
}

/// The secret key kept in the data folder, created with 512 random bits on first start.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = existing.trim();
        if key.len() >= 32 {
            return Ok(key.as_bytes().to_vec());
        }
    }
    let key = hex::encode(rand::random::<[u8; 64]>());
    write_private_file(&path, &key).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key.into_bytes())
}

/// Creates a folder only its owner may enter (0700), or narrows an existing one: the data folder
/// holds the database, the outbox's e-mails and the secret key.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(path)?;
        if std::fs::metadata(path)?.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    builder.create(path)?;
    Ok(())
}

/// Creates (or empties) a file only its owner may read (0600).
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes a file only its owner may read (secrets, demo passwords), through to the disk.
pub fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = create_private_file(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
