//! `/calls`: call records (CDRs), listed by time and filters or one in
//! full (timeline, decision, attempts, rating, media), and a call's SIP
//! trace as a ladder (JSON) or a pcap file.
//!
//! Who sees a call, and what of it (docs/api.md, "Calls, money, reports,
//! events"):
//! - an admin: every call, everything;
//! - a seller: its own calls (by `seller_id`), with its payout; never a
//!   buyer, a target, a bid, a charge or the margin;
//! - a buyer: the calls one of its targets was *attempted* on (from the
//!   `cdr_attempted_buyers` table the CDR triggers keep), and only its own
//!   part of them: its targets' rankings, exclusions and attempts, its
//!   charge when it answered; never another buyer's bid or exclusion, a
//!   payout or the margin. Any other call answers `404`.
//!
//! Traces hold every leg of a call (every buyer's address), so they are
//! for the NOC: admin only.

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::ApiState;
use crate::observe::{to_pcap, Ladder};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dce_marketplace::billing::{AttemptOutcome, CallEvent, CdrId};
use dce_marketplace::domain::{BuyerId, Money, PhoneNumber, TargetId};
use dce_marketplace::store::{Backend, StoredCdr};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_calls))
        .routes(routes!(get_call))
        .routes(routes!(call_trace))
        .routes(routes!(call_trace_pcap))
}

/// Which calls by outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A buyer answered.
    Answered,
    /// No buyer answered.
    NotAnswered,
    /// Rated billable.
    Billable,
    /// Rated, not billable.
    NotBillable,
}

/// Filters of the calls list (with `limit` and `cursor`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallFilter {
    /// Calls that arrived at or after this time: RFC 3339, a date, or Unix ms.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub from: Option<String>,
    /// Calls that arrived before this time: RFC 3339, a date, or Unix ms.
    #[param(min_length = 1, pattern = r"^[0-9]")]
    pub to: Option<String>,
    /// Only this campaign's calls.
    pub campaign_id: Option<i64>,
    /// Only this seller's calls.
    pub seller_id: Option<i64>,
    /// Only calls one of this buyer's targets was attempted on.
    pub buyer_id: Option<i64>,
    /// `answered`, `not_answered`, `billable` or `not_billable`.
    #[param(inline)]
    pub outcome: Option<Outcome>,
    /// Only calls that ended with this cause (`bye`, `caller_cancel`,
    /// `all_targets_failed`, …).
    pub hangup_cause: Option<String>,
}

/// A call in a list: who, when, how it ended, and the money the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallSummary {
    /// The CDR id.
    pub id: String,
    /// The seller whose trunk sent the call.
    pub seller_id: i64,
    /// The campaign dialed.
    pub campaign_id: i64,
    /// The buyer that answered (absent: none, or not the caller's to see).
    pub buyer_id: Option<i64>,
    /// The target that answered (likewise).
    pub target_id: Option<i64>,
    /// The caller's number, E.164 (absent: withheld).
    pub caller: Option<String>,
    /// The number dialed, E.164.
    pub dialed: String,
    /// When the INVITE arrived, Unix ms.
    pub arrived_at: i64,
    /// When a buyer answered, Unix ms.
    pub answered_at: Option<i64>,
    /// When the call ended, Unix ms (absent while it is up).
    pub ended_at: Option<i64>,
    /// Connected time, ms.
    pub connected_ms: Option<i64>,
    /// Why it ended (`bye`, `caller_cancel`, `all_targets_failed`, …).
    pub hangup_cause: Option<String>,
    /// `caller`, `buyer` or `switch`.
    pub hung_up_by: Option<String>,
    /// `open` (answered, still up) or `closed` (ended and rated).
    pub status: String,
    /// Whether the call was billable, once rated.
    pub billable: Option<bool>,
    /// What the buyer was charged, decimal (admin; the answering buyer).
    #[schema(example = "12.50")]
    pub charge: Option<String>,
    /// What the seller is paid, decimal (admin; the seller).
    #[schema(example = "8.00")]
    pub payout: Option<String>,
    /// charge − payout, decimal (admin).
    #[schema(example = "4.50")]
    pub margin: Option<String>,
}

