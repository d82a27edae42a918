//! The one integration-test binary: it starts the real app and speaks HTTP to it like a browser.
//! On SQLite always; on PostgreSQL when SHOP_TEST_POSTGRES_URL is set (a fresh database per test).

mod helpers;
mod history;

mod accounts;
mod admin;
mod analytics;
mod anonymity;
mod architecture;
mod browser;
mod buyback;
mod catalog;
mod cli;
mod collection;
mod db;
mod echeck;
mod frame;
mod notify;
mod orders;
