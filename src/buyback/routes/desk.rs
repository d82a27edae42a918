//! The clerk's desk: the center's applications, receive, grade and offer, reject, pay.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::super::model::*;
use super::super::service::{self as bb, BuybackError, GradeForm};
use super::super::views::*;
use super::{Clerk, now};
use crate::error::AppError;
use crate::web::forms::{Rejection, ending};
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clerk/buyback", web::get().to(desk))
        .route("/clerk/buyback/{number}", web::get().to(desk_application))
        .route("/clerk/buyback/{number}/{action}", web::post().to(desk_action));
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FindQuery {
    number: String,
}

async fn desk(state: State, clerk: Clerk, page: FormPage, q: web::Query<FindQuery>) -> Result<HttpResponse, AppError> {
    let find = q.into_inner().number.trim().to_uppercase();
    if !find.is_empty() {
        return Ok(see_other(&format!("/clerk/buyback/{find}")));
    }
    let id = clerk.user.id.clone();
    let found = state
        .db
        .read(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let open = bb::center_applications(
                c,
                &center.id,
                &[AppState::Applied, AppState::Received, AppState::Offered, AppState::Accepted],
            )?;
            let ended = bb::center_applications(
                c,
                &center.id,
                &[AppState::Paid, AppState::Rejected, AppState::Returned, AppState::Withdrawn],
            )?;
            Ok::<_, BuybackError>((center, open, ended))
        })
        .await;
    let (center, open, ended) = match found {
        Ok(found) => found,
        Err(BuybackError::Refused(r)) => return Err(AppError::BadRequest(r.to_string())),
        Err(e) => return Err(e.into()),
    };
    let currency = state.config.currency.clone();
    render(&DeskPage { l: page.l, center, open, ended, find, refusal: None, currency })
}

async fn desk_view(
    state: &State,
    clerk: &Clerk,
    l: Layout,
    number: String,
    grade: GradeForm,
    reject_reason: String,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let id = clerk.user.id.clone();
    let (center, app, events, balance) = state
        .db
        .read(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let (app, events) = bb::desk_application(c, &center.id, &number)?;
            let balance = bb::center_account(c, &center.id, now())?.balance;
            Ok::<_, BuybackError>((center, app, events, balance))
        })
        .await?;
    let currency = state.config.currency.clone();
    let page = DeskApplicationPage {
        l,
        center,
        app,
        events,
        grade,
        reject_reason,
        errors: no.errors.clone(),
        refusal: no.refusal.clone(),
        currency,
        balance,
    };
    render_status(no.status(), &page)
}

async fn desk_application(
    state: State,
    clerk: Clerk,
    page: FormPage,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    desk_view(&state, &clerk, page.l, number.into_inner(), GradeForm::default(), String::new(), Rejection::default())
        .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DeskForm {
    grade: String,
    price: String,
    reason: String,
    /// Why an application is rejected.
    why: String,
}

async fn desk_action(
    state: State,
    session: Session,
    clerk: Clerk,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<DeskForm>,
) -> Result<HttpResponse, AppError> {
    let (number, action) = path.into_inner();
    let form = form.into_inner();
    let grade = GradeForm { grade: form.grade.clone(), price: form.price.clone(), reason: form.reason.clone() };
    let (id, n, g, reason, currency) =
        (clerk.user.id.clone(), number.clone(), grade.clone(), form.why.clone(), state.config.currency.clone());
    let done = state
        .db
        .write(move |c| {
            let center = bb::clerk_center(c, &id)?;
            let at = now();
            match action.as_str() {
                "receive" => bb::receive(c, &id, &center.id, &n, at).map(|_| "Item received.".to_owned()),
                "offer" => bb::grade_and_offer(c, &id, &center.id, &n, &g, &currency, at).map(|a| match a.state {
                    AppState::Offered => "Offer made: it waits for the applicant's answer.".to_owned(),
                    _ => "Price agreed: pay when ready.".to_owned(),
                }),
                "reject" => bb::reject(c, &id, &center.id, &n, &reason, at).map(|_| "Application rejected.".to_owned()),
                "pay" => bb::pay(c, &id, &center.id, &n, &currency, at).map(|a| format!("Paid ({}).", a.number)),
                _ => Err(BuybackError::NotFound),
            }
        })
        .await;
    let back = format!("/clerk/buyback/{number}");
    ending(
        done,
        async |message| {
            flash::ok(&session, &message);
            Ok(see_other(&back))
        },
        async |no| desk_view(&state, &clerk, page.l, number, grade, form.why.clone(), no).await,
    )
    .await
}
