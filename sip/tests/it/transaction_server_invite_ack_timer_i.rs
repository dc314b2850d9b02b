//! RFC 3261 §17.2.1: the ACK for a non-2xx final stops Timer G, is absorbed
//! (never given to the TU), and Timer I (T4) ends the transaction after
//! absorbing ACK retransmissions.

use dce_sip::{Event, HeaderName};

use crate::transaction_common::*;

#[test]
fn ack_confirms_then_timer_i_ends() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-ack-i");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    sim.sent();
    let _ = sim
        .tsx
        .respond(sim.at(100), &key, response(&invite, 480, Some("dce")));
    assert_eq!(sim.sent_lines(), ["480 INVITE"]);
    assert_eq!(sim.run_until(600), ladder(&[(600, "480 INVITE")])); // G

    let mut ack = request("ACK", "z9hG4bK-ack-i");
    ack.headers_mut()
        .set(HeaderName::TO, "<sip:+18005550199@dce.example.com>;tag=dce")
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(700, ack.clone(), carrier());
    assert!(
        sim.events().is_empty(),
        "the ACK of a non-2xx is the layer's"
    );
    // G and H are now stale: the next deadline is I = 700 + T4.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(5700)));

    sim.recv(900, ack, carrier());
    assert!(sim.events().is_empty() && sim.sent().is_empty());

    assert_eq!(sim.run_until(5699), ladder(&[]));
    assert_eq!(sim.tsx.len(), 1);
    assert_eq!(sim.run_until(5700), ladder(&[]));
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(sim.tsx.poll_timeout(), None);
}
