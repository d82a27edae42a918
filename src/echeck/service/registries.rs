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
    let mut field = |name: &str, value: &str, max: usize, required: bool| errors.text(name, value, max, required);
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

/// The names of the selling offices of these salespeople (those who work for one), for a product
/// page (see `repo::office_names_of_users` for how each database is asked).
pub fn office_names(conn: &mut DbConnection, users: &[UserId]) -> Result<std::collections::HashMap<UserId, String>> {
    Ok(repo::office_names_of_users(conn, users)?.into_iter().collect())
}

pub fn office_of(conn: &mut DbConnection, user: &UserId) -> Result<Option<Office>> {
    Ok(repo::office_of_user(conn, user)?)
}

/// The selling office of a salesperson, or the refusal that they work for none.
pub fn office_for(conn: &mut DbConnection, seller: &UserId) -> Result<Office> {
    office_of(conn, seller)?.ok_or(EcheckError::Refused(super::super::rules::Refusal::NoOffice))
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

// ---- what the administrators' pages show ----

/// A registry entry as the list shows it: selling office or carrier.
pub struct RegistryRow {
    pub code: String,
    pub name: String,
    pub phone: String,
    pub active: bool,
}

impl From<&Office> for RegistryRow {
    fn from(o: &Office) -> Self {
        Self { code: o.code.clone(), name: o.name.clone(), phone: o.phone.clone(), active: o.is_active() }
    }
}

impl From<&Carrier> for RegistryRow {
    fn from(c: &Carrier) -> Self {
        Self { code: c.code.clone(), name: c.name.clone(), phone: c.phone.clone(), active: c.is_active() }
    }
}

/// Which registry a page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registry {
    Offices,
    Carriers,
}

impl Registry {
    pub fn path(self) -> &'static str {
        match self {
            Registry::Offices => "/admin/echeck/offices",
            Registry::Carriers => "/admin/echeck/carriers",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Registry::Offices => "Selling offices",
            Registry::Carriers => "Carriers",
        }
    }

    pub fn one(self) -> &'static str {
        match self {
            Registry::Offices => "selling office",
            Registry::Carriers => "carrier",
        }
    }

    pub fn has_bank(self) -> bool {
        self == Registry::Offices
    }

    /// The role staff of this registry must have.
    pub fn staff_role(self) -> crate::accounts::Role {
        match self {
            Registry::Offices => crate::accounts::Role::Salesperson,
            Registry::Carriers => crate::accounts::Role::Carrier,
        }
    }
}

/// A member of an office's or carrier's staff, as the administrators see them.
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl Registry {
    /// The registry an address names: `offices` or `carriers`.
    pub fn named(name: &str) -> Option<Registry> {
        match name {
            "offices" => Some(Registry::Offices),
            "carriers" => Some(Registry::Carriers),
            _ => None,
        }
    }
}

/// The entries of a registry, as its list shows them.
pub fn registry_rows(conn: &mut DbConnection, reg: Registry) -> Result<Vec<RegistryRow>> {
    Ok(match reg {
        Registry::Offices => offices(conn)?.iter().map(RegistryRow::from).collect(),
        Registry::Carriers => carriers(conn)?.iter().map(RegistryRow::from).collect(),
    })
}

/// Registers an office or a carrier from the form; returns its code.
pub fn register_in(
    conn: &mut DbConnection,
    reg: Registry,
    actor: &UserId,
    form: &RegistryForm,
    at: NaiveDateTime,
) -> Result<String> {
    Ok(match reg {
        Registry::Offices => register::<Office>(conn, Some(actor), form, at)?.code,
        Registry::Carriers => register::<Carrier>(conn, Some(actor), form, at)?.code,
    })
}

pub fn update_in(
    conn: &mut DbConnection,
    reg: Registry,
    actor: &UserId,
    code: &str,
    form: &RegistryForm,
    at: NaiveDateTime,
) -> Result<()> {
    match reg {
        Registry::Offices => update::<Office>(conn, actor, code, form, at).map(drop),
        Registry::Carriers => update::<Carrier>(conn, actor, code, form, at).map(drop),
    }
}

pub fn set_suspended_in(
    conn: &mut DbConnection,
    reg: Registry,
    actor: &UserId,
    code: &str,
    suspend: bool,
    reason: &str,
    at: NaiveDateTime,
) -> Result<()> {
    match reg {
        Registry::Offices => set_suspended::<Office>(conn, actor, code, suspend, reason.trim(), at),
        Registry::Carriers => set_suspended::<Carrier>(conn, actor, code, suspend, reason.trim(), at),
    }
}

/// Puts the person with this e-mail address on the staff; they must hold the registry's role.
pub fn add_staff_by_email(
    conn: &mut DbConnection,
    reg: Registry,
    actor: &UserId,
    code: &str,
    email: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let user = crate::accounts::find_user_by_email(conn, email).map_err(|_| EcheckError::NotFound)?;
    let Some(user) = user.filter(|u| u.has_role(reg.staff_role())) else {
        let message = format!("No {} has this e-mail address.", reg.staff_role().label().to_lowercase());
        return Err(EcheckError::Invalid(FieldErrors::with("email", message)));
    };
    match reg {
        Registry::Offices => add_staff::<Office>(conn, Some(actor), code, &user.id, at),
        Registry::Carriers => add_staff::<Carrier>(conn, Some(actor), code, &user.id, at),
    }
}

pub fn remove_staff_in(
    conn: &mut DbConnection,
    reg: Registry,
    actor: &UserId,
    code: &str,
    user: &UserId,
    at: NaiveDateTime,
) -> Result<()> {
    match reg {
        Registry::Offices => remove_staff::<Office>(conn, actor, code, user, at),
        Registry::Carriers => remove_staff::<Carrier>(conn, actor, code, user, at),
    }
}

/// One office or carrier: its form, whether active, its staff and its history.
pub struct RegistryItem {
    pub form: RegistryForm,
    pub active: bool,
    pub staff: Vec<StaffRow>,
    pub history: Vec<RegistryEvent>,
}

pub fn registry_item(conn: &mut DbConnection, reg: Registry, code: &str) -> Result<RegistryItem> {
    let (form, active, id, staff) = match reg {
        Registry::Offices => {
            let o = office(conn, code)?;
            let staff = office_staff(conn, &o.id)?;
            (RegistryForm::of_office(&o), o.is_active(), o.id.to_string(), staff)
        }
        Registry::Carriers => {
            let k = carrier(conn, code)?;
            let staff = carrier_staff(conn, &k.id)?;
            (RegistryForm::of_carrier(&k), k.is_active(), k.id.to_string(), staff)
        }
    };
    let mut history = history_of(conn, &id)?;
    // Staff changes name the user by ID; the history shows who it was. Staff and history people
    // are looked up together, in one query.
    let mut people: Vec<UserId> = staff.clone();
    people.extend(history.iter().filter(|e| e.kind.starts_with("staff_")).filter_map(|e| e.detail.parse().ok()));
    let people = crate::accounts::users_of(conn, &people).map_err(|_| EcheckError::NotFound)?;
    let label =
        |id: &str| people.iter().find(|u| u.id.as_str() == id).map(|u| (u.personal.full_name.clone(), u.email.clone()));
    for event in history.iter_mut().filter(|e| e.kind.starts_with("staff_")) {
        if let Some((name, email)) = label(&event.detail) {
            event.detail = format!("{name} <{email}>");
        }
    }
    let staff = staff
        .iter()
        .filter_map(|id| label(id.as_str()).map(|(name, email)| StaffRow { id: id.to_string(), name, email }))
        .collect();
    Ok(RegistryItem { form, active, staff, history })
}
