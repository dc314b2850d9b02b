//! DCE's media engine: SDP rewriting and the RTP relay that anchors every
//! call's media through DCE. No SIP transactions, no money: call control
//! (`src/switch`) tells it which SDP belongs to which call leg.
//!
//! # Layout
//! - [`sdp`]: parse, read and rewrite offers/answers (RFC 8866, 3264).
//! - [`relay`]: sans-IO — [`PortPool`], [`RelaySession`] (latching,
//!   forwarding decisions, RFC 3550 stats, inactivity).
//! - `driver.rs`: [`MediaEngine`], the only code with sockets and a clock.
//!
//! # Drive loop
//! One tokio task per call owns that call's sockets and its
//! [`RelaySession`]: on each datagram `handle_packet(now, …)` says where
//! to send the same buffer; on the timer `handle_timeout(now)`; after
//! both, `poll_event()` and `poll_timeout()`. Tests drive sessions with
//! instants they choose.
#![warn(missing_docs, unreachable_pub)]

mod driver;
pub mod relay;
pub mod sdp;

pub use driver::{
    CallId, EngineCounters, FinalStats, MediaConfig, MediaEngine, MediaError, MediaEvent,
    SessionPorts,
};
pub use relay::{
    Component, DropReason, Forwarding, Latch, Leg, LegPorts, LocalSocket, PortPool, RelaySession,
    SessionConfig, SessionEvent, SessionStats, StreamStats,
};
pub use sdp::{Direction, RemoteMedia, Sdp, SdpError};
