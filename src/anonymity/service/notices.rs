//! Telling sellers of their anonymous orders by e-mail. Making or paying an order writes a notice
//! (one narrow row, in the order's own transaction); a job tells each office of all its notices
//! in one e-mail and deletes them, in one transaction. A quiet shop's seller gets one e-mail per
//! order and step, as before, a second or two later; a busy one's gets one for every few dozen orders
//! instead of a flood, and the order's own transaction writes no e-mail.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::{repo, rules};
use super::{Result, mail, office_mail};
use crate::db::DbConnection;
use crate::echeck::OfficeId;

/// How many notices one run of the job tells of at most (it runs every
/// `SHOP_ANON_NOTICE_SECONDS`, 2 by default: a thousand notices a second, two per paid order).
const NOTICES_PER_RUN: i64 = 2000;

/// How many orders one e-mail tells of at most.
const ORDERS_PER_MAIL: usize = 50;

/// Notes that the order's seller is to be told that it reached `state` (made, or paid).
pub(super) fn notice(conn: &mut DbConnection, order: &AnonOrderId, state: AnonState, at: NaiveDateTime) -> Result<()> {
    repo::insert_notice(conn, &Notice { order_id: order.clone(), state, at })?;
    Ok(())
}

/// The job: tells every office of its orders' notices, one e-mail per office (per
/// `ORDERS_PER_MAIL` orders) to each of its people, and deletes the notices told. Returns how
/// many it told of.
pub fn tell_sellers(conn: &mut DbConnection, at: NaiveDateTime) -> Result<usize> {
    let notices = repo::notices(conn, NOTICES_PER_RUN)?;
    let mut by_office: BTreeMap<&OfficeId, Vec<&NoticeToTell>> = BTreeMap::new();
    for n in &notices {
        by_office.entry(&n.office_id).or_default().push(n);
    }
    for (office, told) in by_office {
        let to = office_mail(conn, office)?;
        for some in told.chunks(ORDERS_PER_MAIL) {
            let (subject, body) = letter(some);
            mail(conn, &to, &subject, &body, at)?;
        }
    }
    for n in &notices {
        repo::delete_notice(conn, &n.order_id, n.state)?;
    }
    Ok(notices.len())
}

impl NoticeToTell {
    /// The pickup point, when the notice is of the payment.
    fn paid_to(&self) -> Option<(&str, &str)> {
        match (self.state, &self.point_name, &self.point_address) {
            (AnonState::Paid, Some(name), Some(address)) => Some((name, address)),
            _ => None,
        }
    }

    fn goods(&self) -> String {
        rules::goods(self.quantity, &self.commodity)
    }

    fn total_text(&self) -> String {
        crate::money::format(rules::total(self.unit_price, self.quantity), &self.currency)
    }

    fn subject(&self) -> String {
        match self.paid_to() {
            Some((point, _)) => format!("Anonymous order {} paid: send it to {point}", self.code),
            None => format!("Anonymous order {}: {}", self.code, self.goods()),
        }
    }

    fn paragraph(&self) -> String {
        match self.paid_to() {
            Some((point, address)) => format!(
                "Anonymous order {} is paid: {} for {}.\n\nSend it to the pickup point:\n{point}\n{address}\n",
                self.code,
                self.goods(),
                self.total_text(),
            ),
            None => format!(
                "An anonymous buyer ordered {} for {}.\n\nOrder ID: {}\n\nThe buyer has until {} UTC to pay; \
                 you will be told the pickup point when they do.\n",
                self.goods(),
                self.total_text(),
                self.code,
                self.pay_until.format("%Y-%m-%d %H:%M"),
            ),
        }
    }
}

/// The subject and body of one e-mail telling of these orders' changes.
fn letter(told: &[&NoticeToTell]) -> (String, String) {
    let paid = told.iter().filter(|t| t.paid_to().is_some()).count();
    let subject = match told {
        [one] => one.subject(),
        _ => format!("{} anonymous orders: {} new, {paid} paid", told.len(), told.len() - paid),
    };
    let paragraphs: Vec<String> = told.iter().map(|t| t.paragraph()).collect();
    let mut body = paragraphs.join("\n----\n\n");
    if paid > 0 {
        body.push_str("\nPrint the parcel's label from your anonymous orders page and hand the parcel to a carrier.\n");
    }
    body.push_str("\nNothing else is known of the buyers.\n");
    (subject, body)
}
