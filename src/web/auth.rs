//! Who is asking: the logged-in user from the session, and role guards as extractors. A handler
//! that takes `Authorized<roles::Admin>` cannot run for anyone but an administrator, so no
//! handler can forget its check.

use std::marker::PhantomData;
use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use super::{AppState, csrf};
use crate::accounts::{Role, USER_KEY, User, UserId};
use crate::error::AppError;

/// Cached in the request, so several extractors load the user once.
#[derive(Clone)]
struct Loaded(Option<Arc<User>>);

/// The logged-in user, or None. A suspended user counts as logged out.
pub async fn current_user(req: &HttpRequest) -> Result<Option<Arc<User>>, AppError> {
    if let Some(Loaded(user)) = req.extensions().get::<Loaded>().cloned() {
        return Ok(user);
    }
    let session = req.get_session();
    let id: Option<UserId> = session.get(USER_KEY).ok().flatten();
    let user = match id {
        None => None,
        Some(id) => {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            match state.accounts.user(id).await? {
                Some(user) if !user.is_suspended() => Some(Arc::new(user)),
                _ => {
                    session.purge();
                    None
                }
            }
        }
    };
    req.extensions_mut().insert(Loaded(user.clone()));
    Ok(user)
}

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
pub struct CurrentUser(pub Arc<User>);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { current_user(&req).await?.map(CurrentUser).ok_or_else(|| login_required(&req)) })
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
    pub user: Arc<User>,
    role: PhantomData<R>,
}

impl<R: RoleGuard> FromRequest for Authorized<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = current_user(&req).await?.ok_or_else(|| login_required(&req))?;
            if !user.has_role(R::ROLE) {
                return Err(AppError::Forbidden);
            }
            Ok(Authorized { user, role: PhantomData })
        })
    }
}
