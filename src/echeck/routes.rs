//! Handlers of the e-check pages: shoppers see their credit, salespeople the checks made out to
//! their office, administrators the books, the accounts and the registries. Each extracts, calls
//! the service, renders; no GET writes.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::model::*;
use super::rules;
use super::service::{self as echeck, CHECK_ID, Direction, EcheckError, Found, MoneyForm, Party, Registry};
use super::views::*;
use crate::accounts::UserId;
use crate::error::AppError;
use crate::web::attempts::AttemptLimiter;
use crate::web::attempts::client_of as client;
use crate::web::auth::{Authorized, roles};
use crate::web::forms::{FieldErrors, Rejection, ending};
use crate::web::idempotency::IdempotencyKey;
use crate::web::layout::{FormPage, Layout, Page};
use crate::web::pager::{PageNumber, Pager};
use crate::web::{State, flash, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/echeck", web::get().to(overview))
        .route("/sell/payments", web::get().to(sell_payments))
        .route("/sell/payments/validate", web::post().to(validate))
        .route("/sell/payments/{code}/demand", web::post().to(demand))
        .route("/sell/payments/{code}/void", web::post().to(void))
        .route("/admin/echeck", web::get().to(admin))
        .route("/admin/echeck/settings", web::post().to(change_settings))
        .route("/admin/echeck/find", web::get().to(find_account))
        .route("/admin/echeck/shoppers/{user}/open", web::post().to(open_account))
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

// ---- shoppers ----

async fn overview(
    state: State,
    user: Authorized<roles::Shopper>,
    page: Page,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    let (id, pager) = (user.user.id.clone(), number.of(echeck::STATEMENT_PAGE));
    let mut o = state.db.read(move |c| echeck::shopper_overview(c, &id, pager, echeck::now())).await?;
    o.statement = o.statement.found()?;
    render(&OverviewPage { l: page.l, o })
}

// ---- salespeople ----

type Seller = Authorized<roles::Salesperson>;
type Limiter = web::Data<AttemptLimiter>;

/// The payments page, with the validation form as typed and what checking it found.
async fn payments_page(
    state: &State,
    seller: &Seller,
    l: Layout,
    pager: Pager,
    form: ValidateForm,
    no: Rejection,
    verdict: Option<Result<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let (office, checks) = state.db.read(move |c| echeck::office_payments(c, &id, pager, echeck::now())).await?;
    let checks = checks.found()?;
    let status =
        if verdict.as_ref().is_some_and(Result::is_err) { StatusCode::UNPROCESSABLE_ENTITY } else { no.status() };
    render_status(status, &SellPaymentsPage { l, office, checks, form, errors: no.errors, verdict })
}

async fn sell_payments(
    state: State,
    seller: Seller,
    page: FormPage,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    let pager = number.of(echeck::CHECKS_PAGE);
    payments_page(&state, &seller, page.l, pager, ValidateForm::default(), Rejection::default(), None).await
}

/// Runs a step on a check typed by the seller: the attempt is counted against the seller's office
/// first (check IDs are short), and the step runs on the office found again in its transaction.
async fn on_check<T: Send + 'static>(
    state: &State,
    limiter: &Limiter,
    req: &HttpRequest,
    seller: &Seller,
    step: impl FnOnce(&mut crate::db::DbConnection, &Office) -> Result<T, EcheckError> + Send + 'static,
) -> Result<T, EcheckError> {
    let (who, again) = (seller.user.id.clone(), seller.user.id.clone());
    let limiter = limiter.clone().into_inner();
    let office_key = move |c: &mut crate::db::DbConnection| Ok(echeck::office_for(c, &who)?.id.to_string());
    limiter
        .guard(&state.db, CHECK_ID, client(req), office_key, move |c| {
            let office = echeck::office_for(c, &again)?;
            step(c, &office)
        })
        .await
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
    let first = Pager::first(echeck::CHECKS_PAGE);
    let (code, amount) = match rules::read_validation(&form.check, &form.amount, &state.config.currency) {
        Ok(typed) => typed,
        Err(errors) => {
            return payments_page(&state, &seller, page.l, first, form, Rejection::fields(errors), None).await;
        }
    };
    let c2 = code.clone();
    let checked = on_check(&state, &limiter, &req, &seller, move |c, office| {
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
    payments_page(&state, &seller, page.l, first, form, Rejection::default(), Some(verdict)).await
}

#[derive(serde::Deserialize)]
struct DemandForm {
    #[serde(default)]
    amount: String,
}

/// A step on a check of the list: done or refused, the list comes back with a message.
fn list_again(session: &Session, done: Result<String, EcheckError>, refused: &str) -> Result<HttpResponse, AppError> {
    match done {
        Ok(message) => flash::ok(session, &message),
        Err(EcheckError::Refused(r)) => flash::error(session, &format!("{refused}: {r}")),
        Err(EcheckError::Invalid(errors)) => {
            flash::error(session, &format!("{refused}: {}", errors.messages().join(" ")))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/sell/payments"))
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
    let asked = match form.amount.trim() {
        "" => None,
        typed => match rules::parse_amount(typed, &state.config.currency) {
            Ok(a) => Some(a),
            Err(e) => {
                return list_again(
                    &session,
                    Err(EcheckError::Invalid(FieldErrors::with("amount", e))),
                    "Payment not demanded",
                );
            }
        },
    };
    let (code, actor) = (path.into_inner(), seller.user.id.clone());
    let demanded = on_check(&state, &limiter, &req, &seller, move |c, office| {
        echeck::demand_payment(c, &code, &office.id, asked, Some(&actor), echeck::now())
    })
    .await
    .map(|check| format!("Check {} paid: {} credited to your office.", check.code, check.paid_text()));
    list_again(&session, demanded, "Payment not demanded")
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
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        flash::error(&session, "Give a reason for voiding the check; the buyer sees it.");
        return Ok(see_other("/sell/payments"));
    }
    let (code, actor) = (path.into_inner(), seller.user.id.clone());
    let voided = on_check(&state, &limiter, &req, &seller, move |c, office| {
        echeck::void(c, &code, Party::Office(&office.id), Some(&actor), &reason, echeck::now())
    })
    .await
    .map(|check| format!("Check {} voided; the buyer's credit is released.", check.code));
    list_again(&session, voided, "Not voided")
}

// ---- administrators ----

type Admin = Authorized<roles::Admin>;

#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
struct SettingsForm {
    default_credit_line: String,
    hold_hours: String,
}

async fn admin_page(
    state: &State,
    l: Layout,
    pager: Pager,
    typed: Option<SettingsForm>,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let status = no.status();
    let o = state.db.read(move |c| echeck::admin_overview(c, pager, echeck::now())).await?;
    let echeck::AdminOverview { books, settings, accounts } = o;
    let accounts = accounts.found()?;
    let typed = typed.unwrap_or_else(|| SettingsForm {
        default_credit_line: crate::money::to_input(settings.default_credit_line, &settings.currency),
        hold_hours: settings.hold_hours.to_string(),
    });
    let page = AdminPage {
        l,
        books,
        settings,
        line: typed.default_credit_line,
        hours: typed.hold_hours,
        errors: no.errors,
        accounts,
        find: String::new(),
    };
    render_status(status, &page)
}

async fn admin(state: State, _admin: Admin, page: FormPage, number: PageNumber) -> Result<HttpResponse, AppError> {
    admin_page(&state, page.l, number.of(echeck::ACCOUNTS_PAGE), None, Rejection::default()).await
}

async fn change_settings(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (f, actor) = (form.clone(), admin.user.id.clone());
    ending(
        state
            .db
            .write(move |c| echeck::change_settings(c, &actor, &f.default_credit_line, &f.hold_hours, echeck::now()))
            .await,
        async |()| {
            flash::ok(&session, "Settings saved. New shoppers get the new credit line; new checks the new hold time.");
            Ok(see_other("/admin/echeck"))
        },
        async |no| admin_page(&state, page.l, Pager::first(echeck::ACCOUNTS_PAGE), Some(form), no).await,
    )
    .await
}

#[derive(serde::Deserialize)]
struct FindQuery {
    #[serde(default)]
    email: String,
}

/// Finds a shopper's account by e-mail. A shopper who has not paid by e-check yet has none: the
/// page says so and offers to open it (a POST), so this GET changes nothing.
async fn find_account(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    query: web::Query<FindQuery>,
) -> Result<HttpResponse, AppError> {
    let email = query.email.clone();
    match state.db.read(move |c| echeck::find_shopper(c, &email)).await? {
        Found::Account(id) => Ok(see_other(&format!("/admin/echeck/accounts/{id}"))),
        Found::Unopened { user, name } => render(&UnopenedPage { l: page.l, user, name }),
        Found::Nobody => {
            flash::error(&session, "No shopper with this e-mail address.");
            Ok(see_other("/admin/echeck"))
        }
    }
}

async fn open_account(state: State, _admin: Admin, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user: UserId = path.parse().map_err(|_| AppError::NotFound)?;
    let account = state.db.write(move |c| echeck::open_shopper_account(c, &user, echeck::now())).await?;
    Ok(see_other(&format!("/admin/echeck/accounts/{}", account.id)))
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

/// The forms of an account's page as they come back: the credit line, the deposit and the
/// withdrawal (each with a new idempotency key unless it comes back itself).
#[derive(Default)]
struct AccountForms {
    line: Option<String>,
    deposit: Option<MoneyForm>,
    withdrawal: Option<MoneyForm>,
}

fn fresh_money() -> MoneyForm {
    MoneyForm { key: IdempotencyKey::new().to_string(), ..MoneyForm::default() }
}

async fn account_page(
    state: &State,
    l: Layout,
    id: LedgerAccountId,
    pager: Pager,
    forms: AccountForms,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let status = no.status();
    let record = state.db.read(move |c| echeck::account_record(c, &id, pager, echeck::now())).await?;
    let echeck::AccountRecord { row, statement } = record;
    let line = forms.line.unwrap_or_else(|| crate::money::to_input(row.account.credit_line, &row.account.currency));
    let page = AdminAccountPage {
        l,
        row,
        statement: statement.found()?,
        line,
        deposit: forms.deposit.unwrap_or_else(fresh_money),
        withdrawal: forms.withdrawal.unwrap_or_else(fresh_money),
        errors: no.errors,
    };
    render_status(status, &page)
}

async fn admin_account(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    number: PageNumber,
) -> Result<HttpResponse, AppError> {
    let pager = number.of(echeck::STATEMENT_PAGE);
    account_page(&state, page.l, account_id(&path)?, pager, AccountForms::default(), Rejection::default()).await
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
    let (id, typed) = (account_id(&path)?, form.into_inner().credit_line);
    let (target, t, actor) = (id.clone(), typed.clone(), admin.user.id.clone());
    ending(
        state.db.write(move |c| echeck::change_credit_line(c, &target, &t, &actor, echeck::now())).await,
        async |()| {
            flash::ok(&session, "Credit line set.");
            Ok(see_other(&format!("/admin/echeck/accounts/{id}")))
        },
        async |no| {
            let forms = AccountForms { line: Some(typed), ..AccountForms::default() };
            account_page(&state, page.l, id.clone(), Pager::first(echeck::STATEMENT_PAGE), forms, no).await
        },
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MovementForm {
    deposit_amount: String,
    deposit_reason: String,
    withdrawal_amount: String,
    withdrawal_reason: String,
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
    let (direction, typed) = match movement.as_str() {
        "deposit" => (Direction::Deposit, MoneyForm { amount: f.deposit_amount, reason: f.deposit_reason, key: f.key }),
        "withdraw" => {
            (Direction::Withdrawal, MoneyForm { amount: f.withdrawal_amount, reason: f.withdrawal_reason, key: f.key })
        }
        _ => return Err(AppError::NotFound),
    };
    let (target, t, actor) = (id.clone(), typed.clone(), admin.user.id.clone());
    ending(
        state.db.write(move |c| echeck::record_movement(c, &target, direction, &t, &actor, echeck::now())).await,
        async |transfer| {
            let what = if direction == Direction::Deposit { "Deposit" } else { "Withdrawal" };
            let amount = crate::money::format(transfer.amount, &state.config.currency);
            flash::ok(&session, &format!("{what} of {amount} recorded."));
            Ok(see_other(&format!("/admin/echeck/accounts/{id}")))
        },
        async |no| {
            let forms = match direction {
                Direction::Deposit => AccountForms { deposit: Some(typed), ..AccountForms::default() },
                Direction::Withdrawal => AccountForms { withdrawal: Some(typed), ..AccountForms::default() },
            };
            account_page(&state, page.l, id.clone(), Pager::first(echeck::STATEMENT_PAGE), forms, no).await
        },
    )
    .await
}

// ---- registries ----

fn registry(name: &str) -> Result<Registry, AppError> {
    Registry::named(name).ok_or(AppError::NotFound)
}

async fn registry_page(
    state: &State,
    l: Layout,
    reg: Registry,
    form: RegistryForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let rows = state.db.read(move |c| echeck::registry_rows(c, reg)).await?;
    render_status(no.status(), &RegistryPage { l, registry: reg, rows, form, errors: no.errors })
}

async fn registry_list(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    registry_page(&state, page.l, registry(&path)?, RegistryForm::default(), Rejection::default()).await
}

async fn registry_register(
    state: State,
    session: Session,
    admin: Admin,
    page: FormPage,
    path: web::Path<String>,
    form: web::Form<RegistryForm>,
) -> Result<HttpResponse, AppError> {
    let (reg, form) = (registry(&path)?, form.into_inner());
    let (f, actor) = (form.clone(), admin.user.id.clone());
    ending(
        state.db.write(move |c| echeck::register_in(c, reg, &actor, &f, echeck::now())).await,
        async |code| {
            flash::ok(&session, &format!("{code} is registered."));
            Ok(see_other(&format!("{}/{code}", reg.path())))
        },
        async |no| registry_page(&state, page.l, reg, form, no).await,
    )
    .await
}

/// One office's or carrier's page, with a form as typed (`typed`) and the staff e-mail typed.
async fn item_page(
    state: &State,
    l: Layout,
    reg: Registry,
    code: String,
    (typed, staff_email): (Option<RegistryForm>, String),
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let status = no.status();
    let item = state.db.read(move |c| echeck::registry_item(c, reg, &code)).await?;
    let page = RegistryItemPage {
        l,
        registry: reg,
        code: item.form.code.clone(),
        active: item.active,
        form: typed.unwrap_or(item.form),
        errors: no.errors,
        staff: item.staff,
        staff_email,
        history: item.history,
    };
    render_status(status, &page)
}

async fn registry_item(
    state: State,
    _admin: Admin,
    page: FormPage,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (reg, code) = path.into_inner();
    item_page(&state, page.l, registry(&reg)?, code, (None, String::new()), Rejection::default()).await
}

fn item_path(reg: Registry, code: &str) -> String {
    format!("{}/{}", reg.path(), code.to_uppercase())
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
    let (reg, form) = (registry(&reg)?, form.into_inner());
    let (f, c2, actor) = (form.clone(), code.clone(), admin.user.id.clone());
    ending(
        state.db.write(move |c| echeck::update_in(c, reg, &actor, &c2, &f, echeck::now())).await,
        async |()| {
            flash::ok(&session, "Saved.");
            Ok(see_other(&item_path(reg, &code)))
        },
        async |no| item_page(&state, page.l, reg, code.clone(), (Some(form), String::new()), no).await,
    )
    .await
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
    state.db.write(move |c| echeck::set_suspended_in(c, reg, &actor, &c2, suspend, &reason, echeck::now())).await?;
    flash::ok(&session, if suspend { "Suspended: it is named in no new check." } else { "Reinstated." });
    Ok(see_other(&item_path(reg, &code)))
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
    let (reg, email) = (registry(&reg)?, form.into_inner().email);
    let (e2, c2, actor) = (email.clone(), code.clone(), admin.user.id.clone());
    ending(
        state.db.write(move |c| echeck::add_staff_by_email(c, reg, &actor, &c2, &e2, echeck::now())).await,
        async |()| {
            flash::ok(&session, "Added to the staff.");
            Ok(see_other(&item_path(reg, &code)))
        },
        async |no| item_page(&state, page.l, reg, code.clone(), (None, email), no).await,
    )
    .await
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
    state.db.write(move |c| echeck::remove_staff_in(c, reg, &actor, &c2, &user, echeck::now())).await?;
    flash::ok(&session, "Removed from the staff.");
    Ok(see_other(&item_path(reg, &code)))
}
