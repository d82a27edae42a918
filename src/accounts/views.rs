//! Templates of the accounts pages.

use askama::Template;

use super::model::User;
use super::service::UserRecord;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;
use crate::web::nav::Section;
use crate::web::pager::Paged;

/// The fields of the registration and profile forms, as typed (never the passwords).
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PersonalFields {
    pub full_name: String,
    pub postal_address: String,
    pub phone: String,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for PersonalFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalFields").finish_non_exhaustive()
    }
}

/// The answer to every registration: a link (or a note) went to the address.
#[derive(Template)]
#[template(path = "accounts/register_sent.html")]
pub struct RegisterSentPage {
    pub l: Layout,
    pub email: String,
}

/// What a confirmation link opens: the button that makes the account, or why it cannot.
#[derive(Template)]
#[template(path = "accounts/register_confirm.html")]
pub struct ConfirmPage {
    pub l: Layout,
    pub token: String,
    pub email: Option<String>,
    /// Why the link makes no account, when it does not.
    pub refusal: String,
}

#[derive(Template)]
#[template(path = "accounts/register.html")]
pub struct RegisterPage {
    pub l: Layout,
    pub email: String,
    pub p: PersonalFields,
    pub errors: FieldErrors,
    /// Where to go once registered (a path of this site), kept through the form.
    pub next: String,
}

impl RegisterPage {
    pub fn login_href(&self) -> String {
        with_next("/login", &self.next)
    }
}

impl LoginPage {
    pub fn register_href(&self) -> String {
        with_next("/register", &self.next)
    }
}

/// `path`, carrying `next` along when there is one.
fn with_next(path: &str, next: &str) -> String {
    match next {
        "" => path.to_owned(),
        next => format!("{path}?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()),
    }
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
pub struct LoginPage {
    pub l: Layout,
    pub email: String,
    pub next: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "accounts/account.html")]
pub struct AccountPage {
    pub l: Layout,
    pub user: std::sync::Arc<User>,
    pub p: PersonalFields,
    pub errors: FieldErrors,
    /// The shopper's pages, as the modules declare them.
    pub sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
pub struct PasswordPage {
    pub l: Layout,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "accounts/admin_users.html")]
pub struct AdminUsersPage {
    pub l: Layout,
    pub q: String,
    pub users: Paged<User>,
}

impl AdminUsersPage {
    /// The address of another result page, keeping the search.
    pub fn page_prefix(&self) -> String {
        let q: String = url::form_urlencoded::byte_serialize(self.q.as_bytes()).collect();
        format!("/admin/users?q={q}&page=")
    }
}

#[derive(Template)]
#[template(path = "accounts/admin_user.html")]
pub struct AdminUserPage {
    pub l: Layout,
    pub record: UserRecord,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "accounts/forgot.html")]
pub struct ForgotPage {
    pub l: Layout,
    pub email: String,
    pub errors: FieldErrors,
    /// The request went through: the page says what happens next (the same whether or not an
    /// account has the address).
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "accounts/reset.html")]
pub struct ResetPage {
    pub l: Layout,
    pub token: String,
    pub errors: FieldErrors,
    /// The link is used, expired or unknown: the page says so instead of showing the form.
    pub closed: bool,
}
