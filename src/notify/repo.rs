//! Queries on the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use crate::db::DbConnection;
use crate::db::schema::{mail_workers, outbox};
use crate::db::sql::Sql;

pub fn insert(conn: &mut DbConnection, rows: &[Mail]) -> QueryResult<usize> {
    let mut n = 0;
    for row in rows {
        n += crate::db::on_backend!(conn, c => diesel::insert_into(outbox::table).values(row).execute(c))?;
    }
    Ok(n)
}

/// Claims up to `limit` due e-mails for `worker` until `until`: unsent, due, and not claimed by a
/// worker whose claim still runs. On PostgreSQL rows another instance is claiming right now are
/// skipped, not waited for; SQLite has one writer, so claims never overlap there.
/// Claims due e-mails that nobody holds: unclaimed, their claim run out, or claimed by a worker
/// not seen since `alive_since` (its process died).
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
    alive_since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Mail>> {
    let mut q = Sql::new("UPDATE outbox SET claimed_by = ");
    q.text(worker).push(", claimed_until = ").time(until);
    q.push(" WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ").time(now);
    q.push(" AND (claimed_until IS NULL OR claimed_until <= ").time(now);
    q.push(" OR claimed_by NOT IN (SELECT worker FROM mail_workers WHERE seen_at >= ").time(alive_since);
    q.push(&format!(")) ORDER BY next_attempt_at LIMIT {}", limit.max(1)));
    q.skip_locked(conn);
    q.push(") RETURNING *");
    let mut mails: Vec<Mail> = q.load(conn)?;
    mails.sort_by_key(|m| m.next_attempt_at);
    Ok(mails)
}

/// Whether any e-mail is due (a read, so an idle worker never takes the write lock).
pub fn any_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        outbox::table.filter(outbox::state.eq(MailState::Pending)).filter(outbox::next_attempt_at.le(now)),
    ))
    .get_result(conn)
}

/// Records a sent e-mail, if the claim is still `worker`'s.
pub fn mark_sent(conn: &mut DbConnection, id: &MailId, worker: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE outbox SET state = 'sent', sent_at = ");
    q.time(now).push(", attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claimed_until = NULL");
    q.push(" WHERE id = ").text(id.as_str()).push(" AND claimed_by = ").text(worker);
    q.execute(conn)
}

/// Records a failed attempt: the next one at `next`, or given up (`state` failed).
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &MailId,
    worker: &str,
    error: &str,
    state: MailState,
    next: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE outbox SET state = ");
    q.text(state.as_str()).push(", attempts = attempts + 1, last_error = ").text(error);
    q.push(", next_attempt_at = ").time(next).push(", claimed_by = NULL, claimed_until = NULL");
    q.push(" WHERE id = ").text(id.as_str()).push(" AND claimed_by = ").text(worker);
    q.execute(conn)
}

pub fn by_id(conn: &mut DbConnection, id: &MailId) -> QueryResult<Option<Mail>> {
    crate::db::unique(outbox::table.find(id).select(Mail::as_select()), conn)
}

/// A page of the outbox, newest first, optionally of one state.
pub fn page(conn: &mut DbConnection, state: Option<MailState>, offset: i64, limit: i64) -> QueryResult<Vec<Mail>> {
    let mut q = outbox::table.select(Mail::as_select()).order(outbox::created_at.desc()).into_boxed();
    if let Some(state) = state {
        q = q.filter(outbox::state.eq(state));
    }
    q.offset(offset).limit(limit).load(conn)
}

/// How many e-mails are in each state.
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(MailState, i64)>> {
    outbox::table.group_by(outbox::state).select((outbox::state, diesel::dsl::count_star())).load(conn)
}

/// Deletes e-mails sent before `cutoff`: addresses and bodies hold personal data.
pub fn delete_sent_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::state.eq(MailState::Sent)).filter(outbox::sent_at.lt(cutoff)))
        .execute(conn)
}

/// Makes a given-up or waiting e-mail due now.
pub fn retry_now(conn: &mut DbConnection, id: &MailId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::state.ne(MailState::Sent)))
        .set((outbox::state.eq(MailState::Pending), outbox::next_attempt_at.eq(now)))
        .execute(conn)
}

/// Records that `worker` is alive at `now`.
pub fn seen(conn: &mut DbConnection, worker: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let mut q = Sql::new("INSERT INTO mail_workers (worker, seen_at) VALUES (");
    q.text(worker).push(", ").time(now);
    q.push(") ON CONFLICT (worker) DO UPDATE SET seen_at = excluded.seen_at");
    q.execute(conn)
}

/// Forgets workers not seen since `cutoff` (each process start has a worker of its own).
pub fn forget_workers_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(mail_workers::table.filter(mail_workers::seen_at.lt(cutoff))).execute(conn)
}
