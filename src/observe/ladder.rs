//! A call's SIP trace as a ladder: the JSON the NOC reads in
//! `/api/v1/calls/{id}/trace`.

use crate::switch::{Direction, EndCause, Trace, TraceEntry};
use serde::Serialize;
use std::net::SocketAddr;

/// A call's messages in order.
#[derive(Clone, Debug, Serialize)]
pub struct Ladder {
    /// The call's CDR id.
    pub call_id: Option<String>,
    /// Why the call ended, once it has.
    pub end: Option<EndCause>,
    /// Messages not kept because the trace was full (`[sip] trace_messages`).
    pub dropped: u32,
    /// The messages.
    pub messages: Vec<Rung>,
}

/// One message of the ladder.
#[derive(Clone, Debug, Serialize)]
pub struct Rung {
    /// When, RFC 3339 UTC with microseconds.
    pub time: String,
    /// When, Unix microseconds.
    pub at_us: u64,
    /// `in` (received by DCE) or `out` (sent by DCE).
    pub direction: Direction,
    /// `UDP`, `TCP`, `TLS`, `WS`, `WSS`.
    pub transport: &'static str,
    /// DCE's address.
    pub local: SocketAddr,
    /// The other end's address.
    pub remote: SocketAddr,
    /// Where it came from: `remote` for `in`, `local` for `out`.
    pub from: SocketAddr,
    /// Where it went.
    pub to: SocketAddr,
    /// The request or status line.
    pub first_line: String,
    /// The whole message (invalid UTF-8 replaced).
    pub message: String,
}

impl From<&TraceEntry> for Rung {
    fn from(e: &TraceEntry) -> Rung {
        let (from, to) = match e.direction {
            Direction::In => (e.remote, e.local),
            Direction::Out => (e.local, e.remote),
        };
        let time = chrono::DateTime::from_timestamp_micros(e.at_us as i64)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default();
        Rung {
            time,
            at_us: e.at_us,
            direction: e.direction,
            transport: e.protocol.via_token(),
            local: e.local,
            remote: e.remote,
            from,
            to,
            first_line: e.first_line(),
            message: String::from_utf8_lossy(&e.message).into_owned(),
        }
    }
}

impl From<&Trace> for Ladder {
    fn from(t: &Trace) -> Ladder {
        Ladder {
            call_id: t.cdr_id.as_ref().map(|id| id.as_str().to_string()),
            end: t.end,
            dropped: t.dropped,
            messages: t.entries.iter().map(Rung::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dce_marketplace::billing::CdrId;
    use dce_sip::Protocol;

    #[test]
    fn a_rung_says_who_sent_what_to_whom_and_when() {
        let trace = Trace {
            cdr_id: CdrId::new("abc-00000001").ok(),
            entries: vec![TraceEntry {
                at_us: 1_795_000_000_123_456,
                direction: Direction::Out,
                protocol: Protocol::Tcp,
                local: "192.0.2.1:5060".parse().unwrap(),
                remote: "198.51.100.7:40000".parse().unwrap(),
                message: b"SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n".to_vec(),
            }],
            dropped: 0,
            end: Some(EndCause::CallerCancel),
        };
        let v = serde_json::to_value(Ladder::from(&trace)).unwrap();
        assert_eq!(v["call_id"], "abc-00000001");
        assert_eq!(v["end"], "caller_cancel");
        let m = &v["messages"][0];
        assert_eq!(m["time"], "2026-11-18T11:06:40.123456Z");
        assert_eq!(m["direction"], "out");
        assert_eq!(m["transport"], "TCP");
        assert_eq!(m["from"], "192.0.2.1:5060");
        assert_eq!(m["to"], "198.51.100.7:40000");
        assert_eq!(m["first_line"], "SIP/2.0 180 Ringing");
        assert!(m["message"]
            .as_str()
            .unwrap()
            .ends_with("Content-Length: 0\r\n\r\n"));
    }
}
