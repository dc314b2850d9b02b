//! The tokio driver: binds each call's relay ports, runs one task per call
//! that feeds its [`RelaySession`], and gives call control a handle,
//! [`MediaEngine`]. The only code in the crate with sockets and a clock.
//!
//! One task per call (not a shared loop): the call's session has a single
//! owner, so packets are handled in order with no lock on the hot path,
//! and releasing a call is dropping its task. Each wake drains every
//! ready socket without blocking (`try_recv_from`), which batches under
//! load without `recvmmsg`.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, trace};

use crate::relay::{
    Component, DropReason, Forwarding, Leg, LegPorts, LocalSocket, PortPool, RelaySession,
    SessionConfig, SessionEvent, SessionStats,
};
use crate::sdp::{Sdp, SdpError};

/// Call control's name for a call; opaque to the media engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallId(Arc<str>);

impl From<&str> for CallId {
    fn from(id: &str) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Settings of the media engine.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Local address the relay sockets bind to.
    pub bind: IpAddr,
    /// Address written into rewritten SDP (the public one behind 1:1 NAT).
    pub advertise: IpAddr,
    /// UDP port range for relay ports.
    pub ports: RangeInclusive<u16>,
    /// Most concurrent sessions.
    pub max_sessions: usize,
    /// Per-session tunables.
    pub session: SessionConfig,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::from([0, 0, 0, 0]),
            advertise: IpAddr::from([127, 0, 0, 1]),
            ports: 20_000..=29_999,
            max_sessions: 2_000,
            session: SessionConfig::default(),
        }
    }
}

/// Errors from the engine. All are local (internal) except `Sdp`, which
/// comes from the leg that sent the body.
#[derive(Debug, Error)]
pub enum MediaError {
    /// No free port pair: the call cannot be anchored (answer 503).
    #[error("relay ports exhausted")]
    PortsExhausted,
    /// `max_sessions` reached (answer 503; a retry later may succeed).
    #[error("too many media sessions")]
    TooManySessions,
    /// A session for this call exists already.
    #[error("media session exists for this call")]
    DuplicateCall,
    /// No session for this call.
    #[error("no media session for this call")]
    UnknownCall,
    /// The session's task is busy or gone; a retry may help.
    #[error("media session not accepting commands")]
    SessionBusy,
    /// Binding a relay socket failed.
    #[error("binding relay socket: {0}")]
    Bind(#[source] io::Error),
    /// The SDP from a leg is malformed (answer 488).
    #[error("bad SDP: {0}")]
    Sdp(#[from] SdpError),
    /// The SDP has no enabled RTP audio stream to anchor (answer 488).
    #[error("SDP has no audio stream")]
    NoAudio,
    /// Called outside a tokio runtime.
    #[error("media engine used outside a tokio runtime")]
    NoRuntime,
}

/// The relay ports of a new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPorts {
    /// The address in rewritten SDP.
    pub address: IpAddr,
    /// Ports facing the caller.
    pub caller: LegPorts,
    /// Ports facing the buyer.
    pub buyer: LegPorts,
}

/// Something call control must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// Media timeout: hang the call up (cause: media inactivity).
    Inactive {
        /// The call.
        call_id: CallId,
        /// The silent party.
        leg: Leg,
        /// How long it has been silent.
        silent_for: Duration,
    },
}

/// A call's media statistics when released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinalStats {
    /// Per-direction RFC 3550 statistics.
    pub stats: SessionStats,
    /// Packets of this call not forwarded, any reason.
    pub dropped: u64,
}

/// Engine-wide counters, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineCounters {
    /// Packets forwarded.
    pub relayed_packets: u64,
    /// Bytes forwarded.
    pub relayed_bytes: u64,
    /// Dropped: not RTP/RTCP.
    pub dropped_not_rtp: u64,
    /// Dropped: source not latched (strict mismatch or hijack attempt).
    pub dropped_unlatched: u64,
    /// Dropped: other party unknown, on hold, or not receiving.
    pub dropped_no_destination: u64,
    /// Sends that failed (socket buffer full: dropped, never queued).
    pub send_errors: u64,
    /// Packets the receivers' sequence numbers say were lost, summed over
    /// released sessions.
    pub lost: u64,
    /// Events dropped because call control did not drain them.
    pub events_dropped: u64,
    /// Sessions open now.
    pub sessions_active: u64,
}

