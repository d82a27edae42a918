//! The application on the center's page (seed 000 claims 1, 3, 5, 7): the order number with the
//! buyer's name and phone or postal code, checked through `orders::purchase_facts`; the used item
//! and the estimate (the center's table price for the stated grade, and the benefit that would
//! apply); one application per purchased order line; a private status link.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::benefits::{AppliedBenefit, benefit_for};
use super::centers::{serving_center, table_price};
use super::{BuybackError, Refusal, Result};
use crate::accounts::UserId;
use crate::accounts::rules::BuyerProof;
use crate::catalog;
use crate::db::DbConnection;
use crate::orders::{self, PurchaseFacts};
use crate::web::forms::FieldErrors;

/// What the attempt limiter counts wrong tries of, per order number.
pub const ORDER_NUMBER: &str = "buy-back order number";

/// 5 wrong tries per order number, then none for an hour; `per_address` tries per client
/// address at once (20 by default), then one every 60/`per_address` seconds.
pub fn order_number_policy(per_address: u32) -> crate::web::attempts::Policy {
    let hour = std::time::Duration::from_secs(3600);
    crate::web::attempts::Policy {
        address_burst: per_address.max(1),
        address_refill: std::time::Duration::from_secs(60) / per_address.max(1),
        free: 5,
        first_wait: hour,
        longest_wait: hour,
        forget_after: hour,
        success_clears: false,
    }
}

/// The application form as sent (the estimate step and the application itself).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    pub order: String,
    pub full_name: String,
    pub phone: String,
    pub postal_code: String,
    pub maker: String,
    pub model: String,
    pub grade: String,
    pub serial: String,
    pub note: String,
    /// The purchased line (its offer code) the item is traded in against, when the order has several.
    pub line: String,
    pub key: String,
}

impl ApplyForm {
    fn proof(&self) -> BuyerProof {
        BuyerProof {
            full_name: self.full_name.clone(),
            phone: self.phone.clone(),
            postal_code: self.postal_code.clone(),
        }
    }

    /// The order number as the limiter counts it (what `purchase_facts` would read).
    pub fn order_key(&self) -> String {
        orders::rules::normalize_order_number(&self.order).unwrap_or_else(|| self.order.trim().to_uppercase())
    }
}

fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form's own mistakes, before anything is looked up (they cost no attempt).
pub fn check_form(form: &ApplyForm) -> Result<()> {
    let mut errors = FieldErrors::new();
    if form.order.trim().is_empty() {
        errors.add("order", "Give the order number of the goods you bought here.");
    }
    if tidy(&form.full_name).is_empty() {
        errors.add("full_name", "Give your full name as registered.");
    }
    if form.phone.trim().is_empty() && form.postal_code.trim().is_empty() {
        errors.add("phone", "Give the phone number or the postal code you registered.");
    }
    for (field, value, max) in [
        ("maker", &form.maker, 100),
        ("model", &form.model, 100),
        ("serial", &form.serial, 100),
        ("note", &form.note, 1000),
    ] {
        if value.chars().count() > max {
            errors.add(field, format!("At most {max} characters."));
        }
    }
    if tidy(&form.maker).is_empty() {
        errors.add("maker", "Who made the used item?");
    }
    if tidy(&form.model).is_empty() {
        errors.add("model", "Which model is it?");
    }
    if form.grade.trim().is_empty() {
        errors.add("grade", "Choose the condition that fits best.");
    }
    errors.into_result().map_err(BuybackError::Invalid)
}

/// One purchased line an item can be traded in against, with the center that serves it and
/// what it would pay for the item as stated.
#[derive(Clone, Debug)]
pub struct LineEstimate {
    pub offer_code: String,
    pub seller: UserId,
    pub bought_maker: String,
    pub bought_model: String,
    pub center: Center,
    /// The grade as the center's scale names it; none when the scale has no such grade.
    pub grade: Option<String>,
    pub price: Option<i64>,
    pub benefit: Option<AppliedBenefit>,
}

/// What a verified purchase offers: its order number, its buyer, and the lines that can take
/// the item.
#[derive(Clone, Debug)]
pub struct Verified {
    pub order_number: String,
    pub buyer: UserId,
    pub lines: Vec<LineEstimate>,
}

