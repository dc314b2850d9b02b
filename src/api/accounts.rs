//! `/accounts`: who users and keys act for. Admins list and create them;
//! a buyer or seller sees only its own.

use super::audit::AuditEvent;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::page::{Page, PageParams};
use super::role::{AccountKind, Caller, Role};
use super::store::{self, Account};
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::domain::{BuyerId, SellerId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// A unique name.
    pub name: String,
    /// `admin`, `buyer` or `seller`.
    pub kind: AccountKind,
    /// The market buyer (for `buyer`).
    pub buyer_id: Option<i64>,
    /// The market seller (for `seller`).
    pub seller_id: Option<i64>,
}

impl NewAccount {
    fn role(&self) -> Result<Role, ApiError> {
        match (self.kind, self.buyer_id, self.seller_id) {
            (AccountKind::Admin, None, None) => Ok(Role::Admin),
            (AccountKind::Buyer, Some(b), None) => Ok(Role::Buyer(BuyerId(b))),
            (AccountKind::Seller, None, Some(s)) => Ok(Role::Seller(SellerId(s))),
            (AccountKind::Buyer, None, _) => Err(ApiError::invalid(
                "buyer_id",
                "required for a buyer account",
            )),
            (AccountKind::Seller, _, None) => Err(ApiError::invalid(
                "seller_id",
                "required for a seller account",
            )),
            (_, Some(_), _) => Err(ApiError::invalid("buyer_id", "only for a buyer account")),
            (_, _, Some(_)) => Err(ApiError::invalid("seller_id", "only for a seller account")),
        }
    }
}

/// Accounts the caller may see (admin: all; others: their own), by id.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of accounts", body = Page<Account>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    )
)]
async fn list_accounts(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<Account>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after()?.unwrap_or(0);
    let rows = store::accounts(api.store.pool(), caller.account_scope(), after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |a| a.id)))
}

/// Creates an account (admin).
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    request_body = NewAccount,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Account),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Name taken, or the buyer or seller has an account", body = ErrorBody),
    )
)]
async fn create_account(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    caller.require_admin()?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
    }
    let role = req.role()?;
    let mut tx = api.store.pool().begin().await?;
    if !store::market_party_exists(&mut tx, role).await? {
        let field = if matches!(role, Role::Buyer(_)) {
            "buyer_id"
        } else {
            "seller_id"
        };
        return Err(ApiError::invalid(
            field,
            "no such buyer or seller in the market",
        ));
    }
    let account = store::insert_account(&mut tx, name, role).await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("account.create", "account", account.id).after(&account),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// One account (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/accounts/{id}",
    tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 404, description = "No such account, or another tenant's", body = ErrorBody),
    )
)]
async fn get_account(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Account>, ApiError> {
    caller.check_account(id)?;
    store::account(api.store.pool(), id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
