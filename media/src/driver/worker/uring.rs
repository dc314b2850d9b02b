//! The worker loop on io_uring instead of epoll: one multishot
//! `recvmsg` per relay socket (datagrams land in a ring of provided
//! buffers, no readiness event and no receive syscall per socket), and
//! every send of a wake queued as an SQE and submitted by the one
//! `io_uring_enter` that also waits for the next completions.
//!
//! Needs Linux 6.1 (multishot `recvmsg` 6.0, `DEFER_TASKRUN` 6.1); the
//! engine probes when it starts its workers and falls back to epoll when
//! the ring cannot be set up (old kernel, `kernel.io_uring_disabled`,
//! seccomp). Measured: 2–3 % less CPU per packet than epoll at
//! 2,000–2,750 calls, nothing at lower load (docs/PERFORMANCE.md, "RTP
//! relay load"); the UDP work per packet is the same on both paths.
//!
//! Buffers: a received datagram stays in its provided buffer, is
//! rewritten there by the session and sent from there; the buffer goes
//! back to the kernel when the send completes (or at once when the
//! packet is dropped). Sends carry `MSG_DONTWAIT`, so a full socket
//! buffer fails the send (counted, as on the epoll path) instead of
//! parking it.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Instant;

use io_uring::{cqueue, opcode, squeue, types, IoUring};
use tracing::{error, trace, warn};

use super::super::recv::socket_addr;
use super::super::steer::{original_port, CONTROL_LEN};
use super::{emit, relay, SLOTS};

/// Provided receive buffers per worker (a power of two, at most 2^15).
const BUFFERS: u16 = 1024;
/// One provided buffer: the kernel's `io_uring_recvmsg_out` header, the
/// source address, room for control messages (the steered socket's
/// original destination), then the datagram.
const BUFFER_LEN: usize = 2048 + PAYLOAD_AT;
/// Where the datagram starts in a buffer.
const PAYLOAD_AT: usize = HEADER + NAME_LEN + CONTROL_LEN;
const HEADER: usize = 16;
/// Room for the source address: a `sockaddr_in6` (a `sockaddr_in` fits).
const NAME_LEN: usize = std::mem::size_of::<libc::sockaddr_in6>();
/// Buffer group id of the provided buffers.
const GROUP: u16 = 0;
const SQ_ENTRIES: u32 = 1024;
const CQ_ENTRIES: u32 = 8192;
/// Registered-file slots per worker at most (4 per call on the worker).
const FILE_TABLE: u64 = 1 << 15;

/// What a completion is for: the top byte of its `user_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// A socket's multishot receive; the low bits are its token and the
    /// slot's generation.
    Recv { token: u64, generation: u32 },
    /// A send from provided buffer `bid`.
    Send { bid: u16 },
    /// The bell's multishot poll.
    Bell,
    /// The ticker's multishot poll.
    Tick,
    /// The worker's steered socket's multishot receive.
    Steer,
}

const RECV: u64 = 1 << 56;
const SEND: u64 = 2 << 56;
const BELL: u64 = 3 << 56;
const TICK: u64 = 4 << 56;
const STEER: u64 = 5 << 56;

impl Op {
    fn user_data(self) -> u64 {
        match self {
            // Tokens are `slot << 2 | socket`, well under 2^24 slots.
            Op::Recv { token, generation } => {
                RECV | u64::from(generation) << 24 | (token & 0xff_ffff)
            }
            Op::Send { bid } => SEND | u64::from(bid),
            Op::Bell => BELL,
            Op::Tick => TICK,
            Op::Steer => STEER,
        }
    }

    fn from_user_data(data: u64) -> Option<Self> {
        match data & (0xff << 56) {
            RECV => Some(Op::Recv {
                token: data & 0xff_ffff,
                generation: (data >> 24) as u32,
            }),
            SEND => Some(Op::Send { bid: data as u16 }),
            BELL => Some(Op::Bell),
            TICK => Some(Op::Tick),
            STEER => Some(Op::Steer),
            _ => None,
        }
    }
}

