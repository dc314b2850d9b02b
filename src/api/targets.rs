//! `/targets`: a buyer's destination, bid, targeting, caps and schedule
//! on one campaign (the bid alone, and what a raise needs: `bids`).
//!
//! Admins create and delete targets (the house decides which buyer may
//! buy which campaign's calls); a buyer sees its own targets and changes
//! everything about them but their buyer and campaign; a seller sees none
//! (bids are the buyer's business). A change reaches the live switch
//! within one reload interval (500 ms by default).

use super::audit::AuditEvent;
use super::bids;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::market::{self, flag, nullable, Arg, ListQuery, Sort, SortColumn};
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::domain::{nanp, BuyerId, Money, Schedule, ScheduleError};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_targets, create_target))
        .routes(routes!(get_target, update_target, delete_target))
}

/// Call-count caps; absent or `null`: no cap.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetCaps {
    /// Calls per local clock hour.
    pub hourly: Option<u32>,
    /// Calls per local day.
    pub daily: Option<u32>,
    /// Calls per local calendar month.
    pub monthly: Option<u32>,
}

/// Opening hours in a time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSchedule {
    /// IANA zone, `"America/New_York"`.
    pub tz: String,
    /// `"Mon-Fri 08:00-20:00, Sat 10:00-14:00"` or `"24/7"`.
    pub open: String,
}

/// A target.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Target {
    /// Its id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// Who pays.
    pub buyer_id: i64,
    /// Which campaign's calls.
    pub campaign_id: i64,
    /// A `sip:` or `sips:` URI.
    pub destination: String,
    /// Static bid per call, a decimal string.
    #[schema(example = "12.50")]
    pub bid: String,
    /// Lower is tried first under `priority_weighted`.
    pub priority: u32,
    /// Share within a priority under `priority_weighted`.
    pub weight: u32,
    /// Calls up at once (absent: no limit).
    pub concurrency: Option<u32>,
    /// Hourly, daily and monthly caps.
    pub caps: TargetCaps,
    /// Spend per local day (absent: no limit).
    pub daily_budget: Option<String>,
    /// Opening hours (absent: always open).
    pub schedule: Option<TargetSchedule>,
    /// Caller states or provinces accepted (two letters).
    pub states: Vec<String>,
    /// Caller area codes accepted, besides `states`.
    pub area_codes: Vec<u16>,
    /// Real-time bidding endpoint; when set, the bid comes from it.
    pub rtb_url: Option<String>,
    /// How long the buyer may ring before the next target, milliseconds.
    pub ring_timeout_ms: u64,
    /// A disabled target is never chosen.
    pub enabled: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new target (admin). Defaults as in the market file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    /// A unique name.
    pub name: String,
    /// The buyer.
    pub buyer_id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// `"sip:sales@192.0.2.20:5060"`.
    pub destination: String,
    /// Required unless `rtb_url` is set.
    pub bid: Option<String>,
    /// Default 1.
    pub priority: Option<u32>,
    /// Default 100.
    pub weight: Option<u32>,
    /// At least 1; default: no limit.
    pub concurrency: Option<u32>,
    /// Default: no caps.
    pub caps: Option<TargetCaps>,
    /// Default: no limit.
    pub daily_budget: Option<String>,
    /// Default: always open.
    pub schedule: Option<TargetSchedule>,
    /// Default: anywhere.
    pub states: Option<Vec<String>>,
    /// Default: none besides `states`.
    pub area_codes: Option<Vec<u16>>,
    /// Default: static bid only.
    pub rtb_url: Option<String>,
    /// 1000 to 300000; default 30000.
    pub ring_timeout_ms: Option<u64>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to a target; absent fields stay, `null` clears a limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetPatch {
    /// A new unique name.
    pub name: Option<String>,
    /// SIP URI.
    pub destination: Option<String>,
    /// New bid (a raise can answer 402: see `PUT /targets/{id}/bid`).
    pub bid: Option<String>,
    /// Priority.
    pub priority: Option<u32>,
    /// Weight.
    pub weight: Option<u32>,
    /// At least 1; `null`: no limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub concurrency: Option<Option<u32>>,
    /// Replaces all three caps.
    pub caps: Option<TargetCaps>,
    /// `null`: no limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub daily_budget: Option<Option<String>>,
    /// `null`: always open.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<TargetSchedule>)]
    pub schedule: Option<Option<TargetSchedule>>,
    /// Replaces the states.
    pub states: Option<Vec<String>>,
    /// Replaces the area codes.
    pub area_codes: Option<Vec<u16>>,
    /// `null`: static bid only.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub rtb_url: Option<Option<String>>,
    /// 1000 to 300000.
    pub ring_timeout_ms: Option<u64>,
    /// Takes calls.
    pub enabled: Option<bool>,
}

