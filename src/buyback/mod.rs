//! Buy-back (seed 000): centers registered by admins, designated per trade-in eligible offer;
//! applications on the center's page verified by order number and the buyer's details through
//! `orders::purchase_facts`; benefit rules by maker and model (the most specific wins); the
//! clerk's desk that grades, offers and pays price and benefit in one transaction; results
//! reported to the sales center without personal data.

mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
pub mod views;

pub use model::*;
pub use routes::{configure, redacted_path};
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// Buy-back's pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Shopper,
        href: "/buyback",
        title: "Trade in",
        about: "Sell a used item to the buy-back center, with a benefit for what you bought here.",
    },
    Section {
        role: Role::Clerk,
        href: "/clerk/buyback",
        title: "Buy-back desk",
        about: "Receive, grade and pay for traded-in items.",
    },
    Section {
        role: Role::Salesperson,
        href: "/sell/buyback",
        title: "Buy-back",
        about: "Which center serves your trade-in offers, your benefit rules, and the results.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/buyback",
        title: "Buy-back",
        about: "Centers, clerks, price tables, funds, benefit rules and results.",
    },
];
