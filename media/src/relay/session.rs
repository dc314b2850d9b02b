//! One call's relay: two legs, packets in, forwarding decisions out.
//!
//! Sans-IO: the driver owns the sockets and the clock, and drives the
//! session like this:
//!
//! ```text
//! on datagram:  match session.handle_packet(now, socket, src, &mut buf)
//!                   Forward { via, to } => send buf from `via` to `to`
//!                   Drop(reason)        => count it
//! on timer:     session.handle_timeout(now)
//! then:         while let Some(ev) = session.poll_event() { … }
//!               sleep until session.poll_timeout()
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tracing::{debug, trace};

use super::latch::{Latch, LatchState, Refused};
use super::ports::LegPorts;
use super::rtp::{is_rtcp, RtcpHeader, RtpHeader};
use super::stats::{Receiver, StreamStats};
use crate::sdp::RemoteMedia;

/// The two sides of a relayed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The inbound side: the carrier or seller.
    Caller,
    /// The outbound side: the buyer that answered.
    Buyer,
}

impl Leg {
    /// The other side.
    pub fn other(self) -> Self {
        match self {
            Self::Caller => Self::Buyer,
            Self::Buyer => Self::Caller,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// RTP or RTCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// Media.
    Rtp,
    /// Control (RFC 3550 §6).
    Rtcp,
}

/// One of the session's local sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalSocket {
    /// The leg it faces.
    pub leg: Leg,
    /// Its port's role; a muxed leg has only `Rtp`.
    pub component: Component,
}

/// What to do with a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// Send the same bytes from local socket `via` to `to`.
    Forward {
        /// The socket to send from: symmetric RTP (RFC 4961) needs the
        /// port the destination party was told about.
        via: LocalSocket,
        /// The destination.
        to: SocketAddr,
    },
    /// Do not forward.
    Drop(DropReason),
}

/// Why a packet was not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Not an RTP or RTCP version 2 packet (RFC 3550 §5.1, §6.4).
    NotRtp,
    /// Strict latching: the source IP is not the one in the SDP.
    UnexpectedSource,
    /// Another source is latched and not silent: a hijack attempt or a
    /// stray stream.
    NotLatchedSource,
    /// The other party's address is not known yet, or is `0.0.0.0`.
    NoDestination,
    /// The other party said it does not receive (`sendonly`/`inactive`,
    /// RFC 3264 §5.1). RTCP still flows.
    NotReceiving,
}

/// Something the session reports to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// No packet from `leg` for the configured time: a media timeout.
    Inactive {
        /// The silent party.
        leg: Leg,
        /// How long it has been silent.
        silent_for: Duration,
    },
    /// A source latched (first packet, or after a silence).
    Latched {
        /// The party's leg.
        leg: Leg,
        /// RTP or RTCP.
        component: Component,
        /// The learned address.
        source: SocketAddr,
    },
}

/// Tunables of a relay session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Latching policy.
    pub latch: Latch,
    /// Silence after which another source may latch.
    pub relatch_after: Duration,
    /// Silence from a party after which [`SessionEvent::Inactive`] fires.
    pub inactivity: Duration,
    /// The same while the call is on hold; `None`: no timeout on hold
    /// (a held party may legitimately send nothing, RFC 3264 §8.4).
    pub hold_inactivity: Option<Duration>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            latch: Latch::AnyOnce,
            relatch_after: Duration::from_secs(3),
            inactivity: Duration::from_secs(60),
            hold_inactivity: None,
        }
    }
}

/// Statistics of both directions, as the call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStats {
    /// Received from the caller (and sent to the buyer).
    pub caller: StreamStats,
    /// Received from the buyer (and sent to the caller).
    pub buyer: StreamStats,
}

/// Events kept for the owner; the driver drains after every input, so
/// this only bounds a careless owner.
const MAX_EVENTS: usize = 64;

#[derive(Debug)]
struct LegState {
    ports: LegPorts,
    remote: Option<RemoteMedia>,
    rtp: LatchState,
    rtcp: LatchState,
    /// The last real SDP addresses, kept through a `c=0.0.0.0` hold so
    /// strict latching still knows the party when it resumes.
    known_rtp: Option<SocketAddr>,
    known_rtcp: Option<SocketAddr>,
    /// The local socket the party's RTCP last arrived on: a party that
    /// muxes gets RTCP back on the RTP port (RFC 5761 §5.1.3).
    rtcp_in: Option<Component>,
    rx: Receiver,
    inactive_reported: bool,
}

