//! RFC 3261 §17 over TCP: no retransmission timers (A, E, G), zero-length
//! D, I, J, K (the transaction ends at once), B, F, H, L, M unchanged, and
//! server responses back on the connection the request came in on.

use dce_sip::Event;

use crate::transaction_common::*;

#[test]
fn client_invite_over_tcp() {
    let mut sim = Sim::new();
    let peer = tcp("198.51.100.20:5060");
    let invite = outgoing_tcp("INVITE");
    sim.tsx.send_request(sim.at(0), invite.clone(), peer);
    sim.sent();
    // No Timer A: the only deadline is B.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(32_000)));
    sim.recv(100, response(&invite, 486, Some("b")), peer);
    assert_eq!(sim.sent_to(), [("ACK".to_owned(), peer)]);
    assert_eq!(sim.event_kinds(), ["Response 486"]);
    // Timer D = 0.
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(sim.tsx.poll_timeout(), None);
}

#[test]
fn client_invite_timeout_over_tcp() {
    let mut sim = Sim::new();
    let peer = tcp("198.51.100.20:5060");
    sim.tsx
        .send_request(sim.at(0), outgoing_tcp("INVITE"), peer);
    sim.sent();
    assert_eq!(sim.drain(), ladder(&[(32_000, "event Timeout")]));
}

#[test]
fn client_non_invite_over_tcp() {
    let mut sim = Sim::new();
    let peer = tcp("198.51.100.20:5060");
    let bye = outgoing_tcp("BYE");
    sim.tsx.send_request(sim.at(0), bye.clone(), peer);
    sim.sent();
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(32_000))); // F only
    sim.recv(50, response(&bye, 200, Some("b")), peer);
    assert_eq!(sim.event_kinds(), ["Response 200"]);
    assert_eq!(sim.tsx.len(), 0); // K = 0
}

#[test]
fn server_invite_over_tcp() {
    let mut sim = Sim::new();
    let peer = tcp("192.0.2.10:40001");
    let invite = request_via("INVITE", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-tcp");
    sim.recv(0, invite.clone(), peer);
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    let _ = sim
        .tsx
        .respond(sim.at(10), &key, response(&invite, 486, Some("d")));
    // Back on the connection (source port 40001), not to the Via's 5060.
    assert_eq!(
        sim.sent_to(),
        [
            ("100 INVITE".to_owned(), peer),
            ("486 INVITE".to_owned(), peer)
        ]
    );
    // No Timer G: the only deadline is H.
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(32_010)));
    sim.recv(
        20,
        request_via("ACK", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-tcp"),
        peer,
    );
    assert!(sim.events().is_empty());
    // Timer I = 0.
    assert_eq!(sim.tsx.len(), 0);
    assert_eq!(sim.tsx.poll_timeout(), None);
}

#[test]
fn accepted_keeps_timer_l_over_tcp() {
    let mut sim = Sim::new();
    let peer = tcp("192.0.2.10:40002");
    let invite = request_via("INVITE", "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-tcp2");
    sim.recv(0, invite.clone(), peer);
    let key = match &sim.events()[..] {
        [Event::Request { key, .. }] => key.clone(),
        other => panic!("{other:?}"),
    };
    let _ = sim
        .tsx
        .respond(sim.at(10), &key, response(&invite, 200, Some("d")));
    assert_eq!(sim.sent_lines(), ["100 INVITE", "200 INVITE"]);
    assert_eq!(sim.tsx.poll_timeout(), Some(sim.at(32_010)));
    assert_eq!(sim.drain(), ladder(&[]));
}
