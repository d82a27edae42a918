//! The pictures of offers: a salesperson adds and removes them; cards and product pages show them.

use super::super::model::*;
use super::super::pictures::{MAX_PER_OFFER, Prepared};
use super::super::repo;
use super::offers::own_offer;
use super::{CatalogError, Result, invalid, now};
use crate::db::DbConnection;

/// Stores a prepared picture once (by its hash) and shows it with the seller's offer, last.
pub fn add_picture(conn: &mut DbConnection, seller: &UserId, code: &str, picture: &Prepared, alt: &str) -> Result<()> {
    let (offer, product) = own_offer(conn, seller, code)?;
    let alt = alt.trim();
    if alt.chars().count() > 200 {
        return Err(invalid("alt", "Describe the picture in at most 200 characters."));
    }
    let existing = repo::pictures_of_offer(conn, &offer.id)?;
    if existing.len() >= MAX_PER_OFFER {
        return Err(invalid("picture", format!("An offer has at most {MAX_PER_OFFER} pictures. Remove one first.")));
    }
    store_picture(conn, picture)?;
    let position = existing.iter().map(|p| p.position + 1).max().unwrap_or(0);
    let alt = if alt.is_empty() { product.name.clone() } else { alt.to_owned() };
    let row = OfferPicture {
        offer_id: offer.id,
        position,
        product_id: product.id,
        picture_hash: picture.hash.clone(),
        alt,
        created_at: now(),
    };
    let product = row.product_id.clone();
    repo::insert_offer_pictures(conn, &[row])?;
    repo::refresh_card(conn, &product)?;
    Ok(())
}

/// Stores a picture unless the same one is there already.
pub fn store_picture(conn: &mut DbConnection, p: &Prepared) -> Result<()> {
    if !repo::picture_exists(conn, &p.hash)? {
        let (width, height) = (i32::try_from(p.width).unwrap_or(i32::MAX), i32::try_from(p.height).unwrap_or(i32::MAX));
        let row = Picture {
            hash: p.hash.clone(),
            thumb: p.thumb.clone(),
            page: p.page.clone(),
            width,
            height,
            created_at: now(),
        };
        repo::insert_picture(conn, &row)?;
    }
    Ok(())
}

/// Shows a stored picture with offers (the demo data's).
pub fn link_pictures(conn: &mut DbConnection, rows: &[OfferPicture]) -> Result<()> {
    repo::insert_offer_pictures(conn, rows)?;
    Ok(())
}

pub fn remove_picture(conn: &mut DbConnection, seller: &UserId, code: &str, position: i32) -> Result<()> {
    let (offer, _) = own_offer(conn, seller, code)?;
    if repo::delete_offer_picture(conn, &offer.id, position)? == 0 {
        return Err(CatalogError::NotFound);
    }
    repo::refresh_card(conn, &offer.product_id)?;
    Ok(())
}

/// A salesperson's pictures page: the offer, its product, its pictures.
pub fn offer_pictures(
    conn: &mut DbConnection,
    seller: &UserId,
    code: &str,
) -> Result<(Offer, Product, Vec<ShownPicture>)> {
    let (offer, product) = own_offer(conn, seller, code)?;
    let pictures = repo::pictures_of_offer(conn, &offer.id)?;
    Ok((offer, product, pictures))
}

/// A picture's bytes, thumbnail or page size.
pub fn picture_bytes(conn: &mut DbConnection, hash: &str, thumb: bool) -> Result<Option<Vec<u8>>> {
    Ok(repo::picture_bytes(conn, hash, thumb)?)
}
