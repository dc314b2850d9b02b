//! The kernel objects a relay worker sleeps on: an epoll set of its
//! sockets, an eventfd that call control rings when it queues a command,
//! and a timerfd tick. The `unsafe` here is plain syscalls on descriptors
//! this module owns.
//!
//! Relay sockets are edge-triggered and drained with `recvmmsg` (see
//! `recv.rs`); the bell and the tick are level-triggered, read once per
//! wake. The alternatives, from the relay's profiles: level-triggered
//! sockets read once per wake cost a second
//! `sock_poll`/`ep_item_poll` of every reported socket on the next
//! `epoll_wait`; edge-triggered sockets drained with `recvfrom` cost a
//! second `recvfrom` per wake to see `EAGAIN` (tokio's way).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// A worker's epoll set. Tokens are the worker's own (`u64`).
#[derive(Debug)]
pub(super) struct Poller {
    epoll: OwnedFd,
}

impl Poller {
    pub(super) fn new() -> io::Result<Self> {
        // SAFETY: no pointers; a valid descriptor or -1 comes back.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        Ok(Self {
            epoll: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches `fd` for input, reported with `token`: once per arrival
    /// if `edge`, else for as long as input is pending.
    pub(super) fn add(&self, fd: BorrowedFd<'_>, token: u64, edge: bool) -> io::Result<()> {
        let flags = if edge { libc::EPOLLET } else { 0 };
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | flags) as u32,
            u64: token,
        };
        // SAFETY: both descriptors are live; `event` outlives the call.
        cvt(unsafe {
            libc::epoll_ctl(
                self.epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut event,
            )
        })
        .map(drop)
    }

    /// Stops watching `fd` (before it is closed, so no event for it is
    /// reported after its session is gone).
    pub(super) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        // SAFETY: both descriptors are live; a null event is allowed for
        // EPOLL_CTL_DEL since Linux 2.6.9.
        cvt(unsafe {
            libc::epoll_ctl(
                self.epoll.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd.as_raw_fd(),
                std::ptr::null_mut(),
            )
        })
        .map(drop)
    }

    /// Sleeps until a watched descriptor is ready or `timeout` passes
    /// (`None`: no timeout), and fills `events`. `EINTR` is an empty wake.
    pub(super) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        // Round up: a deadline 0.4 ms away must not become a busy loop.
        let ms = timeout.map_or(-1, |t| {
            i32::try_from(t.as_micros().div_ceil(1_000)).unwrap_or(i32::MAX)
        });
        events.len = 0;
        // SAFETY: the buffer holds `capacity` events and lives across the
        // call; the kernel writes at most that many.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                events.buf.as_mut_ptr(),
                events.buf.len() as i32,
                ms,
            )
        };
        match cvt(n) {
            Ok(n) => {
                events.len = n as usize;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Readiness reported by one [`Poller::wait`].
pub(super) struct Events {
    buf: Vec<libc::epoll_event>,
    len: usize,
}

impl Events {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: vec![libc::epoll_event { events: 0, u64: 0 }; capacity.max(1)],
            len: 0,
        }
    }

    /// The tokens of the ready descriptors.
    pub(super) fn tokens(&self) -> impl Iterator<Item = u64> + '_ {
        // A copy out of the (packed) struct, never a reference into it.
        self.buf[..self.len].iter().map(|e| e.u64)
    }
}

/// An eventfd: call control rings it after queueing a command.
#[derive(Debug)]
pub(super) struct Bell {
    fd: OwnedFd,
}

impl Bell {
    pub(super) fn new() -> io::Result<Self> {
        // SAFETY: no pointers; a valid descriptor or -1 comes back.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        Ok(Self {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Wakes the worker. Cannot block (the counter saturating at
    /// 2^64 - 2 would need that many rings unread).
    pub(super) fn ring(&self) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: live descriptor; 8 readable bytes.
        let _ = unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    }

    /// Resets the counter, so the level-triggered poller stops reporting.
    pub(super) fn clear(&self) {
        let mut value = [0u8; 8];
        // SAFETY: live descriptor; 8 writable bytes.
        let _ = unsafe { libc::read(self.fd.as_raw_fd(), value.as_mut_ptr().cast(), value.len()) };
    }
}

/// A periodic timerfd: the worker's coarse clock for inactivity. A
/// timerfd in the epoll set, rather than an `epoll_wait` timeout, arms no
/// hrtimer on every sleep (each arming is an MSR write, a VM exit on a
/// guest).
#[derive(Debug)]
pub(super) struct Ticker {
    fd: OwnedFd,
}

impl Ticker {
    pub(super) fn new(every: Duration) -> io::Result<Self> {
        // SAFETY: no pointers; a valid descriptor or -1 comes back.
        let fd = cvt(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_CLOEXEC | libc::TFD_NONBLOCK,
            )
        })?;
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let period = libc::timespec {
            tv_sec: every.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(every.subsec_nanos() as i32),
        };
        let spec = libc::itimerspec {
            it_interval: period,
            it_value: period,
        };
        // SAFETY: live descriptor; `spec` outlives the call; the old value
        // is not asked for.
        cvt(unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) })?;
        Ok(Self { fd })
    }

    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Consumes the expirations, so the level-triggered poller stops
    /// reporting.
    pub(super) fn clear(&self) {
        let mut value = [0u8; 8];
        // SAFETY: live descriptor; 8 writable bytes.
        let _ = unsafe { libc::read(self.fd.as_raw_fd(), value.as_mut_ptr().cast(), value.len()) };
    }
}

fn cvt(r: i32) -> io::Result<i32> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}
