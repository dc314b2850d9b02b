//! Open stream connections by peer, so a response to a request that came
//! in on a connection goes back on it (RFC 3261 §18.2.2), and the limit on
//! how many may be open.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::Sender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::connection::Out;
use super::stats::Counters;
use super::transports::Shared;
use crate::Peer;

/// The connection table.
///
/// One std mutex over a map: held only to look up, insert or remove, and
/// for a non-blocking `try_send` on the connection's queue; never across
/// an `.await`.
pub(super) struct Registry {
    map: Mutex<HashMap<Peer, Entry>>,
    permits: Arc<Semaphore>,
    next_id: AtomicU64,
}

struct Entry {
    id: u64,
    queue: Sender<Out>,
}

/// Why a message could not be queued on a connection.
pub(super) enum Queue {
    /// No connection to that peer; the message comes back.
    Absent(Out),
    /// Its queue is full.
    Full,
    /// It is closing.
    Closed,
}

impl Registry {
    pub(super) fn new(max_connections: usize) -> Registry {
        Registry {
            map: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(max_connections.min(Semaphore::MAX_PERMITS))),
            next_id: AtomicU64::new(0),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<Peer, Entry>> {
        // A panic elsewhere while holding the lock leaves the map intact
        // (every operation on it is a single insert or remove).
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A slot for one more connection, or `None` at `max_connections`.
    pub(super) fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// Queues `out` on the connection to `peer` without waiting.
    pub(super) fn try_send(&self, peer: &Peer, out: Out) -> Result<(), Queue> {
        let map = self.map();
        let Some(entry) = map.get(peer) else {
            return Err(Queue::Absent(out));
        };
        entry.queue.try_send(out).map_err(|e| match e {
            TrySendError::Full(_) => Queue::Full,
            TrySendError::Closed(_) => Queue::Closed,
        })
    }

    /// Records a connection; it stays listed until the returned guard is
    /// dropped. With `replace` false and one already listed for `peer`,
    /// returns `None` (two sends raced to open the same connection).
    pub(super) fn insert(
        shared: &Arc<Shared>,
        peer: Peer,
        queue: Sender<Out>,
        permit: OwnedSemaphorePermit,
        replace: bool,
    ) -> Option<Registered> {
        let registry = &shared.registry;
        let id = registry.next_id.fetch_add(1, Ordering::Relaxed);
        let mut map = registry.map();
        if !replace && map.contains_key(&peer) {
            return None;
        }
        map.insert(peer, Entry { id, queue });
        drop(map);
        Counters::bump(&shared.counters.connections_open);
        Some(Registered {
            shared: shared.clone(),
            peer,
            id,
            _permit: permit,
        })
    }

    fn remove(&self, peer: &Peer, id: u64) {
        let mut map = self.map();
        // A newer connection from the same address may have taken the slot.
        if map.get(peer).is_some_and(|e| e.id == id) {
            map.remove(peer);
        }
    }
}

/// A listed connection: unlisted, counted closed and its slot freed when
/// dropped, however its task ends.
pub(super) struct Registered {
    shared: Arc<Shared>,
    peer: Peer,
    id: u64,
    _permit: OwnedSemaphorePermit,
}

impl Registered {
    pub(super) fn peer(&self) -> Peer {
        self.peer
    }

    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.registry.remove(&self.peer, self.id);
        Counters::drop_one(&self.shared.counters.connections_open);
    }
}
