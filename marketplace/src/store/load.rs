//! Reading the market out of the store.

use super::{Store, StoreError};
use crate::domain::{
    Attestation, Buyer, BuyerId, Campaign, CampaignId, Caps, Consent, DuplicatePolicy, MediaMode,
    Money, PayoutModel, PhoneNumber, Ranking, Schedule, Seller, SellerId, Target, TargetId,
};
use crate::snapshot::MarketData;
use ipnet::IpNet;
use rustc_hash::FxHashMap;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::time::Duration;

fn corrupt(what: impl Into<String>, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        detail: detail.to_string(),
    }
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

fn count(v: Option<i64>) -> Option<u32> {
    v.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32)
}

impl Store {
    /// Reads everything a market snapshot is built from. The version is
    /// read first, so a change racing the read is picked up next time.
    pub async fn load_market(&self) -> Result<MarketData, StoreError> {
        let version = self.market_version().await?;
        let mut trunks: FxHashMap<i64, Vec<IpNet>> = FxHashMap::default();
        for (network, seller) in
            sqlx::query_as::<_, (String, i64)>("SELECT network, seller_id FROM seller_trunks")
                .fetch_all(&self.pool)
                .await?
        {
            let net = network
                .parse()
                .map_err(|e| corrupt(format!("trunk {network}"), e))?;
            trunks.entry(seller).or_default().push(net);
        }
        let sellers =
            sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM sellers ORDER BY id")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(id, name)| Seller {
                    id: SellerId(id),
                    name,
                    trunks: trunks.remove(&id).unwrap_or_default(),
                })
                .collect();
        let buyers = sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT id, name, balance_minor FROM buyers ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(id, name, balance)| Buyer {
            id: BuyerId(id),
            name,
            balance: Money::from_minor(balance),
        })
        .collect();
        let mut numbers: FxHashMap<i64, Vec<PhoneNumber>> = FxHashMap::default();
        for (number, campaign) in sqlx::query_as::<_, (i64, i64)>(
            "SELECT number, campaign_id FROM campaign_numbers ORDER BY number",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let n = PhoneNumber::from_u64(number as u64)
                .ok_or_else(|| corrupt("campaign number", number))?;
            numbers.entry(campaign).or_default().push(n);
        }
        let campaigns = sqlx::query(
            "SELECT id, name, seller_id, payout_minor, payout_share_bp, billable_after_ms, dedupe_window_ms, duplicate_policy, \
             min_attestation, recording, ranking, rtb_timeout_ms, tags, require_consent, media, enabled FROM campaigns ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| campaign(row, &mut numbers))
        .collect::<Result<Vec<_>, _>>()?;
        let targets = sqlx::query(
            "SELECT id, name, buyer_id, campaign_id, destination, bid_minor, priority, weight, concurrency, \
             cap_hourly, cap_daily, cap_monthly, daily_budget_minor, schedule_tz, schedule_open, states, \
             area_codes, rtb_url, ring_timeout_ms, enabled FROM targets ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
        let consents = sqlx::query_as::<_, (i64, Option<i64>, i64, Option<i64>, String)>(
            "SELECT number, campaign_id, granted_at_ms, expires_at_ms, source FROM consents",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(number, campaign, granted, expires, source)| {
            Ok(Consent {
                number: PhoneNumber::from_u64(number as u64)
                    .ok_or_else(|| corrupt("consent number", number))?,
                campaign: campaign.map(CampaignId),
                granted_at_ms: granted,
                expires_at_ms: expires,
                source,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(MarketData {
            version,
            sellers,
            buyers,
            campaigns,
            targets,
            consents,
        })
    }
}

fn campaign(
    row: &AnyRow,
    numbers: &mut FxHashMap<i64, Vec<PhoneNumber>>,
) -> Result<Campaign, StoreError> {
    let id: i64 = row.try_get("id")?;
    let name: String = row.try_get("name")?;
    let what = |field: &str| format!("campaign {name:?} {field}");
    let policy: String = row.try_get("duplicate_policy")?;
    let media: String = row.try_get("media")?;
    let ranking: String = row.try_get("ranking")?;
    let attestation: Option<String> = row.try_get("min_attestation")?;
    let tags: String = row.try_get("tags")?;
    let tags: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&tags).map_err(|e| corrupt(what("tags"), e))?;
    Ok(Campaign {
        id: CampaignId(id),
        seller: SellerId(row.try_get("seller_id")?),
        numbers: numbers.remove(&id).unwrap_or_default(),
        payout: match row.try_get::<Option<i64>, _>("payout_share_bp")? {
            None => PayoutModel::Fixed(Money::from_minor(row.try_get("payout_minor")?)),
            Some(bp) => PayoutModel::Share {
                basis_points: u32::try_from(bp).map_err(|e| corrupt(what("payout_share_bp"), e))?,
            },
        },
        billable_after: ms(row.try_get("billable_after_ms")?),
        dedupe_window: row.try_get::<Option<i64>, _>("dedupe_window_ms")?.map(ms),
        duplicate_policy: DuplicatePolicy::parse(&policy)
            .ok_or_else(|| corrupt(what("duplicate_policy"), &policy))?,
        media: MediaMode::parse(&media).ok_or_else(|| corrupt(what("media"), &media))?,
        min_attestation: match attestation {
            None => None,
            Some(a) => {
                Some(Attestation::parse(&a).ok_or_else(|| corrupt(what("min_attestation"), &a))?)
            }
        },
        recording: row.try_get::<i64, _>("recording")? != 0,
        ranking: Ranking::parse(&ranking).ok_or_else(|| corrupt(what("ranking"), &ranking))?,
        rtb_timeout: ms(row.try_get("rtb_timeout_ms")?),
        tags: tags.into_iter().collect(),
        require_consent: row.try_get::<i64, _>("require_consent")? != 0,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        name,
    })
}

fn target(row: &AnyRow) -> Result<Target, StoreError> {
    let name: String = row.try_get("name")?;
    let what = |field: &str| format!("target {name:?} {field}");
    let tz: Option<String> = row.try_get("schedule_tz")?;
    let open: Option<String> = row.try_get("schedule_open")?;
    let schedule = match (tz, open) {
        (Some(tz), Some(open)) => {
            Some(Schedule::parse(&tz, &open).map_err(|e| corrupt(what("schedule"), e))?)
        }
        _ => None,
    };
    let states: String = row.try_get("states")?;
    let area_codes: String = row.try_get("area_codes")?;
    let area_codes = area_codes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u16>().map_err(|e| corrupt(what("area_codes"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Target {
        id: TargetId(row.try_get("id")?),
        buyer: BuyerId(row.try_get("buyer_id")?),
        campaign: CampaignId(row.try_get("campaign_id")?),
        destination: row.try_get("destination")?,
        bid: Money::from_minor(row.try_get("bid_minor")?),
        priority: count(Some(row.try_get("priority")?)).unwrap_or(0),
        weight: count(Some(row.try_get("weight")?)).unwrap_or(0),
        concurrency: count(row.try_get("concurrency")?),
        caps: Caps {
            hourly: count(row.try_get("cap_hourly")?),
            daily: count(row.try_get("cap_daily")?),
            monthly: count(row.try_get("cap_monthly")?),
        },
        daily_budget: row
            .try_get::<Option<i64>, _>("daily_budget_minor")?
            .map(Money::from_minor),
        schedule,
        states: states
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        area_codes,
        rtb_url: row.try_get("rtb_url")?,
        ring_timeout: ms(row.try_get("ring_timeout_ms")?),
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        name,
    })
}
