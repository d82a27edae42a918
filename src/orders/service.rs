//! The operations of orders: carts, checkout, each step of an order's life, the pages' lists,
//! and `purchase_facts` for buy-back. Functions take the caller's connection: placing an order
//! takes stock (catalog), issues a check (echeck) and writes e-mails (notify) in one transaction.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::mail::{self, MailKind};
use super::model::*;
use super::repo;
use super::rules::{self, Actor, OrderState, Refusal, Step};
use crate::accounts::{self, AccountError, DeliveryAddressId, PersonalData, User, UserId};
use crate::catalog::{self, CatalogError, OfferToBuy};
use crate::db::jobs::Job;
use crate::db::{DbConnection, DbError};
use crate::echeck::{self, Carrier, EcheckError, Office, Party};
use crate::error::AppError;
use crate::notify;
use crate::web::forms::{FieldErrors, FormError, Rejection};
use crate::web::idempotency::{self, Claim, ClaimError, IdempotencyKey};
use crate::web::pager::{Paged, Pager};

/// The scope of a checkout's idempotency key.
const CHECKOUT: &str = "checkout";
const FORM_OUT_OF_DATE: &str = "The form is out of date. Reload the page.";

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("the form has mistakes")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    /// A visitor's cart could not be kept in the session.
    #[error("session: {0}")]
    Session(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for OrderError {
    fn from(e: diesel::result::Error) -> Self {
        OrderError::Db(DbError::Query(e))
    }
}

impl From<EcheckError> for OrderError {
    fn from(e: EcheckError) -> Self {
        match e {
            EcheckError::Refused(r) => Refusal::Payment(r.to_string()).into(),
            EcheckError::Invalid(errors) => OrderError::Invalid(errors),
            EcheckError::NotFound => OrderError::NotFound,
            EcheckError::TooMany(wait) => Refusal::Payment(crate::error::wait_message(wait)).into(),
            EcheckError::Db(e) => OrderError::Db(e),
        }
    }
}

impl From<CatalogError> for OrderError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(errors) => OrderError::Invalid(errors),
            CatalogError::Db(e) => OrderError::Db(e),
            CatalogError::Accounts(e) => e.into(),
            CatalogError::NotFound | CatalogError::NotYours | CatalogError::Refused(_) => OrderError::NotFound,
        }
    }
}

impl From<AccountError> for OrderError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(errors) => OrderError::Invalid(errors),
            AccountError::Db(e) => OrderError::Db(e),
            _ => OrderError::NotFound,
        }
    }
}

pub type Result<T, E = OrderError> = std::result::Result<T, E>;

