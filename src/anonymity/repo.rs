//! Queries on the module's own tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::db::schema::{
    anon_notices, anon_order_events, anon_orders, anon_results, pickup_point_staff, pickup_points, prepaid_batches,
    prepaid_cards,
};
use crate::db::sql::Sql;
use crate::echeck::{OfficeId, TransferId};

// ---- pickup points ----

pub fn insert_point(conn: &mut DbConnection, p: &PickupPoint) -> QueryResult<usize> {
    diesel::insert_into(pickup_points::table).values(p).execute(conn)
}

pub fn save_point(conn: &mut DbConnection, p: &PickupPoint) -> QueryResult<usize> {
    diesel::update(pickup_points::table.find(&p.id)).set(p).execute(conn)
}

pub fn point_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<PickupPoint>> {
    one(crate::db::load_on_backend!(
        conn,
        pickup_points::table.filter(pickup_points::code.eq(code)).select(PickupPoint::as_select())
    ))
}

pub fn point(conn: &mut DbConnection, id: &PickupPointId) -> QueryResult<Option<PickupPoint>> {
    one(crate::db::load_on_backend!(conn, pickup_points::table.find(id).select(PickupPoint::as_select())))
}

pub fn points(conn: &mut DbConnection) -> QueryResult<Vec<PickupPoint>> {
    pickup_points::table.order(pickup_points::name.asc()).select(PickupPoint::as_select()).load(conn)
}

pub fn points_by_ids(conn: &mut DbConnection, ids: &[PickupPointId]) -> QueryResult<Vec<PickupPoint>> {
    pickup_points::table.filter(pickup_points::id.eq_any(ids)).select(PickupPoint::as_select()).load(conn)
}

/// Puts the user on the point's staff (off any other point's).
pub fn set_staff(conn: &mut DbConnection, user: &UserId, point: &PickupPointId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(pickup_point_staff::table.find(user)).execute(conn)?;
    let row = PointStaff { user_id: user.clone(), pickup_point_id: point.clone(), added_at: at };
    diesel::insert_into(pickup_point_staff::table).values(&row).execute(conn).map(drop)
}

pub fn remove_staff(conn: &mut DbConnection, user: &UserId, point: &PickupPointId) -> QueryResult<usize> {
    diesel::delete(
        pickup_point_staff::table
            .filter(pickup_point_staff::user_id.eq(user))
            .filter(pickup_point_staff::pickup_point_id.eq(point)),
    )
    .execute(conn)
}

pub fn staff_of(conn: &mut DbConnection, point: &PickupPointId) -> QueryResult<Vec<UserId>> {
    pickup_point_staff::table
        .filter(pickup_point_staff::pickup_point_id.eq(point))
        .order(pickup_point_staff::added_at.asc())
        .select(pickup_point_staff::user_id)
        .load(conn)
}

pub fn point_of_user(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<PickupPoint>> {
    pickup_point_staff::table
        .inner_join(pickup_points::table)
        .filter(pickup_point_staff::user_id.eq(user))
        .select(PickupPoint::as_select())
        .first(conn)
        .optional()
}

// ---- prepaid cards ----

pub fn insert_batch(conn: &mut DbConnection, b: &Batch) -> QueryResult<usize> {
    diesel::insert_into(prepaid_batches::table).values(b).execute(conn)
}

pub fn insert_cards(conn: &mut DbConnection, cards: &[Card]) -> QueryResult<usize> {
    let mut n = 0;
    // In slices: SQLite allows a limited number of bound values per statement.
    for chunk in cards.chunks(500) {
        n += crate::db::on_backend!(conn, c => diesel::insert_into(prepaid_cards::table).values(chunk).execute(c))?;
    }
    Ok(n)
}

pub fn batches(conn: &mut DbConnection) -> QueryResult<Vec<Batch>> {
    prepaid_batches::table.order(prepaid_batches::created_at.desc()).select(Batch::as_select()).load(conn)
}

pub fn batch_by_number(conn: &mut DbConnection, number: &str) -> QueryResult<Option<Batch>> {
    prepaid_batches::table.filter(prepaid_batches::number.eq(number)).select(Batch::as_select()).first(conn).optional()
}

pub fn cards_of(conn: &mut DbConnection, batch: &BatchId) -> QueryResult<Vec<Card>> {
    prepaid_cards::table
        .filter(prepaid_cards::batch_id.eq(batch))
        .order(prepaid_cards::id.asc())
        .select(Card::as_select())
        .load(conn)
}

pub fn all_cards(conn: &mut DbConnection) -> QueryResult<Vec<Card>> {
    prepaid_cards::table.select(Card::as_select()).load(conn)
}

pub fn card_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Card>> {
    one(crate::db::load_on_backend!(
        conn,
        prepaid_cards::table.filter(prepaid_cards::code_hash.eq(hash)).select(Card::as_select())
    ))
}

pub fn card(conn: &mut DbConnection, id: &CardId) -> QueryResult<Option<Card>> {
    prepaid_cards::table.find(id).select(Card::as_select()).first(conn).optional()
}

pub fn set_card_blocked(conn: &mut DbConnection, id: &CardId, at: Option<NaiveDateTime>) -> QueryResult<usize> {
    diesel::update(prepaid_cards::table.find(id)).set(prepaid_cards::blocked_at.eq(at)).execute(conn)
}

// ---- results ----

pub fn insert_results(conn: &mut DbConnection, row: &ResultRow) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(anon_results::table).values(row).execute(c))
}