/// Filters and order of the targets list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TargetFilter {
    /// Only this campaign's.
    pub campaign_id: Option<i64>,
    /// Only this buyer's (others than admins always see only their own).
    pub buyer_id: Option<i64>,
    /// Only enabled (`true`) or disabled (`false`) ones.
    pub enabled: Option<bool>,
    /// Only the target of this exact name.
    pub name: Option<String>,
    /// `id` (default), `name`, `bid` or `priority`; prefix `-` for descending.
    pub sort: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)] // read by `PageParams`; named so unknown fields are refused
    limit: Option<String>,
    #[param(ignore)]
    #[allow(dead_code)]
    cursor: Option<String>,
}

const SORTS: [SortColumn; 4] = [
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
        name: "bid",
        column: "bid_minor",
        text: false,
    },
    SortColumn {
        name: "priority",
        column: "priority",
        text: false,
    },
];

const SELECT: &str = "SELECT id, name, buyer_id, campaign_id, destination, bid_minor, priority, weight, concurrency, \
     cap_hourly, cap_daily, cap_monthly, daily_budget_minor, schedule_tz, schedule_open, states, area_codes, rtb_url, \
     ring_timeout_ms, enabled, created_at FROM targets";

fn count(v: Option<i64>) -> Option<u32> {
    v.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32)
}

fn from_row(row: &AnyRow) -> Result<Target, ApiError> {
    let tz: Option<String> = row.try_get("schedule_tz")?;
    let open: Option<String> = row.try_get("schedule_open")?;
    let states: String = row.try_get("states")?;
    let area_codes: String = row.try_get("area_codes")?;
    Ok(Target {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        buyer_id: row.try_get("buyer_id")?,
        campaign_id: row.try_get("campaign_id")?,
        destination: row.try_get("destination")?,
        bid: Money::from_minor(row.try_get("bid_minor")?).to_string(),
        priority: count(Some(row.try_get("priority")?)).unwrap_or(0),
        weight: count(Some(row.try_get("weight")?)).unwrap_or(0),
        concurrency: count(row.try_get("concurrency")?),
        caps: TargetCaps {
            hourly: count(row.try_get("cap_hourly")?),
            daily: count(row.try_get("cap_daily")?),
            monthly: count(row.try_get("cap_monthly")?),
        },
        daily_budget: row
            .try_get::<Option<i64>, _>("daily_budget_minor")?
            .map(|m| Money::from_minor(m).to_string()),
        schedule: match (tz, open) {
            (Some(tz), Some(open)) => Some(TargetSchedule { tz, open }),
            _ => None,
        },
        states: states
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        area_codes: area_codes
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect(),
        rtb_url: row.try_get("rtb_url")?,
        ring_timeout_ms: u64::try_from(row.try_get::<i64, _>("ring_timeout_ms")?).unwrap_or(0),
        enabled: flag(row.try_get("enabled")?),
        created_at: row.try_get("created_at")?,
    })
}

/// One target, read on `conn`.
pub(super) async fn target(conn: &mut AnyConnection, id: i64) -> Result<Option<Target>, ApiError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

async fn visible(conn: &mut AnyConnection, caller: &Caller, id: i64) -> Result<Target, ApiError> {
    let t = target(conn, id).await?.ok_or(ApiError::NotFound)?;
    caller.check_buyer(BuyerId(t.buyer_id))?;
    Ok(t)
}

