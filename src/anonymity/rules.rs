//! The pure rules of anonymous purchase: where an order stands and who may move it on, the
//! secrets (private link, pickup PIN, card codes) and how they are kept, and the checks of a
//! purchase request's ranges.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

crate::db::text_enum! {
    /// Where an anonymous order stands.
    pub enum AnonState {
        /// Made, stock held for the payment window.
        AwaitingPayment = "awaiting_payment",
        /// Not paid in time: the stock went back.
        Expired = "expired",
        /// Paid by card (the money held for the seller), pickup point chosen.
        Paid = "paid",
        /// Handed to a carrier for the pickup point.
        Dispatched = "dispatched",
        /// At the pickup point, waiting for the buyer.
        Arrived = "arrived",
        /// Handed over on order ID and PIN: the seller is paid.
        Collected = "collected",
        /// Not collected in time: back to the seller, the card refunded.
        Returned = "returned",
    }
}

crate::db::text_enum! {
    /// Who moved an order on: a role, never a person.
    pub enum Actor {
        Buyer = "buyer",
        Seller = "seller",
        Carrier = "carrier",
        Counter = "counter",
        Shop = "shop",
    }
}

impl AnonState {
    /// What the private link says of the order.
    pub fn label(self) -> &'static str {
        match self {
            AnonState::AwaitingPayment => "waiting for payment",
            AnonState::Expired => "not paid in time",
            AnonState::Paid => "paid, being packed",
            AnonState::Dispatched => "on its way to the pickup point",
            AnonState::Arrived => "at the pickup point",
            AnonState::Collected => "collected",
            AnonState::Returned => "returned to the seller, card refunded",
        }
    }

    /// The states a step may start from.
    pub fn may(self, step: Step) -> bool {
        use AnonState::*;
        matches!(
            (step, self),
            (Step::Pay, AwaitingPayment)
                | (Step::Expire, AwaitingPayment)
                | (Step::Dispatch, Paid)
                | (Step::Arrive, Dispatched)
                | (Step::HandOver, Arrived)
                | (Step::Return, Arrived)
                | (Step::NewPin, Paid | Dispatched | Arrived)
        )
    }
}

/// What can happen to an anonymous order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Pay,
    Expire,
    Dispatch,
    Arrive,
    HandOver,
    Return,
    NewPin,
}

impl Step {
    /// The state a step leads to (a new PIN leaves the state as it is).
    pub fn leads_to(self, from: AnonState) -> AnonState {
        match self {
            Step::Pay => AnonState::Paid,
            Step::Expire => AnonState::Expired,
            Step::Dispatch => AnonState::Dispatched,
            Step::Arrive => AnonState::Arrived,
            Step::HandOver => AnonState::Collected,
            Step::Return => AnonState::Returned,
            Step::NewPin => from,
        }
    }
}

// ---- secrets ----

pub use crate::codes::keyed_hash;

/// The private link's secret for the pick made under this form key: 160 bits, derived with the
/// shop's key, so a double submit of the pick finds the same order and the same link.
/// What `quantity` units at `unit_price` cost.
pub fn total(unit_price: i64, quantity: i64) -> i64 {
    unit_price.saturating_mul(quantity)
}

/// "2 × Laptop 14": an order's commodity as people read it.
pub fn goods(quantity: i64, commodity: &str) -> String {
    if quantity == 1 { commodity.to_owned() } else { format!("{quantity} × {commodity}") }
}

pub fn link_secret(secret: &[u8], form_key: &str) -> String {
    keyed_hash(secret, "anon-order-link", &[form_key])[..40].to_owned()
}

/// How the link is stored: a plain hash is enough for 160 random bits.
pub fn link_hash(link: &str) -> String {
    hex::encode(Sha256::digest(link.as_bytes()))
}

