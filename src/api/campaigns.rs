//! `/campaigns`: a seller's campaigns and what the seller is paid (their
//! numbers: `campaign_numbers`).
//!
//! Admins create and delete campaigns and set the money terms (`payout`,
//! `payout_share`, `billable_after_ms`). A seller sees its own campaigns,
//! changes their other settings and their numbers; a buyer sees none.
//! Fields are validated as in the market file (docs/market-file.md), with
//! durations in milliseconds.

use super::audit::AuditEvent;
use super::campaign_numbers::insert_number;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::market::{self, flag, nullable, Arg, ListQuery, Sort, SortColumn};
use super::page::{Page, PageParams};
use super::role::{Caller, Role};
use super::ApiState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dce_marketplace::domain::{
    Attestation, DuplicatePolicy, MediaMode, Money, PayoutModel, PhoneNumber, Ranking, SellerId,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign, delete_campaign))
}

/// The longest RTB deadline: the caller is waiting.
const MAX_RTB_TIMEOUT_MS: u64 = 5_000;

/// A campaign.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Campaign {
    /// Its id.
    pub id: i64,
    /// A unique name.
    pub name: String,
    /// The seller whose trunks send its calls.
    pub seller_id: i64,
    /// Dialed numbers (E.164) that reach it.
    pub numbers: Vec<String>,
    /// Fixed payout per billable call (`"8.00"`); absent for a share.
    pub payout: Option<String>,
    /// Payout as a share of the buyer's price (`"40%"`); absent when fixed.
    pub payout_share: Option<String>,
    /// Connected time from which a call is billable, milliseconds.
    pub billable_after_ms: u64,
    /// A caller seen again within this window is a duplicate (absent: no check).
    pub dedupe_window_ms: Option<u64>,
    /// `reject` or `route_unbilled`.
    #[schema(value_type = String, example = "reject")]
    pub duplicate_policy: DuplicatePolicy,
    /// `relay` (media through DCE) or `bypass`.
    #[schema(value_type = String, example = "relay")]
    pub media: MediaMode,
    /// Lowest STIR/SHAKEN attestation accepted: `A`, `B` or `C`.
    #[schema(value_type = Option<String>, example = "B")]
    pub min_attestation: Option<Attestation>,
    /// Whether calls are recorded.
    pub recording: bool,
    /// `highest_bid`, `priority_weighted` or `round_robin`.
    #[schema(value_type = String, example = "highest_bid")]
    pub ranking: Ranking,
    /// Deadline for real-time bids, milliseconds (at most 5000).
    pub rtb_timeout_ms: u64,
    /// Free-form tags sent to RTB endpoints.
    pub tags: BTreeMap<String, String>,
    /// Only callers with a consent on file are routed.
    pub require_consent: bool,
    /// A disabled campaign takes no calls.
    pub enabled: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new campaign (admin). Defaults as in the market file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// A unique name.
    pub name: String,
    /// The seller.
    pub seller_id: i64,
    /// At least one E.164 number (`"+18005550100"`), not another campaign's.
    pub numbers: Vec<String>,
    /// Fixed payout (`"8.00"`); give this or `payout_share`.
    pub payout: Option<String>,
    /// Share of the price (`"40%"`, at most two decimals); or `payout`.
    pub payout_share: Option<String>,
    /// Default 0.
    pub billable_after_ms: Option<u64>,
    /// Default: no duplicate check.
    pub dedupe_window_ms: Option<u64>,
    /// Default `reject`.
    #[schema(value_type = Option<String>)]
    pub duplicate_policy: Option<DuplicatePolicy>,
    /// Default `relay`.
    #[schema(value_type = Option<String>)]
    pub media: Option<MediaMode>,
    /// Default: none required.
    #[schema(value_type = Option<String>)]
    pub min_attestation: Option<Attestation>,
    /// Default false.
    pub recording: Option<bool>,
    /// Default `highest_bid`.
    #[schema(value_type = Option<String>)]
    pub ranking: Option<Ranking>,
    /// Default 100.
    pub rtb_timeout_ms: Option<u64>,
    /// Default none.
    pub tags: Option<BTreeMap<String, String>>,
    /// Default false.
    pub require_consent: Option<bool>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to a campaign; absent fields stay. `payout`, `payout_share`
