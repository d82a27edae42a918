//! Products and salespeople's offers of them: created, changed, withdrawn.

use std::collections::BTreeMap;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::kinds::{kind_spec, kinds};
use super::{CatalogError, Result, invalid, now};
use crate::db::{DbConnection, DbError};
use crate::web::forms::FieldErrors;
use crate::web::pager::{Paged, Pager};

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
        is_lead: false,
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
        picture_hash: None,
    };
    repo::insert_products(conn, std::slice::from_ref(&row))?;
    let id = &row.id;
    repo::insert_numbers(conn, &numbers.into_iter().map(|(c, v)| (id.clone(), c, v)).collect::<Vec<_>>())?;
    repo::insert_words(conn, &words.into_iter().map(|(c, v)| (id.clone(), c, v)).collect::<Vec<_>>())?;
    repo::insert_fits(conn, &fits.into_iter().map(|(m, n)| (id.clone(), m, n)).collect::<Vec<_>>())?;
    let offer = offer_row(conn, &row, seller, offer, terms, currency)?;
    repo::insert_offers(conn, std::slice::from_ref(&offer))?;
    repo::refresh_card(conn, &row.id)?;
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
    repo::refresh_card(conn, &product.id)?;
    Ok(row.code)
}

/// The salesperson's offers page: their offers, and the kinds they can offer new products of.
/// How a salesperson's list of offers is ordered (the column headers' links).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OfferSort {
    #[default]
    Newest,
    Product,
    PriceUp,
    PriceDown,
    Stock,
    Sold,
}

impl OfferSort {
    pub const ALL: [(OfferSort, &'static str); 6] = [
        (OfferSort::Newest, "newest"),
        (OfferSort::Product, "product"),
        (OfferSort::PriceUp, "price"),
        (OfferSort::PriceDown, "-price"),
        (OfferSort::Stock, "stock"),
        (OfferSort::Sold, "sold"),
    ];

    pub fn parse(key: &str) -> OfferSort {
        OfferSort::ALL.iter().find(|(_, k)| *k == key).map_or(OfferSort::Newest, |(s, _)| *s)
    }

    pub fn key(self) -> &'static str {
        OfferSort::ALL.iter().find(|(s, _)| *s == self).map_or("newest", |(_, k)| k)
    }
}

/// A salesperson's offers page: one page of their offers matching `text`, in `sort` order, and
/// the kinds for a new offer.
pub struct OffersPage {
    pub offers: Paged<(Offer, Product)>,
    /// Offers of the seller matching the search (on every page).
    pub matching: usize,
    pub kinds: Vec<Kind>,
}

/// Offers per page of a salesperson's list.
pub const OFFERS_PAGE: i64 = 25;

/// The seller's offers are read by the `offers_by_seller` index and searched, ordered and cut into
/// pages here: a selling office's list is hundreds of rows, not the catalog's hundreds of thousands.
pub fn offers_page(
    conn: &mut DbConnection,
    seller: &UserId,
    text: &str,
    sort: OfferSort,
    pager: Pager,
) -> Result<OffersPage> {
    let words: Vec<String> = text.to_lowercase().split_whitespace().take(5).map(str::to_owned).collect();
    let mut offers: Vec<(Offer, Product)> = offers_of_seller(conn, seller)?
        .into_iter()
        .filter(|(o, p)| {
            let hay = format!("{} {} {} {}", o.code, p.name, p.maker, p.model).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect();
    // Withdrawn offers last whatever the order.
    let key = |o: &Offer| o.withdrawn_at.is_some();
    match sort {
        OfferSort::Newest => offers.sort_by(|a, b| (key(&a.0), b.0.created_at).cmp(&(key(&b.0), a.0.created_at))),
        OfferSort::Product => offers.sort_by(|a, b| (key(&a.0), &a.1.name).cmp(&(key(&b.0), &b.1.name))),
        OfferSort::PriceUp => offers.sort_by_key(|(o, _)| (key(o), o.price)),
        OfferSort::PriceDown => offers.sort_by_key(|(o, _)| (key(o), std::cmp::Reverse(o.price))),
        OfferSort::Stock => offers.sort_by_key(|(o, _)| (key(o), o.stock)),
        OfferSort::Sold => offers.sort_by_key(|(o, _)| (key(o), std::cmp::Reverse(o.sold))),
    }
    let matching = offers.len();
    let rows: Vec<(Offer, Product)> = offers
        .into_iter()
        .skip(usize::try_from(pager.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(pager.fetch()).unwrap_or(usize::MAX))
        .collect();
    Ok(OffersPage { offers: pager.split(rows), matching, kinds: kinds(conn)? })
}

/// Offers with their products by code, withdrawn ones too (what was bought stays known).
pub fn offers_by_codes(conn: &mut DbConnection, codes: &[String]) -> Result<Vec<(Offer, Product)>> {
    Ok(repo::offers_by_codes(conn, codes)?)
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
    repo::lock_product(conn, &offer.product_id)?;
    repo::update_offer(conn, &offer.id, terms.price, terms.stock, now())?;
    repo::refresh_card(conn, &offer.product_id)?;
    Ok(())
}

pub fn withdraw_offer(conn: &mut DbConnection, seller: &UserId, code: &str) -> Result<()> {
    let (offer, _) = own_offer(conn, seller, code)?;
    repo::lock_product(conn, &offer.product_id)?;
    repo::withdraw_offer(conn, &offer.id, now())?;
    repo::refresh_card(conn, &offer.product_id)?;
    Ok(())
}

/// Stock at or below this is low on the salesperson's start page.
pub const LOW_STOCK: i64 = 3;

/// A salesperson's start page: their offers on sale, and those low in stock or sold out.
pub fn seller_panel(
    conn: &mut DbConnection,
    user: &crate::web::identity::Identity,
) -> std::result::Result<Option<crate::web::nav::Panel>, crate::error::AppError> {
    use crate::web::nav::{Figure, Panel};
    let offers = offers_of_seller(conn, &user.id)?;
    let on_sale: Vec<&Offer> = offers.iter().map(|(o, _)| o).filter(|o| o.is_active()).collect();
    let sold_out = on_sale.iter().filter(|o| o.stock == 0).count();
    let low = on_sale.iter().filter(|o| o.stock > 0 && o.stock <= LOW_STOCK).count();
    let figures = vec![
        Figure::new("Offers on sale", on_sale.len()).link("/sell/offers"),
        Figure::new(format!("Low stock (≤ {LOW_STOCK})"), low).link("/sell/offers?sort=stock").attention(low > 0),
        Figure::new("Sold out", sold_out).link("/sell/offers?sort=stock").attention(sold_out > 0),
    ];
    Ok(Some(Panel { title: "Stock".into(), figures, chart: None }))
}
