//! Each role's start page.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::auth::{Authorized, RoleGuard, roles};
use super::layout::{Layout, Page};
use super::nav::{Navigation, Panel, Section};
use super::{State, render};
use crate::error::AppError;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    l: Layout,
    role: &'static str,
    about: &'static str,
    panels: Vec<Panel>,
    sections: Vec<Section>,
}

/// A role's start page: what the role is for, the figures the modules show there, and the
/// sections they declare for it.
async fn dashboard<R: RoleGuard>(
    guard: Authorized<R>,
    state: State,
    page: Page,
    nav: web::Data<Navigation>,
) -> Result<HttpResponse, AppError> {
    let (navigation, user) = (nav.clone(), guard.user.clone());
    let panels = state.db.read(move |c| navigation.panels(c, R::ROLE, &user)).await?;
    let sections = nav.of(R::ROLE);
    render(&Dashboard { l: page.l, role: R::ROLE.label(), about: R::ROLE.about(), panels, sections })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell", web::get().to(dashboard::<roles::Salesperson>))
        .route("/maker", web::get().to(dashboard::<roles::Maker>))
        .route("/clerk", web::get().to(dashboard::<roles::Clerk>))
        .route("/carrier", web::get().to(dashboard::<roles::Carrier>))
        .route("/pickup", web::get().to(dashboard::<roles::Pickup>))
        .route("/admin", web::get().to(dashboard::<roles::Admin>));
}
