-- Owned by crates/idempotency. Services copy this file verbatim into one of
-- their migrations (a test in the service keeps the copy equal to
-- `idempotency::SCHEMA_SQL`).
CREATE TABLE idempotency_keys (
    tenant_id        UUID        NOT NULL,
    key              TEXT        NOT NULL,
    request_hash     BYTEA       NOT NULL,
    method           TEXT        NOT NULL,
    path             TEXT        NOT NULL,
    response_status  SMALLINT    NOT NULL,
    response_body    BYTEA       NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);
