//! The catalog's operations, for its pages and for other modules (orders will read offers and
//! take stock through here). Functions take the caller's connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};

pub use super::cache::WordChoice;
use super::cache::{Facts, KindFacts, ProductFacts};
use super::model::*;
use super::repo::{self, ResolvedFilter};
use super::rules::{self, Filter, Query};
use crate::db::{DbConnection, DbError};
use crate::error::AppError;
use crate::web::forms::{FieldErrors, FormError, Rejection};
use crate::web::pager::{Paged, Pager};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("this offer belongs to another salesperson")]
    NotYours,
    /// A request the catalog will not run, with why.
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(#[from] crate::accounts::AccountError),
}

impl From<diesel::result::Error> for CatalogError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => CatalogError::NotFound,
            other => CatalogError::Db(DbError::Query(other)),
        }
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => AppError::NotFound,
            CatalogError::NotYours => AppError::Forbidden,
            CatalogError::Refused(message) => AppError::BadRequest(message.into()),
            CatalogError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            CatalogError::Db(e) => e.into(),
            CatalogError::Accounts(e) => e.into(),
        }
    }
}

impl FormError for CatalogError {
    fn rejection(self) -> Result<Rejection, AppError> {
        match self {
            CatalogError::Invalid(errors) => Ok(Rejection::fields(errors)),
            other => Err(other.into()),
        }
    }
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn invalid(field: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid(FieldErrors::with(field, message))
}

// ---- kinds ----

pub fn kinds(conn: &mut DbConnection) -> Result<Vec<Kind>> {
    Ok(repo::kinds(conn)?)
}

pub fn kind_spec(conn: &mut DbConnection, code: &str) -> Result<Option<KindSpec>> {
    Ok(repo::kind_spec(conn, code)?)
}

pub fn create_kind(conn: &mut DbConnection, code: &str, name: &str) -> Result<KindId> {
    let (code, name) = (code.trim(), name.trim());
    let mut errors = FieldErrors::new();
    if let Err(e) = rules::check_kind_code(code) {
        errors.add("code", e);
    }
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "Give the kind a name of at most 80 characters, e.g. Personal computers.");
    }
    errors.into_result().map_err(CatalogError::Invalid)?;
    if repo::kind_by_code(conn, code)?.is_some() {
        return Err(invalid("code", "A kind with this code exists already."));
    }
    let kind = Kind { id: KindId::new(), code: code.into(), name: name.into(), created_at: now() };
    repo::insert_kind(conn, &kind)?;
    Ok(kind.id)
}

/// A characteristic as an admin describes it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CharacteristicForm {
    pub name: String,
    pub label: String,
    pub unit: String,
    /// "number" or "word".
    pub value_type: String,
    /// For words: allowed values, one per line (or separated by commas).
    pub words: String,
}

pub fn add_characteristic(conn: &mut DbConnection, kind_code: &str, form: &CharacteristicForm) -> Result<()> {
    let spec = kind_spec(conn, kind_code)?.ok_or(CatalogError::NotFound)?;
    let name = form.name.trim();
    let mut errors = FieldErrors::new();
    if let Err(e) = rules::check_characteristic_name(name) {
        errors.add("name", e);
    } else if spec.characteristic(name).is_some() {
        errors.add("name", "This kind has a characteristic of this name already.");
    }
    if form.label.trim().is_empty() || form.label.chars().count() > 80 {
        errors.add("label", "Give a label of at most 80 characters, e.g. Processor speed.");
    }
    if form.unit.chars().count() > 20 {
        errors.add("unit", "Use at most 20 characters.");
    }
    let is_number = match form.value_type.as_str() {
        "number" => true,
        "word" => false,
        _ => {
            errors.add("value_type", "Choose number or word.");
            false
        }
    };
    let words: Vec<&str> = form.words.split([',', '\n']).map(str::trim).filter(|w| !w.is_empty()).collect();
    if is_number && !words.is_empty() {
        errors.add("words", "Allowed words are for word characteristics only.");
    }
    errors.into_result().map_err(CatalogError::Invalid)?;
    let position = spec.characteristics.iter().map(|c| c.position).max().unwrap_or(0) + 1;
    repo::insert_characteristic(
        conn,
        &Characteristic {
            id: CharacteristicId::new(),
            kind_id: spec.kind.id,
            name: name.into(),
            label: form.label.trim().into(),
            unit: form.unit.trim().into(),
            is_number,
            allowed_words: words.join("\n"),
            position,
        },
    )?;
    Ok(())
}

