//! The rows of buy-back: centers and their clerks, designations, price tables, benefit rules,
//! applications with their events, and the results the sales center sees.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{AppState, BenefitKind};
use crate::accounts::UserId;
use crate::catalog::OfferId;
use crate::db::schema::{
    buyback_applications, buyback_centers, buyback_clerks, buyback_designations, buyback_events, buyback_prices,
    buyback_results, buyback_rules,
};

crate::db::id_type!(CenterId);
crate::db::id_type!(PriceId);
crate::db::id_type!(RuleId);
crate::db::id_type!(ApplicationId);
crate::db::id_type!(EventId);

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = buyback_centers)]
pub struct Center {
    pub id: CenterId,
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub active: bool,
    pub is_default: bool,
    /// The grade scale, best first, separated by commas.
    pub grades: String,
    pub created_at: NaiveDateTime,
}

impl Center {
    pub fn grade_list(&self) -> Vec<String> {
        super::rules::parse_grades(&self.grades).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_clerks)]
pub struct CenterClerk {
    pub user_id: UserId,
    pub center_id: CenterId,
    pub assigned_at: NaiveDateTime,
}

/// An offer is trade-in eligible while it has one; no center: the default center serves it.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_designations)]
pub struct Designation {
    pub offer_id: OfferId,
    pub seller_id: UserId,
    pub center_id: Option<CenterId>,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_prices)]
pub struct PriceRow {
    pub id: PriceId,
    pub center_id: CenterId,
    pub maker: String,
    /// Empty: any model of the maker.
    pub model: String,
    pub maker_key: String,
    pub model_key: String,
    pub grade: String,
    pub price: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_rules)]
pub struct Rule {
    pub id: RuleId,
    pub number: i64,
    pub seller_id: Option<UserId>,
    pub bought_maker: String,
    pub bought_model: String,
    pub used_maker: String,
    pub used_model: String,
    pub bought_maker_key: String,
    pub bought_model_key: String,
    pub used_maker_key: String,
    pub used_model_key: String,
    pub benefit_kind: BenefitKind,
    pub amount: i64,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_until: Option<NaiveDateTime>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
}

impl Rule {
    pub fn terms(&self) -> super::rules::RuleTerms<RuleId> {
        super::rules::RuleTerms {
            id: self.id.clone(),
            conditions: super::rules::Conditions {
                bought_maker: self.bought_maker_key.clone(),
                bought_model: self.bought_model_key.clone(),
                used_maker: self.used_maker_key.clone(),
                used_model: self.used_model_key.clone(),
            },
            seller: self.seller_id.as_ref().map(|s| s.as_str().to_owned()),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_applications)]
pub struct Application {
    pub id: ApplicationId,
    pub number: String,
    pub link_hash: String,
    pub center_id: CenterId,
    pub order_number: String,
    pub offer_code: String,
    pub seller_id: UserId,
    pub buyer_id: UserId,
    pub applicant_id: Option<UserId>,
    pub bought_maker: String,
    pub bought_model: String,
    pub used_maker: String,
    pub used_model: String,
    pub stated_grade: String,
    pub serial: String,
    pub note: String,
    pub applicant_name: String,
    pub applicant_contact: String,
    pub erased_at: Option<NaiveDateTime>,
    pub estimate: Option<i64>,
    pub rule_number: Option<i64>,
    pub benefit_kind: Option<BenefitKind>,
    pub benefit_amount: i64,
    pub grade: Option<String>,
    pub price: Option<i64>,
    pub benefit_cash: i64,
    pub benefit_points: i64,
    pub state: AppState,
    pub idempotency_key: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_events)]
pub struct Event {
    pub id: EventId,
    pub application_id: ApplicationId,
    pub state: AppState,
    pub actor_id: Option<UserId>,
    pub reason: String,
    pub at: NaiveDateTime,
}

/// A paid buy-back as the sales center learns it: no personal data.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = buyback_results)]
pub struct BuybackResult {
    pub application_id: ApplicationId,
    pub center_id: CenterId,
    pub seller_id: UserId,
    pub offer_code: String,
    pub bought_maker: String,
    pub bought_model: String,
    pub used_maker: String,
    pub used_model: String,
    pub grade: String,
    pub price: i64,
    pub benefit_cash: i64,
    pub benefit_points: i64,
    pub rule_number: Option<i64>,
    pub paid_at: NaiveDateTime,
}
