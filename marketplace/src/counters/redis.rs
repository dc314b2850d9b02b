//! Counters shared by several nodes through Redis.
//!
//! Every limit is checked and taken in one Lua script, so two nodes can
//! never both take the last slot. Concurrency and balance reservations are
//! leases (sorted-set members scored by expiry) that this node renews while
//! its calls are up: a node that dies stops renewing and its slots free
//! themselves after one lease period, instead of leaking forever.
//!
//! **When Redis is away** (an error or no answer within the operation
//! timeout) the node falls back to its in-process counters, reports itself
//! degraded ([`Counters::status`]) and tries Redis again on the next call.
//! In that mode each node enforces every limit on its own, so a cluster of
//! N nodes may admit up to N times a target's concurrency or caps until
//! Redis returns; calls keep flowing, which is the point.

use super::{
    acquire_in_process, release_in_process, Counters, CountersStatus, HistoryQuery, LocalCounters,
    Slot,
};
use crate::auction::{CallerHistory, Reason};
use crate::domain::{CampaignId, LocalTime, Money, PhoneNumber};
use crate::snapshot::TargetEntry;
use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use redis::Script;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const ACQUIRE: &str = r#"
-- KEYS: 1 concurrency leases (zset), 2 hour, 3 day, 4 month, 5 spend today,
--       6 buyer reservation leases (zset), 7 buyer reservation amounts (hash)
-- ARGV: 1 now ms, 2 lease ms, 3 slot id, 4 concurrency limit, 5 hourly,
--       6 daily, 7 monthly, 8 bid, 9 daily budget, 10 balance  (-1: no limit)
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now)) do
  redis.call('HDEL', KEYS[7], m)
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
local conc = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[4])
if limit >= 0 and conc >= limit then return {1} end
local counts = {}
for i = 2, 4 do
  counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  local cap = tonumber(ARGV[i + 3])
  if cap >= 0 and counts[i] >= cap then return {i} end
end
local bid = tonumber(ARGV[8])
local spent = tonumber(redis.call('GET', KEYS[5]) or '0')
local budget = tonumber(ARGV[9])
if budget >= 0 and spent + bid > budget then return {5} end
local reserved = 0
for _, v in ipairs(redis.call('HVALS', KEYS[7])) do reserved = reserved + tonumber(v) end
if reserved + bid > tonumber(ARGV[10]) then return {6} end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], lease * 2)
local ttl = {0, 7200, 172800, 2764800}
for i = 2, 4 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ttl[i])
end
redis.call('INCRBY', KEYS[5], bid)
redis.call('EXPIRE', KEYS[5], 172800)
redis.call('ZADD', KEYS[6], now + lease, ARGV[3])
redis.call('HSET', KEYS[7], ARGV[3], bid)
redis.call('PEXPIRE', KEYS[6], lease * 2)
redis.call('PEXPIRE', KEYS[7], lease * 2)
return {0, conc + 1, counts[2] + 1, counts[3] + 1, counts[4] + 1, spent + bid}
"#;

const RELEASE: &str = r#"
-- KEYS as ACQUIRE; ARGV: 1 slot id, 2 answered (1/0), 3 bid
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('HDEL', KEYS[7], ARGV[1])
if ARGV[2] == '0' then
  for i = 2, 4 do
    if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
  end
  redis.call('DECRBY', KEYS[5], ARGV[3])
end
return redis.call('ZCARD', KEYS[1])
"#;

/// A slot's identity in Redis.
#[derive(Debug)]
pub(crate) struct RemoteSlot {
    id: u64,
    keys: [String; 7],
}

/// Counters in Redis, mirrored into the local atomics the decision reads.
pub struct RedisCounters {
    conn: ConnectionManager,
    prefix: String,
    lease: Duration,
    op_timeout: Duration,
    acquire: Script,
    release: Script,
    next_slot: AtomicU64,
    node: u64,
    held: Mutex<FxHashMap<u64, [String; 2]>>,
    degraded: AtomicBool,
    fallback: LocalCounters,
}

impl std::fmt::Debug for RedisCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never printed.
        f.debug_struct("RedisCounters")
            .field("prefix", &self.prefix)
            .field("degraded", &self.degraded)
            .finish_non_exhaustive()
    }
}