pub fn remove_characteristic(conn: &mut DbConnection, kind_code: &str, name: &str) -> Result<()> {
    let kind = repo::kind_by_code(conn, kind_code)?.ok_or(CatalogError::NotFound)?;
    if repo::delete_characteristic(conn, &kind.id, name)? == 0 {
        return Err(CatalogError::NotFound);
    }
    // The products' one-line summaries may have named it: write them again.
    for product in repo::product_ids_of_kind(conn, &kind.id)? {
        let shown = repo::shown_values_of(conn, &product)?;
        repo::set_summary(conn, &product, &rules::summary(&shown))?;
    }
    Ok(())
}

// ---- products and offers ----

/// A new product as a salesperson types it.
#[derive(Clone, Debug, Default)]
pub struct ProductForm {
    pub maker: String,
    pub model: String,
    pub name: String,
    pub description: String,
    pub is_consumable: bool,
    /// "Maker Model" per line: the equipment a consumable fits.
    pub fits: String,
    /// Raw characteristic values by name.
    pub values: BTreeMap<String, String>,
}

/// An offer's terms as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct OfferForm {
    pub price: String,
    pub stock: String,
    pub guarantee_months: String,
    pub onsite_service: Option<String>,
    pub trade_in: Option<String>,
    pub cooling_off_days: String,
}

struct Terms {
    price: i64,
    stock: i64,
    guarantee_months: i32,
    cooling_off_days: i32,
}

fn whole(raw: &str, field: &str, what: &str, max: i64, errors: &mut FieldErrors) -> i64 {
    match raw.trim().parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => n,
        _ => {
            errors.add(field, format!("{what} must be a whole number from 0 to {max}."));
            0
        }
    }
}

fn check_terms(form: &OfferForm, currency: &str, errors: &mut FieldErrors) -> Terms {
    let price = match crate::money::parse(&form.price, currency) {
        Ok(0) => {
            errors.add("price", "The price must be above zero.");
            0
        }
        Ok(p) => p,
        Err(e) => {
            errors.add("price", e);
            0
        }
    };
    Terms {
        price,
        stock: whole(&form.stock, "stock", "Stock", 10_000_000, errors),
        guarantee_months: whole(&form.guarantee_months, "guarantee_months", "The guarantee", 240, errors) as i32,
        cooling_off_days: whole(&form.cooling_off_days, "cooling_off_days", "The cooling-off period", 365, errors)
            as i32,
    }
}

fn new_code(conn: &mut DbConnection) -> Result<String> {
    for _ in 0..10 {
        let code = rules::new_offer_code();
        if !repo::offer_code_taken(conn, &code)? {
            return Ok(code);
        }
    }
    Err(CatalogError::Db(DbError::Query(diesel::result::Error::RollbackTransaction)))
}

fn offer_row(
    conn: &mut DbConnection,
    product: &Product,
    seller: &UserId,
    form: &OfferForm,
    terms: Terms,
    currency: &str,
) -> Result<Offer> {
    let now = now();
    Ok(Offer {
        id: OfferId::new(),
        code: new_code(conn)?,
        product_id: product.id.clone(),
        kind_id: product.kind_id.clone(),
        seller_id: seller.to_owned(),
        price: terms.price,
        currency: currency.to_owned(),
        stock: terms.stock,
        guarantee_months: terms.guarantee_months,
        onsite_service: form.onsite_service.is_some(),
        trade_in: form.trade_in.is_some(),
        cooling_off_days: terms.cooling_off_days,
        sold: 0,
        withdrawn_at: None,
        created_at: now,
        updated_at: now,
    })
}

fn parse_fits(raw: &str, errors: &mut FieldErrors) -> Vec<(String, String)> {
    let mut fits = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(char::is_whitespace) {
            Some((maker, model)) if !model.trim().is_empty() => fits.push((maker.to_owned(), model.trim().to_owned())),
            _ => errors.add(
                "fits",
                format!(
                    "Write each model as “Maker Model”; “{}” has no model.",
                    line.chars().take(40).collect::<String>()
                ),
            ),
        }
    }
    fits.sort();
    fits.dedup();
    fits
}

