//! Members: registering for the collection service, and what a member sees of it (the display on
//! the consumables page, seed 002's FIG. 9, and the page `/collection`).

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, PointsRules, Standing};
use super::Result;
use super::admin::current_rules;
use super::ledger::lots_left;
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::pager::{Paged, Pager};

/// Card numbers: 8 characters of Crockford's base 32 in two groups, e.g. `K7QM-2XPA`.
pub const CARD_GROUPS: usize = 2;
pub const CARD_GROUP_LEN: usize = 4;

/// How many days ahead the display warns of expiring points.
pub const EXPIRING_DAYS: i64 = 30;

/// Registers the shopper for the collection service; registering twice finds the first card.
pub fn register(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<Member> {
    if let Some(member) = repo::member(conn, user)? {
        return Ok(member);
    }
    loop {
        let member = Member {
            user_id: user.clone(),
            card_number: crate::codes::random(CARD_GROUPS, CARD_GROUP_LEN),
            points_balance: 0,
            registered_at: at,
            figures: Figures::default(),
        };
        if repo::member_by_card(conn, &member.card_number)?.is_none() {
            repo::insert_member(conn, &member)?;
            // Cartridges bought before registering count at once.
            let figures = refresh_figures(conn, user, at)?;
            return Ok(Member { figures, ..member });
        }
    }
}

/// What the display shows a member (seed 002, display section 105).
#[derive(Clone, Debug)]
pub struct Summary {
    pub card_number: String,
    /// Over the last 12 months.
    pub standing: Standing,
    /// Ever, net of corrections.
    pub collected_ever: i64,
    /// Points that count now.
    pub available: i64,
    /// Of those, expiring within `EXPIRING_DAYS`.
    pub expiring_soon: i64,
    pub point_value: i64,
    pub currency: String,
}

impl Summary {
    pub fn rate_text(&self) -> String {
        self.standing.rate_text()
    }

    /// What the available points are worth at checkout.
    pub fn worth_text(&self) -> String {
        crate::money::format(self.available.saturating_mul(self.point_value), &self.currency)
    }
}

/// The display's figures for a shopper; none when they are not registered.
pub fn summary(conn: &mut DbConnection, user: &UserId, currency: &str, at: NaiveDateTime) -> Result<Option<Summary>> {
    let Some(member) = repo::member(conn, user)? else { return Ok(None) };
    let rules = current_rules(conn, currency)?;
    Ok(Some(summary_of(conn, &member, &rules, at)?))
}

pub(super) fn standing(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<Standing> {
    let since = rules::rate_window_start(at);
    Ok(Standing {
        bought: repo::bought_since(conn, user, since)?,
        collected: repo::collected_since(conn, user, since)?,
    })
}

/// The figures as the member's records, purchases and lots make them at `at`, and until when
/// they hold without a change: the first moment a lot expires or comes within the warning, or a
/// purchase or a record leaves the 12 months' window; a day at most.
fn compute_figures(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<Figures> {
    let lots = lots_left(conn, user)?;
    let standing = standing(conn, user, at)?;
    let since = rules::rate_window_start(at);
    let leaves_window = |t: NaiveDateTime| t.checked_add_months(chrono::Months::new(12));
    let until = lot_moments(&lots, at)
        .chain(repo::first_bought_since(conn, user, since)?.and_then(leaves_window))
        .chain(repo::first_record_since(conn, user, since)?.and_then(leaves_window))
        .filter(|t| *t > at)
        .fold(at + chrono::Duration::days(1), NaiveDateTime::min);
    Ok(Figures {
        available: rules::available(&lots, at),
        expiring: rules::expiring_within(&lots, at, EXPIRING_DAYS),
        bought: standing.bought,
        collected: standing.collected,
        collected_ever: repo::collected_ever(conn, user)?,
        from: Some(at),
        until: Some(until),
    })
}

/// The moments after `at` when the lots change what the figures show: a lot expires or comes
/// within the warning.
fn lot_moments(lots: &[rules::LotLeft<LotId>], at: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
    let warning = chrono::Duration::days(EXPIRING_DAYS);
    lots.iter()
        .filter(move |l| l.expires_at > at)
        .flat_map(move |l| [l.expires_at, l.expires_at - warning])
        .filter(move |t| *t > at)
}

/// After a change of points alone (a redemption, its restoring, a claim, an adjustment, an
/// expiry), with `member` as read under its lock before the change: the lots are read again, and
/// the purchase and record figures stay as kept while they hold (else all is computed anew).
pub(super) fn refresh_points_figures(conn: &mut DbConnection, member: &Member, at: NaiveDateTime) -> Result<Figures> {
    let kept = &member.figures;
    let (Some(from), Some(until)) = (kept.from, kept.until) else { return refresh_figures(conn, &member.user_id, at) };
    if at < from || at >= until {
        return refresh_figures(conn, &member.user_id, at);
    }
    let lots = lots_left(conn, &member.user_id)?;
    let figures = Figures {
        available: rules::available(&lots, at),
        expiring: rules::expiring_within(&lots, at, EXPIRING_DAYS),
        from: Some(at),
        until: Some(lot_moments(&lots, at).fold(until, NaiveDateTime::min)),
        ..kept.clone()
    };
    repo::set_figures(conn, &member.user_id, &figures)?;
    Ok(figures)
}

/// After a redemption taken with `ledger::take_lots`: the figures from the lots as they are now,
/// and the cached balance moved by `delta`, in one statement (a redemption is on every checkout
/// that uses points). Computed anew where the kept figures do not hold.
pub(super) fn refresh_after_take(
    conn: &mut DbConnection,
    member: &Member,
    lots: &[rules::LotLeft<LotId>],
    delta: i64,
    at: NaiveDateTime,
) -> Result<Figures> {
    let kept = &member.figures;
    let figures = match (kept.from, kept.until) {
        (Some(from), Some(until)) if from <= at && at < until => Figures {
            available: rules::available(lots, at),
            expiring: rules::expiring_within(lots, at, EXPIRING_DAYS),
            from: Some(at),
            until: Some(lot_moments(lots, at).fold(until, NaiveDateTime::min)),
            ..kept.clone()
        },
        _ => compute_figures(conn, &member.user_id, at)?,
    };
    if repo::set_figures_moving_balance(conn, &member.user_id, delta, &figures)? != 1 {
        // The lots said the points were there; the cached balance disagrees: give up the act.
        return Err(crate::db::DbError::Query(diesel::result::Error::RollbackTransaction).into());
    }
    Ok(figures)
}

/// Computes the member's figures after a change and keeps them on their row, in the change's
/// transaction. Every operation that changes points, records or purchases ends with it.
pub(super) fn refresh_figures(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<Figures> {
    let figures = compute_figures(conn, user, at)?;
    repo::set_figures(conn, user, &figures)?;
    Ok(figures)
}

/// Members whose kept figures hold at `at` but differ from the figures computed anew (for the
/// invariant check: none, always).
pub(super) fn stale_figures(conn: &mut DbConnection, at: NaiveDateTime) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    for member in repo::members(conn)? {
        let kept = &member.figures;
        if kept.from.is_some_and(|f| f <= at) && kept.until.is_some_and(|u| at < u) {
            let fresh = compute_figures(conn, &member.user_id, at)?;
            let same = (fresh.available, fresh.expiring, fresh.bought, fresh.collected, fresh.collected_ever)
                == (kept.available, kept.expiring, kept.bought, kept.collected, kept.collected_ever);
            if !same {
                stale.push(format!("{}: kept {kept:?}, now {fresh:?}", member.user_id));
            }
        }
    }
    Ok(stale)
}

/// The member's figures at `at`: as kept while they hold (one read of the row), else computed.
pub(super) fn figures_of(conn: &mut DbConnection, member: &Member, at: NaiveDateTime) -> Result<Figures> {
    match (member.figures.from, member.figures.until) {
        (Some(from), Some(until)) if from <= at && at < until => Ok(member.figures.clone()),
        _ => compute_figures(conn, &member.user_id, at),
    }
}

fn summary_of(conn: &mut DbConnection, member: &Member, rules: &PointsRules, at: NaiveDateTime) -> Result<Summary> {
    let f = figures_of(conn, member, at)?;
    Ok(Summary {
        card_number: member.card_number.clone(),
        standing: Standing { bought: f.bought, collected: f.collected },
        collected_ever: f.collected_ever,
        available: f.available,
        expiring_soon: f.expiring,
        point_value: rules.point_value,
        currency: rules.currency.clone(),
    })
}

/// Points that count now (none for a shopper who is not registered).
pub fn available_points(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<i64> {
    match repo::member(conn, user)? {
        Some(member) => Ok(figures_of(conn, &member, at)?.available),
        None => Ok(0),
    }
}

/// What `/collection` shows a member: the display, the points history, their records at the
/// desk, the rules, the rewards and their claims.
pub struct MemberPage {
    pub summary: Summary,
    pub entries: Paged<Entry>,
    pub records: Vec<Record>,
    pub rules: PointsRules,
    pub rewards: Vec<Reward>,
    pub claims: Vec<(Claim, String)>,
}

/// What `/collection` shows: for a member their page; otherwise the rules and the rewards, with
/// the registration section.
pub enum CollectionPage {
    Member(Box<MemberPage>),
    NotRegistered { rules: PointsRules, rewards: Vec<Reward> },
}

pub fn collection_page(
    conn: &mut DbConnection,
    user: &UserId,
    currency: &str,
    pager: Pager,
    at: NaiveDateTime,
) -> Result<CollectionPage> {
    let rules = current_rules(conn, currency)?;
    let rewards: Vec<Reward> = repo::rewards(conn)?.into_iter().filter(|r| r.active).collect();
    let Some(member) = repo::member(conn, user)? else {
        return Ok(CollectionPage::NotRegistered { rules, rewards });
    };
    let summary = summary_of(conn, &member, &rules, at)?;
    let entries = pager.split(repo::entries_of(conn, user, pager.offset(), pager.fetch())?);
    let claims = repo::claims_of(conn, user, 20)?;
    let ids: Vec<RewardId> = claims.iter().map(|c| c.reward_id.clone()).collect();
    let names = repo::rewards_by_ids(conn, &ids)?;
    let claims = claims
        .into_iter()
        .map(|c| {
            let name = names.iter().find(|r| r.id == c.reward_id).map_or_else(String::new, |r| r.name.clone());
            (c, name)
        })
        .collect();
    Ok(CollectionPage::Member(Box::new(MemberPage {
        summary,
        entries,
        records: repo::records_of(conn, user, 20)?,
        rules,
        rewards,
        claims,
    })))
}
