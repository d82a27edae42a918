//! The staff's desks: the seller's anonymous orders and labels, the carrier's parcels for pickup
//! points, the pickup counter.

use actix_session::{Session, SessionExt};
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::model::AnonOrder;
use super::super::service::{self as anon, AnonError, Refusal};
use super::super::views::*;
use super::{Limiter, TermsData, client, now};
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{FormError, Rejection, ending};
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sell/anon", web::get().to(seller_desk))
        .route("/sell/anon/{code}/label", web::get().to(label))
        .route("/sell/anon/{code}/dispatch", web::post().to(dispatch))
        .route("/carrier/parcels/{code}/delivered", web::post().to(delivered))
        .route("/pickup", web::get().to(counter))
        .route("/pickup/handover", web::post().to(hand_over))
        .route("/pickup/parcels/{code}/arrived", web::post().to(arrived))
        .route("/pickup/parcels/{code}/sent-back", web::post().to(sent_back));
}

type Seller = Authorized<roles::Salesperson>;
type CarrierUser = Authorized<roles::Carrier>;
type Counter = Authorized<roles::Pickup>;

// ---- the seller ----

async fn seller_page(state: &State, seller: &Seller, l: Layout, no: Rejection) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let desk = state.db.read(move |c| anon::seller_desk(c, &id)).await?;
    render_status(no.status(), &SellerPage { l, desk, errors: no.errors, refusal: no.refusal })
}

async fn seller_desk(state: State, seller: Seller, page: FormPage) -> Result<HttpResponse, AppError> {
    seller_page(&state, &seller, page.l, Rejection::default()).await
}

async fn label(
    state: State,
    seller: Seller,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = (seller.user.id.clone(), code.into_inner());
    let label = state.db.read(move |c| anon::label(c, &id, &code)).await?;
    render(&LabelPage { l: page.l, label })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DispatchForm {
    carrier: String,
}

async fn dispatch(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<DispatchForm>,
) -> Result<HttpResponse, AppError> {
    let (id, code, carrier) = (seller.user.id.clone(), code.into_inner(), form.into_inner().carrier);
    ending(
        state.db.write(move |c| anon::dispatch(c, &id, &code, &carrier, now())).await,
        async |order| {
            flash::ok(&session, &format!("Order {} is on its way to the pickup point.", order.code));
            Ok(see_other("/sell/anon"))
        },
        async |no| seller_page(&state, &seller, page.l, no).await,
    )
    .await
}

// ---- the carrier ----
// The carrier's parcels are listed on `/carrier/shipments` beside the orders (`lib.rs` wires
// `anonymity::parcels_for_carrier` into that page); the "delivered" form posts here.

async fn delivered(
    state: State,
    session: Session,
    carrier: CarrierUser,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, code) = (carrier.user.id.clone(), code.into_inner());
    ending(
        state.db.write(move |c| anon::carrier_delivered(c, &id, &code, now())).await,
        async |order| {
            flash::ok(&session, &format!("Parcel {} delivered to the pickup point.", order.code));
            Ok(see_other("/carrier/shipments"))
        },
        async |no| {
            flash::error(&session, no.refusal.as_deref().unwrap_or("This parcel is not yours to deliver."));
            Ok(see_other("/carrier/shipments"))
        },
    )
    .await
}

// ---- the counter ----

async fn counter_page(
    state: &State,
    terms: &TermsData,
    limiter: &Limiter,
    user: &Counter,
    l: Layout,
    no: Rejection,
    code: String,
) -> Result<HttpResponse, AppError> {
    let (id, t, lim) = (user.user.id.clone(), terms.clone(), limiter.clone());
    let desk = state.db.read(move |c| anon::counter_desk(c, &t, &lim, &id, now())).await?;
    render_status(no.status(), &CounterPage { l, desk, errors: no.errors, refusal: no.refusal, code })
}

async fn counter(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    user: Counter,
    page: FormPage,
) -> Result<HttpResponse, AppError> {
    counter_page(&state, &terms, &limiter, &user, page.l, Rejection::default(), String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HandOverForm {
    code: String,
    pin: String,
}

async fn hand_over(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    user: Counter,
    page: FormPage,
    req: HttpRequest,
    form: web::Form<HandOverForm>,
) -> Result<HttpResponse, AppError> {
    let session = req.get_session();
    let form = form.into_inner();
    let (id, t, code, pin) = (user.user.id.clone(), terms.clone(), form.code.clone(), form.pin);
    let target = anon::pin_target(&form.code);
    let handed = limiter
        .clone()
        .into_inner()
        .guard_in_one(
            &state.db,
            anon::PICKUP_PIN,
            client(&req),
            target,
            move |c| anon::hand_over(c, &t, &id, &code, &pin, now()),
            AnonError::is_wrong_secret,
        )
        .await;
    match handed {
        Ok(order) => {
            flash::ok(&session, &format!("Hand over parcel {}: collected.", order.code));
            Ok(see_other("/pickup"))
        }
        Err(AnonError::TooMany(wait)) if wait.as_secs() > 3600 => {
            let no = Rejection::refused(Refusal::Locked.to_string());
            counter_page(&state, &terms, &limiter, &user, page.l, no, form.code).await
        }
        Err(e) => counter_page(&state, &terms, &limiter, &user, page.l, e.rejection()?, form.code).await,
    }
}

/// A step on one parcel at the counter (arrived, given back): done, or the desk with the refusal.
#[allow(clippy::too_many_arguments)]
async fn counter_step(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    session: Session,
    user: Counter,
    page: FormPage,
    code: String,
    step: fn(&mut crate::db::DbConnection, &crate::accounts::UserId, &str) -> Result<AnonOrder, AnonError>,
    done: &'static str,
) -> Result<HttpResponse, AppError> {
    let id = user.user.id.clone();
    ending(
        state.db.write(move |c| step(c, &id, &code)).await,
        async |order| {
            flash::ok(&session, &format!("Parcel {} {done}.", order.code));
            Ok(see_other("/pickup"))
        },
        async |no| counter_page(&state, &terms, &limiter, &user, page.l, no, String::new()).await,
    )
    .await
}

async fn arrived(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    session: Session,
    user: Counter,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let step = |c: &mut crate::db::DbConnection, id: &crate::accounts::UserId, code: &str| {
        anon::counter_arrived(c, id, code, now())
    };
    counter_step(state, terms, limiter, session, user, page, code.into_inner(), step, "is here").await
}

async fn sent_back(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    session: Session,
    user: Counter,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let step =
        |c: &mut crate::db::DbConnection, id: &crate::accounts::UserId, code: &str| anon::sent_back(c, id, code, now());
    counter_step(state, terms, limiter, session, user, page, code.into_inner(), step, "given back to the carrier").await
}