pub fn results(conn: &mut DbConnection, token: &str) -> QueryResult<Option<ResultRow>> {
    one(crate::db::load_on_backend!(conn, anon_results::table.find(token).select(ResultRow::as_select())))
}

pub fn forget_results(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(anon_results::table.filter(anon_results::created_at.lt(before))).execute(conn)
}

// ---- orders ----

/// On the connection's own backend: through the enum diesel writes the 27 columns' SQL out again
/// at every insert to find its prepared statement.
pub fn insert_order(conn: &mut DbConnection, o: &AnonOrder) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(anon_orders::table).values(o).execute(c))
}

pub fn order_by_link(conn: &mut DbConnection, link_hash: &str) -> QueryResult<Option<AnonOrder>> {
    one(crate::db::load_on_backend!(
        conn,
        anon_orders::table.filter(anon_orders::link_hash.eq(link_hash)).select(AnonOrder::as_select())
    ))
}

pub fn order_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<AnonOrder>> {
    one(crate::db::load_on_backend!(
        conn,
        anon_orders::table.filter(anon_orders::code.eq(code)).select(AnonOrder::as_select())
    ))
}

pub fn order(conn: &mut DbConnection, id: &AnonOrderId) -> QueryResult<Option<AnonOrder>> {
    one(crate::db::load_on_backend!(conn, anon_orders::table.find(id).select(AnonOrder::as_select())))
}

pub fn orders_of_office(conn: &mut DbConnection, office: &OfficeId, limit: i64) -> QueryResult<Vec<AnonOrder>> {
    anon_orders::table
        .filter(anon_orders::office_id.eq(office))
        .order(anon_orders::created_at.desc())
        .limit(limit)
        .select(AnonOrder::as_select())
        .load(conn)
}

pub fn orders_of_carrier(conn: &mut DbConnection, carrier: &str, states: &[AnonState]) -> QueryResult<Vec<AnonOrder>> {
    anon_orders::table
        .filter(anon_orders::carrier_code.eq(carrier))
        .filter(anon_orders::state.eq_any(states))
        .order(anon_orders::dispatched_at.asc())
        .limit(200)
        .select(AnonOrder::as_select())
        .load(conn)
}

pub fn orders_at_point(
    conn: &mut DbConnection,
    point: &PickupPointId,
    states: &[AnonState],
) -> QueryResult<Vec<AnonOrder>> {
    anon_orders::table
        .filter(anon_orders::pickup_point_id.eq(point))
        .filter(anon_orders::state.eq_any(states))
        .order(anon_orders::updated_at.desc())
        .limit(200)
        .select(AnonOrder::as_select())
        .load(conn)
}

/// Unpaid orders whose payment window has closed.
pub fn unpaid_due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> QueryResult<Vec<AnonOrder>> {
    anon_orders::table
        .filter(anon_orders::state.eq(AnonState::AwaitingPayment))
        .filter(anon_orders::pay_until.lt(at))
        .limit(limit)
        .select(AnonOrder::as_select())
        .load(conn)
}

