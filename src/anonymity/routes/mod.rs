//! Handlers of anonymous purchase: the buyer's pages under `/anon` (no login), the seller's
//! `/sell/anon`, the carrier's "delivered" form (the parcels are listed on `/carrier/shipments`),
//! the counter's `/pickup`, and the admins' pickup points and prepaid cards.

mod admin;
mod buyer;
mod staff;

use actix_web::web;

use super::service::Terms;
use crate::web::attempts::AttemptLimiter;
use crate::web::attempts::client_of as client;

pub fn configure(cfg: &mut web::ServiceConfig) {
    buyer::configure(cfg);
    staff::configure(cfg);
    admin::configure(cfg);
}

type TermsData = web::Data<Terms>;
type Limiter = web::Data<AttemptLimiter>;

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

/// The path as the request log writes it: a private order link without its secret.
pub fn redacted_path(path: &str) -> String {
    match path.strip_prefix("/anon/orders/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, action)) => format!("/anon/orders/…/{action}"),
            None => "/anon/orders/…".to_owned(),
        },
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn the_log_never_shows_a_private_links_secret() {
        assert_eq!(redacted_path("/anon/orders/0123456789abcdef"), "/anon/orders/…");
        assert_eq!(redacted_path("/anon/orders/0123456789abcdef/pay"), "/anon/orders/…/pay");
        assert_eq!(redacted_path("/anon/results/abc"), "/anon/results/abc");
        assert_eq!(redacted_path("/catalog"), "/catalog");
    }
}
