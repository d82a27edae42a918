//! The operations of the e-check site, for its own pages and for the orders module. Every
//! function takes the caller's connection and expects to run inside the caller's transaction
//! (`Db::write`), so that a check issued while an order is placed commits or fails with the order.
//! Times are passed in, so tests can move the clock.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::model::*;
use super::repo;
use super::rules::{self, Refusal};
use crate::accounts::UserId;
use crate::db::jobs::Job;
use crate::db::{DbConnection, DbError};
use crate::web::attempts::{AttemptError, Policy};
use crate::web::forms::FieldErrors;
use crate::web::pager::{Paged, Pager};

#[derive(Debug, thiserror::Error)]
pub enum EcheckError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    /// Too many wrong check IDs typed: wait this long.
    #[error("too many attempts")]
    TooMany(std::time::Duration),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<AttemptError> for EcheckError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::TooMany(wait) => EcheckError::TooMany(wait.0),
            AttemptError::Db(e) => e.into(),
            unknown => EcheckError::Db(DbError::Query(diesel::result::Error::QueryBuilderError(unknown.into()))),
        }
    }
}

/// Check IDs typed by a selling office's people, counted per office: a wrong one is a failure.
pub const CHECK_ID: &str = "check_id";

/// Check IDs are short (60 random bits): an office may mistype 20, then each further wrong one
/// waits from 2 seconds doubling up to 5 minutes; one client address may try 60 at once (several
/// offices' desks behind one address), then one a second. A right ID forgives only itself.
pub fn check_id_policy() -> Policy {
    Policy {
        address_burst: 60,
        address_refill: std::time::Duration::from_secs(1),
        free: 20,
        first_wait: std::time::Duration::from_secs(2),
        longest_wait: std::time::Duration::from_secs(300),
        forget_after: std::time::Duration::from_secs(3600),
        success_clears: false,
    }
}

impl From<diesel::result::Error> for EcheckError {
    fn from(e: diesel::result::Error) -> Self {
        EcheckError::Db(DbError::Query(e))
    }
}

impl From<Refusal> for EcheckError {
    fn from(r: Refusal) -> Self {
        EcheckError::Refused(r)
    }
}

