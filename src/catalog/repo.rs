//! Queries on the catalog's tables. Private to the module.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};

use super::model::*;
use super::rules::{COUNT_CAP, Filter, Sort};
use crate::db::DbConnection;
use crate::db::schema::{
    catalog_generation, characteristics, customer_group_members, customer_groups, customer_prices, equipment, kinds,
    offers, product_fits, product_numbers, product_words, products,
};
use crate::db::sql::{Bind, Sql};
use crate::web::pager::Pager;

// ---- kinds ----

pub fn kinds(conn: &mut DbConnection) -> QueryResult<Vec<Kind>> {
    crate::db::load_on_backend!(conn, kinds::table.order(kinds::name).select(Kind::as_select()))
}

pub fn kind_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Kind>> {
    let rows: Vec<Kind> =
        crate::db::load_on_backend!(conn, kinds::table.filter(kinds::code.eq(code)).select(Kind::as_select()))?;
    Ok(rows.into_iter().next())
}

/// The catalog's generation (see `cache`): read once per page.
pub fn generation(conn: &mut DbConnection) -> QueryResult<i64> {
    let rows: Vec<i64> =
        crate::db::load_on_backend!(conn, catalog_generation::table.select(catalog_generation::generation))?;
    Ok(rows.into_iter().next().unwrap_or(0))
}

/// Every write below that changes kinds, characteristics or products calls this in its own
/// transaction, so no instance keeps serving facts from before the change.
fn bump_generation(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::update(catalog_generation::table)
        .set(catalog_generation::generation.eq(catalog_generation::generation + 1))
        .execute(conn)?;
    Ok(())
}

pub fn insert_kind(conn: &mut DbConnection, kind: &Kind) -> QueryResult<usize> {
    bump_generation(conn)?;
    diesel::insert_into(kinds::table).values(kind).execute(conn)
}

/// A kind with its characteristics in display order.
pub fn kind_spec(conn: &mut DbConnection, code: &str) -> QueryResult<Option<KindSpec>> {
    let Some(kind) = kind_by_code(conn, code)? else { return Ok(None) };
    let characteristics = characteristics_of(conn, &kind.id)?;
    Ok(Some(KindSpec { kind, characteristics }))
}

pub fn characteristics_of(conn: &mut DbConnection, kind: &KindId) -> QueryResult<Vec<Characteristic>> {
    crate::db::load_on_backend!(
        conn,
        characteristics::table
            .filter(characteristics::kind_id.eq(kind))
            .order((characteristics::position, characteristics::name))
            .select(Characteristic::as_select())
    )
}

pub fn insert_characteristic(conn: &mut DbConnection, ch: &Characteristic) -> QueryResult<usize> {
    bump_generation(conn)?;
    diesel::insert_into(characteristics::table).values(ch).execute(conn)
}

pub fn delete_characteristic(conn: &mut DbConnection, kind: &KindId, name: &str) -> QueryResult<usize> {
    bump_generation(conn)?;
    diesel::delete(
        characteristics::table.filter(characteristics::kind_id.eq(kind)).filter(characteristics::name.eq(name)),
    )
    .execute(conn)
}

#[derive(QueryableByName)]
struct Maker {
    #[diesel(sql_type = Text)]
    maker: String,
}

/// The makers of a kind's products. A plain DISTINCT reads every product of the kind; this seeks
/// the (kind_id, maker) index once per maker instead (a "loose index scan", on both databases).
pub fn makers_of_kind(conn: &mut DbConnection, kind: &KindId) -> QueryResult<Vec<String>> {
    let mut sql = Sql::default();
    sql.push("WITH RECURSIVE m(maker) AS (SELECT MIN(maker) FROM products WHERE kind_id = ")
        .bind(Bind::Text(kind.to_string()))
        .push(" UNION ALL SELECT (SELECT MIN(p.maker) FROM products p WHERE p.kind_id = ")
        .bind(Bind::Text(kind.to_string()))
        .push(" AND p.maker > m.maker) FROM m WHERE m.maker IS NOT NULL) SELECT maker FROM m WHERE maker IS NOT NULL");
    Ok(sql.load::<Maker>(conn)?.into_iter().map(|m| m.maker).collect())
}