/// Checks the purchase and estimates each eligible line. Whatever fails (no such order, not
/// delivered, other details, nothing trade-in eligible) is the same `Refusal::NoMatch`.
pub fn verify(conn: &mut DbConnection, form: &ApplyForm, at: NaiveDateTime) -> Result<Verified> {
    check_form(form)?;
    let facts: PurchaseFacts = orders::purchase_facts(conn, &form.order, &form.proof())?.ok_or(Refusal::NoMatch)?;
    let codes: Vec<String> = facts.goods.iter().map(|g| g.offer_code.clone()).collect();
    let offers = catalog::offers_by_codes(conn, &codes)?;
    let mut lines = Vec::new();
    let mut applied = None;
    for good in &facts.goods {
        let Some((offer, _)) = offers.iter().find(|(o, _)| o.code == good.offer_code) else { continue };
        let Some(center) = serving_center(conn, offer)? else { continue };
        if let Some(other) = repo::application_for_line(conn, &facts.order_number, &good.offer_code)? {
            applied = Some(other.number);
            continue;
        }
        let grade = center
            .grade_list()
            .into_iter()
            .find(|g| super::super::rules::key(g) == super::super::rules::key(&form.grade));
        let price = match &grade {
            Some(g) => table_price(conn, &center.id, &form.maker, &form.model, g)?,
            None => None,
        };
        let benefit = benefit_for(
            conn,
            &offer.seller_id,
            (&good.maker, &good.model),
            (&form.maker, &form.model),
            price.unwrap_or(0),
            at,
        )?;
        lines.push(LineEstimate {
            offer_code: good.offer_code.clone(),
            seller: offer.seller_id.clone(),
            bought_maker: good.maker.clone(),
            bought_model: good.model.clone(),
            center,
            grade,
            price,
            benefit,
        });
    }
    if lines.is_empty() {
        // Told only to someone who proved the purchase.
        return Err(applied.map_or(Refusal::NoMatch, Refusal::AppliedAlready).into());
    }
    Ok(Verified { order_number: facts.order_number, buyer: facts.buyer, lines })
}

/// The application made: its row and the private link's secret (shown to the applicant once
/// and again on a double submit of the same form).
#[derive(Clone, Debug)]
pub struct Applied {
    pub application: Application,
    pub link: String,
}

/// The private status link's secret for the application made under this form key: 128 bits,
/// derived with the shop's key so that a double submit finds the same link.
pub fn link_secret(secret: &[u8], form_key: &str) -> String {
    crate::codes::keyed_hash(secret, "buyback-link", &[form_key])[..32].to_owned()
}

/// How the link is stored.
pub fn link_hash(secret: &[u8], link: &str) -> String {
    crate::codes::keyed_hash(secret, "buyback-link-hash", &[link])
}

