//! The tables of `orders`.

// orders
diesel::table! {
    cart_items (user_id, offer_code) {
        user_id -> Text,
        offer_code -> Text,
        quantity -> BigInt,
        seen_price -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    makers (name) {
        name -> Text,
        requires_approval -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    maker_staff (user_id) {
        user_id -> Text,
        maker -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        number -> Text,
        buyer_id -> Text,
        office_id -> Text,
        state -> Text,
        payment -> Text,
        check_code -> Nullable<Text>,
        carrier_code -> Text,
        total -> BigInt,
        currency -> Text,
        delivery_address_id -> Text,
        delivery_wish -> Text,
        needs_approval -> Bool,
        cash_collected -> Nullable<BigInt>,
        idempotency_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        points_used -> BigInt,
        discount -> BigInt,
    }
}

diesel::table! {
    order_items (order_id, offer_id) {
        order_id -> Text,
        offer_id -> Text,
        offer_code -> Text,
        seller_id -> Text,
        kind -> Text,
        maker -> Text,
        model -> Text,
        name -> Text,
        quantity -> BigInt,
        unit_price -> BigInt,
        list_price -> BigInt,
    }
}

diesel::table! {
    order_approvals (order_id, maker) {
        order_id -> Text,
        maker -> Text,
        state -> Text,
        actor_id -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    order_events (id) {
        id -> Text,
        order_id -> Text,
        state -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        note -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(maker_staff -> makers (maker));
diesel::joinable!(order_items -> orders (order_id));
diesel::joinable!(order_approvals -> orders (order_id));
diesel::joinable!(order_events -> orders (order_id));

diesel::allow_tables_to_appear_in_same_query!(
    cart_items,
    makers,
    maker_staff,
    orders,
    order_items,
    order_approvals,
    order_events
);