/// The words products of a kind use for a characteristic (for characteristics without a list).
pub fn words_in_use(conn: &mut DbConnection, ch: &CharacteristicId) -> QueryResult<Vec<String>> {
    product_words::table
        .filter(product_words::characteristic_id.eq(ch))
        .select(product_words::value)
        .distinct()
        .order(product_words::value)
        .limit(50)
        .load(conn)
}

// ---- products ----

/// A multi-row INSERT. Diesel offers batch inserts on each backend's connection but not on the
/// connection enum, so this matches on the variant with the same text in both arms.
macro_rules! insert_many {
    ($conn:expr, $table:expr, $values:expr) => {
        match $conn {
            DbConnection::Sqlite(c) => diesel::insert_into($table).values($values).execute(c),
            DbConnection::Postgresql(c) => diesel::insert_into($table).values($values).execute(c),
        }
    };
}

pub fn insert_products(conn: &mut DbConnection, rows: &[Product]) -> QueryResult<usize> {
    bump_generation(conn)?;
    insert_many!(conn, products::table, rows)
}

pub fn insert_numbers(conn: &mut DbConnection, rows: &[(ProductId, CharacteristicId, f64)]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|(p, c, v)| {
            (product_numbers::product_id.eq(p), product_numbers::characteristic_id.eq(c), product_numbers::value.eq(*v))
        })
        .collect();
    bump_generation(conn)?;
    insert_many!(conn, product_numbers::table, &values)
}

pub fn insert_words(conn: &mut DbConnection, rows: &[(ProductId, CharacteristicId, String)]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|(p, c, v)| {
            (product_words::product_id.eq(p), product_words::characteristic_id.eq(c), product_words::value.eq(v))
        })
        .collect();
    bump_generation(conn)?;
    insert_many!(conn, product_words::table, &values)
}

pub fn insert_fits(conn: &mut DbConnection, rows: &[(ProductId, String, String)]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|(p, maker, model)| {
            (product_fits::product_id.eq(p), product_fits::maker.eq(maker), product_fits::model.eq(model))
        })
        .collect();
    bump_generation(conn)?;
    insert_many!(conn, product_fits::table, &values)
}

pub fn product(conn: &mut DbConnection, id: &ProductId) -> QueryResult<Product> {
    crate::db::unique(products::table.find(id).select(Product::as_select()), conn)?
        .ok_or(diesel::result::Error::NotFound)
}

pub fn product_by_maker_model(conn: &mut DbConnection, maker: &str, model: &str) -> QueryResult<Option<Product>> {
    crate::db::unique(
        products::table
            .filter(products::maker.eq(maker))
            .filter(products::model.eq(model))
            .select(Product::as_select()),
        conn,
    )
}

/// An offer with its product and kind, in one query.
pub fn offer_in_full(conn: &mut DbConnection, code: &str) -> QueryResult<Option<(Offer, Product, Kind)>> {
    let rows: Vec<(Offer, Product, Kind)> = crate::db::load_on_backend!(
        conn,
        offers::table.inner_join(products::table.inner_join(kinds::table)).filter(offers::code.eq(code)).select((
            Offer::as_select(),
            Product::as_select(),
            Kind::as_select()
        ))
    )?;
    Ok(rows.into_iter().next())
}

/// One product's characteristics in its kind's order (`=` rather than `IN`, so diesel caches it).
pub fn shown_values_of(conn: &mut DbConnection, id: &ProductId) -> QueryResult<Vec<Shown>> {
    // Numbers and words in one statement: a product page asks this on every view.
    let mut sql = Sql::default();
    sql.push(
        "SELECT c.position, c.label, c.unit, n.value AS number, NULL AS word FROM product_numbers n \
         JOIN characteristics c ON c.id = n.characteristic_id WHERE n.product_id = ",
    )
    .bind(Bind::Text(id.to_string()))
    .push(
        " UNION ALL SELECT c.position, c.label, c.unit, NULL AS number, w.value AS word FROM product_words w \
         JOIN characteristics c ON c.id = w.characteristic_id WHERE w.product_id = ",
    )
    .bind(Bind::Text(id.to_string()))
    .push(" ORDER BY 1");
    let rows: Vec<ShownRow> = sql.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Shown {
            label: r.label,
            unit: r.unit,
            value: match (r.number, r.word) {
                (Some(n), _) => Value::Number(n).to_string(),
                (None, word) => word.unwrap_or_default(),
            },
        })
        .collect())
}

