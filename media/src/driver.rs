//! The socket driver: binds each call's relay ports, hands them to a
//! relay worker thread that feeds the call's [`RelaySession`], and gives
//! call control a handle, [`MediaEngine`]. The only code in the crate with
//! sockets and a clock.
//!
//! # Why this shape (measured; docs/PERFORMANCE.md, "RTP relay load")
//! A fixed set of relay worker threads (one per core by default,
//! [`MediaEngine::with_workers`] to choose), each with its own epoll loop
//! owning many calls (`driver/worker.rs`). A call is placed on the
//! least-loaded worker and never moves, so a session still has a single
//! owner: its packets are handled in order, with no lock, no allocation
//! and no atomic on the hot path (counters are summed per wake). Per
//! wake: `epoll_wait`; per ready socket: one `recvmmsg` (edge-triggered,
//! a short read proves the socket drained, `driver/recv.rs`); per packet:
//! `handle_packet` and one `sendto` from the call's own port.
//!
//! It replaced one tokio task per call. At 1,000 calls (100 kpps in) that
//! design's profile was tokio's per-packet machinery more than the relay:
//! a readiness wake and task schedule per datagram, the `sleep_until`
//! re-armed on every wake, a `recvfrom` returning `EAGAIN` after each
//! packet, and an `EPOLLOUT` wake for every datagram sent (tokio watches
//! writability of every socket). On the same benchmark and machine the
//! workers cut relay CPU per packet from 5.6–6.9 µs to 3.3–3.7 µs
//! (rtpengine: ~7) and raised the calls held at added p99 ≤ 1 ms from
//! ~2,000 to ~2,250–2,500. What is left is the kernel: `sendto` (with
//! loopback delivery) ~47 % of worker time, `recvmmsg` ~25 %,
//! `epoll_wait` ~18 %, relay logic ~10 %.
//!
//! Edge-triggered + `recvmmsg` over level-triggered + one `recvfrom` per
//! event: level-triggered re-polls every reported socket on the next
//! `epoll_wait` (15 % of samples against 12 %). Tried and dropped: a
//! 100 µs "gather" sleep after a busy wake (interrupt moderation) saved
//! no CPU and added latency; a short EEVDF slice for the workers showed
//! no measurable effect; one worker instead of two holds as many calls
//! only up to ~2,000. `sendmmsg` cannot help: each call sends from its
//! own socket.
//!
//! On Linux 6.1+ the same workers run on io_uring instead
//! (`driver/worker/uring.rs`): a multishot `recvmsg` per socket into
//! provided buffers replaces `epoll_wait` + `recvmmsg`, and a wake's sends
//! go in the one `io_uring_enter` that also waits; sockets are registered
//! files (no `fget` per send). Chosen at the first session (logged; epoll
//! when the ring cannot be set up; `DCE_RELAY_IO=epoll` forces epoll). It
//! saves 3–5 % CPU per packet, not more: the kernel's UDP send, loopback
//! delivery and receive per packet stay. Relay sockets set DF
//! (`IP_PMTUDISC_PROBE`), which spares the IP ID computation per packet.
//!
//! On io_uring, and where the process may load BPF, the ports of each
//! worker's calls are also steered to one socket per worker
//! (`driver/steer.rs`): the per-datagram wake-up on a cold socket goes,
//! for DCE and for whoever sends into it. The ports' own sockets stay
//! bound and receiving, so what is not steered is relayed as before.
//!
//! Control (open, SDP, release) is a channel plus an eventfd per worker;
//! inactivity is checked on a 100 ms timerfd tick, so no timer is touched
//! per packet. Release waits for the worker to close the call's sockets
//! before the ports go back to the pool, so a port is never handed out
//! while still bound.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

use crate::relay::{Leg, LegPorts, PortPool, RelaySession, SessionConfig, SessionStats};
use crate::sdp::{Sdp, SdpError};

mod poller;
mod recv;
mod steer;
mod worker;

