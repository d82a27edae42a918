//! The operations of anonymous purchase, in files along the buyer's path and the staff's desks:
//! the purchase request and the pick (`request`), the private link and its payment (`settle`),
//! the parcel's way from seller through carrier to counter (`parcels`), and what admins keep
//! (`admin`: pickup points and prepaid cards). Functions take the caller's connection.

mod admin;
mod notices;
mod parcels;
mod request;
mod settle;

pub use admin::*;
pub use notices::tell_sellers;
pub use parcels::*;
pub use request::*;
pub use settle::*;

use std::time::Duration;

use chrono::NaiveDateTime;

use super::model::*;
use super::repo;
use crate::accounts::AccountError;
use crate::catalog::CatalogError;
use crate::db::jobs::Job;
use crate::db::{DbConnection, DbError};
use crate::echeck::EcheckError;
use crate::error::AppError;
use crate::web::attempts::{AttemptError, Policy};
use crate::web::forms::{FieldErrors, FormError, Rejection};

pub type Result<T> = std::result::Result<T, AnonError>;

/// What the module needs from the shop's settings.
#[derive(Clone, Debug)]
pub struct Terms {
    /// The shop's secret key: keys the hashes of PINs and card codes and derives links and PINs.
    pub secret: Vec<u8>,
    /// How long stock is held for an unpaid order.
    pub pay_window: chrono::Duration,
    /// How many days a parcel waits at the pickup point.
    pub keep_days: u64,
    pub currency: String,
}

impl Terms {
    pub fn new(secret: &[u8], pay_minutes: u64, keep_days: u64, currency: &str) -> Terms {
        Terms {
            secret: secret.to_vec(),
            pay_window: chrono::Duration::minutes(i64::try_from(pay_minutes.max(1)).unwrap_or(60)),
            keep_days: keep_days.max(1),
            currency: currency.to_owned(),
        }
    }
}

/// Why a step was not taken, as the buyer or the staff read it above the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("That offer was not among your results. Choose one of them again.")]
    NotAmongResults,
    #[error("These results are out of date. State your request again to see what is on offer now.")]
    ResultsStale,
    #[error("Sold out: someone was quicker. Choose another offer or change your request.")]
    SoldOut,
    #[error("The price of this offer is now {0}. Check it and choose again.")]
    PriceChanged(String),
    #[error("This order is paid already.")]
    PaidAlready,
    #[error("The payment window closed, so the goods went back on sale. State your request again to buy.")]
    TooLate,
    #[error("This order is {0}: that cannot be done now.")]
    NotNow(&'static str),
    #[error(
        "This parcel is locked after 5 wrong PINs. Ask the buyer to open their private order link: a new PIN shown there unlocks it."
    )]
    Locked,
    #[error("The card's money was spent on another order just now: nothing was paid. Try again.")]
    CardShort,
    #[error("The books refused this: {0}")]
    Books(String),
}

#[derive(Debug, thiserror::Error)]
pub enum AnonError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("too many attempts")]
    TooMany(Duration),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AnonError {
    pub fn field(name: &str, message: impl Into<String>) -> AnonError {
        AnonError::Invalid(FieldErrors::with(name, message))
    }

    /// A mistake in a secret that was typed (a card code, an order ID or a PIN): `pay` and
    /// `hand_over` find these before they write anything, so the attempt's count may commit with
    /// them. A pickup point left unchosen is no guess at a secret and is not counted.
    pub fn is_wrong_secret(&self) -> bool {
        matches!(self, AnonError::Invalid(e) if ["card", "code", "pin"].iter().any(|f| e.has(f)))
    }
}

impl From<diesel::result::Error> for AnonError {
    fn from(e: diesel::result::Error) -> Self {
        AnonError::Db(DbError::Query(e))
    }
}

impl From<CatalogError> for AnonError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(errors) => AnonError::Invalid(errors),
            CatalogError::Db(e) => AnonError::Db(e),
            CatalogError::Refused(message) => AnonError::field("kind", message),
            _ => AnonError::NotFound,
        }
    }
}

impl From<EcheckError> for AnonError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::Invalid(errors) => AnonError::Invalid(errors),
            EcheckError::NotFound => AnonError::NotFound,
            EcheckError::TooMany(wait) => AnonError::TooMany(wait),
            EcheckError::Db(e) => AnonError::Db(e),
            // A card short of money is told where it happens; any other refusal of the books
            // (a hold that ran out) is told as it is.
            EcheckError::Refused(r) => Refusal::Books(r.to_string()).into(),
        }
    }
}

impl From<AccountError> for AnonError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(errors) => AnonError::Invalid(errors),
            AccountError::Db(e) => AnonError::Db(e),
            _ => AnonError::NotFound,
        }
    }
}

impl From<AttemptError> for AnonError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::TooMany(wait) => AnonError::TooMany(wait.0),
            AttemptError::Db(e) => e.into(),
            unknown => AnonError::Db(DbError::Query(diesel::result::Error::QueryBuilderError(unknown.into()))),
        }
    }
}

