//! The pure rules of the e-check site: amounts, the credit check, check IDs, what a check's state
//! allows, and the floors accounts keep.

use std::fmt;

use chrono::NaiveDateTime;

use crate::money;
use crate::web::forms::FieldErrors;

crate::db::text_enum! {
    /// Where a check stands.
    pub enum CheckState {
        /// Issued, its hold pending.
        Issued = "issued",
        /// Payment demanded and posted.
        Paid = "paid",
        /// Voided (an order cancelled): the hold released.
        Voided = "voided",
        /// Not paid in time: the hold released.
        Expired = "expired",
    }
}

crate::db::text_enum! {
    /// Whose an account in the books is.
    pub enum AccountKind {
        Shopper = "shopper",
        Office = "office",
        Platform = "platform",
        /// The outside world: deposits enter the books from here and withdrawals leave to it.
        Bank = "bank",
        /// A prepaid card of an anonymous buyer (its owner is the card's batch and number).
        PrepaidCard = "prepaid_card",
        /// A buy-back center, which pays for traded-in goods.
        BuybackCenter = "buyback_center",
    }
}

crate::db::text_enum! {
    /// What moved money.
    pub enum TransferKind {
        Deposit = "deposit",
        Withdrawal = "withdrawal",
        Check = "check",
        /// A transfer between two accounts that another module asked for (a payout, a purchase).
        Transfer = "transfer",
        /// A hold that another module asked for, posted or voided later.
        Hold = "hold",
    }
}

impl TransferKind {
    pub fn label(self) -> &'static str {
        match self {
            TransferKind::Deposit => "Deposit",
            TransferKind::Withdrawal => "Withdrawal",
            TransferKind::Check => "Check",
            TransferKind::Transfer => "Transfer",
            TransferKind::Hold => "Hold",
        }
    }
}

crate::db::text_enum! {
    /// Where a transfer stands: a pending one is a hold on its debit account.
    pub enum TransferState {
        Pending = "pending",
        Posted = "posted",
        Voided = "voided",
    }
}

/// The largest amount of one transfer, credit line or check: 10 billion in major units. Well
/// inside i64, so sums of many of them cannot overflow on either database.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Why the e-check site said no. The message is shown to the person asking; for a check they may
/// not see, it is the same as for a check that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    AmountNotPositive,
    AmountTooLarge,
    NoAccount,
    InsufficientCredit {
        available: i64,
        currency: String,
    },
    OfficeUnknown,
    OfficeSuspended,
    CarrierUnknown,
    CarrierSuspended,
    CurrencyMismatch,
    KeyReused,
    UnknownCheck,
    CheckPaid,
    CheckVoided,
    CheckExpired,
    AmountMismatch,
    DemandTooLarge {
        amount: i64,
        currency: String,
    },
    DeliveryRecorded,
    /// A hold another module asked for was posted or released already.
    HoldFinished,
    /// A salesperson who works for no selling office.
    NoOffice,
    WithdrawalTooLarge {
        withdrawable: i64,
        currency: String,
    },
    CreditLineTooLow {
        minimum: i64,
        currency: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::AmountNotPositive => f.write_str("The amount must be more than zero."),
            Refusal::AmountTooLarge => {
                write!(f, "The amount is too large (at most {}).", money::format(MAX_AMOUNT, "").trim_end())
            }
            Refusal::NoAccount => f.write_str("There is no e-check account for this buyer."),
            Refusal::InsufficientCredit { available, currency } => write!(
                f,
                "Credit check refused: the amount is more than the available credit of {}.",
                money::format(*available, currency)
            ),
            Refusal::OfficeUnknown => f.write_str("The selling office is not registered with the e-check site."),
            Refusal::OfficeSuspended => f.write_str("The selling office is suspended at the e-check site."),
            Refusal::CarrierUnknown => f.write_str("The carrier is not registered with the e-check site."),
            Refusal::CarrierSuspended => f.write_str("The carrier is suspended at the e-check site."),
            Refusal::CurrencyMismatch => f.write_str("The check's currency is not the account's currency."),
            Refusal::KeyReused => {
                f.write_str("This request was already sent with different details; start it again from the beginning.")
            }
            Refusal::UnknownCheck => f.write_str("No check with this ID is open to you. Check the ID and try again."),
            Refusal::CheckPaid => f.write_str("This check has been paid already."),
            Refusal::CheckVoided => f.write_str("This check has been voided."),
            Refusal::CheckExpired => f.write_str("This check has expired; its hold was released."),
            Refusal::AmountMismatch => f.write_str("This check is not for this amount."),
            Refusal::DemandTooLarge { amount, currency } => {
                write!(f, "You can demand at most the check's amount, {}.", money::format(*amount, currency))
            }
            Refusal::DeliveryRecorded => f.write_str("The delivery of this check's goods is recorded already."),
            Refusal::HoldFinished => f.write_str("This hold has been posted or released already."),
            Refusal::NoOffice => {
                f.write_str("You are not on the staff of a selling office; ask an administrator to add you.")
            }
            Refusal::WithdrawalTooLarge { withdrawable, currency } => {
                write!(f, "At most {} can be withdrawn from this account now.", money::format(*withdrawable, currency))
            }
            Refusal::CreditLineTooLow { minimum, currency } => write!(
                f,
                "The account uses {} of credit now; the credit line cannot be lower.",
                money::format(*minimum, currency)
            ),
        }
    }
}

