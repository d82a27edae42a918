//! What the shoppers' pages read on every view but what changes only when an admin edits kinds or
//! a salesperson adds a product or a picture: the kinds, each kind's characteristics, makers and
//! word choices, and each offer's product with its characteristics and pictures. Each app instance
//! keeps them in memory.
//!
//! They are tagged with the catalog's generation, a counter that every change to kinds,
//! characteristics and products moves on in its own transaction (`repo::bump_generation`). A page
//! reads the counter first (one cached statement on a one-row table) and uses only facts of that
//! generation, so a change made through any instance shows on the next page everywhere. Prices,
//! stock and withdrawals are never kept here: pages read them fresh.
//!
//! The cache lives in the app's state, not in a static: tests run many apps on different databases
//! in one process.

use std::sync::{Arc, OnceLock, RwLock};

use quick_cache::sync::Cache;

use super::model::*;
use super::repo;
use crate::db::DbConnection;

type Result<T> = diesel::QueryResult<T>;

/// A word characteristic and the values a shopper can choose.
#[derive(Clone, Debug)]
pub struct WordChoice {
    pub name: String,
    pub label: String,
    pub values: Vec<String>,
}

/// Offers whose product facts are kept at most (a product page's worth each, about 1 kB).
const PRODUCTS_KEPT: usize = 20_000;
/// Kinds whose characteristics, makers and words are kept at most.
const KINDS_KEPT: usize = 1_000;

/// A kind with what its search page offers to filter by.
pub struct KindFacts {
    pub spec: KindSpec,
    pub makers: Vec<String>,
    pub word_choices: Vec<WordChoice>,
}

/// What a product page shows of the product an offer sells; its offers are read fresh.
pub struct ProductFacts {
    pub product: Product,
    pub kind: Kind,
    pub shown: Vec<Shown>,
    pub fits: Vec<(String, String)>,
    /// The pictures of all the product's offers (adding or removing one moves the generation on).
    pub pictures: Vec<ShownPicture>,
}

/// The facts of one generation.
struct Generation {
    number: i64,
    kinds: OnceLock<Arc<Vec<Kind>>>,
    kinds_by_code: Cache<String, Arc<KindFacts>>,
    products_by_offer: Cache<String, Arc<ProductFacts>>,
}

impl Generation {
    fn new(number: i64) -> Generation {
        Generation {
            number,
            kinds: OnceLock::new(),
            kinds_by_code: Cache::new(KINDS_KEPT),
            products_by_offer: Cache::new(PRODUCTS_KEPT),
        }
    }
}

/// The app's cache of catalog facts (cheap to clone: one shared cache).
#[derive(Clone)]
pub struct Facts {
    current: Arc<RwLock<Arc<Generation>>>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts { current: Arc::new(RwLock::new(Arc::new(Generation::new(i64::MIN)))) }
    }
}

impl Facts {
    /// The facts as the connection sees the catalog now. Call once per page, inside its read.
    pub fn read(&self, conn: &mut DbConnection) -> Result<FactsView> {
        let number = repo::generation(conn)?;
        let seen = self.current.read().unwrap_or_else(|p| p.into_inner()).clone();
        if seen.number == number {
            return Ok(FactsView { generation: Some(seen) });
        }
        if seen.number > number {
            // This connection's snapshot is older than facts already kept: read around them.
            return Ok(FactsView { generation: None });
        }
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.number < number {
            *current = Arc::new(Generation::new(number));
        }
        let generation = (current.number == number).then(|| current.clone());
        Ok(FactsView { generation })
    }
}

/// The facts of the generation one page sees. Without a generation (an old snapshot) every fact
/// is read from the database and not kept.
pub struct FactsView {
    generation: Option<Arc<Generation>>,
}

impl FactsView {
    /// Every kind, by name.
    pub fn kinds(&self, conn: &mut DbConnection) -> Result<Arc<Vec<Kind>>> {
        if let Some(kept) = self.generation.as_ref().and_then(|g| g.kinds.get()) {
            return Ok(kept.clone());
        }
        let kinds = Arc::new(repo::kinds(conn)?);
        if let Some(g) = &self.generation {
            // Two pages may read them at once; either's list is the same.
            let _ = g.kinds.set(kinds.clone());
        }
        Ok(kinds)
    }

    /// A kind with its characteristics, makers and word choices; `None` for an unknown code.
    pub fn kind(&self, conn: &mut DbConnection, code: &str) -> Result<Option<Arc<KindFacts>>> {
        if let Some(kept) = self.generation.as_ref().and_then(|g| g.kinds_by_code.get(code)) {
            return Ok(Some(kept));
        }
        let Some(facts) = load_kind(conn, code)? else { return Ok(None) };
        let facts = Arc::new(facts);
        if let Some(g) = &self.generation {
            g.kinds_by_code.insert(code.to_owned(), facts.clone());
        }
        Ok(Some(facts))
    }

    /// The product an offer sells, with its kind and characteristics; `None` for an unknown code.
    pub fn product_of_offer(&self, conn: &mut DbConnection, offer_code: &str) -> Result<Option<Arc<ProductFacts>>> {
        if let Some(kept) = self.generation.as_ref().and_then(|g| g.products_by_offer.get(offer_code)) {
            return Ok(Some(kept));
        }
        let Some((_, product, kind)) = repo::offer_in_full(conn, offer_code)? else { return Ok(None) };
        let shown = repo::shown_values_of(conn, &product.id)?;
        // Only consumables fit equipment; other products need not ask.
        let fits = if product.is_consumable { repo::fits_of(conn, &product.id)? } else { Vec::new() };
        let pictures = repo::pictures_of_product(conn, &product.id)?;
        let facts = Arc::new(ProductFacts { product, kind, shown, fits, pictures });
        if let Some(g) = &self.generation {
            g.products_by_offer.insert(offer_code.to_owned(), facts.clone());
        }
        Ok(Some(facts))
    }
}

fn load_kind(conn: &mut DbConnection, code: &str) -> Result<Option<KindFacts>> {
    let Some(spec) = repo::kind_spec(conn, code)? else { return Ok(None) };
    let makers = repo::makers_of_kind(conn, &spec.kind.id)?;
    let mut word_choices = Vec::new();
    for ch in spec.characteristics.iter().filter(|c| !c.is_number) {
        let listed: Vec<String> = ch.words().into_iter().map(str::to_owned).collect();
        let values = if listed.is_empty() { repo::words_in_use(conn, &ch.id)? } else { listed };
        word_choices.push(WordChoice { name: ch.name.clone(), label: ch.label.clone(), values });
    }
    Ok(Some(KindFacts { spec, makers, word_choices }))
}