impl FormError for OrderError {
    fn rejection(self) -> Result<Rejection, AppError> {
        match self {
            OrderError::Invalid(errors) => Ok(Rejection::fields(errors)),
            OrderError::Refused(refusal) => Ok(Rejection::refused(refusal.to_string())),
            other => Err(other.into()),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> OrderError {
    OrderError::Invalid(FieldErrors::with(field, message))
}

// ---- carts ----

/// A cart line priced for the shopper now. `offer` is None when the offer vanished.
#[derive(Clone, Debug)]
pub struct CartRow {
    pub line: CartLine,
    pub offer: Option<OfferToBuy>,
}

impl CartRow {
    pub fn name(&self) -> &str {
        self.offer.as_ref().map(|o| o.product.name.as_str()).unwrap_or("An offer no longer in the catalog")
    }

    /// The price the shopper pays now.
    pub fn price(&self) -> i64 {
        self.offer.as_ref().map(|o| o.price).unwrap_or(self.line.seen_price)
    }

    pub fn line_total(&self) -> i64 {
        self.price().saturating_mul(self.line.quantity)
    }

    /// Whether the offer can no longer be bought.
    pub fn gone(&self) -> bool {
        self.offer.as_ref().is_none_or(|o| o.offer.withdrawn_at.is_some())
    }

    pub fn stock(&self) -> i64 {
        self.offer.as_ref().map(|o| o.offer.stock).unwrap_or(0)
    }

    /// Fewer in stock than in the cart.
    pub fn short(&self) -> bool {
        !self.gone() && self.stock() < self.line.quantity
    }

    pub fn price_changed(&self) -> bool {
        !self.gone() && self.price() != self.line.seen_price
    }

    fn problem(&self) -> Option<Refusal> {
        let name = self.name().to_owned();
        if self.gone() {
            Some(Refusal::Withdrawn { name })
        } else if self.short() {
            Some(Refusal::SoldOut { name, left: self.stock() })
        } else {
            None
        }
    }
}

/// A cart as its page shows it.
#[derive(Clone, Debug, Default)]
pub struct Cart {
    pub rows: Vec<CartRow>,
    pub currency: String,
}

impl Cart {
    pub fn total(&self) -> i64 {
        self.rows.iter().filter(|r| !r.gone()).map(CartRow::line_total).fold(0, i64::saturating_add)
    }

    pub fn units(&self) -> i64 {
        self.rows.iter().map(|r| r.line.quantity).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What stands in the way of ordering, one message per line in trouble.
    pub fn problems(&self) -> Vec<Refusal> {
        self.rows.iter().filter_map(CartRow::problem).collect()
    }

    /// The fingerprint of offers, quantities and prices (see `rules::quote`).
    pub fn quote(&self) -> String {
        rules::quote(
            &self.rows.iter().map(|r| (r.line.offer_code.clone(), r.line.quantity, r.price())).collect::<Vec<_>>(),
        )
    }
}

/// Prices a cart's lines for `viewer` (None: a visitor, who sees list prices).
pub fn price_cart(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    lines: Vec<CartLine>,
    currency: &str,
) -> Result<Cart> {
    let codes: Vec<String> = lines.iter().map(|l| l.offer_code.clone()).collect();
    let mut offers = catalog::offers_to_buy(conn, viewer, &codes)?;
    let rows = lines
        .into_iter()
        .map(|line| {
            let at = offers.iter().position(|o| o.offer.code == line.offer_code);
            CartRow { offer: at.map(|i| offers.swap_remove(i)), line }
        })
        .collect();
    Ok(Cart { rows, currency: currency.to_owned() })
}

/// A logged-in shopper's cart lines.
pub fn cart_lines(conn: &mut DbConnection, user: &UserId) -> Result<Vec<CartLine>> {
    Ok(repo::cart_of(conn, user)?)
}

/// The offer with this code if it can be bought in this quantity (`quantity` in all, with what
/// the cart holds already).
fn buyable(conn: &mut DbConnection, viewer: Option<&UserId>, code: &str, quantity: i64) -> Result<OfferToBuy> {
    let offer = catalog::offers_to_buy(conn, viewer, &[code.to_owned()])?
        .into_iter()
        .next()
        .ok_or_else(|| invalid("quantity", "There is no such offer."))?;
    if offer.offer.withdrawn_at.is_some() {
        return Err(invalid("quantity", "This offer has been withdrawn."));
    }
    if offer.offer.stock == 0 {
        return Err(invalid("quantity", "Sold out."));
    }
    if quantity > offer.offer.stock {
        return Err(invalid("quantity", format!("Only {} in stock.", offer.offer.stock)));
    }
    Ok(offer)
}

/// A change to a cart: more of an offer (added to what the cart holds), or a line's new quantity.
#[derive(Clone, Debug)]
pub enum CartEdit {
    Add { code: String, quantity: String },
    Set { code: String, quantity: String },
}

/// Applies an edit to a cart's lines (a visitor's, or a shopper's loaded from the database):
/// the quantity must be sensible and in stock. Returns the changed line.
pub fn edit(
    conn: &mut DbConnection,
    viewer: Option<&UserId>,
    lines: &mut Vec<CartLine>,
    change: &CartEdit,
) -> Result<CartLine> {
    let (code, typed) = match change {
        CartEdit::Add { code, quantity } | CartEdit::Set { code, quantity } => (code.as_str(), quantity.as_str()),
    };
    let quantity = rules::parse_quantity(typed).map_err(|e| invalid("quantity", e))?;
    let held = lines.iter().find(|l| l.offer_code == code).map(|l| l.quantity);
    let wanted = match (change, held) {
        (CartEdit::Add { .. }, held) => held.unwrap_or(0) + quantity,
        (CartEdit::Set { .. }, Some(_)) => quantity,
        (CartEdit::Set { .. }, None) => return Err(OrderError::NotFound),
    };
    if wanted > rules::MAX_QUANTITY {
        let more = rules::MAX_QUANTITY - held.unwrap_or(0);
        return Err(invalid("quantity", format!("At most 999 units of one offer per order: add at most {more}.")));
    }
    let offer = buyable(conn, viewer, code, wanted)?;
    if held.is_none() {
        rules::add_line(lines, &offer.offer.code, 0, offer.price)?;
    }
    let line = lines.iter_mut().find(|l| l.offer_code == offer.offer.code).ok_or(OrderError::NotFound)?;
    line.quantity = wanted;
    line.seen_price = offer.price;
    Ok(line.clone())
}

/// `edit` on a logged-in shopper's cart in the database.
pub fn edit_saved_cart(
    conn: &mut DbConnection,
    user: &UserId,
    change: &CartEdit,
    at: NaiveDateTime,
) -> Result<CartLine> {
    let mut lines = repo::cart_of(conn, user)?;
    let line = edit(conn, Some(user), &mut lines, change)?;
    repo::put_cart_line(conn, user, &line, at)?;
    Ok(line)
}

pub fn remove_from_cart(conn: &mut DbConnection, user: &UserId, code: &str) -> Result<()> {
    repo::delete_cart_line(conn, user, code)?;
    Ok(())
}

/// Joins a visitor's cart to the shopper's at login.
pub fn merge_cart(conn: &mut DbConnection, user: &UserId, visitor: &[CartLine], at: NaiveDateTime) -> Result<()> {
    let merged = rules::merge(repo::cart_of(conn, user)?, visitor);
    for line in merged.iter().filter(|l| visitor.iter().any(|v| v.offer_code == l.offer_code)) {
        repo::put_cart_line(conn, user, line, at)?;
    }
    Ok(())
}

// ---- checkout ----

/// The goods of one selling office in a checkout: they become one order.
#[derive(Clone, Debug)]
pub struct OfficeGroup {
    pub office: Office,
    pub rows: Vec<CartRow>,
}

impl OfficeGroup {
    pub fn currency(&self) -> String {
        self.rows.iter().find_map(|r| r.offer.as_ref()).map_or_else(String::new, |o| o.offer.currency.clone())
    }

    pub fn total(&self) -> i64 {
        self.rows.iter().map(CartRow::line_total).fold(0, i64::saturating_add)
    }
}

/// What a checkout will place: one order per selling office; `problems` must be empty first.
#[derive(Clone, Debug, Default)]
pub struct CheckoutPlan {
    pub cart: Cart,
    pub groups: Vec<OfficeGroup>,
    pub problems: Vec<Refusal>,
}

/// Groups the shopper's cart by selling office and says what stands in the way.
pub fn checkout_plan(conn: &mut DbConnection, user: &UserId, currency: &str) -> Result<CheckoutPlan> {
    let lines = repo::cart_of(conn, user)?;
    let cart = price_cart(conn, Some(user), lines, currency)?;
    let mut problems = cart.problems();
    let mut groups: BTreeMap<String, OfficeGroup> = BTreeMap::new();
    let mut offices: BTreeMap<UserId, Option<Office>> = BTreeMap::new();
    for row in cart.rows.iter().filter(|r| !r.gone()) {
        let Some(offer) = &row.offer else { continue };
        let seller = &offer.offer.seller_id;
        if !offices.contains_key(seller) {
            let office = echeck::office_of(conn, seller)?;
            offices.insert(seller.clone(), office);
        }
        match offices.get(seller).cloned().flatten() {
            Some(office) => groups
                .entry(office.code.clone())
                .or_insert_with(|| OfficeGroup { office, rows: Vec::new() })
                .rows
                .push(row.clone()),
            None => problems.push(Refusal::NoOffice { name: row.name().to_owned() }),
        }
    }
    Ok(CheckoutPlan { cart, groups: groups.into_values().collect(), problems })
}

/// The checkout form as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    pub address: String,
    pub date: String,
    pub slot: String,
    pub payment: String,
    pub carrier: String,
    /// The fingerprint of the cart the shopper saw.
    pub quote: String,
    /// One per checkout page: a second submit of the same form finds the orders the first made.
    pub key: String,
}

struct CheckedForm {
    payment: Payment,
    carrier: Carrier,
    wish: String,
}

fn check_form(conn: &mut DbConnection, form: &CheckoutForm, at: NaiveDateTime) -> Result<CheckedForm> {
    let mut errors = FieldErrors::new();
    let payment = Payment::parse(&form.payment);
    if payment.is_none() {
        errors.add("payment", "Choose how to pay.");
    }
    let carrier = match echeck::carrier(conn, form.carrier.trim()) {
        Ok(c) if c.is_active() => Some(c),
        Ok(_) => {
            errors.add("carrier", "This carrier takes no orders at the moment. Choose another.");
            None
        }
        Err(EcheckError::NotFound) => {
            errors.add("carrier", "Choose a carrier from the list.");
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = accounts::rules::check_address(form.address.trim()) {
        errors.add("address", e);
    }
    let wish = rules::delivery_wish(&form.date, &form.slot, at.date()).unwrap_or_else(|(field, message)| {
        errors.add(field, message);
        String::new()
    });
    match (payment, carrier) {
        (Some(payment), Some(carrier)) if errors.is_empty() => Ok(CheckedForm { payment, carrier, wish }),
        _ => Err(OrderError::Invalid(errors)),
    }
}

/// Places the shopper's cart: one order per selling office, each with its stock taken and, when
/// paid by e-check, its own check; the cart is emptied. All of it or nothing. The same `key` a
/// second time answers with the orders the first made.
pub fn place_orders(
    conn: &mut DbConnection,
    buyer: &UserId,
    form: &CheckoutForm,
    currency: &str,
    at: NaiveDateTime,
) -> Result<Vec<Order>> {
    // The key is claimed before the cart is read: a twin submit waits here until this checkout
    // has committed (or failed), then answers with its orders instead of finding an empty cart.
    let key = IdempotencyKey::parse(&form.key).ok_or_else(|| invalid("key", FORM_OUT_OF_DATE))?;
    match idempotency::claim(conn, CHECKOUT, &key, buyer.as_str(), at) {
        Ok(Claim::First) => {}
        Ok(Claim::Repeat(_)) => return Ok(repo::orders_by_key(conn, buyer, key.as_str())?),
        Err(ClaimError::Reused) => return Err(invalid("key", FORM_OUT_OF_DATE)),
        Err(ClaimError::Db(e)) => return Err(e.into()),
    }
    let checked = check_form(conn, form, at)?;
    let plan = checkout_plan(conn, buyer, currency)?;
    if plan.cart.is_empty() {
        return Err(Refusal::EmptyCart.into());
    }
    if let Some(problem) = plan.problems.into_iter().next() {
        return Err(problem.into());
    }
    if plan.cart.quote() != form.quote {
        return Err(Refusal::Changed.into());
    }
    let address = accounts::delivery_address_id(conn, buyer, &form.address, at)?;
    let mut placed = Vec::with_capacity(plan.groups.len());
    for group in &plan.groups {
        placed.push(place_one(conn, buyer, group, &checked, &address, &key, at)?);
    }
    repo::clear_cart(conn, buyer)?;
    let numbers: Vec<&str> = placed.iter().map(|o| o.number.as_str()).collect();
    idempotency::record(conn, CHECKOUT, &key, &numbers.join(" "))?;
    Ok(placed)
}

fn place_one(
    conn: &mut DbConnection,
    buyer: &UserId,
    group: &OfficeGroup,
    form: &CheckedForm,
    address: &DeliveryAddressId,
    key: &IdempotencyKey,
    at: NaiveDateTime,
) -> Result<Order> {
    let mut order = Order {
        id: OrderId::new(),
        number: rules::new_order_number(),
        buyer_id: buyer.clone(),
        office_id: group.office.id.clone(),
        state: OrderState::Placed,
        payment: form.payment,
        check_code: None,
        carrier_code: form.carrier.code.clone(),
        total: group.total(),
        currency: group.currency(),
        delivery_address_id: address.clone(),
        delivery_wish: form.wish.clone(),
        needs_approval: false,
        cash_collected: None,
        idempotency_key: key.to_string(),
        created_at: at,
        updated_at: at,
    };
    repo::insert_order(conn, &order)?;
    let mut items = Vec::with_capacity(group.rows.len());
    // Offers are locked in one order (by ID) by every checkout and cancellation, so two of them
    // over the same offers can never wait for each other on PostgreSQL.
    let mut rows: Vec<&CartRow> = group.rows.iter().collect();
    rows.sort_by_key(|r| r.offer.as_ref().map(|o| o.offer.id.clone()));
    for row in rows {
        let Some(o) = &row.offer else { return Err(Refusal::Withdrawn { name: row.name().to_owned() }.into()) };
        if !catalog::take_stock(conn, &o.offer.id, row.line.quantity, at)? {
            let left = catalog::offers_to_buy(conn, None, std::slice::from_ref(&o.offer.code))?
                .first()
                .map_or(0, |now| now.offer.stock);
            return Err(Refusal::SoldOut { name: row.name().to_owned(), left }.into());
        }
        items.push(OrderItem {
            order_id: order.id.clone(),
            offer_id: o.offer.id.clone(),
            offer_code: o.offer.code.clone(),
            seller_id: o.offer.seller_id.clone(),
            kind: o.kind_name.clone(),
            maker: o.product.maker.clone(),
            model: o.product.model.clone(),
            name: o.product.name.clone(),
            quantity: row.line.quantity,
            unit_price: o.price,
            list_price: o.offer.price,
        });
    }
    repo::insert_items(conn, &items)?;
    order.needs_approval = !approving_makers(conn, &items)?.is_empty();
    if form.payment == Payment::Echeck {
        let request = echeck::IssueRequest {
            buyer: buyer.clone(),
            office_code: group.office.code.clone(),
            carrier_code: form.carrier.code.clone(),
            amount: order.total,
            currency: order.currency.clone(),
            reference: format!("order {}", order.number),
            idempotency_key: key.part(&group.office.code),
        };
        order.check_code = Some(echeck::issue(conn, &request, at)?.code);
    }
    repo::complete_order(conn, &order.id, order.check_code.as_deref(), order.needs_approval)?;
    let note = match &order.check_code {
        Some(code) => format!("Placed; paid by e-check {code}"),
        None => "Placed; cash on delivery".to_owned(),
    };
    event(conn, &order, OrderState::Placed, Some(buyer), Actor::Buyer, &note, at)?;
    Ok(order)
}

/// The makers of these items whose goods need their approval of each order.
fn approving_makers(conn: &mut DbConnection, items: &[OrderItem]) -> Result<Vec<String>> {
    let mut names: Vec<String> = items.iter().map(|i| i.maker.clone()).collect();
    names.sort();
    names.dedup();
    Ok(repo::approving_makers(conn, &names)?)
}

fn event(
    conn: &mut DbConnection,
    order: &Order,
    state: OrderState,
    actor: Option<&UserId>,
    role: Actor,
    note: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let row = OrderEvent {
        id: OrderEventId::new(),
        order_id: order.id.clone(),
        state,
        actor_id: actor.cloned(),
        actor_role: role,
        note: note.to_owned(),
        at,
    };
    repo::insert_event(conn, &row)?;
    Ok(())
}

// ---- the order's life ----

/// Who asks about or acts on an order. An order that is not theirs is answered as not found.
#[derive(Clone, Copy, Debug)]
pub enum Who<'a> {
    Buyer(&'a UserId),
    Seller(&'a UserId),
    Maker(&'a UserId),
    Carrier(&'a UserId),
    /// The shop itself, or an administrator.
    Shop,
}

impl Who<'_> {
    fn actor(&self) -> Actor {
        match self {
            Who::Buyer(_) => Actor::Buyer,
            Who::Seller(_) => Actor::Seller,
            Who::Maker(_) => Actor::Maker,
            Who::Carrier(_) => Actor::Carrier,
            Who::Shop => Actor::Shop,
        }
    }

    fn user(&self) -> Option<&UserId> {
        match self {
            Who::Buyer(u) | Who::Seller(u) | Who::Maker(u) | Who::Carrier(u) => Some(u),
            Who::Shop => None,
        }
    }
}

/// The order with this number if `who` has a part in it.
fn order_for(conn: &mut DbConnection, number: &str, who: Who<'_>) -> Result<Order> {
    let number = rules::normalize_order_number(number).ok_or(OrderError::NotFound)?;
    let order = repo::order_by_number(conn, &number)?.ok_or(OrderError::NotFound)?;
    let theirs = match who {
        Who::Buyer(user) => order.buyer_id == *user,
        Who::Seller(user) => echeck::office_of(conn, user)?.is_some_and(|o| o.id == order.office_id),
        Who::Maker(user) => match repo::maker_of(conn, user)? {
            Some(maker) => repo::approvals_of(conn, &order.id)?.iter().any(|a| a.maker == maker),
            None => false,
        },
        // The carrier chosen at checkout sees the order once the goods are handed over.
        Who::Carrier(user) => {
            matches!(order.state, OrderState::Shipped | OrderState::Delivered)
                && echeck::carrier_of(conn, user)?.is_some_and(|c| c.code == order.carrier_code)
        }
        Who::Shop => true,
    };
    if !theirs {
        return Err(OrderError::NotFound);
    }
    Ok(order)
}

/// Moves the order one step, or says why not; records the event.
fn advance(
    conn: &mut DbConnection,
    order: &Order,
    step: Step,
    who: Who<'_>,
    note: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let to = rules::next(order.state, order.needs_approval, step, who.actor())?;
    if repo::set_state(conn, &order.id, order.state, to, at)? != 1 {
        return Err(Refusal::Step("Someone changed this order a moment ago. Look at it again.").into());
    }
    event(conn, order, to, who.user(), who.actor(), note, at)?;
    Ok(Order { state: to, updated_at: at, ..order.clone() })
}

fn office_of_order(conn: &mut DbConnection, order: &Order) -> Result<Office> {
    echeck::offices_by_ids(conn, std::slice::from_ref(&order.office_id))?.into_iter().next().ok_or(OrderError::NotFound)
}

/// Writes the confirmation or cancellation e-mails to the buyer and the salespeople.
fn announce(
    conn: &mut DbConnection,
    order: &Order,
    items: &[OrderItem],
    kind: MailKind<'_>,
    at: NaiveDateTime,
) -> Result<()> {
    let office = office_of_order(conn, order)?;
    let buyer = find(conn, &order.buyer_id)?;
    let mut sellers: Vec<UserId> = items.iter().map(|i| i.seller_id.clone()).collect();
    sellers.sort();
    sellers.dedup();
    let sellers = accounts::users_of(conn, &sellers)?;
    let mails = mail::order_mails(order, items, &office, &buyer, &sellers, kind);
    notify::enqueue(conn, &mails, at)?;
    Ok(())
}

fn find(conn: &mut DbConnection, id: &UserId) -> Result<User> {
    accounts::find_user(conn, id)?.ok_or(OrderError::NotFound)
}

/// The salesperson confirms the price. Orders of makers that require approval then wait for them;
/// the others are confirmed to buyer and salesperson by e-mail.
pub fn confirm(conn: &mut DbConnection, number: &str, seller: &UserId, at: NaiveDateTime) -> Result<Order> {
    let mut order = order_for(conn, number, Who::Seller(seller))?;
    // The makers' settings as they are now decide whether approval is needed.
    let items = repo::items_of(conn, &order.id)?;
    let makers = approving_makers(conn, &items)?;
    order.needs_approval = !makers.is_empty();
    let note = if makers.is_empty() {
        "Price confirmed".to_owned()
    } else {
        format!("Price confirmed; waiting for the approval of {}", makers.join(", "))
    };
    let order = advance(conn, &order, Step::Confirm, Who::Seller(seller), &note, at)?;
    repo::set_needs_approval(conn, &order.id, order.needs_approval)?;
    if makers.is_empty() {
        announce(conn, &order, &items, MailKind::Confirmation, at)?;
    } else {
        let rows: Vec<Approval> = makers
            .into_iter()
            .map(|maker| Approval {
                order_id: order.id.clone(),
                maker,
                state: Decision::Pending,
                actor_id: None,
                decided_at: None,
            })
            .collect();
        repo::insert_approvals(conn, &rows)?;
    }
    Ok(order)
}

/// A maker approves an order of its goods; when every maker asked has approved, the order is
/// approved and confirmed to buyer and salesperson by e-mail.
pub fn approve(conn: &mut DbConnection, number: &str, user: &UserId, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, Who::Maker(user))?;
    rules::next(order.state, order.needs_approval, Step::Approve, Actor::Maker)?;
    let maker = repo::maker_of(conn, user)?.ok_or(OrderError::NotFound)?;
    if repo::decide_approval(conn, &order.id, &maker, Decision::Approved, user, at)? != 1 {
        return Err(Refusal::Step("Your company decided on this order already.").into());
    }
    if repo::pending_approvals(conn, &order.id)? > 0 {
        event(conn, &order, order.state, Some(user), Actor::Maker, &format!("Approved by {maker}"), at)?;
        return Ok(order);
    }
    let order = advance(conn, &order, Step::Approve, Who::Maker(user), &format!("Approved by {maker}"), at)?;
    let items = repo::items_of(conn, &order.id)?;
    announce(conn, &order, &items, MailKind::Confirmation, at)?;
    Ok(order)
}

/// A maker rejects an order of its goods: it is cancelled with the maker's reason.
pub fn reject(conn: &mut DbConnection, number: &str, user: &UserId, reason: &str, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, Who::Maker(user))?;
    let reason = check_reason(reason)?;
    rules::next(order.state, order.needs_approval, Step::Cancel, Actor::Maker)?;
    let maker = repo::maker_of(conn, user)?.ok_or(OrderError::NotFound)?;
    if repo::decide_approval(conn, &order.id, &maker, Decision::Rejected, user, at)? != 1 {
        return Err(Refusal::Step("Your company decided on this order already.").into());
    }
    cancel_order(conn, &order, Who::Maker(user), &format!("Rejected by {maker}: {reason}"), at)
}

fn check_reason(reason: &str) -> Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "Say why, for the buyer and the records."));
    }
    if reason.chars().count() > 500 || reason.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(invalid("reason", "Keep the reason under 500 characters of plain text."));
    }
    Ok(reason.to_owned())
}

