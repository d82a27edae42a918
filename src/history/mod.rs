//! The sales history and the preference store (seed 004's history storage implement): every sale
//! (regular orders when delivered, anonymous purchases when paid) and every purchase request, kept
//! with nothing that identifies a buyer: no person, no order number, no time finer than the day
//! (sales) or the hour (requests), and random row IDs (a time-ordered ID would tell the moment).
//! `orders` and `anonymity` write them through this service, in their own transactions; `analytics`
//! reads them.

mod model;
mod repo;
pub mod rules;
mod service;

pub use model::*;
pub use service::*;