/// A received datagram, parsed out of its provided buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Datagram {
    pub(super) src: SocketAddr,
    /// The port it was sent to, when the socket reports it (the steered
    /// socket's `IP_ORIGDSTADDR`).
    pub(super) port: Option<u16>,
    /// Its length; it starts at `PAYLOAD_AT` in the buffer.
    len: usize,
}

/// One completion, copied out of the queue.
#[derive(Debug, Clone, Copy)]
pub(super) struct Completion {
    pub(super) op: Op,
    pub(super) result: i32,
    /// The provided buffer it filled, if any.
    pub(super) bid: Option<u16>,
    /// Whether a multishot request stays armed.
    pub(super) more: bool,
}

/// A worker's ring and its provided buffers.
pub(super) struct Ring {
    // Declared first so it drops first: the kernel lets go of the
    // buffers before they are freed.
    ring: IoUring,
    /// The buffer ring shared with the kernel (entries, tail in entry 0).
    entries: BufRing,
    /// The buffers, `BUFFERS` × `BUFFER_LEN`, at a stable address.
    buffers: Box<[u8]>,
    /// Where each buffer's send goes, stable until its completion.
    dests: Box<[libc::sockaddr_storage]>,
    /// Which slot each in-flight send belongs to (for its drop count).
    pub(super) owners: Box<[(u32, u32)]>,
    /// The template all multishot receives share (only its name and
    /// control lengths are read).
    msghdr: Box<libc::msghdr>,
    tail: u16,
    /// Size of the registered file table (0: none); a socket's slot in
    /// it is its token.
    table: u32,
    /// Which tokens hold a registered socket now.
    fixed: Vec<bool>,
}

/// How an SQE names a socket: by registered index when it has one, which
/// spares the `fget`/`fput` of every send (6 % of worker time without).
#[derive(Clone, Copy)]
pub(super) enum Target {
    Fixed(u32),
    Fd(i32),
}

// SAFETY: the raw pointers (in `msghdr`, and the buffer ring's entries)
// point only into this struct's own allocations, so the whole moves
// between threads as one value; it is used by one thread at a time.
unsafe impl Send for Ring {}

