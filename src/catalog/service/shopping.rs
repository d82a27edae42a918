//! What shoppers see: searches, the home page, a product's offers at the viewer's prices, and the
//! offers a cart and an order need.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;

use super::super::cache::{Facts, KindFacts, ProductFacts};
use super::super::model::*;
use super::super::repo::{self, ResolvedFilter};
use super::super::rules::{self, Filter, Query};
use super::{CatalogError, Result, now};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;
use crate::web::pager::{Paged, Pager};

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
pub(super) fn cards(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    rows: Vec<repo::CardRow>,
) -> Result<Vec<OfferCard>> {
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
            offers: r.offers,
            picture: r.picture,
        })
        .collect())
}

/// Card rows for offers with their products, one per product: its lead offer (the cheapest in
/// stock, else the cheapest), in the order the products first appear.
pub(super) fn card_rows(pairs: Vec<(Offer, Product)>) -> Vec<repo::CardRow> {
    let lead_key = |o: &Offer| (o.stock == 0, o.price, o.code.clone());
    let mut order: Vec<ProductId> = Vec::new();
    let mut by_product: HashMap<ProductId, ((Offer, Product), i64)> = HashMap::new();
    for (o, p) in pairs {
        match by_product.get_mut(&p.id) {
            Some((lead, count)) => {
                *count += 1;
                if lead_key(&o) < lead_key(&lead.0) {
                    *lead = (o, p);
                }
            }
            None => {
                order.push(p.id.clone());
                by_product.insert(p.id.clone(), ((o, p), 1));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_product.remove(&id))
        .map(|((o, p), offers)| repo::CardRow {
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
            offers,
            picture: p.picture_hash,
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

fn resolve<'a>(filter: &'a Filter, spec: Option<&'a KindSpec>, in_stock: bool) -> ResolvedFilter<'a> {
    let id_of = |name: &str| spec.and_then(|s| s.characteristic(name)).map(|c| c.id.clone());
    ResolvedFilter {
        filter,
        kind: spec.map(|s| &s.kind.id),
        numbers: filter.numbers.iter().filter_map(|n| Some((id_of(&n.name)?, n.min, n.max))).collect(),
        words: filter.words.iter().filter_map(|w| Some((id_of(&w.name)?, w.values.clone()))).collect(),
        in_stock,
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
    search_for(conn, filter, kind, viewer, false, Pager::new(filter.page, rules::PAGE_SIZE))
}

/// The first `shown` matching offers with stock left (the anonymous purchase request's results:
/// only what can be bought, and no more rows than it shows), or what to loosen when none match.
pub fn search_in_stock(
    conn: &mut DbConnection,
    filter: &Filter,
    kind: &Arc<KindFacts>,
    shown: i64,
) -> Result<SearchResult> {
    search_for(conn, filter, Some(kind), None, true, Pager::first(shown))
}

fn search_for(
    conn: &mut DbConnection,
    filter: &Filter,
    kind: Option<&Arc<KindFacts>>,
    viewer: Option<&UserId>,
    in_stock: bool,
    pager: Pager,
) -> Result<SearchResult> {
    let spec = kind.map(|k| &k.spec);
    let resolved = resolve(filter, spec, in_stock);
    let rows = pager.split(repo::search(conn, &resolved, &pager)?);
    let loosen = if rows.rows.is_empty() && pager.number == 1 {
        let mut best: Option<(String, i64)> = None;
        for (label, looser) in without_each(filter) {
            let n = repo::count(conn, &resolve(&looser, spec, in_stock))?;
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
    /// Who sells each offer, as shoppers know them (the selling office's name; see `SellerNames`).
    pub sellers: HashMap<UserId, String>,
    /// The pictures of the product's offers, the asked offer's first.
    pub pictures: Vec<ShownPicture>,
}

impl ProductPage {
    pub fn seller_of(&self, offer: &OfferTerms) -> &str {
        self.sellers.get(&offer.seller_id).map_or("", String::as_str)
    }
}

/// Names the sellers of offers for shoppers. The selling offices are the e-check's registry, a
/// module beside this one, so `lib.rs` wires the lookup in (app data).
pub type NameSellers = dyn Fn(&mut DbConnection, &[UserId]) -> std::result::Result<HashMap<UserId, String>, crate::db::DbError>
    + Send
    + Sync;

#[derive(Clone)]
pub struct SellerNames(pub Arc<NameSellers>);

pub fn product_page(
    conn: &mut DbConnection,
    facts: &Facts,
    code: &str,
    viewer: Option<&UserId>,
    names: Option<&SellerNames>,
) -> Result<ProductPage> {
    let facts = facts.read(conn)?.product_of_offer(conn, code)?.ok_or(CatalogError::NotFound)?;
    let offers = repo::offers_of_product(conn, &facts.product.id)?;
    let prices = effective_prices(conn, viewer, &offers.iter().map(|o| (o.id.clone(), o.price)).collect::<Vec<_>>())?;
    let mut offers: Vec<PricedOffer> = offers
        .into_iter()
        .map(|o| PricedOffer { price: prices.get(&o.id).copied().unwrap_or(o.price), offer: o })
        .collect();
    offers.sort_by(|a, b| (a.price, &a.offer.code).cmp(&(b.price, &b.offer.code)));
    let sellers = match names {
        Some(names) => {
            let mut ids: Vec<UserId> = offers.iter().map(|o| o.offer.seller_id.clone()).collect();
            ids.sort();
            ids.dedup();
            (names.0)(conn, &ids)?
        }
        None => HashMap::new(),
    };
    let mut pictures = facts.pictures.clone();
    let asked = offers.iter().find(|o| o.offer.code == code).map(|o| o.offer.id.clone());
    pictures.sort_by_key(|p| (Some(&p.offer_id) != asked.as_ref(), p.position));
    let mut seen = std::collections::HashSet::new();
    pictures.retain(|p| seen.insert(p.picture_hash.clone()));
    Ok(ProductPage { facts, offers, asked: code.to_owned(), sellers, pictures })
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

/// Each offer's product and kind; unknown offers are left out.
pub fn products_and_kinds_of(
    conn: &mut DbConnection,
    offers: &[OfferId],
) -> Result<HashMap<OfferId, (ProductId, KindId)>> {
    Ok(repo::products_and_kinds_of(conn, offers)?.into_iter().map(|(o, p, k)| (o, (p, k))).collect())
}

/// Units of one offer to take from its stock or put back.
#[derive(Clone, Debug)]
pub struct StockLine {
    pub offer: OfferId,
    pub quantity: i64,
}

/// Takes the lines' units off their offers' stock in the caller's transaction. `Some(offer)`
/// names an offer with fewer units left than asked (or withdrawn): the caller must then give up
/// the transaction, as lines before it were taken. Products are held in ID order, each before any
/// of its offers changes (`repo::lock_product`), and their lead offers move where the stock
/// taken makes them.
pub fn take_stock(conn: &mut DbConnection, lines: &[StockLine], at: NaiveDateTime) -> Result<Option<OfferId>> {
    for (product, lines) in by_product(conn, lines)? {
        repo::lock_product(conn, &product)?;
        let mut lead_may_move = false;
        for line in lines {
            let taken = if line.quantity > 0 { repo::take_stock(conn, &line.offer, line.quantity, at)? } else { None };
            match taken {
                Some(moves) => lead_may_move |= moves,
                None => return Ok(Some(line.offer.clone())),
            }
        }
        if lead_may_move {
            repo::refresh_card(conn, &product)?;
        }
    }
    Ok(None)
}

/// Puts units back (a cancelled order's), in the caller's transaction, in the order of `take_stock`.
pub fn return_stock(conn: &mut DbConnection, lines: &[StockLine], at: NaiveDateTime) -> Result<()> {
    for (product, lines) in by_product(conn, lines)? {
        repo::lock_product(conn, &product)?;
        let mut lead_may_move = false;
        for line in lines {
            lead_may_move |= repo::return_stock(conn, &line.offer, line.quantity, at)?.unwrap_or(false);
        }
        if lead_may_move {
            repo::refresh_card(conn, &product)?;
        }
    }
    Ok(())
}

/// The lines grouped by their offers' products, products and offers each in ID order (the order
/// every transaction changing stock holds them in). Lines of unknown offers are left out.
fn by_product<'a>(
    conn: &mut DbConnection,
    lines: &'a [StockLine],
) -> Result<std::collections::BTreeMap<ProductId, Vec<&'a StockLine>>> {
    let ids: Vec<OfferId> = lines.iter().map(|l| l.offer.clone()).collect();
    let products = products_and_kinds_of(conn, &ids)?;
    let mut grouped: std::collections::BTreeMap<ProductId, Vec<&StockLine>> = Default::default();
    for line in lines {
        if let Some((product, _)) = products.get(&line.offer) {
            grouped.entry(product.clone()).or_default().push(line);
        }
    }
    for lines in grouped.values_mut() {
        lines.sort_by(|a, b| a.offer.cmp(&b.offer));
    }
    Ok(grouped)
}
