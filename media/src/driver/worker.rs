//! A relay worker: one OS thread, one epoll set, many calls. It owns its
//! calls' sockets and [`RelaySession`]s outright, so a packet is handled
//! with no lock, no task wake-up and no allocation: `epoll_wait` →
//! `recvmmsg` on each ready socket → `handle_packet` → `sendto`, with
//! counters summed locally and added to the shared ones once per wake.
//! Commands from call control arrive on a channel and ring the worker's
//! eventfd; inactivity is checked on a 100 ms timerfd tick.
//!
//! The same worker runs on io_uring where the kernel allows it
//! (`uring.rs`: multishot receive into provided buffers, a wake's sends
//! in one submission); [`IoMode`] says which, chosen at engine start.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, trace, warn};

use super::poller::{Bell, Events, Poller, Ticker};
use super::recv::{RecvBatch, BATCH};
use super::steer::{Steering, WorkerSteer};
use super::{CallId, MediaEvent};
use uring::{Op, Ring};

mod uring;
use crate::relay::{
    Component, DropReason, Forwarding, Leg, LocalSocket, RelaySession, SessionEvent, SessionStats,
};
use crate::sdp::RemoteMedia;

/// Inactivity granularity: media timeouts are tens of seconds, so a
/// 100 ms tick costs nothing and keeps a timer off the packet path.
const TICK: Duration = Duration::from_millis(100);
/// Readiness events taken per `epoll_wait`.
const EVENTS: usize = 512;
/// Datagrams read from one socket per wake before the others get a turn.
const PER_WAKE: usize = 4 * BATCH;
/// The eventfd's token; sockets' tokens are `slot << 2 | socket`.
const BELL: u64 = u64::MAX;
/// The ticker's token.
const TICKER: u64 = u64::MAX - 1;

/// Which kernel interface the workers wait and move packets with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IoMode {
    /// `epoll_wait`, `recvmmsg`, one `sendto` per packet.
    Epoll,
    /// io_uring: multishot `recvmsg`, sends batched per wake.
    Uring,
}

impl IoMode {
    /// io_uring if this kernel (and seccomp policy) sets up a ring with
    /// what the loop needs, else epoll. `DCE_RELAY_IO=epoll` forces
    /// epoll (for comparison runs, or a kernel whose io_uring is suspect).
    pub(super) fn detect() -> (Self, Option<io::Error>) {
        if std::env::var("DCE_RELAY_IO").is_ok_and(|v| v == "epoll") {
            return (IoMode::Epoll, None);
        }
        match Ring::new() {
            Ok(_) => (IoMode::Uring, None),
            Err(e) => (IoMode::Epoll, Some(e)),
        }
    }
}

/// A worker's kernel side.
enum Io {
    Epoll(Poller),
    Uring(Box<Ring>),
}

/// What call control asks of a worker.
pub(super) enum Command {
    /// Relay a new call on these sockets (caller RTP, caller RTCP, buyer
    /// RTP, buyer RTCP).
    Open {
        call_id: CallId,
        session: Box<RelaySession>,
        sockets: [Option<UdpSocket>; 4],
    },
    /// A party's SDP changed.
    Remote {
        call_id: CallId,
        leg: Leg,
        remote: RemoteMedia,
    },
    /// Close the call's sockets, then reply with its statistics.
    Release {
        call_id: CallId,
        reply: oneshot::Sender<(SessionStats, u64)>,
    },
    /// The engine is gone: close everything and end the thread.
    Shutdown,
}

/// Engine-wide counters; workers add to them once per wake, not per
/// packet.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) relayed_packets: AtomicU64,
    pub(super) relayed_bytes: AtomicU64,
    pub(super) dropped_not_rtp: AtomicU64,
    pub(super) dropped_unlatched: AtomicU64,
    pub(super) dropped_no_destination: AtomicU64,
    pub(super) dropped_no_session: AtomicU64,
    pub(super) steered_packets: AtomicU64,
    pub(super) send_errors: AtomicU64,
    pub(super) lost: AtomicU64,
    pub(super) events_dropped: AtomicU64,
}

/// A worker's counts since its last flush.
#[derive(Default)]
struct Tally {
    relayed_packets: u64,
    relayed_bytes: u64,
    dropped_not_rtp: u64,
    dropped_unlatched: u64,
    dropped_no_destination: u64,
    dropped_no_session: u64,
    steered_packets: u64,
    send_errors: u64,
    events_dropped: u64,
}