/// The relay state of one call. See the module docs for the drive loop.
#[derive(Debug)]
pub struct RelaySession {
    config: SessionConfig,
    legs: [LegState; 2],
    /// Where the inactivity clock starts for a party that has sent
    /// nothing since: creation, or the last SDP update.
    armed_at: Instant,
    /// An SDP update came since the last input: the clock restarts at the
    /// next instant the session sees (`update_remote` has no clock).
    rearm: bool,
    events: VecDeque<SessionEvent>,
}

impl RelaySession {
    /// A session with local ports for each leg; remote addresses come
    /// from SDP through [`update_remote`](Self::update_remote).
    pub fn new(now: Instant, config: SessionConfig, caller: LegPorts, buyer: LegPorts) -> Self {
        let leg = |ports| LegState {
            ports,
            remote: None,
            rtp: LatchState::default(),
            rtcp: LatchState::default(),
            known_rtp: None,
            known_rtcp: None,
            rtcp_in: None,
            rx: Receiver::new(8_000, None),
            inactive_reported: false,
        };
        Self {
            config,
            legs: [leg(caller), leg(buyer)],
            armed_at: now,
            rearm: false,
            events: VecDeque::new(),
        }
    }

    /// The local ports of `leg`.
    pub fn ports(&self, leg: Leg) -> LegPorts {
        self.legs[leg.index()].ports
    }

    /// The party on `leg` sent an SDP (offer, answer, 183, re-INVITE):
    /// retarget forwarding. A new address forgets the latch, so the
    /// party's new source can latch at once; a hold with `c=0.0.0.0`
    /// keeps it.
    pub fn update_remote(&mut self, leg: Leg, remote: RemoteMedia) {
        let state = &mut self.legs[leg.index()];
        debug!(?leg, rtp = ?remote.rtp, hold = remote.hold, "remote media updated");
        let moved = |old: Option<SocketAddr>, new: Option<SocketAddr>| new.is_some() && old != new;
        if moved(state.known_rtp, remote.rtp) {
            state.rtp.reset();
            state.known_rtp = remote.rtp;
        }
        if moved(state.known_rtcp, remote.rtcp) {
            state.rtcp.reset();
            state.known_rtcp = remote.rtcp;
        }
        state
            .rx
            .set_codec(remote.clock_rate, remote.telephone_event);
        state.remote = Some(remote);
        // A renegotiation (the answer, a re-INVITE) gives both parties the
        // whole timeout again: a call that rang longer than the timeout is
        // not hung up at answer, and a party moving ports gets time to start.
        self.rearm = true;
    }

    fn apply_rearm(&mut self, now: Instant) {
        if std::mem::take(&mut self.rearm) {
            self.armed_at = now;
            for leg in &mut self.legs {
                leg.inactive_reported = false;
            }
        }
    }

    /// Where `leg`'s silence is counted from.
    fn silent_since(&self, leg: &LegState) -> Instant {
        leg.rx
            .last_packet()
            .map_or(self.armed_at, |at| at.max(self.armed_at))
    }

    /// True while either party's SDP holds the call.
    pub fn is_on_hold(&self) -> bool {
        self.legs
            .iter()
            .any(|l| l.remote.as_ref().is_some_and(|r| r.hold))
    }

