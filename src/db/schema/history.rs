//! The tables of `history`.

// history
diesel::table! {
    sales (id) {
        id -> Text,
        day -> Timestamp,
        channel -> Text,
        kind_id -> Text,
        product_id -> Text,
        offer_id -> Text,
        office_id -> Text,
        quantity -> BigInt,
        unit_price -> BigInt,
        currency -> Text,
    }
}

diesel::table! {
    purchase_requests (id) {
        id -> Text,
        asked_hour -> Timestamp,
        kind_id -> Nullable<Text>,
        maker -> Nullable<Text>,
        price_max -> Nullable<BigInt>,
        currency -> Text,
        matches -> BigInt,
    }
}

diesel::table! {
    request_constraints (request_id, position) {
        request_id -> Text,
        position -> Integer,
        characteristic -> Text,
        min_value -> Nullable<Double>,
        max_value -> Nullable<Double>,
        word -> Nullable<Text>,
    }
}

diesel::joinable!(request_constraints -> purchase_requests (request_id));
