//! The rows of anonymous purchase: pickup points and their counter staff, prepaid cards in batches,
//! a request's results, anonymous orders, their events and what their sellers are still to be told
//! of. None holds anything about the buyer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{Actor, AnonState};
use crate::catalog::{KindId, OfferId, ProductId};
use crate::db::schema::{
    anon_notices, anon_order_events, anon_orders, anon_results, pickup_point_staff, pickup_points, prepaid_batches,
    prepaid_cards,
};
use crate::echeck::{LedgerAccountId, OfficeId, TransferId};

crate::db::id_type!(PickupPointId);
crate::db::id_type!(BatchId);
crate::db::id_type!(CardId);
crate::db::id_type!(AnonOrderId);
crate::db::id_type!(AnonEventId);

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pickup_points)]
#[diesel(treat_none_as_null = true)]
pub struct PickupPoint {
    pub id: PickupPointId,
    pub code: String,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl PickupPoint {
    pub fn is_active(&self) -> bool {
        self.suspended_at.is_none()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = pickup_point_staff)]
pub struct PointStaff {
    pub user_id: crate::accounts::UserId,
    pub pickup_point_id: PickupPointId,
    pub added_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = prepaid_batches)]
pub struct Batch {
    pub id: BatchId,
    /// The short number printed on the batch's cards and listed for admins.
    pub number: String,
    pub cards: i64,
    pub face_value: i64,
    pub currency: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = prepaid_cards)]
pub struct Card {
    pub id: CardId,
    pub batch_id: BatchId,
    pub code_hash: String,
    pub last4: String,
    pub account_id: LedgerAccountId,
    pub blocked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = anon_results)]
pub struct ResultRow {
    pub token: String,
    /// The offers found and their prices then, in the order found (`ResultRow::offers`).
    pub offers: String,
    pub created_at: NaiveDateTime,
}

impl ResultRow {
    pub fn new(token: String, offers: &[(String, i64)], created_at: NaiveDateTime) -> ResultRow {
        let offers = serde_json::to_string(offers).unwrap_or_default();
        ResultRow { token, offers, created_at }
    }

    /// The offers' codes and prices, in the order found (none when the row cannot be read).
    pub fn offers(&self) -> Vec<(String, i64)> {
        serde_json::from_str(&self.offers).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = anon_orders)]
pub struct AnonOrder {
    pub id: AnonOrderId,
    /// The order ID people read: on the seller's list and on the parcel.
    pub code: String,
    pub link_hash: String,
    pub pin_hash: String,
    pub pin_generation: i32,
    pub state: AnonState,
    pub offer_id: OfferId,
    pub product_id: ProductId,
    pub kind_id: KindId,
    pub office_id: OfficeId,
    /// The commodity as the seller and the buyer see it: the product's name.
    pub commodity: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub currency: String,
    pub pay_until: NaiveDateTime,
    pub card_id: Option<CardId>,
    pub hold_id: Option<TransferId>,
    pub pickup_point_id: Option<PickupPointId>,
    pub carrier_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
    pub dispatched_at: Option<NaiveDateTime>,
    pub arrived_at: Option<NaiveDateTime>,
    pub collected_at: Option<NaiveDateTime>,
    pub returned_at: Option<NaiveDateTime>,
    pub sent_back_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl AnonOrder {
    pub fn total(&self) -> i64 {
        super::rules::total(self.unit_price, self.quantity)
    }

    pub fn total_text(&self) -> String {
        crate::money::format(self.total(), &self.currency)
    }

    pub fn unit_price_text(&self) -> String {
        crate::money::format(self.unit_price, &self.currency)
    }

    /// "2 × Laptop 14": the pair's commodity as people read it.
    pub fn goods(&self) -> String {
        super::rules::goods(self.quantity, &self.commodity)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = anon_order_events)]
pub struct AnonEvent {
    pub id: AnonEventId,
    pub order_id: AnonOrderId,
    pub state: AnonState,
    pub actor: Actor,
    pub note: String,
    pub at: NaiveDateTime,
}

/// An order's change its seller is still to be told of (the order made, or paid).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = anon_notices)]
pub struct Notice {
    pub order_id: AnonOrderId,
    pub state: AnonState,
    pub at: NaiveDateTime,
}

/// A notice with what its e-mail tells: the order ID, the goods and their price, the payment
/// window, the pickup point once paid.
#[derive(Clone, Debug, Queryable)]
pub struct NoticeToTell {
    pub order_id: AnonOrderId,
    pub state: AnonState,
    pub office_id: OfficeId,
    pub code: String,
    pub commodity: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub currency: String,
    pub pay_until: NaiveDateTime,
    pub point_name: Option<String>,
    pub point_address: Option<String>,
}
