//! The operations of accounts, for its own pages and for other modules. Synchronous functions take
//! the caller's connection (so they can join a larger transaction); `Accounts` wraps the ones the
//! pages need with hashing, throttling and the database's blocking pool.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};

use super::model::*;
use super::passwords::{PasswordError, Passwords};
use super::repo;
use super::rules;
use crate::db::jobs::Job;
use crate::db::{Db, DbConnection, DbError};
use crate::error::AppError;
use crate::web::attempts::{AttemptError, AttemptLimiter, Policy};
use crate::web::forms::{FieldErrors, FormError, Rejection};
use crate::web::pager::{Paged, Pager};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("wrong e-mail or password")]
    BadCredentials,
    #[error("too many attempts")]
    Throttled(Duration),
    #[error("the account is suspended")]
    Suspended,
    #[error("no such user")]
    NotFound,
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl FormError for AccountError {
    fn rejection(self) -> std::result::Result<Rejection, AppError> {
        match self {
            AccountError::Invalid(errors) => Ok(Rejection::fields(errors)),
            AccountError::Refused(message) => Ok(Rejection::refused(message)),
            other => Err(other.into()),
        }
    }
}

impl From<AttemptError> for AccountError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::TooMany(wait) => AccountError::Throttled(wait.0),
            AttemptError::Db(e) => e.into(),
            unknown => AccountError::Db(DbError::Query(diesel::result::Error::QueryBuilderError(unknown.into()))),
        }
    }
}

/// Attempts at a password (logging in, changing it), counted per e-mail address.
pub const LOGIN: &str = "login";

/// How password attempts are limited: `per_account` failures for one e-mail address, then waits
/// from 30 seconds doubling up to 15 minutes; `per_address` attempts from one client address in
/// a burst, then one every 2 seconds.
pub fn login_policy(per_account: u32, per_address: u32) -> Policy {
    Policy {
        address_burst: per_address,
        address_refill: Duration::from_secs(2),
        free: i64::from(per_account.max(1)),
        first_wait: Duration::from_secs(30),
        longest_wait: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(3600),
        success_clears: true,
    }
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Db(DbError::Query(e))
    }
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => AppError::NotFound,
            AccountError::Throttled(wait) => AppError::TooManyRequests(wait),
            AccountError::Refused(msg) => AppError::BadRequest(msg.into()),
            AccountError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            AccountError::BadCredentials | AccountError::Suspended => AppError::Forbidden,
            other => AppError::Internal(other.into()),
        }
    }
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

// ---- functions on the caller's connection ----

/// The ID of a delivery address of the user's (kept once per distinct address): orders keep this
/// ID, so the address itself stays with the accounts.
pub fn delivery_address_id(
    conn: &mut DbConnection,
    user: &UserId,
    address: &str,
    at: NaiveDateTime,
) -> Result<DeliveryAddressId> {
    let address = address.trim().replace("\r\n", "\n");
    rules::check_address(&address).map_err(|e| AccountError::Invalid(FieldErrors::with("address", e)))?;
    if let Some(id) = repo::delivery_address_id(conn, user, &address)? {
        return Ok(id);
    }
    let id = DeliveryAddressId::new();
    repo::insert_delivery_address(conn, &id, user, &address, at)?;
    // A racing request may have stored the same address first.
    repo::delivery_address_id(conn, user, &address)?.ok_or(AccountError::NotFound)
}

/// A delivery address by its ID, for the buyer's, the seller's and the carrier's pages.
pub fn delivery_address(conn: &mut DbConnection, id: &DeliveryAddressId) -> Result<Option<String>> {
    Ok(repo::delivery_address(conn, id)?)
}

/// Delivery addresses by their IDs, for lists (a carrier's shipments): one query.
pub fn delivery_addresses(
    conn: &mut DbConnection,
    ids: &[DeliveryAddressId],
) -> Result<BTreeMap<DeliveryAddressId, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(repo::delivery_addresses(conn, ids)?.into_iter().collect())
}

