//! A CDR as a `cdrs` row, both ways.

use super::StoreError;
use crate::billing::{CallEnd, Cdr, CdrId, DecisionRecord, HangupCause, HungUpBy, Rating, Terms};
use crate::domain::{
    Attestation, BuyerId, CampaignId, Money, PayoutModel, PhoneNumber, SellerId, TargetId,
};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use std::time::Duration;

/// The columns, in bind order (`$1` is the id).
pub(super) const COLUMNS: [&str; 30] = [
    "id",
    "seller_id",
    "campaign_id",
    "buyer_id",
    "target_id",
    "caller",
    "dialed",
    "attestation",
    "decision",
    "attempts",
    "timeline",
    "price_minor",
    "payout_fixed_minor",
    "payout_share_bp",
    "billable_after_ms",
    "duplicate",
    "arrived_at",
    "answered_at",
    "last_seen_at",
    "ended_at",
    "connected_ms",
    "hangup_cause",
    "hung_up_by",
    "media_stats",
    "status",
    "billable",
    "charge_minor",
    "payout_minor",
    "margin_minor",
    "rated_at",
];

/// A CDR as stored, with what the store adds to it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCdr {
    /// The record.
    pub cdr: Cdr,
    /// When the switch last said the call was up (Unix ms): where a crash
    /// recovery ends it.
    pub last_seen_at_ms: i64,
    /// The rating, once closed.
    pub rating: Option<Rating>,
    /// When it was rated (Unix ms).
    pub rated_at_ms: Option<i64>,
}

impl StoredCdr {
    /// For crash recovery: the record closed at its last known time, with
    /// cause `switch_restart`. See [`Cdr::recovered`].
    pub fn recovered(self) -> Cdr {
        self.cdr.recovered(self.last_seen_at_ms)
    }
}

