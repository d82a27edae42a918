//! Handlers of the cart, checkout and order pages for shoppers, salespeople, makers, carriers
//! and administrators.

use std::sync::Arc;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::model::*;
use super::rules::{OrderState, Refusal};
use super::service::{self as orders, CartEdit, CheckoutForm, OrderError, Who};
use super::views::*;
use crate::accounts::{AfterLogin, UserId};
use crate::db::Db;
use crate::echeck::{self, Carrier};
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::flash::Flash;
use crate::web::forms::FieldErrors;
use crate::web::layout::{FormPage, Layout, Page};
use crate::web::pager::PageNumber;
use crate::web::{State, flash, form_status, render, render_status, see_other};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cart", web::get().to(cart))
        .route("/cart/add", web::get().to(add_form))
        .route("/cart/add", web::post().to(add))
        .route("/cart/{code}/quantity", web::post().to(change_quantity))
        .route("/cart/{code}/remove", web::post().to(remove))
        .route("/checkout", web::get().to(checkout_form))
        .route("/checkout", web::post().to(checkout))
        .route("/orders", web::get().to(my_orders))
        .route("/orders/{number}", web::get().to(my_order))
        .route("/orders/{number}/cancel", web::post().to(buyer_cancel))
        .route("/sell/orders", web::get().to(sell_orders))
        .route("/sell/orders/{number}", web::get().to(sell_order))
        .route("/sell/orders/{number}/{action}", web::post().to(sell_action))
        .route("/maker/approvals", web::get().to(approvals))
        .route("/maker/approvals/{number}/{decision}", web::post().to(decide))
        .route("/carrier/shipments", web::get().to(shipments))
        .route("/carrier/shipments/{number}/delivered", web::post().to(delivered))
        .route("/admin/makers", web::get().to(makers))
        .route("/admin/makers", web::post().to(set_maker))
        .route("/admin/makers/staff", web::post().to(add_maker_staff))
        .route("/admin/makers/staff/{user}/remove", web::post().to(remove_maker_staff));
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotFound => AppError::NotFound,
            OrderError::Refused(r) => AppError::BadRequest(r.to_string()),
            OrderError::Invalid(_) => AppError::BadRequest("The form has mistakes.".into()),
            OrderError::Session(e) => AppError::Internal(anyhow::anyhow!("session: {e}")),
            OrderError::Db(e) => e.into(),
        }
    }
}

/// The status of a page that comes back with a form: 409 when the order's state (or the stock,
/// or the credit) refused the step, 422 when a field did, else 200.
fn page_status(errors: &FieldErrors, refusal: &Option<String>) -> StatusCode {
    if refusal.is_some() { StatusCode::CONFLICT } else { form_status(errors) }
}

fn now() -> chrono::NaiveDateTime {
    crate::db::now()
}

// ---- carts: in the database for shoppers, in the session for visitors ----

const SESSION_CART: &str = "cart";

fn visitor_lines(session: &Session) -> Vec<CartLine> {
    session.get::<Vec<CartLine>>(SESSION_CART).ok().flatten().unwrap_or_default()
}

/// The hook `lib.rs` registers with accounts: at login, the visitor's cart joins the one kept for
/// the account, and leaves the session.
pub fn merge_cart_at_login(db: Db) -> AfterLogin {
    Arc::new(move |session: &Session, user: &UserId| {
        let (db, session, user) = (db.clone(), session.clone(), user.clone());
        Box::pin(async move {
            let lines = visitor_lines(&session);
            if lines.is_empty() {
                return Ok(());
            }
            db.write(move |c| orders::merge_cart(c, &user, &lines, now())).await?;
            session.remove(SESSION_CART);
            Ok(())
        })
    })
}

