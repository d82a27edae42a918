use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::catalog::{KindId, OfferId, ProductId};
use crate::db::schema::{purchase_requests, request_constraints, sales};
use crate::echeck::OfficeId;

crate::db::id_type!(
    /// A row of the sales history.
    SaleId
);
crate::db::id_type!(
    /// A purchase request in the preference store.
    RequestId
);

/// A random ID: unlike the time-ordered IDs elsewhere, it tells nothing of when the row was made.
fn random_uuid() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().hyphenated().to_string()
}

impl SaleId {
    pub fn random() -> Self {
        Self(random_uuid())
    }
}

impl RequestId {
    pub fn random() -> Self {
        Self(random_uuid())
    }
}

crate::db::text_enum! {
    /// How a sale was made.
    pub enum Channel {
        /// A regular order, counted when delivered.
        Order = "order",
        /// An anonymous purchase, counted when paid.
        Anonymous = "anonymous",
    }
}

/// A sale as the module that made it reports it. A negative quantity takes a sale back (an
/// anonymous parcel that was never collected).
#[derive(Clone, Debug)]
pub struct Sale {
    pub channel: Channel,
    pub kind: KindId,
    pub product: ProductId,
    pub offer: OfferId,
    pub office: OfficeId,
    pub quantity: i64,
    pub unit_price: i64,
    pub currency: String,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sales)]
pub struct SaleRow {
    pub id: SaleId,
    pub day: NaiveDateTime,
    pub channel: Channel,
    pub kind_id: KindId,
    pub product_id: ProductId,
    pub offer_id: OfferId,
    pub office_id: OfficeId,
    pub quantity: i64,
    pub unit_price: i64,
    pub currency: String,
}

/// What a purchase request asked for, as the buyer stated it, and how many offers matched.
#[derive(Clone, Debug, Default)]
pub struct PurchaseRequest {
    pub kind: Option<KindId>,
    pub maker: Option<String>,
    pub price_max: Option<i64>,
    pub currency: String,
    pub constraints: Vec<Constraint>,
    pub matches: i64,
}

/// One characteristic asked for: a range of a number, or one word of several allowed.
#[derive(Clone, Debug, PartialEq)]
pub enum Constraint {
    Range { characteristic: String, min: Option<f64>, max: Option<f64> },
    Word { characteristic: String, word: String },
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = purchase_requests)]
pub struct RequestRow {
    pub id: RequestId,
    pub asked_hour: NaiveDateTime,
    pub kind_id: Option<KindId>,
    pub maker: Option<String>,
    pub price_max: Option<i64>,
    pub currency: String,
    pub matches: i64,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_constraints)]
pub struct ConstraintRow {
    pub request_id: RequestId,
    pub position: i32,
    pub characteristic: String,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub word: Option<String>,
}
