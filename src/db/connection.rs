//! The one connection type of the shop: PostgreSQL or SQLite, chosen by the URL scheme.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL names. The derived `establish` would try each variant in turn and SQLite
/// accepts any path, so we pick by scheme ourselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// SQLite settings applied to every new connection.
#[derive(Clone, Debug)]
pub struct SqliteSetup {
    pub busy_timeout_ms: u32,
    pub synchronous: String,
}

/// Opens a PostgreSQL connection; every connection the shop, its tests and benchmarks make goes
/// through here.
///
/// libpq's TLS is the vendored OpenSSL, which by default frees its state in an `atexit` handler
/// while pool threads may still be opening or closing connections: the process then crashes on
/// its way out (SIGSEGV after a green test run; diesel-rs/diesel#3441). `openssl_sys::init`
/// initialises OpenSSL without that handler, and the first initialisation decides, so it runs
/// before libpq's.
pub fn establish_postgres(url: &str) -> ConnectionResult<diesel::PgConnection> {
    openssl_sys::init();
    diesel::PgConnection::establish(url)
}

/// An r2d2 manager that opens the right variant and runs the SQLite PRAGMAs on each connection.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    sqlite: SqliteSetup,
}

impl ConnectionManager {
    pub fn new(url: &str, sqlite: SqliteSetup) -> Self {
        Self { url: url.to_owned(), backend: Backend::of_url(url), sqlite }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file, if this is a SQLite database in a file.
    pub fn sqlite_file(&self) -> Option<&str> {
        let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
        (self.backend == Backend::Sqlite && path != ":memory:" && !path.starts_with("file:")).then_some(path)
    }

    pub fn open(&self) -> ConnectionResult<DbConnection> {
        match self.backend {
            Backend::Postgres => Ok(DbConnection::Postgresql(establish_postgres(&self.url)?)),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                keep_private(path).map_err(|e| ConnectionError::BadConnection(format!("{path}: {e}")))?;
                let mut conn = diesel::SqliteConnection::establish(path)?;
                self.set_up_sqlite(&mut conn).map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// Separate statements, in this order: the busy handler must be in place before WAL is
    /// switched on, because switching takes a lock another connection may hold.
    fn set_up_sqlite(&self, conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
        conn.batch_execute(&format!("PRAGMA busy_timeout = {};", self.sqlite.busy_timeout_ms))?;
        // WAL is a property of the file: once set it stays. Switching takes a lock even when the
        // mode does not change, so a new pool connection would collide with a running write.
        if journal_mode(conn)? != "wal" {
            conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        }

        conn.batch_execute(&format!("PRAGMA synchronous = {};", self.sqlite.synchronous))?;
        conn.batch_execute("PRAGMA foreign_keys = ON;")?;
        // Statement journals (a savepoint per write in a group) and sorts stay in memory: in files
        // each was a file created and unlinked under /var/tmp, a third of the kernel's time under
        // the anonymous purchase benchmark.
        conn.batch_execute("PRAGMA temp_store = MEMORY;")?;
        // Checkpoint every 10,000 pages (40 MB of log) instead of 1,000: pages written again and
        // again (accounts, the newest index leaves) are copied to the file once per checkpoint,
        // and commits stall on a checkpoint a tenth as often (measured: e-check cycles p99
        // 7 ms -> 0.6 ms, throughput +20%).
        conn.batch_execute("PRAGMA wal_autocheckpoint = 10000;")?;
        // A log restarted after a checkpoint is cut back to this size; under load it stays below
        // (checkpoints at 40 MB), so the file is not shrunk and regrown on every cycle.
        conn.batch_execute(&format!("PRAGMA journal_size_limit = {WAL_KEPT};"))?;
        Ok(())
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection left inside a broken transaction goes back to the pool no more.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::TransactionManager;
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// The write-ahead log's size beyond which the writer checkpoints it away at once (64 MB); see
/// `db::keep_log_small`.
pub const WAL_KEPT: u64 = 64 * 1024 * 1024;

/// What `PRAGMA wal_checkpoint` reports: whether it was stopped by a reader or writer, the log's
/// frames, and how many of them are now in the database file.
#[derive(diesel::QueryableByName, Debug)]
pub struct Checkpoint {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub log: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub checkpointed: i32,
}

impl Checkpoint {
    /// Every frame of the log is in the database file: the log may start again from its beginning.
    pub fn complete(&self) -> bool {
        self.busy == 0 && self.log == self.checkpointed
    }
}

/// Runs a checkpoint of the given mode (PASSIVE, RESTART or TRUNCATE) on a SQLite connection.
pub fn checkpoint(conn: &mut DbConnection, mode: &str) -> QueryResult<Option<Checkpoint>> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(c).map(Some),
        DbConnection::Postgresql(_) => Ok(None),
    }
}

#[derive(diesel::QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}

fn journal_mode(conn: &mut diesel::SqliteConnection) -> QueryResult<String> {
    Ok(diesel::sql_query("PRAGMA journal_mode").get_result::<JournalMode>(conn)?.journal_mode.to_lowercase())
}

/// The database file and its log hold names and addresses: only the shop's own user may read
/// them. A new file is created empty with that mode before SQLite opens it (SQLite gives its
/// `-wal` and `-shm` files the mode of the database file); an existing one is narrowed.
fn keep_private(path: &str) -> std::io::Result<()> {
    if path == ":memory:" || path.starts_with("file:") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let private = std::fs::Permissions::from_mode(0o600);
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                for file in [path.to_owned(), format!("{path}-wal"), format!("{path}-shm")] {
                    match std::fs::metadata(&file) {
                        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                            std::fs::set_permissions(&file, private.clone())?;
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
