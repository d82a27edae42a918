//! The clerk's desk (seed 000 claims 16, 17, 33, 34): receive the item, grade and price it from
//! the center's table (a different price needs a reason), the applicant's word on an offer below
//! the estimate, and the payment: price and benefit in one transaction, both or neither. Each paid
//! buy-back is reported to the sales center as a result without personal data.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, key};
use super::centers::{center_account, table_price};
use super::{BuybackError, KeepDays, Refusal, Result};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::echeck;
use crate::notify::{self, NewMail};
use crate::web::idempotency::IdempotencyKey;

/// Who moves an application on.
#[derive(Clone, Copy, Debug)]
pub enum Mover<'a> {
    /// A clerk of the application's center.
    Clerk(&'a UserId, &'a CenterId),
    /// The applicant: through the private link, or logged in as who applied or who bought.
    Applicant(Option<&'a UserId>),
}

pub(super) fn event(
    conn: &mut DbConnection,
    app: &ApplicationId,
    state: AppState,
    actor: Option<&UserId>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let row = Event {
        id: EventId::new(),
        application_id: app.clone(),
        state,
        actor_id: actor.cloned(),
        reason: reason.to_owned(),
        at,
    };
    repo::insert_event(conn, &row)?;
    Ok(())
}

/// The application by its number, for a clerk of its center.
pub fn desk_application(conn: &mut DbConnection, center: &CenterId, number: &str) -> Result<(Application, Vec<Event>)> {
    let app = repo::application_by_number(conn, number.trim())?
        .filter(|a| &a.center_id == center)
        .ok_or(BuybackError::NotFound)?;
    let events = repo::events_of(conn, &app.id)?;
    Ok((app, events))
}

pub fn events_of(conn: &mut DbConnection, app: &ApplicationId) -> Result<Vec<Event>> {
    Ok(repo::events_of(conn, app)?)
}

/// A center's applications in these states, the latest change first.
pub fn center_applications(
    conn: &mut DbConnection,
    center: &CenterId,
    states: &[AppState],
) -> Result<Vec<Application>> {
    Ok(repo::applications_of_center(conn, center, states, 200)?)
}

fn moved(conn: &mut DbConnection, app: &Application, to: AppState, at: NaiveDateTime) -> Result<()> {
    if !app.state.may_become(to) || repo::set_state(conn, &app.id, app.state, to, at)? != 1 {
        let now = repo::application(conn, &app.id)?.map_or(app.state, |a| a.state);
        return Err(Refusal::Moved(now.label()).into());
    }
    Ok(())
}

fn check_mover(app: &Application, mover: Mover<'_>) -> Result<()> {
    match mover {
        Mover::Clerk(_, center) if *center == app.center_id => Ok(()),
        Mover::Applicant(None) => Ok(()),
        Mover::Applicant(Some(user)) if app.applicant_id.as_ref() == Some(user) || app.buyer_id == *user => Ok(()),
        _ => Err(BuybackError::NotYours),
    }
}

/// Tells the buyer (at the address they registered) how their application stands.
fn tell_buyer(conn: &mut DbConnection, app: &Application, subject: &str, body: &str, at: NaiveDateTime) -> Result<()> {
    let Some(buyer) =
        crate::accounts::find_user(conn, &app.buyer_id).map_err(|e| BuybackError::Below(e.to_string()))?
    else {
        return Ok(());
    };
    let mail = NewMail {
        to: buyer.email,
        subject: format!("Buy-back {}: {subject}", app.number),
        body: format!(
            "{body}\n\nApplication {} for your order {}: {} {}.\nSee it with the link you kept, or under /buyback when you are logged in.\n",
            app.number, app.order_number, app.used_maker, app.used_model
        ),
        topic: "buyback".into(),
    };
    notify::enqueue(conn, &[mail], at).map_err(|e| BuybackError::Below(e.to_string()))?;
    Ok(())
}

/// The clerk has the item.
pub fn receive(
    conn: &mut DbConnection,
    clerk: &UserId,
    center: &CenterId,
    number: &str,
    at: NaiveDateTime,
) -> Result<Application> {
    let (app, _) = desk_application(conn, center, number)?;
    check_mover(&app, Mover::Clerk(clerk, center))?;
    moved(conn, &app, AppState::Received, at)?;
    event(conn, &app.id, AppState::Received, Some(clerk), "Item received", at)?;
    tell_buyer(
        conn,
        &app,
        "item received",
        "The buy-back center has received your item; it will inspect it and make you an offer.",
        at,
    )?;
    Ok(Application { state: AppState::Received, ..app })
}

