//! What the e-check pages show: checks with their office and carrier named, statements, a
//! shopper's overview, the administrators' lists.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::checks::{Party, check_for};
use super::{Books, EcheckError, Result, account, books, now, settings, shopper_account};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::pager::{Paged, Pager};

// ---- what the pages show ----

/// A check with the names of its office and carrier, and its state as of now.
#[derive(Clone, Debug)]
pub struct CheckLine {
    pub check: Check,
    pub state: CheckState,
    pub office: String,
    pub carrier: String,
}

fn check_lines(conn: &mut DbConnection, checks: Vec<Check>, at: NaiveDateTime) -> Result<Vec<CheckLine>> {
    let office_ids: Vec<OfficeId> = checks.iter().map(|c| c.office_id.clone()).collect();
    let carrier_ids: Vec<CarrierId> = checks.iter().map(|c| c.carrier_id.clone()).collect();
    let offices: BTreeMap<OfficeId, String> =
        repo::offices_by_ids(conn, &office_ids)?.into_iter().map(|o| (o.id, o.name)).collect();
    let carriers: BTreeMap<CarrierId, String> =
        repo::carriers_by_ids(conn, &carrier_ids)?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(checks
        .into_iter()
        .map(|check| CheckLine {
            state: check.state_at(at),
            office: offices.get(&check.office_id).cloned().unwrap_or_default(),
            carrier: carriers.get(&check.carrier_id).cloned().unwrap_or_default(),
            check,
        })
        .collect())
}

/// One line of a statement: the entry, what it was, and the balance after it.
#[derive(Clone, Debug)]
pub struct StatementLine {
    pub entry: Entry,
    pub transfer: Transfer,
    pub description: String,
}

pub const STATEMENT_PAGE: i64 = 25;

/// A page of an account's statement, newest first, with the running balance.
pub fn statement(conn: &mut DbConnection, account: &LedgerAccountId, pager: Pager) -> Result<Paged<StatementLine>> {
    let rows = repo::entries_of(conn, account, pager.fetch(), pager.offset())?;
    let check_ids: Vec<CheckId> = rows.iter().filter_map(|(_, t)| t.check_id.clone()).collect();
    let checks = repo::checks_by_ids(conn, &check_ids)?;
    let checks = check_lines(conn, checks, now())?;
    let lines = rows
        .into_iter()
        .map(|(entry, transfer)| {
            let description = match transfer.check_id.as_ref().and_then(|id| checks.iter().find(|c| c.check.id == *id))
            {
                Some(c) => format!("Check {} to {} for {}", c.check.code, c.office, c.check.reference),
                None => {
                    let what = transfer.kind.label();
                    if transfer.reason.is_empty() { what.to_owned() } else { format!("{what}: {}", transfer.reason) }
                }
            };
            StatementLine { entry, transfer, description }
        })
        .collect();
    Ok(pager.split(lines))
}

/// What a shopper's /echeck page shows.
#[derive(Clone, Debug)]
pub struct Overview {
    pub account: LedgerAccount,
    /// Holds that have lapsed but that the worker has not released yet: shown as released.
    pub lapsed: i64,
    pub open: Vec<CheckLine>,
    /// The latest checks in any state: paid, voided and expired ones too.
    pub recent: Vec<CheckLine>,
    pub statement: Paged<StatementLine>,
    /// False for a shopper who has not paid by e-check yet: the account shown opens at the first check.
    pub opened: bool,
}

impl Overview {
    pub fn held(&self) -> i64 {
        self.account.held - self.lapsed
    }

    pub fn available(&self) -> i64 {
        rules::available(self.account.balance, self.account.credit_line, self.held())
    }
}

/// What the account's holds that lapsed by `at` still hold until the worker releases them;
/// pages subtract it, so a lapsed hold shows as released at once.
pub fn lapsed_held(conn: &mut DbConnection, account: &LedgerAccountId, at: NaiveDateTime) -> Result<i64> {
    Ok(repo::lapsed_holds_of(conn, account, at)?.iter().map(|t| t.amount).sum())
}

pub fn overview(conn: &mut DbConnection, account: LedgerAccount, pager: Pager, at: NaiveDateTime) -> Result<Overview> {
    let (lapsed, standing): (Vec<Transfer>, Vec<Transfer>) =
        repo::pending_holds_of(conn, &account.id)?.into_iter().partition(|t| t.expires_at.is_some_and(|e| e <= at));
    let lapsed = lapsed.iter().map(|t| t.amount).sum();
    let ids: Vec<CheckId> = standing.iter().filter_map(|t| t.check_id.clone()).collect();
    let mut checks = repo::checks_by_ids(conn, &ids)?;
    checks.sort_by_key(|c| c.expires_at);
    let open_count = checks.len();
    checks.extend(repo::recent_checks_of(conn, &account.id, 10)?);
    // One look-up of office and carrier names for both lists.
    let mut open = check_lines(conn, checks, at)?;
    let recent = open.split_off(open_count);
    let statement = statement(conn, &account.id, pager)?;
    Ok(Overview { account, lapsed, open, recent, statement, opened: true })
}