/// Applies: verifies the purchase, picks the line (the one chosen, or the only one), refuses a
/// second application for that line, and records the application with its estimate. Once per
/// form key.
pub fn apply(
    conn: &mut DbConnection,
    form: &ApplyForm,
    applicant: Option<&UserId>,
    secret: &[u8],
    at: NaiveDateTime,
) -> Result<Applied> {
    let key = crate::web::idempotency::IdempotencyKey::parse(&form.key)
        .ok_or_else(|| BuybackError::field("order", "The form is out of date. Reload the page."))?;
    let link = link_secret(secret, key.as_str());
    if let Some(done) = repo::application_by_key(conn, key.as_str())? {
        return Ok(Applied { application: done, link });
    }
    let verified = verify(conn, form, at)?;
    let line = match verified.lines.iter().find(|l| l.offer_code == form.line) {
        Some(line) => line,
        None if form.line.is_empty() && verified.lines.len() == 1 => &verified.lines[0],
        None => {
            if let Some(other) = repo::application_for_line(conn, &verified.order_number, &form.line)? {
                return Err(Refusal::AppliedAlready(other.number).into());
            }
            return Err(BuybackError::field(
                "line",
                "Choose which of the goods you bought the item is traded in against.",
            ));
        }
    };
    if !line.center.active {
        return Err(Refusal::CenterSuspended.into());
    }
    let Some(grade) = &line.grade else {
        return Err(BuybackError::field("grade", "Choose a condition of the center's scale."));
    };
    if let Some(other) = repo::application_for_line(conn, &verified.order_number, &line.offer_code)? {
        return Err(Refusal::AppliedAlready(other.number).into());
    }
    let app = Application {
        id: ApplicationId::new(),
        number: new_number(conn)?,
        link_hash: link_hash(secret, &link),
        center_id: line.center.id.clone(),
        order_number: verified.order_number.clone(),
        offer_code: line.offer_code.clone(),
        seller_id: line.seller.clone(),
        buyer_id: verified.buyer.clone(),
        applicant_id: applicant.cloned(),
        bought_maker: line.bought_maker.clone(),
        bought_model: line.bought_model.clone(),
        used_maker: tidy(&form.maker),
        used_model: tidy(&form.model),
        stated_grade: grade.clone(),
        serial: form.serial.trim().to_owned(),
        note: form.note.trim().to_owned(),
        applicant_name: tidy(&form.full_name),
        applicant_contact: [form.phone.trim(), form.postal_code.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        erased_at: None,
        estimate: line.price,
        rule_number: line.benefit.as_ref().map(|b| b.rule_number),
        benefit_kind: line.benefit.as_ref().map(|b| b.kind),
        benefit_amount: line.benefit.as_ref().map_or(0, |b| b.amount),
        grade: None,
        price: None,
        benefit_cash: line.benefit.as_ref().map_or(0, |b| b.value.cash),
        benefit_points: line.benefit.as_ref().map_or(0, |b| b.value.points),
        state: AppState::Applied,
        idempotency_key: key.to_string(),
        created_at: at,
        updated_at: at,
        ended_at: None,
    };
    if repo::insert_application(conn, &app)? == 0 {
        if let Some(twin) = repo::application_by_key(conn, key.as_str())? {
            return Ok(Applied { application: twin, link });
        }
        let other = repo::application_for_line(conn, &app.order_number, &app.offer_code)?;
        return Err(Refusal::AppliedAlready(other.map_or_else(String::new, |o| o.number)).into());
    }
    super::desk::event(conn, &app.id, AppState::Applied, applicant, "Applied", at)?;
    Ok(Applied { application: app, link })
}

fn new_number(conn: &mut DbConnection) -> Result<String> {
    loop {
        let number = format!("BB-{}", crate::codes::random(2, 4));
        if repo::application_by_number(conn, &number)?.is_none() {
            return Ok(number);
        }
    }
}

/// The application behind a private link, if the link is one.
pub fn application_of_link(conn: &mut DbConnection, secret: &[u8], link: &str) -> Result<Application> {
    if link.len() != 32 || !link.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BuybackError::NotFound);
    }
    repo::application_by_link(conn, &link_hash(secret, link))?.ok_or(BuybackError::NotFound)
}

/// A logged-in shopper's applications: those they made and those for goods they bought.
pub fn applications_of(conn: &mut DbConnection, user: &UserId) -> Result<Vec<Application>> {
    Ok(repo::applications_of_user(conn, user, 100)?)
}

/// What the trade-in page shows a logged-in buyer who came from their delivered order: each
/// trade-in eligible line with the center that serves it and that center's price table.
pub fn serving_centers_of_order(
    conn: &mut DbConnection,
    order_number: &str,
    buyer: &UserId,
) -> Result<Vec<(String, Center, Vec<PriceRow>)>> {
    let Some(goods) = orders::own_delivered_goods(conn, order_number, buyer)? else { return Ok(Vec::new()) };
    let codes: Vec<String> = goods.iter().map(|g| g.offer_code.clone()).collect();
    let offers = catalog::offers_by_codes(conn, &codes)?;
    let mut out = Vec::new();
    for good in &goods {
        let Some((offer, _)) = offers.iter().find(|(o, _)| o.code == good.offer_code) else { continue };
        if let Some(center) = serving_center(conn, offer)? {
            let prices = repo::prices_of(conn, &center.id)?;
            out.push((format!("{} {}", good.maker, good.model), center, prices));
        }
    }
    Ok(out)
}