/// Creates a product of a kind with its characteristics, and the salesperson's offer of it, in
/// the caller's transaction. Returns the offer's commodity code.
pub fn create_product_and_offer(
    conn: &mut DbConnection,
    seller: &UserId,
    kind_code: &str,
    product: &ProductForm,
    offer: &OfferForm,
    currency: &str,
) -> Result<String> {
    let spec = kind_spec(conn, kind_code)?.ok_or(CatalogError::NotFound)?;
    let mut errors = FieldErrors::new();
    let text = |field: &str, value: &str, max: usize, what: &str, errors: &mut FieldErrors| {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > max {
            errors.add(field, format!("Enter the {what} (at most {max} characters)."));
        }
        value.to_owned()
    };
    let maker = text("maker", &product.maker, 80, "maker", &mut errors);
    let model = text("model", &product.model, 80, "model", &mut errors);
    let name = text("name", &product.name, 200, "product name", &mut errors);
    if product.description.chars().count() > 5000 {
        errors.add("description", "Keep the description under 5000 characters.");
    }
    let mut numbers = Vec::new();
    let mut words = Vec::new();
    let mut shown = Vec::new();
    for ch in &spec.characteristics {
        let raw = product.values.get(&ch.name).map(String::as_str).unwrap_or("");
        match rules::parse_value(ch.rule(), raw) {
            Ok(Some(value)) => {
                shown.push(rules::shown(ch.rule(), &value));
                match value {
                    Value::Number(n) => numbers.push((ch.id.clone(), n)),
                    Value::Word(w) => words.push((ch.id.clone(), w)),
                }
            }
            Ok(None) => {}
            Err(e) => errors.add(&format!("value_{}", ch.name), e),
        }
    }
    let fits = parse_fits(&product.fits, &mut errors);
    let terms = check_terms(offer, currency, &mut errors);
    if errors.is_empty() && repo::product_by_maker_model(conn, &maker, &model)?.is_some() {
        errors.add("model", "This maker's model is in the catalog already: offer the existing product instead.");
    }
    errors.into_result().map_err(CatalogError::Invalid)?;

    let row = Product {
        id: ProductId::new(),
        kind_id: spec.kind.id.clone(),
        search_text: rules::search_text(&name, &maker, &model),
        summary: rules::summary(&shown),
        maker,
        model,
        name,
        description: product.description.trim().to_owned(),
        is_consumable: product.is_consumable,
        created_at: now(),
    };
    repo::insert_products(conn, std::slice::from_ref(&row))?;
    let id = &row.id;
    repo::insert_numbers(conn, &numbers.into_iter().map(|(c, v)| (id.clone(), c, v)).collect::<Vec<_>>())?;
    repo::insert_words(conn, &words.into_iter().map(|(c, v)| (id.clone(), c, v)).collect::<Vec<_>>())?;
    repo::insert_fits(conn, &fits.into_iter().map(|(m, n)| (id.clone(), m, n)).collect::<Vec<_>>())?;
    let offer = offer_row(conn, &row, seller, offer, terms, currency)?;
    repo::insert_offers(conn, std::slice::from_ref(&offer))?;
    Ok(offer.code)
}

/// The salesperson offers a product already in the catalog (found by one of its offers' codes).
pub fn offer_existing(
    conn: &mut DbConnection,
    seller: &UserId,
    of_code: &str,
    offer: &OfferForm,
    currency: &str,
) -> Result<String> {
    let existing = repo::offer_by_code(conn, of_code)?.ok_or(CatalogError::NotFound)?;
    let product = repo::product(conn, &existing.product_id)?;
    let mut errors = FieldErrors::new();
    let terms = check_terms(offer, currency, &mut errors);
    errors.into_result().map_err(CatalogError::Invalid)?;
    let row = offer_row(conn, &product, seller, offer, terms, currency)?;
    repo::insert_offers(conn, std::slice::from_ref(&row))?;
    Ok(row.code)
}

/// The salesperson's offers page: their offers, and the kinds they can offer new products of.
pub type OffersPage = (Vec<(Offer, Product)>, Vec<Kind>);

pub fn offers_page(conn: &mut DbConnection, seller: &UserId) -> Result<OffersPage> {
    Ok((offers_of_seller(conn, seller)?, kinds(conn)?))
}

