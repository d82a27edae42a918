//! Templates of the cart, checkout and order pages, and the helpers they use.

use askama::Template;

use super::model::*;
use super::rules::{self, OrderState};
use super::service::{Cart, CartRow, CheckoutForm, CheckoutPlan, OrderDetails, OrderLine, Shipment};
use crate::accounts::User;
use crate::catalog::OfferToBuy;
use crate::echeck::Carrier;
use crate::money;
use crate::web::forms::FieldErrors;
use crate::web::layout::Layout;
use crate::web::pager::Paged;
use crate::web::when;

impl OrderState {
    /// The CSS class of the state's tag.
    pub fn tone(self) -> &'static str {
        match self {
            OrderState::Delivered | OrderState::Shipped => "good",
            OrderState::Cancelled => "bad",
            _ => "",
        }
    }
}

impl Order {
    pub fn total_text(&self) -> String {
        money::format(self.total, &self.currency)
    }

    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.currency)
    }

    pub fn placed(&self) -> String {
        when(self.created_at)
    }

    pub fn payment_text(&self) -> String {
        match (self.payment, &self.check_code) {
            (Payment::Echeck, Some(code)) => format!("E-check {code}"),
            (p, _) => p.label().to_owned(),
        }
    }

    pub fn may_cancel(&self) -> bool {
        matches!(self.state, OrderState::Placed | OrderState::PriceConfirmed | OrderState::Approved)
    }

    pub fn may_ship(&self) -> bool {
        match self.state {
            OrderState::Approved => true,
            OrderState::PriceConfirmed => !self.needs_approval,
            _ => false,
        }
    }

    pub fn awaits_maker(&self) -> bool {
        self.state == OrderState::PriceConfirmed && self.needs_approval
    }
}

impl OrderEvent {
    pub fn when(&self) -> String {
        when(self.at)
    }

    pub fn state_label(&self) -> &'static str {
        self.state.label()
    }
}

impl OrderLine {
    /// "2 × Toner TN-2420, 1 × ..." for lists.
    pub fn summary(&self) -> String {
        self.items.iter().map(|i| format!("{} × {}", i.quantity, i.name)).collect::<Vec<_>>().join(", ")
    }
}

impl CartRow {
    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        let currency = self.offer.as_ref().map_or("", |o| o.offer.currency.as_str());
        money::format(*amount.borrow(), currency)
    }
}

impl Cart {
    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.currency)
    }
}

#[derive(Template)]
#[template(path = "orders/cart.html")]
pub struct CartPage {
    pub l: Layout,
    pub cart: Cart,
    pub logged_in: bool,
    /// The line whose quantity came back with a message, with the value typed.
    pub bad_line: Option<(String, String, String)>,
}

impl CartPage {
    pub fn items_text(&self) -> String {
        crate::web::text::count(self.cart.units(), "item", "items")
    }

    /// The quantity field's value and message for a line.
    pub fn quantity_of(&self, row: &CartRow) -> (String, String) {
        match &self.bad_line {
            Some((code, typed, message)) if *code == row.line.offer_code => (typed.clone(), message.clone()),
            _ => (row.line.quantity.to_string(), String::new()),
        }
    }
}

#[derive(Template)]
#[template(path = "orders/add.html")]
pub struct AddPage {
    pub l: Layout,
    pub offer: OfferToBuy,
    pub quantity: String,
    pub errors: FieldErrors,
}

impl AddPage {
    pub fn price_text(&self) -> String {
        money::format(self.offer.price, &self.offer.offer.currency)
    }
}

#[derive(Template)]
#[template(path = "orders/checkout.html")]
pub struct CheckoutPage {
    pub l: Layout,
    pub plan: CheckoutPlan,
    pub form: CheckoutForm,
    pub errors: FieldErrors,
    /// A refusal of the whole checkout (a price changed, sold out, the e-check refused).
    pub refusal: Option<String>,
    pub carriers: Vec<Carrier>,
    pub slots: &'static [(&'static str, &'static str)],
}

