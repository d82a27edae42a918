//! Kinds, characteristics, products, offers, customer prices and equipment.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{AgreedTerms, CharacteristicRule, KindRule, Shown, Value};
pub use crate::accounts::UserId;
use crate::db::schema::{
    characteristics, customer_group_members, customer_groups, customer_prices, equipment, kinds, offers, products,
};

crate::db::id_type!(KindId);
crate::db::id_type!(CharacteristicId);
crate::db::id_type!(ProductId);
crate::db::id_type!(OfferId);
crate::db::id_type!(CustomerPriceId);
crate::db::id_type!(CustomerGroupId);
crate::db::id_type!(EquipmentId);

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = kinds)]
pub struct Kind {
    pub id: KindId,
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = characteristics)]
pub struct Characteristic {
    pub id: CharacteristicId,
    pub kind_id: KindId,
    /// The name in URLs and forms: `cpu_mhz`.
    pub name: String,
    pub label: String,
    pub unit: String,
    pub is_number: bool,
    /// For words: the allowed values, one per line; empty means any word.
    pub allowed_words: String,
    pub position: i32,
}

impl Characteristic {
    /// The field of the new-product form that holds this characteristic's value.
    pub fn form_field(&self) -> String {
        format!("value_{}", self.name)
    }

    pub fn words(&self) -> Vec<&str> {
        self.rule().words()
    }

    /// What the rules need to know of it.
    pub fn rule(&self) -> CharacteristicRule<'_> {
        CharacteristicRule {
            name: &self.name,
            label: &self.label,
            unit: &self.unit,
            is_number: self.is_number,
            allowed_words: &self.allowed_words,
        }
    }
}

/// A kind with its characteristics in display order.
#[derive(Clone, Debug)]
pub struct KindSpec {
    pub kind: Kind,
    pub characteristics: Vec<Characteristic>,
}

impl KindSpec {
    pub fn characteristic(&self, name: &str) -> Option<&Characteristic> {
        self.characteristics.iter().find(|c| c.name == name)
    }

    /// What a search needs to know of the kind.
    pub fn rule(&self) -> KindRule<'_> {
        KindRule {
            code: &self.kind.code,
            name: &self.kind.name,
            characteristics: self.characteristics.iter().map(Characteristic::rule).collect(),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: ProductId,
    pub kind_id: KindId,
    pub maker: String,
    pub model: String,
    pub name: String,
    pub description: String,
    pub is_consumable: bool,
    pub search_text: String,
    pub summary: String,
    pub created_at: NaiveDateTime,
    /// The first picture of the product's offers (kept by `repo::refresh_card`; none when made).
    pub picture_hash: Option<String>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = offers)]
pub struct Offer {
    pub id: OfferId,
    pub code: String,
    pub product_id: ProductId,
    pub kind_id: KindId,
    pub seller_id: UserId,
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub guarantee_months: i32,
    pub onsite_service: bool,
    pub trade_in: bool,
    pub cooling_off_days: i32,
    pub sold: i64,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The product's lead offer, its card in the catalog: the cheapest on sale, in stock if any
    /// (kept by `repo::refresh_card`; false when made).
    pub is_lead: bool,
}

impl Offer {
    pub fn is_active(&self) -> bool {
        self.withdrawn_at.is_none()
    }

    pub fn price_text(&self) -> String {
        crate::money::format(self.price, &self.currency)
    }

    pub fn price_input(&self) -> String {
        crate::money::to_input(self.price, &self.currency)
    }
}

/// An offer's terms as a product page lists them: no IDs of others, no times (reading SQLite's
/// text timestamps was a tenth of a product page's instructions).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = offers)]
pub struct OfferTerms {
    pub id: OfferId,
    pub code: String,
    pub seller_id: UserId,
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub guarantee_months: i32,
    pub onsite_service: bool,
    pub trade_in: bool,
    pub cooling_off_days: i32,
}

impl OfferTerms {
    pub fn price_text(&self) -> String {
        crate::money::format(self.price, &self.currency)
    }

    /// A price in this offer's currency.
    pub fn money(&self, minor: &i64) -> String {
        crate::money::format(*minor, &self.currency)
    }
}

/// An offer as a shopper sees it in a list: with its product, and the price this shopper pays.
#[derive(Clone, Debug)]
pub struct OfferCard {
    pub code: String,
    pub product_name: String,
    pub maker: String,
    pub model: String,
    pub list_price: i64,

