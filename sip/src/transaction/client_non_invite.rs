//! The non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6).
//!
//! ```text
//!        send request
//!             |  Timer E: retransmit, doubling up to T2 (UDP)
//!          Trying ---- Timer F -----------------------> Terminated (Timeout)
//!      1xx /   \ 200-699
//!  Proceeding --+----> Completed -- Timer K ---------> Terminated
//!  (Timer E every T2)   (final again: absorbed)
//! ```

use std::time::{Duration, Instant};

use super::timer::Timer;
use super::{ClientUp, Io};
use crate::{Peer, Request, Response};

/// A non-INVITE client transaction.
#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    request: Request,
    peer: Peer,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for any response.
    Trying {
        e_at: Option<Instant>,
        e_interval: Duration,
        f_at: Instant,
    },
    /// A provisional came; retransmissions every T2 (§17.1.2.2).
    Proceeding {
        e_at: Option<Instant>,
        f_at: Instant,
    },
    /// The final came; absorbing its retransmissions.
    Completed {
        k_at: Instant,
    },
    Terminated,
}

impl ClientNonInvite {
    /// Sends the request and arms Timers E (unreliable only) and F.
    pub(crate) fn start(request: Request, peer: Peer, io: &mut Io<'_>) -> ClientNonInvite {
        io.send_request(peer, &request);
        let reliable = peer.protocol.is_reliable();
        let e_at = io.arm(Timer::E, reliable);
        let f_at = io.arm(Timer::F, reliable).unwrap_or(io.now);
        ClientNonInvite {
            request,
            peer,
            state: State::Trying {
                e_at,
                e_interval: io.config.t1,
                f_at,
            },
        }
    }

    /// Where the request went.
    pub(crate) fn peer(&self) -> Peer {
        self.peer
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    /// Whether `timer` is armed for `at`.
    pub(crate) fn is_armed(&self, timer: Timer, at: Instant) -> bool {
        match (&self.state, timer) {
            (State::Trying { e_at, .. } | State::Proceeding { e_at, .. }, Timer::E) => {
                *e_at == Some(at)
            }
            (State::Trying { f_at, .. } | State::Proceeding { f_at, .. }, Timer::F) => *f_at == at,
            (State::Completed { k_at }, Timer::K) => *k_at == at,
            _ => false,
        }
    }

    /// A response matched this transaction.
    pub(crate) fn on_response(&mut self, response: Response, io: &mut Io<'_>) -> ClientUp {
        let (e_at, f_at) = match self.state {
            State::Trying { e_at, f_at, .. } | State::Proceeding { e_at, f_at } => (e_at, f_at),
            // Retransmitted finals and late provisionals are absorbed.
            State::Completed { .. } | State::Terminated => return ClientUp::Nothing,
        };
        if response.status().is_provisional() {
            self.state = State::Proceeding { e_at, f_at };
        } else {
            let reliable = self.peer.protocol.is_reliable();
            self.state = match io.arm(Timer::K, reliable) {
                Some(k_at) if k_at > io.now => State::Completed { k_at },
                _ => State::Terminated,
            };
        }
        ClientUp::Response(response)
    }

    /// A timer fired; the layer checked it is armed.
    pub(crate) fn on_timer(&mut self, timer: Timer, io: &mut Io<'_>) -> ClientUp {
        let t2 = io.config.t2;
        match (&mut self.state, timer) {
            (
                State::Trying {
                    e_at, e_interval, ..
                },
                Timer::E,
            ) => {
                // §17.1.2.2: double, but never beyond T2.
                io.send_request(self.peer, &self.request);
                *e_interval = e_interval.saturating_mul(2).min(t2);
                *e_at = Some(io.arm_after(Timer::E, *e_interval));
                ClientUp::Nothing
            }
            (State::Proceeding { e_at, .. }, Timer::E) => {
                io.send_request(self.peer, &self.request);
                *e_at = Some(io.arm_after(Timer::E, t2));
                ClientUp::Nothing
            }
            (State::Trying { .. } | State::Proceeding { .. }, Timer::F) => {
                self.state = State::Terminated;
                ClientUp::Timeout
            }
            (State::Completed { .. }, Timer::K) => {
                self.state = State::Terminated;
                ClientUp::Nothing
            }
            _ => ClientUp::Nothing,
        }
    }

    /// The driver could not send (§17.1.2.2, §8.1.3.1).
    pub(crate) fn transport_failed(&mut self) -> ClientUp {
        match self.state {
            State::Trying { .. } | State::Proceeding { .. } => {
                self.state = State::Terminated;
                ClientUp::TransportError
            }
            State::Completed { .. } | State::Terminated => {
                self.state = State::Terminated;
                ClientUp::Nothing
            }
        }
    }
}
