//! RFC 3261 §17.1.1.3: a 486 to our INVITE is ACKed by the layer (same
//! branch, the response's To tag, Route copied), the ACK is repeated for
//! each retransmitted 486, and Timer D (32 s) ends the transaction.

use dce_sip::{HeaderName, Message};

use crate::transaction_common::*;

#[test]
fn non2xx_final_is_acked_by_the_layer() {
    let mut sim = Sim::new();
    let invite = outgoing("INVITE");
    sim.tsx.send_request(sim.at(0), invite.clone(), buyer());
    sim.sent();

    sim.recv(100, response(&invite, 180, Some("b-7")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 180"]);
    assert!(sim.sent().is_empty());

    sim.recv(2000, response(&invite, 486, Some("b-7")), buyer());
    assert_eq!(sim.event_kinds(), ["Response 486"]);
    let sent = sim.sent_to();
    assert_eq!(sent, [("ACK".to_owned(), buyer())]);

    // The ACK, field by field.
    sim.recv(2500, response(&invite, 486, Some("b-7")), buyer());
    let ack = match sim.sent().pop() {
        Some(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    assert!(sim.events().is_empty(), "a retransmitted 486 is absorbed");
    assert_eq!(ack.uri().as_str(), invite.uri().as_str());
    let (h, ih) = (ack.headers(), invite.headers());
    assert_eq!(h.count(&HeaderName::VIA), 1);
    assert_eq!(
        h.top_via().ok().and_then(|v| v.branch()),
        ih.top_via().ok().and_then(|v| v.branch())
    );
    assert_eq!(h.to().ok().and_then(|t| t.tag()), Some("b-7"));
    assert_eq!(h.get(&HeaderName::FROM), ih.get(&HeaderName::FROM));
    assert_eq!(h.call_id().ok(), ih.call_id().ok());
    assert_eq!(h.get(&HeaderName::CSEQ), Some("1 ACK"));
    assert_eq!(h.get(&HeaderName::ROUTE), Some("<sip:edge.example.com;lr>"));
    assert_eq!(h.max_forwards(), Ok(Some(70)));
    assert_eq!(h.content_length(), Ok(Some(0)));
    // It prints and parses back.
    assert!(Message::parse(&ack.to_bytes()).is_ok());

    // Timer D: 32 s after the first 486.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(34_000)));
    sim.tsx.handle_timeout(sim.at(33_999));
    assert_eq!(sim.tsx.len(), 1);
    sim.tsx.handle_timeout(sim.at(34_000));
    assert_eq!(sim.tsx.len(), 0);
    assert!(sim.events().is_empty() && sim.sent().is_empty());
}