/// The check ID and the amount a seller types to check a check; a message per field otherwise.
pub fn read_validation(check: &str, amount: &str, currency: &str) -> Result<(String, i64), FieldErrors> {
    let mut errors = FieldErrors::new();
    let code = normalize_check_code(check);
    if code.is_none() {
        errors.add("check", "A check ID has twelve letters and digits, like 7QK2-MX9P-4TZR.");
    }
    let amount = parse_amount(amount, currency).map_err(|e| errors.add("amount", e)).ok();
    match (code, amount) {
        (Some(code), Some(amount)) => Ok((code, amount)),
        _ => Err(errors),
    }
}

/// An amount a transfer, check or credit line may carry.
pub fn check_amount(amount: i64) -> Result<i64, Refusal> {
    if amount <= 0 {
        Err(Refusal::AmountNotPositive)
    } else if amount > MAX_AMOUNT {
        Err(Refusal::AmountTooLarge)
    } else {
        Ok(amount)
    }
}

/// An amount typed into a form, in minor units; zero, negative, malformed and huge are refused.
pub fn parse_amount(input: &str, currency: &str) -> Result<i64, String> {
    let amount = money::parse(input, currency).map_err(str::to_owned)?;
    check_amount(amount).map_err(|r| r.to_string())
}

/// A credit line typed into a form: like an amount, but zero is allowed.
pub fn parse_credit_line(input: &str, currency: &str) -> Result<i64, String> {
    match money::parse(input, currency).map_err(str::to_owned)? {
        0 => Ok(0),
        amount => check_amount(amount).map_err(|r| r.to_string()),
    }
}

/// Balance + credit line - holds, saturating (the inputs are bounded, this is belt and braces).
pub fn available(balance: i64, credit_line: i64, held: i64) -> i64 {
    balance.saturating_add(credit_line).saturating_sub(held)
}

/// The most that may leave an account to the bank: its own money, not its credit, and not what
/// holds have promised.
pub fn withdrawable(balance: i64, credit_line: i64, held: i64) -> i64 {
    balance.min(available(balance, credit_line, held)).max(0)
}

/// The lowest credit line that keeps what is already spent and held covered.
pub fn minimum_credit_line(balance: i64, held: i64) -> i64 {
    held.saturating_sub(balance).max(0)
}

/// When a hold issued at `now` lapses.
pub fn expires_at(now: NaiveDateTime, hold_hours: i32) -> NaiveDateTime {
    now + chrono::Duration::hours(i64::from(hold_hours.max(1)))
}

/// A new check ID: 12 characters in three groups of four, 60 random bits ("7QK2-MX9P-4TZR").
pub fn new_check_code() -> String {
    crate::codes::random(3, 4)
}

/// A check ID as typed (any case, with or without dashes or spaces, O for 0, I or L for 1) in its
/// stored form, or None when it cannot be one.
pub fn normalize_check_code(input: &str) -> Option<String> {
    crate::codes::normalize(input, 3, 4)
}

/// What a check in `state` allows.
pub fn may_pay(state: CheckState) -> Result<(), Refusal> {
    open(state)
}

pub fn may_void(state: CheckState) -> Result<(), Refusal> {
    open(state)
}

fn open(state: CheckState) -> Result<(), Refusal> {
    match state {
        CheckState::Issued => Ok(()),
        CheckState::Paid => Err(Refusal::CheckPaid),
        CheckState::Voided => Err(Refusal::CheckVoided),
        CheckState::Expired => Err(Refusal::CheckExpired),
    }
}

/// A delivery can be recorded on a check that was not cancelled: issued (cash flows later) or paid.
pub fn may_record_delivery(state: CheckState, already: bool) -> Result<(), Refusal> {
    match state {
        _ if already => Err(Refusal::DeliveryRecorded),
        CheckState::Issued | CheckState::Paid => Ok(()),
        CheckState::Voided => Err(Refusal::CheckVoided),
        CheckState::Expired => Err(Refusal::CheckExpired),
    }
}

