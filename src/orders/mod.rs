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
