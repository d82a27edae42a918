//! The points ledger: every change of a member's points is an entry; points come in lots with an
//! expiry and leave from the soonest-expiring lots, each take recorded. The member's cached
//! balance moves in the same transaction, under the member's row lock, and never below zero.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, LotLeft};
use super::{CollectionError, Refusal, Result};
use crate::accounts::UserId;
use crate::db::DbConnection;

/// What an entry is, besides its points.
pub(super) struct Note<'a> {
    pub kind: EntryKind,
    pub reference: &'a str,
    pub reason: &'a str,
    pub actor: Option<&'a UserId>,
    /// Set for what may happen only once (a redemption for an order): a second try finds the first.
    pub once_key: Option<String>,
}

/// The member's row, held until the transaction ends: every change of points starts here.
pub(super) fn lock(conn: &mut DbConnection, user: &UserId) -> Result<Member> {
    repo::lock_member(conn, user)?.ok_or_else(|| Refusal::NotRegistered.into())
}

fn entry(user: &UserId, points: i64, lot: Option<LotId>, note: &Note<'_>, at: NaiveDateTime) -> Entry {
    Entry {
        id: EntryId::new(),
        user_id: user.clone(),
        kind: note.kind,
        points,
        lot_id: lot,
        reference: note.reference.to_owned(),
        reason: note.reason.to_owned(),
        actor_id: note.actor.cloned(),
        once_key: note.once_key.clone(),
        created_at: at,
    }
}

fn move_balance(conn: &mut DbConnection, user: &UserId, delta: i64) -> Result<()> {
    if delta != 0 && repo::move_balance(conn, user, delta)? != 1 {
        // The lots said the points were there; the cached balance disagrees: give up the whole act.
        return Err(CollectionError::Db(crate::db::DbError::Query(diesel::result::Error::RollbackTransaction)));
    }
    Ok(())
}

/// Adds `points` as a new lot expiring `months` after `at`. The member's row must be held.
pub(super) fn add(
    conn: &mut DbConnection,
    user: &UserId,
    points: i64,
    months: u32,
    note: &Note<'_>,
    at: NaiveDateTime,
) -> Result<Entry> {
    let lot = Lot {
        id: LotId::new(),
        user_id: user.clone(),
        points,
        remaining: points,
        expires_at: rules::expires_at(at, months),
        created_at: at,
    };
    repo::insert_lot(conn, &lot)?;
    let row = entry(user, points, Some(lot.id), note, at);
    repo::insert_entry(conn, &row)?;
    move_balance(conn, user, points)?;
    Ok(row)
}

/// The member's lots as the rules see them.
pub(super) fn lots_left(conn: &mut DbConnection, user: &UserId) -> Result<Vec<LotLeft<LotId>>> {
    Ok(repo::lots_with_points(conn, user)?
        .into_iter()
        .map(|l| LotLeft { id: l.id, remaining: l.remaining, expires_at: l.expires_at })
        .collect())
}

/// Takes `points` from the lots that still count, `first` before the soonest-expiring; refused
/// when they hold fewer. The member's row must be held.
pub(super) fn take(
    conn: &mut DbConnection,
    user: &UserId,
    points: i64,
    first: Option<&LotId>,
    note: &Note<'_>,
    at: NaiveDateTime,
) -> Result<Entry> {
    let (row, _) = take_lots(conn, user, points, first, note, at)?;
    move_balance(conn, user, -points)?;
    Ok(row)
}

/// `take` but for the cached balance, which the caller moves (with the member's figures, in one
/// statement: `members::refresh_after_take`); returns the member's lots after the take.
pub(super) fn take_lots(
    conn: &mut DbConnection,
    user: &UserId,
    points: i64,
    first: Option<&LotId>,
    note: &Note<'_>,
    at: NaiveDateTime,
) -> Result<(Entry, Vec<LotLeft<LotId>>)> {
    let lots = lots_left(conn, user)?;
    take_from_lots(conn, user, lots, points, first, note, at)
}

