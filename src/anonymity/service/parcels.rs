//! The parcel's way (seed 004, steps B9–B10, claim 12): the seller sees the pair (order ID,
//! commodity) and dispatches through a carrier to the pickup point; the carrier delivers there;
//! the counter hands the parcel over on order ID and PIN, which posts the payment to the seller.
//! Unpaid orders and uncollected parcels are wound up by the jobs.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Step};
use super::request::sale_of;
use super::{AnonError, PICKUP_PIN, Refusal, Result, Terms, advance, tell_office};
use crate::accounts::UserId;
use crate::catalog::StockLine;
use crate::db::DbConnection;
use crate::echeck::{Carrier, Office};
use crate::web::attempts::AttemptLimiter;

/// The order ID as typed: two groups of four, any case, with or without the dash.
pub fn order_code(raw: &str) -> Option<String> {
    crate::codes::normalize(raw, 2, 4)
}

fn points_of(conn: &mut DbConnection, orders: &[AnonOrder]) -> Result<HashMap<PickupPointId, PickupPoint>> {
    let mut ids: Vec<PickupPointId> = orders.iter().filter_map(|o| o.pickup_point_id.clone()).collect();
    ids.sort();
    ids.dedup();
    Ok(repo::points_by_ids(conn, &ids)?.into_iter().map(|p| (p.id.clone(), p)).collect())
}

// ---- the seller ----

/// An office's anonymous orders, newest first, with their pickup points and the carriers to
/// choose from.
pub struct SellerDesk {
    pub office: Office,
    pub orders: Vec<AnonOrder>,
    pub points: HashMap<PickupPointId, PickupPoint>,
    pub carriers: Vec<Carrier>,
}

pub fn seller_desk(conn: &mut DbConnection, seller: &UserId) -> Result<Option<SellerDesk>> {
    let Some(office) = crate::echeck::office_of(conn, seller)? else { return Ok(None) };
    let orders = repo::orders_of_office(conn, &office.id, 200)?;
    let points = points_of(conn, &orders)?;
    let carriers = crate::echeck::carriers(conn)?.into_iter().filter(Carrier::is_active).collect();
    Ok(Some(SellerDesk { office, orders, points, carriers }))
}

fn office_order(conn: &mut DbConnection, seller: &UserId, code: &str) -> Result<(Office, AnonOrder)> {
    let office = crate::echeck::office_for(conn, seller)?;
    let code = order_code(code).ok_or(AnonError::NotFound)?;
    let order = repo::order_by_code(conn, &code)?.filter(|o| o.office_id == office.id).ok_or(AnonError::NotFound)?;
    Ok((office, order))
}

/// Hands a paid parcel to a carrier for its pickup point.
pub fn dispatch(
    conn: &mut DbConnection,
    seller: &UserId,
    code: &str,
    carrier: &str,
    at: NaiveDateTime,
) -> Result<AnonOrder> {
    let (_, order) = office_order(conn, seller, code)?;
    let carrier = crate::echeck::carrier(conn, &carrier.trim().to_ascii_uppercase())
        .ok()
        .filter(Carrier::is_active)
        .ok_or_else(|| AnonError::field("carrier", "Choose a carrier of the list."))?;
    advance(conn, &order, Step::Dispatch, Actor::Seller, &format!("Handed to {}.", carrier.name), at)?;
    repo::set_dispatched(conn, &order.id, &carrier.code, at)?;
    Ok(order)
}

/// What the parcel's label says: the order ID and where it goes (never a person).
pub struct Label {
    pub order: AnonOrder,
    pub point: PickupPoint,
    pub office: Office,
}

pub fn label(conn: &mut DbConnection, seller: &UserId, code: &str) -> Result<Label> {
    let (office, order) = office_order(conn, seller, code)?;
    let point_id = order.pickup_point_id.clone().ok_or(AnonError::NotFound)?;
    let point = repo::point(conn, &point_id)?.ok_or(AnonError::NotFound)?;
    Ok(Label { order, point, office })
}

// ---- the carrier ----

/// The parcels a carrier has to take to pickup points, each with its point (the carrier sees
/// the place, never a person).
pub fn parcels_for_carrier(conn: &mut DbConnection, carrier: &str) -> Result<Vec<(AnonOrder, PickupPoint)>> {
    let orders = repo::orders_of_carrier(conn, carrier, &[AnonState::Dispatched])?;
    let points = points_of(conn, &orders)?;
    Ok(orders
        .into_iter()
        .filter_map(|o| {
            let point = points.get(o.pickup_point_id.as_ref()?)?.clone();
            Some((o, point))
        })
        .collect())
}

