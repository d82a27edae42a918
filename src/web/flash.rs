//! One-time messages shown on the next page ("Password changed."), kept in the session.

use actix_session::Session;

const KEY: &str = "flash";

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    /// "ok", "info" or "error": the CSS class of the message.
    pub kind: String,
    pub text: String,
}

fn push(session: &Session, kind: &str, text: &str) {
    let mut all: Vec<Flash> = session.get(KEY).ok().flatten().unwrap_or_default();
    all.push(Flash { kind: kind.into(), text: text.into() });
    if let Err(e) = session.insert(KEY, all) {
        tracing::warn!(error = %e, "could not keep a flash message");
    }
}

pub fn ok(session: &Session, text: &str) {
    push(session, "ok", text);
}

pub fn info(session: &Session, text: &str) {
    push(session, "info", text);
}

pub fn error(session: &Session, text: &str) {
    push(session, "error", text);
}

/// Takes the waiting messages; they are shown once.
pub fn take(session: &Session) -> Vec<Flash> {
    if !session.contains_key(KEY) {
        return Vec::new();
    }
    session.remove_as::<Vec<Flash>>(KEY).and_then(Result::ok).unwrap_or_default()
}
