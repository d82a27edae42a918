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

diesel::table! {
    daily_sales (day, kind_id, product_id, unit_price, office_id) {
        day -> Timestamp,
        kind_id -> Text,
        product_id -> Text,
        unit_price -> BigInt,
        office_id -> Text,
        quantity -> BigInt,
        sales -> BigInt,
    }
}

diesel::table! {
    daily_requests (day, kind_id, matched) {
        day -> Timestamp,
        kind_id -> Text,
        matched -> Bool,
        requests -> BigInt,
    }
}

diesel::table! {
    daily_constraints (day, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value) {
        day -> Timestamp,
        kind_id -> Text,
        matched -> Bool,
        characteristic -> Text,
        word -> Text,
        has_min -> Bool,
        min_value -> Double,
        has_max -> Bool,
        max_value -> Double,
        requests -> BigInt,
    }
}

diesel::table! {
    monthly_constraints (month, kind_id, matched, characteristic, word, has_min, min_value, has_max, max_value) {
        month -> Timestamp,
        kind_id -> Text,
        matched -> Bool,
        characteristic -> Text,
        word -> Text,
        has_min -> Bool,
        min_value -> Double,
        has_max -> Bool,
        max_value -> Double,
        requests -> BigInt,
    }
}
