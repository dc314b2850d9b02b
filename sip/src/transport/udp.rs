//! The UDP socket: one for receiving and sending, so requests and
//! responses leave from the listening port (RFC 3261 §18.1.1, §18.2.2;
//! carriers match trunks on it).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use socket2::{Domain, Protocol as IpProtocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;
use tracing::{debug, trace, warn};

use super::inbound::classify;
use super::stats::Counters;
use super::transports::Shared;
use crate::{Peer, Protocol};

/// Kernel receive buffer asked for: a burst waits there instead of being
/// lost while the receive task is busy. Best effort: the kernel caps it at
/// `net.core.rmem_max`.
const RECV_BUFFER: usize = 4 * 1024 * 1024;

/// The largest UDP payload there is (IPv4: 65 535 less the headers).
const MAX_DATAGRAM: usize = 65_535;

/// Binds the socket with a large receive buffer.
pub(super) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::DGRAM,
        Some(IpProtocol::UDP),
    )?;
    if let Err(e) = socket.set_recv_buffer_size(RECV_BUFFER) {
        warn!(error = %e, "could not enlarge the UDP receive buffer");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Reads datagrams until shutdown or until the switch drops its receiver.
pub(super) async fn receive(shared: Arc<Shared>) {
    let max = shared.config.max_message;
    let counters = &shared.counters;
    // One byte more than the limit tells an oversized datagram (truncated
    // by the kernel) from one that fits exactly. No datagram exceeds 64 KiB.
    let mut buf = vec![0u8; max.min(MAX_DATAGRAM) + 1];
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let read = tokio::select! {
            read = shared.udp.recv_from(&mut buf) => read,
            _ = shutdown.wait_for(|down| *down) => return,
        };
        let (len, from) = match read {
            Ok(read) => read,
            // An ICMP port unreachable for an earlier send surfaces here on
            // Linux; it says nothing about this socket.
            Err(e)
                if e.kind() == io::ErrorKind::ConnectionRefused
                    || e.kind() == io::ErrorKind::ConnectionReset =>
            {
                trace!(error = %e, "udp: icmp error");
                continue;
            }
            Err(e) => {
                // Pause so a persistent error cannot spin the task.
                warn!(error = %e, "udp receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let peer = Peer {
            protocol: Protocol::Udp,
            addr: from,
        };
        if len > max {
            Counters::bump(&counters.dropped_too_large);
            debug!(%peer, "udp: datagram over max_message dropped");
            continue;
        }
        trace!(%peer, len, "datagram in");
        let Some(inbound) = classify(Bytes::copy_from_slice(&buf[..len]), peer, counters) else {
            continue;
        };
        match shared.inbound.try_send(inbound) {
            Ok(()) => {}
            // Shed rather than buffer: the sender retransmits over UDP
            // (RFC 3261 §17.1.1.2), and a bounded queue keeps latency and
            // memory bounded under overload.
            Err(TrySendError::Full(_)) => Counters::bump(&counters.dropped_queue_full),
            Err(TrySendError::Closed(_)) => return,
        }
    }
}

/// Sends one datagram without waiting.
pub(super) fn send(shared: &Shared, bytes: &[u8], to: SocketAddr) -> Result<(), super::SendError> {
    match shared.udp.try_send_to(bytes, to) {
        Ok(_) => {
            Counters::bump(&shared.counters.sent);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(super::SendError::QueueFull),
        Err(e) => Err(super::SendError::Io(e.kind())),
    }
}
