//! Handlers of buy-back: the center's application page `/buyback` (logged in or not) with the
//! estimate and the private status link, the clerk's `/clerk/buyback`, the salespeople's
//! `/sell/buyback` and the admins' `/admin/buyback`.

use actix_web::web;

mod applicant;
mod desk;
mod manage;

use crate::web::attempts::AttemptLimiter;
use crate::web::attempts::client_of as client;
use crate::web::auth::{Authorized, roles};

pub fn configure(cfg: &mut web::ServiceConfig) {
    applicant::configure(cfg);
    desk::configure(cfg);
    manage::configure(cfg);
}

type Clerk = Authorized<roles::Clerk>;
type Seller = Authorized<roles::Salesperson>;
type Admin = Authorized<roles::Admin>;
type Limiter = web::Data<AttemptLimiter>;

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

/// The path as the request log writes it: a status link without its secret.
pub fn redacted_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/buyback/status/")?;
    Some(match rest.split_once('/') {
        Some((_, action)) => format!("/buyback/status/…/{action}"),
        None => "/buyback/status/…".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn the_log_never_shows_a_status_links_secret() {
        assert_eq!(redacted_path("/buyback/status/0123456789abcdef").as_deref(), Some("/buyback/status/…"));
        assert_eq!(redacted_path("/buyback/status/0123/accept").as_deref(), Some("/buyback/status/…/accept"));
        assert_eq!(redacted_path("/buyback"), None);
    }
}
