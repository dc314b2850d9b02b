//! `decide` on a market of 10,000 targets over 1,000 campaigns plus one
//! campaign of 1,000 targets, with a 10-million-number DNC set, static bids
//! and random callers. Criterion for the mean, then an hdrhistogram run for
//! p50/p99/p99.9, and the memory the market and the DNC set take.
//!
//! `cargo bench -p dce-marketplace --bench decide`

use chrono::{DateTime, Duration as Chrono, TimeZone, Utc};
use criterion::{black_box, Criterion};
use dce_marketplace::compliance::{Lists, NumberSet};
use dce_marketplace::counters::LiveRegistry;
use dce_marketplace::domain::*;
use dce_marketplace::fraud::FraudPolicy;
use dce_marketplace::{decide, CallFacts, Market, MarketData};
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NPAS: [u16; 24] = [
    212, 213, 305, 310, 312, 415, 404, 469, 512, 602, 617, 702, 713, 718, 720, 786, 818, 832, 917,
    929, 206, 503, 215, 303,
];
const STATES: [&str; 10] = ["NY", "CA", "FL", "TX", "IL", "GA", "AZ", "MA", "NV", "WA"];
const ZONES: [&str; 4] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
];

/// A small, fast, seedable generator (the bench must not depend on `rand`).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_number(rng: &mut Rng) -> u64 {
    let npa = NPAS[rng.below(NPAS.len() as u64) as usize] as u64;
    let mut nxx = 200 + rng.below(800);
    if nxx % 100 == 11 {
        nxx += 1;
    }
    10_000_000_000 + npa * 10_000_000 + nxx * 10_000 + rng.below(10_000)
}

fn target(rng: &mut Rng, id: i64, campaign: i64) -> Target {
    let schedule = match rng.below(3) {
        0 => None,
        1 => Some(
            Schedule::parse(
                ZONES[rng.below(4) as usize],
                "Mon-Fri 08:00-20:00, Sat 10:00-14:00",
            )
            .unwrap(),
        ),
        _ => Some(Schedule::parse(ZONES[rng.below(4) as usize], "24/7").unwrap()),
    };
    let states = if rng.below(2) == 0 {
        vec![]
    } else {
        (0..4)
            .map(|_| STATES[rng.below(STATES.len() as u64) as usize].to_string())
            .collect()
    };
    Target {
        id: TargetId(id),
        name: format!("target-{id}"),
        buyer: BuyerId(1 + rng.below(500) as i64),
        campaign: CampaignId(campaign),
        destination: format!("sip:t{id}@192.0.2.{}:5060", id % 250),
        bid: Money::from_minor(500 + rng.below(5000) as i64),
        priority: 1 + rng.below(3) as u32,
        weight: 1 + rng.below(100) as u32,
        concurrency: Some(5 + rng.below(50) as u32),
        caps: Caps {
            hourly: Some(100),
            daily: Some(1000),
            monthly: Some(20_000),
        },
        daily_budget: Some(Money::from_minor(1_000_000)),
        schedule,
        states,
        area_codes: vec![],
        rtb_url: None,
        ring_timeout: Duration::from_secs(30),
        enabled: true,
    }
}

fn campaign(id: i64, number: u64) -> Campaign {
    Campaign {
        id: CampaignId(id),
        name: format!("campaign-{id}"),
        seller: SellerId(1),
        numbers: vec![PhoneNumber::from_u64(number).unwrap()],
        payout: PayoutModel::Fixed(Money::from_minor(800)),
        billable_after: Duration::from_secs(90),
        dedupe_window: Some(Duration::from_secs(86_400)),
        duplicate_policy: DuplicatePolicy::Reject,
        min_attestation: None,
        recording: true,
        ranking: Ranking::HighestBid,
        rtb_timeout: Duration::from_millis(100),
        tags: vec![],
        require_consent: false,
        media: MediaMode::Relay,
        enabled: true,
    }
}

fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<usize>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

struct Setup {
    market: Market,
    ordinary: Vec<u64>,
    large: u64,
    dnc_sample: Vec<u64>,
}