pub fn offers_of_seller(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<(Offer, Product)>> {
    Ok(repo::offers_of_seller(conn, seller)?)
}

/// The offer, if this salesperson owns it (403 otherwise, 404 when there is none).
pub fn own_offer(conn: &mut DbConnection, seller: &UserId, code: &str) -> Result<(Offer, Product)> {
    let offer = repo::offer_by_code(conn, code)?.ok_or(CatalogError::NotFound)?;
    if offer.seller_id != *seller {
        return Err(CatalogError::NotYours);
    }
    let product = repo::product(conn, &offer.product_id)?;
    Ok((offer, product))
}

pub fn change_offer(conn: &mut DbConnection, seller: &UserId, code: &str, price: &str, stock: &str) -> Result<()> {
    let (offer, _) = own_offer(conn, seller, code)?;
    let mut errors = FieldErrors::new();
    let form = OfferForm {
        price: price.into(),
        stock: stock.into(),
        guarantee_months: "0".into(),
        cooling_off_days: "0".into(),
        ..OfferForm::default()
    };
    let terms = check_terms(&form, &offer.currency, &mut errors);
    errors.into_result().map_err(CatalogError::Invalid)?;
    if !offer.is_active() {
        return Err(invalid("price", "This offer was withdrawn; it cannot be changed."));
    }
    repo::update_offer(conn, &offer.id, terms.price, terms.stock, now())?;
    Ok(())
}

pub fn withdraw_offer(conn: &mut DbConnection, seller: &UserId, code: &str) -> Result<()> {
    let (offer, _) = own_offer(conn, seller, code)?;
    repo::withdraw_offer(conn, &offer.id, now())?;
    Ok(())
}

// ---- what shoppers see ----

/// Agreed prices of a shopper for these offers, applied at `now`.
fn effective_prices(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    offers: &[(OfferId, i64)],
) -> Result<HashMap<OfferId, i64>> {
    let mut prices: HashMap<OfferId, i64> = offers.iter().cloned().collect();
    let Some(viewer) = viewer else { return Ok(prices) };
    let ids: Vec<OfferId> = offers.iter().map(|(id, _)| id.clone()).collect();
    let agreed = repo::customer_prices_for(conn, viewer, &ids)?;
    let now = now();
    for (id, list) in offers {
        let mine = agreed.iter().filter(|p| p.offer_id == *id).map(CustomerPrice::terms);
        prices.insert(id.clone(), rules::effective_price(*list, mine, now));
    }
    Ok(prices)
}

/// Cards for offers, with the prices this viewer pays.
fn cards(conn: &mut DbConnection, viewer: Option<&UserId>, rows: Vec<repo::CardRow>) -> Result<Vec<OfferCard>> {
    let offer_prices: Vec<(OfferId, i64)> = rows.iter().map(|r| (r.id.clone(), r.price)).collect();
    let prices = effective_prices(conn, viewer, &offer_prices)?;
    Ok(rows
        .into_iter()
        .map(|r| OfferCard {
            price: prices.get(&r.id).copied().unwrap_or(r.price),
            code: r.code,
            product_name: r.name,
            summary: r.summary,
            maker: r.maker,
            model: r.model,
            list_price: r.price,
            currency: r.currency,
            stock: r.stock,
            sold: r.sold,
            seller_id: r.seller_id,
        })
        .collect())
}

fn card_rows(pairs: Vec<(Offer, Product)>) -> Vec<repo::CardRow> {
    pairs
        .into_iter()
        .map(|(o, p)| repo::CardRow {
            id: o.id,
            code: o.code,
            name: p.name,
            summary: p.summary,

            maker: p.maker,
            model: p.model,
            price: o.price,
            currency: o.currency,
            stock: o.stock,
            sold: o.sold,
            seller_id: o.seller_id,
        })
        .collect()
}

pub struct SearchResult {
    /// One page of offers. Totals are not counted: on a large catalog counting every match costs
    /// many times the page itself.
    pub cards: Paged<OfferCard>,
    /// When nothing matches: the filter whose removal would bring back the most offers.
    pub loosen: Option<(String, i64)>,
    /// The kind searched in, with its makers and word choices for the filters.
    pub kind: Option<Arc<KindFacts>>,
}

fn resolve<'a>(filter: &'a Filter, spec: Option<&'a KindSpec>) -> ResolvedFilter<'a> {
    let id_of = |name: &str| spec.and_then(|s| s.characteristic(name)).map(|c| c.id.clone());
    ResolvedFilter {
        filter,
        kind: spec.map(|s| &s.kind.id),
        numbers: filter.numbers.iter().filter_map(|n| Some((id_of(&n.name)?, n.min, n.max))).collect(),
        words: filter.words.iter().filter_map(|w| Some((id_of(&w.name)?, w.values.clone()))).collect(),
    }
}

/// Filters of a search, each with the search that drops it, labelled for people.
pub fn without_each(filter: &Filter) -> Vec<(String, Filter)> {
    let mut out = Vec::new();
    let mut push = |label: String, f: Filter| out.push((label, Filter { page: 1, ..f }));
    if !filter.text.is_empty() {
        push(format!("the text “{}”", filter.text), Filter { text: String::new(), ..filter.clone() });
    }
    if !filter.makers.is_empty() {
        push("the maker".into(), Filter { makers: vec![], ..filter.clone() });
    }
    if filter.price_min.is_some() || filter.price_max.is_some() {
        push("the price range".into(), Filter { price_min: None, price_max: None, ..filter.clone() });
    }
    for (i, n) in filter.numbers.iter().enumerate() {
        let mut f = filter.clone();
        f.numbers.remove(i);
        push(n.label.to_lowercase(), f);
    }
    for (i, w) in filter.words.iter().enumerate() {
        let mut f = filter.clone();
        f.words.remove(i);
        push(w.label.to_lowercase(), f);
    }
    out
}

pub fn search(
    conn: &mut DbConnection,
    filter: &Filter,
    kind: Option<&Arc<KindFacts>>,
    viewer: Option<&UserId>,
) -> Result<SearchResult> {
    let spec = kind.map(|k| &k.spec);
    let resolved = resolve(filter, spec);
    let rows = Pager::new(filter.page, rules::PAGE_SIZE).split(repo::search(conn, &resolved)?);
    let loosen = if rows.rows.is_empty() && filter.page == 1 {
        let mut best: Option<(String, i64)> = None;
        for (label, looser) in without_each(filter) {
            let n = repo::count(conn, &resolve(&looser, spec))?;
            if n > 0 && best.as_ref().is_none_or(|(_, m)| n > *m) {
                best = Some((label, n));
            }
        }
        best
    } else {
        None
    };
    let page = Paged { rows: cards(conn, viewer, rows.rows)?, number: rows.number, has_next: rows.has_next };
    Ok(SearchResult { cards: page, loosen, kind: kind.cloned() })
}

/// A search as its page shows it: the kinds to choose from, the search read from the address
/// (with a message per part that could not be read), and the offers found.
pub struct Search {
    pub kinds: Arc<Vec<Kind>>,
    pub query: Query,
    pub filter: Filter,
    pub errors: FieldErrors,
    pub result: SearchResult,
}

/// Reads a search from its address's query and runs it: the kind's facts come from memory (see
/// `cache`), the offers and the viewer's prices from the database. An unknown kind is not found.
pub fn search_page(
    conn: &mut DbConnection,
    facts: &Facts,
    raw_query: &str,
    viewer: Option<&UserId>,
    currency: &str,
) -> Result<Search> {
    if raw_query.len() > rules::MAX_QUERY_LEN {
        return Err(CatalogError::Refused("This search is too long. Remove some filters and try again."));
    }
    let query: Query =
        url::form_urlencoded::parse(raw_query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let facts = facts.read(conn)?;
    let kind = match rules::values(&query, "kind").next() {
        Some(code) => Some(facts.kind(conn, code)?.ok_or(CatalogError::NotFound)?),
        None => None,
    };
    let (filter, errors) = rules::read_filter(&query, kind.as_ref().map(|k| k.spec.rule()).as_ref(), currency);
    let result = search(conn, &filter, kind.as_ref(), viewer)?;
    if result.cards.is_empty() && filter.page > 1 {
        return Err(CatalogError::NotFound);
    }
    Ok(Search { kinds: facts.kinds(conn)?, query, filter, errors, result })
}

/// The home page: the kinds, and the best-selling offers at the viewer's prices.
pub fn home(
    conn: &mut DbConnection,
    facts: &Facts,
    viewer: Option<&UserId>,
) -> Result<(Arc<Vec<Kind>>, Vec<OfferCard>)> {
    let kinds = facts.read(conn)?.kinds(conn)?;
    Ok((kinds, best_sellers(conn, viewer, 8)?))
}

pub fn best_sellers(conn: &mut DbConnection, viewer: Option<&UserId>, limit: u16) -> Result<Vec<OfferCard>> {
    let rows = repo::best_sellers(conn, limit)?;
    cards(conn, viewer, rows)
}

/// An offer of the product, with the price this viewer pays.
pub struct PricedOffer {
    pub offer: OfferTerms,
    pub price: i64,
}

pub struct ProductPage {
    /// The product, its kind and characteristics (kept in memory, see `cache`).
    pub facts: Arc<ProductFacts>,
    /// Every active offer of the product, cheapest (for this viewer) first.
    pub offers: Vec<PricedOffer>,
    /// The code of the offer asked for (it may have been withdrawn since).
    pub asked: String,
}

pub fn product_page(
    conn: &mut DbConnection,
    facts: &Facts,
    code: &str,
    viewer: Option<&UserId>,
) -> Result<ProductPage> {
    let facts = facts.read(conn)?.product_of_offer(conn, code)?.ok_or(CatalogError::NotFound)?;
    let offers = repo::offers_of_product(conn, &facts.product.id)?;
    let prices = effective_prices(conn, viewer, &offers.iter().map(|o| (o.id.clone(), o.price)).collect::<Vec<_>>())?;
    let mut offers: Vec<PricedOffer> = offers
        .into_iter()
        .map(|o| PricedOffer { price: prices.get(&o.id).copied().unwrap_or(o.price), offer: o })
        .collect();
    offers.sort_by(|a, b| (a.price, &a.offer.code).cmp(&(b.price, &b.offer.code)));
    Ok(ProductPage { facts, offers, asked: code.to_owned() })
}

// ---- for orders ----

/// An offer as a cart and an order need it: with its product, its kind's name and the price this
/// shopper pays now.
#[derive(Clone, Debug)]
pub struct OfferToBuy {
    pub offer: Offer,
    pub product: Product,
    pub kind_name: String,
    pub price: i64,
}

/// The offers with these codes (withdrawn ones too, so a cart can say so), priced for `viewer`.
pub fn offers_to_buy(conn: &mut DbConnection, viewer: Option<&UserId>, codes: &[String]) -> Result<Vec<OfferToBuy>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = repo::offers_in_full(conn, codes)?;
    let prices =
        effective_prices(conn, viewer, &rows.iter().map(|(o, _, _)| (o.id.clone(), o.price)).collect::<Vec<_>>())?;
    Ok(rows
        .into_iter()
        .map(|(offer, product, kind_name)| OfferToBuy {
            price: prices.get(&offer.id).copied().unwrap_or(offer.price),
            offer,
            product,
            kind_name,
        })
        .collect())
}

/// Takes units off an offer's stock in the caller's transaction. False when fewer are left (or
/// the offer was withdrawn): then nothing changed.
pub fn take_stock(conn: &mut DbConnection, offer: &OfferId, quantity: i64, at: NaiveDateTime) -> Result<bool> {
    Ok(quantity > 0 && repo::take_stock(conn, offer, quantity, at)? == 1)
}

/// Puts units back (a cancelled order's), in the caller's transaction.
pub fn return_stock(conn: &mut DbConnection, offer: &OfferId, quantity: i64, at: NaiveDateTime) -> Result<()> {
    repo::return_stock(conn, offer, quantity, at)?;
    Ok(())
}

// ---- customer prices ----

/// Whom an agreed price is for.
#[derive(Clone, Debug)]
pub enum PriceFor {
    Customer(UserId),
    Group(CustomerGroupId),
}

/// A price agreement as the salesperson types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PriceForm {
    pub offer: String,
    /// A group's ID; empty: the price is for the customer named by e-mail.
    pub group: String,
    pub customer_email: String,
    pub label: String,
    pub price: String,
    pub valid_from: String,
    pub valid_until: String,
}

