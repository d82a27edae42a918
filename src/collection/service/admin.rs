//! What admins keep: the published points rules (each save a new version, the old ones kept) and
//! adjustments of a member's points with a reason.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, PointsRules};
use super::ledger::{self, Note};
use super::{CollectionError, Result};
use crate::accounts::UserId;
use crate::catalog::{self, Kind};
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

/// The rules in force: the latest published, or the starting rules before any was.
pub fn current_rules(conn: &mut DbConnection, currency: &str) -> Result<PointsRules> {
    Ok(match repo::latest_rules(conn)? {
        Some(row) => from_row(row),
        None => PointsRules::starting(currency),
    })
}

fn from_row(row: RulesRow) -> PointsRules {
    PointsRules {
        points_reusable: row.points_reusable,
        points_other: row.points_other,
        tiers: rules::parse_tiers(&row.tiers).unwrap_or_default(),
        monthly_cap: row.monthly_cap,
        allowance: row.allowance,
        expiry_months: u32::try_from(row.expiry_months).unwrap_or(12),
        point_value: row.point_value,
        currency: row.currency,
        cartridge_kinds: row.cartridge_kinds.split_whitespace().map(str::to_owned).collect(),
    }
}

/// A published version of the rules, for the admins' list.
pub struct RulesVersion {
    pub rules: PointsRules,
    pub changed_by: Option<UserId>,
    pub at: NaiveDateTime,
}

impl RulesVersion {
    pub fn value_text(&self) -> String {
        crate::money::format(self.rules.point_value, &self.rules.currency)
    }
}

/// What `/admin/collection` shows: the rules, the catalog's kinds to choose cartridges from, and
/// the versions published before.
pub struct RulesPage {
    pub rules: PointsRules,
    pub kinds: Vec<Kind>,
    pub history: Vec<RulesVersion>,
}

pub fn rules_page(conn: &mut DbConnection, currency: &str) -> Result<RulesPage> {
    let history = repo::rules_history(conn, 20)?
        .into_iter()
        .map(|row| RulesVersion { changed_by: row.changed_by.clone(), at: row.created_at, rules: from_row(row) })
        .collect();
    Ok(RulesPage { rules: current_rules(conn, currency)?, kinds: catalog::kinds(conn)?, history })
}

/// Reads the rules form (its fields as sent; `kind` once per cartridge kind ticked).
pub fn read_rules(pairs: &[(String, String)], currency: &str) -> std::result::Result<PointsRules, FieldErrors> {
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str()).trim();
    let mut errors = FieldErrors::new();
    let mut number = |name: &str| -> i64 {
        value(name).replace([',', '_'], "").parse::<i64>().unwrap_or_else(|_| {
            errors.add(name, "Type a whole number.");
            0
        })
    };
    let points_reusable = number("points_reusable");
    let points_other = number("points_other");
    let monthly_cap = number("monthly_cap");
    let allowance = number("allowance");
    let expiry_months = number("expiry_months");
    let point_value = match crate::money::parse(value("point_value"), currency) {
        Ok(v) => v,
        Err(e) => {
            errors.add("point_value", e);
            0
        }
    };
    let tiers = rules::parse_tiers(value("tiers")).unwrap_or_else(|e| {
        errors.add("tiers", e);
        Vec::new()
    });
    let mut cartridge_kinds: Vec<String> =
        pairs.iter().filter(|(k, _)| k == "kind").map(|(_, v)| v.trim().to_owned()).collect();
    cartridge_kinds.sort();
    cartridge_kinds.dedup();
    let rules = PointsRules {
        points_reusable,
        points_other,
        tiers,
        monthly_cap,
        allowance,
        expiry_months: u32::try_from(expiry_months).unwrap_or(0),
        point_value,
        currency: currency.to_owned(),
        cartridge_kinds,
    };
    if let Err(more) = rules::check_rules(&rules) {
        for (field, message) in more.iter() {
            if !errors.has(field) {
                errors.add(field, message);
            }
        }
    }
    errors.into_result().map(|()| rules)
}

