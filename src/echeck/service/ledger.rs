//! The double-entry ledger: accounts of every kind and the money moving between them. Other
//! modules move money only through the functions here (`transfer`, `hold`, `post`, `release`),
//! inside their own transaction, so every payment of the shop keeps to the books' invariants.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Refusal};
use super::{EcheckError, Result, registry_event, settings};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::idempotency::IdempotencyKey;

// ---- accounts ----

/// The account of `owner` of this kind, opened if there is none yet: a shopper's with the default
/// credit line, every other kind with none. The owner is a user ID (shopper), an office ID
/// (office), the card's or the center's own key (prepaid card, buy-back center), or the kind's
/// name (platform, bank).
pub fn open_account(
    conn: &mut DbConnection,
    kind: AccountKind,
    owner: &str,
    at: NaiveDateTime,
) -> Result<LedgerAccount> {
    if let Some(existing) = repo::account_by_owner(conn, kind, owner)? {
        return Ok(existing);
    }
    let settings = settings(conn)?;
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
    // A racing first use inserts nothing here and finds the other's row.
    repo::insert_account(conn, &row)?;
    repo::account_by_owner(conn, kind, owner)?.ok_or(EcheckError::NotFound)
}

/// The account of `owner` of this kind, if it was opened.
pub fn account_of(conn: &mut DbConnection, kind: AccountKind, owner: &str) -> Result<Option<LedgerAccount>> {
    Ok(repo::account_by_owner(conn, kind, owner)?)
}