#[derive(Default)]
struct Counters {
    relayed_packets: AtomicU64,
    relayed_bytes: AtomicU64,
    dropped_not_rtp: AtomicU64,
    dropped_unlatched: AtomicU64,
    dropped_no_destination: AtomicU64,
    send_errors: AtomicU64,
    lost: AtomicU64,
    events_dropped: AtomicU64,
}

/// Commands to a session's task. The channel is small: call control sends
/// a handful per call (SDPs, release).
const CONTROL_CAPACITY: usize = 8;
/// Datagrams handled per wake before yielding to other calls.
const BATCH: usize = 64;
/// Largest datagram; RTP over UDP stays under the path MTU.
const MAX_DATAGRAM: usize = 2048;

enum Control {
    Remote(Leg, crate::sdp::RemoteMedia),
    Release(oneshot::Sender<(SessionStats, u64)>),
}

struct Handle {
    ports: SessionPorts,
    control: mpsc::Sender<Control>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    config: MediaConfig,
    // Both locks guard plain maps, are held for a few instructions and
    // never across an `.await`; the hot path (packets) takes neither.
    pool: Mutex<PortPool>,
    sessions: Mutex<HashMap<CallId, Handle>>,
    counters: Counters,
    events: mpsc::Sender<MediaEvent>,
}

/// The handle call control holds. Cheap to clone.
#[derive(Clone)]
pub struct MediaEngine {
    shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the maps torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MediaEngine {
    /// An engine, and the receiver of its events (bounded by
    /// `event_capacity`; events beyond it are counted and dropped).
    pub fn new(config: MediaConfig, event_capacity: usize) -> (Self, mpsc::Receiver<MediaEvent>) {
        let (events, rx) = mpsc::channel(event_capacity.max(1));
        let pool = Mutex::new(PortPool::new(config.ports.clone()));
        let shared = Shared {
            config,
            pool,
            sessions: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            events,
        };
        (
            Self {
                shared: Arc::new(shared),
            },
            rx,
        )
    }

    /// Opens a session: two port pairs, bound, with a task relaying
    /// between them. Must be called inside a tokio runtime.
    pub fn allocate_session(&self, call_id: CallId) -> Result<SessionPorts, MediaError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        {
            let sessions = lock(&self.shared.sessions);
            if sessions.contains_key(&call_id) {
                return Err(MediaError::DuplicateCall);
            }
            if sessions.len() >= self.shared.config.max_sessions {
                return Err(MediaError::TooManySessions);
            }
        }
        let (caller, caller_ports) = self.bind_leg()?;
        let (buyer, buyer_ports) = match self.bind_leg() {
            Ok(bound) => bound,
            Err(e) => {
                drop(caller);
                lock(&self.shared.pool).free(caller_ports);
                return Err(e);
            }
        };
        let ports = SessionPorts {
            address: self.shared.config.advertise,
            caller: caller_ports,
            buyer: buyer_ports,
        };
        let session = RelaySession::new(
            Instant::now(),
            self.shared.config.session,
            caller_ports,
            buyer_ports,
        );
        let (control, control_rx) = mpsc::channel(CONTROL_CAPACITY);
        let [caller_rtp, caller_rtcp] = caller;
        let [buyer_rtp, buyer_rtcp] = buyer;
        let sockets = [caller_rtp, caller_rtcp, buyer_rtp, buyer_rtcp];
        let task = runtime.spawn(run_session(
            call_id.clone(),
            session,
            sockets,
            control_rx,
            Arc::clone(&self.shared),
        ));
        let mut sessions = lock(&self.shared.sessions);
        if sessions.contains_key(&call_id) {
            // Lost a race with a concurrent allocation for the same call.
            drop(sessions);
            task.abort();
            let mut pool = lock(&self.shared.pool);
            pool.free(caller_ports);
            pool.free(buyer_ports);
            return Err(MediaError::DuplicateCall);
        }
        sessions.insert(
            call_id.clone(),
            Handle {
                ports,
                control,
                task,
            },
        );
        debug!(%call_id, ?ports, "media session allocated");
        Ok(ports)
    }

