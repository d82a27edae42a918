//! What admins keep for anonymous purchase: pickup points with their counter staff, and prepaid
//! cards issued in batches (codes shown once, kept as keyed hashes; each card an account in the
//! ledger, funded from the bank at issue).

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::{AnonError, Result, Terms};
use crate::accounts::{Role, User, UserId};
use crate::db::DbConnection;
use crate::echeck::{AccountKind, Movement};
use crate::web::forms::FieldErrors;
use crate::web::idempotency::IdempotencyKey;

// ---- pickup points ----

/// The pickup point form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PointForm {
    pub code: String,
    pub name: String,
    pub address: String,
    pub opening_hours: String,
}

impl PointForm {
    pub fn of(p: &PickupPoint) -> PointForm {
        PointForm {
            code: p.code.clone(),
            name: p.name.clone(),
            address: p.address.clone(),
            opening_hours: p.opening_hours.clone(),
        }
    }
}

fn checked(form: &PointForm) -> Result<PointForm> {
    let mut errors = FieldErrors::new();
    let code = form.code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 20 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        errors.add("code", "Letters, digits and dashes, at most 20.");
    }
    let mut text = |name: &str, value: &str, max: usize| errors.text(name, value, max, true);
    let out = PointForm {
        code,
        name: text("name", &form.name, 120),
        address: text("address", &form.address, 400),
        opening_hours: text("opening_hours", &form.opening_hours, 200),
    };
    errors.into_result().map_err(AnonError::Invalid)?;
    Ok(out)
}

pub fn points(conn: &mut DbConnection) -> Result<Vec<PickupPoint>> {
    Ok(repo::points(conn)?)
}

pub fn register_point(conn: &mut DbConnection, form: &PointForm, at: NaiveDateTime) -> Result<PickupPoint> {
    let f = checked(form)?;
    if repo::point_by_code(conn, &f.code)?.is_some() {
        return Err(AnonError::field("code", "This code is registered already."));
    }
    let point = PickupPoint {
        id: PickupPointId::new(),
        code: f.code,
        name: f.name,
        address: f.address,
        opening_hours: f.opening_hours,
        suspended_at: None,
        created_at: at,
        updated_at: at,
    };
    repo::insert_point(conn, &point)?;
    Ok(point)
}

fn point(conn: &mut DbConnection, code: &str) -> Result<PickupPoint> {
    repo::point_by_code(conn, &code.trim().to_ascii_uppercase())?.ok_or(AnonError::NotFound)
}

pub fn update_point(conn: &mut DbConnection, code: &str, form: &PointForm, at: NaiveDateTime) -> Result<()> {
    let p = point(conn, code)?;
    let f = checked(&PointForm { code: p.code.clone(), ..form.clone() })?;
    let changed = PickupPoint { name: f.name, address: f.address, opening_hours: f.opening_hours, updated_at: at, ..p };
    repo::save_point(conn, &changed)?;
    Ok(())
}

pub fn set_point_suspended(conn: &mut DbConnection, code: &str, suspend: bool, at: NaiveDateTime) -> Result<()> {
    let p = point(conn, code)?;
    let changed = PickupPoint { suspended_at: suspend.then_some(at), updated_at: at, ..p };
    repo::save_point(conn, &changed)?;
    Ok(())
}

pub struct PointPage {
    pub point: PickupPoint,
    pub staff: Vec<User>,
}

pub fn point_page(conn: &mut DbConnection, code: &str) -> Result<PointPage> {
    let point = point(conn, code)?;
    let ids = repo::staff_of(conn, &point.id)?;
    Ok(PointPage { staff: crate::accounts::users_of(conn, &ids)?, point })
}

/// Puts a counter user on the point's staff (off any other point's).
pub fn add_point_staff(conn: &mut DbConnection, code: &str, email: &str, at: NaiveDateTime) -> Result<()> {
    let p = point(conn, code)?;
    let user = crate::accounts::find_user_by_email(conn, email.trim())?.filter(|u| u.has_role(Role::Pickup));
    let Some(user) = user else {
        return Err(AnonError::field("email", "No pickup counter user has this e-mail address."));
    };
    repo::set_staff(conn, &user.id, &p.id, at)?;
    Ok(())
}

pub fn remove_point_staff(conn: &mut DbConnection, code: &str, user: &UserId) -> Result<()> {
    let p = point(conn, code)?;
    repo::remove_staff(conn, user, &p.id)?;
    Ok(())
}

/// The point a counter user works at.
pub fn point_of_user(conn: &mut DbConnection, user: &UserId) -> Result<Option<PickupPoint>> {
    Ok(repo::point_of_user(conn, user)?)
}

// ---- prepaid cards ----

/// The most cards one batch may hold.
pub const MAX_BATCH: i64 = 1000;

/// A batch just issued, with its codes: the only time they exist in the clear.
pub struct Issued {
    pub batch: Batch,
    pub codes: Vec<String>,
}

