-- Admin API tables. Every table is keyed by the shop (`tenant_id`, from the
-- internal JWT); every index leads with it. Public ids are prefixed text
-- (`cus_…`) compared in the "C" collation so keyset order is byte order.
-- Money is integer cents; the API renders it as a JSON number with 2 decimals.

CREATE TABLE audiences (
    tenant_id   UUID        NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    name        TEXT        NOT NULL,
    size        INTEGER     NOT NULL DEFAULT 0 CHECK (size >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE customers (
    tenant_id          UUID        NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    email              TEXT        NOT NULL,
    first_name         TEXT,
    last_name          TEXT,
    phone              TEXT,
    lifecycle_stage    TEXT        NOT NULL CHECK (lifecycle_stage IN ('new', 'active', 'loyal', 'at_risk', 'churned')),
    total_spent_cents  BIGINT      NOT NULL DEFAULT 0,
    orders_count       INTEGER     NOT NULL DEFAULT 0,
    tags               TEXT[]      NOT NULL DEFAULT '{}',
    accepts_marketing  BOOLEAN     NOT NULL DEFAULT false,
    currency           TEXT        NOT NULL DEFAULT 'USD',
    country            TEXT,
    note               TEXT,
    last_order_at      TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX customers_email ON customers (tenant_id, lower(email));
CREATE INDEX customers_created ON customers (tenant_id, created_at, id);
CREATE INDEX customers_last_order ON customers (tenant_id, (COALESCE(last_order_at, '-infinity'::timestamptz)), id);
CREATE INDEX customers_stage_last_order ON customers (tenant_id, lifecycle_stage, (COALESCE(last_order_at, '-infinity'::timestamptz)), id);
CREATE INDEX customers_total_spent ON customers (tenant_id, total_spent_cents, id);
CREATE INDEX customers_updated ON customers (tenant_id, updated_at, id);
CREATE INDEX customers_orders_count ON customers (tenant_id, orders_count, id);
CREATE INDEX customers_email_order ON customers (tenant_id, email COLLATE "C", id);

CREATE TABLE orders (
    tenant_id       UUID        NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    customer_id     TEXT COLLATE "C" NOT NULL,
    order_number    BIGINT      NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('pending', 'paid', 'fulfilled', 'refunded', 'cancelled')),
    currency        TEXT        NOT NULL DEFAULT 'USD',
    subtotal_cents  BIGINT      NOT NULL,
    discount_cents  BIGINT      NOT NULL DEFAULT 0,
    shipping_cents  BIGINT      NOT NULL DEFAULT 0,
    tax_cents       BIGINT      NOT NULL DEFAULT 0,
    total_cents     BIGINT      NOT NULL,
    items_count     INTEGER     NOT NULL,
    source          TEXT        NOT NULL CHECK (source IN ('web', 'pos', 'mobile', 'marketplace')),
    placed_at       TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE UNIQUE INDEX orders_number ON orders (tenant_id, order_number);
CREATE INDEX orders_placed ON orders (tenant_id, placed_at, id);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id, placed_at, id);
CREATE INDEX orders_total ON orders (tenant_id, total_cents, id);
CREATE INDEX orders_created ON orders (tenant_id, created_at, id);

CREATE TABLE attributions (
    tenant_id      UUID        NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    order_id       TEXT COLLATE "C" NOT NULL,
    customer_id    TEXT COLLATE "C" NOT NULL,
    model          TEXT        NOT NULL CHECK (model IN ('last_click', 'first_click', 'linear', 'time_decay')),
    channel        TEXT        NOT NULL,
    campaign_id    TEXT COLLATE "C",
    revenue_cents  BIGINT      NOT NULL,
    converted_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
CREATE INDEX attributions_converted ON attributions (tenant_id, converted_at, id);
CREATE INDEX attributions_order ON attributions (tenant_id, order_id);
CREATE INDEX attributions_revenue ON attributions (tenant_id, revenue_cents, id);

CREATE TABLE touchpoints (
    tenant_id       UUID        NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    attribution_id  TEXT COLLATE "C" NOT NULL,
    position        INTEGER     NOT NULL,
    channel         TEXT        NOT NULL,
    source          TEXT        NOT NULL,
    medium          TEXT        NOT NULL,
    campaign_id     TEXT COLLATE "C",
    credit          DOUBLE PRECISION NOT NULL CHECK (credit >= 0 AND credit <= 1),
    occurred_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, attribution_id) REFERENCES attributions (tenant_id, id)
);
CREATE INDEX touchpoints_attribution ON touchpoints (tenant_id, attribution_id, position);

CREATE TABLE campaigns (
    tenant_id         UUID        NOT NULL,
    id                TEXT COLLATE "C" NOT NULL,
    name              TEXT        NOT NULL,
    channel           TEXT        NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    status            TEXT        NOT NULL CHECK (status IN ('draft', 'scheduled', 'active', 'completed', 'cancelled')),
    audience_id       TEXT COLLATE "C" NOT NULL,
    subject           TEXT,
    scheduled_at      TIMESTAMPTZ,
    launched_at       TIMESTAMPTZ,
    recipients_count  INTEGER     NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, audience_id) REFERENCES audiences (tenant_id, id)
);
CREATE INDEX campaigns_created ON campaigns (tenant_id, created_at, id);
CREATE INDEX campaigns_status ON campaigns (tenant_id, status, created_at, id);

CREATE TABLE journeys (
    tenant_id          UUID        NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    name               TEXT        NOT NULL,
    trigger            TEXT        NOT NULL CHECK (trigger IN ('signup', 'first_order', 'abandoned_cart', 'winback', 'birthday')),
    status             TEXT        NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    steps              JSONB       NOT NULL DEFAULT '[]',
    enrollments_count  INTEGER     NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX journeys_created ON journeys (tenant_id, created_at, id);

CREATE TABLE enrollments (
    tenant_id     UUID        NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    journey_id    TEXT COLLATE "C" NOT NULL,
    customer_id   TEXT COLLATE "C" NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('active', 'completed', 'exited')),
    current_step  INTEGER     NOT NULL DEFAULT 0,
    enrolled_at   TIMESTAMPTZ NOT NULL,
    completed_at  TIMESTAMPTZ,
    exited_at     TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, journey_id) REFERENCES journeys (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX enrollments_journey ON enrollments (tenant_id, journey_id, enrolled_at, id);
CREATE INDEX enrollments_journey_status ON enrollments (tenant_id, journey_id, status, enrolled_at, id);
CREATE INDEX enrollments_journey_step ON enrollments (tenant_id, journey_id, current_step, id);

CREATE TABLE products (
    tenant_id              UUID        NOT NULL,
    id                     TEXT COLLATE "C" NOT NULL,
    title                  TEXT        NOT NULL,
    description            TEXT,
    sku                    TEXT        NOT NULL,
    status                 TEXT        NOT NULL CHECK (status IN ('active', 'draft', 'archived')),
    price_cents            BIGINT      NOT NULL CHECK (price_cents >= 0),
    compare_at_price_cents BIGINT CHECK (compare_at_price_cents >= 0),
    currency               TEXT        NOT NULL DEFAULT 'USD',
    vendor                 TEXT,
    product_type           TEXT,
    tags                   TEXT[]      NOT NULL DEFAULT '{}',
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX products_sku ON products (tenant_id, sku);
CREATE INDEX products_created ON products (tenant_id, created_at, id);
CREATE INDEX products_price ON products (tenant_id, price_cents, id);

CREATE TABLE inventory_levels (
    tenant_id   UUID        NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    product_id  TEXT COLLATE "C" NOT NULL,
    location    TEXT        NOT NULL,
    available   INTEGER     NOT NULL CHECK (available >= 0),
    reserved    INTEGER     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE UNIQUE INDEX inventory_product_location ON inventory_levels (tenant_id, product_id, location);
CREATE INDEX inventory_available ON inventory_levels (tenant_id, available, id);
CREATE INDEX inventory_updated ON inventory_levels (tenant_id, updated_at, id);

CREATE TABLE decision_runs (
    tenant_id          UUID        NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    kind               TEXT        NOT NULL CHECK (kind IN ('churn_prediction', 'next_best_action', 'ltv_forecast', 'price_optimization')),
    status             TEXT        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    records_processed  BIGINT      NOT NULL DEFAULT 0,
    summary            JSONB       NOT NULL DEFAULT '{}',
    started_at         TIMESTAMPTZ,
    completed_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX decision_runs_created ON decision_runs (tenant_id, created_at, id);

CREATE TABLE seo_keywords (
    tenant_id          UUID        NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    keyword            TEXT        NOT NULL,
    url                TEXT        NOT NULL,
    country            TEXT        NOT NULL,
    device             TEXT        NOT NULL CHECK (device IN ('desktop', 'mobile')),
    position           INTEGER     NOT NULL,
    previous_position  INTEGER,
    search_volume      INTEGER     NOT NULL,
    difficulty         INTEGER     NOT NULL CHECK (difficulty BETWEEN 0 AND 100),
    clicks             INTEGER     NOT NULL DEFAULT 0,
    impressions        INTEGER     NOT NULL DEFAULT 0,
    tracked_at         TIMESTAMPTZ NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX seo_keywords_created ON seo_keywords (tenant_id, created_at, id);
CREATE INDEX seo_keywords_position ON seo_keywords (tenant_id, position, id);
CREATE INDEX seo_keywords_volume ON seo_keywords (tenant_id, search_volume, id);
