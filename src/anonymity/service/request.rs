//! The purchase request (seed 004, steps B1–B4): the buyer states a kind, its characteristics as
//! ranges or words, a highest price and perhaps a maker; the catalog's search answers with the
//! offers that match, at list prices. Every request goes to the preference store. The results are
//! kept under a random token, and the pick is checked against them before an order is made.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::{AnonError, Refusal, Result, Terms, event};
use crate::catalog::rules::{Filter, Query};
use crate::catalog::{Facts, Kind, KindFacts, OfferToBuy, StockLine};
use crate::db::DbConnection;
use crate::history::{Channel, Constraint, PurchaseRequest};
use crate::web::idempotency::IdempotencyKey;

/// The offers a request answers with at most: the first of the catalog's order (best sellers
/// first), enough to choose from on a phone without paging.
pub const RESULTS_SHOWN: i64 = 10;

/// Results are kept this long for the pick.
pub const RESULTS_KEEP_MINUTES: i64 = 60;

/// What the request form offers: the kinds, and the chosen kind's characteristics and makers.
pub struct RequestForm {
    pub kinds: Arc<Vec<Kind>>,
    pub kind: Option<Arc<KindFacts>>,
}

/// The form for a kind (none chosen yet: the kinds only). An unknown kind is a mistake in the
/// field, not a missing page: the form comes back to choose again.
pub fn request_form(conn: &mut DbConnection, facts: &Facts, kind: Option<&str>) -> Result<RequestForm> {
    let view = facts.read(conn)?;
    let kinds = view.kinds(conn)?;
    let kind = match kind.filter(|k| !k.trim().is_empty()) {
        Some(code) => Some(view.kind(conn, code.trim())?.ok_or_else(unknown_kind)?),
        None => None,
    };
    Ok(RequestForm { kinds, kind })
}

fn unknown_kind() -> AnonError {
    AnonError::field("kind", "There is no such kind of goods. Choose one of the list.")
}

/// How a request was answered.
pub enum Answer {
    /// Offers matched: they are kept under this token, and shown at once.
    Results { token: String, found: Vec<Found> },
    /// Nothing matched; the constraint whose removal would bring back the most offers, if any.
    Nothing { loosen: Option<(String, i64)> },
}

/// The request as the form sent it, without the form's own fields.
pub fn request_query(pairs: Vec<(String, String)>) -> Query {
    pairs.into_iter().filter(|(k, _)| k != "csrf_token").collect()
}

/// Reads and checks a request: a kind is needed, every characteristic must be the kind's, numbers
/// must be numbers and ranges the right way round.
pub fn read_request(
    conn: &mut DbConnection,
    facts: &Facts,
    query: &Query,
    currency: &str,
) -> Result<(Arc<KindFacts>, Filter)> {
    let code = crate::catalog::rules::values(query, "kind").next();
    let Some(code) = code else { return Err(AnonError::field("kind", "Choose a kind of goods.")) };
    let kind = facts.read(conn)?.kind(conn, code.trim())?.ok_or_else(unknown_kind)?;
    let rule = kind.spec.rule();
    // The catalog's reading of a search also refuses ranges the wrong way round.
    let (filter, mut errors) = crate::catalog::rules::read_filter(query, Some(&rule), currency);
    if crate::catalog::rules::values(query, "price_min").next().is_some() {
        errors.add("price_max", "State the highest price you would pay; there is no lowest.");
    }
    errors.into_result().map_err(AnonError::Invalid)?;
    Ok((kind, filter))
}

/// A request answered by the catalog (reads only), before it is kept.
pub struct Answered {
    stated: PurchaseRequest,
    /// The offers found in stock, in the order found.
    offers: Vec<Found>,
    loosen: Option<(String, i64)>,
}

/// Reads a request and searches the catalog for it: reads only, so the search runs beside the
/// writes of other requests instead of holding the single writer.
pub fn answer(conn: &mut DbConnection, facts: &Facts, terms: &Terms, query: &Query) -> Result<Answered> {
    let (kind, filter) = read_request(conn, facts, query, &terms.currency)?;
    let found = crate::catalog::search_in_stock(conn, &filter, &kind, RESULTS_SHOWN)?;
    let kind_name = kind.spec.kind.name.clone();
    let offers: Vec<Found> = found
        .cards
        .rows
        .into_iter()
        .map(|c| Found {
            code: c.code,
            name: c.product_name,
            maker: c.maker,
            model: c.model,
            kind_name: kind_name.clone(),
            stock: c.stock,
            price: c.list_price,
            currency: c.currency,
        })
        .collect();
    let stated = PurchaseRequest {
        kind: Some(kind.spec.kind.id.clone()),
        maker: filter.makers.first().cloned(),
        price_max: filter.price_max,
        currency: terms.currency.clone(),
        constraints: constraints(&filter),
        matches: i64::try_from(offers.len()).unwrap_or(i64::MAX),
    };
    Ok(Answered { stated, offers, loosen: found.loosen })
}

