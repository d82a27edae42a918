//! Registration with a confirmed e-mail address. The form answers the same whatever the address:
//! "we sent you a link". For a new address the e-mail carries a link (128 random bits, stored as a
//! hash, good for a day) that makes the account; for an address with an account it says so and
//! offers the login and a new password. So the form never tells a stranger who has an account,
//! and it is limited like the other forms that send mail (per client address, per address asked).

use std::net::IpAddr;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::model::PendingRegistration;
use super::reset::{AccountMail, ResetLetter, token_hash};
use super::service::{AccountError, Accounts, Registration, Result, create_user, now};
use super::{Role, UserId, repo, rules};
use crate::db::DbConnection;
use crate::web::attempts::Policy;

/// Registrations asked for, counted per e-mail address.
pub const REGISTRATION: &str = "registration";

/// How long a confirmation link is good for.
pub const SIGNUP_VALID: chrono::Duration = chrono::Duration::hours(24);

/// Three e-mails an hour to one address, then waits from 5 minutes up to an hour (nobody can
/// flood an inbox through the shop); 10 registrations from one client address in a burst, then
/// one every 30 seconds.
pub fn registration_policy() -> Policy {
    Policy {
        address_burst: 10,
        address_refill: Duration::from_secs(30),
        free: 3,
        first_wait: Duration::from_secs(5 * 60),
        longest_wait: Duration::from_secs(3600),
        forget_after: Duration::from_secs(3600),
        success_clears: false,
    }
}

/// What a used, expired or unknown confirmation link says.
pub const SIGNUP_LINK_CLOSED: &str = "This link has expired or has been used. Register again to get a new one.";

fn confirm_letter(to: &str, name: &str, link: &str) -> ResetLetter {
    ResetLetter {
        to: to.to_owned(),
        subject: "Confirm your e-mail address".into(),
        body: format!(
            "Hello {name},\n\nplease open this link within a day to finish registering at the shop:\n\n{link}\n\n\
             If you did not register, ignore this e-mail: no account is made without it.\n"
        ),
    }
}

fn exists_letter(to: &str, name: &str, public_url: &str) -> ResetLetter {
    ResetLetter {
        to: to.to_owned(),
        subject: "You have an account already".into(),
        body: format!(
            "Hello {name},\n\nsomeone (we hope you) tried to register at the shop with this address, which has an \
             account already. Log in at\n\n{public_url}/login\n\nor, if you forgot your password, choose a new one at\n\n\
             {public_url}/password/forgot\n\nIf it was not you, ignore this e-mail: nothing has changed.\n"
        ),
    }
}

/// Writes the registration's e-mail in one transaction: a link for a new address, a note for one
/// with an account.
fn send_link(
    conn: &mut DbConnection,
    valid: &rules::ValidRegistration,
    password_hash: &str,
    next: &str,
    mail: &AccountMail,
    at: NaiveDateTime,
) -> Result<()> {
    if let Some(user) = repo::user_by_email(conn, &valid.email)? {
        return Ok((mail.send)(conn, &exists_letter(&user.email, &user.full_name, &mail.public_url))?);
    }
    let token = hex::encode(rand::random::<[u8; 16]>());
    let row = PendingRegistration {
        token_hash: token_hash(&token),
        email: valid.email.clone(),
        password_hash: password_hash.to_owned(),
        full_name: valid.personal.full_name.clone(),
        postal_address: valid.personal.postal_address.clone(),
        phone: valid.personal.phone.clone(),
        next_path: next.to_owned(),
        expires_at: at + SIGNUP_VALID,
        created_at: at,
    };
    repo::insert_pending_registration(conn, &row)?;
    let link = format!("{}/register/confirm/{token}", mail.public_url);
    Ok((mail.send)(conn, &confirm_letter(&valid.email, &valid.personal.full_name, &link))?)
}

impl Accounts {
    /// The registration form: checks what was typed, counts the request, and sends the e-mail
    /// (`send_link`). The answer is the same for every address; the password is hashed either
    /// way, so neither does the time tell. The request is counted before the hashing, so a flood
    /// is turned away before it costs a hash. `next` is where to go once confirmed (a path here).
    pub async fn register(
        &self,
        form: Registration,
        next: &str,
        client: Option<IpAddr>,
        mail: AccountMail,
    ) -> Result<()> {
        let valid = rules::check_registration(&form.email, &form.password, &form.password_again, &form.personal)
            .map_err(AccountError::Invalid)?;
        let (limiter, email) = (self.limiter.clone(), valid.email.clone());
        self.db
            .write(move |c| {
                // Counted whatever follows; a request is never "right", so the attempt is dropped.
                let _counted = limiter.begin(c, REGISTRATION, &email, client, now())?;
                Ok::<_, AccountError>(())
            })
            .await?;
        let hash = self.passwords.hash(form.password).await?;
        let next = next.to_owned();
        self.db.write(move |c| send_link(c, &valid, &hash, &next, &mail, now())).await
    }

    /// The address a confirmation link would register, while the link is open.
    pub async fn pending_registration(&self, token: &str) -> Result<Option<String>> {
        let hash = token_hash(token);
        self.db
            .read(move |c| Ok::<_, AccountError>(repo::open_pending_registration(c, &hash, now())?.map(|p| p.email)))
            .await
    }

    /// Makes the account of an open link (its other links go), as a shopper; returns it and where
    /// to go next. `Refused` when the link is not open, or the address got an account meanwhile.
    pub async fn confirm_registration(&self, token: &str) -> Result<(UserId, String)> {
        let hash = token_hash(token);
        self.db
            .write(move |c| {
                let pending = repo::open_pending_registration(c, &hash, now())?
                    .ok_or(AccountError::Refused(SIGNUP_LINK_CLOSED))?;
                repo::delete_pending_registrations_of(c, &pending.email)?;
                let valid = rules::ValidRegistration {
                    email: pending.email.clone(),
                    personal: super::PersonalData {
                        full_name: pending.full_name,
                        postal_address: pending.postal_address,
                        phone: pending.phone,
                    },
                };
                match create_user(c, &valid, &pending.password_hash, &[Role::Shopper]) {
                    Ok(id) => Ok((id, pending.next_path)),
                    Err(AccountError::Invalid(_)) => {
                        Err(AccountError::Refused("This address has an account already: log in with it."))
                    }
                    Err(e) => Err(e),
                }
            })
            .await
    }
}

/// The job that forgets registrations whose link expired a day ago (what they hold is personal).
pub fn signup_jobs() -> Vec<crate::db::jobs::Job> {
    vec![crate::db::jobs::Job::write("forget expired registrations", Duration::from_secs(3600), |c| {
        purge_pending_registrations(c, now())
    })]
}

/// Forgets registrations whose link expired a day ago.
pub fn purge_pending_registrations(conn: &mut DbConnection, at: NaiveDateTime) -> Result<usize> {
    Ok(repo::delete_pending_registrations_before(conn, at - chrono::Duration::days(1))?)
}
