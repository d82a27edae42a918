//! The tables of `echeck`.

// echeck
diesel::table! {
    selling_offices (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        address -> Text,
        phone -> Text,
        fax -> Text,
        bank -> Text,
        bank_account -> Text,
        suspended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    carriers (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        address -> Text,
        phone -> Text,
        suspended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    office_staff (user_id) {
        user_id -> Text,
        office_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    carrier_staff (user_id) {
        user_id -> Text,
        carrier_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    registry_events (id) {
        id -> Text,
        subject_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        detail -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    echeck_settings (id) {
        id -> Integer,
        currency -> Text,
        default_credit_line -> BigInt,
        hold_hours -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Text,
        kind -> Text,
        owner_key -> Text,
        currency -> Text,
        balance -> BigInt,
        held -> BigInt,
        credit_line -> BigInt,
        external -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    echecks (id) {
        id -> Text,
        code -> Text,
        buyer_account_id -> Text,
        office_id -> Text,
        carrier_id -> Text,
        amount -> BigInt,
        currency -> Text,
        reference -> Text,
        idempotency_key -> Text,
        state -> Text,
        paid_amount -> Nullable<BigInt>,
        expires_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        delivery_report -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    echeck_events (check_id, id) {
        check_id -> Text,
        id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        detail -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    ledger_transfers (id) {
        id -> Text,
        debit_account_id -> Text,
        credit_account_id -> Text,
        amount -> BigInt,
        posted_amount -> Nullable<BigInt>,
        state -> Text,
        kind -> Text,
        check_id -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        reason -> Text,
        actor_id -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger_entries (account_id, id) {
        account_id -> Text,
        id -> Text,
        transfer_id -> Text,
        amount -> BigInt,
        balance_after -> BigInt,
        at -> Timestamp,
    }
}

diesel::joinable!(office_staff -> selling_offices (office_id));
diesel::joinable!(carrier_staff -> carriers (carrier_id));
diesel::joinable!(echecks -> selling_offices (office_id));
diesel::joinable!(echecks -> carriers (carrier_id));
diesel::joinable!(echecks -> ledger_accounts (buyer_account_id));
diesel::joinable!(echeck_events -> echecks (check_id));
diesel::joinable!(ledger_entries -> ledger_transfers (transfer_id));
diesel::joinable!(ledger_entries -> ledger_accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    selling_offices,
    carriers,
    office_staff,
    carrier_staff,
    registry_events,
    echeck_settings,
    ledger_accounts,
    echecks,
    echeck_events,
    ledger_transfers,
    ledger_entries
);
