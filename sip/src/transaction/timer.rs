//! The transaction timers of RFC 3261 §17 (Table 4) and RFC 6026, and
//! the three constants they derive from.

use std::time::Duration;

/// A transaction timer, named as in RFC 3261 Table 4 and RFC 6026 §8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// INVITE request retransmit (client, Calling): T1, doubling.
    A,
    /// INVITE transaction timeout (client, Calling): 64·T1.
    B,
    /// Wait for response retransmits (client INVITE, Completed): 32 s, 0 on reliable.
    D,
    /// Non-INVITE request retransmit (client): T1, doubling up to T2.
    E,
    /// Non-INVITE transaction timeout (client): 64·T1.
    F,
    /// INVITE response retransmit (server, Completed): T1, doubling up to T2.
    G,
    /// Wait for ACK receipt (server INVITE, Completed): 64·T1.
    H,
    /// Wait for ACK retransmits (server INVITE, Confirmed): T4, 0 on reliable.
    I,
    /// Wait for request retransmits (server non-INVITE, Completed): 64·T1, 0 on reliable.
    J,
    /// Wait for response retransmits (client non-INVITE, Completed): T4, 0 on reliable.
    K,
    /// Wait for ACK and INVITE retransmits after a 2xx (server INVITE, Accepted; RFC 6026): 64·T1.
    L,
    /// Wait for 2xx retransmits (client INVITE, Accepted; RFC 6026): 64·T1.
    M,
}

/// The base timer values (RFC 3261 §17.1.1.1, Table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// RTT estimate; 500 ms by default.
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE
    /// responses; 4 s by default.
    pub t2: Duration,
    /// Maximum time a message stays in the network; 5 s by default.
    pub t4: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl Config {
    /// The value a timer starts with, per Table 4: `None` when the timer is
    /// not used on that transport (A, E, G on reliable transports), zero
    /// for D, I, J, K on reliable ones (the machine then moves on at once).
    pub fn initial(&self, timer: Timer, reliable: bool) -> Option<Duration> {
        let t1x64 = self.t1.saturating_mul(64);
        let unreliable = |d: Duration| Some(if reliable { Duration::ZERO } else { d });
        match timer {
            Timer::A | Timer::E | Timer::G => (!reliable).then_some(self.t1),
            Timer::B | Timer::F | Timer::H | Timer::L | Timer::M => Some(t1x64),
            // "at least 32 seconds": the server retransmits its final for
            // 64·T1, so a larger T1 needs a longer D.
            Timer::D => unreliable(Duration::from_secs(32).max(t1x64)),
            Timer::I | Timer::K => unreliable(self.t4),
            Timer::J => unreliable(t1x64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_4() {
        let c = Config::default();
        let s = Duration::from_secs;
        assert_eq!(c.initial(Timer::A, false), Some(Duration::from_millis(500)));
        assert_eq!(c.initial(Timer::A, true), None);
        assert_eq!(c.initial(Timer::B, true), Some(s(32)));
        assert_eq!(c.initial(Timer::D, false), Some(s(32)));
        assert_eq!(c.initial(Timer::D, true), Some(Duration::ZERO));
        assert_eq!(c.initial(Timer::I, false), Some(s(5)));
        assert_eq!(c.initial(Timer::J, false), Some(s(32)));
        assert_eq!(c.initial(Timer::K, true), Some(Duration::ZERO));
        assert_eq!(c.initial(Timer::L, true), Some(s(32)));
    }
}
