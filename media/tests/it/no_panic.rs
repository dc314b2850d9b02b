//! No input panics: random and mutated bytes into the SDP parser, the
//! header views and a relay session.

use std::time::Instant;

use dce_media::relay::{RtcpHeader, RtpHeader};
use dce_media::{Latch, Leg, LegPorts, Sdp};
use proptest::prelude::*;

use crate::common::*;

proptest! {
    #[test]
    fn sdp_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(mut sdp) = Sdp::parse(&bytes) {
            let _ = sdp.is_hold();
            for i in 0..sdp.media().len() {
                let _ = sdp.remote_media(i);
            }
            sdp.anchor(0, "198.18.0.1".parse().expect("ip"), LegPorts { rtp: 30000, rtcp: None });
            prop_assert!(Sdp::parse(&sdp.to_bytes()).is_ok());
        }
    }

    #[test]
    fn sdp_mutations_never_panic(pos in 0usize..600, byte in any::<u8>(), cut in 0usize..600) {
        let mut body = fixture("unknown-attributes.sdp");
        let len = body.len();
        body[pos % len] = byte;
        body.truncate(cut.max(1));
        if let Ok(mut sdp) = Sdp::parse(&body) {
            let _ = sdp.remote_media(0);
            sdp.anchor(0, "::1".parse().expect("ip"), LegPorts { rtp: 2, rtcp: Some(3) });
        }
    }

    #[test]
    fn packets_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..64), port in any::<u16>()) {
        let _ = RtpHeader::parse(&bytes);
        let _ = RtcpHeader::parse(&bytes);
        let t0 = Instant::now();
        let mut s = session(t0, Latch::AnyOnce);
        let src = std::net::SocketAddr::new([10, 0, 0, 1].into(), port);
        let _ = s.handle_packet(t0, rtp_at(Leg::Caller), src, &mut bytes);
        let _ = s.handle_packet(t0, rtcp_at(Leg::Buyer), src, &mut bytes);
    }
}
