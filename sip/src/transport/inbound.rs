//! What the transports hand to the switch.

use std::time::Instant;

use bytes::Bytes;
use tracing::trace;

use super::stats::Counters;
use crate::{Disposition, Malformed, Message, Peer};

/// What arrived.
#[derive(Clone, Debug)]
pub enum Received {
    /// A message that parsed.
    Message(Message),
    /// A request that did not parse but can be answered: its
    /// [`Malformed::response`] is the `400` or `505` to send back. Those
    /// that cannot be answered are dropped here and only counted.
    Malformed(Malformed),
}

/// One datagram or stream frame, from whom, and when.
#[derive(Clone, Debug)]
pub struct Inbound {
    /// What arrived.
    pub received: Received,
    /// Who sent it; for streams, the connection's remote address, which
    /// is also where a response goes back (RFC 3261 §18.2.2).
    pub peer: Peer,
    /// When it was read off the socket.
    pub at: Instant,
}

/// Parses one datagram or frame; `None` when there is nothing for the
/// switch (a keep-alive, or garbage nobody can be answered for).
pub(super) fn classify(bytes: Bytes, peer: Peer, counters: &Counters) -> Option<Inbound> {
    // Some user agents send CRLF keep-alives over UDP too (RFC 5626 §3.5.1
    // defines them for streams only); they carry nothing to parse.
    if bytes
        .iter()
        .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
    {
        return None;
    }
    Counters::bump(&counters.received);
    let at = Instant::now();
    let received = match Message::parse_bytes(bytes) {
        Ok(message) => Received::Message(message),
        Err(malformed) => {
            Counters::bump(&counters.malformed);
            trace!(%peer, %malformed, "malformed message");
            match malformed.disposition() {
                Disposition::Respond(_) => Received::Malformed(malformed),
                Disposition::Drop => return None,
            }
        }
    };
    Some(Inbound { received, peer, at })
}