/// Cancels an order before it ships: stock goes back, the check is voided, buyer and
/// salesperson get the cancellation e-mail with the reason. Buyers need not give a reason.
pub fn cancel(conn: &mut DbConnection, number: &str, who: Who<'_>, reason: &str, at: NaiveDateTime) -> Result<Order> {
    let order = order_for(conn, number, who)?;
    let reason = match who {
        Who::Buyer(_) if reason.trim().is_empty() => "Cancelled by the buyer".to_owned(),
        _ => check_reason(reason)?,
    };
    cancel_order(conn, &order, who, &reason, at)
}

fn cancel_order(
    conn: &mut DbConnection,
    order: &Order,
    who: Who<'_>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = advance(conn, order, Step::Cancel, who, reason, at)?;
    let mut items = repo::items_of(conn, &order.id)?;
    items.sort_by(|a, b| a.offer_id.cmp(&b.offer_id)); // the lock order of checkouts
    for item in &items {
        catalog::return_stock(conn, &item.offer_id, item.quantity, at)?;
    }
    if let Some(code) = &order.check_code {
        match echeck::void(conn, code, Party::Operator, who.user(), reason, at) {
            Ok(_) => {}
            // An expired check has released its hold already.
            Err(EcheckError::Refused(echeck::Refusal::CheckExpired)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    announce(conn, &order, &items, MailKind::Cancellation(reason), at)?;
    Ok(order)
}

/// The salesperson hands the order to a registered carrier: the carrier gets the delivery
/// instruction and, for an e-check order, payment is demanded.
pub fn ship(
    conn: &mut DbConnection,
    number: &str,
    seller: &UserId,
    carrier_code: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = order_for(conn, number, Who::Seller(seller))?;
    rules::next(order.state, order.needs_approval, Step::Ship, Actor::Seller)?;
    let carrier = match echeck::carrier(conn, carrier_code.trim()) {
        Ok(c) if c.is_active() => c,
        Ok(_) => return Err(invalid("carrier", "This carrier takes no orders at the moment. Choose another.")),
        Err(EcheckError::NotFound) => return Err(invalid("carrier", "Choose a carrier from the list.")),
        Err(e) => return Err(e.into()),
    };
    let office = office_of_order(conn, &order)?;
    let mut note = format!("Handed to {}", carrier.name);
    if let Some(code) = &order.check_code {
        echeck::change_carrier(conn, code, &office.id, &carrier.code, Some(seller), at)?;
        let check = echeck::demand_payment(conn, code, &office.id, None, Some(seller), at)?;
        note.push_str(&format!(
            "; payment of {} demanded on e-check {code}",
            check.paid_amount.unwrap_or(check.amount)
        ));
    }
    repo::set_carrier(conn, &order.id, &carrier.code)?;
    let order = Order { carrier_code: carrier.code.clone(), ..order };
    let order = advance(conn, &order, Step::Ship, Who::Seller(seller), &note, at)?;
    instruct_carrier(conn, &order, &office, &carrier, at)?;
    Ok(order)
}

/// The delivery instruction (seed 003): to everyone who works for the carrier.
fn instruct_carrier(
    conn: &mut DbConnection,
    order: &Order,
    office: &Office,
    carrier: &Carrier,
    at: NaiveDateTime,
) -> Result<()> {
    let items = repo::items_of(conn, &order.id)?;
    let buyer = find(conn, &order.buyer_id)?;
    let address = accounts::delivery_address(conn, &order.delivery_address_id)?.unwrap_or_default();
    let people = echeck::carrier_staff(conn, &carrier.id)?;
    let staff = accounts::users_of(conn, &people)?;
    let mails = mail::delivery_instruction(order, &items, office, &buyer.personal.full_name, &address, &staff);
    notify::enqueue(conn, &mails, at)?;
    Ok(())
}

/// The carrier reports the delivery (for cash on delivery, with the cash collected); the
/// e-check records it.
pub fn deliver(
    conn: &mut DbConnection,
    number: &str,
    user: &UserId,
    cash: &str,
    report: &str,
    at: NaiveDateTime,
) -> Result<Order> {
    let order = order_for(conn, number, Who::Carrier(user))?;
    rules::next(order.state, order.needs_approval, Step::Deliver, Actor::Carrier)?;
    let carrier = echeck::carrier_of(conn, user)?.ok_or(OrderError::NotFound)?;
    let report = report.trim();
    if report.chars().count() > 500 {
        return Err(invalid("report", "Keep the report under 500 characters."));
    }
    let mut note = if report.is_empty() { "Delivered".to_owned() } else { format!("Delivered: {report}") };
    match &order.check_code {
        Some(code) => {
            echeck::record_delivery(conn, code, &carrier.id, report, Some(user), at)?;
        }
        None => {
            let collected = crate::money::parse(cash, &order.currency).map_err(|e| invalid("cash", e))?;
            if collected != order.total {
                return Err(Refusal::CashMismatch(crate::money::format(order.total, &order.currency)).into());
            }
            repo::set_cash_collected(conn, &order.id, collected)?;
            note.push_str(&format!("; {} collected in cash", crate::money::format(collected, &order.currency)));
        }
    }
    advance(conn, &order, Step::Deliver, Who::Carrier(user), &note, at)
}

/// The orders' periodic work: orders nobody confirmed within `confirm_within` are cancelled.
pub fn jobs(confirm_within: std::time::Duration) -> Vec<Job> {
    vec![Job::write("cancel orders nobody confirmed in time", std::time::Duration::from_secs(60), move |c| {
        cancel_unconfirmed(c, confirm_within, crate::db::now(), 100)
    })]
}

/// Cancels orders placed longer than `max_age` ago whose price nobody confirmed; returns how many.
pub fn cancel_unconfirmed(
    conn: &mut DbConnection,
    max_age: std::time::Duration,
    at: NaiveDateTime,
    limit: i64,
) -> Result<usize> {
    let age = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::hours(48));
    let hours = age.num_hours();
    let due = repo::unconfirmed_before(conn, at - age, limit)?;
    for order in &due {
        let reason = format!("The price was not confirmed within {hours} hours");
        cancel_order(conn, order, Who::Shop, &reason, at)?;
    }
    Ok(due.len())
}

// ---- what the pages show ----

/// An order with everything its page shows. `address` and `buyer_name` only for those who
/// deliver or sell it, and the buyer.
#[derive(Clone, Debug)]
pub struct OrderDetails {
    pub order: Order,
    pub items: Vec<OrderItem>,
    pub events: Vec<OrderEvent>,
    pub approvals: Vec<Approval>,
    pub office: Office,
    /// The carrier's name (the code when the carrier left the registry).
    pub carrier: String,
    pub address: Option<String>,
    pub buyer_name: Option<String>,
}

pub fn details(conn: &mut DbConnection, number: &str, who: Who<'_>) -> Result<OrderDetails> {
    let order = order_for(conn, number, who)?;
    let items = repo::items_of(conn, &order.id)?;
    let events = repo::events_of(conn, &order.id)?;
    let approvals = repo::approvals_of(conn, &order.id)?;
    let office = office_of_order(conn, &order)?;
    let carrier = match echeck::carrier(conn, &order.carrier_code) {
        Ok(c) => c.name,
        Err(EcheckError::NotFound) => order.carrier_code.clone(),
        Err(e) => return Err(e.into()),
    };
    // Makers approve goods; they have no business with the buyer's name or address.
    let (address, buyer_name) = match who {
        Who::Maker(_) => (None, None),
        _ => (
            accounts::delivery_address(conn, &order.delivery_address_id)?,
            Some(find(conn, &order.buyer_id)?.personal.full_name),
        ),
    };
    Ok(OrderDetails { order, items, events, approvals, office, carrier, address, buyer_name })
}

/// An order in a list, with its items.
#[derive(Clone, Debug)]
pub struct OrderLine {
    pub order: Order,
    pub items: Vec<OrderItem>,
}

fn with_items(conn: &mut DbConnection, orders: Vec<Order>) -> Result<Vec<OrderLine>> {
    let ids: Vec<OrderId> = orders.iter().map(|o| o.id.clone()).collect();
    let mut items = if ids.is_empty() { Vec::new() } else { repo::items_of_many(conn, &ids)? };
    Ok(orders
        .into_iter()
        .map(|order| {
            let (mine, rest): (Vec<OrderItem>, Vec<OrderItem>) = items.drain(..).partition(|i| i.order_id == order.id);
            items = rest;
            OrderLine { order, items: mine }
        })
        .collect())
}

pub const ORDERS_PAGE: i64 = 20;

/// A page of a shopper's orders, newest first.
pub fn orders_of_buyer(conn: &mut DbConnection, buyer: &UserId, pager: Pager) -> Result<Paged<OrderLine>> {
    let orders = repo::orders_of_buyer(conn, buyer, pager.offset(), pager.fetch())?;
    Ok(pager.split(with_items(conn, orders)?))
}

/// The orders of the salesperson's selling office (None: the salesperson belongs to none).
pub fn orders_of_office(
    conn: &mut DbConnection,
    seller: &UserId,
    state: Option<OrderState>,
    pager: Pager,
) -> Result<Option<(Office, Paged<OrderLine>)>> {
    let Some(office) = echeck::office_of(conn, seller)? else { return Ok(None) };
    let orders = repo::orders_of_office(conn, &office.id, state, pager.offset(), pager.fetch())?;
    Ok(Some((office, pager.split(with_items(conn, orders)?))))
}

/// Orders waiting for the maker's approval (None: the user acts for no maker).
pub fn awaiting_approval(conn: &mut DbConnection, user: &UserId) -> Result<Option<(String, Vec<OrderLine>)>> {
    let Some(maker) = repo::maker_of(conn, user)? else { return Ok(None) };
    let orders = repo::awaiting_maker(conn, &maker)?;
    Ok(Some((maker, with_items(conn, orders)?)))
}

/// A shipment as the carrier sees it: where to and to whom.
#[derive(Clone, Debug)]
pub struct Shipment {
    pub line: OrderLine,
    pub buyer_name: String,
    pub address: String,
}

/// A carrier's shipments: those to deliver, and the latest delivered.
#[derive(Clone, Debug)]
pub struct CarrierWork {
    pub carrier: Carrier,
    pub open: Vec<Shipment>,
    pub delivered: Vec<Shipment>,
}

/// The carrier's shipments (None: the user works for no carrier).
pub fn shipments(conn: &mut DbConnection, user: &UserId) -> Result<Option<CarrierWork>> {
    let Some(carrier) = echeck::carrier_of(conn, user)? else { return Ok(None) };
    let mut lists = Vec::new();
    for (state, limit) in [(OrderState::Shipped, 500), (OrderState::Delivered, 50)] {
        let orders = repo::orders_of_carrier(conn, &carrier.code, &[state.as_str()], limit)?;
        let buyers: Vec<UserId> = orders.iter().map(|o| o.buyer_id.clone()).collect();
        let places: Vec<DeliveryAddressId> = orders.iter().map(|o| o.delivery_address_id.clone()).collect();
        let (names, addresses) = (accounts::names_of(conn, &buyers)?, accounts::delivery_addresses(conn, &places)?);
        let shipments = with_items(conn, orders)?
            .into_iter()
            .map(|line| Shipment {
                buyer_name: names.get(&line.order.buyer_id).cloned().unwrap_or_default(),
                address: addresses.get(&line.order.delivery_address_id).cloned().unwrap_or_default(),
                line,
            })
            .collect();
        lists.push(shipments);
    }
    let delivered = lists.pop().unwrap_or_default();
    let open = lists.pop().unwrap_or_default();
    Ok(Some(CarrierWork { carrier, open, delivered }))
}

// ---- makers ----

/// Who acts for which maker.
pub type MakerStaff = Vec<(User, String)>;

/// The makers known to the order flow and who acts for them.
pub fn makers(conn: &mut DbConnection) -> Result<(Vec<Maker>, MakerStaff)> {
    let makers = repo::makers(conn)?;
    let acting = repo::maker_staff(conn)?;
    let mut users = accounts::users_of(conn, &acting.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>())?;
    let staff = acting
        .into_iter()
        .filter_map(|(id, maker)| {
            let at = users.iter().position(|u| u.id == id)?;
            Some((users.swap_remove(at), maker))
        })
        .collect();
    Ok((makers, staff))
}

/// Sets whether a maker's goods need its approval of each order (the name as products spell it).
pub fn set_maker(conn: &mut DbConnection, name: &str, requires_approval: bool, at: NaiveDateTime) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "Enter the maker's name as its products give it."));
    }
    repo::put_maker(conn, &Maker { name: name.to_owned(), requires_approval, updated_at: at })?;
    Ok(())
}

