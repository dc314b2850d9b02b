//! Every fixture (real offers and answers) prints back byte for byte.

use dce_media::Sdp;

use crate::common::fixture;

#[test]
fn fixtures_round_trip_byte_for_byte() {
    for name in [
        "carrier-offer.sdp",
        "unknown-attributes.sdp",
        "ipv6.sdp",
        "webrtc-rtcp-mux.sdp",
        "hold.sdp",
        "early-media-183.sdp",
    ] {
        let body = fixture(name);
        let sdp = Sdp::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&sdp.to_bytes()),
            String::from_utf8_lossy(&body),
            "{name}"
        );
    }
}

#[test]
fn malformed_bodies_are_errors() {
    use dce_media::SdpError::*;
    assert_eq!(Sdp::parse(b""), Err(MissingVersion));
    assert_eq!(
        Sdp::parse(b"o=- 1 1 IN IP4 1.2.3.4\r\n"),
        Err(MissingVersion)
    );
    assert_eq!(
        Sdp::parse(b"v=0\r\nno equals\r\n"),
        Err(BadLine { line: 2 })
    );
    assert_eq!(
        Sdp::parse(b"v=0\r\nm=audio x RTP/AVP 0\r\n"),
        Err(BadMedia { line: 2 })
    );
    assert_eq!(
        Sdp::parse(b"v=0\r\nc=IN IP4 ::1\r\n"),
        Err(BadConnection { line: 2 })
    );
    assert_eq!(Sdp::parse(b"v=0\r\ns=\xff\r\n"), Err(NotUtf8));
    // Found by fuzzing: a bare CR inside a line (RFC 8866 §9 forbids it).
    assert_eq!(
        Sdp::parse(b"v=0\r\nm=audio 4000\r\ro=x RTP/AVP 0\r\n"),
        Err(BadLine { line: 2 })
    );
    assert_eq!(Sdp::parse(b"v=0\r\ns=a\0b\r\n"), Err(BadLine { line: 2 }));
    assert_eq!(Sdp::parse(&vec![b'a'; 20_000]), Err(TooLarge));
}
