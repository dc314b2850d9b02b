//! Upserting a market file, by name, in one transaction.

use super::ledger::{post, BillingError};
use super::{bump, now_ms, Store, StoreError};
use crate::billing::{Account, BalancedTransaction, TransactionKind};
use crate::domain::{BuyerId, Money, PayoutModel};
use crate::market_file::{FileError, MarketFileError, MarketSpec};
use sqlx::{Any, Transaction};
use std::collections::HashMap;

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Entities created.
    pub created: usize,
    /// Entities that existed and were updated to the file's values.
    pub updated: usize,
}

/// Why an import was refused (and nothing written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file refers to names found neither in it nor in the store, or
    /// claims numbers or trunks another entity holds.
    #[error("{0}")]
    Invalid(MarketFileError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(StoreError::Query(e))
    }
}

type Tx = Transaction<'static, Any>;

impl Store {
    /// Upserts sellers, buyers, campaigns and targets by name. Idempotent:
    /// importing the same file twice changes nothing the second time.
    /// Entities not in the file are left alone; a buyer's opening balance
    /// is posted (a top-up by actor `import`) only when the buyer is created. Campaign numbers and seller trunks
    /// are replaced by the file's lists.
    pub async fn import(&self, spec: &MarketSpec) -> Result<ImportSummary, ImportError> {
        let mut tx: Tx = self.pool.begin().await?;
        let mut summary = ImportSummary::default();
        let mut errors = Vec::new();
        let now = now_ms();

        let mut sellers = HashMap::new();
        for s in &spec.sellers {
            let (id, created) = upsert(
                &mut tx,
                "sellers",
                &s.name,
                "INSERT INTO sellers (name, created_at) VALUES ($1, $2) RETURNING id",
                now,
            )
            .await?;
            count(&mut summary, created);
            sellers.insert(s.name.clone(), id);
            sqlx::query("DELETE FROM seller_trunks WHERE seller_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for s in &spec.sellers {
            for net in &s.trunks {
                let claimed = sqlx::query("INSERT INTO seller_trunks (network, seller_id) VALUES ($1, $2) ON CONFLICT (network) DO NOTHING")
                    .bind(net.to_string())
                    .bind(sellers[&s.name])
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    errors.push(error(
                        s.line,
                        "seller.trunks",
                        format!("{net} is already a trunk of another seller"),
                    ));
                }
            }
        }

        let mut buyers = HashMap::new();
        for b in &spec.buyers {
            let existing = id_of(&mut tx, "buyers", &b.name).await?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let (id,): (i64,) = sqlx::query_as("INSERT INTO buyers (name, balance_minor, created_at) VALUES ($1, 0, $2) RETURNING id")
                        .bind(&b.name)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    opening_balance(&mut tx, BuyerId(id), b.opening_balance, now).await?;
                    id
                }
            };
            count(&mut summary, existing.is_none());
            buyers.insert(b.name.clone(), id);
        }

        let mut campaigns = HashMap::new();
        for c in &spec.campaigns {
            let Some(seller) = resolve(&mut tx, &sellers, "sellers", &c.seller).await? else {
                errors.push(error(
                    c.line,
                    "campaign.seller",
                    format!("no seller named {:?}", c.seller),
                ));
                continue;
            };
            let tags: std::collections::BTreeMap<_, _> = c.tags.iter().cloned().collect();
            let tags = serde_json::to_string(&tags).unwrap_or_else(|_| "{}".into());
            let existing = id_of(&mut tx, "campaigns", &c.name).await?;
            // A share campaign stores no fixed amount: payout_minor is 0.
            let (fixed, share) = match c.payout {
                PayoutModel::Fixed(m) => (m, None),
                PayoutModel::Share { basis_points } => (Money::ZERO, Some(basis_points)),
            };
            let sql = match existing {
                Some(_) => "UPDATE campaigns SET seller_id = $2, payout_minor = $3, payout_share_bp = $4, billable_after_ms = $5, \
                    dedupe_window_ms = $6, duplicate_policy = $7, min_attestation = $8, recording = $9, ranking = $10, \
                    rtb_timeout_ms = $11, tags = $12, require_consent = $13, enabled = $14, media = $15 WHERE name = $1 RETURNING id",
                None => "INSERT INTO campaigns (name, seller_id, payout_minor, payout_share_bp, billable_after_ms, dedupe_window_ms, \
                    duplicate_policy, min_attestation, recording, ranking, rtb_timeout_ms, tags, require_consent, enabled, media, created_at) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            };
            let mut q = sqlx::query_as::<_, (i64,)>(sql)
                .bind(&c.name)
                .bind(seller)
                .bind(fixed.minor())
                .bind(share.map(i64::from))
                .bind(c.billable_after.as_millis() as i64)
                .bind(c.dedupe_window.map(|d| d.as_millis() as i64))
                .bind(c.duplicate_policy.as_str())
                .bind(c.min_attestation.map(|a| a.as_str()))
                .bind(i64::from(c.recording))
                .bind(c.ranking.as_str())
                .bind(c.rtb_timeout.as_millis() as i64)
                .bind(tags)
                .bind(i64::from(c.require_consent))
                .bind(i64::from(c.enabled))
                .bind(c.media.as_str());
            if existing.is_none() {
                q = q.bind(now);
            }
            let (id,) = q.fetch_one(&mut *tx).await?;
            count(&mut summary, existing.is_none());
            campaigns.insert(c.name.clone(), id);
            sqlx::query("DELETE FROM campaign_numbers WHERE campaign_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for c in &spec.campaigns {
            let Some(id) = campaigns.get(&c.name) else {
                continue;
            };
            for n in &c.numbers {
                let claimed = sqlx::query("INSERT INTO campaign_numbers (number, campaign_id) VALUES ($1, $2) ON CONFLICT (number) DO NOTHING")
                    .bind(n.as_u64() as i64)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    errors.push(error(
                        c.line,
                        "campaign.numbers",
                        format!("{n} already belongs to another campaign"),
                    ));
                }
            }
        }

        for t in &spec.targets {
            let buyer = resolve(&mut tx, &buyers, "buyers", &t.buyer).await?;
            let campaign = resolve(&mut tx, &campaigns, "campaigns", &t.campaign).await?;
            let (Some(buyer), Some(campaign)) = (buyer, campaign) else {
                if buyer.is_none() {
                    errors.push(error(
                        t.line,
                        "target.buyer",
                        format!("no buyer named {:?}", t.buyer),
                    ));
                }
                if campaign.is_none() {
                    errors.push(error(
                        t.line,
                        "target.campaign",
                        format!("no campaign named {:?}", t.campaign),
                    ));
                }
                continue;
            };
            let existing = id_of(&mut tx, "targets", &t.name).await?;
            let sql = match existing {
                Some(_) => "UPDATE targets SET buyer_id = $2, campaign_id = $3, destination = $4, bid_minor = $5, priority = $6, \
                    weight = $7, concurrency = $8, cap_hourly = $9, cap_daily = $10, cap_monthly = $11, daily_budget_minor = $12, \
                    schedule_tz = $13, schedule_open = $14, states = $15, area_codes = $16, rtb_url = $17, ring_timeout_ms = $18, \
                    enabled = $19 WHERE name = $1",
                None => "INSERT INTO targets (name, buyer_id, campaign_id, destination, bid_minor, priority, weight, concurrency, \
                    cap_hourly, cap_daily, cap_monthly, daily_budget_minor, schedule_tz, schedule_open, states, area_codes, rtb_url, \
                    ring_timeout_ms, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                    $16, $17, $18, $19, $20)",
            };
            let area_codes = t
                .area_codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut q = sqlx::query(sql)
                .bind(&t.name)
                .bind(buyer)
                .bind(campaign)
                .bind(&t.destination)
                .bind(t.bid.minor())
                .bind(i64::from(t.priority))
                .bind(i64::from(t.weight))
                .bind(t.concurrency.map(i64::from))
                .bind(t.caps.hourly.map(i64::from))
                .bind(t.caps.daily.map(i64::from))
                .bind(t.caps.monthly.map(i64::from))
                .bind(t.daily_budget.map(|m| m.minor()))
                .bind(t.schedule.as_ref().map(|s| s.tz().name().to_string()))
                .bind(t.schedule.as_ref().map(|s| s.spec().to_string()))
                .bind(t.states.join(","))
                .bind(area_codes)
                .bind(t.rtb_url.clone())
                .bind(t.ring_timeout.as_millis() as i64)
                .bind(i64::from(t.enabled));
            if existing.is_none() {
                q = q.bind(now);
            }
            q.execute(&mut *tx).await?;
            count(&mut summary, existing.is_none());
        }

        if !errors.is_empty() {
            tx.rollback().await?;
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::Invalid(MarketFileError { errors }));
        }
        bump(&mut *tx, "market").await?;
        tx.commit().await?;
        Ok(summary)
    }
}

