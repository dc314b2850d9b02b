//! `PUT /targets/{id}/bid`, and the rule every bid raise answers to: a
//! buyer raising a bid while its balance is zero or below, or when the
//! target's daily budget cannot cover one more call at the new bid today,
//! gets `402` (`over_budget`) and nothing changes. Lowering is always
//! allowed; the house (admin) may set any bid.

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::market;
use super::role::{Caller, Role};
use super::targets::{change, Target};
use super::ApiState;
use axum::extract::{Path, State};
use axum::Json;
use dce_marketplace::domain::{LocalTime, Money, TargetId};
use serde::Deserialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(put_bid))
}

/// A new bid.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBid {
    /// Per call, a decimal string.
    #[schema(example = "14.00")]
    pub bid: String,
}

/// 402 when a buyer raises `before`'s bid to `after`'s while its balance
/// is zero or below, or while the target's daily budget cannot cover one
/// more call at the new bid today (spend as the live market counts it).
pub(super) async fn afford_raise(
    api: &ApiState,
    conn: &mut AnyConnection,
    caller: &Caller,
    before: &Target,
    after: &Target,
) -> Result<(), ApiError> {
    if !matches!(caller.role, Role::Buyer(_)) {
        return Ok(());
    }
    let (old, new) = (
        market::money("bid", &before.bid)?,
        market::money("bid", &after.bid)?,
    );
    if new <= old {
        return Ok(());
    }
    let (balance,): (i64,) = sqlx::query_as("SELECT balance_minor FROM buyers WHERE id = $1")
        .bind(after.buyer_id)
        .fetch_one(&mut *conn)
        .await?;
    if balance <= 0 {
        return Err(ApiError::OverBudget(format!(
            "the balance is {}: top up before raising a bid",
            Money::from_minor(balance)
        )));
    }
    let Some(budget) = after.daily_budget.as_deref() else {
        return Ok(());
    };
    let budget = market::money("daily_budget", budget)?;
    let spent = api
        .market
        .load()
        .target(TargetId(after.id))
        .map(|e| {
            let day = LocalTime::of(chrono::Utc::now(), e.tz).day_bucket();
            e.live.spent_in(day)
        })
        .unwrap_or(Money::ZERO);
    if spent.checked_add(new).is_none_or(|total| total > budget) {
        return Err(ApiError::OverBudget(format!(
            "the daily budget of {budget} is spent ({spent} today): a bid of {new} cannot be covered; raise the budget or bid again tomorrow"
        )));
    }
    Ok(())
}

/// Sets a target's bid (admin, or its buyer); the next call after one
/// reload interval is ranked by it.
#[utoipa::path(
    put,
    path = "/targets/{id}/bid",
    tag = "targets",
    params(("id" = i64, Path, description = "Target id")),
    request_body = NewBid,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The target after", body = Target),
        (status = 400, description = "Invalid bid (field `bid`)", body = ErrorBody),
        (status = 402, description = "A buyer raising its bid with a balance at or below zero, or past its daily budget", body = ErrorBody),
        (status = 404, description = "No such target, or another tenant's", body = ErrorBody),
    )
)]
async fn put_bid(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewBid>,
) -> Result<Json<Target>, ApiError> {
    let after = change(&api, &caller, id, "target.bid", |t| {
        t.bid = req.bid;
        Ok(())
    })
    .await?;
    Ok(Json(after))
}
