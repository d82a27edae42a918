//! One error type for every request: each module turns its errors into one (its own `From`), and
//! each becomes a status with a title and a message for the visitor. `web::errors` renders them as
//! pages in the layout. The cause of a 5xx goes to the log; the page says only what the visitor can
//! act on.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the form's security token is missing or wrong")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("request body too large")]
    TooLarge,
    /// Not logged in: go to the login page, then come back to this path.
    #[error("login required")]
    LoginRequired(String),
    #[error("too many requests")]
    TooManyRequests(Duration),
    /// The database cannot be reached or cannot take changes (down, its disk full): the visitor
    /// may try again shortly; nothing of the request was kept.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The data folder's disk is below its reserve: changes are refused, reading pages goes on.
    #[error("changes are paused: the disk is nearly full")]
    WritesPaused,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// What the error page says: a title and what the visitor can do.
    pub fn title_and_message(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => ("Page not found", "There is nothing at this address. Check it, or start again from the home page.".into()),
            AppError::Forbidden => ("Not allowed", "Your account may not open this page. If you think it should, ask an administrator.".into()),
            AppError::Csrf => (
                "Form expired",
                "This form could not be accepted because its security token is missing or out of date. Go back, reload the page and send the form again.".into(),
            ),
            AppError::BadRequest(msg) => ("Request not understood", msg.clone()),
            AppError::TooLarge => ("Too much data", "The form sent more data than the shop accepts.".into()),
            AppError::LoginRequired(_) => ("Please log in", "Log in to see this page.".into()),
            AppError::TooManyRequests(wait) => ("Too many requests", wait_message(*wait)),
            AppError::Unavailable(_) => (
                "Try again in a moment",
                "The shop cannot take this request right now. Nothing was changed; please try again in a moment.".into(),
            ),
            AppError::WritesPaused => (
                "The shop cannot take changes right now",
                "You can go on looking around, but orders, logins and other changes are paused for the moment. Nothing was changed; please try again later.".into(),
            ),
            AppError::Internal(_) => (
                "Something went wrong",
                "The shop could not finish this request. Nothing was changed by the failed step; please try again in a moment.".into(),
            ),
        }
    }
}

/// The one message for every limit (too many attempts at a secret, too many requests): how long
/// to wait.
pub fn wait_message(wait: Duration) -> String {
    let seconds = u64::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(u64::MAX).max(1);
    if seconds > 90 {
        format!("Too many attempts. Wait {} minutes, then try again.", seconds.div_ceil(60))
    } else if seconds == 1 {
        "Too many attempts. Wait a second, then try again.".to_owned()
    } else {
        format!("Too many attempts. Wait {seconds} seconds, then try again.")
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::LoginRequired(_) => StatusCode::SEE_OTHER,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::WritesPaused => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error's response before `web::errors` puts it into a page: its status, a plain-text
    /// body as a fallback, and what a client must know (where to log in, when to try again).
    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired(next) = self {
            let target =
                format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
            return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        }
        self.log();
        let (title, message) = self.title_and_message();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")));
        if let Some(wait) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        response.body(format!("{title}\n\n{message}\n"))
    }
}

impl AppError {
    /// Writes the cause of a failure to the log (the page says only what the visitor can do).
    pub fn log(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(error = %format!("{cause:#}"), "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "request refused: database unavailable"),
            _ => {}
        }
    }

    /// When a client should try again, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AppError::TooManyRequests(wait) => Some(*wait),
            AppError::Unavailable(_) => Some(UNAVAILABLE_RETRY),
            AppError::WritesPaused => Some(PAUSED_RETRY),
            _ => None,
        }
    }
}

/// How long a visitor is asked to wait while the database is unavailable.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);

/// How long a visitor is asked to wait while changes are paused for want of disk space (the
/// reserve logs each time it is crossed; a refused change is not logged again).
const PAUSED_RETRY: Duration = Duration::from_secs(60);

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            DbError::WritesPaused => AppError::WritesPaused,
            other if other.is_unavailable() => AppError::Unavailable(other.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template: {e}"))
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        AppError::Internal(anyhow::anyhow!("session: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_unavailable_with_a_time_to_come_back() {
        let full = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database or disk is full".to_owned()),
        );
        let error = AppError::from(DbError::Query(full));
        assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"5"[..]));
        let wrong = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed".to_owned()),
        );
        assert!(matches!(AppError::from(DbError::Query(wrong)), AppError::Internal(_)));
    }

    #[test]
    fn the_wait_is_said_in_seconds_or_minutes() {
        assert_eq!(wait_message(Duration::from_millis(300)), "Too many attempts. Wait a second, then try again.");
        assert_eq!(wait_message(Duration::from_secs(30)), "Too many attempts. Wait 30 seconds, then try again.");
        assert_eq!(wait_message(Duration::from_secs(600)), "Too many attempts. Wait 10 minutes, then try again.");
    }
}
