//! Error pages: every error response becomes a page in the layout with its status, whether it is
//! one of the shop's own `AppError`s (raised by a handler, an extractor or a middleware) or one
//! actix made itself (405, 413, a failing session store). Nothing internal reaches the page.

use std::time::Duration;

use actix_web::ResponseError;
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::middleware::Next;
use askama::Template;

use super::layout::Layout;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    title: &'static str,
    message: String,
}

/// The shop's error for a response actix or a middleware made without one.
fn foreign(status: StatusCode, cause: Option<String>) -> AppError {
    match status.as_u16() {
        400 => AppError::BadRequest("The request could not be understood.".into()),
        401 | 403 => AppError::Forbidden,
        404 | 405 => AppError::NotFound,
        413 => AppError::TooLarge,
        429 => AppError::TooManyRequests(Duration::from_secs(1)),
        _ => {
            let cause = cause.unwrap_or_else(|| status.to_string());
            if cause.contains(&crate::db::DbError::WritesPaused.to_string()) {
                return AppError::WritesPaused;
            }
            // The session store's failures come through actix-session as bare 500s: a database
            // that cannot be reached or written is still "try again in a moment".
            if crate::db::is_out_of_space(&cause) || cause.contains("no database connection") {
                tracing::warn!(error = %cause, "request refused: database unavailable");
                return AppError::Unavailable(cause);
            }
            tracing::error!(error = %cause, status = status.as_u16(), "request failed");
            AppError::Internal(anyhow::anyhow!("{cause}"))
        }
    }
}

/// The page for an error with this status.
fn page(error: &AppError, status: StatusCode) -> actix_web::HttpResponse<BoxBody> {
    ErrorPageResponse::of(error, status).error_response()
}

/// The default handler of the app's `ErrorHandlers`: error responses that are not pages already
/// (a form that comes back with its messages is one) become the layout's error page.
pub fn render<B: actix_web::body::MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_page = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let is_probe = matches!(res.request().path(), "/healthz" | "/metrics");
    if is_page || is_probe {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let own = res.response().error().and_then(|e| e.as_error::<AppError>());
    let response = match own {
        Some(error) => page(error, status),
        None => {
            let error = foreign(status, res.response().error().map(|e| format!("{e:#}")));
            page(&error, error.status_code())
        }
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// Errors that leave a middleware as `Err` rather than as a response (the session store failing
/// to load or save a session) pass by `ErrorHandlers`, and actix answered them with an empty 500.
/// This middleware, just outside `ErrorHandlers`, gives each one the layout's error page as its
/// response. (It cannot hold the request to build a response itself: the router needs the only
/// reference to it.)
pub async fn catch(
    req: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl actix_web::body::MessageBody>> {
    next.call(req).await.map_err(|error| {
        let page = match error.as_error::<AppError>() {
            Some(AppError::LoginRequired(_)) => return error,
            Some(own) => {
                // A middleware's own error skips `error_response`, which logs the cause.
                own.log();
                ErrorPageResponse::of(own, own.status_code())
            }
            None => {
                let own = foreign(error.as_response_error().status_code(), Some(format!("{error:#}")));
                ErrorPageResponse::of(&own, own.status_code())
            }
        };
        actix_web::Error::from(page)
    })
}

/// An error whose response is its page, drawn once.
#[derive(Debug)]
struct ErrorPageResponse {
    status: StatusCode,
    body: String,
    retry_after: Option<Duration>,
}

impl ErrorPageResponse {
    fn of(error: &AppError, status: StatusCode) -> Self {
        let (title, message) = error.title_and_message();
        let page = ErrorPage { l: Layout::plain(), status: status.as_u16(), title, message };
        let body = page.render().unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
        ErrorPageResponse { status, body, retry_after: error.retry_after() }
    }
}

impl std::fmt::Display for ErrorPageResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error page {}", self.status)
    }
}

impl ResponseError for ErrorPageResponse {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> actix_web::HttpResponse<BoxBody> {
        let mut response = actix_web::HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")));
        if let Some(wait) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
        }
        response.body(self.body.clone())
    }
}
