//! The INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with the
//! Accepted state of RFC 6026 §7.2 (Figure 5 as updated).
//!
//! ```text
//!            send INVITE
//!                 |   Timer A: retransmit (UDP)
//!              Calling ------ Timer B ------------------> Terminated (Timeout)
//!       1xx /     |    \ 300-699: send ACK
//!  (Timer B again after a CANCEL, §9.1)
//!   Proceeding    |     Completed -- Timer D -----------> Terminated
//!       | 2xx     | 2xx     (300-699 again: ACK again)
//!       +----> Accepted -- Timer M ----------------------> Terminated
//!                 (2xx again: to the TU, which re-ACKs)
//! ```

use std::time::{Duration, Instant};

use super::timer::Timer;
use super::{ClientUp, Io};
use crate::{HeaderName, Method, Peer, Request, Response};

/// An INVITE client transaction.
#[derive(Debug)]
pub(crate) struct ClientInvite {
    request: Request,
    peer: Peer,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for any response; retransmitting over UDP.
    Calling {
        a_at: Option<Instant>,
        a_interval: Duration,
        b_at: Instant,
    },
    /// A provisional came; waiting for the final (the TU runs its ring
    /// timeout). Once a CANCEL went, Timer B runs again: §9.1 gives up on
    /// the INVITE 64·T1 after the CANCEL if no final came.
    Proceeding {
        b_at: Option<Instant>,
    },
    /// A non-2xx final came and was ACKed; absorbing its retransmissions.
    Completed {
        ack: Request,
        d_at: Instant,
    },
    /// A 2xx came; its retransmissions go to the TU (RFC 6026).
    Accepted {
        m_at: Instant,
    },
    Terminated,
}

impl ClientInvite {
    /// Sends the INVITE and arms Timers A (unreliable only) and B.
    pub(crate) fn start(request: Request, peer: Peer, io: &mut Io<'_>) -> ClientInvite {
        io.send_request(peer, &request);
        let reliable = peer.protocol.is_reliable();
        let a_at = io.arm(Timer::A, reliable);
        let b_at = io.arm(Timer::B, reliable).unwrap_or(io.now);
        ClientInvite {
            request,
            peer,
            state: State::Calling {
                a_at,
                a_interval: io.config.t1,
                b_at,
            },
        }
    }

    /// The INVITE.
    pub(crate) fn request(&self) -> &Request {
        &self.request
    }

    /// Where the INVITE went.
    pub(crate) fn peer(&self) -> Peer {
        self.peer
    }

    /// No response yet: a CANCEL must wait (RFC 3261 §9.1).
    pub(crate) fn is_calling(&self) -> bool {
        matches!(self.state, State::Calling { .. })
    }

    /// A provisional and no final yet: a CANCEL may go.
    pub(crate) fn is_proceeding(&self) -> bool {
        matches!(self.state, State::Proceeding { .. })
    }

