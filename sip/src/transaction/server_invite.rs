//! The INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with the
//! Accepted state of RFC 6026 §7.1.
//!
//! ```text
//!        INVITE: send 100 Trying
//!            Proceeding (INVITE again: last provisional again)
//!     2xx /      \ 300-699 from TU
//!  Accepted       Completed -- Timer G: final again (UDP)
//!  (INVITE: absorbed;  |   \-- Timer H ----------------> Terminated (AckTimeout)
//!   ACK: to the TU;    | ACK
//!   2xx: sent)      Confirmed -- Timer I -------------> Terminated
//!     \-- Timer L ----------------------------------> Terminated
//! ```

use std::time::{Duration, Instant};

use super::timer::Timer;
use super::{Io, ServerUp, TransactionError};
use crate::{Peer, Request, Response, StatusCode};

/// An INVITE server transaction.
#[derive(Debug)]
pub(crate) struct ServerInvite {
    /// Where responses go (RFC 3261 §18.2.2).
    peer: Peer,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for the TU's final; `last` is the latest provisional.
    Proceeding {
        last: Response,
    },
    /// A non-2xx final was sent; retransmitting it until the ACK.
    Completed {
        last: Response,
        g_at: Option<Instant>,
        g_interval: Duration,
        h_at: Instant,
    },
    /// The ACK came; absorbing ACK retransmissions.
    Confirmed {
        i_at: Instant,
    },
    /// A 2xx was sent (RFC 6026 §7.1): INVITE retransmissions absorbed,
    /// ACKs and the TU's 2xx retransmissions pass through.
    Accepted {
        l_at: Instant,
    },
    Terminated,
}

impl ServerInvite {
    /// Sends `100 Trying` at once (§17.2.1 allows the TU to skip it, but a
    /// B2BUA holding the INVITE for its auction must stop retransmissions).
    pub(crate) fn start(request: &Request, peer: Peer, io: &mut Io<'_>) -> ServerInvite {
        let trying = Response::for_request(request, StatusCode::TRYING, "Trying");
        io.send_response(peer, &trying);
        ServerInvite {
            peer,
            state: State::Proceeding { last: trying },
        }
    }

    pub(crate) fn is_proceeding(&self) -> bool {
        matches!(self.state, State::Proceeding { .. })
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    /// The latest response sent, while it is still kept.
    pub(crate) fn last_response(&self) -> Option<&Response> {
        match &self.state {
            State::Proceeding { last } | State::Completed { last, .. } => Some(last),
            _ => None,
        }
    }

    /// Whether `timer` is armed for `at`.
    pub(crate) fn is_armed(&self, timer: Timer, at: Instant) -> bool {
        match (&self.state, timer) {
            (State::Completed { g_at, .. }, Timer::G) => *g_at == Some(at),
            (State::Completed { h_at, .. }, Timer::H) => *h_at == at,
            (State::Confirmed { i_at }, Timer::I) => *i_at == at,
            (State::Accepted { l_at }, Timer::L) => *l_at == at,
            _ => false,
        }
    }

    /// The INVITE came again (§17.2.1): the last response goes again in
    /// Proceeding and Completed; Confirmed and Accepted absorb it.
    pub(crate) fn on_retransmission(&mut self, io: &mut Io<'_>) {
        if let State::Proceeding { last } | State::Completed { last, .. } = &self.state {
            io.send_response(self.peer, last);
        }
    }

    /// An ACK matched (§17.2.1; RFC 6026 §7.1 for Accepted).
    pub(crate) fn on_ack(&mut self, ack: Request, io: &mut Io<'_>) -> ServerUp {
        match self.state {
            State::Completed { .. } => {
                let reliable = self.peer.protocol.is_reliable();
                self.state = match io.arm(Timer::I, reliable) {
                    Some(i_at) if i_at > io.now => State::Confirmed { i_at },
                    _ => State::Terminated,
                };
                ServerUp::Nothing
            }
            State::Accepted { .. } => ServerUp::Ack(ack),
            // No final yet: an ACK cannot belong here. Confirmed: a
            // retransmitted ACK.
            State::Proceeding { .. } | State::Confirmed { .. } | State::Terminated => {
                ServerUp::Nothing
            }
        }
    }

    /// The TU sends a response.
    pub(crate) fn respond(
        &mut self,
        response: Response,
        io: &mut Io<'_>,
    ) -> Result<(), TransactionError> {
        let status = response.status();
        match self.state {
            State::Proceeding { .. } => {
                io.send_response(self.peer, &response);
                if status.is_provisional() {
                    self.state = State::Proceeding { last: response };
                } else if status.is_success() {
                    let l_at = io.arm(Timer::L, false).unwrap_or(io.now);
                    self.state = State::Accepted { l_at };
                } else {
                    let reliable = self.peer.protocol.is_reliable();
                    self.state = State::Completed {
                        last: response,
                        g_at: io.arm(Timer::G, reliable),
                        g_interval: io.config.t1,
                        h_at: io.arm(Timer::H, reliable).unwrap_or(io.now),
                    };
                }
                Ok(())
            }
            // RFC 6026 §7.1: the TU retransmits its 2xx through Accepted.
            State::Accepted { .. } if status.is_success() => {
                io.send_response(self.peer, &response);
                Ok(())
            }
            _ => Err(TransactionError::FinalAlreadySent),
        }
    }

    /// A timer fired; the layer checked it is armed.
    pub(crate) fn on_timer(&mut self, timer: Timer, io: &mut Io<'_>) -> ServerUp {
        let t2 = io.config.t2;
        match (&mut self.state, timer) {
            (
                State::Completed {
                    last,
                    g_at,
                    g_interval,
                    ..
                },
                Timer::G,
            ) => {
                // §17.2.1: retransmit, doubling up to T2.
                io.send_response(self.peer, last);
                *g_interval = g_interval.saturating_mul(2).min(t2);
                *g_at = Some(io.arm_after(Timer::G, *g_interval));
                ServerUp::Nothing
            }
            (State::Completed { .. }, Timer::H) => {
                self.state = State::Terminated;
                ServerUp::AckTimeout
            }
            (State::Confirmed { .. }, Timer::I) | (State::Accepted { .. }, Timer::L) => {
                self.state = State::Terminated;
                ServerUp::Nothing
            }
            _ => ServerUp::Nothing,
        }
    }
}
