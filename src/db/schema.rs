// The tables of all modules. Each table belongs to the module named above it; only that module's
// `repo.rs` queries it.

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

// notify
diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        topic -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

// accounts: where a shopper had goods delivered
diesel::table! {
    delivery_addresses (id) {
        id -> Text,
        user_id -> Text,
        address -> Text,
        created_at -> Timestamp,
    }
}

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
    anon_results (token, offer_code) {
        token -> Text,
        offer_code -> Text,
        position -> Integer,
        price -> BigInt,
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
    anon_order_events
);

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

// ---- buyback ----

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
