//! The admin's outbox pages: what was sent, what waits, what failed and why; send again.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::model::*;
use super::service as notify;
use super::views::*;
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::layout::Page;
use crate::web::pager::PageNumber;
use crate::web::{State, flash, render, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/outbox", web::get().to(outbox))
        .route("/admin/outbox/{id}", web::get().to(mail))
        .route("/admin/outbox/{id}/retry", web::post().to(retry));
}

#[derive(serde::Deserialize)]
struct OutboxQuery {
    #[serde(default)]
    state: String,
}

async fn outbox(
    state: State,
    _admin: Authorized<roles::Admin>,
    page: Page,
    number: PageNumber,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = match query.state.as_str() {
        "" => None,
        s => {
            Some(MailState::parse(s).ok_or_else(|| AppError::BadRequest("There is no such state of e-mails.".into()))?)
        }
    };
    let pager = number.of(notify::OUTBOX_PAGE);
    let (mails, counts) = state.db.read(move |c| notify::outbox(c, filter, pager)).await?;
    render(&OutboxPage { l: page.l, mails: mails.found()?, counts, state: query.state.clone() })
}

async fn mail(
    state: State,
    _admin: Authorized<roles::Admin>,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: MailId = id.into_inner().parse().map_err(|_| AppError::NotFound)?;
    let mail = state.db.read(move |c| notify::mail(c, &id)).await?.ok_or(AppError::NotFound)?;
    render(&MailPage { l: page.l, mail })
}

async fn retry(
    state: State,
    _admin: Authorized<roles::Admin>,
    session: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: MailId = id.into_inner().parse().map_err(|_| AppError::NotFound)?;
    let again = id.clone();
    if !state.db.write(move |c| notify::retry_now(c, &again, crate::db::now())).await? {
        return Err(AppError::BadRequest("This e-mail was sent already, or does not exist.".into()));
    }
    flash::ok(&session, "The e-mail goes out with the worker's next round.");
    Ok(see_other(&format!("/admin/outbox/{id}")))
}
