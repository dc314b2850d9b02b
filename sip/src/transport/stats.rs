//! Counters kept by the socket tasks, read without locks.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the transport counters, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Datagrams and stream frames read (keep-alives aside).
    pub received: u64,
    /// Of those, how many did not parse (answered or dropped).
    pub malformed: u64,
    /// UDP datagrams shed because the inbound queue was full.
    pub dropped_queue_full: u64,
    /// UDP datagrams over `max_message`, dropped.
    pub dropped_too_large: u64,
    /// Messages handed to the kernel.
    pub sent: u64,
    /// Messages refused by `send` or lost afterwards (write or connect
    /// failure).
    pub send_errors: u64,
    /// Stream connections open now, or being opened by us.
    pub connections_open: u64,
    /// Stream connections refused at `max_connections`.
    pub connections_refused: u64,
}

/// The live counters behind [`TransportStats`].
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) received: AtomicU64,
    pub(super) malformed: AtomicU64,
    pub(super) dropped_queue_full: AtomicU64,
    pub(super) dropped_too_large: AtomicU64,
    pub(super) sent: AtomicU64,
    pub(super) send_errors: AtomicU64,
    pub(super) connections_open: AtomicU64,
    pub(super) connections_refused: AtomicU64,
}

impl Counters {
    /// Adds one. Relaxed: counters order nothing else.
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes one away.
    pub(super) fn drop_one(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> TransportStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TransportStats {
            received: get(&self.received),
            malformed: get(&self.malformed),
            dropped_queue_full: get(&self.dropped_queue_full),
            dropped_too_large: get(&self.dropped_too_large),
            sent: get(&self.sent),
            send_errors: get(&self.send_errors),
            connections_open: get(&self.connections_open),
            connections_refused: get(&self.connections_refused),
        }
    }
}
