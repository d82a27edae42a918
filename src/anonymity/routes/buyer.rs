//! The buyer's pages: the purchase request, its results and the pick, the private order link and
//! its payment. No login; nothing about the visitor reaches the module's tables.

use actix_session::{Session, SessionExt};
use actix_web::{HttpRequest, HttpResponse, web};

use super::super::service::{self as anon, AnonError, Answer, Payment, Refusal};
use super::super::views::*;
use super::{Limiter, TermsData, client, now};
use crate::catalog::Facts;
use crate::catalog::rules::Query;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, FormError, Rejection};
use crate::web::layout::{FormPage, Layout};
use crate::web::{State, flash, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/anon", web::get().to(request_form))
        .route("/anon", web::post().to(ask))
        .route("/anon/results/{token}", web::get().to(results))
        .route("/anon/results/{token}/pick", web::post().to(pick))
        .route("/anon/orders/{link}", web::get().to(private_link))
        .route("/anon/orders/{link}/pay", web::post().to(pay))
        .route("/anon/orders/{link}/pin", web::post().to(new_pin));
}

type FactsData = web::Data<Facts>;

fn query_of(req: &HttpRequest) -> Query {
    url::form_urlencoded::parse(req.query_string().as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The request form, as typed, with what is wrong or what came of it.
async fn request_page(
    state: &State,
    facts: &FactsData,
    l: Layout,
    query: Query,
    no: Rejection,
    nothing: Option<Option<(String, i64)>>,
) -> Result<HttpResponse, AppError> {
    let kind = crate::catalog::rules::values(&query, "kind").next().map(str::to_owned);
    let facts = facts.clone();
    let found = state
        .db
        .read(move |c| {
            let form = anon::request_form(c, &facts, kind.as_deref());
            match form {
                Err(AnonError::Invalid(errors)) => Ok((anon::request_form(c, &facts, None)?, errors)),
                other => other.map(|f| (f, FieldErrors::new())),
            }
        })
        .await;
    let (form, mut errors) = found.map_err(AppError::from)?;
    let status = no.status();
    for (field, message) in no.errors.iter() {
        errors.add(field, message);
    }
    let page = RequestPage { l, kinds: form.kinds, kind: form.kind, query, errors, refusal: no.refusal, nothing };
    render_status(status, &page)
}

async fn request_form(
    state: State,
    facts: FactsData,
    page: FormPage,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    request_page(&state, &facts, page.l, query_of(&req), Rejection::default(), None).await
}

async fn ask(
    state: State,
    facts: FactsData,
    terms: TermsData,
    page: FormPage,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let query = anon::request_query(form.into_inner());
    let (asked, f, t) = (query.clone(), facts.clone(), terms.clone());
    // The search reads; only keeping its answer takes the writer.
    let answered = match state.db.read(move |c| anon::answer(c, &f, &t, &asked)).await {
        Ok(answered) => state.db.write(move |c| anon::keep_answer(c, answered, now())).await,
        Err(e) => Err(e),
    };
    match answered {
        // The results answer the request at once (one round trip fewer on a phone); they stay
        // at their own address too, for the pick's form to come back to.
        Ok(Answer::Results { token, found }) => {
            show_results(page.l, token, found, Rejection::default(), Default::default())
        }
        Ok(Answer::Nothing { loosen }) => {
            request_page(&state, &facts, page.l, query, Rejection::default(), Some(loosen)).await
        }
        Err(e) => request_page(&state, &facts, page.l, query, e.rejection()?, None).await,
    }
}

async fn results_page(
    state: &State,
    facts: &FactsData,
    l: Layout,
    token: String,
    no: Rejection,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let t = token.clone();
    match state.db.read(move |c| anon::results(c, &t, now())).await {
        Ok(found) => show_results(l, token, found, no, typed),
        Err(e @ AnonError::Refused(_)) => request_page(state, facts, l, Query::new(), e.rejection()?, None).await,
        Err(e) => Err(e.into()),
    }
}

/// The results with a fresh form key (picking another offer after going back makes another
/// order).
fn show_results(
    l: Layout,
    token: String,
    found: Vec<anon::Found>,
    no: Rejection,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let key = crate::web::idempotency::IdempotencyKey::new().to_string();
    let status = no.status();
    render_status(status, &ResultsPage { l, token, found, key, errors: no.errors, refusal: no.refusal, typed })
}

async fn results(
    state: State,
    facts: FactsData,
    page: FormPage,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    results_page(&state, &facts, page.l, token.into_inner(), Rejection::default(), Default::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PickForm {
    offer: String,
    quantity: String,
    key: String,
}

async fn pick(
    state: State,
    facts: FactsData,
    terms: TermsData,
    page: FormPage,
    token: web::Path<String>,
    form: web::Form<PickForm>,
) -> Result<HttpResponse, AppError> {
    let (token, form) = (token.into_inner(), form.into_inner());
    let (tk, f, t) = (token.clone(), (form.offer.clone(), form.quantity.clone(), form.key.clone()), terms.clone());
    // The checks read; only making the order takes the writer.
    let t2 = t.clone();
    let picked = match state.db.read(move |c| anon::check_pick(c, &t, &tk, &f.0, &f.1, &f.2, now())).await {
        Ok(anon::Pick::Made(link)) => Ok(link),
        Ok(anon::Pick::New(p)) => state.db.write(move |c| anon::make_order(c, &t2, &p, now())).await,
        Err(e) => Err(e),
    };
    match picked {
        Ok(link) => Ok(see_other(&format!("/anon/orders/{link}"))),
        // A twin of this pick made the order while this one waited: both lead to it.
        Err(AnonError::Db(crate::db::DbError::Query(e))) if crate::db::is_unique_violation(&e) => {
            Ok(see_other(&format!("/anon/orders/{}", anon::link_for_key(&terms, &form.key, &form.offer))))
        }
        Err(AnonError::Refused(Refusal::ResultsStale)) => {
            let no = Rejection::refused(Refusal::ResultsStale.to_string());
            request_page(&state, &facts, page.l, Query::new(), no, None).await
        }
        Err(e) => results_page(&state, &facts, page.l, token, e.rejection()?, (form.offer, form.quantity)).await,
    }
}

async fn private_page(
    state: &State,
    terms: &TermsData,
    limiter: &Limiter,
    l: Layout,
    link: String,
    no: Rejection,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let (t, lim, k) = (terms.clone(), limiter.clone(), link.clone());
    let view = state.db.read(move |c| anon::private_view(c, &t, &lim, &k, now())).await?;
    let mut l = l;
    // The login link must not carry the secret to another page's address.
    l.here = "/anon".into();
    let link_url = format!("{}anon/orders/{link}", state.config.public_url);
    let just_made = view.order.state == super::super::model::AnonState::AwaitingPayment;
    let status = no.status();
    let page = PrivatePage { l, view, link, link_url, just_made, errors: no.errors, refusal: no.refusal, typed };
    render_status(status, &page)
}

async fn private_link(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    link: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut l = page.l;
    if req.query_string() == "paid" {
        let text = "Paid. The seller sends the parcel to your pickup point; this page says when it is there.";
        l.flashes.push(crate::web::flash::Flash { kind: "ok".into(), text: text.into() });
    }
    private_page(&state, &terms, &limiter, l, link.into_inner(), Rejection::default(), Default::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PayForm {
    card: String,
    point: String,
}

async fn pay(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    page: FormPage,
    req: HttpRequest,
    link: web::Path<String>,
    form: web::Form<PayForm>,
) -> Result<HttpResponse, AppError> {
    let session = req.get_session();
    let (link, form) = (link.into_inner(), form.into_inner());
    let (l1, t, f) = (link.clone(), terms.clone(), (form.card.clone(), form.point.clone()));
    // What the payment needs is read first; the card's code is judged only after its attempt is
    // counted, in the payment's own transaction.
    let prepared = state.db.read(move |c| anon::prepare_payment(c, &t, &l1, &f.0, &f.1)).await;
    let t = terms.clone();
    let paid = match prepared {
        Ok(prep) => {
            let target = prep.order_key();
            limiter
                .clone()
                .into_inner()
                .guard_in_one(
                    &state.db,
                    anon::PREPAID_CARD,
                    client(&req),
                    target,
                    move |c| anon::pay_prepared(c, &t, prep, now()),
                    AnonError::is_wrong_secret,
                )
                .await
        }
        Err(e) => Err(e),
    };
    let back = format!("/anon/orders/{link}");
    match paid {
        // Told by the address rather than a flash: the payment writes no session.
        Ok(Payment::Paid) => Ok(see_other(&format!("{back}?paid"))),
        Ok(Payment::TooLate) => {
            let no = Rejection::refused(Refusal::TooLate.to_string());
            private_page(&state, &terms, &limiter, page.l, link, no, (form.card, form.point)).await
        }
        Err(AnonError::Refused(Refusal::PaidAlready)) => {
            flash::info(&session, "This order is paid already.");
            Ok(see_other(&back))
        }
        Err(e) => {
            let no = e.rejection()?;
            private_page(&state, &terms, &limiter, page.l, link, no, (form.card, form.point)).await
        }
    }
}

async fn new_pin(
    state: State,
    terms: TermsData,
    limiter: Limiter,
    session: Session,
    link: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let link = link.into_inner();
    let (k, t, lim) = (link.clone(), terms.clone(), limiter.clone());
    state.db.write(move |c| anon::new_pin(c, &t, &lim, &k, now())).await?;
    flash::ok(&session, "Here is your new PIN; the old one no longer works.");
    Ok(see_other(&format!("/anon/orders/{link}")))
}
