//! `/buyers`: call centers with a prepaid balance. Admins create, rename
//! and delete them; a buyer sees its own record; a seller sees none. The
//! balance is read-only here: money moves only through the ledger
//! endpoints (top-ups, adjustments) and call rating.

use super::audit::AuditEvent;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::market::{self, Arg, ListQuery, Sort, SortColumn};
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::domain::{BuyerId, Money};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_buyers, create_buyer))
        .routes(routes!(get_buyer, update_buyer, delete_buyer))
}

/// A buyer (call center).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Buyer {
    /// Its id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// Prepaid balance, a decimal string (`"500.00"`); read-only here.
    #[schema(example = "500.00")]
    pub balance: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new buyer; its balance starts at zero (top it up through the ledger).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBuyer {
    /// A unique name.
    pub name: String,
}

/// Changes to a buyer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerPatch {
    /// A new unique name.
    pub name: Option<String>,
}

/// Filters and order of the buyers list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BuyerFilter {
    /// Only the buyer of this exact name.
    pub name: Option<String>,
    /// `id` (default), `name` or `balance`; prefix `-` for descending.
    pub sort: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)] // read by `PageParams`; named so unknown fields are refused
    limit: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)]
    cursor: Option<String>,
}

const SORTS: [SortColumn; 3] = [
    SortColumn {
        name: "id",
        column: "id",
        text: false,
    },
    SortColumn {
        name: "name",
        column: "name",
        text: true,
    },
    SortColumn {
        name: "balance",
        column: "balance_minor",
        text: false,
    },
];

const SELECT: &str = "SELECT id, name, balance_minor, created_at FROM buyers";

fn from_row(row: &sqlx::any::AnyRow) -> Result<(Buyer, i64), ApiError> {
    let balance: i64 = row.try_get("balance_minor")?;
    Ok((
        Buyer {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            balance: Money::from_minor(balance).to_string(),
            created_at: row.try_get("created_at")?,
        },
        balance,
    ))
}

/// One buyer, read on `conn`.
pub(super) async fn buyer(conn: &mut AnyConnection, id: i64) -> Result<Option<Buyer>, ApiError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| from_row(&r).map(|b| b.0)).transpose()
}

async fn visible(conn: &mut AnyConnection, caller: &Caller, id: i64) -> Result<Buyer, ApiError> {
    caller.check_buyer(BuyerId(id))?;
    buyer(conn, id).await?.ok_or(ApiError::NotFound)
}

/// Buyers the caller may see (admin: all; a buyer: itself; a seller: none).
#[utoipa::path(
    get,
    path = "/buyers",
    tag = "buyers",
    params(PageParams, BuyerFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of buyers", body = Page<Buyer>),
        (status = 400, description = "Invalid filter, sort, limit or cursor", body = ErrorBody),
    )
)]
async fn list_buyers(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<BuyerFilter>,
) -> Result<Json<Page<Buyer>>, ApiError> {
    let sort = Sort::parse(filter.sort.as_deref(), &SORTS)?;
    let mut q = ListQuery::new(SELECT);
    match caller.role {
        Role::Admin => {}
        Role::Buyer(b) => {
            q.filter("id = ?", Arg::Int(b.0));
        }
        Role::Seller(_) => {
            q.filter("id = ?", Arg::Int(-1));
        }
    }
    q.filter_opt("name = ?", market::text_arg("name", filter.name)?);
    let (rows, limit) = q.page(api.store.pool(), sort, &page).await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let page = Page::from_rows(items, limit, |(b, balance)| match sort.key() {
        "name" => (serde_json::json!(b.name), b.id),
        "balance" => (serde_json::json!(balance), b.id),
        _ => (serde_json::json!(b.id), b.id),
    });
    Ok(Json(Page {
        items: page.items.into_iter().map(|(b, _)| b).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Creates a buyer with a zero balance (admin).
#[utoipa::path(
    post,
    path = "/buyers",
    tag = "buyers",
    request_body = NewBuyer,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Buyer),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn create_buyer(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewBuyer>,
) -> Result<(StatusCode, Json<Buyer>), ApiError> {
    caller.require_admin()?;
    let name = market::name("name", &req.name)?;
    let mut tx = market::begin_write(&api).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO buyers (name, balance_minor, created_at) VALUES ($1, 0, $2) RETURNING id",
    )
    .bind(&name)
    .bind(chrono::Utc::now().timestamp_millis())
    .fetch_one(&mut *tx)
    .await
    .map_err(ApiError::unique("name", "a buyer with this name exists"))?;
    let after = buyer(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("buyer.create", "buyer", id).after(&after),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// One buyer (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/buyers/{id}",
    tag = "buyers",
    params(("id" = i64, Path, description = "Buyer id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The buyer", body = Buyer),
        (status = 404, description = "No such buyer, or another tenant's", body = ErrorBody),
    )
)]
async fn get_buyer(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Buyer>, ApiError> {
    let mut conn = api.store.pool().acquire().await?;
    Ok(Json(visible(&mut conn, &caller, id).await?))
}

/// Renames a buyer (admin).
#[utoipa::path(
    patch,
    path = "/buyers/{id}",
    tag = "buyers",
    params(("id" = i64, Path, description = "Buyer id")),
    request_body = BuyerPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The buyer after", body = Buyer),
        (status = 400, description = "Invalid field (named); `balance` is not a field here", body = ErrorBody),
        (status = 403, description = "The buyer itself (only admins rename)", body = ErrorBody),
        (status = 404, description = "No such buyer, or another tenant's", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn update_buyer(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<BuyerPatch>,
) -> Result<Json<Buyer>, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    caller.require_admin()?;
    if let Some(n) = &req.name {
        market::rename(&mut tx, "buyers", id, n, "a buyer with this name exists").await?;
    }
    let after = buyer(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("buyer.update", "buyer", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(Json(after))
}

/// Deletes a buyer without targets, account, calls or money (admin).
#[utoipa::path(
    delete,
    path = "/buyers/{id}",
    tag = "buyers",
    params(("id" = i64, Path, description = "Buyer id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such buyer, or another tenant's", body = ErrorBody),
        (status = 409, description = "It still has targets, an account, calls or ledger postings", body = ErrorBody),
    )
)]
async fn delete_buyer(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    caller.require_admin()?;
    market::ensure_unused(
        &mut tx,
        id,
        &[
            (
                "SELECT COUNT(*) FROM targets WHERE buyer_id = $1",
                "has targets",
            ),
            (
                "SELECT COUNT(*) FROM api_accounts WHERE buyer_id = $1",
                "has an API account",
            ),
            (
                "SELECT COUNT(*) FROM cdrs WHERE buyer_id = $1",
                "has calls on record",
            ),
            (
                "SELECT COUNT(*) FROM buyers WHERE id = $1 AND balance_minor <> 0",
                "holds a balance",
            ),
        ],
    )
    .await?;
    let (postings,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM ledger_postings WHERE account = $1")
            .bind(format!("buyer:{id}"))
            .fetch_one(&mut *tx)
            .await?;
    if postings > 0 {
        return Err(ApiError::Conflict {
            field: None,
            message: "still has ledger postings: it cannot be deleted".into(),
        });
    }
    sqlx::query("DELETE FROM buyers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("buyer.delete", "buyer", id).before(&before),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
