//! Queries on the e-check tables; only this module calls them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::model::*;
use crate::db::schema::{
    carrier_staff, carriers, echeck_events, echeck_settings, echecks, ledger_accounts, ledger_entries,
    ledger_transfers, office_staff, registry_events, selling_offices,
};
use crate::db::sql::Sql;
use crate::db::{DbConnection, unique};

// ---- settings ----

pub fn settings(conn: &mut DbConnection) -> QueryResult<Option<Settings>> {
    unique(echeck_settings::table.find(1).select(Settings::as_select()), conn)
}

pub fn insert_settings(conn: &mut DbConnection, row: &Settings) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(echeck_settings::table).values(row).on_conflict_do_nothing().execute(c))
}

pub fn update_settings(conn: &mut DbConnection, line: i64, hours: i32, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(echeck_settings::table.find(1))
        .set((
            echeck_settings::default_credit_line.eq(line),
            echeck_settings::hold_hours.eq(hours),
            echeck_settings::updated_at.eq(at),
        ))
        .execute(conn)
}

// ---- ledger accounts ----

pub fn account(conn: &mut DbConnection, id: &LedgerAccountId) -> QueryResult<Option<LedgerAccount>> {
    Ok(crate::db::load_on_backend!(conn, ledger_accounts::table.find(id).select(LedgerAccount::as_select()))?
        .into_iter()
        .next())
}

pub fn account_by_owner(conn: &mut DbConnection, kind: AccountKind, owner: &str) -> QueryResult<Option<LedgerAccount>> {
    Ok(crate::db::load_on_backend!(
        conn,
        ledger_accounts::table
            .filter(ledger_accounts::kind.eq(kind.as_str()))
            .filter(ledger_accounts::owner_key.eq(owner))
            .select(LedgerAccount::as_select())
    )?
    .into_iter()
    .next())
}

/// Inserts the account unless one of its kind and owner exists (a racing first use).
pub fn insert_account(conn: &mut DbConnection, row: &LedgerAccount) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(ledger_accounts::table).values(row).on_conflict_do_nothing().execute(c))
}

/// Holds `amount` if the account has it available; 0 rows means the credit check failed. The
/// condition is checked on the row as updated, so concurrent holds can never overdraw it.
pub fn reserve(conn: &mut DbConnection, id: &LedgerAccountId, amount: i64, at: NaiveDateTime) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE ledger_accounts SET held = held + ");
    q.int(amount).push(", updated_at = ").time(at);
    q.push(" WHERE id = ").text(id.as_str()).push(" AND balance + credit_line - held >= ").int(amount);
    q.execute(conn)
}

pub fn release(conn: &mut DbConnection, id: &LedgerAccountId, amount: i64, at: NaiveDateTime) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE ledger_accounts SET held = held - ");
    q.int(amount).push(", updated_at = ").time(at).push(" WHERE id = ").text(id.as_str());
    q.execute(conn)
}

#[derive(QueryableByName)]
struct Balance {
    #[diesel(sql_type = BigInt)]
    balance: i64,
}

/// Debits `amount` and releases `unhold` of its holds; None when that would take the account
/// below its floor (the bank has none), or, with `own_money_only`, below a zero balance.
/// Returns the balance after.
pub fn debit(
    conn: &mut DbConnection,
    id: &LedgerAccountId,
    amount: i64,
    unhold: i64,
    own_money_only: bool,
    at: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let mut q = Sql::new("UPDATE ledger_accounts SET balance = balance - ");
    q.int(amount).push(", held = held - ").int(unhold).push(", updated_at = ").time(at);
    q.push(" WHERE id = ").text(id.as_str());
    q.push(" AND (external OR (balance + credit_line - held >= ").int(amount - unhold);
    q.push(" AND balance >= ").int(if own_money_only { amount } else { i64::MIN }).push(")) RETURNING balance");
    Ok(q.load::<Balance>(conn)?.into_iter().next().map(|b| b.balance))
}