/// Whether `proof` names the registered user `id` (buy-back's check of who bought).
pub fn proves_buyer(conn: &mut DbConnection, id: &UserId, proof: &rules::BuyerProof) -> Result<bool> {
    Ok(find_user(conn, id)?.is_some_and(|u| rules::proves_buyer(&u.personal, proof)))
}

/// The user with their roles, or None.
pub fn find_user(conn: &mut DbConnection, id: &UserId) -> Result<Option<User>> {
    let Some(row) = repo::user_by_id(conn, id)? else { return Ok(None) };
    let roles = sorted(repo::roles_of(conn, id)?);
    Ok(Some(row.into_user(roles)))
}

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>> {
    let Some(row) = repo::user_by_email(conn, &rules::normalize_email(email))? else { return Ok(None) };
    let roles = sorted(repo::roles_of(conn, &row.id)?);
    Ok(Some(row.into_user(roles)))
}

/// The names of these users, for lists that show whom a row is for (a carrier's shipments): one
/// query however long the list. Only names: e-mail addresses and phones stay here.
pub fn names_of(conn: &mut DbConnection, ids: &[UserId]) -> Result<BTreeMap<UserId, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(repo::names_by_ids(conn, ids)?.into_iter().collect())
}

/// These users with their roles (unknown IDs left out), for lists of people the shop's own staff
/// and e-mails need (an office's staff, a carrier's people): two queries however long the list.
pub fn users_of(conn: &mut DbConnection, ids: &[UserId]) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = repo::users_by_ids(conn, ids)?;
    with_roles(conn, rows)
}

/// The e-mail addresses of these users (of those that exist), one kept-prepared lookup each:
/// for telling a few people, on every order of some flows (an `IN` list is parsed at every run).
pub fn emails_of(conn: &mut DbConnection, ids: &[UserId]) -> Result<Vec<String>> {
    let mut emails = Vec::with_capacity(ids.len());
    for id in ids {
        emails.extend(repo::email_of(conn, id)?);
    }
    Ok(emails)
}

/// Customers as a salesperson may tell them apart: their e-mail address masked to its first
/// letter and its domain ("s…@example.com"). Enough to recognise whom a price was agreed with,
/// without handing out the address (which may have changed since) or anything else.
pub fn masked_emails_of(conn: &mut DbConnection, ids: &[UserId]) -> Result<BTreeMap<UserId, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(repo::users_by_ids(conn, ids)?.into_iter().map(|u| (u.id, rules::mask_email(&u.email))).collect())
}

/// Users from their rows, with the roles of all of them read in one query.
fn with_roles(conn: &mut DbConnection, rows: Vec<UserRow>) -> Result<Vec<User>> {
    let ids: Vec<UserId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut roles = repo::roles_of_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = roles.extract_if(.., |(uid, _)| *uid == row.id).map(|(_, r)| r).collect();
            row.into_user(sorted(mine))
        })
        .collect())
}

fn sorted(mut roles: Vec<Role>) -> Vec<Role> {
    roles.sort();
    roles
}

/// Appends to the user's history; `actor` is who did it (None: the user themself or the system).
pub fn record_event(
    conn: &mut DbConnection,
    user: &UserId,
    actor: Option<&UserId>,
    kind: &str,
    detail: &str,
) -> Result<()> {
    repo::insert_event(
        conn,
        &NewEventRow { id: AccountEventId::new(), user_id: user, actor_id: actor, kind, detail, at: now() },
    )?;
    Ok(())
}

