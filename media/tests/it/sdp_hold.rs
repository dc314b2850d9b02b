//! Hold detection (RFC 3264 §8.4): sendonly/inactive, or the older
//! c=0.0.0.0; direction attributes pass through the rewrite.

use dce_media::{Direction, LegPorts, Sdp};

use crate::common::fixture;

#[test]
fn zero_address_and_sendonly_is_hold() {
    let mut sdp = Sdp::parse(&fixture("hold.sdp")).expect("parse");
    assert!(sdp.is_hold());
    assert_eq!(sdp.direction(0), Direction::SendOnly);
    let remote = sdp.remote_media(0).expect("audio");
    assert!(remote.hold);
    assert_eq!(remote.rtp, None);
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001),
        },
    );
    // The relay address replaces 0.0.0.0; sendonly still says "hold".
    let out = sdp.to_string();
    assert!(out.contains("a=sendonly\r\n") && out.contains("c=IN IP4 198.18.0.1"));
    assert!(Sdp::parse(out.as_bytes()).expect("parse").is_hold());
}

#[test]
fn directions_read_at_both_levels() {
    let base = "v=0\r\nc=IN IP4 192.0.2.1\r\n";
    let case = |session: &str, media: &str| {
        let body = format!("{base}{session}m=audio 4000 RTP/AVP 0\r\n{media}");
        let sdp = Sdp::parse(body.as_bytes()).expect("parse");
        (sdp.direction(0), sdp.is_hold())
    };
    assert_eq!(case("", ""), (Direction::SendRecv, false));
    assert_eq!(case("a=inactive\r\n", ""), (Direction::Inactive, true));
    assert_eq!(
        case("a=inactive\r\n", "a=sendrecv\r\n"),
        (Direction::SendRecv, false)
    );
    assert_eq!(case("", "a=recvonly\r\n"), (Direction::RecvOnly, false));
    assert_eq!(case("", "a=sendonly\r\n"), (Direction::SendOnly, true));
}
