//! The order's life: each step by whoever may take it, with its event and its e-mails.

use chrono::NaiveDateTime;

use super::super::mail::{self, MailKind};
use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Actor, OrderState, Refusal, Step};
use super::{OrderError, Result, invalid};
use crate::accounts::{self, User, UserId};
use crate::catalog;
use crate::collection;
use crate::db::DbConnection;
use crate::echeck::{self, Carrier, EcheckError, Office, Party};
use crate::history;
use crate::notify;

/// The makers of these items whose goods need their approval of each order.
pub(super) fn approving_makers(conn: &mut DbConnection, items: &[OrderItem]) -> Result<Vec<String>> {
    let mut names: Vec<String> = items.iter().map(|i| i.maker.clone()).collect();
    names.sort();
    names.dedup();
    Ok(repo::approving_makers(conn, &names)?)
}

pub(super) fn event(
    conn: &mut DbConnection,
    order: &Order,
    state: OrderState,
    actor: Option<&UserId>,
    role: Actor,
    note: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let row = OrderEvent {
        id: OrderEventId::new(),
        order_id: order.id.clone(),
        state,
        actor_id: actor.cloned(),
        actor_role: role,
        note: note.to_owned(),
        at,
    };
    repo::insert_event(conn, &row)?;
    Ok(())
}

// ---- the order's life ----

