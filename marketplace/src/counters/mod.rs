//! Counters: concurrency, caps, budgets, balances in flight and caller
//! history, behind one trait with an in-process and a Redis implementation.
//!
//! The decision never waits on a counter: it reads the [`live`] atomics
//! that every snapshot links to. Taking a slot for a call ([`Counters::acquire`])
//! is the authoritative, atomic check: in-process with compare-and-swap,
//! across nodes with one Redis script. A call whose slot is refused goes to
//! the next ranked target with the refusal as its reason.

mod live;
mod local;
mod redis;

pub use live::{BucketCount, BuyerLive, CampaignLive, LiveRegistry, TargetLive};
pub use local::LocalCounters;
pub use redis::RedisCounters;

use crate::auction::{CallerHistory, Reason};
use crate::domain::{CampaignId, LocalTime, Money, PhoneNumber, TargetId};
use crate::snapshot::TargetEntry;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// A held place for one call at one target: concurrency, the cap counts,
/// the day's spend and the buyer's reservation. Give it back with
/// [`Counters::release`].
#[derive(Debug)]
pub struct Slot {
    /// The target the call went to.
    pub target: TargetId,
    /// The bid reserved.
    pub bid: Money,
    pub(crate) live: Arc<TargetLive>,
    pub(crate) buyer: Arc<BuyerLive>,
    pub(crate) local: LocalTime,
    /// Set when the slot is held in Redis: its lease id and keys' owner.
    pub(crate) remote: Option<redis::RemoteSlot>,
}

/// What one caller did recently, as the decision needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The campaign called.
    pub campaign: CampaignId,
    /// The window calls are counted over for velocity.
    pub velocity_window: Duration,
}

/// Usage counters shared by the calls of one node (in-process) or of a
/// cluster (Redis).
#[async_trait::async_trait]
pub trait Counters: Send + Sync + 'static {
    /// Atomically checks the target's limits and the buyer's balance for
    /// `bid` and takes a slot, or says which limit refused it.
    async fn acquire(
        &self,
        target: &TargetEntry,
        bid: Money,
        now: DateTime<Utc>,
    ) -> Result<Slot, Reason>;

    /// Gives a slot back. A call that was never answered also gets its cap
    /// counts and spend back: a buyer that did not answer did not use them.
    async fn release(&self, slot: Slot, answered: bool);

    /// The caller's recent calls: count within the velocity window and the
    /// last call to the campaign.
    async fn caller_history(
        &self,
        caller: PhoneNumber,
        query: HistoryQuery,
        now: DateTime<Utc>,
    ) -> CallerHistory;

    /// Notes a call from `caller` to `campaign` (for velocity and duplicates).
    async fn record_call(&self, caller: PhoneNumber, campaign: CampaignId, now: DateTime<Utc>);

    /// `"local"` or `"redis"`, and whether it is running degraded.
    fn status(&self) -> CountersStatus;
}

/// What a counters backend reports about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountersStatus {
    /// `"local"` or `"redis"`.
    pub backend: &'static str,
    /// `true` when Redis is away and limits are enforced per node.
    pub degraded: bool,
}

/// Takes a slot using only this process's atomics. Shared by the local
/// backend and by the Redis backend's fallback.
pub(crate) fn acquire_in_process(
    target: &TargetEntry,
    bid: Money,
    now: DateTime<Utc>,
) -> Result<Slot, Reason> {
    let t = &target.target;
    let live = &target.live;
    let local = LocalTime::of(now, target.tz);
    let conc_ok = live
        .concurrent
        .fetch_update(
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
            |c| match t.concurrency {
                Some(limit) if c >= limit => None,
                _ => Some(c + 1),
            },
        )
        .is_ok();
    if !conc_ok {
        return Err(Reason::ConcurrencyFull);
    }
    let undo_conc = || {
        live.concurrent
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    };
    if !live.hour.try_increment(local.hour_bucket(), t.caps.hourly) {
        undo_conc();
        return Err(Reason::HourlyCapReached);
    }
    if !live.day.try_increment(local.day_bucket(), t.caps.daily) {
        live.hour.decrement(local.hour_bucket());
        undo_conc();
        return Err(Reason::DailyCapReached);
    }
    if !live
        .month
        .try_increment(local.month_bucket(), t.caps.monthly)
    {
        live.day.decrement(local.day_bucket());
        live.hour.decrement(local.hour_bucket());
        undo_conc();
        return Err(Reason::MonthlyCapReached);
    }
    let undo_caps = || {
        live.month.decrement(local.month_bucket());
        live.day.decrement(local.day_bucket());
        live.hour.decrement(local.hour_bucket());
        undo_conc();
    };
    if !live.try_spend(local.day_bucket(), bid, t.daily_budget) {
        undo_caps();
        return Err(Reason::BudgetExhausted);
    }
    if !target.buyer.try_reserve(bid) {
        live.refund(local.day_bucket(), bid);
        undo_caps();
        return Err(Reason::BalanceExhausted);
    }
    Ok(Slot {
        target: t.id,
        bid,
        live: live.clone(),
        buyer: target.buyer.clone(),
        local,
        remote: None,
    })
}

/// Gives back what [`acquire_in_process`] took.
pub(crate) fn release_in_process(slot: &Slot, answered: bool) {
    slot.live
        .concurrent
        .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    slot.buyer.release(slot.bid);
    if !answered {
        slot.live.hour.decrement(slot.local.hour_bucket());
        slot.live.day.decrement(slot.local.day_bucket());
        slot.live.month.decrement(slot.local.month_bucket());
        slot.live.refund(slot.local.day_bucket(), slot.bid);
    }
}
