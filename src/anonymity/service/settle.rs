//! The private order link (seed 004, steps B6–B8): the order's state at every step, the pickup
//! PIN, and the settlement by prepaid card with the choice of a pickup point.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Step};
use super::request::sale_of;
use super::{AnonError, PICKUP_PIN, Refusal, Result, Terms, advance};
use crate::db::DbConnection;
use crate::echeck::{EcheckError, Move};
use crate::web::attempts::AttemptLimiter;
use crate::web::idempotency::IdempotencyKey;

/// The order a private link names. Anything that cannot be a link is not found, without a query.
pub fn order_by_link(conn: &mut DbConnection, link: &str) -> Result<AnonOrder> {
    if !rules::is_link(link) {
        return Err(AnonError::NotFound);
    }
    repo::order_by_link(conn, &rules::link_hash(link))?.ok_or(AnonError::NotFound)
}

/// What the private link shows.
pub struct PrivateView {
    pub order: AnonOrder,
    /// The PIN while the parcel may still be collected.
    pub pin: Option<String>,
    /// The pickup point chosen at payment.
    pub point: Option<PickupPoint>,
    /// The points to choose from while the order waits for payment.
    pub points: Vec<PickupPoint>,
    pub events: Vec<AnonEvent>,
    pub keep_until: Option<NaiveDateTime>,
    /// Wrong PINs at the counter have locked the parcel.
    pub locked: bool,
}

pub fn private_view(
    conn: &mut DbConnection,
    terms: &Terms,
    limiter: &AttemptLimiter,
    link: &str,
    at: NaiveDateTime,
) -> Result<PrivateView> {
    let order = order_by_link(conn, link)?;
    let shows_pin = order.state.may(Step::NewPin) || order.state == AnonState::AwaitingPayment;
    let pin = shows_pin.then(|| rules::pickup_pin(&terms.secret, link, order.pin_generation));
    let point = match &order.pickup_point_id {
        Some(id) => repo::point(conn, id)?,
        None => None,
    };
    let points = if order.state == AnonState::AwaitingPayment {
        repo::points(conn)?.into_iter().filter(PickupPoint::is_active).collect()
    } else {
        Vec::new()
    };
    let locked = order.state == AnonState::Arrived && limiter.is_waiting(conn, PICKUP_PIN, &order.code, at)?;
    Ok(PrivateView {
        keep_until: order.arrived_at.map(|a| rules::keep_until(a, terms.keep_days)),
        events: repo::events_of(conn, &order.id)?,
        order,
        pin,
        point,
        points,
        locked,
    })
}

/// How a payment ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Payment {
    Paid,
    /// The window had closed: the order is expired now and its stock back on sale.
    TooLate,
}

/// Reads a card code as typed; a malformed one is a mistake in the field, before any lookup.
pub fn card_code(raw: &str) -> Result<String> {
    crate::codes::normalize(raw, rules::CARD_GROUPS, rules::CARD_GROUP_LEN).ok_or_else(|| {
        AnonError::field(
            "card",
            "A card code has 16 letters and digits, like ABCD-EFGH-JKMN-PQRS. Check it and type it again.",
        )
    })
}

/// What a payment needs, read before the writer is taken. What the card turned out to be is kept,
/// not told: it is told only after the attempt is counted (`pay_prepared`).
pub struct PaymentPrep {
    order: AnonOrder,
    point: Result<PickupPoint>,
    card: Result<Card>,
    office_account: Option<crate::echeck::LedgerAccountId>,
}

impl PaymentPrep {
    /// The target the attempt limiter counts card codes on: the order.
    pub fn order_key(&self) -> String {
        self.order.id.to_string()
    }
}

/// Reads everything a payment needs: the order, the point, the card and what is left on it, the
/// office's account. Reads only.
pub fn prepare_payment(
    conn: &mut DbConnection,
    terms: &Terms,
    link: &str,
    card: &str,
    point_code: &str,
) -> Result<PaymentPrep> {
    let order = order_by_link(conn, link)?;
    let point = repo::point_by_code(conn, point_code.trim())?
        .filter(PickupPoint::is_active)
        .ok_or_else(|| AnonError::field("point", "Choose a pickup point of the list."));
    let card = match card_code(card) {
        Ok(code) => usable_card(conn, terms, &code, &order)?,
        Err(e) => Err(e),
    };
    let office_account = crate::echeck::account_of_office(conn, &order.office_id)?.map(|a| a.id);
    Ok(PaymentPrep { order, point, card, office_account })
}