/// The amount a payment demand posts: the whole check when none is named, else a part of it.
pub fn demanded(check_amount: i64, asked: Option<i64>, currency: &str) -> Result<i64, Refusal> {
    match asked {
        None => Ok(check_amount),
        Some(a) if a <= 0 => Err(Refusal::AmountNotPositive),
        Some(a) if a > check_amount => Err(Refusal::DemandTooLarge { amount: check_amount, currency: currency.into() }),
        Some(a) => Ok(a),
    }
}

/// A registry code (office or carrier): 2 to 16 letters, digits or dashes, stored upper-case.
pub fn registry_code(input: &str) -> Result<String, &'static str> {
    let code = input.trim().to_ascii_uppercase();
    if code.len() < 2 || code.len() > 16 {
        return Err("Use 2 to 16 characters.");
    }
    if !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("Use letters, digits and dashes only.");
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_must_be_positive_and_bounded() {
        assert_eq!(check_amount(1), Ok(1));
        assert_eq!(check_amount(0), Err(Refusal::AmountNotPositive));
        assert_eq!(check_amount(-5), Err(Refusal::AmountNotPositive));
        assert_eq!(check_amount(MAX_AMOUNT + 1), Err(Refusal::AmountTooLarge));
        assert_eq!(parse_amount("12.50", "EUR"), Ok(1250));
        for bad in ["0", "0.00", "-1", "abc", "1.234", "99999999999999999999", "10000000001"] {
            assert!(parse_amount(bad, "EUR").is_err(), "{bad}");
        }
        assert_eq!(parse_credit_line("0", "EUR"), Ok(0));
    }

    #[test]
    fn credit_check_counts_balance_line_and_holds() {
        assert_eq!(available(0, 500, 0), 500);
        assert_eq!(available(100, 500, 550), 50);
        assert_eq!(available(-500, 500, 0), 0);
        assert_eq!(withdrawable(300, 500, 0), 300);
        assert_eq!(withdrawable(300, 500, 700), 100);
        assert_eq!(withdrawable(-20, 500, 0), 0);
        assert_eq!(minimum_credit_line(100, 400), 300);
        assert_eq!(minimum_credit_line(500, 400), 0);
    }

    #[test]
    fn check_codes_are_long_random_and_typeable() {
        let a = new_check_code();
        assert_eq!(a.len(), 14);
        assert_ne!(a, new_check_code());
        assert_eq!(normalize_check_code(&a), Some(a.clone()));
        assert_eq!(normalize_check_code(&a.to_lowercase().replace('-', " ")), Some(a.clone()));
        assert_eq!(normalize_check_code("oooo-iiii-llll"), Some("0000-1111-1111".into()));
        for bad in ["", "ABC", "UUUU-UUUU-UUUU", "7QK2-MX9P-4TZR-1", "'; drop"] {
            assert_eq!(normalize_check_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_issued_checks_are_paid_or_voided() {
        assert_eq!(may_pay(CheckState::Issued), Ok(()));
        assert_eq!(may_pay(CheckState::Paid), Err(Refusal::CheckPaid));
        assert_eq!(may_void(CheckState::Paid), Err(Refusal::CheckPaid));
        assert_eq!(may_void(CheckState::Voided), Err(Refusal::CheckVoided));
        assert_eq!(may_void(CheckState::Expired), Err(Refusal::CheckExpired));
        assert_eq!(may_record_delivery(CheckState::Paid, false), Ok(()));
        assert_eq!(may_record_delivery(CheckState::Paid, true), Err(Refusal::DeliveryRecorded));
        assert_eq!(may_record_delivery(CheckState::Voided, false), Err(Refusal::CheckVoided));
    }

    #[test]
    fn demands_post_all_or_part_never_more() {
        assert_eq!(demanded(1000, None, "EUR"), Ok(1000));
        assert_eq!(demanded(1000, Some(400), "EUR"), Ok(400));
        assert_eq!(demanded(1000, Some(0), "EUR"), Err(Refusal::AmountNotPositive));
        assert!(matches!(demanded(1000, Some(1001), "EUR"), Err(Refusal::DemandTooLarge { .. })));
    }

    #[test]
    fn registry_codes() {
        assert_eq!(registry_code(" north-1 "), Ok("NORTH-1".into()));
        assert!(registry_code("x").is_err());
        assert!(registry_code("a b").is_err());
    }
}
