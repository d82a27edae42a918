//! Carts: a logged-in shopper's in the database, a visitor's in the session, priced for the viewer.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Refusal};
use super::{OrderError, Result, invalid};
use crate::accounts::UserId;
use crate::catalog::{self, OfferToBuy};
use crate::db::DbConnection;

// ---- carts ----

/// A cart line priced for the shopper now. `offer` is None when the offer vanished.
#[derive(Clone, Debug)]
pub struct CartRow {
    pub line: CartLine,
    pub offer: Option<OfferToBuy>,
}

impl CartRow {
    pub fn name(&self) -> &str {
        self.offer.as_ref().map(|o| o.product.name.as_str()).unwrap_or("An offer no longer in the catalog")
    }

    /// The price the shopper pays now.
    pub fn price(&self) -> i64 {
        self.offer.as_ref().map(|o| o.price).unwrap_or(self.line.seen_price)
    }

    pub fn line_total(&self) -> i64 {
        self.price().saturating_mul(self.line.quantity)
    }

    /// Whether the offer can no longer be bought.
    pub fn gone(&self) -> bool {
        self.offer.as_ref().is_none_or(|o| o.offer.withdrawn_at.is_some())
    }

    pub fn stock(&self) -> i64 {
        self.offer.as_ref().map(|o| o.offer.stock).unwrap_or(0)
    }

    /// Fewer in stock than in the cart.
    pub fn short(&self) -> bool {
        !self.gone() && self.stock() < self.line.quantity
    }

    pub fn price_changed(&self) -> bool {
        !self.gone() && self.price() != self.line.seen_price
    }

    fn problem(&self) -> Option<Refusal> {
        let name = self.name().to_owned();
        if self.gone() {
            Some(Refusal::Withdrawn { name })
        } else if self.short() {
            Some(Refusal::SoldOut { name, left: self.stock() })
        } else {
            None
        }
    }
}

/// A cart as its page shows it.
#[derive(Clone, Debug, Default)]
pub struct Cart {
    pub rows: Vec<CartRow>,
    pub currency: String,
}

impl Cart {
    pub fn total(&self) -> i64 {
        self.rows.iter().filter(|r| !r.gone()).map(CartRow::line_total).fold(0, i64::saturating_add)
    }

