//! Who a request comes from: the identity it carries (user ID, display name, roles) and the roles
//! a user may hold. `accounts` fills the identity in from the session (its middleware); the frame's
//! guards and layout read it, and know nothing else of accounts.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest};

crate::db::id_type!(
    /// A registered person. Every module names people by this ID; their personal data stays in
    /// `accounts`.
    UserId
);

/// The session-state key that holds the logged-in user's ID.
pub const USER_KEY: &str = "uid";

crate::db::text_enum! {
    /// What a user may do. A user holds one or more roles; every page checks its role on the server.
    pub enum Role {
        Shopper = "shopper",
        Salesperson = "salesperson",
        Maker = "maker",
        Clerk = "clerk",
        Carrier = "carrier",
        Pickup = "pickup",
        Admin = "admin",
    }
}

impl Role {
    /// How people call it on the pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Shopper => "Shopper",
            Role::Salesperson => "Salesperson",
            Role::Maker => "Maker",
            Role::Clerk => "Clerk",
            Role::Carrier => "Carrier",
            Role::Pickup => "Pickup counter",
            Role::Admin => "Administrator",
        }
    }

    /// Where the role's pages start, and the navigation label for it.
    pub fn home(self) -> (&'static str, &'static str) {
        match self {
            Role::Shopper => ("/account", "My account"),
            Role::Salesperson => ("/sell", "Sell"),
            Role::Maker => ("/maker", "Maker"),
            Role::Clerk => ("/clerk", "Clerk desk"),
            Role::Carrier => ("/carrier", "Shipments"),
            Role::Pickup => ("/pickup", "Pickup counter"),
            Role::Admin => ("/admin", "Admin"),
        }
    }

    /// Where someone with these roles lands after logging in without a page to return to: staff
    /// on the dashboard of their first staff role, shoppers on the shop's front page.
    pub fn landing(roles: &[Role]) -> &'static str {
        Role::ALL.iter().find(|r| **r != Role::Shopper && roles.contains(r)).map_or("/", |r| r.home().0)
    }

    /// What the role is for, as its start page says.
    pub fn about(self) -> &'static str {
        match self {
            Role::Shopper => "Buy goods, follow your orders, trade in used goods and collect points.",
            Role::Salesperson => "Run your offers and the orders placed with your selling office.",
            Role::Maker => "Approve orders of your goods where your company requires approval.",
            Role::Clerk => "Receive, inspect and pay for traded-in goods; record returned cartridges.",
            Role::Carrier => "See the shipments handed to you and report their delivery.",
            Role::Pickup => "Hand over parcels for anonymous orders against order ID and pickup PIN.",
            Role::Admin => "Operate the shop: people and their roles, and the shop's settings.",
        }
    }
}

/// The logged-in user as a request carries them: no personal data beyond the name shown in the
/// page header.
#[derive(Clone, Debug)]
pub struct Identity {
    pub id: UserId,
    pub name: String,
    pub roles: Vec<Role>,
}

impl Identity {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Puts the identity into the request (the accounts middleware does this once per request).
pub fn set(req: &impl HttpMessage, identity: Identity) {
    req.extensions_mut().insert(Arc::new(identity));
}

/// The identity of the logged-in user, if any.
pub fn of(req: &HttpRequest) -> Option<Arc<Identity>> {
    req.extensions().get::<Arc<Identity>>().cloned()
}
