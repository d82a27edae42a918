//! The operations of the collection, in files along who uses them: members and what they see
//! (`members`), the clerk's desk (`desk`), the points ledger every change goes through (`ledger`),
//! what `orders` calls (`orders`: cartridges bought, points at checkout), rewards (`rewards`) and
//! the admins' rules (`admin`). Functions take the caller's connection.

mod admin;
mod desk;
mod ledger;
mod members;
mod orders;
mod rewards;

pub use admin::*;
pub use desk::*;
pub use ledger::{Invariants, check_invariants, expire_due};
pub use members::*;
pub use orders::*;
pub use rewards::*;

use std::time::Duration;

use crate::catalog::CatalogError;
use crate::db::DbError;
use crate::db::jobs::Job;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, FormError, Rejection};

pub type Result<T> = std::result::Result<T, CollectionError>;

/// Why a step was not taken, as the member or the staff read it above the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Register for the collection service first.")]
    NotRegistered,
    #[error("Only {available} points are available.")]
    NotEnoughPoints { available: i64 },
    #[error("This reward is out of stock or no longer offered.")]
    RewardGone,
    #[error("This record is corrected already.")]
    CorrectedAlready,
    #[error("A correction cannot be corrected; record the cartridges again instead.")]
    CorrectionOfCorrection,
    #[error("This claim was decided already: {0}.")]
    ClaimDecided(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CollectionError {
    pub fn field(name: &str, message: impl Into<String>) -> CollectionError {
        CollectionError::Invalid(FieldErrors::with(name, message))
    }
}

impl From<diesel::result::Error> for CollectionError {
    fn from(e: diesel::result::Error) -> Self {
        CollectionError::Db(DbError::Query(e))
    }
}

impl From<CatalogError> for CollectionError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(errors) => CollectionError::Invalid(errors),
            CatalogError::Db(e) => CollectionError::Db(e),
            _ => CollectionError::NotFound,
        }
    }
}

impl From<CollectionError> for AppError {
    fn from(e: CollectionError) -> Self {
        match e {
            CollectionError::NotFound => AppError::NotFound,
            CollectionError::Db(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl FormError for CollectionError {
    fn rejection(self) -> std::result::Result<Rejection, AppError> {
        match self {
            CollectionError::Invalid(errors) => Ok(Rejection::fields(errors)),
            CollectionError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            other => Err(other.into()),
        }
    }
}

/// The job: points past their expiry are written off as expired entries (they stopped counting
/// at the moment they expired already; this keeps the ledger saying so).
pub fn jobs() -> Vec<Job> {
    vec![Job::write("expire collection points", Duration::from_secs(300), |c| expire_due(c, crate::db::now(), 500))]
}
