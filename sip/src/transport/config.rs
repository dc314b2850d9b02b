//! What the transports bind and the limits they keep.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to listen for SIP.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// UDP and TCP listen on this one address and port (RFC 3261 §18: a
    /// server listening on UDP also listens on TCP on the same port).
    /// Port 0 picks a free port shared by both.
    pub listen: SocketAddr,
    /// A TLS listener, when set.
    pub tls: Option<TlsListen>,
    /// Largest message in bytes: larger UDP datagrams are dropped, and a
    /// larger message on a stream closes the connection (its framing can
    /// no longer be trusted). Also the largest message [`send`] accepts.
    ///
    /// [`send`]: crate::Transports::send
    pub max_message: usize,
    /// Capacity to give the channel to the switch. The caller creates
    /// that channel and hands its sender to
    /// [`Transports::bind`](crate::Transports::bind):
    /// `mpsc::channel(config.inbound_queue)`.
    pub inbound_queue: usize,
    /// Stream connections (accepted and opened) alive at once; new ones
    /// past it are refused.
    pub max_connections: usize,
    /// A stream connection with no traffic either way for this long is
    /// closed.
    pub idle_timeout: Duration,
    /// How long an outbound TCP connect plus TLS handshake may take; an
    /// accepted TLS handshake gets the same bound.
    pub connect_timeout: Duration,
    /// PEM file of the CAs trusted for outbound TLS, in place of the
    /// Mozilla roots (`webpki-roots`).
    pub tls_client_roots: Option<PathBuf>,
}

/// A TLS listener (SIPS, RFC 3261 §26.2), certificate and key in PEM.
#[derive(Clone, Debug)]
pub struct TlsListen {
    /// Address and port, usually 5061.
    pub listen: SocketAddr,
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TransportConfig {
    /// Defaults with this listen address.
    pub fn new(listen: SocketAddr) -> TransportConfig {
        TransportConfig {
            listen,
            tls: None,
            max_message: 64 * 1024,
            inbound_queue: 4096,
            max_connections: 10_000,
            idle_timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(5),
            tls_client_roots: None,
        }
    }
}

impl Default for TransportConfig {
    /// `0.0.0.0:5060`, 64 KiB messages, 4096 queued, 10 000 connections,
    /// 10 minutes idle.
    fn default() -> Self {
        TransportConfig::new(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5060)))
    }
}
