//! The operations of analytics: computing an analysis for a salesperson's design from the stores
//! (read through `history`, named through `catalog`). Paying, freezing and the privacy budget
//! come with the pages.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};

use super::analyses::{self, Analysis, Groups, Names};
use super::model::*;
use super::repo;
use super::rules::{Granularity, Table};
use crate::accounts::UserId;
use crate::catalog::{self, KindId, ProductId};
use crate::db::{DbConnection, DbError};
use crate::echeck::OfficeId;
use crate::history::{self, Scope};

/// What a salesperson designs (step C1): the analysis, a kind or all, the days from `from`
/// through `last`, weeks or months, the market or their own office.
#[derive(Clone, Debug)]
pub struct Design {
    pub analysis: Analysis,
    pub kind: Option<KindId>,
    pub from: NaiveDate,
    pub last: NaiveDate,
    pub granularity: Granularity,
    /// Their own office only; none: the whole market.
    pub office: Option<OfficeId>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// Why a purchase was not made, as the salesperson reads it above the form.
    #[error("{0}")]
    Refused(String),
    #[error("the form has mistakes")]
    Invalid(crate::web::forms::FieldErrors),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Below(String),
}

impl From<catalog::CatalogError> for AnalyticsError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::Db(e) => AnalyticsError::Db(e),
            other => AnalyticsError::Below(other.to_string()),
        }
    }
}

