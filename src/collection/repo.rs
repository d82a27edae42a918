//! Queries on the module's own tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::model::*;
use crate::accounts::UserId;
use crate::db::schema::{
    cartridges_bought, collection_members, collection_records, points_entries, points_lots, points_rules, points_takes,
    reward_claims, rewards,
};
use crate::db::sql::Sql;
use crate::db::{DbConnection, load_on_backend};

fn one<T>(rows: QueryResult<Vec<T>>) -> QueryResult<Option<T>> {
    Ok(rows?.into_iter().next())
}

/// A sum that is 0 over no rows, as a BIGINT on both backends (PostgreSQL sums BIGINTs as NUMERIC).
fn sum(conn: &mut DbConnection, sql: Sql) -> QueryResult<i64> {
    Ok(sql.load_as::<BigInt, i64>(conn)?.into_iter().next().unwrap_or(0))
}

// ---- members ----

pub fn insert_member(conn: &mut DbConnection, m: &Member) -> QueryResult<usize> {
    diesel::insert_into(collection_members::table).values(m).execute(conn)
}

pub fn member(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<Member>> {
    one(load_on_backend!(conn, collection_members::table.find(user).select(Member::as_select())))
}

pub fn members(conn: &mut DbConnection) -> QueryResult<Vec<Member>> {
    collection_members::table.select(Member::as_select()).load(conn)
}

pub fn member_by_card(conn: &mut DbConnection, card: &str) -> QueryResult<Option<Member>> {
    one(load_on_backend!(
        conn,
        collection_members::table.filter(collection_members::card_number.eq(card)).select(Member::as_select())
    ))
}

// The updates below run on every change of points: written with `Sql` so that the statement is
// prepared once (diesel prepares its own UPDATEs anew each time).

pub fn set_figures(conn: &mut DbConnection, user: &UserId, f: &Figures) -> QueryResult<usize> {
    figures_update(f, None, user).execute(conn)
}

/// Sets the figures and moves the cached balance by `delta`; refused (0 rows) where the balance
/// would fall below zero.
pub fn set_figures_moving_balance(
    conn: &mut DbConnection,
    user: &UserId,
    delta: i64,
    f: &Figures,
) -> QueryResult<usize> {
    figures_update(f, Some(delta), user).execute(conn)
}

fn figures_update(f: &Figures, delta: Option<i64>, user: &UserId) -> Sql {
    let time = |q: &mut Sql, t: Option<NaiveDateTime>| match t {
        Some(t) => {
            q.time(t);
        }
        None => {
            q.push("NULL");
        }
    };
    let mut q = Sql::new("UPDATE collection_members SET ");
    if let Some(delta) = delta {
        q.push("points_balance = points_balance + ").int(delta).push(", ");
    }
    q.push("figures_available = ").int(f.available).push(", figures_expiring = ").int(f.expiring);
    q.push(", figures_bought = ").int(f.bought).push(", figures_collected = ").int(f.collected);
    q.push(", figures_collected_ever = ").int(f.collected_ever).push(", figures_from = ");
    time(&mut q, f.from);
    q.push(", figures_until = ");
    time(&mut q, f.until);
    q.push(" WHERE user_id = ").text(user.as_str());
    if let Some(delta) = delta {
        q.push(" AND points_balance + ").int(delta).push(" >= 0");
    }
    q
}

/// The first purchase after `since`, if any.
pub fn first_bought_since(
    conn: &mut DbConnection,
    user: &UserId,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    cartridges_bought::table
        .filter(cartridges_bought::user_id.eq(user))
        .filter(cartridges_bought::bought_at.gt(since))
        .select(diesel::dsl::min(cartridges_bought::bought_at))
        .get_result(conn)
}

/// The first record after `since`, if any.
pub fn first_record_since(
    conn: &mut DbConnection,
    user: &UserId,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    collection_records::table
        .filter(collection_records::user_id.eq(user))
        .filter(collection_records::created_at.gt(since))
        .select(diesel::dsl::min(collection_records::created_at))
        .get_result(conn)
}

/// What a checkout with points reads of a member in one statement: their row, what a point is
/// worth under the rules in force (none before any were published) and, where asked, the lots
/// that still hold points (soonest-expiring first).
pub struct MemberForPoints {
    pub member: Member,
    pub point_value: Option<i64>,
    /// (lot, points left, expiry)
    pub lots: Vec<(LotId, i64, NaiveDateTime)>,
}

/// The checkout page asks for the member and the point's value on every draw; placing the
/// orders asks with `hold` and the lots too, the member's row then held as `lock_member` holds it.
pub fn member_for_points(conn: &mut DbConnection, user: &UserId, hold: bool) -> QueryResult<Option<MemberForPoints>> {
    use diesel::sql_types::{Nullable, Text, Timestamp};
    type Row = (
        (UserId, String, i64, NaiveDateTime),
        (i64, i64, i64, i64, i64, Option<NaiveDateTime>, Option<NaiveDateTime>),
        Option<i64>,
        (Option<LotId>, Option<i64>, Option<NaiveDateTime>),
    );
    type Types = (
        (Text, Text, BigInt, Timestamp),
        (BigInt, BigInt, BigInt, BigInt, BigInt, Nullable<Timestamp>, Nullable<Timestamp>),
        Nullable<BigInt>,
        (Nullable<Text>, Nullable<BigInt>, Nullable<Timestamp>),
    );
    // On PostgreSQL a row locked by `FOR UPDATE` is read again once its holder commits, but rows
    // joined to it are not: lots changed meanwhile would be read stale. There the lots are read
    // after the lock, in a statement of their own; SQLite has one writer, so one statement does.
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let joined = hold && !postgres;
    let mut q = Sql::new(
        "SELECT m.user_id, m.card_number, m.points_balance, m.registered_at, m.figures_available, \
         m.figures_expiring, m.figures_bought, m.figures_collected, m.figures_collected_ever, m.figures_from, \
         m.figures_until, (SELECT r.point_value FROM points_rules r ORDER BY r.created_at DESC, r.id DESC LIMIT 1), ",
    );
    if joined {
        q.push(
            "l.id, l.remaining, l.expires_at FROM collection_members m LEFT JOIN points_lots l \
             ON l.user_id = m.user_id AND l.remaining > 0 WHERE m.user_id = ",
        );
    } else {
        q.push("NULL, NULL, NULL FROM collection_members m WHERE m.user_id = ");
    }
    q.text(user.as_str());
    if joined {
        q.push(" ORDER BY l.expires_at");
    }
    if hold && postgres {
        q.push(" FOR UPDATE OF m");
    }
    let rows: Vec<Row> = q.load_as::<Types, _>(conn)?;
    let mut rows = rows.into_iter();
    let Some((member, f, point_value, lot)) = rows.next() else { return Ok(None) };
    let figures = Figures {
        available: f.0,
        expiring: f.1,
        bought: f.2,
        collected: f.3,
        collected_ever: f.4,
        from: f.5,
        until: f.6,
    };
    let member =
        Member { user_id: member.0, card_number: member.1, points_balance: member.2, registered_at: member.3, figures };
    let lots = if hold && postgres {
        lots_with_points(conn, user)?.into_iter().map(|l| (l.id, l.remaining, l.expires_at)).collect()
    } else {
        std::iter::once(lot)
            .chain(rows.map(|r| r.3))
            .filter_map(|(id, remaining, expires_at)| Some((id?, remaining?, expires_at?)))
            .collect()
    };
    Ok(Some(MemberForPoints { member, point_value, lots }))
}

/// Holds the member's row until the transaction ends: every change of a member's points takes
/// it first, so two of them never interleave on PostgreSQL. SQLite has one writer already.
pub fn lock_member(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<Member>> {
    match conn {
        DbConnection::Postgresql(c) => {
            one(collection_members::table.find(user).select(Member::as_select()).for_update().load(c))
        }
        DbConnection::Sqlite(_) => member(conn, user),
    }
}

/// Moves the cached balance by `delta`; refused (0 rows) where it would fall below zero.
pub fn move_balance(conn: &mut DbConnection, user: &UserId, delta: i64) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE collection_members SET points_balance = points_balance + ");
    q.int(delta).push(" WHERE user_id = ").text(user.as_str()).push(" AND points_balance + ").int(delta);
    q.push(" >= 0");
    q.execute(conn)
}

// ---- records and purchases ----

pub fn insert_record(conn: &mut DbConnection, r: &Record) -> QueryResult<usize> {
    diesel::insert_into(collection_records::table).values(r).execute(conn)
}

pub fn record(conn: &mut DbConnection, id: &RecordId) -> QueryResult<Option<Record>> {
    one(collection_records::table.find(id).select(Record::as_select()).load(conn))
}

pub fn record_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Record>> {
    one(collection_records::table
        .filter(collection_records::idempotency_key.eq(key))
        .select(Record::as_select())
        .load(conn))
}

/// The correction of a record, if it has one.
pub fn correction_of(conn: &mut DbConnection, id: &RecordId) -> QueryResult<Option<Record>> {
    one(collection_records::table.filter(collection_records::reverses_id.eq(id)).select(Record::as_select()).load(conn))
}

/// Which of these records have a correction.
pub fn corrected_among(conn: &mut DbConnection, ids: &[RecordId]) -> QueryResult<Vec<RecordId>> {
    collection_records::table
        .filter(collection_records::reverses_id.eq_any(ids))
        .select(collection_records::reverses_id.assume_not_null())
        .load(conn)
}

/// A member's latest records, newest first.
pub fn records_of(conn: &mut DbConnection, user: &UserId, limit: i64) -> QueryResult<Vec<Record>> {
    collection_records::table
        .filter(collection_records::user_id.eq(user))
        .order((collection_records::created_at.desc(), collection_records::id.desc()))
        .limit(limit)
        .select(Record::as_select())
        .load(conn)
}

/// Cartridges collected since `since`, net of corrections.
pub fn collected_since(conn: &mut DbConnection, user: &UserId, since: NaiveDateTime) -> QueryResult<i64> {
    let mut q = Sql::new("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM collection_records WHERE user_id = ");
    q.text(user.as_str()).push(" AND created_at > ").time(since);
    sum(conn, q)
}

/// Cartridges collected ever, net of corrections.
pub fn collected_ever(conn: &mut DbConnection, user: &UserId) -> QueryResult<i64> {
    let mut q = Sql::new("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM collection_records WHERE user_id = ");
    q.text(user.as_str());
    sum(conn, q)
}

/// Points the desk's records gave since `since`, net of corrections (the monthly cap's count).
pub fn recorded_points_since(conn: &mut DbConnection, user: &UserId, since: NaiveDateTime) -> QueryResult<i64> {
    let mut q = Sql::new("SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM collection_records WHERE user_id = ");
    q.text(user.as_str()).push(" AND created_at >= ").time(since);
    sum(conn, q)
}

pub fn bought_by_source(conn: &mut DbConnection, source: &str) -> QueryResult<Option<Bought>> {
    one(cartridges_bought::table.filter(cartridges_bought::source.eq(source)).select(Bought::as_select()).load(conn))
}

pub fn insert_bought(conn: &mut DbConnection, b: &Bought) -> QueryResult<usize> {
    diesel::insert_into(cartridges_bought::table).values(b).execute(conn)
}

pub fn bought_since(conn: &mut DbConnection, user: &UserId, since: NaiveDateTime) -> QueryResult<i64> {
    let mut q = Sql::new("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM cartridges_bought WHERE user_id = ");
    q.text(user.as_str()).push(" AND bought_at > ").time(since);
    sum(conn, q)
}

// ---- rules ----

pub fn insert_rules(conn: &mut DbConnection, r: &RulesRow) -> QueryResult<usize> {
    diesel::insert_into(points_rules::table).values(r).execute(conn)
}

/// The rules in force: the latest published. Read on every member's page: the LIMIT is written
/// in the text, as a bound one makes SQLite plan the statement again each time.
pub fn latest_rules(conn: &mut DbConnection) -> QueryResult<Option<RulesRow>> {
    one(Sql::new("SELECT * FROM points_rules ORDER BY created_at DESC, id DESC LIMIT 1").load(conn))
}

/// The published versions, newest first.
pub fn rules_history(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<RulesRow>> {
    points_rules::table
        .order((points_rules::created_at.desc(), points_rules::id.desc()))
        .limit(limit)
        .select(RulesRow::as_select())
        .load(conn)
}

// ---- the points ledger ----

pub fn insert_lot(conn: &mut DbConnection, l: &Lot) -> QueryResult<usize> {
    diesel::insert_into(points_lots::table).values(l).execute(conn)
}

pub fn lot(conn: &mut DbConnection, id: &LotId) -> QueryResult<Option<Lot>> {
    one(points_lots::table.find(id).select(Lot::as_select()).load(conn))
}

/// A member's lots that still hold points, expired or not.
pub fn lots_with_points(conn: &mut DbConnection, user: &UserId) -> QueryResult<Vec<Lot>> {
    load_on_backend!(
        conn,
        points_lots::table
            .filter(points_lots::user_id.eq(user))
            .filter(points_lots::remaining.gt(0))
            .order(points_lots::expires_at.asc())
            .select(Lot::as_select())
    )
}

/// Takes `points` from a lot; refused (0 rows) when it holds fewer.
pub fn take_from_lot(conn: &mut DbConnection, id: &LotId, points: i64) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE points_lots SET remaining = remaining - ");
    q.int(points).push(" WHERE id = ").text(id.as_str()).push(" AND remaining >= ").int(points);
    q.execute(conn)
}

/// Gives `points` back to a lot; refused (0 rows) when that would pass what it was earned with.
pub fn give_to_lot(conn: &mut DbConnection, id: &LotId, points: i64) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE points_lots SET remaining = remaining + ");
    q.int(points).push(" WHERE id = ").text(id.as_str()).push(" AND remaining + ").int(points);
    q.push(" <= points");
    q.execute(conn)
}