/// The shopper's account, opened with the default credit line on first use.
pub fn open_shopper_account(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<LedgerAccount> {
    open_account(conn, AccountKind::Shopper, user.as_str(), at)
}

pub fn shopper_account(conn: &mut DbConnection, user: &UserId) -> Result<Option<LedgerAccount>> {
    account_of(conn, AccountKind::Shopper, user.as_str())
}

pub fn account(conn: &mut DbConnection, id: &LedgerAccountId) -> Result<LedgerAccount> {
    repo::account(conn, id)?.ok_or(EcheckError::NotFound)
}

pub(super) fn office_account(conn: &mut DbConnection, office: &OfficeId, at: NaiveDateTime) -> Result<LedgerAccount> {
    open_account(conn, AccountKind::Office, office.as_str(), at)
}

/// The office's account at the e-check site.
pub fn account_of_office(conn: &mut DbConnection, office: &OfficeId) -> Result<Option<LedgerAccount>> {
    account_of(conn, AccountKind::Office, office.as_str())
}

/// The platform's own account (what the shop earns and pays itself).
pub fn platform(conn: &mut DbConnection) -> Result<LedgerAccount> {
    account_of(conn, AccountKind::Platform, AccountKind::Platform.as_str())?.ok_or(EcheckError::NotFound)
}

fn bank(conn: &mut DbConnection) -> Result<LedgerAccount> {
    account_of(conn, AccountKind::Bank, AccountKind::Bank.as_str())?.ok_or(EcheckError::NotFound)
}

// ---- moving money: what other modules call ----

/// Money another module moves from one account to another (a payout, a purchase, a payment by
/// card). The key makes it happen once: asked again under the same key, the ledger answers with
/// the transfer the first request made; another request under that key is refused.
#[derive(Clone, Debug)]
pub struct Move {
    pub from: LedgerAccountId,
    pub to: LedgerAccountId,
    pub amount: i64,
    /// What the money is for, as both statements show it.
    pub reason: String,
    pub key: IdempotencyKey,
    /// Who asked (None: the shop itself).
    pub actor: Option<UserId>,
}

/// Moves the money at once. Refused when `from` has less available (balance + credit line -
/// holds) than the amount; nothing moves then.
pub fn transfer(conn: &mut DbConnection, m: &Move, at: NaiveDateTime) -> Result<Transfer> {
    let key = m.key.to_string();
    move_money(conn, &m.from, &m.to, m.amount, &m.reason, &key, TransferKind::Transfer, m.actor.as_ref(), at)
}

/// Holds the money on `from` for `to` until it is posted or released; the jobs release it at
/// `expires_at` if neither happened. Refused when `from` has less available than the amount.
pub fn hold(conn: &mut DbConnection, m: &Move, expires_at: NaiveDateTime, at: NaiveDateTime) -> Result<Transfer> {
    rules::check_amount(m.amount)?;
    let row = Hold {
        from: &m.from,
        to: &m.to,
        amount: m.amount,
        reason: &m.reason,
        kind: TransferKind::Hold,
        check: None,
        key: Some(m.key.to_string()),
        actor: m.actor.as_ref(),
        expires_at,
    };
    match insert_hold(conn, &row, at)? {
        Inserted::New(transfer) => Ok(transfer),
        Inserted::Earlier(earlier) => same_request(earlier, &m.from, &m.to, m.amount),
    }
}

/// Posts a pending hold: `amount` of it (all of it when None) moves, the rest goes back to what
/// `from` has available. Once: posting a posted hold again for the same amount answers with it.
pub fn post(conn: &mut DbConnection, id: &TransferId, amount: Option<i64>, at: NaiveDateTime) -> Result<Transfer> {
    let held = own_hold(conn, id)?;
    let currency = account(conn, &held.debit_account_id)?.currency;
    let paid = rules::demanded(held.amount, amount, &currency)?;
    match repo::post_transfer(conn, id, paid, at)? {
        Some(posted) => {
            post_entries(conn, &posted, paid, posted.amount, &posted.credit_account_id, false, at)?;
            Ok(posted)
        }
        None if held.state == TransferState::Posted && held.posted_amount == Some(paid) => Ok(held),
        None => Err(Refusal::HoldFinished.into()),
    }
}

/// Releases a pending hold: the money stays with `from`. Once: releasing a released hold answers
/// with it.
pub fn release(conn: &mut DbConnection, id: &TransferId, at: NaiveDateTime) -> Result<Transfer> {
    let held = own_hold(conn, id)?;
    let voided = repo::void_transfers(conn, std::slice::from_ref(id), at)?;
    if voided.is_empty() {
        return if held.state == TransferState::Voided { Ok(held) } else { Err(Refusal::HoldFinished.into()) };
    }
    release_holds(conn, &voided, at)?;
    voided.into_iter().next().ok_or(EcheckError::NotFound)
}

pub fn transfer_by_id(conn: &mut DbConnection, id: &TransferId) -> Result<Transfer> {
    repo::transfer(conn, id)?.ok_or(EcheckError::NotFound)
}

/// A hold other modules may post or release: not a check's (checks move by their own steps).
fn own_hold(conn: &mut DbConnection, id: &TransferId) -> Result<Transfer> {
    let transfer = transfer_by_id(conn, id)?;
    if transfer.check_id.is_some() || transfer.kind != TransferKind::Hold {
        return Err(EcheckError::NotFound);
    }
    Ok(transfer)
}

fn same_request(earlier: Transfer, from: &LedgerAccountId, to: &LedgerAccountId, amount: i64) -> Result<Transfer> {
    let same = earlier.debit_account_id == *from && earlier.credit_account_id == *to && earlier.amount == amount;
    if same { Ok(earlier) } else { Err(Refusal::KeyReused.into()) }
}

// ---- holds, as checks and other modules make them ----

/// A hold to insert.
pub(super) struct Hold<'a> {
    pub from: &'a LedgerAccountId,
    pub to: &'a LedgerAccountId,
    pub amount: i64,
    pub reason: &'a str,
    pub kind: TransferKind,
    pub check: Option<&'a CheckId>,
    pub key: Option<String>,
    pub actor: Option<&'a UserId>,
    pub expires_at: NaiveDateTime,
}

pub(super) enum Inserted {
    New(Transfer),
    /// The key was used before: the transfer it made.
    Earlier(Transfer),
}