/// The carrier delivered the parcel to its pickup point.
pub fn carrier_delivered(conn: &mut DbConnection, user: &UserId, code: &str, at: NaiveDateTime) -> Result<AnonOrder> {
    let carrier = crate::echeck::carrier_of(conn, user)?.ok_or(AnonError::NotFound)?;
    let code = order_code(code).ok_or(AnonError::NotFound)?;
    let order = repo::order_by_code(conn, &code)?
        .filter(|o| o.carrier_code.as_deref() == Some(carrier.code.as_str()))
        .ok_or(AnonError::NotFound)?;
    arrive(conn, &order, Actor::Carrier, at)?;
    Ok(order)
}

fn arrive(conn: &mut DbConnection, order: &AnonOrder, actor: Actor, at: NaiveDateTime) -> Result<()> {
    advance(conn, order, Step::Arrive, actor, "At the pickup point.", at)?;
    repo::set_arrived(conn, &order.id, at)?;
    Ok(())
}

// ---- the counter ----

/// A parcel waiting at the counter.
pub struct Waiting {
    pub order: AnonOrder,
    pub keep_until: NaiveDateTime,
    pub locked: bool,
}

pub struct CounterDesk {
    pub point: PickupPoint,
    pub expected: Vec<AnonOrder>,
    pub waiting: Vec<Waiting>,
    /// Returned parcels still to give back to a carrier.
    pub to_send_back: Vec<AnonOrder>,
}

pub fn counter_desk(
    conn: &mut DbConnection,
    terms: &Terms,
    limiter: &AttemptLimiter,
    user: &UserId,
    at: NaiveDateTime,
) -> Result<Option<CounterDesk>> {
    let Some(point) = repo::point_of_user(conn, user)? else { return Ok(None) };
    let expected = repo::orders_at_point(conn, &point.id, &[AnonState::Dispatched])?;
    let mut waiting = Vec::new();
    for order in repo::orders_at_point(conn, &point.id, &[AnonState::Arrived])? {
        let locked = limiter.is_waiting(conn, PICKUP_PIN, &order.code, at)?;
        let keep_until = rules::keep_until(order.arrived_at.unwrap_or(order.updated_at), terms.keep_days);
        waiting.push(Waiting { order, keep_until, locked });
    }
    let to_send_back = repo::orders_at_point(conn, &point.id, &[AnonState::Returned])?
        .into_iter()
        .filter(|o| o.sent_back_at.is_none())
        .collect();
    Ok(Some(CounterDesk { point, expected, waiting, to_send_back }))
}

fn counter_order(conn: &mut DbConnection, user: &UserId, code: &str) -> Result<Option<AnonOrder>> {
    let point = repo::point_of_user(conn, user)?.ok_or(AnonError::NotFound)?;
    let Some(code) = order_code(code) else { return Ok(None) };
    Ok(repo::order_by_code(conn, &code)?.filter(|o| o.pickup_point_id.as_ref() == Some(&point.id)))
}

/// The counter received the parcel.
pub fn counter_arrived(conn: &mut DbConnection, user: &UserId, code: &str, at: NaiveDateTime) -> Result<AnonOrder> {
    let order = counter_order(conn, user, code)?.ok_or(AnonError::NotFound)?;
    arrive(conn, &order, Actor::Counter, at)?;
    Ok(order)
}

/// The counter gave a returned parcel to the carrier.
pub fn sent_back(conn: &mut DbConnection, user: &UserId, code: &str, at: NaiveDateTime) -> Result<AnonOrder> {
    let order = counter_order(conn, user, code)?.ok_or(AnonError::NotFound)?;
    if repo::set_sent_back(conn, &order.id, at)? == 0 {
        return Err(Refusal::NotNow(order.state.label()).into());
    }
    super::event(conn, &order.id, order.state, Actor::Counter, "Given back to the carrier for the seller.", at)?;
    Ok(order)
}

/// The target the attempt limiter counts wrong PINs on: the parcel's order ID as typed, read
/// into its stored form (anything else counts on itself).
pub fn pin_target(code: &str) -> String {
    order_code(code).unwrap_or_else(|| code.trim().chars().take(20).collect())
}

