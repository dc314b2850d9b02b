//! Strict latching: only the IP from the SDP may latch; a NAT that keeps
//! the IP but changes the port is fine.

use std::time::Instant;

use dce_media::{DropReason, Forwarding, Latch, Leg, SessionEvent};

use crate::common::*;

#[test]
fn strict_latches_sdp_ip_on_any_port_and_refuses_others() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::Strict);
    let mut pkt = rtp(0, 1, 160, 7);
    // A stranger first: refused, even though nothing is latched yet.
    let out = s.handle_packet(
        t0,
        rtp_at(Leg::Caller),
        addr("198.51.100.66:16384"),
        &mut pkt,
    );
    assert_eq!(out, Forwarding::Drop(DropReason::UnexpectedSource));
    // The caller's IP from another port (NAT): latches, goes to the buyer.
    let natted = addr("203.0.113.10:40000");
    let out = s.handle_packet(t0 + ms(20), rtp_at(Leg::Caller), natted, &mut pkt);
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: addr(BUYER_SDP)
        }
    );
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Latched {
            leg: Leg::Caller,
            component: dce_media::Component::Rtp,
            source: natted
        })
    );
    // The buyer's answer goes back to the latched address, not the SDP's.
    let mut back = rtp(0, 9, 160, 8);
    let out = s.handle_packet(t0 + ms(30), rtp_at(Leg::Buyer), addr(BUYER_SDP), &mut back);
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Caller),
            to: natted
        }
    );
}

#[test]
fn strict_with_no_sdp_yet_latches_nothing() {
    let t0 = Instant::now();
    let mut s = dce_media::RelaySession::new(
        t0,
        dce_media::SessionConfig {
            latch: Latch::Strict,
            ..Default::default()
        },
        CALLER_PORTS,
        BUYER_PORTS,
    );
    let out = s.handle_packet(
        t0,
        rtp_at(Leg::Caller),
        addr(CALLER_SDP),
        &mut rtp(0, 1, 0, 1),
    );
    assert_eq!(out, Forwarding::Drop(DropReason::UnexpectedSource));
}
