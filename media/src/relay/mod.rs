//! The RTP relay, sans-IO: a [`PortPool`] of local port pairs, and one
//! [`RelaySession`] per call that latches each party's real address,
//! decides where every packet goes, keeps RFC 3550 statistics and reports
//! media inactivity.
//!
//! - `ports.rs`: the port range (RTP even, RTCP odd).
//! - `rtp.rs`: RTP/RTCP header views, RFC 5761 demultiplexing.
//! - `latch.rs`: symmetric RTP latching policy.
//! - `stats.rs`: loss and jitter (RFC 3550 A.1, A.3, A.8).
//! - `session.rs`: the session machine.

mod latch;
mod ports;
mod rtp;
mod session;
mod stats;

pub use latch::Latch;
pub use ports::{LegPorts, PortPool};
pub use rtp::{is_rtcp, RtcpHeader, RtpHeader, Ssrc};
pub use session::{
    Component, DropReason, Forwarding, Leg, LocalSocket, RelaySession, SessionConfig, SessionEvent,
    SessionStats,
};
pub use stats::StreamStats;
