//! Counters the switch task keeps and the HTTP side reads.

use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Shared between the switch task (writer) and HTTP handlers (readers).
#[derive(Debug)]
pub struct SwitchStats {
    /// INVITEs that became calls.
    pub arrived: AtomicU64,
    /// New INVITEs answered `503` because the switch was overloaded or draining.
    pub shed: AtomicU64,
    /// Calls a buyer answered.
    pub answered: AtomicU64,
    /// Calls that ended.
    pub ended: AtomicU64,
    /// INVITE-in to first INVITE-out, microseconds. Locked by the switch
    /// task once per call and by a reader now and then: never contended
    /// for long, never held across an `.await`.
    pub invite_delay: Mutex<Histogram<u64>>,
}

impl Default for SwitchStats {
    fn default() -> Self {
        SwitchStats {
            arrived: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            invite_delay: Mutex::new(Histogram::new(3).expect("3 significant figures is valid")),
        }
    }
}

impl SwitchStats {
    /// A JSON view for `/stats/switch`.
    pub fn to_json(&self) -> Value {
        let delay = self.invite_delay.lock().map(|h| h.clone()).ok();
        let delay = match delay {
            Some(h) if !h.is_empty() => json!({
                "count": h.len(),
                "p50_us": h.value_at_quantile(0.5),
                "p99_us": h.value_at_quantile(0.99),
                "p999_us": h.value_at_quantile(0.999),
                "max_us": h.max(),
            }),
            _ => json!({ "count": 0 }),
        };
        json!({
            "arrived": self.arrived.load(Ordering::Relaxed),
            "shed": self.shed.load(Ordering::Relaxed),
            "answered": self.answered.load(Ordering::Relaxed),
            "ended": self.ended.load(Ordering::Relaxed),
            "invite_delay": delay,
        })
    }
}
