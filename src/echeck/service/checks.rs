//! Checks: issued by a buyer to a selling office with a hold on the buyer's credit, validated by
//! the seller, paid on demand after shipping, voided on cancellation, expired when not paid in time.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Refusal};
use super::ledger::{Hold, check_event, insert_hold, office_account, post_entries, release_holds};
use super::{EcheckError, Result, open_shopper_account, settings, shopper_account};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::money;
use crate::web::idempotency::IdempotencyKey;

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
    pub idempotency_key: IdempotencyKey,
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
            idempotency_key: req.idempotency_key.to_string(),
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
        if let Some(existing) = repo::check_by_key(conn, &buyer.id, req.idempotency_key.as_str())? {
            return if same(&existing) { Ok(existing) } else { Err(Refusal::KeyReused.into()) };
        }
    };
    let payee = office_account(conn, &office.id, at)?;
    let hold = Hold {
        from: &buyer.id,
        to: &payee.id,
        amount: req.amount,
        reason: &req.reference,
        kind: TransferKind::Check,
        check: Some(&check.id),
        key: None,
        actor: Some(&req.buyer),
        expires_at: check.expires_at,
    };
    insert_hold(conn, &hold, at)?;
    let detail = format!("{} for {}", money::format(check.amount, &check.currency), check.reference);
    check_event(conn, &check.id, Some(&req.buyer), "issued", &detail, at)?;
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
pub(super) fn check_for(conn: &mut DbConnection, code: &str, party: Party<'_>) -> Result<Check> {
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
    let m = |amount: i64| money::format(amount, &check.currency);
    let detail = if paid == check.amount { m(paid) } else { format!("{} of {}", m(paid), m(check.amount)) };
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
