//! The operations of orders, in files along their parts: carts, checkout, each step of an
//! order's life, the pages' lists, makers, and `purchase_facts` for buy-back. Functions take the
//! caller's connection: placing an order takes stock (catalog), issues a check (echeck) and writes
//! e-mails (notify) in one transaction.

mod cart;
mod checkout;
mod facts;
mod figures;
mod lifecycle;
mod lists;
mod makers;

pub use cart::*;
pub use checkout::*;
pub use facts::*;
pub use figures::*;
pub use lifecycle::*;
pub use lists::*;
pub use makers::*;

use super::rules::Refusal;
use crate::accounts::AccountError;
use crate::catalog::CatalogError;
use crate::db::DbError;
use crate::db::jobs::Job;
use crate::echeck::EcheckError;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, FormError, Rejection};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    /// A visitor's cart could not be kept in the session.
    #[error("session: {0}")]
    Session(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for OrderError {
    fn from(e: diesel::result::Error) -> Self {
        OrderError::Db(DbError::Query(e))
    }
}

impl From<EcheckError> for OrderError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::Refused(r) => Refusal::Payment(r.to_string()).into(),
            EcheckError::Invalid(errors) => OrderError::Invalid(errors),
            EcheckError::NotFound => OrderError::NotFound,
            EcheckError::TooMany(wait) => Refusal::Payment(crate::error::wait_message(wait)).into(),
            EcheckError::Db(e) => OrderError::Db(e),
        }
    }
}

impl From<CatalogError> for OrderError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(errors) => OrderError::Invalid(errors),
            CatalogError::Db(e) => OrderError::Db(e),
            CatalogError::Accounts(e) => e.into(),
            CatalogError::NotFound
            | CatalogError::NotYours
            | CatalogError::Refused(_)
            | CatalogError::TooMany(_)
            | CatalogError::Below(_) => OrderError::NotFound,
        }
    }
}

impl From<AccountError> for OrderError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(errors) => OrderError::Invalid(errors),
            AccountError::Db(e) => OrderError::Db(e),
            _ => OrderError::NotFound,
        }
    }
}

impl From<crate::collection::CollectionError> for OrderError {
    fn from(e: crate::collection::CollectionError) -> Self {
        use crate::collection::CollectionError;
        match e {
            // Points are asked for in the checkout's one field.
            CollectionError::Refused(r) => invalid("points", r.to_string()),
            CollectionError::Invalid(errors) => OrderError::Invalid(errors),
            CollectionError::NotFound => OrderError::NotFound,
            CollectionError::Db(e) => OrderError::Db(e),
        }
    }
}

pub type Result<T, E = OrderError> = std::result::Result<T, E>;

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotFound => AppError::NotFound,
            OrderError::Refused(r) => AppError::BadRequest(r.to_string()),
            OrderError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            OrderError::Session(e) => AppError::Internal(anyhow::anyhow!("session: {e}")),
            OrderError::Db(e) => e.into(),
        }
    }
}

impl FormError for OrderError {
    fn rejection(self) -> Result<Rejection, AppError> {
        match self {
            OrderError::Invalid(errors) => Ok(Rejection::fields(errors)),
            OrderError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            other => Err(other.into()),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> OrderError {
    OrderError::Invalid(FieldErrors::with(field, message))
}

/// The orders' periodic work: orders nobody confirmed within `confirm_within` are cancelled.
pub fn jobs(confirm_within: std::time::Duration) -> Vec<Job> {
    vec![Job::write("cancel orders nobody confirmed in time", std::time::Duration::from_secs(60), move |c| {
        cancel_unconfirmed(c, confirm_within, crate::db::now(), 100)
    })]
}
