//! `/sellers`: publishers and the trunks (source networks) their calls come
//! from. Admins manage them; a seller sees its own record and replaces its
//! own trunks; a buyer sees none.

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
use dce_marketplace::domain::SellerId;
use dce_marketplace::store::market_write::{parse_trunk, trunks_overlap};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_sellers, create_seller))
        .routes(routes!(get_seller, update_seller, delete_seller))
        .routes(routes!(get_trunks, put_trunks))
}

/// A seller (publisher).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Seller {
    /// Its id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// Source networks its SIP trunks send from (`192.0.2.10/32`).
    pub trunks: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new seller.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeller {
    /// A unique name.
    pub name: String,
    /// Addresses or networks (`"192.0.2.10"`, `"192.0.2.0/24"`).
    #[serde(default)]
    pub trunks: Vec<String>,
}

/// Changes to a seller.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerPatch {
    /// A new unique name.
    pub name: Option<String>,
}

/// A seller's whole trunk list.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trunks {
    /// Addresses or networks (`"192.0.2.10"`, `"192.0.2.0/24"`).
    pub trunks: Vec<String>,
}

/// Filters and order of the sellers list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SellerFilter {
    /// Only the seller of this exact name.
    pub name: Option<String>,
    /// `id` (default) or `name`; prefix `-` for descending.
    pub sort: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)] // read by `PageParams`; named so unknown fields are refused
    limit: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)]
    cursor: Option<String>,
}

const SORTS: [SortColumn; 2] = [
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
];

async fn trunks_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT network FROM seller_trunks WHERE seller_id = $1 ORDER BY network")
            .bind(id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One seller, read on `conn` (a transaction sees its own writes).
pub(super) async fn seller(conn: &mut AnyConnection, id: i64) -> Result<Option<Seller>, ApiError> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, name, created_at FROM sellers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((id, name, created_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Seller {
        id,
        name,
        trunks: trunks_of(conn, id).await?,
        created_at,
    }))
}

/// The seller if `caller` may see it, else 404.
async fn visible(conn: &mut AnyConnection, caller: &Caller, id: i64) -> Result<Seller, ApiError> {
    caller.check_seller(SellerId(id))?;
    seller(conn, id).await?.ok_or(ApiError::NotFound)
}

/// Validates trunks like the market file and replaces `seller`'s with
/// them: 400 naming `trunks[i]`, 409 when another seller's trunk overlaps.
async fn replace_trunks(
    conn: &mut AnyConnection,
    seller: i64,
    trunks: &[String],
) -> Result<(), ApiError> {
    let mut nets = Vec::with_capacity(trunks.len());
    for (i, t) in trunks.iter().enumerate() {
        let field = format!("trunks[{i}]");
        let net = parse_trunk(t).ok_or_else(|| {
            ApiError::invalid(
                &field,
                format!("{t:?} is not an IP address or network (\"192.0.2.10\", \"192.0.2.0/24\")"),
            )
        })?;
        if nets.contains(&net) {
            return Err(ApiError::invalid(&field, format!("{net} is listed twice")));
        }
        nets.push(net);
    }
    let others: Vec<(String,)> =
        sqlx::query_as("SELECT network FROM seller_trunks WHERE seller_id <> $1")
            .bind(seller)
            .fetch_all(&mut *conn)
            .await?;
    for (other,) in others {
        let Some(other) = parse_trunk(&other) else {
            continue;
        };
        if let Some(i) = nets.iter().position(|n| trunks_overlap(n, &other)) {
            return Err(ApiError::conflict(
                &format!("trunks[{i}]"),
                format!("{} overlaps {other}, a trunk of another seller", nets[i]),
            ));
        }
    }
    sqlx::query("DELETE FROM seller_trunks WHERE seller_id = $1")
        .bind(seller)
        .execute(&mut *conn)
        .await?;
    for net in nets {
        sqlx::query("INSERT INTO seller_trunks (network, seller_id) VALUES ($1, $2)")
            .bind(net.to_string())
            .bind(seller)
            .execute(&mut *conn)
            .await
            .map_err(ApiError::unique("trunks", "a trunk of another seller"))?;
    }
    Ok(())
}

/// Sellers the caller may see (admin: all; a seller: itself; a buyer: none).
#[utoipa::path(
    get,
    path = "/sellers",
    tag = "sellers",
    params(PageParams, SellerFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of sellers", body = Page<Seller>),
        (status = 400, description = "Invalid filter, sort, limit or cursor", body = ErrorBody),
    )
)]
async fn list_sellers(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<SellerFilter>,
) -> Result<Json<Page<Seller>>, ApiError> {
    let sort = Sort::parse(filter.sort.as_deref(), &SORTS)?;
    let mut q = ListQuery::new("SELECT id FROM sellers");
    match caller.role {
        Role::Admin => {}
        Role::Seller(s) => {
            q.filter("id = ?", Arg::Int(s.0));
        }
        Role::Buyer(_) => {
            q.filter("id = ?", Arg::Int(-1));
        }
    }
    q.filter_opt("name = ?", market::text_arg("name", filter.name)?);
    let (rows, limit) = q.page(api.store.pool(), sort, &page).await?;
    let mut conn = api.store.pool().acquire().await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if let Some(s) = seller(&mut conn, id).await? {
            items.push(s);
        }
    }
    Ok(Json(Page::from_rows(items, limit, |s| match sort.key() {
        "name" => (serde_json::json!(s.name), s.id),
        _ => (serde_json::json!(s.id), s.id),
    })))
}

