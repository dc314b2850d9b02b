//! RTCP: on its own port, and muxed on the RTP port (RFC 5761 §4); sent
//! back on the socket the party uses.

use std::time::Instant;

use dce_media::{Forwarding, Latch, Leg};

use crate::common::*;

#[test]
fn rtcp_on_its_port_goes_to_peer_rtcp() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::Strict);
    let out = s.handle_packet(
        t0,
        rtcp_at(Leg::Caller),
        addr("203.0.113.10:16385"),
        &mut rtcp_rr(1),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtcp_at(Leg::Buyer),
            to: addr("192.0.2.50:7079")
        }
    );
    assert_eq!(s.stats(Leg::Caller).rtcp_packets, 1);
}

#[test]
fn muxed_rtcp_detected_on_rtp_port_and_returned_muxed() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let mut muxed = remote(BUYER_SDP);
    muxed.mux = true;
    muxed.rtcp = muxed.rtp;
    s.update_remote(Leg::Buyer, muxed);
    // The buyer muxes: its RTCP arrives on our RTP port…
    let out = s.handle_packet(t0, rtp_at(Leg::Buyer), addr(BUYER_SDP), &mut rtcp_rr(9));
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtcp_at(Leg::Caller),
            to: addr("203.0.113.10:16385")
        }
    );
    assert_eq!(s.stats(Leg::Buyer).packets, 0);
    // …and the caller's RTCP goes back to the buyer through the RTP port.
    let out = s.handle_packet(
        t0,
        rtcp_at(Leg::Caller),
        addr("203.0.113.10:16385"),
        &mut rtcp_rr(1),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: addr(BUYER_SDP)
        }
    );
}
