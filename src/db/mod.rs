//! The database layer: one connection enum over PostgreSQL and SQLite, a pool, a single writer for
//! SQLite, embedded migrations, and the portable column types. Modules own their tables; this
//! layer owns only `app_meta` (facts about the installation itself).

mod connection;
pub mod jobs;
pub mod meta;
pub mod migrations;
pub mod schema;
pub mod sql;
pub mod types;

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

pub use connection::{Backend, ConnectionManager, DbConnection, SqliteSetup, establish_postgres};

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
}

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
}

impl Db {
    pub fn connect(settings: &DbSettings) -> Result<Db, DbError> {
        let manager = ConnectionManager::new(&settings.url, settings.sqlite.clone());
        let backend = manager.backend();
        // The writer opens first: on a new file it switches the journal to WAL before any pooled
        // connection exists to collide with the switch.
        let writer = match backend {
            Backend::Sqlite => Some(Arc::new(Mutex::new(manager.open()?))),
            Backend::Postgres => None,
        };
        let queue = match &writer {
            Some(writer) => Some(spawn_writer(writer.clone(), manager.clone())?),
            None => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            // A query per checkout is a query per request. A SQLite file does not drop connections;
            // a PostgreSQL server behind a network can.
            .test_on_check_out(backend == Backend::Postgres)
            .build(manager.clone())?;

        Ok(Db { pool, backend, writer, queue, manager })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for a caller that is itself on a blocking thread (the CLI).
    pub fn pool_connection(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        Ok(self.pool.get()?)
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// Runs `f` on a pooled connection, outside any transaction it does not open itself.
    pub fn read_blocking<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        f(&mut conn)
    }

    /// Runs `f`'s reads in one snapshot on either backend (REPEATABLE READ on PostgreSQL): for
    /// checks whose statements must all see the same moment while others write.
    pub fn snapshot_blocking<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(DbError::from)?;
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
        match &self.writer {
            Some(writer) => transaction(&mut *hold_writer(writer, &self.manager)?, "BEGIN IMMEDIATE", f),
            None => {
                let mut conn = self.pool.get().map_err(DbError::from)?;
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
        let mut conn = self.pool.get().map_err(DbError::from)?;
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

    /// Whether the database answers with the shop's schema in place; used by `/healthz`.
    pub async fn ping(&self) -> bool {
        self.read(|conn| conn.batch_execute("SELECT key FROM app_meta LIMIT 1").map_err(DbError::from)).await.is_ok()
    }
}

/// The SQLite writer, held. A panic mid-transaction may have left the connection inside it:
/// then it starts afresh.
fn hold_writer<'a>(
    writer: &'a Mutex<DbConnection>,
    manager: &ConnectionManager,
) -> Result<std::sync::MutexGuard<'a, DbConnection>, DbError> {
    match writer.lock() {
        Ok(guard) => Ok(guard),
        Err(poisoned) => {
            let mut guard = poisoned.into_inner();
            *guard = manager.open()?;
            writer.clear_poison();
            Ok(guard)
        }
    }
}

/// Writes one group may take: enough to share a disk flush among every request of a busy
/// shop, few enough that the first of them does not wait long for its answer.
const GROUP_MAX: usize = 64;

/// Starts the SQLite writer thread: it waits for a write, takes whatever else has queued up
/// meanwhile and runs them as one group. It ends when every sender (every `Db` handle) is gone.
fn spawn_writer(
    writer: Arc<Mutex<DbConnection>>,
    manager: ConnectionManager,
) -> Result<mpsc::Sender<Box<dyn GroupedWrite>>, DbError> {
    let (queue, waiting) = mpsc::channel::<Box<dyn GroupedWrite>>();
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            while let Ok(first) = waiting.recv() {
                let mut batch = vec![first];
                batch.extend(waiting.try_iter().take(GROUP_MAX - 1));
                match hold_writer(&writer, &manager) {
                    Ok(mut conn) => run_group(&mut conn, batch),
                    Err(e) => batch.into_iter().for_each(|w| w.fail(&e)),
                }
            }
        })
        .map_err(|e| DbError::Connect(diesel::ConnectionError::BadConnection(format!("no writer thread: {e}"))))?;
    Ok(queue)
}

