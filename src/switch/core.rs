//! The switch's call control, sans-IO: every call's state machine over one
//! RFC 3261 transaction layer. Driven like the protocol objects under it:
//! `handle_*(now, …)`, then drain `poll_transmit`, `poll_job`, and sleep
//! until `poll_timeout`.

use super::call::{Attempt, AttemptState, Call, CallId, EndCause, Phase};
use super::job::{Acquired, Job, JobDone, Refusal};
use super::legs::{self, Local};
use super::live::{publish as publish_live, Moment};
use super::trace::{Direction, TraceStore};
use super::uas::{attestation_of, caller_of, uas_checks, ALLOW};
use bytes::Bytes;
use dce_marketplace::billing::{CallEvent, TimelineEvent};
use dce_marketplace::domain::{MediaMode, PhoneNumber};
use dce_marketplace::{CallFacts, MarketHandle};
use dce_media::Leg as MediaLeg;
use dce_sip::{
    ClientKey, Event, HeaderName, Malformed, Message, Method, Peer, Request, Response, ServerKey,
    StatusCode, Transactions, Transmit,
};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How call control behaves.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// DCE's UDP/TCP address, for Via and Contact.
    pub local: SocketAddr,
    /// DCE's TLS address, if it listens on one.
    pub local_tls: Option<SocketAddr>,
    /// Longest a call may stay connected before DCE hangs up.
    pub max_call_duration: Duration,
    /// Transaction timers.
    pub timers: dce_sip::Config,
    /// A monotonic instant and the wall-clock time (Unix ms) it stands for:
    /// records get wall times without the core reading the clock.
    pub epoch: (Instant, i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Ring { attempt: usize },
    OkRetransmit,
    OkGiveUp,
    MaxDuration,
    Forget,
}

/// Which side of a call a Call-ID belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leg {
    A,
    B(usize),
}

impl Leg {
    /// The relay's name for this side.
    fn media(self) -> MediaLeg {
        match self {
            Leg::A => MediaLeg::Caller,
            Leg::B(_) => MediaLeg::Buyer,
        }
    }
}

/// What a client transaction was for.
#[derive(Clone, Copy, Debug)]
enum Purpose {
    Attempt(CallId, usize),
    Bye(CallId),
    /// A request relayed to the other leg; its answer goes to `ServerKey`.
    Relay,
}

/// A request relayed from one leg to the other, awaiting its answer.
#[derive(Clone, Debug)]
struct Relayed {
    call: CallId,
    /// The server transaction the answer goes back on.
    server: ServerKey,
    /// The request as received.
    request: Request,
    /// The leg it was sent on, and the CSeq it went out with there.
    to: Leg,
    cseq: u32,
}

/// The B2BUA core.
pub struct SwitchCore {
    tsx: Transactions,
    local: Local,
    config: CoreConfig,
    market: Arc<MarketHandle>,
    calls: FxHashMap<CallId, Call>,
    by_server: FxHashMap<ServerKey, CallId>,
    by_client: FxHashMap<ClientKey, Purpose>,
    relays: FxHashMap<ClientKey, Relayed>,
    by_call_id: FxHashMap<String, (CallId, Leg)>,
    timers: BinaryHeap<Reverse<(Instant, CallId, Timer)>>,
    jobs: VecDeque<Job>,
    /// Shared with the API (see `trace.rs` for why a shared store).
    traces: Arc<TraceStore>,
    /// The live events bus; publishing never waits.
    events: crate::observe::EventBus,
    next_id: CallId,
    accepting: bool,
    overloaded: bool,
    seed: u64,
    invite_delays: VecDeque<Duration>,
    outcomes: VecDeque<Outcome>,
    counts: Counts,
    /// The RTP relay; `None`: signalling only.
    media: Option<dce_media::MediaEngine>,
}

/// Running totals the driver publishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// INVITEs that became calls.
    pub arrived: u64,
    /// New INVITEs shed with 503.
    pub shed: u64,
    /// Calls answered by a buyer.
    pub answered: u64,
}

/// How a call ended: what billing and metrics will consume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The call.
    pub call: CallId,
    /// Its seller and campaign.
    pub seller: dce_marketplace::domain::SellerId,
    /// The campaign.
    pub campaign: dce_marketplace::domain::CampaignId,
    /// Why it ended.
    pub cause: EndCause,
    /// Connected time, when a buyer answered.
    pub connected: Option<Duration>,
    /// Attempts made (target id), with how each ended.
    pub attempts: Vec<(i64, AttemptState)>,
}

impl SwitchCore {
    /// A core routing on `market`.
    pub fn new(config: CoreConfig, market: Arc<MarketHandle>) -> SwitchCore {
        SwitchCore {
            tsx: Transactions::new(config.timers),
            local: Local {
                udp_tcp: config.local,
                tls: config.local_tls,
            },
            config,
            market,
            calls: FxHashMap::default(),
            by_server: FxHashMap::default(),
            by_client: FxHashMap::default(),
            relays: FxHashMap::default(),
            by_call_id: FxHashMap::default(),
            timers: BinaryHeap::new(),
            jobs: VecDeque::new(),
            traces: Arc::default(),
            events: Default::default(),
            next_id: 1,
            accepting: true,
            overloaded: false,
            seed: 0x5eed,
            invite_delays: VecDeque::new(),
            outcomes: VecDeque::new(),
            counts: Counts::default(),
            media: None,
        }
    }

    /// Anchors the media of calls (of campaigns that do not bypass it)
    /// through `engine`.
    pub fn set_media(&mut self, engine: dce_media::MediaEngine) {
        self.media = Some(engine);
    }