/// Agrees a price from the salesperson's form: the price, the days it holds (the last one in
/// full), a label of their own, and whom it is for (a shopper named by e-mail, or one of their
/// groups). Every mistake comes back next to its field.
pub fn agree_price(conn: &mut DbConnection, seller: &UserId, form: &PriceForm, currency: &str) -> Result<()> {
    let mut errors = FieldErrors::new();
    let price = match crate::money::parse(&form.price, currency) {
        Ok(p) if p > 0 => Some(p),
        Ok(_) => {
            errors.add("price", "The price must be above zero.");
            None
        }
        Err(e) => {
            errors.add("price", e);
            None
        }
    };
    let from = rules::parse_day(&form.valid_from).map_err(|e| errors.add("valid_from", e)).ok().flatten();
    // The last day counts in full: the price ends at the start of the next day.
    let until = rules::parse_day(&form.valid_until)
        .map_err(|e| errors.add("valid_until", e))
        .ok()
        .flatten()
        .map(|d| d + chrono::Duration::days(1));
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        errors.add("valid_until", "The last day is before the first.");
    }
    let label = form.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        errors.add(
            "label",
            "Name the agreement for your own list (at most 80 characters), e.g. “ACME framework contract”.",
        );
    }
    let (Some(price), true) = (price, errors.is_empty()) else { return Err(CatalogError::Invalid(errors)) };
    let target = if form.group.is_empty() {
        PriceFor::Customer(shopper_by_email(conn, &form.customer_email)?)
    } else {
        PriceFor::Group(form.group.parse().map_err(|_| invalid("group", "Choose one of your groups."))?)
    };
    add_customer_price(conn, seller, &form.offer, target, label, price, from, until)
}

