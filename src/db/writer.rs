//! The SQLite writer thread: every write of a SQLite shop goes through one connection, grouped
//! into shared commits (see `Db::write`), and the thread keeps the write-ahead log small.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use super::DbError;
use super::connection::{self, ConnectionManager, DbConnection, WAL_KEPT};

/// The SQLite writer, held. A panic mid-transaction may have left the connection inside it:
/// then it starts afresh.
pub(super) fn hold_writer<'a>(
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

/// How long the writer waits without a write before it tidies the log (`tidy_idle_log`).
const IDLE: Duration = Duration::from_secs(1);

/// A log larger than this is emptied when the writer is idle (4 MB): a quiet shop keeps almost
/// nothing in it, while a busy one is not held up by truncating and regrowing it.
const LOG_KEPT_IDLE: u64 = 4 * 1024 * 1024;

/// Starts the SQLite writer thread: it waits for a write, takes whatever else has queued up
/// meanwhile and runs them as one group. It ends when every sender (every `Db` handle) is gone.
///
/// It also keeps the write-ahead log small. SQLite checkpoints by itself every 10,000 pages, but
/// the log only starts again from its beginning when no reader is using it, so under steady reads
/// it can grow without bound: past `WAL_KEPT` the writer checkpoints and truncates it, waiting for
/// the readers of the moment. After a second without writes it checkpoints passively (`IDLE`).
pub(super) fn spawn_writer(
    writer: Arc<Mutex<DbConnection>>,
    manager: ConnectionManager,
    log: Option<PathBuf>,
) -> Result<mpsc::Sender<Box<dyn GroupedWrite>>, DbError> {
    let (queue, waiting) = mpsc::channel::<Box<dyn GroupedWrite>>();
    let log_bytes = move || log.as_ref().and_then(|l| std::fs::metadata(l).ok()).map_or(0, |m| m.len());
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            let mut written = false;
            loop {
                let next = match written {
                    true => waiting.recv_timeout(IDLE),
                    false => waiting.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                };
                let first = match next {
                    Ok(first) => first,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        written = false;
                        if let Ok(mut conn) = hold_writer(&writer, &manager) {
                            tidy_idle_log(&mut conn, log_bytes());
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                let mut batch = vec![first];
                batch.extend(waiting.try_iter().take(GROUP_MAX - 1));
                match hold_writer(&writer, &manager) {
                    Ok(mut conn) => {
                        run_group(&mut conn, batch);
                        if log_bytes() > WAL_KEPT {
                            truncate_log(&mut conn, "grown past its limit");
                        }
                    }
                    Err(e) => batch.into_iter().for_each(|w| w.fail(&e)),
                }
                written = true;
            }
        })
        .map_err(|e| DbError::Connect(diesel::ConnectionError::BadConnection(format!("no writer thread: {e}"))))?;
    Ok(queue)
}

/// Checkpoints the whole log into the database file and truncates the log to nothing, waiting
/// (up to the busy timeout) for readers still using it. A failure is logged: the log is then
/// checkpointed later, by SQLite or by the next attempt.
pub(super) fn truncate_log(conn: &mut DbConnection, when: &str) {
    match connection::checkpoint(conn, "TRUNCATE") {
        Ok(Some(done)) if done.busy != 0 => tracing::info!(when, "log not truncated: readers still use it"),
        Ok(_) => tracing::debug!(when, "write-ahead log truncated"),
        Err(e) => tracing::warn!(error = %e, when, "write-ahead log checkpoint failed"),
    }
}

/// A passive checkpoint (it waits for nobody); when it brought everything into the file and the
/// log is larger than `LOG_KEPT_IDLE`, the log is truncated too.
fn tidy_idle_log(conn: &mut DbConnection, log_bytes: u64) {
    match connection::checkpoint(conn, "PASSIVE") {
        Ok(Some(done)) if done.complete() && log_bytes > LOG_KEPT_IDLE => truncate_log(conn, "when idle"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "passive checkpoint failed"),
    }
}

/// Tells a grouped write's caller how it ended, once the group's commit is known (None: it
/// committed).
type Answer = Box<dyn FnOnce(Option<&DbError>) + Send>;

/// A write waiting in the group queue.
pub(super) trait GroupedWrite: Send {
    /// Runs the write in a savepoint; returns how to answer its caller after the commit, and
    /// whether the transaction is broken (a savepoint that could not be finished).
    fn run(self: Box<Self>, conn: &mut DbConnection) -> (Answer, bool);
    /// Answers without running (the group's transaction could not be used).
    fn fail(self: Box<Self>, e: &DbError);
}

pub(super) struct Grouped<F, T, E> {
    pub(super) f: F,
    pub(super) reply: tokio::sync::oneshot::Sender<Result<T, E>>,
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
