//! Who a request comes from: a middleware reads the session's user ID, loads the user once, and
//! gives the frame its `Identity` (and this module's handlers the whole `User`). Other modules
//! react to a login through hooks that `lib.rs` registers; accounts never names them.

use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{LocalBoxFuture, Ready, ready};

use super::model::{User, UserId};
use super::service::Accounts;
use crate::error::AppError;
use crate::web::identity::{self, Identity, USER_KEY};

/// The middleware: a logged-in, not suspended user becomes the request's identity. A session of a
/// suspended or deleted user is ended.
pub async fn identify(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(e) = load(&req).await {
        return Ok(req.error_response(e).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

async fn load(req: &ServiceRequest) -> Result<(), AppError> {
    let session = req.get_session();
    let Some(id) = session.get::<UserId>(USER_KEY).ok().flatten() else { return Ok(()) };
    let accounts = req
        .app_data::<web::Data<Accounts>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the accounts service is not registered")))?;
    match accounts.user(id).await? {
        Some(user) if !user.is_suspended() => {
            identity::set(
                req,
                Identity { id: user.id.clone(), name: user.personal.full_name.clone(), roles: user.roles.clone() },
            );
            req.extensions_mut().insert(Arc::new(user));
        }
        _ => session.purge(),
    }
    Ok(())
}

/// The logged-in user with their personal data, for the pages of their own account.
pub struct CurrentUser(pub Arc<User>);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if let Some(user) = req.extensions().get::<Arc<User>>().cloned() {
            return ready(Ok(CurrentUser(user)));
        }
        // Not logged in: the frame's extractor says where to go.
        let refused = match crate::web::auth::SignedIn::from_request(req, payload).into_inner() {
            Err(e) => e,
            Ok(_) => AppError::Internal(anyhow::anyhow!("an identity without its user")),
        };
        ready(Err(refused))
    }
}

/// What another module does when someone logs in or registers (the visitor's cart joins the
/// shopper's). It runs after the session was renewed for the user.
pub type AfterLogin = Arc<dyn Fn(&Session, &UserId) -> LocalBoxFuture<'static, Result<(), AppError>> + Send + Sync>;

/// The hooks `lib.rs` registers, as app data.
#[derive(Clone, Default)]
pub struct LoginHooks(Vec<AfterLogin>);

impl LoginHooks {
    pub fn with(mut self, hook: AfterLogin) -> Self {
        self.0.push(hook);
        self
    }

    pub(super) async fn run(&self, session: &Session, user: &UserId) -> Result<(), AppError> {
        for hook in &self.0 {
            hook(session, user).await?;
        }
        Ok(())
    }
}
