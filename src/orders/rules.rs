//! The pure rules of carts and orders: the order's state machine and who may move it, quantities,
//! the cart's fingerprint, the wished delivery time, order numbers.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// A line of a cart, in the database (logged in) or in the session (visitors). The price seen
/// when it was added is kept, to show a change before the order is placed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, diesel::Queryable)]
pub struct CartLine {
    pub offer_code: String,
    pub quantity: i64,
    pub seen_price: i64,
}

crate::db::text_enum! {
    /// Where an order stands (DESIGN.md): placed, price confirmed by the salesperson, approved by
    /// the maker (only for makers that require it), shipped, delivered; or cancelled before shipping.
    pub enum OrderState {
        Placed = "placed",
        PriceConfirmed = "price_confirmed",
        Approved = "approved",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
    }
}

impl OrderState {
    pub fn label(self) -> &'static str {
        match self {
            OrderState::Placed => "placed, awaiting price confirmation",
            OrderState::PriceConfirmed => "price confirmed",
            OrderState::Approved => "approved",
            OrderState::Shipped => "shipped",
            OrderState::Delivered => "delivered",
            OrderState::Cancelled => "cancelled",
        }
    }
}

/// A step in an order's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Confirm,
    Approve,
    Ship,
    Deliver,
    Cancel,
}

crate::db::text_enum! {
    /// Who takes a step (an order event's role).
    pub enum Actor {
        Buyer = "buyer",
        Seller = "salesperson",
        Maker = "maker",
        Carrier = "carrier",
        /// The shop itself: the automatic cancellation of orders nobody confirmed.
        Shop = "shop",
    }
}

crate::db::text_enum! {
    /// How an order is paid.
    pub enum Payment {
        Echeck = "echeck",
        Cash = "cash",
    }
}

impl Payment {
    pub fn label(self) -> &'static str {
        match self {
            Payment::Echeck => "E-check",
            Payment::Cash => "Cash on delivery",
        }
    }
}

crate::db::text_enum! {
    /// A maker's decision on an order of its goods.
    pub enum Decision {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

/// Why a step or a checkout was refused; the message is shown as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Step(&'static str),
    #[error("Your cart is empty.")]
    EmptyCart,
    #[error("Prices or stock changed since you opened this page. Please look at your order again before you place it.")]
    Changed,
    #[error("Sold out: only {left} of {name} left, fewer than you ordered.")]
    SoldOut { name: String, left: i64 },
    #[error("{name} is no longer offered. Remove it from your cart.")]
    Withdrawn { name: String },
    #[error("{name} cannot be ordered now: its seller belongs to no selling office. Remove it from your cart.")]
    NoOffice { name: String },
    #[error("The e-check was refused: {0}")]
    Payment(String),
    #[error("The shop's account cannot pay this order's points reduction now; ask an administrator to fund it.")]
    PointsUnpaid,
    #[error("The cart holds at most {MAX_LINES} different offers.")]
    TooManyLines,
    #[error("Collect exactly {0}, the order's total.")]
    CashMismatch(String),
}

/// The state after `step` by `actor`, or why not. `needs_approval`: a maker of its goods must approve.
pub fn next(state: OrderState, needs_approval: bool, step: Step, actor: Actor) -> Result<OrderState, Refusal> {
    use OrderState::*;
    let by = |allowed: &[Actor], message: &'static str| {
        if allowed.contains(&actor) { Ok(()) } else { Err(Refusal::Step(message)) }
    };
    match step {
        Step::Confirm => {
            by(&[Actor::Seller], "Only the selling office confirms prices.")?;
            match state {
                Placed => Ok(PriceConfirmed),
                Cancelled => Err(Refusal::Step("This order was cancelled.")),
                _ => Err(Refusal::Step("The price of this order is confirmed already.")),
            }
        }
        Step::Approve => {
            by(&[Actor::Maker], "Only the maker approves orders.")?;
            match state {
                PriceConfirmed if needs_approval => Ok(Approved),
                Placed => Err(Refusal::Step("The salesperson has not confirmed the price yet.")),
                Cancelled => Err(Refusal::Step("This order was cancelled.")),
                _ => Err(Refusal::Step("This order waits for no approval.")),
            }
        }
        Step::Ship => {
            by(&[Actor::Seller], "Only the selling office ships orders.")?;
            match state {
                Approved => Ok(Shipped),
                PriceConfirmed if !needs_approval => Ok(Shipped),
                PriceConfirmed => Err(Refusal::Step("The maker has not approved this order yet.")),
                Placed => Err(Refusal::Step("Confirm the price before shipping.")),
                Shipped | Delivered => Err(Refusal::Step("This order is shipped already.")),
                Cancelled => Err(Refusal::Step("This order was cancelled.")),
            }
        }
        Step::Deliver => {
            by(&[Actor::Carrier], "Only the carrier reports delivery.")?;
            match state {
                Shipped => Ok(Delivered),
                Delivered => Err(Refusal::Step("This order's delivery is recorded already.")),
                Cancelled => Err(Refusal::Step("This order was cancelled.")),
                _ => Err(Refusal::Step("This order has not been shipped yet.")),
            }
        }
        Step::Cancel => {
            by(&[Actor::Buyer, Actor::Seller, Actor::Maker, Actor::Shop], "Carriers cannot cancel orders.")?;
            match state {
                Shipped | Delivered => {
                    Err(Refusal::Step("This order has been shipped: it can no longer be cancelled."))
                }
                Cancelled => Err(Refusal::Step("This order was cancelled already.")),
                Placed if actor == Actor::Maker => Err(Refusal::Step("This order waits for no approval.")),
                Approved if actor == Actor::Maker => Err(Refusal::Step("You approved this order already.")),
                PriceConfirmed if actor == Actor::Maker && !needs_approval => {
                    Err(Refusal::Step("This order waits for no approval."))
                }
                _ if actor == Actor::Shop && state != Placed => Err(Refusal::Step("This order's price is confirmed.")),
                _ => Ok(Cancelled),
            }
        }
    }
}

