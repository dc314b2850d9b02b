//! `decide` agrees with a brute-force reference on thousands of random markets.
//!
//! The reference reads the plain `MarketData` (no indexes, no caches, no
//! snapshot) and states each rule the simplest way; ranking is a selection
//! sort over the strategy's comparison.

use crate::support::*;
use chrono::{DateTime, Duration as Chrono, Utc};
use dce_marketplace::auction::{weighted_key, CallerHistory, RtbBids, RtbOutcome};
use dce_marketplace::compliance::{disclosure_required, Lists};
use dce_marketplace::counters::LiveRegistry;
use dce_marketplace::domain::*;
use dce_marketplace::fraud::FraudPolicy;
use dce_marketplace::{decide, CallFacts, Market, MarketData, Reason};
use proptest::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

const CALLERS: [&str; 8] = [
    "+12125551234",
    "+13105551234",
    "+14155550000",
    "+17135550000",
    "+13055550000",
    "+12121111234",
    "anonymous",
    "+442071234567",
];
const SCHEDULES: [(&str, &str); 4] = [
    ("America/New_York", "Mon-Fri 08:00-20:00"),
    (
        "America/Los_Angeles",
        "Mon-Sat 09:00-17:00, Sun 10:00-12:00",
    ),
    ("UTC", "24/7"),
    ("America/Chicago", "Daily 22:00-06:00"),
];
const STATES: [&str; 5] = ["NY", "CA", "TX", "FL", "NJ"];

#[derive(Clone, Debug)]
struct Scenario {
    data: MarketData,
    lists: Vec<(ListKind, u64)>,
    usage: Vec<(i64, u32, u32, u32, u32, i64)>,
    reserved: Vec<(i64, i64)>,
    facts: CallFacts,
    now: DateTime<Utc>,
}

