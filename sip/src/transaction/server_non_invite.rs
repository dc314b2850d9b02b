//! The non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8).
//!
//! ```text
//!        request: to the TU
//!          Trying (request again: absorbed)
//!     1xx /    \ 200-699 from TU
//!  Proceeding --+--> Completed -- Timer J --> Terminated
//!  (request again: last response again, in both)
//! ```

use std::time::Instant;

use super::timer::Timer;
use super::{Io, TransactionError};
use crate::{Peer, Response};

/// A non-INVITE server transaction.
#[derive(Debug)]
pub(crate) struct ServerNonInvite {
    /// Where responses go (RFC 3261 §18.2.2).
    peer: Peer,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for the TU; retransmissions are absorbed.
    Trying,
    /// A provisional was sent.
    Proceeding {
        last: Response,
    },
    /// The final was sent; request retransmissions get it again.
    Completed {
        last: Response,
        j_at: Instant,
    },
    Terminated,
}

impl ServerNonInvite {
    /// A transaction in Trying.
    pub(crate) fn new(peer: Peer) -> ServerNonInvite {
        ServerNonInvite {
            peer,
            state: State::Trying,
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    /// Whether `timer` is armed for `at`.
    pub(crate) fn is_armed(&self, timer: Timer, at: Instant) -> bool {
        matches!((&self.state, timer), (State::Completed { j_at, .. }, Timer::J) if *j_at == at)
    }

    /// The request came again (§17.2.2).
    pub(crate) fn on_retransmission(&mut self, io: &mut Io<'_>) {
        if let State::Proceeding { last } | State::Completed { last, .. } = &self.state {
            io.send_response(self.peer, last);
        }
    }

    /// The TU (or the layer, for CANCEL) sends a response.
    pub(crate) fn respond(
        &mut self,
        response: Response,
        io: &mut Io<'_>,
    ) -> Result<(), TransactionError> {
        if !matches!(self.state, State::Trying | State::Proceeding { .. }) {
            return Err(TransactionError::FinalAlreadySent);
        }
        io.send_response(self.peer, &response);
        if response.status().is_provisional() {
            self.state = State::Proceeding { last: response };
        } else {
            let reliable = self.peer.protocol.is_reliable();
            self.state = match io.arm(Timer::J, reliable) {
                Some(j_at) if j_at > io.now => State::Completed {
                    last: response,
                    j_at,
                },
                _ => State::Terminated,
            };
        }
        Ok(())
    }

    /// A timer fired; the layer checked it is armed.
    pub(crate) fn on_timer(&mut self, timer: Timer) {
        if let (State::Completed { .. }, Timer::J) = (&self.state, timer) {
            self.state = State::Terminated;
        }
    }
}