fn count(summary: &mut ImportSummary, created: bool) {
    if created {
        summary.created += 1;
    } else {
        summary.updated += 1;
    }
}

/// A new buyer's opening balance, posted as a top-up from the house, so the
/// balance equals the buyer's postings from the start.
async fn opening_balance(
    tx: &mut Tx,
    buyer: BuyerId,
    amount: Money,
    now: i64,
) -> Result<(), ImportError> {
    if amount == Money::ZERO {
        return Ok(());
    }
    let t = BalancedTransaction::against_house(
        TransactionKind::TopUp,
        Account::Buyer(buyer),
        amount,
        "opening balance",
        "import",
    )
    .map_err(|e| {
        ImportError::Store(StoreError::Corrupt {
            what: format!("opening balance of buyer {buyer}"),
            detail: e.to_string(),
        })
    })?;
    match post(tx, &t, None, now).await {
        Ok(_) => Ok(()),
        Err(BillingError::Store(e)) => Err(ImportError::Store(e)),
        Err(e) => Err(ImportError::Store(StoreError::Corrupt {
            what: format!("opening balance of buyer {buyer}"),
            detail: e.to_string(),
        })),
    }
}

fn error(line: usize, field: &str, message: String) -> FileError {
    FileError {
        line,
        field: field.to_string(),
        message,
    }
}

/// `table` is always one of this module's literals, never input.
async fn id_of(tx: &mut Tx, table: &str, name: &str) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(&format!("SELECT id FROM {table} WHERE name = $1"))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| r.0))
}

async fn upsert(
    tx: &mut Tx,
    table: &str,
    name: &str,
    insert: &str,
    now: i64,
) -> Result<(i64, bool), sqlx::Error> {
    if let Some(id) = id_of(tx, table, name).await? {
        return Ok((id, false));
    }
    let (id,): (i64,) = sqlx::query_as(insert)
        .bind(name)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    Ok((id, true))
}

async fn resolve(
    tx: &mut Tx,
    in_file: &HashMap<String, i64>,
    table: &str,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    match in_file.get(name) {
        Some(id) => Ok(Some(*id)),
        None => id_of(tx, table, name).await,
    }
}
