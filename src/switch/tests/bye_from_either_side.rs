//! A connected call ends when either side sends BYE: DCE answers it and
//! hangs up the other leg; the transactions all end.

use super::sim::*;
use crate::switch::EndCause;
use dce_sip::{Method, StatusCode};
use std::time::Duration;

fn connected() -> (Sim, dce_sip::Request) {
    let mut sim = Sim::new(Duration::from_secs(3600));
    sim.deliver(caller_invite(), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(answer(&invite1, StatusCode::OK, BUYER1), BUYER1);
    let ok = ok_to_caller(&sim);
    sim.deliver(caller_ack(&ok), CALLER);
    (sim, invite1)
}

#[test]
fn the_caller_hangs_up() {
    let (mut sim, _) = connected();
    let ok = ok_to_caller(&sim);
    sim.take();
    sim.deliver(from_caller("BYE", 2, &ok), CALLER);
    let bye = sim
        .sent_request(BUYER1, &Method::BYE)
        .expect("BYE to the buyer");
    assert_eq!(
        sim.take(),
        [
            (CALLER.into(), "SIP/2.0 200 OK".into()),
            (BUYER1.into(), "BYE sip:buyer@10.0.0.2:5060 SIP/2.0".into()),
        ]
    );
    assert_eq!(
        bye.headers().cseq().unwrap().seq,
        2,
        "the buyer dialog's next CSeq"
    );
    let mut ok_bye = dce_sip::Response::for_request(&bye, StatusCode::OK, "OK");
    ok_bye.set_to_tag("buyer").unwrap();
    sim.deliver(dce_sip::Message::Response(ok_bye), BUYER1);
    assert_eq!(sim.outcomes()[0].cause, EndCause::CallerBye);
    sim.advance(Duration::from_secs(64));
    assert_eq!(sim.core.transactions(), 0, "no transaction leaks");
    assert_eq!(sim.core.active_calls(), 0);
    assert!(
        sim.core
            .traces()
            .get(1)
            .is_some_and(|t| t.entries.len() >= 8),
        "the call's trace is kept"
    );
}

#[test]
fn the_buyer_hangs_up() {
    let (mut sim, invite1) = connected();
    let ok = ok_to_caller(&sim);
    sim.take();
    sim.deliver(from_buyer("BYE", &invite1), BUYER1);
    let bye = sim
        .sent_request(CALLER, &Method::BYE)
        .expect("BYE to the caller");
    assert_eq!(
        sim.take(),
        [
            (BUYER1.into(), "SIP/2.0 200 OK".into()),
            (
                CALLER.into(),
                "BYE sip:+12125551234@10.0.0.1:5060 SIP/2.0".into()
            ),
        ]
    );
    assert_eq!(
        bye.headers().call_id().unwrap(),
        "call-a@10.0.0.1",
        "on the caller's own dialog"
    );
    assert_eq!(
        bye.headers().from().unwrap().tag(),
        ok.headers().to().unwrap().tag(),
        "DCE's side of the caller dialog: the To tag of its 200"
    );
    assert_eq!(sim.outcomes()[0].cause, EndCause::BuyerBye);
}

#[test]
fn an_in_dialog_info_is_relayed_and_answered() {
    let (mut sim, _) = connected();
    let ok = ok_to_caller(&sim);
    sim.take();
    sim.deliver(from_caller("INFO", 2, &ok), CALLER);
    let info = sim
        .sent_request(BUYER1, &Method::INFO)
        .expect("INFO relayed to the buyer");
    sim.take();
    let mut r = dce_sip::Response::for_request(&info, StatusCode::OK, "OK");
    r.set_to_tag("buyer").unwrap();
    sim.deliver(dce_sip::Message::Response(r), BUYER1);
    assert_eq!(sim.take(), [(CALLER.into(), "SIP/2.0 200 OK".into())]);
}

#[test]
fn a_re_invite_is_relayed_and_its_2xx_acked_on_the_far_leg() {
    let (mut sim, _) = connected();
    let ok = ok_to_caller(&sim);
    sim.take();
    sim.deliver(from_caller("INVITE", 2, &ok), CALLER);
    let reinvite = sim
        .sent_request(BUYER1, &Method::INVITE)
        .expect("re-INVITE relayed");
    assert_eq!(reinvite.headers().cseq().unwrap().seq, 2);
    sim.take();
    let mut r = dce_sip::Response::for_request(&reinvite, StatusCode::OK, "OK");
    r.set_to_tag("buyer").unwrap();
    sim.deliver(dce_sip::Message::Response(r), BUYER1);
    let sent = sim.take();
    assert!(
        sent.contains(&(CALLER.into(), "SIP/2.0 200 OK".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&(BUYER1.into(), "ACK sip:buyer@10.0.0.2:5060 SIP/2.0".into())),
        "DCE ACKs the buyer's 2xx to its re-INVITE: {sent:?}"
    );
}

#[test]
fn an_answered_call_is_recorded_open_at_answer_and_closed_with_its_duration() {
    let (mut sim, _) = connected();
    let ok = ok_to_caller(&sim);
    assert_eq!(sim.cdrs.len(), 1);
    let (what, open) = sim.cdrs[0].clone();
    assert_eq!(what, "open");
    assert!(open.is_open());
    assert_eq!(open.target.map(|t| t.0), Some(1));
    assert_eq!(
        open.terms.as_ref().unwrap().price.to_string(),
        "10.00",
        "the winning bid"
    );
    sim.advance(Duration::from_secs(95));
    sim.deliver(from_caller("BYE", 2, &ok), CALLER);
    let (what, closed) = &sim.cdrs[1];
    assert_eq!(*what, "close");
    assert_eq!(closed.id, open.id);
    let end = closed.end.as_ref().unwrap();
    assert_eq!(end.connected, Duration::from_secs(95));
    assert_eq!(end.cause.as_str(), "bye");
    assert!(closed.rate().unwrap().billable());
}