/// Issues a batch of cards, each funded from the bank with the face value, in one transaction.
/// The same form sent twice issues one batch (its key names the batch).
pub fn issue_batch(
    conn: &mut DbConnection,
    terms: &Terms,
    count: &str,
    face_value: &str,
    key: &str,
    actor: &UserId,
    at: NaiveDateTime,
) -> Result<Issued> {
    let mut errors = FieldErrors::new();
    let count = match count.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_BATCH).contains(&n) => n,
        _ => {
            errors.add("count", format!("A whole number from 1 to {MAX_BATCH}."));
            0
        }
    };
    let face = match crate::money::parse(face_value, &terms.currency) {
        Ok(v) if v > 0 => v,
        Ok(_) => {
            errors.add("face_value", "The face value must be above zero.");
            0
        }
        Err(e) => {
            errors.add("face_value", e);
            0
        }
    };
    let key = IdempotencyKey::parse(key);
    if key.is_none() {
        errors.add("count", "This form is out of date; it was loaded again. Send it once more.");
    }
    errors.into_result().map_err(AnonError::Invalid)?;
    let key = key.ok_or(AnonError::NotFound)?;
    let number = format!("B-{}", &key.as_str()[..8].to_ascii_uppercase());
    if repo::batch_by_number(conn, &number)?.is_some() {
        return Err(AnonError::field("count", "This batch was issued already; its codes were shown once."));
    }
    let batch = Batch {
        id: BatchId::new(),
        number,
        cards: count,
        face_value: face,
        currency: terms.currency.clone(),
        created_at: at,
    };
    repo::insert_batch(conn, &batch)?;
    let mut codes = Vec::new();
    let mut cards = Vec::new();
    for _ in 0..count {
        let code = crate::codes::random(rules::CARD_GROUPS, rules::CARD_GROUP_LEN);
        let id = CardId::new();
        let account = crate::echeck::open_account(conn, AccountKind::PrepaidCard, id.as_str(), at)?;
        let funding = Movement {
            account: account.id.clone(),
            amount: face,
            reason: format!("Prepaid card …{} of batch {}", rules::last4(&code), batch.number),
            key: key.part(id.as_str()),
        };
        crate::echeck::deposit(conn, &funding, Some(actor), at)?;
        cards.push(Card {
            id,
            batch_id: batch.id.clone(),
            code_hash: rules::card_hash(&terms.secret, &code),
            last4: rules::last4(&code),
            account_id: account.id,
            blocked_at: None,
            created_at: at,
        });
        codes.push(code);
    }
    repo::insert_cards(conn, &cards)?;
    Ok(Issued { batch, codes })
}

/// A batch with what its cards were issued with, what is left on them and what was spent.
pub struct BatchRow {
    pub batch: Batch,
    pub issued: i64,
    pub remaining: i64,
    pub blocked: i64,
}

impl BatchRow {
    pub fn spent(&self) -> i64 {
        self.issued - self.remaining
    }
    pub fn money(&self, minor: &i64) -> String {
        crate::money::format(*minor, &self.batch.currency)
    }
    pub fn spent_text(&self) -> String {
        self.money(&self.spent())
    }
}

pub fn batches(conn: &mut DbConnection) -> Result<Vec<BatchRow>> {
    let batches = repo::batches(conn)?;
    let cards = repo::all_cards(conn)?;
    let ids: Vec<_> = cards.iter().map(|c| c.account_id.clone()).collect();
    let balances: std::collections::HashMap<_, _> =
        crate::echeck::accounts_by_ids(conn, &ids)?.into_iter().map(|a| (a.id, a.balance)).collect();
    Ok(batches
        .into_iter()
        .map(|batch| {
            let of_batch = cards.iter().filter(|c| c.batch_id == batch.id);
            let remaining = of_batch.clone().map(|c| balances.get(&c.account_id).copied().unwrap_or(0)).sum();
            let blocked = i64::try_from(of_batch.filter(|c| c.blocked_at.is_some()).count()).unwrap_or(0);
            BatchRow { issued: batch.cards * batch.face_value, remaining, blocked, batch }
        })
        .collect())
}

/// A card as its batch's page lists it.
pub struct CardRow {
    pub card: Card,
    pub balance: i64,
    pub held: i64,
}

pub fn batch_cards(conn: &mut DbConnection, number: &str) -> Result<(Batch, Vec<CardRow>)> {
    let batch = repo::batch_by_number(conn, number.trim())?.ok_or(AnonError::NotFound)?;
    let cards = repo::cards_of(conn, &batch.id)?;
    let ids: Vec<_> = cards.iter().map(|c| c.account_id.clone()).collect();
    let accounts: std::collections::HashMap<_, _> =
        crate::echeck::accounts_by_ids(conn, &ids)?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let rows = cards
        .into_iter()
        .map(|card| {
            let (balance, held) = accounts.get(&card.account_id).map(|a| (a.balance, a.held)).unwrap_or((0, 0));
            CardRow { card, balance, held }
        })
        .collect();
    Ok((batch, rows))
}

pub fn set_card_blocked(conn: &mut DbConnection, id: &str, blocked: bool, at: NaiveDateTime) -> Result<Batch> {
    let id: CardId = id.parse().map_err(|_| AnonError::NotFound)?;
    let card = repo::card(conn, &id)?.ok_or(AnonError::NotFound)?;
    repo::set_card_blocked(conn, &card.id, blocked.then_some(at))?;
    let batch = repo::batches(conn)?.into_iter().find(|b| b.id == card.batch_id).ok_or(AnonError::NotFound)?;
    Ok(batch)
}

/// The codes the issue page shows, checked to be the batch's cards, for the CSV download (the
/// shop keeps no codes: the page sends them back).
pub fn codes_of_batch(
    conn: &mut DbConnection,
    terms: &Terms,
    number: &str,
    codes: &[String],
) -> Result<(Batch, Vec<String>)> {
    let batch = repo::batch_by_number(conn, number.trim())?.ok_or(AnonError::NotFound)?;
    let mut out = Vec::new();
    for raw in codes.iter().take(usize::try_from(MAX_BATCH).unwrap_or(1000)) {
        let code =
            crate::codes::normalize(raw, rules::CARD_GROUPS, rules::CARD_GROUP_LEN).ok_or(AnonError::NotFound)?;
        let card = repo::card_by_hash(conn, &rules::card_hash(&terms.secret, &code))?.ok_or(AnonError::NotFound)?;
        if card.batch_id != batch.id {
            return Err(AnonError::NotFound);
        }
        out.push(code);
    }
    Ok((batch, out))
}
