//! What the order pages show: an order's details, and the lists of buyers, offices, makers and carriers.

use super::super::model::*;
use super::super::repo;
use super::super::rules::OrderState;
use super::Result;
use super::lifecycle::{Who, find, office_of_order, order_for};
use crate::accounts::{self, DeliveryAddressId, UserId};
use crate::db::DbConnection;
use crate::echeck::{self, Carrier, EcheckError, Office};
use crate::web::pager::{Paged, Pager};

// ---- what the pages show ----

/// An order with everything its page shows. `address` and `buyer_name` only for those who
/// deliver or sell it, and the buyer.
#[derive(Clone)]
pub struct OrderDetails {
    pub order: Order,
    pub items: Vec<OrderItem>,
    pub events: Vec<OrderEvent>,
    pub approvals: Vec<Approval>,
    pub office: Office,
    /// The carrier's name (the code when the carrier left the registry).
    pub carrier: String,
    pub address: Option<String>,
    pub buyer_name: Option<String>,
    /// Delivered with goods of a trade-in eligible offer: the buyer may trade in a used item.
    pub trade_in: bool,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for OrderDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderDetails")
            .field("order", &self.order)
            .field("items", &self.items)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

pub fn details(conn: &mut DbConnection, number: &str, who: Who<'_>) -> Result<OrderDetails> {
    let order = order_for(conn, number, who)?;
    let items = repo::items_of(conn, &order.id)?;
    let events = repo::events_of(conn, &order.id)?;
    let approvals = repo::approvals_of(conn, &order.id)?;
    let office = office_of_order(conn, &order)?;
    let carrier = match echeck::carrier(conn, &order.carrier_code) {
        Ok(c) => c.name,
        Err(EcheckError::NotFound) => order.carrier_code.clone(),
        Err(e) => return Err(e.into()),
    };
    // Makers approve goods; they have no business with the buyer's name or address.
    let (address, buyer_name) = match who {
        Who::Maker(_) => (None, None),
        _ => (
            accounts::delivery_address(conn, &order.delivery_address_id)?,
            Some(find(conn, &order.buyer_id)?.personal.full_name),
        ),
    };
    let trade_in = order.state == OrderState::Delivered && super::trade_in_eligible(conn, &items)?;
    Ok(OrderDetails { order, items, events, approvals, office, carrier, address, buyer_name, trade_in })
}

/// An order's page: its details, and for its seller the carriers it may be handed to.
pub fn order_view(conn: &mut DbConnection, number: &str, who: Who<'_>) -> Result<(OrderDetails, Vec<Carrier>)> {
    let details = details(conn, number, who)?;
    let carriers = if matches!(who, Who::Seller(_)) { super::active_carriers(conn)? } else { Vec::new() };
    Ok((details, carriers))
}

/// An order in a list, with its items.
#[derive(Clone, Debug)]
pub struct OrderLine {
    pub order: Order,
    pub items: Vec<OrderItem>,
}

fn with_items(conn: &mut DbConnection, orders: Vec<Order>) -> Result<Vec<OrderLine>> {
    let ids: Vec<OrderId> = orders.iter().map(|o| o.id.clone()).collect();
    let mut items = if ids.is_empty() { Vec::new() } else { repo::items_of_many(conn, &ids)? };
    Ok(orders
        .into_iter()
        .map(|order| {
            let (mine, rest): (Vec<OrderItem>, Vec<OrderItem>) = items.drain(..).partition(|i| i.order_id == order.id);
            items = rest;
            OrderLine { order, items: mine }
        })
        .collect())
}

pub const ORDERS_PAGE: i64 = 20;

/// A page of a shopper's orders, newest first.
pub fn orders_of_buyer(conn: &mut DbConnection, buyer: &UserId, pager: Pager) -> Result<Paged<OrderLine>> {
    let orders = repo::orders_of_buyer(conn, buyer, pager.offset(), pager.fetch())?;
    Ok(pager.split(with_items(conn, orders)?))
}

/// The orders of the salesperson's selling office (None: the salesperson belongs to none).
pub fn orders_of_office(
    conn: &mut DbConnection,
    seller: &UserId,
    state: Option<OrderState>,
    pager: Pager,
) -> Result<Option<OfficeOrders>> {
    let Some(office) = echeck::office_of(conn, seller)? else { return Ok(None) };
    let orders = repo::orders_of_office(conn, &office.id, state, pager.offset(), pager.fetch())?;
    let counts = repo::state_counts_of_office(conn, &office.id)?;
    Ok(Some(OfficeOrders { office, orders: pager.split(with_items(conn, orders)?), counts }))
}

/// A page of a selling office's orders, and how many it has in each state (for the tabs).
pub struct OfficeOrders {
    pub office: Office,
    pub orders: Paged<OrderLine>,
    pub counts: Vec<(OrderState, i64)>,
}

/// Orders waiting for the maker's approval (None: the user acts for no maker).
pub fn awaiting_approval(conn: &mut DbConnection, user: &UserId) -> Result<Option<(String, Vec<OrderLine>)>> {
    let Some(maker) = repo::maker_of(conn, user)? else { return Ok(None) };
    let orders = repo::awaiting_maker(conn, &maker)?;
    Ok(Some((maker, with_items(conn, orders)?)))
}

/// A shipment as the carrier sees it: where to and to whom.
#[derive(Clone)]
pub struct Shipment {
    pub line: OrderLine,
    pub buyer_name: String,
    pub address: String,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for Shipment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shipment").field("line", &self.line).finish_non_exhaustive()
    }
}

/// A carrier's shipments: those to deliver, and the latest delivered.
#[derive(Clone, Debug)]
pub struct CarrierWork {
    pub carrier: Carrier,
    pub open: Vec<Shipment>,
    pub delivered: Vec<Shipment>,
}

/// The carrier's shipments (None: the user works for no carrier).
pub fn shipments(conn: &mut DbConnection, user: &UserId) -> Result<Option<CarrierWork>> {
    let Some(carrier) = echeck::carrier_of(conn, user)? else { return Ok(None) };
    let mut lists = Vec::new();
    for (state, limit) in [(OrderState::Shipped, 500), (OrderState::Delivered, 50)] {
        let orders = repo::orders_of_carrier(conn, &carrier.code, &[state.as_str()], limit)?;
        let buyers: Vec<UserId> = orders.iter().map(|o| o.buyer_id.clone()).collect();
        let places: Vec<DeliveryAddressId> = orders.iter().map(|o| o.delivery_address_id.clone()).collect();
        let (names, addresses) = (accounts::names_of(conn, &buyers)?, accounts::delivery_addresses(conn, &places)?);
        let shipments = with_items(conn, orders)?
            .into_iter()
            .map(|line| Shipment {
                buyer_name: names.get(&line.order.buyer_id).cloned().unwrap_or_default(),
                address: addresses.get(&line.order.delivery_address_id).cloned().unwrap_or_default(),
                line,
            })
            .collect();
        lists.push(shipments);
    }
    let delivered = lists.pop().unwrap_or_default();
    let open = lists.pop().unwrap_or_default();
    Ok(Some(CarrierWork { carrier, open, delivered }))
}