#[derive(QueryableByName)]
struct ShownRow {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Double>)]
    number: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    word: Option<String>,
}

/// Products of these kinds by maker and model, at most `limit`.
/// The names of these products (maker, model and name), by ID.
pub fn product_names(
    conn: &mut DbConnection,
    ids: &[ProductId],
) -> QueryResult<Vec<(ProductId, String, String, String)>> {
    products::table
        .filter(products::id.eq_any(ids))
        .select((products::id, products::maker, products::model, products::name))
        .load(conn)
}

pub fn products_of_kinds(conn: &mut DbConnection, kinds: &[KindId], limit: i64) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::kind_id.eq_any(kinds))
        .order((products::maker.asc(), products::model.asc()))
        .limit(limit)
        .select(Product::as_select())
        .load(conn)
}

pub fn product_ids_of_kind(conn: &mut DbConnection, kind: &KindId) -> QueryResult<Vec<ProductId>> {
    products::table.filter(products::kind_id.eq(kind)).select(products::id).load(conn)
}

pub fn set_summary(conn: &mut DbConnection, id: &ProductId, summary: &str) -> QueryResult<usize> {
    // Only after `delete_characteristic`, which moved the generation on already.
    diesel::update(products::table.find(id)).set(products::summary.eq(summary)).execute(conn)
}

pub fn fits_of(conn: &mut DbConnection, id: &ProductId) -> QueryResult<Vec<(String, String)>> {
    crate::db::load_on_backend!(
        conn,
        product_fits::table
            .filter(product_fits::product_id.eq(id))
            .select((product_fits::maker, product_fits::model))
            .order((product_fits::maker, product_fits::model))
    )
}

// ---- offers ----

pub fn insert_offers(conn: &mut DbConnection, rows: &[Offer]) -> QueryResult<usize> {
    insert_many!(conn, offers::table, rows)
}

pub fn offer_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Offer>> {
    crate::db::unique(offers::table.filter(offers::code.eq(code)).select(Offer::as_select()), conn)
}

pub fn offer_code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(offers::table.filter(offers::code.eq(code)))).get_result(conn)
}

/// Every active offer of a product, cheapest first.
pub fn offers_of_product(conn: &mut DbConnection, product: &ProductId) -> QueryResult<Vec<OfferTerms>> {
    crate::db::load_on_backend!(
        conn,
        offers::table
            .filter(offers::product_id.eq(product))
            .filter(offers::withdrawn_at.is_null())
            .order((offers::price, offers::code))
            .select(OfferTerms::as_select())
    )
}

