//! Queries on the accounts tables (users, user_roles, account_events, sessions, delivery_addresses). Private to the module.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use crate::db::DbConnection;
use crate::db::schema::{
    account_events, delivery_addresses, password_resets, pending_registrations, sessions, user_roles, users,
};
use crate::db::sql::Sql;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn insert_user(conn: &mut DbConnection, row: &NewUserRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(row).execute(conn)
}

/// Read on every request of a logged-in user, so on the backend's own type (`load_on_backend!`).
pub fn user_by_id(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    let rows: Vec<UserRow> = crate::db::load_on_backend!(conn, users::table.find(id).select(UserRow::as_select()))?;
    Ok(rows.into_iter().next())
}

pub fn user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    crate::db::unique(users::table.filter(users::email.eq(email)).select(UserRow::as_select()), conn)
}

pub fn email_taken(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(email)))).get_result(conn)
}

pub fn login_record(conn: &mut DbConnection, email: &str) -> QueryResult<Option<LoginRecord>> {
    users::table
        .filter(users::email.eq(email))
        .select((users::id, users::password_hash, users::suspended_at))
        .first::<(UserId, String, Option<NaiveDateTime>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(id, password_hash, suspended)| LoginRecord { id, password_hash, suspended: suspended.is_some() })
        })
}

pub fn password_hash(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<String>> {
    crate::db::unique(users::table.find(id).select(users::password_hash), conn)
}

pub fn set_password_hash(conn: &mut DbConnection, id: &UserId, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::password_hash.eq(hash), users::updated_at.eq(now))).execute(conn)
}

pub fn set_personal(conn: &mut DbConnection, id: &UserId, p: &PersonalData, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::full_name.eq(&p.full_name),
            users::postal_address.eq(&p.postal_address),
            users::phone.eq(&p.phone),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_suspended(
    conn: &mut DbConnection,
    id: &UserId,
    at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::suspended_at.eq(at), users::updated_at.eq(now))).execute(conn)
}

/// Users whose e-mail or name contains `needle` (any case), newest first, with the total count.
pub fn search(conn: &mut DbConnection, needle: &str, limit: i64, offset: i64) -> QueryResult<Vec<UserRow>> {
    let pattern = format!("%{}%", escape_like(&needle.to_lowercase()));
    users::table
        .filter(users::email.like(pattern.clone()).escape('\\').or(lower(users::full_name).like(pattern).escape('\\')))
        .order(users::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The users with these IDs (unknown IDs are left out), in one query.
pub fn users_by_ids(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserRow>> {
    users::table.filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)
}

pub fn email_of(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<String>> {
    crate::db::unique(users::table.find(id).select(users::email), conn)
}

/// The names of the users with these IDs, in one query.
pub fn names_by_ids(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<(UserId, String)>> {
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::full_name)).load(conn)
}

pub fn roles_of(conn: &mut DbConnection, id: &UserId) -> QueryResult<Vec<Role>> {
    crate::db::load_on_backend!(conn, user_roles::table.filter(user_roles::user_id.eq(id)).select(user_roles::role))
}

pub fn roles_of_many(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<(UserId, Role)>> {
    user_roles::table.filter(user_roles::user_id.eq_any(ids)).select((user_roles::user_id, user_roles::role)).load(conn)
}

/// Adds a role; false when the user had it already.
pub fn insert_role(conn: &mut DbConnection, id: &UserId, role: Role, now: NaiveDateTime) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        user_roles::table.filter(user_roles::user_id.eq(id)).filter(user_roles::role.eq(role)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(user_roles::table).values(NewRoleRow { user_id: id, role, granted_at: now }).execute(conn)?;
    Ok(true)
}

pub fn delete_role(conn: &mut DbConnection, id: &UserId, role: Role) -> QueryResult<usize> {
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(id)).filter(user_roles::role.eq(role))).execute(conn)
}

pub fn insert_event(conn: &mut DbConnection, row: &NewEventRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(account_events::table).values(row).execute(conn)
}

pub fn events_of(conn: &mut DbConnection, id: &UserId, limit: i64) -> QueryResult<Vec<AccountEvent>> {
    account_events::table
        .filter(account_events::user_id.eq(id))
        .order((account_events::at.desc(), account_events::id.desc()))
        .limit(limit)
        .select(AccountEvent::as_select())
        .load(conn)
}

pub fn load_session(conn: &mut DbConnection, id_hash: &str) -> QueryResult<Option<SessionRow>> {
    let rows: Vec<SessionRow> =
        crate::db::load_on_backend!(conn, sessions::table.find(id_hash).select(SessionRow::as_select()))?;
    Ok(rows.into_iter().next())
}

pub fn insert_session(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: Option<&UserId>,
    state: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash),
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
}