/// Keeps an answered request: in the preference store (matched or not, and nothing about who
/// asked), and its offers under a new token.
pub fn keep_answer(conn: &mut DbConnection, answered: Answered, at: NaiveDateTime) -> Result<Answer> {
    crate::history::record_request(conn, &answered.stated, at)?;
    if answered.offers.is_empty() {
        return Ok(Answer::Nothing { loosen: answered.loosen });
    }
    let token = hex::encode(rand::random::<[u8; 16]>());
    let offers: Vec<(String, i64)> = answered.offers.iter().map(|f| (f.code.clone(), f.price)).collect();
    repo::insert_results(conn, &ResultRow::new(token.clone(), &offers, at))?;
    Ok(Answer::Results { token, found: answered.offers })
}

fn constraints(filter: &Filter) -> Vec<Constraint> {
    let ranges =
        filter.numbers.iter().map(|n| Constraint::Range { characteristic: n.name.clone(), min: n.min, max: n.max });
    let words = filter
        .words
        .iter()
        .flat_map(|w| w.values.iter().map(|v| Constraint::Word { characteristic: w.name.clone(), word: v.clone() }));
    ranges.chain(words).collect()
}

/// An offer among a request's results, as the buyer chooses from it.
pub struct Found {
    pub code: String,
    pub name: String,
    pub maker: String,
    pub model: String,
    pub kind_name: String,
    pub stock: i64,
    /// The price when the results were made.
    pub price: i64,
    pub currency: String,
}

impl Found {
    pub fn price_text(&self) -> String {
        crate::money::format(self.price, &self.currency)
    }
}

/// The offers kept under a token with their prices then, in the order found; stale or unknown
/// tokens are refused.
fn fresh_results(conn: &mut DbConnection, token: &str, at: NaiveDateTime) -> Result<Vec<(String, i64)>> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::ResultsStale.into());
    }
    let Some(kept) = repo::results(conn, token)? else { return Err(Refusal::ResultsStale.into()) };
    let offers = kept.offers();
    if offers.is_empty() || kept.created_at < at - chrono::Duration::minutes(RESULTS_KEEP_MINUTES) {
        return Err(Refusal::ResultsStale.into());
    }
    Ok(offers)
}

/// The offers kept under a token, in the order found; stale or unknown tokens are refused.
pub fn results(conn: &mut DbConnection, token: &str, at: NaiveDateTime) -> Result<Vec<Found>> {
    let kept = fresh_results(conn, token, at)?;
    let codes: Vec<String> = kept.iter().map(|(code, _)| code.clone()).collect();
    let mut offers = crate::catalog::offers_to_buy(conn, None, &codes)?;
    Ok(kept
        .into_iter()
        .filter_map(|(code, price)| {
            let at = offers.iter().position(|o| o.offer.code == code)?;
            let o = offers.swap_remove(at);
            Some(Found {
                code: o.offer.code,
                name: o.product.name,
                maker: o.product.maker,
                model: o.product.model,
                kind_name: o.kind_name,
                stock: o.offer.stock,
                price,
                currency: o.offer.currency,
            })
        })
        .collect())
}

/// The private link a pick of this offer under this form key leads to (the results page's forms
/// share a key: picking another offer after going back makes another order).
pub fn link_for_key(terms: &Terms, key: &str, offer_code: &str) -> String {
    rules::link_secret(&terms.secret, &format!("{key}/{}", offer_code.trim()))
}

/// A pick checked against the results, ready to become an order.
pub struct Picked {
    link: String,
    chosen: OfferToBuy,
    office: crate::echeck::OfficeId,
    quantity: i64,
}

/// What checking a pick found.
pub enum Pick {
    /// This form made its order already: the private link's secret.
    Made(String),
    New(Box<Picked>),
}