/// The most units of one offer in one order.
pub const MAX_QUANTITY: i64 = 999;
/// The most different offers in one cart.
pub const MAX_LINES: usize = 50;

/// A quantity as typed.
pub fn parse_quantity(input: &str) -> Result<i64, &'static str> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter a quantity.");
    }
    if s.starts_with('-') {
        return Err("The quantity cannot be negative.");
    }
    if !s.chars().all(|c| c.is_ascii_digit()) {
        return Err("Enter the quantity as a whole number, such as 2.");
    }
    match s.parse::<i64>() {
        Ok(0) => Err("The quantity must be at least 1."),
        Ok(n) if n <= MAX_QUANTITY => Ok(n),
        _ => Err("At most 999 units of one offer per order."),
    }
}

/// Adds units of an offer to a cart's lines (more of an offer already there adds up). The new
/// quantity of the line, or why not.
pub fn add_line(lines: &mut Vec<CartLine>, code: &str, quantity: i64, price: i64) -> Result<i64, Refusal> {
    if let Some(line) = lines.iter_mut().find(|l| l.offer_code == code) {
        line.quantity = (line.quantity + quantity).min(MAX_QUANTITY);
        line.seen_price = price;
        return Ok(line.quantity);
    }
    if lines.len() >= MAX_LINES {
        return Err(Refusal::TooManyLines);
    }
    lines.push(CartLine { offer_code: code.to_owned(), quantity, seen_price: price });
    Ok(quantity)
}

/// A visitor's cart joined to the one kept for the account at login: quantities of the same
/// offer add up, the latest price seen counts.
pub fn merge(mut into: Vec<CartLine>, from: &[CartLine]) -> Vec<CartLine> {
    for line in from {
        let _ = add_line(&mut into, &line.offer_code, line.quantity, line.seen_price);
    }
    into
}

/// A fingerprint of what the shopper sees at checkout (offers, quantities, prices): the order is
/// placed only if it is still the same when the form comes back.
pub fn quote(lines: &[(String, i64, i64)]) -> String {
    let mut sorted: Vec<&(String, i64, i64)> = lines.iter().collect();
    sorted.sort();
    let mut hash = Sha256::new();
    for (code, quantity, price) in sorted {
        hash.update(format!("{code}:{quantity}:{price};"));
    }
    hex::encode(&hash.finalize()[..12])
}

/// Parts of the day a delivery may be wished for.
pub const SLOTS: [(&str, &str); 4] =
    [("", "any time of day"), ("morning", "morning"), ("afternoon", "afternoon"), ("evening", "evening")];

/// The wished delivery time as the order keeps it ("2026-11-25, morning"), from a date (empty:
/// as soon as possible) and a part of the day; the day must lie within the next 90 days.
pub fn delivery_wish(date: &str, slot: &str, today: NaiveDate) -> Result<String, (&'static str, &'static str)> {
    let Some((_, slot_label)) = SLOTS.iter().find(|(key, _)| *key == slot) else {
        return Err(("slot", "Choose a part of the day from the list."));
    };
    let date = date.trim();
    let day = if date.is_empty() {
        "As soon as possible".to_owned()
    } else {
        let day = crate::days::parse(date)
            .ok()
            .flatten()
            .ok_or(("date", "Enter the day as YYYY-MM-DD, or leave it empty for as soon as possible."))?;
        if day < today {
            return Err(("date", "The day has passed. Choose today or a later day."));
        }
        if day > today + chrono::Days::new(90) {
            return Err(("date", "Choose a day within the next 90 days."));
        }
        day.format("%Y-%m-%d").to_string()
    };
    Ok(if slot.is_empty() { day } else { format!("{day}, {slot_label}") })
}

/// A new order number: ten characters in two groups, 50 random bits ("7QK2M-X9P4T").
pub fn new_order_number() -> String {
    crate::codes::random(2, 5)
}

