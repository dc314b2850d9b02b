//! RFC 3261 §17.2.3, last part: a request whose branch lacks the magic
//! cookie (an RFC 2543 peer) is matched on Request-URI, From tag, Call-ID,
//! CSeq and top Via; its ACK also needs the To tag of our response.

use dce_sip::{Event, HeaderName, Request};

use crate::transaction_common::*;

fn with_to_tag(mut r: Request, tag: &str) -> Request {
    let to = format!("<sip:+18005550199@dce.example.com>;tag={tag}");
    r.headers_mut()
        .set(HeaderName::TO, &to)
        .unwrap_or_else(|e| panic!("{e}"));
    r
}

#[test]
fn rfc2543_invite_retransmission_and_ack() {
    let mut sim = Sim::new();
    // No branch at all.
    let invite = request_via("INVITE", "SIP/2.0/UDP 192.0.2.10:5060");
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    sim.recv(400, invite.clone(), carrier());
    assert_eq!(sim.sent_lines(), ["100 INVITE", "100 INVITE"]);
    assert!(sim.events().is_empty(), "the retransmission matched");

    let _ = sim
        .tsx
        .respond(sim.at(500), &key, response(&invite, 486, Some("dce")));
    sim.sent();

    // An ACK with another To tag is not for our 486: it goes to the TU.
    sim.recv(
        600,
        with_to_tag(request_via("ACK", "SIP/2.0/UDP 192.0.2.10:5060"), "other"),
        carrier(),
    );
    assert_eq!(sim.event_kinds(), ["Ack"]);
    // The ACK for our 486 is absorbed and stops Timer G.
    sim.recv(
        700,
        with_to_tag(request_via("ACK", "SIP/2.0/UDP 192.0.2.10:5060"), "dce"),
        carrier(),
    );
    assert!(sim.events().is_empty());
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(5700))); // Timer I
    assert_eq!(sim.drain(), ladder(&[]));
}

#[test]
fn rfc2543_branch_without_cookie_and_cancel() {
    let mut sim = Sim::new();
    let via = "SIP/2.0/UDP 192.0.2.10:5060;branch=390skdjuw";
    let invite = request_via("INVITE", via);
    sim.recv(0, invite.clone(), carrier());
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    sim.sent();
    // A different call with the same non-unique branch is another
    // transaction.
    let mut other = request_via("INVITE", via);
    other
        .headers_mut()
        .set(HeaderName::CALL_ID, "call-2@carrier.example.com")
        .unwrap_or_else(|e| panic!("{e}"));
    sim.recv(10, other, carrier());
    assert_eq!(sim.event_kinds(), ["Request INVITE"]);
    sim.sent();

    sim.recv(100, request_via("CANCEL", via), carrier());
    assert_eq!(sim.sent_lines(), ["200 CANCEL"]);
    assert!(matches!(&sim.events()[..], [Event::Cancelled { invite }] if *invite == key));
}
