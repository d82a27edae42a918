//! The database layer: one connection enum over PostgreSQL and SQLite, a pool, a single writer for
//! SQLite, embedded migrations, and the portable column types. Modules own their tables; this
//! layer owns only `app_meta` (facts about the installation itself).

pub mod backup;
mod connection;
pub mod jobs;
pub mod meta;
pub mod migrations;
mod reserve;
pub mod schema;
pub mod sql;
pub mod types;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

pub use connection::{Backend, ConnectionManager, DbConnection, SqliteSetup, WAL_KEPT, establish_postgres};
pub use reserve::{DiskReserve, free_bytes};
use writer::{Grouped, GroupedWrite, hold_writer, spawn_writer, truncate_log};

pub type Pool = r2d2::Pool<ConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("could not open the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("the database task was cancelled")]
    Cancelled,
    /// The data folder's disk is below the reserve: no change is taken until space is freed.
    #[error("the disk is nearly full: changes are paused")]
    WritesPaused,
}

impl DbError {
    /// Whether the database could not be reached or could not take the change, as opposed to a
    /// query that was wrong: no connection in time, a connection lost, the disk full. The visitor
    /// may try again shortly.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) | DbError::Connect(_) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => is_out_of_space(info.message()),
            DbError::WritesPaused => true,
            DbError::Query(_) | DbError::Cancelled => false,
        }
    }
}

/// SQLite's SQLITE_FULL (or the I/O error a full disk can give) and PostgreSQL's "could not extend file" / "No space left on device".
pub fn is_out_of_space(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    ["database or disk is full", "disk i/o error", "no space left on device", "could not extend file"]
        .iter()
        .any(|sign| m.contains(sign))
}

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct DbSettings {
    pub url: String,
    pub pool_size: u32,
    pub sqlite: SqliteSetup,
    /// SQLite: the free space (MB) below which the database's folder takes no more changes
    /// (`DiskReserve`); 0 for none.
    pub min_free_mb: u64,
}

/// How long a request waits for a pooled connection before it is answered "try again".
const POOL_TIMEOUT: Duration = Duration::from_secs(3);

/// A cheap handle to the database, shared by all workers.
///
/// SQLite allows one writer at a time. Rather than let concurrent writers spin on the busy
/// handler, every write goes through one dedicated connection, worked by one writer thread (and
/// by `write_blocking` behind the same lock), and opens its transaction with `BEGIN IMMEDIATE`, so
/// it holds the write lock from its first statement and can never fail half-way with
/// SQLITE_BUSY. Reads use the pool and run in parallel (WAL).
/// PostgreSQL writes use the pool with plain READ COMMITTED transactions.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    writer: Option<Arc<Mutex<DbConnection>>>,
    /// SQLite: the queue of the writer thread, which runs what has queued up as one group (see
    /// `write`). The thread ends when the last handle is dropped.
    queue: Option<mpsc::Sender<Box<dyn GroupedWrite>>>,
    manager: ConnectionManager,
    reserve: Option<Arc<DiskReserve>>,
    waits: Arc<PoolWaits>,
    /// `/healthz`'s own connection, outside the pool, so the check never queues behind pages.
    health: Arc<Mutex<Option<DbConnection>>>,
    /// SQLite: held while this process has the database open, so a restore cannot replace it.
    _lock: Option<Arc<backup::ShopLock>>,
}

/// How often page work waited for a pooled connection, for `/metrics`.
#[derive(Default, Debug)]
pub struct PoolWaits {
    /// Checkouts that found no idle connection at once (took over a millisecond).
    pub waited: std::sync::atomic::AtomicU64,
    /// Microseconds spent waiting in those checkouts, in all.
    pub waited_micros: std::sync::atomic::AtomicU64,
    /// Checkouts that gave up (no connection within the pool's timeout, or none could be opened).
    pub failed: std::sync::atomic::AtomicU64,
}