/// One call in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub call: CallSummary,
    /// STIR/SHAKEN attestation (`A`, `B`, `C`), when the call carried one.
    pub attestation: Option<String>,
    /// The auction's outcome, as the caller may see it.
    pub decision: DecisionView,
    /// The targets tried, in order, as the caller may see them.
    pub attempts: Vec<AttemptView>,
    /// What happened, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The media relay's per-direction stats (packets, loss, jitter);
    /// absent when media was not anchored, or not the caller's to see.
    #[schema(value_type = Option<Object>)]
    pub media: Option<serde_json::Value>,
}

/// The decision: ranked targets with bids, and why others were excluded.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// Ranked targets, best first (a buyer sees its own only; a seller none).
    pub ranked: Vec<RankedView>,
    /// Excluded targets with the reason (a buyer sees its own only; a seller none).
    pub excluded: Vec<ExcludedView>,
    /// How many targets were ranked (absent for a buyer).
    pub ranked_count: Option<u32>,
    /// How many were excluded (absent for a buyer).
    pub excluded_count: Option<u32>,
    /// The caller was a duplicate within the campaign's window.
    pub duplicate: bool,
}

/// A ranked target.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedView {
    /// Its place, from 1 (absent for a buyer).
    pub rank: Option<u32>,
    /// The target.
    pub target_id: i64,
    /// Its buyer.
    pub buyer_id: i64,
    /// Its bid for this call, decimal.
    #[schema(example = "12.50")]
    pub bid: String,
}

/// An excluded target.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExcludedView {
    /// The target.
    pub target_id: i64,
    /// The reason's stable name (`closed_by_schedule`, `over_daily_cap`, …).
    pub reason: String,
}

/// One try at a target.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// The attempt's number, from 1.
    pub n: u32,
    /// The target tried (absent for a seller).
    pub target_id: Option<i64>,
    /// Its buyer (absent for a seller).
    pub buyer_id: Option<i64>,
    /// When its INVITE was sent, Unix ms.
    pub started_at: i64,
    /// When it ended, Unix ms.
    pub ended_at: Option<i64>,
    /// `answered`, `rejected`, `ring_timeout`, `unreachable` or `cancelled`.
    pub outcome: String,
    /// The final SIP status of a rejection.
    pub status: Option<u16>,
}

/// One event of a call's timeline; the fields present depend on `event`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// When, Unix ms.
    pub at_ms: i64,
    /// `arrived`, `decided`, `attempt_started`, `attempt_ringing`,
    /// `attempt_failed`, `answered`, `ended` or `rated`.
    pub event: String,
    /// The attempt's number (attempt events, `answered`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// The target tried (`attempt_started`; not for a seller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<i64>,
    /// Targets ranked (`decided`; not for a buyer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranked: Option<u32>,
    /// Targets excluded (`decided`; not for a buyer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<u32>,
    /// Final SIP status (`attempt_failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why, for people (`attempt_failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The hangup cause (`ended`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Billable (`rated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// The charge, decimal (`rated`; admin and the answering buyer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
}

/// What a role may see of one call's money and buyer side.
#[derive(Clone, Copy, Debug)]
struct View {
    role: Role,
    /// The caller is the buyer that answered.
    answering_buyer: bool,
}

impl View {
    fn buyer_side(self) -> bool {
        matches!(self.role, Role::Admin) || self.answering_buyer
    }
    fn charge(self) -> bool {
        self.buyer_side()
    }
    fn payout(self) -> bool {
        matches!(self.role, Role::Admin | Role::Seller(_))
    }
    fn margin(self) -> bool {
        matches!(self.role, Role::Admin)
    }
}

/// Parses `from`/`to`: RFC 3339, a date (`2026-11-22`, midnight UTC), or Unix ms.
pub(super) fn parse_time(field: &str, text: &str) -> Result<i64, ApiError> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| ApiError::invalid(field, "Unix milliseconds out of range"));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    Err(ApiError::invalid(
        field,
        "expected RFC 3339 (2026-11-22T10:00:00Z), a date (2026-11-22) or Unix milliseconds",
    ))
}

/// A bind value of a query built from filters.
enum Arg {
    Int(i64),
    Text(String),
}

