//! Per-caller rate limiting: a token bucket for each user, API key or
//! login email, in this process (each node limits on its own).

use rustc_hash::FxHashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whose bucket a request takes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A user with an access token.
    User(i64),
    /// A machine client.
    Key(i64),
    /// An account acting without user or key (not issued today).
    Account(i64),
    /// Login attempts for one email: slows password guessing.
    Login(String),
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets refilled at `rate` per second up to `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    // A plain mutex: held for a map lookup and a few float operations,
    // never across an `.await`.
    buckets: Mutex<FxHashMap<Principal, Bucket>>,
}

/// Past this many buckets, full ones (idle callers) are dropped.
const PRUNE_AT: usize = 10_000;

impl RateLimiter {
    /// `rate` requests per second with `burst` at once; `rate` 0: unlimited.
    pub fn new(rate: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes one request from `who`'s bucket at `now`; `Err` holds how long
    /// until one is available.
    pub fn check(&self, who: Principal, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let b = buckets.entry(who).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let l = RateLimiter::new(2, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(Principal::User(1), t0).is_ok());
        }
        let wait = l.check(Principal::User(1), t0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        assert!(
            l.check(Principal::Key(1), t0).is_ok(),
            "buckets are per caller"
        );
        assert!(l
            .check(Principal::User(1), t0 + Duration::from_millis(500))
            .is_ok());
        assert!(RateLimiter::new(0, 0).check(Principal::User(1), t0).is_ok());
    }
}