fn arb_target(id: i64) -> impl Strategy<Value = Target> {
    (
        (
            1i64..=3,
            0i64..2500,
            1u32..=3,
            0u32..=4,
            prop::bool::weighted(0.9),
        ),
        (
            prop::option::of(0u32..3),
            prop::option::of((0u32..3, 0u32..3, 0u32..3)),
        ),
        (
            prop::option::of(0i64..4000),
            prop::option::of(0usize..SCHEDULES.len()),
        ),
        (
            prop::collection::vec(0usize..STATES.len(), 0..3),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
        ),
    )
        .prop_map(
            move |(
                (buyer, bid, priority, weight, enabled),
                (conc, caps),
                (budget, sched),
                (states, npa, rtb),
            )| {
                let mut t = target(id, buyer, 1, bid);
                t.priority = priority;
                t.weight = weight;
                t.enabled = enabled;
                t.concurrency = conc;
                t.caps = caps.map_or(Caps::default(), |(h, d, m)| Caps {
                    hourly: Some(h),
                    daily: Some(d),
                    monthly: Some(m),
                });
                t.daily_budget = budget.map(Money::from_minor);
                t.schedule =
                    sched.map(|i| Schedule::parse(SCHEDULES[i].0, SCHEDULES[i].1).unwrap());
                t.states = states.into_iter().map(|i| STATES[i].to_string()).collect();
                t.states.dedup();
                if npa {
                    t.area_codes = vec![212, 713];
                }
                if rtb {
                    t.rtb_url = Some("http://127.0.0.1:9/bid".into());
                }
                t
            },
        )
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    let targets = (0usize..24).prop_flat_map(|n| {
        (0..n)
            .map(|i| arb_target(100 + i as i64))
            .collect::<Vec<_>>()
    });
    (
        targets,
        (
            0usize..3,
            prop::bool::weighted(0.9),
            prop::option::of(0usize..3),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.2),
        ),
        (
            0usize..CALLERS.len(),
            prop::option::of(0usize..3),
            0u32..12,
            prop::option::of(0i64..48),
            any::<u64>(),
            0i64..(7 * 24 * 60),
        ),
        (
            prop::collection::vec(
                (0usize..4, 0u32..4, 0u32..4, 0u32..4, 0u32..4, 0i64..4000),
                24,
            ),
            prop::collection::vec(0i64..3000, 3),
            prop::collection::vec(0i64..1500, 3),
        ),
        (
            prop::option::of(0usize..4),
            prop::collection::vec((0u8..5, 0i64..3000), 24),
            prop::bool::weighted(0.2),
            prop::bool::ANY,
        ),
    )
        .prop_map(
            |(targets, campaign_knobs, call_knobs, usage_knobs, extra)| {
                let (ranking, enabled, min_att, dedupe, route_unbilled, consent) = campaign_knobs;
                let (caller_i, att, velocity, last_hours, seed, minute) = call_knobs;
                let (usage, balances, reserved) = usage_knobs;
                let (listed, rtb, wrong_seller, recording) = extra;
                let mut m = TestMarket::new();
                m.data.buyers = (1..=3)
                    .map(|b| buyer(b, balances[b as usize - 1]))
                    .collect();
                let c = m.campaign();
                c.ranking = [
                    Ranking::HighestBid,
                    Ranking::PriorityWeighted,
                    Ranking::RoundRobin,
                ][ranking];
                c.enabled = enabled;
                c.min_attestation =
                    min_att.map(|i| [Attestation::C, Attestation::B, Attestation::A][i]);
                c.dedupe_window = dedupe.then(|| Duration::from_secs(24 * 3600));
                c.duplicate_policy = if route_unbilled {
                    DuplicatePolicy::RouteUnbilled
                } else {
                    DuplicatePolicy::Reject
                };
                c.require_consent = consent;
                c.recording = recording;
                let now = monday_noon_ny() + Chrono::minutes(minute);
                let caller = Caller::from_user(CALLERS[caller_i]);
                if consent && caller_i % 2 == 0 {
                    if let Some(num) = caller.number() {
                        m.data.consents.push(Consent {
                            number: num,
                            campaign: None,
                            granted_at_ms: 0,
                            expires_at_ms: None,
                            source: "test".into(),
                        });
                    }
                }
                let lists = match (listed, caller.number()) {
                    (Some(k), Some(num)) => vec![(ListKind::ALL[k], num.as_u64())],
                    _ => vec![],
                };
                let mut bids = RtbBids::default();
                for (i, t) in targets.iter().enumerate() {
                    if t.rtb_url.is_some() {
                        let (kind, amount) = rtb[i];
                        let outcome = match kind {
                            0 => RtbOutcome::NoBid,
                            1 => RtbOutcome::Timeout,
                            2 => RtbOutcome::Error,
                            3 => RtbOutcome::Bid {
                                amount: Money::from_minor(amount),
                                destination: None,
                                expires_at_ms: Some(now.timestamp_millis() + amount - 1000),
                            },
                            _ => continue,
                        };
                        bids.insert(t.id, outcome);
                    }
                }
                m.data.targets = targets;
                let facts = CallFacts {
                    seller: Some(SellerId(if wrong_seller { 2 } else { 1 })),
                    caller,
                    dialed: n(DIALED),
                    attestation: att.map(|i| [Attestation::C, Attestation::B, Attestation::A][i]),
                    history: CallerHistory {
                        calls_in_velocity_window: velocity,
                        last_in_campaign_ms: last_hours
                            .map(|h| (now - Chrono::hours(h)).timestamp_millis()),
                    },
                    rtb: bids,
                    seed,
                };
                Scenario {
                    usage: m
                        .data
                        .targets
                        .iter()
                        .zip(usage)
                        .map(|(t, (conc, h, d, mo, _, spent))| {
                            (t.id.0, conc as u32, h, d, mo, spent)
                        })
                        .collect(),
                    reserved: (1..=3).map(|b| (b, reserved[b as usize - 1])).collect(),
                    data: m.data,
                    lists,
                    facts,
                    now,
                }
            },
        )
}

/// Blocked reason, ranked (target, bid), excluded (target, reason), duplicate, disclosure.
type Expected = (
    Option<Reason>,
    Vec<(i64, Money)>,
    Vec<(i64, Reason)>,
    bool,
    bool,
);