/// Hands a parcel over on order ID and PIN (claim 12): collected, and the held money is posted to
/// the seller. Runs inside the attempt limiter's count on the parcel; a wrong PIN is an error,
/// so the count stands.
pub fn hand_over(
    conn: &mut DbConnection,
    terms: &Terms,
    user: &UserId,
    code: &str,
    pin: &str,
    at: NaiveDateTime,
) -> Result<AnonOrder> {
    let order = counter_order(conn, user, code)?
        .filter(|o| o.state == AnonState::Arrived)
        .ok_or_else(|| AnonError::field("code", "No parcel with this order ID waits at this counter."))?;
    let typed = rules::normalize_pin(pin).ok_or_else(|| AnonError::field("pin", "The PIN has 8 digits."))?;
    if !rules::same(&order.pin_hash, &rules::pin_hash(&terms.secret, order.id.as_str(), &typed)) {
        return Err(AnonError::field(
            "pin",
            "Wrong PIN. Ask the buyer to check it; after 5 wrong PINs the parcel locks.",
        ));
    }
    advance(conn, &order, Step::HandOver, Actor::Counter, "Handed over on order ID and PIN.", at)?;
    repo::set_collected(conn, &order.id, at)?;
    if let Some(hold) = &order.hold_id {
        crate::echeck::post(conn, hold, None, at)?;
    }
    let body = format!(
        "The parcel of anonymous order {} ({}) was collected; {} is paid to your office's account.\n",
        order.code,
        order.goods(),
        order.total_text()
    );
    tell_office(conn, &order.office_id, &format!("Anonymous order {} collected", order.code), &body, at)?;
    Ok(order)
}

// ---- the jobs ----

/// Expires an unpaid order whose window closed: its stock goes back on sale.
pub(super) fn expire(conn: &mut DbConnection, order: &AnonOrder, at: NaiveDateTime) -> Result<()> {
    advance(conn, order, Step::Expire, Actor::Shop, "Not paid in time; the stock went back on sale.", at)?;
    let line = StockLine { offer: order.offer_id.clone(), quantity: order.quantity };
    crate::catalog::return_stock(conn, &[line], at)?;
    Ok(())
}

pub fn expire_unpaid(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> Result<usize> {
    let due = repo::unpaid_due(conn, at, limit)?;
    let mut n = 0;
    for order in due {
        match expire(conn, &order, at) {
            Ok(()) => n += 1,
            // Paid or expired by another instance meanwhile.
            Err(AnonError::Refused(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parcels not collected within the keep period go back to the seller: the hold is voided (the
/// money is on the card again), the sale is taken back in the history, the stock returns.
pub fn return_uncollected(conn: &mut DbConnection, keep_days: u64, at: NaiveDateTime, limit: i64) -> Result<usize> {
    let arrived_before = at - chrono::Duration::days(i64::try_from(keep_days).unwrap_or(7));
    let mut n = 0;
    for order in repo::uncollected_due(conn, arrived_before, limit)? {
        match advance(
            conn,
            &order,
            Step::Return,
            Actor::Shop,
            "Not collected in time: back to the seller, card refunded.",
            at,
        ) {
            Ok(_) => {}
            Err(AnonError::Refused(_)) => continue,
            Err(e) => return Err(e),
        }
        repo::set_returned(conn, &order.id, at)?;
        if let Some(hold) = &order.hold_id {
            crate::echeck::release(conn, hold, at)?;
        }
        crate::history::record_sales(conn, &[sale_of(&order, -order.quantity)], at)?;
        let line = StockLine { offer: order.offer_id.clone(), quantity: order.quantity };
        crate::catalog::return_stock(conn, &[line], at)?;
        let body = format!(
            "The parcel of anonymous order {} ({}) was not collected in time. The pickup point gives it back \
             to the carrier for you; the buyer's card was refunded and the goods are back in your stock.\n",
            order.code,
            order.goods()
        );
        tell_office(conn, &order.office_id, &format!("Anonymous order {} returns uncollected", order.code), &body, at)?;
        n += 1;
    }
    Ok(n)
}

pub fn forget_results(conn: &mut DbConnection, at: NaiveDateTime) -> Result<usize> {
    Ok(repo::forget_results(conn, at - chrono::Duration::minutes(super::request::RESULTS_KEEP_MINUTES))?)
}
