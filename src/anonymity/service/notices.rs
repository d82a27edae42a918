//! Telling sellers of their anonymous orders by e-mail. Making or paying an order writes a notice
//! (one narrow row, in the order's own transaction); a job tells each office of all its notices
//! in one e-mail and deletes them, in one transaction. A quiet shop's seller gets one e-mail per
//! order and step, as before, a second or two later; a busy one's gets one for every few dozen orders
//! instead of a flood, and the order's own transaction writes no e-mail.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::{Result, mail, office_mail};
use crate::db::DbConnection;
use crate::echeck::OfficeId;

/// How many notices one run of the job tells of at most (it runs every
/// `SHOP_ANON_NOTICE_SECONDS`, 2 by default: enough for a thousand orders a second).
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
    if notices.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<AnonOrderId> = notices.iter().map(|n| n.order_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let mut orders = BTreeMap::new();
    for chunk in ids.chunks(500) {
        orders.extend(repo::orders_by_ids(conn, chunk)?.into_iter().map(|o| (o.id.clone(), o)));
    }
    let point_ids: Vec<PickupPointId> = orders.values().filter_map(|o| o.pickup_point_id.clone()).collect();
    let points: BTreeMap<PickupPointId, PickupPoint> =
        repo::points_by_ids(conn, &point_ids)?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut by_office: BTreeMap<OfficeId, Vec<Told<'_>>> = BTreeMap::new();
    for n in &notices {
        if let Some(order) = orders.get(&n.order_id) {
            let point = order.pickup_point_id.as_ref().and_then(|p| points.get(p));
            by_office.entry(order.office_id.clone()).or_default().push(Told { state: n.state, order, point });
        }
    }
    for (office, told) in &by_office {
        let to = office_mail(conn, office)?;
        for some in told.chunks(ORDERS_PER_MAIL) {
            let (subject, body) = letter(some);
            mail(conn, &to, &subject, &body, at)?;
        }
    }
    for n in &notices {
        repo::delete_notice(conn, n)?;
    }
    Ok(notices.len())
}

/// One order's change as a seller is told of it.
struct Told<'a> {
    state: AnonState,
    order: &'a AnonOrder,
    point: Option<&'a PickupPoint>,
}

impl Told<'_> {
    fn is_paid(&self) -> bool {
        self.state == AnonState::Paid
    }

    fn subject(&self) -> String {
        let o = self.order;
        match self.point.filter(|_| self.is_paid()) {
            Some(point) => format!("Anonymous order {} paid: send it to {}", o.code, point.name),
            None => format!("Anonymous order {}: {}", o.code, o.goods()),
        }
    }

    fn paragraph(&self) -> String {
        let o = self.order;
        match self.point.filter(|_| self.is_paid()) {
            Some(point) => format!(
                "Anonymous order {} is paid: {} for {}.\n\nSend it to the pickup point:\n{}\n{}\n",
                o.code,
                o.goods(),
                o.total_text(),
                point.name,
                point.address,
            ),
            None => format!(
                "An anonymous buyer ordered {} for {}.\n\nOrder ID: {}\n\nThe buyer has until {} UTC to pay; \
                 you will be told the pickup point when they do.\n",
                o.goods(),
                o.total_text(),
                o.code,
                o.pay_until.format("%Y-%m-%d %H:%M"),
            ),
        }
    }
}

/// The subject and body of one e-mail telling of these orders' changes.
fn letter(told: &[Told<'_>]) -> (String, String) {
    let paid = told.iter().filter(|t| t.is_paid()).count();
    let subject = match told {
        [one] => one.subject(),
        _ => format!("{} anonymous orders: {} new, {paid} paid", told.len(), told.len() - paid),
    };
    let paragraphs: Vec<String> = told.iter().map(Told::paragraph).collect();
    let mut body = paragraphs.join("\n----\n\n");
    if paid > 0 {
        body.push_str("\nPrint the parcel's label from your anonymous orders page and hand the parcel to a carrier.\n");
    }
    body.push_str("\nNothing else is known of the buyers.\n");
    (subject, body)
}