/// Who asks about or acts on an order. An order that is not theirs is answered as not found.
#[derive(Clone, Copy, Debug)]
pub enum Who<'a> {
    Buyer(&'a UserId),
    Seller(&'a UserId),
    Maker(&'a UserId),
    Carrier(&'a UserId),
    /// The shop itself, or an administrator.
    Shop,
}

impl Who<'_> {
    fn actor(&self) -> Actor {
        match self {
            Who::Buyer(_) => Actor::Buyer,
            Who::Seller(_) => Actor::Seller,
            Who::Maker(_) => Actor::Maker,
            Who::Carrier(_) => Actor::Carrier,
            Who::Shop => Actor::Shop,
        }
    }

    fn user(&self) -> Option<&UserId> {
        match self {
            Who::Buyer(u) | Who::Seller(u) | Who::Maker(u) | Who::Carrier(u) => Some(u),
            Who::Shop => None,
        }
    }
}

/// The order with this number if `who` has a part in it.
pub(super) fn order_for(conn: &mut DbConnection, number: &str, who: Who<'_>) -> Result<Order> {
    let number = rules::normalize_order_number(number).ok_or(OrderError::NotFound)?;
    let order = repo::order_by_number(conn, &number)?.ok_or(OrderError::NotFound)?;
    let theirs = match who {
        Who::Buyer(user) => order.buyer_id == *user,
        Who::Seller(user) => echeck::office_of(conn, user)?.is_some_and(|o| o.id == order.office_id),
        Who::Maker(user) => match repo::maker_of(conn, user)? {
            Some(maker) => repo::approvals_of(conn, &order.id)?.iter().any(|a| a.maker == maker),
            None => false,
        },
        // The carrier chosen at checkout sees the order once the goods are handed over.
        Who::Carrier(user) => {
            matches!(order.state, OrderState::Shipped | OrderState::Delivered)
                && echeck::carrier_of(conn, user)?.is_some_and(|c| c.code == order.carrier_code)
        }
        Who::Shop => true,
    };
    if !theirs {
        return Err(OrderError::NotFound);
    }
    Ok(order)
}

/// Moves the order one step, or says why not; records the event.
fn advance(
    conn: &mut DbConnection,
    order: &Order,
    step: Step,
    who: Who<'_>,
    note: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let to = rules::next(order.state, order.needs_approval, step, who.actor())?;
    if repo::set_state(conn, &order.id, order.state, to, at)? != 1 {
        return Err(Refusal::Step("Someone changed this order a moment ago. Look at it again.").into());
    }
    event(conn, order, to, who.user(), who.actor(), note, at)?;
    Ok(Order { state: to, updated_at: at, ..order.clone() })
}

pub(super) fn office_of_order(conn: &mut DbConnection, order: &Order) -> Result<Office> {
    echeck::offices_by_ids(conn, std::slice::from_ref(&order.office_id))?.into_iter().next().ok_or(OrderError::NotFound)
}

/// Writes the confirmation or cancellation e-mails to the buyer and the salespeople.
fn announce(
    conn: &mut DbConnection,
    order: &Order,
    items: &[OrderItem],
    kind: MailKind<'_>,
    at: NaiveDateTime,
) -> Result<()> {
    let office = office_of_order(conn, order)?;
    let buyer = find(conn, &order.buyer_id)?;
    let mut sellers: Vec<UserId> = items.iter().map(|i| i.seller_id.clone()).collect();
    sellers.sort();
    sellers.dedup();
    let sellers = accounts::users_of(conn, &sellers)?;
    let mails = mail::order_mails(order, items, &office, &buyer, &sellers, kind);
    notify::enqueue(conn, &mails, at)?;
    Ok(())
}

pub(super) fn find(conn: &mut DbConnection, id: &UserId) -> Result<User> {
    accounts::find_user(conn, id)?.ok_or(OrderError::NotFound)
}

/// The salesperson confirms the price. Orders of makers that require approval then wait for them;
/// the others are confirmed to buyer and salesperson by e-mail.
pub fn confirm(conn: &mut DbConnection, number: &str, seller: &UserId, at: NaiveDateTime) -> Result<Order> {
    let mut order = order_for(conn, number, Who::Seller(seller))?;
    // The makers' settings as they are now decide whether approval is needed.
    let items = repo::items_of(conn, &order.id)?;
    let makers = approving_makers(conn, &items)?;
    order.needs_approval = !makers.is_empty();
    let note = if makers.is_empty() {
        "Price confirmed".to_owned()
    } else {
        format!("Price confirmed; waiting for the approval of {}", makers.join(", "))
    };
    let order = advance(conn, &order, Step::Confirm, Who::Seller(seller), &note, at)?;
    repo::set_needs_approval(conn, &order.id, order.needs_approval)?;
    if makers.is_empty() {
        announce(conn, &order, &items, MailKind::Confirmation, at)?;
    } else {
        let rows: Vec<Approval> = makers
            .into_iter()
            .map(|maker| Approval {
                order_id: order.id.clone(),
                maker,
                state: Decision::Pending,
                actor_id: None,
                decided_at: None,
            })
            .collect();
        repo::insert_approvals(conn, &rows)?;
    }
    Ok(order)
}

/// A maker approves an order of its goods; when every maker asked has approved, the order is
/// approved and confirmed to buyer and salesperson by e-mail.
pub fn approve(conn: &mut DbConnection, number: &str, user: &UserId, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, Who::Maker(user))?;
    rules::next(order.state, order.needs_approval, Step::Approve, Actor::Maker)?;
    let maker = repo::maker_of(conn, user)?.ok_or(OrderError::NotFound)?;
    if repo::decide_approval(conn, &order.id, &maker, Decision::Approved, user, at)? != 1 {
        return Err(Refusal::Step("Your company decided on this order already.").into());
    }
    if repo::pending_approvals(conn, &order.id)? > 0 {
        event(conn, &order, order.state, Some(user), Actor::Maker, &format!("Approved by {maker}"), at)?;
        return Ok(order);
    }
    let order = advance(conn, &order, Step::Approve, Who::Maker(user), &format!("Approved by {maker}"), at)?;
    let items = repo::items_of(conn, &order.id)?;
    announce(conn, &order, &items, MailKind::Confirmation, at)?;
    Ok(order)
}

/// A maker rejects an order of its goods: it is cancelled with the maker's reason.
pub fn reject(conn: &mut DbConnection, number: &str, user: &UserId, reason: &str, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, Who::Maker(user))?;
    let reason = check_reason(reason)?;
    rules::next(order.state, order.needs_approval, Step::Cancel, Actor::Maker)?;
    let maker = repo::maker_of(conn, user)?.ok_or(OrderError::NotFound)?;
    if repo::decide_approval(conn, &order.id, &maker, Decision::Rejected, user, at)? != 1 {
        return Err(Refusal::Step("Your company decided on this order already.").into());
    }
    cancel_order(conn, &order, Who::Maker(user), &format!("Rejected by {maker}: {reason}"), at)
}

fn check_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "Say why, for the buyer and the records."));
    }
    if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(invalid("reason", "Keep the reason under 500 characters of plain text."));
    }
    Ok(reason.to_owned())
}

/// Cancels an order before it ships: stock goes back, the check is voided, buyer and
/// salesperson get the cancellation e-mail with the reason. Buyers need not give a reason.
pub fn cancel(conn: &mut DbConnection, number: &str, who: Who<'_>, reason: &str, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, who)?;
    let reason = match who {
        Who::Buyer(_) if reason.trim().is_empty() => "Cancelled by the buyer".to_owned(),
        _ => check_reason(reason)?,
    };
    cancel_order(conn, &order, who, &reason, at)
}

