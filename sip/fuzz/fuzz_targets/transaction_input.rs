//! Arbitrary traffic into the transaction layer: chunks of input become
//! messages from one of four peers, with clock steps between them; the
//! layer's events get answers (a final response, a CANCEL of a client
//! transaction) chosen by the input too. Nothing may panic, and every
//! transaction must end once its timers have run out.

#![no_main]

use dce_sip::{Event, Message, Peer, Protocol, Response, StatusCode, Transactions};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

const PEERS: [(&str, Protocol); 4] = [
    ("192.0.2.1:5060", Protocol::Udp),
    ("192.0.2.2:5060", Protocol::Udp),
    ("192.0.2.1:5061", Protocol::Tcp),
    ("[2001:db8::1]:5060", Protocol::Udp),
];

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let mut now = start;
    let mut tsx = Transactions::new(Default::default());
    let mut clients = Vec::new();
    for chunk in data.split(|b| *b == 0xff) {
        let [step, who, answer, rest @ ..] = chunk else { continue };
        now += Duration::from_millis(u64::from(*step) * 20);
        tsx.handle_timeout(now);
        let (addr, protocol) = PEERS[usize::from(*who) % PEERS.len()];
        let peer = Peer { protocol, addr: addr.parse().unwrap() };
        if let Ok(message) = Message::parse(rest) {
            match (&message, answer % 4) {
                // Sometimes the input is a request DCE sends, not receives.
                (Message::Request(r), 0) if r.method() != &dce_sip::Method::ACK => {
                    if let Ok(key) = tsx.try_send_request(now, r.clone(), peer) {
                        clients.push(key);
                    }
                }
                _ => tsx.handle_message(now, message, peer),
            }
        }
        while let Some(event) = tsx.poll_event() {
            match event {
                Event::Request { key, request, .. } => {
                    let code = [200u16, 180, 486, 487][usize::from(*answer) % 4];
                    let status = StatusCode::new(code).unwrap();
                    let mut r = Response::for_request(&request, status, status.canonical_reason());
                    let _ = r.set_to_tag("fuzz");
                    let _ = tsx.respond(now, &key, r);
                }
                Event::Response { key, .. } if answer % 3 == 0 => {
                    let _ = tsx.cancel(now, &key);
                }
                _ => {}
            }
        }
        while tsx.poll_transmit().is_some() {}
    }
    for key in &clients {
        let _ = tsx.cancel(now, key);
    }
    // Long after every timer: nothing may be left.
    for _ in 0..8 {
        now += Duration::from_secs(40);
        tsx.handle_timeout(now);
        while tsx.poll_event().is_some() {}
        while tsx.poll_transmit().is_some() {}
    }
    assert_eq!(tsx.len(), 0, "a transaction outlived its timers");
});