pub fn update_session(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: Option<&UserId>,
    state: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    // db::Sql rather than diesel's update, which is parsed again on every execution: sessions are
    // written on most requests of a logged-in user.
    let mut q = Sql::new("UPDATE sessions SET user_id = ");
    match user_id {
        Some(id) => q.text(id.as_str()),
        None => q.push("NULL"),
    };
    q.push(", state = ").text(state).push(", last_seen_at = ").time(now).push(" WHERE id_hash = ").text(id_hash);
    q.execute(conn)
}

pub fn touch_session(conn: &mut DbConnection, id_hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE sessions SET last_seen_at = ");
    q.time(now).push(" WHERE id_hash = ").text(id_hash);
    q.execute(conn)
}

pub fn delete_session(conn: &mut DbConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

pub fn delete_sessions_of(conn: &mut DbConnection, id: &UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)
}

pub fn delete_sessions_before(
    conn: &mut DbConnection,
    last_seen_before: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(sessions::last_seen_at.lt(last_seen_before).or(sessions::created_at.lt(created_before))),
    )
    .execute(conn)
}

pub fn count_sessions_of(conn: &mut DbConnection, id: &UserId) -> QueryResult<i64> {
    sessions::table.filter(sessions::user_id.eq(id)).count().get_result(conn)
}

// ---- delivery addresses ----

pub fn delivery_address_id(
    conn: &mut DbConnection,
    user: &UserId,
    address: &str,
) -> QueryResult<Option<DeliveryAddressId>> {
    crate::db::unique(
        delivery_addresses::table
            .filter(delivery_addresses::user_id.eq(user))
            .filter(delivery_addresses::address.eq(address))
            .select(delivery_addresses::id),
        conn,
    )
}

pub fn insert_delivery_address(
    conn: &mut DbConnection,
    id: &DeliveryAddressId,
    user: &UserId,
    address: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(delivery_addresses::table)
        .values((
            delivery_addresses::id.eq(id),
            delivery_addresses::user_id.eq(user),
            delivery_addresses::address.eq(address),
            delivery_addresses::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))
}

pub fn delivery_addresses(
    conn: &mut DbConnection,
    ids: &[DeliveryAddressId],
) -> QueryResult<Vec<(DeliveryAddressId, String)>> {
    delivery_addresses::table
        .filter(delivery_addresses::id.eq_any(ids))
        .select((delivery_addresses::id, delivery_addresses::address))
        .load(conn)
}

pub fn delivery_address(conn: &mut DbConnection, id: &DeliveryAddressId) -> QueryResult<Option<String>> {
    crate::db::unique(delivery_addresses::table.find(id).select(delivery_addresses::address), conn)
}

// ---- password resets ----

pub fn insert_password_reset(conn: &mut DbConnection, row: &PasswordReset) -> QueryResult<usize> {
    diesel::insert_into(password_resets::table).values(row).execute(conn)
}

/// Takes a reset link for its one use: only while it is unused and unexpired. The user it
/// resets, or None when the link is unknown, used or expired.
pub fn use_password_reset(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    let open = password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now));
    let user: Option<UserId> = open.select(password_resets::user_id).first(conn).optional()?;
    if user.is_none() {
        return Ok(None);
    }
    let taken = diesel::update(open).set(password_resets::used_at.eq(now)).execute(conn)?;
    Ok(if taken == 1 { user } else { None })
}

/// The user an open reset link is for, without using it (the page with the form).
pub fn open_password_reset(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .select(password_resets::user_id)
        .first(conn)
        .optional()
}

/// Ends every other open link of the user (a reset or a new password makes them moot).
pub fn close_password_resets(conn: &mut DbConnection, user: &UserId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        password_resets::table.filter(password_resets::user_id.eq(user)).filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)
}

pub fn delete_password_resets_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(cutoff))).execute(conn)
}

/// Users in all, and those registered since `since`.
pub fn user_counts(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let all = users::table.count().get_result(conn)?;
    let new = users::table.filter(users::created_at.ge(since)).count().get_result(conn)?;
    Ok((all, new))
}

pub fn insert_pending_registration(conn: &mut DbConnection, row: &PendingRegistration) -> QueryResult<usize> {
    diesel::insert_into(pending_registrations::table).values(row).execute(conn)
}

/// The registration behind an unexpired link.
pub fn open_pending_registration(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingRegistration>> {
    crate::db::unique(
        pending_registrations::table
            .filter(pending_registrations::token_hash.eq(token_hash))
            .filter(pending_registrations::expires_at.gt(now))
            .select(PendingRegistration::as_select()),
        conn,
    )
}

/// Removes every waiting registration of an address (one was used, or the account exists).
pub fn delete_pending_registrations_of(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(pending_registrations::table.filter(pending_registrations::email.eq(email))).execute(conn)
}

pub fn delete_pending_registrations_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending_registrations::table.filter(pending_registrations::expires_at.lt(cutoff))).execute(conn)
}
