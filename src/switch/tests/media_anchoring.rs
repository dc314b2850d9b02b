//! A call's media anchored through the real relay (sockets on 127.0.0.1,
//! advertised as 192.0.2.9): every SDP each party sees points at DCE, the
//! session is released with the call and its stats land in the CDR; a
//! media timeout ends a connected call; a bypass campaign's SDP is
//! untouched.

use super::sim::*;
use crate::switch::EndCause;
use dce_marketplace::domain::MediaMode;
use dce_media::Sdp;
use dce_sip::{Message, Method, Request, Response, StatusCode};
use std::time::Duration;

const CALLER_SDP: &str =
    "v=0\r\no=caller 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\na=x-carrier-tag:kept\r\na=sendrecv\r\n";
const BUYER_SDP: &str =
    "v=0\r\no=buyer 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n\
m=audio 50000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

fn with_sdp(message: Message, sdp: &str) -> Message {
    let body = bytes::Bytes::from(sdp.to_string());
    match message {
        Message::Request(mut r) => {
            r.set_body(body, Some("application/sdp")).unwrap();
            Message::Request(r)
        }
        Message::Response(mut r) => {
            r.set_body(body, Some("application/sdp")).unwrap();
            Message::Response(r)
        }
    }
}

/// (address, port) of the first audio stream of a body.
fn audio_at(body: &[u8]) -> (String, u16) {
    let sdp = Sdp::parse(body).expect("an SDP body");
    let i = sdp.first_audio().expect("audio");
    let remote = sdp.remote_media(i).expect("an address");
    let rtp = remote.rtp.expect("rtp address");
    (rtp.ip().to_string(), rtp.port())
}