/// The card with this code if it can pay the order: known, not blocked, enough left (the hold
/// checks the balance again under the writer).
fn usable_card(conn: &mut DbConnection, terms: &Terms, code: &str, order: &AnonOrder) -> Result<Result<Card>> {
    let Some(card) = repo::card_by_hash(conn, &rules::card_hash(&terms.secret, code))? else {
        return Ok(Err(AnonError::field("card", "No card has this code. Check it and type it again.")));
    };
    if card.blocked_at.is_some() {
        return Ok(Err(AnonError::field("card", "This card is blocked. Ask where you bought it.")));
    }
    let left = crate::echeck::account(conn, &card.account_id)?;
    if left.balance - left.held < order.total() {
        let left = crate::money::format(left.balance - left.held, &order.currency);
        let message =
            format!("This card has {left} left, less than the price {}: nothing was paid.", order.total_text());
        return Ok(Err(AnonError::field("card", message)));
    }
    Ok(Ok(card))
}

/// Settles the order (step B8, claim 11) with a prepaid card, in one transaction: the card pays
/// exactly the price, held for the seller's office until the parcel is collected, or nothing
/// when its balance is short. The sale goes to the history; the seller is told the pickup point
/// (`tell_sellers`).
pub fn pay(
    conn: &mut DbConnection,
    terms: &Terms,
    link: &str,
    card: &str,
    point_code: &str,
    at: NaiveDateTime,
) -> Result<Payment> {
    let prep = prepare_payment(conn, terms, link, card, point_code)?;
    pay_prepared(conn, terms, prep, at)
}

/// The payment's writes, on what `prepare_payment` read. Mistakes in what was typed are told
/// before anything is written (so the attempt's count may commit with them); the order's state
/// is checked again by its conditional update.
pub fn pay_prepared(conn: &mut DbConnection, terms: &Terms, prep: PaymentPrep, at: NaiveDateTime) -> Result<Payment> {
    let PaymentPrep { order, point, card, office_account } = prep;
    if order.state == AnonState::AwaitingPayment && order.pay_until < at {
        super::parcels::expire(conn, &order, at)?;
        return Ok(Payment::TooLate);
    }
    match order.state {
        AnonState::AwaitingPayment => {}
        AnonState::Expired => return Ok(Payment::TooLate),
        AnonState::Paid | AnonState::Dispatched | AnonState::Arrived | AnonState::Collected => {
            return Err(Refusal::PaidAlready.into());
        }
        other => return Err(Refusal::NotNow(other.label()).into()),
    }
    let (point, card) = match (point, card) {
        (Ok(point), Ok(card)) => (point, card),
        // Both fields wrong: both are marked at once.
        (Err(AnonError::Invalid(mut errors)), Err(AnonError::Invalid(more))) => {
            more.iter().for_each(|(field, message)| errors.add(field, message));
            return Err(AnonError::Invalid(errors));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let office = office_account.ok_or(AnonError::NotFound)?;
    let note = format!("Paid by card …{}; pickup at {}.", card.last4, point.name);
    advance(conn, &order, Step::Pay, Actor::Buyer, &note, at)?;
    let m = Move {
        from: card.account_id.clone(),
        to: office,
        amount: order.total(),
        reason: format!("Anonymous order {}", order.code),
        key: IdempotencyKey::named(&format!("anonymous payment {}", order.id)),
        actor: None,
    };
    let hold = match crate::echeck::hold(conn, &m, rules::hold_expiry(at, terms.keep_days), at) {
        Ok(hold) => hold,
        // Another order took the card's money meanwhile: all of this is rolled back.
        Err(EcheckError::Refused(_)) => return Err(Refusal::CardShort.into()),
        Err(e) => return Err(e.into()),
    };
    repo::set_paid(conn, &order.id, &card.id, &hold.id, &point.id, at)?;
    crate::history::record_sales(conn, &[sale_of(&order, order.quantity)], at)?;
    super::notices::notice(conn, &order.id, AnonState::Paid, at)?;
    Ok(Payment::Paid)
}

/// A new pickup PIN (the old one stops working), shown on the private link; it unlocks a parcel
/// locked by wrong PINs.
pub fn new_pin(
    conn: &mut DbConnection,
    terms: &Terms,
    limiter: &AttemptLimiter,
    link: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let order = order_by_link(conn, link)?;
    advance(conn, &order, Step::NewPin, Actor::Buyer, "A new PIN was shown; the old one no longer works.", at)?;
    let next = order.pin_generation + 1;
    let hash = rules::pin_hash(&terms.secret, order.id.as_str(), &rules::pickup_pin(&terms.secret, link, next));
    repo::set_pin(conn, &order.id, order.pin_generation, &hash, at)?;
    limiter.clear(conn, PICKUP_PIN, &order.code)?;
    Ok(())
}
