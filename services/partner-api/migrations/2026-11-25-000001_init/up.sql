-- Partner API storage. See services/partner-api/README.md ("Storage design").
--
-- events, logs and sessions are declaratively partitioned by month on their
-- time column, with a DEFAULT partition that catches anything outside the
-- monthly partitions the service creates ahead of time
-- (partner_ensure_month_partition). project_id leads every index (and is the
-- natural Citus distribution key).

-- Projects known to this service: public id (proj_…) → tenant (project) uuid.
CREATE TABLE projects (
    public_id  text PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    origin     text NOT NULL CHECK (origin IN ('jwt', 'auth', 'seed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_tenant ON projects (tenant_id);

CREATE TABLE events (
    project_id       uuid        NOT NULL,
    id               uuid        NOT NULL,
    "timestamp"      timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    name             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    session_id       uuid,
    external_user_id text,
    url              text,
    platform         text,
    browser          text,
    source           text        NOT NULL,
    message_id       text,
    order_id         text,
    total_amount     numeric,
    currency         text,
    product_id       text,
    utm_source       text,
    utm_medium       text,
    utm_campaign     text,
    -- Backward scans of this index serve the default order (timestamp DESC, id DESC).
    PRIMARY KEY (project_id, "timestamp", id)
) PARTITION BY RANGE ("timestamp");
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_name_ts ON events (project_id, name, "timestamp" DESC);
CREATE INDEX events_session_ts ON events (project_id, session_id, "timestamp" DESC) WHERE session_id IS NOT NULL;
CREATE INDEX events_user_ts ON events (project_id, external_user_id, "timestamp" DESC) WHERE external_user_id IS NOT NULL;
-- INCLUDE order_id: `q[orderId__not]=` (order_id <> '') is answered, and counted, from the index alone.
CREATE INDEX events_conversions_ts ON events (project_id, "timestamp" DESC) INCLUDE (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE logs (
    project_id  uuid        NOT NULL,
    id          uuid        NOT NULL,
    "timestamp" timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    level       text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message     text        NOT NULL,
    source      text        NOT NULL,
    session_id  uuid,
    url         text,
    message_id  text,
    PRIMARY KEY (project_id, "timestamp", id)
) PARTITION BY RANGE ("timestamp");
CREATE TABLE logs_default PARTITION OF logs DEFAULT;
CREATE INDEX logs_level_ts ON logs (project_id, level, "timestamp" DESC);
CREATE INDEX logs_session_ts ON logs (project_id, session_id, "timestamp" DESC) WHERE session_id IS NOT NULL;

CREATE TABLE sessions (
    project_id       uuid        NOT NULL,
    id               uuid        NOT NULL,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz NOT NULL,
    device_id        uuid,
    external_user_id text,
    platform         text,
    browser          text,
    utm_source       text,
    utm_medium       text,
    utm_campaign     text,
    referrer         text,
    landing_page     text,
    source           text        NOT NULL,
    PRIMARY KEY (project_id, created_at, id)
) PARTITION BY RANGE (created_at);
CREATE TABLE sessions_default PARTITION OF sessions DEFAULT;
CREATE INDEX sessions_user_ts ON sessions (project_id, external_user_id, created_at DESC) WHERE external_user_id IS NOT NULL;
CREATE INDEX sessions_device_ts ON sessions (project_id, device_id, created_at DESC) WHERE device_id IS NOT NULL;
CREATE INDEX sessions_campaign_ts ON sessions (project_id, utm_campaign, created_at DESC) WHERE utm_campaign IS NOT NULL;

-- Client message ids already accepted, per project and kind. The primary key
-- makes concurrent retries safe: the second INSERT … ON CONFLICT DO NOTHING
-- waits for the first transaction and then skips. Not partitioned, because a
-- unique index on a partitioned table must contain the partition key, and a
-- retried event's corrected timestamp differs between attempts.
CREATE TABLE ingest_dedup (
    project_id  uuid        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('event', 'log', 'session')),
    message_id  text        NOT NULL,
    item_id     uuid        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, kind, message_id)
);
CREATE INDEX ingest_dedup_received ON ingest_dedup (received_at);

-- Event metadata stripped from payloads at ingest (_category, _feature, _surface).
CREATE TABLE event_dictionary (
    project_id    uuid        NOT NULL,
    event_name    text        NOT NULL,
    category      text,
    feature       text,
    surface       text,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, event_name)
);

-- Creates the monthly partition of `parent` starting at `month_start` (UTC)
-- unless it exists. Returns true when it created one. Refuses quietly (false)
-- when the DEFAULT partition already holds rows of that month, or when a
-- concurrent replica created it first.
CREATE FUNCTION partner_ensure_month_partition(parent text, month_start date)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    part text;
    lo timestamptz;
    hi timestamptz;
BEGIN
    IF parent NOT IN ('events', 'logs', 'sessions') THEN
        RAISE EXCEPTION 'unknown partitioned table %', parent;
    END IF;
    month_start := date_trunc('month', month_start)::date;
    part := parent || '_' || to_char(month_start, 'YYYYMM');
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    lo := month_start::timestamp AT TIME ZONE 'UTC';
    hi := (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, lo, hi);
    EXCEPTION
        WHEN duplicate_table OR check_violation OR unique_violation THEN
            RAISE NOTICE 'partition % not created: %', part, SQLERRM;
            RETURN false;
    END;
    RETURN true;
END
$$;
