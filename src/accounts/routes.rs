//! Handlers of the accounts pages: thin; rules and storage are in the service.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::identify::{CurrentUser, LoginHooks};
use super::model::{PersonalData, Role, UserId};
use super::reset::AccountMail;
use super::rules;
use super::service::{AccountError, Accounts, Registration};
use super::views::*;
use crate::error::AppError;
use crate::web::auth::{self, Authorized, SignedIn, roles};
use crate::web::forms::{FieldErrors, ending};
use crate::web::layout::FormPage;
use crate::web::nav::{Navigation, Section};
use crate::web::pager::PageNumber;
use crate::web::{State, flash, render, render_status, safe_next, see_other};

type AccountsData = web::Data<Accounts>;

/// Logs the session in as `id` and lets the other modules react (the visitor's cart comes along).
async fn start_session(session: &Session, hooks: Option<&web::Data<LoginHooks>>, id: &UserId) -> Result<(), AppError> {
    auth::log_in(session, id)?;
    match hooks {
        Some(hooks) => hooks.run(session, id).await,
        None => Ok(()),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register_form))
        .route("/register", web::post().to(register))
        .route("/register/confirm/{token}", web::get().to(confirm_form))
        .route("/register/confirm/{token}", web::post().to(confirm))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/account", web::get().to(account))
        .route("/account", web::post().to(update_account))
        .route("/account/password", web::get().to(password_form))
        .route("/account/password", web::post().to(change_password))
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset/{token}", web::get().to(reset_form))
        .route("/password/reset/{token}", web::post().to(reset))
        .route("/admin/users", web::get().to(admin_users))
        .route("/admin/users/{id}", web::get().to(admin_user))
        .route("/admin/users/{id}/roles", web::post().to(grant_role))
        .route("/admin/users/{id}/roles/{role}/revoke", web::post().to(revoke_role))
        .route("/admin/users/{id}/suspend", web::post().to(suspend))
        .route("/admin/users/{id}/reinstate", web::post().to(reinstate));
}

impl From<PersonalFields> for PersonalData {
    fn from(p: PersonalFields) -> Self {
        PersonalData { full_name: p.full_name, postal_address: p.postal_address, phone: p.phone }
    }
}

impl From<&PersonalData> for PersonalFields {
    fn from(p: &PersonalData) -> Self {
        PersonalFields {
            full_name: p.full_name.clone(),
            postal_address: p.postal_address.clone(),
            phone: p.phone.clone(),
        }
    }
}

// ---- registration ----

#[derive(serde::Deserialize)]
struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    #[serde(flatten)]
    personal: PersonalFields,
    #[serde(default)]
    next: String,
}

async fn register_form(page: FormPage, query: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    if page.user.is_some() {
        return Ok(see_other("/account"));
    }
    let next = safe_next(&query.next).unwrap_or("").to_owned();
    let p = PersonalFields::default();
    render(&RegisterPage { l: page.l, email: String::new(), p, errors: FieldErrors::new(), next })
}

/// The registration form: whatever the address, the answer is "we sent you a link" (see
/// `signup`); mistakes in the form come back next to their fields.
async fn register(
    accounts: AccountsData,
    mail: web::Data<AccountMail>,
    req: HttpRequest,
    page: FormPage,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let registration = Registration {
        email: form.email.clone(),
        password: form.password,
        password_again: form.password_again,
        personal: form.personal.clone().into(),
    };
    let next = safe_next(&form.next).unwrap_or("").to_owned();
    let client = crate::web::attempts::client_of(&req);
    let asked = match accounts.register(registration, &next, client, mail.get_ref().clone()).await {
        Err(AccountError::Throttled(wait)) => {
            Err(AccountError::Invalid(FieldErrors::with("email", crate::error::wait_message(wait))))
        }
        other => other,
    };
    let sent = RegisterSentPage { l: page.l.clone(), email: rules::normalize_email(&form.email) };
    ending(
        asked,
        async |()| render(&sent),
        async |no| {
            let next = safe_next(&form.next).unwrap_or("").to_owned();
            let status = no.status();
            let page = RegisterPage { l: page.l, email: form.email, p: form.personal, errors: no.errors, next };
            render_status(status, &page)
        },
    )
    .await
}

