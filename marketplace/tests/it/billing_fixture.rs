//! A small market in a real store, and CDRs for it, for the billing tests.

use crate::services::{postgres_store_and_url, sqlite_store_and_url};
use crate::support::n;
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::market_file;
use dce_marketplace::store::Store;
use std::future::Future;
use std::time::Duration;

/// One seller, one buyer with 500.00, a fixed-payout campaign (8.00, bids
/// 12.50 and a backup at 11.00) and a share campaign (40%, bid 9.99), both
/// billable after 90 s.
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
name = "t-fixed-backup"
buyer = "b1"
campaign = "fixed"
destination = "sip:c@127.0.0.1:5090"
bid = "11.00"

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
    fixed: (Campaign, Vec<Target>),
    share: (Campaign, Vec<Target>),
}

/// Which of the two campaigns a call is for.
#[derive(Clone, Copy)]
pub enum Plan {
    Fixed,
    Share,
}

pub const ANSWERED_AT: i64 = 1_790_000_000_000;
pub const ARRIVED_AT: i64 = ANSWERED_AT - 5_000;

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
            let mut t: Vec<Target> = data
                .targets
                .iter()
                .filter(|t| t.campaign == c.id)
                .cloned()
                .collect();
            t.sort_by_key(|t| std::cmp::Reverse(t.bid));
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

    /// The plan's campaign and the decision the switch would make for it:
    /// every target ranked, best bid first.
    fn decide(
        &self,
        plan: Plan,
        duplicate: bool,
    ) -> (
        &Campaign,
        Vec<dce_marketplace::auction::Ranked>,
        dce_marketplace::Decision,
    ) {
        let (campaign, targets) = match plan {
            Plan::Fixed => &self.fixed,
            Plan::Share => &self.share,
        };
        let ranked: Vec<_> = targets
            .iter()
            .map(|t| dce_marketplace::auction::Ranked {
                target: t.id,
                buyer: t.buyer,
                bid: t.bid,
                destination: None,
            })
            .collect();
        let decision = dce_marketplace::Decision {
            campaign: Some(campaign.id),
            ranked: ranked.clone(),
            duplicate,
            ..Default::default()
        };
        (campaign, ranked, decision)
    }

    /// A record of a call to `plan` with no buyer, no attempt and a
    /// timeline up to the decision.
    fn arrived(&self, id: &str, plan: Plan, duplicate: bool) -> Cdr {
        let (campaign, ranked, decision) = self.decide(plan, duplicate);
        Cdr {
            id: CdrId::new(id).unwrap(),
            seller: campaign.seller,
            campaign: campaign.id,
            buyer: None,
            target: None,
            caller: Some(n("+12125551234")),
            dialed: campaign.numbers[0],
            attestation: Some(Attestation::A),
            decision: DecisionRecord::from(&decision),
            attempts: Vec::new(),
            terms: None,
            arrived_at_ms: ARRIVED_AT,
            answered_at_ms: None,
            end: None,
            media: None,
            timeline: vec![
                TimelineEvent::new(ARRIVED_AT, CallEvent::Arrived),
                TimelineEvent::new(
                    ARRIVED_AT + 2,
                    CallEvent::Decided {
                        ranked: ranked.len() as u32,
                        excluded: 0,
                    },
                ),
            ],
        }
    }

    /// An answered, still open call: the first ranked target answered.
    /// The terms come from a decision as the switch makes them.
    pub fn call(&self, id: &str, plan: Plan, duplicate: bool) -> Cdr {
        let (campaign, ranked, decision) = self.decide(plan, duplicate);
        let first = &ranked[0];
        let started = ANSWERED_AT - 3_000;
        let mut cdr = self.arrived(id, plan, duplicate);
        cdr.buyer = Some(first.buyer);
        cdr.target = Some(first.target);
        cdr.terms = Some(Terms::new(campaign, &decision, first));
        cdr.answered_at_ms = Some(ANSWERED_AT);
        cdr.attempts = vec![Attempt {
            target: first.target,
            started_at_ms: started,
            ended_at_ms: None,
            outcome: AttemptOutcome::Answered,
        }];
        cdr.timeline.extend([
            TimelineEvent::new(
                started,
                CallEvent::AttemptStarted {
                    n: 1,
                    target: first.target,
                },
            ),
            TimelineEvent::new(started + 100, CallEvent::AttemptRinging { n: 1 }),
            TimelineEvent::new(ANSWERED_AT, CallEvent::Answered { n: 1 }),
        ]);
        cdr
    }

    /// The same call, ended by the caller after `connected_ms`.
    pub fn ended(&self, id: &str, plan: Plan, duplicate: bool, connected_ms: u64) -> Cdr {
        let ended_at = ANSWERED_AT + connected_ms as i64;
        let mut cdr = self.call(id, plan, duplicate);
        cdr.attempts[0].ended_at_ms = Some(ended_at);
        cdr.closed(CallEnd {
            ended_at_ms: ended_at,
            connected: Duration::from_millis(connected_ms),
            cause: HangupCause::Bye,
            by: HungUpBy::Caller,
        })
    }

    /// A call to the fixed campaign that no buyer answered: the ranked
    /// targets tried in turn, each ending as `outcomes` says (two seconds
    /// apart), then the call ended for `cause` by `by`.
    pub fn unanswered(
        &self,
        id: &str,
        outcomes: &[AttemptOutcome],
        cause: HangupCause,
        by: HungUpBy,
    ) -> Cdr {
        let (_, ranked, _) = self.decide(Plan::Fixed, false);
        let mut cdr = self.arrived(id, Plan::Fixed, false);
        let mut at = ARRIVED_AT + 10;
        for (i, (outcome, r)) in outcomes.iter().zip(&ranked).enumerate() {
            let n = i as u32 + 1;
            let (status, why) = match outcome {
                AttemptOutcome::Rejected { status } => (Some(*status), "rejected"),
                AttemptOutcome::RingTimeout => (None, "ring timeout"),
                AttemptOutcome::Unreachable => (None, "unreachable"),
                AttemptOutcome::Cancelled => (Some(487), "caller cancelled"),
                AttemptOutcome::Answered => panic!("an unanswered call"),
            };
            cdr.attempts.push(Attempt {
                target: r.target,
                started_at_ms: at,
                ended_at_ms: Some(at + 2_000),
                outcome: outcome.clone(),
            });
            cdr.timeline.extend([
                TimelineEvent::new(
                    at,
                    CallEvent::AttemptStarted {
                        n,
                        target: r.target,
                    },
                ),
                TimelineEvent::new(at + 100, CallEvent::AttemptRinging { n }),
                TimelineEvent::new(
                    at + 2_000,
                    CallEvent::AttemptFailed {
                        n,
                        status,
                        why: why.into(),
                    },
                ),
            ]);
            at += 2_000;
        }
        cdr.closed(CallEnd {
            ended_at_ms: at,
            connected: Duration::ZERO,
            cause,
            by,
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