impl Tally {
    fn flush(&mut self, to: &Counters) {
        let pairs = [
            (&mut self.relayed_packets, &to.relayed_packets),
            (&mut self.relayed_bytes, &to.relayed_bytes),
            (&mut self.dropped_not_rtp, &to.dropped_not_rtp),
            (&mut self.dropped_unlatched, &to.dropped_unlatched),
            (&mut self.dropped_no_destination, &to.dropped_no_destination),
            (&mut self.dropped_no_session, &to.dropped_no_session),
            (&mut self.steered_packets, &to.steered_packets),
            (&mut self.send_errors, &to.send_errors),
            (&mut self.events_dropped, &to.events_dropped),
        ];
        for (local, shared) in pairs {
            if *local > 0 {
                shared.fetch_add(std::mem::take(local), Relaxed);
            }
        }
    }
}

/// Call control's side of a worker.
pub(super) struct WorkerHandle {
    commands: std_mpsc::Sender<Command>,
    bell: Arc<Bell>,
    /// Sessions placed on this worker (for least-loaded placement).
    pub(super) load: usize,
}

impl WorkerHandle {
    /// Starts worker thread `index`.
    pub(super) fn spawn(
        index: usize,
        mode: IoMode,
        steering: Option<&Arc<Steering>>,
        counters: Arc<Counters>,
        events: mpsc::Sender<MediaEvent>,
    ) -> io::Result<Self> {
        let steer = steering.and_then(|shared| {
            WorkerSteer::new(Arc::clone(shared), index as u32)
                .inspect_err(
                    |e| warn!(worker = index, error = %e, "relay worker: no port steering"),
                )
                .ok()
        });
        let bell = Arc::new(Bell::new()?);
        let ticker = Ticker::new(TICK)?;
        let (commands, rx) = std_mpsc::channel();
        let thread_bell = Arc::clone(&bell);
        // The ring is set up on the worker's own thread (it is its single
        // issuer); the thread reports whether its start succeeded.
        let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name(format!("dce-relay-{index}"))
            .spawn(move || {
                let io = match Io::new(mode, &thread_bell, &ticker) {
                    Ok(io) => io,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let worker = Worker {
                    io,
                    bell: thread_bell,
                    ticker,
                    commands: rx,
                    slots: Vec::new(),
                    free: Vec::new(),
                    by_call: HashMap::new(),
                    next_generation: 0,
                    counters,
                    tally: Tally::default(),
                    events,
                    steer,
                };
                worker.run()
            })?;
        ready_rx
            .recv()
            .unwrap_or_else(|_| Err(io::ErrorKind::Other.into()))?;
        Ok(Self {
            commands,
            bell,
            load: 0,
        })
    }

    /// Queues `command` and wakes the worker; `false` if it has stopped.
    pub(super) fn send(&self, command: Command) -> bool {
        let sent = self.commands.send(command).is_ok();
        if sent {
            self.bell.ring();
        }
        sent
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.send(Command::Shutdown);
    }
}

impl Io {
    /// The kernel side for `mode`, with the bell and the ticker watched.
    /// A ring that fails here (after the engine's probe passed) falls back
    /// to epoll for this worker.
    fn new(mode: IoMode, bell: &Bell, ticker: &Ticker) -> io::Result<Self> {
        if mode == IoMode::Uring {
            match Ring::new() {
                Ok(mut ring) => {
                    ring.arm_poll(bell.fd(), Op::Bell);
                    ring.arm_poll(ticker.fd(), Op::Tick);
                    return Ok(Io::Uring(Box::new(ring)));
                }
                Err(e) => warn!(error = %e, "relay worker: io_uring set-up failed; using epoll"),
            }
        }
        let poller = Poller::new()?;
        poller.add(bell.fd(), BELL, false)?;
        poller.add(ticker.fd(), TICKER, false)?;
        Ok(Io::Epoll(poller))
    }
}

/// One call on a worker.
struct Slot {
    call_id: CallId,
    /// Tells this call's completions from those of an earlier call in the
    /// same slot (io_uring).
    generation: u32,
    session: Box<RelaySession>,
    sockets: [Option<UdpSocket>; 4],
    /// Packets of this call not forwarded.
    dropped: u64,
}

struct Worker {
    io: Io,
    bell: Arc<Bell>,
    ticker: Ticker,
    commands: std_mpsc::Receiver<Command>,
    /// Calls by slot; a socket's token names its slot.
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    by_call: HashMap<CallId, usize>,
    next_generation: u32,
    counters: Arc<Counters>,
    tally: Tally,
    events: mpsc::Sender<MediaEvent>,
    /// This worker's share of port steering (io_uring only).
    steer: Option<WorkerSteer>,
}

impl Worker {
    fn run(mut self) {
        match &self.io {
            Io::Epoll(_) => self.run_epoll(),
            Io::Uring(_) => self.run_uring(),
        }
    }

