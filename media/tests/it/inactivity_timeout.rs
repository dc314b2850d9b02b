//! Media inactivity: a party silent for the configured time (60 s by
//! default) is reported once; not while the call is on hold.

use std::time::{Duration, Instant};

use dce_media::{Direction, Latch, Leg, SessionEvent};

use crate::common::*;

#[test]
fn silent_buyer_reported_once_after_60_s() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    // The caller talks every 20 ms for 61 s; the buyer never does.
    for i in 0..3050u32 {
        let at = t0 + ms(u64::from(i) * 20);
        let _ = s.handle_packet(
            at,
            rtp_at(Leg::Caller),
            addr(CALLER_SDP),
            &mut rtp(0, i as u16, i * 160, 1),
        );
        if s.poll_timeout().is_some_and(|d| d <= at) {
            s.handle_timeout(at);
        }
    }
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event())
        .filter(|e| matches!(e, SessionEvent::Inactive { .. }))
        .collect();
    assert_eq!(
        events,
        vec![SessionEvent::Inactive {
            leg: Leg::Buyer,
            silent_for: Duration::from_secs(60)
        }]
    );
    // Reported once: the next deadline is the caller's, 60 s after its last packet.
    let last = t0 + ms(3049 * 20);
    assert_eq!(s.poll_timeout(), Some(last + Duration::from_secs(60)));
    s.handle_timeout(last + Duration::from_secs(120));
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Inactive {
            leg: Leg::Caller,
            silent_for: Duration::from_secs(120)
        })
    );
}

#[test]
fn no_timeout_while_on_hold() {
    let t0 = Instant::now();
    let mut s = session(t0, Latch::AnyOnce);
    let mut held = remote(CALLER_SDP);
    held.direction = Direction::SendOnly;
    held.hold = true;
    s.update_remote(Leg::Caller, held);
    assert!(s.is_on_hold());
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t0 + Duration::from_secs(3600));
    assert_eq!(s.poll_event(), None);
    // Resume: the timer is back, counted from the resuming SDP.
    s.update_remote(Leg::Caller, remote(CALLER_SDP));
    assert!(!s.is_on_hold());
    s.handle_timeout(t0 + Duration::from_secs(3600));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(t0 + Duration::from_secs(3660));
    assert!(matches!(
        s.poll_event(),
        Some(SessionEvent::Inactive { .. })
    ));
}

#[test]
fn answer_after_long_ringing_restarts_the_clock() {
    // Offered at t0; the buyer's answer (its SDP) comes 50 s later. Neither
    // party has sent RTP: the call gets a whole timeout from the answer.
    let t0 = Instant::now();
    let mut s = dce_media::RelaySession::new(
        t0,
        dce_media::SessionConfig::default(),
        CALLER_PORTS,
        BUYER_PORTS,
    );
    s.update_remote(Leg::Caller, remote(CALLER_SDP));
    s.handle_timeout(t0);
    let answer = t0 + Duration::from_secs(50);
    s.update_remote(Leg::Buyer, remote(BUYER_SDP));
    // Due at once, so the owner's next instant restarts the clock.
    assert!(s.poll_timeout().is_some_and(|at| at <= answer));
    s.handle_timeout(answer);
    assert_eq!(s.poll_event(), None);
    assert_eq!(s.poll_timeout(), Some(answer + Duration::from_secs(60)));
    s.handle_timeout(t0 + Duration::from_secs(100));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(answer + Duration::from_secs(60));
    let silent: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(silent.len(), 2, "{silent:?}");
}
