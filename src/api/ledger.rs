//! Money: `/balances`, `/ledger/postings` and `/ledger/top-ups`.
//!
//! The ledger is the marketplace's (`Store::top_up`, `account_balances`,
//! `ledger_postings`): this module reads it and adds top-ups. Accounts are
//! named as in the ledger: `buyer:3`, `seller:1`, `house`. An admin sees
//! every account; a buyer or seller only its own (another account answers
//! `404`). Amounts are decimal strings (`"250.00"`), never floats.

use super::audit::AuditEvent;
use super::calls::parse_time;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::billing::Account;
use dce_marketplace::domain::{BuyerId, Money};
use dce_marketplace::store::{top_up_in, BillingError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_balances))
        .routes(routes!(list_postings))
        .routes(routes!(create_top_up))
}

/// The largest single top-up, so no balance can overflow.
const MAX_TOP_UP: Money = Money::from_minor(10_000_000_000);

/// The ledger account a role's own money is in (`None`: the admin, all).
fn own_account(role: Role) -> Option<Account> {
    match role {
        Role::Admin => None,
        Role::Buyer(b) => Some(Account::Buyer(b)),
        Role::Seller(s) => Some(Account::Seller(s)),
    }
}

/// One account's balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// `buyer:ID`, `seller:ID` or `house`.
    #[schema(example = "buyer:1")]
    pub account: String,
    /// The sum of its postings, decimal. A buyer's is its prepaid credit;
    /// a seller's what it has earned; the house's the other side of both.
    #[schema(example = "250.00")]
    pub balance: String,
}

/// Balances the caller may see, by account name: an admin every account
/// with postings, a buyer or seller its own.
#[utoipa::path(
    get,
    path = "/balances",
    tag = "ledger",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of balances, by account", body = Page<BalanceView>),
        (status = 400, description = "Invalid limit or cursor", body = ErrorBody),
    )
)]
async fn list_balances(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<Page<BalanceView>>, ApiError> {
    let limit = page.limit()?;
    let after: String = page.after()?.unwrap_or_default();
    let view = |(account, minor): (String, i64)| BalanceView {
        account,
        balance: Money::from_minor(minor).to_string(),
    };
    if let Some(own) = own_account(caller.role) {
        let name = own.to_string();
        if after >= name {
            return Ok(Json(Page::from_rows(
                Vec::new(),
                limit,
                |b: &BalanceView| b.account.clone(),
            )));
        }
        let minor: Option<(i64,)> =
            sqlx::query_as("SELECT balance_minor FROM account_balances WHERE account = $1")
                .bind(&name)
                .fetch_optional(api.store.pool())
                .await?;
        // No postings yet is a balance of zero.
        let one = vec![view((name, minor.map_or(0, |m| m.0)))];
        return Ok(Json(Page::from_rows(one, limit, |b| b.account.clone())));
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT account, balance_minor FROM account_balances WHERE account > $1 ORDER BY account LIMIT $2",
    )
    .bind(after)
    .bind(limit + 1)
    .fetch_all(api.store.pool())
    .await?;
    let items = rows.into_iter().map(view).collect();
    Ok(Json(Page::from_rows(items, limit, |b| b.account.clone())))
}

/// Filters of the postings list (with `limit` and `cursor`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostingFilter {
    /// Only this account's postings (`buyer:3`, `seller:1`, `house`); a
    /// buyer or seller always sees its own only.
    #[param(pattern = r"^((buyer|seller):(0|[1-9][0-9]{0,17})|house)$")]
    pub account: Option<String>,
    /// Transactions at or after this time: RFC 3339, a date, or Unix ms.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub from: Option<String>,
    /// Transactions before this time.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub to: Option<String>,
}

/// One posting: an amount moved on one account by one ledger transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostingView {
    /// The ledger transaction.
    pub transaction_id: i64,
    /// The account, `buyer:ID`, `seller:ID` or `house`.
    pub account: String,
    /// The amount, decimal; positive credits the account.
    #[schema(example = "-12.50")]
    pub amount: String,
    /// `call_rating`, `top_up` or `adjustment`.
    pub kind: String,
    /// Why, for people.
    pub reason: String,
    /// Who: the operator, the API user or key, or the switch.
    pub actor: String,
    /// The call rated, for `call_rating`.
    pub cdr_id: Option<String>,
    /// When, Unix ms.
    pub created_at: i64,
}

type PostingRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
);

