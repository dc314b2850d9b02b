//! No message panics the layer: every RFC 4475 / RFC 5118 torture message
//! that parses, and messages built bare (no Via, no CSeq), go through
//! `handle_message` over UDP and TCP, the TU answers what reaches it, and
//! every transaction still ends.

use dce_sip::{Event, Message, Method, Request, Response, StatusCode};

use crate::corpus;
use crate::transaction_common::*;

fn feed(sim: &mut Sim, message: Message, t: u64) {
    for peer in [udp("192.0.2.99:5060"), tcp("192.0.2.99:40000")] {
        sim.recv(t, message.clone(), peer);
        for event in sim.events() {
            if let Event::Request { key, request, .. } = event {
                let ok = Response::for_request(&request, StatusCode::OK, "OK");
                let _ = sim.tsx.respond(sim.at(t), &key, ok);
                let late = Response::for_request(&request, StatusCode::BUSY_HERE, "Busy");
                let _ = sim.tsx.respond(sim.at(t), &key, late);
            }
        }
        sim.sent();
    }
}

#[test]
fn torture_messages_and_bare_ones() {
    let mut sim = Sim::new();
    let mut t = 0;
    if let Some(cases) = corpus::load() {
        for case in cases {
            if let Ok(message) = Message::parse(&case.bytes) {
                // Twice: the second is a retransmission.
                feed(&mut sim, message.clone(), t);
                feed(&mut sim, message, t + 1);
                t += 2;
            }
        }
    }
    for method in [Method::INVITE, Method::ACK, Method::CANCEL, Method::BYE] {
        if let Ok(bare) = Request::new(method, "sip:x@example.com") {
            feed(&mut sim, Message::Request(bare), t);
        }
    }
    feed(
        &mut sim,
        Message::Response(Response::new(StatusCode::OK)),
        t,
    );
    sim.events();
    sim.drain();
}
