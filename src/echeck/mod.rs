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
