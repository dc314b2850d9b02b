//! DCE's 200 to the caller is retransmitted until the ACK (RFC 3261
//! §13.3.1.4), and a call reaching the maximum duration is hung up both ways.

use super::sim::*;
use crate::switch::EndCause;
use dce_sip::{Method, StatusCode};
use std::time::Duration;

#[test]
fn the_2xx_is_retransmitted_until_the_ack() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let ok = ok_to_caller(&sim);
    sim.take();
    sim.advance(Duration::from_millis(500));
    assert_eq!(sim.take(), [(CALLER.into(), "SIP/2.0 200 OK".into())], "T1");
    sim.advance(Duration::from_millis(1000));
    assert_eq!(
        sim.take(),
        [(CALLER.into(), "SIP/2.0 200 OK".into())],
        "2·T1"
    );
    sim.deliver(caller_ack(&ok), CALLER);
    sim.advance(Duration::from_secs(10));
    assert!(sim.take().is_empty(), "no retransmission after the ACK");
}

#[test]
fn no_ack_at_all_hangs_up_after_64_t1() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    sim.advance(Duration::from_secs(32));
    assert!(sim.sent_request(BUYER1, &Method::BYE).is_some());
    assert_eq!(sim.outcomes()[0].cause, EndCause::AckTimeout);
}

#[test]
fn the_maximum_duration_ends_the_call_both_ways() {
    let mut sim = Sim::new(Duration::from_secs(60));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let ok = ok_to_caller(&sim);
    sim.deliver(caller_ack(&ok), CALLER);
    sim.take();
    sim.advance(Duration::from_secs(59));
    assert!(sim.take().is_empty());
    sim.advance(Duration::from_secs(1));
    assert!(sim.sent_request(BUYER1, &Method::BYE).is_some());
    assert!(sim.sent_request(CALLER, &Method::BYE).is_some());
    let outcome = &sim.outcomes()[0];
    assert_eq!(outcome.cause, EndCause::MaxDuration);
    assert_eq!(outcome.connected, Some(Duration::from_secs(60)));
}
