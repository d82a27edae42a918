//! Queries on the orders module's tables (carts, makers, orders, items, approvals, events).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use super::rules::OrderState;
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::db::schema::{cart_items, maker_staff, makers, order_approvals, order_events, order_items, orders};
use crate::db::sql::Sql;

// ---- carts ----

pub fn cart_of(conn: &mut DbConnection, user: &UserId) -> QueryResult<Vec<CartLine>> {
    crate::db::load_on_backend!(
        conn,
        cart_items::table
            .filter(cart_items::user_id.eq(user))
            .order((cart_items::added_at, cart_items::offer_code))
            .select((cart_items::offer_code, cart_items::quantity, cart_items::seen_price))
    )
}

/// Sets a cart line's quantity and seen price, adding the line if it is not there.
pub fn put_cart_line(conn: &mut DbConnection, user: &UserId, line: &CartLine, at: NaiveDateTime) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(cart_items::table)
        .values((
            cart_items::user_id.eq(user),
            cart_items::offer_code.eq(&line.offer_code),
            cart_items::quantity.eq(line.quantity),
            cart_items::seen_price.eq(line.seen_price),
            cart_items::added_at.eq(at),
        ))
        .on_conflict((cart_items::user_id, cart_items::offer_code))
        .do_update()
        .set((cart_items::quantity.eq(line.quantity), cart_items::seen_price.eq(line.seen_price)))
        .execute(c))
}

pub fn delete_cart_line(conn: &mut DbConnection, user: &UserId, code: &str) -> QueryResult<usize> {
    diesel::delete(cart_items::table.filter(cart_items::user_id.eq(user)).filter(cart_items::offer_code.eq(code)))
        .execute(conn)
}

pub fn clear_cart(conn: &mut DbConnection, user: &UserId) -> QueryResult<usize> {
    let mut q = Sql::new("DELETE FROM cart_items WHERE user_id = ");
    q.text(user.as_str());
    q.execute(conn)
}

// ---- makers ----

pub fn makers(conn: &mut DbConnection) -> QueryResult<Vec<Maker>> {
    makers::table.order(makers::name).select(Maker::as_select()).load(conn)
}

/// Of these makers (by name), the ones whose goods need their approval.
pub fn approving_makers(conn: &mut DbConnection, names: &[String]) -> QueryResult<Vec<String>> {
    makers::table
        .filter(makers::name.eq_any(names))
        .filter(makers::requires_approval.eq(true))
        .select(makers::name)
        .load(conn)
}

pub fn put_maker(conn: &mut DbConnection, maker: &Maker) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(makers::table)
        .values(maker)
        .on_conflict(makers::name)
        .do_update()
        .set((makers::requires_approval.eq(maker.requires_approval), makers::updated_at.eq(maker.updated_at)))
        .execute(c))
}

pub fn maker_of(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<String>> {
    crate::db::unique(maker_staff::table.find(user).select(maker_staff::maker), conn)
}

pub fn put_maker_staff(conn: &mut DbConnection, user: &UserId, maker: &str, at: NaiveDateTime) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(maker_staff::table)
        .values((maker_staff::user_id.eq(user), maker_staff::maker.eq(maker), maker_staff::added_at.eq(at)))
        .on_conflict(maker_staff::user_id)
        .do_update()
        .set(maker_staff::maker.eq(maker))
        .execute(c))
}

pub fn delete_maker_staff(conn: &mut DbConnection, user: &UserId) -> QueryResult<usize> {
    diesel::delete(maker_staff::table.find(user)).execute(conn)
}

/// (user ID, maker) of everyone acting for a maker.
pub fn maker_staff(conn: &mut DbConnection) -> QueryResult<Vec<(UserId, String)>> {
    maker_staff::table.order(maker_staff::maker).select((maker_staff::user_id, maker_staff::maker)).load(conn)
}

// ---- orders ----

pub fn insert_order(conn: &mut DbConnection, order: &Order) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(orders::table).values(order).execute(c))
}

pub fn insert_items(conn: &mut DbConnection, items: &[OrderItem]) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(order_items::table).values(items).execute(c))
}

pub fn insert_event(conn: &mut DbConnection, event: &OrderEvent) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(order_events::table).values(event).execute(c))
}

