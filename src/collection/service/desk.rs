//! The collection desk: a clerk finds a member by card number (no personal data), records the
//! cartridges received, corrects a mistake with a reversing record, and hands over rewards.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Earning};
use super::admin::current_rules;
use super::ledger::{self, Note};
use super::members::{CARD_GROUP_LEN, CARD_GROUPS, refresh_figures, standing};
use super::{CollectionError, Refusal, Result};
use crate::accounts::UserId;
use crate::catalog::{self, Product, ProductId};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;
use crate::web::idempotency::IdempotencyKey;

/// What the desk's cartridge list calls a cartridge not in the catalog.
pub const OTHER: &str = "other";
/// The most cartridge models the desk lists.
const MODELS_LISTED: i64 = 500;
const FORM_OUT_OF_DATE: &str = "The form is out of date. Reload the page.";

/// The member with this card number; a mistake in the field otherwise.
pub fn member_of_card(conn: &mut DbConnection, card: &str) -> Result<Member> {
    let not_found = || CollectionError::field("card", "No member has this card number. Check it with the member.");
    let Some(card) = crate::codes::normalize(card, CARD_GROUPS, CARD_GROUP_LEN) else {
        return Err(CollectionError::field("card", "A card number has 8 letters and digits, like K7QM-2XPA."));
    };
    repo::member_by_card(conn, &card)?.ok_or_else(not_found)
}

/// A record as the desk lists it: corrected or not.
pub struct DeskRecord {
    pub record: Record,
    pub corrected: bool,
}

/// What the desk shows for a card.
pub struct DeskView {
    pub member: Member,
    pub standing: rules::Standing,
    pub available: i64,
    pub records: Vec<DeskRecord>,
    pub claims: Vec<(Claim, String)>,
}

/// The cartridge models the desk offers (of the kinds the rules call cartridges).
pub fn cartridge_models(conn: &mut DbConnection, currency: &str) -> Result<Vec<Product>> {
    let rules = current_rules(conn, currency)?;
    let kinds: Vec<_> =
        catalog::kinds(conn)?.into_iter().filter(|k| rules.is_cartridge_kind(&k.code)).map(|k| k.id).collect();
    Ok(catalog::products_of_kinds(conn, &kinds, MODELS_LISTED)?)
}

pub fn desk_view(conn: &mut DbConnection, card: &str, at: NaiveDateTime) -> Result<DeskView> {
    let member = member_of_card(conn, card)?;
    let user = member.user_id.clone();
    let mut records: Vec<DeskRecord> =
        repo::records_of(conn, &user, 30)?.into_iter().map(|record| DeskRecord { record, corrected: false }).collect();
    let ids: Vec<RecordId> = records.iter().map(|r| r.record.id.clone()).collect();
    let corrected = repo::corrected_among(conn, &ids)?;
    for r in &mut records {
        r.corrected = corrected.contains(&r.record.id);
    }
    let claims = super::rewards::waiting_claims(conn, &user)?;
    Ok(DeskView {
        standing: standing(conn, &user, at)?,
        available: rules::available(&ledger::lots_left(conn, &user)?, at),
        member,
        records,
        claims,
    })
}

/// The desk's record form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecordForm {
    pub card: String,
    /// A product's ID, or `other`.
    pub cartridge: String,
    pub quantity: String,
    /// "yes" when the cartridges can be refilled and used again.
    pub reusable: String,
    pub key: String,
}

/// What a record did: the record and what it earned.
pub struct Recorded {
    pub record: Record,
    pub earning: Option<Earning>,
}

fn cartridge_of(conn: &mut DbConnection, raw: &str, currency: &str) -> Result<(String, String)> {
    let raw = raw.trim();
    if raw == OTHER {
        return Ok((OTHER.to_owned(), "Other cartridge".to_owned()));
    }
    let wrong = || CollectionError::field("cartridge", "Choose a cartridge model of the list, or Other.");
    let id: ProductId = raw.parse().map_err(|_| wrong())?;
    let product = catalog::product_of(conn, &id)?.ok_or_else(wrong)?;
    let rules = current_rules(conn, currency)?;
    let kind = catalog::kinds(conn)?.into_iter().find(|k| k.id == product.kind_id);
    if !kind.is_some_and(|k| rules.is_cartridge_kind(&k.code)) {
        return Err(wrong());
    }
    Ok((product.id.to_string(), format!("{} {}", product.maker, product.model)))
}

