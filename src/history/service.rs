//! Writing the stores, in the caller's transaction: a sale is in the history exactly when the
//! change that made it (an order delivered, a purchase paid) commits.

use chrono::NaiveDateTime;

use super::model::*;
use super::{repo, rules};
use crate::db::{DbConnection, DbError};

pub type Result<T> = std::result::Result<T, DbError>;

/// Adds sales to the history, dated by the day of `at`.
pub fn record_sales(conn: &mut DbConnection, sales: &[Sale], at: NaiveDateTime) -> Result<()> {
    let day = rules::day_of(at);
    let rows: Vec<SaleRow> = sales
        .iter()
        .map(|s| SaleRow {
            id: SaleId::random(),
            day,
            channel: s.channel,
            kind_id: s.kind.clone(),
            product_id: s.product.clone(),
            offer_id: s.offer.clone(),
            office_id: s.office.clone(),
            quantity: s.quantity,
            unit_price: s.unit_price,
            currency: s.currency.clone(),
        })
        .collect();
    if !rows.is_empty() {
        repo::insert_sales(conn, &rows)?;
    }
    Ok(())
}

/// Adds a purchase request to the preference store, dated by the hour of `at`.
pub fn record_request(conn: &mut DbConnection, request: &PurchaseRequest, at: NaiveDateTime) -> Result<RequestId> {
    let id = RequestId::random();
    repo::insert_request(
        conn,
        &RequestRow {
            id: id.clone(),
            asked_hour: rules::hour_of(at),
            kind_id: request.kind.clone(),
            maker: request.maker.clone(),
            price_max: request.price_max,
            currency: request.currency.clone(),
            matches: request.matches,
        },
    )?;
    let rows: Vec<ConstraintRow> = request
        .constraints
        .iter()
        .zip(0..)
        .map(|(c, position)| match c {
            Constraint::Range { characteristic, min, max } => ConstraintRow {
                request_id: id.clone(),
                position,
                characteristic: characteristic.clone(),
                min_value: *min,
                max_value: *max,
                word: None,
            },
            Constraint::Word { characteristic, word } => ConstraintRow {
                request_id: id.clone(),
                position,
                characteristic: characteristic.clone(),
                min_value: None,
                max_value: None,
                word: Some(word.clone()),
            },
        })
        .collect();
    if !rows.is_empty() {
        repo::insert_constraints(conn, &rows)?;
    }
    Ok(id)
}

// ---- reading: what `analytics` asks of the stores ----

/// Sales in the scope by day, kind, product and unit price.
pub fn sales_groups(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<SalesGroup>> {
    Ok(repo::sales_groups(conn, scope)?)
}

/// Requests in the scope by kind and whether they matched anything.
pub fn request_groups(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<RequestGroup>> {
    Ok(repo::request_groups(conn, scope)?)
}

/// Requests in the scope by kind, matched or not, and each characteristic as it was asked.
pub fn constraint_groups(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<ConstraintGroup>> {
    Ok(repo::constraint_groups(conn, scope)?)
}
