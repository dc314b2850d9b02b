//! Any-once latching: the first source wins; a stranger cannot take over
//! a live stream, only one that has been silent for the re-latch time.

use std::time::Instant;

use dce_media::{DropReason, Forwarding, Latch, Leg};

use crate::common::*;

#[test]
fn stranger_cannot_hijack_until_silence() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let real = addr("10.9.8.7:5004"); // behind NAT: not the SDP address
    let thief = addr("198.51.100.66:6666");
    let to_buyer = Forwarding::Forward {
        via: rtp_at(Leg::Buyer),
        to: addr(BUYER_SDP),
    };

    assert_eq!(
        s.handle_packet(t0, rtp_at(Leg::Caller), real, &mut rtp(0, 1, 0, 1)),
        to_buyer
    );
    // The thief, while the real source is live: dropped, every time.
    for i in 0..10 {
        let at = t0 + ms(20 * i + 10);
        let out = s.handle_packet(at, rtp_at(Leg::Caller), thief, &mut rtp(0, 500, 0, 2));
        assert_eq!(out, Forwarding::Drop(DropReason::NotLatchedSource));
        let _ = s.handle_packet(
            at + ms(5),
            rtp_at(Leg::Caller),
            real,
            &mut rtp(0, 2 + i as u16, 0, 1),
        );
    }
    // Buyer audio still goes to the real caller.
    let out = s.handle_packet(
        t0 + ms(300),
        rtp_at(Leg::Buyer),
        addr(BUYER_SDP),
        &mut rtp(0, 1, 0, 3),
    );
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Caller),
            to: real
        }
    );
    // 2.9 s of silence is not enough…
    let quiet = t0 + ms(205 + 2_900);
    let out = s.handle_packet(quiet, rtp_at(Leg::Caller), thief, &mut rtp(0, 500, 0, 2));
    assert_eq!(out, Forwarding::Drop(DropReason::NotLatchedSource));
    // …after 3 s a new source may latch (a phone that moved network).
    let later = t0 + ms(205 + 3_000);
    assert_eq!(
        s.handle_packet(later, rtp_at(Leg::Caller), thief, &mut rtp(0, 500, 0, 2)),
        to_buyer
    );
    // And now the old source is the stranger.
    let out = s.handle_packet(
        later + ms(20),
        rtp_at(Leg::Caller),
        real,
        &mut rtp(0, 9, 0, 1),
    );
    assert_eq!(out, Forwarding::Drop(DropReason::NotLatchedSource));
}

#[test]
fn garbage_never_latches() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let out = s.handle_packet(
        t0,
        rtp_at(Leg::Caller),
        addr("198.51.100.66:1"),
        &mut [0x16, 3, 1, 0],
    );
    assert_eq!(out, Forwarding::Drop(DropReason::NotRtp));
    let real = addr("10.9.8.7:5004");
    let out = s.handle_packet(t0, rtp_at(Leg::Caller), real, &mut rtp(0, 1, 0, 1));
    assert_eq!(
        out,
        Forwarding::Forward {
            via: rtp_at(Leg::Buyer),
            to: addr(BUYER_SDP)
        }
    );
}
