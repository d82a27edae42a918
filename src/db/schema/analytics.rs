//! The tables of `analytics`.

diesel::table! {
    analytics_settings (id) {
        id -> Text,
        k -> BigInt,
        noise -> Bool,
        epsilon_milli -> BigInt,
        budget_milli -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    analysis_prices (analysis) {
        analysis -> Text,
        price -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    analytics_reports (id) {
        id -> Text,
        seller_id -> Text,
        office_id -> Text,
        analysis -> Text,
        design -> Text,
        tables -> Text,
        k -> BigInt,
        epsilon_milli -> Nullable<BigInt>,
        price -> BigInt,
        idempotency_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    analytics_budgets (seller_id, month) {
        seller_id -> Text,
        month -> Text,
        spent_milli -> BigInt,
    }
}

diesel::table! {
    analytics_report_csv (report_id) {
        report_id -> Text,
        body -> Text,
    }
}

diesel::joinable!(analytics_report_csv -> analytics_reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(
    analytics_settings,
    analysis_prices,
    analytics_reports,
    analytics_budgets,
    analytics_report_csv
);
