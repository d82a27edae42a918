//! Templates of the catalog pages, and the helpers they use to show prices and searches.

use askama::Template;

use super::model::*;
use super::rules::{self, Filter, Query};
use super::service::{MemberForm, PriceForm, ProductPage, SearchResult};
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;

#[derive(Template)]
#[template(path = "catalog/home.html")]
pub struct HomePage {
    pub l: Layout,
    pub kinds: std::sync::Arc<Vec<Kind>>,
    pub best: Vec<OfferCard>,
}

/// An active filter as a removable chip: what it is and the URL without it.
pub struct Chip {
    pub label: String,
    pub remove: String,
}

#[derive(Template)]
#[template(path = "catalog/search.html")]
pub struct SearchPage {
    pub l: Layout,
    pub kinds: std::sync::Arc<Vec<Kind>>,
    pub query: Query,
    pub filter: Filter,
    pub errors: FieldErrors,
    pub result: SearchResult,
    pub chips: Vec<Chip>,
}

fn encode(query: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

impl SearchPage {
    /// The first value of a parameter, for the filter form.
    pub fn value(&self, name: impl AsRef<str>) -> &str {
        rules::values(&self.query, name.as_ref()).next().unwrap_or("")
    }

    pub fn is_chosen(&self, name: impl AsRef<str>, value: impl AsRef<str>) -> bool {
        rules::values(&self.query, name.as_ref()).any(|v| v == value.as_ref())
    }

    /// This search on another page, up to the page's number.
    pub fn page_prefix(&self) -> String {
        let q: Vec<(String, String)> = self.query.iter().filter(|(k, _)| k != "page").cloned().collect();
        if q.is_empty() { "/catalog?page=".to_owned() } else { format!("/catalog?{}&page=", encode(&q)) }
    }

    /// Whether the search is in the order named `key`.
    pub fn is_sort(&self, key: &str) -> bool {
        let sort = self.filter.sort;
        rules::Sort::ALL.iter().any(|(s, k, _)| *s == sort && *k == key)
    }

    /// "5 offers" when all fit on the first page, else which of them this page shows.
    pub fn total_text(&self) -> String {
        let shown = self.result.cards.rows.len() as i64;
        let first = (self.filter.page - 1) * rules::PAGE_SIZE + 1;
        match (self.filter.page, self.result.cards.has_next, shown) {
            (_, _, 0) => "No products match".into(),
            (1, false, 1) => "1 product".into(),
            (1, false, n) => format!("{n} products"),
            (_, true, n) => format!("Products {first}–{}; more on the next page", first + n - 1),
            (_, false, n) => format!("Products {first}–{} (the last page)", first + n - 1),
        }
    }
}

/// Chips for the active parts of a search, each linking to the search without it.
pub fn chips(query: &Query, spec: Option<&KindSpec>) -> Vec<Chip> {
    let label_of = |key: &str| -> String {
        let (name, suffix) = match key.strip_suffix("_min") {
            Some(n) => (n, " from"),
            None => match key.strip_suffix("_max") {
                Some(n) => (n, " up to"),
                None => (key, ""),
            },
        };
        let base = match name {
            "q" => "Text".to_owned(),
            "maker" => "Maker".to_owned(),
            "price" => "Price".to_owned(),
            other => spec.and_then(|s| s.characteristic(other)).map_or_else(|| other.to_owned(), |c| c.label.clone()),
        };
        format!("{base}{suffix}")
    };
    query
        .iter()
        .enumerate()
        .filter(|(_, (k, v))| !v.trim().is_empty() && !matches!(k.as_str(), "kind" | "sort" | "page"))
        .map(|(i, (k, v))| {
            let rest: Vec<(String, String)> = query
                .iter()
                .enumerate()
                .filter(|(j, (k2, _))| *j != i && k2 != "page")
                .map(|(_, p)| p.clone())
                .collect();
            Chip {
                label: format!("{}: {}", label_of(k), v.chars().take(40).collect::<String>()),
                remove: format!("/catalog?{}", encode(&rest)),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "catalog/product.html")]
pub struct ProductView {
    pub l: Layout,
    pub p: ProductPage,
    /// The viewer may sell: the page offers to add their own offer of this product.
    pub can_sell: bool,
    /// The viewer may buy: a visitor or a shopper.
    pub can_buy: bool,
}

#[derive(Template)]
#[template(path = "catalog/consumables.html")]
pub struct ConsumablesPage {
    pub l: Layout,
    pub groups: Vec<(Equipment, Vec<OfferCard>)>,
    /// What other modules draw below the consumables (the collection's display), as HTML.
    pub parts: Vec<String>,
}

#[derive(Template)]
#[template(path = "catalog/equipment.html")]
pub struct EquipmentPage {
    pub l: Layout,
    pub items: Vec<Equipment>,
    pub maker: String,
    pub model: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "catalog/sell_offers.html")]
pub struct SellOffersPage {
    pub l: Layout,
    pub found: crate::catalog::OffersPage,
    pub q: String,
    pub sort: crate::catalog::OfferSort,
}

impl SellOffersPage {
    /// The list's address with this text, this order and the page number to follow.
    fn address(&self, sort: crate::catalog::OfferSort) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("sort", sort.key())
            .finish();
        format!("/sell/offers?{query}")
    }

    pub fn page_prefix(&self) -> String {
        format!("{}&page=", self.address(self.sort))
    }

    /// A column header's link: its order, or the reverse for price when it is the order already.
    pub fn sort_href(&self, key: &str) -> String {
        use crate::catalog::OfferSort;
        let wanted = match OfferSort::parse(key) {
            OfferSort::PriceUp if self.sort == OfferSort::PriceUp => OfferSort::PriceDown,
            other => other,
        };
        self.address(wanted)
    }

    /// `aria-sort` for a column header.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        use crate::catalog::OfferSort;
        match (key, self.sort) {
            ("price", OfferSort::PriceUp) | ("product", OfferSort::Product) => "ascending",
            ("price", OfferSort::PriceDown) | ("stock", OfferSort::Stock) => "descending",
            ("sold", OfferSort::Sold) | ("newest", OfferSort::Newest) => "descending",
            _ => "none",
        }
    }

    pub fn count_text(&self) -> String {
        crate::web::text::count(self.found.matching as i64, "offer", "offers")
    }
}

