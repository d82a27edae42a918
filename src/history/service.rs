//! Writing the stores, in the caller's transaction: a sale is in the history exactly when the
//! change that made it (an order delivered, a purchase paid) commits.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;

use super::model::*;
use super::{repo, rules};
use crate::catalog::{KindId, ProductId};
use crate::db::{DbConnection, DbError};
use crate::echeck::OfficeId;

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
    for chunk in rows.chunks(INSERT_CHUNK) {
        repo::insert_sales(conn, chunk)?;
    }
    repo::add_sales_of_days(conn, &sales_of_days(&rows))?;
    Ok(())
}

/// Adds a purchase request to the preference store, dated by the hour of `at`.
pub fn record_request(conn: &mut DbConnection, request: &PurchaseRequest, at: NaiveDateTime) -> Result<RequestId> {
    let mut ids = record_requests(conn, &[(request, at)])?;
    Ok(ids.pop().unwrap_or_else(RequestId::random))
}

/// Adds purchase requests to the preference store, each dated by the hour it was asked, in few
/// statements (the demo seeds a million this way).
pub fn record_requests(conn: &mut DbConnection, asked: &[(&PurchaseRequest, NaiveDateTime)]) -> Result<Vec<RequestId>> {
    let mut requests = Vec::with_capacity(asked.len());
    let mut constraints = Vec::new();
    for (request, at) in asked {
        let id = RequestId::random();
        requests.push(RequestRow {
            id: id.clone(),
            asked_hour: rules::hour_of(*at),
            kind_id: request.kind.clone(),
            maker: request.maker.clone(),
            price_max: request.price_max,
            currency: request.currency.clone(),
            matches: request.matches,
        });
        constraints.extend(request.constraints.iter().zip(0..).map(|(c, position)| constraint_row(&id, position, c)));
    }
    for chunk in requests.chunks(INSERT_CHUNK) {
        repo::insert_requests(conn, chunk)?;
    }
    for chunk in constraints.chunks(INSERT_CHUNK) {
        repo::insert_constraints(conn, chunk)?;
    }
    let (of_days, asks_of_days) = requests_of_days(asked);
    repo::add_requests_of_days(conn, &of_days)?;
    repo::add_constraints_of_days(conn, &asks_of_days)?;
    repo::add_constraints_of_months(conn, &months_of(&asks_of_days))?;
    Ok(requests.into_iter().map(|r| r.id).collect())
}

type SaleKey<'a> = (NaiveDateTime, &'a KindId, &'a ProductId, i64, &'a OfficeId);

/// The sales summed by day, kind, product, unit price and office, in that (the key's) order.
fn sales_of_days(rows: &[SaleRow]) -> Vec<SalesOfDay> {
    let mut sums: BTreeMap<SaleKey<'_>, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let sum = sums.entry((r.day, &r.kind_id, &r.product_id, r.unit_price, &r.office_id)).or_default();
        sum.0 += r.quantity;
        sum.1 += r.quantity.signum();
    }
    sums.into_iter()
        .map(|((day, kind, product, unit_price, office), (quantity, sales))| SalesOfDay {
            day,
            kind_id: kind.clone(),
            product_id: product.clone(),
            unit_price,
            office_id: office.clone(),
            quantity,
            sales,
        })
        .collect()
}

/// A constraint as the sums by the day key it: word ('' for a range), and each bound with a flag.
type Ask = (String, String, bool, u64, bool, u64);

fn ask_of(c: &Constraint) -> Ask {
    let bound = |b: Option<f64>| (b.is_some(), b.unwrap_or(0.0).to_bits());
    match c {
        Constraint::Range { characteristic, min, max } => {
            let ((has_min, min), (has_max, max)) = (bound(*min), bound(*max));
            (characteristic.clone(), String::new(), has_min, min, has_max, max)
        }
        Constraint::Word { characteristic, word } => (characteristic.clone(), word.clone(), false, 0, false, 0),
    }
}

