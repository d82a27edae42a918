//! One error type for every request: each module's errors become a status and a page in the
//! layout. The cause of a 5xx goes to the log; the page says only what the visitor can act on.

use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::accounts::AccountError;
use crate::db::DbError;
use crate::web::layout::Layout;

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
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    title: &'static str,
    message: String,
}

impl AppError {
    fn title_and_message(&self) -> (&'static str, String) {
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
            AppError::TooManyRequests(wait) => (
                "Too many requests",
                format!("Please wait {} seconds and try again.", wait.as_secs().max(1)),
            ),
            AppError::Internal(_) => (
                "Something went wrong",
                "The shop could not finish this request. Nothing was changed by the failed step; please try again in a moment.".into(),
            ),
        }
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
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired(next) = self {
            let target =
                format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
            return HttpResponse::SeeOther().insert_header((header::LOCATION, target)).finish();
        }
        if let AppError::Internal(cause) = self {
            tracing::error!(error = %format!("{cause:#}"), "request failed");
        }
        let status = self.status_code();
        let (title, message) = self.title_and_message();
        let page = ErrorPage { l: Layout::plain(), status: status.as_u16(), title, message };
        let body = page.render().unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")));
        if let AppError::TooManyRequests(wait) = self {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        response.body(body)
    }
}

/// Any error response that is not already one of our pages (a failing session store, actix's
/// own 405 or 413) becomes the layout's error page for its status. The cause is logged.
pub fn render_foreign_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_page = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let is_probe = matches!(res.request().path(), "/healthz" | "/metrics");
    if is_page || is_probe {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        400 => AppError::BadRequest("The request could not be understood.".into()),
        401 | 403 => AppError::Forbidden,
        404 | 405 => AppError::NotFound,
        413 => AppError::TooLarge,
        429 => AppError::TooManyRequests(Duration::from_secs(1)),
        _ => {
            let cause = res.response().error().map(|e| e.to_string()).unwrap_or_else(|| status.to_string());
            AppError::Internal(anyhow::anyhow!("{cause}"))
        }
    };
    let (req, _) = res.into_parts();
    let mut page = error.error_response();
    *page.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, page).map_into_right_body()))
}

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

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
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
