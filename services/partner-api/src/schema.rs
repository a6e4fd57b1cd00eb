//! Diesel schema of the tables this service owns (checked against the
//! migrated database by the `schema_matches_migrations` test, through
//! `testkit::schema_drift`). Lists render through `crates/query` over these.

diesel::table! {
    projects (public_id) {
        public_id -> Text,
        tenant_id -> Uuid,
        origin -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    events (project_id, timestamp, id) {
        project_id -> Uuid,
        id -> Uuid,
        timestamp -> Timestamptz,
        received_at -> Timestamptz,
        name -> Text,
        payload -> Jsonb,
        session_id -> Nullable<Uuid>,
        external_user_id -> Nullable<Text>,
        url -> Nullable<Text>,
        platform -> Nullable<Text>,
        browser -> Nullable<Text>,
        source -> Text,
        message_id -> Nullable<Text>,
        order_id -> Nullable<Text>,
        total_amount -> Nullable<Numeric>,
        currency -> Nullable<Text>,
        product_id -> Nullable<Text>,
        utm_source -> Nullable<Text>,
        utm_medium -> Nullable<Text>,
        utm_campaign -> Nullable<Text>,
    }
}

diesel::table! {
    logs (project_id, timestamp, id) {
        project_id -> Uuid,
        id -> Uuid,
        timestamp -> Timestamptz,
        received_at -> Timestamptz,
        level -> Text,
        message -> Text,
        source -> Text,
        session_id -> Nullable<Uuid>,
        url -> Nullable<Text>,
        message_id -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (project_id, created_at, id) {
        project_id -> Uuid,
        id -> Uuid,
        created_at -> Timestamptz,
        started_at -> Timestamptz,
        device_id -> Nullable<Uuid>,
        external_user_id -> Nullable<Text>,
        platform -> Nullable<Text>,
        browser -> Nullable<Text>,
        utm_source -> Nullable<Text>,
        utm_medium -> Nullable<Text>,
        utm_campaign -> Nullable<Text>,
        referrer -> Nullable<Text>,
        landing_page -> Nullable<Text>,
        source -> Text,
    }
}

diesel::table! {
    ingest_dedup (project_id, kind, message_id) {
        project_id -> Uuid,
        kind -> Text,
        message_id -> Text,
        item_id -> Uuid,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    event_dictionary (project_id, event_name) {
        project_id -> Uuid,
        event_name -> Text,
        category -> Nullable<Text>,
        feature -> Nullable<Text>,
        surface -> Nullable<Text>,
        first_seen_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}
