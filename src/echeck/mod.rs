//! The electronic check managing site (seed 003): registries of selling offices and carriers, a
//! double-entry ledger of shoppers', offices', the platform's and the bank's accounts, and checks
//! that hold a buyer's credit until the seller demands payment.

mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use model::*;
pub use routes::configure;
pub use rules::Refusal;
pub use service::*;

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The figures this module shows on the start pages.
pub const PANELS: &[crate::web::nav::PanelOf] =
    &[crate::web::nav::PanelOf { role: crate::web::identity::Role::Admin, source: service::admin_panel }];

/// The e-check pages in the roles' navigation.
pub const SECTIONS: &[Section] = &[
    Section {
        role: Role::Shopper,
        href: "/echeck",
        title: "E-check credit",
        about: "Your balance, credit line and held amounts.",
    },
    Section {
        role: Role::Salesperson,
        href: "/sell/payments",
        title: "Payments",
        about: "E-checks made out to your office: check them, demand payment after shipping, void.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/echeck",
        title: "E-check site",
        about: "The books and their invariants, credit lines, deposits and withdrawals, the ledger.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/echeck/offices",
        title: "Selling offices",
        about: "Register, edit and suspend selling offices; their staff.",
    },
    Section {
        role: Role::Admin,
        href: "/admin/echeck/carriers",
        title: "Carriers",
        about: "Register, edit and suspend distributing companies; their staff.",
    },
];
