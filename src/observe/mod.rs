//! What the NOC and the API see of the running switch: SIP traces (as a
//! ladder or a pcap file) and the live call events.
//!
//! - `ladder`: a call's [`Trace`] as JSON.
//! - `pcap`: a call's [`Trace`] as a pcap file.
//! - `events`: the [`EventBus`] the switch publishes to, and who sees what
//!   ([`Scope`]).
//! - `ws`: the live events WebSocket, [`serve_socket`].
//!
//! The switch writes traces into a shared [`TraceStore`] and publishes
//! events on the bus; `app::start_switch` hands both to the HTTP layer as
//! [`Observers`] (also an `axum::Extension` on the HTTP router). There:
//!
//! ```text
//! GET /api/v1/calls/{id}/trace   observers.traces.by_cdr(id) -> Json(Ladder::from(&trace))
//!     … as pcap                  to_pcap(&trace), `application/vnd.tcpdump.pcap`
//! GET /api/v1/events (WS)        ws.on_upgrade(move |s| serve_socket(s, observers.events, scope))
//! ```
//!
//! A trace carries no tenant: the API checks the call's CDR (or serves
//! traces to admins only) before handing one out; both legs are in it.

// The HTTP layer (src/api) uses this surface; until its routes are wired,
// parts of it are used by tests only.
#![allow(dead_code)]

mod events;
mod ladder;
mod pcap;
mod ws;

#[cfg(test)]
mod real_call;

#[allow(unused_imports)]
pub use crate::switch::{Trace, TraceStore};
#[allow(unused_imports)]
pub use events::{Details, EventBus, EventKind, LiveEvent, RankedTarget, Scope};
#[allow(unused_imports)]
pub use ladder::{Ladder, Rung};
#[allow(unused_imports)]
pub use pcap::{to_pcap, write_pcap};
#[allow(unused_imports)]
pub use ws::{serve_socket, SEND_DEADLINE};

/// What the HTTP layer reads of the running switch: the traces of recent
/// calls and the live events.
#[derive(Clone, Debug)]
pub struct Observers {
    /// SIP traces, by CDR id ([`TraceStore::by_cdr`]).
    pub traces: std::sync::Arc<TraceStore>,
    /// Live events ([`EventBus::subscribe`], or [`serve_socket`]).
    pub events: EventBus,
}

impl Observers {
    /// Traces of up to `trace_calls` calls of `trace_messages` messages,
    /// and a bus of the default capacity.
    pub fn new(trace_calls: usize, trace_messages: usize) -> Observers {
        Observers {
            traces: std::sync::Arc::new(TraceStore::new(trace_calls, trace_messages)),
            events: EventBus::default(),
        }
    }
}
