//! The rows of the collection: members, records at the desk, cartridges bought, the points rules,
//! the points ledger (lots, entries and what each entry took from which lot), rewards and claims.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::rules::{ClaimState, EntryKind, PointsRules, Standing};
use crate::accounts::UserId;
use crate::db::schema::{
    cartridges_bought, collection_members, collection_records, points_entries, points_lots, points_rules, points_takes,
    reward_claims, rewards,
};

crate::db::id_type!(RecordId);
crate::db::id_type!(BoughtId);
crate::db::id_type!(RulesId);
crate::db::id_type!(LotId);
crate::db::id_type!(EntryId);
crate::db::id_type!(RewardId);
crate::db::id_type!(ClaimId);

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = collection_members)]
pub struct Member {
    pub user_id: UserId,
    /// The short number the member gives at the desk.
    pub card_number: String,
    pub points_balance: i64,
    pub registered_at: NaiveDateTime,
    /// What the member's pages show, as of the member's last change (see `Figures`).
    #[diesel(embed)]
    pub figures: Figures,
}

/// The figures the member's pages show, kept on the member's row by every change and good from
/// `from` until `until`: outside that (or when none) they are computed on reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = collection_members)]
#[diesel(treat_none_as_null = true)]
pub struct Figures {
    #[diesel(column_name = figures_available)]
    pub available: i64,
    #[diesel(column_name = figures_expiring)]
    pub expiring: i64,
    #[diesel(column_name = figures_bought)]
    pub bought: i64,
    #[diesel(column_name = figures_collected)]
    pub collected: i64,
    #[diesel(column_name = figures_collected_ever)]
    pub collected_ever: i64,
    #[diesel(column_name = figures_from)]
    pub from: Option<NaiveDateTime>,
    #[diesel(column_name = figures_until)]
    pub until: Option<NaiveDateTime>,
}

/// Cartridges received at the desk, or (with `reverses_id`) the correction of such a record.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = collection_records)]
pub struct Record {
    pub id: RecordId,
    pub user_id: UserId,
    pub idempotency_key: String,
    /// The cartridge's offer code in the catalog, or "other".
    pub cartridge: String,
    pub cartridge_name: String,
    /// Negative on a correction.
    pub quantity: i64,
    pub reusable: bool,
    pub reverses_id: Option<RecordId>,
    pub reason: String,
    /// The points the record earned (negative: took back).
    pub points: i64,
    pub clerk_id: UserId,
    pub created_at: NaiveDateTime,
}

impl Record {
    pub fn is_correction(&self) -> bool {
        self.reverses_id.is_some()
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = cartridges_bought)]
pub struct Bought {
    pub id: BoughtId,
    pub user_id: UserId,
    pub source: String,
    pub quantity: i64,
    pub bought_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = points_rules)]
pub struct RulesRow {
    pub id: RulesId,
    pub points_reusable: i64,
    pub points_other: i64,
    pub tiers: String,
    pub monthly_cap: i64,
    pub allowance: i64,
    pub expiry_months: i32,
    pub point_value: i64,
    pub currency: String,
    pub cartridge_kinds: String,
    pub changed_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = points_lots)]
pub struct Lot {
    pub id: LotId,
    pub user_id: UserId,
    pub points: i64,
    pub remaining: i64,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = points_entries)]
pub struct Entry {
    pub id: EntryId,
    pub user_id: UserId,
    pub kind: EntryKind,
    pub points: i64,
    /// The lot an earning made, the lot that expired, or the one lot a take took from (a take from
    /// several lots lists them as `Take`s).
    pub lot_id: Option<LotId>,
    /// What the entry is about: a record, an order, a claim, a lot.
    pub reference: String,
    pub reason: String,
    pub actor_id: Option<UserId>,
    pub once_key: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = points_takes)]
pub struct Take {
    pub entry_id: EntryId,
    pub lot_id: LotId,
    pub points: i64,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = rewards)]
pub struct Reward {
    pub id: RewardId,
    pub name: String,
    pub points: i64,
    pub stock: i64,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = reward_claims)]
pub struct Claim {
    pub id: ClaimId,
    /// The short code the member shows at the desk.
    pub code: String,
    pub user_id: UserId,
    pub reward_id: RewardId,
    pub points: i64,
    pub state: ClaimState,
    pub idempotency_key: String,
    pub entry_id: EntryId,
    pub decided_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