/// Lots past their expiry that still hold points, oldest first.
pub fn lots_due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> QueryResult<Vec<Lot>> {
    points_lots::table
        .filter(points_lots::remaining.gt(0))
        .filter(points_lots::expires_at.le(at))
        .order(points_lots::expires_at.asc())
        .limit(limit)
        .select(Lot::as_select())
        .load(conn)
}

/// On the connection's own backend: through the enum diesel writes the statement's SQL out again
/// at every insert to find its prepared statement, and every redemption at checkout runs this.
pub fn insert_entry(conn: &mut DbConnection, e: &Entry) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(points_entries::table).values(e).execute(c))
}

pub fn entry_by_once_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Entry>> {
    one(points_entries::table.filter(points_entries::once_key.eq(key)).select(Entry::as_select()).load(conn))
}

/// The earning a desk record made. The kind is written out, not bound: the index over earnings
/// serves only a query that names it.
pub fn earning_of(conn: &mut DbConnection, record: &str) -> QueryResult<Option<Entry>> {
    one(points_entries::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("kind = 'earned'"))
        .filter(points_entries::reference.eq(record))
        .select(Entry::as_select())
        .load(conn))
}

pub fn entry(conn: &mut DbConnection, id: &EntryId) -> QueryResult<Option<Entry>> {
    one(points_entries::table.find(id).select(Entry::as_select()).load(conn))
}

