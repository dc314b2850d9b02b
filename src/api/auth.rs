//! `/auth`: login, refresh (rotating, with reuse detection), logout, and
//! who the caller is.
//!
//! A login starts a refresh-token *family*. Each refresh marks the token
//! presented as used and answers the family's next token; presenting a
//! used token again means it was copied, so the whole family is revoked
//! (the thief's and the owner's tokens alike) and the user logs in again.
//! Access tokens are stateless JWTs: they stay valid until they expire
//! (`api.access_token_ttl`), so keep that short.

use super::audit::{Actor, AuditEvent};
use super::credentials::{random_token, Email, Password};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::limit::Principal;
use super::role::{AccountKind, Caller, Role};
use super::{store, ApiState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Email and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user's email.
    #[schema(example = "ops@example.com")]
    pub email: String,
    /// The user's password.
    #[schema(format = Password)]
    pub password: String,
}

/// A refresh token, to rotate or revoke.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from login or the last refresh.
    pub refresh_token: String,
}

/// Tokens for a session.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Exchange at `/auth/refresh` for new tokens; usable once.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// The authenticated caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The account acted for.
    pub account_id: i64,
    /// The user (access token).
    pub user_id: Option<i64>,
    /// The API key (machine client).
    pub api_key_id: Option<i64>,
    /// The account's kind.
    pub kind: AccountKind,
    /// The buyer, for a buyer account.
    pub buyer_id: Option<i64>,
    /// The seller, for a seller account.
    pub seller_id: Option<i64>,
}

/// Logs in with email and password.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Wrong email or password (the same answer for both)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 429, description = "Too many attempts for this email", body = ErrorBody),
    )
)]
async fn login(
    State(api): State<ApiState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let email = Email::parse(&req.email).map_err(|_| ApiError::BadCredentials)?;
    api.limiter
        .check(Principal::Login(email.as_str().to_string()), Instant::now())
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    let row = store::login_by_email(api.store.pool(), email.as_str()).await?;
    let password = Password::offered(req.password);
    let hash = row.as_ref().map(|r| r.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || password.verify(hash.as_deref())).await?;
    let row = match row {
        Some(r) if matches && !r.disabled => r,
        _ => return Err(ApiError::BadCredentials),
    };
    let family = random_token(16);
    let refresh_token = random_token(32);
    let mut tx = api.store.pool().begin().await?;
    store::prune_refresh(&mut tx, row.user_id).await?;
    store::insert_refresh(
        &mut tx,
        &refresh_token,
        &family,
        row.user_id,
        refresh_expiry(&api),
    )
    .await?;
    let actor = Actor {
        account_id: Some(row.account_id),
        user_id: Some(row.user_id),
        api_key_id: None,
    };
    api.audit
        .commit(
            tx,
            &actor,
            AuditEvent::new("auth.login", "user", row.user_id),
        )
        .await?;
    tracing::info!(user = row.user_id, "login");
    tokens(&api, row.user_id, row.account_id, row.role, refresh_token).map(Json)
}

/// Exchanges a refresh token for new tokens (the old one is then spent).
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Unknown, expired, revoked or reused token (reuse revokes the family)", body = ErrorBody),
    )
)]
async fn refresh(
    State(api): State<ApiState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let invalid = || ApiError::Unauthenticated("invalid, expired or revoked refresh token");
    let row = store::refresh(api.store.pool(), &req.refresh_token)
        .await?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= store::now_ms() {
        return Err(invalid());
    }
    let user = store::login_by_id(api.store.pool(), row.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(invalid)?;
    let mut tx = api.store.pool().begin().await?;
    if row.used_at.is_some() || !store::use_refresh(&mut tx, row.id).await? {
        // Spent before: a copy is in someone's hands. End the whole family.
        tx.rollback().await?;
        revoke(&api, &row.family, row.user_id, "auth.refresh_reuse").await?;
        tracing::warn!(
            user = row.user_id,
            "refresh token reused; its family is revoked"
        );
        return Err(invalid());
    }
    let refresh_token = random_token(32);
    store::insert_refresh(
        &mut tx,
        &refresh_token,
        &row.family,
        user.user_id,
        refresh_expiry(&api),
    )
    .await?;
    tx.commit().await?;
    tokens(
        &api,
        user.user_id,
        user.account_id,
        user.role,
        refresh_token,
    )
    .map(Json)
}

/// Ends a session: revokes the refresh token's whole family. Answers 204
/// whether or not the token was live.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 400, description = "Invalid body", body = ErrorBody),
    )
)]
async fn logout(
    State(api): State<ApiState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    if let Some(row) = store::refresh(api.store.pool(), &req.refresh_token).await? {
        if row.revoked_at.is_none() {
            revoke(&api, &row.family, row.user_id, "auth.logout").await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who the presented token or key stands for.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
    )
)]
async fn me(caller: Caller) -> Json<Me> {
    let (buyer_id, seller_id) = match caller.role {
        Role::Admin => (None, None),
        Role::Buyer(b) => (Some(b.0), None),
        Role::Seller(s) => (None, Some(s.0)),
    };
    Json(Me {
        account_id: caller.account_id,
        user_id: caller.user_id,
        api_key_id: caller.api_key_id,
        kind: caller.role.kind(),
        buyer_id,
        seller_id,
    })
}

async fn revoke(
    api: &ApiState,
    family: &str,
    user_id: i64,
    action: &'static str,
) -> Result<(), ApiError> {
    let account_id = store::user(api.store.pool(), user_id)
        .await?
        .map(|u| u.account_id);
    let mut tx = api.store.pool().begin().await?;
    let revoked = store::revoke_family(&mut tx, family).await?;
    let actor = Actor {
        account_id,
        user_id: Some(user_id),
        api_key_id: None,
    };
    let mut event = AuditEvent::new(action, "user", user_id);
    event.after = Some(serde_json::json!({ "tokens_revoked": revoked }));
    api.audit.commit(tx, &actor, event).await?;
    Ok(())
}

fn refresh_expiry(api: &ApiState) -> i64 {
    store::now_ms() + api.config.refresh_token_ttl.as_millis() as i64
}

fn tokens(
    api: &ApiState,
    user_id: i64,
    account_id: i64,
    role: Role,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    let now = chrono::Utc::now().timestamp();
    Ok(TokenResponse {
        access_token: api.tokens.issue(user_id, account_id, role, now)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: api.tokens.ttl().as_secs(),
    })
}