impl Ring {
    /// Sets up a ring with the features the loop needs, or fails (the
    /// caller falls back to epoll).
    pub(super) fn new() -> io::Result<Self> {
        let ring = IoUring::builder()
            .setup_single_issuer()
            .setup_defer_taskrun()
            .setup_cqsize(CQ_ENTRIES)
            .build(SQ_ENTRIES)?;
        let mut probe = io_uring::Probe::new();
        ring.submitter().register_probe(&mut probe)?;
        let needed = [
            opcode::RecvMsgMulti::CODE,
            opcode::Send::CODE,
            opcode::PollAdd::CODE,
            opcode::AsyncCancel2::CODE,
        ];
        if !needed.iter().all(|&op| probe.is_supported(op)) {
            return Err(io::ErrorKind::Unsupported.into());
        }
        let entries = BufRing::new(BUFFERS)?;
        // SAFETY: the entries live in `Ring` as long as the ring does, and
        // the ring is dropped first.
        unsafe {
            ring.submitter().register_buf_ring_with_flags(
                entries.base as u64,
                BUFFERS,
                GROUP,
                0,
            )?;
        }
        // SAFETY: all-zero is a valid msghdr and sockaddr_storage.
        let mut msghdr: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        msghdr.msg_namelen = NAME_LEN as u32;
        msghdr.msg_controllen = CONTROL_LEN as _;
        let dests = (0..BUFFERS)
            // SAFETY: as above.
            .map(|_| unsafe { std::mem::zeroed() })
            .collect();
        let mut me = Self {
            ring,
            entries,
            buffers: vec![0; usize::from(BUFFERS) * BUFFER_LEN].into_boxed_slice(),
            dests,
            owners: vec![(0, 0); usize::from(BUFFERS)].into_boxed_slice(),
            msghdr,
            tail: 0,
            table: 0,
            fixed: Vec::new(),
        };
        // The table counts against RLIMIT_NOFILE; without one, plain
        // descriptors.
        // SAFETY: all-zero is a valid rlimit.
        let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
        // SAFETY: `limit` is a valid out-pointer for the call.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            let size = limit.rlim_cur.min(FILE_TABLE) as u32;
            if size > 0 && me.ring.submitter().register_files_sparse(size).is_ok() {
                me.table = size;
            }
        }
        for bid in 0..BUFFERS {
            me.give_back(bid);
        }
        Ok(me)
    }

    /// Returns buffer `bid` to the kernel.
    pub(super) fn give_back(&mut self, bid: u16) {
        let addr = self.buffers[usize::from(bid) * BUFFER_LEN..].as_mut_ptr();
        self.entries
            .push(self.tail, addr as u64, BUFFER_LEN as u32, bid);
        self.tail = self.tail.wrapping_add(1);
        self.entries.publish(self.tail);
    }

    /// The datagram in buffer `bid` that a receive of `len` bytes filled
    /// (its bytes are [`payload`](Self::payload)).
    pub(super) fn datagram(&self, bid: u16, len: usize) -> Option<Datagram> {
        let start = usize::from(bid) * BUFFER_LEN;
        let buffer = self.buffers.get(start..start + BUFFER_LEN)?;
        let len = len.min(BUFFER_LEN);
        let out = types::RecvMsgOut::parse(&buffer[..len], &self.msghdr).ok()?;
        let name = out.name_data();
        // SAFETY: all-zero is a valid sockaddr_storage; the name is at
        // most NAME_LEN bytes, less than its size.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        // SAFETY: `name` fits in `storage` (NAME_LEN < its size); both are
        // plain bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                name.as_ptr(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                name.len().min(NAME_LEN),
            );
        }
        Some(Datagram {
            src: socket_addr(&storage)?,
            port: original_port(out.control_data()),
            len: out.payload_data().len(),
        })
    }

    /// The bytes of `datagram`, in buffer `bid` (rewritable in place).
    pub(super) fn payload(&mut self, bid: u16, datagram: &Datagram) -> &mut [u8] {
        let at = usize::from(bid) * BUFFER_LEN + PAYLOAD_AT;
        &mut self.buffers[at..at + datagram.len]
    }

    /// Registers socket `fd` under `token` when the table has room.
    pub(super) fn register(&mut self, token: u64, fd: BorrowedFd<'_>) {
        let Ok(index) = u32::try_from(token) else {
            return;
        };
        if index >= self.table {
            return;
        }
        let i = index as usize;
        if self.fixed.len() <= i {
            self.fixed.resize(i + 1, false);
        }
        self.fixed[i] = self
            .ring
            .submitter()
            .register_files_update(index, &[fd.as_raw_fd()])
            .is_ok();
    }

    /// Drops the registration of `token` (after [`cancel`](Self::cancel)).
    pub(super) fn unregister(&mut self, token: u64) {
        if let Some(fixed) = self.fixed.get_mut(token as usize) {
            if std::mem::take(fixed) {
                let _ = self
                    .ring
                    .submitter()
                    .register_files_update(token as u32, &[-1]);
            }
        }
    }

    /// How to name socket `fd` of `token` in an SQE.
    pub(super) fn target(&self, token: u64, fd: BorrowedFd<'_>) -> Target {
        if self.fixed.get(token as usize).copied().unwrap_or(false) {
            Target::Fixed(token as u32)
        } else {
            Target::Fd(fd.as_raw_fd())
        }
    }

    /// Arms a multishot receive on a call's socket.
    pub(super) fn arm_recv(&mut self, target: Target, token: u64, generation: u32) {
        if !self.arm(target, Op::Recv { token, generation }) {
            // The call stays deaf and is hung up as inactive.
            warn!(token, "relay receive not armed");
        }
    }

    /// Arms the multishot receive of the worker's steered socket.
    pub(super) fn arm_steer(&mut self, fd: BorrowedFd<'_>) {
        if !self.arm(Target::Fd(fd.as_raw_fd()), Op::Steer) {
            // Steered datagrams then wait in its buffer; the next wake
            // that sees this socket's receive end retries.
            warn!("steered receive not armed");
        }
    }

    fn arm(&mut self, target: Target, op: Op) -> bool {
        let msghdr = &*self.msghdr as *const libc::msghdr;
        let entry = match target {
            Target::Fixed(i) => opcode::RecvMsgMulti::new(types::Fixed(i), msghdr, GROUP).build(),
            Target::Fd(fd) => opcode::RecvMsgMulti::new(types::Fd(fd), msghdr, GROUP).build(),
        };
        self.push(entry.user_data(op.user_data()))
    }

    /// Arms a multishot poll for input on the bell or the ticker.
    pub(super) fn arm_poll(&mut self, fd: BorrowedFd<'_>, op: Op) {
        let entry = opcode::PollAdd::new(types::Fd(fd.as_raw_fd()), libc::POLLIN as u32)
            .multi(true)
            .build()
            .user_data(op.user_data());
        if !self.push(entry) {
            warn!(?op, "relay worker poll not armed");
        }
    }

    /// Queues the send of `len` bytes at `payload` (in buffer `bid`), from
    /// `target` to `to`; the buffer is the kernel's again only after the
    /// completion. `false` (buffer given back) if it could not be queued.
    pub(super) fn send(
        &mut self,
        target: Target,
        bid: u16,
        payload: *const u8,
        len: usize,
        to: SocketAddr,
    ) -> bool {
        let dest = &mut self.dests[usize::from(bid)];
        let dest_len = write_sockaddr(dest, to);
        let entry = match target {
            Target::Fixed(i) => opcode::Send::new(types::Fixed(i), payload, len as u32),
            Target::Fd(fd) => opcode::Send::new(types::Fd(fd), payload, len as u32),
        };
        let entry = entry
            .dest_addr((dest as *const libc::sockaddr_storage).cast())
            .dest_addr_len(dest_len)
            .flags(libc::MSG_DONTWAIT)
            .build()
            .user_data(Op::Send { bid }.user_data());
        let queued = self.push(entry);
        if !queued {
            self.give_back(bid);
        }
        queued
    }

    /// Cancels every request on a socket; with [`unregister`] and then
    /// [`settle`](Self::settle), the ring holds no reference to the socket
    /// when it is closed (its port must be free when release returns).
    ///
    /// [`unregister`]: Self::unregister
    pub(super) fn cancel(&mut self, target: Target) {
        let builder = match target {
            Target::Fixed(i) => types::CancelBuilder::fd(types::Fixed(i)),
            Target::Fd(fd) => types::CancelBuilder::fd(types::Fd(fd)),
        }
        .all();
        // ENOENT (nothing armed) is fine; anything else leaves the socket
        // referenced until the ring ends, which only delays port reuse.
        let _ = self.ring.submitter().register_sync_cancel(None, builder);
    }

    /// Runs the ring's deferred completions now (with `DEFER_TASKRUN` a
    /// cancelled receive completes, and lets go of its socket, only when
    /// this thread next enters the kernel for events), without waiting
    /// or submitting.
    pub(super) fn settle(&mut self) {
        // IORING_ENTER_GETEVENTS, with no minimum: run pending task work,
        // flush completions, return.
        const GETEVENTS: u32 = 1;
        // SAFETY: no argument pointer; nothing is submitted.
        let _ = unsafe {
            self.ring
                .submitter()
                .enter::<libc::sigset_t>(0, 0, GETEVENTS, None)
        };
    }

    /// Cancels every request of the ring and waits for them (before the
    /// ring, its buffers and the sockets are dropped).
    pub(super) fn cancel_all(&mut self) {
        let submitter = self.ring.submitter();
        let _ = submitter.register_sync_cancel(None, types::CancelBuilder::any());
        self.settle();
        let submitter = self.ring.submitter();
        // The table holds a reference to each socket; a ring is torn down
        // asynchronously (about half a second with thousands of sockets),
        // so drop them now, with the ring idle, for the ports to be free
        // when the worker's sockets close.
        if self.table > 0 {
            let _ = submitter.unregister_files();
            self.table = 0;
            self.fixed.clear();
        }
    }

    /// Queues `entry`; `false` if the kernel refuses submissions (then
    /// the request is not made).
    #[must_use]
    fn push(&mut self, entry: squeue::Entry) -> bool {
        loop {
            // SAFETY: every buffer and address an entry points at lives
            // in `self` until the entry's completion (see `send`,
            // `arm_recv`); the bell and ticker outlive the ring.
            if unsafe { self.ring.submission().push(&entry) }.is_ok() {
                return true;
            }
            // Queue full: hand it to the kernel now, then retry.
            if self.ring.submit().is_err() {
                return false;
            }
        }
    }

    /// Submits what is queued and sleeps until at least one completion,
    /// then copies the completions into `out`.
    pub(super) fn wait(&mut self, out: &mut Vec<Completion>) -> io::Result<()> {
        match self.ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) => {}
            Err(e) => return Err(e),
        }
        out.clear();
        for cqe in self.ring.completion() {
            let Some(op) = Op::from_user_data(cqe.user_data()) else {
                continue;
            };
            out.push(Completion {
                op,
                result: cqe.result(),
                bid: cqueue::buffer_select(cqe.flags()),
                more: cqueue::more(cqe.flags()),
            });
        }
        Ok(())
    }
}

