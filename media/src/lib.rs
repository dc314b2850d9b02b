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
//! A few relay worker threads (one per core) each own many calls'
//! sockets and [`RelaySession`]s in an epoll loop: on each datagram
//! `handle_packet(now, …)` says where to send the same buffer; on a
//! coarse timer tick `handle_timeout(now)`; after both, `poll_event()`.
//! Call control talks to them through [`MediaEngine`]. Tests drive
//! sessions with instants they choose. Why this shape: the top of
//! `driver.rs`.
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
