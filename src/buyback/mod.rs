//! Buy-back (seed 000): centers registered by admins, designated per trade-in eligible offer;
//! applications on the center's page verified by order number and the buyer's details through
//! `orders::purchase_facts`; benefit rules by maker and model (the most specific wins); the
//! clerk's desk that grades, offers and pays price and benefit in one transaction; results
//! reported to the sales center without personal data.

mod model;
mod repo;
pub mod rules;
mod service;

pub use model::*;
pub use service::*;
