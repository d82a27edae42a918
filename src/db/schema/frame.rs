//! The frame's tables (`db`, `web`) and those of `accounts`.

// db
diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

// web (the frame)
diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request -> Text,
        result -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attempts (what, key_hash) {
        what -> Text,
        key_hash -> Text,
        failures -> BigInt,
        last_at -> Timestamp,
    }
}

// accounts
diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pending_registrations (token_hash) {
        token_hash -> Text,
        email -> Text,
        password_hash -> Text,
        full_name -> Text,
        postal_address -> Text,
        phone -> Text,
        next_path -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        full_name -> Text,
        postal_address -> Text,
        phone -> Text,
        suspended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    account_events (id) {
        id -> Text,
        user_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        detail -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<Text>,
        state -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(app_meta, users, user_roles, account_events, sessions);

// accounts: where a shopper had goods delivered
diesel::table! {
    delivery_addresses (id) {
        id -> Text,
        user_id -> Text,
        address -> Text,
        created_at -> Timestamp,
    }
}