/// A `WHERE` built from the filters present, so each query names only
/// the columns its index serves (an `$n IS NULL OR …` would defeat them).
#[derive(Default)]
struct Filters {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Filters {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn push(&mut self, column: &str, op: &str, a: Arg) {
        let p = self.arg(a);
        self.clauses.push(format!("{column} {op} {p}"));
    }
}

/// The list's columns, in [`RawSummary`] order.
const SUMMARY_COLUMNS: [&str; 18] = [
    "id",
    "seller_id",
    "campaign_id",
    "buyer_id",
    "target_id",
    "caller",
    "dialed",
    "arrived_at",
    "answered_at",
    "ended_at",
    "connected_ms",
    "hangup_cause",
    "hung_up_by",
    "status",
    "billable",
    "charge_minor",
    "payout_minor",
    "margin_minor",
];

/// One list row as the database gives it, in [`SUMMARY_COLUMNS`] order.
#[derive(Deserialize)]
struct RawSummary(
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The page query wrapped so the database hands back the whole page as
/// one JSON array of row arrays. Why: SQLite runs on sqlx's worker thread,
/// and every row it returns is one hand-off between threads (a channel
/// send, a wake-up, an allocation freed on the other side); 51 rows cost
/// more than building and parsing one text of them.
/// The aggregate is ordered as the page (the key's collation is the
/// database's own, so the order is not redone in Rust).
fn page_as_json(backend: Backend, inner: &str) -> String {
    let cols = SUMMARY_COLUMNS.join(", ");
    let order = "ORDER BY arrived_at DESC, id DESC";
    match backend {
        Backend::Sqlite => format!(
            "SELECT json_group_array(json_array({cols}) {order}) FROM ({inner}) AS p"
        ),
        Backend::Postgres => format!(
            "SELECT CAST(COALESCE(json_agg(json_build_array({cols}) {order}), '[]') AS TEXT) FROM ({inner}) AS p"
        ),
    }
}

fn money(minor: Option<i64>, shown: bool) -> Option<String> {
    minor
        .filter(|_| shown)
        .map(|m| Money::from_minor(m).to_string())
}

fn number(v: Option<i64>) -> Option<String> {
    v.and_then(|n| PhoneNumber::from_u64(n as u64))
        .map(|n| n.to_string())
}

fn summary(r: RawSummary, role: Role) -> CallSummary {
    let view = View {
        role,
        answering_buyer: matches!(role, Role::Buyer(b) if Some(b.0) == r.3),
    };
    CallSummary {
        id: r.0,
        seller_id: r.1,
        campaign_id: r.2,
        buyer_id: r.3.filter(|_| view.buyer_side()),
        target_id: r.4.filter(|_| view.buyer_side()),
        caller: number(r.5),
        dialed: number(Some(r.6)).unwrap_or_default(),
        arrived_at: r.7,
        answered_at: r.8,
        ended_at: r.9,
        connected_ms: r.10,
        hangup_cause: r.11,
        hung_up_by: r.12,
        status: r.13,
        billable: r.14.map(|b| b != 0),
        charge: money(r.15, view.charge()),
        payout: money(r.16, view.payout()),
        margin: money(r.17, view.margin()),
    }
}

/// Calls the caller may see, newest first (by arrival, then id).
#[utoipa::path(
    get,
    path = "/calls",
    tag = "calls",
    params(PageParams, CallFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of calls, newest first", body = Page<CallSummary>),
        (status = 400, description = "Invalid filter, limit or cursor (named)", body = ErrorBody),
    )
)]
async fn list_calls(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<CallFilter>,
) -> Result<Json<Page<CallSummary>>, ApiError> {
    let limit = page.limit()?;
    let after: Option<(i64, String)> = page.after()?;
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
    let empty = || {
        Ok(Json(Page::from_rows(
            Vec::new(),
            limit,
            |c: &CallSummary| c.arrived_at,
        )))
    };

    // The buyer whose attempted calls to list: the caller's own when a
    // buyer, else the filter's.
    let buyer = match (caller.role, filter.buyer_id) {
        (Role::Buyer(own), Some(b)) if b != own.0 => return empty(),
        (Role::Buyer(own), _) => Some(own.0),
        (_, b) => b,
    };
    let seller = match (caller.role, filter.seller_id) {
        (Role::Seller(own), Some(s)) if s != own.0 => return empty(),
        (Role::Seller(own), _) => Some(own.0),
        (_, s) => s,
    };

    let mut f = Filters::default();
    let (from_sql, arrived, id) = match buyer {
        Some(b) => {
            f.push("ab.buyer_id", "=", Arg::Int(b));
            (
                "cdr_attempted_buyers ab JOIN cdrs c ON c.id = ab.cdr_id",
                "ab.arrived_at",
                "ab.cdr_id",
            )
        }
        None => ("cdrs c", "c.arrived_at", "c.id"),
    };
    if let Some(s) = seller {
        f.push("c.seller_id", "=", Arg::Int(s));
    }
    if let Some(c) = filter.campaign_id {
        f.push("c.campaign_id", "=", Arg::Int(c));
    }
    if let Some(t) = from {
        f.push(arrived, ">=", Arg::Int(t));
    }
    if let Some(t) = to {
        f.push(arrived, "<", Arg::Int(t));
    }
    match filter.outcome {
        Some(Outcome::Answered) => f.clauses.push("c.answered_at IS NOT NULL".into()),
        Some(Outcome::NotAnswered) => f.clauses.push("c.answered_at IS NULL".into()),
        Some(Outcome::Billable) => f.clauses.push("c.billable = 1".into()),
        Some(Outcome::NotBillable) => f.clauses.push("c.billable = 0".into()),
        None => {}
    }
    if let Some(cause) = filter.hangup_cause {
        f.push("c.hangup_cause", "=", Arg::Text(cause));
    }
    if let Some((at, after_id)) = after {
        let a = f.arg(Arg::Int(at));
        let b = f.arg(Arg::Text(after_id));
        f.clauses.push(format!("({arrived}, {id}) < ({a}, {b})"));
    }
    let lim = f.arg(Arg::Int(limit + 1));
    let where_sql = if f.clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", f.clauses.join(" AND "))
    };
    let columns = SUMMARY_COLUMNS.map(|c| format!("c.{c}")).join(", ");
    let inner = format!(
        "SELECT {columns} FROM {from_sql} {where_sql} ORDER BY {arrived} DESC, {id} DESC LIMIT {lim}"
    );
    let sql = page_as_json(api.store.backend(), &inner);
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for a in f.args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
        };
    }
    let json = q.fetch_one(api.store.pool()).await?;
    let rows: Vec<RawSummary> = serde_json::from_str(&json).map_err(ApiError::internal)?;
    let calls = rows.into_iter().map(|r| summary(r, caller.role)).collect();
    Ok(Json(Page::from_rows(calls, limit, |c| {
        (c.arrived_at, c.id.clone())
    })))
}