impl Db {
    pub fn connect(settings: &DbSettings) -> Result<Db, DbError> {
        let manager = ConnectionManager::new(&settings.url, settings.sqlite.clone());
        let backend = manager.backend();
        let lock = match manager.sqlite_file() {
            Some(file) => Some(Arc::new(
                backup::ShopLock::shared(Path::new(file))
                    .map_err(|e| DbError::Connect(diesel::ConnectionError::BadConnection(e.to_string())))?,
            )),
            None => None,
        };
        // The writer opens first: on a new file it switches the journal to WAL before any pooled
        // connection exists to collide with the switch.
        let writer = match backend {
            Backend::Sqlite => Some(Arc::new(Mutex::new(manager.open()?))),
            Backend::Postgres => None,
        };
        let log = manager.sqlite_file().map(|file| with_suffix(Path::new(file), "-wal"));
        if let Some(writer) = &writer {
            // A log left large by the last run (or a crash) is emptied before anything is served.
            truncate_log(&mut *hold_writer(writer, &manager)?, "at start");
        }
        let queue = match &writer {
            Some(writer) => Some(spawn_writer(writer.clone(), manager.clone(), log)?),
            None => None,
        };
        let reserve = match manager.sqlite_file() {
            Some(file) if settings.min_free_mb > 0 => {
                let megabytes = settings.min_free_mb.saturating_mul(1024 * 1024);
                Some(Arc::new(DiskReserve::new(folder_of(Path::new(file)), megabytes)))
            }
            _ => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size.max(1))
            // A page waits at most this long for a connection, then shows "try again in a moment"
            // (with PostgreSQL down, each checkout would otherwise hang for the full timeout).
            .connection_timeout(POOL_TIMEOUT)
            // A query per checkout is a query per request. A SQLite file does not drop connections;
            // a PostgreSQL server behind a network can.
            .test_on_check_out(backend == Backend::Postgres)
            .error_handler(Box::new(QuietErrors::default()))
            .build(manager.clone())?;

        let (waits, health) = Default::default();
        Ok(Db { pool, backend, writer, queue, manager, reserve, waits, health, _lock: lock })
    }

    /// The disk reserve watched for this database (SQLite in a file, with a reserve set).
    pub fn reserve(&self) -> Option<&DiskReserve> {
        self.reserve.as_deref()
    }

    /// Whether changes are refused now because the disk is below its reserve.
    pub fn writes_paused(&self) -> bool {
        self.reserve.as_ref().is_some_and(|r| r.is_low())
    }

    /// The size of SQLite's write-ahead log file in bytes (None on PostgreSQL).
    pub fn log_bytes(&self) -> Option<u64> {
        let file = self.manager.sqlite_file()?;
        Some(std::fs::metadata(with_suffix(Path::new(file), "-wal")).map(|m| m.len()).unwrap_or(0))
    }

    /// Empties SQLite's write-ahead log into the database file, for a clean stop: what is left on
    /// disk is the database alone.
    pub fn close(&self) {
        if let Some(writer) = &self.writer
            && let Ok(mut conn) = hold_writer(writer, &self.manager)
        {
            truncate_log(&mut conn, "at stop");
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for a caller that is itself on a blocking thread (the CLI).
    pub fn pool_connection(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        self.checkout()
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    pub fn pool_waits(&self) -> &PoolWaits {
        &self.waits
    }

    /// A pooled connection, counting the checkouts that had to wait or failed.
    fn checkout(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        use std::sync::atomic::Ordering::Relaxed;
        let started = std::time::Instant::now();
        let got = self.pool.get();
        let waited = started.elapsed();
        if got.is_err() {
            self.waits.failed.fetch_add(1, Relaxed);
        }
        if waited >= Duration::from_millis(1) {
            self.waits.waited.fetch_add(1, Relaxed);
            self.waits.waited_micros.fetch_add(u64::try_from(waited.as_micros()).unwrap_or(u64::MAX), Relaxed);
        }
        Ok(got?)
    }

    /// Runs `f` on a pooled connection, outside any transaction it does not open itself.
    pub fn read_blocking<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.checkout()?;
        f(&mut conn)
    }

    /// Runs `f`'s reads in one snapshot on either backend (REPEATABLE READ on PostgreSQL): for
    /// checks whose statements must all see the same moment while others write.
    pub fn snapshot_blocking<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.checkout()?;
        if let DbConnection::Postgresql(c) = &mut *conn {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .map_err(DbError::from)?;
            let result = f(&mut conn);
            let ended = <DbConnection as Connection>::TransactionManager::rollback_transaction(&mut conn);
            ended.map_err(DbError::from)?;
            return result;
        }
        transaction(&mut conn, "BEGIN", f)
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it.
    pub fn write_blocking<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        if self.writes_paused() {
            return Err(E::from(DbError::WritesPaused));
        }
        self.write_blocking_within_reserve(f)
    }

    /// `write_blocking` even below the disk reserve: for the few rows a start needs (the books'
    /// own accounts), so that a shop restarted on a nearly full disk still serves its pages.
    pub fn write_blocking_within_reserve<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        match &self.writer {
            Some(writer) => transaction(&mut *hold_writer(writer, &self.manager)?, "BEGIN IMMEDIATE", f),
            None => {
                let mut conn = self.checkout()?;
                transaction(&mut conn, "BEGIN IMMEDIATE", f)
            }
        }
    }

