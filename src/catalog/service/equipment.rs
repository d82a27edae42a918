//! The equipment shoppers own, and the consumables that fit it.

use super::super::model::*;
use super::super::repo;
use super::shopping::{card_rows, cards};
use super::{CatalogError, Result, invalid, now};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

// ---- equipment and consumables ----

/// A part another module draws on the consumables page (the collection's display), given the
/// shopper and the page's CSRF token; `lib.rs` wires it, so the catalog never names the module.
pub type ConsumablesPart =
    std::sync::Arc<dyn Fn(&mut DbConnection, &UserId, &str) -> anyhow::Result<String> + Send + Sync>;

/// The parts `lib.rs` registers, as app data.
#[derive(Clone, Default)]
pub struct ConsumablesParts(pub Vec<ConsumablesPart>);

/// Products of these kinds (cartridge models, for the collection desk), by maker and model.
/// What these products are called ("Acme P100"), by ID, for lists that know only the IDs
/// (analytics reads the sales history by product).
pub fn product_names(
    conn: &mut DbConnection,
    ids: &[ProductId],
) -> Result<std::collections::HashMap<ProductId, String>> {
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for (id, maker, model, _) in repo::product_names(conn, chunk)? {
            names.insert(id, format!("{maker} {model}"));
        }
    }
    Ok(names)
}

pub fn products_of_kinds(conn: &mut DbConnection, kinds: &[KindId], limit: i64) -> Result<Vec<Product>> {
    Ok(repo::products_of_kinds(conn, kinds, limit)?)
}

/// One product, if it exists.
pub fn product_of(conn: &mut DbConnection, id: &ProductId) -> Result<Option<Product>> {
    match repo::product(conn, id) {
        Ok(p) => Ok(Some(p)),
        Err(diesel::result::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

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