    /// The layer sent a CANCEL (RFC 3261 §9.1): if no final response comes
    /// within 64·T1, the transaction is destroyed and the TU told (as a
    /// timeout), so an unanswered INVITE cannot linger.
    pub(crate) fn cancel_sent(&mut self, io: &mut Io<'_>) {
        if let State::Proceeding { b_at } = &mut self.state {
            *b_at = io.arm(Timer::B, false);
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        matches!(self.state, State::Terminated)
    }

    /// Whether `timer` is armed for `at` (else a heap entry is stale).
    pub(crate) fn is_armed(&self, timer: Timer, at: Instant) -> bool {
        match (&self.state, timer) {
            (State::Calling { a_at, .. }, Timer::A) => *a_at == Some(at),
            (State::Calling { b_at, .. }, Timer::B) => *b_at == at,
            (State::Proceeding { b_at }, Timer::B) => *b_at == Some(at),
            (State::Completed { d_at, .. }, Timer::D) => *d_at == at,
            (State::Accepted { m_at }, Timer::M) => *m_at == at,
            _ => false,
        }
    }

    /// A response matched this transaction.
    pub(crate) fn on_response(&mut self, response: Response, io: &mut Io<'_>) -> ClientUp {
        let status = response.status();
        match &self.state {
            State::Calling { .. } | State::Proceeding { .. } => {
                if status.is_provisional() {
                    if let State::Calling { .. } = self.state {
                        self.state = State::Proceeding { b_at: None };
                    }
                } else if status.is_success() {
                    // RFC 6026 §7.2: 2xx retransmissions keep coming to
                    // the TU until Timer M; the TU, not this layer, ACKs.
                    let m_at = io.arm(Timer::M, false).unwrap_or(io.now);
                    self.state = State::Accepted { m_at };
                } else {
                    self.complete(&response, io);
                }
                ClientUp::Response(response)
            }
            State::Completed { ack, .. } => {
                if status.is_final() && !status.is_success() {
                    // §17.1.1.2: a retransmitted final gets the ACK again.
                    io.send_request(self.peer, ack);
                    ClientUp::Nothing
                } else if status.is_success() {
                    // Our ACK'd failure and a 2xx: the peer forked or
                    // misbehaves. The TU still ACKs and BYEs it.
                    ClientUp::Stray(response)
                } else {
                    ClientUp::Nothing
                }
            }
            // A 1xx or a non-2xx after the 2xx (multi-worker peers): never
            // go back (RFC 6026 §8.4: only 2xx go up in Accepted).
            State::Accepted { .. } if status.is_success() => ClientUp::Response(response),
            State::Accepted { .. } | State::Terminated => ClientUp::Nothing,
        }
    }

    /// 300-699: ACK it (§17.1.1.3) and wait out Timer D.
    fn complete(&mut self, response: &Response, io: &mut Io<'_>) {
        let reliable = self.peer.protocol.is_reliable();
        let Some(ack) = ack_for(&self.request, response) else {
            self.state = State::Terminated;
            return;
        };
        io.send_request(self.peer, &ack);
        self.state = match io.arm(Timer::D, reliable) {
            Some(d_at) if d_at > io.now => State::Completed { ack, d_at },
            _ => State::Terminated,
        };
    }

    /// A timer fired; the layer checked it is armed.
    pub(crate) fn on_timer(&mut self, timer: Timer, io: &mut Io<'_>) -> ClientUp {
        match (&mut self.state, timer) {
            (
                State::Calling {
                    a_at, a_interval, ..
                },
                Timer::A,
            ) => {
                // §17.1.1.2: retransmit and double, with no cap (B ends it).
                io.send_request(self.peer, &self.request);
                *a_interval = a_interval.saturating_mul(2);
                *a_at = Some(io.arm_after(Timer::A, *a_interval));
                ClientUp::Nothing
            }
            (State::Calling { .. } | State::Proceeding { .. }, Timer::B) => {
                self.state = State::Terminated;
                ClientUp::Timeout
            }
            (State::Completed { .. }, Timer::D) | (State::Accepted { .. }, Timer::M) => {
                self.state = State::Terminated;
                ClientUp::Nothing
            }
            _ => ClientUp::Nothing,
        }
    }

    /// The driver could not send (§17.1.1.2, §8.1.3.1).
    pub(crate) fn transport_failed(&mut self) -> ClientUp {
        match self.state {
            State::Calling { .. } | State::Proceeding { .. } => {
                self.state = State::Terminated;
                ClientUp::TransportError
            }
            State::Completed { .. } => {
                self.state = State::Terminated;
                ClientUp::Nothing
            }
            // The ACK of a 2xx is the TU's; nothing of ours failed.
            State::Accepted { .. } | State::Terminated => ClientUp::Nothing,
        }
    }
}

/// The ACK for a non-2xx final (RFC 3261 §17.1.1.3): the INVITE's
/// Request-URI, Call-ID, From, CSeq number and top Via (same branch), the
/// response's To (with its tag), the INVITE's Route headers.
pub(crate) fn ack_for(invite: &Request, response: &Response) -> Option<Request> {
    let to = response.headers().get(&HeaderName::TO)?;
    let mut ack = derived(invite, Method::ACK, to)?;
    ack.headers_mut()
        .push(HeaderName::CONTENT_LENGTH, "0")
        .ok()?;
    Some(ack)
}

/// A request built from `invite` as ACK and CANCEL are (§17.1.1.3,
/// §9.1): Request-URI, top Via, Route, From, `to`, Call-ID, CSeq number
/// with `method`, Max-Forwards 70. The caller appends Content-Length.
pub(crate) fn derived(invite: &Request, method: Method, to: &str) -> Option<Request> {
    let h = invite.headers();
    let mut rest = h.clone();
    let top_via = rest.pop_first_value(&HeaderName::VIA)?;
    let seq = h.cseq().ok()?.seq;
    let mut req = Request::new(method.clone(), invite.uri().as_str()).ok()?;
    let out = req.headers_mut();
    out.push(HeaderName::VIA, &top_via).ok()?;
    out.copy_from(h, &HeaderName::ROUTE);
    out.push(HeaderName::MAX_FORWARDS, "70").ok()?;
    out.push(HeaderName::FROM, h.get(&HeaderName::FROM)?).ok()?;
    out.push(HeaderName::TO, to).ok()?;
    out.push(HeaderName::CALL_ID, h.get(&HeaderName::CALL_ID)?)
        .ok()?;
    out.push(HeaderName::CSEQ, &format!("{seq} {method}"))
        .ok()?;
    Some(req)
}

/// The CANCEL for an INVITE (RFC 3261 §9.1): the INVITE's Request-URI,
/// Call-ID, From, To, CSeq number and top Via (same branch, so the server
/// matches it to the INVITE), Route copied.
pub(crate) fn cancel_for(invite: &Request) -> Option<Request> {
    let to = invite.headers().get(&HeaderName::TO)?;
    let mut cancel = derived(invite, Method::CANCEL, to)?;
    cancel
        .headers_mut()
        .push(HeaderName::CONTENT_LENGTH, "0")
        .ok()?;
    Some(cancel)
}
