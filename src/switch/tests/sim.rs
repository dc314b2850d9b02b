//! A switch core with a caller trunk (10.0.0.1) and buyers (10.0.0.2, 10.0.0.3),
//! driven with instants the test chooses.

use crate::switch::core::{CoreConfig, Outcome, SwitchCore};
use crate::switch::job::{run, Job, Services};
use chrono::TimeZone;
use dce_marketplace::auction::RtbClient;
use dce_marketplace::billing::Cdr;
use dce_marketplace::compliance::Lists;
use dce_marketplace::counters::{LiveRegistry, LocalCounters};
use dce_marketplace::domain::*;
use dce_marketplace::fraud::FraudPolicy;
use dce_marketplace::{Market, MarketData, MarketHandle};
use dce_sip::{Message, Method, Peer, Protocol, Request, Response, StatusCode, Transmit};
use futures_util::FutureExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) const CALLER: &str = "10.0.0.1:5060";
pub(super) const BUYER1: &str = "10.0.0.2:5060";
pub(super) const BUYER2: &str = "10.0.0.3:5060";

pub(super) fn peer(addr: &str) -> Peer {
    Peer {
        protocol: Protocol::Udp,
        addr: addr.parse().unwrap(),
    }
}

fn target(id: i64, addr: &str, bid: i64, ring: u64) -> Target {
    Target {
        id: TargetId(id),
        name: format!("t{id}"),
        buyer: BuyerId(1),
        campaign: CampaignId(1),
        destination: format!("sip:buyer@{addr}"),
        bid: Money::from_minor(bid),
        priority: 1,
        weight: 100,
        concurrency: Some(5),
        caps: Caps::default(),
        daily_budget: None,
        schedule: None,
        states: vec![],
        area_codes: vec![],
        rtb_url: None,
        ring_timeout: Duration::from_secs(ring),
        enabled: true,
    }
}

pub(super) struct Sim {
    pub core: SwitchCore,
    pub now: Instant,
    /// The real relay (sockets on 127.0.0.1) and the runtime it runs on,
    /// for scenarios that anchor media.
    pub media: Option<(tokio::runtime::Runtime, dce_media::MediaEngine)>,
    services: Services,
    /// CDRs the core wrote: ("open" | "close", record).
    pub cdrs: Vec<(&'static str, Cdr)>,
    pub sent: Vec<Transmit>,
}

impl Sim {
    /// Two buyers: buyer 1 (bid 10.00, rings 5 s) before buyer 2 (5.00).
    pub fn new(max_call_duration: Duration) -> Sim {
        Sim::build(max_call_duration, MediaMode::Relay)
    }

    /// As [`Sim::new`], with a real relay on `ports` and the campaign's
    /// media `mode`.
    pub fn with_media(ports: std::ops::RangeInclusive<u16>, mode: MediaMode) -> Sim {
        let mut sim = Sim::build(Duration::from_secs(3600), mode);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (engine, _events) = {
            let _guard = rt.enter();
            dce_media::MediaEngine::new(
                dce_media::MediaConfig {
                    bind: [127, 0, 0, 1].into(),
                    advertise: [192, 0, 2, 9].into(),
                    ports,
                    max_sessions: 16,
                    session: Default::default(),
                },
                16,
            )
        };
        sim.core.set_media(engine.clone());
        sim.services.media = Some(engine.clone());
        sim.media = Some((rt, engine));
        sim
    }

