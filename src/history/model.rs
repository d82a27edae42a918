use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::catalog::{KindId, OfferId, ProductId};
use crate::db::schema::{
    daily_constraints, daily_requests, daily_sales, monthly_constraints, purchase_requests, request_constraints, sales,
};
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

// ---- the stores summed by the day (what the analyses read) ----

/// Sales of one day, kind, product, unit price and office, summed: units (net of sales taken
/// back) and the number of sales (a sale taken back counts minus one).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = daily_sales)]
pub struct SalesOfDay {
    pub day: NaiveDateTime,
    pub kind_id: KindId,
    pub product_id: ProductId,
    pub unit_price: i64,
    pub office_id: OfficeId,
    pub quantity: i64,
    pub sales: i64,
}

/// Requests of one day and kind ('' for none) that matched something or nothing.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = daily_requests)]
pub struct RequestsOfDay {
    pub day: NaiveDateTime,
    pub kind_id: String,
    pub matched: bool,
    pub requests: i64,
}

/// Requests of one day and kind that asked one characteristic the same way: a word ('' for a
/// range) or bounds (each with a flag, so that the key has no NULL and equal asks meet).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = daily_constraints)]
pub struct ConstraintsOfDay {
    pub day: NaiveDateTime,
    pub kind_id: String,
    pub matched: bool,
    pub characteristic: String,
    pub word: String,
    pub has_min: bool,
    pub min_value: f64,
    pub has_max: bool,
    pub max_value: f64,
    pub requests: i64,
}

/// The same, summed by the month (`month`: its first day).
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = monthly_constraints)]
pub struct ConstraintsOfMonth {
    pub month: NaiveDateTime,
    pub kind_id: String,
    pub matched: bool,
    pub characteristic: String,
    pub word: String,
    pub has_min: bool,
    pub min_value: f64,
    pub has_max: bool,
    pub max_value: f64,
    pub requests: i64,
}

/// What part of the stores a reading covers: the days from `from` until `until` (both the start
/// of a day; `until` not included), of one kind or all, of one selling office or all (sales only).
#[derive(Clone, Debug)]
pub struct Scope {
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    pub kind: Option<KindId>,
    pub office: Option<OfficeId>,
}

/// How finely a reading of the sales groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesGrain {
    /// By day, kind, product and unit price, one group for each office that sold (the caller
    /// sums them where it wants the market).
    Product,
    /// By day and kind.
    Kind,
    /// By kind and unit price, over the whole period.
    Price,
}

/// Sales of a group (what the grain names is set; the rest is none): the units sold and the
/// number of sales (a sale taken back counts minus one).
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct SalesGroup {
    pub day: Option<NaiveDateTime>,
    pub kind: KindId,
    pub product: Option<ProductId>,
    pub unit_price: Option<i64>,
    pub quantity: i64,
    pub sales: i64,
}

/// Requests of one kind (none: any kind) that matched something or nothing.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct RequestGroup {
    pub kind: Option<KindId>,
    pub matched: bool,
    pub requests: i64,
}

/// Requests of one kind that asked one characteristic the same way (a word, or a range), and
/// whether they matched something.
#[derive(Clone, Debug, PartialEq, Queryable)]
pub struct ConstraintGroup {
    pub kind: Option<KindId>,
    pub matched: bool,
    pub characteristic: String,
    pub word: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub requests: i64,
}