fn setup() -> Setup {
    let mut rng = Rng(7);
    let rss0 = rss_bytes();
    let dnc: Vec<u64> = (0..10_000_000).map(|_| random_number(&mut rng)).collect();
    let dnc_sample = dnc[..1000].to_vec();
    let mut lists = Lists::default();
    lists.set(ListKind::Dnc, NumberSet::from_numbers(dnc));
    let rss_lists = rss_bytes();

    let mut data = MarketData {
        version: 1,
        sellers: vec![Seller {
            id: SellerId(1),
            name: "s".into(),
            trunks: vec!["192.0.2.0/24".parse().unwrap()],
        }],
        buyers: (1..=500)
            .map(|b| Buyer {
                id: BuyerId(b),
                name: format!("buyer-{b}"),
                balance: Money::from_minor(10_000_000),
            })
            .collect(),
        ..MarketData::default()
    };
    let mut ordinary = Vec::new();
    let mut id = 0;
    for c in 1..=1000i64 {
        let number = 18_005_000_000 + c as u64;
        ordinary.push(number);
        data.campaigns.push(campaign(c, number));
        for _ in 0..10 {
            id += 1;
            data.targets.push(target(&mut rng, id, c));
        }
    }
    let large = 18_889_999_999;
    data.campaigns.push(campaign(1001, large));
    for _ in 0..1000 {
        id += 1;
        data.targets.push(target(&mut rng, id, 1001));
    }
    let registry = LiveRegistry::default();
    let lists_heap = lists.heap_bytes();
    let market = Market::build(data, Arc::new(lists), &registry, FraudPolicy::default());
    let rss_market = rss_bytes();
    println!(
        "memory: DNC set of 10,000,000 numbers {:.1} MiB heap ({:.1} MiB RSS); market of 11,000 targets ~{:.1} MiB heap ({:.1} MiB RSS)",
        lists_heap as f64 / 1048576.0,
        rss_lists.saturating_sub(rss0) as f64 / 1048576.0,
        market.approx_heap_bytes() as f64 / 1048576.0,
        rss_market.saturating_sub(rss_lists) as f64 / 1048576.0,
    );
    Setup {
        market,
        ordinary,
        large,
        dnc_sample,
    }
}

fn facts(rng: &mut Rng, s: &Setup, dialed: u64) -> (CallFacts, DateTime<Utc>) {
    // One caller in a hundred is on the DNC list.
    let caller = if rng.below(100) == 0 {
        s.dnc_sample[rng.below(1000) as usize]
    } else {
        random_number(rng)
    };
    let mut f = CallFacts::new(
        Caller::Number(PhoneNumber::from_u64(caller).unwrap()),
        PhoneNumber::from_u64(dialed).unwrap(),
    );
    f.seed = rng.next();
    let week = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    (f, week + Chrono::minutes(rng.below(7 * 24 * 60) as i64))
}

fn histogram(s: &Setup, label: &str, calls: usize, dialed: impl Fn(&mut Rng) -> u64) {
    let mut rng = Rng(99);
    let mut h = Histogram::<u64>::new(3).unwrap();
    let mut ranked = 0usize;
    for _ in 0..calls {
        let number = dialed(&mut rng);
        let (f, now) = facts(&mut rng, s, number);
        let start = Instant::now();
        let d = decide(&s.market, &f, now);
        let ns = start.elapsed().as_nanos() as u64;
        ranked += d.ranked.len();
        black_box(d);
        h.record(ns.max(1)).unwrap();
    }
    println!(
        "{label}: {calls} decisions, p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.2} µs (mean ranked {:.1})",
        h.value_at_quantile(0.50) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.value_at_quantile(0.999) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
        ranked as f64 / calls as f64,
    );
}

fn main() {
    let s = setup();
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let mut group = c.benchmark_group("decide");
    let mut rng = Rng(1);
    group.bench_function("ordinary_campaign_10_targets", |b| {
        b.iter_batched(
            || {
                let n = s.ordinary[rng.below(1000) as usize];
                facts(&mut rng, &s, n)
            },
            |(f, now)| decide(&s.market, &f, now),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("large_campaign_1000_targets", |b| {
        b.iter_batched(
            || facts(&mut rng, &s, s.large),
            |(f, now)| decide(&s.market, &f, now),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
    c.final_summary();

    histogram(&s, "ordinary campaigns (10 targets)", 200_000, |r| {
        s.ordinary[r.below(1000) as usize]
    });
    histogram(&s, "large campaign (1,000 targets)", 20_000, |_| s.large);
}
