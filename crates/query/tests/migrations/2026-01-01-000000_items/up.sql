CREATE TABLE items (
    id       TEXT COLLATE "C" PRIMARY KEY,
    n        INTEGER     NOT NULL,
    name     TEXT        NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    seen_at  TIMESTAMPTZ,
    tags     TEXT[]      NOT NULL DEFAULT '{}',
    doc      JSONB       NOT NULL DEFAULT '{}'
);
