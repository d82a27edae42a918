//! Handlers of the e-check pages: shoppers see their credit, salespeople the checks made out to
//! their office, administrators the books, the accounts and the registries.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::model::*;
use super::rules;
use super::service::{self as echeck, CHECK_ID, EcheckError, Party};
use super::views::*;
use crate::accounts::{self, UserId};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::web::attempts::AttemptLimiter;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::FieldErrors;
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Page};
use crate::web::pager::{PageNumber, Paged, Pager};
use crate::web::{State, flash, form_status, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/echeck", web::get().to(overview))
        .route("/sell/payments", web::get().to(sell_payments))
        .route("/sell/payments/validate", web::post().to(validate))
        .route("/sell/payments/{code}/demand", web::post().to(demand))
        .route("/sell/payments/{code}/void", web::post().to(void))
        .route("/admin/echeck", web::get().to(admin))
        .route("/admin/echeck/settings", web::post().to(change_settings))
        .route("/admin/echeck/find", web::get().to(find_account))
        .route("/admin/echeck/ledger", web::get().to(ledger))
        .route("/admin/echeck/accounts/{id}", web::get().to(admin_account))
        .route("/admin/echeck/accounts/{id}/credit-line", web::post().to(set_credit_line))
        .route("/admin/echeck/accounts/{id}/{movement}", web::post().to(move_money))
        .route("/admin/echeck/{registry}", web::get().to(registry_list))
        .route("/admin/echeck/{registry}", web::post().to(registry_register))
        .route("/admin/echeck/{registry}/{code}", web::get().to(registry_item))
        .route("/admin/echeck/{registry}/{code}", web::post().to(registry_update))
        .route("/admin/echeck/{registry}/{code}/staff", web::post().to(registry_add_staff))
        .route("/admin/echeck/{registry}/{code}/{action}", web::post().to(set_suspended))
        .route("/admin/echeck/{registry}/{code}/staff/{user}/remove", web::post().to(registry_remove_staff));
}

impl From<EcheckError> for AppError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::NotFound => AppError::NotFound,
            EcheckError::Refused(r) => AppError::BadRequest(r.to_string()),
            EcheckError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            EcheckError::TooMany(wait) => AppError::TooManyRequests(wait),
            EcheckError::Db(e) => e.into(),
        }
    }
}

// ---- shoppers ----

async fn overview(
    state: State,
    user: Authorized<roles::Shopper>,
    page: Page,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    let pager = number.of(echeck::STATEMENT_PAGE);
    let id = user.user.id.clone();
    let account = match state.db.read(move |c| echeck::shopper_account(c, &id)).await? {
        Some(account) => account,
        None => {
            let id = user.user.id.clone();
            state.db.write(move |c| echeck::open_shopper_account(c, &id, echeck::now())).await?
        }
    };
    let mut o = state.db.read(move |c| echeck::overview(c, account, pager, echeck::now())).await?;
    o.statement = o.statement.found()?;
    render(&OverviewPage { l: page.l, o })
}

// ---- salespeople ----

type Seller = Authorized<roles::Salesperson>;
type Limiter = web::Data<AttemptLimiter>;

async fn payments_page(
    state: &State,
    seller: &Seller,
    l: crate::web::layout::Layout,
    pager: Pager,
    form: ValidateForm,
    errors: FieldErrors,
    verdict: Option<Result<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (office, checks) = state
        .db
        .read(move |c| {
            let Some(office) = echeck::office_of(c, &id)? else {
                return Ok::<_, EcheckError>((None, pager.split(Vec::new())));
            };
            let checks = echeck::office_checks(c, &office.id, pager, echeck::now())?;
            Ok((Some(office), checks))
        })
        .await?;
    let checks = checks.found()?;
    let status = if verdict.as_ref().is_some_and(Result::is_err) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        form_status(&errors)
    };
    render_status(status, &SellPaymentsPage { l, office, checks, form, errors, verdict })
}

