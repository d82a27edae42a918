//! Anonymous purchase (seeds 001 and 004): a purchase request answered from the catalog, a pick
//! checked against the results, an order with an order ID, a pickup PIN and a private link,
//! settlement by prepaid card with a pickup point, and the parcel's way through the seller, a
//! carrier and the pickup counter. Nothing here holds anything about the buyer.

mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use model::*;
pub use routes::{configure, redacted_path};
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The anonymous purchase pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Salesperson,
        href: "/sell/anon",
        title: "Anonymous orders",
        about: "Order IDs and goods bought anonymously; pickup points, labels, dispatch.",
    },
    Section {
        role: Role::Pickup,
        href: "/pickup",
        title: "Pickup counter",
        about: "Parcels expected and waiting; hand over on order ID and PIN.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/pickup-points",
        title: "Pickup points",
        about: "Register, edit and suspend pickup points; their counter staff.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/prepaid",
        title: "Prepaid cards",
        about: "Issue batches of cards for anonymous purchase; balances; block a card.",
    },
];
