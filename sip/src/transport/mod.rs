//! SIP transports (RFC 3261 §18): the only socket code of the SIP stack.
//!
//! - `config`: what to bind and the limits that keep a peer from making
//!   us buffer without bound
//! - `transports`: the [`Transports`] handle: bind, send, stats, shutdown
//! - `udp`: one socket for receiving and sending, shedding when the
//!   switch falls behind
//! - `tcp`: listeners and outbound connects for TCP and TLS
//! - `connection`: one stream connection: framing, keep-alives, idle
//!   timeout, a bounded send queue
//! - `registry`: open stream connections by peer, and their limit
//! - `tls`: rustls server and client configurations (ring provider)
//! - `inbound`, `stats`, `error`: what comes in, what is counted, what
//!   can go wrong on the way out
//!
//! Every datagram or stream frame becomes an [`Inbound`] on a bounded
//! channel the caller owns. When that channel is full, UDP sheds (the
//! sender retransmits, RFC 3261 §17.1.1.2) while stream readers wait, so
//! TCP flow control pushes back on the peer.

mod config;
mod connection;
mod error;
mod inbound;
mod registry;
mod stats;
mod tcp;
mod tls;
mod transports;
mod udp;

pub use config::{TlsListen, TransportConfig};
pub use error::SendError;
pub use inbound::{Inbound, Received};
pub use stats::TransportStats;
pub use transports::Transports;