async fn sell_payments(
    state: State,
    seller: Seller,
    page: FormPage,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    let pager = number.of(echeck::CHECKS_PAGE);
    payments_page(&state, &seller, page.l, pager, ValidateForm::default(), FieldErrors::new(), None).await
}

/// The seller's office, or a 403 page saying why there is none.
async fn office_of(state: &State, seller: &Seller) -> Result<Office, AppError> {
    let id = seller.user.id.clone();
    state.db.read(move |c| echeck::office_of(c, &id)).await?.ok_or_else(|| {
        AppError::BadRequest("You are not on the staff of a selling office; ask an administrator to add you.".into())
    })
}

/// The client's address, as the attempt limiter counts it.
fn client(req: &HttpRequest) -> Option<std::net::IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

async fn validate(
    state: State,
    limiter: Limiter,
    req: HttpRequest,
    seller: Seller,
    page: FormPage,
    form: web::Form<ValidateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    let code = rules::normalize_check_code(&form.check);
    if code.is_none() {
        errors.add("check", "A check ID has twelve letters and digits, like 7QK2-MX9P-4TZR.");
    }
    let amount = rules::parse_amount(&form.amount, &state.config.currency).map_err(|e| errors.add("amount", e)).ok();
    let (Some(code), Some(amount)) = (code, amount) else {
        return payments_page(&state, &seller, page.l, Pager::first(echeck::CHECKS_PAGE), form, errors, None).await;
    };
    let office = office_of(&state, &seller).await?;
    let c2 = code.clone();
    let checked = limiter
        .guard(&state.db, CHECK_ID, office.id.to_string(), client(&req), move |c| {
            echeck::validate(c, &c2, &office.id, amount, echeck::now())
        })
        .await;
    let verdict = match checked {
        Ok(check) => Ok(format!(
            "Check {} is genuine and open: {} for {}, held until {}. You may ship.",
            check.code,
            check.amount_text(),
            check.reference,
            when(check.expires_at)
        )),
        Err(EcheckError::Refused(r)) => Err(format!("Check {code}: {r}")),
        Err(e) => return Err(e.into()),
    };
    payments_page(&state, &seller, page.l, Pager::first(echeck::CHECKS_PAGE), form, errors, Some(verdict)).await
}

#[derive(serde::Deserialize)]
struct DemandForm {
    #[serde(default)]
    amount: String,
}

async fn demand(
    state: State,
    limiter: Limiter,
    req: HttpRequest,
    session: Session,
    seller: Seller,
    path: web::Path<String>,
    form: web::Form<DemandForm>,
) -> Result<HttpResponse, AppError> {
    let office = office_of(&state, &seller).await?;
    let asked = match form.amount.trim() {
        "" => None,
        typed => match rules::parse_amount(typed, &state.config.currency) {
            Ok(a) => Some(a),
            Err(e) => {
                flash::error(&session, &format!("Payment not demanded: {e}"));
                return Ok(see_other("/sell/payments"));
            }
        },
    };
    let (code, actor, target) = (path.into_inner(), seller.user.id.clone(), office.id.to_string());
    let demanded = limiter
        .guard(&state.db, CHECK_ID, target, client(&req), move |c| {
            echeck::demand_payment(c, &code, &office.id, asked, Some(&actor), echeck::now())
        })
        .await;
    match demanded {
        Ok(check) => {
            flash::ok(&session, &format!("Check {} paid: {} credited to your office.", check.code, check.paid_text()))
        }
        Err(EcheckError::Refused(r)) => flash::error(&session, &format!("Payment not demanded: {r}")),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/sell/payments"))
}

#[derive(serde::Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn void(
    state: State,
    limiter: Limiter,
    req: HttpRequest,
    session: Session,
    seller: Seller,
    path: web::Path<String>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let office = office_of(&state, &seller).await?;
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        flash::error(&session, "Give a reason for voiding the check; the buyer sees it.");
        return Ok(see_other("/sell/payments"));
    }
    let (code, actor, target) = (path.into_inner(), seller.user.id.clone(), office.id.to_string());
    let result = limiter
        .guard(&state.db, CHECK_ID, target, client(&req), move |c| {
            echeck::void(c, &code, Party::Office(&office.id), Some(&actor), &reason, echeck::now())
        })
        .await;
    match result {
        Ok(check) => flash::ok(&session, &format!("Check {} voided; the buyer's credit is released.", check.code)),
        Err(EcheckError::Refused(r)) => flash::error(&session, &format!("Not voided: {r}")),
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/sell/payments"))
}