impl EcheckError {
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            EcheckError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

pub type Result<T, E = EcheckError> = std::result::Result<T, E>;

pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Hold time and credit line until an administrator sets others.
const DEFAULT_CREDIT_LINE: i64 = 50_000;
const DEFAULT_HOLD_HOURS: i32 = 14 * 24;

// ---- the books ----

/// Makes sure the settings and the bank's and platform's accounts exist (every start).
pub fn open_books(conn: &mut DbConnection, currency: &str, at: NaiveDateTime) -> Result<Settings> {
    repo::insert_settings(
        conn,
        &Settings {
            id: 1,
            currency: currency.to_owned(),
            default_credit_line: DEFAULT_CREDIT_LINE,
            hold_hours: DEFAULT_HOLD_HOURS,
            updated_at: at,
        },
    )?;
    let settings = settings(conn)?;
    for kind in [AccountKind::Bank, AccountKind::Platform] {
        open_account(conn, kind, kind.as_str(), &settings, at)?;
    }
    Ok(settings)
}

pub fn settings(conn: &mut DbConnection) -> Result<Settings> {
    repo::settings(conn)?.ok_or(EcheckError::Db(DbError::Query(diesel::result::Error::NotFound)))
}

pub fn change_settings(
    conn: &mut DbConnection,
    actor: &UserId,
    credit_line: &str,
    hold_hours: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let mut errors = FieldErrors::new();
    let line = rules::parse_credit_line(credit_line).map_err(|e| errors.add("default_credit_line", e)).ok();
    let hours = match hold_hours.trim().parse::<i32>() {
        Ok(h) if (1..=24 * 365).contains(&h) => Some(h),
        _ => {
            errors.add("hold_hours", "Enter a whole number of hours from 1 to 8760.");
            None
        }
    };
    errors.into_result().map_err(EcheckError::Invalid)?;
    let (Some(line), Some(hours)) = (line, hours) else { return Err(EcheckError::NotFound) };
    repo::update_settings(conn, line, hours, at)?;
    registry_event(
        conn,
        "settings",
        Some(actor),
        "settings_changed",
        &format!("credit line {line}, hold {hours} h"),
        at,
    )
}

fn open_account(
    conn: &mut DbConnection,
    kind: AccountKind,
    owner: &str,
    settings: &Settings,
    at: NaiveDateTime,
) -> Result<LedgerAccount> {
    if let Some(existing) = repo::account_by_owner(conn, kind, owner)? {
        return Ok(existing);
    }
    let row = LedgerAccount {
        id: LedgerAccountId::new(),
        kind,
        owner_key: owner.to_owned(),
        currency: settings.currency.clone(),
        balance: 0,
        held: 0,
        credit_line: if kind == AccountKind::Shopper { settings.default_credit_line } else { 0 },
        external: kind == AccountKind::Bank,
        created_at: at,
        updated_at: at,
    };
    repo::insert_account(conn, &row)?;
    repo::account_by_owner(conn, kind, owner)?.ok_or(EcheckError::NotFound)
}

/// The shopper's account, opened with the default credit line if they have none yet
/// (at registration, and for users who became shoppers later).
pub fn open_shopper_account(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<LedgerAccount> {
    if let Some(existing) = shopper_account(conn, user)? {
        return Ok(existing);
    }
    let settings = settings(conn)?;
    open_account(conn, AccountKind::Shopper, user.as_str(), &settings, at)
}

pub fn shopper_account(conn: &mut DbConnection, user: &UserId) -> Result<Option<LedgerAccount>> {
    Ok(repo::account_by_owner(conn, AccountKind::Shopper, user.as_str())?)
}

pub fn account(conn: &mut DbConnection, id: &LedgerAccountId) -> Result<LedgerAccount> {
    repo::account(conn, id)?.ok_or(EcheckError::NotFound)
}

fn office_account(conn: &mut DbConnection, office: &OfficeId, at: NaiveDateTime) -> Result<LedgerAccount> {
    if let Some(existing) = account_of_office(conn, office)? {
        return Ok(existing);
    }
    let settings = settings(conn)?;
    open_account(conn, AccountKind::Office, office.as_str(), &settings, at)
}

/// The office's account at the e-check site.
pub fn account_of_office(conn: &mut DbConnection, office: &OfficeId) -> Result<Option<LedgerAccount>> {
    Ok(repo::account_by_owner(conn, AccountKind::Office, office.as_str())?)
}

fn bank(conn: &mut DbConnection) -> Result<LedgerAccount> {
    repo::account_by_owner(conn, AccountKind::Bank, AccountKind::Bank.as_str())?.ok_or(EcheckError::NotFound)
}

// ---- checks: the API the orders module calls ----

/// What a buyer asks the e-check site for (seed 003: the check issuing demand).
#[derive(Clone, Debug)]
pub struct IssueRequest {
    pub buyer: UserId,
    pub office_code: String,
    pub carrier_code: String,
    pub amount: i64,
    pub currency: String,
    /// What the check pays for, e.g. the order number.
    pub reference: String,
    /// The same key gives the same check: a resubmitted order cannot hold credit twice.
    pub idempotency_key: String,
}

/// Who acts on a check. A check that is not theirs is answered as if it did not exist.
#[derive(Clone, Copy, Debug)]
pub enum Party<'a> {
    Buyer(&'a UserId),
    Office(&'a OfficeId),
    Carrier(&'a CarrierId),
    /// An administrator, or the shop itself (the orders module cancelling an order).
    Operator,
}

/// Issues a check: the credit check, the selling office and carrier registered and active, then
/// the check and its hold. Refusals name the rule that refused.
pub fn issue(conn: &mut DbConnection, req: &IssueRequest, at: NaiveDateTime) -> Result<Check> {
    rules::check_amount(req.amount)?;
    let office = active_office(conn, &req.office_code)?;
    let carrier = active_carrier(conn, &req.carrier_code)?;
    let buyer = open_shopper_account(conn, &req.buyer, at)?;
    if buyer.currency != req.currency {
        return Err(Refusal::CurrencyMismatch.into());
    }
    let same = |c: &Check| {
        c.office_id == office.id && c.carrier_id == carrier.id && c.amount == req.amount && c.reference == req.reference
    };
    let hold_hours = settings(conn)?.hold_hours;
    let check = loop {
        let check = Check {
            id: CheckId::new(),
            code: rules::new_check_code(),
            buyer_account_id: buyer.id.clone(),
            office_id: office.id.clone(),
            carrier_id: carrier.id.clone(),
            amount: req.amount,
            currency: req.currency.clone(),
            reference: req.reference.clone(),
            idempotency_key: req.idempotency_key.clone(),
            state: CheckState::Issued,
            paid_amount: None,
            expires_at: rules::expires_at(at, hold_hours),
            delivered_at: None,
            delivery_report: None,
            created_at: at,
            updated_at: at,
        };
        if repo::insert_check(conn, &check)? == 1 {
            break check;
        }
        // The key was used before (or by a racing request, whose commit PostgreSQL waited for),
        // or the code was taken (one in 2^60): answer as the first did, or draw another code.
        if let Some(existing) = repo::check_by_key(conn, &buyer.id, &req.idempotency_key)? {
            return if same(&existing) { Ok(existing) } else { Err(Refusal::KeyReused.into()) };
        }
    };
    // Lapsed holds no longer count: when they are what stands in the way, release them and ask again.
    if repo::reserve(conn, &buyer.id, req.amount, at)? == 0
        && (release_lapsed_holds(conn, &buyer.id, at)? == 0 || repo::reserve(conn, &buyer.id, req.amount, at)? == 0)
    {
        let available = account(conn, &buyer.id)?.available();
        return Err(Refusal::InsufficientCredit { available: available.max(0), currency: buyer.currency }.into());
    }
    let payee = office_account(conn, &office.id, at)?;
    let hold = Transfer {
        id: TransferId::new(),
        debit_account_id: buyer.id.clone(),
        credit_account_id: payee.id,
        amount: req.amount,
        posted_amount: None,
        state: TransferState::Pending,
        kind: TransferKind::Check,
        check_id: Some(check.id.clone()),
        idempotency_key: None,
        reason: req.reference.clone(),
        actor_id: Some(req.buyer.clone()),
        expires_at: Some(check.expires_at),
        created_at: at,
        finished_at: None,
    };
    repo::insert_transfer(conn, &hold)?;
    check_event(conn, &check.id, Some(&req.buyer), "issued", &format!("{} for {}", check.amount, check.reference), at)?;
    Ok(check)
}

fn active_office(conn: &mut DbConnection, code: &str) -> Result<Office> {
    let office = repo::office_by_code(conn, &code.trim().to_ascii_uppercase())?.ok_or(Refusal::OfficeUnknown)?;
    if !office.is_active() {
        return Err(Refusal::OfficeSuspended.into());
    }
    Ok(office)
}

fn active_carrier(conn: &mut DbConnection, code: &str) -> Result<Carrier> {
    let carrier = repo::carrier_by_code(conn, &code.trim().to_ascii_uppercase())?.ok_or(Refusal::CarrierUnknown)?;
    if !carrier.is_active() {
        return Err(Refusal::CarrierSuspended.into());
    }
    Ok(carrier)
}

/// The check with this ID if `party` may see it; otherwise the same refusal as for no check.
fn check_for(conn: &mut DbConnection, code: &str, party: Party<'_>) -> Result<Check> {
    let code = rules::normalize_check_code(code).ok_or(Refusal::UnknownCheck)?;
    let check = repo::check_by_code(conn, &code)?.ok_or(Refusal::UnknownCheck)?;
    let theirs = match party {
        Party::Office(office) => check.office_id == *office,
        Party::Carrier(carrier) => check.carrier_id == *carrier,
        Party::Buyer(user) => shopper_account(conn, user)?.is_some_and(|a| a.id == check.buyer_account_id),
        Party::Operator => true,
    };
    if !theirs {
        return Err(Refusal::UnknownCheck.into());
    }
    Ok(check)
}

/// The seller checks a check is genuine, issued to them, open, unexpired and for this amount.
pub fn validate(
    conn: &mut DbConnection,
    code: &str,
    office: &OfficeId,
    amount: i64,
    at: NaiveDateTime,
) -> Result<Check> {
    let check = check_for(conn, code, Party::Office(office))?;
    rules::may_pay(check.state_at(at))?;
    if check.amount != amount {
        return Err(Refusal::AmountMismatch.into());
    }
    Ok(check)
}

/// The seller demands payment after shipping: the hold is posted, in full or (`amount`) in
/// part, the rest going back to the buyer's available credit. Once only.
pub fn demand_payment(
    conn: &mut DbConnection,
    code: &str,
    office: &OfficeId,
    amount: Option<i64>,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Check> {
    let check = check_for(conn, code, Party::Office(office))?;
    rules::may_pay(check.state_at(at))?;
    let paid = rules::demanded(check.amount, amount, &check.currency)?;
    let Some(hold) = repo::post_check_transfer(conn, &check.id, paid, at)? else {
        return Err(refusal_now(conn, &check.id, at)?.into());
    };
    let credited = hold.credit_account_id.clone();
    post_entries(conn, &hold, paid, hold.amount, &credited, false, at)?;
    if repo::set_check_state(conn, &check.id, CheckState::Issued, CheckState::Paid, Some(paid), at)? != 1 {
        return Err(refusal_now(conn, &check.id, at)?.into());
    }
    let detail = if paid == check.amount { format!("{paid}") } else { format!("{paid} of {}", check.amount) };
    check_event(conn, &check.id, actor, "paid", &detail, at)?;
    Ok(Check { state: CheckState::Paid, paid_amount: Some(paid), updated_at: at, ..check })
}

/// Why a check that was open a moment ago is not now (a racing request finished it).
fn refusal_now(conn: &mut DbConnection, id: &CheckId, at: NaiveDateTime) -> Result<Refusal> {
    let check = repo::checks_by_ids(conn, std::slice::from_ref(id))?.into_iter().next().ok_or(EcheckError::NotFound)?;
    Ok(rules::may_pay(check.state_at(at)).err().unwrap_or(Refusal::CheckExpired))
}

/// Voids the check on cancellation: the hold goes back to the buyer. Once only; never after payment.
pub fn void(
    conn: &mut DbConnection,
    code: &str,
    party: Party<'_>,
    actor: Option<&UserId>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<Check> {
    let check = check_for(conn, code, party)?;
    rules::may_void(check.state_at(at))?;
    let Some(transfer) = repo::check_transfer(conn, &check.id)? else { return Err(EcheckError::NotFound) };
    let voided = repo::void_transfers(conn, std::slice::from_ref(&transfer.id), at)?;
    if voided.is_empty() {
        return Err(refusal_now(conn, &check.id, at)?.into());
    }
    release_holds(conn, &voided, at)?;
    if repo::set_check_state(conn, &check.id, CheckState::Issued, CheckState::Voided, None, at)? != 1 {
        return Err(refusal_now(conn, &check.id, at)?.into());
    }
    check_event(conn, &check.id, actor, "voided", reason, at)?;
    Ok(Check { state: CheckState::Voided, updated_at: at, ..check })
}

/// The seller hands the goods to another carrier than the check names (the buyer's choice): the
/// check then names that one, whose delivery report it will take. Only while the check is open.
pub fn change_carrier(
    conn: &mut DbConnection,
    code: &str,
    office: &OfficeId,
    carrier_code: &str,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Check> {
    let check = check_for(conn, code, Party::Office(office))?;
    rules::may_pay(check.state_at(at))?;
    let carrier = active_carrier(conn, carrier_code)?;
    if carrier.id == check.carrier_id {
        return Ok(check);
    }
    if repo::set_carrier(conn, &check.id, &carrier.id, at)? != 1 {
        return Err(refusal_now(conn, &check.id, at)?.into());
    }
    check_event(conn, &check.id, actor, "carrier changed", &carrier.code, at)?;
    Ok(Check { carrier_id: carrier.id, updated_at: at, ..check })
}

/// The carrier's completion report, recorded on the check (seed 003: delivery completion).
pub fn record_delivery(
    conn: &mut DbConnection,
    code: &str,
    carrier: &CarrierId,
    report: &str,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Check> {
    let check = check_for(conn, code, Party::Carrier(carrier))?;
    rules::may_record_delivery(check.state_at(at), check.delivered_at.is_some())?;
    let report = report.trim();
    if repo::set_delivery(conn, &check.id, report, at)? != 1 {
        return Err(Refusal::DeliveryRecorded.into());
    }
    check_event(conn, &check.id, actor, "delivered", report, at)?;
    Ok(Check { delivered_at: Some(at), delivery_report: Some(report.to_owned()), updated_at: at, ..check })
}

/// The e-check site's periodic work: the holds of checks not paid in time are released (pages
/// show lapsed holds as released at once anyway).
pub fn jobs() -> Vec<Job> {
    vec![Job::write("release the holds of expired checks", std::time::Duration::from_secs(60), |c| {
        expire_due(c, now(), 500)
    })]
}

/// The worker's round: voids up to `limit` holds past their expiry; returns how many.
pub fn expire_due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> Result<usize> {
    let due: Vec<TransferId> = repo::due_holds(conn, at, limit)?.into_iter().map(|t| t.id).collect();
    expire_holds(conn, &due, at)
}

/// Releases the buyer's lapsed holds before a credit check, so they never count against it.
fn release_lapsed_holds(conn: &mut DbConnection, buyer: &LedgerAccountId, at: NaiveDateTime) -> Result<usize> {
    let lapsed: Vec<TransferId> = repo::lapsed_holds_of(conn, buyer, at)?.into_iter().map(|t| t.id).collect();
    if lapsed.is_empty() {
        return Ok(0);
    }
    expire_holds(conn, &lapsed, at)
}

fn expire_holds(conn: &mut DbConnection, ids: &[TransferId], at: NaiveDateTime) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let voided = repo::void_transfers(conn, ids, at)?;
    release_holds(conn, &voided, at)?;
    for transfer in &voided {
        if let Some(check) = &transfer.check_id
            && repo::set_check_state(conn, check, CheckState::Issued, CheckState::Expired, None, at)? == 1
        {
            check_event(conn, check, None, "expired", "not paid in time; the hold was released", at)?;
        }
    }
    Ok(voided.len())
}

/// Gives voided holds back to their accounts, in account order (so concurrent releases on
/// PostgreSQL always lock rows in the same order and cannot deadlock).
fn release_holds(conn: &mut DbConnection, voided: &[Transfer], at: NaiveDateTime) -> Result<()> {
    let mut per_account: BTreeMap<&LedgerAccountId, i64> = BTreeMap::new();
    for t in voided {
        *per_account.entry(&t.debit_account_id).or_default() += t.amount;
    }
    for (account, amount) in per_account {
        repo::release(conn, account, amount, at)?;
    }
    Ok(())
}

/// Moves `amount` of a posted transfer: the debit side also gives up `unhold` of its holds.
/// Both accounts are updated in ID order (no deadlocks); each gets an entry with its balance after.
fn post_entries(
    conn: &mut DbConnection,
    transfer: &Transfer,
    amount: i64,
    unhold: i64,
    credited: &LedgerAccountId,
    own_money_only: bool,
    at: NaiveDateTime,
) -> Result<()> {
    let debited = &transfer.debit_account_id;
    let (mut debit_after, mut credit_after) = (None, None);
    let debit_first = debited < credited;
    for step in 0..2 {
        if (step == 0) == debit_first {
            debit_after = repo::debit(conn, debited, amount, unhold, own_money_only, at)?;
            if debit_after.is_none() {
                return Err(floor_refusal(conn, debited, own_money_only)?.into());
            }
        } else {
            credit_after = Some(repo::credit(conn, credited, amount, at)?);
        }
    }
    let (Some(debit_after), Some(credit_after)) = (debit_after, credit_after) else {
        return Err(EcheckError::NotFound);
    };
    let entry = |account: &LedgerAccountId, signed: i64, after: i64| Entry {
        id: EntryId::new(),
        account_id: account.clone(),
        transfer_id: transfer.id.clone(),
        amount: signed,
        balance_after: after,
        at,
    };
    repo::insert_entries(conn, [&entry(debited, -amount, debit_after), &entry(credited, amount, credit_after)])?;
    Ok(())
}

fn floor_refusal(conn: &mut DbConnection, id: &LedgerAccountId, own_money_only: bool) -> Result<Refusal> {
    let a = account(conn, id)?;
    Ok(if own_money_only {
        Refusal::WithdrawalTooLarge {
            withdrawable: rules::withdrawable(a.balance, a.credit_line, a.held),
            currency: a.currency,
        }
    } else {
        Refusal::InsufficientCredit { available: a.available().max(0), currency: a.currency }
    })
}

fn check_event(
    conn: &mut DbConnection,
    check: &CheckId,
    actor: Option<&UserId>,
    kind: &str,
    detail: &str,
    at: NaiveDateTime,
) -> Result<()> {
    repo::insert_check_event(
        conn,
        &CheckEvent {
            id: CheckEventId::new(),
            check_id: check.clone(),
            actor_id: actor.cloned(),
            kind: kind.to_owned(),
            detail: detail.to_owned(),
            at,
        },
    )?;
    Ok(())
}

// ---- money in and out, credit lines ----

/// A deposit or withdrawal as an administrator records it.
#[derive(Clone, Debug)]
pub struct Movement {
    pub account: LedgerAccountId,
    pub amount: i64,
    pub reason: String,
    /// From the form: a resubmitted form records one movement.
    pub idempotency_key: String,
}

/// Money paid in from outside (the buyer's bank): bank → account, posted at once.
pub fn deposit(conn: &mut DbConnection, m: &Movement, actor: Option<&UserId>, at: NaiveDateTime) -> Result<Transfer> {
    let bank = bank(conn)?;
    move_money(conn, &bank.id, &m.account, m, TransferKind::Deposit, actor, at)
}

/// Money paid out to the owner's bank: account → bank; only the account's own money, not its credit.
pub fn withdraw(conn: &mut DbConnection, m: &Movement, actor: Option<&UserId>, at: NaiveDateTime) -> Result<Transfer> {
    let bank = bank(conn)?;
    move_money(conn, &m.account, &bank.id, m, TransferKind::Withdrawal, actor, at)
}

fn move_money(
    conn: &mut DbConnection,
    from: &LedgerAccountId,
    to: &LedgerAccountId,
    m: &Movement,
    kind: TransferKind,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Transfer> {
    rules::check_amount(m.amount)?;
    if from == to {
        return Err(EcheckError::NotFound);
    }
    let transfer = Transfer {
        id: TransferId::new(),
        debit_account_id: from.clone(),
        credit_account_id: to.clone(),
        amount: m.amount,
        posted_amount: Some(m.amount),
        state: TransferState::Posted,
        kind,
        check_id: None,
        idempotency_key: Some(m.idempotency_key.clone()),
        reason: m.reason.trim().to_owned(),
        actor_id: actor.cloned(),
        expires_at: None,
        created_at: at,
        finished_at: Some(at),
    };
    if repo::insert_transfer(conn, &transfer)? == 0 {
        let existing = repo::transfer_by_key(conn, &m.idempotency_key)?.ok_or(EcheckError::NotFound)?;
        let same =
            existing.debit_account_id == *from && existing.credit_account_id == *to && existing.amount == m.amount;
        return if same { Ok(existing) } else { Err(Refusal::KeyReused.into()) };
    }
    post_entries(conn, &transfer, m.amount, 0, to, kind == TransferKind::Withdrawal, at)?;
    Ok(transfer)
}

/// Sets a shopper's credit line; never below what they have spent and hold on credit now.
pub fn set_credit_line(
    conn: &mut DbConnection,
    id: &LedgerAccountId,
    line: i64,
    actor: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    if !(0..=rules::MAX_AMOUNT).contains(&line) {
        return Err(Refusal::AmountTooLarge.into());
    }
    if repo::set_credit_line(conn, id, line, at)? == 0 {
        let a = account(conn, id)?;
        return Err(Refusal::CreditLineTooLow {
            minimum: rules::minimum_credit_line(a.balance, a.held),
            currency: a.currency,
        }
        .into());
    }
    registry_event(conn, id.as_str(), Some(actor), "credit_line_set", &line.to_string(), at)
}

// ---- registries ----

fn registry_event(
    conn: &mut DbConnection,
    subject: &str,
    actor: Option<&UserId>,
    kind: &str,
    detail: &str,
    at: NaiveDateTime,
) -> Result<()> {
    repo::insert_registry_event(
        conn,
        &RegistryEvent {
            id: RegistryEventId::new(),
            subject_id: subject.to_owned(),
            actor_id: actor.cloned(),
            kind: kind.to_owned(),
            detail: detail.to_owned(),
            at,
        },
    )?;
    Ok(())
}

pub fn history_of(conn: &mut DbConnection, subject: &str) -> Result<Vec<RegistryEvent>> {
    Ok(repo::registry_events_of(conn, subject)?)
}

/// The form's fields checked; `with_bank` for selling offices (carriers have no bank here).
fn check_registry_form(form: &RegistryForm, with_bank: bool) -> Result<RegistryForm> {
    let mut errors = FieldErrors::new();
    let code = rules::registry_code(&form.code).map_err(|e| errors.add("code", e)).unwrap_or_default();
    let mut field = |name: &str, value: &str, max: usize, required: bool| -> String {
        let v = value.trim();
        if required && v.is_empty() {
            errors.add(name, "This is needed.");
        } else if v.chars().count() > max {
            errors.add(name, format!("At most {max} characters."));
        }
        v.to_owned()
    };
    let checked = RegistryForm {
        code,
        name: field("name", &form.name, 120, true),
        address: field("address", &form.address, 400, true),
        phone: field("phone", &form.phone, 40, true),
        fax: field("fax", &form.fax, 40, false),
        bank: field("bank", &form.bank, 120, with_bank),
        bank_account: field("bank_account", &form.bank_account, 60, with_bank),
    };
    errors.into_result().map_err(EcheckError::Invalid)?;
    Ok(checked)
}

fn code_taken() -> EcheckError {
    EcheckError::Invalid(FieldErrors::with("code", "This code is registered already."))
}

/// What selling offices and carriers have in common as entries of a registry: registered from a
/// form, edited, suspended and reinstated, with staff. One implementation of each operation
/// serves both; only the table differs.
pub trait Registered: Sized {
    /// Offices name their bank; carriers have none here.
    const WITH_BANK: bool;
    fn by_code(conn: &mut DbConnection, code: &str) -> diesel::QueryResult<Option<Self>>;
    fn insert(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize>;
    fn save(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize>;
    fn from_form(f: RegistryForm, at: NaiveDateTime) -> Self;
    /// The row with the form's details (its code and its history unchanged).
    fn with_form(self, f: RegistryForm, at: NaiveDateTime) -> Self;
    fn with_suspension(self, suspended_at: Option<NaiveDateTime>, at: NaiveDateTime) -> Self;
    fn key(&self) -> &str;
    fn code(&self) -> &str;
    fn active(&self) -> bool;
    fn set_staff(conn: &mut DbConnection, user: &UserId, row: &Self, at: NaiveDateTime) -> diesel::QueryResult<()>;
    fn remove_staff(conn: &mut DbConnection, user: &UserId, row: &Self) -> diesel::QueryResult<usize>;
    /// What else registering sets up (a selling office gets its account).
    fn opened(_conn: &mut DbConnection, _row: &Self, _at: NaiveDateTime) -> Result<()> {
        Ok(())
    }
}

impl Registered for Office {
    const WITH_BANK: bool = true;
    fn by_code(conn: &mut DbConnection, code: &str) -> diesel::QueryResult<Option<Self>> {
        repo::office_by_code(conn, code)
    }
    fn insert(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize> {
        repo::insert_office(conn, row)
    }
    fn save(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize> {
        repo::update_office(conn, row)
    }
    fn from_form(f: RegistryForm, at: NaiveDateTime) -> Self {
        let blank = Office {
            id: OfficeId::new(),
            code: f.code.clone(),
            name: String::new(),
            address: String::new(),
            phone: String::new(),
            fax: String::new(),
            bank: String::new(),
            bank_account: String::new(),
            suspended_at: None,
            created_at: at,
            updated_at: at,
        };
        blank.with_form(f, at)
    }
    fn with_form(self, f: RegistryForm, at: NaiveDateTime) -> Self {
        let RegistryForm { name, address, phone, fax, bank, bank_account, .. } = f;
        Office { name, address, phone, fax, bank, bank_account, updated_at: at, ..self }
    }
    fn with_suspension(self, suspended_at: Option<NaiveDateTime>, at: NaiveDateTime) -> Self {
        Office { suspended_at, updated_at: at, ..self }
    }
    fn key(&self) -> &str {
        self.id.as_str()
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn active(&self) -> bool {
        self.is_active()
    }
    fn set_staff(conn: &mut DbConnection, user: &UserId, row: &Self, at: NaiveDateTime) -> diesel::QueryResult<()> {
        repo::set_office_staff(conn, user, &row.id, at)
    }
    fn remove_staff(conn: &mut DbConnection, user: &UserId, row: &Self) -> diesel::QueryResult<usize> {
        repo::remove_office_staff(conn, user, &row.id)
    }
    fn opened(conn: &mut DbConnection, row: &Self, at: NaiveDateTime) -> Result<()> {
        office_account(conn, &row.id, at).map(drop)
    }
}

impl Registered for Carrier {
    const WITH_BANK: bool = false;
    fn by_code(conn: &mut DbConnection, code: &str) -> diesel::QueryResult<Option<Self>> {
        repo::carrier_by_code(conn, code)
    }
    fn insert(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize> {
        repo::insert_carrier(conn, row)
    }
    fn save(conn: &mut DbConnection, row: &Self) -> diesel::QueryResult<usize> {
        repo::update_carrier(conn, row)
    }
    fn from_form(f: RegistryForm, at: NaiveDateTime) -> Self {
        let RegistryForm { code, name, address, phone, .. } = f;
        Carrier { id: CarrierId::new(), code, name, address, phone, suspended_at: None, created_at: at, updated_at: at }
    }
    fn with_form(self, f: RegistryForm, at: NaiveDateTime) -> Self {
        let RegistryForm { name, address, phone, .. } = f;
        Carrier { name, address, phone, updated_at: at, ..self }
    }
    fn with_suspension(self, suspended_at: Option<NaiveDateTime>, at: NaiveDateTime) -> Self {
        Carrier { suspended_at, updated_at: at, ..self }
    }
    fn key(&self) -> &str {
        self.id.as_str()
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn active(&self) -> bool {
        self.is_active()
    }
    fn set_staff(conn: &mut DbConnection, user: &UserId, row: &Self, at: NaiveDateTime) -> diesel::QueryResult<()> {
        repo::set_carrier_staff(conn, user, &row.id, at)
    }
    fn remove_staff(conn: &mut DbConnection, user: &UserId, row: &Self) -> diesel::QueryResult<usize> {
        repo::remove_carrier_staff(conn, user, &row.id)
    }
}

fn find<T: Registered>(conn: &mut DbConnection, code: &str) -> Result<T> {
    T::by_code(conn, &code.trim().to_ascii_uppercase())?.ok_or(EcheckError::NotFound)
}

/// Registers a selling office or a carrier.
pub fn register<T: Registered>(
    conn: &mut DbConnection,
    actor: Option<&UserId>,
    form: &RegistryForm,
    at: NaiveDateTime,
) -> Result<T> {
    let f = check_registry_form(form, T::WITH_BANK)?;
    if T::by_code(conn, &f.code)?.is_some() {
        return Err(code_taken());
    }
    let name = f.name.clone();
    let row = T::from_form(f, at);
    match T::insert(conn, &row) {
        Err(e) if crate::db::is_unique_violation(&e) => return Err(code_taken()),
        other => other?,
    };
    T::opened(conn, &row, at)?;
    registry_event(conn, row.key(), actor, "registered", &name, at)?;
    Ok(row)
}

pub fn update<T: Registered>(
    conn: &mut DbConnection,
    actor: &UserId,
    code: &str,
    form: &RegistryForm,
    at: NaiveDateTime,
) -> Result<T> {
    let current: T = find(conn, code)?;
    let f = check_registry_form(&RegistryForm { code: current.code().to_owned(), ..form.clone() }, T::WITH_BANK)?;
    let updated = current.with_form(f, at);
    T::save(conn, &updated)?;
    registry_event(conn, updated.key(), Some(actor), "edited", "", at)?;
    Ok(updated)
}

/// Suspends or reinstates a selling office or carrier; a suspended one is named in no new check.
pub fn set_suspended<T: Registered>(
    conn: &mut DbConnection,
    actor: &UserId,
    code: &str,
    suspend: bool,
    reason: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let current: T = find(conn, code)?;
    if current.active() != suspend {
        return Ok(());
    }
    let updated = current.with_suspension(suspend.then_some(at), at);
    T::save(conn, &updated)?;
    registry_event(conn, updated.key(), Some(actor), if suspend { "suspended" } else { "reinstated" }, reason, at)
}

/// Puts a user on the staff (moving them from any other office or carrier).
pub fn add_staff<T: Registered>(
    conn: &mut DbConnection,
    actor: Option<&UserId>,
    code: &str,
    user: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    let row: T = find(conn, code)?;
    T::set_staff(conn, user, &row, at)?;
    registry_event(conn, row.key(), actor, "staff_added", user.as_str(), at)
}

pub fn remove_staff<T: Registered>(
    conn: &mut DbConnection,
    actor: &UserId,
    code: &str,
    user: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    let row: T = find(conn, code)?;
    if T::remove_staff(conn, user, &row)? > 0 {
        registry_event(conn, row.key(), Some(actor), "staff_removed", user.as_str(), at)?;
    }
    Ok(())
}

pub fn offices(conn: &mut DbConnection) -> Result<Vec<Office>> {
    Ok(repo::offices(conn)?)
}

pub fn office(conn: &mut DbConnection, code: &str) -> Result<Office> {
    find(conn, code)
}

/// The office an office account belongs to (its owner key is the office's ID).
pub fn office_owning(conn: &mut DbConnection, account: &LedgerAccount) -> Result<Option<Office>> {
    let Ok(id) = account.owner_key.parse::<OfficeId>() else { return Ok(None) };
    Ok(repo::offices_by_ids(conn, &[id])?.into_iter().next())
}

pub fn carriers(conn: &mut DbConnection) -> Result<Vec<Carrier>> {
    Ok(repo::carriers(conn)?)
}

pub fn carrier(conn: &mut DbConnection, code: &str) -> Result<Carrier> {
    find(conn, code)
}

/// The selling office a salesperson works for.
/// Offices by ID (unknown IDs are left out).
pub fn offices_by_ids(conn: &mut DbConnection, ids: &[OfficeId]) -> Result<Vec<Office>> {
    Ok(repo::offices_by_ids(conn, ids)?)
}

pub fn office_of(conn: &mut DbConnection, user: &UserId) -> Result<Option<Office>> {
    Ok(repo::office_of_user(conn, user)?)
}

/// The carrier a carrier's user works for.
pub fn carrier_of(conn: &mut DbConnection, user: &UserId) -> Result<Option<Carrier>> {
    Ok(repo::carrier_of_user(conn, user)?)
}

pub fn office_staff(conn: &mut DbConnection, office: &OfficeId) -> Result<Vec<UserId>> {
    Ok(repo::office_staff_of(conn, office)?)
}

pub fn carrier_staff(conn: &mut DbConnection, carrier: &CarrierId) -> Result<Vec<UserId>> {
    Ok(repo::carrier_staff_of(conn, carrier)?)
}

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
    Ok(Overview { account, lapsed, open, recent, statement })
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

pub fn ledger_page(conn: &mut DbConnection, pager: Pager) -> Result<Paged<Transfer>> {
    Ok(pager.split(repo::transfers_page(conn, pager.fetch(), pager.offset())?))
}

/// The books' invariants, recomputed from the transfers and entries.
#[derive(Clone, Debug, Default)]
pub struct Books {
    /// Posted balances of all accounts: zero when no money was made or lost.
    pub sum_of_balances: i64,
    pub sum_of_entries: i64,
    pub below_floor: Vec<String>,
    pub wrong_holds: Vec<String>,
    pub wrong_balances: Vec<String>,
    pub wrong_entries: Vec<String>,
    pub checks_out_of_step: Vec<String>,
}

impl Books {
    pub fn balanced(&self) -> bool {
        self.sum_of_balances == 0
            && self.sum_of_entries == 0
            && self.below_floor.is_empty()
            && self.wrong_holds.is_empty()
            && self.wrong_balances.is_empty()
            && self.wrong_entries.is_empty()
            && self.checks_out_of_step.is_empty()
    }
}

pub fn books(conn: &mut DbConnection) -> Result<Books> {
    Ok(Books {
        sum_of_balances: repo::sum_of_balances(conn)?,
        sum_of_entries: repo::sum_of_entries(conn)?,
        below_floor: repo::accounts_below_floor(conn)?,
        wrong_holds: repo::accounts_with_wrong_holds(conn)?,
        wrong_balances: repo::accounts_with_wrong_balance(conn)?,
        wrong_entries: repo::transfers_with_wrong_entries(conn)?,
        checks_out_of_step: repo::checks_out_of_step(conn)?,
    })
}
