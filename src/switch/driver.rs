//! The switch's one tokio task: feeds the sans-IO core from the transports,
//! runs its jobs, sends what it sends, sleeps until its next timer.

use super::core::SwitchCore;
use super::job::{self, Job, JobDone, Services};
use super::SwitchStats;
use dce_sip::{Inbound, Received, Transports};
use futures_util::FutureExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

const OVERLOAD_WAIT: Duration = Duration::from_millis(50);
/// How long a stop waits for CDRs still being written before spooling them.
const BILLING_SETTLE: Duration = Duration::from_secs(5);
/// How often connected calls' CDRs are marked alive: a crash loses at most
/// this much billable time.
const TOUCH_EVERY: Duration = Duration::from_secs(5);
const RECOVERED_WAIT: Duration = Duration::from_millis(10);

/// What the switch task needs besides its core.
pub struct Driver {
    pub core: SwitchCore,
    pub transports: Transports,
    pub inbound: mpsc::Receiver<Inbound>,
    pub inbound_capacity: usize,
    /// Shared with every job: one reference count per job, not one per service.
    pub services: Arc<Services>,
    /// What the switch publishes for HTTP.
    pub stats: Arc<SwitchStats>,
    /// Flips to `true` on shutdown.
    pub stop: watch::Receiver<bool>,
    /// How long live calls may go on after shutdown starts.
    pub drain: Duration,
    /// The relay's reports (media timeouts); `None`: no relay.
    pub media_events: Option<mpsc::Receiver<dce_media::MediaEvent>>,
}

impl Driver {
    /// Runs until shutdown has drained the calls.
    pub async fn run(mut self) {
        let (done_tx, mut done_rx) = mpsc::channel::<JobDone>(4096);
        let mut draining: Option<Instant> = None;
        let mut touch = tokio::time::interval(TOUCH_EVERY);
        touch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.flush(&done_tx);
            // While draining, wake at the drain deadline at the latest.
            let wake = match (self.core.poll_timeout(), draining) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                Some(done) = done_rx.recv() => self.core.handle_job(Instant::now(), done),
                Some(inbound) = self.inbound.recv() => {
                    // Shed new calls early, before the socket buffers fill
                    // and retransmission storms start. The signal is measured:
                    // how long this message waited for the switch, or a queue
                    // half full. 50 ms of waiting is far from a 500 ms T1
                    // retransmission, so the calls already admitted keep
                    // their answers in time.
                    let waited = inbound.at.elapsed();
                    let depth = self.inbound.len();
                    if waited > OVERLOAD_WAIT || depth * 2 > self.inbound_capacity {
                        self.core.set_overloaded(true);
                    } else if waited < RECOVERED_WAIT && depth * 8 < self.inbound_capacity {
                        self.core.set_overloaded(false);
                    }
                    match inbound.received {
                        Received::Message(m) => {
                            self.stats.sip.received.count(&m);
                            self.core.handle_message(Instant::now(), m, inbound.peer)
                        }
                        Received::Malformed(m) => {
                            self.stats.sip_malformed.inc();
                            self.core.handle_malformed(m, inbound.peer)
                        }
                    }
                }
                _ = sleep => self.core.handle_timeout(Instant::now()),
                Some(event) = recv_media(&mut self.media_events) => match event {
                    dce_media::MediaEvent::Inactive { call_id, .. } => {
                        self.core.handle_media_inactive(Instant::now(), &call_id)
                    }
                },
                _ = touch.tick() => {
                    let ids = self.core.open_cdrs();
                    if !ids.is_empty() {
                        let at_ms = chrono::Utc::now().timestamp_millis();
                        self.start(Job::TouchCdrs { ids, at_ms }, &done_tx);
                    }
                }
                _ = self.stop.changed(), if draining.is_none() => {
                    tracing::info!(active = self.core.active_calls(), "no new calls; draining");
                    self.core.stop_accepting();
                    draining = Some(Instant::now() + self.drain);
                }
            }
            if let Some(until) = draining {
                if self.core.active_calls() == 0 || Instant::now() >= until {
                    self.core.hang_up_all(Instant::now());
                    self.flush(&done_tx);
                    // Let the BYEs leave before the sockets close.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    self.flush(&done_tx);
                    self.settle_billing().await;
                    return;
                }
            }
        }
    }

    /// Gives closed CDRs still being written a few seconds to reach the
    /// database, then spools the rest: a stop never loses an answered call.
    async fn settle_billing(&self) {
        let Some(ledger) = &self.services.ledger else {
            return;
        };
        let deadline = Instant::now() + BILLING_SETTLE;
        while ledger.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ledger = ledger.clone();
        let spooled = tokio::task::spawn_blocking(move || ledger.spool_in_flight())
            .await
            .unwrap_or(0);
        if spooled > 0 {
            tracing::warn!(spooled, "CDRs spooled at shutdown; replayed at next start");
        }
    }

    fn flush(&mut self, done_tx: &mpsc::Sender<JobDone>) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.core.poll_transmit() {
                progressed = true;
                self.stats.sip.sent.count(&t.message);
                if let Err(e) = self.transports.send(t) {
                    tracing::debug!(error = ?e, "send failed");
                }
            }
            while let Some(job) = self.core.poll_job() {
                progressed = true;
                self.start(job, done_tx);
            }
            // Billing will consume outcomes; until then they are logged.
            while let Some(o) = self.core.poll_outcome() {
                tracing::debug!(call = o.call, cause = o.cause.as_str(), ?o.connected, "outcome");
                self.stats.call_ended(o.cause, o.connected.is_some());
            }
            while let Some(d) = self.core.take_invite_delay() {
                self.stats.record_invite_delay(d);
            }
            let c = self.core.counts();
            self.stats.arrived.store(c.arrived, Ordering::Relaxed);
            self.stats.shed.store(c.shed, Ordering::Relaxed);
            self.stats.answered.store(c.answered, Ordering::Relaxed);
            if !progressed {
                return;
            }
        }
    }

    /// Runs a job inline when it completes at once (in-process counters,
    /// no RTB): no task, no channel hop on the call path. Otherwise it
    /// runs as its own task and reports back.
    fn start(&mut self, job: Job, done_tx: &mpsc::Sender<JobDone>) {
        let services = Arc::clone(&self.services);
        // A routing job is timed, and its decision counted, where it ends.
        let routing =
            matches!(job, Job::Route { .. }).then(|| (self.stats.clone(), Instant::now()));
        let mut fut = Box::pin(async move {
            let done = job::run(job, &services, chrono::Utc::now()).await;
            if let (Some((stats, at)), Some(JobDone::Routed { decision, .. })) = (routing, &done) {
                stats.record_decision(decision, at.elapsed());
            }
            done
        });
        match (&mut fut).now_or_never() {
            Some(Some(done)) => self.core.handle_job(Instant::now(), done),
            Some(None) => {}
            None => {
                let tx = done_tx.clone();
                tokio::spawn(async move {
                    if let Some(done) = fut.await {
                        let _ = tx.send(done).await;
                    }
                });
            }
        }
    }
}

/// The next relay event; never, without a relay.
async fn recv_media(
    events: &mut Option<mpsc::Receiver<dce_media::MediaEvent>>,
) -> Option<dce_media::MediaEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