/// The page a confirmation link opens: a button finishes the registration (a GET changes nothing,
/// and mail scanners that fetch links do not make accounts).
async fn confirm_form(
    accounts: AccountsData,
    page: FormPage,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let email = accounts.pending_registration(&token).await?;
    let status = if email.is_some() { StatusCode::OK } else { StatusCode::GONE };
    let refusal = super::SIGNUP_LINK_CLOSED.to_owned();
    render_status(status, &ConfirmPage { l: page.l, token, email, refusal })
}

async fn confirm(
    accounts: AccountsData,
    hooks: Option<web::Data<LoginHooks>>,
    session: Session,
    page: FormPage,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    match accounts.confirm_registration(&token).await {
        Ok((id, next)) => {
            start_session(&session, hooks.as_ref(), &id).await?;
            flash::ok(&session, "Welcome! Your account is ready.");
            Ok(see_other(safe_next(&next).unwrap_or("/account")))
        }
        Err(AccountError::Refused(why)) => {
            render_status(StatusCode::GONE, &ConfirmPage { l: page.l, token, email: None, refusal: why.into() })
        }
        Err(e) => Err(e.into()),
    }
}

// ---- login and logout ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
    /// Set when a reset link has just changed the password.
    changed: Option<String>,
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login_form(page: FormPage, query: web::Query<LoginQuery>) -> Result<HttpResponse, AppError> {
    let next = safe_next(&query.next).unwrap_or("").to_owned();
    if page.user.is_some() {
        return Ok(see_other(if next.is_empty() { "/" } else { &next }));
    }
    let mut l = page.l;
    if query.changed.is_some() {
        l.flashes.push(crate::web::flash::Flash {
            kind: "ok".into(),
            text: "Your password is changed. Log in with it.".into(),
        });
    }
    render(&LoginPage { l, email: String::new(), next, error: String::new() })
}

/// One message for an unknown e-mail and a wrong password: the page must not tell which.
pub const BAD_LOGIN: &str = "Wrong e-mail address or password.";

async fn login(
    accounts: AccountsData,
    hooks: Option<web::Data<LoginHooks>>,
    session: Session,
    req: HttpRequest,
    page: FormPage,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let client = crate::web::attempts::client_of(&req);
    let (status, error) = match accounts.log_in(&form.email, form.password, client).await {
        Ok(id) => {
            start_session(&session, hooks.as_ref(), &id).await?;
            if let Some(next) = safe_next(&form.next) {
                return Ok(see_other(next));
            }
            let roles = accounts.user(id).await?.map(|u| u.roles).unwrap_or_default();
            return Ok(see_other(Role::landing(&roles)));
        }
        Err(AccountError::BadCredentials) => (StatusCode::UNAUTHORIZED, BAD_LOGIN.to_owned()),
        Err(AccountError::Throttled(wait)) => (StatusCode::TOO_MANY_REQUESTS, crate::error::wait_message(wait)),
        Err(AccountError::Suspended) => {
            (StatusCode::FORBIDDEN, "This account is suspended. Please contact the shop.".to_owned())
        }
        Err(e) => return Err(e.into()),
    };
    let next = safe_next(&form.next).unwrap_or("").to_owned();
    render_status(status, &LoginPage { l: page.l, email: form.email, next, error })
}

async fn logout(session: Session) -> HttpResponse {
    auth::log_out(&session);
    // The cart stays with the account; the visitor left behind has an empty one.
    let mut to = see_other("/");
    let _ = to.add_cookie(&crate::web::layout::cart_badge(0));
    to
}

// ---- forgotten passwords ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ForgotForm {
    email: String,
}

