//! The home page and each role's start page.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::auth::{Authorized, RoleGuard, roles};
use super::identity::Role;
use super::layout::{Layout, Page};
use super::render;
use crate::error::AppError;

/// A section of a role's pages: where it is and what it is for.
pub struct Section {
    pub href: &'static str,
    pub title: &'static str,
    pub about: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    l: Layout,
    role: &'static str,
    about: &'static str,
    sections: Vec<Section>,
}

/// What each role is for (as DESIGN.md's table of roles says) and the sections it reaches.
fn role_page(role: Role) -> (&'static str, Vec<Section>) {
    match role {
        Role::Shopper => (
            "Buy goods, follow your orders, trade in used goods and collect points.",
            vec![
                Section { href: "/cart", title: "Cart", about: "What you are about to order." },
                Section { href: "/orders", title: "Orders", about: "Your orders, their state and their timeline." },
                Section {
                    href: "/echeck",
                    title: "E-check credit",
                    about: "Your balance, credit line and held amounts.",
                },
            ],
        ),
        Role::Salesperson => (
            "Run your offers and the orders placed with your selling office.",
            vec![
                Section {
                    href: "/sell/orders",
                    title: "Orders",
                    about: "Confirm prices, ship with a carrier, cancel with a reason.",
                },
                Section {
                    href: "/sell/offers",
                    title: "Offers",
                    about: "Put products in the catalog; change prices and stock; withdraw.",
                },
                Section {
                    href: "/sell/prices",
                    title: "Customer prices",
                    about: "Prices agreed with single customers.",
                },
                Section {
                    href: "/sell/payments",
                    title: "Payments",
                    about: "E-checks made out to your office: check them, demand payment after shipping, void.",
                },
            ],
        ),
        Role::Maker => (
            "Approve orders of your goods where your company requires approval.",
            vec![Section {
                href: "/maker/approvals",
                title: "Approvals",
                about: "Orders of your goods waiting for your approval.",
            }],
        ),
        Role::Clerk => ("Receive, inspect and pay for traded-in goods; record returned cartridges.", vec![]),
        Role::Carrier => (
            "See the shipments handed to you and report their delivery.",
            vec![Section {
                href: "/carrier/shipments",
                title: "Shipments",
                about: "Where to deliver what; report deliveries and cash collected.",
            }],
        ),
        Role::Pickup => ("Hand over parcels for anonymous orders against order ID and pickup PIN.", vec![]),
        Role::Admin => (
            "Operate the shop: people and their roles, and the shop's settings.",
            vec![
                Section {
                    href: "/admin/users",
                    title: "Users",
                    about: "Find users, grant and revoke roles, suspend accounts.",
                },
                Section {
                    href: "/admin/makers",
                    title: "Makers",
                    about: "Which makers approve orders of their goods, and who acts for them.",
                },
                Section {
                    href: "/admin/outbox",
                    title: "Outbox",
                    about: "E-mails sent, waiting and failed, with the reason.",
                },
                Section {
                    href: "/admin/echeck",
                    title: "E-check site",
                    about: "The books and their invariants, credit lines, deposits and withdrawals, the ledger.",
                },
                Section {
                    href: "/admin/echeck/offices",
                    title: "Selling offices",
                    about: "Register, edit and suspend selling offices; their staff.",
                },
                Section {
                    href: "/admin/echeck/carriers",
                    title: "Carriers",
                    about: "Register, edit and suspend distributing companies; their staff.",
                },
            ],
        ),
    }
}

async fn dashboard<R: RoleGuard>(_guard: Authorized<R>, page: Page) -> Result<HttpResponse, AppError> {
    let (about, sections) = role_page(R::ROLE);
    render(&Dashboard { l: page.l, role: R::ROLE.label(), about, sections })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell", web::get().to(dashboard::<roles::Salesperson>))
        .route("/maker", web::get().to(dashboard::<roles::Maker>))
        .route("/clerk", web::get().to(dashboard::<roles::Clerk>))
        .route("/carrier", web::get().to(dashboard::<roles::Carrier>))
        .route("/pickup", web::get().to(dashboard::<roles::Pickup>))
        .route("/admin", web::get().to(dashboard::<roles::Admin>));
}
