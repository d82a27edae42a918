//! Templates of the e-check pages and the helpers they use to show money and states.

use askama::Template;

use super::model::*;
use super::service::{
    AccountRow, Books, CheckLine, MoneyForm, Overview, Registry, RegistryRow, StaffRow, StatementLine,
};
use crate::money;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;
use crate::web::pager::Paged;

impl CheckState {
    /// The CSS class of the state's tag.
    pub fn tone(self) -> &'static str {
        match self {
            CheckState::Issued => "",
            CheckState::Paid => "good",
            CheckState::Voided | CheckState::Expired => "bad",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckState::Issued => "issued, held",
            CheckState::Paid => "paid",
            CheckState::Voided => "voided, released",
            CheckState::Expired => "expired, released",
        }
    }
}

impl CheckLine {
    pub fn expires(&self) -> String {
        when(self.check.expires_at)
    }

    pub fn issued(&self) -> String {
        when(self.check.created_at)
    }
}

impl StatementLine {
    pub fn amount_text(&self, currency: &str) -> String {
        let sign = if self.entry.amount > 0 { "+" } else { "" };
        format!("{sign}{}", money::format(self.entry.amount, currency))
    }

    pub fn balance_text(&self, currency: &str) -> String {
        money::format(self.entry.balance_after, currency)
    }

    pub fn date(&self) -> String {
        when(self.entry.at)
    }
}

impl LedgerAccount {
    pub fn money(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.currency)
    }
}

impl Transfer {
    pub fn created(&self) -> String {
        when(self.created_at)
    }
}

pub use crate::web::when;

#[derive(Template)]
#[template(path = "echeck/overview.html")]
pub struct OverviewPage {
    pub l: Layout,
    pub o: Overview,
}

impl OverviewPage {
    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.o.account.currency)
    }
}

/// The validation form of /sell/payments as typed, and its answer.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ValidateForm {
    #[serde(default)]
    pub check: String,
    #[serde(default)]
    pub amount: String,
}

#[derive(Template)]
#[template(path = "echeck/sell_payments.html")]
pub struct SellPaymentsPage {
    pub l: Layout,
    pub office: Option<Office>,
    pub checks: Paged<CheckLine>,
    pub form: ValidateForm,
    pub errors: FieldErrors,
    /// What validation found: Ok(message) for a good check.
    pub verdict: Option<Result<String, String>>,
}

#[derive(Template)]
#[template(path = "echeck/admin.html")]
pub struct AdminPage {
    pub l: Layout,
    pub books: Books,
    pub settings: Settings,
    pub line: String,
    pub hours: String,
    pub errors: FieldErrors,
    pub accounts: Paged<AccountRow>,
    pub find: String,
}

impl AdminPage {
    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.settings.currency)
    }
}

/// A shopper found by e-mail who has no e-check account yet.
#[derive(Template)]
#[template(path = "echeck/admin_unopened.html")]
pub struct UnopenedPage {
    pub l: Layout,
    pub user: crate::accounts::UserId,
    pub name: String,
}

#[derive(Template)]
#[template(path = "echeck/admin_account.html")]
pub struct AdminAccountPage {
    pub l: Layout,
    pub row: AccountRow,
    pub statement: Paged<StatementLine>,
    pub line: String,
    pub deposit: MoneyForm,
    pub withdrawal: MoneyForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "echeck/admin_ledger.html")]
pub struct LedgerPage {
    pub l: Layout,
    pub transfers: Paged<crate::echeck::service::LedgerLine>,
    pub currency: String,
}

impl LedgerPage {
    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.currency)
    }
}

#[derive(Template)]
#[template(path = "echeck/admin_registry.html")]
pub struct RegistryPage {
    pub l: Layout,
    pub registry: Registry,
    pub rows: Vec<RegistryRow>,
    pub form: RegistryForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "echeck/admin_registry_item.html")]
pub struct RegistryItemPage {
    pub l: Layout,
    pub registry: Registry,
    pub code: String,
    pub active: bool,
    pub form: RegistryForm,
    pub errors: FieldErrors,
    pub staff: Vec<StaffRow>,
    pub staff_email: String,
    pub history: Vec<RegistryEvent>,
}

impl RegistryItemPage {
    pub fn staff_label(&self) -> String {
        format!("Add a {} by e-mail", self.registry.staff_role().label().to_lowercase())
    }
}

impl Check {
    /// Paid, but less than its amount (the rest went back to the buyer).
    pub fn is_part_paid(&self) -> bool {
        self.paid_amount.is_some_and(|p| p != self.amount)
    }

    pub fn amount_input(&self) -> String {
        money::to_input(self.amount, &self.currency)
    }

    /// The order a check pays for, when its reference names one ("order 2234K-ABCDE"), linked
    /// under `base` (the buyer's `/orders/` or the seller's `/sell/orders/`).
    pub fn order_link(&self, base: &str) -> Option<(String, String)> {
        let number = self.reference.strip_prefix("order ")?;
        let ok = !number.is_empty() && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| (format!("{base}{number}"), number.to_owned()))
    }
}

impl RegistryEvent {
    pub fn when(&self) -> String {
        when(self.at)
    }
}
