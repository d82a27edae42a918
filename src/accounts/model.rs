//! Users, their roles and their personal data.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{PersonalData, ValidRegistration};
use crate::db::schema::{account_events, sessions, user_roles, users};
pub use crate::web::identity::{Role, UserId};

crate::db::id_type!(
    /// A delivery address a user gave at checkout; orders keep only this ID.
    DeliveryAddressId
);
crate::db::id_type!(
    /// One entry in a user's account history.
    AccountEventId
);

/// A user as the rest of the shop sees one (never with the password hash).
#[derive(Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub personal: PersonalData,
    pub roles: Vec<Role>,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .field("suspended_at", &self.suspended_at)
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
}

/// One line of a user's account history.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = account_events)]
pub struct AccountEvent {
    pub id: AccountEventId,
    pub user_id: UserId,
    pub actor_id: Option<UserId>,
    pub kind: String,
    pub detail: String,
    pub at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: UserId,
    pub email: String,
    pub full_name: String,
    pub postal_address: String,
    pub phone: String,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).finish_non_exhaustive()
    }
}

impl UserRow {
    pub fn into_user(self, roles: Vec<Role>) -> User {
        User {
            id: self.id,
            email: self.email,
            personal: PersonalData {
                full_name: self.full_name,
                postal_address: self.postal_address,
                phone: self.phone,
            },
            roles,
            suspended_at: self.suspended_at,
            created_at: self.created_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUserRow<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub full_name: &'a str,
    pub postal_address: &'a str,
    pub phone: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = user_roles)]
pub(crate) struct NewRoleRow<'a> {
    pub user_id: &'a UserId,
    pub role: Role,
    pub granted_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = account_events)]
pub(crate) struct NewEventRow<'a> {
    pub id: AccountEventId,
    pub user_id: &'a UserId,
    pub actor_id: Option<&'a UserId>,
    pub kind: &'a str,
    pub detail: &'a str,
    pub at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub(crate) struct SessionRow {
    pub state: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// What a login needs to know about an account.
pub(crate) struct LoginRecord {
    pub id: UserId,
    pub password_hash: String,
    pub suspended: bool,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for LoginRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRecord").field("id", &self.id).field("suspended", &self.suspended).finish_non_exhaustive()
    }
}

/// A link that resets a forgotten password, as stored: the SHA-256 of its secret, never the secret.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::password_resets)]
pub struct PasswordReset {
    pub token_hash: String,
    pub user_id: UserId,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A registration waiting for its e-mail address to be confirmed, as stored: the SHA-256 of the
/// link's secret, what was typed, the password already hashed.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::pending_registrations)]
pub struct PendingRegistration {
    pub token_hash: String,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub postal_address: String,
    pub phone: String,
    pub next_path: String,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for PendingRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRegistration").finish_non_exhaustive()
    }
}
