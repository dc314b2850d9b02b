//! Simulated time and message builders shared by the `transaction_*`
//! scenarios. Each scenario reads as a ladder: who sends what, at which
//! millisecond, and what the layer transmits and tells the TU.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dce_sip::{Config, Event, Message, Peer, Protocol, Request, Response, Transactions};

/// The peer across (a carrier or a buyer).
pub fn udp(addr: &str) -> Peer {
    peer(Protocol::Udp, addr)
}

/// The same, over TCP.
pub fn tcp(addr: &str) -> Peer {
    peer(Protocol::Tcp, addr)
}

fn peer(protocol: Protocol, addr: &str) -> Peer {
    let addr: SocketAddr = addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"));
    Peer { protocol, addr }
}

/// Parses a message written with `\n` line ends.
pub fn msg(text: &str) -> Message {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    Message::parse(wire.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

/// Parses a request.
pub fn req(text: &str) -> Request {
    match msg(text) {
        Message::Request(r) => r,
        Message::Response(r) => panic!("not a request: {r:?}"),
    }
}

/// A request as a caller (UA at 192.0.2.10:5060) would send it.
pub fn request(method: &str, branch: &str) -> Request {
    request_via(
        method,
        &format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}"),
    )
}

/// A request with the given top Via value.
pub fn request_via(method: &str, via: &str) -> Request {
    req(&format!(
        "{method} sip:+18005550199@dce.example.com SIP/2.0
Via: {via}
Max-Forwards: 70
Route: <sip:edge.example.com;lr>
From: <sip:+12025550100@carrier.example.com>;tag=c-1
To: <sip:+18005550199@dce.example.com>
Call-ID: call-1@carrier.example.com
CSeq: 1 {method}
Contact: <sip:192.0.2.10:5060>
Content-Length: 0

"
    ))
}

/// A response to `request` with `status`, To tag `totag` (none for 100).
pub fn response(request: &Request, status: u16, totag: Option<&str>) -> Response {
    let code = dce_sip::StatusCode::new(status).unwrap_or_else(|| panic!("{status}"));
    let mut r = Response::for_request(request, code, code.canonical_reason());
    if let Some(tag) = totag {
        r.set_to_tag(tag).unwrap_or_else(|e| panic!("{e}"));
    }
    r
}

/// One line per message: `INVITE`, `ACK`, `200 INVITE` (status and CSeq
/// method), so a ladder compares as strings.
pub fn line(message: &Message) -> String {
    match message {
        Message::Request(r) => r.method().to_string(),
        Message::Response(r) => {
            let m = r.headers().cseq().map(|c| c.method.to_string());
            format!("{} {}", r.status(), m.unwrap_or_default())
        }
    }
}

/// One word per event, with the status for responses.
pub fn kind(event: &Event) -> String {
    match event {
        Event::Request { request, .. } => format!("Request {}", request.method()),
        Event::Ack { .. } => "Ack".into(),
        Event::Cancelled { .. } => "Cancelled".into(),
        Event::Response { response, .. } => format!("Response {}", response.status()),
        Event::Timeout { .. } => "Timeout".into(),
        Event::TransportError { .. } => "TransportError".into(),
        Event::AckTimeout { .. } => "AckTimeout".into(),
        Event::StrayResponse { response, .. } => format!("Stray {}", response.status()),
    }
}

/// The layer under test and a clock that starts at 0 ms.
pub struct Sim {
    /// The layer.
    pub tsx: Transactions,
    t0: Instant,
}

impl Sim {
    /// Default timers (T1 500 ms, T2 4 s, T4 5 s).
    pub fn new() -> Sim {
        Sim {
            tsx: Transactions::new(Config::default()),
            t0: Instant::now(),
        }
    }

    /// The instant `ms` milliseconds into the scenario.
    pub fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Milliseconds since the start.
    pub fn ms(&self, t: Instant) -> u64 {
        t.duration_since(self.t0).as_millis() as u64
    }

    /// `message` arrives from `peer` at `ms`.
    pub fn recv(&mut self, ms: u64, message: impl Into<Wire>, peer: Peer) {
        let now = self.at(ms);
        self.tsx.handle_message(now, message.into().0, peer);
    }

    /// Everything transmitted since the last call.
    pub fn sent(&mut self) -> Vec<Message> {
        std::iter::from_fn(|| self.tsx.poll_transmit())
            .map(|t| t.message)
            .collect()
    }

    /// Everything transmitted since the last call, with its destination.
    pub fn sent_to(&mut self) -> Vec<(String, Peer)> {
        std::iter::from_fn(|| self.tsx.poll_transmit())
            .map(|t| (line(&t.message), t.peer))
            .collect()
    }

    /// [`line`] of everything transmitted since the last call.
    pub fn sent_lines(&mut self) -> Vec<String> {
        self.sent().iter().map(line).collect()
    }

    /// Every event since the last call.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.tsx.poll_event()).collect()
    }

    /// [`kind`] of every event since the last call.
    pub fn event_kinds(&mut self) -> Vec<String> {
        self.events().iter().map(kind).collect()
    }

    /// Runs every timer due up to `ms`, at the exact instants the layer
    /// asks for, and returns the ladder: `(ms, "INVITE")` for a transmit,
    /// `(ms, "event Timeout")` for an event.
    pub fn run_until(&mut self, ms: u64) -> Vec<(u64, String)> {
        let end = self.at(ms);
        let mut ladder = Vec::new();
        while let Some(t) = self.tsx.poll_timeout() {
            if t > end {
                break;
            }
            self.tsx.handle_timeout(t);
            let now = self.ms(t);
            for l in self.sent_lines() {
                ladder.push((now, l));
            }
            for k in self.event_kinds() {
                ladder.push((now, format!("event {k}")));
            }
        }
        ladder
    }

    /// Runs every timer; the layer must then hold no transaction.
    pub fn drain(&mut self) -> Vec<(u64, String)> {
        let ladder = self.run_until(24 * 3600 * 1000);
        assert_eq!(self.tsx.len(), 0, "transactions left: {ladder:?}");
        assert_eq!(self.tsx.poll_timeout(), None);
        ladder
    }
}

/// Anything that can arrive: a request, a response or a message.
pub struct Wire(pub Message);

impl From<Request> for Wire {
    fn from(r: Request) -> Wire {
        Wire(Message::Request(r))
    }
}

impl From<Response> for Wire {
    fn from(r: Response) -> Wire {
        Wire(Message::Response(r))
    }
}

impl From<Message> for Wire {
    fn from(m: Message) -> Wire {
        Wire(m)
    }
}

/// The ladder entries of `ladder` as `(ms, what)` string pairs.
pub fn ladder(entries: &[(u64, &str)]) -> Vec<(u64, String)> {
    entries.iter().map(|(t, s)| (*t, (*s).to_owned())).collect()
}

/// DCE's side of a buyer leg: where its requests go.
pub fn buyer() -> Peer {
    udp("198.51.100.20:5060")
}

/// The carrier sending calls in.
pub fn carrier() -> Peer {
    udp("192.0.2.10:5060")
}

/// A request DCE sends to a buyer, with a fresh RFC 3261 branch.
pub fn outgoing(method: &str) -> Request {
    let via = format!(
        "SIP/2.0/UDP 203.0.113.1:5060;branch={}",
        dce_sip::new_branch()
    );
    request_via(method, &via)
}

/// The same over TCP.
pub fn outgoing_tcp(method: &str) -> Request {
    let via = format!(
        "SIP/2.0/TCP 203.0.113.1:5060;branch={}",
        dce_sip::new_branch()
    );
    request_via(method, &via)
}
