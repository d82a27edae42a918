//! The rows of analytics: the admins' settings, prices, the reports bought, the monthly spending
//! of privacy budget.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::UserId;
use crate::db::schema::{analysis_prices, analytics_budgets, analytics_reports, analytics_settings};
use crate::echeck::OfficeId;

crate::db::id_type!(ReportId);

/// The one row of settings.
pub const SETTINGS: &str = "settings";

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = analytics_settings)]
pub struct Settings {
    pub id: String,
    /// No cell is shown from fewer than k distinct sales or requests.
    pub k: i64,
    pub noise: bool,
    /// ε per report, in thousandths.
    pub epsilon_milli: i64,
    /// Each salesperson's ε for a calendar month, in thousandths.
    pub budget_milli: i64,
    pub updated_at: NaiveDateTime,
}

impl Settings {
    pub fn starting(at: NaiveDateTime) -> Settings {
        Settings {
            id: SETTINGS.to_owned(),
            k: super::rules::DEFAULT_K,
            noise: false,
            epsilon_milli: 500,
            budget_milli: 5_000,
            updated_at: at,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = analysis_prices)]
pub struct Price {
    pub analysis: String,
    pub price: i64,
    pub updated_at: NaiveDateTime,
}

/// A report bought: the design and the result as computed then, kept frozen (`tables`: what its
/// page shows; the whole result is its CSV, kept beside it).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = analytics_reports)]
pub struct Report {
    pub id: ReportId,
    pub seller_id: UserId,
    pub office_id: OfficeId,
    pub analysis: String,
    pub design: String,
    pub tables: String,
    pub k: i64,
    pub epsilon_milli: Option<i64>,
    pub price: i64,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
}

/// A report as the list of a salesperson's reports names it.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = analytics_reports)]
pub struct ReportListed {
    pub id: ReportId,
    pub analysis: String,
    pub design: String,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = analytics_budgets)]
pub struct Spending {
    pub seller_id: UserId,
    pub month: String,
    pub spent_milli: i64,
}