/// Tells a grouped write's caller how it ended, once the group's commit is known (None: it
/// committed).
type Answer = Box<dyn FnOnce(Option<&DbError>) + Send>;

/// A write waiting in the group queue.
trait GroupedWrite: Send {
    /// Runs the write in a savepoint; returns how to answer its caller after the commit, and
    /// whether the transaction is broken (a savepoint that could not be finished).
    fn run(self: Box<Self>, conn: &mut DbConnection) -> (Answer, bool);
    /// Answers without running (the group's transaction could not be used).
    fn fail(self: Box<Self>, e: &DbError);
}

struct Grouped<F, T, E> {
    f: F,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

/// The same failure for each caller of a group (errors are not Clone).
fn again(e: &DbError) -> DbError {
    DbError::Query(diesel::result::Error::QueryBuilderError(format!("the group's transaction failed: {e}").into()))
}

impl<F, T, E> GroupedWrite for Grouped<F, T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut DbConnection) -> (Answer, bool) {
        type Manager = <DbConnection as Connection>::TransactionManager;
        let Grouped { f, reply } = *self;
        let nothing: Answer = Box::new(|_| {});
        if let Err(e) = Manager::begin_transaction(conn) {
            let _ = reply.send(Err(E::from(DbError::from(e))));
            return (nothing, true);
        }
        match f(conn) {
            Ok(value) => match Manager::commit_transaction(conn) {
                Ok(()) => {
                    let answer: Answer = Box::new(move |failed| {
                        let _ = reply.send(match failed {
                            None => Ok(value),
                            Some(e) => Err(E::from(again(e))),
                        });
                    });
                    (answer, false)
                }
                Err(e) => {
                    let _ = reply.send(Err(E::from(DbError::from(e))));
                    (nothing, true)
                }
            },
            Err(err) => {
                let broken = Manager::rollback_transaction(conn).is_err();
                let _ = reply.send(Err(err));
                (nothing, broken)
            }
        }
    }

    fn fail(self: Box<Self>, e: &DbError) {
        let _ = self.reply.send(Err(E::from(again(e))));
    }
}

/// Runs a group of writes in one `BEGIN IMMEDIATE` transaction and answers each.
fn run_group(conn: &mut DbConnection, batch: Vec<Box<dyn GroupedWrite>>) {
    type Manager = <DbConnection as Connection>::TransactionManager;
    if batch.is_empty() {
        return;
    }
    let begun = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        DbConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    };
    if let Err(e) = begun {
        let e = DbError::from(e);
        batch.into_iter().for_each(|w| w.fail(&e));
        return;
    }
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = None;
    for write in batch {
        if let Some(e) = &broken {
            write.fail(e);
            continue;
        }
        // A panicking write must not leave the others waiting: they are answered with an error.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write.run(conn))) {
            Ok((answer, false)) => answers.push(answer),
            Ok((answer, true)) => {
                answers.push(answer);
                broken = Some(DbError::Cancelled);
            }
            Err(_) => broken = Some(DbError::Cancelled),
        }
    }
    let outcome = match broken {
        Some(e) => {
            // Out of any savepoint a broken write left open, then out of the group's transaction.
            let mut open = 0;
            while Manager::rollback_transaction(conn).is_ok() && open < 8 {
                open += 1;
            }
            if open == 0 {
                tracing::error!("rollback of a broken write group failed");
            }
            Some(e)
        }
        None => Manager::commit_transaction(conn).err().map(DbError::from),
    };
    if let Some(e) = &outcome {
        tracing::error!(error = %e, writes = answers.len(), "a group of writes failed");
    }
    answers.into_iter().for_each(|answer| answer(outcome.as_ref()));
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

/// The time as the database stores it: UTC, without a zone.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