/// A member's entries, newest first.
pub fn entries_of(conn: &mut DbConnection, user: &UserId, offset: i64, limit: i64) -> QueryResult<Vec<Entry>> {
    points_entries::table
        .filter(points_entries::user_id.eq(user))
        .order((points_entries::created_at.desc(), points_entries::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)
}

/// One row at a time: a redemption takes from one or two lots, and a single-row INSERT is
/// prepared once where a batch's text changes with its length.
pub fn insert_takes(conn: &mut DbConnection, takes: &[Take]) -> QueryResult<usize> {
    let mut n = 0;
    for take in takes {
        n += diesel::insert_into(points_takes::table).values(take).execute(conn)?;
    }
    Ok(n)
}

pub fn takes_of(conn: &mut DbConnection, entry: &EntryId) -> QueryResult<Vec<Take>> {
    points_takes::table.filter(points_takes::entry_id.eq(entry)).select(Take::as_select()).load(conn)
}

/// Members whose cached balance differs from the sum of their entries or of their lots'
/// remainders: none, always.
pub fn members_out_of_balance(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64, i64, i64)>> {
    use diesel::sql_types::Text;
    let q = Sql::new(
        "SELECT m.user_id, m.points_balance, \
         CAST(COALESCE((SELECT SUM(e.points) FROM points_entries e WHERE e.user_id = m.user_id), 0) AS BIGINT), \
         CAST(COALESCE((SELECT SUM(l.remaining) FROM points_lots l WHERE l.user_id = m.user_id), 0) AS BIGINT) \
         FROM collection_members m",
    );
    let rows: Vec<(String, i64, i64, i64)> = q.load_as::<(Text, BigInt, BigInt, BigInt), _>(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, cached, entries, lots)| cached != entries || entries != lots || *cached < 0)
        .collect())
}

