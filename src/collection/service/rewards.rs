//! Reward goods: admins list them (name, points, stock); a member claims one for points, and the
//! clerk hands it over at the desk, or the claim is cancelled with the points given back.

use chrono::NaiveDateTime;

use super::super::model::*;
use super::super::repo;
use super::super::rules::{self, ClaimState};
use super::ledger::{self, Note};
use super::{CollectionError, Refusal, Result};
use crate::accounts::UserId;
use crate::db::DbConnection;
use crate::web::forms::FieldErrors;
use crate::web::idempotency::IdempotencyKey;

/// The reward form as sent (new or changed).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RewardForm {
    pub name: String,
    pub points: String,
    pub stock: String,
    /// "yes" while shoppers may claim it.
    pub active: String,
}

fn read_reward(form: &RewardForm) -> Result<(String, i64, i64)> {
    let mut errors = FieldErrors::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        errors.add("name", "Name the reward, in up to 120 characters.");
    }
    let points = match form.points.trim().replace([',', '_'], "").parse::<i64>() {
        Ok(n) if (1..=rules::MAX_POINTS).contains(&n) => n,
        _ => {
            errors.add("points", "The points it costs: a whole number from 1.");
            0
        }
    };
    let stock = match form.stock.trim().parse::<i64>() {
        Ok(n) if (0..=1_000_000).contains(&n) => n,
        _ => {
            errors.add("stock", "How many there are: a whole number from 0.");
            0
        }
    };
    errors.into_result().map_err(CollectionError::Invalid)?;
    Ok((name.to_owned(), points, stock))
}

pub fn add_reward(conn: &mut DbConnection, form: &RewardForm, at: NaiveDateTime) -> Result<Reward> {
    let (name, points, stock) = read_reward(form)?;
    let reward = Reward { id: RewardId::new(), name, points, stock, active: true, created_at: at, updated_at: at };
    repo::insert_reward(conn, &reward)?;
    Ok(reward)
}

pub fn change_reward(conn: &mut DbConnection, id: &str, form: &RewardForm, at: NaiveDateTime) -> Result<Reward> {
    let id: RewardId = id.parse().map_err(|_| CollectionError::NotFound)?;
    let old = repo::reward(conn, &id)?.ok_or(CollectionError::NotFound)?;
    let (name, points, stock) = read_reward(form)?;
    let reward = Reward { name, points, stock, active: form.active == "yes", updated_at: at, ..old };
    repo::save_reward(conn, &reward)?;
    Ok(reward)
}

pub fn all_rewards(conn: &mut DbConnection) -> Result<Vec<Reward>> {
    Ok(repo::rewards(conn)?)
}

/// A member claims a reward: one taken from its stock, its points redeemed; both or neither. A
/// second submit of the same form finds the first claim.
pub fn claim_reward(
    conn: &mut DbConnection,
    user: &UserId,
    reward: &str,
    key: &str,
    at: NaiveDateTime,
) -> Result<Claim> {
    let key = IdempotencyKey::parse(key)
        .ok_or_else(|| CollectionError::field("key", "The form is out of date. Reload the page."))?;
    let reward_id: RewardId = reward.parse().map_err(|_| CollectionError::NotFound)?;
    let member = ledger::lock(conn, user)?;
    if let Some(claim) = repo::claim_by_key(conn, key.as_str())? {
        return Ok(claim);
    }
    let reward = repo::reward(conn, &reward_id)?.ok_or(CollectionError::NotFound)?;
    if repo::take_reward(conn, &reward.id, at)? != 1 {
        return Err(Refusal::RewardGone.into());
    }
    let id = ClaimId::new();
    let reason = format!("Reward: {}", reward.name);
    let note =
        Note { kind: EntryKind::Redeemed, reference: id.as_str(), reason: &reason, actor: Some(user), once_key: None };
    let entry = ledger::take(conn, user, reward.points, None, &note, at)?;
    let claim = Claim {
        id,
        code: crate::codes::random(1, 6),
        user_id: user.clone(),
        reward_id: reward.id,
        points: reward.points,
        state: ClaimState::Claimed,
        idempotency_key: key.to_string(),
        entry_id: entry.id,
        decided_by: None,
        created_at: at,
        updated_at: at,
    };
    repo::insert_claim(conn, &claim)?;
    super::members::refresh_points_figures(conn, &member, at)?;
    Ok(claim)
}

/// A member's claims waiting at the desk, with the rewards' names.
pub fn waiting_claims(conn: &mut DbConnection, user: &UserId) -> Result<Vec<(Claim, String)>> {
    let claims: Vec<Claim> =
        repo::claims_of(conn, user, 50)?.into_iter().filter(|c| c.state == ClaimState::Claimed).collect();
    let ids: Vec<RewardId> = claims.iter().map(|c| c.reward_id.clone()).collect();
    let rewards = repo::rewards_by_ids(conn, &ids)?;
    Ok(claims
        .into_iter()
        .map(|c| {
            let name = rewards.iter().find(|r| r.id == c.reward_id).map_or_else(String::new, |r| r.name.clone());
            (c, name)
        })
        .collect())
}

/// Who decides a claim: the clerk at the desk (hand over or cancel) or the member (cancel only
/// their own).
#[derive(Clone, Copy, Debug)]
pub enum Decider<'a> {
    Clerk(&'a UserId),
    Member(&'a UserId),
}

/// Hands a claimed reward over (`to` HandedOver) or cancels the claim (`to` Cancelled: one back in
/// stock, the points given back to their lots).
pub fn decide_claim(
    conn: &mut DbConnection,
    code: &str,
    to: ClaimState,
    who: Decider<'_>,
    at: NaiveDateTime,
) -> Result<Claim> {
    let claim =
        repo::claim_by_code(conn, code.trim()).map_err(CollectionError::from)?.ok_or(CollectionError::NotFound)?;
    let by = match who {
        Decider::Clerk(clerk) => clerk,
        Decider::Member(user) if *user == claim.user_id && to == ClaimState::Cancelled => user,
        Decider::Member(_) => return Err(CollectionError::NotFound),
    };
    let member = ledger::lock(conn, &claim.user_id)?;
    if repo::decide_claim(conn, &claim.id, ClaimState::Claimed, to, by, at)? != 1 {
        let now = repo::claim_by_code(conn, &claim.code)?.ok_or(CollectionError::NotFound)?;
        if now.state == to {
            return Ok(now); // a double submit
        }
        return Err(Refusal::ClaimDecided(now.state.label()).into());
    }
    if to == ClaimState::Cancelled {
        repo::return_reward(conn, &claim.reward_id, at)?;
        let entry = repo::entry(conn, &claim.entry_id)?.ok_or(CollectionError::NotFound)?;
        ledger::restore(conn, &entry, "Reward claim cancelled", Some(by), at)?;
        super::members::refresh_points_figures(conn, &member, at)?;
    }
    Ok(Claim { state: to, decided_by: Some(by.clone()), updated_at: at, ..claim })
}
