//! Diesel schema of the tables this service owns (kept in sync with
//! `migrations/` by the `schema_matches_migrations` test). The partitioned
//! tables are queried through the DSL builder with raw, parameterised SQL;
//! these definitions document them and serve the simple tables.

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

/// Every table with its columns in declaration order, for the drift test.
pub const TABLES: &[(&str, &[&str])] = &[
    (
        "projects",
        &[
            "public_id",
            "tenant_id",
            "origin",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "events",
        &[
            "project_id",
            "id",
            "timestamp",
            "received_at",
            "name",
            "payload",
            "session_id",
            "external_user_id",
            "url",
            "platform",
            "browser",
            "source",
            "message_id",
            "order_id",
            "total_amount",
            "currency",
            "product_id",
            "utm_source",
            "utm_medium",
            "utm_campaign",
        ],
    ),
    (
        "logs",
        &[
            "project_id",
            "id",
            "timestamp",
            "received_at",
            "level",
            "message",
            "source",
            "session_id",
            "url",
            "message_id",
        ],
    ),
    (
        "sessions",
        &[
            "project_id",
            "id",
            "created_at",
            "started_at",
            "device_id",
            "external_user_id",
            "platform",
            "browser",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "referrer",
            "landing_page",
            "source",
        ],
    ),
    (
        "ingest_dedup",
        &["project_id", "kind", "message_id", "item_id", "received_at"],
    ),
    (
        "event_dictionary",
        &[
            "project_id",
            "event_name",
            "category",
            "feature",
            "surface",
            "first_seen_at",
            "last_seen_at",
        ],
    ),
];
