//! A buyer's 183 answer (early media) is anchored like a 200 answer, and
//! its address becomes the buyer leg's destination.

use std::time::Instant;

use dce_media::{Forwarding, Latch, Leg, LegPorts, Sdp};

use crate::common::*;

#[test]
fn early_media_answer_anchored_and_learned() {
    let body = fixture("early-media-183.sdp");
    let mut sdp = Sdp::parse(&body).expect("parse");
    let remote = sdp.remote_media(0).expect("audio");
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    s.update_remote(Leg::Buyer, remote);
    // Ringback from the buyer reaches the caller before the 200.
    let out = s.handle_packet(
        t0,
        rtp_at(Leg::Buyer),
        addr(BUYER_SDP),
        &mut rtp(0, 1, 0, 5),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Caller),
            to: addr(CALLER_SDP)
        }
    );

    // The caller sees the answer pointing at its own leg's relay ports.
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001),
        },
    );
    let expected = String::from_utf8(body)
        .expect("utf8")
        .replace("IN IP4 192.0.2.50", "IN IP4 198.18.0.1")
        .replace("m=audio 7078", "m=audio 30000");
    assert_eq!(sdp.to_string(), expected);
}
