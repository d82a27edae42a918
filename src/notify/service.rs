//! The outbox's operations: other modules write e-mails inside their own transaction; the worker
//! claims, sends and records; admins look and send again.

use std::time::Duration;

use chrono::NaiveDateTime;

use diesel::QueryResult;

use super::model::*;
use super::{repo, rules};
use crate::db::{DbConnection, DbError};
use crate::web::pager::{Paged, Pager};

pub type Result<T> = std::result::Result<T, DbError>;

/// Writes e-mails to the outbox, in the caller's transaction: they are sent only if it commits.
pub fn enqueue(conn: &mut DbConnection, mails: &[NewMail], at: NaiveDateTime) -> Result<()> {
    let rows: Vec<Mail> = mails
        .iter()
        .map(|m| Mail {
            id: MailId::new(),
            recipient: m.to.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            topic: m.topic.clone(),
            state: MailState::Pending,
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
            claimed_by: None,
            claimed_until: None,
            created_at: at,
            sent_at: None,
        })
        .collect();
    if !rows.is_empty() {
        repo::insert(conn, &rows)?;
    }
    Ok(())
}

/// Whether any e-mail waits to be sent now.
pub fn any_due(conn: &mut DbConnection, at: NaiveDateTime) -> Result<bool> {
    Ok(repo::any_due(conn, at)?)
}

/// How long a worker counts as alive after it was last seen. A worker is seen at each claim and
/// each time it records results, which it does at least every half minute while it sends, so a
/// live worker is never older than this; a dead one's claims are free this long after its last sign.
pub const WORKER_ALIVE: Duration = Duration::from_secs(60);

/// Claims due e-mails for `worker` for `lease`; nobody else sends them meanwhile, unless the
/// worker stops showing it is alive (its process died): then its claims are free after
/// `WORKER_ALIVE`, not only when the lease runs out.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    at: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Mail>> {
    repo::seen(conn, worker, at)?;
    claim_seen(conn, worker, at, lease, limit)
}

/// `claim` by a worker already seen in this transaction.
fn claim_seen(
    conn: &mut DbConnection,
    worker: &str,
    at: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Mail>> {
    let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let alive_since = at - chrono::Duration::from_std(WORKER_ALIVE).unwrap_or(chrono::Duration::minutes(1));
    Ok(repo::claim(conn, worker, at, until, alive_since, limit)?)
}

/// What sending a claimed e-mail came to: sent, or the error the admin page shows.
pub type Sending = (Mail, std::result::Result<(), String>);

/// Records what became of sent e-mails, in one transaction for many: each sent one done, each
/// failed one retried after a growing wait or given up after `MAX_ATTEMPTS`. Only e-mails the
/// worker's claim still holds are recorded.
pub fn record(
    conn: &mut DbConnection,
    worker: &str,
    done: &[Sending],
    retry_base: Duration,
    at: NaiveDateTime,
) -> Result<()> {
    repo::seen(conn, worker, at)?;
    for (mail, sent) in done {
        match sent {
            Ok(()) => repo::mark_sent(conn, &mail.id, worker, at)?,
            Err(error) => mark_failed(conn, mail, worker, error, retry_base, at)?,
        };
    }
    Ok(())
}

/// `record` and then `claim` the next batch, in the same transaction: a busy outbox takes one
/// write per batch, not one per e-mail.
pub fn record_and_claim(
    conn: &mut DbConnection,
    worker: &str,
    done: &[Sending],
    retry_base: Duration,
    at: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Mail>> {
    record(conn, worker, done, retry_base, at)?;
    claim_seen(conn, worker, at, lease, limit)
}

fn mark_failed(
    conn: &mut DbConnection,
    mail: &Mail,
    worker: &str,
    error: &str,
    retry_base: Duration,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let attempts = mail.attempts + 1;
    let state = if rules::gives_up(attempts) { MailState::Failed } else { MailState::Pending };
    let wait = chrono::Duration::from_std(rules::backoff(retry_base, attempts)).unwrap_or(chrono::Duration::hours(6));
    let error: String = error.chars().take(500).collect();
    repo::mark_failed(conn, &mail.id, worker, &error, state, at + wait)
}

pub const OUTBOX_PAGE: i64 = 50;

/// How many e-mails are in each state.
pub type Counts = Vec<(MailState, i64)>;

/// The outbox page: e-mails newest first (of one state if given), and how many are in each state.
pub fn outbox(conn: &mut DbConnection, state: Option<MailState>, pager: Pager) -> Result<(Paged<Mail>, Counts)> {
    let mails = repo::page(conn, state, pager.offset(), pager.fetch())?;
    Ok((pager.split(mails), repo::counts(conn)?))
}

/// E-mails not sent yet: waiting to go out, or given up.
pub fn backlog(conn: &mut DbConnection) -> Result<i64> {
    Ok(repo::counts(conn)?.into_iter().filter(|(state, _)| *state != MailState::Sent).map(|(_, n)| n).sum())
}

pub fn mail(conn: &mut DbConnection, id: &MailId) -> Result<Option<Mail>> {
    Ok(repo::by_id(conn, id)?)
}

/// Forgets e-mails sent more than `keep` ago (their addresses and bodies are personal data, kept
/// only as long as the admin page needs them); returns how many.
pub fn forget_sent(conn: &mut DbConnection, keep: Duration, at: NaiveDateTime) -> Result<usize> {
    let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(30));
    repo::forget_workers_before(conn, at - chrono::Duration::days(1))?;
    Ok(repo::delete_sent_before(conn, at - keep)?)
}

/// Sends an unsent e-mail at the next round of the worker, also one given up. True if found.
pub fn retry_now(conn: &mut DbConnection, id: &MailId, at: NaiveDateTime) -> Result<bool> {
    Ok(repo::retry_now(conn, id, at)? == 1)
}

/// The administrators' start page: mail waiting to go out and mail given up on.
pub fn admin_panel(
    conn: &mut DbConnection,
    _user: &crate::web::identity::Identity,
) -> std::result::Result<Option<crate::web::nav::Panel>, crate::error::AppError> {
    use crate::web::nav::{Figure, Panel};
    let counts = repo::counts(conn).map_err(DbError::from)?;
    let of = |state: MailState| counts.iter().filter(|(s, _)| *s == state).map(|(_, n)| n).sum::<i64>();
    let failed = of(MailState::Failed);
    let figures = vec![
        Figure::new("Mail waiting", of(MailState::Pending)).link("/admin/outbox?state=pending"),
        Figure::new("Mail failed", failed).link("/admin/outbox?state=failed").attention(failed > 0),
    ];
    Ok(Some(Panel { title: "Outbox".into(), figures, chart: None }))
}
