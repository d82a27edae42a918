//! The operations of buy-back, in files along who uses them: the admins' centers, clerks and price
//! tables and the salespeople's designations (`centers`), benefit rules (`benefits`), the
//! application on the center's page (`apply`), and the clerk's desk with the payment and the
//! results (`desk`). Functions take the caller's connection.

mod apply;
mod benefits;
mod centers;
mod desk;

pub use apply::*;
pub use benefits::*;
pub use centers::*;
pub use desk::*;

use std::time::Duration;

use crate::catalog::CatalogError;
use crate::collection::CollectionError;
use crate::db::DbError;
use crate::db::jobs::Job;
use crate::echeck::EcheckError;
use crate::error::AppError;
use crate::orders::OrderError;
use crate::web::attempts::AttemptError;
use crate::web::forms::{FieldErrors, FormError, Rejection};

pub type Result<T> = std::result::Result<T, BuybackError>;

/// The one answer to every failed verification: it must not tell which part was wrong.
pub const NO_MATCH: &str = "The order number and the details do not match a delivered purchase.";

/// Why a step was not taken, as the applicant or the staff read it above the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{}", NO_MATCH)]
    NoMatch,
    #[error("This purchase has an application already: {0}.")]
    AppliedAlready(String),
    #[error("This application is {0} now; reload the page.")]
    Moved(&'static str),
    #[error("The center's account cannot pay this now: {0}")]
    CenterCannotPay(String),
    #[error("Overlaps rule {0}: change its conditions or its period.")]
    Overlaps(i64),
    #[error("This center takes no applications at the moment.")]
    CenterSuspended,
    #[error("Clerks work at the desk of their center: ask an administrator to assign you to one.")]
    NoCenter,
}

#[derive(Debug, thiserror::Error)]
pub enum BuybackError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not yours")]
    NotYours,
    #[error(transparent)]
    Db(#[from] DbError),
    /// Too many wrong tries at this order number (or from this address): wait this long.
    #[error("too many attempts")]
    TooMany(std::time::Duration),
    /// A module below failed in a way the pages cannot mend (an internal error).
    #[error("{0}")]
    Below(String),
}

impl BuybackError {
    pub fn field(name: &str, message: impl Into<String>) -> BuybackError {
        BuybackError::Invalid(FieldErrors::with(name, message))
    }
}

impl BuybackError {
    /// A wrong try at an order number and its details: counted by the attempt limiter.
    pub fn is_no_match(&self) -> bool {
        matches!(self, BuybackError::Refused(Refusal::NoMatch))
    }
}

impl From<AttemptError> for BuybackError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::TooMany(wait) => BuybackError::TooMany(wait.0),
            AttemptError::Db(e) => e.into(),
            unknown => BuybackError::Below(unknown.to_string()),
        }
    }
}

impl From<diesel::result::Error> for BuybackError {
    fn from(e: diesel::result::Error) -> Self {
        BuybackError::Db(DbError::Query(e))
    }
}

impl From<CatalogError> for BuybackError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(errors) => BuybackError::Invalid(errors),
            CatalogError::Db(e) => BuybackError::Db(e),
            CatalogError::NotYours => BuybackError::NotYours,
            _ => BuybackError::NotFound,
        }
    }
}

impl From<OrderError> for BuybackError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::Db(e) => BuybackError::Db(e),
            other => BuybackError::Below(other.to_string()),
        }
    }
}

impl From<EcheckError> for BuybackError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::Db(e) => BuybackError::Db(e),
            EcheckError::Refused(r) => Refusal::CenterCannotPay(r.to_string()).into(),
            EcheckError::NotFound => BuybackError::NotFound,
            other => BuybackError::Below(other.to_string()),
        }
    }
}

impl From<CollectionError> for BuybackError {
    fn from(e: CollectionError) -> Self {
        match e {
            CollectionError::Db(e) => BuybackError::Db(e),
            CollectionError::Invalid(errors) => BuybackError::Invalid(errors),
            other => BuybackError::Below(other.to_string()),
        }
    }
}

impl From<BuybackError> for AppError {
    fn from(e: BuybackError) -> Self {
        match e {
            BuybackError::NotFound => AppError::NotFound,
            BuybackError::NotYours => AppError::Forbidden,
            BuybackError::Db(e) => e.into(),
            BuybackError::Below(e) => AppError::Internal(anyhow::anyhow!(e)),
            BuybackError::TooMany(wait) => AppError::TooManyRequests(wait),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl FormError for BuybackError {
    fn rejection(self) -> std::result::Result<Rejection, AppError> {
        match self {
            BuybackError::Invalid(errors) => Ok(Rejection::fields(errors)),
            BuybackError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            BuybackError::TooMany(wait) => Ok(Rejection::refused(format!(
                "Too many tries with this order number. {}",
                crate::error::wait_message(wait)
            ))),
            other => Err(other.into()),
        }
    }
}

/// How long the personal data entered on an application is kept after it ends.
#[derive(Clone, Copy, Debug)]
pub struct KeepDays(pub i64);

/// The job: personal data of applications ended `keep` days ago is erased (the result stays).
pub fn jobs(keep: KeepDays) -> Vec<Job> {
    vec![Job::write("erase ended buy-back applications' personal data", Duration::from_secs(3600), move |c| {
        erase_ended(c, keep, crate::db::now(), 500)
    })]
}