// ---- administrators ----

type Admin = Authorized<roles::Admin>;

/// Who owns an account, as the administrators read it.
fn owner_label(c: &mut DbConnection, account: &LedgerAccount) -> Result<String, EcheckError> {
    Ok(match account.kind {
        AccountKind::Shopper => match account.owner_key.parse::<UserId>().ok() {
            Some(id) => match accounts::find_user(c, &id).map_err(|_| EcheckError::NotFound)? {
                Some(u) => format!("{} <{}>", u.personal.full_name, u.email),
                None => "a deleted user".into(),
            },
            None => account.owner_key.clone(),
        },
        AccountKind::Office => echeck::office_owning(c, account)?.map(|o| o.name).unwrap_or_default(),
        AccountKind::Platform => "The platform".into(),
        AccountKind::Bank => "The bank (money in and out)".into(),
        AccountKind::PrepaidCard => format!("Prepaid card {}", account.owner_key),
        AccountKind::BuybackCenter => format!("Buy-back center {}", account.owner_key),
    })
}

async fn admin_page(
    state: &State,
    l: crate::web::layout::Layout,
    pager: Pager,
    form: Option<(String, String, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    let (books, settings, accounts) = state
        .db
        .read(move |c| {
            let accounts = echeck::accounts_page(c, pager)?;
            let rows = accounts
                .rows
                .into_iter()
                .map(|account| {
                    let lapsed = echeck::lapsed_held(c, &account.id, echeck::now())?;
                    Ok(AccountRow { owner: owner_label(c, &account)?, lapsed, account })
                })
                .collect::<Result<Vec<_>, EcheckError>>()?;
            let rows = Paged { rows, number: accounts.number, has_next: accounts.has_next };
            Ok::<_, EcheckError>((echeck::books(c)?, echeck::settings(c)?, rows))
        })
        .await?;
    let accounts = accounts.found()?;
    let (line, hours, errors) = form.unwrap_or_else(|| {
        (
            crate::money::to_input(settings.default_credit_line, &settings.currency),
            settings.hold_hours.to_string(),
            FieldErrors::new(),
        )
    });
    let status = form_status(&errors);
    render_status(status, &AdminPage { l, books, settings, line, hours, errors, accounts, find: String::new() })
}

async fn admin(state: State, _admin: Admin, page: FormPage, number: PageNumber) -> Result<HttpResponse, AppError> {
    admin_page(&state, page.l, number.of(echeck::ACCOUNTS_PAGE), None).await
}

#[derive(serde::Deserialize)]
struct SettingsForm {
    #[serde(default)]
    default_credit_line: String,
    #[serde(default)]
    hold_hours: String,
}

async fn change_settings(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (line, hours, actor) = (form.default_credit_line.clone(), form.hold_hours.clone(), admin.user.id.clone());
    match state.db.write(move |c| echeck::change_settings(c, &actor, &line, &hours, echeck::now())).await {
        Ok(()) => {
            flash::ok(&session, "Settings saved. New shoppers get the new credit line; new checks the new hold time.");
            Ok(see_other("/admin/echeck"))
        }
        Err(EcheckError::Invalid(errors)) => {
            let first = Pager::first(echeck::ACCOUNTS_PAGE);
            admin_page(&state, page.l, first, Some((form.default_credit_line, form.hold_hours, errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct FindQuery {
    #[serde(default)]
    email: String,
}

async fn find_account(
    state: State,
    session: Session,
    _admin: Admin,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, AppError> {
    let email = query.email.clone();
    let found = state
        .db
        .write(move |c| {
            let user = accounts::find_user_by_email(c, &email).map_err(|_| EcheckError::NotFound)?;
            match user {
                Some(u) if u.has_role(accounts::Role::Shopper) => {
                    Ok::<_, EcheckError>(Some(echeck::open_shopper_account(c, &u.id, echeck::now())?))
                }
                _ => Ok(None),
            }
        })
        .await?;
    match found {
        Some(account) => Ok(see_other(&format!("/admin/echeck/accounts/{}", account.id))),
        None => {
            flash::error(&session, "No shopper with this e-mail address.");
            Ok(see_other("/admin/echeck"))
        }
    }
}

async fn ledger(state: State, _admin: Admin, page: Page, number: PageNumber) -> Result<HttpResponse, AppError> {
    let pager = number.of(echeck::ACCOUNTS_PAGE);
    let (transfers, currency) = state
        .db
        .read(move |c| Ok::<_, EcheckError>((echeck::ledger_page(c, pager)?, echeck::settings(c)?.currency)))
        .await?;
    render(&LedgerPage { l: page.l, transfers: transfers.found()?, currency })
}

fn account_id(path: &str) -> Result<LedgerAccountId, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

struct AccountForms {
    line: Option<String>,
    deposit: MoneyForm,
    withdrawal: MoneyForm,
    errors: FieldErrors,
}

impl AccountForms {
    fn fresh() -> Self {
        Self {
            line: None,
            deposit: MoneyForm { key: new_key(), ..MoneyForm::default() },
            withdrawal: MoneyForm { key: new_key(), ..MoneyForm::default() },
            errors: FieldErrors::new(),
        }
    }
}

async fn account_page(
    state: &State,
    l: crate::web::layout::Layout,
    id: LedgerAccountId,
    pager: Pager,
    forms: AccountForms,
) -> Result<HttpResponse, AppError> {
    let (account, owner, lapsed, statement) = state
        .db
        .read(move |c| {
            let account = echeck::account(c, &id)?;
            let owner = owner_label(c, &account)?;
            let lapsed = echeck::lapsed_held(c, &account.id, echeck::now())?;
            let statement = echeck::statement(c, &account.id, pager)?;
            Ok::<_, EcheckError>((account, owner, lapsed, statement))
        })
        .await?;
    let statement = statement.found()?;
    let line = forms.line.unwrap_or_else(|| crate::money::to_input(account.credit_line, &account.currency));
    let status = form_status(&forms.errors);
    render_status(
        status,
        &AdminAccountPage {
            l,
            account,
            owner,
            lapsed,
            statement,
            line,
            deposit: forms.deposit,
            withdrawal: forms.withdrawal,
            errors: forms.errors,
        },
    )
}

async fn admin_account(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    account_page(&state, page.l, account_id(&path)?, number.of(echeck::STATEMENT_PAGE), AccountForms::fresh()).await
}

#[derive(serde::Deserialize)]
struct CreditLineForm {
    #[serde(default)]
    credit_line: String,
}

async fn set_credit_line(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<CreditLineForm>,
) -> Result<HttpResponse, AppError> {
    let id = account_id(&path)?;
    let typed = form.into_inner().credit_line;
    let refused = |message: String| AccountForms {
        line: Some(typed.clone()),
        errors: FieldErrors::with("credit_line", message),
        ..AccountForms::fresh()
    };
    let line = match rules::parse_credit_line(&typed, &state.config.currency) {
        Ok(line) => line,
        Err(e) => return account_page(&state, page.l, id, Pager::first(echeck::STATEMENT_PAGE), refused(e)).await,
    };
    let (target, actor) = (id.clone(), admin.user.id.clone());
    match state.db.write(move |c| echeck::set_credit_line(c, &target, line, &actor, echeck::now())).await {
        Ok(()) => {
            flash::ok(&session, "Credit line set.");
            Ok(see_other(&format!("/admin/echeck/accounts/{id}")))
        }
        Err(EcheckError::Refused(r)) => {
            account_page(&state, page.l, id, Pager::first(echeck::STATEMENT_PAGE), refused(r.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct MovementForm {
    #[serde(default)]
    deposit_amount: String,
    #[serde(default)]
    deposit_reason: String,
    #[serde(default)]
    withdrawal_amount: String,
    #[serde(default)]
    withdrawal_reason: String,
    #[serde(default)]
    key: String,
}

/// A deposit (`/deposit`) or a withdrawal (`/withdraw`) recorded on an account.
async fn move_money(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<MovementForm>,
) -> Result<HttpResponse, AppError> {
    let (id, movement) = path.into_inner();
    let id = account_id(&id)?;
    let f = form.into_inner();
    let (is_deposit, typed) = match movement.as_str() {
        "deposit" => (true, MoneyForm { amount: f.deposit_amount, reason: f.deposit_reason, key: f.key }),
        "withdraw" => (false, MoneyForm { amount: f.withdrawal_amount, reason: f.withdrawal_reason, key: f.key }),
        _ => return Err(AppError::NotFound),
    };
    let prefix = if is_deposit { "deposit" } else { "withdrawal" };
    let mut errors = FieldErrors::new();
    let currency = &state.config.currency;
    let amount =
        rules::parse_amount(&typed.amount, currency).map_err(|e| errors.add(&format!("{prefix}_amount"), e)).ok();
    let reason = typed.reason.trim().to_owned();
    if reason.is_empty() {
        errors.add(&format!("{prefix}_reason"), "Say what this is, e.g. \"bank transfer of 3 May\".");
    } else if reason.chars().count() > 200 {
        errors.add(&format!("{prefix}_reason"), "At most 200 characters.");
    }
    let key = if typed.key.len() == 32 { typed.key.clone() } else { new_key() };
    let comes_back = |errors: FieldErrors| {
        let mut forms = AccountForms { errors, ..AccountForms::fresh() };
        let again = MoneyForm { key: key.clone(), ..typed.clone() };
        if is_deposit {
            forms.deposit = again
        } else {
            forms.withdrawal = again
        }
        forms
    };
    let Some(amount) = amount.filter(|_| errors.is_empty()) else {
        return account_page(&state, page.l, id, Pager::first(echeck::STATEMENT_PAGE), comes_back(errors)).await;
    };
    let m =
        echeck::Movement { account: id.clone(), amount, reason, key: IdempotencyKey::parse(&key).unwrap_or_default() };
    let actor = admin.user.id.clone();
    let result = state
        .db
        .write(move |c| {
            if is_deposit {
                echeck::deposit(c, &m, Some(&actor), echeck::now())
            } else {
                echeck::withdraw(c, &m, Some(&actor), echeck::now())
            }
        })
        .await;
    match result {
        Ok(t) => {
            let what = if is_deposit { "Deposit" } else { "Withdrawal" };
            flash::ok(
                &session,
                &format!("{what} of {} recorded.", crate::money::format(t.amount, &state.config.currency)),
            );
            Ok(see_other(&format!("/admin/echeck/accounts/{id}")))
        }
        Err(EcheckError::Refused(r)) => {
            account_page(
                &state,
                page.l,
                id,
                Pager::first(echeck::STATEMENT_PAGE),
                comes_back(FieldErrors::with(&format!("{prefix}_amount"), r.to_string())),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- registries ----

fn registry(name: &str) -> Result<Registry, AppError> {
    match name {
        "offices" => Ok(Registry::Offices),
        "carriers" => Ok(Registry::Carriers),
        _ => Err(AppError::NotFound),
    }
}

fn registry_rows(c: &mut DbConnection, reg: Registry) -> Result<Vec<RegistryRow>, EcheckError> {
    Ok(match reg {
        Registry::Offices => echeck::offices(c)?.iter().map(RegistryRow::from).collect(),
        Registry::Carriers => echeck::carriers(c)?.iter().map(RegistryRow::from).collect(),
    })
}

async fn registry_list(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let reg = registry(&path)?;
    let rows = state.db.read(move |c| registry_rows(c, reg)).await?;
    render(&RegistryPage { l: page.l, registry: reg, rows, form: RegistryForm::default(), errors: FieldErrors::new() })
}

async fn registry_register(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<RegistryForm>,
) -> Result<HttpResponse, AppError> {
    let reg = registry(&path)?;
    let form = form.into_inner();
    let (f, actor) = (form.clone(), admin.user.id.clone());
    let result = state
        .db
        .write(move |c| match reg {
            Registry::Offices => echeck::register::<Office>(c, Some(&actor), &f, echeck::now()).map(|o| o.code),
            Registry::Carriers => echeck::register::<Carrier>(c, Some(&actor), &f, echeck::now()).map(|o| o.code),
        })
        .await;
    match result {
        Ok(code) => {
            flash::ok(&session, &format!("{code} is registered."));
            Ok(see_other(&format!("{}/{code}", reg.path())))
        }
        Err(EcheckError::Invalid(errors)) => {
            let rows = state.db.read(move |c| registry_rows(c, reg)).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegistryPage { l: page.l, registry: reg, rows, form, errors },
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// One office or carrier: its form, whether active, its staff and its history.
struct Item {
    form: RegistryForm,
    active: bool,
    staff: Vec<StaffRow>,
    history: Vec<RegistryEvent>,
}

fn load_item(c: &mut DbConnection, reg: Registry, code: &str) -> Result<Item, EcheckError> {
    let (form, active, id, staff) = match reg {
        Registry::Offices => {
            let o = echeck::office(c, code)?;
            let staff = echeck::office_staff(c, &o.id)?;
            (RegistryForm::of_office(&o), o.is_active(), o.id.to_string(), staff)
        }
        Registry::Carriers => {
            let k = echeck::carrier(c, code)?;
            let staff = echeck::carrier_staff(c, &k.id)?;
            (RegistryForm::of_carrier(&k), k.is_active(), k.id.to_string(), staff)
        }
    };
    let mut rows = Vec::new();
    for user in staff {
        if let Some(u) = accounts::find_user(c, &user).map_err(|_| EcheckError::NotFound)? {
            rows.push(StaffRow { id: u.id.to_string(), name: u.personal.full_name.clone(), email: u.email.clone() });
        }
    }
    // Staff changes name the user by ID; the history shows who it was.
    let mut history = echeck::history_of(c, &id)?;
    for event in history.iter_mut().filter(|e| e.kind.starts_with("staff_")) {
        if let Some(u) = event.detail.parse().ok().and_then(|uid| accounts::find_user(c, &uid).ok().flatten()) {
            event.detail = format!("{} <{}>", u.personal.full_name, u.email);
        }
    }
    Ok(Item { form, active, staff: rows, history })
}

async fn item_page(
    state: &State,
    l: crate::web::layout::Layout,
    reg: Registry,
    code: String,
    typed: Option<RegistryForm>,
    staff_email: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let c2 = code.clone();
    let item = state.db.read(move |c| load_item(c, reg, &c2)).await?;
    let status = form_status(&errors);
    render_status(
        status,
        &RegistryItemPage {
            l,
            registry: reg,
            code: item.form.code.clone(),
            active: item.active,
            form: typed.unwrap_or(item.form),
            errors,
            staff: item.staff,
            staff_email,
            history: item.history,
        },
    )
}

async fn registry_item(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reg, code) = path.into_inner();
    item_page(&state, page.l, registry(&reg)?, code, None, String::new(), FieldErrors::new()).await
}

async fn registry_update(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<RegistryForm>,
) -> Result<HttpResponse, AppError> {
    let (reg, code) = path.into_inner();
    let reg = registry(&reg)?;
    let form = form.into_inner();
    let (f, c2, actor) = (form.clone(), code.clone(), admin.user.id.clone());
    let result = state
        .db
        .write(move |c| match reg {
            Registry::Offices => echeck::update::<Office>(c, &actor, &c2, &f, echeck::now()).map(drop),
            Registry::Carriers => echeck::update::<Carrier>(c, &actor, &c2, &f, echeck::now()).map(drop),
        })
        .await;
    match result {
        Ok(()) => {
            flash::ok(&session, "Saved.");
            Ok(see_other(&format!("{}/{}", reg.path(), code.to_uppercase())))
        }
        Err(EcheckError::Invalid(errors)) => {
            item_page(&state, page.l, reg, code, Some(form), String::new(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `/suspend` or `/reinstate` a selling office or carrier.
async fn set_suspended(
    state: State,
    session: Session,
    admin: Admin,
    path: web::Path<(String, String, String)>,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, AppError> {
    let (reg, code, action) = path.into_inner();
    let suspend = match action.as_str() {
        "suspend" => true,
        "reinstate" => false,
        _ => return Err(AppError::NotFound),
    };
    let reg = registry(&reg)?;
    let (c2, actor, reason) = (code.clone(), admin.user.id.clone(), form.into_inner().reason);
    state
        .db
        .write(move |c| match reg {
            Registry::Offices => echeck::set_suspended::<Office>(c, &actor, &c2, suspend, reason.trim(), echeck::now()),
            Registry::Carriers => {
                echeck::set_suspended::<Carrier>(c, &actor, &c2, suspend, reason.trim(), echeck::now())
            }
        })
        .await?;
    flash::ok(&session, if suspend { "Suspended: it is named in no new check." } else { "Reinstated." });
    Ok(see_other(&format!("{}/{}", reg.path(), code.to_uppercase())))
}

#[derive(serde::Deserialize)]
struct StaffForm {
    #[serde(default)]
    email: String,
}

async fn registry_add_staff(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<StaffForm>,
) -> Result<HttpResponse, AppError> {
    let (reg, code) = path.into_inner();
    let reg = registry(&reg)?;
    let email = form.into_inner().email;
    let (e2, c2, actor) = (email.clone(), code.clone(), admin.user.id.clone());
    let added = state
        .db
        .write(move |c| {
            let user = accounts::find_user_by_email(c, &e2).map_err(|_| EcheckError::NotFound)?;
            let Some(user) = user.filter(|u| u.has_role(reg.staff_role())) else { return Ok(false) };
            match reg {
                Registry::Offices => echeck::add_staff::<Office>(c, Some(&actor), &c2, &user.id, echeck::now())?,
                Registry::Carriers => echeck::add_staff::<Carrier>(c, Some(&actor), &c2, &user.id, echeck::now())?,
            }
            Ok::<_, EcheckError>(true)
        })
        .await?;
    if !added {
        let message = format!("No {} has this e-mail address.", reg.staff_role().label().to_lowercase());
        return item_page(&state, page.l, reg, code, None, email, FieldErrors::with("email", message)).await;
    }
    flash::ok(&session, "Added to the staff.");
    Ok(see_other(&format!("{}/{}", reg.path(), code.to_uppercase())))
}

async fn registry_remove_staff(
    state: State,
    session: Session,
    admin: Admin,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reg, code, user) = path.into_inner();
    let reg = registry(&reg)?;
    let user: UserId = user.parse().map_err(|_| AppError::NotFound)?;
    let (c2, actor) = (code.clone(), admin.user.id.clone());
    state
        .db
        .write(move |c| match reg {
            Registry::Offices => echeck::remove_staff::<Office>(c, &actor, &c2, &user, echeck::now()),
            Registry::Carriers => echeck::remove_staff::<Carrier>(c, &actor, &c2, &user, echeck::now()),
        })
        .await?;
    flash::ok(&session, "Removed from the staff.");
    Ok(see_other(&format!("{}/{}", reg.path(), code.to_uppercase())))
}
