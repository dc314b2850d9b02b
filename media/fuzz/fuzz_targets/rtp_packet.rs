//! RTP/RTCP from anyone who can reach a relay port: the header views and
//! a relay session's forwarding decision, on both socket kinds.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dce_media::relay::{is_rtcp, RtcpHeader, RtpHeader};
use dce_media::{Component, Leg, LegPorts, LocalSocket, RelaySession, SessionConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = (RtpHeader::parse(data), RtcpHeader::parse(data), is_rtcp(data));
    let t0 = Instant::now();
    let mut session = RelaySession::new(
        t0,
        SessionConfig::default(),
        LegPorts { rtp: 30_000, rtcp: Some(30_001) },
        LegPorts { rtp: 30_002, rtcp: None },
    );
    // Split the input into packets at 0xff bytes, from alternating sources.
    for (i, chunk) in data.split(|b| *b == 0xff).enumerate() {
        let mut packet = chunk.to_vec();
        let leg = if i % 2 == 0 { Leg::Caller } else { Leg::Buyer };
        let component = if i % 3 == 0 { Component::Rtcp } else { Component::Rtp };
        let src = SocketAddr::from(([10, 0, 0, (i % 4) as u8], 4000 + (i % 2) as u16));
        let now = t0 + Duration::from_millis(20 * i as u64);
        let _ = session.handle_packet(now, LocalSocket { leg, component }, src, &mut packet);
        session.handle_timeout(now);
        while session.poll_event().is_some() {}
    }
    let _ = session.session_stats();
});