    /// The relay reports a party silent for the media timeout: a
    /// connected call ends with cause `media_timeout`. Before the answer
    /// the report is ignored (a ringing call has no media yet; the answer
    /// restarts the relay's clock).
    pub fn handle_media_inactive(&mut self, now: Instant, session: &dce_media::CallId) {
        let Ok(id) = session.to_string().parse::<CallId>() else {
            return;
        };
        if self
            .calls
            .get(&id)
            .is_some_and(|c| c.phase == Phase::Answered)
        {
            tracing::info!(call = id, "media timeout");
            self.hang_up(now, id, None, EndCause::MediaTimeout);
            self.drain_events(now);
        }
    }

    /// New calls get `503` from now on (shutdown).
    pub fn stop_accepting(&mut self) {
        self.accepting = false;
    }

    /// Whether new calls are being shed for load (`503` + `Retry-After`).
    pub fn set_overloaded(&mut self, overloaded: bool) {
        self.overloaded = overloaded;
    }

    /// Calls not yet over.
    pub fn active_calls(&self) -> usize {
        self.calls
            .values()
            .filter(|c| c.phase != Phase::Ended)
            .count()
    }

    /// Live transactions (for leak checks).
    #[cfg(test)]
    pub fn transactions(&self) -> usize {
        self.tsx.len()
    }

    /// The per-call traces.
    #[cfg(test)]
    pub fn traces(&self) -> &TraceStore {
        &self.traces
    }

    /// Writes SIP traces into `traces` and publishes live events on
    /// `events`, both shared with the API.
    pub fn set_observers(&mut self, traces: Arc<TraceStore>, events: crate::observe::EventBus) {
        self.traces = traces;
        self.events = events;
    }

    /// Records a message of `call` with DCE's address on its transport.
    fn trace(&self, call: CallId, direction: Direction, peer: Peer, message: &Message) {
        let local = match peer.protocol {
            dce_sip::Protocol::Tls => self.local.tls.unwrap_or(self.local.udp_tcp),
            _ => self.local.udp_tcp,
        };
        self.traces.record(call, direction, local, peer, message);
    }

    /// A message received from the network.
    pub fn handle_message(&mut self, now: Instant, message: Message, peer: Peer) {
        if let Some((call, _)) = message
            .headers()
            .call_id()
            .ok()
            .and_then(|id| self.by_call_id.get(id))
        {
            self.trace(*call, Direction::In, peer, &message);
        }
        self.tsx.handle_message(now, message, peer);
        self.drain_events(now);
    }

    /// A message that did not parse: answered when it can be.
    pub fn handle_malformed(&mut self, malformed: Malformed, peer: Peer) {
        tracing::debug!(%peer, error = %malformed, "malformed SIP message");
        if let Some(response) = malformed.response() {
            self.tsx
                .send_stateless(Message::Response(response.clone()), peer);
        }
    }

    /// A job's result.
    pub fn handle_job(&mut self, now: Instant, done: JobDone) {
        match done {
            JobDone::Routed { call, decision } => self.on_routed(now, call, decision),
            JobDone::Acquired { call, rank, result } => self.on_acquired(now, call, rank, result),
        }
        self.drain_events(now);
    }