impl From<crate::echeck::EcheckError> for AnalyticsError {
    fn from(e: crate::echeck::EcheckError) -> Self {
        match e {
            crate::echeck::EcheckError::Db(e) => AnalyticsError::Db(e),
            crate::echeck::EcheckError::Refused(r) => AnalyticsError::Refused(format!("Not bought: {r}")),
            other => AnalyticsError::Below(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for AnalyticsError {
    fn from(e: diesel::result::Error) -> Self {
        AnalyticsError::Db(DbError::Query(e))
    }
}

pub type Result<T> = std::result::Result<T, AnalyticsError>;

/// Computes the analysis: reads what it needs from the stores and assembles its tables with the
/// cells below `k` suppressed; with `noise` (ε in thousandths), counts get exact discrete noise
/// from the thread's cryptographic generator before the threshold.
pub fn compute(
    conn: &mut DbConnection,
    design: &Design,
    k: i64,
    noise: Option<i64>,
    currency: &str,
) -> Result<Vec<Table>> {
    let scope = Scope {
        from: crate::days::start(design.from),
        until: crate::days::end_of(design.last),
        kind: design.kind.clone(),
        office: design.office.clone(),
    };
    let a = design.analysis;
    let (groups, names) = crate::db::wide_reading(conn, |conn| -> Result<(Groups, Names)> {
        let mut groups = Groups::default();
        if let Some(grain) = a.sales_grain() {
            groups.sales = history::sales_groups(conn, &scope, grain)?;
        }
        if a.reads_requests() {
            // Requests have no office: a purchaser asks the whole market.
            let market = Scope { office: None, ..scope.clone() };
            groups.requests = history::request_groups(conn, &market)?;
            if a != Analysis::Conversion {
                groups.constraints = history::constraint_groups(conn, &market)?;
            }
        }
        let products: Vec<ProductId> = groups
            .sales
            .iter()
            .filter_map(|g| g.product.as_ref())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let names = Names {
            kinds: catalog::kinds(conn)?.into_iter().map(|k| (k.id, k.name)).collect(),
            products: if a == Analysis::Sales { catalog::product_names(conn, &products)? } else { Default::default() },
            currency: currency.to_owned(),
        };
        Ok((groups, names))
    })?;
    let mut rng = rand::rng();
    let noise = noise.map(|epsilon_milli| analyses::Noise { epsilon_milli, rng: &mut rng });
    Ok(analyses::assemble(a, &groups, &names, design.granularity, k, noise))
}

// ---- buying ----

/// What an analysis costs before an admin sets its price: 10.00.
pub const STARTING_PRICE: i64 = 1_000;

/// The admins' settings (the starting ones before any were saved).
pub fn settings(conn: &mut DbConnection) -> Result<Settings> {
    Ok(repo::settings(conn)?.unwrap_or_else(|| Settings::starting(crate::db::now())))
}

/// What each analysis costs now, in the order of `Analysis::ALL`.
pub fn prices(conn: &mut DbConnection) -> Result<Vec<(Analysis, i64)>> {
    let set = repo::prices(conn)?;
    Ok(Analysis::ALL
        .iter()
        .map(|&a| (a, set.iter().find(|p| p.analysis == a.as_str()).map_or(STARTING_PRICE, |p| p.price)))
        .collect())
}

/// What an analysis costs now.
pub fn price_of(conn: &mut DbConnection, analysis: Analysis) -> Result<i64> {
    Ok(prices(conn)?.into_iter().find(|(a, _)| *a == analysis).map_or(STARTING_PRICE, |(_, p)| p))
}

/// The calendar month a budget is spent in: "2026-12".
fn month_of(at: NaiveDateTime) -> String {
    at.format("%Y-%m").to_string()
}

/// An analysis computed for a purchase, before it is paid: on a reading connection, so a wide
/// analysis never holds SQLite's one writer while it reads a million rows.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub design: Design,
    pub tables: Vec<Table>,
    /// The privacy settings it was computed under: the purchase is refused if they changed since.
    k: i64,
    noise: Option<i64>,
}

/// Computes the analysis a salesperson is about to buy, under the admins' settings of now. A
/// result computed with noise is shown only once bought, so computing it spends nothing.
pub fn prepare(conn: &mut DbConnection, design: &Design) -> Result<Prepared> {
    let settings = settings(conn)?;
    let noise = settings.noise.then_some(settings.epsilon_milli);
    let currency = crate::echeck::platform(conn)?.currency;
    let tables = compute(conn, design, settings.k, noise, &currency)?;
    Ok(Prepared { design: design.clone(), tables, k: settings.k, noise })
}

/// A salesperson buys a prepared analysis (steps C1–C4): the price moves from their office's
/// account to the platform's under the form's key, the privacy budget is spent when noise is on,
/// and the result is kept frozen. All or nothing, once per key (a twin submit finds the report
/// the first made).
pub fn buy(
    conn: &mut DbConnection,
    seller: &UserId,
    prepared: Prepared,
    key: &str,
    at: NaiveDateTime,
) -> Result<Report> {
    let key = crate::web::idempotency::IdempotencyKey::parse(key)
        .ok_or_else(|| AnalyticsError::Refused("The form is out of date. Reload the page.".to_owned()))?;
    // The key is claimed first: a twin submit waits here for the first to commit, then finds its
    // report (and spends no budget and pays nothing).
    use crate::web::idempotency::{self, Claim, ClaimError};
    match idempotency::claim(conn, "analytics", &key, seller.as_str(), at) {
        Ok(Claim::First) => {}
        Ok(Claim::Repeat(_)) => return repo::report_by_key(conn, key.as_str())?.ok_or(AnalyticsError::NotFound),
        Err(ClaimError::Reused) => {
            return Err(AnalyticsError::Refused("The form is out of date. Reload the page.".to_owned()));
        }
        Err(ClaimError::Db(e)) => return Err(e.into()),
    }
    let Prepared { design, tables, k, noise } = prepared;
    let design = &design;
    let office = crate::echeck::office_for(conn, seller)?;
    let settings = settings(conn)?;
    if (settings.k, settings.noise.then_some(settings.epsilon_milli)) != (k, noise) {
        return Err(AnalyticsError::Refused(
            "The privacy settings changed a moment ago: nothing was paid. Buy again to get the report under the new ones."
                .to_owned(),
        ));
    }
    let price = price_of(conn, design.analysis)?;
    if let Some(cost) = noise
        && repo::spend(conn, seller, &month_of(at), cost, settings.budget_milli)? == 0
    {
        return Err(AnalyticsError::Refused(
            "This month's privacy budget is used up: no more reports with noise until next month.".to_owned(),
        ));
    }
    let from = crate::echeck::open_account(conn, crate::echeck::AccountKind::Office, office.id.as_str(), at)?;
    let to = crate::echeck::platform(conn)?;
    if price > 0 {
        let m = crate::echeck::Move {
            from: from.id,
            to: to.id,
            amount: price,
            reason: format!("Analysis: {}", design.analysis.title()),
            key: key.clone(),
            actor: Some(seller.clone()),
        };
        crate::echeck::transfer(conn, &m, at)?;
    }
    let design_json = serde_json::json!({
        "analysis": design.analysis.as_str(),
        "kind": design.kind.as_ref().map(|k| k.to_string()),
        "from": design.from,
        "last": design.last,
        "granularity": design.granularity.as_str(),
        "own_office": design.office.is_some(),
    });
    let report = Report {
        id: ReportId::new(),
        seller_id: seller.clone(),
        office_id: office.id.clone(),
        analysis: design.analysis.as_str().to_owned(),
        design: design_json.to_string(),
        tables: serde_json::to_string(&super::rules::first_rows(&tables, super::rules::SHOWN_ROWS))
            .map_err(|e| AnalyticsError::Below(e.to_string()))?,
        k,
        epsilon_milli: noise,
        price,
        idempotency_key: key.to_string(),
        created_at: at,
    };
    repo::insert_report(conn, &report)?;
    let csv = super::rules::csv(&tables).map_err(|e| AnalyticsError::Below(e.to_string()))?;
    repo::insert_csv(conn, &report.id, &String::from_utf8_lossy(&csv))?;
    idempotency::record(conn, "analytics", &key, report.id.as_str())?;
    Ok(report)
}

/// The report a form's key bought, if any (a twin submit need not compute again).
pub fn report_bought_with(conn: &mut DbConnection, seller: &UserId, key: &str) -> Result<Option<Report>> {
    Ok(repo::report_by_key(conn, key)?.filter(|r| &r.seller_id == seller))
}

/// A report of this salesperson, as bought (viewing it again costs nothing).
pub fn report_of(conn: &mut DbConnection, seller: &UserId, id: &ReportId) -> Result<(Report, Vec<Table>)> {
    let report = repo::report(conn, id)?.filter(|r| &r.seller_id == seller).ok_or(AnalyticsError::NotFound)?;
    let tables = serde_json::from_str(&report.tables).map_err(|e| AnalyticsError::Below(e.to_string()))?;
    Ok((report, tables))
}

/// A report's whole result as CSV (made from the report's tables for reports bought before the
/// CSV was kept).
pub fn report_csv(conn: &mut DbConnection, seller: &UserId, id: &ReportId) -> Result<(Report, Vec<u8>)> {
    let report = repo::report(conn, id)?.filter(|r| &r.seller_id == seller).ok_or(AnalyticsError::NotFound)?;
    let body = match repo::csv_of(conn, id)? {
        Some(body) => body.into_bytes(),
        None => {
            let tables: Vec<Table> =
                serde_json::from_str(&report.tables).map_err(|e| AnalyticsError::Below(e.to_string()))?;
            super::rules::csv(&tables).map_err(|e| AnalyticsError::Below(e.to_string()))?
        }
    };
    Ok((report, body))
}

/// A salesperson's reports, newest first.
pub fn reports_of(conn: &mut DbConnection, seller: &UserId) -> Result<Vec<ReportListed>> {
    Ok(repo::reports_of(conn, seller, 200)?)
}

/// What a salesperson has spent of this month's privacy budget.
pub fn spent_this_month(conn: &mut DbConnection, seller: &UserId, at: NaiveDateTime) -> Result<i64> {
    Ok(repo::spending(conn, seller, &month_of(at))?)
}

// ---- the admins' settings ----

/// The settings as an admin types them.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub k: String,
    /// "yes" to add noise.
    pub noise: String,
    pub epsilon: String,
    pub budget: String,
}

/// Saves the settings; each field's mistake is said next to it.
pub fn save_settings(conn: &mut DbConnection, form: &SettingsForm, at: NaiveDateTime) -> Result<Settings> {
    let mut errors = crate::web::forms::FieldErrors::new();
    let k = super::rules::parse_k(&form.k).unwrap_or_else(|e| {
        errors.add("k", e);
        0
    });
    let epsilon_milli = super::rules::parse_epsilon(&form.epsilon).unwrap_or_else(|e| {
        errors.add("epsilon", e);
        0
    });
    let budget_milli = super::rules::parse_budget(&form.budget).unwrap_or_else(|e| {
        errors.add("budget", e);
        0
    });
    if !errors.is_empty() {
        return Err(AnalyticsError::Invalid(errors));
    }
    let settings = Settings {
        id: SETTINGS.to_owned(),
        k,
        noise: form.noise == "yes",
        epsilon_milli,
        budget_milli,
        updated_at: at,
    };
    repo::save_settings(conn, &settings)?;
    Ok(settings)
}

/// Sets what an analysis costs.
pub fn set_price(
    conn: &mut DbConnection,
    analysis: Analysis,
    price: &str,
    currency: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let price = crate::money::parse(price, currency)
        .map_err(|e| AnalyticsError::Invalid(crate::web::forms::FieldErrors::with("price", e)))?;
    if price < 0 {
        return Err(AnalyticsError::Invalid(crate::web::forms::FieldErrors::with("price", "A price of zero or more.")));
    }
    repo::set_price(conn, &Price { analysis: analysis.as_str().to_owned(), price, updated_at: at })?;
    Ok(())
}

/// The design form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DesignForm {
    pub analysis: String,
    pub kind: String,
    pub from: String,
    pub last: String,
    pub granularity: String,
    /// "own": the salesperson's office only; otherwise the market.
    pub scope: String,
    pub key: String,
}

/// A design as the salesperson typed it, checked: each mistake next to its field.
pub fn read_design(conn: &mut DbConnection, seller: &UserId, form: &DesignForm) -> Result<Design> {
    let mut errors = crate::web::forms::FieldErrors::new();
    let analysis = Analysis::parse(&form.analysis);
    if analysis.is_none() {
        errors.add("analysis", "Choose an analysis from the list.");
    }
    let day = |errors: &mut crate::web::forms::FieldErrors, field: &str, text: &str| match crate::days::parse(text) {
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            errors.add(field, "Enter a day as YYYY-MM-DD.");
            None
        }
        Err(e) => {
            errors.add(field, e.to_string());
            None
        }
    };
    let from = day(&mut errors, "from", &form.from);
    let last = day(&mut errors, "last", &form.last);
    if let (Some(f), Some(l)) = (from, last) {
        if l < f {
            errors.add("last", "The last day comes on or after the first.");
        } else if (l - f).num_days() > 3 * 366 {
            errors.add("last", "At most three years at once.");
        }
    }
    let kind = match form.kind.trim() {
        "" => None,
        text => {
            let kinds = catalog::kinds(conn)?;
            let kind = text.parse::<KindId>().ok().filter(|k| kinds.iter().any(|x| &x.id == k));
            if kind.is_none() {
                errors.add("kind", "Choose a kind from the list.");
            }
            kind
        }
    };
    let granularity = if form.granularity == "week" { Granularity::Week } else { Granularity::Month };
    let office = match form.scope.as_str() {
        "own" => Some(crate::echeck::office_for(conn, seller)?.id),
        _ => None,
    };
    match (analysis, from, last) {
        (Some(analysis), Some(from), Some(last)) if errors.is_empty() => {
            Ok(Design { analysis, kind, from, last, granularity, office })
        }
        _ => Err(AnalyticsError::Invalid(errors)),
    }
}
