//! What every page's layout needs: who is logged in, the navigation their roles reach, the CSRF
//! token for its forms, and the flash messages. Handlers take `Page` (or `FormPage` when the page
//! holds a form) and hand its `Layout` to the template.

use std::sync::Arc;

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::{Ready, ready};

use super::identity::{self, Identity, Role};
use super::{assets, csrf, flash::Flash};
use crate::error::AppError;

/// The logged-in user as the navigation shows them.
#[derive(Clone, Debug)]
pub struct NavUser {
    pub name: String,
    pub links: Vec<(&'static str, &'static str)>,
    /// Shoppers have a cart; other roles cannot buy.
    pub buys: bool,
}

#[derive(Clone, Debug)]
pub struct Layout {
    pub user: Option<NavUser>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub css: &'static str,
    pub js: &'static str,
    /// Items in the cart as the header's badge shows them (see `CART_BADGE`).
    pub cart_items: u32,
    /// This page's address, for "Log in" to come back to.
    pub here: String,
}

/// The cookie that carries the cart's item count to the header. The cart module sets it whenever it
/// knows the count (viewing, adding, changing, checking out); it is a display hint, never read as
/// the cart, so the header costs no database query and no session write.
pub const CART_BADGE: &str = "cart_items";

/// The badge cookie for a cart of `items` items (removed when the cart is empty).
pub fn cart_badge(items: u32) -> actix_web::cookie::Cookie<'static> {
    let mut cookie = actix_web::cookie::Cookie::build(CART_BADGE, items.to_string())
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    if items == 0 {
        cookie.make_removal();
    }
    cookie
}

impl Layout {
    /// Whether the navigation offers the cart: to visitors and shoppers.
    pub fn shows_cart(&self) -> bool {
        self.user.as_ref().is_none_or(|u| u.buys)
    }

    /// The layout without a user: error pages, which may be rendered before anyone is known.
    pub fn plain() -> Layout {
        Layout {
            user: None,
            csrf: String::new(),
            flashes: Vec::new(),
            css: assets::css_path(),
            js: assets::js_path(),
            cart_items: 0,
            here: String::new(),
        }
    }

    /// The "Log in" link's address, bringing the user back here afterwards.
    pub fn login_href(&self) -> String {
        self.coming_back("/login")
    }

    /// The "Register" link's address, bringing the new user back here afterwards.
    pub fn register_href(&self) -> String {
        self.coming_back("/register")
    }

    fn coming_back(&self, to: &str) -> String {
        let here = self.here.as_str();
        let pointless = ["/login", "/register", "/password", "/logout"].iter().any(|p| here.starts_with(p));
        if here.is_empty() || here == "/" || pointless {
            return to.to_owned();
        }
        format!("{to}?next={}", url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>())
    }

    fn of(user: Option<&Identity>, csrf: String, flashes: Vec<Flash>) -> Layout {
        let user = user.map(|u| NavUser {
            name: u.name.clone(),
            links: Role::ALL.iter().copied().filter(|r| u.has_role(*r)).map(Role::home).collect(),
            buys: u.has_role(Role::Shopper),
        });
        Layout { user, csrf, flashes, ..Layout::plain() }
    }
}

/// The layout of an ordinary page, and the user if one is logged in.
pub struct Page {
    pub l: Layout,
    pub user: Option<Arc<Identity>>,
}

/// Like `Page`, but makes sure the session holds a CSRF token for the page's form. (Pages
/// without a form do not create a session for visitors who are not logged in.)
pub struct FormPage {
    pub l: Layout,
    pub user: Option<Arc<Identity>>,
}

fn build(req: &HttpRequest, with_form: bool) -> Result<(Layout, Option<Arc<Identity>>), AppError> {
    let user = identity::of(req);
    let session = req.get_session();
    // A visitor's session is made only by a page with a form; a page without one shows forms
    // (add to cart) only to visitors who have a session already, others get a link to a form.
    let token = if with_form || user.is_some() { csrf::token(&session)? } else { csrf::existing(&session) };
    let flashes = super::flash::take(&session);
    let mut layout = Layout::of(user.as_deref(), token, flashes);
    layout.cart_items = req.cookie(CART_BADGE).and_then(|c| c.value().parse().ok()).unwrap_or(0);
    if req.method() == actix_web::http::Method::GET {
        let uri = req.uri();
        layout.here = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    }
    Ok((layout, user))
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(build(req, false).map(|(l, user)| Page { l, user }))
    }
}

impl FromRequest for FormPage {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(build(req, true).map(|(l, user)| FormPage { l, user }))
    }
}
