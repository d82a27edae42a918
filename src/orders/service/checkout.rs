//! Checkout: the cart placed as one order per selling office, all of it or nothing, once per form.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, Actor, OrderState, Refusal};
use super::cart::{Cart, CartRow, price_cart};
use super::lifecycle::{approving_makers, event};
use super::{OrderError, Result, invalid};
use crate::accounts::{self, DeliveryAddressId, UserId};
use crate::catalog;
use crate::collection;
use crate::db::DbConnection;
use crate::echeck::{self, Carrier, EcheckError, Office};
use crate::web::forms::FieldErrors;
use crate::web::idempotency::{self, Claim, ClaimError, IdempotencyKey};

/// The scope of a checkout's idempotency key.
const CHECKOUT: &str = "checkout";
const FORM_OUT_OF_DATE: &str = "The form is out of date. Reload the page.";

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
    /// What the shopper can pay by e-check now (see `echeck::available_credit`), where the page
    /// shows it; placing the orders checks the credit itself.
    pub credit: Option<i64>,
    /// The collection points the shopper may use on this checkout, where the page shows them.
    pub points: Option<collection::PointsOffer>,
}

impl CheckoutPlan {
    /// Whether the e-check credit covers the whole cart (as far as the plan knows).
    pub fn credit_covers(&self) -> bool {
        self.credit.is_none_or(|credit| credit >= self.cart.total())
    }
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
    Ok(CheckoutPlan { cart, groups: groups.into_values().collect(), problems, credit: None, points: None })
}

/// The carriers that take orders now, for the checkout's and the seller's choice.
pub fn active_carriers(conn: &mut DbConnection) -> Result<Vec<Carrier>> {
    Ok(echeck::carriers(conn)?.into_iter().filter(Carrier::is_active).collect())
}

/// What the checkout page shows: the plan of the orders it will place, and the carriers.
pub fn checkout_view(conn: &mut DbConnection, user: &UserId, currency: &str) -> Result<(CheckoutPlan, Vec<Carrier>)> {
    let at = crate::db::now();
    let credit = echeck::available_credit(conn, user, at)?;
    let plan = checkout_plan(conn, user, currency)?;
    let totals: Vec<i64> = plan.groups.iter().map(OfficeGroup::total).collect();
    let points = match collection::points_offer(conn, user, &totals, currency, at)? {
        Some(offer) => payable_points(conn, offer)?,
        None => None,
    };
    Ok((CheckoutPlan { credit: Some(credit), points, ..plan }, active_carriers(conn)?))
}

/// The points offer cut to what the shop's account can pay the sellers now (none when it can pay
/// nothing). Checked here, where the page is drawn, rather than under the writer at placing: the
/// sellers' payment is made sure of at shipping, where a shop account that cannot pay stops it.
fn payable_points(conn: &mut DbConnection, offer: collection::PointsOffer) -> Result<Option<collection::PointsOffer>> {
    let platform = echeck::platform(conn)?;
    let spare = (platform.balance + platform.credit_line - platform.held).max(0);
    let most = offer.most.min(spare / offer.point_value.max(1));
    Ok((most > 0).then_some(collection::PointsOffer { most, ..offer }))
}

/// The checkout form as sent.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    pub address: String,
    pub date: String,
    pub slot: String,
    pub payment: String,
    pub carrier: String,
    /// Collection points to use (empty: none).
    pub points: String,
    /// The fingerprint of the cart the shopper saw.
    pub quote: String,
    /// One per checkout page: a second submit of the same form finds the orders the first made.
    pub key: String,
}

/// Its personal data never reaches a log line.
impl std::fmt::Debug for CheckoutForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutForm")
            .field("payment", &self.payment)
            .field("carrier", &self.carrier)
            .finish_non_exhaustive()
    }
}