/// The provided-buffer ring: page-aligned entries shared with the kernel.
struct BufRing {
    base: *mut types::BufRingEntry,
    layout: std::alloc::Layout,
    mask: u16,
}

impl BufRing {
    fn new(entries: u16) -> io::Result<Self> {
        let layout = std::alloc::Layout::from_size_align(
            usize::from(entries) * std::mem::size_of::<types::BufRingEntry>(),
            4096,
        )
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: non-zero size; zeroed entries are valid (and the tail,
        // in entry 0, starts at 0).
        let base = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<types::BufRingEntry>();
        if base.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        Ok(Self {
            base,
            layout,
            mask: entries - 1,
        })
    }

    fn push(&mut self, tail: u16, addr: u64, len: u32, bid: u16) {
        // SAFETY: the index is masked into the allocation.
        let entry = unsafe { &mut *self.base.add(usize::from(tail & self.mask)) };
        entry.set_addr(addr);
        entry.set_len(len);
        entry.set_bid(bid);
    }

    fn publish(&mut self, tail: u16) {
        // SAFETY: the tail field is an aligned u16 inside entry 0, which the
        // kernel reads with acquire semantics.
        unsafe {
            let tail_ptr = types::BufRingEntry::tail(self.base) as *const AtomicU16;
            (*tail_ptr).store(tail, Ordering::Release);
        }
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.base.cast(), self.layout) }
    }
}

