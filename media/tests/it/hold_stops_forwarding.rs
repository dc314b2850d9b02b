//! A re-INVITE hold: `c=0.0.0.0` stops media to the holder, `sendonly`
//! stops RTP (not RTCP) to it; resuming restores both, and strict
//! latching still knows the party afterwards.

use std::time::Instant;

use dce_media::{DropReason, Forwarding, Latch, Leg, Sdp};

use crate::common::*;

#[test]
fn hold_and_resume() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::Strict);
    let caller = addr(CALLER_SDP);
    let _ = s.handle_packet(t0, rtp_at(Leg::Caller), caller, &mut rtp(0, 1, 0, 1));

    // The caller holds with the old-style c=0.0.0.0 + sendonly.
    let hold = Sdp::parse(&fixture("hold.sdp")).expect("parse");
    s.update_remote(Leg::Caller, hold.remote_media(0).expect("audio"));
    assert!(s.is_on_hold());
    let out = s.handle_packet(
        t0 + ms(20),
        rtp_at(Leg::Buyer),
        addr(BUYER_SDP),
        &mut rtp(0, 1, 0, 2),
    );
    assert_eq!(out, Forwarding::Drop(DropReason::NoDestination));
    // Music on hold from the holder still reaches the buyer.
    let out = s.handle_packet(
        t0 + ms(40),
        rtp_at(Leg::Caller),
        caller,
        &mut rtp(0, 2, 160, 1),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: addr(BUYER_SDP)
        }
    );

    // Modern hold: a=sendonly with a real address; RTCP still flows.
    let modern = String::from_utf8(fixture("hold.sdp"))
        .expect("utf8")
        .replace("0.0.0.0", "203.0.113.10");
    let modern = Sdp::parse(modern.as_bytes()).expect("parse");
    s.update_remote(Leg::Caller, modern.remote_media(0).expect("audio"));
    let out = s.handle_packet(
        t0 + ms(60),
        rtp_at(Leg::Buyer),
        addr(BUYER_SDP),
        &mut rtp(0, 2, 160, 2),
    );
    assert_eq!(out, Forwarding::Drop(DropReason::NotReceiving));
    let out = s.handle_packet(
        t0 + ms(60),
        rtcp_at(Leg::Buyer),
        addr("192.0.2.50:7079"),
        &mut rtcp_rr(2),
    );
    assert!(matches!(out, Forwarding::Forward { .. }));

    // Resume.
    s.update_remote(Leg::Caller, remote(CALLER_SDP));
    assert!(!s.is_on_hold());
    let out = s.handle_packet(
        t0 + ms(80),
        rtp_at(Leg::Buyer),
        addr(BUYER_SDP),
        &mut rtp(0, 3, 320, 2),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Caller),
            to: caller
        }
    );
}
