//! The API's tables (migrations/*/0003_api.sql) over the market store's
//! pool: accounts, users, refresh tokens, API keys.
//!
//! Same rules as `dce_marketplace::store`: SQL written once for SQLite and
//! PostgreSQL (`$n` parameters, `RETURNING`), times in Unix milliseconds.
//! Functions taking `&mut AnyConnection` run inside the caller's
//! transaction; the others read from the pool.

use super::credentials::sha256_hex;
use super::error::ApiError;
use super::role::{AccountKind, Caller, Role};
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool};
use utoipa::ToSchema;

/// An account: the house, one buyer or one seller.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// `admin`, `buyer` or `seller`.
    #[schema(value_type = AccountKind)]
    pub kind: String,
    /// The market buyer, for a buyer account.
    pub buyer_id: Option<i64>,
    /// The market seller, for a seller account.
    pub seller_id: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A user (never its password hash).
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// The account it acts for.
    pub account_id: i64,
    /// Login email, lower-case.
    pub email: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When it was disabled (it can no longer log in), Unix milliseconds.
    pub disabled_at: Option<i64>,
}

/// An API key as listed (never the key itself).
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    /// Its id.
    pub id: i64,
    /// The account it acts for (and whose role it carries).
    pub account_id: i64,
    /// A label.
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When it was revoked, Unix milliseconds.
    pub revoked_at: Option<i64>,
}

const ACCOUNT: &str = "SELECT id, name, kind, buyer_id, seller_id, created_at FROM api_accounts";
const USER: &str = "SELECT id, account_id, email, created_at, disabled_at FROM api_users";
const KEY: &str = "SELECT id, account_id, name, prefix, created_at, revoked_at FROM api_keys";

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

// ---- accounts