/// The buyer of each ranked target of a stored call.
fn buyer_of(stored: &StoredCdr, target: TargetId) -> Option<BuyerId> {
    stored
        .cdr
        .decision
        .ranked
        .iter()
        .find(|r| r.target == target)
        .map(|r| r.buyer)
}

/// Whether `role` may see the call at all.
fn visible(stored: &StoredCdr, role: Role) -> bool {
    match role {
        Role::Admin => true,
        Role::Seller(s) => stored.cdr.seller == s,
        Role::Buyer(b) => stored
            .cdr
            .attempts
            .iter()
            .any(|a| buyer_of(stored, a.target) == Some(b)),
    }
}

/// Loads a call the caller may see; `404` otherwise.
async fn load(api: &ApiState, id: &str, role: Role) -> Result<StoredCdr, ApiError> {
    let id = CdrId::new(id).map_err(|_| ApiError::NotFound)?;
    let stored = api.store.cdr(&id).await?.ok_or(ApiError::NotFound)?;
    if !visible(&stored, role) {
        return Err(ApiError::NotFound);
    }
    Ok(stored)
}

/// `stored` as `role` may see it; `buyer_of_target` gives an excluded
/// target's buyer (the record keeps only ranked targets' buyers).
fn detail(
    stored: StoredCdr,
    role: Role,
    buyer_of_target: impl Fn(TargetId) -> Option<BuyerId>,
) -> CallDetail {
    let c = &stored.cdr;
    let own = |buyer: Option<BuyerId>| match role {
        Role::Buyer(b) => buyer == Some(b),
        _ => false,
    };
    let view = View {
        role,
        answering_buyer: own(c.buyer),
    };
    let rating = stored.rating;
    let end = c.end.as_ref();
    let call = CallSummary {
        id: c.id.as_str().to_string(),
        seller_id: c.seller.0,
        campaign_id: c.campaign.0,
        buyer_id: c.buyer.map(|b| b.0).filter(|_| view.buyer_side()),
        target_id: c.target.map(|t| t.0).filter(|_| view.buyer_side()),
        caller: c.caller.map(|n| n.to_string()),
        dialed: c.dialed.to_string(),
        arrived_at: c.arrived_at_ms,
        answered_at: c.answered_at_ms,
        ended_at: end.map(|e| e.ended_at_ms),
        connected_ms: end.map(|e| i64::try_from(e.connected.as_millis()).unwrap_or(i64::MAX)),
        hangup_cause: end.map(|e| e.cause.as_str().to_string()),
        hung_up_by: end.map(|e| e.by.as_str().to_string()),
        status: if rating.is_some() { "closed" } else { "open" }.to_string(),
        billable: rating.map(|r| r.billable()),
        charge: rating
            .filter(|_| view.charge())
            .map(|r| r.charge().to_string()),
        payout: rating
            .filter(|_| view.payout())
            .map(|r| r.payout().to_string()),
        margin: rating
            .filter(|_| view.margin())
            .map(|r| r.margin().to_string()),
    };

    let d = &c.decision;
    let decision = match role {
        Role::Admin => DecisionView {
            ranked: d
                .ranked
                .iter()
                .enumerate()
                .map(|(i, r)| RankedView {
                    rank: Some(i as u32 + 1),
                    target_id: r.target.0,
                    buyer_id: r.buyer.0,
                    bid: r.bid.to_string(),
                })
                .collect(),
            excluded: d
                .excluded
                .iter()
                .map(|e| ExcludedView {
                    target_id: e.target.0,
                    reason: e.reason.clone(),
                })
                .collect(),
            ranked_count: Some(d.ranked.len() as u32),
            excluded_count: Some(d.excluded.len() as u32),
            duplicate: d.duplicate,
        },
        Role::Seller(_) => DecisionView {
            ranked: Vec::new(),
            excluded: Vec::new(),
            ranked_count: Some(d.ranked.len() as u32),
            excluded_count: Some(d.excluded.len() as u32),
            duplicate: d.duplicate,
        },
        Role::Buyer(b) => DecisionView {
            ranked: d
                .ranked
                .iter()
                .filter(|r| r.buyer == b)
                .map(|r| RankedView {
                    rank: None,
                    target_id: r.target.0,
                    buyer_id: r.buyer.0,
                    bid: r.bid.to_string(),
                })
                .collect(),
            // An excluded target's buyer is not in the record: the market
            // knows it. A target no longer in the market stays hidden.
            excluded: d
                .excluded
                .iter()
                .filter(|e| buyer_of_target(e.target) == Some(b))
                .map(|e| ExcludedView {
                    target_id: e.target.0,
                    reason: e.reason.clone(),
                })
                .collect(),
            ranked_count: None,
            excluded_count: None,
            duplicate: d.duplicate,
        },
    };

    // Attempt numbers (from 1) the caller may see.
    let attempt_shown = |n: usize| -> bool {
        match role {
            Role::Buyer(_) => c
                .attempts
                .get(n)
                .is_some_and(|a| own(buyer_of(&stored, a.target))),
            _ => true,
        }
    };
    let attempts = c
        .attempts
        .iter()
        .enumerate()
        .filter(|(i, _)| attempt_shown(*i))
        .map(|(i, a)| {
            let seller = matches!(role, Role::Seller(_));
            let (outcome, status) = match &a.outcome {
                AttemptOutcome::Answered => ("answered", None),
                AttemptOutcome::Rejected { status } => ("rejected", Some(*status)),
                AttemptOutcome::RingTimeout => ("ring_timeout", None),
                AttemptOutcome::Unreachable => ("unreachable", None),
                AttemptOutcome::Cancelled => ("cancelled", None),
            };
            AttemptView {
                n: i as u32 + 1,
                target_id: (!seller).then_some(a.target.0),
                buyer_id: buyer_of(&stored, a.target).map(|b| b.0).filter(|_| !seller),
                started_at: a.started_at_ms,
                ended_at: a.ended_at_ms,
                outcome: outcome.to_string(),
                status,
            }
        })
        .collect();

    let n_shown = |n: u32| n >= 1 && attempt_shown(n as usize - 1);
    let timeline = c
        .timeline
        .iter()
        .filter_map(|t| {
            let mut e = TimelineEntry {
                at_ms: t.at_ms,
                event: String::new(),
                n: None,
                target_id: None,
                ranked: None,
                excluded: None,
                status: None,
                why: None,
                cause: None,
                billable: None,
                charge: None,
            };
            match &t.event {
                CallEvent::Arrived => e.event = "arrived".into(),
                CallEvent::Decided { ranked, excluded } => {
                    e.event = "decided".into();
                    if !matches!(role, Role::Buyer(_)) {
                        e.ranked = Some(*ranked);
                        e.excluded = Some(*excluded);
                    }
                }
                CallEvent::AttemptStarted { n, target } => {
                    if !n_shown(*n) {
                        return None;
                    }
                    e.event = "attempt_started".into();
                    e.n = Some(*n);
                    e.target_id = (!matches!(role, Role::Seller(_))).then_some(target.0);
                }
                CallEvent::AttemptRinging { n } => {
                    if !n_shown(*n) {
                        return None;
                    }
                    e.event = "attempt_ringing".into();
                    e.n = Some(*n);
                }
                CallEvent::AttemptFailed { n, status, why } => {
                    if !n_shown(*n) {
                        return None;
                    }
                    e.event = "attempt_failed".into();
                    e.n = Some(*n);
                    e.status = *status;
                    e.why = Some(why.clone());
                }
                CallEvent::Answered { n } => {
                    if !n_shown(*n) {
                        return None;
                    }
                    e.event = "answered".into();
                    e.n = Some(*n);
                }
                CallEvent::Ended { cause } => {
                    e.event = "ended".into();
                    e.cause = Some(cause.as_str().to_string());
                }
                CallEvent::Rated { billable, charge } => {
                    e.event = "rated".into();
                    if view.buyer_side() || matches!(role, Role::Seller(_)) {
                        e.billable = Some(*billable);
                    }
                    e.charge = view.charge().then(|| charge.to_string());
                }
            }
            Some(e)
        })
        .collect();

    let media_shown = !matches!(role, Role::Buyer(_)) || view.answering_buyer;
    CallDetail {
        call,
        attestation: c.attestation.map(|a| a.as_str().to_string()),
        decision,
        attempts,
        timeline,
        media: c.media.clone().filter(|_| media_shown),
    }
}

