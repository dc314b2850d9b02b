//! The live usage the decision reads: plain atomics, reached from the
//! market snapshot without a lock or a hash lookup.
//!
//! They outlive snapshots: a rebuilt `Market` takes the same `Arc`s from
//! the [`LiveRegistry`], so swapping the market never resets a count.

use crate::domain::{BuyerId, CampaignId, Money, TargetId};
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A count that resets when its period (hour, day, month) changes: the
/// period's bucket id in the high 32 bits, the count in the low 32, so a
/// reader never sees one period's count with another's id.
#[derive(Debug, Default)]
pub struct BucketCount(AtomicU64);

impl BucketCount {
    /// The count in `bucket` (zero when the stored count is another period's).
    pub fn get(&self, bucket: u32) -> u32 {
        let packed = self.0.load(Ordering::Relaxed);
        if (packed >> 32) as u32 == bucket {
            packed as u32
        } else {
            0
        }
    }

    /// Adds one in `bucket` unless the count is already `limit` or more;
    /// returns whether it did.
    pub fn try_increment(&self, bucket: u32, limit: Option<u32>) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |packed| {
                let count = if (packed >> 32) as u32 == bucket {
                    packed as u32
                } else {
                    0
                };
                if limit.is_some_and(|l| count >= l) {
                    return None;
                }
                Some(pack(bucket, count.saturating_add(1)))
            })
            .is_ok()
    }

    /// Takes one back in `bucket` (nothing when the period already changed).
    pub fn decrement(&self, bucket: u32) {
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |packed| {
                ((packed >> 32) as u32 == bucket && packed as u32 > 0)
                    .then(|| pack(bucket, packed as u32 - 1))
            });
    }

    /// Overwrites the count for `bucket` (a mirror refreshed from Redis).
    pub fn set(&self, bucket: u32, count: u32) {
        self.0.store(pack(bucket, count), Ordering::Relaxed);
    }
}

fn pack(bucket: u32, count: u32) -> u64 {
    (u64::from(bucket) << 32) | u64::from(count)
}

/// One target's live usage.
#[derive(Debug, Default)]
pub struct TargetLive {
    /// Calls up now.
    pub concurrent: AtomicU32,
    /// Calls this hour.
    pub hour: BucketCount,
    /// Calls today.
    pub day: BucketCount,
    /// Calls this month.
    pub month: BucketCount,
    /// Minor units committed today (bids of calls routed).
    pub spent_today: AtomicI64,
    /// The day `spent_today` counts.
    pub spent_day: AtomicU32,
}

impl TargetLive {
    /// Money committed in `day`.
    pub fn spent_in(&self, day: u32) -> Money {
        if self.spent_day.load(Ordering::Acquire) == day {
            Money::from_minor(self.spent_today.load(Ordering::Relaxed))
        } else {
            Money::ZERO
        }
    }

    /// Adds `amount` to `day`'s spend unless it would pass `budget`.
    pub fn try_spend(&self, day: u32, amount: Money, budget: Option<Money>) -> bool {
        // A day change resets the sum; the small race where two callers
        // reset at once only ever forgets spend from the *previous* day.
        if self.spent_day.swap(day, Ordering::AcqRel) != day {
            self.spent_today.store(0, Ordering::Release);
        }
        self.spent_today
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |spent| {
                let next = spent.checked_add(amount.minor())?;
                match budget {
                    Some(b) if next > b.minor() => None,
                    _ => Some(next),
                }
            })
            .is_ok()
    }

    /// Returns `amount` of `day`'s spend.
    pub fn refund(&self, day: u32, amount: Money) {
        if self.spent_day.load(Ordering::Acquire) == day {
            self.spent_today.fetch_sub(amount.minor(), Ordering::AcqRel);
        }
    }
}

/// One buyer's money as the decision sees it.
#[derive(Debug, Default)]
pub struct BuyerLive {
    /// Balance as last loaded from the store (minor units).
    pub balance: AtomicI64,
    /// Bids of calls routed and not yet rated (minor units).
    pub reserved: AtomicI64,
}

impl BuyerLive {
    /// Balance minus what is reserved.
    pub fn available(&self) -> Money {
        Money::from_minor(
            self.balance
                .load(Ordering::Relaxed)
                .saturating_sub(self.reserved.load(Ordering::Relaxed)),
        )
    }

    /// Reserves `amount` if the available balance covers it.
    pub fn try_reserve(&self, amount: Money) -> bool {
        let balance = self.balance.load(Ordering::Acquire);
        self.reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |reserved| {
                let next = reserved.checked_add(amount.minor())?;
                (next <= balance).then_some(next)
            })
            .is_ok()
    }

    /// Releases a reservation.
    pub fn release(&self, amount: Money) {
        self.reserved.fetch_sub(amount.minor(), Ordering::AcqRel);
    }
}

/// One campaign's live state.
#[derive(Debug, Default)]
pub struct CampaignLive {
    /// Round-robin turn: how many calls the campaign has ranked.
    pub turn: AtomicU64,
}

/// Where snapshots find the live state of each entity.
///
/// The lock is taken only while a snapshot is built (off the call path),
/// never across an `.await`.
#[derive(Debug, Default)]
pub struct LiveRegistry {
    inner: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    targets: FxHashMap<TargetId, Arc<TargetLive>>,
    buyers: FxHashMap<BuyerId, Arc<BuyerLive>>,
    campaigns: FxHashMap<CampaignId, Arc<CampaignLive>>,
}

impl LiveRegistry {
    /// The live usage of a target, created on first use.
    pub fn target(&self, id: TargetId) -> Arc<TargetLive> {
        self.lock().targets.entry(id).or_default().clone()
    }

    /// The live money of a buyer, created on first use.
    pub fn buyer(&self, id: BuyerId) -> Arc<BuyerLive> {
        self.lock().buyers.entry(id).or_default().clone()
    }

    /// The live state of a campaign, created on first use.
    pub fn campaign(&self, id: CampaignId) -> Arc<CampaignLive> {
        self.lock().campaigns.entry(id).or_default().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding this lock cannot leave the maps half
        // written (each operation is one insert), so poison is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_counts_reset_with_the_period_and_respect_limits() {
        let c = BucketCount::default();
        assert!(c.try_increment(7, Some(2)));
        assert!(c.try_increment(7, Some(2)));
        assert!(!c.try_increment(7, Some(2)));
        assert_eq!(c.get(7), 2);
        assert_eq!(c.get(8), 0);
        assert!(c.try_increment(8, Some(2)), "a new period starts at zero");
        c.decrement(7);
        assert_eq!(c.get(8), 1, "a stale period's refund changes nothing");
    }

    #[test]
    fn spend_respects_budget_and_resets_daily() {
        let t = TargetLive::default();
        let budget = Some(Money::from_minor(2000));
        assert!(t.try_spend(1, Money::from_minor(1250), budget));
        assert!(!t.try_spend(1, Money::from_minor(1250), budget));
        assert_eq!(t.spent_in(1), Money::from_minor(1250));
        assert!(t.try_spend(2, Money::from_minor(1250), budget));
        assert_eq!(t.spent_in(2), Money::from_minor(1250));
    }

    #[test]
    fn reservations_never_exceed_balance() {
        let b = BuyerLive::default();
        b.balance.store(2500, Ordering::Relaxed);
        assert!(b.try_reserve(Money::from_minor(1250)));
        assert!(b.try_reserve(Money::from_minor(1250)));
        assert!(!b.try_reserve(Money::from_minor(1)));
        b.release(Money::from_minor(1250));
        assert_eq!(b.available(), Money::from_minor(1250));
    }
}