impl CheckoutPage {
    pub fn new(l: Layout, plan: CheckoutPlan, form: CheckoutForm, carriers: Vec<Carrier>) -> Self {
        CheckoutPage { l, plan, form, errors: FieldErrors::new(), refusal: None, carriers, slots: &rules::SLOTS }
    }

    pub fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        self.plan.cart.m(amount)
    }
}

#[derive(Template)]
#[template(path = "orders/my_orders.html")]
pub struct MyOrdersPage {
    pub l: Layout,
    pub orders: Paged<OrderLine>,
}

/// What each role may do on the order's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Buyer,
    Seller,
}

#[derive(Template)]
#[template(path = "orders/order.html")]
pub struct OrderPage {
    pub l: Layout,
    pub d: OrderDetails,
    pub viewer: Viewer,
    pub carriers: Vec<Carrier>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// Values typed into the page's forms, kept when a form comes back.
    pub reason: String,
    pub carrier: String,
}

impl OrderPage {
    pub fn new(l: Layout, d: OrderDetails, viewer: Viewer) -> Self {
        let carrier = d.order.carrier_code.clone();
        OrderPage {
            l,
            d,
            viewer,
            carriers: Vec::new(),
            errors: FieldErrors::new(),
            refusal: None,
            reason: String::new(),
            carrier,
        }
    }

    pub fn reason_label(&self) -> &'static str {
        if self.is_seller() { "Reason (the buyer reads it)" } else { "Reason (optional)" }
    }

    pub fn is_seller(&self) -> bool {
        self.viewer == Viewer::Seller
    }

    pub fn base(&self) -> String {
        match self.viewer {
            Viewer::Buyer => format!("/orders/{}", self.d.order.number),
            Viewer::Seller => format!("/sell/orders/{}", self.d.order.number),
        }
    }
}

#[derive(Template)]
#[template(path = "orders/sell_orders.html")]
pub struct SellOrdersPage {
    pub l: Layout,
    pub office: Option<crate::echeck::Office>,
    pub orders: Paged<OrderLine>,
    pub state: String,
    pub states: &'static [OrderState],
    /// The office's orders in each state, for the tabs.
    pub counts: Vec<(OrderState, i64)>,
}

impl SellOrdersPage {
    pub fn count_of(&self, state: &OrderState) -> i64 {
        self.counts.iter().filter(|(s, _)| s == state).map(|(_, n)| n).sum()
    }

    pub fn count_all(&self) -> i64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Template)]
#[template(path = "orders/approvals.html")]
pub struct ApprovalsPage {
    pub l: Layout,
    pub maker: Option<String>,
    pub orders: Vec<OrderLine>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// The order whose reject form came back, and the reason typed.
    pub failed: Option<(String, String)>,
}

impl ApprovalsPage {
    pub fn reason_for(&self, number: &str) -> (String, String) {
        match &self.failed {
            Some((n, reason)) if n == number => (reason.clone(), self.errors.get("reason").to_owned()),
            _ => (String::new(), String::new()),
        }
    }
}

#[derive(Template)]
#[template(path = "orders/shipments.html")]
pub struct ShipmentsPage {
    pub l: Layout,
    pub carrier: Option<Carrier>,
    pub open: Vec<Shipment>,
    /// Deliveries of other modules (anonymous parcels for pickup points).
    pub others: Vec<OtherShipment>,
    pub delivered: Vec<Shipment>,
    pub errors: FieldErrors,
    pub refusal: Option<String>,
    /// The shipment whose form came back, with the cash and report typed.
    pub failed: Option<(String, String, String)>,
}

impl ShipmentsPage {
    /// (cash, report, cash message, report message) for a shipment's form.
    pub fn typed(&self, number: &str) -> (String, String, String, String) {
        match &self.failed {
            Some((n, cash, report)) if n == number => {
                (cash.clone(), report.clone(), self.errors.get("cash").to_owned(), self.errors.get("report").to_owned())
            }
            _ => Default::default(),
        }
    }
}

#[derive(Template)]
#[template(path = "orders/admin_makers.html")]
pub struct MakersPage {
    pub l: Layout,
    pub makers: Vec<Maker>,
    pub staff: Vec<(User, String)>,
    pub errors: FieldErrors,
    pub maker_name: String,
    pub email: String,
}