/// The days' sums summed again by the month, in their key's order.
fn months_of(days: &[ConstraintsOfDay]) -> Vec<ConstraintsOfMonth> {
    let mut sums: BTreeMap<(NaiveDateTime, AskKey<'_>), (&ConstraintsOfDay, i64)> = BTreeMap::new();
    for d in days {
        sums.entry((rules::month_of(d.day), ask_key(d))).or_insert((d, 0)).1 += d.requests;
    }
    sums.into_iter()
        .map(|((month, _), (d, requests))| ConstraintsOfMonth {
            month,
            kind_id: d.kind_id.clone(),
            matched: d.matched,
            characteristic: d.characteristic.clone(),
            word: d.word.clone(),
            has_min: d.has_min,
            min_value: d.min_value,
            has_max: d.has_max,
            max_value: d.max_value,
            requests,
        })
        .collect()
}

type AskKey<'a> = (&'a str, bool, &'a str, &'a str, bool, u64, bool, u64);

fn ask_key(c: &ConstraintsOfDay) -> AskKey<'_> {
    let (min, max) = (c.min_value.to_bits(), c.max_value.to_bits());
    (&c.kind_id, c.matched, &c.characteristic, &c.word, c.has_min, min, c.has_max, max)
}

/// The requests summed by day, kind and whether they matched; and each way a characteristic was
/// asked, counted once per request. Both in their key's order.
fn requests_of_days(asked: &[(&PurchaseRequest, NaiveDateTime)]) -> (Vec<RequestsOfDay>, Vec<ConstraintsOfDay>) {
    let mut requests: BTreeMap<(NaiveDateTime, String, bool), i64> = BTreeMap::new();
    let mut asks: BTreeMap<(NaiveDateTime, String, bool, Ask), i64> = BTreeMap::new();
    for (request, at) in asked {
        let day = rules::day_of(*at);
        let kind = request.kind.as_ref().map_or_else(String::new, |k| k.as_str().to_owned());
        let matched = request.matches > 0;
        *requests.entry((day, kind.clone(), matched)).or_default() += 1;
        let distinct: BTreeSet<Ask> = request.constraints.iter().map(ask_of).collect();
        for ask in distinct {
            *asks.entry((day, kind.clone(), matched, ask)).or_default() += 1;
        }
    }
    let requests = requests
        .into_iter()
        .map(|((day, kind_id, matched), requests)| RequestsOfDay { day, kind_id, matched, requests })
        .collect();
    let asks = asks
        .into_iter()
        .map(|((day, kind_id, matched, (characteristic, word, has_min, min, has_max, max)), requests)| {
            ConstraintsOfDay {
                day,
                kind_id,
                matched,
                characteristic,
                word,
                has_min,
                min_value: f64::from_bits(min),
                has_max,
                max_value: f64::from_bits(max),
                requests,
            }
        })
        .collect();
    (requests, asks)
}

/// Rows per INSERT: far below either database's limit on bound values.
const INSERT_CHUNK: usize = 1000;

fn constraint_row(request: &RequestId, position: i32, c: &Constraint) -> ConstraintRow {
    let (characteristic, min_value, max_value, word) = match c {
        Constraint::Range { characteristic, min, max } => (characteristic, *min, *max, None),
        Constraint::Word { characteristic, word } => (characteristic, None, None, Some(word.clone())),
    };
    ConstraintRow {
        request_id: request.clone(),
        position,
        characteristic: characteristic.clone(),
        min_value,
        max_value,
        word,
    }
}

// ---- reading: what `analytics` asks of the stores ----

/// Sales in the scope, grouped as finely as the grain says.
pub fn sales_groups(conn: &mut DbConnection, scope: &Scope, grain: SalesGrain) -> Result<Vec<SalesGroup>> {
    Ok(repo::sales_groups(conn, scope, grain)?)
}

/// Requests in the scope by kind and whether they matched anything.
pub fn request_groups(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<RequestGroup>> {
    Ok(repo::request_groups(conn, scope)?)
}

/// Requests in the scope by kind, matched or not, and each characteristic as it was asked.
pub fn constraint_groups(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<ConstraintGroup>> {
    Ok(repo::constraint_groups(conn, scope)?)
}
