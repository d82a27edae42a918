//! Catalog: kinds of goods and their characteristics, products, salespeople's offers, prices agreed
//! with single customers, and the equipment shoppers own (seeds 002, 003 and 004).

mod cache;
pub mod demo;
mod model;
mod repo;
mod routes;
pub mod rules;
mod service;
mod views;

pub use cache::{Facts, FactsView, KindFacts, ProductFacts};
pub use model::*;
pub use routes::configure;
pub use service::*;
