//! `recvmmsg(2)` into a worker's fixed buffers.
//!
//! The point is not batching (a relay socket at 50 packets/s rarely holds
//! two datagrams) but knowing that the socket is drained without a second
//! syscall: a nonblocking `recvmmsg` for up to [`BATCH`] datagrams that
//! returns fewer has seen the queue empty. That lets the worker use
//! edge-triggered epoll (no re-poll of every reported socket on the next
//! `epoll_wait`) for one syscall per wake per socket.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};

/// Datagrams taken per `recvmmsg`.
pub(super) const BATCH: usize = 8;
/// Largest datagram; RTP over UDP stays under the path MTU.
const MAX_DATAGRAM: usize = 2048;

/// Buffers and headers for one `recvmmsg` of up to [`BATCH`] datagrams.
pub(super) struct RecvBatch {
    bufs: Box<[[u8; MAX_DATAGRAM]; BATCH]>,
    names: Box<[libc::sockaddr_storage; BATCH]>,
    iovs: Box<[libc::iovec; BATCH]>,
    hdrs: Box<[libc::mmsghdr; BATCH]>,
    len: usize,
}

// SAFETY: the raw pointers in `iovs` and `hdrs` point only into this
// struct's own boxes (stable heap addresses), so the whole moves between
// threads as one value.
unsafe impl Send for RecvBatch {}

impl RecvBatch {
    pub(super) fn new() -> Self {
        // SAFETY: all-zero is a valid sockaddr_storage, iovec and mmsghdr
        // (null pointers, zero lengths); the pointers are set just below.
        let mut batch = unsafe {
            Self {
                bufs: Box::new([[0; MAX_DATAGRAM]; BATCH]),
                names: Box::new(std::mem::zeroed()),
                iovs: Box::new(std::mem::zeroed()),
                hdrs: Box::new(std::mem::zeroed()),
                len: 0,
            }
        };
        for i in 0..BATCH {
            batch.iovs[i] = libc::iovec {
                iov_base: batch.bufs[i].as_mut_ptr().cast(),
                iov_len: MAX_DATAGRAM,
            };
        }
        batch
    }

    /// Receives what is queued on `fd`, up to [`BATCH`] datagrams, without
    /// blocking. `Ok(n)` with `n < BATCH` means the queue was emptied.
    /// `WouldBlock` if nothing was queued.
    pub(super) fn recv(&mut self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        self.len = 0;
        for i in 0..BATCH {
            let hdr = &mut self.hdrs[i];
            hdr.msg_hdr.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
            hdr.msg_hdr.msg_iov = &mut self.iovs[i];
            hdr.msg_hdr.msg_iovlen = 1;
            hdr.msg_len = 0;
        }
        // SAFETY: every header points at its own live name and iovec, each
        // iovec at its own live buffer; the kernel fills at most BATCH.
        let n = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                self.hdrs.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        self.len = n as usize;
        Ok(self.len)
    }

    /// Datagram `i` of the last receive: its source and its bytes.
    /// `None` for a source that is not IPv4/IPv6 (cannot happen on a UDP
    /// socket) or for `i` beyond what was received.
    pub(super) fn get(&mut self, i: usize) -> Option<(SocketAddr, &mut [u8])> {
        if i >= self.len {
            return None;
        }
        let len = (self.hdrs[i].msg_len as usize).min(MAX_DATAGRAM);
        let src = socket_addr(&self.names[i])?;
        Some((src, &mut self.bufs[i][..len]))
    }
}

pub(super) fn socket_addr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, and
            // sockaddr_storage is large and aligned enough for any.
            let a =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                u32::from_be(a.sin6_flowinfo),
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
