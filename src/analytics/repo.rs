//! Queries on the module's own tables.

use diesel::prelude::*;

use super::model::*;
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::db::schema::{
    analysis_prices, analytics_budgets, analytics_report_csv, analytics_reports, analytics_settings,
};
use crate::db::sql::Sql;

fn one<T>(rows: QueryResult<Vec<T>>) -> QueryResult<Option<T>> {
    Ok(rows?.into_iter().next())
}

pub fn settings(conn: &mut DbConnection) -> QueryResult<Option<Settings>> {
    one(analytics_settings::table.find(SETTINGS).select(Settings::as_select()).load(conn))
}

pub fn save_settings(conn: &mut DbConnection, s: &Settings) -> QueryResult<usize> {
    if diesel::update(analytics_settings::table.find(SETTINGS)).set(s).execute(conn)? == 0 {
        return diesel::insert_into(analytics_settings::table).values(s).execute(conn);
    }
    Ok(1)
}

pub fn prices(conn: &mut DbConnection) -> QueryResult<Vec<Price>> {
    analysis_prices::table.select(Price::as_select()).load(conn)
}

pub fn set_price(conn: &mut DbConnection, p: &Price) -> QueryResult<usize> {
    diesel::delete(analysis_prices::table.find(&p.analysis)).execute(conn)?;
    diesel::insert_into(analysis_prices::table).values(p).execute(conn)
}

pub fn insert_report(conn: &mut DbConnection, r: &Report) -> QueryResult<usize> {
    diesel::insert_into(analytics_reports::table).values(r).execute(conn)
}

pub fn report_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Report>> {
    one(analytics_reports::table
        .filter(analytics_reports::idempotency_key.eq(key))
        .select(Report::as_select())
        .load(conn))
}

pub fn report(conn: &mut DbConnection, id: &ReportId) -> QueryResult<Option<Report>> {
    one(analytics_reports::table.find(id).select(Report::as_select()).load(conn))
}

pub fn reports_of(conn: &mut DbConnection, seller: &UserId, limit: i64) -> QueryResult<Vec<ReportListed>> {
    analytics_reports::table
        .filter(analytics_reports::seller_id.eq(seller))
        .order(analytics_reports::created_at.desc())
        .limit(limit)
        .select(ReportListed::as_select())
        .load(conn)
}

pub fn insert_csv(conn: &mut DbConnection, report: &ReportId, body: &str) -> QueryResult<usize> {
    diesel::insert_into(analytics_report_csv::table)
        .values((analytics_report_csv::report_id.eq(report), analytics_report_csv::body.eq(body)))
        .execute(conn)
}

pub fn csv_of(conn: &mut DbConnection, report: &ReportId) -> QueryResult<Option<String>> {
    one(analytics_report_csv::table.find(report).select(analytics_report_csv::body).load(conn))
}

pub fn spending(conn: &mut DbConnection, seller: &UserId, month: &str) -> QueryResult<i64> {
    let row =
        one(analytics_budgets::table.find((seller, month)).select(analytics_budgets::spent_milli).load::<i64>(conn))?;
    Ok(row.unwrap_or(0))
}

/// Spends `cost` of the month's budget; 0 rows when that would pass `budget` (the row is made
/// first, so two purchases at once queue on it).
pub fn spend(conn: &mut DbConnection, seller: &UserId, month: &str, cost: i64, budget: i64) -> QueryResult<usize> {
    let row = Spending { seller_id: seller.clone(), month: month.to_owned(), spent_milli: 0 };
    crate::db::on_backend!(conn, c => diesel::insert_into(analytics_budgets::table).values(&row).on_conflict_do_nothing().execute(c))?;
    let mut q = Sql::new("UPDATE analytics_budgets SET spent_milli = spent_milli + ");
    q.int(cost).push(" WHERE seller_id = ").text(seller.as_str()).push(" AND month = ").text(month);
    q.push(" AND spent_milli + ").int(cost).push(" <= ").int(budget);
    q.execute(conn)
}
