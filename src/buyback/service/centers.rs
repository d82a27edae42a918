//! Centers (admins register them; each pays from its own ledger account), the clerks who work at
//! them, their price tables, and which center serves each trade-in eligible offer.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, PriceLine, key};
use super::{BuybackError, Refusal, Result};
use crate::accounts::UserId;
use crate::catalog::{self, Offer, OfferId, Product};
use crate::db::DbConnection;
use crate::echeck::{self, AccountKind, LedgerAccount};
use crate::web::forms::FieldErrors;

/// The grade scale a new center starts with.
pub const STARTING_GRADES: &str = "like new, good, fair, broken";

/// The starting scale as a list.
pub fn starting_grades() -> Vec<String> {
    rules::parse_grades(STARTING_GRADES).unwrap_or_default()
}

/// A center as an admin types it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CenterForm {
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub grades: String,
    /// "yes" when it takes applications.
    pub active: String,
    /// "yes" when it serves offers whose salesperson named no center.
    pub is_default: String,
}

impl CenterForm {
    pub fn of(c: &Center) -> CenterForm {
        CenterForm {
            code: c.code.clone(),
            name: c.name.clone(),
            address: c.address.clone(),
            phone: c.phone.clone(),
            grades: c.grades.clone(),
            active: if c.active { "yes".into() } else { String::new() },
            is_default: if c.is_default { "yes".into() } else { String::new() },
        }
    }
}

fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize, what: &str) -> String {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        errors.add(field, format!("Give {what} (up to {max} characters)."));
    }
    value.to_owned()
}

/// Registers a center (`id` none) or changes one; its ledger account is opened with it.
pub fn save_center(
    conn: &mut DbConnection,
    id: Option<&CenterId>,
    form: &CenterForm,
    at: NaiveDateTime,
) -> Result<Center> {
    let mut errors = FieldErrors::new();
    let code = form.code.trim().to_uppercase();
    if code.len() < 2 || code.len() > 12 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.add("code", "A code of 2 to 12 letters, digits or dashes, e.g. BB-NORTH.");
    }
    let name = text(&mut errors, "name", &form.name, 100, "the center's name");
    let address = text(&mut errors, "address", &form.address, 300, "the address applicants send or bring items to");
    let phone = text(&mut errors, "phone", &form.phone, 40, "a phone number");
    let grades = rules::parse_grades(if form.grades.trim().is_empty() { STARTING_GRADES } else { &form.grades })
        .unwrap_or_else(|e| {
            errors.add("grades", e);
            Vec::new()
        });
    if let Some(other) = repo::center_by_code(conn, &code)?
        && Some(&other.id) != id
    {
        errors.add("code", "Another center has this code.");
    }
    let existing = match id {
        Some(id) => Some(repo::center(conn, id)?.ok_or(BuybackError::NotFound)?),
        None => None,
    };
    if !errors.is_empty() {
        return Err(BuybackError::Invalid(errors));
    }
    let is_default = form.is_default == "yes";
    if is_default {
        repo::clear_default(conn)?;
    }
    let center = Center {
        id: existing.as_ref().map_or_else(CenterId::new, |c| c.id.clone()),
        code,
        name,
        address,
        phone,
        active: form.active == "yes",
        is_default,
        grades: grades.join(", "),
        created_at: existing.as_ref().map_or(at, |c| c.created_at),
    };
    if existing.is_some() {
        repo::save_center(conn, &center)?;
    } else {
        repo::insert_center(conn, &center)?;
    }
    echeck::open_account(conn, AccountKind::BuybackCenter, center.id.as_str(), at)?;
    Ok(center)
}

pub fn centers(conn: &mut DbConnection) -> Result<Vec<Center>> {
    Ok(repo::centers(conn)?)
}

pub fn center(conn: &mut DbConnection, id: &CenterId) -> Result<Center> {
    repo::center(conn, id)?.ok_or(BuybackError::NotFound)
}