/// Entries that were restored more than once, or restored more than they took: none, always.
pub fn restores_beyond_takes(conn: &mut DbConnection) -> QueryResult<i64> {
    let q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM points_entries r WHERE r.kind = 'restored' AND \
         (r.points > -COALESCE((SELECT SUM(e.points) FROM points_entries e WHERE e.id = r.reference), 0) \
         OR (SELECT COUNT(*) FROM points_entries o WHERE o.kind = 'restored' AND o.reference = r.reference) > 1)",
    );
    sum(conn, q)
}

// ---- rewards ----

pub fn insert_reward(conn: &mut DbConnection, r: &Reward) -> QueryResult<usize> {
    diesel::insert_into(rewards::table).values(r).execute(conn)
}

pub fn save_reward(conn: &mut DbConnection, r: &Reward) -> QueryResult<usize> {
    diesel::update(rewards::table.find(&r.id)).set(r).execute(conn)
}

pub fn reward(conn: &mut DbConnection, id: &RewardId) -> QueryResult<Option<Reward>> {
    one(rewards::table.find(id).select(Reward::as_select()).load(conn))
}

pub fn rewards(conn: &mut DbConnection) -> QueryResult<Vec<Reward>> {
    rewards::table.order((rewards::points.asc(), rewards::name.asc())).select(Reward::as_select()).load(conn)
}

