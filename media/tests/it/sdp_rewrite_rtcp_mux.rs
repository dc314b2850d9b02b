//! a=rtcp and a=rtcp-mux: rewritten to the relay's RTCP port (or the RTP
//! port when muxed), mux kept so the parties negotiate it end to end.

use dce_media::{LegPorts, Sdp};

use crate::common::fixture;

#[test]
fn browser_offer_keeps_mux_and_loses_ice() {
    let mut sdp = Sdp::parse(&fixture("webrtc-rtcp-mux.sdp")).expect("parse");
    let remote = sdp.remote_media(0).expect("audio");
    assert!(remote.mux);
    // c=0.0.0.0 with ICE: no usable address before latching.
    assert_eq!(remote.rtp, None);
    assert_eq!(remote.clock_rate, 48_000);
    // 0.0.0.0 with ICE is trickle's placeholder, not a hold.
    assert!(!remote.hold && !sdp.is_hold());
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30000,
            rtcp: None,
        },
    );
    let out = sdp.to_string();
    assert!(out.contains("m=audio 30000 UDP/TLS/RTP/SAVPF 111 0 8 126\r\nc=IN IP4 198.18.0.1\r\na=rtcp:30000 IN IP4 198.18.0.1\r\n"), "{out}");
    assert!(out.contains("a=rtcp-mux\r\n"));
    assert!(!out.contains("ice-"), "{out}");
    assert!(out.contains("a=fingerprint:sha-256 DA:39"));
    assert!(out.contains("a=group:BUNDLE 0\r\n"));
}

#[test]
fn rtcp_attribute_follows_relay_port() {
    let mut sdp = Sdp::parse(&fixture("unknown-attributes.sdp")).expect("parse");
    assert_eq!(
        sdp.remote_media(0).and_then(|r| r.rtcp),
        "198.51.100.7:31115".parse().ok()
    );
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30010,
            rtcp: Some(30011),
        },
    );
    assert!(sdp
        .to_string()
        .contains("a=rtcp:30011 IN IP4 198.18.0.1\r\n"));

    let body = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n";
    let mut sdp = Sdp::parse(body.as_bytes()).expect("parse");
    sdp.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30010,
            rtcp: Some(30011),
        },
    );
    assert!(sdp.to_string().contains("a=rtcp:30011\r\n"));
}