/// One call: its timeline, decision, attempts, rating and media stats, as
/// the caller may see them (404 for a call it may not).
#[utoipa::path(
    get,
    path = "/calls/{id}",
    tag = "calls",
    params(("id" = String, Path, description = "The call's CDR id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call", body = CallDetail),
        (status = 404, description = "No such call, or not the caller's", body = ErrorBody),
    )
)]
async fn get_call(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CallDetail>, ApiError> {
    let stored = load(&api, &id, caller.role).await?;
    let market = api.market.load();
    Ok(Json(detail(stored, caller.role, |t| {
        market.target(t).map(|t| t.target.buyer)
    })))
}

/// A call's trace, for admins, when the switch still keeps it.
async fn trace(
    api: &ApiState,
    caller: &Caller,
    id: &str,
) -> Result<crate::observe::Trace, ApiError> {
    caller.require_admin()?;
    if let Some(t) = api.observers.traces.by_cdr(id) {
        return Ok(t);
    }
    // Tell a call whose trace is gone from one that never was: both 404.
    Err(ApiError::NotFound)
}

/// A call's SIP trace as a ladder (admin): every message in and out, in
/// order. Traces of the most recent calls only (`[sip] trace_calls`).
#[utoipa::path(
    get,
    path = "/calls/{id}/trace",
    tag = "calls",
    params(("id" = String, Path, description = "The call's CDR id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ladder", body = TraceLadder),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No trace kept for this call", body = ErrorBody),
    )
)]
async fn call_trace(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Ladder>, ApiError> {
    let t = trace(&api, &caller, &id).await?;
    Ok(Json(Ladder::from(&t)))
}

/// A call's SIP trace as a pcap file (admin) that Wireshark, tshark and
/// sngrep open.
#[utoipa::path(
    get,
    path = "/calls/{id}/trace.pcap",
    tag = "calls",
    params(("id" = String, Path, description = "The call's CDR id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pcap file", content_type = "application/vnd.tcpdump.pcap", body = PcapFile),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No trace kept for this call", body = ErrorBody),
    )
)]
async fn call_trace_pcap(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = trace(&api, &caller, &id).await?;
    let file: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.tcpdump.pcap".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.pcap\""),
            ),
        ],
        to_pcap(&t),
    )
        .into_response())
}