    /// Runs a page's reads on a database thread (see `read_snapshot`), so the async worker is never
    /// held up by the database.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            batch_scheduling();
            db.read_snapshot(f)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Runs the reads of one page. On SQLite they share one read transaction: the page sees one
    /// snapshot, and the file's lock and size are checked once instead of once per statement.
    /// PostgreSQL would pay two more round trips for it; there each statement stands alone.
    fn read_snapshot<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.checkout()?;
        match self.backend {
            Backend::Sqlite => transaction(&mut conn, "BEGIN", f),
            Backend::Postgres => f(&mut conn),
        }
    }

    /// Runs `f` in one write transaction: all of it commits, or none of it.
    ///
    /// Group commit for SQLite: the write joins the writer thread's queue and the request waits
    /// for its answer without holding a thread. The writer runs everything that has queued up in
    /// one transaction, each write in a savepoint of its own (a failing write rolls back only
    /// itself), commits once and then answers each (a commit that fails fails them all). Under
    /// load, the writes that queue up while one commit waits for the disk share the next commit:
    /// one disk flush for many requests, and still nothing answered before it is on disk.
    /// PostgreSQL groups commits itself: there the write runs on a blocking thread.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if self.writes_paused() {
            return Err(E::from(DbError::WritesPaused));
        }
        let Some(queue) = &self.queue else {
            let db = self.clone();
            return actix_web::web::block(move || {
                batch_scheduling();
                db.write_blocking(f)
            })
            .await
            .map_err(|_| E::from(DbError::Cancelled))?;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        if queue.send(Box::new(Grouped { f, reply })).is_err() {
            return Err(E::from(DbError::Cancelled));
        }
        answer.await.unwrap_or_else(|_| Err(E::from(DbError::Cancelled)))
    }

    /// Whether the database answers within `wait` with the shop's schema complete; used by
    /// `/healthz`. The check runs on a thread of its own over a connection of its own, so a busy
    /// pool or a database that does not answer cannot hold it up: after `wait` it is a failure,
    /// and checks do not pile up behind one still waiting.
    pub async fn check(&self, wait: Duration) -> Result<(), String> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let db = self.clone();
        let spawned = std::thread::Builder::new().name("health-check".into()).spawn(move || {
            let _ = done.send(db.check_blocking());
        });
        if spawned.is_err() {
            return Err("no thread for the check".into());
        }
        match tokio::time::timeout(wait, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err("the check stopped".into()),
            Err(_) => Err(format!("the database did not answer within {} ms", wait.as_millis())),
        }
    }

    fn check_blocking(&self) -> Result<(), String> {
        let Ok(mut slot) = self.health.try_lock() else {
            return Err("an earlier check is still waiting for the database".into());
        };
        if slot.is_none() {
            *slot = Some(self.manager.open().map_err(|e| format!("cannot connect: {e}"))?);
        }
        let Some(conn) = slot.as_mut() else { return Err("no connection".into()) };
        let result = conn
            .batch_execute("SELECT key FROM app_meta LIMIT 1")
            .map_err(|e| format!("query failed: {e}"))
            .and_then(|()| migrations::pending(conn).map_err(|e| format!("cannot read the migrations: {e}")));
        match result {
            Ok(0) => Ok(()),
            Ok(1) => Err("1 migration is not applied".into()),
            Ok(n) => Err(format!("{n} migrations are not applied")),
            Err(e) => {
                // Open afresh next time: the connection may be the broken part.
                *slot = None;
                Err(e)
            }
        }
    }
}

/// Logs the pool's failures to open a connection, at most one line per 10 seconds: while the
/// database is away the pool retries many times a second.
#[derive(Debug, Default)]
struct QuietErrors {
    last: Mutex<Option<std::time::Instant>>,
}

