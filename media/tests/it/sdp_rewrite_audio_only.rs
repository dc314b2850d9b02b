//! An audio-only carrier offer anchored: c= and m= point at the relay,
//! codec list and order and every other line unchanged.

use dce_media::{LegPorts, Sdp};

use crate::common::fixture;

#[test]
fn carrier_offer_anchored() {
    let mut sdp = Sdp::parse(&fixture("carrier-offer.sdp")).expect("parse");
    let remote = sdp.remote_media(0).expect("audio");
    assert_eq!(
        remote.rtp,
        Some("203.0.113.10:16384".parse().expect("addr"))
    );
    assert_eq!(
        remote.rtcp,
        Some("203.0.113.10:16385".parse().expect("addr"))
    );
    assert_eq!(
        (remote.clock_rate, remote.telephone_event, remote.hold),
        (8000, Some(101), false)
    );

    assert!(sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001)
        }
    ));
    let expected = String::from_utf8(fixture("carrier-offer.sdp"))
        .expect("utf8")
        .replace("IN IP4 203.0.113.10", "IN IP4 198.18.0.1")
        .replace("m=audio 16384 ", "m=audio 30000 ");
    assert_eq!(sdp.to_string(), expected);
}

#[test]
fn other_streams_disabled_and_missing_c_added() {
    let body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n\
                m=video 5000 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\n\
                m=audio 4000 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 192.0.2.1\r\n\
                m=audio 4002 RTP/AVP 8\r\na=x\r\n";
    let mut sdp = Sdp::parse(body.as_bytes()).expect("parse");
    assert_eq!(sdp.first_audio(), Some(1));
    assert!(sdp.anchor(
        1,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001)
        }
    ));
    let out = sdp.to_string();
    assert!(out.contains("m=video 0 RTP/AVP 96\r\n"), "{out}");
    assert!(
        out.contains("m=audio 30000 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 198.18.0.1\r\n"),
        "{out}"
    );
    assert!(out.contains("m=audio 0 RTP/AVP 8\r\na=x\r\n"), "{out}");
    assert!(!sdp.anchor(
        7,
        "198.18.0.1".parse().expect("ip"),
        LegPorts { rtp: 1, rtcp: None }
    ));

    // No c= anywhere for the anchored stream: one is added after i=.
    let body = "v=0\r\nm=audio 4000 RTP/AVP 0\r\ni=x\r\nb=AS:64\r\n";
    let mut sdp = Sdp::parse(body.as_bytes()).expect("parse");
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: None,
        },
    );
    assert_eq!(
        sdp.to_string(),
        "v=0\r\nm=audio 30000 RTP/AVP 0\r\ni=x\r\nc=IN IP4 198.18.0.1\r\nb=AS:64\r\n"
    );
}