    /// Binds a pair, trying a few: a port may be held by another process.
    fn bind_leg(&self) -> Result<([Option<UdpSocket>; 2], LegPorts), MediaError> {
        let mut last = None;
        for _ in 0..8 {
            let ports = lock(&self.shared.pool)
                .allocate(false)
                .ok_or(MediaError::PortsExhausted)?;
            match self.bind_pair(ports) {
                Ok(sockets) => return Ok((sockets, ports)),
                Err(e) => {
                    lock(&self.shared.pool).free(ports);
                    last = Some(e);
                }
            }
        }
        Err(MediaError::Bind(
            last.unwrap_or_else(|| io::ErrorKind::AddrInUse.into()),
        ))
    }

    fn bind_pair(&self, ports: LegPorts) -> io::Result<[Option<UdpSocket>; 2]> {
        let bind = |port| -> io::Result<UdpSocket> {
            let std = std::net::UdpSocket::bind(SocketAddr::new(self.shared.config.bind, port))?;
            std.set_nonblocking(true)?;
            UdpSocket::from_std(std)
        };
        let rtp = bind(ports.rtp)?;
        let rtcp = ports.rtcp.map(bind).transpose()?;
        Ok([Some(rtp), rtcp])
    }

    /// The leg `from` sent `body` (offer, answer, 183, re-INVITE): learn
    /// where that party receives, and return the body rewritten for the
    /// other party, pointing at the other leg's relay ports.
    pub fn anchor_sdp(
        &self,
        call_id: &CallId,
        from: Leg,
        body: &[u8],
    ) -> Result<Vec<u8>, MediaError> {
        let mut sdp = Sdp::parse(body)?;
        let index = sdp.first_audio().ok_or(MediaError::NoAudio)?;
        let remote = sdp.remote_media(index).ok_or(MediaError::NoAudio)?;
        let sessions = lock(&self.shared.sessions);
        let handle = sessions.get(call_id).ok_or(MediaError::UnknownCall)?;
        handle
            .control
            .try_send(Control::Remote(from, remote))
            .map_err(|_| MediaError::SessionBusy)?;
        let ports = match from.other() {
            Leg::Caller => handle.ports.caller,
            Leg::Buyer => handle.ports.buyer,
        };
        sdp.anchor(index, handle.ports.address, ports);
        Ok(sdp.to_bytes())
    }

    /// Ends a session: stops its task, frees its ports, returns its
    /// statistics. `None` if the call had no session.
    pub async fn release(&self, call_id: &CallId) -> Option<FinalStats> {
        let handle = lock(&self.shared.sessions).remove(call_id)?;
        let (tx, rx) = oneshot::channel();
        let sent = handle.control.send(Control::Release(tx)).await.is_ok();
        let reply = if sent { rx.await.ok() } else { None };
        // The task has dropped its sockets once it ends: only then may
        // the ports go back to the pool.
        let _ = handle.task.await;
        {
            let mut pool = lock(&self.shared.pool);
            pool.free(handle.ports.caller);
            pool.free(handle.ports.buyer);
        }
        let (stats, dropped) = reply?;
        let lost = stats.caller.lost + stats.buyer.lost;
        self.shared.counters.lost.fetch_add(lost, Relaxed);
        info!(%call_id, lost, dropped, "media session released");
        Some(FinalStats { stats, dropped })
    }

    /// The ports of a call's session.
    pub fn ports(&self, call_id: &CallId) -> Option<SessionPorts> {
        lock(&self.shared.sessions).get(call_id).map(|h| h.ports)
    }

