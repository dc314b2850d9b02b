//! RFC 3550 §6.4.1 / A.8 interarrival jitter against a hand computation,
//! and RFC 4733 DTMF left out of it (and forwarded untouched).

use std::time::Instant;

use dce_media::{Forwarding, Latch, Leg};

use crate::common::*;

#[test]
fn jitter_matches_hand_computation() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let src = addr(CALLER_SDP);
    // PCMU, 8000 Hz, 160 units per 20 ms. Arrivals (ms): 0, 20, 50, 60.
    // Transit (units): 0-0=0, 160-160=0, 400-320=80, 480-480=0.
    // D: 0, 80, 80. A.8 fixed point (J×16): 0 → 0+80-0 = 80 → 80+80-5
    // = 155; J = 155>>4 = 9. §6.4.1 in reals: 0, 5, 5+(80-5)/16 = 9.69.
    for (arrival, seq, ts) in [(0, 1, 0), (20, 2, 160), (50, 3, 320), (60, 4, 480)] {
        let _ = s.handle_packet(
            t0 + ms(arrival),
            rtp_at(Leg::Caller),
            src,
            &mut rtp(0, seq, ts, 1),
        );
    }
    let st = s.stats(Leg::Caller);
    assert_eq!(st.jitter, 9);
    assert_eq!(
        st.jitter_duration(),
        ms(1) + std::time::Duration::from_micros(125)
    );
}

#[test]
fn dtmf_is_forwarded_untouched_and_not_counted_as_jitter() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let src = addr(CALLER_SDP);
    let _ = s.handle_packet(t0, rtp_at(Leg::Caller), src, &mut rtp(0, 1, 0, 1));
    // RFC 4733 §2.5: one event, same timestamp, growing duration; the end
    // packet sent three times. Arrival spacing would look like jitter.
    for i in 0..6u16 {
        let mut event = rtp(101, 2 + i, 160, 1);
        event.truncate(12);
        let end = if i >= 3 { 0x80 } else { 0 };
        event.extend_from_slice(&[5, end | 10, 0, (160 * (i + 1)) as u8]);
        let sent = event.clone();
        let out = s.handle_packet(
            t0 + ms(20 + 50 * u64::from(i)),
            rtp_at(Leg::Caller),
            src,
            &mut event,
        );
        assert!(matches!(out, Forwarding::Forward { .. }));
        assert_eq!(event, sent);
    }
    let st = s.stats(Leg::Caller);
    assert_eq!((st.packets, st.lost, st.jitter), (7, 0, 0));
}