pub const CHECKS_PAGE: i64 = 25;

/// The checks a selling office received, newest first.
pub fn office_checks(
    conn: &mut DbConnection,
    office: &OfficeId,
    pager: Pager,
    at: NaiveDateTime,
) -> Result<Paged<CheckLine>> {
    let checks = repo::checks_of_office(conn, office, pager.fetch(), pager.offset())?;
    Ok(pager.split(check_lines(conn, checks, at)?))
}

/// A check by its ID, for whoever may see it.
pub fn check(conn: &mut DbConnection, code: &str, party: Party<'_>) -> Result<Check> {
    check_for(conn, code, party)
}

pub const ACCOUNTS_PAGE: i64 = 50;

pub fn accounts_page(conn: &mut DbConnection, pager: Pager) -> Result<Paged<LedgerAccount>> {
    Ok(pager.split(repo::accounts_page(conn, pager.fetch(), pager.offset())?))
}

/// A transfer as the ledger page lists it: with the owners of the two accounts by name.
pub struct LedgerLine {
    pub transfer: Transfer,
    pub from: String,
    pub to: String,
}

pub fn ledger_page(conn: &mut DbConnection, pager: Pager) -> Result<Paged<LedgerLine>> {
    let transfers = pager.split(repo::transfers_page(conn, pager.fetch(), pager.offset())?);
    let mut ids: Vec<LedgerAccountId> =
        transfers.rows.iter().flat_map(|t| [t.debit_account_id.clone(), t.credit_account_id.clone()]).collect();
    ids.sort();
    ids.dedup();
    let accounts = repo::accounts_by_ids(conn, &ids)?;
    let labels: BTreeMap<LedgerAccountId, String> =
        accounts.iter().map(|a| a.id.clone()).zip(owner_labels(conn, &accounts)?).collect();
    let label = |id: &LedgerAccountId| labels.get(id).cloned().unwrap_or_else(|| "an unknown account".into());
    let rows = transfers
        .rows
        .into_iter()
        .map(|t| LedgerLine { from: label(&t.debit_account_id), to: label(&t.credit_account_id), transfer: t })
        .collect();
    Ok(Paged { rows, number: transfers.number, has_next: transfers.has_next })
}

/// One account in the administrators' list, with who owns it and its lapsed holds.
pub struct AccountRow {
    pub account: LedgerAccount,
    pub owner: String,
    pub lapsed: i64,
}

impl AccountRow {
    pub fn held(&self) -> i64 {
        self.account.held - self.lapsed
    }

    pub fn available(&self) -> i64 {
        rules::available(self.account.balance, self.account.credit_line, self.held())
    }
}

// ---- salespeople ----

/// A salesperson's payments page: their office (None: they work for none) and a page of the
/// checks made out to it.
pub fn office_payments(
    conn: &mut DbConnection,
    seller: &UserId,
    pager: Pager,
    at: NaiveDateTime,
) -> Result<(Option<Office>, Paged<CheckLine>)> {
    let Some(office) = super::office_of(conn, seller)? else { return Ok((None, pager.split(Vec::new()))) };
    let checks = office_checks(conn, &office.id, pager, at)?;
    Ok((Some(office), checks))
}

// ---- shoppers ----