/// Credits `amount`; returns the balance after.
pub fn credit(conn: &mut DbConnection, id: &LedgerAccountId, amount: i64, at: NaiveDateTime) -> QueryResult<i64> {
    let mut q = Sql::new("UPDATE ledger_accounts SET balance = balance + ");
    q.int(amount).push(", updated_at = ").time(at).push(" WHERE id = ").text(id.as_str()).push(" RETURNING balance");
    q.load::<Balance>(conn)?.into_iter().next().map(|b| b.balance).ok_or(diesel::result::Error::NotFound)
}

/// Sets the credit line unless it would leave spent or held money uncovered.
pub fn set_credit_line(
    conn: &mut DbConnection,
    id: &LedgerAccountId,
    line: i64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::ledger_accounts::dsl::{balance, credit_line, held, updated_at};
    diesel::update(ledger_accounts::table.find(id))
        .filter((balance - held).ge(-line))
        .set((credit_line.eq(line), updated_at.eq(at)))
        .execute(conn)
}

pub fn accounts_by_ids(conn: &mut DbConnection, ids: &[LedgerAccountId]) -> QueryResult<Vec<LedgerAccount>> {
    ledger_accounts::table.filter(ledger_accounts::id.eq_any(ids)).select(LedgerAccount::as_select()).load(conn)
}

pub fn accounts_page(conn: &mut DbConnection, limit: i64, offset: i64) -> QueryResult<Vec<LedgerAccount>> {
    ledger_accounts::table
        .order((ledger_accounts::kind.desc(), ledger_accounts::created_at.desc()))
        .limit(limit)
        .offset(offset)
        .select(LedgerAccount::as_select())
        .load(conn)
}

// ---- transfers and entries ----

/// Inserts the transfer unless its idempotency key was used; 0 rows means it was.
pub fn insert_transfer(conn: &mut DbConnection, row: &Transfer) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(ledger_transfers::table).values(row).on_conflict_do_nothing().execute(c))
}

pub fn transfer_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Transfer>> {
    unique(
        ledger_transfers::table.filter(ledger_transfers::idempotency_key.eq(key)).select(Transfer::as_select()),
        conn,
    )
}

pub fn transfer(conn: &mut DbConnection, id: &TransferId) -> QueryResult<Option<Transfer>> {
    unique(ledger_transfers::table.find(id).select(Transfer::as_select()), conn)
}