/// Offers by code with their products, withdrawn ones too.
pub fn offers_by_codes(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<(Offer, Product)>> {
    offers::table
        .inner_join(products::table)
        .filter(offers::code.eq_any(codes))
        .select((Offer::as_select(), Product::as_select()))
        .load(conn)
}

pub fn offers_of_seller(conn: &mut DbConnection, seller: &UserId) -> QueryResult<Vec<(Offer, Product)>> {
    offers::table
        .inner_join(products::table)
        .filter(offers::seller_id.eq(seller))
        .order((offers::withdrawn_at.is_not_null(), offers::created_at.desc()))
        .select((Offer::as_select(), Product::as_select()))
        .load(conn)
}

pub fn update_offer(
    conn: &mut DbConnection,
    id: &OfferId,
    price: i64,
    stock: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(offers::table.find(id))
        .set((offers::price.eq(price), offers::stock.eq(stock), offers::updated_at.eq(now)))
        .execute(conn)
}

pub fn withdraw_offer(conn: &mut DbConnection, id: &OfferId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(offers::table.find(id).filter(offers::withdrawn_at.is_null()))
        .set((offers::withdrawn_at.eq(Some(now)), offers::updated_at.eq(now)))
        .execute(conn)
}

/// Offers by code with their product and kind's name; unknown codes are left out.
pub fn offers_in_full(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<(Offer, Product, String)>> {
    match codes {
        // One offer (a cart line, an anonymous pick): a statement of one shape, prepared once per
        // connection; a list of codes is a new statement each time.
        [code] => crate::db::load_on_backend!(
            conn,
            offers::table.inner_join(products::table.inner_join(kinds::table)).filter(offers::code.eq(code)).select((
                Offer::as_select(),
                Product::as_select(),
                kinds::name
            ))
        ),
        _ => offers::table
            .inner_join(products::table.inner_join(kinds::table))
            .filter(offers::code.eq_any(codes))
            .select((Offer::as_select(), Product::as_select(), kinds::name))
            .load(conn),
    }
}

/// Takes `quantity` units off the offer's stock if that many are there and the offer stands;
/// `None` when not (sold out or withdrawn). Never below zero, whoever runs at once. When taken,
/// whether it may have moved the product's lead: the lead's stock reached zero.
pub fn take_stock(
    conn: &mut DbConnection,
    id: &OfferId,
    quantity: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<bool>> {
    let mut q = Sql::new("UPDATE offers SET stock = stock - ");
    q.int(quantity).push(", sold = sold + ").int(quantity).push(", updated_at = ").time(now);
    q.push(" WHERE id = ").text(id.as_str()).push(" AND withdrawn_at IS NULL AND stock >= ").int(quantity);
    q.push(" RETURNING stock, is_lead");
    let rows: Vec<(i64, bool)> = q.load_as::<(BigInt, Bool), _>(conn)?;
    Ok(rows.into_iter().next().map(|(stock, is_lead)| stock == 0 && is_lead))
}

/// Puts units back on the stock of an offer (an order was cancelled), also of a withdrawn one.
/// Whether it may have moved the product's lead: an offer on sale, not leading, back from zero.
pub fn return_stock(
    conn: &mut DbConnection,
    id: &OfferId,
    quantity: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<bool>> {
    let mut q = Sql::new("UPDATE offers SET stock = stock + ");
    q.int(quantity).push(", sold = sold - ").int(quantity).push(", updated_at = ").time(now);
    q.push(" WHERE id = ").text(id.as_str());
    q.push(" RETURNING stock, is_lead, withdrawn_at IS NULL");
    let rows: Vec<(i64, bool, bool)> = q.load_as::<(BigInt, Bool, Bool), _>(conn)?;
    Ok(rows.into_iter().next().map(|(stock, is_lead, on_sale)| on_sale && !is_lead && stock == quantity))
}

/// Each offer's product and kind.
pub fn products_and_kinds_of(
    conn: &mut DbConnection,
    ids: &[OfferId],
) -> QueryResult<Vec<(OfferId, ProductId, KindId)>> {
    offers::table.filter(offers::id.eq_any(ids)).select((offers::id, offers::product_id, offers::kind_id)).load(conn)
}

/// Holds the product until the transaction ends, so that whoever changes its offers next sees
/// this transaction's changes when it picks the lead. Every transaction that changes a product's
/// offers takes this first, products in ID order: two of them never wait for each other. SQLite
/// has one writer at a time already.
pub fn lock_product(conn: &mut DbConnection, product: &ProductId) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        products::table.find(product).select(products::id).for_update().execute(c)?;
    }
    Ok(())
}

// ---- customer prices ----

pub fn insert_customer_price(conn: &mut DbConnection, row: &CustomerPrice) -> QueryResult<usize> {
    diesel::insert_into(customer_prices::table).values(row).execute(conn)
}

/// Prices agreed for this customer on these offers: their own and their groups'.
pub fn customer_prices_for(
    conn: &mut DbConnection,
    customer: &UserId,
    offer_ids: &[OfferId],
) -> QueryResult<Vec<CustomerPrice>> {
    let my_groups = customer_group_members::table
        .filter(customer_group_members::customer_id.eq(customer))
        .select(customer_group_members::group_id);
    customer_prices::table
        .filter(customer_prices::offer_id.eq_any(offer_ids))
        .filter(customer_prices::customer_id.eq(customer).or(customer_prices::group_id.eq_any(my_groups.nullable())))
        .select(CustomerPrice::as_select())
        .load(conn)
}

pub fn customer_prices_of_seller(conn: &mut DbConnection, seller: &UserId) -> QueryResult<Vec<AgreedPrice>> {
    let rows: Vec<(CustomerPrice, String, String, String, Option<String>)> = customer_prices::table
        .inner_join(offers::table.inner_join(products::table))
        .left_join(customer_groups::table)
        .filter(offers::seller_id.eq(seller))
        .order(customer_prices::created_at.desc())
        .select((
            CustomerPrice::as_select(),
            offers::code,
            products::name,
            offers::currency,
            customer_groups::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(agreed, offer_code, product_name, currency, group_name)| AgreedPrice {
            agreed,
            group_name,
            offer_code,
            product_name,
            currency,
            customer: None,
        })
        .collect())
}

// ---- customer groups ----

pub fn insert_group(conn: &mut DbConnection, group: &CustomerGroup) -> QueryResult<usize> {
    diesel::insert_into(customer_groups::table).values(group).execute(conn)
}

pub fn group_of_seller(
    conn: &mut DbConnection,
    seller: &UserId,
    id: &CustomerGroupId,
) -> QueryResult<Option<CustomerGroup>> {
    crate::db::unique(
        customer_groups::table
            .filter(customer_groups::id.eq(id))
            .filter(customer_groups::seller_id.eq(seller))
            .select(CustomerGroup::as_select()),
        conn,
    )
}

pub fn group_named(conn: &mut DbConnection, seller: &UserId, name: &str) -> QueryResult<Option<CustomerGroup>> {
    crate::db::unique(
        customer_groups::table
            .filter(customer_groups::seller_id.eq(seller))
            .filter(customer_groups::name.eq(name))
            .select(CustomerGroup::as_select()),
        conn,
    )
}

/// The salesperson's groups with their member counts.
pub fn groups_of_seller(conn: &mut DbConnection, seller: &UserId) -> QueryResult<Vec<(CustomerGroup, i64)>> {
    let groups: Vec<CustomerGroup> = customer_groups::table
        .filter(customer_groups::seller_id.eq(seller))
        .order(customer_groups::name)
        .select(CustomerGroup::as_select())
        .load(conn)?;
    // One grouped count for all groups, not a count per group.
    let ids: Vec<CustomerGroupId> = groups.iter().map(|g| g.id.clone()).collect();
    let counts: std::collections::HashMap<CustomerGroupId, i64> = customer_group_members::table
        .filter(customer_group_members::group_id.eq_any(&ids))
        .group_by(customer_group_members::group_id)
        .select((customer_group_members::group_id, diesel::dsl::count_star()))
        .load::<(CustomerGroupId, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(groups
        .into_iter()
        .map(|g| {
            let members = counts.get(&g.id).copied().unwrap_or(0);
            (g, members)
        })
        .collect())
}

pub fn members(conn: &mut DbConnection, group: &CustomerGroupId) -> QueryResult<Vec<GroupMember>> {
    customer_group_members::table
        .filter(customer_group_members::group_id.eq(group))
        .order(customer_group_members::label)
        .select(GroupMember::as_select())
        .load(conn)
}

pub fn is_member(conn: &mut DbConnection, group: &CustomerGroupId, customer: &UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        customer_group_members::table
            .filter(customer_group_members::group_id.eq(group))
            .filter(customer_group_members::customer_id.eq(customer)),
    ))
    .get_result(conn)
}

pub fn insert_member(conn: &mut DbConnection, member: &GroupMember) -> QueryResult<usize> {
    diesel::insert_into(customer_group_members::table).values(member).execute(conn)
}

pub fn delete_member(conn: &mut DbConnection, group: &CustomerGroupId, customer: &UserId) -> QueryResult<usize> {
    diesel::delete(
        customer_group_members::table
            .filter(customer_group_members::group_id.eq(group))
            .filter(customer_group_members::customer_id.eq(customer)),
    )
    .execute(conn)
}

pub fn delete_customer_price(conn: &mut DbConnection, id: &CustomerPriceId, seller: &UserId) -> QueryResult<usize> {
    let mine = offers::table.filter(offers::seller_id.eq(seller)).select(offers::id);
    diesel::delete(
        customer_prices::table.filter(customer_prices::id.eq(id)).filter(customer_prices::offer_id.eq_any(mine)),
    )
    .execute(conn)
}

// ---- equipment ----

pub fn equipment_of(conn: &mut DbConnection, owner: &UserId) -> QueryResult<Vec<Equipment>> {
    equipment::table
        .filter(equipment::owner_id.eq(owner))
        .order((equipment::maker, equipment::model))
        .select(Equipment::as_select())
        .load(conn)
}

pub fn insert_equipment(conn: &mut DbConnection, row: &Equipment) -> QueryResult<usize> {
    diesel::insert_into(equipment::table).values(row).execute(conn)
}

pub fn delete_equipment(conn: &mut DbConnection, id: &EquipmentId, owner: &UserId) -> QueryResult<usize> {
    diesel::delete(equipment::table.filter(equipment::id.eq(id)).filter(equipment::owner_id.eq(owner))).execute(conn)
}

/// Active offers of consumables that fit the given equipment model, cheapest first.
pub fn consumable_offers_for(conn: &mut DbConnection, maker: &str, model: &str) -> QueryResult<Vec<(Offer, Product)>> {
    let fitting = product_fits::table
        .filter(product_fits::maker.eq(maker))
        .filter(product_fits::model.eq(model))
        .select(product_fits::product_id);
    offers::table
        .inner_join(products::table)
        .filter(offers::product_id.eq_any(fitting))
        .filter(offers::withdrawn_at.is_null())
        .order((offers::price, offers::code))
        .select((Offer::as_select(), Product::as_select()))
        .load(conn)
}

// ---- the search ----

/// A filter with the kind and characteristics resolved to their IDs.
pub struct ResolvedFilter<'a> {
    pub filter: &'a Filter,
    pub kind: Option<&'a KindId>,
    pub numbers: Vec<(CharacteristicId, Option<f64>, Option<f64>)>,
    pub words: Vec<(CharacteristicId, Vec<String>)>,
    /// Only offers with stock left.
    pub in_stock: bool,
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// FROM and WHERE of a search: the products' lead offers (one card per product, priced by its
/// lead), joined to their products. Only lead offers are in the indexes the search walks.
fn from_where(f: &ResolvedFilter<'_>, sql: &mut Sql) {
    sql.push(" FROM offers o JOIN products p ON p.id = o.product_id WHERE o.is_lead");
    if f.in_stock {
        sql.push(" AND o.stock > 0");
    }
    if let Some(kind) = f.kind {
        sql.push(" AND o.kind_id = ").bind(Bind::Text(kind.to_string()));
    }
    if let Some(min) = f.filter.price_min {
        sql.push(" AND o.price >= ").bind(Bind::Int(min));
    }
    if let Some(max) = f.filter.price_max {
        sql.push(" AND o.price <= ").bind(Bind::Int(max));
    }
    if !f.filter.makers.is_empty() {
        sql.push(" AND p.maker IN (");
        for (i, maker) in f.filter.makers.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::Text(maker.clone()));
        }
        sql.push(")");
    }
    for term in f.filter.text.to_lowercase().split_whitespace().take(5) {
        sql.push(" AND p.search_text LIKE ").bind(Bind::Text(format!("%{}%", escape_like(term)))).push(" ESCAPE '\\'");
    }
    // Each characteristic is checked per candidate offer by a scalar subquery (one row at most, by
    // the primary key) rather than EXISTS: PostgreSQL turns EXISTS into a semi-join over every
    // matching product and sorts them all (44 ms on the benchmark catalog), while a scalar
    // subquery stays a per-row check, so both databases walk the price index and stop after a
    // page (under 4 ms).
    for (ch, min, max) in &f.numbers {
        sql.push(" AND (SELECT 1 FROM product_numbers n WHERE n.product_id = o.product_id AND n.characteristic_id = ")
            .bind(Bind::Text(ch.to_string()));
        if let Some(min) = min {
            sql.push(" AND n.value >= ").bind(Bind::Float(*min));
        }
        if let Some(max) = max {
            sql.push(" AND n.value <= ").bind(Bind::Float(*max));
        }
        sql.push(") IS NOT NULL");
    }
    for (ch, values) in &f.words {
        sql.push(" AND (SELECT 1 FROM product_words w WHERE w.product_id = o.product_id AND w.characteristic_id = ")
            .bind(Bind::Text(ch.to_string()))
            .push(" AND w.value IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Bind::Text(v.clone()));
        }
        sql.push(")) IS NOT NULL");
    }
}