    /// Port pairs free now (two per session in use).
    pub fn free_port_pairs(&self) -> usize {
        lock(&self.shared.pool).available()
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> EngineCounters {
        let c = &self.shared.counters;
        EngineCounters {
            relayed_packets: c.relayed_packets.load(Relaxed),
            relayed_bytes: c.relayed_bytes.load(Relaxed),
            dropped_not_rtp: c.dropped_not_rtp.load(Relaxed),
            dropped_unlatched: c.dropped_unlatched.load(Relaxed),
            dropped_no_destination: c.dropped_no_destination.load(Relaxed),
            send_errors: c.send_errors.load(Relaxed),
            lost: c.lost.load(Relaxed),
            events_dropped: c.events_dropped.load(Relaxed),
            sessions_active: lock(&self.shared.sessions).len() as u64,
        }
    }
}

/// Index into a session's four sockets.
fn slot(at: LocalSocket) -> usize {
    let leg = match at.leg {
        Leg::Caller => 0,
        Leg::Buyer => 2,
    };
    leg + usize::from(at.component == Component::Rtcp)
}

const SLOTS: [LocalSocket; 4] = [
    LocalSocket {
        leg: Leg::Caller,
        component: Component::Rtp,
    },
    LocalSocket {
        leg: Leg::Caller,
        component: Component::Rtcp,
    },
    LocalSocket {
        leg: Leg::Buyer,
        component: Component::Rtp,
    },
    LocalSocket {
        leg: Leg::Buyer,
        component: Component::Rtcp,
    },
];

async fn readable(socket: Option<&UdpSocket>) {
    match socket {
        Some(s) => {
            if s.readable().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn run_session(
    call_id: CallId,
    mut session: RelaySession,
    sockets: [Option<UdpSocket>; 4],
    mut control: mpsc::Receiver<Control>,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut dropped = 0u64;
    loop {
        let deadline = session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            command = control.recv() => match command {
                Some(Control::Remote(leg, remote)) => session.update_remote(leg, remote),
                Some(Control::Release(reply)) => {
                    let _ = reply.send((session.session_stats(), dropped));
                    return;
                }
                // The engine is gone: nobody can release us, so stop.
                None => return,
            },
            () = sleep => session.handle_timeout(Instant::now()),
            () = readable(sockets[0].as_ref()) => {
                dropped += drain(&mut session, &sockets, 0, &mut buf, &shared.counters);
            }
            () = readable(sockets[1].as_ref()) => {
                dropped += drain(&mut session, &sockets, 1, &mut buf, &shared.counters);
            }
            () = readable(sockets[2].as_ref()) => {
                dropped += drain(&mut session, &sockets, 2, &mut buf, &shared.counters);
            }
            () = readable(sockets[3].as_ref()) => {
                dropped += drain(&mut session, &sockets, 3, &mut buf, &shared.counters);
            }
        }
        while let Some(event) = session.poll_event() {
            if let SessionEvent::Inactive { leg, silent_for } = event {
                let event = MediaEvent::Inactive {
                    call_id: call_id.clone(),
                    leg,
                    silent_for,
                };
                if shared.events.try_send(event).is_err() {
                    shared.counters.events_dropped.fetch_add(1, Relaxed);
                }
            }
        }
    }
}

/// Handles up to [`BATCH`] datagrams waiting on socket `index`; returns
/// how many were dropped.
fn drain(
    session: &mut RelaySession,
    sockets: &[Option<UdpSocket>; 4],
    index: usize,
    buf: &mut [u8],
    counters: &Counters,
) -> u64 {
    let Some(socket) = &sockets[index] else {
        return 0;
    };
    let at = SLOTS[index];
    let mut dropped = 0;
    for _ in 0..BATCH {
        let (len, src) = match socket.try_recv_from(buf) {
            Ok(received) => received,
            // WouldBlock: drained. Other errors (ICMP port unreachable
            // reported on Linux): nothing to do with this datagram.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(_) => continue,
        };
        let packet = &mut buf[..len];
        match session.handle_packet(Instant::now(), at, src, packet) {
            Forwarding::Forward { via, to } => {
                let sent = sockets[slot(via)]
                    .as_ref()
                    .map(|s| s.try_send_to(packet, to));
                if let Some(Ok(_)) = sent {
                    counters.relayed_packets.fetch_add(1, Relaxed);
                    counters.relayed_bytes.fetch_add(len as u64, Relaxed);
                } else {
                    counters.send_errors.fetch_add(1, Relaxed);
                    dropped += 1;
                }
            }
            Forwarding::Drop(reason) => {
                trace!(?reason, %src, "dropped");
                dropped += 1;
                let counter = match reason {
                    DropReason::NotRtp => &counters.dropped_not_rtp,
                    DropReason::UnexpectedSource | DropReason::NotLatchedSource => {
                        &counters.dropped_unlatched
                    }
                    DropReason::NoDestination | DropReason::NotReceiving => {
                        &counters.dropped_no_destination
                    }
                };
                counter.fetch_add(1, Relaxed);
            }
        }
    }
    dropped
}
