//! Error pages: every error response becomes a page in the layout with its status, whether it is
//! one of the shop's own `AppError`s (raised by a handler, an extractor or a middleware) or one
//! actix made itself (405, 413, a failing session store). Nothing internal reaches the page.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
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
fn foreign(res: &ServiceResponse<impl actix_web::body::MessageBody>) -> AppError {
    let status = res.status();
    match status.as_u16() {
        400 => AppError::BadRequest("The request could not be understood.".into()),
        401 | 403 => AppError::Forbidden,
        404 | 405 => AppError::NotFound,
        413 => AppError::TooLarge,
        429 => AppError::TooManyRequests(Duration::from_secs(1)),
        _ => {
            let cause = res.response().error().map(|e| e.to_string()).unwrap_or_else(|| status.to_string());
            tracing::error!(error = %cause, status = status.as_u16(), "request failed");
            AppError::Internal(anyhow::anyhow!("{cause}"))
        }
    }
}

/// The page for an error with this status.
fn page(error: &AppError, status: StatusCode) -> actix_web::HttpResponse<BoxBody> {
    let (title, message) = error.title_and_message();
    let page = ErrorPage { l: Layout::plain(), status: status.as_u16(), title, message };
    let body = page.render().unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
    let mut response = actix_web::HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")));
    if let AppError::TooManyRequests(wait) = error {
        response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
    }
    response.body(body)
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
        None => page(&foreign(&res), status),
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}
