-- The generation service's own tables. Workspace and user ids come from auth
-- (tenant UUID, `usr_…`); this database keeps what generation owns about them.

CREATE TABLE plans (
    name                TEXT    PRIMARY KEY,
    monthly_credits     BIGINT  NOT NULL CHECK (monthly_credits >= 0),
    max_concurrent_jobs INT     NOT NULL CHECK (max_concurrent_jobs > 0)
);
INSERT INTO plans (name, monthly_credits, max_concurrent_jobs) VALUES
    ('free', 50, 2), ('starter', 500, 5), ('growth', 3000, 20), ('enterprise', 20000, 100);

CREATE TABLE workspaces (
    id         UUID        PRIMARY KEY,
    name       TEXT,
    plan       TEXT        NOT NULL DEFAULT 'free' REFERENCES plans (name),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One balance row per workspace and mode; `available = balance - reserved`.
CREATE TABLE credit_balances (
    workspace_id UUID   NOT NULL REFERENCES workspaces (id),
    env          TEXT   NOT NULL CHECK (env IN ('live', 'test')),
    balance      BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (workspace_id, env),
    CHECK (reserved <= balance)
);

-- Append-only: grant (+balance), reserve (+reserved), capture (-balance, -reserved),
-- release (-reserved), refund (+balance). `period` makes a monthly grant happen once.
CREATE TABLE credit_ledger (
    id           BIGSERIAL   PRIMARY KEY,
    workspace_id UUID        NOT NULL REFERENCES workspaces (id),
    env          TEXT        NOT NULL CHECK (env IN ('live', 'test')),
    kind         TEXT        NOT NULL CHECK (kind IN ('grant', 'reserve', 'capture', 'release', 'refund')),
    amount       BIGINT      NOT NULL CHECK (amount >= 0),
    job_id       UUID,
    period       TEXT,
    note         TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX credit_ledger_workspace ON credit_ledger (workspace_id, id);
CREATE INDEX credit_ledger_job ON credit_ledger (job_id) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX credit_ledger_monthly_grant ON credit_ledger (workspace_id, env, period)
    WHERE kind = 'grant' AND period IS NOT NULL;

CREATE TABLE brand_profiles (
    id             UUID        PRIMARY KEY,
    workspace_id   UUID        NOT NULL REFERENCES workspaces (id),
    name           TEXT        NOT NULL,
    voice          TEXT,
    palette        JSONB       NOT NULL DEFAULT '[]',
    fonts          JSONB       NOT NULL DEFAULT '[]',
    audience       TEXT,
    do_list        JSONB       NOT NULL DEFAULT '[]',
    dont_list      JSONB       NOT NULL DEFAULT '[]',
    logo_asset_id  TEXT,
    internal_notes TEXT,
    is_current     BOOLEAN     NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX brand_profiles_workspace ON brand_profiles (workspace_id, id);
CREATE UNIQUE INDEX brand_profiles_current ON brand_profiles (workspace_id) WHERE is_current;

-- workspace_id NULL = a public avatar every workspace may use.
CREATE TABLE avatars (
    id           UUID        PRIMARY KEY,
    workspace_id UUID        REFERENCES workspaces (id),
    name         TEXT        NOT NULL,
    type         TEXT        NOT NULL CHECK (type IN ('stock', 'custom')),
    gender       TEXT        NOT NULL CHECK (gender IN ('female', 'male', 'neutral')),
    style        TEXT        NOT NULL,
    preview_color TEXT       NOT NULL DEFAULT '#888888',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX avatars_workspace ON avatars (workspace_id, id);

-- A job is also its queue entry (crates/jobs, `jobs::QUEUE_COLUMNS_SQL`).
CREATE TABLE jobs (
    id                  UUID        PRIMARY KEY,
    status              TEXT        NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued','processing','succeeded','failed','canceled')),
    run_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts            INT         NOT NULL DEFAULT 0,
    max_attempts        INT         NOT NULL DEFAULT 3,
    lease_owner         TEXT,
    lease_expires_at    TIMESTAMPTZ,
    deadline_at         TIMESTAMPTZ,
    cancel_requested    BOOLEAN     NOT NULL DEFAULT false,
    started_at          TIMESTAMPTZ,
    completed_at        TIMESTAMPTZ,
    error_code          TEXT,
    error_message       TEXT,
    -- the owner's columns
    workspace_id        UUID        NOT NULL REFERENCES workspaces (id),
    env                 TEXT        NOT NULL CHECK (env IN ('live', 'test')),
    user_id             TEXT,
    key_id              TEXT        NOT NULL,
    type                TEXT        NOT NULL CHECK (type IN ('image', 'video', 'ad_video', 'face_swap', 'reference_analysis')),
    request             JSONB       NOT NULL,
    provider            TEXT        NOT NULL,
    provider_request_id TEXT,
    progress            SMALLINT    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    credits_estimated   BIGINT      NOT NULL,
    credits_reserved    BIGINT      NOT NULL,
    credits_charged     BIGINT,
    outputs             JSONB       NOT NULL DEFAULT '[]',
    result_expires_at   TIMESTAMPTZ,
    webhook_url         TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX jobs_deadline ON jobs (deadline_at) WHERE status IN ('queued', 'processing');
CREATE INDEX jobs_workspace ON jobs (workspace_id, env, id DESC);
CREATE INDEX jobs_active ON jobs (workspace_id, env) WHERE status IN ('queued', 'processing');

-- Standard Webhooks: one signing secret per workspace and mode.
CREATE TABLE webhook_secrets (
    workspace_id UUID        NOT NULL REFERENCES workspaces (id),
    env          TEXT        NOT NULL CHECK (env IN ('live', 'test')),
    secret       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, env)
);

-- Endpoints disabled by a 410 answer.
CREATE TABLE webhook_disabled_urls (
    workspace_id UUID        NOT NULL,
    env          TEXT        NOT NULL,
    url          TEXT        NOT NULL,
    disabled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, env, url)
);

-- The outbox: a delivery is written in the transaction that finishes the job
-- and is itself a queue entry (crates/jobs) worked by the worker.
CREATE TABLE webhook_deliveries (
    id               UUID        PRIMARY KEY,
    status           TEXT        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued','processing','succeeded','failed','canceled')),
    run_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INT         NOT NULL DEFAULT 0,
    max_attempts     INT         NOT NULL DEFAULT 8,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    deadline_at      TIMESTAMPTZ,
    cancel_requested BOOLEAN     NOT NULL DEFAULT false,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    error_code       TEXT,
    error_message    TEXT,
    workspace_id     UUID        NOT NULL,
    env              TEXT        NOT NULL,
    job_id           UUID        NOT NULL,
    event_type       TEXT        NOT NULL,
    url              TEXT        NOT NULL,
    payload          JSONB       NOT NULL,
    last_status_code INT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (run_at, id) WHERE status = 'queued';
CREATE INDEX webhook_deliveries_lease ON webhook_deliveries (lease_expires_at) WHERE status = 'processing';
