//! A re-INVITE that moves a party's media re-targets forwarding at once
//! and lets the party's new source latch.

use std::time::Instant;

use dce_media::{DropReason, Forwarding, Latch, Leg, Sdp};

use crate::common::*;

#[test]
fn buyer_moves_to_new_port() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::Strict);
    let mut pkt = rtp(0, 1, 0, 1);
    let _ = s.handle_packet(t0, rtp_at(Leg::Buyer), addr(BUYER_SDP), &mut pkt);
    let out = s.handle_packet(t0, rtp_at(Leg::Caller), addr(CALLER_SDP), &mut pkt);
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: addr(BUYER_SDP)
        }
    );

    // The buyer's re-INVITE SDP: new IP and port.
    let body = String::from_utf8(fixture("early-media-183.sdp"))
        .expect("utf8")
        .replace("192.0.2.50", "192.0.2.77")
        .replace("7078", "9000");
    let sdp = Sdp::parse(body.as_bytes()).expect("parse");
    let remote = sdp.remote_media(0).expect("audio");
    s.update_remote(Leg::Buyer, remote);

    let moved = addr("192.0.2.77:9000");
    let out = s.handle_packet(t0 + ms(20), rtp_at(Leg::Caller), addr(CALLER_SDP), &mut pkt);
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: moved
        }
    );
    // The old address is now a stranger under strict latching…
    let out = s.handle_packet(t0 + ms(25), rtp_at(Leg::Buyer), addr(BUYER_SDP), &mut pkt);
    assert_eq!(out, Forwarding::Drop(DropReason::UnexpectedSource));
    // …and the new one latches immediately, without waiting for silence.
    let out = s.handle_packet(t0 + ms(30), rtp_at(Leg::Buyer), moved, &mut pkt);
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Caller),
            to: addr(CALLER_SDP)
        }
    );
}
