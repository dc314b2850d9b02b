//! What the switch task records and the HTTP side reads: `/stats/switch`
//! (JSON, for the load scripts) and `/metrics` (Prometheus, through
//! `crate::metrics`, which registers these instruments once).
//!
//! Recording never takes a lock on the call path except the INVITE-delay
//! HdrHistogram behind `/stats/switch` (once per call, switch task only):
//! counters are atomics reached by index, histograms fixed arrays of
//! atomics.

use super::call::EndCause;
use crate::metrics::{
    AtomicHistogram, LabeledCounters, SipCounters, DECISION_BUCKETS, INVITE_DELAY_BUCKETS,
};
use dce_marketplace::Decision;
use hdrhistogram::Histogram;
use prometheus_client::metrics::counter::Counter;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Label slots for end causes and auction reasons (their enums are far
/// smaller; a value past the slots still counts, through a lock).
const CAUSE_SLOTS: usize = 16;
const REASON_SLOTS: usize = 48;

/// Shared between the switch task (writer) and HTTP handlers (readers).
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
    /// The same delays, in Prometheus buckets.
    pub invite_delay_seconds: AtomicHistogram,
    /// How long a call's routing job took (history, RTB, auction).
    pub decision_seconds: AtomicHistogram,
    /// SIP messages in and out.
    pub sip: SipCounters,
    /// Messages that did not parse.
    pub sip_malformed: Counter,
    /// Calls ended, by cause.
    pub ended_by_cause: LabeledCounters<&'static str>,
    /// Calls ended without an answer, by cause.
    pub failed_by_cause: LabeledCounters<&'static str>,
    /// Targets excluded from a decision, by reason.
    pub exclusions: LabeledCounters<&'static str>,
    /// Calls refused as a whole by a call-level reason (DNC, fraud, ...).
    pub blocked: LabeledCounters<&'static str>,
    /// The media engine, once call control has one: `/metrics` reads its
    /// counters at scrape time.
    media: OnceLock<dce_media::MediaEngine>,
}

impl Default for SwitchStats {
    fn default() -> Self {
        SwitchStats {
            arrived: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            invite_delay: Mutex::new(Histogram::new(3).expect("3 significant figures is valid")),
            invite_delay_seconds: AtomicHistogram::new(INVITE_DELAY_BUCKETS),
            decision_seconds: AtomicHistogram::new(DECISION_BUCKETS),
            sip: SipCounters::default(),
            sip_malformed: Counter::default(),
            ended_by_cause: LabeledCounters::new("cause", CAUSE_SLOTS),
            failed_by_cause: LabeledCounters::new("cause", CAUSE_SLOTS),
            exclusions: LabeledCounters::new("reason", REASON_SLOTS),
            blocked: LabeledCounters::new("reason", REASON_SLOTS),
            media: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for SwitchStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SwitchStats ")?;
        f.write_str(&self.to_json().to_string())
    }
}

impl SwitchStats {
    /// One INVITE-in to INVITE-out delay.
    pub fn record_invite_delay(&self, d: Duration) {
        if let Ok(mut h) = self.invite_delay.lock() {
            let _ = h.record(d.as_micros().max(1) as u64);
        }
        self.invite_delay_seconds.observe(d);
    }

    /// A call's decision, and how long its routing job took.
    pub fn record_decision(&self, decision: &Decision, took: Duration) {
        self.decision_seconds.observe(took);
        for e in &decision.excluded {
            self.exclusions.inc(e.reason as usize, || e.reason.as_str());
        }
        if let Some(r) = decision.blocked {
            self.blocked.inc(r as usize, || r.as_str());
        }
    }

    /// A call that ended, and whether a buyer had answered it.
    pub fn call_ended(&self, cause: EndCause, answered: bool) {
        self.ended.fetch_add(1, Ordering::Relaxed);
        self.ended_by_cause.inc(cause as usize, || cause.as_str());
        if !answered {
            self.failed_by_cause.inc(cause as usize, || cause.as_str());
        }
    }

    /// Calls between arrival and end.
    pub fn active(&self) -> u64 {
        // `ended` first: a call ending between the two loads cannot make
        // the difference negative.
        let ended = self.ended.load(Ordering::Relaxed);
        self.arrived.load(Ordering::Relaxed).saturating_sub(ended)
    }

    /// Hands `/metrics` the media engine whose counters it reports (RTP
    /// packets, bytes, loss, drops, sessions). Set once; later calls are
    /// ignored.
    pub fn watch_media(&self, engine: dce_media::MediaEngine) {
        let _ = self.media.set(engine);
    }

    /// The media engine's counters now, when there is an engine.
    pub fn media_counters(&self) -> Option<dce_media::EngineCounters> {
        self.media.get().map(|m| m.counters())
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use dce_marketplace::auction::Excluded;
    use dce_marketplace::domain::TargetId;
    use dce_marketplace::Reason;

    #[test]
    fn ends_count_by_cause_and_unanswered_ones_also_as_failed() {
        let s = SwitchStats::default();
        s.arrived.store(3, Ordering::Relaxed);
        s.call_ended(EndCause::CallerBye, true);
        s.call_ended(EndCause::AllTargetsFailed, false);
        assert_eq!(s.ended_by_cause.get("caller_bye"), 1);
        assert_eq!(s.ended_by_cause.get("all_targets_failed"), 1);
        assert_eq!(s.failed_by_cause.get("all_targets_failed"), 1);
        assert_eq!(s.failed_by_cause.get("caller_bye"), 0);
        assert_eq!(s.active(), 1);
        assert_eq!(s.to_json()["ended"], 2);
    }

    #[test]
    fn a_decision_counts_its_exclusions_and_its_block() {
        let s = SwitchStats::default();
        let excluded = |target, reason| Excluded {
            target: TargetId(target),
            reason,
        };
        let d = Decision {
            blocked: Some(Reason::Dnc),
            excluded: vec![
                excluded(1, Reason::Dnc),
                excluded(2, Reason::Dnc),
                excluded(3, Reason::ConcurrencyFull),
            ],
            ..Decision::default()
        };
        s.record_decision(&d, Duration::from_micros(30));
        assert_eq!(s.exclusions.get("dnc"), 2);
        assert_eq!(s.exclusions.get("concurrency_full"), 1);
        assert_eq!(s.blocked.get("dnc"), 1);
        assert_eq!(s.decision_seconds.count(), 1);
    }

    #[test]
    fn invite_delays_feed_both_views() {
        let s = SwitchStats::default();
        s.record_invite_delay(Duration::from_micros(120));
        assert_eq!(s.invite_delay_seconds.count(), 1);
        assert_eq!(s.to_json()["invite_delay"]["count"], 1);
    }
}
