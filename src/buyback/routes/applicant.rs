//! The applicant's pages: the application with its estimate, and the private status link.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::service::{self as bb, ApplyForm, BuybackError};
use super::super::views::*;
use super::{Limiter, client, now};
use crate::error::AppError;
use crate::web::forms::{FieldErrors, Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/buyback", web::get().to(apply_page))
        .route("/buyback/estimate", web::post().to(estimate))
        .route("/buyback/apply", web::post().to(apply))
        .route("/buyback/status/{link}", web::get().to(status))
        .route("/buyback/status/{link}/{action}", web::post().to(respond));
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OrderQuery {
    order: String,
}

async fn apply_view(state: &State, page: FormPage, form: ApplyForm, no: Rejection) -> Result<HttpResponse, AppError> {
    let secret = state.config.secret_key.clone();
    let user = page.user.as_ref().map(|u| u.id.clone());
    let order = form.order.clone();
    let (grades, mine, serving) = state
        .db
        .read(move |c| {
            let serving = match &user {
                Some(u) if !order.is_empty() => bb::serving_centers_of_order(c, &order, u)?,
                _ => Vec::new(),
            };
            let center = match serving.first() {
                Some((_, center, _)) => Some(center.clone()),
                None => bb::centers(c)?.into_iter().find(|c| c.is_default),
            };
            let grades = center.map(|c| c.grade_list()).unwrap_or_default();
            let mine = match &user {
                Some(u) => bb::applications_of(c, u)?
                    .into_iter()
                    .map(|a| {
                        let link = bb::link_secret(&secret, &a.idempotency_key);
                        (a, link)
                    })
                    .collect(),
                None => Vec::new(),
            };
            Ok::<_, BuybackError>((grades, mine, serving))
        })
        .await?;
    let grades = if grades.is_empty() { bb::starting_grades() } else { grades };
    let status = no.status();
    let currency = state.config.currency.clone();
    render_status(
        status,
        &ApplyPage { l: page.l, form, errors: no.errors, refusal: no.refusal, grades, mine, serving, currency },
    )
}

async fn apply_page(state: State, page: FormPage, q: web::Query<OrderQuery>) -> Result<HttpResponse, AppError> {
    let form = ApplyForm { order: q.into_inner().order, ..Default::default() };
    apply_view(&state, page, form, Rejection::default()).await
}

/// Checks the purchase under the attempt limiter (per client address, per order number in the
/// database): a wrong try counts, a right one does not.
async fn verified<T: Send + 'static>(
    state: &State,
    limiter: Limiter,
    req: &HttpRequest,
    form: &ApplyForm,
    then: impl FnOnce(&mut crate::db::DbConnection, &ApplyForm) -> Result<T, BuybackError> + Send + 'static,
) -> Result<T, BuybackError> {
    bb::check_form(form)?;
    let f = form.clone();
    limiter
        .into_inner()
        .guard_in_one(
            &state.db,
            bb::ORDER_NUMBER,
            client(req),
            form.order_key(),
            move |c| then(c, &f),
            BuybackError::is_no_match,
        )
        .await
}

async fn estimate(
    state: State,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let checked = verified(&state, limiter, &req, &form, |c, f| bb::verify(c, f, now())).await;
    match checked {
        Ok(verified) => {
            let form = ApplyForm { key: IdempotencyKey::new().to_string(), ..form };
            let currency = state.config.currency.clone();
            render(&EstimatePage { l: page.l, form, verified, errors: FieldErrors::new(), refusal: None, currency })
        }
        Err(e) => apply_view(&state, page, form, crate::web::forms::FormError::rejection(e)?).await,
    }
}

async fn apply(
    state: State,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let secret = state.config.secret_key.clone();
    let applicant = page.user.as_ref().map(|u| u.id.clone());
    let applied =
        verified(&state, limiter, &req, &form, move |c, f| bb::apply(c, f, applicant.as_ref(), &secret, now())).await;
    match applied {
        Ok(done) => Ok(see_other(&format!("/buyback/status/{}?new", done.link))),
        Err(BuybackError::Invalid(errors)) if errors.has("line") || errors.has("grade") => {
            // Mistakes on the estimate's own choices: show the estimate again.
            let f = form.clone();
            let verified = state.db.read(move |c| bb::verify(c, &f, now())).await?;
            let currency = state.config.currency.clone();
            render_status(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &EstimatePage { l: page.l, form, verified, errors, refusal: None, currency },
            )
        }
        Err(e) => apply_view(&state, page, form, crate::web::forms::FormError::rejection(e)?).await,
    }
}

async fn status_view(
    state: &State,
    l: Layout,
    link: String,
    new: bool,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let secret = state.config.secret_key.clone();
    let l2 = link.clone();
    let (app, events, center) = state
        .db
        .read(move |c| {
            let app = bb::application_of_link(c, &secret, &l2)?;
            let events = bb::events_of(c, &app.id)?;
            let center = bb::center(c, &app.center_id)?;
            Ok::<_, BuybackError>((app, events, center))
        })
        .await?;
    let currency = state.config.currency.clone();
    render_status(no.status(), &StatusPage { l, app, events, center, link, new, refusal: no.refusal, currency })
}

async fn status(
    state: State,
    page: FormPage,
    link: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let new = req.query_string() == "new";
    status_view(&state, page.l, link.into_inner(), new, Rejection::default()).await
}

async fn respond(
    state: State,
    session: Session,
    page: FormPage,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (link, action) = path.into_inner();
    let secret = state.config.secret_key.clone();
    let (l2, who) = (link.clone(), page.user.as_ref().map(|u| u.id.clone()));
    let done = state
        .db
        .write(move |c| {
            let app = bb::application_of_link(c, &secret, &l2)?;
            // The link is the applicant's key; a logged-in visitor acts under their own name.
            let who = who.filter(|u| app.applicant_id.as_ref() == Some(u) || app.buyer_id == *u);
            match action.as_str() {
                "accept" => bb::respond(c, &app, true, who.as_ref(), now())
                    .map(|_| "Offer accepted: the center pays you shortly."),
                "decline" => bb::respond(c, &app, false, who.as_ref(), now())
                    .map(|_| "Offer declined: the center sends the item back."),
                "withdraw" => bb::withdraw(c, &app, who.as_ref(), now()).map(|_| "Application withdrawn."),
                _ => Err(BuybackError::NotFound),
            }
        })
        .await;
    let back = format!("/buyback/status/{link}");
    ending(
        done,
        async |message| {
            flash::ok(&session, message);
            Ok(see_other(&back))
        },
        async |no| status_view(&state, page.l, link, false, no).await,
    )
    .await
}
