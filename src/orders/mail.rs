//! The e-mails of an order (seed 002, step S11): confirmation or cancellation to the buyer and the
//! salespeople, with order number, buyer name, order date and time, items, quantities, delivery
//! time, price and the seller's name, address, phone and fax; and the delivery instruction to the
//! carrier (seed 003).

use askama::Template;

use super::model::{Order, OrderItem, Payment};
use crate::accounts::User;
use crate::echeck::Office;
use crate::money;
use crate::notify::NewMail;
use crate::web::when;

#[derive(Clone, Copy, Debug)]
pub enum MailKind<'a> {
    Confirmation,
    Cancellation(&'a str),
}

#[derive(Template)]
#[template(path = "orders/mail_order.txt")]
struct OrderMail<'a> {
    greeting: &'a str,
    cancelled: Option<&'a str>,
    order: &'a Order,
    items: &'a [OrderItem],
    office: &'a Office,
    buyer_name: &'a str,
}

#[derive(Template)]
#[template(path = "orders/mail_delivery.txt")]
struct DeliveryMail<'a> {
    order: &'a Order,
    items: &'a [OrderItem],
    office: &'a Office,
    buyer_name: &'a str,
    address: &'a str,
}

trait Amounts {
    fn order(&self) -> &Order;

    fn m(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        money::format(*amount.borrow(), &self.order().currency)
    }

    fn ordered(&self) -> String {
        when(self.order().created_at)
    }

    fn payment(&self) -> String {
        let order = self.order();
        match (order.payment, &order.check_code) {
            (Payment::Echeck, Some(code)) => format!("e-check {code}"),
            (p, _) => p.label().to_owned(),
        }
    }
}

impl Amounts for OrderMail<'_> {
    fn order(&self) -> &Order {
        self.order
    }
}

impl Amounts for DeliveryMail<'_> {
    fn order(&self) -> &Order {
        self.order
    }
}

fn render(t: &impl Template) -> String {
    // Writing text into a String cannot fail but for a bug in a template; the e-mail still says
    // what it is about then.
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "an e-mail template failed");
        "This e-mail could not be written out; please look at the order in the shop.".to_owned()
    })
}

/// The confirmation or cancellation e-mails: one to the buyer, one to each salesperson.
pub fn order_mails(
    order: &Order,
    items: &[OrderItem],
    office: &Office,
    buyer: &User,
    sellers: &[User],
    kind: MailKind<'_>,
) -> Vec<NewMail> {
    let (subject, topic, cancelled) = match kind {
        MailKind::Confirmation => {
            (format!("Order {} confirmed", order.number), format!("order {} confirmed", order.number), None)
        }
        MailKind::Cancellation(reason) => {
            (format!("Order {} cancelled", order.number), format!("order {} cancelled", order.number), Some(reason))
        }
    };
    let buyer_name = buyer.personal.full_name.as_str();
    let to_buyer = format!("Dear {buyer_name},");
    let mut mails = vec![NewMail {
        to: buyer.email.clone(),
        subject: subject.clone(),
        body: render(&OrderMail { greeting: &to_buyer, cancelled, order, items, office, buyer_name }),
        topic: topic.clone(),
    }];
    for seller in sellers {
        let greeting = format!("Dear {}, this is a copy for the seller.", seller.personal.full_name);
        mails.push(NewMail {
            to: seller.email.clone(),
            subject: subject.clone(),
            body: render(&OrderMail { greeting: &greeting, cancelled, order, items, office, buyer_name }),
            topic: topic.clone(),
        });
    }
    mails
}

#[derive(Template)]
#[template(path = "orders/mail_delivered.txt")]
struct DeliveredMail<'a> {
    buyer_name: &'a str,
    order: &'a Order,
    items: &'a [OrderItem],
    /// Where to trade in a used item, when the order allows it.
    trade_in: Option<String>,
}

/// The buyer's e-mail when the order was delivered; `site` (the shop's public address) when
/// goods of a trade-in eligible offer were among it.
pub fn delivered_mail(order: &Order, items: &[OrderItem], buyer: &User, site: Option<&str>) -> NewMail {
    let trade_in = site.map(|s| format!("{}/buyback?order={}", s.trim_end_matches('/'), order.number));
    let body = render(&DeliveredMail { buyer_name: &buyer.personal.full_name, order, items, trade_in });
    NewMail {
        to: buyer.email.clone(),
        subject: format!("Order {} delivered", order.number),
        body,
        topic: format!("order {} delivered", order.number),
    }
}

/// The delivery instruction to each person working for the carrier.
pub fn delivery_instruction(
    order: &Order,
    items: &[OrderItem],
    office: &Office,
    buyer_name: &str,
    address: &str,
    staff: &[User],
) -> Vec<NewMail> {
    let body = render(&DeliveryMail { order, items, office, buyer_name, address });
    staff
        .iter()
        .map(|user| NewMail {
            to: user.email.clone(),
            subject: format!("Delivery instruction: order {}", order.number),
            body: body.clone(),
            topic: format!("order {} shipped", order.number),
        })
        .collect()
}