/// Whether text can be a private link's secret (so nothing else reaches the database).
pub fn is_link(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The pickup PIN of an order: 8 digits, derived from the link's secret, so the link can show it
/// again while the database keeps only its hash. A new generation gives a new PIN.
pub fn pickup_pin(secret: &[u8], link: &str, generation: i32) -> String {
    let digest = keyed_hash(secret, "pickup-pin", &[link, &generation.to_string()]);
    let n = u64::from_str_radix(&digest[..15], 16).unwrap_or(0) % 100_000_000;
    format!("{n:08}")
}

pub fn pin_hash(secret: &[u8], order_id: &str, pin: &str) -> String {
    keyed_hash(secret, "pickup-pin-hash", &[order_id, pin])
}

/// A PIN as typed: 8 digits, spaces and dashes ignored.
pub fn normalize_pin(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Equal hashes, compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// Prepaid card codes: 16 characters of Crockford's base 32 (80 random bits) in groups of four.
pub const CARD_GROUPS: usize = 4;
pub const CARD_GROUP_LEN: usize = 4;

pub fn card_hash(secret: &[u8], code: &str) -> String {
    keyed_hash(secret, "prepaid-card", &[code])
}

/// The last four characters, kept to tell cards apart.
pub fn last4(code: &str) -> String {
    code.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()
}

// ---- times ----

/// A parcel waits at the pickup point this long after it arrived.
pub fn keep_until(arrived_at: NaiveDateTime, keep_days: u64) -> NaiveDateTime {
    arrived_at + Duration::days(i64::try_from(keep_days).unwrap_or(7))
}

/// Ledger holds of anonymous payments run out long after any parcel could be collected: the
/// order itself posts or voids them.
pub fn hold_expiry(paid_at: NaiveDateTime, keep_days: u64) -> NaiveDateTime {
    paid_at + Duration::days(60 + i64::try_from(keep_days).unwrap_or(7))
}

// ---- purchase requests ----

/// The most units one anonymous order may take.
pub const MAX_QUANTITY: i64 = 20;

/// A quantity as typed: 1 to `MAX_QUANTITY`.
pub fn quantity(raw: &str) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_QUANTITY).contains(&n) => Ok(n),
        Ok(_) => Err(format!("Choose from 1 to {MAX_QUANTITY}.")),
        Err(_) => Err("Type a whole number.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a test key of enough length for the shop";

    #[test]
    fn each_step_starts_only_where_it_may() {
        use AnonState::*;
        assert!(AwaitingPayment.may(Step::Pay));
        assert!(!Paid.may(Step::Pay), "paid once");
        assert!(!Expired.may(Step::Pay), "too late");
        assert!(Paid.may(Step::Dispatch) && !AwaitingPayment.may(Step::Dispatch));
        assert!(Dispatched.may(Step::Arrive) && !Arrived.may(Step::Arrive));
        assert!(Arrived.may(Step::HandOver) && !Dispatched.may(Step::HandOver) && !Collected.may(Step::HandOver));
        assert!(Arrived.may(Step::Return) && !Collected.may(Step::Return));
        assert!(!Collected.may(Step::NewPin) && Arrived.may(Step::NewPin));
        assert_eq!(Step::NewPin.leads_to(Arrived), Arrived);
        assert_eq!(Step::HandOver.leads_to(Arrived), Collected);
    }

    #[test]
    fn the_link_and_the_pin_follow_from_the_form_key_and_the_shops_key() {
        let link = link_secret(KEY, "form-key-1");
        assert!(is_link(&link));
        assert_eq!(link, link_secret(KEY, "form-key-1"), "a double submit finds the same link");
        assert_ne!(link, link_secret(KEY, "form-key-2"));
        assert_ne!(link, link_secret(b"another key of enough length for a shop", "form-key-1"));
        let pin = pickup_pin(KEY, &link, 1);
        assert_eq!(pin.len(), 8);
        assert!(pin.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(pin, pickup_pin(KEY, &link, 1));
        assert_ne!(pin, pickup_pin(KEY, &link, 2), "a new generation, a new PIN");
        assert!(!is_link("../etc/passwd") && !is_link(&link.to_uppercase()));
    }

    #[test]
    fn pins_are_read_as_typed_and_compared_by_keyed_hash() {
        assert_eq!(normalize_pin(" 1234-5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalize_pin("1234567"), None);
        assert_eq!(normalize_pin("1234567a"), None);
        let h = pin_hash(KEY, "order", "12345678");
        assert!(same(&h, &pin_hash(KEY, "order", "12345678")));
        assert!(!same(&h, &pin_hash(KEY, "order", "12345679")));
        assert!(!same(&h, &pin_hash(KEY, "other", "12345678")), "a PIN belongs to its order");
    }

    #[test]
    fn quantities_and_card_ends() {
        assert_eq!(quantity(" 2 "), Ok(2));
        assert!(quantity("0").is_err() && quantity("21").is_err() && quantity("two").is_err());
        assert_eq!(last4("ABCD-EFGH-JKMN-PQRS"), "PQRS");
    }
}
