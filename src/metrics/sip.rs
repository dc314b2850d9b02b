//! SIP messages counted by method and status code, in and out.

use super::LabeledCounters;
use dce_sip::{Message, Method};

/// The methods counted by name; any other (extension) method counts as
/// `other`, so a peer cannot grow the label set.
const METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "UPDATE",
    "INFO",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "PUBLISH",
];
const OTHER: usize = METHODS.len();
/// Status codes are `100..=699` (RFC 3261 §7.2).
const CODES: usize = 600;

fn method_index(m: &Method) -> usize {
    let name = m.as_str();
    METHODS.iter().position(|&k| k == name).unwrap_or(OTHER)
}

fn method_label(i: usize) -> &'static str {
    METHODS.get(i).copied().unwrap_or("other")
}

/// One direction's counters.
#[derive(Clone, Debug)]
pub struct Direction {
    /// Requests by method.
    pub requests: LabeledCounters<&'static str>,
    /// Responses by status code.
    pub responses: LabeledCounters<u16>,
}

impl Direction {
    fn new() -> Direction {
        Direction {
            requests: LabeledCounters::new("method", OTHER + 1),
            responses: LabeledCounters::new("code", CODES),
        }
    }

    /// Counts one message.
    pub fn count(&self, message: &Message) {
        match message {
            Message::Request(r) => {
                let i = method_index(r.method());
                self.requests.inc(i, || method_label(i));
            }
            Message::Response(r) => {
                let code = r.status().as_u16();
                self.responses
                    .inc(usize::from(code.saturating_sub(100)), || code);
            }
        }
    }
}

/// SIP messages in and out of the switch (retransmissions included: they
/// are what the network carries).
#[derive(Clone, Debug)]
pub struct SipCounters {
    /// Received from peers.
    pub received: Direction,
    /// Handed to the transports.
    pub sent: Direction,
}

impl Default for SipCounters {
    fn default() -> Self {
        SipCounters {
            received: Direction::new(),
            sent: Direction::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Message {
        Message::parse(text.replace('\n', "\r\n").as_bytes()).unwrap()
    }

    const HEADERS: &str = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@h>;tag=1\n\
                           To: <sip:b@h>\nCall-ID: c\nContent-Length: 0\n";

    #[test]
    fn requests_by_method_responses_by_code_extensions_as_other() {
        let s = SipCounters::default();
        for m in ["INVITE", "INVITE", "BYE", "FOO"] {
            s.received.count(&parse(&format!(
                "{m} sip:b@h SIP/2.0\n{HEADERS}CSeq: 1 {m}\n\n"
            )));
        }
        s.sent.count(&parse(&format!(
            "SIP/2.0 486 Busy Here\n{HEADERS}CSeq: 1 INVITE\n\n"
        )));
        assert_eq!(s.received.requests.get("INVITE"), 2);
        assert_eq!(s.received.requests.get("BYE"), 1);
        assert_eq!(s.received.requests.get("other"), 1);
        assert_eq!(s.sent.responses.get(486), 1);
        assert_eq!(s.received.responses.get(486), 0);
    }

    #[test]
    fn every_named_method_has_its_own_index() {
        for (i, name) in METHODS.iter().enumerate() {
            assert_eq!(method_index(&Method::parse(name).unwrap()), i);
            assert_eq!(method_label(i), *name);
        }
        assert_eq!(method_label(OTHER), "other");
    }
}