/// A light check that a destination is a SIP URI with a host, as the
/// market file does; the SIP layer parses it fully when it sends.
fn valid_sip_uri(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"));
    match rest {
        Some(rest) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            !host.is_empty() && !host.starts_with(':') && !rest.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The stored form of a target's money and lists, validated.
struct Columns {
    bid: Money,
    daily_budget: Option<Money>,
    states: String,
    area_codes: String,
    ring_timeout_ms: i64,
}

/// Checks a whole target (after a patch, or as created) like the market
/// file does, normalising it in place; 400 naming the field.
fn check(t: &mut Target) -> Result<Columns, ApiError> {
    t.name = market::name("name", &t.name)?;
    t.destination = t.destination.trim().to_string();
    market::plain("destination", &t.destination)?;
    if !valid_sip_uri(&t.destination) {
        return Err(ApiError::invalid(
            "destination",
            format!(
                "{:?} is not a SIP URI like \"sip:sales@192.0.2.20:5060\"",
                t.destination
            ),
        ));
    }
    if let Some(url) = &mut t.rtb_url {
        *url = url.trim().to_string();
        market::plain("rtb_url", url)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
            return Err(ApiError::invalid(
                "rtb_url",
                format!("{url:?} is not an http(s) URL"),
            ));
        }
    }
    let bid = market::money("bid", &t.bid)?;
    if t.concurrency == Some(0) {
        return Err(ApiError::invalid(
            "concurrency",
            "at least 1 (or null: no limit)",
        ));
    }
    let daily_budget = t
        .daily_budget
        .as_deref()
        .map(|b| market::money("daily_budget", b))
        .transpose()?;
    if let Some(s) = &t.schedule {
        match Schedule::parse(&s.tz, &s.open) {
            Ok(_) => {}
            Err(e @ ScheduleError::TimeZone(_)) => {
                return Err(ApiError::invalid("schedule.tz", e.to_string()))
            }
            Err(e) => return Err(ApiError::invalid("schedule.open", e.to_string())),
        }
    }
    for (i, s) in t.states.iter_mut().enumerate() {
        let code = s.trim().to_ascii_uppercase();
        if !nanp::is_known_region(&code) {
            return Err(ApiError::invalid(
                &format!("states[{i}]"),
                format!("{s:?} is not a US state or Canadian province code"),
            ));
        }
        *s = code;
    }
    for (i, npa) in t.area_codes.iter().enumerate() {
        if !(200..=999).contains(npa) || nanp::npa_info(*npa).is_none() {
            return Err(ApiError::invalid(
                &format!("area_codes[{i}]"),
                format!("{npa} is not a geographic NANP area code"),
            ));
        }
    }
    if !(1_000..=300_000).contains(&t.ring_timeout_ms) {
        return Err(ApiError::invalid(
            "ring_timeout_ms",
            "between 1000 and 300000 (1s to 300s)",
        ));
    }
    Ok(Columns {
        bid,
        daily_budget,
        states: t.states.join(","),
        area_codes: t
            .area_codes
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(","),
        ring_timeout_ms: t.ring_timeout_ms as i64,
    })
}

/// Writes every column of `t` (insert when `t.id` is 0); the id.
async fn write(conn: &mut AnyConnection, t: &mut Target) -> Result<i64, ApiError> {
    let cols = check(t)?;
    let sql = if t.id == 0 {
        "INSERT INTO targets (name, buyer_id, campaign_id, destination, bid_minor, priority, weight, concurrency, \
         cap_hourly, cap_daily, cap_monthly, daily_budget_minor, schedule_tz, schedule_open, states, area_codes, rtb_url, \
         ring_timeout_ms, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20) RETURNING id"
    } else {
        "UPDATE targets SET name = $1, buyer_id = $2, campaign_id = $3, destination = $4, bid_minor = $5, priority = $6, \
         weight = $7, concurrency = $8, cap_hourly = $9, cap_daily = $10, cap_monthly = $11, daily_budget_minor = $12, \
         schedule_tz = $13, schedule_open = $14, states = $15, area_codes = $16, rtb_url = $17, ring_timeout_ms = $18, \
         enabled = $19 WHERE id = $20 RETURNING id"
    };
    let (id,): (i64,) = sqlx::query_as(sql)
        .bind(&t.name)
        .bind(t.buyer_id)
        .bind(t.campaign_id)
        .bind(&t.destination)
        .bind(cols.bid.minor())
        .bind(i64::from(t.priority))
        .bind(i64::from(t.weight))
        .bind(t.concurrency.map(i64::from))
        .bind(t.caps.hourly.map(i64::from))
        .bind(t.caps.daily.map(i64::from))
        .bind(t.caps.monthly.map(i64::from))
        .bind(cols.daily_budget.map(Money::minor))
        .bind(t.schedule.as_ref().map(|s| s.tz.trim().to_string()))
        .bind(t.schedule.as_ref().map(|s| s.open.trim().to_string()))
        .bind(cols.states)
        .bind(cols.area_codes)
        .bind(t.rtb_url.clone())
        .bind(cols.ring_timeout_ms)
        .bind(i64::from(t.enabled))
        .bind(if t.id == 0 { t.created_at } else { t.id })
        .fetch_one(conn)
        .await
        .map_err(ApiError::unique("name", "a target with this name exists"))?;
    Ok(id)
}

/// Applies `change` to target `id` as `caller` may, then writes, bumps the
/// market and audits it as `action`, in one transaction.
pub(super) async fn change(
    api: &ApiState,
    caller: &Caller,
    id: i64,
    action: &'static str,
    change: impl FnOnce(&mut Target) -> Result<(), ApiError>,
) -> Result<Target, ApiError> {
    let mut tx = market::begin_write(api).await?;
    let before = visible(&mut tx, caller, id).await?;
    let mut t = before.clone();
    change(&mut t)?;
    write(&mut tx, &mut t).await?;
    bids::afford_raise(api, &mut tx, caller, &before, &t).await?;
    let after = target(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new(action, "target", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(after)
}

/// Targets the caller may see (admin: all; a buyer: its own; a seller: none).
#[utoipa::path(
    get,
    path = "/targets",
    tag = "targets",
    params(PageParams, TargetFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of targets", body = Page<Target>),
        (status = 400, description = "Invalid filter, sort, limit or cursor", body = ErrorBody),
    )
)]
async fn list_targets(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<TargetFilter>,
) -> Result<Json<Page<Target>>, ApiError> {
    let sort = Sort::parse(filter.sort.as_deref(), &SORTS)?;
    let mut q = ListQuery::new(SELECT);
    match caller.role {
        Role::Admin => {}
        Role::Buyer(b) => {
            q.filter("buyer_id = ?", Arg::Int(b.0));
        }
        Role::Seller(_) => {
            q.filter("id = ?", Arg::Int(-1));
        }
    }
    q.filter_opt("campaign_id = ?", filter.campaign_id.map(Arg::Int))
        .filter_opt("buyer_id = ?", filter.buyer_id.map(Arg::Int))
        .filter_opt(
            "enabled = ?",
            filter.enabled.map(|e| Arg::Int(i64::from(e))),
        )
        .filter_opt("name = ?", market::text_arg("name", filter.name)?);
    let (rows, limit) = q.page(api.store.pool(), sort, &page).await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::from_rows(items, limit, |t| match sort.key() {
        "name" => (serde_json::json!(t.name), t.id),
        "bid" => (
            serde_json::json!(Money::parse(&t.bid).map(Money::minor).unwrap_or(0)),
            t.id,
        ),
        "priority" => (serde_json::json!(t.priority), t.id),
        _ => (serde_json::json!(t.id), t.id),
    })))
}

