//! The catalog's operations, for its pages and for other modules (orders read offers and take
//! stock through here), in files along its parts. Functions take the caller's connection.

mod equipment;
mod gallery;
mod kinds;
mod offers;
mod prices;
mod shopping;

pub use equipment::*;
pub use gallery::*;
pub use kinds::*;
pub use offers::*;
pub use prices::*;
pub use shopping::*;

use chrono::{NaiveDateTime, Utc};

pub use super::cache::WordChoice;
use crate::db::DbError;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, FormError, Rejection};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("this offer belongs to another salesperson")]
    NotYours,
    /// A request the catalog will not run, with why.
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(#[from] crate::accounts::AccountError),
    /// Too many e-mail addresses that name no shopper: wait this long.
    #[error("too many unknown customers")]
    TooMany(std::time::Duration),
    #[error("{0}")]
    Below(String),
}

impl From<crate::web::attempts::AttemptError> for CatalogError {
    fn from(e: crate::web::attempts::AttemptError) -> Self {
        use crate::web::attempts::AttemptError;
        match e {
            AttemptError::TooMany(wait) => CatalogError::TooMany(wait.0),
            AttemptError::Db(e) => CatalogError::Db(e.into()),
            unknown => CatalogError::Below(unknown.to_string()),
        }
    }
}

impl From<diesel::result::Error> for CatalogError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => CatalogError::NotFound,
            other => CatalogError::Db(DbError::Query(other)),
        }
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => AppError::NotFound,
            CatalogError::NotYours => AppError::Forbidden,
            CatalogError::Refused(message) => AppError::BadRequest(message.into()),
            CatalogError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            CatalogError::Db(e) => e.into(),
            CatalogError::Accounts(e) => e.into(),
            CatalogError::TooMany(wait) => AppError::TooManyRequests(wait),
            CatalogError::Below(cause) => AppError::Internal(anyhow::anyhow!(cause)),
        }
    }
}

impl FormError for CatalogError {
    fn rejection(self) -> Result<Rejection, AppError> {
        match self {
            CatalogError::Invalid(errors) => Ok(Rejection::fields(errors)),
            other => Err(other.into()),
        }
    }
}

pub(super) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid(FieldErrors::with(field, message))
}
