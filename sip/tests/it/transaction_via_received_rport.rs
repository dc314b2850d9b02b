//! RFC 3261 §18.2.1 and RFC 3581: the layer stamps `received` (and fills
//! `rport`) on the top Via of incoming requests, and sends responses over
//! UDP to `received` at the `rport` port, else the sent-by port, else 5060.

use dce_sip::{response_peer, Event, HeaderName, Message, Request};

use crate::transaction_common::*;

/// Feeds `via` from `from`; returns the request the TU sees and where the
/// `100 Trying` went.
fn arrive(via: &str, from: &str) -> (Request, dce_sip::Peer, Message) {
    let mut sim = Sim::new();
    sim.recv(0, request_via("INVITE", via), udp(from));
    let request = match sim.events().pop() {
        Some(Event::Request { request, .. }) => request,
        other => panic!("{other:?}"),
    };
    let t = sim.tsx.poll_transmit().unwrap_or_else(|| panic!("no 100"));
    (request, t.peer, t.message)
}

#[test]
fn nat_with_rport_answers_the_source() {
    let (request, to, trying) = arrive(
        "SIP/2.0/UDP carrier.example.com:5060;rport;branch=z9hG4bK-n1",
        "198.51.100.7:40123",
    );
    assert_eq!(
        request.headers().get(&HeaderName::VIA),
        Some("SIP/2.0/UDP carrier.example.com:5060;branch=z9hG4bK-n1;received=198.51.100.7;rport=40123")
    );
    assert_eq!(to, udp("198.51.100.7:40123"));
    // The 100 carries the stamped Via back (§18.2.2).
    let via = trying
        .headers()
        .top_via()
        .map(|v| (v.received(), v.rport()));
    assert_eq!(via, Ok((Some("198.51.100.7"), Some(Some(40123)))));
}

#[test]
fn rport_is_filled_even_from_the_sent_by_address() {
    let (request, to, _) = arrive(
        "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-n2;rport",
        "192.0.2.10:5060",
    );
    let via = request
        .headers()
        .top_via()
        .map(|v| (v.received(), v.rport()));
    assert_eq!(via, Ok((Some("192.0.2.10"), Some(Some(5060)))));
    assert_eq!(to, udp("192.0.2.10:5060"));
}

#[test]
fn no_rport_goes_to_received_at_the_sent_by_port() {
    let (request, to, _) = arrive(
        "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK-n3",
        "198.51.100.7:40123",
    );
    let via = request
        .headers()
        .top_via()
        .map(|v| (v.received(), v.rport()));
    assert_eq!(via, Ok((Some("198.51.100.7"), None)));
    assert_eq!(to, udp("198.51.100.7:5070"));
}

#[test]
fn matching_address_is_left_alone_and_port_defaults_to_5060() {
    let (request, to, _) = arrive(
        "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-n4",
        "192.0.2.10:5080",
    );
    assert_eq!(
        request.headers().get(&HeaderName::VIA),
        Some("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-n4")
    );
    assert_eq!(to, udp("192.0.2.10:5060"));
}

#[test]
fn only_the_top_via_changes() {
    let via = "SIP/2.0/UDP edge.example.com;branch=z9hG4bK-n5;rport, SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK-up";
    let (request, _, _) = arrive(via, "198.51.100.9:5060");
    let vias: Vec<String> = request
        .headers()
        .get_all(&HeaderName::VIA)
        .map(str::to_owned)
        .collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP edge.example.com;branch=z9hG4bK-n5;received=198.51.100.9;rport=5060",
            "SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK-up"
        ]
    );
    // The Via stays where it was among the headers.
    assert_eq!(
        request.headers().iter().next().map(|(n, _)| n.clone()),
        Some(HeaderName::VIA)
    );
}

#[test]
fn response_peer_for_stateless_answers() {
    let mut r = request_via(
        "OPTIONS",
        "SIP/2.0/UDP 10.0.0.5:5070;received=198.51.100.7;rport=4000;branch=z9hG4bK-x",
    );
    assert_eq!(
        response_peer(&r, udp("198.51.100.7:4000")),
        udp("198.51.100.7:4000")
    );
    r = request_via("OPTIONS", "SIP/2.0/TCP 10.0.0.5:5070;branch=z9hG4bK-x");
    assert_eq!(
        response_peer(&r, tcp("198.51.100.7:4000")),
        tcp("198.51.100.7:4000")
    );
}
