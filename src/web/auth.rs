//! Role guards as extractors over the request's identity. A handler that takes
//! `Authorized<roles::Admin>` cannot run for anyone but an administrator, so no handler can forget
//! its check.

use std::marker::PhantomData;
use std::sync::Arc;

use actix_session::Session;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};

use super::csrf;
use super::identity::{self, Identity, Role, USER_KEY, UserId};
use crate::error::AppError;

/// Starts a logged-in session: a new session ID (so a session fixed before login is worthless)
/// and a new CSRF token.
pub fn log_in(session: &Session, id: &UserId) -> Result<(), AppError> {
    session.renew();
    session.insert(USER_KEY, id)?;
    csrf::rotate(session)?;
    Ok(())
}

/// Ends the session here and in the database.
pub fn log_out(session: &Session) {
    session.purge();
}

fn login_required(req: &HttpRequest) -> AppError {
    let next = match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
        _ => req.path().to_owned(),
    };
    AppError::LoginRequired(next)
}

/// Any logged-in user.
pub struct SignedIn(pub Arc<Identity>);

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(identity::of(req).map(SignedIn).ok_or_else(|| login_required(req)))
    }
}

/// A role a guard demands.
pub trait RoleGuard {
    const ROLE: Role;
}

/// Marker types for `Authorized<R>`.
pub mod roles {
    use super::{Role, RoleGuard};

    macro_rules! guard {
        ($($name:ident => $role:expr),* $(,)?) => {$(
            pub struct $name;
            impl RoleGuard for $name {
                const ROLE: Role = $role;
            }
        )*};
    }

    guard! {
        Shopper => Role::Shopper,
        Salesperson => Role::Salesperson,
        Maker => Role::Maker,
        Clerk => Role::Clerk,
        Carrier => Role::Carrier,
        Pickup => Role::Pickup,
        Admin => Role::Admin,
    }
}

/// A logged-in user holding role `R`: not logged in goes to the login page, logged in without
/// the role gets 403.
pub struct Authorized<R: RoleGuard> {
    pub user: Arc<Identity>,
    role: PhantomData<R>,
}

impl<R: RoleGuard> FromRequest for Authorized<R> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match identity::of(req) {
            None => Err(login_required(req)),
            Some(user) if !user.has_role(R::ROLE) => Err(AppError::Forbidden),
            Some(user) => Ok(Authorized { user, role: PhantomData }),
        };
        ready(result)
    }
}
