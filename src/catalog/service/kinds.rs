//! Kinds of goods and the characteristics shoppers filter them by, as administrators set them.

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::{CatalogError, Result, invalid, now};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

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
