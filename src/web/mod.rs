//! The web frame shared by all modules: the layout and its navigation, the identity a request
//! carries and the role guards over it, CSRF protection, forms, flash messages, idempotency keys,
//! error pages, static files and the operational endpoints. It knows no module: modules build on it.

pub mod assets;
pub mod attempts;
pub mod auth;
pub mod chart;
pub mod csrf;
pub mod errors;
pub mod flash;
pub mod forms;
pub mod idempotency;
pub mod identity;
pub mod layout;
pub mod nav;
pub mod ops;
pub mod pager;
pub mod pages;
pub mod text;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;

/// What every handler can reach, as `web::Data<AppState>`. A module's own shared state (the
/// accounts service, the catalog's facts in memory) is app data of its own type.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
}

pub type State = web::Data<AppState>;

/// How long a claimed idempotency key is remembered: a form older than this is long out of date.
const CLAIMS_KEPT: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// The frame's periodic work: forgetting old attempt counters (and idle client addresses) and old
/// claims of idempotency keys.
pub fn jobs(limiter: Arc<attempts::AttemptLimiter>) -> Vec<crate::db::jobs::Job> {
    use crate::db::jobs::Job;
    let every = std::time::Duration::from_secs(300);
    vec![
        Job::write("forget old attempt counters", every, move |c| {
            limiter.forget_idle_addresses();
            limiter.forget_old(c, crate::db::now()).map_err(crate::db::DbError::from)
        }),
        Job::write("forget old idempotency keys", every, |c| {
            let before = crate::db::now() - chrono::Duration::from_std(CLAIMS_KEPT).unwrap_or_default();
            idempotency::forget_before(c, before).map_err(crate::db::DbError::from)
        }),
    ]
}

/// The largest form the shop accepts; enough for any of its forms, small enough to refuse junk.
pub const FORM_LIMIT: usize = 64 * 1024;

/// A time as pages and e-mails show it (UTC).
pub fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Renders a page with status 200.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, page)
}

/// Renders a page with a status: 422 for a form that comes back with messages, for instance.
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .body(body))
}

/// After a successful POST: go to a page with GET (so a reload does not send the form again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// Only paths on this site are followed after login, so `?next=` cannot send people elsewhere.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.chars().any(char::is_control);
    ok.then_some(next)
}

/// Extractor configuration: bad paths are 404s, bad queries and forms 400s, all as pages.
pub fn configure_extractors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT).error_handler(|err, _| {
        AppError::BadRequest(format!("The form could not be read: {}", form_error_text(&err))).into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|_, _| {
        AppError::BadRequest("The address has parameters the shop does not understand.".into()).into()
    }))
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
    .app_data(web::PayloadConfig::default().limit(FORM_LIMIT));
}

fn form_error_text(err: &actix_web::error::UrlencodedError) -> &'static str {
    use actix_web::error::UrlencodedError as E;
    match err {
        E::Overflow { .. } | E::UnknownLength => "it is too large.",
        E::ContentType => "it was not sent as a form.",
        _ => "a field is missing or malformed.",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/account"), Some("/account"));
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "account", "/a\nb"] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}