pub fn insert_approvals(conn: &mut DbConnection, rows: &[Approval]) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(order_approvals::table).values(rows).execute(c))
}

/// The orders one checkout (one idempotency key) made.
pub fn orders_by_key(conn: &mut DbConnection, buyer: &UserId, key: &str) -> QueryResult<Vec<Order>> {
    crate::db::load_on_backend!(
        conn,
        orders::table
            .filter(orders::buyer_id.eq(buyer))
            .filter(orders::idempotency_key.eq(key))
            .order(orders::number)
            .select(Order::as_select())
    )
}

pub fn order_by_number(conn: &mut DbConnection, number: &str) -> QueryResult<Option<Order>> {
    crate::db::unique(orders::table.filter(orders::number.eq(number)).select(Order::as_select()), conn)
}

/// Moves an order from one state to the next; 0 when another request moved it first.
pub fn set_state(
    conn: &mut DbConnection,
    id: &OrderId,
    from: OrderState,
    to: OrderState,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE orders SET state = ");
    q.text(to.as_str()).push(", updated_at = ").time(at).push(" WHERE id = ").text(id.as_str());
    q.push(" AND state = ").text(from.as_str());
    q.execute(conn)
}

/// Fills in what placing found out after the order row went in: its check and whether it needs
/// a maker's approval.
pub fn complete_order(
    conn: &mut DbConnection,
    id: &OrderId,
    check_code: Option<&str>,
    needs_approval: bool,
) -> QueryResult<usize> {
    let mut q = Sql::new("UPDATE orders SET check_code = ");
    match check_code {
        Some(code) => q.text(code),
        None => q.push("NULL"),
    };
    q.push(if needs_approval { ", needs_approval = TRUE" } else { ", needs_approval = FALSE" });
    q.push(" WHERE id = ").text(id.as_str());
    q.execute(conn)
}

pub fn set_needs_approval(conn: &mut DbConnection, id: &OrderId, needs: bool) -> QueryResult<usize> {
    diesel::update(orders::table.find(id)).set(orders::needs_approval.eq(needs)).execute(conn)
}

pub fn set_carrier(conn: &mut DbConnection, id: &OrderId, carrier: &str) -> QueryResult<usize> {
    diesel::update(orders::table.find(id)).set(orders::carrier_code.eq(carrier)).execute(conn)
}

pub fn set_cash_collected(conn: &mut DbConnection, id: &OrderId, amount: i64) -> QueryResult<usize> {
    diesel::update(orders::table.find(id)).set(orders::cash_collected.eq(Some(amount))).execute(conn)
}

pub fn items_of(conn: &mut DbConnection, id: &OrderId) -> QueryResult<Vec<OrderItem>> {
    crate::db::load_on_backend!(
        conn,
        order_items::table.filter(order_items::order_id.eq(id)).order(order_items::name).select(OrderItem::as_select())
    )
}

pub fn items_of_many(conn: &mut DbConnection, ids: &[OrderId]) -> QueryResult<Vec<OrderItem>> {
    order_items::table
        .filter(order_items::order_id.eq_any(ids))
        .order(order_items::name)
        .select(OrderItem::as_select())
        .load(conn)
}

pub fn events_of(conn: &mut DbConnection, id: &OrderId) -> QueryResult<Vec<OrderEvent>> {
    order_events::table
        .filter(order_events::order_id.eq(id))
        .order((order_events::at, order_events::id))
        .select(OrderEvent::as_select())
        .load(conn)
}

pub fn approvals_of(conn: &mut DbConnection, id: &OrderId) -> QueryResult<Vec<Approval>> {
    order_approvals::table
        .filter(order_approvals::order_id.eq(id))
        .order(order_approvals::maker)
        .select(Approval::as_select())
        .load(conn)
}

/// Records a maker's decision on an order still waiting for it; 0 when it was not waiting.
pub fn decide_approval(
    conn: &mut DbConnection,
    id: &OrderId,
    maker: &str,
    decision: Decision,
    actor: &UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        order_approvals::table
            .filter(order_approvals::order_id.eq(id))
            .filter(order_approvals::maker.eq(maker))
            .filter(order_approvals::state.eq(Decision::Pending)),
    )
    .set((
        order_approvals::state.eq(decision),
        order_approvals::actor_id.eq(Some(actor)),
        order_approvals::decided_at.eq(Some(at)),
    ))
    .execute(conn)
}

