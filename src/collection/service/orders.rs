//! What `orders` calls: cartridges bought (when an order is delivered) and points at checkout
//! (redeemed for an order when it is placed, given back when it is cancelled). `collection`
//! never calls `orders`; it knows an order only by the reference it is given.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules;
use super::super::rules::{LotLeft, PointsRules};
use super::admin::current_rules;
use super::ledger::{self, Note};
use super::{Refusal, Result};
use crate::accounts::UserId;
use crate::catalog::{self, KindId};
use crate::db::DbConnection;

/// Tells the collection that `buyer` received goods of these kinds (quantity each) through
/// `source` (an order); those of cartridge kinds count as cartridges bought. Told twice, counted
/// once.
pub fn cartridges_bought(
    conn: &mut DbConnection,
    buyer: &UserId,
    source: &str,
    lines: &[(KindId, i64)],
    currency: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let rules = current_rules(conn, currency)?;
    let kinds = catalog::kinds(conn)?;
    let cartridges: i64 = lines
        .iter()
        .filter(|(kind, _)| kinds.iter().any(|k| &k.id == kind && rules.is_cartridge_kind(&k.code)))
        .map(|(_, n)| *n)
        .sum();
    if cartridges == 0 {
        return Ok(());
    }
    // A member's figures change with it: their row is held first, as by every change of theirs.
    let member = repo::lock_member(conn, buyer)?;
    if repo::bought_by_source(conn, source)?.is_some() {
        return Ok(());
    }
    let row = Bought {
        id: BoughtId::new(),
        user_id: buyer.clone(),
        source: source.to_owned(),
        quantity: cartridges,
        bought_at: at,
    };
    repo::insert_bought(conn, &row)?;
    if member.is_some() {
        super::members::refresh_figures(conn, buyer, at)?;
    }
    Ok(())
}

/// What the checkout offers in points: how many the shopper has, the most this checkout can
/// use, and what one is worth.
#[derive(Clone, Debug, Default)]
pub struct PointsOffer {
    pub available: i64,
    pub most: i64,
    pub point_value: i64,
    pub currency: String,
}

impl PointsOffer {
    pub fn worth_text(&self, points: i64) -> String {
        crate::money::format(points.saturating_mul(self.point_value), &self.currency)
    }
}

/// The points a checkout of orders with these totals can use; none for a shopper who is not
/// registered or has none. One read: the member's kept figures and the point's value.
pub fn points_offer(
    conn: &mut DbConnection,
    user: &UserId,
    order_totals: &[i64],
    currency: &str,
    at: NaiveDateTime,
) -> Result<Option<PointsOffer>> {
    let Some(found) = repo::member_for_points(conn, user, false)? else { return Ok(None) };
    let available = super::members::figures_of(conn, &found.member, at)?.available;
    if available == 0 {
        return Ok(None);
    }
    let point_value = found.point_value.unwrap_or_else(|| PointsRules::starting(currency).point_value);
    let most = rules::most_redeemable(available, order_totals, point_value);
    Ok(Some(PointsOffer { available, most, point_value, currency: currency.to_owned() }))
}

/// A member held for a checkout that uses points (their row locked on PostgreSQL; SQLite has one
/// writer), with what a point is worth now and their lots: read once, in one statement, for all
/// the checkout's orders, and kept up to date as each order redeems.
pub struct HeldForPoints {
    member: Member,
    lots: Vec<LotLeft<LotId>>,
    pub point_value: i64,
}

impl HeldForPoints {
    /// The points that count at `at`.
    pub fn available(&self, at: NaiveDateTime) -> i64 {
        rules::available(&self.lots, at)
    }
}

/// Holds the member for a checkout with points; refused for a shopper who is not registered.
pub fn hold_for_points(conn: &mut DbConnection, user: &UserId, currency: &str) -> Result<HeldForPoints> {
    let found = repo::member_for_points(conn, user, true)?.ok_or(Refusal::NotRegistered)?;
    let lots = found.lots.into_iter().map(|(id, remaining, expires_at)| LotLeft { id, remaining, expires_at });
    Ok(HeldForPoints {
        member: found.member,
        lots: lots.collect(),
        point_value: found.point_value.unwrap_or_else(|| PointsRules::starting(currency).point_value),
    })
}

/// Redeems `points` for an order (`order` its ID, `number` what the member reads) of a member
/// held by `hold_for_points` in this transaction; once per order. Refused when the member has
/// fewer points than that.
pub fn redeem_held(
    conn: &mut DbConnection,
    held: &mut HeldForPoints,
    points: i64,
    order: &str,
    number: &str,
    at: NaiveDateTime,
) -> Result<()> {
    if points <= 0 {
        return Ok(());
    }
    let user = held.member.user_id.clone();
    // An order redeems once: each is placed once under its checkout's key, and the entry's
    // unique name makes sure of it in the database.
    let once_key = redemption_key(order);
    let reason = format!("Price reduction on order {number}");
    let note = Note {
        kind: EntryKind::Redeemed,
        reference: order,
        reason: &reason,
        actor: Some(&user),
        once_key: Some(once_key),
    };
    let lots = std::mem::take(&mut held.lots);
    let (_, lots) = ledger::take_from_lots(conn, &user, lots, points, None, &note, at)?;
    held.member.figures = super::members::refresh_after_take(conn, &held.member, &lots, -points, at)?;
    held.lots = lots;
    Ok(())
}

/// The once-only name of an order's redemption.
fn redemption_key(order: &str) -> String {
    format!("order:{order}")
}

/// Gives the points redeemed for an order back to their lots (expired lots stay expired), once;
/// nothing when none were redeemed for it.
pub fn restore_for_order(conn: &mut DbConnection, order: &str, number: &str, at: NaiveDateTime) -> Result<i64> {
    let Some(taken) = repo::entry_by_once_key(conn, &redemption_key(order))? else { return Ok(0) };
    let member = ledger::lock(conn, &taken.user_id)?;
    let reason = format!("Order {number} cancelled");
    let restored = ledger::restore(conn, &taken, &reason, None, at)?;
    super::members::refresh_points_figures(conn, &member, at)?;
    Ok(restored.points)
}
