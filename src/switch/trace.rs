//! SIP traces for the NOC: every message in and out of a call, kept in a
//! bounded store (the most recent calls, each up to a message limit).

use super::call::{CallId, EndCause};
use dce_sip::{Message, Peer};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::VecDeque;
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

/// One message of a trace.
#[derive(Clone, Debug, Serialize)]
pub struct TraceEntry {
    /// Wall-clock time, Unix microseconds.
    pub at_us: u64,
    /// In or out.
    pub direction: Direction,
    /// `UDP`, `TCP`, `TLS`, …
    pub transport: &'static str,
    /// The other end.
    pub peer: String,
    /// The request or status line.
    pub first_line: String,
    /// The whole message.
    pub message: String,
}

/// A call's trace.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Trace {
    /// Messages in order.
    pub entries: Vec<TraceEntry>,
    /// Messages not kept because the trace was full.
    pub dropped: u32,
    /// Why the call ended, once it has.
    pub end: Option<EndCause>,
}

/// Traces of the most recent calls.
#[derive(Debug)]
pub struct Traces {
    calls: FxHashMap<CallId, Trace>,
    order: VecDeque<CallId>,
    max_calls: usize,
    max_messages: usize,
}

impl Traces {
    /// Keeps up to `max_calls` calls of up to `max_messages` messages each.
    pub fn new(max_calls: usize, max_messages: usize) -> Traces {
        Traces {
            calls: FxHashMap::default(),
            order: VecDeque::new(),
            max_calls,
            max_messages,
        }
    }

    fn entry(&mut self, call: CallId) -> &mut Trace {
        if !self.calls.contains_key(&call) {
            if self.order.len() == self.max_calls {
                if let Some(oldest) = self.order.pop_front() {
                    self.calls.remove(&oldest);
                }
            }
            self.order.push_back(call);
        }
        self.calls.entry(call).or_default()
    }

    /// Records one message.
    pub fn record(&mut self, call: CallId, direction: Direction, peer: Peer, message: &Message) {
        let max = self.max_messages;
        let trace = self.entry(call);
        if trace.entries.len() >= max {
            trace.dropped += 1;
            return;
        }
        let bytes = message.to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first_line = text.lines().next().unwrap_or("").to_string();
        let at_us = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        trace.entries.push(TraceEntry {
            at_us,
            direction,
            transport: peer.protocol.via_token(),
            peer: peer.addr.to_string(),
            first_line,
            message: text,
        });
    }

    /// Marks a call's end.
    pub fn finish(&mut self, call: CallId, cause: EndCause) {
        self.entry(call).end = Some(cause);
    }

    /// A call's trace, if still kept.
    #[cfg(test)]
    pub fn get(&self, call: CallId) -> Option<&Trace> {
        self.calls.get(&call)
    }
}