    fn build(max_call_duration: Duration, media: MediaMode) -> Sim {
        let data = MarketData {
            version: 1,
            sellers: vec![Seller {
                id: SellerId(1),
                name: "s".into(),
                trunks: vec!["10.0.0.1/32".parse().unwrap()],
            }],
            buyers: vec![Buyer {
                id: BuyerId(1),
                name: "b".into(),
                balance: Money::from_minor(1_000_000),
            }],
            campaigns: vec![Campaign {
                id: CampaignId(1),
                name: "c".into(),
                seller: SellerId(1),
                numbers: vec![PhoneNumber::parse("+18005550100").unwrap()],
                payout: PayoutModel::Fixed(Money::from_minor(100)),
                billable_after: Duration::ZERO,
                dedupe_window: None,
                duplicate_policy: DuplicatePolicy::Reject,
                min_attestation: None,
                recording: false,
                ranking: Ranking::HighestBid,
                rtb_timeout: Duration::from_millis(100),
                tags: vec![],
                require_consent: false,
                media,
                enabled: true,
            }],
            targets: vec![target(1, BUYER1, 1000, 5), target(2, BUYER2, 500, 5)],
            consents: vec![],
        };
        let registry = Arc::new(LiveRegistry::default());
        let market = Market::build(
            data,
            Arc::new(Lists::default()),
            &registry,
            FraudPolicy::default(),
        );
        let market = Arc::new(MarketHandle::new(market, registry));
        let core = SwitchCore::new(
            CoreConfig {
                local: "10.0.0.9:5060".parse().unwrap(),
                local_tls: None,
                max_call_duration,
                timers: Default::default(),
                epoch: (Instant::now(), 1_795_000_000_000),
            },
            market,
        );
        Sim {
            core,
            now: Instant::now(),
            media: None,
            services: Services {
                counters: Arc::new(LocalCounters::new(Duration::from_secs(3600))),
                rtb: RtbClient::new(),
                ledger: None,
                media: None,
            },
            cdrs: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Runs jobs (they complete at once: in-process counters, no RTB) and
    /// collects what the core sends.
    fn pump(&mut self) {
        loop {
            let mut busy = false;
            while let Some(job) = self.core.poll_job() {
                busy = true;
                let job = match job {
                    Job::OpenCdr(cdr) => {
                        self.cdrs.push(("open", *cdr));
                        continue;
                    }
                    Job::CloseCdr(cdr) => {
                        self.cdrs.push(("close", *cdr));
                        continue;
                    }
                    Job::EndMedia { session, cdr } => {
                        let (rt, engine) = self.media.as_ref().expect("a relay");
                        let stats = rt.block_on(engine.release(&session));
                        if let Some(mut cdr) = cdr {
                            cdr.media = stats.as_ref().map(crate::switch::media::stats_json);
                            self.cdrs.push(("close", *cdr));
                        }
                        continue;
                    }
                    other => other,
                };
                // Monday 2026-11-23, noon in New York.
                let wall = chrono::Utc
                    .with_ymd_and_hms(2026, 11, 23, 17, 0, 0)
                    .unwrap();
                let done = run(job, &self.services, wall)
                    .now_or_never()
                    .expect("jobs complete at once in the simulation");
                if let Some(done) = done {
                    self.core.handle_job(self.now, done);
                }
            }
            while let Some(t) = self.core.poll_transmit() {
                busy = true;
                self.sent.push(t);
            }
            if !busy {
                return;
            }
        }
    }

    pub fn deliver(&mut self, message: Message, from: &str) {
        // Session tasks spawn on the relay's runtime.
        let guard = self.media.as_ref().map(|(rt, _)| rt.enter());
        self.core.handle_message(self.now, message, peer(from));
        drop(guard);
        self.pump();
    }

    /// Runs what the core has queued (after a direct call into it).
    pub fn flush(&mut self) {
        self.pump();
    }

    pub fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        while let Some(at) = self.core.poll_timeout().filter(|at| *at <= until) {
            self.now = at.max(self.now);
            self.core.handle_timeout(self.now);
            self.pump();
        }
        self.now = until;
    }

    /// Everything sent since the last call, as (to, first line).
    pub fn take(&mut self) -> Vec<(String, String)> {
        self.sent
            .drain(..)
            .map(|t| {
                let bytes = t.message.to_bytes();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                (
                    t.peer.addr.to_string(),
                    text.lines().next().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// The last request with `method` sent to `to`, since the last `take`.
    pub fn sent_request(&self, to: &str, method: &Method) -> Option<Request> {
        self.sent.iter().rev().find_map(|t| match &t.message {
            Message::Request(r) if r.method() == method && t.peer.addr.to_string() == to => {
                Some(r.clone())
            }
            _ => None,
        })
    }

    pub fn outcomes(&mut self) -> Vec<Outcome> {
        std::iter::from_fn(|| self.core.poll_outcome()).collect()
    }
}

pub(super) fn caller_invite() -> Message {
    Message::parse(
        b"INVITE sip:18005550100@10.0.0.9:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKcaller1\r\n\
From: <sip:+12125551234@10.0.0.1>;tag=caller\r\n\
To: <sip:18005550100@10.0.0.9>\r\n\
Call-ID: call-a@10.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:+12125551234@10.0.0.1:5060>\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n",
    )
    .unwrap()
}

pub(super) fn caller_cancel() -> Message {
    Message::parse(
        b"CANCEL sip:18005550100@10.0.0.9:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKcaller1\r\n\
From: <sip:+12125551234@10.0.0.1>;tag=caller\r\n\
To: <sip:18005550100@10.0.0.9>\r\n\
Call-ID: call-a@10.0.0.1\r\n\
CSeq: 1 CANCEL\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n",
    )
    .unwrap()
}

/// A buyer's response to DCE's INVITE, with the buyer's tag and Contact.
pub(super) fn answer(invite: &Request, status: StatusCode, contact: &str) -> Message {
    let mut r = Response::for_request(invite, status, status.canonical_reason());
    r.set_to_tag("buyer").unwrap();
    r.headers_mut()
        .push(
            dce_sip::HeaderName::CONTACT,
            &format!("<sip:buyer@{contact}>"),
        )
        .unwrap();
    Message::Response(r)
}

/// An in-dialog request from the caller (after DCE's 2xx, whose To tag it echoes).
pub(super) fn from_caller(method: &str, cseq: u32, ok: &Response) -> Message {
    let to = ok
        .headers()
        .get(&dce_sip::HeaderName::TO)
        .unwrap()
        .to_string();
    Message::parse(
        format!(
            "{method} sip:dce@10.0.0.9:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKcaller{method}{cseq}\r\n\
From: <sip:+12125551234@10.0.0.1>;tag=caller\r\n\
To: {to}\r\n\
Call-ID: call-a@10.0.0.1\r\n\
CSeq: {cseq} {method}\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap()
}

/// An in-dialog request from buyer 1 on the dialog of DCE's INVITE `invite`.
pub(super) fn from_buyer(method: &str, invite: &Request) -> Message {
    let h = invite.headers();
    let from = h.get(&dce_sip::HeaderName::FROM).unwrap();
    let to = h.get(&dce_sip::HeaderName::TO).unwrap();
    let call_id = h.call_id().unwrap();
    Message::parse(
        format!(
            "{method} sip:dce@10.0.0.9:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP {BUYER1};branch=z9hG4bKbuyer{method}\r\n\
From: {to};tag=buyer\r\n\
To: {from}\r\n\
Call-ID: {call_id}\r\n\
CSeq: 7 {method}\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap()
}

/// The caller's ACK for DCE's 2xx.
pub(super) fn caller_ack(ok: &Response) -> Message {
    from_caller("ACK", 1, ok)
}

/// The 200 DCE sent to the caller.
pub(super) fn ok_to_caller(sim: &Sim) -> Response {
    sim.sent
        .iter()
        .rev()
        .find_map(|t| match &t.message {
            Message::Response(r)
                if r.status() == StatusCode::OK && t.peer.addr.to_string() == CALLER =>
            {
                Some(r.clone())
            }
            _ => None,
        })
        .expect("a 200 to the caller")
}
