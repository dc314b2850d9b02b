//! TCP and TLS: listeners, accepted connections, and connections we open
//! to send a request to a peer we have no connection with (RFC 3261
//! §18.1.1).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::ServerName;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc::Receiver;
use tokio::sync::OwnedSemaphorePermit;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use super::connection::{self, Out};
use super::registry::{Queue, Registered, Registry};
use super::stats::Counters;
use super::transports::Shared;
use super::SendError;
use crate::{Peer, Protocol};

/// Pending connections the kernel holds for us.
const BACKLOG: u32 = 1024;

/// Binds a listener; SO_REUSEADDR so a restart does not wait out
/// TIME_WAIT.
pub(super) fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Accepts until shutdown; `tls` makes it the TLS listener.
pub(super) async fn accept(shared: Arc<Shared>, listener: TcpListener, tls: Option<TlsAcceptor>) {
    let protocol = if tls.is_some() {
        Protocol::Tls
    } else {
        Protocol::Tcp
    };
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|down| *down) => return,
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, mostly: pause rather than spin.
                warn!(error = %e, %protocol, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let peer = Peer { protocol, addr };
        let Some(permit) = shared.registry.permit() else {
            Counters::bump(&shared.counters.connections_refused);
            debug!(%peer, "connection refused: max_connections reached");
            continue;
        };
        // SIP messages are small and latency matters more than packing.
        let _ = stream.set_nodelay(true);
        let task = accepted_connection(shared.clone(), stream, peer, permit, tls.clone());
        shared.runtime.spawn(task);
    }
}

async fn accepted_connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: Peer,
    permit: OwnedSemaphorePermit,
    tls: Option<TlsAcceptor>,
) {
    let (tx, rx) = connection::queue();
    match tls {
        None => {
            if let Some(reg) = Registry::insert(&shared, peer, tx.clone(), permit, true) {
                connection::serve(stream, reg, tx, rx).await;
            }
        }
        Some(acceptor) => {
            // Bounded, or a peer that never finishes the handshake would
            // hold a connection slot forever.
            let timeout = shared.config.connect_timeout;
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    if let Some(reg) = Registry::insert(&shared, peer, tx.clone(), permit, true) {
                        connection::serve(stream, reg, tx, rx).await;
                    }
                }
                Ok(Err(e)) => debug!(%peer, error = %e, "tls handshake failed"),
                Err(_) => debug!(%peer, "tls handshake timed out"),
            }
        }
    }
}

/// Opens a connection to `peer` for `out`, listing it at once so sends
/// that follow queue behind `out` while it connects.
pub(super) fn dial(shared: &Arc<Shared>, peer: Peer, out: Out) -> Result<(), SendError> {
    let permit = shared
        .registry
        .permit()
        .ok_or(SendError::TooManyConnections)?;
    let (tx, rx) = connection::queue();
    let Some(reg) = Registry::insert(shared, peer, tx.clone(), permit, false) else {
        // Another send opened it first: queue on that one.
        return match shared.registry.try_send(&peer, out) {
            Ok(()) => Ok(()),
            Err(Queue::Full) => Err(SendError::QueueFull),
            Err(Queue::Absent(_) | Queue::Closed) => Err(SendError::NoConnection),
        };
    };
    // The queue is new and empty.
    tx.try_send(out).map_err(|_| SendError::QueueFull)?;
    shared.runtime.spawn(outbound(reg, tx, rx));
    Ok(())
}

async fn outbound(reg: Registered, tx: tokio::sync::mpsc::Sender<Out>, rx: Receiver<Out>) {
    let shared = reg.shared().clone();
    let peer = reg.peer();
    let timeout = shared.config.connect_timeout;
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(peer.addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return fail(reg, rx, format_args!("connect failed: {e}")),
        Err(_) => return fail(reg, rx, format_args!("connect timed out")),
    };
    let _ = stream.set_nodelay(true);
    if peer.protocol != Protocol::Tls {
        return connection::serve(stream, reg, tx, rx).await;
    }
    // A Peer carries no host name, so the certificate is checked against
    // the IP address; RFC 5922 wants the SIP domain, which needs a name
    // passed down from the caller.
    let name = ServerName::IpAddress(peer.addr.ip().into());
    let handshake = shared.tls_client.connect(name, stream);
    match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(stream)) => connection::serve(stream, reg, tx, rx).await,
        Ok(Err(e)) => fail(reg, rx, format_args!("tls handshake failed: {e}")),
        Err(_) => fail(reg, rx, format_args!("tls handshake timed out")),
    }
}

/// Unlists a connection that never opened and counts what was queued on
/// it as lost.
fn fail(reg: Registered, mut rx: Receiver<Out>, why: std::fmt::Arguments<'_>) {
    let shared = reg.shared().clone();
    debug!(peer = %reg.peer(), "{why}");
    // Unlisted first, so nothing more is queued after the count.
    drop(reg);
    rx.close();
    let mut lost = 0;
    while rx.try_recv().is_ok() {
        lost += 1;
    }
    Counters::add(&shared.counters.send_errors, lost);
}
