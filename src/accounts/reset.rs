//! Forgotten passwords: a link by e-mail (128 random bits, stored as a hash, good for an hour and
//! for one use) leads to a form for a new password, which ends every session of the user. The
//! request answers the same whether an account exists for the address or not, and is limited by
//! the attempt limiter per client address and per address asked for.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::model::PasswordReset;
use super::service::{AccountError, Accounts, Result, end_sessions, now, record_event};
use super::{repo, rules};
use crate::db::{DbConnection, DbError};
use crate::web::attempts::Policy;
use crate::web::forms::FieldErrors;

/// Requests for a reset link, counted per e-mail address asked for.
pub const PASSWORD_RESET: &str = "password_reset";

/// How long a link is good for.
pub const RESET_VALID: chrono::Duration = chrono::Duration::hours(1);

/// Three links an hour for one address, then waits from 5 minutes up to an hour; 5 requests from
/// one client address in a burst, then one a minute. A request is never "right": each one counts.
pub fn reset_policy() -> Policy {
    Policy {
        address_burst: 5,
        address_refill: Duration::from_secs(60),
        free: 3,
        first_wait: Duration::from_secs(5 * 60),
        longest_wait: Duration::from_secs(3600),
        forget_after: Duration::from_secs(3600),
        success_clears: false,
    }
}

/// The e-mail with the link, handed to whatever sends mail (the outbox, wired by `lib.rs`): in the
/// caller's transaction, so the link exists exactly when its mail will go out.
pub struct ResetLetter {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Its address and link never reach a log line.
impl std::fmt::Debug for ResetLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetLetter").finish_non_exhaustive()
    }
}

pub type SendLetter = dyn Fn(&mut DbConnection, &ResetLetter) -> std::result::Result<(), DbError> + Send + Sync;

/// Sends the accounts module's e-mails (app data).
#[derive(Clone)]
pub struct AccountMail {
    pub(super) send: Arc<SendLetter>,
    /// The shop's address as people reach it, for the link.
    pub public_url: String,
}

impl AccountMail {
    pub fn new(public_url: &str, send: Arc<SendLetter>) -> Self {
        AccountMail { send, public_url: public_url.trim_end_matches('/').to_owned() }
    }
}

/// A link's secret as stored: its SHA-256 (the links of `signup` too).
pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn letter(to: &str, name: &str, link: &str) -> ResetLetter {
    ResetLetter {
        to: to.to_owned(),
        subject: "Choose a new password".into(),
        body: format!(
            "Hello {name},\n\nsomeone (we hope you) asked to choose a new password for your account at the shop.\n\
             Open this link within an hour to choose it; it works once:\n\n{link}\n\n\
             Choosing a new password logs you out everywhere.\n\
             If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
        ),
    }
}

/// Makes a link for `email` if an account has that address (and is not suspended) and writes its
/// e-mail, in one transaction. Says nothing of whether it did.
fn issue_link(conn: &mut DbConnection, email: &str, mail: &AccountMail, at: NaiveDateTime) -> Result<()> {
    let Some(user) = repo::user_by_email(conn, email)? else { return Ok(()) };
    if user.suspended_at.is_some() {
        return Ok(());
    }
    let token = hex::encode(rand::random::<[u8; 16]>());
    let row = PasswordReset {
        token_hash: token_hash(&token),
        user_id: user.id.clone(),
        expires_at: at + RESET_VALID,
        used_at: None,
        created_at: at,
    };
    repo::insert_password_reset(conn, &row)?;
    let link = format!("{}/password/reset/{token}", mail.public_url);
    (mail.send)(conn, &letter(&user.email, &user.full_name, &link))?;
    record_event(conn, &user.id, None, "password_reset_sent", "a link by e-mail")
}

impl Accounts {
    /// "Forgot your password?": counts the request, then sends a link if the account exists.
    pub async fn request_reset(&self, email: &str, client: Option<IpAddr>, mail: AccountMail) -> Result<()> {
        let email = rules::normalize_email(email);
        if !email.contains('@') {
            return Err(AccountError::Invalid(FieldErrors::with("email", "Give the e-mail address of your account.")));
        }
        let limiter = self.limiter.clone();
        self.db
            .write(move |c| {
                let at = now();
                // Counted whatever follows; a request is never "right", so the attempt is dropped.
                let _counted = limiter.begin(c, PASSWORD_RESET, &email, client, at)?;
                issue_link(c, &email, &mail, at)
            })
            .await
    }

    /// Whether a link is open (unused, unexpired): the page shows the form or says to ask again.
    pub async fn reset_link_open(&self, token: &str) -> Result<bool> {
        let hash = token_hash(token);
        self.db.read(move |c| Ok::<_, AccountError>(repo::open_password_reset(c, &hash, now())?.is_some())).await
    }

    /// Sets the new password through an open link, uses it up, closes the user's other links and
    /// ends every session. `Refused` when the link is no longer open.
    pub async fn reset_password_by_link(&self, token: &str, new: String, again: String) -> Result<()> {
        let hash = token_hash(token);
        let open = hash.clone();
        let email = self
            .db
            .read(move |c| {
                let Some(user) = repo::open_password_reset(c, &open, now())? else { return Ok(None) };
                Ok::<_, AccountError>(repo::user_by_id(c, &user)?.map(|u| u.email))
            })
            .await?
            .ok_or(AccountError::Refused(LINK_CLOSED))?;
        let mut errors = FieldErrors::new();
        if let Err(e) = rules::check_password(&new, &email) {
            errors.add("new_password", e);
        } else if new != again {
            errors.add("new_password_again", "The two passwords differ.");
        }
        errors.into_result().map_err(AccountError::Invalid)?;
        let password_hash = self.passwords.hash(new).await?;
        self.db
            .write(move |c| {
                let at = now();
                let Some(user) = repo::use_password_reset(c, &hash, at)? else {
                    return Err(AccountError::Refused(LINK_CLOSED));
                };
                repo::set_password_hash(c, &user, &password_hash, at)?;
                repo::close_password_resets(c, &user, at)?;
                end_sessions(c, &user)?;
                record_event(c, &user, None, "password_reset", "by a link sent by e-mail")
            })
            .await
    }
}

/// What a used, expired or unknown link says.
pub const LINK_CLOSED: &str = "This link has expired or has been used. Ask for a new one.";

/// The job that forgets links that expired a day ago.
pub fn reset_jobs() -> Vec<crate::db::jobs::Job> {
    vec![crate::db::jobs::Job::write("forget expired password links", Duration::from_secs(3600), |c| {
        purge_password_resets(c, now())
    })]
}

pub fn purge_password_resets(conn: &mut DbConnection, at: NaiveDateTime) -> Result<usize> {
    Ok(repo::delete_password_resets_before(conn, at - chrono::Duration::days(1))?)
}
