//! `/api-keys`: keys for machine clients. A key acts for one account with
//! its role; it is shown once, at creation, and stored as a SHA-256 digest.
//! Clients send it as `Authorization: Bearer dce_…`.

use super::audit::AuditEvent;
use super::credentials::random_hex;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::page::{Page, PageParams};
use super::role::{Caller, API_KEY_PREFIX};
use super::store::{self, ApiKey};
use super::users::AccountFilter;
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

/// A new key.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// A label, e.g. the system using it.
    pub name: String,
    /// The account; default: the caller's own.
    pub account_id: Option<i64>,
}

/// A key just created: the only time `key` is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key as listed.
    #[serde(flatten)]
    pub info: ApiKey,
    /// The secret: store it now, it is never shown again.
    pub key: String,
}

/// Characters of a key kept for listings (`dce_` and 8 more).
const SHOWN_PREFIX: usize = API_KEY_PREFIX.len() + 8;

/// API keys the caller may see, by id.
#[utoipa::path(
    get,
    path = "/api-keys",
    tag = "api-keys",
    params(PageParams, AccountFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of keys (without secrets)", body = Page<ApiKey>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    )
)]
async fn list_keys(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<AccountFilter>,
) -> Result<Json<Page<ApiKey>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after()?.unwrap_or(0);
    let rows = store::keys(api.store.pool(), filter.scope(&caller), after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |k| k.id)))
}

/// Creates a key for the caller's account (or, for an admin, any account).
#[utoipa::path(
    post,
    path = "/api-keys",
    tag = "api-keys",
    request_body = NewApiKey,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `key` is shown this once", body = CreatedApiKey),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
    )
)]
async fn create_key(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let account_id = req.account_id.unwrap_or(caller.account_id);
    caller
        .check_account(account_id)
        .map_err(|_| ApiError::invalid("account_id", "no such account"))?;
    if store::account(api.store.pool(), account_id)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid("account_id", "no such account"));
    }
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
    }
    let key = format!("{API_KEY_PREFIX}{}", random_hex(32));
    let mut tx = api.store.pool().begin().await?;
    let info = store::insert_key(&mut tx, account_id, name, &key, &key[..SHOWN_PREFIX]).await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("api_key.create", "api_key", info.id).after(&info),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { info, key })))
}

/// One key (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/api-keys/{id}",
    tag = "api-keys",
    params(("id" = i64, Path, description = "API key id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The key (without its secret)", body = ApiKey),
        (status = 404, description = "No such key, or another tenant's", body = ErrorBody),
    )
)]
async fn get_key(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ApiKey>, ApiError> {
    let key = store::key(api.store.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.check_account(key.account_id)?;
    Ok(Json(key))
}

/// Revokes a key: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api-keys/{id}",
    tag = "api-keys",
    params(("id" = i64, Path, description = "API key id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key, or another tenant's", body = ErrorBody),
    )
)]
async fn revoke_key(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let before = store::key(api.store.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.check_account(before.account_id)?;
    let mut tx = api.store.pool().begin().await?;
    let after = store::revoke_key(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("api_key.revoke", "api_key", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