/// What a shopper can pay by e-check now: the available credit of their account, or the credit line
/// their first check will open it with. Lapsed holds count as released, as on their /echeck page.
pub fn available_credit(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<i64> {
    match shopper_account(conn, user)? {
        Some(account) => {
            let held = account.held - lapsed_held(conn, &account.id, at)?;
            Ok(rules::available(account.balance, account.credit_line, held))
        }
        None => Ok(settings(conn)?.default_credit_line),
    }
}

/// A shopper's /echeck page. A shopper who has not paid by e-check yet has no account: the page
/// shows the one their first check will open, and writes nothing.
pub fn shopper_overview(conn: &mut DbConnection, user: &UserId, pager: Pager, at: NaiveDateTime) -> Result<Overview> {
    match shopper_account(conn, user)? {
        Some(account) => overview(conn, account, pager, at),
        None => {
            let settings = settings(conn)?;
            let unopened = LedgerAccount {
                id: LedgerAccountId::new(),
                kind: AccountKind::Shopper,
                owner_key: user.to_string(),
                currency: settings.currency,
                balance: 0,
                held: 0,
                credit_line: settings.default_credit_line,
                external: false,
                created_at: at,
                updated_at: at,
            };
            Ok(Overview { opened: false, ..overview(conn, unopened, pager, at)? })
        }
    }
}

// ---- administrators ----

/// What /admin/echeck shows: the books' invariants, the settings, a page of accounts.
pub struct AdminOverview {
    pub books: Books,
    pub settings: Settings,
    pub accounts: Paged<AccountRow>,
}

pub fn admin_overview(conn: &mut DbConnection, pager: Pager, at: NaiveDateTime) -> Result<AdminOverview> {
    let page = accounts_page(conn, pager)?;
    let owners = owner_labels(conn, &page.rows)?;
    let mut rows = Vec::with_capacity(page.rows.len());
    for (account, owner) in page.rows.into_iter().zip(owners) {
        let lapsed = lapsed_held(conn, &account.id, at)?;
        rows.push(AccountRow { account, owner, lapsed });
    }
    let accounts = Paged { rows, number: page.number, has_next: page.has_next };
    Ok(AdminOverview { books: books(conn)?, settings: settings(conn)?, accounts })
}

/// Who owns each account, as the administrators read it: the shoppers and offices of a whole
/// list are looked up in one query each.
fn owner_labels(conn: &mut DbConnection, accounts: &[LedgerAccount]) -> Result<Vec<String>> {
    let of_kind = |kind: AccountKind| accounts.iter().filter(move |a| a.kind == kind).map(|a| a.owner_key.clone());
    let shoppers: Vec<UserId> = of_kind(AccountKind::Shopper).filter_map(|k| k.parse().ok()).collect();
    let offices: Vec<OfficeId> = of_kind(AccountKind::Office).filter_map(|k| k.parse().ok()).collect();
    let people: BTreeMap<String, String> = crate::accounts::users_of(conn, &shoppers)
        .map_err(|_| EcheckError::NotFound)?
        .into_iter()
        .map(|u| (u.id.to_string(), format!("{} <{}>", u.personal.full_name, u.email)))
        .collect();
    let offices: BTreeMap<String, String> =
        repo::offices_by_ids(conn, &offices)?.into_iter().map(|o| (o.id.to_string(), o.name)).collect();
    Ok(accounts
        .iter()
        .map(|a| match a.kind {
            AccountKind::Shopper => people.get(&a.owner_key).cloned().unwrap_or_else(|| "a deleted user".into()),
            AccountKind::Office => offices.get(&a.owner_key).cloned().unwrap_or_default(),
            AccountKind::Platform => "The platform".into(),
            AccountKind::Bank => "The bank (money in and out)".into(),
            AccountKind::PrepaidCard => format!("Prepaid card {}", a.owner_key),
            AccountKind::BuybackCenter => format!("Buy-back center {}", a.owner_key),
        })
        .collect())
}

/// One account as an administrator sees it: its owner and lapsed holds, a page of its statement.
pub struct AccountRecord {
    pub row: AccountRow,
    pub statement: Paged<StatementLine>,
}

pub fn account_record(
    conn: &mut DbConnection,
    id: &LedgerAccountId,
    pager: Pager,
    at: NaiveDateTime,
) -> Result<AccountRecord> {
    let account = account(conn, id)?;
    let owner = owner_labels(conn, std::slice::from_ref(&account))?.pop().unwrap_or_default();
    let lapsed = lapsed_held(conn, &account.id, at)?;
    let statement = statement(conn, &account.id, pager)?;
    Ok(AccountRecord { row: AccountRow { account, owner, lapsed }, statement })
}

/// Whom an administrator's search by e-mail found.
pub enum Found {
    Account(LedgerAccountId),
    /// A shopper who has not paid by e-check yet: no account so far.
    Unopened {
        user: UserId,
        name: String,
    },
    Nobody,
}

pub fn find_shopper(conn: &mut DbConnection, email: &str) -> Result<Found> {
    let user = crate::accounts::find_user_by_email(conn, email).map_err(|_| EcheckError::NotFound)?;
    let Some(user) = user.filter(|u| u.has_role(crate::accounts::Role::Shopper)) else { return Ok(Found::Nobody) };
    Ok(match shopper_account(conn, &user.id)? {
        Some(account) => Found::Account(account.id),
        None => Found::Unopened { name: user.personal.full_name, user: user.id },
    })
}

// ---- start pages ----

/// The administrators' start page: whether the books balance, and the checks open now.
pub fn admin_panel(
    conn: &mut DbConnection,
    _user: &crate::web::identity::Identity,
) -> std::result::Result<Option<crate::web::nav::Panel>, crate::error::AppError> {
    use crate::web::nav::{Figure, Panel};
    let books = books(conn)?;
    let open = repo::count_open_checks(conn).map_err(EcheckError::from)?;
    let figures = vec![
        Figure::new("The books", if books.balanced() { "balanced" } else { "OUT OF BALANCE" })
            .link("/admin/echeck")
            .attention(!books.balanced()),
        Figure::new("Checks open", open).link("/admin/echeck"),
    ];
    Ok(Some(Panel { title: "E-check".into(), figures, chart: None }))
}
