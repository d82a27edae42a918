//! Queries on the module's own tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use crate::accounts::UserId;
use crate::catalog::OfferId;
use crate::db::DbConnection;
use crate::db::schema::{
    buyback_applications as apps, buyback_centers as centers, buyback_clerks as clerks, buyback_designations as des,
    buyback_events as events, buyback_prices as prices, buyback_results as results, buyback_rules as rules,
};

fn one<T>(rows: QueryResult<Vec<T>>) -> QueryResult<Option<T>> {
    Ok(rows?.into_iter().next())
}

// ---- centers and clerks ----

pub fn insert_center(conn: &mut DbConnection, c: &Center) -> QueryResult<usize> {
    diesel::insert_into(centers::table).values(c).execute(conn)
}

pub fn save_center(conn: &mut DbConnection, c: &Center) -> QueryResult<usize> {
    diesel::update(centers::table.find(&c.id)).set(c).execute(conn)
}

pub fn centers(conn: &mut DbConnection) -> QueryResult<Vec<Center>> {
    centers::table.order(centers::code.asc()).select(Center::as_select()).load(conn)
}

pub fn center(conn: &mut DbConnection, id: &CenterId) -> QueryResult<Option<Center>> {
    one(centers::table.find(id).select(Center::as_select()).load(conn))
}

pub fn center_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Center>> {
    one(centers::table.filter(centers::code.eq(code)).select(Center::as_select()).load(conn))
}

pub fn default_center(conn: &mut DbConnection) -> QueryResult<Option<Center>> {
    one(centers::table.filter(centers::is_default.eq(true)).select(Center::as_select()).load(conn))
}

pub fn clear_default(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(centers::table.filter(centers::is_default.eq(true))).set(centers::is_default.eq(false)).execute(conn)
}

pub fn clerk(conn: &mut DbConnection, user: &UserId) -> QueryResult<Option<CenterClerk>> {
    one(clerks::table.find(user).select(CenterClerk::as_select()).load(conn))
}

pub fn set_clerk(conn: &mut DbConnection, row: &CenterClerk) -> QueryResult<usize> {
    diesel::delete(clerks::table.find(&row.user_id)).execute(conn)?;
    diesel::insert_into(clerks::table).values(row).execute(conn)
}

pub fn remove_clerk(conn: &mut DbConnection, user: &UserId) -> QueryResult<usize> {
    diesel::delete(clerks::table.find(user)).execute(conn)
}

pub fn clerks(conn: &mut DbConnection) -> QueryResult<Vec<CenterClerk>> {
    clerks::table.order(clerks::assigned_at.asc()).select(CenterClerk::as_select()).load(conn)
}

// ---- designations ----

pub fn designation(conn: &mut DbConnection, offer: &OfferId) -> QueryResult<Option<Designation>> {
    one(des::table.find(offer).select(Designation::as_select()).load(conn))
}

pub fn designations_of_offers(conn: &mut DbConnection, offers: &[OfferId]) -> QueryResult<Vec<Designation>> {
    des::table.filter(des::offer_id.eq_any(offers)).select(Designation::as_select()).load(conn)
}

pub fn set_designation(conn: &mut DbConnection, row: &Designation) -> QueryResult<usize> {
    diesel::delete(des::table.find(&row.offer_id)).execute(conn)?;
    diesel::insert_into(des::table).values(row).execute(conn)
}

pub fn remove_designation(conn: &mut DbConnection, offer: &OfferId) -> QueryResult<usize> {
    diesel::delete(des::table.find(offer)).execute(conn)
}

// ---- price tables ----

pub fn prices_of(conn: &mut DbConnection, center: &CenterId) -> QueryResult<Vec<PriceRow>> {
    prices::table
        .filter(prices::center_id.eq(center))
        .order((prices::maker_key.asc(), prices::model_key.asc(), prices::grade.asc()))
        .select(PriceRow::as_select())
        .load(conn)
}

/// The lines of a center's table for one maker (its models' and the maker's own).
pub fn prices_for_maker(conn: &mut DbConnection, center: &CenterId, maker_key: &str) -> QueryResult<Vec<PriceRow>> {
    prices::table
        .filter(prices::center_id.eq(center))
        .filter(prices::maker_key.eq(maker_key))
        .select(PriceRow::as_select())
        .load(conn)
}