/// One account.
pub async fn account(pool: &AnyPool, id: i64) -> Result<Option<Account>, ApiError> {
    Ok(sqlx::query_as(&format!("{ACCOUNT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// Accounts after id `after`, at most `limit`, limited to `only` if set.
pub async fn accounts(
    pool: &AnyPool,
    only: Option<i64>,
    after: i64,
    limit: i64,
) -> Result<Vec<Account>, ApiError> {
    Ok(sqlx::query_as(&format!(
        "{ACCOUNT} WHERE id > $1 AND ($2 IS NULL OR id = $2) ORDER BY id LIMIT $3"
    ))
    .bind(after)
    .bind(only)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The account for `role` (the first admin account, or the buyer's or
/// seller's), if one exists.
pub async fn account_for_role(
    conn: &mut AnyConnection,
    role: Role,
) -> Result<Option<Account>, ApiError> {
    let (sql, id) = match role {
        Role::Admin => (
            format!("{ACCOUNT} WHERE kind = 'admin' AND $1 = 0 ORDER BY id LIMIT 1"),
            0,
        ),
        Role::Buyer(b) => (format!("{ACCOUNT} WHERE buyer_id = $1"), b.0),
        Role::Seller(s) => (format!("{ACCOUNT} WHERE seller_id = $1"), s.0),
    };
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?)
}

/// Whether the market has this buyer or seller (`Admin`: always).
pub async fn market_party_exists(conn: &mut AnyConnection, role: Role) -> Result<bool, ApiError> {
    let (sql, id) = match role {
        Role::Admin => return Ok(true),
        Role::Buyer(b) => ("SELECT COUNT(*) FROM buyers WHERE id = $1", b.0),
        Role::Seller(s) => ("SELECT COUNT(*) FROM sellers WHERE id = $1", s.0),
    };
    let (n,): (i64,) = sqlx::query_as(sql).bind(id).fetch_one(conn).await?;
    Ok(n > 0)
}

/// Inserts an account for `role`; 409 on a taken name or a buyer/seller
/// that already has one.
pub async fn insert_account(
    conn: &mut AnyConnection,
    name: &str,
    role: Role,
) -> Result<Account, ApiError> {
    let (buyer, seller) = match role {
        Role::Admin => (None, None),
        Role::Buyer(b) => (Some(b.0), None),
        Role::Seller(s) => (None, Some(s.0)),
    };
    sqlx::query_as(
        "INSERT INTO api_accounts (name, kind, buyer_id, seller_id, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, kind, buyer_id, seller_id, created_at",
    )
    .bind(name)
    .bind(role.kind().as_str())
    .bind(buyer)
    .bind(seller)
    .bind(now_ms())
    .fetch_one(conn)
    .await
    .map_err(ApiError::unique(
        "name",
        "an account with this name, or for this buyer or seller, exists",
    ))
}

// ---- users

/// One user.
pub async fn user(pool: &AnyPool, id: i64) -> Result<Option<User>, ApiError> {
    Ok(sqlx::query_as(&format!("{USER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// Users after id `after`, at most `limit`, of account `only` if set.
pub async fn users(
    pool: &AnyPool,
    only: Option<i64>,
    after: i64,
    limit: i64,
) -> Result<Vec<User>, ApiError> {
    Ok(sqlx::query_as(&format!(
        "{USER} WHERE id > $1 AND ($2 IS NULL OR account_id = $2) ORDER BY id LIMIT $3"
    ))
    .bind(after)
    .bind(only)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Inserts a user; 409 naming `email` when it is taken.
pub async fn insert_user(
    conn: &mut AnyConnection,
    account_id: i64,
    email: &str,
    password_hash: &str,
) -> Result<User, ApiError> {
    sqlx::query_as(
        "INSERT INTO api_users (account_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id, account_id, email, created_at, disabled_at",
    )
    .bind(account_id)
    .bind(email)
    .bind(password_hash)
    .bind(now_ms())
    .fetch_one(conn)
    .await
    .map_err(ApiError::unique("email", "a user with this email exists"))
}

/// Disables a user and revokes its refresh tokens; the user after.
pub async fn disable_user(conn: &mut AnyConnection, id: i64) -> Result<Option<User>, ApiError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE api_refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_as(
        "UPDATE api_users SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2
         RETURNING id, account_id, email, created_at, disabled_at",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Whether an enabled admin user exists.
pub async fn admin_user_exists(pool: &AnyPool) -> Result<bool, ApiError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM api_users u JOIN api_accounts a ON a.id = u.account_id
         WHERE a.kind = 'admin' AND u.disabled_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// What login needs about a user.
#[derive(Debug)]
pub struct LoginRow {
    /// The user.
    pub user_id: i64,
    /// Its account.
    pub account_id: i64,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The account's role.
    pub role: Role,
    /// Whether the user is disabled.
    pub disabled: bool,
}

type LoginTuple = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const LOGIN: &str =
    "SELECT u.id, u.account_id, u.password_hash, a.kind, a.buyer_id, a.seller_id, u.disabled_at
     FROM api_users u JOIN api_accounts a ON a.id = u.account_id";

fn login_row(t: LoginTuple) -> Result<LoginRow, ApiError> {
    Ok(LoginRow {
        user_id: t.0,
        account_id: t.1,
        password_hash: t.2,
        role: Role::from_account(&t.3, t.4, t.5)?,
        disabled: t.6.is_some(),
    })
}

/// The user with this email, for login.
pub async fn login_by_email(pool: &AnyPool, email: &str) -> Result<Option<LoginRow>, ApiError> {
    let t: Option<LoginTuple> = sqlx::query_as(&format!("{LOGIN} WHERE u.email = $1"))
        .bind(email)
        .fetch_optional(pool)
        .await?;
    t.map(login_row).transpose()
}

/// The user with this id, for a refresh.
pub async fn login_by_id(pool: &AnyPool, id: i64) -> Result<Option<LoginRow>, ApiError> {
    let t: Option<LoginTuple> = sqlx::query_as(&format!("{LOGIN} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    t.map(login_row).transpose()
}

// ---- refresh tokens

/// A stored refresh token.
#[derive(Debug, sqlx::FromRow)]
pub struct RefreshRow {
    /// Its row.
    pub id: i64,
    /// The login it descends from.
    pub family: String,
    /// Whose.
    pub user_id: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// When it was exchanged for the next one.
    pub used_at: Option<i64>,
    /// When its family was revoked.
    pub revoked_at: Option<i64>,
}

/// Stores a refresh token (by digest) in `family`.
pub async fn insert_refresh(
    conn: &mut AnyConnection,
    token: &str,
    family: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO api_refresh_tokens (token_hash, family, user_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(token))
    .bind(family)
    .bind(user_id)
    .bind(now_ms())
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a user's refresh tokens that expired: they can no longer be
/// used, nor reused (a reuse of an expired token is refused anyway).
pub async fn prune_refresh(conn: &mut AnyConnection, user_id: i64) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM api_refresh_tokens WHERE user_id = $1 AND expires_at < $2")
        .bind(user_id)
        .bind(now_ms())
        .execute(conn)
        .await?;
    Ok(())
}

/// The stored row of a presented refresh token.
pub async fn refresh(pool: &AnyPool, token: &str) -> Result<Option<RefreshRow>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, family, user_id, expires_at, used_at, revoked_at FROM api_refresh_tokens WHERE token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(pool)
    .await?)
}

/// Marks a token used; false when another request used or revoked it first.
pub async fn use_refresh(conn: &mut AnyConnection, id: i64) -> Result<bool, ApiError> {
    let r = sqlx::query(
        "UPDATE api_refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes every token of a family; how many were still live.
pub async fn revoke_family(conn: &mut AnyConnection, family: &str) -> Result<u64, ApiError> {
    let r = sqlx::query(
        "UPDATE api_refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(family)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

// ---- API keys

/// One key.
pub async fn key(pool: &AnyPool, id: i64) -> Result<Option<ApiKey>, ApiError> {
    Ok(sqlx::query_as(&format!("{KEY} WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// Keys after id `after`, at most `limit`, of account `only` if set.
pub async fn keys(
    pool: &AnyPool,
    only: Option<i64>,
    after: i64,
    limit: i64,
) -> Result<Vec<ApiKey>, ApiError> {
    Ok(sqlx::query_as(&format!(
        "{KEY} WHERE id > $1 AND ($2 IS NULL OR account_id = $2) ORDER BY id LIMIT $3"
    ))
    .bind(after)
    .bind(only)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Stores a new key (by digest and prefix).
pub async fn insert_key(
    conn: &mut AnyConnection,
    account_id: i64,
    name: &str,
    key: &str,
    prefix: &str,
) -> Result<ApiKey, ApiError> {
    Ok(sqlx::query_as(
        "INSERT INTO api_keys (account_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, account_id, name, prefix, created_at, revoked_at",
    )
    .bind(account_id)
    .bind(name)
    .bind(prefix)
    .bind(sha256_hex(key))
    .bind(now_ms())
    .fetch_one(conn)
    .await?)
}

/// Revokes a key (once); the key after.
pub async fn revoke_key(conn: &mut AnyConnection, id: i64) -> Result<Option<ApiKey>, ApiError> {
    Ok(sqlx::query_as(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2
         RETURNING id, account_id, name, prefix, created_at, revoked_at",
    )
    .bind(now_ms())
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A key's id and account, and the account's kind, buyer and seller.
type KeyCallerRow = (i64, i64, String, Option<i64>, Option<i64>);

/// The caller a presented API key stands for, if it is live.
pub async fn caller_for_key(pool: &AnyPool, key: &str) -> Result<Option<Caller>, ApiError> {
    let row: Option<KeyCallerRow> = sqlx::query_as(
        "SELECT k.id, k.account_id, a.kind, a.buyer_id, a.seller_id
         FROM api_keys k JOIN api_accounts a ON a.id = k.account_id
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(sha256_hex(key))
    .fetch_optional(pool)
    .await?;
    row.map(|(id, account, kind, buyer, seller)| {
        Ok(Caller {
            account_id: account,
            user_id: None,
            api_key_id: Some(id),
            role: Role::from_account(&kind, buyer, seller)?,
        })
    })
    .transpose()
}