/// Binds every column of `cdr`; `rating` and `rated_at` are `None` for an open one.
pub(super) fn bind<'q>(
    q: Query<'q, Any, AnyArguments<'q>>,
    cdr: &'q Cdr,
    last_seen_at: i64,
    rating: Option<(&Rating, i64)>,
) -> Result<Query<'q, Any, AnyArguments<'q>>, StoreError> {
    let json = |what: &str, v: Result<String, serde_json::Error>| {
        v.map_err(|e| StoreError::Corrupt {
            what: format!("cdr {} {what}", cdr.id),
            detail: e.to_string(),
        })
    };
    let decision = json("decision", serde_json::to_string(&cdr.decision))?;
    let attempts = json("attempts", serde_json::to_string(&cdr.attempts))?;
    let timeline = json("timeline", serde_json::to_string(&cdr.timeline))?;
    let media = match &cdr.media {
        Some(m) => Some(json("media", serde_json::to_string(m))?),
        None => None,
    };
    let terms = cdr.terms.as_ref();
    let (fixed, share) = match terms.map(|t| t.payout) {
        Some(PayoutModel::Fixed(m)) => (Some(m.minor()), None),
        Some(PayoutModel::Share { basis_points }) => (None, Some(i64::from(basis_points))),
        None => (None, None),
    };
    let end = cdr.end.as_ref();
    Ok(q.bind(cdr.id.as_str())
        .bind(cdr.seller.0)
        .bind(cdr.campaign.0)
        .bind(cdr.buyer.map(|b| b.0))
        .bind(cdr.target.map(|t| t.0))
        .bind(cdr.caller.map(|n| n.as_u64() as i64))
        .bind(cdr.dialed.as_u64() as i64)
        .bind(cdr.attestation.map(Attestation::as_str))
        .bind(decision)
        .bind(attempts)
        .bind(timeline)
        .bind(terms.map(|t| t.price.minor()))
        .bind(fixed)
        .bind(share)
        .bind(terms.map(|t| millis(t.billable_after)))
        .bind(terms.map(|t| i64::from(t.duplicate)))
        .bind(cdr.arrived_at_ms)
        .bind(cdr.answered_at_ms)
        .bind(last_seen_at)
        .bind(end.map(|e| e.ended_at_ms))
        .bind(end.map(|e| millis(e.connected)))
        .bind(end.map(|e| e.cause.as_str().to_string()))
        .bind(end.map(|e| e.by.as_str()))
        .bind(media)
        .bind(if rating.is_some() { "closed" } else { "open" })
        .bind(rating.map(|(r, _)| i64::from(r.billable())))
        .bind(rating.map(|(r, _)| r.charge().minor()))
        .bind(rating.map(|(r, _)| r.payout().minor()))
        .bind(rating.map(|(r, _)| r.margin().minor()))
        .bind(rating.map(|(_, at)| at)))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

/// Reads a row selected with [`COLUMNS`].
pub(super) fn read(row: &AnyRow) -> Result<StoredCdr, StoreError> {
    let raw_id: String = row.try_get("id")?;
    let corrupt = |what: &str, detail: &dyn std::fmt::Display| StoreError::Corrupt {
        what: format!("cdr {raw_id:?} {what}"),
        detail: detail.to_string(),
    };
    let id = CdrId::new(raw_id.clone()).map_err(|e| corrupt("id", &e))?;
    let number =
        |column: &str, v: i64| PhoneNumber::from_u64(v as u64).ok_or_else(|| corrupt(column, &v));
    let caller = match row.try_get::<Option<i64>, _>("caller")? {
        Some(v) => Some(number("caller", v)?),
        None => None,
    };
    let attestation = match row.try_get::<Option<String>, _>("attestation")? {
        Some(a) => Some(Attestation::parse(&a).ok_or_else(|| corrupt("attestation", &a))?),
        None => None,
    };
    let decision: String = row.try_get("decision")?;
    let decision: DecisionRecord =
        serde_json::from_str(&decision).map_err(|e| corrupt("decision", &e))?;
    let attempts: String = row.try_get("attempts")?;
    let attempts = serde_json::from_str(&attempts).map_err(|e| corrupt("attempts", &e))?;
    let timeline: String = row.try_get("timeline")?;
    let timeline = serde_json::from_str(&timeline).map_err(|e| corrupt("timeline", &e))?;
    let terms = match row.try_get::<Option<i64>, _>("price_minor")? {
        None => None,
        Some(price) => {
            let payout = match (
                row.try_get::<Option<i64>, _>("payout_fixed_minor")?,
                row.try_get::<Option<i64>, _>("payout_share_bp")?,
            ) {
                (Some(m), None) => PayoutModel::Fixed(Money::from_minor(m)),
                (None, Some(bp)) => PayoutModel::Share {
                    basis_points: u32::try_from(bp).map_err(|e| corrupt("payout_share_bp", &e))?,
                },
                _ => return Err(corrupt("payout", &"exactly one of fixed and share")),
            };
            let billable_after = row
                .try_get::<Option<i64>, _>("billable_after_ms")?
                .ok_or_else(|| corrupt("billable_after_ms", &"missing"))?;
            let duplicate = row
                .try_get::<Option<i64>, _>("duplicate")?
                .ok_or_else(|| corrupt("duplicate", &"missing"))?;
            Some(Terms {
                price: Money::from_minor(price),
                payout,
                billable_after: ms(billable_after),
                duplicate: duplicate != 0,
            })
        }
    };
    let end = match row.try_get::<Option<i64>, _>("ended_at")? {
        None => None,
        Some(ended_at_ms) => {
            let by: Option<String> = row.try_get("hung_up_by")?;
            let by = by.unwrap_or_default();
            Some(CallEnd {
                ended_at_ms,
                connected: ms(row.try_get::<Option<i64>, _>("connected_ms")?.unwrap_or(0)),
                cause: HangupCause::parse(
                    &row.try_get::<Option<String>, _>("hangup_cause")?
                        .unwrap_or_default(),
                ),
                by: HungUpBy::parse(&by).ok_or_else(|| corrupt("hung_up_by", &by))?,
            })
        }
    };
    let media = match row.try_get::<Option<String>, _>("media_stats")? {
        Some(m) => Some(serde_json::from_str(&m).map_err(|e| corrupt("media_stats", &e))?),
        None => None,
    };
    let rated_at_ms: Option<i64> = row.try_get("rated_at")?;
    let rating = match rated_at_ms {
        None => None,
        Some(_) => {
            let amount = |c: &str| -> Result<Money, StoreError> {
                Ok(Money::from_minor(
                    row.try_get::<Option<i64>, _>(c)?.unwrap_or(0),
                ))
            };
            let billable = row.try_get::<Option<i64>, _>("billable")?.unwrap_or(0) != 0;
            Some(
                Rating::from_stored(
                    billable,
                    amount("charge_minor")?,
                    amount("payout_minor")?,
                    amount("margin_minor")?,
                )
                .ok_or_else(|| corrupt("rating", &"charge - payout - margin is not zero"))?,
            )
        }
    };
    Ok(StoredCdr {
        cdr: Cdr {
            id,
            seller: SellerId(row.try_get("seller_id")?),
            campaign: CampaignId(row.try_get("campaign_id")?),
            buyer: row.try_get::<Option<i64>, _>("buyer_id")?.map(BuyerId),
            target: row.try_get::<Option<i64>, _>("target_id")?.map(TargetId),
            caller,
            dialed: number("dialed", row.try_get("dialed")?)?,
            attestation,
            decision,
            attempts,
            terms,
            arrived_at_ms: row.try_get("arrived_at")?,
            answered_at_ms: row.try_get("answered_at")?,
            end,
            media,
            timeline,
        },
        last_seen_at_ms: row.try_get("last_seen_at")?,
        rating,
        rated_at_ms,
    })
}