/// The columns of a `CardRow`, from `offers o` joined to `products p`: the lead offer, its product,
/// and how many offers of the product are on sale.
const CARD_COLUMNS: &str = "SELECT o.id, o.code, p.name, p.summary, p.maker, p.model, o.price, o.currency, o.stock, \
     o.sold, o.seller_id, \
     p.offers_on_sale, p.picture_hash";

/// The SQL types of `CARD_COLUMNS`, in their order.
type CardColumns = (Text, Text, Text, Text, Text, Text, BigInt, Text, BigInt, BigInt, Text, BigInt, Nullable<Text>);

/// A row of `CARD_COLUMNS`, read by position: the fields are in the columns' order.
#[derive(Queryable)]
pub struct CardRow {
    pub id: OfferId,
    pub code: String,
    pub name: String,
    pub summary: String,
    pub maker: String,
    pub model: String,
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub sold: i64,
    pub seller_id: UserId,
    /// Offers of the product on sale.
    pub offers: i64,
    /// The hash of the product's first picture (its lead offer's, if that has one).
    pub picture: Option<String>,
}

/// One page of offers matching the filter, and the first offer of the next page if there is one.
/// The rows of the pager's page, and one more when another page follows.
pub fn search(conn: &mut DbConnection, f: &ResolvedFilter<'_>, pager: &Pager) -> QueryResult<Vec<CardRow>> {
    let mut sql = Sql::default();
    sql.push(CARD_COLUMNS);
    from_where(f, &mut sql);
    sql.push(match f.filter.sort {
        Sort::PriceAscending => " ORDER BY o.price ASC, o.code ASC",
        Sort::PriceDescending => " ORDER BY o.price DESC, o.code ASC",
        Sort::Newest => " ORDER BY o.created_at DESC, o.code ASC",
        Sort::BestSelling => " ORDER BY o.sold DESC, o.code ASC",
    });
    // One row more than a page tells whether there is a next page, without counting them all.
    // The LIMIT is a constant: a bound LIMIT makes SQLite recompile the statement on every
    // execution (see `db::unique`).
    sql.push(&format!(" LIMIT {} OFFSET ", pager.fetch())).bind(Bind::Int(pager.offset()));
    sql.load_as::<CardColumns, _>(conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many offers match, counted up to one more than COUNT_CAP.
pub fn count(conn: &mut DbConnection, f: &ResolvedFilter<'_>) -> QueryResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT COUNT(*) AS n FROM (SELECT 1 AS one");
    from_where(f, &mut sql);
    sql.push(&format!(" LIMIT {}) AS matching", COUNT_CAP + 1));

    Ok(sql.load::<Count>(conn)?.first().map_or(0, |c| c.n))
}

/// Best sellers across the shop.
/// The shop's best-selling offers, as cards. The LIMIT is a constant in the SQL (see `db::unique`).
pub fn best_sellers(conn: &mut DbConnection, limit: u16) -> QueryResult<Vec<CardRow>> {
    let mut sql = Sql::default();
    sql.push(CARD_COLUMNS).push(" FROM offers o JOIN products p ON p.id = o.product_id WHERE o.is_lead");
    sql.push(&format!(" ORDER BY o.sold DESC, o.code ASC LIMIT {limit}"));
    sql.load_as::<CardColumns, _>(conn)
}

// ---- pictures ----

pub fn picture_exists(conn: &mut DbConnection, hash: &str) -> QueryResult<bool> {
    use crate::db::schema::pictures;
    diesel::select(diesel::dsl::exists(pictures::table.find(hash))).get_result(conn)
}

pub fn insert_picture(conn: &mut DbConnection, row: &Picture) -> QueryResult<usize> {
    use crate::db::schema::pictures;
    diesel::insert_into(pictures::table).values(row).execute(conn)
}

pub fn insert_offer_pictures(conn: &mut DbConnection, rows: &[OfferPicture]) -> QueryResult<usize> {
    use crate::db::schema::offer_pictures;
    bump_generation(conn)?; // product pages keep their pictures with the product's facts
    insert_many!(conn, offer_pictures::table, rows)
}

pub fn pictures_of_offer(conn: &mut DbConnection, offer: &OfferId) -> QueryResult<Vec<ShownPicture>> {
    use crate::db::schema::offer_pictures;
    offer_pictures::table
        .filter(offer_pictures::offer_id.eq(offer))
        .order(offer_pictures::position)
        .select(ShownPicture::as_select())
        .load(conn)
}

/// The pictures of all of a product's offers, the lead's first where the caller sorts them.
pub fn pictures_of_product(conn: &mut DbConnection, product: &ProductId) -> QueryResult<Vec<ShownPicture>> {
    use crate::db::schema::offer_pictures;
    // Read once per product and generation, into the kept facts (`cache.rs`).
    crate::db::load_on_backend!(
        conn,
        offer_pictures::table
            .filter(offer_pictures::product_id.eq(product))
            .order((offer_pictures::position, offer_pictures::created_at))
            .select(ShownPicture::as_select())
    )
}

pub fn delete_offer_picture(conn: &mut DbConnection, offer: &OfferId, position: i32) -> QueryResult<usize> {
    use crate::db::schema::offer_pictures;
    bump_generation(conn)?;
    diesel::delete(offer_pictures::table.find((offer, position))).execute(conn)
}

/// A picture's bytes in one size (`thumb` or the page size).
pub fn picture_bytes(conn: &mut DbConnection, hash: &str, thumb: bool) -> QueryResult<Option<Vec<u8>>> {
    use crate::db::schema::pictures;
    let q = pictures::table.find(hash);
    if thumb {
        q.select(pictures::thumb).first(conn).optional()
    } else {
        q.select(pictures::page).first(conn).optional()
    }
}

/// Keeps what a product's card shows up to date: its offers on sale, its first picture and its
/// lead offer. Called in the transaction of every change to them (an offer made, withdrawn or
/// repriced, its stock reaching zero or coming back, a picture added or removed).
pub fn refresh_card(conn: &mut DbConnection, product: &ProductId) -> QueryResult<usize> {
    use crate::db::schema::offer_pictures;
    lock_product(conn, product)?;
    let on_sale: i64 = offers::table
        .filter(offers::product_id.eq(product))
        .filter(offers::withdrawn_at.is_null())
        .count()
        .get_result(conn)?;
    let picture: Option<String> = offer_pictures::table
        .filter(offer_pictures::product_id.eq(product))
        .order((offer_pictures::position, offer_pictures::created_at))
        .select(offer_pictures::picture_hash)
        .first(conn)
        .optional()?;
    let lead: Option<OfferId> = offers::table
        .filter(offers::product_id.eq(product))
        .filter(offers::withdrawn_at.is_null())
        .order((offers::stock.gt(0).desc(), offers::price, offers::code))
        .select(offers::id)
        .first(conn)
        .optional()?;
    match &lead {
        Some(lead) => diesel::update(
            offers::table.filter(offers::product_id.eq(product)).filter(offers::is_lead.or(offers::id.eq(lead))),
        )
        .set(offers::is_lead.eq(offers::id.eq(lead)))
        .execute(conn)?,
        None => diesel::update(offers::table.filter(offers::product_id.eq(product)).filter(offers::is_lead))
            .set(offers::is_lead.eq(false))
            .execute(conn)?,
    };
    diesel::update(products::table.find(product))
        .set((products::offers_on_sale.eq(on_sale), products::picture_hash.eq(picture)))
        .execute(conn)
}

/// The same for every product at once (after the demo data is loaded).
pub fn refresh_all_cards(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE offers SET is_lead = (offers.id = COALESCE(\
         (SELECT l.id FROM offers l WHERE l.product_id = offers.product_id AND l.withdrawn_at IS NULL \
         AND l.stock > 0 ORDER BY l.price, l.code LIMIT 1), \
         (SELECT l.id FROM offers l WHERE l.product_id = offers.product_id AND l.withdrawn_at IS NULL \
         ORDER BY l.price, l.code LIMIT 1))) \
         WHERE withdrawn_at IS NULL",
    )
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE products SET offers_on_sale = (SELECT COUNT(*) FROM offers o WHERE o.product_id = products.id \
         AND o.withdrawn_at IS NULL), picture_hash = (SELECT op.picture_hash FROM offer_pictures op \
         WHERE op.product_id = products.id ORDER BY op.position, op.created_at LIMIT 1)",
    )
    .execute(conn)
}