/// Parcels at a pickup point since before `arrived_before`.
pub fn uncollected_due(
    conn: &mut DbConnection,
    arrived_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<AnonOrder>> {
    anon_orders::table
        .filter(anon_orders::state.eq(AnonState::Arrived))
        .filter(anon_orders::arrived_at.lt(arrived_before))
        .limit(limit)
        .select(AnonOrder::as_select())
        .load(conn)
}

/// Moves the order from `from` to `to` when it is still there; false when another request moved
/// it first. The step's own columns are set by the caller's `also` statements in the same
/// transaction.
pub fn change_state(
    conn: &mut DbConnection,
    id: &AnonOrderId,
    from: AnonState,
    to: AnonState,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    // Kept prepared (`Sql`): diesel parses its UPDATEs again at every run, and every step of
    // every order runs this one.
    let mut q = Sql::new("UPDATE anon_orders SET state = ");
    q.text(to.as_str()).push(", updated_at = ").time(at);
    q.push(" WHERE id = ").text(id.as_str()).push(" AND state = ").text(from.as_str());
    Ok(q.execute(conn)? == 1)
}

pub fn set_paid(
    conn: &mut DbConnection,
    id: &AnonOrderId,
    card: &CardId,
    hold: &TransferId,
    point: &PickupPointId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE anon_orders SET card_id = ");
    q.text(card.as_str()).push(", hold_id = ").text(hold.as_str());
    q.push(", pickup_point_id = ").text(point.as_str()).push(", paid_at = ").time(at);
    q.push(" WHERE id = ").text(id.as_str());
    q.execute(conn)
}

pub fn set_dispatched(
    conn: &mut DbConnection,
    id: &AnonOrderId,
    carrier: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(anon_orders::table.find(id))
        .set((anon_orders::carrier_code.eq(carrier), anon_orders::dispatched_at.eq(at)))
        .execute(conn)
}

pub fn set_arrived(conn: &mut DbConnection, id: &AnonOrderId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(anon_orders::table.find(id)).set(anon_orders::arrived_at.eq(at)).execute(conn)
}

pub fn set_collected(conn: &mut DbConnection, id: &AnonOrderId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(anon_orders::table.find(id)).set(anon_orders::collected_at.eq(at)).execute(conn)
}

pub fn set_returned(conn: &mut DbConnection, id: &AnonOrderId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(anon_orders::table.find(id)).set(anon_orders::returned_at.eq(at)).execute(conn)
}

/// The counter gave a returned parcel back to the carrier (once).
pub fn set_sent_back(conn: &mut DbConnection, id: &AnonOrderId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        anon_orders::table
            .find(id)
            .filter(anon_orders::state.eq(AnonState::Returned))
            .filter(anon_orders::sent_back_at.is_null()),
    )
    .set((anon_orders::sent_back_at.eq(at), anon_orders::updated_at.eq(at)))
    .execute(conn)
}

/// A new PIN, when the generation is still the one read (a double click makes one).
pub fn set_pin(
    conn: &mut DbConnection,
    id: &AnonOrderId,
    was: i32,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(anon_orders::table.find(id).filter(anon_orders::pin_generation.eq(was)))
        .set((anon_orders::pin_generation.eq(was + 1), anon_orders::pin_hash.eq(hash), anon_orders::updated_at.eq(at)))
        .execute(conn)
}

// ---- events ----

pub fn insert_event(conn: &mut DbConnection, e: &AnonEvent) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(anon_order_events::table).values(e).execute(c))
}

// ---- notices to sellers ----

pub fn insert_notice(conn: &mut DbConnection, n: &Notice) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(anon_notices::table).values(n).execute(c))
}

/// The oldest notices, up to `limit`, with their orders and pickup points; on PostgreSQL locked,
/// skipping those another instance's job holds, so no seller is told twice.
pub fn notices(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<NoticeToTell>> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    type Types = (Text, Text, Text, Text, Text, BigInt, BigInt, Text, Timestamp, Nullable<Text>, Nullable<Text>);
    let mut q = Sql::new(
        "SELECT n.order_id, n.state, o.office_id, o.code, o.commodity, o.quantity, o.unit_price, o.currency, \
         o.pay_until, p.name, p.address FROM anon_notices n JOIN anon_orders o ON o.id = n.order_id \
         LEFT JOIN pickup_points p ON p.id = o.pickup_point_id ORDER BY n.at",
    );
    q.push(&format!(" LIMIT {limit}"));
    if matches!(conn, DbConnection::Postgresql(_)) {
        q.push(" FOR UPDATE OF n SKIP LOCKED");
    }
    q.load_as::<Types, NoticeToTell>(conn)
}

/// Kept prepared (`Sql`): the job runs it for every notice it told of.
pub fn delete_notice(conn: &mut DbConnection, order: &AnonOrderId, state: AnonState) -> QueryResult<usize> {
    let mut q = Sql::new("DELETE FROM anon_notices WHERE order_id = ");
    q.text(order.as_str()).push(" AND state = ").text(state.as_str());
    q.execute(conn)
}

pub fn events_of(conn: &mut DbConnection, order: &AnonOrderId) -> QueryResult<Vec<AnonEvent>> {
    anon_order_events::table
        .filter(anon_order_events::order_id.eq(order))
        .order((anon_order_events::at.asc(), anon_order_events::id.asc()))
        .select(AnonEvent::as_select())
        .load(conn)
}

/// The row a lookup by a unique key found. The lookups above run on the connection's own backend
/// with no `LIMIT` (see `db::unique`): the order, card and point lookups are on every step of an
/// anonymous purchase, and through the enum each one wrote its 25 columns' SQL out again.
fn one<T>(rows: QueryResult<Vec<T>>) -> QueryResult<Option<T>> {
    Ok(rows?.into_iter().next())
}