impl r2d2::HandleError<diesel::r2d2::Error> for QuietErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        let Ok(mut last) = self.last.lock() else { return };
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
            *last = Some(std::time::Instant::now());
            tracing::error!(error = %error.to_string().lines().next().unwrap_or_default(), "cannot open a database connection");
        }
    }
}

/// Puts the calling database thread under Linux's SCHED_BATCH policy, once per thread. A woken
/// batch thread does not preempt the running one: an HTTP worker handing a page's database work
/// over keeps serving the requests it has read, and the database thread then works through what
/// has queued up, instead of the two taking turns for every request (a third less CPU per
/// product page on the catalog benchmark; BENCHMARKS.md). Niceness stays 0; where the policy
/// cannot be set, nothing changes.
fn batch_scheduling() {
    thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if DONE.with(|done| done.replace(true)) {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
        let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
        let nice_zero = ThreadPriority::Os(Default::default());
        if let Err(e) =
            thread_priority::set_thread_priority_and_policy(thread_priority::thread_native_id(), nice_zero, policy)
        {
            tracing::debug!(error = ?e, "database thread stays under the normal scheduling policy");
        }
    }
}

/// One transaction on the connection, opened on SQLite with `sqlite_begin` (`BEGIN IMMEDIATE` for
/// writes), on PostgreSQL with a plain `BEGIN`. Diesel offers `immediate_transaction` only on
/// `SqliteConnection`, so the transaction is opened on the inner connection and finished through
/// the enum, whose manager shares the inner state.
fn transaction<T, E>(
    conn: &mut DbConnection,
    sqlite_begin: &str,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    let begun = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, sqlite_begin),
        DbConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(DbError::from)?;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(DbError::from)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

/// Runs the readings of a report, which sum or sort hundreds of thousands of rows. On SQLite they
/// are already in the page's read transaction. On PostgreSQL they get one of their own, so that
/// every reading sees the same moment and the server may hash in memory instead of sorting on
/// disk: at the default `work_mem` (4 MB) grouping 100,000 constraints took 800 ms, with more 110.
pub fn wide_reading<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<DbError>,
{
    if let DbConnection::Sqlite(_) = conn {
        return f(conn);
    }
    transaction(conn, "", |c| {
        diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(c)
            .map_err(DbError::from)?;
        diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(c).map_err(DbError::from)?;
        f(c)
    })
}

/// Runs a query on the connection's own backend type instead of through the connection enum.
/// Through the enum, diesel writes every query's SQL text out again before it can look the
/// statement up in its cache (60% of a product page's database time, measured with callgrind);
/// on the inner connection a query with a static shape is found by its type alone. The query
/// expression is written once and compiled for each backend; only the matching arm runs.
macro_rules! load_on_backend {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => diesel::RunQueryDsl::load($query, c),
            $crate::db::DbConnection::Postgresql(c) => diesel::RunQueryDsl::load($query, c),
        }
    };
}

/// The row a lookup by a unique key finds, if any. Use it instead of diesel's `first()`, which
/// binds `LIMIT ?`: SQLite 3.50 lets a bound LIMIT shape the plan, so every execution re-binds it
/// and recompiles the cached statement (measured: 27 µs against 4 µs for an offer lookup).
/// A unique key needs no LIMIT.
pub fn unique<'q, Q, T>(query: Q, conn: &mut DbConnection) -> QueryResult<Option<T>>
where
    Q: diesel::query_dsl::LoadQuery<'q, DbConnection, T>,
{
    Ok(query.load::<T>(conn)?.into_iter().next())
}

/// True when a diesel error is a unique-constraint violation (e.g. an e-mail taken by a racing insert).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// Runs `$body` with `$c` bound to the connection's own backend type: for statements the enum
/// does not offer (`ON CONFLICT DO NOTHING`, `RETURNING` on an update) and for hot paths. The
/// same expression is compiled for each backend; only the matching arm runs.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgresql($c) => $body,
        }
    };
}

pub(crate) use types::{id_type, text_enum};
pub(crate) use {load_on_backend, on_backend};

/// The folder a database file is in ("." for a bare file name).
fn folder_of(file: &Path) -> &Path {
    file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A file beside a database file, named by a suffix (`-wal`, `.lock`, ...).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The time as the database stores it: UTC, without a zone.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