impl RedisCounters {
    /// Connects to Redis at `url`; keys start with `prefix:`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        retention: Duration,
    ) -> Result<RedisCounters, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisCounters {
            conn,
            prefix: prefix.to_string(),
            lease: Duration::from_secs(30),
            op_timeout: Duration::from_millis(50),
            acquire: Script::new(ACQUIRE),
            release: Script::new(RELEASE),
            next_slot: AtomicU64::new(0),
            node: {
                use std::hash::{BuildHasher, Hasher};
                std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish()
            },
            held: Mutex::default(),
            degraded: AtomicBool::new(false),
            fallback: LocalCounters::new(retention),
        })
    }

    /// Sets how long a slot lives in Redis without renewal (default 30 s).
    pub fn with_lease(mut self, lease: Duration) -> RedisCounters {
        self.lease = lease;
        self
    }

    /// How long a slot lives in Redis without renewal; call
    /// [`RedisCounters::renew_leases`] well within it (a third is right).
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Renews the leases of every slot this node holds.
    pub async fn renew_leases(&self, now: DateTime<Utc>) -> Result<(), redis::RedisError> {
        let held: Vec<(u64, [String; 2])> = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, keys)| (*id, keys.clone()))
            .collect();
        if held.is_empty() {
            return Ok(());
        }
        let expiry = now.timestamp_millis() + self.lease.as_millis() as i64;
        let mut pipe = redis::pipe();
        for (id, [conc, res]) in &held {
            let member = self.member(*id);
            pipe.cmd("ZADD")
                .arg(conc)
                .arg("XX")
                .arg(expiry)
                .arg(&member)
                .ignore();
            pipe.cmd("PEXPIRE")
                .arg(conc)
                .arg(self.lease.as_millis() as u64 * 2)
                .ignore();
            pipe.cmd("ZADD")
                .arg(res)
                .arg("XX")
                .arg(expiry)
                .arg(&member)
                .ignore();
            pipe.cmd("PEXPIRE")
                .arg(res)
                .arg(self.lease.as_millis() as u64 * 2)
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await
    }

    fn member(&self, id: u64) -> String {
        format!("{:x}-{id}", self.node)
    }

    fn keys(&self, target: &TargetEntry, local: &LocalTime) -> [String; 7] {
        let p = &self.prefix;
        let t = target.target.id;
        let b = target.target.buyer;
        [
            format!("{p}:t:{t}:conc"),
            format!("{p}:t:{t}:h:{}", local.hour_bucket()),
            format!("{p}:t:{t}:d:{}", local.day_bucket()),
            format!("{p}:t:{t}:m:{}", local.month_bucket()),
            format!("{p}:t:{t}:spent:{}", local.day_bucket()),
            format!("{p}:b:{b}:res"),
            format!("{p}:b:{b}:amt"),
        ]
    }

    fn went_away(&self, what: &str, err: &dyn std::fmt::Display) {
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %err, op = what, "redis unreachable; counters fall back to this node");
        }
    }

    fn came_back(&self) {
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("redis reachable again; counters shared across nodes");
        }
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, String> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.op_timeout, invocation.invoke_async(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }
}

fn limit(v: Option<u32>) -> i64 {
    v.map_or(-1, i64::from)
}