/// Checks the buyer's pick (steps B4, B10) against the kept results, with reads only.
pub fn check_pick(
    conn: &mut DbConnection,
    terms: &Terms,
    token: &str,
    offer_code: &str,
    quantity: &str,
    key: &str,
    at: NaiveDateTime,
) -> Result<Pick> {
    let key = IdempotencyKey::parse(key)
        .ok_or_else(|| AnonError::field("offer", "This form is out of date. Choose again."))?;
    let link = link_for_key(terms, key.as_str(), offer_code);
    if repo::order_by_link(conn, &rules::link_hash(&link))?.is_some() {
        return Ok(Pick::Made(link));
    }
    // A token that is not (or no longer) kept is out of date; an offer not among its results, a
    // forged pick.
    let kept = fresh_results(conn, token, at)?;
    let Some((code, price)) = kept.into_iter().find(|(code, _)| code == offer_code.trim()) else {
        return Err(Refusal::NotAmongResults.into());
    };
    let quantity = rules::quantity(quantity).map_err(|m| AnonError::field("quantity", m))?;
    let found = crate::catalog::offers_to_buy(conn, None, std::slice::from_ref(&code))?;
    let Some(chosen) = found.into_iter().next().filter(|o| o.offer.is_active() && o.offer.stock >= quantity) else {
        return Err(Refusal::SoldOut.into());
    };
    if chosen.offer.price != price {
        return Err(Refusal::PriceChanged(chosen.offer.price_text()).into());
    }
    let office = crate::echeck::office_for(conn, &chosen.offer.seller_id)?.id;
    Ok(Pick::New(Box::new(Picked { link, chosen, office, quantity })))
}

/// Makes the order of a checked pick (step B6) in one transaction: the order row first (a twin
/// of this pick waits on its link here, before any stock moves), then the stock taken with the
/// conditional update, the event and the notice its seller is told of (`tell_sellers`). Returns
/// the private link's secret.
pub fn make_order(conn: &mut DbConnection, terms: &Terms, picked: &Picked, at: NaiveDateTime) -> Result<String> {
    let order = new_order(conn, terms, &picked.link, &picked.chosen, &picked.office, picked.quantity, at)?;
    repo::insert_order(conn, &order)?;
    let line = StockLine { offer: picked.chosen.offer.id.clone(), quantity: picked.quantity };
    if crate::catalog::take_stock(conn, &[line], at)?.is_some() {
        return Err(Refusal::SoldOut.into());
    }
    event(conn, &order.id, AnonState::AwaitingPayment, Actor::Buyer, "Order made; stock held for payment.", at)?;
    super::notices::notice(conn, &order.id, AnonState::AwaitingPayment, at)?;
    Ok(picked.link.clone())
}

fn new_order(
    conn: &mut DbConnection,
    terms: &Terms,
    link: &str,
    chosen: &OfferToBuy,
    office: &crate::echeck::OfficeId,
    quantity: i64,
    at: NaiveDateTime,
) -> Result<AnonOrder> {
    let id = AnonOrderId::new();
    let pin = rules::pickup_pin(&terms.secret, link, 1);
    let mut code = crate::codes::random(2, 4);
    while repo::order_by_code(conn, &code)?.is_some() {
        code = crate::codes::random(2, 4);
    }
    Ok(AnonOrder {
        pin_hash: rules::pin_hash(&terms.secret, id.as_str(), &pin),
        id,
        code,
        link_hash: rules::link_hash(link),
        pin_generation: 1,
        state: AnonState::AwaitingPayment,
        offer_id: chosen.offer.id.clone(),
        product_id: chosen.product.id.clone(),
        kind_id: chosen.product.kind_id.clone(),
        office_id: office.clone(),
        commodity: chosen.product.name.clone(),
        quantity,
        unit_price: chosen.offer.price,
        currency: chosen.offer.currency.clone(),
        pay_until: at + terms.pay_window,
        card_id: None,
        hold_id: None,
        pickup_point_id: None,
        carrier_code: None,
        created_at: at,
        paid_at: None,
        dispatched_at: None,
        arrived_at: None,
        collected_at: None,
        returned_at: None,
        sent_back_at: None,
        updated_at: at,
    })
}

/// The sale as the history keeps it (a negative quantity takes it back).
pub(super) fn sale_of(order: &AnonOrder, quantity: i64) -> crate::history::Sale {
    crate::history::Sale {
        channel: Channel::Anonymous,
        kind: order.kind_id.clone(),
        product: order.product_id.clone(),
        offer: order.offer_id.clone(),
        office: order.office_id.clone(),
        quantity,
        unit_price: order.unit_price,
        currency: order.currency.clone(),
    }
}