/// The center's ledger account (opened with the center).
pub fn center_account(conn: &mut DbConnection, center: &CenterId, at: NaiveDateTime) -> Result<LedgerAccount> {
    Ok(echeck::open_account(conn, AccountKind::BuybackCenter, center.as_str(), at)?)
}

/// Money paid into a center's account from outside, once per form.
pub fn fund_center(
    conn: &mut DbConnection,
    center: &CenterId,
    amount: &str,
    key: &str,
    admin: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    let account = center_account(conn, center, at)?;
    let amount = match crate::money::parse(amount, &account.currency) {
        Ok(a) if a > 0 => a,
        Ok(_) => return Err(BuybackError::field("amount", "Give an amount above zero.")),
        Err(e) => return Err(BuybackError::field("amount", e)),
    };
    let key = crate::web::idempotency::IdempotencyKey::parse(key)
        .ok_or_else(|| BuybackError::field("amount", "The form is out of date. Reload the page."))?;
    let m = echeck::Movement { account: account.id, amount, reason: "Deposit for buy-back payments".into(), key };
    echeck::deposit(conn, &m, Some(admin), at)?;
    Ok(())
}

// ---- clerks ----

/// The center a clerk works at; refused for a clerk assigned to none.
pub fn clerk_center(conn: &mut DbConnection, clerk: &UserId) -> Result<Center> {
    let row = repo::clerk(conn, clerk)?.ok_or(Refusal::NoCenter)?;
    center(conn, &row.center_id)
}

/// Assigns a clerk (by e-mail) to a center, or (no center) takes them off their center.
pub fn assign_clerk(conn: &mut DbConnection, email: &str, center: Option<&CenterId>, at: NaiveDateTime) -> Result<()> {
    let user = crate::accounts::find_user_by_email(conn, email)
        .map_err(|e| BuybackError::Below(e.to_string()))?
        .filter(|u| u.roles.contains(&crate::accounts::Role::Clerk))
        .ok_or_else(|| BuybackError::field("email", "No clerk has this e-mail address."))?;
    match center {
        Some(center) => {
            repo::set_clerk(conn, &CenterClerk { user_id: user.id, center_id: center.clone(), assigned_at: at })?;
        }
        None => {
            repo::remove_clerk(conn, &user.id)?;
        }
    }
    Ok(())
}

/// Each center's clerks, as (center, clerk's e-mail).
pub fn clerks(conn: &mut DbConnection) -> Result<Vec<(CenterId, UserId, String)>> {
    let rows = repo::clerks(conn)?;
    let ids: Vec<UserId> = rows.iter().map(|r| r.user_id.clone()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (row, id) in rows.into_iter().zip(ids) {
        let email = crate::accounts::find_user(conn, &id)
            .map_err(|e| BuybackError::Below(e.to_string()))?
            .map_or_else(String::new, |u| u.email);
        out.push((row.center_id, id, email));
    }
    Ok(out)
}

// ---- price tables ----

/// A line of a price table as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PriceForm {
    pub maker: String,
    /// Empty: any model of the maker.
    pub model: String,
    pub grade: String,
    pub price: String,
    pub key: String,
}

pub fn set_price(
    conn: &mut DbConnection,
    center: &CenterId,
    form: &PriceForm,
    currency: &str,
    at: NaiveDateTime,
) -> Result<PriceRow> {
    let c = self::center(conn, center)?;
    let mut errors = FieldErrors::new();
    let maker = text(&mut errors, "maker", &form.maker, 100, "the maker");
    let model = form.model.split_whitespace().collect::<Vec<_>>().join(" ");
    if model.chars().count() > 100 {
        errors.add("model", "A model has at most 100 characters.");
    }
    let grade = c.grade_list().into_iter().find(|g| key(g) == key(&form.grade));
    if grade.is_none() {
        errors.add("grade", "Choose a grade of the center's scale.");
    }
    let price = crate::money::parse(&form.price, currency).unwrap_or_else(|e| {
        errors.add("price", e);
        0
    });
    if price <= 0 && !errors.has("price") {
        errors.add("price", "Give a price above zero.");
    }
    let Some(grade) = grade.filter(|_| errors.is_empty()) else { return Err(BuybackError::Invalid(errors)) };
    let row = PriceRow {
        id: PriceId::new(),
        center_id: c.id,
        maker_key: key(&maker),
        model_key: key(&model),
        maker,
        model,
        grade,
        price,
        updated_at: at,
    };
    repo::set_price(conn, &row)?;
    Ok(row)
}