/// A shopper named by e-mail, as an ID. Only the ID is kept; the salesperson's pages show their
/// own labels, never the shopper's personal data.
fn shopper_by_email(conn: &mut DbConnection, email: &str) -> Result<UserId> {
    crate::accounts::find_user_by_email(conn, email)?
        .filter(|u| u.has_role(crate::accounts::Role::Shopper))
        .map(|u| u.id)
        .ok_or_else(|| invalid("customer_email", "No shopper is registered with this e-mail address."))
}

/// Agrees a price for one customer, or one of the salesperson's groups, on one of their offers.
#[allow(clippy::too_many_arguments)]
pub fn add_customer_price(
    conn: &mut DbConnection,
    seller: &UserId,
    offer_code: &str,
    target: PriceFor,
    label: &str,
    price: i64,
    valid_from: Option<NaiveDateTime>,
    valid_until: Option<NaiveDateTime>,
) -> Result<()> {
    if let PriceFor::Group(group) = &target
        && repo::group_of_seller(conn, seller, group)?.is_none()
    {
        return Err(invalid("group", "Choose one of your own groups."));
    }
    let (offer, _) = own_offer(conn, seller, offer_code).map_err(|e| match e {
        CatalogError::NotFound | CatalogError::NotYours => invalid("offer", "Choose one of your own offers."),
        other => other,
    })?;
    repo::insert_customer_price(
        conn,
        &CustomerPrice {
            id: CustomerPriceId::new(),
            offer_id: offer.id,
            customer_id: match &target {
                PriceFor::Customer(id) => Some(id.clone()),
                PriceFor::Group(_) => None,
            },
            group_id: match &target {
                PriceFor::Group(id) => Some(id.clone()),
                PriceFor::Customer(_) => None,
            },
            label: label.to_owned(),
            price,
            valid_from,
            valid_until,
            created_at: now(),
        },
    )?;
    Ok(())
}