/// and `billable_after_ms` are the admin's; setting `payout` clears
/// `payout_share` and the other way round.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// A new unique name.
    pub name: Option<String>,
    /// Fixed payout (admin).
    pub payout: Option<String>,
    /// Share of the price (admin).
    pub payout_share: Option<String>,
    /// Milliseconds (admin).
    pub billable_after_ms: Option<u64>,
    /// Milliseconds; `null` turns the duplicate check off.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    pub dedupe_window_ms: Option<Option<u64>>,
    /// `reject` or `route_unbilled`.
    #[schema(value_type = Option<String>)]
    pub duplicate_policy: Option<DuplicatePolicy>,
    /// `relay` or `bypass`.
    #[schema(value_type = Option<String>)]
    pub media: Option<MediaMode>,
    /// `A`, `B`, `C`; `null`: none required.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub min_attestation: Option<Option<Attestation>>,
    /// Calls recorded.
    pub recording: Option<bool>,
    /// `highest_bid`, `priority_weighted` or `round_robin`.
    #[schema(value_type = Option<String>)]
    pub ranking: Option<Ranking>,
    /// Milliseconds, at most 5000.
    pub rtb_timeout_ms: Option<u64>,
    /// Replaces the tags.
    pub tags: Option<BTreeMap<String, String>>,
    /// Consent required.
    pub require_consent: Option<bool>,
    /// Takes calls.
    pub enabled: Option<bool>,
}

/// Filters and order of the campaigns list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CampaignFilter {
    /// Only this seller's.
    pub seller_id: Option<i64>,
    /// Only enabled (`true`) or disabled (`false`) ones.
    pub enabled: Option<bool>,
    /// Only the campaign of this exact name.
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

const SELECT: &str = "SELECT id, name, seller_id, payout_minor, payout_share_bp, billable_after_ms, dedupe_window_ms, \
     duplicate_policy, media, min_attestation, recording, ranking, rtb_timeout_ms, tags, require_consent, enabled, \
     created_at FROM campaigns";

fn corrupt(what: &str) -> ApiError {
    ApiError::internal(format!("stored campaign {what} is invalid"))
}

fn ms(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// `4000` as `"40%"`, `1225` as `"12.25%"`.
fn share_text(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

/// `"40%"`, `"12.5%"`, `"0.25%"` to basis points, as the market file reads
/// them: at most 100%, at most two decimals, never rounded.
fn parse_share(text: &str) -> Option<u32> {
    let number = text.trim().strip_suffix('%')?.trim_end();
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    if number.contains('.') && frac.is_empty() {
        return None;
    }
    let frac_bp: u32 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole.parse::<u32>().ok()?.checked_mul(100)? + frac_bp;
    (bp <= PayoutModel::FULL_SHARE).then_some(bp)
}

fn from_row(row: &AnyRow, numbers: Vec<String>) -> Result<Campaign, ApiError> {
    let share: Option<i64> = row.try_get("payout_share_bp")?;
    let policy: String = row.try_get("duplicate_policy")?;
    let media: String = row.try_get("media")?;
    let ranking: String = row.try_get("ranking")?;
    let attestation: Option<String> = row.try_get("min_attestation")?;
    let tags: String = row.try_get("tags")?;
    Ok(Campaign {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        seller_id: row.try_get("seller_id")?,
        numbers,
        payout: match share {
            None => Some(Money::from_minor(row.try_get("payout_minor")?).to_string()),
            Some(_) => None,
        },
        payout_share: share.map(share_text),
        billable_after_ms: ms(row.try_get("billable_after_ms")?),
        dedupe_window_ms: row.try_get::<Option<i64>, _>("dedupe_window_ms")?.map(ms),
        duplicate_policy: DuplicatePolicy::parse(&policy)
            .ok_or_else(|| corrupt("duplicate_policy"))?,
        media: MediaMode::parse(&media).ok_or_else(|| corrupt("media"))?,
        min_attestation: match attestation {
            None => None,
            Some(a) => Some(Attestation::parse(&a).ok_or_else(|| corrupt("min_attestation"))?),
        },
        recording: flag(row.try_get("recording")?),
        ranking: Ranking::parse(&ranking).ok_or_else(|| corrupt("ranking"))?,
        rtb_timeout_ms: ms(row.try_get("rtb_timeout_ms")?),
        tags: serde_json::from_str(&tags).map_err(|_| corrupt("tags"))?,
        require_consent: flag(row.try_get("require_consent")?),
        enabled: flag(row.try_get("enabled")?),
        created_at: row.try_get("created_at")?,
    })
}

async fn numbers_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT number FROM campaign_numbers WHERE campaign_id = $1 ORDER BY number",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(n,)| PhoneNumber::from_u64(n as u64).map(|p| p.to_string()))
        .collect())
}

