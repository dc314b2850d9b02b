//! Why a message could not be handed to the network.

use crate::Protocol;

/// Why [`Transports::send`](crate::Transports::send) refused a message.
/// None of these is retried by the transport; a client transaction over
/// UDP retransmits on its own timers (RFC 3261 §17.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No open connection to that peer and none can be opened (WS/WSS
    /// peers must connect to us), or it closed while sending.
    #[error("no connection to that peer")]
    NoConnection,
    /// The connection's send queue, or the UDP socket buffer, is full:
    /// the peer or the network is not keeping up.
    #[error("send queue full")]
    QueueFull,
    /// Larger than `max_message`.
    #[error("message larger than the limit")]
    TooLarge,
    /// Opening a connection would pass `max_connections`.
    #[error("too many connections")]
    TooManyConnections,
    /// The transports were shut down.
    #[error("transports shut down")]
    Closed,
    /// The socket refused the datagram (network unreachable, ...).
    #[error("socket error: {0:?}")]
    Io(std::io::ErrorKind),
    /// Not served by these transports.
    #[error("{0} transport not available")]
    Unsupported(Protocol),
}