    pub fn units(&self) -> i64 {
        self.rows.iter().map(|r| r.line.quantity).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What stands in the way of ordering, one message per line in trouble.
    pub fn problems(&self) -> Vec<Refusal> {
        self.rows.iter().filter_map(CartRow::problem).collect()
    }

    /// The fingerprint of offers, quantities and prices (see `rules::quote`).
    pub fn quote(&self) -> String {
        rules::quote(
            &self.rows.iter().map(|r| (r.line.offer_code.clone(), r.line.quantity, r.price())).collect::<Vec<_>>(),
        )
    }
}

/// Prices a cart's lines for `viewer` (None: a visitor, who sees list prices).
pub fn price_cart(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    lines: Vec<CartLine>,
    currency: &str,
) -> Result<Cart> {
    let codes: Vec<String> = lines.iter().map(|l| l.offer_code.clone()).collect();
    let mut offers = catalog::offers_to_buy(conn, viewer, &codes)?;
    let rows = lines
        .into_iter()
        .map(|line| {
            let at = offers.iter().position(|o| o.offer.code == line.offer_code);
            CartRow { offer: at.map(|i| offers.swap_remove(i)), line }
        })
        .collect();
    Ok(Cart { rows, currency: currency.to_owned() })
}

/// The cart a page shows: the shopper's kept in the database, or the visitor's lines (from their
/// session), priced for whoever looks.
pub fn cart_for(
    conn: &mut DbConnection,
    buyer: Option<&UserId>,
    visitor: Vec<CartLine>,
    currency: &str,
) -> Result<Cart> {
    let lines = match buyer {
        Some(user) => cart_lines(conn, user)?,
        None => visitor,
    };
    price_cart(conn, buyer, lines, currency)
}

/// The offer an "add to cart" form is for, priced for the viewer.
pub fn offer_to_add(conn: &mut DbConnection, viewer: Option<&UserId>, code: &str) -> Result<OfferToBuy> {
    catalog::offers_to_buy(conn, viewer, &[code.trim().to_owned()])?.into_iter().next().ok_or(OrderError::NotFound)
}

/// A logged-in shopper's cart lines.
pub fn cart_lines(conn: &mut DbConnection, user: &UserId) -> Result<Vec<CartLine>> {
    Ok(repo::cart_of(conn, user)?)
}

/// The offer with this code if it can be bought in this quantity (`quantity` in all, with what
/// the cart holds already).
fn buyable(conn: &mut DbConnection, viewer: Option<&UserId>, code: &str, quantity: i64) -> Result<OfferToBuy> {
    let offer = catalog::offers_to_buy(conn, viewer, &[code.to_owned()])?
        .into_iter()
        .next()
        .ok_or_else(|| invalid("quantity", "There is no such offer."))?;
    if offer.offer.withdrawn_at.is_some() {
        return Err(invalid("quantity", "This offer has been withdrawn."));
    }
    if offer.offer.stock == 0 {
        return Err(invalid("quantity", "Sold out."));
    }
    if quantity > offer.offer.stock {
        return Err(invalid("quantity", format!("Only {} in stock.", offer.offer.stock)));
    }
    Ok(offer)
}

/// A change to a cart: more of an offer (added to what the cart holds), or a line's new quantity.
#[derive(Clone, Debug)]
pub enum CartEdit {
    Add { code: String, quantity: String },
    Set { code: String, quantity: String },
}

/// Applies an edit to a cart's lines (a visitor's, or a shopper's loaded from the database):
/// the quantity must be sensible and in stock. Returns the changed line.
pub fn edit(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    lines: &mut Vec<CartLine>,
    change: &CartEdit,
) -> Result<CartLine> {
    let (code, typed) = match change {
        CartEdit::Add { code, quantity } | CartEdit::Set { code, quantity } => (code.as_str(), quantity.as_str()),
    };
    let quantity = rules::parse_quantity(typed).map_err(|e| invalid("quantity", e))?;
    let held = lines.iter().find(|l| l.offer_code == code).map(|l| l.quantity);
    let wanted = match (change, held) {
        (CartEdit::Add { .. }, held) => held.unwrap_or(0) + quantity,
        (CartEdit::Set { .. }, Some(_)) => quantity,
        (CartEdit::Set { .. }, None) => return Err(OrderError::NotFound),
    };
    if wanted > rules::MAX_QUANTITY {
        let more = rules::MAX_QUANTITY - held.unwrap_or(0);
        return Err(invalid("quantity", format!("At most 999 units of one offer per order: add at most {more}.")));
    }
    let offer = buyable(conn, viewer, code, wanted)?;
    if held.is_none() {
        rules::add_line(lines, &offer.offer.code, 0, offer.price)?;
    }
    let line = lines.iter_mut().find(|l| l.offer_code == offer.offer.code).ok_or(OrderError::NotFound)?;
    line.quantity = wanted;
    line.seen_price = offer.price;
    Ok(line.clone())
}

/// `edit` on a logged-in shopper's cart in the database.
pub fn edit_saved_cart(
    conn: &mut DbConnection,
    user: &UserId,
    change: &CartEdit,
    at: NaiveDateTime,
) -> Result<CartLine> {
    let mut lines = repo::cart_of(conn, user)?;
    let line = edit(conn, Some(user), &mut lines, change)?;
    repo::put_cart_line(conn, user, &line, at)?;
    Ok(line)
}

pub fn remove_from_cart(conn: &mut DbConnection, user: &UserId, code: &str) -> Result<()> {
    repo::delete_cart_line(conn, user, code)?;
    Ok(())
}

/// Joins a visitor's cart to the shopper's at login.
pub fn merge_cart(conn: &mut DbConnection, user: &UserId, visitor: &[CartLine], at: NaiveDateTime) -> Result<()> {
    let merged = rules::merge(repo::cart_of(conn, user)?, visitor);
    for line in merged.iter().filter(|l| visitor.iter().any(|v| v.offer_code == l.offer_code)) {
        repo::put_cart_line(conn, user, line, at)?;
    }
    Ok(())
}
