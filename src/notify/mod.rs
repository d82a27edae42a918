//! E-mails: written to the outbox in the same transaction as the change they announce, and sent
//! by a worker, by SMTP when `SMTP_URL` is set, otherwise as `.eml` files into a folder.

mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;
mod worker;

pub use model::*;
pub use routes::configure;
pub use service::*;
pub use worker::{Mailer, jobs};

use crate::web::identity::Role;
use crate::web::nav::Section;

/// The figures this module shows on the start pages.
pub const PANELS: &[crate::web::nav::PanelOf] =
    &[crate::web::nav::PanelOf { role: crate::web::identity::Role::Admin, source: service::admin_panel }];

/// The outbox in the administrators' navigation.
pub const SECTIONS: &[Section] = &[Section {
    role: Role::Admin,
    href: "/admin/outbox",
    title: "Outbox",
    about: "E-mails sent, waiting and failed, with the reason.",
}];
