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