/// One campaign, read on `conn`.
pub(super) async fn campaign(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<Campaign>, ApiError> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let numbers = numbers_of(conn, id).await?;
            from_row(&row, numbers).map(Some)
        }
    }
}

pub(super) async fn visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: i64,
) -> Result<Campaign, ApiError> {
    let c = campaign(conn, id).await?.ok_or(ApiError::NotFound)?;
    caller.check_seller(SellerId(c.seller_id))?;
    Ok(c)
}

/// The stored form of a campaign's fields, validated.
struct Columns {
    payout_minor: i64,
    payout_share_bp: Option<i64>,
    billable_after_ms: i64,
    dedupe_window_ms: Option<i64>,
    rtb_timeout_ms: i64,
    tags: String,
}

fn millis(field: &str, v: u64) -> Result<i64, ApiError> {
    i64::try_from(v).map_err(|_| ApiError::invalid(field, "too large"))
}

/// Checks a whole campaign (after a patch, or as created) like the market
/// file does; 400 naming the field.
fn check(c: &Campaign) -> Result<Columns, ApiError> {
    let (payout_minor, payout_share_bp) = match (&c.payout, &c.payout_share) {
        (Some(fixed), None) => (market::money("payout", fixed)?.minor(), None),
        (None, Some(share)) => match parse_share(share) {
            Some(bp) => (0, Some(i64::from(bp))),
            None => {
                return Err(ApiError::invalid(
                    "payout_share",
                    format!("{share:?} is not a share like \"40%\" or \"12.5%\" (0% to 100%, at most two decimals)"),
                ))
            }
        },
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "payout_share",
                "give either payout (a fixed amount) or payout_share, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "payout",
                "a campaign needs payout (\"8.00\") or payout_share (\"40%\")",
            ))
        }
    };
    if c.rtb_timeout_ms > MAX_RTB_TIMEOUT_MS {
        return Err(ApiError::invalid(
            "rtb_timeout_ms",
            "at most 5000: the caller is waiting",
        ));
    }
    Ok(Columns {
        payout_minor,
        payout_share_bp,
        billable_after_ms: millis("billable_after_ms", c.billable_after_ms)?,
        dedupe_window_ms: c
            .dedupe_window_ms
            .map(|d| millis("dedupe_window_ms", d))
            .transpose()?,
        rtb_timeout_ms: millis("rtb_timeout_ms", c.rtb_timeout_ms)?,
        tags: serde_json::to_string(&c.tags).map_err(ApiError::internal)?,
    })
}

/// Writes every column of `c` (insert when `c.id` is 0); the id.
async fn write(conn: &mut AnyConnection, c: &Campaign) -> Result<i64, ApiError> {
    let cols = check(c)?;
    let sql = if c.id == 0 {
        "INSERT INTO campaigns (name, seller_id, payout_minor, payout_share_bp, billable_after_ms, dedupe_window_ms, \
         duplicate_policy, min_attestation, recording, ranking, rtb_timeout_ms, tags, require_consent, enabled, media, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id"
    } else {
        "UPDATE campaigns SET name = $1, seller_id = $2, payout_minor = $3, payout_share_bp = $4, billable_after_ms = $5, \
         dedupe_window_ms = $6, duplicate_policy = $7, min_attestation = $8, recording = $9, ranking = $10, \
         rtb_timeout_ms = $11, tags = $12, require_consent = $13, enabled = $14, media = $15 WHERE id = $16 RETURNING id"
    };
    let (id,): (i64,) = sqlx::query_as(sql)
        .bind(&c.name)
        .bind(c.seller_id)
        .bind(cols.payout_minor)
        .bind(cols.payout_share_bp)
        .bind(cols.billable_after_ms)
        .bind(cols.dedupe_window_ms)
        .bind(c.duplicate_policy.as_str())
        .bind(c.min_attestation.map(|a| a.as_str()))
        .bind(i64::from(c.recording))
        .bind(c.ranking.as_str())
        .bind(cols.rtb_timeout_ms)
        .bind(cols.tags)
        .bind(i64::from(c.require_consent))
        .bind(i64::from(c.enabled))
        .bind(c.media.as_str())
        .bind(if c.id == 0 { c.created_at } else { c.id })
        .fetch_one(conn)
        .await
        .map_err(ApiError::unique("name", "a campaign with this name exists"))?;
    Ok(id)
}

