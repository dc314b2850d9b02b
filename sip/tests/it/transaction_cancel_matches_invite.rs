//! RFC 3261 §9.2 on the caller's leg: a CANCEL matching a ringing INVITE is
//! answered `200` by the layer (with the INVITE's To tag) and reported as
//! `Cancelled`; the TU's 487 is then ACKed by the caller and the ACK
//! absorbed. A CANCEL matching nothing is answered `481`, silently.

use dce_sip::{Event, HeaderName, Message};

use crate::transaction_common::*;

#[test]
fn cancel_of_a_ringing_invite() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-c1");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    let _ = sim
        .tsx
        .respond(sim.at(100), &key, response(&invite, 180, Some("dce-9")));
    assert_eq!(sim.sent_lines(), ["100 INVITE", "180 INVITE"]);

    let cancel = request("CANCEL", "z9hG4bK-c1");
    sim.recv(2000, cancel.clone(), carrier());
    let sent = sim.sent();
    assert_eq!(sent.iter().map(line).collect::<Vec<_>>(), ["200 CANCEL"]);
    if let Message::Response(r) = &sent[0] {
        assert_eq!(r.headers().to().ok().and_then(|t| t.tag()), Some("dce-9"));
    }
    assert!(matches!(&sim.events()[..], [Event::Cancelled { invite }] if *invite == key));

    // The TU ends the INVITE with 487.
    let terminated = response(&invite, 487, Some("dce-9"));
    assert_eq!(sim.tsx.respond(sim.at(2010), &key, terminated), Ok(()));
    assert_eq!(sim.sent_lines(), ["487 INVITE"]);

    // A retransmitted CANCEL gets its 200 again, no second event.
    sim.recv(2300, cancel.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["200 CANCEL"]);
    assert!(sim.events().is_empty());

    // The caller ACKs the 487: absorbed.
    let mut ack = request("ACK", "z9hG4bK-c1");
    ack.headers_mut()
        .set(
            HeaderName::TO,
            "<sip:+18005550199@dce.example.com>;tag=dce-9",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(2400, ack, carrier());
    assert!(sim.events().is_empty() && sim.sent().is_empty());

    // A CANCEL after the final: 200, but nothing for the TU.
    sim.recv(2700, request("CANCEL", "z9hG4bK-c1-late"), carrier());
    assert_eq!(sim.sent_lines(), ["481 CANCEL"]);

    // Timer G never fired (the ACK came within T1 of the 487); what is
    // left are Timers I, J and the 481's J, all silent.
    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn cancel_matching_nothing_is_481_without_event() {
    let mut sim = Sim::new();
    let cancel = request("CANCEL", "z9hG4bK-nothing");
    sim.recv(0, cancel.clone(), carrier());
    let sent = sim.sent();
    assert_eq!(sent.iter().map(line).collect::<Vec<_>>(), ["481 CANCEL"]);
    if let Message::Response(r) = &sent[0] {
        assert!(r.headers().to().ok().and_then(|t| t.tag()).is_some());
    }
    assert!(sim.events().is_empty());
    // Its retransmission gets the same 481.
    sim.recv(500, cancel, carrier());
    assert_eq!(sim.sent_lines(), ["481 CANCEL"]);
    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn cancel_after_the_final_is_200_without_event() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-c2");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    let _ = sim
        .tsx
        .respond(sim.at(10), &key, response(&invite, 200, Some("dce")));
    sim.sent();
    // §9.2: the CANCEL matched a transaction, so 200, but it has no effect.
    sim.recv(20, request("CANCEL", "z9hG4bK-c2"), carrier());
    assert_eq!(sim.sent_lines(), ["200 CANCEL"]);
    assert!(sim.events().is_empty());
}
