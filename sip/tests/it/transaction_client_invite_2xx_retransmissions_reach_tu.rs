//! RFC 6026 §7.2: after a 2xx the INVITE client transaction is Accepted for
//! Timer M (64·T1): each 2xx retransmission goes to the TU, which re-ACKs
//! it end to end; the layer never ACKs a 2xx itself.

use dce_sip::Event;

use crate::transaction_common::*;

#[test]
fn every_2xx_reaches_the_tu_until_timer_m() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();

    let ok = response(&invite, 200, Some("b-1"));
    sim.recv(1000, ok.clone(), buyer());
    assert!(matches!(&sim.events()[..], [Event::Response { key: k, .. }] if *k == key));
    assert!(sim.sent().is_empty(), "the TU ACKs a 2xx, not the layer");

    sim.recv(1500, ok.clone(), buyer());
    sim.recv(2500, ok.clone(), buyer());
    assert_eq!(sim.event_kinds(), ["Response 200", "Response 200"]);
    assert!(sim.sent().is_empty());

    // Non-2xx responses cannot move an Accepted transaction.
    sim.recv(2600, response(&invite, 503, Some("b-2")), buyer());
    assert!(sim.events().is_empty());

    // Timer M = 64·T1 after the first 2xx.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(33_000)));
    sim.tsx.handle_timeout(sim.at(32_999));
    assert_eq!(sim.tsx.len(), 1);
    sim.tsx.handle_timeout(sim.at(33_000));
    assert_eq!(sim.tsx.len(), 0);
    assert!(sim.events().is_empty());

    // Later retransmissions are strays, still given to the TU to ACK.
    sim.recv(40_000, ok, buyer());
    assert_eq!(sim.event_kinds(), ["Stray 200"]);
}
