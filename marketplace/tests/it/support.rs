//! Builders for markets and calls in tests.

use chrono::{DateTime, TimeZone, Utc};
use dce_marketplace::compliance::Lists;
use dce_marketplace::counters::LiveRegistry;
use dce_marketplace::domain::*;
use dce_marketplace::fraud::FraudPolicy;
use dce_marketplace::{CallFacts, Market, MarketData};
use std::sync::Arc;
use std::time::Duration;

pub fn n(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

pub const DIALED: &str = "+18005550100";
pub const NY_CALLER: &str = "+12125551234";

/// Monday 2026-11-23 12:00 in New York.
pub fn monday_noon_ny() -> DateTime<Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn campaign(id: i64, number: &str) -> Campaign {
    Campaign {
        id: CampaignId(id),
        name: format!("campaign-{id}"),
        seller: SellerId(1),
        numbers: vec![n(number)],
        payout: PayoutModel::Fixed(Money::from_minor(800)),
        billable_after: Duration::from_secs(90),
        dedupe_window: None,
        duplicate_policy: DuplicatePolicy::Reject,
        min_attestation: None,
        recording: false,
        ranking: Ranking::HighestBid,
        rtb_timeout: Duration::from_millis(100),
        tags: vec![],
        require_consent: false,
        media: MediaMode::Relay,
        enabled: true,
    }
}

pub fn target(id: i64, buyer: i64, campaign: i64, bid_minor: i64) -> Target {
    Target {
        id: TargetId(id),
        name: format!("target-{id}"),
        buyer: BuyerId(buyer),
        campaign: CampaignId(campaign),
        destination: format!("sip:t{id}@127.0.0.1:5090"),
        bid: Money::from_minor(bid_minor),
        priority: 1,
        weight: 100,
        concurrency: None,
        caps: Caps::default(),
        daily_budget: None,
        schedule: None,
        states: vec![],
        area_codes: vec![],
        rtb_url: None,
        ring_timeout: Duration::from_secs(30),
        enabled: true,
    }
}

pub fn buyer(id: i64, balance_minor: i64) -> Buyer {
    Buyer {
        id: BuyerId(id),
        name: format!("buyer-{id}"),
        balance: Money::from_minor(balance_minor),
    }
}

/// One seller (trunk 127.0.0.1), buyers 1 and 2 with 1000.00 each, one campaign.
pub struct TestMarket {
    pub data: MarketData,
    pub lists: Vec<(ListKind, u64)>,
    pub fraud: FraudPolicy,
    pub registry: Arc<LiveRegistry>,
}

impl TestMarket {
    pub fn new() -> TestMarket {
        TestMarket {
            data: MarketData {
                version: 1,
                sellers: vec![Seller {
                    id: SellerId(1),
                    name: "seller-1".into(),
                    trunks: vec!["127.0.0.1/32".parse().unwrap()],
                }],
                buyers: vec![buyer(1, 100_000), buyer(2, 100_000)],
                campaigns: vec![campaign(1, DIALED)],
                targets: vec![],
                consents: vec![],
            },
            lists: vec![],
            fraud: FraudPolicy::default(),
            registry: Arc::new(LiveRegistry::default()),
        }
    }

    pub fn with_target(mut self, t: Target) -> TestMarket {
        self.data.targets.push(t);
        self
    }

    pub fn campaign(&mut self) -> &mut Campaign {
        &mut self.data.campaigns[0]
    }

    pub fn build(&self) -> Market {
        Market::build(
            self.data.clone(),
            Arc::new(Lists::build(self.lists.clone())),
            &self.registry,
            self.fraud,
        )
    }
}

pub fn facts(caller: &str) -> CallFacts {
    CallFacts::new(Caller::from_user(caller), n(DIALED))
}