pub fn rewards_by_ids(conn: &mut DbConnection, ids: &[RewardId]) -> QueryResult<Vec<Reward>> {
    rewards::table.filter(rewards::id.eq_any(ids)).select(Reward::as_select()).load(conn)
}

/// Takes one from a reward's stock; refused (0 rows) when none is left or it is withdrawn.
pub fn take_reward(conn: &mut DbConnection, id: &RewardId, at: NaiveDateTime) -> QueryResult<usize> {
    use crate::db::schema::rewards::dsl::{active, id as reward_id, stock, updated_at};
    diesel::update(rewards::table.filter(reward_id.eq(id)).filter(stock.ge(1)).filter(active.eq(true)))
        .set((stock.eq(stock - 1), updated_at.eq(at)))
        .execute(conn)
}

pub fn return_reward(conn: &mut DbConnection, id: &RewardId, at: NaiveDateTime) -> QueryResult<usize> {
    use crate::db::schema::rewards::dsl::{id as reward_id, stock, updated_at};
    diesel::update(rewards::table.filter(reward_id.eq(id))).set((stock.eq(stock + 1), updated_at.eq(at))).execute(conn)
}

pub fn insert_claim(conn: &mut DbConnection, c: &Claim) -> QueryResult<usize> {
    diesel::insert_into(reward_claims::table).values(c).execute(conn)
}

pub fn claim_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Claim>> {
    one(reward_claims::table.filter(reward_claims::idempotency_key.eq(key)).select(Claim::as_select()).load(conn))
}

pub fn claim_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Claim>> {
    one(reward_claims::table.filter(reward_claims::code.eq(code)).select(Claim::as_select()).load(conn))
}

pub fn claims_of(conn: &mut DbConnection, user: &UserId, limit: i64) -> QueryResult<Vec<Claim>> {
    reward_claims::table
        .filter(reward_claims::user_id.eq(user))
        .order(reward_claims::created_at.desc())
        .limit(limit)
        .select(Claim::as_select())
        .load(conn)
}

/// Moves a claim on from the state it was read in; 0 rows when someone else moved it first.
pub fn decide_claim(
    conn: &mut DbConnection,
    id: &ClaimId,
    from: ClaimState,
    to: ClaimState,
    by: &UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::reward_claims::dsl::{decided_by, id as claim_id, state, updated_at};
    diesel::update(reward_claims::table.filter(claim_id.eq(id)).filter(state.eq(from)))
        .set((state.eq(to), decided_by.eq(Some(by)), updated_at.eq(at)))
        .execute(conn)
}
