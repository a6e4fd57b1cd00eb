//! Diesel table definitions; kept in step with `migrations/` (see the schema test in `tests/it`).

diesel::table! {
    tenants (id) {
        id -> Uuid,
        product -> Text,
        name -> Text,
        public_id -> Nullable<Text>,
        tier -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        tenant_id -> Uuid,
        email -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        tenant_id -> Uuid,
        user_id -> Nullable<Text>,
        product -> Text,
        name -> Text,
        key_hash -> Text,
        hint -> Text,
        scopes -> Array<Text>,
        tier -> Text,
        env -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        secret -> Bytea,
        encryption -> Text,
        public_x -> Text,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
        publish_until -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(api_keys -> tenants (tenant_id));
diesel::allow_tables_to_appear_in_same_query!(tenants, users, api_keys, signing_keys);