impl From<AnonError> for AppError {
    fn from(e: AnonError) -> Self {
        match e {
            AnonError::NotFound => AppError::NotFound,
            AnonError::TooMany(wait) => AppError::TooManyRequests(wait),
            AnonError::Db(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl FormError for AnonError {
    fn rejection(self) -> std::result::Result<Rejection, AppError> {
        match self {
            AnonError::Invalid(errors) => Ok(Rejection::fields(errors)),
            AnonError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            AnonError::TooMany(wait) => Ok(Rejection::refused(crate::error::wait_message(wait))),
            other => Err(other.into()),
        }
    }
}

// ---- the attempt limiter's policies ----

/// Pickup PINs typed at a counter, counted per parcel (its order ID).
pub const PICKUP_PIN: &str = "pickup_pin";
/// Prepaid card codes typed on a private order link, counted per order.
pub const PREPAID_CARD: &str = "prepaid_card";

/// Wrong PINs lock a parcel after 5 until the buyer's private link shows a new PIN (which clears
/// the count); one counter's address may try 30 at once, then one every 2 seconds.
pub fn pickup_pin_policy() -> Policy {
    let month = Duration::from_secs(30 * 86_400);
    Policy {
        address_burst: 30,
        address_refill: Duration::from_secs(2),
        free: 5,
        first_wait: month,
        longest_wait: month,
        forget_after: month,
        success_clears: true,
    }
}

/// Card codes have 80 random bits; the limit keeps the tries slow all the same: `per_address` at
/// once per address (10 by default), then one every 60/`per_address` seconds; 10 wrong codes on
/// one order, then waits from a minute up.
pub fn prepaid_card_policy(per_address: u32) -> Policy {
    Policy {
        address_burst: per_address.max(1),
        address_refill: Duration::from_secs(60) / per_address.max(1),
        free: 10,
        first_wait: Duration::from_secs(60),
        longest_wait: Duration::from_secs(3600),
        forget_after: Duration::from_secs(86_400),
        success_clears: false,
    }
}

// ---- shared steps ----

/// Moves an order on by `step` when it stands where the step may start (a conditional update, so
/// of two racing requests one wins) and writes the event. Returns the order as it was.
pub(super) fn advance(
    conn: &mut DbConnection,
    order: &AnonOrder,
    step: super::rules::Step,
    actor: Actor,
    note: &str,
    at: NaiveDateTime,
) -> Result<AnonState> {
    if !order.state.may(step) {
        return Err(Refusal::NotNow(order.state.label()).into());
    }
    let to = step.leads_to(order.state);
    if to != order.state && !repo::change_state(conn, &order.id, order.state, to, at)? {
        let now = repo::order(conn, &order.id)?.ok_or(AnonError::NotFound)?;
        return Err(match now.state {
            AnonState::Paid if step == super::rules::Step::Pay => Refusal::PaidAlready,
            state => Refusal::NotNow(state.label()),
        }
        .into());
    }
    event(conn, &order.id, to, actor, note, at)?;
    Ok(to)
}

pub(super) fn event(
    conn: &mut DbConnection,
    order: &AnonOrderId,
    state: AnonState,
    actor: Actor,
    note: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let row = AnonEvent { id: AnonEventId::new(), order_id: order.clone(), state, actor, note: note.to_owned(), at };
    repo::insert_event(conn, &row)?;
    Ok(())
}

/// The e-mail addresses of an office's staff (to tell them of an order).
pub(super) fn office_mail(conn: &mut DbConnection, office: &crate::echeck::OfficeId) -> Result<Vec<String>> {
    let staff = crate::echeck::office_staff(conn, office)?;
    Ok(crate::accounts::emails_of(conn, &staff)?)
}

pub(super) fn tell_office(
    conn: &mut DbConnection,
    office: &crate::echeck::OfficeId,
    subject: &str,
    body: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let to = office_mail(conn, office)?;
    mail(conn, &to, subject, body, at)
}

/// The same e-mail to each of `to`, through the outbox.
pub(super) fn mail(conn: &mut DbConnection, to: &[String], subject: &str, body: &str, at: NaiveDateTime) -> Result<()> {
    let mails: Vec<crate::notify::NewMail> = to
        .iter()
        .map(|to| crate::notify::NewMail {
            to: to.clone(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            topic: "anonymous order".into(),
        })
        .collect();
    crate::notify::enqueue(conn, &mails, at)?;
    Ok(())
}

/// The jobs: unpaid orders give their stock back when the window closes; parcels not collected
/// in time go back to the seller with the card refunded; old results are forgotten; sellers are
/// told of their orders made and paid every `notice_every`.
pub fn jobs(terms: Terms, notice_every: Duration) -> Vec<Job> {
    let every = Duration::from_secs(60);
    let keep = terms.keep_days;
    vec![
        Job::write("release unpaid anonymous orders", every, |c| expire_unpaid(c, crate::db::now(), 200)),
        Job::write("return uncollected parcels", every, move |c| return_uncollected(c, keep, crate::db::now(), 200)),
        Job::write("forget old purchase request results", every, |c| forget_results(c, crate::db::now())),
        Job::write("tell sellers of their anonymous orders", notice_every, |c| tell_sellers(c, crate::db::now())),
    ]
}
