//! Each role's start page.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::auth::{Authorized, RoleGuard, roles};
use super::layout::{Layout, Page};
use super::nav::{Navigation, Section};
use super::render;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    l: Layout,
    role: &'static str,
    about: &'static str,
    sections: Vec<Section>,
}

/// A role's start page: what the role is for, and the sections the modules declare for it.
async fn dashboard<R: RoleGuard>(
    _guard: Authorized<R>,
    page: Page,
    nav: web::Data<Navigation>,
) -> Result<HttpResponse, AppError> {
    render(&Dashboard { l: page.l, role: R::ROLE.label(), about: R::ROLE.about(), sections: nav.of(R::ROLE) })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell", web::get().to(dashboard::<roles::Salesperson>))
        .route("/maker", web::get().to(dashboard::<roles::Maker>))
        .route("/clerk", web::get().to(dashboard::<roles::Clerk>))
        .route("/carrier", web::get().to(dashboard::<roles::Carrier>))
        .route("/pickup", web::get().to(dashboard::<roles::Pickup>))
        .route("/admin", web::get().to(dashboard::<roles::Admin>));
}
