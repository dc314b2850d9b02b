//! RFC 6026 §7.1: after the TU's 2xx the INVITE server transaction is
//! Accepted for Timer L (64·T1): INVITE retransmissions are absorbed (the
//! TU retransmits its 2xx itself, through the transaction), ACKs go to the
//! TU, and no other final may follow.

use dce_sip::{Event, HeaderName, TransactionError};

use crate::transaction_common::*;

#[test]
fn accepted_absorbs_invites_and_passes_acks() {
    let mut sim = Sim::new();
    let invite = request("INVITE", "z9hG4bK-acc");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    sim.sent();

    let ok = response(&invite, 200, Some("dce"));
    assert_eq!(sim.tsx.respond(sim.at(1000), &key, ok.clone()), Ok(()));
    assert_eq!(sim.sent_lines(), ["200 INVITE"]);

    // An INVITE retransmission: absorbed, no 100, no event.
    sim.recv(1200, invite.clone(), carrier());
    assert!(sim.sent().is_empty() && sim.events().is_empty());

    // The TU's own 2xx retransmission passes through.
    assert_eq!(sim.tsx.respond(sim.at(1500), &key, ok), Ok(()));
    assert_eq!(sim.sent_lines(), ["200 INVITE"]);
    let refused = sim
        .tsx
        .respond(sim.at(1600), &key, response(&invite, 486, Some("dce")));
    assert_eq!(refused, Err(TransactionError::FinalAlreadySent));

    // The 2xx ACK proper has its own branch: it matches nothing, goes up.
    let mut ack = request("ACK", "z9hG4bK-acc-ack");
    ack.headers_mut()
        .set(HeaderName::TO, "<sip:+18005550199@dce.example.com>;tag=dce")
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(1700, ack, carrier());
    // One reusing the INVITE's branch matches the Accepted transaction and
    // goes up as well.
    sim.recv(1800, request("ACK", "z9hG4bK-acc"), carrier());
    assert_eq!(sim.event_kinds(), ["Ack", "Ack"]);
    assert!(sim.sent().is_empty());

    // Timer L = 64·T1 after the 2xx.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(33_000)));
    sim.tsx.handle_timeout(sim.at(32_999));
    assert_eq!(sim.tsx.len(), 1);
    sim.tsx.handle_timeout(sim.at(33_000));
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(
        sim.tsx
            .respond(sim.at(33_001), &key, response(&invite, 200, Some("dce"))),
        Err(TransactionError::NoSuchTransaction)
    );
}
