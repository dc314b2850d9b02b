//! Buyer 1 rings past its ring timeout: DCE CANCELs it and INVITEs buyer 2,
//! who answers; the caller sees 100, 180, 200.

use super::sim::*;
use crate::switch::AttemptState;
use dce_sip::{Method, StatusCode};
use std::time::Duration;

#[test]
fn ring_timeout_cancels_the_first_buyer_and_invites_the_second() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim
        .sent_request(BUYER1, &Method::INVITE)
        .expect("INVITE to buyer 1");
    assert_eq!(
        sim.take(),
        [
            (CALLER.into(), "SIP/2.0 100 Trying".into()),
            (
                BUYER1.into(),
                "INVITE sip:buyer@10.0.0.2:5060 SIP/2.0".into()
            ),
        ]
    );
    sim.deliver(answer(&invite1, StatusCode::RINGING, BUYER1), BUYER1);
    assert_eq!(sim.take(), [(CALLER.into(), "SIP/2.0 180 Ringing".into())]);

    sim.advance(Duration::from_millis(4_999));
    assert!(
        sim.take()
            .iter()
            .all(|(to, line)| to == BUYER1 && line.starts_with("INVITE")),
        "before the ring timeout only INVITE retransmissions (none after the 180 either)"
    );
    sim.advance(Duration::from_millis(1));
    let invite2 = sim
        .sent_request(BUYER2, &Method::INVITE)
        .expect("INVITE to buyer 2");
    assert_eq!(
        sim.take(),
        [
            (
                BUYER1.into(),
                "CANCEL sip:buyer@10.0.0.2:5060 SIP/2.0".into()
            ),
            (
                BUYER2.into(),
                "INVITE sip:buyer@10.0.0.3:5060 SIP/2.0".into()
            ),
        ]
    );
    assert_ne!(
        invite1.headers().call_id().unwrap(),
        invite2.headers().call_id().unwrap(),
        "each attempt is its own dialog"
    );
    sim.deliver(answer(&invite2, StatusCode::OK, BUYER2), BUYER2);
    let sent = sim.take();
    assert!(sent.contains(&(BUYER2.into(), "ACK sip:buyer@10.0.0.3:5060 SIP/2.0".into())));
    assert!(sent.contains(&(CALLER.into(), "SIP/2.0 200 OK".into())));
}

#[test]
fn every_buyer_failing_gives_the_caller_480() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.take();
    sim.deliver(answer(&invite1, StatusCode::BUSY_HERE, BUYER1), BUYER1);
    let invite2 = sim.sent_request(BUYER2, &Method::INVITE).unwrap();
    let sent = sim.take();
    assert!(
        sent.contains(&(BUYER1.into(), "ACK sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    sim.deliver(
        answer(&invite2, StatusCode::SERVICE_UNAVAILABLE, BUYER2),
        BUYER2,
    );
    let sent = sim.take();
    assert!(
        sent.contains(&(CALLER.into(), "SIP/2.0 480 Temporarily Unavailable".into())),
        "{sent:?}"
    );
    let outcome = &sim.outcomes()[0];
    assert_eq!(
        outcome.attempts,
        [
            (1, AttemptState::Failed(486)),
            (2, AttemptState::Failed(503))
        ]
    );
}

#[test]
fn a_call_no_buyer_answered_gets_a_record_with_its_timeline() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::RINGING, BUYER1), BUYER1);
    sim.advance(Duration::from_secs(5));
    let invite2 = sim.sent_request(BUYER2, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite2, StatusCode::BUSY_HERE, BUYER2), BUYER2);
    assert_eq!(sim.cdrs.len(), 1, "written once, at the end");
    let (what, cdr) = &sim.cdrs[0];
    assert_eq!(*what, "close");
    assert!(cdr.buyer.is_none() && cdr.answered_at_ms.is_none());
    let end = cdr.end.as_ref().unwrap();
    assert_eq!(end.cause.as_str(), "all_targets_failed");
    let outcomes: Vec<String> = cdr
        .attempts
        .iter()
        .map(|a| format!("{:?}", a.outcome))
        .collect();
    assert_eq!(outcomes, ["RingTimeout", "Rejected { status: 486 }"]);
    let events: Vec<String> = cdr
        .timeline
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        events,
        [
            "arrived",
            "decided",
            "attempt_started",
            "attempt_ringing",
            "attempt_failed",
            "attempt_started",
            "attempt_failed",
            "ended"
        ]
    );
    assert!(!cdr.rate().unwrap().billable());
}