/// Records cartridges received: the member earns by the rules in force; a second submit of the
/// same form finds the first record.
pub fn record(
    conn: &mut DbConnection,
    form: &RecordForm,
    clerk: &UserId,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Recorded> {
    let key = IdempotencyKey::parse(&form.key).ok_or_else(|| CollectionError::field("key", FORM_OUT_OF_DATE))?;
    let mut errors = FieldErrors::new();
    let member = keep_field(member_of_card(conn, &form.card), &mut errors)?;
    let cartridge = keep_field(cartridge_of(conn, &form.cartridge, currency), &mut errors)?;
    let quantity = rules::parse_quantity(&form.quantity).map_err(|e| errors.add("quantity", e)).ok();
    let reusable = match form.reusable.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("reusable", "Say whether the cartridges can be used again.");
            None
        }
    };
    let (Some(member), Some((cartridge, cartridge_name)), Some(quantity), Some(reusable)) =
        (member, cartridge, quantity, reusable)
    else {
        return Err(CollectionError::Invalid(errors));
    };
    ledger::lock(conn, &member.user_id)?;
    if let Some(record) = repo::record_by_key(conn, key.as_str())? {
        return Ok(Recorded { record, earning: None });
    }
    let rules = current_rules(conn, currency)?;
    let before = standing(conn, &member.user_id, at)?;
    let this_month = repo::recorded_points_since(conn, &member.user_id, rules::month_start(at))?;
    let earning = rules::earn(&rules, quantity, reusable, before, this_month);
    let record = Record {
        id: RecordId::new(),
        user_id: member.user_id.clone(),
        idempotency_key: key.to_string(),
        cartridge,
        cartridge_name,
        quantity,
        reusable,
        reverses_id: None,
        reason: String::new(),
        points: earning.points,
        clerk_id: clerk.clone(),
        created_at: at,
    };
    repo::insert_record(conn, &record)?;
    if earning.points > 0 {
        let reason = format!("{quantity} × {} received", record.cartridge_name);
        let note = Note {
            kind: EntryKind::Earned,
            reference: record.id.as_str(),
            reason: &reason,
            actor: None,
            once_key: None,
        };
        ledger::add(conn, &member.user_id, earning.points, rules.expiry_months, &note, at)?;
    }
    refresh_figures(conn, &member.user_id, at)?;
    Ok(Recorded { record, earning: Some(earning) })
}

/// A field's mistake goes with the others; anything else ends the request.
fn keep_field<T>(result: Result<T>, errors: &mut FieldErrors) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(CollectionError::Invalid(e)) => {
            for (field, message) in e.iter() {
                errors.add(field, message);
            }
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Corrects a record by a reversing one with a reason: its cartridges no longer count, and the
/// points it earned are taken back as far as the member still has them (from its own lot
/// first). A second submit of the same form finds the first correction.
pub fn correct(
    conn: &mut DbConnection,
    record: &str,
    reason: &str,
    key: &str,
    clerk: &UserId,
    at: NaiveDateTime,
) -> Result<Record> {
    let key = IdempotencyKey::parse(key).ok_or_else(|| CollectionError::field("key", FORM_OUT_OF_DATE))?;
    let id: RecordId = record.parse().map_err(|_| CollectionError::NotFound)?;
    let original = repo::record(conn, &id)?.ok_or(CollectionError::NotFound)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(CollectionError::field("reason", "Say what was wrong, in up to 300 characters."));
    }
    ledger::lock(conn, &original.user_id)?;
    if let Some(done) = repo::record_by_key(conn, key.as_str())? {
        return Ok(done);
    }
    if original.is_correction() {
        return Err(Refusal::CorrectionOfCorrection.into());
    }
    if repo::correction_of(conn, &original.id)?.is_some() {
        return Err(Refusal::CorrectedAlready.into());
    }
    let lots = ledger::lots_left(conn, &original.user_id)?;
    let take_back = original.points.min(rules::available(&lots, at)).max(0);
    let correction = Record {
        id: RecordId::new(),
        user_id: original.user_id.clone(),
        idempotency_key: key.to_string(),
        cartridge: original.cartridge.clone(),
        cartridge_name: original.cartridge_name.clone(),
        quantity: -original.quantity,
        reusable: original.reusable,
        reverses_id: Some(original.id.clone()),
        reason: reason.to_owned(),
        points: -take_back,
        clerk_id: clerk.clone(),
        created_at: at,
    };
    repo::insert_record(conn, &correction)?;
    if take_back > 0 {
        let lot = earned_lot(conn, &original)?;
        let note = Note {
            kind: EntryKind::Reversed,
            reference: correction.id.as_str(),
            reason,
            actor: Some(clerk),
            once_key: None,
        };
        ledger::take(conn, &original.user_id, take_back, lot.as_ref(), &note, at)?;
    }
    refresh_figures(conn, &original.user_id, at)?;
    Ok(correction)
}

/// The lot a record's points went into.
fn earned_lot(conn: &mut DbConnection, record: &Record) -> Result<Option<LotId>> {
    Ok(repo::earning_of(conn, record.id.as_str())?.and_then(|e| e.lot_id))
}