/// Creates a user with the given roles; the password must already be hashed.
pub fn create_user(
    conn: &mut DbConnection,
    reg: &ValidRegistration,
    password_hash: &str,
    roles: &[Role],
) -> Result<UserId> {
    if repo::email_taken(conn, &reg.email)? {
        return Err(email_taken());
    }
    let id = UserId::new();
    let now = now();
    let row = NewUserRow {
        id: &id,
        email: &reg.email,
        password_hash,
        full_name: &reg.personal.full_name,
        postal_address: &reg.personal.postal_address,
        phone: &reg.personal.phone,
        created_at: now,
        updated_at: now,
    };
    match repo::insert_user(conn, &row) {
        Err(e) if crate::db::is_unique_violation(&e) => return Err(email_taken()),
        other => other?,
    };
    for role in roles {
        repo::insert_role(conn, &id, *role, now)?;
    }
    record_event(conn, &id, None, "registered", "")?;
    Ok(id)
}

fn email_taken() -> AccountError {
    AccountError::Invalid(FieldErrors::with(
        "email",
        "An account with this e-mail address exists already. Log in, or use another address.",
    ))
}

/// Ends every session of the user, on every instance: the sessions live in the database.
pub fn end_sessions(conn: &mut DbConnection, id: &UserId) -> Result<usize> {
    Ok(repo::delete_sessions_of(conn, id)?)
}

/// Grants a role; `actor` None means the command line.
pub fn grant_role(conn: &mut DbConnection, actor: Option<&UserId>, id: &UserId, role: Role) -> Result<bool> {
    repo::user_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
    let added = repo::insert_role(conn, id, role, now())?;
    if added {
        record_event(conn, id, actor, "role_granted", role.as_str())?;
    }
    Ok(added)
}

pub fn revoke_role(conn: &mut DbConnection, actor: &UserId, id: &UserId, role: Role) -> Result<bool> {
    if role == Role::Admin && actor == id {
        return Err(AccountError::Refused("You cannot take the administrator role from yourself."));
    }
    let removed = repo::delete_role(conn, id, role)? > 0;
    if removed {
        record_event(conn, id, Some(actor), "role_revoked", role.as_str())?;
    }
    Ok(removed)
}

/// A reason an administrator gives for a change to someone's account.
fn check_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AccountError::Invalid(FieldErrors::with("reason", "Give a reason of at most 500 characters.")));
    }
    Ok(reason)
}

pub fn suspend(conn: &mut DbConnection, actor: &UserId, id: &UserId, reason: &str) -> Result<()> {
    let reason = check_reason(reason)?;
    if actor == id {
        return Err(AccountError::Refused("You cannot suspend yourself."));
    }
    let user = repo::user_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
    if user.suspended_at.is_some() {
        return Ok(());
    }
    let now = now();
    repo::set_suspended(conn, id, Some(now), now)?;
    repo::delete_sessions_of(conn, id)?;
    record_event(conn, id, Some(actor), "suspended", reason)
}

pub fn reinstate(conn: &mut DbConnection, actor: &UserId, id: &UserId, reason: &str) -> Result<()> {
    let reason = check_reason(reason)?;
    let user = repo::user_by_id(conn, id)?.ok_or(AccountError::NotFound)?;
    if user.suspended_at.is_none() {
        return Ok(());
    }
    repo::set_suspended(conn, id, None, now())?;
    record_event(conn, id, Some(actor), "reinstated", reason)
}

pub fn history(conn: &mut DbConnection, id: &UserId) -> Result<Vec<AccountEvent>> {
    Ok(repo::events_of(conn, id, 100)?)
}

pub fn active_sessions(conn: &mut DbConnection, id: &UserId) -> Result<i64> {
    Ok(repo::count_sessions_of(conn, id)?)
}

/// What an administrator sees of a user: the account, its history, its sessions.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user: User,
    pub events: Vec<AccountEvent>,
    pub sessions: i64,
    /// The roles the user does not hold yet.
    pub grantable: Vec<Role>,
}

pub fn record(conn: &mut DbConnection, id: &UserId) -> Result<UserRecord> {
    let user = find_user(conn, id)?.ok_or(AccountError::NotFound)?;
    let grantable = Role::ALL.iter().copied().filter(|r| !user.has_role(*r)).collect();
    Ok(UserRecord { events: history(conn, id)?, sessions: active_sessions(conn, id)?, grantable, user })
}

