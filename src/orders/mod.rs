//! Orders (seeds 002 and 003): carts, checkout into one order per selling office, the order's life
//! from price confirmation through the maker's approval to shipping and delivery, its e-mails, and
//! the purchase facts buy-back checks.

mod mail;
mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use model::*;
pub use routes::{configure, merge_cart_at_login};
pub use rules::{OrderState, Refusal};
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The order pages in the roles' navigation.
/// The orders' figures on the start pages.
pub const PANELS: &[crate::web::nav::PanelOf] = &[
    crate::web::nav::PanelOf { role: Role::Salesperson, source: service::seller_panel },
    crate::web::nav::PanelOf { role: Role::Admin, source: service::admin_panel },
];

pub const SECTIONS: &[Section] = &[
    Section { role: Role::Shopper, href: "/cart", title: "Cart", about: "What you are about to order." },
    Section {
        role: Role::Shopper,
        href: "/orders",
        title: "Orders",
        about: "Your orders, their state and their timeline.",
    },
    Section {
        role: Role::Salesperson,
        href: "/sell/orders",
        title: "Orders",
        about: "Confirm prices, ship with a carrier, cancel with a reason.",
    },
    Section {
        role: Role::Maker,
        href: "/maker/approvals",
        title: "Approvals",
        about: "Orders of your goods waiting for your approval.",
    },
    Section {
        role: Role::Carrier,
        href: "/carrier/shipments",
        title: "Shipments",
        about: "Where to deliver what; report deliveries and cash collected.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/makers",
        title: "Makers",
        about: "Which makers approve orders of their goods, and who acts for them.",
    },
];
