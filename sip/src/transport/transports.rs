//! The handle the driver holds: bind, send, stats, shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::net::{TcpListener, UdpSocket};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tracing::info;

use super::config::TransportConfig;
use super::connection::Out;
use super::inbound::Inbound;
use super::registry::{Queue, Registry};
use super::stats::{Counters, TransportStats};
use super::{tcp, tls, udp, SendError};
use crate::{Protocol, Transmit};

/// State shared by the handle and the socket tasks.
pub(super) struct Shared {
    pub(super) config: TransportConfig,
    pub(super) inbound: mpsc::Sender<Inbound>,
    pub(super) counters: Counters,
    pub(super) registry: Registry,
    pub(super) udp: UdpSocket,
    pub(super) tls_client: TlsConnector,
    /// Where new tasks go: `send` is synchronous and may be called from
    /// outside a runtime context.
    pub(super) runtime: Handle,
    /// Turns true once, at shutdown; every task watches it.
    pub(super) shutdown: watch::Sender<bool>,
    local: SocketAddr,
    tls_local: Option<SocketAddr>,
    /// Listener tasks, awaited by `shutdown`. The lock is held only to
    /// push or take the handles.
    listeners: Mutex<Vec<JoinHandle<()>>>,
}

/// The SIP transports: UDP and TCP on one port, TLS on another. A cheap
/// clone handle; when the last clone is dropped everything shuts down.
#[derive(Clone)]
pub struct Transports {
    owner: Arc<Owner>,
}

/// Shuts the tasks down when the last handle goes: they hold `Shared`,
/// not this, so they cannot keep themselves alive.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports")
            .field("local_addr", &self.local_addr())
            .field("tls_local_addr", &self.tls_local_addr())
            .finish_non_exhaustive()
    }
}

impl Transports {
    /// Binds UDP and TCP on `config.listen` (with port 0, both on the port
    /// UDP got) and TLS when configured, then spawns the socket tasks on
    /// the current runtime.
    ///
    /// Every message read goes to `inbound`, a bounded channel whose
    /// receiver the caller owns. When it is full, UDP datagrams are shed
    /// and counted; stream readers wait, so TCP pushes back on the peer.
    pub async fn bind(
        config: TransportConfig,
        inbound: mpsc::Sender<Inbound>,
    ) -> io::Result<Transports> {
        let (udp, tcp) = bind_pair(config.listen)?;
        let local = udp.local_addr()?;
        let tls = match &config.tls {
            Some(listen) => Some((tls::acceptor(listen)?, tcp::listen(listen.listen)?)),
            None => None,
        };
        let tls_local = match &tls {
            Some((_, listener)) => Some(listener.local_addr()?),
            None => None,
        };
        let tls_client = tls::connector(config.tls_client_roots.as_deref())?;
        let shared = Arc::new(Shared {
            registry: Registry::new(config.max_connections),
            config,
            inbound,
            counters: Counters::default(),
            udp,
            tls_client,
            runtime: Handle::current(),
            shutdown: watch::Sender::new(false),
            local,
            tls_local,
            listeners: Mutex::new(Vec::new()),
        });
        let mut tasks = vec![
            tokio::spawn(udp::receive(shared.clone())),
            tokio::spawn(tcp::accept(shared.clone(), tcp, None)),
        ];
        if let Some((acceptor, listener)) = tls {
            tasks.push(tokio::spawn(tcp::accept(
                shared.clone(),
                listener,
                Some(acceptor),
            )));
        }
        *shared.listeners.lock().unwrap_or_else(|p| p.into_inner()) = tasks;
        info!(udp_tcp = %local, tls = ?tls_local, "sip transports listening");
        Ok(Transports {
            owner: Arc::new(Owner { shared }),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// The UDP and TCP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared().local
    }

    /// The TLS address, when listening.
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.shared().tls_local
    }

    /// Sends without waiting: UDP straight to the socket, streams through
    /// the connection's bounded queue. A TCP or TLS peer with no open
    /// connection gets one opened; the message waits in its queue until
    /// it is up, and is counted in `send_errors` if it never comes up.
    pub fn send(&self, transmit: Transmit) -> Result<(), SendError> {
        let result = self.try_send(transmit);
        if result.is_err() {
            Counters::bump(&self.shared().counters.send_errors);
        }
        result
    }

    fn try_send(&self, transmit: Transmit) -> Result<(), SendError> {
        let shared = self.shared();
        if *shared.shutdown.borrow() {
            return Err(SendError::Closed);
        }
        let bytes = Bytes::from(transmit.message.to_bytes());
        if bytes.len() > shared.config.max_message {
            return Err(SendError::TooLarge);
        }
        let peer = transmit.peer;
        match peer.protocol {
            Protocol::Udp => udp::send(shared, &bytes, peer.addr),
            Protocol::Tcp | Protocol::Tls | Protocol::Ws | Protocol::Wss => {
                match shared.registry.try_send(&peer, Out::message(bytes)) {
                    Ok(()) => Ok(()),
                    Err(Queue::Full) => Err(SendError::QueueFull),
                    Err(Queue::Closed) => Err(SendError::NoConnection),
                    Err(Queue::Absent(out)) => match peer.protocol {
                        Protocol::Tcp | Protocol::Tls => tcp::dial(shared, peer, out),
                        // A browser has no listener to connect to (RFC 7118 §5).
                        _ => Err(SendError::NoConnection),
                    },
                }
            }
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> TransportStats {
        self.shared().counters.snapshot()
    }

    /// Stops accepting, closes the listeners and every stream connection,
    /// and waits for the listener tasks to end. Later sends fail with
    /// [`SendError::Closed`].
    pub async fn shutdown(&self) {
        let shared = self.shared();
        shared.shutdown.send_replace(true);
        let tasks =
            std::mem::take(&mut *shared.listeners.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Binds UDP then TCP on the same port. With port 0 the port UDP got may
/// be taken for TCP; then try another.
fn bind_pair(addr: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    const TRIES: usize = 16;
    let mut last = None;
    for _ in 0..TRIES {
        let udp = udp::bind(addr)?;
        let port = udp.local_addr()?.port();
        match tcp::listen(SocketAddr::new(addr.ip(), port)) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if addr.port() == 0 && e.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}