/// One page of a user search, newest first.
pub fn search(conn: &mut DbConnection, needle: &str, pager: Pager) -> Result<Paged<User>> {
    if needle.len() > 200 {
        return Err(AccountError::Refused("The search is too long (at most 200 characters)."));
    }
    let rows = repo::search(conn, needle.trim(), pager.fetch(), pager.offset())?;
    Ok(pager.split(with_roles(conn, rows)?))
}

/// Accounts' periodic work: sessions past their idle or absolute limit are deleted.
pub fn jobs(idle: Duration, absolute: Duration) -> Vec<Job> {
    vec![Job::write("end expired sessions", Duration::from_secs(300), move |c| {
        purge_expired_sessions(c, idle, absolute)
    })]
}

/// Deletes sessions past their idle or absolute limit.
pub fn purge_expired_sessions(conn: &mut DbConnection, idle: Duration, absolute: Duration) -> Result<usize> {
    let now = now();
    let ago = |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
    Ok(repo::delete_sessions_before(conn, ago(idle), ago(absolute))?)
}

// ---- the operations behind the pages ----

/// Accounts as the web pages use them: database, password hashing and the attempt limiter together.
#[derive(Clone)]
pub struct Accounts {
    pub(super) db: Db,
    pub(super) passwords: Passwords,
    pub(super) limiter: Arc<AttemptLimiter>,
}

/// A registration form as typed.
#[derive(Clone, Default)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub password_again: String,
    pub personal: PersonalData,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration").finish_non_exhaustive()
    }
}

