//! Taking and giving back slots with the in-process counters.

use crate::support::*;
use dce_marketplace::counters::{Counters, HistoryQuery, LocalCounters};
use dce_marketplace::domain::*;
use dce_marketplace::{decide, Reason};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_slot_holds_concurrency_caps_budget_and_balance_until_released() {
    let mut t = target(10, 1, 1, 1250);
    t.concurrency = Some(1);
    t.caps.daily = Some(5);
    t.daily_budget = Some(Money::from_minor(5000));
    let m = TestMarket::new().with_target(t);
    let market = m.build();
    let counters = LocalCounters::new(Duration::from_secs(3600));
    let entry = market.target(TargetId(10)).unwrap();
    let now = monday_noon_ny();

    let slot = counters
        .acquire(entry, Money::from_minor(1250), now)
        .await
        .unwrap();
    assert_eq!(
        counters
            .acquire(entry, Money::from_minor(1250), now)
            .await
            .unwrap_err(),
        Reason::ConcurrencyFull
    );
    let d = decide(&market, &facts(NY_CALLER), now);
    assert_eq!(
        d.excluded[0].reason,
        Reason::ConcurrencyFull,
        "the decision sees the held slot"
    );
    assert_eq!(entry.buyer.available(), Money::from_minor(100_000 - 1250));

    counters.release(slot, true).await;
    assert_eq!(entry.live.concurrent.load(Ordering::Relaxed), 0);
    assert_eq!(
        entry.buyer.available(),
        Money::from_minor(100_000),
        "the reservation goes; billing charges"
    );
    let local = LocalTime::of(now, chrono_tz::Tz::UTC);
    assert_eq!(
        entry.live.day.get(local.day_bucket()),
        1,
        "an answered call keeps its cap count"
    );

    let unanswered = counters
        .acquire(entry, Money::from_minor(1250), now)
        .await
        .unwrap();
    counters.release(unanswered, false).await;
    assert_eq!(
        entry.live.day.get(local.day_bucket()),
        1,
        "an unanswered call gives its cap count back"
    );
    assert_eq!(
        entry.live.spent_in(local.day_bucket()),
        Money::from_minor(1250)
    );
}

#[tokio::test]
async fn refusals_name_the_limit_and_roll_back_what_was_taken() {
    let now = monday_noon_ny();
    let mut t = target(10, 1, 1, 1250);
    t.caps.hourly = Some(1);
    let m = TestMarket::new().with_target(t);
    let market = m.build();
    let counters = LocalCounters::new(Duration::from_secs(3600));
    let entry = market.target(TargetId(10)).unwrap();
    let _held = counters
        .acquire(entry, Money::from_minor(1250), now)
        .await
        .unwrap();
    assert_eq!(
        counters
            .acquire(entry, Money::from_minor(1250), now)
            .await
            .unwrap_err(),
        Reason::HourlyCapReached
    );
    assert_eq!(
        entry.live.concurrent.load(Ordering::Relaxed),
        1,
        "the refused attempt left nothing behind"
    );

    let mut poor = TestMarket::new().with_target(target(11, 1, 1, 1250));
    poor.data.buyers[0].balance = Money::from_minor(2000);
    let market = poor.build();
    let entry = market.target(TargetId(11)).unwrap();
    let _one = counters
        .acquire(entry, Money::from_minor(1250), now)
        .await
        .unwrap();
    assert_eq!(
        counters
            .acquire(entry, Money::from_minor(1250), now)
            .await
            .unwrap_err(),
        Reason::BalanceExhausted
    );
    assert_eq!(entry.live.concurrent.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_calls_never_pass_a_limit() {
    let mut t = target(10, 1, 1, 1);
    t.concurrency = Some(5);
    let market = Arc::new(TestMarket::new().with_target(t).build());
    let counters = Arc::new(LocalCounters::new(Duration::from_secs(3600)));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (market, counters) = (market.clone(), counters.clone());
        tasks.push(tokio::spawn(async move {
            let entry = market.target(TargetId(10)).unwrap();
            let mut peak = 0;
            for _ in 0..2000 {
                if let Ok(slot) = counters
                    .acquire(entry, Money::from_minor(1), monday_noon_ny())
                    .await
                {
                    peak = peak.max(entry.live.concurrent.load(Ordering::Relaxed));
                    tokio::task::yield_now().await;
                    counters.release(slot, false).await;
                }
            }
            peak
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() <= 5);
    }
    assert_eq!(
        market
            .target(TargetId(10))
            .unwrap()
            .live
            .concurrent
            .load(Ordering::Relaxed),
        0
    );
}

#[tokio::test]
async fn caller_history_feeds_velocity_and_duplicates() {
    let counters = LocalCounters::new(Duration::from_secs(86_400));
    let now = monday_noon_ny();
    let caller = n(NY_CALLER);
    let q = HistoryQuery {
        campaign: CampaignId(1),
        velocity_window: Duration::from_secs(3600),
    };
    counters
        .record_call(caller, CampaignId(1), now - chrono::Duration::hours(2))
        .await;
    counters
        .record_call(caller, CampaignId(2), now - chrono::Duration::minutes(10))
        .await;
    let h = counters.caller_history(caller, q, now).await;
    assert_eq!(h.calls_in_velocity_window, 1);
    assert_eq!(
        h.last_in_campaign_ms,
        Some((now - chrono::Duration::hours(2)).timestamp_millis())
    );
    counters.prune(now + chrono::Duration::days(2));
    assert_eq!(
        counters.caller_history(caller, q, now).await,
        Default::default(),
        "pruned past retention"
    );
}
