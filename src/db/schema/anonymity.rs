//! The tables of `anonymity`.

// anonymity
diesel::table! {
    pickup_points (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        address -> Text,
        opening_hours -> Text,
        suspended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pickup_point_staff (user_id) {
        user_id -> Text,
        pickup_point_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    prepaid_batches (id) {
        id -> Text,
        number -> Text,
        cards -> BigInt,
        face_value -> BigInt,
        currency -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    prepaid_cards (id) {
        id -> Text,
        batch_id -> Text,
        code_hash -> Text,
        last4 -> Text,
        account_id -> Text,
        blocked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    anon_results (token) {
        token -> Text,
        offers -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    anon_orders (id) {
        id -> Text,
        code -> Text,
        link_hash -> Text,
        pin_hash -> Text,
        pin_generation -> Integer,
        state -> Text,
        offer_id -> Text,
        product_id -> Text,
        kind_id -> Text,
        office_id -> Text,
        commodity -> Text,
        quantity -> BigInt,
        unit_price -> BigInt,
        currency -> Text,
        pay_until -> Timestamp,
        card_id -> Nullable<Text>,
        hold_id -> Nullable<Text>,
        pickup_point_id -> Nullable<Text>,
        carrier_code -> Nullable<Text>,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        dispatched_at -> Nullable<Timestamp>,
        arrived_at -> Nullable<Timestamp>,
        collected_at -> Nullable<Timestamp>,
        returned_at -> Nullable<Timestamp>,
        sent_back_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    anon_order_events (id) {
        id -> Text,
        order_id -> Text,
        state -> Text,
        actor -> Text,
        note -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    anon_notices (order_id, state) {
        order_id -> Text,
        state -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(pickup_point_staff -> pickup_points (pickup_point_id));
diesel::joinable!(prepaid_cards -> prepaid_batches (batch_id));
diesel::joinable!(anon_order_events -> anon_orders (order_id));
diesel::joinable!(anon_orders -> pickup_points (pickup_point_id));
diesel::allow_tables_to_appear_in_same_query!(
    pickup_points,
    pickup_point_staff,
    prepaid_batches,
    prepaid_cards,
    anon_results,
    anon_orders,
    anon_order_events,
    anon_notices
);