fn last_response_to_caller(sim: &Sim, status: u16) -> Response {
    sim.sent
        .iter()
        .rev()
        .find_map(|t| match &t.message {
            Message::Response(r)
                if r.status().as_u16() == status && t.peer.addr.to_string() == CALLER =>
            {
                Some(r.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("a {status} to the caller"))
}

fn free_pairs(sim: &Sim) -> usize {
    sim.media.as_ref().unwrap().1.free_port_pairs()
}

/// A call answered by buyer 1 with early media first; returns DCE's INVITE.
fn connect(sim: &mut Sim) -> Request {
    sim.deliver(with_sdp(caller_invite(), CALLER_SDP), CALLER);
    let invite = sim
        .sent_request(BUYER1, &Method::INVITE)
        .expect("INVITE to buyer 1");
    sim.deliver(
        with_sdp(
            answer(&invite, StatusCode::SESSION_PROGRESS, BUYER1),
            BUYER_SDP,
        ),
        BUYER1,
    );
    sim.deliver(
        with_sdp(answer(&invite, StatusCode::OK, BUYER1), BUYER_SDP),
        BUYER1,
    );
    let ok = ok_to_caller(sim);
    sim.deliver(caller_ack(&ok), CALLER);
    invite
}

#[test]
fn every_sdp_points_at_the_relay_and_the_record_gets_its_stats() {
    let mut sim = Sim::with_media(41_000..=41_019, MediaMode::Relay);
    let all = free_pairs(&sim);
    let invite = connect(&mut sim);
    assert_eq!(
        free_pairs(&sim),
        all - 2,
        "two port pairs while the call is up"
    );

    // The buyer is offered the relay's buyer-facing port, codecs and
    // unknown attributes as the caller wrote them.
    let (ip, buyer_facing) = audio_at(invite.body());
    assert_eq!(ip, "192.0.2.9");
    assert!((41_000..=41_019).contains(&buyer_facing) && buyer_facing % 2 == 0);
    let offer = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(
        offer.contains("m=audio ") && offer.contains(" RTP/AVP 0 101\r\n"),
        "{offer}"
    );
    assert!(offer.contains("a=x-carrier-tag:kept\r\n"), "{offer}");
    assert!(
        !offer.contains("10.0.0.1"),
        "the caller's address is hidden: {offer}"
    );

    // The caller sees the relay's caller-facing port in the 183 and the 200.
    let early = last_response_to_caller(&sim, 183);
    let ok = ok_to_caller(&sim);
    let (ip183, caller_facing) = audio_at(early.body());
    assert_eq!(ip183, "192.0.2.9");
    assert_ne!(caller_facing, buyer_facing);
    assert_eq!(
        audio_at(ok.body()),
        ("192.0.2.9".to_string(), caller_facing)
    );
    assert!(!String::from_utf8_lossy(ok.body()).contains("10.0.0.2"));

    sim.deliver(from_caller("BYE", 2, &ok), CALLER);
    let (_, cdr) = sim
        .cdrs
        .iter()
        .find(|(k, _)| *k == "close")
        .expect("closed CDR");
    let media = cdr.media.as_ref().expect("media stats in the CDR");
    assert_eq!(media["from_caller"]["packets"], 0);
    assert_eq!(media["from_buyer"]["lost"], 0);
    assert_eq!(free_pairs(&sim), all, "ports back in the pool");
}

#[test]
fn a_reinvite_is_anchored_both_ways() {
    let mut sim = Sim::with_media(41_020..=41_039, MediaMode::Relay);
    let invite = connect(&mut sim);
    let caller_facing = audio_at(ok_to_caller(&sim).body()).1;
    sim.take();
    // The buyer moves its media (new port) and puts the call on hold.
    let moved = BUYER_SDP
        .replace("50000", "50010")
        .replace("sendrecv", "sendonly");
    sim.deliver(with_sdp(from_buyer("INVITE", &invite), &moved), BUYER1);
    let reinvite = sim
        .sent_request(CALLER, &Method::INVITE)
        .expect("re-INVITE to the caller");
    assert_eq!(
        audio_at(reinvite.body()),
        ("192.0.2.9".to_string(), caller_facing),
        "the caller keeps sending to the same relay port"
    );
    assert!(String::from_utf8_lossy(reinvite.body()).contains("a=sendonly\r\n"));
    // The caller's answer goes back to the buyer pointing at the relay.
    let mut answer_ok = Response::for_request(&reinvite, StatusCode::OK, "OK");
    let _ = answer_ok.set_to_tag("caller");
    let answer_sdp = CALLER_SDP.replace("sendrecv", "recvonly");
    sim.deliver(with_sdp(Message::Response(answer_ok), &answer_sdp), CALLER);
    let to_buyer = sim
        .sent
        .iter()
        .find_map(|t| match &t.message {
            Message::Response(r)
                if r.status() == StatusCode::OK && t.peer.addr.to_string() == BUYER1 =>
            {
                Some(r.clone())
            }
            _ => None,
        })
        .expect("the 200 relayed to the buyer");
    let (ip, port) = audio_at(to_buyer.body());
    assert_eq!(ip, "192.0.2.9");
    assert_eq!(port, audio_at(invite.body()).1, "the buyer-facing port");
}

#[test]
fn an_offer_the_relay_cannot_use_gets_488_and_takes_no_ports() {
    let mut sim = Sim::with_media(41_040..=41_059, MediaMode::Relay);
    let all = free_pairs(&sim);
    let video_only = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
m=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    sim.deliver(with_sdp(caller_invite(), video_only), CALLER);
    let _ = last_response_to_caller(&sim, 488);
    assert!(sim.sent_request(BUYER1, &Method::INVITE).is_none());
    assert_eq!(free_pairs(&sim), all);
}

#[test]
fn a_buyer_answer_without_usable_sdp_falls_back_to_the_next_buyer() {
    let mut sim = Sim::with_media(41_060..=41_079, MediaMode::Relay);
    sim.deliver(with_sdp(caller_invite(), CALLER_SDP), CALLER);
    let invite1 = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(
        with_sdp(answer(&invite1, StatusCode::OK, BUYER1), "garbage"),
        BUYER1,
    );
    assert!(
        sim.sent_request(BUYER1, &Method::BYE).is_some(),
        "buyer 1 hung up"
    );
    let invite2 = sim
        .sent_request(BUYER2, &Method::INVITE)
        .expect("buyer 2 tried");
    assert_eq!(
        audio_at(invite2.body()),
        audio_at(invite1.body()),
        "same relay ports"
    );
}

#[test]
fn silence_ends_a_connected_call_with_the_media_timeout_cause() {
    let mut sim = Sim::with_media(41_080..=41_099, MediaMode::Relay);
    sim.deliver(with_sdp(caller_invite(), CALLER_SDP), CALLER);
    // Reported while ringing: ignored (the answer restarts the relay's clock).
    sim.core
        .handle_media_inactive(sim.now, &dce_media::CallId::from("1"));
    assert!(sim.sent_request(CALLER, &Method::BYE).is_none());
    let invite = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    sim.deliver(
        with_sdp(answer(&invite, StatusCode::OK, BUYER1), BUYER_SDP),
        BUYER1,
    );
    let ok = ok_to_caller(&sim);
    sim.deliver(caller_ack(&ok), CALLER);
    sim.take();
    sim.advance(Duration::from_secs(60));
    sim.core
        .handle_media_inactive(sim.now, &dce_media::CallId::from("1"));
    sim.flush();
    assert!(
        sim.sent_request(CALLER, &Method::BYE).is_some(),
        "BYE to the caller"
    );
    assert!(
        sim.sent_request(BUYER1, &Method::BYE).is_some(),
        "BYE to the buyer"
    );
    assert_eq!(sim.outcomes()[0].cause, EndCause::MediaTimeout);
    let (_, cdr) = sim.cdrs.iter().find(|(k, _)| *k == "close").unwrap();
    assert_eq!(
        cdr.end.as_ref().map(|e| e.cause.as_str()),
        Some("media_timeout")
    );
}

#[test]
fn a_bypass_campaign_passes_sdp_unchanged() {
    let mut sim = Sim::with_media(41_100..=41_119, MediaMode::Bypass);
    let all = free_pairs(&sim);
    sim.deliver(with_sdp(caller_invite(), CALLER_SDP), CALLER);
    let invite = sim.sent_request(BUYER1, &Method::INVITE).unwrap();
    assert_eq!(&invite.body()[..], CALLER_SDP.as_bytes());
    assert_eq!(free_pairs(&sim), all);
}
