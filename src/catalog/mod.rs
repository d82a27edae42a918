//! Catalog: kinds of goods and their characteristics, products, salespeople's offers, prices agreed
//! with single customers, and the equipment shoppers own (seeds 002, 003 and 004).

mod cache;
pub mod demo;
mod model;
pub mod pictures;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use cache::{Facts, FactsView, KindFacts, ProductFacts};
pub use model::*;
pub use routes::configure;
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The figures this module shows on the start pages.
pub const PANELS: &[crate::web::nav::PanelOf] =
    &[crate::web::nav::PanelOf { role: Role::Salesperson, source: service::seller_panel }];

/// The catalog's pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Shopper,
        href: "/account/equipment",
        title: "Equipment",
        about: "The printers you own, so the consumables page shows what fits them.",
    },
    Section { role: Role::Shopper, href: "/consumables", title: "Consumables", about: "What fits your equipment." },
    Section {
        role: Role::Salesperson,
        href: "/sell/offers",
        title: "Offers",
        about: "Put products in the catalog; change prices and stock; withdraw.",
    },
    Section {
        role: Role::Salesperson,
        href: "/sell/prices",
        title: "Customer prices",
        about: "Prices agreed with single customers or groups of them.",
    },
    Section {
        role: Role::Salesperson,
        href: "/sell/groups",
        title: "Customer groups",
        about: "Customers who share agreed prices, under labels of your own.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/kinds",
        title: "Kinds of goods",
        about: "The kinds the catalog sells and the characteristics shoppers filter by.",
    },
];
