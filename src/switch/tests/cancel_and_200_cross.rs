//! CANCEL and 200 racing: a buyer's 200 that arrives after DCE's CANCEL
//! still gets its ACK and a BYE; a caller's CANCEL crossing a buyer's 200
//! ends with that leg answered then hung up, never dangling.

use super::sim::*;
use crate::switch::{AttemptState, EndCause};
use dce_sip::{Method, StatusCode};
use std::time::Duration;

#[test]
fn a_200_after_dces_cancel_is_acked_and_hung_up() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::RINGING, BUYER1), BUYER1);
    sim.advance(Duration::from_secs(5));
    sim.take();
    // Buyer 1 answers just as DCE's CANCEL leaves.
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let sent = sim.take();
    assert!(
        sent.contains(&(BUYER1.into(), "ACK sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&(BUYER1.into(), "BYE sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    assert!(
        !sent.iter().any(|(to, _)| to == CALLER),
        "the caller is not connected to a buyer DCE gave up on"
    );
}

#[test]
fn a_caller_cancel_crossing_the_buyers_200() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::RINGING, BUYER1), BUYER1);
    sim.take();
    sim.deliver(caller_cancel(), CALLER);
    let sent = sim.take();
    assert!(
        sent.contains(&(CALLER.into(), "SIP/2.0 200 OK".into())),
        "CANCEL answered: {sent:?}"
    );
    assert!(
        sent.contains(&(CALLER.into(), "SIP/2.0 487 Request Terminated".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&(
            BUYER1.into(),
            "CANCEL sip:buyer@10.0.0.2:5060 SIP/2.0".into()
        )),
        "{sent:?}"
    );
    // The buyer's 200 was already on the wire.
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let sent = sim.take();
    assert!(
        sent.contains(&(BUYER1.into(), "ACK sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&(BUYER1.into(), "BYE sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    let outcome = &sim.outcomes()[0];
    assert_eq!(outcome.cause, EndCause::CallerCancel);
    assert_eq!(outcome.attempts, [(1, AttemptState::Cancelled)]);
    assert!(
        sim.sent_request(BUYER2, &Method::INVITE).is_none(),
        "nobody else is tried"
    );
}

#[test]
fn a_cancel_while_deciding_never_reaches_a_buyer() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    // The decision is a job; hold it back by delivering the CANCEL in the
    // same breath as the INVITE, before the core's jobs run.
    sim.core
        .handle_message(sim.now, caller_invite(), peer(CALLER));
    sim.core
        .handle_message(sim.now, caller_cancel(), peer(CALLER));
    sim.deliver(dce_sip::Message::parse(b"OPTIONS sip:dce@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKopt\r\nFrom: <sip:a@10.0.0.1>;tag=o\r\nTo: <sip:dce@10.0.0.9>\r\nCall-ID: opt\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").unwrap(), CALLER);
    let sent = sim.take();
    assert!(
        sent.contains(&(CALLER.into(), "SIP/2.0 487 Request Terminated".into())),
        "{sent:?}"
    );
    assert!(
        !sent.iter().any(|(to, _)| to == BUYER1 || to == BUYER2),
        "{sent:?}"
    );
}

#[test]
fn a_200_long_after_its_transaction_ended_is_acked_and_hung_up() {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    // Buyer 1 stays silent: ring timeout, buyer 2 answers, buyer 1's
    // INVITE transaction times out (Timer B) long after.
    sim.advance(Duration::from_secs(5));
    let invite2 = sim.sent_request(BUYER2, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite2, StatusCode::OK, BUYER2), BUYER2);
    let ok = ok_to_caller(&sim);
    sim.deliver(caller_ack(&ok), CALLER);
    sim.advance(Duration::from_secs(40));
    sim.take();
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let sent = sim.take();
    assert!(
        sent.contains(&(BUYER1.into(), "ACK sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&(BUYER1.into(), "BYE sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "{sent:?}"
    );
    assert!(
        !sent.iter().any(|(to, _)| to == CALLER || to == BUYER2),
        "the connected call is untouched: {sent:?}"
    );
}
