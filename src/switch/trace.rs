//! SIP traces for the NOC: every message in and out of a call, kept in a
//! bounded store (the most recent calls, each up to a message limit) that
//! the switch writes and the HTTP API reads while calls go on.
//!
//! Why a shared store behind a short-held lock, and not a query channel
//! into the switch task: the switch is the only writer and readers are
//! rare (someone opening one call's trace). The switch prints the message
//! before it locks, and holds the lock only to push the entry: uncontended,
//! that is a few tens of nanoseconds next to the microseconds the printing
//! itself costs. A reader holds it to clone one call (at most
//! `trace_messages` entries). A query channel would put trace reads in the
//! switch's queue, behind the calls, so under load (when the NOC reads
//! traces) they would wait, and would add a branch to the call loop.

use super::call::{CallId, EndCause};
use dce_marketplace::billing::CdrId;
use dce_sip::{Message, Peer, Protocol};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received by DCE.
    In,
    /// Sent by DCE.
    Out,
}

/// One message of a trace, as it went on the wire.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    /// Wall-clock time, Unix microseconds.
    pub at_us: u64,
    /// In or out.
    pub direction: Direction,
    /// The transport it went over.
    pub protocol: Protocol,
    /// DCE's address on that transport (as bound: may be unspecified).
    pub local: SocketAddr,
    /// The other end.
    pub remote: SocketAddr,
    /// The whole message, as printed.
    pub message: Vec<u8>,
}

impl TraceEntry {
    /// The request or status line.
    pub fn first_line(&self) -> String {
        let end = self
            .message
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(self.message.len());
        String::from_utf8_lossy(&self.message[..end]).into_owned()
    }
}

/// A call's trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The call's CDR id, the id the API and the live events know it by.
    pub cdr_id: Option<CdrId>,
    /// Messages in order.
    pub entries: Vec<TraceEntry>,
    /// Messages not kept because the trace was full.
    pub dropped: u32,
    /// Why the call ended, once it has.
    pub end: Option<EndCause>,
}

/// Traces of the most recent calls, shared between the switch (writing)
/// and the API (reading).
pub struct TraceStore {
    inner: Mutex<Traces>,
}

impl std::fmt::Debug for TraceStore {
    /// The limits and the count, not the messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.lock();
        f.debug_struct("TraceStore")
            .field("calls", &t.calls.len())
            .field("max_calls", &t.max_calls)
            .field("max_messages", &t.max_messages)
            .finish()
    }
}

struct Traces {
    calls: FxHashMap<CallId, Trace>,
    by_cdr: FxHashMap<String, CallId>,
    order: VecDeque<CallId>,
    max_calls: usize,
    max_messages: usize,
}

impl Traces {
    fn entry(&mut self, call: CallId) -> &mut Trace {
        if !self.calls.contains_key(&call) {
            if self.order.len() >= self.max_calls {
                if let Some(oldest) = self.order.pop_front() {
                    if let Some(cdr) = self.calls.remove(&oldest).and_then(|t| t.cdr_id) {
                        self.by_cdr.remove(cdr.as_str());
                    }
                }
            }
            self.order.push_back(call);
        }
        self.calls.entry(call).or_default()
    }
}

impl TraceStore {
    /// Keeps up to `max_calls` calls of up to `max_messages` messages each
    /// (at least one of each).
    pub fn new(max_calls: usize, max_messages: usize) -> TraceStore {
        TraceStore {
            inner: Mutex::new(Traces {
                calls: FxHashMap::default(),
                by_cdr: FxHashMap::default(),
                order: VecDeque::new(),
                max_calls: max_calls.max(1),
                max_messages: max_messages.max(1),
            }),
        }
    }

    /// Never held across `.await`; a panic while holding it leaves the
    /// traces usable (each write is one push), so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Traces> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a call's trace under its CDR id.
    pub fn start(&self, call: CallId, cdr_id: Option<CdrId>) {
        let mut traces = self.lock();
        if let Some(id) = &cdr_id {
            traces.by_cdr.insert(id.as_str().to_string(), call);
        }
        traces.entry(call).cdr_id = cdr_id;
    }

    /// Records one message, sent or received on `local`.
    pub fn record(
        &self,
        call: CallId,
        direction: Direction,
        local: SocketAddr,
        peer: Peer,
        message: &Message,
    ) {
        // Printed before locking: the lock covers the push only.
        let entry = TraceEntry {
            at_us: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64),
            direction,
            protocol: peer.protocol,
            local,
            remote: peer.addr,
            message: message.to_bytes(),
        };
        let mut traces = self.lock();
        let max = traces.max_messages;
        let trace = traces.entry(call);
        if trace.entries.len() >= max {
            trace.dropped += 1;
        } else {
            trace.entries.push(entry);
        }
    }

    /// Marks a call's end.
    pub fn finish(&self, call: CallId, cause: EndCause) {
        self.lock().entry(call).end = Some(cause);
    }

    /// A call's trace by the switch's call number, if still kept.
    #[cfg(test)]
    pub fn get(&self, call: CallId) -> Option<Trace> {
        self.lock().calls.get(&call).cloned()
    }

    /// A call's trace by its CDR id, if still kept.
    pub fn by_cdr(&self, cdr_id: &str) -> Option<Trace> {
        let traces = self.lock();
        let call = traces.by_cdr.get(cdr_id)?;
        traces.calls.get(call).cloned()
    }
}

impl Default for TraceStore {
    /// The limits `[sip] trace_calls` and `trace_messages` default to.
    fn default() -> TraceStore {
        TraceStore::new(10_000, 256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(n: u32) -> Message {
        Message::parse(
            format!(
                "OPTIONS sip:dce@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK{n}\r\n\
                 From: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:dce@127.0.0.1>\r\nCall-ID: c{n}\r\n\
                 CSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap()
    }

    fn peer() -> Peer {
        Peer {
            protocol: Protocol::Udp,
            addr: "127.0.0.1:5062".parse().unwrap(),
        }
    }

    const LOCAL: &str = "127.0.0.1:5060";

    #[test]
    fn calls_and_messages_are_bounded_and_found_by_cdr_id() {
        let store = TraceStore::new(2, 3);
        for call in 1..=3u64 {
            store.start(call, CdrId::new(format!("cdr-{call}")).ok());
            for n in 0..5 {
                store.record(
                    call,
                    Direction::In,
                    LOCAL.parse().unwrap(),
                    peer(),
                    &options(n),
                );
            }
        }
        assert!(store.get(1).is_none(), "the oldest call was evicted");
        assert!(store.get(2).is_some());
        assert!(store.by_cdr("cdr-1").is_none(), "its CDR id too");
        let t = store.by_cdr("cdr-3").expect("kept");
        assert_eq!(t.entries.len(), 3);
        assert_eq!(t.dropped, 2);
        assert_eq!(
            t.entries[0].first_line(),
            "OPTIONS sip:dce@127.0.0.1 SIP/2.0"
        );
        assert_eq!(t.entries[0].local, LOCAL.parse().unwrap());
        assert_eq!(t.entries[0].remote, peer().addr);
        store.finish(3, EndCause::CallerBye);
        assert_eq!(store.get(3).unwrap().end, Some(EndCause::CallerBye));
    }
}
