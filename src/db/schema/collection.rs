//! The tables of `collection`.

// collection
diesel::table! {
    collection_members (user_id) {
        user_id -> Text,
        card_number -> Text,
        points_balance -> BigInt,
        registered_at -> Timestamp,
        figures_available -> BigInt,
        figures_expiring -> BigInt,
        figures_bought -> BigInt,
        figures_collected -> BigInt,
        figures_collected_ever -> BigInt,
        figures_from -> Nullable<Timestamp>,
        figures_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    collection_records (id) {
        id -> Text,
        user_id -> Text,
        idempotency_key -> Text,
        cartridge -> Text,
        cartridge_name -> Text,
        quantity -> BigInt,
        reusable -> Bool,
        reverses_id -> Nullable<Text>,
        reason -> Text,
        points -> BigInt,
        clerk_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cartridges_bought (id) {
        id -> Text,
        user_id -> Text,
        source -> Text,
        quantity -> BigInt,
        bought_at -> Timestamp,
    }
}

diesel::table! {
    points_rules (id) {
        id -> Text,
        points_reusable -> BigInt,
        points_other -> BigInt,
        tiers -> Text,
        monthly_cap -> BigInt,
        allowance -> BigInt,
        expiry_months -> Integer,
        point_value -> BigInt,
        currency -> Text,
        cartridge_kinds -> Text,
        changed_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    points_lots (id) {
        id -> Text,
        user_id -> Text,
        points -> BigInt,
        remaining -> BigInt,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    points_entries (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        points -> BigInt,
        lot_id -> Nullable<Text>,
        reference -> Text,
        reason -> Text,
        actor_id -> Nullable<Text>,
        once_key -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    points_takes (entry_id, lot_id) {
        entry_id -> Text,
        lot_id -> Text,
        points -> BigInt,
    }
}

diesel::table! {
    rewards (id) {
        id -> Text,
        name -> Text,
        points -> BigInt,
        stock -> BigInt,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reward_claims (id) {
        id -> Text,
        code -> Text,
        user_id -> Text,
        reward_id -> Text,
        points -> BigInt,
        state -> Text,
        idempotency_key -> Text,
        entry_id -> Text,
        decided_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(points_takes -> points_lots (lot_id));
diesel::joinable!(reward_claims -> rewards (reward_id));

diesel::allow_tables_to_appear_in_same_query!(
    collection_members,
    collection_records,
    cartridges_bought,
    points_rules,
    points_lots,
    points_entries,
    points_takes,
    rewards,
    reward_claims,
);