/// A pcap file, for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct PcapFile(Vec<u8>);

/// The ladder's shape, for the OpenAPI document (the body is
/// `observe::Ladder`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TraceLadder {
    /// The call's CDR id.
    call_id: Option<String>,
    /// Why the call ended, once it has (`caller_bye`, `buyer_bye`, …).
    end: Option<String>,
    /// Messages not kept because the trace was full.
    dropped: u32,
    /// The messages, in order.
    messages: Vec<TraceRung>,
}

/// One message of a ladder.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TraceRung {
    /// When, RFC 3339 UTC with microseconds.
    time: String,
    /// When, Unix microseconds.
    at_us: u64,
    /// `in` (received by DCE) or `out` (sent by DCE).
    direction: String,
    /// `UDP`, `TCP`, `TLS`, `WS`, `WSS`.
    transport: String,
    /// DCE's address.
    local: String,
    /// The other end's address.
    remote: String,
    /// Where it came from.
    from: String,
    /// Where it went.
    to: String,
    /// The request or status line.
    first_line: String,
    /// The whole message.
    message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use dce_marketplace::billing::{
        rate, Attempt, CallEnd, Cdr, DecisionRecord, ExcludedRecord, HangupCause, HungUpBy,
        RankedRecord, Terms, TimelineEvent,
    };
    use dce_marketplace::domain::{CampaignId, PayoutModel, SellerId};
    use std::time::Duration;

    /// Buyer 1 (target 10) rejected, buyer 2 (target 20) answered, buyer
    /// 3's target 30 was excluded; seller 5.
    fn stored() -> StoredCdr {
        let terms = Terms {
            price: Money::from_minor(900),
            payout: PayoutModel::Fixed(Money::from_minor(300)),
            billable_after: Duration::from_secs(1),
            duplicate: false,
        };
        let rating = rate(&terms, Duration::from_secs(60)).unwrap();
        let attempt = |t: i64, outcome| Attempt {
            target: TargetId(t),
            started_at_ms: 1,
            ended_at_ms: Some(2),
            outcome,
        };
        StoredCdr {
            cdr: Cdr {
                id: CdrId::new("c1").unwrap(),
                seller: SellerId(5),
                campaign: CampaignId(1),
                buyer: Some(BuyerId(2)),
                target: Some(TargetId(20)),
                caller: None,
                dialed: PhoneNumber::from_u64(18005550100).unwrap(),
                attestation: None,
                decision: DecisionRecord {
                    ranked: vec![
                        RankedRecord {
                            target: TargetId(10),
                            buyer: BuyerId(1),
                            bid: Money::from_minor(1250),
                        },
                        RankedRecord {
                            target: TargetId(20),
                            buyer: BuyerId(2),
                            bid: Money::from_minor(900),
                        },
                    ],
                    excluded: vec![ExcludedRecord {
                        target: TargetId(30),
                        reason: "over_daily_cap".into(),
                    }],
                    duplicate: false,
                },
                attempts: vec![
                    attempt(10, AttemptOutcome::Rejected { status: 486 }),
                    attempt(20, AttemptOutcome::Answered),
                ],
                terms: Some(terms),
                arrived_at_ms: 0,
                answered_at_ms: Some(3),
                end: Some(CallEnd {
                    ended_at_ms: 60_003,
                    connected: Duration::from_secs(60),
                    cause: HangupCause::Bye,
                    by: HungUpBy::Caller,
                }),
                media: Some(serde_json::json!({ "lost": 0 })),
                timeline: vec![
                    TimelineEvent::new(
                        0,
                        CallEvent::AttemptStarted {
                            n: 1,
                            target: TargetId(10),
                        },
                    ),
                    TimelineEvent::new(
                        1,
                        CallEvent::AttemptStarted {
                            n: 2,
                            target: TargetId(20),
                        },
                    ),
                    TimelineEvent::new(
                        2,
                        CallEvent::Rated {
                            billable: true,
                            charge: Money::from_minor(900),
                        },
                    ),
                ],
            },
            last_seen_at_ms: 60_003,
            rating: Some(rating),
            rated_at_ms: Some(60_004),
        }
    }

    fn view(role: Role) -> serde_json::Value {
        let owner = |t: TargetId| Some(BuyerId(t.0 / 10));
        serde_json::to_value(detail(stored(), role, owner)).unwrap()
    }

    #[test]
    fn a_buyer_that_was_tried_and_did_not_answer_sees_only_its_attempt() {
        let s = stored();
        assert!(visible(&s, Role::Buyer(BuyerId(1))));
        assert!(visible(&s, Role::Buyer(BuyerId(2))));
        assert!(
            !visible(&s, Role::Buyer(BuyerId(3))),
            "excluded, never tried"
        );
        assert!(!visible(&s, Role::Seller(SellerId(6))));
        let v = view(Role::Buyer(BuyerId(1)));
        assert_eq!(
            v["decision"]["ranked"],
            serde_json::json!([{ "rank": null, "target_id": 10, "buyer_id": 1, "bid": "12.50" }])
        );
        assert_eq!(v["decision"]["excluded"], serde_json::json!([]));
        assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(v["attempts"][0]["n"], 1);
        for hidden in [
            "buyer_id",
            "target_id",
            "charge",
            "payout",
            "margin",
            "media",
        ] {
            assert_eq!(v[hidden], serde_json::Value::Null, "{hidden}: {v}");
        }
        let events: Vec<_> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(events, ["attempt_started", "rated"]);
        assert_eq!(v["timeline"][1].get("charge"), None);
        assert!(
            !v.to_string().contains("9.00"),
            "buyer 2's bid and charge: {v}"
        );
    }

    #[test]
    fn the_answering_buyer_sees_its_charge_and_the_seller_its_payout() {
        let b2 = view(Role::Buyer(BuyerId(2)));
        assert_eq!(
            (&b2["charge"], &b2["payout"], &b2["buyer_id"]),
            (
                &serde_json::json!("9.00"),
                &serde_json::Value::Null,
                &serde_json::json!(2)
            )
        );
        assert_eq!(b2["attempts"][0]["n"], 2);
        assert!(!b2.to_string().contains("12.50"), "buyer 1's bid: {b2}");
        let seller = view(Role::Seller(SellerId(5)));
        assert_eq!(
            (&seller["payout"], &seller["charge"], &seller["margin"]),
            (
                &serde_json::json!("3.00"),
                &serde_json::Value::Null,
                &serde_json::Value::Null
            )
        );
        assert_eq!(seller["decision"]["ranked_count"], 2);
        assert_eq!(seller["decision"]["excluded_count"], 1);
        assert_eq!(seller["attempts"][1]["target_id"], serde_json::Value::Null);
        for t in [10, 20, 30] {
            assert!(!seller.to_string().contains(&format!(":{t},")), "{seller}");
        }
        let admin = view(Role::Admin);
        assert_eq!(admin["margin"], "6.00");
        assert_eq!(admin["decision"]["excluded"][0]["reason"], "over_daily_cap");
    }

    #[test]
    fn times_parse_in_three_spellings() {
        assert_eq!(parse_time("from", "1000").unwrap(), 1000);
        assert_eq!(parse_time("from", "1970-01-01T00:00:01Z").unwrap(), 1000);
        assert_eq!(parse_time("from", "1970-01-02").unwrap(), 86_400_000);
        assert!(matches!(
            parse_time("to", "yesterday"),
            Err(ApiError::Invalid { field: Some(f), .. }) if f == "to"
        ));
    }
}