/// `take_lots` from lots the caller read with the member's row.
pub(super) fn take_from_lots(
    conn: &mut DbConnection,
    user: &UserId,
    mut lots: Vec<LotLeft<LotId>>,
    points: i64,
    first: Option<&LotId>,
    note: &Note<'_>,
    at: NaiveDateTime,
) -> Result<(Entry, Vec<LotLeft<LotId>>)> {
    let Some(takes) = rules::take_from(&lots, points, at, first) else {
        return Err(Refusal::NotEnoughPoints { available: rules::available(&lots, at) }.into());
    };
    // The one lot a take usually takes from is written on its entry; several get rows of their
    // own (`points_takes`).
    let only = match takes.as_slice() {
        [(lot, _)] => Some(lot.clone()),
        _ => None,
    };
    let row = entry(user, -points, only.clone(), note, at);
    repo::insert_entry(conn, &row)?;
    let mut taken = Vec::with_capacity(takes.len());
    for (lot, n) in takes {
        if repo::take_from_lot(conn, &lot, n)? != 1 {
            return Err(Refusal::NotEnoughPoints { available: rules::available(&lots, at) - n }.into());
        }
        if let Some(left) = lots.iter_mut().find(|l| l.id == lot) {
            left.remaining -= n;
        }
        taken.push(Take { entry_id: row.id.clone(), lot_id: lot, points: n });
    }
    if only.is_none() {
        repo::insert_takes(conn, &taken)?;
    }
    Ok((row, lots))
}

/// Gives what `taken` took back to its lots, once: a second call finds the first's entry. Lots
/// that expired meanwhile stay expired (their share is not given back).
pub(super) fn restore(
    conn: &mut DbConnection,
    taken: &Entry,
    reason: &str,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Entry> {
    let once_key = format!("restore:{}", taken.id);
    if let Some(done) = repo::entry_by_once_key(conn, &once_key)? {
        return Ok(done);
    }
    let mut points = 0;
    let mut takes = repo::takes_of(conn, &taken.id)?;
    if takes.is_empty()
        && let Some(lot) = &taken.lot_id
    {
        takes.push(Take { entry_id: taken.id.clone(), lot_id: lot.clone(), points: -taken.points });
    }
    for t in takes {
        let lot = repo::lot(conn, &t.lot_id)?.ok_or(CollectionError::NotFound)?;
        if lot.expires_at > at && repo::give_to_lot(conn, &lot.id, t.points)? == 1 {
            points += t.points;
        }
    }
    let note =
        Note { kind: EntryKind::Restored, reference: taken.id.as_str(), reason, actor, once_key: Some(once_key) };
    let row = entry(&taken.user_id, points, None, &note, at);
    repo::insert_entry(conn, &row)?;
    move_balance(conn, &taken.user_id, points)?;
    Ok(row)
}

/// Writes off the points of lots past their expiry, at most `limit` lots; returns how many.
pub fn expire_due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> Result<usize> {
    let due = repo::lots_due(conn, at, limit)?;
    let mut done = 0;
    for lot in due {
        let member = lock(conn, &lot.user_id)?;
        // Read again under the lock: a redemption may have taken from it meanwhile.
        let Some(lot) = repo::lot(conn, &lot.id)? else { continue };
        if lot.remaining == 0 || lot.expires_at > at || repo::take_from_lot(conn, &lot.id, lot.remaining)? != 1 {
            continue;
        }
        let note = Note {
            kind: EntryKind::Expired,
            reference: lot.id.as_str(),
            reason: "Expired",
            actor: None,
            once_key: None,
        };
        repo::insert_entry(conn, &entry(&lot.user_id, -lot.remaining, Some(lot.id.clone()), &note, at))?;
        move_balance(conn, &lot.user_id, -lot.remaining)?;
        super::members::refresh_points_figures(conn, &member, at)?;
        done += 1;
    }
    Ok(done)
}

/// What the ledger's invariants found wrong: nothing, always.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invariants {
    /// Members whose cached balance, sum of entries and sum of lots' remainders differ: (user,
    /// cached, entries, lots).
    pub out_of_balance: Vec<(String, i64, i64, i64)>,
    /// Restorings that gave back more than their entry took, or entries restored twice.
    pub restored_beyond_takes: i64,
    /// Members whose kept figures, where they hold now, differ from the figures computed anew.
    pub stale_figures: Vec<String>,
}

impl Invariants {
    pub fn hold(&self) -> bool {
        self.out_of_balance.is_empty() && self.restored_beyond_takes == 0 && self.stale_figures.is_empty()
    }
}

pub fn check_invariants(conn: &mut DbConnection) -> Result<Invariants> {
    Ok(Invariants {
        out_of_balance: repo::members_out_of_balance(conn)?,
        restored_beyond_takes: repo::restores_beyond_takes(conn)?,
        stale_figures: super::members::stale_figures(conn, crate::db::now())?,
    })
}
