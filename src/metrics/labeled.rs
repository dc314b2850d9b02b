//! A counter family with one label whose values are known by a small index
//! (a method, a status code, an end cause, a reason): each value's counter
//! is created on first use and then reached by index, so recording is an
//! atomic load and an atomic add, with no lock and no allocation.

use prometheus_client::encoding::{EncodeLabelValue, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

type Labels<V> = [(&'static str, V); 1];

/// Counters by one label. Cheap to clone: clones share their counts.
#[derive(Clone, Debug)]
pub struct LabeledCounters<V: Clone + Hash + Eq> {
    key: &'static str,
    family: Family<Labels<V>, Counter>,
    /// The counter of the value at each index, once seen.
    slots: Arc<[OnceLock<Counter>]>,
}

impl<V> LabeledCounters<V>
where
    V: Clone + Hash + Eq + EncodeLabelValue + Debug + Send + Sync + 'static,
{
    /// Counters labelled `key`, with `slots` indexed values.
    pub fn new(key: &'static str, slots: usize) -> LabeledCounters<V> {
        LabeledCounters {
            key,
            family: Family::default(),
            slots: (0..slots).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Adds one to the value at `index`; `value` names it the first time
    /// (an index past the slots still counts, through the family's lock).
    pub fn inc(&self, index: usize, value: impl FnOnce() -> V) {
        self.inc_by(index, 1, value);
    }

    /// Adds `n` to the value at `index`.
    pub fn inc_by(&self, index: usize, n: u64, value: impl FnOnce() -> V) {
        match self.slots.get(index) {
            Some(slot) => {
                slot.get_or_init(|| self.family.get_or_create_owned(&[(self.key, value())]))
                    .inc_by(n);
            }
            None => {
                self.family.get_or_create(&[(self.key, value())]).inc_by(n);
            }
        }
    }

    /// The count for `value`.
    #[cfg(test)]
    pub fn get(&self, value: V) -> u64 {
        self.family.get(&[(self.key, value)]).map_or(0, |c| c.get())
    }
}

impl<V> TypedMetric for LabeledCounters<V>
where
    V: Clone + Hash + Eq,
{
    const TYPE: MetricType = MetricType::Counter;
}

impl<V> EncodeMetric for LabeledCounters<V>
where
    V: Clone + Hash + Eq + EncodeLabelValue + Debug + Send + Sync + 'static,
{
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.family.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }

    fn is_empty(&self) -> bool {
        self.family.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_names_its_value_once_and_counts_in_the_family() {
        let c = LabeledCounters::<&'static str>::new("method", 2);
        c.inc(0, || "INVITE");
        c.inc(0, || unreachable!("named once"));
        c.inc_by(1, 3, || "BYE");
        // Past the slots: still counted.
        c.inc(7, || "other");
        c.inc(7, || "other");
        assert_eq!(c.get("INVITE"), 2);
        assert_eq!(c.get("BYE"), 3);
        assert_eq!(c.get("other"), 2);
        assert_eq!(c.get("ACK"), 0);
    }
}