/// The salesperson's agreed prices page: the prices, the offers still on sale to agree prices
/// on, and the groups to agree them with.
pub type PricesPage = (Vec<AgreedPrice>, Vec<(Offer, Product)>, Vec<CustomerGroup>);

pub fn prices_page(conn: &mut DbConnection, seller: &UserId) -> Result<PricesPage> {
    let prices = customer_prices_of_seller(conn, seller)?;
    let offers = offers_of_seller(conn, seller)?.into_iter().filter(|(o, _)| o.is_active()).collect();
    let groups = groups_of_seller(conn, seller)?.into_iter().map(|(g, _)| g).collect();
    Ok((prices, offers, groups))
}

pub fn customer_prices_of_seller(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<AgreedPrice>> {
    Ok(repo::customer_prices_of_seller(conn, seller)?)
}

pub fn remove_customer_price(conn: &mut DbConnection, seller: &UserId, id: &CustomerPriceId) -> Result<()> {
    match repo::delete_customer_price(conn, id, seller)? {
        0 => Err(CatalogError::NotFound),
        _ => Ok(()),
    }
}

// ---- customer groups ----

pub fn groups_of_seller(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<(CustomerGroup, i64)>> {
    Ok(repo::groups_of_seller(conn, seller)?)
}

pub fn create_group(conn: &mut DbConnection, seller: &UserId, name: &str) -> Result<CustomerGroupId> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(invalid("name", "Name the group (at most 80 characters), e.g. “ACME buyers”."));
    }
    if repo::group_named(conn, seller, name)?.is_some() {
        return Err(invalid("name", "You have a group of this name already."));
    }
    let group =
        CustomerGroup { id: CustomerGroupId::new(), seller_id: seller.clone(), name: name.into(), created_at: now() };
    repo::insert_group(conn, &group)?;
    Ok(group.id)
}

