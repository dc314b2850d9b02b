//! A small market in a real store, and CDRs for it, for the billing tests.

use crate::services::{postgres_store_and_url, sqlite_store_and_url};
use crate::support::n;
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::market_file;
use dce_marketplace::store::Store;
use std::future::Future;
use std::time::Duration;

/// One seller, one buyer with 500.00, a fixed-payout campaign (8.00, bid
/// 12.50) and a share campaign (40%, bid 9.99), both billable after 90 s.
pub const MARKET: &str = r#"
[[seller]]
name = "s1"
trunks = ["127.0.0.1"]

[[buyer]]
name = "b1"
balance = "500.00"

[[campaign]]
name = "fixed"
seller = "s1"
numbers = ["+18005550100"]
payout = "8.00"
billable_after = "90s"

[[campaign]]
name = "share"
seller = "s1"
numbers = ["+18005550101"]
payout_share = "40%"
billable_after = "90s"

[[target]]
name = "t-fixed"
buyer = "b1"
campaign = "fixed"
destination = "sip:a@127.0.0.1:5090"
bid = "12.50"

[[target]]
name = "t-share"
buyer = "b1"
campaign = "share"
destination = "sip:b@127.0.0.1:5090"
bid = "9.99"
"#;

/// A store with [`MARKET`] imported, and a URL for raw SQL on it.
pub struct Billing {
    pub store: Store,
    pub url: String,
    pub seller: SellerId,
    pub buyer: BuyerId,
    fixed: (Campaign, Target),
    share: (Campaign, Target),
}

/// Which of the two campaigns a call is for.
#[derive(Clone, Copy)]
pub enum Plan {
    Fixed,
    Share,
}

pub const ANSWERED_AT: i64 = 1_790_000_000_000;

impl Billing {
    async fn new(store: Store, url: String) -> Billing {
        store
            .import(&market_file::parse(MARKET).unwrap())
            .await
            .unwrap();
        let data = store.load_market().await.unwrap();
        let pair = |name: &str| {
            let c = data
                .campaigns
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .clone();
            let t = data
                .targets
                .iter()
                .find(|t| t.campaign == c.id)
                .unwrap()
                .clone();
            (c, t)
        };
        Billing {
            seller: data.sellers[0].id,
            buyer: data.buyers[0].id,
            fixed: pair("fixed"),
            share: pair("share"),
            store,
            url,
        }
    }

    /// An answered, still open call; the terms come from a decision as the switch makes them.
    pub fn call(&self, id: &str, plan: Plan, duplicate: bool) -> Cdr {
        let (campaign, target) = match plan {
            Plan::Fixed => &self.fixed,
            Plan::Share => &self.share,
        };
        let ranked = dce_marketplace::auction::Ranked {
            target: target.id,
            buyer: target.buyer,
            bid: target.bid,
            destination: None,
        };
        let decision = dce_marketplace::Decision {
            campaign: Some(campaign.id),
            ranked: vec![ranked.clone()],
            duplicate,
            ..Default::default()
        };
        Cdr {
            id: CdrId::new(id).unwrap(),
            seller: campaign.seller,
            campaign: campaign.id,
            buyer: target.buyer,
            target: target.id,
            caller: Some(n("+12125551234")),
            dialed: campaign.numbers[0],
            attestation: Some(Attestation::A),
            decision: DecisionRecord::from(&decision),
            attempts: vec![Attempt {
                target: target.id,
                started_at_ms: ANSWERED_AT - 3_000,
                outcome: AttemptOutcome::Answered,
            }],
            terms: Terms::new(campaign, &decision, &ranked),
            arrived_at_ms: ANSWERED_AT - 5_000,
            answered_at_ms: ANSWERED_AT,
            end: None,
            media: None,
        }
    }

    /// The same call, ended by the caller after `connected_ms`.
    pub fn ended(&self, id: &str, plan: Plan, duplicate: bool, connected_ms: u64) -> Cdr {
        self.call(id, plan, duplicate).closed(CallEnd {
            ended_at_ms: ANSWERED_AT + connected_ms as i64,
            connected: Duration::from_millis(connected_ms),
            cause: HangupCause::Bye,
            by: HungUpBy::Caller,
        })
    }

    /// The balance of `account` (zero when it has no postings).
    pub async fn balance(&self, account: Account) -> Money {
        self.store
            .balances()
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.account == account)
            .map_or(Money::ZERO, |b| b.balance)
    }

    /// A raw connection pool for SQL the store would never run.
    pub async fn raw(&self) -> sqlx::AnyPool {
        sqlx::AnyPool::connect(&self.url).await.unwrap()
    }

    /// Counts rows of `table` (a literal from the test).
    pub async fn count(&self, table: &str) -> i64 {
        let raw = self.raw().await;
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&raw)
            .await
            .unwrap();
        raw.close().await;
        n
    }
}

/// Runs `test` on SQLite, then on PostgreSQL when `DATABASE_URL` is set.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Billing) -> Fut,
    Fut: Future<Output = ()>,
{
    let (sqlite, _dir, url) = sqlite_store_and_url().await;
    test(Billing::new(sqlite, url).await).await;
    if let Some((pg, url)) = postgres_store_and_url().await {
        test(Billing::new(pg, url).await).await;
    }
}