/// Posts a pending transfer (`posted` of its amount); None when it was no longer pending or had
/// lapsed by `now`.
pub fn post_transfer(
    conn: &mut DbConnection,
    id: &TransferId,
    posted: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<Transfer>> {
    let mut q = Sql::new("UPDATE ledger_transfers SET state = 'posted', posted_amount = ");
    q.int(posted).push(", finished_at = ").time(now).push(" WHERE id = ").text(id.as_str());
    q.push(" AND state = 'pending' AND expires_at > ").time(now).push(" RETURNING *");
    Ok(q.load::<Transfer>(conn)?.into_iter().next())
}

/// Posts the check's pending transfer (`posted` of its amount); None when it was no longer
/// pending or had expired by `now`: someone else finished it first.
pub fn post_check_transfer(
    conn: &mut DbConnection,
    check: &CheckId,
    posted: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<Transfer>> {
    let mut q = Sql::new("UPDATE ledger_transfers SET state = 'posted', posted_amount = ");
    q.int(posted).push(", finished_at = ").time(now).push(" WHERE check_id = ").text(check.as_str());
    q.push(" AND state = 'pending' AND expires_at > ").time(now).push(" RETURNING *");
    Ok(q.load::<Transfer>(conn)?.into_iter().next())
}

/// Voids the pending transfers among `ids`; returns those it voided (others were finished already).
pub fn void_transfers(conn: &mut DbConnection, ids: &[TransferId], now: NaiveDateTime) -> QueryResult<Vec<Transfer>> {
    use crate::db::schema::ledger_transfers::dsl::{finished_at, state};
    crate::db::on_backend!(conn, c => diesel::update(ledger_transfers::table)
        .filter(ledger_transfers::id.eq_any(ids))
        .filter(state.eq(TransferState::Pending))
        .set((state.eq(TransferState::Voided), finished_at.eq(now)))
        .returning(Transfer::as_returning())
        .load(c))
}

pub fn check_transfer(conn: &mut DbConnection, check: &CheckId) -> QueryResult<Option<Transfer>> {
    unique(ledger_transfers::table.filter(ledger_transfers::check_id.eq(check)).select(Transfer::as_select()), conn)
}

/// The account's pending holds that have lapsed by `now`. (`state = 'pending'` is written as a
/// literal so the partial index of pending holds applies: a bound value would not prove the
/// index's condition to the planner.)
pub fn lapsed_holds_of(
    conn: &mut DbConnection,
    account: &LedgerAccountId,
    now: NaiveDateTime,
) -> QueryResult<Vec<Transfer>> {
    let mut q = Sql::new("SELECT * FROM ledger_transfers WHERE state = 'pending' AND debit_account_id = ");
    q.text(account.as_str()).push(" AND expires_at <= ").time(now);
    q.load(conn)
}

/// Pending holds past their expiry, oldest first. On PostgreSQL they are locked, and rows
/// another instance is expiring right now are skipped rather than waited for.
pub fn due_holds(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Transfer>> {
    let mut q = Sql::new("SELECT * FROM ledger_transfers WHERE state = 'pending' AND expires_at <= ");
    q.time(now).push(&format!(" ORDER BY expires_at LIMIT {}", limit.max(1)));
    q.skip_locked(conn);
    q.load(conn)
}

/// The two entries of a posted transfer, in one statement.
pub fn insert_entries(conn: &mut DbConnection, pair: [&Entry; 2]) -> QueryResult<usize> {
    let mut q = Sql::new("INSERT INTO ledger_entries (account_id, id, transfer_id, amount, balance_after, at) VALUES ");
    for (i, e) in pair.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.text(e.account_id.as_str()).push(", ").text(e.id.as_str()).push(", ").text(e.transfer_id.as_str());
        q.push(", ").int(e.amount).push(", ").int(e.balance_after).push(", ").time(e.at).push(")");
    }
    q.execute(conn)
}

/// One page of an account's statement, newest first, each entry with its transfer.
pub fn entries_of(
    conn: &mut DbConnection,
    account: &LedgerAccountId,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<(Entry, Transfer)>> {
    ledger_entries::table
        .inner_join(ledger_transfers::table)
        .filter(ledger_entries::account_id.eq(account))
        .order(ledger_entries::id.desc())
        .limit(limit)
        .offset(offset)
        .select((Entry::as_select(), Transfer::as_select()))
        .load(conn)
}

pub fn transfers_page(conn: &mut DbConnection, limit: i64, offset: i64) -> QueryResult<Vec<Transfer>> {
    ledger_transfers::table
        .order(ledger_transfers::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Transfer::as_select())
        .load(conn)
}

// ---- checks ----

/// Inserts the check unless its (buyer, idempotency key) or its code is taken; 0 rows then.
pub fn insert_check(conn: &mut DbConnection, row: &Check) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(echecks::table).values(row).on_conflict_do_nothing().execute(c))
}

pub fn check_by_key(conn: &mut DbConnection, buyer: &LedgerAccountId, key: &str) -> QueryResult<Option<Check>> {
    Ok(crate::db::load_on_backend!(
        conn,
        echecks::table
            .filter(echecks::buyer_account_id.eq(buyer))
            .filter(echecks::idempotency_key.eq(key))
            .select(Check::as_select())
    )?
    .into_iter()
    .next())
}

pub fn check_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Check>> {
    Ok(crate::db::load_on_backend!(conn, echecks::table.filter(echecks::code.eq(code)).select(Check::as_select()))?
        .into_iter()
        .next())
}

/// Moves a check from `from` to `to`; 0 rows when it was no longer in `from`.
pub fn set_check_state(
    conn: &mut DbConnection,
    id: &CheckId,
    from: CheckState,
    to: CheckState,
    paid: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE echecks SET state = ");
    q.text(to.as_str()).push(", paid_amount = ");
    match paid {
        Some(amount) => q.int(amount),
        None => q.push("NULL"),
    };
    q.push(", updated_at = ").time(at).push(" WHERE id = ").text(id.as_str()).push(" AND state = ").text(from.as_str());
    q.execute(conn)
}

pub fn set_delivery(conn: &mut DbConnection, id: &CheckId, report: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(echecks::table.find(id))
        .filter(echecks::delivered_at.is_null())
        .set((echecks::delivered_at.eq(at), echecks::delivery_report.eq(report), echecks::updated_at.eq(at)))
        .execute(conn)
}

/// Names another carrier on a check still open.
pub fn set_carrier(
    conn: &mut DbConnection,
    id: &CheckId,
    carrier: &CarrierId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(echecks::table.find(id))
        .filter(echecks::state.eq(CheckState::Issued.as_str()))
        .set((echecks::carrier_id.eq(carrier), echecks::updated_at.eq(at)))
        .execute(conn)
}

pub fn insert_check_event(conn: &mut DbConnection, row: &CheckEvent) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(echeck_events::table).values(row).execute(c))
}

