//! The port pool never leaks: after many sessions come and go in any
//! order, every pair is back, and a released pair is reused last.

use dce_media::PortPool;

#[test]
fn all_ports_return_after_sessions_end() {
    let mut pool = PortPool::new(30_000..=30_099);
    assert_eq!(pool.capacity(), 50);
    let mut live = Vec::new();
    for round in 0..1_000u32 {
        // Open a session (two legs) when possible, close an old one
        // every third round, in a scrambled order.
        if let (Some(a), Some(b)) = (pool.allocate(false), pool.allocate(round % 2 == 0)) {
            live.push((a, b));
        }
        if round % 3 == 0 && !live.is_empty() {
            let (a, b) = live.swap_remove((round as usize * 7) % live.len());
            pool.free(a);
            pool.free(b);
        }
        assert_eq!(pool.available() + live.len() * 2, 50);
    }
    for (a, b) in live.drain(..) {
        pool.free(b);
        pool.free(a);
    }
    assert_eq!(pool.available(), 50);
}

#[test]
fn exhausted_pool_recovers_and_reuses_oldest_first() {
    let mut pool = PortPool::new(30_000..=30_005);
    let a = pool.allocate(false);
    let b = pool.allocate(false);
    let c = pool.allocate(false);
    assert!(a.is_some() && b.is_some() && c.is_some());
    assert_eq!(pool.allocate(false), None);
    for p in [b, a].into_iter().flatten() {
        pool.free(p);
    }
    // b was freed first, so it comes back first.
    assert_eq!(pool.allocate(false), b);
    assert_eq!(pool.allocate(false), a);
}
