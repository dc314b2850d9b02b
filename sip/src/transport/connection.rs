//! One stream connection (TCP or TLS): cut the stream into messages,
//! answer keep-alives, write what the switch queues, close when idle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::time::Instant;
use tracing::{debug, trace};

use super::inbound::classify;
use super::registry::Registered;
use super::stats::Counters;
use super::transports::Shared;
use crate::{FrameError, Framed, Framer, FramerConfig, Peer};

/// Messages waiting to be written on one connection. A peer that stops
/// reading fills it and further sends fail with `QueueFull`, rather than
/// memory growing.
pub(super) const QUEUE: usize = 256;

/// A write that makes no progress for this long closes the connection.
const WRITE_STALL: Duration = Duration::from_secs(30);

/// How much to read at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Something to write.
#[derive(Debug)]
pub(super) struct Out {
    bytes: Bytes,
    /// A message (counted as sent), not a keep-alive pong.
    message: bool,
}

impl Out {
    pub(super) fn message(bytes: Bytes) -> Out {
        Out {
            bytes,
            message: true,
        }
    }

    /// RFC 5626 §4.4.1: a single CRLF answers a double-CRLF ping.
    fn pong() -> Out {
        Out {
            bytes: Bytes::from_static(b"\r\n"),
            message: false,
        }
    }
}

/// A fresh send queue.
pub(super) fn queue() -> (Sender<Out>, Receiver<Out>) {
    mpsc::channel(QUEUE)
}

/// Why a connection ended, for the log.
enum Close {
    /// The peer closed it.
    Eof,
    Idle,
    Shutdown,
    /// The switch dropped its receiver.
    InboundClosed,
    Framing(FrameError),
    TooLarge,
    WriteStalled,
    Io(std::io::Error),
}

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Close::Eof => f.write_str("closed by peer"),
            Close::Idle => f.write_str("idle"),
            Close::Shutdown => f.write_str("shutdown"),
            Close::InboundClosed => f.write_str("switch gone"),
            Close::Framing(e) => write!(f, "framing: {e}"),
            Close::TooLarge => f.write_str("message over max_message"),
            Close::WriteStalled => f.write_str("write stalled"),
            Close::Io(e) => write!(f, "i/o: {e}"),
        }
    }
}

/// The last time anything moved either way, for the idle timeout.
struct Activity {
    start: Instant,
    millis: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            millis: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.millis.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.millis.load(Ordering::Relaxed))
    }

    fn idle_for(&self) -> Duration {
        Instant::now().saturating_duration_since(self.last())
    }
}

/// Runs a connection until it closes; `registered` keeps it listed till
/// then, so responses find it.
pub(super) async fn serve<S>(stream: S, registered: Registered, tx: Sender<Out>, rx: Receiver<Out>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let shared = registered.shared().clone();
    let peer = registered.peer();
    let (rd, wr) = tokio::io::split(stream);
    let activity = Activity::new();
    let mut shutdown = shared.shutdown.subscribe();
    debug!(%peer, "connection open");
    // Reader and writer in one task: when either ends, dropping the other
    // closes both halves, and a reader waiting on a full inbound queue
    // does not hold up the writer.
    let close = tokio::select! {
        close = read_loop(&shared, rd, peer, &tx, &activity) => close,
        close = write_loop(&shared, wr, rx, &activity) => close,
        _ = shutdown.wait_for(|down| *down) => Close::Shutdown,
    };
    debug!(%peer, %close, "connection closed");
    drop(registered);
}

async fn read_loop<R: AsyncRead + Unpin>(
    shared: &Arc<Shared>,
    mut rd: R,
    peer: Peer,
    pong: &Sender<Out>,
    activity: &Activity,
) -> Close {
    let max = shared.config.max_message;
    let framer = Framer::new(FramerConfig {
        max_head: max,
        max_body: max,
    });
    let idle = shared.config.idle_timeout;
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        loop {
            match framer.decode(&mut buf) {
                Ok(None) => break,
                Ok(Some(Framed::Ping)) => {
                    // A full queue already has traffic for the peer.
                    let _ = pong.try_send(Out::pong());
                }
                Ok(Some(Framed::Pong)) => {}
                Ok(Some(Framed::Message(bytes))) => {
                    if bytes.len() > max {
                        return Close::TooLarge;
                    }
                    trace!(%peer, len = bytes.len(), "frame in");
                    if let Some(inbound) = classify(bytes, peer, &shared.counters) {
                        // Waiting here is the backpressure: the kernel's
                        // window fills and the peer slows down.
                        if shared.inbound.send(inbound).await.is_err() {
                            return Close::InboundClosed;
                        }
                    }
                }
                Err(e) => return Close::Framing(e),
            }
        }
        buf.reserve(READ_CHUNK);
        let read = match activity.last().checked_add(idle) {
            Some(deadline) => tokio::time::timeout_at(deadline, rd.read_buf(&mut buf)).await,
            // An idle timeout too large to add to a clock: no timeout.
            None => Ok(rd.read_buf(&mut buf).await),
        };
        match read {
            // The writer may have moved since the deadline was taken.
            Err(_) if activity.idle_for() >= idle => return Close::Idle,
            Err(_) => {}
            Ok(Ok(0)) => return Close::Eof,
            Ok(Ok(_)) => activity.touch(),
            Ok(Err(e)) => return Close::Io(e),
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    shared: &Arc<Shared>,
    mut wr: W,
    mut rx: Receiver<Out>,
    activity: &Activity,
) -> Close {
    let counters = &shared.counters;
    while let Some(out) = rx.recv().await {
        let write = async {
            wr.write_all(&out.bytes).await?;
            // Flush once the queue is drained: TLS buffers records until
            // then, and a burst of responses goes out together.
            if rx.is_empty() {
                wr.flush().await?;
            }
            Ok::<_, std::io::Error>(())
        };
        let close = match tokio::time::timeout(WRITE_STALL, write).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(Close::Io(e)),
            Err(_) => Some(Close::WriteStalled),
        };
        if let Some(close) = close {
            let lost = u64::from(out.message) + rx.len() as u64;
            Counters::add(&counters.send_errors, lost);
            return close;
        }
        if out.message {
            Counters::bump(&counters.sent);
        }
        activity.touch();
    }
    Close::Eof
}
