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
use crate::error::AppError;
use crate::web::auth::{Authorized, roles};
use crate::web::flash::Flash;
use crate::web::forms::{Rejection, ending};
use crate::web::layout::{FormPage, Layout, Page, cart_badge};
use crate::web::pager::PageNumber;
use crate::web::{State, flash, render, render_status, safe_next, see_other};

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
    added: &str,
) -> Result<HttpResponse, AppError> {
    let (currency, visitor, logged_in) = (state.config.currency.clone(), visitor_lines(session), buyer.is_some());
    let cart = state.db.read(move |c| orders::cart_for(c, buyer.as_ref(), visitor, &currency)).await?;
    let mut l = l;
    if let Some(row) = cart.rows.iter().find(|r| !added.is_empty() && r.line.offer_code == added) {
        l.flashes.push(Flash { kind: "ok".into(), text: format!("Added to your cart: {}.", row.name()) });
    }
    let status = if bad_line.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let units = u32::try_from(cart.units()).unwrap_or(u32::MAX);
    // This page's own header counts the cart as it is now, not as the request's cookie had it.
    l.cart_items = units;
    let mut page = render_status(status, &CartPage { l, cart, logged_in, bad_line })?;
    page.add_cookie(&cart_badge(units)).map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
    Ok(page)
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
    cart_page(&state, &session, page.l, buyer, None, &query.added).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AddForm {
    offer: String,
    quantity: String,
    /// The page the form was on, when a refusal should be said there (the consumables page).
    back: String,
}

/// The "add to cart" form on a page of its own: for visitors who have no session yet (the
/// product page then links here rather than carry a form), and when an addition comes back.
async fn add_page(
    state: &State,
    l: Layout,
    buyer: Option<UserId>,
    form: AddForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let code = form.offer.clone();
    let offer = state.db.read(move |c| orders::offer_to_add(c, buyer.as_ref(), &code)).await?;
    // A refusal of the addition (sold out meanwhile) is said next to the quantity.
    let mut errors = no.errors;
    if let Some(refusal) = no.refusal {
        errors.add("quantity", refusal);
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &AddPage { l, offer, quantity: form.quantity, errors })
}

async fn add_form(state: State, page: FormPage, query: web::Query<AddForm>) -> Result<HttpResponse, AppError> {
    let buyer = buyer_of(&page.user)?;
    let mut form = query.into_inner();
    if form.quantity.is_empty() {
        form.quantity = "1".into();
    }
    add_page(&state, page.l, buyer, form, Rejection::default()).await
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
    ending(
        edit_cart(&state, &session, buyer.clone(), change).await,
        // The cart page says what was added: no flash message, so no session write on this path.
        async |line| Ok(see_other(&format!("/cart?added={}", line.offer_code))),
        async |no| match safe_next(&form.back) {
            // Said at the top of the page the shopper was on, which lists many offers.
            Some(back) if !no.errors.is_empty() || no.refusal.is_some() => {
                let why = no.refusal.clone().unwrap_or_else(|| no.errors.get("quantity").to_owned());
                let why = if why.is_empty() { "it cannot be added now.".to_owned() } else { why };
                flash::error(&session, &format!("Not added to your cart (offer {}): {why}", form.offer.trim()));
                Ok(see_other(back))
            }
            _ => add_page(&state, page.l, buyer, form, no).await,
        },
    )
    .await
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
    ending(
        edit_cart(&state, &session, buyer.clone(), change).await,
        async |_| {
            flash::ok(&session, "Quantity changed.");
            Ok(see_other("/cart"))
        },
        async |no| {
            let message = no.refusal.unwrap_or_else(|| no.errors.get("quantity").to_owned());
            cart_page(&state, &session, page.l, buyer, Some((code, typed, message)), "").await
        },
    )
    .await
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

async fn checkout_page(
    state: &State,
    shopper: &Shopper,
    l: Layout,
    form: CheckoutForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let (id, currency) = (shopper.user.id.clone(), state.config.currency.clone());
    let (plan, carriers) = state.db.read(move |c| orders::checkout_view(c, &id, &currency)).await?;
    let status = no.status();
    // A new checkout preselects the first carrier.
    let carrier = match form.carrier.is_empty() {
        true => carriers.first().map(|c| c.code.clone()).unwrap_or_default(),
        false => form.carrier,
    };
    // A new checkout preselects the e-check where the credit covers the total, else cash.
    let payment = match form.payment.is_empty() {
        true if plan.credit_covers() => Payment::Echeck.as_str().into(),
        true => Payment::Cash.as_str().into(),
        false => form.payment,
    };
    let form = CheckoutForm { carrier, payment, ..form };
    let form = CheckoutForm { quote: plan.cart.quote(), ..form };
    let mut page = CheckoutPage::new(l, plan, form, carriers);
    (page.errors, page.refusal) = (no.errors, no.refusal);
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
        key: crate::web::idempotency::IdempotencyKey::new().to_string(),
        ..Default::default()
    };
    checkout_page(&state, &shopper, page.l, form, Rejection::default()).await
}

async fn checkout(
    state: State,
    shopper: Shopper,
    page: FormPage,
    form: web::Form<CheckoutForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (id, f, currency) = (shopper.user.id.clone(), form.clone(), state.config.currency.clone());
    ending(
        state.db.write(move |c| orders::place_orders(c, &id, &f, &currency, now())).await,
        async |placed| {
            let numbers: Vec<&str> = placed.iter().map(|o| o.number.as_str()).collect();
            match numbers.as_slice() {
                [] => Err(AppError::BadRequest(Refusal::EmptyCart.to_string())),
                // The next page thanks the shopper: no flash message, so no session write on this path.
                [one] => Ok(see_other(&format!("/orders/{one}?placed=1"))),
                _ => Ok(see_other("/orders?placed=1")),
            }
            .map(|mut to| {
                // A checkout orders the whole cart.
                let _ = to.add_cookie(&cart_badge(0));
                to
            })
        },
        async |no| checkout_page(&state, &shopper, page.l, form, no).await,
    )
    .await
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
    let mut l = page.l;
    thank(&mut l, query.placed.is_some(), "Thank you! Your order is placed. The seller confirms the price next.");
    let whose = (number.into_inner(), shopper.user.id.clone(), Viewer::Buyer);
    order_page(&state, l, whose, ActionForm::default(), Rejection::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    reason: String,
    carrier: String,
    cash: String,
    report: String,
}

/// An order's page for its buyer or its seller, with a form as typed and what refused it.
async fn order_page(
    state: &State,
    l: Layout,
    (number, who_id, viewer): (String, UserId, Viewer),
    form: ActionForm,
    no: Rejection,
) -> Result<HttpResponse, AppError> {
    let status = no.status();
    let (d, carriers) = state
        .db
        .read(move |c| {
            let who = if viewer == Viewer::Seller { Who::Seller(&who_id) } else { Who::Buyer(&who_id) };
            orders::order_view(c, &number, who)
        })
        .await?;
    let mut page = OrderPage::new(l, d, viewer);
    (page.carriers, page.errors, page.refusal, page.reason) = (carriers, no.errors, no.refusal, form.reason);
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
    ending(
        state.db.write(move |c| orders::cancel(c, &n, Who::Buyer(&id), &reason, now())).await,
        async |order| {
            flash::ok(&session, &format!("Order {} is cancelled.", order.number));
            Ok(see_other(&format!("/orders/{}", order.number)))
        },
        async |no| order_page(&state, page.l, (number, shopper.user.id.clone(), Viewer::Buyer), form, no).await,
    )
    .await
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
    let (office, orders, counts) = match found {
        Some(found) => (Some(found.office), found.orders.found()?, found.counts),
        None => (None, pager.split(Vec::new()), Vec::new()),
    };
    let state = query.state.clone();
    render(&SellOrdersPage { l: page.l, office, orders, state, states: OrderState::ALL, counts })
}

async fn sell_order(
    state: State,
    seller: Seller,
    page: FormPage,
    number: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let whose = (number.into_inner(), seller.user.id.clone(), Viewer::Seller);
    order_page(&state, page.l, whose, ActionForm::default(), Rejection::default()).await
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
    ending(
        result,
        async |order| {
            flash::ok(&session, done);
            Ok(see_other(&format!("/sell/orders/{}", order.number)))
        },
        async |no| order_page(&state, page.l, (number, seller.user.id.clone(), Viewer::Seller), form, no).await,
    )
    .await
}

// ---- makers ----

type MakerUser = Authorized<roles::Maker>;

async fn approvals_page(
    state: &State,
    maker: &MakerUser,
    l: Layout,
    no: Rejection,
    failed: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let id = maker.user.id.clone();
    let found = state.db.read(move |c| orders::awaiting_approval(c, &id)).await?;
    let (maker, orders) = match found {
        Some((maker, orders)) => (Some(maker), orders),
        None => (None, Vec::new()),
    };
    let status = no.status();
    render_status(status, &ApprovalsPage { l, maker, orders, errors: no.errors, refusal: no.refusal, failed })
}

async fn approvals(state: State, maker: MakerUser, page: FormPage) -> Result<HttpResponse, AppError> {
    approvals_page(&state, &maker, page.l, Rejection::default(), None).await
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
    ending(
        result,
        async |order| {
            let text = if approve { "approved" } else { "rejected and cancelled" };
            flash::ok(&session, &format!("Order {} {text}.", order.number));
            Ok(see_other("/maker/approvals"))
        },
        async |no| {
            // A reject form whose reason was refused comes back with what was typed.
            let failed = no.refusal.is_none().then_some((number, reason));
            approvals_page(&state, &maker, page.l, no, failed).await
        },
    )
    .await
}

// ---- carriers ----

type CarrierUser = Authorized<roles::Carrier>;

async fn shipments_page(
    state: &State,
    sources: Option<&web::Data<ShipmentSources>>,
    carrier: &CarrierUser,
    l: Layout,
    no: Rejection,
    failed: Option<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, sources) = (carrier.user.id.clone(), sources.cloned());
    // The orders and the other modules' deliveries in one read.
    let found = state
        .db
        .read(move |c| -> Result<_, AppError> {
            let Some(work) = orders::shipments(c, &id)? else { return Ok(None) };
            let others = match &sources {
                Some(sources) => sources.collect(c, &work.carrier)?,
                None => Vec::new(),
            };
            Ok(Some((work, others)))
        })
        .await?;
    let (carrier, open, others, delivered) = match found {
        Some((work, others)) => (Some(work.carrier), work.open, others, work.delivered),
        None => (None, Vec::new(), Vec::new(), Vec::new()),
    };
    let status = no.status();
    let page = ShipmentsPage { l, carrier, open, others, delivered, errors: no.errors, refusal: no.refusal, failed };
    render_status(status, &page)
}

async fn shipments(
    state: State,
    sources: Option<web::Data<ShipmentSources>>,
    carrier: CarrierUser,
    page: FormPage,
) -> Result<HttpResponse, AppError> {
    shipments_page(&state, sources.as_ref(), &carrier, page.l, Rejection::default(), None).await
}

async fn delivered(
    state: State,
    sources: Option<web::Data<ShipmentSources>>,
    session: Session,
    carrier: CarrierUser,
    page: FormPage,
    number: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (number, form) = (number.into_inner(), form.into_inner());
    let (id, n, cash, report) = (carrier.user.id.clone(), number.clone(), form.cash.clone(), form.report.clone());
    let site = state.config.public_url.to_string();
    ending(
        state.db.write(move |c| orders::deliver(c, &n, &id, &cash, &report, &site, now())).await,
        async |order| {
            flash::ok(&session, &format!("Delivery of order {} recorded.", order.number));
            Ok(see_other("/carrier/shipments"))
        },
        async |no| {
            let failed = Some((number, form.cash, form.report));
            shipments_page(&state, sources.as_ref(), &carrier, page.l, no, failed).await
        },
    )
    .await
}

// ---- administrators: makers ----

type Admin = Authorized<roles::Admin>;

async fn makers_page(
    state: &State,
    l: Layout,
    no: Rejection,
    (maker_name, email): (String, String),
) -> Result<HttpResponse, AppError> {
    let (makers, staff) = state.db.read(orders::makers).await?;
    render_status(no.status(), &MakersPage { l, makers, staff, errors: no.errors, maker_name, email })
}

async fn makers(state: State, _admin: Admin, page: FormPage) -> Result<HttpResponse, AppError> {
    makers_page(&state, page.l, Rejection::default(), Default::default()).await
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
    ending(
        state.db.write(move |c| orders::set_maker(c, &name, requires, now())).await,
        async |()| {
            let how = if requires { "needs its approval" } else { "needs no approval" };
            flash::ok(&session, &format!("Saved: an order of {} {how}.", form.name.trim()));
            Ok(see_other("/admin/makers"))
        },
        async |no| makers_page(&state, page.l, no, (form.name.clone(), String::new())).await,
    )
    .await
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
    ending(
        state.db.write(move |c| orders::add_maker_staff(c, &maker, &email, now())).await,
        async |()| {
            flash::ok(&session, &format!("{} now acts for {}.", form.email.trim(), form.maker));
            Ok(see_other("/admin/makers"))
        },
        async |no| makers_page(&state, page.l, no, (String::new(), form.email.clone())).await,
    )
    .await
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
