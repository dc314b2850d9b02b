//! RFC 3261 §9.1 on a buyer leg, where CANCEL and 200 race: a 200 that
//! crosses our CANCEL still reaches the TU (to ACK and BYE), the CANCEL's
//! own 200 is absorbed, a `cancel()` after the 200 sends nothing, and a
//! 487 after the CANCEL is delivered and ACKed by the layer.

use dce_sip::{Event, HeaderName, Message, TransactionError};

use crate::transaction_common::*;

#[test]
fn two_hundred_crossing_our_cancel_reaches_the_tu() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();
    sim.recv(100, response(&invite, 180, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 180"]);

    assert_eq!(sim.tsx.cancel(sim.at(1000), &key), Ok(()));
    let sent = sim.sent();
    let cancel = match &sent[..] {
        [Message::Request(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    // §9.1: what the CANCEL copies from the INVITE.
    assert_eq!(cancel.method().as_str(), "CANCEL");
    assert_eq!(cancel.uri().as_str(), invite.uri().as_str());
    let (h, ih) = (cancel.headers(), invite.headers());
    assert_eq!(
        h.top_via().ok().and_then(|v| v.branch()),
        ih.top_via().ok().and_then(|v| v.branch())
    );
    assert_eq!(h.count(&HeaderName::VIA), 1);
    assert_eq!(h.get(&HeaderName::TO), ih.get(&HeaderName::TO));
    assert_eq!(h.get(&HeaderName::FROM), ih.get(&HeaderName::FROM));
    assert_eq!(h.call_id().ok(), ih.call_id().ok());
    assert_eq!(h.get(&HeaderName::CSEQ), Some("1 CANCEL"));
    assert_eq!(h.get(&HeaderName::ROUTE), ih.get(&HeaderName::ROUTE));
    // A second cancel() is a no-op.
    assert_eq!(sim.tsx.cancel(sim.at(1001), &key), Ok(()));
    assert!(sim.sent().is_empty());

    // The buyer had already answered: its 200 crosses the CANCEL.
    sim.recv(1010, response(&invite, 200, Some("b")), buyer());
    assert!(
        matches!(&sim.events()[..], [Event::Response { key: k, response }]
        if *k == key && response.status().as_u16() == 200)
    );
    assert!(sim.sent().is_empty(), "the TU ACKs and BYEs the 200");

    // The CANCEL's 200 is absorbed.
    sim.recv(1020, response(&cancel, 200, Some("b")), buyer());
    assert!(sim.events().is_empty());
    // A 487 cannot follow a 200 on this transaction.
    sim.recv(1030, response(&invite, 487, Some("b")), buyer());
    assert!(sim.events().is_empty() && sim.sent().is_empty());

    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn cancel_after_the_200_sends_nothing() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();
    sim.recv(100, response(&invite, 200, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 200"]);
    assert_eq!(sim.tsx.cancel(sim.at(200), &key), Ok(()));
    assert!(sim.sent().is_empty());
    assert_eq!(sim.tsx.len(), 1);
    sim.drain();
    assert_eq!(
        sim.tsx.cancel(sim.at(40_000), &key),
        Err(TransactionError::NoSuchTransaction)
    );
}

#[test]
fn four_eighty_seven_after_our_cancel_is_delivered_and_acked() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    let key = sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.recv(100, response(&invite, 183, Some("b")), buyer());
    sim.sent();
    sim.events();
    assert_eq!(sim.tsx.cancel(sim.at(1000), &key), Ok(()));
    assert_eq!(sim.sent_lines(), ["CANCEL"]);

    sim.recv(1010, response(&invite, 487, Some("b")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 487"]);
    assert_eq!(sim.sent_lines(), ["ACK"]);
    // The CANCEL's 200 comes after the 487: still absorbed.
    let mut cancel_ok = response(&invite, 200, Some("b"));
    cancel_ok
        .headers_mut()
        .set(HeaderName::CSEQ, "1 CANCEL")
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(1020, cancel_ok, buyer());
    assert!(sim.events().is_empty());
    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn cancel_refuses_non_invite() {
    let mut sim = Sim::new();
    let key = sim
        .tsx
        .send_request(sim.at(0), outgoing("OPTIONS"), buyer());
    assert_eq!(
        sim.tsx.cancel(sim.at(1), &key),
        Err(TransactionError::NotInvite)
    );
}
