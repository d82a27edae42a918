//! Rows of carts, orders, their items, approvals and events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{Actor, CartLine, Decision, OrderState, Payment};
use crate::accounts::{DeliveryAddressId, UserId};
use crate::catalog::OfferId;
use crate::db::schema::{makers, order_approvals, order_events, order_items, orders};
use crate::echeck::OfficeId;

crate::db::id_type!(
    /// One order: the goods of one selling office bought at one checkout.
    OrderId
);
crate::db::id_type!(
    /// One entry in an order's timeline.
    OrderEventId
);

#[derive(Clone, Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: OrderId,
    pub number: String,
    pub buyer_id: UserId,
    pub office_id: OfficeId,
    pub state: OrderState,
    pub payment: Payment,
    pub check_code: Option<String>,
    pub carrier_code: String,
    pub total: i64,
    pub currency: String,
    pub delivery_address_id: DeliveryAddressId,
    pub delivery_wish: String,
    pub needs_approval: bool,
    pub cash_collected: Option<i64>,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Collection points redeemed on the order, and the price reduction they gave.
    pub points_used: i64,
    pub discount: i64,
}

impl Order {
    pub fn by_echeck(&self) -> bool {
        self.payment == Payment::Echeck
    }

    /// What the buyer pays: the goods less the points' reduction.
    pub fn amount_due(&self) -> i64 {
        self.total - self.discount
    }
}

/// What was bought, as it was when bought.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items)]
pub struct OrderItem {
    pub order_id: OrderId,
    pub offer_id: OfferId,
    pub offer_code: String,
    pub seller_id: UserId,
    pub kind: String,
    pub maker: String,
    pub model: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub list_price: i64,
}

impl OrderItem {
    pub fn line_total(&self) -> i64 {
        self.unit_price.saturating_mul(self.quantity)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_approvals)]
pub struct Approval {
    pub order_id: OrderId,
    pub maker: String,
    pub state: Decision,
    pub actor_id: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_events)]
pub struct OrderEvent {
    pub id: OrderEventId,
    pub order_id: OrderId,
    pub state: OrderState,
    pub actor_id: Option<UserId>,
    pub actor_role: Actor,
    pub note: String,
    pub at: NaiveDateTime,
}

/// A maker as the order flow knows it.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = makers)]
pub struct Maker {
    pub name: String,
    pub requires_approval: bool,
    pub updated_at: NaiveDateTime,
}

/// A delivery another module gives the carrier (an anonymous parcel for a pickup point), shown
/// on `/carrier/shipments` beside the orders. Its form posts to that module's own route.
#[derive(Clone, Debug)]
pub struct OtherShipment {
    /// The card's id on the page, for links to it.
    pub anchor: String,
    pub title: String,
    /// Where it goes: the lines of a place, never a person.
    pub deliver_to: Vec<String>,
    pub goods: String,
    /// Where its "delivered" form posts.
    pub action: String,
    pub button: String,
}

/// What a module registers (through `lib.rs`) to add its deliveries to a carrier's page.
pub type ShipmentSource = std::sync::Arc<
    dyn Fn(&mut crate::db::DbConnection, &crate::echeck::Carrier) -> anyhow::Result<Vec<OtherShipment>> + Send + Sync,
>;

/// The sources `lib.rs` registers, as app data.
#[derive(Clone, Default)]
pub struct ShipmentSources(Vec<ShipmentSource>);

impl ShipmentSources {
    pub fn with(mut self, source: ShipmentSource) -> Self {
        self.0.push(source);
        self
    }

    /// Every source's deliveries for this carrier, in the order they were registered.
    pub fn collect(
        &self,
        conn: &mut crate::db::DbConnection,
        carrier: &crate::echeck::Carrier,
    ) -> anyhow::Result<Vec<OtherShipment>> {
        let mut all = Vec::new();
        for source in &self.0 {
            all.extend(source(conn, carrier)?);
        }
        Ok(all)
    }
}