pub fn remove_price(conn: &mut DbConnection, center: &CenterId, id: &PriceId) -> Result<()> {
    repo::remove_price(conn, center, id)?;
    Ok(())
}

pub fn price_table(conn: &mut DbConnection, center: &CenterId) -> Result<Vec<PriceRow>> {
    Ok(repo::prices_of(conn, center)?)
}

/// What the center's table pays for an item in a grade (its model's line, else its maker's).
pub fn table_price(
    conn: &mut DbConnection,
    center: &CenterId,
    maker: &str,
    model: &str,
    grade: &str,
) -> Result<Option<i64>> {
    let lines: Vec<PriceLine> = repo::prices_for_maker(conn, center, &key(maker))?
        .into_iter()
        .map(|r| PriceLine { maker: r.maker_key, model: r.model_key, grade: r.grade, price: r.price })
        .collect();
    Ok(rules::table_price(&lines, maker, model, grade))
}

// ---- designations ----

/// The center that serves an offer: the one its salesperson chose, else the default center;
/// none for an offer that is not trade-in eligible (or when no center serves it).
pub fn serving_center(conn: &mut DbConnection, offer: &Offer) -> Result<Option<Center>> {
    if !offer.trade_in {
        return Ok(None);
    }
    let chosen = match repo::designation(conn, &offer.id)?.and_then(|d| d.center_id) {
        Some(id) => repo::center(conn, &id)?,
        None => None,
    };
    let center = match chosen {
        Some(c) => Some(c),
        None => repo::default_center(conn)?,
    };
    Ok(center.filter(|c| c.active))
}

/// A salesperson's trade-in eligible offers with the center each names (none: the default).
pub fn seller_designations(
    conn: &mut DbConnection,
    seller: &UserId,
) -> Result<Vec<(Offer, Product, Option<CenterId>)>> {
    let offers: Vec<(Offer, Product)> =
        catalog::offers_of_seller(conn, seller)?.into_iter().filter(|(o, _)| o.trade_in).collect();
    let ids: Vec<OfferId> = offers.iter().map(|(o, _)| o.id.clone()).collect();
    let chosen = repo::designations_of_offers(conn, &ids)?;
    Ok(offers
        .into_iter()
        .map(|(o, p)| {
            let center = chosen.iter().find(|d| d.offer_id == o.id).and_then(|d| d.center_id.clone());
            (o, p, center)
        })
        .collect())
}

/// A salesperson names the center that serves one of their trade-in eligible offers (`center`
/// empty: the default center).
pub fn designate(
    conn: &mut DbConnection,
    seller: &UserId,
    offer_code: &str,
    center: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let (offer, _) = catalog::own_offer(conn, seller, offer_code)?;
    if !offer.trade_in {
        return Err(BuybackError::field(
            "center",
            "This offer is not trade-in eligible; mark it so on its page first.",
        ));
    }
    if center.is_empty() {
        repo::remove_designation(conn, &offer.id)?;
        return Ok(());
    }
    let center = repo::center_by_code(conn, center)?
        .filter(|c| c.active)
        .ok_or_else(|| BuybackError::field("center", "Choose an active center from the list."))?;
    let row = Designation { offer_id: offer.id, seller_id: seller.clone(), center_id: Some(center.id), updated_at: at };
    repo::set_designation(conn, &row)?;
    Ok(())
}
