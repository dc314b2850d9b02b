//! RFC 3550 A.1/A.3: loss counted across a sequence number wrap, with
//! reordering and duplicates, and across an SSRC change.

use std::time::Instant;

use dce_media::{Latch, Leg};

use crate::common::*;

#[test]
fn loss_across_wrap() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let src = addr(CALLER_SDP);
    // 65530 … 65535, 0 … 9: 16 expected; 65534 and 3 lost; 5 arrives
    // after 6; 7 is duplicated.
    let mut seqs: Vec<u16> = (65530..=65535)
        .chain(0..=9)
        .filter(|s| *s != 65534 && *s != 3)
        .collect();
    let five = seqs.iter().position(|s| *s == 5).unwrap_or(0);
    seqs.swap(five, five + 1);
    seqs.push(7);
    for (i, seq) in seqs.iter().enumerate() {
        let _ = s.handle_packet(
            t0 + ms(20 * i as u64),
            rtp_at(Leg::Caller),
            src,
            &mut rtp(0, *seq, 0, 1),
        );
    }
    let st = s.stats(Leg::Caller);
    assert_eq!(st.packets, 15);
    assert_eq!(st.expected, 16);
    // 14 distinct + 1 duplicate received against 16 expected: the
    // duplicate hides one loss, as RFC 3550 §6.4.1 notes.
    assert_eq!(st.lost, 1);
    assert_eq!(st.bytes, 15 * 172);
}

#[test]
fn loss_survives_ssrc_change() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let src = addr(CALLER_SDP);
    for seq in [100u16, 101, 103] {
        let _ = s.handle_packet(t0, rtp_at(Leg::Caller), src, &mut rtp(0, seq, 0, 1));
    }
    // New SSRC (a transfer behind the carrier): a new sequence space.
    for seq in [7u16, 9] {
        let _ = s.handle_packet(t0, rtp_at(Leg::Caller), src, &mut rtp(0, seq, 0, 2));
    }
    let st = s.stats(Leg::Caller);
    assert_eq!((st.expected, st.lost, st.ssrc_changes), (7, 2, 1));
}

#[test]
fn wild_jump_needs_confirmation() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let src = addr(CALLER_SDP);
    for seq in [1u16, 2, 30_000, 30_001, 30_002] {
        let _ = s.handle_packet(t0, rtp_at(Leg::Caller), src, &mut rtp(0, seq, 0, 1));
    }
    // 30 000 was a lone jump (not counted), 30 001 confirmed a restart:
    // 1, 2 then 30 001, 30 002: nothing lost.
    let st = s.stats(Leg::Caller);
    assert_eq!((st.expected, st.lost), (4, 0));
}
