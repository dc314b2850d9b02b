//! The driver reports a failed send (e.g. TCP connect refused): the TU
//! hears it once, the transaction ends; a CANCEL's failure is absorbed.
//! A request the layer cannot key is refused the same way.

use dce_sip::{Event, TransactionError};

use crate::transaction_common::*;

#[test]
fn transport_failure_ends_the_transaction() {
    let mut sim = Sim::new();
    let peer = tcp("198.51.100.20:5060");
    let key = sim
        .tsx
        .send_request(sim.at(0), outgoing_tcp("INVITE"), peer);
    sim.sent();
    sim.tsx.transport_failed(sim.at(5), &key);
    assert!(matches!(&sim.events()[..], [Event::TransportError { key: k }] if *k == key));
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(sim.tsx.poll_timeout(), None);
    // Reported twice: nothing more.
    sim.tsx.transport_failed(sim.at(6), &key);
    assert!(sim.events().is_empty());
}

#[test]
fn requests_without_a_branch_are_refused() {
    let mut sim = Sim::new();
    let bad = request_via("OPTIONS", "SIP/2.0/UDP 203.0.113.1:5060");
    assert_eq!(
        sim.tsx.try_send_request(sim.at(0), bad.clone(), buyer()),
        Err(TransactionError::NoBranch)
    );
    let key = sim.tsx.send_request(sim.at(0), bad, buyer());
    assert!(matches!(&sim.events()[..], [Event::TransportError { key: k }] if *k == key));
    assert!(sim.sent().is_empty());

    let good = outgoing("OPTIONS");
    assert!(sim
        .tsx
        .try_send_request(sim.at(0), good.clone(), buyer())
        .is_ok());
    assert_eq!(
        sim.tsx.try_send_request(sim.at(0), good, buyer()),
        Err(TransactionError::BranchInUse)
    );
    assert_eq!(sim.tsx.len(), 1);
}