/// Whether a multishot receive that ended with `c` is armed again. After
/// running out of buffers (ENOBUFS; they are back once this wake's sends
/// complete), a socket error (cleared by the receive that reported it) or
/// a kernel limit: yes, behind this wake's sends. Cancelled (the call
/// closed) or refused outright (a bug, which re-arming would turn into a
/// busy loop): no.
fn rearm(c: &Completion, what: &str, owner: &dyn std::fmt::Display) -> bool {
    if c.more || c.result == -libc::ECANCELED {
        return false;
    }
    let refused = [
        libc::EBADF,
        libc::EINVAL,
        libc::ENOTSOCK,
        libc::EOPNOTSUPP,
        libc::EFAULT,
    ];
    if refused.contains(&-c.result) {
        error!(%owner, result = c.result, "{what} refused; not re-armed");
        return false;
    }
    trace!(%owner, result = c.result, "{what} re-armed");
    true
}

/// Writes `to` as a C socket address; returns its length.
fn write_sockaddr(storage: &mut libc::sockaddr_storage, to: SocketAddr) -> libc::socklen_t {
    match to {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is large and aligned enough.
            let sin = unsafe {
                &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from(*a.ip()).to_be(),
            };
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(a) => {
            // SAFETY: as above.
            let sin6 = unsafe {
                &mut *(storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo().to_be();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_scope_id = a.scope_id();
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}

impl super::Worker {
    /// The worker loop on a ring: submit what the last wake queued and
    /// sleep in one `io_uring_enter`, then handle the completions.
    pub(super) fn run_uring(&mut self) {
        if let (super::Io::Uring(ring), Some(steer)) = (&mut self.io, &self.steer) {
            ring.arm_steer(steer.socket());
        }
        self.uring_loop();
        // Nothing of the ring may outlive it: cancel every request before
        // the buffers and sockets go.
        if let super::Io::Uring(ring) = &mut self.io {
            ring.cancel_all();
        }
    }

    fn uring_loop(&mut self) {
        let mut completions = Vec::with_capacity(usize::from(BUFFERS));
        loop {
            let super::Io::Uring(ring) = &mut self.io else {
                return;
            };
            if let Err(e) = ring.wait(&mut completions) {
                error!(error = %e, "relay worker: io_uring_enter failed; stopping");
                return;
            }
            // Commands first, as on the epoll path: a packet that follows
            // an SDP answer must find the answer applied. Completions of a
            // call a command just closed carry its old generation and are
            // skipped.
            let mut tick = false;
            for c in &completions {
                match c.op {
                    Op::Bell => {
                        self.bell.clear();
                        if !c.more {
                            self.rearm_poll(Op::Bell);
                        }
                        if !self.run_commands() {
                            return;
                        }
                    }
                    Op::Tick => {
                        tick = true;
                        if !c.more {
                            self.rearm_poll(Op::Tick);
                        }
                    }
                    Op::Recv { .. } | Op::Send { .. } | Op::Steer => {}
                }
            }
            for c in &completions {
                match c.op {
                    Op::Recv { token, generation } => self.on_recv(c, token, generation),
                    Op::Send { bid } => self.on_sent(c, bid),
                    Op::Steer => self.on_steered(c),
                    Op::Bell | Op::Tick => {}
                }
            }
            if tick {
                self.ticker.clear();
                self.on_tick(Instant::now());
            }
            self.tally.flush(&self.counters);
        }
    }

    fn rearm_poll(&mut self, op: Op) {
        if let super::Io::Uring(ring) = &mut self.io {
            let fd = if op == Op::Bell {
                self.bell.fd()
            } else {
                self.ticker.fd()
            };
            ring.arm_poll(fd, op);
        }
    }

    /// A datagram (or the end of a multishot receive) on a call's socket:
    /// relay it from its buffer, queueing the send; re-arm the receive if
    /// it ended.
    fn on_recv(&mut self, c: &Completion, token: u64, generation: u32) {
        let super::Io::Uring(ring) = &mut self.io else {
            return;
        };
        let index = (token >> 2) as usize;
        let current = matches!(
            self.slots.get(index),
            Some(Some(slot)) if slot.generation == generation
        );
        if !current {
            // A call closed since: its buffer goes back.
            if let Some(bid) = c.bid {
                ring.give_back(bid);
            }
            return;
        }
        if let Some(bid) = c.bid {
            let datagram = usize::try_from(c.result)
                .ok()
                .and_then(|len| ring.datagram(bid, len));
            match datagram {
                Some(d) => self.relay_buffer(token, bid, d),
                None => ring.give_back(bid),
            }
        }
        let super::Io::Uring(ring) = &mut self.io else {
            return;
        };
        let Some(Some(slot)) = self.slots.get(index) else {
            return;
        };
        if rearm(c, "relay receive", &slot.call_id) {
            if let Some(rx) = &slot.sockets[(token & 3) as usize] {
                let target = ring.target(token, rx.as_fd());
                ring.arm_recv(target, token, generation);
            }
        }
    }

    /// A datagram (or the end of the multishot receive) on the steered
    /// socket: relayed as if its port's own socket had received it.
    fn on_steered(&mut self, c: &Completion) {
        let super::Io::Uring(ring) = &mut self.io else {
            return;
        };
        if let Some(bid) = c.bid {
            let datagram = usize::try_from(c.result)
                .ok()
                .and_then(|len| ring.datagram(bid, len));
            let token = datagram
                .and_then(|d| d.port)
                .and_then(|p| self.steer.as_ref()?.token(p));
            match (datagram, token) {
                (Some(d), Some(token)) => {
                    self.tally.steered_packets += 1;
                    self.relay_buffer(token, bid, d);
                }
                (Some(_), None) => {
                    // Its call ended while it queued.
                    self.tally.dropped_no_session += 1;
                    ring.give_back(bid);
                }
                (None, _) => ring.give_back(bid),
            }
        }
        let (super::Io::Uring(ring), Some(steer)) = (&mut self.io, &self.steer) else {
            return;
        };
        if rearm(c, "steered receive", &"steering") {
            ring.arm_steer(steer.socket());
        }
    }

    /// Relays `datagram`, in buffer `bid`, as received by the socket of
    /// `token` (a live call's), queueing its send; the buffer goes back
    /// when the datagram is dropped.
    fn relay_buffer(&mut self, token: u64, bid: u16, datagram: Datagram) {
        let super::Io::Uring(ring) = &mut self.io else {
            return;
        };
        let (index, socket) = ((token >> 2) as usize, (token & 3) as usize);
        let Some(Some(slot)) = self.slots.get_mut(index) else {
            ring.give_back(bid);
            return;
        };
        let generation = slot.generation;
        let mut kept = false;
        let packet = ring.payload(bid, &datagram);
        let (ptr, len) = (packet.as_ptr(), packet.len());
        if let Some((via, to)) = relay(slot, SLOTS[socket], datagram.src, packet, &mut self.tally) {
            if let Some(tx) = &slot.sockets[via] {
                ring.owners[usize::from(bid)] = (index as u32, generation);
                let target = ring.target((index as u64) << 2 | via as u64, tx.as_fd());
                if !ring.send(target, bid, ptr, len, to) {
                    self.tally.send_errors += 1;
                    slot.dropped += 1;
                }
                // The send owns the buffer now (or gave it back).
                kept = true;
            } else {
                self.tally.send_errors += 1;
                slot.dropped += 1;
            }
        }
        if !kept {
            ring.give_back(bid);
        }
        emit(slot, &self.events, &mut self.tally);
    }

    /// A send finished: count it, and give its buffer back.
    fn on_sent(&mut self, c: &Completion, bid: u16) {
        let super::Io::Uring(ring) = &mut self.io else {
            return;
        };
        if let Ok(len) = u64::try_from(c.result) {
            self.tally.relayed_packets += 1;
            self.tally.relayed_bytes += len;
        } else {
            // Buffer full or unreachable: dropped, never queued.
            self.tally.send_errors += 1;
            let (index, generation) = ring.owners[usize::from(bid)];
            if let Some(Some(slot)) = self.slots.get_mut(index as usize) {
                if slot.generation == generation {
                    slot.dropped += 1;
                }
            }
        }
        ring.give_back(bid);
    }
}