async fn forgot_form(page: FormPage) -> Result<HttpResponse, AppError> {
    render(&ForgotPage { l: page.l, email: String::new(), errors: FieldErrors::new(), sent: false })
}

async fn forgot(
    accounts: AccountsData,
    mail: web::Data<AccountMail>,
    req: HttpRequest,
    page: FormPage,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.into_inner().email;
    let client = crate::web::attempts::client_of(&req);
    let (status, errors, sent) = match accounts.request_reset(&email, client, mail.get_ref().clone()).await {
        Ok(()) => (StatusCode::OK, FieldErrors::new(), true),
        Err(AccountError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, false),
        Err(AccountError::Throttled(wait)) => {
            let errors = FieldErrors::with("email", crate::error::wait_message(wait));
            (StatusCode::TOO_MANY_REQUESTS, errors, false)
        }
        Err(e) => return Err(e.into()),
    };
    render_status(status, &ForgotPage { l: page.l, email, errors, sent })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    new_password: String,
    new_password_again: String,
}

async fn reset_form(
    accounts: AccountsData,
    page: FormPage,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let closed = !accounts.reset_link_open(&token).await?;
    let status = if closed { StatusCode::GONE } else { StatusCode::OK };
    render_status(status, &ResetPage { l: page.l, token, errors: FieldErrors::new(), closed })
}

async fn reset(
    accounts: AccountsData,
    session: Session,
    page: FormPage,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let (token, form) = (token.into_inner(), form.into_inner());
    let page_of = |errors, closed| ResetPage { l: page.l.clone(), token: token.clone(), errors, closed };
    match accounts.reset_password_by_link(&token, form.new_password, form.new_password_again).await {
        Ok(()) => {
            // The session of whoever used the link ends with all the others; the login page
            // says what happened from its address (no session to carry a message).
            auth::log_out(&session);
            Ok(see_other("/login?changed=1"))
        }
        Err(AccountError::Invalid(errors)) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page_of(errors, false)),
        Err(AccountError::Refused(_)) => render_status(StatusCode::GONE, &page_of(FieldErrors::new(), true)),
        Err(e) => Err(e.into()),
    }
}

// ---- the user's own account ----

/// The shopper's sections of the navigation, for their account page.
fn shopper_sections(user: &super::model::User, nav: &Navigation) -> Vec<Section> {
    if user.has_role(Role::Shopper) { nav.of(Role::Shopper) } else { Vec::new() }
}

async fn account(user: CurrentUser, page: FormPage, nav: web::Data<Navigation>) -> Result<HttpResponse, AppError> {
    let p = PersonalFields::from(&user.0.personal);
    let sections = shopper_sections(&user.0, &nav);
    render(&AccountPage { l: page.l, user: user.0, p, errors: FieldErrors::new(), sections })
}

