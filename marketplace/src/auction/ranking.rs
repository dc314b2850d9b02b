//! Ordering eligible targets by a campaign's strategy.

use crate::domain::{Money, Ranking, TargetId};
use std::sync::Arc;

/// An eligible target on its way into the ranking.
#[derive(Clone, Debug)]
pub(super) struct Candidate {
    pub(super) index: u32,
    pub(super) id: TargetId,
    pub(super) bid: Money,
    pub(super) priority: u32,
    pub(super) weight: u32,
    pub(super) destination: Option<Arc<str>>,
}

/// Orders `candidates` (given in target-id order) by `strategy`.
pub(super) fn rank(strategy: Ranking, candidates: &mut [Candidate], seed: u64, turn: u64) {
    match strategy {
        Ranking::HighestBid => candidates.sort_unstable_by(|a, b| {
            b.bid
                .cmp(&a.bid)
                .then(a.priority.cmp(&b.priority))
                .then(a.id.cmp(&b.id))
        }),
        Ranking::PriorityWeighted => {
            candidates.sort_by_cached_key(|c| (c.priority, weighted_key(seed, c.id, c.weight), c.id))
        }
        Ranking::RoundRobin => {
            if !candidates.is_empty() {
                let n = candidates.len() as u64;
                candidates.rotate_left((turn % n) as usize);
            }
        }
    }
}

/// The sort key for a weighted random order without replacement
/// (Efraimidis–Spirakis: the smallest `-ln(u) / w` first, which picks each
/// target first with probability proportional to its weight). Returned as
/// the bits of a non-negative `f64`, which order like the numbers.
pub fn weighted_key(seed: u64, target: TargetId, weight: u32) -> u64 {
    if weight == 0 {
        return f64::INFINITY.to_bits();
    }
    let x = splitmix64(seed ^ (target.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // 53 random bits to a uniform in (0, 1].
    let u = ((x >> 11) + 1) as f64 / (1u64 << 53) as f64;
    (-u.ln() / f64::from(weight)).to_bits()
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
