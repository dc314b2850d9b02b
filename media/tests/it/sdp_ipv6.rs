//! IPv6: `c=IN IP6` read and written, on either side of the relay.

use std::net::IpAddr;

use dce_media::{LegPorts, Sdp};

use crate::common::fixture;

#[test]
fn ipv6_offer_read_and_anchored_to_ipv4_or_ipv6() {
    let body = fixture("ipv6.sdp");
    let sdp = Sdp::parse(&body).expect("parse");
    let remote = sdp.remote_media(0).expect("audio");
    assert_eq!(remote.rtp, "[2001:db8::10]:40000".parse().ok());
    assert_eq!(remote.rtcp, "[2001:db8::10]:40001".parse().ok());

    let mut v6 = sdp.clone();
    let relay6: IpAddr = "2001:db8::1".parse().expect("ip");
    v6.anchor(
        0,
        relay6,
        LegPorts {
            rtp: 30000,
            rtcp: Some(30001),
        },
    );
    let out = v6.to_string();
    assert!(
        out.contains("c=IN IP6 2001:db8::1\r\n")
            && out.contains("a=rtcp:30001 IN IP6 2001:db8::1\r\n"),
        "{out}"
    );
    // The o= line keeps the offerer's session and version, not its address.
    assert!(out.contains("o=- 42 1 IN IP6 2001:db8::1\r\n"), "{out}");

    // The relay can bridge families: an IPv6 party, an IPv4 buyer side.
    let mut v4 = sdp;
    v4.anchor(
        0,
        "198.18.0.1".parse().expect("ip"),
        LegPorts {
            rtp: 30002,
            rtcp: Some(30003),
        },
    );
    assert!(v4.to_string().contains("c=IN IP4 198.18.0.1\r\n"));
}