    /// The shopper's agreed price when one applies now, else the list price.
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub sold: i64,
    pub seller_id: UserId,
    /// The product's first characteristics, as one line.
    pub summary: String,
    /// Offers of the product on sale; the card shows the lead one (the cheapest in stock).
    pub offers: i64,
    /// The hash of the product's first picture.
    pub picture: Option<String>,
}

impl OfferCard {
    pub fn thumb_src(&self) -> Option<String> {
        self.picture.as_ref().map(|hash| format!("/pictures/{hash}/thumb.jpg"))
    }

    pub fn has_customer_price(&self) -> bool {
        self.price != self.list_price
    }

    pub fn price_text(&self) -> String {
        crate::money::format(self.price, &self.currency)
    }

    pub fn list_price_text(&self) -> String {
        crate::money::format(self.list_price, &self.currency)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_prices)]
pub struct CustomerPrice {
    pub id: CustomerPriceId,
    pub offer_id: OfferId,
    /// Exactly one of these is set: the price is for one customer or for a group.
    pub customer_id: Option<UserId>,
    pub group_id: Option<CustomerGroupId>,
    pub label: String,
    pub price: i64,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl CustomerPrice {
    pub fn terms(&self) -> AgreedTerms {
        AgreedTerms { price: self.price, valid_from: self.valid_from, valid_until: self.valid_until }
    }
}

/// A salesperson's group of customers who share agreed prices.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_groups)]
pub struct CustomerGroup {
    pub id: CustomerGroupId,
    pub seller_id: UserId,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// A member of a group, known to the salesperson by their own label.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_group_members)]
pub struct GroupMember {
    pub group_id: CustomerGroupId,
    pub customer_id: UserId,
    pub label: String,
    pub added_at: NaiveDateTime,
}

/// An agreed price as its salesperson lists it.
#[derive(Clone, Debug)]
pub struct AgreedPrice {
    pub agreed: CustomerPrice,
    /// The group's name when the price is for a group.
    pub group_name: Option<String>,
    pub offer_code: String,
    pub product_name: String,
    pub currency: String,
    /// The single customer, as their masked e-mail address ("s…@example.com"), filled in by the
    /// prices page.
    pub customer: Option<String>,
}

impl AgreedPrice {
    pub fn price_text(&self) -> String {
        crate::money::format(self.agreed.price, &self.currency)
    }

    /// "from 2026-01-01", "until 2026-03-31 (last day)", or "always".
    pub fn validity(&self) -> String {
        let from = self.agreed.valid_from.map(|f| format!("from {}", f.format("%Y-%m-%d")));
        let until =
            self.agreed.valid_until.map(|u| format!("until {}", (u - chrono::Duration::days(1)).format("%Y-%m-%d")));
        match (from, until) {
            (None, None) => "always".into(),
            (f, u) => [f, u].into_iter().flatten().collect::<Vec<_>>().join(" "),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = equipment)]
pub struct Equipment {
    pub id: EquipmentId,
    pub owner_id: UserId,
    pub maker: String,
    pub model: String,
    pub created_at: NaiveDateTime,
}

/// A picture as stored: once per content, by its hash (see `pictures`).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::pictures)]
pub struct Picture {
    pub hash: String,
    pub thumb: Vec<u8>,
    pub page: Vec<u8>,
    pub width: i32,
    pub height: i32,
    pub created_at: NaiveDateTime,
}

/// A picture shown with an offer (and with its product).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::offer_pictures)]
pub struct OfferPicture {
    pub offer_id: OfferId,
    pub position: i32,
    pub product_id: ProductId,
    pub picture_hash: String,
    pub alt: String,
    pub created_at: NaiveDateTime,
}

/// A picture as the pages show it (no times: reading SQLite's text timestamps cost a tenth of a
/// product page's instructions).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::offer_pictures)]
pub struct ShownPicture {
    pub offer_id: OfferId,
    pub position: i32,
    pub picture_hash: String,
    pub alt: String,
}

impl ShownPicture {
    pub fn thumb_src(&self) -> String {
        format!("/pictures/{}/thumb.jpg", self.picture_hash)
    }

    pub fn page_src(&self) -> String {
        format!("/pictures/{}/page.jpg", self.picture_hash)
    }
}
