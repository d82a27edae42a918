//! Rows of the e-check site: the registries, the ledger (accounts, transfers, entries) and checks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{AccountKind, CheckState, TransferKind, TransferState};
pub use crate::accounts::UserId;
use crate::db::schema::{
    carriers, echeck_events, echeck_settings, echecks, ledger_accounts, ledger_entries, ledger_transfers,
    registry_events, selling_offices,
};

crate::db::id_type!(OfficeId);
crate::db::id_type!(CarrierId);
crate::db::id_type!(LedgerAccountId);
crate::db::id_type!(CheckId);
crate::db::id_type!(TransferId);
crate::db::id_type!(EntryId);
crate::db::id_type!(CheckEventId);
crate::db::id_type!(RegistryEventId);

/// A selling office registered with the e-check site (seed 003: selling office information database).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = selling_offices)]
pub struct Office {
    pub id: OfficeId,
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub bank: String,
    pub bank_account: String,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Office {
    pub fn is_active(&self) -> bool {
        self.suspended_at.is_none()
    }
}

/// A distributing company (seed 003: distributing company information database).
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = carriers)]
pub struct Carrier {
    pub id: CarrierId,
    pub code: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Carrier {
    pub fn is_active(&self) -> bool {
        self.suspended_at.is_none()
    }
}

/// The registration form of a selling office or a carrier, as typed (carriers leave fax and bank empty).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct RegistryForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub fax: String,
    #[serde(default)]
    pub bank: String,
    #[serde(default)]
    pub bank_account: String,
}

impl RegistryForm {
    pub fn of_office(o: &Office) -> Self {
        Self {
            code: o.code.clone(),
            name: o.name.clone(),
            address: o.address.clone(),
            phone: o.phone.clone(),
            fax: o.fax.clone(),
            bank: o.bank.clone(),
            bank_account: o.bank_account.clone(),
        }
    }

    pub fn of_carrier(c: &Carrier) -> Self {
        Self {
            code: c.code.clone(),
            name: c.name.clone(),
            address: c.address.clone(),
            phone: c.phone.clone(),
            ..Self::default()
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = registry_events)]
pub struct RegistryEvent {
    pub id: RegistryEventId,
    pub subject_id: String,
    pub actor_id: Option<UserId>,
    pub kind: String,
    pub detail: String,
    pub at: NaiveDateTime,
}

/// What the administrators set on /admin/echeck.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = echeck_settings)]
pub struct Settings {
    pub id: i32,
    pub currency: String,
    /// The credit line a new shopper's account opens with.
    pub default_credit_line: i64,
    /// How long a check's hold lasts before it is released unpaid.
    pub hold_hours: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_accounts)]
pub struct LedgerAccount {
    pub id: LedgerAccountId,
    pub kind: AccountKind,
    /// The shopper's user ID, the office's ID, or the kind itself for the platform and the bank.
    pub owner_key: String,
    pub currency: String,
    /// Posted credits minus posted debits.
    pub balance: i64,
    /// The sum of this account's pending debits (holds).
    pub held: i64,
    pub credit_line: i64,
    pub external: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LedgerAccount {
    /// What may still be spent or held: balance + credit line - holds.
    pub fn available(&self) -> i64 {
        super::rules::available(self.balance, self.credit_line, self.held)
    }
}

/// An electronic check: a buyer's promise to pay a selling office, backed by a hold.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = echecks)]
pub struct Check {
    pub id: CheckId,
    /// The short ID people see and type: 12 characters, about 60 random bits.
    pub code: String,
    pub buyer_account_id: LedgerAccountId,
    pub office_id: OfficeId,
    pub carrier_id: CarrierId,
    pub amount: i64,
    pub currency: String,
    /// What the check pays for (an order number).
    pub reference: String,
    pub idempotency_key: String,
    pub state: CheckState,
    pub paid_amount: Option<i64>,
    pub expires_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub delivery_report: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Check {
    /// The stored state; an issued check past its expiry counts as expired at once, before the
    /// worker gets to it.
    pub fn state_at(&self, now: NaiveDateTime) -> CheckState {
        match self.state {
            CheckState::Issued if self.expires_at <= now => CheckState::Expired,
            state => state,
        }
    }

    pub fn amount_text(&self) -> String {
        crate::money::format(self.amount, &self.currency)
    }

    pub fn paid_text(&self) -> String {
        self.paid_amount.map(|a| crate::money::format(a, &self.currency)).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = echeck_events)]
pub struct CheckEvent {
    pub id: CheckEventId,
    pub check_id: CheckId,
    pub actor_id: Option<UserId>,
    pub kind: String,
    pub detail: String,
    pub at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = ledger_transfers)]
pub struct Transfer {
    pub id: TransferId,
    pub debit_account_id: LedgerAccountId,
    pub credit_account_id: LedgerAccountId,
    /// Held while pending; moved when posted in full.
    pub amount: i64,
    /// What moved when posted (at most `amount`).
    pub posted_amount: Option<i64>,
    pub state: TransferState,
    pub kind: TransferKind,
    pub check_id: Option<CheckId>,
    pub idempotency_key: Option<String>,
    pub reason: String,
    pub actor_id: Option<UserId>,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct Entry {
    pub id: EntryId,
    pub account_id: LedgerAccountId,
    pub transfer_id: TransferId,
    /// Positive: credited to the account; negative: debited.
    pub amount: i64,
    pub balance_after: i64,
    pub at: NaiveDateTime,
}