/// Inserts a pending transfer and holds its amount on the debit account, whose available money
/// must cover it. Holds that have lapsed no longer count: when they stand in the way, they are
/// released first.
pub(super) fn insert_hold(conn: &mut DbConnection, h: &Hold<'_>, at: NaiveDateTime) -> Result<Inserted> {
    let transfer = Transfer {
        id: TransferId::new(),
        debit_account_id: h.from.clone(),
        credit_account_id: h.to.clone(),
        amount: h.amount,
        posted_amount: None,
        state: TransferState::Pending,
        kind: h.kind,
        check_id: h.check.cloned(),
        idempotency_key: h.key.clone(),
        reason: h.reason.to_owned(),
        actor_id: h.actor.cloned(),
        expires_at: Some(h.expires_at),
        created_at: at,
        finished_at: None,
    };
    // The transfer row goes in first: a racing request with the same key waits for it on
    // PostgreSQL, then finds it.
    if repo::insert_transfer(conn, &transfer)? == 0 {
        let key = h.key.as_deref().ok_or(EcheckError::NotFound)?;
        return Ok(Inserted::Earlier(repo::transfer_by_key(conn, key)?.ok_or(EcheckError::NotFound)?));
    }
    if repo::reserve(conn, h.from, h.amount, at)? == 0
        && (release_lapsed_holds(conn, h.from, at)? == 0 || repo::reserve(conn, h.from, h.amount, at)? == 0)
    {
        let a = account(conn, h.from)?;
        return Err(Refusal::InsufficientCredit { available: a.available().max(0), currency: a.currency }.into());
    }
    Ok(Inserted::New(transfer))
}

/// Releases the account's lapsed holds before a credit check, so they never count against it.
fn release_lapsed_holds(conn: &mut DbConnection, account: &LedgerAccountId, at: NaiveDateTime) -> Result<usize> {
    let lapsed: Vec<TransferId> = repo::lapsed_holds_of(conn, account, at)?.into_iter().map(|t| t.id).collect();
    if lapsed.is_empty() {
        return Ok(0);
    }
    expire_holds(conn, &lapsed, at)
}

/// Gives voided holds back to their accounts, in account order (so concurrent releases on
/// PostgreSQL always lock rows in the same order and cannot deadlock).
pub(super) fn release_holds(conn: &mut DbConnection, voided: &[Transfer], at: NaiveDateTime) -> Result<()> {
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
pub(super) fn post_entries(
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

// ---- holds that lapse ----

/// The worker's round: voids up to `limit` holds past their expiry; returns how many.
pub fn expire_due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> Result<usize> {
    let due: Vec<TransferId> = repo::due_holds(conn, at, limit)?.into_iter().map(|t| t.id).collect();
    expire_holds(conn, &due, at)
}

/// Voids these holds (those still pending), gives their amounts back, and marks the checks they
/// backed expired.
pub(super) fn expire_holds(conn: &mut DbConnection, ids: &[TransferId], at: NaiveDateTime) -> Result<usize> {
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

/// An entry in a check's history.
pub(super) fn check_event(
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
    pub key: IdempotencyKey,
}

/// Money paid in from outside (the buyer's bank): bank → account, posted at once.
pub fn deposit(conn: &mut DbConnection, m: &Movement, actor: Option<&UserId>, at: NaiveDateTime) -> Result<Transfer> {
    let bank = bank(conn)?;
    let key = m.key.to_string();
    move_money(conn, &bank.id, &m.account, m.amount, &m.reason, &key, TransferKind::Deposit, actor, at)
}

/// Money paid out to the owner's bank: account → bank; only the account's own money, not its credit.
pub fn withdraw(conn: &mut DbConnection, m: &Movement, actor: Option<&UserId>, at: NaiveDateTime) -> Result<Transfer> {
    let bank = bank(conn)?;
    let key = m.key.to_string();
    move_money(conn, &m.account, &bank.id, m.amount, &m.reason, &key, TransferKind::Withdrawal, actor, at)
}

/// A posted transfer under an idempotency key (its row goes in first: a racing request with the
/// same key waits for it on PostgreSQL, then finds it).
#[allow(clippy::too_many_arguments)]
fn move_money(
    conn: &mut DbConnection,
    from: &LedgerAccountId,
    to: &LedgerAccountId,
    amount: i64,
    reason: &str,
    key: &str,
    kind: TransferKind,
    actor: Option<&UserId>,
    at: NaiveDateTime,
) -> Result<Transfer> {
    rules::check_amount(amount)?;
    if from == to {
        return Err(EcheckError::NotFound);
    }
    let transfer = Transfer {
        id: TransferId::new(),
        debit_account_id: from.clone(),
        credit_account_id: to.clone(),
        amount,
        posted_amount: Some(amount),
        state: TransferState::Posted,
        kind,
        check_id: None,
        idempotency_key: Some(key.to_owned()),
        reason: reason.trim().to_owned(),
        actor_id: actor.cloned(),
        expires_at: None,
        created_at: at,
        finished_at: Some(at),
    };
    if repo::insert_transfer(conn, &transfer)? == 0 {
        let earlier = repo::transfer_by_key(conn, key)?.ok_or(EcheckError::NotFound)?;
        return same_request(earlier, from, to, amount);
    }
    post_entries(conn, &transfer, amount, 0, to, kind == TransferKind::Withdrawal, at)?;
    Ok(transfer)
}

/// A deposit or a withdrawal as an administrator types it on an account's page.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct MoneyForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub key: String,
}

/// Money in or out, as an administrator records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Deposit,
    Withdrawal,
}

impl Direction {
    /// The prefix of the form's fields (`deposit_amount`, `withdrawal_reason`).
    pub fn field(self) -> &'static str {
        match self {
            Direction::Deposit => "deposit",
            Direction::Withdrawal => "withdrawal",
        }
    }
}

