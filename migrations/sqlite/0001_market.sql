-- The market: sellers, buyers, campaigns, targets, number lists, consents.
-- Money columns are integer minor units; times are Unix milliseconds;
-- flags are 0/1 integers (the same SQL then runs on SQLite and PostgreSQL).

CREATE TABLE change_counters (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO change_counters (name, version) VALUES ('market', 0), ('lists', 0);

CREATE TABLE sellers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE seller_trunks (
    network   TEXT PRIMARY KEY,
    seller_id INTEGER NOT NULL REFERENCES sellers(id) ON DELETE CASCADE
);

CREATE TABLE buyers (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    balance_minor INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    seller_id         INTEGER NOT NULL REFERENCES sellers(id),
    payout_minor      INTEGER NOT NULL CHECK (payout_minor >= 0),
    billable_after_ms INTEGER NOT NULL CHECK (billable_after_ms >= 0),
    dedupe_window_ms  INTEGER,
    duplicate_policy  TEXT NOT NULL DEFAULT 'reject',
    min_attestation   TEXT,
    recording         INTEGER NOT NULL DEFAULT 0,
    ranking           TEXT NOT NULL DEFAULT 'highest_bid',
    rtb_timeout_ms    INTEGER NOT NULL DEFAULT 100,
    tags              TEXT NOT NULL DEFAULT '{}',
    require_consent   INTEGER NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL
);

CREATE TABLE campaign_numbers (
    number      INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE
);

CREATE TABLE targets (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    buyer_id           INTEGER NOT NULL REFERENCES buyers(id),
    campaign_id        INTEGER NOT NULL REFERENCES campaigns(id),
    destination        TEXT NOT NULL,
    bid_minor          INTEGER NOT NULL CHECK (bid_minor >= 0),
    priority           INTEGER NOT NULL DEFAULT 1,
    weight             INTEGER NOT NULL DEFAULT 100,
    concurrency        INTEGER,
    cap_hourly         INTEGER,
    cap_daily          INTEGER,
    cap_monthly        INTEGER,
    daily_budget_minor INTEGER,
    schedule_tz        TEXT,
    schedule_open      TEXT,
    states             TEXT NOT NULL DEFAULT '',
    area_codes         TEXT NOT NULL DEFAULT '',
    rtb_url            TEXT,
    ring_timeout_ms    INTEGER NOT NULL DEFAULT 30000,
    enabled            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL
);
CREATE INDEX targets_campaign ON targets (campaign_id);

CREATE TABLE number_lists (
    list     TEXT NOT NULL,
    number   INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (list, number)
);

CREATE TABLE consents (
    id            INTEGER PRIMARY KEY,
    number        INTEGER NOT NULL,
    campaign_id   INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    granted_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    source        TEXT NOT NULL
);
CREATE INDEX consents_number ON consents (number);
