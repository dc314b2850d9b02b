-- The market: sellers, buyers, campaigns, targets, number lists, consents.
-- Money columns are integer minor units; times are Unix milliseconds;
-- flags are 0/1 integers (the same SQL then runs on SQLite and PostgreSQL).

CREATE TABLE change_counters (
    name    TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO change_counters (name, version) VALUES ('market', 0), ('lists', 0);

CREATE TABLE sellers (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE seller_trunks (
    network   TEXT PRIMARY KEY,
    seller_id BIGINT NOT NULL REFERENCES sellers(id) ON DELETE CASCADE
);

CREATE TABLE buyers (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    balance_minor BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE campaigns (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    seller_id         BIGINT NOT NULL REFERENCES sellers(id),
    payout_minor      BIGINT NOT NULL CHECK (payout_minor >= 0),
    billable_after_ms BIGINT NOT NULL CHECK (billable_after_ms >= 0),
    dedupe_window_ms  BIGINT,
    duplicate_policy  TEXT NOT NULL DEFAULT 'reject',
    min_attestation   TEXT,
    recording         BIGINT NOT NULL DEFAULT 0,
    ranking           TEXT NOT NULL DEFAULT 'highest_bid',
    rtb_timeout_ms    BIGINT NOT NULL DEFAULT 100,
    tags              TEXT NOT NULL DEFAULT '{}',
    require_consent   BIGINT NOT NULL DEFAULT 0,
    enabled           BIGINT NOT NULL DEFAULT 1,
    created_at        BIGINT NOT NULL
);

CREATE TABLE campaign_numbers (
    number      BIGINT PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE
);

CREATE TABLE targets (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    buyer_id           BIGINT NOT NULL REFERENCES buyers(id),
    campaign_id        BIGINT NOT NULL REFERENCES campaigns(id),
    destination        TEXT NOT NULL,
    bid_minor          BIGINT NOT NULL CHECK (bid_minor >= 0),
    priority           BIGINT NOT NULL DEFAULT 1,
    weight             BIGINT NOT NULL DEFAULT 100,
    concurrency        BIGINT,
    cap_hourly         BIGINT,
    cap_daily          BIGINT,
    cap_monthly        BIGINT,
    daily_budget_minor BIGINT,
    schedule_tz        TEXT,
    schedule_open      TEXT,
    states             TEXT NOT NULL DEFAULT '',
    area_codes         TEXT NOT NULL DEFAULT '',
    rtb_url            TEXT,
    ring_timeout_ms    BIGINT NOT NULL DEFAULT 30000,
    enabled            BIGINT NOT NULL DEFAULT 1,
    created_at         BIGINT NOT NULL
);
CREATE INDEX targets_campaign ON targets (campaign_id);

CREATE TABLE number_lists (
    list     TEXT NOT NULL,
    number   BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (list, number)
);

CREATE TABLE consents (
    id            BIGSERIAL PRIMARY KEY,
    number        BIGINT NOT NULL,
    campaign_id   BIGINT REFERENCES campaigns(id) ON DELETE CASCADE,
    granted_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT,
    source        TEXT NOT NULL
);
CREATE INDEX consents_number ON consents (number);