    fn run_epoll(&mut self) {
        let mut events = Events::with_capacity(EVENTS);
        let mut batch = RecvBatch::new();
        // Sockets left with datagrams by the per-wake bound.
        let mut backlog: Vec<u64> = Vec::new();
        let mut again: Vec<u64> = Vec::new();
        loop {
            let timeout = (!backlog.is_empty()).then_some(Duration::ZERO);
            let Io::Epoll(poller) = &self.io else {
                return;
            };
            if let Err(e) = poller.wait(&mut events, timeout) {
                // EBADF/EINVAL cannot happen on our own epoll; if it does,
                // stop rather than spin. Sessions close with the thread.
                error!(error = %e, "relay worker: epoll_wait failed; stopping");
                return;
            }
            // Commands first, as call control sent them: a packet that
            // follows an SDP answer must find the answer applied. An event
            // naming a slot a command just emptied or refilled is harmless:
            // its read finds nothing, or finds a packet for that very socket.
            if events.tokens().any(|t| t == BELL) {
                self.bell.clear();
                if !self.run_commands() {
                    return;
                }
            }
            let ready = events.tokens().filter(|&t| t != BELL && t != TICKER);
            for token in backlog.drain(..).chain(ready) {
                if !self.on_readable(token, &mut batch) {
                    again.push(token);
                }
            }
            std::mem::swap(&mut backlog, &mut again);
            if events.tokens().any(|t| t == TICKER) {
                self.ticker.clear();
                self.on_tick(Instant::now());
            }
            self.tally.flush(&self.counters);
        }
    }

    /// Relays what a ready socket holds, up to [`PER_WAKE`] datagrams so
    /// one flooded socket cannot starve the others. Edge-triggered: the
    /// socket must be drained, so `false` means "call again".
    fn on_readable(&mut self, token: u64, batch: &mut RecvBatch) -> bool {
        let (index, socket) = ((token >> 2) as usize, (token & 3) as usize);
        let Some(Some(slot)) = self.slots.get_mut(index) else {
            return true;
        };
        let at = SLOTS[socket];
        let mut taken = 0;
        let mut errors = 0;
        while taken < PER_WAKE {
            let Some(rx) = &slot.sockets[socket] else {
                return true;
            };
            let n = match batch.recv(rx.as_fd()) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                // A pending socket error (ICMP): it is cleared by this
                // read; datagrams may still be queued behind it.
                Err(_) if errors < 2 => {
                    errors += 1;
                    continue;
                }
                Err(_) => return true,
            };
            for i in 0..n {
                if let Some((src, packet)) = batch.get(i) {
                    if let Some((via, to)) = relay(slot, at, src, packet, &mut self.tally) {
                        let sent = slot.sockets[via].as_ref().map(|tx| tx.send_to(packet, to));
                        if let Some(Ok(len)) = sent {
                            self.tally.relayed_packets += 1;
                            self.tally.relayed_bytes += len as u64;
                        } else {
                            // Buffer full or unreachable: dropped, never queued.
                            self.tally.send_errors += 1;
                            slot.dropped += 1;
                        }
                    }
                }
            }
            emit(slot, &self.events, &mut self.tally);
            if n < BATCH {
                return true;
            }
            taken += n;
        }
        false
    }

    fn on_tick(&mut self, now: Instant) {
        for slot in self.slots.iter_mut().flatten() {
            if slot.session.poll_timeout().is_some_and(|at| at <= now) {
                slot.session.handle_timeout(now);
                emit(slot, &self.events, &mut self.tally);
            }
        }
    }