/// Whose cart: a logged-in shopper's (kept in the database) or a visitor's (in the session).
/// Users without the shopper role cannot buy.
fn buyer_of(page_user: &Option<Arc<crate::web::identity::Identity>>) -> Result<Option<UserId>, AppError> {
    match page_user {
        None => Ok(None),
        Some(user) if user.has_role(crate::accounts::Role::Shopper) => Ok(Some(user.id.clone())),
        Some(_) => Err(AppError::Forbidden),
    }
}

async fn cart_page(
    state: &State,
    session: &Session,
    l: Layout,
    buyer: Option<UserId>,
    bad_line: Option<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let currency = state.config.currency.clone();
    let visitor = visitor_lines(session);
    let logged_in = buyer.is_some();
    let cart = state
        .db
        .read(move |c| {
            let lines = match &buyer {
                Some(user) => orders::cart_lines(c, user)?,
                None => visitor,
            };
            orders::price_cart(c, buyer.as_ref(), lines, &currency)
        })
        .await?;
    let status = if bad_line.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(status, &CartPage { l, cart, logged_in, bad_line })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CartQuery {
    added: String,
}

async fn cart(
    state: State,
    session: Session,
    page: FormPage,
    query: web::Query<CartQuery>,
) -> Result<HttpResponse, AppError> {
    let buyer = buyer_of(&page.user)?;
    let mut l = page.l;
    if !query.added.is_empty() {
        l.flashes.push(Flash { kind: "ok".into(), text: format!("Added to your cart: offer {}.", query.added) });
    }
    cart_page(&state, &session, l, buyer, None).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AddForm {
    offer: String,
    quantity: String,
}

/// The "add to cart" form on a page of its own: for visitors who have no session yet (the
/// product page then links here rather than carry a form), and when an addition comes back.
async fn add_page(
    state: &State,
    l: Layout,
    buyer: Option<UserId>,
    form: AddForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let code = form.offer.trim().to_owned();
    let offer = state
        .db
        .read(move |c| crate::catalog::offers_to_buy(c, buyer.as_ref(), &[code]))
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    render_status(form_status(&errors), &AddPage { l, offer, quantity: form.quantity, errors })
}

async fn add_form(state: State, page: FormPage, query: web::Query<AddForm>) -> Result<HttpResponse, AppError> {
    let buyer = buyer_of(&page.user)?;
    let mut form = query.into_inner();
    if form.quantity.is_empty() {
        form.quantity = "1".into();
    }
    add_page(&state, page.l, buyer, form, FieldErrors::new()).await
}

/// Applies a cart edit to the shopper's saved cart or the visitor's session cart.
async fn edit_cart(
    state: &State,
    session: &Session,
    buyer: Option<UserId>,
    change: CartEdit,
) -> Result<CartLine, OrderError> {
    match buyer {
        Some(user) => state.db.write(move |c| orders::edit_saved_cart(c, &user, &change, now())).await,
        None => {
            let mut lines = visitor_lines(session);
            let (line, lines) =
                state.db.read(move |c| orders::edit(c, None, &mut lines, &change).map(|line| (line, lines))).await?;
            session.insert(SESSION_CART, lines).map_err(|e| OrderError::Session(e.to_string()))?;
            Ok(line)
        }
    }
}

async fn add(
    state: State,
    session: Session,
    page: FormPage,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let buyer = buyer_of(&page.user)?;
    let form = form.into_inner();
    let change = CartEdit::Add { code: form.offer.trim().to_owned(), quantity: form.quantity.clone() };
    let added = edit_cart(&state, &session, buyer.clone(), change).await;
    match added {
        // The cart page says what was added: no flash message, so no session write on this path.
        Ok(line) => Ok(see_other(&format!("/cart?added={}", line.offer_code))),
        Err(OrderError::Invalid(errors)) => add_page(&state, page.l, buyer, form, errors).await,
        Err(OrderError::Refused(r)) => {
            add_page(&state, page.l, buyer, form, FieldErrors::with("quantity", r.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct QuantityForm {
    quantity: String,
}

async fn change_quantity(
    state: State,
    session: Session,
    page: FormPage,
    code: web::Path<String>,
    form: web::Form<QuantityForm>,
) -> Result<HttpResponse, AppError> {
    let buyer = buyer_of(&page.user)?;
    let (code, typed) = (code.into_inner(), form.into_inner().quantity);
    let change = CartEdit::Set { code: code.clone(), quantity: typed.clone() };
    let changed = edit_cart(&state, &session, buyer.clone(), change).await;
    match changed {
        Ok(_) => {
            flash::ok(&session, "Quantity changed.");
            Ok(see_other("/cart"))
        }
        Err(OrderError::Invalid(errors)) => {
            let message = errors.get("quantity").to_owned();
            cart_page(&state, &session, page.l, buyer, Some((code, typed, message))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove(
    state: State,
    session: Session,
    page: FormPage,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    match buyer_of(&page.user)? {
        Some(user) => state.db.write(move |c| orders::remove_from_cart(c, &user, &code)).await?,
        None => {
            let mut lines = visitor_lines(&session);
            lines.retain(|l| l.offer_code != code);
            session.insert(SESSION_CART, lines)?;
        }
    }
    flash::ok(&session, "Removed from your cart.");
    Ok(see_other("/cart"))
}

// ---- checkout ----

type Shopper = Authorized<roles::Shopper>;

async fn active_carriers(state: &State) -> Result<Vec<Carrier>, AppError> {
    let all = state.db.read(echeck::carriers).await?;
    Ok(all.into_iter().filter(Carrier::is_active).collect())
}

async fn checkout_page(
    state: &State,
    shopper: &Shopper,
    l: Layout,
    form: CheckoutForm,
    errors: FieldErrors,
    refusal: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (id, currency) = (shopper.user.id.clone(), state.config.currency.clone());
    let (plan, carriers) = state
        .db
        .read(move |c| {
            let carriers: Vec<Carrier> = echeck::carriers(c)?.into_iter().filter(Carrier::is_active).collect();
            Ok::<_, OrderError>((orders::checkout_plan(c, &id, &currency)?, carriers))
        })
        .await?;
    let status = page_status(&errors, &refusal);
    // A new checkout preselects the first carrier.
    let carrier = match form.carrier.is_empty() {
        true => carriers.first().map(|c| c.code.clone()).unwrap_or_default(),
        false => form.carrier,
    };
    let form = CheckoutForm { carrier, ..form };
    let form = CheckoutForm { quote: plan.cart.quote(), ..form };
    let mut page = CheckoutPage::new(l, plan, form, carriers);
    page.errors = errors;
    page.refusal = refusal;
    render_status(status, &page)
}

async fn checkout_form(
    state: State,
    shopper: Shopper,
    me: crate::accounts::CurrentUser,
    page: FormPage,
) -> Result<HttpResponse, AppError> {
    let form = CheckoutForm {
        address: me.0.personal.postal_address.clone(),
        payment: Payment::Echeck.as_str().into(),
        key: crate::web::idempotency::IdempotencyKey::new().to_string(),
        ..Default::default()
    };
    checkout_page(&state, &shopper, page.l, form, FieldErrors::new(), None).await
}

async fn checkout(
    state: State,
    shopper: Shopper,
    page: FormPage,
    form: web::Form<CheckoutForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (id, f, currency) = (shopper.user.id.clone(), form.clone(), state.config.currency.clone());
    let placed = match state.db.write(move |c| orders::place_orders(c, &id, &f, &currency, now())).await {
        Err(OrderError::Invalid(errors)) => {
            return checkout_page(&state, &shopper, page.l, form, errors, None).await;
        }
        Err(OrderError::Refused(r)) => {
            return checkout_page(&state, &shopper, page.l, form, FieldErrors::new(), Some(r.to_string())).await;
        }
        other => other?,
    };
    let numbers: Vec<&str> = placed.iter().map(|o| o.number.as_str()).collect();
    match numbers.as_slice() {
        [] => Err(AppError::BadRequest(Refusal::EmptyCart.to_string())),
        // The next page thanks the shopper: no flash message, so no session write on this path.
        [one] => Ok(see_other(&format!("/orders/{one}?placed=1"))),
        _ => Ok(see_other("/orders?placed=1")),
    }
}

// ---- shoppers' orders ----

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    /// Set on the page a checkout leads to.
    placed: Option<String>,
}

/// The thanks after a checkout, from the address the checkout sent the shopper to.
fn thank(l: &mut Layout, placed: bool, text: &str) {
    if placed {
        l.flashes.push(Flash { kind: "ok".into(), text: text.into() });
    }
}

async fn my_orders(
    state: State,
    shopper: Shopper,
    page: Page,
    number: PageNumber,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, pager) = (shopper.user.id.clone(), number.of(orders::ORDERS_PAGE));
    let orders = state.db.read(move |c| orders::orders_of_buyer(c, &id, pager)).await?.found()?;
    let mut l = page.l;
    thank(&mut l, query.placed.is_some(), "Thank you! Your orders are placed, one per selling office.");
    render(&MyOrdersPage { l, orders })
}

async fn my_order(
    state: State,
    shopper: Shopper,
    page: FormPage,
    number: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = shopper.user.id.clone();
    let d = state.db.read(move |c| orders::details(c, &number, Who::Buyer(&id))).await?;
    let mut l = page.l;
    thank(&mut l, query.placed.is_some(), "Thank you! Your order is placed. The seller confirms the price next.");
    render(&OrderPage::new(l, d, Viewer::Buyer))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    reason: String,
    carrier: String,
    cash: String,
    report: String,
}

/// The order's page again, with what refused the form.
async fn order_page_again(
    state: &State,
    l: Layout,
    number: String,
    who_id: UserId,
    viewer: Viewer,
    form: ActionForm,
    err: OrderError,
) -> Result<HttpResponse, AppError> {
    let (errors, refusal) = match err {
        OrderError::Invalid(errors) => (errors, None),
        OrderError::Refused(r) => (FieldErrors::new(), Some(r.to_string())),
        other => return Err(other.into()),
    };
    let status = page_status(&errors, &refusal);
    let d = state
        .db
        .read(move |c| {
            let who = if viewer == Viewer::Seller { Who::Seller(&who_id) } else { Who::Buyer(&who_id) };
            orders::details(c, &number, who)
        })
        .await?;
    let mut page = OrderPage::new(l, d, viewer);
    if viewer == Viewer::Seller {
        page.carriers = active_carriers(state).await?;
    }
    page.errors = errors;
    page.refusal = refusal;
    page.reason = form.reason;
    if !form.carrier.is_empty() {
        page.carrier = form.carrier;
    }
    render_status(status, &page)
}

async fn buyer_cancel(
    state: State,
    session: Session,
    shopper: Shopper,
    page: FormPage,
    number: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (number, form) = (number.into_inner(), form.into_inner());
    let (id, n, reason) = (shopper.user.id.clone(), number.clone(), form.reason.clone());
    match state.db.write(move |c| orders::cancel(c, &n, Who::Buyer(&id), &reason, now())).await {
        Ok(order) => {
            flash::ok(&session, &format!("Order {} is cancelled.", order.number));
            Ok(see_other(&format!("/orders/{}", order.number)))
        }
        Err(e) => order_page_again(&state, page.l, number, shopper.user.id.clone(), Viewer::Buyer, form, e).await,
    }
}

// ---- salespeople ----

type Seller = Authorized<roles::Salesperson>;

async fn sell_orders(
    state: State,
    seller: Seller,
    page: Page,
    number: PageNumber,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let pager = number.of(orders::ORDERS_PAGE);
    let filter = match query.state.as_str() {
        "" => None,
        s => {
            Some(OrderState::parse(s).ok_or_else(|| AppError::BadRequest("There is no such state of orders.".into()))?)
        }
    };
    let id = seller.user.id.clone();
    let found = state.db.read(move |c| orders::orders_of_office(c, &id, filter, pager)).await?;
    let (office, orders) = match found {
        Some((office, orders)) => (Some(office), orders.found()?),
        None => (None, pager.split(Vec::new())),
    };
    render(&SellOrdersPage { l: page.l, office, orders, state: query.state.clone(), states: OrderState::ALL })
}

async fn sell_order(
    state: State,
    seller: Seller,
    page: FormPage,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = seller.user.id.clone();
    let d = state.db.read(move |c| orders::details(c, &number, Who::Seller(&id))).await?;
    let mut page = OrderPage::new(page.l, d, Viewer::Seller);
    page.carriers = active_carriers(&state).await?;
    render(&page)
}

async fn sell_action(
    state: State,
    session: Session,
    seller: Seller,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let ((number, action), form) = (path.into_inner(), form.into_inner());
    let (id, n, f) = (seller.user.id.clone(), number.clone(), (form.reason.clone(), form.carrier.clone()));
    let done = match action.as_str() {
        "confirm" => "Price confirmed.",
        "cancel" => "Order cancelled; the buyer is told why.",
        "ship" => "Shipped: the carrier has the delivery instruction.",
        _ => return Err(AppError::NotFound),
    };
    let result = state
        .db
        .write(move |c| match action.as_str() {
            "confirm" => orders::confirm(c, &n, &id, now()),
            "cancel" => orders::cancel(c, &n, Who::Seller(&id), &f.0, now()),
            _ => orders::ship(c, &n, &id, &f.1, now()),
        })
        .await;
    match result {
        Ok(order) => {
            flash::ok(&session, done);
            Ok(see_other(&format!("/sell/orders/{}", order.number)))
        }
        Err(e) => order_page_again(&state, page.l, number, seller.user.id.clone(), Viewer::Seller, form, e).await,
    }
}

// ---- makers ----

type MakerUser = Authorized<roles::Maker>;

async fn approvals_page(
    state: &State,
    maker: &MakerUser,
    l: Layout,
    errors: FieldErrors,
    refusal: Option<String>,
    failed: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = maker.user.id.clone();
    let found = state.db.read(move |c| orders::awaiting_approval(c, &id)).await?;
    let (maker, orders) = match found {
        Some((maker, orders)) => (Some(maker), orders),
        None => (None, Vec::new()),
    };
    let status = page_status(&errors, &refusal);
    render_status(status, &ApprovalsPage { l, maker, orders, errors, refusal, failed })
}

async fn approvals(state: State, maker: MakerUser, page: FormPage) -> Result<HttpResponse, AppError> {
    approvals_page(&state, &maker, page.l, FieldErrors::new(), None, None).await
}

async fn decide(
    state: State,
    session: Session,
    maker: MakerUser,
    page: FormPage,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (number, decision) = path.into_inner();
    let reason = form.into_inner().reason;
    let (id, n, r) = (maker.user.id.clone(), number.clone(), reason.clone());
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound),
    };
    let result = state
        .db
        .write(
            move |c| if approve { orders::approve(c, &n, &id, now()) } else { orders::reject(c, &n, &id, &r, now()) },
        )
        .await;
    match result {
        Ok(order) => {
            let text = if approve { "approved" } else { "rejected and cancelled" };
            flash::ok(&session, &format!("Order {} {text}.", order.number));
            Ok(see_other("/maker/approvals"))
        }
        Err(OrderError::Invalid(errors)) => {
            approvals_page(&state, &maker, page.l, errors, None, Some((number, reason))).await
        }
        Err(OrderError::Refused(r)) => {
            approvals_page(&state, &maker, page.l, FieldErrors::new(), Some(r.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- carriers ----

type CarrierUser = Authorized<roles::Carrier>;

async fn shipments_page(
    state: &State,
    carrier: &CarrierUser,
    l: Layout,
    errors: FieldErrors,
    refusal: Option<String>,
    failed: Option<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = carrier.user.id.clone();
    let found = state.db.read(move |c| orders::shipments(c, &id)).await?;
    let (carrier, open, delivered) = match found {
        Some(work) => (Some(work.carrier), work.open, work.delivered),
        None => (None, Vec::new(), Vec::new()),
    };
    let status = page_status(&errors, &refusal);
    render_status(status, &ShipmentsPage { l, carrier, open, delivered, errors, refusal, failed })
}

async fn shipments(state: State, carrier: CarrierUser, page: FormPage) -> Result<HttpResponse, AppError> {
    shipments_page(&state, &carrier, page.l, FieldErrors::new(), None, None).await
}

async fn delivered(
    state: State,
    session: Session,
    carrier: CarrierUser,
    page: FormPage,
    number: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (number, form) = (number.into_inner(), form.into_inner());
    let (id, n, cash, report) = (carrier.user.id.clone(), number.clone(), form.cash.clone(), form.report.clone());
    match state.db.write(move |c| orders::deliver(c, &n, &id, &cash, &report, now())).await {
        Ok(order) => {
            flash::ok(&session, &format!("Delivery of order {} recorded.", order.number));
            Ok(see_other("/carrier/shipments"))
        }
        Err(OrderError::Invalid(errors)) => {
            let failed = Some((number, form.cash, form.report));
            shipments_page(&state, &carrier, page.l, errors, None, failed).await
        }
        Err(OrderError::Refused(r)) => {
            let failed = Some((number, form.cash, form.report));
            shipments_page(&state, &carrier, page.l, FieldErrors::new(), Some(r.to_string()), failed).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- administrators: makers ----

type Admin = Authorized<roles::Admin>;

async fn makers_page(
    state: &State,
    l: Layout,
    errors: FieldErrors,
    maker_name: String,
    email: String,
) -> Result<HttpResponse, AppError> {
    let (makers, staff) = state.db.read(orders::makers).await?;
    render_status(form_status(&errors), &MakersPage { l, makers, staff, errors, maker_name, email })
}

async fn makers(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    makers_page(&state, page.l, FieldErrors::new(), String::new(), String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MakerForm {
    name: String,
    requires_approval: Option<String>,
    email: String,
    maker: String,
}

async fn set_maker(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<MakerForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (name, requires) = (form.name.clone(), form.requires_approval.is_some());
    match state.db.write(move |c| orders::set_maker(c, &name, requires, now())).await {
        Ok(()) => {
            let how = if requires { "needs its approval" } else { "needs no approval" };
            flash::ok(&session, &format!("Saved: an order of {} {how}.", form.name.trim()));
            Ok(see_other("/admin/makers"))
        }
        Err(OrderError::Invalid(errors)) => makers_page(&state, page.l, errors, form.name, String::new()).await,
        Err(e) => Err(e.into()),
    }
}

async fn add_maker_staff(
    state: State,
    session: Session,
    _admin: Admin,
    page: FormPage,
    form: web::Form<MakerForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (maker, email) = (form.maker.clone(), form.email.clone());
    match state.db.write(move |c| orders::add_maker_staff(c, &maker, &email, now())).await {
        Ok(()) => {
            flash::ok(&session, &format!("{} now acts for {}.", form.email.trim(), form.maker));
            Ok(see_other("/admin/makers"))
        }
        Err(OrderError::Invalid(errors)) => makers_page(&state, page.l, errors, String::new(), form.email).await,
        Err(e) => Err(e.into()),
    }
}

async fn remove_maker_staff(
    state: State,
    session: Session,
    _admin: Admin,
    user: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user: UserId = user.into_inner().parse().map_err(|_| AppError::NotFound)?;
    state.db.write(move |c| orders::remove_maker_staff(c, &user)).await?;
    flash::ok(&session, "Removed from the maker's staff.");
    Ok(see_other("/admin/makers"))
}