/// Campaigns the caller may see (admin: all; a seller: its own; a buyer: none).
#[utoipa::path(
    get,
    path = "/campaigns",
    tag = "campaigns",
    params(PageParams, CampaignFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of campaigns", body = Page<Campaign>),
        (status = 400, description = "Invalid filter, sort, limit or cursor", body = ErrorBody),
    )
)]
async fn list_campaigns(
    State(api): State<ApiState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(filter): ApiQuery<CampaignFilter>,
) -> Result<Json<Page<Campaign>>, ApiError> {
    let sort = Sort::parse(filter.sort.as_deref(), &SORTS)?;
    let mut q = ListQuery::new(SELECT);
    match caller.role {
        Role::Admin => {}
        Role::Seller(s) => {
            q.filter("seller_id = ?", Arg::Int(s.0));
        }
        Role::Buyer(_) => {
            q.filter("id = ?", Arg::Int(-1));
        }
    }
    q.filter_opt("seller_id = ?", filter.seller_id.map(Arg::Int))
        .filter_opt(
            "enabled = ?",
            filter.enabled.map(|e| Arg::Int(i64::from(e))),
        )
        .filter_opt("name = ?", market::text_arg("name", filter.name)?);
    let (rows, limit) = q.page(api.store.pool(), sort, &page).await?;
    let mut conn = api.store.pool().acquire().await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let numbers = numbers_of(&mut conn, row.try_get("id")?).await?;
        items.push(from_row(row, numbers)?);
    }
    Ok(Json(Page::from_rows(items, limit, |c| match sort.key() {
        "name" => (serde_json::json!(c.name), c.id),
        _ => (serde_json::json!(c.id), c.id),
    })))
}

/// Creates a campaign with its numbers (admin).
#[utoipa::path(
    post,
    path = "/campaigns",
    tag = "campaigns",
    request_body = NewCampaign,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Campaign),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Name taken, or a number belongs to a campaign", body = ErrorBody),
    )
)]
async fn create_campaign(
    State(api): State<ApiState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    caller.require_admin()?;
    let draft = Campaign {
        id: 0,
        name: market::name("name", &req.name)?,
        seller_id: req.seller_id,
        numbers: Vec::new(),
        payout: req.payout,
        payout_share: req.payout_share,
        billable_after_ms: req.billable_after_ms.unwrap_or(0),
        dedupe_window_ms: req.dedupe_window_ms,
        duplicate_policy: req.duplicate_policy.unwrap_or_default(),
        media: req.media.unwrap_or_default(),
        min_attestation: req.min_attestation,
        recording: req.recording.unwrap_or(false),
        ranking: req.ranking.unwrap_or_default(),
        rtb_timeout_ms: req.rtb_timeout_ms.unwrap_or(100),
        tags: req.tags.unwrap_or_default(),
        require_consent: req.require_consent.unwrap_or(false),
        enabled: req.enabled.unwrap_or(true),
        created_at: chrono::Utc::now().timestamp_millis(),
    };
    check(&draft)?;
    if req.numbers.is_empty() {
        return Err(ApiError::invalid(
            "numbers",
            "a campaign needs at least one number",
        ));
    }
    let mut tx = market::begin_write(&api).await?;
    if !market::in_use(
        &mut tx,
        "SELECT COUNT(*) FROM sellers WHERE id = $1",
        req.seller_id,
    )
    .await?
    {
        return Err(ApiError::invalid("seller_id", "no such seller"));
    }
    let id = write(&mut tx, &draft).await?;
    for (i, n) in req.numbers.iter().enumerate() {
        insert_number(&mut tx, id, &format!("numbers[{i}]"), n).await?;
    }
    let after = campaign(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("campaign.create", "campaign", id).after(&after),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(after)))
}

