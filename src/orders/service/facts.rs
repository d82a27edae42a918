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

/// The goods of a delivered order of this buyer (the logged-in buyer opening the trade-in page
/// from their order); none for anyone else's order or one not delivered.
pub fn own_delivered_goods(
    conn: &mut DbConnection,
    order_number: &str,
    buyer: &UserId,
) -> Result<Option<Vec<PurchasedGood>>> {
    let Some(number) = rules::normalize_order_number(order_number) else { return Ok(None) };
    let Some(order) = repo::order_by_number(conn, &number)? else { return Ok(None) };
    if order.state != OrderState::Delivered || order.buyer_id != *buyer {
        return Ok(None);
    }
    Ok(Some(goods_of(conn, &order)?))
}

fn goods_of(conn: &mut DbConnection, order: &super::super::model::Order) -> Result<Vec<PurchasedGood>> {
    Ok(repo::items_of(conn, &order.id)?
        .into_iter()
        .map(|i| PurchasedGood {
            kind: i.kind,
            maker: i.maker,
            model: i.model,
            offer_code: i.offer_code,
            quantity: i.quantity,
            unit_price: i.unit_price,
        })
        .collect())
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
    let goods = goods_of(conn, &order)?;
    Ok(Some(PurchaseFacts { order_number: order.number, buyer, bought_at: order.created_at, delivered_at, goods }))
}

/// Whether any of these goods was bought from a trade-in eligible offer (the catalog says which):
/// the order's page and its delivery e-mail then invite the buyer to trade in a used item.
pub fn trade_in_eligible(conn: &mut DbConnection, items: &[super::super::model::OrderItem]) -> Result<bool> {
    let codes: Vec<String> = items.iter().map(|i| i.offer_code.clone()).collect();
    Ok(crate::catalog::offers_by_codes(conn, &codes)?.iter().any(|(offer, _)| offer.trade_in))
}
