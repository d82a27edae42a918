//! The tables of `catalog`.

// catalog
diesel::table! {
    kinds (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    characteristics (id) {
        id -> Text,
        kind_id -> Text,
        name -> Text,
        label -> Text,
        unit -> Text,
        is_number -> Bool,
        allowed_words -> Text,
        position -> Integer,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        kind_id -> Text,
        maker -> Text,
        model -> Text,
        name -> Text,
        description -> Text,
        is_consumable -> Bool,
        search_text -> Text,
        summary -> Text,
        created_at -> Timestamp,
        offers_on_sale -> BigInt,
        picture_hash -> Nullable<Text>,
    }
}

diesel::table! {
    product_numbers (product_id, characteristic_id) {
        product_id -> Text,
        characteristic_id -> Text,
        value -> Double,
    }
}

diesel::table! {
    product_words (product_id, characteristic_id) {
        product_id -> Text,
        characteristic_id -> Text,
        value -> Text,
    }
}

diesel::table! {
    product_fits (product_id, maker, model) {
        product_id -> Text,
        maker -> Text,
        model -> Text,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        code -> Text,
        product_id -> Text,
        kind_id -> Text,
        seller_id -> Text,
        price -> BigInt,
        currency -> Text,
        stock -> BigInt,
        guarantee_months -> Integer,
        onsite_service -> Bool,
        trade_in -> Bool,
        cooling_off_days -> Integer,
        sold -> BigInt,
        withdrawn_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        is_lead -> Bool,
    }
}

diesel::table! {
    customer_groups (id) {
        id -> Text,
        seller_id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    customer_group_members (group_id, customer_id) {
        group_id -> Text,
        customer_id -> Text,
        label -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    customer_prices (id) {
        id -> Text,
        offer_id -> Text,
        customer_id -> Nullable<Text>,
        group_id -> Nullable<Text>,
        label -> Text,
        price -> BigInt,
        valid_from -> Nullable<Timestamp>,
        valid_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    equipment (id) {
        id -> Text,
        owner_id -> Text,
        maker -> Text,
        model -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(characteristics -> kinds (kind_id));
diesel::joinable!(products -> kinds (kind_id));
diesel::joinable!(offers -> products (product_id));
diesel::joinable!(product_numbers -> products (product_id));
diesel::joinable!(product_words -> products (product_id));
diesel::joinable!(product_fits -> products (product_id));
diesel::joinable!(customer_prices -> offers (offer_id));
diesel::joinable!(customer_group_members -> customer_groups (group_id));
diesel::joinable!(customer_prices -> customer_groups (group_id));

diesel::table! {
    catalog_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    pictures (hash) {
        hash -> Text,
        thumb -> Binary,
        page -> Binary,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offer_pictures (offer_id, position) {
        offer_id -> Text,
        position -> Integer,
        product_id -> Text,
        picture_hash -> Text,
        alt -> Text,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    catalog_generation,
    pictures,
    offer_pictures,
    kinds,
    characteristics,
    products,
    product_numbers,
    product_words,
    product_fits,
    offers,
    customer_prices,
    customer_groups,
    customer_group_members,
    equipment
);
