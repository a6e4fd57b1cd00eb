CREATE TABLE test_jobs (
    id               UUID        PRIMARY KEY,
    status           TEXT        NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued','processing','succeeded','failed','canceled')),
    run_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts         INT         NOT NULL DEFAULT 0,
    max_attempts     INT         NOT NULL DEFAULT 3,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    deadline_at      TIMESTAMPTZ,
    cancel_requested BOOLEAN     NOT NULL DEFAULT false,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    error_code       TEXT,
    error_message    TEXT,
    completions      INT         NOT NULL DEFAULT 0
);
CREATE INDEX test_jobs_due ON test_jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX test_jobs_lease ON test_jobs (lease_expires_at) WHERE status = 'processing';
CREATE TABLE hook_calls (id UUID NOT NULL, code TEXT NOT NULL);