impl Accounts {
    pub fn new(db: Db, passwords: Passwords, limiter: Arc<AttemptLimiter>) -> Self {
        Self { db, passwords, limiter }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Registers a shopper.
    /// Creates a user with these roles (registration, demo data, the CLI).
    pub async fn create(&self, form: Registration, roles: Vec<Role>) -> Result<UserId> {
        let valid = rules::check_registration(&form.email, &form.password, &form.password_again, &form.personal)
            .map_err(AccountError::Invalid)?;
        let email = valid.email.clone();
        // Ask first so a taken address costs no hashing; the insert checks again against races.
        if self.db.read(move |c| repo::email_taken(c, &email).map_err(AccountError::from)).await? {
            return Err(email_taken());
        }
        let hash = self.passwords.hash(form.password).await?;
        self.db.write(move |c| create_user(c, &valid, &hash, &roles)).await
    }

    /// Checks a login. The answer for an unknown e-mail and for a wrong password is the same
    /// error after the same amount of work.
    pub async fn log_in(&self, email: &str, password: String, client: Option<IpAddr>) -> Result<UserId> {
        let email = rules::normalize_email(email);
        let attempt = self.count_attempt(&email, client).await?;
        let record = self.db.read(move |c| repo::login_record(c, &email).map_err(AccountError::from)).await?;
        let (hash, record) = match record {
            Some(r) => (Some(r.password_hash.clone()), Some(r)),
            None => (None, None),
        };
        if !self.passwords.verify(password, hash).await {
            return Err(AccountError::BadCredentials);
        }
        let record = record.ok_or(AccountError::BadCredentials)?;
        self.db.write(move |c| attempt.succeeded(c).map_err(AccountError::from)).await?;
        if record.suspended {
            return Err(AccountError::Suspended);
        }
        Ok(record.id)
    }

    /// Counts an attempt at the password of `email` (limited per address and per account).
    async fn count_attempt(&self, email: &str, client: Option<IpAddr>) -> Result<crate::web::attempts::Attempt> {
        let (limiter, email) = (self.limiter.clone(), email.to_owned());
        self.db.write(move |c| Ok(limiter.begin(c, LOGIN, &email, client, now())?)).await
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.db.read(move |c| find_user(c, &id)).await
    }

    /// Changes the password after checking the current one; ends every session of the user.
    pub async fn change_password(&self, user: &User, current: String, new: String, again: String) -> Result<()> {
        let mut errors = FieldErrors::new();
        if let Err(e) = rules::check_password(&new, &user.email) {
            errors.add("new_password", e);
        } else if new != again {
            errors.add("new_password_again", "The two new passwords differ.");
        }
        errors.into_result().map_err(AccountError::Invalid)?;
        let attempt = self.count_attempt(&user.email, None).await?;
        let id = user.id.clone();
        let stored = self.db.read(move |c| repo::password_hash(c, &id).map_err(AccountError::from)).await?;
        if !self.passwords.verify(current, stored).await {
            return Err(AccountError::Invalid(FieldErrors::with(
                "current_password",
                "This is not your current password.",
            )));
        }
        self.db.write(move |c| attempt.succeeded(c).map_err(AccountError::from)).await?;
        let hash = self.passwords.hash(new).await?;
        let id = user.id.clone();
        self.db
            .write(move |c| {
                repo::set_password_hash(c, &id, &hash, now())?;
                end_sessions(c, &id)?;
                record_event(c, &id, None, "password_changed", "")
            })
            .await
    }

    pub async fn update_personal(&self, id: UserId, personal: PersonalData) -> Result<()> {
        let personal = rules::tidy_personal(&personal);
        let mut errors = FieldErrors::new();
        rules::check_personal(&personal, &mut errors);
        errors.into_result().map_err(AccountError::Invalid)?;
        self.db
            .write(move |c| {
                repo::set_personal(c, &id, &personal, now())?;
                record_event(c, &id, None, "personal_data_changed", "")
            })
            .await
    }

    /// Creates an administrator, or makes an existing user one and sets their password (the
    /// `create-admin` command, also the way back in for a locked-out operator). True if created.
    pub async fn create_admin(&self, email: &str, full_name: &str, password: String) -> Result<(UserId, bool)> {
        let email = rules::normalize_email(email);
        let mut errors = FieldErrors::new();
        if let Err(e) = rules::check_email(&email) {
            errors.add("email", e);
        }
        if let Err(e) = rules::check_password(&password, &email) {
            errors.add("password", e);
        }
        errors.into_result().map_err(AccountError::Invalid)?;
        let lookup = email.clone();
        let existing = self.db.read(move |c| find_user_by_email(c, &lookup)).await?;
        if let Some(user) = existing {
            let id = user.id.clone();
            self.db.write(move |c| grant_role(c, None, &id, Role::Admin)).await?;
            self.reset_password(user.id.clone(), password).await?;
            return Ok((user.id, false));
        }
        let hash = self.passwords.hash(password).await?;
        let reg = ValidRegistration {
            email,
            personal: PersonalData { full_name: full_name.trim().to_owned(), ..PersonalData::default() },
        };
        let id = self.db.write(move |c| create_user(c, &reg, &hash, &[Role::Admin])).await?;
        Ok((id, true))
    }

    /// Sets a new password without knowing the old one (the `create-admin` command).
    pub async fn reset_password(&self, id: UserId, password: String) -> Result<()> {
        let hash = self.passwords.hash(password).await?;
        self.db
            .write(move |c| {
                repo::set_password_hash(c, &id, &hash, now())?;
                end_sessions(c, &id)?;
                record_event(c, &id, None, "password_reset", "from the command line")
            })
            .await
    }
}

/// The administrators' start page: how many people use the shop.
pub fn admin_panel(
    conn: &mut DbConnection,
    _user: &crate::web::identity::Identity,
) -> std::result::Result<Option<crate::web::nav::Panel>, AppError> {
    use crate::web::nav::{Figure, Panel};
    let (all, new) = repo::user_counts(conn, now() - chrono::Duration::days(7)).map_err(AccountError::from)?;
    let figures =
        vec![Figure::new("Users", all).link("/admin/users"), Figure::new("New this week", new).link("/admin/users")];
    Ok(Some(Panel { title: "People".into(), figures, chart: None }))
}