/// All the account's pending holds, lapsed or standing, soonest to lapse first.
pub fn pending_holds_of(conn: &mut DbConnection, account: &LedgerAccountId) -> QueryResult<Vec<Transfer>> {
    let mut q = Sql::new("SELECT * FROM ledger_transfers WHERE state = 'pending' AND debit_account_id = ");
    q.text(account.as_str()).push(" ORDER BY expires_at");
    q.load(conn)
}

pub fn checks_of_office(
    conn: &mut DbConnection,
    office: &OfficeId,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Check>> {
    echecks::table
        .filter(echecks::office_id.eq(office))
        .order(echecks::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(Check::as_select())
        .load(conn)
}

/// The buyer's latest checks, whatever their state (found through the buyer's key index).
pub fn recent_checks_of(conn: &mut DbConnection, buyer: &LedgerAccountId, limit: i64) -> QueryResult<Vec<Check>> {
    echecks::table
        .filter(echecks::buyer_account_id.eq(buyer))
        .order(echecks::created_at.desc())
        .limit(limit)
        .select(Check::as_select())
        .load(conn)
}

pub fn checks_by_ids(conn: &mut DbConnection, ids: &[CheckId]) -> QueryResult<Vec<Check>> {
    echecks::table.filter(echecks::id.eq_any(ids)).select(Check::as_select()).load(conn)
}

// ---- registries ----

pub fn offices(conn: &mut DbConnection) -> QueryResult<Vec<Office>> {
    selling_offices::table.order(selling_offices::code).select(Office::as_select()).load(conn)
}

pub fn office_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Office>> {
    Ok(crate::db::load_on_backend!(
        conn,
        selling_offices::table.filter(selling_offices::code.eq(code)).select(Office::as_select())
    )?
    .into_iter()
    .next())
}

pub fn offices_by_ids(conn: &mut DbConnection, ids: &[OfficeId]) -> QueryResult<Vec<Office>> {
    selling_offices::table.filter(selling_offices::id.eq_any(ids)).select(Office::as_select()).load(conn)
}

pub fn insert_office(conn: &mut DbConnection, row: &Office) -> QueryResult<usize> {
    diesel::insert_into(selling_offices::table).values(row).execute(conn)
}

pub fn update_office(conn: &mut DbConnection, row: &Office) -> QueryResult<usize> {
    use crate::db::schema::selling_offices::dsl::{
        address, bank, bank_account, fax, name, phone, suspended_at, updated_at,
    };
    diesel::update(selling_offices::table.find(&row.id))
        .set((
            name.eq(&row.name),
            address.eq(&row.address),
            phone.eq(&row.phone),
            fax.eq(&row.fax),
            bank.eq(&row.bank),
            bank_account.eq(&row.bank_account),
            suspended_at.eq(row.suspended_at),
            updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

pub fn carriers(conn: &mut DbConnection) -> QueryResult<Vec<Carrier>> {
    carriers::table.order(carriers::code).select(Carrier::as_select()).load(conn)
}

pub fn carrier_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Carrier>> {
    Ok(crate::db::load_on_backend!(conn, carriers::table.filter(carriers::code.eq(code)).select(Carrier::as_select()))?
        .into_iter()
        .next())
}

pub fn carriers_by_ids(conn: &mut DbConnection, ids: &[CarrierId]) -> QueryResult<Vec<Carrier>> {
    carriers::table.filter(carriers::id.eq_any(ids)).select(Carrier::as_select()).load(conn)
}

pub fn insert_carrier(conn: &mut DbConnection, row: &Carrier) -> QueryResult<usize> {
    diesel::insert_into(carriers::table).values(row).execute(conn)
}

pub fn update_carrier(conn: &mut DbConnection, row: &Carrier) -> QueryResult<usize> {
    use crate::db::schema::carriers::dsl::{address, name, phone, suspended_at, updated_at};
    diesel::update(carriers::table.find(&row.id))
        .set((
            name.eq(&row.name),
            address.eq(&row.address),
            phone.eq(&row.phone),
            suspended_at.eq(row.suspended_at),
            updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

pub fn office_of_user(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<Office>> {
    Ok(crate::db::load_on_backend!(
        conn,
        office_staff::table
            .inner_join(selling_offices::table)
            .filter(office_staff::user_id.eq(user))
            .select(Office::as_select())
    )?
    .into_iter()
    .next())
}

/// The office names of salespeople, read with every product page. PostgreSQL takes the list as
/// one array (`= ANY($1)`, one prepared statement whatever its length, one round trip); SQLite
/// would compile an `IN (?, ...)` per length, so it asks once per salesperson, in process.
pub fn office_names_of_users(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<Vec<(UserId, String)>> {
    let query = office_staff::table.inner_join(selling_offices::table);
    match conn {
        DbConnection::Postgresql(c) => query
            .filter(office_staff::user_id.eq_any(users))
            .select((office_staff::user_id, selling_offices::name))
            .load(c),
        DbConnection::Sqlite(c) => {
            let mut names = Vec::with_capacity(users.len());
            for user in users {
                let found: Vec<(UserId, String)> = query
                    .filter(office_staff::user_id.eq(user))
                    .select((office_staff::user_id, selling_offices::name))
                    .load(c)?;
                names.extend(found);
            }
            Ok(names)
        }
    }
}

pub fn carrier_of_user(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<Carrier>> {
    Ok(crate::db::load_on_backend!(
        conn,
        carrier_staff::table
            .inner_join(carriers::table)
            .filter(carrier_staff::user_id.eq(user))
            .select(Carrier::as_select())
    )?
    .into_iter()
    .next())
}

/// Puts the user on the office's staff (a salesperson works for one office at a time).
pub fn set_office_staff(
    conn: &mut DbConnection,
    user: &UserId,
    office: &OfficeId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(office_staff::table.find(user)).execute(conn)?;
    diesel::insert_into(office_staff::table)
        .values((office_staff::user_id.eq(user), office_staff::office_id.eq(office), office_staff::added_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

pub fn set_carrier_staff(
    conn: &mut DbConnection,
    user: &UserId,
    carrier: &CarrierId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(carrier_staff::table.find(user)).execute(conn)?;
    diesel::insert_into(carrier_staff::table)
        .values((
            carrier_staff::user_id.eq(user),
            carrier_staff::carrier_id.eq(carrier),
            carrier_staff::added_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn remove_office_staff(conn: &mut DbConnection, user: &UserId, office: &OfficeId) -> QueryResult<usize> {
    diesel::delete(office_staff::table.find(user).filter(office_staff::office_id.eq(office))).execute(conn)
}

pub fn remove_carrier_staff(conn: &mut DbConnection, user: &UserId, carrier: &CarrierId) -> QueryResult<usize> {
    diesel::delete(carrier_staff::table.find(user).filter(carrier_staff::carrier_id.eq(carrier))).execute(conn)
}

pub fn office_staff_of(conn: &mut DbConnection, office: &OfficeId) -> QueryResult<Vec<UserId>> {
    office_staff::table
        .filter(office_staff::office_id.eq(office))
        .order(office_staff::added_at)
        .select(office_staff::user_id)
        .load(conn)
}

pub fn carrier_staff_of(conn: &mut DbConnection, carrier: &CarrierId) -> QueryResult<Vec<UserId>> {
    carrier_staff::table
        .filter(carrier_staff::carrier_id.eq(carrier))
        .order(carrier_staff::added_at)
        .select(carrier_staff::user_id)
        .load(conn)
}

pub fn insert_registry_event(conn: &mut DbConnection, row: &RegistryEvent) -> QueryResult<usize> {
    diesel::insert_into(registry_events::table).values(row).execute(conn)
}

pub fn registry_events_of(conn: &mut DbConnection, subject: &str) -> QueryResult<Vec<RegistryEvent>> {
    registry_events::table
        .filter(registry_events::subject_id.eq(subject))
        .order(registry_events::id.desc())
        .limit(50)
        .select(RegistryEvent::as_select())
        .load(conn)
}

// ---- the books' invariants, recomputed from scratch ----

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    id: String,
}

fn number(conn: &mut DbConnection, sql: &str) -> QueryResult<i64> {
    Ok(diesel::sql_query(sql).get_result::<Number>(conn)?.n)
}

fn names(conn: &mut DbConnection, sql: &str) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(sql).load::<Named>(conn)?.into_iter().map(|r| r.id).collect())
}

pub fn sum_of_balances(conn: &mut DbConnection) -> QueryResult<i64> {
    number(conn, "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS n FROM ledger_accounts")
}

pub fn sum_of_entries(conn: &mut DbConnection) -> QueryResult<i64> {
    number(conn, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM ledger_entries")
}

pub fn accounts_below_floor(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    names(
        conn,
        "SELECT id FROM ledger_accounts WHERE NOT external \
         AND (balance + credit_line < 0 OR balance + credit_line - held < 0 OR held < 0)",
    )
}

pub fn accounts_with_wrong_holds(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    names(
        conn,
        "SELECT a.id FROM ledger_accounts a WHERE a.held <> (SELECT COALESCE(SUM(t.amount), 0) \
         FROM ledger_transfers t WHERE t.debit_account_id = a.id AND t.state = 'pending')",
    )
}

pub fn accounts_with_wrong_balance(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    names(
        conn,
        "SELECT a.id FROM ledger_accounts a WHERE a.balance <> (SELECT COALESCE(SUM(e.amount), 0) \
         FROM ledger_entries e WHERE e.account_id = a.id)",
    )
}

/// Posted transfers without exactly two entries that cancel out, and entries of unposted ones.
pub fn transfers_with_wrong_entries(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    names(
        conn,
        "SELECT t.id FROM ledger_transfers t LEFT JOIN (SELECT transfer_id, COUNT(*) AS n, SUM(amount) AS net, \
         SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS credited FROM ledger_entries GROUP BY transfer_id) e \
         ON e.transfer_id = t.id WHERE \
         (t.state = 'posted' AND (e.n IS NULL OR e.n <> 2 OR e.net <> 0 OR e.credited <> t.posted_amount)) \
         OR (t.state <> 'posted' AND e.n IS NOT NULL)",
    )
}

/// Checks whose state disagrees with their transfer's (paid ⇔ posted, issued ⇔ pending).
pub fn checks_out_of_step(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    names(
        conn,
        "SELECT c.code AS id FROM echecks c JOIN ledger_transfers t ON t.check_id = c.id WHERE \
         (c.state = 'issued' AND t.state <> 'pending') OR (c.state = 'paid' AND t.state <> 'posted') \
         OR (c.state IN ('voided', 'expired') AND t.state <> 'voided') \
         OR (c.state = 'paid' AND c.paid_amount <> t.posted_amount) OR c.amount <> t.amount",
    )
}

/// Checks issued and not yet paid, voided or expired.
pub fn count_open_checks(conn: &mut DbConnection) -> QueryResult<i64> {
    echecks::table.filter(echecks::state.eq(CheckState::Issued.as_str())).count().get_result(conn)
}
