//! `/reports`: calls by day (UTC) × campaign, buyer or seller: counts,
//! ASR, ACD, and the money, from the `cdrs` table.
//!
//! Scope, as for calls: an admin sees every call and all the money; a
//! seller its own calls with its payout (no revenue or margin); a buyer the
//! calls it was attempted on, with `answered`, `billable` and `revenue`
//! counting its own answers and charges only (no payout or margin).

use super::calls::parse_time;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::role::{Caller, Role};
use super::ApiState;
use axum::extract::State;
use axum::Json;
use dce_marketplace::domain::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(report))
}

const DAY_MS: i64 = 86_400_000;
/// The longest range one report covers.
const MAX_DAYS: i64 = 366;

/// What a report row is per day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The campaign dialed.
    Campaign,
    /// The buyer that answered (none: calls no buyer answered).
    Buyer,
    /// The seller that sent the call.
    Seller,
}

/// The report's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `campaign`, `buyer` or `seller`.
    #[param(inline)]
    pub group_by: GroupBy,
    /// Calls that arrived at or after this time (RFC 3339, a date, or Unix
    /// ms); default: 7 days before `to`.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub from: Option<String>,
    /// Calls that arrived before this time; default: now. At most 366 days
    /// after `from`.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub to: Option<String>,
}

/// One day × group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRow {
    /// The day, UTC, `YYYY-MM-DD`.
    #[schema(example = "2026-11-22")]
    pub day: String,
    /// `campaign`, `buyer` or `seller`.
    pub group_by: GroupBy,
    /// The campaign, buyer or seller id (`null` for the buyer of calls no
    /// buyer answered).
    pub group_id: Option<i64>,
    /// Calls that arrived.
    pub calls: i64,
    /// Calls a buyer answered.
    pub answered: i64,
    /// Answered calls rated billable.
    pub billable: i64,
    /// Answer-seizure ratio: answered / calls, 0 to 1.
    pub asr: f64,
    /// Average call duration of the answered calls that ended, seconds.
    pub acd: f64,
    /// What buyers were charged, decimal (admin; a buyer: its own charges).
    #[schema(example = "125.00")]
    pub revenue: Option<String>,
    /// What sellers are paid, decimal (admin; a seller: its own).
    #[schema(example = "80.00")]
    pub payout: Option<String>,
    /// revenue − payout, decimal (admin).
    #[schema(example = "45.00")]
    pub margin: Option<String>,
}

/// The report's rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    /// The range's start, Unix ms (inclusive).
    pub from: i64,
    /// The range's end, Unix ms (exclusive).
    pub to: i64,
    /// Rows by day, then group id.
    pub rows: Vec<ReportRow>,
}

type Row = (i64, Option<i64>, i64, i64, i64, i64, i64, i64, i64, i64);

/// Calls by day × campaign, buyer or seller.
#[utoipa::path(
    get,
    path = "/reports",
    tag = "reports",
    params(ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 400, description = "Invalid parameter (named)", body = ErrorBody),
    )
)]
async fn report(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<Report>, ApiError> {
    let to = match q.to.as_deref() {
        Some(t) => parse_time("to", t)?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let from = match q.from.as_deref() {
        Some(t) => parse_time("from", t)?,
        None => to.saturating_sub(7 * DAY_MS),
    };
    if from >= to {
        return Err(ApiError::invalid("from", "must be before `to`"));
    }
    if to.saturating_sub(from) > MAX_DAYS * DAY_MS {
        return Err(ApiError::invalid(
            "to",
            format!("at most {MAX_DAYS} days after `from`"),
        ));
    }
    if q.group_by == GroupBy::Buyer && matches!(caller.role, Role::Seller(_)) {
        return Err(ApiError::invalid(
            "group_by",
            "a seller reports by campaign or seller",
        ));
    }
    let group = match (q.group_by, caller.role) {
        (GroupBy::Campaign, _) => "c.campaign_id".to_string(),
        // A buyer never learns which other buyer answered.
        (GroupBy::Buyer, Role::Buyer(b)) => {
            format!("CASE WHEN c.buyer_id = {} THEN c.buyer_id END", b.0)
        }
        (GroupBy::Buyer, _) => "c.buyer_id".to_string(),
        (GroupBy::Seller, _) => "c.seller_id".to_string(),
    };
    // `answered`, `billable` and the money count only the caller's part.
    let (from_sql, scope, mine) = match caller.role {
        Role::Admin => ("cdrs c", "1 = 1".to_string(), "1 = 1".to_string()),
        Role::Seller(s) => (
            "cdrs c",
            format!("c.seller_id = {}", s.0),
            "1 = 1".to_string(),
        ),
        Role::Buyer(b) => (
            "cdr_attempted_buyers ab JOIN cdrs c ON c.id = ab.cdr_id",
            format!("ab.buyer_id = {}", b.0),
            format!("c.buyer_id = {}", b.0),
        ),
    };
    // CAST: PostgreSQL sums BIGINT into NUMERIC.
    let sql = format!(
        "SELECT c.arrived_at / {DAY_MS} AS day, {group} AS grp,
                COUNT(*),
                COUNT(CASE WHEN c.answered_at IS NOT NULL AND {mine} THEN 1 END),
                COUNT(CASE WHEN c.billable = 1 AND {mine} THEN 1 END),
                CAST(COALESCE(SUM(CASE WHEN c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL AND {mine} THEN c.connected_ms END), 0) AS BIGINT),
                COUNT(CASE WHEN c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL AND {mine} THEN 1 END),
                CAST(COALESCE(SUM(CASE WHEN {mine} THEN c.charge_minor END), 0) AS BIGINT),
                CAST(COALESCE(SUM(c.payout_minor), 0) AS BIGINT),
                CAST(COALESCE(SUM(c.margin_minor), 0) AS BIGINT)
         FROM {from_sql}
         WHERE {scope} AND c.arrived_at >= $1 AND c.arrived_at < $2
         GROUP BY c.arrived_at / {DAY_MS}, {group}
         ORDER BY 1, 2"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .fetch_all(api.store.pool())
        .await?;
    let role = caller.role;
    let money = |minor: i64, shown: bool| shown.then(|| Money::from_minor(minor).to_string());
    let rows = rows
        .into_iter()
        .map(|r| ReportRow {
            day: chrono::DateTime::from_timestamp_millis(r.0 * DAY_MS)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            group_by: q.group_by,
            group_id: r.1,
            calls: r.2,
            answered: r.3,
            billable: r.4,
            asr: if r.2 > 0 {
                r.3 as f64 / r.2 as f64
            } else {
                0.0
            },
            acd: if r.6 > 0 {
                r.5 as f64 / r.6 as f64 / 1000.0
            } else {
                0.0
            },
            revenue: money(r.7, !matches!(role, Role::Seller(_))),
            payout: money(r.8, !matches!(role, Role::Buyer(_))),
            margin: money(r.9, role == Role::Admin),
        })
        .collect();
    Ok(Json(Report { from, to, rows }))
}
