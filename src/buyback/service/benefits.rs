//! Benefit rules (seed 000 claims 2, 6, 12, 23): registered in advance by admins (for every
//! purchase) and by salespeople (for their own offers' goods); the most specific rule that holds
//! gives the benefit; a rule that would tie with one in force is refused when saved.

use chrono::{NaiveDate, NaiveDateTime};

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, BenefitValue, key};
use super::{BuybackError, Refusal, Result};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

/// The most rules a list shows.
const LIST_LIMIT: i64 = 500;

/// A rule as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RuleForm {
    pub bought_maker: String,
    pub bought_model: String,
    pub used_maker: String,
    pub used_model: String,
    /// "cash", "percent" or "points".
    pub kind: String,
    pub amount: String,
    /// YYYY-MM-DD, both optional; the rule holds from the first day through the last.
    pub valid_from: String,
    pub valid_until: String,
}

fn name(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.chars().count() > 100 {
        errors.add(field, "At most 100 characters.");
    }
    value
}

fn day(errors: &mut FieldErrors, field: &str, value: &str) -> Option<NaiveDate> {
    crate::days::parse(value).map_err(|e| errors.add(field, format!("{e} Or leave it empty."))).ok().flatten()
}

/// Saves a new rule: `seller` for a salesperson's own (whose goods it is for), none for an
/// admin's. Refused when it overlaps a rule in force of the same specificity.
pub fn add_rule(
    conn: &mut DbConnection,
    form: &RuleForm,
    seller: Option<&UserId>,
    author: &UserId,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Rule> {
    let mut errors = FieldErrors::new();
    let bought_maker = name(&mut errors, "bought_maker", &form.bought_maker);
    let bought_model = name(&mut errors, "bought_model", &form.bought_model);
    let used_maker = name(&mut errors, "used_maker", &form.used_maker);
    let used_model = name(&mut errors, "used_model", &form.used_model);
    if bought_maker.is_empty() && !bought_model.is_empty() {
        errors.add("bought_maker", "A model belongs to a maker: name the maker too.");
    }
    if used_maker.is_empty() && !used_model.is_empty() {
        errors.add("used_maker", "A model belongs to a maker: name the maker too.");
    }
    if seller.is_some() && bought_maker.is_empty() {
        errors.add("bought_maker", "Name the maker of your goods the rule is for.");
    }
    let kind = BenefitKind::parse(&form.kind);
    let amount = match kind {
        None => {
            errors.add("kind", "Choose what the benefit gives.");
            0
        }
        Some(BenefitKind::Cash) => crate::money::parse(&form.amount, currency).unwrap_or_else(|e| {
            errors.add("amount", e);
            0
        }),
        Some(BenefitKind::Percent | BenefitKind::Points) => {
            form.amount.trim().replace([',', '_', ' ', '%'], "").parse::<i64>().unwrap_or_else(|_| {
                errors.add("amount", "A whole number.");
                0
            })
        }
    };
    let most = if kind == Some(BenefitKind::Percent) { 100 } else { crate::collection::rules::MAX_POINTS };
    if !errors.has("amount") && !errors.has("kind") && !(1..=most).contains(&amount) {
        errors.add("amount", format!("Between 1 and {most}."));
    }
    let valid_from = day(&mut errors, "valid_from", &form.valid_from).map(crate::days::start);
    // The last day counts whole: the rule ends at the start of the next.
    let valid_until = day(&mut errors, "valid_until", &form.valid_until).map(crate::days::end_of);
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && until <= from
    {
        errors.add("valid_until", "The last day comes on or after the first.");
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else { return Err(BuybackError::Invalid(errors)) };
    let rule = Rule {
        id: RuleId::new(),
        number: repo::next_rule_number(conn)?,
        seller_id: seller.cloned(),
        bought_maker_key: key(&bought_maker),
        bought_model_key: key(&bought_model),
        used_maker_key: key(&used_maker),
        used_model_key: key(&used_model),
        bought_maker,
        bought_model,
        used_maker,
        used_model,
        benefit_kind: kind,
        amount,
        valid_from,
        valid_until,
        created_by: author.clone(),
        created_at: at,
        withdrawn_at: None,
    };
    let terms = rule.terms();
    if let Some(other) = repo::rules_like(conn, &rule)?.into_iter().find(|r| r.terms().overlaps(&terms)) {
        return Err(Refusal::Overlaps(other.number).into());
    }
    repo::insert_rule(conn, &rule)?;
    Ok(rule)
}

/// Withdraws a rule in force: an admin any, a salesperson only their own.
pub fn withdraw_rule(conn: &mut DbConnection, id: &RuleId, seller: Option<&UserId>, at: NaiveDateTime) -> Result<()> {
    let rule = repo::rule(conn, id)?.ok_or(BuybackError::NotFound)?;
    if seller.is_some() && rule.seller_id.as_ref() != seller {
        return Err(BuybackError::NotYours);
    }
    repo::withdraw_rule(conn, id, at)?;
    Ok(())
}

/// Rules in force: all (admins) or a salesperson's own.
pub fn rules_in_force(conn: &mut DbConnection, seller: Option<&UserId>) -> Result<Vec<Rule>> {
    Ok(repo::rules_in_force(conn, seller, LIST_LIMIT)?)
}

/// The benefit that applies to a purchase of `seller`'s goods and a used item, and what it comes
/// to for `price`.
#[derive(Clone, Debug)]
pub struct AppliedBenefit {
    pub rule_number: i64,
    pub kind: BenefitKind,
    pub amount: i64,
    pub value: BenefitValue,
}

impl AppliedBenefit {
    pub fn text(&self, currency: &str) -> String {
        match self.kind {
            BenefitKind::Cash => {
                format!("{} extra (rule {})", crate::money::format(self.value.cash, currency), self.rule_number)
            }
            BenefitKind::Percent => format!(
                "{}% of the price: {} (rule {})",
                self.amount,
                crate::money::format(self.value.cash, currency),
                self.rule_number
            ),
            BenefitKind::Points => format!("{} collection points (rule {})", self.value.points, self.rule_number),
        }
    }
}

/// The winning rule for goods bought (maker, model) from `seller` and a used item (maker, model)
/// at `at`, and what it gives for `price`; none when no rule holds.
pub fn benefit_for(
    conn: &mut DbConnection,
    seller: &UserId,
    bought: (&str, &str),
    used: (&str, &str),
    price: i64,
    at: NaiveDateTime,
) -> Result<Option<AppliedBenefit>> {
    let found = repo::rules_for(conn, (&key(bought.0), &key(bought.1)), (&key(used.0), &key(used.1)))?;
    let terms: Vec<_> = found.iter().map(Rule::terms).collect();
    let Some(won) = rules::winning_rule(&terms, seller.as_str(), bought, used, at) else { return Ok(None) };
    let Some(rule) = found.iter().find(|r| r.id == won.id) else { return Ok(None) };
    Ok(Some(AppliedBenefit {
        rule_number: rule.number,
        kind: rule.benefit_kind,
        amount: rule.amount,
        value: rules::benefit_value(rule.benefit_kind, rule.amount, price),
    }))
}