/// The salesperson's group with its members (404 for anyone else's).
pub fn group(
    conn: &mut DbConnection,
    seller: &UserId,
    id: &CustomerGroupId,
) -> Result<(CustomerGroup, Vec<GroupMember>)> {
    let group = repo::group_of_seller(conn, seller, id)?.ok_or(CatalogError::NotFound)?;
    let members = repo::members(conn, id)?;
    Ok((group, members))
}

/// A new member of a group as the salesperson types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub customer_email: String,
    pub label: String,
}

/// Adds the shopper with this e-mail address to the salesperson's group, under their own label.
pub fn add_member_by_email(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    form: &MemberForm,
) -> Result<()> {
    let customer = shopper_by_email(conn, &form.customer_email)?;
    add_member(conn, seller, group, &customer, &form.label)
}

/// Adds a customer (already resolved to their ID by accounts) under the salesperson's label.
pub fn add_member(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    customer: &UserId,
    label: &str,
) -> Result<()> {
    repo::group_of_seller(conn, seller, group)?.ok_or(CatalogError::NotFound)?;
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(invalid("label", "Give the member a label of your own (at most 80 characters)."));
    }
    if repo::is_member(conn, group, customer)? {
        return Err(invalid("customer_email", "This customer is in the group already."));
    }
    repo::insert_member(
        conn,
        &GroupMember { group_id: group.clone(), customer_id: customer.clone(), label: label.into(), added_at: now() },
    )?;
    Ok(())
}

pub fn remove_member(
    conn: &mut DbConnection,
    seller: &UserId,
    group: &CustomerGroupId,
    customer: &UserId,
) -> Result<()> {
    repo::group_of_seller(conn, seller, group)?.ok_or(CatalogError::NotFound)?;
    match repo::delete_member(conn, group, customer)? {
        0 => Err(CatalogError::NotFound),
        _ => Ok(()),
    }
}

// ---- equipment and consumables ----

pub fn equipment_of(conn: &mut DbConnection, owner: &UserId) -> Result<Vec<Equipment>> {
    Ok(repo::equipment_of(conn, owner)?)
}

pub fn add_equipment(conn: &mut DbConnection, owner: &UserId, maker: &str, model: &str) -> Result<()> {
    let (maker, model) = (maker.trim(), model.trim());
    let mut errors = FieldErrors::new();
    if maker.is_empty() || maker.chars().count() > 80 {
        errors.add("maker", "Enter the maker (at most 80 characters).");
    }
    if model.is_empty() || model.chars().count() > 80 {
        errors.add("model", "Enter the model (at most 80 characters).");
    }
    errors.into_result().map_err(CatalogError::Invalid)?;
    if repo::equipment_of(conn, owner)?
        .iter()
        .any(|e| e.maker.eq_ignore_ascii_case(maker) && e.model.eq_ignore_ascii_case(model))
    {
        return Err(invalid("model", "You registered this equipment already."));
    }
    repo::insert_equipment(
        conn,
        &Equipment {
            id: EquipmentId::new(),
            owner_id: owner.clone(),
            maker: maker.into(),
            model: model.into(),
            created_at: now(),
        },
    )?;
    Ok(())
}

pub fn remove_equipment(conn: &mut DbConnection, owner: &UserId, id: &EquipmentId) -> Result<()> {
    match repo::delete_equipment(conn, id, owner)? {
        0 => Err(CatalogError::NotFound),
        _ => Ok(()),
    }
}

/// The consumables that fit each piece of the shopper's equipment, with the shopper's prices.
pub fn consumables_for(conn: &mut DbConnection, owner: &UserId) -> Result<Vec<(Equipment, Vec<OfferCard>)>> {
    let mut groups = Vec::new();
    for item in repo::equipment_of(conn, owner)? {
        let rows = card_rows(repo::consumable_offers_for(conn, &item.maker, &item.model)?);
        let cards = cards(conn, Some(owner), rows)?;
        groups.push((item, cards));
    }
    Ok(groups)
}
