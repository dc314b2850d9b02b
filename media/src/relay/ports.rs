//! The relay's UDP port range, handed out in RTP/RTCP pairs.
//!
//! RFC 3550 §11: RTP on an even port, RTCP on the next odd one. The pool
//! always reserves the pair, even for a muxed leg (RFC 5761), so the range
//! never fragments and allocation stays O(1).

use std::collections::VecDeque;
use std::ops::RangeInclusive;

/// The local ports of one leg of a relay session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LegPorts {
    /// Even RTP port.
    pub rtp: u16,
    /// RTCP port (`rtp + 1`), or `None` when the leg muxes RTCP on the RTP
    /// port (RFC 5761) and no RTCP socket is opened.
    pub rtcp: Option<u16>,
}

/// A pool of even/odd port pairs over a configured range.
///
/// Freed pairs go to the back of the queue: a port is reused as late as
/// possible, so stray packets of a finished call rarely reach the next.
#[derive(Debug, Clone)]
pub struct PortPool {
    free: VecDeque<u16>,
    in_use: Vec<bool>,
    first: u16,
}

impl PortPool {
    /// A pool over `range`; an odd start is rounded up, an incomplete last
    /// pair is left out. An empty or inverted range makes an empty pool.
    pub fn new(range: RangeInclusive<u16>) -> Self {
        let first = range.start().saturating_add(range.start() % 2);
        let last = *range.end();
        let mut free = VecDeque::new();
        let mut port = first;
        // `port < last` leaves room for the RTCP port `port + 1`.
        while port < last {
            free.push_back(port);
            match port.checked_add(2) {
                Some(next) => port = next,
                None => break,
            }
        }
        let in_use = vec![false; free.len()];
        Self {
            free,
            in_use,
            first,
        }
    }

    /// Takes a pair; `None` when the pool is exhausted.
    pub fn allocate(&mut self, mux: bool) -> Option<LegPorts> {
        let rtp = self.free.pop_front()?;
        if let Some(slot) = self.slot(rtp) {
            self.in_use[slot] = true;
        }
        Some(LegPorts {
            rtp,
            rtcp: (!mux).then_some(rtp + 1),
        })
    }

    /// Returns a pair. Freeing a pair twice, or one never handed out, is
    /// ignored: the pool cannot be made to hand the same pair out twice.
    pub fn free(&mut self, ports: LegPorts) {
        let Some(slot) = self.slot(ports.rtp) else {
            return;
        };
        if std::mem::replace(&mut self.in_use[slot], false) {
            self.free.push_back(ports.rtp);
        }
    }

    /// Pairs available now.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Pairs in the pool.
    pub fn capacity(&self) -> usize {
        self.in_use.len()
    }

    fn slot(&self, rtp: u16) -> Option<usize> {
        let offset = rtp.checked_sub(self.first)?;
        let slot = usize::from(offset / 2);
        (offset % 2 == 0 && slot < self.in_use.len()).then_some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_even_and_double_free_is_ignored() {
        let mut pool = PortPool::new(30001..=30006);
        assert_eq!(pool.capacity(), 2);
        let a = pool.allocate(false);
        assert_eq!(
            a,
            Some(LegPorts {
                rtp: 30002,
                rtcp: Some(30003)
            })
        );
        let b = pool.allocate(true);
        assert_eq!(
            b,
            Some(LegPorts {
                rtp: 30004,
                rtcp: None
            })
        );
        assert_eq!(pool.allocate(false), None);
        let a = a.unwrap_or(LegPorts { rtp: 0, rtcp: None });
        pool.free(a);
        pool.free(a);
        assert_eq!(pool.available(), 1);
        pool.free(LegPorts { rtp: 1, rtcp: None });
        pool.free(LegPorts {
            rtp: 30003,
            rtcp: None,
        });
        assert_eq!(pool.available(), 1);
    }

    #[test]
    fn top_of_range_does_not_overflow() {
        let mut pool = PortPool::new(65534..=65535);
        assert_eq!(
            pool.allocate(false),
            Some(LegPorts {
                rtp: 65534,
                rtcp: Some(65535)
            })
        );
        assert_eq!(PortPool::new(65535..=65535).capacity(), 0);
        assert_eq!(PortPool::new(RangeInclusive::new(10, 5)).capacity(), 0);
    }
}