use steer::Steering;
use worker::{Command, Counters, IoMode, WorkerHandle};

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
    /// The session's relay worker has stopped; a retry will not help.
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
    /// Called outside a tokio runtime. No longer returned: the relay
    /// runs on its own threads; kept so callers' matches still compile.
    #[error("media engine used outside a tokio runtime")]
    NoRuntime,
    /// The relay worker threads could not be started (epoll, eventfd or
    /// thread creation failed: a resource limit). A retry may help.
    #[error("starting relay workers: {0}")]
    Workers(#[source] io::Error),
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
    /// Dropped: steered to a relay port whose call has just ended.
    pub dropped_no_session: u64,
    /// Received through port steering (one socket per worker) rather
    /// than on the port's own socket.
    pub steered_packets: u64,
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

/// A call's place: its ports and the worker relaying it.
struct Handle {
    ports: SessionPorts,
    worker: usize,
}

/// Calls and workers, under one lock: call control's operations touch
/// both (placement, command order), packets touch neither.
struct Table {
    sessions: HashMap<CallId, Handle>,
    /// Started on first use, so an engine never used costs no threads.
    workers: Vec<WorkerHandle>,
}

struct Shared {
    config: MediaConfig,
    worker_count: usize,
    /// The workers' I/O, when not detected (tests of each path).
    forced_io: Option<IoMode>,
    /// Whether to try port steering (`DCE_RELAY_STEER=off`: no).
    steer: bool,
    // Both locks guard plain maps, are held for a few instructions (a
    // channel send at most) and never across an `.await`; the hot path
    // (packets, in the workers) takes neither.
    pool: Mutex<PortPool>,
    table: Mutex<Table>,
    counters: Arc<Counters>,
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
    /// `event_capacity`; events beyond it are counted and dropped). It
    /// relays on one worker thread per available core.
    pub fn new(config: MediaConfig, event_capacity: usize) -> (Self, mpsc::Receiver<MediaEvent>) {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_workers(config, event_capacity, workers)
    }

    /// Like [`new`](Self::new), with `workers` relay threads (at least
    /// one). They start with the first session.
    pub fn with_workers(
        config: MediaConfig,
        event_capacity: usize,
        workers: usize,
    ) -> (Self, mpsc::Receiver<MediaEvent>) {
        let steer = std::env::var("DCE_RELAY_STEER").map_or(true, |v| v != "off");
        Self::build(config, event_capacity, workers, None, steer)
    }

    fn build(
        config: MediaConfig,
        event_capacity: usize,
        workers: usize,
        forced_io: Option<IoMode>,
        steer: bool,
    ) -> (Self, mpsc::Receiver<MediaEvent>) {
        let (events, rx) = mpsc::channel(event_capacity.max(1));
        let pool = Mutex::new(PortPool::new(config.ports.clone()));
        let shared = Shared {
            config,
            worker_count: workers.max(1),
            forced_io,
            steer,
            pool,
            table: Mutex::new(Table {
                sessions: HashMap::new(),
                workers: Vec::new(),
            }),
            counters: Arc::default(),
            events,
        };
        (
            Self {
                shared: Arc::new(shared),
            },
            rx,
        )
    }

    /// Opens a session: two port pairs, bound, relayed by a worker
    /// thread. Works inside or outside a tokio runtime.
    pub fn allocate_session(&self, call_id: CallId) -> Result<SessionPorts, MediaError> {
        {
            let table = lock(&self.shared.table);
            if table.sessions.contains_key(&call_id) {
                return Err(MediaError::DuplicateCall);
            }
            if table.sessions.len() >= self.shared.config.max_sessions {
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
        let [caller_rtp, caller_rtcp] = caller;
        let [buyer_rtp, buyer_rtcp] = buyer;
        let open = Command::Open {
            call_id: call_id.clone(),
            session: Box::new(session),
            sockets: [caller_rtp, caller_rtcp, buyer_rtp, buyer_rtcp],
        };
        let placed = self.place(&call_id, ports, open);
        if placed.is_err() {
            // The sockets went with the command, or were dropped with it.
            let mut pool = lock(&self.shared.pool);
            pool.free(caller_ports);
            pool.free(buyer_ports);
        }
        placed?;
        debug!(%call_id, ?ports, "media session allocated");
        Ok(ports)
    }

    /// Hands a new call to the least-loaded worker and records it. Under
    /// the table lock, so no command for the call can overtake `open`.
    fn place(
        &self,
        call_id: &CallId,
        ports: SessionPorts,
        open: Command,
    ) -> Result<(), MediaError> {
        let mut table = lock(&self.shared.table);
        if table.sessions.contains_key(call_id) {
            // Lost a race with a concurrent allocation for the same call.
            return Err(MediaError::DuplicateCall);
        }
        if table.workers.is_empty() {
            let (mode, why) = match self.shared.forced_io {
                Some(mode) => (mode, None),
                None => IoMode::detect(),
            };
            match why {
                None => info!(
                    ?mode,
                    workers = self.shared.worker_count,
                    "relay workers starting"
                ),
                Some(e) => info!(
                    ?mode, workers = self.shared.worker_count, io_uring = %e,
                    "relay workers starting; io_uring unavailable"
                ),
            }
            let steering = self.steering(mode);
            table.workers = (0..self.shared.worker_count)
                .map(|i| {
                    WorkerHandle::spawn(
                        i,
                        mode,
                        steering.as_ref(),
                        Arc::clone(&self.shared.counters),
                        self.shared.events.clone(),
                    )
                })
                .collect::<io::Result<_>>()
                .map_err(MediaError::Workers)?;
        }
        let (worker, handle) = table
            .workers
            .iter_mut()
            .enumerate()
            .min_by_key(|(_, w)| w.load)
            .ok_or(MediaError::SessionBusy)?;
        if !handle.send(open) {
            return Err(MediaError::SessionBusy);
        }
        handle.load += 1;
        table
            .sessions
            .insert(call_id.clone(), Handle { ports, worker });
        Ok(())
    }

    /// Port steering for the workers (`driver/steer.rs`), when the ring
    /// is in use and the kernel lets this process load it;
    /// `DCE_RELAY_STEER=off` leaves it off.
    fn steering(&self, mode: IoMode) -> Option<Arc<Steering>> {
        if mode != IoMode::Uring || !self.shared.steer {
            return None;
        }
        let config = &self.shared.config;
        match Steering::new(config.bind, config.ports.clone(), self.shared.worker_count) {
            Ok(s) => {
                info!(ports = ?config.ports, "relay port steering on");
                Some(Arc::new(s))
            }
            Err(e) => {
                info!(error = %e, "relay port steering off");
                None
            }
        }
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
            let socket = UdpSocket::bind(SocketAddr::new(self.shared.config.bind, port))?;
            socket.set_nonblocking(true)?;
            dont_fragment(&socket);
            Ok(socket)
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
        self.anchor(call_id, from, Sdp::parse(body)?)
    }

    /// [`anchor_sdp`](Self::anchor_sdp) of a body already parsed (a caller
    /// that checked the offer before opening the session parses it once).
    pub fn anchor(&self, call_id: &CallId, from: Leg, mut sdp: Sdp) -> Result<Vec<u8>, MediaError> {
        let index = sdp.first_audio().ok_or(MediaError::NoAudio)?;
        let remote = sdp.remote_media(index).ok_or(MediaError::NoAudio)?;
        let table = lock(&self.shared.table);
        let handle = table.sessions.get(call_id).ok_or(MediaError::UnknownCall)?;
        let remote = Command::Remote {
            call_id: call_id.clone(),
            leg: from,
            remote,
        };
        if !table.workers[handle.worker].send(remote) {
            return Err(MediaError::SessionBusy);
        }
        let ports = match from.other() {
            Leg::Caller => handle.ports.caller,
            Leg::Buyer => handle.ports.buyer,
        };
        sdp.anchor(index, handle.ports.address, ports);
        Ok(sdp.to_bytes())
    }

    /// Ends a session: closes its sockets, frees its ports, returns its
    /// statistics. `None` if the call had no session.
    pub async fn release(&self, call_id: &CallId) -> Option<FinalStats> {
        let (tx, rx) = oneshot::channel();
        let ports = {
            let mut table = lock(&self.shared.table);
            let handle = table.sessions.remove(call_id)?;
            let worker = &mut table.workers[handle.worker];
            worker.load -= 1;
            worker.send(Command::Release {
                call_id: call_id.clone(),
                reply: tx,
            });
            handle.ports
        };
        // The worker replies after closing the sockets (or has stopped,
        // and closed them as it ended): only then may the ports go back.
        let reply = rx.await.ok();
        {
            let mut pool = lock(&self.shared.pool);
            pool.free(ports.caller);
            pool.free(ports.buyer);
        }
        let (stats, dropped) = reply?;
        let lost = stats.caller.lost + stats.buyer.lost;
        self.shared.counters.lost.fetch_add(lost, Relaxed);
        info!(%call_id, lost, dropped, "media session released");
        Some(FinalStats { stats, dropped })
    }

    /// The ports of a call's session.
    pub fn ports(&self, call_id: &CallId) -> Option<SessionPorts> {
        lock(&self.shared.table)
            .sessions
            .get(call_id)
            .map(|h| h.ports)
    }

    /// Port pairs free now (two per session in use).
    pub fn free_port_pairs(&self) -> usize {
        lock(&self.shared.pool).available()
    }

    /// A snapshot of the counters. Workers add theirs after each batch
    /// of packets, so a snapshot lags the wire by one wake at most.
    pub fn counters(&self) -> EngineCounters {
        let c = &self.shared.counters;
        EngineCounters {
            relayed_packets: c.relayed_packets.load(Relaxed),
            relayed_bytes: c.relayed_bytes.load(Relaxed),
            dropped_not_rtp: c.dropped_not_rtp.load(Relaxed),
            dropped_unlatched: c.dropped_unlatched.load(Relaxed),
            dropped_no_destination: c.dropped_no_destination.load(Relaxed),
            dropped_no_session: c.dropped_no_session.load(Relaxed),
            steered_packets: c.steered_packets.load(Relaxed),
            send_errors: c.send_errors.load(Relaxed),
            lost: c.lost.load(Relaxed),
            events_dropped: c.events_dropped.load(Relaxed),
            sessions_active: lock(&self.shared.table).sessions.len() as u64,
        }
    }
}

/// Sets DF on an IPv4 relay socket without path-MTU discovery
/// (`IP_PMTUDISC_PROBE`): RTP is far below any MTU, and a datagram with
/// DF needs no IP ID, which `__ip_select_ident` computes per packet
/// otherwise (2 % of worker time in the profile). Best effort: a socket
/// that refuses it relays as before.
fn dont_fragment(socket: &UdpSocket) {
    use std::os::fd::AsRawFd;
    if socket.local_addr().is_ok_and(|a| a.is_ipv4()) {
        let _ = setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_PROBE,
        );
    }
}

/// `setsockopt(2)` with an int value.
fn setsockopt(fd: std::os::fd::RawFd, level: i32, name: i32, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the call's duration; a bad
    // descriptor is the kernel's error to report.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sdp(port: u16) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
    }

    fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
        let mut packet = vec![0x80, 0];
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        packet.extend_from_slice(&ssrc.to_be_bytes());
        packet.resize(12 + 160, 0xff);
        packet
    }

    fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
        let mut buf = vec![0; 2048];
        let (n, from) = socket.recv_from(&mut buf).expect("packet within 5 s");
        buf.truncate(n);
        (buf, from)
    }

    /// Each I/O path (epoll always; io_uring where this kernel has it)
    /// relays both ways, and release leaves nothing holding the sockets
    /// (an io_uring ring keeps a reference to each socket it receives on
    /// or has registered): the ports bind again the moment `release`
    /// returns.
    #[tokio::test]
    async fn each_io_path_relays_and_frees_its_ports() {
        let local = IpAddr::from([127, 0, 0, 1]);
        let ports = 41_900..=41_915;
        // (I/O path, port steering)
        let mut modes = vec![(IoMode::Epoll, false)];
        if IoMode::detect().0 == IoMode::Uring {
            modes.push((IoMode::Uring, false));
            match Steering::new(local, ports.clone(), 1) {
                Ok(_) => modes.push((IoMode::Uring, true)),
                Err(e) => {
                    assert!(
                        std::env::var("CI").as_deref() != Ok("true"),
                        "port steering must load under CI (root): {e}"
                    );
                    eprintln!("port steering not tested: unavailable here ({e})");
                }
            }
        }
        for (mode, steer) in modes {
            let config = MediaConfig {
                bind: local,
                advertise: local,
                ports: ports.clone(),
                max_sessions: 4,
                ..MediaConfig::default()
            };
            let (engine, _events) = MediaEngine::build(config, 8, 1, Some(mode), steer);
            for round in 0..3u16 {
                let call = CallId::from(format!("{mode:?}-{round}").as_str());
                let ports = engine.allocate_session(call.clone()).expect("allocate");
                let caller = UdpSocket::bind((local, 0)).expect("bind");
                let buyer = UdpSocket::bind((local, 0)).expect("bind");
                for s in [&caller, &buyer] {
                    s.set_read_timeout(Some(Duration::from_secs(5)))
                        .expect("timeout");
                }
                let port = |s: &UdpSocket| s.local_addr().expect("addr").port();
                engine
                    .anchor_sdp(&call, Leg::Caller, sdp(port(&caller)).as_bytes())
                    .expect("offer");
                engine
                    .anchor_sdp(&call, Leg::Buyer, sdp(port(&buyer)).as_bytes())
                    .expect("answer");

                let packet = rtp(round, 0x1111);
                caller
                    .send_to(&packet, (local, ports.caller.rtp))
                    .expect("send");
                let (got, from) = recv(&buyer);
                assert_eq!(
                    (got, from.port()),
                    (packet, ports.buyer.rtp),
                    "{mode:?} {steer}"
                );
                let reply = rtp(round + 7, 0x2222);
                buyer
                    .send_to(&reply, (local, ports.buyer.rtp))
                    .expect("send");
                let (got, from) = recv(&caller);
                assert_eq!(
                    (got, from.port()),
                    (reply, ports.caller.rtp),
                    "{mode:?} {steer}"
                );

                // The buyer's reply follows a relayed packet, so its port is
                // routed by then; the caller's first packet may race the
                // worker's routing and arrive on the port's own socket.
                let steered = engine.counters().steered_packets;
                if steer {
                    assert!(
                        steered > u64::from(round),
                        "{steered} steered by round {round}"
                    );
                } else {
                    assert_eq!(steered, 0, "{mode:?}: nothing steered without steering");
                }
                assert!(engine.release(&call).await.is_some());
                for leg in [ports.caller, ports.buyer] {
                    for port in [Some(leg.rtp), leg.rtcp].into_iter().flatten() {
                        let bound = UdpSocket::bind(SocketAddr::new(local, port));
                        assert!(bound.is_ok(), "{mode:?}: port {port} still bound");
                    }
                }
            }
        }
    }
}
