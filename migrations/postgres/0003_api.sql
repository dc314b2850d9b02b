-- The management API: accounts, users, refresh tokens, API keys, its
-- settings and the audit log. Times are Unix milliseconds; flags and ids
-- are integers (the same SQL then runs on SQLite and PostgreSQL).

-- Who a user or an API key acts for: the house (admin), one buyer or one
-- seller of the market tables. One account per buyer and per seller.
CREATE TABLE api_accounts (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('admin', 'buyer', 'seller')),
    buyer_id   BIGINT UNIQUE REFERENCES buyers(id),
    seller_id  BIGINT UNIQUE REFERENCES sellers(id),
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'admin' AND buyer_id IS NULL AND seller_id IS NULL)
        OR (kind = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL)
        OR (kind = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL))
);

-- A person who logs in. The email is stored lower-case; the password as an
-- argon2id PHC string. A disabled user can no longer log in or refresh.
CREATE TABLE api_users (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES api_accounts(id),
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);
CREATE INDEX api_users_account ON api_users (account_id);

-- Refresh tokens, by SHA-256. Each login starts a family; a refresh marks
-- its token used and issues the next one of the family. Presenting a used
-- token again revokes the whole family.
CREATE TABLE api_refresh_tokens (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    family     TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES api_users(id),
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_refresh_tokens_family ON api_refresh_tokens (family);
CREATE INDEX api_refresh_tokens_user ON api_refresh_tokens (user_id);

-- Keys for machine clients, by SHA-256; the prefix is kept for listings.
CREATE TABLE api_keys (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES api_accounts(id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- Settings every node shares (the generated JWT signing secret).
CREATE TABLE api_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every state change through the API or the CLI: who, what, when, the
-- object before and after (JSON text).
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    account_id  BIGINT,
    user_id     BIGINT,
    api_key_id  BIGINT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
