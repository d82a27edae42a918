//! The cartridge collection (seed 002): shoppers register and get a collection card number;
//! clerks record cartridges received against it; members see what they collected, their
//! collection rate and their points on the consumables page and on `/collection`. Points follow
//! published rules, live in a ledger of lots with expiry, and are redeemed as a price reduction
//! at checkout (through `orders`) or for reward goods.

mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use model::*;
pub use routes::{configure, consumables_display};
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The collection's pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Shopper,
        href: "/collection",
        title: "Cartridge collection",
        about: "Your card number, cartridges returned, collection rate, points and rewards.",
    },
    Section {
        role: Role::Clerk,
        href: "/clerk/collection",
        title: "Collection desk",
        about: "Record cartridges returned on a member's card number; hand over rewards.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/collection",
        title: "Collection points",
        about: "The points rules shoppers see; reward goods; adjust a member's points.",
    },
];
