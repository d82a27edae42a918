//! Rows of the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;

crate::db::id_type!(
    /// One e-mail in the outbox.
    MailId
);

pub use super::rules::MailState;

#[derive(Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct Mail {
    pub id: MailId,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// What the e-mail announces, for the admin page ("order 7QK2M-X9P4T confirmed").
    pub topic: String,
    pub state: MailState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("id", &self.id)
            .field("topic", &self.topic)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// An e-mail to write to the outbox.
#[derive(Clone)]
pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub topic: String,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMail").field("topic", &self.topic).finish_non_exhaustive()
    }
}
