-- Tenants: a shop (admin), a project (partner) or a workspace (generation).
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    product     text NOT NULL CHECK (product IN ('admin', 'partner', 'generation')),
    name        text NOT NULL,
    -- Partner projects only: the public project id (proj_…) that POST /sdk/ingest carries.
    public_id   text UNIQUE,
    tier        text NOT NULL DEFAULT 'starter',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((product = 'partner') = (public_id IS NOT NULL))
);
CREATE INDEX tenants_product_id ON tenants (product, id);

-- Users of a generation workspace; every generation key belongs to one.
CREATE TABLE users (
    id          text PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_tenant_id ON users (tenant_id, id);

-- API keys, stored only as the SHA-256 of the whole key plus a display hint.
CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    user_id       text REFERENCES users (id),
    product       text NOT NULL,
    name          text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    hint          text NOT NULL,
    scopes        text[] NOT NULL,
    tier          text NOT NULL,
    env           text NOT NULL CHECK (env IN ('live', 'test')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    -- May lie in the future: a rolled key keeps working until then (grace period).
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    -- The key that replaced this one by a roll.
    replaced_by   text REFERENCES api_keys (id)
);
CREATE INDEX api_keys_tenant_id ON api_keys (tenant_id, id);

-- Ed25519 signing keys of internal JWTs. The newest non-retired key signs;
-- retired keys stay in the JWKS until publish_until.
CREATE TABLE signing_keys (
    kid            text PRIMARY KEY,
    -- PKCS#8 DER, sealed with AES-256-GCM when a key-encryption key is configured.
    secret         bytea NOT NULL,
    encryption     text NOT NULL CHECK (encryption IN ('none', 'aes-256-gcm')),
    -- The public key (base64url), so the JWKS is served without touching secrets.
    public_x       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    retired_at     timestamptz,
    publish_until  timestamptz
);