/// Sets a line: the one with the same maker, model and grade is replaced.
pub fn set_price(conn: &mut DbConnection, row: &PriceRow) -> QueryResult<usize> {
    diesel::delete(
        prices::table
            .filter(prices::center_id.eq(&row.center_id))
            .filter(prices::maker_key.eq(&row.maker_key))
            .filter(prices::model_key.eq(&row.model_key))
            .filter(prices::grade.eq(&row.grade)),
    )
    .execute(conn)?;
    diesel::insert_into(prices::table).values(row).execute(conn)
}

pub fn remove_price(conn: &mut DbConnection, center: &CenterId, id: &PriceId) -> QueryResult<usize> {
    diesel::delete(prices::table.filter(prices::id.eq(id)).filter(prices::center_id.eq(center))).execute(conn)
}

// ---- benefit rules ----

pub fn next_rule_number(conn: &mut DbConnection) -> QueryResult<i64> {
    let max: Option<i64> = rules::table.select(diesel::dsl::max(rules::number)).get_result(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn insert_rule(conn: &mut DbConnection, r: &Rule) -> QueryResult<usize> {
    diesel::insert_into(rules::table).values(r).execute(conn)
}

pub fn rule(conn: &mut DbConnection, id: &RuleId) -> QueryResult<Option<Rule>> {
    one(rules::table.find(id).select(Rule::as_select()).load(conn))
}

/// Rules in force with the same four conditions (the only ones a new rule can overlap).
pub fn rules_like(conn: &mut DbConnection, r: &Rule) -> QueryResult<Vec<Rule>> {
    rules::table
        .filter(rules::bought_maker_key.eq(&r.bought_maker_key))
        .filter(rules::bought_model_key.eq(&r.bought_model_key))
        .filter(rules::used_maker_key.eq(&r.used_maker_key))
        .filter(rules::used_model_key.eq(&r.used_model_key))
        .filter(rules::withdrawn_at.is_null())
        .select(Rule::as_select())
        .load(conn)
}

/// The rules in force that may apply to goods bought (maker, model) and a used item (maker,
/// model), as keys: those naming each or leaving it empty (at most sixteen probes of the
/// conditions' index, however many rules there are).
pub fn rules_for(conn: &mut DbConnection, bought: (&str, &str), used: (&str, &str)) -> QueryResult<Vec<Rule>> {
    let either = |key: &str| [String::new(), key.to_owned()];
    rules::table
        .filter(rules::bought_maker_key.eq_any(either(bought.0)))
        .filter(rules::bought_model_key.eq_any(either(bought.1)))
        .filter(rules::used_maker_key.eq_any(either(used.0)))
        .filter(rules::used_model_key.eq_any(either(used.1)))
        .filter(rules::withdrawn_at.is_null())
        .select(Rule::as_select())
        .load(conn)
}

/// Rules in force: all of them, or one salesperson's.
pub fn rules_in_force(conn: &mut DbConnection, seller: Option<&UserId>, limit: i64) -> QueryResult<Vec<Rule>> {
    let mut q = rules::table.filter(rules::withdrawn_at.is_null()).into_boxed();
    if let Some(seller) = seller {
        q = q.filter(rules::seller_id.eq(seller.clone()));
    }
    q.order(rules::number.asc()).limit(limit).select(Rule::as_select()).load(conn)
}

pub fn withdraw_rule(conn: &mut DbConnection, id: &RuleId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(rules::table.find(id).filter(rules::withdrawn_at.is_null()))
        .set(rules::withdrawn_at.eq(at))
        .execute(conn)
}

// ---- applications ----

/// Inserts the application unless one with its key or for its order line is there already
/// (0 rows): a twin submit or a second applicant racing, told apart by the caller.
pub fn insert_application(conn: &mut DbConnection, a: &Application) -> QueryResult<usize> {
    crate::db::on_backend!(conn, c => diesel::insert_into(apps::table).values(a).on_conflict_do_nothing().execute(c))
}

pub fn application(conn: &mut DbConnection, id: &ApplicationId) -> QueryResult<Option<Application>> {
    one(apps::table.find(id).select(Application::as_select()).load(conn))
}

pub fn application_by_number(conn: &mut DbConnection, number: &str) -> QueryResult<Option<Application>> {
    one(apps::table.filter(apps::number.eq(number)).select(Application::as_select()).load(conn))
}

pub fn application_by_link(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Application>> {
    one(apps::table.filter(apps::link_hash.eq(hash)).select(Application::as_select()).load(conn))
}

pub fn application_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Application>> {
    one(apps::table.filter(apps::idempotency_key.eq(key)).select(Application::as_select()).load(conn))
}

/// The application standing for an order line, if any (a withdrawn one does not count).
pub fn application_for_line(conn: &mut DbConnection, order: &str, offer: &str) -> QueryResult<Option<Application>> {
    one(apps::table
        .filter(apps::order_number.eq(order))
        .filter(apps::offer_code.eq(offer))
        .filter(apps::state.ne(AppState::Withdrawn))
        .select(Application::as_select())
        .load(conn))
}

pub fn applications_of_center(
    conn: &mut DbConnection,
    center: &CenterId,
    states: &[AppState],
    limit: i64,
) -> QueryResult<Vec<Application>> {
    apps::table
        .filter(apps::center_id.eq(center))
        .filter(apps::state.eq_any(states))
        .order(apps::updated_at.desc())
        .limit(limit)
        .select(Application::as_select())
        .load(conn)
}

pub fn applications_of_user(conn: &mut DbConnection, user: &UserId, limit: i64) -> QueryResult<Vec<Application>> {
    apps::table
        .filter(apps::applicant_id.eq(user).or(apps::buyer_id.eq(user)))
        .order(apps::created_at.desc())
        .limit(limit)
        .select(Application::as_select())
        .load(conn)
}

/// Moves an application on from the state it was read in; 0 rows: someone moved it first.
pub fn set_state(
    conn: &mut DbConnection,
    id: &ApplicationId,
    from: AppState,
    to: AppState,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let ended = to.is_final().then_some(at);
    diesel::update(apps::table.find(id).filter(apps::state.eq(from)))
        .set((apps::state.eq(to), apps::updated_at.eq(at), apps::ended_at.eq(ended)))
        .execute(conn)
}

/// The clerk's grading and price, with the benefit that price comes to.
pub fn set_offer(
    conn: &mut DbConnection,
    id: &ApplicationId,
    grade: &str,
    price: i64,
    benefit: (i64, i64),
) -> QueryResult<usize> {
    diesel::update(apps::table.find(id))
        .set((
            apps::grade.eq(grade),
            apps::price.eq(price),
            apps::benefit_cash.eq(benefit.0),
            apps::benefit_points.eq(benefit.1),
        ))
        .execute(conn)
}

/// Ended applications whose personal data is still there, ended before `before`.
pub fn to_erase(conn: &mut DbConnection, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<ApplicationId>> {
    apps::table
        .filter(apps::erased_at.is_null())
        .filter(apps::ended_at.le(before))
        .order(apps::ended_at.asc())
        .limit(limit)
        .select(apps::id)
        .load(conn)
}

pub fn erase(conn: &mut DbConnection, ids: &[ApplicationId], at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(apps::table.filter(apps::id.eq_any(ids)))
        .set((
            apps::applicant_name.eq(""),
            apps::applicant_contact.eq(""),
            apps::serial.eq(""),
            apps::note.eq(""),
            apps::erased_at.eq(at),
        ))
        .execute(conn)
}

// ---- events and results ----

pub fn insert_event(conn: &mut DbConnection, e: &Event) -> QueryResult<usize> {
    diesel::insert_into(events::table).values(e).execute(conn)
}

pub fn events_of(conn: &mut DbConnection, id: &ApplicationId) -> QueryResult<Vec<Event>> {
    events::table
        .filter(events::application_id.eq(id))
        .order((events::at.asc(), events::id.asc()))
        .select(Event::as_select())
        .load(conn)
}

pub fn insert_result(conn: &mut DbConnection, r: &BuybackResult) -> QueryResult<usize> {
    diesel::insert_into(results::table).values(r).execute(conn)
}

/// Results, newest first: one salesperson's or all.
pub fn results(conn: &mut DbConnection, seller: Option<&UserId>, limit: i64) -> QueryResult<Vec<BuybackResult>> {
    let mut q = results::table.into_boxed();
    if let Some(seller) = seller {
        q = q.filter(results::seller_id.eq(seller.clone()));
    }
    q.order(results::paid_at.desc()).limit(limit).select(BuybackResult::as_select()).load(conn)
}
