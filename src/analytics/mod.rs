//! Paid analytics for salespeople (seeds 001, 004): analyses of the sales history and the
//! preference store (`history`), bought through the ledger, stored frozen, with privacy by
//! suppression, exact discrete noise and a monthly budget.

pub mod analyses;
mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
pub mod views;

pub use model::*;
pub use routes::configure;
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// Analytics' pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Salesperson,
        href: "/sell/analytics",
        title: "Analytics",
        about: "Buy analyses of the market's sales and of what purchasers ask for, with nobody in them.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/analytics",
        title: "Analytics",
        about: "Prices of the analyses and their privacy: the smallest count shown, noise and budgets.",
    },
];