    /// Runs queued commands; `false` when the engine is gone.
    fn run_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(Command::Open {
                    call_id,
                    session,
                    sockets,
                }) => self.open(call_id, session, sockets),
                Ok(Command::Remote {
                    call_id,
                    leg,
                    remote,
                }) => {
                    let index = self.by_call.get(&call_id).copied();
                    if let Some(Some(slot)) = index.and_then(|i| self.slots.get_mut(i)) {
                        slot.session.update_remote(leg, remote);
                        // The session may restart its inactivity clock at
                        // the next instant it sees: give it this one.
                        let now = Instant::now();
                        if slot.session.poll_timeout().is_some_and(|at| at <= now) {
                            slot.session.handle_timeout(now);
                        }
                        emit(slot, &self.events, &mut self.tally);
                    }
                }
                Ok(Command::Release { call_id, reply }) => {
                    if let Some(slot) = self.close(&call_id) {
                        let _ = reply.send((slot.session.session_stats(), slot.dropped));
                    }
                }
                Err(std_mpsc::TryRecvError::Empty) => return true,
                Ok(Command::Shutdown) | Err(std_mpsc::TryRecvError::Disconnected) => {
                    debug!(sessions = self.by_call.len(), "relay worker stopping");
                    return false;
                }
            }
        }
    }

    fn open(
        &mut self,
        call_id: CallId,
        session: Box<RelaySession>,
        sockets: [Option<UdpSocket>; 4],
    ) {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        for (socket, s) in sockets.iter().enumerate() {
            let Some(s) = s else { continue };
            let token = (index as u64) << 2 | socket as u64;
            match &mut self.io {
                Io::Epoll(poller) => {
                    if let Err(e) = poller.add(s.as_fd(), token, true) {
                        // Only ENOMEM/ENOSPC (max_user_watches): the call
                        // stays deaf and times out as inactive, which hangs
                        // it up.
                        warn!(%call_id, error = %e, "relay socket not watched");
                    }
                }
                Io::Uring(ring) => {
                    ring.register(token, s.as_fd());
                    let target = ring.target(token, s.as_fd());
                    ring.arm_recv(target, token, generation);
                }
            }
            if let (Some(steer), Some(port)) = (&mut self.steer, port_of(&session, socket)) {
                steer.route(port, Some(token));
            }
        }
        self.by_call.insert(call_id.clone(), index);
        self.slots[index] = Some(Slot {
            call_id,
            generation,
            session,
            sockets,
            dropped: 0,
        });
    }

    /// Removes a call and closes its sockets.
    fn close(&mut self, call_id: &CallId) -> Option<Slot> {
        let index = self.by_call.remove(call_id)?;
        let mut slot = self.slots.get_mut(index)?.take()?;
        self.free.push(index);
        for (socket, s) in slot.sockets.iter_mut().enumerate() {
            if let Some(s) = s.take() {
                if let (Some(steer), Some(port)) = (&mut self.steer, port_of(&slot.session, socket))
                {
                    steer.route(port, None);
                }
                match &mut self.io {
                    Io::Epoll(poller) => {
                        let _ = poller.delete(s.as_fd());
                    }
                    Io::Uring(ring) => {
                        let token = (index as u64) << 2 | socket as u64;
                        ring.cancel(ring.target(token, s.as_fd()));
                        ring.unregister(token);
                    }
                }
            }
        }
        if let Io::Uring(ring) = &mut self.io {
            ring.settle();
        }
        Some(slot)
    }
}

/// One datagram through its session: the socket to send it from (index
/// into the slot's sockets) and where to, or `None` if it was dropped.
fn relay(
    slot: &mut Slot,
    at: LocalSocket,
    src: SocketAddr,
    packet: &mut [u8],
    tally: &mut Tally,
) -> Option<(usize, SocketAddr)> {
    match slot.session.handle_packet(Instant::now(), at, src, packet) {
        Forwarding::Forward { via, to } => Some((slot_of(via), to)),
        Forwarding::Drop(reason) => {
            trace!(call_id = %slot.call_id, ?reason, %src, "dropped");
            slot.dropped += 1;
            match reason {
                DropReason::NotRtp => tally.dropped_not_rtp += 1,
                DropReason::UnexpectedSource | DropReason::NotLatchedSource => {
                    tally.dropped_unlatched += 1
                }
                DropReason::NoDestination | DropReason::NotReceiving => {
                    tally.dropped_no_destination += 1
                }
            }
            None
        }
    }
}

/// Passes a session's events on to call control.
fn emit(slot: &mut Slot, events: &mpsc::Sender<MediaEvent>, tally: &mut Tally) {
    while let Some(event) = slot.session.poll_event() {
        if let SessionEvent::Inactive { leg, silent_for } = event {
            let event = MediaEvent::Inactive {
                call_id: slot.call_id.clone(),
                leg,
                silent_for,
            };
            if events.try_send(event).is_err() {
                tally.events_dropped += 1;
            }
        }
    }
}

/// The port of a session's socket `socket` (an index into `SLOTS`).
fn port_of(session: &RelaySession, socket: usize) -> Option<u16> {
    let at = SLOTS[socket];
    let ports = session.ports(at.leg);
    match at.component {
        Component::Rtp => Some(ports.rtp),
        Component::Rtcp => ports.rtcp,
    }
}

/// Index into a session's four sockets.
fn slot_of(at: LocalSocket) -> usize {
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