struct CheckedForm {
    payment: Payment,
    carrier: Carrier,
    wish: String,
    points: i64,
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
    let points = collection::rules::parse_points(&form.points).unwrap_or_else(|message| {
        errors.add("points", message);
        0
    });
    match (payment, carrier) {
        (Some(payment), Some(carrier)) if errors.is_empty() => Ok(CheckedForm { payment, carrier, wish, points }),
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
    let (mut held, points) = split_points(conn, buyer, &plan.groups, checked.points, currency)?;
    let mut placed = Vec::with_capacity(plan.groups.len());
    for (group, points) in plan.groups.iter().zip(points) {
        let redeem = held.as_mut().map(|held| (held, points));
        placed.push(place_one(conn, buyer, group, &checked, &address, &key, redeem, at)?);
    }
    repo::clear_cart(conn, buyer)?;
    let numbers: Vec<&str> = placed.iter().map(|o| o.number.as_str()).collect();
    idempotency::record(conn, CHECKOUT, &key, &numbers.join(" "))?;
    Ok(placed)
}

/// The points each order of the checkout uses, with the member held for redeeming them (and what
/// a point is worth): refused when they do not fit the orders. Whether the shop's account can pay
/// the sellers the reduction is checked on the checkout page and again at shipping.
fn split_points(
    conn: &mut DbConnection,
    buyer: &UserId,
    groups: &[OfficeGroup],
    points: i64,
    currency: &str,
) -> Result<(Option<collection::HeldForPoints>, Vec<i64>)> {
    if points == 0 {
        return Ok((None, vec![0; groups.len()]));
    }
    let held = collection::hold_for_points(conn, buyer, currency)?;
    let value = held.point_value;
    let totals: Vec<i64> = groups.iter().map(OfficeGroup::total).collect();
    let Some(split) = collection::rules::split_points(points, &totals, value) else {
        let available = held.available(crate::db::now());
        let most = collection::rules::most_redeemable(available, &totals, value);
        return Err(invalid("points", format!("At most {most} points can be used on this order.")));
    };
    Ok((Some(held), split))
}

#[allow(clippy::too_many_arguments)]
fn place_one(
    conn: &mut DbConnection,
    buyer: &UserId,
    group: &OfficeGroup,
    form: &CheckedForm,
    address: &DeliveryAddressId,
    key: &IdempotencyKey,
    redeem: Option<(&mut collection::HeldForPoints, i64)>,
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
        points_used: redeem.as_ref().map_or(0, |(_, points)| *points),
        discount: redeem.as_ref().map_or(0, |(held, points)| points * held.point_value),
    };
    repo::insert_order(conn, &order)?;
    if let Some((held, points)) = redeem {
        collection::redeem_held(conn, held, points, order.id.as_str(), &order.number, at)?;
    }
    let mut items = Vec::with_capacity(group.rows.len());
    let mut lines = Vec::with_capacity(group.rows.len());
    for row in &group.rows {
        let Some(o) = &row.offer else { return Err(Refusal::Withdrawn { name: row.name().to_owned() }.into()) };
        lines.push(catalog::StockLine { offer: o.offer.id.clone(), quantity: row.line.quantity });
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
    // The catalog holds offers in one order in every checkout and cancellation, so two of them
    // over the same offers never wait for each other on PostgreSQL.
    if let Some(short) = catalog::take_stock(conn, &lines, at)? {
        let (name, code) = group
            .rows
            .iter()
            .find_map(|r| {
                r.offer.as_ref().filter(|o| o.offer.id == short).map(|o| (r.name().to_owned(), o.offer.code.clone()))
            })
            .unwrap_or_default();
        let left =
            catalog::offers_to_buy(conn, None, std::slice::from_ref(&code))?.first().map_or(0, |now| now.offer.stock);
        return Err(Refusal::SoldOut { name, left }.into());
    }
    repo::insert_items(conn, &items)?;
    order.needs_approval = !approving_makers(conn, &items)?.is_empty();
    // An order paid in full with points needs no check.
    if form.payment == Payment::Echeck && order.amount_due() > 0 {
        let request = echeck::IssueRequest {
            buyer: buyer.clone(),
            office_code: group.office.code.clone(),
            carrier_code: form.carrier.code.clone(),
            amount: order.amount_due(),
            currency: order.currency.clone(),
            reference: format!("order {}", order.number),
            idempotency_key: key.part(&group.office.code),
        };
        order.check_code = Some(echeck::issue(conn, &request, at)?.code);
    }
    repo::complete_order(conn, &order.id, order.check_code.as_deref(), order.needs_approval)?;
    let mut note = match (&order.check_code, order.payment) {
        (Some(code), _) => format!("Placed; paid by e-check {code}"),
        (None, Payment::Echeck) => "Placed; paid with points".to_owned(),
        (None, _) => "Placed; cash on delivery".to_owned(),
    };
    if order.points_used > 0 {
        note.push_str(&format!(
            "; {} points used, {} off",
            order.points_used,
            crate::money::format(order.discount, &order.currency)
        ));
    }
    event(conn, &order, OrderState::Placed, Some(buyer), Actor::Buyer, &note, at)?;
    Ok(order)
}