/// The rules, stated plainly over `MarketData`.
fn reference(s: &Scenario, registry: &LiveRegistry, turn: u64) -> Expected {
    let f = &s.facts;
    let campaign = s
        .data
        .campaigns
        .iter()
        .find(|c| c.numbers.contains(&f.dialed))
        .unwrap();
    let now_ms = s.now.timestamp_millis();
    let lists = Lists::build(s.lists.clone());
    let policy = FraudPolicy::default();
    let targets: Vec<&Target> = {
        let mut v: Vec<&Target> = s
            .data
            .targets
            .iter()
            .filter(|t| t.campaign == campaign.id)
            .collect();
        v.sort_by_key(|t| t.id);
        v
    };
    let location = f.caller.number().and_then(|n| n.location());
    let disclosure = disclosure_required(campaign.recording, location.map(|l| l.region));
    let duplicate = matches!((campaign.dedupe_window, f.history.last_in_campaign_ms), (Some(w), Some(last)) if now_ms - last < w.as_millis() as i64);

    let blocked = if f.seller.is_some_and(|x| x != campaign.seller) {
        Some(Reason::WrongSeller)
    } else if !campaign.enabled {
        Some(Reason::CampaignDisabled)
    } else if campaign.min_attestation.is_some()
        && (f.attestation.is_none() || f.attestation < campaign.min_attestation)
    {
        Some(Reason::AttestationBelowMinimum)
    } else if f.caller == Caller::Anonymous {
        Some(Reason::AnonymousCaller)
    } else if f.caller == Caller::Invalid || !f.caller.number().unwrap().is_plausible() {
        Some(Reason::InvalidCallerId)
    } else if lists
        .get(ListKind::Blocklist)
        .contains(f.caller.number().unwrap())
    {
        Some(Reason::Blocklisted)
    } else if lists
        .get(ListKind::Dnc)
        .contains(f.caller.number().unwrap())
    {
        Some(Reason::Dnc)
    } else if lists
        .get(ListKind::Litigator)
        .contains(f.caller.number().unwrap())
    {
        Some(Reason::Litigator)
    } else if lists
        .get(ListKind::Suppression)
        .contains(f.caller.number().unwrap())
    {
        Some(Reason::Suppressed)
    } else if f.history.calls_in_velocity_window >= policy.max_calls_per_caller.unwrap() {
        Some(Reason::CallerVelocity)
    } else if duplicate && campaign.duplicate_policy == DuplicatePolicy::Reject {
        Some(Reason::DuplicateCaller)
    } else if campaign.require_consent
        && !s
            .data
            .consents
            .iter()
            .any(|c| Some(c.number) == f.caller.number())
    {
        Some(Reason::NoConsent)
    } else {
        None
    };
    if let Some(r) = blocked {
        return (
            Some(r),
            vec![],
            targets.iter().map(|t| (t.id.0, r)).collect(),
            duplicate,
            disclosure,
        );
    }

    let mut eligible: Vec<(&Target, Money)> = vec![];
    let mut excluded = vec![];
    for t in targets {
        let live = registry.target(t.id);
        let tz = t.schedule.as_ref().map_or(chrono_tz::Tz::UTC, |s| s.tz());
        let local = LocalTime::of(s.now, tz);
        let buyer = s.data.buyers.iter().find(|b| b.id == t.buyer).unwrap();
        let reserved = registry.buyer(t.buyer).reserved.load(Ordering::Relaxed);
        let geo_ok = (t.states.is_empty() && t.area_codes.is_empty())
            || location.is_some_and(|l| {
                t.states.iter().any(|x| x == l.region) || t.area_codes.contains(&l.npa)
            });
        let rtb = t.rtb_url.as_ref().map(|_| f.rtb.get(t.id).cloned());
        let reason = if !t.enabled {
            Some(Reason::Disabled)
        } else if t.schedule.as_ref().is_some_and(|sc| !sc.is_open(s.now)) {
            Some(Reason::ClosedBySchedule)
        } else if !geo_ok {
            Some(Reason::StateNotAllowed)
        } else if t
            .concurrency
            .is_some_and(|c| live.concurrent.load(Ordering::Relaxed) >= c)
        {
            Some(Reason::ConcurrencyFull)
        } else if t
            .caps
            .hourly
            .is_some_and(|c| live.hour.get(local.hour_bucket()) >= c)
        {
            Some(Reason::HourlyCapReached)
        } else if t
            .caps
            .daily
            .is_some_and(|c| live.day.get(local.day_bucket()) >= c)
        {
            Some(Reason::DailyCapReached)
        } else if t
            .caps
            .monthly
            .is_some_and(|c| live.month.get(local.month_bucket()) >= c)
        {
            Some(Reason::MonthlyCapReached)
        } else {
            None
        };
        if let Some(r) = reason {
            excluded.push((t.id.0, r));
            continue;
        }
        let bid = match rtb {
            None => Ok(t.bid),
            Some(None) | Some(Some(RtbOutcome::NoBid)) => Err(Reason::RtbNoBid),
            Some(Some(RtbOutcome::Timeout)) => Err(Reason::RtbTimeout),
            Some(Some(RtbOutcome::Error)) => Err(Reason::RtbError),
            Some(Some(RtbOutcome::Bid {
                amount,
                expires_at_ms,
                ..
            })) => {
                if expires_at_ms.is_some_and(|e| e <= now_ms) {
                    Err(Reason::RtbExpired)
                } else if amount.minor() <= 0 {
                    Err(Reason::RtbNoBid)
                } else {
                    Ok(amount)
                }
            }
        };
        let bid = match bid {
            Ok(b) => b,
            Err(r) => {
                excluded.push((t.id.0, r));
                continue;
            }
        };
        if t.daily_budget
            .is_some_and(|b| live.spent_in(local.day_bucket()).minor() + bid.minor() > b.minor())
        {
            excluded.push((t.id.0, Reason::BudgetExhausted));
        } else if buyer.balance.minor() - reserved < bid.minor() {
            excluded.push((t.id.0, Reason::BalanceExhausted));
        } else {
            eligible.push((t, bid));
        }
    }

    // Selection sort by the strategy's "comes first" relation.
    let first = |a: &(&Target, Money), b: &(&Target, Money)| -> bool {
        match campaign.ranking {
            Ranking::HighestBid => {
                (std::cmp::Reverse(a.1), a.0.priority, a.0.id)
                    < (std::cmp::Reverse(b.1), b.0.priority, b.0.id)
            }
            Ranking::PriorityWeighted => {
                (
                    a.0.priority,
                    weighted_key(f.seed, a.0.id, a.0.weight),
                    a.0.id,
                ) < (
                    b.0.priority,
                    weighted_key(f.seed, b.0.id, b.0.weight),
                    b.0.id,
                )
            }
            Ranking::RoundRobin => unreachable!(),
        }
    };
    let mut ranked = vec![];
    if campaign.ranking == Ranking::RoundRobin {
        let k = if eligible.is_empty() {
            0
        } else {
            (turn % eligible.len() as u64) as usize
        };
        for i in 0..eligible.len() {
            let (t, b) = eligible[(k + i) % eligible.len()];
            ranked.push((t.id.0, b));
        }
    } else {
        while !eligible.is_empty() {
            let mut best = 0;
            for i in 1..eligible.len() {
                if first(&eligible[i], &eligible[best]) {
                    best = i;
                }
            }
            let (t, b) = eligible.remove(best);
            ranked.push((t.id.0, b));
        }
    }
    (None, ranked, excluded, duplicate, disclosure)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn decide_agrees_with_the_reference(s in arb_scenario()) {
        let registry = Arc::new(LiveRegistry::default());
        for (id, conc, h, d, mo, spent) in &s.usage {
            let live = registry.target(TargetId(*id));
            let t = s.data.targets.iter().find(|t| t.id.0 == *id).unwrap();
            let tz = t.schedule.as_ref().map_or(chrono_tz::Tz::UTC, |s| s.tz());
            let local = LocalTime::of(s.now, tz);
            live.concurrent.store(*conc, Ordering::Relaxed);
            live.hour.set(local.hour_bucket(), *h);
            live.day.set(local.day_bucket(), *d);
            live.month.set(local.month_bucket(), *mo);
            live.try_spend(local.day_bucket(), Money::from_minor(*spent), None);
        }
        for (b, r) in &s.reserved {
            registry.buyer(BuyerId(*b)).reserved.store(*r, Ordering::Relaxed);
        }
        let market = Market::build(s.data.clone(), Arc::new(Lists::build(s.lists.clone())), &registry, FraudPolicy::default());
        let turn = registry.campaign(CampaignId(1)).turn.load(Ordering::Relaxed);
        let (blocked, ranked, excluded, duplicate, disclosure) = reference(&s, &registry, turn);
        let d = decide(&market, &s.facts, s.now);
        prop_assert_eq!(d.blocked, blocked);
        prop_assert_eq!(d.ranked.iter().map(|r| (r.target.0, r.bid)).collect::<Vec<_>>(), ranked);
        prop_assert_eq!(d.excluded.iter().map(|e| (e.target.0, e.reason)).collect::<Vec<_>>(), excluded);
        prop_assert_eq!(d.duplicate, duplicate);
        prop_assert_eq!(d.disclosure_required, disclosure);
    }
}