/// Creates a target for a buyer on a campaign (admin).
#[utoipa::path(
    post,
    path = "/targets",
    tag = "targets",
    request_body = NewTarget,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Target),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn create_target(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewTarget>,
) -> Result<(StatusCode, Json<Target>), ApiError> {
    caller.require_admin()?;
    let bid = match (req.bid, &req.rtb_url) {
        (Some(b), _) => b,
        (None, Some(_)) => "0.00".to_string(),
        (None, None) => {
            return Err(ApiError::invalid(
                "bid",
                "required (unless the target has an rtb_url)",
            ))
        }
    };
    let mut t = Target {
        id: 0,
        name: req.name,
        buyer_id: req.buyer_id,
        campaign_id: req.campaign_id,
        destination: req.destination,
        bid,
        priority: req.priority.unwrap_or(1),
        weight: req.weight.unwrap_or(100),
        concurrency: req.concurrency,
        caps: req.caps.unwrap_or_default(),
        daily_budget: req.daily_budget,
        schedule: req.schedule,
        states: req.states.unwrap_or_default(),
        area_codes: req.area_codes.unwrap_or_default(),
        rtb_url: req.rtb_url,
        ring_timeout_ms: req.ring_timeout_ms.unwrap_or(30_000),
        enabled: req.enabled.unwrap_or(true),
        created_at: chrono::Utc::now().timestamp_millis(),
    };
    check(&mut t)?;
    let mut tx = market::begin_write(&api).await?;
    if !market::in_use(
        &mut tx,
        "SELECT COUNT(*) FROM buyers WHERE id = $1",
        t.buyer_id,
    )
    .await?
    {
        return Err(ApiError::invalid("buyer_id", "no such buyer"));
    }
    if !market::in_use(
        &mut tx,
        "SELECT COUNT(*) FROM campaigns WHERE id = $1",
        t.campaign_id,
    )
    .await?
    {
        return Err(ApiError::invalid("campaign_id", "no such campaign"));
    }
    let id = write(&mut tx, &mut t).await?;
    let after = target(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("target.create", "target", id).after(&after),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// One target (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/targets/{id}",
    tag = "targets",
    params(("id" = i64, Path, description = "Target id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The target", body = Target),
        (status = 404, description = "No such target, or another tenant's", body = ErrorBody),
    )
)]
async fn get_target(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Target>, ApiError> {
    let mut conn = api.store.pool().acquire().await?;
    Ok(Json(visible(&mut conn, &caller, id).await?))
}

/// Changes a target (admin, or its buyer): destination, bid, caps,
/// schedule, targeting. Reaches the live switch within one reload interval.
#[utoipa::path(
    patch,
    path = "/targets/{id}",
    tag = "targets",
    params(("id" = i64, Path, description = "Target id")),
    request_body = TargetPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The target after", body = Target),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 402, description = "A buyer raising its bid over its balance or daily budget", body = ErrorBody),
        (status = 404, description = "No such target, or another tenant's", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn update_target(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<TargetPatch>,
) -> Result<Json<Target>, ApiError> {
    let after = change(&api, &caller, id, "target.update", |t| {
        if let Some(v) = req.name {
            t.name = v;
        }
        if let Some(v) = req.destination {
            t.destination = v;
        }
        if let Some(v) = req.bid {
            t.bid = v;
        }
        if let Some(v) = req.priority {
            t.priority = v;
        }
        if let Some(v) = req.weight {
            t.weight = v;
        }
        if let Some(v) = req.concurrency {
            t.concurrency = v;
        }
        if let Some(v) = req.caps {
            t.caps = v;
        }
        if let Some(v) = req.daily_budget {
            t.daily_budget = v;
        }
        if let Some(v) = req.schedule {
            t.schedule = v;
        }
        if let Some(v) = req.states {
            t.states = v;
        }
        if let Some(v) = req.area_codes {
            t.area_codes = v;
        }
        if let Some(v) = req.rtb_url {
            t.rtb_url = v;
        }
        if let Some(v) = req.ring_timeout_ms {
            t.ring_timeout_ms = v;
        }
        if let Some(v) = req.enabled {
            t.enabled = v;
        }
        Ok(())
    })
    .await?;
    Ok(Json(after))
}

/// Deletes a target without calls (admin; disable one with calls).
#[utoipa::path(
    delete,
    path = "/targets/{id}",
    tag = "targets",
    params(("id" = i64, Path, description = "Target id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such target, or another tenant's", body = ErrorBody),
        (status = 409, description = "It has calls on record", body = ErrorBody),
    )
)]
async fn delete_target(
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
        &[(
            "SELECT COUNT(*) FROM cdrs WHERE target_id = $1",
            "has calls on record",
        )],
    )
    .await?;
    sqlx::query("DELETE FROM targets WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("target.delete", "target", id).before(&before),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_sip_uris() {
        assert!(valid_sip_uri("sip:sales@192.0.2.20:5060"));
        assert!(valid_sip_uri("sips:example.com"));
        assert!(!valid_sip_uri("http://example.com"));
        assert!(!valid_sip_uri("sip:a@:5060"));
    }
}
