//! The three ranking strategies.

use crate::support::*;
use dce_marketplace::decide;
use dce_marketplace::domain::*;
use std::collections::HashMap;

fn order(m: &TestMarket, seed: u64) -> Vec<i64> {
    let mut f = facts(NY_CALLER);
    f.seed = seed;
    decide(&m.build(), &f, monday_noon_ny())
        .ranked
        .iter()
        .map(|r| r.target.0)
        .collect()
}

#[test]
fn highest_bid_first_ties_by_priority_then_id() {
    let mut a = target(10, 1, 1, 1000);
    a.priority = 2;
    let b = target(11, 1, 1, 1500);
    let c = target(12, 2, 1, 1000);
    let d = target(13, 2, 1, 1000);
    let m = TestMarket::new()
        .with_target(a)
        .with_target(b)
        .with_target(c)
        .with_target(d);
    assert_eq!(order(&m, 0), vec![11, 12, 13, 10]);
}

#[test]
fn priority_then_weighted_random() {
    let mut m = TestMarket::new();
    m.campaign().ranking = Ranking::PriorityWeighted;
    let mut heavy = target(10, 1, 1, 100);
    heavy.weight = 300;
    let mut light = target(11, 1, 1, 9_000);
    light.weight = 100;
    let mut backup = target(12, 2, 1, 50_000);
    backup.priority = 2;
    let m = m.with_target(heavy).with_target(light).with_target(backup);

    let mut firsts: HashMap<i64, u32> = HashMap::new();
    for seed in 0..4000 {
        let o = order(&m, seed);
        assert_eq!(o.len(), 3);
        assert_eq!(
            o[2], 12,
            "a lower priority always comes after, whatever its bid"
        );
        *firsts.entry(o[0]).or_default() += 1;
    }
    // Weight 300 vs 100: first about 75% of the time.
    let share = f64::from(firsts[&10]) / 4000.0;
    assert!((0.72..0.78).contains(&share), "heavy first {share}");
    assert_eq!(
        order(&m, 42),
        order(&m, 42),
        "the same seed, the same order"
    );
}

#[test]
fn round_robin_rotates_per_call() {
    let mut m = TestMarket::new();
    m.campaign().ranking = Ranking::RoundRobin;
    let m = m
        .with_target(target(10, 1, 1, 100))
        .with_target(target(11, 1, 1, 200))
        .with_target(target(12, 2, 1, 300));
    let market = m.build();
    let firsts: Vec<i64> = (0..5)
        .map(|_| {
            decide(&market, &facts(NY_CALLER), monday_noon_ny()).ranked[0]
                .target
                .0
        })
        .collect();
    assert_eq!(firsts, vec![10, 11, 12, 10, 11]);
    let rebuilt = m.build();
    let next = decide(&rebuilt, &facts(NY_CALLER), monday_noon_ny()).ranked;
    assert_eq!(
        next.iter().map(|r| r.target.0).collect::<Vec<_>>(),
        vec![12, 10, 11],
        "the turn survives a snapshot swap"
    );
}
