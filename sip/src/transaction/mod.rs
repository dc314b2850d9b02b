//! The transaction layer of RFC 3261 §17, sans-IO.
//!
//! [`Transactions`] holds every client and server transaction of one
//! switch, keyed as §17.1.3 and §17.2.3 say (with the RFC 2543 fallback
//! for branches without the magic cookie), and one timer heap for them
//! all. The driver feeds it messages and the time, and drains what it
//! produces:
//!
//! ```text
//! handle_message(now, msg, peer) / handle_timeout(now) / TU calls
//!     then poll_transmit() until None  -> the transport
//!     then poll_event()    until None  -> the TU (call control)
//!     then poll_timeout()              -> when to call handle_timeout
//! ```
//!
//! Files, one machine each, states and timers named as in the RFC:
//! - `client_invite.rs`: Figure 5 plus RFC 6026 Accepted (Timer M)
//! - `client_non_invite.rs`: Figure 6
//! - `server_invite.rs`: Figure 7 plus RFC 6026 Accepted (Timer L)
//! - `server_non_invite.rs`: Figure 8
//! - `key.rs`: matching; `timer.rs`: Table 4; `routing.rs`: §18.2 and
//!   RFC 3581 (`received`, `rport`, where responses go)
//! - `layer.rs`: the table of transactions, CANCEL (§9), the timer heap
//!
//! What the layer does for the TU beyond the figures, because a B2BUA
//! needs it: `100 Trying` to every new INVITE, `200`/`481` to every
//! CANCEL, the ACK for non-2xx finals, and a CANCEL held back until the
//! first provisional (§9.1). 2xx responses and their ACKs stay end to end
//! (the TU sends the ACK with [`Transactions::send_stateless`]).

mod client_invite;
mod client_non_invite;
mod event;
mod key;
mod layer;
mod routing;
mod server_invite;
mod server_non_invite;
mod timer;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::{Message, Peer, Request, Response, Transmit};

pub use event::{Event, TransactionError};
pub use key::{new_branch, ClientKey, ServerKey};
pub use layer::Transactions;
pub use routing::response_peer;
pub use timer::{Config, Timer};

/// What a client machine hands up after a message or a timer.
#[derive(Debug)]
pub(crate) enum ClientUp {
    Nothing,
    /// A response for the TU.
    Response(Response),
    /// A response that matched but does not belong (a 2xx after our ACK).
    Stray(Response),
    /// Timer B or F.
    Timeout,
    /// The driver could not send.
    TransportError,
}

/// What a server machine hands up.
#[derive(Debug)]
pub(crate) enum ServerUp {
    Nothing,
    /// An ACK for the TU (RFC 6026 Accepted).
    Ack(Request),
    /// Timer H.
    AckTimeout,
}

/// A machine's view of the outside during one call: the time, the
/// config, where to put messages and which timers to arm.
pub(crate) struct Io<'a> {
    pub(crate) now: Instant,
    pub(crate) config: &'a Config,
    transmits: &'a mut VecDeque<Transmit>,
    timers: &'a mut Vec<(Instant, Timer)>,
}

impl Io<'_> {
    pub(crate) fn send_request(&mut self, peer: Peer, request: &Request) {
        self.transmits.push_back(Transmit {
            peer,
            message: Message::Request(request.clone()),
        });
    }

    pub(crate) fn send_response(&mut self, peer: Peer, response: &Response) {
        self.transmits.push_back(Transmit {
            peer,
            message: Message::Response(response.clone()),
        });
    }

    /// Arms `timer` for its Table 4 value and returns its instant; `None`
    /// when it is unused on this transport. A zero value is returned as
    /// `now` and not armed: the machine moves on at once.
    pub(crate) fn arm(&mut self, timer: Timer, reliable: bool) -> Option<Instant> {
        let d = self.config.initial(timer, reliable)?;
        if d.is_zero() {
            return Some(self.now);
        }
        Some(self.arm_after(timer, d))
    }

    /// Arms `timer` to fire `d` from now (at least 1 ms, so a zero T1
    /// cannot spin a retransmission loop within one `handle_timeout`).
    pub(crate) fn arm_after(&mut self, timer: Timer, d: Duration) -> Instant {
        let d = d.max(Duration::from_millis(1));
        let at = self.now.checked_add(d).unwrap_or(self.now);
        self.timers.push((at, timer));
        at
    }
}