pub fn pending_approvals(conn: &mut DbConnection, id: &OrderId) -> QueryResult<i64> {
    order_approvals::table
        .filter(order_approvals::order_id.eq(id))
        .filter(order_approvals::state.eq(Decision::Pending))
        .count()
        .get_result(conn)
}

// ---- lists ----

pub fn orders_of_buyer(conn: &mut DbConnection, buyer: &UserId, offset: i64, limit: i64) -> QueryResult<Vec<Order>> {
    orders::table
        .filter(orders::buyer_id.eq(buyer))
        .order((orders::created_at.desc(), orders::number))
        .offset(offset)
        .limit(limit)
        .select(Order::as_select())
        .load(conn)
}

pub fn orders_of_office(
    conn: &mut DbConnection,
    office: &crate::echeck::OfficeId,
    state: Option<OrderState>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Order>> {
    let mut q = orders::table.filter(orders::office_id.eq(office)).into_boxed();
    if let Some(state) = state {
        q = q.filter(orders::state.eq(state));
    }
    q.order((orders::created_at.desc(), orders::number))
        .offset(offset)
        .limit(limit)
        .select(Order::as_select())
        .load(conn)
}

/// Orders waiting for this maker's approval, oldest first.
pub fn awaiting_maker(conn: &mut DbConnection, maker: &str) -> QueryResult<Vec<Order>> {
    orders::table
        .inner_join(order_approvals::table)
        .filter(order_approvals::maker.eq(maker))
        .filter(order_approvals::state.eq(Decision::Pending))
        .filter(orders::state.eq(OrderState::PriceConfirmed.as_str()))
        .order(orders::created_at)
        .select(Order::as_select())
        .load(conn)
}

/// A carrier's orders in these states, newest first.
pub fn orders_of_carrier(
    conn: &mut DbConnection,
    carrier: &str,
    states: &[&str],
    limit: i64,
) -> QueryResult<Vec<Order>> {
    orders::table
        .filter(orders::carrier_code.eq(carrier))
        .filter(orders::state.eq_any(states))
        .order(orders::updated_at.desc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)
}

/// Placed orders older than `cutoff`, oldest first. On PostgreSQL they are locked, and rows
/// another instance is cancelling right now are skipped.
pub fn unconfirmed_before(conn: &mut DbConnection, cutoff: NaiveDateTime, limit: i64) -> QueryResult<Vec<Order>> {
    let mut q = Sql::new("SELECT * FROM orders WHERE state = 'placed' AND created_at <= ");
    q.time(cutoff).push(&format!(" ORDER BY created_at LIMIT {}", limit.max(1)));
    q.skip_locked(conn);
    q.load(conn)
}

// ---- figures for the start pages ----

/// How many of an office's orders are in each state.
pub fn state_counts_of_office(
    conn: &mut DbConnection,
    office: &crate::echeck::OfficeId,
) -> QueryResult<Vec<(OrderState, i64)>> {
    orders::table
        .filter(orders::office_id.eq(office))
        .group_by(orders::state)
        .select((orders::state, diesel::dsl::count_star()))
        .load(conn)
}

/// When and for how much an office's orders (not cancelled) were placed since `since`.
pub fn sales_of_office_since(
    conn: &mut DbConnection,
    office: &crate::echeck::OfficeId,
    since: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, i64)>> {
    orders::table
        .filter(orders::office_id.eq(office))
        .filter(orders::created_at.ge(since))
        .filter(orders::state.ne(OrderState::Cancelled))
        .select((orders::created_at, orders::total))
        .load(conn)
}

/// How many orders are in each state, shop-wide.
pub fn state_counts(conn: &mut DbConnection) -> QueryResult<Vec<(OrderState, i64)>> {
    orders::table.group_by(orders::state).select((orders::state, diesel::dsl::count_star())).load(conn)
}

/// Orders placed since `since`, shop-wide.
pub fn count_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<i64> {
    orders::table.filter(orders::created_at.ge(since)).count().get_result(conn)
}
