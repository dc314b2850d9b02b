//! A lock-free histogram of durations, encoded as a Prometheus histogram
//! in seconds.
//!
//! `prometheus_client`'s own histogram takes a lock on every observation;
//! this one is a fixed set of atomics, so the switch task and the job tasks
//! record INVITE delays and decision times without ever waiting.

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// INVITE-in to INVITE-out: the budget is about a millisecond, so the
/// buckets are fine below it (the 1 ms edge is what the alert reads).
pub const INVITE_DELAY_BUCKETS: &[f64] = &[
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.000_75, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 1.0,
];

/// A decision: tens of microseconds from the snapshot, up to the RTB
/// deadline (hundreds of milliseconds) when bidders are asked.
pub const DECISION_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
    0.5, 1.0,
];

/// An API request: the target is p99 ≤ 5 ms.
pub const HTTP_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A histogram of durations with fixed upper bounds (seconds). Cheap to
/// clone: clones share their counts.
#[derive(Clone, Debug)]
pub struct AtomicHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds, ascending, as exposed.
    bounds: &'static [f64],
    /// The same bounds in nanoseconds, for the comparison on the hot path.
    bounds_ns: Box<[u64]>,
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    counts: Box<[AtomicU64]>,
    /// Sum of observations, nanoseconds.
    sum_ns: AtomicU64,
}

impl AtomicHistogram {
    /// A histogram over `bounds` (seconds, ascending).
    pub fn new(bounds: &'static [f64]) -> AtomicHistogram {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds ascend");
        AtomicHistogram {
            inner: Arc::new(Inner {
                bounds,
                bounds_ns: bounds.iter().map(|b| (b * 1e9).round() as u64).collect(),
                counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
                sum_ns: AtomicU64::new(0),
            }),
        }
    }

    /// Records one duration: two relaxed atomic adds.
    pub fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = self.inner.bounds_ns.partition_point(|&b| b < ns);
        self.inner.counts[i].fetch_add(1, Relaxed);
        self.inner.sum_ns.fetch_add(ns, Relaxed);
    }

    /// Observations so far.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.inner.counts.iter().map(|c| c.load(Relaxed)).sum()
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let inner = &self.inner;
        let buckets: Vec<(f64, u64)> = inner
            .bounds
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(inner.counts.iter().map(|c| c.load(Relaxed)))
            .collect();
        // The count is the buckets' sum, so `+Inf` and `_count` always agree
        // even while observations land during the scrape.
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = inner.sum_ns.load(Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::{Registry, Unit};

    fn render(h: &AtomicHistogram) -> String {
        let mut r = Registry::default();
        r.register_with_unit("t", "test", Unit::Seconds, h.clone());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &r).unwrap();
        out
    }

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let h = AtomicHistogram::new(&[0.001, 0.01]);
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(1)); // on the edge: le="0.001"
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_secs(3));
        let text = render(&h);
        assert!(
            text.contains("t_seconds_bucket{le=\"0.001\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("t_seconds_bucket{le=\"0.01\"} 3\n"), "{text}");
        assert!(text.contains("t_seconds_bucket{le=\"+Inf\"} 4\n"), "{text}");
        assert!(text.contains("t_seconds_count 4\n"), "{text}");
        assert!(text.contains("t_seconds_sum 3.0065\n"), "{text}");
        assert_eq!(h.count(), 4);
    }

    #[test]
    fn clones_share_their_counts() {
        let h = AtomicHistogram::new(INVITE_DELAY_BUCKETS);
        h.clone().observe(Duration::from_micros(40));
        assert_eq!(h.count(), 1);
    }

    #[test]
    fn the_bucket_sets_ascend() {
        for b in [INVITE_DELAY_BUCKETS, DECISION_BUCKETS, HTTP_BUCKETS] {
            assert!(b.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(INVITE_DELAY_BUCKETS.contains(&0.001), "the alert's edge");
    }
}
