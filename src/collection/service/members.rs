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
        };
        if repo::member_by_card(conn, &member.card_number)?.is_none() {
            repo::insert_member(conn, &member)?;
            return Ok(member);
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

fn summary_of(conn: &mut DbConnection, member: &Member, rules: &PointsRules, at: NaiveDateTime) -> Result<Summary> {
    let lots = lots_left(conn, &member.user_id)?;
    Ok(Summary {
        card_number: member.card_number.clone(),
        standing: standing(conn, &member.user_id, at)?,
        collected_ever: repo::collected_ever(conn, &member.user_id)?,
        available: rules::available(&lots, at),
        expiring_soon: rules::expiring_within(&lots, at, EXPIRING_DAYS),
        point_value: rules.point_value,
        currency: rules.currency.clone(),
    })
}

/// Points that count now (none for a shopper who is not registered).
pub fn available_points(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> Result<i64> {
    if repo::member(conn, user)?.is_none() {
        return Ok(0);
    }
    Ok(rules::available(&lots_left(conn, user)?, at))
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
