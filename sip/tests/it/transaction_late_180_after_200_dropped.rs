//! Multi-worker peers may send a 180 after their 200: the INVITE client
//! transaction never goes back from Accepted, and once it has ended a
//! stray provisional is dropped too.

use crate::transaction_common::*;

#[test]
fn late_180_after_200_is_dropped() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();
    sim.recv(100, response(&invite, 200, Some("b")), buyer());
    sim.recv(101, response(&invite, 180, Some("b")), buyer());
    sim.recv(102, response(&invite, 183, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 200"]);
    assert!(sim.sent().is_empty());

    // A 200 retransmission still comes through after the late 180.
    sim.recv(600, response(&invite, 200, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 200"]);

    assert_eq!(sim.drain(), ladder(&[]));
    // Terminated (gone): a late 180 is dropped, not a stray for the TU.
    sim.recv(40_000, response(&invite, 180, Some("b")), buyer());
    assert!(sim.events().is_empty());
}

#[test]
fn late_180_after_a_failure_is_dropped() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();
    sim.recv(100, response(&invite, 480, Some("b")), buyer());
    sim.recv(101, response(&invite, 180, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 480"]);
    assert_eq!(sim.sent_lines(), ["ACK"]);
}