async fn update_account(
    accounts: AccountsData,
    session: Session,
    user: CurrentUser,
    page: FormPage,
    nav: web::Data<Navigation>,
    form: web::Form<PersonalFields>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    ending(
        accounts.update_personal(user.0.id.clone(), fields.clone().into()).await,
        async |()| {
            flash::ok(&session, "Your details were saved.");
            Ok(see_other("/account"))
        },
        async |no| {
            let sections = shopper_sections(&user.0, &nav);
            render_status(no.status(), &AccountPage { l: page.l, user: user.0, p: fields, errors: no.errors, sections })
        },
    )
    .await
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

async fn password_form(_user: SignedIn, page: FormPage) -> Result<HttpResponse, AppError> {
    render(&PasswordPage { l: page.l, errors: FieldErrors::new() })
}

async fn change_password(
    accounts: AccountsData,
    session: Session,
    user: CurrentUser,
    page: FormPage,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result =
        accounts.change_password(&user.0, form.current_password, form.new_password, form.new_password_again).await;
    if let Err(AccountError::Throttled(wait)) = result {
        let errors = FieldErrors::with("current_password", crate::error::wait_message(wait));
        return render_status(StatusCode::TOO_MANY_REQUESTS, &PasswordPage { l: page.l, errors });
    }
    ending(
        result,
        async |()| {
            // Every session of the user was ended; this browser continues in a fresh one.
            auth::log_in(&session, &user.0.id)?;
            flash::ok(&session, "Your password was changed. Other devices have been logged out.");
            Ok(see_other("/account"))
        },
        async |no| render_status(no.status(), &PasswordPage { l: page.l, errors: no.errors }),
    )
    .await
}

// ---- administration of users ----

const USERS_PER_PAGE: i64 = 50;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct UserSearch {
    q: String,
}

async fn admin_users(
    state: State,
    _admin: Authorized<roles::Admin>,
    page: FormPage,
    number: PageNumber,
    query: web::Query<UserSearch>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (needle, pager) = (query.q.clone(), number.of(USERS_PER_PAGE));
    let users = state.db.read(move |c| super::service::search(c, &needle, pager)).await?.found()?;
    render(&AdminUsersPage { l: page.l, q: query.q, users })
}

fn user_id(raw: &str) -> Result<UserId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn admin_user(
    state: State,
    admin: Authorized<roles::Admin>,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = user_id(&path)?;
    let is_self = admin.user.id == id;
    let record = state.db.read(move |c| super::service::record(c, &id)).await?;
    render(&AdminUserPage { l: page.l, record, is_self })
}

#[derive(serde::Deserialize)]
struct GrantForm {
    #[serde(default)]
    role: String,
}

#[derive(serde::Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Runs an administrator's change on a user and comes back to the user's page with the outcome.
async fn admin_change<F>(
    state: State,
    session: Session,
    id: UserId,
    done: &str,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection, &UserId) -> Result<(), AccountError> + Send + 'static,
{
    let back = format!("/admin/users/{id}");
    match state.db.write(move |c| change(c, &id)).await {
        Ok(()) => flash::ok(&session, done),
        Err(AccountError::Refused(why)) => flash::error(&session, why),
        Err(AccountError::Invalid(errors)) => flash::error(&session, errors.get("reason")),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&back))
}

async fn grant_role(
    state: State,
    session: Session,
    admin: Authorized<roles::Admin>,
    path: web::Path<String>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, AppError> {
    let id = user_id(&path)?;
    let Some(role) = Role::parse(&form.role) else {
        return Err(AppError::BadRequest("Choose one of the listed roles.".into()));
    };
    let actor = admin.user.id.clone();
    let done = format!("Role {} granted.", role.label());
    admin_change(state, session, id, &done, move |c, id| {
        super::service::grant_role(c, Some(&actor), id, role).map(|_| ())
    })
    .await
}

async fn revoke_role(
    state: State,
    session: Session,
    admin: Authorized<roles::Admin>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, role) = path.into_inner();
    let id = user_id(&id)?;
    let role = Role::parse(&role).ok_or(AppError::NotFound)?;
    let actor = admin.user.id.clone();
    let done = format!("Role {} revoked.", role.label());
    admin_change(state, session, id, &done, move |c, id| super::service::revoke_role(c, &actor, id, role).map(|_| ()))
        .await
}

async fn suspend(
    state: State,
    session: Session,
    admin: Authorized<roles::Admin>,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let (id, actor, why) = (user_id(&path)?, admin.user.id.clone(), form.into_inner().reason);
    admin_change(state, session, id, "Account suspended; its sessions have ended.", move |c, id| {
        super::service::suspend(c, &actor, id, &why)
    })
    .await
}

async fn reinstate(
    state: State,
    session: Session,
    admin: Authorized<roles::Admin>,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let (id, actor, why) = (user_id(&path)?, admin.user.id.clone(), form.into_inner().reason);
    admin_change(state, session, id, "Account reinstated.", move |c, id| super::service::reinstate(c, &actor, id, &why))
        .await
}
