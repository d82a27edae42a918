//! The operations of the e-check site, for its own pages and for the other modules. Every
//! function takes the caller's connection and expects to run inside the caller's transaction
//! (`Db::write`), so that a check issued while an order is placed commits or fails with the order.
//! Times are passed in, so tests can move the clock. In files along the site's parts: the ledger
//! (accounts and the money moving between them, the API other modules use), checks, the
//! registries of offices and carriers, and what the pages show.

mod checks;
mod ledger;
mod pages;
mod registries;

use chrono::NaiveDateTime;

pub use checks::*;
pub use ledger::*;
pub use pages::*;
pub use registries::*;

use super::model::*;
use super::repo;
use super::rules::{self, Refusal};
use crate::accounts::UserId;
use crate::db::jobs::Job;
use crate::db::{DbConnection, DbError};
use crate::error::AppError;
use crate::web::attempts::{AttemptError, Policy};
use crate::web::forms::{FieldErrors, FormError, Rejection};

#[derive(Debug, thiserror::Error)]
pub enum EcheckError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    /// Too many wrong check IDs typed: wait this long.
    #[error("too many attempts")]
    TooMany(std::time::Duration),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<EcheckError> for AppError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::NotFound => AppError::NotFound,
            EcheckError::Refused(r) => AppError::BadRequest(r.to_string()),
            EcheckError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            EcheckError::TooMany(wait) => AppError::TooManyRequests(wait),
            EcheckError::Db(e) => e.into(),
        }
    }
}

impl FormError for EcheckError {
    fn rejection(self) -> std::result::Result<Rejection, AppError> {
        match self {
            EcheckError::Invalid(errors) => Ok(Rejection::fields(errors)),
            EcheckError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            other => Err(other.into()),
        }
    }
}

impl From<AttemptError> for EcheckError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::TooMany(wait) => EcheckError::TooMany(wait.0),
            AttemptError::Db(e) => e.into(),
            unknown => EcheckError::Db(DbError::Query(diesel::result::Error::QueryBuilderError(unknown.into()))),
        }
    }
}

/// Check IDs typed by a selling office's people, counted per office: a wrong one is a failure.
pub const CHECK_ID: &str = "check_id";

/// Check IDs are short (60 random bits): an office may mistype 20, then each further wrong one
/// waits from 2 seconds doubling up to 5 minutes; one client address may try 60 at once (several
/// offices' desks behind one address), then one a second. A right ID forgives only itself.
pub fn check_id_policy() -> Policy {
    Policy {
        address_burst: 60,
        address_refill: std::time::Duration::from_secs(1),
        free: 20,
        first_wait: std::time::Duration::from_secs(2),
        longest_wait: std::time::Duration::from_secs(300),
        forget_after: std::time::Duration::from_secs(3600),
        success_clears: false,
    }
}

impl From<diesel::result::Error> for EcheckError {
    fn from(e: diesel::result::Error) -> Self {
        EcheckError::Db(DbError::Query(e))
    }
}

impl From<Refusal> for EcheckError {
    fn from(r: Refusal) -> Self {
        EcheckError::Refused(r)
    }
}

impl EcheckError {
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            EcheckError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

pub type Result<T, E = EcheckError> = std::result::Result<T, E>;

pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Hold time and credit line until an administrator sets others.
const DEFAULT_CREDIT_LINE: i64 = 50_000;
const DEFAULT_HOLD_HOURS: i32 = 14 * 24;

// ---- the settings ----

/// Makes sure the settings and the bank's and platform's accounts exist (every start).
pub fn open_books(conn: &mut DbConnection, currency: &str, at: NaiveDateTime) -> Result<Settings> {
    repo::insert_settings(
        conn,
        &Settings {
            id: 1,
            currency: currency.to_owned(),
            default_credit_line: DEFAULT_CREDIT_LINE,
            hold_hours: DEFAULT_HOLD_HOURS,
            updated_at: at,
        },
    )?;
    let settings = settings(conn)?;
    for kind in [AccountKind::Bank, AccountKind::Platform] {
        open_account(conn, kind, kind.as_str(), at)?;
    }
    Ok(settings)
}

pub fn settings(conn: &mut DbConnection) -> Result<Settings> {
    repo::settings(conn)?.ok_or(EcheckError::Db(DbError::Query(diesel::result::Error::NotFound)))
}

pub fn change_settings(
    conn: &mut DbConnection,
    actor: &UserId,
    credit_line: &str,
    hold_hours: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let mut errors = FieldErrors::new();
    let currency = settings(conn)?.currency;
    let line = rules::parse_credit_line(credit_line, &currency).map_err(|e| errors.add("default_credit_line", e)).ok();
    let hours = match hold_hours.trim().parse::<i32>() {
        Ok(h) if (1..=24 * 365).contains(&h) => Some(h),
        _ => {
            errors.add("hold_hours", "Enter a whole number of hours from 1 to 8760.");
            None
        }
    };
    errors.into_result().map_err(EcheckError::Invalid)?;
    let (Some(line), Some(hours)) = (line, hours) else { return Err(EcheckError::NotFound) };
    repo::update_settings(conn, line, hours, at)?;
    registry_event(
        conn,
        "settings",
        Some(actor),
        "settings_changed",
        &format!("credit line {line}, hold {hours} h"),
        at,
    )
}

/// The e-check site's periodic work: the holds of checks not paid in time are released (pages
/// show lapsed holds as released at once anyway).
pub fn jobs() -> Vec<Job> {
    vec![Job::write("release the holds of expired checks", std::time::Duration::from_secs(60), |c| {
        expire_due(c, now(), 500)
    })]
}

/// An entry in the history of a registry entry, an account or the settings.
pub(super) fn registry_event(
    conn: &mut DbConnection,
    subject: &str,
    actor: Option<&UserId>,
    kind: &str,
    detail: &str,
    at: NaiveDateTime,
) -> Result<()> {
    repo::insert_registry_event(
        conn,
        &RegistryEvent {
            id: RegistryEventId::new(),
            subject_id: subject.to_owned(),
            actor_id: actor.cloned(),
            kind: kind.to_owned(),
            detail: detail.to_owned(),
            at,
        },
    )?;
    Ok(())
}
