//! Helpers shared by the scenarios: addresses, packets, sessions.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dce_media::{
    Direction, Latch, Leg, LegPorts, LocalSocket, RelaySession, RemoteMedia, SessionConfig,
};

pub(crate) const CALLER_SDP: &str = "203.0.113.10:16384";
pub(crate) const BUYER_SDP: &str = "192.0.2.50:7078";

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

/// An RTP packet: version 2, given payload type, sequence, timestamp.
pub(crate) fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

/// An empty RTCP receiver report (RFC 3550 §6.4.2).
pub(crate) fn rtcp_rr(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 201, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

pub(crate) fn remote(rtp: &str) -> RemoteMedia {
    let rtp = addr(rtp);
    RemoteMedia {
        rtp: Some(rtp),
        rtcp: Some(SocketAddr::new(rtp.ip(), rtp.port() + 1)),
        mux: false,
        direction: Direction::SendRecv,
        hold: false,
        clock_rate: 8_000,
        telephone_event: Some(101),
    }
}

pub(crate) const CALLER_PORTS: LegPorts = LegPorts {
    rtp: 30_000,
    rtcp: Some(30_001),
};
pub(crate) const BUYER_PORTS: LegPorts = LegPorts {
    rtp: 30_002,
    rtcp: Some(30_003),
};

pub(crate) fn rtp_at(leg: Leg) -> LocalSocket {
    LocalSocket {
        leg,
        component: dce_media::Component::Rtp,
    }
}

pub(crate) fn rtcp_at(leg: Leg) -> LocalSocket {
    LocalSocket {
        leg,
        component: dce_media::Component::Rtcp,
    }
}

/// A session whose two parties have sent their SDP.
pub(crate) fn session(t0: Instant, latch: Latch) -> RelaySession {
    let config = SessionConfig {
        latch,
        relatch_after: Duration::from_secs(3),
        ..SessionConfig::default()
    };
    let mut s = RelaySession::new(t0, config, CALLER_PORTS, BUYER_PORTS);
    s.update_remote(Leg::Caller, remote(CALLER_SDP));
    s.update_remote(Leg::Buyer, remote(BUYER_SDP));
    // The SDP exchange happened at t0: the inactivity clock starts there.
    s.handle_timeout(t0);
    s
}

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/sdp/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("fixture")
}

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