/// Lets a user with the maker role act for a maker.
pub fn add_maker_staff(conn: &mut DbConnection, maker: &str, email: &str, at: NaiveDateTime) -> Result<()> {
    let user = accounts::find_user_by_email(conn, email)?
        .ok_or_else(|| invalid("email", "No user has this e-mail address."))?;
    if !user.has_role(accounts::Role::Maker) {
        return Err(invalid("email", "This user does not have the maker role. Grant it first."));
    }
    if !repo::makers(conn)?.iter().any(|m| m.name == maker) {
        return Err(OrderError::NotFound);
    }
    repo::put_maker_staff(conn, &user.id, maker, at)?;
    Ok(())
}

pub fn remove_maker_staff(conn: &mut DbConnection, user: &UserId) -> Result<()> {
    repo::delete_maker_staff(conn, user)?;
    Ok(())
}

// ---- for buy-back ----

/// What buy-back learns of a purchase.
#[derive(Clone, Debug)]
pub struct PurchaseFacts {
    pub order_number: String,
    pub buyer: UserId,
    pub bought_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
    pub goods: Vec<PurchasedGood>,
}

#[derive(Clone, Debug)]
pub struct PurchasedGood {
    pub kind: String,
    pub maker: String,
    pub model: String,
    pub offer_code: String,
    pub quantity: i64,
    pub unit_price: i64,
}

