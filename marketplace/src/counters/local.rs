//! In-process counters: one node's limits, no network.

use super::{acquire_in_process, release_in_process, Counters, CountersStatus, HistoryQuery, Slot};
use crate::auction::{CallerHistory, Reason};
use crate::domain::{CampaignId, Money, PhoneNumber};
use crate::snapshot::TargetEntry;
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

const SHARDS: usize = 16;
/// Most recent calls remembered per caller: more than any sane velocity limit.
const RECENT_PER_CALLER: usize = 64;

/// Counters held in this process only.
#[derive(Debug)]
pub struct LocalCounters {
    callers: CallerLog,
}

impl LocalCounters {
    /// Empty counters; `retention` is how long caller history is kept
    /// (the longest duplicate or velocity window in use).
    pub fn new(retention: Duration) -> LocalCounters {
        LocalCounters {
            callers: CallerLog::new(retention),
        }
    }

    /// How long caller history is kept, in milliseconds.
    pub(crate) fn retention_ms(&self) -> i64 {
        self.callers.retention_ms
    }

    /// Forgets callers not seen within the retention; the server calls this
    /// periodically so memory stays bounded by recent traffic.
    pub fn prune(&self, now: DateTime<Utc>) {
        self.callers.prune(now.timestamp_millis());
    }
}

#[async_trait::async_trait]
impl Counters for LocalCounters {
    async fn acquire(
        &self,
        target: &TargetEntry,
        bid: Money,
        now: DateTime<Utc>,
    ) -> Result<Slot, Reason> {
        acquire_in_process(target, bid, now)
    }

    async fn release(&self, slot: Slot, answered: bool) {
        release_in_process(&slot, answered);
    }

    async fn caller_history(
        &self,
        caller: PhoneNumber,
        query: HistoryQuery,
        now: DateTime<Utc>,
    ) -> CallerHistory {
        self.callers.history(caller, query, now.timestamp_millis())
    }

    async fn record_call(&self, caller: PhoneNumber, campaign: CampaignId, now: DateTime<Utc>) {
        self.callers
            .record(caller, campaign, now.timestamp_millis());
    }

    fn status(&self) -> CountersStatus {
        CountersStatus {
            backend: "local",
            degraded: false,
        }
    }
}

/// Recent calls per caller, in shards so concurrent calls rarely share a lock.
///
/// Each shard's lock is held for a map lookup and a few pushes, never
/// across an `.await`.
#[derive(Debug)]
pub(crate) struct CallerLog {
    shards: Vec<Mutex<FxHashMap<u64, CallerRecord>>>,
    retention_ms: i64,
}

#[derive(Debug, Default)]
struct CallerRecord {
    recent: VecDeque<i64>,
    last_by_campaign: Vec<(CampaignId, i64)>,
}

impl CallerLog {
    pub(crate) fn new(retention: Duration) -> CallerLog {
        CallerLog {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            retention_ms: retention.as_millis().min(i64::MAX as u128) as i64,
        }
    }

    fn shard(
        &self,
        caller: PhoneNumber,
    ) -> std::sync::MutexGuard<'_, FxHashMap<u64, CallerRecord>> {
        let i = (caller.as_u64() % SHARDS as u64) as usize;
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn history(
        &self,
        caller: PhoneNumber,
        query: HistoryQuery,
        now_ms: i64,
    ) -> CallerHistory {
        let shard = self.shard(caller);
        let Some(rec) = shard.get(&caller.as_u64()) else {
            return CallerHistory::default();
        };
        let since = now_ms - query.velocity_window.as_millis() as i64;
        CallerHistory {
            calls_in_velocity_window: rec.recent.iter().filter(|t| **t > since).count() as u32,
            last_in_campaign_ms: rec
                .last_by_campaign
                .iter()
                .find(|(c, _)| *c == query.campaign)
                .map(|(_, t)| *t),
        }
    }

    pub(crate) fn record(&self, caller: PhoneNumber, campaign: CampaignId, now_ms: i64) {
        let mut shard = self.shard(caller);
        let rec = shard.entry(caller.as_u64()).or_default();
        if rec.recent.len() == RECENT_PER_CALLER {
            rec.recent.pop_front();
        }
        rec.recent.push_back(now_ms);
        match rec
            .last_by_campaign
            .iter_mut()
            .find(|(c, _)| *c == campaign)
        {
            Some(entry) => entry.1 = now_ms,
            None => rec.last_by_campaign.push((campaign, now_ms)),
        }
    }

    pub(crate) fn prune(&self, now_ms: i64) {
        let horizon = now_ms - self.retention_ms;
        for shard in &self.shards {
            let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
            map.retain(|_, rec| {
                rec.recent.retain(|t| *t > horizon);
                rec.last_by_campaign.retain(|(_, t)| *t > horizon);
                !rec.recent.is_empty() || !rec.last_by_campaign.is_empty()
            });
        }
    }
}