/// The clerk's grading and price, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct GradeForm {
    pub grade: String,
    /// Empty: the table's price for the grade.
    pub price: String,
    /// Why the price differs from the table's.
    pub reason: String,
}

/// Grades the item and offers a price: the table's for the grade, or another with a reason. An
/// offer below the estimate waits for the applicant; otherwise the price stands.
pub fn grade_and_offer(
    conn: &mut DbConnection,
    clerk: &UserId,
    center: &CenterId,
    number: &str,
    form: &GradeForm,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Application> {
    let (app, _) = desk_application(conn, center, number)?;
    check_mover(&app, Mover::Clerk(clerk, center))?;
    let c = super::centers::center(conn, center)?;
    let mut errors = crate::web::forms::FieldErrors::new();
    let grade = c.grade_list().into_iter().find(|g| key(g) == key(&form.grade));
    if grade.is_none() {
        errors.add("grade", "Choose a grade of the center's scale.");
    }
    let table = match &grade {
        Some(g) => table_price(conn, center, &app.used_maker, &app.used_model, g)?,
        None => None,
    };
    let typed = if form.price.trim().is_empty() {
        None
    } else {
        match crate::money::parse(&form.price, currency) {
            Ok(p) if p > 0 => Some(p),
            Ok(_) => {
                errors.add("price", "Give a price above zero.");
                None
            }
            Err(e) => {
                errors.add("price", e);
                None
            }
        }
    };
    let price = typed.or(table);
    if price.is_none() && !errors.has("price") && grade.is_some() {
        errors.add("price", "The table has no price for this item in this grade: type the price offered.");
    }
    let reason = form.reason.trim();
    let overridden = typed.is_some() && typed != table;
    if overridden && reason.is_empty() {
        errors.add("reason", "Say why the price differs from the table's.");
    }
    let (Some(grade), Some(price)) = (grade, price) else { return Err(BuybackError::Invalid(errors)) };
    if !errors.is_empty() {
        return Err(BuybackError::Invalid(errors));
    }
    let value = app.benefit_kind.map(|k| rules::benefit_value(k, app.benefit_amount, price)).unwrap_or_default();
    let next = if rules::needs_acceptance(app.estimate, price) { AppState::Offered } else { AppState::Accepted };
    moved(conn, &app, next, at)?;
    repo::set_offer(conn, &app.id, &grade, price, (value.cash, value.points))?;
    let money = crate::money::format(price, currency);
    let mut note = format!("Graded {grade}; offered {money}");
    if overridden {
        let was = table.map_or_else(|| "none".to_owned(), |t| crate::money::format(t, currency));
        note.push_str(&format!(" instead of the table's {was}: {reason}"));
    }
    event(conn, &app.id, next, Some(clerk), &note, at)?;
    let body = match next {
        AppState::Offered => format!(
            "The center graded your item {grade} and offers {money}, below the estimate. Accept or decline the offer on your application's page."
        ),
        _ => format!("The center graded your item {grade} and pays {money}. It will pay you shortly."),
    };
    tell_buyer(conn, &app, "offer", &body, at)?;
    repo::application(conn, &app.id)?.ok_or(BuybackError::NotFound)
}

/// The applicant accepts or declines an offer below the estimate (declined: the item goes back).
pub fn respond(
    conn: &mut DbConnection,
    app: &Application,
    accept: bool,
    who: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<()> {
    check_mover(app, Mover::Applicant(who))?;
    let (to, note) = if accept {
        (AppState::Accepted, "Offer accepted")
    } else {
        (AppState::Returned, "Offer declined; the item goes back")
    };
    moved(conn, app, to, at)?;
    event(conn, &app.id, to, who, note, at)?;
    Ok(())
}

/// The applicant withdraws before the center has the item.
pub fn withdraw(conn: &mut DbConnection, app: &Application, who: Option<&UserId>, at: NaiveDateTime) -> Result<()> {
    check_mover(app, Mover::Applicant(who))?;
    moved(conn, app, AppState::Withdrawn, at)?;
    event(conn, &app.id, AppState::Withdrawn, who, "Withdrawn by the applicant", at)?;
    Ok(())
}

/// The clerk rejects an application (the item is not what was stated, or never came).
pub fn reject(
    conn: &mut DbConnection,
    clerk: &UserId,
    center: &CenterId,
    number: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let (app, _) = desk_application(conn, center, number)?;
    check_mover(&app, Mover::Clerk(clerk, center))?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(BuybackError::field("why", "Say why, in up to 300 characters: the applicant reads it."));
    }
    moved(conn, &app, AppState::Rejected, at)?;
    event(conn, &app.id, AppState::Rejected, Some(clerk), reason, at)?;
    tell_buyer(conn, &app, "rejected", &format!("The center rejected the application: {reason}"), at)?;
    Ok(())
}

/// Pays an accepted application: the price and a money benefit from the center's account to the
/// buyer's e-check account, points through the collection, the result reported: all in the
/// caller's transaction, so both or neither. A second call (a double click) finds it paid.
pub fn pay(
    conn: &mut DbConnection,
    clerk: &UserId,
    center: &CenterId,
    number: &str,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Application> {
    let (app, _) = desk_application(conn, center, number)?;
    check_mover(&app, Mover::Clerk(clerk, center))?;
    if app.state == AppState::Paid {
        return Ok(app);
    }
    let price = app.price.ok_or(Refusal::Moved(app.state.label()))?;
    if let Err(e) = moved(conn, &app, AppState::Paid, at) {
        // A twin click that lost the race finds the payment made.
        return match repo::application(conn, &app.id)? {
            Some(now) if now.state == AppState::Paid => Ok(now),
            _ => Err(e),
        };
    }
    let from = center_account(conn, center, at)?;
    let to = echeck::open_shopper_account(conn, &app.buyer_id, at)?;
    let pay = |conn: &mut DbConnection, amount: i64, part: &str, reason: String| -> Result<()> {
        if amount <= 0 {
            return Ok(());
        }
        let m = echeck::Move {
            from: from.id.clone(),
            to: to.id.clone(),
            amount,
            reason,
            key: IdempotencyKey::named(&format!("buyback:{}:{part}", app.id)),
            actor: Some(clerk.clone()),
        };
        echeck::transfer(conn, &m, at)?;
        Ok(())
    };
    pay(conn, price, "price", format!("Buy-back {}: {} {}", app.number, app.used_maker, app.used_model))?;
    pay(
        conn,
        app.benefit_cash,
        "benefit",
        format!("Buy-back {}: benefit of rule {}", app.number, app.rule_number.unwrap_or(0)),
    )?;
    if app.benefit_points > 0 {
        let reason = format!("Buy-back {}: benefit of rule {}", app.number, app.rule_number.unwrap_or(0));
        let once = format!("buyback:{}", app.id);
        crate::collection::grant(conn, &app.buyer_id, app.benefit_points, &reason, &once, currency, at)?;
    }
    let result = BuybackResult {
        application_id: app.id.clone(),
        center_id: app.center_id.clone(),
        seller_id: app.seller_id.clone(),
        offer_code: app.offer_code.clone(),
        bought_maker: app.bought_maker.clone(),
        bought_model: app.bought_model.clone(),
        used_maker: app.used_maker.clone(),
        used_model: app.used_model.clone(),
        grade: app.grade.clone().unwrap_or_default(),
        price,
        benefit_cash: app.benefit_cash,
        benefit_points: app.benefit_points,
        rule_number: app.rule_number,
        paid_at: at,
    };
    repo::insert_result(conn, &result)?;
    let mut paid = crate::money::format(price + app.benefit_cash, currency);
    if app.benefit_points > 0 {
        paid.push_str(&format!(" and {} collection points", app.benefit_points));
    }
    event(conn, &app.id, AppState::Paid, Some(clerk), &format!("Paid {paid}"), at)?;
    tell_buyer(conn, &app, "paid", &format!("Paid: {paid} to your e-check account."), at)?;
    repo::application(conn, &app.id)?.ok_or(BuybackError::NotFound)
}

/// Paid buy-backs as the sales center sees them: a salesperson's (of their offers) or all.
pub fn results(conn: &mut DbConnection, seller: Option<&UserId>) -> Result<Vec<BuybackResult>> {
    Ok(repo::results(conn, seller, 500)?)
}

/// Erases the personal data of applications that ended `keep` days before `now`.
pub fn erase_ended(conn: &mut DbConnection, keep: KeepDays, now: NaiveDateTime, limit: i64) -> Result<usize> {
    let ids = repo::to_erase(conn, now - chrono::Duration::days(keep.0), limit)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(repo::erase(conn, &ids, now)?)
}
