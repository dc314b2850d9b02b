//! What call control needs from outside its sans-IO core: the auction
//! (counters, real-time bids) and slots. The driver runs a job and hands
//! its result back; tests run the same jobs in simulated time.

use super::call::CallId;
use dce_marketplace::auction::{gather, RtbClient};
use dce_marketplace::billing::{Cdr, CdrId};
use dce_marketplace::counters::{Counters, Slot};
use dce_marketplace::domain::{Money, TargetId};
use dce_marketplace::store::{Spool, Store};
use dce_marketplace::{decide, CallFacts, Decision, Market, Reason};
use dce_sip::{Peer, Protocol, Uri};
use std::net::SocketAddr;
use std::sync::Arc;

/// Work the core asks for.
#[derive(Debug)]
pub enum Job {
    /// Gather the caller's history and RTB bids, decide, note the call.
    Route {
        call: CallId,
        market: Arc<Market>,
        facts: CallFacts,
    },
    /// Take a slot at a ranked target and resolve its destination.
    Acquire {
        call: CallId,
        rank: usize,
        market: Arc<Market>,
        target: TargetId,
        bid: Money,
        destination: String,
    },
    /// Give a slot back.
    Release { slot: Slot, answered: bool },
    /// Record an answered call as open (so a crash cannot lose it).
    OpenCdr(Box<Cdr>),
    /// Complete and rate an ended call's record (spooled if the database is away).
    CloseCdr(Box<Cdr>),
    /// Release a call's relay session, then close its record (if it has
    /// one) with the session's statistics.
    EndMedia {
        session: dce_media::CallId,
        cdr: Option<Box<Cdr>>,
    },
    /// Note that these calls were still up at `at_ms`.
    TouchCdrs { ids: Vec<CdrId>, at_ms: i64 },
}

/// Where CDRs go: the store, or the spool while the store is away.
#[derive(Clone)]
pub struct Ledger {
    /// The database.
    pub store: Store,
    /// The local fallback.
    pub spool: Arc<Spool>,
    /// Closed CDRs on their way to the database: at shutdown whatever is
    /// still here goes to the spool, so a stop under load loses none.
    /// Locked only to insert or remove one record, never across `.await`.
    pub pending: Arc<std::sync::Mutex<rustc_hash::FxHashMap<String, Cdr>>>,
    /// Where `rated` live events go once a record is written and rated
    /// (records rated later from the spool publish none).
    pub events: crate::observe::EventBus,
}

