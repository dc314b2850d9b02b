//! RFC 3261 §17.2.1: a new INVITE gets `100 Trying` at once and reaches the
//! TU once; retransmissions get the latest provisional again (never a new
//! event), and in Completed the final again.

use dce_sip::{Event, Message};

use crate::transaction_common::*;

#[test]
fn invite_retransmissions_are_absorbed() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-carrier-1");
    sim.recv(0, invite.clone(), carrier());
    assert_eq!(sim.sent_to(), [("100 INVITE".to_owned(), carrier())]);
    let events = sim.events();
    let key = match &events[..] {
        [Event::Request { key, peer, .. }] if *peer == carrier() => key.clone(),
        other => panic!("{other:?}"),
    };

    // Retransmission before the TU answered: the 100 again.
    sim.recv(500, invite.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["100 INVITE"]);
    assert!(sim.events().is_empty());

    // The TU rings; a retransmission now gets the 180.
    let ringing = response(&invite, 180, Some("dce-1"));
    assert_eq!(sim.tsx.respond(sim.at(800), &key, ringing), Ok(()));
    assert_eq!(sim.sent_lines(), ["180 INVITE"]);
    sim.recv(1500, invite.clone(), carrier());
    let again = sim.sent();
    assert_eq!(again.len(), 1);
    match &again[0] {
        Message::Response(r) => {
            assert_eq!(r.headers().to().ok().and_then(|t| t.tag()), Some("dce-1"))
        }
        other => panic!("{other:?}"),
    }
    assert!(sim.events().is_empty());

    // The final; a retransmission in Completed gets the final again.
    let busy = response(&invite, 486, Some("dce-1"));
    assert_eq!(sim.tsx.respond(sim.at(2000), &key, busy), Ok(()));
    assert_eq!(sim.sent_lines(), ["486 INVITE"]);
    sim.recv(2100, invite.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["486 INVITE"]);
    assert!(sim.events().is_empty());

    // The ACK ends it (Confirmed, then Timer I); nothing reaches the TU.
    let mut ack = request("ACK", "z9hG4bK-carrier-1");
    ack.headers_mut()
        .set(
            dce_sip::HeaderName::TO,
            "<sip:+18005550199@dce.example.com>;tag=dce-1",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(2200, ack, carrier());
    assert!(sim.events().is_empty());
    // A late INVITE retransmission in Confirmed is absorbed too.
    sim.recv(2300, invite, carrier());
    assert!(sim.sent().is_empty() && sim.events().is_empty());
    assert_eq!(sim.drain(), ladder(&[]));
}