/// Publishes new rules: a new version, in force from now on (points earned before keep their
/// expiry).
pub fn publish_rules(conn: &mut DbConnection, rules: &PointsRules, admin: &UserId, at: NaiveDateTime) -> Result<()> {
    let known: Vec<String> = catalog::kinds(conn)?.into_iter().map(|k| k.code).collect();
    if let Some(unknown) = rules.cartridge_kinds.iter().find(|k| !known.contains(k)) {
        return Err(CollectionError::field("kind", format!("There is no kind {unknown:?} in the catalog.")));
    }
    let row = RulesRow {
        id: RulesId::new(),
        points_reusable: rules.points_reusable,
        points_other: rules.points_other,
        tiers: rules.tiers_text(),
        monthly_cap: rules.monthly_cap,
        allowance: rules.allowance,
        expiry_months: i32::try_from(rules.expiry_months).unwrap_or(12),
        point_value: rules.point_value,
        currency: rules.currency.clone(),
        cartridge_kinds: rules.cartridge_kinds.join(" "),
        changed_by: Some(admin.clone()),
        created_at: at,
    };
    repo::insert_rules(conn, &row)?;
    Ok(())
}

/// An admin's adjustment of a member's points (by card number), with a reason: a gift becomes a
/// lot under the rules' expiry; a deduction takes from the lots like a redemption.
pub fn adjust(
    conn: &mut DbConnection,
    card: &str,
    points: &str,
    reason: &str,
    admin: &UserId,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Entry> {
    let mut errors = FieldErrors::new();
    let member = match super::desk::member_of_card(conn, card) {
        Ok(m) => Some(m),
        Err(CollectionError::Invalid(e)) => {
            errors.add("card", e.get("card"));
            None
        }
        Err(e) => return Err(e),
    };
    let points = match points.trim().replace([',', '_', ' '], "").parse::<i64>() {
        Ok(0) => {
            errors.add("points", "Give the points to add (e.g. 50) or take (e.g. -50).");
            0
        }
        Ok(n) if n.abs() <= rules::MAX_POINTS => n,
        _ => {
            errors.add("points", "Type a whole number of points, e.g. 50 or -50.");
            0
        }
    };
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        errors.add("reason", "Say why, in up to 300 characters: the member sees it.");
    }
    let Some(member) = member.filter(|_| errors.is_empty()) else { return Err(CollectionError::Invalid(errors)) };
    let member = ledger::lock(conn, &member.user_id)?;
    let note = Note { kind: EntryKind::Adjusted, reference: "admin", reason, actor: Some(admin), once_key: None };
    let entry = if points > 0 {
        let months = current_rules(conn, currency)?.expiry_months;
        ledger::add(conn, &member.user_id, points, months, &note, at)?
    } else {
        ledger::take(conn, &member.user_id, -points, None, &note, at).map_err(|e| match e {
            CollectionError::Refused(r) => CollectionError::field("points", r.to_string()),
            e => e,
        })?
    };
    super::members::refresh_points_figures(conn, &member, at)?;
    Ok(entry)
}

/// Points another module gives a shopper (buy-back's benefit), registering them for the
/// collection if they were not: an `adjusted` entry with `reason`, once per `once_key` (a second
/// call answers with the first's entry). Part of the caller's transaction.
pub fn grant(
    conn: &mut DbConnection,
    user: &UserId,
    points: i64,
    reason: &str,
    once_key: &str,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Entry> {
    if let Some(done) = repo::entry_by_once_key(conn, once_key)? {
        return Ok(done);
    }
    if points <= 0 || points > rules::MAX_POINTS {
        return Err(CollectionError::field("points", "Points granted are a positive whole number."));
    }
    super::members::register(conn, user, at)?;
    let member = ledger::lock(conn, user)?;
    let note = Note {
        kind: EntryKind::Adjusted,
        reference: once_key,
        reason,
        actor: None,
        once_key: Some(once_key.to_owned()),
    };
    let months = current_rules(conn, currency)?.expiry_months;
    let entry = ledger::add(conn, user, points, months, &note, at)?;
    super::members::refresh_points_figures(conn, &member, at)?;
    Ok(entry)
}
