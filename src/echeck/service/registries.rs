//! The registries of selling offices and carriers (seed 003: their information databases), with
//! their staff and the history of changes.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::ledger::office_account;
use super::{EcheckError, Result, registry_event};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;

// ---- registries ----

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