/// An order number as typed, in its stored form.
pub fn normalize_order_number(input: &str) -> Option<String> {
    crate::codes::normalize(input, 2, 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    #[test]
    fn the_life_of_an_order() {
        assert_eq!(next(Placed, false, Step::Confirm, Actor::Seller), Ok(PriceConfirmed));
        assert_eq!(next(PriceConfirmed, false, Step::Ship, Actor::Seller), Ok(Shipped));
        assert_eq!(next(PriceConfirmed, true, Step::Approve, Actor::Maker), Ok(Approved));
        assert_eq!(next(Approved, true, Step::Ship, Actor::Seller), Ok(Shipped));
        assert_eq!(next(Shipped, true, Step::Deliver, Actor::Carrier), Ok(Delivered));
    }

    #[test]
    fn steps_out_of_order_or_by_the_wrong_role_are_refused() {
        assert!(next(Placed, false, Step::Ship, Actor::Seller).is_err());
        assert!(next(PriceConfirmed, true, Step::Ship, Actor::Seller).is_err());
        assert!(next(PriceConfirmed, false, Step::Approve, Actor::Maker).is_err());
        assert!(next(Placed, false, Step::Confirm, Actor::Buyer).is_err());
        assert!(next(Placed, false, Step::Confirm, Actor::Maker).is_err());
        assert!(next(Shipped, false, Step::Deliver, Actor::Seller).is_err());
        assert!(next(Delivered, false, Step::Deliver, Actor::Carrier).is_err());
        assert!(next(PriceConfirmed, false, Step::Confirm, Actor::Seller).is_err());
    }

    #[test]
    fn cancelling_only_before_shipping() {
        for state in [Placed, PriceConfirmed, Approved] {
            assert_eq!(next(state, true, Step::Cancel, Actor::Seller), Ok(Cancelled));
            assert_eq!(next(state, true, Step::Cancel, Actor::Buyer), Ok(Cancelled));
        }
        for state in [Shipped, Delivered, Cancelled] {
            assert!(next(state, true, Step::Cancel, Actor::Seller).is_err());
            assert!(next(state, true, Step::Cancel, Actor::Buyer).is_err());
        }
        assert_eq!(next(PriceConfirmed, true, Step::Cancel, Actor::Maker), Ok(Cancelled));
        assert!(next(PriceConfirmed, false, Step::Cancel, Actor::Maker).is_err());
        assert_eq!(next(Placed, false, Step::Cancel, Actor::Shop), Ok(Cancelled));
        assert!(next(PriceConfirmed, false, Step::Cancel, Actor::Shop).is_err());
        assert!(next(Placed, false, Step::Cancel, Actor::Carrier).is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity(" 3 "), Ok(3));
        for bad in ["", "0", "-1", "1.5", "abc", "1000", "99999999999999999999"] {
            assert!(parse_quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn carts_add_up_and_merge() {
        let mut lines = Vec::new();
        assert_eq!(add_line(&mut lines, "A", 2, 100), Ok(2));
        assert_eq!(add_line(&mut lines, "A", 3, 90), Ok(5));
        assert_eq!(lines[0].seen_price, 90);
        let merged = merge(lines, &[CartLine { offer_code: "B".into(), quantity: 1, seen_price: 5 }]);
        assert_eq!(merged.len(), 2);
        let mut full: Vec<CartLine> =
            (0..MAX_LINES).map(|i| CartLine { offer_code: format!("C{i}"), quantity: 1, seen_price: 1 }).collect();
        assert_eq!(add_line(&mut full, "X", 1, 1), Err(Refusal::TooManyLines));
    }

    #[test]
    fn the_quote_changes_with_price_or_quantity_not_order() {
        let a = quote(&[("A".into(), 1, 100), ("B".into(), 2, 50)]);
        assert_eq!(a, quote(&[("B".into(), 2, 50), ("A".into(), 1, 100)]));
        assert_ne!(a, quote(&[("A".into(), 1, 101), ("B".into(), 2, 50)]));
        assert_ne!(a, quote(&[("A".into(), 2, 100), ("B".into(), 2, 50)]));
    }

    #[test]
    fn wished_delivery_days() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
        assert_eq!(delivery_wish("", "", today).as_deref(), Ok("As soon as possible"));
        assert_eq!(delivery_wish("2026-11-25", "morning", today).as_deref(), Ok("2026-11-25, morning"));
        assert_eq!(delivery_wish("2026-11-20", "", today).map_err(|e| e.0), Err("date"));
        assert_eq!(delivery_wish("2027-06-01", "", today).map_err(|e| e.0), Err("date"));
        assert_eq!(delivery_wish("25/11/2026", "", today).map_err(|e| e.0), Err("date"));
        assert_eq!(delivery_wish("", "midnight", today).map_err(|e| e.0), Err("slot"));
    }
}
