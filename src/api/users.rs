//! `/users`: people who log in. An admin manages every account's users; a
//! buyer or seller user manages its own account's.

use super::audit::{Actor, AuditEvent, AuditLog};
use super::credentials::{Email, Password};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::store::{self, User};
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::store::Store;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, disable_user))
}

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login email (unique).
    pub email: String,
    /// At least 10 characters.
    #[schema(format = Password)]
    pub password: String,
    /// The account; default: the caller's own.
    pub account_id: Option<i64>,
}

/// Filter of the users and API key lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    /// Only this account's (admins; others always see only their own).
    pub account_id: Option<i64>,
}

impl AccountFilter {
    /// The account to list for `caller`.
    pub fn scope(&self, caller: &Caller) -> Option<i64> {
        caller.account_scope().or(self.account_id)
    }
}

/// Users the caller may see, by id.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(PageParams, AccountFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    )
)]
async fn list_users(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<AccountFilter>,
) -> Result<Json<Page<User>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after()?.unwrap_or(0);
    let rows = store::users(api.store.pool(), filter.scope(&caller), after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |u| u.id)))
}

/// Creates a user in the caller's account (or, for an admin, any account).
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = NewUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 409, description = "Email taken", body = ErrorBody),
    )
)]
async fn create_user(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let account_id = req.account_id.unwrap_or(caller.account_id);
    // Another tenant's account reads as one that does not exist.
    caller
        .check_account(account_id)
        .map_err(|_| ApiError::invalid("account_id", "no such account"))?;
    if store::account(api.store.pool(), account_id)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid("account_id", "no such account"));
    }
    let email = Email::parse(&req.email)?;
    let password = Password::new_checked(req.password)?;
    let hash = tokio::task::spawn_blocking(move || password.hash()).await??;
    let mut tx = api.store.pool().begin().await?;
    let user = store::insert_user(&mut tx, account_id, email.as_str(), &hash).await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("user.create", "user", user.id).after(&user),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One user (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user, or another tenant's", body = ErrorBody),
    )
)]
async fn get_user(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<User>, ApiError> {
    let user = store::user(api.store.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.check_account(user.account_id)?;
    Ok(Json(user))
}

/// Disables a user: it can no longer log in, and its sessions end (its
/// current access token lives until it expires).
#[utoipa::path(
    delete,
    path = "/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Disabled"),
        (status = 404, description = "No such user, or another tenant's", body = ErrorBody),
    )
)]
async fn disable_user(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let before = store::user(api.store.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.check_account(before.account_id)?;
    let mut tx = api.store.pool().begin().await?;
    let after = store::disable_user(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("user.disable", "user", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a user acting as `role`, creating the role's account first when
/// it has none (the first admin account, a buyer's or a seller's). Used by
/// `dce user create` and the bootstrap admin.
pub async fn create_with_role(
    store: &Store,
    email: &str,
    password: String,
    role: Role,
    actor: &Actor,
) -> Result<User, ApiError> {
    let email = Email::parse(email)?;
    let password = Password::new_checked(password)?;
    let hash = tokio::task::spawn_blocking(move || password.hash()).await??;
    let mut tx = store.pool().begin().await?;
    if !store::market_party_exists(&mut tx, role).await? {
        let field = if matches!(role, Role::Buyer(_)) {
            "buyer"
        } else {
            "seller"
        };
        return Err(ApiError::invalid(
            field,
            "no such buyer or seller in the market",
        ));
    }
    let audit = AuditLog::default();
    let account = match store::account_for_role(&mut tx, role).await? {
        Some(a) => a,
        None => {
            let name = match role {
                Role::Admin => "admin".to_string(),
                Role::Buyer(b) => format!("buyer-{b}"),
                Role::Seller(s) => format!("seller-{s}"),
            };
            let a = store::insert_account(&mut tx, &name, role).await?;
            audit
                .record(
                    &mut tx,
                    actor,
                    AuditEvent::new("account.create", "account", a.id).after(&a),
                )
                .await?;
            a
        }
    };
    let user = store::insert_user(&mut tx, account.id, email.as_str(), &hash).await?;
    audit
        .record(
            &mut tx,
            actor,
            AuditEvent::new("user.create", "user", user.id).after(&user),
        )
        .await?;
    tx.commit().await?;
    Ok(user)
}