/// Creates a seller (admin).
#[utoipa::path(
    post,
    path = "/sellers",
    tag = "sellers",
    request_body = NewSeller,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Seller),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Name taken, or a trunk overlaps another seller's", body = ErrorBody),
    )
)]
async fn create_seller(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewSeller>,
) -> Result<(StatusCode, Json<Seller>), ApiError> {
    caller.require_admin()?;
    let name = market::name("name", &req.name)?;
    let mut tx = market::begin_write(&api).await?;
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO sellers (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(&name)
            .bind(chrono::Utc::now().timestamp_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(ApiError::unique("name", "a seller with this name exists"))?;
    replace_trunks(&mut tx, id, &req.trunks).await?;
    let after = seller(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("seller.create", "seller", id).after(&after),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// One seller (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/sellers/{id}",
    tag = "sellers",
    params(("id" = i64, Path, description = "Seller id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The seller", body = Seller),
        (status = 404, description = "No such seller, or another tenant's", body = ErrorBody),
    )
)]
async fn get_seller(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Seller>, ApiError> {
    let mut conn = api.store.pool().acquire().await?;
    Ok(Json(visible(&mut conn, &caller, id).await?))
}

/// Renames a seller (admin).
#[utoipa::path(
    patch,
    path = "/sellers/{id}",
    tag = "sellers",
    params(("id" = i64, Path, description = "Seller id")),
    request_body = SellerPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The seller after", body = Seller),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "The seller itself (only admins rename)", body = ErrorBody),
        (status = 404, description = "No such seller, or another tenant's", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn update_seller(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<SellerPatch>,
) -> Result<Json<Seller>, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    caller.require_admin()?;
    if let Some(n) = &req.name {
        market::rename(&mut tx, "sellers", id, n, "a seller with this name exists").await?;
    }
    let after = seller(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("seller.update", "seller", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(Json(after))
}

/// Deletes a seller without campaigns, accounts or calls (admin).
#[utoipa::path(
    delete,
    path = "/sellers/{id}",
    tag = "sellers",
    params(("id" = i64, Path, description = "Seller id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted, with its trunks"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such seller, or another tenant's", body = ErrorBody),
        (status = 409, description = "It still has campaigns, an account or calls", body = ErrorBody),
    )
)]
async fn delete_seller(
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
                "SELECT COUNT(*) FROM campaigns WHERE seller_id = $1",
                "has campaigns",
            ),
            (
                "SELECT COUNT(*) FROM api_accounts WHERE seller_id = $1",
                "has an API account",
            ),
            (
                "SELECT COUNT(*) FROM cdrs WHERE seller_id = $1",
                "has calls on record",
            ),
        ],
    )
    .await?;
    sqlx::query("DELETE FROM seller_trunks WHERE seller_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sellers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("seller.delete", "seller", id).before(&before),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A seller's trunks.
#[utoipa::path(
    get,
    path = "/sellers/{id}/trunks",
    tag = "sellers",
    params(("id" = i64, Path, description = "Seller id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The trunks", body = Trunks),
        (status = 404, description = "No such seller, or another tenant's", body = ErrorBody),
    )
)]
async fn get_trunks(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Trunks>, ApiError> {
    let mut conn = api.store.pool().acquire().await?;
    let s = visible(&mut conn, &caller, id).await?;
    Ok(Json(Trunks { trunks: s.trunks }))
}

/// Replaces a seller's trunks (admin, or the seller itself). A trunk that
/// overlaps another seller's is refused: a call from it could be credited
/// to either.
#[utoipa::path(
    put,
    path = "/sellers/{id}/trunks",
    tag = "sellers",
    params(("id" = i64, Path, description = "Seller id")),
    request_body = Trunks,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The trunks after", body = Trunks),
        (status = 400, description = "Invalid trunk (named `trunks[i]`)", body = ErrorBody),
        (status = 404, description = "No such seller, or another tenant's", body = ErrorBody),
        (status = 409, description = "A trunk overlaps another seller's", body = ErrorBody),
    )
)]
async fn put_trunks(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<Trunks>,
) -> Result<Json<Trunks>, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    replace_trunks(&mut tx, id, &req.trunks).await?;
    let after = seller(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("seller.trunks", "seller", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(Json(Trunks {
        trunks: after.trunks,
    }))
}