/// The goods of a delivered order and its buyer, only when `personal` is what the buyer
/// registered. Every failure is the same `None`: it must not tell which part was wrong.
pub fn purchase_facts(
    conn: &mut DbConnection,
    order_number: &str,
    personal: &PersonalData,
) -> Result<Option<PurchaseFacts>> {
    let Some(number) = rules::normalize_order_number(order_number) else { return Ok(None) };
    let Some(order) = repo::order_by_number(conn, &number)? else { return Ok(None) };
    let buyer = order.buyer_id.clone();
    if order.state != OrderState::Delivered || !accounts::is_same_person(conn, &buyer, personal)? {
        return Ok(None);
    }
    let delivered_at = repo::events_of(conn, &order.id)?
        .iter()
        .rev()
        .find(|e| e.state == OrderState::Delivered)
        .map_or(order.updated_at, |e| e.at);
    let goods = repo::items_of(conn, &order.id)?
        .into_iter()
        .map(|i| PurchasedGood {
            kind: i.kind,
            maker: i.maker,
            model: i.model,
            offer_code: i.offer_code,
            quantity: i.quantity,
            unit_price: i.unit_price,
        })
        .collect();
    Ok(Some(PurchaseFacts { order_number: order.number, buyer, bought_at: order.created_at, delivered_at, goods }))
}