fn cancel_order(
    conn: &mut DbConnection,
    order: &Order,
    who: Who<'_>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = advance(conn, order, Step::Cancel, who, reason, at)?;
    let items = repo::items_of(conn, &order.id)?;
    let lines: Vec<catalog::StockLine> =
        items.iter().map(|i| catalog::StockLine { offer: i.offer_id.clone(), quantity: i.quantity }).collect();
    catalog::return_stock(conn, &lines, at)?;
    if order.points_used > 0 {
        collection::restore_for_order(conn, order.id.as_str(), &order.number, at)?;
    }
    if let Some(code) = &order.check_code {
        match echeck::void(conn, code, Party::Operator, who.user(), reason, at) {
            Ok(_) => {}
            // An expired check has released its hold already.
            Err(EcheckError::Refused(echeck::Refusal::CheckExpired)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    announce(conn, &order, &items, MailKind::Cancellation(reason), at)?;
    Ok(order)
}

/// The salesperson hands the order to a registered carrier: the carrier gets the delivery
/// instruction and, for an e-check order, payment is demanded.
pub fn ship(
    conn: &mut DbConnection,
    number: &str,
    seller: &UserId,
    carrier_code: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = order_for(conn, number, Who::Seller(seller))?;
    rules::next(order.state, order.needs_approval, Step::Ship, Actor::Seller)?;
    let carrier = match echeck::carrier(conn, carrier_code.trim()) {
        Ok(c) if c.is_active() => c,
        Ok(_) => return Err(invalid("carrier", "This carrier takes no orders at the moment. Choose another.")),
        Err(EcheckError::NotFound) => return Err(invalid("carrier", "Choose a carrier from the list.")),
        Err(e) => return Err(e.into()),
    };
    let office = office_of_order(conn, &order)?;
    let mut note = format!("Handed to {}", carrier.name);
    if let Some(code) = &order.check_code {
        echeck::change_carrier(conn, code, &office.id, &carrier.code, Some(seller), at)?;
        let check = echeck::demand_payment(conn, code, &office.id, None, Some(seller), at)?;
        let paid = crate::money::format(check.paid_amount.unwrap_or(check.amount), &check.currency);
        note.push_str(&format!("; payment of {paid} demanded on e-check {code}"));
    }
    if order.discount > 0 {
        pay_discount(conn, &order, &office, at)?;
        let discount = crate::money::format(order.discount, &order.currency);
        note.push_str(&format!("; the points' reduction of {discount} paid by the shop"));
    }
    repo::set_carrier(conn, &order.id, &carrier.code)?;
    let order = Order { carrier_code: carrier.code.clone(), ..order };
    let order = advance(conn, &order, Step::Ship, Who::Seller(seller), &note, at)?;
    instruct_carrier(conn, &order, &office, &carrier, at)?;
    Ok(order)
}

/// The shop pays the seller what the buyer's points took off the price, when payment is demanded
/// (at shipping): once per order, whatever retries.
fn pay_discount(conn: &mut DbConnection, order: &Order, office: &Office, at: NaiveDateTime) -> Result<()> {
    let to = echeck::open_account(conn, echeck::AccountKind::Office, office.id.as_str(), at)?;
    let from = echeck::platform(conn)?;
    let m = echeck::Move {
        from: from.id,
        to: to.id,
        amount: order.discount,
        reason: format!("Points reduction on order {}", order.number),
        key: crate::web::idempotency::IdempotencyKey::named(&format!("points-discount:{}", order.id)),
        actor: None,
    };
    match echeck::transfer(conn, &m, at) {
        Ok(_) => Ok(()),
        Err(EcheckError::Refused(_)) => Err(Refusal::PointsUnpaid.into()),
        Err(e) => Err(e.into()),
    }
}

/// The delivery instruction (seed 003): to everyone who works for the carrier.
fn instruct_carrier(
    conn: &mut DbConnection,
    order: &Order,
    office: &Office,
    carrier: &Carrier,
    at: NaiveDateTime,
) -> Result<()> {
    let items = repo::items_of(conn, &order.id)?;
    let buyer = find(conn, &order.buyer_id)?;
    let address = accounts::delivery_address(conn, &order.delivery_address_id)?.unwrap_or_default();
    let people = echeck::carrier_staff(conn, &carrier.id)?;
    let staff = accounts::users_of(conn, &people)?;
    let mails = mail::delivery_instruction(order, &items, office, &buyer.personal.full_name, &address, &staff);
    notify::enqueue(conn, &mails, at)?;
    Ok(())
}

/// The carrier reports the delivery (for cash on delivery, with the cash collected); the
/// e-check records it.
pub fn deliver(
    conn: &mut DbConnection,
    number: &str,
    user: &UserId,
    cash: &str,
    report: &str,
    site: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = order_for(conn, number, Who::Carrier(user))?;
    rules::next(order.state, order.needs_approval, Step::Deliver, Actor::Carrier)?;
    let carrier = echeck::carrier_of(conn, user)?.ok_or(OrderError::NotFound)?;
    let report = report.trim();
    if report.chars().count() > 500 {
        return Err(invalid("report", "Keep the report under 500 characters."));
    }
    let mut note = if report.is_empty() { "Delivered".to_owned() } else { format!("Delivered: {report}") };
    match &order.check_code {
        Some(code) => {
            echeck::record_delivery(conn, code, &carrier.id, report, Some(user), at)?;
        }
        // Paid in full with points: nothing to collect.
        None if order.by_echeck() => {}
        None => {
            let collected = crate::money::parse(cash, &order.currency).map_err(|e| invalid("cash", e))?;
            if collected != order.amount_due() {
                return Err(Refusal::CashMismatch(crate::money::format(order.amount_due(), &order.currency)).into());
            }
            repo::set_cash_collected(conn, &order.id, collected)?;
            note.push_str(&format!("; {} collected in cash", crate::money::format(collected, &order.currency)));
        }
    }
    let order = advance(conn, &order, Step::Deliver, Who::Carrier(user), &note, at)?;
    record_sales(conn, &order, at)?;
    tell_delivered(conn, &order, site, at)?;
    Ok(order)
}

/// The buyer learns the order was delivered, with an invitation to trade in a used item when
/// goods of a trade-in eligible offer were among it (`site`: the shop's public address).
fn tell_delivered(conn: &mut DbConnection, order: &Order, site: &str, at: NaiveDateTime) -> Result<()> {
    let items = repo::items_of(conn, &order.id)?;
    let trade_in = super::trade_in_eligible(conn, &items)?;
    let buyer = find(conn, &order.buyer_id)?;
    let mail = mail::delivered_mail(order, &items, &buyer, trade_in.then_some(site));
    notify::enqueue(conn, &[mail], at)?;
    Ok(())
}

/// A delivered order's lines go to the sales history, without the buyer or the order.
fn record_sales(conn: &mut DbConnection, order: &Order, at: NaiveDateTime) -> Result<()> {
    let items = repo::items_of(conn, &order.id)?;
    let offers: Vec<_> = items.iter().map(|i| i.offer_id.clone()).collect();
    let places = catalog::products_and_kinds_of(conn, &offers)?;
    let sales: Vec<history::Sale> = items
        .iter()
        .filter_map(|item| {
            let (product, kind) = places.get(&item.offer_id)?;
            Some(history::Sale {
                channel: history::Channel::Order,
                kind: kind.clone(),
                product: product.clone(),
                offer: item.offer_id.clone(),
                office: order.office_id.clone(),
                quantity: item.quantity,
                unit_price: item.unit_price,
                currency: order.currency.clone(),
            })
        })
        .collect();
    history::record_sales(conn, &sales, at)?;
    let kinds: Vec<(catalog::KindId, i64)> = items
        .iter()
        .filter_map(|item| places.get(&item.offer_id).map(|(_, kind)| (kind.clone(), item.quantity)))
        .collect();
    collection::cartridges_bought(conn, &order.buyer_id, &format!("order:{}", order.id), &kinds, &order.currency, at)?;
    Ok(())
}

/// Cancels orders placed longer than `max_age` ago whose price nobody confirmed; returns how many.
pub fn cancel_unconfirmed(
    conn: &mut DbConnection,
    max_age: std::time::Duration,
    at: NaiveDateTime,
    limit: i64,
) -> Result<usize> {
    let age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::hours(48));
    let hours = age.num_hours();
    let due = repo::unconfirmed_before(conn, at - age, limit)?;
    for order in &due {
        let reason = format!("The price was not confirmed within {hours} hours");
        cancel_order(conn, order, Who::Shop, &reason, at)?;
    }
    Ok(due.len())
}