#[async_trait::async_trait]
impl Counters for RedisCounters {
    async fn acquire(
        &self,
        target: &TargetEntry,
        bid: Money,
        now: DateTime<Utc>,
    ) -> Result<Slot, Reason> {
        let local = LocalTime::of(now, target.tz);
        let keys = self.keys(target, &local);
        let id = self.next_slot.fetch_add(1, Ordering::Relaxed);
        let t = &target.target;
        let mut inv = self.acquire.prepare_invoke();
        for k in &keys {
            inv.key(k);
        }
        inv.arg(now.timestamp_millis())
            .arg(self.lease.as_millis() as i64)
            .arg(self.member(id))
            .arg(limit(t.concurrency))
            .arg(limit(t.caps.hourly))
            .arg(limit(t.caps.daily))
            .arg(limit(t.caps.monthly))
            .arg(bid.minor())
            .arg(t.daily_budget.map_or(-1, Money::minor))
            .arg(target.buyer.balance.load(Ordering::Relaxed));
        let reply: Vec<i64> = match self.run(inv).await {
            Ok(r) => r,
            Err(e) => {
                self.went_away("acquire", &e);
                return acquire_in_process(target, bid, now);
            }
        };
        self.came_back();
        let refused = match reply.first() {
            Some(0) => None,
            Some(1) => Some(Reason::ConcurrencyFull),
            Some(2) => Some(Reason::HourlyCapReached),
            Some(3) => Some(Reason::DailyCapReached),
            Some(4) => Some(Reason::MonthlyCapReached),
            Some(5) => Some(Reason::BudgetExhausted),
            _ => Some(Reason::BalanceExhausted),
        };
        if let Some(reason) = refused {
            return Err(reason);
        }
        // Mirror the cluster-wide counts so this node's next decisions see them.
        let live = &target.live;
        let get = |i: usize| reply.get(i).copied().unwrap_or(0).max(0);
        live.concurrent.store(get(1) as u32, Ordering::Relaxed);
        live.hour.set(local.hour_bucket(), get(2) as u32);
        live.day.set(local.day_bucket(), get(3) as u32);
        live.month.set(local.month_bucket(), get(4) as u32);
        live.spent_day.store(local.day_bucket(), Ordering::Release);
        live.spent_today.store(get(5), Ordering::Relaxed);
        target
            .buyer
            .reserved
            .fetch_add(bid.minor(), Ordering::AcqRel);
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, [keys[0].clone(), keys[5].clone()]);
        Ok(Slot {
            target: t.id,
            bid,
            live: live.clone(),
            buyer: target.buyer.clone(),
            local,
            remote: Some(RemoteSlot { id, keys }),
        })
    }

    async fn release(&self, slot: Slot, answered: bool) {
        let Some(remote) = &slot.remote else {
            release_in_process(&slot, answered);
            return;
        };
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&remote.id);
        slot.buyer.release(slot.bid);
        let mut inv = self.release.prepare_invoke();
        for k in &remote.keys {
            inv.key(k);
        }
        inv.arg(self.member(remote.id))
            .arg(if answered { "1" } else { "0" })
            .arg(slot.bid.minor());
        match self.run::<i64>(inv).await {
            Ok(conc) => {
                self.came_back();
                slot.live
                    .concurrent
                    .store(conc.max(0) as u32, Ordering::Relaxed);
                if !answered {
                    slot.live.hour.decrement(slot.local.hour_bucket());
                    slot.live.day.decrement(slot.local.day_bucket());
                    slot.live.month.decrement(slot.local.month_bucket());
                    slot.live.refund(slot.local.day_bucket(), slot.bid);
                }
            }
            // The lease runs out on its own within one lease period.
            Err(e) => self.went_away("release", &e),
        }
    }

    async fn caller_history(
        &self,
        caller: PhoneNumber,
        query: HistoryQuery,
        now: DateTime<Utc>,
    ) -> CallerHistory {
        let p = &self.prefix;
        let since = now.timestamp_millis() - query.velocity_window.as_millis() as i64;
        let mut pipe = redis::pipe();
        pipe.cmd("ZCOUNT")
            .arg(format!("{p}:c:{}", caller.as_u64()))
            .arg(format!("({since}"))
            .arg("+inf")
            .cmd("GET")
            .arg(format!("{p}:dup:{}:{}", query.campaign, caller.as_u64()));
        let mut conn = self.conn.clone();
        match tokio::time::timeout(
            self.op_timeout,
            pipe.query_async::<(u32, Option<i64>)>(&mut conn),
        )
        .await
        {
            Ok(Ok((count, last))) => {
                self.came_back();
                CallerHistory {
                    calls_in_velocity_window: count,
                    last_in_campaign_ms: last,
                }
            }
            Ok(Err(e)) => {
                self.went_away("caller_history", &e);
                self.fallback.caller_history(caller, query, now).await
            }
            Err(_) => {
                self.went_away("caller_history", &"timed out");
                self.fallback.caller_history(caller, query, now).await
            }
        }
    }

    async fn record_call(&self, caller: PhoneNumber, campaign: CampaignId, now: DateTime<Utc>) {
        // Kept locally too, so a fallback still knows recent callers.
        self.fallback.record_call(caller, campaign, now).await;
        let p = &self.prefix;
        let now_ms = now.timestamp_millis();
        let retention = self.fallback_retention_ms();
        let calls = format!("{p}:c:{}", caller.as_u64());
        let id = self.next_slot.fetch_add(1, Ordering::Relaxed);
        let mut pipe = redis::pipe();
        pipe.cmd("ZADD")
            .arg(&calls)
            .arg(now_ms)
            .arg(self.member(id))
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&calls)
            .arg("-inf")
            .arg(now_ms - retention)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&calls)
            .arg(retention)
            .ignore()
            .cmd("SET")
            .arg(format!("{p}:dup:{campaign}:{}", caller.as_u64()))
            .arg(now_ms)
            .arg("PX")
            .arg(retention)
            .ignore();
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.op_timeout, pipe.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => self.came_back(),
            Ok(Err(e)) => self.went_away("record_call", &e),
            Err(_) => self.went_away("record_call", &"timed out"),
        }
    }

    fn status(&self) -> CountersStatus {
        CountersStatus {
            backend: "redis",
            degraded: self.degraded.load(Ordering::Relaxed),
        }
    }
}

impl RedisCounters {
    fn fallback_retention_ms(&self) -> i64 {
        self.fallback.retention_ms()
    }
}