impl Ledger {
    /// A ledger over `store` with `spool` as its fallback.
    pub fn new(store: Store, spool: Arc<Spool>) -> Ledger {
        Ledger {
            store,
            spool,
            pending: Arc::default(),
            events: Default::default(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<String, Cdr>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many closed CDRs have not reached the database or the spool yet.
    pub fn in_flight(&self) -> usize {
        self.pending().len()
    }

    /// Spools every closed CDR still in flight (replay is idempotent by id,
    /// so one that reached the database meanwhile is not counted twice).
    pub fn spool_in_flight(&self) -> usize {
        let records: Vec<Cdr> = self.pending().drain().map(|(_, c)| c).collect();
        for cdr in &records {
            if let Err(e) = self.spool.append(cdr) {
                tracing::error!(cdr = %cdr.id.as_str(), error = %e, "CDR NOT RECORDED at shutdown: spool refused it");
            }
        }
        records.len()
    }
}

/// What jobs run against.
#[derive(Clone)]
pub struct Services {
    /// Counters for slots and caller history.
    pub counters: Arc<dyn Counters>,
    /// Real-time bidding.
    pub rtb: RtbClient,
    /// Billing; `None` in simulations.
    pub ledger: Option<Ledger>,
    /// The RTP relay; `None`: signalling only.
    pub media: Option<dce_media::MediaEngine>,
}

/// A job's result, for the core.
#[derive(Debug)]
pub enum JobDone {
    /// The decision for a call.
    Routed { call: CallId, decision: Decision },
    /// A slot for one ranked target (and where to send its INVITE), or why not.
    Acquired {
        call: CallId,
        rank: usize,
        result: Result<Box<Acquired>, Refusal>,
    },
}

/// A ranked target ready to be called.
#[derive(Debug)]
pub struct Acquired {
    /// Its counter slot.
    pub slot: Slot,
    /// The destination URI (the target's, or an RTB bid's).
    pub destination: String,
    /// Where that URI resolves to.
    pub peer: Peer,
}

/// Why a ranked target could not be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A limit refused the slot (another call took the last one).
    Limit(Reason),
    /// The destination URI gives no address to send to.
    Unroutable,
}

/// Runs a job. `now` is the wall clock the auction sees.
pub async fn run(
    job: Job,
    services: &Services,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<JobDone> {
    let counters = services.counters.as_ref();
    let rtb = &services.rtb;
    match job {
        Job::Route {
            call,
            market,
            facts,
        } => {
            let facts = gather(&market, counters, rtb, facts, now).await;
            let decision = decide(&market, &facts, now);
            if let (Some(campaign), Some(caller)) = (decision.campaign, facts.caller.number()) {
                counters.record_call(caller, campaign, now).await;
            }
            Some(JobDone::Routed { call, decision })
        }
        Job::Acquire {
            call,
            rank,
            market,
            target,
            bid,
            destination,
        } => {
            let result = match market.target(target) {
                None => Err(Refusal::Unroutable),
                Some(entry) => match resolve(&destination).await {
                    None => Err(Refusal::Unroutable),
                    Some(peer) => counters
                        .acquire(entry, bid, now)
                        .await
                        .map(|slot| {
                            Box::new(Acquired {
                                slot,
                                destination,
                                peer,
                            })
                        })
                        .map_err(Refusal::Limit),
                },
            };
            Some(JobDone::Acquired { call, rank, result })
        }
        Job::Release { slot, answered } => {
            counters.release(slot, answered).await;
            None
        }
        Job::OpenCdr(cdr) => {
            if let Some(ledger) = &services.ledger {
                // If this fails the close still carries the whole record.
                if let Err(e) = ledger.store.open_cdr(&cdr).await {
                    tracing::warn!(cdr = %cdr.id.as_str(), error = %e, "open CDR not written");
                }
            }
            None
        }
        Job::CloseCdr(cdr) => {
            if let Some(ledger) = &services.ledger {
                close(ledger, &cdr).await;
            }
            None
        }
        Job::EndMedia { session, cdr } => {
            // Pending from now: a stop during the release still spools it.
            if let (Some(ledger), Some(cdr)) = (&services.ledger, &cdr) {
                ledger
                    .pending()
                    .insert(cdr.id.as_str().to_string(), (**cdr).clone());
            }
            let stats = match &services.media {
                Some(engine) => engine.release(&session).await,
                None => None,
            };
            if let Some(mut cdr) = cdr {
                cdr.media = stats.as_ref().map(super::media::stats_json);
                if let Some(ledger) = &services.ledger {
                    close(ledger, &cdr).await;
                }
            }
            None
        }
        Job::TouchCdrs { ids, at_ms } => {
            if let Some(ledger) = &services.ledger {
                for id in &ids {
                    if ledger.store.touch_cdr(id, at_ms).await.is_err() {
                        break;
                    }
                }
            }
            None
        }
    }
}

/// Rates and closes a CDR; when the database cannot take it, the record
/// goes to the spool (fsync'd) and is replayed later. An answered call is
/// never lost from billing.
async fn close(ledger: &Ledger, cdr: &Cdr) {
    ledger
        .pending()
        .insert(cdr.id.as_str().to_string(), cdr.clone());
    write(ledger, cdr).await;
    ledger.pending().remove(cdr.id.as_str());
}

async fn write(ledger: &Ledger, cdr: &Cdr) {
    let rating = match cdr.rate() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(cdr = %cdr.id.as_str(), error = %e, "CDR cannot be rated; spooled for an operator");
            spool(ledger, cdr).await;
            return;
        }
    };
    match ledger.store.close_cdr(cdr, &rating).await {
        Ok(dce_marketplace::store::Closed::Rated { rating, .. }) => {
            let at_ms = chrono::Utc::now().timestamp_millis();
            super::live::publish_rated(&ledger.events, cdr, &rating, at_ms);
        }
        Ok(_) => {} // already closed (by a replay): nothing new
        Err(e) => {
            tracing::warn!(cdr = %cdr.id.as_str(), error = %e, "database away; CDR spooled");
            spool(ledger, cdr).await;
        }
    }
}

/// Appends to the spool off the async workers: each record is fsync'd.
async fn spool(ledger: &Ledger, cdr: &Cdr) {
    let (spool, record) = (ledger.spool.clone(), cdr.clone());
    let written = tokio::task::spawn_blocking(move || spool.append(&record)).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::error!(cdr = %cdr.id.as_str(), error = %e, "CDR NOT RECORDED: spool refused it")
        }
        Err(e) => {
            tracing::error!(cdr = %cdr.id.as_str(), error = %e, "CDR NOT RECORDED: spool task failed")
        }
    }
}

/// Where a `sip:`/`sips:` destination sends to: its host (an IP literal,
/// or a name looked up in DNS A/AAAA), its port (5060, or 5061 for sips),
/// its transport parameter. DNS SRV/NAPTR (RFC 3263) is not done.
pub async fn resolve(destination: &str) -> Option<Peer> {
    let uri = Uri::parse(destination).ok()?;
    let secure = uri.scheme_str().eq_ignore_ascii_case("sips");
    let transport = uri
        .params()
        .get("transport")
        .flatten()
        .map(str::to_ascii_lowercase);
    let protocol = match (secure, transport.as_deref()) {
        (true, _) | (_, Some("tls")) => Protocol::Tls,
        (_, Some("tcp")) => Protocol::Tcp,
        _ => Protocol::Udp,
    };
    let port = uri.port().unwrap_or(if secure { 5061 } else { 5060 });
    let host = uri.host()?;
    let addr = match host.ip() {
        Some(ip) => SocketAddr::new(ip, port),
        None => {
            let mut found = tokio::net::lookup_host(format!("{host}:{port}"))
                .await
                .ok()?;
            found.next()?
        }
    };
    Some(Peer { protocol, addr })
}
