//! What buy-back may learn of a purchase: only for a delivered order and the person who bought it.

use chrono::NaiveDateTime;

use super::super::repo;
use super::super::rules::{self, OrderState};
use super::Result;
use crate::accounts::rules::BuyerProof;
use crate::accounts::{self, UserId};
use crate::db::DbConnection;

// ---- for buy-back ----

/// What buy-back learns of a purchase.
#[derive(Clone, Debug)]
pub struct PurchaseFacts {
    pub order_number: String,
    pub buyer: UserId,
    pub bought_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
    pub goods: Vec<PurchasedGood>,
}

#[derive(Clone, Debug)]
pub struct PurchasedGood {
    pub kind: String,
    pub maker: String,
    pub model: String,
    pub offer_code: String,
    pub quantity: i64,
    pub unit_price: i64,
}

/// The goods of a delivered order and its buyer, only when `proof` names the buyer as
/// registered (full name with phone or postal code). Every failure is the same `None`: it must not tell which part was wrong.
pub fn purchase_facts(
    conn: &mut DbConnection,
    order_number: &str,
    proof: &BuyerProof,
) -> Result<Option<PurchaseFacts>> {
    let Some(number) = rules::normalize_order_number(order_number) else { return Ok(None) };
    let Some(order) = repo::order_by_number(conn, &number)? else { return Ok(None) };
    let buyer = order.buyer_id.clone();
    if order.state != OrderState::Delivered || !accounts::proves_buyer(conn, &buyer, proof)? {
        return Ok(None);
    }
    let delivered_at = repo::events_of(conn, &order.id)?
        .iter()
        .rev()
        .find(|e| e.state == OrderState::Delivered)
        .map_or(order.updated_at, |e| e.at);
    let goods = repo::items_of(conn, &order.id)?
        .into_iter()
        .map(|i| PurchasedGood {
            kind: i.kind,
            maker: i.maker,
            model: i.model,
            offer_code: i.offer_code,
            quantity: i.quantity,
            unit_price: i.unit_price,
        })
        .collect();
    Ok(Some(PurchaseFacts { order_number: order.number, buyer, bought_at: order.created_at, delivered_at, goods }))
}
