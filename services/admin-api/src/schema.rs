//! Diesel schema of the tables this service owns (checked against the
//! migrated database by the `schema_matches_migrations` test). Public ids are
//! `TEXT COLLATE "C"`, so comparing them is byte order (keyset pages).

diesel::table! {
    audiences (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        name -> Text,
        size -> Integer,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    customers (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        email -> Text,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        lifecycle_stage -> Text,
        total_spent_cents -> BigInt,
        orders_count -> Integer,
        tags -> Array<Text>,
        accepts_marketing -> Bool,
        currency -> Text,
        country -> Nullable<Text>,
        note -> Nullable<Text>,
        last_order_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    orders (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        customer_id -> Text,
        order_number -> BigInt,
        status -> Text,
        currency -> Text,
        subtotal_cents -> BigInt,
        discount_cents -> BigInt,
        shipping_cents -> BigInt,
        tax_cents -> BigInt,
        total_cents -> BigInt,
        items_count -> Integer,
        source -> Text,
        placed_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    attributions (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        order_id -> Text,
        customer_id -> Text,
        model -> Text,
        channel -> Text,
        campaign_id -> Nullable<Text>,
        revenue_cents -> BigInt,
        converted_at -> Timestamptz,
    }
}

diesel::table! {
    touchpoints (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        attribution_id -> Text,
        position -> Integer,
        channel -> Text,
        source -> Text,
        medium -> Text,
        campaign_id -> Nullable<Text>,
        credit -> Double,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    campaigns (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        name -> Text,
        channel -> Text,
        status -> Text,
        audience_id -> Text,
        subject -> Nullable<Text>,
        scheduled_at -> Nullable<Timestamptz>,
        launched_at -> Nullable<Timestamptz>,
        recipients_count -> Integer,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    journeys (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        name -> Text,
        trigger -> Text,
        status -> Text,
        steps -> Jsonb,
        enrollments_count -> Integer,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    enrollments (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        journey_id -> Text,
        customer_id -> Text,
        status -> Text,
        current_step -> Integer,
        enrolled_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
        exited_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    products (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        sku -> Text,
        status -> Text,
        price_cents -> BigInt,
        compare_at_price_cents -> Nullable<BigInt>,
        currency -> Text,
        vendor -> Nullable<Text>,
        product_type -> Nullable<Text>,
        tags -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    inventory_levels (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        product_id -> Text,
        location -> Text,
        available -> Integer,
        reserved -> Integer,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    decision_runs (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        kind -> Text,
        status -> Text,
        records_processed -> BigInt,
        summary -> Jsonb,
        started_at -> Nullable<Timestamptz>,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    seo_keywords (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Text,
        keyword -> Text,
        url -> Text,
        country -> Text,
        device -> Text,
        position -> Integer,
        previous_position -> Nullable<Integer>,
        search_volume -> Integer,
        difficulty -> Integer,
        clicks -> Integer,
        impressions -> Integer,
        tracked_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    audiences,
    customers,
    orders,
    attributions,
    touchpoints,
    campaigns,
    journeys,
    enrollments,
    products,
    inventory_levels,
    decision_runs,
    seo_keywords,
);
