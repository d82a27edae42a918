//! The tables of `buyback`.

// buyback
diesel::table! {
    buyback_centers (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        address -> Text,
        phone -> Text,
        active -> Bool,
        is_default -> Bool,
        grades -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    buyback_clerks (user_id) {
        user_id -> Text,
        center_id -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    buyback_designations (offer_id) {
        offer_id -> Text,
        seller_id -> Text,
        center_id -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    buyback_prices (id) {
        id -> Text,
        center_id -> Text,
        maker -> Text,
        model -> Text,
        maker_key -> Text,
        model_key -> Text,
        grade -> Text,
        price -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    buyback_rules (id) {
        id -> Text,
        number -> BigInt,
        seller_id -> Nullable<Text>,
        bought_maker -> Text,
        bought_model -> Text,
        used_maker -> Text,
        used_model -> Text,
        bought_maker_key -> Text,
        bought_model_key -> Text,
        used_maker_key -> Text,
        used_model_key -> Text,
        benefit_kind -> Text,
        amount -> BigInt,
        valid_from -> Nullable<Timestamp>,
        valid_until -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    buyback_applications (id) {
        id -> Text,
        number -> Text,
        link_hash -> Text,
        center_id -> Text,
        order_number -> Text,
        offer_code -> Text,
        seller_id -> Text,
        buyer_id -> Text,
        applicant_id -> Nullable<Text>,
        bought_maker -> Text,
        bought_model -> Text,
        used_maker -> Text,
        used_model -> Text,
        stated_grade -> Text,
        serial -> Text,
        note -> Text,
        applicant_name -> Text,
        applicant_contact -> Text,
        erased_at -> Nullable<Timestamp>,
        estimate -> Nullable<BigInt>,
        rule_number -> Nullable<BigInt>,
        benefit_kind -> Nullable<Text>,
        benefit_amount -> BigInt,
        grade -> Nullable<Text>,
        price -> Nullable<BigInt>,
        benefit_cash -> BigInt,
        benefit_points -> BigInt,
        state -> Text,
        idempotency_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    buyback_events (id) {
        id -> Text,
        application_id -> Text,
        state -> Text,
        actor_id -> Nullable<Text>,
        reason -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    buyback_results (application_id) {
        application_id -> Text,
        center_id -> Text,
        seller_id -> Text,
        offer_code -> Text,
        bought_maker -> Text,
        bought_model -> Text,
        used_maker -> Text,
        used_model -> Text,
        grade -> Text,
        price -> BigInt,
        benefit_cash -> BigInt,
        benefit_points -> BigInt,
        rule_number -> Nullable<BigInt>,
        paid_at -> Timestamp,
    }
}

diesel::joinable!(buyback_clerks -> buyback_centers (center_id));
diesel::joinable!(buyback_prices -> buyback_centers (center_id));
diesel::joinable!(buyback_events -> buyback_applications (application_id));

diesel::allow_tables_to_appear_in_same_query!(
    buyback_centers,
    buyback_clerks,
    buyback_designations,
    buyback_prices,
    buyback_rules,
    buyback_applications,
    buyback_events,
    buyback_results,
);
