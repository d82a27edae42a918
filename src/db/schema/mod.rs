//! The tables of all modules, a file per module (the frame's and `accounts`' together). Each
//! table belongs to the module named above it; only that module's `repo.rs` queries it. Kept by
//! hand: portable types only (see DESIGN.md).

#[path = "analytics.rs"]
mod analytics_tables;
#[path = "anonymity.rs"]
mod anonymity_tables;
#[path = "buyback.rs"]
mod buyback_tables;
#[path = "catalog.rs"]
mod catalog_tables;
#[path = "collection.rs"]
mod collection_tables;
#[path = "echeck.rs"]
mod echeck_tables;
#[path = "frame.rs"]
mod frame_tables;
#[path = "history.rs"]
mod history_tables;
#[path = "notify.rs"]
mod notify_tables;
#[path = "orders.rs"]
mod orders_tables;

pub use analytics_tables::*;
pub use anonymity_tables::*;
pub use buyback_tables::*;
pub use catalog_tables::*;
pub use collection_tables::*;
pub use echeck_tables::*;
pub use frame_tables::*;
pub use history_tables::*;
pub use notify_tables::*;
pub use orders_tables::*;