    /// Runs what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tsx.handle_timeout(now);
        while let Some(Reverse((at, call, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.on_timer(now, call, timer);
        }
        self.drain_events(now);
    }

    /// The next instant something is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let own = self.timers.peek().map(|Reverse((at, _, _))| *at);
        match (own, self.tsx.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.tsx.poll_transmit()?;
        if let Some((call, _)) = t
            .message
            .headers()
            .call_id()
            .ok()
            .and_then(|id| self.by_call_id.get(id))
        {
            self.trace(*call, Direction::Out, t.peer, &t.message);
        }
        Some(t)
    }

    /// INVITE-in to first INVITE-out delays measured since the last call.
    pub fn take_invite_delay(&mut self) -> Option<Duration> {
        self.invite_delays.pop_front()
    }

    /// Running totals.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The next call that ended.
    pub fn poll_outcome(&mut self) -> Option<Outcome> {
        self.outcomes.pop_front()
    }

    /// Ids of the CDRs of calls connected now (the driver touches them
    /// periodically, so a crash bills each up to its last sign of life).
    pub fn open_cdrs(&self) -> Vec<dce_marketplace::billing::CdrId> {
        self.calls
            .values()
            .filter(|c| c.is_up())
            .filter_map(|c| c.cdr.as_ref().map(|cdr| cdr.id.clone()))
            .collect()
    }

    /// The next job to run.
    pub fn poll_job(&mut self) -> Option<Job> {
        self.jobs.pop_front()
    }

    fn drain_events(&mut self, now: Instant) {
        while let Some(event) = self.tsx.poll_event() {
            self.on_event(now, event);
        }
    }

    fn on_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Request { key, request, peer } => self.on_request(now, key, request, peer),
            Event::Ack { request, .. } => self.on_ack(&request),
            Event::Cancelled { invite } => {
                if let Some(call) = self.by_server.get(&invite).copied() {
                    self.on_caller_cancel(now, call);
                }
            }
            Event::Response { key, response } => self.on_response(now, &key, response),
            Event::Timeout { key } | Event::TransportError { key } => {
                self.on_client_failure(now, &key, 408)
            }
            Event::AckTimeout { key } => {
                if let Some(call) = self.by_server.get(&key).copied() {
                    tracing::debug!(call, "no ACK for a final response");
                }
            }
            Event::StrayResponse { response, .. } => self.on_stray(now, response),
        }
    }

    fn respond(&mut self, now: Instant, key: &ServerKey, response: Response) {
        if let Err(e) = self.tsx.respond(now, key, response) {
            tracing::debug!(error = ?e, "response not sent");
        }
    }

    fn reply(&mut self, now: Instant, key: &ServerKey, request: &Request, status: StatusCode) {
        let mut r = Response::for_request(request, status, status.canonical_reason());
        let _ = r.set_to_tag(&legs::token());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            let _ = r.headers_mut().push(HeaderName::RETRY_AFTER, "5");
        }
        if status == StatusCode::OK && request.method() == &Method::OPTIONS {
            let _ = r.headers_mut().push(
                HeaderName::ALLOW,
                "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO",
            );
        }
        self.respond(now, key, r);
    }

    fn on_request(&mut self, now: Instant, key: ServerKey, request: Request, peer: Peer) {
        let in_dialog = request
            .headers()
            .to()
            .ok()
            .is_some_and(|to| to.tag().is_some());
        if in_dialog {
            return self.on_in_dialog(now, key, request);
        }
        if let Some(refusal) = uas_checks(&request) {
            let mut r =
                Response::for_request(&request, refusal.status, refusal.status.canonical_reason());
            let _ = r.set_to_tag(&legs::token());
            if let Some((name, value)) = refusal.header {
                let _ = r.headers_mut().push(name, &value);
            }
            return self.respond(now, &key, r);
        }
        let method = request.method().clone();
        if method == Method::INVITE {
            self.on_invite(now, key, request, peer);
        } else if method == Method::OPTIONS {
            self.reply(now, &key, &request, StatusCode::OK);
        } else if method == Method::BYE || method == Method::UPDATE || method == Method::INFO {
            self.reply(now, &key, &request, StatusCode::CALL_DOES_NOT_EXIST);
        } else {
            // RFC 3261 §8.2.1: a method DCE knows but does not serve is 405
            // (with Allow); one it does not know at all is 501.
            let known = [
                Method::REGISTER,
                Method::SUBSCRIBE,
                Method::NOTIFY,
                Method::REFER,
                Method::MESSAGE,
                Method::PUBLISH,
                Method::PRACK,
            ];
            let (status, reason) = if known.contains(&method) {
                (
                    StatusCode::new(405).unwrap_or(StatusCode::UNIMPLEMENTED),
                    "Method Not Allowed",
                )
            } else {
                (StatusCode::UNIMPLEMENTED, "Not Implemented")
            };
            let mut r = Response::for_request(&request, status, reason);
            let _ = r.set_to_tag(&legs::token());
            let _ = r.headers_mut().push(HeaderName::ALLOW, ALLOW);
            self.respond(now, &key, r);
        }
    }

    /// A new INVITE: the open-relay guard, the campaign, then the auction.
    fn on_invite(&mut self, now: Instant, key: ServerKey, invite: Request, peer: Peer) {
        let h = invite.headers();
        if h.max_forwards().ok().flatten() == Some(0) {
            return self.reply(now, &key, &invite, StatusCode::TOO_MANY_HOPS);
        }
        if !self.accepting || self.overloaded {
            self.counts.shed += 1;
            return self.reply(now, &key, &invite, StatusCode::SERVICE_UNAVAILABLE);
        }
        let market = self.market.load_full();
        // An unknown source never gets a call forwarded anywhere.
        let Some(seller) = market.seller_for_source(peer.addr.ip()) else {
            tracing::info!(%peer, "INVITE from an unknown source refused");
            return self.reply(now, &key, &invite, StatusCode::FORBIDDEN);
        };
        let dialed = invite
            .uri()
            .user()
            .and_then(|u| PhoneNumber::normalize(u).ok());
        let Some(entry) = dialed.and_then(|d| market.campaign_for(d)) else {
            return self.reply(now, &key, &invite, StatusCode::NOT_FOUND);
        };
        let (Some(dialed), campaign) = (dialed, entry.campaign.id) else {
            return;
        };
        let caller = caller_of(&invite);
        let id = self.next_id;
        let media = match (&self.media, entry.campaign.media) {
            (Some(engine), MediaMode::Relay) => match super::media::open(engine, id, &invite) {
                Ok(anchored) => anchored,
                Err(status) => {
                    if status != super::media::not_acceptable()
                        && status != StatusCode::SERVICE_UNAVAILABLE
                    {
                        self.jobs.push_back(Job::EndMedia {
                            session: super::media::session_id(id),
                            cdr: None,
                        });
                    }
                    return self.reply(now, &key, &invite, status);
                }
            },
            _ => None,
        };
        self.counts.arrived += 1;
        self.next_id += 1;
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let facts = CallFacts {
            seller: Some(seller),
            caller,
            dialed,
            attestation: attestation_of(&invite),
            history: Default::default(),
            rtb: Default::default(),
            seed: self.seed,
        };
        if let Ok(call_id) = invite.headers().call_id() {
            self.by_call_id.insert(call_id.to_string(), (id, Leg::A));
        }
        let cdr_id = super::billing::cdr_id(id);
        self.traces.start(id, cdr_id.clone());
        self.trace(id, Direction::In, peer, &Message::Request(invite.clone()));
        let arrived_ms = wall_ms(self.config.epoch, now);
        tracing::info!(call = id, %peer, dialed = %dialed.redacted(), "call arrived");
        self.by_server.insert(key.clone(), id);
        self.calls.insert(
            id,
            Call {
                id,
                arrived: now,
                seller,
                campaign,
                caller: facts.caller,
                dialed: facts.dialed,
                attestation: facts.attestation,
                arrived_ms,
                cdr_id,
                cdr: None,
                timeline: vec![TimelineEvent::new(arrived_ms, CallEvent::Arrived)],
                a_key: key,
                a_invite: invite,
                a_peer: peer,
                a_tag: legs::token(),
                a_dialog: None,
                phase: Phase::Routing,
                market: Some(market.clone()),
                decision: None,
                next_rank: 0,
                attempts: Vec::new(),
                answered: None,
                acked: false,
                ok: None,
                ok_interval: self.config.timers.t1,
                end: None,
                pending_byes: 0,
                media,
            },
        );
        if let Some(call) = self.calls.get(&id) {
            publish_live(&self.events, call, Moment::Arrived, arrived_ms);
        }
        self.jobs.push_back(Job::Route {
            call: id,
            market,
            facts,
        });
    }

    fn on_routed(&mut self, now: Instant, id: CallId, decision: dce_marketplace::Decision) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let ranked = decision.ranked.len();
        tracing::debug!(
            call = id,
            ranked,
            excluded = decision.excluded.len(),
            "decided"
        );
        let excluded = decision.excluded.len() as u32;
        call.decision = Some(decision);
        note(
            call,
            wall_ms(self.config.epoch, now),
            CallEvent::Decided {
                ranked: ranked as u32,
                excluded,
            },
        );
        let at = wall_ms(self.config.epoch, now);
        publish_live(&self.events, call, Moment::Decided, at);
        if call.phase != Phase::Routing {
            return; // cancelled while deciding
        }
        if ranked == 0 {
            let invite = call.a_invite.clone();
            let key = call.a_key.clone();
            self.reply(now, &key, &invite, StatusCode::SERVICE_UNAVAILABLE);
            return self.end(now, id, EndCause::NoEligibleTarget);
        }
        self.next_attempt(now, id);
    }

    /// Asks for a slot at the next ranked target, or gives up with 480.
    fn next_attempt(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (Some(decision), Some(market)) = (&call.decision, &call.market) else {
            return;
        };
        let Some(ranked) = decision.ranked.get(call.next_rank) else {
            let invite = call.a_invite.clone();
            let key = call.a_key.clone();
            let status = StatusCode::new(480).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut r = Response::for_request(&invite, status, "Temporarily Unavailable");
            let _ = r.set_to_tag(&call.a_tag);
            self.respond(now, &key, r);
            return self.end(now, id, EndCause::AllTargetsFailed);
        };
        let destination = ranked
            .destination
            .as_deref()
            .map(str::to_string)
            .or_else(|| {
                market
                    .target(ranked.target)
                    .map(|t| t.target.destination.clone())
            })
            .unwrap_or_default();
        call.phase = Phase::Acquiring;
        self.jobs.push_back(Job::Acquire {
            call: id,
            rank: call.next_rank,
            market: market.clone(),
            target: ranked.target,
            bid: ranked.bid,
            destination,
        });
        call.next_rank += 1;
    }

    fn on_acquired(
        &mut self,
        now: Instant,
        id: CallId,
        rank: usize,
        result: Result<Box<Acquired>, Refusal>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            if let Ok(acquired) = result {
                let slot = acquired.slot;
                self.jobs.push_back(Job::Release {
                    slot,
                    answered: false,
                });
            }
            return;
        };
        let ranked = call
            .decision
            .as_ref()
            .and_then(|d| d.ranked.get(rank))
            .cloned();
        let (Some(ranked), Some(market)) = (ranked, call.market.clone()) else {
            return;
        };
        let ring_timeout = market
            .target(ranked.target)
            .map_or(Duration::from_secs(30), |t| t.target.ring_timeout);
        let mut attempt = Attempt {
            target: ranked.target,
            slot: None,
            key: None,
            peer: None,
            invite: None,
            dialog: None,
            state: AttemptState::Skipped,
            started_ms: None,
            ended_ms: None,
        };
        if call.phase != Phase::Acquiring {
            // Cancelled meanwhile: the slot goes straight back.
            if let Ok(acquired) = result {
                let slot = acquired.slot;
                self.jobs.push_back(Job::Release {
                    slot,
                    answered: false,
                });
            }
            return;
        }
        let Acquired {
            slot,
            destination,
            peer,
        } = match result {
            Ok(v) => *v,
            Err(why) => {
                tracing::debug!(call = id, target = %ranked.target, ?why, "target skipped");
                call.attempts.push(attempt);
                return self.next_attempt(now, id);
            }
        };
        let b_call_id = format!("{}@dce", legs::token());
        let invite = match legs::outbound_invite(
            &call.a_invite,
            &destination,
            peer,
            &self.local,
            &b_call_id,
            &legs::token(),
        ) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(call = id, error = %e, "cannot build the outbound INVITE");
                self.jobs.push_back(Job::Release {
                    slot,
                    answered: false,
                });
                call.attempts.push(attempt);
                return self.next_attempt(now, id);
            }
        };
        let mut invite = invite;
        if let Some(anchored) = &call.media {
            let _ = invite.set_body(anchored.offer.clone(), Some("application/sdp"));
        }
        let index = call.attempts.len();
        if call.attempts.iter().all(|a| a.key.is_none()) && self.invite_delays.len() < 65_536 {
            self.invite_delays
                .push_back(now.saturating_duration_since(call.arrived));
        }
        attempt.slot = Some(slot);
        attempt.started_ms = Some(wall_ms(self.config.epoch, now));
        attempt.peer = Some(peer);
        attempt.invite = Some(invite.clone());
        attempt.state = AttemptState::Calling;
        call.phase = Phase::Calling;
        note(
            call,
            wall_ms(self.config.epoch, now),
            CallEvent::AttemptStarted {
                n: index as u32,
                target: ranked.target,
            },
        );
        call.attempts.push(attempt);
        self.by_call_id.insert(b_call_id, (id, Leg::B(index)));
        let key = self.tsx.send_request(now, invite, peer);
        self.by_client
            .insert(key.clone(), Purpose::Attempt(id, index));
        if let Some(call) = self.calls.get_mut(&id) {
            call.attempts[index].key = Some(key);
        }
        self.timers.push(Reverse((
            now + ring_timeout,
            id,
            Timer::Ring { attempt: index },
        )));
        tracing::debug!(call = id, target = %ranked.target, attempt = index, "INVITE sent to buyer");
    }

    fn on_response(&mut self, now: Instant, key: &ClientKey, response: Response) {
        match self.by_client.get(key).copied() {
            Some(Purpose::Attempt(id, i)) => self.on_attempt_response(now, id, i, key, response),
            Some(Purpose::Bye(id)) if response.status().is_final() => {
                self.by_client.remove(key);
                self.bye_done(now, id);
            }
            Some(Purpose::Bye(_)) => {}
            Some(Purpose::Relay) => {
                if response.status() == StatusCode::TRYING {
                    return;
                }
                let final_ = response.status().is_final();
                if let Some(relay) = self.relays.get(key).cloned() {
                    let mut response = response;
                    if response.status().is_success() && !response.body().is_empty() {
                        match self.anchored_sdp(relay.call, relay.to.media(), response.body()) {
                            Ok(Some(body)) => {
                                let _ = response.set_body(body, Some("application/sdp"));
                            }
                            Ok(None) => {}
                            Err(e) => {
                                tracing::info!(call = relay.call, error = %e, "answer to a relayed request not anchored")
                            }
                        }
                    }
                    let r = legs::relayed_response(&relay.request, &response);
                    self.respond(now, &relay.server, r);
                    // A relayed re-INVITE's 2xx is DCE's to ACK on that leg
                    // (the other side ACKs DCE's own 2xx).
                    if response.status().is_success() && relay.request.method() == &Method::INVITE {
                        self.ack_relayed(&relay);
                    }
                }
                if final_ {
                    self.relays.remove(key);
                    self.by_client.remove(key);
                }
            }
            None => {}
        }
    }

    fn on_attempt_response(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        key: &ClientKey,
        response: Response,
    ) {
        let status = response.status();
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let state = call.attempts[i].state;
        let live = matches!(state, AttemptState::Calling | AttemptState::Ringing)
            && call.phase == Phase::Calling;
        let mut response = response;
        if live && status != StatusCode::TRYING && !response.body().is_empty() {
            match self.anchored_sdp(id, MediaLeg::Buyer, response.body()) {
                Ok(Some(body)) => {
                    let _ = response.set_body(body, Some("application/sdp"));
                }
                Ok(None) => {}
                Err(e) if status.is_success() => {
                    tracing::info!(call = id, attempt = i, error = %e, "buyer's answer not anchored; next target");
                    return self.refuse_answer(now, id, i, key, &response);
                }
                Err(e) => {
                    // Early media that cannot be relayed is not shown.
                    tracing::debug!(call = id, error = %e, "early media SDP dropped");
                    let _ = response.set_body(Bytes::new(), None);
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if status.is_success() {
            let invite = call.attempts[i].invite.clone();
            let peer = call.attempts[i].peer;
            let (Some(invite), Some(peer)) = (invite, peer) else {
                return;
            };
            let Ok(mut dialog) = legs::b_dialog(&invite, &response, peer) else {
                return;
            };
            // Every 2xx gets its ACK, end to end (RFC 3261 §13.2.2.4).
            if let Ok(ack) = dialog.request(Method::ACK, &self.local, Some(1)) {
                self.tsx.send_stateless(Message::Request(ack), peer);
            }
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            if state == AttemptState::Answered {
                return; // a retransmitted 2xx: ACKed again, nothing more
            }
            let live = matches!(state, AttemptState::Calling | AttemptState::Ringing)
                && call.phase == Phase::Calling;
            if !live {
                // A 200 that crossed DCE's CANCEL (ring timeout or caller
                // cancel): answered, then hung up, never left dangling.
                call.attempts[i].state = AttemptState::Answered;
                if let Ok(bye) = dialog.request(Method::BYE, &self.local, None) {
                    let k = self.tsx.send_request(now, bye, peer);
                    self.by_client.insert(k, Purpose::Bye(id));
                }
                if let Some(slot) = call.attempts[i].slot.take() {
                    self.jobs.push_back(Job::Release {
                        slot,
                        answered: false,
                    });
                }
                return;
            }
            call.attempts[i].state = AttemptState::Answered;
            call.attempts[i].dialog = Some(dialog);
            self.counts.answered += 1;
            call.answered = Some((i, now));
            call.attempts[i].ended_ms = None;
            note(
                call,
                wall_ms(self.config.epoch, now),
                CallEvent::Answered { n: i as u32 },
            );
            let at = wall_ms(self.config.epoch, now);
            publish_live(&self.events, call, Moment::Answered(i), at);
            call.phase = Phase::Answered;
            let wall = wall_ms(self.config.epoch, now);
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            call.cdr = super::billing::at_answer(call, i, wall);
            match &call.cdr {
                Some(cdr) => self.jobs.push_back(Job::OpenCdr(Box::new(cdr.clone()))),
                None => tracing::error!(call = id, "answered call has no CDR terms"),
            }
            let ok = legs::upstream_response(
                &call.a_invite,
                StatusCode::OK,
                "OK",
                &call.a_tag,
                &self.local,
                call.a_peer.protocol,
                Some(&response),
            );
            call.a_dialog = legs::a_dialog(&call.a_invite, &call.a_tag, call.a_peer).ok();
            let a_key = call.a_key.clone();
            let interval = call.ok_interval;
            call.ok = Some(ok.clone());
            self.respond(now, &a_key, ok);
            if !self.call_peer_reliable(id) {
                self.timers
                    .push(Reverse((now + interval, id, Timer::OkRetransmit)));
            }
            self.timers.push(Reverse((
                now + self.config.timers.t1 * 64,
                id,
                Timer::OkGiveUp,
            )));
            self.timers.push(Reverse((
                now + self.config.max_call_duration,
                id,
                Timer::MaxDuration,
            )));
            tracing::info!(call = id, attempt = i, "call answered");
            return;
        }
        if status.is_provisional() {
            if status == StatusCode::TRYING
                || !matches!(state, AttemptState::Calling | AttemptState::Ringing)
            {
                return;
            }
            if state == AttemptState::Calling {
                note(
                    call,
                    wall_ms(self.config.epoch, now),
                    CallEvent::AttemptRinging { n: i as u32 },
                );
                let at = wall_ms(self.config.epoch, now);
                publish_live(&self.events, call, Moment::Ringing(i), at);
            }
            call.attempts[i].state = AttemptState::Ringing;
            if call.phase == Phase::Calling {
                let r = legs::upstream_response(
                    &call.a_invite,
                    status,
                    response.reason(),
                    &call.a_tag,
                    &self.local,
                    call.a_peer.protocol,
                    Some(&response),
                );
                let a_key = call.a_key.clone();
                self.respond(now, &a_key, r);
            }
            return;
        }
        // 3xx–6xx: the layer has ACKed it; try the next target.
        self.by_client.remove(key);
        self.attempt_failed(now, id, i, status.as_u16());
    }

    /// A buyer answered with SDP the relay cannot use: its 2xx is ACKed
    /// and hung up at once, and the next target is tried (as for a 488).
    fn refuse_answer(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        key: &ClientKey,
        response: &Response,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (Some(invite), Some(peer)) = (call.attempts[i].invite.clone(), call.attempts[i].peer)
        else {
            return;
        };
        if let Ok(mut dialog) = legs::b_dialog(&invite, response, peer) {
            if let Ok(ack) = dialog.request(Method::ACK, &self.local, Some(1)) {
                self.tsx.send_stateless(Message::Request(ack), peer);
            }
            if let Ok(bye) = dialog.request(Method::BYE, &self.local, None) {
                let k = self.tsx.send_request(now, bye, peer);
                self.by_client.insert(k, Purpose::Bye(id));
            }
            call.attempts[i].dialog = Some(dialog);
        }
        self.by_client.remove(key);
        self.attempt_failed(now, id, i, 488);
    }

    fn attempt_failed(&mut self, now: Instant, id: CallId, i: usize, code: u16) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let was_live = matches!(
            call.attempts[i].state,
            AttemptState::Calling | AttemptState::Ringing
        );
        if matches!(
            call.attempts[i].state,
            AttemptState::Calling | AttemptState::Ringing
        ) {
            call.attempts[i].state = AttemptState::Failed(code);
            let at = wall_ms(self.config.epoch, now);
            call.attempts[i].ended_ms = Some(at);
            let why = if code == 408 {
                "no answer or unreachable"
            } else {
                "rejected"
            };
            note(
                call,
                at,
                CallEvent::AttemptFailed {
                    n: i as u32,
                    status: Some(code),
                    why: why.into(),
                },
            );
        }
        if let Some(slot) = call.attempts[i].slot.take() {
            self.jobs.push_back(Job::Release {
                slot,
                answered: false,
            });
        }
        if was_live && call.phase == Phase::Calling {
            tracing::debug!(
                call = id,
                attempt = i,
                code,
                "buyer attempt failed; next target"
            );
            self.next_attempt(now, id);
        }
    }

    fn on_client_failure(&mut self, now: Instant, key: &ClientKey, code: u16) {
        match self.by_client.remove(key) {
            Some(Purpose::Attempt(id, i)) => self.attempt_failed(now, id, i, code),
            Some(Purpose::Bye(id)) => self.bye_done(now, id),
            Some(Purpose::Relay) => {
                if let Some(relay) = self.relays.remove(key) {
                    self.reply(
                        now,
                        &relay.server,
                        &relay.request,
                        StatusCode::REQUEST_TIMEOUT,
                    );
                }
            }
            None => {}
        }
    }

    /// A 2xx that matches no transaction any more (its attempt timed out,
    /// or it is a late retransmission): ACK it, and BYE the leg unless it
    /// is the call's connected one.
    fn on_stray(&mut self, now: Instant, response: Response) {
        if !response.status().is_success() {
            return;
        }
        let Ok(call_id) = response.headers().call_id() else {
            return;
        };
        let Some((id, Leg::B(i))) = self.by_call_id.get(call_id).copied() else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let connected = call.answered.is_some_and(|(a, _)| a == i) && call.is_up();
        let attempt = &mut call.attempts[i];
        let dialog = match (&mut attempt.dialog, &attempt.invite, attempt.peer) {
            (Some(d), _, _) => Some(d.clone()),
            (None, Some(invite), Some(peer)) => legs::b_dialog(invite, &response, peer).ok(),
            _ => None,
        };
        let Some(mut dialog) = dialog else {
            return;
        };
        let peer = dialog.peer;
        if let Ok(ack) = dialog.request(Method::ACK, &self.local, Some(1)) {
            self.tsx.send_stateless(Message::Request(ack), peer);
        }
        if !connected && attempt.dialog.is_none() {
            attempt.dialog = Some(dialog.clone());
            if let Ok(bye) = dialog.request(Method::BYE, &self.local, None) {
                let k = self.tsx.send_request(now, bye, peer);
                self.by_client.insert(k, Purpose::Bye(id));
            }
        }
    }

    fn on_ack(&mut self, request: &Request) {
        let Ok(call_id) = request.headers().call_id() else {
            return;
        };
        if let Some((id, Leg::A)) = self.by_call_id.get(call_id).copied() {
            if let Some(call) = self.calls.get_mut(&id) {
                call.acked = true;
            }
        }
    }

    fn on_caller_cancel(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !matches!(
            call.phase,
            Phase::Routing | Phase::Acquiring | Phase::Calling
        ) {
            return;
        }
        let r = legs::upstream_response(
            &call.a_invite,
            StatusCode::REQUEST_TERMINATED,
            "Request Terminated",
            &call.a_tag,
            &self.local,
            call.a_peer.protocol,
            None,
        );
        let a_key = call.a_key.clone();
        self.respond(now, &a_key, r);
        self.cancel_live_attempt(now, id);
        self.end(now, id, EndCause::CallerCancel);
    }

    fn cancel_live_attempt(&mut self, now: Instant, id: CallId) {
        if let Some(i) = self.calls.get(&id).and_then(Call::live_attempt) {
            self.cancel_attempt(now, id, i, AttemptState::Cancelled, "caller_cancel");
        }
    }

    /// Gives up on a ringing attempt: its slot back, a CANCEL to the buyer
    /// (a 200 that crosses it is ACKed and hung up), and a note of why.
    fn cancel_attempt(
        &mut self,
        now: Instant,
        id: CallId,
        i: usize,
        state: AttemptState,
        why: &str,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.attempts[i].state = state;
        let at = wall_ms(self.config.epoch, now);
        call.attempts[i].ended_ms = Some(at);
        note(
            call,
            at,
            CallEvent::AttemptFailed {
                n: i as u32,
                status: None,
                why: why.into(),
            },
        );
        if let Some(slot) = call.attempts[i].slot.take() {
            self.jobs.push_back(Job::Release {
                slot,
                answered: false,
            });
        }
        if let Some(key) = call.attempts[i].key.clone() {
            let _ = self.tsx.cancel(now, &key);
        }
    }

    fn on_in_dialog(&mut self, now: Instant, key: ServerKey, request: Request) {
        let found = request
            .headers()
            .call_id()
            .ok()
            .and_then(|id| self.by_call_id.get(id))
            .copied();
        let Some((id, leg)) = found else {
            return self.reply(now, &key, &request, StatusCode::CALL_DOES_NOT_EXIST);
        };
        let method = request.method().clone();
        let up = self.calls.get(&id).is_some_and(|c| c.is_up());
        if !up {
            return self.reply(now, &key, &request, StatusCode::CALL_DOES_NOT_EXIST);
        }
        if method == Method::BYE {
            self.reply(now, &key, &request, StatusCode::OK);
            let cause = if leg == Leg::A {
                EndCause::CallerBye
            } else {
                EndCause::BuyerBye
            };
            return self.hang_up(now, id, Some(leg), cause);
        }
        // re-INVITE, UPDATE, INFO and the rest: relayed to the other leg.
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let other = match leg {
            Leg::A => call
                .answered
                .and_then(|(i, _)| call.attempts[i].dialog.as_mut()),
            Leg::B(_) => call.a_dialog.as_mut(),
        };
        let Some(dialog) = other else {
            return self.reply(now, &key, &request, StatusCode::CALL_DOES_NOT_EXIST);
        };
        let Ok(mut out) = dialog.request(method.clone(), &self.local, None) else {
            return;
        };
        if method == Method::INVITE {
            let _ = out.headers_mut().push(
                HeaderName::CONTACT,
                &self.local.contact(dialog.peer.protocol),
            );
        }
        if legs::carry_body(&request, &mut out).is_err() {
            return self.reply(now, &key, &request, StatusCode::BAD_REQUEST);
        }
        if !out.body().is_empty() && matches!(method, Method::INVITE | Method::UPDATE) {
            match self.anchored_sdp(id, leg.media(), out.body()) {
                Ok(Some(body)) => {
                    let _ = out.set_body(body, Some("application/sdp"));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::info!(call = id, error = %e, "re-offer not anchored");
                    return self.reply(now, &key, &request, super::media::not_acceptable());
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let other = match leg {
            Leg::A => call
                .answered
                .and_then(|(i, _)| call.attempts[i].dialog.as_ref()),
            Leg::B(_) => call.a_dialog.as_ref(),
        };
        let Some(dialog) = other else {
            return;
        };
        let peer = dialog.peer;
        let cseq = dialog.cseq;
        let to = match leg {
            Leg::A => Leg::B(call.answered.map_or(0, |(i, _)| i)),
            Leg::B(_) => Leg::A,
        };
        let k = self.tsx.send_request(now, out, peer);
        self.by_client.insert(k.clone(), Purpose::Relay);
        self.relays.insert(
            k,
            Relayed {
                call: id,
                server: key,
                request,
                to,
                cseq,
            },
        );
    }

    /// `body`, an SDP from the party on `from`, rewritten for the other
    /// party; `None` for a call whose media is not anchored.
    fn anchored_sdp(
        &self,
        id: CallId,
        from: MediaLeg,
        body: &[u8],
    ) -> Result<Option<Bytes>, dce_media::MediaError> {
        let (Some(engine), Some(anchored)) = (
            &self.media,
            self.calls.get(&id).and_then(|c| c.media.as_ref()),
        ) else {
            return Ok(None);
        };
        engine
            .anchor_sdp(&anchored.id, from, body)
            .map(|b| Some(Bytes::from(b)))
    }

    fn ack_relayed(&mut self, relay: &Relayed) {
        let Some(call) = self.calls.get_mut(&relay.call) else {
            return;
        };
        let dialog = match relay.to {
            Leg::A => call.a_dialog.as_mut(),
            Leg::B(i) => call.attempts.get_mut(i).and_then(|a| a.dialog.as_mut()),
        };
        if let Some(d) = dialog {
            if let Ok(ack) = d.request(Method::ACK, &self.local, Some(relay.cseq)) {
                let peer = d.peer;
                self.tsx.send_stateless(Message::Request(ack), peer);
            }
        }
    }

    /// Ends an answered call: BYE to every leg but `from`.
    fn hang_up(&mut self, now: Instant, id: CallId, from: Option<Leg>, cause: EndCause) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.phase != Phase::Answered {
            return;
        }
        call.phase = Phase::Ending;
        let mut byes = Vec::new();
        if from != Some(Leg::A) {
            if let Some(d) = call.a_dialog.as_mut() {
                if let Ok(b) = d.request(Method::BYE, &self.local, None) {
                    byes.push((b, d.peer));
                }
            }
        }
        if let Some((i, _)) = call.answered {
            if !matches!(from, Some(Leg::B(_))) {
                if let Some(d) = call.attempts[i].dialog.as_mut() {
                    if let Ok(b) = d.request(Method::BYE, &self.local, None) {
                        byes.push((b, d.peer));
                    }
                }
            }
        }
        call.pending_byes = byes.len() as u8;
        for (bye, peer) in byes {
            let k = self.tsx.send_request(now, bye, peer);
            self.by_client.insert(k, Purpose::Bye(id));
        }
        self.end(now, id, cause);
    }

    fn bye_done(&mut self, _now: Instant, id: CallId) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.pending_byes = call.pending_byes.saturating_sub(1);
        }
    }

    /// Records the end, gives slots back, and forgets the call later.
    fn end(&mut self, now: Instant, id: CallId, cause: EndCause) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.end.is_some() {
            return;
        }
        call.end = Some((cause, now));
        let answered = call.answered.map(|(i, _)| i);
        for (i, attempt) in call.attempts.iter_mut().enumerate() {
            if let Some(slot) = attempt.slot.take() {
                self.jobs.push_back(Job::Release {
                    slot,
                    answered: Some(i) == answered,
                });
            }
        }
        if call.phase != Phase::Ending {
            call.phase = Phase::Ended;
        }
        let connected = call
            .answered
            .map(|(_, at)| now.saturating_duration_since(at));
        // Every call that reached a campaign gets its record: answered ones
        // were written open at answer; the others are written once, now.
        let wall = wall_ms(self.config.epoch, now);
        let cdr = call
            .cdr
            .take()
            .or_else(|| super::billing::unanswered(call, wall));
        let closed = cdr.map(|cdr| {
            Box::new(super::billing::at_end(
                cdr,
                call,
                cause,
                connected.unwrap_or_default(),
                wall,
            ))
        });
        // The relay's statistics go into the record: the session is
        // released first, then the CDR is written.
        match (call.media.take(), closed) {
            (Some(anchored), cdr) => self.jobs.push_back(Job::EndMedia {
                session: anchored.id,
                cdr,
            }),
            (None, Some(cdr)) => self.jobs.push_back(Job::CloseCdr(cdr)),
            (None, None) => {}
        }
        tracing::info!(
            call = id,
            cause = cause.as_str(),
            answered = answered.is_some(),
            ?connected,
            "call ended"
        );
        if self.outcomes.len() < 65_536 {
            self.outcomes.push_back(Outcome {
                call: id,
                seller: call.seller,
                campaign: call.campaign,
                cause,
                connected,
                attempts: call
                    .attempts
                    .iter()
                    .map(|a| (a.target.0, a.state))
                    .collect(),
            });
        }
        publish_live(&self.events, call, Moment::Ended, wall);
        self.traces.finish(id, cause);
        // Long enough for retransmissions and late answers to find it.
        self.timers.push(Reverse((
            now + self.config.timers.t1 * 64,
            id,
            Timer::Forget,
        )));
    }

    fn on_timer(&mut self, now: Instant, id: CallId, timer: Timer) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match timer {
            Timer::Ring { attempt } => {
                let live = matches!(
                    call.attempts.get(attempt).map(|a| a.state),
                    Some(AttemptState::Calling | AttemptState::Ringing)
                );
                if live && call.phase == Phase::Calling {
                    tracing::debug!(call = id, attempt, "ring timeout; next target");
                    self.cancel_attempt(
                        now,
                        id,
                        attempt,
                        AttemptState::RingTimeout,
                        "ring_timeout",
                    );
                    self.next_attempt(now, id);
                }
            }
            Timer::OkRetransmit => {
                // RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx
                // until the ACK, T1 doubling up to T2.
                if call.acked || call.phase != Phase::Answered {
                    return;
                }
                if let Some(ok) = call.ok.clone() {
                    self.tsx.send_stateless(Message::Response(ok), call.a_peer);
                }
                call.ok_interval = (call.ok_interval * 2).min(self.config.timers.t2);
                let next = now + call.ok_interval;
                self.timers.push(Reverse((next, id, Timer::OkRetransmit)));
            }
            Timer::OkGiveUp => {
                if !call.acked && call.phase == Phase::Answered {
                    self.hang_up(now, id, None, EndCause::AckTimeout);
                }
            }
            Timer::MaxDuration => {
                if call.phase == Phase::Answered {
                    self.hang_up(now, id, None, EndCause::MaxDuration);
                }
            }
            Timer::Forget => self.forget(id),
        }
    }

    fn forget(&mut self, id: CallId) {
        if let Some(call) = self.calls.remove(&id) {
            self.by_server.remove(&call.a_key);
            if let Ok(cid) = call.a_invite.headers().call_id() {
                self.by_call_id.remove(cid);
            }
            for a in &call.attempts {
                if let Some(cid) = a.invite.as_ref().and_then(|i| i.headers().call_id().ok()) {
                    self.by_call_id.remove(cid);
                }
                if let Some(k) = &a.key {
                    self.by_client.remove(k);
                }
            }
        }
    }

    fn call_peer_reliable(&self, id: CallId) -> bool {
        self.calls
            .get(&id)
            .is_some_and(|c| c.a_peer.protocol.is_reliable())
    }

    /// Shuts down: every answered call is hung up.
    pub fn hang_up_all(&mut self, now: Instant) {
        let up: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| c.is_up())
            .map(|c| c.id)
            .collect();
        for id in up {
            self.hang_up(now, id, None, EndCause::Shutdown);
        }
        self.drain_events(now);
    }
}

/// Notes an event in a call's timeline.
fn note(call: &mut Call, at_ms: i64, event: CallEvent) {
    call.timeline.push(TimelineEvent::new(at_ms, event));
}

/// Wall-clock time (Unix ms) at `now`, from the core's epoch.
fn wall_ms((at, ms): (Instant, i64), now: Instant) -> i64 {
    ms + now.saturating_duration_since(at).as_millis() as i64
        - at.saturating_duration_since(now).as_millis() as i64
}