/// One campaign (404 for another tenant's).
#[utoipa::path(
    get,
    path = "/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "No such campaign, or another tenant's", body = ErrorBody),
    )
)]
async fn get_campaign(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Campaign>, ApiError> {
    let mut conn = api.store.pool().acquire().await?;
    Ok(Json(visible(&mut conn, &caller, id).await?))
}

/// Changes a campaign (admin, or its seller for all but the money terms).
/// Reaches the live switch within one reload interval.
#[utoipa::path(
    patch,
    path = "/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    request_body = CampaignPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign after", body = Campaign),
        (status = 400, description = "Invalid field (named)", body = ErrorBody),
        (status = 403, description = "A seller changing payout, payout_share or billable_after_ms", body = ErrorBody),
        (status = 404, description = "No such campaign, or another tenant's", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    )
)]
async fn update_campaign(
    State(api): State<ApiState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<CampaignPatch>,
) -> Result<Json<Campaign>, ApiError> {
    let mut tx = market::begin_write(&api).await?;
    let before = visible(&mut tx, &caller, id).await?;
    let money_terms =
        req.payout.is_some() || req.payout_share.is_some() || req.billable_after_ms.is_some();
    if money_terms {
        caller.require_admin()?;
    }
    let mut c = before.clone();
    if let Some(n) = &req.name {
        c.name = market::name("name", n)?;
    }
    match (req.payout, req.payout_share) {
        (Some(p), None) => {
            c.payout = Some(p);
            c.payout_share = None;
        }
        (None, Some(s)) => {
            c.payout = None;
            c.payout_share = Some(s);
        }
        (Some(p), Some(s)) => {
            c.payout = Some(p);
            c.payout_share = Some(s);
        }
        (None, None) => {}
    }
    if let Some(v) = req.billable_after_ms {
        c.billable_after_ms = v;
    }
    if let Some(v) = req.dedupe_window_ms {
        c.dedupe_window_ms = v;
    }
    if let Some(v) = req.duplicate_policy {
        c.duplicate_policy = v;
    }
    if let Some(v) = req.media {
        c.media = v;
    }
    if let Some(v) = req.min_attestation {
        c.min_attestation = v;
    }
    if let Some(v) = req.recording {
        c.recording = v;
    }
    if let Some(v) = req.ranking {
        c.ranking = v;
    }
    if let Some(v) = req.rtb_timeout_ms {
        c.rtb_timeout_ms = v;
    }
    if let Some(v) = req.tags {
        c.tags = v;
    }
    if let Some(v) = req.require_consent {
        c.require_consent = v;
    }
    if let Some(v) = req.enabled {
        c.enabled = v;
    }
    write(&mut tx, &c).await?;
    let after = campaign(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("campaign.update", "campaign", id)
                .before(&before)
                .after(&after),
        )
        .await?;
    Ok(Json(after))
}

/// Deletes a campaign without targets or calls, with its numbers (admin).
#[utoipa::path(
    delete,
    path = "/campaigns/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such campaign, or another tenant's", body = ErrorBody),
        (status = 409, description = "It still has targets or calls", body = ErrorBody),
    )
)]
async fn delete_campaign(
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
                "SELECT COUNT(*) FROM targets WHERE campaign_id = $1",
                "has targets",
            ),
            (
                "SELECT COUNT(*) FROM cdrs WHERE campaign_id = $1",
                "has calls on record",
            ),
        ],
    )
    .await?;
    for sql in [
        "DELETE FROM campaign_numbers WHERE campaign_id = $1",
        "DELETE FROM consents WHERE campaign_id = $1",
        "DELETE FROM campaigns WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    api.audit
        .commit(
            tx,
            &caller.actor(),
            AuditEvent::new("campaign.delete", "campaign", id).before(&before),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_read_like_the_market_file_and_print_back() {
        assert_eq!(parse_share("40%"), Some(4000));
        assert_eq!(parse_share("12.25%"), Some(1225));
        for bad in ["101%", "40", "4.125%", "-1%", "%", "1.%", "abc%"] {
            assert_eq!(parse_share(bad), None, "{bad}");
        }
        assert_eq!(share_text(4000), "40%");
        assert_eq!(share_text(1225), "12.25%");
        assert_eq!(share_text(5), "0.05%");
    }
}
