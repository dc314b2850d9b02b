//! RFC 3261 §17.1.2.2: after the final, a non-INVITE client transaction
//! absorbs its retransmissions for Timer K (T4 over UDP).

use dce_sip::Event;

use crate::transaction_common::*;

#[test]
fn final_then_timer_k() {
    let mut sim = Sim::new();
    let bye = outgoing("BYE");
    let key = sim.tsx.send_request(sim.at(0), bye.clone(), buyer());
    sim.sent();

    let ok = response(&bye, 200, Some("b"));
    sim.recv(300, ok.clone(), buyer());
    assert!(matches!(&sim.events()[..], [Event::Response { key: k, .. }] if *k == key));

    sim.recv(800, ok.clone(), buyer());
    assert!(sim.events().is_empty() && sim.sent().is_empty());
    // E and F are stale; K = 300 + T4.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(5300)));
    assert_eq!(sim.run_until(5299), ladder(&[]));
    assert_eq!(sim.tsx.len(), 1);
    assert_eq!(sim.run_until(5300), ladder(&[]));
    assert_eq!(sim.tsx.len(), 0);

    sim.recv(6000, ok, buyer());
    assert_eq!(sim.event_kinds(), ["Stray 200"]);
}