#[derive(Template)]
#[template(path = "catalog/sell_new.html")]
pub struct NewOfferPage {
    pub l: Layout,
    /// None: offering an existing product (`existing` then names it).
    pub spec: Option<KindSpec>,
    pub existing: Option<(String, Product)>,
    pub product: super::service::ProductForm,
    pub offer: super::service::OfferForm,
    pub errors: FieldErrors,
}

impl NewOfferPage {
    pub fn is_value(&self, name: impl AsRef<str>, value: &str) -> bool {
        self.value_of(name) == value
    }

    pub fn value_of(&self, name: impl AsRef<str>) -> &str {
        self.product.values.get(name.as_ref()).map(String::as_str).unwrap_or("")
    }

    pub fn action(&self) -> String {
        match (&self.spec, &self.existing) {
            (_, Some((code, _))) => format!("/sell/offers/add/{code}"),
            (Some(spec), None) => format!("/sell/offers/new/{}", spec.kind.code),
            (None, None) => "/sell/offers".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "catalog/sell_prices.html")]
pub struct PricesPage {
    pub l: Layout,
    pub prices: Vec<AgreedPrice>,
    pub offers: Vec<(Offer, Product)>,
    pub groups: Vec<CustomerGroup>,
    pub form: PriceForm,
    pub errors: FieldErrors,
}

impl PricesPage {
    pub fn is_group(&self, id: &CustomerGroupId) -> bool {
        self.form.group == id.as_str()
    }
}

#[derive(Template)]
#[template(path = "catalog/sell_groups.html")]
pub struct GroupsPage {
    pub l: Layout,
    pub groups: Vec<(CustomerGroup, i64)>,
    /// Not `name`: the form macro's first parameter is called that.
    pub group_name: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "catalog/sell_group.html")]
pub struct GroupPage {
    pub l: Layout,
    pub group: CustomerGroup,
    pub members: Vec<GroupMember>,
    pub form: MemberForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "catalog/admin_kinds.html")]
pub struct AdminKindsPage {
    pub l: Layout,
    pub kinds: Vec<Kind>,
    pub code: String,
    /// Not `name`: the form macro's first parameter is called that and would shadow it.
    pub kind_name: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "catalog/admin_kind.html")]
pub struct AdminKindPage {
    pub l: Layout,
    pub spec: KindSpec,
    pub form: super::service::CharacteristicForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "catalog/sell_pictures.html")]
pub struct OfferPicturesPage {
    pub l: Layout,
    pub offer: Offer,
    pub product: Product,
    pub pictures: Vec<ShownPicture>,
    pub alt: String,
    pub errors: FieldErrors,
}

impl OfferPicturesPage {
    /// The upload's address: a file upload carries the CSRF token there (see `web::csrf`).
    pub fn upload_action(&self) -> String {
        format!("/sell/offers/{}/pictures?csrf_token={}", self.offer.code, self.l.csrf)
    }

    pub fn room(&self) -> bool {
        self.pictures.len() < crate::catalog::pictures::MAX_PER_OFFER
    }
}