/// Ledger postings, newest transaction first.
#[utoipa::path(
    get,
    path = "/ledger/postings",
    tag = "ledger",
    params(PageParams, PostingFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of postings, newest first", body = Page<PostingView>),
        (status = 400, description = "Invalid filter, limit or cursor (named)", body = ErrorBody),
        (status = 404, description = "Another tenant's account", body = ErrorBody),
    )
)]
async fn list_postings(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<PostingFilter>,
) -> Result<Json<Page<PostingView>>, ApiError> {
    let limit = page.limit()?;
    let (after_tx, after_account): (i64, String) =
        page.after()?.unwrap_or((i64::MAX, String::new()));
    let asked = filter
        .account
        .as_deref()
        .map(|a| {
            Account::parse(a).ok_or_else(|| {
                ApiError::invalid("account", "expected buyer:ID, seller:ID or house")
            })
        })
        .transpose()?;
    let account = match (own_account(caller.role), asked) {
        (Some(own), Some(a)) if a != own => return Err(ApiError::NotFound),
        (Some(own), _) => Some(own),
        (None, a) => a,
    };
    let from = filter
        .from
        .as_deref()
        .map(|t| parse_time("from", t))
        .transpose()?;
    let to = filter
        .to
        .as_deref()
        .map(|t| parse_time("to", t))
        .transpose()?;
    // The first page starts above every key; later ones after the last row.
    let first = page.cursor.is_none();
    let rows: Vec<PostingRow> = sqlx::query_as(
        "SELECT p.transaction_id, p.account, p.amount_minor, t.kind, t.reason, t.actor, t.cdr_id, t.created_at
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
         WHERE ($1 IS NULL OR p.account = $1)
           AND ($2 = 1 OR p.transaction_id < $3 OR (p.transaction_id = $3 AND p.account < $4))
           AND ($5 IS NULL OR t.created_at >= $5) AND ($6 IS NULL OR t.created_at < $6)
         ORDER BY p.transaction_id DESC, p.account DESC LIMIT $7",
    )
    .bind(account.map(|a| a.to_string()))
    .bind(i64::from(first))
    .bind(after_tx)
    .bind(after_account)
    .bind(from)
    .bind(to)
    .bind(limit + 1)
    .fetch_all(api.store.pool())
    .await?;
    let items = rows
        .into_iter()
        .map(|r| PostingView {
            transaction_id: r.0,
            account: r.1,
            amount: Money::from_minor(r.2).to_string(),
            kind: r.3,
            reason: r.4,
            actor: r.5,
            cdr_id: r.6,
            created_at: r.7,
        })
        .collect();
    Ok(Json(Page::from_rows(items, limit, |p| {
        (p.transaction_id, p.account.clone())
    })))
}

/// An account's cached balance (zero before its first posting).
async fn balance(conn: &mut sqlx::AnyConnection, account: Account) -> Result<Money, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT balance_minor FROM account_balances WHERE account = $1")
            .bind(account.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(Money::from_minor(row.map_or(0, |r| r.0)))
}

/// Money received from a buyer, credited to its prepaid balance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTopUp {
    /// The market buyer credited.
    pub buyer_id: i64,
    /// The amount, decimal with at most two places, positive.
    #[schema(example = "250.00", pattern = r"^[0-9]{1,11}(\.[0-9]{1,2})?$")]
    pub amount: String,
    /// Why (shown in the ledger): a payment reference, say.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
}

/// A top-up as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopUp {
    /// Its ledger transaction.
    pub transaction_id: i64,
    /// The buyer credited.
    pub buyer_id: i64,
    /// The amount, decimal.
    #[schema(example = "250.00")]
    pub amount: String,
    /// Why.
    pub reason: String,
    /// The buyer's balance afterwards, decimal.
    #[schema(example = "750.00")]
    pub balance: String,
}

/// Credits a buyer's balance against the house (admin). The live market
/// sees the new balance within a second.
#[utoipa::path(
    post,
    path = "/ledger/top-ups",
    tag = "ledger",
    request_body = NewTopUp,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Credited", body = TopUp),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
async fn create_top_up(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTopUp>,
) -> Result<(StatusCode, Json<TopUp>), ApiError> {
    caller.require_admin()?;
    let amount =
        Money::parse(&req.amount).map_err(|e| ApiError::invalid("amount", e.to_string()))?;
    if amount <= Money::ZERO || amount > MAX_TOP_UP {
        return Err(ApiError::invalid(
            "amount",
            format!("must be positive and at most {MAX_TOP_UP}"),
        ));
    }
    let reason = req.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid("reason", "must be 1 to 500 characters"));
    }
    let actor = match (caller.user_id, caller.api_key_id) {
        (_, Some(k)) => format!("api_key:{k}"),
        (Some(u), None) => format!("user:{u}"),
        (None, None) => format!("account:{}", caller.account_id),
    };
    let buyer = BuyerId(req.buyer_id);
    let pool = api.store.pool();
    // The postings and the audit record commit together, or neither does.
    // Writing first: a read before the write would let SQLite refuse the
    // upgrade to a write when another writer committed in between.
    let mut tx = pool.begin().await?;
    let id = top_up_in(&mut tx, buyer, amount, reason, &actor)
        .await
        .map_err(|e| match e {
            BillingError::UnknownAccount(_) => ApiError::invalid("buyer_id", "no such buyer"),
            BillingError::NotPositive(_) => ApiError::invalid("amount", "must be positive"),
            e => ApiError::internal(e),
        })?;
    let after = balance(&mut tx, Account::Buyer(buyer)).await?;
    let before = after.checked_sub(amount).unwrap_or(after);
    let top_up = TopUp {
        transaction_id: id,
        buyer_id: buyer.0,
        amount: amount.to_string(),
        reason: reason.to_string(),
        balance: after.to_string(),
    };
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("ledger.top_up", "ledger_transaction", id)
                .before(&serde_json::json!({ "buyer_id": buyer.0, "balance": before.to_string() }))
                .after(&top_up),
        )
        .await?;
    tracing::info!(buyer = buyer.0, %amount, transaction = id, "top-up");
    Ok((StatusCode::CREATED, Json(top_up)))
}
