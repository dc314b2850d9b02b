//! Ordering eligible targets by a campaign's strategy.

use super::Ranked;
use crate::domain::{Money, Ranking, TargetId};
use crate::snapshot::Market;
use std::sync::Arc;

/// An eligible target on its way into the ranking, in target-id order.
#[derive(Clone, Debug)]
pub(super) struct Candidate {
    pub(super) index: u32,
    pub(super) bid: Money,
    pub(super) destination: Option<Arc<str>>,
}

/// Orders `candidates` by `strategy` into the decision's ranking.
///
/// Sorting is on one `u128` key per candidate, its lowest 32 bits the
/// candidate's position: positions follow target ids, so ties break by id,
/// and the sort moves 16-byte keys rather than whole candidates.
pub(super) fn rank(
    market: &Market,
    strategy: Ranking,
    mut candidates: Vec<Candidate>,
    seed: u64,
    turn: u64,
) -> Vec<Ranked> {
    let n = candidates.len();
    let order: Vec<usize> = match strategy {
        Ranking::HighestBid | Ranking::PriorityWeighted => {
            let mut keys: Vec<u128> = candidates
                .iter()
                .enumerate()
                .map(|(pos, c)| {
                    let hot = market.hot_at(c.index);
                    let major = match strategy {
                        // Bids are never negative: the complement sorts the highest first.
                        Ranking::HighestBid => {
                            (u128::from(!(c.bid.minor().max(0) as u64)) << 64)
                                | (u128::from(hot.priority) << 32)
                        }
                        _ => {
                            let id = market.target_at(c.index).target.id;
                            (u128::from(hot.priority) << 96)
                                | (u128::from(weighted_key(seed, id, hot.weight)) << 32)
                        }
                    };
                    major | pos as u128
                })
                .collect();
            keys.sort_unstable();
            keys.iter().map(|k| (*k as u32) as usize).collect()
        }
        Ranking::RoundRobin => {
            let start = if n == 0 {
                0
            } else {
                (turn % n as u64) as usize
            };
            (0..n).map(|i| (start + i) % n).collect()
        }
    };
    order
        .into_iter()
        .map(|pos| {
            let c = &mut candidates[pos];
            let t = &market.target_at(c.index).target;
            Ranked {
                target: t.id,
                buyer: t.buyer,
                bid: c.bid,
                destination: c.destination.take(),
            }
        })
        .collect()
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
