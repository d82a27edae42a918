//! The admin's view of the outbox.

use askama::Template;

use super::model::*;
use crate::web::layout::Layout;
use crate::web::pager::Paged;
use crate::web::when;

impl Mail {
    /// Where the e-mail stands, as the admin reads it.
    pub fn status(&self) -> String {
        match (self.state, self.attempts) {
            (MailState::Sent, _) => format!("sent {}", self.sent_at.map(when).unwrap_or_default()),
            (MailState::Failed, n) => format!("given up after {n} attempts"),
            (_, 0) => "waiting".to_owned(),
            (_, n) => format!("retrying after {n} failed attempts, next {}", when(self.next_attempt_at)),
        }
    }

    pub fn tone(&self) -> &'static str {
        match (self.state, self.attempts) {
            (MailState::Sent, _) => "good",
            (MailState::Failed, _) => "bad",
            (_, 0) => "",
            _ => "warn",
        }
    }

    pub fn created(&self) -> String {
        when(self.created_at)
    }
}

#[derive(Template)]
#[template(path = "notify/outbox.html")]
pub struct OutboxPage {
    pub l: Layout,
    pub mails: Paged<Mail>,
    pub counts: Vec<(MailState, i64)>,
    pub state: String,
}

#[derive(Template)]
#[template(path = "notify/mail.html")]
pub struct MailPage {
    pub l: Layout,
    pub mail: Mail,
}
