//! Paid analytics for salespeople (seeds 001, 004): analyses of the sales history and the
//! preference store (`history`), bought through the ledger, stored frozen, with privacy by
//! suppression, exact discrete noise and a monthly budget. This first step holds the pure rules;
//! the analyses, their pages and payment come next.

pub mod analyses;
mod model;
mod repo;
pub mod rules;
mod service;

pub use model::*;
pub use service::*;