    /// Decides what to do with `packet`, received on `at` from `src`.
    /// The packet is not modified: the driver sends the same buffer.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        at: LocalSocket,
        src: SocketAddr,
        packet: &mut [u8],
    ) -> Forwarding {
        self.apply_rearm(now);
        let component = match at.component {
            Component::Rtp if is_rtcp(packet) => Component::Rtcp,
            other => other,
        };
        let rtp = match component {
            Component::Rtp => match RtpHeader::parse(packet) {
                Some(h) => Some(h),
                None => return Forwarding::Drop(DropReason::NotRtp),
            },
            Component::Rtcp if RtcpHeader::parse(packet).is_none() => {
                return Forwarding::Drop(DropReason::NotRtp)
            }
            Component::Rtcp => None,
        };
        let (policy, relatch) = (self.config.latch, self.config.relatch_after);
        let leg = &mut self.legs[at.leg.index()];
        let (latch, sdp_addr) = match component {
            Component::Rtp => (&mut leg.rtp, leg.known_rtp),
            Component::Rtcp => (&mut leg.rtcp, leg.known_rtcp.or(leg.known_rtp)),
        };
        match latch.admit(policy, sdp_addr.map(|a| a.ip()), src, now, relatch) {
            Ok(false) => {}
            Ok(true) => {
                debug!(leg = ?at.leg, ?component, %src, "latched");
                push(
                    &mut self.events,
                    SessionEvent::Latched {
                        leg: at.leg,
                        component,
                        source: src,
                    },
                );
            }
            Err(refused) => {
                trace!(leg = ?at.leg, %src, ?refused, "packet refused by latch");
                return Forwarding::Drop(match refused {
                    Refused::NotSdpAddress => DropReason::UnexpectedSource,
                    Refused::Latched => DropReason::NotLatchedSource,
                });
            }
        }
        match &rtp {
            Some(header) => leg.rx.on_rtp(now, header, packet.len()),
            None => {
                leg.rx.on_rtcp(now);
                leg.rtcp_in = Some(at.component);
            }
        }
        leg.inactive_reported = false;
        self.destination(at.leg.other(), component)
    }

    /// Where a packet of `component` goes to reach the party on `leg`.
    fn destination(&self, leg: Leg, component: Component) -> Forwarding {
        let state = &self.legs[leg.index()];
        let remote = state.remote.as_ref();
        let (latched, sdp) = match component {
            Component::Rtp => (state.rtp.addr, remote.and_then(|r| r.rtp)),
            Component::Rtcp => (state.rtcp.addr, remote.and_then(|r| r.rtcp)),
        };
        // A c=0.0.0.0 hold: the party asked not to be sent anything, even
        // to the address it latched from (RFC 3264 §8.4).
        if remote.is_some_and(|r| r.hold && r.rtp.is_none()) {
            return Forwarding::Drop(DropReason::NoDestination);
        }
        let Some(to) = latched.or(sdp) else {
            return Forwarding::Drop(DropReason::NoDestination);
        };
        if component == Component::Rtp && remote.is_some_and(|r| !r.direction.receives()) {
            return Forwarding::Drop(DropReason::NotReceiving);
        }
        let via = match component {
            Component::Rtp => Component::Rtp,
            Component::Rtcp if state.ports.rtcp.is_none() => Component::Rtp,
            Component::Rtcp => state.rtcp_in.unwrap_or(if remote.is_some_and(|r| r.mux) {
                Component::Rtp
            } else {
                Component::Rtcp
            }),
        };
        Forwarding::Forward {
            via: LocalSocket {
                leg,
                component: via,
            },
            to,
        }
    }

    /// The next instant [`handle_timeout`](Self::handle_timeout) wants to
    /// run, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timeout = self.current_timeout()?;
        if self.rearm {
            // Due at once: the restart takes the owner's next `now`.
            return Some(self.armed_at);
        }
        self.legs
            .iter()
            .filter(|l| !l.inactive_reported)
            .map(|l| self.silent_since(l) + timeout)
            .min()
    }

    /// Advances time: reports each silent party once per silence.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.apply_rearm(now);
        let Some(timeout) = self.current_timeout() else {
            return;
        };
        for leg in [Leg::Caller, Leg::Buyer] {
            let since = self.silent_since(&self.legs[leg.index()]);
            let state = &mut self.legs[leg.index()];
            let silent_for = now.saturating_duration_since(since);
            if !state.inactive_reported && silent_for >= timeout {
                state.inactive_reported = true;
                debug!(?leg, ?silent_for, "media inactive");
                push(&mut self.events, SessionEvent::Inactive { leg, silent_for });
            }
        }
    }

    fn current_timeout(&self) -> Option<Duration> {
        if self.is_on_hold() {
            self.config.hold_inactivity
        } else {
            Some(self.config.inactivity)
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// What was received from the party on `leg`.
    pub fn stats(&self, leg: Leg) -> StreamStats {
        self.legs[leg.index()].rx.snapshot()
    }

    /// Both directions.
    pub fn session_stats(&self) -> SessionStats {
        SessionStats {
            caller: self.stats(Leg::Caller),
            buyer: self.stats(Leg::Buyer),
        }
    }
}

fn push(events: &mut VecDeque<SessionEvent>, event: SessionEvent) {
    if events.len() == MAX_EVENTS {
        events.pop_front();
    }
    events.push_back(event);
}