/// Records a deposit or a withdrawal typed on an account's page; mistakes and refusals come back
/// next to the fields.
pub fn record_movement(
    conn: &mut DbConnection,
    account_id: &LedgerAccountId,
    direction: Direction,
    form: &MoneyForm,
    actor: &UserId,
    at: NaiveDateTime,
) -> Result<Transfer> {
    let account = account(conn, account_id)?;
    let (amount_field, reason_field) =
        (format!("{}_amount", direction.field()), format!("{}_reason", direction.field()));
    let mut errors = crate::web::forms::FieldErrors::new();
    let amount = rules::parse_amount(&form.amount, &account.currency).map_err(|e| errors.add(&amount_field, e)).ok();
    let reason = form.reason.trim();
    if reason.is_empty() {
        errors.add(&reason_field, "Say what this is, e.g. \"bank transfer of 3 May\".");
    } else if reason.chars().count() > 200 {
        errors.add(&reason_field, "At most 200 characters.");
    }
    let key = IdempotencyKey::parse(&form.key);
    if key.is_none() {
        errors.add(&amount_field, "The form is out of date. Reload the page.");
    }
    let (Some(amount), Some(key), true) = (amount, key, errors.is_empty()) else {
        return Err(EcheckError::Invalid(errors));
    };
    let m = Movement { account: account.id, amount, reason: reason.to_owned(), key };
    let done = match direction {
        Direction::Deposit => deposit(conn, &m, Some(actor), at),
        Direction::Withdrawal => withdraw(conn, &m, Some(actor), at),
    };
    done.map_err(|e| match e {
        EcheckError::Refused(r) => {
            EcheckError::Invalid(crate::web::forms::FieldErrors::with(&amount_field, r.to_string()))
        }
        other => other,
    })
}

/// Sets a credit line typed on an account's page; a refusal comes back next to the field.
pub fn change_credit_line(
    conn: &mut DbConnection,
    id: &LedgerAccountId,
    typed: &str,
    actor: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    let refused = |message: String| EcheckError::Invalid(crate::web::forms::FieldErrors::with("credit_line", message));
    let currency = account(conn, id)?.currency;
    let line = rules::parse_credit_line(typed, &currency).map_err(refused)?;
    set_credit_line(conn, id, line, actor, at).map_err(|e| match e {
        EcheckError::Refused(r) => refused(r.to_string()),
        other => other,
    })
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

// ---- the invariants ----

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

/// These accounts (unknown IDs are left out), in one query.
pub fn accounts_by_ids(conn: &mut DbConnection, ids: &[LedgerAccountId]) -> Result<Vec<LedgerAccount>> {
    // A SQLite statement binds at most 32,766 values (PostgreSQL gets the list as one array), and
    // callers may ask for every prepaid card's account: long lists go in parts.
    let mut accounts = Vec::with_capacity(ids.len());
    for part in ids.chunks(1000) {
        accounts.extend(repo::accounts_by_ids(conn, part)?);
    }
    Ok(accounts)
}
